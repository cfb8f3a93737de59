"""cost: machine-checked arguments about simplicity and speed priors.

A `.cost` file states programs built from primitives with symbolic description costs
`c` and run times `t`, assumptions and claims; `calculus.check` decides the claims.
"""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext calculus`: registers the `%%cost` cell magic (see `calculus.notebook`)."""
    from calculus.notebook import load_ipython_extension as load

    load(ipython)
