"""The records a decision takes and gives: a `Problem` (a claim with the `Hypothesis`es it may
use) and its `Verdict`. Every module of the logic package speaks in these; none of them
imports the package's front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import sympy

from calculus.costs import LogicFormula
from calculus.status import Status

POSITIVITY = "positivity"


@dataclass(frozen=True)
class Verdict:
    status: Status
    uses: tuple[str, ...] = ()
    counterexample: tuple[tuple[str, Fraction], ...] | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    # The full exact assignment behind a counterexample (every atom in play, and g).
    assignment: tuple[tuple[str, Fraction], ...] = ()
    # A proved `for some costs` claim: the exactly re-checked assignment that makes it true.
    witness: tuple[tuple[str, Fraction], ...] | None = None


@dataclass(frozen=True)
class Hypothesis:
    """A named constraint the solver may use: an assumption, or the default bounds."""

    name: str
    formula: LogicFormula | None = None
    bounds: tuple[tuple[sympy.Symbol, str], ...] = ()


@dataclass
class Problem:
    """One claim with the hypotheses it may use, ready to be decided."""

    claim: LogicFormula
    hypotheses: Sequence[Hypothesis]
    for_some_g: bool = False
    family: str = "linear"
    timeout: float = 10.0
    # Version 2 quantifiers (DESIGN §9.2): ∃ atoms (and g); ∃ these parameters; ∃N ∀n ≥ N.
    for_some_costs: bool = False
    for_some_parameters: tuple[sympy.Symbol, ...] = ()
    eventually: sympy.Symbol | None = None
    # Every declared parameter (those not quantified above are read ∀).
    parameters: tuple[sympy.Symbol, ...] = ()
