"""The run record: atomic, locked, resumable, corrupt files kept aside, history kept."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, Status
from readiness_tui.store import Store


def _add_results(project: str, prefix: str, count: int) -> None:
    store = Store(Path(project))
    for n in range(count):
        def change(record, n=n):
            record.results[f"{prefix}{n}"] = ItemResult(Status.PASS, f"{prefix} {n}")
        store.update(change)


def test_two_processes_never_lose_each_others_changes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_results, args=(str(tmp_path), p, 25)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    record = Store(tmp_path).load()
    assert len(record.results) == 50
    assert record.revision == 50


def test_corrupt_record_is_kept_aside_and_reported(tmp_path):
    store = Store(tmp_path)
    store.update(lambda r: r.results.update({"1.1": ItemResult(Status.PASS, "ok")}))
    store.path.write_text('{"schema": 1, "results": {"1.1": ')
    fresh = Store(tmp_path)
    record = fresh.load()
    assert record.results == {}
    aside = list(store.dir.glob("run.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"schema": 1')
    assert "kept aside" in fresh.notices[0]


def test_newer_schema_is_refused_not_replaced(tmp_path):
    store = Store(tmp_path)
    store.dir.mkdir()
    store.path.write_text(json.dumps({"schema": 99}))
    with pytest.raises(UsageError, match="newer readiness-tui"):
        store.load()
    assert json.loads(store.path.read_text()) == {"schema": 99}


def test_unknown_fields_survive_a_round_trip(tmp_path):
    store = Store(tmp_path)
    store.update(lambda r: None)
    data = json.loads(store.path.read_text())
    data["future_field"] = {"kept": True}
    store.path.write_text(json.dumps(data))
    store.update(lambda r: None)
    assert json.loads(store.path.read_text())["future_field"] == {"kept": True}


WRITER = """
import sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
from readiness_tui.model import ItemResult, Status
from readiness_tui.store import Store
store = Store(Path({project!r}))
n = 0
while True:
    n += 1
    store.update(lambda r: r.results.update({{"1.1": ItemResult(Status.PASS, "x" * 20000 + str(n))}}))
    print(n, flush=True)
"""


def test_killed_mid_save_leaves_a_readable_record(tmp_path):
    repo = str(Path(__file__).resolve().parents[1])
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(repo=repo, project=str(tmp_path))],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    seen = 0
    while seen < 5 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert seen >= 5
    record = Store(tmp_path).load()
    assert record.results["1.1"].summary.startswith("x" * 100)
    assert not list((tmp_path / ".readiness").glob("run.json.corrupt-*"))


def test_history_keeps_finished_runs(cli, good_project):
    for _ in range(2):
        assert cli("check", str(good_project), "-q").returncode in (0, 1)
    history = list((good_project / ".readiness" / "history").glob("*.json"))
    assert len(history) == 1
    assert json.loads(history[0].read_text())["finished_at"]
    # a partial run merges its results and archives nothing
    cli("check", str(good_project), "--only", "1.1", "-q")
    assert len(list((good_project / ".readiness" / "history").glob("*.json"))) == 1
