"""The Hub adapter runs against the sandbox through the pull tests' fixtures."""

from tests.pull.conftest import hub, make_repo, project, run  # noqa: F401
