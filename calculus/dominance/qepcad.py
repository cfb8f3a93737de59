"""QEPCAD B as an exact peer for dominance ranges: builds its input, runs it, reads the answer.

QEPCAD B decides real quantifier elimination by cylindrical algebraic decomposition. Given
"P beats every rival" quantified over the cost atoms, with g free, it returns an equivalent
formula in g alone, which is turned into intervals with the exact g-axis arithmetic of
`calculus.dominance.axis`. It serves as the fallback for non-linear models and as an independent
check of the linear elimination.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from fractions import Fraction

import sympy
from sympy.logic import boolalg

from calculus import limits
from calculus.dominance import axis, questions
from calculus.dominance.axis import GAtom, GFormula, GPoly, Piece
from calculus.dominance.questions import Problem
from calculus.dominance.records import Findings, Unanswered

__all__ = ["QepcadError", "available", "solve", "text", "pieces", "answer", "findings"]

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


def run_group(command: list[str], text: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `command` on `text` in a process group of its own, and end the whole group when it
    returns, fails or times out. QEPCAD starts Singular as a helper; killing QEPCAD alone
    (on a time-out, an interrupt, or its own time limit) left Singular computing on, an
    orphan, for minutes."""
    with subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=limits.subprocess_memory_limit(),
    ) as process:
        try:
            stdout, stderr = process.communicate(text, timeout=timeout)
        finally:
            _end_group(process.pid)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _end_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # every process of the group has already ended


def solve(text: str, timeout: float = 60.0) -> str:
    """Run QEPCAD on an input text; the quantifier-free formula it prints."""
    if not available():
        raise QepcadError("qepcad is not installed")
    cells = _CELLS
    started = time.monotonic()
    for _ in range(3):
        try:
            done = run_group(
                ["qepcad", "-noecho", f"+N{cells}", "-t", str(max(1, math.ceil(timeout)))],
                text,
                timeout=timeout + 5,
            )
        except subprocess.TimeoutExpired as error:
            raise QepcadError(f"qepcad timed out after {timeout:g} s") from error
        output = done.stdout + done.stderr
        if "Not enough memory" in output or done.returncode < 0:
            raise QepcadError(
                f"qepcad ran out of memory (at most {limits.SUBPROCESS_MEMORY_MB} MB)"
                if "Not enough memory" in output or done.returncode == -signal.SIGSEGV
                else f"qepcad was killed by signal {-done.returncode}"
            )
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

    def formula(self) -> GFormula:
        left = self.conjunction()
        parts = [left]
        while self.peek() == "\\/":
            self.take()
            parts.append(self.conjunction())
        return ("or", parts) if len(parts) > 1 else left

    def conjunction(self) -> GFormula:
        parts = [self.unary()]
        while self.peek() == "/\\":
            self.take()
            parts.append(self.unary())
        return ("and", parts) if len(parts) > 1 else parts[0]

    def unary(self) -> GFormula:
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

    def atom(self) -> GAtom:
        left = self.polynomial()
        relation = self.take()
        if relation not in ("<", ">", "<=", ">=", "=", "/="):
            raise QepcadError(f"unexpected relation {relation!r} in qepcad output")
        if self.peek() is not None and self.peek().startswith("_root_"):  # type: ignore[union-attr]
            index = int(self.take()[len("_root_") :])
            poly = self.polynomial()
            if left != (Fraction(0), Fraction(1)):
                raise QepcadError("a _root_ atom not of the form g R _root_k p")
            return GAtom(poly, relation, index)
        right = self.polynomial()
        return GAtom(axis.poly_add(left, axis.poly_scale(right, Fraction(-1))), relation)

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


def pieces(text: str) -> list[Piece]:
    """The set of g > 0 satisfying QEPCAD's formula, as sorted disjoint pieces with exact ends."""
    return axis.solution_set(_Reader(text).formula())


def answer(question: Problem, timeout: float) -> list[Piece]:
    """QEPCAD's answer to one question, as a set of g."""
    return pieces(solve(text(question), timeout))


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
) -> Findings:
    """Every program's ranges through QEPCAD. Raises QepcadError (an `Unanswered`) when
    QEPCAD is missing, fails or runs out of time."""
    try:
        return questions.findings(costs, assumptions, bounds, answer, timeout)
    except Unanswered as error:
        if "timed out" in str(error) or "did not finish" in str(error):
            raise QepcadError(f"qepcad did not finish within {timeout:g} s") from error
        raise
