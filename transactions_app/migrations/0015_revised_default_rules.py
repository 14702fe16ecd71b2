"""The default rules measured on traffic we did not write: the rules that
follow each payer's own history go live, and the two whose fixed amounts
flagged thousands of honest card payments (``amount_anomaly``,
``new_counterparty``) are switched off where they are still the default
first version nobody changed. A rule someone edited is left as it is."""

from django.db import migrations
from django.utils import timezone

from transactions_app.rules.defaults import install_default_rules

RETIRED_DEFAULTS = {
    "amount_anomaly": ({"factor": 8, "min_history": 5}, 50),
    "new_counterparty": ({"min_amount": "500", "min_history": 3}, 50),
}
NOTE = "Off by default: replaced by rules relative to each payer's history"


def revise_default_rules(apps, schema_editor):
    Rule = apps.get_model("transactions_app", "Rule")
    RuleVersion = apps.get_model("transactions_app", "RuleVersion")
    install_default_rules(Rule, RuleVersion)
    for name, (params, weight) in RETIRED_DEFAULTS.items():
        live = RuleVersion.objects.filter(rule__name=name, status="live").first()
        untouched = (
            live is not None
            and live.number == 1
            and live.params == params
            and live.weight == weight
            and live.enabled
        )
        if untouched:
            _switch_off(RuleVersion, live)


def _switch_off(RuleVersion, live) -> None:
    live.status = "retired"
    live.save(update_fields=["status", "updated_at"])
    RuleVersion.objects.create(
        rule=live.rule,
        number=live.number + 1,
        params=live.params,
        weight=live.weight,
        force=live.force,
        enabled=False,
        description=live.description,
        status="live",
        note=NOTE,
        decided_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0014_alert_outbox")]

    operations = [
        migrations.RunPython(revise_default_rules, migrations.RunPython.noop),
    ]
