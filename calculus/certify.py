"""A second opinion: every obligation written as SMT-LIB2, and every `proved` re-decided by cvc5.

The SMT-LIB text is written here from the claim's own trees (sympy leaves), not from the z3
encoding of `calculus.logic`, so a bug in one encoding does not hide in the other. A `proved`
claim keeps its verdict under `--certify` only when cvc5 also finds the negation
unsatisfiable — for the claim and for each of its well-definedness obligations; otherwise
it becomes `unknown` with what cvc5 said. cvc5 is an optional dependency (the `certify`
extra), imported only here and only when asked for.

What an obligation says (DESIGN §3, §12): the atoms' bounds, g > 0 (linear family) or the
family's axioms for an uninterpreted g (others), the assumptions, and the negated claim; for
`for some g`, ∀ g > 0 satisfying the assumptions about g, the claim fails (in a non-linear
family the proof is through linear members g(x) = k·x, so k is the quantified variable).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sympy
from sympy.core.function import AppliedUndef

from calculus.costs import EXCHANGE, Atomic, G, Junction, LogicFormula, Negation, atomics
from calculus.logic import Hypothesis, Problem, Verdict

RATE = "|g|"
FUNCTION = "exchange"


class CannotEncode(Exception):
    """A term outside what the SMT-LIB writer handles."""


# ---- writing SMT-LIB ---------------------------------------------------------------------


def _name(symbol: sympy.Symbol) -> str:
    if symbol == G:
        return RATE
    text = symbol.name
    if "|" in text or "\\" in text:
        raise CannotEncode(f"atom name {text!r} cannot be quoted in SMT-LIB")
    return f"|{text}|"


def _number(value: sympy.Rational) -> str:
    p, q = int(value.p), int(value.q)
    magnitude = f"{abs(p)}.0" if q == 1 else f"(/ {abs(p)}.0 {q}.0)"
    return f"(- {magnitude})" if p < 0 else magnitude


@dataclass
class Writer:
    """sympy trees → SMT-LIB terms; `linear_g` reads g(x) as `linear_g`·x."""

    linear_g: str | None = None
    symbols: set[sympy.Symbol] | None = None

    def term(self, e: sympy.Expr) -> str:
        if e.is_Symbol:
            if self.symbols is not None:
                self.symbols.add(e)
            return _name(e)
        if e.is_Rational:
            return _number(e)
        if e.is_Add:
            return "(+ " + " ".join(self.term(a) for a in e.args) + ")"
        if e.is_Mul:
            numerator, denominator = sympy.fraction(e)
            if denominator != 1:
                return f"(/ {self.term(numerator)} {self.term(denominator)})"
            return "(* " + " ".join(self.term(a) for a in e.args) + ")"
        if e.is_Pow:
            base, exponent = e.args
            if not exponent.is_Integer or exponent == 0:
                raise CannotEncode(f"the power {e}")
            power = int(exponent)
            product = " ".join([self.term(base)] * abs(power))
            product = f"(* {product})" if abs(power) > 1 else product
            return product if power > 0 else f"(/ 1.0 {product})"
        if isinstance(e, AppliedUndef) and e.func == EXCHANGE:
            argument = self.term(e.args[0])
            if self.linear_g is not None:
                return f"(* {self.linear_g} {argument})"
            return f"({FUNCTION} {argument})"
        if isinstance(e, (sympy.Max, sympy.Min)):
            keep = ">=" if isinstance(e, sympy.Max) else "<="
            result = self.term(e.args[0])
            for other in e.args[1:]:
                candidate = self.term(other)
                result = f"(ite ({keep} {result} {candidate}) {result} {candidate})"
            return result
        raise CannotEncode(f"{e} ({type(e).__name__})")

    def formula(self, f: LogicFormula) -> str:
        if isinstance(f, Atomic):
            left, right = self.term(f.lhs), self.term(f.rhs)
            if f.op == "!=":
                return f"(not (= {left} {right}))"
            return f"({f.op} {left} {right})"
        if isinstance(f, Negation):
            return f"(not {self.formula(f.operand)})"
        assert isinstance(f, Junction)
        op = {"and": "and", "or": "or", "->": "=>", "<->": "="}[f.op]
        return f"({op} {self.formula(f.left)} {self.formula(f.right)})"


def _mentions(f: LogicFormula, test: Any) -> bool:
    return any(
        test(side) for a in atomics(f) for side in (sympy.sympify(a.lhs), sympy.sympify(a.rhs))
    )


def _mentions_g(f: LogicFormula) -> bool:
    return _mentions(
        f,
        lambda e: G in e.free_symbols or any(x.func == EXCHANGE for x in e.atoms(AppliedUndef)),
    )


FAMILY_AXIOMS = {
    "monotone": [],
    "subadditive": [
        f"(forall ((x Real) (y Real)) (=> (and (>= x 0.0) (>= y 0.0)) "
        f"(<= ({FUNCTION} (+ x y)) (+ ({FUNCTION} x) ({FUNCTION} y)))))"
    ],
    "superadditive": [
        f"(forall ((x Real) (y Real)) (=> (and (>= x 0.0) (>= y 0.0)) "
        f"(>= ({FUNCTION} (+ x y)) (+ ({FUNCTION} x) ({FUNCTION} y)))))"
    ],
}


def smtlib(problem: Problem, title: str = "") -> str:
    """The obligation as an SMT-LIB2 script whose `(check-sat)` is `unsat` exactly when the
    claim holds (for a `proved` that is the expected answer)."""
    symbols: set[sympy.Symbol] = set()
    linear = problem.family == "linear"
    top = Writer(symbols=symbols)
    assertions: list[str] = []
    for hypothesis in problem.hypotheses:
        for symbol, kind in hypothesis.bounds:
            op = ">=" if kind == "nonneg" else ">"
            assertions.append(f"({op} {top.term(symbol)} 0.0)")
    g_hypotheses = [
        h for h in problem.hypotheses if h.formula is not None and _mentions_g(h.formula)
    ]
    plain = [h for h in problem.hypotheses if h.formula is not None and h not in g_hypotheses]
    if problem.for_some_g:
        for hypothesis in plain:
            assert hypothesis.formula is not None
            assertions.append(top.formula(hypothesis.formula))
        variable = "|k|" if not linear else RATE
        inner = Writer(linear_g=None if linear else variable, symbols=symbols)
        conditions = [f"(> {variable} 0.0)"] + [
            inner.formula(h.formula) for h in g_hypotheses if h.formula is not None
        ]
        claim = inner.formula(problem.claim)
        assertions.append(
            f"(forall (({variable} Real)) (=> (and {' '.join(conditions)}) (not {claim})))"
        )
        symbols.discard(G)
    else:
        for hypothesis in [*plain, *g_hypotheses]:
            assert hypothesis.formula is not None
            assertions.append(top.formula(hypothesis.formula))
        assertions.append(f"(not {top.formula(problem.claim)})")
        if linear:
            symbols.add(G)
            assertions.insert(0, f"(> {RATE} 0.0)")
    lines = [f"; {line}" for line in title.splitlines()] if title else []
    lines += ["(set-logic ALL)", "(set-option :produce-models true)"]
    lines += [f"(declare-const {_name(s)} Real)" for s in sorted(symbols, key=lambda s: s.name)]
    if not linear and not problem.for_some_g:
        lines.append(f"(declare-fun {FUNCTION} (Real) Real)")
        lines.append(f"(assert (= ({FUNCTION} 0.0) 0.0))")
        lines.append(
            f"(assert (forall ((x Real) (y Real)) (=> (< x y) (< ({FUNCTION} x) ({FUNCTION} y)))))"
        )
        lines += [f"(assert {axiom})" for axiom in FAMILY_AXIOMS.get(problem.family, [])]
    lines += [f"(assert {a})" for a in assertions]
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


# ---- asking cvc5 -------------------------------------------------------------------------


def solve(script: str, timeout: float) -> tuple[str, str | None]:
    """('unsat' | 'sat' | 'unknown', reason) from cvc5 on an SMT-LIB2 script."""
    try:
        import cvc5
    except ImportError:
        return "unknown", "cvc5 is not installed (pip install 'cost-calculus[certify]')"
    manager = cvc5.TermManager()
    solver = cvc5.Solver(manager)
    solver.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    # Cylindrical algebraic coverings: complete for non-linear real arithmetic.
    solver.setOption("nl-cov", "true")
    symbols = cvc5.SymbolManager(manager)
    parser = cvc5.InputParser(solver, symbols)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, script, "obligation")
    answer = ""
    try:
        while True:
            command = parser.nextCommand()
            if command.isNull():
                break
            answer = command.invoke(solver, symbols).strip() or answer
    except RuntimeError as error:
        return "unknown", f"cvc5 error: {error}"
    if answer in ("sat", "unsat"):
        return answer, None
    return "unknown", f"cvc5 answered {answer or 'nothing'}"


def certify_verdict(problems: list[Problem], verdict: Verdict, timeout: float) -> Verdict:
    """The verdict after cvc5's second opinion: a `proved` stays only if cvc5 agrees on every
    obligation (the claim's and its well-definedness ones)."""
    if verdict.status != "proved":
        return verdict
    for problem in problems:
        try:
            answer, reason = solve(smtlib(problem), timeout)
        except CannotEncode as error:
            answer, reason = "unknown", f"cannot write it as SMT-LIB: {error}"
        if answer == "unsat":
            continue
        said = "finds a counterexample (sat)" if answer == "sat" else f"did not confirm: {reason}"
        return Verdict(
            "unknown",
            reason=f"z3 proved it, but the second opinion (cvc5) {said}",
            notes=verdict.notes,
        )
    return replace(verdict, notes=(*verdict.notes, "certified by cvc5"))


# ---- over a checked file -----------------------------------------------------------------


def obligations(result: Any, name: str, timeout: float) -> list[Problem]:
    """The claim's obligations: its well-definedness ones, then the claim itself."""
    from calculus.check import hypotheses
    from calculus.definedness import divisions

    costs, model = result.costs, result.model
    claim = next(c.node for c in model.claims if c.name == name)
    found: list[Hypothesis] = hypotheses(costs)
    problems = [
        Problem(d.obligation(), found, False, costs.family, timeout)
        for d in divisions(costs, claim.formula)
    ]
    problems.append(
        Problem(costs.formula(claim.formula), found, claim.for_some_g, costs.family, timeout)
    )
    return problems


def certify_file(result: Any, timeout: float, certify: bool, directory: Path | None) -> Any:
    """`result` with every `proved` re-decided by cvc5 (when `certify`) and every obligation
    written to `directory` as SMT-LIB2 (when given)."""
    if result.input_error or result.costs is None or result.model is None:
        return result
    claims = []
    for claimed in result.claims:
        try:
            problems = obligations(result, claimed.name, timeout)
        except Exception as error:  # noqa: BLE001 - the claim is then not certified
            if certify and claimed.verdict.status == "proved":
                verdict = Verdict("unknown", reason=f"not certified: {error}")
                claimed = replace(claimed, verdict=verdict)
            claims.append(claimed)
            continue
        if directory is not None:
            write_obligations(directory, Path(result.path).stem, claimed.name, problems)
        if certify:
            claimed = replace(claimed, verdict=certify_verdict(problems, claimed.verdict, timeout))
        claims.append(claimed)
    return replace(result, claims=tuple(claims))


def write_obligations(directory: Path, stem: str, name: str, problems: list[Problem]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index, problem in enumerate(problems):
        last = index == len(problems) - 1
        suffix = "" if last else f".defined{index + 1}"
        title = f"{stem}: claim {name}" + ("" if last else f", well-definedness {index + 1}")
        title += "\nunsat means the claim holds"
        try:
            text = smtlib(problem, title)
        except CannotEncode as error:
            text = f"; {title}\n; cannot be written as SMT-LIB: {error}\n"
        (directory / f"{stem}.{name}{suffix}.smt2").write_text(text, encoding="utf-8")
