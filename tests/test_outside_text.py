"""Text from outside (notes, names, reasons, evidence, server answers, file names) never crashes the wizard,
drives the terminal, forges structure in a report or breaks a format."""

from __future__ import annotations

import asyncio
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.projects import git
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from readiness_tui.checklist import load_checklist
from readiness_tui.model import ItemResult, Status
from readiness_tui.redact import Redactor
from readiness_tui.reports import build_report, render
from readiness_tui.store import Decision, RunRecord, Store

#: Strings that broke something once, or would: markup, terminal sequences, forged structure, bad XML.
HOSTILE = ["see [/", "[/]", "[b]bold", '["x"]', '[{"a": "b=c"}]', "end\\", "\x1b]0;pwned\x07", "\x1b[2J\x1b[H",
           "evil\u202etxt.exe", "\x9b31m", "a\nSigned: Eve at 2026", "\n## All checks passed", "| x | y |",
           "</failure><x>", "\x00\x01\x1f", "\u2028line", "\ufffe", "`code` *b* _i_", "<script>", "[$error]x[/]"]
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE),
                 st.tuples(st.text(max_size=10), st.sampled_from(HOSTILE)).map("".join))


def _printable(text: str) -> bool:
    return all(ch.isprintable() or ch == "\n" for ch in text)


def _record(s: list[str], project: str) -> RunRecord:
    """A run record holding the outside strings everywhere a person or a server can put one."""
    record = RunRecord(project=project, started_at="2026-11-26T10:00:00+00:00", finished_at="2026-11-26T10:01:00+00:00")
    record.results["1.1"] = ItemResult(Status.PASS, s[0], {s[1]: s[2], "probes": [{s[3]: s[4]}]},
                                       facts={s[5]: s[6]}, finished_at="2026-11-26T10:00:10+00:00")
    record.results["3.1"] = ItemResult(Status.FAIL, s[7], {"cors_probes": [{"headers": {s[8]: s[9]}}]},
                                       finished_at="2026-11-26T10:00:10+00:00")
    def given(text: str) -> str:  # the decisions file requires these fields (and strips them)
        return text if text.strip() else f"x{text}x"

    record.decisions["5.3"] = Decision("confirmed", given(s[10]), "2026-11-26T10:02:00+00:00", "u@h", note=s[11])
    record.decisions["1.6"] = Decision("not_applicable", "bob", "2026-11-26T10:02:00+00:00", "u@h",
                                       reason=given(s[12]), approver="carol")
    record.decisions["3.7"] = Decision("waived", "bob", "2026-11-26T10:02:00+00:00", "u@h", reason=given(s[13]),
                                       approver=given(s[14]), expires="2099-01-01")
    record.signoffs.append({"role": "Technical Lead", "name": s[15], "at": s[16], "user_host": "u@h",
                            "override": s[17], "digest": "sha256:" + "0" * 64, "score": 1.0, "band": "x"})
    record.deployment["Deployed By"] = {"value": s[18], "by": s[19], "at": "2026-11-26", "user_host": "u@h"}
    return record


N_STRINGS = 20


def _render_all(strings: list[str]) -> dict[str, str]:
    checklist = load_checklist(None)
    record = _record(strings, strings[0])
    contacts = [{"role": strings[1], "name": strings[2], "email": strings[3]}]
    out = {}
    for fmt in ("text", "json", "markdown", "junit"):
        report = build_report(checklist, record, strings[0], None, contacts)
        out[fmt] = render(report, fmt, Redactor(), colour=False)
    return out


@pytest.mark.fast
@settings(max_examples=150, deadline=None)
@given(st.lists(TEXT, min_size=N_STRINGS, max_size=N_STRINGS))
def test_every_report_format_holds_any_text(strings: list[str]) -> None:
    out = _render_all(strings)
    plain = _render_all(["x"] * N_STRINGS)
    for fmt in ("text", "markdown", "json"):
        assert _printable(out[fmt]), (fmt, [ch for ch in out[fmt] if not (ch.isprintable() or ch == "\n")][:5])
    # No line break and no heading or sign-off line can be forged: the structure is the plain report's.
    for fmt in ("text", "markdown"):
        lines, reference = out[fmt].splitlines(), plain[fmt].splitlines()
        assert len(lines) == len(reference), fmt
        assert [ln for ln in lines if ln.startswith("#")] == [ln for ln in reference if ln.startswith("#")]
        assert sum(ln.startswith("Signed:") for ln in lines) == sum(ln.startswith("Signed:") for ln in reference)
    ET.fromstring(out["junit"].split("\n", 1)[1])  # well-formed XML, whatever the strings
    # JSON: the data stays the data (strings are strings, only escaped).
    data = json.loads(out["json"])
    redact = Redactor().text
    assert data["signoffs"][0]["name"] == redact(strings[15])
    assert data["sections"][0]["items"][0]["facts"] == {redact(strings[5]): redact(strings[6])}
    assert data["deployment"]["Deployed By"]["value"] == redact(strings[18])


# ---- the wizard ------------------------------------------------------------------------------------------

def _panes(app) -> list[str]:  # noqa: ANN001
    """What the current screen shows: every Static and every option prompt, as rendered text."""
    from textual.widgets import OptionList, Static

    shown = [str(w.render()) for w in app.screen.query(Static)]
    for options in app.screen.query(OptionList):
        shown += [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    return shown


async def _visit_every_pane(project: Path) -> list[str]:
    from readiness_tui.screens.app import make_app

    app = make_app(project, run_checks=False)
    seen: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(50):
            if app.ready:
                break
            await pilot.pause(0.05)
        assert app.ready
        for item_id in ("1.1", "3.1", "5.3", "1.6", "3.7"):
            app.goto_item(item_id)
            await pilot.pause()
            app.redraw_now()
            await pilot.pause()
            seen += _panes(app)
        for mode in ("summary", "signoff", "start"):
            app.switch_mode(mode)
            await pilot.pause()
            seen += _panes(app)
    return seen


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(strings=HOSTILE[:N_STRINGS])
@example(strings=HOSTILE[::-1][:N_STRINGS])
@given(strings=st.lists(TEXT, min_size=N_STRINGS, max_size=N_STRINGS))
def test_every_wizard_pane_holds_any_text(tmp_path: Path, strings: list[str]) -> None:
    project = tmp_path / uuid.uuid4().hex[:8]
    project.mkdir()
    record = _record(strings, str(project))

    def put(stored: RunRecord) -> None:
        stored.results, stored.decisions = record.results, record.decisions
        stored.signoffs, stored.deployment = record.signoffs, record.deployment
        stored.started_at, stored.finished_at = record.started_at, record.finished_at

    Store(project).update(put)
    seen = asyncio.run(_visit_every_pane(project))
    bad = [text for text in seen if not _printable(text)]
    assert not bad, bad[:3]
    joined = "\n".join(seen)
    for text in strings[:2]:  # 1.1's summary and an evidence key: shown whole, not dropped
        if text.strip() and text.isprintable() and Redactor().text(text) == text:
            assert text in joined


def test_a_note_with_a_markup_fragment_is_shown_not_a_crash(good_project: Path) -> None:
    assert run_cli("confirm", "8.6", str(good_project), "--by", "ada", "--note", "see [/").returncode == 0
    seen = "\n".join(asyncio.run(_visit_note(good_project)))
    assert "confirmed by ada: see [/" in seen


async def _visit_note(project: Path) -> list[str]:
    from readiness_tui.screens.app import make_app

    app = make_app(project, run_checks=False)
    async with app.run_test(size=(100, 30)) as pilot:
        while not app.ready:
            await pilot.pause(0.05)
        shown = []
        for _ in range(3):  # selected again and again: it crashed every time before
            app.goto_item("8.6")
            await pilot.pause()
            app.redraw_now()
            await pilot.pause()
            shown += _panes(app)
            app.goto_item("8.5")
            await pilot.pause()
        return shown


def test_the_demo_section_3_evidence_renders(tmp_path: Path) -> None:
    """3.1's CORS probes (JSON with brackets and `=`) crashed section 3 of the demo with a MarkupError."""
    from readiness_tui.demo import Demo
    from readiness_tui.target import open_target, run_items

    with Demo(parent=str(tmp_path)) as demo:
        assert demo.path is not None
        target = open_target(demo.path)
        section = [i for i in target.checklist.items if i.section_id == 3]
        asyncio.run(run_items(target, section))
        assert "cors_probes" in target.store.load().results["3.1"].evidence
        seen = asyncio.run(_visit_section_3(demo.path))
    assert any("cors_probes" in text and "malicious.com" in text for text in seen)


async def _visit_section_3(project: Path) -> list[str]:
    from readiness_tui.screens.app import make_app

    app = make_app(project, run_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.ready:
            await pilot.pause(0.05)
        shown = []
        for n in range(1, 9):
            app.goto_item(f"3.{n}")
            await pilot.pause()
            app.redraw_now()
            await pilot.pause()
            shown += _panes(app)
        return shown


# ---- commands' terminal output ---------------------------------------------------------------------------

ESCAPES = "\x1b]0;pwned\x07\x1b[2J"


def test_escape_sequences_in_names_and_notes_never_reach_the_terminal(good_project: Path, tmp_path: Path) -> None:
    d = str(good_project)
    runs = [("confirm", "8.6", d, "--by", f"ada{ESCAPES}", "--note", f"ok{ESCAPES}\nSigned: Eve"),
            ("na", "1.5", d, "--by", f"bob{ESCAPES}", "--reason", f"none{ESCAPES}"),
            ("waive", "8.7", d, "--by", "bob", "--approver", f"carol{ESCAPES}", "--reason", ESCAPES,
             "--expires", "2099-01-01"),
            ("sign", "--role", "Technical Lead", "--name", f"ann{ESCAPES}", d, "--override", "x"),
            ("sign", "--role", f"Lead{ESCAPES}", "--name", "ann", d),
            ("deployment", "Deployed By", f"eve{ESCAPES}", d, "--by", "ann"),
            ("deployment", f"When{ESCAPES}", "x", d, "--by", "ann"),
            ("report", d), ("report", d, "--format", "markdown"), ("report", d, "--format", "junit"),
            ("report", d, "--format", "json", "--output", str(tmp_path / "r.json")),
            ("verify", str(tmp_path / "r.json"))]
    for args in runs:
        proc = run_cli(*args)
        assert proc.returncode in (0, 1, 2) and "Traceback" not in proc.stderr, (args, proc.stderr)
        for stream in (proc.stdout, proc.stderr):
            assert "\x1b" not in stream and "\x07" not in stream, (args, stream[:300])
    text = run_cli("report", d).stdout
    assert "\\x1b]0;pwned\\x07" in text, "the sequence is shown, not dropped"
    assert sum(line.startswith("Signed:") for line in text.splitlines()) == 0
    markdown = run_cli("report", d, "--format", "markdown").stdout
    assert "pwned" in markdown and not any(line.startswith("Signed") for line in markdown.splitlines())


def test_history_shows_names_from_an_edited_run_record_not_obeys_them(tmp_path: Path) -> None:
    """`sign` refuses such a name, but run.json is a file anyone can edit or hand over."""
    project = tmp_path / "p"
    project.mkdir()

    def put(stored: RunRecord) -> None:
        stored.started_at, stored.finished_at = "2026-11-26T10:00:00+00:00", "2026-11-26T10:01:00+00:00"
        stored.signoffs.append({"role": f"Technical Lead{ESCAPES}", "name": f"eve{ESCAPES}\nSigned: x",
                                "at": "2026-11-26T10:02:00+00:00", "user_host": "u@h",
                                "digest": "sha256:" + "0" * 64, "score": 1.0, "band": "x"})

    Store(project).update(put)
    proc = run_cli("history", str(project))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout, proc.stdout
    assert "eve\\x1b]0;pwned\\x07" in proc.stdout and "\nSigned" not in proc.stdout


def test_a_tracked_file_named_with_escape_sequences_is_shown_not_obeyed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    name = f"evil{ESCAPES}.py"
    (repo / name).write_text('AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8mT3vB2x"\n')
    git(repo, "add", "-A")
    for fmt in ("text", "json"):
        proc = run_cli("secrets", "scan", str(repo), "--format", fmt)
        assert proc.returncode == 1, proc.stderr
        assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
        assert "evil\\x1b]0;pwned\\x07" in proc.stdout or "evil\\u001b]0;pwned\\u0007" in proc.stdout


def test_server_json_keys_with_escape_sequences_never_reach_a_report(good_project: Path) -> None:
    """A backend whose /health answer has JSON keys and values with terminal sequences (a real server)."""
    from fixtures.http_servers import ThreadedWsgi
    from flask import Flask

    app = Flask("hostile")

    @app.get("/health")
    def health():  # noqa: ANN202
        return {"status": "ok", f"db{ESCAPES}": f"up{ESCAPES}", "see [/": ["x"]}

    server = ThreadedWsgi(app)
    try:
        env = (good_project / ".env").read_text()
        (good_project / ".env").write_text(env + f"\nBACKEND_API_URL={server.url}\n")
        toml = good_project / "readiness.toml"
        toml.write_text(toml.read_text().replace('backend_url = "http://127.0.0.1:9"', f'backend_url = "{server.url}"'))
        outputs = [run_cli("check", str(good_project), "--only", "2.3", "--format", fmt, "--fail-under", "0")
                   for fmt in ("text", "markdown", "junit", "json")]
    finally:
        server.stop()
    report = json.loads(outputs[-1].stdout)
    evidence = json.dumps(report["sections"][0]["items"][0]["evidence"])
    assert "pwned" in evidence, "the server's answer reached the evidence (the test means something)"
    for proc in outputs:
        assert proc.returncode == 0, proc.stderr
        assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
