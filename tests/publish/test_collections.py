"""Collections declared in the manifest: planned item by item, applied through the Hub's
collection API, drift-checked and imported, against the sandbox with the real client."""

from __future__ import annotations

import json
import random

from huggingface_hub import HfApi

from hfsync.manifest.model import CollectionItem
from hfsync.model.collection import RemoteItem
from hfsync.publish.collections import item_changes, moves

HEAD = "version: 1\ndefaults: {namespace: acme}\n"


def _hub(project) -> HfApi:
    return HfApi(endpoint=project.sandbox.url, token=project.sandbox.token)


def _items(project, slug: str) -> list[tuple[str, str, str | None]]:
    return [(i.item_type, i.item_id, i.note) for i in _hub(project).get_collection(slug).items]


def _slug(project, title: str) -> str:
    return next(c.slug for c in _hub(project).list_collections(owner="acme") if c.title == title)


def _requests(project, *routes: str) -> dict[str, int]:
    seen = project.sandbox.stats()["routes"]
    return {r: seen.get(r, {}).get("requests", 0) for r in routes}


def test_create_then_no_change_then_drift(project):
    hub = _hub(project)
    hub.create_repo("acme/model")
    hub.create_repo("acme/data", repo_type="dataset")
    project.yaml(HEAD + """collections:
  - title: Team picks
    description: What we ship
    theme: green
    items:
      - model: model
        note: the base
      - dataset: acme/data
      - paper: "2311.12983"
        note: why it works
""")
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert 'collection "acme/Team picks"' in plan.output
    assert 'item "model acme/model" (note \'the base\')' in plan.output
    assert "Plan: 1 to create, 0 to change, 0 to delete." in plan.output
    applied = project.apply()
    assert applied.exit_code == 0, applied.output
    assert "collection:acme/Team picks: added paper 2311.12983" in applied.output
    slug = _slug(project, "Team picks")
    assert _items(project, slug) == [("model", "acme/model", "the base"), ("dataset", "acme/data", None),
                                     ("paper", "2311.12983", "why it works")]
    coll = hub.get_collection(slug)
    assert (coll.description, coll.theme, coll.private) == ("What we ship", "green", False)
    again = project.plan("--detailed-exitcode")
    assert again.exit_code == 0 and "No changes." in again.output, again.output

    # Someone edits the collection by hand: every difference is planned back.
    items = coll.items
    hub.update_collection_item(slug, items[2].item_object_id, position=0, note="edited")
    hub.create_repo("acme/extra")
    hub.add_collection_item(slug, "acme/extra", "model")
    hub.update_collection_metadata(slug, description="changed by hand")
    drift = project.plan("--detailed-exitcode")
    assert drift.exit_code == 2, drift.output
    assert 'description = "changed by hand" -> "What we ship"' in drift.output
    assert '- item "model acme/extra"' in drift.output
    assert "item \"paper 2311.12983\" (note 'edited' -> 'why it works'; moved to position 2)" in drift.output
    assert project.apply().exit_code == 0
    assert _items(project, slug) == [("model", "acme/model", "the base"), ("dataset", "acme/data", None),
                                     ("paper", "2311.12983", "why it works")]
    assert hub.get_collection(slug).description == "What we ship"
    assert "No changes." in project.plan().output


def test_item_naming_a_missing_repo_is_a_plan_error(project):
    _hub(project).create_repo("acme/model")
    project.yaml(HEAD + """collections:
  - title: Picks
    items:
      - model: acme/model
      - dataset: acme/never-created
""")
    plan = project.plan()
    assert plan.exit_code == 1, plan.output
    assert ("collection:acme/Picks: item dataset acme/never-created: no such dataset on the Hub, "
            "or not visible with this token") in plan.output
    applied = project.apply()
    assert applied.exit_code == 1
    assert list(_hub(project).list_collections(owner="acme")) == []  # nothing half-made


def test_a_thousand_items_cost_no_request_each_once_applied(project):
    papers = [f"2301.{n:05d}" for n in range(1, 1001)]
    body = "".join(f'      - paper: "{p}"\n' for p in papers)
    project.yaml(HEAD + "collections:\n  - title: Reading list\n    items:\n" + body)
    assert project.apply().exit_code == 0
    slug = _slug(project, "Reading list")
    assert [i[1] for i in _items(project, slug)] == papers
    project.sandbox.reset_stats()
    assert "No changes." in project.plan().output
    assert project.sandbox.stats()["routes"].keys() == {"GET collections", "GET collection"}
    assert project.sandbox.stats()["requests"] == 2  # list the namespace's collections, read this one
    # Move the last paper first and re-note one: two requests, not a thousand.
    moved = [papers[-1], *papers[:-1]]
    body = "".join(f'      - paper: "{p}"\n' + ("        note: key\n" if p == papers[10] else "") for p in moved)
    project.yaml(HEAD + "collections:\n  - title: Reading list\n    items:\n" + body)
    project.sandbox.reset_stats()
    assert project.apply().exit_code == 0
    assert _requests(project, "PATCH collection-item", "POST collection-items", "DELETE collection-item") == {
        "PATCH collection-item": 2, "POST collection-items": 0, "DELETE collection-item": 0}
    assert [i[1] for i in _items(project, slug)] == moved


def test_moves_are_fewest_and_reach_the_order():
    rng = random.Random(7)
    for size in (0, 1, 2, 5, 30):
        for _ in range(40):
            current = [str(n) for n in range(size)]
            desired = current[:]
            rng.shuffle(desired)
            order = current[:]
            for key, at in moves(current, desired):
                order.remove(key)
                order.insert(at, key)
            assert order == desired
    assert len(moves(list("abcdef"), list("fabcde"))) == 1
    assert len(moves(list("abcdef"), list("bcdefa"))) == 1


def test_item_changes_words():
    remote = [RemoteItem("1", "model", "acme/a", "old"), RemoteItem("2", "model", "acme/b")]
    declared = [CollectionItem("model", "acme/b"), CollectionItem("model", "acme/A", "new")]
    changes = item_changes(declared, remote)
    assert [(c.action.value, c.subject, c.reason) for c in changes] == [
        ("update", "model acme/A", "note 'old' -> 'new'; moved to position 1")]


def test_import_collection_then_plan_shows_no_change(project):
    hub = _hub(project)
    hub.create_repo("acme/m")
    slug = hub.create_collection("Imported", namespace="acme", description="d", private=True).slug
    hub.add_collection_item(slug, "acme/m", "model", note="n")
    hub.add_collection_item(slug, "2311.12983", "paper")
    imported = project.run("import", "--collection", slug)
    assert imported.exit_code == 0, imported.output
    assert f"slug: {slug}" in imported.output and "note: n" in imported.output
    project.yaml(imported.output)
    plan = project.plan("--detailed-exitcode")
    assert plan.exit_code == 0 and "No changes." in plan.output, plan.output
    # With the slug declared, a new title is a rename, not a second collection.
    project.yaml(imported.output.replace("title: Imported", "title: Renamed"))
    assert 'title = "Imported" -> "Renamed"' in project.plan().output
    assert project.apply().exit_code == 0
    assert hub.get_collection(slug).title == "Renamed"
    assert len(list(hub.list_collections(owner="acme"))) == 1


def test_saved_plan_refused_when_the_collection_moved(project, tmp_path):
    hub = _hub(project)
    hub.create_repo("acme/m")
    slug = hub.create_collection("Saved", namespace="acme").slug
    project.yaml(HEAD + "collections:\n  - title: Saved\n    items:\n      - model: acme/m\n")
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    saved = json.loads(out.read_text())
    assert [t["kind"] for t in saved["targets"]] == ["collection"]
    hub.update_collection_metadata(slug, description="meanwhile")
    refused = project.run("apply", str(out), "--auto-approve")
    assert refused.exit_code == 1 and "collection:acme/Saved: the collection changed on the Hub" in refused.output
    assert hub.get_collection(slug).items == []


def test_a_token_in_a_note_blocks_the_plan_and_is_never_shown(project):
    token = "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678"
    _hub(project).create_repo("acme/m")
    project.yaml(HEAD + f"collections:\n  - title: Leaky\n    items:\n      - model: acme/m\n        note: use {token}\n")
    plan = project.plan()
    assert plan.exit_code == 1
    assert "possible secret in the setting item model acme/m note" in plan.output
    assert token not in plan.output
    assert project.apply().exit_code == 1
    assert list(_hub(project).list_collections(owner="acme")) == []


def test_a_saved_plan_edited_by_hand_is_refused(project, tmp_path):
    hub = _hub(project)
    hub.create_repo("acme/m")
    hub.create_repo("acme/other")
    project.yaml(HEAD + "collections:\n  - title: Edited\n    items:\n      - model: acme/m\n")
    out = tmp_path / "plan.json"
    assert project.plan("--out", str(out)).exit_code == 0
    saved = json.loads(out.read_text())
    change = saved["targets"][0]["changes"][0]
    change["detail"]["id"] = change["subject"] = "acme/other"
    out.write_text(json.dumps(saved))
    refused = project.run("apply", str(out), "--auto-approve")
    assert refused.exit_code == 1
    assert "collection:acme/Edited: the plan adds acme/other, the manifest does not" in refused.output
    assert list(hub.list_collections(owner="acme")) == []


def test_an_item_may_name_a_repo_the_same_apply_creates(project):
    project.write("models/new/config.json", "{}\n")
    project.yaml(HEAD + """repos:
  - id: acme/new
    source: {path: models/new}
    card: {generate: false}
collections:
  - title: Launch
    items:
      - model: acme/new
        note: brand new
""")
    plan = project.plan()
    assert plan.exit_code == 0, plan.output
    assert "Plan: 2 to create" in plan.output
    assert project.apply().exit_code == 0
    assert _items(project, _slug(project, "Launch")) == [("model", "acme/new", "brand new")]
    assert "No changes." in project.plan().output


def test_target_names_a_collection_by_its_key(project):
    hub = _hub(project)
    hub.create_repo("acme/m")
    project.write("models/m/config.json", "{}\n")
    project.yaml(HEAD + """repos:
  - id: acme/m
    source: {path: models/m}
    card: {generate: false}
collections:
  - title: Only this
    items:
      - model: acme/m
""")
    plan = project.plan("--target", "collection:acme/Only this")
    assert plan.exit_code == 0, plan.output
    assert 'collection "acme/Only this"' in plan.output and 'model "acme/m"' not in plan.output
    assert "Plan: 1 to create, 0 to change, 0 to delete." in plan.output
    only_repo = project.plan("--target", "acme/m")
    assert "collection" not in only_repo.output
