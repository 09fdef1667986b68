"""Space runtime stages that move over time, and the build/run logs, as the real client reads them."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi


@pytest.fixture
def api(sandbox) -> HfApi:
    hub = HfApi(endpoint=sandbox.url, token=sandbox.token)
    hub.create_repo("sandbox/app", repo_type="space", space_sdk="gradio")
    return hub


def test_without_a_script_a_space_runs(api):
    assert api.get_space_runtime("sandbox/app").stage == "RUNNING"
    assert list(api.fetch_space_logs("sandbox/app", build=True)) == []


def test_a_build_that_fails_is_waited_for_and_its_log_read(sandbox, api):
    sandbox.space_runtime("sandbox/app", [{"stage": "BUILDING", "seconds": 600}, {"stage": "BUILD_ERROR"}],
                          build_log=["Step 1/3 : FROM python", "ERROR: No matching distribution for torch==9"],
                          error="Build failed with exit code: 1")
    assert api.get_space_runtime("sandbox/app").stage == "BUILDING"
    sandbox.elapse("sandbox/app", 600)
    final = api.wait_for_space("sandbox/app", timeout=60, poll_interval=0.05)
    assert final.stage == "BUILD_ERROR" and final.raw["errorMessage"] == "Build failed with exit code: 1"
    assert list(api.fetch_space_logs("sandbox/app", build=True)) == [
        "Step 1/3 : FROM python\n", "ERROR: No matching distribution for torch==9\n"]
    assert list(api.fetch_space_logs("sandbox/app")) == []


def test_a_commit_or_a_restart_deploys_again(sandbox, api):
    sandbox.space_runtime("sandbox/app", [{"stage": "BUILDING", "seconds": 600}, {"stage": "RUNNING"}])
    sandbox.elapse("sandbox/app", 600)
    assert api.get_space_runtime("sandbox/app").stage == "RUNNING"
    api.upload_file(path_or_fileobj=b"print()\n", path_in_repo="app.py", repo_id="sandbox/app", repo_type="space")
    assert api.get_space_runtime("sandbox/app").stage == "BUILDING"
    sandbox.elapse("sandbox/app", 600)
    assert api.get_space_runtime("sandbox/app").stage == "RUNNING"
    api.restart_space("sandbox/app")
    assert api.get_space_runtime("sandbox/app").stage == "BUILDING"
    api.pause_space("sandbox/app")
    assert api.get_space_runtime("sandbox/app").stage == "PAUSED"


def test_a_crash_after_start_and_a_timeout(sandbox, api):
    sandbox.space_runtime("sandbox/app", [{"stage": "APP_STARTING", "seconds": 0.1}, {"stage": "RUNTIME_ERROR"}],
                          run_log=["Traceback (most recent call last):", "KeyError: 'MODEL'"])
    # A stage that moves on in real time: waited for, however slowly the test runs.
    assert api.wait_for_space("sandbox/app", timeout=60, poll_interval=0.05).stage == "RUNTIME_ERROR"
    assert list(api.fetch_space_logs("sandbox/app"))[-1] == "KeyError: 'MODEL'\n"
    sandbox.space_runtime("sandbox/app", [{"stage": "BUILDING", "seconds": 60}, {"stage": "RUNNING"}])
    with pytest.raises(TimeoutError, match="still in stage 'BUILDING'"):
        api.wait_for_space("sandbox/app", timeout=0.2, poll_interval=0.05)


def test_a_bad_script_is_refused(sandbox, api):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox.space_runtime("sandbox/app", [])
    assert refused.value.code == 400
