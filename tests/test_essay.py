"""Results derived by hand from the essay "Speed prior vs deceptive mesa-optimizers"
(shared/seeds/002), checked against proofs/speed_prior.cost and proofs/speed_prior_as_written.cost.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy

from calculus.check import FileResult, check_file
from calculus.costs import G, atom
from calculus.logic import evaluate

PROOFS = Path(__file__).parent.parent / "proofs"


@pytest.fixture(scope="module")
def essay() -> FileResult:
    result = check_file(PROOFS / "speed_prior.cost")
    assert not result.diagnostics
    return result


@pytest.fixture(scope="module")
def as_written() -> FileResult:
    result = check_file(PROOFS / "speed_prior_as_written.cost")
    assert not result.diagnostics
    return result


def c(name: str) -> sympy.Symbol:
    return atom("c", name)


def t(name: str) -> sympy.Symbol:
    return atom("t", name)


FIND = "find(get_proxy_for_base_obj(env))"


def test_derived_costs_are_the_essays_sums(essay: FileResult) -> None:
    costs = essay.costs
    assert costs is not None
    # The essay: c(Hfh) = c(get_base_obj) + c(mesaoptimize) + c(useful_knowledge)
    assert costs.program("Hfh").c == c("get_base_obj") + c("mesaoptimize") + c("useful_knowledge")
    # c(Hsd) = c(simplest_obj) + c(combine) + c(mesaoptimize) + c(useful_knowledge)
    assert costs.program("Hsd").c == (
        c("simplest_obj") + c("combine") + c("mesaoptimize") + c("useful_knowledge")
    )
    # c(Hfd) = c(get_base_obj) + c(simplest_obj) + c(is_deployed_in_world) + c(mesaoptimize)
    #          + c(useful_knowledge)   (Hfd extends Hfh: the stores are a set)
    assert costs.program("Hfd").c == (
        c("get_base_obj")
        + c("simplest_obj")
        + c("is_deployed_in_world")
        + c("mesaoptimize")
        + c("useful_knowledge")
    )
    # t(Hfh) = t(get_proxy_for_base_obj) + t(mesaoptimize_env)
    assert costs.program("Hfh").t == t("get_proxy_for_base_obj") + t("mesaoptimize_env")
    # t(Hsd) = t(combine) + t(find(get_proxy_for_base_obj(env))) + t(mesaoptimize_env)
    #          + t(mesaoptimize_outer_world_env)
    assert costs.program("Hsd").t == (
        t("combine") + t(FIND) + t("mesaoptimize_env") + t("mesaoptimize_outer_world_env")
    )
    # t(Hfd) = t(is_deployed_in_world) + t(get_proxy_for_base_obj) + t(mesaoptimize_env)
    assert costs.program("Hfd").t == (
        t("is_deployed_in_world") + t("get_proxy_for_base_obj") + t("mesaoptimize_env")
    )


def verdicts(result: FileResult) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {claim.name: (claim.verdict.status, claim.verdict.uses) for claim in result.claims}


def test_essay_verdicts(essay: FileResult) -> None:
    got = verdicts(essay)
    # c(Hsd) < c(Hfh) <=> c(simplest_obj) + c(combine) < c(get_base_obj): the essay's "if"
    # is exactly the difference, so the conditional needs nothing, not even positivity.
    assert got["simplicity_favours_sd"] == ("proved", ())
    # c(Hfd) - c(Hfh) = c(simplest_obj) + c(is_deployed_in_world) > 0 by positivity.
    assert got["fd_more_complex"] == ("proved", ("positivity",))
    # t(Hfd) - t(Hfh) = t(is_deployed_in_world) > 0 by positivity.
    assert got["fd_slower"] == ("proved", ("positivity",))
    assert got["fd_loses"] == ("proved", ("positivity",))
    # t(Hsd) - t(Hfh) = t(combine) + t(find) + t(outer) - t(proxy): positive given
    # t(find) >= t(proxy) and positivity of t(combine); both are needed.
    assert got["sd_slower"] == ("proved", ("rederiving_is_slower", "positivity"))
    assert got["sd_simpler"] == ("proved", ("base_is_complex",))
    # Hsd wins for large g iff it is simpler; Hfh wins for small g iff it is faster.
    assert got["sd_wins_for_some_g"] == ("proved", ("base_is_complex",))
    assert got["fh_wins_for_some_g"] == ("proved", ("rederiving_is_slower", "positivity"))
    # Rearranging g·c(Hsd) + t(Hsd) < g·c(Hfh) + t(Hfh) gives the exact condition.
    assert got["sd_wins_exactly_when"] == ("proved", ())
    for name in ("only_if_as_written", "only_if_direction_fixed", "only_if_atom_fixed"):
        assert got[name][0] == "refuted", name
    # g·c(base) > g·(c(base) - c(simplest) - c(combine)) > t(combine) + t(find) + t(outer)
    # - t(proxy) > t(find) - t(proxy): needs positivity only.
    assert got["only_if_corrected"] == ("proved", ("positivity",))
    assert essay.claims and all(claim.passed for claim in essay.claims)


def test_as_written_verdicts(as_written: FileResult) -> None:
    got = verdicts(as_written)
    assert got["sd_slower_as_written"][0] == "refuted"
    assert got["sd_simpler_unconditionally"][0] == "refuted"
    assert got["sd_simpler_if_base_is_complex"] == ("proved", ())
    assert got["fd_loses"] == ("proved", ("positivity",))


def test_sd_slower_counterexample_is_what_the_essay_missed(as_written: FileResult) -> None:
    claim = next(c for c in as_written.claims if c.name == "sd_slower_as_written")
    values = dict(claim.verdict.counterexample or ())
    # The refutation needs t(proxy) >= t(combine) + t(find) + t(outer): Hfh's own step is slow.
    assert values["t(get_proxy_for_base_obj)"] >= (
        values["t(combine)"] + values[f"t({FIND})"] + values["t(mesaoptimize_outer_world_env)"]
    )
    assert all(v > 0 for v in values.values())


def test_only_if_counterexample_re_evaluates(essay: FileResult) -> None:
    claim = next(c for c in essay.claims if c.name == "only_if_as_written")
    values = {
        sympy.Symbol(name, real=True) if name != "g" else G: sympy.Rational(
            v.numerator, v.denominator
        )
        for name, v in claim.verdict.counterexample or ()
    }
    assert essay.costs is not None
    hfh, hsd = essay.costs.program("Hfh"), essay.costs.program("Hsd")
    # Atoms not shown do not matter: they cancel from the claim's two sides. Give them 1.
    free = (hfh.c + hfh.t + hsd.c + hsd.t).free_symbols - set(values)
    full = {**values, **{s: sympy.Integer(1) for s in free}}
    score = lambda p: (G * p.c + p.t).xreplace(full)  # noqa: E731
    assert score(hsd) < score(hfh)  # Hsd beats Hfh ...
    assert not (G * c("get_proxy_for_base_obj")).xreplace(full) < t(FIND).xreplace(full)  # ... yet


def test_plausible_scenario_threshold(essay: FileResult) -> None:
    # c(Hfh) = 1000 + 1 + 1 = 1002, t(Hfh) = 2; c(Hsd) = 4, t(Hsd) = 1 + 1e5 + 1 + 1 = 100003.
    # Hfh beats Hsd iff 1002 g + 2 < 4 g + 100003 iff g < 100001/998.
    # c(Hfd) = 1004 > c(Hfh) and t(Hfd) = 3 > t(Hfh): Hfd never wins.
    ranges = next(r for r in essay.ranges if r.scenario == "plausible")
    rows = {row.program: row for row in ranges.rows}
    (honest,) = rows["Hfh"].robust
    assert (honest.lo, honest.hi, honest.lo_closed, honest.hi_closed) == (
        0,
        Fraction(100001, 998),
        False,
        False,
    )
    (deceptive,) = rows["Hsd"].robust
    assert (deceptive.lo, deceptive.hi) == (Fraction(100001, 998), None)
    assert rows["Hfd"].robust == ()


def test_evaluate_agrees_with_hand_arithmetic() -> None:
    from calculus.costs import Atomic

    # 2·3 + 1 < 2·1 + 10 at g = 2: 7 < 12.
    formula = Atomic("<", G * 3 + 1, G * 1 + 10)
    assert evaluate(formula, {G: sympy.Integer(2)})
    assert not evaluate(formula, {G: sympy.Rational(9, 2)})  # 14.5 < 14.5 fails


def test_counterexamples_do_not_depend_on_what_ran_before() -> None:
    # Each claim is decided in a fresh solver context, so checking other files first (or
    # the same file twice) must not change a single counterexample value.
    first = check_file(PROOFS / "speed_prior.cost")
    check_file(PROOFS / "speed_prior_objections.cost")
    check_file(PROOFS / "speed_prior_nonlinear.cost")
    again = check_file(PROOFS / "speed_prior.cost")
    assert [c.verdict for c in first.claims] == [c.verdict for c in again.claims]
