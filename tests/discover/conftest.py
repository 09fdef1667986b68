"""A sandbox Hub seeded once for the discover tests: enough repos to paginate, with
varied tasks, libraries, licenses, likes, downloads and weight formats.

``CATALOGUE`` is the truth the tests compute their expectations from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

TASKS = ("text-classification", "token-classification", "text-generation")
LIBRARIES = ("transformers", "peft", "timm")
LICENSES = ("apache-2.0", "mit", "cc-by-nc-4.0", "llama3")
DAY_MS = 86_400_000
EPOCH_MS = 1_700_000_000_000


@dataclass(frozen=True)
class Seed:
    id: str
    type: str = "model"
    card: dict = field(default_factory=dict)
    files: tuple[str, ...] = ("model.safetensors", "config.json")
    likes: int = 0
    downloads: int = 0
    age_days: int = 0  # createdAt/lastModified: EPOCH - age

    @property
    def license(self) -> str | None:
        return self.card.get("license")


def _catalogue() -> list[Seed]:
    seeds = []
    for i in range(24):
        pickle_only = i % 4 == 3
        seeds.append(Seed(
            id=f"acme/model-{i:02d}",
            card={"license": LICENSES[i % 4], "pipeline_tag": TASKS[i % 3],
                  "library_name": LIBRARIES[i % 3], "tags": ["demo"] + (["edge"] if i % 2 else [])},
            files=("pytorch_model.bin", "config.json") if pickle_only else ("model.safetensors", "config.json"),
            likes=(i * 7) % 50,  # distinct for i < 24 except wraps; sorting ties break by id
            downloads=1000 + ((i * 37) % 24) * 10,
            age_days=i,
        ))
    seeds += [
        Seed("sandbox/base-llm", card={"license": "apache-2.0", "pipeline_tag": "text-generation",
                                       "library_name": "transformers"}, likes=5, downloads=50, age_days=30),
        Seed("sandbox/sentiment-adapter",
             card={"license": "apache-2.0", "library_name": "peft", "base_model": "sandbox/base-llm",
                   "pipeline_tag": "text-classification"},
             files=("adapter_model.safetensors", "adapter_config.json"), likes=2, downloads=20, age_days=31),
        Seed("acme/reviews", type="dataset",
             card={"license": "cc-by-4.0", "task_categories": ["text-classification"], "language": ["en"]},
             files=("train.csv",), likes=4, downloads=300),
        Seed("acme/corpus", type="dataset",
             card={"license": "mit", "task_categories": ["text-generation"]},
             files=("data.jsonl",), likes=9, downloads=100),
        Seed("acme/demo", type="space", card={"license": "mit", "sdk": "gradio"}, files=("app.py",), likes=3),
        Seed("acme/board", type="space", card={"license": "apache-2.0", "sdk": "streamlit"},
             files=("app.py",), likes=8),
    ]
    return seeds


CATALOGUE = _catalogue()


def readme(seed: Seed) -> bytes:
    front = json.dumps(seed.card)  # JSON is YAML
    return f"---\n{front}\n---\n# {seed.id}\n\nA {seed.type} for the discover tests.\nIt has two lines.\n\nMore.\n".encode()


def file_bytes(seed: Seed, name: str) -> bytes:
    if name == "adapter_config.json":
        return json.dumps({"base_model_name_or_path": seed.card.get("base_model"), "peft_type": "LORA"}).encode()
    return f"{seed.id}/{name}\n".encode()


def publish(api: HfApi, seed: Seed) -> str:
    api.create_repo(seed.id, repo_type=seed.type, exist_ok=True,
                    space_sdk=seed.card.get("sdk") if seed.type == "space" else None)
    operations = [CommitOperationAdd("README.md", readme(seed))]
    operations += [CommitOperationAdd(name, file_bytes(seed, name)) for name in seed.files]
    info = api.create_commit(seed.id, operations, commit_message=f"Add {seed.id}", repo_type=seed.type)
    return info.oid


@pytest.fixture(scope="package")
def seeded(tmp_path_factory) -> Iterator:
    """The seeded sandbox (a SandboxHandle), shared by the whole package: treat as read-only,
    or use repos of your own."""
    from hfsync.sandbox.server import SandboxServer
    from hfsync.sandbox.testing import SandboxHandle

    server = SandboxServer(
        tmp_path_factory.mktemp("discover-hub"), orgs={"acme": ["sandbox"]}
    ).start()
    handle = SandboxHandle(server.url, server.token, server.data_dir, server)
    api = HfApi(endpoint=server.url, token=server.token)
    try:
        for seed in CATALOGUE:
            publish(api, seed)
            ms = EPOCH_MS - seed.age_days * DAY_MS
            handle.seed(seed.type, seed.id, likes=seed.likes, downloads=seed.downloads,
                        createdAt=ms, lastModified=ms)
        yield handle
    finally:
        server.stop()


@pytest.fixture
def hub(seeded):
    """The seeded sandbox with its request counters zeroed for this test."""
    seeded.reset_stats()
    seeded.clear_faults()
    return seeded


def requests_to(hub, route: str) -> int:
    """How many requests the sandbox saw on ``route`` (e.g. "GET repo-list")."""
    return hub.stats()["routes"].get(route, {}).get("requests", 0)
