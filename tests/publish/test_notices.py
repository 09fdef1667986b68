"""Notices that stay the same from plan to plan are said once; -v says them every time; the data keeps them."""

from __future__ import annotations

import json
import os
from pathlib import Path

TAG = "tag v1 already exists at"
DESCRIPTION = "description is not a Hub setting for a model (no API sets it); it is not published"


def published(project) -> None:  # type: ignore[no-untyped-def]
    project.yaml("version: 1\nrepos:\n  - id: sandbox/m\n    description: A model\n    tags: [v1]\n"
                 "    source: {path: m}\n")
    project.write("m/README.md", "---\nlicense: mit\n---\n# m\n")
    project.write("m/config.json", "{}")
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert f"Note: sandbox/m: {DESCRIPTION}" in applied.stdout  # the plan apply shows says it, once
    project.write("m/config.json", '{"a": 1}')  # a change: the tag stays where it is, and says so


def test_a_notice_is_said_on_the_first_plan_only(project):
    published(project)
    first = project.plan()
    assert first.exit_code == 0, first.output
    assert f"Note: sandbox/m: {TAG}" in first.stdout
    assert DESCRIPTION not in first.stdout  # said by the apply that published it

    again = project.plan()
    assert again.exit_code == 0, again.output
    assert "config.json" in again.stdout  # the change is still planned...
    assert TAG not in again.stdout and DESCRIPTION not in again.stdout  # ...its notices are not repeated
    markdown = project.plan("--format", "markdown")
    assert TAG not in markdown.stdout and DESCRIPTION not in markdown.stdout

    verbose = project.run("-v", "plan", "-f", str(project.manifest))
    assert TAG in verbose.stdout and DESCRIPTION in verbose.stdout
    data = json.loads(project.plan("--format", "json").stdout)
    (target,) = data["targets"]
    assert target["notices"][1] == DESCRIPTION and target["notices"][0].startswith(TAG)
    applied = project.apply()  # the plan apply shows is a plan too
    assert applied.exit_code == 0, applied.output
    assert "config.json" in applied.stdout and TAG not in applied.stdout


def test_notices_are_remembered_per_hub_and_target_in_the_cache_dir(project, tmp_path):
    published(project)
    assert TAG in project.plan().stdout
    remembered = Path(os.environ["HFSYNC_CACHE_DIR"]) / "notices.json"
    assert len(json.loads(remembered.read_text())) == 2
    other = project.sandbox.url.replace("127.0.0.1", "localhost")
    elsewhere = project.run("--endpoint", other, "plan", "-f", str(project.manifest))
    assert TAG in elsewhere.stdout  # another Hub: not said there yet
    os.environ["HFSYNC_CACHE_DIR"] = str(tmp_path / "fresh-runner")
    try:
        assert TAG in project.plan().stdout  # a new cache (a CI runner) says it again
    finally:
        os.environ["HFSYNC_CACHE_DIR"] = str(remembered.parent)
