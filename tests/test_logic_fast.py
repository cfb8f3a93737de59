"""The linear solver's quick paths against its plain ones, on generated claims.

Where a claim compiles onto the solver's frame (`exact.Frame.indexed`), the solver answers
from known points and pins counterexamples mostly by exact evaluation (incremental
`exact.Point`s). With `meaning` giving no frame form none of that happens: every question
goes to z3, and values are pinned from z3's answers alone. Both must give the same verdicts, to the last value.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest
import sympy

from calculus.check import hypotheses, load_model
from calculus.costs import Atomic, derive_costs
from calculus.logic import Decider, Problem
from calculus.logic.exact import Frame, Point, compiled, rough_at, truth_at
from calculus.logic.linear import LinearSolver
from tests.essay_model import ESSAY_PROGRAMS

ATOMS = {
    "c": ["get_base_obj", "simplest_obj", "combine", "mesaoptimize", "is_deployed_in_world"],
    "t": ["get_proxy_for_base_obj", "combine", "mesaoptimize_outer_world_env"],
}
PROGRAMS = ["Hfh", "Hsd", "Hfd"]


def _claims(count: int, seed: int) -> list[str]:
    """Distinct linear claims over the essay's programs: comparisons, implications, scores
    (products with g), conjunctions and negations; about half of them true."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        a, b = rng.sample(PROGRAMS, 2)
        k = rng.randint(0, 60)
        on = rng.choice("ct")
        atom = f"{on}({rng.choice(ATOMS[on])})"
        kind = rng.randrange(6)
        if kind == 0:
            formula = f"{on}({a}) + {k} {rng.choice(['<', '<=', '>', '>='])} {on}({b}) + {k + 1}"
        elif kind == 1:
            formula = f"{atom} > {k} -> {rng.randint(1, 3)} * {on}({a}) > {on}({b})"
        elif kind == 2:
            formula = f"g * c({a}) + t({a}) < g * c({b}) + t({b}) + {k}"
        elif kind == 3:
            formula = f"{a} beats {b}{rng.choice(['', ' on c', ' on t'])} or c({a}) > {k} * c({b})"
        elif kind == 4:
            formula = f"{atom} < {k} and not ({on}({a}) = {on}({b}))"
        else:
            formula = f"2 * {atom} + {on}({a}) != {k} * {on}({b})"
        found.setdefault(formula, None)
    return list(found)


def _problems(count: int, seed: int) -> list[Problem]:
    lines = [ESSAY_PROGRAMS, "exchange linear"]
    lines.append("assume base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)")
    lines += [f"claim k{i}: {formula}" for i, formula in enumerate(_claims(count, seed))]
    model = load_model("\n".join(lines) + "\n", "generated.cost")
    costs = derive_costs(model)
    for assumption in model.assumptions:
        costs.formula(assumption.node.formula)
    found = hypotheses(costs)
    return [
        Problem(costs.formula(c.node.formula), found, False, "linear", 10.0) for c in model.claims
    ]


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """No frame form for any claim: the solver's plain paths only."""
    monkeypatch.setattr(LinearSolver, "meaning", lambda self, claim: (compiled(claim), None))


@pytest.mark.parametrize("seed", [1, 2])
def test_quick_paths_give_the_plain_verdicts(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    problems = _problems(60, seed)
    with Decider() as decider:
        quick = [decider.decide(problem) for problem in problems]
        answers = [decider.proves(problem) for problem in reversed(problems)][::-1]
    statuses = {verdict.status for verdict in quick}
    assert statuses == {"proved", "refuted"}
    assert answers == [verdict.status == "proved" for verdict in quick]
    with monkeypatch.context() as patched:
        _plain(patched)
        with Decider() as decider:
            plain = [decider.decide(problem) for problem in problems]
    assert quick == plain


def test_changed_points_are_the_points_of_their_values() -> None:
    # `Point.changed` keeps the old denominator where it can: the values, floats and every
    # sign at the point are those of the point made afresh from the new values.
    a, b, c = (sympy.Symbol(s) for s in ("a", "b", "c"))
    frame = Frame([a, b, c])
    formulas = [
        frame.indexed(compiled(Atomic(op, left, right)))  # type: ignore[arg-type]
        for op in ("<", "<=", "=", "!=")
        for left, right in [
            (a * b - 3 * c, sympy.Rational(1, 7) * a**2),
            (a + b + c, sympy.Integer(1)),
            (sympy.Rational(2, 3) * a * b * c, b - sympy.Rational(5, 11)),
        ]
    ]
    choices = [Fraction(0), Fraction(1), Fraction(-2, 3), Fraction(5, 2), Fraction(1, 10**30)]
    choices += [Fraction(10**400), Fraction(7, 6), Fraction(-1, 1000)]
    rng = random.Random(11)
    for _ in range(300):
        start = [rng.choice(choices) for _ in range(3)]
        changes = [(rng.randrange(3), rng.choice(choices)) for _ in range(rng.randint(1, 2))]
        values = list(start)
        for position, value in changes:
            values[position] = value
        changed, fresh = Point(start).changed(changes), Point(values)
        assert changed.values == fresh.values
        assert changed.rough == fresh.rough
        for formula in formulas:
            expected = truth_at(formula, fresh, rough=False)  # type: ignore[arg-type]
            assert truth_at(formula, changed) == expected  # type: ignore[arg-type]
            assert truth_at(formula, changed, rough=False) == expected  # type: ignore[arg-type]


def _both_sides(f: Any, rough: list[float]) -> bool | None:
    """`rough_at` as it was, evaluating both sides of every connective."""
    op = f[0]
    if op not in ("not", "and", "or", "->", "<->"):
        return rough_at(f, rough)
    if op == "not":
        operand = _both_sides(f[1], rough)
        return None if operand is None else not operand
    left, right = _both_sides(f[1], rough), _both_sides(f[2], rough)
    if op == "->":
        left = None if left is None else not left
    if op in ("or", "->"):
        if left or right:
            return True
        return None if left is None or right is None else False
    if left is None or right is None:
        return None
    return (left and right) if op == "and" else left == right


def _random_formula(rng: random.Random, leaves: list[Any], depth: int) -> Any:
    """A formula on a frame of `leaves` under random connectives, up to `depth` deep."""
    if depth == 0 or rng.random() < 0.3:
        return rng.choice(leaves)
    op = rng.choice(["not", "and", "or", "->", "<->"])
    if op == "not":
        return ("not", _random_formula(rng, leaves, depth - 1))
    return (op, _random_formula(rng, leaves, depth - 1), _random_formula(rng, leaves, depth - 1))


def test_rough_truth_stops_only_where_the_left_side_settles_it() -> None:
    # Random formulas of comparisons, some in doubt at the point (a difference of exactly 0),
    # under every connective: the same three-valued truth as evaluating both sides.
    a, b = sympy.Symbol("a"), sympy.Symbol("b")
    frame = Frame([a, b])
    leaves = [
        frame.indexed(compiled(Atomic(op, left, right)))  # type: ignore[arg-type]
        for op in ("<", ">=", "=", "!=")
        for left, right in [(a, b), (a + b, sympy.Integer(3)), (2 * a, b + 1)]
    ]
    rng = random.Random(5)

    points = [[1.0, 1.0], [1.0, 2.0], [2.0, 1.0], [0.5, 2.0], [3.0, 0.0], [1.5, 1.5]]
    seen = set()
    for _ in range(2000):
        f, point = _random_formula(rng, leaves, 4), rng.choice(points)
        expected = _both_sides(f, point)
        assert rough_at(f, point) == expected, (f, point)
        seen.add(expected)
    assert seen == {True, False, None}


def _random_leaves(frame: Frame, rng: random.Random, count: int) -> list[Any]:
    """Comparisons of small polynomials (degree up to 2) over the frame's symbols."""
    symbols = frame.symbols
    leaves = []
    for _ in range(count):
        terms = [sympy.Integer(rng.randint(-4, 4))]
        for _ in range(rng.randint(1, 3)):
            monomial = sympy.Integer(rng.choice([-3, -2, -1, 1, 2, 3]))
            for _ in range(rng.randint(1, 2)):
                monomial *= rng.choice(symbols)
            terms.append(monomial)
        op = rng.choice(["<", "<=", ">", ">=", "=", "!="])
        leaves.append(frame.indexed(compiled(Atomic(op, sympy.Add(*terms), sympy.Integer(0)))))
    return leaves


def test_pins_ruled_out_by_signs_are_unsat() -> None:
    # `ruled_out` shows that no point with some positions pinned satisfies a conjunction
    # of comparisons, from the signs of their terms alone. Whatever it rules out, z3 (asked
    # the same, with the positions' bounds) finds unsatisfiable; it must also rule out a
    # fair share, or the pinner would gain nothing from it.
    import z3

    from calculus.logic.exact import conjuncts, ruled_out

    names = ["p", "q", "n", "u"]  # p, q > 0; n >= 0; u unbounded
    frame = Frame([sympy.Symbol(s) for s in names])
    positive, nonnegative = frozenset({0, 1}), frozenset({2})
    rng = random.Random(17)
    shown = 0
    for _ in range(400):
        leaves = _random_leaves(frame, rng, rng.randint(1, 3))
        formula = leaves[0]
        for leaf in leaves[1:]:
            formula = ("and", formula, leaf)
        pins = {
            position: rng.choice([Fraction(0), Fraction(1), Fraction(2), Fraction(-1, 2)])
            for position in rng.sample(range(4), rng.randint(0, 4))
        }
        pins = {p: v for p, v in pins.items() if p not in positive or v > 0}
        pins = {p: v for p, v in pins.items() if p not in nonnegative or v >= 0}
        # The same with one more position given each of some candidates in turn: ruled
        # out together exactly when each is ruled out on its own.
        free = [p for p in range(4) if p not in pins]
        if free:
            at = rng.choice(free)
            candidates = rng.sample([Fraction(1, 2), Fraction(1), Fraction(2), Fraction(7)], 2)
            each = [
                ruled_out(conjuncts(formula), {**pins, at: c}, positive, nonnegative)
                for c in candidates
            ]
            together = ruled_out(conjuncts(formula), pins, positive, nonnegative, at, candidates)
            assert together == all(each), (formula, pins, at, candidates)
        if not ruled_out(conjuncts(formula), pins, positive, nonnegative):
            continue
        shown += 1
        solver = z3.Solver()
        x = [z3.Real(name) for name in names]
        solver.add(x[0] > 0, x[1] > 0, x[2] >= 0)
        solver.add(*[x[p] == z3.RealVal(f"{v.numerator}/{v.denominator}") for p, v in pins.items()])
        for op, terms in conjuncts(formula):
            total = z3.Sum(
                [
                    coefficient * z3.Product([x[i] for i in at] or [z3.RealVal(1)])
                    for at, coefficient, _ in terms
                ]
                or [z3.RealVal(0)]
            )
            solver.add(
                {
                    "<": total < 0,
                    "<=": total <= 0,
                    ">": total > 0,
                    ">=": total >= 0,
                    "=": total == 0,
                    "!=": total != 0,
                }[op]
            )
        assert solver.check() == z3.unsat, (formula, pins)
    assert shown >= 60


def test_conjuncts_hold_wherever_the_formula_does() -> None:
    # `conjuncts(f)` are true at every point where f is, `conjuncts(f, negated=True)` at
    # every point where f is false: checked exactly at random rational points.
    from calculus.logic.exact import conjuncts

    frame = Frame([sympy.Symbol(s) for s in ("a", "b", "c")])
    rng = random.Random(23)
    leaves = _random_leaves(frame, rng, 12)

    values = [Fraction(v) for v in (-2, -1, 0, 1, 2, 3)] + [Fraction(1, 2), Fraction(-3, 2)]
    found = 0
    for _ in range(600):
        f = _random_formula(rng, leaves, 3)
        point = Point([rng.choice(values) for _ in range(3)])
        truth = truth_at(f, point, rough=False)
        parts = conjuncts(f, negated=not truth)
        found += len(parts)
        for op, terms in parts:
            assert truth_at((op, terms, ()), point, rough=False), (f, op, terms)
    assert found >= 300


@pytest.mark.parametrize("seed", [3, 4])
def test_pinning_with_pins_ruled_out_by_signs_gives_the_same_counterexamples(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pinner skips the solver where `ruled_out` shows a pin unsat; the counterexamples
    # must be those it pins asking the solver every time, and the shortcut must be taken.
    import calculus.logic.linear as linear

    problems = _problems(60, seed)
    calls = {"shown": 0}
    original = linear.ruled_out

    def counted(*arguments: Any) -> bool:
        shown = original(*arguments)
        calls["shown"] += shown
        return shown

    monkeypatch.setattr(linear, "ruled_out", counted)
    with Decider() as decider:
        quick = [decider.decide(problem) for problem in problems]
    assert calls["shown"] >= 10
    assert sum(verdict.status == "refuted" for verdict in quick) >= 15
    monkeypatch.setattr(linear, "ruled_out", lambda *arguments: False)
    with Decider() as decider:
        asked = [decider.decide(problem) for problem in problems]
    assert quick == asked


def test_a_shared_solver_whose_check_did_not_finish_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A check stopped by its time-out leaves z3's arithmetic where it stopped (after some,
    # one non-linear check once ran for minutes). The solver is then replaced by a new one
    # with the same hypotheses, and the claims after get the verdicts, counterexamples and
    # hypotheses used that a decider asked nothing before gives them. Here one check is
    # stopped by a budget of one resource unit.
    import z3

    import calculus.logic.solver as solver_module

    problems = _problems(40, 6)
    with Decider() as decider:
        expected = [decider.decide(problem) for problem in problems]
    original = solver_module.check_sat
    checks: dict[str, Any] = {"count": 0, "stopped": None}

    def stopped_once(solver: Any, assumptions: Any = ()) -> Any:
        checks["count"] += 1
        if checks["count"] != 5:
            return original(solver, assumptions)
        solver.set("rlimit", 1)
        try:
            checks["stopped"] = original(solver, assumptions)
            return checks["stopped"]
        finally:
            solver.set("rlimit", 0)

    monkeypatch.setattr(solver_module, "check_sat", stopped_once)
    with Decider() as decider:
        verdicts = []
        for problem in problems:
            before = checks["count"]
            verdicts.append(decider.decide(problem))
            if before < 5 <= checks["count"]:
                stopped = len(verdicts) - 1
                shared = decider._linear_solver(problem)
                assert shared.renewals == 1
    assert checks["stopped"] == z3.unknown
    assert shared.renewals == 1
    assert sum(v.status == "refuted" for v in expected[stopped + 1 :]) >= 10
    assert verdicts[stopped + 1 :] == expected[stopped + 1 :]
