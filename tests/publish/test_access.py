"""Gated access declared in the manifest: grants and revocations planned against the Hub's
access-request API, applied, drift-checked and imported (sandbox, real client)."""

from __future__ import annotations

from huggingface_hub import HfApi
from huggingface_hub.utils import get_session

ENTRY = """version: 1
repos:
  - id: acme/gated
    gated: manual
    source: {path: src}
    card: {generate: false}
"""


def _hub(project) -> HfApi:
    return HfApi(endpoint=project.sandbox.url, token=project.sandbox.token)


def _gated(project) -> None:
    hub = _hub(project)
    hub.create_repo("acme/gated")
    hub.update_repo_settings("acme/gated", gated="manual")
    project.write("src/.keep", "")


def _ask(project, user: str) -> None:
    reply = get_session().post(f"{project.sandbox.url}/acme/gated/ask-access",
                               headers={"Authorization": f"Bearer {project.sandbox.token_for(user)}"})
    assert reply.status_code == 200


def _accepted(project) -> list[str]:
    return sorted(r.username for r in _hub(project).list_accepted_access_requests("acme/gated"))


def test_grant_revoke_and_pending(project):
    _gated(project)
    _ask(project, "bob")
    project.write("readers.txt", "# one a line\nalice\n")
    project.yaml(ENTRY + "    access: {file: readers.txt}\n")
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert '+ grant "alice"' in plan.output
    assert "access:acme/gated: 1 access request pending: bob (add them to access.users" in plan.output
    assert project.apply().exit_code == 0
    assert _accepted(project) == ["alice"]
    assert "No changes." in project.plan().output
    # bob is now declared (his pending request is accepted), alice no longer (revoked).
    project.yaml(ENTRY + "    access: {users: [bob]}\n")
    plan = project.plan()
    assert '+ grant "bob" (accepts the pending request)' in plan.output
    assert '- grant "alice" (revoked: the request goes back to pending)' in plan.output
    applied = project.apply()
    assert "access:acme/gated: revoked the access of alice" in applied.output
    assert _accepted(project) == ["bob"]
    # Drift: someone grants carol by hand; the plan takes it back.
    _hub(project).grant_access("acme/gated", "alice")
    drift = project.plan("--detailed-exitcode")
    assert drift.exit_code == 2 and '- grant "alice"' in drift.output


def test_grant_to_a_user_that_does_not_exist(project):
    _gated(project)
    project.yaml(ENTRY + "    access: {users: [alice, no-such-user-xyz]}\n")
    plan = project.plan()
    assert plan.exit_code == 1
    assert "access:acme/gated: access: no Hub user named no-such-user-xyz" in plan.output
    assert project.apply().exit_code == 1
    assert _accepted(project) == []  # nothing granted, not even alice


def test_access_needs_a_manual_gate(project):
    project.write("src/.keep", "")
    project.yaml(ENTRY.replace("gated: manual", "gated: auto") + "    access: {users: [alice]}\n")
    result = project.run("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert "'access' lists who may read a repo whose requests are judged by hand: it needs gated: manual" \
        in result.output
    assert "hfsync.yaml:7:" in result.output


def test_new_gated_repo_grants_after_it_is_created(project):
    project.write("src/.keep", "")
    project.yaml(ENTRY + "    access: {users: [alice]}\n")
    plan = project.plan()
    assert "the repo is not gated on the Hub yet" in plan.output and '+ grant "alice"' in plan.output
    assert project.apply().exit_code == 0
    assert _accepted(project) == ["alice"]


def test_import_gated_repo_with_grants_then_no_change(project):
    _gated(project)
    _hub(project).grant_access("acme/gated", "alice")
    imported = project.run("import", "acme/gated")
    assert imported.exit_code == 0, imported.output
    assert "access:\n    users:\n    - alice" in imported.output
    project.yaml(imported.output)
    (project.root / "gated").mkdir()
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 0 and "No changes." in plan.output, plan.output
