"""Parquet understood in a plan: diffs from the footers (the Hub's read in at most two Range
requests), shards of a split whose schemas disagree, and the viewer's limits; against the sandbox Hub."""

from __future__ import annotations

import json

from tests.inspect.test_parquet import parquet_bytes

MANIFEST = "version: 1\nrepos:\n  - id: acme/shards\n    type: dataset\n    source: {path: src}\n"
SHARDS = [f"data/train-{i:05d}-of-00004.parquet" for i in range(4)]


def _shard(label_type: str = "int", rows: int = 3) -> bytes:
    labels = list(range(rows)) if label_type == "int" else [str(i) for i in range(rows)]
    return parquet_bytes({"id": list(range(rows)), "label": labels})


def _published(project):  # type: ignore[no-untyped-def]
    project.yaml(MANIFEST)
    for shard in SHARDS:
        project.write(f"src/{shard}", _shard())
    assert project.apply().exit_code == 0
    project.sandbox.reset_stats()
    return project


def test_a_retyped_column_is_a_plan_error_naming_it_and_the_shards(project):
    _published(project)
    project.write(f"src/{SHARDS[2]}", _shard("str", rows=5))
    result = project.plan("--diff", "summary")
    assert result.exit_code == 1
    assert ("split 'train' of config 'default': the Parquet shards disagree: column 'label' is int64 in "
            "data/train-00000-of-00004.parquet, data/train-00001-of-00004.parquet, data/train-00003-of-00004.parquet; "
            "string in data/train-00002-of-00004.parquet; the viewer needs one schema per split") in result.stdout
    assert 'column.label = "int64" -> "string"' in result.stdout
    assert 'rows         = "3" -> "5"' in result.stdout
    # The Hub's footer of the changed shard, in at most two Range requests; no other shard read.
    assert project.sandbox.stats()["routes"]["GET resolve"]["requests"] <= 2
    markdown = project.plan("--format", "markdown")
    assert markdown.exit_code == 1
    assert "> **Error:** split 'train' of config 'default': the Parquet shards disagree: column 'label'" in (
        markdown.stdout)


def test_the_footer_diff_in_json_and_markdown(project):
    _published(project)
    project.write(f"src/{SHARDS[0]}", parquet_bytes({"id": [1, 2, 3], "label": [0, 1, 2]}, row_group_size=1))
    plan = json.loads(project.plan("--format", "json").stdout)
    [change] = [f for f in plan["targets"][0]["files"] if f["path"] == SHARDS[0]]
    assert change["diff"]["kind"] == "parquet"
    assert {"key": "row_groups", "old": "1", "new": "3"} in change["diff"]["entries"]
    markdown = project.plan("--format", "markdown")
    assert markdown.exit_code == 0 and "row_groups = 1 -> 3" in markdown.stdout.replace('"', "")


def test_the_hub_answering_a_range_request_with_the_whole_file_is_refused(project):
    _published(project)
    big = parquet_bytes({"id": list(range(1_000_000)), "label": list(range(1_000_000))}, compression="none")
    project.write(f"src/{SHARDS[1]}", big)
    assert project.apply().exit_code == 0
    project.write(f"src/{SHARDS[1]}", parquet_bytes({"id": list(range(1_000_001)), "label": list(range(1_000_001))},
                                                    compression="none"))
    project.sandbox.reset_stats()
    # The bytes come from where the resolve redirects (the LFS CDN): it answers with the whole file.
    project.sandbox.add_faults([{"method": "GET", "path": "/sandbox-lfs/cdn/", "action": "ignore_range", "times": 5}])
    result = project.plan("--diff", "summary")
    assert result.exit_code == 0
    assert ("not compared: the Hub answered a Range request for data/train-00001-of-00004.parquet with the whole "
            "file; not read") in result.stdout
    # The connection was dropped without reading the file: far fewer bytes than its size came.
    assert project.sandbox.stats()["routes"]["GET lfs-download"]["bytes_out"] < len(big) // 2


def test_a_file_named_parquet_that_is_not_is_said_so(project):
    _published(project)
    project.write(f"src/{SHARDS[3]}", "id,label\n1,2\n")
    result = project.plan("--diff", "summary")
    assert "data/train-00003-of-00004.parquet: not a readable Parquet file: the file does not end with PAR1" in (
        result.stdout)
    assert "no parquet diff: the new footer cannot be read" in result.stdout


def test_csv_files_of_a_split_whose_inferred_types_disagree_are_a_warning(project):
    project.yaml(MANIFEST)
    project.write("src/train/a.csv", "id,score\n1,0.5\n2,0.7\n")
    project.write("src/train/b.csv", "id,score\n3,high\n")
    result = project.plan()
    assert result.exit_code == 0
    assert ("split 'train' of config 'default': the files' inferred column types disagree: column 'score' is "
            "float64 in train/a.csv; string in train/b.csv") in result.stdout


def test_a_csv_of_100k_columns_plans_and_says_what_was_not_compared(project):
    project.yaml(MANIFEST)
    header = ",".join(f"c{i}" for i in range(100_000))
    project.write("src/wide.csv", header + "\n" + ",".join(["1"] * 100_000) + "\n")
    result = project.plan()
    assert result.exit_code == 0
    assert "wide.csv: column types not compared: its first line is longer than the 64 kB sampled" in result.stdout


def test_without_pyarrow_the_plan_names_the_extra_and_goes_on(project, monkeypatch):
    import sys

    _published(project)
    project.write(f"src/{SHARDS[0]}", _shard(rows=4))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    result = project.plan("--diff", "summary")
    assert result.exit_code == 0
    assert ("Parquet files not compared: reading Parquet footers needs pyarrow, which is not installed: "
            "pip install 'hfsync-gitops[parquet]'") in result.stdout
    assert "not compared: reading Parquet footers needs pyarrow" in result.stdout  # the file's diff too


def test_row_groups_far_below_the_viewers_size_are_a_warning(project):
    project.yaml(MANIFEST)
    project.write("src/data/train-00000-of-00001.parquet",
                  parquet_bytes({"id": list(range(150))}, row_group_size=1))
    result = project.plan()
    assert result.exit_code == 0
    assert ("data/train-00000-of-00001.parquet: 150 row groups of 94 B on average in memory, far below the "
            "100-300 MB the dataset viewer recommends: write larger row groups") in result.stdout
