#!/usr/bin/env bash
# Load test of `movierec serve` with wrk (issue 11), on 127.0.0.1 only, every run bounded in time.
#
# Usage: Scripts/load-test.sh --db DB [--bin BIN] [--duration S] [--long S] [--out FILE.json]
#   DB        a database with ratings (the 25 M benchmark one: `movierec benchmark --ratings 25000000` builds
#             bench-cache/ratings-25000000-seed-42/benchmark.sqlite); the server trains when it has no model
#   --duration seconds of each run (default 20); --long seconds of the memory run (mixed, default 0 = skip)
# Runs (wrk -t2 -c32): recommendations with explanations for random known users (served from the per-model list
# cache after each user's first request, and once more with `minPredicted=3`, which bypasses that cache, so every
# answer is computed); similar users; fold-in POSTs
# of 20 random ratings; a mixed run with 5 % rating PUTs (new users `lt…`, each acknowledged PUT checked in the
# database afterwards). Reports req/s, p50/p99/max latency, errors and the server's peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
DB="" BIN="" DURATION=20 LONG=0 OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --db) DB="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --long) LONG="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$DB" ] && [ -f "$DB" ] || { echo "give --db DB (an existing database)" >&2; exit 2; }
BIN="${BIN:-$(swift build -c release --show-bin-path)/movierec}"
if ! command -v wrk >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq wrk sqlite3 curl >/dev/null
fi

WORK=$(mktemp -d)
SERVER_PID="" SAMPLER_PID=""
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
URL="http://127.0.0.1:$PORT"
"$BIN" serve --db "$DB" --host 127.0.0.1 --port "$PORT" --train-if-needed --no-request-log > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
started=$(date +%s)
until curl -sf "$URL/api/v1/health" 2>/dev/null | grep -q '"status":"ok"'; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  [ $(( $(date +%s) - started )) -lt 900 ] || { echo "server not ready after 900 s"; exit 1; }
  sleep 1
done
echo "server ready in $(( $(date +%s) - started )) s on $URL ($(curl -s "$URL/api/v1/health"))"

# Memory sampler: the server's resident set every second.
( while kill -0 "$SERVER_PID" 2>/dev/null; do
    echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)"; sleep 1
  done ) > "$WORK/rss.txt" &
SAMPLER_PID=$!

# Random known users and the 1,000 most-rated films (ids as Lua string lists).
sqlite3 "$DB" "SELECT external_id FROM users WHERE external_id NOT LIKE 'lt%' ORDER BY random() LIMIT 5000" > "$WORK/users.txt"
curl -s "$URL/api/v1/stats?top=1000" | python3 -c 'import json,sys; print("\n".join(m["movie"] if isinstance(m["movie"], str) else m["movie"]["externalID"] for m in json.load(sys.stdin)["mostRated"]))' > "$WORK/movies.txt"
lua_list() { python3 -c 'import json,sys; print("{" + ",".join(json.dumps(l.strip()) for l in open(sys.argv[1]) if l.strip()) + "}")' "$1"; }
cat > "$WORK/common.lua" <<LUA
users = $(lua_list "$WORK/users.txt")
movies = $(lua_list "$WORK/movies.txt")
counter = 0
function setup(thread) thread:set("id", tostring(math.random(1, 1e9))) ; table.insert(threads, thread) end
threads = {}
function init(args) math.randomseed(tonumber(id) or 1) ; acked = "" ; errors = 0 end
function pick(list) return list[math.random(1, #list)] end
function foldin_body()
  local seen, parts = {}, {}
  while #parts < 20 do
    local m = pick(movies)
    if not seen[m] then seen[m] = true ; parts[#parts + 1] = string.format('{"movie":"%s","rating":%.1f}', m, math.random(1, 10) / 2) end
  end
  return '{"count":10,"explain":true,"ratings":[' .. table.concat(parts, ",") .. ']}'
end
function done(summary, latency, requests)
  local file = io.open(os.getenv("ACKED_FILE") or "/dev/null", "w")
  local bad = 0
  for _, thread in ipairs(threads) do file:write(thread:get("acked") or "") ; bad = bad + (thread:get("errors") or 0) end
  file:close()
  io.write(string.format("RESULT %.1f %.3f %.3f %.3f %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, bad))
end
LUA
cat "$WORK/common.lua" > "$WORK/recommend.lua"; cat >> "$WORK/recommend.lua" <<'LUA'
function request() return wrk.format("GET", "/api/v1/users/" .. pick(users) .. "/recommendations?count=10&explain=true") end
LUA
cat "$WORK/common.lua" > "$WORK/computed.lua"; cat >> "$WORK/computed.lua" <<'LUA'
function request() return wrk.format("GET", "/api/v1/users/" .. pick(users) .. "/recommendations?count=10&explain=true&minPredicted=3") end
LUA
cat "$WORK/common.lua" > "$WORK/similar.lua"; cat >> "$WORK/similar.lua" <<'LUA'
function request() return wrk.format("GET", "/api/v1/users/" .. pick(users) .. "/similar?count=10") end
LUA
cat "$WORK/common.lua" > "$WORK/foldin.lua"; cat >> "$WORK/foldin.lua" <<'LUA'
function request() return wrk.format("POST", "/api/v1/recommendations", {["Content-Type"] = "application/json"}, foldin_body()) end
LUA
cat "$WORK/common.lua" > "$WORK/mixed.lua"; cat >> "$WORK/mixed.lua" <<'LUA'
-- Only this run reads the bodies (to list the acknowledged PUTs): a response() callback makes wrk copy every body
-- and call Lua per response, CPU taken from the server on the same 2 cores; the other runs count non-2xx statuses
-- through wrk's own summary.
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
  if status == 200 and string.find(body, '"userRatings"', 1, true) then
    local user = string.match(body, '"user":"([^"]*)"')
    local movie = string.match(body, '"movie":"([^"]*)"')
    local rating = string.match(body, '"rating":([%d%.]+)')
    acked = acked .. user .. "," .. movie .. "," .. rating .. "\n"
  end
end
function request()
  counter = counter + 1
  if math.random() < 0.05 then
    local user = "lt" .. id .. "_" .. counter
    return wrk.format("PUT", "/api/v1/users/" .. user .. "/ratings/" .. pick(movies), {["Content-Type"] = "application/json"},
      string.format('{"rating":%.1f}', math.random(1, 10) / 2))
  end
  return wrk.format("GET", "/api/v1/users/" .. pick(users) .. "/recommendations?count=10&explain=true")
end
LUA

results="[]"
settle() {   # wait (at most 30 s) until the server stops using CPU: requests still queued from the last run finish
  local previous=-1 now
  for _ in $(seq 100); do
    now=$(awk '{print $14 + $15}' /proc/$SERVER_PID/stat)
    [ "$now" = "$previous" ] && return 0
    previous=$now; sleep 0.3
  done
  echo "warning: the server was still busy 30 s after the last run" >&2
}
run() {   # name script seconds
  local name=$1 script=$2 seconds=$3
  settle
  local before=$(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)
  local cpu0=$(awk '{print $14 + $15}' /proc/$SERVER_PID/stat) load0=$(cut -d' ' -f1 /proc/loadavg)
  ACKED_FILE="$WORK/acked-$name.csv" wrk -t2 -c32 -d"${seconds}s" --timeout 5s -s "$WORK/$script" "$URL" > "$WORK/wrk-$name.txt"
  local after=$(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)
  local cpu1=$(awk '{print $14 + $15}' /proc/$SERVER_PID/stat) load1=$(cut -d' ' -f1 /proc/loadavg)
  read -r rps p50 p99 max sockerr statuserr bad < <(grep '^RESULT' "$WORK/wrk-$name.txt" | cut -d' ' -f2-)
  local acked=0 lost=0
  if [ -s "$WORK/acked-$name.csv" ]; then
    acked=$(wc -l < "$WORK/acked-$name.csv")
    lost=$(python3 - "$DB" "$WORK/acked-$name.csv" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
lost = 0
for line in open(sys.argv[2]):
    user, movie, rating = line.strip().split(",")
    row = db.execute("SELECT r.rating FROM ratings r JOIN users u ON u.id = r.user_id JOIN movies m ON m.id = r.movie_id "
                     "WHERE u.external_id = ? AND m.external_id = ?", (user, movie)).fetchone()
    lost += row is None or abs(row[0] - float(rating)) > 1e-6
print(lost)
PY
)
  fi
  # The server's CPU time per request (user + system, from /proc): what a request costs, whatever else runs.
  local cpums=$(python3 -c 'import os,sys; t=os.sysconf("SC_CLK_TCK"); print("%.3f" % ((int(sys.argv[2]) - int(sys.argv[1])) / t * 1000 / max(1, float(sys.argv[3]) * float(sys.argv[4]))))' \
    "$cpu0" "$cpu1" "$rps" "$seconds")
  printf '%-22s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  errors %d  RSS %d→%d MiB  server CPU %.3f ms/req  load %s→%s' \
    "$name" "$rps" "$p50" "$p99" "$max" $((sockerr + statuserr)) $((before / 1024)) $((after / 1024)) "$cpums" "$load0" "$load1"
  [ "$acked" -gt 0 ] && printf '  PUTs acknowledged %d, lost %d' "$acked" "$lost"
  printf '\n'
  results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.append(dict(zip(
    ["run","seconds","requestsPerSecond","p50Ms","p99Ms","maxMs","errors","rssBeforeMiB","rssAfterMiB","putsAcknowledged","putsLost",
     "serverCPUMsPerRequest","loadAverageBefore","loadAverageAfter"],
    [sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]),
     int(sys.argv[8]), int(sys.argv[9]) // 1024, int(sys.argv[10]) // 1024, int(sys.argv[11]), int(sys.argv[12]),
     float(sys.argv[13]), float(sys.argv[14]), float(sys.argv[15])]))); print(json.dumps(r))' \
    "$results" "$name" "$seconds" "$rps" "$p50" "$p99" "$max" $((sockerr + statuserr)) "$before" "$after" "$acked" "$lost" \
    "$cpums" "$load0" "$load1")
}

echo "wrk -t2 -c32, ${DURATION} s per run, $(nproc) cores shared by wrk and the server:"
run recommend-explain recommend.lua "$DURATION"
run recommend-computed computed.lua "$DURATION"
run similar similar.lua "$DURATION"
run fold-in-post foldin.lua "$DURATION"
run mixed-5pct-put mixed.lua "$DURATION"
[ "$LONG" -gt 0 ] && run "mixed-${LONG}s-memory" mixed.lua "$LONG"

kill "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""
peak=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
echo "server peak RSS $((peak / 1024)) MiB; RSS samples (MiB) min/max after loading: $(awk 'NR>1 {print int($2/1024)}' "$WORK/rss.txt" | sort -n | sed -n '1p;$p' | paste -sd/)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
if [ -n "$OUT" ]; then
  python3 -c 'import json,sys; print(json.dumps({"database": sys.argv[2], "wrk": "-t2 -c32", "peakRSSMiB": int(sys.argv[3]) // 1024, "runs": json.loads(sys.argv[1])}, indent=2))' \
    "$results" "$(basename "$DB")" "$peak" > "$OUT"
  echo "wrote $OUT"
fi
