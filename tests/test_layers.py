"""hfsync's layers, checked on the source: imports point one way.

Every module under hfsync/ is parsed with ``ast`` and every import it makes (at the
top or inside a function: a lazy import is still a dependency) is held against the
layers below. A module missing from ``LAYERS`` fails the test, so a new module must be
placed on purpose.

    cli      hfsync.cli.*, hfsync.__main__: click commands; parse, call one function, render
    engine   planner, apply, pull, locker, verify, ...: run one command's job
    domain   diff, digests, secrets, cards, policy, selection, ...: checks and generators
    hub      hfsync.hub.*: the one adapter to the Hub
    render   hfsync.render.*: Plan -> text; reads the plan and nothing else
    data     manifest, lock, plan, errors, ...: file formats and plain data
    sandbox  hfsync.sandbox.*: the local Hub; imports nothing else of hfsync

An engine may import anything below it; domain, hub and render sit side by side
above data and import none of each other. ``lock`` is data here, beside ``manifest``
(the brief of the layout named it among the domain modules): it is a file format read
into frozen dataclasses, and the hub's downloader takes a ``LockedFile`` as its order,
as the publisher takes plain ``remote`` data.

huggingface_hub: only hfsync.hub (and the sandbox, and tests) may use what talks to
the Hub. Outside them an import from huggingface_hub must be on ``HF_PURE``: names that
parse, validate or describe and send no request (repo id validation, card and card
data classes, errors, constants, glob filtering, the local cache's folder names and
scanner, the switch for its progress bars). An allow-list rather than a deny-list,
because huggingface_hub exports hundreds of names and a new network function must not
slip through by being unlisted. ``RepoCard`` is allowed for parsing card text;
its ``load``/``push_to_hub`` would reach the Hub, which review catches, not this test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "hfsync"

CLI, ENGINE, DOMAIN, HUB, RENDER, DATA, SANDBOX = "cli", "engine", "domain", "hub", "render", "data", "sandbox"

# A module's layer; a package's entry covers its submodules.
LAYERS: dict[str, str] = {
    "hfsync.cli": CLI,
    "hfsync.__main__": CLI,
    # engines: one command's job, or a step of one
    "hfsync.planner": ENGINE,
    "hfsync.apply": ENGINE,
    "hfsync.review": ENGINE,  # plan's and apply's checks before publishing
    "hfsync.drift": ENGINE,  # plan's step for pulls
    "hfsync.locker": ENGINE,
    "hfsync.pull": ENGINE,
    "hfsync.verify": ENGINE,
    "hfsync.prune": ENGINE,
    "hfsync.search": ENGINE,
    "hfsync.info": ENGINE,
    "hfsync.lookup": ENGINE,  # search's and info's cached Hub reads
    "hfsync.importer": ENGINE,
    "hfsync.github": ENGINE,
    "hfsync.progress": ENGINE,  # the reporters engines call back (bars, countdowns)
    # domain: pure checks and generators, and the local state they keep
    "hfsync.diff": DOMAIN,
    "hfsync.source": DOMAIN,
    "hfsync.digests": DOMAIN,
    "hfsync.secrets": DOMAIN,
    "hfsync.secretplugin": DOMAIN,
    "hfsync.cards": DOMAIN,
    "hfsync.cardcheck": DOMAIN,
    "hfsync.cardstep": DOMAIN,
    "hfsync.policy": DOMAIN,
    "hfsync.selection": DOMAIN,
    "hfsync.safetensors": DOMAIN,
    "hfsync.layout": DOMAIN,
    "hfsync.metacache": DOMAIN,
    "hfsync.manifest_edit": DOMAIN,
    "hfsync.changed_since": DOMAIN,
    "hfsync.provenance": DOMAIN,
    "hfsync.hub": HUB,
    "hfsync.render": RENDER,
    # data: file formats, plain data, the error root, process-wide plumbing
    "hfsync": DATA,  # __version__
    "hfsync.errors": DATA,
    "hfsync.log": DATA,
    "hfsync.dirs": DATA,
    "hfsync.hubdata": DATA,
    "hfsync.yamlsource": DATA,
    "hfsync.schema": DATA,
    "hfsync.manifest": DATA,
    "hfsync.manifest_checks": DATA,
    "hfsync.lock": DATA,
    "hfsync.plan": DATA,
    "hfsync.remote": DATA,
    "hfsync.sandbox": SANDBOX,
}

# What each layer may import of hfsync (its own layer included).
MAY_IMPORT: dict[str, set[str]] = {
    CLI: {CLI, ENGINE, DOMAIN, HUB, RENDER, DATA, SANDBOX},  # `hfsync sandbox serve`
    ENGINE: {ENGINE, DOMAIN, HUB, RENDER, DATA},
    DOMAIN: {DOMAIN, DATA},
    HUB: {HUB, DATA},
    RENDER: {RENDER, DATA},
    DATA: {DATA},
    SANDBOX: {SANDBOX},
}

# Of the data layer, renderers read the plan (its Action, Plan, TargetChange) only.
RENDER_DATA = {"hfsync.plan"}

HF_PURE = {
    "huggingface_hub": {
        "constants", "RepoCard", "ModelCardData", "DatasetCardData", "SpaceCardData", "EvalResult",
    },
    "huggingface_hub.utils": {
        "validate_repo_id", "HFValidationError", "filter_repo_objects", "disable_progress_bars",
        "scan_cache_dir", "CacheNotFound", "HFCacheInfo",
    },
    "huggingface_hub.errors": "*",
    "huggingface_hub.file_download": {"repo_folder_name"},
}
HF_NETWORK_OK = {HUB, SANDBOX}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def layer_of(module: str) -> str | None:
    while module:
        if module in LAYERS:
            return LAYERS[module]
        module = module.rpartition(".")[0]
    return None


def _type_only(tree: ast.Module) -> set[ast.AST]:
    """The import nodes under ``if TYPE_CHECKING:``."""
    return {
        inner
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for inner in ast.walk(node)
        if isinstance(inner, ast.Import | ast.ImportFrom)
    }


def imports(module: str, type_only: bool = True) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import ``module`` makes;
    without the ones under ``if TYPE_CHECKING:`` when ``type_only`` is false.

    ``from hfsync.hub import trace`` names the module hfsync.hub.trace; ``from hfsync
    import __version__`` names hfsync itself."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    skipped = set() if type_only else _type_only(tree)
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:
                    found.append((sub, "", node.lineno))
                else:
                    found.append((base, alias.name, node.lineno))
    return found


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{line}"


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []
    assert [m for m in LAYERS if m not in MODULES] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    layer = layer_of(module)
    wrong = []
    for target, _name, line in imports(module):
        if target != "hfsync" and not target.startswith("hfsync."):
            continue
        other = layer_of(target)
        if other not in MAY_IMPORT[layer]:
            wrong.append(f"{_where(module, line)}: {layer} imports {target} ({other})")
        elif layer == RENDER and other == DATA and target not in RENDER_DATA:
            wrong.append(f"{_where(module, line)}: a renderer imports {target}; renderers read the plan only")
    assert wrong == []


def _imports_outside(layers: set[str], wanted) -> list[str]:
    """Where a module outside ``layers`` imports a module ``wanted(name)`` accepts."""
    return [
        f"{_where(m, line)}: {target}"
        for m in MODULES
        if layer_of(m) not in layers
        for target, _, line in imports(m)
        if wanted(target)
    ]


def test_nothing_imports_the_cli():
    assert _imports_outside({CLI}, lambda t: t == "hfsync.cli" or t.startswith("hfsync.cli.")) == []


def test_only_the_cli_imports_click():
    assert _imports_outside({CLI}, lambda t: t.split(".")[0] == "click") == []


def test_the_sandbox_imports_nothing_else_of_hfsync():
    outside = set(MAY_IMPORT) - {SANDBOX}
    assert [
        f"{_where(m, line)}: {target}"
        for m in MODULES
        if layer_of(m) == SANDBOX
        for target, _, line in imports(m)
        if target.split(".")[0] == "hfsync" and layer_of(target) in outside
    ] == []


def test_only_the_hub_adapter_talks_to_the_hub():
    wrong = []
    for m in MODULES:
        if layer_of(m) in HF_NETWORK_OK:
            continue
        for target, name, line in imports(m):
            if target.split(".")[0] != "huggingface_hub":
                continue
            allowed = HF_PURE.get(target, set())
            if allowed != "*" and (not name or name not in allowed):
                wrong.append(f"{_where(m, line)}: {target} {name}".rstrip())
    assert wrong == []


def test_no_import_cycles():
    """No two modules import each other, even lazily: a cycle means a function sits in
    the wrong layer. A package importing its own submodules (render dispatching to its
    renderers, which share the package's helpers) is one exception; an import under
    ``if TYPE_CHECKING:`` is the other: it names a caller's types in annotations
    (manifest_checks and the Manifest that manifest.load checks with it) and never runs."""
    graph = {
        m: {t for t, _, _ in imports(m, type_only=False) if t in MODULES and t != m and not t.startswith(m + ".")}
        for m in MODULES
    }
    cycles = []
    for start in graph:
        seen, stack = set(), [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join((*path, start)))
                elif nxt not in seen and nxt > start:  # each cycle once, from its least module
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    assert cycles == []
