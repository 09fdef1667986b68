"""One commit of planned files: the bytes checked against the plan, uploaded, committed.

Uploads go through huggingface_hub's commit API, so preupload, LFS negotiation and
"the Hub already has these bytes" are the client's and the Hub's business. What is
committed is exactly what the plan hashed: files sent inside the commit are read once
and checked against the planned digest before they are sent; files uploaded beforehand
(LFS, Xet) are checked again once uploaded, before the commit that publishes them. When
tokens expire, the files go up in parts, each with a fresh token.

Apart from hub.publish, whose Publisher makes its commits through this Committer: the
rest of publishing reads a target and sets its settings with one request each, while a
commit moves file bytes, counts them, and must publish nothing the plan did not review.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hfsync.errors import STALE_HINT, HubError, StalePlanError
from hfsync.hub.client import Hub, http_error, http_status, hub_text, translate_errors
from hfsync.hub.internals import remember_each_xorb, upload_mode

if TYPE_CHECKING:
    from huggingface_hub import CommitInfo, CommitOperationAdd, CommitOperationDelete, HfApi

T = TypeVar("T")

UPLOAD_PART = 2 * 1024**3  # bytes uploaded with one token, when tokens expire (see Committer._parts)


@dataclass(frozen=True)
class Upload:
    """One file of a commit: from disk (``local``) or generated (``content``)."""

    path: str
    sha256: str
    local: Path | None = None
    content: bytes | None = None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _changed(repo_id: str, path: str) -> StalePlanError:
    return StalePlanError(
        f"plan is stale: {repo_id}: {path} changed since the plan; nothing was committed.",
        hint=STALE_HINT,
    )


def _refusal(error: ValueError) -> str:
    """Why the Hub refused a card: the client lists its errors under its first line, else the
    server's message."""
    reasons = [line.removeprefix("- ") for line in str(error).splitlines()[1:] if line not in ("", "- None")]
    server = getattr(error.__cause__, "server_message", None)
    return "; ".join(reasons) or str(server or "no reason given").strip()


class Committer:
    """Commits to the repos of one Hub connection, and what each commit sent."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.sent: dict[str, int] = {}  # per commit made: bytes sent to the Hub for it
        self.pull_requests: dict[str, int] = {}  # per commit that opened a pull request: its number
        remember_each_xorb()  # a rerun after a kill sends only the xorbs not yet uploaded

    def _api(self, repo_type: str, repo_id: str) -> HfApi:
        """huggingface_hub's client with the token for requests about one repo."""
        return self.hub.api_for(repo_type, repo_id)

    def commit(
        self,
        repo_id: str,
        repo_type: str,
        branch: str,
        uploads: Sequence[Upload],
        deletes: Sequence[str],
        *,
        message: str,
        description: str,
        parent: str | None,
        create_pr: bool = False,
    ) -> str:
        """Make ONE commit on ``branch`` (a branch, or a pull request's ``refs/pr/N``); return
        its oid. Stale ``parent`` -> StalePlanError. ``create_pr``: the commit opens a pull
        request against ``branch`` instead (its number in ``self.pull_requests[oid]``)."""
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        from hfsync.hub.xetsent import counting

        adds: list[CommitOperationAdd] = []
        for upload in uploads:
            source = upload.content if upload.content is not None else str(upload.local)
            operation = CommitOperationAdd(path_in_repo=upload.path, path_or_fileobj=source)
            # The client hashes the file once more to upload it: that is the content that
            # will be published, so it must still be what the plan reviewed.
            if operation.upload_info.sha256.hex() != upload.sha256:
                raise _changed(repo_id, upload.path)
            adds.append(operation)
        # Large files go to the storage here, before the commit: hf_xet's count of what it sent
        # (after dedup) must cover this step, or a small edit reads as the whole file sent.
        with translate_errors("commit to", repo_id), counting() as xet:
            for part in self._parts(adds):
                # Each part with the repo's token as it is then: a token that expires (one
                # exchanged in CI lasts an hour) is renewed between parts, and hf_xet, which
                # renews its storage token with the Hub token it was given, is given a fresh one.
                api = self._api(repo_type, repo_id)
                self._transfer(repo_id, functools.partial(api.preupload_lfs_files, repo_id, part,
                                                          repo_type=repo_type, revision=branch))
        api = self._api(repo_type, repo_id)
        for upload, operation in zip(uploads, adds, strict=True):
            if upload.local is None:
                continue
            # "regular" files travel inside the commit request: send the bytes checked here.
            # The others went up just now: their file must still be what the plan hashed.
            if upload_mode(operation) == "regular":
                data = upload.local.read_bytes()
                if hashlib.sha256(data).hexdigest() != upload.sha256:
                    raise _changed(repo_id, upload.path)
                operation.path_or_fileobj = data
            elif _sha256_of(upload.local) != upload.sha256:
                raise _changed(repo_id, upload.path)
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            *adds, *(CommitOperationDelete(path_in_repo=path) for path in deletes)]
        with translate_errors("commit to", repo_id), counting() as late:
            try:
                info = self._create_commit(
                    api,
                    repo_id,
                    operations,
                    commit_message=message,
                    commit_description=description,
                    repo_type=repo_type,
                    revision=branch,
                    parent_commit=parent,
                    create_pr=create_pr,
                )
            except Exception as error:
                if http_error(error) and http_status(error) == 412:
                    raise StalePlanError(
                        f"plan is stale: {repo_id}: {branch} moved on the Hub during apply "
                        f"(expected at {(parent or '')[:7]}); nothing was committed.",
                        hint=STALE_HINT,
                    ) from error
                if isinstance(error, ValueError) and str(error).startswith("Invalid metadata in README.md"):
                    raise HubError(f"commit to {repo_id}: the Hub refuses README.md's metadata ("
                                   f"{_refusal(error)}); nothing was committed; fix its front matter and apply "
                                   "again") from error
                raise
        if info.pr_num is not None:
            self.pull_requests[info.oid] = info.pr_num
        # The commit payload carries regular files; LFS files went up through Xet (counted
        # by hf_xet, after dedup) or, on the legacy path, whole.
        xet.commits.extend(late.commits)  # any the commit call uploaded itself
        lfs = 0 if xet.used else sum(op.upload_info.size for op in operations
                                     if isinstance(op, CommitOperationAdd) and upload_mode(op) == "lfs")
        self.sent[info.oid] = xet.bytes + lfs + sum(
            op.upload_info.size for op in operations
            if isinstance(op, CommitOperationAdd) and upload_mode(op) == "regular")
        return info.oid

    def _parts(self, adds: list[CommitOperationAdd]) -> list[list[CommitOperationAdd]]:
        """The files to upload in parts of UPLOAD_PART bytes when tokens expire, else in one."""
        if not self.hub.credentials.expires:
            return [list(adds)]
        parts: list[list[CommitOperationAdd]] = [[]]
        size = 0
        for add in adds:
            if parts[-1] and size + add.upload_info.size > UPLOAD_PART:
                parts.append([])
                size = 0
            parts[-1].append(add)
            size += add.upload_info.size
        return parts

    def _create_commit(self, api: HfApi, repo_id: str, operations: list[CommitOperationAdd | CommitOperationDelete],
                       **kwargs: Any) -> CommitInfo:
        import httpx2

        try:
            return self._transfer(repo_id, lambda: api.create_commit(repo_id, operations, **kwargs))
        except (httpx2.TransportError, json.JSONDecodeError, UnicodeDecodeError) as error:
            # The request went out whole: the Hub may have made the commit before its answer broke.
            raise HubError(
                f"commit to {repo_id}: the Hub's answer was lost ({type(error).__name__}); the commit may "
                "have landed: run `hfsync plan` or `hfsync apply` again, a rerun sees what landed and converges "
                "(a saved plan is then stale if it did)."
            ) from error

    def _transfer(self, repo_id: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except RuntimeError as error:
            # The client wraps a failed LFS transfer in a RuntimeError naming the file.
            cause = error.__cause__
            if isinstance(cause, OSError) or (cause is not None and http_error(cause)):
                said = " ".join(hub_text(cause).split())[:300] or type(cause).__name__
                raise HubError(f"commit to {repo_id}: {error} The Hub answered: {said}") from error
            raise
