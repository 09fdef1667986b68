"""`hfsync pull` over Xet: reconstruction, xorb ranges, and chunks reused from the previous pin."""

from __future__ import annotations

import json
import os

import pytest

from hfsync.hub.xetplan import Piece, Term, plan
from tests.pull.conftest import big_safetensors
from tests.sandbox.xet import MIB
from tests.sandbox.xet import safetensors_like as model_like_bytes

SIZE = 12 * MIB


def safetensors_like(size: int, seed: int) -> bytes:
    """A valid .safetensors file of about ``size`` bytes holding model-like (not constant) data."""
    shell = big_safetensors(size)
    header = 8 + int.from_bytes(shell[:8], "little")
    return shell[:header] + model_like_bytes(len(shell) - header, seed)


def test_plan_copies_what_the_old_terms_place_and_fetches_the_rest():
    old = [Term("x1", 0, 100, 1000), Term("x2", 0, 10, 50)]
    # The new file: chunks 0-40 of x1, a new xorb, chunks 45-100 of x1, then x2 whole.
    new = [Term("x1", 0, 40, 400), Term("n", 0, 3, 30), Term("x1", 45, 100, 560), Term("x2", 0, 10, 50)]
    assert plan(new, old) == [
        Piece(400, 0),
        Piece(30, None, new[1]),
        Piece(560 + 50, 440),  # chunk 45 of x1 starts 1000 - 560 bytes in; x2 follows in both files
    ]


def test_plan_fetches_what_no_term_places():
    old = [Term("x1", 0, 10, 100)]
    new = [Term("x1", 2, 5, 30), Term("x1", 0, 10, 100), Term("x9", 0, 1, 5)]
    # Chunks 2-5 sit somewhere inside the old term, but nothing says where: fetched.
    assert plan(new, old) == [Piece(30, None, new[0]), Piece(100, 0), Piece(5, None, new[2])]
    assert plan(new, []) == [Piece(t.length, None, t) for t in new]


@pytest.fixture
def two_revisions(xet_on, make_repo, project, run):
    """acme/big at v1, pulled into vendor/big; then v2 on the Hub with 1 MiB rewritten in place."""
    v1 = safetensors_like(SIZE, seed=1)
    make_repo("acme/big", {"model.safetensors": v1})
    project.write([{"id": "acme/big", "dest": "vendor/big"}])
    assert run("lock").exit_code == 0
    assert run("pull", "--locked").exit_code == 0
    v2 = bytearray(v1)
    v2[5 * MIB:6 * MIB] = os.urandom(MIB)
    make_repo("acme/big", {"model.safetensors": bytes(v2)})
    assert run("lock", "--update").exit_code == 0
    return v1, bytes(v2)


def xorb_bytes(sandbox) -> int:
    return sandbox.stats()["routes"].get("GET xorb-range", {}).get("bytes_out", 0)


def test_next_revision_fetches_only_the_changed_chunks(two_revisions, sandbox, project, run):
    _, v2 = two_revisions
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == v2
    routes = sandbox.stats()["routes"]
    assert "GET resolve" not in routes and "GET lfs-download" not in routes
    assert routes["GET reconstruction"]["requests"] == 2  # the new pin's and the old copy's
    assert 0 < xorb_bytes(sandbox) < 3 * MIB  # the rewritten MiB and the chunks cut around it
    assert "1 downloaded, " in result.stdout and " fetched." in result.stdout  # the chunks fetched, not the file
    assert run("verify").exit_code == 0
    assert not [p for p in (project.path / "vendor/big").iterdir() if "partial" in p.name]


def test_first_pull_over_xet_reads_xorbs_not_resolve(xet_on, make_repo, project, run, sandbox):
    data = safetensors_like(SIZE, seed=3)
    make_repo("acme/one", {"model.safetensors": data})
    project.write([{"id": "acme/one", "dest": "vendor/one"}])
    assert run("lock").exit_code == 0
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/one/model.safetensors").read_bytes() == data
    routes = sandbox.stats()["routes"]
    assert routes["GET reconstruction"]["requests"] == 1
    assert "GET lfs-download" not in routes
    assert routes["GET resolve"]["bytes_out"] < 4096  # .gitattributes, a regular file
    assert xorb_bytes(sandbox) <= SIZE + 64 * 1024


def test_legacy_client_setting_pulls_through_resolve(two_revisions, sandbox, project, run, monkeypatch):
    from tests.sandbox.xet import xet_off

    xet_off(monkeypatch)
    sandbox.reset_stats()
    assert run("pull", "--locked").exit_code == 0
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == two_revisions[1]
    assert "GET reconstruction" not in sandbox.stats()["routes"]


@pytest.mark.parametrize("fault", [
    {"action": "status", "status": 429, "retry_after": 1, "times": 2},
    {"action": "status", "status": 500, "times": 2},
    {"action": "reset", "after_bytes": 1000, "times": 1},
    {"action": "truncate", "after_bytes": 1000, "times": 1},
    {"action": "corrupt", "after_bytes": 300, "times": 1},
], ids=["429", "500", "reset", "truncate", "corrupt"])
@pytest.mark.parametrize("route", ["/sandbox-xet/xorb/", "/v1/reconstructions/"])
def test_faults_on_xet_routes_converge(two_revisions, sandbox, project, run, fault, route):
    _, v2 = two_revisions
    sandbox.add_faults([{"method": "GET", "path": route, **fault}])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == v2


def test_a_xorb_route_that_keeps_failing_is_one_clear_error(two_revisions, sandbox, project, run):
    v1, _ = two_revisions
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-xet/xorb/", "action": "status", "status": 403,
                         "times": 100}])
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "1 file could not be pulled" in result.stderr and "acme/big/model.safetensors" in result.stderr
    assert "Traceback" not in result.stderr
    # The previous pin's file is untouched; nothing unverified at the final path.
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == v1


def test_a_local_copy_edited_since_is_not_trusted(two_revisions, sandbox, project, run):
    _, v2 = two_revisions
    target = project.path / "vendor/big/model.safetensors"
    edited = bytearray(target.read_bytes())
    edited[9 * MIB:9 * MIB + 10] = b"0123456789"
    target.write_bytes(bytes(edited))
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == v2


def test_cache_layout_reuses_the_previous_snapshot(xet_on, make_repo, project, run, sandbox, tmp_path,
                                                    monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    v1 = safetensors_like(SIZE, seed=4)
    make_repo("acme/c", {"model.safetensors": v1})
    project.write([{"id": "acme/c", "cache": True}])
    assert run("lock").exit_code == 0
    assert run("pull", "--locked").exit_code == 0
    v2 = bytearray(v1)
    v2[2 * MIB:2 * MIB + 4096] = os.urandom(4096)
    make_repo("acme/c", {"model.safetensors": bytes(v2)})
    assert run("lock", "--update").exit_code == 0
    sandbox.reset_stats()
    assert run("pull", "--locked").exit_code == 0
    assert xorb_bytes(sandbox) < 2 * MIB
    snapshots = list((tmp_path / "hf-cache" / "models--acme--c" / "snapshots").iterdir())
    assert sorted((s / "model.safetensors").read_bytes() == bytes(v2) for s in snapshots) == [False, True]


def test_expired_xorb_urls_are_refreshed_from_a_new_reconstruction(xet_on, make_repo, project, run, sandbox):
    data = safetensors_like(3 * MIB, seed=9)
    make_repo("acme/exp", {"model.safetensors": data})
    project.write([{"id": "acme/exp", "dest": "vendor/exp"}])
    assert run("lock").exit_code == 0
    sandbox.settings(expired_urls=1)  # as if the pull had held its reconstruction past the URLs' lifetime
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/exp/model.safetensors").read_bytes() == data
    routes = sandbox.stats()["routes"]
    assert routes["GET reconstruction"]["requests"] == 2  # once more, for fresh URLs
    assert routes["GET xorb-range"]["requests"] == 2  # refused once, then served
    assert xorb_bytes(sandbox) <= len(data) + 64 * 1024


def test_xorb_urls_refused_even_fresh_are_one_clear_error(xet_on, make_repo, project, run, sandbox):
    data = safetensors_like(2 * MIB, seed=10)
    make_repo("acme/exp2", {"model.safetensors": data})
    project.write([{"id": "acme/exp2", "dest": "vendor/exp2"}])
    assert run("lock").exit_code == 0
    sandbox.settings(expired_urls=100)
    result = run("pull", "--locked")
    assert result.exit_code == 1
    assert "1 file could not be pulled" in result.stderr
    assert "the Hub's Xet storage refused a xorb URL (403 Forbidden: Request has expired)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project.path / "vendor/exp2/model.safetensors").exists()
    assert sandbox.stats()["routes"]["GET reconstruction"]["requests"] == 2  # one refresh, not a loop


@pytest.mark.parametrize("route", ["^/sandbox-xet/xorb/", "^/v[12]/reconstructions/"])
def test_429_on_a_xet_route_waits_what_retry_after_says(xet_on, make_repo, project, run, sandbox, route):
    data = safetensors_like(2 * MIB, seed=13)
    make_repo("acme/ra", {"model.safetensors": data})
    project.write([{"id": "acme/ra", "dest": "vendor/ra"}])
    assert run("lock").exit_code == 0
    sandbox.add_faults([{"method": "GET", "path": route, "action": "status", "status": 429, "retry_after": 1}])
    result = run("pull", "--locked", "--parallelism", "1")
    assert result.exit_code == 0, result.output
    assert "HTTP 429; retrying in 1s (attempt 2 of 8)" in result.stderr
    assert (project.path / "vendor/ra/model.safetensors").read_bytes() == data


def test_the_record_gives_the_previous_copy_s_xet_hash_so_it_is_not_hashed(two_revisions, sandbox, project, run,
                                                                          monkeypatch):
    import hf_xet

    state = json.loads((project.path / "vendor/big/.hfsync/state.json").read_text())
    assert len(state["files"]["model.safetensors"]["xet_hash"]) == 64
    assert "xet_hash" not in state["files"][".gitattributes"]  # a regular file has none

    def refuse(paths):
        raise AssertionError(f"hashed {paths}")

    monkeypatch.setattr(hf_xet, "hash_files", refuse)
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == two_revisions[1]
    assert 0 < xorb_bytes(sandbox) < 3 * MIB


def test_a_copy_the_record_says_is_the_previous_pin_is_not_read(two_revisions, sandbox, project, run):
    # The record vouches for the file at its (size, mtime, inode): rewritten in place with its
    # mtime put back, it is still taken for the previous pin's copy, so it is replaced unread.
    _, v2 = two_revisions
    target = project.path / "vendor/big/model.safetensors"
    before = target.stat()
    with open(target, "r+b") as handle:
        handle.write(v2)
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    sandbox.reset_stats()
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert "1 downloaded, " in result.stdout and " fetched." in result.stdout  # the chunks fetched, not the file
    assert target.read_bytes() == v2
    assert run("verify").exit_code == 0


def test_a_slow_xorb_range_does_not_reorder_the_bytes(two_revisions, sandbox, project, run):
    # The changed chunks are fetched while the reused ones are copied; they arrive late.
    _, v2 = two_revisions
    sandbox.add_faults([{"method": "GET", "path": "/sandbox-xet/xorb/", "action": "delay", "seconds": 1.0,
                         "times": 1}])
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/big/model.safetensors").read_bytes() == v2


def bomb_chunk() -> bytes:
    """One xorb chunk whose header says 128 KiB and whose LZ4 frame unpacks to 30 MiB: an LZ4 bomb."""
    from tests.hub.test_xetranges import bomb, header

    frame = bomb(30 << 20)
    return header(len(frame), 1, 128 * 1024) + frame


@pytest.fixture
def bombed(xet_on, make_repo, project, run, sandbox):
    """acme/bomb locked; the Xet storage answers every xorb range with an LZ4 bomb ``times`` times."""
    import base64

    data = safetensors_like(4 * MIB, seed=5)
    make_repo("acme/bomb", {"model.safetensors": data})
    project.write([{"id": "acme/bomb", "dest": "vendor/bomb"}])
    assert run("lock").exit_code == 0

    def arm(times: int) -> bytes:
        sandbox.add_faults([{"method": "GET", "path": "/sandbox-xet/xorb/", "action": "replace",
                             "body": base64.b64encode(bomb_chunk()).decode(), "times": times}])
        return data

    return arm


def test_an_lz4_bomb_once_is_refused_and_the_retry_converges(bombed, project, run):
    data = bombed(1)
    result = run("pull", "--locked")
    assert result.exit_code == 0, result.output
    assert (project.path / "vendor/bomb/model.safetensors").read_bytes() == data


def test_an_lz4_bomb_every_time_fails_the_file_cleanly(bombed, project, run, waitless):
    bombed(1000)
    result = run("pull", "--locked")
    assert result.exit_code == 1, result.output
    assert "1 file could not be pulled" in result.stderr and "acme/bomb/model.safetensors" in result.stderr
    assert ("gave up after 8 attempts; last failure: a xorb chunk unpacks to more than the 131,072 bytes its "
            "header declares") in result.stderr
    assert "Traceback" not in result.stderr
    dest = project.path / "vendor/bomb"
    assert not (dest / "model.safetensors").exists()  # nothing installed, nothing half-written at the final path
