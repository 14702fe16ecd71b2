"""The Content-Security-Policy of the project's own pages (the live feed,
the network, the review statistics): scripts and styles from the site
only, nothing inline, no frames, so a value that slipped into the HTML as
markup could still run nothing."""

from functools import wraps

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def content_security_policy(view):
    """Forbid inline and third-party scripts on the page ``view`` renders."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    return wrapped
