"""Benchmark: our load test against `ab -n 1000 -c 10` on the same loopback endpoint, in one run.

Target (issue 4): throughput ≥ 0.5× ab's and p50 within 2× of ab's, so the tool measures the server,
not itself. Each tool runs ROUNDS times alternately; the medians are compared.

    python benchmarks/load_test.py [--requests 1000] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(mode: str = "ok") -> tuple[subprocess.Popen[str], str]:
    """The benchmark server in its own process; returns it and its base URL once it is ready."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "_server.py"), str(port), mode], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise SystemExit("benchmark server did not start")
    return proc, f"http://127.0.0.1:{port}"


def run_ab(ab: str, url: str, n: int, c: int, keepalive: bool = False) -> tuple[float, float]:
    """(requests per second, p50 ms) from ab's output."""
    cmd = [ab, "-q", *(["-k"] if keepalive else []), "-n", str(n), "-c", str(c), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"ab failed: {out.stderr.strip() or out.stdout[-500:]}")
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"^\s+50%\s+(\d+)", out.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    # ab prints whole milliseconds; its mean per request (across all concurrent requests) is finer:
    mean = float(re.search(r"Time per request:\s+([\d.]+) \[ms\] \(mean\)", out.stdout).group(1))  # type: ignore[union-attr]
    return rps, p50 if p50 >= 1 else mean


def run_ours(url: str, n: int, c: int) -> tuple[float, float, int]:
    from readiness_tui.loadgen import run_load

    result = asyncio.run(run_load(url, n, c))
    return result.rps, result.pct(50), result.failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ab = shutil.which("ab")
    if ab is None:
        print("ab (apache2-utils) is not installed", file=sys.stderr)
        return 2
    proc, base = start_server()
    url = base + "/health"
    try:
        run_ab(ab, url, 200, args.concurrency)  # warm-up
        run_ours(url, 200, args.concurrency)
        ab_rps, ab_p50, our_rps, our_p50, abk_rps = [], [], [], [], []
        for _ in range(args.rounds):
            abk_rps.append(run_ab(ab, url, args.requests, args.concurrency, keepalive=True)[0])
            rps, p50 = run_ab(ab, url, args.requests, args.concurrency)
            ab_rps.append(rps)
            ab_p50.append(p50)
            rps, p50, failures = run_ours(url, args.requests, args.concurrency)
            if failures:
                print(f"our load test saw {failures} errors", file=sys.stderr)
                return 1
            our_rps.append(rps)
            our_p50.append(p50)
    finally:
        proc.terminate()
        proc.wait(10)
    a_rps, a_p50 = statistics.median(ab_rps), statistics.median(ab_p50)
    o_rps, o_p50 = statistics.median(our_rps), statistics.median(our_p50)
    throughput = o_rps / a_rps
    latency = o_p50 / a_p50 if a_p50 > 0 else float("inf")
    print(f"endpoint: {url} · n={args.requests} c={args.concurrency} · median of {args.rounds} rounds")
    print(f"ab -n {args.requests} -c {args.concurrency}: {a_rps:,.0f} req/s, p50 {a_p50:.2f} ms")
    print(f"readiness load.test:     {o_rps:,.0f} req/s, p50 {o_p50:.2f} ms (keep-alive)")
    print(f"for reference, ab -k (keep-alive like ours): {statistics.median(abk_rps):,.0f} req/s "
          f"→ ours {o_rps / statistics.median(abk_rps):.2f}×")
    ok_t = throughput >= 0.5
    ok_l = 0.5 <= latency <= 2.0 or o_p50 <= a_p50
    print(f"throughput ratio: {throughput:.2f}× ab (target ≥ 0.5×) {'PASS' if ok_t else 'FAIL'}")
    print(f"p50 ratio: {latency:.2f}× ab (target within 2×) {'PASS' if ok_l else 'FAIL'}")
    return 0 if ok_t and ok_l else 1


if __name__ == "__main__":
    sys.exit(main())
