"""The container health check probes a real web server the way Docker
does: plain http from inside, with a host Django serves."""

import socket

import pytest

from fraudsite.healthcheck import default_url, main, probe, probe_host


def test_the_probe_names_the_first_concrete_allowed_host():
    assert probe_host(["fraud.example.com", "localhost"]) == "fraud.example.com"
    assert probe_host([".example.com"]) == "example.com"
    assert probe_host(["*"]) == "localhost"
    assert probe_host([]) == "localhost"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_healthz_answers_the_probe_over_plain_http_in_production(
    live_server, settings, monkeypatch
):
    """With the https redirect on and only the public host allowed, the
    probe still gets 200; a probe naming another host would be refused."""
    settings.ALLOWED_HOSTS = ["fraud.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    url = f"{live_server.url}/healthz"
    assert probe(url, host="localhost") == 400
    monkeypatch.setenv("ALLOWED_HOSTS", "fraud.example.com")
    assert main([url]) == 0


def test_nothing_listening_is_unhealthy(capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main([f"http://127.0.0.1:{port}/healthz"]) == 1
    assert "did not answer" in capsys.readouterr().err


@pytest.mark.django_db
def test_an_unhealthy_answer_is_unhealthy(live_server, settings, capsys):
    """A page that does not answer 200 (here: an unknown path) fails."""
    assert main([f"{live_server.url}/no-such-page"]) == 1
    assert "answered 404" in capsys.readouterr().err


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_default_url_is_healthz_at_web_port(live_server, monkeypatch):
    """Without a URL the probe asks /healthz on WEB_PORT (8000 when unset),
    so a second checkout's web app on another port is probed, not the
    first one's."""
    monkeypatch.delenv("WEB_PORT", raising=False)
    assert default_url() == "http://127.0.0.1:8000/healthz"
    port = live_server.url.rsplit(":", 1)[1]
    monkeypatch.setenv("WEB_PORT", port)
    assert default_url() == f"http://127.0.0.1:{port}/healthz"
    assert main([]) == 0


def test_a_bad_web_port_is_a_configuration_error(monkeypatch, capsys):
    monkeypatch.setenv("WEB_PORT", "65536")
    assert main([]) == 1
    assert "WEB_PORT must be between 1 and 65535" in capsys.readouterr().err
