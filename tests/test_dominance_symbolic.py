"""Symbolic dominance ranges: hand-derived cases and an exact z3 oracle at rational g."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculus.dominance import Interval, RangesResult, end_json, format_intervals, symbolic_ranges

F = Fraction
ZERO = sympy.Integer(0)


def c(name: str) -> sympy.Symbol:
    return sympy.Symbol(f"c({name})", real=True)


def t(name: str) -> sympy.Symbol:
    return sympy.Symbol(f"t({name})", real=True)


FIND = "find(get_proxy_for_base_obj(env))"

ESSAY = {
    "Hfh": (
        c("get_base_obj") + c("mesaoptimize") + c("useful_knowledge"),
        t("get_proxy_for_base_obj") + t("mesaoptimize_env"),
    ),
    "Hsd": (
        c("simplest_obj") + c("combine") + c("mesaoptimize") + c("useful_knowledge"),
        t("combine") + t(FIND) + t("mesaoptimize_env") + t("mesaoptimize_outer_world_env"),
    ),
    "Hfd": (
        c("get_base_obj")
        + c("simplest_obj")
        + c("is_deployed_in_world")
        + c("mesaoptimize")
        + c("useful_knowledge"),
        t("is_deployed_in_world") + t("get_proxy_for_base_obj") + t("mesaoptimize_env"),
    ),
}
ESSAY_BOUNDS = {
    atom: "positive" for pair in ESSAY.values() for e in pair for atom in e.free_symbols
}

# Stated so that every difference is pinned between known bounds:
#   c(Hsd) - c(Hfh) = c(simplest_obj) + c(combine) - c(get_base_obj)  lies in [-80, 0)
#   t(Hsd) - t(Hfh) = t(combine) + t(find) + t(outer) - t(get_proxy)  lies in (990, oo)
ESSAY_ASSUMPTIONS = [
    c("get_base_obj") > c("simplest_obj") + c("combine"),
    c("get_base_obj") <= 100,
    c("simplest_obj") + c("combine") >= 20,
    t(FIND) >= 1000,
    t("get_proxy_for_base_obj") <= 10,
]


def ranges_text(result: RangesResult) -> dict[str, tuple[str, str]]:
    return {
        row.program: (format_intervals(row.robust), format_intervals(row.possible))
        for row in result.rows
    }


def test_essay_with_positivity_only():
    result = symbolic_ranges(ESSAY, [], ESSAY_BOUNDS)
    assert result.status == "exact"
    # Nothing is forced: Hfh and Hsd can each win anywhere, Hfd loses to Hfh on both axes.
    assert ranges_text(result) == {
        "Hfh": ("∅", "(0, oo)"),
        "Hsd": ("∅", "(0, oo)"),
        "Hfd": ("∅", "∅"),
    }


def test_essay_with_bounded_differences():
    result = symbolic_ranges(ESSAY, ESSAY_ASSUMPTIONS, ESSAY_BOUNDS)
    assert result.status == "exact"
    # Hfh beats Hsd for all admissible costs iff g*Δc + Δt > 0 for Δc in [-80, 0), Δt in
    # (990, oo): the worst case is Δc = -80 (attained) and Δt -> 990 (not attained), so
    # -80 g + 990 >= 0, a closed end at g = 99/8. Hsd can win exactly when 80 g > 990:
    # an open end at the same place.
    assert ranges_text(result) == {
        "Hfh": ("(0, 99/8]", "(0, oo)"),
        "Hsd": ("∅", "(99/8, oo)"),
        "Hfd": ("∅", "∅"),
    }
    hfh = result.rows[0]
    assert hfh.robust == (Interval(F(0), F(99, 8), False, True),)
    sd_over_fh = next(th for th in result.rows[1].thresholds if th.loser == "Hfh")
    # The assumptions force c(Hsd) < c(Hfh), so only the "g >" case is written.
    assert sd_over_fh.text.startswith("Hsd beats Hfh <=> g > ")
    assert " when " not in sd_over_fh.text
    assert (
        sympy.expand(sd_over_fh.delta_c - (c("simplest_obj") + c("combine") - c("get_base_obj")))
        == 0
    )


def test_robust_end_open_when_bound_is_attained():
    x, y = sympy.symbols("x y", real=True)
    # A beats B  <=>  g*(c(B)-c(A)) + t(B)-t(A) > 0  with  c(B)-c(A) = -1, t(B)-t(A) = y.
    costs = {"A": (sympy.Integer(1), sympy.Integer(0)), "B": (sympy.Integer(0), y)}
    # y >= 3 (attained): need 3 - g > 0, open at 3; y > 3: need 3 - g >= 0, closed at 3.
    attained = symbolic_ranges(costs, [y >= 3], {y: "positive"})
    assert ranges_text(attained)["A"] == ("(0, 3)", "(0, oo)")
    strict = symbolic_ranges(costs, [y > 3], {y: "positive"})
    assert ranges_text(strict)["A"] == ("(0, 3]", "(0, oo)")
    assert ranges_text(strict)["B"] == ("∅", "(3, oo)")


def test_possible_range_in_two_pieces():
    s = sympy.Symbol("s", real=True)
    # The rival's differences run along the segment from (1, -3) to (-1, 1) as s goes 0..1:
    # at every point g*Δc + Δt > 0 needs g > 3 (s near 0) or g < 1 (s near 1).
    costs = {"P": (sympy.Integer(0), sympy.Integer(0)), "Q": (1 - 2 * s, -3 + 4 * s)}
    result = symbolic_ranges(costs, [s <= 1], {s: "nonneg"})
    assert ranges_text(result)["P"] == ("∅", "(0, 1) ∪ (3, oo)")


def test_irrational_end_is_reported_not_rounded():
    s = sympy.Symbol("s", real=True)
    costs = {
        "P": (sympy.Integer(0), sympy.Integer(0)),
        "Q1": (s, sympy.Integer(-1)),
        "Q2": (sympy.Integer(-1), 3 - s),
    }
    result = symbolic_ranges(costs, [], {s: "positive"})
    # P wins for some costs exactly when g^2 - 3g + 1 < 0: irrational ends, held exactly
    # as algebraic numbers, printed exactly with a decimal approximation.
    assert result.status == "exact", result.reason
    (interval,) = next(row for row in result.rows if row.program == "P").possible
    assert not interval.lo_closed and not interval.hi_closed
    root5 = sympy.sqrt(5)
    assert sympy.simplify(sympy.sympify(end_json(interval.lo)) - (3 - root5) / 2) == 0
    assert sympy.simplify(sympy.sympify(end_json(interval.hi)) - (3 + root5) / 2) == 0
    assert ranges_text(result)["P"][1] == "(3/2 - sqrt(5)/2 ≈ 0.381966, sqrt(5)/2 + 3/2 ≈ 2.61803)"
    assert F(38, 100) not in interval and F(39, 100) in interval and F(262, 100) not in interval
    check_with_oracle(costs, [], {s: "positive"})


def test_unsatisfiable_assumptions_are_flagged():
    x = sympy.Symbol("x", real=True)
    result = symbolic_ranges(
        {"A": (x, sympy.Integer(0)), "B": (sympy.Integer(0), x)}, [x < 0], {x: "positive"}
    )
    assert result.status == "exact"
    assert "unsatisfiable" in (result.reason or "")


def test_disjunctive_and_negated_assumptions():
    x = sympy.Symbol("x", real=True)
    # A beats B <=> g < x;  B beats A <=> x < g.
    costs = {"A": (sympy.Integer(1), sympy.Integer(0)), "B": (sympy.Integer(0), x)}
    # x in [1/2, 1] or [5, 7), without 6
    assumptions = [
        sympy.Implies(x < 5, sympy.And(x >= sympy.Rational(1, 2), x <= 1)),
        x < 7,
        sympy.Not(sympy.Eq(x, 6)),
    ]
    result = symbolic_ranges(costs, assumptions, {x: "positive"})
    assert ranges_text(result) == {"A": ("(0, 1/2)", "(0, 7)"), "B": ("[7, oo)", "(1/2, oo)")}
    check_with_oracle(costs, assumptions, {x: "positive"})


# ---------------------------------------------------------------------------
# An independent oracle: z3 decides membership of one rational g exactly.


def z3_membership(costs, assumptions, bounds, program, g):
    symbols = sorted(
        {s for pair in costs.values() for e in pair for s in e.free_symbols}
        | {s for a in assumptions for s in a.free_symbols}
        | set(bounds),
        key=str,
    )
    env = {s: z3.Real(s.name) for s in symbols}

    def to_z3(expression):
        return _convert(sympy.sympify(expression), env)

    admissible = [to_z3(a) for a in assumptions]
    for s, kind in bounds.items():
        admissible.append(env[s] > 0 if kind == "positive" else env[s] >= 0)
    gz = z3.RealVal(f"{g.numerator}/{g.denominator}")
    c0, t0 = costs[program]
    wins = [
        gz * to_z3(c0) + to_z3(t0) < gz * to_z3(c1) + to_z3(t1)
        for other, (c1, t1) in costs.items()
        if other != program
    ]
    solver = z3.Solver()
    solver.add(*admissible)
    solver.add(z3.Not(z3.And(*wins)))
    robust = solver.check() == z3.unsat
    solver = z3.Solver()
    solver.add(*admissible, *wins)
    possible = solver.check() == z3.sat
    return robust, possible


def _convert(expression, env):
    if expression.is_Symbol:
        return env[expression]
    if expression.is_Rational:
        return z3.RealVal(f"{expression.p}/{expression.q}")
    if isinstance(expression, sympy.Add):
        return z3.Sum(*[_convert(a, env) for a in expression.args])
    if isinstance(expression, sympy.Mul):
        result = _convert(expression.args[0], env)
        for a in expression.args[1:]:
            result = result * _convert(a, env)
        return result
    if isinstance(expression, sympy.Pow) and expression.exp.is_Integer and expression.exp > 0:
        base = _convert(expression.base, env)
        result = base
        for _ in range(int(expression.exp) - 1):
            result = result * base
        return result
    relations = {
        sympy.StrictLessThan: lambda a, b: a < b,
        sympy.LessThan: lambda a, b: a <= b,
        sympy.StrictGreaterThan: lambda a, b: a > b,
        sympy.GreaterThan: lambda a, b: a >= b,
        sympy.Equality: lambda a, b: a == b,
        sympy.Unequality: lambda a, b: a != b,
    }
    for kind, make in relations.items():
        if isinstance(expression, kind):
            return make(_convert(expression.lhs, env), _convert(expression.rhs, env))
    if isinstance(expression, sympy.And):
        return z3.And(*[_convert(a, env) for a in expression.args])
    if isinstance(expression, sympy.Or):
        return z3.Or(*[_convert(a, env) for a in expression.args])
    if isinstance(expression, sympy.Not):
        return z3.Not(_convert(expression.args[0], env))
    if isinstance(expression, sympy.Implies):
        return z3.Implies(_convert(expression.args[0], env), _convert(expression.args[1], env))
    raise TypeError(expression)


def probes(result: RangesResult) -> list[Fraction]:
    ends = {F(0)}
    for row in result.rows:
        for interval in row.robust + row.possible:
            for end in (interval.lo, interval.hi):
                if end is None:
                    continue
                if isinstance(end, F):
                    ends.add(end)
                    continue
                # An irrational end: probe rationals within 1e-9 on either side of it.
                while end.hi - end.lo > F(1, 10**9):
                    end.refine()
                ends.update({end.lo, end.hi})
    ordered = sorted(ends)
    points = set(ordered[1:])
    for left, right in zip(ordered, ordered[1:] + [ordered[-1] + 2], strict=True):
        points.add((left + right) / 2)
    points.update(F(k, 2) for k in range(1, 13))
    points.update({F(1, 100), F(50), F(1000)})
    return sorted(points)


def check_with_oracle(costs, assumptions, bounds):
    result = symbolic_ranges(costs, assumptions, bounds, timeout=30)
    if result.status != "exact":
        assert result.reason
        return result
    for g in probes(result):
        for row in result.rows:
            robust, possible = z3_membership(costs, assumptions, bounds, row.program, g)
            assert robust == any(g in iv for iv in row.robust), (
                row.program,
                g,
                "robust",
                row.robust,
            )
            assert possible == any(g in iv for iv in row.possible), (
                row.program,
                g,
                "possible",
                row.possible,
            )
    return result


def test_essay_against_oracle():
    check_with_oracle(ESSAY, ESSAY_ASSUMPTIONS, ESSAY_BOUNDS)


ATOMS = sympy.symbols("x0 x1 x2 x3", real=True)
small = st.integers(-2, 3)


@st.composite
def tiny_models(draw):
    programs = draw(st.integers(2, 4))
    atoms = ATOMS[: draw(st.integers(1, 4))]

    def form(allow_constant=True):
        expression = sum(draw(small) * atom for atom in atoms)
        if allow_constant:
            expression += draw(st.integers(-3, 3))
        return sympy.sympify(expression)

    costs = {f"P{i}": (form(), form()) for i in range(programs)}
    relations = [sympy.StrictLessThan, sympy.LessThan, sympy.Eq]
    assumptions = []
    for _ in range(draw(st.integers(0, 2))):
        make = draw(st.sampled_from(relations))
        assumptions.append(make(form(), draw(st.integers(-2, 6))))
    if draw(st.booleans()) and len(assumptions) == 2:
        assumptions = [sympy.Or(*assumptions)]
    bounds = {atom: draw(st.sampled_from(["positive", "nonneg"])) for atom in atoms}
    return costs, [a for a in assumptions if a not in (sympy.true, sympy.false)], bounds


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models())
def test_tiny_models_against_oracle(model):
    costs, assumptions, bounds = model
    check_with_oracle(costs, assumptions, bounds)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models())
def test_many_tiny_models_against_oracle(model):
    costs, assumptions, bounds = model
    check_with_oracle(costs, assumptions, bounds)


def shared_family(n: int, helpers: int = 0):
    """n programs trading stored units against run steps, optionally with bounded helpers."""
    costs = {}
    for i in range(1, n + 1):
        cost = c("core") + (n - i) * c("unit") + (c(f"helper{i % helpers}") if helpers else 0)
        costs[f"P{i}"] = (cost, t("core") + i * i * t("step"))
    assumptions = [c("unit") >= 1, c("unit") <= 2, t("step") >= 3, t("step") <= 5]
    assumptions += [c(f"helper{k}") <= 1 for k in range(helpers)]
    bounds = {atom: "positive" for pair in costs.values() for e in pair for atom in e.free_symbols}
    return costs, assumptions, bounds


def test_many_rivals_at_once_against_oracle():
    # Five rivals per program: the joint "possible" reading goes through linear programming.
    costs, assumptions, bounds = shared_family(6, helpers=2)
    result = check_with_oracle(costs, assumptions, bounds)
    assert result.status == "exact"
    assert ranges_text(result)["P1"] == ("(0, 3]", "(0, 20)")


def test_mixed_assumption_uses_elimination_and_agrees_with_oracle():
    # t(find) >= 10*c(get_base_obj) ties a run time to a description length, so the
    # substitution behind the linear-programming path does not apply.
    assumptions = ESSAY_ASSUMPTIONS + [t(FIND) >= 10 * c("get_base_obj")]
    result = check_with_oracle(ESSAY, assumptions, ESSAY_BOUNDS)
    assert result.status == "exact"


def test_timeout_is_unknown_not_a_guess():
    costs, assumptions, bounds = shared_family(8, helpers=3)
    result = symbolic_ranges(costs, assumptions, bounds, timeout=0)
    assert result.status == "unknown"
    assert "time" in (result.reason or "")
    assert all(row.robust == () and row.possible == () for row in result.rows)


def test_nonlinear_without_qepcad_is_unknown(monkeypatch):
    from calculus.dominance import projection, qepcad
    from calculus.dominance.records import Unanswered

    def gives_up(question, timeout):
        raise Unanswered("z3 gave up")

    monkeypatch.setattr(qepcad, "available", lambda: False)
    monkeypatch.setattr(projection, "answer", gives_up)
    x, y = sympy.symbols("x y", real=True)
    result = symbolic_ranges(
        {"P": (x * y, ZERO), "Q": (ZERO, sympy.Integer(1))}, [], {x: "positive", y: "positive"}
    )
    assert result.status == "unknown"
    assert "QEPCAD" in (result.reason or "")


# ---------------------------------------------------------------------------
# Thresholds: the signs the linear elimination settles, against z3.


def z3_signs(expression, assumptions, bounds):
    """The signs `expression` takes on admissible costs, each asked of z3."""
    symbols = {s for s in expression.free_symbols | set(bounds)}
    symbols |= {s for a in assumptions for s in a.free_symbols}
    env = {s: z3.Real(s.name) for s in symbols}
    admissible = [_convert(sympy.sympify(a), env) for a in assumptions]
    admissible += [env[s] > 0 if kind == "positive" else env[s] >= 0 for s, kind in bounds.items()]
    value = _convert(sympy.sympify(expression), env)
    signs = set()
    for sign, holds in ((1, value > 0), (-1, value < 0), (0, value == 0)):
        solver = z3.Solver()
        solver.add(*admissible, holds)
        answer = solver.check()
        assert answer != z3.unknown
        if answer == z3.sat:
            signs.add(sign)
    return signs


def check_thresholds_with_z3(costs, assumptions, bounds):
    from calculus.dominance import elimination
    from calculus.dominance.thresholds import symbolic_threshold

    found = elimination.findings(costs, assumptions, bounds, timeout=60)
    checked = 0
    for thresholds in found.thresholds.values():
        for threshold in thresholds:
            c_signs = z3_signs(threshold.delta_c, assumptions, bounds)
            t_signs = z3_signs(threshold.delta_t, assumptions, bounds)
            expected = symbolic_threshold(
                threshold.winner,
                threshold.loser,
                threshold.delta_c,
                threshold.delta_t,
                c_signs,
                t_signs,
            )
            assert threshold.text == expected.text, (assumptions, c_signs, t_signs)
            checked += 1
    return checked


def test_essay_thresholds_use_the_signs_z3_finds():
    assert check_thresholds_with_z3(ESSAY, ESSAY_ASSUMPTIONS, ESSAY_BOUNDS) == 6


@pytest.mark.parametrize(
    ("assumption", "signs"),
    [
        ("x > 3", {1}),  # one query settles it
        ("x >= 3", {1, 0}),
        ("x < 3", {-1}),
        ("x <= 10", {1, -1, 0}),  # one convex case: 0 is inferred, not asked
        ("(x < 1) | (x > 5)", {1, -1}),  # two cases: both signs, never 0
        ("Eq(x, 3)", {0}),
        ("(x < 1) | Eq(x, 3)", {-1, 0}),
        ("(x > 5) | Eq(x, 3)", {1, 0}),
    ],
)
def test_every_sign_set_of_a_cost_difference(assumption, signs):
    x, y = sympy.symbols("x y", real=True)
    assumptions = [sympy.sympify(assumption, locals={"x": x})]
    costs = {"A": (x, y), "B": (sympy.Integer(3), sympy.Integer(2))}  # t: 2 - y, either sign
    bounds = {x: "positive", y: "positive"}
    assert z3_signs(x - 3, assumptions, bounds) == signs
    assert check_thresholds_with_z3(costs, assumptions, bounds) == 2


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_models())
def test_thresholds_use_the_signs_z3_finds(model):
    # One sign settled by one query, zero inferred on one convex case, the rest asked:
    # whichever way the elimination gets a sign set, it must be the one z3 finds.
    costs, assumptions, bounds = model
    check_thresholds_with_z3(costs, assumptions, bounds)


# ---------------------------------------------------------------------------
# Threshold text: the faster printer of linear sums prints what sympy.sstr prints.


def test_linear_sums_print_as_sympy_prints_them():
    import random

    from calculus.dominance import thresholds

    rng = random.Random(7)
    names = ["c(a)", "c(b_2)", "t(find(get(env)))", "c(B)", "x", "x1", "x10", "X", "t(a b)", "_u"]
    coefficients = [1, -1, 2, -2, sympy.Rational(1, 2), sympy.Rational(-3, 7), 10, -100]
    fast = 0
    original = thresholds._linear_terms

    def counted(expr):
        nonlocal fast
        terms = original(expr)
        fast += terms is not None
        return terms

    thresholds._linear_terms = counted
    try:
        for _ in range(1500):
            chosen = rng.sample(names, rng.randint(1, 5))
            real = rng.random() < 0.5
            expression = sum(
                rng.choice(coefficients) * sympy.Symbol(name, real=real) for name in chosen
            )
            if rng.random() < 0.6:
                expression += rng.choice([1, -1, 3, -5, sympy.Rational(7, 2), 0])
            if rng.random() < 0.2:
                expression = -expression
            assert thresholds.sstr(expression) == sympy.sstr(expression), expression
        # Sums outside the fast path: products, powers, functions, dummies, numbers alone.
        x, y = sympy.symbols("x y")
        for other in [
            x * y + 1,
            x**2 - x,
            sympy.sqrt(2) * x + 1,
            sympy.Dummy("d") + x,
            sympy.Symbol("x", positive=True) + x,
            2 * sympy.pi + x,
            -(x + y) / 3,
            sympy.Integer(5),
            sympy.Rational(-7, 3),
        ]:
            assert thresholds.sstr(other) == sympy.sstr(other), other
    finally:
        thresholds._linear_terms = original
    assert fast >= 1000  # the fast path was taken, not bypassed
