"""Benchmark: readiness-tui's secret scanner beside detect-secrets 1.5 on one labelled corpus.

Builds the labelled corpus of `tests/fixtures/secret_corpus.py` (planted secrets of 43 kinds in
settings modules, compose files, tracked `.env` backups, runbooks, notebooks, CI and Kubernetes
YAML, JavaScript config; decoys in tests, docs and examples; public keys), pads it with ordinary
code and prose (no secrets) to a realistic size, commits it to a fresh git repository, then runs
in the same script:

- `python -m readiness_tui secrets scan DIR --format json --no-baseline` (a fresh process,
  start-up included; median of three runs),
- `detect-secrets scan` (1.5, in the repository: the files git tracks, as ours),

and prints for each: wall time, recall (planted secrets reported, by file and line), precision
(reported lines that hold a planted secret), the kinds missed and the decoys flagged; then the
time ratio. Findings of severity `info` (public keys) are not counted as reported secrets for
ours; lines of public keys are left out of both tools' scores.

Targets (issue 12): our recall >= 98 %, precision >= 95 %, and well under detect-secrets' time
(ratio >= 10). Exit status 0 when met, 1 otherwise, 2 when detect-secrets is missing.

Usage: python benchmarks/secret_scan.py [--scale 2] [--seed 12] [--filler-mb 8] [--keep DIR]
       [--detect-secrets PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fixtures import secret_corpus as sc  # noqa: E402


def pad(root: Path, megabytes: float, seed: int) -> int:
    """Write ordinary Python modules and Markdown pages (no secrets) until `megabytes` are added."""
    rng = random.Random(seed)
    target, written, index = megabytes * 1_000_000, 0, 0
    while written < target:
        if index % 3 == 2:
            rel = f"docs/notes/page_{index}.md"
            text = "\n".join(sc._filler_md(rng, 400)) + "\n"
        else:
            rel = f"services/core/module_{index}.py"
            text = "\n".join(sc._filler_py(rng, 900)) + "\n"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written += len(text)
        index += 1
    return index


def run_ours(root: Path) -> tuple[float, set[tuple[str, int]], dict]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "readiness_tui", "secrets", "scan", str(root), "--format", "json",
                           "--no-baseline"], capture_output=True, text=True, env=env, cwd=REPO)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"readiness secrets scan failed: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    reported = {(f["file"], f["line"]) for f in data["findings"] if f["severity"] != "info"}
    return elapsed, reported, data


def run_detect_secrets(root: Path, exe: str) -> tuple[float, set[tuple[str, int]]]:
    started = time.perf_counter()
    proc = subprocess.run([exe, "scan"], capture_output=True, text=True, cwd=root)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr.strip()[:300]}")
    found = set()
    for file, items in json.loads(proc.stdout).get("results", {}).items():
        for item in items:
            found.add((file, int(item["line_number"])))
    return elapsed, found


def show(name: str, seconds: float, score: sc.Score) -> None:
    print(f"{name}: {seconds:7.2f} s  recall {score.recall:6.1%} ({score.found}/{score.planted})  "
          f"precision {score.precision:6.1%} ({score.false_positives} false positive(s), "
          f"{score.decoys_flagged} of them decoys)")
    if score.missed:
        print("    missed: " + ", ".join(f"{k}×{v}" for k, v in sorted(score.missed.items(), key=lambda kv: -kv[1])))
    if score.false_by_kind:
        top = sorted(score.false_by_kind.items(), key=lambda kv: -kv[1])[:8]
        print("    flagged: " + ", ".join(f"{k}×{v}" for k, v in top))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, default=2, help="corpus copies (each ~320 secrets, ~630 decoys)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--filler-mb", type=float, default=8.0, help="ordinary code and prose added (MB)")
    parser.add_argument("--keep", metavar="DIR", help="build into DIR (must not exist) and keep it")
    parser.add_argument("--detect-secrets", metavar="PATH",
                        default=shutil.which("detect-secrets") or str(Path(sys.executable).parent / "detect-secrets"))
    args = parser.parse_args()
    if not Path(args.detect_secrets).exists() and not shutil.which(args.detect_secrets):
        print(f"detect-secrets not found at {args.detect_secrets} (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    tmp = None
    if args.keep:
        root = Path(args.keep)
        if root.exists():
            print(f"{root} exists: give a new directory", file=sys.stderr)
            return 2
    else:
        tmp = tempfile.TemporaryDirectory(prefix="secret-bench-")
        root = Path(tmp.name) / "repo"
    try:
        padding = pad(root, args.filler_mb, args.seed) if args.filler_mb > 0 else 0
        corpus = sc.build(root, seed=args.seed, scale=args.scale)
        files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
        size = sum((root / f).stat().st_size for f in files)
        kinds = {lb.kind for lb in corpus.of(sc.SECRET)}
        print(f"corpus: {len(files)} tracked files ({corpus.files} labelled, {padding} filler), {size / 1e6:.1f} MB; "
              f"{len(corpus.of(sc.SECRET))} planted secrets of {len(kinds)} kinds, {len(corpus.of(sc.DECOY))} decoys, "
              f"{len(corpus.of(sc.PUBLIC))} public keys")
        runs = [run_ours(root) for _ in range(3)]
        ours_t = statistics.median(r[0] for r in runs)
        _, ours, data = runs[0]
        infos = {(f["file"], f["line"]) for f in data["findings"] if f["severity"] == "info"}
        public = {(lb.file, lb.line) for lb in corpus.of(sc.PUBLIC)}
        ds_t, ds = run_detect_secrets(root, args.detect_secrets)
        mine, theirs = sc.score(corpus, ours), sc.score(corpus, ds)
        show("readiness secrets scan", ours_t, mine)
        show("detect-secrets 1.5    ", ds_t, theirs)
        print(f"public keys reported as informational by readiness: {len(public & infos)}/{len(public)}")
        ratio = ds_t / ours_t
        print(f"time ratio: readiness is {ratio:.1f}x faster (target >= 10x)")
        ok = mine.recall >= 0.98 and mine.precision >= 0.95 and ratio >= 10
        print("targets met (recall >= 98 %, precision >= 95 %, >= 10x faster)" if ok else "TARGETS NOT MET")
        return 0 if ok else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
