#!/usr/bin/env bash
# Measures `movierec generate` (release build): wall time and peak resident memory.
# Usage: Scripts/measure-generate.sh [USERS MOVIES RATINGS [SEED]]
# Default is the ML-25M shape: 160,000 users, 60,000 films, 25,000,000 ratings.
# The data set goes to a temporary directory that is removed afterwards (never into the repository).
set -euo pipefail

users=${1:-160000}
movies=${2:-60000}
ratings=${3:-25000000}
seed=${4:-1}

cd "$(dirname "$0")/.."
swift build -c release --product movierec >/dev/null
binary="$(swift build -c release --show-bin-path)/movierec"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    /usr/bin/time -v "$binary" generate --users "$users" --movies "$movies" --ratings "$ratings" \
        --seed "$seed" --out "$out/data" 2>"$out/time.log"
    grep -E "Elapsed \(wall clock\)|Maximum resident set size|User time|System time" "$out/time.log"
else
    # macOS: BSD time reports the peak as "maximum resident set size" in bytes.
    /usr/bin/time -l "$binary" generate --users "$users" --movies "$movies" --ratings "$ratings" \
        --seed "$seed" --out "$out/data"
fi
ls -l "$out/data"
