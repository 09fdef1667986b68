"""Symbolic links in a source folder: followed to their content, or refused by name; never skipped."""

from __future__ import annotations

import os

from huggingface_hub import HfApi

MANIFEST = """version: 1
repos:
  - id: sandbox/snap
    source: {{path: {path}}}
    card: {{generate: false}}
"""


def hub_files(sandbox) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    paths = [p for p in api.list_repo_files("sandbox/snap") if p != ".gitattributes"]
    return {p: open(api.hf_hub_download("sandbox/snap", p), "rb").read() for p in paths}


def cache_snapshot(p) -> str:  # type: ignore[no-untyped-def]
    """An HF cache snapshot: every file a relative link into ../../blobs."""
    p.write("cache/models--acme--m/blobs/1111", '{"a": 1}\n')
    p.write("cache/models--acme--m/blobs/2222", b"\x00weights" * 1000)
    snap = p.root / "cache/models--acme--m/snapshots/abc"
    (snap / "sub").mkdir(parents=True)
    os.symlink("../../blobs/1111", snap / "config.json")
    os.symlink("../../../blobs/2222", snap / "sub/model.safetensors")
    return "cache/models--acme--m/snapshots/abc"


def test_a_cache_snapshot_publishes_the_content_its_links_point_to(project, sandbox):
    p = project
    p.yaml(MANIFEST.format(path=cache_snapshot(p)))
    plan = p.plan()
    assert plan.exit_code == 0, plan.output
    assert 'file "config.json" (9 B, regular, via link to ../../blobs/1111)' in plan.stdout
    assert 'file "sub/model.safetensors" (8.0 kB, lfs, via link to ../../../blobs/2222)' in plan.stdout
    applied = p.apply()
    assert applied.exit_code == 0, applied.output
    assert hub_files(sandbox) == {"config.json": b'{"a": 1}\n', "sub/model.safetensors": b"\x00weights" * 1000}
    assert p.plan("--detailed-exitcode").stdout == "No changes.\n"


def test_a_link_out_of_the_repository_is_an_error_naming_it(project, tmp_path):
    p = project
    (tmp_path / "outside.txt").write_text("not declared\n")
    p.write("m/ok.txt", "ok\n")
    os.symlink(tmp_path / "outside.txt", p.root / "m/stray.txt")
    p.yaml(MANIFEST.format(path="m"))
    for result in (p.plan(), p.apply()):
        assert result.exit_code == 1
        assert (f"m/stray.txt is a symbolic link to {tmp_path / 'outside.txt'}, outside {p.root}"
                in " ".join(result.output.split())), result.output
        assert "cp -L" in result.output and "source.exclude" in result.output


def test_a_dangling_link_and_a_loop_are_errors_naming_them(project):
    p = project
    p.write("m/ok.txt", "ok\n")
    os.symlink("gone.bin", p.root / "m/dangling.bin")
    p.yaml(MANIFEST.format(path="m"))
    result = p.plan()
    assert result.exit_code == 1
    assert "m/dangling.bin is a symbolic link to gone.bin, which does not exist" in " ".join(result.output.split())
    os.remove(p.root / "m/dangling.bin")
    os.symlink(".", p.root / "m/again")
    result = p.plan()
    assert result.exit_code == 1
    assert "m/again is a symbolic link that leads back into m" in " ".join(result.output.split()), result.output
    os.remove(p.root / "m/again")
    (p.root / "m/b").mkdir()
    os.symlink("b", p.root / "m/a")
    os.symlink("../a", p.root / "m/b/c")  # m/b/c -> m/a -> m/b
    result = p.plan()
    assert result.exit_code == 1 and "is a symbolic link that leads back into m/b" in result.output, result.output
    os.remove(p.root / "m/b/c")
    os.symlink("b.txt", p.root / "m/a.txt")
    os.symlink("a.txt", p.root / "m/b.txt")
    result = p.apply()
    assert result.exit_code == 1
    assert "is a symbolic link in a loop of links" in result.output


def test_a_link_the_manifest_excludes_is_left_out(project, tmp_path):
    p = project
    p.write("m/ok.txt", "ok\n")
    os.symlink("gone.bin", p.root / "m/dangling.bin")
    os.symlink(tmp_path, p.root / "m/far")
    p.yaml(MANIFEST.format(path="m").replace("{path: m}", "{path: m, exclude: ['*.bin', 'far/*']}"))
    result = p.plan()
    assert result.exit_code == 0, result.output
    assert 'file "ok.txt"' in result.stdout and "dangling" not in result.stdout and "far" not in result.stdout


def test_a_linked_folder_inside_the_repository_is_followed(project, sandbox):
    p = project
    p.write("shared/tokenizer.json", "{}\n")
    p.write("m/ok.txt", "ok\n")
    os.symlink("../shared", p.root / "m/tok")
    p.yaml(MANIFEST.format(path="m"))
    result = p.plan()
    assert 'file "tok/tokenizer.json" (3 B, regular, via link to ../shared)' in result.stdout, result.output
    assert p.apply().exit_code == 0
    assert hub_files(sandbox) == {"ok.txt": b"ok\n", "tok/tokenizer.json": b"{}\n"}


def test_validate_names_a_link_it_cannot_publish_and_the_fix(project):
    p = project
    p.write("m/ok.txt", "ok\n")
    os.symlink("gone.bin", p.root / "m/dangling.bin")
    p.yaml(MANIFEST.format(path="m"))
    result = p.run("validate", "-f", str(p.manifest))
    assert result.exit_code == 1
    assert (f"{p.manifest}:3: m/dangling.bin is a symbolic link to gone.bin, which does not exist. "
            "Point it at the file, remove it, or leave it out with source.exclude.") in result.stderr
