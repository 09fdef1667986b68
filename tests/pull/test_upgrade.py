"""`hfsync upgrade` against the sandbox: pins moved, what changed upstream, policy held, requests counted."""

from __future__ import annotations

from pathlib import Path

import yaml

from hfsync.model.inspect import Entry, FileDiff
from hfsync.model.upgrade import ContentMove, FileMove, PullMove, UpgradeReport, UpstreamCommit
from hfsync.render.upgrade import markdown
from tests.pull.conftest import safetensors_bytes

CARD = "---\nlicense: {}\n---\n# m1\n"


def seed(make_repo, hub):
    first = make_repo("acme/m1", {
        "README.md": CARD.format("apache-2.0").encode(),
        "config.json": b'{"hidden_size": 4}\n',
        "model.safetensors": safetensors_bytes({"w": ("F32", [4, 4]), "b": ("F32", [4])}),
        "old.json": b"{}\n",
    }, message="First weights")
    return first


def bump(make_repo, hub, license_id="apache-2.0"):
    make_repo("acme/m1", {"config.json": b'{"hidden_size": 8}\n'}, message="Wider config")
    hub.delete_file("old.json", "acme/m1", commit_message="Drop old.json")
    return make_repo("acme/m1", {
        "README.md": CARD.format(license_id).encode(),
        "model.safetensors": safetensors_bytes({"w": ("BF16", [8, 4]), "head": ("F32", [8])}),
        "tokenizer.json": b'{"vocab": {}}\n',
    }, message="New weights")


def test_upgrade_moves_the_pin_and_says_what_changed(sandbox, hub, make_repo, project, run):
    first = seed(make_repo, hub)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], policy={"licenses": ["apache-2.0"]})
    assert run("lock").exit_code == 0
    last = bump(make_repo, hub)

    sandbox.reset_stats()
    result = run("upgrade")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"acme/m1: main {first[:12]} -> {last[:12]} (3 commits; files: 1 added, 2 changed, "
                          "1 removed;")
    assert "New weights" in out and "Wider config" in out and "Drop old.json" in out and "First weights" not in out
    assert "  + tokenizer.json (14 B)" in out
    assert "  - old.json (3 B)" in out
    assert "  ~ config.json (20 B -> 20 B)" in out or "  ~ config.json (" in out
    assert "  ~ model.safetensors (" in out
    assert '      - tensor.b    = "F32 [4]" -> null' in out
    assert '      + tensor.head = "F32 [8]"' in out
    assert '      ~ tensor.w    = "F32 [4, 4]" -> "BF16 [8, 4]"' in out
    assert '      ~ parameters  = "20" -> "40"' in out
    assert "      ~ hidden_size = 4 -> 8" in out
    assert "Upgrade of hfsync.yaml: 1 moved, 0 held back by policy, 0 current; wrote" in out
    lock = yaml.safe_load(project.lock.read_text())
    assert lock["pulls"][0]["commit"] == last
    routes = sandbox.stats()["routes"]
    # Each side of each changed file read once (the header of the safetensors file, which fits
    # the first read), the added file once: nothing else downloaded.
    assert routes["GET resolve"]["requests"] == 2 * 2 + 1
    assert routes["GET lfs-download"]["bytes_out"] < 2 * 1024
    assert routes["GET commits"]["requests"] == 1

    sandbox.reset_stats()
    result = run("upgrade")
    assert result.exit_code == 0
    assert result.stdout == "Upgrade of hfsync.yaml: 0 moved, 0 held back by policy, 1 current; hfsync.lock unchanged.\n"
    assert set(sandbox.stats()["routes"]) == {"GET repo-info"}  # the tree of a known commit is cached


def test_a_move_that_breaks_the_policy_is_held_unless_allowed(sandbox, hub, make_repo, project, run, tmp_path):
    first = seed(make_repo, hub)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}], policy={"licenses": ["apache-2.0"]})
    assert run("lock").exit_code == 0
    before = project.lock.read_text()
    last = bump(make_repo, hub, license_id="cc-by-nc-4.0")
    summary = tmp_path / "summary.md"
    result = run("upgrade", "--summary-file", str(summary))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"HELD acme/m1: main {first[:12]} -> {last[:12]}")
    assert "  license: apache-2.0 -> cc-by-nc-4.0" in result.stdout
    assert ("  policy: pull 'acme/m1' has license 'cc-by-nc-4.0', which policy.licenses does not allow (apache-2.0)"
            in result.stdout)
    assert "1 held back by policy" in result.stdout
    assert project.lock.read_text() == before
    text = summary.read_text()
    assert "| `acme/m1` | main |" in text and "❌ held" in text
    assert "**License**: apache-2.0 -> cc-by-nc-4.0" in text

    result = run("upgrade", "--allow-policy-violations")
    assert result.exit_code == 0, result.output
    assert "Upgrade of hfsync.yaml: 1 moved" in result.stdout
    assert yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"] == last


def test_upgrade_of_named_pulls_only_and_of_a_pull_never_locked(sandbox, hub, make_repo, project, run):
    seed(make_repo, hub)
    make_repo("acme/m2", {"config.json": b"{}\n"})
    project.write([{"id": "acme/m1", "dest": "a"}, {"id": "acme/m2", "dest": "b"}])
    assert run("lock").exit_code == 0
    bump(make_repo, hub)
    make_repo("acme/m2", {"config.json": b'{"x": 1}\n'})
    result = run("upgrade", "acme/m2")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("acme/m2: main ")
    assert "acme/m1" not in result.stdout
    result = run("upgrade", "acme/nope")
    assert result.exit_code == 1 and "no pull named 'acme/nope'" in result.stderr


def test_markdown_stays_within_the_limit_and_keeps_the_table():
    commits = tuple(UpstreamCommit(f"{i:040x}", f"commit {i} " + "x" * 80, ("alice",), "2026-12-01T00:00:00Z")
                    for i in range(200))
    tensors = (ContentMove("model.safetensors", FileDiff(
        "safetensors", tuple(Entry(f"tensor.t{i}", "F32 [4]", "BF16 [4]") for i in range(300)))),)
    moves = [PullMove(f"acme/m{i}", "main", "a" * 40, "b" * 40, commits, False,
                      (FileMove("model.safetensors", 10, 20),), ("mit", "mit"), tensors, (), False, (10, 20))
             for i in range(10)]
    report = UpgradeReport(Path("hfsync.yaml"), Path("hfsync.lock"), moves)
    full = markdown(report, limit=10**9)
    assert len(full) > 65_536 and full.count("<details>") == 10
    text = markdown(report)
    assert len(text) <= 65_536
    assert all(f"| `acme/m{i}` |" in text for i in range(10))
    assert "cut to fit GitHub's limit" in text
    assert text.count("```diff") == text.count("```") // 2  # every code block closed
    small = markdown(report, limit=3_000)
    assert len(small) <= 3_000 and "| `acme/m9` |" in small


def test_a_safetensors_file_whose_header_is_unchanged_says_its_tensor_data_changed(hub, make_repo, project, run):
    make_repo("acme/m1", {"model.safetensors": safetensors_bytes({"w": ("F32", [4])}, fill=1)})
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    make_repo("acme/m1", {"model.safetensors": safetensors_bytes({"w": ("F32", [4])}, fill=2)})
    result = run("upgrade")
    assert result.exit_code == 0, result.output
    assert ")\n      # tensor data changed, header unchanged\n" in result.stdout.split("  ~ model.safetensors (", 1)[1]
