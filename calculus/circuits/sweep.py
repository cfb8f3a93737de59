"""Families of tasks and sweeps over sets of their members: the lookup-table objection.

A `family NAME(params) { ... }` is a task template; each assignment of its bit parameters
is a member.  A `sweep` draws, for each set size k and draw d, k members with a generator
seeded by (seed, k, d), combines them (by data or by index) and reports, per row:

* ``minimum``: the minimum cost of the combined task T* (full reward on every member);
* ``lookup``: the exact minimum of the index-keyed per-task lookup ("nested if");
* ``general``: the minimum of the family's intended function on every state, when the
  intended behaviour does not mention a parameter (else null);
* ``misgeneralises``: the extent, among the minimum circuits of T*, of "on some trained
  state of a held-out member (one not in the set), an action other than its intended one"
  (null when no member is held out, or when the set is told apart by index: a held-out
  member has no index).

Rows are independent syntheses; ``run_rows`` sends them to a Dask cluster when one is
configured (``configure``), else computes them here, one after another.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from calculus import nodes as n
from calculus.diagnostics import InputError, at
from calculus.model import Model

from . import parallel
from .reduction import MISGENERALISES, decide_predicate, lookup_minimum, minimum, problem
from .specification import SpecificationError, table_specification
from .synthesis import Measure, synthesize_specification
from .tasks import Task, TaskSet, combine, task_set

#: Members a sweep may draw from (2**params).
MAX_MEMBERS = 64


@dataclass(frozen=True)
class SweepRow:
    k: int
    draw: int
    members: tuple[str, ...]
    minimum: int | None
    lookup: int | None
    general: int | None
    misgeneralises: str | None
    seconds: float = 0.0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "draw": self.draw,
            "members": list(self.members),
            "minimum": self.minimum,
            "lookup": self.lookup,
            "general": self.general,
            "misgeneralises": self.misgeneralises,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SweepOutcome:
    name: str
    span: n.Span
    family: str
    by_data: bool
    seed: int
    measure: str
    basis: str
    rows: tuple[SweepRow, ...]
    general: int | None
    workers: str = "in process"
    seconds: float = field(default=0.0, compare=False)

    @property
    def passed(self) -> bool:
        """A sweep states no claim; it is complete when every size was found."""
        return all(r.minimum is not None and r.lookup is not None for r in self.rows)


# -- members ---------------------------------------------------------------------------------


def _mentions(expr: n.BitExpr, names: set[str]) -> bool:
    if isinstance(expr, n.BitVar):
        return expr.name.text in names
    if isinstance(expr, n.BitNot):
        return _mentions(expr.operand, names)
    if isinstance(expr, n.BitOp):
        return _mentions(expr.left, names) or _mentions(expr.right, names)
    return False


def members(model: Model, family: n.Family) -> list[Task]:
    """Every member of a family, in the order of its parameters read as a number (the
    first parameter the least significant bit), named `NAME(v1,v2,...)`."""
    from .language import build_task

    count = 1 << len(family.params)
    if count > MAX_MEMBERS:
        raise InputError(
            [
                at(
                    model.origin(family),
                    family.span,
                    "sweep",
                    f"family '{family.name}' has {count} members, more than {MAX_MEMBERS}",
                )
            ]
        )
    found = []
    for number in range(count):
        values = {p.text: (number >> k) & 1 for k, p in enumerate(family.params)}
        label = ",".join(str(v) for v in values.values())
        declared = dataclasses.replace(
            family.task, name=n.Name(f"{family.name}({label})", family.name.span)
        )
        found.append(build_task(declared, model.origin(family), values))
    return found


def general_minimum(
    model: Model, family: n.Family, measure: Measure, basis: str, timeout: float | None
) -> tuple[int | None, str]:
    """The minimum of the family's intended function on every (non-ignored) state."""
    params = {p.text for p in family.params}
    if any(_mentions(expr, params) for _, expr in family.task.intended):
        return None, "the intended behaviour mentions a parameter: no single general solution"
    member = members(model, family)[0]
    tables = [0] * member.outputs
    care = 0
    for state in member.relevant_states:
        care |= 1 << state
        for h in range(member.outputs):
            tables[h] |= ((member.intended[state] >> h) & 1) << state
    spec = table_specification(member.inputs, tables, [care ^ ((1 << (1 << member.inputs)) - 1)])
    result = synthesize_specification(spec, measure=measure, basis=basis, timeout=timeout)  # type: ignore[arg-type]
    if result.status != "optimal":
        return None, result.reason
    return result.cost, ""


def draw_members(count: int, k: int, draw: int, seed: int) -> list[int]:
    """The members (by number, in index order) of draw ``draw`` of size ``k``: reproducible
    from the seed."""
    rng = random.Random(f"sweep:{seed}:{k}:{draw}")
    return rng.sample(range(count), k)


# -- one row -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowJob:
    """Everything one row needs, as plain picklable data (it may run on another process)."""

    k: int
    draw: int
    chosen: tuple[Task, ...]
    held_out: tuple[Task, ...]
    by_data: bool
    measure: Measure
    basis: str
    general: int | None
    timeout: float | None


def held_out_task(tasks: TaskSet, held_out: Sequence[Task]) -> Task | None:
    """One task whose deployment states are the held-out members' trained states (those
    the set does not train on), with those members' intended actions; all else ignored."""
    trained = {s for member in tasks.tasks for s in member.training_states}
    width, outputs = tasks.inputs, tasks.outputs
    intended = [0] * (1 << width)
    chosen: set[int] = set()
    for member in held_out:
        for state in member.training_states:
            if state not in trained and state not in chosen:
                chosen.add(state)
                intended[state] = member.intended[state]
    if not chosen:
        return None
    return Task(
        "held-out",
        width,
        outputs,
        (),
        (),
        tuple(intended),
        frozenset(s for s in range(1 << width) if s not in chosen),
        1,
        None,
        held_out[0].judged_outputs,
    )


def run_row(job: RowJob) -> SweepRow:
    start = time.perf_counter()
    deadline = None if job.timeout is None else start + job.timeout

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.001)

    names = tuple(t.name for t in job.chosen)
    try:
        tasks = task_set(list(job.chosen), by_data=job.by_data)
    except SpecificationError as error:
        return SweepRow(job.k, job.draw, names, None, None, job.general, None, 0.0, str(error))
    star = combine(tasks)
    target = problem(star, tasks.best_average_reward())
    result = minimum(target, job.measure, job.basis, remaining())  # type: ignore[arg-type]
    extent: str | None = None
    reason = "" if result.status == "optimal" else result.reason
    if job.by_data and job.held_out:
        held = held_out_task(tasks, job.held_out)
        if held is not None:
            decision = decide_predicate(
                target,
                result,
                held,
                lambda s: s,
                MISGENERALISES,
                basis=job.basis,  # type: ignore[arg-type]
                timeout=remaining(),
            )
            extent = decision.extent
    lookup = lookup_minimum(tasks, job.measure, job.basis, remaining())  # type: ignore[arg-type]
    if lookup.status != "optimal" and not reason:
        reason = f"lookup: {lookup.reason}"
    return SweepRow(
        job.k,
        job.draw,
        names,
        result.cost if result.status == "optimal" else None,
        lookup.size,
        job.general,
        extent,
        time.perf_counter() - start,
        reason,
    )


# -- running rows: here, or on a Dask cluster ---------------------------------------------------


def configure(
    workers: int | None = None, scheduler: str | None = None, processes: bool = True
) -> None:
    """Send sweep rows (and a reduction's independent syntheses) to Dask; see
    ``calculus.circuits.parallel``."""
    parallel.configure(workers, scheduler, processes)


def run_rows(jobs: Sequence[RowJob]) -> tuple[list[SweepRow], str]:
    return parallel.run_all(run_row, jobs)


def run_sweep(model: Model, sweep: n.Sweep, timeout: float | None) -> SweepOutcome:
    """Every row of a `sweep` statement; ``timeout`` bounds each row."""
    start = time.perf_counter()
    assert sweep.family is not None and sweep.low is not None and sweep.high is not None
    family = model.families[sweep.family.text]
    measure: Measure = "+".join(x.text for x in sweep.measure) or "size"  # type: ignore[assignment]
    basis = sweep.basis.text if sweep.basis is not None else "b2"
    everyone = members(model, family)
    general, _why = general_minimum(model, family, measure, basis, timeout)
    seed = sweep.seed or 0
    jobs = []
    for k in range(sweep.low, sweep.high + 1):
        for draw in range(sweep.draws or 1):
            picked = draw_members(len(everyone), k, draw, seed)
            jobs.append(
                RowJob(
                    k,
                    draw,
                    tuple(everyone[i] for i in picked),
                    tuple(m for i, m in enumerate(everyone) if i not in picked),
                    sweep.by_data,
                    measure,
                    basis,
                    general,
                    timeout,
                )
            )
    rows, label = run_rows(jobs)
    return SweepOutcome(
        sweep.name.text,
        sweep.span,
        family.name.text,
        sweep.by_data,
        seed,
        measure,
        basis,
        tuple(rows),
        general,
        label,
        time.perf_counter() - start,
    )


def sweep_plot_data(outcome: SweepOutcome) -> dict[str, list[tuple[int, float | None]]]:
    """The three sizes against k (mean over draws) for a plot: minimum, lookup, general."""
    series: dict[str, list[tuple[int, float | None]]] = {"minimum": [], "lookup": [], "general": []}
    by_k: dict[int, list[SweepRow]] = {}
    for row in outcome.rows:
        by_k.setdefault(row.k, []).append(row)
    for k, rows in sorted(by_k.items()):
        for name in series:
            values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
            mean = float(sum(values, Fraction(0)) / len(values)) if values else None
            series[name].append((k, mean))
    return series


def sweep_figure(outcome: SweepOutcome) -> Any:
    """A matplotlib figure of the three sizes against k (mean over draws)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.0, 3.2))
    axes = figure.add_subplot()
    labels = {
        "minimum": "minimum of the combined task",
        "lookup": "index-keyed lookup",
        "general": "general solution",
    }
    for (name, points), marker in zip(sweep_plot_data(outcome).items(), "os^", strict=True):
        shown = [(k, v) for k, v in points if v is not None]
        if shown:
            axes.plot(
                [k for k, _ in shown], [v for _, v in shown], marker=marker, label=labels[name]
            )
    axes.set_xlabel("k, tasks in the set")
    axes.set_ylabel(f"{outcome.measure} ({outcome.basis})")
    axes.set_xticks(sorted({row.k for row in outcome.rows}))
    axes.legend(loc="best", fontsize="small")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    return figure
