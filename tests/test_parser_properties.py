"""Property-based tests of every parser of outside input: a result or one clear line, never a traceback or a hang.

Random bytes and random structures go to the `.env` parser, `readiness.toml`, the checklist loader, the
decisions file (`readiness.decisions.toml`), the run record and `readiness verify`. Each example runs under a wall-clock alarm, so a hang fails the test instead of
stalling the suite.
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness_tui import cli, decisionsfile
from readiness_tui.checklist import parse_checklist, validate_checklist
from readiness_tui.errors import UsageError
from readiness_tui.settings import load_settings, parse_env_file
from readiness_tui.store import RunRecord, Store

pytestmark = pytest.mark.fast

EMBEDDED = Path(__file__).resolve().parents[1] / "readiness_tui" / "data" / "checklist.toml"
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])
#: The structure tests of the run record and of a report find their rarer shapes only with more examples.
MORE = settings(SETTINGS, max_examples=100)


@contextlib.contextmanager
def bounded(seconds: float = 15.0) -> Iterator[None]:
    """Fail the example (TimeoutError) when it runs longer than `seconds` of wall time."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def one_line(exc: UsageError) -> str:
    message = str(exc)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    assert "Traceback" not in message
    return message


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=25)
toml_scalars = st.one_of(st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(),
                         st.text(max_size=20))
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                st.dictionaries(st.text(min_size=1, max_size=8), inner,
                                                                                max_size=3)), max_leaves=15)
#: The bytes a config file is most often damaged with, mixed with arbitrary ones.
toml_ish = st.lists(st.sampled_from([b"[", b"]", b"[[", b"]]", b"=", b'"', b"'", b"\n", b"target", b"deploy",
                                     b"contacts", b"commands", b" ", b"{", b"}", b",", b"1", b"nan", b"inf",
                                     b"check_timeout", b"backend_url", b"\\", b"#", b".", b"\xff", b"\x00"]),
                    max_size=60).map(b"".join)


# --- .env ---------------------------------------------------------------------------------------------

@SETTINGS
@given(raw=st.one_of(st.binary(max_size=300), st.lists(st.sampled_from(
    [b"A", b"=", b"'", b'"', b"\n", b"\r", b"export ", b"#", b" ", b"\\", b"${X}", b"\xef\xbb\xbf", b"\xff", b"\x00"]),
    max_size=40).map(b"".join)))
def test_env_parser(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / ".env"
    path.write_bytes(raw)
    with bounded():
        try:
            entries = parse_env_file(path)
        except UsageError as exc:
            assert one_line(exc).startswith(f"{path}")
            return
    assert all(isinstance(e.key, str) and isinstance(e.value, str) and e.line >= 1 for e in entries)


# --- readiness.toml -------------------------------------------------------------------------------------

def _load(directory: Path) -> None:
    with bounded():
        try:
            settings_ = load_settings(directory, environ={})
        except UsageError as exc:
            assert one_line(exc).startswith(str(directory / "readiness.toml"))
            return
    assert isinstance(settings_.check_timeout, float) and math.isfinite(settings_.check_timeout)
    assert settings_.check_timeout > 0


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=300), toml_ish))
def test_readiness_toml_bytes(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "readiness.toml").write_bytes(raw)
        _load(Path(tmp))


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(["target", "commands", "deploy", "contacts", "targt", "x"]),
                            st.one_of(toml_values, st.dictionaries(
                                st.sampled_from(["backend_url", "check_timeout", "load_requests", "ca_bundle",
                                                 "name", "backup", "timeout", "verify_items", "uptime_url", "x"]),
                                toml_values, max_size=4)), max_size=4))
def test_readiness_toml_structures(data: dict[str, Any]) -> None:
    try:
        text = tomlkit.dumps(data)
    except Exception:  # noqa: BLE001 - a structure TOML cannot hold: nothing to test
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "readiness.toml").write_text(text)
        _load(Path(tmp))


# --- the checklist --------------------------------------------------------------------------------------

def _parse_checklist(raw: bytes) -> None:
    with bounded():
        try:
            checklist = parse_checklist(raw, "team.toml")
        except UsageError as exc:
            assert one_line(exc).startswith("team.toml:")
            return
    assert checklist.items and all(item.id for item in checklist.items)


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=300), toml_ish))
def test_checklist_bytes(raw: bytes) -> None:
    _parse_checklist(raw)


EMBEDDED_TEXT = EMBEDDED.read_text()
EMBEDDED_RAW = tomlkit.parse(EMBEDDED_TEXT).unwrap()


@SETTINGS
@given(section=st.integers(0, 9), item=st.integers(0, 12), key=st.sampled_from(
    ["id", "text", "kind", "critical", "checks", "hint", "params", "other"]), value=toml_values,
       top=st.sampled_from(["schema", "name", "bands", "signoff", "criteria", "sections", "data_rules"]),
       top_value=toml_values, which=st.integers(0, 2))
def test_checklist_structures(section: int, item: int, key: str, value: Any, top: str, top_value: Any,
                              which: int) -> None:
    data = json.loads(json.dumps(EMBEDDED_RAW))
    items = data["sections"][section]["items"]
    if which == 0:
        items[item % len(items)][key] = value
    elif which == 1:
        data[top] = top_value
    else:
        params = items[item % len(items)].setdefault("params", {})
        params[key] = value
    # The validator on the structure itself (the TOML layer has its own tests above; dumping the whole
    # checklist with tomlkit for every example would cost 0.2 s each).
    with bounded():
        try:
            checklist = validate_checklist(data, EMBEDDED_TEXT, "team.toml")
        except UsageError as exc:
            assert one_line(exc).startswith("team.toml:")
            return
    assert checklist.items


# --- the decisions file ---------------------------------------------------------------------------------

def _read_decisions(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / decisionsfile.FILE
        path.write_bytes(raw)
        with bounded():
            try:
                decisions = decisionsfile.read(path)
            except UsageError as exc:
                assert one_line(exc).startswith(f"{path}")
                return
        assert all(isinstance(d, decisionsfile.Decision) and d.type in decisionsfile.TYPES
                   for d in decisions.values())
        # What was accepted survives a decision recorded on another item (the file is edited in place).
        added = decisionsfile.Decision(type="confirmed", by="Ann", at="2025-01-01T00:00:00+00:00", user_host="a@h")
        decisionsfile.write(path, Path(tmp) / "decisions.lock", {"0.1": added})
        assert decisionsfile.read(path) == decisions | {"0.1": added}


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=300), toml_ish))
def test_decisions_file_bytes(raw: bytes) -> None:
    _read_decisions(raw)


decision_tables = st.dictionaries(
    st.one_of(st.sampled_from(["5.4", "1.1", "9", "5.4.1", "schema", "5.4\n"]), st.text(max_size=6)),
    st.one_of(toml_values, st.dictionaries(
        st.one_of(st.sampled_from(["decision", "by", "at", "user_host", "note", "reason", "approver", "expires",
                                   "by\r\n"]), st.text(max_size=6)),
        st.one_of(toml_values, st.sampled_from(["confirmed", "waived", "not_applicable", "2999-01-01", "Ann"])),
        max_size=6)),
    max_size=4)


@MORE
@given(data=decision_tables)
def test_decisions_file_structures(data: dict[str, Any]) -> None:
    try:
        text = tomlkit.dumps(data)
    except Exception:  # noqa: BLE001 - a structure TOML cannot hold: nothing to test
        return
    _read_decisions(text.encode("utf-8"))


# --- the run record -------------------------------------------------------------------------------------

def _load_record(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / ".readiness"
        state.mkdir()
        (state / "run.json").write_bytes(raw)
        store = Store(Path(tmp))
        with bounded():
            try:
                record = store.load()
            except UsageError as exc:
                one_line(exc)
                return
        assert isinstance(record, RunRecord)
        if store.notices:
            assert all("\n" not in n for n in store.notices)
            aside = list(state.glob("run.json.corrupt-*"))
            assert len(aside) == 1 and aside[0].read_bytes() == raw
        else:  # accepted: it renders and saves again
            store.update(lambda r: None)
            assert json.loads((state / "run.json").read_text())["schema"] == 1


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_run_record_bytes(raw: bytes) -> None:
    _load_record(raw)


record_fields = st.fixed_dictionaries(
    {"schema": st.one_of(st.just(1), scalars)},
    optional={k: json_values for k in ("run_id", "project", "checklist", "started_at", "finished_at", "revision",
                                       "results", "decisions", "signoffs", "deployment", "deploy_steps")}
    | {"results": st.one_of(json_values, st.dictionaries(st.sampled_from(["1.1", "4.1", "5.4"]), st.one_of(
        json_values, st.fixed_dictionaries(
            {"status": st.sampled_from(["pass", "fail", "warn", "error", "pending", "bogus"])},
            optional={"summary": json_values, "evidence": json_values, "measurements": json_values,
                      "checks": json_values, "duration_ms": json_values, "facts": json_values})), max_size=3)),
       "decisions": st.one_of(json_values, st.dictionaries(st.sampled_from(["5.4", "1.1"]), st.one_of(
           json_values, st.fixed_dictionaries(
               {"type": st.sampled_from(["confirmed", "waived", "not_applicable", "x"])},
               optional={"by": json_values, "at": json_values, "user_host": json_values,
                         "expires": json_values})), max_size=2))})


@MORE
@given(data=record_fields)
def test_run_record_structures(data: dict[str, Any]) -> None:
    _load_record(json.dumps(data).encode())


def test_an_accepted_record_renders_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The records the loader accepts also render: `report` in every format on a mixed record."""
    state = tmp_path / ".readiness"
    state.mkdir()
    (state / "run.json").write_text(json.dumps({"schema": 1, "results": {
        "4.1": {"status": "pass", "summary": "\x1b[31mred\x1b[0m", "evidence": {"a": [1, {"b": None}]},
                "measurements": {"m": {"value": "x", "display": 3}}}},
        "decisions": {"5.4": {"type": "confirmed", "by": "Ann", "at": "2025-01-01T00:00:00+0000",
                              "user_host": "ann@host"}}}))
    for fmt in ("text", "json", "markdown", "junit"):
        assert cli.main(["report", str(tmp_path), "--format", fmt]) == 0
        _out, err = capsys.readouterr()
        assert "Traceback" not in err


# --- a report for `readiness verify` --------------------------------------------------------------------

report_like = st.fixed_dictionaries(
    {"sections": st.one_of(json_values, st.lists(st.fixed_dictionaries(
        {"items": st.one_of(json_values, st.lists(st.dictionaries(st.sampled_from(
            ["id", "status", "summary", "evidence", "measurements", "decision"]), json_values, max_size=4),
            max_size=3))}), max_size=3))},
    optional={"signoffs": st.one_of(json_values, st.lists(st.dictionaries(st.sampled_from(
        ["role", "name", "at", "digest", "signature", "user_host", "score", "band", "items"]), json_values,
        max_size=6), max_size=2)), "deployment": json_values, "digest": json_values, "run_id": json_values,
              "checklist": json_values, "scope": json_values})


@MORE
@given(data=st.one_of(json_values, report_like))
def test_verify_structures(data: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        path.write_text(json.dumps(data))
        with bounded():
            code = cli.main(["verify", str(path)])
        _out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("readiness: "), err


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_verify_bytes(raw: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.json"
        path.write_bytes(raw)
        with bounded():
            code = cli.main(["verify", str(path)])
        _out, err = capsys.readouterr()
    assert code in (1, 2) and "Traceback" not in err
