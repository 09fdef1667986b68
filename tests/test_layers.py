"""hfsync's architecture, checked on the source: about ten rules on its packages.

Every module under hfsync/ is parsed with ``ast`` and every import it makes (at the
top, inside a function, or under ``if TYPE_CHECKING:``: each is a dependency) is held
against these rules. The tree says what each package is:

    shared ground  errors, log, paths, environment, digests, hubfacts, units, schemas
    manifest/      the manifest as data, and loading and checking it
    publish/ pull/ discover/ cards/   one folder per concern, the verbs as modules
    inspect/       what changed inside files: pure functions over bytes and headers
    hub/           the one adapter to the Hub
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
    known = (*SHARED, *DATA, *CONCERNS, "hfsync.inspect", "hfsync.hub", "hfsync.render", "hfsync.cli", "hfsync.sandbox", "hfsync.github",
             "hfsync.__main__")
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


def test_7_views_read_data_only():
    assert broken(lambda m, t: not within(m, "hfsync.render") or within(t, "hfsync.render", *DATA, *SHARED)) == []


def test_8_cards_are_made_from_the_manifest_and_the_hub_s_data():
    assert broken(lambda m, t: not within(m, "hfsync.cards") or within(t, "hfsync.cards", *DATA, *SHARED)) == []


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
    function sits in the wrong module. A package importing its own submodules (render
    dispatching to its renderers, which share the package's helpers) is the exception."""
    graph = {
        m: {t for t, _, _ in imports(m) if t in MODULES and t != m and not t.startswith(m + ".")}
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


@pytest.mark.parametrize("rule", sorted(CROSSINGS))
def test_each_crossing_is_still_needed(rule):
    importer, imported = rule
    assert imported in {t for t, _ in hfsync_imports(importer)}
