"""Manifest + Hub + digest cache -> Plan.

Targets are planned concurrently. Each one reads the Hub a bounded number of times
(hub.publish.Publisher.read) and hashes its local files through the DigestCache, so a
second plan over an unchanged tree reads no file content.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync import __version__
from hfsync.cards.generate import FORMAT as CARD_FORMAT
from hfsync.cards.plan import CARD_LIMIT, README, plan_card
from hfsync.digests import DigestCache, Digests, hash_bytes
from hfsync.errors import HfsyncError
from hfsync.hub.cards import validate_yaml
from hfsync.hub.client import library_version
from hfsync.hub.content import read_range
from hfsync.hub.publish import Publisher
from hfsync.lock.drift import plan_pulls, pull_names
from hfsync.manifest.model import Manifest, RepoTarget, Workspace
from hfsync.model.plan import NO_TOKEN, Action, Plan, Provenance, TargetChange
from hfsync.model.remote import MISSING, RemoteRepo
from hfsync.publish.access import with_access_file
from hfsync.publish.batches import budgeted
from hfsync.publish.dataset import dataset_review
from hfsync.publish.diff import LocalFile, secret_problems, target_change
from hfsync.publish.gate import review, scan_uploads
from hfsync.publish.resources import keys as resource_keys
from hfsync.publish.resources import plan_resources
from hfsync.publish.source import source_links

if TYPE_CHECKING:
    from hfsync.inspect.reading import Budget

HASH_THREADS = min(8, (os.cpu_count() or 2) * 2)


def select_targets(workspace: Workspace, wanted: Sequence[str]) -> list[tuple[Manifest, RepoTarget]]:
    """The repo targets named by --target (id or key); all of them when none is named."""
    repos = list(workspace.repos)
    if not wanted:
        return repos
    unknown = [w for w in wanted if not any(w in _names(m, t) for m, t in repos)]
    if unknown:
        listed = ", ".join(sorted(t.key for _, t in repos)) or "none"
        raise HfsyncError(
            f"no target named {', '.join(unknown)} in the manifests; targets: {listed}",
            hint="--target takes a repo id (acme/model), a key (dataset:acme/data), or the id as the manifest "
            "writes it without its default namespace (model, dataset:data).",
        )
    return [(m, t) for m, t in repos if set(wanted) & _names(m, t)]


def _names(manifest: Manifest, target: RepoTarget) -> set[str]:
    """What --target may call ``target``: its id, its key, and, in the default namespace, the id as
    the manifest may write it (``sentiment-lora``, ``dataset:reviews``)."""
    names = {target.key, target.id}
    namespace, _, name = target.id.rpartition("/")
    if namespace and namespace == manifest.defaults.namespace:
        names |= {name, target.key.replace(target.id, name)}
    return names


def _failed(target: RepoTarget, message: str) -> TargetChange:
    return TargetChange(target.key, target.id, target.type, target.revision, Action.NOOP,
                        source=str(target.source.path), errors=(message,))


class _GeneratedCards:
    """What the Hub holds of a target's generated card, remembered across plans: the digests
    of the card generate() wrote, by a digest of everything it reads (the target as the
    manifest declares it, the endpoint its snippet names, its source files' content, the
    card's input files, hfsync's card format and the versions of hfsync and huggingface_hub).
    A card the Hub already holds is not generated again, so a plan with nothing to publish
    does not load huggingface_hub's card module. Only digests are kept, never the card's text."""

    def __init__(self, cache: DigestCache, target: RepoTarget, paths: list[str], digests: list[Digests],
                 remote: RemoteRepo, endpoint: str) -> None:
        self.cache, self.target, self.remote, self.endpoint = cache, target, remote, endpoint
        self.files = sorted([p, d.sha256] for p, d in zip(paths, digests, strict=True))

    def key(self, inputs: Mapping[str, str]) -> str:
        facts = [CARD_FORMAT, __version__, library_version(), self.endpoint, repr(self.target), self.files,
                 sorted(inputs.items())]
        return "card:" + hashlib.sha256(json.dumps(facts).encode()).hexdigest()

    def published(self, inputs: Mapping[str, str]) -> bool:
        theirs = self.remote.files.get(README)
        if theirs is None:
            return False
        known = self.cache.facts([key := self.key(inputs)]).get(key, "").split()
        return len(known) == 2 and (known[0] if theirs.lfs else known[1]) == theirs.content_id

    def remember(self, inputs: Mapping[str, str], digests: Digests) -> None:
        self.cache.remember_facts({self.key(inputs): f"{digests.sha256} {digests.git_sha1}"})


def plan_target(
    target: RepoTarget, publisher: Publisher, cache: DigestCache, links: Mapping[str, str | None] | None = None
) -> TargetChange:
    """Diff one target against the Hub (the Hub is read while local files are hashed).

    ``links``: the target's source files (see ``source_links``) when the caller listed them already."""
    return _plan_target(target, publisher, cache, links)[0]


def _plan_target(
    target: RepoTarget, publisher: Publisher, cache: DigestCache, links: Mapping[str, str | None] | None = None,
    kept: dict[str, bytes] | None = None,
) -> tuple[TargetChange, RemoteRepo]:
    remote = MISSING
    with ThreadPoolExecutor(HASH_THREADS) as pool:
        reading = pool.submit(
            publisher.read, target.id, target.type, target.revision,
            tags=bool(target.tags), variables=target.space is not None and target.space.variables is not None,
            secrets=target.space is not None and target.space.secrets is not None,
            access=target.access is not None,
        )
        root = target.source.path
        try:
            links = source_links(target) if links is None else links
            paths = sorted(links)
            digests = cache.all(root, paths, pool.map, kept)
            remote = reading.result()
            readme = root / README
            generated = _GeneratedCards(cache, target, paths, digests, remote, publisher.hub.endpoint)
            card = plan_card(
                target,
                readme if readme.is_file() else None,
                remote,
                lambda: publisher.readme(target.id, target.type, remote.head or target.revision, CARD_LIMIT),
                paths,
                generated.published,
                endpoint=publisher.hub.endpoint,
            )
        except HfsyncError as error:  # the Hub's refusal, or a card input that cannot be read
            # The hint says what to do; a target's error line is all the user sees of it.
            return _failed(target, error.explained()), remote
        except OSError as error:
            return _failed(target, f"cannot read {error.filename or root}: {error.strerror or error}"), remote
        except UnicodeDecodeError:
            return _failed(target, f"{root / README} is not UTF-8 text; a card must be"), remote
    local = {p: LocalFile(p, d, link=links[p]) for p, d in zip(paths, digests, strict=True)}
    if card.content is not None:
        local[README] = LocalFile(README, hash_bytes(card.content.encode("utf-8")), card.content)
        if target.card.generate and not readme.is_file():
            generated.remember(card.inputs, local[README].digests)
    change = target_change(
        with_access_file(target),
        local,
        remote,
        declared_metadata={k: v for k, v in card.declared.items() if k in target.card.metadata},
        # prune leaves the signature to signing (made again, or kept as it is)
        keep=frozenset({README} if card.managed else ()) | frozenset({"model.sig"} if target.signing else ()),
        inputs=card.inputs,
        warnings=card.warnings,
        errors=secret_problems(target, os.environ),
        card_generated=target.card.generate and not (root / README).is_file(),
    )
    grants = [s.name.removeprefix("access.") for s in change.settings if s.name.startswith("access.") and s.new]
    if unknown := publisher.unknown_users(grants) if grants else []:
        change = replace(change, errors=(*change.errors, (
            f"access.users names {', '.join(unknown)}, whom the Hub knows no user by (a typo?); fix the name "
            "or remove it: nothing is granted until then")))
    if target.signing is None:
        return change, remote
    from hfsync.publish.signature import plan_signature  # loads cryptography: only for signed targets

    head = remote.head or target.revision

    def read(path: str, size: int) -> bytes:
        return read_range(publisher.hub, target.id, target.type, head, path, 0, size)

    return plan_signature(target, change, local, remote, read), remote


def make_plan(
    workspace: Workspace,
    publisher: Publisher,
    *,
    targets: Sequence[str] = (),
    keys: frozenset[str] | None = None,
    pull_keys: frozenset[str] | None = None,
    cache: DigestCache | None = None,
    provenance: Provenance | None = None,
    parallelism: int = 4,
    diff: str = "none",
    diff_budget: int | None = None,
) -> Plan:
    """Plan the repo targets of ``workspace`` named by ``targets`` (all when empty) and,
    when ``keys`` is given, among those only the ones whose key is in it; then the drift
    of the pulls named by ``targets`` (among ``pull_keys`` when given).

    ``diff`` (none, summary, full): what changed inside the files, within one byte budget
    (``diff_budget`` bytes of Hub content; by default the mode's)."""
    # --target may name pulls too: their drift is planned beside the repo targets.
    pulls = pull_names(workspace) | resource_keys(workspace)
    repos = {t.key for _, t in workspace.repos} | {t.id for _, t in workspace.repos}
    for_repos = [w for w in targets if w in repos or w not in pulls]
    chosen = select_targets(workspace, for_repos) if for_repos or not targets else []
    chosen = [(m, t) for m, t in chosen if keys is None or t.key in keys]
    publisher.hub.credentials.publishing((t.type, t.id) for _, t in chosen)
    cache = cache or DigestCache()
    budget = _shared_budget(diff, diff_budget)

    def planned(manifest: Manifest, target: RepoTarget) -> TargetChange:
        try:
            links: dict[str, str | None] | None = source_links(target)  # listed once, for both steps
        except HfsyncError as error:  # a link that cannot be published: no need to ask the Hub
            return _failed(target, error.explained())
        except OSError:
            links = None  # plan_target reports it
        # The small files hashed, kept for the secret scan: each is read once, and what is
        # scanned is what was hashed. Dropped once the target is reviewed.
        kept: dict[str, bytes] = {}
        change, remote = _plan_target(target, publisher, cache, links, kept)
        paths = sorted(links) if links is not None else None
        # The diffs' reads are all under way before review starts, and go on while it asks
        # the Hub about the card.
        diffing = diffed(target, change, publisher, budget, diff, cache, kept) if diff != "none" else None
        # Secrets, card metadata (and the Hub's own card check), policy: errors of the target.
        reviewed, secrets = review(manifest, target, change,
                                   lambda card, kind: validate_yaml(publisher.hub, card, kind), files=paths,
                                   cache=cache, contents=kept)
        kept.clear()
        if not change.errors:
            reviewed = dataset_review(manifest, target, reviewed, remote, paths or ())
        reviewed = budgeted(reviewed, target.commit_files, target.commit_bytes, remote.files)
        if diffing is None:
            return reviewed
        # The diffs were made from the change before review hid what it flagged.
        return replace(reviewed, files=diffing().files).hiding(secrets)

    with ThreadPoolExecutor(max(1, parallelism)) as pool:
        changes = list(pool.map(lambda mt: planned(*mt), chosen))
    changes = creatable(changes, publisher)
    wanted = set(targets) if targets else None
    if pull_keys is not None:
        wanted = {k for k in pull_keys if wanted is None or k in wanted}
    changes += plan_pulls(workspace, publisher.hub, wanted)
    changes += plan_resources(workspace, publisher.hub, targets)
    return Plan(
        hfsync_version=__version__,
        endpoint=publisher.hub.endpoint,
        manifests={str(m.path): m.digest for m in workspace.manifests},
        targets=tuple(changes),
        provenance=provenance or Provenance(),
    )


def _shared_budget(mode: str, limit: int | None) -> Callable[[], Budget]:
    """The plan's one budget for diffs, made when a first target has files to diff (the
    diff machinery is loaded only then: a plan with nothing to publish starts without it)."""
    made: list[Budget] = []
    lock = threading.Lock()

    def budget() -> Budget:
        from hfsync.inspect.reading import BUDGETS, Budget

        with lock:
            if not made:
                made.append(Budget(BUDGETS[mode] if limit is None else limit))
            return made[0]

    return budget


def diffed(
    target: RepoTarget, change: TargetChange, publisher: Publisher, budget: Callable[[], Budget], mode: str,
    cache: DigestCache | None = None, kept: Mapping[str, bytes] | None = None,
) -> Callable[[], TargetChange]:
    """What gives ``change`` with what changed inside its files, the Hub's copies (read at
    the planned head) already asked for, and the secret scan they need done."""
    if change.errors or not change.files:
        return lambda: change
    from hfsync.publish.contents import start_diffs

    root = target.source.path
    head = change.head

    def read(path: str, start: int, length: int) -> bytes:
        return publisher.read_range(target.id, target.type, head or target.revision, path, start, length)

    finish = start_diffs(change, root, read, budget(), mode)
    try:
        # The gate's own scan, done here (while the Hub's copies travel) before review runs:
        # review finds its findings cached, and no file is scanned twice.
        flagged = scan_uploads(root, change.files, cache, kept)
    except (OSError, HfsyncError):
        return lambda: finish(None)  # review reports what cannot be read
    return lambda: finish(flagged)




def creatable(changes: list[TargetChange], publisher: Publisher) -> list[TargetChange]:
    """Warn on each repo to create in a namespace the token's user neither is nor belongs to:
    a PR's plan says so rather than the apply after merge (one whoami, only when creating).
    Without a token, on each repo to create: the Hub hides private repos from anonymous reads."""
    new = [c for c in changes if c.action == Action.CREATE and c.kind == "repo" and not c.errors]
    if new and not publisher.hub.credentials.publishes():  # with no credentials, reads are anonymous
        return [replace(c, warnings=(*c.warnings, NO_TOKEN)) if any(c is n for n in new) else c for c in changes]
    who = publisher.identity() if new else None
    if who is None:
        return changes
    user, namespaces = who
    creating = {id(c) for c in new}
    out = []
    for change in changes:
        namespace = change.repo_id.split("/")[0]
        if id(change) in creating and namespace not in namespaces:
            change = replace(change, warnings=(*change.warnings, (
                f"this token's user {user} is neither {namespace} nor a member of it: "
                "apply with this token cannot create the repo")))
        out.append(change)
    return out


def plan_manifests(
    files: Sequence[Path],
    publisher: Publisher,
    targets: Sequence[str] = (),
    parallelism: int = 4,
    changed_since: str | None = None,
    diff: str = "none",
) -> Plan:
    """Load the manifests (default ./hfsync.yaml) and plan them, with provenance.

    ``changed_since`` (a git ref) plans only the targets whose entry or files changed
    since then (see hfsync.changed_since).
    """
    from hfsync.manifest.load import load
    from hfsync.publish.provenance import collect

    workspace = load(files)
    keys = pull_keys = None
    if changed_since is not None:
        from hfsync.publish.changed_since import changed_since as changed

        found = changed(workspace, changed_since)
        keys, pull_keys = found.repos, found.pulls
    provenance = collect(workspace.manifests[0].root) if workspace.manifests else Provenance()
    plan = make_plan(
        workspace, publisher, targets=targets, keys=keys, pull_keys=pull_keys, provenance=provenance,
        parallelism=parallelism, diff=diff,
    )
    if changed_since is None or targets:
        return plan
    # Said, not silent: the repos --changed-since left out, so that "No changes." is not misread.
    left_out = tuple(t.key for m in workspace.manifests for t in m.repos if keys is not None and t.key not in keys)
    return replace(plan, skipped=left_out,
                   skipped_because=f"nothing in their manifest entries or source files changed since {changed_since}")
