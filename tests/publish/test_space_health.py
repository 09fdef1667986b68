"""After apply publishes a Space it waits until the Space runs, or fails saying why (sandbox runtime scripts)."""

from __future__ import annotations

import html
import json
import threading
import time

from huggingface_hub import HfApi

SPACE = ("version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {{path: s}}\n"
         "    space: {{sdk: gradio{}}}\n")


def _published(project, sandbox, extra: str = "") -> HfApi:
    """The Space exists, as published once, healthy; the next apply changes app.py."""
    project.write("s/app.py", "print(1)\n")
    project.yaml(SPACE.format(extra))
    assert project.apply().exit_code == 0
    project.write("s/app.py", "print(2)\n")
    return HfApi(endpoint=sandbox.url, token=sandbox.token)


def _move_on_after_each_poll(sandbox, api: HfApi, stages: int) -> threading.Thread:
    """Once apply's commit landed, the Space's next ``stages`` stages end each right after
    apply polled it: it must poll through every one, however slowly the test runs."""
    before = len(api.list_repo_commits("sandbox/sp", repo_type="space"))

    def polls() -> int:
        return sandbox.stats()["routes"].get("GET space-runtime", {}).get("requests", 0)

    def wait_for(check) -> None:
        deadline = time.monotonic() + 60
        while not check() and time.monotonic() < deadline:
            time.sleep(0.02)

    def run() -> None:
        wait_for(lambda: len(api.list_repo_commits("sandbox/sp", repo_type="space")) > before)
        for _ in range(stages):
            seen = polls()
            wait_for(lambda seen=seen: polls() > seen)
            sandbox.elapse("sandbox/sp", 600)

    mover = threading.Thread(target=run, daemon=True)
    mover.start()
    return mover


def test_apply_waits_for_the_build_and_says_the_space_runs(project, sandbox):
    api = _published(project, sandbox, ", health_timeout: 120")
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILDING", "seconds": 600},
                                         {"stage": "APP_STARTING", "seconds": 600}, {"stage": "RUNNING"}])
    sandbox.reset_stats()
    mover = _move_on_after_each_poll(sandbox, api, 2)
    result = project.apply()
    mover.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert "space:sandbox/sp: healthy: the Space is RUNNING\n" in result.stdout
    assert result.stdout.endswith("Apply complete: 1 target published.\n")
    runtime = sandbox.stats()["routes"]["GET space-runtime"]["requests"]
    assert runtime >= 3  # it polled through BUILDING and APP_STARTING


def test_a_build_error_fails_apply_with_the_message_and_the_build_log(project, sandbox):
    _published(project, sandbox)
    log = [f"step {i}" for i in range(30)] + ["ERROR: No matching distribution found for torch==9.9"]
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILDING", "seconds": 0.2}, {"stage": "BUILD_ERROR"}],
                          build_log=log, error="Build failed with exit code: 1")
    result = project.apply()
    assert result.exit_code == 1
    assert ("space:sandbox/sp: the Space is not healthy: its build failed (BUILD_ERROR: Build failed with exit "
            "code: 1); the last lines of its build log:\n"
            + "".join(f"    step {i}\n" for i in range(21, 30))
            + "    ERROR: No matching distribution found for torch==9.9\n") in result.stderr
    assert "step 20\n" not in result.stderr and "Traceback" not in result.output
    assert "committed 1 upload" in result.stdout  # published, but not healthy: said so


def test_a_crash_after_start_shows_the_run_log(project, sandbox):
    _published(project, sandbox)
    sandbox.space_runtime("sandbox/sp", [{"stage": "APP_STARTING", "seconds": 0.1}, {"stage": "RUNTIME_ERROR"}],
                          run_log=["Traceback (most recent call last):", "KeyError: 'MODEL_ID'"])
    result = project.apply()
    assert result.exit_code == 1
    assert ("the Space is not healthy: it crashed while starting or running (RUNTIME_ERROR: Space stage "
            "RUNTIME_ERROR); the last lines of its run log:\n    Traceback (most recent call last):\n"
            "    KeyError: 'MODEL_ID'\n") in result.stderr


def test_stuck_building_past_the_timeout_is_a_clean_failure_saying_what_to_check(project, sandbox):
    _published(project, sandbox, ", health_timeout: 0.3")
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILDING", "seconds": 600}, {"stage": "RUNNING"}])
    result = project.apply()
    assert result.exit_code == 1
    assert (f"space:sandbox/sp: the Space is still BUILDING after 0.3s; check its logs at {sandbox.url}/spaces/"
            "sandbox/sp?logs=build, and raise space.health_timeout if it needs longer (or apply with --no-wait)"
            ) in result.stderr
    assert "Traceback" not in result.output


def test_an_unknown_stage_is_not_taken_for_healthy(project, sandbox):
    _published(project, sandbox, ", health_timeout: 0.2")
    sandbox.space_runtime("sandbox/sp", [{"stage": "WARMING_UP"}])
    result = project.apply()
    assert result.exit_code == 1
    assert ("the Space is still WARMING_UP (a stage hfsync does not know, so not taken for healthy) after 0.2s"
            in result.stderr)


def test_no_wait_says_health_was_not_checked(project, sandbox):
    _published(project, sandbox)
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILD_ERROR"}])
    sandbox.reset_stats()
    result = project.apply("--no-wait")
    assert result.exit_code == 0, result.output
    assert "space:sandbox/sp: health not checked (--no-wait)\n" in result.stdout
    assert "GET space-runtime" not in sandbox.stats()["routes"]


def test_an_unchanged_space_and_a_model_are_not_waited_for(project, sandbox):
    _published(project, sandbox)
    assert project.apply().exit_code == 0
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILD_ERROR"}])
    sandbox.reset_stats()
    result = project.apply()
    assert result.exit_code == 0 and "healthy: the Space" not in result.stdout
    assert "GET space-runtime" not in sandbox.stats()["routes"]


def test_the_json_report_and_the_saved_plan_carry_the_health(project, sandbox, tmp_path):
    _published(project, sandbox, ", health_timeout: 30")
    saved = tmp_path / "plan.json"
    assert project.plan("--out", str(saved)).exit_code == 0
    assert json.loads(saved.read_text())["targets"][0]["health"] == {"timeout": 30.0, "stages": ["RUNNING", "SLEEPING"]}
    result = project.run("apply", str(saved), "--format", "json")
    assert result.exit_code == 0, result.output
    steps = json.loads(result.stdout)["targets"][0]["steps"]
    assert steps[-1] == {"action": "healthy", "name": "RUNNING"}


def test_the_plan_says_a_space_that_is_not_healthy_now_even_with_nothing_to_change(project, sandbox):
    _published(project, sandbox)
    project.write("s/app.py", "print(1)\n")  # back to what the Hub has: nothing to publish
    sandbox.space_runtime("sandbox/sp", [{"stage": "BUILD_ERROR"}])
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert ("Warning: space:sandbox/sp: the Space is BUILD_ERROR on the Hub now, not healthy; nothing in this "
            "plan changes it: see its logs on the Hub") in plan.stdout
    markdown = project.plan("--format", "markdown")
    # The stage is the Hub's text: escaped for markdown, read as written once rendered.
    assert "> **Warning:** the Space is BUILD_ERROR on the Hub now, not healthy" in html.unescape(markdown.stdout)
    assert "BUILD&#95;ERROR" in markdown.stdout
    project.write("s/app.py", "print(3)\n")
    assert "not healthy; apply waits for it to run after publishing" in project.plan().stdout


def test_a_log_that_prints_a_secret_is_shown_with_the_secret_masked(project, sandbox, monkeypatch):
    _published(project, sandbox)
    token = "hf_" + "Qw3rTy7UiOp9AsDfGhJkLzXcVbNm123456"  # the shape of a Hub token
    monkeypatch.setenv("DB_PASSWORD", "correct-horse-battery")
    project.yaml(SPACE.format(", secrets: {DB_PASSWORD: {env: DB_PASSWORD}}"))
    sandbox.space_runtime("sandbox/sp", [{"stage": "RUNTIME_ERROR"}],
                          run_log=["env: DB_PASSWORD=correct-horse-battery", f"HF_TOKEN={token}", "boom"])
    result = project.apply()
    assert result.exit_code == 1
    assert "    env: DB_PASSWORD=***\n    HF_TOKEN=***\n    boom\n" in result.stderr, result.stderr
    assert "correct-horse-battery" not in result.output and token not in result.output
