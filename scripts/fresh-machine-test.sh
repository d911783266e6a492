#!/bin/bash
# `npm ci && npm test` as on a fresh Debian machine without the apt extras and without ../shared:
# zmq.h, python3-zmq, bubblewrap and xmllint are hidden in a mount namespace (root only; nothing
# outside the namespace changes), and the repository is cloned to /tmp/fresh/repo, whose ../shared
# does not exist. The sandbox tests then run at level "partial" (unshare), the interop, FFI and
# JUnit-schema checks skip with their reasons. Run it before claiming the README's first command
# holds on a fresh machine: it found tests that failed only there.
# usage: scripts/fresh-machine-test.sh [git source, default: this repository]
set -euo pipefail
SRC=${1:-$(cd "$(dirname "$0")/.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "needs root (mount namespaces that hide system files)" >&2; exit 2; }
rm -rf /tmp/fresh && mkdir -p /tmp/fresh/empty /tmp/fresh/usrbin /tmp/fresh/nozmq
echo 'raise ImportError("hidden by fresh-machine-test.sh")' > /tmp/fresh/nozmq/__init__.py
git clone -q "$SRC" /tmp/fresh/repo
cp -a /usr/bin/. /tmp/fresh/usrbin/ && rm -f /tmp/fresh/usrbin/bwrap /tmp/fresh/usrbin/xmllint
exec unshare -m --propagation private bash -c '
  mount --bind /tmp/fresh/empty /usr/include
  if [ -d /usr/lib/python3/dist-packages/zmq ]; then mount --bind /tmp/fresh/nozmq /usr/lib/python3/dist-packages/zmq; fi
  mount --bind /tmp/fresh/usrbin /usr/bin
  cd /tmp/fresh/repo
  echo "== hidden: zmq.h $(test -e /usr/include/zmq.h && echo PRESENT || echo absent), bwrap $(command -v bwrap || echo absent), xmllint $(command -v xmllint || echo absent), ../shared $(test -e ../shared && echo PRESENT || echo absent)"
  npm ci --silent && npm test
'
