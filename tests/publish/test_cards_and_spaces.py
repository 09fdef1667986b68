"""Card metadata merged into README.md, branches, Space settings, and the interactive apply."""

from __future__ import annotations

import io
import sys

from huggingface_hub import HfApi

from tests.helpers import hfsync


def test_declared_metadata_is_merged_into_the_local_readme_keeping_its_body(project, sandbox):
    project.write("m/README.md", "---\nlicense: apache-2.0\nextra: kept\n---\n# My model\n\nBody text.\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/card\n    source: {path: m}\n"
                 "    card: {metadata: {license: mit, tags: [x]}}\n")
    assert project.apply().exit_code == 0
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    path = api.hf_hub_download("sandbox/card", "README.md")
    text = open(path).read()
    assert text == "---\nlicense: mit\nextra: kept\ntags:\n- x\n---\n# My model\n\nBody text.\n"
    assert project.plan("--detailed-exitcode").exit_code == 0
    # A metadata change only: the remote card is rewritten, its body kept
    project.yaml("version: 1\nrepos:\n  - id: sandbox/card\n    source: {path: m}\n"
                 "    card: {metadata: {license: apache-2.0, tags: [x]}}\n")
    plan = project.plan()
    assert '~ card.license = "mit" -> "apache-2.0"' in plan.stdout
    assert '~ file "README.md"' in plan.stdout


def test_metadata_without_a_local_readme_updates_the_remote_card(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/remote-card")
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# Remote body\n", path_in_repo="README.md",
                    repo_id="sandbox/remote-card")
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/remote-card\n    source: {path: m, prune: true}\n"
                 "    card: {generate: false, metadata: {license: apache-2.0}}\n")
    plan = project.plan()
    assert '~ card.license = "mit" -> "apache-2.0"' in plan.stdout
    assert 'README.md' in plan.stdout and '- file "README.md"' not in plan.stdout  # managed: never pruned
    assert project.apply().exit_code == 0
    text = open(api.hf_hub_download("sandbox/remote-card", "README.md")).read()
    assert text == "---\nlicense: apache-2.0\n---\n# Remote body\n"
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_a_readme_whose_front_matter_is_not_yaml_is_a_located_error_not_a_crash(project, sandbox):
    readme = project.write("m/README.md", "---\nlicense: [mit\n---\n# M\n")
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/broken-card\n    source: {path: m}\n"
                 "    card: {metadata: {tags: [a]}}\n")
    for result in (project.plan(), project.apply()):
        assert result.exit_code == 1, result.output
        assert f"{readme}:1: front matter is not valid YAML: expected ',' or ']', but got '<stream end>'" \
            in result.output
        assert "Internal error" not in result.output and "Traceback" not in result.output
    assert "sandbox/broken-card" not in [r.id for r in HfApi(endpoint=sandbox.url).list_models()]


def test_publishing_to_a_new_branch(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/br\n    source: {path: m}\n")
    assert project.apply().exit_code == 0
    project.write("m/config.json", '{"dev": true}\n')
    project.yaml("version: 1\nrepos:\n  - id: sandbox/br\n    revision: dev\n    source: {path: m}\n")
    plan = project.plan()
    assert '+ branch "dev"' in plan.stdout and '~ file "config.json"' in plan.stdout
    assert project.apply().exit_code == 0
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert open(api.hf_hub_download("sandbox/br", "config.json", revision="dev")).read() == '{"dev": true}\n'
    assert open(api.hf_hub_download("sandbox/br", "config.json")).read() == "{}\n"
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_space_settings_are_applied(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {path: s}\n"
                 "    space: {sdk: gradio, hardware: cpu-upgrade, variables: {MODE: demo}}\n")
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert 'space:sandbox/sp: set variables.MODE = "demo"\n' in result.stdout  # as the plan writes it
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    assert {k: v.value for k, v in api.get_space_variables("sandbox/sp").items()} == {"MODE": "demo"}
    assert api.get_space_runtime("sandbox/sp").requested_hardware == "cpu-upgrade"
    again = project.plan()
    assert "variables.MODE" not in again.stdout and "hardware" not in again.stdout


def test_declared_variables_are_the_whole_set(project, sandbox):
    project.write("s/app.py", "print()\n")
    space = "version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {{path: s}}\n    space: {{{}}}\n"
    project.yaml(space.format("sdk: gradio, variables: {MODE: demo, EXTRA: x}"))
    assert project.apply().exit_code == 0
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    project.yaml(space.format("sdk: gradio, variables: {MODE: demo}"))
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 2 and '- variables.EXTRA = "x"' in plan.stdout, plan.output
    assert "variables.MODE" not in plan.stdout
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "space:sandbox/sp: deleted variables.EXTRA" in result.stdout
    assert {k: v.value for k, v in api.get_space_variables("sandbox/sp").items()} == {"MODE": "demo"}
    assert project.plan("--detailed-exitcode").exit_code == 0
    # Not declared at all: not managed, left as they are.
    project.yaml(space.format("sdk: gradio"))
    assert project.plan("--detailed-exitcode").stdout == "No changes.\n"
    # Declared empty: none.
    project.yaml(space.format("sdk: gradio, variables: {}"))
    assert '- variables.MODE = "demo"' in project.plan().stdout
    assert project.apply().exit_code == 0
    assert api.get_space_variables("sandbox/sp") == {}


def test_space_settings_the_hub_refuses_are_warnings(project, sandbox):
    project.write("s/app.py", "print()\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/sp\n    type: space\n    source: {path: s}\n"
                 "    space: {sdk: gradio, hardware: cpu-upgrade, variables: {MODE: demo}}\n")
    plan = project.plan()
    assert '+ hardware = "cpu-upgrade"' in plan.stdout and '+ variables.MODE = "demo"' in plan.stdout
    # The sandbox supports these settings; make it refuse them as a Hub may (no rights, no plan).
    refuse = {"action": "status", "status": 403, "times": 10}
    sandbox.add_faults([{**refuse, "method": "POST", "path": "^/api/spaces/sandbox/sp/hardware$"},
                        {**refuse, "method": "POST", "path": "^/api/spaces/sandbox/sp/variables$"}])
    result = project.apply()
    assert result.exit_code == 0, result.output
    assert "Warning: space:sandbox/sp: hardware not applied:" in result.stdout
    assert "Warning: space:sandbox/sp: variables.MODE not applied:" in result.stdout
    sandbox.add_faults([{**refuse, "method": "GET", "path": "^/api/spaces/sandbox/sp/variables$"}])
    again = project.plan()
    assert "the Hub did not report this Space's variables" in again.stdout


def test_interactive_apply_asks_and_can_be_declined(project, sandbox, monkeypatch):
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/ask\n    source: {path: m}\n")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    args = ("--endpoint", sandbox.url, "--token", sandbox.token, "apply", "-f", str(project.manifest))
    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    declined = hfsync(*args)
    assert declined.exit_code == 1 and "apply cancelled; nothing was changed." in declined.stderr
    assert "Apply these changes? [y/N]" in declined.stdout
    assert not HfApi(endpoint=sandbox.url, token=sandbox.token).repo_exists("sandbox/ask")
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    accepted = hfsync(*args)
    assert accepted.exit_code == 0, accepted.output
    assert HfApi(endpoint=sandbox.url, token=sandbox.token).repo_exists("sandbox/ask")


def test_a_link_to_a_credential_file_is_judged_by_that_file_name(project, sandbox):
    secret = project.write("outside/id_rsa", "not for the Hub\n")
    project.write("m/config.json", "{}\n")
    (project.root / "m/key").symlink_to(secret)
    (project.root / "m/alias.json").symlink_to(project.root / "m/config.json")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/links\n    source: {path: m}\n")
    plan = project.plan()
    assert '+ file "alias.json"' in plan.stdout and plan.exit_code == 1
    assert "Error: sandbox/links: possible secret in key:0: Sensitive file name (SSH private key)" in plan.stdout


def test_a_card_that_is_not_utf8_is_a_plan_error(project, sandbox):
    project.write("m/README.md", b"\xff\xfe bad")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/bad\n    source: {path: m}\n    card: {metadata: {license: mit}}\n")
    result = project.plan("--detailed-exitcode")
    assert result.exit_code == 1
    assert "Error: sandbox/bad: " in result.stdout and "is not UTF-8 text; a card must be" in result.stdout
    assert "Error: the plan has 1 error(s); see above." in result.stderr
    assert "Traceback" not in result.output


def test_a_managed_card_is_published_even_when_include_skips_it(project, sandbox):
    project.write("m/README.md", "---\nlicense: mit\n---\n# Card\n")
    project.write("m/w.safetensors", b"\0" * 10)
    project.yaml("version: 1\nrepos:\n  - id: sandbox/inc\n    source: {path: m, include: ['*.safetensors']}\n"
                 "    card: {metadata: {license: mit}}\n")
    assert project.apply().exit_code == 0
    files = HfApi(endpoint=sandbox.url, token=sandbox.token).list_repo_files("sandbox/inc")
    assert sorted(files) == [".gitattributes", "README.md", "w.safetensors"]
    assert project.plan("--detailed-exitcode").exit_code == 0


def test_a_generated_card_the_hub_holds_is_generated_again_when_any_input_changes(project, sandbox):
    project.write("m/config.json", "{}\n")
    project.write("train.json", '{"epochs": 3}\n')  # outside the source: only the card reads it
    manifest = ("version: 1\nrepos:\n  - id: sandbox/gen\n    description: D1\n    source: {path: m}\n"
                "    card: {metadata: {license: mit}, training: train.json}\n")
    project.yaml(manifest)
    assert project.apply().exit_code == 0
    unchanged = project.plan("--detailed-exitcode")
    assert (unchanged.exit_code, unchanged.stdout) == (0, "No changes.\n")
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    # Each input of the card: the manifest's target, a card input file, the source's files.
    for change in (lambda: project.yaml(manifest.replace("D1", "D2")),
                   lambda: project.write("train.json", '{"epochs": 4}\n'),
                   lambda: project.write("m/adapter_config.json", '{"base_model_name_or_path": "a/b"}\n')):
        change()
        planned = project.plan("--detailed-exitcode")
        assert planned.exit_code == 2 and '~ file "README.md"' in planned.stdout, planned.output
        assert project.apply().exit_code == 0
        published = open(api.hf_hub_download("sandbox/gen", "README.md")).read()
        assert published == hfsync("card", "render", "sandbox/gen", "-f", str(project.manifest)).stdout
        assert project.plan("--detailed-exitcode").exit_code == 0


def test_a_hub_card_too_large_to_merge_into_is_not_read_and_the_plan_says_so(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/big-card")
    api.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# Remote body\n" + b"words " * 500_000,
                    path_in_repo="README.md", repo_id="sandbox/big-card")
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/big-card\n    source: {path: m}\n"
                 "    card: {generate: false, metadata: {license: apache-2.0, tags: [a]}}\n")
    sandbox.reset_stats()
    plan = project.plan()
    assert plan.exit_code == 1, plan.output
    assert ("the Hub's README.md of sandbox/big-card is 3.0 MB, more than the 1.0 MB hfsync reads of a card (as "
            "of a file it diffs): it was not read, and the declared card metadata (license, tags) was not merged "
            "into it") in plan.output
    assert f"Put the card in the source folder ({project.root / 'm' / 'README.md'})" in plan.output
    assert "Traceback" not in plan.output
    assert "GET resolve" not in sandbox.stats()["routes"]  # not a byte of it read


def test_a_hub_card_is_read_once_and_only_its_bytes(project, sandbox):
    api = HfApi(endpoint=sandbox.url, token=sandbox.token)
    api.create_repo("sandbox/card-once")
    card = b"---\nlicense: mit\n---\n# Remote body\n" + b"words " * 100_000
    api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id="sandbox/card-once")
    project.write("m/config.json", "{}\n")
    project.yaml("version: 1\nrepos:\n  - id: sandbox/card-once\n    source: {path: m}\n"
                 "    card: {generate: false, metadata: {license: apache-2.0}}\n")
    sandbox.reset_stats()
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert '~ card.license = "mit" -> "apache-2.0"' in plan.stdout
    resolve = sandbox.stats()["routes"]["GET resolve"]
    assert (resolve["requests"], resolve["bytes_out"]) == (1, len(card))
