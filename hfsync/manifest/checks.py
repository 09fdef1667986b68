"""The manifest's checks past its schema: what a JSON Schema cannot say.

Ids the Hub would refuse, license ids it does not know, paths that leave the manifest's
folder or do not exist, malformed globs, and clashes between manifests (a repo declared
twice, two pulls writing into one folder). Each problem is located (file:line:column).
``manifest.load`` runs them after the schema; none needs the network.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hfsync.errors import Problem
from hfsync.hubfacts import LICENSES, download_command, is_valid_repo_id
from hfsync.manifest.model import Location, Manifest, RepoTarget
from hfsync.manifest.resources import resource_problems
from hfsync.manifest.yamlpos import Document, Key


def _id_problem(repo_id: str) -> str | None:
    if "/" not in repo_id:
        return (
            f"repo id '{repo_id}' has no namespace; write 'namespace/{repo_id}' "
            "or set defaults.namespace"
        )
    if not is_valid_repo_id(repo_id):
        return (
            f"invalid repo id '{repo_id}'; expected 'namespace/name' using letters, digits, "
            "'-', '_' or '.', not starting or ending with '-' or '.', without '--' or '..', "
            "at most 96 characters"
        )
    return None


def _glob_problem(pattern: str) -> str | None:
    if pattern.startswith("/") or "\\" in pattern:
        return f"glob '{pattern}' must be a relative pattern with forward slashes"
    if ".." in pattern.split("/"):
        return f"glob '{pattern}' must not contain '..'"
    depth = 0
    for char in pattern:
        depth += char == "["
        depth -= char == "]" and depth > 0
    if depth:
        return f"glob '{pattern}' has an unclosed '['"
    return None


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def semantic_problems(document: Document, manifest: Manifest) -> list[Problem]:
    """What one schema-valid manifest gets wrong: license ids, repo ids, source and card
    paths outside its folder or missing, globs, space settings, a pull's destination."""
    problems: list[Problem] = []
    data = document.data
    for index, license_id in enumerate(data.get("policy", {}).get("licenses", [])):
        if license_id not in LICENSES:
            problems.append(
                document.problem(
                    ("policy", "licenses", index),
                    f"unknown license id '{license_id}'; expected a Hub license id "
                    "such as apache-2.0, mit or cc-by-4.0",
                )
            )
    for index, repo in enumerate(manifest.repos):
        raw = data["repos"][index]
        base: Key = ("repos", index)
        if message := _id_problem(repo.id):
            problems.append(document.problem((*base, "id"), message))
        source_key = (*base, "source", "path")
        raw_path = raw["source"]["path"]
        if os.path.isabs(raw_path) or not _inside(repo.source.path, manifest.root):
            problems.append(
                document.problem(
                    source_key,
                    f"source path '{raw_path}' leaves the manifest's folder "
                    f"{manifest.root}; expected a folder inside it",
                )
            )
        elif not repo.source.path.is_dir():
            what = "is not a folder" if repo.source.path.exists() else (
                "does not exist: create it, or fill it with the repo as the Hub has it: "
                + download_command(repo.id, repo.type, raw_path))
            problems.append(document.problem(source_key, f"source path '{raw_path}' {what}"))
        for field_name in ("include", "exclude"):
            for gi, pattern in enumerate(getattr(repo.source, field_name)):
                if message := _glob_problem(pattern):
                    problems.append(document.problem((*base, "source", field_name, gi), message))
        if repo.space is not None and repo.type != "space":
            problems.append(
                document.problem((*base, "space"), f"'space' settings need type: space, not {repo.type}")
            )
        if repo.type == "space" and (repo.space is None or repo.space.sdk is None):
            problems.append(
                document.problem(base, "a space needs space.sdk (gradio, streamlit, docker or static)")
            )
        if repo.space is not None and repo.space.secrets and repo.space.variables:
            for name in sorted(set(repo.space.secrets) & set(repo.space.variables)):
                problems.append(document.problem(
                    (*base, "space", "secrets", name),
                    f"'{name}' is declared both as a Space secret and as a variable; the Space sees one "
                    "environment variable by that name: keep one of them"))
        for field_name in ("training", "metrics"):
            value = raw.get("card", {}).get(field_name)
            path = getattr(repo.card, field_name)
            if value is not None and (not _inside(path, manifest.root) or not path.is_file()):
                problems.append(
                    document.problem(
                        (*base, "card", field_name),
                        f"card {field_name} file '{value}' does not exist inside the manifest's folder",
                    )
                )
        if repo.access is not None:
            problems += _access_problems(document, manifest, (*base, "access"), repo)
        if repo.signing is not None:
            problems += _signing_problems(document, manifest, (*base, "signing"), raw["signing"])
    for index, pull in enumerate(manifest.pulls):
        raw = data["pulls"][index]
        base = ("pulls", index)
        if "verify" in raw:
            problems += _verify_problems(document, manifest, (*base, "verify"), raw["verify"])
        elif manifest.policy.require_signature:
            problems.append(document.problem(base, f"policy.require_signature: pull '{pull.id}' needs 'verify:' "
                                                   "with the keys or roots its signature is checked against"))
        if message := _id_problem(pull.id):
            problems.append(document.problem((*base, "id"), message))
        has_dest, has_cache = "dest" in raw, bool(raw.get("cache"))
        if has_dest == has_cache:
            problems.append(
                document.problem(
                    base,
                    f"pull '{pull.id}' needs exactly one of 'dest: FOLDER' or 'cache: true'"
                    + (", not both" if has_dest else ""),
                )
            )
        for field_name in ("include", "exclude"):
            for gi, pattern in enumerate(getattr(pull, field_name)):
                if message := _glob_problem(pattern):
                    problems.append(document.problem((*base, field_name, gi), message))
        if pull.variant is not None and pull.variant != "auto" and not pull.variant.strip():
            problems.append(document.problem((*base, "variant"), "variant must be 'auto' or a file name"))
    return problems + resource_problems(document, manifest)


def _files_problems(
    document: Document, manifest: Manifest, base: Key, raw: dict[str, Any], names: Iterable[str]
) -> list[Problem]:
    """A problem for each named key file (one path, or a list of them) missing from the manifest's folder."""
    problems = []
    for name in names:
        values = raw.get(name, [])
        for index, value in enumerate([values] if isinstance(values, str) else values):
            where = (*base, name) if isinstance(values, str) else (*base, name, index)
            path = manifest.root / value
            if not _inside(path, manifest.root) or not path.is_file():
                problems.append(
                    document.problem(where, f"{name} file '{value}' does not exist inside the manifest's folder"))
    return problems


def _access_problems(document: Document, manifest: Manifest, base: Key, repo: RepoTarget) -> list[Problem]:
    problems = []
    if repo.gated != "manual":
        problems.append(document.problem(base, f"'access' grants need gated: manual, not gated: "
                                               f"{str(repo.gated).lower() if repo.gated is not None else 'unset'}"))
    path = repo.access.users_file if repo.access else None
    if path is not None and (not _inside(path, manifest.root) or not path.is_file()):
        problems.append(document.problem((*base, "users_file"), f"access users_file '{path.name}' does not exist "
                                                                "inside the manifest's folder"))
    return problems


def _signing_problems(document: Document, manifest: Manifest, base: Key, raw: dict[str, Any]) -> list[Problem]:
    problems = []
    if ("key" in raw) == ("key_env" in raw):
        problems.append(document.problem(base, "signing needs exactly one of 'key: FILE' or 'key_env: VARIABLE' "
                                               "(the private key, PEM)"))
    if "chain" in raw and "certificate" not in raw:
        problems.append(document.problem((*base, "chain"), "signing.chain goes with signing.certificate"))
    # The private key itself may be present only where apply runs (CI): not checked here.
    return problems + _files_problems(document, manifest, base, raw, ("public_key", "certificate", "chain"))


def _verify_problems(document: Document, manifest: Manifest, base: Key, raw: dict[str, Any]) -> list[Problem]:
    if not raw.get("keys") and not raw.get("roots"):
        return [document.problem(base, "verify needs 'keys' (PEM public keys) or 'roots' (PEM root certificates) "
                                       "to trust")]
    if raw.get("identities") and not raw.get("roots"):
        return [document.problem((*base, "identities"), "verify.identities name certificate holders: they go with "
                                                        "'roots' (the certificates those chain to)")]
    return _files_problems(document, manifest, base, raw, ("keys", "roots"))


def cross_file_problems(manifests: Iterable[Manifest]) -> list[Problem]:
    """What manifests get wrong together: a repo or pull declared twice (ids compared
    without case, as the Hub compares them), pulls writing into the same or nested folders."""
    problems: list[Problem] = []
    seen_repos: dict[tuple[str, str], tuple[Location, str]] = {}
    seen_pulls: dict[tuple[str, str], tuple[Location, str]] = {}
    seen_dests: dict[Path, tuple[str, Location]] = {}
    for manifest in manifests:
        for repo in manifest.repos:
            first, first_id = seen_repos.setdefault((repo.type, repo.id.casefold()), (repo.location, repo.id))
            if first is not repo.location:
                message = f"duplicate {repo.type} '{repo.id}'; first declared at {first}{_case(first_id, repo.id)}"
                problems.append(_at(repo.location, message))
        for pull in manifest.pulls:
            first, first_id = seen_pulls.setdefault((pull.type, pull.id.casefold()), (pull.location, pull.id))
            if first is not pull.location:
                message = (f"duplicate pull of {pull.type} '{pull.id}'; first declared at {first}"
                           f"{_case(first_id, pull.id)}")
                problems.append(_at(pull.location, message))
            if pull.dest is None:
                continue
            dest = Path(os.path.normpath(pull.dest.absolute()))
            for other, (other_id, other_loc) in seen_dests.items():
                if dest == other or dest.is_relative_to(other) or other.is_relative_to(dest):
                    problems.append(
                        _at(
                            pull.location,
                            f"pull '{pull.id}' writes to {dest}, which overlaps where "
                            f"'{other_id}' ({other_loc}) writes; give each pull its own folder",
                        )
                    )
            seen_dests.setdefault(dest, (pull.id, pull.location))
    return problems


def _case(first: str, again: str) -> str:
    return f" as '{first}' (the Hub does not tell repo ids apart by case)" if first != again else ""


def _at(location: Location, message: str) -> Problem:
    return Problem(str(location.file), location.line, location.column, message)
