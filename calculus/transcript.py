"""The REPL's transcript: every input gets its own block of lines in one running
transcript, so each statement keeps a unique position (anonymous names such as `assume@31`
stay unique) and a diagnostic about any statement can be traced back to the input it was
typed in, or the file it came from.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from calculus import nodes as n
from calculus.check import ClaimResult
from calculus.diagnostics import Diagnostic, render

REPL_PATH = "<repl>"
# The path of the session's model while it is resolved; diagnostics carrying it are
# traced back to the input or file their line came from.
SESSION_PATH = "<session>"
# A bare formula is parsed as `claim <formula>`; its columns are shifted back by this much.
CLAIM_PREFIX = "claim "


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


class Rejected(Exception):
    """An input that cannot take effect; carries the outputs explaining why."""

    def __init__(self, outputs: list[Output]):
        self.outputs = outputs


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


def unshift_columns(diagnostic: Diagnostic) -> Diagnostic:
    """A diagnostic about `claim <formula>` moved back onto the formula as typed."""
    if diagnostic.line != 1:
        return diagnostic
    shift = len(CLAIM_PREFIX)
    end = diagnostic.end_column - shift if diagnostic.end_column is not None else None
    return dataclasses.replace(
        diagnostic,
        column=max(1, diagnostic.column - shift),
        end_column=max(1, end) if end is not None else None,
    )


@dataclass
class Transcript:
    """The inputs so far, each at its first line in the running transcript."""

    origins: list[Origin] = field(default_factory=list)
    next_line: int = 1

    def copy(self) -> Transcript:
        return Transcript(list(self.origins), self.next_line)

    def new_origin(self, path: str, text: str) -> Origin:
        """The next input (or file), placed after everything before it."""
        origin = Origin(path, text, self.next_line)
        self.next_line += origin.line_count
        self.origins.append(origin)
        return origin

    def origin_of(self, line: int) -> Origin | None:
        starts = [o.first_line for o in self.origins]
        index = bisect.bisect_right(starts, line) - 1
        if index < 0:
            return None
        origin = self.origins[index]
        return origin if line < origin.first_line + origin.line_count else None

    def locate(self, diagnostic: Diagnostic) -> tuple[Diagnostic, str | None]:
        """A diagnostic about the session's model moved to the input it points into, with
        that input's text."""
        if diagnostic.path != SESSION_PATH:
            return diagnostic, None
        origin = self.origin_of(diagnostic.line)
        notes = tuple(self.relocate_text(note) for note in diagnostic.notes)
        if origin is None:
            return dataclasses.replace(diagnostic, path=REPL_PATH, notes=notes), None
        local = diagnostic.line - origin.first_line + 1
        return dataclasses.replace(
            diagnostic, path=origin.path, line=local, notes=notes
        ), origin.text

    def relocate_text(self, text: str) -> str:
        """`<session>:LINE[:COL]` in a text replaced by the input's own path and line."""

        def replace(match: re.Match[str]) -> str:
            line = int(match.group(1))
            origin = self.origin_of(line)
            if origin is None:
                return match.group(0)
            return f"{origin.path}:{line - origin.first_line + 1}{match.group(2) or ''}"

        return re.sub(re.escape(SESSION_PATH) + r":(\d+)(:\d+)?", replace, text)

    def error(self, diagnostics: Iterable[Diagnostic], text: str | None = None) -> Output:
        """Diagnostics rendered as the CLI renders them, each against its own source line."""
        lines: list[str] = []
        for diagnostic in diagnostics:
            located, source = self.locate(diagnostic)
            lines.extend(render(located, source if source is not None else text).splitlines())
        return Output("error", tuple(lines))


def command_error(
    text: str, word: str, message: str, hint: str | None = None, code: str = "command"
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
    diagnostic = Diagnostic(REPL_PATH, line, column, code, message, hint, end)
    return Output("error", tuple(render(diagnostic, text).splitlines()))


__all__ = [
    "Entry",
    "Origin",
    "Output",
    "Rejected",
    "Transcript",
    "command_error",
    "shift_spans",
    "unshift_columns",
]
