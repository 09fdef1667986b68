"""hfsync's architecture, checked on the source: about ten rules on its packages.

Every module under hfsync/ is parsed with ``ast`` and every import it makes (at the
top, inside a function, or under ``if TYPE_CHECKING:``: each is a dependency) is held
against these rules. The tree says what each package is:

    shared ground  errors, log, paths, environment, digests, hubfacts, units, schemas
    manifest/      the manifest as data, and loading and checking it
    publish/ pull/ discover/ cards/   one folder per concern, the verbs as modules
    inspect/       what changed inside files: pure functions over bytes and headers
    signing/       model.sig: statements, keys, bundles, from digests and bytes given
    hub/           the one adapter to the Hub
    registry/      the OCI registry client: the Hub's transport mechanics (retry, trace), not the Hub
    render/        views: read data, print nothing else
    cli/           click commands: parse, call one function, render
    sandbox/       the local Hub; shares nothing with the client it stands in for

Data modules are plain data and file formats any layer may read. Engines run one
command's job; they import data, steps and adapters, never another engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "hfsync"

SHARED = {"hfsync", "hfsync.errors", "hfsync.log", "hfsync.paths", "hfsync.environment", "hfsync.digests",
          "hfsync.hubfacts", "hfsync.units", "hfsync.schemas"}
DATA = {"hfsync.model", "hfsync.manifest",
        "hfsync.pull.lockfile", "hfsync.pull.locktext"}  # the lock file's own text, read and written without PyYAML
ENGINES = {"hfsync.publish.planner", "hfsync.publish.apply", "hfsync.pull.lock", "hfsync.pull.upgrade", "hfsync.pull.install",
           "hfsync.pull.verify", "hfsync.discover.search", "hfsync.discover.info", "hfsync.discover.importer",
           "hfsync.discover.cache", "hfsync.github",
           "hfsync.pull.ocipush"}  # `hfsync oci push`: a command's job of its own
# Where one concern reaches into another's steps (not its data), and why.
CROSSINGS = {
    ("hfsync.publish.planner", "hfsync.pull.drift"): "a plan shows the pulls whose upstream moved past the lock",
    ("hfsync.discover.cache", "hfsync.pull.layout"): "the cache finds pulled files where pull put them",
}
# Cycles known and not yet broken: sandbox/__init__ re-exports SandboxServer from its server,
# whose modules import their siblings through the package (``from hfsync.sandbox import ...``).
PENDING_CYCLES = ("hfsync.sandbox -> hfsync.sandbox.server -> ",)
CONCERNS = ("hfsync.publish", "hfsync.pull", "hfsync.discover", "hfsync.cards")

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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


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
    return _imports(module, path.read_text(), path.name == "__init__.py", type_only, str(path))


def _imports(module: str, source: str, is_package: bool, type_only: bool = True,
             filename: str = "<source>") -> list[tuple[str, str, int]]:
    package = module if is_package else module.rpartition(".")[0]
    tree = ast.parse(source, filename)
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


def within(module: str, *packages: str) -> bool:
    """Whether ``module`` is one of ``packages`` or inside one (``hfsync`` itself is the root module only)."""
    return any(module == p or (p != "hfsync" and module.startswith(p + ".")) for p in packages)


def is_data(module: str) -> bool:
    return (within(module, *SHARED, *DATA) and module != "hfsync") or module == "hfsync"


def hfsync_imports(module: str) -> list[tuple[str, int]]:
    return [(t, line) for t, _, line in imports(module) if t.split(".")[0] == "hfsync"]


def broken(rule) -> list[str]:  # type: ignore[no-untyped-def]
    """Every import of hfsync breaking ``rule(importer, imported)``."""
    return [f"{_where(m, line)}: {m} imports {t}" for m in MODULES for t, line in hfsync_imports(m)
            if not within(t, m) and not rule(m, t)]


def test_the_model_stands_on_shared_ground_only():
    """The bottom layer: plain data every other layer may import, importing nothing above."""
    assert broken(lambda m, t: not within(m, "hfsync.model") or within(t, "hfsync.model", *SHARED)) == []


def test_every_module_is_in_a_known_place():
    known = (*SHARED, *DATA, *CONCERNS, "hfsync.inspect", "hfsync.hub", "hfsync.registry", "hfsync.render", "hfsync.cli", "hfsync.sandbox", "hfsync.github",
             "hfsync.signing", "hfsync.__main__")
    assert [m for m in MODULES if not within(m, *known)] == []
    assert [m for m in (*SHARED, *DATA, *ENGINES) if m not in MODULES] == []


def test_1_the_sandbox_shares_nothing_with_the_client():
    assert broken(lambda m, t: within(m, "hfsync.sandbox") == within(t, "hfsync.sandbox")
                  or (m == "hfsync.cli.sandbox" and t == "hfsync.sandbox")) == []


def test_2_nothing_imports_the_cli():
    assert broken(lambda m, t: not within(t, "hfsync.cli") or within(m, "hfsync.cli", "hfsync.__main__")) == []


def test_3_shared_ground_stands_on_nothing_else():
    assert broken(lambda m, t: not within(m, *SHARED) or within(t, *SHARED)) == []


def test_4_the_manifest_needs_only_shared_ground():
    assert broken(lambda m, t: not within(m, "hfsync.manifest") or within(t, "hfsync.manifest", *SHARED)) == []


def test_5_data_imports_only_data():
    assert broken(lambda m, t: not within(m, *DATA) or within(t, *DATA, *SHARED)) == []


def test_6_the_hub_adapter_carries_data_and_nothing_else():
    assert broken(lambda m, t: not within(m, "hfsync.hub") or within(t, "hfsync.hub", *DATA, *SHARED)) == []


def test_6b_the_registry_is_not_the_hub():
    """It retries and traces its requests as the Hub client does, and uses nothing else of it."""
    transport = ("hfsync.hub.retry", "hfsync.hub.trace")
    assert broken(lambda m, t: not within(m, "hfsync.registry")
                  or within(t, "hfsync.registry", *transport, *DATA, *SHARED)) == []


def test_7_views_read_data_only():
    assert broken(lambda m, t: not within(m, "hfsync.render") or within(t, "hfsync.render", *DATA, *SHARED)) == []


def test_8_cards_are_made_from_the_manifest_and_the_hub_s_data():
    # and from what inspect's pure readers say of the files (a dataset card's features and rows)
    assert broken(lambda m, t: not within(m, "hfsync.cards")
                  or within(t, "hfsync.cards", "hfsync.inspect", *DATA, *SHARED)) == []


def test_9_engines_do_not_import_engines():
    assert broken(lambda m, t: not (m in ENGINES and t in ENGINES)) == []
    assert broken(lambda m, t: t not in ENGINES or within(m, "hfsync.cli")) == []


def test_10_concerns_meet_through_data():
    def ok(m: str, t: str) -> bool:
        mine = next((c for c in CONCERNS if within(m, c)), None)
        theirs = next((c for c in CONCERNS if within(t, c)), None)
        return (mine is None or theirs is None or mine == theirs or within(t, *DATA) or (m, t) in CROSSINGS
                or theirs == "hfsync.cards")  # cards are a step of publishing and of the gate
    assert broken(ok) == []


def test_11_content_inspection_is_pure():
    """Plans and upgrade summaries share it: it reads bytes it is given, never the Hub or a concern."""
    assert broken(lambda m, t: not within(m, "hfsync.inspect") or within(t, "hfsync.inspect", *DATA, *SHARED)) == []


def test_12_signing_is_a_domain_step():
    """model.sig made and checked from digests and bytes it is given: publish and pull share it."""
    assert broken(lambda m, t: not within(m, "hfsync.signing") or within(t, "hfsync.signing", *DATA, *SHARED)) == []


def test_only_the_cli_imports_click():
    assert [f"{_where(m, line)}" for m in MODULES if not within(m, "hfsync.cli")
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
        if within(m, "hfsync.hub", "hfsync.sandbox"):
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
    assert [c for c in find_cycles(_graph()) if not c.startswith(PENDING_CYCLES)] == []


def _graph() -> dict[str, set[str]]:
    return {m: dependencies(m, p.read_text(), p.name == "__init__.py") for m, p in MODULES.items()}


def test_each_pending_cycle_is_still_there():
    assert [p for p in PENDING_CYCLES if not any(c.startswith(p) for c in find_cycles(_graph()))] == []


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


@pytest.mark.parametrize("rule", sorted(CROSSINGS))
def test_each_crossing_is_still_needed(rule):
    importer, imported = rule
    assert imported in {t for t, _ in hfsync_imports(importer)}
