"""Deciding claims when g is an unknown function of a non-linear exchange family:
`monotone`, `subadditive` or `superadditive` (DESIGN §3).

g is taken as a function on the reals, strictly increasing with g(0) = 0; `subadditive`
adds g(x+y) <= g(x) + g(y) and `superadditive` g(x+y) >= g(x) + g(y), for x, y >= 0.
Every such g on [0, ∞) extends to the reals (g(x) = x below 0 will do), so for cost
arguments nothing changes; a claim that applies g to a negative number is read with this
extension.

**Proofs (for all g).** Every distinct argument of g (after `sympy.expand`) gets a z3 Real
standing for g(argument); the family's axioms are then *instantiated* on those terms, which
is sound because every g of the family satisfies every instance. The instances are:

* g(0) = 0 and, for every term, the sign of g(a) is the sign of a;
* monotonicity on every pair of terms: a < b -> g(a) < g(b), a = b -> g(a) = g(b)
  (congruence), a > b -> g(a) > g(b);
* for sub/superadditivity, g(s) <= g(x) + g(y) (resp. >=), guarded by x >= 0 and
  y >= 0, for every pair of terms x, y (x = y included) whose sum s is also a term.

Such triples rarely occur as written, so terms are first *split*. Each argument is read as
a sum of monomials with rational coefficients; for every pair of terms a, b that are sums
of positive multiples: when b is a part of a (every monomial of b occurs in a with a
coefficient at least as large) the remainder a − b becomes a term; otherwise their common
part (the coefficient-wise minimum) does. Three rounds, at most `MAX_TERMS` terms. This is what proves the essay's
corrected claim: with c(Hfh) = B + M + U and c(Hsd) = S + C + M + U, the common part
M + U and the remainders B and S + C become terms, so g(c(Hfh)) <= g(B) + g(M + U) and
g(M + U) < g(c(Hsd)) give g(c(Hfh)) − g(c(Hsd)) < g(B). For the monotone family the
instances are complete: any finite set of points ordered consistently with (0, 0) lies on
a strictly increasing function.

**Refutations.** A model of the instantiated problem only gives values of g at finitely
many points. It becomes a refutation only when an explicit g of the family goes through
them: the piecewise-linear function through (0, 0) and the points, continued linearly,
checked exactly with Fractions to be strictly increasing and, for sub/superadditivity,
concave/convex on x >= 0 (concave with g(0) = 0 implies subadditive) or else additive at
every vertex of the arrangement of its breakpoints, where g(x) + g(y) − g(x+y) takes its
extreme values. The claim and every assumption are then re-evaluated exactly with g
replaced by that function. When the first model's points admit no such function, two more
searches ask z3 for points that do: with the arguments pinned to the first model's values
the concavity (convexity) of the interpolant is a linear condition on the g-values; failing
that, a supporting line of positive slope through every point (nonlinear). If all fail the
verdict is `unknown`, never `refuted`.

**`for some g`** means: for all admissible costs, some g of the family satisfies the
claim. Proved when it holds already with linear members g(x) = k·x (k > 0 chosen per cost
assignment; every linear g is in all three families), decided exactly by the linear
family's virtual substitution; assumptions that mention g (read, as in the linear family,
as being about any g of the family, not the one the claim asks for) are left out of that
attempt, which only makes the proof stronger. Otherwise z3 looks for costs such that no
values of g at the claim's points satisfy the instantiated axioms and the claim together
(a ∀ over the g-values). Found: re-checked with the costs fixed, it is a refutation, since
the instances are necessary conditions. Not found: for the monotone family, whose
instances are also sufficient, that is a proof; for the others it is `unknown`. With
assumptions about g only the linear attempt is made.
"""

from __future__ import annotations

import bisect
import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy
import z3
from sympy.core.function import AppliedUndef

from calculus.costs import (
    EXCHANGE,
    Atomic,
    G,
    Junction,
    LogicFormula,
    Negation,
    atomics,
    is_exponential,
    log2,
)
from calculus.logic.exact import confirm, exact_number, hypotheses_hold, relevant_atoms
from calculus.logic.linear import decide_linear
from calculus.logic.records import Problem, Verdict
from calculus.logic.solver import (
    Encoder,
    Outcome,
    Unsupported,
    check,
    new_solver,
    rational,
    rational_model,
    real,
    shrink_core,
)
from calculus.numbers import fraction_text

FAMILIES = ("monotone", "subadditive", "superadditive")
MAX_TERMS = 40
SPLIT_ROUNDS = 3
NOTE_LIMIT = 8


# ---- explicit members of a family --------------------------------------------------------


@dataclass(frozen=True)
class PiecewiseLinear:
    """The continuous function through `points` (sorted by x, distinct x), linear between
    them and continued with `left_slope` below the first and `right_slope` above the last."""

    points: tuple[tuple[Fraction, Fraction], ...]
    left_slope: Fraction
    right_slope: Fraction

    def __call__(self, x: Fraction) -> Fraction:
        xs = [p[0] for p in self.points]
        if x <= xs[0]:
            return self.points[0][1] + self.left_slope * (x - xs[0])
        if x >= xs[-1]:
            return self.points[-1][1] + self.right_slope * (x - xs[-1])
        i = bisect.bisect_right(xs, x)
        (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    def segment_slopes(self) -> list[Fraction]:
        return [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in itertools.pairwise(self.points)]

    def slopes_from_zero(self) -> list[Fraction]:
        """Slopes of the pieces covering x >= 0, left to right (0 is always a point)."""
        pieces = [
            s
            for ((x0, _), _), s in zip(
                itertools.pairwise(self.points), self.segment_slopes(), strict=True
            )
            if x0 >= 0
        ]
        return pieces + [self.right_slope]

    def describe(self) -> str:
        shown = ", ".join(f"({fraction_text(x)}, {fraction_text(y)})" for x, y in self.points)
        first, last = self.points[0][0], self.points[-1][0]
        return (
            f"g is piecewise linear through {shown}, continued with slope "
            f"{fraction_text(self.right_slope)} above {fraction_text(last)} and slope "
            f"{fraction_text(self.left_slope)} below {fraction_text(first)}"
        )


def additivity_violation(
    function: PiecewiseLinear, family: str
) -> tuple[Fraction, Fraction] | None:
    """A pair x, y >= 0 where `function` breaks sub/superadditivity, or None if there is none.

    h(x, y) = g(x) + g(y) − g(x+y) is affine on every cell of the arrangement of the lines
    x = b, y = b, x + y = b (b a breakpoint >= 0, 0 included) in the quadrant, and constant
    along every unbounded direction (all three arguments then use the last slope). So its
    extremes lie at the arrangement's vertices, and checking them is exact.
    """
    breaks = sorted({x for x, _ in function.points if x >= 0} | {Fraction(0)})
    vertices: set[tuple[Fraction, Fraction]] = set()
    for b1, b2 in itertools.product(breaks, repeat=2):
        vertices.add((b1, b2))
        if b2 >= b1:
            vertices.add((b1, b2 - b1))
            vertices.add((b2 - b1, b1))
    for x, y in sorted(vertices):
        gap = function(x) + function(y) - function(x + y)
        if (family == "subadditive" and gap < 0) or (family == "superadditive" and gap > 0):
            return (x, y)
    return None


def membership(function: PiecewiseLinear, family: str) -> tuple[bool, str]:
    """Exactly: is `function` in the family? With the reason, either way."""
    if function(Fraction(0)) != 0:
        return False, "g(0) is not 0"
    slopes = [function.left_slope, *function.segment_slopes(), function.right_slope]
    if any(s <= 0 for s in slopes):
        return False, "it is not strictly increasing"
    if family == "monotone":
        return True, "every slope is positive, so it is strictly increasing, and g(0) = 0"
    right = function.slopes_from_zero()
    if family == "subadditive" and all(a >= b for a, b in itertools.pairwise(right)):
        return (
            True,
            "its slopes are positive and decrease on x >= 0 (concave, g(0) = 0), hence subadditive",
        )
    if family == "superadditive" and all(a <= b for a, b in itertools.pairwise(right)):
        return (
            True,
            "its slopes are positive and increase on x >= 0 (convex, g(0) = 0), hence superadditive",
        )
    violation = additivity_violation(function, family)
    if violation is not None:
        x, y = violation
        return False, f"it is not {family} at x = {fraction_text(x)}, y = {fraction_text(y)}"
    return True, (
        f"its slopes are positive, and g(x) + g(y) − g(x+y) was checked exactly at every "
        f"vertex of its breakpoint arrangement, where it is extreme: {family}"
    )


@dataclass(frozen=True)
class StepPlusLinear:
    """g(x) = step·⌈x/width⌉ + slope·x (subadditive) or step·⌊x/width⌋ + slope·x
    (superadditive): members of the families that are neither concave nor convex."""

    width: Fraction
    step: Fraction
    slope: Fraction
    ceiling: bool

    def __call__(self, x: Fraction) -> Fraction:
        quotient = x / self.width
        whole = math.ceil(quotient) if self.ceiling else math.floor(quotient)
        return self.step * whole + self.slope * x

    def describe(self) -> str:
        bracket = ("⌈", "⌉") if self.ceiling else ("⌊", "⌋")
        step = "" if self.step == 1 else f"{fraction_text(self.step)}·"
        width = fraction_text(self.width)
        width = width if self.width.denominator == 1 else f"({width})"
        family, law = (
            ("subadditive", "⌈u + v⌉ <= ⌈u⌉ + ⌈v⌉")
            if self.ceiling
            else ("superadditive", "⌊u + v⌋ >= ⌊u⌋ + ⌊v⌋")
        )
        return (
            f"g(x) = {step}{bracket[0]}x/{width}{bracket[1]} + "
            f"{fraction_text(self.slope)}·x, strictly increasing with g(0) = 0 (a "
            f"non-decreasing step plus a line of positive slope), and {family} on x, y >= 0 "
            f"since {law} and the linear part is additive"
        )


def step_witnesses(arguments: Sequence[Fraction], family: str) -> list[StepPlusLinear]:
    """Step-plus-linear members of sub/superadditive with steps placed at the arguments."""
    positive = sorted({x for x in arguments if x > 0})
    widths: dict[Fraction, None] = {}
    for x in positive:
        for k in (1, 2, 3):
            widths.setdefault(x / k, None)
    for x, y in itertools.combinations(positive, 2):
        widths.setdefault(y - x, None)
    return [
        StepPlusLinear(width, Fraction(1), slope, family == "subadditive")
        for slope in (Fraction(1, 100), Fraction(1))
        for width in list(widths)[:24]
    ]


def witness(points: dict[Fraction, Fraction], family: str) -> tuple[PiecewiseLinear, str] | None:
    """A piecewise-linear member of the family through (0, 0) and `points`, if one of the
    natural continuations works; with the reason it is a member."""
    if points.get(Fraction(0), Fraction(0)) != 0:
        return None
    through = tuple(sorted({**points, Fraction(0): Fraction(0)}.items()))
    skeleton = PiecewiseLinear(through, Fraction(1), Fraction(1))
    segments = skeleton.segment_slopes()
    left = segments[0] if segments else Fraction(1)
    if left <= 0:
        return None
    ratios = [y / x for x, y in through if x > 0]
    tails: list[Fraction] = [segments[-1] if segments and through[-1][0] > 0 else left]
    if ratios and family == "subadditive":
        tails += [min(ratios), min(ratios + tails) / 2]
    if ratios and family == "superadditive":
        tails += [max(ratios), max(ratios + tails) * 2]
    for tail in dict.fromkeys(tails):
        candidate = PiecewiseLinear(through, left, tail)
        member, why = membership(candidate, family)
        if member:
            return candidate, why
    return None


# ---- terms, instances and the encoding ---------------------------------------------------


@dataclass
class _Term:
    argument: sympy.Expr  # expanded
    x: z3.ArithRef  # the argument, encoded
    y: z3.ArithRef  # the value g(argument)
    original: bool  # written in the claim or an assumption (not made by splitting)


@dataclass(frozen=True)
class _Axiom:
    kind: str  # "zero" | "monotone" | "additive"
    text: str
    formula: z3.BoolRef
    indicator: z3.BoolRef


@dataclass
class _Exchange(Encoder):
    """An encoder that also encodes g: one z3 Real per distinct (expanded) argument of g."""

    terms: dict[sympy.Expr, _Term] = field(default_factory=dict)
    writing_originals: bool = True
    memoize: bool = False

    def exchange(self, argument: sympy.Expr, encoded: z3.ArithRef) -> z3.ArithRef:
        key = sympy.expand(argument)
        term = self.terms.get(key)
        if term is None:
            term = _Term(key, encoded, z3.Real(f"g({key})", self.context), self.writing_originals)
            self.terms[key] = term
        elif self.writing_originals:
            term.original = True
        return term.y

    def add(self, argument: sympy.Expr) -> bool:
        key = sympy.expand(argument)
        if key in self.terms or key == 0:
            return False
        self.writing_originals = False
        try:
            self.exchange(key, self.expr(key))
        finally:
            self.writing_originals = True
        return True

    def originals(self) -> list[_Term]:
        return [t for t in self.terms.values() if t.original]


Coefficients = dict[sympy.Expr, sympy.Rational]


def _coefficients(e: sympy.Expr) -> Coefficients | None:
    result: Coefficients = {}
    for monomial, coefficient in sympy.expand(e).as_coefficients_dict().items():
        if not coefficient.is_Rational:
            return None
        if coefficient != 0:
            result[monomial] = coefficient
    return result


def _is_part(part: Coefficients, whole: Coefficients) -> bool:
    """Every monomial of `part` is in `whole` with a coefficient at least as large; proper.
    Only sums of positive terms are split: the instances need both pieces >= 0."""
    if not part or part == whole or any(c <= 0 for c in whole.values()):
        return False
    return all(0 < c <= whole.get(m, 0) for m, c in part.items())


def _common(a: Coefficients, b: Coefficients) -> Coefficients:
    return {m: min(c, b[m]) for m, c in a.items() if c > 0 and b.get(m, 0) > 0}


def _expression(coefficients: Coefficients) -> sympy.Expr:
    return sympy.Add(*(c * m for m, c in coefficients.items()))


def _split(exchange: _Exchange) -> bool:
    """Add remainders and common parts of the terms; False when `MAX_TERMS` cut it short."""
    for _ in range(SPLIT_ROUNDS):
        keys = list(exchange.terms)
        coefficients = {k: _coefficients(k) for k in keys}
        remainders: list[sympy.Expr] = []
        commons: list[sympy.Expr] = []
        for a, b in itertools.permutations(keys, 2):
            ca, cb = coefficients[a], coefficients[b]
            if ca is None or cb is None or any(c <= 0 for c in (*ca.values(), *cb.values())):
                continue
            if _is_part(cb, ca):
                remainders.append(a - b)
            else:
                common = _common(ca, cb)
                if common and common != ca and common != cb:
                    commons.append(_expression(common))
        added = False
        for e in remainders + commons:
            if len(exchange.terms) >= MAX_TERMS:
                return False
            added = exchange.add(e) or added
        if not added:
            break
    return True


def _axioms(exchange: _Exchange, family: str) -> list[_Axiom]:
    axioms: list[_Axiom] = []
    context = exchange.context

    def axiom(kind: str, text: str, formula: z3.BoolRef) -> None:
        axioms.append(_Axiom(kind, text, formula, z3.Bool(f"⟨axiom {len(axioms)}⟩", context)))

    terms = list(exchange.terms.values())
    for t in terms:
        axiom(
            "zero",
            f"g(0) = 0 and g increasing, so g({t.argument}) has the sign of {t.argument}",
            z3.And(
                z3.Implies(t.x > 0, t.y > 0),
                z3.Implies(t.x == 0, t.y == 0),
                z3.Implies(t.x < 0, t.y < 0),
            ),
        )
    for a, b in itertools.combinations(terms, 2):
        axiom(
            "monotone",
            f"g increasing between {a.argument} and {b.argument}",
            z3.And(
                z3.Implies(a.x < b.x, a.y < b.y),
                z3.Implies(a.x == b.x, a.y == b.y),
                z3.Implies(a.x > b.x, a.y > b.y),
            ),
        )
    if family == "monotone":
        return axioms
    relation = "<=" if family == "subadditive" else ">="
    for i, x in enumerate(terms):
        for y in terms[i:]:
            whole = exchange.terms.get(sympy.expand(x.argument + y.argument))
            if whole is None:
                continue
            bound = whole.y <= x.y + y.y if family == "subadditive" else whole.y >= x.y + y.y
            axiom(
                "additive",
                f"g({whole.argument}) {relation} g({x.argument}) + g({y.argument})",
                z3.Implies(z3.And(x.x >= 0, y.x >= 0), bound),
            )
    return axioms


@dataclass
class _Encoding:
    """One problem in z3: hypotheses (guarded by named indicators), the claim, the axioms."""

    problem: Problem
    family: str
    exchange: _Exchange
    hypotheses: dict[str, z3.BoolRef] = field(default_factory=dict)
    indicators: dict[str, z3.BoolRef] = field(default_factory=dict)
    claim: z3.BoolRef | None = None
    axioms: list[_Axiom] = field(default_factory=list)
    denominators: list[sympy.Expr] = field(default_factory=list)
    complete_split: bool = True

    @property
    def encoder(self) -> Encoder:
        return self.exchange

    @property
    def context(self) -> z3.Context:
        return self.exchange.context

    def solver(self, timeout: float) -> z3.Solver:
        return new_solver(self.context, timeout)

    def defined(self) -> list[z3.BoolRef]:
        """Every division is defined (counterexamples are sought only there), every
        logarithm's argument positive; and the facts of exponentials and logarithms."""
        return (
            [self.encoder.expr(d) != 0 for d in self.denominators]
            + [self.encoder.expr(x) > 0 for x in self.encoder.positive]
            + self.encoder.facts()
        )


def _encode(problem: Problem, family: str, context: z3.Context) -> _Encoding:
    exchange = _Exchange(context)
    encoding = _Encoding(problem, family, exchange)
    for hypothesis in problem.hypotheses:
        parts = [exchange.bound(symbol, kind) for symbol, kind in hypothesis.bounds]
        if hypothesis.formula is not None:
            parts.append(exchange.formula(hypothesis.formula))
        encoding.hypotheses[hypothesis.name] = z3.And(parts) if parts else z3.BoolVal(True, context)
        encoding.indicators[hypothesis.name] = z3.Bool(f"⟨{hypothesis.name}⟩", context)
    encoding.claim = exchange.formula(problem.claim)
    # Only the divisions written in the claim and assumptions, not those of split terms.
    encoding.denominators = list(exchange.denominators)
    encoding.complete_split = _split(exchange)
    encoding.axioms = _axioms(exchange, family)
    return encoding


# ---- deciding -------------------------------------------------------------------------------


def decide_family(problem: Problem, context: z3.Context) -> Verdict:
    """Decide a claim for every g (or, with `for some g`, some g) of a non-linear family."""
    family = problem.family
    if family not in FAMILIES:
        return Verdict("unknown", reason=f"unknown exchange family `{family}`")
    if _transcendental(problem) and not _mentions_g(problem):
        # Neither the claim nor an assumption applies g: every family reads it alike, and
        # the linear family decides it with the facts of exp and log.
        from calculus.logic.extended import decide_extended

        verdict = decide_extended(
            Problem(
                problem.claim,
                problem.hypotheses,
                problem.for_some_g,
                "linear",
                problem.timeout,
                parameters=problem.parameters,
            ),
            context,
        )
        return replace(
            verdict, notes=(*verdict.notes, f"g does not occur: alike for every {family} g")
        )
    try:
        if problem.for_some_g:
            return _decide_for_some(problem, family, context)
        return _decide_for_all(problem, family, context)
    except Unsupported as error:
        return Verdict("unknown", reason=str(error))
    except z3.Z3Exception as error:
        return Verdict("unknown", reason=f"z3 error: {error}")


def _decide_for_all(problem: Problem, family: str, context: z3.Context) -> Verdict:
    deadline = time.monotonic() + problem.timeout
    encoding = _encode(problem, family, context)
    assert encoding.claim is not None
    solver = encoding.solver(problem.timeout)
    for name, formula in encoding.hypotheses.items():
        solver.add(z3.Implies(encoding.indicators[name], formula))
    logarithms = bool(encoding.encoder.positive)
    if logarithms:
        # A logarithm of a number that may be zero or negative leaves the claim undefined
        # (shown with the facts of the exponentials only: the logarithms' facts take their
        # arguments as positive).
        from calculus.logic.extended import exponential_facts

        solver.push()
        solver.add(*exponential_facts(encoding.encoder))
        solver.add(z3.Or([encoding.encoder.expr(x) <= 0 for x in encoding.encoder.positive]))
        possible = check(solver, list(encoding.indicators.values()))
        solver.pop()
        if not possible.unsat:
            return Verdict(
                "unknown",
                reason="log2 may be applied to a number that is not positive "
                "(assume its argument positive)",
            )
    if encoding.encoder.applications:
        # Facts of exponentials and logarithms: theorems of the real functions.
        solver.add(*encoding.encoder.facts())
    for axiom in encoding.axioms:
        solver.add(z3.Implies(axiom.indicator, axiom.formula))
    solver.add(z3.Not(encoding.claim))
    # Divisions are shown defined before a claim is decided (calculus.definedness); ruling
    # out zero denominators here would also rule out points where a guarded division is
    # never evaluated, and could prove false claims.
    named = list(encoding.indicators.values())
    instances = [a.indicator for a in encoding.axioms]
    outcome = check(solver, [*named, *instances])
    if outcome.sat:
        solver.push()
        solver.add(*encoding.defined())
        if not check(solver, [*named, *instances]).sat:
            solver.pop()
            outcome = check(solver, [*named, *instances])
    if outcome.unsat:
        return _proof(solver, encoding, deadline)
    if outcome.sat and logarithms:
        return Verdict(
            "unknown",
            reason=f"log2 applied with g: not proved for every {family} g from the facts of "
            "log2, and such counterexamples are sought only in the linear family",
        )
    if outcome.sat:
        values = _exact_model(solver, _variables(encoding), [*named, *instances])
        verdict = _refutation(encoding, values) if values is not None else None
        if verdict is not None:
            return verdict
        return _search_refutation(encoding, deadline)
    return Verdict("unknown", reason=outcome.reason)


def _variables(encoding: _Encoding, extra: Iterable[z3.ArithRef] = ()) -> list[z3.ArithRef]:
    return [
        *encoding.encoder.variables.values(),
        *(t.y for t in encoding.exchange.terms.values()),
        *extra,
    ]


def _proof(solver: z3.Solver, encoding: _Encoding, deadline: float) -> Verdict:
    core = solver.unsat_core()
    named = list(encoding.indicators.values())
    instances = [a.indicator for a in encoding.axioms]
    kept_named = [i for i in named if any(i.eq(c) for c in core)]
    # Uses must be minimal with every instance available, as in the linear family, so the
    # named assumptions are shrunk first and without any time limit but the solver's.
    kept_named = shrink_core(solver, kept_named, instances)
    names = {str(i): name for name, i in encoding.indicators.items()}
    order = list(encoding.indicators)
    uses = tuple(sorted((names[str(i)] for i in kept_named), key=order.index))
    notes: list[str] = []
    if solver.check(*kept_named, *instances) == z3.unsat:
        used = [i for i in instances if any(i.eq(c) for c in solver.unsat_core())]
        used = shrink_core(solver, used, kept_named, deadline)
        texts = [a.text for a in encoding.axioms if any(a.indicator.eq(u) for u in used)]
        if texts:
            shown = "; ".join(texts[:NOTE_LIMIT])
            more = f"; and {len(texts) - NOTE_LIMIT} more" if len(texts) > NOTE_LIMIT else ""
            notes.append(f"valid for every {encoding.family} g; family axioms used: {shown}{more}")
        else:
            notes.append(f"valid for every {encoding.family} g without using its axioms")
    return Verdict("proved", uses=uses, notes=tuple(notes))


# ---- refutations ----------------------------------------------------------------------------


def _exact_model(
    solver: z3.Solver, variables: list[z3.ArithRef], assumptions: Sequence[z3.BoolRef]
) -> dict[str, Fraction] | None:
    """Rational values of `variables` in a model of `solver`, keyed by name."""
    numbers = rational_model(solver, variables, assumptions)
    if numbers is None:
        return None
    return {str(v): value for v, value in zip(variables, numbers, strict=True)}


def _applications(formula: LogicFormula) -> list[sympy.Expr]:
    """Every application g(...) in a formula, inner ones before the ones containing them."""
    found: set[sympy.Expr] = set()
    for a in atomics(formula):
        for side in (a.lhs, a.rhs):
            found |= {e for e in side.atoms(AppliedUndef) if e.func == EXCHANGE}
    return sorted(found, key=lambda e: (_depth(e), sympy.default_sort_key(e)))


def _depth(e: sympy.Expr) -> int:
    inner = [x for x in e.args[0].atoms(AppliedUndef) if x.func == EXCHANGE] if e.args else []
    return 1 + max((_depth(x) for x in inner), default=0)


def _with_exchange(
    formulas: Sequence[LogicFormula],
    atoms: dict[sympy.Basic, sympy.Expr],
    g: Callable[[Fraction], Fraction],
) -> dict[sympy.Basic, sympy.Expr] | None:
    """Atoms plus the value of every application of g in `formulas`, computed with `g`."""
    values = dict(atoms)
    applications: list[sympy.Expr] = []
    for f in formulas:
        applications.extend(_applications(f))
    for application in sorted(
        set(applications), key=lambda e: (_depth(e), sympy.default_sort_key(e))
    ):
        x = exact_number(application.args[0].xreplace(values))
        if x is None:
            return None
        y = g(x)
        values[application] = sympy.Rational(y.numerator, y.denominator)
    return values


def _refutation(encoding: _Encoding, values: dict[str, Fraction]) -> Verdict | None:
    """A confirmed refutation from exact values of the atoms and of g at the terms, or None."""
    problem = encoding.problem
    atoms: dict[sympy.Basic, sympy.Expr] = {
        symbol: sympy.Rational(values[str(v)].numerator, values[str(v)].denominator)
        for symbol, v in encoding.encoder.variables.items()
        if str(v) in values
    }
    at_terms = dict(atoms)
    for term in encoding.exchange.terms.values():
        if str(term.y) in values:
            y = values[str(term.y)]
            at_terms[EXCHANGE(term.argument)] = sympy.Rational(y.numerator, y.denominator)
    points: dict[Fraction, Fraction] = {}
    for term in encoding.exchange.originals():
        x = exact_number(term.argument.xreplace(at_terms))
        if x is None or str(term.y) not in values:
            return None
        y = values[str(term.y)]
        if points.setdefault(x, y) != y:
            return None
    found = witness(points, encoding.family)
    if found is None:
        return None
    g, why = found
    formulas = [problem.claim, *(h.formula for h in problem.hypotheses if h.formula is not None)]
    exact = _with_exchange(formulas, atoms, g)
    if exact is None or not confirm(problem, exact):
        return None
    shown: list[tuple[str, Fraction]] = []
    for symbol in relevant_atoms(problem.claim, include_g=False):
        if symbol in exact:
            value = exact_number(exact[symbol])
            if value is not None:
                shown.append((symbol.name, value))
    used_points: dict[Fraction, Fraction] = {}
    for application in _applications(problem.claim):
        x = exact_number(application.args[0].xreplace(exact))
        if x is not None:
            used_points[x] = g(x)
    shown.extend((f"g({fraction_text(x)})", y) for x, y in sorted(used_points.items()))
    note = f"{g.describe()}; {why}"
    return Verdict("refuted", counterexample=tuple(shown), notes=(note,))


def _search_refutation(encoding: _Encoding, deadline: float) -> Verdict:
    """Ask z3 for a counterexample whose points lie on a member of the family."""
    assert encoding.claim is not None
    failed = (
        "z3 found a counterexample to the instantiated axioms of g, but no g of the "
        f"{encoding.family} family through its points was found"
    )
    if encoding.family == "monotone":
        failed = (
            "z3's counterexample could not be confirmed exactly (irrational values, or it "
            "failed the exact re-evaluation)"
        )
    base = [*encoding.hypotheses.values(), z3.Not(encoding.claim), *encoding.defined()]
    originals = encoding.exchange.originals()
    concave = encoding.family == "subadditive"

    # 1. Arguments pinned to the values of a first model: concavity is then linear.
    first = encoding.solver(max(1.0, deadline - time.monotonic()))
    first.add(*base)
    for axiom in encoding.axioms:
        first.add(axiom.formula)
    pinned_points: list[tuple[_Term, Fraction]] = []
    if first.check() == z3.sat:
        model = first.model()
        pinned = [(t, model.eval(t.x, model_completion=True)) for t in originals]
        pinned_points = [(t, x) for t, v in pinned if (x := rational(v)) is not None]
        if len(pinned_points) != len(pinned):
            pinned_points = []
        if all(rational(v) is not None for _, v in pinned):
            solver = encoding.solver(max(1.0, deadline - time.monotonic()))
            solver.add(*base)
            by_x: dict[Fraction, list[z3.ArithRef]] = {Fraction(0): [real(0, encoding.context)]}
            for term, value in pinned:
                solver.add(term.x == value)
                x = rational(value)
                assert x is not None
                by_x.setdefault(x, []).append(term.y)
            levels = sorted(by_x)
            for ys in by_x.values():
                solver.add(*(y == ys[0] for y in ys[1:]))
            for a, b in itertools.pairwise(levels):
                solver.add(by_x[a][0] < by_x[b][0])
            for a, b, c in zip(levels, levels[1:], levels[2:], strict=False):
                if a < 0 or encoding.family == "monotone":
                    continue
                ya, yb, yc = by_x[a][0], by_x[b][0], by_x[c][0]
                left, right = (yb - ya) * (c - b), (yc - yb) * (b - a)
                solver.add(left >= right if concave else left <= right)
            if solver.check() == z3.sat:
                values = _exact_model(solver, _variables(encoding), [])
                verdict = _refutation(encoding, values) if values is not None else None
                if verdict is not None:
                    return verdict

    # 2. A supporting line of positive slope through every point (and the origin).
    if encoding.family != "monotone" and time.monotonic() < deadline:
        solver = encoding.solver(max(1.0, deadline - time.monotonic()))
        solver.add(*base)
        slopes = [z3.Real(f"⟨slope {i}⟩", encoding.context) for i in range(len(originals) + 1)]
        origin = real(0, encoding.context)
        points = [(origin, origin)] + [(t.x, t.y) for t in originals]
        for (xi, yi), m in zip(points, slopes, strict=True):
            solver.add(m > 0)
            for xj, yj in points:
                line = yi + m * (xj - xi)
                solver.add(yj <= line if concave else yj >= line)
        outcome = check(solver)
        if outcome.sat:
            values = _exact_model(solver, _variables(encoding, slopes), [])
            verdict = _refutation(encoding, values) if values is not None else None
            if verdict is not None:
                return verdict
        elif not outcome.unsat:
            return Verdict("unknown", reason=f"{failed} ({outcome.reason})")
    # 3. Neither concave nor convex: a step plus a line, with its steps at the arguments.
    if encoding.family != "monotone" and pinned_points:
        verdict = _step_refutation(encoding, base, pinned_points, deadline)
        if verdict is not None:
            return verdict
    if not encoding.complete_split:
        failed += f" (splitting stopped at {MAX_TERMS} terms, so the axioms may be too weak)"
    return Verdict("unknown", reason=failed)


def _step_refutation(
    encoding: _Encoding,
    base: list[z3.BoolRef],
    pinned: list[tuple[_Term, Fraction]],
    deadline: float,
) -> Verdict | None:
    """A refutation with g a step-plus-linear member, its arguments pinned to a model's."""
    problem = encoding.problem
    for g in step_witnesses([x for _, x in pinned], encoding.family):
        if time.monotonic() > deadline:
            return None
        solver = encoding.solver(max(0.2, min(1.0, deadline - time.monotonic())))
        solver.add(*base)
        for term, x in pinned:
            solver.add(term.x == real(x, encoding.context), term.y == real(g(x), encoding.context))
        if solver.check() != z3.sat:
            continue
        values = _exact_model(solver, list(encoding.encoder.variables.values()), [])
        if values is None:
            continue
        atoms: dict[sympy.Basic, sympy.Expr] = {
            symbol: sympy.Rational(values[str(v)].numerator, values[str(v)].denominator)
            for symbol, v in encoding.encoder.variables.items()
            if str(v) in values
        }
        formulas = [
            problem.claim,
            *(h.formula for h in problem.hypotheses if h.formula is not None),
        ]
        exact = _with_exchange(formulas, atoms, g)
        if exact is None or not confirm(problem, exact):
            continue
        shown: list[tuple[str, Fraction]] = []
        for symbol in relevant_atoms(problem.claim, include_g=False):
            value = exact_number(exact[symbol]) if symbol in exact else None
            if value is not None:
                shown.append((symbol.name, value))
        used: dict[Fraction, Fraction] = {}
        for application in _applications(problem.claim):
            argument = exact_number(application.args[0].xreplace(exact))
            if argument is not None:
                used[argument] = g(argument)
        shown.extend((f"g({fraction_text(a)})", y) for a, y in sorted(used.items()))
        return Verdict("refuted", counterexample=tuple(shown), notes=(g.describe(),))
    return None


# ---- for some g ---------------------------------------------------------------------------


def _mentions_exchange(formula: LogicFormula) -> bool:
    return bool(_applications(formula))


def _formulas(problem: Problem) -> list[LogicFormula]:
    return [problem.claim, *(h.formula for h in problem.hypotheses if h.formula is not None)]


def _transcendental(problem: Problem) -> bool:
    """Whether a log2 or an exponential b^x occurs in the claim or an assumption."""
    return any(
        e.has(log2) or any(is_exponential(p) for p in e.atoms(sympy.Pow))
        for f in _formulas(problem)
        for a in atomics(f)
        for e in (a.lhs, a.rhs)
    )


def _mentions_g(problem: Problem) -> bool:
    return any(
        _mentions_exchange(f)
        or any(G in a.lhs.free_symbols | a.rhs.free_symbols for a in atomics(f))
        for f in _formulas(problem)
    )


def _linearised(formula: LogicFormula) -> LogicFormula:
    """The formula with every g(x) read as k·x (k the linear family's rate)."""
    if isinstance(formula, Atomic):

        def linear(e: sympy.Expr) -> sympy.Expr:
            return e.replace(
                lambda x: isinstance(x, AppliedUndef) and x.func == EXCHANGE,
                lambda x: G * x.args[0],
            )

        return Atomic(formula.op, linear(formula.lhs), linear(formula.rhs))
    if isinstance(formula, Negation):
        return Negation(_linearised(formula.operand))
    return Junction(formula.op, _linearised(formula.left), _linearised(formula.right))


def _decide_for_some(problem: Problem, family: str, context: z3.Context) -> Verdict:
    plain = [
        h for h in problem.hypotheses if h.formula is None or not _mentions_exchange(h.formula)
    ]
    # The assumptions about g constrain the g chosen (DESIGN §12): with g(x) = k·x they
    # join the claim, so that k must satisfy them too.
    claim = _linearised(problem.claim)
    for hypothesis in problem.hypotheses:
        if hypothesis not in plain and hypothesis.formula is not None:
            claim = Junction("and", _linearised(hypothesis.formula), claim)
    linear = decide_linear(Problem(claim, plain, True, "linear", problem.timeout), context)
    if linear.status == "proved":
        return Verdict(
            "proved",
            uses=linear.uses,
            notes=(
                "for every admissible cost assignment a linear g(x) = k·x (k > 0) satisfies the "
                f"claim, and every such g is {family}",
            ),
        )
    if len(plain) != len(problem.hypotheses):
        return Verdict(
            "unknown",
            reason="no linear g works for every admissible cost "
            "assignment, and `for some g` with assumptions about g is only decided "
            "through linear g in non-linear families",
        )
    encoding = _encode(problem, family, context)
    assert encoding.claim is not None
    # For fixed costs, "some g of the family satisfies the claim" implies that some values
    # of g at the terms satisfy the axioms' instances and the claim; for the monotone family
    # the converse holds as well (the instances are exactly order-consistency with (0, 0)).
    satisfiable = z3.And(
        [a.formula for a in encoding.axioms] + encoding.defined() + [encoding.claim]
    )
    ys = [t.y for t in encoding.exchange.terms.values()]
    nobody = z3.ForAll(ys, z3.Not(satisfiable)) if ys else z3.Not(satisfiable)
    everything = list(encoding.hypotheses)

    def search(names: Sequence[str]) -> tuple[Outcome, z3.Solver]:
        # z3's default solver gives up on these ∀-formulas where its quantifier-alternation
        # procedure for real arithmetic (qsat) decides them. That procedure reports no
        # unsat cores, so the assumptions used are found by deletion, one solver each.
        solver = z3.Tactic("qsat", context).solver()
        solver.set("timeout", max(1, int(problem.timeout * 1000)))
        solver.set("ctrl_c", False)
        solver.add(*(encoding.hypotheses[name] for name in names), nobody)
        return check(solver), solver

    outcome, solver = search(everything)
    if outcome.unsat and family == "monotone":
        kept = list(everything)
        for name in everything:
            trial = [k for k in kept if k != name]
            if search(trial)[0].unsat:
                kept = trial
        return Verdict(
            "proved",
            uses=tuple(kept),
            notes=(
                "for every admissible cost assignment some values of g at the points where it is "
                "applied are ordered like the points (and like 0 at 0) and satisfy the claim; "
                "any such values lie on a strictly increasing piecewise-linear g",
            ),
        )
    if not outcome.sat:
        if outcome.unsat:
            why = (
                f"for every admissible cost assignment the claim is consistent with the "
                f"instantiated axioms, which are necessary but not sufficient for a {family} g"
            )
        else:
            why = f"the search for costs where no g works failed: {outcome.reason}"
        return Verdict(
            "unknown", reason=f"no linear g works for every admissible cost assignment, and {why}"
        )
    values = _exact_model(solver, list(encoding.encoder.variables.values()), [])
    if values is None:
        return Verdict("unknown", reason="z3 found costs where no g works, but not rational ones")
    atoms: dict[sympy.Basic, sympy.Expr] = {
        symbol: sympy.Rational(values[str(v)].numerator, values[str(v)].denominator)
        for symbol, v in encoding.encoder.variables.items()
    }
    # Re-check with the costs fixed: the axioms' instances and the claim have no common
    # solution in the values of g, so no g of the family satisfies the claim there.
    fixed = encoding.solver(problem.timeout)
    fixed.add(*(v == real(values[str(v)], context) for v in encoding.encoder.variables.values()))
    fixed.add(satisfiable)
    if not check(fixed).unsat:
        return Verdict("unknown", reason="z3's costs where no g works did not survive the re-check")
    if not hypotheses_hold(problem.hypotheses, atoms):
        return Verdict("unknown", reason="z3's costs did not satisfy the assumptions exactly")
    shown = tuple(
        (s.name, Fraction(int(atoms[s].p), int(atoms[s].q)))
        for s in relevant_atoms(problem.claim, include_g=False)
        if s in atoms
    )
    points = len(encoding.exchange.terms)
    return Verdict(
        "refuted",
        counterexample=shown,
        notes=(
            f"with these costs no {family} g satisfies the claim: its axioms instantiated where g "
            f"is applied ({points} {'point' if points == 1 else 'points'}) already contradict it "
            "(re-checked with the costs fixed, in exact rational arithmetic)",
        ),
    )
