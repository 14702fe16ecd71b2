"""The review form on a case's admin page, and what its buttons do.

The form carries the ``review_version`` the page was rendered with: the
services refuse a change made against an older version, so an analyst who
acts on a page that someone else changed meanwhile gets a message instead
of overwriting the other's decision.
"""

from django import forms

from ..models import ReviewStatus, Transaction
from .services import (
    review_statuses_after,
    transaction_assign,
    transaction_note,
    transaction_review,
)

SAVE, ASSIGN_ME, UNASSIGN = "save", "assign_me", "unassign"


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
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    def __init__(self, *args, case: Transaction, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("review_version", case.review_version)
        status = self.fields["to_status"]
        # Any status is accepted from a post, so a case that moved
        # meanwhile is refused by the version check with its reason; the
        # page offers only the moves allowed from where the case is now.
        status.choices = [("", "keep the status"), *ReviewStatus.choices]
        status.widget.choices = [("", "keep the status")] + [
            (choice.value, choice.label)
            for choice in review_statuses_after(case.review_status)
        ]

    def clean(self):
        cleaned = super().clean()
        saving = cleaned.get("action") == SAVE
        if saving and not cleaned.get("to_status") and not cleaned.get("note"):
            raise forms.ValidationError("Choose a new status or write a note.")
        return cleaned


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
        return f"marked {updated.get_review_status_display().lower()}"
    transaction_note(actor=user, **common)
    return "noted"
