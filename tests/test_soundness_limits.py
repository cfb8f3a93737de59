"""Memory caps per obligation: the address-space cap around a claim or a `ranges` statement
(a runaway allocation becomes `unknown` with the reason, not a crash) and the cap on a QEPCAD
B subprocess (its failure to allocate becomes a QEPCAD error, which the ranges report)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from calculus import limits
from calculus.check import check_source


def _runaway(*_: Any, **__: Any) -> Any:
    """What a runaway simplification does: allocate until something stops it."""
    blocks = []
    while True:
        blocks.append(bytearray(16 * 2**20))


def test_memory_limit_raises_memory_error_and_is_lifted_after() -> None:
    with pytest.raises(MemoryError), limits.memory_limit(64):
        _runaway()
    data = bytearray(256 * 2**20)  # past the cap, now that it is lifted
    assert len(data) == 256 * 2**20


def test_nested_memory_limits_keep_the_tighter() -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with limits.memory_limit(64):
        inner_cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        with limits.memory_limit(4096):
            assert resource.getrlimit(resource.RLIMIT_AS)[0] == inner_cap
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_address_space_is_read_again_each_time() -> None:
    """The cap is set from the address space when an obligation starts: the reading (from a
    descriptor kept open) is the kernel's current one, not a value remembered."""
    if not os.path.exists("/proc/self/statm"):
        pytest.skip("no /proc/self/statm: memory is not limited on this system")
    page = os.sysconf("SC_PAGE_SIZE")
    before = limits._address_space()
    with open("/proc/self/statm", encoding="ascii") as handle:
        assert abs(before - int(handle.read().split()[0]) * page) < 2**20
    block = bytearray(64 * 2**20)
    assert limits._address_space() >= before + len(block) - 2**20


def test_a_claim_that_runs_out_of_memory_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    import calculus.check as check

    monkeypatch.setattr(limits, "OBLIGATION_MEMORY_MB", 128)
    original = check._decide_under

    def decide(costs: Any, claim: Any, *rest: Any, **keywords: Any) -> Any:
        if claim.label is not None and claim.label.text == "greedy":
            _runaway()
        return original(costs, claim, *rest, **keywords)

    monkeypatch.setattr(check, "_decide_under", decide)
    source = "primitive a\nclaim greedy: c(a) > 0\nclaim modest: c(a) + 1 > c(a)\n"
    result = check_source(source, "memory.cost", timeout=5)
    verdicts = {c.name: c.verdict for c in result.claims}
    assert verdicts["greedy"].status == "unknown"
    assert "more than 128 MB of memory" in (verdicts["greedy"].reason or "")
    assert verdicts["modest"].status == "proved"  # the next claim runs with its memory back


def test_ranges_that_run_out_of_memory_are_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    import calculus.check as check

    monkeypatch.setattr(limits, "OBLIGATION_MEMORY_MB", 128)
    monkeypatch.setattr(check, "compute_ranges", _runaway)
    source = (
        "primitive a, b\nprogram P {\n  stores a\n  runs b\n}\n"
        "program Q {\n  stores b\n  runs a\n}\nranges P, Q\n"
    )
    result = check_source(source, "memory.cost", timeout=5)
    (ranges,) = result.ranges
    assert ranges.status == "unknown"
    assert "more than 128 MB of memory" in ranges.reason


def test_qepcad_past_its_memory_cap_is_a_qepcad_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from calculus.dominance import qepcad

    if not qepcad.available():
        pytest.skip("qepcad is not installed")
    question = "[ t ]\n(g,x)\n1\n(Ex)[x > 0 /\\ g x^2 - 3 > 0].\nfinish\n"
    assert qepcad.solve(question, 10).strip() == "g > 0"  # the answer within the cap
    monkeypatch.setattr(limits, "SUBPROCESS_MEMORY_MB", 8)  # less than QEPCAD's start-up space
    with pytest.raises(qepcad.QepcadError, match="ran out of memory"):
        qepcad.solve(question, 10)
