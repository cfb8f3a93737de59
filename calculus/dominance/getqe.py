"""cvc5's quantifier elimination (`get-qe`) as a back-end for ranges.

cvc5 eliminates quantifiers completely for linear real arithmetic; on non-linear questions
it may not finish, so every call runs in a child process that is stopped at its time limit.
The quantifier-free answer, a formula in g, is read into the g-axis library's formulas.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import sympy

from calculus.dominance import axis, questions
from calculus.dominance.axis import GAtom, GFormula, GPoly, Piece
from calculus.dominance.questions import Problem
from calculus.dominance.records import Findings, Unanswered

__all__ = ["available", "answer", "findings"]


def available() -> bool:
    try:
        import cvc5  # noqa: F401
    except ImportError:
        return False
    return True


def _term(expression: sympy.Expr, names: Mapping[sympy.Symbol, Any], tm: Any, kind: Any) -> Any:
    if expression.is_Rational:
        return tm.mkReal(str(expression))
    if isinstance(expression, sympy.Symbol):
        return names[expression]
    args = [_term(a, names, tm, kind) for a in expression.args]
    if isinstance(expression, sympy.Add):
        return tm.mkTerm(kind.ADD, *args)
    if isinstance(expression, sympy.Mul):
        return tm.mkTerm(kind.MULT, *args)
    if isinstance(expression, sympy.Pow) and expression.exp.is_Integer and expression.exp > 1:
        return tm.mkTerm(kind.MULT, *([args[0]] * int(expression.exp)))
    raise ValueError(f"{expression} is not a polynomial")


def _formula(formula: sympy.Basic, names: Mapping[sympy.Symbol, Any], tm: Any, kind: Any) -> Any:
    from sympy.logic import boolalg

    if formula is sympy.true or formula is sympy.false:
        return tm.mkBoolean(formula is sympy.true)
    if isinstance(formula, sympy.core.relational.Relational):
        left = _term(sympy.expand(formula.lhs), names, tm, kind)  # type: ignore[attr-defined]
        right = _term(sympy.expand(formula.rhs), names, tm, kind)  # type: ignore[attr-defined]
        operator = formula.rel_op  # type: ignore[attr-defined]
        if operator == "!=":
            return tm.mkTerm(kind.NOT, tm.mkTerm(kind.EQUAL, left, right))
        relation = {"<": kind.LT, "<=": kind.LEQ, ">": kind.GT, ">=": kind.GEQ, "==": kind.EQUAL}
        return tm.mkTerm(relation[operator], left, right)
    parts = [_formula(a, names, tm, kind) for a in formula.args]
    if isinstance(formula, boolalg.And):
        return tm.mkTerm(kind.AND, *parts) if len(parts) > 1 else parts[0]
    if isinstance(formula, boolalg.Or):
        return tm.mkTerm(kind.OR, *parts) if len(parts) > 1 else parts[0]
    if isinstance(formula, boolalg.Not):
        return tm.mkTerm(kind.NOT, parts[0])
    if isinstance(formula, boolalg.Implies):
        return tm.mkTerm(kind.IMPLIES, parts[0], parts[1])
    if isinstance(formula, boolalg.Equivalent) and len(parts) == 2:
        return tm.mkTerm(kind.EQUAL, parts[0], parts[1])
    raise ValueError(f"cannot write {formula} for cvc5")


def _polynomial(term: Any, kind: Any) -> GPoly:
    k = term.getKind()
    if k == kind.CONST_RATIONAL:
        value = term.getRealValue()
        return axis.poly_constant(Fraction(value))
    if k == kind.CONSTANT and term.getSymbol() == "g":
        return (Fraction(0), Fraction(1))
    children = [_polynomial(child, kind) for child in term]
    operations = {kind.ADD: "add", kind.MULT: "mul", kind.SUB: "sub", kind.NEG: "neg"}
    combined = axis.poly_combine(operations.get(k, ""), children)
    if combined is not None:
        return combined
    if k == kind.TO_REAL:
        return children[0]
    raise ValueError(f"cvc5 answered with a term outside Q[g]: {term}")


def _tree(term: Any, kind: Any) -> GFormula:
    k = term.getKind()
    if k == kind.CONST_BOOLEAN:
        return ("const", term.getBooleanValue())
    if k == kind.NOT:
        return ("not", _tree(term[0], kind))
    if k in (kind.AND, kind.OR):
        return ("and" if k == kind.AND else "or", [_tree(child, kind) for child in term])
    if k == kind.IMPLIES:
        return ("or", [("not", _tree(term[0], kind)), _tree(term[1], kind)])
    relations = {kind.LT: "<", kind.LEQ: "<=", kind.GT: ">", kind.GEQ: ">=", kind.EQUAL: "="}
    if k in relations and term.getNumChildren() == 2:
        if term[0].getSort().isBoolean():
            a, b = _tree(term[0], kind), _tree(term[1], kind)
            return ("or", [("and", [a, b]), ("and", [("not", a), ("not", b)])])
        difference = axis.poly_add(
            _polynomial(term[0], kind), axis.poly_scale(_polynomial(term[1], kind), -1)
        )
        return ("atom", GAtom(difference, relations[k]))
    raise ValueError(f"cvc5 answered with a formula outside real arithmetic in g: {term}")


def _solve(question: Problem, results: Any) -> None:
    """In a child process: cvc5's get-qe on the question; the answer as a formula in g."""
    try:
        import cvc5
        from cvc5 import Kind

        tm = cvc5.TermManager()
        solver = cvc5.Solver(tm)
        solver.setLogic("NRA")
        real = tm.getRealSort()
        g = tm.mkConst(real, "g")
        names: dict[Any, Any] = {
            atom: tm.mkVar(real, f"x{n}") for n, atom in enumerate(question.atoms)
        }
        g_symbol = sympy.Symbol("g", positive=True)
        names[g_symbol] = g
        admissible = [_formula(a, names, tm, Kind) for a in question.admissible]
        goals = [
            _formula(sympy.expand(g_symbol * dc + dt) > 0, names, tm, Kind)
            for dc, dt in question.goals
        ]
        parts = admissible + goals
        if question.quantifier == "A":
            premise = (
                tm.mkTerm(Kind.AND, *admissible)
                if len(admissible) > 1
                else (admissible[0] if admissible else tm.mkTrue())
            )
            conclusion = (
                tm.mkTerm(Kind.AND, *goals)
                if len(goals) > 1
                else (goals[0] if goals else tm.mkTrue())
            )
            body = tm.mkTerm(Kind.IMPLIES, premise, conclusion)
            quantifier = Kind.FORALL
        else:
            body = (
                tm.mkTerm(Kind.AND, *parts)
                if len(parts) > 1
                else (parts[0] if parts else tm.mkTrue())
            )
            quantifier = Kind.EXISTS
        variables = [names[atom] for atom in question.atoms]
        solver.assertFormula(tm.mkTerm(Kind.GT, g, tm.mkReal(0)))
        if variables:
            quantified = tm.mkTerm(quantifier, tm.mkTerm(Kind.VARIABLE_LIST, *variables), body)
            answer = solver.getQuantifierElimination(quantified)
        else:
            answer = body
        results.put(("ok", _tree(answer, Kind)))
    except Exception as error:  # noqa: BLE001 - reported to the parent as the reason
        results.put(("error", f"{type(error).__name__}: {error}"))


class _Results:
    """Where `_solve` puts its answer when it runs in this process."""

    def __init__(self) -> None:
        self.value: tuple[str, Any] | None = None

    def put(self, value: tuple[str, Any]) -> None:
        self.value = value


def answer_here(question: Problem, timeout: float) -> list[Piece]:
    """As `answer`, in this process: no time limit can stop cvc5, so only for questions it
    is known to finish (linear ones)."""
    results = _Results()
    _solve(question, results)
    assert results.value is not None
    status, value = results.value
    if status != "ok":
        raise Unanswered(f"cvc5 could not answer: {value}")
    return axis.solution_set(value)


def answer(question: Problem, timeout: float) -> list[Piece]:
    """The set of g > 0 where the question holds, by cvc5's get-qe in a child process."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_solve, args=(question, results), daemon=True)
    child.start()
    try:
        status, value = results.get(timeout=timeout)
    except queue.Empty as error:
        raise Unanswered(f"cvc5 did not finish within {timeout:g} s") from error
    finally:
        if child.is_alive():
            child.kill()
        child.join()
    if status != "ok":
        raise Unanswered(f"cvc5 could not answer: {value}")
    return axis.solution_set(value)


def findings(
    costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]],
    assumptions: list[sympy.Basic],
    bounds: Mapping[sympy.Symbol, str],
    timeout: float = 60.0,
    isolate: bool = True,
) -> Findings:
    """Every program's ranges through cvc5's get-qe; `Unanswered` where it gives up. With
    `isolate` false cvc5 runs in this process, without a time limit."""
    if not available():
        raise Unanswered("cvc5 is not installed (pip install cvc5)")
    return questions.findings(
        costs, assumptions, bounds, answer if isolate else answer_here, timeout
    )
