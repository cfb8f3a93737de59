"""Explanations (DESIGN §9.4) do not depend on the order of a file's claims: the points and
settled answers the explanations of a file share change how much work a claim takes, never
its condition or its repairs."""

from __future__ import annotations

import random

from test_explain_conditions import _claims_text

from calculus import explain
from calculus.check import check_source


def _explanations(text: str) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    explain._KNOWN.clear()
    explain._CONDITIONS.clear()
    result = check_source(text, timeout=10)
    assert not result.diagnostics, result.diagnostics
    return {c.name: (c.holds_when, c.repairs) for c in result.claims}


def test_conditions_and_repairs_do_not_depend_on_the_order_of_the_claims() -> None:
    text = _claims_text(random.Random(23), 30)
    head, _, claims = text.partition("claim k0")
    lines = ("claim k0" + claims).splitlines()
    forward = _explanations(text)
    backward = _explanations(head + "\n".join(reversed(lines)) + "\n")
    shuffled = lines[:]
    random.Random(5).shuffle(shuffled)
    mixed = _explanations(head + "\n".join(shuffled) + "\n")
    explained = [name for name, (condition, _) in forward.items() if condition is not None]
    assert len(explained) >= 5
    assert sum(bool(repairs) for _, repairs in forward.values()) >= 2
    assert backward == forward
    assert mixed == forward
