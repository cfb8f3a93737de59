"""The `cost` command: check, report, repl and synth.

Exit codes (DESIGN §5): 0 when every claim and refute passes, 1 when any fails or is
unknown, 2 on an input error. Python tracebacks never reach the user.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_INPUT)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cost", description="Machine-checked arguments about simplicity and speed priors."
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = commands.add_parser("check", help="decide every claim and compute every range")
    check.add_argument("paths", nargs="+", metavar="FILE|DIR")
    check.add_argument("--format", choices=("text", "json"), default="text")
    detail = check.add_mutually_exclusive_group()
    detail.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="every claim's detail (the default for a single file)",
    )
    detail.add_argument(
        "-q", "--quiet", action="store_true", help="only what fails, and the count line"
    )
    check.add_argument(
        "--timeout",
        type=_positive,
        default=10.0,
        metavar="S",
        help="seconds per solver obligation (default 10)",
    )
    _parallel_options(check)
    check.add_argument(
        "--certify",
        action="store_true",
        help="re-decide every proved claim with cvc5 from a separate SMT-LIB encoding; "
        "a disagreement makes it unknown (needs the `certify` extra)",
    )
    check.add_argument(
        "--smtlib",
        metavar="DIR",
        help="write every obligation to DIR as SMT-LIB2 (FILE.CLAIM.smt2; unsat = it holds)",
    )
    report = commands.add_parser("report", help="write a proof report (HTML or Markdown)")
    report.add_argument("path", metavar="FILE")
    report.add_argument("-o", "--output", required=True, metavar="OUT.html|OUT.md")
    report.add_argument("--timeout", type=_positive, default=10.0, metavar="S")
    _parallel_options(report)
    repl = commands.add_parser("repl", help="explore a model interactively")
    repl.add_argument("path", nargs="?", metavar="FILE")
    repl.add_argument("--timeout", type=_positive, default=10.0, metavar="S")
    commands.add_parser("synth", help="exact minimal circuit for a truth table", add_help=False)
    fmt = commands.add_parser("fmt", help="rewrite files in the canonical layout")
    fmt.add_argument(
        "paths", nargs="+", metavar="FILE|DIR|-", help="`-` reads stdin, writes stdout"
    )
    fmt.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when a file would change"
    )
    fmt.add_argument("--diff", action="store_true", help="print the changes; write nothing")
    lsp = commands.add_parser("lsp", help="a Language Server over stdio, for editors")
    lsp.add_argument("--timeout", type=_positive, default=10.0, metavar="S")
    return parser


def _parallel_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--workers",
        type=int,
        nargs="?",
        const=0,
        default=None,
        metavar="N",
        help="run sweeps on a local Dask cluster of N workers (default: the machine's cores)",
    )
    command.add_argument(
        "--scheduler", metavar="ADDRESS", help="run sweeps on the Dask cluster at ADDRESS"
    )


def _configure_parallel(options: argparse.Namespace) -> None:
    workers, scheduler = getattr(options, "workers", None), getattr(options, "scheduler", None)
    if workers is not None or scheduler is not None:
        from calculus.circuits.sweep import configure

        configure(workers=workers, scheduler=scheduler)


# The collector's thresholds while checking: the first generation is collected after 200,000
# allocations instead of 700 (mypy's setting, for the same reason).
COLLECTION_THRESHOLDS = (200_000, 30, 30)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the checker's modules load. Importing sympy,
    z3 and lark makes some hundred thousand long-lived objects and no garbage to speak of,
    yet the collector would traverse them again and again (about a fifth of the import
    time); the modules are then moved out of its view (`gc.freeze`), so the collections
    made while checking traverse only what the check allocates. Collections then run less
    often (`COLLECTION_THRESHOLDS`): a check allocates millions of short-lived containers
    (sympy's and z3's expressions, the explanations' polynomials) and keeps what it decided,
    and at the default thresholds a tenth of its time went to collecting them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.set_threshold(*COLLECTION_THRESHOLDS)
            gc.enable()


def lsp_command(timeout: float) -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        sys.stderr.write(
            "cost: error: the language server needs pygls: pip install 'cost-calculus[lsp]'\n"
        )
        return EXIT_INPUT
    with collection_paused():
        from calculus.lsp import serve

    return serve(timeout)


def check_command(
    paths: list[str],
    output_format: str,
    timeout: float,
    verbose: bool = False,
    quiet: bool = False,
    certify: bool = False,
    smtlib: str | None = None,
) -> int:
    """Check files. Text output: every claim's detail for a single file (or with `-v`); for
    a directory one line per passing claim and detail for what fails; `-q` only failures."""
    from pathlib import Path

    with collection_paused():
        from calculus.check import check_file, gather_files
        from calculus.output import (
            brief_file_lines,
            file_json,
            file_lines,
            print_diagnostics,
            print_lines,
            summary_line,
            without_repeats,
        )

    brief = quiet or (not verbose and any(Path(p).is_dir() for p in paths))
    files = gather_files(paths)
    if not files:
        sys.stderr.write("cost: error: no .cost files found in " + ", ".join(paths) + "\n")
        return EXIT_INPUT
    results = []
    for path in files:
        result = check_file(path, timeout)
        if certify or smtlib:
            from calculus.certify import certify_file

            try:
                result = certify_file(result, timeout, certify, Path(smtlib) if smtlib else None)
            except OSError as error:
                sys.stderr.write(f"cost: error: cannot write to {smtlib}: {error.strerror}\n")
                return EXIT_INPUT
        results.append(result)
        print_diagnostics(result)
        if output_format == "text" and not result.input_error:
            lines = brief_file_lines(result, quiet) if brief else file_lines(result)
            if lines:
                print_lines(without_repeats(lines))
    if output_format == "json":
        import json

        documents = [file_json(r) for r in results]
        payload = documents[0] if len(documents) == 1 else documents
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        print_lines([summary_line(results)])
    if any(r.input_error for r in results):
        return EXIT_INPUT
    return EXIT_OK if all(r.ok for r in results) else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    from calculus.limits import Terminated, install_signal_handlers, quiet_finalizers

    install_signal_handlers()
    try:
        if arguments[:1] == ["synth"]:
            with collection_paused():
                from calculus.circuits.cli import synth_main

            return synth_main(arguments[1:])
        parser = build_parser()
        options = parser.parse_args(arguments)
        _configure_parallel(options)
        if options.command == "check":
            return check_command(
                options.paths,
                options.format,
                options.timeout,
                options.verbose,
                options.quiet,
                options.certify,
                options.smtlib,
            )
        if options.command == "report":
            with collection_paused():
                from calculus.report import report_command

            return report_command(options.path, options.output, options.timeout)
        if options.command == "lsp":
            return lsp_command(options.timeout)
        if options.command == "fmt":
            with collection_paused():
                from calculus.formatter import fmt_command

            return fmt_command(options.paths, options.check, options.diff)
        if options.command == "repl":
            with collection_paused():
                from calculus.repl import repl_command

            return repl_command(options.path, options.timeout)
        parser.print_help()
        return EXIT_INPUT
    except KeyboardInterrupt:
        quiet_finalizers()
        sys.stderr.write("cost: interrupted\n")
        return 130
    except Terminated:
        quiet_finalizers()
        sys.stderr.write("cost: terminated\n")
        return 143
    except SystemExit as exit_:
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the last line of defence against tracebacks
        sys.stderr.write(f"cost: internal error: {type(error).__name__}: {error}\n")
        return EXIT_FAILED


def run() -> None:
    sys.exit(main())
