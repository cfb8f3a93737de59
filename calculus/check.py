"""Checking a file: parse, resolve, derive costs, decide every claim, compute every range.

`Pipeline` is the one path from a resolved model to its results (derive → decide → ranges
→ reductions → sweeps → objections): `check_source` and `check_file` (the CLI, the report,
the language server, the notebook) run it whole, and the REPL session runs its stages with
a `VerdictCache`. It returns plain records (`FileResult`) and leaves rendering to
`calculus.output`.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import sympy

from calculus import nodes as n
from calculus.costs import (
    Atomic,
    CostModel,
    G,
    Junction,
    LogicFormula,
    atom,
    derive_costs,
    fold,
)
from calculus.diagnostics import Diagnostic, InputError, at
from calculus.imports import expand_imports
from calculus.logic import POSITIVITY, Decider, Hypothesis, Problem, Verdict, decide
from calculus.model import Model, build_model, objection_source
from calculus.numbers import to_fraction
from calculus.printer import format_expr
from calculus.syntax import decode, parse

if TYPE_CHECKING:
    from calculus.circuits.language import ReductionOutcome
    from calculus.circuits.sweep import SweepOutcome
    from calculus.dominance import RangesResult

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
    # Under `exchange linear, subadditive` (or `all`): the verdict under each family, in the
    # order listed; `verdict` is the first one's. Empty when one family is in play.
    by_family: tuple[tuple[str, Verdict], ...] = ()
    quote: str | None = None
    # The file the claim is written in, when it was imported.
    origin: str | None = None
    # A refuted claim of the linear family: the condition under which it holds, and
    # proved statements one edit away (DESIGN §9.4).
    holds_when: str | None = None
    repairs: tuple[str, ...] = ()
    # The assumptions that contradict each other on which the verdict alone rests.
    vacuous: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        wanted = "proved" if self.kind == "claim" else "refuted"
        verdicts = [v for _, v in self.by_family] or [self.verdict]
        return all(v.status == wanted for v in verdicts)


@dataclass(frozen=True)
class Flip:
    """A claim of the base argument whose verdict an objection changes."""

    claim: str
    before: str
    after: str
    # The assumptions that cannot all hold on which the verdict after the change rests.
    vacuous: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectionResult:
    """An objection re-checked: the base claims whose verdicts flip, and its own claims."""

    name: str
    span: n.Span
    flips: tuple[Flip, ...] = ()
    claims: tuple[ClaimResult, ...] = ()
    dropped: tuple[str, ...] = ()
    # Assumptions of the argument as the objection changes it that cannot all hold.
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.claims)


@runtime_checkable
class ReductionRecord(Protocol):
    """A checked reduction of another kind, plugged into a file's results: it says whether
    it passed and renders itself as JSON (the `reduction` statement's own outcome is a
    `calculus.circuits.language.ReductionOutcome`, rendered by `calculus.output`)."""

    @property
    def passed(self) -> bool: ...

    def as_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FileResult:
    path: str
    source: str
    title: str | None = None
    claims: tuple[ClaimResult, ...] = ()
    ranges: tuple[RangesResult, ...] = ()
    reductions: tuple[ReductionOutcome | ReductionRecord, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    model: Model | None = field(default=None, repr=False, compare=False)
    costs: CostModel | None = field(default=None, repr=False, compare=False)
    sweeps: tuple[SweepOutcome, ...] = ()
    objections: tuple[ObjectionResult, ...] = ()
    # Not errors: the file is checked (assumptions that cannot all hold, see `vacuity`).
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def input_error(self) -> bool:
        return bool(self.diagnostics)

    @property
    def ok(self) -> bool:
        ranges_ok = all(r.status == "exact" for r in self.ranges)
        reductions_ok = all(r.passed for r in self.reductions)
        return (
            not self.diagnostics
            and all(c.passed for c in self.claims)
            and all(o.ok for o in self.objections)
            and ranges_ok
            and reductions_ok
        )


def hypotheses(costs: CostModel) -> list[Hypothesis]:
    """The hypotheses every claim of the model may use (see `_hypotheses`)."""
    return list(_hypotheses(costs))


@lru_cache(maxsize=8)
def _hypotheses(costs: CostModel) -> tuple[Hypothesis, ...]:
    """The named assumptions of the model, the default bounds as `positivity`, and each
    parameter's declared bounds as `parameter NAME`.

    An assumption holds only where it is defined (DESIGN §12): each of its divisions by a
    non-constant adds, ahead of it, the condition that the denominator is non-zero where
    the division is evaluated, so no exact re-check accepts a point where it is not.
    """
    from calculus.definedness import divisions

    found = []
    for assumption in costs.model.assumptions:
        formula = costs.formula(assumption.node.formula)
        for division in reversed(divisions(costs, assumption.node.formula)):
            formula = Junction("and", division.obligation(), formula)
        found.append(Hypothesis(assumption.name, formula))
    found.append(Hypothesis(POSITIVITY, bounds=tuple(costs.bounds.items())))
    for name, declared in costs.model.parameters.items():
        symbol = costs.parameter(name)
        bounded: LogicFormula | None = None
        for bound in declared.bounds:
            atomic = Atomic(bound.op, symbol, costs.expr(bound.value))
            bounded = atomic if bounded is None else Junction("and", bounded, atomic)
        if bounded is not None:
            found.append(Hypothesis(f"parameter {name}", bounded))
    return tuple(found)


def claim_difference(formula: LogicFormula) -> sympy.Expr | None:
    """For a single comparison `lhs < rhs`: rhs − lhs, expanded (what must be positive).

    A polynomial difference is built from its terms (`exact.difference_of`, met already in
    deciding the claim): the same canonical sum `sympy.expand` gives, without expanding."""
    from calculus.costs import Atomic
    from calculus.logic.exact import difference_of

    if not isinstance(formula, Atomic):
        return None
    terms = difference_of(formula)
    if terms is None:
        return sympy.expand(formula.rhs - formula.lhs)
    return sympy.Add(
        *(
            sympy.Mul(sympy.Rational(-c.numerator, c.denominator), *monomial)
            for monomial, c in terms[0]
        )
    )


# The wall-clock limit of one claim, all its obligations together, in units of --timeout;
# it bounds sympy's algebra, which has no timeout of its own.
CLAIM_TIME_FACTOR = 3


def claim_statement(claim: n.Claim) -> str:
    """The claim as written, quantifiers included (without its label, kind and quote)."""
    text = format_expr(claim.formula)
    if claim.eventually is not None:
        text = f"eventually in {claim.eventually}: {text}"
    if claim.for_some_g:
        text += " for some g"
    if claim.for_some_costs:
        text += " for some costs"
    for parameter in claim.for_some:
        text += f" for some {parameter}"
    return text


def claim_problem(
    costs: CostModel, claim: n.Claim, timeout: float, extra: list[Hypothesis] | None = None
) -> Problem:
    """The decision problem of a claim under the family `costs` translates g for."""
    formula = costs.formula(claim.formula)
    found = hypotheses(costs) + (extra or [])
    some = tuple(costs.parameter(p.text) for p in claim.for_some)
    eventually = costs.parameter(claim.eventually.text) if claim.eventually else None
    return Problem(
        formula,
        found,
        claim.for_some_g,
        costs.family,
        timeout,
        for_some_costs=claim.for_some_costs,
        for_some_parameters=some,
        eventually=eventually,
        parameters=tuple(costs.parameter_symbols),
    )


def _decide_under(
    costs: CostModel,
    claim: n.Claim,
    timeout: float,
    extra: list[Hypothesis] | None,
    decider: Decider | None = None,
) -> tuple[Verdict, Problem]:
    """A claim's verdict under the family of `costs`: ill-defined divisions first."""
    from calculus.definedness import check_divisions

    problem = claim_problem(costs, claim, timeout, extra)
    verdict = check_divisions(costs, claim.formula, list(problem.hypotheses), timeout)
    if verdict is None:
        verdict = decider.decide(problem) if decider is not None else decide(problem)
    return verdict, problem


def decide_claim(
    costs: CostModel,
    claim: n.Claim,
    name: str,
    timeout: float,
    extra: list[Hypothesis] | None = None,
    decider: Decider | None = None,
    more: tuple[CostModel, ...] = (),
) -> ClaimResult:
    """Decide a claim under the family of `costs`, and of each of `more` (exchange lists)."""
    from calculus import limits
    from calculus.limits import TimeLimitExceeded, memory_limit, time_limit

    started = time.perf_counter()
    difference = None
    by_family: tuple[tuple[str, Verdict], ...] = ()
    limit = CLAIM_TIME_FACTOR * timeout * (1 + len(more)) + 1
    try:
        with time_limit(limit), memory_limit():
            verdict, problem = _decide_under(costs, claim, timeout, extra, decider)
            difference = claim_difference(problem.claim)
            if more:
                by_family = ((costs.family, verdict),) + tuple(
                    (other.family, _decide_under(other, claim, timeout, extra)[0]) for other in more
                )
    except TimeLimitExceeded:
        verdict = Verdict(
            "unknown",
            reason=f"gave up after {limit:g} s, the time limit of one claim "
            f"({CLAIM_TIME_FACTOR} × --timeout + 1 s per family)",
        )
        by_family = tuple((c.family, verdict) for c in (costs, *more)) if more else ()
    except MemoryError:
        verdict = Verdict(
            "unknown",
            reason=f"gave up: deciding it needed more than {limits.OBLIGATION_MEMORY_MB} MB of memory",
        )
        by_family = tuple((c.family, verdict) for c in (costs, *more)) if more else ()
    return ClaimResult(
        name=name,
        kind=claim.kind,
        statement=claim_statement(claim),
        verdict=verdict,
        span=claim.span,
        for_some_g=claim.for_some_g,
        difference=difference,
        seconds=time.perf_counter() - started,
        by_family=by_family,
        quote=claim.quote,
    )


def scenario_values(
    costs: CostModel, scenario: n.Scenario, atoms: set[sympy.Symbol], where: n.Ranges
) -> dict[sympy.Symbol, sympy.Expr]:
    """Numbers for every atom in `atoms`, from the scenario or its default (`where`: the
    statement that asks for them)."""
    given: dict[sympy.Symbol, sympy.Expr] = {}
    for value in scenario.values:
        if isinstance(value.target, n.CostOf):
            given[atom(value.target.kind, str(value.target.term))] = costs.expr(value.value)
        elif isinstance(value.target, n.Symbol):
            given[costs.parameter(value.target.name.text)] = costs.expr(value.value)
    parameters = set(costs.parameter_symbols)
    missing = sorted((s for s in atoms if s not in given), key=lambda s: s.name)
    if missing and scenario.default is None:
        raise InputError(
            [
                at(
                    costs.model.origin(where),
                    where.span,
                    "scenario",
                    f"scenario '{scenario.name}' gives no value to {missing[0].name}",
                    "give it a value, or add `default = 1` to the scenario",
                )
            ]
        )
    default = costs.expr(scenario.default) if scenario.default is not None else sympy.Integer(0)
    values = {s: given.get(s, default) for s in atoms}
    for symbol, value in values.items():
        if symbol in parameters:
            continue
        kind = costs.bounds.get(symbol, "positive")
        if value < 0 or (kind == "positive" and value == 0):
            raise InputError(
                [
                    at(
                        costs.model.origin(scenario),
                        scenario.span,
                        "scenario",
                        f"scenario '{scenario.name}' sets {symbol.name} = {value}, "
                        f"but cost atoms are {'>= 0' if kind == 'nonneg' else '> 0'}",
                    )
                ]
            )
    return values


def compute_ranges(costs: CostModel, statement: n.Ranges, timeout: float) -> RangesResult:
    from calculus import dominance

    names = [p.text for p in statement.programs]
    if statement.scenario is not None:
        scenario = costs.model.scenarios[statement.scenario.text]
        atoms: set[sympy.Symbol] = set()
        for name in names:
            program = costs.program(name)
            atoms |= program.c.free_symbols | program.t.free_symbols
        values = scenario_values(costs, scenario, atoms, statement)
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
                                costs.model.origin(statement),
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
    if costs.family != "linear" and "linear" in costs.model.exchange_families:
        # Under an exchange list the g-ranges are those of its linear member (a rate).
        costs = costs.under("linear")
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


class VerdictCache:
    """Claim results by everything their verdicts depend on, so that a claim whose solver
    problems are unchanged is not decided again; the oldest is dropped past `size`."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._results: dict[Hashable, ClaimResult] = {}

    def get(self, key: Hashable) -> ClaimResult | None:
        return self._results.get(key)

    def put(self, key: Hashable, result: ClaimResult) -> None:
        if key not in self._results and len(self._results) >= self.size:
            self._results.pop(next(iter(self._results)))
        self._results[key] = result

    def __len__(self) -> int:
        return len(self._results)


def derive_views(model: Model) -> tuple[CostModel, ...]:
    """One cost view per exchange family in play, the model's own first; they share one
    derivation (programs and atom bounds do not depend on the family)."""
    costs = derive_costs(model)
    return tuple(costs.under(family) for family in model.exchange_families or (model.family,))


@dataclass(frozen=True)
class Pipeline:
    """Checking a model, stage by stage: derive → decide → ranges → reductions → sweeps →
    objections (parsing and name resolution come before, in `load_model`).

    `check` runs them all, as `cost check` does; the REPL calls the stages it needs with a
    `cache` of verdicts, `explain=False` (it explains a refuted claim when asked) and
    `guarded=False` (a failure inside the tool is its error, not an `unknown` verdict).
    """

    timeout: float = DEFAULT_TIMEOUT
    cache: VerdictCache | None = None
    # A refuted claim of the linear family gets its `holds when` and repairs (DESIGN §9.4).
    explain: bool = True
    # A failure inside the tool is an `unknown` for that claim or range, never an exception.
    guarded: bool = True

    def check(self, model: Model) -> FileResult:
        from calculus.limits import cap_z3_memory

        cap_z3_memory()
        # Mistakes inside objections are input errors, found before anything is decided.
        for objection in model.objections:
            objection_model(model, objection)
        views = derive_views(model)
        claims, warnings, cores = self.vacuity(model, views, self.decide(model, views))
        ranges = self.ranges(views, model.ranges)
        reductions = self.reductions(model, model.reductions)
        sweeps = tuple(check_sweep_statement(model, s, self.timeout) for s in model.sweeps)
        objections = tuple(self.objection(model, o, claims, cores) for o in model.objections)
        return FileResult(
            model.path,
            model.text,
            model.title,
            claims,
            ranges,
            reductions,
            (),
            model,
            views[0],
            sweeps,
            objections,
            tuple(warnings) + tuple(w for o in objections for w in o.warnings),
        )

    # -- claims
    def decide(self, model: Model, views: tuple[CostModel, ...]) -> tuple[ClaimResult, ...]:
        """The verdict of every claim of the model, under every family of its exchange
        list (`views`, from `derive_views`)."""
        with Decider() as decider:
            results = [self.decide_claim(views, c.node, c.name, decider) for c in model.claims]
        # Refuted claims of the linear family are explained (DESIGN §9.4), also when it is
        # one of several families in play.
        linear = next((i for i, view in enumerate(views) if view.family == "linear"), None)
        claims = []
        for claim, result in zip(model.claims, results, strict=True):
            if self.explain and linear is not None and result.kind == "claim":
                verdict = result.by_family[linear][1] if result.by_family else result.verdict
                if verdict.status == "refuted":
                    result = _explained(views[linear], claim.node, result, verdict, self.timeout)
            origin = model.origin(claim.node)
            if origin != model.path:
                result = replace(result, origin=origin)
            claims.append(result)
        return tuple(claims)

    def vacuity(
        self,
        model: Model,
        views: tuple[CostModel, ...],
        claims: tuple[ClaimResult, ...],
        known: tuple[tuple[str, ...], ...] = (),
        own: set[int] | None = None,
    ) -> tuple[tuple[ClaimResult, ...], tuple[Diagnostic, ...], tuple[tuple[str, ...], ...]]:
        """The claims, those proved only from assumptions that cannot all hold noted as
        vacuous; a warning per set of assumptions that cannot all hold, but those in
        `known`, placed first at a statement in `own` (ids); and every such set (see
        `calculus.vacuity`)."""
        from calculus.vacuity import review

        hypothesised = [(v, hypotheses(v)) for v in views]
        verdicts = [tuple(v for _, v in c.by_family) or (c.verdict,) for c in claims]
        reviewed, warnings, cores = review(
            model, hypothesised, verdicts, self.timeout, known, own or set()
        )
        marked = []
        for claim, (noted, vacuous) in zip(claims, reviewed, strict=True):
            if vacuous:
                by_family = claim.by_family
                if by_family:
                    by_family = tuple(
                        (family, v) for (family, _), v in zip(by_family, noted, strict=True)
                    )
                claim = replace(claim, verdict=noted[0], by_family=by_family, vacuous=vacuous)
            marked.append(claim)
        return tuple(marked), warnings, cores

    def decide_claim(
        self,
        views: tuple[CostModel, ...],
        claim: n.Claim,
        name: str,
        decider: Decider | None = None,
        force: bool = False,
    ) -> ClaimResult:
        """One claim's verdict under each view; from the cache when its problems are the
        same as those of a claim decided before (`force`: decide it again anyway)."""
        key = None
        if self.cache is not None:
            key = _verdict_key(views, claim, self.timeout)
            cached = self.cache.get(key)
            if cached is not None and not force:
                return replace(
                    cached,
                    name=name,
                    kind=claim.kind,
                    statement=claim_statement(claim),
                    span=claim.span,
                    quote=claim.quote,
                    seconds=0.0,
                )
        costs, *more = views
        if self.guarded:
            result = _guarded_claim(costs, claim, name, self.timeout, tuple(more), decider)
        else:
            result = decide_claim(
                costs, claim, name, self.timeout, decider=decider, more=tuple(more)
            )
        if self.cache is not None and key is not None:
            self.cache.put(key, result)
        return result

    # -- ranges, reductions, objections
    def ranges(
        self, views: tuple[CostModel, ...], statements: Iterable[n.Ranges]
    ) -> tuple[RangesResult, ...]:
        """The ranges of g (or scenario ranges) of each statement; `InputError` for a
        scenario that gives an atom no value."""
        if self.guarded:
            return tuple(_guarded_ranges(views[0], r, self.timeout) for r in statements)
        return tuple(compute_ranges(views[0], r, self.timeout) for r in statements)

    def reductions(
        self, model: Model, statements: Iterable[n.Reduction]
    ) -> tuple[ReductionOutcome, ...]:
        return tuple(check_reduction_statement(model, r, self.timeout) for r in statements)

    def objection(
        self,
        model: Model,
        objection: n.Objection,
        base: tuple[ClaimResult, ...],
        known: tuple[tuple[str, ...], ...] = (),
    ) -> ObjectionResult:
        """Re-check the argument as the objection changes it: the base claims whose
        verdicts flip, and the objection's own claims (`known`: the sets of the base's
        assumptions already reported as contradicting each other)."""
        variant = objection_model(model, objection)
        views = derive_views(variant)
        own = {id(s) for s in objection.statements}
        claims, warnings, _ = self.vacuity(variant, views, self.decide(variant, views), known, own)
        own = {id(s) for s in objection.statements}
        before = {c.name: c for c in base}
        flips = []
        mine = []
        for claim, named in zip(claims, variant.claims, strict=True):
            if id(named.node) in own:
                mine.append(claim)
            elif claim.name in before and _status(before[claim.name]) != _status(claim):
                flips.append(
                    Flip(claim.name, _status(before[claim.name]), _status(claim), claim.vacuous)
                )
        return ObjectionResult(
            objection.name.text,
            objection.span,
            tuple(flips),
            tuple(mine),
            tuple(d.text for d in objection.drops),
            tuple(
                replace(w, message=f"in objection {objection.name.text}: {w.message}")
                for w in warnings
            ),
        )


def _verdict_key(views: tuple[CostModel, ...], claim: n.Claim, timeout: float) -> Hashable:
    """Everything a claim's result depends on: its formula as written (divisions are
    checked on it) and, under each view, its whole decision problem and the divisions it
    must show defined, with their places (an `unknown` names them)."""
    from calculus.definedness import divisions

    problems = []
    for costs in views:
        problem = claim_problem(costs, claim, timeout)
        fields = tuple(
            tuple(value) if isinstance(value, list) else value
            for value in (getattr(problem, f.name) for f in dataclass_fields(problem))
        )
        guarded = tuple((d.obligation(), d.span) for d in divisions(costs, claim.formula))
        problems.append((fields, guarded))
    return (claim.formula, claim_statement(claim), tuple(problems))


def _guarded_claim(
    costs: CostModel,
    claim: n.Claim,
    name: str,
    timeout: float,
    more: tuple[CostModel, ...] = (),
    decider: Decider | None = None,
) -> ClaimResult:
    """A failure inside the tool is an `unknown` for that claim, never a traceback."""
    try:
        return decide_claim(costs, claim, name, timeout, decider=decider, more=more)
    except (InputError, KeyboardInterrupt):
        raise
    except Exception as error:  # noqa: BLE001 - reported as the verdict's reason
        verdict = Verdict("unknown", reason=f"internal error: {type(error).__name__}: {error}")
        return ClaimResult(
            name,
            claim.kind,
            claim_statement(claim),
            verdict,
            claim.span,
            claim.for_some_g,
            quote=claim.quote,
        )


def _guarded_ranges(costs: CostModel, statement: n.Ranges, timeout: float) -> RangesResult:
    from calculus import limits
    from calculus.limits import TimeLimitExceeded, memory_limit, time_limit

    limit = CLAIM_TIME_FACTOR * timeout + 1
    try:
        with time_limit(limit), memory_limit():
            return compute_ranges(costs, statement, timeout)
    except (InputError, KeyboardInterrupt):
        raise
    except (TimeLimitExceeded, MemoryError) as error:
        from calculus.dominance import RangesResult

        return RangesResult(
            tuple(p.text for p in statement.programs),
            statement.scenario.text if statement.scenario else None,
            (),
            "unknown",
            f"gave up after {limit:g} s ({CLAIM_TIME_FACTOR} × --timeout + 1 s)"
            if isinstance(error, TimeLimitExceeded)
            else f"gave up: computing them needed more than {limits.OBLIGATION_MEMORY_MB} MB of memory",
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


def check_reduction_statement(
    model: Model, statement: n.Reduction, timeout: float
) -> ReductionOutcome:
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


def check_sweep_statement(model: Model, statement: n.Sweep, timeout: float) -> SweepOutcome:
    """Run one `sweep` statement; each row gets a reduction's time."""
    from calculus.circuits.sweep import run_sweep

    return run_sweep(model, statement, timeout * REDUCTION_TIMEOUT_FACTOR)


def _explained(
    costs: CostModel, claim: n.Claim, result: ClaimResult, verdict: Verdict, timeout: float
) -> ClaimResult:
    """A refuted claim with the condition under which it holds and its repairs (`costs`:
    the linear family's, `verdict`: the claim's there)."""
    from calculus.explain import holds_when, repairs
    from calculus.limits import TimeLimitExceeded, memory_limit, time_limit

    try:
        with time_limit(CLAIM_TIME_FACTOR * timeout + 1), memory_limit():
            # The counterexample is a point where the hypotheses hold: candidates false
            # there are passed over without a solver.
            point = verdict.assignment
            condition = holds_when(costs, claim, timeout, hypotheses(costs), point)
            fixes = repairs(
                costs, claim, lambda c: claim_problem(costs, c, timeout), claim_statement, point
            )
    except (TimeLimitExceeded, MemoryError, ValueError, TypeError, ZeroDivisionError, LookupError):
        return result
    return replace(result, holds_when=condition, repairs=fixes)


def check_objection(
    model: Model, objection: n.Objection, base: tuple[ClaimResult, ...], timeout: float
) -> ObjectionResult:
    """Re-check the argument as the objection changes it."""
    return Pipeline(timeout).objection(model, objection, base)


def _status(claim: ClaimResult) -> str:
    if not claim.by_family:
        return claim.verdict.status
    return ", ".join(f"{family} {v.status}" for family, v in claim.by_family)


def objection_model(model: Model, objection: n.Objection) -> Model:
    """The model the objection describes; raises `InputError` on a mistake in it."""
    source = model.source or n.SourceFile(model.statements, model.path, model.text)
    return build_model(objection_source(source, objection))


def check_model(model: Model, timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    """The whole pipeline over a resolved model, as `cost check` runs it."""
    return Pipeline(timeout).check(model)


def load_model(text: str, path: str = "<input>") -> Model:
    """Parse, merge imports and resolve names; raises `InputError`."""
    return build_model(expand_imports(parse(text, path)))


def check_source(text: str, path: str = "<input>", timeout: float = DEFAULT_TIMEOUT) -> FileResult:
    """Check `.cost` source text; input errors come back as diagnostics, not exceptions."""
    try:
        model = load_model(text, path)
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
    "Pipeline",
    "VerdictCache",
    "FileResult",
    "check_file",
    "check_source",
    "check_model",
    "G",
    "gather_files",
]
