"""NPN classes of Boolean functions: equivalence under input negation, permutation, output negation.

Minimum circuit size is an NPN invariant in the size convention (inversions are free), so
one representative per class covers all functions; tests and benchmarks use this.
"""

from __future__ import annotations

from itertools import permutations

from .circuit import table_mask


def transformed_table(inputs: int, table: int, order: tuple[int, ...], flips: int) -> int:
    """``table`` with input j read from input ``order[j]`` after flipping the inputs in ``flips``."""
    result = 0
    for t in range(1 << inputs):
        source = 0
        for j in range(inputs):
            if ((t >> j) & 1) ^ ((flips >> j) & 1):
                source |= 1 << order[j]
        if (table >> source) & 1:
            result |= 1 << t
    return result


def npn_orbit(inputs: int, table: int) -> frozenset[int]:
    """Every function NPN-equivalent to ``table``."""
    full = table_mask(inputs)
    orbit = set()
    for order in permutations(range(inputs)):
        for flips in range(1 << inputs):
            image = transformed_table(inputs, table, order, flips)
            orbit.add(image)
            orbit.add(image ^ full)
    return frozenset(orbit)


def npn_representatives(inputs: int) -> tuple[int, ...]:
    """The least truth table of every NPN class of ``inputs``-variable functions, ascending."""
    seen: set[int] = set()
    representatives = []
    for table in range(1 << (1 << inputs)):
        if table in seen:
            continue
        representatives.append(table)
        seen.update(npn_orbit(inputs, table))
    return tuple(representatives)
