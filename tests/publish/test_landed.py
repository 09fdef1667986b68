"""After apply commits to a model: the commit is the branch head and the Hub accepts its card;
otherwise the target fails with one sentence naming it."""

from __future__ import annotations

import threading
import time

from huggingface_hub import HfApi

MODEL = "version: 1\nrepos:\n  - id: acme/m\n    source: {path: m}\n    card: {generate: false}\n"


def _api(sandbox) -> HfApi:
    return HfApi(endpoint=sandbox.url, token=sandbox.token)


def _saved_plan(project, api, tmp_path, path: str, text: str):  # type: ignore[no-untyped-def]
    api.create_repo("acme/m")
    project.yaml(MODEL)
    project.write(f"m/{path}", text)
    saved = tmp_path / "plan.json"
    assert project.plan("--out", str(saved)).exit_code == 0
    return saved


def test_a_branch_moved_right_after_the_commit_fails_the_target(project, sandbox, tmp_path):
    api = _api(sandbox)
    saved = _saved_plan(project, api, tmp_path, "config.json", "{}\n")
    before = len(api.list_repo_commits("acme/m"))
    # Apply reads where main is once before its commit (the saved plan still holds) and once
    # after; that second read is held until a second client has pushed on top of the commit.
    head = {"method": "GET", "path": r"^/api/models/acme/m/revision/main", "action": "delay"}
    sandbox.add_faults([{**head, "seconds": 0}, {**head, "seconds": 3600}])
    pushed: list[str] = []

    def second_client() -> None:
        try:
            deadline = time.monotonic() + 120
            while len(api.list_repo_commits("acme/m")) == before and time.monotonic() < deadline:
                time.sleep(0.02)
            pushed.append(api.upload_file(path_or_fileobj=b"x\n", path_in_repo="other.txt", repo_id="acme/m").oid)
        finally:
            sandbox.clear_faults()  # the read apply makes after its commit goes on

    racer = threading.Thread(target=second_client)
    racer.start()
    result = project.run("apply", str(saved), "--auto-approve")
    racer.join()
    assert pushed, "the second client never saw apply's commit"
    mine = api.list_repo_commits("acme/m")[1].commit_id
    assert result.exit_code == 1, result.output
    assert (f"  acme/m: the commit {mine[:12]} landed, but main is now at {pushed[0][:12]}: another push "
            "moved the branch right after it; run `hfsync plan` to see what the branch now holds\n") in result.stderr


def test_a_card_the_hub_refuses_at_apply_commits_nothing_and_says_why(project, sandbox, tmp_path):
    api = _api(sandbox)
    saved = _saved_plan(project, api, tmp_path, "README.md", "---\nlicense: mit\n---\n# m\n")
    # The Hub's rules changed between plan and apply: the client's check before the commit refuses the card.
    sandbox.add_faults([{"action": "status", "status": 400, "method": "POST", "path": "^/api/validate-yaml",
                         "message": '"license" must be one of the Hub\'s license identifiers'}])
    result = project.run("apply", str(saved), "--auto-approve")
    sandbox.clear_faults()
    assert result.exit_code == 1, result.output
    assert ("  acme/m: commit to acme/m: the Hub refuses README.md's metadata (\"license\" must be one of the "
            "Hub's license identifiers); nothing was committed; fix its front matter and apply again\n"
            ) in result.stderr
    assert "Traceback" not in result.output
    assert len(api.list_repo_commits("acme/m")) == 1


def test_a_card_refused_without_a_list_of_errors_is_refused_at_plan(project, sandbox):
    _api(sandbox).create_repo("acme/m")
    project.yaml(MODEL)
    project.write("m/README.md", "---\nlicense: mit\n---\n# m\n")
    sandbox.add_faults([{"action": "status", "status": 400, "method": "POST", "path": "^/api/validate-yaml",
                         "message": "metadata refused"}])
    plan = project.plan()
    sandbox.clear_faults()
    assert plan.exit_code == 1, plan.output
    assert "metadata refused" in plan.output
