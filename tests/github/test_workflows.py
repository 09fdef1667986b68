"""The action and the workflows parse, and agree with each other and with the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml

from hfsync.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXAMPLES = sorted((ROOT / "examples" / "github").glob("*.yml"))
WORKFLOWS = [*EXAMPLES, ROOT / ".github" / "workflows" / "ci.yml"]
# How the examples and CI refer to this repository's action.
OURS = re.compile(r"^(hfsync/hfsync@.+|\./?)$")


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def _steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def _our_steps(workflow: dict):
    return [(job, step) for job, step in _steps(workflow) if OURS.match(step.get("uses", ""))]


def test_the_examples_are_the_three_user_workflows():
    assert [p.name for p in EXAMPLES] == ["apply-on-merge.yml", "drift.yml", "plan-on-pr.yml", "upgrade.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_parses_with_triggers_and_jobs(path):
    workflow = _load(path)
    assert workflow["on"], f"{path.name} has no trigger"
    assert workflow["jobs"]
    for job_id, job in workflow["jobs"].items():
        assert job["runs-on"] == "ubuntu-latest", job_id
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{path.name}:{job_id}: a step needs uses or run"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_input_given_to_the_action_is_one_it_defines(path):
    inputs = set(ACTION["inputs"])
    outputs = set(ACTION["outputs"])
    workflow = _load(path)
    ours = _our_steps(workflow)
    if path.name != "ci.yml":
        assert ours, f"{path.name} does not use the action"
    ids = set()
    for job_id, step in ours:
        unknown = set(step.get("with", {})) - inputs
        assert not unknown, f"{path.name}:{job_id} gives the action undefined inputs {sorted(unknown)}"
        assert step["with"]["command"] in ("plan", "apply", "pull", "drift", "upgrade")
        ids.add(step.get("id"))
    # Every output read from the action's steps is one the action defines.
    text = path.read_text()
    for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", text):
        if step_id in ids:
            assert output in outputs, f"{path.name} reads undefined output {output} of step {step_id}"


def test_action_is_composite_with_the_promised_interface():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) >= {
        "command", "manifest", "working-directory", "hf-token", "endpoint", "comment", "version",
    }
    assert set(ACTION["outputs"]) == {"has-changes", "has-drift", "hfsync", "plan-file", "summary"}
    for name, spec in {**ACTION["inputs"], **ACTION["outputs"]}.items():
        assert spec.get("description"), f"{name} has no description"
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    assert set(ACTION["inputs"]) <= used, "an input the action never reads"
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach scripts through env only: no expression is pasted into shell code.
            assert "${{" not in step["run"], step.get("name")
    scripts = {s["id"]: s.get("run", "") for s in ACTION["runs"]["steps"]}
    for spec in ACTION["outputs"].values():
        step_id, output = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"]).groups()
        assert step_id in ("run", "install")
        assert f"{output}=" in scripts[step_id], f"the action never writes its output {output}"


def _run_step() -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")


def test_the_hf_token_reaches_hfsync_through_the_environment_only():
    step = _run_step()
    assert step["env"]["HF_TOKEN"] == "${{ inputs.hf-token }}"
    text = (ROOT / "action.yml").read_text()
    assert text.count("inputs.hf-token") == 1
    assert "--token" not in text
    for path in WORKFLOWS:
        assert "--token" not in path.read_text(), path.name


def test_apply_on_merge_never_runs_two_applies_and_is_protected():
    workflow = _load(ROOT / "examples" / "github" / "apply-on-merge.yml")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "hfsync-apply" in workflow["concurrency"]["group"]
    assert workflow["on"] == {"push": {"branches": ["main"]}}
    (job,) = workflow["jobs"].values()
    assert job["environment"]
    ((_, step),) = _our_steps(workflow)
    assert step["with"]["command"] == "apply"


def test_plan_on_pr_comments_and_drift_runs_nightly_and_files_an_issue():
    plan = _load(ROOT / "examples" / "github" / "plan-on-pr.yml")
    assert "pull_request" in plan["on"]
    assert plan["permissions"]["pull-requests"] == "write"
    ((_, step),) = _our_steps(plan)
    assert step["with"]["command"] == "plan" and step["with"]["comment"] is True

    drift = _load(ROOT / "examples" / "github" / "drift.yml")
    assert drift["on"]["schedule"][0]["cron"]
    assert drift["permissions"]["issues"] == "write"
    ((_, step),) = _our_steps(drift)
    assert step["with"]["command"] == "drift"
    runs = [s["run"] for _, s in _steps(drift) if "run" in s]
    # The action's hfsync is off the job's PATH: later steps run it through its output.
    assert any(r.startswith('"$HFSYNC" github issue "$PLAN"') for r in runs)
    assert any('"$HFSYNC" github issue --close' in r for r in runs)


def test_upgrade_runs_on_a_schedule_with_the_permissions_a_pull_request_needs():
    upgrade = _load(ROOT / "examples" / "github" / "upgrade.yml")
    assert upgrade["on"]["schedule"][0]["cron"] and "workflow_dispatch" in upgrade["on"]
    assert upgrade["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert upgrade["concurrency"]["cancel-in-progress"] is False
    ((_, step),) = _our_steps(upgrade)
    assert step["with"]["command"] == "upgrade"


def test_ci_lints_and_tests_on_both_pythons_with_the_readme_commands():
    ci = _load(ROOT / ".github" / "workflows" / "ci.yml")
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12"]
    runs = [s.get("run", "") for _, s in _steps(ci)]
    assert "bash scripts/test.sh" in runs
    assert "bash scripts/demo.sh" in runs
    assert any(r.startswith("ruff check") for r in runs)


def _hfsync_calls(script: str):
    """Each `hfsync ...` invocation in a shell script: its words up to the end of the command."""
    script = script.replace("\\\n", " ")
    for match in re.finditer(r"(?:^|[\s/;&|(])(?:hfsync|\"\$HFSYNC\")((?:[ \t]+[^\s|;&)]+)*)", script, re.M):
        yield match.group(1).split()


def _scripts():
    yield "action.yml", "\n".join(s["run"] for s in ACTION["runs"]["steps"] if "run" in s)
    for path in WORKFLOWS:
        yield path.name, "\n".join(s["run"] for _, s in _steps(_load(path)) if "run" in s)
    yield "demo.sh", (ROOT / "scripts" / "demo.sh").read_text()


def _options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


@pytest.mark.parametrize(("name", "script"), list(_scripts()), ids=lambda v: v if v.endswith(("yml", "sh")) else "")
def test_hfsync_command_lines_use_options_the_cli_has(name, script):
    global_options = _options(cli) | {"--help", "--version"}
    for words in _hfsync_calls(script):
        command: click.Command = cli
        path = []
        for word in words:
            if isinstance(command, click.Group) and word in command.commands:
                command = command.commands[word]
                path.append(word)
            elif word.startswith("--"):
                option = word.split("=")[0]
                assert option in _options(command) | global_options, f"{name}: hfsync {' '.join(path)} has no {option}"
            elif isinstance(command, click.Group) and not word.startswith("-"):
                # A command named by a variable, one not built yet, or no command at all.
                break
