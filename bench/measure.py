#!/usr/bin/env python3
"""Runs a command and prints its wall time (s) and peak RSS (KiB) as JSON.

    python3 bench/measure.py -- CMD ARGS...
    python3 bench/measure.py --stdin FILE -- CMD ARGS...
    python3 bench/measure.py --stdout FILE -- CMD ARGS...   (keeps the command's output)
"""
import json, os, subprocess, sys, time


def main():
    args = sys.argv[1:]
    stdin, stdout = None, subprocess.DEVNULL
    while args and args[0] in ("--stdin", "--stdout"):
        if args[0] == "--stdin":
            stdin = open(args[1], "rb")
        else:
            stdout = open(args[1], "wb")
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdin=stdin, stdout=stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"seconds": round(elapsed, 4), "max_rss_kib": usage.ru_maxrss, "exit": code}))
    sys.exit(0 if code == 0 else 1)


if __name__ == "__main__":
    main()
