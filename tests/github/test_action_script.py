"""The action's shell step, run by bash with a stand-in `hfsync` that records its calls."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STEPS = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
STEP = next(s for s in STEPS if s.get("id") == "run")
FIND_PYTHON = next(s for s in STEPS if s.get("id") == "python")
INSTALL = next(s for s in STEPS if s.get("id") == "install")
HF_TOKEN = "hf_" + "ActionSecretValue" * 2

FAKE = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_DIR/calls"
printf '%s\n' "${HF_TOKEN:-}" > "$FAKE_DIR/token_seen"
case "$1" in
  plan)
    while [ $# -gt 0 ]; do [ "$1" = --out ] && printf '%s' "$FAKE_PLAN_JSON" > "$2"; shift; done
    echo "  + model acme/m"
    echo "$FAKE_SUMMARY"
    exit "$FAKE_PLAN_EXIT" ;;
  apply) exit "${FAKE_APPLY_EXIT:-0}" ;;
  github) if [ "$2" = pr ]; then echo "${FAKE_PR_SAYS:-}"; fi ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def run_action(tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "hfsync").write_text(FAKE)
    (fake_bin / "hfsync").chmod(0o755)
    (fake_bin / "python").symlink_to(sys.executable)  # the action's venv has its python beside hfsync
    work = tmp_path / "work"
    work.mkdir()

    def run(command: str, plan_exit: int = 0, event: str = "push", drift: bool = False, **inputs: str):
        outputs = tmp_path / "github_output"
        outputs.write_text("")
        (tmp_path / "calls").write_text("")
        env = {
            "PATH": os.environ["PATH"],
            "HFSYNC_BIN": str(fake_bin),  # the install step's output: hfsync is found there only
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(outputs),
            "FAKE_DIR": str(tmp_path),
            "FAKE_PLAN_EXIT": str(plan_exit),
            "FAKE_PLAN_JSON": json.dumps({"targets": [
                *([{"kind": "repo", "action": "create"}] if plan_exit == 2 and not drift else []),
                *([{"kind": "pull", "action": "update"}] if drift else []),
                {"kind": "repo", "action": "no-op"}]}),
            "FAKE_SUMMARY": "Plan: 1 to create, 0 to change, 0 to delete; 10 B to upload." if plan_exit == 2 else "No changes.",
            "HF_TOKEN": HF_TOKEN,
            "HFSYNC_COMMAND": command,
            "HFSYNC_MANIFEST": inputs.get("manifest", ""),
            "HFSYNC_ENDPOINT": inputs.get("endpoint", ""),
            "HFSYNC_COMMENT": inputs.get("comment", "true"),
            "HFSYNC_CHANGED_SINCE": inputs.get("changed_since", ""),
            "HFSYNC_WORKDIR": ".",
            "GITHUB_TOKEN": "ghs_x",
            "EVENT_NAME": event,
            "FAKE_APPLY_EXIT": inputs.get("apply_exit", "0"),
            "FAKE_PR_SAYS": inputs.get("pr_says", ""),
        }
        done = subprocess.run(["bash", "-c", STEP["run"]], cwd=work, env=env, capture_output=True, text=True, timeout=60)
        values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        calls = (tmp_path / "calls").read_text().splitlines()
        return done, values, calls

    return run


def test_plan_with_changes_is_not_a_failure_and_comments_on_a_pull_request(run_action):
    done, outputs, calls = run_action("plan", plan_exit=2, event="pull_request", manifest="a.yaml\nb/c.yaml")
    assert done.returncode == 0, done.stderr
    assert outputs["has-changes"] == "true"
    assert outputs["summary"] == "Plan: 1 to create, 0 to change, 0 to delete; 10 B to upload."
    plan = outputs["plan-file"]
    assert Path(plan).is_file()
    assert calls == [
        f"plan -f a.yaml -f b/c.yaml --detailed-exitcode --out {plan}",
        f"github comment {plan} --key a.yaml-b/c.yaml",
    ]
    assert "  + model acme/m" in done.stdout


def test_plan_without_changes_outside_a_pull_request_writes_the_summary(run_action):
    done, outputs, calls = run_action("plan", plan_exit=0, event="push", changed_since="origin/main")
    assert done.returncode == 0, done.stderr
    assert outputs["has-changes"] == "false"
    assert outputs["summary"] == "No changes."
    assert calls == [
        f"plan --changed-since origin/main --detailed-exitcode --out {outputs['plan-file']}",
        f"github summary {outputs['plan-file']}",
    ]


def test_comment_false_only_writes_the_summary(run_action):
    _, outputs, calls = run_action("plan", plan_exit=2, event="pull_request", comment="false")
    assert calls[1] == f"github summary {outputs['plan-file']}"


def test_a_failed_plan_fails_the_step_after_showing_its_findings_on_the_pull_request(run_action):
    done, outputs, calls = run_action("plan", plan_exit=1, event="pull_request")
    assert done.returncode == 1
    assert "::error title=hfsync plan::hfsync plan failed (exit 1)" in done.stdout
    assert "has-changes" not in outputs
    assert calls[1:] == [f"github comment {outputs['plan-file']} --key "]


def test_apply_applies_the_saved_plan_only_when_it_has_changes(run_action):
    done, outputs, calls = run_action("apply", plan_exit=2)
    assert done.returncode == 0, done.stderr
    plan = outputs["plan-file"]
    assert calls[1:] == [f"github summary {plan}", f"apply --auto-approve {plan}"]

    done, _, calls = run_action("apply", plan_exit=0)
    assert done.returncode == 0
    assert not any(c.startswith("apply") for c in calls)

    done, _, _ = run_action("apply", plan_exit=2, apply_exit="1")
    assert done.returncode == 1


def test_pull_drift_alone_is_has_drift_and_nothing_to_apply(run_action):
    done, outputs, calls = run_action("apply", plan_exit=2, drift=True)
    assert done.returncode == 0, done.stderr
    assert (outputs["has-changes"], outputs["has-drift"]) == ("false", "true")
    assert not any(c.startswith("apply") for c in calls)
    done, outputs, _ = run_action("drift", plan_exit=2, drift=True)
    assert (outputs["has-changes"], outputs["has-drift"]) == ("false", "true")
    assert "::warning title=hfsync drift::Pulls moved upstream past the lock" in done.stdout
    assert "The Hub differs" not in done.stdout


def test_drift_reports_without_failing(run_action):
    done, outputs, _ = run_action("drift", plan_exit=2)
    assert done.returncode == 0
    assert outputs["has-changes"] == "true"
    assert "::warning title=hfsync drift::The Hub differs from the manifests: Plan: 1 to create" in done.stdout


def test_pull_pulls_locked_then_verifies(run_action):
    done, outputs, calls = run_action("pull", manifest="hfsync.yaml")
    assert done.returncode == 0
    assert calls == ["pull --locked -f hfsync.yaml", "verify -f hfsync.yaml"]
    assert outputs == {"has-changes": "false"}


def test_upgrade_opens_pull_requests_and_says_whether_it_did(run_action):
    done, outputs, calls = run_action("upgrade", manifest="a/hfsync.yaml b/hfsync.yaml",
                                      pr_says="Created the upgrade pull request of hfsync.yaml: https://x/pull/5")
    assert done.returncode == 0
    assert calls == ["github pr -f a/hfsync.yaml -f b/hfsync.yaml"]
    assert outputs == {"has-changes": "true"}
    done, outputs, _ = run_action("upgrade", pr_says="hfsync.yaml: every pin is current; no upgrade pull request.")
    assert done.returncode == 0 and outputs == {"has-changes": "false"}


def test_unknown_command_fails(run_action):
    done, _, calls = run_action("destroy")
    assert done.returncode == 1
    assert "unknown command 'destroy'" in done.stdout
    assert calls == []


def test_the_hf_token_is_in_the_environment_never_in_arguments(run_action, tmp_path):
    done, _, calls = run_action("plan", plan_exit=2, event="pull_request")
    assert (tmp_path / "token_seen").read_text().strip() == HF_TOKEN
    assert not any(HF_TOKEN in call for call in calls)
    # The only place the token appears is the mask command, which the runner hides.
    assert done.stdout.count(HF_TOKEN) == 1 and f"::add-mask::{HF_TOKEN}" in done.stdout


FAKE_PYTHON = r"""#!/usr/bin/env bash
# Records how it is called; `-m venv DIR` makes DIR/bin/{python,hfsync} record too.
printf '%s\n' "$*" >> "$FAKE_DIR/python_calls"
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  printf '#!/usr/bin/env bash\necho "hfsync, version 9.9"\n' > "$3/bin/hfsync"
  chmod +x "$3/bin/hfsync"
fi
"""


def _action_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    for name in ("github_output", "github_path", "github_env"):
        (tmp_path / name).write_text("")
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "github_output"),
        "GITHUB_PATH": str(tmp_path / "github_path"),
        "GITHUB_ENV": str(tmp_path / "github_env"),
        **extra,
    }


def _outputs(tmp_path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (tmp_path / "github_output").read_text().splitlines())


@pytest.mark.parametrize(("version", "spec"), [
    ("", "/checkout/of/the/action"),
    ("0.1.0", "hfsync-gitops==0.1.0"),
    ("hfsync-gitops>=0.1,<0.2", "hfsync-gitops>=0.1,<0.2"),
    ("git+https://example.invalid/acme/hfsync@v1", "git+https://example.invalid/acme/hfsync@v1"),
])
def test_the_install_step_installs_the_actions_own_checkout_unless_a_version_is_given(tmp_path, version, spec):
    python = tmp_path / "python3"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    env = _action_env(tmp_path, FAKE_DIR=str(tmp_path), HFSYNC_SPEC=version, HFSYNC_PYTHON=str(python),
                      HFSYNC_ACTION_PATH="/checkout/of/the/action")
    done = subprocess.run(["bash", "-c", INSTALL["run"]], env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    venv = tmp_path / "hfsync-venv"
    assert (tmp_path / "python_calls").read_text().splitlines() == [
        f"-m venv {venv}",
        f"-m pip install --quiet --disable-pip-version-check {spec}",
    ]
    assert _outputs(tmp_path) == {"bin": f"{venv}/bin", "hfsync": f"{venv}/bin/hfsync"}
    # Nothing for later steps: their PATH and environment (and so their python) are unchanged.
    assert (tmp_path / "github_path").read_text() == ""
    assert (tmp_path / "github_env").read_text() == ""


def test_the_action_never_changes_the_jobs_python():
    for step in STEPS:
        if "setup-python" in step.get("uses", ""):
            assert step["with"]["update-environment"] is False
        assert "GITHUB_PATH" not in step.get("run", "") and "GITHUB_ENV" not in step.get("run", "")


def test_find_python_picks_a_python_of_311_or_later(tmp_path):
    env = _action_env(tmp_path, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-c", FIND_PYTHON["run"]], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = _outputs(tmp_path)["path"]
    version = subprocess.run([found, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                             capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "True"

    (tmp_path / "old").mkdir()
    old = tmp_path / "old" / "python3"
    old.write_text("#!/bin/sh\nexit 1\n")  # "too old" to the version check
    old.chmod(0o755)
    bash = shutil.which("bash")
    done = subprocess.run([bash, "-c", FIND_PYTHON["run"]], env=_action_env(tmp_path, PATH=str(tmp_path / "old")),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and _outputs(tmp_path) == {}  # so setup-python runs instead


def test_installed_from_its_own_checkout_apply_then_drift_against_the_sandbox(sandbox, tmp_path):
    """The install step as the runner runs it (a private venv from this checkout), then the step
    with that hfsync against the sandbox: apply publishes, a drift run after finds nothing."""
    runner = tmp_path / "runner"
    runner.mkdir()
    env = _action_env(runner, HFSYNC_SPEC="", HFSYNC_PYTHON=sys.executable, HFSYNC_ACTION_PATH=str(ROOT))
    env.pop("HOME")
    done = subprocess.run(["bash", "-c", INSTALL["run"]], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Installing hfsync from {ROOT}" in done.stdout
    bin_dir = _outputs(runner)["bin"]
    assert bin_dir == f"{runner}/hfsync-venv/bin"
    assert subprocess.run([_outputs(runner)["hfsync"], "--version"], capture_output=True).returncode == 0
    assert (runner / "github_path").read_text() == ""

    work = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", work, ignore=shutil.ignore_patterns("github"))
    summary = tmp_path / "summary.md"

    def step(command: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
        outputs = tmp_path / f"output-{command}"
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            "HFSYNC_BIN": bin_dir,
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
            "HF_TOKEN": sandbox.token,
            "HFSYNC_COMMAND": command,
            "HFSYNC_MANIFEST": "hfsync.yaml",
            "HFSYNC_ENDPOINT": sandbox.url,
            "HFSYNC_COMMENT": "true",
            "HFSYNC_CHANGED_SINCE": "",
            "HFSYNC_WORKDIR": ".",
            "EVENT_NAME": "push",
        }
        done = subprocess.run(["bash", "-c", STEP["run"]], cwd=work, env=env, capture_output=True, text=True, timeout=120)
        return done, dict(line.split("=", 1) for line in outputs.read_text().splitlines())

    done, outputs = step("apply")
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["has-changes"] == "true"
    assert outputs["summary"].startswith("Plan: 4 to create, 0 to change, 0 to delete (13 files")
    assert "Apply complete: 4 targets published." in done.stdout
    assert "### hfsync plan" in summary.read_text()

    done, outputs = step("drift")
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["has-changes"] == "false"
    assert outputs["summary"] == "No changes."
    assert "::warning" not in done.stdout
    assert sandbox.token not in done.stdout.replace(f"::add-mask::{sandbox.token}", "") + done.stderr
