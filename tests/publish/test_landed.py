"""After apply commits to a model: the commit is the branch head and the Hub accepts its card;
otherwise the target fails with one sentence naming it."""

from __future__ import annotations

import threading

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
    # Reads of the branch head wait, so that a second client pushes while apply asks where main is.
    sandbox.add_faults([{"action": "delay", "seconds": 1.5, "method": "GET", "times": 10,
                         "path": r"^/api/models/acme/m/revision/main"}])
    pushed: list[str] = []

    def second_client() -> None:
        for _ in range(400):
            if len(api.list_repo_commits("acme/m")) > before:
                pushed.append(api.upload_file(path_or_fileobj=b"x\n", path_in_repo="other.txt",
                                              repo_id="acme/m").oid)
                return
            threading.Event().wait(0.02)

    racer = threading.Thread(target=second_client)
    racer.start()
    result = project.run("apply", str(saved), "--auto-approve")
    racer.join()
    sandbox.clear_faults()
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
