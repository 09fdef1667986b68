"""What must hold before anything is published: no secrets, a valid card, the policy.

``review`` runs after a target is planned and turns what it finds into the target's
errors (so plan fails, listing all of them). ``gate`` runs at the start of apply on
every file it will upload, before the first byte goes up, and raises SecretFoundError.
Both also judge every value sent besides file content (Space variables and other
settings, card metadata, descriptions, tag names, file names): a flagged value is an
error, and review hides it (``***``) everywhere in the planned change, so it is never
printed, saved in a plan file or published.
The checks themselves live in secrets, cardcheck and policy; this module only feeds
them the planned files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from hfsync.cards.generate import README
from hfsync.digests import DigestCache
from hfsync.errors import HfsyncError
from hfsync.log import register_secret
from hfsync.manifest.model import Manifest, RepoTarget
from hfsync.model.plan import Action, FileChange, Plan, TargetChange
from hfsync.publish.baseline import Baseline, find_baseline
from hfsync.publish.checks import card_license
from hfsync.publish.scan import blocked, scan_files
from hfsync.publish.secrets import (
    SCAN_VERSION,
    Finding,
    fingerprint,
    name_rule,
    scan_text,
    strong_matches,
    text_secrets,
    value_secrets,
)

# Findings by (path, size, mtime_ns, inode), or by (path, sha256) for generated content:
# apply right after plan does not rescan.
_scanned: dict[tuple, list[Finding]] = {}
_scanned_lock = threading.RLock()


def _stat_key(path: str) -> tuple[str, int, int, int]:
    stat = os.stat(path)
    return (path, stat.st_size, stat.st_mtime_ns, stat.st_ino)


def scan_uploads(root: Path, files: Iterable[FileChange], cache: DigestCache | None = None,
                 contents: Mapping[str, bytes] | None = None) -> list[Finding]:
    """Findings in the files a target will upload (on disk, or generated), minus the
    audited false positives of the nearest .secrets.baseline. ``cache``: the run's digest
    cache, where scan results are remembered by content (opened here when not given);
    ``contents``: bytes of files read already (as hashed), by path."""
    baseline_path = find_baseline(root)
    baseline = Baseline(baseline_path) if baseline_path is not None else None
    findings: list[Finding] = []
    on_disk: dict[str, tuple[str, int, int, int]] = {}
    digests = {change.path: change.sha256 for change in files if change.sha256}
    base = os.path.abspath(root)
    # One scan of a file at a time, whoever asks (review and the diffs ask at once); the
    # files not scanned yet are scanned together (a scan costs most in setting it up).
    with _scanned_lock:
        for change in files:
            if change.action == Action.DELETE:
                continue
            if change.content is not None:
                generated = (change.path, hashlib.sha256(change.content.encode()).hexdigest())
                if generated not in _scanned:
                    _scanned[generated] = scan_text(f"{change.path} (generated)", change.content)
                findings += _scanned[generated]
            else:
                on_disk[change.path] = _stat_key(os.path.join(base, change.path))
        missing = [path for path, key in on_disk.items() if key not in _scanned]
        keys = {path: key for path in missing if path in digests and (key := _fact_key(path, digests[path]))}
        if missing:
            with _opened(cache) as facts:
                for path, known in _remembered(facts, keys).items():
                    _scanned[on_disk[path]] = known
            missing = [path for path in missing if on_disk[path] not in _scanned]
        hashed: dict[str, list[Finding]] = {}
        if missing:
            found = scan_files(root, missing, contents=contents).by_file
            for path in missing:
                if contents and path in contents:
                    # The bytes hashed, not what the file holds now if it moved on since: known
                    # by their digest (remembered below), not by the file's stat.
                    hashed[path] = found.get(path, [])
                else:
                    _scanned[on_disk[path]] = found.get(path, [])
            with _opened(cache) as facts:
                _remember(facts, {path: keys[path] for path in missing if path in keys}, found)
        for path, content in on_disk.items():
            findings += [f for f in (hashed[path] if path in hashed else _scanned[content])
                         if baseline is None or not baseline.allows(root / path, f.type, f.fingerprint)]
    return sorted(findings)


# Scan results by content are remembered across runs (in the digest cache's facts): an
# unchanged file is not scanned again. The key holds the file name, which some rules
# read, and the rules' version: remembered results of other rules are never used.
SCAN_RULES = f"scan-{SCAN_VERSION}"


def _fact_key(path: str, sha256: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    # Findings on a name (credential files, tokens in names) depend on more than content.
    return None if name_rule(name) or any(strong_matches(path)) else f"{SCAN_RULES}:{sha256}:{name}"


@contextlib.contextmanager
def _opened(cache: DigestCache | None) -> Iterator[DigestCache]:
    """``cache``, or the digest cache opened for this call only."""
    if cache is not None:
        yield cache
        return
    opened = DigestCache()
    try:
        yield opened
    finally:
        opened.close()


def _remembered(cache: DigestCache, keys: dict[str, str]) -> dict[str, list[Finding]]:
    """The remembered findings of each path (its fact key in ``keys``) scanned before."""
    if not keys:
        return {}
    facts = cache.facts(list(keys.values()))
    return {path: [Finding(path, line, kind, fp) for line, kind, fp in json.loads(facts[key])] if facts[key] != "[]"
            else [] for path, key in keys.items() if key in facts}


def _remember(cache: DigestCache, keys: dict[str, str], found: dict[str, list[Finding]]) -> None:
    facts = {key: json.dumps([[f.line, f.type, f.fingerprint] for f in found[path]]) if path in found else "[]"
             for path, key in keys.items()}
    if facts:
        cache.remember_facts(facts)


# Values judged clean are remembered the same way, by a digest of name and value (never the
# value itself, and never a value that was flagged): a plan of unchanged values does not
# load the scanner again.
def _value_key(name: str, value: str) -> str:
    digest = hashlib.sha256(name.encode() + b"\0" + value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{SCAN_RULES}:value:{digest}"


def _judged(values: list[tuple[str, str]], cache: DigestCache | None) -> list[list[tuple[str, str]]]:
    """value_secrets of ``values``, judging again only those not remembered clean."""
    judged: list[list[tuple[str, str]]] = [[] for _ in values]
    if not values:
        return judged
    keys = [_value_key(name, value) for name, value in values]
    with _opened(cache) as opened:
        clean = opened.facts(keys)
        todo = [i for i, key in enumerate(keys) if key not in clean]
        for i, flagged in zip(todo, value_secrets(values[i] for i in todo), strict=True):
            judged[i] = flagged
        if remembered := {keys[i]: "[]" for i in todo if not judged[i]}:
            opened.remember_facts(remembered)
    return judged


def _leaves(where: str, value: object) -> Iterator[tuple[str, str, str]]:
    """(where, name, text) of every string in a metadata value, keys included."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield where, "key", str(key)
            yield from _leaves(f"{where}.{key}", inner)
    elif isinstance(value, list | tuple):
        for number, inner in enumerate(value):
            yield from _leaves(f"{where}[{number}]", inner)
    elif isinstance(value, str):
        yield where, where.rsplit(".", 1)[-1], value


def _sent(target: RepoTarget | None, change: TargetChange) -> Iterator[tuple[str, str, str]]:
    """(where, name, text) of every value the change sends besides file content."""
    for setting in change.settings:
        yield from _leaves(f"setting {setting.name}", setting.new)
    for meta in change.metadata:
        yield from _leaves(f"card metadata {meta.key}", meta.new)
    if target is not None:
        yield from _leaves("card metadata", dict(target.card.metadata))
        if target.description:
            yield "description", "description", target.description
    for ref in change.refs:
        yield f"{ref.kind} name", ref.kind, ref.name


def value_findings(
    target: RepoTarget | None, change: TargetChange, cache: DigestCache | None = None
) -> tuple[list[str], set[str]]:
    """Findings (never the secret) in the values ``change`` sends, and the secrets to hide:
    those, and any in the names or generated text of its files (the file scan reports them)."""
    found: dict[str, None] = {}
    secrets: set[str] = set()
    sent = list(_sent(target, change))
    for (where, _, _), flagged in zip(sent, _judged([(name, text) for _, name, text in sent], cache), strict=True):
        for kind, secret in flagged:
            found[f"possible secret in the {where}: {kind} (fingerprint {fingerprint(secret)})"] = None
            secrets.add(secret)
    for file in change.files:
        # Names: the credential patterns, as the file scan judges them (it reports them).
        secrets |= {secret for _, secret in strong_matches(file.path)}
        if file.content is not None:
            secrets |= text_secrets(file.content, file.path)
    for secret in secrets:
        register_secret(secret)  # errors and logs hide it too
    return list(found), secrets


def _card_text(target: RepoTarget, change: TargetChange) -> str | None:
    readme = next((f for f in change.files if f.path == README and f.action != Action.DELETE), None)
    if readme is None:
        return None
    if readme.content is not None:
        return readme.content
    return (target.source.path / README).read_text(encoding="utf-8", errors="replace")


def review(
    manifest: Manifest,
    target: RepoTarget,
    change: TargetChange,
    validate_online: Callable[[str, str], list[str]] | None = None,
    files: list[str] | None = None,
    cache: DigestCache | None = None,
    contents: Mapping[str, bytes] | None = None,
) -> tuple[TargetChange, set[str]]:
    """``change`` with every secret finding, card problem and policy violation as errors,
    and every flagged value hidden; and the secrets it hid (to hide in what is added to
    the change later, such as its content diffs).

    ``validate_online(content, repo_type) -> [messages]`` asks the Hub about a card
    that will be published (None: offline checks only). ``files``: the target's source
    files, when the caller listed them already; ``cache``: the run's digest cache;
    ``contents``: bytes of files read already (as hashed), by path.
    """
    from hfsync.cards.check import target_problems
    from hfsync.manifest.policy import located, publish_problems
    from hfsync.publish.source import source_files

    if change.errors:
        return change, set()  # the target could not be planned; its error says why
    errors: list[str] = []
    secrets: set[str] = set()
    try:
        root = target.source.path
        errors += [f"possible secret in {finding}" for finding in scan_uploads(root, change.files, cache, contents)]
        found, secrets = value_findings(target, change, cache)
        errors += found
        change = change.hiding(secrets)
        files = source_files(target) if files is None else files
        index = manifest.repos.index(target)
        card = _card_text(target, change)
        errors += [str(p) for p in target_problems(manifest, index, target, files)]
        violations = publish_problems(manifest.policy, target, card_license(target, card), files)
        errors += [str(p) for p in located(manifest, index, target, violations)]
        # Only a card with nothing else wrong is sent: never anything from a target
        # with a possible secret in it.
        if not errors and card is not None and validate_online is not None and card.startswith("---"):
            errors += [f"{target.key}: the Hub refuses the card: {m}" for m in validate_online(card, target.type)]
    except HfsyncError as error:
        errors.append(error.message)
    except OSError as error:
        errors.append(f"cannot read {error.filename}: {error.strerror}")
    return (replace(change, errors=(*change.errors, *errors)) if errors else change), secrets


def gate(plan: Plan, cache: DigestCache | None = None) -> None:
    """Refuse to apply ``plan`` if any file it uploads or value it sends holds a secret
    (SecretFoundError)."""
    findings: list[str] = []
    values: list[str] = []
    with _opened(cache) as opened:  # once for every target
        for target in plan.targets:
            if not target.has_changes:
                continue
            values += [f"{target.key}: {f}" for f in value_findings(None, target, opened)[0]]
            if target.files:
                root = Path(target.source or ".")
                findings += [f"{target.key}: {f}" for f in scan_uploads(root, target.files, opened)]
    if findings or values:
        raise blocked(findings + values, "the files and values to send" if values else "the files to upload")
