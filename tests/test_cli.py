"""The `cost check` command as a user meets it: exit codes, JSON shape, diagnostics, junk."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from calculus.cli import main

ROOT = Path(__file__).parent.parent
ESSAY = ROOT / "proofs" / "speed_prior.cost"


def run(
    *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculus", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        env={"NO_COLOR": "1", "PATH": ""},
    )


def write(tmp_path: Path, text: str | bytes, name: str = "model.cost") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


PASSING = "primitive a, b\nprogram P { stores a }\nprogram Q { stores a, b }\nclaim p_simpler: P beats Q on c\n"
FAILING = PASSING + "claim wrong: Q beats P on c\n"


def test_exit_zero_when_everything_passes(tmp_path: Path) -> None:
    done = run("check", str(write(tmp_path, PASSING)))
    assert done.returncode == 0, done.stderr
    assert "1 claim: 1 proved, 0 refuted, 0 unknown; all passed" in done.stdout
    assert "uses: positivity" in done.stdout


def test_exit_one_when_a_claim_fails(tmp_path: Path) -> None:
    done = run("check", str(write(tmp_path, FAILING)))
    assert done.returncode == 1
    assert "counterexample: c(b) = 1" in done.stdout
    assert "1 failed" in done.stdout


def test_exit_two_on_input_error_with_caret(tmp_path: Path) -> None:
    path = write(tmp_path, "primitive alpha\nclaim x: c(alpah) > 0\n")
    done = run("check", str(path))
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == f"{path}:2:12: error[undeclared]: undeclared name 'alpah'"
    assert lines[1] == "  claim x: c(alpah) > 0"
    assert lines[2] == "             ^~~~~"
    assert lines[3] == "  hint: did you mean 'alpha'?"
    assert "Traceback" not in done.stderr


def test_json_shape(tmp_path: Path) -> None:
    done = run("check", "--format", "json", str(write(tmp_path, FAILING)))
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert set(data) >= {"file", "ok", "claims", "ranges", "reductions"}
    assert data["ok"] is False
    proved, refuted = data["claims"]
    assert {
        k: proved[k]
        for k in ("name", "kind", "verdict", "passed", "uses", "counterexample", "reason")
    } == {
        "name": "p_simpler",
        "kind": "claim",
        "verdict": "proved",
        "passed": True,
        "uses": ["positivity"],
        "counterexample": None,
        "reason": None,
    }
    assert refuted["verdict"] == "refuted" and refuted["passed"] is False
    assert refuted["counterexample"] == {"c(b)": "1"}


def test_json_ranges_have_exact_string_endpoints() -> None:
    done = run("check", "--format", "json", str(ESSAY))
    data = json.loads(done.stdout)
    scenario = next(r for r in data["ranges"] if r["scenario"] == "plausible")
    rows = {row["program"]: row for row in scenario["rows"]}
    assert rows["Hfh"]["robust"] == [["0", "100001/998"]]
    assert rows["Hsd"]["robust"] == [["100001/998", "oo"]]
    assert rows["Hfd"]["robust"] == []
    assert rows["Hfh"]["robust_closed"] == [[False, False]]


def test_directory_of_proofs_passes() -> None:
    # About 10 s of CPU for all of proofs/; the bound only catches a hang (every obligation
    # has its own time limit), so it leaves room for a machine busy with other work.
    done = run("check", str(ROOT / "proofs"), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unknown" not in done.stdout.split("\n")[-2] or " 0 unknown" in done.stdout


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (bytes(range(256)) * 4, "encoding"),
        (b"primitive a\x00\n", "encoding"),
        (b"primitive a\nclaim x: " + b"(" * 5000 + b"c(a)" + b")" * 5000 + b" > 0\n", "too-deep"),
        (b"primitive a\nclaim x: " + b"c(a) + " * 150000 + b"1 > 0 ]\n", "too-long"),
        (b"\xef\xbb\xbfprimitive a\nclaim x: c(a) >\n", "syntax"),
        (b"program P extends P { }\n", "cycle"),
        (b"}}}}", "syntax"),
    ],
    ids=["binary", "nul", "deep", "megabyte-line", "bom-and-eof", "self-extends", "braces"],
)
def test_junk_gives_a_diagnostic_not_a_traceback(tmp_path: Path, content: bytes, code: str) -> None:
    done = run("check", str(write(tmp_path, content)))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"error[{code}]" in done.stderr
    assert "Traceback" not in done.stderr


def test_empty_file_is_fine(tmp_path: Path) -> None:
    done = run("check", str(write(tmp_path, "")))
    assert done.returncode == 0
    assert "0 claims" in done.stdout


def test_missing_file_and_bad_flags(tmp_path: Path) -> None:
    assert run("check", str(tmp_path / "absent.cost")).returncode == 2
    assert run("check", "--timeout", "-1", str(write(tmp_path, PASSING))).returncode == 2
    assert run("frobnicate").returncode == 2
    assert main(["check", str(write(tmp_path, PASSING))]) == 0


def test_cost_console_script_is_installed() -> None:
    done = subprocess.run(
        ["cost", "check", str(ESSAY)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_wheel_ships_the_grammar(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert (
            archive.read("calculus/grammar/cost.lark")
            == (ROOT / "grammar" / "cost.lark").read_bytes()
        )
        names = archive.namelist()
    assert "calculus/syntax.py" in names
    # Installed from the wheel alone (no source tree on the path), the parser finds its grammar.
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    probe = (
        "import calculus.syntax as s, sys; assert s.__file__.startswith(sys.argv[1]);"
        "print(len(s.parse('primitive a\\nclaim x: c(a) > 0\\n').statements))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(target)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": ""},
        timeout=120,
    )
    assert done.stdout.strip() == "2", done.stderr
