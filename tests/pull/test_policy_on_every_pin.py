"""Every path that writes a pin applies the policy: lock, pull with no lock, pull with a
stale lock, upgrade. What the policy refuses is refused the same way on each, by the
real CLI against the sandbox Hub: nothing written, nothing installed, the pull and the
license named."""

from __future__ import annotations

import pytest
import yaml

POLICY = {"licenses": ["apache-2.0", "mit"]}
REFUSED = ("pull 'acme/nc'{where} has license 'cc-by-nc-4.0', which policy.licenses does not allow "
           "(apache-2.0, mit)")


def card(license_id: str) -> bytes:
    return f"---\nlicense: {license_id}\n---\n# nc\n".encode()


def seed(make_repo, license_id: str = "cc-by-nc-4.0") -> str:
    return make_repo("acme/nc", {"README.md": card(license_id), "config.json": b'{"a": 1}\n'})


def refused(result, project, lock_before: bytes | None) -> None:
    """The run failed on the policy and left the project as it found it."""
    assert result.exit_code == 1, result.output
    assert REFUSED.format(where=f" ({project.manifest}:7:3)") in result.stderr
    assert "hfsync.lock was not changed" in result.stderr
    assert "Traceback" not in result.output
    after = project.lock.read_bytes() if project.lock.exists() else None
    assert after == lock_before
    assert not (project.path / "vendor").exists()


def test_lock_refuses_a_license_the_policy_refuses(make_repo, project, run):
    seed(make_repo)
    project.write([{"id": "acme/nc", "dest": "vendor/nc"}], policy=POLICY)
    refused(run("lock"), project, None)


def test_pull_with_no_lock_refuses_it_too(make_repo, project, run):
    seed(make_repo)
    project.write([{"id": "acme/nc", "dest": "vendor/nc"}], policy=POLICY)
    refused(run("pull"), project, None)


def locked_then_relicensed(make_repo, project, run) -> bytes:
    """The pull locked while its repo was apache-2.0, then relicensed on the Hub; the lock's bytes."""
    seed(make_repo, "apache-2.0")
    project.write([{"id": "acme/nc", "dest": "vendor/nc"}], policy=POLICY)
    assert run("lock").exit_code == 0
    make_repo("acme/nc", {"README.md": card("cc-by-nc-4.0")})
    return project.lock.read_bytes()


def test_pull_with_a_stale_lock_refuses_it_too(make_repo, project, run):
    before = locked_then_relicensed(make_repo, project, run)
    # The pull asks for other files now: its pin is stale and must be resolved again.
    project.write([{"id": "acme/nc", "dest": "vendor/nc", "include": ["*.json", "*.md"]}], policy=POLICY)
    refused(run("pull"), project, before)


def test_lock_update_refuses_a_moved_pin_it_too(make_repo, project, run):
    before = locked_then_relicensed(make_repo, project, run)
    refused(run("lock", "--update"), project, before)


def test_upgrade_holds_it_and_writes_nothing(make_repo, project, run):
    """Upgrade reports what the policy refuses and holds it back (documented: the report
    is its product); only --allow-policy-violations moves it, by name."""
    seed(make_repo)
    project.write([{"id": "acme/nc", "dest": "vendor/nc"}], policy=POLICY)
    result = run("upgrade")
    assert result.exit_code == 0, result.output
    assert "HELD acme/nc" in result.stdout
    assert f"  policy: {REFUSED.format(where='')}" in result.stdout
    assert "0 moved, 1 held back by policy" in result.stdout
    assert not project.lock.exists()


@pytest.mark.parametrize("command", [("lock",), ("pull",)])
def test_a_pin_over_max_memory_is_refused_like_upgrade_holds_it(make_repo, project, run, command):
    make_repo("acme/big", {"README.md": card("mit"), "model.safetensors": b"\0" * 5000})
    project.write([{"id": "acme/big", "dest": "vendor/big", "include": ["*.safetensors"], "max_memory": 4000}], policy=POLICY)
    result = run(*command)
    assert result.exit_code == 1, result.output
    assert f"pull 'acme/big' ({project.manifest}:7:3) would pin 5.0 kB, over its max_memory of 4.0 kB" in result.stderr
    assert not project.lock.exists() and not (project.path / "vendor").exists()


def test_an_allowed_license_still_pins_and_installs(make_repo, project, run):
    commit = seed(make_repo, "mit")
    project.write([{"id": "acme/nc", "dest": "vendor/nc"}], policy=POLICY)
    result = run("pull")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(project.lock.read_text())["pulls"][0]["commit"] == commit
    assert (project.path / "vendor/nc/config.json").read_bytes() == b'{"a": 1}\n'
