"""Deciding claims: proved (with a minimal set of the assumptions used), refuted (with an
exactly re-checked counterexample) or unknown (with the reason).

`decide` is the front: it gives each decision its own z3 context and dispatches on the
exchange family, to `linear` (g a rate) or `families` (monotone, subadditive,
superadditive). Below the front, and importing only downwards:

* `records`  the `Problem` and `Verdict` records;
* `solver`   the one small z3 interface (encoding, checks, cores, rational models);
* `exact`    exact evaluation and the re-check every counterexample passes;
* `linear`, `families`  the deciders.
"""

from __future__ import annotations

import z3

from calculus.logic.exact import evaluate, exists_g, hypotheses_hold, relevant_atoms
from calculus.logic.families import decide_family
from calculus.logic.linear import decide_linear
from calculus.logic.records import POSITIVITY, Hypothesis, Problem, Status, Verdict
from calculus.logic.solver import Unsupported, new_context


def decide(problem: Problem) -> Verdict:
    """Decide one claim; never raises for solver trouble (that is an `unknown`).

    The decision's z3 context is made here and dropped on return, so no model depends on
    what was decided before and memory does not grow with the number of claims.
    """
    context = new_context()
    try:
        if problem.family == "linear":
            return decide_linear(problem, context)
        return decide_family(problem, context)
    except Unsupported as error:
        return Verdict("unknown", reason=str(error))
    except z3.Z3Exception as error:
        return Verdict("unknown", reason=f"z3 error: {error}")


__all__ = [
    "POSITIVITY",
    "Hypothesis",
    "Problem",
    "Status",
    "Verdict",
    "decide",
    "evaluate",
    "exists_g",
    "hypotheses_hold",
    "relevant_atoms",
]
