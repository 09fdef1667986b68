"""`import` then `plan` shows no change for everything a team keeps on the Hub, in one manifest."""

from __future__ import annotations

from huggingface_hub import HfApi, snapshot_download

SECRET = "hf_" + "Zq8rT5vWx2Yb7Nc4Md1Pk6Lj3Hg9Fs0Ea"


def test_one_import_of_a_space_a_gated_model_and_a_collection_plans_no_change(project, sandbox, monkeypatch):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("acme/app", repo_type="space", space_sdk="gradio")
    api.upload_file(path_or_fileobj=b"print()\n", path_in_repo="app.py", repo_id="acme/app", repo_type="space")
    api.add_space_secret("acme/app", "OPENAI_KEY", SECRET)
    api.add_space_variable("acme/app", "MODE", "demo")
    api.request_space_hardware("acme/app", "t4-small", sleep_time=3600)  # type: ignore[arg-type]
    api.create_repo("acme/gated")
    api.upload_file(path_or_fileobj=b"{}\n", path_in_repo="config.json", repo_id="acme/gated")
    api.update_repo_settings("acme/gated", gated="manual")
    api.grant_access("acme/gated", "bob")
    slug = api.create_collection("Kit", namespace="acme", description="all of it").slug
    api.add_collection_item(slug, "acme/gated", "model", note="weights")
    api.add_collection_item(slug, "acme/app", "space")

    imported = project.run("import", "space:acme/app", "acme/gated", "--collection", slug)
    assert imported.exit_code == 0, imported.output
    assert SECRET not in imported.output
    project.yaml(imported.stdout)
    for repo_id, repo_type in (("acme/app", "space"), ("acme/gated", "model")):
        snapshot_download(repo_id, repo_type=repo_type, local_dir=project.root / repo_id.split("/")[1],
                          endpoint=sandbox.url, token=sandbox.token)
    monkeypatch.setenv("OPENAI_KEY", "whatever: the Hub never returns it")
    plan = project.plan("--detailed-exitcode")
    assert (plan.exit_code, plan.stdout) == (0, "No changes.\n"), plan.output


def test_an_id_typed_otherwise_than_the_import_says_is_an_error_naming_it(project):
    result = project.run("import", "volume:acme/app")
    assert result.exit_code == 1
    assert "Error: import volume:acme/app: unknown repo type 'volume'; write model:, dataset: or space:" in (
        result.stderr), result.output
