#!/usr/bin/env bash
# Installs Debian's Prometheus server for the scrape test, if it is not there yet. The service the
# package would start is not used: the test runs its own instance on 127.0.0.1 with its own config.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "prometheus is missing: run 'sudo apt-get install -y prometheus'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
# The package enables and may start its own daemon on :9090; tests never use it.
(service prometheus stop || systemctl stop prometheus || pkill -x prometheus) >/dev/null 2>&1 || true
command -v prometheus >/dev/null && command -v promtool >/dev/null
