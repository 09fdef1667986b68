"""Saved plans: what was reviewed is what is published, or apply says "plan is stale"."""

from __future__ import annotations

import json
import os

import jsonschema
from huggingface_hub import HfApi

from hfsync.model.plan import schema

MANIFEST = "version: 1\nrepos:\n  - id: sandbox/s1\n    source: {path: m}\n"


def setup(project):  # type: ignore[no-untyped-def]
    project.write("m/config.json", "{}\n")
    project.write("m/w.safetensors", os.urandom(2000))
    project.yaml(MANIFEST)
    assert project.apply().exit_code == 0
    project.write("m/config.json", '{"v": 2}\n')
    out = project.root / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    return out


def test_saved_plan_records_heads_and_digests_and_validates(project, sandbox):
    out = setup(project)
    data = json.loads(out.read_text())
    jsonschema.Draft202012Validator(schema()).validate(data)
    (target,) = data["targets"]
    assert target["head"] == HfApi(endpoint=sandbox.url, token=sandbox.token).model_info("sandbox/s1").sha
    assert [(f["path"], f["action"], f["size"]) for f in target["files"]] == [("config.json", "update", 9)]
    assert data["manifests"] == {str(project.manifest): data["manifests"][str(project.manifest)]}
    result = project.run("apply", str(out))
    assert result.exit_code == 0, result.output
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_saved_plan_refused_after_another_client_commits(project, sandbox):
    out = setup(project)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    planned = api.model_info("sandbox/s1").sha
    api.upload_file(path_or_fileobj=b"x", path_in_repo="other.txt", repo_id="sandbox/s1")
    moved = api.model_info("sandbox/s1").sha
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "Error: plan is stale; nothing was applied. Since the plan:" in result.stderr
    assert f"sandbox/s1: main moved on the Hub from {planned[:7]} to {moved[:7]}" in result.stderr
    assert api.model_info("sandbox/s1").sha == moved


def test_saved_plan_refused_after_a_local_edit(project, sandbox):
    out = setup(project)
    project.write("m/config.json", '{"v": 3}\n')
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert f"local file {project.root / 'm/config.json'} changed" in result.stderr
    assert "Traceback" not in result.output


def test_touching_a_file_without_changing_it_keeps_the_plan_fresh(project, sandbox):
    out = setup(project)
    path = project.root / "m/config.json"
    os.utime(path, ns=(1, 1))  # stat key changes, content does not: rehash, same digest
    assert project.run("apply", str(out)).exit_code == 0


def test_race_after_the_check_is_refused_by_the_hub(project, sandbox):
    """parent_commit: a commit landing between the freshness check and ours gets a 412."""
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.model.plan import read
    from hfsync.publish.apply import apply_plan

    out = setup(project)
    plan = read(out)
    HfApi(endpoint=sandbox.url, token=sandbox.token).upload_file(
        path_or_fileobj=b"x", path_in_repo="other.txt", repo_id="sandbox/s1")
    result = apply_plan(plan, Publisher(Hub(sandbox.url, sandbox.token)))
    (failure,) = result.failures
    assert failure.error.startswith("plan is stale: sandbox/s1: main moved on the Hub during apply")


def test_a_plan_file_that_is_not_a_plan(project, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    result = project.run("apply", str(bad))
    assert result.exit_code == 1 and f"Error: {bad}: not a plan file (invalid JSON" in result.stderr
    result = project.run("apply", str(tmp_path / "missing.json"))
    assert result.exit_code == 1 and "cannot read plan file" in result.stderr


def test_saved_plan_refused_after_the_card_it_merged_changed(project, sandbox):
    project.write("m/README.md", "# Card\n")
    project.yaml(MANIFEST + "    card: {metadata: {license: mit}}\n")
    out = project.root / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    project.write("m/README.md", "# Card, edited after review\n")
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert f"sandbox/s1: local file {project.root / 'm/README.md'} changed" in result.stderr


def test_someone_elses_gated_repo_is_never_planned_as_a_create(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("alice/gated", token=sandbox.token_for("alice"))
    api.update_repo_settings("alice/gated", gated="manual", token=sandbox.token_for("alice"))
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: alice/gated\n    source: {path: m}\n")
    result = project.plan()
    assert "alice/gated will be updated in place" in result.stdout
    applied = project.apply()
    assert applied.exit_code == 1 and "apply failed for:\n  alice/gated: " in applied.stderr
    assert "Traceback" not in applied.output


def _tampered(out, edit) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(out.read_text())
    edit(data["targets"][0])
    out.write_text(json.dumps(data))


def test_a_saved_plan_edited_to_publish_from_elsewhere_is_refused(project, sandbox, tmp_path):
    out = setup(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text('{"v": 2}\n')  # same bytes, another folder
    _tampered(out, lambda t: t.update(source=str(elsewhere)))
    sandbox.reset_stats()
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "the plan does not match its manifests; nothing was applied:" in result.stderr
    assert f"sandbox/s1: the plan uploads from '{elsewhere}', the manifest from '{project.root / 'm'}'" in result.stderr
    assert "Internal error" not in result.output
    assert "POST commit" not in sandbox.stats()["routes"]


def test_a_saved_plan_edited_to_name_escaping_paths_is_refused(project, sandbox):
    out = setup(project)
    (project.root / "x").write_text('{"v": 2}\n')

    def escape(target):  # type: ignore[no-untyped-def]
        target["files"][0]["path"] = "../x"
        target["files"].append({**target["files"][0], "path": "/etc/hostname"})

    _tampered(out, escape)
    sandbox.reset_stats()
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "sandbox/s1: file path '../x' is absolute or has an empty, '.' or '..' segment" in result.stderr
    assert "sandbox/s1: file path '/etc/hostname' is absolute" in result.stderr
    assert "Internal error" not in result.output
    assert "POST commit" not in sandbox.stats()["routes"]


def test_a_saved_plan_edited_to_another_repo_is_refused(project, sandbox):
    out = setup(project)
    _tampered(out, lambda t: t.update(repo_id="sandbox/other"))
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "the plan publishes to model sandbox/other@main, the manifest to model sandbox/s1@main" in result.stderr


def _after_upload(monkeypatch, change):  # type: ignore[no-untyped-def]
    """Let ``change()`` run right after huggingface_hub uploaded a commit's files, as a writer racing apply would."""
    real = HfApi.preupload_lfs_files

    def racing(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(self, *args, **kwargs)
        change()
        return result

    monkeypatch.setattr(HfApi, "preupload_lfs_files", racing)


def test_a_file_changed_during_apply_is_never_published(project, sandbox, monkeypatch):
    out = setup(project)
    _after_upload(monkeypatch, lambda: project.write("m/config.json", '{"token": "changed after the plan"}\n'))
    sandbox.reset_stats()
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "plan is stale: sandbox/s1: config.json changed since the plan; nothing was committed." in result.output
    assert "POST commit" not in sandbox.stats()["routes"]
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert open(api.hf_hub_download("sandbox/s1", "config.json")).read() == "{}\n"


def test_an_lfs_file_changed_while_it_uploads_is_never_committed(project, sandbox, monkeypatch):
    setup(project)
    project.write("m/w.safetensors", os.urandom(3000))
    out = project.root / "plan2.json"
    assert project.plan("--out", str(out)).exit_code == 0
    _after_upload(monkeypatch, lambda: project.write("m/w.safetensors", os.urandom(3000)))
    sandbox.reset_stats()
    result = project.run("apply", str(out))
    assert result.exit_code == 1
    assert "w.safetensors changed since the plan; nothing was committed." in result.output
    assert "POST commit" not in sandbox.stats()["routes"]


def test_a_regular_file_is_sent_as_the_bytes_that_were_checked(project, sandbox, monkeypatch):
    """Bytes read and checked are the bytes sent: a change after that check is not published either."""
    out = setup(project)
    checked = []
    original = HfApi.create_commit

    def create_commit(self, repo_id, operations, **kwargs):  # type: ignore[no-untyped-def]
        checked.extend(op.path_or_fileobj for op in operations)
        project.write("m/config.json", '{"late": true}\n')  # after the check, before the request
        return original(self, repo_id, operations, **kwargs)

    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    result = project.run("apply", str(out))
    assert result.exit_code == 0, result.output
    assert checked == [b'{"v": 2}\n']
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert open(api.hf_hub_download("sandbox/s1", "config.json")).read() == '{"v": 2}\n'


def test_two_applies_creating_one_repo_make_one_commit(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/twice\n    source: {path: m}\n")
    first, second = project.root / "first.json", project.root / "second.json"
    assert project.plan("--out", str(first)).exit_code == 0
    assert project.plan("--out", str(second)).exit_code == 0
    assert project.run("apply", str(first)).exit_code == 0
    # The second plan is stale now; a run that skipped the freshness check (a race past it)
    # must still not commit twice.
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.model.plan import read
    from hfsync.publish.apply import apply_plan

    result = apply_plan(read(second), Publisher(Hub(sandbox.url, sandbox.token)))
    assert result.failures == []
    assert result.targets[0].done[0].action == "found-published"
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert len(api.list_repo_commits("sandbox/twice")) == 2  # the repo's first commit and one publish


def test_plan_out_says_where_it_saved_the_plan_and_the_command_that_applies_it(project, tmp_path):
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/saved-note\n    source: {path: m}\n")
    out = tmp_path / "my plan.json"
    result = project.plan("--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout stays the plan alone
    assert result.stderr == f"Saved the plan to {out}. To publish exactly this plan: hfsync apply '{out}'\n"
    assert project.plan("--out", str(out), "-q").stderr == ""


def test_quiet_plan_and_apply_say_only_errors_and_the_result_line(project):
    project.write("m/config.json", "{}\n")
    project.write("m/weights.safetensors", b"\0" * 64)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/quiet\n    source: {path: m}\n")
    plan = project.plan("-q")
    assert plan.exit_code == 0, plan.output
    [line] = plan.stdout.splitlines()  # the summary line alone
    assert line.startswith("Plan: 1 to create, 0 to change, 0 to delete (3 files, ")
    assert plan.stderr == ""
    applied = project.apply("-q")
    assert applied.exit_code == 0, applied.output
    assert applied.stdout == "Apply complete: 1 target published.\n" and applied.stderr == ""
    project.yaml("version: 1\nrepos:\n  - id: sandbox/quiet\n    source: {path: m}\n    card: {metadata: {license: apache2}}\n")
    failed = project.plan("-q")
    assert failed.exit_code == 1
    assert failed.stdout.splitlines()[0].startswith("Error: sandbox/quiet: ")
    assert failed.stdout.splitlines()[-1].startswith("Plan: ")


def test_target_takes_the_id_as_the_manifest_writes_it(project):
    project.write("m/config.json", "{}\n")
    project.write("d/train.jsonl", '{"t": 1}\n')
    project.yaml("version: 1\ndefaults: {namespace: sandbox}\nrepos:\n  - id: short\n    source: {path: m}\n"
                 "  - id: short\n    type: dataset\n    source: {path: d}\n")
    for named, planned in (("short", ["dataset:sandbox/short", "sandbox/short"]),
                           ("dataset:short", ["dataset:sandbox/short"]),
                           ("sandbox/short", ["dataset:sandbox/short", "sandbox/short"])):
        result = project.plan("--target", named, "--format", "json")
        assert result.exit_code == 0, result.output
        assert sorted(t["key"] for t in json.loads(result.stdout)["targets"]) == planned, named
    wrong = project.plan("--target", "other")
    assert wrong.exit_code == 1 and "no target named other" in wrong.stderr


def test_a_saved_plan_of_many_files_is_checked_in_one_read_of_the_digest_cache(project, sandbox, tmp_path):
    """Checking a saved plan costs the files' stats and one query, not a query a file; what
    moved is still named file by file."""
    from hfsync.digests import DigestCache
    from hfsync.hub.client import Hub
    from hfsync.hub.publish import Publisher
    from hfsync.model.plan import read
    from hfsync.publish.saved_plan import staleness

    for i in range(300):
        project.write(f"m/part-{i:03}.json", f'{{"i": {i}}}\n')
    project.yaml(MANIFEST)
    out = project.root / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    project.write("m/part-007.json", '{"i": "edited"}\n')
    (project.root / "m/part-123.json").unlink()
    cache = DigestCache(tmp_path / "digests.sqlite")
    queries: list[str] = []
    cache._db.set_trace_callback(queries.append)

    moved = staleness(read(out), Publisher(Hub(sandbox.url, sandbox.token)), cache)

    assert moved == [f"sandbox/s1: local file {project.root / 'm/part-007.json'} changed",
                     f"sandbox/s1: local file {project.root / 'm/part-123.json'} is gone"]
    assert len([q for q in queries if q.startswith("SELECT") and "FROM digests" in q]) == 1
