"""The base_model lineage at lock time: recorded in the lock, judged by policy.licenses along the
whole chain, a loop an error."""

from __future__ import annotations

import yaml


def card(license_id: str, base: str | None = None) -> bytes:
    front = f"license: {license_id}\n" + (f"base_model: {base}\n" if base else "")
    return f"---\n{front}---\n# model\n".encode()


def seed(make_repo, chain: dict[str, tuple[str, str | None]]) -> None:  # type: ignore[no-untyped-def]
    for repo, (license_id, base) in chain.items():
        make_repo(repo, {"README.md": card(license_id, base), "config.json": b"{}"})


def test_lock_records_the_lineage_and_the_license(make_repo, project, run):
    seed(make_repo, {"acme/base": ("apache-2.0", None), "acme/tuned": ("mit", "acme/base"),
                     "acme/adapter": ("mit", "acme/tuned")})
    project.write([{"id": "acme/adapter", "dest": "vendor/a"}], policy={"licenses": ["mit", "apache-2.0"]})
    result = run("lock")
    assert result.exit_code == 0, result.output
    entry = yaml.safe_load(project.lock.read_text())["pulls"][0]
    assert entry["license"] == "mit"
    assert entry["lineage"] == [{"id": "acme/tuned", "base_of": "acme/adapter", "license": "mit"},
                                {"id": "acme/base", "base_of": "acme/tuned", "license": "apache-2.0"}]


def test_a_base_model_license_outside_the_policy_fails_lock_naming_the_chain(make_repo, project, run):
    seed(make_repo, {"acme/base": ("cc-by-nc-4.0", None), "acme/tuned": ("mit", "acme/base"),
                     "acme/adapter": ("mit", "acme/tuned")})
    project.write([{"id": "acme/adapter", "dest": "vendor/a"}], policy={"licenses": ["mit", "apache-2.0"]})
    result = run("lock")
    assert result.exit_code == 1
    assert ("base model 'acme/base' (acme/adapter -> acme/tuned -> acme/base) has license 'cc-by-nc-4.0', "
            "which policy.licenses does not allow") in result.output, result.output
    assert not project.lock.exists()


def test_a_lineage_loop_is_an_error(make_repo, project, run):
    seed(make_repo, {"acme/a": ("mit", "acme/b"), "acme/b": ("mit", "acme/c"), "acme/c": ("mit", "acme/a")})
    project.write([{"id": "acme/a", "dest": "vendor/a"}])
    result = run("lock")
    assert result.exit_code == 1
    assert "its base_model lineage loops: acme/a -> acme/b -> acme/c -> acme/a" in result.output, result.output
    assert "Traceback" not in result.output


def test_a_base_model_the_hub_does_not_have_is_recorded_and_said_not_judged(make_repo, project, run):
    seed(make_repo, {"acme/adapter": ("mit", "acme/gone")})
    project.write([{"id": "acme/adapter", "dest": "vendor/a"}], policy={"licenses": ["mit"]})
    result = run("lock")
    assert result.exit_code == 0, result.output
    assert ("its base model 'acme/gone' (acme/adapter -> acme/gone) is not on the Hub, or not visible with this "
            "token: its license is not checked") in result.output
    assert yaml.safe_load(project.lock.read_text())["pulls"][0]["lineage"] == [
        {"id": "acme/gone", "base_of": "acme/adapter"}]


def test_a_base_model_without_a_license_is_refused_by_the_policy(make_repo, project, run):
    make_repo("acme/bare", {"README.md": b"# no card data\n"})
    seed(make_repo, {"acme/adapter": ("mit", "acme/bare")})
    project.write([{"id": "acme/adapter", "dest": "vendor/a"}], policy={"licenses": ["mit"]})
    result = run("lock")
    assert result.exit_code == 1
    assert "base model 'acme/bare' (acme/adapter -> acme/bare) declares no license" in result.output
