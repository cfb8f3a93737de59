"""QEPCAD B as an exact peer for dominance ranges: builds its input, runs it, reads the answer.

QEPCAD B decides real quantifier elimination by cylindrical algebraic decomposition. Given
"P beats every rival" quantified over the cost atoms, with g free, it returns an equivalent
formula in g alone, which is turned into intervals with the exact g-axis arithmetic of
`calculus.dominance.axis`. It serves as the fallback for non-linear models and as an independent
check of the linear elimination.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.logic import boolalg

from calculus.dominance import axis
from calculus.dominance.axis import GPoly, Piece, RealPoint
from calculus.dominance.records import Findings, Unanswered
from calculus.dominance.thresholds import unsigned_thresholds

__all__ = ["QepcadError", "available", "solve", "findings", "program_ranges", "pieces"]

_CELLS = 5_000_000  # QEPCAD's garbage-collected space to start with; quadrupled when short


class QepcadError(Unanswered):
    """QEPCAD could not answer: not installed, timed out, or printed no formula."""


def available() -> bool:
    return shutil.which("qepcad") is not None


# ---------------------------------------------------------------------------
# Writing QEPCAD's input


def _polynomial(expression: sympy.Expr, names: Mapping[sympy.Symbol, str]) -> str:
    """An integer-coefficient polynomial in QEPCAD's syntax (juxtaposition multiplies)."""
    symbols = list(names)
    poly = sympy.Poly(expression, *symbols) if symbols else sympy.Poly(expression, sympy.Dummy())
    terms = []
    for monomial, coefficient in poly.terms():
        factors = [
            f"{names[s]}^{e}" if e > 1 else names[s]
            for s, e in zip(symbols, monomial, strict=False)
            if e
        ]
        magnitude = abs(int(coefficient))
        body = " ".join(([str(magnitude)] if magnitude != 1 or not factors else []) + factors)
        terms.append(("- " if coefficient < 0 else "+ ") + body)
    if not terms:
        return "0"
    text = " ".join(terms)
    return text[2:] if text.startswith("+ ") else "-" + text[1:]


def _comparison(
    lhs: sympy.Expr, rhs: sympy.Expr, relation: str, names: Mapping[sympy.Symbol, str]
) -> str:
    """lhs (relation) rhs with denominators cleared: n/d R 0  <=>  n*d R 0 and d /= 0."""
    numerator, denominator = sympy.fraction(sympy.together(sympy.expand(lhs - rhs)))
    numerator, denominator = sympy.expand(numerator), sympy.expand(denominator)
    if not (numerator.is_polynomial(*names) and denominator.is_polynomial(*names)):
        raise QepcadError(f"{lhs - rhs} is not a rational function of the atoms")
    scale = sympy.Integer(1)
    for expression in (numerator, denominator):
        for coefficient in sympy.Poly(expression, *names).coeffs() if names else [expression]:
            scale = sympy.ilcm(scale, sympy.Rational(coefficient).q)
    if denominator.is_number:
        body = sympy.expand(numerator * scale * sympy.sign(denominator))
        return f"{_polynomial(body, names)} {relation} 0"
    body = sympy.expand(numerator * denominator * scale * scale)
    guard = _polynomial(sympy.expand(denominator * scale), names)
    return f"[ {_polynomial(body, names)} {relation} 0 /\\ {guard} /= 0 ]"


_RELATIONS = {
    sympy.StrictLessThan: "<",
    sympy.LessThan: "<=",
    sympy.StrictGreaterThan: ">",
    sympy.GreaterThan: ">=",
    sympy.Equality: "=",
    sympy.Unequality: "/=",
}


def _formula(formula: sympy.Basic, names: Mapping[sympy.Symbol, str]) -> str:
    if formula is sympy.true:
        return "0 = 0"
    if formula is sympy.false:
        return "0 = 1"
    for kind, relation in _RELATIONS.items():
        if isinstance(formula, kind):
            return _comparison(formula.lhs, formula.rhs, relation, names)  # type: ignore[attr-defined]
    if isinstance(formula, boolalg.And):
        return "[ " + " /\\ ".join(_formula(a, names) for a in formula.args) + " ]"
    if isinstance(formula, boolalg.Or):
        return "[ " + " \\/ ".join(_formula(a, names) for a in formula.args) + " ]"
    if isinstance(formula, boolalg.Not):
        return "~ [ " + _formula(formula.args[0], names) + " ]"
    if isinstance(formula, boolalg.Implies):
        return f"[ {_formula(formula.args[0], names)} ==> {_formula(formula.args[1], names)} ]"
    if isinstance(formula, boolalg.Equivalent) and len(formula.args) == 2:
        return f"[ {_formula(formula.args[0], names)} <==> {_formula(formula.args[1], names)} ]"
    raise QepcadError(f"cannot write {formula} for QEPCAD")


@dataclass(frozen=True)
class Problem:
    """One question for QEPCAD: with g free, do all `goals` (each `g*dc + dt > 0`) hold for all
    (quantifier "A") or for some ("E") values of `atoms` satisfying `admissible`?"""

    atoms: tuple[sympy.Symbol, ...]  # in QEPCAD's order: eliminated last first
    admissible: tuple[sympy.Basic, ...]
    goals: tuple[tuple[sympy.Expr, sympy.Expr], ...]  # (dc, dt) per rival
    quantifier: str


def _connected(
    assumptions: list[sympy.Basic], seeds: set[sympy.Symbol]
) -> tuple[list[sympy.Basic], set[sympy.Symbol]]:
    """The assumptions linked to the seed atoms through shared atoms, and all their atoms."""
    atoms = set(seeds)
    chosen: list[sympy.Basic] = []
    rest = list(assumptions)
    changed = True
    while changed:
        changed = False
        for assumption in list(rest):
            if assumption.free_symbols & atoms:
                chosen.append(assumption)
                atoms |= assumption.free_symbols
                rest.remove(assumption)
                changed = True
    return chosen, atoms


def problem(
    goals: list[tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    quantifier: str,
) -> Problem:
    """Set up a question with the reductions that keep QEPCAD's variable count small, each of
    which leaves the set of g unchanged:

    * only atoms in some difference, or tied to one through assumptions, are quantified (the
      others can always meet their bounds; the assumptions about them alone are checked for
      satisfiability separately, see `ranges`);
    * atoms in no assumption that enter every difference linearly with positively parallel
      coefficients are one atom: a sum of positive (non-negative) atoms takes exactly the
      values of one positive (non-negative) atom;
    * for "some costs" (quantifier E) an atom in no assumption whose coefficients g*a + b in
      the goals all have a, b <= 0 is best taken to 0 (the goals are strict, so a limit at 0
      is as good as a positive value), and one whose coefficients all have a, b >= 0 is best
      taken to +oo, which satisfies every goal it enters: those goals are dropped;
    * atoms multiplied by g come first in the order, so QEPCAD eliminates the others first.
    """
    goals = [(sympy.expand(dc), sympy.expand(dt)) for dc, dt in goals]
    if quantifier == "E":
        goals = _drop_one_signed_atoms(goals, assumptions, bounds)
    seeds = {s for dc, dt in goals for s in (dc.free_symbols | dt.free_symbols)}
    chosen, atoms = _connected(assumptions, seeds)
    in_assumptions = {s for a in chosen for s in a.free_symbols}
    coefficient_maps = [e.as_coefficients_dict() for pair in goals for e in pair]
    linear_only = {
        atom
        for atom in seeds - in_assumptions
        if all(
            all(term == atom or atom not in sympy.sympify(term).free_symbols for term in terms)
            for terms in coefficient_maps
        )
    }
    groups: dict[tuple[Fraction, ...], list[sympy.Symbol]] = {}
    for atom in sorted(linear_only, key=lambda s: s.name):
        signature = [Fraction(str(terms.get(atom, 0))) for terms in coefficient_maps]
        scale = abs(next(v for v in signature if v))
        groups.setdefault(tuple(v / scale for v in signature), []).append(atom)
    merged_bounds = dict(bounds)
    replacements: dict[sympy.Symbol, sympy.Expr] = {}
    for number, members in enumerate(groups.values()):
        if len(members) == 1:
            continue
        kinds = {bounds.get(m) for m in members}
        fresh = sympy.Symbol(f"merged{number}_{members[0].name}", real=True)
        # every member keeps its own coefficient; the group's weighted sum becomes `fresh`
        if None not in kinds:
            merged_bounds[fresh] = "positive" if "positive" in kinds else "nonneg"
        # The members' coefficients are positive multiples of one signature, so their
        # weighted sum ranges over the same set as one atom of the merged bound.
        replacements[members[0]] = fresh
        for member in members[1:]:
            replacements[member] = sympy.Integer(0)
        atoms -= set(members)
        atoms.add(fresh)
    if replacements:
        goals = [
            (sympy.expand(dc.xreplace(replacements)), sympy.expand(dt.xreplace(replacements)))
            for dc, dt in goals
        ]
    multiplied = {s for dc, _ in goals for s in dc.free_symbols}
    order = sorted(atoms, key=lambda s: (s not in multiplied, s.name))
    admissible = list(chosen) + [
        atom > 0 if merged_bounds[atom] == "positive" else atom >= 0
        for atom in order
        if atom in merged_bounds
    ]
    return Problem(tuple(order), tuple(admissible), tuple(goals), quantifier)


def _drop_one_signed_atoms(
    goals: list[tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
) -> list[tuple[sympy.Expr, sympy.Expr]]:
    in_assumptions = {s for a in assumptions for s in a.free_symbols}
    changed = True
    while changed:
        changed = False
        maps = [(dc.as_coefficients_dict(), dt.as_coefficients_dict()) for dc, dt in goals]
        atoms = {s for dc, dt in goals for s in dc.free_symbols | dt.free_symbols}
        for atom in sorted(atoms - in_assumptions, key=lambda s: s.name):
            if atom not in bounds:
                continue
            if any(
                atom in sympy.sympify(term).free_symbols and term != atom
                for pair in maps
                for terms in pair
                for term in terms
            ):
                continue  # not linear
            signs = {
                (_sign_of(dc_map.get(atom, 0)), _sign_of(dt_map.get(atom, 0)))
                for dc_map, dt_map in maps
            }
            flat = {value for pair in signs for value in pair}
            if flat <= {0, -1}:
                goals = [(dc.xreplace({atom: 0}), dt.xreplace({atom: 0})) for dc, dt in goals]
            elif flat <= {0, 1}:
                goals = [
                    (dc, dt) for dc, dt in goals if atom not in (dc.free_symbols | dt.free_symbols)
                ]
            else:
                continue
            changed = True
            break
    return goals


def _sign_of(value: object) -> int:
    number = sympy.sympify(value)
    return int(sympy.sign(number))


def text(question: Problem, title: str = "dominance") -> str:
    """The QEPCAD input for a question."""
    g = sympy.Symbol("g", positive=True)
    names: dict[sympy.Symbol, str] = {g: "g"}
    names.update({atom: f"x{n}" for n, atom in enumerate(question.atoms)})
    renamed = {atom: sympy.Symbol(names[atom], real=True) for atom in question.atoms}
    goals = [g * dc.xreplace(renamed) + dt.xreplace(renamed) > 0 for dc, dt in question.goals]
    plain = {renamed[a]: names[a] for a in question.atoms}
    plain[g] = "g"
    admissible = sympy.And(*[a.xreplace(renamed) for a in question.admissible])
    admissible_text = _formula(admissible, plain)
    goal_text = _formula(sympy.And(*goals), plain)
    prefix = "".join(f"({question.quantifier} {names[a]})" for a in question.atoms)
    connective = "==>" if question.quantifier == "A" else "/\\"
    variables = ",".join(["g"] + [names[a] for a in question.atoms])
    return (
        f"[ {title} ]\n({variables})\n1\n"
        f"{prefix}[ {admissible_text} {connective} {goal_text} ].\n"
        "assume [ g > 0 ]\ngo\ngo\ngo\nfinish\n"
    )


# ---------------------------------------------------------------------------
# Running QEPCAD


def solve(text: str, timeout: float = 60.0) -> str:
    """Run QEPCAD on an input text; the quantifier-free formula it prints."""
    if not available():
        raise QepcadError("qepcad is not installed")
    cells = _CELLS
    started = time.monotonic()
    for _ in range(3):
        try:
            done = subprocess.run(
                ["qepcad", "-noecho", f"+N{cells}", "-t", str(max(1, math.ceil(timeout)))],
                input=text,
                capture_output=True,
                text=True,
                timeout=timeout + 5,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise QepcadError(f"qepcad timed out after {timeout:g} s") from error
        output = done.stdout + done.stderr
        if "An equivalent quantifier-free formula:" in output:
            body = output.split("An equivalent quantifier-free formula:", 1)[1]
            return body.split("=====================  The End", 1)[0].strip()
        if "Too few cells" in output or "cells reclaimed" in output.lower():
            cells *= 4
            continue
        break
    if time.monotonic() - started >= timeout - 0.5:
        raise QepcadError(f"qepcad timed out after {timeout:g} s")
    tail = " ".join(output.strip().splitlines()[-3:])
    raise QepcadError(f"qepcad printed no formula: {tail[-300:]}")


# ---------------------------------------------------------------------------
# Reading QEPCAD's answer: a Tarski formula in g, possibly with _root_ atoms


@dataclass(frozen=True)
class _Atom:
    poly: GPoly
    relation: str
    root: int | None = None  # g (relation) the root-th real root of poly, when set


_Tree = tuple  # ("and"|"or", [trees]) | ("not", tree) | ("atom", _Atom) | ("const", bool)

_TOKEN = re.compile(
    r"\s*(_root_\d+|/\\|\\/|==>|<==>|<==|/=|<=|>=|[<>=~\[\]()+\-^]|\d+|[A-Za-z]\w*)"
)


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise QepcadError(f"cannot read qepcad output at: {text[position : position + 40]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise QepcadError(f"unexpected {token!r} in qepcad output, wanted {expected!r}")
        self.position += 1
        return token

    def formula(self) -> _Tree:
        left = self.conjunction()
        parts = [left]
        while self.peek() == "\\/":
            self.take()
            parts.append(self.conjunction())
        return ("or", parts) if len(parts) > 1 else left

    def conjunction(self) -> _Tree:
        parts = [self.unary()]
        while self.peek() == "/\\":
            self.take()
            parts.append(self.unary())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def unary(self) -> _Tree:
        token = self.peek()
        if token == "~":
            self.take()
            return ("not", self.unary())
        if token == "[":
            self.take()
            inner = self.formula()
            self.take("]")
            return inner
        if token == "TRUE":
            self.take()
            return ("const", True)
        if token == "FALSE":
            self.take()
            return ("const", False)
        return ("atom", self.atom())

    def atom(self) -> _Atom:
        left = self.polynomial()
        relation = self.take()
        if relation not in ("<", ">", "<=", ">=", "=", "/="):
            raise QepcadError(f"unexpected relation {relation!r} in qepcad output")
        if self.peek() is not None and self.peek().startswith("_root_"):  # type: ignore[union-attr]
            index = int(self.take()[len("_root_") :])
            poly = self.polynomial()
            if left != (Fraction(0), Fraction(1)):
                raise QepcadError("a _root_ atom not of the form g R _root_k p")
            return _Atom(poly, relation, index)
        right = self.polynomial()
        return _Atom(axis.poly_add(left, axis.poly_scale(right, Fraction(-1))), relation)

    def polynomial(self) -> GPoly:
        total: GPoly = ()
        sign = Fraction(1)
        if self.peek() in ("+", "-"):
            sign = Fraction(-1) if self.take() == "-" else Fraction(1)
        while True:
            total = axis.poly_add(total, axis.poly_scale(self.term(), sign))
            if self.peek() in ("+", "-"):
                sign = Fraction(-1) if self.take() == "-" else Fraction(1)
                continue
            return total

    def term(self) -> GPoly:
        result: GPoly = (Fraction(1),)
        seen = False
        while True:
            token = self.peek()
            if token is not None and token.isdigit():
                factor: GPoly = axis.poly_constant(int(self.take()))
            elif token == "g":
                self.take()
                factor = (Fraction(0), Fraction(1))
            elif token == "(":
                self.take()
                factor = self.polynomial()
                self.take(")")
            else:
                break
            if self.peek() == "^":
                self.take()
                power = int(self.take())
                base, factor = factor, (Fraction(1),)
                for _ in range(power):
                    factor = axis.poly_mul(factor, base)
            result = axis.poly_mul(result, factor)
            seen = True
        if not seen:
            raise QepcadError(f"expected a term in qepcad output at {self.peek()!r}")
        return result


def _atoms(tree: _Tree) -> list[_Atom]:
    kind = tree[0]
    if kind == "atom":
        return [tree[1]]
    if kind == "not":
        return _atoms(tree[1])
    if kind in ("and", "or"):
        return [atom for part in tree[1] for atom in _atoms(part)]
    return []


def _holds(atom: _Atom, cell: axis.Cell) -> bool:
    if atom.root is None:
        sign = axis.sign_on(atom.poly, cell)
    else:
        roots = axis.real_roots(atom.poly)
        if atom.root > len(roots):
            raise QepcadError(f"_root_{atom.root} of a polynomial with {len(roots)} real roots")
        point = roots[atom.root - 1]
        sign = axis.compare(cell.sample, point) if not cell.point else axis.compare(cell.lo, point)
    return {
        "<": sign < 0,
        ">": sign > 0,
        "<=": sign <= 0,
        ">=": sign >= 0,
        "=": sign == 0,
        "/=": sign != 0,
    }[atom.relation]


def _evaluate(tree: _Tree, cell: axis.Cell) -> bool:
    kind = tree[0]
    if kind == "const":
        return bool(tree[1])
    if kind == "atom":
        return _holds(tree[1], cell)
    if kind == "not":
        return not _evaluate(tree[1], cell)
    if kind == "and":
        return all(_evaluate(part, cell) for part in tree[1])
    return any(_evaluate(part, cell) for part in tree[1])


def pieces(text: str) -> list[Piece]:
    """The set of g > 0 satisfying QEPCAD's formula, as sorted disjoint pieces with exact ends."""
    tree = _Reader(text).formula()
    points: list[RealPoint] = []
    positive = axis.Cell(Fraction(0), None, False)
    for atom in _atoms(tree):
        if atom.root is None:
            points.extend(axis.roots_inside(atom.poly, positive))
        else:
            roots = axis.real_roots(atom.poly)
            if 0 < atom.root <= len(roots) and axis.compare(roots[atom.root - 1], Fraction(0)) > 0:
                points.append(roots[atom.root - 1])
    return axis.union(cell for cell in axis.split(positive, points) if _evaluate(tree, cell))


# ---------------------------------------------------------------------------
# Ranges through QEPCAD


def _answer(question: Problem, timeout: float) -> list[Piece]:
    return pieces(solve(text(question), timeout))


def _differences(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]], program: str, rival: str
) -> tuple[sympy.Expr, sympy.Expr]:
    """(c(Q)-c(P), t(Q)-t(P)): P beats Q  <=>  g*(c(Q)-c(P)) + t(Q)-t(P) > 0."""
    mine, theirs = costs[program], costs[rival]
    return sympy.expand(theirs[0] - mine[0]), sympy.expand(theirs[1] - mine[1])


def program_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    program: str,
    timeout: float = 60.0,
) -> tuple[list[Piece], list[Piece]]:
    """Robust and possible ranges of one program. Robust is asked rival by rival (for-all
    distributes over and) and intersected; possible needs every rival beaten by the same
    costs, so it is one question."""
    deadline = time.monotonic() + timeout
    rivals = [other for other in costs if other != program]
    robust: list[Piece] = [axis.POSITIVE_AXIS]
    for rival in rivals:
        question = problem([_differences(costs, program, rival)], assumptions, bounds, "A")
        answer = _answer(question, max(deadline - time.monotonic(), 0.5))
        robust = axis.intersection(robust, answer)
    goals = [_differences(costs, program, rival) for rival in rivals]
    question = problem(goals, assumptions, bounds, "E")
    if not question.goals:  # every rival can be outrun by some atom; assumptions are satisfiable
        return robust, [axis.POSITIVE_AXIS]
    return robust, _answer(question, max(deadline - time.monotonic(), 0.5))


def satisfiable(
    assumptions: list[sympy.Basic], bounds: Mapping[sympy.Symbol, str], timeout: float = 60.0
) -> bool:
    """Whether some atoms within their bounds satisfy every assumption."""
    atoms = sorted({s for a in assumptions for s in a.free_symbols}, key=lambda s: s.name)
    if not atoms:
        return all(bool(a) for a in assumptions)
    admissible = list(assumptions) + [
        atom > 0 if bounds[atom] == "positive" else atom >= 0 for atom in atoms if atom in bounds
    ]
    question = Problem(tuple(atoms), tuple(admissible), (), "E")
    return bool(_answer(question, timeout))


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
) -> Findings:
    """Every program's ranges through QEPCAD, with thresholds whose sign cases stay open.
    Raises QepcadError (an `Unanswered`) when QEPCAD is missing, fails or runs out of time."""
    names = tuple(costs)
    deadline = time.monotonic() + timeout
    thresholds = {name: unsigned_thresholds(name, names, costs) for name in names}
    try:
        if not satisfiable(list(assumptions), bounds, timeout):
            everywhere = [axis.POSITIVE_AXIS]
            return Findings({name: (everywhere, []) for name in names}, thresholds, False)
        ranges: dict[str, tuple[list[Piece], list[Piece]]] = {}
        for name in names:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QepcadError(f"qepcad timed out after {timeout:g} s")
            ranges[name] = program_ranges(costs, assumptions, bounds, name, remaining)
    except QepcadError as error:
        if "timed out" in str(error):
            raise QepcadError(f"qepcad did not finish within {timeout:g} s") from error
        raise
    return Findings(ranges, thresholds, True)
