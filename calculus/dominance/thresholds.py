"""Pairwise thresholds as text: P beats Q  <=>  g*(c(P)-c(Q)) < t(Q)-t(P), with sign cases."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import sympy
from sympy.printing.str import StrPrinter

from calculus.dominance.records import Threshold, number_text


class _Printer(StrPrinter):
    """`sympy.sstr`, with the terms of a linear sum put in sympy's order without sympy's
    general term analysis (`Expr.as_ordered_terms`), most of the time of printing one."""

    def _as_ordered_terms(self, expr: sympy.Expr, order: str | None = None) -> list[sympy.Expr]:
        if (order or self.order) is None:
            terms = _linear_terms(expr)
            if terms is not None:
                return terms
        return super()._as_ordered_terms(expr, order)


def _linear_terms(expr: sympy.Expr) -> list[sympy.Expr] | None:
    """The terms of a sum of rational multiples of distinct plain symbols and a rational, in
    the order `as_ordered_terms()` gives them: a positive number before a single negative
    multiple of a symbol; otherwise the multiples by their symbols' names (sympy's lex order
    of monomials over generators sorted by `default_sort_key`, which orders plain symbols by
    name), then the number. None for any other sum."""
    number, named = None, []
    for term in expr.args:
        if term.is_Rational:
            number = term
        elif type(term) is sympy.Symbol:
            named.append((term.name, term))
        elif (
            term.is_Mul
            and len(term.args) == 2
            and term.args[0].is_Rational
            and type(term.args[1]) is sympy.Symbol
        ):
            named.append((term.args[1].name, term))
        else:
            return None
    if len({name for name, _ in named}) != len(named):
        return None
    if number is not None and len(named) == 1 and number > 0:
        only = named[0][1]
        if only.is_Mul and only.args[0] < 0:
            return [number, only]
    ordered = [term for _, term in sorted(named, key=lambda pair: pair[0])]
    return ordered if number is None else [*ordered, number]


_PRINTER = _Printer()


def sstr(expression: sympy.Basic) -> str:
    """`sympy.sstr(expression)`, the same text, faster on linear sums."""
    return _PRINTER.doprint(expression)


def numeric_threshold(winner: str, loser: str, delta_c: Fraction, delta_t: Fraction) -> Threshold:
    """P beats Q  <=>  g*delta_c < delta_t  for numbers delta_c = c(P)-c(Q), delta_t = t(Q)-t(P)."""
    head = f"{winner} beats {loser} <=> "
    if delta_c > 0:
        text = f"g < {number_text(delta_t / delta_c)}"
    elif delta_c < 0:
        text = f"g > {number_text(delta_t / delta_c)}"
    else:
        text = "always" if delta_t > 0 else "never"
    return Threshold(winner, loser, _rational(delta_c), _rational(delta_t), head + text)


def _rational(value: Fraction) -> sympy.Expr:
    return sympy.Rational(value.numerator, value.denominator)


def ratio_text(numerator: sympy.Expr, denominator: sympy.Expr) -> str:
    if denominator.is_number or numerator == 0:
        return sstr(sympy.expand(numerator / denominator))
    top, bottom = numerator.as_coefficients_dict(), denominator.as_coefficients_dict()
    if set(top) == set(bottom) and len({top[k] / bottom[k] for k in top}) == 1:
        return sstr(next(iter(top.values())) / next(iter(bottom[k] for k in top)))
    if not all(k == 1 or k.is_Symbol for k in list(top) + list(bottom)):
        ratio = sympy.cancel(numerator / denominator)
        if ratio.is_number:
            return sstr(ratio)

    def wrapped(expression: sympy.Expr) -> str:
        text = sstr(expression)
        return f"({text})" if isinstance(expression, sympy.Add) else text

    return f"{wrapped(numerator)}/{wrapped(denominator)}"


def symbolic_threshold(
    winner: str,
    loser: str,
    delta_c: sympy.Expr,
    delta_t: sympy.Expr,
    signs: set[int] | None,
    time_signs: set[int] | None = None,
) -> Threshold:
    """P beats Q  <=>  g*delta_c < delta_t, one case per sign delta_c can take (`signs`, as
    the assumptions allow; None: any). With the signs delta_t can take (`time_signs`), a
    pair decided the same way for every g says so."""
    possible = signs if signs is not None else {-1, 0, 1}
    if delta_c.is_number:
        possible = {int(sympy.sign(delta_c))}
    times = time_signs if time_signs is not None else {-1, 0, 1}
    if delta_t.is_number:
        times = {int(sympy.sign(delta_t))}
    head = f"{winner} beats {loser} <=> "
    if possible and times and possible <= {-1, 0} and times == {1}:
        why = f"always (c: {sstr(delta_c)} <= 0, t: {sstr(delta_t)} > 0)"
        return Threshold(winner, loser, delta_c, delta_t, head + why)
    if possible and times and possible <= {0, 1} and times <= {-1, 0}:
        why = f"never (c: {sstr(delta_c)} >= 0, t: {sstr(delta_t)} <= 0)"
        return Threshold(winner, loser, delta_c, delta_t, head + why)
    forced = len(possible) == 1
    cases: list[str] = []
    if 1 in possible:
        condition = "" if forced else f" when {sstr(delta_c)} > 0"
        cases.append(f"g < {ratio_text(delta_t, delta_c)}{condition}")
    if -1 in possible:
        condition = "" if forced else f" when {sstr(-delta_c)} > 0"
        cases.append(f"g > {ratio_text(-delta_t, -delta_c)}{condition}")
    if 0 in possible:
        condition = "" if forced else f" when {sstr(delta_c)} = 0"
        if delta_t.is_number:
            cases.append(("always" if delta_t > 0 else "never") + condition)
        else:
            cases.append(f"{sstr(delta_t)} > 0{condition}")
    if not cases:
        cases.append("never (the assumptions are unsatisfiable)")
    text = f"{winner} beats {loser} <=> " + "; ".join(cases)
    return Threshold(winner, loser, delta_c, delta_t, text)


def tidy(expression: sympy.Expr) -> sympy.Expr:
    expanded = sympy.expand(expression)
    if expanded.is_polynomial() and all(
        t.is_Symbol or t.is_number or t.is_Mul for t in sympy.Add.make_args(expanded)
    ):
        return expanded
    return sympy.simplify(expression)


def unsigned_thresholds(
    name: str, names: tuple[str, ...], costs: Mapping[str, tuple[sympy.Expr, sympy.Expr]]
) -> tuple[Threshold, ...]:
    """The thresholds of `name` over each other program, with every sign case of c(P)-c(Q)
    left open (for back-ends that do not decide which signs the assumptions allow)."""
    result = []
    for other in names:
        if other == name:
            continue
        delta_c = tidy(costs[name][0] - costs[other][0])
        delta_t = tidy(costs[other][1] - costs[name][1])
        result.append(symbolic_threshold(name, other, delta_c, delta_t, None))
    return tuple(result)
