"""Progress: plain lines off a terminal, rich bars on one, retry waits as a countdown."""

from __future__ import annotations

import io
import re

from hfsync.hub.retry import Wait
from hfsync.render.progress import PlainReporter, RichReporter, make_reporter
from hfsync.units import human_size


def test_plain_lines_count_files_and_show_each_wait_once():
    out = io.StringIO()
    reporter = PlainReporter(out)
    reporter.begin(2, 300)
    reporter.start("acme/m1/w.safetensors", 200)(200)
    for remaining in (2, 1):
        reporter.wait(Wait("download acme/m1/w.safetensors", 1, 8, "HTTP 429", remaining, 2))
    reporter.finish("acme/m1/w.safetensors", "downloaded", 200)
    reporter.finish("acme/m1/config.json", "present", 100)
    assert out.getvalue().splitlines() == [
        "download acme/m1/w.safetensors: HTTP 429; retrying in 2s (attempt 2 of 8)",
        "[1/2] downloaded: acme/m1/w.safetensors",
        "[2/2] present: acme/m1/config.json",
    ]


def test_quiet_prints_nothing():
    out = io.StringIO()
    reporter = PlainReporter(out, quiet=True)
    reporter.begin(1, 1)
    reporter.finish("x", "downloaded", 1)
    assert out.getvalue() == ""


def test_rich_reporter_tracks_overall_and_active_transfers():
    reporter = RichReporter()
    try:
        reporter.begin(2, 300)
        advance = reporter.start("acme/m1/w.safetensors", 200)
        advance(150)
        assert len(reporter.progress.tasks) == 2  # overall + one active transfer
        reporter.wait(Wait("download acme/m1/w.safetensors", 1, 8, "HTTP 429", 2, 2))
        assert any("retrying in 2s" in t.description for t in reporter.progress.tasks)
        reporter.wait(Wait("download acme/m1/w.safetensors", 1, 8, "HTTP 429", 1, 2))
        advance(50)
        reporter.finish("acme/m1/w.safetensors", "downloaded", 200)
        reporter.finish("acme/m1/config.json", "present", 100)
        [overall] = reporter.progress.tasks
        assert overall.completed == 300 and overall.total == 300
    finally:
        reporter.close()


def test_make_reporter_picks_plain_without_a_terminal():
    assert type(make_reporter(progress=False, quiet=False)) is PlainReporter
    assert human_size(999) == "999 B" and human_size(1_500_000) == "1.5 MB"


HOSTILE = "acme/m1/[link=https://evil.example]x[/link]\x1b[2J\u202e.safetensors"


def test_a_listed_name_is_shown_as_it_is_never_as_escapes_or_markup():
    out = io.StringIO()
    reporter = PlainReporter(out)
    reporter.begin(1, 1)
    reporter.finish(HOSTILE, "downloaded", 1)
    assert out.getvalue() == "[1/1] downloaded: acme/m1/[link=https://evil.example]x[/link]\\x1b[2J\\u202e.safetensors\n"

    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    reporter = RichReporter()
    started = reporter.progress.live.console
    reporter.progress.live.console = Console(file=buffer, force_terminal=True, width=200)
    try:
        reporter.begin(1, 1)
        reporter.start(HOSTILE, 1)
        descriptions = [Text.from_markup(t.description).plain for t in reporter.progress.tasks]
        reporter.finish(HOSTILE, "failed", 1)
    finally:
        reporter.progress.live.console = started
        reporter.close()
    assert descriptions[1] == "…nk=https://evil.example]x[/link]\\x1b[2J\\u202e.safetensors"  # its last 49
    shown = buffer.getvalue()
    assert "\x1b]8" not in shown and "\x1b[2J" not in shown and "\u202e" not in shown
    styles = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours, and only those
    assert "failed: acme/m1/[link=https://evil.example]x[/link]\\x1b[2J\\u202e.safetensors" in styles.sub("", shown)
