"""The one small interface to z3 that every family decides through: a context per decision,
sympy → z3 encoding, solvers with a timeout, checks as `Outcome`s, minimal unsat cores and
rational models.

Every z3 term is made in an explicit `z3.Context` (`new_context`); nothing here touches
z3's global default context. A context lives as long as the terms, solvers and models made
in it, so one decision's context goes when the decision returns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import sympy
import z3

from calculus.costs import EXCHANGE, Atomic, LogicFormula, Negation


class Unsupported(Exception):
    """A formula outside what the solver encoding handles; becomes an `unknown`."""


def new_context() -> z3.Context:
    """A fresh context for one decision.

    z3's models depend on what its context has seen before, so a context shared between
    claims would make a claim's counterexample depend on which claims came first (the CLI,
    the REPL and the report would show different numbers for one claim).
    """
    return z3.Context()


def new_solver(context: z3.Context, timeout: float) -> z3.Solver:
    """A solver in `context` whose every check stops after `timeout` seconds."""
    solver = z3.Solver(ctx=context)
    solver.set("timeout", max(1, int(timeout * 1000)))
    return solver


def real(value: Fraction | int, context: z3.Context) -> z3.ArithRef:
    """An exact rational constant."""
    value = Fraction(value)
    return z3.RealVal(f"{value.numerator}/{value.denominator}", context)


# ---- sympy -> z3 ------------------------------------------------------------------------


@dataclass
class Encoder:
    """Translates sympy expressions over cost atoms into z3 terms, one z3 Real per atom.

    The non-linear families override `exchange` to encode an application g(x);
    `denominators` collects every divisor met, so that counterexamples can be sought where
    all are defined.
    """

    context: z3.Context
    variables: dict[sympy.Symbol, z3.ArithRef] = field(default_factory=dict)
    denominators: list[sympy.Expr] = field(default_factory=list)

    def var(self, symbol: sympy.Symbol) -> z3.ArithRef:
        if symbol not in self.variables:
            self.variables[symbol] = z3.Real(symbol.name, self.context)
        return self.variables[symbol]

    def expr(self, e: sympy.Expr) -> z3.ArithRef:
        if e.is_Symbol:
            return self.var(e)
        if e.is_Rational:
            return z3.RealVal(f"{e.p}/{e.q}", self.context)
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
            return self.exchange(e.args[0], self.expr(e.args[0]))
        raise Unsupported(f"cannot encode {e}")

    def exchange(self, argument: sympy.Expr, encoded: z3.ArithRef) -> z3.ArithRef:
        """The term for g(argument), `encoded` being the argument's term."""
        raise Unsupported("g(...) outside a non-linear family")

    def formula(self, f: LogicFormula) -> z3.BoolRef:
        if isinstance(f, Atomic):
            return compare(f.op, self.expr(f.lhs), self.expr(f.rhs))
        if isinstance(f, Negation):
            return z3.Not(self.formula(f.operand))
        return junction(f.op, self.formula(f.left), self.formula(f.right))

    def bound(self, symbol: sympy.Symbol, kind: str) -> z3.BoolRef:
        """An atom's default bound: `nonneg` is >= 0, anything else > 0."""
        variable = self.var(symbol)
        return variable >= 0 if kind == "nonneg" else variable > 0

    def defined(self) -> list[z3.BoolRef]:
        """Every division met so far is defined."""
        return [self.expr(d) != 0 for d in self.denominators]


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


def junction(op: str, left: z3.BoolRef, right: z3.BoolRef) -> z3.BoolRef:
    if op == "and":
        return z3.And(left, right)
    if op == "or":
        return z3.Or(left, right)
    if op == "->":
        return z3.Implies(left, right)
    return left == right


# ---- checks, cores, models --------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one check gave: `sat`, `unsat` or `unknown` (with the solver's reason)."""

    result: Literal["sat", "unsat", "unknown"]
    reason: str | None = None

    @property
    def sat(self) -> bool:
        return self.result == "sat"

    @property
    def unsat(self) -> bool:
        return self.result == "unsat"


def check(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> Outcome:
    """Check `solver` under `assumptions` (literals, so that unsat cores refer to them)."""
    result = solver.check(*assumptions)
    if result == z3.sat:
        return Outcome("sat")
    if result == z3.unsat:
        return Outcome("unsat")
    reason = solver.reason_unknown()
    if reason in ("timeout", "canceled"):
        return Outcome("unknown", "the solver timed out")
    return Outcome("unknown", f"the solver gave up ({reason})")


def shrink_core(
    solver: z3.Solver,
    core: Sequence[z3.BoolRef],
    fixed: Sequence[z3.BoolRef] = (),
    deadline: float = float("inf"),
) -> list[z3.BoolRef]:
    """Deletion-based shrinking of an unsat core (with `fixed` always assumed): afterwards
    dropping any member makes the problem satisfiable, unless the `deadline`
    (`time.monotonic()`) cut it short, when what is left is still an unsat core."""
    kept = list(core)
    for candidate in list(core):
        if time.monotonic() > deadline:
            break
        if not any(candidate.eq(k) for k in kept):
            continue
        trial = [k for k in kept if not k.eq(candidate)]
        if solver.check(*trial, *fixed) == z3.unsat:
            smaller = solver.unsat_core()
            kept = [k for k in trial if any(k.eq(s) for s in smaller)]
    return kept


def rational(value: z3.ExprRef) -> Fraction | None:
    """The exact value of a z3 numeral, or None when it is not rational."""
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())  # type: ignore[attr-defined]
    return None


def rational_model(
    solver: z3.Solver,
    variables: Sequence[z3.ArithRef],
    assumptions: Sequence[z3.BoolRef] = (),
    model: z3.ModelRef | None = None,
) -> list[Fraction] | None:
    """Rational values of `variables` in `model` (default: the solver's last model).

    Irrational coordinates are pinned to nearby rationals and the solver asked again (it is
    then usually a linear problem, whose models are rational); None if that fails.
    """
    if model is None:
        model = solver.model()
    raw = [model.eval(v, model_completion=True) for v in variables]
    irrational = [i for i, value in enumerate(raw) if rational(value) is None]
    if irrational:
        for digits in (3, 6, 12):
            # After a retry some coordinates may be rational already (and have no `approx`).
            irrational = [i for i, value in enumerate(raw) if z3.is_algebraic_value(value)]
            if any(rational(value) is None for value in raw) and not irrational:
                return None
            solver.push()
            for i in irrational:
                solver.add(variables[i] == raw[i].approx(digits))  # type: ignore[attr-defined]
            found = solver.check(*assumptions) == z3.sat
            if found:
                retry = solver.model()
                raw = [retry.eval(v, model_completion=True) for v in variables]
            solver.pop()
            if found and all(rational(value) is not None for value in raw):
                break
        else:
            return None
    exact: list[Fraction] = []
    for value in raw:
        fraction = rational(value)
        if fraction is None:
            return None
        exact.append(fraction)
    return exact
