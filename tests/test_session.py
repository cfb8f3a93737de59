"""The REPL's pure core: `Session.eval` on statements, bare formulas and `:commands`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calculus import nodes as n
from calculus.check import check_file, check_source
from calculus.model import build_model
from calculus.session import COMMANDS, Output, Session, needs_more, resolve_command, shift_spans
from calculus.syntax import parse

ROOT = Path(__file__).parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"

TINY = """\
model "tiny"
primitive a, b, slow
program P { stores a; runs slow }
program Q { stores a, b; runs a }
assume slow_is_slow: t(slow) > t(a)
claim q_faster: Q beats P on t
claim p_simpler: P beats Q on c
"""


def kinds(outputs: list[Output]) -> list[str]:
    return [o.kind for o in outputs]


def text(outputs: list[Output]) -> str:
    return "\n".join(o.text for o in outputs)


@pytest.fixture
def session() -> Session:
    fresh = Session(timeout=10)
    for statement in TINY.splitlines():
        outputs = fresh.eval(statement)
        assert not any(o.is_error for o in outputs), text(outputs)
    return fresh


def verdict(session: Session, name: str) -> str:
    return session.results[name].verdict.status


# ---- statements take effect at once --------------------------------------------------------


def test_defining_a_claim_prints_its_verdict(session: Session) -> None:
    outputs = session.eval("claim q_simpler_on_c: P beats Q on c")
    assert kinds(outputs) == ["verdict"]
    assert outputs[0].claim is not None and outputs[0].claim.verdict.status == "proved"
    assert "✓ proved" in outputs[0].text and "[pass]" in outputs[0].text
    assert verdict(session, "q_simpler_on_c") == "proved"


def test_defining_a_program_shows_its_derived_costs(session: Session) -> None:
    outputs = session.eval("program R extends P { stores b }")
    assert "defined program R" in text(outputs)
    assert "c(R) = c(a) + c(b)" in text(outputs)
    assert "t(R) = t(slow)" in text(outputs)
    assert "R" in session.model.programs


def test_redefining_a_program_flips_a_dependent_verdict(session: Session) -> None:
    assert verdict(session, "q_faster") == "proved"
    outputs = session.eval("program Q { stores a, b; runs slow, a }")
    assert "replaced program Q" in text(outputs)
    changed = [o for o in outputs if o.kind == "changed"]
    assert len(changed) == 1
    assert changed[0].lines[0] == "changed: q_faster was proved, now refuted"
    assert verdict(session, "q_faster") == "refuted"
    # The claim that does not depend on the change keeps its verdict and is not reprinted.
    assert "p_simpler" not in text(outputs)


def test_restating_a_claim_replaces_it(session: Session) -> None:
    outputs = session.eval("claim p_simpler: Q beats P on c")
    assert outputs[0].claim is not None and outputs[0].claim.verdict.status == "refuted"
    assert [c.name for c in session.model.claims].count("p_simpler") == 1
    assert not any(o.kind == "changed" for o in outputs)  # its own verdict is shown once


def test_adding_and_forgetting_an_assumption_flips_a_verdict(session: Session) -> None:
    outputs = session.eval(":forget slow_is_slow")
    assert "forgot slow_is_slow" in text(outputs)
    assert "changed: q_faster was proved, now refuted" in text(outputs)
    outputs = session.eval(":assume slow_is_slow: t(slow) > t(a)")
    assert "changed: q_faster was refuted, now proved" in text(outputs)
    assert session.results["q_faster"].verdict.uses == ("slow_is_slow",)


def test_a_bare_formula_is_checked_but_not_added(session: Session) -> None:
    proved = session.eval("c(P) < c(Q)")
    assert kinds(proved) == ["verdict"] and "✓ proved" in proved[0].text
    refuted = session.eval("c(Q) < c(P)")
    assert "✗ refuted" in refuted[0].text and "[FAIL]" in refuted[0].text
    assert [c.name for c in session.model.claims] == ["q_faster", "p_simpler"]
    assert session.exit_code() == 1  # a checked formula failed


def test_a_bare_formula_may_span_lines_and_use_for_some_g(session: Session) -> None:
    outputs = session.eval("Q beats P for some g")
    assert outputs[0].claim is not None and outputs[0].claim.verdict.status == "proved"
    outputs = session.eval("t(Q) <\n  t(P)")
    assert outputs[0].claim is not None and outputs[0].claim.verdict.status == "proved"


def test_a_multi_line_block(session: Session) -> None:
    outputs = session.eval("program R {\n  stores a\n\n  runs a, a\n}")
    assert "t(R) = 2*t(a)" in text(outputs)


def test_anonymous_statements_get_distinct_names(session: Session) -> None:
    session.eval("assume t(a) > 1")
    session.eval("assume t(b) > 1")
    names = [a.name for a in session.model.assumptions]
    assert len(set(names)) == 3 and all(name.startswith(("assume@", "slow")) for name in names)
    session.eval("assume t(b) > 1")  # the same statement again changes nothing
    assert len(session.model.assumptions) == 3


def test_a_typed_ranges_statement_is_computed(session: Session) -> None:
    session.eval("scenario s { t(slow) = 10; default = 1 }")
    outputs = session.eval("ranges P, Q in s")
    assert kinds(outputs) == ["ranges"]
    assert "ranges of g (P, Q) in scenario s:" in outputs[0].text
    assert len(session.model.ranges) == 1


# ---- commands ---------------------------------------------------------------------------------


def test_why_a_proof_lists_the_assumptions_it_used(session: Session) -> None:
    outputs = session.eval(":why q_faster")
    assert kinds(outputs) == ["show"]
    assert outputs[0].lines[:4] == (
        "q_faster: Q beats P on t",
        "  proved",
        "  using exactly these (dropping any one breaks the proof):",
        "    slow_is_slow: t(slow) > t(a)",
    )
    outputs = session.eval(":why p_simpler")
    assert "    positivity: every cost atom is > 0" in outputs[0].text


def test_why_a_refutation_shows_the_counterexample(session: Session) -> None:
    session.eval("claim wrong: Q beats P on c")
    lines = session.eval(":why wrong")[0].lines
    assert "  refuted (so this claim fails)" in lines
    assert any(line.strip().startswith("c(b)") and "=" in line for line in lines)
    assert lines[-1].strip().endswith("at the counterexample")


def test_why_without_a_name_explains_the_last_verdict(session: Session) -> None:
    session.eval("c(Q) < c(P)")
    outputs = session.eval(":why")
    assert outputs[0].lines[0] == "it: c(Q) < c(P)"
    assert session.eval(":why it")[0].lines[0] == "it: c(Q) < c(P)"


def test_show_a_program_gives_c_t_and_the_derivation(session: Session) -> None:
    session.eval("program R extends Q { stores a; runs 3 * slow }")
    lines = session.eval(":show R")[0].lines
    assert lines[0] == "program R extends Q {"
    assert "  c(R) = c(a) + c(b)" in lines
    assert "  t(R) = t(a) + 3*t(slow)" in lines
    assert "  derivation:" in lines
    assert any("stores are a set" in line for line in lines)


def test_show_a_claim_gives_its_verdict(session: Session) -> None:
    text_shown = session.eval(":show q_faster")[0].text
    assert "claim q_faster: Q beats P on t" in text_shown and "✓ proved" in text_shown


def test_show_a_primitive_and_an_assumption(session: Session) -> None:
    session.eval("primitive fixed { c = 2; t = 1/4 }")
    assert "c(fixed) = 2 (fixed)" in session.eval(":show fixed")[0].text
    assert "t(a) is a cost atom, > 0" in session.eval(":show a")[0].text
    assert "used by: q_faster" in session.eval(":show slow_is_slow")[0].text


def test_show_without_a_name_lists_the_model(session: Session) -> None:
    shown = session.eval(":show")[0].text
    assert "programs: P, Q" in shown and "q_faster (proved)" in shown


def test_forget_removes_a_claim(session: Session) -> None:
    session.eval(":forget p_simpler")
    assert [c.name for c in session.model.claims] == ["q_faster"]


def test_forget_refuses_what_is_still_used(session: Session) -> None:
    before = session.statements
    outputs = session.eval(":forget P")
    assert outputs[0].is_error
    assert "cannot forget P: the rest of the model still uses it" in outputs[0].text
    assert "undeclared" in text(outputs)
    assert session.statements == before


def test_check_all_and_by_name(session: Session) -> None:
    outputs = session.eval(":check")
    assert kinds(outputs) == ["verdict", "verdict", "info"]
    assert outputs[-1].text == "2 claims: 2 proved, 0 refuted, 0 unknown; all passed"
    assert kinds(session.eval(":check q_faster")) == ["verdict", "info"]


def test_ranges_command_does_not_change_the_model(session: Session) -> None:
    session.eval("scenario s { t(slow) = 10; default = 1 }")
    outputs = session.eval(":ranges P, Q in s")
    assert outputs[0].kind == "ranges" and "P  wins for g in" in outputs[0].text
    assert session.model.ranges == ()


def test_help_lists_every_command(session: Session) -> None:
    shown = session.eval(":help")[0].text
    for command in COMMANDS:
        assert command.usage in shown


def test_quit(session: Session) -> None:
    assert session.eval(":quit") == [] and session.done


def test_command_prefixes() -> None:
    assert getattr(resolve_command("q"), "name", None) == "quit"
    assert resolve_command("s") == ["show", "save"]


# ---- errors never end the session -------------------------------------------------------------


def test_a_syntax_error_is_shown_like_the_cli(session: Session) -> None:
    outputs = session.eval("claim x: c(a) < < c(b)")
    assert kinds(outputs) == ["error"]
    lines = outputs[0].lines
    assert lines[0].startswith("<repl>:1:17: error[syntax]: unexpected '<'")
    assert lines[1] == "  claim x: c(a) < < c(b)"
    assert lines[2] == "                  ^"
    assert session.eval("c(P) < c(Q)")[0].kind == "verdict"  # still alive


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "reduction r { basis b3 }",
            ("1:21: error[unknown-basis]: unknown basis 'b3'", "  hint: one of: b2, aig"),
        ),
        (
            "reduction r { measure width }",
            (
                "1:23: error[unknown-measure]: unknown measure 'width'",
                "  hint: one of: size, depth, size+depth",
            ),
        ),
        (
            "task door {\n  inputs x, y\n  outputs a\n  train 102\n}",
            ("4:9: error[type]: a state is written in bits, not '102'",),
        ),
        (
            "tasks both { door; door }\nreduction r { tasks both; tasks both }",
            ("2:27: error[given-twice]: reduction 'r' sets `tasks` twice",),
        ),
    ],
)
def test_a_faulty_task_or_reduction_is_diagnosed_like_the_cli(
    tmp_path: Path, source: str, expected: tuple[str, ...]
) -> None:
    # The REPL reads these as statements, not as bare formulas, so its diagnostic is the one
    # `cost check` gives for the same text.
    outputs = Session().eval(source)
    assert kinds(outputs) == ["error"]
    assert outputs[0].lines[0] == "<repl>:" + expected[0]
    for line in expected[1:]:
        assert line in outputs[0].lines
    path = tmp_path / "faulty.cost"
    path.write_text(source + "\n")
    diagnostic = check_file(path).diagnostics[0]
    assert (
        f"{diagnostic.line}:{diagnostic.column}: error[{diagnostic.code}]: " + (diagnostic.message)
        == expected[0]
    )


def test_an_undeclared_name_points_at_the_typed_line(session: Session) -> None:
    outputs = session.eval("Q beats Pp")
    assert outputs[0].lines == (
        "<repl>:1:9: error[undeclared]: undeclared program 'Pp'",
        "  Q beats Pp",
        "          ^~",
        "  hint: did you mean 'P'?",
    )


def test_a_rejected_input_leaves_the_model_unchanged(session: Session) -> None:
    before = session.statements
    outputs = session.eval("program Q { stores a, nope }\nclaim z: c(Q) < 1")
    assert outputs[0].is_error and "undeclared name 'nope'" in outputs[0].text
    assert session.statements == before
    assert session.exit_code() == 2


def test_an_error_in_an_older_statement_points_at_where_it_was_typed(session: Session) -> None:
    # Turning the primitive `slow` into a program breaks P, typed earlier on its own line.
    outputs = session.eval("program slow { stores a }")
    shown = outputs[0].text
    assert "<repl>:1:" in shown and "'slow' is a program, not a primitive" in shown
    assert "  program P { stores a; runs slow }" in shown


def test_errors_in_a_loaded_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.cost"
    path.write_text("primitive a\nprogram P { stores a }\n\nclaim x: c(P) < c(b)\n")
    session = Session()
    outputs = session.load(str(path))
    assert outputs[0].lines[0] == f"{path}:4:19: error[undeclared]: undeclared name 'b'"
    assert outputs[0].lines[1] == "  claim x: c(P) < c(b)"


def test_unknown_commands_and_names(session: Session) -> None:
    outputs = session.eval(":shwo P")
    assert "unknown command ':shwo'" in outputs[0].text and "':show'" in outputs[0].text
    outputs = session.eval(":why q_fastr")
    assert outputs[0].lines[:3] == (
        "<repl>:1:6: error[undeclared]: no claim named 'q_fastr'",
        "  :why q_fastr",
        "       ^~~~~~~",
    )


def test_an_internal_failure_is_reported_not_raised(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("calculus.check.decide_claim", broken)
    outputs = session.eval("claim new_one: c(Q) < c(P) + 7")
    assert outputs[0].is_error and "internal error: RuntimeError: boom" in outputs[0].text
    assert "new_one" not in session.results
    monkeypatch.undo()
    assert session.eval("claim new_one: c(Q) < c(P) + 7")[0].kind == "verdict"


def test_load_of_a_missing_file(tmp_path: Path) -> None:
    session = Session()
    outputs = session.load(str(tmp_path / "nope.cost"))
    assert outputs[0].is_error and "cannot read file" in outputs[0].text
    assert session.eval(":reload")[0].is_error


# ---- unfinished input is decided by the parser -----------------------------------------------


@pytest.mark.parametrize(
    "text, more",
    [
        ("program P {", True),
        ("program P {\n  stores a", True),
        ("program P {\n  stores a\n}", False),
        ("claim x: c(a) <", True),
        ("claim x: (c(a) +", True),
        ("claim x: (c(a)", True),
        ("claim x:", True),
        ("c(a) <", True),
        ("c(a) < (c(b)", True),
        ("c(a) < c(b)", False),
        ("primitive a,", True),
        ("program P", False),  # `{` must be on the same line: an error, not a continuation
        ("claim x: c(a) < < c(b)", False),
        (":assume c(a) <", True),
        (":ranges P,", True),
        (":why", False),
        ("", False),
        ("# a comment", False),
    ],
)
def test_needs_more(text: str, more: bool) -> None:
    assert needs_more(text) is more


# ---- caching and the essay ----------------------------------------------------------------------


def test_an_unchanged_problem_is_not_decided_again(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import calculus.check as module

    calls: list[str] = []
    real = module.decide_claim

    def counting(costs, claim, name, timeout, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(name)
        return real(costs, claim, name, timeout, **kwargs)

    monkeypatch.setattr(module, "decide_claim", counting)
    session.eval("primitive unrelated")
    session.eval("claim p_simpler: P beats Q on c")
    session.eval("P beats Q on c")
    assert calls == []
    session.eval("claim p_simpler: P beats Q on c or c(a) > 5")
    assert calls == ["p_simpler"]


def test_the_essay_loads_with_the_verdicts_of_cost_check() -> None:
    session = Session()
    outputs = session.load(str(ESSAY))
    expected = check_file(ESSAY)
    assert not any(o.is_error for o in outputs)
    assert outputs[-1].lines[-1].startswith(f"{len(expected.claims)} claims:")
    assert {name: r.verdict.status for name, r in session.results.items()} == {
        c.name: c.verdict.status for c in expected.claims
    }
    assert session.exit_code() == 0


# ---- :save writes the model back ---------------------------------------------------------------


def test_save_round_trip(tmp_path: Path) -> None:
    session = Session()
    session.load(str(ESSAY))
    session.eval("assume extra: c(env) > 2")
    session.eval("program Hfd extends Hfh {\n  stores simplest_obj\n}")
    session.eval("claim added: Hfh beats Hfd on c for some g")
    session.eval(":forget fd_slower")
    target = tmp_path / "saved.cost"
    outputs = session.eval(f":save {target}")
    assert outputs[0].text == f"saved {len(session.statements)} statements to {target}"
    reparsed = parse(target.read_text(), str(target))
    assert reparsed.statements == session.statements
    model = build_model(reparsed)
    assert model.programs == session.model.programs
    assert model.primitives == session.model.primitives
    assert [a.node for a in model.assumptions] == [a.node for a in session.model.assumptions]
    assert [c.node for c in model.claims] == [c.node for c in session.model.claims]
    # and `cost check` of the saved file agrees with the session's verdicts
    checked = check_file(target)
    assert {c.name: c.verdict.status for c in checked.claims if "@" not in c.name} == {
        name: r.verdict.status for name, r in session.results.items() if "@" not in name
    }


def test_save_to_an_unwritable_place(session: Session, tmp_path: Path) -> None:
    outputs = session.eval(f":save {tmp_path}/no/such/dir/x.cost")
    assert outputs[0].is_error and "cannot write" in outputs[0].text


# ---- :report ------------------------------------------------------------------------------------


def test_report_hands_the_session_model_to_the_report_writer(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("calculus.report")
    written: list[object] = []

    def fake_write(result: object, path: Path) -> None:
        written.append((result, path))

    monkeypatch.setattr("calculus.report.write_report", fake_write)
    outputs = session.eval(f":report {tmp_path / 'out.html'}")
    assert outputs[0].text == f"wrote the report to {tmp_path / 'out.html'}"
    result, path = written[0]  # type: ignore[misc]
    assert path == tmp_path / "out.html"
    assert [c.name for c in result.claims] == ["q_faster", "p_simpler"]  # type: ignore[attr-defined]
    # Positions refer to the source the report shows: the model as `:save` writes it.
    shown = result.source.splitlines()  # type: ignore[attr-defined]
    assert shown[result.claims[0].span.line - 1] == "claim q_faster: Q beats P on t"  # type: ignore[attr-defined]


def test_report_without_the_report_module(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "calculus.report", None)
    outputs = session.eval(f":report {tmp_path / 'out.html'}")
    assert outputs[0].is_error and "proof reports are not available" in outputs[0].text


# ---- positions --------------------------------------------------------------------------------


def test_shift_spans_moves_every_span() -> None:
    claim = parse("claim x: c(a) < 1").statements[0]
    moved = shift_spans(claim, 9)
    assert isinstance(moved, n.Claim)
    assert moved.span.line == 10 and moved.formula.span.line == 10
    assert moved == claim  # spans never decide equality


# ---- Ctrl-C leaves the session as it was --------------------------------------------------------

OTHER = """\
model "other"
primitive x, y
program R { stores x; runs y }
claim r_positive: c(R) > 0
task k { inputs i; outputs o; intended o = i; train 0, 1 }
tasks ks { k }
reduction red { tasks ks; bad k }
"""


@pytest.mark.parametrize(
    "interrupted",
    ["calculus.check.decide_claim", "calculus.check.check_reduction_statement"],
    ids=["while-deciding", "while-reducing"],
)
def test_ctrl_c_during_load_leaves_the_session_unchanged(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupted: str
) -> None:
    path = tmp_path / "other.cost"
    path.write_text(OTHER)
    before = (session.statements, session.model, dict(session.results), session.loaded_path)

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(interrupted, ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        session.eval(f":load {path}")
    monkeypatch.undo()
    assert (session.statements, session.model, session.results, session.loaded_path) == before
    # `:save` writes the model as it was before the load, and the session goes on.
    saved = tmp_path / "saved.cost"
    session.eval(f":save {saved}")
    assert parse(saved.read_text()).statements == parse(TINY).statements
    assert verdict(session, "q_faster") == "proved"
    assert session.eval("c(P) < c(Q)")[0].kind == "verdict"
    assert session.exit_code() == 0


def test_loading_prints_one_line_per_passing_claim(tmp_path: Path) -> None:
    path = tmp_path / "tiny.cost"
    path.write_text(TINY + "claim wrong: c(P) > c(Q)\n")
    lines = Session().load(str(path))[0].lines
    assert lines[0] == f"{path} — tiny"
    assert sum("✓ proved" in line for line in lines) == 2
    assert lines[-1] == "3 claims: 2 proved, 1 refuted, 0 unknown; 1 failed"
    detail = lines[lines.index(next(li for li in lines if "claim  wrong" in li)) + 1 :]
    assert any("counterexample" in line for line in detail)
    assert len(lines) < 10


# ---- exchange lists: every family, as `cost check` decides them -----------------------------

EXCHANGE_LIST = """\
primitive a, b
exchange linear, subadditive
claim split: g(c(a)) + g(c(b)) <= g(c(a) + c(b))
claim joined: g(c(a) + c(b)) <= g(c(a)) + g(c(b))
"""


def test_every_family_of_an_exchange_list_is_decided() -> None:
    session = Session()
    outputs = [session.eval(line) for line in EXCHANGE_LIST.splitlines()]
    assert not any(o.is_error for each in outputs for o in each)
    # Under g(x) = g·x both are equalities; a subadditive g satisfies `joined` by
    # definition, and g(x) = sqrt(x) breaks `split` (sqrt(1) + sqrt(1) > sqrt(2)).
    split, joined = session.results["split"], session.results["joined"]
    assert [family for family, _ in split.by_family] == ["linear", "subadditive"]
    assert dict(split.by_family)["linear"].status == "proved"
    assert dict(split.by_family)["subadditive"].status in ("refuted", "unknown")
    assert not split.passed
    assert {f: v.status for f, v in joined.by_family} == {
        "linear": "proved",
        "subadditive": "proved",
    }
    assert joined.passed
    # The verdict line has one column per family, as `cost check` prints it.
    line = outputs[2][0].lines[0]
    assert line.split()[:2] == ["✓", "proved"] and line.endswith("[FAIL]")
    assert line.split()[2:4] in (["✗", "refuted"], ["?", "unknown"])
    assert outputs[2][0].lines[1].startswith("    linear: ")
    # The same verdicts as `cost check` of the same text.
    checked = check_source(EXCHANGE_LIST)
    assert {c.name: [(f, v.status) for f, v in c.by_family] for c in checked.claims} == {
        name: [(f, v.status) for f, v in r.by_family] for name, r in session.results.items()
    }
    # `:why` gives each family's verdict and what backs it; `:show` lists the families.
    why = session.eval(":why split")[0].lines
    assert why[1] == "  linear proved, subadditive refuted (so this claim fails)"
    assert why[2:4] == ("  under linear: proved", "    it holds outright: no assumption is needed")
    assert "  under subadditive: refuted" in why
    overview = session.eval(":show")[0].lines
    assert "  exchange linear, subadditive" in overview
    assert (
        "  claims: split (linear proved, subadditive refuted), "
        "joined (linear proved, subadditive proved)"
    ) in overview
    # A bare formula is decided under every family too.
    formula = session.eval("g(c(a)) + g(c(b)) <= g(c(a) + c(b))")[0]
    assert formula.claim is not None
    assert [f for f, _ in formula.claim.by_family] == ["linear", "subadditive"]
    assert not formula.claim.passed
    assert session.exit_code() == 1
