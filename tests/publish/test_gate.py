"""The secret gate in plan and apply: every planted secret blocks, nothing goes up, nothing leaks."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hfsync.model.plan import Action, FileChange, Plan, TargetChange
from hfsync.publish.gate import gate
from tests.publish.secret_corpus import Plant, plants, write

UPLOAD_ROUTES = ("POST preupload", "POST lfs-batch", "PUT lfs-upload", "POST commit")


def _big_file(path: Path, secret: str) -> None:
    """~50 MB of training log with one token near the end, written streaming."""
    line = "step {:>8} | loss 0.{:04d} | lr 2.0e-05 | tokens/s 18211 | grad_norm 0.97\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        for step in range(660_000):
            handle.write(line.format(step, step % 9973))
        handle.write(f"export HF_TOKEN={secret}\n")
        handle.write(line.format(660_001, 1))


def _uploaded(stats: dict) -> dict:
    return {r: stats["routes"][r] for r in UPLOAD_ROUTES if r in stats["routes"]}


def test_apply_blocks_every_planted_secret_and_uploads_nothing(project, sandbox, tmp_path):
    items = plants()
    write(project.root / "m", items)
    big_secret = "h" + "f_" + "BigFileT0ken" * 3
    _big_file(project.root / "m" / "logs" / "train.log", big_secret)
    items.append(Plant("logs/train.log", "", "Hugging Face Token", 660_001, big_secret))
    project.yaml("version: 1\nrepos:\n  - id: sandbox/leaky\n    source: {path: m}\n")
    sandbox.reset_stats()
    out = tmp_path / "plan.json"
    plan = project.plan("--out", str(out), "--format", "json")
    assert plan.exit_code == 1
    errors = json.loads(plan.stdout)["targets"][0]["errors"]
    for item in items:
        assert any(e.startswith(f"possible secret in {item.path}:{item.line}: {item.type}") for e in errors), item
    # The failed plan tells the fix, and is still saved for the pull request's comment, which shows
    # the findings; apply refuses it.
    assert "source.exclude" in plan.stderr and "detect-secrets audit .secrets.baseline" in plan.stderr
    comment = project.run("show", str(out), "--format", "markdown")
    assert comment.exit_code == 0 and "| `sandbox/leaky` | error |" in comment.stdout
    assert f"possible secret in {items[0].path}:{items[0].line}" in comment.stdout
    refused = project.run("apply", str(out))
    assert refused.exit_code == 1 and "the plan has errors; nothing was applied" in refused.stderr

    result = project.apply()
    assert result.exit_code == 1
    assert "nothing was applied" in result.stderr
    stats = sandbox.stats()
    assert _uploaded(stats) == {}
    assert stats["bytes_in"] == 0  # not one byte of any file reached the Hub
    everything = plan.output + result.output + out.read_text() + comment.output
    assert len(items) >= 25
    for item in items:
        if item.secret:
            assert item.secret not in everything, item.path


def test_only_uploaded_files_are_scanned_and_include_matches_are(project, sandbox):
    token = "h" + "f_" + "IncludedFileT0ken" * 2
    project.write("m/conf/settings.json", json.dumps({"hub": {"token": token}}) + "\n")
    project.write("m/notes.md", f"token {token}\n")  # not selected by include: never uploaded
    project.write("m/model.safetensors", b"\0" * 64)
    project.yaml('version: 1\nrepos:\n  - id: sandbox/inc\n    source: {path: m, include: ["*.json", '
                 '"*.safetensors"]}\n')
    result = project.plan()
    assert result.exit_code == 1
    assert "possible secret in conf/settings.json:1: Hugging Face Token" in result.stdout
    assert "notes.md" not in result.output and token not in result.output


def test_baseline_next_to_the_source_lets_an_audited_false_positive_through(project, sandbox):
    digest = "3f786850e387550fdab836ed7e6dc881de23001b3f786850"
    project.write("m/dataset_info.json", f'{{"checksum": "{digest}"}}\n')
    project.yaml("version: 1\nrepos:\n  - id: sandbox/fp\n    source: {path: m}\n")
    assert "Hex High Entropy String" in project.plan().stdout
    import hashlib

    baseline = {"version": "1.5.0", "plugins_used": [], "filters_used": [], "results": {
        "m/dataset_info.json": [{"type": "Hex High Entropy String", "filename": "m/dataset_info.json",
                                 "hashed_secret": hashlib.sha1(digest.encode()).hexdigest(),
                                 "is_verified": False, "line_number": 1, "is_secret": False}]}}
    (project.root / ".git").mkdir()  # the baseline is found up to the git work tree's root
    (project.root / ".secrets.baseline").write_text(json.dumps(baseline))
    result = project.apply()
    assert result.exit_code == 0, result.output


def test_gate_refuses_a_saved_plan_whose_uploads_hold_a_secret(tmp_path):
    (tmp_path / "key.pem").write_text("-----BEGIN EC PRI" + "VATE KEY-----\nMHcCAQEE\n")
    target = TargetChange("sandbox/x", "sandbox/x", "model", "main", Action.UPDATE, source=str(tmp_path),
                          files=(FileChange("key.pem", Action.CREATE, 30, False, "0" * 64),
                                 FileChange("README.md", Action.UPDATE, 10, False, content="pw = 'x'\n"),
                                 FileChange("gone.txt", Action.DELETE, 0, False)))
    plan = Plan("0", "http://127.0.0.1:9", {}, (target,))
    try:
        gate(plan)
    except Exception as error:
        assert type(error).__name__ == "SecretFoundError"
        assert str(error).splitlines() == [
            "2 possible secrets in the files to upload; nothing was uploaded:",
            f"  sandbox/x: key.pem:0: Sensitive file name (PEM key or certificate) (fingerprint "
            f"{__import__('hashlib').sha1((tmp_path / 'key.pem').read_bytes()).hexdigest()})",
            "  sandbox/x: key.pem:1: Private Key (fingerprint "
            f"{__import__('hashlib').sha1(b'BEGIN EC PRIVATE KEY').hexdigest()})",
        ]
    else:
        raise AssertionError("the gate let a private key through")


HF = "h" + "f_" + "Vv3Ww4Xx5Yy6Zz7Aa8Bb9Cc0Dd1Ee2Ff3Gg"
GH = "github" + "_pat_" + "11AAAAAAA0123456789abc_" + "Qq9Rr8Ss7Tt6Uu5Vv4Ww3Xx2Yy1Zz0Aa9Bb8Cc7Dd6Ee5Ff4Gg3Hh2Ii1Jj"


def _leaks(secret: str, *texts: str) -> bool:
    return any(secret in text for text in texts)


def test_a_secret_as_a_space_variable_is_refused_never_printed_saved_or_published(project, sandbox, tmp_path):
    from huggingface_hub import HfApi

    project.write("s/app.py", "print()\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {path: s}\n"
                 f"    description: 'demo, key {GH}'\n"
                 f"    space: {{sdk: gradio, variables: {{MODE: demo, HF_TOKEN: '{HF}'}}}}\n")
    outputs = []
    for fmt in ("human", "markdown", "json"):
        out = tmp_path / f"plan-{fmt}.json"
        plan = project.plan("--out", str(out), "--format", fmt)
        assert plan.exit_code == 1, plan.output
        outputs += [plan.stdout, plan.stderr, out.read_text() if out.exists() else ""]
    text = "\n".join(outputs)
    assert "possible secret in the setting variables.HF_TOKEN: Hugging Face Token (fingerprint" in text
    assert "possible secret in the setting description: GitHub Fine-Grained Token (fingerprint" in text
    assert "variables.MODE" in text and "***" in text
    sandbox.reset_stats()
    applied = project.apply()
    assert applied.exit_code == 1
    assert not _leaks(HF, text, applied.output) and not _leaks(GH, text, applied.output)
    assert "POST commit" not in sandbox.stats()["routes"]
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert not api.repo_exists("sandbox/sp", repo_type="space")


def test_a_secret_in_card_metadata_or_a_file_name_is_never_printed(project, sandbox, tmp_path):
    project.write("m/config.json", "{}\n")
    project.write(f"m/keys/{HF}.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/meta\n    source: {path: m}\n"
                 f"    card: {{metadata: {{license: mit, widget: [{{text: 'use {GH}'}}], {HF}x: 1}}}}\n")
    out = tmp_path / "plan.json"
    plan = project.plan("--out", str(out))
    markdown = project.plan("--format", "markdown")
    assert plan.exit_code == 1 and markdown.exit_code == 1
    saved = out.read_text() if out.exists() else ""
    assert "possible secret in the card metadata widget[0].text: GitHub Fine-Grained Token" in plan.output
    assert "keys/***.json:0: Hugging Face Token in the file name" in plan.output
    assert not _leaks(HF, plan.output, markdown.output, saved)
    assert not _leaks(GH, plan.output, markdown.output, saved)


def test_apply_of_a_saved_plan_checks_the_values_it_sends(project, sandbox, tmp_path):
    project.write("s/app.py", "print()\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/sp2\n    type: space\n    source: {path: s}\n"
                 "    space: {sdk: gradio, variables: {MODE: demo}}\n")
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    saved = json.loads(out.read_text())
    for setting in saved["targets"][0]["settings"]:
        if setting["name"] == "variables.MODE":
            setting["new"] = HF
    out.write_text(json.dumps(saved))
    sandbox.reset_stats()
    applied = project.run("apply", str(out), "--auto-approve")
    assert applied.exit_code == 1
    assert "possible secret in the setting variables.MODE: Hugging Face Token" in applied.stderr
    assert not _leaks(HF, applied.output)
    assert "POST commit" not in sandbox.stats()["routes"]


def test_scan_results_are_remembered_by_content_across_runs(project, sandbox):
    import hfsync.publish.gate as gate_module

    project.write("m/a.txt", f"token = {HF}\n")
    project.write("m/b.txt", "clean\n")
    project.write("m/c.txt", "clean\n")  # same content as b.txt, another name: scanned on its own
    project.yaml("version: 1\nrepos:\n  - id: sandbox/remember\n    source: {path: m}\n")

    def plan() -> tuple[str, list[int]]:
        gate_module._scanned.clear()  # what a new process starts with
        result = project.run("-v", "--log-format", "json", "plan", "-f", str(project.manifest))
        assert result.exit_code == 1
        events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
        return result.output, [e["files"] for e in events if e.get("event") == "secret-scan"]

    output, scanned = plan()
    assert scanned == [3] and "a.txt:1: Hugging Face Token" in output
    output, scanned = plan()
    assert scanned == [] and "a.txt:1: Hugging Face Token" in output  # remembered, still reported
    project.write("m/b.txt", f"now a token {HF}\n")
    output, scanned = plan()
    assert scanned == [1] and "b.txt:1: Hugging Face Token" in output and HF not in output


def _one_line_file(path: Path, size: int, secret: str = "", at: int = 0) -> None:
    """A text file that is one line of ``size`` characters, ``secret`` at offset ``at``, written streaming."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        if secret:
            handle.write("x" * (at - 1) + " " + secret + " ")
        handle.write("x" * (size - handle.tell()))


def test_a_secret_cut_by_a_window_of_a_20_mb_line_is_refused_once_never_shown(project, sandbox):
    from hfsync.publish.secrets import fingerprint
    from hfsync.publish.textfile import WINDOW

    secret = "h" + "f_" + "LongLineT0ken" * 5
    _one_line_file(project.root / "m" / "data.txt", 20_000_000, secret, 12 * WINDOW - 40)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/longline\n    source: {path: m}\n")
    result = project.plan()
    assert result.exit_code == 1
    # Found whole, in the one line there is: one finding, with the secret's own fingerprint
    # (a copy cut by the window would have another).
    assert re.findall(r"Error: sandbox/longline: (.*)", result.stdout) == [
        f"possible secret in data.txt:1: Hugging Face Token (fingerprint {fingerprint(secret)})"]
    assert set(re.findall(r"fingerprint ([0-9a-f]{40})", result.output)) == {fingerprint(secret)}
    assert secret not in result.output and secret[:20] not in result.output


def test_a_20_mb_line_without_a_secret_plans_in_bounded_memory(project, sandbox):
    import tracemalloc

    _one_line_file(project.root / "m" / "data.txt", 20_000_000)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/cleanline\n    source: {path: m}\n")
    from hfsync.publish.secrets import scan_text

    scan_text("warm.txt", "x\n")  # detect-secrets' import out of the measure (a scan's result is remembered)
    tracemalloc.start()
    try:
        result = project.plan()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    assert "data.txt" in result.stdout and "possible secret" not in result.output
    assert peak < 16 * 1024 * 1024, peak  # a few windows of the line, not the line
