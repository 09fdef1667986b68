"""What a first user reads: progress lines and summaries that say what they mean."""

from __future__ import annotations

import io

from hfsync.progress import PlainReporter


def test_a_count_without_a_known_total_is_not_shown_as_out_of_zero():
    # lock learns blake3 file by file without announcing a total: "[1/0]" read as a bug.
    out = io.StringIO()
    reporter = PlainReporter(out)
    reporter.finish("acme/m/config.json", "hashed", 10)
    reporter.finish("acme/m/w.safetensors", "hashed", 20)
    assert out.getvalue().splitlines() == ["[1] hashed: acme/m/config.json", "[2] hashed: acme/m/w.safetensors"]
