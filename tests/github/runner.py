"""A fake GitHub Actions runner for one job of an example workflow: its `run:` steps and this
repository's action run with bash as on a runner, in a runtime made of the GitHub variables
a job sees; `actions/checkout` is the prepared work folder. With `permissions: id-token: write`
(and only then) the job gets the id-token request variables, served by the test issuer.

Expressions: `secrets.*`, `github.*` (token, repository, event_name, base_ref, action_path, ref,
sha), `steps.ID.outputs.NAME`, and in the action `inputs.NAME`; any other is an error, so a
workflow the runner cannot model fails the test instead of running differently. A step's `if:`
may compare them (`==`, `!=`) and join comparisons with `&&` or `||`.

The job's PATH holds no `hfsync`: the action installs it into a private environment (here,
this interpreter's), so a later step reaches it only through the action's `hfsync` output.
The action's outputs are its `outputs:` as action.yml maps them from its steps' outputs.
`actions/upload-artifact` checks that the path it is given exists.
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


def runtime(tmp_path: Path, endpoint: str) -> tuple[Path, dict[str, str]]:
    """A runner's temp folder, and the environment a job gets: the test's isolated caches, and
    the Hub endpoint (the sandbox's) as the job's HF_ENDPOINT."""
    temp = tmp_path / "runner"
    temp.mkdir(exist_ok=True)
    passed = {k: os.environ[k] for k in ("HF_HOME", "HF_HUB_CACHE", "HFSYNC_CACHE_DIR", "HF_XET_CACHE",
                                         "HF_HUB_DISABLE_XET", "HF_HUB_DISABLE_TELEMETRY") if k in os.environ}
    return temp, {**passed, "HF_ENDPOINT": endpoint}


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the bare key `on` as True
    return data


def run_job(workflow_path: Path, work: Path, runner_temp: Path, *, repository: str, issuer=None,  # type: ignore[no-untyped-def]
            secrets: dict[str, str] | None = None, extra_env: dict[str, str] | None = None,
            event: str = "push", base_ref: str = "") -> Job:
    """Run the workflow's only job on ``event`` (a push to main by default); stop at the first
    failing step."""
    workflow = load(workflow_path)
    ((job_id, job),) = workflow["jobs"].items()
    permissions = {**(workflow.get("permissions") or {}), **(job.get("permissions") or {})}
    summary = runner_temp / "step_summary.md"
    summary.write_text("")
    env = {
        "PATH": _without_hfsync(os.environ["PATH"]), "HOME": str(runner_temp), "RUNNER_TEMP": str(runner_temp),
        "GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": repository, "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "0" * 40, "GITHUB_EVENT_NAME": event, "GITHUB_BASE_REF": base_ref, "GITHUB_SERVER_URL": "https://github.com",
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
        "token": "ghs_job_token", "repository": repository, "event_name": event, "base_ref": base_ref,
        "action_path": str(ROOT),
        "ref": "refs/heads/main", "sha": "0" * 40}, "steps": {}}
    steps: list[Step] = []
    for number, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or f"step {number}"
        if step.get("uses", "").startswith("actions/checkout@") or not condition(step.get("if", ""), context):
            continue
        if step.get("uses", "").startswith("actions/upload-artifact@"):
            path = _substitute(step["with"]["path"], context)
            found = bool(path) and (work / path).exists()
            result = Step(name, 0 if found else 1, "", "" if found else f"no file at path {path!r}")
        elif OURS.match(step.get("uses", "")):
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
    installed = Path(sys.executable).parent
    inner = {**context, "inputs": inputs,
             "steps": {"install": {"outputs": {"bin": str(installed), "hfsync": str(installed / "hfsync")}}}}
    step_env = {**env, **_evaluated(run["env"], inner)}
    cwd = work / inputs["working-directory"]
    result = _bash(run["run"], step_env, cwd, runner_temp, name)
    inner["steps"]["run"] = {"outputs": result.outputs}
    result.outputs = {k: _substitute(spec["value"], inner) for k, spec in ACTION["outputs"].items()}
    return result


def _without_hfsync(path: str) -> str:
    return os.pathsep.join(p for p in path.split(os.pathsep) if not (Path(p) / "hfsync").exists())


def condition(expression: str, context: dict) -> bool:
    """A step's `if:` (empty: run), as GitHub reads the few forms the examples use."""
    expression = _EXPR.sub(lambda m: m.group(1), expression).strip()
    if not expression:
        return True
    return any(all(_compare(part, context) for part in either.split("&&")) for either in expression.split("||"))


def _compare(text: str, context: dict) -> bool:
    match = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", text)
    if match is None:
        raise AssertionError(f"the fake runner cannot evaluate the condition {text!r}")
    found = _substitute("${{ " + match.group(1) + " }}", context)
    return (found == match.group(3)) == (match.group(2) == "==")


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
