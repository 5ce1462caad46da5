"""Benchmark: how many items' sign-off digests survive re-running the checks on an unchanged project.

The demo project (real backend and frontend on loopback) is checked N times in a row, as reviewers
who each open the wizard or run `readiness check` would. After each run the JSON report is read
back and every item's digest input is hashed two ways:

- reference: the first digest format (run id, summary, evidence, measurements, decision), which
  staled sign-offs on every re-run;
- current: `readiness_tui.attestation` (status, facts, decision — verdicts, not measurements).

It prints, for each, how many items hashed the same in every run, and whether a sign-off made
after the first run is still valid after the last one (`readiness verify` on the last report).

    python benchmarks/digest_stability.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def reference_item_hash(run_id: Any, item: dict[str, Any]) -> str:
    """The first digest format, per item (the run id was part of every sign-off's digest)."""
    data = {"run_id": run_id, "id": item.get("id"), "status": item.get("status"), "summary": item.get("summary"),
            "evidence": item.get("evidence") or {}, "measurements": item.get("measurements") or {},
            "decision": item.get("decision")}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def items_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for s in report["sections"] for i in s["items"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    from readiness_tui import attestation, signoff
    from readiness_tui.demo import Demo, isolate_environment
    from readiness_tui.reports import build_report, render
    from readiness_tui.target import open_target, run_items

    isolate_environment()
    reports: list[dict[str, Any]] = []
    with Demo() as demo:
        assert demo.path is not None
        for n in range(args.runs):
            target = open_target(demo.path)
            asyncio.run(run_items(target, target.checklist.items, full=True))
            record = target.store.load()
            if n == 0:
                signoff.sign(target, "Technical Lead", "ada", override="digest stability benchmark")
                record = target.store.load()
            report = build_report(target.checklist, record, target.project)
            reports.append(json.loads(render(report, "json", target.redactor)))
    ids = [i["id"] for i in items_of(reports[0])]
    reference = [{i["id"]: reference_item_hash(r["run_id"], i) for i in items_of(r)} for r in reports]
    current = [attestation.item_hashes(r) for r in reports]
    for name, hashes in (("reference (run id, summary, evidence, measurements)", reference),
                         ("current (status, facts, decision)", current)):
        stable = [i for i in ids if len({h.get(i) for h in hashes}) == 1]
        changed = [i for i in ids if i not in stable]
        print(f"{name}: {len(stable)}/{len(ids)} items' digests identical across {args.runs} runs")
        if changed:
            print(f"    changed: {', '.join(changed)}")
    by_id = [{i["id"]: i for i in items_of(r)} for r in reports]
    flips = [i for i in ids if len({items[i]["status"] for items in by_id}) > 1]
    print(f"items whose status itself changed between runs: {', '.join(flips) or 'none'}")
    for item_id in flips:
        print(f"    {item_id}: " + " | ".join(f"{items[item_id]['status']} ({items[item_id]['summary'][:60]})"
                                          for items in by_id))
    for n, report in enumerate(reports[1:], start=2):
        state = attestation.verify_report(report)["signoffs"][0]
        print(f"the sign-off made after run 1, read with run {n}'s report: {state['state']} — {state['reason']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
