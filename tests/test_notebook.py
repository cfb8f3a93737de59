"""Jupyter: `%load_ext calculus` and `%%cost`; the example notebook under docs/ is executed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calculus.notebook import CellResult, cost_cell

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "example.ipynb"

CELL = """\
primitive a, b
program P { stores a; runs b }
program Q { stores a, b; runs 3 * b }
claim p_wins: P beats Q
claim wrong: Q beats P on c
"""


def test_loading_the_extension_imports_nothing_heavy() -> None:
    probe = """
import sys
import calculus

class Shell:
    def register_magic_function(self, function, magic_kind, magic_name):
        self.registered = (function.__name__, magic_kind, magic_name)

shell = Shell()
calculus.load_ipython_extension(shell)
assert shell.registered == ("cost_cell", "cell", "cost"), shell.registered
heavy = {"sympy", "z3", "lark", "matplotlib", "jinja2", "rich", "calculus.check"}
loaded = sorted(heavy & set(sys.modules))
assert not loaded, loaded
"""
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def test_cell_result_as_text_and_as_html() -> None:
    result = cost_cell("--timeout 10 cell.cost", CELL)
    assert isinstance(result, CellResult) and not result.ok
    text = repr(result)
    assert text.splitlines()[0] == "cell.cost"
    assert text.splitlines()[-1] == "2 claims: 1 proved, 1 refuted, 0 unknown; 1 failed"
    page = result._repr_html_()
    assert page.count("<tr>") == 3  # the head and one row per claim
    assert "✓ proved" in page and "✗ refuted" in page and "<strong>FAILS</strong>" in page
    assert "uses positivity" in page and "counterexample: c(b) = " in page


def test_cell_with_an_input_error_shows_the_diagnostic() -> None:
    result = cost_cell("", "primitive a\nclaim x: a beats b\n")
    assert "<cell>:2:" in repr(result) and "error[" in repr(result)
    assert result._repr_html_().startswith("<pre>")


def test_html_escapes_what_the_cell_says() -> None:
    result = cost_cell("", 'model "<b>x</b>"\nprimitive a\nclaim ok: c(a) > 0   # <script>\n')
    assert "<script>" not in result._repr_html_() and "<b>" not in result._repr_html_()


def test_example_notebook_runs() -> None:
    nbformat = pytest.importorskip("nbformat", reason="executing the notebook needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="executing the notebook needs nbclient")
    pytest.importorskip("ipykernel", reason="executing the notebook needs ipykernel")
    notebook = nbformat.read(EXAMPLE, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    )
    from jupyter_client.manager import start_new_kernel

    try:  # a probe, so that a kernel that cannot start is a skip and a failing cell is not
        manager, kernel = start_new_kernel(kernel_name="python3", startup_timeout=120)
    except Exception as error:  # noqa: BLE001 - any reason a kernel cannot start here
        pytest.skip(f"a Jupyter kernel (ipykernel) could not start here: {error!r}")
    kernel.stop_channels()
    manager.shutdown_kernel(now=True)
    client.execute()
    outputs = [cell.get("outputs", []) for cell in notebook.cells if cell.cell_type == "code"]
    (shown,) = [o for o in outputs[1] if o.get("output_type") == "execute_result"]
    assert "<table>" in shown["data"]["text/html"]
    assert "honest_is_faster" in shown["data"]["text/html"]
    assert "3 claims: 2 proved, 1 refuted" in shown["data"]["text/plain"]
    printed = "".join(o.get("text", "") for o in outputs[2] if o.get("output_type") == "stream")
    assert printed.splitlines() == ["True", "3 claims: 2 proved, 1 refuted, 0 unknown; all passed"]
