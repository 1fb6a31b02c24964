"""Runs one command and reports its wall time (monotonic clock) and peak resident memory as JSON.

Usage: timed.py --stdout FILE --stderr FILE -- COMMAND [ARG...]

The command's own output goes to the given files; this script prints
{"seconds", "cpuSeconds", "exitCode", "peakRSSBytes"} and exits 0 whatever the command's exit code was
(the caller decides what a failure means).
"""

import argparse
import resource
import subprocess
import time

from peerlib import cpu_seconds, peak_rss_bytes, print_json


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", required=True, help="file for the command's standard output")
    parser.add_argument("--stderr", required=True, help="file for the command's standard error")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    options = parser.parse_args()
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("no command given")

    with open(options.stdout, "wb") as out, open(options.stderr, "wb") as err:
        started = time.monotonic()
        try:
            exit_code = subprocess.run(command, stdout=out, stderr=err, check=False).returncode
        except OSError as error:  # the program is missing or not executable
            err.write(f"{command[0]}: {error}\n".encode())
            exit_code = 127
        seconds = time.monotonic() - started
    # This script starts exactly one child, so the children's figures are that command's.
    print_json(
        {
            "seconds": seconds,
            "cpuSeconds": cpu_seconds(resource.RUSAGE_CHILDREN),
            "exitCode": exit_code,
            "peakRSSBytes": peak_rss_bytes(resource.RUSAGE_CHILDREN),
        }
    )


if __name__ == "__main__":
    main()
