"""`hfsync bom`: what a lock brings in, as a bill of materials (CycloneDX 1.6 ML-BOM or SPDX 3.0).

A view of the locks alone (no Hub): each pull is a component named by its package URL
(``pkg:huggingface/<namespace>/<name>@<commit>``), with its files and their digests, the
license and the signer the lock recorded, and its ``base_model`` lineage as dependencies.
A base model that is not itself pulled is a component without a version: the lock knows
it from the cards, not by a pin. The output is deterministic: the same locks give the
same text, so a BOM can be committed and diffed.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from hfsync import __version__
from hfsync.model.lock import LockedFile, LockedPull, LockFile

FORMATS = ("cyclonedx", "spdx")
# Hub license ids and the SPDX ids they stand for (the Hub's own, such as llama3.1, have none).
SPDX_IDS = {
    "afl-3.0": "AFL-3.0", "agpl-3.0": "AGPL-3.0-only", "apache-2.0": "Apache-2.0", "artistic-2.0": "Artistic-2.0",
    "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-3-clause-clear": "BSD-3-Clause-Clear",
    "bsl-1.0": "BSL-1.0", "cc-by-2.0": "CC-BY-2.0", "cc-by-2.5": "CC-BY-2.5", "cc-by-3.0": "CC-BY-3.0",
    "cc-by-4.0": "CC-BY-4.0", "cc-by-nc-2.0": "CC-BY-NC-2.0", "cc-by-nc-3.0": "CC-BY-NC-3.0",
    "cc-by-nc-4.0": "CC-BY-NC-4.0", "cc-by-nc-nd-3.0": "CC-BY-NC-ND-3.0", "cc-by-nc-nd-4.0": "CC-BY-NC-ND-4.0",
    "cc-by-nc-sa-2.0": "CC-BY-NC-SA-2.0", "cc-by-nc-sa-3.0": "CC-BY-NC-SA-3.0", "cc-by-nc-sa-4.0": "CC-BY-NC-SA-4.0",
    "cc-by-nd-4.0": "CC-BY-ND-4.0", "cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-sa-4.0": "CC-BY-SA-4.0",
    "cc0-1.0": "CC0-1.0", "cdla-permissive-1.0": "CDLA-Permissive-1.0", "cdla-permissive-2.0": "CDLA-Permissive-2.0",
    "cdla-sharing-1.0": "CDLA-Sharing-1.0", "ecl-2.0": "ECL-2.0", "epl-1.0": "EPL-1.0", "epl-2.0": "EPL-2.0",
    "etalab-2.0": "etalab-2.0", "eupl-1.1": "EUPL-1.1", "eupl-1.2": "EUPL-1.2", "gpl-2.0": "GPL-2.0-only",
    "gpl-3.0": "GPL-3.0-only", "isc": "ISC", "lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only",
    "lppl-1.3c": "LPPL-1.3c", "mit": "MIT", "mpl-2.0": "MPL-2.0", "ms-pl": "MS-PL", "ncsa": "NCSA",
    "odbl": "ODbL-1.0", "odc-by": "ODC-By-1.0", "ofl-1.1": "OFL-1.1", "osl-3.0": "OSL-3.0", "pddl": "PDDL-1.0",
    "postgresql": "PostgreSQL", "unlicense": "Unlicense", "wtfpl": "WTFPL", "zlib": "Zlib",
}


def purl(repo_id: str, repo_type: str = "model", commit: str | None = None) -> str:
    """The package URL of a Hub repo (at a commit): ``pkg:huggingface/<namespace>/<name>@<commit>``."""
    path = "/".join(quote(part, safe="") for part in repo_id.split("/"))
    version = f"@{commit}" if commit else ""
    kind = "" if repo_type == "model" else f"?repository_url={quote(f'https://huggingface.co/{repo_type}s', safe='')}"
    return f"pkg:huggingface/{path}{version}{kind}"


def _license(license_id: str | None) -> list[dict[str, Any]]:
    if not license_id:
        return []
    spdx = SPDX_IDS.get(license_id)
    return [{"license": {"id": spdx} if spdx else {"name": license_id}}]


def _file(pull: LockedPull, file: LockedFile) -> dict[str, Any]:
    component: dict[str, Any] = {"type": "file", "bom-ref": f"{purl(pull.id, pull.type, pull.commit)}#{file.path}",
                                 "name": file.path}
    if file.sha256:
        component["hashes"] = [{"alg": "SHA-256", "content": file.sha256}]
    properties = [("hfsync:size", str(file.size))]
    if file.git_oid:
        properties.append(("hfsync:git-blob-id", file.git_oid))
    if file.xet_hash:
        properties.append(("hfsync:xet-hash", file.xet_hash))
    component["properties"] = [{"name": n, "value": v} for n, v in properties]
    return component


def _pull(pull: LockedPull) -> dict[str, Any]:
    ref = purl(pull.id, pull.type, pull.commit)
    properties = [("hfsync:revision", pull.revision)]
    if pull.signature is not None:
        properties += [("hfsync:signature:signer", pull.signature.signer),
                       ("hfsync:signature:sha256", pull.signature.digest)]
    component: dict[str, Any] = {
        "type": "machine-learning-model" if pull.type == "model" else "data" if pull.type == "dataset"
        else "application",
        "bom-ref": ref, "name": pull.id, "version": pull.commit, "purl": ref,
    }
    if licenses := _license(pull.license):
        component["licenses"] = licenses
    component["properties"] = [{"name": n, "value": v} for n, v in properties]
    component["components"] = [_file(pull, f) for f in sorted(pull.files, key=lambda f: f.path)]
    return component


def cyclonedx(locks: Sequence[LockFile]) -> dict[str, Any]:
    """A CycloneDX 1.6 BOM of every pull the locks pin."""
    pulls = sorted((p for lock in locks for p in lock.pulls), key=lambda p: (p.type, p.id))
    refs = {p.id: purl(p.id, p.type, p.commit) for p in pulls if p.type == "model"}
    components = [_pull(p) for p in pulls]
    bases: dict[str, dict[str, Any]] = {}
    edges: dict[str, set[str]] = {purl(p.id, p.type, p.commit): set() for p in pulls}
    for pull in pulls:
        for ancestor in pull.lineage:
            if ancestor.id not in refs and ancestor.id not in bases:
                bases[ancestor.id] = {"type": "machine-learning-model", "bom-ref": purl(ancestor.id),
                                      "name": ancestor.id, "purl": purl(ancestor.id),
                                      **({"licenses": _license(ancestor.license)} if ancestor.license else {})}
            child = refs.get(ancestor.base_of, purl(ancestor.base_of))
            parent = refs.get(ancestor.id, purl(ancestor.id))
            edges.setdefault(child, set()).add(parent)
            edges.setdefault(parent, set())
    components += [bases[b] for b in sorted(bases)]
    body = {
        "components": components,
        "dependencies": [{"ref": ref, "dependsOn": sorted(on)} for ref, on in sorted(edges.items())],
    }
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "hfsync-bom:" + json.dumps(body, sort_keys=True))
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": f"urn:uuid:{serial}", "version": 1,
        "metadata": {"tools": {"components": [{"type": "application", "name": "hfsync", "version": __version__}]}},
        **body,
    }


def _created() -> str:
    """When the document was made: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def spdx(locks: Sequence[LockFile]) -> dict[str, Any]:
    """An SPDX 3.0 (JSON-LD) document of every pull the locks pin."""
    pulls = sorted((p for lock in locks for p in lock.pulls), key=lambda p: (p.type, p.id))
    base = "urn:hfsync:bom:"
    info = "_:creationinfo"
    graph: list[dict[str, Any]] = [
        {"type": "CreationInfo", "@id": info, "specVersion": "3.0.1", "created": _created(),
         "createdBy": [f"{base}tool"]},
        {"type": "Tool", "spdxId": f"{base}tool", "creationInfo": info, "name": f"hfsync {__version__}"},
    ]
    ids = {p.id: f"{base}{purl(p.id, p.type, p.commit)}" for p in pulls}
    roots, licenses = [], {}
    for pull in pulls:
        pkg = ids[pull.id]
        roots.append(pkg)
        graph.append({"type": "ai_AIPackage" if pull.type == "model" else "software_Package", "spdxId": pkg,
                      "creationInfo": info, "name": pull.id, "software_packageVersion": pull.commit,
                      "software_packageUrl": purl(pull.id, pull.type, pull.commit)})
        files = []
        for file in sorted(pull.files, key=lambda f: f.path):
            element = {"type": "software_File", "spdxId": f"{pkg}#{file.path}", "creationInfo": info,
                       "name": file.path}
            if file.sha256:
                element["verifiedUsing"] = [{"type": "Hash", "algorithm": "sha256", "hashValue": file.sha256}]
            graph.append(element)
            files.append(element["spdxId"])
        if files:
            graph.append({"type": "Relationship", "spdxId": f"{pkg}#contains", "creationInfo": info, "from": pkg,
                          "relationshipType": "contains", "to": files})
        for owner, license_id in [(pkg, pull.license)] + [(ids.get(a.id, f"{base}{purl(a.id)}"), a.license)
                                                          for a in pull.lineage]:
            if license_id:
                expression = licenses.setdefault(license_id, f"{base}license:{license_id}")
                graph.append({"type": "Relationship", "spdxId": f"{owner}#license", "creationInfo": info,
                              "from": owner, "relationshipType": "hasDeclaredLicense", "to": [expression]})
        for ancestor in pull.lineage:
            parent = ids.get(ancestor.id, f"{base}{purl(ancestor.id)}")
            if ancestor.id not in ids:
                graph.append({"type": "ai_AIPackage", "spdxId": parent, "creationInfo": info, "name": ancestor.id,
                              "software_packageUrl": purl(ancestor.id)})
            graph.append({"type": "Relationship", "spdxId": f"{parent}#ancestorOf", "creationInfo": info,
                          "from": parent, "relationshipType": "ancestorOf",
                          "to": [ids.get(ancestor.base_of, f"{base}{purl(ancestor.base_of)}")]})
    graph += [{"type": "simplelicensing_LicenseExpression", "spdxId": ref, "creationInfo": info,
               "simplelicensing_licenseExpression": SPDX_IDS.get(lic, f"LicenseRef-{lic}")}
              for lic, ref in sorted(licenses.items())]
    unique = list({e["spdxId"] if "spdxId" in e else e["@id"]: e for e in graph}.values())
    unique.append({"type": "SpdxDocument", "spdxId": f"{base}document", "creationInfo": info,
                   "rootElement": roots, "element": [e["spdxId"] for e in unique if "spdxId" in e]})
    return {"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": unique}


def render(locks: Sequence[LockFile], fmt: str = "cyclonedx") -> str:
    """The BOM as JSON text."""
    document = cyclonedx(locks) if fmt == "cyclonedx" else spdx(locks)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
