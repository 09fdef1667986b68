"""Renderers read the plan only: golden files for human, markdown and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import jsonschema
import pytest

from hfsync.model.plan import Action, Plan, SettingChange, TargetChange, schema
from hfsync.render.plan import render, summary
from hfsync.units import human_size
from tests.publish.fakes import fixed_plan

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(("fmt", "name"), [("human", "plan.txt"), ("markdown", "plan.md"), ("json", "plan.json")])
def test_golden(fmt, name):
    text = render(fixed_plan(), fmt, color=False)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_json_plan_validates_against_its_schema():
    data = json.loads(render(fixed_plan(), "json"))
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert data["format_version"] == 2


def test_json_round_trips():
    plan = fixed_plan()
    assert Plan.from_dict(json.loads(plan.to_json())) == plan


def test_human_colours_follow_terraform_and_can_be_off():
    coloured = render(fixed_plan(), "human", color=True)
    assert click.style("+", fg="green") in coloured  # create
    assert click.style("~", fg="yellow") in coloured  # change
    assert click.style("-", fg="red") in coloured  # delete
    assert "\x1b[" not in render(fixed_plan(), "human", color=False)


def test_summary_line_counts_and_no_changes():
    plan = fixed_plan()
    # Targets are counted as Terraform counts resources (a new repo, an updated dataset, a
    # no-op Space); the files they carry follow: 3 added + 1 updated, and 1 pruned.
    assert summary(plan) == "Plan: 1 to create, 1 to change, 0 to delete (4 files, 14.4 MB to upload; 1 file to delete)."
    settings_only = Plan("0.1.0", "https://hub.example", {}, (TargetChange(
        "acme/m", "acme/m", "model", "main", Action.UPDATE, settings=(SettingChange("private", True, False),)),))
    assert summary(settings_only) == "Plan: 0 to create, 1 to change, 0 to delete."
    quiet = Plan("0.1.0", "https://hub.example", {}, (TargetChange("acme/m", "acme/m", "model", "main", Action.NOOP),))
    assert render(quiet, "human").splitlines()[-1] == "No changes."
    assert "**No changes.**" in render(quiet, "markdown")


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (999, "999 B"), (1_234, "1.2 kB"), (12_345_678, "12.3 MB"),
                                         (1_200_000_000, "1.2 GB")])
def test_sizes_in_decimal_units(n, text):
    assert human_size(n) == text


def _crowded_plan(files: int) -> Plan:
    from hfsync.model.plan import FileChange

    changes = [FileChange(f"part-{i % 2}/item-{i:05}.json", Action.CREATE, 100, False, "a" * 64, "b" * 40, "c" * 64)
               for i in range(files)]
    changes += [FileChange("part-1/old.json", Action.DELETE, 7, False, remote_oid="d" * 40, remote_size=7),
                FileChange("top.txt", Action.UPDATE, 5, False, "e" * 64, "f" * 40, "e" * 64, remote_oid="0" * 40)]
    target = TargetChange("dataset:acme/big", "acme/big", "dataset", "main", Action.UPDATE, head="1" * 40,
                          files=tuple(sorted(changes, key=lambda f: f.path)))
    return Plan(hfsync_version="0", endpoint="https://huggingface.co", manifests={}, targets=(target,))


def test_a_target_with_thousands_of_file_changes_is_summed_by_folder_unless_every_file_is_asked_for(tmp_path):
    from hfsync.model.plan import write
    from tests.helpers import hfsync

    plan = _crowded_plan(2000)
    text = render(plan, "human")
    assert text.splitlines()[4:10] == [
        "        # 2,002 file changes, summed by folder (each one: --all-files, or --format json)",
        "      ~ 1 file at the top level (5 B)",
        '      + 1,000 files in "part-0/" (100.0 kB)',
        '      + 1,000 files in "part-1/" (100.0 kB)',
        '      - 1 file in "part-1/" (7 B)',
        "    }",
    ]
    assert "item-00001" not in text
    assert "Plan: 0 to create, 1 to change, 0 to delete (2001 files, 200.0 kB to upload; 1 file to delete)." in text
    # A target of up to 1,000 file changes lists each, as always; --all-files lists each of any number.
    assert text.count("\n") < 20 and render(_crowded_plan(998), "human").count('file "') == 1000
    assert render(plan, "human", all_files=True).count('file "') == 2002
    write(plan, tmp_path / "plan.json")
    shown = hfsync("show", str(tmp_path / "plan.json"), "--all-files")
    assert shown.exit_code == 0 and shown.stdout.count('file "') == 2002
