#!/usr/bin/env bash
# Runs, on one generated ML-25M-shaped ratings file and in one run, the tools a user would otherwise
# reach for, and prints movierec/peer time ratios. See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: Scripts/compare-peers.sh [--ratings N] [--seed S] [--cache DIR] [--movierec-json FILE] [--out FILE]
                                [--movierec BINARY]

Compares movierec with its peers on the same generated ratings file, in the same run:
  import   sqlite3 CLI `.import` into an equivalent table   vs  `movierec import FILE --db DB --quiet --json`
  load     pandas read_csv + scipy CSR float32 (from the CSV)  vs  loadSeconds of --movierec-json (if given)
  SVD      scikit-learn randomized_svd(n_components=64, n_iter=4) and scipy svds(k=64)
           vs  svdSeconds / svdRelativeResidual of --movierec-json or of `movierec benchmark --svd-only`
Each peer step runs in a fresh process, timed with a monotonic clock; peak memory is the process's
getrusage ru_maxrss. Ratios are movierec seconds / peer seconds (below 1: movierec is faster).
A movierec side that is missing or fails is reported as "not available".

Options:
  --ratings N          ratings to generate (default 25000000). Users and films scale linearly with N
                       in the ML-25M proportions 162,000 users : 62,000 films : 25,000,000 ratings.
  --seed S             generator seed (default 1).
  --cache DIR          where generated data sets (one per N and seed), the Python virtualenv and
                       scratch files live (default: bench-cache/ in the repository, git-ignored).
  --movierec-json FILE JSON from movierec's SVD benchmark with at least svdSeconds and
                       svdRelativeResidual (loadSeconds is used too when present). Without it the
                       script runs `movierec benchmark --svd-only --ratings-file CSV --rank 64
                       --power-iterations 4 --json` (4 power iterations, as scikit-learn's n_iter=4)
                       on the same file and uses that, when the command exists.
  --out FILE           the comparison as JSON (default: CACHE/peers-N.json).
  --movierec BINARY    use this movierec executable instead of building the repository's (release).
  -h, --help           this text.

Installs what is missing, once: Debian's sqlite3 (apt-get) and a virtualenv in CACHE/venv with
numpy, scipy, scikit-learn, pandas and threadpoolctl (pip). BLAS runs with as many threads as the
machine has cores, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for the timed Python steps only.
EOF
}

fail() {
    echo "compare-peers: $*" >&2
    exit 1
}

log() {
    echo "[$(date +%H:%M:%S)] $*" >&2
}

absolute() {
    case $1 in
        /*) printf '%s\n' "$1" ;;
        *) printf '%s\n' "$PWD/$1" ;;
    esac
}

ratings=25000000
seed=1
cache=""
movierec_json=""
out=""
movierec=""
while [ $# -gt 0 ]; do
    case $1 in
        --ratings | --seed | --cache | --movierec-json | --out | --movierec)
            [ $# -ge 2 ] || fail "$1 needs a value (see --help)"
            case $1 in
                --ratings) ratings=$2 ;;
                --seed) seed=$2 ;;
                --cache) cache=$(absolute "$2") ;;
                --movierec-json) movierec_json=$(absolute "$2") ;;
                --out) out=$(absolute "$2") ;;
                --movierec) movierec=$(absolute "$2") ;;
            esac
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) fail "unknown argument '$1' (see --help)" ;;
    esac
done
[[ $ratings =~ ^[1-9][0-9]*$ ]] || fail "--ratings must be a positive whole number, got '$ratings'"
[[ $seed =~ ^[0-9]+$ ]] || fail "--seed must be a non-negative whole number, got '$seed'"
if [ -n "$movierec_json" ] && [ ! -r "$movierec_json" ]; then
    fail "--movierec-json $movierec_json: no such readable file"
fi
if [ -n "$movierec" ] && [ ! -x "$movierec" ]; then
    fail "--movierec $movierec: not an executable file"
fi

cd "$(dirname "$0")/.."
repository=$PWD
peers="$repository/Scripts/peers"
cache=${cache:-"$repository/bench-cache"}
out=${out:-"$cache/peers-$ratings.json"}
mkdir -p "$cache" "$(dirname "$out")"

# ML-25M proportions, scaled linearly (rounded, at least one user); enough films for N ratings.
users=$(((ratings * 162000 + 12500000) / 25000000))
[ "$users" -ge 1 ] || users=1
movies=$(((ratings * 62000 + 12500000) / 25000000))
minimum_movies=$(((ratings + users - 1) / users))
[ "$movies" -ge "$minimum_movies" ] || movies=$minimum_movies
threads=$(getconf _NPROCESSORS_ONLN)
rank=64

# --- Install what is missing (idempotent) -----------------------------------------------------
apt_updated=no
apt_install() {
    local runner=env
    [ "$(id -u)" -eq 0 ] || runner=sudo
    command -v apt-get >/dev/null || fail "apt-get not found: install $* by hand"
    if [ "$apt_updated" = no ]; then
        "$runner" apt-get update -qq
        apt_updated=yes
    fi
    log "installing $* (apt-get)"
    "$runner" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v sqlite3 >/dev/null || apt_install sqlite3
sqlite_version=$(sqlite3 --version | cut -d' ' -f1)
# `.import --skip` needs SQLite 3.32 or newer.
if [ "$(printf '%s\n3.32.0\n' "$sqlite_version" | sort -V | head -n 1)" != 3.32.0 ]; then
    fail "sqlite3 $sqlite_version is too old for '.import --skip' (3.32 or newer needed)"
fi

venv="$cache/venv"
python="$venv/bin/python"
if ! "$python" -c 'import numpy, scipy, sklearn, pandas, threadpoolctl' 2>/dev/null; then
    if [ ! -x "$python" ]; then
        log "creating the virtualenv $venv"
        python3 -m venv "$venv" 2>/dev/null || {
            rm -rf "$venv"
            apt_install python3-venv
            python3 -m venv "$venv"
        }
    fi
    log "installing numpy, scipy, scikit-learn, pandas, threadpoolctl into $venv (pip)"
    "$python" -m pip install --quiet --disable-pip-version-check numpy scipy scikit-learn pandas threadpoolctl
fi

# --- movierec and the data set --------------------------------------------------------------------
if [ -z "$movierec" ]; then
    log "building movierec (release)"
    swift build -c release --product movierec >&2
    movierec="$(swift build -c release --show-bin-path)/movierec"
fi

data="$cache/generated-r$ratings-s$seed"
csv="$data/ratings.csv"
if [ ! -s "$csv" ]; then
    log "generating $ratings ratings ($users users, $movies films, seed $seed) into $data"
    rm -rf "$data.partial"
    "$movierec" generate --users "$users" --movies "$movies" --ratings "$ratings" --seed "$seed" \
        --out "$data.partial" >&2
    mv "$data.partial" "$data"
else
    log "using the cached data set $data"
fi

run=$(mktemp -d "$cache/run.XXXXXX")
trap 'rm -rf "$run"' EXIT

# The timed Python steps: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset (they slow a current OpenBLAS),
# BLAS and OpenMP limited to the machine's cores.
python_timed=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads"
    OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$python")
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

# --- (a) sqlite3 CLI .import ---------------------------------------------------------------------------
log "sqlite3 .import"
"$python" "$peers/timed.py" --stdout "$run/sqlite-import.stdout" --stderr "$run/sqlite-import.stderr" -- \
    sqlite3 "$run/peer.sqlite" \
    'CREATE TABLE ratings(userId INTEGER, movieId INTEGER, rating REAL, timestamp INTEGER);' \
    '.mode csv' ".import --skip 1 '$csv' ratings" >"$run/sqlite-import.time.json"
imported=$(sqlite3 "$run/peer.sqlite" 'SELECT count(*) FROM ratings;' 2>/dev/null || echo 0)
if [ "$imported" = "$ratings" ]; then
    mv "$run/sqlite-import.time.json" "$run/sqlite-import.json"
else
    echo "sqlite3 imported $imported rows, expected $ratings" >>"$run/sqlite-import.stderr"
fi
rm -f "$run/peer.sqlite"

# --- (b) movierec import ---------------------------------------------------------------------------------
log "movierec import"
"$python" "$peers/timed.py" --stdout "$run/movierec-import.stdout" --stderr "$run/movierec-import.stderr" -- \
    "$movierec" import "$csv" --db "$run/movierec.sqlite" --quiet --json >"$run/movierec-import.json"
rm -f "$run/movierec.sqlite" "$run/movierec.sqlite-wal" "$run/movierec.sqlite-shm"

# --- (c) Python: CSV -> CSR, then each SVD in a fresh process ----------------------------------------------
log "pandas read_csv + scipy CSR"
"${python_timed[@]}" "$peers/load_matrix.py" "$csv" "$run/matrix.npz" >"$run/load.json" 2>"$run/load.stderr" ||
    log "loading the matrix failed: $(tail -n 1 "$run/load.stderr")"
if [ -s "$run/matrix.npz" ]; then
    for algorithm in randomized_svd svds; do
        log "$algorithm (rank $rank, $threads threads)"
        "${python_timed[@]}" "$peers/svd_peer.py" "$algorithm" "$run/matrix.npz" --rank "$rank" \
            --threads "$threads" >"$run/$algorithm.json" 2>"$run/$algorithm.stderr" ||
            log "$algorithm failed: $(tail -n 1 "$run/$algorithm.stderr")"
    done
fi
if [ -z "$movierec_json" ]; then
    log "movierec benchmark --svd-only"
    "$python" "$peers/timed.py" --stdout "$run/movierec-svd.stdout" --stderr "$run/movierec-svd.stderr" -- \
        "$movierec" benchmark --svd-only --ratings-file "$csv" --rank "$rank" --power-iterations 4 --json \
        >"$run/movierec-svd.json"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

cat >"$run/context.json" <<EOF
{
  "ratings": $ratings, "users": $users, "movies": $movies, "seed": $seed, "rank": $rank,
  "threads": $threads, "csvBytes": $(wc -c <"$csv" | tr -d ' '), "sqliteVersion": "$sqlite_version",
  "loadAverageBefore": "$load_before", "loadAverageAfter": "$load_after",
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//' || true)",
  "openblasCoretypeUnset": "${OPENBLAS_CORETYPE:-}", "openblasL2SizeUnset": "${OPENBLAS_L2_SIZE:-}"
}
EOF

report=("$python" "$peers/report.py" "$run" --out "$out")
[ -z "$movierec_json" ] || report+=(--movierec-json "$movierec_json")
"${report[@]}"
