"""A quick circuit for any truth tables: Shannon decomposition with shared sub-functions.

The exact search proves lower bounds from below; this gives an upper bound at once, so a
search stopped by its time limit (or Ctrl-C) still reports a circuit.  Each output is
expanded on one variable at a time, ``f = x ? f1 : f0``, sub-functions (and their
complements, inversion being free) are built once, and the cheap cases take one gate:
``x AND f1`` when f0 = 0, ``x XOR f0`` when f1 = NOT f0, and so on; otherwise a
multiplexer takes three.  Several variable orders are tried and the smallest circuit kept.
Don't-care assignments are answered 0.  Nothing here is claimed minimal.
"""

from __future__ import annotations

from collections.abc import Sequence

from .circuit import Circuit, Gate, Output, apply_operator, input_table, table_mask

#: A node (None = constant 0) and whether it is read complemented.
Literal = tuple[int | None, bool]

_FALSE: Literal = (None, False)
_TRUE: Literal = (None, True)


class _Builder:
    def __init__(self, inputs: int, order: Sequence[int]) -> None:
        self.n = inputs
        self.full = table_mask(inputs)
        self.order = list(order)
        self.inputs = [input_table(inputs, j) for j in range(inputs)]
        self.gates: list[Gate] = []
        self.tables: list[int] = list(self.inputs)  # truth table of every node
        self.known: dict[int, Literal] = {0: _FALSE, self.full: _TRUE}
        for j, table in enumerate(self.inputs):
            self.known[table] = (j, False)
            self.known[table ^ self.full] = (j, True)

    def value(self, literal: Literal) -> int:
        node, complemented = literal
        table = 0 if node is None else self.tables[node]
        return table ^ self.full if complemented else table

    def gate(self, op: int, left: Literal, right: Literal) -> Literal:
        """A gate computing ``op(left, right)``; inversions of the fanins fold into the operator."""
        (a, negate_a), (b, negate_b) = left, right
        assert a is not None and b is not None and a != b
        folded = 0
        for va in (0, 1):
            for vb in (0, 1):
                if apply_operator(op, va ^ negate_a, vb ^ negate_b):
                    folded |= 1 << (va + 2 * vb)
        if a > b:  # fanins in node order: transpose the operator
            a, b = b, a
            folded = sum(
                ((folded >> (y + 2 * x)) & 1) << (x + 2 * y) for x in (0, 1) for y in (0, 1)
            )
        table = 0
        ta, tb = self.tables[a], self.tables[b]
        for t in range(1 << self.n):
            if apply_operator(folded, (ta >> t) & 1, (tb >> t) & 1):
                table |= 1 << t
        if table in self.known:  # the operator collapsed onto something already there
            return self.known[table]
        self.gates.append(Gate(folded, a, b))
        self.tables.append(table)
        literal: Literal = (len(self.tables) - 1, False)
        self.known[table] = literal
        self.known[table ^ self.full] = (literal[0], True)
        return literal

    def build(self, table: int, level: int = 0) -> Literal:
        if table in self.known:
            return self.known[table]
        while True:
            j = self.order[level]
            bit = 1 << j
            mask = self.inputs[j]
            low = table & ~mask
            high = table & mask
            f0 = low | (low << bit)
            f1 = high | (high >> bit)
            level += 1
            if f0 != f1:
                break
        a = self.build(f0, level)
        b = self.build(f1, level)
        x: Literal = (j, False)
        AND, OR, XOR = 8, 14, 6
        if a == _FALSE:
            return self.gate(AND, x, b)
        if a == _TRUE:
            return self.gate(OR, (j, True), b)
        if b == _FALSE:
            return self.gate(AND, (j, True), a)
        if b == _TRUE:
            return self.gate(OR, x, a)
        if a[0] == b[0]:  # b = NOT a
            return self.gate(XOR, x, a)
        low_part = self.gate(AND, (j, True), a)
        high_part = self.gate(AND, x, b)
        return self.gate(OR, low_part, high_part)


def shannon_circuit(inputs: int, tables: Sequence[int], care: Sequence[int]) -> Circuit:
    """A circuit agreeing with ``tables`` wherever ``care`` is set (don't-cares answered 0)."""
    orders = [list(range(inputs)), list(reversed(range(inputs)))]
    for first in range(1, inputs - 1):
        orders.append([first, *(j for j in range(inputs) if j != first)])
    best: Circuit | None = None
    for order in orders:
        builder = _Builder(inputs, order)
        outputs = []
        for table, mask in zip(tables, care, strict=True):
            node, complemented = builder.build(table & mask)
            outputs.append(Output(node, complemented))
        circuit = Circuit(inputs, tuple(builder.gates), tuple(outputs))
        circuit = _without_unused(circuit)
        if best is None or circuit.size < best.size:
            best = circuit
    assert best is not None
    return best


def _without_unused(circuit: Circuit) -> Circuit:
    """The circuit with gates no output depends on removed (collapses can orphan some)."""
    n = circuit.inputs
    used = [False] * (n + circuit.size)
    for output in circuit.outputs:
        if output.node is not None:
            used[output.node] = True
    for index in range(circuit.size - 1, -1, -1):
        if used[n + index]:
            gate = circuit.gates[index]
            used[gate.first] = used[gate.second] = True
    renumber = {j: j for j in range(n)}
    gates: list[Gate] = []
    for index, gate in enumerate(circuit.gates):
        if used[n + index]:
            renumber[n + index] = n + len(gates)
            gates.append(Gate(gate.op, renumber[gate.first], renumber[gate.second]))
    outputs = tuple(
        Output(None if o.node is None else renumber[o.node], o.complemented)
        for o in circuit.outputs
    )
    return Circuit(n, tuple(gates), outputs)
