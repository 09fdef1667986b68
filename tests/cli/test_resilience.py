"""429 storms survived by plan and apply; one trace line per request; no token anywhere."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hfsync.hub.trace import operation_of

MANIFEST = """version: 1
repos:
  - id: sandbox/storm
    source: {path: m}
    card:
      metadata: {license: mit, tags: [test]}
"""
FIELDS = {"seq", "time", "trace_id", "operation", "method", "path", "status", "duration_ms", "bytes_out",
          "bytes_in", "retries"}


def _lines(trace: Path) -> list[dict]:
    return [json.loads(line) for line in trace.read_text().splitlines()]


def test_storm_of_429_with_retry_after_is_survived_and_traced(legacy_lfs, project, sandbox, tmp_path):
    # The legacy LFS path: hf_xet talks to the CAS with its own HTTP client, outside the trace.
    p = project
    p.write("m/config.json", '{"a": 1}\n')
    p.write("m/model.safetensors", os.urandom(50_000))
    p.yaml(MANIFEST)
    trace = tmp_path / "trace.jsonl"
    sandbox.reset_stats()
    sandbox.add_faults([{"path": ".", "action": "status", "status": 429, "retry_after": 0, "times": 4},
                        {"path": ".", "action": "status", "status": 429, "retry_after": 1, "times": 1}])
    result = p.run("--trace-file", str(trace), "plan", "-f", str(p.manifest), "--out", str(tmp_path / "plan.json"))
    assert result.exit_code == 0, result.output
    planned = _lines(trace)
    assert [line["status"] for line in planned[:6]] == [429] * 5 + [404]  # the repo does not exist yet
    assert [line["retries"] for line in planned[:6]] == [0, 1, 2, 3, 4, 5]
    assert "HTTP 429; retrying in 1s (attempt 6 of 8)" in result.stderr  # a wait is shown
    sandbox.add_faults([
        {"path": "/api/repos/create", "action": "status", "status": 429, "retry_after": 0, "times": 2},
        {"path": "/preupload/", "action": "status", "status": 429, "retry_after": 0, "times": 2},
        {"path": "/info/lfs/", "action": "status", "status": 503, "retry_after": 0, "times": 1},
        {"path": "/commit/", "action": "status", "status": 429, "retry_after": 0, "times": 2},
    ])
    result = p.run("--trace-file", str(trace), "apply", str(tmp_path / "plan.json"))
    assert result.exit_code == 0, result.output
    stats = _settled(sandbox)
    lines = _lines(trace)
    # Exactly one line per request the sandbox saw, with every field.
    assert len(lines) == stats["requests"]
    assert all(set(line) >= FIELDS for line in lines)
    for route, counts in stats["routes"].items():
        method = route.split()[0]
        assert sum(1 for line in lines if line["method"] == method and _route(line) == route) == counts["requests"]
    assert sum(line["bytes_out"] for line in lines) == stats["bytes_in"]
    assert sum(line["bytes_in"] for line in lines) == stats["bytes_out"]
    assert len({line["trace_id"] for line in lines}) == 2  # one per run
    commits = [line for line in lines if line["path"].endswith("/commit/main")]
    assert [(c["status"], c["retries"], c["operation"]) for c in commits] == [
        (429, 0, "commit to sandbox/storm"), (429, 1, "commit to sandbox/storm"), (200, 2, "commit to sandbox/storm")]


def _settled(sandbox) -> dict:  # type: ignore[no-untyped-def]
    """The sandbox's stats once its last response is counted (it counts after sending)."""
    previous, stats = None, sandbox.stats()
    for _ in range(20):
        if stats == previous:
            break
        time.sleep(0.05)
        previous, stats = stats, sandbox.stats()
    return stats


def _route(line: dict) -> str:
    """The sandbox's route name for a trace line (its stats key)."""
    path = line["path"]
    names = {"preupload": "preupload", "commit": "commit", "tree": "tree", "paths-info": "paths-info",
             "refs": "refs", "revision": "repo-info", "repo-info": "repo-info", "lfs-batch": "lfs-batch",
             "validate-yaml": "validate-yaml", "repo-create": "repo-create", "whoami-v2": "whoami"}
    import httpx2

    derived = operation_of(httpx2.Request(line["method"], "http://x" + path))
    if "/sandbox-lfs/upload" in path:
        return "PUT lfs-upload"
    if "/sandbox-lfs/verify" in path:
        return "POST lfs-verify"
    return f"{line['method']} {names.get(derived, derived)}"


def test_retries_are_bounded_then_name_the_operation(project, sandbox):
    project.write("m/a.txt", "a\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/down\n    source: {path: m}\n")
    sandbox.add_faults([{"path": "/api/models/sandbox/down", "action": "status", "status": 503,
                         "retry_after": 0, "times": 100}])
    sandbox.reset_stats()
    result = project.plan()
    assert result.exit_code == 1
    assert ("sandbox/down: read sandbox/down (GET /api/models/sandbox/down/revision/main): gave up after 8 "
            "attempts; last failure: HTTP 503") in result.output
    assert sandbox.stats()["requests"] == 8


def test_no_token_in_any_output_log_trace_or_plan_file(project, sandbox, tmp_path, monkeypatch):
    token = sandbox.token
    project.write("m/config.json", '{"a": 1}\n')
    project.write("m/w.safetensors", os.urandom(2000))
    project.yaml(MANIFEST)
    monkeypatch.setenv("HF_TOKEN", token)
    trace, plan_file = tmp_path / "t.jsonl", tmp_path / "plan.json"
    sandbox.add_faults([{"path": "/commit/", "action": "status", "status": 503, "retry_after": 0, "times": 1}])
    runs = [
        project.run("-vv", "--log-format", "json", "--trace-file", str(trace), "plan", "-f",
                    str(project.manifest), "--out", str(plan_file)),
        project.run("-vv", "--log-format", "json", "--trace-file", str(trace), "apply", str(plan_file)),
        project.run("-vv", "--trace-file", str(trace), "plan", "-f", str(project.manifest), "--format", "markdown"),
    ]
    assert [r.exit_code for r in runs] == [0, 0, 0], runs[1].output
    logs = [json.loads(line) for line in runs[1].stderr.splitlines() if line.startswith("{")]
    assert logs and all(entry["level"] for entry in logs)  # structured log lines
    (retried,) = [e for e in logs if e.get("event") == "retry"]
    assert retried["operation"].startswith("commit to sandbox/storm (POST /api/models/sandbox/storm/commit/main)")
    assert (retried["attempt"], retried["reason"], retried["wait_s"]) == (2, "HTTP 503", 0)
    planned = [json.loads(line) for line in runs[0].stderr.splitlines() if line.startswith("{")]
    scans = [(e["files"], e["binary"], e["findings"]) for e in planned if e.get("event") == "secret-scan"]
    assert scans == [(2, 1, 0)]  # one scan of config.json (text) and w.safetensors (binary)
    files = [trace.read_text(), plan_file.read_text()]
    for text in [*files, *(r.stdout + r.stderr for r in runs)]:
        assert token not in text
    assert "authorization" not in trace.read_text().lower()


def test_a_commit_that_may_have_happened_is_not_repeated(project, sandbox):
    """A 500 on POST commit may come after the commit was made: not retried, reported, and a
    rerun converges."""
    project.write("m/a.txt", "a\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/once\n    source: {path: m}\n")
    sandbox.add_faults([{"path": "/commit/", "action": "status", "status": 500, "times": 1}])
    sandbox.reset_stats()
    first = project.apply()
    assert first.exit_code == 1
    assert "sandbox/once: commit to sandbox/once: the Hub answered: Server error '500" in first.stderr
    assert "Request ID" not in first.stderr and "Root=" not in first.stderr  # the sandbox sends X-Request-Id
    assert sandbox.stats()["routes"]["POST commit"]["requests"] == 1
    assert project.apply().exit_code == 0


def test_best_effort_requests_are_not_retried(sandbox):
    """huggingface_hub's own best-effort fetch (the agent registry) fails once, fast."""
    import httpx2

    from hfsync.hub.session import client_factory

    sandbox.add_faults([{"path": "/api/agent-harnesses", "action": "status", "status": 503, "times": 5}])
    sandbox.reset_stats()
    with client_factory() as client:
        assert client.get(sandbox.url + "/api/agent-harnesses").status_code == 503
        assert isinstance(client, httpx2.Client)
    assert _settled(sandbox)["requests"] == 1
