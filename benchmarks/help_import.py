"""Cost of `readiness --help`: wall time against a bare `python -c pass` measured in the same run.

Each program runs several times, alternating, and the medians are compared. Printing the help
imports every command module (each imports nothing heavy at module level), so this also guards
the lazy-import rule. Target: `readiness --help` ≤ 60 ms above the bare interpreter here, and the
ratio is printed for comparison across machines.

    python benchmarks/help_import.py [--runs N] [--baseline CHECKOUT]

With --baseline, the `readiness --help` of another checkout (e.g. a worktree of main) is timed in
the same run, imported from there through PYTHONPATH, to show what a change costs.

Exit status 0 when the extra time meets the target, 1 when it does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

TARGET_EXTRA_MS = 60.0


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds from start to exit of one run (output discarded; a failure stops the benchmark)."""
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=60, env=env)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", metavar="CHECKOUT", help="also time this checkout's readiness --help")
    args = parser.parse_args()
    bare = [sys.executable, "-c", "pass"]
    help_ = [sys.executable, "-m", "readiness_tui", "--help"]
    base_env = dict(os.environ, PYTHONPATH=args.baseline) if args.baseline else None
    timed(bare), timed(help_)  # warm the file cache
    bare_s, help_s, base_s = [], [], []
    for _ in range(args.runs):
        bare_s.append(timed(bare))
        help_s.append(timed(help_))
        if base_env:
            base_s.append(timed(help_, base_env))
    b, h = statistics.median(bare_s), statistics.median(help_s)
    extra_ms = (h - b) * 1000
    print(f"python -c pass:   median {b * 1000:6.1f} ms over {args.runs} runs")
    print(f"readiness --help: median {h * 1000:6.1f} ms over {args.runs} runs")
    print(f"ratio {h / b:.2f}x; extra {extra_ms:.1f} ms (target ≤ {TARGET_EXTRA_MS:.0f} ms)")
    if base_s:
        base = statistics.median(base_s)
        print(f"baseline {args.baseline}: median {base * 1000:6.1f} ms, ratio {base / b:.2f}x; "
              f"this checkout {(h - base) * 1000:+.1f} ms")
    return 0 if extra_ms <= TARGET_EXTRA_MS else 1


if __name__ == "__main__":
    sys.exit(main())
