"""cost: machine-checked arguments about simplicity and speed priors.

A `.cost` file states programs built from primitives with symbolic description costs
`c` and run times `t`, assumptions and claims; `calculus.check` decides the claims.
"""

__version__ = "0.1.0"
