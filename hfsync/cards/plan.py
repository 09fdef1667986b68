"""The card step of planning: which README.md to publish, and its metadata changes.

One function, ``plan_card``. A source without README.md gets one generated
(cards.generate) unless ``card.generate`` is false. Otherwise the metadata a manifest
declares is merged into the README.md front matter: the local one when the source has
one, else the remote one (fetched only when the declared metadata differs from the
Hub's card data, and only when it is no larger than ``CARD_LIMIT``, the limit a diff
reads a text file up to: a larger one is not read, and the target says so). The card
body is kept as it is. Parsing and writing front matter is
huggingface_hub's RepoCard.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hfsync.cards.check import FRONT_MATTER, load_yaml, metadata_of
from hfsync.cards.generate import generate
from hfsync.cards.generate import inputs as card_inputs
from hfsync.errors import HfsyncError
from hfsync.inspect.reading import TEXT_LIMIT
from hfsync.manifest.model import RepoTarget
from hfsync.model.remote import RemoteRepo
from hfsync.units import human_size

README = "README.md"
# The Hub's card is read whole to merge metadata into (its body is published as it is), so
# only as far as a diff reads a text file.
CARD_LIMIT = TEXT_LIMIT


@dataclass(frozen=True)
class CardPlan:
    """What the card step decided.

    ``content`` is the README.md text to publish in place of the local file (None: the
    local README.md, if any, is published as it is, like any other file). ``declared`` is the metadata the
    card must carry (diffed against the Hub's). ``inputs`` are local files read (path
    relative to the source -> sha256) so a saved plan can tell when they change.
    """

    content: str | None = None
    declared: Mapping[str, Any] = field(default_factory=dict)
    managed: bool = False
    inputs: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def declared_metadata(target: RepoTarget) -> dict[str, Any]:
    """The front matter keys hfsync manages for ``target``."""
    declared = dict(target.card.metadata)
    if target.space is not None and target.space.sdk is not None:
        declared["sdk"] = target.space.sdk  # a Space's SDK lives in its card
    if target.type == "space" and target.description is not None:
        declared["short_description"] = target.description
    return declared


def merge(text: str, metadata: Mapping[str, Any], where: str) -> str:
    """``text`` with ``metadata`` merged into its front matter; the body unchanged, and
    the keys whose value is already the declared one as they were written (the text
    itself when no value changes). Front matter that is not a YAML mapping is an error
    naming ``where`` the text is from. The front matter is parsed once (a card may carry
    a large one: eval results), and the edited block once more to check the edit."""
    match = FRONT_MATTER.search(text)
    try:
        node = _composed(match.group(2) + "\n") if match is not None else None
        front = metadata_of(_constructed(node))
    except ValueError as error:
        raise HfsyncError(f"{where}:1: front matter is not valid YAML: {error}",
                          hint="Fix the front matter between the --- lines at the top of the card.") from None
    changed = {k: v for k, v in metadata.items() if front.get(k) != v}
    if not changed:
        return text
    spliced = _spliced(text, match, node, changed) if match is not None and match.start() == 0 else None
    return spliced or _rewritten(text, changed)


def _composed(block: str) -> Any:
    """The YAML node of a front matter block (libyaml's parser when there); ValueError worded by the
    pure parser when it is not YAML."""
    import yaml

    from hfsync.inspect.bounded import compose_yaml

    try:  # bounded: the card may be the Hub's, written by anyone
        return compose_yaml(block)
    except yaml.YAMLError:
        load_yaml(block)  # raises ValueError with the pure parser's words
        return compose_yaml(block, yaml.SafeLoader)  # libyaml alone refused it


def _constructed(node: Any) -> Any:
    import yaml

    return None if node is None else yaml.SafeLoader("").construct_document(node)


def _spliced(text: str, match: re.Match[str], node: Any, changed: Mapping[str, Any]) -> str | None:
    """``text`` with only the ``changed`` keys of its front matter (``match``, composed as
    ``node``) rewritten (new ones appended), the other keys, comments and the body as
    written; None when the front matter is not a plain block mapping this can edit safely."""
    import yaml

    block = match.group(2) + "\n"
    if not isinstance(node, yaml.MappingNode) or node.flow_style:
        return None
    spans = {}
    for key, value in node.value:
        end = value.end_mark.index
        end = block.find("\n", end - 1 if block[end - 1 : end] == "\n" else end) + 1  # the rest of its line
        spans[key.value] = (key.start_mark.index, end)
    pieces, last = [], 0
    for name, (start, end) in sorted(spans.items(), key=lambda kv: kv[1]):
        if name in changed:
            pieces += [block[last:start], _dumped(name, changed[name])]
            last = end
    pieces.append(block[last:])
    pieces += [_dumped(k, v) for k, v in changed.items() if k not in spans]
    edited = "".join(pieces)
    try:
        if load_yaml(edited) != {**_constructed(node), **changed}:
            return None
    except ValueError:
        return None
    return match.group(1) + edited.removesuffix("\n") + match.group(3) + text[match.end():]


def _dumped(key: str, value: Any) -> str:
    import yaml

    return yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _rewritten(text: str, metadata: Mapping[str, Any]) -> str:
    """``text`` with ``metadata`` merged in by huggingface_hub's RepoCard, which writes the
    whole front matter anew."""
    from huggingface_hub import RepoCard  # here: huggingface_hub.repocard costs start-up time

    if not text.startswith("---"):
        # RepoCard logs a warning for a card without front matter; give it an empty one.
        text = "---\nx: null\n---\n" + text
        card = RepoCard(text, ignore_metadata_errors=True)
        del card.data.x  # type: ignore[attr-defined]  # card data holds the front matter's keys as attributes
    else:
        card = RepoCard(text, ignore_metadata_errors=True)
    for key, value in metadata.items():
        setattr(card.data, key, value)
    merged = str(card)
    return merged if merged.endswith("\n") else merged + "\n"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_card(target: RepoTarget, files: Sequence[str], endpoint: str) -> str | None:
    """The README.md apply would publish to the Hub at ``endpoint``, as far as the disk decides it: generated,
    or the source's own with declared metadata merged in. None: the Hub's card decides."""
    readme = target.source.path / README
    if readme.is_file():
        return merge(readme.read_text(encoding="utf-8"), declared_metadata(target), str(readme))
    if target.card.generate:
        return generate(target, files, endpoint)
    return None


def plan_card(
    target: RepoTarget,
    local_readme: Path | None,
    remote: RemoteRepo,
    fetch_remote_readme: Callable[[], str | None],
    files: Sequence[str] = (),
    published: Callable[[Mapping[str, str]], bool] | None = None,
    *,
    endpoint: str,
) -> CardPlan:
    """Decide the README.md to publish for ``target`` (whose source holds ``files``).

    ``published(inputs)``: whether the Hub holds the very card generate() would write from
    these inputs (known from an earlier plan); the card is then not generated again and
    ``content`` stays None (nothing to upload). ``endpoint``: the Hub the card is published to."""
    declared = declared_metadata(target)
    if local_readme is None and target.card.generate:
        root = target.source.path
        used = {os.path.relpath(p, root): _sha256(p) for p in card_inputs(target)}
        if published is not None and published(used):
            return CardPlan(None, declared, True, used)
        return CardPlan(generate(target, files, endpoint), declared, True, used)
    if not declared:
        return CardPlan()
    if local_readme is not None:
        raw = local_readme.read_bytes()
        text = raw.decode("utf-8")
        merged = merge(text, declared, str(local_readme))
        inputs = {README: hashlib.sha256(raw).hexdigest()}
        # Always the merged text, even when equal to the file: the card is published
        # whether or not the source's include patterns select README.md.
        return CardPlan(merged, declared, True, inputs)
    if remote.exists and all(remote.card_data.get(k) == v for k, v in declared.items()):
        return CardPlan(None, declared, True)
    listed = remote.files.get(README)
    if listed is not None and listed.size > CARD_LIMIT:
        raise HfsyncError(
            f"the Hub's {README} of {target.key} is {human_size(listed.size)}, more than the "
            f"{human_size(CARD_LIMIT)} hfsync reads of a card (as of a file it diffs): it was not read, and "
            f"the declared card metadata ({', '.join(sorted(declared))}) was not merged into it",
            hint=f"Put the card in the source folder ({target.source.path / README}): the metadata is merged "
            "into a local card whatever its size; or make the card on the Hub smaller.")
    base = fetch_remote_readme() if remote.exists else None
    return CardPlan(merge(base or "", declared, f"the Hub's {README} of {target.key}"), declared, True)
