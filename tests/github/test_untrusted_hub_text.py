"""A Hub repo whose own content attacks the reviewer of a plan: file names, card metadata and
error messages holding terminal escapes, bidi overrides, HTML, mentions, links and ``<!--``.
The plan in the terminal, as markdown, as the pull-request comment, the job summary and the
drift issue shows them all inertly."""

from __future__ import annotations

import html
import re

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from tests.github.conftest import REPO
from tests.publish.conftest import Project

HOSTILE_NAME = "docs/\x1b[2J\x1b]8;;https:evil.example\x07x\u202e <!-- @alice [l](javascript:1) `x` #1.md"
MANIFEST = """version: 1
repos:
  - id: acme/pub
    source: {path: m, prune: true}
    card:
      metadata: {license: mit, tags: [safe]}
"""


@pytest.fixture
def hostile(sandbox, tmp_path):
    project = Project(tmp_path / "project", sandbox)
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/pub")
    card = ("---\nlicense: mit\ntags:\n- '@carol <!-- x'\n- \"\\e]8;;https://evil.example\\a\"\n---\n# pub\n\n"
            f"Use token {TOKEN} to try it.\n")
    api.create_commit("acme/pub", [CommitOperationAdd(HOSTILE_NAME, b"x\n"),
                                   CommitOperationAdd("README.md", card.encode())],
                      commit_message="seed")
    project.write("m/config.json", '{"a": 1}\n')
    project.yaml(MANIFEST)
    return project


TERMINAL_NAME = "docs/\\x1b[2J\\x1b]8;;https:evil.example\\x07x\\u202e <!-- @alice [l](javascript:1) `x` #1.md"
TOKEN = "h" + "f_" + "Wv3Qk8Zr2Xn7Tb5Ym1Lc9Pd4Hs6Jf0GuAeK"  # planted in the Hub's card
MESSAGE = "bad card \x1b[2J <!-- @alice [x](javascript:1) #3"


def no_escape(text: str) -> None:
    assert not re.search(r"[\x1b\x9b\u202e]", text)


def inert(markdown: str) -> None:
    """Outside the diffs' code blocks: no tag but hfsync's own, no comment, link or mention."""
    outside = re.sub(r"(`{3,})diff\n.*?\n\1\n", "", markdown, flags=re.S)
    assert set(re.findall(r"<(/?[A-Za-z!][^ >]*)", outside)) <= {
        "details", "/details", "summary", "/summary", "code", "/code", "!--"}
    assert outside.count("<!--") == outside.count("<!-- hfsync-plan -->")
    assert "javascript:" not in outside and "](" not in outside.replace("](https://github.example/", "")
    shown = html.unescape(re.sub(r"`[^`\n]*`", "", outside))
    assert not re.findall(r"(?<![0-9A-Za-z_])[@#][0-9A-Za-z]", shown)


def test_the_plan_shows_hostile_hub_text_inertly_everywhere(hostile, sandbox, github, tmp_path):
    sandbox.add_faults([{"method": "POST", "path": "/api/validate-yaml", "status": 400, "message": MESSAGE,
                         "times": 100}])
    text = hostile.plan()
    assert text.exit_code == 1, text.output
    no_escape(text.output)
    assert f'      - file "{TERMINAL_NAME}" (2 B, regular, absent from source (prune: true))\n' in text.stdout
    assert "bad card \\x1b[2J <!-- @alice [x](javascript:1) #3" in text.stdout
    assert TOKEN not in text.output

    markdown = hostile.plan("--format", "markdown")
    saved = tmp_path / "plan.json"
    assert hostile.plan("--out", str(saved)).exit_code == 1
    no_escape(markdown.output)
    assert "> **Error:** acme/pub: the Hub refuses the card: bad card &#92;x1b&#91;2J &lt;!-- @\u200dalice " in (
        markdown.stdout)

    github.server.expect_request(f"/repos/{REPO}/issues/7/comments", method="GET").respond_with_json([])
    github.server.expect_request(f"/repos/{REPO}/issues/7/comments", method="POST").respond_with_json(
        {"id": 1, "html_url": "https://github.example/c/1"}, status=201)
    github.server.expect_request(f"/repos/{REPO}/issues", method="GET").respond_with_json([])
    github.server.expect_request(f"/repos/{REPO}/issues", method="POST").respond_with_json(
        {"number": 9, "html_url": "https://github.example/i/9"}, status=201)
    for command in ("comment", "summary", "issue"):
        result = hostile.run("github", command, str(saved))
        assert result.exit_code == 0, result.output
        no_escape(result.output)
        assert TOKEN not in result.output
    sent = [body["body"] for body in github.sent_json("POST")]
    assert len(sent) == 2
    for body in (markdown.stdout, *sent, github.summary.read_text()):
        no_escape(body)
        inert(body)
        assert TERMINAL_NAME in body  # inside the diff's code block: shown as is, escapes written out
        assert TOKEN not in body
    assert TOKEN not in markdown.output and TOKEN not in saved.read_text()


def test_a_servers_error_message_reaches_the_terminal_inertly(hostile, sandbox):
    sandbox.add_faults([{"method": "GET", "path": "/api/models/acme/pub", "status": 403, "message": MESSAGE,
                         "times": 100}])
    result = hostile.run("info", "acme/pub")
    assert result.exit_code == 1, result.output
    no_escape(result.output)
    assert "bad card \\x1b[2J <!-- @alice [x](javascript:1) #3" in result.stderr
    assert result.stderr.startswith("Error: ")
