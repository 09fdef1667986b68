"""The secret scan of files and folders: what must never be published, found before anything is uploaded.

Passes over each file: the file-name rules and the credential patterns on the path itself,
then, for text files, the rules of hfsync.publish.secrets over the content. Text is UTF-8,
UTF-16 (with or without a byte-order mark), UTF-32 with a mark, or Latin-1; a file is binary
(weights, archives) when its first block is none of these, and binary files get the name
passes only. Small text files are judged many at a time; the others are read streaming. An
audited ``.secrets.baseline`` (``baseline``) silences the entries its auditor marked
``is_secret: false``.

Apart from the rules (hfsync.publish.secrets), which judge any text: this is the walk over a
tree, what reading it costs, and the report that `hfsync scan` prints and plan's gate acts on.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from hfsync.errors import SECRET_FIX, HfsyncError, SecretFoundError
from hfsync.publish.baseline import BASELINE_NAME, Baseline, find_baseline
from hfsync.publish.secrets import (
    Finding,
    detect_secrets_settings,
    fingerprint,
    may_hold_secret,
    name_rule,
    scan_text_file,
    strong_matches,
)
from hfsync.publish.textfile import BLOCK, encoding_of

log = logging.getLogger("hfsync.secrets")


@dataclass
class ScanReport:
    """What a scan looked at and found."""

    findings: list[Finding] = field(default_factory=list)
    silenced: int = 0
    files: int = 0
    binary: int = 0
    bytes: int = 0
    by_file: dict[str, list[Finding]] = field(default_factory=dict)  # before the baseline; files with findings


def _sha1_file(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hide(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


# Text files this small are read whole and judged many at a time: one plugin pass over
# their joined text (a file's lines, then the next file's) says whether any of them may
# hold a secret, as for the lines of one file; only the files of a flagged batch, and
# those holding a credential pattern's match, get the per-file scan. A scan's cost is
# then that of reading the files, not of detect-secrets' per-file set-up.
_SMALL = 64 * 1024
_BATCH_CHARS = 1 << 20


@dataclass
class _Small:
    relative: str
    shown: str
    absolute: str
    encoding: str
    text: str


class _Batches:
    """Small text files waiting to be judged together, by extension (the keyword plugin
    reads the file type from the name)."""

    def __init__(self) -> None:
        self.waiting: dict[str, tuple[list[_Small], int]] = {}
        self.suspects: list[_Small] = []

    def add(self, small: _Small) -> None:
        if next(strong_matches(small.text), None) is not None:
            self.suspects.append(small)
            return
        extension = os.path.splitext(small.absolute)[1]
        files, chars = self.waiting.get(extension, ([], 0))
        files.append(small)
        self.waiting[extension] = (files, chars + len(small.text))
        if chars + len(small.text) >= _BATCH_CHARS:
            self._judge(self.waiting.pop(extension)[0])

    def flush(self) -> list[_Small]:
        """The files that need the per-file scan, once every batch is judged."""
        for files, _ in self.waiting.values():
            self._judge(files)
        self.waiting.clear()
        return self.suspects

    def _judge(self, files: list[_Small]) -> None:
        # Joined with a line break, as lines are: no match spans two files, none is hidden.
        if not may_hold_secret("\n".join(f.text for f in files), files[0].absolute):
            return
        if len(files) == 1:
            self.suspects += files
            return
        half = len(files) // 2
        self._judge(files[:half])
        self._judge(files[half:])


def _read_start(absolute: str) -> tuple[int, bytes]:
    """A file's size and its first bytes: all of it when small, else its first block."""
    with open(absolute, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        return size, handle.read(size + 1 if size <= _SMALL else BLOCK)


def _as_text(data: bytes, encoding: str) -> str:
    # As reading it in text mode gives it (universal newlines), so lines are the scan's lines.
    return data.decode(encoding, errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def scan_files(
    root: Path, paths: Iterable[str], baseline: Baseline | None = None, contents: Mapping[str, bytes] | None = None
) -> ScanReport:
    """Scan ``paths`` (relative to ``root``, forward slashes) and report every finding.

    Findings the baseline marks as audited false positives are counted, not reported.
    ``contents``: the bytes of some of the files, read already (scanned instead of reading them again).
    """
    report = ScanReport()
    by_file: dict[str, list[Finding]] = {}
    with detect_secrets_settings():
        batches = _Batches()
        for relative in sorted(paths):
            absolute = os.path.join(root, relative)
            report.files += 1
            named = list(strong_matches(relative))
            shown = hide(relative, (secret for _, secret in named))  # the name never shows the secret
            found = [Finding(shown, 0, f"{kind} in the file name", fingerprint(secret)) for kind, secret in named]
            # A link is judged by the name of the file it leads to as well (`key -> id_rsa`).
            if rule := name_rule(os.path.basename(absolute)) or (
                    os.path.islink(absolute) and name_rule(os.path.basename(os.path.realpath(absolute)))):
                found.append(Finding(shown, 0, rule, _sha1_file(Path(absolute))))
            known = contents.get(relative) if contents else None
            size, start = (len(known), known) if known is not None else _read_start(absolute)
            report.bytes += size
            encoding = encoding_of(start)
            if encoding is None:
                report.binary += 1
            elif size <= _SMALL and len(start) <= _SMALL:
                batches.add(_Small(relative, shown, absolute, encoding, _as_text(start, encoding)))
            else:
                found.extend(scan_text_file(Path(absolute), shown, encoding))
            if found:
                by_file[relative] = found
        for small in batches.flush():
            if text_found := list(scan_text_file(Path(small.absolute), small.shown, small.encoding)):
                by_file.setdefault(small.relative, []).extend(text_found)
    for relative, found in sorted(by_file.items()):
        report.by_file[relative] = found
        for finding in found:
            if baseline is not None and baseline.allows(root / relative, finding.type, finding.fingerprint):
                report.silenced += 1
            else:
                report.findings.append(finding)
    report.findings.sort()
    log.info("scanned %d files for secrets: %d findings", report.files, len(report.findings), extra={"fields": {
        "event": "secret-scan", "files": report.files, "binary": report.binary, "bytes": report.bytes,
        "findings": len(report.findings), "silenced": report.silenced}})
    return report


def walk(root: Path) -> list[str]:
    """Every file under ``root`` (relative, forward slashes), skipping ``.git``."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in files:
            path = Path(folder, name)
            if path.is_file() and name != BASELINE_NAME:
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def scan_path(path: Path, baseline_path: Path | None = None) -> ScanReport:
    """Scan a folder (or one file) as apply would; the baseline defaults to the nearest one
    up to the git work tree's root."""
    if not path.exists():
        raise HfsyncError(f"{path} does not exist", hint="Give a folder or file to scan.")
    root, paths = (path.parent, [path.name]) if path.is_file() else (path, walk(path))
    if baseline_path is None:
        baseline_path = find_baseline(root)  # the one plan and apply would use
    baseline = Baseline(baseline_path) if baseline_path is not None else None
    return scan_files(root, paths, baseline)


def scan_paths(paths: Sequence[Path], baseline_path: Path | None = None) -> ScanReport:
    """Scan each of ``paths`` (folders or files) as one report. A file's findings are named
    as it was given; a folder's are relative to it, prefixed with it when several paths are given."""
    total = ScanReport()
    for path in paths:
        report = scan_path(path, baseline_path)
        base = path.parent if path.is_file() else path if len(paths) > 1 else Path()
        total.findings += [replace(f, path=(base / f.path).as_posix()) for f in report.findings]
        total.silenced += report.silenced
        total.files += report.files
        total.binary += report.binary
        total.bytes += report.bytes
    return total


def blocked(findings: Sequence[object], where: str) -> SecretFoundError:
    """The error that stops a publish, listing every finding (never a secret)."""
    count = len(findings)
    lines = [f"{count} possible secret{'s' if count != 1 else ''} in {where}; nothing was uploaded:"]
    lines += [f"  {finding}" for finding in findings]
    return SecretFoundError(
        "\n".join(lines),
        hint=SECRET_FIX,
    )
