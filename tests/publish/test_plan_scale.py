"""Plans of many files: one read of the digest cache per run, the Hub's listing compared
page by page, and what the plan finds unchanged by such shortcuts."""

from __future__ import annotations

from huggingface_hub import CommitOperationAdd, HfApi

from hfsync import digests
from hfsync.hub.client import Hub
from hfsync.hub.publish import Publisher
from hfsync.manifest.load import load
from hfsync.model.plan import Action
from hfsync.publish.planner import make_plan


def _item(i: int, edit: int = 0) -> str:
    return f'{{"index": {i}, "edit": {edit}}}\n'


def test_a_plan_opens_the_digest_cache_once(project, sandbox, monkeypatch):
    """Hashes, remembered scan results and judged values all live in one file, opened once
    per run (not once per step that reads it)."""
    for i in range(30):
        project.write(f"data/part-{i:02}.json", _item(i))
    project.yaml("version: 1\nrepos:\n  - id: sandbox/once\n    description: one cache\n"
                 "    card: {metadata: {license: mit, tags: [scale]}}\n    source: {path: data}\n")
    opened = []
    real = digests.DigestCache.__init__
    monkeypatch.setattr(digests.DigestCache, "__init__", lambda self, *a, **k: opened.append(1) or real(self, *a, **k))

    plan = make_plan(load([project.manifest]), Publisher(Hub(sandbox.url, sandbox.token)))

    assert not plan.errors
    assert plan.file_counts()[0] == 31  # and the generated card
    assert len(opened) == 1


def test_a_listing_of_several_pages_is_compared_as_it_arrives(project, sandbox):
    """2,500 published files are listed in three pages of 1,000 and only the edited ones planned."""
    paths = [f"folder-{i // 1250}/item-{i:05}.json" for i in range(2500)]
    for i, path in enumerate(paths):
        project.write(f"data/{path}", _item(i))
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/pages", repo_type="dataset")
    api.create_commit("sandbox/pages", [CommitOperationAdd(p, str(project.root / "data" / p)) for p in paths],
                      commit_message="publish", repo_type="dataset")
    for i in (7, 1400, 2499):
        project.write(f"data/{paths[i]}", _item(i, edit=1))
    project.write("data/README.md", "---\nlicense: mit\n---\n# pages\n")
    api.upload_file(path_or_fileobj=str(project.root / "data/README.md"), path_in_repo="README.md",
                    repo_id="sandbox/pages", repo_type="dataset")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/pages\n    type: dataset\n"
                 "    source: {path: data, prune: true}\n")
    (project.root / "data" / paths[100]).unlink()
    sandbox.reset_stats()

    plan = make_plan(load([project.manifest]), Publisher(Hub(sandbox.url, sandbox.token)))

    (target,) = plan.targets
    assert sorted((f.path, f.action) for f in target.files) == sorted(
        [(paths[i], Action.UPDATE) for i in (7, 1400, 2499)] + [(paths[100], Action.DELETE)])
    assert {f.reason for f in target.files if f.action == Action.UPDATE} == {"content differs"}
    assert sandbox.stats()["routes"]["GET tree"]["requests"] == 3  # 2,500 files and 2 folders: 3 pages


def test_a_cold_plan_reads_each_small_file_once_and_scans_the_bytes_it_hashed(project, sandbox, monkeypatch):
    from hfsync.publish import scan

    for i in range(40):
        project.write(f"data/part-{i:02}.json", _item(i))
    token = "h" + "f_" + "Planted" * 6
    project.write("data/notes.txt", f"login with {token}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/read-once\n    source: {path: data}\n")
    read_again = []
    real = scan._read_start
    monkeypatch.setattr(scan, "_read_start", lambda path: read_again.append(path) or real(path))

    plan = make_plan(load([project.manifest]), Publisher(Hub(sandbox.url, sandbox.token)))

    assert read_again == []
    assert [e for e in plan.errors if "Hugging Face Token" in e and "notes.txt:1" in e]
    assert token not in "".join(plan.errors)


def test_the_bytes_kept_for_the_scan_are_bounded(tmp_path, monkeypatch):
    """Small files only, and no more than KEPT_TOTAL in all: a cold tree of any size is never held."""
    monkeypatch.setattr(digests, "KEPT_FILE", 50)
    monkeypatch.setattr(digests, "KEPT_TOTAL", 120)
    names = [f"f{i}.txt" for i in range(6)]
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(b"x" * (40 if i != 2 else 60))
    kept: dict[str, bytes] = {}

    found = digests.DigestCache(tmp_path / "cache.sqlite").all(tmp_path, names, kept=kept)

    assert [d.size for d in found] == [40, 40, 60, 40, 40, 40]
    assert "f2.txt" not in kept and sum(map(len, kept.values())) <= 120 and len(kept) == 3
    assert all(kept[name] == (tmp_path / name).read_bytes() for name in kept)
