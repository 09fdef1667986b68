"""The command line as a whole: help everywhere, one error boundary, no token in output."""

from __future__ import annotations

import click

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
