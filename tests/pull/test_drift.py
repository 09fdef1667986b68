"""The plan shows pulls whose upstream revision moved past the lock; apply leaves them alone."""

from __future__ import annotations

import json

from tests.helpers import hfsync
from tests.pull.test_pull_sandbox import CONFIG, seed_model


def test_plan_shows_drift_when_upstream_moves_past_the_lock(sandbox, make_repo, project, run):
    first, _ = seed_model(make_repo)
    project.write([{"id": "acme/m1", "dest": "vendor/m1"}])

    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output  # not locked yet: nothing to drift from
    assert "pull" not in result.output

    assert run("lock").exit_code == 0
    sandbox.reset_stats()
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert sandbox.stats()["routes"]["GET repo-info"]["requests"] == 1

    second = make_repo("acme/m1", {"config.json": b'{"hidden_size": 32}\n'}, message="bump")
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert f'~ pull-drift "acme/m1" (main moved {first[:7]} -> {second[:7]} past the lock;' in result.stdout
    assert "Plan: 0 to create, 1 to change, 0 to delete" in result.stdout

    data = json.loads(run("plan", "--format", "json").stdout)
    target = next(t for t in data["targets"] if t["kind"] == "pull")
    assert target["key"] == "pull:acme/m1" and target["head"] == second
    assert target["changes"][0]["detail"] == {"revision": "main", "locked": first, "upstream": second}

    sandbox.reset_stats()
    result = run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert not any(k.startswith("POST") for k in sandbox.stats()["routes"])  # apply publishes nothing for a pull
    nothing = ("Nothing to publish: only pulls moved upstream (acme/m1); apply leaves pins alone. "
               "`hfsync upgrade` moves them and says what changed.\n")
    assert result.stdout.endswith(nothing) and "Apply complete" not in result.stdout
    saved = project.path / "plan.json"
    assert run("plan", "--out", str(saved)).exit_code == 0
    result = hfsync("--endpoint", sandbox.url, "apply", str(saved))
    assert (result.exit_code, result.stdout) == (0, nothing)  # and no token is asked for

    assert run("lock", "--update").exit_code == 0
    assert run("plan", "--detailed-exitcode").exit_code == 0

    project.write([{"id": "acme/m1", "dest": "vendor/m1", "include": ["*.json"]}])
    result = run("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "Warning: pull:acme/m1: pull 'acme/m1' changed in hfsync.yaml since it was locked; run `hfsync lock`" in result.stdout
    shown = run("plan", "--format", "markdown").stdout  # a reviewer sees hfsync's command as code
    assert ("> **Warning:** pull 'acme/m1' changed in hfsync.yaml since it was locked; run <code>hfsync lock</code>\n"
            in shown)


def test_plan_target_can_name_a_pull(sandbox, make_repo, project, run):
    seed_model(make_repo)
    make_repo("acme/m2", {"config.json": CONFIG})
    project.write([{"id": "acme/m1", "dest": "a"}, {"id": "acme/m2", "dest": "b"}])
    assert run("lock").exit_code == 0
    make_repo("acme/m2", {"config.json": b"{}\n"}, message="bump")
    result = run("plan", "--target", "acme/m1", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    result = run("plan", "--target", "acme/m2", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    result = run("plan", "--target", "acme/nope")
    assert result.exit_code == 1 and "no target named acme/nope" in result.stderr
