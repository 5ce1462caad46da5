"""Benchmark: a whole `readiness check` run stays bounded and concurrent.

1. Hang: the backend host accepts connections and never answers. The full `readiness check
   --timeout T` (a real subprocess, start-up included) must finish within T + 2 s; the reference in
   the same run is a one-item `readiness check` of the same project (start-up, record, report).
2. Healthy: every host answers. The run's wall time must be ≤ 1.5× its slowest single check
   (checks run concurrently; nothing serialises them).

    python benchmarks/whole_run.py [--timeout 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks.load_test import start_server  # noqa: E402


def write_project(root: Path, backend: str, frontend: str, timeout: float) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / ".env").write_text(f"BACKEND_API_URL={backend}\nFRONTEND_URL={frontend}\n")
    (root / "readiness.toml").write_text(f"[target]\ncheck_timeout = {timeout}\n")
    return root


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("READINESS_", "SUPABASE", "PUSHER", "BACKEND_API", "FRONTEND_URL"))}
    env["PYTHONPATH"] = str(REPO)
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return env


def hang_scenario(tmp: Path, timeout: float) -> bool:
    ok_proc, ok_url = start_server("ok")
    hang_proc, hang_url = start_server("hang")
    try:
        project = write_project(tmp / "hang", hang_url, ok_url, timeout)
        base = [sys.executable, "-m", "readiness_tui", "check", str(project), "--format", "json", "--quiet"]
        started = time.monotonic()
        subprocess.run([*base, "--only", "4.1"], capture_output=True, text=True, env=cli_env(), timeout=60)
        reference = time.monotonic() - started
        started = time.monotonic()
        out = subprocess.run([*base, "--timeout", f"{timeout:g}"], capture_output=True, text=True, env=cli_env(),
                             timeout=timeout * 6 + 30)
        wall = time.monotonic() - started
    finally:
        for proc in (ok_proc, hang_proc):
            proc.terminate()
            proc.wait(10)
    report = json.loads(out.stdout)
    statuses: dict[str, int] = {}
    for section in report["sections"]:
        for item in section["items"]:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    limit = timeout + 2
    verdict = wall <= limit
    print(f"hang: full `readiness check --timeout {timeout:g}` (subprocess, start-up included) took {wall:.2f} s "
          f"→ {wall:.2f} ≤ {limit:g} s {'PASS' if verdict else 'FAIL'}")
    print(f"      reference (one-item run of the same project: start-up, record, report) {reference:.2f} s; "
          f"the run beyond it {wall - reference:.2f} s = {(wall - reference) / timeout:.2f} × the timeout")
    print(f"      item statuses: {statuses}")
    slow = sorted(((i["duration_ms"], i["id"]) for s in report["sections"] for i in s["items"]), reverse=True)[:3]
    print(f"      slowest items: {', '.join(f'{i} {ms} ms' for ms, i in slow)}")
    return verdict


def healthy_scenario(tmp: Path, timeout: float) -> bool:
    from readiness_tui.target import open_target, run_items

    proc, url = start_server("ok")
    try:
        project = write_project(tmp / "healthy", url, url, timeout)
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        target = open_target(project)
        started = time.monotonic()
        results, _ = asyncio.run(run_items(target, target.checklist.items, full=True))
        wall = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(10)
    slowest = max(((c.duration_ms, c.check) for r in results.values() for c in r.checks), default=(0, "none"))
    # The load test waits for the latency probes and the rate-limit burst waits for the load test (on
    # purpose: they would distort each other). A check's own work excludes those waits:
    own: list[tuple[float, str]] = []
    for r in results.values():
        for c in r.checks:
            if c.check == "load.test" and "load_test" in c.evidence:
                own.append((c.evidence["load_test"]["elapsed_s"] * 1000, c.check))
            elif c.check == "http.rate_limit" and "elapsed_s" in c.evidence:
                own.append((c.evidence["elapsed_s"] * 1000, c.check))
            else:
                own.append((float(c.duration_ms), c.check))
    work = max(own, default=(0.0, "none"))
    ratio = wall * 1000 / slowest[0] if slowest[0] else float("inf")
    strict = wall * 1000 / work[0] if work[0] else float("inf")
    verdict = ratio <= 1.5
    print(f"healthy: whole run {wall * 1000:.0f} ms; slowest single check {slowest[1]} {slowest[0]} ms → "
          f"ratio {ratio:.2f} (target ≤ 1.5) {'PASS' if verdict else 'FAIL'}")
    print(f"         stricter view, waits excluded: slowest own work {work[1]} {work[0]:.0f} ms → ratio {strict:.2f} "
          f"(the difference is the deliberate ordering probes → load test → burst)")
    return verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="the whole run's --timeout (hang) and check_timeout (both scenarios)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a = hang_scenario(Path(tmp), args.timeout)
        b = healthy_scenario(Path(tmp), args.timeout)
    return 0 if a and b else 1


if __name__ == "__main__":
    sys.exit(main())
