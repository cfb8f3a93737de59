"""Fuzzing, short run: generated and mutated inputs through the real command line.

Each input runs in a forked child (tests/fuzzing.py) and must end with an exit code in
{0, 1, 2}, without a traceback or an internal error, within a time bound. The long run is
benchmarks/fuzz.py. Also here: the inputs the long runs found, and SIGINT/SIGTERM.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fuzzing import FuzzInput, Generator, make_input, mutate, preload, run, seed_texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TIMEOUT = 1.0  # seconds per solver obligation
BOUND = 45.0  # seconds per input: generous, the machine is shared
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
SEEDS = seed_texts()

preload()


def _judge(item: FuzzInput) -> None:
    outcome = run(item, TIMEOUT, BOUND)
    assert not outcome.hang, f"no answer within {BOUND} s:\n{item.text}"
    assert not outcome.traceback, f"{outcome.output}\n---- input ----\n{item.text}"
    assert outcome.exit_code in (0, 1, 2)


@given(st.randoms(use_true_random=False))
@FUZZ
def test_generated_files(rng: random.Random) -> None:
    _judge(FuzzInput("check", Generator(rng).source()))


@given(st.randoms(use_true_random=False), st.sampled_from(SEEDS))
@FUZZ
def test_mutated_files(rng: random.Random, seed: str) -> None:
    _judge(FuzzInput("check", mutate(seed, rng)))


@given(st.text(max_size=200))
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_arbitrary_text(text: str) -> None:
    _judge(FuzzInput("check", text))


@given(st.randoms(use_true_random=False))
@FUZZ
def test_mixed_commands(rng: random.Random) -> None:
    _judge(make_input(rng, SEEDS))


# ---- inputs the long runs found ------------------------------------------------------------

FOUND = {
    "bad escape in the title": 'model "a\\q"\nprimitive a\n',
    "division by the constant zero": "primitive a\nclaim k: c(a) / (2 - 2) > 0\n",
    "division by an expression that is zero": "primitive a\nclaim k: 1 / (c(a) - c(a)) > 0\n",
    "power of zero to a negative exponent": "primitive a\nclaim k: c(a) < 0^(-1)\n",
    "big product of numerals": "primitive a\nclaim k: c(a) < " + " * ".join(["9" * 900] * 8) + "\n",
    "ranges under a non-linear assumption about g": (
        "primitive a, b\nprogram P {\n  stores a\n  runs b\n}\n"
        "program Q {\n  stores b\n  runs a\n}\nassume h: g * c(a) * t(b) != 1\nranges P, Q\n"
    ),
}


DEEP_BITS = "q1"
for _ in range(400):
    DEEP_BITS = f"({DEEP_BITS} xor y1)"
FOUND["a bit expression nested 400 deep"] = (
    f"task tk {{\n  inputs y1, q1\n  outputs o\n  intended o = {DEEP_BITS}\n  train where y1\n}}\n"
    "tasks ts { tk }\nreduction rd {\n  tasks ts\n  bad tk\n  property deceptive\n}\n"
)
FOUND["a tower of exponents"] = "primitive a\nclaim k: c(a) < 10^10^10^10\n"
FOUND["ranges of non-linear costs under an assumption only about g"] = (
    "primitive a, b, d, e\nprogram Q { stores a; runs a, b }\n"
    "program R {\n  c = t(e) - t(d) * t(a)\n  t = c(b) + 10 - 100 / c(e)\n}\n"
    "assume h0: 0 >= g\nranges Q, R\n"
)
FOUND["a name as a scenario value"] = (
    "primitive a, b\nprogram P { stores a; runs a }\nprogram Q { stores b; runs b }\n"
    "scenario s { c(a) = 3; c(b) = e6; default = n }\nranges P, Q in s\n"
)
FOUND["ranges under an assumption dividing by zero"] = (
    "primitive a, b\nprogram P { stores a; runs a }\nprogram Q { stores b; runs a }\n"
    "assume h: 2 / (0 / c(a)) > 1\nranges P, Q\n"
)


@pytest.mark.parametrize("text", list(FOUND.values()), ids=list(FOUND))
def test_found_inputs(text: str) -> None:
    _judge(FuzzInput("check", text))


REPL_FOUND = {
    "load a missing file": ":load /nonexistent/file.cost\n:check\n",
    "load a directory": ":load /\n:show\n",
    "report after an error": "claim c(zz) > 0\n:report out.html\n",
    "report with a wrong suffix": "primitive a\n:report out.txt\n",
    "report into a missing directory": "primitive a\n:report /nonexistent/dir/out.md\n",
    "paths with a NUL byte": ":load a\x00b.cost\n:save x\x00y.cost\n:report q\x00.html\n",
    "import of a path with a NUL byte": 'import "x.\x00cost"\nprimitive a\n:check\n',
}


@pytest.mark.parametrize("text", list(REPL_FOUND.values()), ids=list(REPL_FOUND))
def test_found_repl_inputs(text: str) -> None:
    _judge(FuzzInput("repl", text + ":quit\n"))


# ---- signals -------------------------------------------------------------------------------

SLOW = """\
primitive a, b, d, e
exchange superadditive
""" + "\n".join(
    f"claim k{i}: g(c(a) * c(b) + {i}) + g(c(d) * c(e)) <= g(c(a) * c(e) + c(b) * c(d) + {i})"
    for i in range(400)  # far more than a check gets through before the signal
)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_end_a_check_cleanly(tmp_path: Path, signum: int, code: int) -> None:
    path = tmp_path / "slow.cost"
    path.write_text(SLOW)
    process = subprocess.Popen(
        [sys.executable, "-m", "calculus", "check", str(path), "--timeout", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    time.sleep(8)  # past start-up (slow on a loaded machine), into the claims
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the command did not end after the signal")
    assert process.returncode == code, err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["check", "report", "repl"])
@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_timeout_must_be_a_positive_number(command: str, value: str, tmp_path: Path) -> None:
    path = tmp_path / "a.cost"
    path.write_text("primitive a\nclaim c(a) > 0\n")
    arguments = {"check": [str(path)], "report": [str(path), "-o", str(tmp_path / "o.md")]}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "calculus",
            command,
            *arguments.get(command, []),
            "--timeout",
            value,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "--timeout" in done.stderr and "positive number of seconds" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_end_the_repl_cleanly(signum: int, code: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "calculus", "repl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert process.stdin is not None
    process.stdin.write("primitive a\nclaim c(a) > 0\n")
    process.stdin.flush()  # the session waits for more input, stdin still open
    time.sleep(8)  # past start-up on a loaded machine
    process.send_signal(signum)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("the session did not end after the signal")
    assert process.returncode == code, err
    assert "Traceback" not in err


# A dashed line of no length in a plot (found by the fuzzing run: a division by zero while
# painting the Markdown report's PNG).
ZERO_LENGTH_DASH = "primitive a, b (nonneg), d, e\nprimitive find, env\nprogram P {\n  c = t(env) / (1) - c(d) * c(b(env)) + t(d)\n  t = -(t(a(d))) * c(env) + c(env)\n}\nprogram R {\n  c = t(a) / (c(e)) / (0.5 - c(P))\n  t = t(find) * t(P) + c(b) * c(b) + t(b) + 1/2\n}\nassume h0: ((P beats P) <-> ((c(find)) ^ 0 + c(d) + t(e) / (g - c(e)) > t(d) / (t(env(env(b))) + t(e) + c(d) * .25))) -> ((R beats P) and (t(e) < t(R) * g - t(e) / (1e6 - t(env) - t(e))))\nclaim k0: not (c(P) * c(env) + g(c(e)) / (100) < 1) for some g\nclaim k1: ((t(R) >= c(e) * c(a) * c(b) / (g(c(d)))) and (g * c(R) - c(d(d)) - -(2.5e-3) < g / (c(e(e))) + 0.5 + 10 * (t(a)) ^ 3 + t(e))) and (P beats R)\nscenario s { c(a) = 1e6; c(b) = 3/4; default = 3 }\nranges P, R in s\n\n"


def test_report_with_a_dashed_line_of_no_length() -> None:
    for output in ("out.md", "out.html"):
        outcome = run(FuzzInput("report", ZERO_LENGTH_DASH, (output,)), TIMEOUT, BOUND)
        assert not outcome.hang and not outcome.traceback, outcome.output
        assert outcome.exit_code in (0, 1), outcome.output


def test_report_of_numbers_too_big_to_plot() -> None:
    # A scenario may give an atom a 400-digit cost: exact in the tables, not plotted (the
    # plots are drawn in floating point, where it overflowed).
    text = (
        "primitive a, b\nprogram P { stores a; runs a }\nprogram Q { stores b; runs b }\n"
        f"scenario s {{ c(a) = 3; default = {'9' * 400} }}\nranges P, Q in s\n"
    )
    for output in ("out.html", "out.md"):
        outcome = run(FuzzInput("report", text, (output,)), TIMEOUT, BOUND)
        assert not outcome.hang and not outcome.traceback, outcome.output
        assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize(
    "output",
    ["/nonexistent/dir/out.html", "out\x00.html", "/nonexistent/\udcff.md", "out.txt"],
    ids=["missing directory", "NUL byte", "lone surrogate", "wrong suffix"],
)
def test_report_to_a_bad_path(output: str) -> None:
    outcome = run(FuzzInput("report", "primitive a\nclaim c(a) > 0\n", (output,)), TIMEOUT, BOUND)
    assert not outcome.hang and not outcome.traceback, outcome.output
    assert outcome.exit_code == 2, outcome.output


def test_signals_wait_for_a_z3_constructor_and_argument() -> None:
    """A limit, SIGINT or SIGTERM taken inside a z3 constructor would leave an object half
    built (a context without `owner`, whose finalizer prints a traceback later), and one
    taken while ctypes converts an argument comes out as a `ctypes.ArgumentError`: both
    places are recognised from the frame the signal lands in (and the signal taken again a
    moment later), here on the frames of a real z3 call."""
    import z3

    from calculus.limits import _in_z3_call

    seen: dict[str, bool] = {}

    def tracer(frame: Any, event: str, arg: Any) -> None:
        name = frame.f_code.co_name
        if event == "call" and name in ("__init__", "from_param") and name not in seen:
            if name == "from_param" or "z3" in frame.f_code.co_filename:
                seen[name] = _in_z3_call(frame)

    sys.setprofile(tracer)
    try:
        z3.Bool("x", z3.Context())
    finally:
        sys.setprofile(None)
    assert seen == {"__init__": True, "from_param": True}
    assert not _in_z3_call(sys._getframe())


def test_time_limit_never_lands_in_a_z3_argument() -> None:
    """Taken while ctypes converts an argument of a z3 call, the limit's exception would
    come out as a `ctypes.ArgumentError` that no handler expects (an internal error)."""
    import z3

    from calculus.limits import TimeLimitExceeded, time_limit

    context = z3.Context()
    for _ in range(40):
        with pytest.raises(TimeLimitExceeded), time_limit(0.003):
            while True:
                z3.Bool("x", context)
                sum(range(300))


def test_time_limit_is_not_lost_in_a_fork_hook() -> None:
    """The logging module's fork hooks run while a solver subprocess is started; a limit
    raised inside one would be printed ("Exception ignored in _releaseLock") and lost, so
    the signal is taken again a moment later: recognised here on the frames of a real fork."""
    from calculus.limits import _in_finalizer

    seen: dict[str, bool] = {}

    def tracer(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_name in ("_acquireLock", "_releaseLock"):
            seen[frame.f_code.co_name] = _in_finalizer(frame)

    sys.setprofile(tracer)
    try:
        # with a preexec_fn (QEPCAD's memory cap) the fork runs Python's fork hooks
        subprocess.run(["true"], check=False, preexec_fn=lambda: None)  # noqa: PLW1509
    finally:
        sys.setprofile(None)
    assert seen == {"_acquireLock": True, "_releaseLock": True}
    assert not _in_finalizer(sys._getframe())
