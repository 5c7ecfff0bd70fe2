"""Imports flow one way — aidnews (CLI) → scheduler → crawler → etl — and no module imports itself in a circle.

Read with ast from the source files, so imports inside functions count as much as those at the top, and a
module that is never imported by any test is checked all the same.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"etl": 0, "crawler": 1, "scheduler": 2, "aidnews": 3}  # a module may import its own layer or lower


def module_files() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    files = {"scheduler": ROOT / "scheduler.py"}
    for package in ("etl", "crawler", "aidnews"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def imported_modules(name: str, tree: ast.AST, known: Iterable[str], is_package: bool = False) -> set[str]:
    """The project modules that module `name` imports anywhere in its body (relative imports resolved)."""
    known = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a non-module name: its nearest module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@cache
def import_graph() -> dict[str, frozenset[str]]:
    """Parsed once per test run (about 0.5 s of CPU); the tests only read it."""
    files = module_files()
    return {
        name: frozenset(
            imported_modules(
                name,
                ast.parse(path.read_text(encoding="utf-8"), str(path)),
                files,
                is_package=path.name == "__init__.py",
            )
        )
        for name, path in files.items()
    }


def wrong_way(graph: Mapping[str, AbstractSet[str]]) -> list[str]:
    """Imports from a lower layer to a higher one."""
    return sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if LAYERS[target.split(".")[0]] > LAYERS[source.split(".")[0]]
    )


def cycles(graph: Mapping[str, AbstractSet[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_imports_at_every_depth() -> None:
    graph = import_graph()
    assert "etl.store.models" in graph["crawler.pipelines"]  # a top-level import
    assert "crawler.demo.launch" in graph["aidnews.common"]  # an import inside a function
    assert "etl.store.engine" in graph["etl.store.runs"]
    assert len(graph) > 50


def test_the_checks_catch_a_wrong_way_import_and_a_cycle() -> None:
    tree = ast.parse("def f():\n    from crawler.supervisor import crawl\n")
    edges = imported_modules("etl.process", tree, ["etl.process", "crawler.supervisor", "crawler"])
    assert edges == {"crawler.supervisor"}
    assert wrong_way({"etl.process": edges}) == ["etl.process imports crawler.supervisor"]
    assert cycles({"etl.a": {"etl.b"}, "etl.b": {"etl.c"}, "etl.c": {"etl.a"}, "etl.d": {"etl.a"}}) == [
        ["etl.a", "etl.b", "etl.c"]
    ]


def test_imports_flow_one_way_aidnews_scheduler_crawler_etl() -> None:
    assert wrong_way(import_graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []
