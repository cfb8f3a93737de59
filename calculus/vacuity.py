"""Vacuity: assumptions that cannot all hold prove every claim.

A claim is proved when no admissible assignment of the costs falsifies it. If the file's
assumptions rule out every assignment, that is true of any claim, `c(P) > c(P)` included:
the verdicts are correct and say nothing. This stage runs after the claims are decided:

* `contradiction` asks whether the hypotheses (assumptions, positivity, parameter bounds)
  can all hold together, as the claim `0 < 0` under them: proved means they cannot, and
  its minimal core names a smallest set of assumptions that contradict each other.
* `review` turns such a set into a warning at the first of them (`warning[inconsistent]`,
  the others in its notes), and marks each claim whose own proof rests only on
  assumptions that contradict each other (or whose `for some costs` is refuted that way).

Nothing is changed when the question is not answered `proved` (consistent, unknown, out
of time, or a failure inside the tool): only a proved contradiction is reported. Verdicts
themselves are never changed.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import replace
from typing import TYPE_CHECKING

import sympy

from calculus.costs import Atomic
from calculus.diagnostics import INCONSISTENT, Diagnostic
from calculus.logic import POSITIVITY, Decider, Hypothesis, Problem, Verdict

if TYPE_CHECKING:
    from calculus.costs import CostModel
    from calculus.model import Model

# Under these hypotheses `0 < 0` is proved exactly when they cannot all hold.
_FALSE = Atomic("<", sympy.Integer(0), sympy.Integer(0))


def _always(hypothesis: Hypothesis) -> bool:
    """Bounds every assignment must meet anyway: positivity and the parameters' own."""
    return hypothesis.name == POSITIVITY or hypothesis.name.startswith("parameter ")


def contradiction(
    costs: CostModel,
    hypotheses: Sequence[Hypothesis],
    timeout: float,
    decider: Decider,
) -> tuple[str, ...] | None:
    """A minimal set of the hypotheses' names that cannot hold together under the family
    of `costs`, or None when they can (or when that could not be decided)."""
    if all(_always(h) for h in hypotheses):
        return None  # positive costs and parameters within their bounds always exist
    # The core is shrunk by deleting the last hypotheses first: with the bounds every
    # assignment meets anyway put first, the set named is one with the fewest assumptions
    # that deletion finds (`c(x) <= 0` alone, given costs > 0).
    ordered = sorted(hypotheses, key=lambda h: not _always(h))
    problem = Problem(
        _FALSE,
        ordered,
        False,
        costs.family,
        timeout,
        parameters=tuple(costs.parameter_symbols),
    )
    from calculus.limits import TimeLimitExceeded, memory_limit, time_limit

    try:
        # The bound of one claim's decision (`check.CLAIM_TIME_FACTOR`): sympy's algebra in
        # the non-linear families has no timeout of its own.
        with time_limit(3 * timeout + 1), memory_limit():
            verdict = decider.decide(problem)
    except (TimeLimitExceeded, MemoryError):
        return None
    except Exception:  # noqa: BLE001 - a failure inside the tool: no warning, never a traceback
        return None
    if verdict.status != "proved":
        return None
    return verdict.uses


def _rests_on_contradiction(
    costs: CostModel,
    hypotheses: Sequence[Hypothesis],
    uses: tuple[str, ...],
    timeout: float,
    decider: Decider,
) -> tuple[str, ...] | None:
    """Whether the assumptions a verdict used (with the bounds every assignment meets)
    already contradict each other: then the verdict follows from them whatever the claim."""
    used = [h for h in hypotheses if h.name in uses or _always(h)]
    return contradiction(costs, used, timeout, decider)


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _cannot_hold(core: Sequence[str]) -> str:
    """`the assumptions a and b cannot all hold given costs > 0`, for a core."""
    named = [name for name in core if name != POSITIVITY and not name.startswith("parameter ")]
    bounds = ["costs > 0"] if POSITIVITY in core else []
    bounds += [
        f"the bounds of parameter {name.removeprefix('parameter ')}"
        for name in core
        if name.startswith("parameter ")
    ]
    given = f" given {_names(bounds)}" if bounds else ""
    if len(named) == 1:
        return f"the assumption {named[0]} cannot hold{given}"
    return f"the assumptions {_names(named)} cannot all hold{given}"


def warning(
    model: Model,
    core: tuple[str, ...],
    families: Sequence[str] = (),
    own: Set[int] = frozenset(),
) -> Diagnostic:
    """The warning for a contradiction among `core`, at the first of its assumptions
    written in a statement of `own` (ids) if any, else at the first of them
    (`families`: the exchange families it holds under, when not all of the file's)."""
    by_name = {a.name: a for a in model.assumptions}
    placed = [by_name[name] for name in core if name in by_name]
    placed.sort(key=lambda a: id(a.node) not in own)
    under = ""
    if families:
        under = f" under the {_names(families)} famil{'ies' if len(families) > 1 else 'y'}"
    them = (
        "it"
        if len([c for c in core if not c.startswith(("positivity", "parameter "))]) == 1
        else "them"
    )
    message = (
        f"{_cannot_hold(core)}{under}: every claim that uses {them} is proved whatever it says"
    )
    notes = tuple(
        f"{a.name} is at {model.origin(a.node)}:{a.node.span.line}:{a.node.span.column}"
        for a in placed[1:]
    )
    hint = "an argument whose assumptions contradict each other proves anything: drop or weaken one"
    if placed:
        first = placed[0].node
        return Diagnostic(
            model.origin(first),
            first.span.line,
            first.span.column,
            INCONSISTENT,
            message,
            hint,
            end_column=first.span.end_column if first.span.end_line == first.span.line else None,
            severity="warning",
            notes=notes,
        )
    return Diagnostic(
        model.path, 0, 0, INCONSISTENT, message, hint, severity="warning", notes=notes
    )


# Per claim, its verdict under each family (one entry when one family is in play).
Verdicts = tuple[Verdict, ...]


def review(
    model: Model,
    views: Sequence[tuple[CostModel, Sequence[Hypothesis]]],
    claims: Sequence[Verdicts],
    timeout: float,
    known: Sequence[tuple[str, ...]] = (),
    own: Set[int] = frozenset(),
) -> tuple[
    list[tuple[Verdicts, tuple[str, ...]]], tuple[Diagnostic, ...], tuple[tuple[str, ...], ...]
]:
    """For each claim (its verdicts under the families of `views`, each family's costs and
    hypotheses): its verdicts, those that rest on assumptions contradicting each other
    noted as vacuous, and the names of those assumptions; a warning per set of assumptions
    found to contradict each other, except the sets in `known` (already reported); and
    every set found. `own`: the ids of the statements a warning is placed at first."""
    cores: dict[tuple[str, ...], list[str]] = {}
    marked: list[tuple[Verdicts, tuple[str, ...]]] = [(tuple(v), ()) for v in claims]
    with Decider() as decider:
        for index, (costs, hypotheses) in enumerate(views):
            core = contradiction(costs, hypotheses, timeout, decider)
            if core is None:
                continue
            cores.setdefault(core, []).append(costs.family)
            for position, (verdicts, names) in enumerate(marked):
                verdict = verdicts[index]
                if not _vacuous(verdict):
                    continue
                used = _rests_on_contradiction(costs, hypotheses, verdict.uses, timeout, decider)
                if used is not None:
                    noted = _noted(verdict, used)
                    marked[position] = (
                        tuple(noted if i == index else v for i, v in enumerate(verdicts)),
                        tuple(dict.fromkeys((*names, *used))),
                    )
    warnings = tuple(
        warning(model, core, families if len(families) < len(views) else (), own)
        for core, families in cores.items()
        if core not in known
    )
    return marked, warnings, tuple(cores)


def _vacuous(verdict: Verdict) -> bool:
    """Whether a contradiction could have produced the verdict: a proof (not a witness),
    or `for some costs` refuted for want of an admissible assignment."""
    if verdict.status == "proved":
        return verdict.witness is None
    return verdict.status == "refuted" and verdict.counterexample is None and bool(verdict.uses)


def _noted(verdict: Verdict, core: tuple[str, ...]) -> Verdict:
    """`verdict` with a note that it rests on the contradiction among `core`."""
    what = "proved" if verdict.status == "proved" else "refuted (no admissible assignment)"
    note = f"vacuous: {what} only because {_cannot_hold(core)}"
    if note in verdict.notes:
        return verdict
    return replace(verdict, notes=(*verdict.notes, note))
