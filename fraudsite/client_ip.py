"""The address of the client behind a request, for login throttling.

django-axes counts failed logins per username and client address; behind a
reverse proxy every request comes from the proxy, so the address must be
read from ``X-Forwarded-For`` — but only as far as trusted proxies wrote it.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address of ``request``.

    With ``PROXY_COUNT`` 0 that is the connection's peer (``REMOTE_ADDR``);
    a ``X-Forwarded-For`` header is ignored, since the client could have
    written it. Behind N proxies that each append the address they were
    connected from, the last N entries are theirs and the client is the N-th
    from the right; anything further left is the client's own claim. A
    header shorter than N means a proxy did not append: the peer address is
    used rather than a value the client might control.
    """
    peer = request.META.get("REMOTE_ADDR")
    return forwarded_client(
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        proxy_count=settings.PROXY_COUNT,
        peer=peer,
    )


def forwarded_client(header: str, *, proxy_count: int, peer: str | None) -> str | None:
    """The client address from an ``X-Forwarded-For`` value written by
    ``proxy_count`` trusted proxies, or ``peer`` when that cannot be told."""
    if proxy_count <= 0:
        return peer
    addresses = [part.strip() for part in header.split(",") if part.strip()]
    if len(addresses) < proxy_count:
        return peer
    return addresses[-proxy_count]
