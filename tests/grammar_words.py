"""The words of the grammar as lark compiles them: an independent reading of the grammar,
to check the vocabulary `calculus.syntax` derives from its text."""

from __future__ import annotations

import re

from calculus.syntax import lark_parser

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def compiled_keywords() -> set[str]:
    """The words among the compiled grammar's literal terminals (`program`, `beats`, …)."""
    return {
        str(terminal.pattern.value)
        for terminal in lark_parser().terminals
        if terminal.pattern.type == "str" and _IDENTIFIER.fullmatch(str(terminal.pattern.value))
    }
