"""Shared pieces of the peer-comparison scripts: peak memory, BLAS description, JSON output.

Only the standard library is imported at module level, so `timed.py` and `report.py` also run
without numpy.
"""

import json
import resource
import sys


def peak_rss_bytes(who=resource.RUSAGE_SELF):
    """Peak resident set size from the OS (getrusage ru_maxrss), in bytes.

    Linux reports ru_maxrss in KiB, macOS in bytes.
    """
    peak = resource.getrusage(who).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def cpu_seconds(who=resource.RUSAGE_SELF):
    """User plus system CPU time from getrusage, in seconds.

    Counts all threads; with RUSAGE_CHILDREN, the children waited for.

    Less sensitive than wall time to other processes sharing the cores.
    """
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def blas_description():
    """The BLAS/OpenMP libraries loaded in this process, as threadpoolctl sees them."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "architecture", "num_threads", "threading_layer")
    pools = [{key: pool.get(key) for key in keys if key in pool} for pool in threadpool_info()]
    return sorted(pools, key=lambda pool: tuple(str(pool.get(key)) for key in keys))


def library_versions():
    """Versions of the numerical packages used by the peers."""
    import numpy
    import scipy
    import sklearn

    return {
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def print_json(value):
    """Writes one JSON document to standard output."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
