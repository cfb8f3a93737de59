"""`cost repl`: the shell around `calculus.session.Session` — a prompt_toolkit prompt with
history, completion and highlighting on a terminal, plain line-by-line reading otherwise.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from calculus.commands import COMMANDS, Command, resolve_command
from calculus.output import print_lines, use_colour
from calculus.session import Session
from calculus.syntax import EXCHANGE_FAMILIES, KEYWORDS
from calculus.transcript import Output

BANNER = "cost repl — type a statement, a formula, or :help. Ctrl-D leaves."
PROMPT = "cost> "
_GIVE_UP_AFTER = 3  # consecutive failures of the prompt itself before leaving
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_@]*$")


def repl_command(path: str | None, timeout: float) -> int:
    """Entry point of `cost repl [FILE]`."""
    session = Session(timeout=timeout)
    if sys.stdin.isatty() and sys.stdout.isatty():
        return run_interactive(session, path)
    return run_piped(session, path, sys.stdin, sys.stdout, sys.stderr)


# ---- without a terminal ----------------------------------------------------------------------


def read_inputs(lines: Iterable[str], needs_more: Callable[[str], bool]) -> Iterator[str]:
    """Whole inputs from lines: a block or an unfinished formula gathers following lines."""
    pending: list[str] = []
    for line in lines:
        pending.append(line.rstrip("\r\n"))
        text = "\n".join(pending)
        if not text.strip():
            pending = []
            continue
        if needs_more(text):
            continue
        pending = []
        yield text
    text = "\n".join(pending)
    if text.strip():
        yield text  # unfinished at the end of input: evaluating it reports what is missing


def run_piped(
    session: Session, path: str | None, lines: Iterable[str], out: TextIO, err: TextIO
) -> int:
    """Read statements and commands line by line; print results without prompt or colour.

    Exits 2 after any error, 1 when a claim (or a checked formula) failed, else 0."""
    if path is not None:
        emit(session.load(path), out, err, colour=False)
    for text in read_inputs(lines, session.needs_more):
        emit(session.eval(text), out, err, colour=False)
        if session.done:
            break
    return session.exit_code()


def emit(outputs: list[Output], out: TextIO, err: TextIO, colour: bool) -> None:
    """Results to `out`, errors to `err`; colour only where asked for and allowed."""
    for output in outputs:
        stream = err if output.is_error else out
        if colour and use_colour(stream):
            if output.is_error:
                _print_error(list(output.lines), stream)
            else:
                print_lines(list(output.lines), stream)
        else:
            stream.write(output.text + "\n")
        stream.flush()


def _print_error(lines: list[str], stream: TextIO) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    for line in lines:
        text = Text(line)
        match = re.search(r": (error|internal error)(\[[a-z-]+\])?:", line)
        if match and not line.startswith(" "):
            text.stylize("bold red", match.start(1), match.end())
        elif line.startswith("  ") and set(line.strip()) <= {"^", "~"}:
            text.stylize("bold red")
        console.print(text)


# ---- on a terminal ---------------------------------------------------------------------------


def history_path() -> Path:
    """The history file: under $XDG_DATA_HOME (default ~/.local/share), in `cost/`."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "cost" / "history"


def _history() -> Any:
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))


def _completer(session: Session) -> Any:
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document

    paths = PathCompleter(expanduser=True)

    class CostCompleter(Completer):
        """Commands, keywords of the grammar and the names the model declares."""

        def get_completions(self, document: Document, complete_event: Any) -> Iterator[Completion]:
            try:
                yield from self._completions(document, complete_event)
            except Exception:  # noqa: BLE001 - a completion bug must not break the prompt
                return

        def _completions(self, document: Document, complete_event: Any) -> Iterator[Completion]:
            before = document.text_before_cursor
            line = before.split("\n")[-1]
            stripped = line.lstrip()
            if stripped.startswith(":") and "\n" not in before.strip():
                head, space, rest = stripped[1:].partition(" ")
                if not space:
                    for each in COMMANDS:
                        if each.name.startswith(head):
                            yield Completion(
                                ":" + each.name, -len(head) - 1, display_meta=each.summary
                            )
                    return
                command = resolve_command(head)
                if not isinstance(command, Command):
                    return
                if command.argument == "path":
                    argument = rest.lstrip()
                    yield from paths.get_completions(
                        Document(argument, len(argument)), complete_event
                    )
                    return
                if command.argument == "none":
                    return
                yield from self._words(line, self._argument_names(command, rest))
                return
            yield from self._words(line, self._source_names(line))

        def _words(self, line: str, candidates: list[tuple[str, str]]) -> Iterator[Completion]:
            match = _WORD.search(line)
            word = match.group(0) if match else ""
            seen: set[str] = set()
            for name, meta in candidates:
                if name.startswith(word) and name != word and name not in seen:
                    seen.add(name)
                    yield Completion(name, -len(word), display_meta=meta)

        def _declared(self, *kinds: str) -> list[tuple[str, str]]:
            names = session.names()
            return [(name, kind) for kind in kinds for name in names.get(kind, [])]

        def _argument_names(self, command: Command, rest: str) -> list[tuple[str, str]]:
            if command.name in ("why", "check"):
                return self._declared("claim")
            if command.name == "objection":
                return self._declared("objection")
            if command.argument == "programs":
                if re.search(r"\bin\s+\w*$", rest):
                    return self._declared("scenario")
                return self._declared("program") + [("in", "keyword")]
            if command.argument == "formula":
                return self._source_names(rest)
            return self._declared("program", "primitive", "claim", "assumption", "scenario")

        def _source_names(self, line: str) -> list[tuple[str, str]]:
            before_word = _WORD.sub("", line).rstrip()
            previous = before_word.split()[-1] if before_word.split() else ""
            if previous == "exchange":
                return [(family, "exchange family") for family in EXCHANGE_FAMILIES]
            if re.search(r"\b(eventually in|for some)$", before_word):
                return self._declared("parameter") + [("costs", "keyword"), ("g", "keyword")]
            if previous == "in" or before_word.endswith("in"):
                return self._declared("scenario")
            if previous in ("beats", "extends"):
                return self._declared("program")
            if re.search(r"\b[ct]\($", before_word):
                return self._declared("primitive", "program")
            if previous in ("stores", "runs") or before_word.endswith("("):
                return self._declared("primitive")
            if previous in ("drop",):
                return self._declared("assumption", "claim")
            keywords = [(k, "keyword") for k in KEYWORDS if len(k) > 1]
            functions = [(f, "function") for f in ("max", "min", "log2")]
            return (
                keywords
                + functions
                + self._declared("program", "primitive", "scenario", "parameter")
            )

    return CostCompleter()


def _key_bindings(session: Session) -> Any:
    from prompt_toolkit.enums import DEFAULT_BUFFER
    from prompt_toolkit.filters import has_focus
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()
    editing = has_focus(DEFAULT_BUFFER)  # not while Ctrl-R search has the focus

    @bindings.add("enter", eager=True, filter=editing)
    def _enter(event: Any) -> None:
        """Submit a finished input; inside a block or after an operator, start a new line.
        Two empty lines in a row submit anyway (so the error shows), as does Esc Enter."""
        buffer = event.current_buffer
        text = buffer.text
        lines = text.split("\n")
        abandoned = len(lines) >= 3 and not lines[-1].strip() and not lines[-2].strip()
        if buffer.document.is_cursor_at_the_end and session.needs_more(text) and not abandoned:
            depth = text.count("{") - text.count("}")
            buffer.insert_text("\n" + ("  " if depth > 0 else ""))
            return
        if not buffer.document.is_cursor_at_the_end and session.needs_more(text):
            buffer.insert_text("\n")
            return
        buffer.validate_and_handle()

    @bindings.add("escape", "enter", filter=editing)
    def _submit(event: Any) -> None:
        event.current_buffer.validate_and_handle()

    return bindings


def prompt_session(
    session: Session, history: Any = None, input: Any = None, output: Any = None
) -> Any:
    """The prompt_toolkit session: history, Ctrl-R search, completion, highlighting."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.lexers import PygmentsLexer

    from calculus.lexer import CostLexer

    def continuation(width: int, line_number: int, wrap_count: int) -> str:
        return "." * (width - 1) + " "

    return PromptSession(
        PROMPT,
        multiline=True,
        prompt_continuation=continuation,
        key_bindings=_key_bindings(session),
        lexer=PygmentsLexer(CostLexer),
        completer=_completer(session),
        complete_while_typing=False,
        history=history if history is not None else _history(),
        auto_suggest=AutoSuggestFromHistory(),
        input=input,
        output=output,
    )


def run_interactive(
    session: Session,
    path: str | None,
    history: Any = None,
    input: Any = None,
    output: Any = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The loop on a terminal. Ctrl-C clears the line, Ctrl-D (or :quit) leaves."""
    out = out or sys.stdout
    err = err or sys.stderr
    prompt = prompt_session(session, history, input, output)
    out.write(BANNER + "\n")
    if path is not None:
        try:
            emit(session.load(path), out, err, colour=True)
        except KeyboardInterrupt:
            err.write(f"interrupted; {path} is not loaded\n")
    failures = 0
    while not session.done:
        try:
            text = prompt.prompt()
            failures = 0
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        except Exception as error:  # noqa: BLE001 - never a traceback, even from the terminal layer
            failures += 1
            err.write(f"internal error in the prompt: {type(error).__name__}: {error}\n")
            if failures >= _GIVE_UP_AFTER:
                err.write("cost: the prompt keeps failing; leaving\n")
                return 2
            continue
        try:
            outputs = session.eval(text)
        except KeyboardInterrupt:
            err.write("interrupted; the session is unchanged\n")
            continue
        emit(outputs, out, err, colour=True)
    return 0
