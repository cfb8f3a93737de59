"""Bounds on the work one obligation may do: wall-clock time on the Python side (sympy's
algebra has no timeout of its own), memory (z3's own cap, an address-space cap on the process
while an obligation runs, and one on each solver subprocess), and a clean end on SIGINT and
SIGTERM.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

# z3's memory cap, in megabytes, for the whole process (z3 answers `unknown` past it); below
# the obligation's cap, so that z3 stops itself before an allocation fails under it.
Z3_MEMORY_MB = 1536
# What one obligation may add to the process's address space, in megabytes: past it an
# allocation fails with MemoryError (sympy's algebra), which the caller reports as `unknown`.
OBLIGATION_MEMORY_MB = 2048
# The address space of a solver subprocess (QEPCAD B), in megabytes.
SUBPROCESS_MEMORY_MB = 2048


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

    postponed = 0

    def expire(signum: int, frame: FrameType | None) -> None:
        nonlocal postponed
        if _in_finalizer(frame) or (postponed < _MAX_POSTPONED and _in_z3_call(frame)):
            postponed += 1  # try again soon; the jitter keeps it off a loop's rhythm
            signal.setitimer(signal.ITIMER_REAL, 0.001 + 0.001 * (postponed % 13))
            return
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


# The open /proc/self/statm, as [process id, descriptor]: reopened in a forked child. Read
# again at offset 0 for each obligation; opening it each time cost 10-70 µs, a read 1 µs.
_STATM: list[int] = []


def _address_space() -> int:
    """The process's current address space (virtual size) in bytes; 0 where unknown."""
    try:
        pid = os.getpid()
        if not _STATM or _STATM[0] != pid:
            descriptor = os.open(f"/proc/{pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
            _STATM[:] = [pid, descriptor]
        return int(os.pread(_STATM[1], 256, 0).split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


@contextmanager
def memory_limit(megabytes: float | None = None) -> Iterator[None]:
    """Let the body grow the address space by at most `megabytes`: an allocation past that
    raises MemoryError. A tighter limit already in force is kept. Where the address space
    cannot be read or limited (not Linux), nothing is limited."""
    try:
        import resource
    except ImportError:
        yield
        return
    if megabytes is None:
        megabytes = OBLIGATION_MEMORY_MB
    current = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + int(megabytes * 2**20)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if not current or (soft != resource.RLIM_INFINITY and soft <= cap):
        yield
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def subprocess_memory_limit(megabytes: float | None = None) -> Callable[[], None]:
    """A `preexec_fn` that caps a solver subprocess's address space at `megabytes` (and
    lifts the obligation's cap it would otherwise inherit)."""
    size = SUBPROCESS_MEMORY_MB if megabytes is None else megabytes

    def limit() -> None:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = int(size * 2**20)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))

    return limit


# How many times a time limit waits for a z3 call to finish before raising anyway.
_MAX_POSTPONED = 100


# Functions Python calls where an exception cannot propagate, only be printed ("Exception
# ignored in ...") and lost: finalizers, and the hooks run around a fork (the logging
# module's, when a solver subprocess is started).
_UNRAISABLE = frozenset({"__del__", "_acquireLock", "_releaseLock"})


def _in_finalizer(frame: FrameType | None) -> bool:
    """Whether Python is running a `__del__` (z3 releases its objects there) or a fork hook:
    an exception raised inside one is printed as "Exception ignored" with a traceback, and
    then lost."""
    depth = 0
    while frame is not None and depth < 64:
        if frame.f_code.co_name in _UNRAISABLE:
            return True
        frame, depth = frame.f_back, depth + 1
    return False


def _in_z3_call(frame: FrameType | None) -> bool:
    """Whether Python is converting an argument of a z3 C call (ctypes turns an exception
    raised there into an `ArgumentError`) or building a z3 object (one cut short has no
    `owner`, and its finalizer prints a traceback later)."""
    if frame is not None and frame.f_code.co_name == "from_param":
        return True
    depth = 0
    while frame is not None and depth < 64:
        code = frame.f_code
        if code.co_name == "__init__" and os.sep + "z3" + os.sep in code.co_filename:
            return True
        frame, depth = frame.f_back, depth + 1
    return False


def _later(signum: int) -> None:
    # A daemon: should the command end first, the process exits without waiting for the
    # timer, and the signal is not raised again while the interpreter shuts down (where it
    # would escape every handler and kill the process after its last line was printed).
    timer = threading.Timer(0.01, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _terminate(signum: int, frame: FrameType | None) -> None:
    if _in_finalizer(frame) or _in_z3_call(frame):
        _later(signum)
        return
    raise Terminated()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if _in_finalizer(frame) or _in_z3_call(frame):
        _later(signum)
        return
    raise KeyboardInterrupt


def quiet_finalizers() -> None:
    """After an interrupt, objects left half-built (a z3 context whose construction was cut
    short) may fail in their finalizers; the command is ending, so say nothing of it."""
    sys.unraisablehook = lambda unraisable: None


def install_signal_handlers() -> None:
    """SIGTERM raises `Terminated` (the command line exits 143), SIGINT KeyboardInterrupt
    (exit 130); neither is raised inside a finalizer, where it would be lost."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _interrupt)
    allow_long_integers()


def allow_long_integers() -> None:
    """Exact numbers may be long (numerals are bounded, their products are not); writing one
    as text, for z3 or for the user, must not fail on Python's digit limit."""
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)


def cap_z3_memory() -> None:
    """Bound z3's memory (process-wide): past the cap its answer is `unknown`; leave SIGINT
    to Python."""
    import z3

    allow_long_integers()
    z3.set_param("memory_max_size", Z3_MEMORY_MB)
    # z3 would catch SIGINT itself during a check and answer "unknown" (canceled), and the
    # command would go on; without it the interrupt reaches Python when the check returns.
    z3.set_param("ctrl_c", False)
