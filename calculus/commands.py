"""The REPL's `:commands`: their table (name, usage, what they do, what completes after
them), how an input's word picks one, and their handlers, which a `Session` inherits.

The handlers use the session only through what `Commands` declares below; the session
module imports this one, never the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sympy
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken

from calculus import nodes as n
from calculus.check import ClaimResult, FileResult, Pipeline
from calculus.costs import CostModel
from calculus.diagnostics import InputError, did_you_mean
from calculus.logic import POSITIVITY, Verdict
from calculus.model import Model
from calculus.numbers import readable_text, to_rational
from calculus.output import claim_lines, ranges_lines, reduction_lines, summary_line
from calculus.printer import format_expr, format_statement
from calculus.syntax import STATEMENT_WORDS, parse
from calculus.transcript import (
    CLAIM_PREFIX,
    REPL_PATH,
    Entry,
    Origin,
    Output,
    Rejected,
    Transcript,
    command_error,
    shift_spans,
)

if TYPE_CHECKING:
    from calculus.circuits.language import ReductionOutcome
    from calculus.dominance import RangesResult

# The name under which the last bare formula's verdict can be asked about (`:why it`).
LAST_FORMULA = "it"


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    summary: str
    argument: str  # what completes after it: none | name | names | programs | path | formula


COMMANDS = (
    Command("load", ":load FILE", "start over from a .cost file", "path"),
    Command(
        "reload", ":reload", "re-read the loaded file (what was typed since is dropped)", "none"
    ),
    Command(
        "show",
        ":show [NAME]",
        "a declaration: a program's derived c and t and their "
        "derivation, a claim's verdict; without NAME, everything declared",
        "name",
    ),
    Command(
        "check", ":check [NAME ...]", "the verdicts of every claim, or of the named ones", "names"
    ),
    Command(
        "why",
        ":why [NAME]",
        "the assumptions a proof uses, or the counterexample "
        f"(without NAME: the last verdict; `{LAST_FORMULA}` is the last bare formula)",
        "name",
    ),
    Command(
        "ranges",
        ":ranges P, Q ... [in S]",
        "for which g each program wins (computed, not added to the model)",
        "programs",
    ),
    Command(
        "objection",
        ":objection [NAME]",
        "re-check the argument under an objection: the verdicts it flips and its own claims "
        "(without NAME: the objections declared)",
        "objection",
    ),
    Command("assume", ":assume [LABEL:] FORMULA", "add an assumption, as `assume` does", "formula"),
    Command("forget", ":forget NAME", "remove a declaration, assumption or claim", "name"),
    Command("report", ":report FILE", "write a proof report (.html or .md) of the model", "path"),
    Command("save", ":save FILE", "write the model as a .cost file", "path"),
    Command("help", ":help", "this list", "none"),
    Command("quit", ":quit", "leave (Ctrl-D does too)", "none"),
)
_COMMANDS_BY_NAME = {command.name: command for command in COMMANDS}


def resolve_command(word: str) -> Command | list[str]:
    """A command by its name or a unique prefix (`:q`); otherwise the candidates."""
    if word in _COMMANDS_BY_NAME:
        return _COMMANDS_BY_NAME[word]
    matches = [c.name for c in COMMANDS if word and c.name.startswith(word)]
    if len(matches) == 1:
        return _COMMANDS_BY_NAME[matches[0]]
    return matches


def needs_more(text: str) -> bool:
    """Whether an input is unfinished (an open block or bracket, a trailing operator)."""
    stripped = text.strip()
    if not stripped:
        return False
    if stripped.startswith(":"):
        word = stripped[1:].split(maxsplit=1)[0] if len(stripped) > 1 else ""
        command = resolve_command(word)
        if isinstance(command, Command) and command.name in ("assume", "ranges"):
            return _ends_early(text.replace(":", " ", 1))
        return False
    if _ends_early(text):
        return True
    first = stripped.split(maxsplit=1)[0]
    if first in STATEMENT_WORDS:
        return False
    return _ends_early(CLAIM_PREFIX + text)


def _ends_early(text: str) -> bool:
    """True when `text` is a prefix of valid source: the parser ran out of input."""
    from calculus.syntax import lark_parser

    try:
        # The newline matters: `program P` + newline is an error, not an unfinished block.
        lark_parser().parse(text + "\n")
    except UnexpectedToken as error:
        return error.token.type == "$END"
    except UnexpectedEOF:
        return True
    except (UnexpectedInput, Exception):  # noqa: BLE001 - any other failure is for eval to report
        return False
    return False


@dataclass
class State:
    """What follows from a session's statements: the resolved model, its costs (one view
    per exchange family, the model's own first) and verdicts."""

    model: Model
    views: tuple[CostModel, ...]
    results: dict[str, ClaimResult]

    @property
    def costs(self) -> CostModel:
        return self.views[0]


class Commands:
    """The `:command` handlers of a `Session` (`_command_NAME` for each command NAME)."""

    if TYPE_CHECKING:
        # What the handlers use of the session.
        timeout: float
        entries: tuple[Entry, ...]
        loaded_path: Path | None
        done: bool
        last_result: ClaimResult | None
        reductions_passed: dict[str, bool]
        _state: State | None
        _transcript: Transcript

        @property
        def model(self) -> Model: ...
        @property
        def costs(self) -> CostModel: ...
        @property
        def results(self) -> dict[str, ClaimResult]: ...
        @property
        def statements(self) -> tuple[n.Statement, ...]: ...
        @property
        def display_path(self) -> str: ...
        @property
        def _pipeline(self) -> Pipeline: ...
        def source_file(self) -> n.SourceFile: ...
        def _load(self, path: str) -> list[Output]: ...
        def _apply(self, statements: list[n.Statement], origin: Origin) -> list[Output]: ...
        def _resolve(self, entries: list[Entry] | tuple[Entry, ...]) -> State: ...
        def _resolve_names(self, extra: list[n.Statement]) -> State: ...
        def _ranges_of(
            self, state: State, recompute_scenarios: bool, typed: list[n.Ranges]
        ) -> dict[n.Ranges, RangesResult]: ...
        def _changed(self, state: State, exclude: tuple[str, ...] = ()) -> list[Output]: ...
        def _commit(self, entries: tuple[Entry, ...], state: State) -> None: ...
        def _as_file(self) -> FileResult: ...
        def _reduce(self, model: Model, statement: n.Reduction) -> ReductionOutcome: ...

    def _command(self, text: str) -> list[Output]:
        match = re.match(r"(\S*)\s*(.*)", text.strip()[1:], re.DOTALL)
        assert match is not None  # the pattern matches any text
        word, argument = match.group(1), match.group(2).strip()
        command = resolve_command(word)
        if not isinstance(command, Command):
            if command:
                return [
                    command_error(
                        text,
                        word,
                        f"ambiguous command ':{word}'",
                        "it could be " + ", ".join(f":{c}" for c in command),
                    )
                ]
            hint = did_you_mean(word, _COMMANDS_BY_NAME) or "type :help for the commands"
            return [
                command_error(
                    text,
                    word,
                    f"unknown command ':{word}'",
                    hint.replace("'", "':", 1) if hint.startswith("did") else hint,
                )
            ]
        handler = getattr(self, f"_command_{command.name}")
        return handler(text, argument)  # type: ignore[no-any-return]

    def _command_help(self, text: str, argument: str) -> list[Output]:
        width = max(len(c.usage) for c in COMMANDS)
        lines = [
            "Type a statement of the .cost language (it takes effect at once), a bare",
            "formula (checked as a claim), or a command:",
            "",
        ]
        lines += [f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS]
        lines += [
            "",
            "Re-stating a program, assumption, claim or scenario of the same name replaces it;",
            "claims whose verdict changes are shown. A block stays open until its '}'.",
            "Ctrl-C clears the input, Ctrl-D leaves, Ctrl-R searches the history, Tab completes.",
        ]
        return [Output("info", tuple(lines))]

    def _command_quit(self, text: str, argument: str) -> list[Output]:
        self.done = True
        return []

    def _command_load(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [command_error(text, "", "usage: :load FILE")]
        return self._load(_unquote(argument))

    def _command_reload(self, text: str, argument: str) -> list[Output]:
        if self.loaded_path is None:
            return [command_error(text, "reload", "no file has been loaded", "use :load FILE")]
        return self._load(str(self.loaded_path))

    def _lookup(self, text: str, name: str, kinds: tuple[str, ...]) -> Entry | Output:
        """The entry declaring `name`, or an error with a did-you-mean."""
        for entry in self.entries:
            if (
                n.statement_name(entry.statement) == name
                and n.statement_kind(entry.statement) in kinds
            ):
                return entry
        candidates = [
            n.statement_name(e.statement) or ""
            for e in self.entries
            if n.statement_kind(e.statement) in kinds
        ]
        what = {"claim" if k == "refute" else k for k in kinds}
        message = f"no {what.pop()} named '{name}'" if len(what) == 1 else f"nothing named '{name}'"
        return command_error(text, name, message, did_you_mean(name, candidates), code="undeclared")

    def _command_show(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [Output("show", tuple(self._overview()))]
        name = argument.split()[0]
        if name == LAST_FORMULA and self.last_result is not None and name not in self.results:
            return [Output("show", tuple(_claim_details(self.last_result)))]
        found = self._lookup(
            text, name, ("primitive", "program", "scenario", "assumption", "claim", "refute")
        )
        if isinstance(found, Output):
            return [found]
        statement = found.statement
        lines = format_statement(statement).splitlines()
        if isinstance(statement, n.Program):
            derived = self.costs.program(name)
            lines += [
                f"  c({name}) = {_simplified(derived.c)}",
                f"  t({name}) = {_simplified(derived.t)}",
                "  derivation:",
                f"    {derived.derivation('c')}",
                f"    {derived.derivation('t')}",
            ]
        elif isinstance(statement, n.Primitive):
            lines += ["  " + line for line in _primitive_lines(statement)]
        elif isinstance(statement, n.Claim):
            lines += ["  " + line for line in _claim_details(self.results[name])]
        elif isinstance(statement, n.Assume):
            users = [
                r.name
                for r in self.results.values()
                if r.verdict.status == "proved" and name in r.verdict.uses
            ]
            lines.append("  used by: " + (", ".join(users) if users else "no proof"))
        return [Output("show", tuple(lines))]

    def _overview(self) -> list[str]:
        model = self.model
        lines = [f"{self.display_path}" + (f" — {model.title}" if model.title else "")]
        lines.append(f"  exchange {', '.join(model.exchange_families or (model.family,))}")
        groups = [
            ("primitives", list(model.primitives)),
            ("programs", list(model.programs)),
            ("scenarios", list(model.scenarios)),
            ("assumptions", [a.name for a in model.assumptions]),
            (
                "claims",
                [
                    f"{c.name} ({_statuses(self.results[c.name])})"
                    for c in model.claims
                    if c.name in self.results
                ],
            ),
        ]
        for title, names in groups:
            lines.append(f"  {title}: " + (", ".join(names) if names else "none"))
        return lines

    def _command_check(self, text: str, argument: str) -> list[Output]:
        names = [w for w in re.split(r"[\s,]+", argument) if w]
        if not names:
            names = list(self.results)
        state = self._state
        assert state is not None
        chosen: list[ClaimResult] = []
        for name in names:
            if name not in self.results:
                found = self._lookup(text, name, ("claim", "refute"))
                assert isinstance(found, Output)
                return [found]
            result = self.results[name]
            if result.verdict.status == "unknown":
                node = next(c.node for c in self.model.claims if c.name == name)
                result = self._pipeline.decide_claim(state.views, node, name, force=True)
                state.results[name] = result
            chosen.append(result)
        outputs = [Output("verdict", tuple(claim_lines(r)), r) for r in chosen]
        if chosen:
            self.last_result = chosen[-1]
        reductions: tuple[ReductionOutcome, ...] = ()
        if not argument.strip():
            reductions = tuple(self._reduce(self.model, r) for r in self.model.reductions)
            outputs += [Output("verdict", tuple(reduction_lines(r))) for r in reductions]
        total = FileResult(self.display_path, "", claims=tuple(chosen), reductions=reductions)
        outputs.append(Output("info", (summary_line([total]),)))
        return outputs

    def _command_objection(self, text: str, argument: str) -> list[Output]:
        from calculus.output import objection_lines

        objections = {o.name.text: o for o in self.model.objections}
        name = argument.split()[0] if argument else ""
        if not name:
            if not objections:
                return [Output("info", ("no objections declared",))]
            return [Output("info", tuple(f"objection {o}" for o in objections))]
        if name not in objections:
            return [
                command_error(
                    text,
                    name,
                    f"no objection '{name}'",
                    did_you_mean(name, objections) or "declare one with `objection NAME { … }`",
                )
            ]
        base = tuple(self.results[c.name] for c in self.model.claims if c.name in self.results)
        try:
            result = self._pipeline.objection(self.model, objections[name], base)
        except InputError as error:
            return [self._transcript.error(error.diagnostics)]
        return [Output("verdict", tuple(objection_lines(result)))]

    def _command_why(self, text: str, argument: str) -> list[Output]:
        name = argument.split()[0] if argument else ""
        if not name:
            if self.last_result is None:
                return [command_error(text, "why", "no verdict yet", "name a claim: :why NAME")]
            result = self.last_result
        elif name in self.results:
            result = self.results[name]
        elif name == LAST_FORMULA and self.last_result is not None:
            result = self.last_result
        else:
            found = self._lookup(text, name, ("claim", "refute"))
            assert isinstance(found, Output)
            return [found]
        return [Output("show", tuple(self._why_lines(result)), result)]

    def _explanation(self, result: ClaimResult, costs: CostModel, verdict: Verdict) -> list[str]:
        """When a refuted claim of the model would hold, and its repairs (DESIGN §9.4):
        `costs` is the linear family's view, `verdict` the claim's there."""
        from calculus.check import claim_problem, claim_statement, hypotheses
        from calculus.explain import condition_text, holds_when, repairs

        node = next((c.node for c in self.model.claims if c.name == result.name), None)
        if node is None:
            return []
        try:
            condition = result.holds_when or holds_when(
                costs, node, self.timeout, hypotheses(costs), verdict.assignment
            )
            fixes = result.repairs or repairs(
                costs,
                node,
                lambda c: claim_problem(costs, c, self.timeout),
                claim_statement,
                verdict.assignment,
            )
        except (ValueError, TypeError, ZeroDivisionError, LookupError):
            return []
        lines = [f"  holds when: {condition_text(condition)}"] if condition else []
        return lines + [f"  repair: {fix}" for fix in fixes]

    def _why_lines(self, result: ClaimResult) -> list[str]:
        verdict = result.verdict
        lines = [f"{result.name}: {result.statement}"]
        if result.by_family:
            # Under an exchange list: each family's verdict and what backs it, in order.
            fails = "" if result.passed else f" (so this {result.kind} fails)"
            lines.append(f"  {_statuses(result)}{fails}")
            for family, each in result.by_family:
                lines.append(f"  under {family}: {each.status}")
                lines += ["  " + line for line in self._verdict_lines(each)]
                lines += [f"    note: {note}" for note in each.notes]
                if family == "linear" and each.status == "refuted" and self._state is not None:
                    # Refuted claims of the linear family are explained (DESIGN §9.4).
                    view = next(v for v in self._state.views if v.family == "linear")
                    lines += ["  " + line for line in self._explanation(result, view, each)]
            return lines
        lines.append(
            f"  {verdict.status}" + ("" if result.passed else f" (so this {result.kind} fails)")
        )
        lines += self._verdict_lines(verdict)
        if verdict.status == "refuted":
            lines += self._explanation(result, self.costs, verdict)
        if result.difference is not None:
            lines.append(f"  right side − left side = {result.difference}")
            value = _evaluate_at(result.difference, verdict.counterexample)
            if value is not None:
                lines.append(f"    = {value} at the counterexample")
        lines += [f"  note: {note}" for note in verdict.notes]
        return lines

    def _verdict_lines(self, verdict: Verdict) -> list[str]:
        """What backs one verdict: the assumptions a proof uses, the counterexample, or why."""
        lines = []
        if verdict.status == "proved":
            if not verdict.uses:
                lines.append("  it holds outright: no assumption is needed")
            else:
                lines.append("  using exactly these (dropping any one breaks the proof):")
                formulas = {a.name: format_expr(a.node.formula) for a in self.model.assumptions}
                for used in verdict.uses:
                    if used == POSITIVITY:
                        lines.append(
                            f"    {POSITIVITY}: every cost atom is > 0 "
                            "(>= 0 for (nonneg) primitives), and g > 0"
                        )
                    else:
                        lines.append(f"    {used}: {formulas.get(used, '?')}")
        elif verdict.status == "refuted":
            pairs = verdict.counterexample or ()
            lines.append(
                "  counterexample (exact, re-checked; only the atoms that matter):"
                if pairs
                else "  counterexample: any admissible values"
            )
            width = max((len(atom) for atom, _ in pairs), default=0)
            lines += [f"    {atom:<{width}} = {readable_text(value)}" for atom, value in pairs]
        else:
            lines.append(f"  why: {verdict.reason}")
        return lines

    def _command_statements(self, text: str) -> tuple[Origin, list[n.Statement]] | Output:
        """A `:command` whose argument is a statement of the language (`:ranges`,
        `:assume`), parsed with positions in the session's transcript."""
        origin = self._transcript.new_origin(REPL_PATH, text)
        try:
            source = parse(text.replace(":", " ", 1), REPL_PATH)
        except InputError as error:
            return self._transcript.error(error.diagnostics, text)
        return origin, [shift_spans(s, origin.first_line - 1) for s in source.statements]

    def _command_ranges(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [command_error(text, "", "usage: :ranges P, Q ... [in S]")]
        parsed = self._command_statements(text)
        if isinstance(parsed, Output):
            return [parsed]
        _, statements = parsed
        if len(statements) != 1 or not isinstance(statements[0], n.Ranges):
            return [command_error(text, "ranges", "usage: :ranges P, Q ... [in S]")]
        state = self._resolve_names(extra=statements)
        computed = self._ranges_of(state, False, [statements[0]])
        return [Output("ranges", tuple(ranges_lines(computed[statements[0]])))]

    def _command_assume(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [command_error(text, "", "usage: :assume [LABEL:] FORMULA")]
        parsed = self._command_statements(text)
        if isinstance(parsed, Output):
            return [parsed]
        origin, statements = parsed
        return self._apply(statements, origin)

    def _command_forget(self, text: str, argument: str) -> list[Output]:
        names = [w for w in re.split(r"[\s,]+", argument) if w]
        if not names:
            return [command_error(text, "", "usage: :forget NAME")]
        entries = list(self.entries)
        for name in names:
            index = next(
                (i for i, e in enumerate(entries) if n.statement_name(e.statement) == name), None
            )
            if index is None:
                found = self._lookup(
                    text,
                    name,
                    ("primitive", "program", "scenario", "assumption", "claim", "refute"),
                )
                assert isinstance(found, Output)
                return [found]
            del entries[index]
        try:
            state = self._resolve(entries)
            self._ranges_of(state, True, [])
        except Rejected as rejected:
            head = command_error(
                text,
                names[0],
                f"cannot forget {', '.join(names)}: the rest of the model still uses it",
                "forget what uses it first",
            )
            raise Rejected([head] + [_first_places(o) for o in rejected.outputs]) from None
        outputs = [Output("info", (f"forgot {', '.join(names)}",))]
        outputs += self._changed(state)
        if self.last_result is not None and self.last_result.name in names:
            self.last_result = None
        self._commit(tuple(entries), state)
        return outputs

    def _command_save(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [command_error(text, "", "usage: :save FILE")]
        path = Path(_unquote(argument)).expanduser()
        try:
            path.write_text(self.source_file().text, encoding="utf-8")
        except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
            reason = getattr(error, "strerror", None) or str(error)
            return [command_error(text, argument, f"cannot write {path}: {reason}", code="file")]
        count = len(self.statements)
        return [Output("info", (f"saved {count} statement{'s' if count != 1 else ''} to {path}",))]

    def _command_report(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [command_error(text, "", "usage: :report FILE.html|FILE.md")]
        try:
            from calculus.report import write_report
        except ImportError:
            return [
                command_error(
                    text,
                    "report",
                    "proof reports are not available in "
                    "this installation (calculus.report is missing)",
                    "use `:save FILE` and `cost report FILE -o OUT` later",
                )
            ]
        path = Path(_unquote(argument)).expanduser()
        if path.suffix.lower() not in (".html", ".htm", ".md", ".markdown"):
            return [
                command_error(text, argument, "a report is written as .html or .md", code="file")
            ]
        result = self._as_file()
        try:
            write_report(result, path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return [command_error(text, argument, f"cannot write {path}: {reason}", code="file")]
        return [Output("info", (f"wrote the report to {path}",))]


# ---- helpers --------------------------------------------------------------------------------


_PLACES_SHOWN = 3


def _first_places(output: Output) -> Output:
    """An error listing many places, cut to the first few."""
    heads = [i for i, line in enumerate(output.lines) if line and not line.startswith(" ")]
    if len(heads) <= _PLACES_SHOWN:
        return output
    kept = output.lines[: heads[_PLACES_SHOWN]]
    return Output(output.kind, kept + (f"... and {len(heads) - _PLACES_SHOWN} more places",))


def _unquote(argument: str) -> str:
    argument = argument.strip()
    if len(argument) >= 2 and argument[0] == argument[-1] and argument[0] in "'\"":
        return argument[1:-1]
    return argument


@lru_cache(maxsize=256)
def _simplified(expr: sympy.Expr) -> sympy.Expr:
    # A sum of atoms with rational weights is already as simple as sympy makes it.
    if all(
        term.is_Symbol
        or term.is_Rational
        or (
            term.is_Mul
            and len(term.args) == 2
            and term.args[0].is_Rational
            and term.args[1].is_Symbol
        )
        for term in sympy.Add.make_args(expr)
    ):
        return expr
    return sympy.simplify(expr)


def _primitive_lines(primitive: n.Primitive) -> list[str]:
    name = primitive.name.text
    bound = ">= 0" if primitive.nonneg else "> 0"
    lines = []
    for kind, fixed in (("c", primitive.fixed_c), ("t", primitive.fixed_t)):
        if fixed is not None:
            lines.append(f"{kind}({name}) = {format_expr(fixed)} (fixed)")
        else:
            lines.append(f"{kind}({name}) is a cost atom, {bound}")
    return lines


def _claim_details(result: ClaimResult) -> list[str]:
    lines = claim_lines(result)
    if result.difference is not None:
        lines.append(f"    right side − left side = {result.difference}")
    return lines


def _evaluate_at(expr: sympy.Expr, values: tuple[tuple[str, Fraction], ...] | None) -> str | None:
    """`expr` at a counterexample, when the counterexample gives every atom it needs."""
    if not values:
        return None
    by_name = {name: to_rational(v) for name, v in values}
    substitution = {}
    for symbol in expr.free_symbols:
        if symbol.name not in by_name:
            return None
        substitution[symbol] = by_name[symbol.name]
    value = sympy.nsimplify(expr.xreplace(substitution))
    return str(value) if value.is_Rational else None


def _statuses(result: ClaimResult) -> str:
    """A claim's verdict, or under an exchange list each family's (`linear proved, ...`)."""
    if not result.by_family:
        return result.verdict.status
    return ", ".join(f"{family} {each.status}" for family, each in result.by_family)
