"""Bounds on the work one obligation may do: wall-clock time on the Python side (sympy's
algebra has no timeout of its own), z3's memory, and a clean end on SIGINT/SIGTERM.

The time limit is an interval timer whose signal raises `TimeLimitExceeded` in the main
thread the next time it runs Python code; a z3 call in progress keeps its own timeout, so an
obligation ends at most one solver timeout after its limit. Off the main thread (where
signals cannot be delivered) the limit is not enforced.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# z3's memory cap, in megabytes, for the whole process (z3 answers `unknown` past it).
Z3_MEMORY_MB = 4096


class TimeLimitExceeded(Exception):
    """The obligation ran past its wall-clock limit."""

    def __init__(self, seconds: float):
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


class Terminated(BaseException):
    """SIGTERM arrived; like KeyboardInterrupt it passes every `except Exception`."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise `TimeLimitExceeded` in the body after `seconds`; nested limits keep the earliest."""
    if threading.current_thread() is not threading.main_thread() or not seconds > 0:
        yield
        return
    remaining, _interval = signal.getitimer(signal.ITIMER_REAL)
    if remaining and remaining <= seconds:
        yield  # an enclosing limit ends sooner
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if remaining:  # an enclosing limit: re-arm with what it had left (approximately)
            signal.setitimer(signal.ITIMER_REAL, max(remaining - seconds, 0.001))


def _in_finaliser(frame: FrameType | None) -> bool:
    """Is the handler running inside a `__del__` (such as z3's, freeing solver terms)?
    Python ignores an exception raised there, so the signal would be lost."""
    return frame is not None and frame.f_code.co_name == "__del__"


def _redeliver(signum: int) -> None:
    """Send the signal again shortly, once the finaliser has returned."""
    timer = threading.Timer(0.01, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _terminate(signum: int, frame: FrameType | None) -> None:
    if _in_finaliser(frame):
        _redeliver(signum)
        return
    raise Terminated()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if _in_finaliser(frame):
        _redeliver(signum)
        return
    raise KeyboardInterrupt()


def install_signal_handlers() -> None:
    """SIGTERM raises `Terminated` (the command line exits 143); SIGINT KeyboardInterrupt."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _interrupt)
    # Exact numbers may be long; printing one must not fail on Python's digit limit.
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)


def cap_z3_memory() -> None:
    """Bound z3's memory (process-wide): past the cap its answer is `unknown`."""
    import z3

    z3.set_param("memory_max_size", Z3_MEMORY_MB)
