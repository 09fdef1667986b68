"""Fixtures for safety tests: a manifest folder run against the sandbox."""

from __future__ import annotations

import pytest

from tests.publish.conftest import Project


@pytest.fixture
def project(tmp_path, sandbox) -> Project:
    return Project(tmp_path / "project", sandbox)
