"""--changed-since: which targets a git change selects, on a temporary repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import git
import pytest

from hfsync.manifest.load import load
from hfsync.publish.changed_since import ChangesError, changed_since
from tests.helpers import hfsync

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MODEL, DATASET, SPACE = "sandbox/sentiment-lora", "dataset:sandbox/reviews", "space:sandbox/demo"
BASE = "sandbox/tiny-base"  # the base model the example's adapter names, published beside it
PULL = "sandbox/sentiment-lora"
ME = git.Actor("Test", "test@example.com")


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns("github"))
        self.repo = git.Repo.init(root, initial_branch="main")
        self.commit("initial")

    def commit(self, message: str) -> str:
        self.repo.git.add(A=True)
        return self.repo.index.commit(message, author=ME, committer=ME).hexsha

    def edit(self, path: str, old: str, new: str) -> None:
        file = self.root / path
        text = file.read_text()
        assert old in text, f"{old!r} not in {path}"
        file.write_text(text.replace(old, new, 1))

    def changed(self, ref: str = "main"):
        return changed_since(load([self.root / "hfsync.yaml"]), ref)


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


def test_nothing_changed_plans_nothing(project):
    changed = project.changed()
    assert changed.repos == frozenset() and changed.pulls == frozenset()
    assert changed.base == project.repo.head.commit.hexsha


def test_a_changed_source_file_selects_only_its_target(project):
    (project.root / "models/sentiment-lora/adapter_config.json").write_text('{"r": 16}\n')
    changed = project.changed()
    assert changed.repos == {MODEL}
    assert changed.pulls == frozenset()
    assert changed.reasons[MODEL] == "models/sentiment-lora/adapter_config.json changed"


def test_untracked_staged_deleted_and_renamed_files_count(project):
    (project.root / "datasets/reviews/validation.csv").write_text("text,label\nok,1\n")
    assert project.changed().repos == {DATASET}

    (project.root / "datasets/reviews/validation.csv").unlink()
    project.repo.git.mv("space/app.py", "space/main.py")  # staged rename
    assert project.changed().repos == {SPACE}

    project.repo.git.mv("space/main.py", "space/app.py")
    (project.root / "models/sentiment-lora/adapter_model.safetensors").unlink()
    assert project.changed().repos == {MODEL}


def test_ignored_files_do_not_count(project):
    (project.root / ".gitignore").write_text("*.tmp\n")
    project.commit("ignore tmp files")
    (project.root / "space/scratch.tmp").write_text("x")
    assert project.changed("HEAD").repos == frozenset()


def test_a_card_file_outside_the_source_counts(project):
    project.edit("hfsync.yaml", "training: models/sentiment-lora/training_args.json", "training: training.json")
    (project.root / "training.json").write_text("{}\n")
    project.commit("training config at the top")
    (project.root / "training.json").write_text('{"epochs": 3}\n')
    changed = project.changed("HEAD")
    assert changed.repos == {MODEL}
    assert changed.reasons[MODEL] == "training.json changed"


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("defaults: {namespace: sandbox, private: true}", "defaults: {namespace: sandbox, private: false}", "defaults"),
        ("  safetensors_only: true", "  safetensors_only: false", "policy"),
    ],
)
def test_a_change_to_defaults_or_policy_plans_everything(project, old, new, what):
    project.edit("hfsync.yaml", old, new)
    changed = project.changed()
    assert changed.repos == {MODEL, DATASET, SPACE, BASE}
    assert changed.pulls == {PULL}
    assert changed.reasons[SPACE] == f"'{what}' changed in hfsync.yaml, which affects every target"


def test_a_changed_entry_selects_only_that_target(project):
    project.edit("hfsync.yaml", "description: Product reviews with sentiment labels", "description: Reviews")
    changed = project.changed()
    assert changed.repos == {DATASET}
    assert changed.reasons[DATASET] == "its entry in hfsync.yaml changed"

    project.edit("hfsync.yaml", "    revision: main\n", "    revision: v1.0.0\n")
    changed = project.changed()
    assert changed.repos == {DATASET}
    assert changed.pulls == {PULL}


def test_comments_and_reordering_change_nothing(project):
    text = (project.root / "hfsync.yaml").read_text()
    repos, pulls = text.split("pulls:\n")
    entries = repos.split("\n  - ")
    reordered = "\n  - ".join([entries[0], entries[3].rstrip("\n"), entries[1], entries[2] + "\n"])
    (project.root / "hfsync.yaml").write_text("# a comment\n" + reordered + "pulls:\n" + pulls)
    assert load([project.root / "hfsync.yaml"])  # still valid
    changed = project.changed()
    assert changed.repos == frozenset() and changed.pulls == frozenset()


def test_a_new_entry_is_selected(project):
    (project.root / "models/extra").mkdir()
    (project.root / "models/extra/config.json").write_text("{}\n")
    project.edit("hfsync.yaml", "pulls:\n", "  - id: extra\n    source: {path: models/extra}\npulls:\n")
    assert project.changed().repos == {"sandbox/extra"}


def test_a_changed_lock_selects_the_pulls(project):
    (project.root / "hfsync.lock").write_text("version: 1\n")
    changed = project.changed()
    assert changed.repos == frozenset()
    assert changed.pulls == {PULL}


def test_a_manifest_new_since_the_ref_plans_everything(project):
    first = project.repo.head.commit.hexsha
    # A commit without the manifest; the file stays in the working tree, untracked.
    project.repo.git.rm("hfsync.yaml", cached=True)
    project.repo.index.commit("untrack the manifest", author=ME, committer=ME)
    changed = project.changed("HEAD")
    assert changed.repos == {MODEL, DATASET, SPACE, BASE}
    assert "is new" in changed.reasons[MODEL]
    assert project.changed(first).repos == frozenset()


def test_changes_on_the_base_branch_after_forking_are_not_ours(project):
    project.repo.git.checkout("-b", "feature")
    project.edit("space/app.py", "", "# feature\n")
    project.commit("feature work")
    project.repo.git.checkout("main")
    project.edit("datasets/reviews/test.csv", "", "text,label\n")
    project.commit("main moved on")
    project.repo.git.checkout("feature")
    assert project.changed("main").repos == {SPACE}


def test_unknown_ref_and_no_repository_are_clear_errors(project, tmp_path):
    with pytest.raises(ChangesError) as error:
        project.changed("origin/nope")
    assert error.value.message == "--changed-since: unknown git ref 'origin/nope'"
    assert "fetch-depth: 0" in error.value.hint

    orphan = project.repo.git.commit_tree(project.repo.head.commit.tree.hexsha, m="unrelated")
    with pytest.raises(ChangesError, match="share no history"):
        project.changed(orphan)

    bare = tmp_path / "plain"
    shutil.copytree(EXAMPLES, bare, ignore=shutil.ignore_patterns("github"))
    with pytest.raises(ChangesError, match="needs a git repository"):
        changed_since(load([bare / "hfsync.yaml"]), "main", repo_path=tmp_path.parent / "nowhere-at-all")


def test_plan_changed_since_plans_only_the_changed_target_against_the_hub(project, sandbox, monkeypatch):
    monkeypatch.chdir(project.root)
    hub = ("--endpoint", sandbox.url, "--token", sandbox.token)
    applied = hfsync(*hub, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    project.commit("published")

    quiet = hfsync(*hub, "plan", "--changed-since", "HEAD", "--detailed-exitcode")
    assert quiet.exit_code == 0, quiet.output
    assert "No changes." in quiet.stdout

    (project.root / "space/app.py").write_text("print('v2')\n")
    sandbox.reset_stats()
    result = hfsync(*hub, "plan", "--changed-since", "HEAD", "--detailed-exitcode", "--format", "json")
    assert result.exit_code == 2, result.output
    planned = [t["key"] for t in json.loads(result.stdout)["targets"]]
    assert planned == [SPACE]
    # Only the changed target was read from the Hub.
    routes = " ".join(sandbox.stats()["routes"])
    assert "sentiment-lora" not in routes and "reviews" not in routes

    # With --target as well, a target must be named and changed to be planned.
    named = hfsync(*hub, "plan", "--changed-since", "HEAD", "--target", MODEL, "--detailed-exitcode")
    assert named.exit_code == 0, named.output
    assert "No changes." in named.stdout

    project.edit("hfsync.yaml", "private: true}", "private: false}")
    everything = hfsync(*hub, "plan", "--changed-since", "HEAD", "--format", "json")
    assert sorted(t["key"] for t in json.loads(everything.stdout)["targets"]) == sorted([MODEL, DATASET, SPACE, BASE])


def test_plan_changed_since_errors_are_clear(project, monkeypatch):
    monkeypatch.chdir(project.root)
    result = hfsync("plan", "--changed-since", "origin/main")
    assert result.exit_code == 1
    assert "Error: --changed-since: unknown git ref 'origin/main'" in result.stderr
    assert "Traceback" not in result.output


def test_verbose_plan_says_why_each_target_was_chosen(project, sandbox, monkeypatch):
    monkeypatch.chdir(project.root)
    (project.root / "space/app.py").write_text("print('v2')\n")
    result = hfsync("-v", "--endpoint", sandbox.url, "--token", sandbox.token, "plan", "--changed-since", "main")
    assert result.exit_code == 0, result.output
    assert "changed since main (merge base " in result.stderr
    assert "space:sandbox/demo: space/app.py changed" in result.stderr


def test_changed_since_says_which_targets_it_did_not_plan_and_why(project, sandbox, monkeypatch):
    monkeypatch.chdir(project.root)
    hub = ("--endpoint", sandbox.url, "--token", sandbox.token)
    assert hfsync(*hub, "apply", "--auto-approve").exit_code == 0
    project.commit("published")

    quiet = hfsync(*hub, "plan", "--changed-since", "HEAD")
    assert quiet.exit_code == 0, quiet.output
    summary = quiet.stdout.splitlines()[-1]
    assert summary.startswith("No changes. 4 targets not planned: nothing in their manifest entries or source "
                              "files changed since HEAD (")
    assert all(key in summary for key in ("sandbox/tiny-base", MODEL, DATASET, SPACE))

    (project.root / "space/app.py").write_text("print('v2')\n")
    result = hfsync(*hub, "plan", "--changed-since", "HEAD", "--format", "json")
    data = json.loads(result.stdout)
    assert sorted(data["skipped"]) == sorted(["sandbox/tiny-base", MODEL, DATASET])
    assert data["skipped_because"] == "nothing in their manifest entries or source files changed since HEAD"
    # A plan of every target is written as before: no skipped keys at all.
    assert "skipped" not in json.loads(hfsync(*hub, "plan", "--format", "json").stdout)
