"""Deciding claims: proved (with a minimal set of the assumptions used), refuted (with an
exactly re-checked counterexample) or unknown (with the reason).

`decide` (one claim), `proves` (only whether it is proved) and `Decider` (many) are the
front: they own the z3 contexts and dispatch on the exchange family, to `linear` (g a rate) or `families` (monotone,
subadditive, superadditive). Below the front, and importing only downwards:

* `records`  the `Problem` and `Verdict` records;
* `solver`   the one small z3 interface (encoding, checks, cores, rational models);
* `exact`    exact evaluation and the re-check every counterexample passes;
* `linear`, `families`  the deciders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sympy
import z3

from calculus.costs import Atomic, LogicFormula, atomics
from calculus.logic.exact import evaluate, exists_g, hypotheses_hold, relevant_atoms
from calculus.logic.extended import decide_extended, needs_extended
from calculus.logic.linear import LinearSolver, decide_linear
from calculus.logic.records import POSITIVITY, Hypothesis, Problem, Status, Verdict
from calculus.logic.solver import Unsupported, new_context


def decide_family(problem: Problem, context: z3.Context) -> Verdict:
    """`families.decide_family`, imported when a non-linear family is first met."""
    from calculus.logic.families import decide_family as decide

    return decide(problem, context)


def decide_quantified(
    problem: Problem,
    context: z3.Context,
    plain: Callable[[Problem, z3.Context], Verdict],
) -> Verdict:
    """`quantifiers.decide_quantified`, imported when a quantified claim is first met."""
    from calculus.logic.quantifiers import decide_quantified as decide

    return decide(problem, context, plain)


# A claim true of everything, without atoms: what `needs_extended` says of the hypotheses alone.
_TRIVIAL = Atomic("<", sympy.Integer(0), sympy.Integer(1))


_EXTENDED_SIDES: dict[sympy.Expr, bool] = {}


def _extended_side(side: sympy.Expr) -> bool:
    """`needs_extended` of a claim with this side alone (claims share their programs' costs)."""
    found = _EXTENDED_SIDES.get(side)
    if found is None:
        if len(_EXTENDED_SIDES) >= 20_000:
            _EXTENDED_SIDES.clear()
        found = needs_extended(Problem(Atomic("<", side, sympy.Integer(0)), ()))
        _EXTENDED_SIDES[side] = found
    return found


class Decider:
    """Decides many claims, such as those of one file, in one z3 context.

    Linear claims under the same hypotheses share one solver: the hypotheses are asserted
    once and each claim is decided in a push/pop scope. What is reported depends only on
    the problem (see `linear.LinearSolver`), so a verdict is the same decided here, alone,
    or after any other claims. Non-linear families, and the rare counterexample whose
    values fit none of the preferred numbers, are decided in a fresh context of their own.
    Use it as a context manager, or call `close`, to release the context.
    """

    def __init__(self) -> None:
        self._context: z3.Context | None = None
        self._linear: LinearSolver | None = None
        self.asked = 0  # questions answered (`decide` and `proves`)
        # `needs_extended` of the last hypotheses seen (with and without `for some g`).
        self._extended: tuple[tuple[Hypothesis, ...], dict[bool, bool]] = ((), {})
        # The claim's part of it, by the claim formula's identity (kept alive with it;
        # formulas are immutable, and one claim is asked about many times).
        self._claims_extended: dict[int, tuple[LogicFormula, bool]] = {}

    def _needs_extended(self, problem: Problem) -> bool:
        """`needs_extended(problem)`, the hypotheses' part worked out once per hypotheses."""
        hypotheses = tuple(problem.hypotheses)
        if self._extended[0] != hypotheses:
            self._extended = (hypotheses, {})
        known = self._extended[1]
        some_g = problem.for_some_g
        if some_g not in known:
            known[some_g] = needs_extended(Problem(_TRIVIAL, hypotheses, some_g))
        if known[some_g]:
            return True
        claim = problem.claim
        found = self._claims_extended.get(id(claim))
        if found is None or found[0] is not claim:
            found = (
                claim,
                any(_extended_side(side) for a in atomics(claim) for side in (a.lhs, a.rhs)),
            )
            if len(self._claims_extended) >= 20_000:
                self._claims_extended.clear()
            self._claims_extended[id(claim)] = found
        return found[1]

    def decide(self, problem: Problem) -> Verdict:
        """Decide one claim; never raises for solver trouble (that is an `unknown`)."""
        self.asked += 1
        try:
            if problem.for_some_costs or problem.for_some_parameters or problem.eventually:
                return decide_quantified(problem, new_context(), _decide_plain)
            if problem.family != "linear":
                return decide_family(problem, new_context())
            if self._needs_extended(problem):
                return decide_extended(problem, new_context())
            verdict = self._linear_solver(problem).decide(problem)
            if verdict is None:
                return decide_linear(problem, new_context())
            return verdict
        except Unsupported as error:
            return Verdict("unknown", reason=str(error))
        except z3.Z3Exception as error:
            return Verdict("unknown", reason=f"z3 error: {error}")

    def proves(self, problem: Problem) -> bool:
        """Whether `problem` is proved, the status `decide` gives, with less work than a
        verdict: no minimal core, no counterexample (see `LinearSolver.proves`)."""
        self.asked += 1
        try:
            if (
                problem.family == "linear"
                and not (
                    problem.for_some_costs or problem.for_some_parameters or problem.eventually
                )
                and not self._needs_extended(problem)
            ):
                return self._linear_solver(problem).proves(problem)
        except Unsupported:
            return False
        except z3.Z3Exception:
            return False
        return self.decide(problem).status == "proved"

    def _linear_solver(self, problem: Problem) -> LinearSolver:
        hypotheses = tuple(problem.hypotheses)
        if self._linear is None or self._linear.hypotheses != hypotheses:
            if self._context is None:
                self._context = new_context()
            self._linear = None
            self._linear = LinearSolver(self._context, hypotheses)
        return self._linear

    def close(self) -> None:
        """Release the z3 context (it goes with the last solver and term made in it)."""
        self._linear = None
        self._context = None

    def __enter__(self) -> Decider:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


def _decide_plain(problem: Problem, context: z3.Context) -> Verdict:
    """A problem without version-2 quantifiers, in `context`."""
    if problem.family != "linear":
        return decide_family(problem, context)
    if needs_extended(problem):
        return decide_extended(problem, context)
    return decide_linear(problem, context)


def decide(problem: Problem) -> Verdict:
    """Decide one claim in a context of its own, released on return."""
    with Decider() as decider:
        return decider.decide(problem)


# Questions asked outside a file's own decider (`proves`, `shared_decider`) share one
# decider per thread: what it answers depends only on the problem, and its context is
# renewed after this many questions so that it stays small.
SHARED_QUESTIONS = 2000
_shared = threading.local()


def _thread_decider() -> Decider:
    decider: Decider | None = getattr(_shared, "decider", None)
    if decider is None or decider.asked >= SHARED_QUESTIONS:
        decider = Decider()
        _shared.decider = decider
    return decider


@contextmanager
def shared_decider() -> Iterator[Decider]:
    """The thread's shared decider (not closed on leaving): saves a context and the
    hypotheses' encoding per use where many small questions are asked."""
    yield _thread_decider()


def proves(problem: Problem) -> bool:
    """Whether `problem` is proved (`decide(problem).status == "proved"`), faster: in a
    solver shared with the thread's earlier questions, without core or counterexample."""
    return _thread_decider().proves(problem)


__all__ = [
    "POSITIVITY",
    "Decider",
    "Hypothesis",
    "Problem",
    "Status",
    "Verdict",
    "decide",
    "evaluate",
    "exists_g",
    "hypotheses_hold",
    "proves",
    "shared_decider",
    "relevant_atoms",
]
