"""What the plan says the Hub will think, and how a change is cut into commits."""

from __future__ import annotations

from hfsync.model.plan import Action, FileChange, TargetChange
from hfsync.publish.batches import batches_of, hub_notes, identity, split

GB = 1000**3


def _add(path: str, size: int = 1) -> FileChange:
    return FileChange(path, Action.CREATE, size, False, sha256="0" * 64)


def _target(files, commit_files: int = 100, commit_bytes: int = 10 * GB, head: str = "a" * 40) -> TargetChange:
    return TargetChange("d", "acme/d", "dataset", "main", Action.UPDATE, head=head, files=tuple(files),
                        commit_files=commit_files, commit_bytes=commit_bytes)


def test_batches_keep_to_files_and_bytes_and_a_big_file_goes_alone():
    files = [_add("a", 4), _add("b", 4), _add("c", 9), _add("d", 1), FileChange("e", Action.DELETE, 0, False)]
    assert [[f.path for f in b] for b in split(files, 3, 8)] == [["a", "b"], ["c"], ["d", "e"]]
    assert [[f.path for f in b] for b in split(files, 0, 0)] == [["a", "b", "c", "d", "e"]]


def test_a_change_within_the_budget_is_one_commit_and_the_plan_says_nothing():
    target = _target([_add(f"f{i}") for i in range(100)])
    assert len(batches_of(target)) == 1
    assert hub_notes(target, []) == ([], [])


def test_the_plan_says_how_many_commits_a_change_over_the_budget_takes():
    reasons, warnings = hub_notes(_target([_add(f"f{i}") for i in range(250)]), [])
    assert reasons == ["applied in 3 commits of <=100 files, <=10.0 GB through a pull request; main moves once, "
                       "when it is merged"]
    assert warnings == []


def test_a_crowded_folder_counts_what_the_hub_holds_already():
    remote = [f"imgs/{i}.png" for i in range(9_999)]
    _, warnings = hub_notes(_target([_add("imgs/new-1.png"), _add("imgs/new-2.png")]), remote)
    assert warnings == ["folder imgs would hold 10,001 entries; the Hub recommends under 10,000 a folder "
                        "(use subfolders)"]
    deleting = _target([_add("imgs/new.png"), FileChange("imgs/0.png", Action.DELETE, 0, False)])
    assert hub_notes(deleting, remote) == ([], [])


def test_a_repo_over_the_recommended_file_count_is_said():
    remote = [f"shard-{i // 5000:02d}/{i}.txt" for i in range(100_000)]
    _, warnings = hub_notes(_target([_add("one-more.txt")]), remote)
    assert warnings == ["the repo would hold 100,001 files; the Hub recommends under 100,000 (merge small files "
                        "into fewer, e.g. Parquet or WebDataset shards)"]


def test_files_over_the_size_limits_are_said():
    _, warnings = hub_notes(_target([_add("big.bin", 21 * GB), _add("huge.bin", 51 * GB)], commit_bytes=0), [])
    assert warnings == ["big.bin is 21.0 GB; the Hub recommends files under 20 GB (split it into chunked files)",
                        "huge.bin is 51.0 GB; the Hub refuses files over 50 GB (split it into chunked files)"]


def test_a_thousand_deep_path_is_one_entry_per_folder():
    deep = "/".join(f"d{i}" for i in range(1000)) + "/leaf.txt"
    target = _target([_add(deep)])
    assert hub_notes(target, []) == ([], [])
    assert [[f.path for f in b] for b in batches_of(target)] == [[deep]]


def test_a_hundred_thousand_names_differing_only_in_case_are_each_their_own_file():
    # 17 letters of free case: 131,072 distinct names of one spelling; take 100,000.
    names = [("".join(c.upper() if n >> i & 1 else c for i, c in enumerate("abcdefghijklmnopq")))
             for n in range(100_000)]
    target = _target([_add(f"{name}/x") for name in names])
    batches = batches_of(target)
    assert len(batches) == 1_000 and sum(len(b) for b in batches) == 100_000
    reasons, warnings = hub_notes(target, [])
    assert reasons[0].startswith("applied in 1000 commits")
    assert warnings == ["folder / would hold 100,000 entries; the Hub recommends under 10,000 a folder "
                        "(use subfolders)"]


def test_the_identity_names_the_change_not_just_the_repo():
    one, start = _target([_add("a")]), "a" * 40
    assert identity(one, start) == identity(_target([_add("a")], head=None), start)  # the repo made by a killed run
    assert identity(one, start) != identity(one, "b" * 40)
    assert identity(one, start) != identity(_target([FileChange("a", Action.CREATE, 1, False, sha256="1" * 64)]),
                                            start)
