"""Collections, as huggingface_hub's collection API drives them against the sandbox."""

from __future__ import annotations

import pytest
from huggingface_hub.errors import HfHubHTTPError

from tests.sandbox.hubapi import api


def test_create_add_move_note_delete(sandbox):
    hub = api(sandbox)
    hub.create_repo("acme/model")
    hub.create_repo("acme/data", repo_type="dataset")
    made = hub.create_collection("Team picks", namespace="acme", description="What we ship")
    assert made.slug.startswith("acme/team-picks-") and made.owner["name"] == "acme"
    assert made.items == [] and made.description == "What we ship" and made.private is False
    hub.add_collection_item(made.slug, "acme/model", "model", note="the base")
    hub.add_collection_item(made.slug, "acme/data", "dataset")
    hub.add_collection_item(made.slug, "2311.12983", "paper", note="the paper")
    coll = hub.get_collection(made.slug)
    assert [(i.item_id, i.item_type, i.position, i.note) for i in coll.items] == [
        ("acme/model", "model", 0, "the base"), ("acme/data", "dataset", 1, None),
        ("2311.12983", "paper", 2, "the paper")]
    hub.update_collection_item(made.slug, coll.items[2].item_object_id, position=0, note="first")
    hub.delete_collection_item(made.slug, coll.items[1].item_object_id)
    coll = hub.get_collection(made.slug)
    assert [(i.item_id, i.position, i.note) for i in coll.items] == [
        ("2311.12983", 0, "first"), ("acme/model", 1, "the base")]
    hub.delete_collection_item(made.slug, "0" * 24, missing_ok=True)
    with pytest.raises(HfHubHTTPError) as caught:
        hub.add_collection_item(made.slug, "acme/model", "model")
    assert caught.value.response.status_code == 409
    assert len(hub.add_collection_item(made.slug, "acme/model", "model", exists_ok=True).items) == 2


def test_rename_keeps_the_id_and_title_is_unique(sandbox):
    hub = api(sandbox)
    made = hub.create_collection("Old name", private=True)
    renamed = hub.update_collection_metadata(made.slug, title="New name", theme="green", description="d",
                                             private=False)
    ident = made.slug.rsplit("-", 1)[1]
    assert renamed.slug == f"sandbox/new-name-{ident}" and renamed.theme == "green" and renamed.private is False
    assert hub.get_collection(made.slug).title == "New name"  # the old slug still answers
    with pytest.raises(HfHubHTTPError) as caught:
        hub.create_collection("New name")
    assert caught.value.response.status_code == 409
    assert hub.create_collection("New name", exists_ok=True).slug == renamed.slug
    with pytest.raises(HfHubHTTPError):
        hub.update_collection_metadata(made.slug, theme="plaid")
    hub.delete_collection(made.slug)
    hub.delete_collection(made.slug, missing_ok=True)
    with pytest.raises(HfHubHTTPError) as caught:
        hub.get_collection(made.slug)
    assert caught.value.response.status_code == 404


def test_missing_and_hidden_items_are_not_found(sandbox):
    hub = api(sandbox)
    hub.create_repo("sandbox/secret", private=True)
    slug = hub.create_collection("Mine").slug
    for item, kind in (("acme/never-created", "model"), ("not-a-paper", "paper"), ("gpt2", "model")):
        with pytest.raises(HfHubHTTPError) as caught:
            hub.add_collection_item(slug, item, kind)
        assert caught.value.response.status_code == 404, item
    alice = api(sandbox, sandbox.token_for("alice"))
    alice_slug = alice.create_collection("Alice's").slug
    with pytest.raises(HfHubHTTPError) as caught:
        alice.add_collection_item(alice_slug, "sandbox/secret", "model")
    assert caught.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as caught:  # someone else's collection
        api(sandbox, sandbox.token_for("bob")).update_collection_metadata(slug, title="mine now")
    assert caught.value.response.status_code == 403


def test_private_collections_and_listing(sandbox):
    hub = api(sandbox)
    hub.create_repo("acme/m")
    secret = hub.create_collection("Hidden", namespace="acme", private=True).slug
    public = hub.create_collection("Shown", namespace="acme").slug
    for n in range(6):
        hub.create_repo(f"acme/m{n}")
        hub.add_collection_item(public, f"acme/m{n}", "model")
    bob = api(sandbox, sandbox.token_for("bob"))
    with pytest.raises(HfHubHTTPError) as caught:
        bob.get_collection(secret)
    assert caught.value.response.status_code == 404
    assert [c.slug for c in bob.list_collections(owner="acme")] == [public]
    assert {c.slug for c in hub.list_collections(owner="acme")} == {public, secret}
    listed = next(iter(hub.list_collections(owner="acme", item="models/acme/m5")))
    assert listed.slug == public and len(listed.items) == 4  # a listing cuts items to four
    assert len(hub.get_collection(public).items) == 6
