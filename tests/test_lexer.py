"""The Pygments lexer for `.cost`: tokens, keywords from the grammar, and discovery by name."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from grammar_words import compiled_keywords
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Name, Number, Operator, Punctuation, String, Token

from calculus.lexer import CostLexer
from calculus.syntax import KEYWORDS

ROOT = Path(__file__).parent.parent
SOURCES = sorted((ROOT / "proofs").glob("*.cost")) + sorted(
    (ROOT / "tests" / "cases").rglob("*.cost")
)


def tokens(text: str) -> list[tuple[object, str]]:
    return [(kind, value) for kind, value in CostLexer().get_tokens(text) if value.strip()]


def test_statement_tokens() -> None:
    assert tokens('model "Speed prior" # title\n') == [
        (Keyword.Declaration, "model"),
        (String.Double, '"Speed prior"'),
        (Token.Comment.Single, "# title"),
    ]
    assert tokens("claim fd_loses: Hfh beats Hfd on c for some g\n") == [
        (Keyword, "claim"),
        (Name.Label, "fd_loses"),
        (Punctuation, ":"),
        (Name, "Hfh"),
        (Operator.Word, "beats"),
        (Name, "Hfd"),
        (Keyword, "on"),
        (Name.Builtin, "c"),
        (Keyword, "for"),
        (Keyword, "some"),
        (Name.Builtin, "g"),
    ]
    assert tokens("program Hfd extends Hfh {\n  runs 3 * step\n}\n") == [
        (Keyword.Declaration, "program"),
        (Name.Class, "Hfd"),
        (Keyword, "extends"),
        (Name.Class, "Hfh"),
        (Punctuation, "{"),
        (Keyword, "runs"),
        (Number.Integer, "3"),
        (Operator, "*"),
        (Name, "step"),
        (Punctuation, "}"),
    ]


def test_primitive_lists_flags_and_fixed_costs() -> None:
    assert tokens("primitive a, lookup (nonneg) { c = 1; t = 1/10 }, b\n") == [
        (Keyword.Declaration, "primitive"),
        (Name.Function, "a"),
        (Punctuation, ","),
        (Name.Function, "lookup"),
        (Punctuation, "("),
        (Name.Attribute, "nonneg"),
        (Punctuation, ")"),
        (Punctuation, "{"),
        (Name.Builtin, "c"),
        (Operator, "="),
        (Number.Integer, "1"),
        (Punctuation, ";"),
        (Name.Builtin, "t"),
        (Operator, "="),
        (Number.Integer, "1"),
        (Operator, "/"),
        (Number.Integer, "10"),
        (Punctuation, "}"),
        (Punctuation, ","),
        (Name.Function, "b"),
    ]


def test_numbers_operators_and_connectives() -> None:
    assert tokens("assume not c(x) >= 1e6 and t(x) <-> 2.5 != .5 -> g(c(x)) ^ 2\n") == [
        (Keyword, "assume"),
        (Operator.Word, "not"),
        (Name.Builtin, "c"),
        (Punctuation, "("),
        (Name, "x"),
        (Punctuation, ")"),
        (Operator, ">="),
        (Number.Float, "1e6"),
        (Operator.Word, "and"),
        (Name.Builtin, "t"),
        (Punctuation, "("),
        (Name, "x"),
        (Punctuation, ")"),
        (Operator, "<->"),
        (Number.Float, "2.5"),
        (Operator, "!="),
        (Number.Float, ".5"),
        (Operator, "->"),
        (Name.Builtin, "g"),
        (Punctuation, "("),
        (Name.Builtin, "c"),
        (Punctuation, "("),
        (Name, "x"),
        (Punctuation, ")"),
        (Punctuation, ")"),
        (Operator, "^"),
        (Number.Integer, "2"),
    ]


def test_repl_commands() -> None:
    assert tokens(":why fd_loses\n")[0] == (Keyword.Pseudo, ":why")
    assert tokens("  :show Hfh\n")[0] == (Keyword.Pseudo, ":show")


def test_every_grammar_keyword_is_highlighted_as_a_keyword() -> None:
    assert compiled_keywords() == set(KEYWORDS)
    for word in KEYWORDS:
        kind = tokens(f"x {word} y\n")[1][0]
        assert kind in Keyword or kind in Operator.Word or kind == Name.Builtin, word


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_error_tokens_in_real_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = [value for kind, value in CostLexer().get_tokens(text) if kind in Error]
    assert found == []
    # A lexer must give back exactly the text it was given.
    assert "".join(value for _, value in CostLexer().get_tokens(text)) == text + (
        "" if text.endswith("\n") else "\n"
    )


def test_found_by_pygments_and_rich() -> None:
    assert isinstance(get_lexer_by_name("cost"), CostLexer)
    assert isinstance(get_lexer_for_filename("speed_prior.cost"), CostLexer)
    from rich.console import Console
    from rich.syntax import Syntax

    console = Console(record=True, width=80, color_system="truecolor", force_terminal=True)
    console.print(Syntax("claim x: c(a) < 1", "cost"))
    assert "claim x: c(a) < 1" in console.export_text()


@pytest.mark.skipif(shutil.which("pygmentize") is None, reason="pygmentize is not installed")
def test_pygmentize_knows_the_language(tmp_path: Path) -> None:
    source = tmp_path / "m.cost"
    source.write_text("primitive a\nclaim x: c(a) > 0\n")
    done = subprocess.run(
        ["pygmentize", "-l", "cost", "-f", "html", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '<span class="kd">primitive</span>' in done.stdout
