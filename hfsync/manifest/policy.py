"""The manifest's policy, checked: license allow-list, safetensors only, private by default.

Pure functions over manifest data and facts the caller read (a card's license, the
files of a source, a pulled repo's license on the Hub). Each returns every violation,
so plan, lock and validate can fail once with the full list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from hfsync.errors import PolicyError, Problem
from hfsync.hubfacts import is_pickle_file
from hfsync.manifest.model import Manifest, Policy, Pull, RepoTarget
from hfsync.units import human_size


def _license_problem(policy: Policy, license_id: str | None, what: str) -> str | None:
    if policy.licenses is None:
        return None
    allowed = ", ".join(policy.licenses)
    if license_id is None:
        return f"{what} declares no license; policy.licenses allows only {allowed}"
    if license_id not in policy.licenses:
        return f"{what} has license '{license_id}', which policy.licenses does not allow ({allowed})"
    return None


def publish_problems(policy: Policy, target: RepoTarget, card_license: str | None, files: Sequence[str]) -> list[str]:
    """Policy violations of publishing ``target``: its card's license, pickle files."""
    problems = []
    if message := _license_problem(policy, card_license, f"{target.key}: the card"):
        problems.append(message)
    if policy.safetensors_only and not target.source.allow_unsafe:
        pickles = [f for f in files if is_pickle_file(f)]
        if pickles:
            problems.append(
                f"{target.key}: policy.safetensors_only refuses pickle files in the source: "
                + ", ".join(pickles)
                + " (convert them to .safetensors, exclude them, or set source.allow_unsafe: true)"
            )
    return problems


def pull_problem(policy: Policy, pull: Pull, hub_license: str | None) -> str | None:
    """The violation of pulling ``pull`` whose license on the Hub is ``hub_license``."""
    return _license_problem(policy, hub_license, f"pull '{pull.key}' ({pull.location})")


def pin_problems(policy: Policy, pull: Pull, hub_license: str | None, size: int) -> list[str]:
    """The violations of pinning ``pull``: its license on the Hub, and ``size`` (the bytes
    the pin would hold) against its ``max_memory``."""
    found = [m for m in [pull_problem(policy, pull, hub_license)] if m]
    if pull.max_memory is not None and size > pull.max_memory:
        found.append(f"pull '{pull.key}' ({pull.location}) would pin {human_size(size)}, over its max_memory of "
                     f"{human_size(pull.max_memory)}")
    return found


def lineage_problems(
    policy: Policy, pull: Pull, licenses: Mapping[str, str | None], chains: Mapping[str, Sequence[str]]
) -> list[str]:
    """The violations of the models under ``pull``: each base model's license (``licenses``, by
    id), named with the chain that leads to it."""
    found = []
    for model, license_id in licenses.items():
        chain = " -> ".join(chains.get(model, (pull.id, model)))
        if message := _license_problem(policy, license_id, f"pull '{pull.key}' ({pull.location}): base model "
                                                           f"'{model}' ({chain})"):
            found.append(message)
    return found


def refuse_pins(manifest: Manifest, problems: Sequence[str]) -> None:
    """PolicyError listing every violation of pinning the manifest's pulls, if any."""
    if not problems:
        return
    hints = []
    if any("license" in p for p in problems):
        hints.append("Pull repos whose license the policy allows, or extend policy.licenses.")
    if any("max_memory" in p for p in problems):
        hints.append("Raise max_memory, or narrow include, for a pin over it.")
    if any("model.sig" in p for p in problems):
        hints.append("Pin a commit its publisher signed with a key verify: trusts, or ask the publisher.")
    raise PolicyError(
        f"{len(problems)} policy violation{'s' if len(problems) != 1 else ''}; "
        f"{manifest.lock_path.name} was not changed:\n" + "\n".join(f"  {p}" for p in problems),
        hint=" ".join(hints),
    )


def located(manifest: Manifest, index: int, target: RepoTarget, messages: Iterable[str]) -> list[Problem]:
    """Publish violations as problems at the target's manifest entry (license: at its key)."""
    from hfsync.manifest.yamlpos import read

    messages = list(messages)
    if not messages:
        return []
    document, _ = read(manifest.path)
    found = []
    for message in messages:
        key: tuple[str | int, ...] = ("repos", index)
        if "license" in message and "license" in target.card.metadata:
            key = ("repos", index, "card", "metadata", "license")
        elif "pickle" in message:
            key = ("repos", index, "source", "path")
        found.append(document.problem(key, message) if document is not None
                     else Problem(str(manifest.path), target.location.line, None, message))
    return found
