"""A change over the commit budget: batches through a pull request, the branch moves once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

MANIFEST = """version: 1
repos:
  - id: sandbox/many
    type: dataset
    source: {path: data}
    card: {generate: false}
    commit: {max_files: 3}
"""
FILES = 10  # 4 batches of <= 3


def _project(project, files: int = FILES, manifest: str = MANIFEST):
    project.yaml(manifest)
    for i in range(files):
        project.write(f"data/rows/{i:03d}.txt", f"row {i}\n")
    return project


def _api(sandbox) -> HfApi:
    return HfApi(endpoint=sandbox.url, token=sandbox.token)


def _commits(sandbox, revision: str = "main") -> list[str]:
    return [c.title for c in _api(sandbox).list_repo_commits("sandbox/many", repo_type="dataset", revision=revision)]


def _files(sandbox) -> list[str]:
    return sorted(_api(sandbox).list_repo_files("sandbox/many", repo_type="dataset"))


def _route(sandbox, name: str) -> int:
    return sandbox.stats()["routes"].get(name, {}).get("requests", 0)


def _wait_for(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _hold_batch(sandbox, k: int) -> None:
    """Let the commits before batch ``k`` through; hold batch ``k`` until the faults are
    cleared (a killed client's held commit is then dropped)."""
    sandbox.reset_stats()  # "POST commit" counts batches from here
    rules = [{"method": "POST", "path": "/commit/", "action": "delay", "seconds": 0}] * (k - 1)
    sandbox.add_faults([*rules, {"method": "POST", "path": "/commit/", "action": "delay", "seconds": 3600}])


def _seed(sandbox) -> None:
    api = _api(sandbox)
    api.create_repo("sandbox/many", repo_type="dataset")
    api.create_commit("sandbox/many", [CommitOperationAdd("keep.txt", b"kept\n")], commit_message="seed",
                      repo_type="dataset")


def test_the_plan_says_how_the_change_will_be_committed(project, sandbox):
    _seed(sandbox)
    result = _project(project).plan()
    assert result.exit_code == 0, result.output
    assert ("applied in 4 commits of <=3 files, <=10.0 GB through a pull request; main moves once, when it is "
            "merged") in result.output


def test_a_big_change_lands_on_the_branch_in_one_step_within_the_hubs_limit(project, sandbox):
    _seed(sandbox)
    sandbox.settings(max_commit_operations=3)
    result = _project(project).apply()
    assert result.exit_code == 0, result.output
    assert "committed batch 4/4 (1 upload, 0 deletions) to pull request #1" in result.output
    assert "merged pull request #1: the branch moved once" in result.output
    assert _files(sandbox) == [".gitattributes", "keep.txt", *(f"rows/{i:03d}.txt" for i in range(FILES))]
    titles = _commits(sandbox)
    assert len(titles) == 3 and titles[1:] == ["seed", "initial commit"]  # one step for the whole change
    assert titles[0].startswith("Publish sandbox/many: 10 added (hfsync) [hfsync ") and titles[0].endswith("(#1)")
    again = project.plan("--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_without_batches_the_hub_refuses_the_commit(project, sandbox):
    _seed(sandbox)
    sandbox.settings(max_commit_operations=3)
    result = _project(project, manifest=MANIFEST.replace("max_files: 3", "max_files: 100")).apply()
    assert result.exit_code == 1
    assert "Too many operations in one commit (more than 3)" in result.output
    assert _files(sandbox) == [".gitattributes", "keep.txt"]


def _apply_process(sandbox, project) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "HF_TOKEN": sandbox.token, "PYTHONPATH": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "hfsync", "--endpoint", sandbox.url, "--no-progress", "apply", "-f",
         str(project.manifest), "--auto-approve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("exists", [True, False], ids=["existing repo", "repo the killed run created"])
def test_a_rerun_after_a_kill_between_batches_goes_on_from_the_next_batch(project, sandbox, exists):
    if exists:
        _seed(sandbox)
    _project(project)
    _hold_batch(sandbox, 3)
    killed = _apply_process(sandbox, project)
    _wait_for(lambda: _route(sandbox, "POST commit") >= 3 or killed.poll() is not None, "the third batch")
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    sandbox.clear_faults()
    assert len(_commits(sandbox, "refs/pr/1")) == 3 + exists  # initial, (seed,) batches 1 and 2
    sandbox.reset_stats()
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "went on with pull request #1, which holds 2 batches already" in result.output
    assert _route(sandbox, "POST commit") == 2  # batches 3 and 4 only
    assert sandbox.stats()["routes"]["POST preupload"]["requests"] == 2
    kept = ["keep.txt"] if exists else []
    assert _files(sandbox) == [".gitattributes", *kept, *(f"rows/{i:03d}.txt" for i in range(FILES))]
    assert len(_commits(sandbox)) == 2 + exists  # the branch moved once
    assert [d.num for d in _api(sandbox).get_repo_discussions("sandbox/many", repo_type="dataset")] == [1]


def _during_batch(sandbox, k: int, action) -> threading.Thread:
    """``action`` runs while batch ``k`` is held; the batch goes on once it is done."""
    _hold_batch(sandbox, k)

    def run() -> None:
        try:
            _wait_for(lambda: _route(sandbox, "POST commit") >= k, f"batch {k}")
            action()
        finally:
            sandbox.clear_faults()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_pull_request_ref_deleted_mid_apply_fails_cleanly_and_a_rerun_converges(project, sandbox):
    _seed(sandbox)
    _project(project)
    repo = sandbox.server.hub.repos.get("dataset", "sandbox/many")
    thread = _during_batch(sandbox, 3, lambda: repo.git.delete_ref("refs/pr/1"))
    result = project.apply()
    thread.join()
    assert result.exit_code == 1
    assert ("pull request #1 was closed, or its ref refs/pr/1 deleted, by someone else after batch 2 of 4; "
            "nothing was merged and main is as it was") in result.output
    assert "Traceback" not in result.output
    assert _commits(sandbox)[0] == "seed"
    rerun = project.apply()
    assert rerun.exit_code == 0, rerun.output
    assert "closed pull request #1: its ref refs/pr/1 is gone" in rerun.output
    assert "merged pull request #2" in rerun.output
    assert len(_commits(sandbox)) == 3
    assert _files(sandbox) == [".gitattributes", "keep.txt", *(f"rows/{i:03d}.txt" for i in range(FILES))]


def test_a_branch_moved_between_batches_is_refused_and_nothing_is_merged(project, sandbox):
    _seed(sandbox)
    _project(project)
    api = _api(sandbox)
    thread = _during_batch(sandbox, 2, lambda: api.create_commit(
        "sandbox/many", [CommitOperationAdd("other.txt", b"x")], commit_message="someone else", repo_type="dataset"))
    result = project.apply()
    thread.join()
    assert result.exit_code == 1
    assert "main moved on the Hub during apply" in result.output and "nothing was merged" in result.output
    assert _commits(sandbox)[:2] == ["someone else", "seed"]
    assert _files(sandbox) == [".gitattributes", "keep.txt", "other.txt"]
    (pr,) = api.get_repo_discussions("sandbox/many", repo_type="dataset")
    assert pr.status == "closed"


def test_a_saved_plan_is_still_refused_once_the_branch_moved(project, sandbox, tmp_path):
    _seed(sandbox)
    _project(project)
    assert project.plan("--out", str(tmp_path / "p.json")).exit_code == 0
    _api(sandbox).create_commit("sandbox/many", [CommitOperationAdd("other.txt", b"x")], commit_message="moved",
                                repo_type="dataset")
    result = project.run("apply", str(tmp_path / "p.json"), "--auto-approve")
    assert result.exit_code == 1 and "plan is stale" in result.output
    assert list(_api(sandbox).get_repo_discussions("sandbox/many", repo_type="dataset")) == []


def _remove_chain(top: Path) -> None:
    """Remove a one-folder-a-level chain under ``top`` bottom up: shutil.rmtree, which
    pytest cleans its folders with, recurses once a level and fails 1,000 levels down."""
    folder = top
    while (subs := [e.path for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]):
        folder = Path(subs[0])
    while folder != top.parent:
        for entry in os.scandir(folder):
            os.unlink(entry.path)
        folder.rmdir()
        folder = folder.parent


def test_a_thousand_deep_path_publishes_and_reads_back(project, sandbox):
    deep = "/".join("d" for _ in range(1000)) + "/leaf.txt"
    project.yaml(MANIFEST)
    try:
        folder = project.root / "data"
        folder.mkdir()
        for _ in range(1000):  # one by one: pathlib's mkdir(parents=True) recurses once a level
            folder = folder / "d"
            folder.mkdir()
        (folder / "leaf.txt").write_text("deep\n")
        result = project.apply()
        assert result.exit_code == 0, result.output
        assert _files(sandbox) == [".gitattributes", deep]
        assert project.plan("--detailed-exitcode").exit_code == 0
    finally:
        _remove_chain(project.root / "data")


def test_names_differing_only_in_case_are_distinct_files_through_batches(project, sandbox):
    names = ["".join(c.upper() if n >> i & 1 else c for i, c in enumerate("abcdef")) for n in range(64)]
    project.yaml(MANIFEST.replace("max_files: 3", "max_files: 10"))
    for name in names:
        project.write(f"data/{name}.txt", f"{name}\n")
    sandbox.settings(max_commit_operations=10)
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "merged pull request #1" in result.output
    assert _files(sandbox) == sorted([".gitattributes", *(f"{n}.txt" for n in names)])
    assert len(_commits(sandbox)) == 2


def test_a_two_thousand_file_dataset_publishes_through_the_hubs_commit_limit(project, sandbox):
    # bench/bench_scale.py publishes 20,000 files the same way.
    project.yaml(MANIFEST.replace("    commit: {max_files: 3}\n", ""))
    for i in range(2_000):
        project.write(f"data/part-{i // 1000}/{i:05d}.txt", f"{i}\n")
    sandbox.settings(max_commit_operations=100)
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "committed batch 20/20" in result.output and "merged pull request #1" in result.output
    assert len(_files(sandbox)) == 2_001
    assert len(_commits(sandbox)) == 2
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_the_json_report_lists_each_batch_and_the_merge(project, sandbox):
    import json

    from jsonschema.validators import validator_for

    from hfsync import schemas

    _seed(sandbox)
    result = _project(project).apply("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    validator_for(schemas.load("apply.report"))(schemas.load("apply.report")).validate(report)
    (target,) = report["targets"]
    steps = target["steps"]
    assert [(s["action"], s.get("value")) for s in steps] == [
        *(("committed-batch", f"{k}/4") for k in range(1, 5)), ("merged-pull-request", 4)]
    assert [s["uploads"] for s in steps[:4]] == [3, 3, 3, 1]
    assert report["bytes"] == sum(len(f"row {i}\n") for i in range(FILES))
    assert target["commit"] == steps[-1]["commit"] == _api(sandbox).repo_info("sandbox/many", repo_type="dataset").sha


def test_a_rerun_after_the_last_batch_only_merges(project, sandbox):
    _seed(sandbox)
    _project(project)
    sandbox.add_faults([{"method": "POST", "path": "/discussions/1/merge$", "action": "status", "status": 503,
                         "retry_after": 0, "times": 20}])
    failed = project.apply()
    assert failed.exit_code == 1 and "merge pull request #1 of sandbox/many" in failed.output
    assert _commits(sandbox)[0] == "seed"
    sandbox.clear_faults()
    sandbox.reset_stats()
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "went on with pull request #1, which holds 4 batches already" in result.output
    assert _route(sandbox, "POST commit") == 0 and _route(sandbox, "POST discussion-merge") == 1
    assert len(_commits(sandbox)) == 3
