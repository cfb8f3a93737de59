"""The import graph of the `calculus` package, read from the source with `ast`: every import
statement counts, also those inside functions and under `TYPE_CHECKING`.

`python tests/import_graph.py [ROOT]` prints the number of edges and any cycles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "calculus"


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package under `root` by its dotted name."""
    found: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The package's modules that `module` imports, one per import target."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                # `from . import x` in a package's __init__ is relative to the package itself.
                drop = node.level - 1 if is_package else node.level
                base = ".".join(anchor[: len(anchor) - drop] if drop else anchor)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield submodule if submodule in known else target


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports (itself excluded)."""
    known = modules(root)
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = set()
        for target in _imported(module, path, known):
            # `import calculus.a.b` names a module; keep the longest known prefix.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module and target.startswith(PACKAGE):
                targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    graph = import_graph(root)
    edges = sum(len(targets) for targets in graph.values())
    found = cycles(graph)
    print(f"{len(graph)} modules, {edges} import edges, {len(found)} import cycles")
    for component in found:
        print("cycle: " + " ⇄ ".join(component))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
