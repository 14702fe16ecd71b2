"""The default rules with a fixed amount besides the tutorial's follow the
scale of each payer's or currency's payments: ``sum_in_window`` also asks
for a total ten times the payer's median, ``card_testing`` also counts the
smallest 1% of the currency's payments as small. The EUR-only currency
allow list is switched off: on a platform paid in several currencies it
put every other currency's payment under review. Each is changed only where
it is still the default first version nobody edited."""

from django.db import migrations

from transactions_app.rules.defaults import revise_untouched_defaults


# The first default version of each revised rule, as earlier releases
# installed it: (params, weight).
EARLIER_DEFAULTS = {
    "sum_in_window": ({"max_total": "10000", "window_seconds": 3600}, 50),
    "card_testing": (
        {"small_amount": "2.00", "min_count": 5, "window_seconds": 600},
        60,
    ),
    "currency_allow_list": ({"currencies": ["EUR"]}, 50),
}
REVISED = "Default revised: its amounts follow the scale of the payer's currency"
SWITCHED_OFF = "Off by default: it flagged every payment in another currency"


def revise_default_rules(apps, schema_editor):
    RuleVersion = apps.get_model("transactions_app", "RuleVersion")
    revise_untouched_defaults(
        RuleVersion, EARLIER_DEFAULTS, revised=REVISED, off=SWITCHED_OFF
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0018_merchant_category_default_rule")]

    operations = [
        migrations.RunPython(revise_default_rules, migrations.RunPython.noop),
    ]
