"""A Pygments lexer for `.cost` files (and REPL input), so that `pygmentize -l cost`, rich
and the REPL's prompt highlight the language; its keywords are the grammar's (`calculus.syntax`).
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from calculus.syntax import KEYWORDS, STATEMENT_WORDS

IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"

# How each grammar keyword is shown; a keyword the grammar gains later and this table does
# not know yet is still shown as a keyword.
_STATEMENTS_OF_TRUTH = ("assume", "claim", "refute", "ranges")
_DECLARATIONS = tuple(word for word in STATEMENT_WORDS if word not in _STATEMENTS_OF_TRUTH)
_OPERATOR_WORDS = ("not", "and", "or", "xor", "beats")
_COST_FUNCTIONS = ("c", "t", "g")
# Functions of formulas, spelled as names in the grammar (`max(…)`, `log2(…)`).
_FUNCTIONS = ("max", "min", "log2")


def _other_keywords() -> tuple[str, ...]:
    known = set(_DECLARATIONS) | set(_OPERATOR_WORDS) | set(_COST_FUNCTIONS)
    return tuple(word for word in KEYWORDS if word not in known)


class CostLexer(RegexLexer):
    """The `.cost` language of the cost calculus (DESIGN §4), with the REPL's `:commands`."""

    name = "Cost"
    aliases: ClassVar[list[str]] = ["cost"]
    filenames: ClassVar[list[str]] = ["*.cost"]
    mimetypes: ClassVar[list[str]] = ["text/x-cost"]

    tokens: ClassVar[dict] = {  # type: ignore[type-arg]
        "root": [
            # REPL commands: `:load FILE`, `:why NAME`, …
            (r"^([ \t]*)(:[A-Za-z]+)", bygroups(Whitespace, Keyword.Pseudo)),
            (r"\n", Whitespace),
            (r"[ \t\f\r]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"(\\\\|\\[^\\]|[^"\\\n])*"', String.Double),
            # A label: `claim fd_loses:`, `assume base_is_complex:`.
            (
                r"(assume|claim|refute)(\s+)(" + IDENTIFIER + r")(\s*)(:)(?!=)",
                bygroups(Keyword, Whitespace, Name.Label, Whitespace, Punctuation),
            ),
            (
                r"(program)(\s+)(" + IDENTIFIER + r")",
                bygroups(Keyword.Declaration, Whitespace, Name.Class),
            ),
            (
                r"(scenario)(\s+)(" + IDENTIFIER + r")",
                bygroups(Keyword.Declaration, Whitespace, Name.Namespace),
            ),
            (
                r"(exchange)(\s+)(" + IDENTIFIER + r")",
                bygroups(Keyword.Declaration, Whitespace, Name.Constant),
            ),
            (
                r"(parameter)(\s+)(" + IDENTIFIER + r")",
                bygroups(Keyword.Declaration, Whitespace, Name.Variable),
            ),
            (
                r"(objection)(\s+)(" + IDENTIFIER + r")",
                bygroups(Keyword.Declaration, Whitespace, Name.Namespace),
            ),
            (r"(extends)(\s+)(" + IDENTIFIER + r")", bygroups(Keyword, Whitespace, Name.Class)),
            (r"(primitive)\b", Keyword.Declaration, "primitives"),
            include("formula"),
        ],
        "primitives": [
            (r"\n", Whitespace, "#pop"),
            (r"[ \t\f\r]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r"\{", Punctuation, "fixed"),
            (
                r"(\()(\s*)(" + IDENTIFIER + r")(\s*)(\))",
                bygroups(Punctuation, Whitespace, Name.Attribute, Whitespace, Punctuation),
            ),
            (r";", Punctuation, "#pop"),
            (r",", Punctuation),
            (IDENTIFIER, Name.Function),
        ],
        "fixed": [
            (r"\}", Punctuation, "#pop"),
            include("formula"),
        ],
        "formula": [
            (r"\n", Whitespace),
            (r"[ \t\f\r]+", Whitespace),
            (r"#.*?$", Comment.Single),
            (words(_DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(_OPERATOR_WORDS, suffix=r"\b"), Operator.Word),
            (words(_other_keywords(), suffix=r"\b"), Keyword),
            (words(_COST_FUNCTIONS, suffix=r"\b"), Name.Builtin),
            (words(_FUNCTIONS, suffix=r"(?=\s*\()"), Name.Builtin),
            (r"(\d+(\.\d*)?|\.\d+)[eE][+-]?\d+", Number.Float),
            (r"\d+\.\d*|\.\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"<->|->|<=|>=|!=|[-+*/^<>=]", Operator),
            (r"[(){},;:]", Punctuation),
            (IDENTIFIER, Name),
            (r".", Text),
        ],
    }
