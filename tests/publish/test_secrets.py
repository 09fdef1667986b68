"""The secret scan alone: every planted secret found, none printed, baselines honoured."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from hfsync.publish.secrets import Baseline, Finding, is_binary, scan_files, scan_path
from tests.helpers import hfsync
from tests.publish.secret_corpus import plants, write


@pytest.fixture
def corpus(tmp_path: Path):
    items = plants()
    write(tmp_path / "src", items)
    return tmp_path / "src", items


def test_every_planted_secret_is_found_with_its_line_and_type(corpus) -> None:
    root, items = corpus
    assert len(items) >= 25
    report = scan_path(root)
    found = {(f.path, f.line, f.type) for f in report.findings}
    missing = [p for p in items if (p.path, p.line, p.type) not in found]
    assert missing == []
    # Every file of the corpus yields at least one finding, and nothing else is reported.
    assert {f.path for f in report.findings} == {p.path for p in items}


def test_scan_command_lists_findings_without_the_secrets(corpus) -> None:
    root, items = corpus
    result = hfsync("scan", str(root))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "hub/token.txt:1: Hugging Face Token (fingerprint " in result.stdout
    assert "ssh/id_rsa:0: Sensitive file name (SSH private key) (fingerprint " in result.stdout
    assert len(lines) == len(scan_path(root).findings)
    assert result.stderr.startswith(f"{len(lines)} possible secrets in {len(items)} files")
    for plant in items:
        if plant.secret:
            assert plant.secret not in result.output


def test_clean_folder_exits_zero() -> None:
    source = Path(__file__).parents[2] / "examples" / "models" / "sentiment-lora"
    result = hfsync("scan", str(source))
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr.startswith("No secrets in ")


def test_fingerprint_is_detect_secrets_hash(tmp_path: Path) -> None:
    import hashlib

    token = "h" + "f_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    (tmp_path / "t.txt").write_text(f"x\n{token}\n")
    (finding,) = [f for f in scan_path(tmp_path).findings if f.type == "Hugging Face Token"]
    assert finding == Finding("t.txt", 2, "Hugging Face Token", hashlib.sha1(token.encode()).hexdigest())


def test_binary_is_decided_by_content_not_extension(tmp_path: Path) -> None:
    token = "h" + "f_" + "Z" * 20 + "y1" * 8
    (tmp_path / "weights.bin").write_text(f"not weights: {token}\n")  # text in a .bin
    (tmp_path / "notes.txt").write_bytes(b"\0\0\0" + token.encode())  # binary in a .txt
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 ".encode("latin-1") + token.encode())
    assert not is_binary(tmp_path / "weights.bin")
    assert is_binary(tmp_path / "notes.txt") and is_binary(tmp_path / "latin1.txt")
    report = scan_path(tmp_path)
    assert [(f.path, f.type) for f in report.findings] == [("weights.bin", "Hugging Face Token")]
    assert report.binary == 2


def test_utf8_character_cut_by_the_first_block_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"a" * 8191 + "é".encode() * 10)  # 'é' straddles byte 8192
    assert not is_binary(path)


def test_large_text_is_scanned_streaming(tmp_path: Path) -> None:
    token = "h" + "f_" + "Q" * 10 + "w9" * 12
    path = tmp_path / "log.txt"
    with open(path, "w") as handle:
        for step in range(120_000):  # ~8 MB
            handle.write(f"step {step} loss 0.{step % 997:03d} lr 3e-4 grad_norm 1.{step % 89}\n")
        handle.write(f"token {token}\n")
    tracemalloc.start()
    report = scan_files(tmp_path, ["log.txt"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [(f.line, f.type) for f in report.findings] == [(120_001, "Hugging Face Token")]
    assert peak < 4 * 1024 * 1024, peak  # bounded by the batch, not the 8 MB file


def test_a_line_without_breaks_is_read_in_pieces(tmp_path: Path) -> None:
    token = "h" + "f_" + "P" * 10 + "k7" * 12
    (tmp_path / "min.json").write_text('{"a": "' + "x " * 1_500_000 + f'", "t": "{token}"}}')
    report = scan_files(tmp_path, ["min.json"])
    assert ("min.json", 1, "Hugging Face Token") in {(f.path, f.line, f.type) for f in report.findings}


def test_a_secret_across_the_cut_of_a_long_line_is_found(tmp_path: Path) -> None:
    token = "h" + "f_" + "Cut" * 12
    cut = 1 << 20  # where a long line is cut into pieces
    (tmp_path / "one.txt").write_text("y" * (cut - 10) + " " + token + " tail\n")
    (finding,) = [f for f in scan_files(tmp_path, ["one.txt"]).findings if f.type == "Hugging Face Token"]
    assert finding.line == 1


def _detect_secrets_baseline(root: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "detect_secrets", "scan", "--all-files"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def test_audited_false_positive_is_silenced_and_others_still_block(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    checksum = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a1c3e5b"
    (src / "dataset_info.json").write_text(f'{{"checksum": "{checksum}"}}\n')
    (src / "train.py").write_text('api_key = "' + "sk" + 'Tr4inS3cretV4lue9xQ"\n')
    baseline = _detect_secrets_baseline(src)
    assert set(baseline["results"]) == {"dataset_info.json", "train.py"}
    for entry in baseline["results"]["dataset_info.json"]:
        entry["is_secret"] = False  # what `detect-secrets audit` records for a false positive
    (src / ".secrets.baseline").write_text(json.dumps(baseline))

    result = hfsync("scan", str(src))
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["train.py"]
    assert "1 allowed by the baseline" in result.stderr

    # An entry marked a real secret, or not audited at all, is no excuse.
    for entry in baseline["results"]["train.py"]:
        entry["is_secret"] = True
    (src / ".secrets.baseline").write_text(json.dumps(baseline))
    assert hfsync("scan", str(src)).exit_code == 1


def test_baseline_elsewhere_resolves_names_from_its_own_folder(tmp_path: Path) -> None:
    src = tmp_path / "models" / "m"
    src.mkdir(parents=True)
    (src / "cfg.py").write_text('X = "' + "0123456789abcdef" * 3 + 'a9"\n')
    (finding,) = scan_path(src).findings
    baseline = {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {
        "models/m/cfg.py": [{"type": finding.type, "filename": "models/m/cfg.py",
                             "hashed_secret": finding.fingerprint, "is_verified": False,
                             "line_number": 9, "is_secret": False}]}}
    (tmp_path / "audited.json").write_text(json.dumps(baseline))
    assert hfsync("scan", str(src), "--baseline", str(tmp_path / "audited.json")).exit_code == 0
    assert Baseline(tmp_path / "audited.json").allows(src / "cfg.py", finding)
    # Without --baseline: the nearest .secrets.baseline up to the git work tree's root,
    # the same one plan and apply use.
    assert hfsync("scan", str(src)).exit_code == 1
    (tmp_path / "audited.json").rename(tmp_path / ".secrets.baseline")
    (tmp_path / ".git").mkdir()
    assert hfsync("scan", str(src)).exit_code == 0


def test_unreadable_baseline_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "b.json").write_text("{not json")
    result = hfsync("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot read secrets baseline {tmp_path / 'b.json'}")
    assert "Traceback" not in result.output
