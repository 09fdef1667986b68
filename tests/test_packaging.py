"""The built wheel holds every file hfsync opens at run time (schemas, the secret plugin, data)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hfsync import schemas

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    # Built from a copy of the files git would ship: a stale *.egg-info in the checkout must not
    # smuggle in data files that pyproject.toml forgets.
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("hfsync_gitops-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def _opened_by_code() -> set[str]:
    """Files the code opens beside itself: ``Path(__file__).with_name("x")`` and the schemas."""
    opened = {f"hfsync/schemas/{name}.schema.json" for name in schemas.NAMES}
    for source in (ROOT / "hfsync").rglob("*.py"):
        for name in re.findall(r"""Path\(__file__\)\.with_name\(["']([^"']+)["']\)""", source.read_text()):
            opened.add(source.with_name(name).relative_to(ROOT).as_posix())
    return opened


def test_every_file_the_code_opens_is_in_the_wheel(wheel_names):
    opened = _opened_by_code()
    assert "hfsync/publish/secretplugin.py" in opened  # the scan above found the plugin file
    assert sorted(opened - wheel_names) == []


def test_every_file_of_the_package_is_in_the_wheel(wheel_names):
    tracked = subprocess.run(["git", "ls-files", "hfsync"], cwd=ROOT, capture_output=True, text=True, check=True)
    files = {name for name in tracked.stdout.splitlines() if (ROOT / name).is_file()}
    assert files, "git ls-files found nothing under hfsync/"
    assert sorted(files - wheel_names) == []


def test_every_shipped_schema_is_valid_json_schema():
    from jsonschema.validators import validator_for

    for name in schemas.NAMES:
        schema = schemas.load(name)
        validator_for(schema).check_schema(schema)
