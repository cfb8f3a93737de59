"""Why a refuted claim fails and how to fix it (DESIGN §9.4): `holds_when` and `repairs`.

Every condition here was derived by hand from the essay's model (proofs/speed_prior_model.cost)
and is checked equivalent to the tool's by z3 under the same assumptions; every repair is
re-proved in a file of its own; and the conditions are cross-checked by exact evaluation
against an enumeration of g that shares nothing with the virtual substitution they come from.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import sympy

from calculus.check import check_source, load_model
from calculus.cli import main
from calculus.costs import Negation, derive_costs
from calculus.explain import NEVER, NEVER_TEXT
from calculus.logic import evaluate, exists_g
from calculus.session import Session

ROOT = Path(__file__).parent.parent
MODEL = (ROOT / "proofs" / "speed_prior_model.cost").read_text()
REDERIVING = (
    "assume rederiving_is_slower: "
    "t(find(get_proxy_for_base_obj(env))) >= t(get_proxy_for_base_obj)\n"
)
COMPLEX = "assume base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)\n"
ESSAY = MODEL + "exchange linear\n" + REDERIVING + COMPLEX

# Abbreviations of the hand derivations below. With Δc = c(Hfh) − c(Hsd) and
# Δt = t(Hsd) − t(Hfh):
#   Δc = c(get_base_obj) − c(simplest_obj) − c(combine)              (> 0: base_is_complex)
#   Δt = t(combine) + t(find(…)) + t(mesaoptimize_outer_world_env) − t(get_proxy_for_base_obj)
# Hsd beats Hfh ⇔ g·Δc > Δt, and Hfh beats Hsd ⇔ g·Δc < Δt.
BASE = "c(get_base_obj)"
FIND = "t(find(get_proxy_for_base_obj(env)))"
PROXY = "t(get_proxy_for_base_obj)"
DROPPED_C = "(c(simplest_obj) + c(combine))"
DROPPED_T = "(t(combine) + t(mesaoptimize_outer_world_env))"


def _claims(text: str) -> dict[str, object]:
    result = check_source(text, timeout=10)
    assert not result.diagnostics, [d.message for d in result.diagnostics]
    return {c.name: c for c in result.claims}


def _explained(text: str, name: str = "it") -> object:
    claim = _claims(text)[name]
    assert claim.verdict.status == "refuted"  # type: ignore[attr-defined]
    return claim


def _proved(text: str) -> object:
    verdict = _claims(text)["check"].verdict  # type: ignore[attr-defined]
    assert verdict.status == "proved", (text.splitlines()[-1], verdict)
    return verdict


def _equivalent(base: str, condition: str, hand: str) -> None:
    """z3 proves the tool's condition and the hand-derived one equivalent under the file's
    assumptions, and the condition pasted back as an assumption proves the claim."""
    _proved(base + f"claim check: ({condition}) <-> ({hand})\n")


# ---- holds_when: golden cases from the essay ------------------------------------------------


def test_term_alone_holds_exactly_when_the_dropped_terms_outweigh_the_proxy() -> None:
    # g·c(base) ≤ t(find) → g·Δc < Δt, for every g > 0. With Δc > 0 the binding g is the
    # largest allowed, g = t(find)/c(base): t(find)·Δc < Δt·c(base), i.e.
    # c(base)·(t(proxy) − t(combine) − t(outer)) < t(find)·(c(simplest) + c(combine)).
    statement = f"g * {BASE} <= {FIND} -> Hfh beats Hsd"
    claim = _explained(ESSAY + f"claim it: {statement}\n")
    condition = claim.holds_when  # type: ignore[attr-defined]
    assert condition not in (None, NEVER)
    hand = f"{BASE} * ({PROXY} - {DROPPED_T}) < {FIND} * {DROPPED_C}"
    _equivalent(ESSAY, condition, hand)
    fixed = _claims(ESSAY + f"assume missing: {condition}\nclaim it: {statement}\n")["it"]
    assert fixed.verdict.status == "proved"  # type: ignore[attr-defined]
    assert "missing" in fixed.verdict.uses  # type: ignore[attr-defined]


def test_only_if_with_both_fixes_holds_when_the_threshold_is_above_the_bound() -> None:
    # Hsd beats Hfh → g·c(base) > t(find): {g > Δt/Δc} ⊆ {g > t(find)/c(base)} exactly when
    # Δt/Δc ≥ t(find)/c(base), i.e. Δt·c(base) ≥ t(find)·Δc:
    # c(base)·(t(proxy) − t(combine) − t(outer)) ≤ t(find)·(c(simplest) + c(combine)).
    statement = f"Hsd beats Hfh -> g({BASE}) > {FIND}"
    claim = _explained(ESSAY + f"claim it: {statement}\n")
    condition = claim.holds_when  # type: ignore[attr-defined]
    hand = f"{BASE} * ({PROXY} - {DROPPED_T}) <= {FIND} * {DROPPED_C}"
    _equivalent(ESSAY, condition, hand)


def test_the_only_if_as_written_holds_under_no_admissible_costs() -> None:
    # Hsd beats Hfh → g·c(proxy) < t(find). Δc > 0, so Hsd beats Hfh for every g > Δt/Δc,
    # while g·c(proxy) < t(find) fails for every g ≥ t(find)/c(proxy): past both, the claim
    # fails. Whatever the costs, some g refutes it: no assumption on the atoms can help.
    statement = f"Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}"
    claim = _explained(ESSAY + f"claim it: {statement}\n")
    assert claim.holds_when == NEVER  # type: ignore[attr-defined]
    # Without base_is_complex the costs with Δc ≤ 0 may save it: no longer `never`.
    loose = MODEL + "exchange linear\n" + REDERIVING + f"claim it: {statement}\n"
    assert _explained(loose).holds_when not in (None, NEVER)  # type: ignore[attr-defined]


def test_a_beats_claim_against_a_simpler_program_holds_never() -> None:
    # Hfh beats Hsd ⇔ g·Δc < Δt: with Δc > 0 it fails for g ≥ Δt/Δc, whatever the atoms.
    claim = _explained(ESSAY + "claim it: Hfh beats Hsd\n")
    assert claim.holds_when == NEVER  # type: ignore[attr-defined]


def test_no_tie_between_two_programs() -> None:
    # Hfh beats Hsd or Hsd beats Hfh ⇔ g·Δc ≠ Δt, false only at g = Δt/Δc. With Δc > 0 that
    # g is positive unless Δt ≤ 0: it holds for every g > 0 exactly when
    # t(combine) + t(find) + t(outer) ≤ t(proxy).
    base = MODEL + "exchange linear\n" + COMPLEX
    claim = _explained(base + "claim it: Hfh beats Hsd or Hsd beats Hfh\n")
    hand = f"t(combine) + {FIND} + t(mesaoptimize_outer_world_env) <= {PROXY}"
    _equivalent(base, claim.holds_when, hand)  # type: ignore[attr-defined]
    # With rederiving_is_slower, Δt > 0 always: never.
    again = _explained(ESSAY + "claim it: Hfh beats Hsd or Hsd beats Hfh\n")
    assert again.holds_when == NEVER  # type: ignore[attr-defined]


def test_a_conjunction_with_g_on_one_side() -> None:
    # sd_slower and Hfh beats Hsd, without rederiving_is_slower or base_is_complex:
    # t(Hfh) < t(Hsd) is Δt > 0; Hfh beats Hsd for every g > 0 is (Δc < 0 and Δt >= 0) or
    # (Δc = 0 and Δt > 0). Together: Δt > 0 and Δc <= 0.
    base = MODEL + "exchange linear\n"
    claim = _explained(base + "claim it: t(Hfh) < t(Hsd) and Hfh beats Hsd\n")
    hand = (
        f"t(combine) + {FIND} + t(mesaoptimize_outer_world_env) > {PROXY} and "
        f"{BASE} <= c(simplest_obj) + c(combine)"
    )
    _equivalent(base, claim.holds_when, hand)  # type: ignore[attr-defined]


def _random_point(rng: random.Random, symbols: list[sympy.Symbol]) -> dict[sympy.Basic, object]:
    return {s: sympy.Rational(rng.randint(1, 12), rng.randint(1, 4)) for s in symbols}


@pytest.mark.parametrize(
    ("assumptions", "statement"),
    [
        (COMPLEX, f"g * {BASE} <= {FIND} -> Hfh beats Hsd"),
        (COMPLEX, f"Hsd beats Hfh -> g({BASE}) > {FIND}"),
        ("", "Hfh beats Hsd or Hsd beats Hfh"),
        ("", f"Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}"),
        ("", "t(Hfh) < t(Hsd) and Hfh beats Hsd"),
        (COMPLEX, f"Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}"),
        (COMPLEX, "Hfh beats Hsd"),
        (REDERIVING + COMPLEX, "Hfh beats Hsd or Hsd beats Hfh"),
    ],
)
def test_holds_when_agrees_with_exact_evaluation(assumptions: str, statement: str) -> None:
    """At random rational points satisfying the assumptions, the condition is true exactly
    when the claim holds for every g > 0, which is decided by enumerating the roots of its
    comparisons and a point in every gap between them (exact arithmetic, no solver).
    `never` must be false at every point."""
    base = MODEL + "exchange linear\n" + assumptions
    claim = _explained(base + f"claim it: {statement}\n")
    condition = claim.holds_when  # type: ignore[attr-defined]
    assert condition is not None
    never = condition == NEVER
    written = "0 != 0" if never else condition
    model = load_model(base + f"claim it: {statement}\nassume shown: {written}\n")
    costs = derive_costs(model)
    formula = costs.formula(model.claims[0].node.formula)
    held = [costs.formula(a.node.formula) for a in model.assumptions]
    *premises, shown = held
    symbols = sorted(costs.bounds, key=str)
    rng = random.Random(12)
    seen = {True: 0, False: 0}
    for _ in range(300):
        point = _random_point(rng, symbols)
        if not all(evaluate(p, point) for p in premises):
            continue
        every_g = not exists_g(Negation(formula), point)
        assert evaluate(shown, point) == every_g, point
        seen[every_g] += 1
    assert seen[False] > 0, seen
    assert never == (seen[True] == 0), seen


# ---- never, in every output -----------------------------------------------------------------


def test_never_in_text_json_and_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "never.cost"
    source.write_text(ESSAY + "claim it: Hfh beats Hsd\n")
    assert main(["check", str(source), "--format", "json"]) == 1
    (claim,) = json.loads(capsys.readouterr().out)["claims"]
    assert claim["holds_when"] == NEVER
    main(["check", str(source)])
    assert f"holds when: {NEVER_TEXT}" in capsys.readouterr().out
    assert main(["report", str(source), "-o", str(tmp_path / "never.md")]) == 1
    text = (tmp_path / "never.md").read_text()
    assert "**Holds for no admissible costs**" in text
    assert "Holds exactly when" not in text


def test_why_in_the_repl_shows_the_condition_and_the_repairs() -> None:
    session = Session(timeout=10)
    for line in (
        "primitive a, b, x",
        "assume big: c(a) > c(x)",
        "claim wrong: c(b) > c(x)",
        "claim never_small: g * c(a) < t(a)",
    ):
        assert not any(o.is_error for o in session.eval(line)), line
    lines = session.eval(":why wrong")[0].lines
    assert "  holds when: c(b) > c(x)" in lines
    assert "  repair: c(a) > c(x)" in lines
    lines = session.eval(":why never_small")[0].lines
    assert f"  holds when: {NEVER_TEXT}" in lines


# ---- no explanation for `for some` --------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "Hfd beats Hfh for some g",
        "c(Hfd) < c(Hfh) for some costs",
        "c(Hfd) < c(Hfh) for some costs for some g",
    ],
)
def test_a_for_some_claim_gets_neither_condition_nor_repairs(
    statement: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "some.cost"
    source.write_text(ESSAY + f"claim it: {statement}\n")
    assert main(["check", str(source), "--format", "json"]) == 1
    (claim,) = json.loads(capsys.readouterr().out)["claims"]
    assert claim["verdict"] == "refuted"
    assert claim.get("holds_when") is None
    assert not claim.get("repairs")
    main(["check", str(source)])
    out = capsys.readouterr().out
    assert "holds when" not in out and "repair:" not in out
    session = Session(timeout=10)
    for line in source.read_text().splitlines():
        session.eval(line)
    lines = session.eval(":why it")[0].lines
    assert not any("holds when" in line or "repair" in line for line in lines), lines


def test_eventually_and_for_some_n_claims_get_no_explanation() -> None:
    text = (
        "primitive a, entry\nparameter n integer >= 1\n"
        "program Table { stores entry; runs entry }\n"
        "program Small { c = n * c(entry); t = t(entry) }\n"
        "claim grows: eventually in n: c(Small) < c(a)\n"
        "claim once: c(Small) < 0 for some n\n"
    )
    claims = _claims(text)
    for name in ("grows", "once"):
        claim = claims[name]
        assert claim.verdict.status == "refuted", name  # type: ignore[attr-defined]
        assert claim.holds_when is None and claim.repairs == (), name  # type: ignore[attr-defined]


# ---- repairs -----------------------------------------------------------------------------------


def _repairs_reproved(base: str, repairs: tuple[str, ...]) -> None:
    for repair in repairs:
        _proved(base + f"claim check: {repair}\n")


def test_identify_two_atoms() -> None:
    # c(b) > c(x) is false with nothing known of b; reversed or loosened it stays unproved;
    # no program to take a term from; read with b identified with a it is the assumption.
    base = "primitive a, b, x\nassume big: c(a) > c(x)\n"
    claim = _explained(base + "claim it: c(b) > c(x)\n")
    assert claim.repairs == ("c(a) > c(x)",)  # type: ignore[attr-defined]
    _repairs_reproved(base, claim.repairs)  # type: ignore[attr-defined]


def test_beats_loosened_to_a_tie() -> None:
    # Two programs with the same costs: neither beats the other, each ties.
    base = "primitive a\nprogram P { stores a; runs a }\nprogram Q { stores a; runs a }\n"
    claim = _explained(base + "claim it: P beats Q\n")
    assert claim.repairs == ("g * c(P) + t(P) <= g * c(Q) + t(Q)",)  # type: ignore[attr-defined]
    _repairs_reproved(base, claim.repairs)  # type: ignore[attr-defined]


def test_repairs_of_the_essays_only_if_in_order() -> None:
    # Hsd beats Hfh → g·c(base) > t(find), refuted (proofs/speed_prior.cost). By hand:
    # * reversing either comparison, or loosening either, leaves it false;
    # * Hsd paying also for t(proxy) (a term of Hfh it lacks): then g·Δc > Δt + t(proxy) =
    #   t(combine) + t(find) + t(outer) > t(find), and g·c(base) > g·Δc: proved;
    # * t(find) read as t(combine), or as t(outer): g·c(base) > g·Δc > Δt ≥ t(combine) +
    #   t(outer) by rederiving_is_slower: proved.
    statement = f"Hsd beats Hfh -> g({BASE}) > {FIND}"
    claim = _explained(ESSAY + f"claim it: {statement}\n")
    assert claim.repairs == (  # type: ignore[attr-defined]
        f"g * c(Hsd) + t(Hsd) + {PROXY} < g * c(Hfh) + t(Hfh) -> g({BASE}) > {FIND}",
        f"Hsd beats Hfh -> g({BASE}) > t(combine)",
        f"Hsd beats Hfh -> g({BASE}) > t(mesaoptimize_outer_world_env)",
    )
    _repairs_reproved(ESSAY, claim.repairs)  # type: ignore[attr-defined]


def test_no_vacuous_repair_for_the_only_if_as_written() -> None:
    # The corrected statement (proofs/speed_prior.cost only_if_corrected) is three edits
    # away; the one-edit statements that are proved only make the premise impossible
    # (Hsd beating Hfh while paying for get_base_obj too), and say nothing.
    statement = f"Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}"
    claim = _explained(ESSAY + f"claim it: {statement}\n")
    assert claim.repairs == ()  # type: ignore[attr-defined]


def test_a_repair_adds_only_a_term_the_other_side_lacks() -> None:
    # c(P) < c(Q) with P = {a, b}, Q = {a}: c(a) + c(b) < c(a) is false. Reversed it is
    # proved; loosened it is still false; c(a) is on both sides so it is not a dropped term;
    # c(b) added to Q's side gives c(a) + c(b) < c(a) + c(b), false; no atom is written.
    base = "primitive a, b\nprogram P { stores a, b }\nprogram Q { stores a }\n"
    claim = _explained(base + "claim it: c(P) < c(Q)\n")
    assert claim.repairs == ("c(P) > c(Q)",)  # type: ignore[attr-defined]
    _repairs_reproved(base, claim.repairs)  # type: ignore[attr-defined]


def test_a_repair_dividing_by_zero_is_not_offered() -> None:
    # Identifying a with b would make t(x) / (c(a) - c(b)) a division by zero: never proved.
    base = "primitive a, b, x\nassume ordered: c(a) > c(b)\n"
    claim = _explained(base + "claim it: t(x) / (c(a) - c(b)) < 0\n")
    for repair in claim.repairs:  # type: ignore[attr-defined]
        assert "c(a) - c(a)" not in repair and "c(b) - c(b)" not in repair
    _repairs_reproved(base, claim.repairs)  # type: ignore[attr-defined]


def test_every_repair_reads_back_as_written() -> None:
    claim = _explained(ESSAY + "claim it: Hfh beats Hsd\n")
    for repair in claim.repairs:  # type: ignore[attr-defined]
        again = _claims(ESSAY + f"claim check: {repair}\n")["check"]
        assert again.statement == repair  # type: ignore[attr-defined]


# ---- random combinations, against exact enumeration ---------------------------------------

ATOMS = ("c(a)", "c(b)", "t(a)", "t(b)")


def _random_comparison(rng: random.Random) -> str:
    def side() -> str:
        terms = rng.sample(ATOMS, rng.randint(1, 2))
        text = " + ".join(f"{rng.randint(1, 3)} * {t}" for t in terms)
        return f"g * ({text})" if rng.random() < 0.5 else text

    return f"{side()} {rng.choice(['<', '<=', '>', '>=', '='])} {side()}"


def test_random_combinations_agree_with_exact_evaluation() -> None:
    """holds_when of random `and`/`or`/`->` combinations of comparisons affine in g: true
    exactly where the claim holds for every g > 0 (exact root enumeration), at random
    rational points; `never` only where no sampled point makes the claim hold."""
    rng = random.Random(2026)
    base = "primitive a, b\n"
    explained = 0
    for _ in range(10):
        statement = (
            f"({_random_comparison(rng)}) {rng.choice(['and', 'or', '->'])} "
            f"({_random_comparison(rng)})"
        )
        claim = _claims(base + f"claim it: {statement}\n")["it"]
        condition = claim.holds_when  # type: ignore[attr-defined]
        if claim.verdict.status != "refuted" or condition is None:  # type: ignore[attr-defined]
            continue
        explained += 1
        written = "0 != 0" if condition == NEVER else condition
        model = load_model(base + f"claim it: {statement}\nassume shown: {written}\n")
        costs = derive_costs(model)
        formula = costs.formula(model.claims[0].node.formula)
        shown = costs.formula(model.assumptions[0].node.formula)
        symbols = sorted(costs.bounds, key=str)
        for _ in range(60):
            point = _random_point(rng, symbols)
            every_g = not exists_g(Negation(formula), point)
            assert evaluate(shown, point) == every_g, (statement, condition, point)
    assert explained >= 5


# ---- the explanation depends on the claim and the model only ----------------------------------


class _ProvesNothing:
    """A prover every question of which comes back unproved (as under a timeout)."""

    def proved(self, f: object, some_g: bool = False) -> bool:
        return False


def _sign_condition_truth(b: object, signs: dict[sympy.Symbol, int]) -> bool:
    """A sign condition of `calculus.explain` (bool, comparison, _And, _Or) at given signs."""
    from calculus.costs import Atomic
    from calculus.explain import _And

    if isinstance(b, bool):
        return b
    if isinstance(b, Atomic):
        value = signs[b.lhs]  # type: ignore[index]
        truth = {">": value > 0, "<=": value <= 0, "<": value < 0, ">=": value >= 0}
        return {**truth, "=": value == 0, "!=": value != 0}[b.op]
    parts = [_sign_condition_truth(p, signs) for p in b]  # type: ignore[attr-defined]
    return all(parts) if isinstance(b, _And) else any(parts)


def _simplification_keeps_meaning(clauses: list[object], symbols: list[sympy.Symbol]) -> None:
    """With no question proved, the simplified form is true at exactly the sign patterns
    where every clause is (an enumeration that shares nothing with the simplification)."""
    import itertools

    from calculus.explain import _simplified

    disjuncts = _simplified(clauses, _ProvesNothing())  # type: ignore[arg-type]
    assert disjuncts is not None
    for values in itertools.product((-1, 0, 1), repeat=len(symbols)):
        signs = dict(zip(symbols, values, strict=True))
        expected = all(_sign_condition_truth(c, signs) for c in clauses)
        shown = any(all(_sign_condition_truth(a, signs) for a in d) for d in disjuncts)
        assert shown == expected, (clauses, disjuncts, signs)


def test_simplification_unproved_keeps_the_meaning() -> None:
    # (y > 0 or z > 0) and z > 0 and (w > 0 or y > 0) is z > 0 and (w > 0 or y > 0). Its
    # disjunctive form meets y > 0 ∧ z > 0 in two orders (y then z, z then y); taken for two
    # disjuncts, each contains the other and both went, leaving z > 0 ∧ w > 0 alone: a
    # stronger condition, which only the final proof then caught (and the claim lost its
    # condition whenever an earlier unproved question had kept the disjunct in play).
    from calculus.costs import Atomic
    from calculus.explain import _And, _Or

    y, z, w = sympy.symbols("y z w")
    zero = sympy.Integer(0)
    big_y, big_z, big_w = (Atomic(">", s, zero) for s in (y, z, w))
    clauses: list[object] = [_Or((big_y, big_z)), _And((big_z, _Or((big_w, big_y))))]
    _simplification_keeps_meaning(clauses, [y, z, w])
    # Random combinations of sign conditions on four polynomials, nothing proved.
    from calculus.explain import _and, _not, _or

    symbols = list(sympy.symbols("a b c d"))
    literals = [Atomic(op, s, zero) for s in symbols for op in (">", "<=", "<", ">=")]
    rng = random.Random(17)

    def condition(depth: int) -> object:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(literals)
        parts = [condition(depth - 1) for _ in range(rng.randint(2, 3))]
        combined = _and(*parts) if rng.random() < 0.5 else _or(*parts)  # type: ignore[arg-type]
        return _not(combined) if rng.random() < 0.2 else combined

    for _ in range(150):
        clauses = [condition(2) for _ in range(rng.randint(1, 3))]
        if all(isinstance(c, bool) for c in clauses):
            continue
        from calculus.explain import _simplified

        if _simplified(clauses, _ProvesNothing()) is None:  # type: ignore[arg-type]
            continue  # too large to show
        _simplification_keeps_meaning(clauses, symbols)


LOOSE_ONLY_IF = (
    MODEL
    + "exchange linear\n"
    + REDERIVING
    + f"claim it: Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}\n"
)


def _fresh_condition() -> object:
    """holds_when of the loose only-if, with no condition remembered from earlier runs."""
    from calculus import explain

    explain._CONDITIONS.clear()
    return _explained(LOOSE_ONLY_IF).holds_when  # type: ignore[attr-defined]


def test_the_condition_does_not_depend_on_what_ran_before() -> None:
    """The same condition computed in a thread of its own (a fresh shared decider), and in
    this thread after histories: other files checked, and non-linear questions under the same
    assumptions refuted, which leaves their (large) points known to the thread's solver."""
    import threading

    from calculus.check import hypotheses
    from calculus.costs import Atomic
    from calculus.logic import Problem, proves, shared_decider

    alone: list[object] = []
    thread = threading.Thread(target=lambda: alone.append(_fresh_condition()))
    thread.start()
    thread.join()
    (expected,) = alone
    assert expected not in (None, NEVER)
    # Other files first: divisions, a threshold, the essay's other claims.
    _claims("primitive a, b\nclaim z1: c(a) = c(b) -> c(a) / (c(a) - c(b)) = 5\n")
    _claims(ESSAY + "claim it: Hfh beats Hsd or Hsd beats Hfh\n")
    # Non-linear questions refuted under the loose model's own assumptions.
    costs = derive_costs(load_model(LOOSE_ONLY_IF))
    found = hypotheses(costs)
    atoms = sorted(costs.bounds, key=str)
    for index, (x, y) in enumerate(zip(atoms, atoms[1:], strict=False)):
        claim = Atomic("!=", x * y * y, sympy.Integer(7 + index))
        assert not proves(Problem(claim, found, False, "linear", 10))
    with shared_decider() as decider:
        assert decider._linear is not None and decider._linear.points  # the history is there
    assert _fresh_condition() == expected


# ---- candidates passed over at known points are exactly those the solver does not prove ----

SEVERAL = (
    ESSAY
    + "claim k1: Hfh beats Hsd\n"
    + "claim k2: c(Hsd) + 2 > c(Hfh) + 3\n"
    + "claim k3: t(Hfh) + 1 > t(Hsd)\n"
    + f"claim k4: Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < {FIND}\n"
    + "claim k5: Hfd beats Hfh on t or c(Hfd) > 3 * c(Hfh)\n"
)


def test_repairs_and_conditions_are_the_same_without_the_known_points(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Repairs and conditions found with candidates and questions passed over at points
    where the hypotheses hold (the claims' counterexamples) are those found when every
    one of them goes to the solver instead: the points only save work."""
    from calculus import explain
    from calculus.check import claim_problem, claim_statement, hypotheses

    passed_over = []
    refutes = explain._Known.refutes

    def counted(self: object, statement: object) -> bool:
        found: bool = refutes(self, statement)  # type: ignore[arg-type]
        passed_over.append(found)
        return found

    explain._CONDITIONS.clear()
    monkeypatch.setattr(explain._Known, "refutes", counted)
    result = check_source(SEVERAL, timeout=10)
    assert any(passed_over) and not all(passed_over)  # the points did save work
    refuted = [c for c in result.claims if c.verdict.status == "refuted"]
    assert len(refuted) >= 4, [(c.name, c.verdict.status) for c in result.claims]
    assert any(c.repairs for c in refuted)
    model = load_model(SEVERAL)
    costs = derive_costs(model)
    nodes = {c.name: c.node for c in model.claims}
    monkeypatch.setattr(explain._Known, "refutes", lambda self, statement: False)
    explain._CONDITIONS.clear()
    explain._KNOWN.clear()
    for claim in refuted:
        node = nodes[claim.name]
        fixes = explain.repairs(costs, node, lambda c: claim_problem(costs, c, 10), claim_statement)
        assert fixes == claim.repairs, claim.name
        condition = explain.holds_when(costs, node, 10, hypotheses(costs))
        assert condition == claim.holds_when, claim.name
