"""Plan -> Hub. Runs the stored changes or refuses; it never re-diffs.

A saved plan is checked first (hfsync.publish.saved_plan): unless it is still its manifests'
word and nothing moved since, nothing is sent.

Per target: create the repo or tighten its settings, ONE commit with only the changed
files (or, over the target's commit budget, batches through a pull request merged once:
hfsync.publish.batched), then refs, then settings that loosen access (so new content is never public
before it is committed). Targets run concurrently. Repos are never deleted.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.digests import DigestCache
from hfsync.environment import run_url
from hfsync.errors import STALE_HINT, HfsyncError, HubError
from hfsync.hub.commit import Upload
from hfsync.hub.publish import Publisher
from hfsync.hubfacts import repo_url
from hfsync.model.apply import ApplyResult, Step, TargetResult
from hfsync.model.plan import Action, Plan, Provenance, TargetChange, read
from hfsync.publish.batched import publish_batched
from hfsync.publish.batches import batches_of
from hfsync.publish.gate import gate
from hfsync.publish.health import after_apply
from hfsync.publish.landed import check_landed
from hfsync.publish.provenance import commit_description
from hfsync.publish.resources import KINDS as RESOURCE_KINDS
from hfsync.publish.resources import apply_resource
from hfsync.publish.saved_plan import check_fresh
from hfsync.publish.signature import load_signers, signature_of
from hfsync.publish.signature import make as make_signature

if TYPE_CHECKING:
    from hfsync.signing.keys import Signer

NOT_STARTED = "not started"


def _commit_url(publisher: Publisher, kind: str, repo: str, commit: str) -> str:
    return f"{repo_url(publisher.hub.endpoint, kind, repo)}/commit/{commit}"


def _summary(target: TargetChange) -> str:
    counts = {a: sum(f.action == a for f in target.files) for a in Action}
    parts = [
        f"{counts[Action.CREATE]} added" if counts[Action.CREATE] else "",
        f"{counts[Action.UPDATE]} updated" if counts[Action.UPDATE] else "",
        f"{counts[Action.DELETE]} deleted" if counts[Action.DELETE] else "",
    ]
    return f"Publish {target.repo_id}: " + ", ".join(p for p in parts if p) + " (hfsync)"


ACCESS = ("private", "gated")  # settings that decide who sees the content


def _restricts(name: str, value: object) -> bool:
    """Whether setting ``name`` to ``value`` narrows access (private: true, gated: auto/manual)."""
    return bool(value) if name in ACCESS else False


def apply_target(
    target: TargetChange, publisher: Publisher, provenance: Provenance, signer: Signer | None = None,
    wait_health: bool = True,
) -> TargetResult:
    """Carry out one target's changes, in the order the module docstring gives; ``signer``
    makes the planned model.sig, committed with the files."""
    done: list[Step] = []
    warnings: list[str] = []
    repo, kind = target.repo_id, target.repo_type
    settings = {s.name: s.new for s in target.settings}
    commit: str | None = None
    sent: int | None = None
    parent = target.head
    try:
        if target.action == Action.CREATE:
            if not publisher.create_repo(repo, kind, settings.get("private"), settings.get("sdk")):
                return _created_meanwhile(target, publisher)
            done.append(Step("created-repo"))
            # Commit on the repo's first commit: a second run racing this one is refused by
            # the Hub rather than committing the same files twice.
            parent = publisher.head(repo, kind, target.revision)[1]
            if settings.get("gated"):
                publisher.update_settings(repo, kind, gated=settings["gated"])
        else:
            tighten = {k: v for k, v in settings.items() if k in ACCESS and _restricts(k, v)}
            if tighten:
                publisher.update_settings(repo, kind, **tighten)
                done.extend(Step("set", k, v) for k, v in tighten.items())
        if kind == "space":
            warnings.extend(_space_settings(target, settings, publisher, done))
        for ref in target.refs:
            if ref.kind == "branch":
                publisher.create_branch(repo, kind, ref.name, ref.target)
                done.append(Step("created-branch", ref.name))
        signature = signature_of(target) if signer is not None else None
        if target.files or signature is not None:
            root = Path(target.source or ".")
            uploads = [
                Upload(f.path, f.sha256 or "", None if f.content is not None else root / f.path,
                       f.content.encode("utf-8") if f.content is not None else None)
                for f in target.files if f.action != Action.DELETE
            ]
            if signature is not None and signer is not None:
                signed = make_signature(signature, signer)
                uploads.append(Upload(signature.subject, hashlib.sha256(signed).hexdigest(), None, signed))
                done.append(Step("signed", signature.subject, files=len(signature.detail["files"]),
                                 key=signer.fingerprint))
            deletes = [f.path for f in target.files if f.action == Action.DELETE]
            message, description = _summary(target), commit_description(provenance, target.head)
            if len(batches_of(target)) > 1:
                commit = publish_batched(target, publisher, uploads, message=message, description=description,
                                         parent=parent, done=done)
                sent = sum(s.sent or 0 for s in done if s.action == "committed-batch")
            else:
                commit = publisher.commits.commit(repo, kind, target.revision, uploads, deletes, message=message,
                                          description=description, parent=parent)
                sent = publisher.commits.sent.get(commit)
                size = (sum(f.size for f in target.files if f.action != Action.DELETE)
                        + (len(signed) if signature else 0))
                done.append(Step("committed", commit=commit, uploads=len(uploads), deletions=len(deletes),
                                 bytes=size, sent=sent, url=_commit_url(publisher, kind, repo, commit)))
        for ref in target.refs:
            if ref.kind == "tag":
                publisher.create_tag(repo, kind, ref.name, commit or target.head or target.revision)
                done.append(Step("created-tag", ref.name))
        if target.action != Action.CREATE:
            loosen = {k: v for k, v in settings.items() if k in ACCESS and not _restricts(k, v)}
            if loosen:
                publisher.update_settings(repo, kind, **loosen)
                done.extend(Step("set", k, v) for k, v in loosen.items())
        _access(target, publisher, done)
        if commit is not None and kind != "space":
            landed = check_landed(target, publisher, commit)
            if landed is not None:
                return TargetResult(target.key, commit, tuple(done), tuple(warnings), landed, sent)
        if target.health is not None:
            sent_secrets = [os.environ.get(s.new["env"], "") for s in target.settings
                            if s.name.startswith("secrets.") and isinstance(s.new, dict)]
            health = after_apply(publisher.hub, repo, target.health, wait_health, sent_secrets)
            if isinstance(health, str):  # published, but not healthy: the target failed
                return TargetResult(target.key, commit, tuple(done), tuple(warnings), health, sent)
            done.append(health)
    except HfsyncError as error:
        return TargetResult(target.key, commit, tuple(done), tuple(warnings), error.message, sent)
    return TargetResult(target.key, commit, tuple(done), tuple(warnings), bytes_sent=sent)


def _created_meanwhile(target: TargetChange, publisher: Publisher) -> TargetResult:
    """The repo this plan creates appeared since the plan (another apply, or a person):
    done if it already holds every planned file, else stale; never a second commit."""
    remote = publisher.read(target.repo_id, target.repo_type, target.revision)
    missing = [f.path for f in target.files if f.action != Action.DELETE
               and (f.path not in remote.files or remote.files[f.path].content_id not in (f.sha256, f.git_sha1))]
    if missing:
        return TargetResult(target.key, error=(
            f"plan is stale: the repo was created on the Hub since the plan, without {len(missing)} of the "
            f"planned files; nothing was committed. {STALE_HINT}"))
    return TargetResult(target.key, remote.head, (Step("found-published", commit=remote.head),))


def _space_settings(
    target: TargetChange, settings: dict, publisher: Publisher, done: list[Step]
) -> list[str]:
    """Hardware, sleep time, pause, variables and secrets: applied where the Hub supports them,
    else a warning (a secret whose variable is unset fails the target)."""
    warnings = []
    for name, value in settings.items():
        try:
            if name == "hardware":
                publisher.space_hardware(target.repo_id, value)
            elif name in ("sleep_time", "paused"):
                publisher.space_runtime(target.repo_id, name, value)
            elif name.startswith("variables."):  # None: no longer declared, deleted
                publisher.space_value(target.repo_id, "variable", name.removeprefix("variables."), value)
            elif name.startswith("secrets."):
                _space_secret(target.repo_id, name.removeprefix("secrets."), value, publisher)
                value = f"from ${value['env']}" if value is not None else None
            else:
                continue
            done.append(Step("set", name, value) if value is not None else Step("deleted", name))
        except HubError as error:
            warnings.append(f"{name} not applied: {error.message}")
    return warnings


def _access(target: TargetChange, publisher: Publisher, done: list[Step]) -> None:
    """Grant and revoke access as planned; every refusal (a user the Hub does not know) is said, together."""
    refused = []
    for setting in target.settings:
        if setting.name.startswith("access."):
            user = setting.name.removeprefix("access.")
            try:
                publisher.access(target.repo_id, target.repo_type, user, setting.new is not None)
                done.append(Step("set", setting.name, setting.new) if setting.new else Step("deleted", setting.name))
            except HubError as error:
                refused.append(error.message)
    if refused:
        raise HfsyncError("; ".join(refused))


def _space_secret(repo_id: str, name: str, source: dict | None, publisher: Publisher) -> None:
    """Send a secret's value, read from its environment variable now (never from the plan)."""
    if source is None:
        publisher.space_value(repo_id, "secret", name, None)
        return
    value = os.environ.get(source["env"])
    if not value:
        raise HfsyncError(f"Space secret {name}: environment variable {source['env']} is "
                          f"{'empty' if value is not None else 'not set'} at apply time; the secret was not set")
    publisher.space_value(repo_id, "secret", name, value)


def need_token(publisher: Publisher) -> None:
    """Refuse, before any request, to publish without a token: every write needs one."""
    if not publisher.hub.credentials.publishes():
        raise HfsyncError("apply needs a Hub token to publish and none was given "
                          "(set HF_TOKEN, pass --token or run `hf auth login`); nothing was sent.",
                          hint="In GitHub Actions, `permissions: id-token: write` lets apply publish with no stored "
                          "token, through the Hub's Trusted Publishers.")


def load_fresh(path: Path, publisher: Publisher) -> Plan:
    """Read a saved plan and refuse it unless it is fresh (and, when it publishes, a token is given)."""
    plan = read(path)
    publisher.hub.credentials.publishing((t.repo_type, t.repo_id) for t in _publishing(plan) if t.kind == "repo")
    if _publishing(plan):
        need_token(publisher)
    check_fresh(plan, publisher, DigestCache())
    return plan


def nothing_to_publish(plan: Plan) -> str | None:
    """What apply says, instead of applying nothing, when the plan's only changes are pulls
    that moved upstream (apply never moves a pin); None otherwise."""
    drifted = [t.repo_id for t in plan.targets if t.kind == "pull" and t.has_changes]
    if _publishing(plan) or not drifted:
        return None
    return (f"Nothing to publish: only pulls moved upstream ({', '.join(drifted)}); apply leaves pins alone. "
            "`hfsync upgrade` moves them and says what changed.")


def _publishing(plan: Plan) -> list[TargetChange]:
    """The targets apply publishes: repos, collections and access with changes (pull drift is
    fixed elsewhere)."""
    return [t for t in plan.targets if t.has_changes and t.kind in ("repo", *RESOURCE_KINDS)]


def apply_plan(
    plan: Plan, publisher: Publisher, *, provenance: Provenance | None = None, parallelism: int = 4,
    on_interrupt: Callable[[], None] | None = None, wait_health: bool = True,
) -> ApplyResult:
    """Apply every target with changes, ``parallelism`` at a time; collect every failure.

    On ^C, ``on_interrupt`` is called, targets in flight finish and the rest are reported
    as not started (``interrupted``).

    Provenance defaults to the plan's git facts with this run's CI URL.
    """
    if provenance is None:
        current = run_url(os.environ)
        provenance = replace(plan.provenance, run_url=current or plan.provenance.run_url)
    resources = [t for t in _publishing(plan) if t.kind != "repo"]
    todo = [t for t in _publishing(plan) if t.kind == "repo"]
    publisher.hub.credentials.publishing((t.repo_type, t.repo_id) for t in todo)
    if todo or resources:
        need_token(publisher)
    gate(plan)  # every file to upload is scanned before the first byte goes up
    signers = load_signers(todo) if any(signature_of(t) for t in todo) else {}
    pool = ThreadPoolExecutor(max(1, parallelism))
    futures: list[Future[TargetResult]] = []
    interrupted = False
    try:
        # Each target is started from this thread, where ^C is raised: a worker taking the
        # next one off a queue could start it while the interrupt is on its way here.
        running: set[Future[TargetResult]] = set()
        for target in todo:
            if len(running) >= max(1, parallelism):
                running = wait(running, return_when=FIRST_COMPLETED).not_done
            futures.append(pool.submit(apply_target, target, publisher, provenance, signers.get(target.key),
                                       wait_health))
            running.add(futures[-1])
        wait(futures)
    except KeyboardInterrupt:
        # Like Terraform: a commit in flight is let finish (it is atomic; killing the thread
        # is not possible anyway), nothing new starts, and the report says which is which.
        interrupted = True
        pool.shutdown(wait=False, cancel_futures=True)
        if on_interrupt is not None:
            on_interrupt()
    pool.shutdown(wait=True)
    results = tuple(
        f.result() if f is not None and not f.cancelled() else TargetResult(t.key, error=NOT_STARTED)
        for t, f in itertools.zip_longest(todo, futures)
    )
    # After the repos: an item or a grant may need a repo this apply creates or gates.
    results += tuple(TargetResult(t.key, error=NOT_STARTED) if interrupted else apply_resource(t, publisher.hub)
                     for t in resources)
    return ApplyResult(results, interrupted)
