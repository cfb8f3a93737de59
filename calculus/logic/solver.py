"""The one small interface to z3 that every family decides through: a context per decision,
sympy → z3 encoding, solvers with a timeout, checks as `Outcome`s, minimal unsat cores and
rational models.

Every z3 term is made in an explicit `z3.Context` (`new_context`); nothing here touches
z3's global default context. A context lives as long as the terms, solvers and models made
in it, so one decision's context goes when the decision returns.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import sympy
import z3

from calculus.costs import EXCHANGE, Atomic, LogicFormula, Negation, is_exponential, log2
from calculus.logic.functions import Application, exact_facts

if TYPE_CHECKING:
    from calculus.logic.records import Hypothesis


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
    # Ctrl-C is Python's to handle (once the check returns, within its timeout): z3 would
    # otherwise take the signal, cancel the check and carry on with the next claim.
    solver.set("ctrl_c", False)
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
    # Sums and products already encoded, with the divisors met inside them (claims of one
    # file share their programs' costs). Off where encoding has side effects (g(x)).
    memoize: bool = True
    memo: dict[sympy.Expr, tuple[z3.ArithRef, tuple[sympy.Expr, ...], tuple[sympy.Symbol, ...]]] = (
        field(default_factory=dict)
    )
    # Exponentials and logarithms met, each a fresh real (see `calculus.logic.functions`),
    # and the arguments a logarithm needs positive.
    applications: dict[sympy.Expr, Application] = field(default_factory=dict)
    positive: list[sympy.Expr] = field(default_factory=list)
    # Rational constants made, by numerator and denominator.
    numerals: dict[tuple[int, int], z3.ArithRef] = field(default_factory=dict)

    def var(self, symbol: sympy.Symbol) -> z3.ArithRef:
        if symbol not in self.variables:
            self.variables[symbol] = z3.Real(symbol.name, self.context)
        return self.variables[symbol]

    def expr(self, e: sympy.Expr) -> z3.ArithRef:
        if e.is_Symbol:
            return self.var(e)
        if self.memoize and (e.is_Add or e.is_Mul):
            known = self.memo.get(e)
            if known is None:
                start = len(self.denominators)
                term = self._compound(e)
                known = (term, tuple(self.denominators[start:]), tuple(e.free_symbols))
                self.memo[e] = known
            else:
                self.denominators.extend(known[1])
                for symbol in known[2]:
                    if symbol not in self.variables:
                        self.var(symbol)
            return known[0]
        return self._compound(e)

    def _compound(self, e: sympy.Expr) -> z3.ArithRef:
        # Every term made here is of sort Real, so sums, products and comparisons are made
        # through z3's C interface directly: the same terms z3.py's operators make, without
        # their coercions (several foreign calls per argument).
        if e.is_Rational:
            numeral = self.numerals.get((e.p, e.q))
            if numeral is None:
                numeral = z3.RealVal(f"{e.p}/{e.q}", self.context)
                self.numerals[(e.p, e.q)] = numeral
            return numeral
        if e.is_Add:
            return _real_sum([self.expr(a) for a in e.args], self.context)
        if e.is_Mul:
            if all(a.is_Symbol or a.is_Integer for a in e.args):
                # No factor divides (`sympy.fraction` would give denominator 1).
                result = self.expr(e.args[0])
                for arg in e.args[1:]:
                    result = _real_product(result, self.expr(arg), self.context)
                return result
            numerator, denominator = sympy.fraction(e)
            if denominator != 1:
                self.denominators.append(denominator)
                return self.expr(numerator) / self.expr(denominator)
            result = self.expr(e.args[0])
            for arg in e.args[1:]:
                result = result * self.expr(arg)
            return result
        if isinstance(e, (sympy.Max, sympy.Min)):
            terms = [self.expr(a) for a in e.args]
            result = terms[0]
            for term in terms[1:]:
                pick = term > result if isinstance(e, sympy.Max) else term < result
                result = z3.If(pick, term, result)
            return result
        if is_exponential(e):
            return self.application(Fraction(int(e.base.p), int(e.base.q)), e.exp, None)
        if isinstance(e, log2):
            # log2(x) is the exponent L of the base-2 application whose value is x.
            argument = e.args[0]
            self.positive.append(argument)
            return self.application(Fraction(2), None, argument)
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

    def application(
        self, base: Fraction, exponent: sympy.Expr | None, value: sympy.Expr | None
    ) -> z3.ArithRef:
        """`base^exponent` (value None) or the exponent with base^exponent = value."""
        if exponent is not None:
            key = sympy.Pow(sympy.Rational(base.numerator, base.denominator), exponent)
            if key not in self.applications:
                term = z3.Real(f"{key}", self.context)
                self.applications[key] = Application(
                    base, exponent, self.expr(exponent), term, power=key
                )
            return self.applications[key].value
        assert value is not None
        key = log2(value)
        if key not in self.applications:
            term = z3.Real(f"{key}", self.context)
            self.applications[key] = Application(base, key, term, self.expr(value), power=value)
        return self.applications[key].exponent_term

    def facts(self) -> list[z3.BoolRef]:
        """What is true of the exponentials and logarithms met (all theorems)."""
        if not self.applications:
            return []
        return exact_facts(list(self.applications.values()), self.context)

    def integrality(self) -> list[z3.BoolRef]:
        """Integer parameters take whole values."""
        return [z3.IsInt(v) for s, v in self.variables.items() if s.is_integer]

    def exchange(self, argument: sympy.Expr, encoded: z3.ArithRef) -> z3.ArithRef:
        """The term for g(argument), `encoded` being the argument's term."""
        raise Unsupported("g(...) outside a non-linear family")

    def formula(self, f: LogicFormula) -> z3.BoolRef:
        if isinstance(f, Atomic):
            return _real_compare(f.op, self.expr(f.lhs), self.expr(f.rhs), self.context)
        if isinstance(f, Negation):
            return z3.Not(self.formula(f.operand))
        return _bool_junction(f.op, self.formula(f.left), self.formula(f.right), self.context)

    def bound(self, symbol: sympy.Symbol, kind: str) -> z3.BoolRef:
        """An atom's default bound: `nonneg` is >= 0, anything else > 0."""
        variable = self.var(symbol)
        return variable >= 0 if kind == "nonneg" else variable > 0

    def defined(self) -> list[z3.BoolRef]:
        """Every division met so far is defined, and every logarithm's argument positive."""
        return [self.expr(d) != 0 for d in self.denominators] + [
            self.expr(x) > 0 for x in self.positive
        ]


def _asts(terms: Sequence[z3.ExprRef]) -> ctypes.Array[z3.Ast]:
    return (z3.Ast * len(terms))(*(t.as_ast() for t in terms))


def _real_sum(terms: Sequence[z3.ArithRef], context: z3.Context) -> z3.ArithRef:
    """`z3.Sum(terms)` of terms of sort Real."""
    return z3.ArithRef(z3.Z3_mk_add(context.ref(), len(terms), _asts(terms)), context)


def _real_product(left: z3.ArithRef, right: z3.ArithRef, context: z3.Context) -> z3.ArithRef:
    """`left * right` of terms of sort Real."""
    return z3.ArithRef(z3.Z3_mk_mul(context.ref(), 2, _asts([left, right])), context)


_MAKE_COMPARISON = {
    "<": z3.Z3_mk_lt,
    "<=": z3.Z3_mk_le,
    ">": z3.Z3_mk_gt,
    ">=": z3.Z3_mk_ge,
    "=": z3.Z3_mk_eq,
}


def _real_compare(
    op: str, left: z3.ArithRef, right: z3.ArithRef, context: z3.Context
) -> z3.BoolRef:
    """`compare(op, left, right)` of terms of sort Real."""
    make = _MAKE_COMPARISON.get(op)
    if make is not None:
        return z3.BoolRef(make(context.ref(), left.as_ast(), right.as_ast()), context)
    return z3.BoolRef(z3.Z3_mk_distinct(context.ref(), 2, _asts([left, right])), context)


def _bool_junction(op: str, left: z3.BoolRef, right: z3.BoolRef, context: z3.Context) -> z3.BoolRef:
    """`junction(op, left, right)` of two Boolean terms."""
    reference = context.ref()
    if op == "and":
        made = z3.Z3_mk_and(reference, 2, _asts([left, right]))
    elif op == "or":
        made = z3.Z3_mk_or(reference, 2, _asts([left, right]))
    elif op == "->":
        made = z3.Z3_mk_implies(reference, left.as_ast(), right.as_ast())
    else:
        made = z3.Z3_mk_eq(reference, left.as_ast(), right.as_ast())
    return z3.BoolRef(made, context)


def _bool_or(terms: Sequence[z3.BoolRef], context: z3.Context) -> z3.BoolRef:
    """`z3.Or(terms)` of Boolean terms."""
    return z3.BoolRef(z3.Z3_mk_or(context.ref(), len(terms), _asts(terms)), context)


def negation(f: z3.BoolRef) -> z3.BoolRef:
    """`z3.Not(f)` of a Boolean term, through the C interface."""
    return z3.BoolRef(z3.Z3_mk_not(f.ctx.ref(), f.as_ast()), f.ctx)


def assert_formula(solver: z3.Solver, f: z3.BoolRef) -> None:
    """`solver.add(f)` of one Boolean term, through the C interface."""
    z3.Z3_solver_assert(solver.ctx.ref(), solver.solver, f.as_ast())  # type: ignore[attr-defined]


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


def check_sat(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> z3.CheckSatResult:
    """`solver.check(*assumptions)` for Boolean `assumptions`, without z3.py re-checking
    the sort of each one (a dozen foreign calls per literal, on the hot path)."""
    array = (z3.Ast * len(assumptions))(*(a.as_ast() for a in assumptions))
    result = z3.CheckSatResult(
        z3.Z3_solver_check_assumptions(
            solver.ctx.ref(),
            solver.solver,  # type: ignore[attr-defined]
            len(assumptions),
            array,
        )
    )
    if result.r == z3.Z3_L_UNDEF:
        # Counted on the solver (`unfinished_checks`): z3 leaves a solver whose check it
        # stopped in whatever state the check reached, and later checks start from it.
        solver.unfinished = unfinished_checks(solver) + 1  # type: ignore[attr-defined]
    return result


def unfinished_checks(solver: z3.Solver) -> int:
    """How many checks of `solver` (by `check_sat`) ended neither sat nor unsat."""
    return getattr(solver, "unfinished", 0)


def check(solver: z3.Solver, assumptions: Sequence[z3.BoolRef] = ()) -> Outcome:
    """Check `solver` under `assumptions` (literals, so that unsat cores refer to them)."""
    result = check_sat(solver, assumptions)
    if result == z3.sat:
        return Outcome("sat")
    if result == z3.unsat:
        return Outcome("unsat")
    reason = solver.reason_unknown()
    if reason in ("timeout", "canceled"):
        return Outcome("unknown", "the solver timed out")
    return Outcome("unknown", f"the solver gave up ({reason})")


# z3's resource units (`rlimit`) per second of a time-out, for a question asked in a solver of
# its own: a count of z3's steps, the same on every run, where time depends on the machine's
# load. Units do not track time closely: on the hardest non-linear questions met here (degree
# 4 to 6) z3 went through 100,000 to 500,000 a second, on easy ones far more. At 50,000 per
# second the budget, not the clock, ends nearly every question that runs out; the wall-clock
# time-out stays as a bound for the rest.
STEPS_PER_SECOND = 50_000


def fresh_check(
    assertions: Sequence[z3.BoolRef],
    timeout: float,
    steps: int | None = None,
    variables: Sequence[z3.ArithRef] = (),
) -> tuple[Outcome, list[Fraction | None] | None]:
    """`assertions` checked in a context and solver of their own, asked nothing before and
    used without scopes or assumptions: z3 then decides non-linear real arithmetic by its
    complete procedure (nlsat), which the incremental solver does not use. The answer
    depends only on the assertions, within `steps` resource units (by default
    `STEPS_PER_SECOND × timeout`; the wall-clock `timeout`, which only a heavily loaded
    machine reaches first, stays as well). A context of its own, not only a solver: in a
    shared context the units a question takes depend on the terms made before (one
    question took 0.3 s in one order of a file's claims and ran out of units in another).
    When satisfiable, also the model's values of `variables` (None where not rational)."""
    own = new_context()
    solver = new_solver(own, timeout)
    solver.set("rlimit", max(1, int(STEPS_PER_SECOND * timeout) if steps is None else steps))
    for assertion in assertions:
        assert_formula(solver, assertion.translate(own))
    outcome = check(solver)
    if not outcome.sat:
        return outcome, None
    return outcome, rational_values(solver.model(), [v.translate(own) for v in variables])


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


def minimal_core(
    solver: z3.Solver,
    literals: Sequence[z3.BoolRef],
    core: Sequence[z3.BoolRef],
    fixed: Sequence[z3.BoolRef] = (),
) -> list[z3.BoolRef]:
    """The unsat core plain deletion over `literals` (all of them together unsat, `core` an
    unsat subset) gives: each in turn, last first, is dropped when the rest is still unsat,
    so of two interchangeable literals the earlier one stays. In `literals`' order.

    z3's cores serve only as proofs that a smaller set is unsat (a member outside the last
    core is dropped without a check), never to drop several members at once, so the result
    does not depend on which cores z3 returns, nor on anything it saw before. Dropping any
    member of the result makes the problem satisfiable (or the solver gave up on it).
    """
    kept = list(literals)
    known = list(core)  # an unsat subset of `kept`
    for candidate in reversed(literals):
        if not any(candidate.eq(k) for k in known):
            kept = [k for k in kept if not k.eq(candidate)]
            continue
        trial = [k for k in kept if not k.eq(candidate)]
        if check_sat(solver, [*trial, *fixed]) == z3.unsat:
            kept = trial
            smaller = solver.unsat_core()
            known = [k for k in trial if any(k.eq(s) for s in smaller)]
    return kept


def rational(value: z3.ExprRef) -> Fraction | None:
    """The exact value of a z3 numeral, or None when it is not rational."""
    if z3.is_rational_value(value):
        return Fraction(value.numerator_as_long(), value.denominator_as_long())  # type: ignore[attr-defined]
    return None


def rational_values(model: z3.ModelRef, variables: Sequence[z3.ArithRef]) -> list[Fraction | None]:
    """`rational(model.eval(v, model_completion=True))` of each of `variables`, through
    z3's C interface: the Python wrappers cost far more than the evaluation."""
    context = model.ctx.ref()
    handle = model.model  # type: ignore[attr-defined]
    found: list[Fraction | None] = []
    result = (z3.Ast * 1)()
    for variable in variables:
        if not z3.Z3_model_eval(context, handle, variable.as_ast(), True, result):
            found.append(None)
            continue
        value = result[0]
        z3.Z3_inc_ref(context, value)
        try:
            if z3.Z3_is_numeral_ast(context, value) and not z3.Z3_is_algebraic_number(
                context, value
            ):
                found.append(_fraction(z3.Z3_get_numeral_string(context, value)))
            else:
                found.append(None)
        finally:
            z3.Z3_dec_ref(context, value)
    return found


def _fraction(numeral: str) -> Fraction:
    """z3's exact numeral string (`p` or `p/q`) as a Fraction, without `Fraction`'s
    general parser."""
    numerator, slash, denominator = numeral.partition("/")
    try:
        return Fraction(int(numerator), int(denominator) if slash else 1)
    except ValueError:
        return Fraction(numeral)


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


# Values a counterexample's coordinates are pinned to, in order of preference after 1:
# small integers read best, then simple fractions, then larger numbers, then 0.
CANDIDATES: tuple[Fraction, ...] = tuple(
    Fraction(x)
    for x in (
        *range(2, 11),
        *(Fraction(1, d) for d in (2, 3, 4, 5, 10)),
        Fraction(3, 2),
        Fraction(5, 2),
        20,
        50,
        100,
        1000,
        10**4,
        10**5,
        10**6,
        Fraction(1, 100),
        Fraction(1, 1000),
        0,
    )
)


CANDIDATE_INDEX: dict[Fraction, int] = {c: i for i, c in enumerate(CANDIDATES)}


# Whether no point giving variables (by index) the values of `pins`, and the variable at
# `index` any one of `candidates` (each > 0), satisfies a problem: True only when shown
# (see `Pinner.pin`). Called as infeasible(pins, index, candidates).
Infeasible = Callable[[dict[int, Fraction], int, Sequence[Fraction]], bool]


class Pinner:
    """Chooses the values of a satisfiable problem's variables by the problem's meaning
    alone (`pin`), for one solver; it keeps the numerals and the pin literals it makes.

    Models and cores serve only as evidence for the answers it needs (a model shows that a
    pin fits, a core that it does not), never to choose a value, so the values depend
    neither on which models z3 finds nor on what its context saw before.
    """

    def __init__(self, solver: z3.Solver, variables: Sequence[z3.ArithRef] = ()) -> None:
        self.solver = solver
        self.context = solver.ctx
        self.one = real(1, self.context)
        self.numerals = [real(c, self.context) for c in CANDIDATES]
        self.index = {numeral.get_id(): i for i, numeral in enumerate(self.numerals)}
        self.literals: dict[int, z3.BoolRef] = {}
        self.choices: dict[tuple[int, int, int], z3.BoolRef] = {}
        # The variables of the current `pin`, its `infeasible` and pins so far, and the last
        # point `_fits` found.
        self._variables: Sequence[z3.ArithRef] = ()
        self._infeasible: Infeasible | None = None
        self._pins: dict[int, Fraction] = {}
        self._found: list[Fraction | None] = []
        for variable in variables:
            self.literal(variable)

    def literal(self, variable: z3.ArithRef) -> z3.BoolRef:
        """A literal that, assumed, pins `variable` to 1 (kept when made at scope 0)."""
        key = variable.get_id()
        literal = self.literals.get(key)
        if literal is None:
            # Named by the variable's declaration: printing the term would cost far more.
            literal = z3.Bool(f"⟨{variable.decl().name()} = 1⟩", self.context)
            self.solver.add(z3.Implies(literal, variable == self.one))
            if self.solver.num_scopes() == 0:
                self.literals[key] = literal
        return literal

    def pin(
        self,
        variables: Sequence[z3.ArithRef],
        assumptions: Sequence[z3.BoolRef] = (),
        model: z3.ModelRef | None = None,
        holds: Callable[[Sequence[Fraction | None]], bool] | None = None,
        start: Sequence[Fraction | None] | None = None,
        infeasible: Infeasible | None = None,
    ) -> list[Fraction] | None:
        """Values for `variables` satisfying the problem (its last check, under
        `assumptions`, was sat, and `model` is the solver's model then): each in
        turn pinned to 1 where the problem stays satisfiable with the pins before it; those
        that cannot be 1 then, in turn, to the first of `CANDIDATES` that fits. None when
        some variable fits no candidate (or the solver gave up).

        `holds`, when given, is the problem's exact truth at a point giving every one of
        `variables` a value (every variable the problem has): a point where it holds shows
        a set of pins satisfiable without asking the solver, and once every other variable
        is pinned a candidate's fit is decided by it alone. `start` (values of `variables`
        at a point where the problem holds) then stands in for `model`. `infeasible`, when
        given, is True only when no point giving variables the values it is passed (by
        index; see `Infeasible`) satisfies the problem: pins it rules out are unsat without
        a check. The answers are the same either way; only the number of solver checks
        differs."""
        solver = self.solver
        self._variables = variables
        self._infeasible = infeasible
        if start is not None:
            point: list[Fraction | None] = list(start)
        else:
            point = self._point(model if model is not None else solver.model(), variables)
        if holds is not None and any(value is None for value in point):
            holds = None
        scopes = solver.num_scopes()
        pins: dict[int, Fraction] = {}
        self._pins = pins
        one = Fraction(1)

        def holds_with(changes: dict[int, Fraction]) -> list[Fraction | None] | None:
            """The current point with `changes`, when the problem holds there."""
            if holds is None:
                return None
            trial = list(point)
            for i, value in changes.items():
                trial[i] = value
            return trial if holds(trial) else None

        try:
            solver.push()
            literals = [self.literal(v) for v in variables]

            # 1. Greedily to 1, in order. Without `holds`: a satisfiable block is accepted
            # whole; an unsatisfiable one's core, all of it at or before its last member m,
            # shows that m is rejected once the block before m is accepted.
            rejected: list[int] = []
            accepted: list[z3.BoolRef] = []  # the pins to 1 so far, assumed in every check
            pending = list(range(len(variables)))
            while pending:
                if point[pending[0]] == one:
                    i = pending.pop(0)
                    pins[i] = one
                    accepted.append(literals[i])
                    continue
                if holds is not None:
                    # One at a time, as the order asks: each pin to 1 that keeps the problem
                    # true at the current point is accepted without a check; the first that
                    # does not is asked of the solver alone (unsat: rejected).
                    i = pending.pop(0)
                    shown = holds_with({i: one})
                    if shown is not None:
                        point = shown
                        result = z3.sat
                    elif infeasible is not None and infeasible(pins, i, (one,)):
                        result = z3.unsat
                    else:
                        result = check_sat(solver, [*assumptions, *accepted, literals[i]])
                        if result == z3.sat:
                            point = self._point(solver.model(), variables)
                            if any(value is None for value in point):
                                holds = None
                    if result == z3.sat:
                        pins[i] = one
                        accepted.append(literals[i])
                    elif result == z3.unsat:
                        rejected.append(i)
                    else:
                        return None
                    continue
                block, last = pending, None
                while True:
                    trial = [*assumptions, *accepted, *(literals[i] for i in block)]
                    result = check_sat(solver, trial)
                    if result == z3.sat:
                        point = self._point(solver.model(), variables)
                        for i in block:
                            pins[i] = one
                            accepted.append(literals[i])
                        if last is None:
                            pending = pending[len(block) :]
                        else:
                            rejected.append(last)
                            pending = pending[pending.index(last) + 1 :]
                        break
                    if result != z3.unsat:
                        return None
                    core = {c.get_id() for c in solver.unsat_core()}
                    inside = [i for i in block if literals[i].get_id() in core]
                    if not inside or inside[-1] == block[0]:
                        rejected.append(block[0])
                        pending = pending[pending.index(block[0]) + 1 :]
                        break
                    last = inside[-1]
                    block = block[: block.index(last)]

            # 2. The rest, in order, to the first candidate that fits: a binary search over
            # prefixes of the candidates, each point found narrowing it down. The last of
            # them, every other variable pinned, is decided by `holds` alone when given.
            assumptions = [*assumptions, *accepted]
            for position, i in enumerate(rejected):
                variable = variables[i]
                if holds is not None and position == len(rejected) - 1:
                    for candidate in CANDIDATES:
                        shown = holds_with({i: candidate})
                        if shown is not None:
                            point = shown
                            pins[i] = candidate
                            break
                    else:
                        return None
                    continue
                high = self._candidate(point[i])
                if holds is not None:
                    # The first candidate that fits with the later variables where they are
                    # bounds the search (the solver is asked only about the ones before it).
                    stop = len(CANDIDATES) if high is None else high
                    for index in range(stop):
                        shown = holds_with({i: CANDIDATES[index]})
                        if shown is not None:
                            point, high = shown, index
                            break
                if high is None:
                    if not self._fits(variable, i, 0, len(CANDIDATES), assumptions, point):
                        return None
                    point = self._found
                    high = self._candidate(point[i])
                    assert high is not None
                low = 0
                if holds is not None and 0 < high:
                    # The candidate found by evaluation is usually the first that fits: one
                    # check of all those before it shows that (or finds an earlier one).
                    if self._fits(variable, i, 0, high, assumptions, point):
                        point = self._found
                        high = self._candidate(point[i])
                        assert high is not None
                    else:
                        low = high
                while low < high:
                    middle = (low + high) // 2
                    if self._fits(variable, i, low, middle + 1, assumptions, point):
                        point = self._found
                        high = self._candidate(point[i])
                        assert high is not None
                    else:
                        low = middle + 1
                if self._candidate(point[i]) != high:
                    if not self._fits(variable, i, high, high + 1, assumptions, point, holds):
                        return None
                    point = self._found
                pins[i] = CANDIDATES[high]
                solver.add(variable == self.numerals[high])
                if holds is not None and any(value is None for value in point):
                    holds = None
            return [pins[i] for i in range(len(variables))]
        finally:
            solver.pop(solver.num_scopes() - scopes)

    @staticmethod
    def _point(model: z3.ModelRef, variables: Sequence[z3.ArithRef]) -> list[Fraction | None]:
        """The values of `variables` in `model` (None where one is not rational)."""
        return rational_values(model, variables)

    def _candidate(self, value: Fraction | None) -> int | None:
        """The position of `value` among `CANDIDATES`, if it is one."""
        return CANDIDATE_INDEX.get(value) if value is not None else None

    def _fits(
        self,
        variable: z3.ArithRef,
        position: int,
        start: int,
        stop: int,
        assumptions: Sequence[z3.BoolRef],
        point: Sequence[Fraction | None],
        holds: Callable[[Sequence[Fraction | None]], bool] | None = None,
    ) -> bool:
        """Whether the problem has a point with `variable` (at `position`) at one of
        CANDIDATES[start:stop]; that point is left in `self._found`. `holds` (see `pin`)
        tries the current `point` with each candidate first; `pin`'s `infeasible`, with the
        pins so far, shows there is none when it rules out each."""
        if holds is not None:
            for candidate in CANDIDATES[start:stop]:
                trial = list(point)
                trial[position] = candidate
                if holds(trial):
                    self._found = trial
                    return True
        infeasible = self._infeasible
        if infeasible is not None and infeasible(self._pins, position, CANDIDATES[start:stop]):
            return False
        # Terms outlive push/pop (only assertions are scoped), so they are made once.
        key = (variable.get_id(), start, stop)
        choice = self.choices.get(key)
        if choice is None:
            options = [
                _real_compare("=", variable, n, self.context) for n in self.numerals[start:stop]
            ]
            choice = options[0] if len(options) == 1 else _bool_or(options, self.context)
            self.choices[key] = choice
        solver = self.solver
        solver.push()
        try:
            assert_formula(solver, choice)
            if check_sat(solver, assumptions) != z3.sat:
                return False
            self._found = self._point(solver.model(), self._variables)
            return True
        finally:
            solver.pop()


def guarded_hypotheses(
    solver: z3.Solver, encoder: Encoder, hypotheses: Sequence[Hypothesis], context: z3.Context
) -> dict[str, z3.BoolRef]:
    """Each hypothesis added under its own indicator literal (for cores), by name."""
    indicators: dict[str, z3.BoolRef] = {}
    for hypothesis in hypotheses:
        indicator = z3.Bool(f"⟨{hypothesis.name}⟩", context)
        indicators[hypothesis.name] = indicator
        parts = [encoder.bound(symbol, kind) for symbol, kind in hypothesis.bounds]
        if hypothesis.formula is not None:
            parts.append(encoder.formula(hypothesis.formula))
        solver.add(z3.Implies(indicator, z3.And(parts) if parts else z3.BoolVal(True, context)))
    return indicators
