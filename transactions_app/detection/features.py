"""What a learned score sees of a transaction: numbers computed from the
engine's own state at the moment the transaction is judged, before it is
recorded.

The same function serves training (a labelled history replayed through an
engine, see ``Engine.observe``) and serving (the detector's engine), so a
training row sees exactly what the detector would have seen at that moment:
no feature can look ahead, and there is no second implementation to drift
apart from the first.

Every feature is a float; one that cannot be known yet (a payer's median
before its first payment, say) is NaN, which gradient-boosted trees treat
as missing rather than as zero. Amounts enter as logarithms and ratios, so
a model learns shapes that hold whatever the currency's scale.
"""

import math
from dataclasses import dataclass, field

from .rules import Context
from .timeline import between

NAN = float("nan")
HOUR = 3600.0
DAY = 86400.0
# How far back the features look over a payer's and a receiver's entries:
# the engine keeps at least this much when a model is in force.
WEEK = 7 * DAY
SOURCE_WINDOW = WEEK
TARGET_WINDOW = HOUR
# A payment this many times the payer's median counts as large.
LARGE = 3.0
# A payment at an hour near which fewer than this share of the payer's
# payments fell is at an odd hour for it.
ODD_HOUR = 0.05
# The optional fields whose novelty for the payer is a feature.
ATTRIBUTE_FIELDS = ("merchant_category", "channel", "country")

FEATURE_NAMES = (
    "log_amount",
    "log_amount_vs_payer_median",
    "amount_share_below_payer",
    "payer_amounts_known",
    "log_amount_vs_population_median",
    "amount_share_below_population",
    "hour",
    "weekday",
    "payer_share_near_hour",
    "payer_payments_1h",
    "payer_payments_24h",
    "log_payer_sum_1h_vs_median",
    "log_payer_sum_24h_vs_median",
    "payer_payments_7d",
    "log_payer_sum_7d_vs_median",
    "payer_large_7d",
    "payer_large_24h",
    "payer_targets_24h",
    "payer_odd_hours_24h",
    "log_payer_24h_vs_usual_day",
    "log_payer_max_24h_vs_median",
    "log_seconds_since_previous",
    "payer_age_days",
    "payer_payments_per_day",
    "new_counterparty",
    "payer_counterparties",
    "receiver_age_days",
    "log_receiver_payments",
    "receiver_payments_1h",
    "receiver_new_senders_1h",
    "merchant_category_new",
    "merchant_category_share",
    "channel_new",
    "country_new",
)


@dataclass(frozen=True, slots=True)
class FeatureSet:
    """The features a model was trained on, by name, and what the engine
    must keep for them. ``names`` is a subset of ``FEATURE_NAMES`` in the
    model's column order (a model keeps the list it was trained with, so a
    later release that adds features still serves it)."""

    names: tuple[str, ...] = FEATURE_NAMES
    # Where each of ``names`` sits in ``FEATURE_NAMES`` (None: the same).
    positions: tuple[int, ...] | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [name for name in self.names if name not in FEATURE_NAMES]
        if unknown:
            raise ValueError(f"unknown feature(s): {', '.join(unknown)}")
        positions = None
        if self.names != FEATURE_NAMES:
            positions = tuple(FEATURE_NAMES.index(name) for name in self.names)
        object.__setattr__(self, "positions", positions)

    @property
    def window(self) -> float:
        return SOURCE_WINDOW

    @property
    def target_window(self) -> float:
        return TARGET_WINDOW

    @property
    def attribute_fields(self) -> tuple[str, ...]:
        return ATTRIBUTE_FIELDS

    def pick(self, values: tuple[float, ...]) -> tuple[float, ...]:
        """``values`` (``all_features``, every feature in ``FEATURE_NAMES``
        order) as this set's row, in ``names`` order."""
        if self.positions is None:
            return values
        return tuple(values[position] for position in self.positions)

    def vector(self, context: Context) -> tuple[float, ...]:
        """The features of ``context``'s transaction, in ``names`` order."""
        return self.pick(all_features(context))


def all_features(context: Context) -> tuple[float, ...]:
    """Every feature of ``FEATURE_NAMES``, in that order, for the
    transaction of ``context`` (the state as it was before the
    transaction). A tuple, not a mapping: it is computed for every
    transaction while a model is in force."""
    return (
        (math.log1p(context.amount),)
        + _amount_features(context)
        + _time_features(context)
        + _activity_features(context)
        + _receiver_features(context)
        + _attribute_features(context)
    )


def _amount_features(context: Context) -> tuple[float, ...]:
    amount, source, population = context.amount, context.source, context.population
    payer = source.amounts if source is not None else None
    people = population.amounts if population is not None else None
    return (
        _log_ratio(amount, _median(payer)),  # log_amount_vs_payer_median
        _share_below(payer, amount),  # amount_share_below_payer
        float(len(payer)) if payer is not None else 0.0,  # payer_amounts_known
        _log_ratio(amount, _median(people)),  # log_amount_vs_population_median
        _share_below(people, amount),  # amount_share_below_population
    )


def _time_features(context: Context) -> tuple[float, ...]:
    source = context.source
    near = NAN
    if source is not None and source.hours.total:
        near = source.hours.share_near(context.hour)
    weekday = (int(context.time // DAY) + 3) % 7  # 1970-01-01 was a Thursday
    return (
        float(context.hour),  # hour
        float(weekday),  # weekday
        near,  # payer_share_near_hour
    )


def _activity_features(context: Context) -> tuple[float, ...]:
    source, time = context.source, context.time
    if source is None:
        return NO_PAYER
    week = between(source.entries, time - WEEK, time)
    window = _PayerWeek(week, time, source.amounts.median())
    median, amount = window.median, context.amount
    age = max(time - source.first_seen, 0.0) if source.count else 0.0
    rate = _per_day(source, age)
    odd_hours = sum(
        count
        for hour, count in window.day_hours.items()
        if source.hours.share_near(hour) < ODD_HOUR
    )
    return (
        float(window.hour_count),  # payer_payments_1h
        float(window.day_count),  # payer_payments_24h
        _log_ratio(amount + window.hour_sum, median),  # log_payer_sum_1h_vs_median
        _log_ratio(amount + window.day_sum, median),  # log_payer_sum_24h_vs_median
        float(len(week)),  # payer_payments_7d
        _log_ratio(amount + window.week_sum, median),  # log_payer_sum_7d_vs_median
        float(window.week_large),  # payer_large_7d
        float(window.day_large),  # payer_large_24h
        float(len(window.day_targets)),  # payer_targets_24h
        float(odd_hours),  # payer_odd_hours_24h
        _log_ratio(  # log_payer_24h_vs_usual_day
            amount + window.day_sum, median * rate if median and rate else None
        ),
        _log_ratio(  # log_payer_max_24h_vs_median
            window.day_max if window.day_count else amount, median
        ),
        (  # log_seconds_since_previous
            math.log1p(time - week[-1][0]) if window.day_count else NAN
        ),
        age / DAY,  # payer_age_days
        rate or NAN,  # payer_payments_per_day
        float(  # new_counterparty
            context.transaction.target not in source.counterparties
        ),
        float(len(source.counterparties)),  # payer_counterparties
    )


# The activity features of a payer the state does not know yet.
NO_PAYER = (
    0.0,  # payer_payments_1h
    0.0,  # payer_payments_24h
    NAN,  # log_payer_sum_1h_vs_median
    NAN,  # log_payer_sum_24h_vs_median
    0.0,  # payer_payments_7d
    NAN,  # log_payer_sum_7d_vs_median
    0.0,  # payer_large_7d
    0.0,  # payer_large_24h
    0.0,  # payer_targets_24h
    0.0,  # payer_odd_hours_24h
    NAN,  # log_payer_24h_vs_usual_day
    NAN,  # log_payer_max_24h_vs_median
    NAN,  # log_seconds_since_previous
    0.0,  # payer_age_days
    NAN,  # payer_payments_per_day
    1.0,  # new_counterparty
    0.0,  # payer_counterparties
)


class _PayerWeek:
    """One pass over a payer's last week of entries (``(time, amount,
    target, key)``, before the transaction at ``time``): counts, totals and
    large payments over the hour, the day and the week, the day's
    receivers, hours of day and largest amount."""

    __slots__ = (
        "median",
        "hour_count",
        "hour_sum",
        "day_count",
        "day_sum",
        "day_large",
        "day_max",
        "day_targets",
        "day_hours",
        "week_sum",
        "week_large",
    )

    def __init__(self, week: list, time: float, median: float | None) -> None:
        self.median = median
        large = LARGE * median if median else math.inf
        day_start, hour_start = time - DAY, time - HOUR
        self.hour_count = self.day_count = self.day_large = self.week_large = 0
        self.hour_sum = self.day_sum = self.week_sum = self.day_max = 0.0
        self.day_targets: set[str] = set()
        self.day_hours: dict[int, int] = {}
        for at, amount, target, _key in week:
            self.week_sum += amount
            self.week_large += amount >= large
            if at <= day_start:
                continue
            self.day_count += 1
            self.day_sum += amount
            self.day_large += amount >= large
            self.day_max = max(self.day_max, amount)
            self.day_targets.add(target)
            hour = int(at // HOUR) % 24
            self.day_hours[hour] = self.day_hours.get(hour, 0) + 1
            if at > hour_start:
                self.hour_count += 1
                self.hour_sum += amount


def _receiver_features(context: Context) -> tuple[float, ...]:
    """receiver_age_days, log_receiver_payments, receiver_payments_1h,
    receiver_new_senders_1h."""
    target, time = context.target, context.time
    if target is None or not target.count:
        return (0.0, 0.0, 0.0, 0.0)
    recent = between(target.entries, time - HOUR, time)
    return (
        max(time - target.first_seen, 0.0) / DAY,
        math.log1p(target.count),
        float(len(recent)),
        float(len({e[1] for e in recent if e[3]})),
    )


def _attribute_features(context: Context) -> tuple[float, ...]:
    """merchant_category_new, merchant_category_share, channel_new,
    country_new."""
    transaction, source = context.transaction, context.source
    profile = source.attributes if source is not None else None
    values = []
    for name in ATTRIBUTE_FIELDS:
        value = getattr(transaction, name)
        if value is None or profile is None or not profile.payments(name):
            novelty, share = NAN, NAN
        else:
            uses = profile.uses(name, value)
            novelty, share = float(uses == 0), uses / profile.payments(name)
        values.append(novelty)
        if name == "merchant_category":
            values.append(share)
    return tuple(values)


def _per_day(source, age: float) -> float | None:
    """How many payments a day the payer usually makes (None before its
    first)."""
    return source.count / max(age / DAY, 1.0) if source.count else None


def _median(profile) -> float | None:
    return profile.median() if profile is not None else None


def _share_below(profile, amount: float) -> float:
    if profile is None or not len(profile):
        return NAN
    return profile.share_below(amount)


def _log_ratio(amount: float, typical: float | None) -> float:
    if typical is None or typical <= 0:
        return NAN
    return math.log(max(amount, 1e-9) / typical)
