"""A first user's mistakes: no manifest, a wrong token, a namespace they cannot write."""

from __future__ import annotations

import pytest

from hfsync.errors import HfsyncError
from tests.helpers import hfsync

MANIFEST = """\
version: 1
repos:
  - id: {repo}
    source: {{path: m}}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text('{"a": 1}\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", ["validate", "plan", "lock", "pull", "verify"])
def test_no_manifest_here_says_where_hfsync_looked_and_what_to_do(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = hfsync(command)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        f"Error: no hfsync.yaml in {tmp_path} (hfsync reads ./hfsync.yaml unless -f names manifests)\n"
        "Hint: Run hfsync in the folder holding hfsync.yaml, or pass -f FILE (or -f FOLDER of *.yaml).\n"
    )


def test_a_wrong_token_is_named_as_such_without_url_noise_and_no_changes_is_not_claimed(project, sandbox):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="sandbox/m"))
    token = "hf_wrongwrongwrongwrongwrong"
    result = hfsync("--endpoint", sandbox.url, "--token", token, "plan")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "  Error: sandbox/m: read sandbox/m: the Hub refused the token (401 Unauthorized): it is invalid, "
        "expired or revoked. Check HF_TOKEN (or --token, or `hf auth login`) and the --endpoint it belongs to.",
        "",
        "No changes planned; 1 of 1 targets failed.",
    ]
    assert result.stderr == "Error: the plan has 1 error(s); see above.\n"
    assert token not in result.output and "Traceback" not in result.output


def test_a_namespace_the_token_cannot_write_is_refused_with_the_hubs_words(project, sandbox):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="otherorg/m"))
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "--auto-approve")
    assert result.exit_code == 1
    assert (
        "  otherorg/m: create otherorg/m: the Hub refused this token (403 Forbidden): You don't have the rights "
        'to create a model under the namespace "otherorg".\n'
    ) in result.stderr
    assert sandbox.token not in result.output
    assert not (sandbox.data_dir / "repos" / "models" / "otherorg").exists()


@pytest.mark.parametrize("args", [("plan",), ("apply", "--auto-approve"), ("import", "sandbox/m")])
def test_offline_plan_apply_import_refuse_at_once_with_no_request(project, sandbox, monkeypatch, args):
    # huggingface_hub raises OfflineModeIsEnabled per request; it used to be retried 8 times
    # per target with backoff (minutes) before a wall of repeated errors.
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="sandbox/m"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    sandbox.reset_stats()
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (
        "Error: this run is offline (HF_HUB_OFFLINE is set), and reading or publishing repos needs the Hub at "
        f"{sandbox.url}; nothing was read or changed\n"
        "Hint: Unset HF_HUB_OFFLINE to plan, apply or import. Offline, validate, scan, pull (what hfsync.lock "
        "pins, once downloaded), verify and cache work.\n"
    )
    assert sandbox.stats()["requests"] == 0


def test_offline_mode_is_never_retried():
    from huggingface_hub.errors import OfflineModeIsEnabled

    from hfsync.hub.retry import classify

    assert classify(OfflineModeIsEnabled("offline mode is enabled"))[0] is False


def test_verbose_traceback_of_an_expected_error_is_redacted(tmp_path, monkeypatch):
    from hfsync.errors import HfsyncError
    from hfsync.log import register_secret
    from hfsync.manifest import load as manifest

    secret = "hf_journeysecretjourneysecret"
    register_secret(secret)

    def load(files):  # type: ignore[no-untyped-def]
        try:
            raise ValueError(f"Authorization: Bearer {secret}")
        except ValueError as cause:
            raise HfsyncError("the Hub said no") from cause

    monkeypatch.setattr(manifest, "load", load)
    result = hfsync("-v", "validate")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "Authorization: Bearer ***" in result.stderr
    assert secret not in result.output
    assert result.stderr.endswith("Error: the Hub said no\n")


def test_plan_out_to_a_folder_that_cannot_be_made_is_an_error_not_a_bug(tmp_path):
    from hfsync.model.plan import write
    from tests.publish.fakes import fixed_plan

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HfsyncError) as caught:
        write(fixed_plan(), blocker / "sub" / "plan.json")
    assert caught.value.message.startswith(f"cannot write plan file {blocker / 'sub' / 'plan.json'}: ")
    assert caught.value.hint == "Give --out a path in a folder you can write to."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_apply_of_a_json_file_that_is_no_plan_says_so(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("{}")
    result = hfsync("apply", str(path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {path}: not an hfsync plan (no format_version)\n"
        "Hint: Save a plan with `hfsync plan --out FILE` and apply that file.\n"
    )


def test_plan_warns_when_the_token_cannot_create_in_the_namespace(project, sandbox):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="otherorg/m"))
    sandbox.reset_stats()
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "plan")
    assert result.exit_code == 0, result.output
    assert (
        "  Warning: otherorg/m: this token's user sandbox is neither otherorg nor a member of it: "
        "apply with this token cannot create the repo\n"
    ) in result.stdout
    assert sandbox.stats()["routes"]["GET whoami"]["requests"] == 1


@pytest.mark.parametrize("repo", ["sandbox/m", "acme/m"])  # the user's own namespace, and an org of theirs
def test_no_warning_where_the_token_may_create(project, sandbox, repo):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo=repo))
    result = hfsync("--endpoint", sandbox.url, "--token", sandbox.token, "plan")
    assert result.exit_code == 0 and "Warning" not in result.stdout, result.output


def test_an_endpoint_that_is_not_a_url_is_bad_input_not_a_bug(project):
    result = hfsync("--endpoint", "hub.example", "plan")
    assert result.exit_code == 1 and "Internal error" not in result.output
    assert result.stderr.endswith(
        "Error: Invalid value for '--endpoint': 'hub.example' is not a URL; give http://HOST[:PORT] or "
        "https://HOST (from HF_ENDPOINT when not given on the command line)\n"
    )


@pytest.mark.parametrize(("given", "read"), [
    (["pull", "-q"], ["-q", "pull"]),
    (["plan", "-f", "x.yaml", "-v", "--endpoint", "http://e"], ["-v", "--endpoint", "http://e", "plan", "-f", "x.yaml"]),
    (["--endpoint", "http://e", "plan", "--trace-file=t.jsonl"], ["--endpoint", "http://e", "--trace-file=t.jsonl", "plan"]),
    (["-q", "plan", "--out", "p.json"], ["-q", "plan", "--out", "p.json"]),
    (["search", "models", "--", "-q"], ["search", "models", "--", "-q"]),
])
def test_global_options_after_the_command_are_read_as_global(given, read):
    from hfsync.cli.main import hoist_global_options

    assert hoist_global_options(given) == read


def test_quiet_after_the_command_works_end_to_end(project):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="sandbox/m"))
    result = hfsync("validate", "-q")
    assert result.exit_code == 0 and "No such option" not in result.output


def test_a_trace_file_that_cannot_be_written_is_an_error_not_a_bug(project, tmp_path):
    (project / "hfsync.yaml").write_text(MANIFEST.format(repo="sandbox/m"))
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = hfsync("--trace-file", str(blocker / "t.jsonl"), "validate")
    assert result.exit_code == 1 and "Internal error" not in result.output
    assert result.stderr.startswith(f"Error: cannot write trace file {blocker / 't.jsonl'}: ")
    assert result.stderr.endswith("Hint: Give --trace-file a path in a folder you can write to.\n")
