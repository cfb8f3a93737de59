#!/usr/bin/env bash
# Installs the peer programs that tests and benchmarks compare with or cross-check against:
# QEPCAD B (qepcad), berkeley-abc, Chromium and Neovim (the editor the README's LSP snippet is
# tried in), from Debian's packages. Without them the tests that need them skip, saying so. Run as root, or with sudo available.
set -euo pipefail

packages=()
command -v qepcad >/dev/null || packages+=(qepcad)
command -v berkeley-abc >/dev/null || command -v abc >/dev/null || packages+=(berkeley-abc)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || packages+=(chromium)
command -v nvim >/dev/null || packages+=(neovim)
if [ ${#packages[@]} -eq 0 ]; then
  echo "peers: all installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "peers: no apt-get here; install ${packages[*]} by hand" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists: fetch them only when an install fails for want of them.
"${sudo[@]}" apt-get install -y "${packages[@]}" || {
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y "${packages[@]}"
}
echo "peers: installed ${packages[*]}"
