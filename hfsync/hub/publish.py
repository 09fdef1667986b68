"""Hub operations of publishing: read a target's remote state, create, set, tag.

Reading a target costs a bounded number of requests whatever its file count: repo
info (twice when the target branch does not exist yet), one recursive tree listing
(paginated), the refs when tags are declared, and a Space's variables. Those reads go
through hub.reads, so a plan with nothing to publish never loads huggingface_hub's client.
Creating a repo, a branch or a tag, and setting visibility, gating, access or a Space's
runtime, is one request each. Commits move file bytes and must publish nothing the plan
did not review: that is hub.commit's Committer, which a Publisher holds as ``commits``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hfsync.environment import offline
from hfsync.errors import HubError, OfflineError
from hfsync.hub.client import Hub, http_error, http_status, refusal, translate_errors
from hfsync.hub.commit import Committer
from hfsync.hub.content import read_range
from hfsync.hub.reads import Reader, card_data
from hfsync.hub.smallfile import read_small
from hfsync.model.remote import MISSING, RemoteFiles, RemoteRepo

if TYPE_CHECKING:
    from huggingface_hub import HfApi

log = logging.getLogger("hfsync.hub")

REPO_PROPERTIES = ("sha", "private", "gated", "cardData")
SPACE_PROPERTIES = ("sha", "private", "cardData", "sdk", "runtime")


class Publisher:
    """The publishing operations on one Hub connection (its commits: ``commits``)."""

    def __init__(self, hub: Hub) -> None:
        if offline():
            # Refused up front: huggingface_hub would raise per request, once per target.
            raise OfflineError(
                f"this run is offline (HF_HUB_OFFLINE is set), and reading or publishing repos "
                f"needs the Hub at {hub.endpoint}; nothing was read or changed",
                hint="Unset HF_HUB_OFFLINE to plan, apply or import. Offline, validate, scan, "
                "pull (what hfsync.lock pins, once downloaded), verify and cache work.",
            )
        self.hub = hub
        self.commits = Committer(hub)
        self.reads = hub.part(Reader)
        self._cards: dict[tuple[str, str, str], bytes] = {}  # README.md bytes read for a card merge, by commit

    @property
    def api(self) -> HfApi:
        """huggingface_hub's client with the personal token, for requests about no one repo."""
        return self.hub.api

    # --- reading -------------------------------------------------------------------

    def head(self, repo_id: str, repo_type: str, revision: str) -> tuple[bool, str | None]:
        """(repo exists, commit of ``revision`` or of the default branch if it is missing)."""
        try:
            with translate_errors("read", repo_id):
                try:
                    return True, self.reads.repo_info(repo_id, repo_type, revision, ["sha"]).get("sha")
                except Exception as error:
                    if refusal(error) != "revision":
                        raise
                    return True, self.reads.repo_info(repo_id, repo_type, None, ["sha"]).get("sha")
        except HubError as error:
            if refusal(error.__cause__) == "repo":
                return False, None
            raise

    def read(
        self,
        repo_id: str,
        repo_type: str,
        revision: str,
        *,
        files: bool = True,
        tags: bool = False,
        variables: bool = False,
        secrets: bool = False,
        access: bool = False,
    ) -> RemoteRepo:
        """The remote state of one target (see the module docstring for its cost)."""
        # Only the properties compared: without `expand` the Hub lists every file again.
        expand = list(SPACE_PROPERTIES if repo_type == "space" else REPO_PROPERTIES)
        with translate_errors("read", repo_id):
            branch_exists = True
            try:
                info = self.reads.repo_info(repo_id, repo_type, revision, expand)
            except Exception as error:
                kind = refusal(error)
                if kind == "repo":
                    return MISSING
                if kind != "revision":
                    raise  # a gated repo exists; this token may not read it
                branch_exists = False
                info = self.reads.repo_info(repo_id, repo_type, None, expand)
            sha = info.get("sha")
            tree = self._tree(repo_id, repo_type, sha) if files and sha else {}
            tag_heads: dict[str, str] = {}
            if tags:
                refs = self.reads.get(f"/api/{repo_type}s/{repo_id}/refs", repo=(repo_type, repo_id)).data
                tag_heads = {t["name"]: t["targetCommit"] for t in refs.get("tags") or ()}
        hardware = sleep_time = paused = stage = None
        if repo_type == "space" and isinstance(runtime := info.get("runtime"), dict):
            asked = runtime.get("hardware") or {}
            hardware = asked.get("requested") or asked.get("current")
            stage = runtime.get("stage")
            sleep_time, paused = runtime.get("gcTimeout"), stage == "PAUSED"
        known_variables = self._variables(repo_id) if variables else None
        return RemoteRepo(
            exists=True,
            head=sha,
            branch_exists=branch_exists,
            private=info.get("private"),
            gated=info.get("gated"),
            sdk=info.get("sdk"),
            hardware=str(hardware) if hardware else None,
            sleep_time=sleep_time,
            paused=paused,
            stage=str(stage) if stage else None,
            variables=known_variables,
            secrets=self._secrets(repo_id) if secrets else None,
            **(self._access(repo_id, repo_type) if access and info.get("gated") else {}),
            card_data=card_data(info.get("cardData"), repo_type),
            files=tree,
            tags=tag_heads,
        )

    def _tree(self, repo_id: str, repo_type: str, commit: str) -> RemoteFiles:
        """Every file at ``commit``: one recursive listing, paginated (Link headers), each page
        kept as a tuple per file as it arrives (no RepoFile objects: building those costs
        more than the request itself for large trees, and only four fields are compared)."""
        path = f"/api/{repo_type}s/{repo_id}/tree/{quote(commit, safe='')}"
        tree = RemoteFiles()
        add = tree.add
        for page in self.reads.each_page(path, [("recursive", "true"), ("expand", "false")],
                                         repo=(repo_type, repo_id)):
            for entry in page:
                if entry.get("type") == "file":
                    lfs = entry.get("lfs")
                    add(entry["path"], entry["size"], entry["oid"], lfs["oid"] if lfs else None)
        return tree

    def _variables(self, repo_id: str) -> dict[str, str] | None:
        try:
            with translate_errors("read Space variables of", repo_id):
                return {k: v.value for k, v in self.hub.api_for("space", repo_id).get_space_variables(repo_id).items()}
        except HubError as error:
            log.info("%s", error.message)
            return None

    def _secrets(self, repo_id: str) -> frozenset[str] | None:
        try:
            with translate_errors("read Space secrets of", repo_id):
                return frozenset(self.hub.api_for("space", repo_id).get_space_secrets(repo_id))
        except HubError as error:
            log.info("%s", error.message)
            return None

    def _access(self, repo_id: str, repo_type: str) -> dict[str, Any]:
        """The users granted access and those waiting, as RemoteRepo fields."""
        api = self.hub.api_for(repo_type, repo_id)
        with translate_errors("list the access requests of", repo_id):
            granted = frozenset(r.username for r in api.list_accepted_access_requests(repo_id, repo_type=repo_type)
                                if r.username)
            pending = tuple(sorted(r.username or r.request_id
                                   for r in api.list_pending_access_requests(repo_id, repo_type=repo_type)))
        return {"granted": granted, "pending": pending}

    def unknown_users(self, names: Sequence[str]) -> list[str]:
        """Those of ``names`` the Hub has no user by (one profile read each; a refusal other than
        "not found" counts as known: apply then says what the Hub says)."""
        unknown = []
        for name in names:
            try:
                with translate_errors(f"read the profile of {name}"):
                    try:
                        self.api.get_user_overview(name)
                    except Exception as error:
                        if http_error(error) and http_status(error) == 404:
                            unknown.append(name)
                            continue
                        raise
            except HubError as error:
                log.info("%s", error.message)
        return unknown

    def access(self, repo_id: str, repo_type: str, user: str, grant: bool) -> None:
        """Grant ``user`` access to a gated repo, or revoke it (the request is rejected)."""
        api = self.hub.api_for(repo_type, repo_id)
        with translate_errors(f"{'grant' if grant else 'revoke'} access of {user} to", repo_id):
            if grant:
                api.grant_access(repo_id, user, repo_type=repo_type)
            else:
                api.reject_access_request(repo_id, user, repo_type=repo_type, rejection_reason=None)

    def identity(self) -> tuple[str, frozenset[str]] | None:
        """(user name, namespaces it may create repos in: itself and its orgs); None without
        a token or when the Hub will not say (the plan goes on without the check)."""
        if not self.hub.token:
            return None
        try:
            with translate_errors("whoami"):
                me = self.api.whoami()
        except HubError as error:
            log.debug("whoami: %s", error)
            return None
        name = me.get("name") or ""
        return name, frozenset({name, *(o.get("name") for o in me.get("orgs") or () if o.get("name"))})

    def readme(self, repo_id: str, repo_type: str, commit: str, limit: int) -> str | None:
        """The remote README.md text at ``commit``, or None when there is none; HubError when
        it holds more than ``limit`` bytes (no more than that is read)."""
        from huggingface_hub.errors import EntryNotFoundError

        try:
            data = read_small(self.hub, repo_id, repo_type, commit, "README.md", limit)
        except HubError as error:
            if isinstance(error.__cause__, EntryNotFoundError):
                return None
            raise
        self._cards[(repo_type, repo_id, commit)] = data
        return data.decode("utf-8")

    def read_range(self, repo_id: str, repo_type: str, commit: str, path: str, start: int, length: int) -> bytes:
        """``length`` bytes of ``path`` at ``commit`` from ``start``: a card read for its merge is not read again
        for its diff."""
        held = self._cards.get((repo_type, repo_id, commit)) if path == "README.md" else None
        if held is not None:
            return held[start:start + length]
        return read_range(self.hub, repo_id, repo_type, commit, path, start, length)

    # --- writing -------------------------------------------------------------------

    def create_repo(self, repo_id: str, repo_type: str, private: bool | None, sdk: str | None) -> bool:
        """Create the repo; False when it exists already (left as it is)."""
        with translate_errors("create", repo_id):
            try:
                api = self.hub.api_for(repo_type, repo_id)
                api.create_repo(repo_id, repo_type=repo_type, private=private, space_sdk=sdk)
            except Exception as error:
                if not http_error(error) or http_status(error) != 409:
                    raise
                return False
        return True

    def update_settings(
        self, repo_id: str, repo_type: str, *, private: bool | None = None, gated: str | bool | None = None
    ) -> None:
        """Set the repo's visibility and gating (``None``: leave it as it is)."""
        with translate_errors("update settings of", repo_id):
            # gated is "auto", "manual" or False: the manifest's schema admits no other value.
            self.hub.api_for(repo_type, repo_id).update_repo_settings(repo_id, repo_type=repo_type, private=private,
                                                               gated=gated)  # type: ignore[arg-type]

    def space_hardware(self, repo_id: str, hardware: str) -> None:
        with translate_errors("request hardware for", repo_id):
            # The Hub judges the hardware name (the client types it as its own enum of today's flavours).
            self.hub.api_for("space", repo_id).request_space_hardware(repo_id, hardware)  # type: ignore[arg-type]

    def space_runtime(self, repo_id: str, setting: str, value: object) -> None:
        """Set ``sleep_time`` (seconds; -1 never) or ``paused`` (True pauses, False restarts)."""
        api = self.hub.api_for("space", repo_id)
        with translate_errors(f"set {setting} of", repo_id), warnings.catch_warnings():
            # The client warns that free hardware ignores a sleep time; the plan says it in words.
            warnings.simplefilter("ignore", UserWarning)
            if setting == "sleep_time":
                api.set_space_sleep_time(repo_id, int(value))  # type: ignore[call-overload]
            elif value:
                api.pause_space(repo_id)
            else:
                api.restart_space(repo_id)

    def space_value(self, repo_id: str, kind: str, key: str, value: str | None) -> None:
        """Set a Space ``kind`` ("variable" or "secret"), or delete it (``value`` None). A secret's
        value goes in the request body only: never in a message, a log line or a trace."""
        api = self.hub.api_for("space", repo_id)
        with translate_errors(f"{'set' if value is not None else 'delete'} a Space {kind} of", repo_id):
            if value is None:
                getattr(api, f"delete_space_{kind}")(repo_id, key)
            else:
                getattr(api, f"add_space_{kind}")(repo_id, key, value)

    def create_branch(self, repo_id: str, repo_type: str, branch: str, start: str | None) -> None:
        """Create ``branch`` at ``start`` (the default branch's head when None), unless it exists."""
        with translate_errors(f"create branch {branch} of", repo_id):
            self.hub.api_for(repo_type, repo_id).create_branch(repo_id, branch=branch, revision=start,
                                                               repo_type=repo_type, exist_ok=True)

    def create_tag(self, repo_id: str, repo_type: str, tag: str, revision: str) -> None:
        """Tag ``revision`` as ``tag``, unless the tag exists."""
        with translate_errors(f"create tag {tag} of", repo_id):
            self.hub.api_for(repo_type, repo_id).create_tag(repo_id, tag=tag, revision=revision, repo_type=repo_type,
                                                     exist_ok=True)
