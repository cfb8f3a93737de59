"""The fanin-slot CNF for "a one-output circuit of exactly r normal gates meets the table",
with the table's rows added only as counterexamples call for them.

Gate i (node n+i) has two fanin slots, each one-hot over the earlier nodes: ``second``
reads the larger node, ``first`` a smaller one, so every gate reads two distinct nodes in
order; three operator variables give its values on (1,0), (0,1), (1,1) (gates are
*normal*, 0 on (0,0), inversion left to the output, which is free).  A simulated row adds,
per gate, a value variable for each slot and one for the gate, tied to the selected
fanin's value (Knuth, TAOCP 7.2.2.2, exact synthesis; ABC's ``twoexact``, bmcMaj.c, whose
layout this follows).  Only the rows a candidate circuit got wrong are simulated: solve,
decode, simulate the circuit on the whole table, add the first wrong row, solve again
(counterexample-guided refinement over rows; Haaswinkel, MSc thesis 2014; Soeken et al.,
"Practical exact synthesis", DATE 2018).  The last answer is either a circuit checked on
every row or ``unsat`` on a subset of the rows, which refutes the whole table.

Symmetry breaks, each keeping at least one circuit of every function that needs exactly
r gates (the argument of ``encoding.py``: of the minimum circuits, one with the least
total gate depth has no re-application, and its lexicographically least labelling
satisfies the ordering breaks together): non-trivial operators; the output reads the last
gate and every other gate is read by a later one; every input the table depends on is
read; no re-application (a gate does not read a gate together with one of that gate's
fanins, nor, in B2, two gates reading the same pair); co-lexicographic order of
consecutive gates when the later one does not read the earlier; and, for inputs a < b
whose exchange (possibly with both inverted) leaves the table unchanged, x_b is not read
before x_a is.
"""

from __future__ import annotations

from calculus.syntax import Basis

from .circuit import Circuit, Gate, Output
from .cnf import ClauseBuilder, Lit, SolveOutcome, xor_constant
from .specification import SpecificationError, TableSpecification


class SlotEncoding:
    """Clauses for a one-output circuit of ``gates`` >= 1 gates meeting ``spec`` on the rows
    added so far (``add_row``); ``counterexample`` finds the next row to add."""

    def __init__(
        self,
        spec: TableSpecification,
        gates: int,
        basis: Basis = "b2",
        symmetric: tuple[tuple[int, int], ...] = (),
        essential: tuple[int, ...] = (),
    ) -> None:
        if spec.outputs != 1 or gates < 1:
            raise SpecificationError("a fanin-slot encoding needs one output and a gate")
        self.spec = spec
        self.n = n = spec.inputs
        self.r = gates
        self.basis = basis
        self.builder = ClauseBuilder()
        self.care, self.table = spec.care[0], spec.tables[0]
        new = self.builder.new_variable
        self.polarity: Lit = bool(self.table & 1) if self.care & 1 else new()
        #: first[i][j] / second[i][j]: gate i's smaller / larger fanin is node j.
        self.first: list[dict[int, int]] = []
        self.second: list[dict[int, int]] = []
        self.operator: list[tuple[int, int, int]] = []
        for i in range(gates):
            node = n + i
            self.first.append({j: new() for j in range(node - 1)})
            self.second.append({j: new() for j in range(1, node)})
            self.operator.append((new(), new(), new()))
        #: Rows simulated so far.
        self.rows: list[int] = []
        self._structure(symmetric, essential)

    # -- structure ----------------------------------------------------------------------

    def _structure(
        self, symmetric: tuple[tuple[int, int], ...], essential: tuple[int, ...]
    ) -> None:
        builder = self.builder
        add = builder.add
        n, r = self.n, self.r
        first, second = self.first, self.second
        for i in range(r):
            for slot in (first[i], second[i]):
                literals = list(slot.values())
                add(*literals)
                for a in range(len(literals)):
                    for b in range(a + 1, len(literals)):
                        add(-literals[a], -literals[b])
            # The smaller fanin is below the larger one.
            for j, f in first[i].items():
                for m, s in second[i].items():
                    if m <= j:
                        add(-f, -s)
            # Non-trivial normal operators: not constant 0, not the first or second fanin.
            g1, g2, g3 = self.operator[i]
            add(g1, g2, g3)
            add(-g1, g2, -g3)
            add(g1, -g2, -g3)
            if self.basis == "aig":
                add(-g1, -g2, g3)  # no XOR
        # Every gate but the last is read by a later gate; every essential input is read.
        for node in range(n, n + r - 1):
            add(*self._readers(node))
        for j in essential:
            add(*self._readers(j))
        # No re-application: gate i reads gate j and one of j's fanins.
        for i in range(r):
            for j in range(i):
                reads_j = second[i][n + j]
                for m, f in first[i].items():
                    if m < n + j:
                        if m in first[j]:
                            add(-reads_j, -f, -first[j][m])
                        if m in second[j]:
                            add(-reads_j, -f, -second[j][m])
        # Nor two gates that read the same pair (B2: one gate computes what the three do).
        if self.basis == "b2":
            for j2 in range(1, r - 1):
                for j1 in range(j2):
                    same = builder.new_variable()
                    for b, s1 in second[j1].items():
                        s2 = second[j2].get(b)
                        if s2 is None:
                            continue
                        for a, f1 in first[j1].items():
                            if a < b and a in first[j2]:
                                add(-f1, -s1, -first[j2][a], -s2, same)
                    for i in range(j2 + 1, r):
                        add(-same, -second[i][n + j2], -first[i][n + j1])
        # Co-lexicographic order of consecutive gates (a later gate reading the earlier
        # one has the larger second fanin anyway).
        for i in range(r - 1):
            for a1, s1 in second[i].items():
                for a2, s2 in second[i + 1].items():
                    if a2 < a1:
                        add(-s1, -s2)
                    elif a2 == a1:
                        for b1, f1 in first[i].items():
                            for b2, f2 in first[i + 1].items():
                                if b2 < b1 < a1:
                                    add(-s1, -s2, -f1, -f2)
        # Symmetric inputs a < b: x_b is not read before x_a has been read.
        for a, b in symmetric:
            used_before: Lit = False
            for i in range(r):
                if b in second[i]:
                    add(-second[i][b], used_before, first[i].get(a, False))
                if b in first[i]:
                    add(-first[i][b], used_before)
                if i < r - 1:
                    used = builder.new_variable()
                    add(-used, used_before, first[i].get(a, False), second[i].get(a, False))
                    used_before = used

    def _readers(self, node: int) -> list[Lit]:
        readers: list[Lit] = []
        for i in range(max(node - self.n, -1) + 1, self.r):
            readers.extend(slot[node] for slot in (self.first[i], self.second[i]) if node in slot)
        return readers

    # -- rows ---------------------------------------------------------------------------

    def add_row(self, t: int) -> None:
        """Simulate row ``t`` (a care row, not 0): every gate's value, the output's target."""
        if t in self.rows or t == 0 or not (self.care >> t) & 1:
            raise SpecificationError(f"row {t} is not a new care row")
        self.rows.append(t)
        builder = self.builder
        append = builder.clauses.append
        new = builder.new_variable
        n = self.n
        values: list[int] = []
        for i in range(self.r):
            low, high, x = new(), new(), new()
            for value, slot in ((low, self.first[i]), (high, self.second[i])):
                for j, s in slot.items():
                    if j < n:
                        append([-s, value] if (t >> j) & 1 else [-s, -value])
                    else:
                        y = values[j - n]
                        append([-s, -value, y])
                        append([-s, value, -y])
            g1, g2, g3 = self.operator[i]
            append([low, high, -x])
            append([-low, high, -x, g1])
            append([-low, high, x, -g1])
            append([low, -high, -x, g2])
            append([low, -high, x, -g2])
            append([-low, -high, -x, g3])
            append([-low, -high, x, -g3])
            values.append(x)
        builder.add_equal(values[-1], xor_constant(self.polarity, (self.table >> t) & 1))

    def counterexample(self, circuit: Circuit) -> int | None:
        """The first care row (after row 0) the circuit gets wrong, or None."""
        (computed,) = circuit.truth_tables()
        wrong = (computed ^ self.table) & self.care & ~1
        if not wrong:
            return None
        return (wrong & -wrong).bit_length() - 1

    def first_row(self) -> int | None:
        """The row to simulate before the first solve: the first care row after row 0."""
        rows = self.care & ~1
        return None if not rows else (rows & -rows).bit_length() - 1

    # -- decoding -------------------------------------------------------------------------

    def decode(self, outcome: SolveOutcome) -> Circuit:
        gates = []
        for i in range(self.r):
            j = next(j for j, s in self.first[i].items() if outcome.value(s))
            k = next(k for k, s in self.second[i].items() if outcome.value(s))
            g1, g2, g3 = self.operator[i]
            op = 2 * outcome.value(g1) + 4 * outcome.value(g2) + 8 * outcome.value(g3)
            gates.append(Gate(op, j, k))
        output = Output(self.n + self.r - 1, outcome.value(self.polarity))
        return Circuit(self.n, tuple(gates), (output,))
