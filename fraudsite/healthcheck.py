"""``python -m fraudsite.healthcheck [URL]`` — the container health check.

Exits 0 when ``URL`` (default: the web app's ``/healthz`` on this host,
port ``WEB_PORT``, 8000 when unset) answers 200 within five seconds, else 1
with the reason on stderr. The
request carries the first of ``ALLOWED_HOSTS`` as its host: Django refuses
any other, and a probe from inside the container would otherwise be turned
away in production. Settings are not loaded: the probe needs neither the
secret key nor the database.
"""

import sys
import urllib.error
import urllib.request

from fraudsite.env import SettingError, env_list, env_port


def default_url() -> str:
    """``/healthz`` on this host at ``WEB_PORT``, where the web app serves
    (the Procfile's daphne; 8000 in the image)."""
    return f"http://127.0.0.1:{env_port('WEB_PORT', 8000)}/healthz"


def probe_host(allowed_hosts: list[str]) -> str:
    """The host name to send: the first concrete entry of ``allowed_hosts``
    (a leading dot, Django's subdomain wildcard, is dropped), else
    ``localhost``."""
    for entry in allowed_hosts:
        host = entry.lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def probe(url: str, *, host: str, timeout: float = 5.0) -> int:
    """The HTTP status ``url`` answers with ``host`` as its Host header;
    raises ``OSError`` when nothing answers."""
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main(argv: list[str]) -> int:
    try:
        url = argv[0] if argv else default_url()
        host = probe_host(env_list("ALLOWED_HOSTS", "localhost"))
    except SettingError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 1
    try:
        status = probe(url, host=host)
    except OSError as error:
        print(f"unhealthy: {url} did not answer: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
