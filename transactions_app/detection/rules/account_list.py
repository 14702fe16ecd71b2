"""An account on a named list (block, watch)."""

from dataclasses import dataclass

from ..types import Reason
from .base import Context, Rule, require


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountListRule(Rule):
    """Fires when the source or the target is on the account list named
    ``list_name`` (e.g. ``block`` or ``watch``)."""

    kind = "account_list"

    list_name: str

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(bool(self.list_name), "list_name is required")

    def evaluate(self, context: Context) -> Reason | None:
        listed = context.lists.get(self.list_name)
        tx = context.transaction
        if not listed or (tx.source not in listed and tx.target not in listed):
            return None
        hits = [
            role
            for role, account in (("source", tx.source), ("target", tx.target))
            if account in listed
        ]
        return self._reason(
            f"{' and '.join(hits)} on the {self.list_name} list",
            f"{self.list_name} list",
        )
