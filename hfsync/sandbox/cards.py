"""README front matter: parsed into ``cardData`` and tags, and checked by validate-yaml."""

from __future__ import annotations

import re

import yaml

# Blank lines before the opening --- are allowed, as the Hub (and the client) read cards.
_FRONT = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")

# The Hub's license ids, in the order its validator lists them
# (https://huggingface.co/docs/hub/repositories-licenses).
LICENSE_IDS = tuple(
    """apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m
    bigscience-bloom-rail-1.0 bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd
    bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5
    cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0
    cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0
    cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
    ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0
    gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl
    apple-ascl apple-amlr mpl-2.0 odc-by odbl openmdw-1.0 openmdw-1.1 openrail++ osl-3.0
    postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license
    fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4
    grok2-community gemma unknown other""".split()
)
LICENSES = frozenset(LICENSE_IDS)
# The Hub's answers, word for word: the warning for a card without metadata, and the
# license error (its list ends in "array": a list of ids is accepted too).
NO_METADATA = "empty or missing yaml metadata in repo card"
_LICENSE_ERROR = f'"{{key}}" must be one of [{", ".join(LICENSE_IDS)}, array]'


def front_matter(text: str) -> dict | None:
    """The YAML mapping at the top of a card, None when there is none, it is invalid, or it
    is one the Hub would not serve as ``cardData`` (see ``_unservable``)."""
    match = _FRONT.match(text.lstrip("\ufeff"))
    if not match:
        return None
    try:
        if _unservable(match.group(1)):
            return None
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


# Past these, front matter is taken as invalid: deep nesting would exhaust the parser's
# stack, and aliases (a "billion laughs", or one inside what it names) the JSON of cardData.
_DEPTH, _VALUES = 100, 100_000


def _unservable(block: str) -> bool:
    """Whether ``block`` nests past _DEPTH, expands past _VALUES values, or holds an alias
    inside what it names, read from the parser's events (which do not recurse)."""
    counts, anchors, named = [0], [], {}
    for event in yaml.parse(block, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if isinstance(event, yaml.CollectionStartEvent):
            counts.append(1)
            anchors.append(event.anchor)
            if len(counts) > _DEPTH:
                return True
        elif isinstance(event, yaml.CollectionEndEvent):
            size, anchor = counts.pop(), anchors.pop()
            counts[-1] += size
            named[anchor] = size
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in anchors:
                return True
            counts[-1] += named.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            counts[-1] += 1
            named[event.anchor] = 1
        if counts[-1] > _VALUES:
            return True
    return False


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
    """(errors, warnings) for a README as /api/validate-yaml reports them.

    Messages read like the Hub's (its validator's wording: ``"key" must be ...``).
    """
    match = _FRONT.match(content.lstrip("\ufeff"))
    if not match:
        return [], [{"message": NO_METADATA}]
    try:
        if _unservable(match.group(1)):
            return [{"message": "Invalid YAML in README.md front matter: it nests too deep or its aliases "
                                "expand too far"}], []
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        return [{"message": f"Invalid YAML in README.md front matter: {error}"}], []
    if not data:
        return [], [{"message": NO_METADATA}]
    if not isinstance(data, dict):
        return [{"message": "README.md front matter must be a YAML mapping"}], []
    errors = [{"message": m} for m in _problems(data)]
    return errors, []


def _problems(data: dict) -> list[str]:
    problems: list[str] = []
    licenses = data.get("license")
    if isinstance(licenses, list):
        named = [(f"license[{i}]", lic) for i, lic in enumerate(licenses)]
    else:
        named = [("license", licenses)] if licenses is not None else []
    for key, lic in named:
        if not isinstance(lic, str) or lic.lower() not in LICENSES:
            problems.append(_LICENSE_ERROR.format(key=key))
    for lang in _as_list(data.get("language")):
        if not isinstance(lang, str) or not _LANG.match(lang):
            problems.append(f'"language" must be ISO 639 codes, got {lang!r}')
    tags = data.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str | int | float) for t in tags)):
        problems.append('"tags" must be an array of strings')
    if "model-index" in data:
        problems += _model_index(data["model-index"])
    return problems


def _model_index(index: object) -> list[str]:
    """model-index is a list of models, each with its list of results."""
    if not isinstance(index, list):
        return ['"model-index" must be an array']
    problems = []
    for i, model in enumerate(index):
        if not isinstance(model, dict):
            problems.append(f'"model-index[{i}]" must be of type object')
        elif "results" not in model:
            problems.append(f'"model-index[{i}].results" is required')
        elif not isinstance(model["results"], list):
            problems.append(f'"model-index[{i}].results" must be an array')
    return problems
