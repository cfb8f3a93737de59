"""`cost lsp`: the analysis against `cost check`, and the server driven over stdio.

The stdio tests speak raw JSON-RPC (Content-Length framing) to `python -m calculus lsp` in
a subprocess, every wait bounded, so they test what an editor sees.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from calculus.check import check_source
from calculus.lsp import analyse, completions, hover_text

ROOT = Path(__file__).resolve().parent.parent
FAILURES = sorted((ROOT / "tests" / "cases").rglob("failure/*.cost"))

GOOD = """\
primitive a, b
program P { stores a; runs b }
program Q { stores a, b; runs 3 * b }
claim p_wins: P beats Q
claim wrong: Q beats P on c
"""


@pytest.mark.parametrize("path", FAILURES, ids=lambda p: str(p.relative_to(ROOT)))
def test_diagnostics_are_check_s_codes_and_positions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = check_source(text, str(path)).diagnostics
    found = analyse(text, str(path), decide=True).problems
    errors = [p for p in found if p.severity == 1]
    assert [(p.code, p.line, p.start) for p in errors] == [
        (d.code, max(d.line - 1, 0), max(d.column - 1, 0)) for d in expected
    ]


def test_syntax_errors_as_you_type_without_the_solver() -> None:
    analysis = analyse("primitive a\nprogram P { stores a\n")
    (problem,) = analysis.problems
    assert problem.code == "syntax" and problem.line == 1 and problem.severity == 1
    assert analysis.result is None  # nothing was decided


def test_positions_count_utf16_units() -> None:
    text = 'model "𝔠 ≤" oops\n'  # 𝔠 is two UTF-16 units, ≤ one
    (expected,) = check_source(text).diagnostics
    (problem,) = analyse(text).problems
    assert problem.line == expected.line - 1 == 0
    assert text[expected.column - 1 :].startswith("oops")
    assert problem.start == expected.column - 1 + 1


def test_hover_on_a_program_and_on_claims() -> None:
    quick = analyse(GOOD)
    text = hover_text(quick, 1, 9)  # on P in `program P`
    assert text is not None and "c(P) = c(a)" in text and "t(P) = t(b)" in text
    assert "not decided yet" in (hover_text(quick, 3, 2) or "")
    decided = analyse(GOOD, decide=True)
    proved = hover_text(decided, 3, 2) or ""
    assert "proved" in proved and "uses: positivity" in proved
    refuted = hover_text(decided, 4, 2) or ""
    assert "refuted" in refuted and "counterexample" in refuted and "c(b) = " in refuted
    (warning,) = decided.problems
    assert warning.severity == 2 and warning.code == "refuted" and warning.line == 4


def test_completion_has_keywords_and_declared_names() -> None:
    found = dict(completions(analyse(GOOD)))
    assert found["program"] == "keyword" and found["beats"] == "keyword"
    assert found["P"] == "program" and found["a"] == "primitive" and found["p_wins"] == "claim"


# ---- over stdio --------------------------------------------------------------------------


class Client:
    """A minimal LSP client: framed JSON-RPC over the server's stdin and stdout."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "calculus", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def send(self, method: str, params: Any, request: bool = False) -> int | None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        ident = None
        if request:
            self.next_id += 1
            ident = message["id"] = self.next_id
        body = json.dumps(message).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()
        return ident

    def wait(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 60) -> dict[str, Any]:
        for message in self.seen:
            if wanted(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if wanted(message):
                return message
            self.seen.append(message)
        raise AssertionError(f"no such message within {timeout} s; seen {self.seen}")

    def request(self, method: str, params: Any) -> Any:
        ident = self.send(method, params, request=True)
        reply = self.wait(lambda m: m.get("id") == ident and "method" not in m)
        assert "error" not in reply, reply
        return reply["result"]

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict[str, Any]]:
        message = self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and (version is None or m["params"].get("version") == version)
            )
        )
        return list(message["params"]["diagnostics"])

    def close(self) -> int:
        try:
            self.request("shutdown", None)
            self.send("exit", None)
            return self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def client(tmp_path: Path) -> Any:
    pytest.importorskip("pygls", reason="the language server needs pygls (the [lsp] extra)")
    started = Client()
    result = started.request(
        "initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
    )
    capabilities = result["capabilities"]
    assert capabilities["hoverProvider"] and "completionProvider" in capabilities
    started.send("initialized", {})
    yield started
    if started.process.poll() is None:
        started.process.kill()
        started.process.wait(timeout=10)


def test_server_over_stdio(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "model.cost"
    broken = "primitive a, b\nprogram P { stores a; runs b\n"
    path.write_text(broken)
    uri = path.as_uri()
    client.send(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "cost", "version": 1, "text": broken}},
    )
    (problem,) = client.diagnostics(uri, 1)
    (expected,) = check_source(broken, str(path)).diagnostics
    assert problem["code"] == expected.code == "syntax"
    assert problem["range"]["start"] == {
        "line": expected.line - 1,
        "character": expected.column - 1,
    }
    assert problem["severity"] == 1 and problem["source"] == "cost"

    # Typing the fix clears the error at once, before any solver runs.
    client.send(
        "textDocument/didChange",
        {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": GOOD}]},
    )
    assert client.diagnostics(uri, 2) == []
    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 9}},
    )
    assert "c(P) = c(a)" in hover["contents"]["value"]
    items = client.request(
        "textDocument/completion",
        {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 0}},
    )
    labels = {item["label"] for item in items["items"]}
    assert {"program", "claim", "beats", "P", "Q", "a"} <= labels

    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    (edit,) = edits
    assert edit["range"]["start"] == {"line": 0, "character": 0}
    assert edit["newText"].startswith("primitive a, b\nprogram P {\n  stores a\n  runs b\n}\n")

    # Saving decides the claims: the refuted one shows, and hover gives its counterexample.
    path.write_text(GOOD)
    client.send("textDocument/didSave", {"textDocument": {"uri": uri}})
    (warning,) = client.diagnostics(uri, 2)
    assert warning["code"] == "refuted" and warning["range"]["start"]["line"] == 4
    hover = client.request(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 2}},
    )
    assert (
        "refuted" in hover["contents"]["value"] and "counterexample" in hover["contents"]["value"]
    )
    assert client.close() == 0
