"""Fixtures for publish tests: a manifest folder and the CLI pointed at the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import Result, hfsync


class Project:
    """A manifest folder in tmp_path, and the CLI run against the sandbox."""

    def __init__(self, root: Path, sandbox) -> None:  # type: ignore[no-untyped-def]
        self.root = root
        self.sandbox = sandbox
        self.manifest = root / "hfsync.yaml"

    def write(self, rel: str, data: bytes | str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def yaml(self, text: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest.write_text(text)

    def run(self, *args: str) -> Result:
        return hfsync("--endpoint", self.sandbox.url, "--token", self.sandbox.token, *args)

    def plan(self, *args: str) -> Result:
        return self.run("plan", "-f", str(self.manifest), *args)

    def apply(self, *args: str) -> Result:
        return self.run("apply", "-f", str(self.manifest), "--auto-approve", *args)


@pytest.fixture
def project(tmp_path, sandbox) -> Project:
    return Project(tmp_path / "project", sandbox)
