"""What a Hub repo is, and whether the manifest's policy would let the team depend on it.

Three reads, all through the metadata cache: the repo info with file sizes (expires
after the TTL when asked by branch or tag; never when asked by commit), then the
head commit and the card at the resolved commit (which never expire).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath

from hfsync.discover.session import Lookup
from hfsync.errors import AccessError
from hfsync.hub.discover import card_text, head_commit, repo_info
from hfsync.hub.metacache import is_commit
from hfsync.hubfacts import REPO_TYPES, base_models_of, is_pickle_file, license_of
from hfsync.manifest.model import Policy
from hfsync.model.discover import Found, RepoReport, Verdict


def parse_id(text: str, repo_type: str | None) -> tuple[str, str]:
    """``acme/m``, ``dataset:acme/d`` (a target key) or ``datasets/acme/d`` -> (type, id)."""
    kind, _, rest = text.partition(":")
    if rest and kind in REPO_TYPES:
        return repo_type or kind, rest
    first, _, rest = text.partition("/")
    if rest.count("/") == 1 and first in ("datasets", "spaces", "models"):
        return repo_type or first[:-1], rest
    return repo_type or "model", text


def _file_type(path: str) -> str:
    name = PurePosixPath(path).name
    suffix = PurePosixPath(name).suffix.lower()
    return suffix or (name if name.startswith(".") else "(no suffix)")  # .gitattributes


def _base_models(item: dict) -> tuple[str, ...]:
    return base_models_of(item.get("cardData"), item.get("tags") or ())


def card_summary(text: str | None, limit: int = 400) -> str | None:
    """The first paragraph of prose in a card: no front matter, headings, HTML or badges."""
    if not text:
        return None
    body = re.sub(r"\A\ufeff?---\s*\n.*?\n---\s*(\n|\Z)", "", text, flags=re.DOTALL)
    paragraph: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        prose = stripped and not stripped.startswith(("#", "<", "![", "[![", "|", "```", "---"))
        if prose:
            paragraph.append(stripped)
        elif paragraph:
            break
    summary = " ".join(paragraph)
    return summary[: limit - 1] + "…" if len(summary) > limit else summary or None


def verdicts(item: dict, repo_type: str, policy: Policy) -> tuple[Verdict, ...]:
    """The policy's checks on a repo: license, safetensors, pickle-only files, library."""
    out: list[Verdict] = []
    if policy.licenses is not None:
        license_id = license_of(item.get("cardData"), item.get("tags") or ())
        if license_id is None:
            out.append(Verdict("license", "fail", "the repo declares no license"))
        elif license_id in policy.licenses:
            out.append(Verdict("license", "ok", f"{license_id} is allowed"))
        else:
            allowed = ", ".join(policy.licenses)
            out.append(Verdict("license", "fail", f"{license_id} is not allowed (policy: {allowed})"))
    names = [s["rfilename"] for s in item.get("siblings") or ()]
    weights = [n for n in names if n.endswith(".safetensors")]
    pickles = [n for n in names if is_pickle_file(n)]
    bad = "fail" if policy.safetensors_only else "warn"
    if repo_type == "model":
        if weights:
            out.append(Verdict("safetensors", "ok", f"{len(weights)} .safetensors file(s)"))
        else:
            out.append(Verdict("safetensors", bad if pickles else "unknown",
                               "no .safetensors weights" + ("" if pickles else " (no weight files found)")))
    if pickles and not weights:
        out.append(Verdict("pickle", bad, "pickle-only weights: " + ", ".join(pickles)))
    elif pickles:
        out.append(Verdict("pickle", "ok", f"{len(pickles)} pickle file(s) left out: safetensors weights exist"))
    else:
        out.append(Verdict("pickle", "ok", "no pickle files"))
    if policy.libraries is not None:
        library = item.get("library_name")
        known = {library, *(item.get("tags") or ())} - {None}
        wanted = ", ".join(policy.libraries)
        if known & set(policy.libraries):
            out.append(Verdict("library", "ok", f"loads with {', '.join(sorted(known & set(policy.libraries)))}"))
        elif library is None:
            out.append(Verdict("library", "unknown", f"the repo names no library (policy: {wanted})"))
        else:
            out.append(Verdict("library", "fail", f"made for {library}, not {wanted}"))
    return tuple(out)


def repo_report(
    lookup: Lookup, repo_type: str, repo_id: str, revision: str | None = None, *, policy: Policy | None = None
) -> RepoReport:
    """Read ``repo_id`` (through the cache) and judge it against ``policy`` when given."""
    hub, reads, watch = lookup.hub, lookup.reads, lookup.watch
    where = f"{repo_type} {repo_id}" + (f" at {revision}" if revision else "")
    item = reads.read(
        ("info", repo_type, repo_id, revision or ""),
        where,
        lambda hint: repo_info(hub, repo_type, repo_id, revision, files_metadata=True, watch=watch,
                               offline_hint=hint),
        immutable=is_commit(revision),
    )
    sha = item.get("sha")
    if sha and sha != revision:
        # What a branch resolved to now is also the answer for its commit, forever.
        reads.store(("info", repo_type, repo_id, sha), item, immutable=True)
    commit = summary = None
    if sha:
        commit = reads.read(
            ("commit", repo_type, repo_id, sha),
            f"the last commit of {where}",
            lambda hint: head_commit(hub, repo_type, repo_id, sha, watch=watch),
            immutable=True,
        )
        if any(s.get("rfilename") == "README.md" for s in item.get("siblings") or ()):
            try:
                summary = card_summary(reads.read(
                    ("card", repo_type, repo_id, sha),
                    f"the card of {where}",
                    lambda hint: card_text(hub, repo_type, repo_id, sha, watch=watch),
                    immutable=True,
                ))
            except AccessError:  # the metadata is public; the card's text and the files are not
                return replace(_report(item, repo_type, revision, commit, None, policy), withheld=("files", "card"))
    return _report(item, repo_type, revision, commit, summary, policy)


def _report(
    item: dict, repo_type: str, revision: str | None, commit: dict | None, summary: str | None,
    policy: Policy | None,
) -> RepoReport:
    found = Found.from_hub(repo_type, item)
    sizes: dict[str, int] = {}
    siblings = item.get("siblings") or []
    for sibling in siblings:
        size = sibling.get("size") or (sibling.get("lfs") or {}).get("size") or 0
        kind = _file_type(sibling["rfilename"])
        sizes[kind] = sizes.get(kind, 0) + int(size)
    weights = item.get("safetensors") or {}
    return RepoReport(
        id=item["id"],
        type=repo_type,
        revision=revision,
        sha=item.get("sha"),
        license=found.license,
        gated=found.gated,
        private=found.private,
        task=found.task,
        library=found.library,
        base_models=_base_models(item),
        sizes=dict(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))),
        files=len(siblings),
        parameters=weights.get("total"),
        dtypes=dict(weights.get("parameters") or {}),
        summary=summary,
        last_commit={k: commit.get(k) for k in ("id", "title", "date")} if commit else None,
        last_modified=found.updated,
        downloads=found.downloads,
        likes=found.likes,
        verdicts=verdicts(item, repo_type, policy) if policy is not None else (),
    )


