#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: Debian's prometheus
# package (promtool, for the alert rule tests) and the control-plane
# binaries built from k8s.io/kubernetes (cached outside the repository, so
# only the first run builds them). Idempotent and quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test-deps: installing promtool (Debian package prometheus)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version >/dev/null

bash hack/test-binaries.sh >/dev/null
