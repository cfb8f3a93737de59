"""Deciding claims with z3: proved (with a minimal set of assumptions used), refuted (with
an exactly re-checked counterexample) or unknown (with the solver's reason).

A claim is valid when it holds for every assignment of the cost atoms that satisfies the
assumptions and the default bounds, and for every g of the exchange family. We ask z3 for
a model of `assumptions ∧ bounds ∧ g > 0 ∧ ¬claim`:

* unsat  -> proved; the unsat core over one indicator per named assumption (and one for
  all default bounds, "positivity") is shrunk by deletion until every member is needed;
* sat    -> the model is made rational, re-evaluated exactly with sympy (assumptions hold,
  claim fails) and only then reported as refuted;
* otherwise unknown, with z3's reason.

`for some g` claims are ∀ atoms ∃ g > 0. Every comparison is affine in g, so ∃ g is
eliminated exactly by virtual substitution (Loos–Weispfenning): the set of g satisfying
the formula is a union of intervals whose ends are 0 or roots -b/a of the comparisons, so
it is non-empty iff the formula holds at some root or just right of 0 or of some root.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy
import z3

from calculus.costs import EXCHANGE, Atomic, G, LogicFormula, Negation, atomics

POSITIVITY = "positivity"


@dataclass(frozen=True)
class Verdict:
    status: str  # "proved" | "refuted" | "unknown"
    uses: tuple[str, ...] = ()
    counterexample: tuple[tuple[str, Fraction], ...] | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    # The full exact assignment behind a counterexample (every atom in play, and g).
    assignment: tuple[tuple[str, Fraction], ...] = ()


@dataclass(frozen=True)
class Hypothesis:
    """A named constraint the solver may use: an assumption, or the default bounds."""

    name: str
    formula: LogicFormula | None = None
    bounds: tuple[tuple[sympy.Symbol, str], ...] = ()


class Unsupported(Exception):
    """A formula outside what the solver encoding handles; becomes an `unknown`."""


# ---- sympy -> z3 ------------------------------------------------------------------------


@dataclass
class Encoder:
    """Translates sympy expressions over cost atoms into z3 terms, one z3 Real per atom."""

    variables: dict[sympy.Symbol, z3.ArithRef] = field(default_factory=dict)
    exchange: Callable[[sympy.Expr, z3.ArithRef], z3.ArithRef] | None = None
    denominators: list[sympy.Expr] = field(default_factory=list)

    def var(self, symbol: sympy.Symbol) -> z3.ArithRef:
        if symbol not in self.variables:
            self.variables[symbol] = z3.Real(symbol.name)
        return self.variables[symbol]

    def expr(self, e: sympy.Expr) -> z3.ArithRef:
        if e.is_Symbol:
            return self.var(e)
        if e.is_Rational:
            return z3.RealVal(f"{e.p}/{e.q}")
        if e.is_Add:
            return z3.Sum([self.expr(a) for a in e.args])
        if e.is_Mul:
            numerator, denominator = sympy.fraction(e)
            if denominator != 1:
                self.denominators.append(denominator)
                return self.expr(numerator) / self.expr(denominator)
            result = self.expr(e.args[0])
            for arg in e.args[1:]:
                result = result * self.expr(arg)
            return result
        if e.is_Pow:
            base, exponent = e.args
            if exponent.is_Integer:
                power = int(exponent)
                if power < 0:
                    self.denominators.append(base ** (-power))
                    return 1 / self.expr(base ** (-power))
                result = self.expr(base)
                for _ in range(power - 1):
                    result = result * self.expr(base)
                return result
            raise Unsupported(f"non-integer power {e}")
        if isinstance(e, sympy.core.function.AppliedUndef) and e.func == EXCHANGE:
            if self.exchange is None:
                raise Unsupported("g(...) outside a non-linear family")
            return self.exchange(e.args[0], self.expr(e.args[0]))
        raise Unsupported(f"cannot encode {e}")

    def formula(self, f: LogicFormula) -> z3.BoolRef:
        if isinstance(f, Atomic):
            return compare(f.op, self.expr(f.lhs), self.expr(f.rhs))
        if isinstance(f, Negation):
            return z3.Not(self.formula(f.operand))
        left, right = self.formula(f.left), self.formula(f.right)
        if f.op == "and":
            return z3.And(left, right)
        if f.op == "or":
            return z3.Or(left, right)
        if f.op == "->":
            return z3.Implies(left, right)
        return left == right


def compare(op: str, left: z3.ArithRef, right: z3.ArithRef) -> z3.BoolRef:
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    if op == ">=":
        return left >= right
    if op == "=":
        return left == right
    return left != right


# ---- exact evaluation -------------------------------------------------------------------


def _holds(op: str, difference: sympy.Expr) -> bool:
    """`difference op 0`, exactly; raises ZeroDivisionError where undefined."""
    if not difference.is_Rational:
        raise ZeroDivisionError(f"not a number: {difference}")
    value = Fraction(int(difference.p), int(difference.q))
    return {
        "<": value < 0,
        "<=": value <= 0,
        ">": value > 0,
        ">=": value >= 0,
        "=": value == 0,
        "!=": value != 0,
    }[op]


def evaluate(f: LogicFormula, values: dict[sympy.Basic, sympy.Expr]) -> bool:
    """Truth of a formula at exact values (atoms, g, and g(x) applications)."""
    if isinstance(f, Atomic):
        difference = (f.lhs - f.rhs).xreplace(values)
        difference = sympy.nsimplify(difference) if not difference.is_Rational else difference
        return _holds(f.op, sympy.expand(difference))
    if isinstance(f, Negation):
        return not evaluate(f.operand, values)
    left = evaluate(f.left, values)
    right = evaluate(f.right, values)
    if f.op == "and":
        return left and right
    if f.op == "or":
        return left or right
    if f.op == "->":
        return (not left) or right
    return left == right


def exists_g(f: LogicFormula, values: dict[sympy.Basic, sympy.Expr]) -> bool:
    """Exactly: is there a g > 0 making `f` true at these atom values? (linear family)"""
    roots: set[Fraction] = set()
    for a in atomics(f):
        difference = sympy.expand((a.lhs - a.rhs).xreplace(values))
        slope = difference.coeff(G, 1)
        offset = difference.coeff(G, 0)
        if slope != 0:
            root = -offset / slope
            roots.add(Fraction(int(root.p), int(root.q)))
    points = sorted(r for r in roots if r > 0)
    edges = [Fraction(0)] + points
    candidates = list(points)
    for low, high in itertools.pairwise(edges + [edges[-1] + 2]):
        candidates.append((low + high) / 2)
    return any(
        evaluate(f, {**values, G: sympy.Rational(p.numerator, p.denominator)}) for p in candidates
    )


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
    if not epsilon:
        return compare(op, value, z3.RealVal(0))
    zero = value == 0
    if op in ("<", "<="):
        return z3.Or(value < 0, z3.And(zero, compare(op, slope, z3.RealVal(0))))
    if op in (">", ">="):
        return z3.Or(value > 0, z3.And(zero, compare(op, slope, z3.RealVal(0))))
    if op == "=":
        return z3.And(zero, slope == 0)
    return z3.Not(z3.And(zero, slope == 0))


def eliminate_exists_g(f: LogicFormula, encoder: Encoder) -> z3.BoolRef:
    """A quantifier-free z3 formula over the atoms equivalent to ∃ g > 0. f."""
    leaves = atomics(f)
    affine = {id(a): _affine_in_g(a) for a in leaves}
    encoded = {
        id(a): (encoder.expr(s), encoder.expr(o))
        for a, (s, o) in ((a, affine[id(a)]) for a in leaves)
    }

    def substitute(g_sign: Callable[[Atomic], z3.BoolRef]) -> z3.BoolRef:
        def walk(node: LogicFormula) -> z3.BoolRef:
            if isinstance(node, Atomic):
                return g_sign(node)
            if isinstance(node, Negation):
                return z3.Not(walk(node.operand))
            left, right = walk(node.left), walk(node.right)
            if node.op == "and":
                return z3.And(left, right)
            if node.op == "or":
                return z3.Or(left, right)
            if node.op == "->":
                return z3.Implies(left, right)
            return left == right

        return walk(f)

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


def _bound(op: str, variable: z3.ArithRef) -> z3.BoolRef:
    return variable >= 0 if op == "nonneg" else variable > 0


@dataclass
class Problem:
    """One claim with the hypotheses it may use, ready to be decided."""

    claim: LogicFormula
    hypotheses: Sequence[Hypothesis]
    for_some_g: bool = False
    family: str = "linear"
    timeout: float = 10.0


def _rational(value: z3.ExprRef) -> Fraction | None:
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())  # type: ignore[attr-defined]
    return None


_SPARE_CONTEXTS: queue.SimpleQueue[z3.Context] = queue.SimpleQueue()


def prepare_contexts(count: int) -> None:
    """Create `count` z3 contexts on a background thread for the claims about to be decided.

    Creating a context takes about 6 ms inside z3, during which ctypes releases the GIL, so
    this overlaps with the Python work of translating the claims.
    """

    def make() -> None:
        for _ in range(count):
            _SPARE_CONTEXTS.put(z3.Context())

    threading.Thread(target=make, name="z3-contexts", daemon=True).start()


def _fresh_solver_state() -> None:
    """Start each claim in a new z3 context.

    z3's models depend on what the context has seen before, so without this a claim's
    counterexample would depend on which claims were decided earlier in the same process
    (the CLI, the REPL and the report would show different numbers for one claim).
    """
    try:
        spare: z3.Context | None = _SPARE_CONTEXTS.get_nowait()
    except queue.Empty:
        spare = None
    z3.z3._main_ctx = spare  # type: ignore[attr-defined]


def decide(problem: Problem) -> Verdict:
    """Decide one claim; never raises for solver trouble (that is an `unknown`)."""
    _fresh_solver_state()
    try:
        return _decide(problem)
    except Unsupported as error:
        return Verdict("unknown", reason=str(error))
    except z3.Z3Exception as error:
        return Verdict("unknown", reason=f"z3 error: {error}")


def _decide(problem: Problem) -> Verdict:
    if problem.family != "linear":
        from calculus.families import decide_family

        return decide_family(problem)
    encoder = Encoder()
    solver = z3.Solver()
    solver.set("timeout", max(1, int(problem.timeout * 1000)))
    g = encoder.var(G)
    solver.add(g > 0)
    indicators: dict[str, z3.BoolRef] = {}
    for hypothesis in problem.hypotheses:
        indicator = z3.Bool(f"⟨{hypothesis.name}⟩")
        indicators[hypothesis.name] = indicator
        parts = [_bound(kind, encoder.var(symbol)) for symbol, kind in hypothesis.bounds]
        if hypothesis.formula is not None:
            parts.append(encoder.formula(hypothesis.formula))
        solver.add(z3.Implies(indicator, z3.And(parts) if parts else z3.BoolVal(True)))
    if problem.for_some_g:
        negated = z3.Not(eliminate_exists_g(problem.claim, encoder))
    else:
        negated = z3.Not(encoder.formula(problem.claim))
    solver.add(negated)
    # Counterexamples are only sought where every division is defined.
    for denominator in encoder.denominators:
        solver.add(encoder.expr(denominator) != 0)
    result = solver.check(*indicators.values())
    if result == z3.unsat:
        core = _minimise(solver, list(solver.unsat_core()), problem.timeout)
        names = {str(ind): name for name, ind in indicators.items()}
        order = list(indicators)
        uses = sorted((names[str(c)] for c in core), key=order.index)
        return Verdict("proved", uses=tuple(uses))
    if result == z3.sat:
        return _counterexample(solver, encoder, problem, list(indicators.values()))
    return Verdict("unknown", reason=_reason(solver))


def _reason(solver: z3.Solver) -> str:
    reason = solver.reason_unknown()
    if reason in ("timeout", "canceled"):
        return "the solver timed out"
    return f"the solver gave up ({reason})"


def _minimise(solver: z3.Solver, core: list[z3.BoolRef], timeout: float) -> list[z3.BoolRef]:
    """Deletion-based shrinking: afterwards dropping any member makes the problem sat."""
    kept = list(core)
    for candidate in list(core):
        if candidate not in kept:
            continue
        trial = [c for c in kept if not c.eq(candidate)]
        if solver.check(*trial) == z3.unsat:
            smaller = solver.unsat_core()
            kept = [c for c in trial if any(c.eq(s) for s in smaller)]
    return kept


def _readable_model(
    solver: z3.Solver, encoder: Encoder, shown: list[sympy.Symbol], indicators: list[z3.BoolRef]
) -> z3.ModelRef:
    """Pin the shown atoms (g first) to small numbers where the problem stays satisfiable,
    so counterexamples read like `g = 1, c(x) = 2` rather than `c(x) = 193/64`."""
    model = solver.model()
    pinned = [encoder.variables[s] for s in shown if s in encoder.variables]
    # One query first: often every shown atom can be 1 at once.
    solver.push()
    solver.add(*[variable == 1 for variable in pinned])
    if solver.check(*indicators) == z3.sat:
        model = solver.model()
        solver.pop()
        return model
    solver.pop()
    depth = 0
    order = sorted(shown, key=lambda s: s != G)
    for symbol in order:
        variable = encoder.variables.get(symbol)
        if variable is None:
            continue
        current = _rational(model.eval(variable, model_completion=True))
        candidates = [Fraction(1)]
        if current is not None and current > 0:
            candidates.append(Fraction(max(1, round(current))))
        for candidate in dict.fromkeys(candidates):
            solver.push()
            solver.add(variable == z3.RealVal(f"{candidate.numerator}/{candidate.denominator}"))
            if solver.check(*indicators) == z3.sat:
                model = solver.model()
                depth += 1
                break
            solver.pop()
    result = model
    for _ in range(depth):
        solver.pop()
    return result


def _counterexample(
    solver: z3.Solver, encoder: Encoder, problem: Problem, indicators: list[z3.BoolRef]
) -> Verdict:
    model = _readable_model(
        solver, encoder, relevant_atoms(problem.claim, include_g=not problem.for_some_g), indicators
    )
    values = _exact_values(solver, model, encoder, indicators)
    if values is None:
        return Verdict(
            "unknown",
            reason="z3 found a counterexample with irrational values "
            "and no rational one was confirmed",
        )
    if not _confirm(problem, values):
        return Verdict("unknown", reason="z3's counterexample did not survive exact re-evaluation")
    shown = relevant_atoms(problem.claim, include_g=not problem.for_some_g)
    counterexample = tuple(
        (symbol.name, Fraction(int(values[symbol].p), int(values[symbol].q)))
        for symbol in shown
        if symbol in values
    )
    assignment = tuple(
        (symbol.name, Fraction(int(value.p), int(value.q)))
        for symbol, value in sorted(values.items(), key=lambda item: str(item[0]))
    )
    return Verdict("refuted", counterexample=counterexample, assignment=assignment)


def _exact_values(
    solver: z3.Solver, model: z3.ModelRef, encoder: Encoder, indicators: list[z3.BoolRef]
) -> dict[sympy.Basic, sympy.Expr] | None:
    raw = {s: model.eval(v, model_completion=True) for s, v in encoder.variables.items()}
    irrational = [s for s, v in raw.items() if _rational(v) is None]
    if irrational:
        # Pin the irrational coordinates to nearby rationals and ask again (it is then
        # usually a linear problem, whose models are rational).
        for digits in (3, 6, 12):
            solver.push()
            for symbol in irrational:
                approximation = raw[symbol].approx(digits)  # type: ignore[attr-defined]
                solver.add(encoder.variables[symbol] == approximation)
            if solver.check(*indicators) == z3.sat:
                retry = solver.model()
                raw = {
                    s: retry.eval(v, model_completion=True) for s, v in encoder.variables.items()
                }
                solver.pop()
                if all(_rational(v) is not None for v in raw.values()):
                    break
            else:
                solver.pop()
        else:
            return None
    exact: dict[sympy.Basic, sympy.Expr] = {}
    for symbol, value in raw.items():
        fraction = _rational(value)
        if fraction is None:
            return None
        exact[symbol] = sympy.Rational(fraction.numerator, fraction.denominator)
    return exact


def hypotheses_hold(
    hypotheses: Sequence[Hypothesis], values: dict[sympy.Basic, sympy.Expr]
) -> bool:
    """Exactly: every default bound and assumption holds at `values` (unset atoms are 1)."""
    try:
        for hypothesis in hypotheses:
            for symbol, kind in hypothesis.bounds:
                value = values.get(symbol, sympy.Integer(1))
                if value < 0 or (kind == "positive" and value == 0):
                    return False
            if hypothesis.formula is not None and not evaluate(hypothesis.formula, values):
                return False
        return True
    except (ZeroDivisionError, TypeError):
        return False


def _confirm(problem: Problem, values: dict[sympy.Basic, sympy.Expr]) -> bool:
    """Exact re-check: every hypothesis holds and the claim fails at `values`."""
    if values.get(G, sympy.Integer(1)) <= 0 or not hypotheses_hold(problem.hypotheses, values):
        return False
    try:
        if problem.for_some_g:
            return not exists_g(problem.claim, values)
        return not evaluate(problem.claim, values)
    except (ZeroDivisionError, TypeError):
        return False


def relevant_atoms(f: LogicFormula, include_g: bool = True) -> list[sympy.Symbol]:
    """Atoms the claim's truth depends on: those left in the simplified sides' difference."""
    seen: dict[sympy.Symbol, None] = {}
    for a in atomics(f):
        for symbol in sorted(sympy.expand(a.lhs - a.rhs).free_symbols, key=lambda s: s.name):
            if symbol == G and not include_g:
                continue
            seen.setdefault(symbol, None)
    ordered = [s for s in seen if s != G]
    if G in seen:
        ordered.append(G)
    return ordered
