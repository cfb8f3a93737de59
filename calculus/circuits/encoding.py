"""The selection-variable CNF for "a circuit of exactly r normal gates meets the specification".

Gate i (node n+i) has selection variables ``s[i][(j, k)]`` choosing fanins j < k among
earlier nodes, three operator variables for the values on (1,0), (0,1), (1,1) — gates are
*normal*, value 0 on (0,0), with inversion left to the outputs, which is free — and one
value variable per simulated input assignment (Knuth, TAOCP 7.2.2.2, exact synthesis;
Kojevnikov, Kulikov and Yaroslavtsev, SAT 2009; Haaswinkel, MSc thesis 2014).  Assignment
0 is never simulated: every node of a normal circuit is 0 there.

Symmetry breaks, each keeping at least one circuit of every function that needs exactly
r gates: non-trivial operators; every gate used, so one output reads the last gate; no
re-application (a gate does not combine a gate with one of that gate's own fanins, nor
two gates reading the same pair of fanins: either way the gates compute a function of two
nodes, which one gate does, closer to the inputs -- in B2; in an AIG only the first
holds, as XOR takes three AND gates); co-lexicographic order of
consecutive gates when the later one does not read the earlier; and, for inputs a < b
whose exchange (possibly with both inverted) leaves the specification unchanged, x_b is
not read before x_a is.  Of the minimum circuits, one with the least total gate depth has
no re-application, and its lexicographically least labelling satisfies the ordering
breaks together.  Each gate selects exactly one fanin pair (a sequential-counter
at-most-one, Sinz 2005), which measurably helps the solver.  "No two gates compute the
same function" (true of minimum circuits, one difference variable per row and gate pair)
is available as ``distinct_functions`` but off: over the 4-input NPN classes it made the
search about 15 % slower (``benchmarks/bench_synthesis.py``).

``GrowingEncoding`` is the same problem for one-output tables, grown a gate at a time in
one solver for the upward search over sizes.  Tables of five or more inputs use the
fanin-slot CNF of ``slots.py`` instead (rows added as counterexamples), which is faster
there and slower on four inputs (``benchmarks/results/synthesis_encodings.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import lcm
from typing import TypeVar

from calculus.syntax import Basis

from .circuit import Circuit, Gate, Output
from .cnf import ClauseBuilder, Lit, SolveOutcome, negate, xor_constant
from .specification import RewardSpecification, Specification, SpecificationError

#: Limit on the nodes of the reward-sum decision diagram before we give up.
MAX_REWARD_NODES = 200_000


class CircuitEncoding:
    """Clauses for a circuit of ``gates`` gates meeting ``spec`` (and a depth bound, if any)."""

    def __init__(
        self,
        spec: Specification,
        gates: int,
        basis: Basis = "b2",
        depth_bound: int | None = None,
        symmetric: tuple[tuple[int, int], ...] = (),
        distinct_functions: bool = False,
        at_most_one: bool = True,
    ) -> None:
        self.spec = spec
        self.n = spec.inputs
        self.r = gates
        self.m = spec.outputs
        self.basis = basis
        self.builder = ClauseBuilder()
        if isinstance(spec, RewardSpecification):
            self.rows = list(range(1, 1 << self.n))
        else:
            care_any = 0
            for mask in spec.care:
                care_any |= mask
            self.rows = [t for t in range(1, 1 << self.n) if (care_any >> t) & 1]
        self.distinct_functions = distinct_functions
        add = self.builder.add
        new = self.builder.new_variable

        # Fanin selection, operators and values of every gate.
        self.pairs: list[list[tuple[int, int]]] = []
        self.select: list[dict[tuple[int, int], int]] = []
        self.operator: list[tuple[int, int, int]] = []
        self.values: list[dict[int, int]] = []
        for i in range(gates):
            node = self.n + i
            pairs = [(j, k) for k in range(node) for j in range(k)]
            self.pairs.append(pairs)
            self.select.append({pair: new() for pair in pairs})
            self.operator.append((new(), new(), new()))
            self.values.append({t: new() for t in self.rows})
        for i in range(gates):
            self._operator_clauses(i)
            for t in self.rows:
                self._gate_row_clauses(i, t)
            if at_most_one:
                self._at_most_one(list(self.select[i].values()))

        # Outputs: which node (None = constant 0) and whether inverted.
        self.output_nodes: list[int | None] = [None, *range(self.n + gates)]
        self.output_select: list[dict[int | None, Lit]] = []
        self.polarity: list[Lit] = []
        for _h in range(self.m):
            if self.m == 1 and gates >= 1:
                # Every gate is used, so the one output reads the last gate.
                choice: dict[int | None, Lit] = {self.n + gates - 1: True}
            else:
                choice = {node: new() for node in self.output_nodes}
            self.output_select.append(choice)
            add(*choice.values())
        self._output_values: dict[tuple[int, int], Lit] = {}
        if isinstance(spec, RewardSpecification):
            self.polarity = [new() for _ in range(self.m)]
            self._reward_clauses(spec)
        else:
            for h in range(self.m):
                care, table = spec.care[h], spec.tables[h]
                polarity: Lit = bool(table & 1) if care & 1 else new()
                self.polarity.append(polarity)
            for t in self.rows:
                self._output_row_clauses(t)

        self._symmetry_breaks(symmetric)
        if depth_bound is not None and depth_bound < gates:
            if depth_bound < 1:
                self.builder.add()  # gates need depth at least 1
            else:
                self._depth_clauses(depth_bound)

    # -- values -----------------------------------------------------------------------

    def node_value(self, node: int | None, row: int) -> Lit:
        """Literal for the value of ``node`` (None = constant 0) on assignment ``row``."""
        if node is None or row == 0:
            return False
        if node < self.n:
            return bool((row >> node) & 1)
        return self.values[node - self.n][row]

    def output_value(self, h: int, row: int) -> Lit:
        """Literal for output ``h`` on assignment ``row`` (after its free inversion)."""
        key = (h, row)
        if key in self._output_values:
            return self._output_values[key]
        spec = self.spec
        if not isinstance(spec, RewardSpecification):
            if (spec.care[h] >> row) & 1:
                return bool((spec.tables[h] >> row) & 1)
            raise SpecificationError("output values on don't-care rows are not encoded")
        selected = self.builder.new_variable()
        for node, chosen in self.output_select[h].items():
            self.builder.add_equal(selected, self.node_value(node, row), negate(chosen))
        value = self.builder.new_variable()
        # value == selected XOR polarity
        polarity = self.polarity[h]
        add = self.builder.add
        add(negate(value), selected, polarity)
        add(negate(value), negate(selected), negate(polarity))
        add(value, negate(selected), polarity)
        add(value, selected, negate(polarity))
        self._output_values[key] = value
        return value

    def differs_from(self, row: int, action: int) -> list[Lit]:
        """Literals whose disjunction says the action on ``row`` is not ``action``."""
        return [xor_constant(self.output_value(h, row), (action >> h) & 1) for h in range(self.m)]

    # -- clause groups ----------------------------------------------------------------

    def _operator_clauses(self, i: int) -> None:
        add = self.builder.add
        g1, g2, g3 = self.operator[i]
        # Non-trivial operators: not constant 0, not the first fanin, not the second.
        add(g1, g2, g3)
        add(-g1, g2, -g3)
        add(g1, -g2, -g3)
        if self.basis == "aig":
            add(-g1, -g2, g3)  # no XOR: AND with inverted inputs/outputs only
        add(*self.select[i].values())

    def _gate_row_clauses(self, i: int, t: int) -> None:
        """Gate i's value on row t is its operator applied to its selected fanins' values.

        For selection s, fanin values a, b and value x: s and (a, b) = (0, 0) give x = 0;
        otherwise x equals the operator bit g_ab.  Known input values are folded in.  This
        is the bulk of the clauses, so they are appended directly.
        """
        append = self.builder.clauses.append
        n = self.n
        op_var = (0, *self.operator[i])
        x = self.values[i][t]
        for (j, k), s in self.select[i].items():
            if k < n:  # both fanins are inputs: their values are known
                index = ((t >> j) & 1) + 2 * ((t >> k) & 1)
                if index == 0:
                    append([-s, -x])
                else:
                    g = op_var[index]
                    append([-s, -x, g])
                    append([-s, x, -g])
                continue
            vk = self.values[k - n][t]
            if j < n:  # first fanin an input, second a gate
                a = (t >> j) & 1
                if a:
                    g1, g3 = op_var[1], op_var[3]
                    append([-s, vk, -x, g1])
                    append([-s, vk, x, -g1])
                    append([-s, -vk, -x, g3])
                    append([-s, -vk, x, -g3])
                else:
                    g2 = op_var[2]
                    append([-s, vk, -x])
                    append([-s, -vk, -x, g2])
                    append([-s, -vk, x, -g2])
                continue
            vj = self.values[j - n][t]
            g1, g2, g3 = op_var[1], op_var[2], op_var[3]
            append([-s, vj, vk, -x])
            append([-s, -vj, vk, -x, g1])
            append([-s, -vj, vk, x, -g1])
            append([-s, vj, -vk, -x, g2])
            append([-s, vj, -vk, x, -g2])
            append([-s, -vj, -vk, -x, g3])
            append([-s, -vj, -vk, x, -g3])

    def _output_row_clauses(self, t: int) -> None:
        """Table mode: each output's selected node equals the table (after inversion) on t."""
        spec = self.spec
        assert not isinstance(spec, RewardSpecification)
        for h in range(self.m):
            care, table = spec.care[h], spec.tables[h]
            if not (care >> t) & 1:
                continue
            target = xor_constant(self.polarity[h], (table >> t) & 1)
            for source, chosen in self.output_select[h].items():
                self.builder.add_equal(self.node_value(source, t), target, negate(chosen))

    def _symmetry_breaks(self, symmetric: tuple[tuple[int, int], ...]) -> None:
        add = self.builder.add
        n, r = self.n, self.r
        # Every gate is read by a later gate or an output.
        for i in range(r):
            node = n + i
            readers: list[Lit] = [c[node] for c in self.output_select if node in c]
            for later in range(i + 1, r):
                readers.extend(s for (j, k), s in self.select[later].items() if node in (j, k))
            add(*readers)
        # No re-application: gate i' does not read gate i together with one of i's fanins.
        for i in range(r):
            node = n + i
            for (j, k), s in self.select[i].items():
                for later in range(i + 1, r):
                    choice = self.select[later]
                    add(-s, -choice[(j, node)])
                    add(-s, -choice[(k, node)])
        for i in range(r if self.basis == "b2" else 0):
            for second in range(i):
                for first in range(second):
                    self._same_pair_clauses(first, second, i)
        # Co-lexicographic order of consecutive gates that are independent.
        for i in range(r - 1):
            node = n + i
            later_pairs = [(pair, s) for pair, s in self.select[i + 1].items() if pair[1] != node]
            for (j, k), s in self.select[i].items():
                for (j2, k2), s2 in later_pairs:
                    if (k2, j2) < (k, j):
                        add(-s, -s2)
        # A minimum circuit computes no function twice and no gate repeats an input.
        if self.distinct_functions:
            for i in range(r):
                x = self.values[i]
                for j in range(n):
                    add(*(x[t] if not (t >> j) & 1 else -x[t] for t in self.rows))
                for later in range(i + 1, r):
                    y = self.values[later]
                    differences = []
                    for t in self.rows:
                        d = self.builder.new_variable()
                        add(-d, x[t], y[t])
                        add(-d, -x[t], -y[t])
                        differences.append(d)
                    add(*differences)
        # Symmetric inputs a < b: x_b is not read before x_a has been read.
        for a, b in symmetric:
            used_before: Lit = False  # "some gate before i reads x_a"
            for i in range(r):
                for (j, k), s in self.select[i].items():
                    if b in (j, k) and a not in (j, k):
                        add(-s, used_before)
                if i < r - 1:
                    used = self.builder.new_variable()
                    readers_of_a = [s for (j, k), s in self.select[i].items() if a in (j, k)]
                    add(-used, used_before, *readers_of_a)
                    used_before = used

    def _same_pair_clauses(self, first: int, second: int, reader: int) -> None:
        """Gate ``reader`` does not combine gates ``first`` and ``second`` when both read the
        same two fanins (the three gates compute a function of those two: one gate does)."""
        add, n = self.builder.add, self.n
        reads_both = self.select[reader][(n + first, n + second)]
        later_pairs = self.select[second]
        for pair, s in self.select[first].items():
            add(-s, -later_pairs[pair], -reads_both)

    def _at_most_one(self, literals: list[int]) -> None:
        """Sequential-counter encoding of at most one true literal (Sinz 2005)."""
        add = self.builder.add
        previous: Lit = False
        for index, literal in enumerate(literals):
            if index < len(literals) - 1:
                seen = self.builder.new_variable()
                add(-literal, seen)
                add(negate(previous), seen)
            add(-literal, negate(previous))
            if index < len(literals) - 1:
                previous = seen

    def _depth_clauses(self, bound: int) -> None:
        """Every gate at depth at most ``bound`` (all gates feed an output, so this bounds depth)."""
        add = self.builder.add
        new = self.builder.new_variable
        n = self.n
        # within[i][e]: gate i has depth at most e (e = 0 .. bound); gates never have depth 0.
        within: list[list[Lit]] = []
        for _i in range(self.r):
            row: list[Lit] = [False] + [new() for _ in range(bound - 1)] + [True]
            within.append(row)
            for e in range(1, bound):
                add(negate(row[e]), row[e + 1])
        for i in range(self.r):
            for (j, k), s in self.select[i].items():
                for fanin in (j, k):
                    if fanin < n:
                        continue
                    inner = within[fanin - n]
                    for e in range(1, bound + 1):
                        add(-s, negate(within[i][e]), inner[e - 1])

    def _reward_clauses(self, spec: RewardSpecification) -> None:
        """Expected reward >= threshold, as a decision diagram over partial sums."""
        rewards = dict(spec.rewards)
        groups = [
            (t, [(action, weight * value) for action, value in enumerate(rewards[t])])
            for t, weight in spec.weights
        ]
        threshold_clauses(
            self.builder,
            groups,
            spec.threshold,
            self.differs_from,
            MAX_REWARD_NODES,
            "reward threshold needs too large an encoding",
        )

    # -- decoding ---------------------------------------------------------------------

    def decode(self, outcome: SolveOutcome) -> Circuit:
        gates = []
        for i in range(self.r):
            pair = next(p for p, s in self.select[i].items() if outcome.value(s))
            g1, g2, g3 = self.operator[i]
            op = 2 * outcome.value(g1) + 4 * outcome.value(g2) + 8 * outcome.value(g3)
            gates.append(Gate(op, pair[0], pair[1]))
        outputs = []
        for h in range(self.m):
            node = next(v for v, s in self.output_select[h].items() if outcome.value(s))
            outputs.append(Output(node, outcome.value(self.polarity[h])))
        return Circuit(self.n, tuple(gates), tuple(outputs))


class GrowingEncoding(CircuitEncoding):
    """One-output tables: the clauses for 1, 2, 3, ... gates, grown in one problem.

    A gate's clauses (fanin selection, operator, simulation, re-application, order and
    input-symmetry breaks) do not depend on how many gates follow it, so each gate is
    added once and kept.  The clauses that do — the output reads the last gate, every
    earlier gate is read — are guarded by an activation literal per size, assumed when
    that size is asked; so one solver answers every size and keeps what it learnt.
    """

    def __init__(
        self,
        spec: Specification,
        basis: Basis = "b2",
        symmetric: tuple[tuple[int, int], ...] = (),
    ) -> None:
        if isinstance(spec, RewardSpecification) or spec.outputs != 1:
            raise SpecificationError("a growing encoding needs a one-output truth table")
        self.spec = spec
        self.n = spec.inputs
        self.r = 0
        self.m = 1
        self.basis = basis
        self.builder = ClauseBuilder()
        care, table = spec.care[0], spec.tables[0]
        self.rows = [t for t in range(1, 1 << self.n) if (care >> t) & 1]
        self.distinct_functions = False
        self.pairs = []
        self.select = []
        self.operator = []
        self.values = []
        self.polarity = [bool(table & 1) if care & 1 else self.builder.new_variable()]
        self.output_nodes = []
        self.output_select = []
        self._output_values = {}
        self.symmetric = symmetric
        #: Per symmetric pair (a, b): "some gate so far reads x_a".
        self._used: list[Lit] = [False] * len(symmetric)
        #: The activation literal of the current size (None before the first gate).
        self.active: int | None = None

    def grow(self) -> int:
        """Add one gate; return the literal to assume when asking for this many gates."""
        builder = self.builder
        add, new = builder.add, builder.new_variable
        n, i = self.n, self.r
        node = n + i
        pairs = [(j, k) for k in range(node) for j in range(k)]
        self.pairs.append(pairs)
        self.select.append({pair: new() for pair in pairs})
        self.operator.append((new(), new(), new()))
        self.values.append({t: new() for t in self.rows})
        self.r = i + 1
        self._operator_clauses(i)
        for t in self.rows:
            self._gate_row_clauses(i, t)
        self._at_most_one(list(self.select[i].values()))
        select = self.select[i]
        # No re-application: this gate does not read an earlier gate with one of its fanins.
        for earlier in range(i):
            gate = n + earlier
            for (j, k), s in self.select[earlier].items():
                add(-s, -select[(j, gate)])
                add(-s, -select[(k, gate)])
        # Nor two earlier gates that read the same pair of fanins (B2 only: one AND
        # gate cannot always replace them, XOR from three AND gates reads so).
        for second in range(i if self.basis == "b2" else 0):
            for first in range(second):
                self._same_pair_clauses(first, second, i)
        # Co-lexicographic order after the previous gate, unless this gate reads it.
        if i > 0:
            previous = node - 1
            mine = [(pair, s) for pair, s in select.items() if pair[1] != previous]
            for (j, k), s in self.select[i - 1].items():
                for (j2, k2), s2 in mine:
                    if (k2, j2) < (k, j):
                        add(-s, -s2)
        # Symmetric inputs a < b: x_b is not read before x_a has been read.
        for index, (a, b) in enumerate(self.symmetric):
            used_before = self._used[index]
            for (j, k), s in select.items():
                if b in (j, k) and a not in (j, k):
                    add(-s, used_before)
            used = new()
            add(-used, used_before, *(s for (j, k), s in select.items() if a in (j, k)))
            self._used[index] = used
        # This size: the output is the last gate, and every earlier gate is read.
        active = new()
        if self.active is not None:
            add(-self.active)  # smaller sizes are settled
        self.active = active
        self.output_select = [{node: active}]
        self._output_values = {}
        target = self.polarity[0]
        care, table = self.spec.care[0], self.spec.tables[0]  # type: ignore[union-attr]
        for t in self.rows:
            if (care >> t) & 1:
                self.builder.add_equal(
                    self.values[i][t], xor_constant(target, (table >> t) & 1), -active
                )
        for earlier in range(i):
            gate = n + earlier
            readers = [
                s
                for later in range(earlier + 1, i + 1)
                for (j, k), s in self.select[later].items()
                if gate in (j, k)
            ]
            add(-active, *readers)
        return active


ExtraConstraint = Callable[[CircuitEncoding], None]

K = TypeVar("K")
C = TypeVar("C")


def threshold_clauses(
    builder: ClauseBuilder,
    groups: Sequence[tuple[K, Sequence[tuple[C, Fraction]]]],
    threshold: Fraction,
    not_chosen: Callable[[K, C], list[Lit]],
    limit: int,
    too_large: str,
) -> None:
    """Sum over the groups of the value of the alternative taken >= ``threshold``, as a
    decision diagram over partial sums (one node per group and reachable sum).

    Exactly one alternative of each group is taken; ``not_chosen(key, choice)`` gives
    literals whose disjunction says that ``choice`` is not the one taken.  Each group's
    least value is counted for free, groups are visited largest gain first, and a node
    whose sum can no longer reach the threshold is false.  Raises ``SpecificationError``
    (``too_large``) past ``limit`` nodes.
    """
    rows: list[tuple[K, list[tuple[C, Fraction]]]] = []
    need = threshold
    for key, alternatives in groups:
        base = min(value for _, value in alternatives)
        need -= base
        extra = [(choice, value - base) for choice, value in alternatives]
        if max(value for _, value in extra) > 0:
            rows.append((key, extra))
    if need <= 0:
        return
    scale = lcm(need.denominator, *(v.denominator for _, extra in rows for _, v in extra))
    scaled = sorted(
        ((key, [(choice, int(v * scale)) for choice, v in extra]) for key, extra in rows),
        key=lambda item: -max(gain for _, gain in item[1]),
    )
    target = int(need * scale)
    remaining = [0] * (len(scaled) + 1)
    for index in range(len(scaled) - 1, -1, -1):
        remaining[index] = remaining[index + 1] + max(gain for _, gain in scaled[index][1])
    if remaining[0] < target:
        builder.add()  # unreachable threshold
        return
    nodes: dict[tuple[int, int], int] = {}
    pending: list[tuple[int, int]] = []

    def node(index: int, total: int) -> Lit:
        if total >= target:
            return True
        if total + remaining[index] < target:
            return False
        key = (index, total)
        if key not in nodes:
            if len(nodes) >= limit:
                raise SpecificationError(too_large)
            nodes[key] = builder.new_variable()
            pending.append(key)
        return nodes[key]

    builder.add(node(0, 0))
    while pending:
        index, total = pending.pop()
        here = nodes[(index, total)]
        key, gains = scaled[index]
        for choice, gain in gains:
            builder.add(-here, *not_chosen(key, choice), node(index + 1, total + gain))
