"""The package's import graph has no cycles: every import statement counts, also those
inside functions and under `TYPE_CHECKING`. The graph reader is checked on a made-up package
first, so that a clean result means something."""

from __future__ import annotations

import textwrap
from pathlib import Path

from import_graph import cycles, import_graph

ROOT = Path(__file__).parent.parent


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "calculus" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_the_reader_resolves_every_kind_of_import(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from calculus import b\nfrom calculus.sub import d\n",
            "b.py": "def late():\n    from . import c\n",
            "c.py": "import calculus.sub.d as deep\nfrom calculus.b import late\n",
            "sub/__init__.py": "from .d import thing\n",
            "sub/d.py": "from ..a import x\nfrom typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from calculus.b import y\n",
        },
    )
    graph = import_graph(root)
    assert graph == {
        "calculus": set(),
        "calculus.a": {"calculus.b", "calculus.sub.d"},  # `d` is a submodule, not a name
        "calculus.b": {"calculus.c"},  # inside a function, relative
        "calculus.c": {"calculus.sub.d", "calculus.b"},
        "calculus.sub": {"calculus.sub.d"},  # relative to the package itself
        "calculus.sub.d": {"calculus.a", "calculus.b"},  # `..`, and under TYPE_CHECKING
    }
    assert cycles(graph) == [["calculus.a", "calculus.b", "calculus.c", "calculus.sub.d"]]


def test_two_separate_cycles_are_two(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from calculus import b\n",
            "b.py": "import calculus.a\n",
            "c.py": "def f():\n    from calculus.d import g\n",
            "d.py": "from .c import f\n",
            "e.py": "from calculus import a, c\n",
        },
    )
    assert cycles(import_graph(root)) == [
        ["calculus.a", "calculus.b"],
        ["calculus.c", "calculus.d"],
    ]


def test_no_import_cycles_in_calculus() -> None:
    graph = import_graph(ROOT)
    assert len(graph) > 20 and sum(map(len, graph.values())) > 50  # the real package was read
    assert cycles(graph) == []
