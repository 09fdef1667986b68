"""hfsync bom: a CycloneDX 1.6 ML-BOM (or SPDX 3.0) of what the locks pin, valid against the schema."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from hfsync.model.lock import LockedFile, LockedPull, LockFile
from hfsync.render.bom import SPDX_IDS, cyclonedx
from tests.pull.test_lineage import card
from tests.pull.test_signed_pulls import files, publish
from tests.signing.material import key_pair


def valid(document: dict) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    assert error is None, error


def test_bom_of_a_signed_adapter_and_its_lineage(hub, tmp_path, project, run, make_repo):
    trusted = key_pair(project.path / "keys", "trusted")
    make_repo("acme/root", {"README.md": card("mit")})
    make_repo("acme/base", {"README.md": card("apache-2.0", "acme/root"), "config.json": b"{}"})
    content = {**files(), "README.md": card("mit", "acme/base")}
    adapter = publish(hub, tmp_path, "acme/adapter", content, trusted)
    project.write([{"id": "acme/adapter", "dest": "vendor/a", "verify": {"keys": ["keys/trusted.pub"]}},
                   {"id": "acme/base", "dest": "vendor/b"}])
    assert run("lock").exit_code == 0
    result = run("bom")
    assert result.exit_code == 0, result.output
    bom = json.loads(result.stdout)
    valid(bom)
    assert run("bom").stdout == result.stdout  # deterministic
    components = {c["bom-ref"]: c for c in bom["components"]}
    ref = f"pkg:huggingface/acme/adapter@{adapter}"
    mine = components[ref]
    assert (mine["type"], mine["name"], mine["version"], mine["purl"]) == ("machine-learning-model", "acme/adapter",
                                                                           adapter, ref)
    assert mine["licenses"] == [{"license": {"id": "MIT"}}]
    props = {p["name"]: p["value"] for p in mine["properties"]}
    assert props["hfsync:signature:signer"].startswith("key sha256:") and len(props["hfsync:signature:sha256"]) == 64
    weights = next(c for c in mine["components"] if c["name"] == "model.safetensors")
    lock = json.dumps(__import__("yaml").safe_load(project.lock.read_text()))
    assert weights["hashes"][0]["alg"] == "SHA-256" and weights["hashes"][0]["content"] in lock
    base = next(r for r in components if r.startswith("pkg:huggingface/acme/base@"))
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert deps[ref] == [base]  # the base model is pulled too: the dependency names its pin
    assert deps[base] == ["pkg:huggingface/acme/root"]
    assert components["pkg:huggingface/acme/root"]["licenses"] == [{"license": {"id": "MIT"}}]

    spdx = json.loads(run("bom", "--format", "spdx").stdout)
    kinds = {e["type"] for e in spdx["@graph"]}
    assert {"SpdxDocument", "ai_AIPackage", "software_File", "Relationship", "CreationInfo"} <= kinds
    assert any(e.get("relationshipType") == "ancestorOf" for e in spdx["@graph"])


def test_every_license_the_bom_maps_is_an_spdx_id_cyclonedx_accepts():
    pulls = tuple(LockedPull(f"acme/m{i}", "model", "main", f"{i:040x}", "0" * 16,
                             (LockedFile("a.json", 1, git_oid="1" * 40),), license=hub_id)
                  for i, hub_id in enumerate([*SPDX_IDS, "llama3.1", "other"]))
    valid(cyclonedx([LockFile(__import__("pathlib").Path("hfsync.lock"), pulls)]))


def test_bom_without_a_lock_says_so(project, run):
    project.write([{"id": "acme/x", "dest": "vendor/x"}])
    result = run("bom")
    assert result.exit_code == 1 and "hfsync.lock does not exist" in result.output
