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
