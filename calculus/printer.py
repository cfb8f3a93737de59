"""Typed syntax tree back to `.cost` source text, so that `parse(format_source(tree)) == tree`."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from calculus import nodes as n

_PRECEDENCE = {
    "<->": 1,
    "->": 1,
    "or": 2,
    "and": 3,
    "not": 4,
    "cmp": 5,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "neg": 8,
    "^": 9,
}


def format_number(value: Fraction) -> str:
    """Exact source text of a number: an integer, a finite decimal, or `p/q`."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    if denominator == 1:
        return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return f"{value.numerator}/{value.denominator}"


def format_expr(expr: n.Expr | n.Formula, parent: int = 0) -> str:
    """Source text of an expression or formula, parenthesised only where needed."""
    text, level = _format(expr)
    return f"({text})" if level < parent else text


def _format(node: Any) -> tuple[str, int]:
    if isinstance(node, n.Number):
        text = node.text or format_number(node.value)
        # A rational literal is a division; parenthesise it like one.
        return text, (7 if "/" in text else 10)
    if isinstance(node, n.CostOf):
        return f"{node.kind}({node.term})", 10
    if isinstance(node, n.GRate):
        return "g", 10
    if isinstance(node, n.GApply):
        return f"g({format_expr(node.argument)})", 10
    if isinstance(node, n.Symbol):
        return node.name.text, 10
    if isinstance(node, n.Call):
        return f"{node.function}({', '.join(format_expr(a) for a in node.args)})", 10
    if isinstance(node, n.Negate):
        return f"-{format_expr(node.operand, 9)}", 8
    if isinstance(node, n.Arithmetic):
        level = _PRECEDENCE[node.op]
        if node.op == "^":
            return f"{format_expr(node.left, 10)}^{format_expr(node.right, 8)}", level
        right_level = level + 1  # left-associative: a - (b - c) keeps its parentheses
        return (
            f"{format_expr(node.left, level)} {node.op} {format_expr(node.right, right_level)}",
            level,
        )
    if isinstance(node, n.Compare):
        return f"{format_expr(node.left, 6)} {node.op} {format_expr(node.right, 6)}", 5
    if isinstance(node, n.Beats):
        suffix = f" on {node.on}" if node.on else ""
        return f"{node.winner} beats {node.loser}{suffix}", 5
    if isinstance(node, n.Not):
        return f"not {format_expr(node.operand, 4)}", 4
    if isinstance(node, n.Connective):
        level = _PRECEDENCE[node.op]
        if node.op == "->":
            return f"{format_expr(node.left, 2)} -> {format_expr(node.right, 1)}", 1
        if node.op == "<->":
            return f"{format_expr(node.left, 2)} <-> {format_expr(node.right, 2)}", 1
        return (
            f"{format_expr(node.left, level)} {node.op} {format_expr(node.right, level + 1)}",
            level,
        )
    raise TypeError(f"cannot format {node!r}")


def format_string(text: str) -> str:
    """A string literal: quotes, backslashes, newlines and tabs escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def format_statement(statement: n.Statement) -> str:
    s = statement
    if isinstance(s, n.ModelTitle):
        escaped = s.title.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'model "{escaped}"'
    if isinstance(s, n.Primitive):
        text = f"primitive {s.name}"
        if s.flags:
            text += " (" + ", ".join(f.text for f in s.flags) + ")"
        fixed = []
        if s.fixed_c is not None:
            fixed.append(f"c = {format_expr(s.fixed_c)}")
        if s.fixed_t is not None:
            fixed.append(f"t = {format_expr(s.fixed_t)}")
        if fixed:
            text += " { " + "; ".join(fixed) + " }"
        return text
    if isinstance(s, n.Program):
        head = f"program {s.name}" + (f" extends {s.extends}" if s.extends else "")
        body = []
        if s.stores:
            body.append("  stores " + ", ".join(str(t) for t in s.stores))
        if s.runs:
            body.append(
                "  runs "
                + ", ".join(
                    (f"{r.count} * {r.term}" if r.count != 1 else str(r.term)) for r in s.runs
                )
            )
        if s.c_formula is not None:
            body.append(f"  c = {format_expr(s.c_formula)}")
        if s.t_formula is not None:
            body.append(f"  t = {format_expr(s.t_formula)}")
        return head + " {\n" + "\n".join(body) + ("\n" if body else "") + "}"
    if isinstance(s, n.Exchange):
        if s.every:
            return "exchange all"
        return "exchange " + ", ".join(f.text for f in s.families)
    if isinstance(s, n.Assume):
        label = f"{s.label}: " if s.label else ""
        return f"assume {label}{format_expr(s.formula)}"
    if isinstance(s, n.Claim):
        label = f"{s.label}: " if s.label else ""
        prefix = f"eventually in {s.eventually}: " if s.eventually is not None else ""
        suffix = " for some g" if s.for_some_g else ""
        suffix += " for some costs" if s.for_some_costs else ""
        suffix += "".join(f" for some {p}" for p in s.for_some)
        if s.quote is not None:
            suffix += f" quote {format_string(s.quote)}"
        return f"{s.kind} {label}{prefix}{format_expr(s.formula)}{suffix}"
    if isinstance(s, n.Import):
        return f"import {format_string(s.path)}"
    if isinstance(s, n.Parameter):
        text = f"parameter {s.name} {s.domain}"
        if s.bounds:
            text += " " + ", ".join(f"{b.op} {format_expr(b.value)}" for b in s.bounds)
        return text
    if isinstance(s, n.Objection):
        body = []
        if s.drops:
            body.append("  drop " + ", ".join(d.text for d in s.drops))
        for inner in s.statements:
            body.extend("  " + line for line in format_statement(inner).split("\n"))
        return f"objection {s.name} {{\n" + "\n".join(body) + ("\n" if body else "") + "}"
    if isinstance(s, n.Ranges):
        text = "ranges " + ", ".join(p.text for p in s.programs)
        return text + (f" in {s.scenario}" if s.scenario else "")
    if isinstance(s, n.Scenario):
        body = [f"  {format_expr(v.target)} = {format_expr(v.value)}" for v in s.values]
        if s.default is not None:
            body.append(f"  default = {format_expr(s.default)}")
        return f"scenario {s.name} {{\n" + "\n".join(body) + ("\n" if body else "") + "}"
    if isinstance(s, n.Task):
        return f"task {s.name} {{\n" + _task_body(s) + "}"
    if isinstance(s, n.Family):
        params = ", ".join(p.text for p in s.params)
        return f"family {s.name}({params}) {{\n" + _task_body(s.task) + "}"
    if isinstance(s, n.TaskSet):
        members = "; ".join(
            m.text + (f": {format_expr(w)}" if w is not None else "") for m, w in s.members
        )
        return f"tasks {s.name}{' by data' if s.by_data else ''} {{ {members} }}"
    if isinstance(s, n.Reduction):
        body = []
        if s.tasks is not None:
            body.append(f"  tasks {s.tasks}")
        if s.bad is not None:
            body.append(f"  bad {s.bad}")
        if s.basis is not None:
            body.append(f"  basis {s.basis}")
        if s.measure:
            body.append("  measure " + " + ".join(x.text for x in s.measure))
        if s.reward is not None:
            body.append(f"  reward {format_expr(s.reward)}")
        if s.property is not None:
            if s.target is not None:
                body.append(f"  property {s.property} {s.target}")
            elif s.where is not None:
                body.append(f"  property where {format_bits(s.where)}")
            else:
                body.append(f"  property {s.property}")
        body += [f"  expect {e.side} {e.extent}" for e in s.expects]
        return f"reduction {s.name} {{\n" + "\n".join(body) + ("\n" if body else "") + "}"
    if isinstance(s, n.Sweep):
        body = []
        if s.family is not None:
            body.append(f"  family {s.family}")
        if s.low is not None:
            body.append(f"  tasks {s.low} to {s.high}")
        if s.draws is not None:
            body.append(f"  draws {s.draws}")
        if s.seed is not None:
            body.append(f"  seed {s.seed}")
        if s.by_data:
            body.append("  by data")
        if s.basis is not None:
            body.append(f"  basis {s.basis}")
        if s.measure:
            body.append("  measure " + " + ".join(x.text for x in s.measure))
        return f"sweep {s.name} {{\n" + "\n".join(body) + ("\n" if body else "") + "}"
    raise TypeError(f"cannot format {s!r}")


def _task_body(s: n.Task) -> str:
    body = []
    if s.inputs:
        body.append("  inputs " + ", ".join(x.text for x in s.inputs))
    if s.outputs:
        body.append("  outputs " + ", ".join(x.text for x in s.outputs))
    body += [f"  intended {o} = {format_bits(e)}" for o, e in s.intended]
    body += [f"  reward {o} = {format_bits(e)}" for o, e in s.reward]
    if s.train_states:
        body.append(
            "  train "
            + ", ".join(
                st.bits + (f": {format_expr(st.weight)}" if st.weight is not None else "")
                for st in s.train_states
            )
        )
    if s.train_where is not None:
        body.append(f"  train where {format_bits(s.train_where)}")
    if s.ignore_where is not None:
        body.append(f"  ignore where {format_bits(s.ignore_where)}")
    if s.horizon is not None:
        body.append(f"  horizon {s.horizon}")
    body += [f"  next {b} = {format_bits(e)}" for b, e in s.transitions]
    return "\n".join(body) + ("\n" if body else "")


_BIT_LEVEL = {"or": 1, "xor": 2, "and": 3, "=": 4, "!=": 4}


def format_bits(expr: n.BitExpr, parent: int = 0) -> str:
    """Source text of a bit expression, parenthesised only where needed."""
    if isinstance(expr, n.BitVar):
        return expr.name.text
    if isinstance(expr, n.BitConst):
        return str(expr.value)
    if isinstance(expr, n.BitNot):
        return f"not {format_bits(expr.operand, 5)}"
    level = _BIT_LEVEL[expr.op]
    # `=` and `!=` do not chain; the others are left-associative.
    right_level = level + 1
    left_level = level + 1 if expr.op in ("=", "!=") else level
    text = f"{format_bits(expr.left, left_level)} {expr.op} {format_bits(expr.right, right_level)}"
    return f"({text})" if level < parent else text


def format_source(source: n.SourceFile) -> str:
    return "".join(format_statement(s) + "\n" for s in source.statements)
