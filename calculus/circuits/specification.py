"""What a synthesized circuit must do: exact truth tables with don't-cares, or a reward threshold.

Both are plain records built from ints and Fractions.  A ``TableSpecification`` fixes the
outputs on the assignments its care masks select.  A ``RewardSpecification`` only asks that
the expected reward ``sum_t weight(t) * reward(t, action(t))`` reach a threshold, where the
action on assignment ``t`` is the output bits read as a number (y1 the least significant bit).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .circuit import Circuit, table_mask

MAX_INPUTS = 8
MAX_OUTPUTS = 8


class SpecificationError(ValueError):
    """A specification that cannot be synthesized as given (bad sizes, bad tables)."""


@dataclass(frozen=True)
class TableSpecification:
    """Output ``h`` must equal bit ``t`` of ``tables[h]`` wherever bit ``t`` of ``care[h]`` is 1."""

    inputs: int
    tables: tuple[int, ...]
    care: tuple[int, ...]

    @property
    def outputs(self) -> int:
        return len(self.tables)

    def satisfied_by(self, circuit: Circuit) -> bool:
        computed = circuit.truth_tables()
        return len(computed) == len(self.tables) and all(
            ((c ^ t) & m) == 0 for c, t, m in zip(computed, self.tables, self.care, strict=True)
        )


@dataclass(frozen=True)
class RewardSpecification:
    """Expected reward at least ``threshold``.

    ``weights`` lists ``(assignment, weight)`` for the assignments that count (positive
    weights); ``rewards`` lists, for the same assignments, the reward of every action
    ``0 .. 2**outputs - 1``.  Assignments not listed do not count (deployment states).
    """

    inputs: int
    outputs: int
    weights: tuple[tuple[int, Fraction], ...]
    rewards: tuple[tuple[int, tuple[Fraction, ...]], ...]
    threshold: Fraction

    def expected_reward(self, action: Callable[[int], int]) -> Fraction:
        """``sum_t weight(t) * reward(t, action(t))`` for a policy given as a function."""
        table = dict(self.rewards)
        return sum((weight * table[t][action(t)] for t, weight in self.weights), start=Fraction(0))

    def best_reward(self) -> Fraction:
        table = dict(self.rewards)
        return sum((weight * max(table[t]) for t, weight in self.weights), start=Fraction(0))

    def satisfied_by(self, circuit: Circuit) -> bool:
        return (
            len(circuit.outputs) == self.outputs
            and self.expected_reward(circuit.action) >= self.threshold
        )


Specification = TableSpecification | RewardSpecification


def _check_sizes(inputs: int, outputs: int) -> None:
    if not isinstance(inputs, int) or not 0 <= inputs <= MAX_INPUTS:
        raise SpecificationError(f"inputs must be an integer between 0 and {MAX_INPUTS}")
    if not 1 <= outputs <= MAX_OUTPUTS:
        raise SpecificationError(f"need between 1 and {MAX_OUTPUTS} outputs, got {outputs}")


def table_specification(
    inputs: int, tables: Sequence[int], dont_care: Sequence[int] | None = None
) -> TableSpecification:
    """Build and validate a table specification; ``dont_care`` masks mark free assignments."""
    _check_sizes(inputs, len(tables))
    full = table_mask(inputs)
    for h, table in enumerate(tables):
        if not isinstance(table, int) or table < 0 or table > full:
            raise SpecificationError(
                f"table {h + 1} does not fit {inputs} inputs (at most {1 << inputs} bits)"
            )
    if dont_care is None:
        masks = [0] * len(tables)
    elif len(dont_care) == 1 and len(tables) > 1:
        masks = list(dont_care) * len(tables)
    elif len(dont_care) == len(tables):
        masks = list(dont_care)
    else:
        raise SpecificationError("give one don't-care mask, or one per output table")
    for mask in masks:
        if not isinstance(mask, int) or mask < 0 or mask > full:
            raise SpecificationError(f"a don't-care mask does not fit {inputs} inputs")
    care = tuple(full & ~mask for mask in masks)
    return TableSpecification(inputs, tuple(t & c for t, c in zip(tables, care, strict=True)), care)


def reward_specification(
    inputs: int,
    outputs: int,
    weights: Mapping[int, Fraction | int],
    reward: Mapping[int, Sequence[Fraction | int]] | Callable[[int, int], Fraction | int],
    threshold: Fraction | int,
) -> RewardSpecification:
    """Build and validate a reward-threshold specification.

    ``weights`` maps an input assignment to its positive weight; ``reward`` is either a
    function ``(assignment, action) -> reward`` or a mapping from assignment to the list of
    rewards of all ``2**outputs`` actions.
    """
    _check_sizes(inputs, outputs)
    actions = 1 << outputs
    weight_rows: list[tuple[int, Fraction]] = []
    reward_rows: list[tuple[int, tuple[Fraction, ...]]] = []
    for t in sorted(weights):
        if not isinstance(t, int) or not 0 <= t < (1 << inputs):
            raise SpecificationError(f"state {t!r} is not an assignment of {inputs} inputs")
        weight = Fraction(weights[t])
        if weight < 0:
            raise SpecificationError(f"state {t} has negative weight {weight}")
        if weight == 0:
            continue
        if callable(reward):
            row = tuple(Fraction(reward(t, a)) for a in range(actions))
        else:
            if t not in reward:
                raise SpecificationError(f"no rewards given for state {t}")
            row = tuple(Fraction(value) for value in reward[t])
            if len(row) != actions:
                raise SpecificationError(
                    f"state {t} has {len(row)} rewards, expected one per action ({actions})"
                )
        weight_rows.append((t, weight))
        reward_rows.append((t, row))
    return RewardSpecification(
        inputs, outputs, tuple(weight_rows), tuple(reward_rows), Fraction(threshold)
    )


def swap_inputs(assignment: int, a: int, b: int, negated: bool = False) -> int:
    """``assignment`` with inputs ``a`` and ``b`` exchanged (and both inverted when ``negated``)."""
    bit_a, bit_b = (assignment >> a) & 1, (assignment >> b) & 1
    if bit_a != bit_b:
        assignment ^= (1 << a) | (1 << b)
    if negated:
        assignment ^= (1 << a) | (1 << b)
    return assignment


def _invariant(spec: Specification, a: int, b: int, negated: bool) -> bool:
    if isinstance(spec, TableSpecification):
        return all(
            ((care >> t) & 1) == ((care >> swap_inputs(t, a, b, negated)) & 1)
            and ((table >> t) & 1) == ((table >> swap_inputs(t, a, b, negated)) & 1)
            for table, care in zip(spec.tables, spec.care, strict=True)
            for t in range(1 << spec.inputs)
        )
    weights = dict(spec.weights)
    rewards = dict(spec.rewards)
    return all(
        weights.get(swap_inputs(t, a, b, negated)) == w
        and rewards[swap_inputs(t, a, b, negated)] == rewards[t]
        for t, w in spec.weights
    )


def symmetric_pairs(spec: Specification) -> tuple[tuple[int, int], ...]:
    """Input pairs ``(a, b)``, ``a < b``, whose exchange maps the specification onto itself.

    The exchange may also invert both inputs (x_a, x_b -> NOT x_b, NOT x_a): circuits
    are normalised with free inversions, so either kind lets the encoding insist that
    x_b is not read before x_a.
    """
    n = spec.inputs
    return tuple(
        (a, b)
        for a in range(n)
        for b in range(a + 1, n)
        if _invariant(spec, a, b, False) or _invariant(spec, a, b, True)
    )
