"""``cost synth``: an exact minimum circuit for truth tables given in hex, as text or JSON.

Exit status 0 with a proved minimum, 1 when the time limit (or Ctrl-C) left it unknown,
2 on bad input (a one-line message on stderr, never a traceback).  An unfinished search
still reports the proved lower bound and the best circuit found ("between L and U
gates"); on a terminal a progress line on stderr shows both and the elapsed time.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from .specification import MAX_INPUTS, SpecificationError
from .synthesis import BASES, MEASURES, SearchProgress, SynthesisResult, synthesize


class _UsageError(Exception):
    """Bad command-line input, reported as ``cost synth: error: ...`` with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cost synth",
        description=(
            "Exact minimum circuit for a truth table. Bit i of HEX is the value on input "
            "assignment i, x1 the least significant bit of i; one --table per output. Size "
            "counts 2-input gates; constants, inputs and output inversions are free."
        ),
    )
    parser.add_argument("--inputs", type=int, required=True, metavar="N", help="number of inputs")
    parser.add_argument(
        "--table", action="append", required=True, metavar="HEX", help="truth table of an output"
    )
    parser.add_argument(
        "--dont-care",
        action="append",
        default=None,
        metavar="HEX",
        help="assignments whose bit is set are free (one mask, or one per --table)",
    )
    parser.add_argument("--basis", choices=BASES, default="b2")
    parser.add_argument("--measure", choices=MEASURES, default="size")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--timeout", type=_seconds, default=None, metavar="S", help="seconds (positive, finite)"
    )
    return parser


def _seconds(text: str) -> float:
    """A positive finite number of seconds (argparse reports the message)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the time limit must be a positive finite number of seconds"
        )
    return value


def _hex(text: str, what: str, inputs: int) -> int:
    cleaned = text.strip().lower().removeprefix("0x").replace("_", "")
    try:
        value = int(cleaned, 16)
    except ValueError:
        raise _UsageError(f"{what} {text!r} is not a hexadecimal number") from None
    if value < 0 or value.bit_length() > (1 << inputs):
        raise _UsageError(
            f"{what} {text!r} has more than {1 << inputs} bits, too many for {inputs} inputs"
        )
    return value


def _unit(result: SynthesisResult) -> str:
    return "gates" if result.measure == "size" else f"({result.measure})"


def bounds_text(result: SynthesisResult) -> str:
    """``between L and U gates`` (or ``at least L gates`` when nothing was found)."""
    if result.upper is None:
        return f"at least {result.lower} {_unit(result)}"
    return f"between {result.lower} and {result.upper} {_unit(result)}"


def render_text(result: SynthesisResult) -> str:
    """The plain-text report: a summary line, the minimality proof, the listing."""
    if result.circuit is None:
        lines = [f"unknown: {result.reason}"]
        if result.status == "unknown":
            lines.append(f"minimum {bounds_text(result)}")
        if result.best is not None:
            best = result.best
            lines.append(
                f"best circuit found: size {best.size}, depth {best.depth} "
                f"(basis {result.basis}, measure {result.measure} = {result.upper}), "
                "checked by simulation"
            )
            lines.append(best.listing())
        return "\n".join(lines)
    circuit = result.circuit
    lines = [
        f"size {circuit.size}, depth {circuit.depth} "
        f"(basis {result.basis}, measure {result.measure} = {result.cost})",
        f"{'proved minimal' if result.proved_minimal else result.status}: {result.reason}",
        circuit.listing(),
    ]
    return "\n".join(lines)


def synth_main(
    argv: Sequence[str], stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``cost synth`` with ``argv`` (the arguments after ``synth``); return the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        args = _parser().parse_args(list(argv))
        if not 0 <= args.inputs <= MAX_INPUTS:
            raise _UsageError(f"--inputs must be between 0 and {MAX_INPUTS}")
        tables = [_hex(t, "table", args.inputs) for t in args.table]
        dont_care = (
            None
            if args.dont_care is None
            else [_hex(t, "don't-care mask", args.inputs) for t in args.dont_care]
        )
        with _progress_line(err) as progress:
            result = synthesize(
                args.inputs,
                tables,
                dont_care=dont_care,
                basis=args.basis,
                measure=args.measure,
                timeout=args.timeout,
                progress=progress,
                interruptible=True,
                tighten=True,
            )
    except (_UsageError, SpecificationError) as error:
        print(f"cost synth: error: {error}", file=err)
        return 2
    except SystemExit as exit_request:  # --help
        return int(exit_request.code or 0)
    if args.format == "json":
        data = {
            "inputs": args.inputs,
            "tables": [f"{t:x}" for t in tables],
            **result.to_json(),
        }
        print(json.dumps(data, indent=2), file=out)
    else:
        print(render_text(result), file=out)
    return 0 if result.status == "optimal" else 1


@contextmanager
def _progress_line(err: TextIO) -> Iterator[Callable[[SearchProgress], None] | None]:
    """A rich status line on ``err`` when it is a terminal (else no progress is shown)."""
    if not (hasattr(err, "isatty") and err.isatty()):
        yield None
        return
    from rich.console import Console

    console = Console(file=err, stderr=True)
    with console.status("synthesizing…") as status:

        def show(state: SearchProgress) -> None:
            best = "none yet" if state.upper is None else str(state.upper)
            doing = (
                f"looking below the best with {state.gates} gates"
                if state.tightening
                else f"asking for {state.gates} gates"
                + ("" if state.depth_bound is None else f" at depth <= {state.depth_bound}")
            )
            status.update(
                f"proved >= {state.lower}, best found {best} · {doing} · {state.elapsed:.1f} s"
            )

        yield show
