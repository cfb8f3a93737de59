"""Test-wide settings: hypothesis properties are bounded by example counts, never by the
clock, so a loaded machine slows the suite down without failing it."""

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "bounded",
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.load_profile("bounded")


def examples(quick: int, thorough: int) -> list[Any]:
    """Example counts for a property run at two depths: `quick` in the default run, and
    `thorough` in the run of the tests marked slow (CI runs both)."""

    return [
        pytest.param(quick, id="quick"),
        pytest.param(thorough, id="thorough", marks=pytest.mark.slow),
    ]
