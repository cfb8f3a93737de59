"""Peer programs from Debian (QEPCAD B, berkeley-abc, Chromium) that tests and benchmarks
measure against or cross-check with: find them, or install them where we can.

`apt-get update` runs at most once per process before the first install, since a fresh
machine has no package lists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache


@cache
def _update_package_lists() -> str | None:
    """Run `apt-get update` once; the reason it failed, or None."""
    return _apt(["apt-get", "update"])


def _apt(command: list[str]) -> str | None:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=1200, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"`{' '.join(command)}` failed: {error}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        return f"`{' '.join(command)}` failed: {' '.join(tail)}"
    return None


def ensure_debian_package(package: str, *binaries: str) -> tuple[str | None, str]:
    """(path of the first of `binaries` found, how it was found) — installing `package`
    with apt-get when none is on PATH; (None, the reason) when that cannot be done."""
    names = binaries or (package,)
    for name in names:
        found = shutil.which(name)
        if found:
            return found, "found"
    if shutil.which("apt-get") is None:
        return None, f"{package} is not installed and there is no apt-get to install it"
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        return None, f"{package} is not installed and installing it needs root"
    problem = _apt(["apt-get", "install", "-y", package])
    if problem is not None:
        # A fresh machine has no package lists yet: fetch them once and try again.
        problem = _update_package_lists() or _apt(["apt-get", "install", "-y", package])
    if problem is not None:
        return None, problem
    for name in names:
        found = shutil.which(name)
        if found:
            return found, "installed with apt-get"
    return None, f"apt-get installed {package} but none of {', '.join(names)} is on PATH"
