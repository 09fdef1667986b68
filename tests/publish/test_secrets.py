"""The secret scan alone: every planted secret found, none printed, baselines honoured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from hfsync.publish.baseline import Baseline
from hfsync.publish.scan import scan_files, scan_path
from hfsync.publish.secrets import Finding
from hfsync.publish.textfile import is_binary
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
    assert result.stderr.startswith(f"{len(lines)} possible secrets in {len(items)} files ({len(items)} files scanned")
    # ... and how to resolve one: remove it, leave the file out, or audit a false positive
    hint = result.stderr.splitlines()[-1]
    assert hint.startswith("Hint: Remove the secret (and rotate it")
    assert "`source.exclude: [\"PATH\"]`" in hint
    assert "`detect-secrets scan --baseline .secrets.baseline SOURCE`" in hint and "detect-secrets audit" in hint
    for plant in items:
        if plant.secret:
            assert plant.secret not in result.output


def test_scan_counts_files_scanned_apart_from_files_with_findings(tmp_path: Path) -> None:
    import json

    (tmp_path / "a.py").write_text('token = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"\n')
    (tmp_path / "b.txt").write_text("hi\n")
    (tmp_path / "c.txt").write_text("x\n")
    result = hfsync("scan", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "2 possible secrets in 1 file (3 files scanned, 0 binary)."
    report = json.loads(hfsync("scan", str(tmp_path), "--format", "json").stdout)
    assert (report["files"], report["files_with_findings"]) == (3, 1)


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
    assert not is_binary(tmp_path / "weights.bin") and not is_binary(tmp_path / "latin1.txt")
    assert is_binary(tmp_path / "notes.txt")
    report = scan_path(tmp_path)
    assert [(f.path, f.type) for f in report.findings] == [("latin1.txt", "Hugging Face Token"),
                                                           ("weights.bin", "Hugging Face Token")]
    assert report.binary == 1


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
    (tmp_path / "warm.txt").write_text("x = 1\n")
    scan_files(tmp_path, ["warm.txt"])  # the scanner's imports and rules are loaded before measuring
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


def _one_long_line(path: Path, size: int, planted: dict[int, str]) -> None:
    """A single line of ``size`` characters with no break, each secret at its offset, written streaming."""
    at = 0
    with open(path, "w") as handle:
        for offset, secret in sorted(planted.items()):
            handle.write("x" * (offset - at - 1) + " " + secret + " ")
            at = offset + len(secret) + 1
        handle.write("x" * (size - at))


def test_secrets_anywhere_in_a_20_mb_line_are_each_found_once_in_bounded_memory(tmp_path: Path) -> None:
    from hfsync.publish.secrets import fingerprint
    from hfsync.publish.textfile import OVERLAP, WINDOW

    def token(stem: str) -> str:
        return "h" + "f_" + (stem * 60)[:60]

    planted = {
        1: token("Start"),
        10_000_000: token("Middle"),
        20_000_000 - 80: token("End"),
        # Cut by the window boundary, with more than a whole token's worth before the cut.
        3 * WINDOW - 45: token("Straddle"),
        # Across the start of the characters two windows share: whole in the first.
        5 * WINDOW - OVERLAP - 20: token("Shared"),
    }
    _one_long_line(tmp_path / "one.txt", 20_000_000, planted)
    tracemalloc.start()
    report = scan_files(tmp_path, ["one.txt"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Each one exactly once, whole (a cut copy would have another fingerprint).
    assert report.findings == sorted(Finding("one.txt", 1, "Hugging Face Token", fingerprint(secret))
                                     for secret in planted.values())
    assert peak < 16 * 1024 * 1024, peak  # a few windows, not the 20 MB line


def test_a_20_mb_line_without_a_secret_has_no_finding_in_bounded_memory(tmp_path: Path) -> None:
    _one_long_line(tmp_path / "one.txt", 20_000_000, {})
    tracemalloc.start()
    report = scan_files(tmp_path, ["one.txt"])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.findings == [] and report.files == 1 and report.bytes == 20_000_000
    assert peak < 16 * 1024 * 1024, peak


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
    assert Baseline(tmp_path / "audited.json").allows(src / "cfg.py", finding.type, finding.fingerprint)
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


HF = "h" + "f_" + "Kq7Lm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef7Gh9Jk"
GH = "github" + "_pat_" + "11ABCDEFG0123456789abc_" + "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm"


@pytest.mark.parametrize("line", [
    f'api = HfApi(token="{HF}")',
    f'model = AutoModel.from_pretrained("acme/m", token="{HF}")',
    f'token = os.environ.get("HF_TOKEN", "{HF}")',
    f'login(token=get_token() or "{HF}")',
    f"headers = {{'Authorization': f'Bearer {HF}'}}",
    f"HF_TOKEN={HF}",
])
def test_hugging_face_tokens_are_found_inside_assignments_and_calls(tmp_path: Path, line: str) -> None:
    (tmp_path / "train.py").write_text(f"import os\n{line}\n")
    report = scan_path(tmp_path)
    assert [(f.path, f.line, f.type) for f in report.findings] == [("train.py", 2, "Hugging Face Token")]
    assert all(HF not in str(f) for f in report.findings)


@pytest.mark.parametrize("line", [f'GH = "{GH}"', f"gh = Github(auth=Auth.Token('{GH}'))", f"token: {GH}"])
def test_github_fine_grained_tokens_are_found(tmp_path: Path, line: str) -> None:
    (tmp_path / "ci.py").write_text(f"{line}\n")
    assert (1, "GitHub Fine-Grained Token") in [(f.line, f.type) for f in scan_path(tmp_path).findings]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "latin-1", "cp1252"])
def test_text_in_other_encodings_is_scanned(tmp_path: Path, encoding: str) -> None:
    text = "# r\u00e9glages de l'entra\u00eenement\n" * 3 + f'token = "{HF}"\n'
    (tmp_path / "notes.txt").write_bytes(text.encode(encoding))
    report = scan_path(tmp_path)
    assert report.binary == 0
    assert (4, "Hugging Face Token") in [(f.line, f.type) for f in report.findings]
    assert {f.line for f in report.findings} == {4}


def test_weights_stay_binary(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    (tmp_path / "w.safetensors").write_bytes(bytes(rng.randrange(256) for _ in range(20000)))
    (tmp_path / "z.gz").write_bytes(bytes(rng.randrange(1, 256) for _ in range(20000)))  # no NUL, many controls
    assert is_binary(tmp_path / "w.safetensors") and is_binary(tmp_path / "z.gz")


def test_a_secret_in_a_file_name_is_flagged_and_never_shown(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / f"{HF}.txt").write_text("nothing here\n")
    (tmp_path / f"backup-{GH}").write_bytes(b"\0binary")
    report = scan_path(tmp_path)
    assert sorted((f.path, f.line, f.type) for f in report.findings) == [
        ("backup-***", 0, "GitHub Fine-Grained Token in the file name"),
        ("keys/***.txt", 0, "Hugging Face Token in the file name"),
    ]
    assert all(HF not in str(f) and GH not in str(f) for f in report.findings)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", 'expected an object with "results", an object of file names'),
        ('{"results": {"a.py": 3}}', 'expected each file of "results" to hold a list of objects'),
        ('{"results": {"a.py": [{"type": ["x"], "hashed_secret": "y"}]}}',
         'expected each entry of "results" to have string "type"'),
        ('{"results": {"a.py": [{"type": "x", "hashed_secret": "y", "is_secret": 1}]}}',
         'expected each entry of "results" to have string "type"'),
        ('{"results": {"a.py": [{"type": "x"}]}}', 'expected each entry of "results" to have string "type"'),
        ("[" * 100_000, "cannot read secrets baseline"),
    ],
)
def test_baseline_of_the_wrong_shape_is_one_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "b.json").write_text(content)
    result = hfsync("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot read secrets baseline {tmp_path / 'b.json'}")
    assert expected in result.stderr
    assert "Traceback" not in result.output


def test_baseline_read_is_bounded_and_regular_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hfsync.publish.baseline.MAX_BASELINE_BYTES", 64)
    (tmp_path / "big.json").write_text('{"results": {}, "pad": "' + "x" * 100 + '"}')
    result = hfsync("scan", str(tmp_path), "--baseline", str(tmp_path / "big.json"))
    assert result.exit_code == 1
    assert "larger than" in result.stderr
    os.mkfifo(tmp_path / "fifo")  # a writer-less FIFO would block a plain read forever
    result = hfsync("scan", str(tmp_path / "big.json"), "--baseline", str(tmp_path / "fifo"))
    assert result.exit_code == 1
    assert "not a regular file" in result.stderr


def test_planted_secrets_hidden_among_thousands_of_clean_files_are_all_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small files are judged many at a time; a secret in any of them is still found, with the
    line and type the file alone gives, in every line-ending and encoding a file may use."""
    from hfsync.publish import scan, secrets

    items = [p for p in plants() if isinstance(p.content, str)]
    alone = tmp_path / "alone"
    write(alone, items)
    expected = {(f.path, f.line, f.type, f.fingerprint) for f in scan_path(alone).findings}
    crowd = tmp_path / "crowd"
    write(crowd, items)
    variants = {}
    for plant in (p for p in items if p.line):  # the same content plants with CRLF line ends and as UTF-16
        stem, dot, ext = plant.path.rpartition(".")
        for tag, data in (("crlf", plant.content.replace("\n", "\r\n").encode()),
                          ("utf16", plant.content.encode("utf-16"))):
            variants[f"{stem}-{tag}{dot}{ext}" if dot else f"{plant.path}-{tag}"] = (plant, data)
    for path, (_, data) in variants.items():
        (crowd / path).write_bytes(data)
    extensions = sorted({p.path.rpartition(".")[2] for p in items if p.line and "." in p.path})
    for i in range(3000):  # clean neighbours of every extension, around and between the plants
        folder = crowd / ("cloud", "misc", "bots", "z")[i % 4]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"clean-{i:05}.{extensions[i % len(extensions)]}").write_text(
            f'{{"index": {i}, "label": "item {i}", "note": "hf_ is a prefix, not a token"}}\n' * (1 + i % 3))
    judged = []
    may_hold_secret = secrets.may_hold_secret
    for module in (secrets, scan):  # a batch of files is judged in one, a batch of a file's lines in the other
        monkeypatch.setattr(module, "may_hold_secret",
                            lambda text, name: judged.append(name) or may_hold_secret(text, name))

    report = scan_path(crowd)

    found = {(f.path, f.line, f.type, f.fingerprint) for f in report.findings}
    assert expected <= found
    for path, (plant, _) in variants.items():
        assert (path, plant.line, plant.type) in {(f, n, t) for f, n, t, _ in found}, path
    assert {f.path for f in report.findings} == {p.path for p in items} | set(variants)
    assert report.files == len(items) + len(variants) + 3000
    assert len(judged) < 1000  # batches and the bisections of flagged ones, not a pass per file (3,000+)


def test_the_linear_npm_rule_yields_what_detect_secrets_own_does() -> None:
    from detect_secrets.plugins.npm import NpmDetector

    from hfsync.publish.secretplugin import NpmTokenDetector

    hexed = "0123abcd-" * 4
    npm = "np" + "m_" + "Z" * 36
    lines = [
        f"//registry.npmjs.org/:_authToken={npm}", f"//r.example/:_authToken= {hexed}x // tail",
        f"a // b //c/:_authToken={hexed}/:_authToken=bad", f"///:_authToken={npm}", f"//:_authToken={npm}",
        f"x/:_authToken={npm} //a//a", "//a" * 1000, f"//a/:_authToken=\r{npm}\r", "no token here",
        f"//a/:_authToken={npm}\n//b/:_authToken={hexed}\n//c", f"//a/:_authtoken={npm}",
    ]
    for line in lines:
        assert list(NpmTokenDetector().analyze_string(line)) == list(NpmDetector().analyze_string(line)), line
    assert list(NpmTokenDetector().analyze_string(lines[0])) == [npm, npm]
