"""The pre-commit hooks (.pre-commit-hooks.yaml) under the real pre-commit: `try-repo` against a
copy of this repository, in a fresh git repo, on one commit that passes and one that fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hf_" + "PreCommitPlanted" + "SecretValue42xYz12"


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> tuple[Path, str]:
    """This checkout as pre-commit would clone it: the files git would ship, committed."""
    repo = tmp_path_factory.mktemp("hfsync-hooks")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "hfsync")
    return repo, _git(repo, "rev-parse", "HEAD").strip()


def test_the_hooks_are_declared_for_changed_manifests_and_files():
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"hfsync-validate", "hfsync-scan"}
    assert hooks["hfsync-validate"]["entry"] == "hfsync validate" and hooks["hfsync-scan"]["entry"] == "hfsync scan"
    assert all(h["language"] == "python" and h.get("pass_filenames", True) for h in hooks.values())


def test_hooks_under_real_pre_commit_pass_a_good_commit_and_stop_a_bad_one(hooks_repo, tmp_path):
    source, rev = hooks_repo
    user = tmp_path / "project"
    shutil.copytree(ROOT / "examples", user, ignore=shutil.ignore_patterns("github"))
    _git(user, "init", "-q")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")

    def try_repo() -> subprocess.CompletedProcess:
        # The hook environment is installed like any pre-commit hook's: pip, with the
        # package index this machine is configured with.
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(source), "--ref", rev],
                              cwd=user, env=env, capture_output=True, text=True, timeout=900)

    _git(user, "add", "-A")
    good = try_repo()
    assert good.returncode == 0, good.stdout + good.stderr
    assert "hfsync validate" in good.stdout and "hfsync scan" in good.stdout
    assert good.stdout.count("Passed") == 2
    _git(user, "commit", "-q", "-m", "good")

    manifest = user / "hfsync.yaml"
    manifest.write_text(manifest.read_text().replace("version: 1\n", "version: 1\ncolour: red\n", 1))
    (user / "models" / "deploy.env").write_text(f"HF_TOKEN={SECRET}\n")
    _git(user, "add", "-A")
    bad = try_repo()
    shown = bad.stdout + bad.stderr
    assert bad.returncode == 1, shown
    assert shown.count("Failed") == 2, shown
    line = manifest.read_text().splitlines().index("colour: red") + 1
    assert f"hfsync.yaml:{line}:1: " in shown and "colour" in shown
    assert "models/deploy.env:1: Hugging Face Token (fingerprint " in shown
    assert SECRET not in shown
