"""Interrupted applies converge; several targets apply at once; import round-trips."""

from __future__ import annotations

import hashlib
import os

import pytest
from huggingface_hub import HfApi

from hfsync.digests import DigestCache
from hfsync.hub.client import Hub
from hfsync.hub.publish import Publisher
from hfsync.manifest.load import load
from hfsync.publish.planner import make_plan

pytestmark = pytest.mark.both_paths


def test_apply_broken_mid_upload_then_rerun_converges_without_reuploading(legacy_lfs, project, sandbox):
    a, b = os.urandom(200_000), os.urandom(300_000)
    project.write("m/a.safetensors", a)
    project.write("m/b.safetensors", b)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/f1\n    source: {path: m}\n")
    sandbox.add_faults([{"method": "PUT", "path": hashlib.sha256(b).hexdigest(), "action": "status",
                         "status": 400, "times": 1}])
    first = project.apply()
    assert first.exit_code == 1
    assert ("apply failed for:\n  sandbox/f1: commit to sandbox/f1: Error while uploading 'b.safetensors' "
            "to the Hub. The Hub answered: Bad request") in first.stderr
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert "a.safetensors" not in api.list_repo_files("sandbox/f1")  # nothing half-committed
    sandbox.reset_stats()
    second = project.apply()
    assert second.exit_code == 0, second.output
    uploads = sandbox.stats()["routes"]["PUT lfs-upload"]
    assert (uploads["requests"], uploads["bytes_in"]) == (1, len(b))  # a.safetensors was already there
    assert sorted(api.list_repo_files("sandbox/f1")) == [".gitattributes", "README.md", "a.safetensors",
                                                         "b.safetensors"]
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_connection_reset_mid_upload_is_retried_by_the_client(legacy_lfs, project, sandbox):
    data = os.urandom(400_000)
    project.write("m/w.safetensors", data)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/f2\n    source: {path: m}\n")
    sandbox.add_faults([{"method": "PUT", "path": "/sandbox-lfs/upload/", "action": "reset",
                         "after_bytes": 1000, "times": 1}])
    assert project.apply().exit_code == 0
    assert project.plan("--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize(("route", "said"), [
    ("/v1/xorbs/", "the Hub's Xet storage answered 400 Bad Request to a xorb upload."),
    ("/shards", "the Hub's Xet storage answered 400 Bad Request to a shard upload."),
])
def test_xet_upload_refused_then_rerun_converges(xet_on, project, sandbox, route, said):
    a, b = os.urandom(200_000), os.urandom(300_000)
    project.write("m/a.safetensors", a)
    project.write("m/b.safetensors", b)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/x1\n    source: {path: m}\n")
    sandbox.add_faults([{"method": "POST", "path": route, "action": "status", "status": 400, "times": 1}])
    first = project.apply()
    assert first.exit_code == 1
    assert f"apply failed for:\n  sandbox/x1: commit to sandbox/x1: {said}\n" in first.stderr
    assert "Traceback" not in first.stderr and "127.0.0.1" not in first.stderr
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert "a.safetensors" not in api.list_repo_files("sandbox/x1")  # nothing committed
    second = project.apply()
    assert second.exit_code == 0, second.output
    assert hf_bytes(api, "sandbox/x1", "b.safetensors", sandbox) == b
    assert project.plan("--detailed-exitcode").exit_code == 0


def hf_bytes(api: HfApi, repo_id: str, path: str, sandbox) -> bytes:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id, path, endpoint=sandbox.url, token=sandbox.token,
                                cache_dir=sandbox.data_dir.parent / "dl")).read_bytes()


def test_several_targets_at_once(project, sandbox):
    project.write("model/w.safetensors", os.urandom(5000))
    project.write("data/train.csv", "a,b\n1,2\n")
    project.write("space/app.py", "print('hi')\n")
    project.yaml("""version: 1
defaults: {namespace: acme}
repos:
  - {id: m, source: {path: model}}
  - {id: d, type: dataset, private: true, source: {path: data}}
  - {id: s, type: space, space: {sdk: gradio}, description: A demo, source: {path: space}}
""")
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2
    assert plan.stdout.count("will be created") == 3
    result = project.apply("--parallelism", "2")
    assert result.exit_code == 0, result.output
    assert "Apply complete: 3 targets published." in result.stdout
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert "w.safetensors" in api.list_repo_files("acme/m")
    assert api.dataset_info("acme/d").private is True
    space = api.space_info("acme/s")
    assert space.sdk == "gradio" and space.card_data.to_dict()["short_description"] == "A demo"
    again = project.plan("--detailed-exitcode")
    assert again.exit_code == 0, again.output
    only = project.plan("--target", "dataset:acme/d", "--target", "acme/m")
    assert only.exit_code == 0 and only.stdout == "No changes.\n"
    unknown = project.plan("--target", "acme/nope")
    assert unknown.exit_code == 1 and "no target named acme/nope" in unknown.stderr


def test_import_then_plan_shows_no_settings_change(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/old", private=True)
    api.update_repo_settings("acme/old", gated="manual")
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\ntags: [a, b]\n---\n# Old\n", path_in_repo="README.md",
                    repo_id="acme/old")
    api.create_repo("acme/app", repo_type="space", space_sdk="streamlit")
    result = project.run("import", "acme/old")
    assert result.exit_code == 0, result.output
    assert "gated: manual" in result.stdout and "license: mit" in result.stdout
    spaces = project.run("import", "acme/app", "--type", "space")
    assert spaces.exit_code == 0 and "sdk: streamlit" in spaces.stdout
    project.yaml(result.stdout + spaces.stdout.split("repos:\n", 1)[1])
    (project.root / "old").mkdir()
    (project.root / "app").mkdir()
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
    missing = project.run("import", "acme/nothing")
    assert missing.exit_code == 1 and "acme/nothing" in missing.stderr
    bare = project.run("import", "tiny-lm")
    assert (bare.exit_code, bare.stdout) == (1, "")
    assert bare.stderr == ("Error: import tiny-lm: repository not found; a repo id needs its namespace, "
                           "as in acme/tiny-lm.\n")


def test_import_then_fill_the_source_as_told_and_the_plan_is_clean(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/tiny-lm")
    card = b"---\nlicense: mit\nlanguage: [en, fr]   # both\ntags:\n  - a\n---\n# Tiny\n"
    api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id="acme/tiny-lm")
    api.upload_file(path_or_fileobj=b'{"a": 1}', path_in_repo="config.json", repo_id="acme/tiny-lm")
    imported = project.run("import", "acme/tiny-lm")
    assert imported.exit_code == 0, imported.output
    fill = "hf download acme/tiny-lm --local-dir tiny-lm"
    assert f"#   {fill}\n" in imported.stdout
    project.yaml(imported.stdout)
    unfilled = project.plan()
    assert unfilled.exit_code == 1 and "source path 'tiny-lm' does not exist: create it" in unfilled.stderr
    assert fill in unfilled.stderr
    from huggingface_hub import snapshot_download

    snapshot_download("acme/tiny-lm", local_dir=project.root / "tiny-lm", endpoint=sandbox.url, token=sandbox.token)
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
    # A metadata change rewrites that key only: the rest of the front matter keeps its formatting.
    project.yaml(imported.stdout.replace("license: mit", "license: apache-2.0"))
    changed = project.plan("--detailed-exitcode")
    assert changed.exit_code == 2 and '~ card.license = "mit" -> "apache-2.0"' in changed.stdout, changed.output
    assert project.apply().exit_code == 0
    published = open(api.hf_hub_download("acme/tiny-lm", "README.md"), "rb").read()
    assert published == card.replace(b"license: mit", b"license: apache-2.0")


def test_second_plan_over_an_unchanged_tree_reads_no_file(project, sandbox):
    for i in range(20):
        project.write(f"m/f{i}.json", f"{i}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/c1\n    source: {path: m}\n")
    publisher = Publisher(Hub(sandbox.url, sandbox.token))
    cache = DigestCache()
    workspace = load([project.manifest])
    make_plan(workspace, publisher, cache=cache)
    assert (cache.hits, cache.misses) == (0, 20)
    make_plan(workspace, publisher, cache=cache)
    assert (cache.hits, cache.misses) == (20, 20)


def test_plan_changed_since_plans_only_targets_that_changed(project, sandbox):
    import git

    project.write("a/config.json", "{}\n")
    project.write("b/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - {id: sandbox/ca, source: {path: a}}\n  - {id: sandbox/cb, source: {path: b}}\n")
    assert project.apply().exit_code == 0
    repo = git.Repo.init(project.root)
    repo.index.add(["hfsync.yaml", "a/config.json", "b/config.json"])
    repo.index.commit("start", author=git.Actor("a", "a@example.com"))
    project.write("b/config.json", '{"b": 2}\n')
    result = project.plan("--changed-since", "HEAD")
    assert result.exit_code == 0, result.output
    assert "sandbox/cb will be updated" in result.stdout and "sandbox/ca will be" not in result.stdout
    assert result.stdout.rstrip().endswith("1 target not planned: nothing in their manifest entries or source files "
                                           "changed since HEAD (sandbox/ca).")
