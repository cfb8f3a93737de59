"""Assumptions that cannot all hold: a warning, and the claims they alone prove marked.

Verdicts never change (a contradiction entails every claim); what is checked is that the
contradiction is found exactly when there is one — cross-checked on random systems against
Fourier–Motzkin elimination in exact arithmetic, which does not go through the solver —
that the minimal set named really contradicts itself and is minimal, and that claims proved
from consistent assumptions are not marked.
"""

from __future__ import annotations

import itertools
import json
import random
from fractions import Fraction
from pathlib import Path

import pytest

from calculus.check import check_source, derive_views, hypotheses, load_model, objection_model
from calculus.cli import main
from calculus.logic import Decider
from calculus.lsp import analyse
from calculus.notebook import cost_cell
from calculus.output import file_json, summary_line
from calculus.report import build_report, render_markdown
from calculus.session import Session
from calculus.vacuity import contradiction

ROOT = Path(__file__).resolve().parent.parent

CONTRADICTION = """\
primitive x, y
program P { stores x; runs y }
assume a1: c(x) >= 5
assume a3: t(y) >= 1
assume a2: c(x) <= 3
claim silly: c(P) > c(P)
claim fine: t(P) >= 1
claim some_: c(x) = 2 for some costs
claim none: c(y) = 1 for some costs
"""


def test_a_contradiction_is_a_warning_at_its_first_assumption() -> None:
    result = check_source(CONTRADICTION, "arg.cost")
    assert not result.input_error  # a warning is not an input error
    (warning,) = result.warnings
    assert (warning.path, warning.line, warning.column) == ("arg.cost", 3, 1)
    assert (warning.code, warning.severity) == ("inconsistent", "warning")
    assert "a1 and a2 cannot all hold" in warning.message
    assert warning.notes == ("a2 is at arg.cost:5:1",)
    assert "1 warning" in summary_line([result])


def test_only_claims_resting_on_the_contradiction_are_marked() -> None:
    claims = {c.name: c for c in check_source(CONTRADICTION, "arg.cost").claims}
    # Verdicts are those of the logic: a contradiction proves `c(P) > c(P)`.
    assert claims["silly"].verdict.status == "proved"
    assert claims["silly"].vacuous == ("a1", "a2")
    assert any(note.startswith("vacuous: proved") for note in claims["silly"].verdict.notes)
    # Proved from a3 alone, which is consistent: a real proof.
    assert claims["fine"].verdict.status == "proved" and claims["fine"].vacuous == ()
    # `c(x) = 2` is ruled out by a1 alone (c(x) >= 5): a real refutation.
    assert claims["some_"].verdict.status == "refuted" and claims["some_"].vacuous == ()
    # `c(y) = 1` is ruled out only by a1 and a2 together.
    assert claims["none"].verdict.status == "refuted"
    assert claims["none"].vacuous == ("a1", "a2")


def test_json_and_exit_status() -> None:
    data = file_json(check_source(CONTRADICTION, "arg.cost"))
    assert [w["code"] for w in data["warnings"]] == ["inconsistent"]
    assert data["warnings"][0]["severity"] == "warning"
    by_name = {c["name"]: c for c in data["claims"]}
    assert by_name["silly"]["vacuous"] == ["a1", "a2"]
    assert "vacuous" not in by_name["fine"]


def test_the_cli_prints_the_warning_and_exits_by_the_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "arg.cost"
    path.write_text(CONTRADICTION.replace("claim some_: c(x) = 2 for some costs\n", ""))
    assert main(["check", str(path)]) == 1  # `none` fails, as without the warning
    out, err = capsys.readouterr()
    assert f"{path}:3:1: warning[inconsistent]:" in err
    assert "  assume a1: c(x) >= 5\n  ^~~~" in err
    assert "note: vacuous: proved only because the assumptions a1 and a2 cannot all hold" in out


@pytest.mark.parametrize("path", sorted((ROOT / "proofs").glob("*.cost")), ids=lambda p: p.name)
def test_the_essays_assumptions_are_consistent(path: Path) -> None:
    """The question `review` asks, on each essay file and each of its objections (the
    claims themselves are decided by the CLI tests; deciding them again here is slow)."""
    model = load_model(path.read_text("utf-8"), str(path))
    models = [model, *(objection_model(model, o) for o in model.objections)]
    with Decider() as decider:
        for each in models:
            for view in derive_views(each):
                assert contradiction(view, hypotheses(view), 10.0, decider) is None


@pytest.mark.parametrize(
    ("assumptions", "core"),
    [
        # positivity: costs are > 0
        ("assume neg: c(x) <= 0", "neg"),
        # a parameter's own bounds
        ("parameter n integer >= 1\nassume small: n <= 0", "small"),
        # g is a rate: assumptions about it are constraints too
        ("assume fast: g > 5\nassume slow: g < 3", "fast, slow"),
        # strict against non-strict at the same point
        ("assume le: c(x) <= 2\nassume gt: c(x) > 2", "le, gt"),
        # three assumptions, each pair consistent
        (
            "assume s1: c(x) + c(y) <= 2\nassume s2: c(x) >= 1\nassume s3: c(y) >= 1.5",
            "s1, s2, s3",
        ),
    ],
)
def test_what_makes_a_contradiction(assumptions: str, core: str) -> None:
    text = f"primitive x, y\nprogram P {{ stores x; runs y }}\n{assumptions}\nclaim q: c(P) > 100\n"
    result = check_source(text, "a.cost")
    (warning,) = result.warnings
    for name in core.split(", "):
        assert name in warning.message
    assert result.claims[0].verdict.status == "proved"
    assert set(result.claims[0].vacuous) >= set(core.split(", "))


def test_a_contradiction_found_only_at_equality_is_not_one() -> None:
    text = (
        "primitive x\nprogram P { stores x }\n"
        "assume le: c(x) <= 2\nassume ge: c(x) >= 2\nclaim q: c(P) = 2\n"
    )
    result = check_source(text, "a.cost")
    assert result.warnings == ()
    assert result.claims[0].verdict.status == "proved" and result.claims[0].vacuous == ()


def test_one_warning_for_a_contradiction_under_every_family() -> None:
    text = (
        "primitive x, y\nprogram P { stores x; runs y }\nexchange linear, monotone\n"
        "assume a1: c(x) >= 5\nassume a2: c(x) <= 3\nclaim q: c(P) > 100\n"
    )
    result = check_source(text, "a.cost")
    (warning,) = result.warnings
    assert "famil" not in warning.message  # it holds under all of them
    ((_, linear), (_, monotone)) = result.claims[0].by_family
    assert any(note.startswith("vacuous") for note in linear.notes)
    assert any(note.startswith("vacuous") for note in monotone.notes)


OBJECTION = """\
primitive x, y
program P { stores x; runs y }
assume a3: t(y) >= 1
claim q2: t(P) >= 2
objection wild {
  assume t(y) <= 1/2
  claim own: c(P) > 1000
}
"""


def test_an_objection_that_contradicts_the_argument() -> None:
    result = check_source(OBJECTION, "o.cost")
    (objection,) = result.objections
    (warning,) = result.warnings
    assert warning.message.startswith("in objection wild: ")
    assert (warning.line, warning.column) == (6, 3)  # at the objection's own assumption
    (flip,) = objection.flips
    assert (flip.claim, flip.before, flip.after) == ("q2", "refuted", "proved")
    assert set(flip.vacuous) == {"a3", "assume@6"}
    assert objection.claims[0].vacuous
    data = file_json(result)["objections"][0]
    assert set(data["flips"][0]["vacuous"]) == {"a3", "assume@6"}


def test_a_contradiction_of_the_base_is_not_repeated_for_its_objections() -> None:
    text = CONTRADICTION + "objection o {\n  assume c(y) >= 1\n}\n"
    assert len(check_source(text, "a.cost").warnings) == 1


def test_editors_reports_notebooks_and_the_repl_show_it() -> None:
    problems = analyse(CONTRADICTION, "arg.cost", decide=True).problems
    warnings = [p for p in problems if p.code == "inconsistent"]
    assert [(p.line, p.start, p.severity) for p in warnings] == [(2, 0, 2)]
    result = check_source(CONTRADICTION, "arg.cost")
    page = render_markdown(build_report(result, versions=()))
    assert "warning\\[inconsistent\\]" in page and "a1 and a2 cannot all hold" in page
    cell = cost_cell("arg.cost", CONTRADICTION)
    assert "warning[inconsistent]" in repr(cell) and "a1 and a2" in cell._repr_html_()
    session = Session(timeout=10)
    session.eval("primitive x")
    session.eval("assume a1: c(x) >= 5")
    lines = [line for o in session.eval("assume a2: c(x) <= 3") for line in o.lines]
    assert any(
        line.startswith("warning: the assumptions a1 and a2 cannot all hold") for line in lines
    )


# ---- cross-check: random linear systems against Fourier–Motzkin ----------------------------

# An inequality sum(coefficients[i] * v_i) + constant (> or >=) 0 over positive v.
Inequality = tuple[tuple[Fraction, ...], Fraction, bool]


def _feasible(system: list[Inequality], variables: int) -> bool:
    """Whether the system has a real solution, by Fourier–Motzkin elimination (exact)."""
    rows = list(system)
    for v in range(variables):
        lower = [r for r in rows if r[0][v] > 0]
        upper = [r for r in rows if r[0][v] < 0]
        rest = [r for r in rows if r[0][v] == 0]
        for (a, ca, sa), (b, cb, sb) in itertools.product(lower, upper):
            wa, wb = -b[v], a[v]  # both positive: the v terms cancel
            combined = tuple(wa * x + wb * y for x, y in zip(a, b, strict=True))
            rest.append((combined, wa * ca + wb * cb, sa or sb))
        rows = rest
    return all(c > 0 or (c == 0 and not strict) for _, c, strict in rows)


def _random_system(rng: random.Random) -> tuple[list[str], list[Inequality]]:
    atoms = ["c(x)", "c(y)", "t(y)"]
    texts, system = [], []
    for i in range(3):  # positivity: every atom > 0
        system.append((tuple(Fraction(int(i == j)) for j in range(3)), Fraction(0), True))
    for _ in range(rng.randint(2, 4)):
        coefficients = [rng.randint(-3, 3) for _ in atoms]
        if not any(coefficients):
            coefficients[0] = 1
        constant = rng.randint(-6, 6)
        op = rng.choice([">", ">="])
        terms = " + ".join(f"{k} * {a}" for k, a in zip(coefficients, atoms, strict=True))
        texts.append(f"{terms} + {constant} {op} 0")
        system.append((tuple(Fraction(k) for k in coefficients), Fraction(constant), op == ">"))
    return texts, system


def test_warnings_agree_with_fourier_motzkin_on_random_systems() -> None:
    rng = random.Random(20261130)
    seen = {True: 0, False: 0}
    for _ in range(60):
        texts, system = _random_system(rng)
        lines = [f"assume h{i}: {t}" for i, t in enumerate(texts)]
        text = "primitive x, y\nprogram P { stores x; runs y }\n" + "\n".join(lines) + "\n"
        result = check_source(text, "r.cost")
        feasible = _feasible(system, 3)
        seen[feasible] += 1
        assert (result.warnings == ()) == feasible, text
        if not feasible:
            (warning,) = result.warnings
            said = warning.message.split(":")[0]
            named = [i for i in range(len(texts)) if f"h{i}" in said]
            # positivity (one hypothesis: every atom > 0) is one of the set when the
            # warning says `given costs > 0`
            units = [system[:3]] if "given costs > 0" in said else []
            units += [[system[3 + i]] for i in named]
            # the named set contradicts itself, and needs every member: irreducible
            assert not _feasible([row for unit in units for row in unit], 3), text
            for left_out in range(len(units)):
                rest = units[:left_out] + units[left_out + 1 :]
                assert _feasible([row for unit in rest for row in unit], 3), text
    assert seen[True] >= 10 and seen[False] >= 10  # both kinds were exercised


def test_the_json_of_a_consistent_file_has_no_warnings_key(tmp_path: Path) -> None:
    path = tmp_path / "ok.cost"
    path.write_text("primitive x\nprogram P { stores x }\nclaim q: c(P) > 0\n")
    result = check_source(path.read_text(), str(path))
    assert "warnings" not in json.loads(json.dumps(file_json(result)))


def test_ranges_under_a_closed_contradiction() -> None:
    """`Q beats Q on t` compares two numbers: false, not an internal error of the ranges
    (a fuzzed input found `cannot determine truth value of Relational: 100 < 100`)."""
    text = (
        "primitive a, b\nprogram Q { c = c(a); t = 100 }\nprogram R { stores a; runs b }\n"
        "assume h0: Q beats Q on t\nranges Q, R\n"
    )
    result = check_source(text, "r.cost")
    (ranges,) = result.ranges
    assert ranges.reason is not None and "assumptions are unsatisfiable" in ranges.reason
    assert ranges.status == "exact"
    assert "assumption h0 cannot hold" in result.warnings[0].message


def test_a_failure_inside_the_question_is_no_warning_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: Decider, problem: object) -> object:
        raise TypeError("cannot determine truth value of Relational")

    monkeypatch.setattr(Decider, "decide", broken)
    model = load_model(CONTRADICTION, "arg.cost")
    (view,) = derive_views(model)
    with Decider() as decider:
        assert contradiction(view, hypotheses(view), 10.0, decider) is None
