"""The default rule on merchant categories, for messages that carry one:
installed live where no rule of its name exists (a database set up before
the enrichment fields); every other rule is left as it is."""

from django.db import migrations

from transactions_app.rules.defaults import install_default_rules


def install_missing_defaults(apps, schema_editor):
    install_default_rules(
        apps.get_model("transactions_app", "Rule"),
        apps.get_model("transactions_app", "RuleVersion"),
    )


class Migration(migrations.Migration):
    dependencies = [("transactions_app", "0017_transaction_enrichment")]

    operations = [
        migrations.RunPython(install_missing_defaults, migrations.RunPython.noop),
    ]
