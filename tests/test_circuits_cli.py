"""``cost synth`` semantics through ``synth_main``: text, JSON, exit statuses, bad input."""

from __future__ import annotations

import io
import json
import re
import signal
import sys

import pytest

from calculus.circuits.circuit import Circuit, Gate, Output
from calculus.circuits.cli import synth_main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = synth_main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_text_listing_of_majority() -> None:
    status, out, err = run("--inputs", "3", "--table", "e8")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "size 4, depth 3 (basis b2, measure size = 4)"
    assert lines[1].startswith("proved minimal: no circuit with fewer than 4 gates")
    assert sum(line.startswith("g") for line in lines) == 4
    assert lines[-1].startswith("y1 = ")


def test_json_full_adder() -> None:
    status, out, _ = run("--inputs", "3", "--table", "96", "--table", "0xE8", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["size"] == 5 and data["proved_minimal"] is True
    assert isinstance(data["depth"], int)
    assert len(data["gates"]) == 5 and len(data["outputs"]) == 2
    assert data["tables"] == ["96", "e8"]
    assert all(step["outcome"] in ("unsat", "bound") for step in data["proof"])
    assert [step["gates"] for step in data["proof"]] == [0, 1, 2, 3, 4]


def test_json_zero_cost_and_measures() -> None:
    status, out, _ = run("--inputs", "2", "--table", "5", "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert (data["size"], data["depth"], data["outputs"][0]["node"]) == (0, 0, "x1")
    assert data["outputs"][0]["complemented"] is True
    status, out, _ = run(
        "--inputs", "4", "--table", "f1ca", "--measure", "depth", "--format", "json"
    )
    data = json.loads(out)
    assert (data["depth"], data["size"], data["cost"]) == (3, 6, 3)


def test_aig_and_dont_care() -> None:
    status, out, _ = run("--inputs", "2", "--table", "6", "--basis", "aig", "--format", "json")
    assert json.loads(out)["size"] == 3
    status, out, _ = run("--inputs", "3", "--table", "3e", "--dont-care", "1", "--format", "json")
    assert json.loads(out)["size"] == 1


def test_timeout_is_unknown_with_exit_1() -> None:
    status, out, err = run("--inputs", "5", "--table", "169ae443", "--timeout", "0.2")
    assert status == 1
    assert out.startswith("unknown:")
    assert err == ""  # no progress line when stderr is not a terminal
    bounds = re.search(r"minimum between (\d+) and (\d+) gates", out)
    assert bounds is not None
    lower, upper = map(int, bounds.groups())
    assert 4 <= lower <= 12 <= upper  # 169ae443 needs 12 gates (TAOCP 7.1.2)
    assert sum(line.startswith("g") for line in out.splitlines()) == upper


def test_timeout_json_holds_bounds_and_the_best_circuit() -> None:
    table = 0x169AE443
    status, out, _ = run(
        "--inputs", "5", "--table", f"{table:x}", "--timeout", "0.2", "--format", "json"
    )
    assert status == 1
    data = json.loads(out)
    assert data["status"] == "unknown" and data["proved_minimal"] is False
    assert 4 <= data["lower"] <= 12 <= data["upper"] == data["size"] == len(data["gates"])
    # Rebuild the reported circuit from its JSON and simulate it here.
    names = {f"x{j + 1}": j for j in range(5)}
    gates = []
    for index, gate in enumerate(data["gates"]):
        first, second = (names[f] for f in gate["fanins"])
        gates.append(Gate(gate["table"], first, second))
        names[gate["name"]] = 5 + index
    (output,) = data["outputs"]
    circuit = Circuit(5, tuple(gates), (Output(names[output["node"]], output["complemented"]),))
    assert circuit.truth_tables() == (table,)


def _cost(*argv: str) -> list[str]:
    return [sys.executable, "-m", "calculus", "synth", *argv]


def test_ctrl_c_prints_the_bounds_without_a_traceback() -> None:
    # On a terminal the search shows its progress line; the interrupt is sent only once it
    # has appeared, so it lands inside the search however slowly the process starts.
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "calculus", "synth", "--inputs", "5", "--table", "169ae443"],
        encoding="utf-8",
        timeout=120,
        dimensions=(24, 200),
    )
    child.expect(r"proved >= \d+, best found \d+")
    child.kill(signal.SIGINT)
    child.expect(r"unknown: interrupted")
    child.expect(r"minimum between \d+ and \d+ gates")
    child.expect(pexpect.EOF)
    child.wait()  # reap it: close() could hang it up before it has exited
    ending = (child.exitstatus, child.signalstatus, child.before[-2000:])
    assert child.exitstatus == 1, ending
    assert "Traceback" not in child.before and "KeyboardInterrupt" not in child.before


def test_progress_line_on_a_terminal() -> None:
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "calculus", "synth", "--inputs", "5", "--table", "169ae443", "--timeout", "3"],
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 200),
    )
    child.expect(r"proved >= \d+, best found \d+")
    child.expect(r"minimum between \d+ and \d+ gates")
    child.expect(pexpect.EOF)
    child.wait()  # reap it: close() could hang it up before it has exited
    assert child.exitstatus == 1


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--inputs", "2", "--table", "1ff"], "more than 4 bits"),
        (["--inputs", "2", "--table", "zz"], "not a hexadecimal number"),
        (["--inputs", "2"], "--table"),
        (["--inputs", "2", "--table", "6", "--basis", "nand"], "invalid choice"),
        (["--inputs", "99", "--table", "6"], "--inputs must be between"),
        (["--inputs", "3", "--table", "e8", "--dont-care", "1", "--dont-care", "2"], "don't-care"),
        (["--inputs", "2", "--table", "6", "--timeout", "-1"], "--timeout"),
        (["--inputs", "2", "--table", "6", "--timeout", "0"], "positive finite"),
        (["--inputs", "2", "--table", "6", "--timeout", "inf"], "positive finite"),
        (["--inputs", "2", "--table", "6", "--timeout", "nan"], "positive finite"),
        (["--inputs", "2", "--table", "6", "--timeout", "soon"], "number of seconds"),
        (["--inputs", "two", "--table", "6"], "invalid int value"),
    ],
)
def test_bad_input_exits_2_without_traceback(argv: list[str], fragment: str) -> None:
    status, out, err = run(*argv)
    assert status == 2
    assert out == ""
    assert err.startswith("cost synth: error: ")
    assert fragment in err
    assert "Traceback" not in err
