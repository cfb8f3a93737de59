"""`cost fmt`: canonical layout, comments and quotes kept, idempotent, verdicts unchanged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calculus.check import check_source
from calculus.cli import main
from calculus.diagnostics import InputError
from calculus.formatter import comments, format_text
from calculus.syntax import parse

ROOT = Path(__file__).resolve().parent.parent
PROOFS = sorted((ROOT / "proofs").glob("*.cost"))
CASES = sorted((ROOT / "tests" / "cases").rglob("*.cost"))

MESSY = """\
# A header comment
model "Title with # hash and \\"quote\\""   # the title


primitive a, b   # two primitives
primitive find
# about P
program P {
  runs b     # runs first
  stores a   # then stores
}
program Q { stores a, b; runs 3 * b }  # one line
claim p_wins: P beats
   Q   # a claim over two lines
refute  q_wins :Q beats P  on c
# the end
"""

CANONICAL = """\
# A header comment
model "Title with # hash and \\"quote\\""  # the title

primitive a, b  # two primitives
primitive find
# about P
program P {
  stores a  # then stores
  runs b  # runs first
}
program Q {  # one line
  stores a, b
  runs 3 * b
}
claim p_wins: P beats Q  # a claim over two lines
refute q_wins: Q beats P on c
# the end
"""


def _parses(text: str, path: str) -> bool:
    try:
        parse(text, path)
    except InputError:
        return False
    return True


FORMATTABLE = [p for p in PROOFS + CASES if _parses(p.read_text(encoding="utf-8"), str(p))]


def test_canonical_layout_by_hand() -> None:
    assert format_text(MESSY) == CANONICAL


def test_comment_scanner_skips_strings() -> None:
    found = comments('model "a # b \\" # c"  # real\n  # alone\nx # y\n')
    assert [(c.line, c.text, c.alone) for c in found] == [
        (1, "# real", False),
        (2, "# alone", True),
        (3, "# y", False),
    ]


def test_comments_in_a_block_stay_on_their_lines() -> None:
    source = (
        "task guess {\n"
        "  inputs goal, proxy   # the state\n"
        "  outputs act          # the action\n"
        "  # what we want:\n"
        "  intended act = goal  # intended\n"
        "}\n"
    )
    assert format_text(source) == (
        "task guess {\n"
        "  inputs goal, proxy  # the state\n"
        "  outputs act  # the action\n"
        "  # what we want:\n"
        "  intended act = goal  # intended\n"
        "}\n"
    )


@pytest.mark.parametrize("path", FORMATTABLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_keeps_its_tree_and_comments_and_is_stable(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted = format_text(text, str(path))
    assert parse(formatted, str(path)) == parse(text, str(path))  # spans aside, equal trees
    assert format_text(formatted, str(path)) == formatted
    # Every comment survives, in its order (two comments on one merged line become one).
    before = [c.text for c in comments(text)]
    after = "\n".join(c.text for c in comments(formatted))
    position = 0
    for comment in before:
        position = after.index(comment, position)


def _verdicts(text: str, path: str) -> list[tuple[str, str, bool, tuple[str, ...]]]:
    """Each claim's verdict and the assumptions it used. An unnamed assumption is named by
    its line (`assume@4`), which a new layout may move: it is named by its order here."""
    result = check_source(text, path)
    assert not result.input_error, result.diagnostics
    assert result.model is not None
    order = {a.name: f"unnamed #{i}" for i, a in enumerate(result.model.assumptions)}
    return [
        (
            c.name,
            c.verdict.status,
            c.passed,
            tuple(order.get(u, u) if u.startswith("assume@") else u for u in c.verdict.uses),
        )
        for c in result.claims
    ]


SUCCESS_CASES = [p for p in FORMATTABLE if p.parent.name == "success"]


@pytest.mark.parametrize("path", SUCCESS_CASES, ids=lambda p: str(p.relative_to(ROOT)))
def test_verdicts_never_change_on_cases(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _verdicts(format_text(text), str(path)) == _verdicts(text, str(path))


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in PROOFS if p in FORMATTABLE], ids=lambda p: p.name)
def test_verdicts_never_change_on_proofs(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _verdicts(format_text(text), str(path)) == _verdicts(text, str(path))


# ---- the command ---------------------------------------------------------------------------


def test_check_writes_nothing_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messy = tmp_path / "messy.cost"
    messy.write_text(MESSY)
    assert main(["fmt", "--check", str(messy)]) == 1
    assert messy.read_text() == MESSY
    assert "would reformat" in capsys.readouterr().err
    assert main(["fmt", str(messy)]) == 0
    assert messy.read_text() == CANONICAL
    assert main(["fmt", "--check", str(messy)]) == 0


def test_diff_prints_the_change_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messy = tmp_path / "messy.cost"
    messy.write_text(MESSY)
    assert main(["fmt", "--diff", str(messy)]) == 0
    out = capsys.readouterr().out
    assert "-refute  q_wins :Q beats P  on c" in out and "+refute q_wins: Q beats P on c" in out
    assert messy.read_text() == MESSY


def test_stdin_to_stdout() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "calculus", "fmt", "-"],
        input=MESSY,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == CANONICAL


def test_input_error_exits_2_and_leaves_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.cost"
    source = "primitive a\nprogram P { stores a\n"
    bad.write_text(source)
    assert main(["fmt", str(bad)]) == 2
    assert bad.read_text() == source
    error = capsys.readouterr().err
    assert "bad.cost:2:" in error and "error[syntax]" in error and "^" in error
