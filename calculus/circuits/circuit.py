"""Boolean circuits of 2-input gates: the value record, simulation, depth and a readable listing.

Nodes are numbered inputs first (0 .. n-1 stand for x1 .. xn), then gates (n .. n+size-1
stand for g1 .. g_size).  A gate's operator is its 4-bit truth table: bit ``a + 2*b`` is the
gate's value when its first fanin is ``a`` and its second fanin is ``b``.  Truth tables of
whole functions use the same convention as ``cost synth``: bit ``i`` is the value on input
assignment ``i``, with x1 the least significant bit of ``i``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: Readable forms of the 16 two-input operators, ``{a}``/``{b}`` the first/second fanin.
OPERATOR_FORMS: tuple[str, ...] = (
    "0",
    "NOT ({a} OR {b})",
    "{a} AND NOT {b}",
    "NOT {b}",
    "NOT {a} AND {b}",
    "NOT {a}",
    "{a} XOR {b}",
    "NOT ({a} AND {b})",
    "{a} AND {b}",
    "{a} XNOR {b}",
    "{a}",
    "{a} OR NOT {b}",
    "{b}",
    "NOT {a} OR {b}",
    "{a} OR {b}",
    "1",
)

#: Short operator names used in JSON.
OPERATOR_NAMES: tuple[str, ...] = (
    "FALSE",
    "NOR",
    "ANDNOT",
    "NOTB",
    "NOTAND",
    "NOTA",
    "XOR",
    "NAND",
    "AND",
    "XNOR",
    "A",
    "ORNOT",
    "B",
    "NOTOR",
    "OR",
    "TRUE",
)


def apply_operator(op: int, a: int, b: int) -> int:
    """Value of operator ``op`` (a 4-bit truth table) on fanin values ``a`` and ``b``."""
    return (op >> (a + 2 * b)) & 1


@dataclass(frozen=True)
class Gate:
    """A 2-input gate: operator truth table and its two fanin nodes (first < second)."""

    op: int
    first: int
    second: int


@dataclass(frozen=True)
class Output:
    """An output: the node it reads (``None`` for the constant 0) and whether it is inverted."""

    node: int | None
    complemented: bool = False


@dataclass(frozen=True)
class Circuit:
    """A circuit over ``inputs`` variables; ``size`` counts gates, inversions and constants are free."""

    inputs: int
    gates: tuple[Gate, ...]
    outputs: tuple[Output, ...]

    def __post_init__(self) -> None:
        for index, gate in enumerate(self.gates):
            node = self.inputs + index
            if not (0 <= gate.first < node and 0 <= gate.second < node):
                raise ValueError(f"gate g{index + 1} reads a node that is not earlier")
            if not 0 <= gate.op < 16:
                raise ValueError(f"gate g{index + 1} has operator {gate.op}, not 0..15")
        total = self.inputs + len(self.gates)
        for output in self.outputs:
            if output.node is not None and not 0 <= output.node < total:
                raise ValueError(f"output reads node {output.node}, which does not exist")

    @property
    def size(self) -> int:
        """Number of 2-input gates (Knuth's convention, TAOCP 7.1.2)."""
        return len(self.gates)

    def node_depths(self) -> tuple[int, ...]:
        """Depth of every node: inputs 0, a gate one more than its deeper fanin."""
        depths = [0] * self.inputs
        for gate in self.gates:
            depths.append(1 + max(depths[gate.first], depths[gate.second]))
        return tuple(depths)

    @property
    def depth(self) -> int:
        """Longest input-to-output path, counted in gates (0 for outputs on inputs or constants)."""
        depths = self.node_depths()
        return max(
            (depths[output.node] for output in self.outputs if output.node is not None),
            default=0,
        )

    def node_values(self, assignment: int) -> tuple[int, ...]:
        """Value of every node on input assignment ``assignment`` (x1 = bit 0)."""
        values = [(assignment >> j) & 1 for j in range(self.inputs)]
        for gate in self.gates:
            values.append(apply_operator(gate.op, values[gate.first], values[gate.second]))
        return tuple(values)

    def simulate(self, assignment: int) -> tuple[int, ...]:
        """Output values (y1, y2, ...) on input assignment ``assignment`` (x1 = bit 0)."""
        values = self.node_values(assignment)
        return tuple(
            (0 if output.node is None else values[output.node]) ^ int(output.complemented)
            for output in self.outputs
        )

    def truth_tables(self) -> tuple[int, ...]:
        """One truth table per output, bit ``i`` the value on assignment ``i``."""
        tables = [0] * len(self.outputs)
        for assignment in range(1 << self.inputs):
            for h, bit in enumerate(self.simulate(assignment)):
                tables[h] |= bit << assignment
        return tuple(tables)

    def action(self, assignment: int) -> int:
        """The outputs on ``assignment`` read as one number, y1 the least significant bit."""
        return sum(bit << h for h, bit in enumerate(self.simulate(assignment)))

    def node_name(self, node: int | None) -> str:
        """``x3`` for an input, ``g2`` for a gate, ``0`` for the constant."""
        if node is None:
            return "0"
        if node < self.inputs:
            return f"x{node + 1}"
        return f"g{node - self.inputs + 1}"

    def listing(self) -> str:
        """One line per gate and output, e.g. ``g1 = x1 XOR x2`` and ``y1 = NOT g3``."""
        lines = []
        for index, gate in enumerate(self.gates):
            form = OPERATOR_FORMS[gate.op].format(
                a=self.node_name(gate.first), b=self.node_name(gate.second)
            )
            lines.append(f"g{index + 1} = {form}")
        for h, output in enumerate(self.outputs):
            if output.node is None:
                source = "1" if output.complemented else "0"
            else:
                name = self.node_name(output.node)
                source = f"NOT {name}" if output.complemented else name
            lines.append(f"y{h + 1} = {source}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain data: gates with operator name and truth table, outputs with their node."""
        return {
            "inputs": self.inputs,
            "size": self.size,
            "depth": self.depth,
            "gates": [
                {
                    "name": f"g{index + 1}",
                    "op": OPERATOR_NAMES[gate.op],
                    "table": gate.op,
                    "fanins": [self.node_name(gate.first), self.node_name(gate.second)],
                }
                for index, gate in enumerate(self.gates)
            ],
            "outputs": [
                {
                    "name": f"y{h + 1}",
                    "node": self.node_name(output.node),
                    "complemented": output.complemented,
                }
                for h, output in enumerate(self.outputs)
            ],
            "listing": self.listing().splitlines(),
        }


def table_mask(inputs: int) -> int:
    """All-ones truth table of ``inputs`` variables."""
    return (1 << (1 << inputs)) - 1


def input_table(inputs: int, variable: int) -> int:
    """Truth table of input x(variable+1) over ``inputs`` variables."""
    return sum(1 << t for t in range(1 << inputs) if (t >> variable) & 1)


def agrees(circuit: Circuit, tables: Sequence[int], care: Sequence[int] | None = None) -> bool:
    """Whether ``circuit`` computes ``tables`` on every assignment in the ``care`` masks."""
    computed = circuit.truth_tables()
    if len(computed) != len(tables):
        return False
    full = table_mask(circuit.inputs)
    masks = care if care is not None else [full] * len(tables)
    return all(((c ^ t) & m) == 0 for c, t, m in zip(computed, tables, masks, strict=True))
