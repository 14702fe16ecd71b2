"""Model versions in admin: read only, their validation shown, decided on
by actions that go through the services (four-eyes approval, shadow, roll
back), and no decision for one without the permission."""

import pytest
from django.contrib.auth.models import Group, Permission

from transactions_app.models import ModelVersion
from transactions_app.scoring.services import model_version_record

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/transactions_app/modelversion/"


def act(client, action, *versions):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [v.pk for v in versions]},
        follow=True,
    ).content.decode()


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user("mia", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Rule manager"))
    client.force_login(user)
    return user


def test_a_version_shows_its_validation_and_cannot_be_edited(admin_client, model):
    version = model_version_record(model=model, source="file <b>x</b>.jsonl")
    page = admin_client.get(f"{CHANGELIST}{version.pk}/change/").content.decode()
    assert "average precision: " in page
    assert "false-positive rate: " in page
    assert "file &lt;b&gt;x&lt;/b&gt;.jsonl" in page  # as text
    assert 'name="_save"' not in page
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_four_eyes_refuses_the_trainer_and_lets_a_second_person_approve(
    settings, client, manager, admin_user, model
):
    settings.RULES_FOUR_EYES = True
    mine = model_version_record(model=model, source="test", author=manager)
    page = act(client, "approve", mine)
    assert "a second person must decide on it" in page
    theirs = model_version_record(model=model, source="test", author=admin_user)
    assert "Model v2 is in force." in act(client, "approve", theirs)
    assert ModelVersion.objects.get(status="live") == theirs


def test_shadow_then_roll_back(settings, client, manager, admin_user, model):
    settings.RULES_FOUR_EYES = True
    first, second = (
        model_version_record(model=model, source="test", author=admin_user)
        for _ in range(2)
    )
    act(client, "approve", first)
    assert "scores live traffic in shadow" in act(client, "shadow", second)
    assert "Choose one version" in act(client, "shadow", first, second)
    page = act(client, "roll_back", first)
    assert "Rolled back: no model is in force now." in page


def test_without_the_permission_there_is_no_decision(client, django_user_model, model):
    viewer = django_user_model.objects.create_user("vic", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    client.force_login(viewer)
    version = model_version_record(model=model, source="test")
    page = client.get(CHANGELIST).content.decode()
    assert "Approve the selected version" not in page
    act(client, "approve", version)
    version.refresh_from_db()
    assert version.status == "pending"
