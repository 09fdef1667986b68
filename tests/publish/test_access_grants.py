"""Gated access as code: the users a `gated: manual` repo lets in, granted and revoked, pending requests said."""

from __future__ import annotations

import tempfile
import urllib.request

import pytest
from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import GatedRepoError

REPO = "version: 1\nrepos:\n  - id: sandbox/g\n    source: {{path: m}}\n    gated: manual\n{}"


def _download(sandbox, user: str) -> None:
    hf_hub_download("sandbox/g", "config.json", endpoint=sandbox.url, token=sandbox.token_for(user),
                    cache_dir=tempfile.mkdtemp(dir=sandbox.data_dir.parent))  # a fresh cache: the Hub decides, never a copy held


def test_grants_and_revocations_follow_the_declared_users(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.write("team.txt", "# the reviewers\nbob\n\n")
    project.yaml(REPO.format("    access: {users: [alice], users_file: team.txt}\n"))
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert '+ access.alice = "granted"' in plan.stdout and '+ access.bob = "granted"' in plan.stdout
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert 'sandbox/g: set access.alice = "granted"\n' in result.stdout
    _download(sandbox, "alice")
    _download(sandbox, "bob")
    assert project.plan("--detailed-exitcode").exit_code == 0
    project.write("team.txt", "")
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2 and '- access.bob = "granted"' in plan.stdout, plan.output
    assert "access.alice" not in plan.stdout
    result = project.apply()
    assert result.exit_code == 0 and "deleted access.bob" in result.stdout, result.output
    with pytest.raises(GatedRepoError):
        _download(sandbox, "bob")
    accepted = HfApi(endpoint=sandbox.url, token=sandbox.token).list_accepted_access_requests("sandbox/g")
    assert [r.username for r in accepted] == ["alice"]


def test_someone_let_in_by_hand_is_drift_and_pending_requests_are_listed(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(REPO.format("    access: {users: []}\n"))
    assert project.apply().exit_code == 0
    HfApi(endpoint=sandbox.url, token=sandbox.token).grant_access("sandbox/g", "alice")
    ask = urllib.request.Request(f"{sandbox.url}/sandbox/g/ask-access", data=b"{}", method="POST",
                                 headers={"authorization": f"Bearer {sandbox.token_for('bob')}"})
    with urllib.request.urlopen(ask) as answer:
        assert answer.status == 200
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2 and '- access.alice = "granted"' in plan.stdout, plan.output
    assert ("Warning: sandbox/g: 1 access request(s) wait for review: bob; name them in access.users to "
            "grant them") in plan.stdout


def test_a_saved_plan_cannot_grant_someone_the_manifest_does_not_name(project, sandbox, tmp_path):
    project.write("m/config.json", "{}\n")
    project.yaml(REPO.format("    access: {users: [alice]}\n"))
    saved = tmp_path / "plan.json"
    assert project.plan("--out", str(saved)).exit_code == 0
    saved.write_text(saved.read_text().replace('"access.alice"', '"access.bob"'))
    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "model:sandbox/g: the plan grants access.bob access, the manifest does not" in result.output or \
        "sandbox/g: the plan grants access.bob access, the manifest does not" in result.output
    assert not HfApi(endpoint=sandbox.url).repo_exists("sandbox/g")


def test_a_grant_to_a_user_the_hub_does_not_know_is_a_plan_error_naming_them(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(REPO.format("    access: {users: [alice, ghost-user]}\n"))
    for result in (project.plan(), project.apply()):
        assert result.exit_code == 1
        assert ("access.users names ghost-user, whom the Hub knows no user by (a typo?); fix the name or remove "
                "it: nothing is granted until then") in result.output
        assert "Traceback" not in result.output
    assert not HfApi(endpoint=sandbox.url).repo_exists("sandbox/g")


def test_a_grant_the_hub_refuses_at_apply_fails_naming_it_and_the_rest_is_granted(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml(REPO.format("    access: {users: [alice, bob]}\n"))
    sandbox.add_faults([{"method": "POST", "path": "/user-access-request/grant$", "action": "status", "status": 403,
                         "times": 1}])
    result = project.apply()
    assert result.exit_code == 1
    assert "grant access of alice to sandbox/g" in result.stderr, result.output
    accepted = HfApi(endpoint=sandbox.url, token=sandbox.token).list_accepted_access_requests("sandbox/g")
    assert [r.username for r in accepted] == ["bob"]  # the other was still granted

def test_access_needs_a_manual_gate(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/g\n    source: {path: m}\n    gated: auto\n"
                 "    access: {users: [alice], users_file: missing.txt}\n")
    result = project.run("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert "'access' grants need gated: manual, not gated: auto" in result.output
    assert "access users_file 'missing.txt' does not exist inside the manifest's folder" in result.output


def test_import_lists_the_granted_users_and_then_plans_no_change(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/g")
    api.upload_file(path_or_fileobj=b"{}\n", path_in_repo="config.json", repo_id="sandbox/g")
    api.update_repo_settings("sandbox/g", gated="manual")
    api.grant_access("sandbox/g", "bob")
    imported = project.run("import", "sandbox/g")
    assert imported.exit_code == 0, imported.output
    assert "gated: manual\n  access:\n    users:\n    - bob\n" in imported.stdout
    project.yaml(imported.stdout)
    from huggingface_hub import snapshot_download

    snapshot_download("sandbox/g", local_dir=project.root / "g", endpoint=sandbox.url, token=sandbox.token)
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
