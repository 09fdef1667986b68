"""Space secrets: declared by name, valued from the environment at apply time, never shown or saved."""

from __future__ import annotations

import json

from huggingface_hub import HfApi

# Looks like a Hub token: any output, trace or saved plan holding it would leak a credential.
VALUE = "hf_" + "Zq8rT5vWx2Yb7Nc4Md1Pk6Lj3Hg9Fs0Ea"
SPACE = "version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {{path: s}}\n    space: {{{}}}\n"


def _hub_secret(sandbox, name: str) -> str | None:
    """The value the sandbox received (the Hub's API never returns it)."""
    meta = sandbox.server.hub.repos.get("space", "sandbox/sp").meta
    entry = (meta.get("secrets") or {}).get(name)
    return entry["value"] if entry else None


def test_a_secret_is_set_from_the_environment_and_never_shown_traced_or_saved(project, sandbox, monkeypatch,
                                                                              tmp_path):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format("sdk: gradio, secrets: {OPENAI_KEY: {env: MY_OPENAI}}"))
    monkeypatch.setenv("MY_OPENAI", VALUE)
    trace, saved = tmp_path / "trace.jsonl", tmp_path / "plan.json"
    plan = project.run("-v", "--trace-file", str(trace), "plan", "-f", str(project.manifest), "--out", str(saved))
    assert plan.exit_code == 0, plan.output
    assert '+ secrets.OPENAI_KEY = {"env": "MY_OPENAI"}' in plan.stdout
    markdown = project.plan("--format", "markdown")
    as_json = project.plan("--format", "json")
    applied = project.run("-v", "--log-format", "json", "--trace-file", str(trace), "apply", str(saved),
                          "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "space:sandbox/sp: set secrets.OPENAI_KEY = \"from $MY_OPENAI\"" in applied.stdout
    assert _hub_secret(sandbox, "OPENAI_KEY") == VALUE
    again = project.plan("--detailed-exitcode")
    assert (again.exit_code, again.stdout) == (0, "No changes.\n"), again.output
    for text in (plan.output, markdown.output, as_json.output, applied.output, again.output,
                 trace.read_text(), saved.read_text()):
        assert VALUE not in text and VALUE[3:] not in text
    # The Hub answers with names only, as the real client reads it.
    secrets = HfApi(endpoint=sandbox.url, token=sandbox.token).get_space_secrets("sandbox/sp")
    assert list(secrets) == ["OPENAI_KEY"] and secrets["OPENAI_KEY"].updated_at is not None


def test_drift_is_by_presence_and_a_removed_secret_is_deleted(project, sandbox, monkeypatch):
    project.write("s/app.py", "print()\n")
    monkeypatch.setenv("A", "first")
    monkeypatch.setenv("B", "second")
    project.yaml(SPACE.format("sdk: gradio, secrets: {A: {env: A}, B: {env: B}}"))
    assert project.apply().exit_code == 0
    monkeypatch.setenv("A", "rotated")  # the Hub never says a value: a changed one is not drift
    project.yaml(SPACE.format("sdk: gradio, secrets: {A: {env: A}}"))
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2 and '- secrets.B = "(set)"' in plan.stdout, plan.output
    assert "secrets.A" not in plan.stdout
    applied = project.apply()
    assert applied.exit_code == 0 and "space:sandbox/sp: deleted secrets.B" in applied.stdout, applied.output
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert list(api.get_space_secrets("sandbox/sp")) == ["A"] and _hub_secret(sandbox, "A") == "first"
    # Someone deleted it by hand: drift, set again from the environment.
    api.delete_space_secret("sandbox/sp", "A")
    assert '+ secrets.A = {"env": "A"}' in project.plan().stdout
    assert project.apply().exit_code == 0 and _hub_secret(sandbox, "A") == "rotated"
    # Not declared: not managed; declared empty: none.
    project.yaml(SPACE.format("sdk: gradio"))
    assert project.plan("--detailed-exitcode").exit_code == 0
    project.yaml(SPACE.format("sdk: gradio, secrets: {}"))
    assert '- secrets.A = "(set)"' in project.plan().stdout


def test_a_missing_or_empty_environment_variable_is_a_plan_error_naming_it(project, sandbox, monkeypatch):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format("sdk: gradio, secrets: {TOKEN: {env: DEPLOY_TOKEN}}"))
    monkeypatch.delenv("DEPLOY_TOKEN", raising=False)
    for result in (project.plan(), project.apply()):
        assert result.exit_code == 1
        assert ("Space secret TOKEN: environment variable DEPLOY_TOKEN is not set; apply reads the secret's "
                "value from it (set DEPLOY_TOKEN, or remove secrets.TOKEN from the manifest)") in result.output
        assert "Traceback" not in result.output
    monkeypatch.setenv("DEPLOY_TOKEN", "")
    empty = project.plan()
    assert empty.exit_code == 1 and "environment variable DEPLOY_TOKEN is empty" in empty.output
    assert not HfApi(endpoint=sandbox.url).repo_exists("sandbox/sp", repo_type="space")


def test_a_saved_plan_applied_without_the_variable_fails_that_target_saying_so(project, sandbox, monkeypatch,
                                                                            tmp_path):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format("sdk: gradio, secrets: {TOKEN: {env: DEPLOY_TOKEN}}"))
    monkeypatch.setenv("DEPLOY_TOKEN", VALUE)
    saved = tmp_path / "plan.json"
    assert project.plan("--out", str(saved)).exit_code == 0
    monkeypatch.delenv("DEPLOY_TOKEN")
    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "Space secret TOKEN: environment variable DEPLOY_TOKEN is not set at apply time" in result.output
    assert _hub_secret(sandbox, "TOKEN") is None


def test_a_saved_plan_cannot_redirect_a_secret_to_another_variable(project, sandbox, monkeypatch, tmp_path):
    project.write("s/app.py", "print()\n")
    project.yaml(SPACE.format("sdk: gradio, secrets: {TOKEN: {env: DEPLOY_TOKEN}}"))
    monkeypatch.setenv("DEPLOY_TOKEN", "x")
    monkeypatch.setenv("HF_TOKEN_OF_CI", VALUE)
    saved = tmp_path / "plan.json"
    assert project.plan("--out", str(saved)).exit_code == 0
    saved.write_text(saved.read_text().replace('"DEPLOY_TOKEN"', '"HF_TOKEN_OF_CI"'))
    result = project.run("apply", str(saved), "--auto-approve")
    assert result.exit_code == 1
    assert "the plan reads secrets.TOKEN from $HF_TOKEN_OF_CI, the manifest does not" in result.output
    assert not HfApi(endpoint=sandbox.url).repo_exists("sandbox/sp", repo_type="space")


def test_a_secret_named_like_a_variable_is_an_error(project, sandbox, monkeypatch):
    project.write("s/app.py", "print()\n")
    monkeypatch.setenv("MODE", "x")
    project.yaml(SPACE.format("sdk: gradio, variables: {MODE: demo}, secrets: {MODE: {env: MODE}}"))
    result = project.run("validate", "-f", str(project.manifest))
    assert result.exit_code == 1
    assert ("'MODE' is declared both as a Space secret and as a variable; the Space sees one environment "
            "variable by that name: keep one of them") in result.output
    assert f"{project.manifest}:" in result.output


def test_import_names_the_secrets_and_then_plans_no_change(project, sandbox, monkeypatch):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/app", repo_type="space", space_sdk="gradio")
    api.add_space_secret("acme/app", "OPENAI_KEY", VALUE)
    api.add_space_variable("acme/app", "MODE", "demo")
    api.request_space_hardware("acme/app", "cpu-upgrade")  # type: ignore[arg-type]
    imported = project.run("import", "acme/app", "--type", "space")
    assert imported.exit_code == 0, imported.output
    assert VALUE not in imported.output
    assert "secrets:\n      OPENAI_KEY:\n        env: OPENAI_KEY\n" in imported.stdout
    assert "set these environment variables before `hfsync plan`: OPENAI_KEY" in imported.stdout
    project.yaml(imported.stdout)
    (project.root / "app").mkdir()
    monkeypatch.setenv("OPENAI_KEY", "anything")
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output
    assert json.loads(project.plan("--format", "json").stdout)
