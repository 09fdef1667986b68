"""The parts of huggingface_hub and hf_xet that are not their public API, in one place.

Any release of the client may rename or drop them, so pyproject.toml bounds
huggingface_hub to the major version tested and tests/hub/test_internals.py names each
one and checks that the installed client has it. hf_xet is huggingface_hub's dependency,
not hfsync's: what hfsync reads of it directly is here too. Each import is made on
first use, as at the call sites before: a command that never pages commits or reads Xet
storage does not load those modules.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def paginate(url: str, headers: dict[str, str]) -> Iterable[Any]:
    """The items of a paginated listing (``Link: rel="next"``), through the shared client."""
    from huggingface_hub.utils._pagination import paginate as pages

    return pages(url, params={}, headers=headers)


def xet_read_refresh_url(repo_id: str, repo_type: str, commit: str, endpoint: str) -> str:
    """The Hub route that hands out a read token for a repo's Xet storage at ``commit``."""
    from huggingface_hub.utils._xet import XetTokenType, xet_connection_info_refresh_url

    return xet_connection_info_refresh_url(token_type=XetTokenType.READ, repo_id=repo_id, repo_type=repo_type,
                                           revision=commit, endpoint=endpoint)


def xet_session_factory() -> Callable[[], Any]:
    """The function the client calls for its hf_xet session when it uploads."""
    from huggingface_hub.utils import _xet

    return _xet.get_xet_session


def set_xet_session_factory(factory: Callable[[], Any]) -> None:
    """Make the client's uploads take their hf_xet session from ``factory``."""
    from huggingface_hub.utils import _xet

    _xet.get_xet_session = factory


def xet_commit_bytes(commit: Any, report: Any | None = None) -> int:
    """Bytes an hf_xet upload commit sent: from its report (``wait_to_finish``) the xorbs as
    uploaded, after dedup and compression, and the shards; without one, from its progress,
    which counts the new chunks before compression."""
    if report is not None:
        return int(report.dedup_metrics.total_bytes_uploaded)
    progress = commit.progress()
    sent = progress.total_transfer_bytes_completed
    if progress.shard is not None:
        sent += progress.shard.total_shard_bytes_upload_completed
    return int(sent)


def xet_hash_file(path: Path) -> str:
    """The Xet hash of a local file, computed natively by hf_xet."""
    import hf_xet

    return hf_xet.hash_files([str(path)])[0].hash


def request_event_hook() -> Callable[..., Any]:
    """The client's own request hook (its headers, X-Amzn-Trace-Id), for a client built by hfsync."""
    from huggingface_hub.utils._http import hf_request_event_hook

    return hf_request_event_hook


def default_client_factory() -> Callable[[], Any]:
    """The client's own HTTP client factory, to give it back."""
    from huggingface_hub.utils._http import default_client_factory as factory

    return factory


def exchange_oidc_token(id_token: str, resource: str, endpoint: str) -> Any:
    """The Hub's answer (``access_token``, ``expires_in``) to exchanging a CI job's OIDC id token
    for a token of ``resource`` (RFC 8693, POST /oauth/token)."""
    from huggingface_hub import _oidc

    return _oidc.exchange_oidc_token(subject_token=id_token, resource=resource, endpoint=endpoint)


def github_oidc_token(audience: str) -> str:
    """An OIDC id token for ``audience`` from GitHub Actions (its id-token request)."""
    from huggingface_hub import _oidc

    return _oidc.get_oidc_token(provider=_oidc.Provider.GITHUB, audience=audience)


def upload_mode(operation: Any) -> str | None:
    """How the Hub asked for a commit's added file: "regular" (inside the commit) or "lfs"
    (uploaded beforehand); None before preupload has asked."""
    return getattr(operation, "_upload_mode", None)


# hf_xet writes down each xorb it finished uploading, so that a later session resumes
# after it, but by default only every 20 s or 64 xorbs: a process killed in between
# forgets every xorb it sent since, and the rerun sends them again.
XORB_MEMORY = "HF_XET_SESSION_XORB_METADATA_FLUSH_MAX_COUNT"


def remember_each_xorb() -> None:
    """Have hf_xet record every xorb as soon as it is uploaded (unless the user chose
    otherwise); read when its session starts, so called before the first upload."""
    os.environ.setdefault(XORB_MEMORY, "1")
