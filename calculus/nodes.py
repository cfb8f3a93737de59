"""The typed syntax tree of a `.cost` file: frozen records with source spans.

`calculus.syntax` builds these from source text; every later stage reads only these.
A node's span takes no part in its equality, so two trees parsed from differently laid-out
sources are equal exactly when they mean the same thing.
"""

from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from typing import Literal

from calculus.frozen import frozen


@frozen
class Span:
    """A region of source text; 1-based lines and columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


NOWHERE = Span(0, 0, 0, 0)


def _span() -> Span:
    # Spans ride along for diagnostics but never decide equality (or hashes) of trees.
    return field(default=NOWHERE, repr=False, compare=False)  # type: ignore[return-value]


@frozen
class Name:
    text: str
    span: Span = _span()

    def __str__(self) -> str:
        return self.text


@frozen
class Term:
    """A primitive applied to arguments: `find(get_proxy_for_base_obj(env))`."""

    head: Name
    args: tuple[Term, ...] = ()
    span: Span = _span()

    def __str__(self) -> str:
        if not self.args:
            return self.head.text
        return f"{self.head.text}({', '.join(str(a) for a in self.args)})"

    def names(self) -> list[Name]:
        found = [self.head]
        for arg in self.args:
            found.extend(arg.names())
        return found


# ---- expressions (numbers) -------------------------------------------------------------


@frozen
class Number:
    value: Fraction
    text: str = field(default="", compare=False)
    span: Span = _span()


CostKind = Literal["c", "t"]


@frozen
class CostOf:
    """`c(term)` or `t(term)`; the term may also be a lone program name."""

    kind: CostKind
    term: Term
    span: Span = _span()


@frozen
class GRate:
    """The bare exchange rate `g` (linear family only)."""

    span: Span = _span()


@frozen
class GApply:
    """`g(expr)`: the exchange function applied to a description cost."""

    argument: Expr
    span: Span = _span()


ArithmeticOp = Literal["+", "-", "*", "/", "^"]


@frozen
class Arithmetic:
    op: ArithmeticOp
    left: Expr
    right: Expr
    span: Span = _span()


@frozen
class Negate:
    operand: Expr
    span: Span = _span()


@frozen
class Symbol:
    """A declared parameter used in a formula: `n`."""

    name: Name
    span: Span = _span()


FunctionName = Literal["max", "min", "log2"]
FUNCTIONS: tuple[FunctionName, ...] = ("max", "min", "log2")


@frozen
class Call:
    """`max(a, b, …)`, `min(a, b, …)` or `log2(x)`."""

    function: Name
    args: tuple[Expr, ...]
    span: Span = _span()


Expr = Number | CostOf | GRate | GApply | Arithmetic | Negate | Symbol | Call

# ---- formulas (truth values) -----------------------------------------------------------

CompareOp = Literal["<", "<=", ">", ">=", "=", "!="]


@frozen
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    span: Span = _span()


@frozen
class Beats:
    """`P beats Q`, `P beats Q on c`, `P beats Q on t`."""

    winner: Name
    loser: Name
    on: CostKind | None = None
    span: Span = _span()


ConnectiveOp = Literal["and", "or", "->", "<->"]


@frozen
class Connective:
    op: ConnectiveOp
    left: Formula
    right: Formula
    span: Span = _span()


@frozen
class Not:
    operand: Formula
    span: Span = _span()


Formula = Compare | Beats | Connective | Not

# ---- statements ------------------------------------------------------------------------


@frozen
class ModelTitle:
    title: str
    span: Span = _span()


@frozen
class Primitive:
    name: Name
    flags: tuple[Name, ...] = ()
    fixed_c: Expr | None = None
    fixed_t: Expr | None = None
    span: Span = _span()

    @property
    def nonneg(self) -> bool:
        return any(flag.text == "nonneg" for flag in self.flags)


@frozen
class Run:
    count: int
    term: Term
    span: Span = _span()


@frozen
class Program:
    name: Name
    extends: Name | None = None
    stores: tuple[Term, ...] = ()
    runs: tuple[Run, ...] = ()
    c_formula: Expr | None = None
    t_formula: Expr | None = None
    span: Span = _span()


@frozen
class Exchange:
    """`exchange linear`, `exchange linear, subadditive` or `exchange all`."""

    family: Name
    others: tuple[Name, ...] = ()
    every: bool = False
    span: Span = _span()

    @property
    def families(self) -> tuple[Name, ...]:
        return (self.family, *self.others)


@frozen
class Assume:
    label: Name | None
    formula: Formula
    span: Span = _span()


ClaimKind = Literal["claim", "refute"]


@frozen
class Claim:
    """A claim or refute with its quantifiers: `for some g`, `for some costs`, `for some n`
    (parameters), or the prefix `eventually in n:`; and the sentence it checks, if quoted."""

    kind: ClaimKind
    label: Name | None
    formula: Formula
    for_some_g: bool = False
    span: Span = _span()
    for_some_costs: bool = False
    for_some: tuple[Name, ...] = ()
    eventually: Name | None = None
    quote: str | None = None


@frozen
class Ranges:
    programs: tuple[Name, ...]
    scenario: Name | None = None
    span: Span = _span()


@frozen
class ScenarioValue:
    """`c(term) = 120` (or `g = 2`, or a parameter `n = 10`) inside a scenario block."""

    target: CostOf | GRate | Symbol
    value: Expr
    span: Span = _span()


@frozen
class Scenario:
    name: Name
    values: tuple[ScenarioValue, ...] = ()
    default: Expr | None = None
    span: Span = _span()


# ---- tasks for the minimal-circuit reduction (DESIGN §6) --------------------------------


@frozen
class BitVar:
    name: Name
    span: Span = _span()


@frozen
class BitConst:
    value: int
    span: Span = _span()


BitOpName = Literal["and", "or", "xor", "=", "!="]


@frozen
class BitOp:
    op: BitOpName
    left: BitExpr
    right: BitExpr
    span: Span = _span()


@frozen
class BitNot:
    operand: BitExpr
    span: Span = _span()


BitExpr = BitVar | BitConst | BitOp | BitNot


@frozen
class TrainState:
    """A state training sees, as its input bits in declaration order, with a weight."""

    bits: str
    weight: Expr | None = None
    span: Span = _span()


@frozen
class Task:
    name: Name
    inputs: tuple[Name, ...] = ()
    outputs: tuple[Name, ...] = ()
    intended: tuple[tuple[Name, BitExpr], ...] = ()
    reward: tuple[tuple[Name, BitExpr], ...] = ()
    train_states: tuple[TrainState, ...] = ()
    train_where: BitExpr | None = None
    span: Span = _span()
    # Don't-care states (neither trained nor deployment), and a deterministic MDP's
    # horizon with its `next BIT = expr` transition lines (state bits as functions of the
    # state and the action; a bit without a line keeps its value).
    ignore_where: BitExpr | None = None
    horizon: int | None = None
    transitions: tuple[tuple[Name, BitExpr], ...] = ()


@frozen
class TaskSet:
    name: Name
    members: tuple[tuple[Name, Expr | None], ...] = ()
    span: Span = _span()
    by_data: bool = False  # `tasks NAME by data { ... }`: no task-index bits


@frozen
class Reduction:
    name: Name
    tasks: Name | None = None
    bad: Name | None = None
    basis: Name | None = None
    measure: tuple[Name, ...] = ()
    reward: Expr | None = None
    property: Name | None = None
    span: Span = _span()
    # `property reads NAME` / `ignores NAME` name an input; `property where EXPR` a condition.
    target: Name | None = None
    where: BitExpr | None = None
    expects: tuple[Expect, ...] = ()


@frozen
class Expect:
    """`expect alone|combined none|some|every`: the extent of the property among minima."""

    side: Name
    extent: Name
    span: Span = _span()


@frozen
class Family:
    """`family NAME(params) { task items }`: a task template over bit parameters."""

    name: Name
    params: tuple[Name, ...]
    task: Task
    span: Span = _span()


@frozen
class Sweep:
    """`sweep NAME { family F; tasks a to b; draws d; seed s; by data|index }`."""

    name: Name
    family: Name | None = None
    low: int | None = None
    high: int | None = None
    draws: int | None = None
    seed: int | None = None
    by_data: bool = False
    basis: Name | None = None
    measure: tuple[Name, ...] = ()
    span: Span = _span()


# ---- several files, objections and parameters (DESIGN §9) ------------------------------


@frozen
class Import:
    """`import "file.cost"`: the path as written, relative to the importing file."""

    path: str
    span: Span = _span()


ParameterDomain = Literal["integer", "real"]
BoundOp = Literal[">=", ">", "<=", "<"]


@frozen
class Bound:
    op: BoundOp
    value: Expr
    span: Span = _span()


@frozen
class Parameter:
    """`parameter n integer >= 1`: a symbol usable in every formula."""

    name: Name
    domain: ParameterDomain = "real"
    bounds: tuple[Bound, ...] = ()
    span: Span = _span()


@frozen
class Drop:
    """`drop name, …` inside an objection: assumptions or claims of the base removed."""

    names: tuple[Name, ...]
    span: Span = _span()


@frozen
class Objection:
    """`objection NAME { drop …; assume …; program …; claim … }`."""

    name: Name
    drops: tuple[Name, ...] = ()
    statements: tuple[Statement, ...] = ()
    span: Span = _span()


Statement = (
    ModelTitle
    | Primitive
    | Program
    | Exchange
    | Assume
    | Claim
    | Ranges
    | Scenario
    | Task
    | TaskSet
    | Reduction
    | Family
    | Sweep
    | Import
    | Parameter
    | Objection
)


@frozen
class SourceFile:
    statements: tuple[Statement, ...]
    path: str = field(default="<input>", compare=False)
    text: str = field(default="", compare=False, repr=False)
    # For each statement, the file it came from when it was imported ("" for this file).
    origins: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def origin(self, index: int) -> str:
        return (
            self.origins[index] if index < len(self.origins) and self.origins[index] else self.path
        )


# ---- statement identity: each statement's kind, and the name it is known by ------------------


def anonymous_name(kind: str, span: Span) -> str:
    """The name of an unlabelled assumption or claim: its kind and line (`assume@31`)."""
    return f"{kind}@{span.line}"


def statement_name(statement: Statement) -> str | None:
    """The name a statement is known by in the model (labels, or `assume@LINE`)."""
    if isinstance(
        statement,
        (Primitive, Program, Scenario, Task, TaskSet, Reduction, Family, Sweep, Parameter),
    ):
        return statement.name.text
    if isinstance(statement, Objection):
        return statement.name.text
    if isinstance(statement, Import):
        return statement.path
    if isinstance(statement, (Assume, Claim)):
        if statement.label is not None:
            return statement.label.text
        kind = "assume" if isinstance(statement, Assume) else statement.kind
        return anonymous_name(kind, statement.span)
    return None


def replacement_key(statement: Statement) -> tuple[object, ...]:
    """Statements with the same key replace each other; re-stating one changes it in place."""
    if isinstance(statement, (Primitive, Program, Parameter)):
        return ("name", statement.name.text)
    if isinstance(statement, Objection):
        return ("objection", statement.name.text)
    if isinstance(statement, Scenario):
        return ("scenario", statement.name.text)
    if isinstance(statement, (Task, TaskSet, Reduction, Family, Sweep)):
        return ("task", statement.name.text)
    if isinstance(statement, (Assume, Claim)) and statement.label is not None:
        return ("label", statement.label.text)
    if isinstance(statement, ModelTitle):
        return ("title",)
    if isinstance(statement, Exchange):
        return ("exchange",)
    return ("same", statement)  # unlabelled assumptions and claims, ranges


_KINDS: tuple[tuple[type, str], ...] = (
    (Primitive, "primitive"),
    (Program, "program"),
    (Scenario, "scenario"),
    (Assume, "assumption"),
    (Ranges, "ranges"),
    (Exchange, "exchange"),
    (Task, "task"),
    (TaskSet, "task set"),
    (Reduction, "reduction"),
    (Family, "family"),
    (Sweep, "sweep"),
    (Parameter, "parameter"),
    (Objection, "objection"),
    (Import, "import"),
)


def statement_kind(statement: Statement) -> str:
    """What a statement declares, in words (`claim` or `refute` for claims)."""
    if isinstance(statement, Claim):
        return statement.kind
    return next((kind for cls, kind in _KINDS if isinstance(statement, cls)), "model")
