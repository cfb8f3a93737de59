"""`cost fmt`: a `.cost` file in the canonical layout, its comments kept where they were.

The layout is the printer's (`format_source`, one statement per line or block); the parser
drops comments, so they are found again in the text — a `#` outside a string starts one —
and put back by position: a comment on a line of its own stays above the statement or
comment that followed it, a comment after code stays at the end of the line it annotated.
Formatting changes no statement (the trees before and after are equal), so no verdict can
change, and formatting a formatted file changes nothing.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calculus import nodes as n
from calculus.diagnostics import InputError, render

__all__ = ["Comment", "comments", "format_text", "fmt_command"]

EXIT_OK, EXIT_CHANGED, EXIT_INPUT = 0, 1, 2


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based
    text: str  # from the `#`, trailing spaces removed
    alone: bool  # nothing but spaces before it on its line


def comments(text: str) -> list[Comment]:
    """Every comment of the source. Strings are one line long and may hold `#` and escaped
    quotes (grammar: STRING), so a scan of each line that skips strings finds them all."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        in_string = escaped = False
        for index, char in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "#":
                found.append(Comment(number, line[index:].rstrip(), not line[:index].strip()))
                break
    return found


def _first_word(line: str) -> str:
    words = line.split()
    return words[0] if words else ""


def _with_comments(
    statement: Any, lines: list[str], source: list[str], inside: list[Comment]
) -> tuple[list[str], list[str]]:
    """The statement's formatted lines with its comments put back, and the comments that
    could not be placed inside it (they go on their own lines above it)."""
    span = statement.span
    above: list[str] = []
    trailing: dict[int, list[str]] = {}  # output line -> comments at its end
    before: dict[int, list[str]] = {}  # output line -> comment lines above it
    code_lines = [
        number
        for number in range(span.line, span.end_line + 1)
        if source[number - 1].strip() and not source[number - 1].lstrip().startswith("#")
    ]
    # Line by line when the printer kept the statement's lines as they were written.
    place: dict[int, int] = {}
    if len(code_lines) == len(lines) and all(
        _first_word(source[number - 1]) == _first_word(line)
        for number, line in zip(code_lines, lines, strict=True)
    ):
        place = {number: index for index, number in enumerate(code_lines)}
    used: set[int] = set()
    for comment in inside:
        if comment.alone:
            following = [number for number in code_lines if number > comment.line]
            if following and following[0] in place:
                before.setdefault(place[following[0]], []).append(comment.text)
            else:
                above.append(comment.text)
            continue
        if len(lines) == 1:
            target: int | None = 0
        elif comment.line in place:
            target = place[comment.line]
        else:
            # The printer regrouped the block: find the line that starts with the same word.
            word = _first_word(source[comment.line - 1])
            matches = [i for i, line in enumerate(lines) if _first_word(line) == word]
            free = [i for i in matches if i not in used]
            target = free[0] if free else (matches[-1] if matches else None)
        if target is None:
            above.append(comment.text)
        else:
            used.add(target)
            trailing.setdefault(target, []).append(comment.text)
    result: list[str] = []
    for index, line in enumerate(lines):
        indent = line[: len(line) - len(line.lstrip())]
        result.extend(indent + text for text in before.get(index, ()))
        if index in trailing:
            line += "  " + "  ".join(trailing[index])
        result.append(line)
    return above, result


@dataclass(frozen=True)
class _Primitives:
    """`primitive a, b, c` written on one line: kept as one line."""

    primitives: tuple[n.Primitive, ...]
    span: n.Span


def _plain(statement: object) -> bool:
    return (
        isinstance(statement, n.Primitive)
        and not statement.flags
        and statement.fixed_c is None
        and statement.fixed_t is None
    )


def _joined(statements: list[Any]) -> list[Any]:
    """Plain primitives declared together on one line stay one statement."""
    joined: list[Any] = []
    for statement in statements:
        last = joined[-1] if joined else None
        if _plain(statement) and last is not None and last.span.end_line == statement.span.line:
            if isinstance(last, _Primitives):
                joined[-1] = _Primitives((*last.primitives, statement), last.span)
                continue
            if _plain(last):
                joined[-1] = _Primitives((last, statement), last.span)
                continue
        joined.append(statement)
    return joined


def format_text(text: str, path: str = "<input>") -> str:
    """`text` in the canonical layout; raises InputError when it does not parse."""
    from calculus.printer import format_statement
    from calculus.syntax import parse

    tree = parse(text, path)
    source = text.splitlines()
    found = comments(text)
    statements = _joined(sorted(tree.statements, key=lambda s: (s.span.line, s.span.column)))
    # Each comment belongs to the last statement whose lines it is on, or stands alone.
    owner: dict[int, int] = {}
    for index, statement in enumerate(statements):
        for comment in found:
            if statement.span.line <= comment.line <= statement.span.end_line:
                owner[comment.line] = index
    # The file as a sequence of units in source order: (first line, last line, lines).
    units: list[tuple[int, int, list[str]]] = []
    for comment in found:
        if comment.line not in owner:
            units.append((comment.line, comment.line, [comment.text]))
    for index, statement in enumerate(statements):
        inside = [c for c in found if owner.get(c.line) == index]
        if isinstance(statement, _Primitives):
            text = "primitive " + ", ".join(str(p.name) for p in statement.primitives)
        else:
            text = format_statement(statement)
        above, lines = _with_comments(statement, text.split("\n"), source, inside)
        units.append((statement.span.line, statement.span.end_line, above + lines))
    units.sort(key=lambda unit: unit[0])
    out: list[str] = []
    previous_end: int | None = None
    for first, last, lines in units:
        gap = first - previous_end - 1 if previous_end is not None else 0
        if gap > 0 and any(not source[i].strip() for i in range(previous_end or 0, first - 1)):
            out.append("")
        out.extend(lines)
        previous_end = max(last, previous_end or 0)
    return "\n".join(out) + "\n" if out else ""


def _read(name: str) -> str:
    from calculus.syntax import decode

    data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    return decode(data, "<stdin>" if name == "-" else name)


def fmt_command(paths: Sequence[str], check: bool = False, diff: bool = False) -> int:
    """Rewrite files in place (or, with `--check`/`--diff`, only say what would change).
    Exit 0 when nothing would change or all was written, 1 when `--check` finds a file to
    change, 2 on input errors (nothing is written for such a file)."""
    from calculus.check import gather_files

    names = ["-"] if list(paths) == ["-"] else [str(p) for p in gather_files(list(paths))]
    if not names:
        sys.stderr.write("cost: error: no .cost files found in " + ", ".join(paths) + "\n")
        return EXIT_INPUT
    changed = errors = 0
    for name in names:
        shown = "<stdin>" if name == "-" else name
        original: str | None = None
        try:
            original = _read(name)
            formatted = format_text(original, shown)
        except InputError as error:
            errors += 1
            for diagnostic in error.diagnostics:
                sys.stderr.write(render(diagnostic, original) + "\n")
            continue
        except OSError as error:
            errors += 1
            sys.stderr.write(f"cost: error: cannot read {name}: {error.strerror or error}\n")
            continue
        if name == "-" and not (check or diff):
            sys.stdout.write(formatted)
            continue
        if formatted == original:
            continue
        changed += 1
        if diff:
            sys.stdout.writelines(
                difflib.unified_diff(
                    original.splitlines(keepends=True),
                    formatted.splitlines(keepends=True),
                    f"{shown} (original)",
                    f"{shown} (formatted)",
                )
            )
        if check:
            sys.stderr.write(f"would reformat {shown}\n")
        elif not diff:
            Path(name).write_text(formatted, encoding="utf-8", newline="\n")
            sys.stderr.write(f"reformatted {shown}\n")
    if errors:
        return EXIT_INPUT
    return EXIT_CHANGED if check and changed else EXIT_OK
