"""The conventions users bring from Terraform and `hf`: show, colour, JSON reports, --repo-type,
HF_HUB_DISABLE_PROGRESS_BARS, no --target with a saved plan, completion, schema and the modeline."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from huggingface_hub import HfApi

from hfsync import schemas
from hfsync.model.plan import write
from hfsync.render.plan import render
from tests.helpers import hfsync
from tests.publish.fakes import fixed_plan

ROOT = Path(__file__).resolve().parents[2]


def _check(kind: str, text: str) -> dict:
    """``text`` is one JSON document that validates against the shipped ``<kind>.report`` schema."""
    data = json.loads(text)
    jsonschema.Draft202012Validator(schemas.load(f"{kind}.report")).validate(data)
    assert data["command"] == kind
    return data


@pytest.fixture
def saved_plan(tmp_path) -> Path:
    path = tmp_path / "plan.json"
    write(fixed_plan(), path)
    return path


@pytest.mark.parametrize("fmt", ["human", "markdown", "json"])
def test_show_renders_a_saved_plan_without_the_hub(saved_plan, fmt):
    result = hfsync("show", str(saved_plan), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout == render(fixed_plan(), fmt, color=False)


def test_show_names_a_bad_plan_file(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    result = hfsync("show", str(bad))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(bad) in result.stderr


def _read_until_closed(leader: int) -> list[bytes]:
    """Everything the process writes to its terminal, until it closes it."""
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return chunks


def _on_a_terminal(args: list[str], **env: str) -> str:
    """Run hfsync with stdout on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    process = subprocess.Popen([sys.executable, "-m", "hfsync", *args], stdout=follower, stderr=subprocess.PIPE,
                               env=environment, cwd=ROOT)
    os.close(follower)
    chunks = _read_until_closed(leader)
    assert process.wait(timeout=60) == 0, process.stderr.read()
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_unless_no_color_is_set_and_not_empty_or_no_color_is_given(saved_plan):
    assert "\x1b[" in _on_a_terminal(["show", str(saved_plan)])
    assert "\x1b[" in _on_a_terminal(["show", str(saved_plan)], NO_COLOR="")  # empty: not set (no-color.org)
    assert "\x1b[" not in _on_a_terminal(["show", str(saved_plan)], NO_COLOR="1")
    plain = _on_a_terminal(["show", str(saved_plan), "--no-color"])
    assert "\x1b[" not in plain and "acme/sentiment-lora" in plain
    assert "\x1b[" not in _on_a_terminal(["--no-color", "show", str(saved_plan)])


def test_apply_refuses_target_with_a_saved_plan_before_reaching_the_hub(saved_plan, sandbox):
    sandbox.reset_stats()
    result = hfsync("--endpoint", sandbox.url, "apply", str(saved_plan), "--target", "acme/sentiment-lora")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --target cannot be used with a saved plan: the plan already says what to apply.\n"
        "Hint: Plan the targets you want (`hfsync plan --target ID --out PLAN`) and apply that plan.\n")
    assert sandbox.stats()["requests"] == 0


def test_apply_format_json_cannot_ask_for_approval(tmp_path):
    result = hfsync("apply", "--format", "json", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 1
    assert "give a saved plan or --auto-approve" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_clicks_script(shell):
    result = hfsync("completion", shell)
    assert result.exit_code == 0
    assert "_HFSYNC_COMPLETE" in result.stdout and f"{shell}_complete" in result.stdout


def test_the_completion_script_completes_commands_and_options():
    env = {**os.environ, "_HFSYNC_COMPLETE": "bash_complete", "COMP_WORDS": "hfsync sh", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "hfsync"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.splitlines() == ["plain,show"]
    env |= {"COMP_WORDS": "hfsync show plan.json --for", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-m", "hfsync"], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["plain,--format"]


def test_completion_of_an_unknown_shell_is_refused():
    result = hfsync("completion", "tcsh")
    assert result.exit_code == 1 and "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr


def test_schema_prints_each_shipped_schema():
    assert hfsync("schema").stdout == schemas.text("hfsync")
    for name in schemas.NAMES:
        result = hfsync("schema", name)
        assert result.exit_code == 0 and json.loads(result.stdout) == schemas.load(name)
    assert hfsync("schema", "nope").exit_code == 1


def test_validate_json_valid_and_invalid(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project)
    ok = hfsync("validate", str(project / "hfsync.yaml"), "--format", "json")
    assert ok.exit_code == 0, ok.output
    assert _check("validate", ok.stdout) | {"manifests": None} == {
        "format_version": 1, "command": "validate", "valid": True, "manifests": None, "repos": 4, "pulls": 1,
        "problems": []}
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrepos:\n  - id: acme/x\n    colour: red\n    source: {path: .}\n")
    result = hfsync("validate", str(bad), "--format", "json")
    assert result.exit_code == 1
    data = _check("validate", result.stdout)
    assert data["valid"] is False and data["manifests"] == []
    assert [(p["file"], p["line"]) for p in data["problems"]] == [(str(bad), 4)]
    assert "colour" in data["problems"][0]["message"]


def test_scan_json_lists_findings_never_the_secret(tmp_path):
    secret = "hf_" + "Zq7kLmN3pQrS9tUvWxYz" + "AbCdEfGhIjKl"
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.py").write_text(f'TOKEN = "{secret}"\n')
    (tmp_path / "clean.txt").write_text("hello\n")
    result = hfsync("scan", str(tmp_path / "a"), str(tmp_path / "clean.txt"), "--format", "json")
    assert result.exit_code == 1
    assert secret not in result.output
    data = _check("scan", result.stdout)
    assert data["clean"] is False and data["files"] == 2
    assert [(f["path"], f["line"]) for f in data["findings"]] == [(f"{tmp_path}/a/config.py", 1)]
    clean = hfsync("scan", str(tmp_path / "clean.txt"), "--format", "json")
    assert clean.exit_code == 0 and _check("scan", clean.stdout)["findings"] == []


def test_json_reports_of_the_main_job_validate_against_their_schemas(tmp_path, sandbox, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project, ignore=shutil.ignore_patterns("github"))
    monkeypatch.chdir(project)
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    hub = ("--endpoint", sandbox.url)

    applied = hfsync(*hub, "apply", "--auto-approve", "--format", "json")
    assert applied.exit_code == 0, applied.output
    data = _check("apply", applied.stdout)
    assert data["complete"] is True and len(data["targets"]) == 4 and all(t["commit"] for t in data["targets"])

    assert hfsync(*hub, "plan", "--out", "plan.json").exit_code == 0
    again = hfsync(*hub, "apply", "plan.json", "--format", "json")
    assert again.exit_code == 0, again.output
    assert _check("apply", again.stdout)["targets"] == []

    locked = hfsync(*hub, "lock", "--format", "json")
    assert locked.exit_code == 0, locked.output
    data = _check("lock", locked.stdout)
    assert [(p["key"], p["files"], p["previous_commit"]) for p in data["resolved"]] == [
        ("sandbox/sentiment-lora", 4, None)]
    assert data["written"] == ["hfsync.lock"]

    pulled = hfsync(*hub, "pull", "--locked", "--format", "json")
    assert pulled.exit_code == 0, pulled.output
    data = _check("pull", pulled.stdout)
    assert (data["pulls"], data["downloaded"], data["present"]) == (1, 4, 0)

    verified = hfsync("verify", "--format", "json")
    assert verified.exit_code == 0, verified.output
    assert _check("verify", verified.stdout) | {"bytes": 0} == {
        "format_version": 1, "command": "verify", "ok": True, "checked": 4, "bytes": 0, "missing": [], "changed": [],
        "extra": [], "stale": []}
    dest = yaml.safe_load((project / "hfsync.yaml").read_text())["pulls"][0]["dest"]
    (project / dest / "adapter_config.json").unlink()
    broken = hfsync("verify", "--format", "json")
    assert broken.exit_code == 1
    data = _check("verify", broken.stdout)
    assert data["ok"] is False and data["missing"] == ["sandbox/sentiment-lora/adapter_config.json"]
    assert sandbox.token not in applied.output + locked.output + pulled.output + broken.output


def test_repo_type_is_accepted_where_type_is(sandbox):
    HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo("sandbox/reviews", repo_type="dataset")
    hub = ("--endpoint", sandbox.url, "--token", sandbox.token)
    spelled_hf = hfsync(*hub, "import", "sandbox/reviews", "--repo-type", "dataset")
    assert spelled_hf.exit_code == 0, spelled_hf.output
    assert spelled_hf.stdout == hfsync(*hub, "import", "sandbox/reviews", "--type", "dataset").stdout
    assert "type: dataset" in spelled_hf.stdout
    info = hfsync(*hub, "info", "sandbox/reviews", "--repo-type", "dataset", "--format", "json")
    assert info.exit_code == 0, info.output


def test_import_writes_a_modeline_naming_the_schema_hfsync_schema_writes(sandbox, tmp_path):
    HfApi(endpoint=sandbox.url, token=sandbox.token).create_repo("sandbox/m")
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "import", "sandbox/m")
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == "# yaml-language-server: $schema=hfsync.schema.json"
    # As a user does it: the schema file beside the manifest, where the modeline points.
    (tmp_path / "hfsync.schema.json").write_text(hfsync("schema").stdout)
    schema = json.loads((tmp_path / first.split("$schema=", 1)[1]).read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(result.stdout))


def _all_on_a_terminal(args: list[str], cwd: Path, **env: str) -> str:
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "HF_HUB_DISABLE_PROGRESS_BARS"} | env
    process = subprocess.Popen([sys.executable, "-m", "hfsync", *args], stdout=follower, stderr=follower,
                               env=environment, cwd=cwd)
    os.close(follower)
    chunks = _read_until_closed(leader)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode()


@pytest.mark.parametrize(("value", "bars"), [("1", False), ("true", False), ("", True), ("0", True)])
def test_hf_hub_disable_progress_bars_gives_plain_lines_on_a_terminal(tmp_path, sandbox, monkeypatch, value, bars):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "examples", project, ignore=shutil.ignore_patterns("github"))
    monkeypatch.chdir(project)
    monkeypatch.setenv("HF_TOKEN", sandbox.token)
    assert hfsync("--endpoint", sandbox.url, "apply", "--auto-approve").exit_code == 0
    assert hfsync("--endpoint", sandbox.url, "lock").exit_code == 0
    shown = _all_on_a_terminal(["--endpoint", sandbox.url, "pull"], project, HF_TOKEN=sandbox.token,
                                  PYTHONPATH=str(ROOT), TERM="xterm-256color", HF_HUB_DISABLE_PROGRESS_BARS=value)
    assert ("downloaded: sandbox/sentiment-lora/adapter_config.json\r\n" in shown) is not bars
    assert ("\x1b[?25l" in shown) is bars  # rich hides the cursor while it draws bars
