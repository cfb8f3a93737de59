"""Checking a file: parse, resolve, derive costs, decide every claim, compute every range.

`check_source` is the one entry point the CLI, the report and the REPL share; it returns
plain records (`FileResult`) and leaves rendering to `calculus.output`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy

from calculus import nodes as n
from calculus.costs import CostModel, G, LogicFormula, atom, derive_costs, fold
from calculus.diagnostics import Diagnostic, InputError, at
from calculus.logic import POSITIVITY, Decider, Hypothesis, Problem, Verdict, decide
from calculus.model import Model, build_model
from calculus.numbers import to_fraction
from calculus.printer import format_expr
from calculus.syntax import decode, parse

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ClaimResult:
    name: str
    kind: str  # "claim" | "refute"
    statement: str
    verdict: Verdict
    span: n.Span
    for_some_g: bool = False
    difference: sympy.Expr | None = None
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        wanted = "proved" if self.kind == "claim" else "refuted"
        return self.verdict.status == wanted


@dataclass(frozen=True)
class FileResult:
    path: str
    source: str
    title: str | None = None
    claims: tuple[ClaimResult, ...] = ()
    ranges: tuple[Any, ...] = ()  # calculus.dominance.RangesResult
    reductions: tuple[Any, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    model: Model | None = field(default=None, repr=False, compare=False)
    costs: CostModel | None = field(default=None, repr=False, compare=False)
    sweeps: tuple[Any, ...] = ()  # calculus.circuits.sweep.SweepOutcome

    @property
    def input_error(self) -> bool:
        return bool(self.diagnostics)

    @property
    def ok(self) -> bool:
        ranges_ok = all(getattr(r, "status", "exact") == "exact" for r in self.ranges)
        reductions_ok = all(getattr(r, "passed", True) for r in self.reductions)
        return (
            not self.diagnostics
            and all(c.passed for c in self.claims)
            and ranges_ok
            and reductions_ok
        )


def hypotheses(costs: CostModel) -> list[Hypothesis]:
    """The named assumptions of the model, and the default bounds as `positivity`.

    An assumption holds only where it is defined (DESIGN §12): each of its divisions by a
    non-constant adds, ahead of it, the condition that the denominator is non-zero where
    the division is evaluated, so no exact re-check accepts a point where it is not.
    """
    from calculus.costs import Junction
    from calculus.definedness import divisions

    found = []
    for assumption in costs.model.assumptions:
        formula = costs.formula(assumption.node.formula)
        for division in reversed(divisions(costs, assumption.node.formula)):
            formula = Junction("and", division.obligation(), formula)
        found.append(Hypothesis(assumption.name, formula))
    found.append(Hypothesis(POSITIVITY, bounds=tuple(costs.bounds.items())))
    return found


def claim_difference(formula: LogicFormula) -> sympy.Expr | None:
    """For a single comparison `lhs < rhs`: rhs − lhs, expanded (what must be positive)."""
    from calculus.costs import Atomic

    if isinstance(formula, Atomic):
        return sympy.expand(formula.rhs - formula.lhs)
    return None


# The wall-clock limit of one claim, all its obligations together, in units of --timeout;
# it bounds sympy's algebra, which has no timeout of its own.
CLAIM_TIME_FACTOR = 3


def decide_claim(
    costs: CostModel,
    claim: n.Claim,
    name: str,
    timeout: float,
    extra: list[Hypothesis] | None = None,
    decider: Decider | None = None,
) -> ClaimResult:
    from calculus.definedness import check_divisions
    from calculus.limits import TimeLimitExceeded, time_limit

    statement = format_expr(claim.formula) + (" for some g" if claim.for_some_g else "")
    started = time.perf_counter()
    difference = None
    limit = CLAIM_TIME_FACTOR * timeout + 1
    try:
        with time_limit(limit):
            formula = costs.formula(claim.formula)
            found = hypotheses(costs) + (extra or [])
            verdict = check_divisions(costs, claim.formula, found, timeout)
            if verdict is None:
                problem = Problem(formula, found, claim.for_some_g, costs.family, timeout)
                verdict = decider.decide(problem) if decider is not None else decide(problem)
            difference = claim_difference(formula)
    except TimeLimitExceeded:
        verdict = Verdict(
            "unknown",
            reason=f"gave up after {limit:g} s, the time limit of one claim "
            f"({CLAIM_TIME_FACTOR} × --timeout + 1 s)",
        )
    return ClaimResult(
        name=name,
        kind=claim.kind,
        statement=statement,
        verdict=verdict,
        span=claim.span,
        for_some_g=claim.for_some_g,
        difference=difference,
        seconds=time.perf_counter() - started,
    )


def scenario_values(
    costs: CostModel, scenario: n.Scenario, atoms: set[sympy.Symbol], where: n.Span
) -> dict[sympy.Symbol, sympy.Expr]:
    """Numbers for every atom in `atoms`, from the scenario or its default."""
    given: dict[sympy.Symbol, sympy.Expr] = {}
    for value in scenario.values:
        if isinstance(value.target, n.CostOf):
            given[atom(value.target.kind, str(value.target.term))] = costs.expr(value.value)
    missing = sorted((s for s in atoms if s not in given), key=lambda s: s.name)
    if missing and scenario.default is None:
        raise InputError(
            [
                at(
                    costs.model.path,
                    where,
                    "scenario",
                    f"scenario '{scenario.name}' gives no value to {missing[0].name}",
                    "give it a value, or add `default = 1` to the scenario",
                )
            ]
        )
    default = costs.expr(scenario.default) if scenario.default is not None else sympy.Integer(0)
    values = {s: given.get(s, default) for s in atoms}
    for symbol, value in values.items():
        kind = costs.bounds.get(symbol, "positive")
        if value < 0 or (kind == "positive" and value == 0):
            raise InputError(
                [
                    at(
                        costs.model.path,
                        scenario.span,
                        "scenario",
                        f"scenario '{scenario.name}' sets {symbol.name} = {value}, "
                        f"but cost atoms are {'>= 0' if kind == 'nonneg' else '> 0'}",
                    )
                ]
            )
    return values


def compute_ranges(costs: CostModel, statement: n.Ranges, timeout: float) -> Any:
    from calculus import dominance

    names = [p.text for p in statement.programs]
    if statement.scenario is not None:
        scenario = costs.model.scenarios[statement.scenario.text]
        atoms: set[sympy.Symbol] = set()
        for name in names:
            program = costs.program(name)
            atoms |= program.c.free_symbols | program.t.free_symbols
        values = scenario_values(costs, scenario, atoms, statement.span)
        lines: dict[str, tuple[Fraction, Fraction]] = {}
        for name in names:
            program = costs.program(name)
            c = sympy.nsimplify(program.c.xreplace(values))
            t = sympy.nsimplify(program.t.xreplace(values))
            for kind, value in (("c", c), ("t", t)):
                if not value.is_Rational:
                    raise InputError(
                        [
                            at(
                                costs.model.path,
                                statement.span,
                                "scenario",
                                f"in scenario '{scenario.name}', {kind}({name}) has no value "
                                "(a division by zero)",
                                "give the atoms it divides by non-zero values in the scenario",
                            )
                        ]
                    )
            lines[name] = (to_fraction(c), to_fraction(t))
        return dominance.scenario_ranges(lines, scenario.name.text)
    if costs.family != "linear":
        # Under a non-linear family g is a function, not a rate: there is no interval of
        # rates to report. Say so instead of stopping the whole file.
        reason = (
            f"ranges of g are intervals of an exchange rate, defined for `exchange linear`; "
            f"under `exchange {costs.family}` g is a function, so dominance is stated as claims "
            f"(`claim P beats Q` for every g of the family, or `... for some g`), "
            f"or computed in a scenario: `ranges ... in S`"
        )
        empty = tuple(dominance.RangeRow(name, (), (), ()) for name in names)
        return dominance.RangesResult(tuple(names), None, empty, "unknown", reason)
    from calculus.definedness import check_divisions

    ill_defined = check_divisions(costs, None, hypotheses(costs), timeout, names)
    if ill_defined is not None:
        reason = "; ".join([ill_defined.reason or "", *ill_defined.notes])
        return dominance.RangesResult(tuple(names), None, (), "unknown", reason)
    program_costs = {name: (costs.program(name).c, costs.program(name).t) for name in names}
    assumptions = [to_sympy_boolean(costs.formula(a.node.formula)) for a in costs.model.assumptions]
    return dominance.symbolic_ranges(program_costs, assumptions, dict(costs.bounds), timeout)


_SYMPY_COMPARISONS = {
    "<": sympy.Lt,
    "<=": sympy.Le,
    ">": sympy.Gt,
    ">=": sympy.Ge,
    "=": sympy.Eq,
    "!=": sympy.Ne,
}
_SYMPY_CONNECTIVES = {
    "and": sympy.And,
    "or": sympy.Or,
    "->": sympy.Implies,
    "<->": sympy.Equivalent,
}


def to_sympy_boolean(formula: LogicFormula) -> Any:
    """The formula as a sympy boolean (comparisons left unevaluated)."""
    return fold(
        formula,
        lambda a: _SYMPY_COMPARISONS[a.op](a.lhs, a.rhs, evaluate=False),
        sympy.Not,
        lambda op, left, right: _SYMPY_CONNECTIVES[op](left, right),
    )


def _guarded_claim(
    costs: CostModel, claim: n.Claim, name: str, timeout: float, decider: Decider
) -> ClaimResult:
    """A failure inside the tool is an `unknown` for that claim, never a traceback."""
    try:
        return decide_claim(costs, claim, name, timeout, decider=decider)
    except (InputError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - reported as the verdict's reason
        statement = format_expr(claim.formula) + (" for some g" if claim.for_some_g else "")
        verdict = Verdict("unknown", reason=f"internal error: {type(error).__name__}: {error}")
        return ClaimResult(name, claim.kind, statement, verdict, claim.span, claim.for_some_g)


def _guarded_ranges(costs: CostModel, statement: n.Ranges, timeout: float) -> Any:
    from calculus.limits import TimeLimitExceeded, time_limit

    limit = CLAIM_TIME_FACTOR * timeout + 1
    try:
        with time_limit(limit):
            return compute_ranges(costs, statement, timeout)
    except (InputError, KeyboardInterrupt):
        raise
    except TimeLimitExceeded:
        from calculus.dominance import RangesResult

        return RangesResult(
            tuple(p.text for p in statement.programs),
            statement.scenario.text if statement.scenario else None,
            (),
            "unknown",
            f"gave up after {limit:g} s ({CLAIM_TIME_FACTOR} × --timeout + 1 s)",
        )
    except Exception as error:  # noqa: BLE001 - reported as the result's reason
        from calculus.dominance import RangesResult

        return RangesResult(
            tuple(p.text for p in statement.programs),
            statement.scenario.text if statement.scenario else None,
            (),
            "unknown",
            f"internal error: {type(error).__name__}: {error}",
        )


# A reduction runs many exact-synthesis queries; it gets this many obligations' time.
REDUCTION_TIMEOUT_FACTOR = 6


def check_reduction_statement(model: Model, statement: n.Reduction, timeout: float) -> Any:
    """Check one `reduction` statement; solver trouble becomes an unknown outcome."""
    from calculus.circuits.language import ReductionOutcome, run_reduction

    try:
        return run_reduction(model, statement, timeout * REDUCTION_TIMEOUT_FACTOR)
    except (InputError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - reported as the outcome's reason
        return ReductionOutcome(
            statement.name.text,
            statement.span,
            None,
            f"internal error: {type(error).__name__}: {error}",
        )


def check_sweep_statement(model: Model, statement: n.Sweep, timeout: float) -> Any:
    """Run one `sweep` statement; each row gets a reduction's time."""
    from calculus.circuits.sweep import run_sweep

    return run_sweep(model, statement, timeout * REDUCTION_TIMEOUT_FACTOR)


def check_model(model: Model, timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    from calculus.limits import cap_z3_memory

    cap_z3_memory()
    costs = derive_costs(model)
    # Translate everything first so that `positivity` covers every atom in play.
    for assumption in model.assumptions:
        costs.formula(assumption.node.formula)
    for claim in model.claims:
        costs.formula(claim.node.formula)
    with Decider() as decider:
        claims = tuple(
            _guarded_claim(costs, c.node, c.name, timeout, decider) for c in model.claims
        )
    ranges = tuple(_guarded_ranges(costs, r, timeout) for r in model.ranges)
    reductions = tuple(check_reduction_statement(model, r, timeout) for r in model.reductions)
    sweeps = tuple(check_sweep_statement(model, s, timeout) for s in model.sweeps)
    return FileResult(
        model.path, model.text, model.title, claims, ranges, reductions, (), model, costs, sweeps
    )


def check_source(text: str, path: str = "<input>", timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    """Check `.cost` source text; input errors come back as diagnostics, not exceptions."""
    try:
        model = build_model(parse(text, path))
        return check_model(model, timeout)
    except InputError as error:
        return FileResult(path, text, diagnostics=error.diagnostics)


def check_file(path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return FileResult(
            shown,
            "",
            diagnostics=(Diagnostic(shown, 0, 0, "file", f"cannot read file: {error.strerror}"),),
        )
    try:
        text = decode(data, shown)
    except InputError as error:
        return FileResult(shown, "", diagnostics=error.diagnostics)
    return check_source(text, shown, timeout)


def gather_files(arguments: list[str]) -> list[Path]:
    """Files named, and every `*.cost` file under directories named, in a stable order."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(sorted(path.rglob("*.cost")))
        else:
            found.append(path)
    return found


__all__ = [
    "ClaimResult",
    "FileResult",
    "check_file",
    "check_source",
    "check_model",
    "G",
    "gather_files",
]
