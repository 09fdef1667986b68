"""Trusted Publishers: one short-lived Hub token per target repo, exchanged from the CI job's OIDC id token.

With no token configured, a job that can have an OIDC id token (GitHub Actions with
``permissions: id-token: write``, or any provider's id token in ``HF_OIDC_ID_TOKEN``) gets,
for each repo this run publishes to, a token that writes to that repo only and lasts an
hour (``POST {endpoint}/oauth/token``, RFC 8693). Each is used for its repo's requests only,
kept in memory only, registered as a secret (never printed, traced or saved), and exchanged
again before it expires, or at once when the Hub refuses it (a 401 on a request that can be
sent again: hub.session asks ``renewed``). Repos the run does not publish to are read with no
token, or, when a Hub user is named, with the read-only ``gated-repos`` token of that user's
publisher (``lock`` and ``pull`` of gated base models).

huggingface_hub's private ``_oidc`` module (the GitHub id-token request and the exchange)
is reached through hub.internals.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hfsync.errors import HubError
from hfsync.hub.bounded import TooLarge
from hfsync.hub.client import Credentials, Hub, hub_text, translate_errors
from hfsync.hub.internals import exchange_oidc_token, github_oidc_token
from hfsync.hub.retry import Retry
from hfsync.log import register_secret

ID_TOKEN_VAR = "HF_OIDC_ID_TOKEN"  # huggingface_hub's name for an id token minted by the job itself
GITHUB_VARS = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
REFRESH_MARGIN = 300.0  # a token is exchanged again this long before it expires (a quarter of shorter lives)
ID_TOKEN_MARGIN = 60.0
PREFETCH = 8  # exchanges in flight at once  # an id token is minted again when it has less than this left
SETTINGS_CLAIMS = ("repository", "ref", "workflow", "environment")
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}


def available(env: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Whether this job can have an OIDC id token: given, or from GitHub Actions."""
    return bool(env.get(ID_TOKEN_VAR)) or all(env.get(name) for name in GITHUB_VARS)


def connect(endpoint: str | None, token: str | None, user: str | None = None, *, retry: Retry | None = None) -> Hub:
    """The Hub with the token given or found (``--token``, ``HF_TOKEN``, ``hf auth login``); with
    none and an id token to be had, with Trusted Publishers' tokens (``user``: the Hub user whose
    CI/CD access publisher gives the read-only token for repos not published to). ``retry``: the
    policy of its requests (the shared one when None)."""
    hub = Hub(endpoint, token, retry=retry)
    if hub.token is None and available():
        hub.credentials = TrustedPublishing(hub.endpoint, user)
    return hub


def resource_of(repo_type: str, repo_id: str) -> str:
    """The exchange's ``resource`` for a repo: ``ns/name``, ``datasets/ns/name``, ``spaces/ns/name``."""
    return PREFIX[repo_type] + repo_id


def claims_of(id_token: str) -> dict:
    """The claims of an id token, read without checking it (the Hub checks it): for messages only."""
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass
class _Issued:
    token: str
    renew_at: float  # monotonic
    expires_at: float  # monotonic


class TrustedPublishing(Credentials):
    """Credentials that exchange the job's id token for one token per repo published to."""

    expires = True

    def __init__(self, endpoint: str, user: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(None)
        self.endpoint = endpoint.rstrip("/")
        self.user = user
        self.exchanges = 0
        self._clock = clock
        self._targets: set[tuple[str, str]] = set()
        self._issued: dict[str, _Issued] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._minting = threading.Lock()
        self._failed: dict[str, Exception] = {}
        self._mint_failed: HubError | None = None
        self._prefetch: ThreadPoolExecutor | None = None
        self._id_token: tuple[str, float] | None = None  # (id token, its exp in wall-clock seconds)

    def publishes(self) -> bool:
        return True

    def publishing(self, repos: Iterable[tuple[str, str]]) -> None:
        with self._lock:
            new = [r for r in dict.fromkeys(repos) if r not in self._targets]
            self._targets.update(new)
            if new and self._prefetch is None:
                self._prefetch = ThreadPoolExecutor(PREFETCH, thread_name_prefix="hfsync-oidc")
        # Exchanged all at once, while the caller reads the manifests and hashes files: each
        # target's first request finds its token ready instead of waiting for its exchange.
        for repo in new:
            self._prefetch.submit(self._prefetched, resource_of(*repo), repo)  # type: ignore[union-attr]  # made above when new

    def _prefetched(self, resource: str, repo: tuple[str, str]) -> None:
        try:
            self._token(resource, repo)
        except Exception as error:  # said when the target's first request asks for its token
            with self._lock:
                self._failed[resource] = error

    def token_for(self, repo_type: str, repo_id: str) -> str | None:
        if (repo_type, repo_id) in self._targets:
            return self._token(resource_of(repo_type, repo_id), (repo_type, repo_id))
        return self._token(self.user, None) if self.user else None

    def renewed(self, refused: str) -> str | None:
        """A new token for the resource whose token the Hub refused (401), or None if not one of ours."""
        with self._lock:
            resource = next((r for r, issued in self._issued.items() if issued.token == refused), None)
            if resource is None:
                return None
            del self._issued[resource]
        return self._token(resource, _repo_of(resource) if resource != self.user else None)

    # -- one resource's token ---------------------------------------------------------

    def _token(self, resource: str, repo: tuple[str, str] | None) -> str:
        with self._lock:
            lock = self._locks.setdefault(resource, threading.Lock())
        with lock:  # one exchange per resource at a time; the others wait for its token
            failed = self._failed.get(resource)
            if failed is not None:
                raise failed  # refused once is refused for this run: not asked again
            issued = self._issued.get(resource)
            if issued is None or self._clock() >= issued.renew_at:
                issued = self._exchange(resource, repo)
                with self._lock:
                    self._issued[resource] = issued
            return issued.token

    def _exchange(self, resource: str, repo: tuple[str, str] | None) -> _Issued:
        from huggingface_hub.errors import BadRequestError

        from hfsync.hub import session

        # Loaded with the first exchange, not before: a run that needs no token starts without it.
        session.install()  # the exchange goes through huggingface_hub's client: retried and traced
        session.renew_with(self)

        id_token = self._subject_token()
        start = self._clock()
        try:
            with translate_errors(f"exchange this job's OIDC id token for a token of {resource}"):
                try:
                    answer = exchange_oidc_token(id_token, resource, self.endpoint)
                except BadRequestError as error:
                    raise self._refusal(error, resource, repo, id_token) from None
        finally:
            self.exchanges += 1
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise HubError(f"exchange for {resource}: the Hub's answer holds no access_token.")
        register_secret(token)
        lifetime = float(answer.get("expires_in") or 3600)
        margin = min(REFRESH_MARGIN, lifetime / 4)
        return _Issued(token, start + lifetime - margin, start + lifetime)

    def _subject_token(self) -> str:
        """The job's id token: HF_OIDC_ID_TOKEN as given, else one from GitHub Actions, minted
        again when the one held is about to expire (GitHub's last minutes, the Hub's tokens an hour)."""
        given = os.environ.get(ID_TOKEN_VAR)
        if given:
            register_secret(given)
            return given
        with self._minting:  # one id token for the exchanges in flight together
            held = self._id_token
            if held is not None and time.time() < held[1] - ID_TOKEN_MARGIN:
                return held[0]
            if self._mint_failed is not None:
                raise self._mint_failed  # GitHub refused once: every target is told, GitHub asked once
            try:
                minted = self._mint()
            except HubError as error:
                self._mint_failed = error
                raise
            expires = claims_of(minted).get("exp")
            self._id_token = (minted, float(expires) if isinstance(expires, int | float) else time.time() + 300)
            return minted

    def _mint(self) -> str:
        from huggingface_hub.errors import HfHubHTTPError, OIDCError

        from hfsync.hub.trace import operation

        what = "request an OIDC id token from GitHub Actions"
        register_secret(os.environ.get(GITHUB_VARS[1]))
        hint = ("The job needs `permissions: id-token: write`; the runtime's request token is valid only "
                "while the job runs.")
        try:
            with operation(what):
                minted = github_oidc_token(self.endpoint)
        except OIDCError as error:
            raise HubError(f"{what}: {error}", hint=hint) from None
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else "no answer"
            raise HubError(f"{what}: GitHub answered {status}.", hint=hint) from None
        except (KeyError, ValueError) as error:
            raise HubError(f"{what}: GitHub's answer holds no id token ({type(error).__name__}).") from None
        except TooLarge as error:  # said once, for every target, like GitHub's refusal
            raise HubError(f"{what}: {error.message}", hint=error.hint) from None
        register_secret(minted)
        return minted

    def _refusal(self, error: Exception, resource: str, repo: tuple[str, str] | None, id_token: str) -> HubError:
        response = getattr(error, "response", None)
        try:
            body = response.json() if response is not None else {}
        except ValueError:
            body = {}
        code = body.get("error") if isinstance(body, dict) else None
        if code != "invalid_grant":
            said = body.get("error_description") if isinstance(body, dict) else None
            return HubError(f"exchange this job's OIDC id token for a token of {resource}: the Hub refused the "
                            f"request ({code or 'HTTP 400'}: {said or hub_text(error)}).")
        return refused(resource, repo, claims_of(id_token), self.endpoint, self._visible(repo))

    def _visible(self, repo: tuple[str, str] | None) -> bool | None:
        """Whether the repo can be read with no token (so it exists); None for a user, or no answer."""
        if repo is None:
            return None
        from huggingface_hub import get_session

        try:
            answer = get_session().get(f"{self.endpoint}/api/{repo[0]}s/{repo[1]}")
        except Exception:
            return None
        return answer.status_code == 200


def _repo_of(resource: str) -> tuple[str, str]:
    first, _, rest = resource.partition("/")
    kinds = {"datasets": "dataset", "spaces": "space"}
    return (kinds[first], rest) if first in kinds and "/" in rest else ("model", resource)


def job_claims(claims: dict) -> dict[str, str]:
    """The claims the Hub's Trusted Publishers settings ask for, as this job's id token has them."""
    workflow_ref = claims.get("workflow_ref")
    workflow = claims.get("workflow")
    if isinstance(workflow_ref, str) and "/.github/workflows/" in workflow_ref:
        workflow = workflow_ref.split("@", 1)[0].rsplit("/.github/workflows/", 1)[1]
    environment = claims.get("environment") or ("(none)" if claims.get("repository") else None)
    found = {"repository": claims.get("repository"), "ref": claims.get("ref"), "workflow": workflow,
             "environment": environment}
    aud = claims.get("aud")
    found["audience"] = ", ".join(map(str, aud)) if isinstance(aud, list) else aud
    if not claims.get("repository"):  # not GitHub's: the provider's own identity of the job
        found.update(issuer=claims.get("iss"), subject=claims.get("sub"))
    return {k: str(v) for k, v in found.items() if v is not None}


def refused(resource: str, repo: tuple[str, str] | None, claims: dict, endpoint: str,
            visible: bool | None) -> HubError:
    """The error for an exchange the Hub refused (invalid_grant): which target, why it may be,
    this job's claims next to what the settings page asks for."""
    job = job_claims(claims)
    shown = ", ".join(f"{k} {v}" for k, v in job.items()) or "(none could be read)"
    expired = claims.get("exp")
    if isinstance(expired, int | float) and expired < time.time():
        shown += f"; the id token expired {int(time.time() - expired)} s ago"
    what = f"exchange this job's OIDC id token for a token of {resource}: the Hub refused it (invalid_grant)"
    page = f"{endpoint}/{PREFIX[repo[0]]}{repo[1]}/settings" if repo else f"{endpoint}/settings/authentication"
    if repo is None:
        why = (f"no CI/CD access publisher of user {resource} matches this job, or the user does not exist")
    elif visible:
        why = f"{repo[1]} exists, so none of its trusted publishers matches this job"
    else:
        why = (f"{repo[1]} cannot be seen without a token: if it does not exist yet, a token exchanged in CI cannot "
               "create it (a trusted publisher is set on an existing repo): create it once with a personal token, "
               "then add this job as its trusted publisher; if it exists (private), none of its trusted publishers "
               "matches this job")
    asks = [f"repository = {job['repository']}" if "repository" in job else None,
            f"branch = {job['ref'].removeprefix('refs/heads/')}" if job.get("ref", "").startswith("refs/heads/")
            else (f"ref = {job['ref']}" if "ref" in job else None),
            f"workflow = {job['workflow']}" if "workflow" in job else None,
            f"environment = {job['environment']}" if job.get("environment", "(none)") != "(none)" else None]
    hint = (f"On {page}, under {'Trusted Publishers' if repo else 'CI/CD Access'}, the publisher must name exactly "
            f"(no prefix matching): {', '.join(a for a in asks if a) or 'the claims above'}; the id token's audience "
            f"must be {endpoint}. The Hub does not say which check failed.")
    return HubError(f"{what}: {why}. This job's claims: {shown}.", hint=hint)
