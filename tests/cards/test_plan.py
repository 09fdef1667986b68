"""Cards in a plan: declared metadata merged into a card from the disk or from the Hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.cards.plan import merge, plan_card
from hfsync.errors import HfsyncError
from hfsync.manifest.load import load
from hfsync.model.remote import RemoteRepo


@pytest.mark.parametrize("card", ["---\n- a: [\n---\n# Remote\n", "---\n- a list\n---\n", "---\nkey: [\n---"])
def test_a_hub_card_whose_front_matter_is_not_a_yaml_mapping_is_named(tmp_path: Path, card: str) -> None:
    # The Hub refuses such a card on upload; a hostile or older one may still serve it.
    (tmp_path / "m").mkdir()
    (tmp_path / "hfsync.yaml").write_text("version: 1\nrepos:\n  - id: acme/m\n    source: {path: m}\n"
                                          "    card: {generate: false, metadata: {license: mit}}\n")
    ((_, target),) = load([tmp_path / "hfsync.yaml"]).repos
    remote = RemoteRepo(exists=True, head="0" * 40, card_data={"license": "apache-2.0"})
    with pytest.raises(HfsyncError) as raised:
        plan_card(target, None, remote, lambda: card, endpoint="https://hub.example")
    assert raised.value.message.startswith("the Hub's README.md of acme/m:1: front matter is not valid YAML: ")


def test_a_hub_card_with_good_front_matter_gets_the_declared_metadata(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "hfsync.yaml").write_text("version: 1\nrepos:\n  - id: acme/m\n    source: {path: m}\n"
                                          "    card: {generate: false, metadata: {license: mit}}\n")
    ((_, target),) = load([tmp_path / "hfsync.yaml"]).repos
    remote = RemoteRepo(exists=True, head="0" * 40, card_data={"license": "apache-2.0"})
    planned = plan_card(target, None, remote, lambda: "---\nlicense: apache-2.0\n---\n# Remote\n",
                        endpoint="https://hub.example")
    assert planned.content == "---\nlicense: mit\n---\n# Remote\n"


CARD = """---
# team card
language: [en, fr]   # both
tags:
- a
- b
license: mit
datasets:
  - acme/d
---
# Body
"""


@pytest.mark.parametrize(("declared", "expected"), [
    ({"language": ["en", "fr"], "license": "mit", "tags": ["a", "b"]}, CARD),
    ({"license": "apache-2.0"}, CARD.replace("license: mit", "license: apache-2.0")),
    ({"tags": ["c"]}, CARD.replace("tags:\n- a\n- b\n", "tags:\n- c\n")),
    ({"datasets": ["acme/e"]}, CARD.replace("datasets:\n  - acme/d\n", "datasets:\n- acme/e\n")),
    ({"language": ["de"]}, CARD.replace("language: [en, fr]   # both\n", "language:\n- de\n")),
    ({"base_model": "acme/base"}, CARD.replace("  - acme/d\n", "  - acme/d\nbase_model: acme/base\n")),
])
def test_merged_metadata_rewrites_only_the_keys_whose_value_changes(declared: dict, expected: str) -> None:
    assert merge(CARD, declared, "README.md") == expected


def test_a_card_without_a_final_newline_is_kept_as_it_is_when_nothing_changes() -> None:
    assert merge("---\nlicense: mit\n---\n# Body", {"license": "mit"}, "README.md") == "---\nlicense: mit\n---\n# Body"
    assert merge("---\n{license: mit}\n---\n", {"license": "x"}, "README.md") == "---\nlicense: x\n---\n"
