"""Fuzzing support shared by tests/test_fuzz.py (a short run) and benchmarks/fuzz.py (a long one).

Inputs come from two sources: a grammar-aware generator of `.cost` files (every statement
kind, names that may be undeclared, numerals from tiny to absurd, deep nesting, divisions)
and mutations of the files under proofs/ and tests/cases/. Each input is run through the
real command line (`cost check`, `cost repl` fed on stdin, `cost synth`, `cost report`:
the command line's `main`, whose exit code and output are what a user sees) and judged on
three things only: no traceback (nor an "internal error"), an exit code in {0, 1, 2}, and
finishing within the time bound.

Two ways to run an input: `run` forks a child per input (full isolation, for the short run
in the tests); `Campaign` keeps a few long-lived worker processes that run input after input
in-process, with a watchdog that kills and restarts a worker whose input passes the time
bound (a hang) or which dies (a crash), for the long run.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "proofs").glob("*.cost")) + sorted(
    (ROOT / "tests" / "cases").rglob("*.cost")
)

# ---- grammar-aware generation --------------------------------------------------------------

PRIMITIVES = ["a", "b", "d", "e", "find", "env"]
PROGRAMS = ["P", "Q", "R"]
FAMILIES = ["linear", "monotone", "subadditive", "superadditive", "concave"]
OPS = ["<", "<=", ">", ">=", "=", "!="]
CONNECTIVES = ["and", "or", "->", "<->"]
NUMBERS = [
    "0", "1", "2", "3", "1/2", "3/4", "0.5", ".25", "1e6", "2.5e-3", "10", "100",
    "1e999999", "9" * 400, "1e-999999", "123456789012345678901234567890", "0.000",
]  # fmt: skip
STRINGS = ['"t"', '"a \\"quoted\\" title"', '"\\x"', '"\\u12"', '"\\N{nope}"', '"\\ud800"', '"é∑"']


class Generator:
    """Random `.cost` source text. A quarter of the files are hostile (absurd numerals and
    exponents, bad escapes, undeclared names, deep nesting, huge bit expressions); the rest
    are meant to be well-formed, so that most of them reach the deciding stages."""

    def __init__(self, rng: random.Random, hostile: bool | None = None):
        self.rng = rng
        self.hostile = rng.random() < 0.25 if hostile is None else hostile
        self.programs = list(PROGRAMS)  # the programs an atom may name

    def rare(self, probability: float) -> bool:
        """A hostile choice: only in hostile files."""
        return self.hostile and self.rng.random() < probability

    def pick(self, items: list[str]) -> str:
        return self.rng.choice(items)

    def number(self) -> str:
        if not self.rare(0.15):
            return self.pick(NUMBERS[:12])
        return self.pick(NUMBERS)

    def term(self, depth: int = 0) -> str:
        head = self.pick(PRIMITIVES + (["zz"] if self.rare(0.05) else []))
        if depth < 2 and self.rng.random() < 0.2:
            return f"{head}({self.term(depth + 1)})"
        return head

    def atom(self, family: str) -> str:
        """`family` "formula": an atom of a program's formula (no g)."""
        roll = self.rng.random()
        programs = PROGRAMS if self.rare(0.1) else self.programs
        if roll < 0.55 or (not programs and roll < 0.7):
            return f"{self.pick(['c', 't'])}({self.term()})"
        if roll < 0.7:
            return f"{self.pick(['c', 't'])}({self.pick(programs)})"
        if roll < 0.85 or family == "formula":
            return self.number()
        if family == "linear" and self.rng.random() < 0.7:
            return "g"
        return f"g(c({self.pick(PRIMITIVES + programs)}))"

    def expr(self, family: str, depth: int = 0) -> str:
        if depth > 2 or self.rng.random() < 0.4:
            return self.atom(family)
        roll = self.rng.random()
        left, right = self.expr(family, depth + 1), self.expr(family, depth + 1)
        if roll < 0.35:
            return f"{left} + {right}"
        if roll < 0.55:
            return f"{left} - {right}"
        if roll < 0.75:
            return f"{left} * {right}"
        if roll < 0.9:
            return f"{left} / ({right})"
        if roll < 0.95:
            exponents = ["2", "3", "-1", "0", "1/2"] + (["100000", "9999999999"] * self.hostile)
            return f"({left}) ^ {self.pick(exponents)}"
        return f"-({left})"

    def comparison(self, family: str) -> str:
        if self.rng.random() < 0.2:
            programs = PROGRAMS if self.rare(0.1) or not self.programs else self.programs
            beats = f"{self.pick(programs)} beats {self.pick(programs)}"
            return beats + self.pick(["", "", " on c", " on t"])
        return f"{self.expr(family)} {self.pick(OPS)} {self.expr(family)}"

    def formula(self, family: str, depth: int = 0) -> str:
        if depth > 1 or self.rng.random() < 0.6:
            return self.comparison(family)
        if self.rng.random() < 0.15:
            return f"not ({self.formula(family, depth + 1)})"
        left, right = self.formula(family, depth + 1), self.formula(family, depth + 1)
        return f"({left}) {self.pick(CONNECTIVES)} ({right})"

    def program(self, name: str, earlier: list[str], family: str) -> str:
        head = f"program {name}"
        if earlier and self.rng.random() < 0.4:
            head += f" extends {self.pick(earlier)}"
        items = []
        if self.rng.random() < 0.2:
            self.programs = list(earlier)
            items.append(f"c = {self.expr('formula')}")
            items.append(f"t = {self.expr('formula')}")
        else:
            stores = ", ".join(self.term() for _ in range(self.rng.randint(1, 3)))
            runs = ", ".join(
                (f"{self.rng.randint(1, 4)} * " if self.rng.random() < 0.3 else "") + self.term()
                for _ in range(self.rng.randint(1, 3))
            )
            items += [f"stores {stores}", f"runs {runs}"]
        return head + " {\n  " + "\n  ".join(items) + "\n}"

    def task_block(self) -> str:
        expr = "q1"
        for _ in range(self.rng.choice([1, 3, 40, 400] if self.hostile else [1, 3])):
            expr = f"({expr} {self.pick(['and', 'or', 'xor'])} {self.pick(['y1', 'q1', 'not q1'])})"
        return (
            "task tk {\n  inputs y1, q1\n  outputs o\n"
            f"  intended o = {expr}\n  train where y1\n}}\n"
            "tasks ts { tk }\nreduction rd {\n  tasks ts\n  bad tk\n  property deceptive\n}"
        )

    def source(self) -> str:
        rng = self.rng
        family = self.pick(FAMILIES[:4]) if rng.random() < 0.5 else "linear"
        lines: list[str] = []
        if rng.random() < 0.3:
            lines.append(f"model {self.pick(STRINGS if self.hostile else STRINGS[:2])}")
        flagged = [p + (" (nonneg)" if rng.random() < 0.2 else "") for p in PRIMITIVES[:4]]
        lines.append("primitive " + ", ".join(flagged))
        lines.append("primitive find, env")
        if rng.random() < 0.2:
            lines.append(f"primitive fixed {{ c = {self.number()}; t = {self.number()} }}")
        declared: list[str] = []
        for name in PROGRAMS:
            if rng.random() < 0.85:
                lines.append(self.program(name, declared, family))
                declared.append(name)
        self.programs = list(declared)
        if family != "linear" or rng.random() < 0.3:
            lines.append(f"exchange {family if not self.rare(0.1) else 'concave'}")
        for index in range(rng.randint(0, 2)):
            lines.append(f"assume h{index}: {self.formula(family)}")
        for index in range(rng.randint(1, 2)):
            kind = "claim" if rng.random() < 0.8 else "refute"
            suffix = " for some g" if rng.random() < 0.2 else ""
            lines.append(f"{kind} k{index}: {self.formula(family)}{suffix}")
        if rng.random() < 0.3:
            lines.append(
                "scenario s { "
                + "; ".join(f"c({p}) = {self.number()}" for p in PRIMITIVES[:2])
                + f"; default = {self.number()} }}"
            )
            lines.append("ranges " + ", ".join(declared or PROGRAMS) + " in s")
        if rng.random() < 0.15:
            lines.append("ranges " + ", ".join(declared or PROGRAMS))
        if rng.random() < 0.05:
            lines.append(self.task_block())
        if self.rare(0.1):
            depth = rng.choice([50, 500, 5000])
            lines.append("claim deep: " + "(" * depth + "c(a)" + ")" * depth + " > 0")
        return "\n".join(lines) + "\n"


# ---- mutations of real files ---------------------------------------------------------------

TOKENS = [
    "(", ")", "{", "}", ";", ",", ":", "->", "<->", "not", "and", "or", "+", "-", "*", "/",
    "^", "<", "<=", "=", "!=", "g", "c(", "t(", "beats", "for some g", "program", "claim",
    "assume", "refute", "ranges", "scenario", "task", "tasks", "reduction", "extends",
    "stores", "runs", "1e999999", "10^10^10", "0", "/0", '"\\q"', "\\", "\n", "\t", "é",
    "\ud800", "\x00", "# comment", "exchange monotone", "exchange subadditive", "for some costs",
]  # fmt: skip


def mutate(text: str, rng: random.Random) -> str:
    """One to four random edits: delete, duplicate or swap lines, cut or insert tokens."""
    for _ in range(rng.randint(1, 4)):
        lines = text.split("\n")
        roll = rng.random()
        if roll < 0.15 and len(lines) > 1:
            del lines[rng.randrange(len(lines))]
        elif roll < 0.3:
            index = rng.randrange(len(lines))
            lines.insert(index, lines[index])
        elif roll < 0.4 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        text = "\n".join(lines)
        if roll >= 0.4:
            position = rng.randrange(len(text) + 1)
            if roll < 0.6 and text:
                text = text[:position] + text[position + rng.randint(1, 12) :]
            elif roll < 0.7:
                text = text[: rng.randrange(len(text) + 1)]
            else:
                text = text[:position] + " " + rng.choice(TOKENS) + " " + text[position:]
    return text


def seed_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in SEED_FILES]


def repl_script(rng: random.Random, body: str) -> str:
    """A REPL session: the statements of `body` interleaved with commands, good and bad."""
    commands = [
        ":load /nonexistent/file.cost", ":load", ":load " + str(ROOT / "proofs"),
        ":report /nonexistent/dir/out.html", ":report out.txt", ":save /nonexistent/x.cost",
        ":show", ":show P", ":check", ":why", ":why k0", ":ranges P, Q", ":ranges P in zz",
        ":assume c(a) >", ":forget zz", ":help", ":bogus", ":reload", "claim c(a) > 0",
        "claim bad: c(a) / (c(a) - c(b)) > 0", ":check bad",
    ]  # fmt: skip
    lines = body.split("\n")
    for _ in range(rng.randint(1, 5)):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(commands))
    return "\n".join(lines) + "\n:quit\n"


def synth_arguments(rng: random.Random) -> list[str]:
    inputs = rng.choice(["0", "1", "2", "3", "-1", "99", "x"])
    arguments = ["--inputs", inputs, "--table", rng.choice(["0", "6", "8", "e8", "zz", "1" * 40])]
    if rng.random() < 0.5:
        arguments += ["--timeout", rng.choice(["1", "0.5", "inf", "nan", "-1", "0", "1e999"])]
    if rng.random() < 0.3:
        arguments += ["--basis", rng.choice(["b2", "aig", "xyz"])]
    if rng.random() < 0.3:
        arguments += ["--measure", rng.choice(["size", "depth", "size+depth", "weight"])]
    return arguments


@dataclass(frozen=True)
class FuzzInput:
    """One run of the command line: its arguments, the file text (if any) and stdin."""

    command: str  # check | repl | synth | report
    text: str = ""
    arguments: tuple[str, ...] = ()


def make_input(rng: random.Random, seeds: list[str]) -> FuzzInput:
    roll = rng.random()
    if roll < 0.45:
        text = Generator(rng).source()
        if rng.random() < 0.3:
            text = mutate(text, rng)
        return FuzzInput("check", text)
    if roll < 0.85:
        return FuzzInput("check", mutate(rng.choice(seeds), rng))
    if roll < 0.93:
        body = Generator(rng).source() if rng.random() < 0.7 else mutate(rng.choice(seeds), rng)
        return FuzzInput("repl", repl_script(rng, body))
    if roll < 0.97:
        return FuzzInput("synth", arguments=tuple(synth_arguments(rng)))
    text = Generator(rng).source()
    return FuzzInput("report", text, (rng.choice(["out.html", "out.md", "/nonexistent/o.html"]),))


# ---- running one input ---------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None  # None: killed after the time bound (a hang) or by a signal
    output: str
    seconds: float
    hang: bool

    @property
    def traceback(self) -> bool:
        """A Python traceback, an internal error, a crash or an exit code outside {0, 1, 2}."""
        if self.hang:
            return False
        if "Traceback (most recent call last)" in self.output or "internal error" in self.output:
            return True
        return self.exit_code not in (0, 1, 2)


MEMORY_LIMIT = 4 * 1024**3


def preload() -> None:
    """Import what every run needs once, in the parent, so that forked children start fast."""
    import calculus.check  # noqa: F401
    import calculus.cli  # noqa: F401
    import calculus.dominance  # noqa: F401
    import calculus.logic  # noqa: F401
    import calculus.output  # noqa: F401


def _child(item: FuzzInput, directory: str, timeout: float) -> int:
    from calculus.cli import main

    os.chdir(directory)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    path = os.path.join(directory, "input.cost")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
        handle.write(item.text)
    if item.command == "check":
        argv = ["check", path, "--timeout", str(timeout)]
    elif item.command == "repl":
        sys.stdin = io.StringIO(item.text.encode("utf-8", "replace").decode("utf-8"))
        argv = ["repl", "--timeout", str(timeout)]
    elif item.command == "synth":
        argv = ["synth", *item.arguments]
    else:
        argv = ["report", path, "-o", item.arguments[0], "--timeout", str(timeout)]
    return main(argv)


def run(item: FuzzInput, timeout: float = 1.0, bound: float = 20.0) -> Outcome:
    """Run one input in a forked child; a child still running after `bound` s is a hang."""
    with tempfile.TemporaryDirectory(prefix="cost-fuzz-") as directory:
        log = os.path.join(directory, "output.txt")
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller
            code = 3
            try:
                descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(descriptor, 1)
                os.dup2(descriptor, 2)
                sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
                os.setpgid(0, 0)
                code = _child(item, directory, timeout)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 3
            except BaseException:  # noqa: BLE001 - reported as a traceback by the parent
                import traceback

                traceback.print_exc()
                code = 3
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        status = 0
        hang = False
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - started > bound:
                hang = True
                for target in (-pid, pid):
                    try:
                        os.kill(target, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                _, status = os.waitpid(pid, 0)
                break
            time.sleep(0.005)
        seconds = time.monotonic() - started
        with open(log, encoding="utf-8", errors="replace") as handle:
            output = handle.read()
    exit_code = os.waitstatus_to_exitcode(status) if not hang else None
    if exit_code is not None and exit_code < 0:
        output += f"\n[killed by signal {-exit_code}]"
    return Outcome(exit_code, output, seconds, hang)


# ---- running inputs in-process, in long-lived workers --------------------------------------


def _argv(item: FuzzInput, path: str, timeout: float) -> list[str]:
    if item.command == "check":
        return ["check", path, "--timeout", str(timeout)]
    if item.command == "repl":
        return ["repl", "--timeout", str(timeout)]
    if item.command == "synth":
        return ["synth", *item.arguments]
    return ["report", path, "-o", item.arguments[0], "--timeout", str(timeout)]


def run_inline(item: FuzzInput, timeout: float, directory: str) -> tuple[int, str]:
    """Run one input through the command line's `main` in this process: its exit code (3
    for an exception that escaped `main`) and everything it wrote to stdout and stderr.

    The streams are UTF-8 with strict errors, as a terminal's are; stdin is the REPL script
    (empty for the other commands)."""
    from calculus.cli import main

    path = os.path.join(directory, "input.cost")
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as handle:
        handle.write(item.text)
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    script = item.text.encode("utf-8", "replace").decode("utf-8") if item.command == "repl" else ""
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout = sys.stderr = stream
    sys.stdin = io.StringIO(script)
    sys.unraisablehook = sys.__unraisablehook__  # an earlier interrupt may have silenced it
    try:
        code = main(_argv(item, path, timeout))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 3
    except BaseException:  # noqa: BLE001 - judged as a traceback
        import traceback

        traceback.print_exc(file=stream)
        code = 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr, sys.stdin = saved
        for name in os.listdir(directory):  # what a report wrote, and the input
            target = os.path.join(directory, name)
            if os.path.isfile(target) or os.path.islink(target):
                os.unlink(target)
    stream.flush()
    return code, raw.getvalue().decode("utf-8", "replace")


def _serve(connection: Connection, timeout: float) -> None:
    """A worker: its own process group (so a kill reaches the solvers it started), a memory
    limit, C-level output discarded, then input after input until the pipe closes."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the campaign ends its workers itself
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    directory = tempfile.mkdtemp(prefix="cost-fuzz-")
    os.chdir(directory)
    while True:
        try:
            item = connection.recv()
        except (EOFError, OSError):
            break
        if item is None:
            break
        started = time.monotonic()
        code, output = run_inline(item, timeout, directory)
        connection.send((code, output[-20_000:], time.monotonic() - started))
    os.rmdir(directory)


class Worker:
    """One long-lived worker process and the pipe to it."""

    def __init__(self, timeout: float):
        context = multiprocessing.get_context("fork")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, timeout), daemon=True)
        self.process.start()
        child.close()
        self.item: FuzzInput | None = None
        self.index = -1
        self.started = 0.0

    def give(self, index: int, item: FuzzInput) -> None:
        self.index, self.item, self.started = index, item, time.monotonic()
        self.connection.send(item)

    def kill(self) -> None:
        pid = self.process.pid
        if pid is not None:
            for target in (lambda: os.killpg(pid, signal.SIGKILL), self.process.kill):
                try:
                    target()
                except (ProcessLookupError, PermissionError):
                    pass
        self.process.join(5)
        self.connection.close()

    def close(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.kill()
        else:
            self.connection.close()


Report = Callable[[int, FuzzInput, Outcome], None]


def campaign(
    items: Iterable[FuzzInput],
    report: Report,
    workers: int = 1,
    timeout: float = 0.05,
    bound: float = 20.0,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Run every input in `workers` long-lived processes; `report(index, input, outcome)`
    for each, in the order they finish. An input still running after `bound` seconds is a
    hang: its worker is killed (with the solvers it started) and replaced; a worker that
    dies (a crash, a signal, the memory limit) is replaced too and its input is reported
    with exit code None as a traceback."""
    preload()  # imported once here; forked workers start with it
    source: Iterator[tuple[int, FuzzInput]] = enumerate(items)
    pool = [Worker(timeout) for _ in range(max(workers, 1))]
    busy: dict[int, Worker] = {}
    exhausted = False
    try:
        while True:
            for slot, worker in enumerate(pool):
                if slot in busy or exhausted:
                    continue
                if stop():
                    exhausted = True
                    break
                try:
                    index, item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                worker.give(index, item)
                busy[slot] = worker
            if not busy:
                break
            now = time.monotonic()
            soonest = min(w.started + bound for w in busy.values())
            ready = wait([w.connection for w in busy.values()], max(soonest - now, 0.0))
            for slot, worker in list(busy.items()):
                assert worker.item is not None
                outcome: Outcome | None = None
                if worker.connection in ready:
                    try:
                        code, output, seconds = worker.connection.recv()
                        outcome = Outcome(code, output, seconds, False)
                    except (EOFError, OSError):
                        worker.process.join(5)
                        died = worker.process.exitcode
                        seconds = time.monotonic() - worker.started
                        note = f"[the worker died: exit status {died}]"
                        outcome = Outcome(None, note, seconds, False)
                elif time.monotonic() - worker.started > bound:
                    outcome = Outcome(None, "", time.monotonic() - worker.started, True)
                if outcome is None:
                    continue
                del busy[slot]
                if outcome.exit_code is None:  # killed or died: a fresh worker
                    worker.kill()
                    pool[slot] = Worker(timeout)
                report(worker.index, worker.item, outcome)
    finally:
        for worker in pool:
            worker.close()
