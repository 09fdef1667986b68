"""Selection: globs, safetensors first, pickle refused by name, GGUF variants, hostile paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.errors import PolicyError
from hfsync.lock.selection import mem_available, quant_label, select, unsafe_path_reason
from hfsync.manifest.model import Location, Pull
from hfsync.model.lock import LockedFile

GIB = 2**30


def files(*specs) -> list[LockedFile]:
    out = []
    for spec in specs:
        path, size = spec if isinstance(spec, tuple) else (spec, 10)
        out.append(LockedFile(path, size, sha256="a" * 64))
    return out


def pull(**kw) -> Pull:
    return Pull(id="acme/m1", type="model", location=Location(Path("hfsync.yaml"), 4, 5), dest=Path("v"), **kw)


def paths(selection) -> list[str]:
    return [f.path for f in selection.files]


def test_include_and_exclude_globs():
    listing = files("config.json", "model.safetensors", "docs/a.md", "onnx/model.onnx", "sub/x.json")
    chosen = select(listing, pull(include=("*.json", "*.safetensors", "onnx/"), exclude=("sub/*",)), allow_unsafe=False)
    assert paths(chosen) == ["config.json", "model.safetensors", "onnx/model.onnx"]


def test_pickle_duplicates_are_left_out_when_safetensors_exist():
    listing = files("model.safetensors", "pytorch_model.bin", "training_args.bin", "original/consolidated.00.pth",
                    "config.json")
    chosen = select(listing, pull(), allow_unsafe=False)
    assert paths(chosen) == ["config.json", "model.safetensors"]
    assert chosen.left_out == ("original/consolidated.00.pth", "pytorch_model.bin", "training_args.bin")


def test_pickle_only_is_refused_naming_every_file_and_the_override():
    listing = files("pytorch_model.bin", "extra.pkl", "scaler.joblib", "config.json")
    with pytest.raises(PolicyError) as caught:
        select(listing, pull(), allow_unsafe=False)
    assert caught.value.message == (
        "pull 'acme/m1' (hfsync.yaml:4:5) needs files that load through pickle and can run code when loaded, "
        "and no .safetensors weights replace them:\n  extra.pkl\n  pytorch_model.bin\n  scaler.joblib"
    )
    assert "`allow_unsafe: true`" in caught.value.hint and "`--allow-unsafe`" in caught.value.hint


def test_allow_unsafe_keeps_what_the_globs_select():
    listing = files("pytorch_model.bin", "model.safetensors")
    assert paths(select(listing, pull(), allow_unsafe=True)) == ["model.safetensors", "pytorch_model.bin"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../../x", "has an empty, '.' or '..' segment"),
        ("a/../../x", "has an empty, '.' or '..' segment"),
        ("/etc/passwd", "is absolute"),
        ("C:/x", "is absolute"),
        ("a\\..\\x", "contains a backslash"),
        ("a//b", "has an empty, '.' or '..' segment"),
        ("", "empty or contains NUL"),
        ("a\0b", "empty or contains NUL"),
        (".cache/huggingface/x", "is inside a folder hfsync and huggingface_hub keep for themselves"),
        ("ok/file.json", None),
        (".gitattributes", None),
    ],
)
def test_unsafe_paths(path, reason):
    assert unsafe_path_reason(path) == reason


GGUF = files(("m-Q2_K.gguf", 3 * GIB), ("m-Q4_K_M.gguf", 5 * GIB), ("m-Q8_0.gguf", 8 * GIB),
             ("f16/m-F16-00001-of-00002.gguf", 8 * GIB), ("f16/m-F16-00002-of-00002.gguf", 8 * GIB),
             ("mmproj-m-f16.gguf", GIB // 2), ("README.md", 100))


def test_gguf_auto_picks_the_highest_precision_that_fits_max_memory():
    chosen = select(GGUF, pull(variant="auto", max_memory=10 * GIB), allow_unsafe=False)
    assert paths(chosen) == ["README.md", "m-Q8_0.gguf", "mmproj-m-f16.gguf"]
    assert chosen.variant.name == "m-Q8_0.gguf"
    assert chosen.variant.reason == (
        "highest-precision GGUF variant that fits in 10.0 GiB (max_memory): Q8_0 (8.0 GiB); F16 (16.0 GiB) does not fit"
    )


def test_gguf_auto_uses_available_memory_with_headroom_and_groups_shards():
    chosen = select(GGUF, pull(variant="auto"), allow_unsafe=False, memory=20 * GIB)
    assert chosen.variant.name == "f16/m-F16.gguf"
    assert "f16/m-F16-00002-of-00002.gguf" in paths(chosen)
    assert "90% of this machine's available memory" in chosen.variant.reason
    assert select(GGUF, pull(variant="auto"), allow_unsafe=False, memory=17 * GIB).variant.name == "m-Q8_0.gguf"


def test_gguf_nothing_fits_or_memory_unknown():
    with pytest.raises(PolicyError, match=r"no GGUF variant fits in 1\.0 GiB \(max_memory\); variants: F16 \(16\.0 GiB\)"):
        select(GGUF, pull(variant="auto", max_memory=GIB), allow_unsafe=False)
    with pytest.raises(PolicyError, match="available memory is unknown"):
        select(GGUF, pull(variant="auto"), allow_unsafe=False, memory=None)
    with pytest.raises(PolicyError, match=r"sets variant: auto, but the selected files hold no \.gguf file"):
        select(files("a.json"), pull(variant="auto", max_memory=GIB), allow_unsafe=False)


def test_gguf_named_variant():
    chosen = select(GGUF, pull(variant="Q4_K_M"), allow_unsafe=False)
    assert chosen.variant.name == "m-Q4_K_M.gguf" and chosen.variant.reason.startswith("named in the manifest: Q4_K_M")
    with pytest.raises(PolicyError, match="variant 'Q5_K_M' matches no GGUF variant"):
        select(GGUF, pull(variant="Q5_K_M"), allow_unsafe=False)


def test_quant_labels():
    assert quant_label("Llama-3-8B-Instruct-Q4_K_M.gguf") == "Q4_K_M"
    assert quant_label("model.IQ3_XS.gguf") == "IQ3_XS"
    assert quant_label("m-bf16-00001-of-00003.gguf") == "BF16"
    assert quant_label("weird.gguf") == "weird"


def test_mem_available(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n")
    assert mem_available(str(meminfo)) == 1024000
    assert mem_available(str(tmp_path / "missing")) is None
