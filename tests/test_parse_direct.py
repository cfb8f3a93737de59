"""The direct parse (lark's LALR tables driven by `calculus.syntax`, no parse tree) against
lark's own parse tree and transformer, and spans that point at the text they came from."""

from __future__ import annotations

import dataclasses
import marshal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calculus import nodes as n
from calculus import syntax
from calculus.diagnostics import InputError

ROOT = Path(__file__).resolve().parent.parent
PROOFS = sorted((ROOT / "proofs").glob("*.cost"))
FILES = PROOFS + sorted((ROOT / "tests" / "cases").rglob("*.cost"))


def spanned(value: Any) -> Any:
    """A node as nested tuples with every field, spans included (equality ignores spans)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(
            (field.name, spanned(getattr(value, field.name))) for field in dataclasses.fields(value)
        )
    if isinstance(value, (tuple, list)):
        return tuple(spanned(item) for item in value)
    return value


def tree_statements(text: str) -> Any:
    return syntax._parse_tree(text, "f.cost")


def well_formed(path: Path) -> bool:
    try:
        syntax.parse(path.read_text(encoding="utf-8"), str(path))
    except InputError:
        return False
    return True


WELL_FORMED = [path for path in FILES if well_formed(path)]


def test_the_cases_include_well_formed_and_broken_files() -> None:
    assert len(PROOFS) >= 10 and len(WELL_FORMED) >= 40
    assert len(WELL_FORMED) < len(FILES)


@pytest.mark.parametrize("path", WELL_FORMED, ids=lambda p: str(p.relative_to(ROOT)))
def test_direct_parse_equals_the_tree_parse_spans_included(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    direct = syntax._parse_direct(text)  # raises if it declined a well-formed file
    assert spanned(direct) == spanned(tree_statements(text))


# Words of the grammar that only blocks reserve are names elsewhere: lark's contextual lexer
# reads them as names where a keyword is not expected, and so must the direct path.
BLOCK_WORDS = sorted(set(syntax.KEYWORDS) - syntax.RESERVED)


def test_there_are_block_words() -> None:
    assert {"inputs", "basis", "draws"} <= set(BLOCK_WORDS)


@pytest.mark.parametrize("word", BLOCK_WORDS)
def test_block_words_are_names_outside_their_blocks(word: str) -> None:
    text = (
        f"primitive {word}, a\n"
        f"program P {{ stores {word}(a); runs 2 * {word} }}\n"
        f"claim {word}: c({word}) + {word} <= t(P) * 2\n"
        f"parameter {word} integer >= 1\n"
    )
    direct = syntax._parse_direct(text)
    assert spanned(direct) == spanned(tree_statements(text))
    primitive = syntax.parse(text).statements[0]
    assert isinstance(primitive, n.Primitive)
    assert primitive.name == n.Name(word) and primitive.name.span == n.Span(
        1, 11, 1, 11 + len(word)
    )


LAYOUTS = [
    "",
    "\n\n# only a comment\n",
    "primitive a\r\nprogram P { stores a }\r\nclaim c(P) > 0\r\n",
    'primitive a\nclaim k:\n  c(a) +\n  1 > (\n    2\n  )\n  quote "said"\n',
    'model "x \\" y"; primitive a, b (nonneg) { c = 1; t = 2 };\tclaim c(a) < c(b)',
    "primitive a\nclaim -(-c(a)) ^ 2 >= 1/2 * 2^c(a) - max(c(a), 1e3, .5)",
]


@pytest.mark.parametrize("text", LAYOUTS)
def test_layouts_parse_alike(text: str) -> None:
    assert spanned(syntax._parse_direct(text)) == spanned(tree_statements(text))


def test_trees_deeper_than_the_bound_go_to_the_tree_parse() -> None:
    # A left-nested sum is one tree level per term: past MAX_DIRECT_HEIGHT the direct path
    # declines, and the tree parse gives the nodes (or says the input is nested too deeply).
    terms = syntax.MAX_DIRECT_HEIGHT + 20
    text = "primitive a\nclaim " + " + ".join(["c(a)"] * terms) + " > 0\n"
    with pytest.raises(syntax._Fallback):
        syntax._parse_direct(text)
    claim = syntax.parse(text).statements[1]
    assert isinstance(claim, n.Claim) and isinstance(claim.formula, n.Compare)
    assert claim.formula.left.span == n.Span(2, 7, 2, 7 + len(" + ".join(["c(a)"] * terms)))
    shallow = "primitive a\nclaim " + " + ".join(["c(a)"] * 50) + " > 0\n"
    assert spanned(syntax._parse_direct(shallow)) == spanned(tree_statements(shallow))


# ---- spans point at their text --------------------------------------------------------------


def source_at(text: str, span: n.Span) -> str:
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1 : span.end_column - 1]
    parts = [lines[span.line - 1][span.column - 1 :]]
    parts += lines[span.line : span.end_line - 1]
    parts.append(lines[span.end_line - 1][: span.end_column - 1])
    return "\n".join(parts)


def walk(value: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for field in dataclasses.fields(value):
            yield from walk(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from walk(item)


_EXPRS = (n.Number, n.CostOf, n.GRate, n.GApply, n.Arithmetic, n.Negate, n.Symbol, n.Call)
_FORMULAS = (n.Compare, n.Beats, n.Connective, n.Not)
_STATEMENTS = (n.Program, n.Assume, n.Claim, n.Scenario, n.Parameter, n.Ranges, n.Task)
_STATEMENTS += (n.TaskSet, n.Reduction, n.Family, n.Sweep, n.Objection, n.Import, n.ModelTitle)


def reparsed(node: Any, source: str) -> Any:
    """The node that the source text at `node`'s span parses to, read back out of a file."""
    if isinstance(node, _FORMULAS):
        claim = syntax.parse(f"claim {source}").statements[0]
        assert isinstance(claim, n.Claim)
        return claim.formula
    if isinstance(node, _EXPRS):
        claim = syntax.parse(f"claim {source} = 0").statements[0]
        assert isinstance(claim, n.Claim) and isinstance(claim.formula, n.Compare)
        return claim.formula.left
    if isinstance(node, n.Term):
        claim = syntax.parse(f"claim c({source}) = 0").statements[0]
        assert isinstance(claim, n.Claim) and isinstance(claim.formula, n.Compare)
        assert isinstance(claim.formula.left, n.CostOf)
        return claim.formula.left.term
    if isinstance(node, n.Primitive):
        return syntax.parse(f"primitive {source}").statements[0]
    (statement,) = syntax.parse(source).statements
    return statement


@pytest.mark.parametrize("path", PROOFS, ids=lambda p: p.name)
def test_every_span_holds_its_node(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    checked = 0
    for node in walk(syntax.parse(text, str(path)).statements):
        span = getattr(node, "span", None)
        if span is None or span == n.NOWHERE:
            continue
        source = source_at(text, span)
        if isinstance(node, n.Name):
            if node.text in ("reads", "ignores", "where", "some") and source != node.text:
                continue  # a property kind or extent spelled by its whole item
            assert source == node.text, (span, source)
        elif isinstance(node, n.Number):
            assert source == node.text, (span, source)
        elif isinstance(node, (*_EXPRS, *_FORMULAS, n.Term, n.Primitive, *_STATEMENTS)):
            again = reparsed(node, source)
            if isinstance(node, n.Task) and isinstance(again, n.Family):
                again = again.task  # a family's task spans the family
            assert again == node, (span, source)
            assert type(again) is type(node)
        else:
            continue
        checked += 1
    assert checked >= 20


def test_the_cached_tables_are_lark_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = syntax._make_tables()
    assert syntax._tables() == made
    cache = tmp_path / "tables.marshal"
    monkeypatch.setattr(syntax, "_tables_path", lambda: cache)
    cache.write_bytes(b"not marshal data")
    assert syntax._tables() == made  # a damaged cache file is made again
    assert marshal.loads(cache.read_bytes()) == made
    assert syntax._tables() == made


def test_direct_path_tokens_copy_and_pickle_with_their_positions() -> None:
    # The direct path's tokens stand in for lark's (which it no longer imports); like lark's,
    # they survive pickling (a sweep's tasks travel to Dask workers) and copying.
    import copy
    import pickle

    token = syntax._Token("NUMBER", "12", 3, 4, 3, 6)
    for same in (pickle.loads(pickle.dumps(token)), copy.deepcopy(token), copy.copy(token)):
        assert type(same) is syntax._Token and same == "12"
        assert (same.type, same.line, same.column, same.end_line, same.end_column) == (
            "NUMBER",
            3,
            4,
            3,
            6,
        )
