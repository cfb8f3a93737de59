"""Non-linear exchange families: proofs hold for sampled members, refutations' g rebuilt.

Every refutation's counterexample lists g at the points it uses ("g(5/2)": 3); the tests
rebuild the piecewise-linear g through (0, 0) and those points with their own code and
check, independently of `calculus.logic.families`, that it is in the family and breaks the claim.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import pytest
from essay_model import ESSAY_PROGRAMS

from calculus.check import FileResult, check_source
from calculus.logic.families import PiecewiseLinear, membership

F = Fraction
Exchange = Callable[[Fraction], Fraction]

ESSAY = (
    "\n"
    + ESSAY_PROGRAMS
    + """\
exchange FAMILY
assume base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)
assume proxy_is_slow: t(find(get_proxy_for_base_obj(env))) >= t(get_proxy_for_base_obj)
claim fd_loses: Hfh beats Hfd
claim corrected: Hsd beats Hfh -> g(c(get_base_obj)) > t(find(get_proxy_for_base_obj(env))) - t(get_proxy_for_base_obj)
claim corrected_all_terms: Hsd beats Hfh -> g(c(get_base_obj)) > t(Hsd) - t(Hfh)
refute as_written: Hsd beats Hfh -> g(c(get_proxy_for_base_obj)) < t(find(get_proxy_for_base_obj(env)))
claim sometimes: Hsd beats Hfh for some g
refute fd_never: Hfd beats Hfh for some g
"""
)


def run(source: str) -> dict[str, object]:
    result: FileResult = check_source(source)
    assert not result.diagnostics, result.diagnostics
    return {c.name: c.verdict for c in result.claims}


def verdicts(source: str) -> dict[str, str]:
    return {name: v.status for name, v in run(source).items()}  # type: ignore[attr-defined]


# ---- an independent membership check for a counterexample's g -----------------------------


def rebuild(counterexample: dict[str, Fraction]) -> dict[Fraction, Fraction]:
    points = {F(0): F(0)}
    for name, value in counterexample.items():
        if name.startswith("g(") and name.endswith(")"):
            points[F(name[2:-1])] = value
    return points


def interpolant(points: dict[Fraction, Fraction], tail: Fraction | None = None) -> Exchange:
    """Linear through the points, continued with the first slope below them and with
    `tail` (by default the last slope) above them."""
    xs = sorted(points)
    if len(xs) == 1:
        return lambda x: x
    slopes = [(points[b] - points[a]) / (b - a) for a, b in itertools.pairwise(xs)]
    last = slopes[-1] if tail is None else tail

    def g(x: Fraction) -> Fraction:
        if x <= xs[0]:
            return points[xs[0]] + slopes[0] * (x - xs[0])
        for (a, b), s in zip(itertools.pairwise(xs), slopes, strict=True):
            if x <= b:
                return points[a] + s * (x - a)
        return points[xs[-1]] + last * (x - xs[-1])

    return g


def stated_tail(verdict: object) -> Fraction:
    """The slope the refutation's note says g continues with above its last point."""
    note = " ".join(verdict.notes)  # type: ignore[attr-defined]
    found = re.search(r"continued with slope (\S+) above", note)
    assert found, note
    return F(found.group(1))


def in_family(points: dict[Fraction, Fraction], family: str, tail: Fraction | None = None) -> bool:
    """Strictly increasing through (0, 0); for sub/superadditive, additive at every pair
    from a grid that includes every breakpoint, their sums and differences, midpoints
    and far points (the interpolant is linear in between)."""
    xs = sorted(points)
    if points.get(F(0)) != 0 or any(points[a] >= points[b] for a, b in itertools.pairwise(xs)):
        return False
    if tail is not None and tail <= 0:
        return False
    if family == "monotone":
        return True
    g = interpolant(points, tail)
    grid = {x for x in xs if x >= 0}
    grid |= {abs(a - b) for a in list(grid) for b in list(grid)}
    grid |= {(a + b) / 2 for a in list(grid) for b in list(grid)}
    grid |= {10 * max(grid) + 1, 100 * max(grid) + 7}
    for x, y in itertools.product(grid, repeat=2):
        gap = g(x) + g(y) - g(x + y)
        if (family == "subadditive" and gap < 0) or (family == "superadditive" and gap > 0):
            return False
    return True


def counterexample_of(verdict: object) -> dict[str, Fraction]:
    pairs = verdict.counterexample  # type: ignore[attr-defined]
    assert pairs is not None
    return dict(pairs)


# ---- the essay's claims -----------------------------------------------------------------


def test_essay_corrected_claim_is_proved_for_subadditive_g() -> None:
    found = run(ESSAY.replace("FAMILY", "subadditive"))
    status = {k: v.status for k, v in found.items()}  # type: ignore[attr-defined]
    assert status == {
        "fd_loses": "proved",
        "corrected": "proved",
        "corrected_all_terms": "proved",
        "as_written": "refuted",
        "sometimes": "proved",
        "fd_never": "refuted",
    }
    corrected = found["corrected"]
    assert corrected.uses == ("positivity",)  # type: ignore[attr-defined]
    note = " ".join(corrected.notes)  # type: ignore[attr-defined]
    assert (
        "g(c(get_base_obj) + c(mesaoptimize) + c(useful_knowledge)) <= g(c(get_base_obj)) "
        "+ g(c(mesaoptimize) + c(useful_knowledge))"
    ) in note
    points = rebuild(counterexample_of(found["as_written"]))
    assert in_family(points, "subadditive", stated_tail(found["as_written"]))


@pytest.mark.parametrize("family", ["monotone", "superadditive"])
def test_essay_corrected_claim_needs_subadditivity(family: str) -> None:
    found = run(ESSAY.replace("FAMILY", family))
    assert found["fd_loses"].status == "proved"  # type: ignore[attr-defined]
    for name in ("corrected", "corrected_all_terms"):
        verdict = found[name]
        assert verdict.status == "refuted", (name, verdict)  # type: ignore[attr-defined]
        cx = counterexample_of(verdict)
        points = rebuild(cx)
        tail = stated_tail(verdict)
        assert in_family(points, family, tail)
        g = interpolant(points, tail)
        atom = {name[2:-1] if name.startswith("c(") else name: v for name, v in cx.items()}
        c_hsd = sum(
            atom[k] for k in ("simplest_obj", "combine", "mesaoptimize", "useful_knowledge")
        )
        c_hfh = sum(atom[k] for k in ("get_base_obj", "mesaoptimize", "useful_knowledge"))
        time_gap = (
            atom["t(combine)"]
            + atom["t(find(get_proxy_for_base_obj(env)))"]
            + atom["t(mesaoptimize_outer_world_env)"]
            - atom["t(get_proxy_for_base_obj)"]
        )
        assert g(c_hsd) - g(c_hfh) + time_gap < 0  # Hsd beats Hfh ...
        bound = (
            time_gap
            if name == "corrected_all_terms"
            else (atom["t(find(get_proxy_for_base_obj(env)))"] - atom["t(get_proxy_for_base_obj)"])
        )
        assert not g(atom["get_base_obj"]) > bound  # ... and the conclusion fails
    if family == "superadditive":
        assert found["sometimes"].status == "proved"  # type: ignore[attr-defined]


# ---- one proved and one refuted claim per family ------------------------------------------

SMALL = """
primitive a, b
exchange FAMILY
claim increasing: c(a) < c(b) -> g(c(a)) < g(c(b))
claim linear_only: g(2 * c(a)) = 2 * g(c(a))
claim sub: g(c(a) + c(b)) <= g(c(a)) + g(c(b))
claim super: g(c(a) + c(b)) >= g(c(a)) + g(c(b))
claim sub_chain: g(3 * c(a) + c(b)) <= 3 * g(c(a)) + g(c(b))
claim super_gap: c(a) < c(b) -> g(c(b)) - g(c(a)) >= g(c(b) - c(a))
"""

EXPECTED = {
    # name: (monotone, subadditive, superadditive); linear g satisfies every one of them.
    "increasing": ("proved", "proved", "proved"),
    "linear_only": ("refuted", "refuted", "refuted"),
    "sub": ("refuted", "proved", "refuted"),
    "super": ("refuted", "refuted", "proved"),
    "sub_chain": ("refuted", "proved", "refuted"),
    "super_gap": ("refuted", "refuted", "proved"),
}
FAMILIES = ("monotone", "subadditive", "superadditive")


def small_claim(name: str, a: Fraction, b: Fraction, g: Exchange) -> bool:
    if name == "increasing":
        return not a < b or g(a) < g(b)
    if name == "linear_only":
        return g(2 * a) == 2 * g(a)
    if name == "sub":
        return g(a + b) <= g(a) + g(b)
    if name == "super":
        return g(a + b) >= g(a) + g(b)
    if name == "sub_chain":
        return g(3 * a + b) <= 3 * g(a) + g(b)
    return not a < b or g(b) - g(a) >= g(b - a)


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_proves_and_refutes(family: str) -> None:
    found = run(SMALL.replace("FAMILY", family))
    column = FAMILIES.index(family)
    for name, expected in EXPECTED.items():
        verdict = found[name]
        assert verdict.status == expected[column], (name, verdict)  # type: ignore[attr-defined]
        if verdict.status == "proved":
            assert set(verdict.uses) <= {"positivity"}  # type: ignore[attr-defined]
            continue
        cx = counterexample_of(verdict)
        points = rebuild(cx)
        assert len(points) > 1
        tail = stated_tail(verdict)
        assert in_family(points, family, tail), (name, points)
        g = interpolant(points, tail)
        assert not small_claim(name, cx["c(a)"], cx.get("c(b)", F(1)), g), (name, cx)
        note = " ".join(verdict.notes)  # type: ignore[attr-defined]
        assert "piecewise linear through (0, 0)" in note


def test_true_for_linear_g_false_for_monotone_g() -> None:
    source = """
primitive a, b
exchange EXCHANGE
claim doubling: g(2 * c(a)) = 2 * g(c(a))
"""
    assert verdicts(
        source.replace("EXCHANGE", "linear")
        .replace("g(2 * c(a))", "g * 2 * c(a)")
        .replace("2 * g(c(a))", "2 * g * c(a)")
    ) == {"doubling": "proved"}
    found = run(source.replace("EXCHANGE", "monotone"))["doubling"]
    assert found.status == "refuted"  # type: ignore[attr-defined]
    cx = counterexample_of(found)
    points = rebuild(cx)
    tail = stated_tail(found)
    assert in_family(points, "monotone", tail)
    g = interpolant(points, tail)
    assert g(2 * cx["c(a)"]) != 2 * g(cx["c(a)"])


def test_witness_membership_is_exact() -> None:
    concave = PiecewiseLinear(((F(0), F(0)), (F(1), F(2)), (F(3), F(3))), F(2), F(1, 2))
    assert membership(concave, "subadditive")[0]
    assert not membership(concave, "superadditive")[0]
    # Not concave, yet subadditive: g(x) = x up to 1, flat-ish, then slope 1/2.
    bumpy = PiecewiseLinear(
        ((F(0), F(0)), (F(1), F(1)), (F(2), F(11, 10)), (F(3), F(3, 2))), F(1), F(1, 10)
    )
    member, why = membership(bumpy, "subadditive")
    assert member and "vertex" in why
    assert in_family(dict(bumpy.points), "subadditive", bumpy.right_slope)
    decreasing = PiecewiseLinear(((F(0), F(0)), (F(1), F(1)), (F(2), F(1, 2))), F(1), F(1))
    assert not membership(decreasing, "monotone")[0]
    # Superadditivity broken far out only: convex start, then a smaller last slope.
    late = PiecewiseLinear(((F(0), F(0)), (F(1), F(1)), (F(2), F(3))), F(1), F(1, 2))
    assert not membership(late, "superadditive")[0]


# ---- random claims cross-checked against sampled members ----------------------------------


def piecewise(points: list[tuple[Fraction, Fraction]]) -> Exchange:
    return interpolant(dict(points))


def odd(f: Exchange) -> Exchange:
    return lambda x: f(x) if x >= 0 else -f(-x)


MEMBERS: dict[str, list[Exchange]] = {
    "monotone": [
        lambda x: x,
        lambda x: 3 * x,
        odd(lambda x: x * x),
        odd(lambda x: x / (1 + x)),
        piecewise([(F(0), F(0)), (F(1), F(5)), (F(2), F(51, 10)), (F(4), F(9))]),
        piecewise([(F(0), F(0)), (F(1, 2), F(1, 100)), (F(1), F(10)), (F(3), F(11))]),
    ],
    "subadditive": [
        lambda x: x,
        lambda x: 2 * x,
        odd(lambda x: x / (1 + x)),
        odd(lambda x: 5 * x / (2 + x)),
        piecewise([(F(0), F(0)), (F(1), F(3)), (F(3), F(4)), (F(5), F(9, 2))]),
    ],
    "superadditive": [
        lambda x: x,
        lambda x: 2 * x,
        odd(lambda x: x * x),
        odd(lambda x: x * x * x + x / 10),
        piecewise([(F(0), F(0)), (F(1), F(1, 10)), (F(2), F(3)), (F(3), F(30))]),
    ],
}

ATOMS = ("a", "b", "d")
OPS = ("<", "<=", ">", ">=")
COMPARE = {
    "<": lambda x, y: x < y,
    "<=": lambda x, y: x <= y,
    ">": lambda x, y: x > y,
    ">=": lambda x, y: x >= y,
}


@dataclass(frozen=True)
class Combination:
    """A positive combination of description costs, e.g. 2·c(a) + c(b)."""

    weights: tuple[tuple[str, int], ...]

    def text(self) -> str:
        return " + ".join(f"{w} * c({x})" if w != 1 else f"c({x})" for x, w in self.weights)

    def value(self, atoms: dict[str, Fraction]) -> Fraction:
        return sum((w * atoms[x] for x, w in self.weights), F(0))


@dataclass(frozen=True)
class RandomClaim:
    kind: str
    parts: tuple[Combination, ...]
    ops: tuple[str, ...]

    def text(self) -> str:
        p = [c.text() for c in self.parts]
        if self.kind == "order":
            return f"{p[0]} {self.ops[0]} {p[1]} -> g({p[0]}) {self.ops[1]} g({p[1]})"
        if self.kind == "split":
            return f"g({p[0]} + {p[1]}) {self.ops[0]} g({p[0]}) + g({p[1]})"
        if self.kind == "sums":
            return f"g({p[0]}) + g({p[1]}) {self.ops[0]} g({p[2]}) + g({p[3]})"
        return f"{p[0]} < {p[1]} -> g({p[1]}) - g({p[0]}) {self.ops[0]} g({p[1]} - ({p[0]}))"

    def holds(self, atoms: dict[str, Fraction], g: Exchange) -> bool:
        v = [c.value(atoms) for c in self.parts]
        op = [COMPARE[o] for o in self.ops]
        if self.kind == "order":
            return not op[0](v[0], v[1]) or op[1](g(v[0]), g(v[1]))
        if self.kind == "split":
            return op[0](g(v[0] + v[1]), g(v[0]) + g(v[1]))
        if self.kind == "sums":
            return op[0](g(v[0]) + g(v[1]), g(v[2]) + g(v[3]))
        return not v[0] < v[1] or op[0](g(v[1]) - g(v[0]), g(v[1] - v[0]))


def random_combination(rng: random.Random) -> Combination:
    chosen = sorted(rng.sample(ATOMS, rng.randint(1, 2)))
    return Combination(tuple((x, rng.choice((1, 1, 2))) for x in chosen))


def random_claim(rng: random.Random) -> RandomClaim:
    kind = rng.choice(("order", "split", "sums", "gap"))
    count = {"order": 2, "split": 2, "sums": 4, "gap": 2}[kind]
    parts = tuple(random_combination(rng) for _ in range(count))
    return RandomClaim(kind, parts, tuple(rng.choice(OPS) for _ in range(2)))


@pytest.mark.parametrize("family", FAMILIES)
def test_random_claims_against_sampled_members(family: str) -> None:
    rng = random.Random(f"families-{family}")
    claims = [random_claim(rng) for _ in range(24)]
    source = f"primitive {', '.join(ATOMS)}\nexchange {family}\n" + "".join(
        f"claim r{i}: {claim.text()}\n" for i, claim in enumerate(claims)
    )
    found = run(source)
    tally = {"proved": 0, "refuted": 0, "unknown": 0}
    for i, claim in enumerate(claims):
        verdict = found[f"r{i}"]
        tally[verdict.status] += 1  # type: ignore[attr-defined]
        if verdict.status == "proved":  # type: ignore[attr-defined]
            for g in MEMBERS[family]:
                for _ in range(20):
                    atoms = {x: F(rng.randint(1, 40), rng.randint(1, 8)) for x in ATOMS}
                    assert claim.holds(atoms, g), (claim.text(), atoms)
        elif verdict.status == "refuted":  # type: ignore[attr-defined]
            cx = counterexample_of(verdict)
            points = rebuild(cx)
            tail = stated_tail(verdict)
            assert in_family(points, family, tail), (claim.text(), points, tail)
            atoms = {x: cx.get(f"c({x})", F(1)) for x in ATOMS}
            assert not claim.holds(atoms, interpolant(points, tail)), (claim.text(), cx)
    assert tally["proved"] >= 3 and tally["refuted"] >= 3, tally
    assert tally["unknown"] <= 2, tally


# ---- for some g, and what is never claimed -------------------------------------------------

SOME = """
primitive a, b
exchange FAMILY
claim steep: g(2 * c(a)) > 3 * g(c(a)) for some g
claim small: g(c(a)) + g(c(b)) < 1 for some g
claim backwards: c(a) < c(b) and g(c(b)) < g(c(a)) for some g
"""


def test_for_some_g() -> None:
    monotone = run(SOME.replace("FAMILY", "monotone"))
    # Not by any linear g: for every cost, the values g(c(a)) = 1, g(2c(a)) = 4 are ordered
    # like their points, so a strictly increasing g goes through them.
    assert monotone["steep"].status == "proved"  # type: ignore[attr-defined]
    assert monotone["steep"].uses == ("positivity",)  # type: ignore[attr-defined]
    assert monotone["small"].status == "proved"  # type: ignore[attr-defined]
    backwards = monotone["backwards"]
    assert backwards.status == "refuted"  # type: ignore[attr-defined]
    cx = counterexample_of(backwards)
    a, b = cx["c(a)"], cx["c(b)"]
    assert a >= b or all(g(a) < g(b) for g in MEMBERS["monotone"])

    subadditive = run(SOME.replace("FAMILY", "subadditive"))
    steep = subadditive["steep"]
    assert steep.status == "refuted"  # type: ignore[attr-defined]  # g(2x) <= 2 g(x) < 3 g(x)
    assert counterexample_of(steep)["c(a)"] > 0
    assert subadditive["small"].status == "proved"  # type: ignore[attr-defined]

    superadditive = run(SOME.replace("FAMILY", "superadditive"))
    # True (g(x) = x² will do), but only necessary conditions on g are instantiated: the
    # tool may stay unknown, and must never refute it.
    assert superadditive["steep"].status in ("proved", "unknown")  # type: ignore[attr-defined]
    assert superadditive["backwards"].status == "refuted"  # type: ignore[attr-defined]


def test_no_member_no_refutation() -> None:
    from calculus.logic.families import witness

    # g(2) = 3 > 2·g(1): no subadditive g goes through these points, and no concave or
    # convex shape rescues the other families' impossible cases either.
    assert witness({F(1): F(1), F(2): F(3)}, "subadditive") is None
    assert witness({F(1): F(1), F(2): F(3, 2)}, "superadditive") is None
    assert witness({F(1): F(2), F(2): F(1)}, "monotone") is None
    assert witness({F(-1): F(1)}, "monotone") is None
    found = witness({F(1): F(1), F(2): F(3, 2)}, "subadditive")
    assert found is not None and membership(found[0], "subadditive")[0]


def test_assumptions_about_g_hold_for_the_witness() -> None:
    source = """
primitive a, b
exchange subadditive
assume cap: g(c(a)) < 1
assume order: c(a) < c(b)
claim more: g(c(b)) > g(c(a))
refute big: g(c(b)) > 2
"""
    found = run(source)
    assert found["more"].status == "proved"  # type: ignore[attr-defined]
    assert found["more"].uses == ("order",)  # type: ignore[attr-defined]
    big = found["big"]
    assert big.status == "refuted"  # type: ignore[attr-defined]
    cx = counterexample_of(big)
    points = rebuild(cx)
    tail = stated_tail(big)
    g = interpolant(points, tail)
    assert in_family(points, family="subadditive", tail=tail)
    assert not g(cx["c(b)"]) > 2
