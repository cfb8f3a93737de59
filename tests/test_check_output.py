"""`cost check` text: full detail for one file, one line per passing claim for a directory,
`-v` for every detail, `-q` for failures only."""

from __future__ import annotations

from pathlib import Path

import pytest

from calculus.cli import main

PASSING = """\
primitive a, b
program P { stores a; runs b }
program Q { stores a, b; runs 3 * b }
claim p_wins: P beats Q
refute q_simpler: Q beats P on c
"""

FAILING = """\
primitive a, b
program P { stores a }
program Q { stores b }
claim wrong: P beats Q on c
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a_passing.cost").write_text(PASSING)
    (tmp_path / "b_failing.cost").write_text(FAILING)
    return tmp_path


def test_a_directory_gets_one_line_per_passing_claim(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(folder)]) == 1
    lines = capsys.readouterr().out.splitlines()
    passing = [line for line in lines if "p_wins" in line or "q_simpler" in line]
    assert len(passing) == 2 and all(line.endswith("[pass]") for line in passing)
    assert not any("uses:" in line for line in lines)  # no detail for what passes
    at = next(i for i, line in enumerate(lines) if "wrong" in line)
    assert lines[at].endswith("[FAIL]") and lines[at + 1].strip().startswith("counterexample: ")
    assert lines[-1] == "3 claims: 1 proved, 2 refuted, 0 unknown; 1 failed"


def test_verbose_gives_every_detail(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-v", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "uses: positivity" in out and "counterexample: " in out


def test_a_single_file_keeps_its_detail(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(folder / "a_passing.cost")]) == 0
    assert "uses: positivity" in capsys.readouterr().out


def test_quiet_prints_failures_and_the_count(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "-q", str(folder)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("b_failing.cost")
    assert "wrong" in lines[1] and lines[2].strip().startswith("counterexample: ")
    assert lines[-1] == "3 claims: 1 proved, 2 refuted, 0 unknown; 1 failed"
    assert len(lines) == 4
    (folder / "b_failing.cost").unlink()
    assert main(["check", "-q", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2 claims: 1 proved, 1 refuted, 0 unknown; all passed"
    ]


def test_a_line_repeated_word_for_word_is_shortened() -> None:
    from calculus.output import without_repeats

    lines = [
        "  ✓ proved   reduction r1: x   [pass]",
        "      ✓ value decomposition E[R]: proved for every MDP up to 3 tasks",
        "  ✓ proved   reduction r2: x   [pass]",
        "      ✓ value decomposition E[R]: proved for every MDP up to 3 tasks",
    ]
    assert without_repeats(lines)[3] == "      ✓ value decomposition E[R]: as above"
    assert without_repeats(lines)[:3] == lines[:3]


def test_repl_load_is_brief(folder: Path) -> None:
    import io

    from calculus.repl import run_piped
    from calculus.session import Session

    out, err = io.StringIO(), io.StringIO()
    run_piped(Session(), str(folder / "a_passing.cost"), [":why p_wins\n"], out, err)
    lines = out.getvalue().splitlines()
    loaded = lines[: lines.index("2 claims: 1 proved, 1 refuted, 0 unknown; all passed") + 1]
    assert len(loaded) == 4  # the file, one line per claim, the count
    assert any("positivity" in line for line in lines[len(loaded) :])  # `:why` has the detail


LONG = """\
primitive a, b
assume huge: c(a) = 2500000000000000002500000000 / 27
claim wrong: c(a) < c(b)
"""


def test_long_numbers_are_also_shown_approximately(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fractions import Fraction

    from calculus.check import check_source
    from calculus.numbers import approximation, readable_text
    from calculus.report import build_report

    assert approximation(Fraction(2500000000000000002500000000, 27)) == "≈ 9.26e+25"
    assert approximation(Fraction(92592592592592592)) == "≈ 9.26e+16"
    assert approximation(Fraction(-123456789012345, 1000)) == "≈ -1.23e+11"
    assert approximation(Fraction(1000001, 118)) is None  # 10 digits read well as they are
    assert readable_text(Fraction(7, 2)) == "7/2"
    path = tmp_path / "long.cost"
    path.write_text(LONG)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "c(a) = 2500000000000000002500000000/27 ≈ 9.26e+25" in out
    assert main(["check", "--format", "json", str(path)]) == 1
    assert '"c(a)": "2500000000000000002500000000/27"' in capsys.readouterr().out  # exact
    (claim,) = build_report(check_source(LONG, "long.cost")).claims
    assert ("c(a)", "2500000000000000002500000000/27 ≈ 9.26e+25") in (claim.counterexample or ())
