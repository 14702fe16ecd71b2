"""What the network and activity endpoints accept: an account, a period,
a bound; each bad value refused with its field named."""

from django import forms
from django.utils import timezone

from ..detection import ACCOUNT_PATTERN
from .network import (
    NETWORK_DAYS,
    NETWORK_EDGES_PER_HOP,
    NETWORK_MAX_DAYS,
    NETWORK_MAX_EDGES_PER_HOP,
    Period,
)


class AccountPeriodForm(forms.Form):
    """An account and the ``days`` days up to ``until`` (now when left
    out)."""

    account = forms.RegexField(
        regex=rf"\A{ACCOUNT_PATTERN.pattern}\Z",
        max_length=64,
        error_messages={
            "invalid": "An account id is 1-64 letters, digits, '_', '.', ':' or "
            "'-', starting with a letter or digit."
        },
    )
    days = forms.IntegerField(
        required=False, min_value=1, max_value=NETWORK_MAX_DAYS, initial=NETWORK_DAYS
    )
    until = forms.DateTimeField(required=False, help_text="Now when left out.")

    def period(self) -> Period:
        """The period a valid form describes."""
        data = self.cleaned_data
        return Period(
            until=data["until"] or timezone.now(), days=data["days"] or NETWORK_DAYS
        )


class NetworkForm(AccountPeriodForm):
    """An account's network: a period and how many edges each hop keeps."""

    edges = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=NETWORK_MAX_EDGES_PER_HOP,
        initial=NETWORK_EDGES_PER_HOP,
        label="Edges per hop",
    )

    def edges_per_hop(self) -> int:
        return self.cleaned_data["edges"] or NETWORK_EDGES_PER_HOP


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    """A bound, invalid form's errors by field, as plain text for JSON."""
    return {
        name: [str(error) for error in errors] for name, errors in form.errors.items()
    }
