#!/usr/bin/env bash
# Integration test of PostgreSQL as the shared source of ratings (issue 13), on a throwaway cluster on
# loopback (Scripts/postgres-cluster.sh) and ml-latest-small from ../shared:
#   1. `movierec import postgresql://… --table ratings` gives the same store as the CSV import; over TLS
#      (sslmode=require, verify-full) too; verify-full refuses a certificate of another root and one that does
#      not name the host; require checks the chain when given a root certificate (as libpq);
#   2. two `serve --ratings-source` replicas A and B: a rating written through A changes B's next answer;
#   3. `train --ratings-source … --publish …` trains on the ratings in PostgreSQL (writes and deletes made
#      through the replicas included) and the model reaches both (GET /api/v1/health modelVersion, ratings);
#   4. a bounded mixed wrk run against both (5 % PUTs, 127.0.0.1 only) loses no acknowledged write;
#   5. PostgreSQL restarted mid-run: reads keep answering (no 5xx), writes get 503 only, replicas reconnect.
# Usage: Scripts/postgres-cluster-test.sh [--bin BIN] [--duration S]   (about 1–2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="" DURATION=8
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
BIN="${BIN:-$(swift build -c release --show-bin-path)/movierec}"
ML="$ROOT/../shared/data/ml-latest-small"
[ -d "$ML" ] || { echo "SKIP: ../shared/data/ml-latest-small is absent (the cluster test needs it)"; exit 0; }
command -v wrk >/dev/null 2>&1 || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; apt-get install -y -qq wrk >/dev/null; }

source Scripts/postgres-cluster.sh
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  pg_cluster_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

pg_cluster_start
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (throwaway, as nobody)"
pg_psql -c "CREATE TABLE ratings (user_id text NOT NULL, movie_id text NOT NULL, rating real NOT NULL,
            rated_at bigint NOT NULL, PRIMARY KEY (user_id, movie_id))"
pg_psql -c "\\copy ratings FROM '$ML/ratings.csv' WITH (FORMAT csv, HEADER true)"

echo "== 1. import from PostgreSQL vs from the file"
"$BIN" import "$PG_URL" --table ratings --movies "$ML/movies.csv" --db "$WORK/pg.sqlite" --quiet --json > "$WORK/import-pg.json"
"$BIN" import "$ML/ratings.csv" --movies "$ML/movies.csv" --db "$WORK/csv.sqlite" --quiet --json > "$WORK/import-csv.json"
"$BIN" import "$PG_URL" --query "SELECT * FROM ratings WHERE rating > 0" --db "$WORK/pg-query.sqlite" --quiet
"$BIN" stats --db "$WORK/pg.sqlite" --json > "$WORK/stats-pg.json"
"$BIN" stats --db "$WORK/csv.sqlite" --json > "$WORK/stats-csv.json"
python3 - "$WORK" <<'PY' || fail "PostgreSQL import differs from the CSV import"
import json, sqlite3, sys
w = sys.argv[1]
pg, csv = json.load(open(f"{w}/stats-pg.json")), json.load(open(f"{w}/stats-csv.json"))
want = {"ratings": 100836, "users": 610, "movies": 9742}
assert all(pg[k] == v for k, v in want.items()), (pg, want)
q = ("SELECT u.external_id, m.external_id, r.rating, r.timestamp FROM ratings r JOIN users u ON u.id = r.user_id "
     "JOIN movies m ON m.id = r.movie_id ORDER BY 1, 2")
a = sqlite3.connect(f"{w}/pg.sqlite").execute(q).fetchall()
b = sqlite3.connect(f"{w}/csv.sqlite").execute(q).fetchall()
assert a == b, "rows differ"
c = sqlite3.connect(f"{w}/pg-query.sqlite").execute(q).fetchall()
assert a == c, "--query rows differ"
imp = json.load(open(f"{w}/import-pg.json"))
assert imp["read"] == 100836 and imp["inserted"] == 100836 and "postgresql://movierec@" in imp["file"], imp
print("import ok: same", len(a), "rows as the CSV import (--table and --query); source", imp["file"])
PY
# Bad rows abort the import and leave the store unchanged; --on-error skip skips and counts them.
pg_psql -c "INSERT INTO ratings VALUES ('bad', '1', 'NaN', 0)"
if "$BIN" import "$PG_URL" --table ratings --db "$WORK/pg.sqlite" --quiet 2> "$WORK/bad.txt"; then fail "a NaN rating was imported"; fi
grep -q "ratings-from-postgresql.csv:100838: field rating" "$WORK/bad.txt" || fail "the bad-row error does not name its line: $(cat "$WORK/bad.txt")"
"$BIN" import "$PG_URL" --table ratings --db "$WORK/pg.sqlite" --on-error skip --quiet --json > "$WORK/skip.json" 2> /dev/null
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["skipped"] == 1 and s["read"] == 100837, s' "$WORK/skip.json" \
  || fail "--on-error skip did not skip exactly the bad row"
pg_psql -c "DELETE FROM ratings WHERE user_id = 'bad'"
PGPASSWORD=not-printed "$BIN" import "postgresql://movierec@127.0.0.1:1/site" --table ratings --db "$WORK/x.sqlite" 2> "$WORK/down.txt" \
  && fail "import from a closed port succeeded"
grep -q "cannot reach PostgreSQL at postgresql://movierec@127.0.0.1:1/site" "$WORK/down.txt" || fail "unreachable message: $(cat "$WORK/down.txt")"
grep -q "not-printed" "$WORK/down.txt" && fail "the password was printed"
echo "errors ok: bad row aborts with its line, skip counts it, an unreachable server is named without secrets"

echo "== 1b. TLS when the URL asks for it (a self-signed certificate made here; ssl turned on by a reload)"
TLS="$PG_ROOT/tls"; mkdir -p "$TLS"
certificate() {  # name subject-alt-names
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=$1" \
    -addext "subjectAltName=$2" -keyout "$TLS/$1.key" -out "$TLS/$1.crt" 2> "$WORK/openssl.log" || fail "openssl: $(cat "$WORK/openssl.log")"
}
# The server's certificate names localhost only: connecting by 127.0.0.1 is the host-name mismatch (by
# localhost with a certificate for IP 127.0.0.1 would not be one: NIOSSL matches an IP entry with the address).
certificate localhost "DNS:localhost"; certificate other "DNS:other"
chmod 600 "$TLS"/*.key; [ "$(id -u)" -ne 0 ] || chown -R nobody: "$TLS"
pg_psql -c "ALTER SYSTEM SET ssl_cert_file = '$TLS/localhost.crt'" -c "ALTER SYSTEM SET ssl_key_file = '$TLS/localhost.key'" \
  -c "ALTER SYSTEM SET ssl = on" -c "ALTER SYSTEM SET log_connections = on" -c "SELECT pg_reload_conf()" > /dev/null
for _ in $(seq 1 50); do [ "$(pg_psql -c "SHOW ssl")" = on ] && break; sleep 0.1; done
"$BIN" import "$PG_URL?sslmode=require" --table ratings --db "$WORK/tls.sqlite" --quiet --json > "$WORK/tls.json" \
  || fail "import with sslmode=require"
"$BIN" import "postgresql://movierec@localhost:$PG_PORT/site?sslmode=verify-full&sslrootcert=$TLS/localhost.crt" \
  --table ratings --db "$WORK/tls.sqlite" --quiet \
  > /dev/null || fail "import with sslmode=verify-full and the server's own certificate as root"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["inserted"] == 100836, s' "$WORK/tls.json" || fail "TLS import counts"
grep -q "connection authorized: user=movierec database=site.* SSL enabled" "$PG_ROOT/server.log" || fail "no TLS connection in the server log"
PGPASSWORD=not-printed "$BIN" import "$PG_URL?sslmode=verify-full&sslrootcert=$TLS/other.crt" --table ratings \
  --db "$WORK/tls.sqlite" 2> "$WORK/tls-wrong-ca.txt" && fail "verify-full accepted a certificate of another root"
grep -q "TLS (sslmode=verify-full) failed: the server's certificate is not signed by the root certificates in $TLS/other.crt" \
  "$WORK/tls-wrong-ca.txt" || fail "wrong-CA message: $(cat "$WORK/tls-wrong-ca.txt")"
grep -q "not-printed" "$WORK/tls-wrong-ca.txt" && fail "the password was printed"
# As libpq: sslmode=require with a root certificate checks the chain (like verify-ca).
PGPASSWORD=not-printed "$BIN" import "$PG_URL?sslmode=require&sslrootcert=$TLS/other.crt" --table ratings \
  --db "$WORK/tls.sqlite" 2> "$WORK/tls-require-ca.txt" && fail "require with a root certificate accepted a certificate of another root"
grep -q "TLS (sslmode=require) failed: the server's certificate is not signed by the root certificates in $TLS/other.crt" \
  "$WORK/tls-require-ca.txt" || fail "require with another root: $(cat "$WORK/tls-require-ca.txt")"
# The right root, but the host is 127.0.0.1 and the certificate names localhost only.
PGPASSWORD=not-printed "$BIN" import "$PG_URL?sslmode=verify-full&sslrootcert=$TLS/localhost.crt" \
  --table ratings --db "$WORK/tls.sqlite" 2> "$WORK/tls-wrong-host.txt" && fail "verify-full accepted a certificate that does not name the host"
grep -q "TLS (sslmode=verify-full) failed: the server's certificate does not name 127.0.0.1" "$WORK/tls-wrong-host.txt" \
  || fail "host-name mismatch message: $(cat "$WORK/tls-wrong-host.txt")"
grep -q "not-printed" "$WORK/tls-require-ca.txt" "$WORK/tls-wrong-host.txt" && fail "the password was printed"
pg_psql -c "ALTER SYSTEM RESET log_connections" -c "SELECT pg_reload_conf()" > /dev/null
echo "TLS ok: sslmode=require and verify-full (right root) import over TLS; verify-full with another root fails: $(cut -c1-160 "$WORK/tls-wrong-ca.txt")"
echo "TLS ok: require with a root certificate checks the chain; verify-full by a host the certificate does not name fails: $(cut -c1-200 "$WORK/tls-wrong-host.txt")"

# A --table is copied (COPY … TO STDOUT, CSV) in block ranges on two connections sharing one snapshot; ranges
# whose fields need quoting are read again row by row, and so is a whole --query with such fields. Both must
# import the same rows, with the same rejects on the same lines.
pg_psql -c "CREATE TABLE awkward AS SELECT
    CASE WHEN g = 150000 THEN NULL ELSE (g / 7)::text END AS user_id,
    CASE g WHEN 50000 THEN 'A, the \"film\"' WHEN 120000 THEN E'two\nlines' WHEN 200000 THEN ' spaced '
           WHEN 260000 THEN E'cr\rhere' ELSE (g % 997)::text END AS movie_id,
    CASE WHEN g = 250000 THEN NULL ELSE ((g % 10) / 2.0 + 0.5)::real END AS rating,
    (1000000000 + g)::bigint AS rated_at
  FROM generate_series(1, 300000) g"
pg_psql -c "ALTER DATABASE site SET log_statement = 'all'"
"$BIN" import "$PG_URL" --table awkward --db "$WORK/aw-table.sqlite" --on-error skip --quiet --json > "$WORK/aw-table.json" 2> /dev/null
pg_psql -c "ALTER DATABASE site RESET log_statement"
"$BIN" import "$PG_URL" --query "SELECT * FROM awkward" --db "$WORK/aw-query.sqlite" --on-error skip --quiet --json \
  > "$WORK/aw-query.json" 2> /dev/null
python3 - "$WORK" <<'PY' || fail "--table (block ranges) and --query (row by row) imports of the awkward table differ"
import csv, json, sqlite3, sys
w = sys.argv[1]
q = ("SELECT u.external_id, m.external_id, r.rating, r.timestamp FROM ratings r JOIN users u ON u.id = r.user_id "
     "JOIN movies m ON m.id = r.movie_id ORDER BY 1, 2")
a = sqlite3.connect(f"{w}/aw-table.sqlite").execute(q).fetchall()
b = sqlite3.connect(f"{w}/aw-query.sqlite").execute(q).fetchall()
assert a == b and len(a) == 299996, (len(a), len(b))
assert {'A, the "film"', " spaced "} <= {row[1] for row in a}, "awkward ids lost"
ta, tq = json.load(open(f"{w}/aw-table.json")), json.load(open(f"{w}/aw-query.json"))
# Rejected on both paths alike: the NULL user, the NULL rating, the carriage return, and the quoted line feed
# (the file importer reads one line per row), which counts as two lines.
assert ta["skipped"] == tq["skipped"] == 5 and ta["read"] == tq["read"] == 300001, (ta, tq)
def rejects(path):  # without the file column: the temporary file's folder names the process
    return [row[1:] for row in csv.reader(open(path, newline=""))]
assert rejects(f"{w}/aw-table.sqlite.rejects.csv") == rejects(f"{w}/aw-query.sqlite.rejects.csv")
print("block ranges ok: the same", len(a), "rows and the same 5 rejects as row by row")
PY
for statement in "ctid >= '(1024,0)'::tid AND ctid < '(1536,0)'::tid" "SET TRANSACTION SNAPSHOT" \
                 "COPY (SELECT \"user_id\", \"movie_id\", \"rating\", \"rated_at\" FROM \"awkward\" WHERE ctid" \
                 "SELECT \"user_id\"::text, \"movie_id\"::text, \"rating\"::text, \"rated_at\"::text FROM \"awkward\" WHERE ctid"; do
  grep -qF "$statement" "$PG_ROOT/server.log" || fail "the --table import did not run: $statement"
done

echo "== 2. two replicas sharing the ratings"
"$BIN" train --db "$WORK/pg.sqlite" --quiet --publish "$PG_URL" > /dev/null 2> "$WORK/publish1.log" || fail "train --publish"
grep -q "Published model version 1" "$WORK/publish1.log" || fail "no version 1: $(cat "$WORK/publish1.log")"
cp "$WORK/csv.sqlite" "$WORK/a.sqlite"; cp "$WORK/csv.sqlite" "$WORK/b.sqlite"   # replicas start without a model
PORT_A=$(free_port); PORT_B=$(free_port)
# Replica A talks to PostgreSQL over TLS (sslmode=require), B without.
"$BIN" serve --db "$WORK/a.sqlite" --port "$PORT_A" --ratings-source "$PG_URL?sslmode=require" --no-request-log > "$WORK/a.log" 2>&1 & PIDS+=($!)
"$BIN" serve --db "$WORK/b.sqlite" --port "$PORT_B" --ratings-source "$PG_URL" --no-request-log > "$WORK/b.log" 2>&1 & PIDS+=($!)
A="http://127.0.0.1:$PORT_A" B="http://127.0.0.1:$PORT_B"
echo "replica A (TLS to PostgreSQL): pid ${PIDS[0]}, port $PORT_A; replica B: pid ${PIDS[1]}, port $PORT_B"
wait_version() {  # url version
  for _ in $(seq 1 120); do
    curl -sf "$1/api/v1/health" 2>/dev/null | grep -q "\"modelVersion\":$2[,}]" && return 0
    sleep 0.5
  done
  return 1
}
wait_version "$A" 1 || fail "replica A never served published model 1"
wait_version "$B" 1 || fail "replica B never served published model 1"
echo "both replicas serve published model 1: $(curl -s "$B/api/v1/health")"
curl -sf "$B/api/v1/users/1/recommendations?count=5&explain=false" > "$WORK/b-before.json" || fail "B cannot recommend"
python3 - "$WORK/b-before.json" > "$WORK/top.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(r["recommendations"][0]["movie"])
PY
TOP=$(cat "$WORK/top.txt")
start_ns=$(date +%s%N)
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"rating":5}' "$A/api/v1/users/1/ratings/$TOP" > "$WORK/put.json" || fail "PUT through A"
curl -sf "$B/api/v1/users/1/recommendations?count=5&explain=false" > "$WORK/b-after.json"
end_ns=$(date +%s%N)
python3 - "$WORK/b-before.json" "$WORK/b-after.json" "$TOP" <<'PY' || fail "B's answer did not change after a write through A"
import json, sys
def ids(path):
    r = json.load(open(path))
    return [e["movie"] for e in r["recommendations"]]
before, after, top = ids(sys.argv[1]), ids(sys.argv[2]), sys.argv[3]
assert top in before and top not in after, (before, after, top)
print(f"write through A visible in B's next answer: {top} left B's list {before} -> {after}")
PY
echo "write A -> read B round trip $(( (end_ns - start_ns) / 1000000 )) ms"
[ "$(pg_psql -c "SELECT rating FROM ratings WHERE user_id = '1' AND movie_id = '$TOP'")" = "5" ] || fail "the PUT is not in PostgreSQL"
curl -sf -X DELETE "$B/api/v1/users/1/ratings/$TOP" > /dev/null || fail "DELETE through B"
curl -sf "$A/api/v1/users/1/recommendations?count=5&explain=false" > "$WORK/a-after-delete.json"
grep -q "\"$TOP\"" "$WORK/a-after-delete.json" || echo "note: $TOP did not come back to A's top 5 after the delete"
[ -z "$(pg_psql -c "SELECT 1 FROM ratings WHERE user_id = '1' AND movie_id = '$TOP'")" ] || fail "the DELETE through B left the row"

echo "== 3. train on the ratings now in PostgreSQL (after writes and a delete through the replicas); the model reaches both"
# pg.sqlite still holds the 100,836 ratings of step 1. Through the replicas: a new pair, a changed rating and a
# deleted one; `train --ratings-source` must take all three (a merge would keep the deleted one).
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"rating":4.5}' "$A/api/v1/users/trained-new/ratings/$TOP" > /dev/null || fail "PUT new pair"
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"rating":0.5}' "$B/api/v1/users/1/ratings/1" > /dev/null || fail "PUT changed rating"
curl -sf -X DELETE "$A/api/v1/users/2/ratings/318" > /dev/null || fail "DELETE 2/318"
COUNT=$(pg_psql -c "SELECT count(*) FROM ratings")
BEFORE=$(sqlite3 "$WORK/pg.sqlite" "SELECT count(*), sum(rating) FROM ratings")
"$BIN" train --db "$WORK/pg.sqlite" --quiet --ratings-source "postgresql://movierec@127.0.0.1:1/site" > /dev/null 2> "$WORK/down2.txt" \
  && fail "train --ratings-source from a closed port succeeded"
grep -q "cannot reach PostgreSQL" "$WORK/down2.txt" || fail "train from a closed port: $(cat "$WORK/down2.txt")"
[ "$(sqlite3 "$WORK/pg.sqlite" "SELECT count(*), sum(rating) FROM ratings")" = "$BEFORE" ] || fail "a failed snapshot changed the store"
"$BIN" train --db "$WORK/pg.sqlite" --quiet --json --rank 16 --ratings-source "$PG_URL" --publish "$PG_URL" \
  > "$WORK/train2.json" 2> "$WORK/publish2.log" || fail "train --ratings-source --publish"
grep -q "Took $(python3 -c "print(f'{$COUNT:,}')") ratings from postgresql://movierec@127.0.0.1:$PG_PORT/site table ratings in .* s: 100,834 kept, 1 updated, 1 added, 1 removed, 0 skipped" \
  "$WORK/publish2.log" || fail "train --ratings-source counts: $(cat "$WORK/publish2.log")"
python3 - "$WORK/train2.json" "$COUNT" <<'PY' || fail "train --json: the model was not trained on the $COUNT ratings in PostgreSQL, or the snapshot counts differ"
import json, sys
r, count = json.load(open(sys.argv[1])), int(sys.argv[2])
assert r["ratings"] == count, (r["ratings"], count)
s = r["ratingsSource"]   # the import --json fields: 1 new pair, 1 changed, 1 deleted through the replicas
got = [s[k] for k in ("read", "unchanged", "updated", "inserted", "removed", "skipped", "ratings")]
assert got == [count, count - 2, 1, 1, 1, 0, count] and "table ratings" in s["file"], (got, s)
PY
[ -z "$(sqlite3 "$WORK/pg.sqlite" "SELECT 1 FROM ratings r JOIN users u ON u.id = r.user_id JOIN movies m ON m.id = r.movie_id
       WHERE u.external_id = '2' AND m.external_id = '318'")" ] || fail "the rating deleted through a replica is still in the local store"
"$BIN" import "$PG_URL" --table ratings --mode replace --db "$WORK/pg.sqlite" --quiet --json > "$WORK/replace-again.json"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert (s["inserted"], s["updated"], s["removed"]) == (0, 0, 0), s' \
  "$WORK/replace-again.json" || fail "replacing with the same snapshot again changed the store"
wait_version "$A" 2 || fail "A never served model 2"
wait_version "$B" 2 || fail "B never served model 2"
for side in "$A" "$B"; do
  curl -sf "$side/api/v1/health" | grep -q "\"ratings\":$COUNT[,}]" || fail "$side does not serve the model of $COUNT ratings: $(curl -s "$side/api/v1/health")"
done
echo "trained on the $COUNT ratings in PostgreSQL ($(grep -o '100,834 kept.*skipped' "$WORK/publish2.log")); both replicas serve published model 2"

echo "== 4. mixed wrk run against both replicas (5 % PUTs, ${DURATION} s, 127.0.0.1 only)"
pg_psql -c "SELECT user_id FROM ratings GROUP BY user_id ORDER BY random() LIMIT 300" > "$WORK/users.txt"
pg_psql -c "SELECT movie_id FROM ratings GROUP BY movie_id ORDER BY count(*) DESC LIMIT 500" > "$WORK/movies.txt"
lua_list() { python3 -c 'import json,sys; print("{" + ",".join(json.dumps(l.strip()) for l in open(sys.argv[1]) if l.strip()) + "}")' "$1"; }
cat > "$WORK/mixed.lua" <<LUA
users = $(lua_list "$WORK/users.txt")
movies = $(lua_list "$WORK/movies.txt")
counter = 0
threads = {}
function setup(thread) thread:set("id", os.getenv("SIDE_SEED") .. tostring(math.random(1, 1e9))) ; table.insert(threads, thread) end
function init(args) math.randomseed((tonumber(id) or 1) + tonumber(os.getenv("SIDE_SEED") or "0")) ; acked = "" ; s5xxget = 0 ; s503put = 0 ; other = 0 end
function pick(list) return list[math.random(1, #list)] end
function request()
  counter = counter + 1
  if math.random() < 0.05 then
    return wrk.format("PUT", "/api/v1/users/pg" .. id .. "_" .. counter .. "/ratings/" .. pick(movies),
      {["Content-Type"] = "application/json"}, string.format('{"rating":%.1f}', math.random(1, 10) / 2))
  end
  return wrk.format("GET", "/api/v1/users/" .. pick(users) .. "/recommendations?count=10&explain=true")
end
function response(status, headers, body)
  -- Responses of a thread's connections interleave, so a response is told by its body: an acknowledged PUT
  -- echoes "userRatings", a refused one says "ratingsSourceUnavailable" (reads never do: they fall back).
  if status == 200 and string.find(body, '"userRatings"', 1, true) then
    acked = acked .. string.match(body, '"user":"([^"]*)"') .. "," .. string.match(body, '"movie":"([^"]*)"') .. ","
      .. string.match(body, '"rating":([%d%.]+)') .. "\n"
  elseif status == 503 and string.find(body, "ratingsSourceUnavailable", 1, true) then s503put = s503put + 1
  elseif status >= 500 then s5xxget = s5xxget + 1
  elseif status ~= 200 then other = other + 1 end
end
function done(summary, latency, requests)
  local file = io.open(os.getenv("ACKED_FILE"), "w")
  local g, p, o = 0, 0, 0
  for _, t in ipairs(threads) do file:write(t:get("acked") or "") ; g = g + t:get("s5xxget") ; p = p + t:get("s503put") ; o = o + t:get("other") end
  file:close()
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, g, p, o,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
mixed_run() {  # name seconds [restart]
  SIDE_SEED=1 ACKED_FILE="$WORK/acked-$1-a.csv" wrk -t1 -c8 -d"$2s" --timeout 5s -s "$WORK/mixed.lua" "$A" > "$WORK/wrk-$1-a.txt" & local wa=$!
  SIDE_SEED=2 ACKED_FILE="$WORK/acked-$1-b.csv" wrk -t1 -c8 -d"$2s" --timeout 5s -s "$WORK/mixed.lua" "$B" > "$WORK/wrk-$1-b.txt" & local wb=$!
  if [ "${3:-}" = restart ]; then
    sleep $(( $2 / 3 )); pg_cluster_restart 2; echo "PostgreSQL restarted (down about 2 s) during the run"
  fi
  wait "$wa" "$wb"
  cat "$WORK/acked-$1-a.csv" "$WORK/acked-$1-b.csv" > "$WORK/acked-$1.csv"
  python3 - "$WORK" "$1" <<'PY'
import sys
w, name = sys.argv[1], sys.argv[2]
tot = [0.0] * 7
for side in "ab":
    f = [float(x) for x in open(f"{w}/wrk-{name}-{side}.txt").read().split("RESULT ")[1].split()]
    print(f"  replica {side.upper()}: {f[0]:.0f} req/s, p50 {f[1]:.1f} ms, p99 {f[2]:.1f} ms, 5xx on reads {int(f[3])}, "
          f"503 on writes {int(f[4])}, other non-200 {int(f[5])}, socket errors {int(f[6])}")
    tot = [a + b for a, b in zip(tot, f)]
open(f"{w}/sum-{name}.txt", "w").write(" ".join(str(int(x)) for x in tot[3:]) + f" {tot[0]:.0f}\n")
PY
  read -r get5xx put503 other sockerr rps < "$WORK/sum-$1.txt"
  local acked lost
  acked=$(wc -l < "$WORK/acked-$1.csv")
  sed 's/,/\t/g' "$WORK/acked-$1.csv" > "$WORK/acked-$1.tsv"
  pg_psql -c "CREATE TEMP TABLE acked (user_id text, movie_id text, rating real)" -c "\\copy acked FROM '$WORK/acked-$1.tsv'" \
    -c "SELECT count(*) FROM acked a LEFT JOIN ratings r USING (user_id, movie_id) WHERE r.rating IS DISTINCT FROM a.rating" > "$WORK/lost.txt"
  lost=$(tail -1 "$WORK/lost.txt")
  echo "  together $rps req/s; PUTs acknowledged $acked, lost $lost (counted in PostgreSQL afterwards)"
  [ "$acked" -gt 0 ] || fail "no PUT was acknowledged"
  [ "$lost" -eq 0 ] || fail "$lost acknowledged writes are missing in PostgreSQL"
  [ "$get5xx" -eq 0 ] || fail "$get5xx reads answered 5xx"
  [ "$other" -eq 0 ] && [ "$sockerr" -eq 0 ] || fail "$other unexpected statuses, $sockerr socket errors"
  [ "${3:-}" = restart ] || [ "$put503" -eq 0 ] || fail "$put503 writes refused while PostgreSQL was up"
  PUT503=$put503
}
mixed_run steady "$DURATION"
echo "== 5. the same with PostgreSQL restarted mid-run"
mixed_run restart "$DURATION" restart
echo "  writes refused with 503 during the restart: $PUT503 (reads kept answering)"
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"rating":4}' "$A/api/v1/users/after-restart/ratings/$TOP" > /dev/null \
  || fail "A did not reconnect after the restart"
curl -sf "$B/api/v1/users/after-restart/recommendations?count=3" > /dev/null || fail "B did not reconnect after the restart"
echo "replicas reconnected by themselves"

echo "== 6. a replica killed with kill -9 and restarted serves the newest published model"
kill -9 "${PIDS[1]}"; wait "${PIDS[1]}" 2>/dev/null || true
"$BIN" serve --db "$WORK/b.sqlite" --port "$PORT_B" --ratings-source "$PG_URL" --no-request-log >> "$WORK/b.log" 2>&1 & PIDS[1]=$!
echo "replica B restarted: pid ${PIDS[1]}"
wait_version "$B" 2 || fail "restarted B does not serve model 2"
echo "restarted B serves model 2"
echo "postgres cluster test: 6 passed, 0 failed"
