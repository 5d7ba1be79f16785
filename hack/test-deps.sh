#!/usr/bin/env bash
# Installs what the tests need on a fresh machine: Debian's prometheus
# (the server and promtool) and prometheus-alertmanager, etcd-server (3.4), nginx-light and libcap2-bin (setcap, for
# the agent's file-capability test) packages, the control-plane binaries
# built from k8s.io/kubernetes and an older etcd built from its Go module
# (cached outside the repository, so only the first run builds them).
# Idempotent and quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# promtool (alert rule tests) and Debian's etcd 3.4 (a real end-of-life
# etcd server for the below-minimum test).
missing=""
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v prometheus-alertmanager >/dev/null 2>&1 || missing="$missing prometheus-alertmanager"
[ -x /usr/bin/etcd ] || missing="$missing etcd-server"
[ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
command -v setcap >/dev/null 2>&1 || [ -x /usr/sbin/setcap ] || missing="$missing libcap2-bin"
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test-deps: installing$missing (Debian packages)" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
promtool --version >/dev/null
prometheus-alertmanager --version >/dev/null 2>&1
/usr/bin/etcd --version >/dev/null
/usr/sbin/nginx -v 2>/dev/null

bash hack/test-binaries.sh >/dev/null
