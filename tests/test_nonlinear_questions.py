"""Non-linear questions (products of atoms, g·c(x)) get the answer they get alone, whatever
a file's shared solver was asked before (`LinearSolver._nonlinear_check`).

z3's incremental solver may give up after seconds on a non-linear question that a solver
asked nothing else answers in milliseconds, and which questions it gives up on depends on
the ones before. Explanations (DESIGN §9.4) ask many such questions; their conditions and
repairs must not depend on the other claims of the file."""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
import sympy
import z3
from test_explain_conditions import FILE, _claims_text

from calculus import explain
from calculus.check import check_source, load_model
from calculus.costs import LogicFormula, Negation, derive_costs
from calculus.logic import Decider, evaluate, exists_g, linear
from calculus.logic.records import Problem
from calculus.logic.solver import STEPS_PER_SECOND, Outcome, fresh_check, new_context


def _without_assumptions(claims: int) -> str:
    # With no assumption beyond positivity, the signs of the explanations' polynomials are
    # not fixed, and their questions are non-linear (products up to degree 3).
    return _claims_text(random.Random(29), claims).replace("assume cheap: c(d) < c(b)\n", "")


def _questions(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[LogicFormula, Sequence[Any], bool, bool, float]]:
    """Every question the explanations of `text` asked, with the answer each got."""
    asked: list[tuple[LogicFormula, Sequence[Any], bool, bool, float]] = []
    proved = explain._Prover.proved

    def recorded(self: explain._Prover, f: LogicFormula, some_g: bool = False) -> bool:
        answer = proved(self, f, some_g)
        asked.append((f, tuple(self.found), some_g, answer, self.timeout))
        return answer

    monkeypatch.setattr(explain._Prover, "proved", recorded)
    explain._KNOWN.clear()
    explain._CONDITIONS.clear()
    result = check_source(text, timeout=10)
    assert not result.diagnostics, result.diagnostics
    assert sum(c.holds_when is not None for c in result.claims) >= 3
    return asked


def test_every_question_gets_the_answer_it_gets_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each question of a file's explanations, asked again in a decider of its own (a new
    context, nothing asked before): the same answer. Before, the shared solver gave up on
    questions answered at once alone (2 of 84 here, after 124 s of time-outs)."""
    asked = _questions(_without_assumptions(6), monkeypatch)
    monkeypatch.undo()
    nonlinear = 0
    for f, found, some_g, answer, timeout in asked:
        with Decider() as alone:
            assert alone.proves(Problem(f, list(found), some_g, "linear", timeout)) == answer, f
        nonlinear += any("*" in str(a.lhs) for a in explain.atomics(f))
    assert nonlinear >= 20


def test_conditions_of_non_linear_questions_do_not_depend_on_the_order() -> None:
    """The explanations of a file whose questions are non-linear, forward, reversed and
    shuffled: the same conditions and repairs (before, the forward run took 515 s of
    time-outs, and checked again the file gave different conditions; now about 1 s)."""
    text = _without_assumptions(24)
    head, _, claims = text.partition("claim k0")
    lines = ("claim k0" + claims).splitlines()
    shuffled = lines[:]
    random.Random(3).shuffle(shuffled)
    seen = []
    for order in (lines, lines[::-1], shuffled):
        explain._KNOWN.clear()
        explain._CONDITIONS.clear()
        result = check_source(head + "\n".join(order) + "\n", timeout=10)
        seen.append({c.name: (c.verdict.status, c.holds_when, c.repairs) for c in result.claims})
    assert sum(condition is not None for _, condition, _ in seen[0].values()) >= 15
    assert seen[1] == seen[0]
    assert seen[2] == seen[0]


def test_a_question_of_its_own_is_decided_by_the_complete_procedure() -> None:
    """x·y > 1 and x < 1 imply y > 1 for positive x, y: unsat negated, proved in a solver of
    its own; with x = 1/2 and y >= 3 satisfiable, and the model's values exact."""
    context = new_context()
    x, y = z3.Reals("x y", ctx=context)
    facts = [x > 0, y > 0, x * y > 1, x < 1]
    outcome, values = fresh_check([*facts, y <= 1], 10, variables=[x, y])
    assert outcome.unsat and values is None
    half = z3.RealVal("1/2", context)
    outcome, values = fresh_check([*facts, y >= 3, x == half], 10, variables=[x, y])
    assert outcome.sat and values is not None
    assert values[0] == Fraction(1, 2) and values[1] is not None and values[1] >= 3


def test_the_units_a_question_takes_do_not_depend_on_the_context_it_came_from() -> None:
    """The same question, made in a context that has seen other terms or none: the same
    resource units to its answer (it is asked in a context of its own)."""

    def units(junk: int) -> int:
        context = new_context()
        made = [
            z3.Real(f"junk{i}", context) * z3.Real(f"other{i}", context) > i for i in range(junk)
        ]
        assert len(made) == junk
        x, y, z = z3.Reals("x y z", ctx=context)
        facts = [x > 0, y > 0, z > 0, x * y * z > 2, x * x + y * y + z * z < 5, x * y < z]
        # The budget at which it is first answered, by bisection over a range.
        low, high = 1, 2_000_000
        while low < high:
            middle = (low + high) // 2
            if fresh_check(facts, 60, steps=middle)[0].result == "unknown":
                low = middle + 1
            else:
                high = middle
        return low

    assert units(0) == units(37) == units(500)


def test_a_question_past_its_budget_is_unknown_not_answered() -> None:
    """The budget is z3's resource units: a question that needs more comes back unknown
    (the caller does not count it as proved), whatever the wall clock says."""
    context = new_context()
    xs = z3.Reals(" ".join(f"x{i}" for i in range(8)), ctx=context)
    facts = [v > 0 for v in xs]
    product = xs[0]
    for v in xs[1:]:
        product = product * v
    facts += [product > 7, sum(v * v for v in xs) < 9, xs[0] * xs[1] - xs[2] * xs[3] > 1]
    outcome, _ = fresh_check(facts, 60, steps=1000)
    assert outcome.result == "unknown"
    outcome, _ = fresh_check(facts, 60, steps=STEPS_PER_SECOND * 60)
    assert outcome.result != "unknown"


def test_conditions_of_non_linear_questions_agree_with_exact_evaluation() -> None:
    """Each condition of the file above, pasted back as an assumption, is true at a random
    rational point exactly when the claim holds there for every g > 0 (decided by
    enumerating the roots of its comparisons in g, exact arithmetic, no solver). Most of
    them are polynomials of degree 3, answered by the solvers of their own."""
    text = _without_assumptions(24)
    explain._KNOWN.clear()
    explain._CONDITIONS.clear()
    result = check_source(text, timeout=10)
    rng = random.Random(8)
    checked = 0
    seen = {True: 0, False: 0}
    for claim in result.claims:
        if claim.holds_when is None or claim.holds_when == explain.NEVER:
            continue
        statement = text.split(f"claim {claim.name}: ", 1)[1].split("\n", 1)[0]
        model = load_model(
            text.split("claim k0", 1)[0]
            + f"claim it: {statement}\nassume shown: {claim.holds_when}\n"
        )
        costs = derive_costs(model)
        formula = costs.formula(model.claims[0].node.formula)
        shown = costs.formula(model.assumptions[0].node.formula)
        symbols = sorted(costs.bounds, key=str)
        for _ in range(150):
            point = {s: sympy.Rational(rng.randint(1, 12), rng.randint(1, 4)) for s in symbols}
            every_g = not exists_g(Negation(formula), point)
            assert evaluate(shown, point) == every_g, (claim.name, point)
            seen[every_g] += 1
        checked += 1
    assert checked >= 15
    assert min(seen.values()) > 300, seen


# The model of `test_explain_conditions.FILE`, with other assumptions.
VERDICTS = (
    FILE.replace("assume cheap: c(d) < c(b)\n", "assume big: c(a) > 2\nassume small: t(b) < 1\n")
    + """claim k11: g * t(Q) + t(a) * c(d) * t(Q) + t(a) * t(d) * t(Q) + t(b) * t(d) > 9 or 8 + t(d) + c(a) >= t(d) + c(d) * c(b) * t(Q) + c(P) * c(b)
claim k14: g * t(b) * t(Q) * t(a) + t(Q) * c(a) + c(a) * c(d) + t(a) * t(Q) * t(b) + t(b) * t(d) * c(b) > t(a) * c(d) * t(b) + c(P) or 1 < t(b) * t(d) * c(P) + t(d) * t(b) * c(d) + t(d) * c(P)
claim k32: g * c(d) * t(b) * t(d) + t(d) * c(P) * t(Q) + t(a) * t(Q) * t(d) > c(b) * t(Q) or t(d) >= c(a) * t(b) + t(d) * c(d) + t(a) * t(d)
claim square: c(a) * c(a) * c(b) > 4 * c(b)
claim am_gm: (c(a) + t(b)) * (c(a) + t(b)) * c(d) >= 4 * c(a) * t(b) * c(d)
claim shrinks: g * t(b) * t(b) * c(d) < g * c(d)
"""
)


def _verdicts() -> dict[str, tuple[str, Any, Any]]:
    explain._KNOWN.clear()
    explain._CONDITIONS.clear()
    result = check_source(VERDICTS, timeout=10)
    assert not result.diagnostics, result.diagnostics
    return {
        c.name: (c.verdict.status, c.verdict.counterexample, c.verdict.uses) for c in result.claims
    }


def test_verdicts_the_shared_solver_gives_up_on_are_the_same_decided_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Non-linear claims whose check the file's solver gives up on (as it did, depending on
    the claims before, on these three refuted ones) get the verdict, counterexample and
    hypotheses used they get when it answers: decided by questions asked alone."""
    answered = _verdicts()
    assert {name: v[0] for name, v in answered.items()} == {
        "k11": "refuted",
        "k14": "refuted",
        "k32": "refuted",
        "square": "proved",
        "am_gm": "proved",
        "shrinks": "proved",
    }
    assert set(answered["square"][2]) == {"big", "positivity"}
    assert set(answered["shrinks"][2]) == {"small", "positivity"}
    checks = linear.check

    def gives_up(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> Outcome:
        # The file's solver, asked about a claim (in a scope, under the hypotheses'
        # indicators); questions asked alone have neither.
        if solver.num_scopes() > 0 and assumptions:
            return Outcome("unknown", "the solver timed out")
        return checks(solver, assumptions)

    monkeypatch.setattr(linear, "check", gives_up)
    assert _verdicts() == answered
