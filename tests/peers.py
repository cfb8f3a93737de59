"""Peer programs from Debian (QEPCAD B, berkeley-abc, Chromium, Neovim) that tests and benchmarks
measure against or cross-check with. They are found here, never installed:
`scripts/install-peers.sh` installs them (CI runs it), and a test that needs a missing one
skips with the reason `find_peer` gives.
"""

from __future__ import annotations

import shutil

INSTALL_SCRIPT = "scripts/install-peers.sh"


def find_peer(package: str, *binaries: str) -> tuple[str | None, str]:
    """(path of the first of `binaries` on PATH, "found"), or (None, why and how to get it)."""
    names = binaries or (package,)
    for name in names:
        found = shutil.which(name)
        if found:
            return found, "found"
    return None, (
        f"{package} is not installed (none of {', '.join(names)} is on PATH); "
        f"`{INSTALL_SCRIPT}` installs it (apt-get install {package})"
    )
