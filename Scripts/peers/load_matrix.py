"""Peer step "load": reads a MovieLens ratings.csv into a scipy CSR matrix (float32) and saves it.

Usage: load_matrix.py RATINGS_CSV MATRIX_NPZ

Reads the CSV with pandas.read_csv (explicit dtypes, C engine), maps user and film ids to dense
row/column indices in increasing id order, builds the users x films CSR matrix of ratings, and
saves it uncompressed (scipy.sparse.save_npz) so that each SVD runs in a fresh process that
only holds the matrix. Prints JSON: ratings, users, movies, readSeconds, buildSeconds, seconds,
cpuSeconds, peakRSSBytes.
"""

import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse

from peerlib import cpu_seconds, library_versions, peak_rss_bytes, print_json


def dense_indices(ids):
    """Maps ids to 0..<distinct count in increasing id order, in O(n + max id) without sorting."""
    present = np.zeros(int(ids.max()) + 1, dtype=bool)
    present[ids] = True
    index_of_id = np.cumsum(present, dtype=np.int64) - 1
    return index_of_id[ids].astype(np.int32), int(present.sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ratings_csv")
    parser.add_argument("matrix_npz")
    options = parser.parse_args()

    started = time.monotonic()
    cpu_started = cpu_seconds()
    frame = pd.read_csv(
        options.ratings_csv,
        usecols=["userId", "movieId", "rating"],
        dtype={"userId": np.int32, "movieId": np.int32, "rating": np.float32},
    )
    users, movies, ratings = (frame[name].to_numpy() for name in ("userId", "movieId", "rating"))
    del frame
    read_done = time.monotonic()

    rows, user_count = dense_indices(users)
    columns, movie_count = dense_indices(movies)
    del users, movies
    matrix = scipy.sparse.csr_matrix(
        (ratings, (rows, columns)), shape=(user_count, movie_count), dtype=np.float32
    )
    built = time.monotonic()
    cpu = cpu_seconds() - cpu_started

    peak = peak_rss_bytes()
    scipy.sparse.save_npz(options.matrix_npz, matrix, compressed=False)
    print_json(
        {
            "ratings": int(ratings.shape[0]),
            "users": user_count,
            "movies": movie_count,
            "nonZeros": int(matrix.nnz),
            "readSeconds": read_done - started,
            "buildSeconds": built - read_done,
            "seconds": built - started,
            "cpuSeconds": cpu,
            "peakRSSBytes": peak,
            "versions": library_versions(),
        }
    )


if __name__ == "__main__":
    main()
