"""What a first user reads: progress lines and summaries that say what they mean."""

from __future__ import annotations

import io

import pytest

from hfsync.render.progress import PlainReporter


def test_a_count_without_a_known_total_is_not_shown_as_out_of_zero():
    # A run that does not announce its total counts alone: "[1/0]" read as a bug.
    out = io.StringIO()
    reporter = PlainReporter(out)
    reporter.finish("acme/m/config.json", "hashed", 10)
    reporter.finish("acme/m/w.safetensors", "hashed", 20)
    assert out.getvalue().splitlines() == ["[1] hashed: acme/m/config.json", "[2] hashed: acme/m/w.safetensors"]


@pytest.mark.parametrize(("missing", "text"), [(["a"], "1 file differs from the lock"),
                                                (["a", "b"], "2 files differ from the lock")])
def test_verify_counts_in_english(missing, text):
    from hfsync.errors import VerifyError
    from hfsync.pull.verify import VerifyReport, raise_on_mismatch

    with pytest.raises(VerifyError) as caught:
        raise_on_mismatch(VerifyReport(missing=missing))
    assert caught.value.message == text


def test_a_drifted_pull_is_not_shown_as_a_repo_apply_would_update():
    from hfsync.model.plan import Action, Change, Plan, TargetChange
    from hfsync.render.plan import render

    drift = Change("pull-drift", Action.UPDATE, "acme/base", {}, "main moved 1111111 -> 2222222 past the lock")
    pull = TargetChange("pull:acme/base", "acme/base", "model", "main", Action.UPDATE, kind="pull",
                        head="2" * 40, changes=(drift,))
    text = render(Plan("0.1.0", "https://hub.example", {}, (pull,)), "human")
    assert text.splitlines()[2:5] == [
        "  # pull:acme/base moved past the lock; apply leaves it (upstream at main@2222222)",
        '  ~ pull model "acme/base" {',
        '      ~ pull-drift "acme/base" (main moved 1111111 -> 2222222 past the lock)',
    ]
    markdown = render(Plan("0.1.0", "h", {}, (pull,)), "markdown")
    assert "| `pull:acme/base` | drift | 0 | 0 | 0 / 0 / 0 | 0 B |" in markdown
    assert "</code>: moved past the lock; apply leaves it (upstream at main@2222222)</summary>" in markdown
