"""The review form on a case's admin page, and what its buttons do.

The form carries the ``review_version`` the page was rendered with: the
services refuse a change made against an older version, so an analyst who
acts on a page that someone else changed meanwhile gets a message instead
of overwriting the other's decision.

A status change can be applied to the open cases linked to the case (on
the same payer or receiver) in the same post: only to those the page
showed and that are still linked and open when it arrives.
"""

from django import forms

from ..models import ReviewStatus, Transaction
from .selectors import linked_open_cases
from .services import (
    review_statuses_after,
    transaction_assign,
    transaction_note,
    transaction_review,
    transactions_review_bulk,
)

SAVE, ASSIGN_ME, UNASSIGN = "save", "assign_me", "unassign"

# The case page's decision buttons and their keys, in the order shown.
DECISION_KEYS = {
    ReviewStatus.CONFIRMED: ("f", "Confirm fraud"),
    ReviewStatus.FALSE_POSITIVE: ("d", "Dismiss: false positive"),
    ReviewStatus.ESCALATED: ("e", "Escalate"),
    ReviewStatus.IN_REVIEW: ("r", "In review"),
}


class ReviewForm(forms.Form):
    """Move the case to a status the workflow allows, with a note; or only
    write a note; or take the case, or give it back."""

    action = forms.ChoiceField(
        choices=[(SAVE, "Save"), (ASSIGN_ME, "Assign to me"), (UNASSIGN, "Unassign")],
        widget=forms.HiddenInput,  # the buttons send it
        initial=SAVE,
    )
    review_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    to_status = forms.ChoiceField(label="New status", required=False)
    also_linked = forms.BooleanField(
        label="Apply the new status to the linked open cases too", required=False
    )
    # The linked cases the page showed, "pk,pk,...": a post acts on no case
    # the analyst did not see.
    linked_ids = forms.CharField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, case: Transaction, linked=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("review_version", case.review_version)
        self.initial.setdefault("linked_ids", ",".join(str(t.pk) for t in linked))
        status = self.fields["to_status"]
        # Any status is accepted from a post, so a case that moved
        # meanwhile is refused by the version check with its reason; the
        # page offers only the moves allowed from where the case is now.
        status.choices = [("", "keep the status"), *ReviewStatus.choices]
        status.widget.choices = [("", "keep the status")] + [
            (choice.value, choice.label)
            for choice in review_statuses_after(case.review_status)
        ]

    def clean_linked_ids(self) -> list[int]:
        text = self.cleaned_data["linked_ids"].strip()
        try:
            return [int(part) for part in text.split(",")] if text else []
        except ValueError:
            raise forms.ValidationError("not a list of case ids") from None

    def clean(self):
        cleaned = super().clean()
        saving = cleaned.get("action") == SAVE
        if saving and not cleaned.get("to_status") and not cleaned.get("note"):
            raise forms.ValidationError("Choose a new status or write a note.")
        return cleaned


def decisions_for(case: Transaction) -> list[dict]:
    """The decision buttons of ``case``'s page: a status, its key and its
    label for each move the workflow allows from where the case is."""
    allowed = set(review_statuses_after(case.review_status))
    return [
        {"status": status.value, "key": key, "label": label}
        for status, (key, label) in DECISION_KEYS.items()
        if status in allowed
    ]


def review_form_apply(*, form: ReviewForm, case: Transaction, user) -> str:
    """Carry out a valid form through the review services; returns what was
    done. Raises ``ReviewRefused`` when the services refuse it."""
    data = form.cleaned_data
    common = {
        "transaction_id": case.pk,
        "expected_version": data["review_version"],
        "note": data["note"],
    }
    if data["action"] == ASSIGN_ME:
        transaction_assign(assignee=user, actor=user, **common)
        return "assigned to you"
    if data["action"] == UNASSIGN:
        transaction_assign(assignee=None, actor=user, **common)
        return "unassigned"
    if data["to_status"]:
        updated = transaction_review(
            reviewer=user, to_status=data["to_status"], **common
        )
        done = f"marked {updated.get_review_status_display().lower()}"
        if data["also_linked"]:
            done += _review_linked(updated, data, user)
        return done
    transaction_note(actor=user, **common)
    return "noted"


def _review_linked(case: Transaction, data: dict, user) -> str:
    """Apply the case's new status to the linked open cases the page showed
    that are still linked and open; what was done, for the message."""
    shown = set(data["linked_ids"])
    ids = [t.pk for t in linked_open_cases(case=case) if t.pk in shown]
    if not ids:
        return "; no linked open case left to mark"
    refused = transactions_review_bulk(
        transaction_ids=ids,
        reviewer=user,
        to_status=data["to_status"],
        note=data["note"],
    )
    text = f"; {len(ids) - len(refused)} linked case(s) too"
    if refused:
        text += f" ({len(refused)} refused: {' '.join(refused)})"
    return text
