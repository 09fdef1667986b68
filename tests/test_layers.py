"""hfsync's architecture, checked on the source: layers, and nothing allowed across them.

Every module under hfsync/ is parsed with ``ast`` and every import it makes (at the top,
inside a function, or under ``if TYPE_CHECKING:``: each is a dependency) is held against
the layers of the tree, bottom up:

    shared ground   errors, log, paths, environment, digests, hubfacts, units, schemas, origins
    model/          plain data: the plan, the lock's entries, the Hub's facts, reports
    manifest/       the manifest as data, loaded and checked
    hub/ inspect/ signing/ render/   the one adapter to the Hub; pure steps over bytes
                               given (what changed inside files; model.sig made and
                               checked); views that read data and print nothing else
    registry/       the OCI registry client: the Hub's transport (retry, trace, bounded reads), not the Hub
    cards/ lock/    domain steps the engines share (a card made; a pin made, read, judged,
                    found on disk)
    publish/ pull/ discover/ github/   engines: each command's job
    cli/            click commands: parse, call one function, render

A module imports its own package and the layers below it. Packages of one layer stand
apart: they never import each other (engines meet through domain steps and data, never
through another engine). The sandbox, the local Hub, shares nothing with the client it
stands in for. There is no list of exceptions: an import the layers do not allow moves
the code it needs to where both sides can reach it.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "hfsync"

SHARED = ("hfsync", "hfsync.errors", "hfsync.log", "hfsync.paths", "hfsync.environment", "hfsync.digests",
          "hfsync.hubfacts", "hfsync.units", "hfsync.schemas", "hfsync.origins")
# Bottom up: (name, packages, whether those packages stand apart from each other).
LAYERS = (
    ("shared ground", SHARED, False),
    ("plain data", ("hfsync.model",), False),
    ("the manifest", ("hfsync.manifest",), False),
    ("adapters, pure steps and views", ("hfsync.hub", "hfsync.inspect", "hfsync.signing", "hfsync.render"), True),
    ("the registry client", ("hfsync.registry",), False),
    ("domain steps", ("hfsync.cards", "hfsync.lock"), True),
    ("engines", ("hfsync.publish", "hfsync.pull", "hfsync.discover", "hfsync.github"), True),
    ("commands", ("hfsync.cli", "hfsync.__main__"), False),
)
SANDBOX = "hfsync.sandbox"
# Each command's job: the cli runs it, nothing else does.
JOBS = {"hfsync.publish.planner", "hfsync.publish.apply", "hfsync.pull.lock", "hfsync.pull.upgrade",
        "hfsync.pull.install", "hfsync.pull.verify", "hfsync.pull.ocipush", "hfsync.discover.search",
        "hfsync.discover.info", "hfsync.discover.importer", "hfsync.discover.cache", "hfsync.github"}

# Cycles known and not yet broken: sandbox/__init__ re-exports SandboxServer from its server,
# whose modules import their siblings through the package (``from hfsync.sandbox import ...``).
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


def within(module: str, *packages: str) -> bool:
    """Whether ``module`` is one of ``packages`` or inside one (``hfsync`` itself is the root module only)."""
    return any(module == p or (p != "hfsync" and module.startswith(p + ".")) for p in packages)


def place(module: str) -> tuple[int, str] | None:
    """(layer index, package) of a module of hfsync; None for the sandbox or a module in no layer."""
    for index, (_, packages, _) in enumerate(LAYERS):
        for package in packages:
            if within(module, package):
                return index, package
    return None


def violation(importer: str, imported: str) -> str | None:
    """Why ``importer`` may not import ``imported`` (both modules of hfsync), or None when it may."""
    if within(importer, SANDBOX) or within(imported, SANDBOX):
        ok = within(importer, SANDBOX) == within(imported, SANDBOX) or (importer, imported) == ("hfsync.cli.sandbox",
                                                                                               f"{SANDBOX}.server")
        return None if ok else "the sandbox shares nothing with the client"
    if imported in JOBS and not within(importer, "hfsync.cli") and not within(imported, importer):
        return "a command's job is run by the cli only"
    mine, theirs = place(importer), place(imported)
    if mine is None or theirs is None:
        return "a module outside every layer"
    if mine[1] == theirs[1]:
        return None
    if theirs[0] > mine[0]:
        return f"{mine[1]} ({LAYERS[mine[0]][0]}) sits below {theirs[1]} ({LAYERS[theirs[0]][0]})"
    if theirs[0] == mine[0] and LAYERS[mine[0]][2]:
        return f"{LAYERS[mine[0]][0]} stand apart: {mine[1]} does not import {theirs[1]}"
    return None


# --- reading the tree -------------------------------------------------------------------


def modules_of(root: Path) -> dict[str, Path]:
    """Every module under ``root`` (an ``hfsync`` folder) by its dotted name."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules_of(ROOT)


def imports(module: str, modules: dict[str, Path] = MODULES) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import ``module`` makes.

    ``from hfsync.hub import trace`` names the module hfsync.hub.trace; ``from hfsync
    import __version__`` names hfsync itself."""
    path = modules[module]
    return _imports(module, path.read_text(), path.name == "__init__.py", modules, str(path))


def _imports(module: str, source: str, is_package: bool, modules: dict[str, Path] = MODULES,
             filename: str = "<source>") -> list[tuple[str, str, int]]:
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, str, int]] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub, "", node.lineno) if sub in modules else (base, alias.name, node.lineno))
    return found


def broken(root: Path = ROOT) -> list[str]:
    """Every import of hfsync in the tree at ``root`` that the layers do not allow, and why."""
    modules = modules_of(root)
    wrong = []
    for module, path in modules.items():
        for target, _, line in imports(module, modules):
            if target.split(".")[0] == "hfsync" and (why := violation(module, target)):
                wrong.append(f"{path.relative_to(root.parent)}:{line}: {module} imports {target}: {why}")
    return wrong


def _module_level(tree: ast.Module) -> set[ast.AST]:
    """The import statements run when the module is imported (not inside a function)."""
    inside = {inner for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
              for inner in ast.walk(node)}
    return {node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom) and node not in inside}


def _with_packages(module: str) -> set[str]:
    """``module`` and the packages Python initialises to import it (their ``__init__``)."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & MODULES.keys()


def dependencies(module: str, source: str, is_package: bool) -> set[str]:
    """The hfsync modules ``module`` needs, lazily or for types included.

    Importing ``P.m`` runs ``P/__init__`` first, so it depends on P too: a package whose
    ``__init__`` imports its own modules (re-exports) is in a cycle with each of them that
    imports anything of P. A package importing its own modules inside a function (render
    dispatching to its renderers, which share the package's helpers) needs them only once
    it has finished initialising: that is no cycle, and it is left out."""
    tree = ast.parse(source)
    top = _module_level(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for named, _, _ in _imports(module, ast.unparse(node), is_package):
            for target in _with_packages(named):
                if target == module or (target.startswith(module + ".") and node not in top):
                    continue
                found.add(target)
    return found


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every cycle of ``graph``, once each, from its least module."""
    cycles = []
    for start in sorted(graph):
        seen, stack = set(), [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    cycles.append(" -> ".join((*path, start)))
                elif nxt not in seen and nxt > start:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    return cycles


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT.parent)}:{line}"


# --- the rules, on the tree ---------------------------------------------------------------


def test_every_module_is_in_a_layer():
    assert [m for m in MODULES if place(m) is None and not within(m, SANDBOX)] == []
    assert [m for m in JOBS if m not in MODULES] == []


def test_imports_keep_to_the_layers():
    assert broken() == []


def test_the_registry_is_not_the_hub():
    """It retries, traces and bounds what it reads as the Hub client does, and uses nothing
    else of the layer below it."""
    transport = ("hfsync.hub.retry", "hfsync.hub.trace", "hfsync.hub.bounded", "hfsync.hub.boundedstream")
    below = LAYERS[[name for name, _, _ in LAYERS].index("the registry client") - 1][1]
    assert [f"{_where(m, line)}: {m} imports {t}" for m in MODULES if within(m, "hfsync.registry")
            for t, _, line in imports(m) if within(t, *below) and not within(t, *transport)] == []


def test_only_the_cli_imports_click():
    assert [_where(m, line) for m in MODULES if not within(m, "hfsync.cli")
            for t, _, line in imports(m) if t.split(".")[0] == "click"] == []


# Where output may come from: views, the commands printing them, and the log's handler.
SPEAKERS = ("hfsync.render", "hfsync.cli", "hfsync.log")


def prints(module: str) -> list[str]:
    """Where ``module`` writes to the terminal: print(), sys.stdout or sys.stderr, or an import of
    click or rich (their consoles and progress bars)."""
    tree = ast.parse(MODULES[module].read_text(), str(MODULES[module]))
    found = [f"{_where(module, line)}: imports {t}" for t, _, line in imports(module)
             if t.split(".")[0] in ("click", "rich")]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{_where(module, node.lineno)}: print()")
        elif (isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
              and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            found.append(f"{_where(module, node.lineno)}: sys.{node.attr}")
    return found


def test_engines_return_data_and_only_views_print():
    """Output lives in render/ (one view per command) and is printed by cli/: an engine returns
    data and reports progress through hfsync.model.progress.Reporter, whose implementations are views."""
    assert [hit for m in MODULES if not within(m, *SPEAKERS, "hfsync.sandbox") for hit in prints(m)] == []


def test_the_print_rule_catches_a_planted_print(tmp_path, monkeypatch):
    planted = tmp_path / "hfsync" / "pull" / "noisy.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("import sys\nfrom rich.console import Console\n\n\ndef f():\n    print('hi')\n"
                       "    sys.stderr.write('x')\n")
    monkeypatch.setitem(MODULES, "hfsync.pull.noisy", planted)
    monkeypatch.setitem(globals(), "ROOT", tmp_path / "hfsync")
    assert [hit.split(": ", 1)[1] for hit in prints("hfsync.pull.noisy")] == [
        "imports rich.console", "print()", "sys.stderr"]


def test_only_the_hub_adapter_talks_to_the_hub():
    wrong = []
    for m in MODULES:
        if within(m, "hfsync.hub", SANDBOX):
            continue
        for target, name, line in imports(m):
            if target.split(".")[0] != "huggingface_hub":
                continue
            allowed = HF_PURE.get(target, set())
            if allowed != "*" and (not name or name not in allowed):
                wrong.append(f"{_where(m, line)}: {target} {name}".rstrip())
    assert wrong == []


def test_no_import_cycles():
    """No two modules import each other, even lazily or for types only: a cycle means a
    function sits in the wrong module (see ``dependencies`` for what counts as an import)."""
    assert find_cycles(_graph()) == []


def _graph() -> dict[str, set[str]]:
    return {m: dependencies(m, p.read_text(), p.name == "__init__.py") for m, p in MODULES.items()}


def test_the_cycle_check_sees_a_package_that_re_exports_a_module_importing_it_back():
    """A planted cycle: the package's ``__init__`` re-exports from ``client``, which lazily
    imports ``session``, which takes a sibling through the package."""
    planted = {
        ("hfsync.hub", True): "from hfsync.hub.client import Hub\n",
        ("hfsync.hub.client", False): "def session():\n    from hfsync.hub.session import install\n",
        ("hfsync.hub.session", False): "from hfsync.hub import trace\n",
        ("hfsync.render", True): "def render():\n    from hfsync.render.human import render\n",
        ("hfsync.render.human", False): "from hfsync.render import plan_summary\n",
    }
    graph = {module: dependencies(module, source, is_package) for (module, is_package), source in planted.items()}
    assert find_cycles(graph) == ["hfsync.hub -> hfsync.hub.client -> hfsync.hub",
                                  "hfsync.hub -> hfsync.hub.client -> hfsync.hub.session -> hfsync.hub"]


# --- the rules fail on what they forbid ---------------------------------------------------


@pytest.mark.parametrize(("importer", "imported", "why"), [
    ("hfsync.publish.planner", "hfsync.pull.drift", "engines stand apart: hfsync.publish does not import hfsync.pull"),
    ("hfsync.discover.cache", "hfsync.pull.layout", "engines stand apart"),
    ("hfsync.github.pr", "hfsync.publish.provenance", "engines stand apart"),
    ("hfsync.lock.pin", "hfsync.pull.sources", "hfsync.lock (domain steps) sits below hfsync.pull (engines)"),
    ("hfsync.lock.pin", "hfsync.cards.generate", "domain steps stand apart"),
    ("hfsync.hub.client", "hfsync.render.human", "adapters, pure steps and views stand apart"),
    ("hfsync.render.upgrade", "hfsync.hub.history", "adapters, pure steps and views stand apart"),
    ("hfsync.inspect.text", "hfsync.lock.lockfile", "hfsync.inspect (adapters, pure steps and views) sits below hfsync.lock (domain steps)"),
    ("hfsync.model.lock", "hfsync.manifest.model", "hfsync.model (plain data) sits below hfsync.manifest (the manifest)"),
    ("hfsync.manifest.policy", "hfsync.hub.client", "hfsync.manifest (the manifest) sits below hfsync.hub (adapters, pure steps and views)"),
    ("hfsync.errors", "hfsync.model.plan", "hfsync.errors (shared ground) sits below hfsync.model (plain data)"),
    ("hfsync.pull.install", "hfsync.cli.main", "hfsync.pull (engines) sits below hfsync.cli (commands)"),
    ("hfsync.publish.apply", "hfsync.publish.planner", "a command's job is run by the cli only"),
    ("hfsync.sandbox.server", "hfsync.errors", "the sandbox shares nothing"),
    ("hfsync.cli.plan", "hfsync.sandbox.server", "the sandbox shares nothing"),
    ("hfsync.newthing", "hfsync.errors", "a module outside every layer"),
])
def test_the_rule_refuses_a_planted_import(importer, imported, why):
    assert why in (violation(importer, imported) or "")


@pytest.mark.parametrize(("importer", "imported"), [
    ("hfsync.publish.planner", "hfsync.lock.drift"),
    ("hfsync.discover.cache", "hfsync.lock.layout"),
    ("hfsync.pull.install", "hfsync.lock.pin"),
    ("hfsync.lock.pin", "hfsync.hub.repofiles"),
    ("hfsync.github.pr", "hfsync.render.upgrade"),
    ("hfsync.cli.pull", "hfsync.pull.install"),
    ("hfsync.cli.sandbox", "hfsync.sandbox.server"),
    ("hfsync.sandbox.server", "hfsync.sandbox.http"),
])
def test_the_rule_allows_what_the_layers_allow(importer, imported):
    assert violation(importer, imported) is None


def test_a_module_planted_in_a_copy_of_the_tree_fails_the_layer_test(tmp_path):
    copy = tmp_path / "hfsync"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.json"))
    assert broken(copy) == []
    (copy / "publish" / "planted.py").write_text('"""Reaches into another engine."""\n\n'
                                                 "from hfsync.pull.sources import open_sources\n")
    assert broken(copy) == [
        "hfsync/publish/planted.py:3: hfsync.publish.planted imports hfsync.pull.sources: "
        "engines stand apart: hfsync.publish does not import hfsync.pull"
    ]
