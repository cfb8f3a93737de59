"""Name resolution: a parsed file becomes a `Model` whose every name is declared.

All problems are collected before anything is raised, so one run reports every
undeclared name, duplicate and `extends` cycle in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

from calculus import nodes as n
from calculus.diagnostics import Diagnostic, InputError, at, did_you_mean
from calculus.frozen import frozen
from calculus.nodes import anonymous_name


@frozen
class NamedAssumption:
    name: str
    node: n.Assume
    named: bool


@frozen
class NamedClaim:
    name: str
    node: n.Claim


@frozen
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
    tasks: dict[str, n.Task] = field(default_factory=dict)
    task_sets: dict[str, n.TaskSet] = field(default_factory=dict)
    reductions: tuple[n.Reduction, ...] = ()
    families: dict[str, n.Family] = field(default_factory=dict)
    sweeps: tuple[n.Sweep, ...] = ()
    # Version 2 (DESIGN §9): every exchange family a claim is decided under (the first is
    # `family`), the parameters, and the objections to re-check the argument under.
    exchange_families: tuple[str, ...] = ()
    parameters: dict[str, n.Parameter] = field(default_factory=dict)
    objections: tuple[n.Objection, ...] = ()
    source: n.SourceFile | None = field(default=None, repr=False, compare=False)

    def origin(self, node: object) -> str:
        """The file a statement was written in (imported statements keep their own); `node`
        is a statement, or the formula of a claim or assumption, or a program's `c` or `t`
        formula, and stands for the statement holding it."""
        if self.source is None:
            return self.path
        return _origins(self.source).get(id(node), self.path)


_ORIGINS: dict[int, tuple[n.SourceFile, dict[int, str]]] = {}


def _origins(source: n.SourceFile) -> dict[int, str]:
    """Each statement of `source`, and the formulas it holds, by identity: its file. (The
    source is kept with the map, so an identity in it stays its object's.)"""
    found = _ORIGINS.get(id(source))
    if found is None or found[0] is not source:
        files: dict[int, str] = {}
        for index, statement in enumerate(source.statements):
            origin = source.origin(index)
            files[id(statement)] = origin
            for part in ("formula", "c_formula", "t_formula"):
                held = getattr(statement, part, None)
                if held is not None:
                    files.setdefault(id(held), origin)
        if len(_ORIGINS) >= 8:
            _ORIGINS.clear()
        found = _ORIGINS[id(source)] = (source, files)
    return found[1]


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
    elif isinstance(node, n.Call):
        for argument in node.args:
            yield from _expr_nodes(argument)


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
        self.families: tuple[str, ...] = ()
        self.family_span: n.Span | None = None
        self.parameters: dict[str, n.Parameter] = {}
        self.objections: dict[str, n.Objection] = {}

    def error(
        self,
        span: n.Span,
        code: str,
        message: str,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
    ) -> None:
        self.diagnostics.append(at(self.path, span, code, message, hint, notes))

    def duplicate(self, name: n.Name, first: n.Span, what: str) -> None:
        self.error(
            name.span,
            "duplicate",
            f"{what} '{name}' is defined twice",
            notes=(f"first defined at {self.path}:{first.line}:{first.column}",),
        )

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
                    self.duplicate(
                        statement.name, self.scenarios[statement.name.text].name.span, "scenario"
                    )
                else:
                    self.scenarios[statement.name.text] = statement
            elif isinstance(statement, n.Exchange):
                if self.family is not None and self.family_span is not None:
                    self.error(
                        statement.family.span,
                        "duplicate",
                        "the exchange family is given twice",
                        notes=(f"first given at {self.path}:{self.family_span.line}",),
                    )
                else:
                    self.family = statement.family.text
                    self.families = tuple(f.text for f in statement.families)
                    self.family_span = statement.span
            elif isinstance(statement, n.Parameter):
                self._declare_parameter(statement)
            elif isinstance(statement, n.Objection):
                if statement.name.text in self.objections:
                    self.duplicate(
                        statement.name, self.objections[statement.name.text].name.span, "objection"
                    )
                else:
                    self.objections[statement.name.text] = statement

    def _declare_parameter(self, parameter: n.Parameter) -> None:
        name = parameter.name
        other = self.primitives.get(name.text) or self.programs.get(name.text)
        if other is not None:
            self.duplicate(name, other.name.span, "name")
            return
        if name.text in self.parameters:
            self.duplicate(name, self.parameters[name.text].name.span, "parameter")
            return
        for bound in parameter.bounds:
            for node in _expr_nodes(bound.value):
                if isinstance(node, (n.CostOf, n.GRate, n.GApply, n.Call)):
                    self.error(
                        node.span,
                        "parameter",
                        "a parameter's bound is a number or an earlier parameter",
                        "state other conditions with `assume`",
                    )
                    break
                if isinstance(node, n.Symbol) and node.name.text not in self.parameters:
                    self.error(
                        node.span,
                        "undeclared",
                        f"'{node.name}' is not a parameter declared before '{name}'",
                        did_you_mean(node.name.text, self.parameters),
                    )
                    break
        self.parameters[name.text] = parameter

    def _declare(self, name: n.Name, node: n.Primitive | n.Program, table: dict, what: str) -> None:  # type: ignore[type-arg]
        other = (
            self.primitives.get(name.text)
            or self.programs.get(name.text)
            or self.parameters.get(name.text)
        )
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
                    self.error(
                        node.span,
                        "type",
                        "a fixed cost must be a number",
                        "write e.g. `{ c = 1; t = 1/10 }`",
                    )
                    break

    # ---- uses
    def check_term(self, term: n.Term, allow_program: bool) -> None:
        if allow_program and not term.args and term.head.text in self.programs:
            return
        for name in term.names():
            if name.text in self.primitives:
                continue
            if name.text in self.programs:
                self.error(
                    name.span,
                    "program-in-term",
                    f"'{name}' is a program, not a primitive",
                    "a program's costs are c(P) and t(P); to build on it use `extends`",
                )
                continue
            candidates = list(self.primitives) + (list(self.programs) if allow_program else [])
            self.error(
                name.span,
                "undeclared",
                f"undeclared name '{name}'",
                did_you_mean(name.text, candidates) or f"declare it with `primitive {name}`",
            )

    def check_program_name(self, name: n.Name) -> None:
        if name.text in self.programs:
            return
        if name.text in self.primitives:
            self.error(name.span, "not-a-program", f"'{name}' is a primitive, not a program")
            return
        self.error(
            name.span,
            "undeclared",
            f"undeclared program '{name}'",
            did_you_mean(name.text, self.programs),
        )

    def check_expr(self, expr: object, family: str, context: str) -> None:
        for node in _expr_nodes(expr):
            if isinstance(node, n.CostOf):
                self.check_term(node.term, allow_program=True)
            elif isinstance(node, n.Beats):
                self.check_program_name(node.winner)
                self.check_program_name(node.loser)
            elif isinstance(node, n.Symbol):
                self.check_symbol(node)
            elif isinstance(node, n.GRate) and family != "linear":
                self.error(
                    node.span,
                    "family",
                    f"a bare `g` is the rate of the linear family, not of `{family}`",
                    "apply the exchange function to a cost: g(c(P))",
                )
            elif isinstance(node, (n.GRate, n.GApply)) and context == "program":
                self.error(
                    node.span,
                    "type",
                    "a program's cost cannot depend on g",
                    "g belongs in claims and assumptions",
                )

    def check_symbol(self, node: n.Symbol) -> None:
        name = node.name.text
        if name in self.parameters:
            return
        if name in self.primitives or name in self.programs:
            what = "primitive" if name in self.primitives else "program"
            self.error(
                node.span,
                "not-a-number",
                f"'{name}' is a {what}, not a number",
                f"its costs are c({name}) and t({name})",
            )
            return
        self.error(
            node.span,
            "undeclared",
            f"undeclared name '{name}'",
            did_you_mean(name, [*self.parameters, *self.primitives, *self.programs])
            or f"declare a parameter with `parameter {name} integer >= 1`",
        )

    def check_claim_quantifiers(self, claim: n.Claim) -> None:
        for name in (*claim.for_some, *([claim.eventually] if claim.eventually else [])):
            if name.text not in self.parameters:
                self.error(
                    name.span,
                    "undeclared",
                    f"'{name}' is not a parameter",
                    did_you_mean(name.text, self.parameters)
                    or f"declare it with `parameter {name} integer >= 1`",
                )
        if claim.eventually is not None and claim.eventually.text in self.parameters:
            parameter = self.parameters[claim.eventually.text]
            if any(bound.op in ("<", "<=") for bound in parameter.bounds):
                self.error(
                    claim.eventually.span,
                    "parameter",
                    f"`eventually in {claim.eventually}` needs '{claim.eventually}' unbounded "
                    "above",
                    "drop the upper bound of the parameter",
                )

    def check_programs(self, family: str) -> None:
        for program in self.programs.values():
            if program.extends is not None:
                self.check_program_name(program.extends)
            for term in program.stores:
                self.check_term(term, allow_program=False)
            for run in program.runs:
                self.check_term(run.term, allow_program=False)
            if program.c_formula is not None and program.stores:
                self.error(
                    program.c_formula.span,
                    "conflict",
                    f"program '{program.name}' has both `stores` and `c =`",
                    "give c either as stores or as a formula",
                )
            if program.t_formula is not None and program.runs:
                self.error(
                    program.t_formula.span,
                    "conflict",
                    f"program '{program.name}' has both `runs` and `t =`",
                    "give t either as runs or as a formula",
                )
            for formula in (program.c_formula, program.t_formula):
                if formula is not None:
                    self.check_expr(formula, family, "program")
        self._check_cycles()

    def _check_cycles(self) -> None:
        # A program depends on what it extends and on programs its formulas mention.
        edges: dict[str, list[n.Name]] = {}
        for name, program in self.programs.items():
            out = (
                [program.extends]
                if program.extends and program.extends.text in self.programs
                else []
            )
            out += program_references(program.c_formula, self.programs)
            out += program_references(program.t_formula, self.programs)
            edges[name] = out
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(name: str, path: list[str]) -> None:
            state[name] = 1
            for target in edges[name]:
                if state.get(target.text) == 1:
                    cycle = path[path.index(target.text) :] + [target.text]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.error(
                            target.span,
                            "cycle",
                            f"program '{name}' depends on itself: " + " -> ".join(cycle),
                            "break the cycle: a program may only build on programs defined without it",
                        )
                elif state.get(target.text) is None:
                    visit(target.text, path + [target.text])
            state[name] = 2

        for name in self.programs:
            if name not in state:
                visit(name, [name])

    def resolve(self) -> Model:
        self.declare()
        family = self.family or "linear"
        exchange_families = self.families or (family,)
        # A bare `g` is an error as soon as any listed family is not the linear one.
        family = next((f for f in exchange_families if f != "linear"), family)
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
                if isinstance(statement, n.Claim):
                    self.check_claim_quantifiers(statement)
                kind = "assume" if isinstance(statement, n.Assume) else statement.kind
                if statement.label is not None:
                    name = statement.label.text
                    if name in labels:
                        self.duplicate(statement.label, labels[name], "label")
                    labels[name] = statement.label.span
                else:
                    name = anonymous_name(kind, statement.span)
                if isinstance(statement, n.Assume):
                    assumptions.append(
                        NamedAssumption(name, statement, statement.label is not None)
                    )
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
                    self.error(
                        statement.scenario.span,
                        "undeclared",
                        f"undeclared scenario '{statement.scenario}'",
                        did_you_mean(statement.scenario.text, self.scenarios),
                    )
                ranges.append(statement)
            elif isinstance(statement, n.Scenario):
                self._check_scenario(statement)
        tasks, task_sets, reductions, families, sweeps = self._check_tasks()
        for objection in self.objections.values():
            for dropped in objection.drops:
                if dropped.text not in labels:
                    self.error(
                        dropped.span,
                        "undeclared",
                        f"objection '{objection.name}' drops '{dropped}', which is no named "
                        "assumption or claim",
                        did_you_mean(dropped.text, labels),
                    )
        if self.diagnostics:
            raise InputError(sorted(self.diagnostics, key=lambda d: (d.line, d.column)))
        return Model(
            path=self.path,
            text=self.source.text,
            title=title,
            primitives=self.primitives,
            programs=self.programs,
            family=exchange_families[0],
            assumptions=tuple(assumptions),
            claims=tuple(claims),
            scenarios=self.scenarios,
            ranges=tuple(ranges),
            statements=self.source.statements,
            tasks=tasks,
            task_sets=task_sets,
            reductions=tuple(reductions),
            families=families,
            exchange_families=exchange_families,
            sweeps=tuple(sweeps),
            parameters=self.parameters,
            objections=tuple(self.objections.values()),
            source=self.source,
        )

    # ---- tasks (DESIGN §6)
    def _check_tasks(
        self,
    ) -> tuple[
        dict[str, n.Task],
        dict[str, n.TaskSet],
        list[n.Reduction],
        dict[str, n.Family],
        list[n.Sweep],
    ]:
        tasks: dict[str, n.Task] = {}
        task_sets: dict[str, n.TaskSet] = {}
        reductions: list[n.Reduction] = []
        families: dict[str, n.Family] = {}
        sweeps: list[n.Sweep] = []
        seen: dict[str, n.Span] = {}
        kinds = (n.Task, n.TaskSet, n.Reduction, n.Family, n.Sweep)
        unique: list[n.Task | n.TaskSet | n.Reduction | n.Family | n.Sweep] = []
        # Declarations first, uses second: a statement may name tasks, task sets and
        # families declared after it, as programs may.
        for statement in self.source.statements:
            if not isinstance(statement, kinds):
                continue
            name = statement.name
            if name.text in seen:
                self.duplicate(name, seen[name.text], "name")
                continue
            seen[name.text] = name.span
            unique.append(statement)
            if isinstance(statement, n.Task):
                tasks[name.text] = statement
            elif isinstance(statement, n.Family):
                families[name.text] = statement
            elif isinstance(statement, n.TaskSet):
                task_sets[name.text] = statement
        for statement in unique:
            if isinstance(statement, n.Task):
                self._check_task(statement)
            elif isinstance(statement, n.Family):
                self._check_task(statement.task, statement.params)
            elif isinstance(statement, n.TaskSet):
                self._check_task_set(statement, tasks)
            elif isinstance(statement, n.Sweep):
                self._check_sweep(statement, families)
                sweeps.append(statement)
            else:
                self._check_reduction(statement, task_sets, tasks)
                reductions.append(statement)
        return tasks, task_sets, reductions, families, sweeps

    def _check_task(self, task: n.Task, params: tuple[n.Name, ...] = ()) -> None:
        kind = "family" if params else "task"
        where = f"{kind} '{task.name}'"
        if not task.inputs:
            self.error(task.span, "task", f"{where} declares no inputs", "add `inputs x1, x2`")
        if not task.outputs:
            self.error(task.span, "task", f"{where} declares no outputs", "add `outputs act`")
        declared: dict[str, n.Span] = {}
        for bit in params + task.inputs + task.outputs:
            if bit.text in declared:
                self.error(bit.span, "duplicate", f"'{bit}' is declared twice in {where}")
            declared[bit.text] = bit.span
        inputs = {bit.text for bit in task.inputs} | {p.text for p in params}
        outputs = [bit.text for bit in task.outputs]
        for kind, table in (("intended", task.intended), ("reward", task.reward)):
            given: set[str] = set()
            for output, expr in table:
                if output.text not in outputs:
                    self.error(
                        output.span,
                        "undeclared",
                        f"'{output}' is not an output of {where}",
                        did_you_mean(output.text, outputs),
                    )
                if output.text in given:
                    self.error(
                        output.span, "duplicate", f"{kind} {output} is given twice in {where}"
                    )
                given.add(output.text)
                self._check_bits(expr, inputs, where)
            if kind == "intended":
                for missing in [o for o in outputs if o not in given]:
                    self.error(
                        task.span,
                        "task",
                        f"{where} gives no intended value for '{missing}'",
                        f"add `intended {missing} = ...`",
                    )
        if task.train_where is not None:
            self._check_bits(task.train_where, inputs, where)
        elif not task.train_states:
            self.error(
                task.span,
                "task",
                f"{where} says nothing of training",
                "list the states training sees (`train 01, 11`) or `train where ...`",
            )
        if task.ignore_where is not None:
            self._check_bits(task.ignore_where, inputs, where)
        if task.transitions and task.horizon is None:
            self.error(
                task.transitions[0][0].span,
                "task",
                f"{where} has `next` lines but no horizon",
                "add `horizon 2` (steps per episode)",
            )
        moved: set[str] = set()
        for bit, expr in task.transitions:
            if bit.text not in {b.text for b in task.inputs}:
                self.error(
                    bit.span,
                    "undeclared",
                    f"'{bit}' is not a state bit (input) of {where}",
                    did_you_mean(bit.text, [b.text for b in task.inputs]),
                )
            if bit.text in moved:
                self.error(bit.span, "duplicate", f"next {bit} is given twice in {where}")
            moved.add(bit.text)
            self._check_bits(expr, inputs | set(outputs), where, "an input or output")
        states: set[str] = set()
        for state in task.train_states:
            if len(state.bits) != len(task.inputs):
                self.error(
                    state.span,
                    "task",
                    f"state {state.bits} has {len(state.bits)} bits but {where} has "
                    f"{len(task.inputs)} inputs",
                )
            if state.bits in states:
                self.error(
                    state.span, "duplicate", f"state {state.bits} is listed twice in {where}"
                )
            states.add(state.bits)

    def _check_sweep(self, sweep: n.Sweep, families: dict[str, n.Family]) -> None:
        where = f"sweep '{sweep.name}'"
        if sweep.family is None:
            self.error(sweep.span, "sweep", f"{where} names no family", "add `family NAME`")
        elif sweep.family.text not in families:
            self.error(
                sweep.family.span,
                "undeclared",
                f"undeclared family '{sweep.family}'",
                did_you_mean(sweep.family.text, families),
            )
        else:
            members = 1 << len(families[sweep.family.text].params)
            if sweep.high is not None and sweep.high > members:
                self.error(
                    sweep.span,
                    "sweep",
                    f"{where} asks for sets of {sweep.high} tasks, but family "
                    f"'{sweep.family}' has {members} members",
                    f"use `tasks {sweep.low} to {members}`",
                )
        if sweep.low is None:
            self.error(sweep.span, "sweep", f"{where} gives no set sizes", "add `tasks 1 to 4`")

    def _check_bits(
        self, expr: n.BitExpr, inputs: set[str], where: str, what: str = "an input"
    ) -> None:
        if isinstance(expr, n.BitVar):
            if expr.name.text not in inputs:
                self.error(
                    expr.span,
                    "undeclared",
                    f"'{expr.name}' is not {what} of {where}",
                    did_you_mean(expr.name.text, inputs),
                )
        elif isinstance(expr, n.BitNot):
            self._check_bits(expr.operand, inputs, where, what)
        elif isinstance(expr, n.BitOp):
            self._check_bits(expr.left, inputs, where, what)
            self._check_bits(expr.right, inputs, where, what)

    def _check_task_set(self, task_set: n.TaskSet, tasks: dict[str, n.Task]) -> None:
        if not task_set.members:
            self.error(task_set.span, "task", f"task set '{task_set.name}' is empty")
        listed: set[str] = set()
        for member, _weight in task_set.members:
            task = tasks.get(member.text)
            if task is None:
                self.error(
                    member.span,
                    "undeclared",
                    f"undeclared task '{member}'",
                    did_you_mean(member.text, tasks),
                )
                continue
            if member.text in listed:
                self.error(member.span, "duplicate", f"task '{member}' is listed twice")
            listed.add(member.text)

    def _check_reduction(
        self, reduction: n.Reduction, task_sets: dict[str, n.TaskSet], tasks: dict[str, n.Task]
    ) -> None:
        if reduction.tasks is None:
            self.error(
                reduction.span,
                "reduction",
                f"reduction '{reduction.name}' names no task set",
                "add `tasks SET`",
            )
            return
        task_set = task_sets.get(reduction.tasks.text)
        if task_set is None:
            self.error(
                reduction.tasks.span,
                "undeclared",
                f"undeclared task set '{reduction.tasks}'",
                did_you_mean(reduction.tasks.text, task_sets),
            )
            return
        members = [m.text for m, _ in task_set.members]
        if reduction.bad is not None and reduction.bad.text not in members:
            self.error(
                reduction.bad.span,
                "undeclared",
                f"'{reduction.bad}' is not a task of '{reduction.tasks}'",
                did_you_mean(reduction.bad.text, members),
            )
            return
        bad = tasks.get(reduction.bad.text if reduction.bad is not None else members[0])
        if bad is None:
            return
        where = f"the bad task '{bad.name}'"
        inputs = [b.text for b in bad.inputs]
        if reduction.target is not None and reduction.target.text not in inputs:
            self.error(
                reduction.target.span,
                "undeclared",
                f"'{reduction.target}' is not an input of {where}",
                did_you_mean(reduction.target.text, inputs),
            )
        if reduction.where is not None:
            names = set(inputs) | {b.text for b in bad.outputs}
            self._check_bits(reduction.where, names, where, "an input or output")

    def _check_scenario(self, scenario: n.Scenario) -> None:
        seen: dict[str, n.Span] = {}
        for value in scenario.values:
            target = value.target
            if isinstance(target, n.Symbol):
                self.check_symbol(target)
                key = target.name.text
            elif isinstance(target, n.CostOf):
                if not target.term.args and target.term.head.text in self.programs:
                    self.error(
                        target.span,
                        "scenario",
                        "a scenario gives values to cost atoms, not to programs",
                        "set the atoms the program is built from",
                    )
                else:
                    self.check_term(target.term, allow_program=False)
                key = f"{target.kind}({target.term})"
            else:
                key = "g"
            if key in seen:
                self.error(
                    value.span, "duplicate", f"{key} is given twice in scenario '{scenario.name}'"
                )
            seen[key] = value.span
            self._check_scenario_number(value.value)
        if scenario.default is not None:
            self._check_scenario_number(scenario.default)

    def _check_scenario_number(self, value: n.Expr) -> None:
        for node in _expr_nodes(value):
            # A name here (`e6`, a parameter) has no number to stand for.
            if isinstance(node, (n.CostOf, n.GRate, n.GApply, n.Symbol)):
                self.error(node.span, "scenario", "a scenario value must be a number")
                break


def objection_source(source: n.SourceFile, objection: n.Objection) -> n.SourceFile:
    """The argument as the objection changes it: the base's statements without the dropped
    assumptions and claims (and without objections), then the objection's own statements."""
    dropped = {name.text for name in objection.drops}
    kept: list[n.Statement] = []
    origins: list[str] = []
    for index, statement in enumerate(source.statements):
        if isinstance(statement, n.Objection):
            continue
        if (
            isinstance(statement, (n.Assume, n.Claim))
            and statement.label is not None
            and statement.label.text in dropped
        ):
            continue
        kept.append(statement)
        origins.append(source.origin(index))
    kept.extend(objection.statements)
    origins.extend(source.path for _ in objection.statements)
    return n.SourceFile(tuple(kept), source.path, source.text, tuple(origins))


def build_model(source: n.SourceFile) -> Model:
    """Resolve every name of a parsed file; raises `InputError` listing all problems."""
    return _Resolver(source).resolve()
