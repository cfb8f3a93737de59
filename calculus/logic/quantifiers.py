"""The quantifiers of version 2 (DESIGN §9.2): `for some costs`, `for some n` over a
parameter, and `eventually in n:` (∃N ∀n ≥ N).

* `for some costs`: ∃ admissible atoms (and, in the linear family, g > 0) making the claim
  true. A model of `hypotheses ∧ claim` is made rational and re-checked exactly before it
  is shown as the witness of a proof; `unsat` refutes it, with the minimised core of the
  assumptions that rule it out. Parameters not quantified by `for some n` stay ∀, which
  this procedure does not decide (`unknown`, saying so).
* `for some n`: ∀ atoms (assumptions without n → ∃ n. assumptions with n ∧ bounds of n ∧
  claim); the assumptions mentioning n constrain the n chosen. z3 decides the ∀∃ formula
  (quantifier instantiation, then its `qsat` procedure for real arithmetic); a
  counterexample (atoms for which no n works) is re-checked exactly: with the atoms fixed
  the formula is one of n alone, decided by isolating the real roots of its polynomials.
* `eventually in n:`: for fixed atoms every comparison of rational functions of n has a
  constant sign for all large n — the sign of its leading coefficients — so ∃N ∀n ≥ N. φ
  is the formula φ∞ over the atoms in which each comparison is replaced by that condition
  on its coefficients. φ∞ is then decided like any claim (and re-checked exactly), which
  is exact for polynomial and rational growth in n; other growth in n is `unknown`.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction

import sympy
import z3

from calculus.costs import (
    EXCHANGE,
    Atomic,
    G,
    Junction,
    LogicFormula,
    Negation,
    atomics,
    log2,
)
from calculus.logic.exact import Values, evaluate, hypotheses_hold, relevant_atoms
from calculus.logic.records import Hypothesis, Problem, Verdict
from calculus.logic.solver import (
    Encoder,
    Unsupported,
    check,
    guarded_hypotheses,
    new_solver,
    rational,
    rational_model,
    shrink_core,
)
from calculus.numbers import fraction_text

Decider = Callable[[Problem, z3.Context], Verdict]

TRUE: LogicFormula = Atomic("=", sympy.Integer(0), sympy.Integer(0))
FALSE: LogicFormula = Atomic("<", sympy.Integer(0), sympy.Integer(0))


def decide_quantified(problem: Problem, context: z3.Context, plain: Decider) -> Verdict:
    """Decide a problem with version-2 quantifiers; `plain` decides the others."""
    if problem.eventually is not None:
        return _eventually(problem, context, plain)
    if problem.for_some_costs:
        return _for_some_costs(problem, context)
    if problem.for_some_parameters:
        return _for_some_parameters(problem, context)
    return plain(problem, context)


def _symbols(formula: LogicFormula) -> set[sympy.Symbol]:
    found: set[sympy.Symbol] = set()
    for a in atomics(formula):
        found |= a.lhs.free_symbols | a.rhs.free_symbols
    return found


def _mentions(hypothesis: Hypothesis, symbols: set[sympy.Symbol]) -> bool:
    return hypothesis.formula is not None and bool(_symbols(hypothesis.formula) & symbols)


def _conjunction(formulas: Sequence[LogicFormula]) -> LogicFormula:
    result: LogicFormula | None = None
    for formula in formulas:
        result = formula if result is None else Junction("and", result, formula)
    return result if result is not None else TRUE


def _disjunction(formulas: Sequence[LogicFormula]) -> LogicFormula:
    result: LogicFormula | None = None
    for formula in formulas:
        result = formula if result is None else Junction("or", result, formula)
    return result if result is not None else FALSE


# ---- eventually in n ---------------------------------------------------------------------


def _coefficients(polynomial: sympy.Expr, n: sympy.Symbol) -> list[sympy.Expr]:
    """Coefficients of a sum of terms n^a·log2(n)^b, the fastest-growing first (by a, then
    b: each such term outgrows every later one); `Unsupported` for other growth in n."""
    logarithm = sympy.Dummy("log2n", positive=True)
    replaced = polynomial.xreplace({log2(n): logarithm})
    try:
        poly = sympy.Poly(replaced, n, logarithm)
    except sympy.PolynomialError as error:
        raise Unsupported(
            f"`eventually in {n}` is decided for growth like {n}^a·log2({n})^b, "
            f"not for {polynomial}"
        ) from error
    terms = sorted(poly.terms(), key=lambda term: term[0], reverse=True)
    coefficients = [sympy.expand(c) for _, c in terms]
    if any({n, logarithm} & c.free_symbols for c in coefficients):
        raise Unsupported(f"`eventually in {n}`: cannot separate {n} in {polynomial}")
    return coefficients


def _leading_sign(coefficients: list[sympy.Expr]) -> tuple[LogicFormula, LogicFormula]:
    """(positive, negative): the conditions under which the polynomial with these
    coefficients is eventually positive, eventually negative."""
    positive: list[LogicFormula] = []
    negative: list[LogicFormula] = []
    higher_zero: list[LogicFormula] = []
    zero = sympy.Integer(0)
    for coefficient in coefficients:
        if coefficient.is_number:
            if coefficient == 0:
                continue
            if coefficient > 0:
                positive.append(_conjunction(higher_zero))
            else:
                negative.append(_conjunction(higher_zero))
            break  # a non-zero constant decides; lower coefficients never matter
        positive.append(_conjunction([*higher_zero, Atomic(">", coefficient, zero)]))
        negative.append(_conjunction([*higher_zero, Atomic("<", coefficient, zero)]))
        higher_zero.append(Atomic("=", coefficient, zero))
    return _disjunction(positive), _disjunction(negative)


def _eventual_atomic(a: Atomic, n: sympy.Symbol) -> LogicFormula:
    difference = sympy.together(a.lhs - a.rhs)
    if n not in difference.free_symbols:
        return a
    numerator, denominator = sympy.fraction(difference)
    top = _coefficients(sympy.expand(numerator), n)
    bottom = _coefficients(sympy.expand(denominator), n)
    top_positive, top_negative = _leading_sign(top)
    bottom_positive, bottom_negative = _leading_sign(bottom)
    positive = Junction(
        "or",
        Junction("and", top_positive, bottom_positive),
        Junction("and", top_negative, bottom_negative),
    )
    negative = Junction(
        "or",
        Junction("and", top_positive, bottom_negative),
        Junction("and", top_negative, bottom_positive),
    )
    zero = _conjunction([Atomic("=", c, sympy.Integer(0)) for c in top if not c == 0])
    if any(c.is_number and c != 0 for c in top):
        zero = FALSE
    return {
        "<": negative,
        "<=": Junction("or", negative, zero),
        ">": positive,
        ">=": Junction("or", positive, zero),
        "=": zero,
        "!=": Negation(zero),
    }[a.op]


def eventual(formula: LogicFormula, n: sympy.Symbol) -> LogicFormula:
    """A formula without n equivalent to ∃N ∀n ≥ N. formula (rational functions of n)."""
    if isinstance(formula, Atomic):
        return _eventual_atomic(formula, n)
    if isinstance(formula, Negation):
        return Negation(eventual(formula.operand, n))
    return Junction(formula.op, eventual(formula.left, n), eventual(formula.right, n))


def _eventually(problem: Problem, context: z3.Context, plain: Decider) -> Verdict:
    n = problem.eventually
    assert n is not None
    about_n = [h for h in problem.hypotheses if _mentions(h, {n})]
    claim = problem.claim
    if about_n:
        # Assumptions about n need only hold for the large n: ∃N ∀n ≥ N (A(n) → φ(n)).
        premise = _conjunction([h.formula for h in about_n if h.formula is not None])
        claim = Junction("->", premise, claim)
    limit = eventual(claim, n)
    others = [h for h in problem.hypotheses if h not in about_n]
    inner = replace(problem, claim=limit, hypotheses=others, eventually=None)
    verdict = decide_quantified(inner, context, plain)
    note = (
        f"eventually in {n}: each comparison's sign for large {n} is that of its leading "
        f"coefficients in {n}"
    )
    return replace(verdict, notes=(*verdict.notes, note))


# ---- for some costs ------------------------------------------------------------------------


def _linearised(formula: LogicFormula) -> LogicFormula:
    """g(x) read as k·x with k the rate g (a linear member of every family)."""
    if isinstance(formula, Atomic):

        def linear(e: sympy.Expr) -> sympy.Expr:
            return e.replace(
                lambda x: isinstance(x, sympy.core.function.AppliedUndef) and x.func == EXCHANGE,
                lambda x: G * x.args[0],
            )

        return Atomic(formula.op, linear(formula.lhs), linear(formula.rhs))
    if isinstance(formula, Negation):
        return Negation(_linearised(formula.operand))
    return Junction(formula.op, _linearised(formula.left), _linearised(formula.right))


def _has_exchange(formula: LogicFormula) -> bool:
    return any(a.lhs.has(EXCHANGE) or a.rhs.has(EXCHANGE) for a in atomics(formula))


def _parameters(problem: Problem) -> set[sympy.Symbol]:
    return set(problem.parameters)


def _for_some_costs(problem: Problem, context: z3.Context) -> Verdict:
    claim = problem.claim
    hypotheses = list(problem.hypotheses)
    through_linear = False
    if problem.family != "linear" and (
        _has_exchange(claim)
        or any(h.formula is not None and _has_exchange(h.formula) for h in hypotheses)
    ):
        claim = _linearised(claim)
        hypotheses = [
            replace(h, formula=_linearised(h.formula)) if h.formula is not None else h
            for h in hypotheses
        ]
        through_linear = True
    universal = _parameters(problem) - set(problem.for_some_parameters)
    if not through_linear:
        every = _for_every_value(replace(problem, claim=claim, hypotheses=hypotheses), context)
        if every is not None:
            return every
    # A hypothesis about ∀-parameters alone (their bounds) says nothing of the costs; it
    # matters only when the claim or a hypothesis about costs mentions them too.
    hypotheses = [
        h
        for h in hypotheses
        if h.formula is None or not (_symbols(h.formula) and _symbols(h.formula) <= universal)
    ]
    mentioned = _symbols(claim) | {
        s for h in hypotheses if h.formula is not None for s in _symbols(h.formula)
    }
    if universal & mentioned:
        listed = sorted(s.name for s in universal & mentioned)
        return Verdict(
            "unknown",
            reason=f"`for some costs` for every value of {', '.join(listed)} is not decided; "
            f"add `for some {listed[0]}` or fix it in a scenario",
        )
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    solver.add(encoder.var(G) > 0)
    indicators = guarded_hypotheses(solver, encoder, hypotheses, context)
    solver.add(encoder.formula(claim))
    solver.add(*encoder.defined())
    solver.add(*encoder.facts())
    solver.add(*encoder.integrality())
    names = list(indicators.values())
    outcome = check(solver, names)
    if outcome.sat and encoder.applications:
        from calculus.logic.extended import refine

        outcome = refine(solver, encoder, names, time.monotonic() + problem.timeout)
    if outcome.unsat:
        if through_linear:
            return Verdict(
                "unknown",
                reason=f"no costs with a linear g make it true; other {problem.family} g "
                "were not searched",
            )
        core = shrink_core(solver, list(solver.unsat_core()))
        by_indicator = {str(i): name for name, i in indicators.items()}
        order = list(indicators)
        uses = sorted((by_indicator[str(c)] for c in core), key=order.index)
        return Verdict("refuted", uses=tuple(uses))
    if not outcome.sat:
        return Verdict("unknown", reason=outcome.reason)
    symbols = list(encoder.variables)
    numbers = rational_model(solver, [encoder.variables[s] for s in symbols], names)
    if numbers is None:
        return Verdict("unknown", reason="z3's witness has irrational values")
    exact = dict(zip(symbols, numbers, strict=True))
    values: Values = {s: sympy.Rational(v.numerator, v.denominator) for s, v in exact.items()}
    try:
        confirmed = values.get(G, sympy.Integer(1)) > 0 and hypotheses_hold(hypotheses, values)
        confirmed = confirmed and evaluate(claim, values)
    except (ZeroDivisionError, TypeError):
        confirmed = False
    if not confirmed:
        return Verdict("unknown", reason="z3's witness did not survive exact re-evaluation")
    shown = relevant_atoms(claim, include_g=True)
    witness = tuple((s.name, exact[s]) for s in shown if s in exact)
    notes: tuple[str, ...] = ()
    if through_linear:
        notes = (f"g(x) = g·x with the g shown, a linear member of the {problem.family} family",)
    assignment = tuple(
        (s.name, value) for s, value in sorted(exact.items(), key=lambda item: str(item[0]))
    )
    return Verdict("proved", witness=witness, notes=notes, assignment=assignment)


def _fixed(formula: LogicFormula, values: dict[sympy.Symbol, sympy.Expr]) -> LogicFormula:
    """The formula with symbols replaced by values."""
    if isinstance(formula, Atomic):
        return Atomic(formula.op, formula.lhs.xreplace(values), formula.rhs.xreplace(values))
    if isinstance(formula, Negation):
        return Negation(_fixed(formula.operand, values))
    return Junction(formula.op, _fixed(formula.left, values), _fixed(formula.right, values))


SAMPLE_VALUES = (0, 1, 2, 3, 4, 5, 10, 100, 1000, 10**6)


def _for_every_value(problem: Problem, context: z3.Context) -> Verdict | None:
    """`for some costs` under a parameter n read ∀ (DESIGN §9.2: claims hold for every
    admissible value): for every admissible n, some admissible costs make it true.

    * proved by one assignment that works for every n: z3 looks for atoms (and g) with
      ∀ n. bounds(n) → assumptions ∧ claim, and the exact re-check confirms that with those
      values no admissible n falsifies them (`exists_value`, roots isolated exactly);
    * refuted at one admissible value n₀ (tried: the bounds' constants and a few whole
      numbers) at which no admissible costs make it true (the `for some costs` refutation
      with n fixed, whose core is reported);
    * otherwise None: the caller reports it undecided.
    Only a single ∀ parameter the claim or an assumption mentions is handled."""
    universal = _parameters(problem) - set(problem.for_some_parameters)
    # Hypotheses about ∀-parameters alone (their bounds) matter only for those in play.
    relevant = [
        h
        for h in problem.hypotheses
        if h.formula is None or not (_symbols(h.formula) and _symbols(h.formula) <= universal)
    ]
    mentioned = _symbols(problem.claim) | {
        s for h in relevant if h.formula is not None for s in _symbols(h.formula)
    }
    in_play = universal & mentioned
    if len(in_play) != 1:
        return None
    (n,) = in_play
    bounds = [
        h
        for h in problem.hypotheses
        if h.formula is not None and _symbols(h.formula) and _symbols(h.formula) <= {n}
    ]
    rest = relevant
    bound = _conjunction([h.formula for h in bounds if h.formula is not None])
    others = tuple(p for p in problem.parameters if p != n)
    witness = _uniform_witness(problem, context, n, bound, rest)
    if witness is not None:
        return witness
    found = _costs_for_each_value(problem, context, n, bound, rest)
    if found is not None and found.status == "proved":
        return found
    hinted = (
        [
            sympy.Rational(
                found.counterexample[0][1].numerator, found.counterexample[0][1].denominator
            )
        ]
        if found is not None and found.counterexample
        else []
    )
    constants = {
        v
        for h in bounds
        if h.formula is not None
        for a in atomics(h.formula)
        for v in (a.lhs, a.rhs)
        if v.is_Rational
    }
    candidates = hinted + sorted(
        {sympy.Integer(v) for v in SAMPLE_VALUES} | {c + d for c in constants for d in (0, 1, -1)},
        key=lambda v: (abs(v), v),
    )
    for value in candidates:
        if n.is_integer and not value.is_Integer:
            continue
        if not evaluate(bound, {n: value}):
            continue
        at = {n: value}
        fixed = replace(
            problem,
            claim=_fixed(problem.claim, at),
            hypotheses=[
                replace(h, formula=_fixed(h.formula, at)) if h.formula is not None else h
                for h in rest
            ],
            parameters=others,
        )
        verdict = _for_some_costs(fixed, context)
        if verdict.status == "refuted":
            shown = fraction_text(Fraction(int(value.p), int(value.q)))
            return Verdict(
                "refuted",
                uses=(*(h.name for h in bounds), *verdict.uses),
                counterexample=((n.name, Fraction(int(value.p), int(value.q))),),
                notes=(f"at {n} = {shown} no admissible costs make it true",),
            )
    return None


def _costs_for_each_value(
    problem: Problem,
    context: z3.Context,
    n: sympy.Symbol,
    bound: LogicFormula,
    rest: list[Hypothesis],
) -> Verdict | None:
    """z3 on ∃ n. bounds(n) ∧ ∀ atoms, g. ¬(assumptions ∧ claim): unsat proves that every
    admissible n has costs (which may depend on n) making the claim true; a model's n is
    returned (as the counterexample of an `unknown`) as a hint for the exact refutation."""
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    g = encoder.var(G)
    parts = [g > 0]
    for hypothesis in rest:
        parts += [encoder.bound(symbol, kind) for symbol, kind in hypothesis.bounds]
        if hypothesis.formula is not None:
            parts.append(encoder.formula(hypothesis.formula))
    parts.append(encoder.formula(problem.claim))
    if encoder.applications:
        return None
    inner = z3.And(*parts, *encoder.defined())
    variable = encoder.var(n)
    solver.add(encoder.formula(bound))
    bound_variables = [v for s, v in encoder.variables.items() if s != n]
    if n.is_integer:
        whole = z3.Int(f"{n.name}!", context)
        solver.add(z3.ToReal(whole) == variable)
    solver.add(z3.ForAll(bound_variables, z3.Not(inner)))
    outcome = check(solver)
    if outcome.unsat:
        return Verdict(
            "proved",
            notes=(
                f"for every admissible {n} some admissible costs make it true (they depend "
                f"on {n}: no single assignment was found for every {n})",
            ),
        )
    if outcome.sat:
        value = rational(solver.model().eval(variable, model_completion=True))
        if value is not None:
            return Verdict("unknown", counterexample=((n.name, value),))
    return None


def _uniform_witness(
    problem: Problem,
    context: z3.Context,
    n: sympy.Symbol,
    bound: LogicFormula,
    rest: list[Hypothesis],
) -> Verdict | None:
    """Costs (and g) that make the claim true for every admissible n, re-checked exactly."""
    about = [h for h in rest if h.formula is not None and n in _symbols(h.formula)]
    plain = [h for h in rest if h not in about]
    body = _conjunction([*(h.formula for h in about if h.formula is not None), problem.claim])
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    solver.add(encoder.var(G) > 0)
    for hypothesis in plain:
        for symbol, kind in hypothesis.bounds:
            solver.add(encoder.bound(symbol, kind))
        if hypothesis.formula is not None:
            solver.add(encoder.formula(hypothesis.formula))
    inner = z3.Implies(encoder.formula(bound), z3.And(encoder.formula(body), *encoder.defined()))
    variable = encoder.var(n)
    if n.is_integer:
        whole = z3.Int(f"{n.name}!", context)
        inner = z3.substitute(inner, (variable, z3.ToReal(whole)))
        variable = whole
    if encoder.applications:
        return None
    solver.add(z3.ForAll([variable], inner))
    outcome = check(solver)
    if not outcome.sat:
        return None
    symbols = [s for s in encoder.variables if s != n]
    numbers = rational_model(solver, [encoder.variables[s] for s in symbols], [])
    if numbers is None:
        return None
    exact = dict(zip(symbols, numbers, strict=True))
    values: Values = {s: sympy.Rational(v.numerator, v.denominator) for s, v in exact.items()}
    try:
        if values.get(G, sympy.Integer(1)) <= 0 or not hypotheses_hold(plain, values):
            return None
        failing = _conjunction([bound, Negation(body)])
        if exists_value(failing, n, values) is not False:
            return None
    except (Unsupported, ZeroDivisionError, TypeError):
        return None
    shown = relevant_atoms(problem.claim, include_g=True)
    witness = tuple((s.name, exact[s]) for s in shown if s in exact)
    assignment = tuple(
        (s.name, value) for s, value in sorted(exact.items(), key=lambda item: str(item[0]))
    )
    return Verdict(
        "proved",
        witness=witness,
        assignment=assignment,
        notes=(f"these costs make it true for every admissible {n}",),
    )


# ---- for some n --------------------------------------------------------------------------


def _for_some_parameters(problem: Problem, context: z3.Context) -> Verdict:
    chosen = set(problem.for_some_parameters)
    if problem.family != "linear" and _has_exchange(problem.claim):
        return Verdict(
            "unknown",
            reason="`for some n` is decided in the linear family and for claims without g(…)",
        )
    about = [h for h in problem.hypotheses if _mentions(h, chosen)]
    others = [h for h in problem.hypotheses if h not in about]
    body = _conjunction([*(h.formula for h in about if h.formula is not None), problem.claim])
    if len(chosen) == 1:
        # Sufficient, and often easier: true for every large n, so true for some n.
        (n,) = chosen
        try:
            limit = eventual(body, n)
        except Unsupported:
            limit = None
        if limit is not None:
            attempt = _decide_eventual_body(
                replace(problem, claim=limit, hypotheses=others, for_some_parameters=()),
                context,
            )
            if attempt.status == "proved":
                note = f"true for every large enough {n}, so for some {n}"
                return replace(attempt, notes=(*attempt.notes, note))
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    g = encoder.var(G)
    solver.add(g > 0)
    indicators = guarded_hypotheses(solver, encoder, others, context)
    inner = encoder.formula(body)
    inner = z3.And(inner, *encoder.defined(), *encoder.facts())
    bound: list[z3.ExprRef] = []
    substitutions = []
    for symbol in problem.for_some_parameters:
        variable = encoder.var(symbol)
        if symbol.is_integer:
            whole = z3.Int(f"{symbol.name}!", context)
            substitutions.append((variable, z3.ToReal(whole)))
            bound.append(whole)
        else:
            bound.append(variable)
    if problem.for_some_g:
        inner = z3.And(inner, g > 0)
        bound.append(g)
    if substitutions:
        inner = z3.substitute(inner, *substitutions)
    solver.add(z3.ForAll(bound, z3.Not(inner)))
    solver.add(*encoder.integrality())
    names = list(indicators.values())
    outcome = check(solver, names)
    if not outcome.sat and not outcome.unsat:
        if not substitutions:
            quantified = z3.Tactic("qsat", context).solver()
            quantified.set("timeout", max(1, int(problem.timeout * 1000)))
            quantified.add(*solver.assertions())
            outcome = check(quantified, names)
            if outcome.unsat:
                return Verdict("proved", uses=tuple(indicators))
            if not outcome.sat:
                return Verdict("unknown", reason=outcome.reason)
            solver = quantified
        else:
            return Verdict("unknown", reason=outcome.reason)
    if outcome.unsat:
        core = shrink_core(solver, list(solver.unsat_core()))
        by_indicator = {str(i): name for name, i in indicators.items()}
        order = list(indicators)
        uses = sorted((by_indicator[str(c)] for c in core), key=order.index)
        return Verdict("proved", uses=tuple(uses))
    return _no_parameter_works(solver, encoder, problem, others, body, names)


def _decide_eventual_body(problem: Problem, context: z3.Context) -> Verdict:
    from calculus.logic.extended import decide_extended

    return decide_extended(problem, context)


def _no_parameter_works(
    solver: z3.Solver,
    encoder: Encoder,
    problem: Problem,
    others: list[Hypothesis],
    body: LogicFormula,
    names: list[z3.BoolRef],
) -> Verdict:
    """Re-check exactly that at the model's atoms no value of the parameter works."""
    if len(problem.for_some_parameters) != 1 or problem.for_some_g:
        return Verdict(
            "unknown",
            reason="z3 found atoms where no parameter value works; the exact re-check "
            "handles one parameter (and no `for some g`)",
        )
    (n,) = problem.for_some_parameters
    symbols = [s for s in encoder.variables if s != n]
    numbers = rational_model(solver, [encoder.variables[s] for s in symbols], names)
    if numbers is None:
        return Verdict("unknown", reason="z3's counterexample has irrational values")
    exact = dict(zip(symbols, numbers, strict=True))
    values: Values = {s: sympy.Rational(v.numerator, v.denominator) for s, v in exact.items()}
    if values.get(G, sympy.Integer(1)) <= 0 or not hypotheses_hold(others, values):
        return Verdict("unknown", reason="z3's counterexample did not survive exact re-evaluation")
    try:
        found = exists_value(body, n, values)
    except Unsupported as error:
        return Verdict("unknown", reason=str(error))
    if found is not False:
        return Verdict("unknown", reason="z3's counterexample did not survive exact re-evaluation")
    shown = [s for s in relevant_atoms(body) if s != n and s in exact]
    return Verdict(
        "refuted",
        counterexample=tuple((s.name, exact[s]) for s in shown),
        notes=(f"no value of {n} makes it true at these costs",),
    )


def exists_value(formula: LogicFormula, n: sympy.Symbol, values: Values) -> bool | None:
    """Exactly: is there a value of n (a whole one for integer n) making the formula true
    with the other symbols at `values`? The formula's comparisons are rational functions of
    n; their truth is constant between consecutive real roots, which are isolated exactly."""
    leaves = atomics(formula)
    polynomials: list[sympy.Poly] = []
    for a in leaves:
        difference = sympy.together((a.lhs - a.rhs).xreplace(values))
        if difference.free_symbols - {n}:
            raise Unsupported(f"cannot fix every atom of {difference}")
        numerator, denominator = sympy.fraction(difference)
        for part in (numerator, denominator):
            try:
                poly = sympy.Poly(sympy.expand(part), n)
            except sympy.PolynomialError as error:
                raise Unsupported(
                    f"the exact re-check handles rational functions of {n}, not {part}"
                ) from error
            if not all(c.is_Rational for c in poly.all_coeffs()):
                raise Unsupported(f"the exact re-check needs rational coefficients in {part}")
            if poly.degree() > 0:
                polynomials.append(poly)
    intervals: list[tuple[Fraction, Fraction]] = []
    for poly in polynomials:
        for (low, high), _ in poly.intervals(eps=sympy.Rational(1, 4)):
            intervals.append((Fraction(int(low.p), int(low.q)), Fraction(int(high.p), int(high.q))))
    irrational = [(lo, hi) for lo, hi in intervals if lo != hi]
    if irrational and not n.is_integer:
        raise Unsupported(f"the exact re-check for real {n} needs rational roots")
    points: set[Fraction] = set()
    edges = sorted({e for pair in intervals for e in pair})
    if not edges:
        edges = [Fraction(0)]
    low_end, high_end = edges[0], edges[-1]
    if n.is_integer:
        # Every integer in or next to an isolating interval, and one in each gap.
        for lo, hi in intervals:
            points.update(Fraction(k) for k in range(math.floor(lo) - 1, math.ceil(hi) + 2))
        for lo, hi in itertools.pairwise(edges):
            candidate = Fraction(math.floor(lo) + 1)
            if candidate < hi:
                points.add(candidate)
        points.add(Fraction(math.floor(low_end) - 1))
        points.add(Fraction(math.ceil(high_end) + 1))
    else:
        points.update(edges)
        for lo, hi in itertools.pairwise(edges):
            points.add((lo + hi) / 2)
        points.add(low_end - 1)
        points.add(high_end + 1)
    for point in sorted(points):
        try:
            if evaluate(formula, {**values, n: sympy.Rational(point.numerator, point.denominator)}):
                return True
        except ZeroDivisionError:
            continue
    return False
