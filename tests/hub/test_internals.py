"""What hfsync uses of huggingface_hub and hf_xet beyond their public API: each part named
here, present in the installed client, and used nowhere but hfsync/hub/internals.py."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "hfsync"
INTERNALS = ROOT / "hub" / "internals.py"

# (module, name): every non-public part hfsync/hub/internals.py reaches.
PRIVATE = [
    ("huggingface_hub.utils._pagination", "paginate"),
    ("huggingface_hub.utils._xet", "XetTokenType"),
    ("huggingface_hub.utils._xet", "xet_connection_info_refresh_url"),
    ("huggingface_hub.utils._xet", "get_xet_session"),
    ("huggingface_hub.utils._http", "hf_request_event_hook"),
    ("huggingface_hub.utils._http", "default_client_factory"),
    ("hf_xet", "hash_files"),
    ("huggingface_hub._oidc", "exchange_oidc_token"),
    ("huggingface_hub._oidc", "get_oidc_token"),
    ("huggingface_hub._oidc", "Provider"),
]


@pytest.mark.parametrize(("module", "name"), PRIVATE)
def test_the_installed_client_has_it(module, name):
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone from the installed client"


def test_the_signatures_called_still_take_what_hfsync_passes():
    from huggingface_hub.utils import _pagination, _xet

    assert {"path", "params", "headers"} <= inspect.signature(_pagination.paginate).parameters.keys()
    assert {"token_type", "repo_id", "repo_type", "revision", "endpoint"} <= inspect.signature(
        _xet.xet_connection_info_refresh_url).parameters.keys()
    assert _xet.XetTokenType.READ


def test_the_oidc_calls_still_take_what_hfsync_passes():
    from huggingface_hub import _oidc

    assert {"subject_token", "resource", "endpoint"} <= inspect.signature(_oidc.exchange_oidc_token).parameters.keys()
    assert {"provider", "audience"} <= inspect.signature(_oidc.get_oidc_token).parameters.keys()
    assert _oidc.Provider.GITHUB


def test_a_commit_operation_still_records_its_upload_mode():
    from huggingface_hub import CommitOperationAdd

    assert "_upload_mode" in {field.name for field in dataclasses.fields(CommitOperationAdd)}


def test_hf_xet_upload_progress_has_the_fields_read():
    import hf_xet

    assert hasattr(hf_xet.XetUploadCommit, "progress")
    assert {"total_transfer_bytes_completed", "shard"} <= set(dir(hf_xet.GroupProgressReport))
    assert "total_shard_bytes_upload_completed" in dir(hf_xet.ShardUploadProgressReport)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))  # __version__ is public


def _private_uses(path: Path) -> list[str]:
    """Imports of a non-public huggingface_hub module or name, of hf_xet, and reads of an
    attribute with a leading underscore of the client's objects (``_upload_mode``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Attribute) and node.attr in ("_upload_mode", "_xet", "_http", "_pagination"):
            names = [f"huggingface_hub.?.{node.attr}"]
        elif isinstance(node, ast.Constant) and node.value == "_upload_mode":
            names = ["huggingface_hub.?._upload_mode"]
        for name in names:
            parts = name.split(".")
            if parts[0] == "hf_xet" or (parts[0] == "huggingface_hub" and any(_private(p) for p in parts[1:])):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {name}")
    return found


def test_only_the_internals_module_reaches_private_parts():
    assert [use for path in sorted(ROOT.rglob("*.py")) if path != INTERNALS and "sandbox" not in path.parts
            for use in _private_uses(path)] == []


def test_every_private_part_the_internals_module_imports_is_named_here():
    named = {f"{module}.{name}" for module, name in PRIVATE} | {module for module, _ in PRIVATE}
    used = {use.split(": ", 1)[1] for use in _private_uses(INTERNALS)} - {"huggingface_hub.?._upload_mode"}
    assert used - named == set()
