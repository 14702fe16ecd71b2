"""The admin login is throttled: after AXES_FAILURE_LIMIT wrong passwords
for one username from one address, that pair is refused until the cool-off
has passed or an admin resets it. Every attempt goes through the real admin
login view, django-axes and the database."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a-Long-test-passw0rd"
LOCKED = "Account locked: too many login attempts"


@pytest.fixture
def staff():
    """Two staff users who may log in to admin."""
    users = get_user_model().objects
    return [
        users.create_user(name, password=PASSWORD, is_staff=True)
        for name in ("alice", "bob")
    ]


def log_in(client, username, password, **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        **headers,
    )


def lock_out(client, username, **headers):
    """Send AXES_FAILURE_LIMIT wrong passwords; return the last response."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, username, "wrong", **headers)
    return response


def assert_logged_in(response):
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def assert_locked_out(response):
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_defaults_lock_after_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


def test_failures_below_the_limit_do_not_lock(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "alice", "wrong")
        assert response.status_code == 200
    assert_logged_in(log_in(client, "alice", PASSWORD))


def test_the_limit_locks_out_even_the_right_password(client, staff):
    assert_locked_out(lock_out(client, "alice"))
    assert AccessAttempt.objects.get(username="alice").failures_since_start == (
        settings.AXES_FAILURE_LIMIT
    )
    assert_locked_out(log_in(client, "alice", PASSWORD))


def test_another_user_and_another_address_are_unaffected(client, staff):
    lock_out(client, "alice")
    assert_logged_in(log_in(client, "bob", PASSWORD))
    client.logout()
    assert_logged_in(log_in(client, "alice", PASSWORD, REMOTE_ADDR="192.0.2.7"))


def test_a_forged_forwarded_header_does_not_escape_the_lockout(client, staff):
    """Without trusted proxies X-Forwarded-For is the client's own claim."""
    lock_out(client, "alice")
    response = log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert_locked_out(response)


def test_behind_a_proxy_clients_are_told_apart_by_forwarded_address(
    client, staff, settings
):
    settings.PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    lock_out(client, "alice", HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    assert_locked_out(
        log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    )
    assert_logged_in(
        log_in(client, "alice", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6", **proxy)
    )


def test_the_lockout_ends_after_the_cool_off(client, staff):
    lock_out(client, "alice")
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME
    )
    assert_logged_in(log_in(client, "alice", PASSWORD))


def test_axes_reset_lifts_the_lockout(client, staff):
    lock_out(client, "alice")
    call_command("axes_reset")
    assert not AccessAttempt.objects.exists()
    assert_logged_in(log_in(client, "alice", PASSWORD))
