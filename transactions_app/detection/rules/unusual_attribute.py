"""A merchant category, channel, country, device or IP address this payer
has not used before, once it has a history of them."""

from dataclasses import dataclass

from ..baselines import ATTRIBUTE_VALUES
from ..types import ENRICHMENT_FIELDS, Reason
from .base import Context, Rule, is_number, money, positive_count, require

FIELD_NAMES = {
    "merchant_category": "merchant category",
    "channel": "channel",
    "country": "country",
    "device_id": "device",
    "ip": "IP address",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UnusualAttributeRule(Rule):
    """Fires when the transaction's ``field`` (an enrichment field) has a
    value this payer has not used among its remembered ones, once at least
    ``min_history`` of its payments carried the field. With
    ``min_amount_factor`` set, only when the amount is also at least that
    many times the payer's median: a new shop for a small sum is ordinary,
    a new kind of shop for an outsized one is what a stolen card looks like.

    A payer that already uses as many values as are remembered (16: an IP
    address that changes with every session) is not flagged for one more.
    Transactions without the field are left alone.
    """

    kind = "unusual_attribute"

    field: str
    min_history: int = 10
    min_amount_factor: float | None = None

    def __post_init__(self) -> None:
        Rule.__post_init__(self)
        require(
            self.field in ENRICHMENT_FIELDS,
            f"field must be one of {', '.join(ENRICHMENT_FIELDS)}",
        )
        positive_count(self.min_history, "min_history")
        if self.min_amount_factor is not None:
            require(
                is_number(self.min_amount_factor) and self.min_amount_factor > 0,
                "min_amount_factor must be a positive number, such as 3",
            )

    @property
    def attribute_fields(self) -> tuple[str, ...]:
        return (self.field,)

    def evaluate(self, context: Context) -> Reason | None:
        value = getattr(context.transaction, self.field)
        source = context.source
        if value is None or source is None or source.attributes is None:
            return None
        profile = source.attributes
        history = profile.payments(self.field)
        if history < self.min_history or profile.uses(self.field, value):
            return None
        known = profile.known(self.field)
        if len(known) >= ATTRIBUTE_VALUES:
            return None
        typical = None
        if self.min_amount_factor is not None:
            typical = source.typical_amount()
            if typical is None or context.amount < self.min_amount_factor * typical:
                return None
        return self._reason(
            self._observed(value, history, known, context.amount, typical),
            self._threshold(),
        )

    def _observed(self, value, history, known, amount, typical) -> str:
        name = FIELD_NAMES[self.field]
        usual = ", ".join(known[:3]) + (", ..." if len(known) > 3 else "")
        text = (
            f"{name} {value} is new for this payer: its {history} earlier "
            f"payments with one used {usual}"
        )
        if typical is not None:
            text += f"; {money(amount)} is {amount / typical:.1f}x its median"
        return text

    def _threshold(self) -> str:
        text = f"a {FIELD_NAMES[self.field]} not used before, after {self.min_history}"
        if self.min_amount_factor is not None:
            text += f", for >= {self.min_amount_factor}x the median"
        return text
