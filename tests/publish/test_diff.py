"""diff: desired vs actual -> changes, with no Hub and no disk."""

from __future__ import annotations

import json

import pytest

from hfsync.errors import HfsyncError
from hfsync.manifest.model import Source
from hfsync.model.plan import Action, Plan
from hfsync.model.remote import MISSING, RemoteFile, RemoteRepo
from hfsync.publish.diff import LocalFile, file_changes, predict_lfs, setting_changes, target_change
from tests.publish.fakes import H1, digests, fixed_plan, space_target, target


def local(**files: tuple[int, str]) -> dict[str, LocalFile]:
    return {name.replace("_", "."): LocalFile(name.replace("_", "."), digests(*spec)) for name, spec in files.items()}


def test_lfs_files_compare_by_sha256_and_regular_files_by_git_blob_oid():
    d = digests(10, "a")
    remote = RemoteRepo(True, H1, files={
        "w.bin": RemoteFile("w.bin", 10, "f" * 40, lfs_sha256=d.sha256),  # same content, LFS
        "c.json": RemoteFile("c.json", 10, d.git_sha1),  # same content, regular
        "x.json": RemoteFile("x.json", 10, "e" * 40),  # same size, other content
    })
    changes = file_changes({p: LocalFile(p, d) for p in ("w.bin", "c.json", "x.json")}, remote, prune=False)
    assert [(c.path, c.action, c.reason) for c in changes] == [("x.json", Action.UPDATE, "content differs")]
    assert changes[0].remote_oid == "e" * 40


def test_prune_deletes_only_selected_remote_files_and_never_gitattributes_or_kept():
    remote = RemoteRepo(True, H1, files={p: RemoteFile(p, 1, "0" * 40) for p in
                                          (".gitattributes", "README.md", "a.json", "b.safetensors", "notes.txt")})
    changes = file_changes({}, remote, prune=True, include=("*.json", "*.safetensors", "*.md"),
                           keep=frozenset({"README.md"}))
    assert [(c.path, c.action) for c in changes] == [("a.json", Action.DELETE), ("b.safetensors", Action.DELETE)]
    assert file_changes({}, remote, prune=False) == []


def test_new_repo_lists_every_declared_setting_and_files_as_adds():
    t = space_target()
    change = target_change(t, local(app_py=(5, "b")), MISSING)
    assert change.action == Action.CREATE and change.head is None
    assert [(s.name, s.old, s.new) for s in change.settings] == [
        ("sdk", None, "gradio"), ("hardware", None, "cpu-basic"), ("variables.MODE", None, "demo"),
        ("description", None, "A demo"),
    ]
    assert [(f.path, f.action) for f in change.files] == [("app.py", Action.CREATE)]


def test_existing_repo_lists_only_settings_that_differ():
    t = target(private=True, gated="manual")
    remote = RemoteRepo(True, H1, private=True, gated=False)
    assert [(s.name, s.old, s.new) for s in setting_changes(t, remote)] == [("gated", False, "manual")]
    assert setting_changes(target(gated=False), RemoteRepo(True, H1, gated=None)) == []


def test_unchanged_target_is_a_no_op_and_model_description_is_a_note():
    t = target(description="words")
    change = target_change(t, {}, RemoteRepo(True, H1))
    assert change.action == Action.NOOP and not change.has_changes and not change.warnings
    assert change.notices == ("description is not a Hub setting for a model (no API sets it); it is not published",)


def test_description_in_a_generated_card_is_no_note_nor_is_a_new_repo():
    # The generated card's body carries the description; "will be created" already says the
    # repo is new: a PR comment repeats neither on every plan.
    change = target_change(target(description="words"), local(a_json=(5, "b")), MISSING, card_generated=True)
    assert change.action == Action.CREATE
    assert change.reasons == ()


def test_missing_branch_and_tags_are_planned_as_refs():
    t = target(revision="dev", tags=("v1", "v0"))
    remote = RemoteRepo(True, H1, branch_exists=False, tags={"v0": H1})
    change = target_change(t, {}, remote)
    assert [(r.kind, r.name, r.target) for r in change.refs] == [("branch", "dev", H1), ("tag", "v1", None)]
    assert change.action == Action.UPDATE


def test_metadata_diff_covers_declared_keys_only():
    t = target()
    remote = RemoteRepo(True, H1, card_data={"license": "mit", "tags": ["x"], "other": 1})
    change = target_change(t, {}, remote, declared_metadata={"license": "apache-2.0", "tags": ["x"]})
    assert [(m.key, m.old, m.new) for m in change.metadata] == [("license", "mit", "apache-2.0")]


def test_lfs_prediction_for_new_files():
    assert predict_lfs("model.safetensors", 10) and predict_lfs("big.txt", 20_000_000)
    assert not predict_lfs("config.json", 10)



def test_plan_of_another_format_version_is_refused():
    data = json.loads(fixed_plan().to_json())
    data["format_version"] = 3
    with pytest.raises(HfsyncError, match="format_version 3 is not supported; this hfsync reads format_version 1 and 2"):
        Plan.from_dict(data, "p.json")
    data["format_version"] = 2
    data["targets"][0]["files"][0]["sha256"] = "nope"
    with pytest.raises(HfsyncError, match=r"p\.json: not a valid hfsync plan: at targets/0/files/0/sha256"):
        Plan.from_dict(data, "p.json")


def test_a_plan_of_format_version_1_is_still_read():
    data = json.loads(fixed_plan().to_json())
    data["format_version"] = 1
    for planned in data["targets"]:
        for file in planned["files"]:
            del file["diff"]  # version 1 had no content diffs
    assert Plan.from_dict(data, "p.json").targets == fixed_plan().targets


def test_source_default_is_unpruned():
    assert Source(target().source.path).prune is False
