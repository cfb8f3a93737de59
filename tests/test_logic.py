"""The logic package's contract beyond single verdicts: a decision's z3 context is released
when it returns, verdicts do not depend on the order claims are decided in nor on sharing a
solver, counterexample values and cores are chosen by the problem's meaning alone, and
every `uses` list is minimal (dropping any member loses the proof).
"""

from __future__ import annotations

import weakref
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
import z3

import calculus.logic
from calculus.check import hypotheses, load_model
from calculus.costs import G, derive_costs
from calculus.logic import Decider, Problem, Verdict, decide
from calculus.logic.exact import confirm
from calculus.logic.solver import Pinner, minimal_core

PROOFS = Path(__file__).parent.parent / "proofs"
FILES = ["speed_prior.cost", "speed_prior_objections.cost", "speed_prior_nonlinear.cost"]


def problems(name: str) -> list[tuple[str, Problem]]:
    """Every claim of a proof file as the problem `cost check` decides."""
    path = PROOFS / name
    model = load_model(path.read_text(), str(path))  # imports resolved beside the file
    costs = derive_costs(model)
    for assumption in model.assumptions:
        costs.formula(assumption.node.formula)
    formulas = [(c.name, c.node, costs.formula(c.node.formula)) for c in model.claims]
    found = hypotheses(costs)
    return [
        (claim_name, Problem(formula, found, node.for_some_g, costs.family, 10.0))
        for claim_name, node, formula in formulas
    ]


def test_each_decision_releases_its_context(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[weakref.ref[z3.Context]] = []

    def tracked() -> z3.Context:
        context = z3.Context()
        made.append(weakref.ref(context))
        return context

    monkeypatch.setattr(calculus.logic, "new_context", tracked)
    statuses = set()
    for name in FILES:
        for _, problem in problems(name):
            statuses.add(decide(problem).status)
            # Released on return, without waiting for the cycle collector.
            assert all(ref() is None for ref in made)
    assert len(made) > 20
    assert statuses == {"proved", "refuted"}


@pytest.mark.parametrize("name", FILES)
def test_verdicts_do_not_depend_on_order(name: str) -> None:
    # Alone (a context each), and in one shared solver forwards and backwards.
    claims = problems(name)
    alone = {claim: decide(problem) for claim, problem in claims}
    with Decider() as decider:
        forward = {claim: decider.decide(problem) for claim, problem in claims}
    with Decider() as decider:
        backward = {claim: decider.decide(problem) for claim, problem in reversed(claims)}
    assert forward == alone
    assert backward == alone


def test_pinned_values_are_the_first_that_fit() -> None:
    # x > 2, y > x, x + y < 10. Neither can be 1; then x takes the first candidate that
    # fits (2 fails, 3 fits), and y the first above 3 below 7: 4. In the other order y
    # takes 3 (x in (2, 3) remains) and x then 5/2. Whatever z3 saw before.
    for warm_up in (0, 5):
        context = z3.Context()
        solver = z3.Solver(ctx=context)
        x, y = z3.Real("x", context), z3.Real("y", context)
        for k in range(warm_up):
            solver.push()
            solver.add(x * y > k, x < y + k)
            solver.check()
            solver.pop()
        solver.add(x > 2, y > x, x + y < 10)
        assert solver.check() == z3.sat
        pinner = Pinner(solver)
        assert pinner.pin([x, y]) == [3, 4]
        assert solver.check() == z3.sat
        assert pinner.pin([y, x]) == [3, Fraction(5, 2)]
        # Between two candidates (7/3 < x < 12/5) nothing is pinned: the caller falls back.
        solver.add(3 * x > 7, 5 * x < 12)
        assert solver.check() == z3.sat
        assert pinner.pin([x, y]) is None


def test_minimal_core_keeps_the_earlier_of_two_sufficient_hypotheses() -> None:
    context = z3.Context()
    solver = z3.Solver(ctx=context)
    x = z3.Real("x", context)
    h1, h2, h3 = (z3.Bool(name, context) for name in ("h1", "h2", "h3"))
    solver.add(z3.Implies(h1, x > 1), z3.Implies(h2, x > 2), z3.Implies(h3, x < 5), x <= 0)
    assert solver.check(h1, h2, h3) == z3.unsat
    core = minimal_core(solver, [h1, h2, h3], solver.unsat_core())
    assert [str(c) for c in core] == ["h1"]
    # Whatever core z3 offered first: the answer is plain deletion's.
    assert [str(c) for c in minimal_core(solver, [h1, h2, h3], [h2])] == ["h1"]


def _without(problem: Problem, name: str) -> Problem:
    kept = [h for h in problem.hypotheses if h.name != name]
    return Problem(problem.claim, kept, problem.for_some_g, problem.family, problem.timeout)


@pytest.mark.parametrize("name", FILES)
def test_uses_are_minimal_and_counterexamples_exact(name: str) -> None:
    proved = refuted = 0
    for claim, problem in problems(name):
        verdict: Verdict = decide(problem)
        if verdict.status == "proved":
            proved += 1
            # Only the used hypotheses: still proved. Dropping any one of them: not proved.
            used = [h for h in problem.hypotheses if h.name in verdict.uses]
            only = Problem(problem.claim, used, problem.for_some_g, problem.family)
            assert decide(only).status == "proved", claim
            for dropped in verdict.uses:
                assert decide(_without(problem, dropped)).status != "proved", (claim, dropped)
        if verdict.status == "refuted" and problem.family == "linear":
            refuted += 1
            by_name = {s.name: s for h in problem.hypotheses for s, _ in h.bounds}
            by_name["g"] = G
            values = {
                by_name[atom]: sympy.Rational(v.numerator, v.denominator)
                for atom, v in verdict.assignment
            }
            assert confirm(problem, values), claim
    assert proved > 0
    assert refuted > 0 or name != "speed_prior.cost"


@pytest.mark.parametrize("name", FILES)
def test_proves_is_the_status_decide_gives(name: str) -> None:
    # `proves` skips cores and counterexamples, and answers from points where the
    # hypotheses were re-checked to hold; its answer is still decide's, in any order.
    claims = problems(name)
    expected = {claim: decide(problem).status == "proved" for claim, problem in claims}
    assert set(expected.values()) == {True, False}
    for order in (claims, list(reversed(claims))):
        with Decider() as decider:
            assert {claim: decider.proves(problem) for claim, problem in order} == expected
    assert {claim: calculus.logic.proves(problem) for claim, problem in claims} == expected


def test_proves_answers_from_a_known_point_without_the_solver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from calculus.costs import Atomic
    from calculus.logic import Hypothesis, linear

    a, b = sympy.Symbol("c(a)"), sympy.Symbol("c(b)")
    bounds = Hypothesis("positivity", bounds=((a, "positive"), (b, "positive")))
    two, three, four = (sympy.Integer(k) for k in (2, 3, 4))
    assumption = Hypothesis("a_small", Atomic("<", a, three))

    def problem(claim: Atomic) -> Problem:
        return Problem(claim, [assumption, bounds])

    with Decider() as decider:
        # a < 3 does not give b > a: the solver's model is kept as a point.
        assert not decider.proves(problem(Atomic("<", a, b)))
        asked: list[object] = []
        real_check = linear.check
        monkeypatch.setattr(linear, "check", lambda *a: asked.append(a) or real_check(*a))
        # a + b < b is false wherever b > 0: the kept point shows it, no solver asked.
        assert not decider.proves(problem(Atomic("<", a + b, b)))
        assert asked == []
        # Proved ones still go to the solver: a < 3 gives a < 4 (and not 2·a < 3).
        assert decider.proves(problem(Atomic("<", a, four)))
        assert not decider.proves(problem(Atomic("<", two * a, three)))
        assert len(asked) >= 1


@pytest.mark.parametrize("name", FILES)
def test_claim_difference_is_the_expanded_difference(name: str) -> None:
    # Built from the comparison's polynomial terms, it is the very expression (equal trees,
    # the same text) that `sympy.expand(rhs - lhs)` gives; None for a non-comparison.
    from calculus.check import claim_difference
    from calculus.costs import Atomic

    a, b, x = sympy.Symbol("c(a)"), sympy.Symbol("t(b)"), sympy.Symbol("x")
    extra = [
        Atomic("<", G * (a + 3 * b) + sympy.Rational(1, 3) * a, 2 * G * b + a * a),
        Atomic("<=", (a + b) ** 2, a * b - sympy.Rational(5, 7)),
        Atomic("=", a + b, b + a),
        Atomic(">", a / (b + 1), x),  # a division: not a polynomial, expanded by sympy
    ]
    seen = 0
    for formula in [p.claim for _, p in problems(name)] + extra:
        found = claim_difference(formula)
        if not isinstance(formula, Atomic):
            assert found is None
            continue
        expected = sympy.expand(formula.rhs - formula.lhs)
        assert found == expected and str(found) == str(expected), formula
        seen += 1
    assert seen >= len(extra)


def test_integer_signs_at_points_agree_with_fractions() -> None:
    # `truth_at` on a frame (integer arithmetic over one common denominator, floats first
    # where the sign is clear) against plain Fraction evaluation of the same difference, at
    # points whose values are tiny, huge, negative, zero and of mixed denominators.
    import random

    from calculus.costs import Atomic
    from calculus.logic.exact import Frame, Point, compiled, truth_at

    a, b, c = (sympy.Symbol(s) for s in ("a", "b", "c"))
    frame = Frame([a, b, c])
    rng = random.Random(7)
    values = [
        Fraction(0),
        Fraction(1),
        Fraction(-2, 3),
        Fraction(1, 10**30),
        Fraction(10**30, 7),
        Fraction(5, 2),
        Fraction(-7, 1000),
    ]
    sides = [
        (a * b - 3 * c, sympy.Rational(1, 7) * a**2),
        (a + b + c, sympy.Integer(0)),
        (sympy.Rational(2, 3) * a * b * c, b - sympy.Rational(5, 11)),
        (a**3, a**3),
    ]
    for op in ("<", "<=", ">", ">=", "=", "!="):
        for left, right in sides:
            indexed = frame.indexed(compiled(Atomic(op, left, right)))  # type: ignore[arg-type]
            difference = sympy.expand(left - right)
            for _ in range(40):
                point = [rng.choice(values) for _ in range(3)]
                exact = difference.xreplace(
                    {
                        s: sympy.Rational(v.numerator, v.denominator)
                        for s, v in zip((a, b, c), point, strict=True)
                    }
                )
                sign = (int(exact.p) > 0) - (int(exact.p) < 0)
                expected = {"<": sign < 0, "<=": sign <= 0, ">": sign > 0, ">=": sign >= 0}.get(
                    op, sign == 0 if op == "=" else sign != 0
                )
                assert truth_at(indexed, Point(point)) == expected, (op, left, right, point)
                assert truth_at(indexed, Point(point), rough=False) == expected
