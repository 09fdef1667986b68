"""An upgrade summary shows what changed inside the files, as a plan does: JSON keys, the card,
tensors, GGUF keys, tabular columns and rows; read with bounded requests, never a flagged secret."""

from __future__ import annotations

import json

from tests.inspect.samples import gguf_bytes
from tests.pull.conftest import safetensors_bytes

TOKEN = "h" + "f_" + "Qx7Rk2Lm9Vb4Tz8Wc1Np5Yd3Hs6Jf0GuAe"


def before() -> dict[str, bytes]:
    return {
        "config.json": json.dumps({"hidden_size": 8, "num_labels": 2}, indent=2).encode(),
        "README.md": b"---\nlicense: mit\n---\n# m1\n\nA small model.\n",
        "model.safetensors": safetensors_bytes({"w": ("F32", [4, 4])}),
        "m.gguf": gguf_bytes({"llama.context_length": 2048}, {"tok_embd": ("F16", [8, 4])}),
        "train.csv": b"text,label\ngood,1\nbad,0\n",
        "notes.txt": b"hello\n",
    }


def after() -> dict[str, bytes]:
    return {
        "config.json": json.dumps({"hidden_size": 8, "num_labels": 3}, indent=2).encode(),
        "README.md": b"---\nlicense: mit\n---\n# m1\n\nA small model, now with three labels.\n",
        "model.safetensors": safetensors_bytes({"w": ("BF16", [4, 4])}),
        "m.gguf": gguf_bytes({"llama.context_length": 4096}, {"tok_embd": ("F16", [8, 4])}),
        "train.csv": b"text,label\ngood,1\nbad,0\nfine,1\n",
        "notes.txt": f"hello\ntoken = {TOKEN}\n".encode(),
        "generation_config.json": b'{"max_length": 20}\n',
    }


def moved(make_repo, project, run) -> None:
    make_repo("acme/m1", before())
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])
    assert run("lock").exit_code == 0
    make_repo("acme/m1", after(), message="Three labels")


def test_the_summary_shows_what_changed_inside_each_file(sandbox, make_repo, project, run):
    moved(make_repo, project, run)
    sandbox.reset_stats()
    result = run("upgrade")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "  ~ config.json (" in out and "\n      ~ num_labels = 2 -> 3\n" in out
    assert "\n      - A small model.\n      + A small model, now with three labels.\n" in out
    assert '\n      ~ tensor.w   = "F32 [4, 4]" -> "BF16 [4, 4]"\n' in out
    assert "\n      ~ kv.llama.context_length = 2048 -> 4096\n" in out
    assert "\n      ~ rows = 2 -> 3\n" in out
    assert "  + generation_config.json (19 B)\n      + max_length = 20\n" in out
    assert TOKEN not in result.output
    assert "      # withheld: the diff holds a possible secret (Hugging Face Token); no line of it is shown\n" in out
    routes = sandbox.stats()["routes"]
    # Every side of every changed file read once (headers at most twice), nothing else: 5 changed
    # files on two sides and one added file, and the safetensors and GGUF headers by Range.
    assert routes["GET resolve"]["requests"] <= 2 * 6 + 1 + 2
    assert routes.get("GET lfs-download", {"bytes_out": 0})["bytes_out"] < 64 * 1024 * 4


def test_the_markdown_summary_shows_them_too(make_repo, project, run, tmp_path):
    moved(make_repo, project, run)
    summary = tmp_path / "summary.md"
    result = run("upgrade", "--summary-file", str(summary))
    assert result.exit_code == 0, result.output
    text = summary.read_text()
    assert "!         num_labels = 2 -> 3" in text
    assert '!         tensor.w   = "F32 [4, 4]" -> "BF16 [4, 4]"' in text
    assert TOKEN not in text


def test_the_json_report_carries_them(make_repo, project, run):
    moved(make_repo, project, run)
    result = run("upgrade", "--format", "json")
    assert result.exit_code == 0, result.output
    [move] = json.loads(result.stdout)["manifests"][0]["moves"]
    contents = {c["path"]: c for c in move["contents"]}
    assert contents["config.json"]["kind"] == "json"
    assert contents["config.json"]["entries"] == [{"key": "num_labels", "old": 2, "new": 3}]
    assert contents["notes.txt"]["note"].startswith("withheld: the diff holds a possible secret")
    assert TOKEN not in result.output
