"""Formulas for the report: sympy expressions as presentation MathML, LaTeX and plain text.

A cost atom such as `c(get_base_obj)` prints whole, as the atom's kind applied to its term in
typewriter letters, never with its underscores read as subscripts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy
from markupsafe import Markup
from sympy.printing.mathml import MathMLPresentationPrinter

from calculus.costs import G

__all__ = ["Math", "math", "equation", "simplified"]

_ATOM_NAME = re.compile(r"([ct])\((.*)\)", re.DOTALL)


class _MathMLPrinter(MathMLPresentationPrinter):  # type: ignore[misc]
    """sympy's presentation MathML, except that a cost atom `c(find(env))` prints as
    `c(find(env))` rather than having its underscores read as subscripts."""

    def _print_Symbol(self, sym: sympy.Symbol, style: str = "plain") -> Any:
        match = _ATOM_NAME.fullmatch(sym.name)
        if match is None:
            return super()._print_Symbol(sym, style)
        row = self.dom.createElement("mrow")
        kind = self.dom.createElement("mi")
        kind.appendChild(self.dom.createTextNode(match.group(1)))
        row.appendChild(kind)
        for piece, tag in (("(", "mo"), (match.group(2), "mtext"), (")", "mo")):
            element = self.dom.createElement(tag)
            element.appendChild(self.dom.createTextNode(piece))
            if tag == "mo":
                element.setAttribute("stretchy", "false")
            else:
                element.setAttribute("class", "term")
            row.appendChild(element)
        return row


def _latex_symbol(symbol: sympy.Symbol) -> str:
    """`c(\\mathtt{get\\_base\\_obj})`: the term in math-mode typewriter letters. Math mode,
    because MathJax (GitHub's renderer) leaves `\\_` inside text-mode macros such as
    `\\texttt` as a literal backslash."""
    match = _ATOM_NAME.fullmatch(symbol.name)
    if match is None:
        return str(sympy.latex(symbol))
    term = match.group(2).replace("\\", r"\backslash ").replace("_", r"\_")
    term = term.replace("{", r"\{").replace("}", r"\}").replace(" ", r"\ ")
    return rf"{match.group(1)}(\mathtt{{{term}}})"


@dataclass(frozen=True, eq=False)
class Math:
    """One formula — an expression, or `left = right` — in the three forms the outputs need,
    each printed the first time it is asked for (a Markdown report never needs MathML).
    `pieces` are MathML fragments of a long sum, one per term (each with its sign), so the
    page can wrap it between terms."""

    expression: Any
    left: Any = None  # for an equation `left = expression`

    @cached_property
    def latex(self) -> str:
        right = _latex(self.expression)
        return right if self.left is None else f"{_latex(self.left)} = {right}"

    @cached_property
    def text(self) -> str:
        right = sympy.sstr(self.expression)
        return right if self.left is None else f"{sympy.sstr(self.left)} = {right}"

    @cached_property
    def mathml(self) -> str:
        """Presentation MathML, without the <math> wrapper."""
        right = _mathml(self.expression)
        return right if self.left is None else f"<mrow>{_mathml(self.left)}<mo>=</mo>{right}</mrow>"

    @cached_property
    def pieces(self) -> tuple[tuple[str, str], ...]:
        """(MathML, plain text) per term of a sum; empty when the formula is no sum."""
        terms = _terms(self.expression)
        if self.left is None or not terms:
            return terms
        left_mathml, left_text = _mathml(self.left), sympy.sstr(self.left)
        first = (
            f"<mrow>{left_mathml}<mo>=</mo>{terms[0][0]}</mrow>",
            f"{left_text} = {terms[0][1]}",
        )
        return (first, *terms[1:])

    def element(self, display: bool = False) -> Markup:
        """`<math>` elements; `alttext` carries the plain reading for text-only tools."""
        style = ' displaystyle="true"' if display else ""
        parts = (
            self.pieces
            if len(self.text) > _WRAP_AT and len(self.pieces) > 1
            else ((self.mathml, self.text),)
        )
        elements = [
            f'<math xmlns="http://www.w3.org/1998/Math/MathML"{style} alttext="{Markup.escape(text)}">'
            f"{mathml}</math>"
            for mathml, text in parts
        ]
        if len(elements) == 1:
            return Markup(elements[0])
        return Markup('<span class="wrapped">' + " ".join(elements) + "</span>")


_WRAP_AT = 60  # characters of plain text beyond which a sum may wrap between its terms


# A formula recurs in a report (a program's cost in its row, its claims and their steps):
# each distinct one is printed once per process.
@functools.lru_cache(maxsize=4096)
def _mathml(expression: Any) -> str:
    text = str(_MathMLPrinter({"mul_symbol": "dot"}).doprint(expression))
    return text.replace("<mo>-</mo>", "<mo>&#8722;</mo>")  # a minus sign, not a hyphen


def _terms(expression: sympy.Expr) -> tuple[tuple[str, str], ...]:
    """The terms of a sum as (MathML, text), the sign of each but the first in front of it.
    A term `g·(a + b)` is opened up into `g·(a`, `+ b)` so that it too can wrap."""
    if not isinstance(expression, sympy.Add):
        return ()
    pieces: list[tuple[str, str]] = []
    for index, term in enumerate(expression.as_ordered_terms()):
        negative = term.could_extract_minus_sign()
        shown = -term if negative else term
        sign = "-" if negative else ("+" if index else "")
        # The space between two <math> pieces already separates a term from the one before.
        operator = f'<mo form="infix" lspace="0">{"−" if negative else sign}</mo>' if sign else ""
        inner = _opened(shown)
        if inner is None:
            pieces.append(
                (f"<mrow>{operator}{_mathml(shown)}</mrow>", f"{sign} {sympy.sstr(shown)}".strip())
            )
            continue
        (head_mathml, head_text), (first, *rest) = inner
        pieces.append(
            (
                f"<mrow>{operator}{head_mathml}{first[0]}</mrow>",
                f"{sign} {head_text}{first[1]}".strip(),
            )
        )
        pieces.extend(rest)
    return tuple(pieces)


def _opened(term: sympy.Expr) -> tuple[tuple[str, str], list[tuple[str, str]]] | None:
    """`factor·(a + b + …)` as its head `factor·(` and the pieces `a`, `+ b`, …, `+ z)`."""
    if not isinstance(term, sympy.Mul):
        return None
    sums = [f for f in term.args if isinstance(f, sympy.Add)]
    if len(sums) != 1:
        return None
    factor = sympy.Mul(*(f for f in term.args if f is not sums[0]))
    inner = list(_terms(sums[0]))
    if len(inner) < 2:
        return None
    open_mathml = '<mo stretchy="false">(</mo>'
    close_mathml = '<mo stretchy="false">)</mo>'
    head = (f"{_mathml(factor)}<mo>&#183;</mo>{open_mathml}", f"{sympy.sstr(factor)}*(")
    last_mathml, last_text = inner[-1]
    inner[-1] = (f"<mrow>{last_mathml}{close_mathml}</mrow>", f"{last_text})")
    return head, inner


@functools.lru_cache(maxsize=4096)
def _latex(expression: Any) -> str:
    symbols = sorted(expression.free_symbols, key=lambda s: s.name)
    return str(
        sympy.latex(
            expression, mul_symbol="dot", symbol_names={s: _latex_symbol(s) for s in symbols}
        )
    )


def math(expression: Any) -> Math:
    return Math(sympy.sympify(expression))


def equation(left: Any, right: Any) -> Math:
    """`left = right`, printed side by side (sympy would decide an `Eq` of two symbols)."""
    return Math(sympy.sympify(right), sympy.sympify(left))


def simplified(expression: sympy.Expr) -> sympy.Expr:
    """Expanded, with the terms in g gathered: g·(…) + (…)."""
    expanded = sympy.expand(expression)
    return sympy.collect(expanded, G) if G in expanded.free_symbols else expanded
