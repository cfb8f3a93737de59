"""From the language's `task`, `tasks` and `reduction` statements to checked reductions.

States are bit-vectors over a task's inputs in declaration order: input k is bit k of the
state number (x1 the least significant bit, as in `cost synth`), and the written state
`110` sets the first two inputs. Actions are the output bits the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from calculus import nodes as n
from calculus.diagnostics import InputError, at
from calculus.model import Model
from calculus.numbers import constant_value
from calculus.printer import format_bits
from calculus.status import Status

from .reduction import (
    DECEPTIVE,
    MISGENERALISES,
    Predicate,
    ReductionResult,
    check_reduction,
    ignores,
    reads,
    where,
)
from .specification import SpecificationError
from .tasks import ConflictError, Task, TaskSet, task, task_set


def bit_value(expr: n.BitExpr, inputs: dict[str, int], state: int) -> int:
    """The value of a bit expression on a state."""
    if isinstance(expr, n.BitConst):
        return expr.value
    if isinstance(expr, n.BitVar):
        return (state >> inputs[expr.name.text]) & 1
    if isinstance(expr, n.BitNot):
        return 1 - bit_value(expr.operand, inputs, state)
    left, right = bit_value(expr.left, inputs, state), bit_value(expr.right, inputs, state)
    if expr.op == "and":
        return left & right
    if expr.op == "or":
        return left | right
    if expr.op in ("xor", "!="):
        return left ^ right
    return 1 - (left ^ right)


def state_number(bits: str) -> int:
    """`110` (first input first) as a state number with the first input as bit 0."""
    return sum(int(bit) << position for position, bit in enumerate(bits))


def _number(expr: n.Expr) -> Fraction:
    value = constant_value(expr)
    if value is None:
        raise ValueError(f"not a number: {expr}")
    return value


def _actions(
    table: tuple[tuple[n.Name, n.BitExpr], ...],
    outputs: dict[str, int],
    inputs: dict[str, int],
    state: int,
) -> int:
    return sum(bit_value(expr, inputs, state) << outputs[name.text] for name, expr in table)


def build_task(declared: n.Task, path: str, params: dict[str, int] | None = None) -> Task:
    """The task a `task` statement (or a family member, with its parameter values) states."""
    inputs = {name.text: k for k, name in enumerate(declared.inputs)}
    outputs = {name.text: k for k, name in enumerate(declared.outputs)}
    width, actions = len(inputs), len(outputs)
    # Parameters sit above the inputs and outputs in the word bit expressions read.
    names = dict(inputs)
    names.update({name: width + k for name, k in outputs.items()})
    fixed = 0
    for k, (name, setting) in enumerate((params or {}).items()):
        names[name] = width + actions + k
        fixed |= setting << (width + actions + k)
    states = range(1 << width)

    def value(expr: n.BitExpr, state: int, action: int = 0) -> int:
        return bit_value(expr, names, state | (action << width) | fixed)

    if declared.train_where is not None:
        where = declared.train_where
        training: dict[int, Fraction] | list[int] = [s for s in states if value(where, s)]
        if not training:
            raise InputError(
                [
                    at(
                        path,
                        where.span,
                        "task",
                        f"no state of task '{declared.name}' satisfies `train where`",
                    )
                ]
            )
    else:
        training = {}
        for state in declared.train_states:
            weight = Fraction(1) if state.weight is None else _number(state.weight)
            if weight <= 0:
                raise InputError([at(path, state.span, "task", "a training weight must be > 0")])
            training[state_number(state.bits)] = weight
    ignored = (
        [s for s in states if value(declared.ignore_where, s)]
        if declared.ignore_where is not None
        else []
    )
    if declared.ignore_where is not None:
        trained = set(training)
        clash = [s for s in ignored if s in trained]
        if clash:
            bits = "".join(str((clash[0] >> k) & 1) for k in range(width))
            raise InputError(
                [
                    at(
                        path,
                        declared.ignore_where.span,
                        "task",
                        f"state {bits} of task '{declared.name}' is both trained and ignored",
                        "`ignore where` marks states training never sees",
                    )
                ]
            )

    def actions_of(table: tuple[tuple[n.Name, n.BitExpr], ...], state: int) -> int:
        return sum(value(expr, state) << outputs[name.text] for name, expr in table)

    intended = [actions_of(declared.intended, s) for s in states]
    reward = None
    if declared.reward:
        # Outputs without a reward line are rewarded for their intended value.
        given = {name.text for name, _ in declared.reward}
        table = declared.reward + tuple(
            (name, expr) for name, expr in declared.intended if name.text not in given
        )
        rewarded = [actions_of(table, s) for s in states]

        def reward(state: int, action: int) -> int:
            return int(action == rewarded[state])

    successor = None
    if declared.transitions:
        moves = {inputs[bit.text]: expr for bit, expr in declared.transitions}

        def successor(state: int, action: int) -> int:
            following = state
            for k, expr in moves.items():
                bit = value(expr, state, action)
                following = (following & ~(1 << k)) | (bit << k)
            return following

    try:
        return task(
            declared.name.text,
            width,
            actions,
            training,
            intended,
            reward,
            ignored=ignored,
            horizon=declared.horizon or 1,
            successor=successor,
        )
    except SpecificationError as error:
        raise InputError([at(path, declared.span, "task", str(error))]) from None


def build_task_set(model: Model, name: str) -> TaskSet:
    declared = model.task_sets[name]
    path = model.origin(declared)
    tasks = [
        build_task(model.tasks[member.text], model.origin(model.tasks[member.text]))
        for member, _ in declared.members
    ]
    weights = None
    if any(weight is not None for _, weight in declared.members):
        weights = [Fraction(1) if w is None else _number(w) for _, w in declared.members]
        for (member, _), weight in zip(declared.members, weights, strict=True):
            if weight <= 0:
                raise InputError(
                    [
                        at(
                            path,
                            member.span,
                            "task",
                            f"task '{member}' has weight {weight}; weights must be > 0",
                        )
                    ]
                )
    try:
        return task_set(tasks, weights, by_data=declared.by_data)
    except ConflictError as error:
        second = next(m for m, _ in declared.members if m.text == error.where[1])
        raise InputError(
            [
                at(
                    path,
                    second.span,
                    "task",
                    str(error),
                    f"give the two tasks different data on state {error.where[2]}, "
                    "or tell them apart by index (drop `by data`)",
                )
            ]
        ) from None
    except SpecificationError as error:
        raise InputError([at(path, declared.span, "task", str(error))]) from None


def build_predicate(model: Model, reduction: n.Reduction, bad: str) -> Predicate:
    """The property C a reduction decides, on the bad task's own inputs and outputs."""
    kind = reduction.property.text if reduction.property is not None else "deceptive"
    declared = model.tasks[bad]
    inputs = {name.text: k for k, name in enumerate(declared.inputs)}
    if kind == "misgeneralises":
        return MISGENERALISES
    if kind in ("reads", "ignores"):
        assert reduction.target is not None
        make = reads if kind == "reads" else ignores
        return make(inputs[reduction.target.text], reduction.target.text)
    if kind == "where":
        assert reduction.where is not None
        expr = reduction.where
        width = len(inputs)
        names = dict(inputs)
        names.update({o.text: width + k for k, o in enumerate(declared.outputs)})
        own = (1 << width) - 1

        def condition(state: int, action: int) -> bool:
            return bool(bit_value(expr, names, (state & own) | (action << width)))

        return where(condition, format_bits(expr))
    return DECEPTIVE


@dataclass(frozen=True)
class ReductionOutcome:
    """A `reduction` statement checked.  It passes when every structural check is proved,
    the conclusion on T* agrees with the hypothesis on the set (the essay's reduction and
    its converse make them equivalent), and every `expect` holds: the extent of C among
    the minimum circuits of the bad task alone and of T* is the one expected."""

    name: str
    span: n.Span
    result: ReductionResult | None
    reason: str | None = None
    listing: str = field(default="", compare=False)
    inputs_note: str = ""
    expects: tuple[tuple[str, str], ...] = ()

    @property
    def verdict(self) -> Status:
        return self.result.verdict if self.result is not None else "unknown"

    @property
    def extents(self) -> dict[str, str]:
        if self.result is None:
            return {"alone": "unknown", "combined": "unknown"}
        alone = self.result.alone.extent if self.result.alone is not None else "unknown"
        return {"alone": alone, "combined": self.result.decision.extent}

    def expectation_failures(self) -> list[str]:
        found = self.extents
        return [
            f"expected {side} {wanted}, found {found[side]}"
            for side, wanted in self.expects
            if found[side] != wanted
        ]

    @property
    def passed(self) -> bool:
        if self.result is None:
            return False
        verdicts = {check.name: check.verdict for check in self.result.checks}
        structural = [
            v for k, v in verdicts.items() if k not in ("hypothesis", "conclusion", "lookup_table")
        ]
        return (
            all(v == "proved" for v in structural)
            and verdicts.get("conclusion") in ("proved", "refuted")
            and verdicts.get("conclusion") == verdicts.get("hypothesis")
            and not self.expectation_failures()
        )


def run_reduction(model: Model, reduction: n.Reduction, timeout: float) -> ReductionOutcome:
    """Build the task set of a `reduction` statement and check the essay's construction;
    ``timeout`` is the reduction's one time budget."""
    assert reduction.tasks is not None  # resolved by calculus.model
    tasks = build_task_set(model, reduction.tasks.text)
    bad = reduction.bad.text if reduction.bad is not None else tasks.tasks[0].name
    measure = "+".join(x.text for x in reduction.measure) or "size"
    threshold = _number(reduction.reward) if reduction.reward is not None else None
    result = check_reduction(
        tasks,
        bad,
        threshold=threshold,
        measure=measure,  # type: ignore[arg-type]
        basis=(reduction.basis.text if reduction.basis else "b2"),  # type: ignore[arg-type]
        predicate=build_predicate(model, reduction, bad),
        timeout=timeout,
    )
    listing = result.minimal_circuit.listing() if result.minimal_circuit is not None else ""
    return ReductionOutcome(
        reduction.name.text,
        reduction.span,
        result,
        None,
        listing,
        _inputs_note(model, tasks),
        tuple((e.side.text, e.extent.text) for e in reduction.expects),
    )


def _inputs_note(model: Model, tasks: TaskSet) -> str:
    """Which circuit input is which: the tasks' own inputs, then the task-index bits."""
    first = max((model.tasks[t.name] for t in tasks.tasks), key=lambda t: len(t.inputs))
    own = ", ".join(f"x{k + 1} = {name}" for k, name in enumerate(first.inputs))
    width = len(first.inputs)
    index = [f"x{width + k + 1}" for k in range(tasks.index_bits)]
    if not index:
        return own
    numbering = ", ".join(f"{i} = {t.name}" for i, t in enumerate(tasks.tasks))
    return f"{own}; task index {' '.join(index)} (least significant first): {numbering}"
