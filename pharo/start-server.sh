#!/usr/bin/env bash
# Start a STUI server: a headless Pharo 12 image serving the STUI protocol over ZeroMQ.
# See --help. Nothing here is needed to load STUI into an image you already use: see pharo/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${STUI_PHARO_CACHE:-$here/.cache}"
image="${PHARO_IMAGE:-}"
vm="${PHARO_VM:-}"
port=5555
endpoint=""
allow_remote=0
no_auth=0
skip_load=0

usage() {
  cat <<USAGE
Usage: bash pharo/start-server.sh [options]

Loads the STUI server (BaselineOfSTUI, group 'core', from $here/src) into a Pharo 12
image and serves the STUI protocol on tcp://127.0.0.1:<port> in the foreground,
headless, until you press Ctrl-C (or the script gets SIGTERM). Without --image it runs
a copy of the downloaded image in a temporary folder, removed when the server stops:
the download stays as it was, and image.save saves that copy. With --image it runs
that image where it lives, and image.save saves it there. An image saved while it
served starts its server again by itself: start it with --image PATH --skip-load and
the same port (the server it restarted is kept; one on another port is stopped).
The VM's stdin is /dev/null: nothing the server runs can wait for a terminal.

Options:
  --port N            TCP port on 127.0.0.1 (default 5555)
  --endpoint E        any ZeroMQ endpoint instead, e.g. ipc:///tmp/stui.sock; endpoints
                      beyond loopback are refused unless --allow-remote is given
  --allow-remote      allow an endpoint beyond loopback (clients still need an
                      authorized key: see Authentication below)
  --no-auth           serve WITHOUT authentication: every local user can then run any
                      code in the image. Loopback endpoints only (refused otherwise)
  --image PATH        use this .image instead of a downloaded one (or set PHARO_IMAGE)
  --vm PATH           use this Pharo VM launcher (or set PHARO_VM); by default 'pharo'
                      next to the downloaded image, else 'pharo' on PATH, else a VM
                      downloaded into the cache
  --skip-load         do not load STUI: the image already contains it
  -h, --help          show this help

Authentication (the default): clients must use CURVE with a key listed in
authorized_keys of the STUI home (\$STUI_HOME, default ~/.stui); the server key is the
home's server.key_secret. Before starting Pharo this script runs 'stui keys' (Node),
which creates them on first use with this machine's client key authorized, so
@stui/client and stui on this machine connect with no setup. Another machine:
'npx stui keys --help'.

Without --image, Pharo 12 and its VM are downloaded once with
  curl https://get.pharo.org/64/120+vm | bash
into $cache (override with STUI_PHARO_CACHE); that needs curl and network access.
The host needs libzmq (e.g. apt-get install libzmq5, brew install zeromq).
USAGE
}

while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    --endpoint) endpoint="${2:?--endpoint needs an endpoint}"; shift 2 ;;
    --endpoint=*) endpoint="${1#--endpoint=}"; shift ;;
    --allow-remote) allow_remote=1; shift ;;
    --no-auth) no_auth=1; shift ;;
    --image) image="${2:?--image needs a path}"; shift 2 ;;
    --image=*) image="${1#--image=}"; shift ;;
    --vm) vm="${2:?--vm needs a path}"; shift 2 ;;
    --vm=*) vm="${1#--vm=}"; shift ;;
    --skip-load) skip_load=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "start-server.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

case "$port" in
  ''|*[!0-9]*) echo "start-server.sh: --port must be a number, not '$port'" >&2; exit 2 ;;
esac

if [ "$no_auth" = 0 ]; then
  # The keys are created on first use by @stui/client's code; Pharo only reads them.
  if command -v node >/dev/null && [ -f "$here/../packages/plugins/bin/stui.js" ]; then
    node "$here/../packages/plugins/bin/stui.js" keys >&2 || { echo "start-server.sh: the STUI keys cannot be used (see above)" >&2; exit 1; }
  else
    echo "start-server.sh: node not found: not creating keys; the server needs server.key_secret and authorized_keys in \${STUI_HOME:-~/.stui} (npx stui keys creates them)" >&2
  fi
fi

download() {
  # $1: what get.pharo.org should install into the cache ("120+vm" or "vm120")
  command -v curl >/dev/null || { echo "start-server.sh: curl is needed to download Pharo" >&2; exit 1; }
  mkdir -p "$cache"
  echo "start-server.sh: downloading Pharo ($1) into $cache" >&2
  (cd "$cache" && curl -fsSL "https://get.pharo.org/64/$1" | bash)
}

run_copy=""
if [ -z "$image" ]; then
  if [ ! -f "$cache/Pharo.image" ] || [ ! -x "$cache/pharo" ]; then
    download "120+vm"
  fi
  # Run a copy: image.save writes the image where it lives, and a saved cache would restart
  # its own server (and whatever it held) in every later run.
  run_copy="$(mktemp -d "${TMPDIR:-/tmp}/stui-pharo.XXXXXX")"
  cp "$cache/Pharo.image" "$run_copy/Pharo.image"
  [ ! -f "$cache/Pharo.changes" ] || cp "$cache/Pharo.changes" "$run_copy/Pharo.changes"
  # The sources file must sit next to the image; a link is enough (nobody writes it).
  for sources in "$cache"/*.sources; do
    [ ! -e "$sources" ] || ln -s "$sources" "$run_copy/"
  done
  image="$run_copy/Pharo.image"
  [ -n "$vm" ] || vm="$cache/pharo"
fi

[ -f "$image" ] || { echo "start-server.sh: no image at $image" >&2; exit 1; }

if [ -z "$vm" ]; then
  if [ -x "$cache/pharo" ]; then
    vm="$cache/pharo"
  elif command -v pharo >/dev/null; then
    vm="$(command -v pharo)"
  else
    download "vm120"
    vm="$cache/pharo"
  fi
fi

[ -x "$vm" ] || { echo "start-server.sh: no Pharo VM at $vm" >&2; exit 1; }

export STUI_SRC="$here/src"
export STUI_PORT="$port"
export STUI_ENDPOINT="$endpoint"
export STUI_ALLOW_REMOTE="$allow_remote"
export STUI_AUTHENTICATION="$([ "$no_auth" = 1 ] && echo none || echo curve)"
export STUI_SKIP_LOAD="$skip_load"

echo "start-server.sh: $vm $image st $here/start-server.st" >&2
if [ -z "$run_copy" ]; then
  # stdin /dev/null: a headless image's UIManager may read stdin (CommandLineUIManager>>chooseFrom:…),
  # a blocking read in the VM's own thread that would freeze every Pharo process until someone typed.
  exec "$vm" "$image" st "$here/start-server.st" </dev/null
fi
# Not exec: the copy is removed when the VM ends. A background job of a script ignores SIGINT,
# so Ctrl-C (and SIGTERM, SIGHUP) reach the VM through this trap.
"$vm" "$image" st "$here/start-server.st" </dev/null &
vm_pid=$!
trap 'kill -TERM "$vm_pid" 2>/dev/null || true' INT TERM HUP
status=0
while kill -0 "$vm_pid" 2>/dev/null; do
  wait "$vm_pid" && status=0 || status=$?
done
rm -rf "$run_copy"
exit "$status"
