"""The linear exchange family: g is a rate, g > 0, and a program's score is g·c + t.

A claim is valid when it holds for every assignment of the cost atoms that satisfies the
assumptions and the default bounds, and for every g > 0. We ask z3 for a model of
`assumptions ∧ bounds ∧ g > 0 ∧ ¬claim`:

* unsat  -> proved; the unsat core over one indicator per named assumption (and one for
  all default bounds, "positivity") is shrunk by deletion until every member is needed;
* sat    -> the atoms are pinned to small rationals where the problem stays satisfiable,
  re-evaluated exactly (`exact.confirm_fractions`: assumptions hold, claim fails) and only
  then reported as refuted;
* otherwise unknown, with z3's reason.

`for some g` claims are ∀ atoms ∃ g > 0. Every comparison is affine in g, so ∃ g is
eliminated exactly by virtual substitution (Loos–Weispfenning): the set of g satisfying
the formula is a union of intervals whose ends are 0 or roots -b/a of the comparisons, so
it is non-empty iff the formula holds at some root or just right of 0 or of some root.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from fractions import Fraction
from typing import Any

import sympy
import z3

from calculus.costs import Atomic, G, LogicFormula, Negation, atomics
from calculus.logic.exact import (
    COMPARISONS,
    Compiled,
    Frame,
    Indexed,
    Point,
    compiled,
    confirm_fractions,
    conjuncts,
    holds_at,
    relevant_atoms,
    rough_at,
    ruled_out,
    truth_at,
)
from calculus.logic.records import Hypothesis, Problem, Verdict
from calculus.logic.solver import (
    Encoder,
    Infeasible,
    Outcome,
    Pinner,
    Unsupported,
    assert_formula,
    check,
    compare,
    fresh_check,
    junction,
    minimal_core,
    negation,
    new_solver,
    rational_model,
    rational_values,
    real,
    unfinished_checks,
)

# How long a non-linear question may take in a file's shared solver before it is asked in a
# solver of its own (see `LinearSolver._nonlinear_check`).
SHARED_NONLINEAR_SECONDS = 0.05

# Points known to satisfy a solver's hypotheses, kept to answer `proves` without z3.
KEPT_POINTS = 16
# Answers (of `proves`) and verdicts (of `decide`) kept per solver, by the claim's meaning.
KEPT_ANSWERS = 20_000

# ---- virtual substitution for `for some g` ------------------------------------------------


def _affine_in_g(a: Atomic) -> tuple[sympy.Expr, sympy.Expr]:
    """(slope, offset) with lhs − rhs = slope·g + offset, or `Unsupported`."""
    slope_terms: list[sympy.Expr] = []
    offset_terms: list[sympy.Expr] = []
    for term in sympy.Add.make_args(sympy.expand(a.lhs - a.rhs)):
        if G not in term.free_symbols:
            offset_terms.append(term)
            continue
        coefficient = term / G
        if G in coefficient.free_symbols:
            raise Unsupported("`for some g` needs every comparison to be affine in g")
        slope_terms.append(coefficient)
    return sympy.Add(*slope_terms), sympy.Add(*offset_terms)


def _sign_test(op: str, value: z3.ArithRef, slope: z3.ArithRef, epsilon: bool) -> z3.BoolRef:
    """`op` applied to a(e)+b whose sign is that of `value`; with epsilon, at e+ε."""
    zero_value = real(0, value.ctx)
    if not epsilon:
        return compare(op, value, zero_value)
    zero = value == 0
    if op in ("<", "<="):
        return z3.Or(value < 0, z3.And(zero, compare(op, slope, zero_value)))
    if op in (">", ">="):
        return z3.Or(value > 0, z3.And(zero, compare(op, slope, zero_value)))
    if op == "=":
        return z3.And(zero, slope == 0)
    return z3.Not(z3.And(zero, slope == 0))


def _substitute(node: LogicFormula, g_sign: Callable[[Atomic], z3.BoolRef]) -> z3.BoolRef:
    """The formula with every comparison replaced by `g_sign` of it."""
    if isinstance(node, Atomic):
        return g_sign(node)
    if isinstance(node, Negation):
        return z3.Not(_substitute(node.operand, g_sign))
    return junction(node.op, _substitute(node.left, g_sign), _substitute(node.right, g_sign))


def eliminate_exists_g(f: LogicFormula, encoder: Encoder) -> z3.BoolRef:
    """A quantifier-free z3 formula over the atoms equivalent to ∃ g > 0. f."""
    leaves = atomics(f)
    affine = {id(a): _affine_in_g(a) for a in leaves}
    encoded = {
        id(a): (encoder.expr(s), encoder.expr(o))
        for a, (s, o) in ((a, affine[id(a)]) for a in leaves)
    }

    def substitute(g_sign: Callable[[Atomic], z3.BoolRef]) -> z3.BoolRef:
        return _substitute(f, g_sign)

    cases: list[z3.BoolRef] = []
    # Just right of g = 0: the sign of b, ties broken by the sign of a.
    cases.append(substitute(lambda a: _sign_test(a.op, encoded[id(a)][1], encoded[id(a)][0], True)))
    for root in leaves:
        slope_r, offset_r = encoded[id(root)]
        if affine[id(root)][0] == 0:
            continue

        # At e = -b_r/a_r the sign of a_i·e + b_i is the sign of a_r·(b_i·a_r − a_i·b_r).
        def value_at(
            a: Atomic, slope_r: z3.ArithRef = slope_r, offset_r: z3.ArithRef = offset_r
        ) -> z3.ArithRef:
            slope_i, offset_i = encoded[id(a)]
            return slope_r * (offset_i * slope_r - slope_i * offset_r)

        def test_at(a: Atomic, value_at: Callable[[Atomic], z3.ArithRef] = value_at) -> z3.BoolRef:
            return _sign_test(a.op, value_at(a), encoded[id(a)][0], False)

        def test_right_of(
            a: Atomic, value_at: Callable[[Atomic], z3.ArithRef] = value_at
        ) -> z3.BoolRef:
            return _sign_test(a.op, value_at(a), encoded[id(a)][0], True)

        sign_of_root = -offset_r * slope_r  # same sign as e
        at_root = substitute(test_at)
        right_of_root = substitute(test_right_of)
        cases.append(z3.And(slope_r != 0, sign_of_root > 0, at_root))
        cases.append(z3.And(slope_r != 0, sign_of_root >= 0, right_of_root))
    return z3.Or(cases)


# ---- deciding -----------------------------------------------------------------------------


def _text(symbol: sympy.Basic) -> str:
    """`str(symbol)`; a plain symbol's is its name, read without sympy's printer."""
    return symbol.name if type(symbol) is sympy.Symbol else str(symbol)  # type: ignore[attr-defined]


class LinearSolver:
    """The hypotheses of one file asserted once in a solver, each guarded by an indicator;
    every claim is then decided in its own push/pop scope.

    What it reports depends only on the problem: `uses` is what plain deletion over the
    hypotheses gives (`minimal_core`), and a counterexample's values are chosen by
    `Pinner.pin`, so neither depends on the claims decided before in the same solver.
    """

    def __init__(self, context: z3.Context, hypotheses: Sequence[Hypothesis]) -> None:
        self.context = context
        self.hypotheses = tuple(hypotheses)
        self.encoder = Encoder(context)
        self._milliseconds = 10_000
        positive_g = self.encoder.var(G) > 0
        # What the solver is given with every indicator assumed, for questions asked in a
        # solver of their own (`_nonlinear_check`).
        self._held = [positive_g]
        self.indicators: dict[str, z3.BoolRef] = {}
        for hypothesis in hypotheses:
            indicator = z3.Bool(f"⟨{hypothesis.name}⟩", context)
            self.indicators[hypothesis.name] = indicator
            parts = [self.encoder.bound(symbol, kind) for symbol, kind in hypothesis.bounds]
            if hypothesis.formula is not None:
                parts.append(self.encoder.formula(hypothesis.formula))
            body = z3.And(parts) if parts else z3.BoolVal(True, context)
            self._held.append(body)
        self._indicators = list(self.indicators.values())
        # Each indicator's name, by its term's id (a core's members are these very terms).
        self._names = {indicator.get_id(): name for name, indicator in self.indicators.items()}
        self.base_denominators = list(self.encoder.denominators)
        self.base_variables = dict(self.encoder.variables)
        self._base_terms = list(self.base_variables.values())
        self.solver, self.pinner = self._shared_solver()
        # Set when a check of the shared solver did not finish: it is then replaced, once
        # out of the claim's scope, by a new one with the same hypotheses; and how many
        # times that happened (`_renew_if_stale`).
        self._stale = False
        self.renewals = 0
        # The base variables at fixed positions: points are lists in this order.
        self.frame = Frame(list(self.base_variables))
        # Exact points, each giving every base variable a value (with the same in floats),
        # at which every hypothesis was re-checked to hold (most recently useful first).
        self.points: list[Point] = []
        # What `proves` and `decide` answered, by the claim compiled (its comparisons'
        # differences: claims equal after normalisation share them) and `for some g`.
        self.answers: dict[Hashable, bool] = {}
        self.verdicts: dict[Hashable, Verdict] = {}
        # The hypotheses compiled for exact evaluation on the frame: each one's bounds as
        # (position, strict) and its formula. None when one is outside polynomials or
        # divides: then points are checked by `holds_at`, and counterexamples are pinned
        # by the solver alone.
        self.compiled = self.frame.hypotheses(self.hypotheses)
        if self.base_denominators or self.encoder.applications:
            self.compiled = None
        self._g = self.frame.position[G]
        # The same, gathered for `admissible_at`: the positions bounded > 0 (g's among them)
        # and >= 0, and the formulas (all of them must hold, so their order does not matter).
        self._positive = [self._g]
        self._nonnegative: list[int] = []
        self._formulas: list[Indexed] = []
        for bounds, formula in self.compiled or ():
            for position, strict in bounds:
                (self._positive if strict else self._nonnegative).append(position)
            if formula is not None:
                self._formulas.append(formula)
        self._degree = max([_degree(f) for f in self._formulas], default=1)
        # What every point where the hypotheses hold satisfies, for `ruled_out`: their
        # conjuncts, and the positions bounded below by 0.
        self._conjuncts = [c for f in self._formulas for c in conjuncts(f)]
        self._signed = (frozenset(self._positive), frozenset(self._nonnegative))
        # Each claim formula met, by identity (kept alive with it, so the identity stays its
        # own): its meaning compiled and on the frame. Formulas are immutable, and claims
        # translated from one node are one object, met again by `proves` many times.
        self._meanings: dict[int, tuple[LogicFormula, Compiled | None, Indexed | None]] = {}

    def meaning(self, claim: LogicFormula) -> tuple[Compiled | None, Indexed | None]:
        """`exact.compiled(claim)` and the same on the frame (None where there is none)."""
        found = self._meanings.get(id(claim))
        if found is None or found[0] is not claim:
            meaning = compiled(claim)
            found = (claim, meaning, None if meaning is None else self.frame.indexed(meaning))
            if len(self._meanings) >= KEPT_ANSWERS:
                self._meanings.clear()
            self._meanings[id(claim)] = found
        return found[1], found[2]

    def admissible_at(self, point: Point) -> bool:
        """Exactly: g > 0 and every hypothesis holds at `point`, a point of the frame
        (`exact.holds_at`)."""
        if self.compiled is None:
            values = dict(zip(self.frame.symbols, point.values, strict=True))
            return holds_at(self.hypotheses, values)
        numerators = point.numerators
        if min([numerators[p] for p in self._positive]) <= 0:
            return False
        if self._nonnegative and min([numerators[p] for p in self._nonnegative]) < 0:
            return False
        return all(truth_at(formula, point) for formula in self._formulas)

    def _known_failure(self, claim: Indexed) -> list[Fraction] | None:
        """A known point (where the hypotheses hold exactly) at which `claim` is false."""
        for index, point in enumerate(self.points):
            if point.rough is not None and rough_at(claim, point.rough) is True:
                continue
            if not truth_at(claim, point, rough=False):
                self.points.insert(0, self.points.pop(index))
                return point.values
        return None

    def proves(self, problem: Problem) -> bool:
        """Whether `problem` (whose hypotheses are this solver's) is proved: the status
        `decide` gives, without the work a verdict needs beyond it (no core shrinking, no
        counterexample). A claim false at a point where the hypotheses were re-checked
        exactly to hold is not proved, and no solver is asked. A claim whose comparisons have
        the same differences as one answered before (`exact.compiled`: the same meaning)
        gets the same answer."""
        claim, indexed = self.meaning(problem.claim)
        # On the frame, each comparison's difference has integer coefficients (a positive
        # multiple of it: the same comparison), quicker to hash than its Fractions.
        key: Hashable | None = None
        if indexed is not None:
            key = (indexed, problem.for_some_g)
        elif claim is not None:
            key = (claim, problem.for_some_g)
        if key is not None:
            known = self.answers.get(key)
            if known is not None:
                return known
        if not problem.for_some_g and self.points and indexed is not None:
            if self._known_failure(indexed) is not None:
                self._answer(key, False)
                return False
        self._timeout(problem.timeout)
        self.encoder.variables = dict(self.base_variables)
        self.encoder.denominators = list(self.base_denominators)
        scopes = self.solver.num_scopes()
        unfinished = unfinished_checks(self.solver)
        try:
            self.solver.push()
            if problem.for_some_g:
                negated = negation(eliminate_exists_g(problem.claim, self.encoder))
            else:
                negated = negation(self.encoder.formula(problem.claim))
            assert_formula(self.solver, negated)
            degree = 0 if indexed is None else max(self._degree, _degree(indexed))
            if degree > 1:
                outcome, values = self._nonlinear_check(negated, degree, problem.timeout)
            else:
                outcome = check(self.solver, self._indicators)
                values = None
                if outcome.sat:
                    values = rational_values(self.solver.model(), self._base_terms)
            if values is not None and all(value is not None for value in values):
                self._keep(values)  # type: ignore[arg-type]
            if outcome.sat or outcome.unsat:
                self._answer(key, outcome.unsat)
            return outcome.unsat
        finally:
            self.solver.pop(self.solver.num_scopes() - scopes)
            self._renew_if_stale(unfinished)

    def _nonlinear_check(
        self, negated: z3.BoolRef, degree: int, timeout: float
    ) -> tuple[Outcome, list[Fraction | None] | None]:
        """The check of a non-linear question of `degree` (`negated` asserted in the
        current scope), with the values of the base variables where it is satisfiable.

        Whether the shared solver settles such a question in time depends on what it was
        asked before: one it gives up on after seconds may be answered in milliseconds by a
        solver asked nothing else. So a question of degree 2 (g·c(x), most of them) gets
        SHARED_NONLINEAR_SECONDS here, where it is usually answered in a millisecond;
        `sat` or `unsat` then is the answer (either is a fact about the question). One not
        settled, and every one of a higher degree (the shared solver took 0.2 s on
        average over those of a generated file, often past its time-out), is asked in a
        context and solver of its own (`fresh_check`), with a budget of z3's resource
        units, not of time. The answer so depends on the question alone, whatever the
        file's other claims, except where the solver of its own does not settle it either.
        It is given the shared solver's hypotheses (every indicator assumed) and the
        question, nothing more, so what it proves the shared solver would prove."""
        if degree > 2:
            return self._alone(negated, timeout)
        self._timeout(SHARED_NONLINEAR_SECONDS)
        try:
            outcome = check(self.solver, self._indicators)
        finally:
            self._timeout(timeout)
        if outcome.sat:
            return outcome, rational_values(self.solver.model(), self._base_terms)
        if outcome.unsat:
            return outcome, None
        return self._alone(negated, timeout)

    def _alone(
        self, negated: z3.BoolRef, timeout: float
    ) -> tuple[Outcome, list[Fraction | None] | None]:
        """`negated` with every hypothesis, asked alone (`fresh_check`): the outcome, and
        the base variables' values where it is satisfiable."""
        return fresh_check([*self._held, negated], timeout, variables=self._base_terms)

    def _decided_alone(
        self, problem: Problem, negated: z3.BoolRef, claim: Indexed
    ) -> Verdict | None:
        """The verdict of a non-linear claim the shared solver gave up on, from questions
        asked alone (`fresh_check`, as in `_nonlinear_check`): what the shared solver
        settles depends on what it was asked before, and a claim refuted or proved in one
        order of a file's claims came back unknown in another. None when these do not
        settle it either (or the point found is not rational): `Decider` then decides the
        claim in a context of its own, which depends on it alone.

        Refuted: a point of the solver of its own where the hypotheses hold exactly and the
        claim is false exactly, pinned as a known point is (`_counterexample`). Proved: the
        hypotheses used are found by plain deletion, last first, as `minimal_core` does,
        each trial a question alone, so a hypothesis stays unless the rest is shown to
        prove the claim without it."""
        timeout = problem.timeout
        outcome, values = self._alone(negated, timeout)
        if outcome.sat:
            if values is None or any(value is None for value in values):
                return None
            exact: list[Fraction] = values  # type: ignore[assignment]
            point = Point(exact)
            if not self.admissible_at(point) or truth_at(claim, point, rough=False):
                return None
            return self._counterexample(problem, True, claim, exact)
        if not outcome.unsat:
            return None
        positive_g, *bodies = self._held
        names = list(self.indicators)
        kept = list(range(len(names)))
        for candidate in reversed(range(len(names))):
            trial = [i for i in kept if i != candidate]
            question = [positive_g, *(bodies[i] for i in trial), negated]
            if fresh_check(question, timeout)[0].unsat:
                kept = trial
        return Verdict("proved", uses=tuple(names[i] for i in kept))

    def _renew_if_stale(self, unfinished: int) -> None:
        """Replace the shared solver by a new one with the same hypotheses (and a new
        pinner for it) when one of its checks did not finish since it had `unfinished`
        such checks (a question's, a verdict's, a pin's or a core's), once no scope is
        open.

        A check z3 stops at its time-out leaves the solver's arithmetic in whatever state
        it reached, and later checks start from it. Seen on a generated file: after a few
        non-linear questions ran out of their 50 ms, a later one of them spent minutes
        squaring rationals of ever more digits (in z3's non-linear extension), where the
        time-out is not looked at; asked of a new solver, the same question took 4 ms.
        What the solver answers does not depend on it being new: answers are facts about
        the question, and counterexamples and hypotheses used are chosen by meaning
        (`Pinner`, `minimal_core`)."""
        if unfinished_checks(self.solver) != unfinished:
            self._stale = True
        if not self._stale or self.solver.num_scopes():
            return
        self.solver, self.pinner = self._shared_solver()
        self._stale = False
        self.renewals += 1

    def _shared_solver(self) -> tuple[z3.Solver, Pinner]:
        """A solver given g > 0 and each hypothesis under its indicator, and its pinner."""
        solver = new_solver(self.context, self._milliseconds / 1000)
        positive_g, *bodies = self._held
        solver.add(positive_g)
        for indicator, body in zip(self._indicators, bodies, strict=True):
            solver.add(z3.Implies(indicator, body))
        return solver, Pinner(solver, self._base_terms)

    def _timeout(self, seconds: float) -> None:
        """Every check of the solver stops after `seconds` (set only when it changes)."""
        milliseconds = max(1, int(seconds * 1000))
        if milliseconds != self._milliseconds:
            self.solver.set("timeout", milliseconds)
            self._milliseconds = milliseconds

    def _answer(self, key: Hashable | None, proved: bool) -> None:
        if key is not None:
            if len(self.answers) >= KEPT_ANSWERS:
                self.answers.clear()
            self.answers[key] = proved

    def _keep(self, values: list[Fraction]) -> None:
        """Keep a point of the frame when the hypotheses hold there exactly."""
        point = Point(values)
        if self.admissible_at(point):
            self.points.insert(0, point)
            del self.points[KEPT_POINTS:]

    def decide(self, problem: Problem, canonical: bool = True) -> Verdict | None:
        """Decide `problem` (whose hypotheses are this solver's). None when `canonical` and
        its counterexample has a coordinate that none of the preferred values fits.

        A verdict depends only on the problem's meaning (see the class), so a claim whose
        comparisons have the same differences as one decided before gets its verdict."""
        key: Hashable | None = None
        meaning = self.meaning(problem.claim)[0]
        if meaning is not None:
            key = (meaning, problem.for_some_g)
            known = self.verdicts.get(key)
            if known is not None:
                return known
        verdict = self._decide(problem, canonical)
        if key is not None and verdict is not None and verdict.status != "unknown":
            if len(self.verdicts) >= KEPT_ANSWERS:
                self.verdicts.clear()
            self.verdicts[key] = verdict
        return verdict

    def _decide(self, problem: Problem, canonical: bool) -> Verdict | None:
        self._timeout(problem.timeout)
        self.encoder.variables = dict(self.base_variables)
        self.encoder.denominators = list(self.base_denominators)
        indicators = list(self.indicators.values())
        scopes = self.solver.num_scopes()
        unfinished = unfinished_checks(self.solver)
        try:
            self.solver.push()
            if problem.for_some_g:
                negated = negation(eliminate_exists_g(problem.claim, self.encoder))
            else:
                negated = negation(self.encoder.formula(problem.claim))
            assert_formula(self.solver, negated)
            # The problem evaluated exactly, where it is polynomial and has no division: a
            # known point where the hypotheses hold and the claim fails shows it refuted
            # without a check, and counterexamples are pinned mostly by evaluation.
            claim = None
            if (
                self.compiled is not None
                and not problem.for_some_g
                and not self.encoder.denominators
                and not self.encoder.applications
                and len(self.encoder.variables) == len(self.base_variables)
            ):
                claim = self.meaning(problem.claim)[1]
            if canonical and claim is not None and self.points:
                known = self._known_failure(claim)
                if known is not None:
                    return self._counterexample(problem, canonical, claim, known)
            # No `denominator != 0` here: a division under a guard (`x != y -> 1/(x - y) >
            # 0`) may be zero where it is not evaluated, and ruling such points out would
            # make false claims provable. Claims reach this point only once their divisions
            # are shown well defined (calculus.definedness), and then z3's total division
            # agrees with the claim's meaning.
            outcome = check(self.solver, indicators)
            if outcome.unsat:
                core = minimal_core(self.solver, indicators, self.solver.unsat_core())
                names = self._names
                return Verdict("proved", uses=tuple(names[c.get_id()] for c in core))
            if not outcome.sat:
                if canonical and claim is not None and max(self._degree, _degree(claim)) > 1:
                    # Settled alone, or else decided in a context of its own (None).
                    return self._decided_alone(problem, negated, claim)
                return Verdict("unknown", reason=outcome.reason)
            # Prefer a counterexample at which every division is defined (easier to re-check).
            if self.encoder.denominators:
                self.solver.push()
                self.solver.add(*self.encoder.defined())
                if not check(self.solver, indicators).sat:
                    self.solver.pop()
                    if not check(self.solver, indicators).sat:
                        return Verdict("unknown", reason="the solver's answer changed")
            return self._counterexample(problem, canonical, claim)
        finally:
            self.solver.pop(self.solver.num_scopes() - scopes)
            self._renew_if_stale(unfinished)

    def _counterexample(
        self,
        problem: Problem,
        canonical: bool,
        claim: Indexed | None = None,
        known: list[Fraction] | None = None,
    ) -> Verdict | None:
        """The counterexample of a satisfiable problem: from the solver's last model, or
        from `known`, a point of the frame where the problem holds. `claim`: the claim on
        the frame when the problem can be evaluated exactly (see `decide`); the problem's
        variables are then the frame's."""
        shown = relevant_atoms(problem.claim, include_g=not problem.for_some_g)
        # Pinned in this order: g, the atoms shown, then the others by name.
        order = sorted((s for s in shown if s in self.encoder.variables), key=lambda s: s != G)
        order += sorted((s for s in self.encoder.variables if s not in shown), key=_text)
        variables = [self.encoder.variables[s] for s in order]
        indicators = list(self.indicators.values())
        holds = None
        start = None
        infeasible: Infeasible | None = None
        if claim is not None:
            on_frame = claim
            # The frame's position of each variable, in `order`.
            where = [self.frame.position[s] for s in order]
            size = len(where)

            # The values last asked about and their point: the next question usually
            # differs from it in one or two values, and its point is made from this one.
            last: list[Any] = [None, None]

            def holds(values: Sequence[Fraction | None]) -> bool:
                previous, known = last
                if known is None:
                    exact: list[Fraction] = [Fraction(0)] * size
                    for position, value in zip(where, values, strict=True):
                        if value is None:
                            return False
                        exact[position] = value
                    point = Point(exact)
                else:
                    changes = []
                    for k in range(size):
                        value = values[k]
                        if value is not previous[k]:
                            if value is None:
                                return False
                            changes.append((where[k], value))
                    point = known.changed(changes) if changes else known
                last[0], last[1] = list(values), point
                # Both exact and without side effects: the claim, quicker, first.
                return not truth_at(on_frame, point) and self.admissible_at(point)

            if known is not None:
                start = [known[p] for p in where]
            # A point where the hypotheses hold and the claim fails satisfies each of these.
            necessary = self._conjuncts + conjuncts(on_frame, negated=True)
            positive, nonnegative = self._signed

            def infeasible_at(
                pins: dict[int, Fraction], index: int, candidates: Sequence[Fraction]
            ) -> bool:
                values = {where[k]: value for k, value in pins.items()}
                at = where[index]
                return ruled_out(necessary, values, positive, nonnegative, at, candidates)

            infeasible = infeasible_at
        if start is not None:
            model = None
            numbers = self.pinner.pin(
                variables, indicators, holds=holds, start=start, infeasible=infeasible
            )
        else:
            model = self.solver.model()
            numbers = self.pinner.pin(
                variables, indicators, model, holds=holds, infeasible=infeasible
            )
        if numbers is None:
            if canonical:
                return None
            numbers = rational_model(self.solver, variables, indicators, model=model)
        if numbers is None:
            return Verdict(
                "unknown",
                reason="z3 found a counterexample with irrational values "
                "and no rational one was confirmed",
            )
        exact = dict(zip(order, numbers, strict=True))
        if not confirm_fractions(problem, exact):
            return Verdict(
                "unknown", reason="z3's counterexample did not survive exact re-evaluation"
            )
        if all(symbol in exact for symbol in self.frame.symbols):
            self._keep([exact[symbol] for symbol in self.frame.symbols])
        counterexample = tuple((symbol.name, exact[symbol]) for symbol in shown if symbol in exact)
        assignment = tuple(
            (symbol.name, value)
            for symbol, value in sorted(exact.items(), key=lambda item: _text(item[0]))
        )
        return Verdict("refuted", counterexample=counterexample, assignment=assignment)


def _degree(f: Indexed) -> int:
    """The highest degree of a formula on the frame's polynomials (g·c(x) is of degree 2)."""
    op = f[0]
    if op == "not":
        return _degree(f[1])
    if op in COMPARISONS:
        return max([len(term[0]) for term in f[1]], default=0)
    return max(_degree(f[1]), _degree(f[2]))


def decide_linear(problem: Problem, context: z3.Context) -> Verdict:
    """Decide a claim of the linear family with terms made in `context` (used once)."""
    verdict = LinearSolver(context, problem.hypotheses).decide(problem, canonical=False)
    assert verdict is not None
    return verdict
