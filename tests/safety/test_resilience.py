"""429 storms survived by plan and apply; one trace line per request the sandbox saw."""

from __future__ import annotations

import json
import os

MANIFEST = """version: 1
repos:
  - id: sandbox/storm
    source: {path: m}
    card:
      metadata: {license: mit, tags: [test]}
"""


def test_storm_of_429_is_survived_and_traced(project, sandbox, tmp_path):
    p = project
    p.write("m/config.json", '{"a": 1}\n')
    p.write("m/model.safetensors", os.urandom(50_000))
    p.yaml(MANIFEST)
    trace = tmp_path / "trace.jsonl"
    sandbox.reset_stats()
    sandbox.add_faults([{"path": ".", "action": "status", "status": 429, "retry_after": 0, "times": 6}])
    result = p.run("--trace-file", str(trace), "plan", "-f", str(p.manifest))
    assert result.exit_code == 0, result.output
    sandbox.add_faults([
        {"path": "/preupload/", "action": "status", "status": 429, "retry_after": 0, "times": 2},
        {"path": "/commit/", "action": "status", "status": 429, "retry_after": 0, "times": 2},
        {"path": "/info/lfs/", "action": "status", "status": 503, "retry_after": 0, "times": 1},
        {"method": "PUT", "path": ".", "action": "status", "status": 429, "retry_after": 0, "times": 1},
    ])
    result = p.run("--trace-file", str(trace), "apply", "-f", str(p.manifest), "--auto-approve")
    assert result.exit_code == 0, result.output
    stats = sandbox.stats()
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    print(json.dumps(stats, indent=1))
    for line in lines:
        print(line)
    assert len(lines) == stats["requests"]
