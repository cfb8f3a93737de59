"""An exact oracle for linear-family claims, written apart from calculus/logic and costs.

Claims are generated here as small trees (atoms, numbers, g, + - * /, programs with stores,
runs, explicit formulas and `extends` chains; comparisons, connectives, `beats`), printed as
`.cost` text for the tool, and judged here:

* exactly, with Fractions: program costs derived here from the same data (stores a set,
  runs a multiset, through `extends`), divisions defined only where their denominator is
  non-zero and evaluated only under their guards (the right side of `and`/`->` only when the
  left holds, of `or` only when it fails);
* by brute force over a grid of small rationals, for a point that refutes a `proved`;
* by z3 through an encoding of its own (every division a fresh variable q with
  den ≠ 0 → q·den = num; `for some g` as a real ∀/∃ quantifier instead of the tool's
  virtual substitution; well-definedness as an explicit predicate), for the rest.

Semantics judged (DESIGN §3, §12): a claim is valid when it is defined and true at every
admissible point (bounds hold, every assumption is defined and true; g > 0). `for some g`:
for every assignment of the atoms satisfying the assumptions that do not mention g, some
g > 0 satisfies the assumptions that do and the claim (defined there).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import z3

PRIMITIVES = ("a", "b", "d")
ATOMS = tuple(f"{k}({p})" for k in "ct" for p in PRIMITIVES)
OPS = ("<", "<=", ">", ">=", "=", "!=")


class Undefined(Exception):
    """A division by zero was evaluated."""


# ---- the trees -----------------------------------------------------------------------------

Expr = tuple[Any, ...]  # ("atom", name) ("num", q) ("g",) ("prog", kind, P) (op, left, right)
Formula = tuple[Any, ...]  # ("cmp", op, l, r) ("not", f) (conn, f, f) ("beats", P, Q, on)


@dataclass
class Program:
    name: str
    parent: str | None = None
    stores: list[str] = field(default_factory=list)
    runs: Counter[str] = field(default_factory=Counter)
    c_formula: Expr | None = None
    t_formula: Expr | None = None


@dataclass
class Case:
    """One file: programs, assumptions (some about g), claims, and which are `for some g`."""

    nonneg: frozenset[str]
    programs: list[Program]
    assumptions: list[Formula]
    claims: list[tuple[Formula, bool]]


def expr_text(e: Expr) -> str:
    kind = e[0]
    if kind == "atom":
        return e[1]
    if kind == "num":
        value: Fraction = e[1]
        return str(value.numerator) if value.denominator == 1 else f"({value})"
    if kind == "g":
        return "g"
    if kind == "prog":
        return f"{e[1]}({e[2]})"
    return f"({expr_text(e[1])} {kind} {expr_text(e[2])})"


def formula_text(f: Formula) -> str:
    kind = f[0]
    if kind == "cmp":
        return f"{expr_text(f[2])} {f[1]} {expr_text(f[3])}"
    if kind == "not":
        return f"not ({formula_text(f[1])})"
    if kind == "beats":
        return f"{f[1]} beats {f[2]}" + (f" on {f[3]}" if f[3] else "")
    return f"({formula_text(f[1])}) {kind} ({formula_text(f[2])})"


def mentions_g(node: Any) -> bool:
    if isinstance(node, tuple):
        if node[:1] == ("g",) or node[:1] == ("beats",) and not node[3]:
            return True
        return any(mentions_g(part) for part in node[1:])
    return False


def source(case: Case) -> str:
    lines = [
        "primitive " + ", ".join(p + (" (nonneg)" if p in case.nonneg else "") for p in PRIMITIVES)
    ]
    for program in case.programs:
        head = f"program {program.name}" + (f" extends {program.parent}" if program.parent else "")
        items = []
        if program.c_formula is not None:
            items.append(f"c = {expr_text(program.c_formula)}")
        elif program.stores:
            items.append("stores " + ", ".join(program.stores))
        if program.t_formula is not None:
            items.append(f"t = {expr_text(program.t_formula)}")
        elif program.runs:
            items.append("runs " + ", ".join(f"{k} * {p}" for p, k in sorted(program.runs.items())))
        lines.append(head + " {\n  " + "\n  ".join(items) + "\n}")
    lines += [f"assume h{i}: {formula_text(f)}" for i, f in enumerate(case.assumptions)]
    for i, (claim, some) in enumerate(case.claims):
        lines.append(f"claim k{i}: {formula_text(claim)}" + (" for some g" if some else ""))
    return "\n".join(lines) + "\n"


# ---- generation ----------------------------------------------------------------------------


class Generate:
    """Random cases whose comparisons are affine in g (as the linear family needs)."""

    def __init__(self, rng: random.Random, divisions: bool = True):
        self.rng = rng
        self.divisions = divisions
        self.programs: list[Program] = []

    def number(self) -> Expr:
        return (
            "num",
            Fraction(self.rng.choice([0, 1, 2, 3, 5, -1, -2])) / self.rng.choice([1, 1, 2]),
        )

    def g_free(self, depth: int = 0) -> Expr:
        rng = self.rng
        roll = rng.random()
        if depth >= 2 or roll < 0.4:
            if self.programs and rng.random() < 0.25:
                return ("prog", rng.choice("ct"), rng.choice(self.programs).name)
            return ("atom", rng.choice(ATOMS)) if rng.random() < 0.8 else self.number()
        if roll < 0.65:
            return ("+", self.g_free(depth + 1), self.g_free(depth + 1))
        if roll < 0.8:
            return ("-", self.g_free(depth + 1), self.g_free(depth + 1))
        if roll < 0.9 or not self.divisions:
            return ("*", self.number(), self.g_free(depth + 1))
        return ("/", self.g_free(depth + 1), self.denominator())

    def denominator(self) -> Expr:
        rng = self.rng
        a, b = rng.sample(ATOMS, 2)
        return rng.choice(
            [("atom", a), ("-", ("atom", a), ("atom", b)), ("+", ("atom", a), self.number())]
        )

    def side(self, with_g: bool) -> Expr:
        e = self.g_free()
        if with_g and self.rng.random() < 0.5:
            factor = ("atom", self.rng.choice(ATOMS)) if self.rng.random() < 0.6 else self.number()
            e = ("+", e, ("*", ("g",), factor))
        return e

    def comparison(self, with_g: bool) -> Formula:
        if with_g and self.programs and self.rng.random() < 0.2:
            p, q = self.rng.choice(self.programs).name, self.rng.choice(self.programs).name
            return ("beats", p, q, self.rng.choice([None, None, "c", "t"]))
        return ("cmp", self.rng.choice(OPS), self.side(with_g), self.side(with_g))

    def formula(self, with_g: bool, depth: int = 0) -> Formula:
        roll = self.rng.random()
        if depth >= 2 or roll < 0.5:
            return self.comparison(with_g)
        if roll < 0.58:
            return ("not", self.formula(with_g, depth + 1))
        connective = self.rng.choice(["and", "or", "->", "<->"])
        return (connective, self.formula(with_g, depth + 1), self.formula(with_g, depth + 1))

    def program(self, index: int) -> Program:
        rng = self.rng
        program = Program(f"P{index}")
        if self.programs and rng.random() < 0.5:
            program.parent = rng.choice(self.programs).name
        if rng.random() < 0.25:
            saved, self.programs = self.programs, []
            program.c_formula = self.g_free(1)
            self.programs = saved
        else:
            program.stores = rng.sample(PRIMITIVES, rng.randint(1, 3))
        if rng.random() < 0.25:
            saved, self.programs = self.programs, []
            program.t_formula = self.g_free(1)
            self.programs = saved
        else:
            program.runs = Counter(rng.choices(PRIMITIVES, k=rng.randint(1, 3)))
        return program

    def case(self, claims: int = 8) -> Case:
        rng = self.rng
        nonneg = frozenset(p for p in PRIMITIVES if rng.random() < 0.15)
        self.programs = []
        for index in range(rng.randint(0, 3)):
            self.programs.append(self.program(index))
        assumptions: list[Formula] = []
        for _ in range(rng.randint(0, 3)):
            if rng.random() < 0.15:  # an assumption about g
                op = rng.choice([">", ">=", "<", "<="])
                bound = Fraction(rng.choice([1, 2, 3, 5])) / rng.choice([1, 2])
                assumptions.append(("cmp", op, ("g",), ("num", bound)))
            else:
                assumptions.append(("cmp", rng.choice(OPS[:4]), self.g_free(), self.g_free()))
        generated = [(self.formula(True), rng.random() < 0.25) for _ in range(claims)]
        return Case(nonneg, self.programs, assumptions, generated)


# ---- exact evaluation ----------------------------------------------------------------------

Point = dict[str, Fraction]


class Costs:
    """Program costs derived here: stores a set and runs a multiset through `extends`."""

    def __init__(self, programs: list[Program]):
        self.by_name = {p.name: p for p in programs}

    def _base(self, kind: str, name: str) -> tuple[Expr, Counter[str]]:
        """The formula inherited up the chain (or 0) and the parts stored or run since."""
        program = self.by_name[name]
        written = program.c_formula if kind == "c" else program.t_formula
        if written is not None:
            return written, Counter()
        base: Expr = ("num", Fraction(0))
        parts: Counter[str] = Counter()
        if program.parent is not None:
            base, parts = self._base(kind, program.parent)
        if kind == "c":
            return base, parts | Counter(set(program.stores))  # a set: union
        return base, parts + program.runs  # a multiset: sum

    def cost(self, kind: str, name: str) -> Expr:
        """c(P) or t(P) as a tree over atoms: stores a set and runs a multiset through
        `extends`, on top of an explicit formula given by the program or an ancestor."""
        base, parts = self._base(kind, name)
        if base[0] != "num" and parts == Counter() and self.by_name[name].parent is None:
            return base
        total = base
        for primitive, count in sorted(parts.items()):
            term: Expr = ("atom", f"{kind}({primitive})")
            total = ("+", total, term if count == 1 else ("*", ("num", Fraction(count)), term))
        return total


def value(e: Expr, point: Point, costs: Costs) -> Fraction:
    kind = e[0]
    if kind == "atom":
        return point[e[1]]
    if kind == "num":
        return e[1]  # type: ignore[no-any-return]
    if kind == "g":
        return point["g"]
    if kind == "prog":
        return value(costs.cost(e[1], e[2]), point, costs)
    left, right = value(e[1], point, costs), value(e[2], point, costs)
    if kind == "+":
        return left + right
    if kind == "-":
        return left - right
    if kind == "*":
        return left * right
    if right == 0:
        raise Undefined
    return left / right


def score(name: str, point: Point, costs: Costs, on: str | None) -> Fraction:
    """g·c + t, or only c (`on c`) or only t (`on t`): only what is compared is evaluated."""
    if on == "c":
        return value(costs.cost("c", name), point, costs)
    if on == "t":
        return value(costs.cost("t", name), point, costs)
    c = value(costs.cost("c", name), point, costs)
    return point["g"] * c + value(costs.cost("t", name), point, costs)


def holds(f: Formula, point: Point, costs: Costs) -> bool:
    """Truth at an exact point; raises Undefined where an evaluated division is by zero."""
    kind = f[0]
    if kind == "cmp":
        left, right = value(f[2], point, costs), value(f[3], point, costs)
        return {
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
            "=": left == right,
            "!=": left != right,
        }[f[1]]
    if kind == "beats":
        return score(f[1], point, costs, f[3]) < score(f[2], point, costs, f[3])
    if kind == "not":
        return not holds(f[1], point, costs)
    left_holds = holds(f[1], point, costs)
    if kind == "and":
        return left_holds and holds(f[2], point, costs)
    if kind == "or":
        return left_holds or holds(f[2], point, costs)
    if kind == "->":
        return (not left_holds) or holds(f[2], point, costs)
    return left_holds == holds(f[2], point, costs)


def defined_and_true(f: Formula, point: Point, costs: Costs) -> bool:
    try:
        return holds(f, point, costs)
    except Undefined:
        return False


def atoms_admissible(case: Case, point: Point, costs: Costs) -> bool:
    """Bounds and the assumptions that do not mention g."""
    for atom in ATOMS:
        primitive = atom[2:-1]
        if point[atom] < 0 or (point[atom] == 0 and primitive not in case.nonneg):
            return False
    return all(defined_and_true(a, point, costs) for a in case.assumptions if not mentions_g(a))


def g_admissible(case: Case, point: Point, costs: Costs) -> bool:
    return point["g"] > 0 and all(
        defined_and_true(a, point, costs) for a in case.assumptions if mentions_g(a)
    )


def g_candidates(case: Case, claim: Formula, point: Point, costs: Costs) -> list[Fraction]:
    """Every comparison is affine in g: its truth changes only at its root. The roots, a point
    between each two and beyond the last cover every behaviour of g > 0."""
    roots: set[Fraction] = set()
    for comparison in _comparisons(claim) + [a for a in case.assumptions if mentions_g(a)]:
        try:
            at0 = _difference(comparison, {**point, "g": Fraction(0)}, costs)
            at1 = _difference(comparison, {**point, "g": Fraction(1)}, costs)
        except Undefined:
            continue
        if at1 != at0 and -at0 / (at1 - at0) > 0:
            roots.add(-at0 / (at1 - at0))
    edges = sorted(roots)
    points = list(edges)
    bounds = [Fraction(0)] + edges + [(edges[-1] if edges else Fraction(0)) + 2]
    points += [(low + high) / 2 for low, high in itertools.pairwise(bounds)]
    return points


def _comparisons(f: Formula) -> list[Formula]:
    if f[0] in ("cmp", "beats"):
        return [f]
    if f[0] == "not":
        return _comparisons(f[1])
    return _comparisons(f[1]) + _comparisons(f[2])


def _difference(f: Formula, point: Point, costs: Costs) -> Fraction:
    if f[0] == "beats":
        return score(f[1], point, costs, f[3]) - score(f[2], point, costs, f[3])
    return value(f[2], point, costs) - value(f[3], point, costs)


def some_g(case: Case, claim: Formula, point: Point, costs: Costs) -> bool:
    return any(
        g_admissible(case, {**point, "g": g}, costs)
        and defined_and_true(claim, {**point, "g": g}, costs)
        for g in g_candidates(case, claim, point, costs)
    )


def refutes(case: Case, claim: Formula, some: bool, point: Point, costs: Costs) -> bool:
    """Does this exact point refute the claim (or show it ill-defined, for a `proved`)?"""
    if not atoms_admissible(case, point, costs):
        return False
    if some:
        return not some_g(case, claim, point, costs)
    if not g_admissible(case, point, costs):
        return False
    try:
        return not holds(claim, point, costs)
    except Undefined:
        return True


GRID = [Fraction(v) for v in (1, 2, 3)] + [Fraction(1, 2)]


def grid_search(
    case: Case, claim: Formula, some: bool, costs: Costs, rng: random.Random, tries: int
) -> Point | None:
    """Random points of a small rational grid (0 too where allowed): one that refutes, or None."""
    for _ in range(tries):
        point = {
            atom: rng.choice(GRID + ([Fraction(0)] if atom[2:-1] in case.nonneg else []))
            for atom in ATOMS
        }
        point["g"] = rng.choice(GRID + [Fraction(5), Fraction(1, 3)])
        if refutes(case, claim, some, point, costs):
            return point
    return None


# ---- z3, encoded here ----------------------------------------------------------------------


class Encoding:
    """z3 terms for the trees; each division is a fresh q with den ≠ 0 → q·den = num."""

    def __init__(self, costs: Costs, context: z3.Context):
        self.costs = costs
        self.context = context
        self.atoms = {a: z3.Real(a, context) for a in ATOMS}
        self.side: list[z3.BoolRef] = []
        self.count = 0
        # Under a quantifier, plain z3 division (fresh variables would need their own ∃).
        self.direct = False

    def term(self, e: Expr, g: z3.ArithRef) -> z3.ArithRef:
        kind = e[0]
        if kind == "atom":
            return self.atoms[e[1]]
        if kind == "num":
            return z3.RealVal(str(e[1]), self.context)
        if kind == "g":
            return g
        if kind == "prog":
            return self.term(self.costs.cost(e[1], e[2]), g)
        left, right = self.term(e[1], g), self.term(e[2], g)
        if kind == "+":
            return left + right
        if kind == "-":
            return left - right
        if kind == "*":
            return left * right
        if self.direct:
            return left / right
        self.count += 1
        quotient = z3.Real(f"q{self.count}", self.context)
        self.side.append(z3.Implies(right != 0, quotient * right == left))
        return quotient

    def formula(self, f: Formula, g: z3.ArithRef) -> z3.BoolRef:
        kind = f[0]
        if kind == "cmp":
            left, right = self.term(f[2], g), self.term(f[3], g)
            return {
                "<": left < right,
                "<=": left <= right,
                ">": left > right,
                ">=": left >= right,
                "=": left == right,
                "!=": left != right,
            }[f[1]]
        if kind == "beats":
            c = {p: self.term(self.costs.cost("c", p), g) for p in f[1:3]}
            t = {p: self.term(self.costs.cost("t", p), g) for p in f[1:3]}
            if f[3] == "c":
                return c[f[1]] < c[f[2]]  # type: ignore[no-any-return]
            if f[3] == "t":
                return t[f[1]] < t[f[2]]  # type: ignore[no-any-return]
            return g * c[f[1]] + t[f[1]] < g * c[f[2]] + t[f[2]]  # type: ignore[no-any-return]
        if kind == "not":
            return z3.Not(self.formula(f[1], g))
        left, right = self.formula(f[1], g), self.formula(f[2], g)
        if kind == "and":
            return z3.And(left, right)
        if kind == "or":
            return z3.Or(left, right)
        if kind == "->":
            return z3.Implies(left, right)
        return left == right

    def defined(self, node: Any, g: z3.ArithRef) -> z3.BoolRef:
        """Dafny's well-definedness predicate, with short-circuit guards."""
        true = z3.BoolVal(True, self.context)
        if not isinstance(node, tuple):
            return true
        kind = node[0]
        if kind in ("atom", "num", "g"):
            return true
        if kind == "prog":
            return self.defined(self.costs.cost(node[1], node[2]), g)
        if kind == "beats":
            kinds = node[3] or "ct"
            parts = [self.defined(self.costs.cost(k, p), g) for k in kinds for p in node[1:3]]
            return z3.And(parts)
        if kind == "cmp":
            return z3.And(self.defined(node[2], g), self.defined(node[3], g))
        if kind == "not":
            return self.defined(node[1], g)
        if kind in ("+", "-", "*"):
            return z3.And(self.defined(node[1], g), self.defined(node[2], g))
        if kind == "/":
            return z3.And(
                self.defined(node[1], g), self.defined(node[2], g), self.term(node[2], g) != 0
            )
        left = self.formula(node[1], g)
        if kind in ("and", "->"):
            return z3.And(self.defined(node[1], g), z3.Implies(left, self.defined(node[2], g)))
        if kind == "or":
            return z3.And(self.defined(node[1], g), z3.Or(left, self.defined(node[2], g)))
        return z3.And(self.defined(node[1], g), self.defined(node[2], g))


def z3_refutation(
    case: Case, claim: Formula, some: bool, costs: Costs, timeout_ms: int = 5000
) -> tuple[str, Point | None]:
    """('valid', None), ('refuted', point) or ('unknown', None): z3 on this file's encoding."""
    context = z3.Context()
    encoding = Encoding(costs, context)
    solver = z3.Solver(ctx=context)
    solver.set("timeout", timeout_ms)
    g = z3.Real("g", context)
    for atom, variable in encoding.atoms.items():
        solver.add(variable >= 0 if atom[2:-1] in case.nonneg else variable > 0)
    for assumption in case.assumptions:
        if not mentions_g(assumption):
            solver.add(encoding.defined(assumption, g), encoding.formula(assumption, g))
    g_assumptions = [a for a in case.assumptions if mentions_g(a)]
    if some:
        h = z3.Real("h", context)
        inner = Encoding(costs, context)
        inner.atoms = encoding.atoms
        inner.direct = True
        body = z3.And(
            [h > 0]
            + [z3.And(inner.defined(a, h), inner.formula(a, h)) for a in g_assumptions]
            + [inner.defined(claim, h), inner.formula(claim, h)]
        )
        solver.add(z3.ForAll([h], z3.Not(body)))
    else:
        solver.add(g > 0)
        for assumption in g_assumptions:
            solver.add(encoding.defined(assumption, g), encoding.formula(assumption, g))
        # Not (defined and true): a point where it is false, or where it is not defined.
        solver.add(z3.Not(z3.And(encoding.defined(claim, g), encoding.formula(claim, g))))
    solver.add(*encoding.side)
    result = solver.check()
    if result == z3.unsat:
        return "valid", None
    if result != z3.sat:
        return "unknown", None
    model = solver.model()
    point: Point = {}
    for atom, variable in [*encoding.atoms.items(), ("g", g)]:
        number = model.eval(variable, model_completion=True)
        if not z3.is_rational_value(number):
            return "unknown", None
        point[atom] = Fraction(number.numerator_as_long(), number.denominator_as_long())
    return "refuted", point


# ---- judging the tool's verdicts -----------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    status: str  # the tool's verdict
    wrong: bool
    detail: str = ""


def judge(
    case: Case,
    index: int,
    verdict: Any,
    rng: random.Random,
    tries: int = 60,
    use_z3: bool = True,
) -> Judgement:
    """Judge the tool's verdict on claim `index` of `case`."""
    claim, some = case.claims[index]
    costs = Costs(case.programs)
    status = verdict.status
    if status == "refuted":
        values = dict(verdict.assignment)
        point = {atom: Fraction(values.get(atom, 1)) for atom in ATOMS}
        point["g"] = Fraction(values.get("g", 1))
        if refutes(case, claim, some, point, costs):
            return Judgement(status, False)
        return Judgement(status, True, f"the counterexample {point} does not refute it")
    if status != "proved":
        return Judgement(status, False)
    found = grid_search(case, claim, some, costs, rng, tries)
    if found is not None:
        return Judgement(status, True, f"refuted (or undefined) at {found}")
    if use_z3:
        outcome, point = z3_refutation(case, claim, some, costs)
        if outcome == "refuted" and point is not None and refutes(case, claim, some, point, costs):
            return Judgement(status, True, f"z3 (here) refutes it at {point}")
    return Judgement(status, False)
