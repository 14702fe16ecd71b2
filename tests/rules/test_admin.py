"""Managing rules in admin: a bad configuration gets a clear message and is
never stored; a good one becomes a new version."""

import pytest

from transactions_app.models import Rule, RuleVersion

pytestmark = pytest.mark.django_db

ADD = "/admin/transactions_app/rule/add/"


def form(**overrides):
    data = {
        "name": "burst",
        "kind": "velocity",
        "enabled": "on",
        "weight": "40",
        "force": "",
        "description": "",
        "note": "",
        "params": '{"max_count": 3, "window_seconds": 60}',
    }
    return data | overrides


def test_adding_a_rule_records_its_first_version(admin_client, settings):
    settings.RULES_FOUR_EYES = True
    response = admin_client.post(ADD, form(), follow=True)
    assert response.status_code == 200
    version = RuleVersion.objects.get(rule__name="burst")
    assert (version.number, version.status) == (1, RuleVersion.Status.PENDING)
    assert "waits for approval by a second rule manager" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"params": '{"max_count": 3, "window_seconds": -5}'}, "window must be"),
        ({"params": '{"max_count": 3}'}, "missing parameter(s) for velocity"),
        ({"params": "not json"}, "Enter a valid JSON"),
        ({"weight": "0"}, "needs a weight above 0 or a forced outcome"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_with_a_message(
    admin_client, overrides, message
):
    response = admin_client.post(ADD, form(**overrides))
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not Rule.objects.filter(name="burst").exists()


def test_editing_a_rule_makes_a_new_version(admin_client, settings):
    settings.RULES_FOUR_EYES = False
    admin_client.post(ADD, form())
    rule = Rule.objects.get(name="burst")
    change = f"/admin/transactions_app/rule/{rule.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "window_seconds" in page  # the form starts from the live version
    admin_client.post(change, form(params='{"max_count": 7, "window_seconds": 60}'))
    numbers = list(rule.versions.values_list("number", "status", "params"))
    assert sorted(numbers) == [
        (1, "retired", {"max_count": 3, "window_seconds": 60}),
        (2, "live", {"max_count": 7, "window_seconds": 60}),
    ]


def test_disable_action_adds_a_disabled_version(admin_client, settings):
    settings.RULES_FOUR_EYES = False
    rule = Rule.objects.get(name="velocity")
    admin_client.post(
        "/admin/transactions_app/rule/",
        {"action": "disable_rules", "_selected_action": [rule.pk]},
    )
    live = rule.versions.get(status="live")
    assert (live.number, live.enabled) == (2, False)


def test_rule_lists_and_versions_pages_load(admin_client):
    for url in (
        "/admin/transactions_app/rule/",
        "/admin/transactions_app/ruleversion/",
        "/admin/transactions_app/accountlistentry/",
    ):
        assert admin_client.get(url).status_code == 200


def test_account_lists_are_managed_in_admin(admin_client, admin_user):
    """Adding puts the account on the list (recorded with who added it);
    deleting takes it off; an id that could never match is refused."""
    from transactions_app.models import AccountListEntry
    from transactions_app.rules.selectors import account_lists

    url = "/admin/transactions_app/accountlistentry/"
    admin_client.post(
        url + "add/", {"list_name": "block", "account": "BAD123", "note": "chargebacks"}
    )
    entry = AccountListEntry.objects.get()
    assert (entry.account, entry.added_by) == ("BAD123", admin_user)
    assert account_lists() == {"block": frozenset({"BAD123"})}

    refused = admin_client.post(
        url + "add/", {"list_name": "block", "account": "<bad id>"}
    )
    assert "An account id is 1-64 letters" in refused.content.decode()

    admin_client.post(
        url,
        {"action": "delete_selected", "post": "yes", "_selected_action": [entry.pk]},
    )
    assert account_lists() == {}
