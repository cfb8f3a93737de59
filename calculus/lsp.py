"""`cost lsp`: a Language Server over stdio for `.cost` files (pygls 2).

As you type, the file is parsed, its names resolved and its costs derived, and the
diagnostics — the same codes and positions as `cost check`, 0-based as LSP counts — are
published; when the file is opened or saved the claims are decided too, and a claim that
fails shows as a warning on the claim. Hover on a program shows its derived `c` and `t`,
on a claim its verdict with the assumptions used or the counterexample. Completion offers
the language's keywords and the names the file declares; formatting the document is
`cost fmt`.

The analysis (`analyse`, `hover_text`, `completions`) is plain Python; only `serve` needs
pygls, which is imported there (install with `pip install 'cost-calculus[lsp]'`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from calculus.diagnostics import Diagnostic, InputError

__all__ = ["Analysis", "Problem", "analyse", "hover_text", "completions", "serve"]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Problem:
    """A diagnostic in LSP terms: 0-based line, UTF-16 columns, severity 1 (error) to 4."""

    line: int
    start: int
    end: int
    severity: int
    code: str
    message: str


@dataclass
class Analysis:
    text: str
    problems: list[Problem] = field(default_factory=list)
    model: Any = None  # calculus.model.Model of the last text that resolved
    costs: Any = None  # calculus.costs.CostModel
    result: Any = None  # calculus.check.FileResult, when the claims were decided


def _utf16(line: str, column: int) -> int:
    """The UTF-16 offset of a 0-based character column (LSP's default position encoding)."""
    return len(line[:column].encode("utf-16-le")) // 2


def _problem(diagnostic: Diagnostic, lines: list[str], severity: int = 1) -> Problem:
    row = max(diagnostic.line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    start = max(diagnostic.column - 1, 0)
    end = (diagnostic.end_column - 1) if diagnostic.end_column else None
    if end is None or end <= start:
        match = _WORD.match(text, start)
        end = match.end() if match else min(start + 1, len(text))
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    return Problem(
        row, _utf16(text, start), _utf16(text, max(end, start)), severity, diagnostic.code, message
    )


def analyse(
    text: str, path: str = "<input>", decide: bool = False, timeout: float = 10.0
) -> Analysis:
    """Diagnostics for `text`: parsing, names and costs always; with `decide`, the whole
    check (claims, ranges, reductions), and each failing claim as a warning."""
    from calculus.check import check_source
    from calculus.costs import derive_costs
    from calculus.model import build_model
    from calculus.syntax import parse

    lines = text.splitlines()
    analysis = Analysis(text)
    if decide:
        result = check_source(text, path, timeout)
        analysis.result = result
        analysis.model, analysis.costs = result.model, result.costs
        analysis.problems = [_problem(d, lines) for d in result.diagnostics]
        # Warnings written in this file (those of an imported file are shown there).
        analysis.problems += [_problem(w, lines, 2) for w in result.warnings if w.path == path]
        from calculus.output import claim_lines

        for decided in result.claims:
            if not decided.passed:
                span = decided.span
                row = span.line - 1
                line = lines[row] if 0 <= row < len(lines) else ""
                end = len(line) if span.end_line != span.line else span.end_column - 1
                analysis.problems.append(
                    Problem(
                        row,
                        _utf16(line, span.column - 1),
                        _utf16(line, end),
                        2,
                        decided.verdict.status,
                        "\n".join(line.strip() for line in claim_lines(decided)),
                    )
                )
        return analysis
    try:
        model = build_model(parse(text, path))
        analysis.model, analysis.costs = model, derive_costs(model)
    except InputError as error:
        analysis.problems = [_problem(d, lines) for d in error.diagnostics]
    return analysis


def _word_at(text: str, line: int, character: int) -> str | None:
    lines = text.splitlines()
    if not 0 <= line < len(lines):
        return None
    for match in _WORD.finditer(lines[line]):
        if match.start() <= character <= match.end():
            return match.group()
    return None


def hover_text(analysis: Analysis, line: int, character: int) -> str | None:
    """Markdown for a hover at 0-based (line, character): a program's derived costs, or a
    claim's verdict (or that it has not been decided yet)."""
    from calculus.output import counterexample_text

    model, costs = analysis.model, analysis.costs
    if model is None or costs is None:
        return None
    word = _word_at(analysis.text, line, character)
    if word is not None and word in model.programs:
        program = costs.program(word)
        return f"**program {word}** (derived)\n\n```\nc({word}) = {program.c}\nt({word}) = {program.t}\n```"
    if word is not None and word in model.primitives:
        fixed = model.primitives[word]
        return f"**primitive {word}**" + (" (nonneg)" if fixed.nonneg else "")
    for claim in model.claims:
        span = claim.node.span
        if span.line - 1 <= line <= span.end_line - 1:
            found = None
            if analysis.result is not None:
                found = next((c for c in analysis.result.claims if c.name == claim.name), None)
            if found is None:
                return f"**{claim.node.kind} {claim.name}**: not decided yet — save the file to run the solver"
            verdict = found.verdict
            head = f"**{found.kind} {found.name}**: {verdict.status} — {'passes' if found.passed else 'FAILS'}"
            if verdict.status == "proved":
                uses = ", ".join(verdict.uses) if verdict.uses else "nothing (valid outright)"
                return f"{head}\n\nuses: {uses}"
            if verdict.status == "refuted":
                rows = counterexample_text(found).replace(", ", "\n") or "any admissible values"
                return f"{head}\n\ncounterexample:\n```\n{rows}\n```"
            return f"{head}\n\nwhy: {verdict.reason}"
    return None


def completions(analysis: Analysis) -> list[tuple[str, str]]:
    """(label, kind) for every keyword of the language and every name the file declares;
    kind is `keyword`, `program`, `primitive`, `assumption`, `scenario`, `task` or `claim`."""
    from calculus.syntax import KEYWORDS

    found: dict[str, str] = {word: "keyword" for word in KEYWORDS}
    model = analysis.model
    if model is not None:
        for kind, names in (
            ("primitive", model.primitives),
            ("program", model.programs),
            ("scenario", model.scenarios),
            ("task", [*model.tasks, *model.task_sets]),
            ("assumption", [a.name for a in model.assumptions if "@" not in a.name]),
            ("claim", [c.name for c in model.claims if "@" not in c.name]),
        ):
            for name in names:
                found[name] = kind
    return sorted(found.items())


def serve(timeout: float = 10.0) -> int:  # pragma: no cover - exercised over stdio in the tests
    """Run the server on stdin/stdout until the client exits."""
    from importlib import metadata

    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    try:
        version = metadata.version("cost-calculus")
    except metadata.PackageNotFoundError:
        version = "0"
    server = LanguageServer("cost", version)
    analyses: dict[str, Analysis] = {}
    deciding = threading.Lock()  # one full check at a time: the solver is not shared

    def path_of(uri: str) -> str:
        document = server.workspace.get_text_document(uri)
        return document.path or uri

    def publish(uri: str, analysis: Analysis, version: int | None = None) -> None:
        analyses[uri] = analysis
        server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=version,
                diagnostics=[
                    types.Diagnostic(
                        range=types.Range(
                            start=types.Position(line=p.line, character=p.start),
                            end=types.Position(line=p.line, character=p.end),
                        ),
                        message=p.message,
                        severity=types.DiagnosticSeverity(p.severity),
                        code=p.code,
                        source="cost",
                    )
                    for p in analysis.problems
                ],
            )
        )

    def decide(uri: str) -> None:
        document = server.workspace.get_text_document(uri)
        text = document.source
        with deciding:
            analysis = analyse(text, path_of(uri), decide=True, timeout=timeout)
        if server.workspace.get_text_document(uri).source == text:  # not stale
            publish(uri, analysis, document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        publish(uri, analyse(params.text_document.text, path_of(uri)), params.text_document.version)
        threading.Thread(target=decide, args=(uri,), daemon=True).start()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = server.workspace.get_text_document(uri)
        publish(uri, analyse(document.source, path_of(uri)), params.text_document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        threading.Thread(target=decide, args=(params.text_document.uri,), daemon=True).start()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        analyses.pop(params.text_document.uri, None)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
        analysis = analyses.get(params.text_document.uri)
        if analysis is None:
            return None
        text = hover_text(analysis, params.position.line, params.position.character)
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    kinds = {
        "keyword": types.CompletionItemKind.Keyword,
        "program": types.CompletionItemKind.Function,
        "primitive": types.CompletionItemKind.Variable,
        "assumption": types.CompletionItemKind.Constant,
        "scenario": types.CompletionItemKind.Module,
        "task": types.CompletionItemKind.Class,
        "claim": types.CompletionItemKind.Event,
    }

    @server.feature(types.TEXT_DOCUMENT_COMPLETION)
    def complete(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
        analysis = analyses.get(params.text_document.uri) or Analysis("")
        return types.CompletionList(
            is_incomplete=False,
            items=[
                types.CompletionItem(label=label, kind=kinds[kind], detail=kind)
                for label, kind in completions(analysis)
            ],
        )

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: LanguageServer, params: types.DocumentFormattingParams
    ) -> list[types.TextEdit] | None:
        """`cost fmt` on the open document: one edit replacing it, or none when it is already
        canonical or does not parse (the diagnostics say why)."""
        from calculus.formatter import format_text

        text = server.workspace.get_text_document(params.text_document.uri).source
        try:
            formatted = format_text(text)
        except InputError:
            return None
        if formatted == text:
            return []
        lines = text.split("\n")
        end = types.Position(line=len(lines) - 1, character=_utf16(lines[-1], len(lines[-1])))
        whole = types.Range(start=types.Position(line=0, character=0), end=end)
        return [types.TextEdit(range=whole, new_text=formatted)]

    server.start_io()
    return 0
