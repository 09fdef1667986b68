"""Reading part of a file on the Hub: the first bytes, or a byte range, at a commit.

What a reviewer's diff needs from the Hub's copy of a changed file: a text file whole
(small by then), a safetensors or GGUF header from its first bytes. One HTTP Range
request per read (the resolve URL, redirects followed as the client does; a connection
broken mid-body is retried under the Hub's policy); a server
that ignores Range is read only as far as asked, then the connection is dropped, so a
read never costs much more bytes than it asked for: one whose asked bytes start far into
the file (a Parquet footer) is refused.
"""

from __future__ import annotations

from hfsync.errors import HfsyncError
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.retry import TransientError, transient_errors
from hfsync.hubfacts import resolve_url

CHUNK = 64 * 1024


def read_range(hub: Hub, repo_id: str, repo_type: str, commit: str, path: str, start: int, length: int) -> bytes:
    """``length`` bytes of ``path`` at ``commit`` from offset ``start`` (fewer at the end of the file).

    A connection broken while the body arrives is retried under the Hub's policy, as every
    other read is (the client retries a failed request itself, not a body cut short)."""
    if length <= 0:
        return b""
    from huggingface_hub.utils import hf_raise_for_status

    from hfsync.hub.boundedstream import read_error_page

    url = resolve_url(hub.endpoint, repo_type, repo_id, commit, path)
    headers = hub.headers(repo_type, repo_id, {"Accept-Encoding": "identity",
                                               "Range": f"bytes={start}-{start + length - 1}"})

    def attempt(number: int) -> bytes:
        with hub.session().stream("GET", url, headers=headers) as response:
            if response.status_code == 416:
                return b""  # asked past the end of the file
            if response.status_code >= 400:
                read_error_page(response)
                hf_raise_for_status(response)
            skip = start if response.status_code == 200 else 0  # Range ignored: the whole file comes
            if skip > max(length, CHUNK):
                # Reaching the asked bytes would cost more than they do (a footer at the end of
                # a large file: all of it): refused rather than read.
                raise HfsyncError(f"the Hub answered a Range request for {path} with the whole file; "
                                  f"not read ({start:,} bytes would be dropped to reach the {length:,} asked for)")
            data = bytearray()
            try:
                for chunk in response.iter_raw(CHUNK):
                    if skip:
                        dropped = min(skip, len(chunk))
                        chunk, skip = chunk[dropped:], skip - dropped
                    data += chunk
                    if len(data) >= length:
                        break
            except transient_errors() as error:
                raise TransientError(f"{type(error).__name__}: {error}") from error
            return bytes(data[:length])

    operation = f"read {path} of {repo_id}"
    with translate_errors(operation):
        return hub.retry.call(operation, attempt)


def read_head(hub: Hub, repo_id: str, repo_type: str, commit: str, path: str, length: int) -> bytes:
    """The first ``length`` bytes of ``path`` at ``commit`` (the whole file when it is shorter)."""
    return read_range(hub, repo_id, repo_type, commit, path, 0, length)
