"""Desired vs actual -> changes, for one repo target. Pure: no Hub, no disk.

Content is compared by content ids only: local sha256 against the Hub's LFS sha256,
local git blob sha1 against the Hub's blob oid. Sizes and times never decide.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from hfsync.digests import Digests
from hfsync.manifest.model import RepoTarget
from hfsync.model.plan import Action, FileChange, MetadataChange, RefChange, SettingChange, TargetChange
from hfsync.model.remote import RemoteRepo, content_ids
from hfsync.publish.source import selected

# Files the Hub stores through LFS whatever their size: the patterns of the
# .gitattributes a new Hub repo starts with. Used to *predict* how a new file will be
# stored (shown in the plan); the Hub's preupload answer decides at apply time.
LFS_PATTERNS = tuple(
    """*.7z *.arrow *.bin *.bz2 *.ckpt *.ftz *.gz *.h5 *.joblib *.lfs.* *.mlmodel *.model
    *.msgpack *.npy *.npz *.onnx *.ot *.parquet *.pb *.pickle *.pkl *.pt *.pth *.rar
    *.safetensors saved_model/* *.tar.* *.tar *.tflite *.tgz *.wasm *.xz *.zip *.zst *tfevents*
    *.gguf""".split()
)
LFS_SIZE = 10 * 1000 * 1000

# What a plan says of a secret the Hub holds: its value is never returned, so never known.
SECRET_SET = "(set)"
GRANTED = "granted"

# The stages of a Space that runs as published (SLEEPING: it ran, and sleeps until visited).
HEALTHY = ("RUNNING", "SLEEPING")
# The stages a Space stays in until someone changes something.
UNHEALTHY = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE", "STOPPED", "PAUSED"})

# Hardware the Hub does not bill.
FREE_HARDWARE = frozenset({"cpu-basic"})

# Never deleted by prune: the Hub manages it.
PROTECTED = frozenset({".gitattributes"})


class LocalFile(NamedTuple):
    """A file to publish: on disk under the target's source, or generated (``content``).
    A tuple: a plan of 100,000 files makes one per file."""

    path: str
    digests: Digests
    content: str | None = None
    link: str | None = None  # the symbolic link the file is reached through, as it reads


# All of LFS_PATTERNS as one expression: one match per file instead of one per pattern.
_LFS = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in LFS_PATTERNS))


def predict_lfs(path: str, size: int) -> bool:
    """Whether the Hub will most likely store ``path`` through LFS."""
    return size >= LFS_SIZE or bool(_LFS.match(path.rsplit("/", 1)[-1]) or _LFS.match(path))


def _gated(value: str | bool | None) -> str | bool | None:
    return False if value in (False, "false", None) else value


def setting_changes(target: RepoTarget, remote: RemoteRepo) -> list[SettingChange]:
    """Declared settings that differ from the Hub's (all declared ones for a new repo)."""
    desired: dict[str, Any] = {}
    actual: dict[str, Any] = {}
    if target.private is not None:
        desired["private"], actual["private"] = target.private, remote.private
    if target.gated is not None:
        desired["gated"] = _gated(target.gated)
        actual["gated"] = _gated(remote.gated) if remote.exists else None
    if target.space is not None:
        if target.space.sdk is not None:
            desired["sdk"], actual["sdk"] = target.space.sdk, remote.sdk
        if target.space.hardware is not None:
            desired["hardware"], actual["hardware"] = target.space.hardware, remote.hardware
        if target.space.sleep_time is not None:
            desired["sleep_time"], actual["sleep_time"] = target.space.sleep_time, remote.sleep_time
        if target.space.paused is not None:
            desired["paused"], actual["paused"] = target.space.paused, bool(remote.paused)
        if target.space.variables is not None:
            known = remote.variables or {}
            declared = target.space.variables
            for name in sorted({*declared, *known}):  # the declared set is the whole set: None deletes
                desired[f"variables.{name}"], actual[f"variables.{name}"] = declared.get(name), known.get(name)
        if target.space.secrets is not None:
            present = remote.secrets or frozenset()
            for name, env in sorted(target.space.secrets.items()):
                # Presence only: the Hub never returns a value, so a present secret is kept as it is.
                desired[f"secrets.{name}"] = SECRET_SET if name in present else {"env": env}
                actual[f"secrets.{name}"] = SECRET_SET if name in present else None
            for name in sorted(present - set(target.space.secrets)):
                desired[f"secrets.{name}"], actual[f"secrets.{name}"] = None, SECRET_SET
    if target.access is not None:
        declared_users, have = set(target.access.users), remote.granted or frozenset()
        for user in sorted(declared_users | have):  # the declared set is the whole set: None revokes
            desired[f"access.{user}"] = GRANTED if user in declared_users else None
            actual[f"access.{user}"] = GRANTED if user in have else None
    if target.description is not None and target.type == "space":
        desired["description"] = target.description
        actual["description"] = remote.card_data.get("short_description")
    if not remote.exists:
        return [SettingChange(k, None, v) for k, v in desired.items() if v is not None]
    return [SettingChange(k, actual[k], v) for k, v in desired.items() if actual[k] != v]


def cost_of(setting: SettingChange, target: RepoTarget) -> str | None:
    """What a Space runtime setting's change costs, in words (the Hub bills hardware by the hour it runs)."""
    hardware = (target.space.hardware if target.space else None) or "cpu-basic"
    if setting.name == "hardware":
        if setting.new in FREE_HARDWARE:
            return f"hardware {setting.new} is free: the Space is no longer billed for hardware"
        return f"hardware {setting.new} is billed by the hour while the Space runs (until it sleeps or is paused)"
    if setting.name == "sleep_time":
        if hardware in FREE_HARDWARE:
            return f"sleep_time has no effect on {hardware}: free hardware sleeps after 48 hours without a visitor"
        if setting.new == -1:
            return f"sleep_time -1: the Space never sleeps, so {hardware} is billed around the clock"
        return (f"sleep_time {setting.new}: the Space sleeps after {setting.new}s without a visitor and "
                f"{hardware} is not billed while it sleeps")
    if setting.name == "paused":
        return ("paused: the Space stops and its hardware is not billed until it is restarted" if setting.new else
                f"paused -> false: the Space is restarted and {hardware} is billed again while it runs"
                if hardware not in FREE_HARDWARE else "paused -> false: the Space is restarted")
    return None


def secret_problems(target: RepoTarget, environ: Mapping[str, str]) -> list[str]:
    """Declared Space secrets whose environment variable is missing or empty (named, never its value)."""
    if target.space is None or not target.space.secrets:
        return []
    problems = []
    for name, env in sorted(target.space.secrets.items()):
        if not environ.get(env):
            state = "is empty" if env in environ else "is not set"
            problems.append(f"Space secret {name}: environment variable {env} {state}; apply reads the secret's "
                            f"value from it (set {env}, or remove secrets.{name} from the manifest)")
    return problems


def metadata_changes(declared: Mapping[str, Any], remote: RemoteRepo) -> list[MetadataChange]:
    """Declared card metadata keys whose value differs from the remote card's."""
    return [
        MetadataChange(key, remote.card_data.get(key), value)
        for key, value in sorted(declared.items())
        if remote.card_data.get(key) != value
    ]


def file_changes(
    local: Mapping[str, LocalFile],
    remote: RemoteRepo,
    prune: bool,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    keep: frozenset[str] = frozenset(),
) -> list[FileChange]:
    """Adds and updates for local files that differ; deletes (with prune) for remote
    files in the source selection that are absent locally, except ``keep``."""
    changes: list[FileChange] = []
    files = remote.files
    theirs_of = content_ids(files)
    for path in sorted(local):
        item = local[path]
        d = item.digests
        # A sha256 (LFS) never equals a git blob id: either of ours matching theirs is the same content.
        theirs_id = theirs_of(path)
        if theirs_id is not None and theirs_id in (d.sha256, d.git_sha1):
            continue
        if theirs_id is None:
            changes.append(FileChange(
                path, Action.CREATE, d.size, predict_lfs(path, d.size), d.sha256, d.git_sha1, d.blake3,
                content=item.content, link=item.link,
            ))
            continue
        theirs = files[path]
        changes.append(FileChange(
            path, Action.UPDATE, d.size, theirs.lfs, d.sha256, d.git_sha1, d.blake3,
            remote_oid=theirs.content_id, remote_size=theirs.size, content=item.content, link=item.link,
            reason="content differs" if d.size == theirs.size else f"size {theirs.size} -> {d.size}",
        ))
    if prune:
        for path in sorted(set(remote.files) - set(local)):
            if path in PROTECTED or path in keep or not selected(path, include, exclude):
                continue
            theirs = remote.files[path]
            changes.append(FileChange(
                path, Action.DELETE, theirs.size, theirs.lfs, remote_oid=theirs.content_id,
                remote_size=theirs.size, reason="absent from source (prune: true)",
            ))
    return changes


def target_change(
    target: RepoTarget,
    local: Mapping[str, LocalFile],
    remote: RemoteRepo,
    *,
    declared_metadata: Mapping[str, Any] | None = None,
    keep: frozenset[str] = frozenset(),
    inputs: Mapping[str, str] | None = None,
    warnings: Sequence[str] = (),
    errors: Sequence[str] = (),
    card_generated: bool = False,
) -> TargetChange:
    """The whole change for one target (``card_generated``: README.md is generated from the manifest)."""
    settings = setting_changes(target, remote)
    metadata = metadata_changes(declared_metadata or {}, remote)
    files = file_changes(
        local, remote, target.source.prune, target.source.include, target.source.exclude, keep
    )
    refs: list[RefChange] = []
    reasons: list[str] = []
    warn = list(warnings)
    notices: list[str] = []
    if not remote.branch_exists or (not remote.exists and target.revision != "main"):
        refs.append(RefChange("branch", target.revision, target=remote.head))
        reasons.append(f"branch {target.revision} does not exist yet; it starts from the default branch")
    for tag in target.tags:
        if tag not in remote.tags:
            refs.append(RefChange("tag", tag))
        elif files:
            notices.append(f"tag {tag} already exists at {remote.tags[tag][:7]}; tags are never moved")
    if remote.exists and target.space is not None:
        if target.space.variables and remote.variables is None:
            warn.append("the Hub did not report this Space's variables; declared ones are planned as changes")
        if remote.stage in UNHEALTHY and not (remote.stage == "PAUSED" and target.space.paused):
            then = "apply waits for it to run after publishing" if settings or metadata or files or refs else (
                "nothing in this plan changes it: see its logs on the Hub")
            warn.append(f"the Space is {remote.stage} on the Hub now, not healthy; {then}")
        if target.space.secrets and remote.secrets is None:
            warn.append("the Hub did not report this Space's secrets; declared ones are planned as changes")
        if target.space.hardware and remote.hardware is None:
            warn.append("the Hub did not report this Space's hardware; the declared one is planned as a change")
    reasons += [cost for s in settings if (cost := cost_of(s, target))]
    if target.access is not None and remote.pending:
        warn.append(f"{len(remote.pending)} access request(s) wait for review: {', '.join(remote.pending)}; "
                    "name them in access.users to grant them")
    if target.description is not None and target.type != "space" and not card_generated:
        # A generated card carries the description in its body; otherwise it goes nowhere.
        # Shown with the target's changes only, and once: a note on every plan would be noise.
        notices.append(f"description is not a Hub setting for a {target.type} (no API sets it); it is not published")
    if not remote.exists:
        action = Action.CREATE  # the block's "will be created" says it; no note repeats it
    elif settings or metadata or files or refs:
        action = Action.UPDATE
    else:
        action = Action.NOOP
    health = None
    if target.type == "space" and target.space is not None and action != Action.NOOP:
        stages = ["PAUSED"] if target.space.paused else list(HEALTHY)
        health = {"timeout": target.space.health_timeout, "stages": stages}
    return TargetChange(
        key=target.key,
        repo_id=target.id,
        repo_type=target.type,
        revision=target.revision,
        action=action,
        head=remote.head,
        source=str(target.source.path),
        prune=target.source.prune,
        settings=tuple(settings),
        metadata=tuple(metadata),
        files=tuple(files),
        refs=tuple(refs),
        inputs=dict(inputs or {}),
        health=health,
        reasons=tuple(reasons),
        notices=tuple(notices),
        warnings=tuple(warn),
        errors=tuple(errors),
    )
