"""`hfsync github issue`: one drift issue, opened, updated and closed."""

from __future__ import annotations

from tests.github.conftest import GITHUB_TOKEN, REPO
from tests.helpers import hfsync

ISSUES = f"/repos/{REPO}/issues"
DRIFT = "## hfsync plan\n\n~ acme/m: private true -> false\n"


def _issue(number: int, **extra) -> dict:
    return {"number": number, "html_url": f"https://github.example/{REPO}/issues/{number}", **extra}


def _plan(tmp_path) -> str:
    path = tmp_path / "drift.md"
    path.write_text(DRIFT)
    return str(path)


def test_opens_an_issue_with_the_label_when_none_is_open(github, tmp_path):
    # A pull request with the label comes back from the issues list too; it is not the issue.
    github.server.expect_request(ISSUES, method="GET").respond_with_json([_issue(3, pull_request={})])
    github.server.expect_request(ISSUES, method="POST").respond_with_json(_issue(11), status=201)

    result = hfsync("github", "issue", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert f"Created the drift issue: https://github.example/{REPO}/issues/11" in result.stdout
    assert github.requests("GET")[0].args.to_dict() == {"labels": "hfsync-drift", "state": "open", "per_page": "100"}
    (sent,) = github.sent_json("POST")
    assert sent["title"] == "hfsync: drift detected"
    assert sent["labels"] == ["hfsync-drift"]
    assert sent["body"].endswith(DRIFT)
    assert github.run_url in sent["body"]
    assert GITHUB_TOKEN not in result.output


def test_updates_the_open_issue(github, tmp_path):
    github.server.expect_request(ISSUES, method="GET").respond_with_json([_issue(8)])
    github.server.expect_request(f"{ISSUES}/8", method="PATCH").respond_with_json(_issue(8))

    result = hfsync("github", "issue", _plan(tmp_path), "--label", "drift")

    assert result.exit_code == 0, result.output
    assert "Updated the drift issue" in result.stdout
    assert github.requests("GET")[0].args["labels"] == "drift"
    assert not github.requests("POST")
    assert github.sent_json("PATCH")[0]["body"].endswith(DRIFT)


def test_close_comments_and_closes_the_open_issue(github):
    github.server.expect_request(ISSUES, method="GET").respond_with_json([_issue(8)])
    github.server.expect_request(f"{ISSUES}/8/comments", method="POST").respond_with_json({}, status=201)
    github.server.expect_request(f"{ISSUES}/8", method="PATCH").respond_with_json(_issue(8))

    result = hfsync("github", "issue", "--close")

    assert result.exit_code == 0, result.output
    assert "Closed the drift issue" in result.stdout
    assert github.sent_json("PATCH") == [{"state": "closed"}]
    assert github.sent_json("POST")[0]["body"].startswith("No drift any more; closing.")


def test_close_without_an_open_issue_does_nothing(github):
    github.server.expect_request(ISSUES, method="GET").respond_with_json([])
    result = hfsync("github", "issue", "--close")
    assert result.exit_code == 0
    assert result.output == ""
    assert len(github.requests()) == 1


def test_needs_exactly_one_of_plan_or_close(github, tmp_path):
    for args in ((), (_plan(tmp_path), "--close")):
        result = hfsync("github", "issue", *args)
        assert result.exit_code == 1
        assert "give either PLAN (drift found) or --close (no drift)" in result.stderr
    assert not github.requests()


def test_forbidden_is_an_error_for_the_issue(github, tmp_path):
    github.server.expect_request(ISSUES, method="GET").respond_with_json([])
    github.server.expect_request(ISSUES, method="POST").respond_with_json({"message": "Forbidden"}, status=403)
    result = hfsync("github", "issue", _plan(tmp_path))
    assert result.exit_code == 1
    assert "403 Forbidden" in result.stderr


def test_without_a_token_it_asks_for_the_issues_permission(github, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    result = hfsync("github", "issue", _plan(tmp_path))
    assert result.exit_code == 1
    assert "Error: GITHUB_TOKEN is not set; hfsync needs it to open or update the drift issue" in result.stderr
    assert "permissions: {issues: write}" in result.stderr and "pull-requests" not in result.stderr
    assert not github.requests()
