#!/usr/bin/env bash
# Installs the load generator the benchmark needs (wrk, from Debian) when it is missing.
# Run as root, or with sudo available. Safe to run again: it does nothing when wrk is there.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  echo "wrk already installed: $(command -v wrk)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "wrk is missing and this is not root (and no sudo): install the Debian package 'wrk' by hand" >&2
    exit 1
  fi
fi

$SUDO apt-get update
$SUDO apt-get install -y wrk
# taskset (util-linux) pins server and load to separate cores; it is usually present already.
command -v taskset >/dev/null 2>&1 || $SUDO apt-get install -y util-linux || true
echo "wrk installed: $(command -v wrk)"
