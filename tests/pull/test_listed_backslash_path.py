"""A name the Hub accepts and its client will not download (`folder/..\\..\\file`): lock and
pull refuse the listing in one sentence naming it, and write nothing."""

from __future__ import annotations

import os

from huggingface_hub import CommitOperationAdd

NAME = "folder/..\\..\\file"
REFUSAL = ("lists 1 file path that cannot be written under the destination of 'acme/m1':\n"
           "  'folder/..\\\\..\\\\file': contains a backslash\n")


def _files(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names}


def test_lock_and_pull_refuse_a_listed_path_with_backslashes(hub, project, run):
    hub.create_repo("acme/m1")
    hub.create_commit("acme/m1", [CommitOperationAdd("config.json", b"{}\n"), CommitOperationAdd(NAME, b"x")],
                      commit_message="seed")
    assert NAME in hub.list_repo_files("acme/m1")  # the Hub took the name
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    before = _files(project.path)
    for command in ("lock", "pull"):
        result = run(command)
        assert result.exit_code == 1, result.output
        assert REFUSAL in result.stderr, result.stderr
        assert "Traceback" not in result.output
        assert _files(project.path) == before, command  # no lock, not even the good file
