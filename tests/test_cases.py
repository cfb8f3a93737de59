"""Golden `.cost` cases: tests/cases/<feature>/{success,failure}/*.cost, one test each.

Expected outcomes live in the files as comments:

    # expect NAME: proved uses A, B        (or `uses nothing`)
    # expect NAME: refuted ATOM ATOM=VALUE (atoms the counterexample must show)
    # expect NAME: unknown
    # expect-range SCENARIO PROGRAM: (lo, hi)   (or `empty`)
    # error CODE LINE:COL                  (failure cases pin the code and position)
    # expect-family NAME FAMILY: STATUS     (under `exchange` lists, the verdict per family)
    # expect-uses NAME: A, B                (the assumptions a refuted `for some costs` rules out)
    # expect OBJECTION.NAME: STATUS         (an objection's own claims)
    # expect-flip OBJECTION CLAIM: BEFORE -> AFTER

Files under a `lib` folder are only imported by the cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calculus.check import check_file
from calculus.dominance import format_intervals
from calculus.numbers import fraction_text

CASES = Path(__file__).parent / "cases"
ALL = sorted(CASES.rglob("*.cost"))


def _id(path: Path) -> str:
    return str(path.relative_to(CASES))


@pytest.mark.parametrize("path", [p for p in ALL if p.parent.name == "success"], ids=_id)
def test_success_case(path: Path) -> None:
    text = path.read_text()
    result = check_file(path)
    assert not result.diagnostics, [d.message for d in result.diagnostics]
    claims = {c.name: c for c in result.claims}
    for objection in result.objections:
        claims.update({f"{objection.name}.{c.name}": c for c in objection.claims})
    expectations = re.findall(r"^# expect ([\w.]+): (proved|refuted|unknown)(.*)$", text, re.M)
    range_expectations = re.findall(r"^# expect-range (\w+) (\w+): (.*)$", text, re.M)
    assert set(claims) == {name for name, _, _ in expectations}, "every claim has an expectation"
    for name, status, rest in expectations:
        verdict = claims[name].verdict
        assert verdict.status == status, (name, verdict)
        rest = rest.strip()
        if status == "proved" and rest.startswith("uses"):
            wanted = rest[len("uses") :].strip()
            wanted_set = set() if wanted == "nothing" else {u.strip() for u in wanted.split(",")}
            assert set(verdict.uses) == wanted_set, (name, verdict.uses)
        if status == "refuted":
            shown = {atom: fraction_text(value) for atom, value in verdict.counterexample or ()}
            for token in rest.split():
                atom, _, value = token.partition("=")
                assert atom in shown, (name, atom, shown)
                if value:
                    assert shown[atom] == value, (name, atom, shown)
        assert claims[name].passed == (
            status == ("proved" if claims[name].kind == "claim" else "refuted")
        )
    for name, family, status in re.findall(r"^# expect-family (\w+) (\w+): (\w+)$", text, re.M):
        assert dict(claims[name].by_family)[family].status == status, (name, family)
    for name, wanted in re.findall(r"^# expect-uses (\w+): (.*)$", text, re.M):
        assert set(claims[name].verdict.uses) == {u.strip() for u in wanted.split(",")}
    flips = {(o.name, f.claim): (f.before, f.after) for o in result.objections for f in o.flips}
    wanted_flips = {
        (objection, claim): (before, after)
        for objection, claim, before, after in re.findall(
            r"^# expect-flip (\w+) (\w+): (\w+) -> (\w+)$", text, re.M
        )
    }
    assert flips == wanted_flips
    for scenario, program, wanted in range_expectations:
        rows = {
            row.program: row
            for ranges in result.ranges
            if ranges.scenario == scenario
            for row in ranges.rows
        }
        got = format_intervals(rows[program].robust)
        assert got == ("∅" if wanted.strip() == "empty" else wanted.strip()), (program, got)
        assert rows[program].robust == rows[program].possible  # a scenario has one reading


@pytest.mark.parametrize("path", [p for p in ALL if p.parent.name == "failure"], ids=_id)
def test_failure_case(path: Path) -> None:
    text = path.read_text()
    (code, line, column), *_ = re.findall(r"^# error ([\w-]+) (\d+):(\d+)$", text, re.M)
    result = check_file(path)
    assert result.diagnostics, "a failure case must be rejected"
    first = result.diagnostics[0]
    assert (first.code, first.line, first.column) == (code, int(line), int(column)), first


def test_every_case_states_its_expectation() -> None:
    for path in ALL:
        text = path.read_text()
        if path.parent.name == "failure":
            assert re.search(r"^# error ", text, re.M), path
        else:
            assert re.search(r"^# expect", text, re.M) or "no claims" in text, path
