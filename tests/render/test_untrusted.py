"""The neutralisers every view uses on text from outside: exact output for hostile input."""

from __future__ import annotations

import html
import json
import re

import pytest

from hfsync.render.untrusted import code, fence, json_document, markdown, terminal

Z = "\u200d"
HOSTILE = [
    "\x1b[2J\x1b[H", "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "\x9b31m", "\x07\x08\r\x7f",
    "abc\u202edcba\u202c", "\u2066iso\u2069\u200f\u061c", "one\u2028two\u2029", "a\nb\r\nc\rd",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_leaves_no_control_or_reordering_character(text):
    shown = terminal(text)
    assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]",
                         shown)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", markdown(text))


def test_terminal_writes_what_it_replaced():
    assert terminal("a\x1b[31mb\tc\u202ed\n") == "a\\x1b[31mb\tc\\u202ed\\x0a"
    assert terminal("plain é ✓ 🤗") == "plain é ✓ 🤗"


@pytest.mark.parametrize(("text", "shown"), [
    ("<!-- hidden", "&lt;!-- hidden"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
    ("a & b", "a &amp; b"),
    ("@alice and @acme/team, (@bob)", f"@{Z}alice and @{Z}acme/team, (@{Z}bob)"),
    ("main@1a2b3c4 mail@example.com", "main@1a2b3c4 mail@example.com"),  # no mention there for GitHub
    ("fixes #12 and acme/m#3", f"fixes #{Z}12 and acme/m#3"),
    ("[x](javascript:alert(1))", "&#91;x&#93;(javascript&#58;alert(1))"),
    ("![i](data:image/png;base64,AA)", "!&#91;i&#93;(data&#58;image/png;base64,AA)"),
    ("<JavaScript:alert(1)>", "&lt;JavaScript&#58;alert(1)&gt;"),
    ("a|b `c` \\*d* _e_ ~f~ $g$", "a&#124;b &#96;c&#96; &#92;&#42;d&#42; &#95;e&#95; &#126;f&#126; &#36;g&#36;"),
    ("line one\nline two\r\n", "line one line two "),
    ("\x1b[31m@x", "&#92;x1b&#91;31m@x"),  # shown as "\x1b[31m@x": a letter before the @, no mention
])
def test_markdown_exact_text(text, shown):
    assert markdown(text) == shown


def test_markdown_reads_back_as_the_text_itself():
    text = "Fix <b>&amp;</b> | `x` [a](b) *c* _d_ $e$ ~f~ \\g"
    assert html.unescape(markdown(text)) == text


def test_code_is_a_plain_span_for_plain_text_and_html_otherwise():
    assert code("acme/m1") == "`acme/m1`"
    assert code("a`b|c") == "<code>a&#96;b&#124;c</code>"
    assert code("@alice") == f"<code>@{Z}alice</code>"


def test_a_fence_is_longer_than_any_run_of_backticks():
    assert fence(["a", "b"]) == "```"
    assert fence(["x ```` y", "``"]) == "`````"


def test_a_json_document_keeps_the_data_and_escapes_what_drives_a_terminal():
    data = {"title": "".join(HOSTILE), "k\u202e": ["\x9b2J", "é ✓"]}
    text = json_document(json.dumps(data, ensure_ascii=False))
    assert json.loads(text) == data
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]", text.replace("\n", ""))
    assert "é ✓" in text


def test_a_workflow_command_message_cannot_start_a_command_of_its_own():
    from hfsync.render.untrusted import workflow

    assert workflow("a\n::error::x %0A\r\x1b") == "a\\x0a::error::x %250A\\x0d\\x1b"


def test_every_line_a_view_prints_is_neutralised():
    from hfsync.render import Output

    out = Output().out("file \x1b[2Jx.json\nsecond \u202eline").err("Error: \x9b31m")
    assert out.parts == [("out", "file \\x1b[2Jx.json\nsecond \\u202eline\n"), ("err", "Error: \\x9b31m\n")]


def test_a_search_table_shows_a_hubs_values_as_text_not_rich_markup():
    from hfsync.model.discover import Found
    from hfsync.render.search import results_table
    from hfsync.render.table import table_text

    found = Found("acme/m", "model", "[link=https://evil.example]text[/link]", None, "[bold]mit\x1b[2J",
                  None, 0, None, None, None, False, False, ())
    shown = table_text(results_table([found]), width=200)  # a terminal: rich writes its own styles
    assert "[link=https://evil.example]text[/link]" in shown and "[bold]mit\\x1b[2J" in shown
    assert "\x1b]8" not in shown and "\x1b[2J" not in shown


def test_a_plan_note_shows_hfsyncs_own_code_spans_and_keeps_a_hostile_file_name_escaped():
    from hfsync.model.plan import NO_TOKEN, RUN_LOCK, Action, Plan, TargetChange
    from hfsync.render.plan_markdown import render

    hostile = "<img src=x>`run`[a](javascript:x)@org.yaml"
    # A value that ends as hfsync's words do is still the value: only the note's last words are hfsync's.
    stale = f"pull 'acme/m1' changed in {hostile} since it was locked; run `hfsync lock`"
    target = TargetChange("pull:acme/m1", "acme/m1", "model", "main", Action.NOOP, kind="pull",
                          warnings=(stale + RUN_LOCK,), errors=(NO_TOKEN,))
    shown = render(Plan("1", "https://hub.test", {}, (target,)))
    assert ("> **Warning:** pull 'acme/m1' changed in &lt;img src=x&gt;&#96;run&#96;&#91;a&#93;(javascript&#58;x)"
            "@\u200dorg.yaml since it was locked; run &#96;hfsync lock&#96;; run <code>hfsync lock</code>\n") in shown
    assert ("> **Error:** no Hub token: a private repo cannot be seen without one, so this repo may exist already, "
            "and creating it needs a token (set HF&#95;TOKEN, pass --token or run <code>hf auth login</code>)\n") in shown
