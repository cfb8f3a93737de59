"""The REPL's pure core: a `Session` holds the model being edited and turns each input — a
statement, a bare formula or a `:command` — into output records; it re-decides only the
claims whose solver problem changed and never raises for a bad input.

Every input gets its own block of lines in one running transcript, so each statement keeps
a unique position (anonymous names such as `assume@31` stay unique) and a diagnostic about
any statement can be traced back to the input it was typed in, or the file it came from.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy
from lark.exceptions import UnexpectedEOF, UnexpectedInput, UnexpectedToken

from calculus import nodes as n
from calculus.check import (
    DEFAULT_TIMEOUT,
    ClaimResult,
    FileResult,
    Pipeline,
    VerdictCache,
    derive_views,
)
from calculus.costs import CostModel
from calculus.diagnostics import Diagnostic, InputError, did_you_mean, render
from calculus.imports import expand_imports
from calculus.logic import POSITIVITY
from calculus.model import Model, anonymous_name, build_model
from calculus.numbers import readable_text, to_rational
from calculus.output import (
    brief_file_lines,
    claim_lines,
    ranges_lines,
    summary_line,
    without_repeats,
)
from calculus.printer import format_expr, format_source, format_statement
from calculus.syntax import STATEMENT_WORDS, decode, parse

REPL_PATH = "<repl>"
# The path of the session's model while it is resolved; diagnostics carrying it are
# traced back to the input or file their line came from.
_SESSION_PATH = "<session>"
# A bare formula is parsed as `claim <formula>`; its columns are shifted back by this much.
_CLAIM_PREFIX = "claim "
# The name under which the last bare formula's verdict can be asked about (`:why it`).
LAST_FORMULA = "it"


@dataclass(frozen=True)
class Output:
    """One piece of what an input produced: verdict lines, an error, information."""

    kind: str  # "verdict" | "changed" | "ranges" | "show" | "info" | "error"
    lines: tuple[str, ...]
    claim: ClaimResult | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


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

# ---- positions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where statements came from: a typed input or a file, and its first transcript line."""

    path: str
    text: str
    first_line: int

    @property
    def line_count(self) -> int:
        return self.text.count("\n") + 1


@dataclass(frozen=True)
class Entry:
    """One statement of the session's model and the input it came from."""

    statement: n.Statement
    origin: Origin


def shift_spans(node: Any, lines: int, first_line_columns: int = 0) -> Any:
    """A copy of a syntax tree moved down `lines` lines (and left on its first line)."""
    if lines == 0 and first_line_columns == 0:
        return node
    if isinstance(node, n.Span):
        if node.line == 0:
            return node
        column = node.column - first_line_columns if node.line == 1 else node.column
        end = node.end_column - first_line_columns if node.end_line == 1 else node.end_column
        return n.Span(node.line + lines, max(column, 1), node.end_line + lines, max(end, 1))
    if isinstance(node, tuple):
        return tuple(shift_spans(item, lines, first_line_columns) for item in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {
            f.name: shift_spans(getattr(node, f.name), lines, first_line_columns)
            for f in dataclasses.fields(node)
        }
        return dataclasses.replace(node, **changes)
    return node


def statement_name(statement: n.Statement) -> str | None:
    """The name a statement is known by in the model (labels, or `assume@LINE`)."""
    if isinstance(
        statement,
        (n.Primitive, n.Program, n.Scenario, n.Task, n.TaskSet, n.Reduction, n.Family, n.Sweep),
    ):
        return statement.name.text
    if isinstance(statement, (n.Parameter, n.Objection)):
        return statement.name.text
    if isinstance(statement, n.Import):
        return statement.path
    if isinstance(statement, (n.Assume, n.Claim)):
        if statement.label is not None:
            return statement.label.text
        kind = "assume" if isinstance(statement, n.Assume) else statement.kind
        return anonymous_name(kind, statement.span)
    return None


def _replacement_key(statement: n.Statement) -> tuple[Any, ...]:
    """Statements with the same key replace each other; re-stating one changes it in place."""
    if isinstance(statement, (n.Primitive, n.Program, n.Parameter)):
        return ("name", statement.name.text)
    if isinstance(statement, n.Objection):
        return ("objection", statement.name.text)
    if isinstance(statement, n.Scenario):
        return ("scenario", statement.name.text)
    if isinstance(statement, (n.Task, n.TaskSet, n.Reduction, n.Family, n.Sweep)):
        return ("task", statement.name.text)
    if isinstance(statement, (n.Assume, n.Claim)) and statement.label is not None:
        return ("label", statement.label.text)
    if isinstance(statement, n.ModelTitle):
        return ("title",)
    if isinstance(statement, n.Exchange):
        return ("exchange",)
    return ("same", statement)  # unlabelled assumptions and claims, ranges


def _kind_of(statement: n.Statement) -> str:
    if isinstance(statement, n.Primitive):
        return "primitive"
    if isinstance(statement, n.Program):
        return "program"
    if isinstance(statement, n.Scenario):
        return "scenario"
    if isinstance(statement, n.Assume):
        return "assumption"
    if isinstance(statement, n.Claim):
        return statement.kind
    if isinstance(statement, n.Ranges):
        return "ranges"
    if isinstance(statement, n.Exchange):
        return "exchange"
    if isinstance(statement, n.Task):
        return "task"
    if isinstance(statement, n.TaskSet):
        return "task set"
    if isinstance(statement, n.Reduction):
        return "reduction"
    if isinstance(statement, n.Family):
        return "family"
    if isinstance(statement, n.Sweep):
        return "sweep"
    if isinstance(statement, n.Parameter):
        return "parameter"
    if isinstance(statement, n.Objection):
        return "objection"
    if isinstance(statement, n.Import):
        return "import"
    return "model"


# ---- the parser decides when an input is complete -------------------------------------------


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
    return _ends_early(_CLAIM_PREFIX + text)


def resolve_command(word: str) -> Command | list[str]:
    """A command by its name or a unique prefix (`:q`); otherwise the candidates."""
    if word in _COMMANDS_BY_NAME:
        return _COMMANDS_BY_NAME[word]
    matches = [c.name for c in COMMANDS if word and c.name.startswith(word)]
    if len(matches) == 1:
        return _COMMANDS_BY_NAME[matches[0]]
    return matches


# ---- the session -------------------------------------------------------------------------------


class _Rejected(Exception):
    """An input that cannot take effect; carries the outputs explaining why."""

    def __init__(self, outputs: list[Output]):
        self.outputs = outputs


@dataclass
class _State:
    """What follows from the statements: the resolved model, its costs (one view per
    exchange family, the model's own first) and verdicts."""

    model: Model
    views: tuple[CostModel, ...]
    results: dict[str, ClaimResult]

    @property
    def costs(self) -> CostModel:
        return self.views[0]


def _empty_model() -> Model:
    return build_model(n.SourceFile((), _SESSION_PATH, ""))


@dataclass
class Session:
    """The model being edited interactively, and everything derived from it."""

    timeout: float = DEFAULT_TIMEOUT
    entries: tuple[Entry, ...] = ()
    loaded_path: Path | None = None
    done: bool = False
    error_count: int = 0
    failed_formulas: int = 0
    last_result: ClaimResult | None = None
    # Whether each reduction passed when last checked, by name.
    reductions_passed: dict[str, bool] = field(default_factory=dict)
    _origins: list[Origin] = field(default_factory=list)
    _next_line: int = 1
    _state: _State | None = None
    _verdicts: VerdictCache = field(default_factory=VerdictCache)

    def __post_init__(self) -> None:
        if self._state is None:
            model = _empty_model()
            self._state = _State(model, derive_views(model), {})

    @property
    def _pipeline(self) -> Pipeline:
        """`cost check`'s pipeline with this session's verdict cache; a failure inside the
        tool is an error of the input (which leaves the session unchanged)."""
        return Pipeline(self.timeout, self._verdicts, explain=False, guarded=False)

    # ---- read-only views
    @property
    def model(self) -> Model:
        assert self._state is not None
        return self._state.model

    @property
    def costs(self) -> CostModel:
        assert self._state is not None
        return self._state.costs

    @property
    def results(self) -> dict[str, ClaimResult]:
        """The current verdict of every claim and refute of the model, by name."""
        assert self._state is not None
        return self._state.results

    @property
    def statements(self) -> tuple[n.Statement, ...]:
        return tuple(entry.statement for entry in self.entries)

    def source_file(self) -> n.SourceFile:
        text = format_source(n.SourceFile(self.statements))
        return n.SourceFile(self.statements, self.display_path, text)

    @property
    def display_path(self) -> str:
        return str(self.loaded_path) if self.loaded_path is not None else REPL_PATH

    def names(self) -> dict[str, list[str]]:
        """Declared names by category, for completion."""
        model = self.model
        return {
            "primitive": list(model.primitives),
            "program": list(model.programs),
            "scenario": list(model.scenarios),
            "assumption": [a.name for a in model.assumptions],
            "claim": [c.name for c in model.claims],
            "parameter": list(model.parameters),
            "objection": [o.name.text for o in model.objections],
        }

    def exit_code(self) -> int:
        """For piped input: 2 after any error, 1 when a claim or reduction fails, else 0."""
        if self.error_count:
            return 2
        if self.failed_formulas or not all(r.passed for r in self.results.values()):
            return 1
        if not all(self.reductions_passed.values()):
            return 1
        return 0

    def needs_more(self, text: str) -> bool:
        return needs_more(text)

    # ---- evaluation
    def eval(self, text: str) -> list[Output]:
        """Evaluate one complete input; problems come back as `error` outputs."""
        return self._guarded(self._evaluate, text)

    def load(self, path: str) -> list[Output]:
        """Start over from a file; on failure the session is left as it was."""
        return self._guarded(self._load, path)

    def _evaluate(self, text: str) -> list[Output]:
        stripped = text.strip()
        if not stripped:
            return []
        if stripped.startswith(":"):
            return self._command(text)
        return self._source(text)

    def _guarded(self, action: Any, argument: str) -> list[Output]:
        before = self._snapshot()
        try:
            outputs: list[Output] = action(argument)
        except KeyboardInterrupt:
            # Ctrl-C: whatever the input had changed so far is undone.
            self._restore(before)
            raise
        except _Rejected as rejected:
            outputs = rejected.outputs
        except RecursionError:
            outputs = [Output("error", ("error: the input is nested too deeply",))]
        except Exception as error:  # noqa: BLE001 - a bug must not end the session
            outputs = [
                Output(
                    "error",
                    (
                        f"internal error: {type(error).__name__}: {error}",
                        "  the session is unchanged; please report this with the input that caused it",
                    ),
                )
            ]
        self.error_count += sum(1 for output in outputs if output.is_error)
        return outputs

    def _snapshot(self) -> dict[str, Any]:
        """The session's state, copied deep enough that an input cannot change the copy (the
        verdict cache is left out: what it holds stays true)."""
        saved = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        del saved["_verdicts"]
        saved["reductions_passed"] = dict(self.reductions_passed)
        saved["_origins"] = list(self._origins)
        if self._state is not None:
            saved["_state"] = dataclasses.replace(self._state, results=dict(self._state.results))
        return saved

    def _restore(self, saved: dict[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)

    def _new_origin(self, path: str, text: str) -> Origin:
        origin = Origin(path, text, self._next_line)
        self._next_line += origin.line_count
        self._origins.append(origin)
        return origin

    def _source(self, text: str) -> list[Output]:
        try:
            source = parse(text, REPL_PATH)
        except InputError as statement_error:
            claim = self._bare_formula(text, statement_error)
            origin = self._new_origin(REPL_PATH, text)
            return self._check_formula(shift_spans(claim, origin.first_line - 1), origin)
        origin = self._new_origin(REPL_PATH, text)
        statements = [shift_spans(s, origin.first_line - 1) for s in source.statements]
        return self._apply(statements, origin)

    def _bare_formula(self, text: str, statement_error: InputError) -> n.Claim:
        """`text` read as an anonymous claim, or `_Rejected` with the better of the errors."""
        first = text.strip().split(maxsplit=1)[0]
        if first not in STATEMENT_WORDS:
            try:
                source = parse(_CLAIM_PREFIX + text, REPL_PATH)
            except InputError as formula_error:
                diagnostics = [_unshift_columns(d) for d in formula_error.diagnostics]
                hint = did_you_mean(re.split(r"\W", first)[0], STATEMENT_WORDS)
                if hint and all(d.hint is None for d in diagnostics):
                    diagnostics = [dataclasses.replace(diagnostics[0], hint=hint)] + diagnostics[1:]
                raise _Rejected([self._error(diagnostics, text)]) from None
            if len(source.statements) == 1 and isinstance(source.statements[0], n.Claim):
                claim = source.statements[0]
                if claim.label is None:
                    return shift_spans(claim, 0, len(_CLAIM_PREFIX))  # type: ignore[no-any-return]
        raise _Rejected([self._error(statement_error.diagnostics, text)])

    # ---- applying statements
    def _apply(self, statements: list[n.Statement], origin: Origin) -> list[Output]:
        entries = list(self.entries)
        changes: list[tuple[str, n.Statement]] = []
        for statement in statements:
            key = _replacement_key(statement)
            index = next(
                (i for i, e in enumerate(entries) if _replacement_key(e.statement) == key), None
            )
            if index is None:
                entries.append(Entry(statement, origin))
                changes.append(("added", statement))
            else:
                same = entries[index].statement == statement
                entries[index] = Entry(statement, origin)
                changes.append(("unchanged" if same else "replaced", statement))
        state = self._resolve(entries)
        touched_costs = any(
            isinstance(s, (n.Primitive, n.Program, n.Scenario, n.Exchange)) for s in statements
        )
        ranges = self._ranges_of(
            state, touched_costs, [s for s in statements if isinstance(s, n.Ranges)]
        )
        outputs: list[Output] = []
        typed_claims: set[str] = set()
        for verb, statement in changes:
            if isinstance(statement, n.Claim):
                name = statement_name(statement) or ""
                typed_claims.add(name)
                result = state.results[name]
                outputs.append(Output("verdict", tuple(claim_lines(result)), result))
                self.last_result = result
            elif isinstance(statement, n.Ranges):
                outputs.append(Output("ranges", tuple(ranges_lines(ranges[statement]))))
            elif isinstance(statement, n.Reduction):
                outcome = self._reduce(state.model, statement)
                outputs.append(Output("verdict", tuple(outcome.text_lines())))
            elif isinstance(statement, n.Sweep):
                from calculus.check import check_sweep_statement

                swept = check_sweep_statement(state.model, statement, self.timeout)
                outputs.append(Output("info", tuple(swept.text_lines())))
            else:
                outputs.append(Output("info", tuple(self._describe(verb, statement, state))))
        outputs.extend(self._changed(state, exclude=typed_claims))
        self._commit(tuple(entries), state)
        return outputs

    def _commit(self, entries: tuple[Entry, ...], state: _State) -> None:
        self.entries = entries
        self._state = state

    def _describe(self, verb: str, statement: n.Statement, state: _State) -> list[str]:
        kind = _kind_of(statement)
        name = statement_name(statement)
        if isinstance(statement, n.ModelTitle):
            return [f"model title: {statement.title}"]
        if isinstance(statement, n.Exchange):
            families = ", ".join(f.text for f in statement.families)
            return [f"exchange {'families' if statement.others else 'family'}: {families}"]
        if isinstance(statement, n.Import):
            return [f"imported {statement.path}"]
        if verb == "unchanged":
            return [f"{kind} {name} unchanged"]
        done = {"added": "defined", "replaced": "replaced"}[verb]
        if isinstance(statement, n.Assume):
            return [f"{done} assumption {name}: {format_expr(statement.formula)}"]
        lines = [f"{done} {kind} {name}"]
        if isinstance(statement, n.Program):
            costs = state.costs.program(statement.name.text)
            lines += [f"    c({name}) = {costs.c}", f"    t({name}) = {costs.t}"]
        return lines

    def _resolve(
        self, entries: list[Entry] | tuple[Entry, ...], extra: Iterable[n.Statement] = ()
    ) -> _State:
        """Resolve, derive and decide; `_Rejected` with diagnostics if the model is wrong."""
        statements = tuple(e.statement for e in entries) + tuple(extra)
        try:
            model = build_model(self._with_imports(statements))
        except InputError as error:
            raise _Rejected([self._error(error.diagnostics)]) from None
        # The pipeline of `cost check`: the session's verdicts are those of the saved file.
        views = derive_views(model)
        results = {r.name: r for r in self._pipeline.decide(model, views)}
        return _State(model, views, results)

    def _ranges_of(
        self, state: _State, recompute_scenarios: bool, typed: list[n.Ranges]
    ) -> dict[n.Ranges, Any]:
        """Ranges of the typed statements; with changed costs, re-check the scenario ones
        already in the model too, so the model stays one that `cost check` accepts."""
        wanted = list(typed)
        if recompute_scenarios:
            wanted += [r for r in state.model.ranges if r.scenario is not None and r not in wanted]
        try:
            return dict(zip(wanted, self._pipeline.ranges(state.views, wanted), strict=True))
        except InputError as error:
            raise _Rejected([self._error(error.diagnostics)]) from None

    def _changed(self, state: _State, exclude: Iterable[str] = ()) -> list[Output]:
        """The claims whose verdict differs from before, each with its new verdict."""
        outputs = []
        excluded = set(exclude)
        for name, result in state.results.items():
            before = self.results.get(name)
            if name in excluded or before is None:
                continue
            if before.verdict.status != result.verdict.status:
                head = f"changed: {name} was {before.verdict.status}, now {result.verdict.status}"
                outputs.append(Output("changed", (head, *claim_lines(result)), result))
        return outputs

    # ---- bare formulas
    def _check_formula(self, claim: n.Claim, origin: Origin) -> list[Output]:
        # The formula's atoms join `positivity` for it alone: the model is left as it was.
        state = self._resolve_names(extra=[claim])
        result = self._pipeline.decide_claim(derive_views(state.model), claim, LAST_FORMULA)
        self.last_result = result
        if not result.passed:
            self.failed_formulas += 1
        return [Output("verdict", tuple(claim_lines(result)), result)]

    def _with_imports(self, statements: tuple[n.Statement, ...]) -> n.SourceFile:
        """The statements with typed `import`s merged in (relative to the loaded file)."""
        source = n.SourceFile(statements, _SESSION_PATH, "")
        if not any(isinstance(s, n.Import) for s in statements):
            return source
        where = str(self.loaded_path) if self.loaded_path is not None else "<input>"
        merged = expand_imports(n.SourceFile(statements, where, ""))
        return n.SourceFile(merged.statements, _SESSION_PATH, "", merged.origins)

    def _resolve_names(self, extra: list[n.Statement]) -> _State:
        """Name resolution of the model plus `extra`, without deciding anything."""
        statements = self.statements + tuple(extra)
        try:
            model = build_model(self._with_imports(statements))
        except InputError as error:
            raise _Rejected([self._error(error.diagnostics)]) from None
        assert self._state is not None
        return _State(model, self._state.views, self.results)

    # ---- diagnostics
    def _origin_of(self, line: int) -> Origin | None:
        starts = [o.first_line for o in self._origins]
        index = bisect.bisect_right(starts, line) - 1
        if index < 0:
            return None
        origin = self._origins[index]
        return origin if line < origin.first_line + origin.line_count else None

    def _locate(self, diagnostic: Diagnostic) -> tuple[Diagnostic, str | None]:
        if diagnostic.path != _SESSION_PATH:
            return diagnostic, None
        origin = self._origin_of(diagnostic.line)
        notes = tuple(self._relocate_text(note) for note in diagnostic.notes)
        if origin is None:
            return dataclasses.replace(diagnostic, path=REPL_PATH, notes=notes), None
        local = diagnostic.line - origin.first_line + 1
        return dataclasses.replace(
            diagnostic, path=origin.path, line=local, notes=notes
        ), origin.text

    def _relocate_text(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            line = int(match.group(1))
            origin = self._origin_of(line)
            if origin is None:
                return match.group(0)
            return f"{origin.path}:{line - origin.first_line + 1}{match.group(2) or ''}"

        return re.sub(re.escape(_SESSION_PATH) + r":(\d+)(:\d+)?", replace, text)

    def _error(self, diagnostics: Iterable[Diagnostic], text: str | None = None) -> Output:
        """Diagnostics rendered as the CLI renders them, each against its own source line."""
        lines: list[str] = []
        for diagnostic in diagnostics:
            located, source = self._locate(diagnostic)
            lines.extend(render(located, source if source is not None else text).splitlines())
        return Output("error", tuple(lines))

    def _command_error(
        self, text: str, word: str, message: str, hint: str | None = None, code: str = "command"
    ) -> Output:
        """An error about part of a typed command, with the caret under that part."""
        lines = text.splitlines() or [""]
        column, line = 1, 1
        for number, content in enumerate(lines, start=1):
            found = content.find(word, content.find(":") + 1) if word else -1
            if found >= 0:
                column, line = found + 1, number
                break
        end = column + len(word) if word else None
        return self._error([Diagnostic(REPL_PATH, line, column, code, message, hint, end)], text)

    # ---- commands
    def _command(self, text: str) -> list[Output]:
        match = re.match(r"(\S*)\s*(.*)", text.strip()[1:], re.DOTALL)
        assert match is not None  # the pattern matches any text
        word, argument = match.group(1), match.group(2).strip()
        command = resolve_command(word)
        if not isinstance(command, Command):
            if command:
                return [
                    self._command_error(
                        text,
                        word,
                        f"ambiguous command ':{word}'",
                        "it could be " + ", ".join(f":{c}" for c in command),
                    )
                ]
            hint = did_you_mean(word, _COMMANDS_BY_NAME) or "type :help for the commands"
            return [
                self._command_error(
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
            return [self._command_error(text, "", "usage: :load FILE")]
        return self._load(_unquote(argument))

    def _command_reload(self, text: str, argument: str) -> list[Output]:
        if self.loaded_path is None:
            return [
                self._command_error(text, "reload", "no file has been loaded", "use :load FILE")
            ]
        return self._load(str(self.loaded_path))

    def _load(self, path: str) -> list[Output]:
        shown = path
        loaded_path = Path(path).expanduser()
        try:
            data = loaded_path.read_bytes()
        except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
            reason = getattr(error, "strerror", None) or str(error)
            diagnostic = Diagnostic(shown, 0, 0, "file", f"cannot read file: {reason}")
            return [Output("error", (render(diagnostic, None),))]
        try:
            text = decode(data, shown)
        except InputError as error:
            return [self._error(error.diagnostics)]
        try:
            source = expand_imports(parse(text, shown))
        except InputError as error:
            return [self._error(error.diagnostics, text)]
        saved_origins, saved_next = self._origins, self._next_line
        self._origins, self._next_line = [], 1
        origin = self._new_origin(shown, text)
        entries = tuple(Entry(s, origin) for s in source.statements)
        try:
            state = self._resolve(entries)
            ranges = self._ranges_of(state, True, list(state.model.ranges))
        except _Rejected:
            self._origins, self._next_line = saved_origins, saved_next
            raise
        reductions = tuple(self._reduce(state.model, r) for r in state.model.reductions)
        self._commit(entries, state)
        self.loaded_path = loaded_path
        self.reductions_passed = {o.name: bool(o.passed) for o in reductions}
        result = FileResult(
            shown,
            text,
            state.model.title,
            tuple(state.results.values()),
            tuple(ranges[r] for r in state.model.ranges),
            reductions,
            (),
            state.model,
            state.costs,
        )
        # One line per passing claim: `:why NAME` gives the detail.
        lines = without_repeats(brief_file_lines(result)) or [result.path]
        return [Output("info", (*lines, summary_line([result])))]

    def _lookup(self, text: str, name: str, kinds: tuple[str, ...]) -> Entry | Output:
        """The entry declaring `name`, or an error with a did-you-mean."""
        for entry in self.entries:
            if statement_name(entry.statement) == name and _kind_of(entry.statement) in kinds:
                return entry
        candidates = [
            statement_name(e.statement) or ""
            for e in self.entries
            if _kind_of(e.statement) in kinds
        ]
        what = {"claim" if k == "refute" else k for k in kinds}
        message = f"no {what.pop()} named '{name}'" if len(what) == 1 else f"nothing named '{name}'"
        return self._command_error(
            text, name, message, did_you_mean(name, candidates), code="undeclared"
        )

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
        lines.append(f"  exchange {model.family}")
        groups = [
            ("primitives", list(model.primitives)),
            ("programs", list(model.programs)),
            ("scenarios", list(model.scenarios)),
            ("assumptions", [a.name for a in model.assumptions]),
            (
                "claims",
                [
                    f"{c.name} ({self.results[c.name].verdict.status})"
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
        reductions: tuple[Any, ...] = ()
        if not argument.strip():
            reductions = tuple(self._reduce(self.model, r) for r in self.model.reductions)
            outputs += [Output("verdict", tuple(r.text_lines())) for r in reductions]
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
                self._command_error(
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
            return [self._error(error.diagnostics)]
        return [Output("verdict", tuple(objection_lines(result)))]

    def _command_why(self, text: str, argument: str) -> list[Output]:
        name = argument.split()[0] if argument else ""
        if not name:
            if self.last_result is None:
                return [
                    self._command_error(text, "why", "no verdict yet", "name a claim: :why NAME")
                ]
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

    def _explanation(self, result: ClaimResult) -> list[str]:
        """When a refuted claim of the model would hold, and its repairs (DESIGN §9.4)."""
        from calculus.check import claim_problem, claim_statement, hypotheses
        from calculus.explain import condition_text, holds_when, repairs

        node = next((c.node for c in self.model.claims if c.name == result.name), None)
        if node is None:
            return []
        try:
            condition = result.holds_when or holds_when(
                self.costs, node, self.timeout, hypotheses(self.costs)
            )
            fixes = result.repairs or repairs(
                self.costs,
                node,
                lambda c: claim_problem(self.costs, c, self.timeout),
                claim_statement,
            )
        except (ValueError, TypeError, ZeroDivisionError):
            return []
        lines = [f"  holds when: {condition_text(condition)}"] if condition else []
        return lines + [f"  repair: {fix}" for fix in fixes]

    def _why_lines(self, result: ClaimResult) -> list[str]:
        verdict = result.verdict
        lines = [
            f"{result.name}: {result.statement}",
            f"  {verdict.status}" + ("" if result.passed else f" (so this {result.kind} fails)"),
        ]
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
            lines += self._explanation(result)
        else:
            lines.append(f"  why: {verdict.reason}")
        if result.difference is not None:
            lines.append(f"  right side − left side = {result.difference}")
            value = _evaluate_at(result.difference, verdict.counterexample)
            if value is not None:
                lines.append(f"    = {value} at the counterexample")
        lines += [f"  note: {note}" for note in verdict.notes]
        return lines

    def _command_statements(self, text: str) -> tuple[Origin, list[n.Statement]] | Output:
        """A `:command` whose argument is a statement of the language (`:ranges`,
        `:assume`), parsed with positions in the session's transcript."""
        origin = self._new_origin(REPL_PATH, text)
        try:
            source = parse(text.replace(":", " ", 1), REPL_PATH)
        except InputError as error:
            return self._error(error.diagnostics, text)
        return origin, [shift_spans(s, origin.first_line - 1) for s in source.statements]

    def _command_ranges(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [self._command_error(text, "", "usage: :ranges P, Q ... [in S]")]
        parsed = self._command_statements(text)
        if isinstance(parsed, Output):
            return [parsed]
        _, statements = parsed
        if len(statements) != 1 or not isinstance(statements[0], n.Ranges):
            return [self._command_error(text, "ranges", "usage: :ranges P, Q ... [in S]")]
        state = self._resolve_names(extra=statements)
        computed = self._ranges_of(state, False, [statements[0]])
        return [Output("ranges", tuple(ranges_lines(computed[statements[0]])))]

    def _command_assume(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [self._command_error(text, "", "usage: :assume [LABEL:] FORMULA")]
        parsed = self._command_statements(text)
        if isinstance(parsed, Output):
            return [parsed]
        origin, statements = parsed
        return self._apply(statements, origin)

    def _command_forget(self, text: str, argument: str) -> list[Output]:
        names = [w for w in re.split(r"[\s,]+", argument) if w]
        if not names:
            return [self._command_error(text, "", "usage: :forget NAME")]
        entries = list(self.entries)
        for name in names:
            index = next(
                (i for i, e in enumerate(entries) if statement_name(e.statement) == name), None
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
        except _Rejected as rejected:
            head = self._command_error(
                text,
                names[0],
                f"cannot forget {', '.join(names)}: the rest of the model still uses it",
                "forget what uses it first",
            )
            raise _Rejected([head] + [_first_places(o) for o in rejected.outputs]) from None
        outputs = [Output("info", (f"forgot {', '.join(names)}",))]
        outputs += self._changed(state)
        if self.last_result is not None and self.last_result.name in names:
            self.last_result = None
        self._commit(tuple(entries), state)
        return outputs

    def _command_save(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [self._command_error(text, "", "usage: :save FILE")]
        path = Path(_unquote(argument)).expanduser()
        try:
            path.write_text(self.source_file().text, encoding="utf-8")
        except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
            reason = getattr(error, "strerror", None) or str(error)
            return [
                self._command_error(text, argument, f"cannot write {path}: {reason}", code="file")
            ]
        count = len(self.statements)
        return [Output("info", (f"saved {count} statement{'s' if count != 1 else ''} to {path}",))]

    def _as_file(self) -> FileResult:
        """The session's model checked as the file `:save` would write, so that line
        numbers (and anonymous names) in a report match the source it shows."""
        text = format_source(n.SourceFile(self.statements))
        path = self.display_path
        try:
            model = build_model(parse(text, path))
        except InputError as error:
            raise _Rejected([self._error(error.diagnostics, text)]) from None
        # The whole pipeline, as `cost report` runs it, with the session's verdicts.
        try:
            result = Pipeline(self.timeout, self._verdicts).check(model)
        except InputError as error:
            raise _Rejected([self._error(error.diagnostics, text)]) from None
        for outcome in result.reductions:
            self.reductions_passed[outcome.name] = bool(outcome.passed)
        return result

    def _reduce(self, model: Model, statement: n.Reduction) -> Any:
        """Check a reduction statement; a problem in its tasks is shown, not raised."""
        (outcome,) = self._pipeline.reductions(model, [statement])
        self.reductions_passed[statement.name.text] = bool(outcome.passed)
        return outcome

    def _command_report(self, text: str, argument: str) -> list[Output]:
        if not argument:
            return [self._command_error(text, "", "usage: :report FILE.html|FILE.md")]
        try:
            from calculus.report import write_report
        except ImportError:
            return [
                self._command_error(
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
                self._command_error(
                    text, argument, "a report is written as .html or .md", code="file"
                )
            ]
        result = self._as_file()
        try:
            write_report(result, path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            return [
                self._command_error(text, argument, f"cannot write {path}: {reason}", code="file")
            ]
        return [Output("info", (f"wrote the report to {path}",))]


# ---- helpers ------------------------------------------------------------------------------------


def _unshift_columns(diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic about `claim <formula>` moved back onto the formula as typed."""
    if diagnostic.line != 1:
        return diagnostic
    shift = len(_CLAIM_PREFIX)
    end = diagnostic.end_column - shift if diagnostic.end_column is not None else None
    return dataclasses.replace(
        diagnostic,
        column=max(1, diagnostic.column - shift),
        end_column=max(1, end) if end is not None else None,
    )


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


__all__ = [
    "COMMANDS",
    "Command",
    "LAST_FORMULA",
    "Output",
    "Session",
    "needs_more",
    "resolve_command",
    "shift_spans",
]
