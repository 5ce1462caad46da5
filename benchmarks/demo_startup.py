"""How fast the demo is ready, as a ratio to the CLI's own start-up measured in the same run.

    python benchmarks/demo_startup.py [--runs N]

Measures, N times each: `readiness --version` (the reference: interpreter + CLI start-up), the time
until `readiness demo --serve` has its project written and its services answering (what stands
between a newcomer and the wizard's first screen, minus the wizard's own start), and a whole
`readiness demo --headless` (every check of the checklist against the demo target, then clean-up).
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return env


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "readiness_tui", *args], env=_env(), capture_output=True, check=False,
                   timeout=300)
    return time.perf_counter() - started


def serve_ready() -> float:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "demo", "--serve"], env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    seen = b""
    deadline = started + 60
    try:
        while b"press Ctrl+C" not in seen:
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.perf_counter()))
            if not ready:
                raise SystemExit("the demo did not become ready within 60 s")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("the demo ended early")
            seen += chunk
        return time.perf_counter() - started
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    reference = statistics.median(timed(["--version"]) for _ in range(runs))
    ready = statistics.median(serve_ready() for _ in range(runs))
    headless = statistics.median(timed(["demo", "--headless"]) for _ in range(runs))
    print(f"reference  readiness --version        {reference * 1000:8.0f} ms")
    print(f"demo ready (project + services up)    {ready * 1000:8.0f} ms   {ready / reference:6.1f}x reference")
    print(f"demo --headless (all checks, cleanup) {headless * 1000:8.0f} ms   {headless / reference:6.1f}x reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
