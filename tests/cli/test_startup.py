"""Commands import only what they use (start-up cost: README, bench/bench_startup.py).

Checked on the modules a fresh process holds after the command, not on timings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import hfsync
from tests.pull.test_pull_xet import safetensors_like

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("detect_secrets", "git", "rich", "httpx2", "httpcore2", "requests", "jsonschema", "huggingface_hub.hf_api",
         "huggingface_hub.file_download", "huggingface_hub.repocard", "huggingface_hub.repocard_data")
PROBE = """
import json, sys
from hfsync.cli.main import run
code = run(sys.argv[1:])
heavy = HEAVY
print(json.dumps([code, sorted(h for h in heavy if h in sys.modules)]))
""".replace("HEAVY", repr(HEAVY))


def _imported(cwd: Path, *args: str, **env: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    code, heavy = json.loads(done.stdout.splitlines()[-1])
    return code, heavy


def test_validate_reaches_for_no_hub_client_no_scanner_no_gitpython_no_jsonschema(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project, ignore=shutil.ignore_patterns("github"))
    # Cards generated (the examples have no README.md) and one README with front matter.
    (project / "space" / "README.md").write_text("---\nlicense: mit\nsdk: gradio\n---\n# Demo\n")
    assert _imported(project, "validate") == (0, [])
    # jsonschema explains what is wrong, when something is.
    manifest = project / "hfsync.yaml"
    manifest.write_text(manifest.read_text().replace("    private: false\n", "    private: nope\n", 1))
    assert _imported(project, "validate") == (1, ["jsonschema"])


def test_a_no_op_plan_loads_no_hub_client_no_scanner_no_gitpython_no_jsonschema(tmp_path, sandbox, monkeypatch):
    project = tmp_path / "project"
    (project / "m").mkdir(parents=True)
    (project / "m" / "config.json").write_text('{"a": 1}\n')
    # No card metadata or description: no value to judge for secrets either.
    (project / "hfsync.yaml").write_text("version: 1\nrepos:\n  - id: sandbox/m\n    source: {path: m}\n")
    monkeypatch.chdir(project)
    hub = {"HF_ENDPOINT": sandbox.url, "HF_TOKEN": sandbox.token}
    assert hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "--auto-approve").exit_code == 0

    # The Hub read without huggingface_hub's client (hub.reads); the card (no README.md: a
    # generated one) is the one apply published, known by its inputs: not generated again.
    assert _imported(project, "plan", "--detailed-exitcode", **hub) == (0, [])

    # The scanner is still there when there is something to scan.
    (project / "m" / "more.json").write_text('{"b": 2}\n')
    code, heavy = _imported(project, "plan", "--detailed-exitcode", **hub)
    assert code == 2 and "detect_secrets" in heavy


def test_lock_reads_the_hub_without_huggingface_hub_s_client(tmp_path, sandbox):
    from huggingface_hub import HfApi

    HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo("sandbox/pinned")
    project = tmp_path / "project"
    project.mkdir()
    (project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/pinned\n    dest: out\n")
    hub = {"HF_ENDPOINT": sandbox.url, "HF_TOKEN": sandbox.token}
    # Repo info and the tree over the standard-library pool, as a plan reads them.
    assert _imported(project, "lock", **hub) == (0, [])
    assert _imported(project, "lock", "--update", **hub) == (0, [])
    assert "sandbox/pinned" in (project / "hfsync.lock").read_text()


def test_values_judged_clean_are_not_judged_again(tmp_path, sandbox, monkeypatch):
    project = tmp_path / "project"
    (project / "m").mkdir(parents=True)
    (project / "m" / "config.json").write_text('{"a": 1}\n')
    (project / "hfsync.yaml").write_text("version: 1\nrepos:\n  - id: sandbox/m\n    description: a model\n"
                                         "    source: {path: m}\n    card: {metadata: {license: mit}}\n")
    monkeypatch.chdir(project)
    hub = {"HF_ENDPOINT": sandbox.url, "HF_TOKEN": sandbox.token}
    assert hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "--auto-approve").exit_code == 0
    cache = {"HFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    code, heavy = _imported(project, "plan", "--detailed-exitcode", **hub, **cache)
    assert code == 0 and "detect_secrets" in heavy  # judged once
    assert _imported(project, "plan", "--detailed-exitcode", **hub, **cache) == (0, [])
    # A value that changed is judged again; one that looks like a secret is never remembered clean.
    token = "h" + "f_" + "Vv3Ww4Xx5Yy6Zz7Aa8Bb9Cc0Dd1Ee2Ff3Gg"
    (project / "hfsync.yaml").write_text((project / "hfsync.yaml").read_text().replace("a model", f"uses {token}"))
    for _ in range(2):
        code, heavy = _imported(project, "plan", "--detailed-exitcode", **hub, **cache)
        assert code == 1 and "detect_secrets" in heavy
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and token.encode() in p.read_bytes()]



@pytest.mark.parametrize("xet", [True, False], ids=["xet", "lfs"])
def test_a_pull_starts_no_http_client_of_huggingface_hub_s_and_loads_no_download_module(tmp_path, sandbox, xet_on,
                                                                                        xet):
    from huggingface_hub import HfApi

    data = safetensors_like(200_000, seed=1)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/weights")
    api.upload_file(path_or_fileobj=data, path_in_repo="w.safetensors", repo_id="sandbox/weights")
    project = tmp_path / "project"
    project.mkdir()
    (project / "hfsync.yaml").write_text("version: 1\npulls:\n  - id: sandbox/weights\n    dest: out\n")
    hub = {"HF_ENDPOINT": sandbox.url, "HF_TOKEN": sandbox.token, "HFSYNC_CACHE_DIR": str(tmp_path / "cache")}
    if not xet:
        hub["HF_HUB_DISABLE_XET"] = "1"
    assert _imported(project, "lock", **hub)[0] == 0
    assert "xet_hash" in (project / "hfsync.lock").read_text()  # HF_HUB_DISABLE_XET=1: the pull takes /resolve
    code, heavy = _imported(project, "pull", "--locked", **hub)
    # httpx2 comes with huggingface_hub's error types; its connections (httpcore2) are never opened.
    assert (code, heavy) == (0, ["httpx2"])
    assert (project / "out" / "w.safetensors").read_bytes() == data
