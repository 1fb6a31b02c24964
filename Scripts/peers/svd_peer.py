"""Peer step "rank-k truncated SVD": times one peer algorithm on a saved CSR matrix, in this process alone.

Usage: svd_peer.py {randomized_svd,svds} MATRIX_NPZ [--rank 64] [--threads N]

  randomized_svd: sklearn.utils.extmath.randomized_svd(A, n_components=k, n_iter=4, random_state=0)
  svds:           scipy.sparse.linalg.svds(A, k=k, random_state=0)  (ARPACK, the default solver)

Run it as a fresh process per algorithm: peakRSSBytes is the process's getrusage ru_maxrss
(tracemalloc does not see numpy's or BLAS's buffers), taken right after the SVD and before the
residual is computed. Prints JSON: algorithm, rank, seconds, cpuSeconds (all threads),
peakRSSBytes, matrixRSSBytes (the peak before the SVD started: interpreter, libraries and the
matrix), relativeResidual, orthonormalityError, blas, versions.
"""

import argparse
import os
import time

import numpy as np
import scipy.sparse
from scipy.sparse.linalg import svds
from sklearn.utils.extmath import randomized_svd
from threadpoolctl import threadpool_limits

from peerlib import blas_description, cpu_seconds, library_versions, peak_rss_bytes, print_json


def relative_residual(a, u, s, vt):
    """‖A − U·diag(s)·Vᵀ‖_F / ‖A‖_F, exactly, without forming the dense m×n product.

    With V = vtᵀ and all sums in float64:
        ‖A − U S Vᵀ‖_F² = ‖A‖_F² − 2·⟨A, U S Vᵀ⟩_F + ‖U S Vᵀ‖_F²
        ⟨A, U S Vᵀ⟩_F   = Σ_i s_i · u_iᵀ (A v_i)                   (one sparse product A·V, m×k)
        ‖U S Vᵀ‖_F²     = tr(S UᵀU S VᵀV) = Σ_ij s_i s_j (UᵀU)_ij (VᵀV)_ij  (two k×k Gram matrices)
    For orthonormal U and V the last term is Σ_i s_i², and the whole is ‖A‖_F² − Σ_i s_i² when
    U, V are exact singular vectors; the Gram form stays exact for any U, V. Cost O(nnz·k + (m+n)·k²).
    A tiny negative value from rounding is clamped to 0.
    """
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(vt, dtype=np.float64).T
    s = np.asarray(s, dtype=np.float64)
    a_norm_squared = float(np.dot(a.data.astype(np.float64), a.data.astype(np.float64)))
    av = a.astype(np.float64) @ v
    cross = float(np.dot(s, np.einsum("ij,ij->j", u, av)))
    approximation_squared = float(np.einsum("i,j,ij,ij->", s, s, u.T @ u, v.T @ v))
    residual_squared = max(a_norm_squared - 2.0 * cross + approximation_squared, 0.0)
    return (residual_squared / a_norm_squared) ** 0.5


def orthonormality_error(u, vt):
    """max |UᵀU − I| and |VVᵀ − I| over all entries: how far the factors are from orthonormal."""
    u = np.asarray(u, dtype=np.float64)
    vt = np.asarray(vt, dtype=np.float64)
    identity = np.eye(u.shape[1])
    return float(max(np.abs(u.T @ u - identity).max(), np.abs(vt @ vt.T - identity).max()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("algorithm", choices=["randomized_svd", "svds"])
    parser.add_argument("matrix_npz")
    parser.add_argument("--rank", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    options = parser.parse_args()

    a = scipy.sparse.load_npz(options.matrix_npz).tocsr()
    with threadpool_limits(limits=options.threads):
        blas = blas_description()
        matrix_rss = peak_rss_bytes()
        started = time.monotonic()
        cpu_started = cpu_seconds()
        if options.algorithm == "randomized_svd":
            u, s, vt = randomized_svd(a, n_components=options.rank, n_iter=4, random_state=0)
        else:
            u, s, vt = svds(a, k=options.rank, random_state=0)
        seconds = time.monotonic() - started
        cpu = cpu_seconds() - cpu_started
        peak = peak_rss_bytes()
        residual = relative_residual(a, u, s, vt)

    print_json(
        {
            "algorithm": options.algorithm,
            "rank": options.rank,
            "threads": options.threads,
            "shape": list(a.shape),
            "nonZeros": int(a.nnz),
            "seconds": seconds,
            "cpuSeconds": cpu,
            "peakRSSBytes": peak,
            "matrixRSSBytes": matrix_rss,
            "relativeResidual": residual,
            "largestSingularValue": float(np.max(s)),
            "orthonormalityError": orthonormality_error(u, vt),
            "blas": blas,
            "versions": library_versions(),
        }
    )


if __name__ == "__main__":
    main()
