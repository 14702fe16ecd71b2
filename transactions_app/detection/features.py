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
from array import array
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
    "log_payer_sum_3d",
    "log_payer_previous_amount",
    "payer_large_7d",
    "payer_large_24h",
    "payer_targets_24h",
    "payer_odd_hours_24h",
    "log_payer_24h_vs_usual_day",
    "log_payer_max_24h_vs_median",
    "log_seconds_since_previous",
    "log_seconds_since_second_previous",
    "payer_age_days",
    "payer_payments_per_day",
    "new_counterparty",
    "payer_counterparties",
    "receiver_age_days",
    "log_receiver_payments",
    "receiver_payments_1h",
    "receiver_payments_24h",
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

    def rows(self, values: "FeatureRows") -> "FeatureRows":
        """A batch's rows (``all_features``) as this set's columns."""
        return values.with_columns(self.positions)

    def pick(self, values: tuple[float, ...]) -> tuple[float, ...]:
        """``values`` (``all_features``, every feature in ``FEATURE_NAMES``
        order) as this set's row, in ``names`` order."""
        if self.positions is None:
            return values
        return tuple(values[position] for position in self.positions)

    def vector(self, context: Context) -> tuple[float, ...]:
        """The features of ``context``'s transaction, in ``names`` order."""
        return self.pick(all_features(context))


class FeatureRows:
    """A batch's features, one row per transaction, kept flat in one array
    of doubles (``data``, ``FEATURE_NAMES`` order, ``width`` a row) and
    read through ``columns`` (positions in a row, None: all in order).

    Not a list of tuples: a batch's rows live until the writer's thread has
    scored them, and every tuple that survives that long is one more object
    for the garbage collector to scan (it takes about a tenth of the
    detector's time as it is); doubles in an array are no objects to it,
    and a model reads them without a copy (the buffer protocol). Indexing
    gives a row as a tuple of its columns."""

    __slots__ = ("data", "width", "columns")

    def __init__(
        self,
        data: array | None = None,
        columns: tuple[int, ...] | None = None,
    ) -> None:
        self.data = data if data is not None else array("d")
        self.width = len(FEATURE_NAMES)
        self.columns = columns

    def append(self, values: tuple[float, ...]) -> None:
        """Add one row of every feature (``all_features``)."""
        self.data.extend(values)

    def with_columns(self, columns: tuple[int, ...] | None) -> "FeatureRows":
        """The same rows read through ``columns`` (no copy)."""
        return FeatureRows(self.data, columns)

    def __len__(self) -> int:
        return len(self.data) // self.width

    def __getitem__(self, index: int) -> tuple[float, ...]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        row = self.data[index * self.width : (index + 1) * self.width]
        if self.columns is None:
            return tuple(row)
        return tuple(row[column] for column in self.columns)


def all_features(context: Context) -> tuple[float, ...]:
    """Every feature of ``FEATURE_NAMES``, in that order, for the
    transaction of ``context`` (the state as it was before the
    transaction). A tuple, not a mapping: it is computed for every
    transaction while a model is in force, on the detector's loop, so the
    groups below are written for speed (local names, one pass over each
    window, no intermediate objects)."""
    return (
        _amount_features(context)
        + _time_features(context)
        + _activity_features(context)
        + _receiver_features(context)
        + _attribute_features(context)
    )


def _amount_features(context: Context) -> tuple[float, ...]:
    """log_amount, then the amount against the payer's and the currency's
    amounts."""
    amount, source, population = context.amount, context.source, context.population
    payer_median = payer_below = people_median = people_below = NAN
    known = 0.0
    if source is not None and len(source.amounts):
        payer = source.amounts
        payer_median = _log_ratio(amount, payer.median())
        payer_below = payer.share_below(amount)
        known = float(len(payer))
    if population is not None and len(population.amounts):
        people = population.amounts
        people_median = _log_ratio(amount, people.median())
        people_below = people.share_below(amount)
    return (
        math.log1p(amount),  # log_amount
        payer_median,  # log_amount_vs_payer_median
        payer_below,  # amount_share_below_payer
        known,  # payer_amounts_known
        people_median,  # log_amount_vs_population_median
        people_below,  # amount_share_below_population
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
    """The payer's last hour, day, three days and week of entries
    (``(time, amount, target, key)``, before the transaction), in one pass
    each."""
    source = context.source
    if source is None:
        return NO_PAYER
    time, amount = context.time, context.amount
    week = between(source.entries, time - WEEK, time)
    median = source.amounts.median()
    large = LARGE * median if median else math.inf
    week_sum = days_sum = 0.0
    week_large = 0
    days_start = time - 3 * DAY
    for entry in week:
        week_sum += entry[1]
        week_large += entry[1] >= large
        if entry[0] > days_start:
            days_sum += entry[1]
    day = between(week, time - DAY, time) if week else week
    hour_start = time - HOUR
    hour_count = day_large = odd_hours = 0
    hour_sum = day_sum = day_max = 0.0
    targets = set()
    share_near = source.hours.share_near
    for at, paid, target, _key in day:
        day_sum += paid
        day_large += paid >= large
        if paid > day_max:
            day_max = paid
        targets.add(target)
        odd_hours += share_near(int(at // HOUR) % 24) < ODD_HOUR
        if at > hour_start:
            hour_count += 1
            hour_sum += paid
    day_count = len(day)
    age = max(time - source.first_seen, 0.0) if source.count else 0.0
    rate = source.count / max(age / DAY, 1.0) if source.count else None
    return (
        float(hour_count),  # payer_payments_1h
        float(day_count),  # payer_payments_24h
        _log_ratio(amount + hour_sum, median),  # log_payer_sum_1h_vs_median
        _log_ratio(amount + day_sum, median),  # log_payer_sum_24h_vs_median
        float(len(week)),  # payer_payments_7d
        _log_ratio(amount + week_sum, median),  # log_payer_sum_7d_vs_median
        math.log1p(days_sum),  # log_payer_sum_3d
        math.log1p(week[-1][1]) if week else NAN,  # log_payer_previous_amount
        float(week_large),  # payer_large_7d
        float(day_large),  # payer_large_24h
        float(len(targets)),  # payer_targets_24h
        float(odd_hours),  # payer_odd_hours_24h
        _log_ratio(  # log_payer_24h_vs_usual_day
            amount + day_sum, median * rate if median and rate else None
        ),
        _log_ratio(  # log_payer_max_24h_vs_median
            day_max if day_count else amount, median
        ),
        (  # log_seconds_since_previous
            math.log1p(time - week[-1][0]) if day_count else NAN
        ),
        (  # log_seconds_since_second_previous
            math.log1p(time - week[-2][0]) if len(week) > 1 else NAN
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
    0.0,  # log_payer_sum_3d
    NAN,  # log_payer_previous_amount
    0.0,  # payer_large_7d
    0.0,  # payer_large_24h
    0.0,  # payer_targets_24h
    0.0,  # payer_odd_hours_24h
    NAN,  # log_payer_24h_vs_usual_day
    NAN,  # log_payer_max_24h_vs_median
    NAN,  # log_seconds_since_previous
    NAN,  # log_seconds_since_second_previous
    0.0,  # payer_age_days
    NAN,  # payer_payments_per_day
    1.0,  # new_counterparty
    0.0,  # payer_counterparties
)


def _receiver_features(context: Context) -> tuple[float, ...]:
    """receiver_age_days, log_receiver_payments, receiver_payments_1h,
    receiver_payments_24h (by the hour: NaN for a receiver whose state
    began counting them only now), receiver_new_senders_1h."""
    target, time = context.target, context.time
    if target is None or not target.count:
        return NO_RECEIVER
    recent = between(target.entries, time - HOUR, time)
    hourly = target.hourly
    return (
        max(time - target.first_seen, 0.0) / DAY,
        math.log1p(target.count),
        float(len(recent)),
        float(hourly.in_day_to(time)) if hourly is not None else NAN,
        float(len({e[1] for e in recent if e[3]})),
    )


NO_RECEIVER = (0.0, 0.0, 0.0, 0.0, 0.0)


def _attribute_features(context: Context) -> tuple[float, ...]:
    """merchant_category_new, merchant_category_share, channel_new,
    country_new (the fields of ``ATTRIBUTE_FIELDS``, spelled out): NaN
    where the transaction or the payer's history does not carry the
    field."""
    source = context.source
    profile = source.attributes if source is not None else None
    if profile is None:
        return NO_ATTRIBUTES
    transaction = context.transaction
    category_new = category_share = channel_new = country_new = NAN
    category = transaction.merchant_category
    if category is not None and (payments := profile.payments("merchant_category")):
        uses = profile.uses("merchant_category", category)
        category_new, category_share = float(uses == 0), uses / payments
    channel = transaction.channel
    if channel is not None and profile.payments("channel"):
        channel_new = float(profile.uses("channel", channel) == 0)
    country = transaction.country
    if country is not None and profile.payments("country"):
        country_new = float(profile.uses("country", country) == 0)
    return (category_new, category_share, channel_new, country_new)


NO_ATTRIBUTES = (NAN, NAN, NAN, NAN)


def _log_ratio(amount: float, typical: float | None) -> float:
    if typical is None or typical <= 0:
        return NAN
    return math.log(max(amount, 1e-9) / typical)
