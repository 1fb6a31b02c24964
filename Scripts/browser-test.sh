#!/usr/bin/env bash
# Real-browser test of `movierec serve` (issue 11): starts the server on a free loopback port on the demo data,
# drives the page in headless Chromium with Selenium (search, rate three films, recommendations appear and change,
# people like you, compare view), saves screenshots in the test's temporary folder, and stops the server.
#
# Usage: Scripts/browser-test.sh [path/to/movierec] [--keep DIR]   (default binary: the release build)
# Installs Debian's chromium and chromium-driver when missing (apt-get, as root) and selenium into a throwaway
# virtualenv. With --keep DIR the screenshots are copied to DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-$(swift build -c release --show-bin-path)/movierec}"
KEEP=""
if [ "${2:-}" = "--keep" ]; then KEEP="${3:?--keep needs a directory}"; fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if ! python3 -m venv "$WORK/venv" >/dev/null 2>&1; then
  rm -rf "$WORK/venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install -q selenium

DB="$WORK/demo.sqlite"
"$BIN" import data/demo/ratings.csv --movies data/demo/movies.csv --db "$DB" --quiet
"$BIN" train --db "$DB" --quiet
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$BIN" serve --db "$DB" --host 127.0.0.1 --port "$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!

"$WORK/venv/bin/python" Scripts/browser_test.py "http://127.0.0.1:$PORT" "$WORK"

kill -TERM "$SERVER_PID"
status=0
wait "$SERVER_PID" || status=$?
SERVER_PID=""
grep -q "movierec serve: stopped" "$WORK/server.log" || { echo "server did not stop cleanly (exit $status)"; tail -5 "$WORK/server.log"; exit 1; }
[ "$status" -eq 0 ] || { echo "server exited with $status after SIGTERM"; exit 1; }
echo "server stopped cleanly on SIGTERM; $(grep -c ' /api/v1/' "$WORK/server.log") API requests logged"
if [ -n "$KEEP" ]; then mkdir -p "$KEEP"; cp "$WORK"/*.png "$KEEP"/; fi
echo "browser test: 1 passed, 0 failed"
