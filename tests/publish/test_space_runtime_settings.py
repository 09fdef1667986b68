"""A Space's hardware, sleep time and pause: planned old -> new with what they cost, applied, drift-checked, imported."""

from __future__ import annotations

from huggingface_hub import HfApi

SPACE = ("version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {{path: s}}\n"
         "    space: {{sdk: gradio{}}}\n")


def test_hardware_and_sleep_time_are_planned_with_their_cost_applied_and_then_clean(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format(""))
    assert project.apply().exit_code == 0
    project.yaml(SPACE.format(", hardware: a10g-small, sleep_time: 3600"))
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '~ hardware = "cpu-basic" -> "a10g-small"' in plan.stdout and "+ sleep_time = 3600" in plan.stdout
    assert ("Note: space:sandbox/sp: hardware a10g-small is billed by the hour while the Space runs "
            "(until it sleeps or is paused)") in plan.stdout
    assert ("Note: space:sandbox/sp: sleep_time 3600: the Space sleeps after 3600s without a visitor and "
            "a10g-small is not billed while it sleeps") in plan.stdout
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "space:sandbox/sp: set sleep_time = 3600" in result.stdout
    runtime = HfApi(endpoint=sandbox.url, token=sandbox.token).get_space_runtime("sandbox/sp")
    assert (runtime.requested_hardware, runtime.sleep_time) == ("a10g-small", 3600)
    assert project.plan("--detailed-exitcode").exit_code == 0
    # Changed by hand on the Hub: drift, planned back old -> new.
    HfApi(endpoint=sandbox.url, token=sandbox.token).set_space_sleep_time("sandbox/sp", -1)
    drift = project.plan("--detailed-exitcode")
    assert drift.exit_code == 2 and "~ sleep_time = -1 -> 3600" in drift.stdout, drift.output
    assert project.apply().exit_code == 0
    project.yaml(SPACE.format(", hardware: a10g-small, sleep_time: -1"))
    assert "sleep_time -1: the Space never sleeps, so a10g-small is billed around the clock" in project.plan().stdout


def test_free_hardware_is_said_free_and_its_sleep_time_has_no_effect(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format(", hardware: cpu-basic, sleep_time: 600"))
    plan = project.plan()
    assert "hardware cpu-basic is free: the Space is no longer billed for hardware" in plan.stdout
    assert "sleep_time has no effect on cpu-basic: free hardware sleeps after 48 hours without a visitor" \
        in plan.stdout


def test_pausing_is_applied_waited_for_as_paused_and_restarting_undoes_it(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format(", hardware: t4-small"))
    assert project.apply().exit_code == 0
    project.yaml(SPACE.format(", hardware: t4-small, paused: true"))
    plan = project.plan()
    assert "~ paused = false -> true" in plan.stdout
    assert "paused: the Space stops and its hardware is not billed until it is restarted" in plan.stdout
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "space:sandbox/sp: set paused = true" in result.stdout
    assert "space:sandbox/sp: healthy: the Space is PAUSED" in result.stdout
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert api.get_space_runtime("sandbox/sp").stage == "PAUSED"
    assert project.plan("--detailed-exitcode").exit_code == 0
    project.yaml(SPACE.format(", hardware: t4-small, paused: false"))
    plan = project.plan()
    assert "paused -> false: the Space is restarted and t4-small is billed again while it runs" in plan.stdout
    result = project.apply()
    assert result.exit_code == 0 and "healthy: the Space is RUNNING" in result.stdout, result.output
    assert api.get_space_runtime("sandbox/sp").stage == "RUNNING"


def test_a_paused_space_not_declared_paused_fails_health_saying_so(project, sandbox):
    project.write("s/app.py", "print(1)\n")
    project.yaml(SPACE.format(""))
    assert project.apply().exit_code == 0
    HfApi(endpoint=sandbox.url, token=sandbox.token).pause_space("sandbox/sp")
    project.write("s/app.py", "print(2)\n")
    result = project.apply()
    assert result.exit_code == 1
    assert "the Space is not healthy: it is paused; restart it on the Hub (PAUSED)" in result.stderr


def test_a_hardware_name_the_hub_refuses_is_a_warning_naming_it(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format(", hardware: quantum-xl"))
    result = project.apply()
    assert "Warning: space:sandbox/sp: hardware not applied:" in result.stdout, result.output
    assert "quantum-xl" in result.stdout


def test_import_covers_hardware_sleep_time_and_pause_and_plans_no_change(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/app", repo_type="space", space_sdk="gradio")
    api.request_space_hardware("acme/app", "t4-small", sleep_time=900)  # type: ignore[arg-type]
    api.pause_space("acme/app")
    imported = project.run("import", "acme/app", "--type", "space")
    assert imported.exit_code == 0, imported.output
    assert "hardware: t4-small\n    sleep_time: 900\n    paused: true\n" in imported.stdout
    project.yaml(imported.stdout)
    (project.root / "app").mkdir()
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
