"""README front matter: parsed into ``cardData`` and tags, and checked by validate-yaml."""

from __future__ import annotations

import re

import yaml

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

# The Hub's license ids (https://huggingface.co/docs/hub/repositories-licenses).
LICENSES = frozenset(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
    bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd
    bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0
    cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0
    cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0
    gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl
    apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openrail++ osl-3.0 postgresql
    ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
    fair-noncommercial-research-license llama2
    llama3 llama3.1 llama3.2 llama3.3 llama4 gemma unknown other""".split()
)


def front_matter(text: str) -> dict | None:
    """The YAML mapping at the top of a card, None when there is none or it is invalid."""
    match = _FRONT.match(text.lstrip("\ufeff"))
    if not match:
        return None
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def tags_for(card: dict | None, repo_type: str) -> list[str]:
    """Tags the Hub derives from card metadata (order: declared first, then derived)."""
    card = card or {}
    tags: list[str] = [str(t) for t in _as_list(card.get("tags"))]
    if repo_type == "model":
        tags += [str(x) for x in _as_list(card.get("library_name"))]
        tags += [str(x) for x in _as_list(card.get("pipeline_tag"))]
    if repo_type == "dataset":
        for key in ("task_categories", "task_ids", "size_categories"):
            tags += [f"{key}:{x}" for x in _as_list(card.get(key))]
        tags += [f"language:{lang}" for lang in _as_list(card.get("language"))]
    else:
        tags += [str(lang) for lang in _as_list(card.get("language"))]
    tags += [f"dataset:{d}" for d in _as_list(card.get("datasets"))]
    tags += [f"base_model:{b}" for b in _as_list(card.get("base_model"))]
    tags += [f"license:{lic}" for lic in _as_list(card.get("license"))]
    if repo_type == "space" and card.get("sdk"):
        tags.append(str(card["sdk"]))
    tags.append("region:us")
    seen: set[str] = set()
    return [t for t in tags if not (t in seen or seen.add(t))]


def validate(content: str, repo_type: str) -> tuple[list[dict], list[dict]]:
    """(errors, warnings) for a README as /api/validate-yaml reports them."""
    if not _FRONT.match(content.lstrip("\ufeff")):
        return [], []
    try:
        data = yaml.safe_load(_FRONT.match(content.lstrip("\ufeff")).group(1))  # type: ignore[union-attr]
    except yaml.YAMLError as error:
        return [{"message": f"Invalid YAML in README.md front matter: {error}"}], []
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [{"message": "README.md front matter must be a YAML mapping"}], []
    errors: list[dict] = []
    for lic in _as_list(data.get("license")):
        if not isinstance(lic, str) or lic.lower() not in LICENSES:
            errors.append({"message": f'"license" must be one of the Hub license ids, got {lic!r}'})
    for lang in _as_list(data.get("language")):
        if not isinstance(lang, str) or not _LANG.match(lang):
            errors.append({"message": f'"language" must be ISO 639 codes, got {lang!r}'})
    tags = data.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str | int | float) for t in tags)):
        errors.append({"message": '"tags" must be an array of strings'})
    return errors, []
