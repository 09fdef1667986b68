"""Redaction at the output boundary: registered secrets and signed URLs never show."""

from __future__ import annotations

import pytest

from hfsync.log import redact


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/sandbox-lfs/upload/abc?size=3&sig=deadbeef",
    "https://bucket.s3.amazonaws.com/x?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Signature=0a1b",
    "https://cdn-lfs.hf.co/repos/x?Expires=1&Policy=eyJ&Signature=abc~def&Key-Pair-Id=K2",
    "https://storage.googleapis.com/b/o?X-Goog-Signature=00ff&X-Goog-Credential=svc",
    "https://acct.blob.core.windows.net/c/b?sv=2021&se=2026&sp=r&sig=AbC%3D",
])
def test_signed_urls_lose_their_query(url):
    line = f"HTTP Error 500 thrown while requesting PUT {url}"
    shown = redact(line)
    assert shown == f"HTTP Error 500 thrown while requesting PUT {url.split('?')[0]}?***"


def test_other_queries_stay():
    line = "GET http://127.0.0.1:9/api/models?search=bert&limit=5 (and 'https://h/x?expand=sha')"
    assert redact(line) == line


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_log_line_quoting_a_hub_shows_no_escape_sequence(log_format, capsys):
    import json
    import logging

    from hfsync.log import configure
    from hfsync.render.untrusted import terminal

    configure(0, log_format, terminal)  # as the CLI sets the logs up
    logging.getLogger("hfsync.lock.pin").warning("base model '%s' is not on the Hub", "x\x1b]8;;https://e\x07\u202e")
    line = capsys.readouterr().err
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    if log_format == "json":
        assert json.loads(line)["message"] == "base model 'x\x1b]8;;https://e\x07\u202e' is not on the Hub"
    else:
        assert line == "WARNING hfsync.lock.pin: base model 'x\\x1b]8;;https://e\\x07\\u202e' is not on the Hub\n"
