"""A repo created in an organization whose repos are private by default, with no `private` declared."""

from __future__ import annotations

from huggingface_hub import HfApi


def test_a_new_repo_without_private_takes_the_orgs_default_and_plans_clean(project, sandbox):
    sandbox.account("acme", private_by_default=True)
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: acme/m\n    source: {path: m}\n    card: {generate: false}\n")
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert HfApi(endpoint=sandbox.url, token=sandbox.token).model_info("acme/m").private is True
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
