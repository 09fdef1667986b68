"""Reading a small file of a repo whole, at a commit: a ``model.sig``, a regular file's bytes.

Over the same kept-alive standard-library connections as lock's metadata reads (no
huggingface_hub client to load), retried on the same policy, traced. A file longer than
the caller's limit is refused once the limit is passed: a hostile Hub cannot make a
lock read a huge "signature".
"""

from __future__ import annotations

from hfsync.errors import HubError
from hfsync.hub import trace
from hfsync.hub.client import Hub, translate_errors
from hfsync.hub.content import read_range
from hfsync.hub.reads import Reader, _refuse
from hfsync.hub.retry import RETRY_STATUSES, TransientError
from hfsync.hubfacts import resolve_url

CHUNK = 64 * 1024


def read_small(hub: Hub, repo_id: str, repo_type: str, commit: str, path: str, limit: int) -> bytes:
    """The bytes of ``path`` at ``commit``; HubError when it holds more than ``limit`` bytes."""
    reader = hub.part(Reader)
    if reader.pool is None:  # behind a proxy: huggingface_hub's client knows proxies
        data = read_range(hub, repo_id, repo_type, commit, path, 0, limit + 1)
    else:
        url = resolve_url(hub.endpoint, repo_type, repo_id, commit, path)
        route = url[len(hub.endpoint):]
        pool = reader.pool
        headers = reader.headers_for((repo_type, repo_id))

        def attempt(number: int) -> bytes:
            with pool.get(url, headers, attempt=number) as reply:
                if reply.status in RETRY_STATUSES:
                    raise TransientError(f"HTTP {reply.status}", reply.status, reply.headers)
                if reply.status >= 400:
                    _refuse(reply.status, list(reply.headers.items()), reply.read(), reply.url)
                body = bytearray()
                for chunk in reply.chunks(CHUNK):
                    body += chunk
                    if len(body) > limit:
                        break  # the connection is dropped, not drained
                return bytes(body)

        with translate_errors(f"read {path} of", repo_id):
            data = hub.retry.call(f"{trace.operation_for('GET', route)} (GET {route})", attempt)
    if len(data) > limit:
        raise HubError(f"read {path} of {repo_id}: it holds more than the {limit} bytes it may take")
    return data
