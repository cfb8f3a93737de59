"""Costs: every program's description cost c(P) and run time t(P) as sympy expressions.

Cost atoms `c(x)`, `t(x)` (and those of compound terms such as `t(find(env))`) are real
sympy symbols; their default bounds (> 0, or >= 0 for `(nonneg)` primitives) are kept
in `CostModel.bounds` for the solver. Claims and assumptions become `Atomic`/`Junction`/
`Negation` trees whose leaves compare sympy expressions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType
from typing import Any, TypeVar

import sympy

from calculus import nodes as n
from calculus.frozen import frozen
from calculus.model import Model
from calculus.numbers import to_rational

G = sympy.Symbol("g", positive=True)
EXCHANGE = sympy.Function("g")
T = TypeVar("T")


@cache
def atom(kind: str, term: str) -> sympy.Symbol:
    """The cost atom `c(term)` or `t(term)`."""
    return sympy.Symbol(f"{kind}({term})", real=True)


@cache
def parameter_symbol(name: str, integer: bool) -> sympy.Symbol:
    """The symbol of a declared parameter `n` (an integer symbol for `integer` ones)."""
    if integer:
        return sympy.Symbol(name, integer=True)
    return sympy.Symbol(name, real=True)


class log2(sympy.Function):  # noqa: N801 - printed as written in the language
    """The base-2 logarithm, kept symbolic; exact only at powers of two."""

    @classmethod
    def eval(cls, x: sympy.Expr) -> sympy.Expr | None:
        if x.is_Rational and x > 0:
            p, q = int(x.p), int(x.q)
            if p & (p - 1) == 0 and q & (q - 1) == 0:
                return sympy.Integer(p.bit_length() - q.bit_length())
        if x.is_Pow and x.base == 2:
            return x.exp  # type: ignore[no-any-return]
        return None


def is_exponential(e: sympy.Basic) -> bool:
    """`b^x` with a numeric base and a non-numeric exponent."""
    return bool(e.is_Pow and e.base.is_Rational and not e.exp.is_number)


# ---- logic trees over sympy leaves -------------------------------------------------------


@frozen
class Atomic:
    """`lhs op rhs` with op in < <= > >= = !=."""

    op: str
    lhs: sympy.Expr
    rhs: sympy.Expr


@frozen
class Junction:
    """`left op right` with op in and, or, ->, <->."""

    op: str
    left: LogicFormula
    right: LogicFormula


@frozen
class Negation:
    operand: LogicFormula


LogicFormula = Atomic | Junction | Negation


def fold(
    formula: LogicFormula,
    atomic: Callable[[Atomic], T],
    negation: Callable[[T], T],
    junction: Callable[[str, T, T], T],
) -> T:
    """The formula folded bottom-up: each comparison by `atomic`, then `not` and the
    connectives by `negation` and `junction` over what their parts gave."""
    if isinstance(formula, Atomic):
        return atomic(formula)
    if isinstance(formula, Negation):
        return negation(fold(formula.operand, atomic, negation, junction))
    return junction(
        formula.op,
        fold(formula.left, atomic, negation, junction),
        fold(formula.right, atomic, negation, junction),
    )


def atomics(formula: LogicFormula) -> list[Atomic]:
    """The comparisons of a formula, left to right."""
    return fold(formula, lambda a: [a], lambda inner: inner, lambda _, left, right: left + right)


# ---- programs --------------------------------------------------------------------------


@frozen
class ProgramCosts:
    """A program's derived costs and how they were derived."""

    name: str
    c: sympy.Expr
    t: sympy.Expr
    stores: tuple[str, ...] = ()
    runs: tuple[tuple[int, str], ...] = ()
    c_from_formula: bool = False
    t_from_formula: bool = False
    extends: str | None = None
    store_atoms: tuple[tuple[str, sympy.Expr], ...] = ()
    run_atoms: tuple[tuple[str, int, sympy.Expr], ...] = ()
    # The part of c and t inherited from an explicit formula up the `extends` chain.
    base_c: sympy.Expr = sympy.Integer(0)
    base_t: sympy.Expr = sympy.Integer(0)

    def derivation(self, kind: str) -> str:
        """`c(Hfd) = c(Hfh) ∪ {…}`-style account of where a cost came from."""
        if kind == "c":
            if self.c_from_formula:
                return f"c({self.name}) is given by a formula"
            parts = [f"c({term})" for term in self.stores]
            via = f" (extends {self.extends}; stores are a set)" if self.extends else " (stores)"
            return f"c({self.name}) = " + (" + ".join(parts) or "0") + via
        if self.t_from_formula:
            return f"t({self.name}) is given by a formula"
        parts = [
            (f"{count}·t({term})" if count != 1 else f"t({term})") for count, term in self.runs
        ]
        via = f" (extends {self.extends}; runs are a multiset)" if self.extends else " (runs)"
        return f"t({self.name}) = " + (" + ".join(parts) or "0") + via


class UnregisteredAtom(LookupError):
    """A cost atom translated after derivation that `derive_costs` did not register: its
    bound would be missing from `positivity`, so nothing is decided with it."""


@dataclass(frozen=True, eq=False)
class CostModel:
    """sympy view of a `Model`, frozen and complete: every program's costs and the bound of
    every cost atom that a program, assumption, claim or parameter bound mentions.

    Made by `derive_costs`; translating a formula only reads it. The view of another
    exchange family (`under`) shares the programs and bounds: they do not depend on g.
    """

    model: Model
    programs: Mapping[str, ProgramCosts] = field(default_factory=dict)
    bounds: Mapping[sympy.Symbol, str] = field(default_factory=dict)
    # The family this view translates `g` for (the model's first when not given).
    family_override: str | None = None
    # Expressions and formulas already translated, by node (equal nodes, wherever they are
    # written, translate alike): claims, their repairs and their explanations share sides.
    _translated: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def family(self) -> str:
        return self.family_override or self.model.family

    def under(self, family: str) -> CostModel:
        """The same costs with `g` translated for `family`."""
        override = None if family == self.model.family else family
        if override == self.family_override:
            return self
        return replace(self, family_override=override)

    def parameter(self, name: str) -> sympy.Symbol:
        declared = self.model.parameters[name]
        return parameter_symbol(name, declared.domain == "integer")

    @property
    def parameter_symbols(self) -> dict[sympy.Symbol, n.Parameter]:
        return {self.parameter(name): p for name, p in self.model.parameters.items()}

    # -- atoms
    def atom(self, kind: str, term: n.Term) -> sympy.Expr:
        head = self.model.primitives.get(term.head.text)
        if head is not None and not term.args:
            fixed = head.fixed_c if kind == "c" else head.fixed_t
            if fixed is not None:
                return self.expr(fixed)
        symbol = atom(kind, str(term))
        if symbol not in self.bounds:
            self._unregistered(symbol, head is not None and head.nonneg and not term.args)
        return symbol

    def _unregistered(self, symbol: sympy.Symbol, nonneg: bool) -> None:
        raise UnregisteredAtom(f"{symbol.name} is not an atom of the derived model")

    def _remembered(self, node: object, translate: Callable[[Any], Any]) -> Any:
        """`translate(node)`, kept for the next time (nodes are immutable)."""
        found = self._translated.get(node)
        if found is None:
            found = translate(node)
            if len(self._translated) >= 50_000:
                self._translated.clear()
            self._translated[node] = found
        return found

    def expr(self, node: n.Expr) -> sympy.Expr:
        return self._remembered(node, self._expr)  # type: ignore[no-any-return]

    def _expr(self, node: n.Expr) -> sympy.Expr:
        if isinstance(node, n.Number):
            return to_rational(node.value)
        if isinstance(node, n.CostOf):
            if not node.term.args and node.term.head.text in self.model.programs:
                costs = self.program(node.term.head.text)
                return costs.c if node.kind == "c" else costs.t
            return self.atom(node.kind, node.term)
        if isinstance(node, n.GRate):
            return G
        if isinstance(node, n.GApply):
            return self.exchange(self.expr(node.argument))
        if isinstance(node, n.Negate):
            return -self.expr(node.operand)
        if isinstance(node, n.Symbol):
            return self.parameter(node.name.text)
        if isinstance(node, n.Call):
            args = [self.expr(a) for a in node.args]
            if node.function.text == "max":
                return sympy.Max(*args)
            if node.function.text == "min":
                return sympy.Min(*args)
            return log2(args[0])
        left, right = self.expr(node.left), self.expr(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if node.op == "/":
            return left / right
        return left**right

    def exchange(self, argument: sympy.Expr) -> sympy.Expr:
        """g applied to a description cost: g·x in the linear family, g(x) otherwise."""
        if self.family == "linear":
            return G * argument
        return EXCHANGE(argument)

    def score(self, program: str) -> sympy.Expr:
        costs = self.program(program)
        return self.exchange(costs.c) + costs.t

    def formula(self, node: n.Formula) -> LogicFormula:
        return self._remembered(node, self._formula)  # type: ignore[no-any-return]

    def _formula(self, node: n.Formula) -> LogicFormula:
        if isinstance(node, n.Compare):
            return Atomic(node.op, self.expr(node.left), self.expr(node.right))
        if isinstance(node, n.Beats):
            winner, loser = node.winner.text, node.loser.text
            if node.on == "c":
                return Atomic("<", self.program(winner).c, self.program(loser).c)
            if node.on == "t":
                return Atomic("<", self.program(winner).t, self.program(loser).t)
            return Atomic("<", self.score(winner), self.score(loser))
        if isinstance(node, n.Not):
            return Negation(self.formula(node.operand))
        return Junction(node.op, self.formula(node.left), self.formula(node.right))

    # -- programs
    def program(self, name: str) -> ProgramCosts:
        return self.programs[name]


class _Derivation(CostModel):
    """A cost model while `derive_costs` fills it: atoms are registered as they are met,
    programs derived when first needed (parents and referenced programs first)."""

    programs: dict[str, ProgramCosts]
    bounds: dict[sympy.Symbol, str]

    def _unregistered(self, symbol: sympy.Symbol, nonneg: bool) -> None:
        self.bounds[symbol] = "nonneg" if nonneg else "positive"

    def program(self, name: str) -> ProgramCosts:
        if name not in self.programs:
            self.programs[name] = self._derive(self.model.programs[name])
        return self.programs[name]

    def _derive(self, program: n.Program) -> ProgramCosts:
        # Stores form a set and runs a multiset, both keyed by the term's text.
        stores: dict[str, sympy.Expr] = {}
        runs: dict[str, tuple[int, sympy.Expr]] = {}
        base_c: sympy.Expr = sympy.Integer(0)
        base_t: sympy.Expr = sympy.Integer(0)
        if program.extends is not None:
            parent = self.program(program.extends.text)
            # A formula anywhere up the chain is the base every descendant starts from.
            if parent.c_from_formula:
                base_c = parent.c
            else:
                base_c = parent.base_c
                stores.update(parent.store_atoms)
            if parent.t_from_formula:
                base_t = parent.t
            else:
                base_t = parent.base_t
                runs.update({text: (count, symbol) for text, count, symbol in parent.run_atoms})
        for term in program.stores:
            stores.setdefault(str(term), self.atom("c", term))
        for run in program.runs:
            previous = runs.get(str(run.term), (0, sympy.Integer(0)))[0]
            runs[str(run.term)] = (previous + run.count, self.atom("t", run.term))
        if program.c_formula is not None:
            c = self.expr(program.c_formula)
        else:
            c = base_c + sympy.Add(*stores.values())
        if program.t_formula is not None:
            t = self.expr(program.t_formula)
        else:
            t = base_t + sympy.Add(*(count * symbol for count, symbol in runs.values()))
        return ProgramCosts(
            name=program.name.text,
            c=c,
            t=t,
            stores=tuple(stores),
            runs=tuple((count, text) for text, (count, _) in runs.items()),
            c_from_formula=program.c_formula is not None,
            t_from_formula=program.t_formula is not None,
            extends=program.extends.text if program.extends else None,
            store_atoms=tuple(stores.items()),
            run_atoms=tuple((text, count, symbol) for text, (count, symbol) in runs.items()),
            base_c=base_c if program.c_formula is None else sympy.Integer(0),
            base_t=base_t if program.t_formula is None else sympy.Integer(0),
        )


def derive_costs(model: Model, family: str | None = None) -> CostModel:
    """The frozen, complete cost model of `model`: c and t of every program, and the bound
    of every cost atom that a program, an assumption, a claim, or a parameter's bound
    mentions, registered in that order (so `positivity` covers every atom in
    play, whatever is translated first later).
    """
    derivation = _Derivation(model, {}, {}, None)
    for name in model.programs:
        derivation.program(name)
    for assumption in model.assumptions:
        derivation.formula(assumption.node.formula)
    for claim in model.claims:
        derivation.formula(claim.node.formula)
    for declared in model.parameters.values():
        for bound in declared.bounds:
            derivation.expr(bound.value)
    frozen = CostModel(
        model, MappingProxyType(derivation.programs), MappingProxyType(derivation.bounds)
    )
    return frozen.under(family) if family is not None else frozen
