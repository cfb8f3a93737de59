"""The REPL's pure core: a `Session` holds the model being edited and turns each input — a
statement, a bare formula or a `:command` — into output records; it re-decides only the
claims whose solver problem changed (through `cost check`'s pipeline, with a verdict
cache) and never raises for a bad input.

Where each input sits in the running transcript is `calculus.transcript`'s; the
`:commands` are `calculus.commands`'.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calculus import nodes as n
from calculus.check import (
    DEFAULT_TIMEOUT,
    ClaimResult,
    FileResult,
    Pipeline,
    VerdictCache,
    derive_views,
)
from calculus.commands import (
    COMMANDS,
    LAST_FORMULA,
    Command,
    Commands,
    State,
    needs_more,
    resolve_command,
)
from calculus.costs import CostModel
from calculus.diagnostics import Diagnostic, InputError, did_you_mean, render
from calculus.imports import expand_imports
from calculus.model import Model, build_model
from calculus.output import (
    brief_file_lines,
    claim_lines,
    ranges_lines,
    reduction_lines,
    summary_line,
    sweep_lines,
    without_repeats,
)
from calculus.printer import format_expr, format_source
from calculus.syntax import STATEMENT_WORDS, decode, parse
from calculus.transcript import (
    CLAIM_PREFIX,
    REPL_PATH,
    SESSION_PATH,
    Entry,
    Origin,
    Output,
    Rejected,
    Transcript,
    shift_spans,
    unshift_columns,
)

if TYPE_CHECKING:
    from calculus.circuits.language import ReductionOutcome
    from calculus.dominance import RangesResult


def _empty_model() -> Model:
    return build_model(n.SourceFile((), SESSION_PATH, ""))


@dataclass
class Session(Commands):
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
    _transcript: Transcript = field(default_factory=Transcript)
    _state: State | None = None
    _verdicts: VerdictCache = field(default_factory=VerdictCache)

    def __post_init__(self) -> None:
        if self._state is None:
            model = _empty_model()
            self._state = State(model, derive_views(model), {})

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
        except Rejected as rejected:
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
        saved["_transcript"] = self._transcript.copy()
        if self._state is not None:
            saved["_state"] = dataclasses.replace(self._state, results=dict(self._state.results))
        return saved

    def _restore(self, saved: dict[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)

    def _source(self, text: str) -> list[Output]:
        try:
            source = parse(text, REPL_PATH)
        except InputError as statement_error:
            claim = self._bare_formula(text, statement_error)
            origin = self._transcript.new_origin(REPL_PATH, text)
            return self._check_formula(shift_spans(claim, origin.first_line - 1), origin)
        origin = self._transcript.new_origin(REPL_PATH, text)
        statements = [shift_spans(s, origin.first_line - 1) for s in source.statements]
        return self._apply(statements, origin)

    def _bare_formula(self, text: str, statement_error: InputError) -> n.Claim:
        """`text` read as an anonymous claim, or `Rejected` with the better of the errors."""
        first = text.strip().split(maxsplit=1)[0]
        if first not in STATEMENT_WORDS:
            try:
                source = parse(CLAIM_PREFIX + text, REPL_PATH)
            except InputError as formula_error:
                diagnostics = [unshift_columns(d) for d in formula_error.diagnostics]
                hint = did_you_mean(re.split(r"\W", first)[0], STATEMENT_WORDS)
                if hint and all(d.hint is None for d in diagnostics):
                    diagnostics = [dataclasses.replace(diagnostics[0], hint=hint)] + diagnostics[1:]
                raise Rejected([self._transcript.error(diagnostics, text)]) from None
            if len(source.statements) == 1 and isinstance(source.statements[0], n.Claim):
                claim = source.statements[0]
                if claim.label is None:
                    return shift_spans(claim, 0, len(CLAIM_PREFIX))  # type: ignore[no-any-return]
        raise Rejected([self._transcript.error(statement_error.diagnostics, text)])

    # ---- applying statements
    def _apply(self, statements: list[n.Statement], origin: Origin) -> list[Output]:
        entries = list(self.entries)
        changes: list[tuple[str, n.Statement]] = []
        for statement in statements:
            key = n.replacement_key(statement)
            index = next(
                (i for i, e in enumerate(entries) if n.replacement_key(e.statement) == key), None
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
                name = n.statement_name(statement) or ""
                typed_claims.add(name)
                result = state.results[name]
                outputs.append(Output("verdict", tuple(claim_lines(result)), result))
                self.last_result = result
            elif isinstance(statement, n.Ranges):
                outputs.append(Output("ranges", tuple(ranges_lines(ranges[statement]))))
            elif isinstance(statement, n.Reduction):
                outcome = self._reduce(state.model, statement)
                outputs.append(Output("verdict", tuple(reduction_lines(outcome))))
            elif isinstance(statement, n.Sweep):
                from calculus.check import check_sweep_statement

                swept = check_sweep_statement(state.model, statement, self.timeout)
                outputs.append(Output("info", tuple(sweep_lines(swept))))
            else:
                outputs.append(Output("info", tuple(self._describe(verb, statement, state))))
        outputs.extend(self._changed(state, exclude=typed_claims))
        self._commit(tuple(entries), state)
        return outputs

    def _commit(self, entries: tuple[Entry, ...], state: State) -> None:
        self.entries = entries
        self._state = state

    def _describe(self, verb: str, statement: n.Statement, state: State) -> list[str]:
        kind = n.statement_kind(statement)
        name = n.statement_name(statement)
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
            return [
                f"{done} assumption {name}: {format_expr(statement.formula)}",
                *self._contradictions(state),
            ]
        lines = [f"{done} {kind} {name}"]
        if isinstance(statement, n.Program):
            costs = state.costs.program(statement.name.text)
            lines += [f"    c({name}) = {costs.c}", f"    t({name}) = {costs.t}"]
        return lines

    def _contradictions(self, state: State) -> list[str]:
        """A warning line per set of the assumptions that cannot all hold (see `vacuity`)."""
        from calculus.check import hypotheses
        from calculus.logic import Decider
        from calculus.vacuity import contradiction, warning

        found: dict[tuple[str, ...], None] = {}
        with Decider() as decider:
            for view in state.views:
                core = contradiction(view, hypotheses(view), self.timeout, decider)
                if core is not None:
                    found[core] = None
        return [f"warning: {warning(state.model, core).message}" for core in found]

    def _resolve(
        self, entries: list[Entry] | tuple[Entry, ...], extra: Iterable[n.Statement] = ()
    ) -> State:
        """Resolve, derive and decide; `Rejected` with diagnostics if the model is wrong."""
        statements = tuple(e.statement for e in entries) + tuple(extra)
        try:
            model = build_model(self._with_imports(statements))
        except InputError as error:
            raise Rejected([self._transcript.error(error.diagnostics)]) from None
        # The pipeline of `cost check`: the session's verdicts are those of the saved file.
        views = derive_views(model)
        results = {r.name: r for r in self._pipeline.decide(model, views)}
        return State(model, views, results)

    def _ranges_of(
        self, state: State, recompute_scenarios: bool, typed: list[n.Ranges]
    ) -> dict[n.Ranges, RangesResult]:
        """Ranges of the typed statements; with changed costs, re-check the scenario ones
        already in the model too, so the model stays one that `cost check` accepts."""
        wanted = list(typed)
        if recompute_scenarios:
            wanted += [r for r in state.model.ranges if r.scenario is not None and r not in wanted]
        try:
            return dict(zip(wanted, self._pipeline.ranges(state.views, wanted), strict=True))
        except InputError as error:
            raise Rejected([self._transcript.error(error.diagnostics)]) from None

    def _changed(self, state: State, exclude: Iterable[str] = ()) -> list[Output]:
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
        source = n.SourceFile(statements, SESSION_PATH, "")
        if not any(isinstance(s, n.Import) for s in statements):
            return source
        where = str(self.loaded_path) if self.loaded_path is not None else "<input>"
        merged = expand_imports(n.SourceFile(statements, where, ""))
        return n.SourceFile(merged.statements, SESSION_PATH, "", merged.origins)

    def _resolve_names(self, extra: list[n.Statement]) -> State:
        """Name resolution of the model plus `extra`, without deciding anything."""
        statements = self.statements + tuple(extra)
        try:
            model = build_model(self._with_imports(statements))
        except InputError as error:
            raise Rejected([self._transcript.error(error.diagnostics)]) from None
        assert self._state is not None
        return State(model, self._state.views, self.results)

    # ---- loading and checking the whole model
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
            return [self._transcript.error(error.diagnostics)]
        try:
            source = expand_imports(parse(text, shown))
        except InputError as error:
            return [self._transcript.error(error.diagnostics, text)]
        saved = self._transcript
        self._transcript = Transcript()
        origin = self._transcript.new_origin(shown, text)
        entries = tuple(Entry(s, origin) for s in source.statements)
        try:
            state = self._resolve(entries)
            ranges = self._ranges_of(state, True, list(state.model.ranges))
        except Rejected:
            self._transcript = saved
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

    def _as_file(self) -> FileResult:
        """The session's model checked as the file `:save` would write, so that line
        numbers (and anonymous names) in a report match the source it shows."""
        text = format_source(n.SourceFile(self.statements))
        path = self.display_path
        try:
            model = build_model(parse(text, path))
        except InputError as error:
            raise Rejected([self._transcript.error(error.diagnostics, text)]) from None
        # The whole pipeline, as `cost report` runs it, with the session's verdicts.
        try:
            result = Pipeline(self.timeout, self._verdicts).check(model)
        except InputError as error:
            raise Rejected([self._transcript.error(error.diagnostics, text)]) from None
        for statement, outcome in zip(model.reductions, result.reductions, strict=True):
            self.reductions_passed[statement.name.text] = outcome.passed
        return result

    def _reduce(self, model: Model, statement: n.Reduction) -> ReductionOutcome:
        """Check a reduction statement; a problem in its tasks is shown, not raised."""
        (outcome,) = self._pipeline.reductions(model, [statement])
        self.reductions_passed[statement.name.text] = bool(outcome.passed)
        return outcome


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
