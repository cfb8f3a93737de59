"""The linear exchange family: g is a rate, g > 0, and a program's score is g·c + t.

A claim is valid when it holds for every assignment of the cost atoms that satisfies the
assumptions and the default bounds, and for every g > 0. We ask z3 for a model of
`assumptions ∧ bounds ∧ g > 0 ∧ ¬claim`:

* unsat  -> proved; the unsat core over one indicator per named assumption (and one for
  all default bounds, "positivity") is shrunk by deletion until every member is needed;
* sat    -> the model is made rational, re-evaluated exactly (`exact.confirm`: assumptions
  hold, claim fails) and only then reported as refuted;
* otherwise unknown, with z3's reason.

`for some g` claims are ∀ atoms ∃ g > 0. Every comparison is affine in g, so ∃ g is
eliminated exactly by virtual substitution (Loos–Weispfenning): the set of g satisfying
the formula is a union of intervals whose ends are 0 or roots -b/a of the comparisons, so
it is non-empty iff the formula holds at some root or just right of 0 or of some root.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import sympy
import z3

from calculus.costs import Atomic, G, LogicFormula, Negation, atomics
from calculus.logic.exact import confirm, relevant_atoms
from calculus.logic.records import Problem, Verdict
from calculus.logic.solver import (
    Encoder,
    Unsupported,
    check,
    compare,
    junction,
    new_solver,
    rational,
    rational_model,
    real,
    shrink_core,
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


def decide_linear(problem: Problem, context: z3.Context) -> Verdict:
    """Decide a claim of the linear family with terms made in `context`."""
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    g = encoder.var(G)
    solver.add(g > 0)
    indicators: dict[str, z3.BoolRef] = {}
    for hypothesis in problem.hypotheses:
        indicator = z3.Bool(f"⟨{hypothesis.name}⟩", context)
        indicators[hypothesis.name] = indicator
        parts = [encoder.bound(symbol, kind) for symbol, kind in hypothesis.bounds]
        if hypothesis.formula is not None:
            parts.append(encoder.formula(hypothesis.formula))
        solver.add(z3.Implies(indicator, z3.And(parts) if parts else z3.BoolVal(True, context)))
    if problem.for_some_g:
        negated = z3.Not(eliminate_exists_g(problem.claim, encoder))
    else:
        negated = z3.Not(encoder.formula(problem.claim))
    solver.add(negated)
    # No `denominator != 0` here: a division under a guard (`x != y -> 1/(x - y) > 0`) may
    # be zero where it is not evaluated, and ruling such points out would make false claims
    # provable. Claims reach this point only once their divisions are shown well defined
    # (calculus.definedness), and then z3's total division agrees with the claim's meaning.
    outcome = check(solver, list(indicators.values()))
    if outcome.sat:
        # Prefer a counterexample at which every division is defined (easier to re-check).
        solver.push()
        solver.add(*encoder.defined())
        if not check(solver, list(indicators.values())).sat:
            solver.pop()
            outcome = check(solver, list(indicators.values()))
    if outcome.unsat:
        core = shrink_core(solver, list(solver.unsat_core()))
        names = {str(ind): name for name, ind in indicators.items()}
        order = list(indicators)
        uses = sorted((names[str(c)] for c in core), key=order.index)
        return Verdict("proved", uses=tuple(uses))
    if outcome.sat:
        return _counterexample(solver, encoder, problem, list(indicators.values()))
    return Verdict("unknown", reason=outcome.reason)


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
        current = rational(model.eval(variable, model_completion=True))
        candidates = [Fraction(1)]
        if current is not None and current > 0:
            candidates.append(Fraction(max(1, round(current))))
        for candidate in dict.fromkeys(candidates):
            solver.push()
            solver.add(variable == real(candidate, encoder.context))
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
    shown = relevant_atoms(problem.claim, include_g=not problem.for_some_g)
    model = _readable_model(solver, encoder, shown, indicators)
    symbols = list(encoder.variables)
    numbers = rational_model(
        solver, [encoder.variables[s] for s in symbols], indicators, model=model
    )
    if numbers is None:
        return Verdict(
            "unknown",
            reason="z3 found a counterexample with irrational values "
            "and no rational one was confirmed",
        )
    exact = dict(zip(symbols, numbers, strict=True))
    values: dict[sympy.Basic, sympy.Expr] = {
        s: sympy.Rational(v.numerator, v.denominator) for s, v in exact.items()
    }
    if not confirm(problem, values):
        return Verdict("unknown", reason="z3's counterexample did not survive exact re-evaluation")
    counterexample = tuple((symbol.name, exact[symbol]) for symbol in shown if symbol in exact)
    assignment = tuple(
        (symbol.name, value)
        for symbol, value in sorted(exact.items(), key=lambda item: str(item[0]))
    )
    return Verdict("refuted", counterexample=counterexample, assignment=assignment)
