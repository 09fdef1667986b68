"""^C during apply: the commit in flight finishes, nothing new starts, the report says which."""

from __future__ import annotations

import os
import signal

from hfsync.hub.commit import Committer
from tests.helpers import hfsync

MANIFEST = """\
version: 1
repos:
  - id: sandbox/first
    source: {path: a}
  - id: sandbox/second
    source: {path: b}
"""


def _two_targets(tmp_path):  # type: ignore[no-untyped-def]
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text(f'{{"{name}": 1}}\n')
    manifest = tmp_path / "hfsync.yaml"
    manifest.write_text(MANIFEST)
    return manifest


def test_interrupt_mid_apply_reports_what_was_published_and_rerun_finishes(tmp_path, sandbox, monkeypatch):
    manifest = _two_targets(tmp_path)
    real_commit = Committer.commit

    def commit(self, repo_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        if repo_id == "sandbox/first":
            os.kill(os.getpid(), signal.SIGINT)  # the user's ^C, while this commit is in flight
        return real_commit(self, repo_id, *args, **kwargs)

    monkeypatch.setattr(Committer, "commit", commit)
    run = ("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "-f", str(manifest), "--auto-approve",
           "--parallelism", "1")
    result = hfsync(*run)
    assert result.exit_code == 130
    lines = result.stdout.splitlines()
    assert lines[-3:-1] == ["sandbox/first: created the repo", lines[-2]]
    assert lines[-2].startswith("sandbox/first: committed 2 uploads, 0 deletions as ")
    assert lines[-1] == "Apply interrupted: 1 target published, 1 not."
    assert result.stderr == (
        "Interrupt received: letting the commits in flight finish; nothing new starts (^C again to stop at once).\n"
        "Error: apply was interrupted; not published:\n"
        "  sandbox/second: not started\n"
        "Hint: Run `hfsync plan` to see where the Hub stands, and apply again to finish: what the Hub already "
        "has is not uploaded again.\n"
    )
    repos = sandbox.data_dir / "repos" / "models" / "sandbox"
    assert (repos / "first.git").is_dir() and not (repos / "second.git").exists()

    monkeypatch.setattr(Committer, "commit", real_commit)
    again = hfsync(*run)
    assert again.exit_code == 0, again.output
    assert "Plan: 1 to create, 0 to change, 0 to delete (2 files, " in again.stdout
    assert again.stdout.endswith("Apply complete: 1 target published.\n")


def test_a_ctrl_c_as_a_target_finishes_starts_no_other(tmp_path, sandbox, monkeypatch):
    manifest = _two_targets(tmp_path)
    from hfsync.publish import apply

    real_apply_target = apply.apply_target

    def apply_target(target, *args, **kwargs):  # type: ignore[no-untyped-def]
        done = real_apply_target(target, *args, **kwargs)
        if target.repo_id == "sandbox/first":
            os.kill(os.getpid(), signal.SIGINT)  # the user's ^C, as the first target is done
        return done

    monkeypatch.setattr(apply, "apply_target", apply_target)
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "-f", str(manifest),
                    "--auto-approve", "--parallelism", "1")
    assert result.exit_code == 130, result.output
    assert result.stdout.splitlines()[-1] == "Apply interrupted: 1 target published, 1 not."
    assert "  sandbox/second: not started\n" in result.stderr
    assert not (sandbox.data_dir / "repos" / "models" / "sandbox" / "second.git").exists()


def test_ctrl_c_outside_apply_says_interrupted_with_exit_130(tmp_path, monkeypatch):
    from hfsync.manifest import load as manifest

    def load(files):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(manifest, "load", load)
    result = hfsync("validate")
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "Interrupted."
    assert "Traceback" not in result.output
