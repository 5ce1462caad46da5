"""Benchmark: how many repository-decided verdicts are right, and how fast the project map is.

1. The fixture repositories (tests/fixtures/repos/): every fixture is made into a git repository, the
   items its TOML decides are run, and the agreement is printed per repository (the test
   `tests/test_fixture_repos.py` requires 100 %).
2. The project map's time on the largest repository at hand — the largest tuning repository of
   /work/research when it exists, else the largest fixture — beside a reference measured in the same
   run: listing the files with git and reading the bytes of every file the map reads. The ratio is
   what to watch (the machines are shared and noisy).
3. When /work/research exists: its harness on the tuning set (`measure.py --set tuning`, this venv),
   whose table and pattern counts are printed. The held-out set is never touched here.

Usage: python benchmarks/accuracy.py [--no-research] [--probe] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESEARCH = Path("/work/research")
sys.path.insert(0, str(REPO / "tests"))


def fixture_agreement() -> tuple[int, int]:
    from fixtures.fixture_repos import disagreements, expectations, names, run_fixture

    right = total = 0
    print(f"{'fixture repository':<28}{'right/total':>12}{'agree':>9}")
    with tempfile.TemporaryDirectory(prefix="readiness-accuracy-") as tmp:
        for name in names():
            results = run_fixture(name, Path(tmp))
            wrong = disagreements(name, results)
            n = len(expectations(name))
            right += n - len(wrong)
            total += n
            print(f"{name:<28}{n - len(wrong):>5}/{n:<6}{100 * (n - len(wrong)) / n:>8.1f} %")
            for line in wrong:
                print(f"    {line}")
    print(f"{'TOTAL':<28}{right:>5}/{total:<6}{100 * right / max(1, total):>8.1f} %")
    return right, total


def largest_repository() -> Path:
    """The largest tuning repository of /work/research, else the largest fixture (materialised)."""
    listing = RESEARCH / "repos.toml"
    if listing.is_file():
        data = tomllib.loads(listing.read_text())
        tuning = [Path(r["checkout"]) for r in data.get("repo", []) if r.get("set") == "tuning"]
        tuning = [p for p in tuning if (p / ".git").exists()]
        if tuning:
            return max(tuning, key=lambda p: len(_git_files(p)))
    from fixtures.fixture_repos import REPOS, checkout, names

    biggest = max(names(), key=lambda n: sum(1 for _ in (REPOS / n).rglob("*")))
    return checkout(biggest, Path(tempfile.mkdtemp(prefix="readiness-accuracy-")))


def _git_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False).stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def map_timing(runs: int) -> None:
    from readiness_tui import projectmap

    root = largest_repository()
    walls, cpus, refs = [], [], []
    pm = None
    for _ in range(runs):
        projectmap.exclusion.cache_clear()
        projectmap.file_kind.cache_clear()
        started, cpu = time.perf_counter(), time.process_time()
        pm = projectmap.build(root)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        started = time.perf_counter()
        files = _git_files(root)
        read = 0
        for rel in files:
            if projectmap.exclusion(rel) is None and projectmap.file_kind(rel) in ("code", "script", "deploy"):
                path = root / rel
                try:
                    if not path.is_symlink() and path.stat().st_size <= projectmap.MAX_FILE_BYTES:
                        read += len(path.read_bytes())
                except OSError:
                    continue
        refs.append(time.perf_counter() - started)
    assert pm is not None
    wall, cpu, ref = statistics.median(walls), statistics.median(cpus), statistics.median(refs)
    print(f"\nproject map on {root.name} ({len(pm.all_files)} files, {pm.files_read} read): "
          f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (median of {runs})")
    print(f"reference (git ls-files + reading the same files' bytes): {ref * 1000:.0f} ms; "
          f"ratio map/reference {wall / max(ref, 1e-6):.1f}")


def research(probe: bool) -> None:
    measure = RESEARCH / "measure.py"
    if not measure.is_file():
        print("\n/work/research not found: the real-repository harness is skipped")
        return
    venv = Path(sys.prefix)
    print(f"\nreal repositories (tuning set), {measure} with {venv}:")
    proc = subprocess.run(["python3", str(measure), "--venv", str(venv), "--set", "tuning"],
                          capture_output=True, text=True, check=False)
    keep = False
    for line in proc.stdout.splitlines():
        if line.startswith("repo ") or line.startswith("TOTAL"):
            keep = True
        if line.startswith("Evidence ranking"):
            keep = False
        if keep or line.startswith(("Misses by", "      tuning/")):
            print("  " + line)
    if proc.returncode not in (0, 1):
        print(f"  measure.py exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
    if probe:
        proc = subprocess.run(["python3", str(measure), "--venv", str(venv), "--set", "tuning", "--placeholder-probe"],
                              capture_output=True, text=True, check=False)
        for line in proc.stdout.splitlines():
            if line.startswith("placeholder hosts probed"):
                print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--no-research", action="store_true", help="skip /work/research even when it exists")
    parser.add_argument("--probe", action="store_true", help="also count lookups of placeholder hosts (slow)")
    parser.add_argument("--runs", type=int, default=3, help="project-map timings to take the median of")
    args = parser.parse_args()
    right, total = fixture_agreement()
    map_timing(max(1, args.runs))
    if not args.no_research:
        research(args.probe)
    return 0 if right == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
