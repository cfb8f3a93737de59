"""QEPCAD B as an exact peer for dominance ranges: builds its input, runs it, reads the answer.

QEPCAD B decides real quantifier elimination by cylindrical algebraic decomposition. Given
"P beats every rival" quantified over the cost atoms, with g free, it returns an equivalent
formula in g alone, which is turned into intervals with the exact g-axis arithmetic of
`calculus.dominance`. It serves as the fallback for non-linear models and as an independent
check of the linear elimination.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.logic import boolalg

from calculus import dominance
from calculus.dominance import (
    GPoly,
    Interval,
    RangeRow,
    RangesResult,
    RealPoint,
)

__all__ = ["QepcadError", "available", "install", "solve", "ranges", "program_ranges"]

_CELLS = 20_000_000  # QEPCAD's garbage-collected space; the default 2,000,000 is too small


class QepcadError(Exception):
    """QEPCAD could not answer: not installed, timed out, or printed no formula."""


def available() -> bool:
    return shutil.which("qepcad") is not None


def install() -> bool:
    """Install the Debian package `qepcad` if missing (needs root and apt); True if present."""
    if available():
        return True
    if shutil.which("apt-get") is None:
        return False
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(
        ["apt-get", "install", "-y", "qepcad"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return available()


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


def query(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    program: str,
    reading: str,
) -> str:
    """QEPCAD input deciding, with g free, whether `program` beats every rival for all
    (reading "robust") or for some (reading "possible") admissible costs.

    Only atoms that occur in a difference of costs or in an assumption are quantified: the
    others cancel out of every comparison and their bounds can always be met.
    """
    g = sympy.Symbol("g", positive=True)
    mine = costs[program]
    beats = [
        g * mine[0] + mine[1] < g * theirs[0] + theirs[1]
        for other, theirs in costs.items()
        if other != program
    ]
    relevant: set[sympy.Symbol] = set()
    for other, theirs in costs.items():
        if other != program:
            relevant |= sympy.expand(theirs[0] - mine[0]).free_symbols
            relevant |= sympy.expand(theirs[1] - mine[1]).free_symbols
    for assumption in assumptions:
        relevant |= assumption.free_symbols
    atoms = sorted(relevant - {g}, key=lambda s: s.name)
    names: dict[sympy.Symbol, str] = {g: "g"}
    names.update({atom: f"x{n}" for n, atom in enumerate(atoms)})
    admissible = list(assumptions) + [
        atom > 0 if bounds.get(atom, "positive") == "positive" else atom >= 0
        for atom in atoms
        if atom in bounds
    ]
    admissible_text = _formula(sympy.And(*admissible), names) if admissible else "0 = 0"
    goal = _formula(sympy.And(*beats), names) if beats else "0 = 0"
    quantifier = "A" if reading == "robust" else "E"
    prefix = "".join(f"({quantifier} {names[a]})" for a in atoms)
    connective = "==>" if reading == "robust" else "/\\"
    variables = ",".join(names[s] for s in [g] + atoms)
    return (
        f"[ {program} {reading} ]\n({variables})\n1\n"
        f"{prefix}[ {admissible_text} {connective} {goal} ].\n"
        "assume [ g > 0 ]\ngo\ngo\ngo\nfinish\n"
    )


# ---------------------------------------------------------------------------
# Running QEPCAD


def solve(text: str, timeout: float = 60.0) -> str:
    """Run QEPCAD on an input text; the quantifier-free formula it prints."""
    if not available():
        raise QepcadError("qepcad is not installed")
    cells = _CELLS
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
        output = done.stdout
        if "An equivalent quantifier-free formula:" in output:
            body = output.split("An equivalent quantifier-free formula:", 1)[1]
            return body.split("=====================  The End", 1)[0].strip()
        if "Too few cells" in output or "cells reclaimed" in output.lower():
            cells *= 4
            continue
        break
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
        return _Atom(
            dominance._poly_add(left, dominance._poly_scale(right, Fraction(-1))), relation
        )

    def polynomial(self) -> GPoly:
        total: GPoly = ()
        sign = Fraction(1)
        if self.peek() in ("+", "-"):
            sign = Fraction(-1) if self.take() == "-" else Fraction(1)
        while True:
            total = dominance._poly_add(total, dominance._poly_scale(self.term(), sign))
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
                factor: GPoly = dominance._poly_constant(int(self.take()))
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
                    factor = dominance._poly_mul(factor, base)
            result = dominance._poly_mul(result, factor)
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


def _holds(atom: _Atom, cell: dominance._Cell) -> bool:
    if atom.root is None:
        sign = dominance._sign_on(atom.poly, cell)
    else:
        roots = dominance._real_roots(atom.poly)
        if atom.root > len(roots):
            raise QepcadError(f"_root_{atom.root} of a polynomial with {len(roots)} real roots")
        point = roots[atom.root - 1]
        sign = (
            dominance._compare(cell.sample(), point)
            if not cell.point
            else dominance._compare(cell.lo, point)
        )
    return {
        "<": sign < 0,
        ">": sign > 0,
        "<=": sign <= 0,
        ">=": sign >= 0,
        "=": sign == 0,
        "/=": sign != 0,
    }[atom.relation]


def _evaluate(tree: _Tree, cell: dominance._Cell) -> bool:
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


def intervals(text: str) -> tuple[Interval, ...] | str:
    """The set of g > 0 satisfying QEPCAD's formula, as exact intervals, or a description of
    an irrational end when one occurs."""
    tree = _Reader(text).formula()
    points: list[RealPoint] = []
    axis = dominance._Cell(Fraction(0), None, False)
    for atom in _atoms(tree):
        if atom.root is None:
            points.extend(dominance._roots_inside(atom.poly, axis))
        else:
            roots = dominance._real_roots(atom.poly)
            if (
                0 < atom.root <= len(roots)
                and dominance._compare(roots[atom.root - 1], Fraction(0)) > 0
            ):
                points.append(roots[atom.root - 1])
    cells = [cell for cell in dominance._split(axis, points) if _evaluate(tree, cell)]
    pieces = dominance._union(cells)
    result = []
    for piece in pieces:
        interval = dominance._interval(piece)
        if interval is None:
            ends = [e for e in (piece.lo, piece.hi) if isinstance(e, dominance.Algebraic)]
            return "irrational end: " + dominance._describe_point(ends[0])
        result.append(interval)
    return tuple(result)


# ---------------------------------------------------------------------------
# Ranges through QEPCAD


def program_ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    program: str,
    timeout: float = 60.0,
) -> tuple[tuple[Interval, ...] | str, tuple[Interval, ...] | str]:
    """Robust and possible ranges of one program, each as intervals or a reason string."""
    answers = []
    for reading in ("robust", "possible"):
        answers.append(
            intervals(solve(query(costs, assumptions, bounds, program, reading), timeout))
        )
    return answers[0], answers[1]


def ranges(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
    fallback_reason: str | None = None,
) -> RangesResult:
    """All rows through QEPCAD, with the pairwise thresholds of `calculus.dominance`."""
    names = tuple(costs)
    deadline = time.monotonic() + timeout
    rows = []
    problems = []
    for name in names:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise QepcadError(f"qepcad timed out after {timeout:g} s")
            robust, possible = program_ranges(costs, assumptions, bounds, name, remaining)
        except QepcadError as error:
            empty = tuple(RangeRow(n, (), (), ()) for n in names)
            return RangesResult(
                names, None, empty, "unknown", _because(fallback_reason, str(error))
            )
        for answer in (robust, possible):
            if isinstance(answer, str):
                problems.append(f"{name}: {answer}")
        rows.append(
            RangeRow(
                name,
                robust if isinstance(robust, tuple) else (),
                possible if isinstance(possible, tuple) else (),
                tuple(_thresholds(name, names, costs)),
            )
        )
    if problems:
        return RangesResult(
            names, None, tuple(rows), "unknown", _because(fallback_reason, "; ".join(problems))
        )
    return RangesResult(names, None, tuple(rows), "exact", None)


def _because(fallback_reason: str | None, problem: str) -> str:
    return f"non-linear ({fallback_reason}); {problem}" if fallback_reason else problem


def _thresholds(
    name: str, names: tuple[str, ...], costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]]
) -> list[dominance.Threshold]:
    result = []
    for other in names:
        if other == name:
            continue
        delta_c = dominance._tidy(costs[name][0] - costs[other][0])
        delta_t = dominance._tidy(costs[other][1] - costs[name][1])
        result.append(dominance._symbolic_threshold(name, other, delta_c, delta_t, None))
    return result
