"""The default rule set, live from the start, and the Rule manager group."""

from django.db import migrations

from transactions_app.rules.defaults import install_default_rules

RULE_MANAGER_PERMISSIONS = [
    "view_rule", "add_rule", "change_rule",
    "view_ruleversion", "approve_ruleversion",
    "view_accountlistentry", "add_accountlistentry", "change_accountlistentry",
    "delete_accountlistentry",
    "view_transaction",
]


def create_default_rules(apps, schema_editor):
    install_default_rules(
        apps.get_model("transactions_app", "Rule"),
        apps.get_model("transactions_app", "RuleVersion"),
    )


def create_rule_manager_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("transactions_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Rule manager")
    group.permissions.add(*Permission.objects.filter(
        content_type__app_label="transactions_app",
        codename__in=RULE_MANAGER_PERMISSIONS,
    ))


class Migration(migrations.Migration):
    dependencies = [
        ("transactions_app", "0002_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_default_rules, migrations.RunPython.noop),
        migrations.RunPython(create_rule_manager_group, migrations.RunPython.noop),
    ]
