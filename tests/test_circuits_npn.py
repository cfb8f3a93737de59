"""All 222 NPN classes of 4-input functions: minimum B2 sizes against the published counts."""

from __future__ import annotations

from collections import Counter

import pytest

from calculus.circuits.npn import npn_orbit, npn_representatives
from calculus.circuits.synthesis import synthesize


def test_npn_class_counts() -> None:
    # 14 classes of 3-input functions, 222 of 4-input ones (e.g. Knuth, TAOCP 7.1.2).
    assert len(npn_representatives(3)) == 14
    assert sum(len(npn_orbit(3, t)) for t in npn_representatives(3)) == 256


@pytest.mark.slow
def test_every_four_input_function_cost() -> None:
    # Knuth, TAOCP 7.1.2: of the 65536 functions of 4 variables, 10, 60, 456, 2474,
    # 10624, 24184, 25008 and 2720 have cost 0, 1, ..., 7.  Size is an NPN invariant in
    # this convention, so one synthesis per class, weighted by the class size, covers all.
    representatives = npn_representatives(4)
    assert len(representatives) == 222
    functions: Counter[int] = Counter()
    for table in representatives:
        result = synthesize(4, [table])
        assert result.proved_minimal
        functions[result.cost] += len(npn_orbit(4, table))
    assert [functions[c] for c in range(8)] == [10, 60, 456, 2474, 10624, 24184, 25008, 2720]
