"""Peer comparison report: reads the step results of one compare-peers.sh run, prints the table, writes JSON.

Usage: report.py RUN_DIR --out FILE [--movierec-json FILE]

RUN_DIR holds what compare-peers.sh wrote: context.json, sqlite-import.json, movierec-import.json
(+ .stdout/.stderr), load.json, randomized_svd.json, svds.json (each with a .stderr), and
movierec-svd.json (+ .stdout/.stderr) from `movierec benchmark --svd-only` when no --movierec-json
was given. A missing or failed step is reported as "not available" with the reason, never as a number.
Ratios are movierec seconds / peer seconds (below 1: movierec is faster).
"""

import argparse
import json
import os

RESIDUAL_FORMULA = (
    "relative residual = ||A - U S V^T||_F / ||A||_F with ||A - U S V^T||_F^2 = ||A||_F^2 "
    "- 2 * sum_i s_i * u_i^T (A v_i) + sum_ij s_i s_j (U^T U)_ij (V^T V)_ij, in float64, from one sparse "
    "product A*V; the last term is sum_i s_i^2 when U and V are orthonormal. A = raw ratings "
    "(users x rated films, implicit zeros)."
)


def read_json(path):
    """The parsed JSON document at path, or None when the file is missing, empty or invalid."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def failure_reason(stderr_path, fallback, first=False):
    """The last (or first) non-empty line of a step's standard error, or fallback."""
    try:
        with open(stderr_path, encoding="utf-8", errors="replace") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError:
        lines = []
    return lines[0 if first else -1] if lines else fallback


def ratio(movierec_seconds, peer_seconds):
    """movierec / peer, or None when either side is missing."""
    if movierec_seconds is None or not peer_seconds:
        return None
    return movierec_seconds / peer_seconds


def import_steps(run_dir, rows):
    """The import row: sqlite3 CLI .import against `movierec import`, both timed end to end."""
    peer = read_json(os.path.join(run_dir, "sqlite-import.json"))
    timed = read_json(os.path.join(run_dir, "movierec-import.json"))
    own = read_json(os.path.join(run_dir, "movierec-import.stdout"))
    step = {"step": "import CSV into SQLite", "peer": "sqlite3 CLI .import"}
    if peer and peer.get("exitCode") == 0:
        step.update(
            peerSeconds=peer["seconds"],
            peerCpuSeconds=peer["cpuSeconds"],
            peerRowsPerSecond=rows / peer["seconds"],
            peerPeakRSSBytes=peer["peakRSSBytes"],
        )
    else:
        step["peerNote"] = "not available: " + failure_reason(
            os.path.join(run_dir, "sqlite-import.stderr"), "did not run"
        )
    if timed and timed.get("exitCode") == 0 and isinstance(own, dict):
        step.update(
            movierecSeconds=timed["seconds"],
            movierecCpuSeconds=timed["cpuSeconds"],
            movierecRowsPerSecond=rows / timed["seconds"],
            movierecPeakRSSBytes=timed["peakRSSBytes"],
            movierecReported=own,
        )
        if own.get("inserted") != rows:
            step["movierecNote"] = f"movierec inserted {own.get('inserted')} of {rows} rows"
    else:
        step["movierecNote"] = "not available: " + failure_reason(
            os.path.join(run_dir, "movierec-import.stderr"), "`movierec import` did not run", first=True
        )
    step["ratio"] = ratio(step.get("movierecSeconds"), step.get("peerSeconds"))
    return step


def movierec_svd_result(run_dir, movierec_json):
    """movierec's SVD figures and where they came from: (result or None, note).

    From --movierec-json when given, else from the `movierec benchmark --svd-only` run of this script.
    """
    if movierec_json:
        return read_json(movierec_json), f"from {os.path.basename(movierec_json)}"
    timed = read_json(os.path.join(run_dir, "movierec-svd.json"))
    own = read_json(os.path.join(run_dir, "movierec-svd.stdout"))
    if timed and timed.get("exitCode") == 0 and isinstance(own, dict) and own.get("svdSeconds") is not None:
        own["processPeakRSSBytes"] = timed["peakRSSBytes"]
        return own, "from `movierec benchmark --svd-only` in this run"
    return None, "not available: " + failure_reason(
        os.path.join(run_dir, "movierec-svd.stderr"),
        "no --movierec-json and no `movierec benchmark --svd-only`",
        first=True,
    )


def load_step(run_dir, movierec, missing):
    """The matrix-loading row: CSV -> scipy CSR against movierec's loadSeconds, when it gives one."""
    load = read_json(os.path.join(run_dir, "load.json"))
    step = {"step": "load rating matrix", "peer": "pandas read_csv + scipy CSR (from CSV)"}
    if load:
        step.update(
            peerSeconds=load["seconds"],
            peerCpuSeconds=load["cpuSeconds"],
            peerReadSeconds=load["readSeconds"],
            peerBuildSeconds=load["buildSeconds"],
            peerPeakRSSBytes=load["peakRSSBytes"],
        )
    else:
        step["peerNote"] = "not available: " + failure_reason(
            os.path.join(run_dir, "load.stderr"), "did not run"
        )
    if movierec and movierec.get("loadSeconds") is not None:
        step["movierecSeconds"] = movierec["loadSeconds"]
        step["movierecNote"] = "loadSeconds " + missing
    else:
        step["movierecNote"] = (
            missing if movierec is None else "not available: no loadSeconds in movierec's JSON"
        )
    step["ratio"] = ratio(step.get("movierecSeconds"), step.get("peerSeconds"))
    return step


def svd_step(run_dir, algorithm, peer_name, rank, movierec, missing):
    """A rank-k SVD row: one peer algorithm against movierec's svdSeconds / svdRelativeResidual."""
    result = read_json(os.path.join(run_dir, f"{algorithm}.json"))
    step = {"step": f"rank-{rank} truncated SVD", "peer": peer_name}
    if result:
        step.update(
            peerSeconds=result["seconds"],
            peerCpuSeconds=result["cpuSeconds"],
            peerPeakRSSBytes=result["peakRSSBytes"],
            peerMatrixRSSBytes=result["matrixRSSBytes"],
            peerRelativeResidual=result["relativeResidual"],
            peerOrthonormalityError=result["orthonormalityError"],
        )
    else:
        step["peerNote"] = "not available: " + failure_reason(
            os.path.join(run_dir, f"{algorithm}.stderr"), "did not run"
        )
    if movierec and movierec.get("svdSeconds") is not None:
        step["movierecSeconds"] = movierec["svdSeconds"]
        step["movierecRelativeResidual"] = movierec.get("svdRelativeResidual")
        step["movierecNote"] = missing
    else:
        step["movierecNote"] = (
            missing if movierec is None else "not available: no svdSeconds in movierec's JSON"
        )
    step["ratio"] = ratio(step.get("movierecSeconds"), step.get("peerSeconds"))
    return step


def formatted(value, pattern):
    """value formatted with pattern, or "n/a"."""
    return "n/a" if value is None else pattern.format(value)


def print_table(report):
    """The human-readable table, one row per step, then the notes."""
    header = (
        "step",
        "peer",
        "peer s",
        "movierec s",
        "movierec/peer",
        "peer CPU s",
        "peer peak",
        "residual peer / movierec",
    )
    rows = [header]
    for step in report["steps"]:
        residual = ""
        if "peerRelativeResidual" in step or "movierecRelativeResidual" in step:
            residual = (
                formatted(step.get("peerRelativeResidual"), "{:.6f}")
                + " / "
                + formatted(step.get("movierecRelativeResidual"), "{:.6f}")
            )
        peak = step.get("peerPeakRSSBytes")
        rows.append(
            (
                step["step"],
                step["peer"],
                formatted(step.get("peerSeconds"), "{:.2f}"),
                formatted(step.get("movierecSeconds"), "{:.2f}"),
                formatted(step.get("ratio"), "{:.3f}"),
                formatted(step.get("peerCpuSeconds"), "{:.2f}"),
                formatted(None if peak is None else peak / 2**20, "{:.0f} MiB"),
                residual,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    notes = {}
    for step in report["steps"]:
        for side in ("peer", "movierec"):
            rate = step.get(f"{side}RowsPerSecond")
            if rate is not None:
                print(f"{step['step']}: {side} {rate / 1e6:.2f} M rows/s")
            if step.get(f"{side}Note"):
                steps = notes.setdefault(f"{side}: {step[f'{side}Note']}", [])
                if step["step"] not in steps:
                    steps.append(step["step"])
    for note, steps in notes.items():
        print(f"{', '.join(steps)} ({note})")
    context = report["context"]
    print(
        f"{context['ratings']:,} ratings, {context['users']:,} users, {context['movies']:,} films, "
        f"seed {context['seed']}; "
        f"{context['threads']} BLAS threads; load average {context['loadAverageBefore']} before, "
        f"{context['loadAverageAfter']} after (other processes share the CPU)"
    )
    kernels = sorted(
        {
            f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')}"
            for pool in report.get("blas", [])
            if pool.get("user_api") == "blas"
        }
    )
    print("BLAS: " + (", ".join(kernels) if kernels else "n/a"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", required=True)
    parser.add_argument("--movierec-json")
    options = parser.parse_args()

    context = read_json(os.path.join(options.run_dir, "context.json"))
    movierec, movierec_note = movierec_svd_result(options.run_dir, options.movierec_json)
    if options.movierec_json and not isinstance(movierec, dict):
        parser.error(f"--movierec-json {options.movierec_json}: not a JSON object")
    rank = context["rank"]
    steps = [
        import_steps(options.run_dir, context["ratings"]),
        load_step(options.run_dir, movierec, movierec_note),
        svd_step(
            options.run_dir,
            "randomized_svd",
            "scikit-learn randomized_svd(n_iter=4)",
            rank,
            movierec,
            movierec_note,
        ),
        svd_step(options.run_dir, "svds", "scipy svds (ARPACK)", rank, movierec, movierec_note),
    ]
    svd = read_json(os.path.join(options.run_dir, "randomized_svd.json")) or read_json(
        os.path.join(options.run_dir, "svds.json")
    )
    report = {
        "context": context,
        "steps": steps,
        "residualFormula": RESIDUAL_FORMULA,
        "blas": svd["blas"] if svd else [],
        "versions": svd["versions"] if svd else None,
        "movierecInput": movierec,
    }
    with open(options.out, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
        handle.write("\n")
    print_table(report)
    print(f"JSON: {options.out}")


if __name__ == "__main__":
    main()
