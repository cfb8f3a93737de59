"""The README's editor set-up, tried in a real editor: its Neovim snippet is loaded into a
headless Neovim (Debian's 0.7.2, a peer that `scripts/install-peers.sh` installs), which
starts `cost lsp` itself; the test reads back what the editor shows — the diagnostics of a
failing claim and of an undeclared name, and a hover over a program.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from peers import find_peer

ROOT = Path(__file__).resolve().parent.parent
NVIM, WHY = find_peer("neovim", "nvim")

pytestmark = pytest.mark.skipif(NVIM is None, reason=WHY)

SOURCE = """\
primitive a, b
program P { stores a; runs b }
program Q { stores a, b; runs 3 * b }
claim p_wins: P beats Q
claim wrong: Q beats P on c
"""

# Opens the file, waits (bounded) for a diagnostic naming COST_WAIT_FOR, then asks for a hover over
# `P` on line 2 and writes everything as JSON for the test to read.
PROBE = """\
vim.cmd("edit " .. vim.env.COST_FILE)
local decided = vim.wait(60000, function()
  for _, d in ipairs(vim.diagnostic.get(0)) do
    if d.message:find(vim.env.COST_WAIT_FOR, 1, true) then return true end
  end
  return false
end, 100)
local hover = vim.lsp.buf_request_sync(0, "textDocument/hover", {
  textDocument = { uri = vim.uri_from_bufnr(0) },
  position = { line = 1, character = 8 },
}, 20000)
local texts = {}
for _, response in pairs(hover or {}) do
  if response.result then table.insert(texts, response.result.contents.value) end
end
local found = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(found, { line = d.lnum + 1, col = d.col + 1, message = d.message })
end
local out = io.open(vim.env.COST_OUT, "w")
out:write(vim.fn.json_encode({ filetype = vim.bo.filetype, decided = decided,
                               diagnostics = found, hover = texts }))
out:close()
vim.cmd("qa!")
"""


def readme_snippet() -> str:
    """The Lua block the README gives for Neovim 0.7 to 0.10."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("Neovim 0.7 to 0.10")
    found = re.search(r"```lua\n(.*?)```", text[start:], re.S)
    assert found, "the README has no Lua block after 'Neovim 0.7 to 0.10'"
    return found.group(1)


def run_neovim(tmp_path: Path, source: str, wait_for: str) -> dict[str, object]:
    assert NVIM is not None
    (tmp_path / "init.lua").write_text(readme_snippet(), encoding="utf-8")
    (tmp_path / "probe.lua").write_text(PROBE, encoding="utf-8")
    cost_file = tmp_path / "argument.cost"
    cost_file.write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    # The snippet starts `cost lsp` from PATH: the one installed beside this interpreter.
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "COST_FILE": str(cost_file),
        "COST_OUT": str(out),
        "COST_WAIT_FOR": wait_for,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    command = [NVIM, "--headless", "-u", "init.lua", "-c", "luafile probe.lua"]
    subprocess.run(command, cwd=tmp_path, env=env, timeout=180, check=False, capture_output=True)
    assert out.exists(), "Neovim wrote nothing: the snippet or the server did not start"
    result: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return result


def test_readme_neovim_snippet_shows_diagnostics_and_hovers(tmp_path: Path) -> None:
    shown = run_neovim(tmp_path, SOURCE, wait_for="wrong")
    assert shown["filetype"] == "cost"
    assert shown["decided"] is True, shown
    diagnostics = shown["diagnostics"]
    assert isinstance(diagnostics, list)
    # `wrong` (Q beats P on c: c(Q) = c(a) + c(b) > c(P) = c(a) when c(b) > 0) is refuted,
    # and the editor marks its line; `p_wins` is proved and is not marked.
    lines = {d["line"] for d in diagnostics}
    assert 5 in lines and 4 not in lines, diagnostics
    hover = shown["hover"]
    assert isinstance(hover, list) and hover, shown
    assert "c(P) = c(a)" in hover[0] and "t(P) = t(b)" in hover[0], hover


def test_readme_neovim_snippet_reports_errors_where_cost_check_does(tmp_path: Path) -> None:
    shown = run_neovim(tmp_path, "primitive a\nclaim x: c(zz) > 0\n", wait_for="'zz'")
    diagnostics = shown["diagnostics"]
    assert isinstance(diagnostics, list)
    assert [(d["line"], d["col"]) for d in diagnostics] == [(2, 12)], diagnostics
    assert "undeclared name 'zz'" in diagnostics[0]["message"]
