"""Diagnostics: every code the tool can print is registered, with what it means; notes and
spans ride along as records."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from calculus import nodes as n
from calculus.diagnostics import CODES, at, render
from calculus.syntax import parse

ROOT = Path(__file__).parent.parent
# The functions that take a code, and the position of the code among their arguments.
_CODE_ARGUMENT = {"at": 2, "error": 1, "Diagnostic": 3, "_Malformed": 3, "_command_error": 4}


def _codes_in_source() -> dict[str, list[str]]:
    """Each code passed as a literal to a diagnostic-making call in calculus/, and where."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "calculus").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = getattr(function, "id", None) or getattr(function, "attr", None)
            if name not in _CODE_ARGUMENT:
                continue
            arguments = [k.value for k in node.keywords if k.arg == "code"]
            position = _CODE_ARGUMENT[name]
            if len(node.args) > position:
                arguments.append(node.args[position])
            for argument in arguments:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.setdefault(argument.value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_code_in_the_source_is_registered() -> None:
    found = _codes_in_source()
    assert "undeclared" in found and "duplicate" in found  # the scan sees the resolver's calls
    unregistered = {code: where for code, where in found.items() if code not in CODES}
    assert not unregistered


def test_every_code_pinned_by_a_failure_case_is_registered() -> None:
    pinned = {
        match
        for path in (ROOT / "tests" / "cases").rglob("*.cost")
        for match in re.findall(r"^# error ([\w-]+) ", path.read_text(), re.M)
    }
    assert pinned and pinned <= set(CODES)


def test_codes_are_lowercase_words_with_a_description() -> None:
    for name, code in CODES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", name) and code.name == name == str(code)
        assert code.description and not code.description.endswith(".")


@pytest.mark.parametrize(
    "source, code",
    [
        ("reduction r { basis nand }", "unknown-basis"),
        ("reduction r { measure width }", "unknown-measure"),
        ("reduction r { property honest }", "unknown-property"),
        ("reduction r { basis b2; basis aig }", "given-twice"),
        ("primitive a { c = 1; c = 2 }", "given-twice"),
        ("primitive a\nprogram P { c = c(a); c = 1 }", "given-twice"),
        ("scenario s { default = 1; default = 2 }", "given-twice"),
        ("task k { inputs x; inputs y }", "given-twice"),
        ("claim x: 1 + (2 < 3)", "type"),
    ],
)
def test_split_codes(source: str, code: str) -> None:
    from calculus.diagnostics import InputError

    with pytest.raises(InputError) as raised:
        parse(source)
    assert raised.value.diagnostics[0].code == code


def test_notes_are_rendered_after_the_hint() -> None:
    diagnostic = at("f.cost", n.Span(1, 3, 1, 5), "undeclared", "oops", "try this", ["first"])
    assert diagnostic.notes == ("first",) and diagnostic.end_column == 5
    assert render(diagnostic, "x  ab\n").splitlines() == [
        "f.cost:1:3: error[undeclared]: oops",
        "  x  ab",
        "    ^~",
        "  hint: try this",
        "  note: first",
    ]


def test_spans_compare_honestly_but_do_not_decide_tree_equality() -> None:
    assert n.Span(1, 2, 1, 3) != n.Span(1, 2, 1, 4)
    assert n.Span(1, 2, 1, 3) == n.Span(1, 2, 1, 3)
    assert parse("primitive a\nclaim x: c(a) > 0") == parse("primitive   a\n\nclaim x:c(a)>0")
    first = parse("primitive a").statements[0]
    moved = parse("\n\nprimitive a").statements[0]
    assert first == moved and hash(first) == hash(moved) and first.span != moved.span
