"""The fanin-slot CNF with rows added as counterexamples, against the selection-variable CNF."""

from __future__ import annotations

import random

import pytest

from calculus.circuits.circuit import Circuit, Gate, Output
from calculus.circuits.cnf import IncrementalSolver
from calculus.circuits.encoding import CircuitEncoding
from calculus.circuits.npn import npn_representatives
from calculus.circuits.slots import SlotEncoding
from calculus.circuits.specification import (
    SpecificationError,
    TableSpecification,
    symmetric_pairs,
    table_specification,
)
from calculus.circuits.synthesis import essential_inputs, synthesize, synthesize_specification


def slot_answer(spec: TableSpecification, gates: int, basis: str = "b2") -> tuple[bool, int]:
    """Satisfiable?  And how many rows were simulated to decide it."""
    encoding = SlotEncoding(spec, gates, basis, symmetric_pairs(spec), essential_inputs(spec, 0))
    row = encoding.first_row()
    if row is not None:
        encoding.add_row(row)
    with IncrementalSolver(encoding.builder) as solver:
        while True:
            outcome = solver.check(30.0)
            assert outcome.status != "unknown"
            if outcome.status == "unsat":
                return False, len(encoding.rows)
            circuit = encoding.decode(outcome)
            wrong = encoding.counterexample(circuit)
            if wrong is None:
                assert circuit.size == gates
                assert spec.satisfied_by(circuit), circuit.listing()
                if basis == "aig":
                    assert all(g.op not in (6, 9) for g in circuit.gates)
                return True, len(encoding.rows)
            assert wrong not in encoding.rows  # a row already simulated is never wrong
            encoding.add_row(wrong)


def selection_answer(spec: TableSpecification, gates: int, basis: str = "b2") -> bool:
    encoding = CircuitEncoding(spec, gates, basis, None, symmetric_pairs(spec))
    with IncrementalSolver(encoding.builder) as solver:
        status = solver.check(30.0).status
    assert status != "unknown"
    return status == "sat"


def test_both_encodings_agree_at_the_minimum_and_below_on_three_inputs() -> None:
    # Each encoding keeps a minimum circuit under its own symmetry breaks; the two are
    # independent, so they must agree on "exactly r gates" at r = minimum (sat) and
    # r = minimum - 1 (unsat), for every 3-input function and both bases.
    for basis in ("b2", "aig"):
        for table in range(256):
            spec = table_specification(3, [table])
            size = synthesize(3, [table], basis=basis).cost
            assert size is not None
            for gates in (size - 1, size):
                if gates < 1:
                    continue
                expected = gates == size
                assert slot_answer(spec, gates, basis)[0] is expected, (basis, hex(table), gates)
                assert selection_answer(spec, gates, basis) is expected, (basis, hex(table), gates)


@pytest.mark.slow
def test_both_encodings_agree_on_sampled_four_input_classes() -> None:
    classes = [t for t in npn_representatives(4) if t & 1 == 0]
    for table in random.Random(5).sample(classes, 12):
        spec = table_specification(4, [table])
        size = synthesize(4, [table]).cost
        assert size is not None
        for gates in (size - 1, size):
            if gates >= 1:
                assert (
                    slot_answer(spec, gates)[0] == selection_answer(spec, gates) == (gates == size)
                ), (hex(table), gates)


def test_refinement_decides_on_fewer_rows_than_the_table() -> None:
    # Parity of 5 needs 4 gates; 3 gates cannot even read 5 inputs, which the
    # essential-input clauses see before any row.
    parity5 = sum(1 << t for t in range(32) if bin(t).count("1") % 2)
    spec = table_specification(5, [parity5])
    assert slot_answer(spec, 3) == (False, 1)
    found, rows = slot_answer(spec, 4)
    assert found and rows < 31


def test_dont_cares_and_the_output_polarity() -> None:
    # x1 AND x2 on the assignments where x3 = 0; x3 = 1 and assignment 0 are free, so
    # the output may be inverted: one gate either way.
    care = sum(1 << t for t in range(1, 8) if not t & 4)
    spec = table_specification(3, [0b1000], [(~care) & 0xFF])
    assert slot_answer(spec, 1)[0]
    # The complement of AND with assignment 0 cared for: still one gate, inverted output.
    spec = table_specification(2, [0b0111])
    encoding = SlotEncoding(spec, 1)
    assert encoding.polarity is True


def test_counterexample_is_the_first_wrong_care_row() -> None:
    spec = table_specification(2, [0b1000])  # x1 AND x2
    encoding = SlotEncoding(spec, 1, essential=(0, 1))
    xor = Circuit(2, (Gate(6, 0, 1),), (Output(2),))
    conjunction = Circuit(2, (Gate(8, 0, 1),), (Output(2),))
    assert encoding.counterexample(xor) == 1
    assert encoding.counterexample(conjunction) is None
    encoding.add_row(1)
    with pytest.raises(SpecificationError):
        encoding.add_row(1)
    with pytest.raises(SpecificationError):
        encoding.add_row(0)
    with pytest.raises(SpecificationError):
        SlotEncoding(table_specification(2, [1, 2]), 1)


def test_five_input_searches_agree_with_the_selection_variable_cnf() -> None:
    # Five-input one-output tables take the fanin-slot path; a no-op extra constraint
    # sends the same search through the selection-variable CNF.  Random partial tables
    # (a dozen care rows, so the minima are small) and both bases.
    rng = random.Random(11)
    for index in range(6):
        care = 0
        for t in rng.sample(range(32), 12):
            care |= 1 << t
        table = rng.getrandbits(32) & care
        basis = "aig" if index % 2 else "b2"
        spec = table_specification(5, [table], [~care & 0xFFFFFFFF])
        slots = synthesize_specification(spec, basis=basis, timeout=60)
        selection = synthesize_specification(
            spec, basis=basis, timeout=60, extra=lambda _encoding: None, symmetric_inputs=True
        )
        assert slots.status == selection.status == "optimal", (slots.reason, selection.reason)
        assert slots.cost == selection.cost, (hex(table), hex(care), basis)
        assert slots.circuit is not None and spec.satisfied_by(slots.circuit)
