"""The command line as a whole: help everywhere, one error boundary, no token in output."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from hfsync.cli import cli
from tests.helpers import hfsync


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_top_level_help_lists_commands():
    result = hfsync("--help")
    assert result.exit_code == 0
    assert "GitOps for the Hugging Face Hub." in result.stdout
    for name in cli.commands:
        assert name in result.stdout


def test_every_command_has_help_text():
    for path, command in all_commands(cli):
        assert command.help, f"hfsync {' '.join(path)} has no help text"
        result = hfsync(*path, "--help")
        assert result.exit_code == 0, result.output
        assert f"Usage: hfsync {' '.join(path)}" in result.stdout


def test_unknown_command_is_exit_1_without_traceback():
    result = hfsync("frobnicate")
    assert result.exit_code == 1
    assert "No such command 'frobnicate'" in result.stderr
    assert "Traceback" not in result.output


def test_token_never_printed_in_errors(tmp_path):
    token = "hf_abcdefghijklmnopqrstuvwxyz0123456789"
    bad = tmp_path / "hfsync.yaml"
    bad.write_text(f"version: 1\nrepos:\n  - id: {token}\n    source: {{path: .}}\n")
    result = hfsync("--token", token, "validate", "-f", str(bad))
    assert result.exit_code == 1
    assert token not in result.output
    assert "***" in result.output


def test_version_option():
    result = hfsync("--version")
    assert result.exit_code == 0
    assert "hfsync, version" in result.stdout


def _readme_command_cells() -> dict[str, str]:
    """The first cell of each row of README.md's command table, by command name."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    cells = [row.split(" | ")[0].lstrip("| ") for row in table.splitlines() if row.startswith("| `hfsync ")]
    return {cell.split()[1].rstrip("`"): cell for cell in cells}


def test_every_command_is_in_the_readme_table():
    cells = _readme_command_cells()
    missing = sorted(set(cli.commands) - set(cells))
    assert missing == [], f"README.md's command table has no row for: {', '.join(missing)}"
    for name, command in cli.commands.items():
        if isinstance(command, click.Group):
            for sub in command.commands:
                assert sub in cells[name].replace("\\|", " ").split(), f"hfsync {name} {sub} is not in its README row"


def test_an_endpoint_where_nothing_listens_fails_fast_with_a_hint(tmp_path):
    import shutil
    import socket
    from pathlib import Path

    project = tmp_path / "project"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples", project)
    with socket.socket() as held:  # bound and never listening: refused, and no other server can take the port
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        result = hfsync("--endpoint", f"http://127.0.0.1:{port}", "plan", "-f", str(project / "hfsync.yaml"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.count("gave up after 3 attempts") == 4  # one per target of the example
    assert (
        "sandbox/sentiment-lora: read sandbox/sentiment-lora (GET /api/models/sandbox/sentiment-lora/revision/main): "
        "gave up after 3 attempts; last failure: ConnectError: [Errno 111] Connection refused. "
        "Nothing answers at that address: check --endpoint or HF_ENDPOINT." in result.output
    )


def test_an_endpoint_whose_name_does_not_resolve_fails_at_once_with_a_hint(tmp_path):
    # RFC 6761: names under .invalid never resolve, on any network.
    result = hfsync("--endpoint", "http://hub.hfsync-test.invalid", "import", "acme/x")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "retrying" not in result.output
    error, hint = result.stderr.splitlines()
    # -2 where a resolver answers "no such name", -3 on a machine with no resolver at all.
    assert error in (
        f"Error: read acme/x (GET /api/models/acme/x/revision/main): the endpoint's host name does not resolve; "
        f"ConnectError: {reason}" for reason in ("[Errno -2] Name or service not known",
                                                 "[Errno -3] Temporary failure in name resolution"))
    assert hint == ("Hint: Check --endpoint or HF_ENDPOINT, and the network (DNS, a proxy): no request can succeed "
                    "until the name resolves.")


@pytest.mark.parametrize(("typed", "meant"), [("plann", "plan"), ("vrify", "verify"), ("upgarde", "upgrade")])
def test_a_mistyped_command_gets_a_did_you_mean(typed, meant):
    result = hfsync(typed)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Error: No such command '{typed}'. Did you mean '{meant}'?"
