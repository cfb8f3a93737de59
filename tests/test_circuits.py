"""Exact synthesis: known minimum sizes, exhaustive cross-checks, measures, bases, don't-cares."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculus.circuits.circuit import Circuit, Gate, Output, apply_operator
from calculus.circuits.specification import (
    SpecificationError,
    reward_specification,
    symmetric_pairs,
    table_specification,
)
from calculus.circuits.synthesis import (
    lookup_table_size,
    synthesize,
    synthesize_reward,
    synthesize_specification,
)

AIG_OPERATORS = (1, 2, 4, 8, 7, 11, 13, 14)  # AND with inverted inputs and/or output


def parity(n: int) -> int:
    return sum(1 << t for t in range(1 << n) if bin(t).count("1") % 2)


def conjunction(n: int) -> int:
    return 1 << ((1 << n) - 1)


def majority3() -> int:
    return sum(1 << t for t in range(8) if bin(t).count("1") >= 2)


def check(result, tables, care=None) -> Circuit:
    """The result is optimal and its circuit, re-simulated, computes the tables."""
    assert result.status == "optimal", result.reason
    circuit = result.circuit
    assert circuit is not None
    full = (1 << (1 << circuit.inputs)) - 1
    masks = care if care is not None else [full] * len(tables)
    for computed, table, mask in zip(circuit.truth_tables(), tables, masks, strict=True):
        assert (computed ^ table) & mask == 0, circuit.listing()
    return circuit


# -- known minimum sizes over B2 ------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_parity_needs_n_minus_1_gates(n: int) -> None:
    # XOR of n bits: n-1 gates suffice and are needed (Schnorr 1974; Knuth, TAOCP 7.1.2).
    circuit = check(synthesize(n, [parity(n)]), [parity(n)])
    assert circuit.size == n - 1


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_conjunction_needs_n_minus_1_gates(n: int) -> None:
    # A function of n essential variables needs at least n-1 two-input gates.
    assert check(synthesize(n, [conjunction(n)]), [conjunction(n)]).size == n - 1


def test_majority_of_three_costs_four() -> None:
    # <x1 x2 x3> has cost 4 (Knuth, TAOCP 7.1.2, the median function).
    assert check(synthesize(3, [majority3()]), [majority3()]).size == 4


def test_full_adder_costs_five() -> None:
    # Sum and carry of a full adder together take 5 gates (Knuth, TAOCP 7.1.2).
    tables = [parity(3), majority3()]
    circuit = check(synthesize(3, tables), tables)
    assert circuit.size == 5


def test_trivial_functions_cost_nothing() -> None:
    # x1, NOT x1 and 0 have size 0 (TAOCP 7.1.2's convention).
    for table in (0b1010, 0b0101, 0, 0b1111):
        result = synthesize(2, [table])
        assert check(result, [table]).size == 0
        assert result.cost == 0


def test_minimality_is_on_record() -> None:
    result = synthesize(3, [majority3()])
    refuted = sorted(step.gates for step in result.steps if step.outcome in ("unsat", "bound"))
    assert refuted == [0, 1, 2, 3]
    assert result.proved_minimal
    assert result.to_json()["proved_minimal"] is True


# -- exhaustive enumeration of small circuits -------------------------------------------


@cache
def enumerate_small_circuits(
    n: int, max_gates: int, operators: tuple[int, ...]
) -> dict[int, tuple[int, int, int]]:
    """Every single-output function of ``n`` inputs computable by at most ``max_gates``
    gates with the given operators: table -> (fewest gates, least depth, least gates +
    depth), each minimised separately over all such circuits.  Plain depth-first
    enumeration with every operator and both output polarities, no symmetry tricks."""
    full = (1 << (1 << n)) - 1
    leaves = [sum(1 << t for t in range(1 << n) if (t >> j) & 1) for j in range(n)]
    best: dict[int, tuple[int, int, int]] = {}

    def note(table: int, size: int, depth: int) -> None:
        for value in (table, table ^ full):
            old = best.get(value, (size, depth, size + depth))
            best[value] = (min(old[0], size), min(old[1], depth), min(old[2], size + depth))

    note(0, 0, 0)
    for leaf in leaves:
        note(leaf, 0, 0)

    def extend(tables: list[int], depths: list[int]) -> None:
        size = len(tables) - n
        if size:
            note(tables[-1], size, depths[-1])
        if size == max_gates:
            return
        for k in range(len(tables)):
            for j in range(k):
                for op in operators:
                    value = 0
                    for t in range(1 << n):
                        value |= apply_operator(op, (tables[j] >> t) & 1, (tables[k] >> t) & 1) << t
                    extend(tables + [value], depths + [1 + max(depths[j], depths[k])])

    extend(list(leaves), [0] * n)
    return best


def test_every_three_input_function_against_enumeration() -> None:
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    sizes = Counter()
    for table in range(256):
        circuit = check(synthesize(3, [table]), [table])
        sizes[circuit.size] += 1
        if table in known:
            assert circuit.size == known[table][0], hex(table)
        else:
            assert circuit.size >= 4, hex(table)
    # The cost distribution of all 256 functions of 3 variables (Knuth, TAOCP 7.1.2).
    assert sizes == Counter({0: 8, 1: 30, 2: 114, 3: 80, 4: 24})


def test_depth_against_enumeration() -> None:
    # Every 3-input function has depth <= 3 (Shannon expansion on x3: a multiplexer of
    # two 2-input functions), and every depth-2 circuit has at most 3 gates, so the
    # enumeration up to 3 gates decides depth <= 2 exactly.
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    for table in random.Random(7).sample(range(256), 60):
        result = synthesize(3, [table], measure="depth")
        circuit = check(result, [table])
        expected = known[table][1] if table in known and known[table][1] <= 2 else 3
        assert circuit.depth == expected == result.cost, hex(table)


def test_size_plus_depth_against_enumeration() -> None:
    # A cheapest circuit with at most 3 gates would have been enumerated, so the solver's
    # cost is at most the enumeration's and equals it whenever its circuit is that small.
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    for table in random.Random(11).sample(range(256), 50):
        result = synthesize(3, [table], measure="size+depth")
        circuit = check(result, [table])
        assert result.cost == circuit.size + circuit.depth
        if table in known:
            assert result.cost <= known[table][2]
            if circuit.size <= 3:
                assert result.cost == known[table][2]
        else:
            assert circuit.size >= 4


def test_least_depth_can_cost_a_gate() -> None:
    # 0xF1CA over 4 inputs: 5 gates at best, but depth 3 needs 6 gates.
    table = 0xF1CA
    by_size = synthesize(4, [table])
    by_depth = synthesize(4, [table], measure="depth")
    both = synthesize(4, [table], measure="size+depth")
    assert by_size.cost == 5 and by_size.circuit.depth >= 4
    assert (by_depth.cost, check(by_depth, [table]).size) == (3, 6)
    assert both.cost == 9
    shapes = {(s.gates, s.depth_bound): s.outcome for s in by_depth.steps}
    assert shapes[(5, 3)] == "unsat"  # 5 gates cannot reach depth 3
    assert shapes[(5, 2)] == "bound"  # depth 2 holds at most 3 gates


def test_aig_against_enumeration() -> None:
    known = enumerate_small_circuits(3, 3, AIG_OPERATORS)
    for table in random.Random(3).sample(range(256), 60):
        result = synthesize(3, [table], basis="aig")
        circuit = check(result, [table])
        assert all(gate.op in AIG_OPERATORS for gate in circuit.gates)
        if table in known:
            assert circuit.size == known[table][0], hex(table)
        else:
            assert circuit.size >= 4


def test_xor_needs_three_and_gates() -> None:
    # An AIG needs 3 AND nodes for XOR (the standard AIG XOR), B2 needs 1 gate.
    assert check(synthesize(2, [0b0110], basis="aig"), [0b0110]).size == 3
    assert synthesize(2, [0b0110], basis="b2").circuit.size == 1
    assert synthesize(3, [parity(3)], basis="aig").circuit.size == 6


# -- don't-cares, several outputs, reward thresholds --------------------------------------


def enumerate_care(table: int, care: int, n: int = 3) -> int:
    """Fewest gates agreeing with ``table`` on ``care``, from the enumeration (None if > 3)."""
    known = enumerate_small_circuits(n, 3, tuple(range(16)))
    sizes = [size for f, (size, _, _) in known.items() if (f ^ table) & care == 0]
    return min(sizes) if sizes else 4


def test_dont_cares_against_enumeration() -> None:
    rng = random.Random(5)
    for _ in range(40):
        table, dont_care = rng.randrange(256), rng.randrange(256)
        result = synthesize(3, [table], dont_care=[dont_care])
        circuit = check(result, [table], [255 & ~dont_care])
        expected = enumerate_care(table, 255 & ~dont_care)
        if expected <= 3:
            assert circuit.size == expected
        else:
            assert circuit.size >= 4


def test_dont_care_on_assignment_zero_picks_the_output_polarity() -> None:
    # 0x3E needs 3 gates; with assignment 0 free, 1 gate (an inverted output) will do.
    assert synthesize(3, [0x3E]).cost == 3
    result = synthesize(3, [0x3E], dont_care=[0b0000_0001])
    assert check(result, [0x3E], [0xFE]).size == 1


def test_multi_output_against_enumeration() -> None:
    # Two outputs of 2 inputs: brute force over all circuits of at most 2 gates.
    rng = random.Random(2)
    pairs = [(rng.randrange(16), rng.randrange(16)) for _ in range(25)]
    for first, second in pairs:
        result = synthesize(2, [first, second])
        circuit = check(result, [first, second])
        assert circuit.size == brute_force_two_outputs(first, second)


def brute_force_two_outputs(first: int, second: int) -> int:
    leaves = [0b1010, 0b1100]
    for gates in range(0, 3):
        for circuit in all_circuits(2, gates):
            tables = set(leaves) | {0}
            tables |= set(circuit)
            closed = tables | {t ^ 0b1111 for t in tables}
            if first in closed and second in closed:
                return gates
    return 3


def all_circuits(n: int, gates: int) -> Iterable[list[int]]:
    leaves = [sum(1 << t for t in range(1 << n) if (t >> j) & 1) for j in range(n)]

    def extend(tables: list[int], left: int) -> Iterable[list[int]]:
        if left == 0:
            yield tables[n:]
            return
        for k in range(len(tables)):
            for j in range(k):
                for op in range(16):
                    value = sum(
                        apply_operator(op, (tables[j] >> t) & 1, (tables[k] >> t) & 1) << t
                        for t in range(1 << n)
                    )
                    yield from extend(tables + [value], left - 1)

    yield from extend(leaves, gates)


def test_reward_threshold_full_reward_is_the_care_set() -> None:
    # Full expected reward on some states is the same as don't-cares elsewhere.
    table = majority3()
    states = {0: 1, 3: 1, 5: 1, 6: 1, 7: 1}
    spec = reward_specification(3, 1, states, lambda t, a: int(a == (table >> t) & 1), Fraction(5))
    result = synthesize_specification(spec)
    care = sum(1 << t for t in states)
    exact = synthesize(3, [table], dont_care=[255 & ~care])
    assert result.status == "optimal"
    assert result.circuit.size == exact.circuit.size
    assert spec.satisfied_by(result.circuit)


def test_reward_threshold_against_enumeration() -> None:
    # A lower threshold only needs the reward on enough states; compare with brute force.
    known = enumerate_small_circuits(3, 3, tuple(range(16)))
    rng = random.Random(9)
    for _ in range(15):
        target = rng.randrange(256)
        weights = {t: Fraction(rng.randint(1, 3), 10) for t in range(8) if rng.random() < 0.7}
        rewards = {t: [Fraction(int(((target >> t) & 1) == a)) for a in (0, 1)] for t in weights}
        best = sum(weights.values(), Fraction(0))
        threshold = best * Fraction(rng.randint(5, 10), 10)
        spec = reward_specification(3, 1, weights, rewards, threshold)
        result = synthesize_specification(spec)
        assert result.status == "optimal"
        assert spec.satisfied_by(result.circuit)
        reaching = [
            size
            for table, (size, _, _) in known.items()
            if sum(
                (w for t, w in weights.items() if (table >> t) & 1 == (target >> t) & 1),
                Fraction(0),
            )
            >= threshold
        ]
        expected = min(reaching) if reaching else 4
        if expected <= 3:
            assert result.circuit.size == expected
        else:
            assert result.circuit.size >= 4


def test_reward_threshold_with_two_outputs() -> None:
    # Reward 1 for the intended 2-bit action (sum, carry of x1 + x2), 0 otherwise.
    def intended(t: int) -> int:
        x1, x2 = t & 1, (t >> 1) & 1
        return (x1 ^ x2) | ((x1 & x2) << 1)

    weights = {t: Fraction(1, 4) for t in range(4)}
    spec = reward_specification(2, 2, weights, lambda t, a: int(a == intended(t)), 1)
    result = synthesize_specification(spec)
    assert result.circuit.size == 2  # half adder: XOR and AND
    half = reward_specification(2, 2, weights, lambda t, a: int(a == intended(t)), Fraction(3, 4))
    assert synthesize_specification(half).circuit.size <= 1


def test_unreachable_threshold_is_infeasible() -> None:
    spec = reward_specification(1, 1, {0: 1}, lambda t, a: a, 2)
    assert synthesize_specification(spec).status == "infeasible"


# -- time limits, symmetry, errors, listings -----------------------------------------------


def test_timeout_gives_unknown_quickly() -> None:
    result = synthesize(5, [0x169AE443], timeout=0.2)  # needs 12 gates (TAOCP 7.1.2)
    assert result.status == "unknown"
    assert result.seconds < 5
    assert not result.proved_minimal


def test_symmetric_pairs_found() -> None:
    assert symmetric_pairs(table_specification(3, [majority3()])) == ((0, 1), (0, 2), (1, 2))
    # x1 AND NOT x2 is invariant under x1, x2 -> NOT x2, NOT x1
    assert symmetric_pairs(table_specification(2, [0b0010])) == ((0, 1),)


def test_bad_input_raises_specification_error() -> None:
    with pytest.raises(SpecificationError):
        synthesize(2, [0x1FF])
    with pytest.raises(SpecificationError):
        synthesize(2, [])
    with pytest.raises(SpecificationError):
        synthesize(2, [1], basis="nand")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError):
        synthesize(2, [1, 2], dont_care=[0, 0, 0])


def test_listing_and_json() -> None:
    circuit = Circuit(2, (Gate(6, 0, 1), Gate(8, 0, 2)), (Output(3, True), Output(None, True)))
    assert circuit.listing().splitlines() == [
        "g1 = x1 XOR x2",
        "g2 = x1 AND g1",
        "y1 = NOT g2",
        "y2 = 1",
    ]
    data = circuit.to_json()
    assert data["size"] == 2 and data["depth"] == 2
    assert data["gates"][0] == {"name": "g1", "op": "XOR", "table": 6, "fanins": ["x1", "x2"]}
    assert circuit.truth_tables() == (0b1101, 0b1111)


def test_lookup_table_size() -> None:
    # 2 minterms of 3 literals (2 ANDs each) and one OR.
    glut = lookup_table_size(3, [0b1000_0001])
    assert (glut.size, glut.minterms, glut.and_gates, glut.or_gates) == (5, 2, 4, 1)
    # A minterm shared by two outputs is built once.
    assert lookup_table_size(2, [0b1000, 0b1000]).size == 1
    # Don't-care assignments are answered 0.
    assert lookup_table_size(2, [0b1110], [0b0010]).size == 1
    assert lookup_table_size(3, [parity(3)]).size == 4 * 2 + 3


# -- properties ------------------------------------------------------------------------------


@st.composite
def random_circuits(draw: st.DrawFn) -> Circuit:
    inputs = draw(st.integers(2, 4))
    gates = []
    for index in range(draw(st.integers(0, 5))):
        node = inputs + index
        second = draw(st.integers(1, node - 1))
        first = draw(st.integers(0, second - 1))
        gates.append(Gate(draw(st.integers(0, 15)), first, second))
    total = inputs + len(gates)
    outputs = tuple(
        Output(draw(st.integers(0, total - 1)), draw(st.booleans()))
        for _ in range(draw(st.integers(1, 2)))
    )
    return Circuit(inputs, tuple(gates), outputs)


@settings(max_examples=40, deadline=None)
@given(random_circuits())
def test_no_circuit_beats_the_minimum(circuit: Circuit) -> None:
    # Any circuit's own tables: the minimum is at most its size, and is re-simulated.
    tables = list(circuit.truth_tables())
    result = synthesize(circuit.inputs, tables)
    assert check(result, tables).size <= circuit.size
    depth = synthesize(circuit.inputs, tables, measure="depth")
    assert check(depth, tables).depth <= circuit.depth


def test_tiny_input_counts() -> None:
    for inputs, table in ((0, 0), (0, 1), (1, 0b01), (1, 0b10), (1, 0b11)):
        result = synthesize(inputs, [table])
        assert check(result, [table]).size == 0
    # the same function twice, and a function with its complement, share gates
    tables = [0b0110, 0b0110, 0b1001]
    assert check(synthesize(2, tables), tables).size == 1


def test_synthesize_reward_from_plain_data() -> None:
    # Output 1 on 111 and 0 on the states with at most one 1; 011, 101, 110 are free.
    weights = {0: 1, 1: 1, 2: 1, 4: 1, 7: 2}
    rewards = {t: [1 - (t == 7), int(t == 7)] for t in weights}
    result = synthesize_reward(3, 1, weights, rewards, 6)
    assert result.status == "optimal"
    circuit = result.circuit
    assert circuit is not None
    assert all(circuit.simulate(t)[0] == (t == 7) for t in weights)
    assert circuit.size == 1  # the AND of any two inputs fits


# -- bounds on an unfinished search, the quick upper bound, back-ends ----------------------


def test_timeout_keeps_the_proved_lower_bound_and_a_checked_best_circuit() -> None:
    table = 0x169AE443  # needs 12 gates (TAOCP 7.1.2); 5 inputs give the lower bound 4
    result = synthesize(5, [table], timeout=0.3)
    assert result.status == "unknown" and result.circuit is None
    assert result.best is not None and result.upper == result.best.size
    assert result.best.truth_tables() == (table,)  # re-simulated here, independently
    assert 4 <= result.lower <= 12 <= result.upper
    refuted = [s.gates for s in result.steps if s.outcome in ("unsat", "bound")]
    assert refuted == list(range(result.lower))  # the lower bound is exactly what was refuted
    data = result.to_json()
    assert (data["lower"], data["upper"]) == (result.lower, result.upper)
    assert len(data["gates"]) == result.upper


def test_optimal_results_have_equal_bounds() -> None:
    result = synthesize(3, [majority3()])
    assert result.lower == result.upper == result.cost == 4


@pytest.mark.parametrize("inputs", [0, 1, 2, 3, 4, 5, 6])
def test_shannon_circuit_computes_the_tables(inputs: int) -> None:
    from calculus.circuits.heuristic import shannon_circuit

    rng = random.Random(inputs)
    full = (1 << (1 << inputs)) - 1
    for _ in range(30):
        tables = [rng.getrandbits(1 << inputs) for _ in range(2)]
        care = [rng.getrandbits(1 << inputs) | rng.getrandbits(1 << inputs) for _ in range(2)]
        circuit = shannon_circuit(inputs, tables, care)
        computed = circuit.truth_tables()
        assert all(((c ^ t) & m) == 0 for c, t, m in zip(computed, tables, care, strict=True))
    parity = sum(1 << t for t in range(1 << inputs) if bin(t).count("1") % 2)
    assert shannon_circuit(inputs, [parity], [full]).size == max(inputs - 1, 0)


def test_timeouts_that_are_not_numbers_of_seconds() -> None:
    with pytest.raises(SpecificationError):
        synthesize(2, [6], timeout=float("nan"))
    with pytest.raises(SpecificationError):
        synthesize(2, [6], timeout=-1)
    assert synthesize(2, [6], timeout=float("inf")).cost == 1  # no limit


def test_sat_back_ends_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pysat")
    from calculus.circuits.npn import npn_representatives

    tables = list(npn_representatives(3))
    sizes = {}
    for backend in ("z3", "minisat22", "glucose4"):
        monkeypatch.setenv("COST_SAT_SOLVER", backend)
        sizes[backend] = [synthesize(3, [t]).cost for t in tables]
    assert sizes["z3"] == sizes["minisat22"] == sizes["glucose4"]
    assert Counter(sizes["z3"]) == Counter({0: 2, 1: 2, 2: 5, 3: 3, 4: 2})


def test_tightening_reaches_the_minimum_from_the_decomposition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from calculus.circuits import synthesis

    monkeypatch.setattr(synthesis, "TIGHTEN_AFTER", 60.0)  # no question is cut short here
    table = 0x0116  # 7 gates (bench_synthesis cross-checks the 4-input minima with ABC)
    spec = table_specification(4, [table])
    search = synthesis._new_search(spec, "b2", "size", True, None, None, 0.0, None)
    quick = search.quick_circuit()
    assert quick is not None and quick.truth_tables() == (table,) and quick.size > 7
    search.offer(quick)
    search.lower = 6  # as if 0-5 gates were refuted and the 6-gate question were pending
    search.tighten()
    assert search.best is not None and search.best.size == 7
    assert search.best.truth_tables() == (table,)
