"""A solver run as a subprocess leaves nothing behind: QEPCAD starts Singular as a helper, and
a helper that outlived a timed-out or failed QEPCAD kept a core busy for minutes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from calculus.dominance import qepcad


def ended(pid: int) -> bool:
    """Whether the process has ended: gone, or a zombie nobody has reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def wait_until_ended(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ended(pid):
            return True
        time.sleep(0.02)
    return ended(pid)


pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)"
)


def test_a_helper_of_a_finished_solver_is_ended(tmp_path: Path) -> None:
    # The "solver" starts a helper in the background and exits at once, as QEPCAD does when its
    # own time limit strikes while Singular computes.
    record = tmp_path / "helper.pid"
    done = qepcad.run_group(
        ["sh", "-c", f"sleep 300 >/dev/null 2>&1 & echo $! > {record}; echo answer"], "", timeout=30
    )
    assert done.returncode == 0 and done.stdout.strip() == "answer"
    helper = int(record.read_text())
    assert wait_until_ended(helper), f"the helper {helper} outlived the solver"


def test_a_helper_of_a_timed_out_solver_is_ended(tmp_path: Path) -> None:
    record = tmp_path / "helper.pid"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        qepcad.run_group(
            ["sh", "-c", f"sleep 300 >/dev/null 2>&1 & echo $! > {record}; sleep 300"],
            "",
            timeout=1,
        )
    assert time.monotonic() - started < 30
    helper = int(record.read_text())
    assert wait_until_ended(helper), f"the helper {helper} outlived the timed-out solver"


def test_the_solver_reads_its_input_and_its_output_is_returned() -> None:
    done = qepcad.run_group(["sh", "-c", "tr a-z A-Z; echo oops >&2; exit 3"], "text\n", 30)
    assert (done.returncode, done.stdout, done.stderr) == (3, "TEXT\n", "oops\n")
