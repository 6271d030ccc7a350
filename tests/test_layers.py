"""The layers of design.md §1, checked on the source: no import cycles, no import against the flow.

The graph is read with `ast`, so every import counts: at module level, inside functions (the
usual way a cycle hides) and under `TYPE_CHECKING` (a cycle in the types is still one in the
design). An edge `a -> b` means module `a` imports module `b` (or a name from it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "actions", "knowledge")
# package -> the packages of ours it must not import (design.md §1: knowledge imports nothing of
# ours; nlu and actions import knowledge; bot imports the rest).
FORBIDDEN = {
    "knowledge": frozenset({"bot", "nlu", "actions"}),
    "nlu": frozenset({"bot", "actions"}),
    "actions": frozenset({"bot"}),
}

Graph = Mapping[str, frozenset[str]]

MAX_MODULE_LINES = 400  # a module has fewer lines than this (design's style: modules under 400 lines)
SIZED = (*PACKAGES, "scripts")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict[str, Path]:
    """Every module of our packages (Alembic's migrations are scripts Alembic loads, not imported)."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


def imported_names(module: str, source: str, is_package: bool = False) -> Iterator[str]:
    """The dotted names a module imports, relative imports resolved; names imported from a module
    are given as `module.name` too (it may be a submodule)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: Mapping[str, Path]) -> dict[str, frozenset[str]]:
    """module -> the modules of ours it imports (a name resolves to its longest module prefix)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        source = path.read_text(encoding="utf-8")
        targets = {resolve(name) for name in imported_names(module, source, path.name == "__init__.py")}
        graph[module] = frozenset(t for t in targets if t is not None and t != module)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def describe(component: list[str], graph: Graph) -> str:
    members = set(component)
    edges = [f"  {a} -> {', '.join(sorted(graph[a] & members))}" for a in component]
    return "\n".join([f"cycle of {len(component)} modules:", *edges])


@pytest.fixture(scope="module")
def graph() -> dict[str, frozenset[str]]:
    return import_graph(source_modules())


def test_every_kind_of_import_is_an_edge() -> None:
    source = """
import bot.settings
from typing import TYPE_CHECKING
from . import sibling
from ..store import models

if TYPE_CHECKING:
    from bot.service import BotService

def later() -> None:
    from bot.channels.telegram import webhook
"""
    names = set(imported_names("bot.web.app", source))
    assert {"bot.settings", "bot.web.sibling", "bot.store.models", "bot.service", "bot.channels.telegram"} <= names


def test_the_graph_reads_the_real_source(graph: Graph) -> None:
    assert "bot.service" in graph["bot.web.app"]
    assert "knowledge.model" in graph["actions.respond"]
    assert "bot" not in {target.split(".")[0] for target in graph["knowledge.model"]}


def test_the_cycle_finder_finds_a_cycle_made_up_here() -> None:
    made_up = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(made_up) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_no_import_cycles(graph: Graph) -> None:
    found = cycles(graph)
    assert not found, "\n".join(describe(c, graph) for c in found)


def test_imports_follow_the_flow(graph: Graph) -> None:
    against = [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], frozenset())
    ]
    assert not against, "imports against design.md §1:\n" + "\n".join(against)


def test_the_readme_map_names_every_package() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## How it is built")
    block = readme[readme.index("```", start) : readme.index("```", readme.index("```", start) + 3)]
    packages = sorted(
        init.parent.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for init in (ROOT / package).rglob("__init__.py")
        if "versions" not in init.parts
    )
    missing = [p for p in packages if f"{p}/" not in block and f" {p.rsplit('/', 1)[-1]}/" not in block]
    assert not missing, f"README's 'How it is built' does not name: {missing}"


def test_the_channel_adapters_only_translate(graph: Graph) -> None:
    # Campaigns, ratings and state are the core's (BotService.handle): an adapter reaching the
    # store or the campaigns would be deciding the dialogue itself.
    for adapter in ("bot.channels.telegram", "bot.channels.zalo"):
        reached = {t for t in graph[adapter] if t.startswith(("bot.store", "bot.campaigns", "bot.ratings"))}
        assert not reached, f"{adapter} imports {sorted(reached)}"


def module_lengths() -> dict[str, int]:
    """Lines of every Python module of bot/, nlu/, actions/, knowledge/ and scripts/ (migrations too)."""
    return {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for folder in SIZED
        for path in sorted((ROOT / folder).rglob("*.py"))
    }


def test_every_module_is_under_the_size_limit() -> None:
    lengths = module_lengths()
    over = {path: n for path, n in lengths.items() if n >= MAX_MODULE_LINES}
    assert not over, f"modules of {MAX_MODULE_LINES} lines or more (split them along their seams): {over}"
