"""The logic package's contract beyond single verdicts: a decision's z3 context is released
when it returns, verdicts do not depend on the order claims are decided in, and every
`uses` list is minimal (dropping any member loses the proof).
"""

from __future__ import annotations

import weakref
from pathlib import Path

import pytest
import sympy
import z3

import calculus.logic
from calculus.check import hypotheses
from calculus.costs import G, derive_costs
from calculus.logic import Problem, Verdict, decide
from calculus.logic.exact import confirm
from calculus.model import build_model
from calculus.syntax import parse

PROOFS = Path(__file__).parent.parent / "proofs"
FILES = ["speed_prior.cost", "speed_prior_objections.cost", "speed_prior_nonlinear.cost"]


def problems(name: str) -> list[tuple[str, Problem]]:
    """Every claim of a proof file as the problem `cost check` decides."""
    path = PROOFS / name
    model = build_model(parse(path.read_text(), str(path)))
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
    claims = problems(name)
    forward = {claim: decide(problem) for claim, problem in claims}
    backward = {claim: decide(problem) for claim, problem in reversed(claims)}
    assert forward == backward


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
