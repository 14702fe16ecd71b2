"""The security settings come from the environment: production is the
default, debug relaxes it, a proxy's scheme is believed only when said so,
and an impossible value names itself."""

import json
import subprocess

import pytest

from tests.fresh_process import run_python

pytestmark = pytest.mark.fresh_process

# Variables that change the security settings; cleared so that a test sees
# the defaults, whatever the suite's own environment says.
SECURITY_VARIABLES = {
    "DJANGO_DEBUG",
    "PROXY_COUNT",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_MINUTES",
}
PRODUCTION = {
    "SECRET_KEY": "kq7-5rVb2eXw0N9sJ3mT8yLhD4gC1fAzP6uQoR-iEWcYvKjH_nBtMxUaSdGlZp",
    "ALLOWED_HOSTS": "fraud.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://fraud.example.com",
}


def run_django(args: list[str], **env) -> subprocess.CompletedProcess:
    """Run ``python <args>`` in the project with ``env`` on top of a clean
    copy of this environment."""
    return run_python(args, without=SECURITY_VARIABLES, **env)


SECURITY_SETTINGS = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
]


def security_settings(**env) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {SECURITY_SETTINGS}}}))"
    )
    result = run_django(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_deploy_check_is_clean_with_a_production_environment():
    result = run_django(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_is_the_default_and_debug_relaxes_it():
    """Without DJANGO_DEBUG: https only, secure cookies, a year of HSTS;
    with it: plain http on a laptop."""
    production = security_settings(**PRODUCTION)
    assert production == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "ALLOWED_HOSTS": ["fraud.example.com"],
        "CSRF_TRUSTED_ORIGINS": ["https://fraud.example.com"],
    }
    debug = security_settings(DJANGO_DEBUG="true")
    assert debug["DEBUG"] is True
    assert debug["SECURE_SSL_REDIRECT"] is False
    assert debug["SESSION_COOKIE_SECURE"] is False
    assert debug["CSRF_COOKIE_SECURE"] is False
    assert debug["SECURE_HSTS_SECONDS"] == 0


def test_behind_a_proxy_its_forwarded_scheme_is_believed():
    proxied = security_settings(**PRODUCTION, PROXY_COUNT="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PROXY_COUNT", "-1"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_MINUTES", "-5"),
    ],
)
def test_an_impossible_security_value_names_itself(variable, value):
    result = run_django(["manage.py", "check"], **PRODUCTION, **{variable: value})
    assert result.returncode != 0
    assert f"{variable} must be" in result.stderr


@pytest.mark.django_db
def test_plain_http_is_redirected_except_the_health_check(client, settings):
    """Production redirects http to https; a load balancer still reaches
    /healthz over http, and behind a proxy its X-Forwarded-Proto counts."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/admin/login/", secure=True).status_code == 200
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    assert "max-age=31536000" in proxied["Strict-Transport-Security"]
