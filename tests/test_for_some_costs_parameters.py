"""`for some costs` under a parameter read for every value (DESIGN §9.2): for every admissible
n some admissible costs make the claim true. Proved by one assignment that works for every n
(re-checked exactly) or by z3 on the ∀n ∃costs formula; refuted at one admissible n with no
admissible costs. Every verdict below is derived by hand."""

from __future__ import annotations

from fractions import Fraction

from calculus.check import check_source

HEAD = """\
parameter n integer >= 1
parameter x real > 0, < 10
primitive entry, a, b
"""


def _verdict(claim: str) -> object:
    result = check_source(HEAD + f"claim it: {claim}\n", timeout=10)
    assert not result.diagnostics, [d.message for d in result.diagnostics]
    (found,) = result.claims
    return found.verdict  # type: ignore[attr-defined]


def test_one_assignment_for_every_real_value() -> None:
    # x·c(a) < c(b) for every x in (0, 10) exactly when 10·c(a) <= c(b): such costs exist.
    verdict = _verdict("x * c(a) < c(b) for some costs")
    assert verdict.status == "proved"  # type: ignore[attr-defined]
    values = dict(verdict.witness)  # type: ignore[attr-defined]
    assert values["c(a)"] > 0 and values["c(b)"] > 0
    assert 10 * values["c(a)"] <= values["c(b)"]


def test_costs_that_depend_on_n() -> None:
    # c(a) > n: for each n take c(a) = n + 1; no single c(a) exceeds every n.
    verdict = _verdict("c(a) > n for some costs")
    assert verdict.status == "proved"  # type: ignore[attr-defined]
    assert verdict.witness is None  # type: ignore[attr-defined]
    assert any("depend on n" in note for note in verdict.notes)  # type: ignore[attr-defined]


def test_refuted_at_a_value_where_no_costs_work() -> None:
    # n·c(entry) < 0 is impossible for every n >= 1 with c(entry) > 0; at n = 1 in particular.
    verdict = _verdict("n * c(entry) < 0 for some costs")
    assert verdict.status == "refuted"  # type: ignore[attr-defined]
    assert verdict.counterexample == (("n", Fraction(1)),)  # type: ignore[attr-defined]
    # c(a) < 5 and c(a) > n: fine for n <= 4, impossible at n = 5.
    verdict = _verdict("c(a) < 5 and c(a) > n for some costs")
    assert verdict.status == "refuted"  # type: ignore[attr-defined]
    ((name, value),) = verdict.counterexample  # type: ignore[attr-defined]
    assert name == "n" and value >= 5 and value.denominator == 1


def test_a_false_claim_is_never_proved() -> None:
    # c(a) < n and c(a) > 2 needs n > 2: false at n = 1 (and n = 2).
    verdict = _verdict("c(a) < n and c(a) > 2 for some costs")
    assert verdict.status == "refuted"  # type: ignore[attr-defined]
    ((name, value),) = verdict.counterexample  # type: ignore[attr-defined]
    assert name == "n" and value in (1, 2)
    # x·c(a) > 10 is true for every x in (0, 10) with costs chosen after x (c(a) = 11/x):
    # ∀x ∃costs, not ∃costs ∀x.
    assert _verdict("x * c(a) > 10 for some costs").status == "proved"  # type: ignore[attr-defined]
    # With c(a) < 1 as well, x·c(a) < 10 for every admissible x: refuted at some x.
    verdict = _verdict("x * c(a) > 10 and c(a) < 1 for some costs")
    assert verdict.status == "refuted"  # type: ignore[attr-defined]
    ((name, value),) = verdict.counterexample  # type: ignore[attr-defined]
    assert name == "x" and 0 < value < 10
