"""proofs/minimal_circuits_comments.cost: the comment thread under seed 000, checked.

The file must pass, and each reduction's extents, minimum and lookup are pinned to values
derived by hand in the file's comments; the 3-input sets are re-derived here from an
exhaustive enumeration of circuits, from specifications written out below, not from the
tool's task builder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_circuits import enumerate_small_circuits

ROOT = Path(__file__).resolve().parents[1]
PROOF = ROOT / "proofs" / "minimal_circuits_comments.cost"

# name -> (measure, minimum, lookup, alone, combined)
PINNED = {
    "c_is_deceptive": ("size", 2, 2, "none", "every"),
    "c_is_misgeneralises": ("size", 2, 2, "none", "every"),
    "c_reads_q2": ("size", 2, 2, "none", "every"),
    "c_ignores_q2": ("size", 2, 2, "every", "none"),
    "c_where_o_and_q1": ("size", 2, 2, "every", "some"),
    "shared_feature_no_search": ("size", 1, 1, "none", "every"),
    "the_set_of_one": ("size", 0, 0, "every", "every"),
    "glut_in_size": ("size", 3, 4, "every", "none"),
    "glut_in_depth": ("depth", 2, 3, "every", "none"),
    "glut_in_size_and_depth": ("size+depth", 5, 7, "every", "none"),
    "glut_keyed_by_label": ("size+depth", 5, 5, "every", "none"),
}


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "check", "--format", "json", str(PROOF)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_file_passes(report: dict[str, Any]) -> None:
    assert report["ok"] is True
    assert [r["name"] for r in report["reductions"]] == list(PINNED)
    assert all(r["passed"] for r in report["reductions"])


@pytest.mark.parametrize("name", list(PINNED))
def test_pinned_extents(report: dict[str, Any], name: str) -> None:
    (found,) = [r for r in report["reductions"] if r["name"] == name]
    measure, least, lookup, alone, combined = PINNED[name]
    assert found["measure"].replace(" ", "") == measure
    assert (found["minimum"], found["lookup"]) == (least, lookup)
    assert (found["alone"], found["combined"]) == (alone, combined)
    assert found["expectation_failures"] == []


def test_the_lookup_loses_more_once_depth_counts(report: dict[str, Any]) -> None:
    gaps = {
        r["name"]: r["lookup"] - r["minimum"]
        for r in report["reductions"]
        if r["name"].startswith("glut_in_")
    }
    assert 0 < gaps["glut_in_size"] < gaps["glut_in_size_and_depth"]


# -- the 3-input sets against exhaustive enumeration ------------------------------------------

KNOWN = enumerate_small_circuits(3, 3, tuple(range(16)))


def bit(table: int, state: int) -> int:
    return (table >> state) & 1


def extent(flags: set[bool]) -> str:
    return "every" if flags == {True} else "none" if flags == {False} else "some"


def minimum_and_extent(
    meets: Callable[[int], bool], holds: Callable[[int], bool]
) -> tuple[int, str]:
    sizes = {t: size for t, (size, _, _) in KNOWN.items() if meets(t)}
    least = min(sizes.values())
    return least, extent({holds(t) for t, size in sizes.items() if size == least})


def state(y: int, q1: int, q2: int) -> int:
    """Inputs in declaration order, the first least significant (x1 = y, x2 = q1, x3 = q2)."""
    return y | q1 << 1 | q2 << 2


PAIRS = [(y, q1, q2) for y in (0, 1) for q1 in (0, 1) for q2 in (0, 1)]


def plain_right(t: int) -> bool:  # trains on y = 0 and answers q2
    return all(bit(t, state(0, q1, q2)) == q2 for _, q1, q2 in PAIRS)


def tbad_trained(t: int) -> bool:  # trains on y = 1, q2 = 0 and answers q1
    return all(bit(t, state(1, q1, 0)) == q1 for q1 in (0, 1))


def wrong_in_deployment(t: int) -> bool:  # deployment: y = 1, q2 = 1; intended q1
    return any(bit(t, state(1, q1, 1)) != q1 for q1 in (0, 1))


def reads_q2(t: int) -> bool:  # tbad's states are those with y = 1 (y = 0 is ignored)
    return any(bit(t, state(1, q1, 0)) != bit(t, state(1, q1, 1)) for q1 in (0, 1))


PROPERTIES: dict[str, Callable[[int], bool]] = {
    "c_is_deceptive": lambda t: tbad_trained(t) and wrong_in_deployment(t),
    "c_is_misgeneralises": wrong_in_deployment,
    "c_reads_q2": reads_q2,
    "c_ignores_q2": lambda t: not reads_q2(t),
    "c_where_o_and_q1": lambda t: bit(t, state(1, 1, 1)) == 1,
}


@pytest.mark.parametrize("name", list(PROPERTIES))
def test_any_predicate_against_enumeration(report: dict[str, Any], name: str) -> None:
    holds = PROPERTIES[name]
    combined = minimum_and_extent(lambda t: plain_right(t) and tbad_trained(t), holds)
    alone = minimum_and_extent(tbad_trained, holds)
    (found,) = [r for r in report["reductions"] if r["name"] == name]
    assert (found["minimum"], found["combined"]) == combined
    assert found["alone"] == alone[1]
    assert alone[0] == 0  # the wire q1


def test_shared_feature_against_enumeration(report: dict[str, Any]) -> None:
    # x1, x2, then the task index (0 = strict, 1 = loose).  strict: x1 AND x2 everywhere;
    # loose: x1 where x2 = 1, deployment x2 = 0.
    def at(x1: int, x2: int, index: int) -> int:
        return x1 | x2 << 1 | index << 2

    def meets(t: int) -> bool:
        strict = all(bit(t, at(a, b, 0)) == a & b for a in (0, 1) for b in (0, 1))
        return strict and all(bit(t, at(a, 1, 1)) == a for a in (0, 1))

    def deceptive(t: int) -> bool:
        return any(bit(t, at(a, 0, 1)) != a for a in (0, 1))

    (found,) = [r for r in report["reductions"] if r["name"] == "shared_feature_no_search"]
    assert (found["minimum"], found["combined"]) == minimum_and_extent(meets, deceptive)
