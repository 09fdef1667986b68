"""A signed statement held against a commit's listing: pure, no Hub and no disk.

Every file the commit holds (but the paths a signature leaves out) must be signed, every
signed file must be in the commit, and every pinned file's digest must be the signed one:
an LFS file by the sha256 the listing gives, a regular file by the sha256 of its bytes
(read by the caller, since its git blob id is not a sha256).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hfsync.model.lock import LockedFile
from hfsync.signing.statement import IGNORED, SIGNATURE_FILE, SignedFiles, is_ignored


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def mismatch(
    signed: SignedFiles, listing: Sequence[LockedFile], pinned: Sequence[LockedFile], small: Mapping[str, str]
) -> str | None:
    """The one sentence saying where the commit and its signature part, or None when they agree.

    ``listing``: every file of the commit; ``pinned``: those the lock pins; ``small``: the
    sha256 of each pinned regular file. A file signed with another hash than sha256 is not
    judged here (see ``unchecked``)."""
    ignored = frozenset(p.rstrip("/") for p in (*IGNORED, *signed.ignored))
    present = {f.path for f in listing}
    for file in sorted(pinned, key=lambda f: f.path):
        if is_ignored(file.path, ignored):
            continue
        if file.path not in signed.files:
            return f"{file.path} is not signed in {SIGNATURE_FILE} (a file added after signing)"
        algorithm, digest = signed.files[file.path]
        ours = file.sha256 or small.get(file.path)
        if algorithm == "sha256" and ours != digest:
            return (f"{file.path} is listed with sha256 {_short(ours or '?')}, and {SIGNATURE_FILE} signed "
                    f"{_short(digest)}: not the signed content")
    for path in sorted(signed.files):
        if path not in present:
            return f"{path} is signed in {SIGNATURE_FILE} and missing from the commit (a file removed after signing)"
    for path in sorted(present):
        if not is_ignored(path, ignored) and path not in signed.files:
            return f"{path} is in the commit and not signed in {SIGNATURE_FILE} (a file added after signing)"
    return None


def unchecked(signed: SignedFiles, pinned: Sequence[LockedFile]) -> list[str]:
    """Pinned files signed with a hash the listing cannot be checked against (not sha256)."""
    return sorted(f.path for f in pinned if signed.files.get(f.path, ("sha256", ""))[0] != "sha256")
