"""Planning and applying with no Hub token: said up front, never blamed on a token nobody gave."""

from __future__ import annotations

from tests.helpers import hfsync

MANIFEST = """version: 1
repos:
  - id: sandbox/priv
    private: true
    source: {path: m}
    card: {generate: false}
"""


def test_a_plan_without_a_token_says_private_repos_cannot_be_seen(project, sandbox):
    p = project
    p.write("m/a.txt", "hi\n")
    p.yaml(MANIFEST)
    assert p.apply().exit_code == 0  # the private repo exists, made with a token
    result = hfsync("--endpoint", sandbox.url, "plan", "-f", str(p.manifest))
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "sandbox/priv will be created" in said  # what an anonymous reader can see
    assert ("no Hub token: a private repo cannot be seen without one, so this repo may exist already, "
            "and creating it needs a token") in said


def test_apply_without_a_token_fails_before_anything_is_sent(project, sandbox):
    p = project
    p.write("m/a.txt", "hi\n")
    p.yaml(MANIFEST)
    p.plan("--out", str(p.root / "plan.json"))
    for args in (("apply", "-f", str(p.manifest), "--auto-approve"), ("apply", str(p.root / "plan.json"))):
        sandbox.reset_stats()
        result = hfsync("--endpoint", sandbox.url, *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == ("Error: apply needs a Hub token to publish and none was given "
                                 "(set HF_TOKEN, pass --token or run `hf auth login`); nothing was sent.\n"
                                 "Hint: In GitHub Actions, `permissions: id-token: write` lets apply publish with no "
                                 "stored token, through the Hub's Trusted Publishers.\n")
        assert sandbox.stats()["requests"] == 0
