"""A dataset card's viewer configs: the Hub's glob semantics, its grammar, its layout conventions."""

from __future__ import annotations

import pytest

from hfsync.cards.configs import check
from hfsync.cards.datafiles import format_of, infer_splits, matches

FILES = ["README.md", ".gitattributes", "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
         "data/test-00000-of-00001.parquet", "data/sub/deep.csv", ".hidden/x.csv", "data/.cache.csv",
         "__pycache__/a.csv", "main.csv", "config.json"]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("data/*.parquet", ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
                        "data/test-00000-of-00001.parquet"]),
    ("data/train-*", ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]),
    ("data/**", ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet",
                 "data/test-00000-of-00001.parquet", "data/sub/deep.csv"]),
    ("**/*.csv", ["data/sub/deep.csv", "main.csv"]),  # `**` spans no folder too; hidden and __special__ left out
    ("*.csv", ["main.csv"]),  # `*` stays within one folder
    ("data/*.csv", []),  # a hidden file is matched only by a pattern naming it
    ("data/.*.csv", ["data/.cache.csv"]),
    (".hidden/*", [".hidden/x.csv"]),
    ("__pycache__/*", ["__pycache__/a.csv"]),
    ("data/test-0000[0-9]-of-*.parquet", ["data/test-00000-of-00001.parquet"]),
    ("data/test-0000[!0]-of-*.parquet", []),
    ("main.c?v", ["main.csv"]),
    ("README.md", ["README.md"]),  # named, the card is a file like any other
    ("*", ["main.csv"]),  # the files datasets never reads as data are not matched by a glob
])
def test_patterns_match_as_the_hub_resolves_them(pattern, expected):
    assert sorted(matches(pattern, FILES)) == sorted(expected)


def test_formats_by_extension():
    assert [format_of(p) for p in ("a.csv", "a.tsv", "a.jsonl", "a.json.gz", "x/a.parquet", "a.png", "a.py",
                                   "noext")] == ["csv", "tsv", "json", "json", "parquet", "imagefolder", None, None]


@pytest.mark.parametrize(("files", "expected"), [
    (["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet", "data/random-00000-of-00001.csv",
      "data/test-00000-of-00001.parquet"],
     {"train": ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
      "test": ["data/test-00000-of-00001.parquet"], "random": ["data/random-00000-of-00001.csv"]}),
    (["data/train/a.csv", "data/test/b.csv", "data/dev/c.csv", "notes.txt.md"],
     {"train": ["data/train/a.csv"], "validation": ["data/dev/c.csv"], "test": ["data/test/b.csv"]}),
    (["train.csv", "my_test_file.csv", "valid1.csv", "testfile.csv"],
     {"train": ["train.csv"], "validation": ["valid1.csv"], "test": ["my_test_file.csv"]}),
    (["a.jsonl", "b.jsonl", "script.py"], {"train": ["a.jsonl", "b.jsonl"]}),
    (["script.py", "README.md"], {}),
])
def test_the_layout_conventions_give_the_splits(files, expected):
    assert infer_splits(files) == expected


def problems(configs, files=FILES):
    return check(configs, files).problems


def test_a_well_formed_card_has_no_problem():
    configs = [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"},
                                                  {"split": "test", "path": ["data/test-*"]}]},
        {"config_name": "flat", "data_files": "main.csv"},
        {"config_name": "deep", "data_dir": "data", "data_files": ["sub/*.csv"]},
    ]
    checked = check(configs, FILES)
    assert checked.problems == []
    assert [c.splits for c in checked.configs] == [
        {"train": ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
         "test": ["data/test-00000-of-00001.parquet"]},
        {"train": ["main.csv"]}, {"train": ["data/sub/deep.csv"]}]


@pytest.mark.parametrize(("configs", "expected"), [
    ("data/*.csv", [((), "configs must be a list of configs (each with config_name and data_files); got a "
                         "string ('data/*.csv')")]),
    ([["x"]], [((0,), "each config must be a mapping with config_name; got a list")]),
    ([{"data_files": "main.csv"}], [((0,), "each config needs a config_name (a string); got nothing")]),
    ([{"config_name": 3, "data_files": "main.csv"}],
     [((0, "config_name"), "each config needs a config_name (a string); got a number (3)")]),
    ([{"config_name": "a", "data_files": {"train": "main.csv"}}],
     [((0, "data_files"), "data_files must be a pattern, a list of patterns, or a list of {split, path} (path: a "
                          "pattern or a list of patterns); got a mapping")]),
    ([{"config_name": "a", "data_files": [{"split": "train", "path": "main.csv", "extra": 1}]}],
     [((0, "data_files", 0), "data_files must be a pattern, a list of patterns, or a list of {split, path} (path: "
                             "a pattern or a list of patterns); a list item must be {split, path} and nothing else, "
                             "got ['extra', 'path', 'split']")]),
    ([{"config_name": "a", "data_files": [{"split": "train", "path": 7}]}],
     [((0, "data_files", 0, "path"), "path must be a pattern or a non-empty list of patterns; got a number (7)")]),
    ([{"config_name": "a", "default": "yes", "data_files": "main.csv"}],
     [((0, "default"), "default must be true or false; got a string ('yes')")]),
    ([{"config_name": "a", "data_dir": ["data"], "data_files": "main.csv"}],
     [((0, "data_dir"), "data_dir must be a folder name; got a list")]),
])
def test_configs_of_the_wrong_types_are_located(configs, expected):
    assert problems(configs) == expected


def test_split_names_are_valid_and_unique_per_config():
    configs = [{"config_name": "a", "data_files": [{"split": "train", "path": "main.csv"},
                                                   {"split": "train", "path": "data/sub/*.csv"},
                                                   {"split": "my split", "path": "main.csv"}]}]
    assert problems(configs) == [
        ((0, "data_files", 1, "split"), "split 'train' appears twice in this config"),
        ((0, "data_files", 2, "split"), "split name 'my split' is not valid: a split name is letters, digits and "
                                        "underscores, parts joined by dots (train, test_2, train.clean)"),
    ]


def test_names_are_unique_and_one_config_at_most_is_the_default():
    configs = [{"config_name": "default", "data_files": "main.csv"},
               {"config_name": "b", "data_files": "main.csv", "default": True},
               {"config_name": "b", "data_files": "main.csv"}]
    assert problems(configs) == [
        ((2, "config_name"), "config name 'b' is declared twice (first as configs[1])"),
        ((), "more than one default config: default, b (a config named 'default' is the default one; mark at most "
             "one with default: true)"),
    ]


def test_a_pattern_matching_nothing_names_the_files_it_probably_meant():
    configs = [{"config_name": "a", "data_files": [{"split": "train", "path": "data/train-*.jsonl"}]}]
    assert problems(configs) == [((0, "data_files", 0, "path"),
        "data_files pattern 'data/train-*.jsonl' (config 'a', split 'train') matches no file the repo will hold; "
        "files near it: data/train-00000-of-00002.parquet, data/train-00001-of-00002.parquet")]
    assert problems([{"config_name": "a", "data_files": "other/x.parquet"}])[0][1].endswith(
        "files near it: data/test-00000-of-00001.parquet, data/train-00000-of-00002.parquet, "
        "data/train-00001-of-00002.parquet")


def test_one_file_format_per_config():
    configs = [{"config_name": "a", "data_files": [{"split": "train", "path": "data/train-*"},
                                                   {"split": "test", "path": "main.csv"}]}]
    assert problems(configs) == [((0, "data_files"),
        "config 'a' mixes file formats: csv (main.csv); parquet (data/train-00000-of-00002.parquet, "
        "data/train-00001-of-00002.parquet); the viewer reads one format per config")]
    # Images with the file of their labels are one format.
    images = check([{"config_name": "a", "data_files": "img/*"}], ["img/a.png", "img/b.jpg", "img/metadata.jsonl"])
    assert images.problems == [] and images.warnings == []


@pytest.mark.parametrize("pattern", ["../secrets/*.csv", "data/../../x.csv", "/etc/passwd", "C:\\data\\x.csv"])
def test_a_pattern_leaving_the_repo_is_refused(pattern):
    found = problems([{"config_name": "a", "data_files": [{"split": "train", "path": pattern}]}])
    assert len(found) == 1 and found[0][0] == (0, "data_files", 0, "path")
    assert pattern in found[0][1] and ("'..'" in found[0][1] or "absolute path" in found[0][1])
    assert problems([{"config_name": "a", "data_dir": "../up", "data_files": "x.csv"}]) == [
        ((0, "data_dir"), "'../up' contains '..'; data_files name files inside the repo")]


def test_a_glob_matching_everything_warns_of_what_is_no_data():
    files = [f"data/{i}.csv" for i in range(1000)] + ["train.py", "LICENSE", "README.md", ".gitattributes"]
    checked = check([{"config_name": "all", "data_files": "**"}], files)
    assert checked.problems == []
    assert checked.warnings == [((0, "data_files"), "config 'all' names 2 files of no data format the viewer "
                                                    "reads: LICENSE, train.py")]
    assert len(checked.configs[0].splits["train"]) == 1002


def test_a_url_pattern_is_not_checked_and_says_so():
    checked = check([{"config_name": "a", "data_files": "hf://datasets/acme/other/*.csv"}], FILES)
    assert checked.problems == []
    assert checked.warnings == [((0, "data_files"), "'hf://datasets/acme/other/*.csv' names files outside this "
                                                    "repo; not checked")]


def test_a_config_without_data_files_uses_the_layout_of_its_data_dir():
    checked = check([{"config_name": "a", "data_dir": "data"}], FILES)
    assert checked.configs[0].splits == {
        "train": ["data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"],
        "test": ["data/test-00000-of-00001.parquet"]}
    assert problems([{"config_name": "a", "data_dir": "nowhere"}]) == [
        ((0, "data_dir"), "config 'a' declares no data_files and data_dir 'nowhere' holds no data file")]


def test_globs_resolve_as_fsspec_resolves_them():
    """The same files as fsspec's own glob (what ``datasets`` resolves data_files with), then
    ``datasets``' rule for hidden and __special__ parts, on a tree of every kind of name."""
    from pathlib import PurePath

    from fsspec.implementations.memory import MemoryFileSystem

    files = [*FILES, "data/train/a.csv", "data/train/x/b.csv", "train.csv", "a[1].csv", "data/v1.2/c.json",
                     "deep/a/b/c/d.parquet", ".hidden/.x.csv", "__pycache__/sub/y.csv"]
    fs = MemoryFileSystem()
    root = "/fsspec-glob-check"
    for path in files:
        fs.pipe(f"{root}/{path}", b"x")
    patterns = ["*", "**", "*.csv", "**/*.csv", "data/*", "data/**", "data/*/*.csv", "**/train/**", "**/*.parquet",
                "data/train-0000[0-9]-of-*", "data/[!t]*", "?ain.csv", "deep/**/d.parquet", ".*/*", ".*/.*",
                "__*/**", "data/v1.2/*", "train.csv", "README.md", "data/**/*.csv"]

    def hidden(path: str, pattern: str) -> bool:
        count = lambda p: sum(1 for x in PurePath(p).parts if x.startswith(".") and set(x) != {"."})  # noqa: E731
        special = lambda p: sum(1 for x in PurePath(p).parent.parts if x.startswith("__"))  # noqa: E731
        return count(path) != count(pattern) or special(path) != special(pattern)

    try:
        for pattern in patterns:
            found = fs.glob(f"{root}/{pattern}", detail=True)
            expected = sorted(p[len(root) + 1:] for p, info in found.items() if info["type"] == "file"
                              and not hidden(p[len(root) + 1:], pattern)
                              and (p.rsplit("/", 1)[-1] not in {"README.md", "config.json"}
                                   or p.rsplit("/", 1)[-1] == pattern.rsplit("/", 1)[-1]))
            assert sorted(matches(pattern, files)) == expected, pattern
    finally:
        fs.rm(root, recursive=True)


def test_a_double_star_inside_a_name_is_refused_as_fsspec_refuses_it():
    assert problems([{"config_name": "a", "data_files": "data/train**"}]) == [
        ((0, "data_files"), "'data/train**': '**' can only be an entire path component (write 'data/**' or "
                            "'data/train-*')")]
