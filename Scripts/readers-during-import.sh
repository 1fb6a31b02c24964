#!/usr/bin/env bash
# Readers during a long import (issue 12, item 8): imports a second generated file into an existing database while
# a reader polls it every 20 ms (read-only, as the read commands open it) and `movierec stats` runs in a loop; prints
# the longest single read, the number of failed reads, and whether every `stats` run succeeded.
# Usage: bash Scripts/readers-during-import.sh [ratings per file, default 5000000] [movierec binary]
set -euo pipefail
N=${1:-5000000}
B=${2:-.build/release/movierec}
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT
USERS=$((N / 150)); MOVIES=$((N / 400))
"$B" generate --users $USERS --movies $MOVIES --ratings "$N" --seed 1 --out "$W/a" >/dev/null
"$B" generate --users $USERS --movies $MOVIES --ratings "$N" --seed 2 --out "$W/b" >/dev/null
"$B" import "$W/a/ratings.csv" --db "$W/db.sqlite" --quiet
python3 - "$W/db.sqlite" "$W/stop" > "$W/reader.txt" <<'PY' &
import os, sqlite3, sys, time
path, stop = sys.argv[1], sys.argv[2]
worst, reads, failures = 0.0, 0, 0
while not os.path.exists(stop):
    started = time.monotonic()
    try:
        c = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        c.execute("SELECT ratings_version FROM store_state").fetchone()
        c.execute("SELECT COUNT(*) FROM users").fetchone()
        c.close()
        reads += 1
    except sqlite3.Error as error:
        failures += 1
        print("read failed:", error)
    worst = max(worst, time.monotonic() - started)
    time.sleep(0.02)
print(f"reads {reads}, failed {failures}, longest read {worst * 1000:.1f} ms")
PY
READER=$!
( ok=0; bad=0; while [ ! -e "$W/stop" ]; do if "$B" stats --db "$W/db.sqlite" --top 1 >/dev/null 2>"$W/stats.err"; then ok=$((ok+1)); else bad=$((bad+1)); cat "$W/stats.err"; fi; done; echo "stats runs: $ok ok, $bad failed" ) > "$W/stats.txt" &
STATS=$!
sleep 1
/usr/bin/time -f "import of the second file: %e s" "$B" import "$W/b/ratings.csv" --db "$W/db.sqlite" --quiet
sleep 1
touch "$W/stop"
wait $READER $STATS
cat "$W/reader.txt" "$W/stats.txt"
