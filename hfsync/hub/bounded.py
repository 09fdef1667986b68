"""Bodies read whole from the network, each under a stated limit.

A JSON answer, a token, a manifest or an error page is read into memory, so a server
that never stops sending (by fault or by design) would otherwise decide how much memory
a run takes. Every such read names its limit: past it, reading stops (the connection is
dropped, not drained) and the run fails with the host and the limit. An error page is
only ever read for its message: its first ``ERROR_PAGE`` bytes are enough, the rest is
left unread. File contents are not read here: they stream to disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from hfsync.errors import HfsyncError

KiB = 1024
MiB = 1024 * KiB
ERROR_PAGE = 64 * KiB
# An answer of the Hub read whole (repo info listing every file with its size and digests,
# a page of a listing, a Xet reconstruction, a token): repo info for 100,000 files with their
# LFS digests is about 25 MiB.
HUB_JSON = 64 * MiB


class TooLarge(HfsyncError):
    """A server sent more than hfsync reads for that kind of answer."""


def size_text(limit: int) -> str:
    """``4 MiB``, ``64 KiB``: a limit as people read it (limits are round binary sizes)."""
    for unit, scale in (("MiB", MiB), ("KiB", KiB)):
        if limit >= scale and limit % scale == 0:
            return f"{limit // scale} {unit}"
    return f"{limit:,} bytes"


def host_of(url: str) -> str:
    """The ``host[:port]`` of ``url``, as messages name a server."""
    return urlsplit(url).netloc.rpartition("@")[2] or url


def too_large(url: str, limit: int, what: str) -> TooLarge:
    return TooLarge(
        f"{what}: {host_of(url)} sent more than {size_text(limit)}, the most hfsync reads for that answer; "
        "it stopped reading there",
        hint="The server is not answering as its protocol says (or is not the server meant); check the address.",
    )


def read_capped(chunks: Iterable[bytes], limit: int, url: str, what: str) -> bytes:
    """The whole body from ``chunks``; TooLarge (naming ``url``'s host and ``limit``) as soon as
    it passes ``limit`` bytes, without reading further."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise too_large(url, limit, what)
    return bytes(body)


def head_of(chunks: Iterable[bytes], limit: int = ERROR_PAGE) -> bytes:
    """At most the first ``limit`` bytes of a body whose rest does not matter (an error page)."""
    body = bytearray()
    for chunk in chunks:
        body += chunk[: limit - len(body)]
        if len(body) >= limit:
            break
    return bytes(body)
