"""A fake GitHub API (pytest-httpserver) and the GITHUB_* environment of a pull-request run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

GITHUB_TOKEN = "ghs_" + "S3cr3tT0k3nV4lu3" * 2
REPO = "acme/models"
PR = 7


@dataclass
class FakeGitHub:
    server: HTTPServer
    summary: Path
    run_url: str

    def requests(self, method: str | None = None) -> list:
        return [r for r, _ in self.server.log if method is None or r.method == method]

    def sent_json(self, method: str) -> list[dict]:
        return [json.loads(r.get_data()) for r in self.requests(method)]


@pytest.fixture
def github(httpserver: HTTPServer, tmp_path, monkeypatch) -> FakeGitHub:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": PR}}))
    summary = tmp_path / "step_summary.md"
    env = {
        "GITHUB_API_URL": httpserver.url_for("/").rstrip("/"),
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "4242",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return FakeGitHub(httpserver, summary, f"https://github.example/{REPO}/actions/runs/4242")
