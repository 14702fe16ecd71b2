"""Fixtures of the live page's browser tests: a daphne server on the
test's database and topics, and a logged-in Chromium page on it."""

import pytest
from django.contrib.auth.models import Permission

from tests.browser.live_page import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD,
    WAIT_MS,
    WebServer,
    production_password,
)


@pytest.fixture(autouse=True)
def orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the tests'
    own database calls are still plain synchronous ones."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def server(settings, kafka_topics):
    web_server = WebServer(settings)
    yield web_server
    web_server.stop()


@pytest.fixture
def web(server):
    return server.url


@pytest.fixture
def page(web, django_user_model):
    from playwright.sync_api import sync_playwright

    analyst = django_user_model(username="analyst", is_staff=True)
    analyst.password = production_password(PASSWORD)
    analyst.save()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.dialogs = []
        page.on(
            "dialog",
            lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()),
        )
        page.goto(web + "/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#connection-state[data-state=live]")
        yield page
        browser.close()


# What the Analyst group grants: reviewing transactions and findings.
ANALYST_PERMISSIONS = (
    "view_transaction",
    "review_transaction",
    "view_typologyfinding",
    "view_findingevent",
)


@pytest.fixture
def analyst(page, django_user_model):
    """The logged-in analyst, with the Analyst group's permissions given
    directly (a test before this one may have flushed the groups)."""
    user = django_user_model.objects.get(username="analyst")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="transactions_app",
            codename__in=ANALYST_PERMISSIONS,
        )
    )
    return user
