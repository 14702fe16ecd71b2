"""The default rule set, installed live by a data migration.

The original tutorial rule (amount >= 900 EUR) scores 100, which is fraud
on its own, so traffic in the original format is classified exactly as
before: its random, never-recurring accounts build no history for the
other rules to act on. The rules that compare with an account's own
history score less than the review band (50) alone, so it takes two signals
(an unusually large amount and a young receiver, say) to flag a payment.
They were chosen by measuring on two sources side by side, our realistic
producer profile and a public simulator's card purchases (README,
Detection quality), keeping only what held on both: fixed amount
thresholds of our own were dropped (``amount_anomaly``,
``new_counterparty``, still available as rule types) for thresholds that
follow each payer's scale. The two rules with a fixed amount besides the
tutorial's (``sum_in_window``, ``card_testing``) also follow the scale of
the payer's or its currency's payments, and the EUR-only currency allow
list is not a default (a platform paid in several currencies would see
every other one flagged): each stays available as a rule type.
"""

from django.utils import timezone

from ..detection import build_rule

# What each entry of ``DEFAULT_RULES`` holds, in order.
DEFAULT_RULE_FIELDS = ("name", "kind", "weight", "force", "params", "description")

DEFAULT_RULES = [
    (
        "amount_threshold",
        "amount_threshold",
        100,
        "",
        {"threshold": "900", "currency": "EUR"},
        "The original rule: a single transaction of 900 EUR or more.",
    ),
    (
        "velocity",
        "velocity",
        60,
        "",
        {"max_count": 5, "window_seconds": 60},
        "More than 5 transactions from one source within a minute.",
    ),
    (
        "sum_in_window",
        "sum_in_window",
        50,
        "",
        {"max_total": "10000", "window_seconds": 3600, "median_factor": 10},
        "More than 10000 sent by one source within an hour, and at least "
        "10 times the payer's median payment (its currency's median for a "
        "payer with fewer than 5).",
    ),
    (
        "card_testing",
        "card_testing",
        60,
        "",
        {
            "small_amount": "2.00",
            "min_count": 5,
            "window_seconds": 600,
            "small_share": 0.01,
        },
        "Five or more small payments from one source within ten minutes: "
        "below 2.00, or among the smallest 1% of recent payments in the "
        "currency.",
    ),
    (
        "fan_in",
        "fan_in",
        60,
        "",
        {
            "min_sources": 6,
            "window_seconds": 1800,
            "new_senders_only": True,
            "established_after_seconds": 7 * 86400,
            "jump_factor": 3,
        },
        "A target paid within half an hour by six or more distinct sources "
        "paying it for the first time; for a receiver known for a week or "
        "more, only when that is also three times its usual number of "
        "payments in half an hour.",
    ),
    (
        "amount_baseline",
        "amount_baseline",
        20,
        "",
        {
            "factor": 5,
            "above_share": 0.97,
            "min_history": 5,
            "population_above_share": 0.995,
        },
        "An amount at least 5 times the payer's median and above 97% of its "
        "last payments; for a payer with fewer than 5, above 99.5% of recent "
        "payments in the currency.",
    ),
    (
        "new_receiver",
        "new_receiver",
        30,
        "",
        {"max_payments": 10, "min_amount_factor": 3},
        "A payer's first payment to a receiver paid at most 10 times before, "
        "of at least 3 times the payer's median: money to a newly active "
        "account rather than an established shop.",
    ),
    (
        "amount_spree",
        "amount_spree",
        20,
        "",
        {"min_count": 2, "window_seconds": 86400, "factor": 3, "above_share": 0.9},
        "Two or more payments within a day, each at least 3 times the payer's "
        "median and above 90% of its last payments.",
    ),
    (
        "amount_spree_large",
        "amount_spree",
        50,
        "",
        {"min_count": 3, "window_seconds": 86400, "factor": 5, "above_share": 0.95},
        "Three or more payments within a day, each at least 5 times the "
        "payer's median and above 95% of its last payments.",
    ),
    (
        "new_merchant_category",
        "unusual_attribute",
        20,
        "",
        {"field": "merchant_category", "min_history": 10},
        "A merchant category the payer has not bought in before, after ten "
        "payments that carried one (only for messages with a "
        "merchant_category).",
    ),
    (
        "block_list",
        "account_list",
        0,
        "fraud",
        {"list_name": "block"},
        "The source or target is on the block list.",
    ),
    (
        "watch_list",
        "account_list",
        0,
        "review",
        {"list_name": "watch"},
        "The source or target is on the watch list.",
    ),
]


def install_default_rules(rule_model, version_model) -> int:
    """Create each default rule that does not exist yet, with a live first
    version; return how many were created. Takes the model classes so a
    migration can pass its historical models."""
    created_count = 0
    for name, kind, weight, force, params, description in DEFAULT_RULES:
        rule, created = rule_model.objects.get_or_create(
            name=name, defaults={"kind": kind}
        )
        if created:
            version_model.objects.create(
                rule=rule,
                number=1,
                params=params,
                weight=weight,
                force=force,
                enabled=True,
                description=description,
                status="live",
                note="Default rule set",
            )
            created_count += 1
    return created_count


def default_rules() -> tuple:
    """The default rule set as engine rules (for benchmarks and tools that
    run the engine without a database)."""
    return tuple(
        build_rule(version=1, **dict(zip(DEFAULT_RULE_FIELDS, row, strict=True)))
        for row in DEFAULT_RULES
    )


def is_untouched_default(live, params: dict, weight: int) -> bool:
    """Whether ``live`` (a rule's version in force, or None) is still the
    first version a default installed with ``params`` and ``weight``,
    enabled: a version someone edited is theirs, and no migration
    revises it."""
    return (
        live is not None
        and live.number == 1
        and live.params == params
        and live.weight == weight
        and live.enabled
    )


def revise_untouched_defaults(
    version_model, earlier: dict[str, tuple[dict, int]], *, revised: str, off: str
) -> None:
    """For each rule of ``earlier`` (its first default ``(params,
    weight)``) still untouched: put the current default version in force
    (note ``revised``), or, for a rule no longer among the defaults, a
    disabled copy (note ``off``). What data migrations that revise the
    defaults do."""
    current = {row[0]: row for row in DEFAULT_RULES}
    for name, (params, weight) in earlier.items():
        live = version_model.objects.filter(rule__name=name, status="live").first()
        if not is_untouched_default(live, params, weight):
            continue
        if name in current:
            _, _, new_weight, _, new_params, description = current[name]
            put_in_force(
                version_model,
                live,
                note=revised,
                description=description,
                params=new_params,
                weight=new_weight,
                enabled=True,
            )
        else:
            put_in_force(version_model, live, note=off, enabled=False)


def put_in_force(version_model, live, *, note: str, **fields) -> None:
    """Put a new version of ``live``'s rule in force with ``fields``
    changed and retire ``live``: how a migration revises a default (takes
    the version model so a migration can pass its historical one)."""
    live.status = "retired"
    live.save(update_fields=["status", "updated_at"])
    values = dict(
        params=live.params,
        weight=live.weight,
        force=live.force,
        enabled=live.enabled,
        description=live.description,
    )
    version_model.objects.create(
        rule=live.rule,
        number=live.number + 1,
        status="live",
        note=note,
        decided_at=timezone.now(),
        **(values | fields),
    )
