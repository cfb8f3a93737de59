"""`cost check --certify` and `--smtlib`: a second opinion by cvc5 from a separate encoding.

The answers are the same hand-checked ones as elsewhere (the essay's claims, the division
cases of DESIGN §12); a `proved` that cvc5 does not confirm must become `unknown`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy

from calculus.certify import certify_file, certify_verdict, smtlib, solve
from calculus.check import check_source
from calculus.cli import main
from calculus.costs import Atomic, atom
from calculus.logic import POSITIVITY, Hypothesis, Problem, Verdict

pytest.importorskip("cvc5", reason="cvc5 is not installed (pip install 'cost-calculus[certify]')")

ROOT = Path(__file__).resolve().parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"
A, B = atom("c", "a"), atom("c", "b")
BOUNDS = Hypothesis(POSITIVITY, bounds=((A, "positive"), (B, "positive")))


def test_a_true_claim_is_unsat_and_a_false_one_sat() -> None:
    true = Problem(Atomic("<", A, A + B), [BOUNDS])
    false = Problem(Atomic("<", A + B, A), [BOUNDS])
    assert solve(smtlib(true), 5)[0] == "unsat"
    assert solve(smtlib(false), 5)[0] == "sat"


def test_a_proved_that_cvc5_refutes_becomes_unknown() -> None:
    false = Problem(Atomic("<", A + B, A), [BOUNDS])
    verdict = certify_verdict([false], Verdict("proved", uses=(POSITIVITY,)), 5)
    assert verdict.status == "unknown"
    assert verdict.reason is not None and "cvc5" in verdict.reason and "sat" in verdict.reason


def test_refuted_and_unknown_verdicts_are_left_alone() -> None:
    false = Problem(Atomic("<", A + B, A), [BOUNDS])
    refuted = Verdict("refuted", counterexample=(("c(a)", 1),))  # type: ignore[arg-type]
    assert certify_verdict([false], refuted, 5) is refuted


def test_nonlinear_family_axioms_prove_monotonicity() -> None:
    g = sympy.Function("g")
    claim = Atomic("<", g(A), g(A + B))
    assert solve(smtlib(Problem(claim, [BOUNDS], family="monotone")), 5)[0] == "unsat"
    wrong = Atomic("<", g(A + B), g(A))
    # With quantified axioms cvc5 cannot always say `sat`; it must never say `unsat`.
    assert solve(smtlib(Problem(wrong, [BOUNDS], family="monotone")), 5)[0] != "unsat"


def test_subadditivity_axiom_is_used() -> None:
    g = sympy.Function("g")
    claim = Atomic("<=", g(A + B), g(A) + g(B))
    assert solve(smtlib(Problem(claim, [BOUNDS], family="subadditive")), 5)[0] == "unsat"
    assert solve(smtlib(Problem(claim, [BOUNDS], family="monotone")), 5)[0] != "unsat"


@pytest.mark.slow  # cvc5 re-decides every proved claim of proofs/
def test_the_essays_proved_claims_are_certified() -> None:
    result = certify_file(check_source(ESSAY.read_text(), str(ESSAY)), 10, True, None)
    plain = {c.name: c for c in result.claims if not c.for_some_g}
    assert plain["sd_slower"].verdict.status == "proved"
    assert "certified by cvc5" in plain["sd_slower"].verdict.notes
    for claim in result.claims:
        if claim.verdict.status == "proved":
            assert "certified by cvc5" in claim.verdict.notes, claim.name


DIVISIONS = """\
primitive a, b
claim guarded: c(a) != c(b) -> 1 / (c(a) - c(b))^2 > 0
claim ratio: c(a) / c(b) > 0
claim z1: c(a) = c(b) -> c(a) / (c(a) - c(b)) = 5
"""


def test_smtlib_writes_every_obligation(tmp_path: Path) -> None:
    result = certify_file(check_source(DIVISIONS, "div.cost"), 10, False, tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == [
        "div.guarded.defined1.smt2",
        "div.guarded.smt2",
        "div.ratio.defined1.smt2",
        "div.ratio.smt2",
        "div.z1.defined1.smt2",
        "div.z1.smt2",
    ]
    # The well-definedness obligation of z1 fails (c(a) = c(b) is admissible); the others hold.
    answers = {p.name: solve(p.read_text(), 10)[0] for p in tmp_path.iterdir()}
    assert answers["div.z1.defined1.smt2"] == "sat"
    assert answers["div.guarded.defined1.smt2"] == "unsat"
    assert answers["div.guarded.smt2"] == "unsat"
    assert answers["div.ratio.defined1.smt2"] == "unsat"
    assert [c.verdict.status for c in result.claims] == ["proved", "proved", "unknown"]


def test_cli_certify_and_smtlib(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "div.cost"
    path.write_text(DIVISIONS)
    out = tmp_path / "smt"
    code = main(["check", str(path), "--certify", "--smtlib", str(out), "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1  # z1 is unknown
    verdicts = {c["name"]: c["verdict"] for c in document["claims"]}
    assert verdicts == {"guarded": "proved", "ratio": "proved", "z1": "unknown"}
    assert len(list(out.glob("*.smt2"))) == 6
