"""Dataset cards from the data: configs from the folder layout, dataset_info and size_categories
from the real rows, through `hfsync card render` and a publish to the sandbox Hub."""

from __future__ import annotations

import yaml

from hfsync.cards.check import front_matter
from hfsync.cards.configs import check
from hfsync.cards.datafiles import infer_splits
from hfsync.cards.datainfo import derived_configs
from tests.helpers import hfsync
from tests.inspect.test_parquet import parquet_bytes

MANIFEST = ("version: 1\nrepos:\n  - id: acme/shards\n    type: dataset\n    source: {path: src}\n"
            "    card: {metadata: {license: mit}}\n")


def _sharded(root) -> None:  # type: ignore[no-untyped-def]
    (root / "src/data").mkdir(parents=True)
    for i in range(2):
        (root / f"src/data/train-{i:05d}-of-00002.parquet").write_bytes(
            parquet_bytes({"text": ["a"] * 600, "label": [1] * 600, "tags": [[1, 2]] * 600}))
    (root / "src/data/test-00000-of-00001.parquet").write_bytes(
        parquet_bytes({"text": ["b"] * 10, "label": [0] * 10, "tags": [[3]] * 10}))
    (root / "hfsync.yaml").write_text(MANIFEST)


def test_a_generated_card_carries_configs_features_splits_and_size(tmp_path):
    _sharded(tmp_path)
    result = hfsync("card", "render", "acme/shards", "-f", str(tmp_path / "hfsync.yaml"))
    assert result.exit_code == 0, result.output
    meta = front_matter(result.stdout)
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "train", "path": "data/train-*"}, {"split": "test", "path": "data/test-00000-of-00001.parquet"}]}]
    info = meta["dataset_info"]
    assert info["features"] == [{"name": "text", "dtype": "string"}, {"name": "label", "dtype": "int64"},
                                {"name": "tags", "sequence": "int64"}]
    assert [(s["name"], s["num_examples"]) for s in info["splits"]] == [("train", 1200), ("test", 10)]
    assert all(s["num_bytes"] > 0 for s in info["splits"])
    assert info["dataset_size"] == sum(s["num_bytes"] for s in info["splits"])
    assert meta["size_categories"] == ["1K<n<10K"]  # 1,210 rows, from the footers


def test_derived_configs_name_exactly_the_files_of_each_split_by_the_hubs_grammar():
    layouts = [
        ["data/train/a.csv", "data/train/b.csv", "data/test/c.csv", "scripts/make.py"],
        ["train.jsonl", "test.jsonl", "valid.jsonl"],
        ["train_0.csv", "train_1.csv", "test_0.csv", "training_notes.csv"],
        ["a.parquet", "b.parquet"],
    ]
    for files in layouts:
        configs = derived_configs(files)
        checked = check(configs, files)
        assert checked.problems == [] and checked.warnings == [], files
        assert checked.configs[0].splits == {k: sorted(v) for k, v in infer_splits(files).items()}, files
        # Written as the Hub reads YAML: a list of {split, path} with string paths.
        assert yaml.safe_load(yaml.safe_dump(configs)) == configs
    assert derived_configs(["data/train/a.csv", "data/train/b.csv", "data/test/c.csv"])[0]["data_files"] == [
        {"split": "train", "path": "data/train/*"}, {"split": "test", "path": "data/test/c.csv"}]
    assert derived_configs(["README.md", "make.py"]) == []
    # Splits of two formats: no config the viewer reads would hold them, so none is written.
    assert derived_configs(["train.csv", "test.jsonl"]) == []


def test_an_existing_card_keeps_its_configs_unless_the_manifest_replaces_them(tmp_path):
    _sharded(tmp_path)
    card = ("---\nconfigs:\n- config_name: mine\n  data_files: data/*.parquet\n---\n# Mine\n")
    (tmp_path / "src/README.md").write_text(card)
    rendered = hfsync("card", "render", "acme/shards", "-f", str(tmp_path / "hfsync.yaml")).stdout
    assert front_matter(rendered)["configs"] == [{"config_name": "mine", "data_files": "data/*.parquet"}]
    assert "dataset_info" not in front_matter(rendered)
    (tmp_path / "hfsync.yaml").write_text(MANIFEST.replace(
        "{license: mit}", "{license: mit, configs: [{config_name: theirs, data_files: data/train-*}]}"))
    rendered = hfsync("card", "render", "acme/shards", "-f", str(tmp_path / "hfsync.yaml")).stdout
    assert front_matter(rendered)["configs"] == [{"config_name": "theirs", "data_files": "data/train-*"}]


def test_a_dataset_published_with_a_generated_card_plans_clean_again(project):
    _sharded(project.root)
    project.manifest.write_text(MANIFEST)
    first = project.plan()
    assert first.exit_code == 0, first.output
    assert project.apply().exit_code == 0
    assert project.plan("--detailed-exitcode").exit_code == 0
    from huggingface_hub import HfApi

    info = HfApi(endpoint=project.sandbox.url, token=project.sandbox.token).dataset_info("acme/shards")
    assert info.card_data["configs"][0]["data_files"][0] == {"split": "train", "path": "data/train-*"}
