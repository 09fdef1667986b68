"""Origins (scheme, host, port): the unit credentials are scoped to.

A token or password is given for one origin and goes to that origin only, whichever
client sends it (the Hub's, the registry's, GitHub's): a redirect, an upload location
or a next-page link to another origin is sent no credentials.
"""

from __future__ import annotations

from urllib.parse import urlsplit

Origin = tuple[str, str, int]
# Each token and the origins it was given for (a Hub token: its endpoint's).
_homes: dict[str, set[Origin]] = {}


def origin(url: str) -> Origin:
    """(scheme, host, port) of ``url``, lowercase, default ports filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def netloc(place: Origin) -> str:
    """``host:port`` of an origin, as messages name it."""
    return f"{place[1]}:{place[2]}"


def bind(token: str | None, url: str) -> None:
    """Record that ``token`` is given for the origin of ``url`` (and may go there)."""
    if token:
        _homes.setdefault(token, set()).add(origin(url))


def homes(token: str) -> set[Origin]:
    """The origins ``token`` was given for; empty when it was given for none."""
    return _homes.get(token, set())
