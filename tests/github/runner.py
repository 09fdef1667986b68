"""A fake GitHub Actions runner for one job of an example workflow: its `run:` steps and this
repository's action run with bash as on a runner, in a runtime made of the GitHub variables
a job sees; `actions/checkout` is the prepared work folder. With `permissions: id-token: write`
(and only then) the job gets the id-token request variables, served by the test issuer.

Expressions: `secrets.*`, `github.*` (token, repository, event_name, action_path, ref, sha),
`steps.ID.outputs.NAME`, and in the action `inputs.NAME`; any other is an error, so a
workflow the runner cannot model fails the test instead of running differently.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
OURS = re.compile(r"^(hfsync/hfsync@.+|\./?)$")
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Step:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Job:
    steps: list[Step]
    summary: str
    env: dict[str, str]

    @property
    def output(self) -> str:
        return "".join(s.stdout + s.stderr for s in self.steps)


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the bare key `on` as True
    return data


def run_job(workflow_path: Path, work: Path, runner_temp: Path, *, repository: str, issuer=None,  # type: ignore[no-untyped-def]
            secrets: dict[str, str] | None = None, extra_env: dict[str, str] | None = None) -> Job:
    """Run the workflow's only job on a push to main; stop at the first failing step."""
    workflow = load(workflow_path)
    ((job_id, job),) = workflow["jobs"].items()
    permissions = {**(workflow.get("permissions") or {}), **(job.get("permissions") or {})}
    summary = runner_temp / "step_summary.md"
    summary.write_text("")
    env = {
        "PATH": os.environ["PATH"], "HOME": str(runner_temp), "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": repository, "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "0" * 40, "GITHUB_EVENT_NAME": "push", "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "1001", "GITHUB_WORKFLOW": workflow["name"], "GITHUB_JOB": job_id,
        "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ENV": str(runner_temp / "github_env"),
        **(extra_env or {}),
    }
    if permissions.get("id-token") == "write" and issuer is not None:
        from tests.oidc_issuer import job_claims

        env.update({k: v for k, v in issuer.github_env().items() if k != "GITHUB_ACTIONS"})
        issuer.job = job_claims(repository=repository, environment=job.get("environment"))
        issuer.job["workflow_ref"] = issuer.job["job_workflow_ref"] = (
            f"{repository}/.github/workflows/{workflow_path.name}@refs/heads/main")
    context = {"secrets": secrets or {}, "github": {
        "token": "ghs_job_token", "repository": repository, "event_name": "push", "action_path": str(ROOT),
        "ref": "refs/heads/main", "sha": "0" * 40}, "steps": {}}
    steps: list[Step] = []
    for number, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if step.get("uses", "").startswith("actions/checkout@"):
            continue
        if OURS.match(step.get("uses", "")):
            result = _run_action(step, context, env, work, runner_temp, name)
        elif "run" in step:
            result = _bash(step["run"], {**env, **_evaluated(step.get("env", {}), context)}, work, runner_temp, name)
        else:
            raise AssertionError(f"{workflow_path.name}: the fake runner cannot run step {name!r}")
        steps.append(result)
        if step.get("id"):
            context["steps"][step["id"]] = {"outputs": result.outputs}
        if result.returncode != 0:
            break
    return Job(steps, summary.read_text(), env)


def _run_action(step: dict, context: dict, env: dict, work: Path, runner_temp: Path, name: str) -> Step:
    """The action's `run` step; its Python is this interpreter's, hfsync the installed one."""
    given = _evaluated(step.get("with", {}), context)
    inputs = {k: str(given.get(k, spec.get("default", ""))) for k, spec in ACTION["inputs"].items()}
    (run,) = [s for s in ACTION["runs"]["steps"] if s.get("id") == "run"]
    inner = {**context, "inputs": inputs, "steps": {"install": {"outputs": {"bin": str(Path(sys.executable).parent)}}}}
    step_env = {**env, **_evaluated(run["env"], inner)}
    cwd = work / inputs["working-directory"]
    return _bash(run["run"], step_env, cwd, runner_temp, name)


def _bash(script: str, env: dict[str, str], cwd: Path, runner_temp: Path, name: str) -> Step:
    outputs = runner_temp / "github_output"
    outputs.write_text("")
    # As GitHub runs `shell: bash` steps: bash --noprofile --norc -eo pipefail.
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env={**env, "GITHUB_OUTPUT": str(outputs)},
                          capture_output=True, text=True, timeout=600)
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return Step(name, done.returncode, done.stdout, done.stderr, values)


def _evaluated(values: dict, context: dict) -> dict[str, str]:
    return {str(k): _substitute(str(v), context) if isinstance(v, str) else str(v).lower() if isinstance(v, bool)
            else str(v) for k, v in values.items()}


def _substitute(text: str, context: dict) -> str:
    def value(match: re.Match[str]) -> str:
        path = match.group(1).split(".")
        if path[0] not in context:
            raise AssertionError(f"the fake runner cannot evaluate ${{{{ {match.group(1)} }}}}")
        found: object = context
        for part in path:
            found = found.get(part, "") if isinstance(found, dict) else ""
        return str(found)

    return _EXPR.sub(value, text)
