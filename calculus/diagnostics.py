"""Diagnostics: plain records of what is wrong with an input, rendered to text at the end.

A `Diagnostic` carries file, position, a stable code, the message, an optional hint and
notes; `render` turns it into `FILE:LINE:COL: error[CODE]: message`, the source line and a
caret. Every code is registered in `CODES` with what it means.
"""

from __future__ import annotations

from collections.abc import Iterable

from calculus.frozen import frozen
from calculus.nodes import Span


@frozen
class ErrorCode:
    """A stable error code and what it stands for; `str(code)` is the code as printed."""

    name: str
    description: str

    def __str__(self) -> str:
        return self.name


CODES: dict[str, ErrorCode] = {}


def _code(name: str, description: str) -> str:
    CODES[name] = ErrorCode(name, description)
    return name


# Reading the file
FILE = _code("file", "the file cannot be read or written")
ENCODING = _code("encoding", "the file is not UTF-8 text")
TOO_LONG = _code("too-long", "a line is longer than the parser reads")
TOO_DEEP = _code("too-deep", "brackets or formulas are nested too deeply")
SYNTAX = _code("syntax", "the text does not follow the grammar")
# Building the syntax tree
RESERVED = _code("reserved", "a keyword is used as a name")
NUMBER = _code("number", "a number or power too large for exact arithmetic")
TYPE = _code("type", "a number where a truth value belongs, or the reverse; a malformed value")
GIVEN_TWICE = _code("given-twice", "a field of one declaration is given twice")
UNKNOWN_BASIS = _code("unknown-basis", "a reduction names a basis that does not exist")
UNKNOWN_MEASURE = _code("unknown-measure", "a reduction names a measure that does not exist")
UNKNOWN_PROPERTY = _code("unknown-property", "a reduction names a property that does not exist")
UNKNOWN_EXTENT = _code(
    "unknown-extent", "an `expect` line names an extent other than none/some/every"
)
# Resolving names
UNDECLARED = _code("undeclared", "a name is used but never declared")
DUPLICATE = _code("duplicate", "a name is declared twice")
CONFLICT = _code("conflict", "two parts of a declaration contradict each other")
CYCLE = _code("cycle", "programs extend each other in a cycle")
FAMILY = _code("family", "the exchange family does not allow this")
NOT_A_PROGRAM = _code("not-a-program", "a program is expected and something else is named")
PROGRAM_IN_TERM = _code("program-in-term", "a program is used where only primitives may stand")
RANGES = _code("ranges", "a `ranges` statement cannot be computed as written")
SCENARIO = _code("scenario", "a scenario lacks a value or gives one that is not allowed")
TASK = _code("task", "a task or task set is malformed")
REDUCTION = _code("reduction", "a reduction is incomplete or inconsistent")
SWEEP = _code("sweep", "a sweep is incomplete or asks for more tasks than its family has")
UNSUPPORTED = _code("unsupported", "a well-formed request the tool does not compute")
UNKNOWN_FUNCTION = _code("unknown-function", "a formula calls a function that does not exist")
NOT_A_NUMBER = _code("not-a-number", "a primitive or program stands where a number belongs")
PARAMETER = _code("parameter", "a parameter is declared or quantified in a way it cannot be")
IMPORT = _code("import", "an imported file cannot be read")
IMPORT_CYCLE = _code("import-cycle", "files import each other in a cycle")
# Checking (warnings: the file is checked all the same)
INCONSISTENT = _code(
    "inconsistent", "assumptions that cannot all hold: every claim using them is proved"
)
# The REPL
COMMAND = _code("command", "a REPL command is unknown or misused")


@frozen
class Diagnostic:
    path: str
    line: int
    column: int
    code: str
    message: str
    hint: str | None = None
    end_column: int | None = None
    severity: str = "error"
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


class InputError(Exception):
    """Raised with one or more diagnostics when an input cannot be checked."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("; ".join(d.message for d in self.diagnostics))


def at(
    path: str,
    span: Span,
    code: str,
    message: str,
    hint: str | None = None,
    notes: Iterable[str] = (),
) -> Diagnostic:
    """A diagnostic at a span of `path`; underlined to the span's end when on one line."""
    end = span.end_column if span.end_line == span.line else None
    return Diagnostic(path, span.line, span.column, code, message, hint, end, notes=tuple(notes))


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint naming the closest declared name, if any is close."""
    import difflib  # only when a name is misspelt

    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


_MAX_SHOWN_LINE = 200


def render(diagnostic: Diagnostic, source: str | None) -> str:
    """`FILE:LINE:COL: error[CODE]: message`, then the source line, a caret, and the hint."""
    d = diagnostic
    head = f"{d.path}:{d.line}:{d.column}: {d.severity}[{d.code}]: {d.message}"
    lines = [head]
    if source is not None and d.line >= 1:
        source_lines = source.splitlines()
        if d.line <= len(source_lines):
            text = source_lines[d.line - 1].expandtabs(1)
            column = max(d.column, 1)
            start = 0
            # A megabyte-long line is shown as a window around the column.
            if len(text) > _MAX_SHOWN_LINE:
                start = max(0, column - 1 - _MAX_SHOWN_LINE // 2)
                text = ("…" if start else "") + text[start : start + _MAX_SHOWN_LINE] + "…"
                column = column - start + (1 if start else 0)
            printable = "".join(ch if ch.isprintable() else "?" for ch in text)
            width = 1
            if d.end_column is not None and d.end_column > d.column:
                width = min(d.end_column - d.column, max(1, len(printable) - column + 1))
            lines.append(f"  {printable}")
            lines.append("  " + " " * (column - 1) + "^" + "~" * (width - 1))
    if d.hint:
        lines.append(f"  hint: {d.hint}")
    lines.extend(f"  note: {note}" for note in d.notes)
    return "\n".join(lines)
