"""The limits of hub.bounded on httpx2's responses: a body that stops at its limit.

Apart from hub.bounded, whose plain readers the lean standard-library paths use without
loading httpx2.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2

from hfsync.hub.bounded import ERROR_PAGE, too_large


class Capped(httpx2.SyncByteStream):
    """A response body that stops at ``limit`` bytes: TooLarge there (``cut`` False), or an end
    (``cut`` True: a body nothing reads, such as a redirect's)."""

    def __init__(self, stream: httpx2.SyncByteStream, limit: int, url: str, what: str, cut: bool = False) -> None:
        self.stream, self.limit, self.url, self.what, self.cut = stream, limit, url, what, cut

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self.stream:
            seen += len(chunk)
            if seen > self.limit:
                if self.cut:
                    yield chunk[: self.limit - seen]
                    return
                raise too_large(self.url, self.limit, self.what)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def read_error_page(response: httpx2.Response) -> None:
    """Read the first ``ERROR_PAGE`` bytes of a streamed response read only for its message (so
    that ``hf_raise_for_status`` can word it); the rest is left unread."""
    request = response.request
    response.stream = Capped(response.stream, ERROR_PAGE, str(request.url), "", cut=True)  # type: ignore[arg-type]
    response.read()


def cap_redirect_bodies(response: httpx2.Response) -> None:
    """Event hook: the body of a redirect (read and dropped when it is followed) is read only so far."""
    if response.has_redirect_location:
        request = response.request
        response.stream = Capped(response.stream, ERROR_PAGE, str(request.url), "", cut=True)  # type: ignore[arg-type]
