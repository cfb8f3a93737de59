"""Name resolution: a parsed file becomes a `Model` whose every name is declared.

All problems are collected before anything is raised, so one run reports every
undeclared name, duplicate and `extends` cycle in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from calculus import nodes as n
from calculus.diagnostics import Diagnostic, InputError, at, did_you_mean


@dataclass(frozen=True)
class NamedAssumption:
    name: str
    node: n.Assume
    named: bool


@dataclass(frozen=True)
class NamedClaim:
    name: str
    node: n.Claim


@dataclass(frozen=True)
class Model:
    path: str
    text: str
    title: str | None
    primitives: dict[str, n.Primitive]
    programs: dict[str, n.Program]
    family: str
    assumptions: tuple[NamedAssumption, ...]
    claims: tuple[NamedClaim, ...]
    scenarios: dict[str, n.Scenario]
    ranges: tuple[n.Ranges, ...]
    statements: tuple[n.Statement, ...] = field(default=(), repr=False)


def anonymous_name(kind: str, span: n.Span) -> str:
    return f"{kind}@{span.line}"


def _expr_nodes(node: object) -> Iterator[object]:
    """Every sub-node of an expression or formula, the node itself first."""
    yield node
    if isinstance(node, (n.Arithmetic, n.Compare, n.Connective)):
        yield from _expr_nodes(node.left)
        yield from _expr_nodes(node.right)
    elif isinstance(node, (n.Negate, n.Not)):
        yield from _expr_nodes(node.operand)
    elif isinstance(node, n.GApply):
        yield from _expr_nodes(node.argument)


def program_references(expr: n.Expr | None, programs: dict[str, n.Program]) -> list[n.Name]:
    """Programs whose costs an explicit formula mentions, as `c(P)` or `t(P)`."""
    if expr is None:
        return []
    return [
        node.term.head
        for node in _expr_nodes(expr)
        if isinstance(node, n.CostOf) and not node.term.args and node.term.head.text in programs
    ]


class _Resolver:
    def __init__(self, source: n.SourceFile):
        self.source = source
        self.path = source.path
        self.diagnostics: list[Diagnostic] = []
        self.primitives: dict[str, n.Primitive] = {}
        self.programs: dict[str, n.Program] = {}
        self.scenarios: dict[str, n.Scenario] = {}
        self.family: str | None = None
        self.family_span: n.Span | None = None

    def error(self, span: n.Span, code: str, message: str, hint: str | None = None,
              notes: tuple[str, ...] = ()) -> None:
        diagnostic = at(self.path, span, code, message, hint)
        if notes:
            diagnostic = Diagnostic(diagnostic.path, diagnostic.line, diagnostic.column, code,
                                    message, hint, diagnostic.end_column, notes=notes)
        self.diagnostics.append(diagnostic)

    def duplicate(self, name: n.Name, first: n.Span, what: str) -> None:
        self.error(name.span, "duplicate", f"{what} '{name}' is defined twice",
                   notes=(f"first defined at {self.path}:{first.line}:{first.column}",))

    # ---- declarations
    def declare(self) -> None:
        for statement in self.source.statements:
            if isinstance(statement, n.Primitive):
                self._declare(statement.name, statement, self.primitives, "primitive")
                self._check_fixed(statement)
            elif isinstance(statement, n.Program):
                self._declare(statement.name, statement, self.programs, "program")
            elif isinstance(statement, n.Scenario):
                if statement.name.text in self.scenarios:
                    self.duplicate(statement.name, self.scenarios[statement.name.text].name.span,
                                   "scenario")
                else:
                    self.scenarios[statement.name.text] = statement
            elif isinstance(statement, n.Exchange):
                if self.family is not None and self.family_span is not None:
                    self.error(statement.family.span, "duplicate", "the exchange family is given twice",
                               notes=(f"first given at {self.path}:{self.family_span.line}",))
                else:
                    self.family = statement.family.text
                    self.family_span = statement.span

    def _declare(self, name: n.Name, node: n.Primitive | n.Program,
                 table: dict, what: str) -> None:  # type: ignore[type-arg]
        other = self.primitives.get(name.text) or self.programs.get(name.text)
        if other is not None:
            self.duplicate(name, other.name.span, "name")
            return
        table[name.text] = node

    def _check_fixed(self, primitive: n.Primitive) -> None:
        for expr in (primitive.fixed_c, primitive.fixed_t):
            if expr is None:
                continue
            for node in _expr_nodes(expr):
                if isinstance(node, (n.CostOf, n.GRate, n.GApply)):
                    self.error(node.span, "type", "a fixed cost must be a number",
                               "write e.g. `{ c = 1; t = 1/10 }`")
                    break

    # ---- uses
    def check_term(self, term: n.Term, allow_program: bool) -> None:
        if allow_program and not term.args and term.head.text in self.programs:
            return
        for name in term.names():
            if name.text in self.primitives:
                continue
            if name.text in self.programs:
                self.error(name.span, "program-in-term",
                           f"'{name}' is a program, not a primitive",
                           "a program's costs are c(P) and t(P); to build on it use `extends`")
                continue
            candidates = list(self.primitives) + (list(self.programs) if allow_program else [])
            self.error(name.span, "undeclared", f"undeclared name '{name}'",
                       did_you_mean(name.text, candidates)
                       or f"declare it with `primitive {name}`")

    def check_program_name(self, name: n.Name) -> None:
        if name.text in self.programs:
            return
        if name.text in self.primitives:
            self.error(name.span, "not-a-program", f"'{name}' is a primitive, not a program")
            return
        self.error(name.span, "undeclared", f"undeclared program '{name}'",
                   did_you_mean(name.text, self.programs))

    def check_expr(self, expr: object, family: str, context: str) -> None:
        for node in _expr_nodes(expr):
            if isinstance(node, n.CostOf):
                self.check_term(node.term, allow_program=True)
            elif isinstance(node, n.Beats):
                self.check_program_name(node.winner)
                self.check_program_name(node.loser)
            elif isinstance(node, n.GRate) and family != "linear":
                self.error(node.span, "family",
                           f"a bare `g` is the rate of the linear family, not of `{family}`",
                           "apply the exchange function to a cost: g(c(P))")
            elif isinstance(node, (n.GRate, n.GApply)) and context == "program":
                self.error(node.span, "type", "a program's cost cannot depend on g",
                           "g belongs in claims and assumptions")

    def check_programs(self, family: str) -> None:
        for program in self.programs.values():
            if program.extends is not None:
                self.check_program_name(program.extends)
            for term in program.stores:
                self.check_term(term, allow_program=False)
            for run in program.runs:
                self.check_term(run.term, allow_program=False)
            if program.c_formula is not None and program.stores:
                self.error(program.c_formula.span, "conflict",
                           f"program '{program.name}' has both `stores` and `c =`",
                           "give c either as stores or as a formula")
            if program.t_formula is not None and program.runs:
                self.error(program.t_formula.span, "conflict",
                           f"program '{program.name}' has both `runs` and `t =`",
                           "give t either as runs or as a formula")
            for formula in (program.c_formula, program.t_formula):
                if formula is not None:
                    self.check_expr(formula, family, "program")
        self._check_cycles()

    def _check_cycles(self) -> None:
        # A program depends on what it extends and on programs its formulas mention.
        edges: dict[str, list[n.Name]] = {}
        for name, program in self.programs.items():
            out = [program.extends] if program.extends and program.extends.text in self.programs else []
            out += program_references(program.c_formula, self.programs)
            out += program_references(program.t_formula, self.programs)
            edges[name] = out
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(name: str, path: list[str]) -> None:
            state[name] = 1
            for target in edges[name]:
                if state.get(target.text) == 1:
                    cycle = path[path.index(target.text):] + [target.text]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.error(target.span, "cycle",
                                   f"program '{name}' depends on itself: " + " -> ".join(cycle),
                                   "break the cycle: a program may only build on programs defined without it")
                elif state.get(target.text) is None:
                    visit(target.text, path + [target.text])
            state[name] = 2

        for name in self.programs:
            if name not in state:
                visit(name, [name])

    def resolve(self) -> Model:
        self.declare()
        family = self.family or "linear"
        self.check_programs(family)
        assumptions: list[NamedAssumption] = []
        claims: list[NamedClaim] = []
        labels: dict[str, n.Span] = {}
        ranges: list[n.Ranges] = []
        title: str | None = None
        for statement in self.source.statements:
            if isinstance(statement, n.ModelTitle):
                title = statement.title
            elif isinstance(statement, (n.Assume, n.Claim)):
                self.check_expr(statement.formula, family, "claim")
                kind = "assume" if isinstance(statement, n.Assume) else statement.kind
                if statement.label is not None:
                    name = statement.label.text
                    if name in labels:
                        self.duplicate(statement.label, labels[name], "label")
                    labels[name] = statement.label.span
                else:
                    name = anonymous_name(kind, statement.span)
                if isinstance(statement, n.Assume):
                    assumptions.append(NamedAssumption(name, statement, statement.label is not None))
                else:
                    claims.append(NamedClaim(name, statement))
            elif isinstance(statement, n.Ranges):
                seen: set[str] = set()
                for program in statement.programs:
                    self.check_program_name(program)
                    if program.text in seen:
                        self.error(program.span, "duplicate", f"'{program}' is listed twice")
                    seen.add(program.text)
                if len(statement.programs) < 2:
                    self.error(statement.span, "ranges", "ranges needs at least two programs")
                if statement.scenario is not None and statement.scenario.text not in self.scenarios:
                    self.error(statement.scenario.span, "undeclared",
                               f"undeclared scenario '{statement.scenario}'",
                               did_you_mean(statement.scenario.text, self.scenarios))
                ranges.append(statement)
            elif isinstance(statement, n.Scenario):
                self._check_scenario(statement)
        if self.diagnostics:
            raise InputError(sorted(self.diagnostics, key=lambda d: (d.line, d.column)))
        return Model(
            path=self.path,
            text=self.source.text,
            title=title,
            primitives=self.primitives,
            programs=self.programs,
            family=family,
            assumptions=tuple(assumptions),
            claims=tuple(claims),
            scenarios=self.scenarios,
            ranges=tuple(ranges),
            statements=self.source.statements,
        )

    def _check_scenario(self, scenario: n.Scenario) -> None:
        seen: dict[str, n.Span] = {}
        for value in scenario.values:
            target = value.target
            if isinstance(target, n.CostOf):
                if not target.term.args and target.term.head.text in self.programs:
                    self.error(target.span, "scenario",
                               "a scenario gives values to cost atoms, not to programs",
                               "set the atoms the program is built from")
                else:
                    self.check_term(target.term, allow_program=False)
                key = f"{target.kind}({target.term})"
            else:
                key = "g"
            if key in seen:
                self.error(value.span, "duplicate", f"{key} is given twice in scenario '{scenario.name}'")
            seen[key] = value.span
            for node in _expr_nodes(value.value):
                if isinstance(node, (n.CostOf, n.GRate, n.GApply)):
                    self.error(node.span, "scenario", "a scenario value must be a number")
                    break


def build_model(source: n.SourceFile) -> Model:
    """Resolve every name of a parsed file; raises `InputError` listing all problems."""
    return _Resolver(source).resolve()
