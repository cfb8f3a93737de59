"""The shell around the session: prompt_toolkit driven through a pipe, piped stdin, a real
pseudo-terminal, completion and history."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from essay_model import ESSAY_PROGRAMS
from grammar_words import compiled_keywords
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from calculus.repl import (
    _completer,
    history_path,
    read_inputs,
    run_interactive,
    run_piped,
)
from calculus.session import Session, needs_more
from calculus.syntax import KEYWORDS

ROOT = Path(__file__).parent.parent

TINY = """\
primitive a, b, slow
program P { stores a; runs slow }
program Q { stores a, b; runs a }
assume slow_is_slow: t(slow) > t(a)
claim q_faster: Q beats P on t
scenario s { t(slow) = 10; default = 1 }
"""

# DESIGN §4's example without `base_is_complex`: adding it back flips `sd_simpler`.
ESSAY_WITHOUT_ASSUMPTION = (
    'model "Speed prior vs deceptive mesa-optimizers"\n'
    + ESSAY_PROGRAMS
    + """\
exchange linear
assume t(find(get_proxy_for_base_obj(env))) >= t(get_proxy_for_base_obj)
claim fd_loses: Hfh beats Hfd
claim sd_simpler: c(Hsd) < c(Hfh)
claim sd_slower: t(Hfh) < t(Hsd)
"""
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.cost"
    path.write_text(TINY)
    return path


# ---- the prompt layer, driven through prompt_toolkit's pipe input ---------------------------------


def drive(
    keys: str, path: Path | None = None, session: Session | None = None, history: object = None
) -> tuple[Session, int, str, str]:
    session = session or Session()
    out, err = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = run_interactive(
            session,
            str(path) if path else None,
            history=history if history is not None else InMemoryHistory(),
            input=pipe,
            output=DummyOutput(),
            out=out,
            err=err,
        )
    return session, code, out.getvalue(), err.getvalue()


def test_prompt_evaluates_inputs_and_leaves_on_ctrl_d(tiny: Path) -> None:
    session, code, out, err = drive("Q beats P on t\r:show P\r\x04", tiny)
    assert code == 0 and err == ""
    assert "1 claim: 1 proved, 0 refuted, 0 unknown; all passed" in out
    assert "✓ proved   claim  it: Q beats P on t   [pass]" in out
    assert "  c(P) = c(a)" in out


def test_prompt_continues_an_unfinished_block(tiny: Path) -> None:
    session, _, out, _ = drive("program R {\rstores a, b\r\r}\rR beats Q on c\r\x04", tiny)
    assert "defined program R" in out
    assert session.model.programs["R"].stores[1].head.text == "b"
    assert "refuted  claim  it: R beats Q on c" in out


def test_prompt_continues_after_an_operator(tiny: Path) -> None:
    _, _, out, _ = drive("claim x: t(Q) <\rt(P)\r\x04", tiny)
    assert "✓ proved   claim  x: t(Q) < t(P)" in out


def test_two_empty_lines_give_up_on_an_unfinished_input(tiny: Path) -> None:
    _, _, out, err = drive("program R {\r\r\r:quit\r", tiny)
    assert "error[syntax]" in err and "a '}' is missing" in err


def test_ctrl_c_clears_the_line(tiny: Path) -> None:
    session, _, out, err = drive("claim x: t(Q) <\r\x03:quit\r", tiny)
    assert session.done and "x" not in session.results
    assert err == "" and "claim  x" not in out


def test_errors_do_not_end_the_prompt(tiny: Path) -> None:
    session, _, out, err = drive("Q beats Pp\r:nonsense\rQ beats P on t\r:quit\r", tiny)
    assert "<repl>:1:9: error[undeclared]: undeclared program 'Pp'" in err
    assert "unknown command ':nonsense'" in err
    assert "claim  it: Q beats P on t" in out


def test_tab_completes_a_command_and_a_name(tiny: Path) -> None:
    # Completion runs asynchronously, so the keys are typed at a human pace from a thread.
    session = Session()
    session.load(str(tiny))
    out, err = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:

        def type_slowly() -> None:
            for keys in (":wh", "\t", " q_fa", "\t", "\r", ":quit\r"):
                time.sleep(0.3)
                pipe.send_text(keys)

        typist = threading.Thread(target=type_slowly, daemon=True)
        typist.start()
        run_interactive(
            session,
            None,
            history=InMemoryHistory(),
            input=pipe,
            output=DummyOutput(),
            out=out,
            err=err,
        )
        typist.join(5)
    assert err.getvalue() == ""
    assert "q_faster: Q beats P on t" in out.getvalue()


def test_history_is_kept_in_the_user_data_directory(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history_path() == tmp_path / "data" / "cost" / "history"
    session = Session()
    out, err = io.StringIO(), io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("Q beats P on t\r:quit\r")
        run_interactive(session, str(tiny), input=pipe, output=DummyOutput(), out=out, err=err)
    assert "+Q beats P on t" in history_path().read_text()


def test_ctrl_r_searches_the_history(tiny: Path) -> None:
    history = InMemoryHistory()
    history.append_string(":show Q")
    history.append_string("P beats Q on c")
    # Ctrl-R, type part of an old input, Enter picks it, Enter runs it.
    _, _, out, _ = drive("\x12show\r\r:quit\r", tiny, history=history)
    assert "  c(Q) = c(a) + c(b)" in out


# ---- completion ----------------------------------------------------------------------------------


def completions(session: Session, text: str) -> list[str]:
    completer = _completer(session)
    return [c.text for c in completer.get_completions(Document(text, len(text)), CompleteEvent())]


@pytest.fixture
def loaded(tiny: Path) -> Session:
    session = Session()
    session.load(str(tiny))
    return session


def test_completion_of_commands(loaded: Session) -> None:
    assert completions(loaded, ":re") == [":reload", ":report"]
    assert completions(loaded, ":")[:3] == [":load", ":reload", ":show"]


def test_completion_of_declared_names(loaded: Session) -> None:
    assert completions(loaded, ":why q") == ["q_faster"]
    assert completions(loaded, ":show sl") == ["slow", "slow_is_slow"]
    assert completions(loaded, "claim z: P beats ") == ["P", "Q"]
    assert completions(loaded, "claim z: c(") == ["a", "b", "slow", "P", "Q"]
    assert completions(loaded, "program R { stores s") == ["slow"]
    assert completions(loaded, "ranges P, Q in ") == ["s"]
    assert completions(loaded, ":ranges P, Q in ") == ["s"]
    assert "Q" in completions(loaded, ":ranges P, ")


def test_completion_of_keywords_comes_from_the_grammar(loaded: Session) -> None:
    assert "program" in completions(loaded, "pro")
    assert completions(loaded, "exchange mo") == ["monotone"]
    # Every keyword of the grammar is known, and nothing else is called one.
    assert compiled_keywords() == set(KEYWORDS)


def test_completion_of_paths(loaded: Session, tmp_path: Path) -> None:
    (tmp_path / "other.cost").write_text("")
    found = completions(loaded, f":load {tmp_path}/oth")
    assert found == ["er.cost"]


# ---- without a terminal ----------------------------------------------------------------------------


def test_read_inputs_gathers_blocks_and_continued_formulas() -> None:
    lines = [
        "primitive a\n",
        "\n",
        "program P {\n",
        "  stores a\n",
        "\n",
        "}\n",
        "claim x: c(P) <\n",
        "  c(P) + 1\n",
        ":why x\n",
        "program Q {\n",
    ]
    assert list(read_inputs(lines, needs_more)) == [
        "primitive a",
        "program P {\n  stores a\n\n}",
        "claim x: c(P) <\n  c(P) + 1",
        ":why x",
        "program Q {",
    ]


def piped(script: str, path: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_piped(Session(), str(path) if path else None, io.StringIO(script), out, err)
    return code, out.getvalue(), err.getvalue()


def test_piped_exit_codes(tiny: Path) -> None:
    assert piped("Q beats P on t\n", tiny)[0] == 0
    assert piped("P beats Q on t\n", tiny)[0] == 1  # a checked formula fails
    assert piped("claim bad: P beats Q on t\n", tiny)[0] == 1  # a claim of the model fails
    assert piped("claim bad: P beats Q on t\n:forget bad\n", tiny)[0] == 0
    assert piped("Q beats X\n", tiny)[0] == 2  # an error
    assert piped("", tiny / "missing.cost")[0] == 2


def test_piped_quit_stops_reading(tiny: Path) -> None:
    code, out, err = piped(":quit\nQ beats X\n", tiny)
    assert code == 0 and err == ""


def test_piped_output_has_no_prompt_and_no_colour(tiny: Path) -> None:
    code, out, err = piped("program R {\n  stores a\n}\nR beats P on c\n", tiny)
    assert "cost>" not in out and "\x1b" not in out
    assert out.splitlines()[-2:] == [
        "✗ refuted  claim  it: R beats P on c   [FAIL]",
        "    counterexample: any admissible values",
    ]


def test_cost_repl_with_piped_stdin(tiny: Path) -> None:
    env = {**os.environ, "FORCE_COLOR": "1"}  # colour is still off: stdout is not a terminal
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "repl", str(tiny)],
        input="Q beats P on t\nP beats Q on t\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout and "cost>" not in done.stdout
    assert "✓ proved   claim  it: Q beats P on t   [pass]" in done.stdout
    assert "✗ refuted  claim  it: P beats Q on t   [FAIL]" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "calculus", "repl"],
        input="c(x) < 1\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 2
    assert "<repl>:1:3: error[undeclared]: undeclared name 'x'" in done.stderr
    assert "Traceback" not in done.stderr


# ---- end to end, in a pseudo-terminal ----------------------------------------------------------


def test_end_to_end_in_a_pseudo_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    essay = tmp_path / "essay.cost"
    essay.write_text(ESSAY_WITHOUT_ASSUMPTION)
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "TERM": "xterm",
    }
    started = time.perf_counter()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "calculus", "repl", str(essay)],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact("✗ refuted  claim  sd_simpler")
        child.expect_exact("3 claims: 2 proved, 1 refuted, 0 unknown; 1 failed")
        child.expect_exact("cost>")  # the prompt's trailing space is a cursor move
        child.sendline(":assume base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)")
        child.expect_exact("changed: sd_simpler was refuted, now proved")
        child.expect_exact("uses: base_is_complex")
        child.sendline(":why sd_simpler")
        child.expect_exact("base_is_complex: c(get_base_obj) > c(simplest_obj) + c(combine)")
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert (tmp_path / "data" / "cost" / "history").read_text().count("+:assume") == 1
    assert time.perf_counter() - started < 30
