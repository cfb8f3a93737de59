"""Well-definedness of divisions (DESIGN §12) beyond the golden cases: where the obligation
points, its witness, divisions inside program formulas, ranges and scenarios."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from calculus.check import check_source

PROGRAMS = """\
primitive p, q, sp, sq
program P { stores p; runs sp }
program Q { stores q; runs sq }
assume not_bigger: c(p) <= c(q)
"""


def _claim(text: str) -> object:
    result = check_source(text, "f.cost")
    assert not result.diagnostics, result.diagnostics
    return result.claims[-1].verdict


def test_reason_names_the_division_and_the_witness_is_exact() -> None:
    verdict = _claim("primitive a, b\nclaim z1: c(a) = c(b) -> c(a) / (c(a) - c(b)) = 5\n")
    assert verdict.status == "unknown"  # type: ignore[attr-defined]
    assert verdict.reason.startswith("possible division by zero at f.cost:2:26")  # type: ignore[attr-defined]
    witness = dict(verdict.counterexample)  # type: ignore[attr-defined]
    assert witness["c(a)"] == witness["c(b)"] > 0  # the denominator is 0 there, exactly
    assert any("assume c(a) - c(b) != 0" in note for note in verdict.notes)  # type: ignore[attr-defined]


def test_the_threshold_claim_is_not_proved_at_a_tie() -> None:
    claim = "claim threshold: g > (t(Q) - t(P)) / (c(P) - c(Q)) -> P beats Q\n"
    verdict = _claim(PROGRAMS + claim)
    assert verdict.status == "unknown"  # type: ignore[attr-defined]
    witness = dict(verdict.counterexample)  # type: ignore[attr-defined]
    assert witness["c(p)"] == witness["c(q)"]
    # Under `c(p) < c(q)` the denominator is never 0 and the claim holds (P beats Q exactly
    # when g·(c(p) − c(q)) < t(sq) − t(sp), i.e. g > the threshold).
    strict = PROGRAMS.replace("c(p) <= c(q)", "c(p) < c(q)")
    assert _claim(strict + claim).status == "proved"  # type: ignore[attr-defined]


def test_division_inside_a_program_formula_points_at_the_formula() -> None:
    text = (
        "primitive a, b\nprimitive n (nonneg)\n"
        "program P { c = c(a) / c(n); t = t(a) }\nprogram Q { stores b; runs b }\n"
        "claim k: P beats Q on c\n"
    )
    verdict = _claim(text)
    assert verdict.status == "unknown"  # type: ignore[attr-defined]
    assert "f.cost:3:17" in verdict.reason  # type: ignore[attr-defined]
    assert dict(verdict.counterexample)["c(n)"] == Fraction(0)  # type: ignore[attr-defined]


def test_inherited_formula_divisions_count_through_extends() -> None:
    text = (
        "primitive a, b\nprimitive n (nonneg)\n"
        "program P { c = c(a) / c(n); t = t(a) }\nprogram R extends P { runs b }\n"
        "claim k: c(R) > 0\n"
    )
    assert _claim(text).status == "unknown"  # type: ignore[attr-defined]


def test_constant_zero_denominator() -> None:
    verdict = _claim("primitive a\nclaim k: 1 / (c(a) - c(a)) > 0\n")
    assert verdict.status == "unknown"  # type: ignore[attr-defined]
    assert "division by zero at f.cost:2:10" in verdict.reason  # type: ignore[attr-defined]


def test_thresholds_state_the_tie_case() -> None:
    result = check_source(PROGRAMS + "ranges P, Q\n")
    (ranges,) = result.ranges
    texts = [t.text for row in ranges.rows for t in row.thresholds]
    assert any("c(p) - c(q) = 0" in text for text in texts), texts


def test_ranges_over_a_possibly_undefined_cost_are_unknown() -> None:
    text = (
        "primitive a, b\nprimitive n (nonneg)\n"
        "program P { c = c(a) / c(n); t = t(a) }\nprogram Q { stores b; runs b }\n"
        "ranges P, Q\n"
    )
    (ranges,) = check_source(text, "f.cost").ranges
    assert ranges.status == "unknown"
    assert ranges.reason.startswith("possible division by zero at f.cost:3:17")


def test_a_scenario_that_divides_by_zero_is_an_input_error() -> None:
    text = (
        "primitive a, b\nprimitive n (nonneg)\n"
        "program P { c = c(a) / c(n); t = t(a) }\nprogram Q { stores b; runs b }\n"
        "scenario s { c(n) = 0; default = 1 }\nranges P, Q in s\n"
    )
    (diagnostic,) = check_source(text, "f.cost").diagnostics
    assert (diagnostic.code, diagnostic.line) == ("scenario", 6)


def test_an_assumption_holds_only_where_it_is_defined() -> None:
    # `0 / (c(d) - t(a))` is 0 wherever it is defined, but undefined at c(d) = t(a): a point
    # there does not satisfy the assumption, so no counterexample may sit there. (One did,
    # when the assumption was read as sympy simplified it: `2·c(b) >= c(a)`.)
    text = (
        "primitive a, b, d\n"
        "assume h0: 0 / (c(d) - t(a)) + 2 * c(b) >= c(a)\n"
        "claim k1: t(a) < c(b) / (c(d) + 5)\n"
    )
    verdict = _claim(text)
    assert verdict.status == "refuted"  # type: ignore[attr-defined]
    values = dict(verdict.assignment)  # type: ignore[attr-defined]
    assert values["c(d)"] != values["t(a)"]
    assert 2 * values["c(b)"] >= values["c(a)"]
    assert not values["t(a)"] < values["c(b)"] / (values["c(d)"] + 5)


def test_an_assumption_dividing_by_zero_holds_nowhere_and_proves_nothing() -> None:
    # `0 / c(a)` is 0 for every c(a) > 0, so `2 / (0 / c(a))` is defined nowhere: the
    # assumption would make every claim vacuously proved. Found by the fuzzing run, where the
    # same file's `ranges` also ended in an internal error (sympy's complex infinity).
    programs = "program P { stores a; runs a }\nprogram Q { stores b; runs a }\n"
    text = f"primitive a, b\n{programs}assume h: 2 / (0 / c(a)) > 1\nclaim k: c(a) > 2 * c(b)\n"
    result = check_source(text + "ranges P, Q\n", "f.cost")
    assert not result.diagnostics, result.diagnostics
    (claim,) = result.claims
    assert claim.verdict.status == "unknown"
    assert claim.verdict.reason.startswith("division by zero at f.cost:4:11 in assumption h")  # type: ignore[union-attr]
    (ranges,) = result.ranges
    assert ranges.status == "unknown"
    assert "in assumption h" in (ranges.reason or "")
    # A division by a non-constant in an assumption still only restricts where it holds.
    fine = "primitive a, b\nassume h: c(a) / (c(a) - c(b)) > 1\nclaim k: c(a) > c(b)\n"
    assert _claim(fine).status == "proved"  # type: ignore[attr-defined]


# ---- imported statements: a place is in the file the division is written in ---------------


def test_a_division_in_an_imported_claim_or_program_is_placed_in_its_own_file(
    tmp_path: Path,
) -> None:
    from calculus.check import check_file

    base = tmp_path / "base.cost"
    base.write_text(
        "primitive a, b\nprimitive n (nonneg)\n"
        "program P { c = c(a) / c(n); t = t(a) }\nprogram Q { stores b; runs b }\n"
        "claim z1: c(a) / (c(b) - 3) > 0\n"
    )
    main = tmp_path / "main.cost"
    main.write_text('import "base.cost"\n\nclaim k: P beats Q on c\n')
    result = check_file(main)
    assert not result.diagnostics, result.diagnostics
    reasons = {c.name: c.verdict.reason or "" for c in result.claims}
    # `c(a) / (c(b) - 3)` is at base.cost 5:11; P's formula `c(a) / c(n)` at base.cost 3:17.
    assert f"possible division by zero at {base}:5:11" in reasons["z1"]
    assert f"possible division by zero at {base}:3:17" in reasons["k"]
    assert str(main) not in reasons["z1"] + reasons["k"]


def test_a_scenario_error_is_placed_in_the_file_of_the_statement_at_fault(
    tmp_path: Path,
) -> None:
    from calculus.check import check_file

    base = tmp_path / "base.cost"
    base.write_text(
        "primitive a, b\nprogram P { stores a; runs a }\nprogram Q { stores b; runs b }\n"
        "scenario zero { c(a) = 0; default = 1 }\nscenario part { c(a) = 1 }\n"
    )
    main = tmp_path / "main.cost"
    main.write_text('import "base.cost"\nranges P, Q in zero\n')
    (diagnostic,) = check_file(main).diagnostics
    # The scenario sets an atom to 0: the scenario (base.cost, line 4) is at fault.
    assert (diagnostic.path, diagnostic.line, diagnostic.code) == (str(base), 4, "scenario")
    main.write_text('import "base.cost"\n\nranges P, Q in part\n')
    (diagnostic,) = check_file(main).diagnostics
    # The scenario leaves atoms without a value: the `ranges` that needs them (main.cost 3).
    assert (diagnostic.path, diagnostic.line, diagnostic.code) == (str(main), 3, "scenario")
