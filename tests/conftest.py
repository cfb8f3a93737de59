"""Test-wide settings: hypothesis properties are bounded by example counts, never by the
clock, so a loaded machine slows the suite down without failing it."""

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
