"""Fixtures of the CLI journeys: a manifest folder run against the sandbox."""

from tests.publish.conftest import project  # noqa: F401
