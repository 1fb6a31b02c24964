#!/usr/bin/env bash
# The figures of docs/scaling.md (issue 13), on a throwaway PostgreSQL cluster on loopback:
#   import of N generated ratings from PostgreSQL vs from the CSV file (best of 3 each);
#   recommendations/s with one and with two `serve --ratings-source` replicas (wrk, 127.0.0.1 only);
#   replication lag of a write between replicas: PUT through A, then GET B until its answer reflects it (p50/p99).
# Usage: Scripts/postgres-scaling-measure.sh [--bin BIN] [--ratings N] [--duration S] [--import-only] [--no-query]
#   (N default 1000000; --import-only stops after the import figures; --no-query skips the --query import)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="" N=1000000 DURATION=10 IMPORT_ONLY=0 QUERY=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --ratings) N="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --import-only) IMPORT_ONLY=1; shift ;;
    --no-query) QUERY=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
BIN="${BIN:-$(swift build -c release --show-bin-path)/movierec}"
source Scripts/postgres-cluster.sh
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  pg_cluster_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
secs() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }

pg_cluster_start
USERS=$(( N / 150 + 100 )); MOVIES=$(( N / 100 + 100 ))
"$BIN" generate --users "$USERS" --movies "$MOVIES" --ratings "$N" --seed 42 --out "$WORK/gen" --quiet > /dev/null
pg_psql -c "CREATE TABLE ratings (user_id text NOT NULL, movie_id text NOT NULL, rating real NOT NULL,
            rated_at bigint NOT NULL, PRIMARY KEY (user_id, movie_id))"
pg_psql -c "\\copy ratings FROM '$WORK/gen/ratings.csv' WITH (FORMAT csv, HEADER true)"
pg_psql -c "VACUUM ANALYZE ratings"
echo "$N ratings ($USERS users, $MOVIES films) in PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') and in a CSV file"
best() {  # label command…
  local label=$1; shift
  local b=999999
  for i in 1 2 3; do
    rm -f "$WORK/imp.sqlite"*
    local t0=$(secs); "$@" > /dev/null; local t1=$(secs)
    b=$(python3 -c "print(min($b, $t1 - $t0))")
  done
  printf '  %-28s best of 3: %.2f s (%.0f rows/s); load average then: %s\n' "$label" "$b" "$(python3 -c "print($N / $b)")" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$b"  > "$WORK/best-$label"
}
best csv "$BIN" import "$WORK/gen/ratings.csv" --db "$WORK/imp.sqlite" --quiet
best postgresql "$BIN" import "$PG_URL" --table ratings --db "$WORK/imp.sqlite" --quiet
[ "$QUERY" = 1 ] && best postgresql-query "$BIN" import "$PG_URL" --query "SELECT * FROM ratings" --db "$WORK/imp.sqlite" --quiet
ratio() { python3 -c "print(round($(cat "$WORK/best-$1") / $(cat "$WORK/best-csv"), 2))"; }
echo "  PostgreSQL import / CSV import time: --table $(ratio postgresql)$([ "$QUERY" = 1 ] && echo ", --query $(ratio postgresql-query)")"
[ "$IMPORT_ONLY" = 1 ] && exit 0

"$BIN" import "$WORK/gen/ratings.csv" --movies "$WORK/gen/movies.csv" --db "$WORK/r.sqlite" --quiet > /dev/null
"$BIN" train --db "$WORK/r.sqlite" --rank 64 --quiet --publish "$PG_URL" > /dev/null 2>&1
cp "$WORK/r.sqlite" "$WORK/a.sqlite"; cp "$WORK/r.sqlite" "$WORK/b.sqlite"
PORT_A=$(free_port); PORT_B=$(free_port); A="http://127.0.0.1:$PORT_A" B="http://127.0.0.1:$PORT_B"
"$BIN" serve --db "$WORK/a.sqlite" --port "$PORT_A" --ratings-source "$PG_URL" --no-request-log > "$WORK/a.log" 2>&1 & PIDS+=($!)
"$BIN" serve --db "$WORK/b.sqlite" --port "$PORT_B" --ratings-source "$PG_URL" --no-request-log > "$WORK/b.log" 2>&1 & PIDS+=($!)
for url in "$A" "$B"; do
  for _ in $(seq 1 240); do curl -sf "$url/api/v1/health" 2>/dev/null | grep -q '"modelVersion":1' && break; sleep 0.5; done
done
pg_psql -c "SELECT user_id FROM ratings GROUP BY user_id ORDER BY random() LIMIT 2000" > "$WORK/users.txt"
lua_list() { python3 -c 'import json,sys; print("{" + ",".join(json.dumps(l.strip()) for l in open(sys.argv[1]) if l.strip()) + "}")' "$1"; }
cat > "$WORK/rec.lua" <<LUA
users = $(lua_list "$WORK/users.txt")
function request() return wrk.format("GET", "/api/v1/users/" .. users[math.random(1, #users)] .. "/recommendations?count=10&explain=true") end
LUA
rps() { grep Requests/sec "$1" | awk '{print $2}'; }
echo "recommendations/s (explain=true, user folded in from PostgreSQL per request), wrk ${DURATION} s, 2 cores shared by all:"
wrk -t2 -c16 -d"${DURATION}s" -s "$WORK/rec.lua" "$A" > "$WORK/one.txt"
echo "  one replica:  $(rps "$WORK/one.txt") req/s, latency p50/p99 from wrk --latency below"
wrk -t1 -c8 -d"${DURATION}s" -s "$WORK/rec.lua" "$A" > "$WORK/two-a.txt" & w=$!
wrk -t1 -c8 -d"${DURATION}s" -s "$WORK/rec.lua" "$B" > "$WORK/two-b.txt"; wait $w
echo "  two replicas: $(python3 -c "print(round($(rps "$WORK/two-a.txt") + $(rps "$WORK/two-b.txt"), 1))") req/s together"
echo "replication lag (PUT through A, then GET B's recommendations until the film left them), 200 writes:"
python3 - "$A" "$B" "$WORK/users.txt" <<'PY'
import json, sys, time, urllib.request
A, B = sys.argv[1], sys.argv[2]
users = [l.strip() for l in open(sys.argv[3]) if l.strip()][:200]
def get(url):
    return json.load(urllib.request.urlopen(url, timeout=10))
def put(url, rating):
    r = urllib.request.Request(url, data=json.dumps({"rating": rating}).encode(), method="PUT",
                               headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(r, timeout=10))
lags, polls = [], []
for u in users:
    top = get(f"{B}/api/v1/users/{u}/recommendations?count=5&explain=false")["recommendations"][0]["movie"]
    t0 = time.perf_counter()
    put(f"{A}/api/v1/users/{u}/ratings/{top}", 5)
    n = 0
    while True:
        n += 1
        recs = [r["movie"] for r in get(f"{B}/api/v1/users/{u}/recommendations?count=5&explain=false")["recommendations"]]
        if top not in recs: break
        if time.perf_counter() - t0 > 5: raise SystemExit(f"write of {u}/{top} not visible in B after 5 s")
    lags.append((time.perf_counter() - t0) * 1000); polls.append(n)
lags.sort()
print(f"  write→visible in B: p50 {lags[len(lags)//2]:.1f} ms, p99 {lags[int(len(lags)*0.99)-1]:.1f} ms, max {lags[-1]:.1f} ms; "
      f"B's first read after the acknowledged write already reflected it in {polls.count(1)} of {len(polls)} cases")
PY
