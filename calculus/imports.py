"""Several files: `import "file.cost"` brings another file's statements into this one.

`expand_imports` reads every imported file (relative to the file that imports it), checks
it on its own first so that its mistakes are reported at its own lines, and merges its
statements in front of the importing file's. A name declared twice is an error unless both
declarations are the same (a file imported along two paths is merged once); a cycle of
imports is an error. The importing file's `model` title and `exchange` win over those of
the files it imports; objections stay with the file that states them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calculus import nodes as n
from calculus.diagnostics import Diagnostic, InputError, at

MAX_DEPTH = 32


def _key(statement: n.Statement) -> tuple[str, str] | None:
    """What a statement declares, as (namespace, name); None for statements that declare
    nothing and may repeat."""
    if isinstance(statement, (n.Primitive, n.Program, n.Parameter)):
        return ("name", statement.name.text)
    if isinstance(statement, (n.Task, n.TaskSet, n.Reduction, n.Family, n.Sweep)):
        return ("task", statement.name.text)
    if isinstance(statement, n.Scenario):
        return ("scenario", statement.name.text)
    if isinstance(statement, (n.Assume, n.Claim)) and statement.label is not None:
        return ("label", statement.label.text)
    if isinstance(statement, n.Exchange):
        return ("exchange", "")
    return None


def _describe(key: tuple[str, str]) -> str:
    namespace, name = key
    if namespace == "exchange":
        return "the exchange family"
    if namespace == "label":
        return f"the label '{name}'"
    return f"'{name}'"


def _read(path: Path) -> str:
    from calculus.syntax import decode

    return decode(path.read_bytes(), str(path))


def expand_imports(
    source: n.SourceFile,
    read: Callable[[Path], str] = _read,
    _stack: tuple[Path, ...] = (),
) -> n.SourceFile:
    """The file with every imported statement merged in; raises `InputError`."""
    if not any(isinstance(s, n.Import) for s in source.statements):
        return source
    from calculus.model import build_model
    from calculus.syntax import parse

    here = Path(source.path).resolve() if source.path not in ("", "<input>") else None
    folder = here.parent if here is not None else Path.cwd()
    stack = _stack or ((here,) if here is not None else ())
    merged: list[n.Statement] = []
    origins: list[str] = []
    where: dict[tuple[str, str], tuple[n.Statement, str]] = {}
    diagnostics: list[Diagnostic] = []

    def add(statement: n.Statement, origin: str, via: n.Import | None) -> None:
        key = _key(statement)
        if key is not None and key in where:
            first, first_origin = where[key]
            if first == statement:
                return  # the same declaration, met again along another import path
            if via is None and key[0] == "exchange":
                # This file's exchange re-decides what it imports under its own families.
                index = merged.index(first)
                merged[index], origins[index] = statement, origin
                where[key] = (statement, origin)
                return
            span = via.span if via is not None else _span_of(statement)
            line = _span_of(first).line
            diagnostics.append(
                at(
                    source.path,
                    span,
                    "duplicate",
                    f"{_describe(key)} is declared differently in {first_origin}:{line} "
                    f"and {origin}:{_span_of(statement).line}",
                    "give one of them another name, or import only one",
                )
            )
            return
        if key is not None:
            where[key] = (statement, origin)
        merged.append(statement)
        origins.append(origin)

    own: list[tuple[n.Statement, str]] = []
    for index, statement in enumerate(source.statements):
        if not isinstance(statement, n.Import):
            own.append((statement, source.origin(index)))
            continue
        if "\0" in statement.path:  # no file system accepts it; resolving it would raise
            diagnostics.append(
                at(
                    source.path,
                    statement.span,
                    "import",
                    f"cannot import {statement.path!r}: a path cannot contain a NUL byte",
                    "the path is relative to the importing file",
                )
            )
            continue
        target = (folder / statement.path).resolve()
        shown = _shown(target, folder, statement.path)
        if target in stack:
            chain = " -> ".join(p.name for p in (*stack[stack.index(target) :], target))
            diagnostics.append(
                at(
                    source.path,
                    statement.span,
                    "import-cycle",
                    f"the imports form a cycle: {chain}",
                    "a file may not import itself, directly or through others",
                )
            )
            continue
        if len(stack) >= MAX_DEPTH:
            diagnostics.append(
                at(source.path, statement.span, "import", "imports nested too deeply")
            )
            continue
        try:
            text = read(target)
        except OSError as error:
            diagnostics.append(
                at(
                    source.path,
                    statement.span,
                    "import",
                    f"cannot import '{statement.path}': {error.strerror or error}",
                    "the path is relative to the importing file",
                )
            )
            continue
        imported = expand_imports(parse(text, shown), read, (*stack, target))
        build_model(imported)  # its own mistakes, at its own lines
        for inner_index, inner in enumerate(imported.statements):
            if isinstance(inner, (n.ModelTitle, n.Objection)):
                continue
            add(inner, imported.origin(inner_index), statement)
    for statement, origin in own:
        add(statement, origin, None)
    if diagnostics:
        raise InputError(diagnostics)
    return n.SourceFile(tuple(merged), source.path, source.text, tuple(origins))


def _shown(target: Path, folder: Path, written: str) -> str:
    """How an imported file is named in messages: as written, relative to the cwd if it can."""
    try:
        return str(target.relative_to(Path.cwd()))
    except ValueError:
        return str(folder / written)


def _span_of(statement: n.Statement) -> n.Span:
    return statement.span


def own_statements(source: n.SourceFile) -> list[int]:
    """Indices of the statements written in this file (not imported)."""
    return [i for i in range(len(source.statements)) if source.origin(i) == source.path]
