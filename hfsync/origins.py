"""Origins (scheme, host, port): the unit credentials are scoped to.

A token or password is given for one origin and goes to that origin only, whichever
client sends it (the Hub's, the registry's, GitHub's): a redirect, an upload location
or a next-page link to another origin is sent no credentials.
"""

from __future__ import annotations

from urllib.parse import urlsplit

Origin = tuple[str, str, int]


def origin(url: str) -> Origin:
    """(scheme, host, port) of ``url``, lowercase, default ports filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def netloc(place: Origin) -> str:
    """``host:port`` of an origin, as messages name it."""
    return f"{place[1]}:{place[2]}"
