"""What looks like a secret, and where it stands in text: the rules the secret scan applies.

The rules: file-name rules (``.env``, ``id_rsa``, ``*.pem``, ...); the credential patterns
(``STRONG``), found wherever they stand: a token of that shape is flagged even on a line
detect-secrets' heuristics would drop (``HfApi(token="hf_...")``); and detect-secrets'
plugins plus a Hugging Face token detector, line by line. A text file is read streaming, a
batch of lines at a time (a long line in overlapping windows), so memory does not grow with
the file. ``value_secrets`` runs the same patterns over a value hfsync sends (a Space
variable, card metadata, a description, a path), returning what to keep out of every output.

A finding carries the file, the line, the type and a fingerprint (detect-secrets' SHA-1
of the secret, or of the whole file for a name rule) and never the secret itself.

Apart from the scan of files and folders (hfsync.publish.scan), which applies these rules
to a tree: the rules judge text wherever it comes from (a file, a generated card, a diff, a
value sent to the Hub), and what asks of text alone needs nothing of walking a tree.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from hfsync.publish.textfile import line_batches

# Bumped whenever the rules below, or how hfsync.publish.scan applies them, change what a
# file's content yields: results remembered by content digest under another version are not used.
SCAN_VERSION = 4
NAME_RULE_TYPE = "Sensitive file name"

# Credential files, by name (matched against the file name, case-insensitive).
NAME_RULES: tuple[tuple[str, str], ...] = (
    (".env", "environment file"),
    (".env.*", "environment file"),
    ("id_rsa", "SSH private key"),
    ("id_dsa", "SSH private key"),
    ("id_ecdsa", "SSH private key"),
    ("id_ed25519", "SSH private key"),
    ("*.pem", "PEM key or certificate"),
    ("*.key", "private key"),
    ("*.p12", "PKCS#12 keystore"),
    ("*.pfx", "PKCS#12 keystore"),
    ("credentials.json", "credentials file"),
    (".netrc", "netrc credentials"),
    (".npmrc", "npm credentials"),
    (".pypirc", "PyPI credentials"),
    ("*.tfstate", "Terraform state"),
    ("*.tfstate.backup", "Terraform state"),
)

# A public IP address is not a credential; the other plugins all look for one.
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector"})
# Ours (secretplugin.py): an HF token rule, and npm's rule in linear time in place of detect-secrets' own.
_OWN_PLUGINS = {"HuggingFaceTokenDetector": "HuggingFaceTokenDetector", "NpmTokenDetector": "NpmDetector"}
_FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
)


# Credentials with an unmistakable shape, found wherever they stand.
STRONG: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("Hugging Face Token", "hf_", re.compile(r"(?<![A-Za-z0-9_])(hf_[A-Za-z0-9]{34,})(?![A-Za-z0-9])")),
    ("GitHub Fine-Grained Token", "github_pat_",
     re.compile(r"(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9_]{50,})(?![A-Za-z0-9_])")),
)
# detect-secrets plugins that judge a value by its randomness alone: a commit id or a
# digest in a card's metadata is random too. Values are judged by the other plugins.
_ENTROPY = frozenset({"Base64HighEntropyString", "HexHighEntropyString"})


def fingerprint(secret: str) -> str:
    """What a finding shows of a secret: detect-secrets' SHA-1 of it."""
    return hashlib.sha1(secret.encode("utf-8"), usedforsecurity=False).hexdigest()


def strong_matches(text: str) -> Iterator[tuple[str, str]]:
    """(type, secret) for every credential of a known shape in ``text``."""
    for kind, marker, pattern in STRONG:
        if marker in text:
            for match in pattern.finditer(text):
                yield kind, match.group(1)


@dataclass(frozen=True, order=True)
class Finding:
    """Something that looks like a secret. Never holds the secret's text."""

    path: str  # relative to the scanned root, forward slashes
    line: int  # 0 for a file-name rule
    type: str
    fingerprint: str  # SHA-1 hex, as in a detect-secrets baseline's hashed_secret

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.type} (fingerprint {self.fingerprint})"



# Every name rule as one expression, one group per rule: one match per file name.
_NAME_RULES = re.compile("|".join(f"(?P<r{i}>{fnmatch.translate(p)})" for i, (p, _) in enumerate(NAME_RULES)))


def name_rule(name: str) -> str | None:
    """The description of the file-name rule ``name`` breaks, if any."""
    match = _NAME_RULES.match(name.lower())
    if match is None:
        return None
    return f"{NAME_RULE_TYPE} ({NAME_RULES[int((match.lastgroup or '')[1:])][1]})"



# detect-secrets keeps its settings in process globals: one scan at a time (targets are
# planned in threads). Scanning is GIL-bound Python anyway, so little is lost.
_SCAN_LOCK = threading.RLock()
_IMPORT_LOCK = threading.Lock()
_detect_secrets: SimpleNamespace | None = None


def _ds() -> SimpleNamespace:
    """detect-secrets' functions, imported on the first scan (not at start-up: it costs more
    than a whole `hfsync validate`), once, under a lock: its modules import one another in
    a cycle, and two scanning threads importing them at once deadlock."""
    global _detect_secrets
    with _IMPORT_LOCK:
        if _detect_secrets is None:
            from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
            from detect_secrets.core.scan import _process_line_based_plugins
            from detect_secrets.settings import get_plugins, transient_settings

            _detect_secrets = SimpleNamespace(
                get_mapping_from_secret_type_to_class=get_mapping_from_secret_type_to_class,
                process_line_based_plugins=_process_line_based_plugins,
                get_plugins=get_plugins, transient_settings=transient_settings)
    return _detect_secrets


@contextlib.contextmanager
def detect_secrets_settings() -> Iterator[None]:
    """detect-secrets set up with hfsync's plugins and filters, one scan at a time; the
    callers of ``scan_text_file`` and ``may_hold_secret`` hold it (the others here enter it)."""
    with _SCAN_LOCK, _configured():
        yield


@contextlib.contextmanager
def _configured() -> Iterator[None]:

    ds = _ds()
    plugin_file = Path(__file__).with_name("secretplugin.py")
    ds.get_mapping_from_secret_type_to_class.cache_clear()
    builtin = sorted(
        cls.__name__ for cls in ds.get_mapping_from_secret_type_to_class().values()
        if cls.__name__ not in _SKIPPED_PLUGINS and cls.__name__ not in {*_OWN_PLUGINS, *_OWN_PLUGINS.values()}
    )
    config = {
        "plugins_used": [
            *({"name": name} for name in builtin),
            *({"name": name, "path": f"file://{plugin_file}"} for name in _OWN_PLUGINS),
        ],
        "filters_used": [{"path": path} for path in _FILTERS],
    }
    with ds.transient_settings(config):
        ds.get_mapping_from_secret_type_to_class.cache_clear()
        try:
            yield
        finally:
            ds.get_mapping_from_secret_type_to_class.cache_clear()


# Literal text (lower case) without which a costly plugin cannot match, read from the
# plugins' sources (detect-secrets 1.5): every Keyword pattern embeds one of its denylist
# words (api_?key, db_?pass, pwd, secret, contraseña, ...); the assignment-style cloud
# detectors embed their key words. A gate is a necessary condition only: a gated plugin
# still decides, it just skips text in which it cannot match. Case-insensitive regex
# alternations cost more than all the other plugins together, substring tests do not.
_GATES: dict[str, tuple[str, ...]] = {
    "KeywordDetector": ("key", "pass", "pwd", "secret", "contrase"),
    "CloudantDetector": ("cl",),
    "IbmCloudIamDetector": ("key", "pwd", "pass", "token"),
    "IbmCosHmacDetector": ("secret",),
    "SoftlayerDetector": ("sl", "softlayer"),
    "ArtifactoryDetector": ("akc", "ap"),
    # Each tries 32 letters at every position of a long word: most of the scan of a
    # minified file without them.
    "MailchimpDetector": ("-us",),
    "NpmTokenDetector": ("/:_authtoken=",),
}


def _flagged(lines: list[tuple[int, str]], filename: str) -> bool:
    """Whether any plugin matches anywhere in these lines, taken as one string.

    The plugins' patterns cannot span a line break in a way that hides a per-line match,
    so a clean joined text means clean lines: one regex pass per plugin per batch
    instead of detect-secrets' per-line, per-plugin bookkeeping.
    """
    return may_hold_secret("".join(line for _, line in lines), filename)


def may_hold_secret(text: str, filename: str) -> bool:
    """Whether any plugin matches anywhere in ``text`` (a necessary condition for a finding:
    clean text needs no per-line pass)."""
    lowered = text.lower()
    for plugin in _ds().get_plugins():
        name = type(plugin).__name__
        gate = _GATES.get(name)
        if gate is not None and not any(word in lowered for word in gate):
            continue
        # A string of n characters has an entropy of at most log2(n): one shorter than
        # 2**limit can never pass the plugin's limit, and computing it costs more than
        # every other plugin together (quoted keys of JSON, words of a text).
        if name in _ENTROPY and not any(len(m.group(2)) >= 2 ** plugin.entropy_limit
                                        for m in plugin.regex.finditer(text)):
            continue
        if plugin.analyze_line(filename=filename, line=text):
            return True
    return False


def _narrow(lines: list[tuple[int, str]], filename: str) -> Iterator[list[tuple[int, str]]]:
    """The small runs of ``lines`` that may hold a secret (bisecting flagged batches)."""
    if not _flagged(lines, filename):
        return
    # Small enough for detect-secrets' per-line pass: few lines, or one (long) line.
    if len(lines) == 1 or (len(lines) <= 64 and sum(len(text) for _, text in lines) <= 64 * 1024):
        yield lines
        return
    half = len(lines) // 2
    yield from _narrow(lines[:half], filename)
    yield from _narrow(lines[half:], filename)


def _strong_lines(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str, str]]:
    """(line, type, secret) of the credential patterns, unfiltered."""
    if not any(marker in line for _, marker, _ in STRONG for _, line in lines):
        return
    for number, line in lines:
        for kind, secret in strong_matches(line):
            yield number, kind, secret


def _lines_found(lines: list[tuple[int, str]], filename: str) -> Iterator[tuple[int, str, str]]:
    """(line, type, secret) in these lines: the credential patterns, then detect-secrets."""
    yield from _strong_lines(lines)
    for narrowed in _narrow(lines, filename):
        for secret in _ds().process_line_based_plugins(lines=narrowed, filename=filename):
            yield secret.line_number, secret.type, secret.secret_value or ""


def scan_text_file(path: Path, shown: str, encoding: str = "utf-8") -> Iterator[Finding]:
    """Findings in the text file ``path`` (named ``shown`` in them), read a batch of lines at a time."""
    # detect-secrets' scan_file reads a file whole; feeding its line-based pass a batch
    # at a time keeps its plugins and false-positive filters while streaming.
    seen: set[tuple[int, str, str]] = set()
    for batch in line_batches(path, encoding):
        for number, kind, secret in _lines_found(batch.lines, str(path)):
            key = (number, kind, fingerprint(secret))
            # A long line's windows overlap: each match is counted in the window it starts
            # in, whole, never a neighbour's cut copy of it (which has another fingerprint).
            if key not in seen and batch.counts(secret):
                seen.add(key)
                yield Finding(shown, *key)


def scan_text(name: str, text: str) -> list[Finding]:
    """Findings in generated text about to be published as ``name`` (no file on disk)."""
    with detect_secrets_settings():
        lines = list(enumerate(text.splitlines(keepends=True), start=1))
        found = {Finding(name, number, kind, fingerprint(secret)) for number, kind, secret in _lines_found(lines, name)}
    return sorted(found)


def flagged_lines(text: str) -> list[tuple[int, str]]:
    """(line, type) of each possible secret in ``text``: what hfsync.inspect.reading.scrub asks."""
    return [(f.line, f.type) for f in scan_text("diffs", text)]


def text_secrets(text: str, name: str = "text") -> set[str]:
    """The secrets ``scan_text`` would flag in ``text``, to keep out of every output."""
    with detect_secrets_settings():
        lines = list(enumerate(text.splitlines(keepends=True), start=1))
        return {secret for _, _, secret in _lines_found(lines, name) if secret}


def value_secrets(values: Iterable[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """For each ``(name, value)`` hfsync sends to the Hub, (type, secret) for what looks like
    a credential in it, each value seen as the line ``name: "value"`` (so keyword rules see
    its name); randomness alone does not flag a value. One scan for all of them."""
    out: list[list[tuple[str, str]]] = []
    values = list(values)
    if not values:
        return out  # nothing to judge: detect-secrets stays unloaded (a no-op plan starts fast)
    with detect_secrets_settings():
        plugins = [p for p in _ds().get_plugins() if type(p).__name__ not in _ENTROPY]
        for name, value in values:
            found = dict((secret, kind) for kind, secret in strong_matches(value))
            line = f"{name}: {json.dumps(value)}\n"
            for plugin in plugins:
                for secret in plugin.analyze_line(filename="values.yaml", line=line, line_number=1):
                    if secret.secret_value and secret.secret_value in value:
                        found.setdefault(secret.secret_value, secret.type)
            out.append(sorted((kind, secret) for secret, kind in found.items()))
    return out
