"""`hfsync github comment` against a fake GitHub REST API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hfsync.github.api import _next_link
from hfsync.github.comment import BODY_LIMIT, truncate
from tests.github.conftest import GITHUB_TOKEN, PR, REPO
from tests.helpers import hfsync

COMMENTS = f"/repos/{REPO}/issues/{PR}/comments"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAN_MD = "## hfsync plan\n\n| target | create |\n| --- | --- |\n| acme/m | 1 |\n"


def _comment(number: int, body: str) -> dict:
    return {"id": number, "body": body, "html_url": f"https://github.example/{REPO}/pull/{PR}#issuecomment-{number}"}


def _plan(tmp_path, text: str = PLAN_MD):
    path = tmp_path / "plan.md"
    path.write_text(text)
    return str(path)


def _no_token(result) -> None:
    assert GITHUB_TOKEN not in result.output


def test_creates_the_comment_with_the_marker_and_fills_the_summary(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([_comment(1, "LGTM")])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(99, "x"), status=201)

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert f"Created the plan comment: https://github.example/{REPO}/pull/{PR}#issuecomment-99" in result.stdout
    assert github.sent_json("POST") == [{"body": "<!-- hfsync-plan -->\n" + PLAN_MD}]
    assert not github.requests("PATCH")
    get = github.requests("GET")[0]
    assert get.args["per_page"] == "100"
    assert get.headers["Authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert get.headers["Accept"] == "application/vnd.github+json"
    assert github.summary.read_text() == PLAN_MD + "\n"
    _no_token(result)


def test_updates_the_existing_comment_instead_of_adding_one(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json(
        [_comment(5, "<!-- hfsync-plan -->\nold plan"), _comment(6, "nice")]
    )
    github.server.expect_request(f"/repos/{REPO}/issues/comments/5", method="PATCH").respond_with_json(_comment(5, "x"))

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert "Updated the plan comment" in result.stdout and "issuecomment-5" in result.stdout
    assert github.sent_json("PATCH") == [{"body": "<!-- hfsync-plan -->\n" + PLAN_MD}]
    assert not github.requests("POST")
    _no_token(result)


def test_an_identical_comment_is_left_alone(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([_comment(5, "<!-- hfsync-plan -->\n" + PLAN_MD)])

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert "The plan comment already says this" in result.stdout and "issuecomment-5" in result.stdout
    assert [r.method for r in github.requests()] == ["GET"]
    assert github.summary.read_text() == PLAN_MD + "\n"


def test_finds_the_comment_on_a_later_page_by_following_link_next(github, tmp_path):
    base = github.server.url_for(COMMENTS)
    github.server.expect_request(COMMENTS, method="GET", query_string="per_page=100").respond_with_json(
        [_comment(n, f"chatter {n}") for n in range(1, 101)],
        headers={"Link": f'<{base}?per_page=100&page=2>; rel="next", <{base}?per_page=100&page=3>; rel="last"'},
    )
    github.server.expect_request(COMMENTS, method="GET", query_string="per_page=100&page=2").respond_with_json(
        [_comment(n, f"chatter {n}") for n in range(101, 201)],
        headers={"Link": f'<{base}?per_page=100&page=1>; rel="prev", <{base}?per_page=100&page=3>; rel="next"'},
    )
    github.server.expect_request(COMMENTS, method="GET", query_string="per_page=100&page=3").respond_with_json(
        # Someone quoting the marker is not hfsync's comment; the real one comes after.
        [_comment(201, "> <!-- hfsync-plan -->\n> quoted"), _comment(202, "<!-- hfsync-plan -->\nold")],
        headers={"Link": f'<{base}?per_page=100&page=2>; rel="prev"'},
    )
    github.server.expect_request(f"/repos/{REPO}/issues/comments/202", method="PATCH").respond_with_json(
        _comment(202, "x")
    )

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert [r.args.get("page") for r in github.requests("GET")] == [None, "2", "3"]
    assert len(github.requests("PATCH")) == 1
    assert not github.requests("POST")


def test_keys_keep_separate_comments(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json(
        [_comment(1, "<!-- hfsync-plan -->\nplain"), _comment(2, "<!-- hfsync-plan key=prod -->\nprod")]
    )
    github.server.expect_request(f"/repos/{REPO}/issues/comments/2", method="PATCH").respond_with_json(_comment(2, "x"))
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(3, "x"), status=201)

    assert hfsync("github", "comment", _plan(tmp_path), "--key", "prod").exit_code == 0
    assert hfsync("github", "comment", _plan(tmp_path), "--key", "staging").exit_code == 0

    assert github.sent_json("PATCH") == [{"body": "<!-- hfsync-plan key=prod -->\n" + PLAN_MD}]
    assert github.sent_json("POST") == [{"body": "<!-- hfsync-plan key=staging -->\n" + PLAN_MD}]


def test_body_over_the_limit_is_truncated_with_a_link_to_the_job_summary(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(9, "x"), status=201)
    block = "<details><summary>acme/m</summary>\n\n```diff\n" + "+ file.safetensors  1.0 MB\n" * 40 + "```\n</details>\n"
    markdown = "## hfsync plan\n\n" + block * 200
    assert len(markdown) > 2 * BODY_LIMIT

    result = hfsync("github", "comment", _plan(tmp_path, markdown))

    assert result.exit_code == 0, result.output
    assert "cut short" in result.stdout
    (sent,) = github.sent_json("POST")
    body = sent["body"]
    assert len(body) <= BODY_LIMIT
    assert body.startswith("<!-- hfsync-plan -->\n## hfsync plan")
    assert f"The full plan is in the [job summary]({github.run_url})." in body
    # The cut never leaves a code fence or a <details> open above the notice.
    kept = body[: body.index("> [!WARNING]")]
    assert kept.count("```") % 2 == 0
    assert kept.count("<details>") == kept.count("</details>")
    assert github.summary.read_text() == markdown + "\n"


def test_forbidden_on_a_fork_falls_back_to_the_summary_with_a_notice(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(
        {"message": "Resource not accessible by integration", "status": "403"}, status=403
    )

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert "Notice: hfsync could not comment on pull request #7" in result.stderr
    assert "403 Resource not accessible by integration" in result.stderr
    summary = github.summary.read_text()
    assert summary.startswith("> [!NOTE]\n> hfsync could not comment on pull request #7")
    assert summary.endswith(PLAN_MD + "\n")
    _no_token(result)


def test_forbidden_in_actions_is_a_workflow_notice(github, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github.server.expect_request(COMMENTS, method="GET").respond_with_json(
        {"message": "Resource not accessible by integration"}, status=403
    )

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("::notice title=hfsync::hfsync could not comment")


HOSTILE_MESSAGE = "Denied\n::error::forged %0A::warning::x \x1b]8;;https://evil.example\x07 <!-- @alice [x](javascript:1)"


@pytest.mark.parametrize("in_actions", [True, False])
def test_a_hostile_message_from_github_is_shown_inertly(github, tmp_path, monkeypatch, in_actions):
    if in_actions:
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json({"message": HOSTILE_MESSAGE}, status=403)
    github.server.expect_request(COMMENTS, method="PATCH").respond_with_json({}, status=403)

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 0, result.output
    shown = "Denied\\x0a::error::forged %0A::warning::x \\x1b]8;;https://evil.example\\x07 <!-- @alice [x](javascript:1)"
    if in_actions:  # one workflow command, whose message the runner reads back as GitHub wrote it
        (line,) = result.stdout.splitlines()[:1]
        assert line.startswith("::notice title=hfsync::hfsync could not comment on pull request #7: ")
        assert shown.replace("%", "%25") in line and result.stdout.count("\n::") == 0
    else:
        assert shown in result.stderr
    assert "\x1b" not in result.output
    summary = github.summary.read_text()
    assert summary.startswith("> [!NOTE]\n> hfsync could not comment on pull request #7: GitHub API refused POST ")
    assert ("403 Denied ::error::forged %0A::warning::x &#92;x1b&#93;8;;https://evil.example&#92;x07 "
            "&lt;!-- @\u200dalice &#91;x&#93;(javascript&#58;1). A pull request from a fork") in summary


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("hfsync.github.api._sleep", slept.append)
    return slept


@pytest.mark.parametrize(
    ("status", "message", "hint", "tries"),
    [
        (401, "Bad credentials", "GITHUB_TOKEN is invalid or expired.", 1),
        (404, "Not Found", "Check GITHUB_REPOSITORY, the pull request number and the token's access.", 1),
        (502, "Server Error", None, 3),
    ],
)
def test_other_api_errors_fail_clearly_and_the_plan_still_reaches_the_summary(
    github, tmp_path, pauses, status, message, hint, tries
):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json({"message": message}, status=status)

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 1
    assert f"Error: GitHub API refused GET /repos/acme/models/issues/7/comments: {status} {message}\n" in result.stderr
    if hint:
        assert f"Hint: {hint}" in result.stderr
    assert "Traceback" not in result.output
    assert len(github.requests("GET")) == tries
    assert pauses == [1.0, 3.0][: tries - 1]
    assert github.summary.read_text() == PLAN_MD + "\n"
    _no_token(result)


def test_a_transient_error_is_retried_but_a_post_is_never_repeated(github, tmp_path, pauses):
    github.server.expect_oneshot_request(COMMENTS, method="GET").respond_with_data("", status=503)
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json({"message": "oops"}, status=500)

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 1
    assert "POST /repos/acme/models/issues/7/comments: 500 oops" in result.stderr
    assert len(github.requests("GET")) == 2 and pauses == [1.0]
    assert len(github.requests("POST")) == 1


def test_a_link_to_another_host_never_gets_the_token(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json(
        [], headers={"Link": '<http://127.0.0.1:9/steal?page=2>; rel="next"'}
    )

    result = hfsync("github", "comment", _plan(tmp_path))

    assert result.exit_code == 1
    assert "link to another host: http://127.0.0.1:9" in result.stderr
    assert len(github.requests()) == 1


def test_pr_option_overrides_the_event_and_a_missing_pr_is_an_error(github, tmp_path, monkeypatch):
    github.server.expect_request(f"/repos/{REPO}/issues/12/comments", method="GET").respond_with_json([])
    github.server.expect_request(f"/repos/{REPO}/issues/12/comments", method="POST").respond_with_json(
        _comment(1, "x"), status=201
    )
    assert hfsync("github", "comment", _plan(tmp_path), "--pr", "12").exit_code == 0

    push_event = tmp_path / "push.json"
    push_event.write_text(json.dumps({"ref": "refs/heads/main"}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(push_event))
    result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 1
    assert "Error: no pull request number: the event is not a pull request" in result.stderr
    assert "Hint: Run on pull_request events, or pass --pr N." in result.stderr


def test_missing_token_and_bad_inputs_are_clear_errors(github, tmp_path, monkeypatch):
    assert "No such file" not in hfsync("github", "comment", str(tmp_path / "nope.md")).output
    assert hfsync("github", "comment", str(tmp_path / "nope.md")).stderr.endswith("nope.md: file not found\n")
    assert "may use only letters" in hfsync("github", "comment", _plan(tmp_path), "--key", "a b").stderr
    broken = tmp_path / "plan.json"
    broken.write_text('{"version": 1,')
    assert "plan.json: not a plan file (invalid JSON" in hfsync("github", "comment", str(broken)).stderr
    monkeypatch.delenv("GITHUB_TOKEN")
    result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 1
    assert "Error: GITHUB_TOKEN is not set" in result.stderr
    assert not github.requests()


def test_summary_command_appends_or_prints(github, tmp_path, monkeypatch):
    github.summary.write_text("earlier step\n")
    assert hfsync("github", "summary", _plan(tmp_path)).exit_code == 0
    assert github.summary.read_text() == "earlier step\n" + PLAN_MD + "\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    result = hfsync("github", "summary", _plan(tmp_path))
    assert result.stdout == PLAN_MD


def test_next_link_parsing():
    assert _next_link(None) is None
    assert _next_link('<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"') == "https://a/x?page=2"
    assert _next_link('<https://a/x?page=1>; rel="prev"') is None
    assert _next_link('<https://a/x?page=3>; rel="next last"') == "https://a/x?page=3"


def test_truncate_counts_what_github_counts():
    # Outside the BMP a character is two UTF-16 units, as GitHub counts them.
    text, cut = truncate("🤗 model\n" * 20_000, BODY_LIMIT, "https://x/run")
    assert cut
    assert len(text.encode("utf-16-le")) // 2 <= BODY_LIMIT
    assert text.endswith("The full plan is in the [job summary](https://x/run).\n")


def test_truncate_leaves_short_text_alone_and_cuts_at_a_line_end():
    assert truncate("short", 100, None) == ("short", False)
    text, cut = truncate("line\n" * 100, 400, None)
    assert cut and len(text) <= 400
    assert text.startswith("line\nline\n") and "the job summary of this workflow run" in text


def test_an_issue_comment_on_a_pull_request_names_the_pull_request(github, tmp_path, monkeypatch):
    event = tmp_path / "comment_event.json"
    event.write_text(json.dumps({"issue": {"number": 31, "pull_request": {"url": "x"}}, "comment": {"body": "/plan"}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    github.server.expect_request(f"/repos/{REPO}/issues/31/comments", method="GET").respond_with_json([])
    github.server.expect_request(f"/repos/{REPO}/issues/31/comments", method="POST").respond_with_json(
        _comment(1, "x"), status=201
    )
    assert hfsync("github", "comment", _plan(tmp_path)).exit_code == 0
    assert len(github.requests("POST")) == 1


def test_a_saved_plan_is_rendered_as_markdown(github, sandbox, tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES, tmp_path / "project", ignore=shutil.ignore_patterns("github"))
    monkeypatch.chdir(tmp_path / "project")
    saved = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "plan", "--out", "plan.json")
    assert saved.exit_code == 0, saved.output
    markdown = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "plan", "--format", "markdown").stdout
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_json(_comment(1, "x"), status=201)

    result = hfsync("github", "comment", "plan.json")

    assert result.exit_code == 0, result.output
    (sent,) = github.sent_json("POST")
    assert sent["body"] == "<!-- hfsync-plan -->\n" + markdown
    assert "<code>space:sandbox/demo</code>" in sent["body"]
    assert sandbox.token not in github.summary.read_text()


def test_an_unexpected_answer_is_an_error_not_a_crash(github, tmp_path):
    github.server.expect_request(COMMENTS, method="GET").respond_with_json({"documentation_url": "x"})
    result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 1
    assert "answered GET /repos/acme/models/issues/7/comments with something other than a list" in result.stderr

    github.server.clear()
    github.server.expect_request(COMMENTS, method="GET").respond_with_json([])
    github.server.expect_request(COMMENTS, method="POST").respond_with_data("", status=201)
    result = hfsync("github", "comment", _plan(tmp_path))
    assert result.exit_code == 0
    assert "Created the plan comment: (no URL returned)" in result.stdout


def test_truncate_closes_a_long_fence_and_counts_details_outside_code_only():
    # A diff showing a backtick run gets a longer fence, and may show a tag's text: the cut closes
    # that fence (three backticks would not) and the <details> really open, so the notice is seen.
    rows = "\n".join(f"+ row {i} ```` </details> <details>" for i in range(400))
    body = f"<details><summary>x</summary>\n\n`````diff\n{rows}\n`````\n\n</details>\n"
    text, cut = truncate(body, 4_000, None)
    assert cut
    head, notice = text.split("\n\n> [!WARNING]")
    assert head.endswith("\n`````\n</details>")
    assert head.count("\n</details>") == 1 and "it is cut short here" in notice
