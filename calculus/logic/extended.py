"""The linear family for claims the file's shared solver does not take: those with
exponentials or logarithms (decided with the facts of `calculus.logic.functions` and
counterexamples refined until they are exact), with integer parameters (proved over the
reals, refuted only with whole values), and `for some g` claims whose assumptions mention
g, which constrain the g chosen (DESIGN §12): ∀ atoms (other assumptions → ∃ g > 0.
g-assumptions ∧ claim).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace
from fractions import Fraction

import sympy
import z3

from calculus.costs import G, Junction, atomics, is_exponential, log2
from calculus.logic.exact import confirm, relevant_atoms
from calculus.logic.linear import eliminate_exists_g
from calculus.logic.records import Problem, Verdict
from calculus.logic.solver import (
    Encoder,
    Outcome,
    check,
    guarded_hypotheses,
    new_solver,
    rational,
    rational_model,
    real,
    shrink_core,
)


def needs_extended(problem: Problem) -> bool:
    """Whether the claim must be decided here rather than in the shared linear solver."""
    formulas = [problem.claim] + [h.formula for h in problem.hypotheses if h.formula]
    expressions = [e for f in formulas for a in atomics(f) for e in (a.lhs, a.rhs)]
    if any(e.has(log2) or any(is_exponential(p) for p in e.atoms(sympy.Pow)) for e in expressions):
        return True
    if any(getattr(s, "is_integer", False) for e in expressions for s in e.free_symbols):
        return True
    if problem.for_some_g:
        return any(
            G in e.free_symbols
            for h in problem.hypotheses
            if h.formula is not None
            for a in atomics(h.formula)
            for e in (a.lhs, a.rhs)
        )
    return False


def constrain_chosen_g(problem: Problem) -> Problem:
    """`for some g`: the assumptions that mention g constrain the g being chosen (DESIGN
    §12): ∀ atoms (other assumptions → ∃ g > 0. g-assumptions ∧ claim)."""
    if not problem.for_some_g:
        return problem
    about_g = [
        h
        for h in problem.hypotheses
        if h.formula is not None
        and any(G in a.lhs.free_symbols | a.rhs.free_symbols for a in atomics(h.formula))
    ]
    if not about_g:
        return problem
    claim = problem.claim
    for hypothesis in reversed(about_g):
        assert hypothesis.formula is not None
        claim = Junction("and", hypothesis.formula, claim)
    others = [h for h in problem.hypotheses if h not in about_g]
    return replace(problem, claim=claim, hypotheses=others)


def decide_extended(problem: Problem, context: z3.Context) -> Verdict:
    """Decide a claim of the linear family with terms made in `context`, in a solver of
    its own (facts about exponentials, whole parameters, g constrained by assumptions)."""
    problem = constrain_chosen_g(problem)
    encoder = Encoder(context)
    solver = new_solver(context, problem.timeout)
    g = encoder.var(G)
    solver.add(g > 0)
    indicators = guarded_hypotheses(solver, encoder, problem.hypotheses, context)
    if problem.for_some_g:
        negated = z3.Not(eliminate_exists_g(problem.claim, encoder))
    else:
        negated = z3.Not(encoder.formula(problem.claim))
    if encoder.positive:
        # A logarithm of a number that may be zero or negative leaves the claim undefined.
        # The facts of the exponentials alone may show it positive (2^x > 0 shows log2(2^x · y)
        # defined); those of the logarithms may not: they take their arguments as positive.
        solver.push()
        solver.add(*exponential_facts(encoder))
        solver.add(z3.Or([encoder.expr(x) <= 0 for x in encoder.positive]))
        possible = check(solver, list(indicators.values()))
        solver.pop()
        if not possible.unsat:
            return Verdict(
                "unknown",
                reason="log2 may be applied to a number that is not positive "
                "(assume its argument positive)",
            )
    # Facts about exponentials and logarithms (theorems of the real functions).
    solver.add(*encoder.facts())
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
    if outcome.sat and (encoder.integrality() or encoder.applications):
        # Integer parameters were first read as reals (a proof over the reals covers the
        # integers); a counterexample must have whole values, and exponentials exact ones.
        deadline = time.monotonic() + problem.timeout
        outcome = refine(solver, encoder, list(indicators.values()), deadline)
    if outcome.unsat:
        return _proof(solver, indicators)
    if outcome.sat:
        return _counterexample(solver, encoder, problem, list(indicators.values()))
    return Verdict("unknown", reason=outcome.reason)


def exponential_facts(encoder: Encoder) -> list[z3.BoolRef]:
    """The facts of the exponentials b^x met, without those of the logarithms."""
    from calculus.logic.functions import exact_facts

    powers = [a for key, a in encoder.applications.items() if not isinstance(key, log2)]
    return exact_facts(powers, encoder.context) if powers else []


def _proof(solver: z3.Solver, indicators: dict[str, z3.BoolRef]) -> Verdict:
    core = shrink_core(solver, list(solver.unsat_core()))
    names = {str(ind): name for name, ind in indicators.items()}
    order = list(indicators)
    uses = sorted((names[str(c)] for c in core), key=order.index)
    return Verdict("proved", uses=tuple(uses))


REFINEMENTS = 8


def refine(
    solver: z3.Solver, encoder: Encoder, indicators: list[z3.BoolRef], deadline: float
) -> Outcome:
    """Make a model honest about integrality and exponentials, or find there is none.

    Adds (permanently) that integer parameters are whole; then, while the model gives an
    exponential a value other than its true one at the model's exponent, adds the true
    value (or tight bounds) there as a fact and asks again. Every added constraint is true
    of the functions or required of the counterexample, so `unsat` remains a proof.
    """
    integral = encoder.integrality()
    if integral:
        solver.add(*integral)
        outcome = check(solver, indicators)
        if not outcome.sat:
            return outcome
    if not encoder.applications:
        return Outcome("sat")
    # Whole exponents give exact powers: prefer them where the problem allows.
    whole = [z3.IsInt(a.exponent_term) for a in encoder.applications.values()]
    whole += [
        z3.And(a.exponent_term <= LARGEST_EXPONENT, a.exponent_term >= -LARGEST_EXPONENT)
        for a in encoder.applications.values()
    ]
    for pin in (True, False):
        if pin:
            solver.push()
            solver.add(*whole)
        outcome = check(solver, indicators)
        for _ in range(REFINEMENTS):
            if not outcome.sat:
                break
            if time.monotonic() > deadline:
                return Outcome("unknown", "the solver timed out pinning down the exponentials")
            added = _true_values(solver.model(), encoder)
            if added is None:
                break
            if not added:
                return outcome
            solver.add(*added)
            outcome = check(solver, indicators)
        if pin:
            if outcome.sat:
                return outcome
            solver.pop()
        elif outcome.sat:
            if _simple_exponents(solver, encoder, indicators):
                return Outcome("sat")
            return Outcome("unknown", "the exponentials' values could not be pinned down")
    return outcome


def _approximately(value: z3.ExprRef) -> Fraction | None:
    exact = rational(value)
    if exact is None and z3.is_algebraic_value(value):
        exact = rational(value.approx(12))  # type: ignore[attr-defined]
    return exact


def _simple_exponents(solver: z3.Solver, encoder: Encoder, indicators: list[z3.BoolRef]) -> bool:
    """Pin every exponent near the model's value to a rational of small denominator, with
    the power's true value (or tight bounds) there; True (scope left open) if satisfiable."""
    from calculus.logic.functions import point_facts

    model = solver.model()
    values = {
        key: _approximately(model.eval(a.exponent_term, model_completion=True))
        for key, a in encoder.applications.items()
    }
    if any(value is None for value in values.values()):
        return False
    tried: set[tuple[Fraction, ...]] = set()
    for denominator, rounding in itertools.product(
        (2, 4, 3, 8, 16), (round, math.ceil, math.floor)
    ):
        chosen = tuple(
            Fraction(rounding(value * denominator), denominator)  # type: ignore[operator]
            for value in values.values()
        )
        if chosen in tried:
            continue
        tried.add(chosen)
        pins = []
        for simple, application in zip(chosen, encoder.applications.values(), strict=True):
            pins.append(application.exponent_term == real(simple, encoder.context))
            pins.extend(point_facts(application, simple, encoder.context))
        solver.push()
        solver.add(*pins)
        if check(solver, indicators).sat:
            return True
        solver.pop()
    return False


LARGEST_EXPONENT = 4096


def _true_values(model: z3.ModelRef, encoder: Encoder) -> list[z3.BoolRef] | None:
    """Facts at the model's exponents for every exponential the model gets wrong there;
    None when an exponent is too large (or irrational) to check."""
    from calculus.logic.functions import point_facts

    added = []
    for application in encoder.applications.values():
        exponent = rational(model.eval(application.exponent_term, model_completion=True))
        value = rational(model.eval(application.value, model_completion=True))
        if exponent is None or abs(exponent) > LARGEST_EXPONENT:
            return None
        if exponent.denominator == 1 and value == Fraction(application.base) ** int(exponent):
            continue
        added.extend(point_facts(application, exponent, encoder.context))
    return added


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
    # With exponentials the refined model is kept as it is: a re-solve could give them
    # values other than their true ones again.
    if encoder.applications:
        model = solver.model()
    else:
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
