"""Files a user edited or added in a `dest:` folder: pull restores the lock's bytes and says so;
verify leaves the user's own files alone unless asked (`--strict`)."""

from __future__ import annotations

import json

import pytest

from tests.pull.conftest import big_safetensors

pytestmark = pytest.mark.both_paths

CONFIG = b'{"hidden_size": 8}\n'


@pytest.fixture
def pulled(make_repo, project, run):
    make_repo("acme/m1", {"config.json": CONFIG, "model.safetensors": big_safetensors(2_000_000),
                          "README.md": b"# m1\n"})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    assert run("pull").exit_code == 0
    return project.path / "vendor" / "m1"


def test_pull_names_the_edited_files_it_replaced(pulled, run):
    (pulled / "config.json").write_bytes(b'{"hidden_size": 16}\n')
    (pulled / "README.md").write_bytes(b"# my notes\n")
    result = run("pull")
    assert result.exit_code == 0, result.output
    assert (pulled / "config.json").read_bytes() == CONFIG  # the lock decides
    assert (pulled / "README.md").read_bytes() == b"# m1\n"
    assert ("Replaced 2 files edited since they were pulled (the lock decides what they hold):\n"
            "  acme/m1/README.md\n  acme/m1/config.json\n") in result.stdout
    result = run("pull")
    assert result.exit_code == 0 and "Replaced" not in result.output


def test_pull_json_lists_replaced_files(pulled, run):
    (pulled / "config.json").write_bytes(b'{"hidden_size": 16}\n')
    result = run("pull", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["replaced"] == ["acme/m1/config.json"]


def test_a_touched_but_unchanged_file_is_not_called_replaced(pulled, run):
    import os

    os.utime(pulled / "config.json", ns=(1, 1))
    result = run("pull", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["replaced"] == []


def test_moving_a_pin_replaces_the_old_copy_without_calling_it_edited(pulled, make_repo, run):
    make_repo("acme/m1", {"config.json": b'{"hidden_size": 32}\n'}, message="bump")
    assert run("lock", "--update").exit_code == 0
    result = run("pull")
    assert result.exit_code == 0, result.output
    assert (pulled / "config.json").read_bytes() == b'{"hidden_size": 32}\n'
    assert "Replaced" not in result.output


def test_offline_pull_calls_an_edited_file_changed_not_missing(pulled, run):
    (pulled / "config.json").write_bytes(b'{"hidden_size": 16}\n')
    (pulled / "README.md").unlink()
    result = run("pull", "--offline")
    assert result.exit_code == 1
    assert ("offline, and 2 pinned files cannot be installed from disk:\n"
            "  acme/m1/README.md (not on disk)\n"
            "  acme/m1/config.json (changed since it was pulled)\n") in result.stderr
    assert (pulled / "config.json").read_bytes() == b'{"hidden_size": 16}\n'  # nothing half-done


def test_verify_leaves_the_users_own_files_alone_unless_strict(pulled, run):
    (pulled / "NOTES.md").write_text("my notes\n")
    (pulled / "eval").mkdir()
    (pulled / "eval" / "out.json").write_text("{}")
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "extra" not in result.output
    result = run("verify", "--strict")
    assert result.exit_code == 1
    assert "extra: acme/m1/NOTES.md\nextra: acme/m1/eval/out.json\n" in result.stdout
    result = run("verify", "--strict", "--format", "json")
    assert json.loads(result.stdout)["extra"] == ["acme/m1/NOTES.md", "acme/m1/eval/out.json"]
    assert json.loads(run("verify", "--format", "json").stdout)["extra"] == []
