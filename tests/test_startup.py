"""What a `cost check` process loads: start-up time is measured in benchmarks/bench_check.py;
here only which modules are present, read from the real process (`-X importtime` lists every
module it imports, also those imported inside functions while checking)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"

# Never on a check: plotting, templates, the REPL and the language server, notebooks, the
# cluster, the certifying solver and the SAT back-end of synthesis (the essay has no
# reduction), and network or packaging helpers something might pull in.
NEVER = (
    "matplotlib",
    "numpy",
    "PIL",
    "jinja2",
    "markupsafe",
    "prompt_toolkit",
    "pygments",
    "pygls",
    "lsprotocol",
    "IPython",
    "ipykernel",
    "nbformat",
    "nbclient",
    "dask",
    "distributed",
    "cvc5",
    "pysat",
    "certifi",
    "requests",
    "urllib3",
    "ssl",
    "asyncio",
    "importlib_metadata",
    "markdown_it",
)
# Only on a colour terminal: the plain text is the output, rich restyles it.
NOT_WHEN_PIPED = ("rich",)


def listing(stderr: str) -> set[str]:
    """The module names in a `-X importtime` listing."""
    return {
        line.rsplit("|", 1)[1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@functools.cache
def at_interpreter_start() -> frozenset[str]:
    """What the interpreter imports before any of our code runs: `site` and the `.pth` files
    of its site-packages. A Python installation may carry one that imports, say, certifi;
    that is the installation's start-up, not the check's."""
    done = subprocess.run(
        [sys.executable, "-c", "pass"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    names = listing(done.stderr)
    assert "site" in names or "encodings" in names, "the import listing was not read"
    return frozenset(names)


def imported_modules(*arguments: str, environment: dict[str, str] | None = None) -> set[str]:
    """Every module the `cost` process imports beyond the interpreter's own start-up,
    top-level package names included."""
    command = [sys.executable, "-m", "calculus"]
    done = subprocess.run(
        [*command, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1", **(environment or {})},
        cwd=ROOT,
    )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert "cost: error" not in done.stderr, done.stderr
    names = listing(done.stderr)
    assert "calculus.check" in names, "the import listing was not read"
    return names - at_interpreter_start()


def loaded(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name.split(".")[0] in packages)


@pytest.mark.parametrize(
    "arguments",
    [
        ("check", str(ESSAY)),
        ("check", "--format", "json", str(ESSAY)),
        ("check", "-q", str(ESSAY)),
    ],
    ids=["text", "json", "quiet"],
)
def test_a_check_imports_nothing_heavy(arguments: tuple[str, ...]) -> None:
    names = imported_modules(*arguments, environment={"FORCE_COLOR": "", "NO_COLOR": ""})
    assert loaded(names, NEVER) == []
    assert loaded(names, NOT_WHEN_PIPED) == [], "rich loaded for output that is not a terminal"


def test_a_failing_check_imports_nothing_heavy(tmp_path: Path) -> None:
    # A refuted claim takes the explanation path (why it fails, how to fix it).
    path = tmp_path / "wrong.cost"
    path.write_text(
        "primitive a, b\nprogram P { stores a }\nprogram Q { stores a, b }\n"
        "claim wrong: Q beats P on c\n"
    )
    names = imported_modules("check", str(path))
    assert "calculus.explain" in names
    assert loaded(names, NEVER + NOT_WHEN_PIPED) == []


def test_well_formed_text_is_parsed_without_lark(tmp_path: Path) -> None:
    # The first check caches the direct path's tables (made from lark's grammar); after it,
    # lark is loaded only for text that does not parse, whose diagnostic it writes.
    imported_modules("check", str(ESSAY))
    assert loaded(imported_modules("check", str(ESSAY)), ("lark",)) == []
    broken = tmp_path / "broken.cost"
    broken.write_text("primitive a\nclaim c: a >\n")
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
        cwd=ROOT,
    )
    assert done.returncode == 2 and "broken.cost:2:" in done.stderr, done.stderr
    assert "lark" in listing(done.stderr)


def test_colour_loads_rich_only_when_asked() -> None:
    # The listing is a real one: forcing colour does load rich, so its absence above means
    # something.
    names = imported_modules("check", str(ESSAY), environment={"FORCE_COLOR": "1"})
    assert "rich.console" in names
    assert loaded(names, NEVER) == []


@pytest.mark.parametrize("suffix", [".html", ".md"])
def test_a_report_draws_its_plots_without_matplotlib(tmp_path: Path, suffix: str) -> None:
    # The essay's report has two plots; they are drawn from the exact breakpoints. Pillow
    # paints the Markdown's PNGs; the HTML's plots are SVG text.
    output = tmp_path / f"report{suffix}"
    names = imported_modules("report", str(ESSAY), "-o", str(output))
    assert output.stat().st_size > 0
    assert "jinja2" in names and "calculus.report.chart" in names
    assert loaded(names, ("matplotlib", "numpy")) == []
    assert not [name for name in names if name.startswith("calculus.circuits")]
    if suffix == ".md":
        assert "PIL.Image" in names
    else:
        assert loaded(names, ("PIL",)) == []
