"""hfsync cache ls/prune over files hfsync pulled (dest folders and the HF cache):
LRU order, pins from lock files, base models of kept adapters, the dry run."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, constants, snapshot_download

from tests.helpers import hfsync
from tests.pull.conftest import safetensors_bytes

_names = itertools.count()
T0 = 1_600_000_000  # access times are set explicitly: LRU order is the test's to decide


def tree(root: Path) -> dict[str, int]:
    """Pulled files under ``root`` (a pull's own record of them, in .hfsync/, is not one)."""
    return {str(p.relative_to(root)): p.lstat().st_size for p in sorted(root.rglob("*"))
            if not p.is_dir() and ".hfsync" not in p.relative_to(root).parts}


def touch_all(folder: Path, when: float) -> None:
    """Set the access time of every file (through snapshot links: the blobs) under ``folder``."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


class World:
    """Repos on the sandbox, a project pulling some of them, and an HF cache holding more."""

    def __init__(self, hub, tmp_path: Path) -> None:
        n = next(_names)
        self.api = HfApi(endpoint=hub.url, token=hub.token)
        self.url = hub.url
        self.cache = tmp_path / "hf-cache"
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.base, self.adapter = f"acme/prune-base-{n}", f"acme/prune-adapter-{n}"
        self.moving, self.plain, self.other = f"acme/prune-moving-{n}", f"acme/prune-plain-{n}", f"acme/prune-other-{n}"
        self.commit(self.base, {"model.safetensors": safetensors_bytes({"w": ("F32", [64])}, 1),
                                "config.json": b'{"base": true}\n'})
        self.commit(self.adapter, {
            "adapter_model.safetensors": safetensors_bytes({"a": ("F32", [8])}, 2),
            "adapter_config.json": json.dumps({"base_model_name_or_path": self.base}).encode(),
        })
        self.v1 = self.commit(self.moving, {"model.safetensors": safetensors_bytes({"w": ("F32", [16])}, 3),
                                            "config.json": b'{"shared": true}\n'})
        self.v2 = self.commit(self.moving, {"model.safetensors": safetensors_bytes({"w": ("F32", [16])}, 4)})
        self.commit(self.plain, {"model.safetensors": safetensors_bytes({"w": ("F32", [4])}, 5),
                                 "config.json": b"{}\n"})
        self.commit(self.other, {"model.safetensors": safetensors_bytes({"w": ("F32", [32])}, 6)})

    def commit(self, repo_id: str, files: dict[str, bytes]) -> str:
        self.api.create_repo(repo_id, exist_ok=True)
        operations = [CommitOperationAdd(path, data) for path, data in files.items()]
        return self.api.create_commit(repo_id, operations, commit_message=f"update {repo_id}").oid

    def manifest(self, *pulls: str) -> None:
        entries = {
            "adapter": f"  - id: {self.adapter}\n    cache: true\n",
            "moving": f"  - id: {self.moving}\n    cache: true\n",
            "plain": f"  - id: {self.plain}\n    dest: vendor/plain\n",
        }
        (self.project / "hfsync.yaml").write_text("version: 1\npulls:\n" + "".join(entries[p] for p in pulls))

    def run(self, *args: str):
        return hfsync("--endpoint", self.url, *args)

    def download(self, repo_id: str, revision: str | None = None) -> Path:
        """What transformers or a script would do: huggingface_hub's own download into the cache."""
        return Path(snapshot_download(repo_id, revision=revision, cache_dir=self.cache, endpoint=self.url))

    def snapshot(self, repo_id: str, commit: str) -> Path:
        return self.cache / f"models--{repo_id.replace('/', '--')}" / "snapshots" / commit


@pytest.fixture
def world(sandbox, tmp_path, monkeypatch):
    # A Hub of its own: these repos must not show up in the seeded catalogue's searches.
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    world = World(sandbox, tmp_path)
    monkeypatch.chdir(world.project)
    return world


def pulled(world: World, *pulls: str) -> None:
    world.manifest(*pulls)
    for command in ("lock", "pull"):
        result = world.run(command)
        assert result.exit_code == 0, result.output


def evicted(stdout: str) -> list[str]:
    """The item column of prune's table (each row: last used, size, "evictable", item)."""
    return [line.split(" evictable ", 1)[1].split()[0] for line in stdout.splitlines()[1:-1]]


def listing(world: World) -> list[tuple[str, str]]:
    result = world.run("cache", "ls", "--format", "json")
    assert result.exit_code == 0, result.output
    status = {"pinned": "pinned by {pinned_by}", "protected": "base model of {protected_by}", "evictable": "evictable"}
    return [(item["id"] + ("@" + item["commit"][:8] if item["kind"] == "revision" else ":" + Path(item["path"]).name),
             status[item["state"]].format(**item)) for item in json.loads(result.stdout)["items"]]


def test_prune_keeps_pins_and_the_base_of_a_kept_adapter(world):
    pulled(world, "adapter", "moving", "plain")
    world.download(world.base)  # the adapter's base, fetched outside hfsync
    world.download(world.moving, world.v1)  # an older revision no lock pins
    world.download(world.other)  # something else entirely
    leftover = world.project / "vendor/plain/old.safetensors"  # a file an older pin left behind
    leftover.write_bytes(b"x" * 1000)
    base_commit = world.api.model_info(world.base).sha
    other_commit = world.api.model_info(world.other).sha
    touch_all(world.cache, T0 + 900)
    touch_all(world.project / "vendor", T0 + 900)
    touch_all(world.snapshot(world.base, base_commit), T0 + 100)  # least recently used of all
    touch_all(world.snapshot(world.other, other_commit), T0 + 200)
    touch_all(world.snapshot(world.moving, world.v1), T0 + 300)
    os.utime(leftover, (T0 + 400, T0 + 400))

    listed = listing(world)
    assert listed[:4] == [
        (f"{world.base}@{base_commit[:8]}", f"base model of {world.adapter}"),
        (f"{world.other}@{other_commit[:8]}", "evictable"),
        (f"{world.moving}@{world.v1[:8]}", "evictable"),
        (f"{world.plain}:old.safetensors", "evictable"),
    ]
    assert sorted(listed[4:]) == sorted([  # the rest: used at the same time, all pinned
        (f"{world.adapter}@{world.api.model_info(world.adapter).sha[:8]}", "pinned by hfsync.lock"),
        (f"{world.moving}@{world.v2[:8]}", "pinned by hfsync.lock"),
        *((f"{world.plain}:{name}", "pinned by hfsync.lock")
          for name in (".gitattributes", "config.json", "model.safetensors")),
    ])

    before = tree(world.project), tree(world.cache)
    dry = world.run("cache", "prune", "--max-size", "0", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (tree(world.project), tree(world.cache)) == before  # the dry run deletes nothing
    assert evicted(dry.stdout) == [
        f"{world.other}@{other_commit[:8]}", f"{world.moving}@{world.v1[:8]}", str(leftover)]
    # Freed: the other repo's blobs, v1's own weights (its config.json and .gitattributes are
    # v2's too), the leftover.
    other_repo = world.cache / f"models--{world.other.replace('/', '--')}"
    freed = sum(p.stat().st_size for p in (other_repo / "blobs").iterdir())
    freed += len(safetensors_bytes({"w": ("F32", [16])}, 3)) + 1000
    assert dry.stdout.splitlines()[-1].endswith(f"({freed} bytes) by removing 3 items.")
    assert dry.stdout.splitlines()[-1].startswith("Would free ")
    assert "Still " in dry.stderr and "over --max-size" in dry.stderr

    result = world.run("cache", "prune", "--max-size", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"Freed {freed / 1000:.1f} kB ({freed} bytes) by removing 3 items."
    assert not leftover.exists()
    assert not (world.cache / f"models--{world.other.replace('/', '--')}").exists()
    assert not world.snapshot(world.moving, world.v1).exists()
    assert (world.snapshot(world.moving, world.v2) / "config.json").read_bytes() == b'{"shared": true}\n'
    assert (world.snapshot(world.base, base_commit) / "model.safetensors").is_file()
    assert world.run("verify").exit_code == 0  # everything the lock pins is intact


def test_a_base_model_goes_only_after_the_last_adapter_naming_it(world):
    pulled(world, "plain")  # the adapter is not pinned: it may go too
    world.download(world.base)
    adapter_dir = world.download(world.adapter)
    base_dir = world.snapshot(world.base, world.api.model_info(world.base).sha)
    touch_all(world.cache, T0 + 900)
    touch_all(world.project / "vendor", T0 + 900)
    touch_all(base_dir, T0 + 100)
    touch_all(adapter_dir, time.time() - 60)  # used a minute ago

    # Room for all but one byte: LRU would pick the base, but the kept adapter names it,
    # so the adapter (more recently used) goes instead, and then the base may stay.
    total = sum(p.stat().st_size for p in world.cache.glob("*/blobs/*"))
    total += sum(tree(world.project / "vendor").values())
    result = world.run("cache", "prune", "--max-size", str(total - 1), "--dry-run")
    assert [item.split("@")[0] for item in evicted(result.stdout)] == [world.adapter]

    # Nothing old enough but the base, which the (recent) adapter protects.
    result = world.run("cache", "prune", "--older-than", "1d")
    assert result.stdout == "Freed 0 B (0 bytes) by removing 0 items.\n"
    assert base_dir.is_dir()

    result = world.run("cache", "prune", "--max-size", "0")
    assert [item.split("@")[0] for item in evicted(result.stdout)] == [world.adapter, world.base]
    assert not base_dir.exists() and not adapter_dir.exists()


def test_lru_order_and_older_than(world):
    pulled(world, "plain")
    repos = [world.other, world.base, world.moving]
    dirs = [world.download(repo_id) for repo_id in repos]
    touch_all(world.project / "vendor", T0 + 900)
    for index, folder in enumerate(dirs):
        touch_all(folder, T0 + 100 * (3 - index))  # moving oldest, then base, then other
    sizes = [sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) for folder in dirs]
    total = sum(sizes) + sum(tree(world.project / "vendor").values())
    result = world.run("cache", "prune", "--max-size", str(total - sizes[2] - 1), "--dry-run")
    assert [item.split("@")[0] for item in evicted(result.stdout)] == [world.moving, world.base]
    # Everything here was last used in 2020: --older-than takes all of it but the pinned files.
    result = world.run("cache", "prune", "--older-than", "30d")
    assert result.stdout.endswith("by removing 3 items.\n")
    assert not any(folder.exists() for folder in dirs)
    assert sorted(tree(world.project / "vendor")) == ["plain/.gitattributes", "plain/config.json", "plain/model.safetensors"]


def test_bad_options(world):
    assert world.run("cache", "prune").stderr == (
        "Error: cache prune needs --max-size or --older-than.\n"
        "Hint: For example `hfsync cache prune --max-size 50GB --dry-run`.\n")
    result = world.run("cache", "prune", "--max-size", "lots")
    assert (result.exit_code, result.stderr.splitlines()[0]) == (1, "Error: --max-size: not a size: 'lots'")
    result = world.run("cache", "prune", "--older-than", "soon")
    assert (result.exit_code, result.stderr.splitlines()[0]) == (1, "Error: not an age: 'soon'")


def test_ls_table_and_a_manifest_without_lock(world):
    world.manifest("plain")
    world.run("lock")
    world.run("pull")
    leftover = world.project / "vendor/plain/notes.txt"
    leftover.write_bytes(b"12345")
    os.utime(leftover, (T0, T0))
    result = world.run("cache", "ls")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["last", "used", "size", "status", "item"]
    assert lines[1].split()[1:] == ["days", "ago", "5", "B", "evictable", str(leftover)]
    assert all("pinned by hfsync.lock" in line for line in lines[2:]) and len(lines) == 5
    assert result.stderr.startswith("4 items, ") and result.stderr.endswith(" kB.\n")
    (world.project / "hfsync.lock").unlink()
    result = world.run("cache", "prune", "--older-than", "1w", "--dry-run")
    assert result.stderr.startswith("Note: hfsync.yaml has pulls but no lock file: nothing it pulls is pinned.\n")
    assert evicted(result.stdout) == [str(leftover)]  # the rest was used just now
