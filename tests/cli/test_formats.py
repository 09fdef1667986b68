"""One --format vocabulary: every command that reports takes its values from the same list, in the
same order, defaults to text, and still accepts the earlier spellings."""

from __future__ import annotations

import click
import pytest

from hfsync.cli import cli
from hfsync.cli.options import ALIASES, FORMATS, Format
from hfsync.schemas import NAMES
from tests.helpers import hfsync


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


# `hfsync bom --format cyclonedx|spdx` picks the standard a bill of materials is written in (both JSON
# documents of their own specifications), not how a report is shown: the one --format outside the vocabulary.
STANDARDS = {("bom",)}
FORMATTED = {path: next(p for p in command.params if p.name == "fmt")
             for path, command in _commands(cli) if any(p.name == "fmt" for p in command.params)
             and path not in STANDARDS}


def test_the_one_exception_is_still_a_choice_of_standards():
    command = dict(_commands(cli))[("bom",)]
    assert list(next(p for p in command.params if p.name == "fmt").type.choices) == ["cyclonedx", "spdx"]


def test_every_command_that_reports_has_a_format():
    assert sorted(" ".join(path) for path in FORMATTED) == [
        "apply", "cache ls", "cache prune", "github comment", "github issue", "github pr", "info", "lock",
        "oci push", "plan", "pull", "scan", "search", "show", "upgrade", "validate", "verify"]


@pytest.mark.parametrize("path", sorted(FORMATTED), ids=" ".join)
def test_the_choices_are_one_vocabulary(path):
    option = FORMATTED[path]
    assert isinstance(option.type, Format)
    choices = list(option.type.choices)
    assert choices == [f for f in FORMATS if f in choices] and {"text", "json"} <= set(choices)
    assert option.default == "text"
    assert all(option.type.convert(old, option, None) == new for old, new in ALIASES.items())
    # the help names the JSON Schema of the command's JSON, and `hfsync schema` knows it
    named = option.help.split("`hfsync schema ")[1].split("`")[0]
    assert named in NAMES


def test_old_spellings_still_work_and_unknown_ones_list_the_vocabulary(tmp_path):
    (tmp_path / "hfsync.yaml").write_text("version: 1\n")
    assert hfsync("validate", "-f", str(tmp_path / "hfsync.yaml"), "--format", "human").exit_code == 0
    result = hfsync("validate", "-f", str(tmp_path / "hfsync.yaml"), "--format", "yaml")
    assert result.exit_code == 1
    assert "'yaml' is not one of 'text', 'json'" in result.stderr
