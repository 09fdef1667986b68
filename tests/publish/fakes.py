"""Small in-memory data for pure tests: fixed plans, manifests and remote states."""

from __future__ import annotations

from pathlib import Path

from hfsync.digests import Digests
from hfsync.manifest.model import Card, Location, RepoTarget, Source, Space
from hfsync.model.plan import (
    Action,
    Change,
    FileChange,
    MetadataChange,
    Plan,
    Provenance,
    RefChange,
    SettingChange,
    TargetChange,
)

H1 = "1" * 40
H2 = "2" * 40


def sha(c: str) -> str:
    return c * 64


def digests(size: int, c: str) -> Digests:
    return Digests(size, sha(c), c * 40, sha(c))


def target(**kwargs) -> RepoTarget:  # type: ignore[no-untyped-def]
    defaults = dict(
        id="acme/m", type="model", source=Source(Path("src")), location=Location(Path("hfsync.yaml"), 1, 1)
    )
    defaults.update(kwargs)
    return RepoTarget(**defaults)  # type: ignore[arg-type]


def fixed_plan() -> Plan:
    """A plan touching every kind of change, for golden files."""
    return Plan(
        hfsync_version="0.1.0",
        endpoint="https://hub.example",
        manifests={"hfsync.yaml": sha("a")},
        provenance=Provenance("c" * 40, False, None),
        targets=(
            TargetChange(
                key="acme/sentiment-lora", repo_id="acme/sentiment-lora", repo_type="model", revision="main",
                action=Action.CREATE, source="models/sentiment-lora",
                settings=(SettingChange("private", None, False), SettingChange("gated", None, "auto")),
                metadata=(MetadataChange("license", None, "apache-2.0"), MetadataChange("tags", None, ["peft", "lora"])),
                files=(
                    FileChange("README.md", Action.CREATE, 120, False, sha("1"), "1" * 40, sha("1"),
                               content="---\nlicense: apache-2.0\n---\n"),
                    FileChange("adapter_model.safetensors", Action.CREATE, 12_345_678, True, sha("2"), "2" * 40, sha("2")),
                    FileChange("config.json", Action.CREATE, 1_234, False, sha("3"), "3" * 40, sha("3")),
                ),
                refs=(RefChange("tag", "v1.2.0"),),
                reasons=("description is not a Hub setting for a model (no API sets it); it is not published",),
            ),
            TargetChange(
                key="dataset:acme/reviews", repo_id="acme/reviews", repo_type="dataset", revision="main",
                action=Action.UPDATE, head=H1, source="datasets/reviews", prune=True,
                settings=(SettingChange("private", True, False),),
                metadata=(MetadataChange("license", "mit", "cc-by-4.0"),),
                files=(
                    FileChange("train.csv", Action.UPDATE, 2_100_000, False, sha("4"), "4" * 40, sha("4"),
                               remote_oid="5" * 40, remote_size=2_000_000, reason="size 2000000 -> 2100000"),
                    FileChange("old.csv", Action.DELETE, 1_000, False, remote_oid="6" * 40, remote_size=1_000,
                               reason="absent from source (prune: true)"),
                ),
                changes=(Change("pull-drift", Action.UPDATE, "acme/base", {"from": H1, "to": H2}, "upstream moved"),),
                warnings=("description is not a Hub setting for a dataset",),
            ),
            TargetChange(
                key="space:acme/demo", repo_id="acme/demo", repo_type="space", revision="main",
                action=Action.NOOP, head=H2, source="space",
            ),
        ),
    )


def space_target() -> RepoTarget:
    return target(id="acme/demo", type="space", space=Space("gradio", "cpu-basic", {"MODE": "demo"}),
                  description="A demo", card=Card(metadata={"license": "mit"}))
