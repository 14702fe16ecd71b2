"""The default rules measured on traffic we did not write: the rules that
follow each payer's own history go live; the two whose fixed amounts
flagged thousands of honest card payments (``amount_anomaly``,
``new_counterparty``) are switched off, and ``fan_in`` learns to tell an
established shop from a mule, where each is still the default first
version nobody changed. A rule someone edited is left as it is."""

from django.db import migrations

from transactions_app.rules.defaults import (
    install_default_rules,
    revise_untouched_defaults,
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
    revise_untouched_defaults(
        RuleVersion, EARLIER_DEFAULTS, revised=REVISED, off=SWITCHED_OFF
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0014_alert_outbox")]

    operations = [
        migrations.RunPython(revise_default_rules, migrations.RunPython.noop),
    ]
