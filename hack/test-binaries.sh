#!/usr/bin/env bash
# Builds the real control-plane binaries the tests start (kube-apiserver,
# kube-controller-manager and kube-scheduler from the k8s.io/kubernetes Go module) into a cache
# outside the repository, keyed by version, so only the first run pays the
# several-minute build. Prints the directory holding the binaries.
#
# The tests find the directory through KRE_TEST_BIN_DIR, or the same default
# path computed here (see internal/testenv).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mod="$here/test/kubebuild"
version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit} $1 == "require" && $2 == "k8s.io/kubernetes" {print $3; exit}' "$mod/go.mod")
[ -n "$version" ] || { echo "test-binaries: no k8s.io/kubernetes version in $mod/go.mod" >&2; exit 1; }

# Keep in step with internal/testenv.BinDir.
cache=${KRE_TEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/kube-reliability-exporter}
out=${KRE_TEST_BIN_DIR:-$cache/kube-$version}
mkdir -p "$out"

# Version variables make the binaries report a real version (without them
# they claim v0.0.0-master and clients that gate on version misbehave).
major=$(echo "${version#v}" | cut -d. -f1)
minor=$(echo "${version#v}" | cut -d. -f2)
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

for bin in kube-apiserver kube-controller-manager kube-scheduler; do
  if [ -x "$out/$bin" ]; then
    continue
  fi
  echo "test-binaries: building $bin $version into $out (first run only, several minutes)" >&2
  start=$(date +%s)
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/$bin.tmp" "./$bin")
  mv "$out/$bin.tmp" "$out/$bin"
  echo "test-binaries: built $bin in $(( $(date +%s) - start ))s" >&2
done
# Older etcd releases, each built from its module test/etcdbuild*: 3.6.16
# for real mixed-version clusters, 3.6.5 whose Status reports a zero quota.
for etcdmod in "$here"/test/etcdbuild*; do
  etcdversion=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit} $1 == "require" && $2 == "go.etcd.io/etcd/server/v3" {print $3; exit}' "$etcdmod/go.mod")
  [ -n "$etcdversion" ] || { echo "test-binaries: no go.etcd.io/etcd/server/v3 version in $etcdmod/go.mod" >&2; exit 1; }
  etcdout=$cache/etcd-$etcdversion
  if [ "$etcdmod" = "$here/test/etcdbuild" ] && [ -n "${KRE_TEST_ETCD_DIR:-}" ]; then
    etcdout=$KRE_TEST_ETCD_DIR
  fi
  mkdir -p "$etcdout"
  if [ ! -x "$etcdout/etcd" ]; then
    echo "test-binaries: building etcd $etcdversion into $etcdout (first run only)" >&2
    (cd "$etcdmod" && CGO_ENABLED=0 go build -trimpath -o "$etcdout/etcd.tmp" .)
    mv "$etcdout/etcd.tmp" "$etcdout/etcd"
  fi
done
echo "$out"
