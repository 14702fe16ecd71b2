"""The default rules measured on traffic we did not write: the rules that
follow each payer's own history go live; the two whose fixed amounts
flagged thousands of honest card payments (``amount_anomaly``,
``new_counterparty``) are switched off, and ``fan_in`` learns to tell an
established shop from a mule, where each is still the default first
version nobody changed. A rule someone edited is left as it is."""

from django.db import migrations

from transactions_app.rules.defaults import (
    DEFAULT_RULES,
    install_default_rules,
    is_untouched_default,
    put_in_force,
)

# The first default version of each revised rule, as migration 0003 of an
# earlier release installed it: (params, weight).
EARLIER_DEFAULTS = {
    "amount_anomaly": ({"factor": 8, "min_history": 5}, 50),
    "new_counterparty": ({"min_amount": "500", "min_history": 3}, 50),
    "fan_in": (
        {"min_sources": 6, "window_seconds": 1800, "new_senders_only": True},
        60,
    ),
}
SWITCHED_OFF = "Off by default: replaced by rules relative to each payer's history"
REVISED = "Default revised: an established receiver is judged against its own rate"


def revise_default_rules(apps, schema_editor):
    Rule = apps.get_model("transactions_app", "Rule")
    RuleVersion = apps.get_model("transactions_app", "RuleVersion")
    install_default_rules(Rule, RuleVersion)
    current = {row[0]: row for row in DEFAULT_RULES}
    for name, (params, weight) in EARLIER_DEFAULTS.items():
        live = RuleVersion.objects.filter(rule__name=name, status="live").first()
        if not is_untouched_default(live, params, weight):
            continue
        if name in current:
            _, _, new_weight, _, new_params, description = current[name]
            fields = dict(params=new_params, weight=new_weight, enabled=True)
            put_in_force(
                RuleVersion, live, note=REVISED, description=description, **fields
            )
        else:
            put_in_force(RuleVersion, live, note=SWITCHED_OFF, enabled=False)


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0014_alert_outbox")]

    operations = [
        migrations.RunPython(revise_default_rules, migrations.RunPython.noop),
    ]
