"""Explanations (DESIGN §9.4) when the linear family is one of several in play: a claim
refuted under the linear family gets the same `holds_when` and repairs as in a file of the
linear family alone, in the CLI's text and JSON and in the REPL's `:why`."""

from __future__ import annotations

import io
import json
from pathlib import Path

from calculus.check import check_source
from calculus.cli import main
from calculus.repl import run_piped
from calculus.session import Session

BASE = """\
primitive a, b
program P { stores a; runs a }
program Q { stores b; runs b }
exchange FAMILIES
claim k: P beats Q
claim j: c(a) + 1 > c(b) + 1
"""

# By hand: g·c(a) + t(a) < g·c(b) + t(b) for every g > 0 exactly when c(a) − c(b) <= 0 and
# t(a) − t(b) <= 0, not both 0 (g → 0 and g → ∞ bound the two differences).
K_HOLDS = "(c(a) < c(b) and t(a) <= t(b)) or (c(a) = c(b) and t(a) < t(b))"


def _claims(families: str) -> dict[str, object]:
    result = check_source(BASE.replace("FAMILIES", families), "f.cost")
    assert not result.diagnostics, result.diagnostics
    return {c.name: c for c in result.claims}


def test_the_linear_familys_explanation_is_given_under_an_exchange_list() -> None:
    alone = _claims("linear")
    assert alone["k"].holds_when == K_HOLDS  # type: ignore[attr-defined]
    for families in ("monotone, linear", "linear, subadditive", "all"):
        claims = _claims(families)
        for name in ("k", "j"):
            claim, single = claims[name], alone[name]
            linear = dict(claim.by_family)["linear"]  # type: ignore[attr-defined]
            assert linear.status == "refuted"
            assert claim.holds_when == single.holds_when, (families, name)  # type: ignore[attr-defined]
            assert claim.repairs == single.repairs, (families, name)  # type: ignore[attr-defined]
    # Under `monotone` alone there is no linear family, and no explanation.
    assert _claims("monotone")["k"].holds_when is None  # type: ignore[attr-defined]


def test_text_and_json_name_the_family_the_explanation_is_for(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "f.cost"
    path.write_text(BASE.replace("FAMILIES", "monotone, linear"))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"    linear: holds when: {K_HOLDS}" in out
    assert main(["check", "--format", "json", str(path)]) == 1
    (claim, _) = json.loads(capsys.readouterr().out)["claims"]
    assert claim["holds_when"] == K_HOLDS
    assert claim["repairs"] == []
    assert claim["by_family"]["linear"]["verdict"] == "refuted"


def test_why_in_the_repl_explains_under_the_linear_family(tmp_path: Path) -> None:
    path = tmp_path / "f.cost"
    path.write_text(BASE.replace("FAMILIES", "monotone, linear"))
    out, err = io.StringIO(), io.StringIO()
    run_piped(Session(), str(path), io.StringIO(":why k\n"), out, err)
    text = out.getvalue()
    assert err.getvalue() == ""
    under_linear = text[text.index("under linear: refuted") :]
    assert f"holds when: {K_HOLDS}" in under_linear
