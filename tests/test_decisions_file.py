"""readiness.decisions.toml: strict reading (FILE:LINE), comment-preserving writes in checklist order,
the store's migration from run.json, concurrent writers, and the critical-N/A approver rule."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import REPO, cli_env, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness_tui import decisions, decisionsfile
from readiness_tui.checklist import load_checklist
from readiness_tui.decisionsfile import Decision, parse, render
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, Status
from readiness_tui.scoring import build_views, compute_score
from readiness_tui.store import Store
from readiness_tui.target import open_target, save_results

pytestmark = pytest.mark.fast

FUTURE = (date.today() + timedelta(days=60)).isoformat()


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def confirmed(by: str = "ada", note: str = "") -> Decision:
    return Decision("confirmed", by, "2026-01-15T09:40:00+00:00", "ada@host", note=note)


# ---- reading ---------------------------------------------------------------------------------

BAD = [
    ('["1.5"]\ndecision = "maybe"\nby = "a"\nat = 2026-01-01\n', 2, "`decision` must be one of"),
    ('["1.5"]\ndecision = "confirmed"\nby = "a"\nat = 2026-01-01\naprover = "b"\n', 5, "unknown key `aprover`"),
    ('schema = 1\n\n[1.5]\ndecision = "confirmed"\n', 3, 'write the item id in quotes, ["1.5"]'),
    ('["3.7"]\ndecision = "waived"\nby = "a"\nat = 2026-01-01\nreason = "r"\napprover = "b"\nexpires = "soon"\n', 7,
     "`expires` must be a date"),
    ('["3.7"]\ndecision = "waived"\nby = "a"\nat = 2026-01-01\nreason = "r"\nexpires = 2030-01-01\n', 1 + 0,
     "needs `approver`"),
    ('["1.5"]\ndecision = "not_applicable"\nby = "a"\nat = 2026-01-01\n', 1, "needs `reason`"),
    ('["1.5"]\ndecision = "confirmed"\nby = 3\nat = 2026-01-01\n', 3, "`by` must be a string"),
    ('["1.5"]\ndecision = "confirmed"\nby = "a"\n\n["1.5"]\n', 5, "invalid TOML"),
    ('["one"]\ndecision = "confirmed"\nby = "a"\nat = 2026-01-01\n', 1, "'one' is not an item id"),
    ("schema = 9\n", 1, "written by a newer readiness-tui"),
    ('owner = "me"\n', 1, "is not an item table"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_mistake_is_file_line_what(text: str, line: int, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        parse(text, "readiness.decisions.toml")
    assert str(exc.value).startswith(f"readiness.decisions.toml:{line}: "), str(exc.value)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_reads_dates_as_the_tool_writes_them_and_strings_from_hand_edits() -> None:
    got = parse('["3.7"]\ndecision = "waived"\nby = "ada"\nat = 2026-01-15T09:45:00Z\nreason = "proxy"\n'
                'approver = "grace"\nexpires = 2026-06-30\n\n["5.3"]\ndecision = "confirmed"\nby = "bob"\n'
                'at = "2026-01-16"\n', "f")
    assert got["3.7"] == Decision("waived", "ada", "2026-01-15T09:45:00+00:00", "", reason="proxy",
                                  approver="grace", expires="2026-06-30")
    assert got["5.3"].at == "2026-01-16" and got["5.3"].type == "confirmed"


def test_bad_utf8_and_a_directory_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / decisionsfile.FILE
    path.write_bytes(b'["1.5"]\ndecision = "confirmed"\nby = "\xff"\n')
    with pytest.raises(UsageError, match=rf"^{re.escape(str(path))}:3: not valid UTF-8$"):
        decisionsfile.read(path)
    path.unlink()
    path.mkdir()
    with pytest.raises(UsageError, match="is a directory"):
        decisionsfile.read(path)


# ---- writing ---------------------------------------------------------------------------------


def test_new_file_explains_itself_and_keeps_checklist_order() -> None:
    text = render(None, {"10.10": confirmed(), "2.1": confirmed(), "1.5": confirmed()})
    assert text.startswith("# Decisions people made on readiness checklist items")
    assert [m for m in re.findall(r'^\["([\d.]+)"\]', text, re.M)] == ["1.5", "2.1", "10.10"]
    text = render(text, {"2.10": confirmed(), "2.9": confirmed(), "1.1": confirmed()})
    assert re.findall(r'^\["([\d.]+)"\]', text, re.M) == ["1.1", "1.5", "2.1", "2.9", "2.10", "10.10"]
    assert "\n\n\n" not in text
    assert parse(text, "f").keys() == {"1.1", "1.5", "2.1", "2.9", "2.10", "10.10"}


def test_comments_survive_edits_and_removals_of_other_items() -> None:
    text = render(None, {"1.5": confirmed(), "2.1": confirmed(), "5.3": confirmed()})
    text = text.replace('["2.1"]\n', "# Docker checked on the build host by hand\n"
                                     '["2.1"]  # engine 27.1\n')
    text = text.replace('["5.3"]\ndecision = "confirmed"', '["5.3"]\ndecision = "confirmed"  # seen in Grafana')
    text = render(text, {"2.1": Decision("waived", "ada", "2026-01-15T09:45:00+00:00", "h", reason="old engine",
                                         approver="grace", expires=FUTURE),
                         "1.5": None, "3.1": confirmed()})
    assert "# Docker checked on the build host by hand\n[\"2.1\"]  # engine 27.1" in text
    assert 'decision = "waived"' in text and 'approver = "grace"' in text
    assert 'decision = "confirmed"  # seen in Grafana' in text
    assert '["1.5"]' not in text
    got = parse(text, "f")
    assert set(got) == {"2.1", "3.1", "5.3"} and got["2.1"].expires == FUTURE
    # Changing a waiver back to a confirmation removes the keys that no longer apply.
    text = render(text, {"2.1": confirmed(note="upgraded")})
    assert "approver" not in text.split('["2.1"]')[1].split("[")[0]
    assert parse(text, "f")["2.1"] == confirmed(note="upgraded")


def test_a_hand_written_multiline_note_is_not_taken_for_tables() -> None:
    text = ('["5.3"]\ndecision = "confirmed"\nby = "bob"\nat = 2026-01-01\nnote = """\nchecked:\n["9.9"]\n'
            '# not a comment\n"""\n\n["6.4"]\ndecision = "confirmed"\nby = "ann"\nat = 2026-01-01\n')
    text = render(text, {"6.4": None, "9.1": confirmed()})
    got = parse(text, "f")
    assert set(got) == {"5.3", "9.1"} and got["5.3"].note == 'checked:\n["9.9"]\n# not a comment'


_names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(lambda s: s.strip() == s)
_decision = st.builds(
    lambda kind, by, note, approver: Decision(kind, by, "2026-01-15T09:40:00+00:00", "u@h",
                                              note=note if kind == "confirmed" else "",
                                              reason=note or "r" if kind != "confirmed" else "",
                                              approver=approver if kind == "waived" else "",
                                              expires="2030-01-01" if kind == "waived" else ""),
    st.sampled_from(decisionsfile.TYPES), _names, st.text(max_size=40).map(str.strip), _names)
_ids = st.builds(lambda s, n: f"{s}.{n}", st.integers(1, 12), st.integers(1, 12))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(_ids, st.one_of(st.none(), _decision), max_size=6), min_size=1, max_size=4))
def test_any_sequence_of_changes_reads_back_exactly(steps: list[dict[str, Decision | None]]) -> None:
    """Whatever people type (quotes, newlines, escapes, unicode), the file reads back as written."""
    text: str | None = None
    expected: dict[str, Decision] = {}
    for changes in steps:
        text = render(text, changes)
        for key, value in changes.items():
            if value is None:
                expected.pop(key, None)
            else:
                expected[key] = value
        assert parse(text, "f") == expected
    assert text is not None
    headers = re.findall(r'^\["([\d.]+)"\]', text, re.M)
    assert headers == sorted(headers, key=decisionsfile.sort_key)


# ---- the store -------------------------------------------------------------------------------


def test_decisions_go_to_the_file_and_results_to_the_record(tmp_path: Path) -> None:
    target = open_target(tmp_path)
    decisions.confirm(target, "5.3", "bob", "Sentry alerts seen")
    run_json = json.loads((tmp_path / ".readiness" / "run.json").read_text())
    assert "decisions" not in run_json
    on_disk = decisionsfile.read(tmp_path / decisionsfile.FILE)
    assert on_disk["5.3"].by == "bob" and on_disk["5.3"].note == "Sentry alerts seen"
    decisions.clear(target, "5.3")
    assert decisionsfile.read(tmp_path / decisionsfile.FILE) == {}
    assert "5.3" not in Store(tmp_path).load().decisions


def test_a_secret_in_a_note_never_reaches_the_committed_file(tmp_path: Path) -> None:
    secret = "sk_live_4f9a8b7c6d5e4f3a2b1c0d9e"
    (tmp_path / ".env").write_text(f"PUSHER_APP_SECRET={secret}\n")
    target = open_target(tmp_path)
    decisions.confirm(target, "5.3", "bob", f"checked with {secret}")
    assert secret not in (tmp_path / decisionsfile.FILE).read_text()


def test_old_records_move_their_decisions_once_and_say_so(tmp_path: Path) -> None:
    state = tmp_path / ".readiness"
    state.mkdir()
    legacy = {"schema": 1, "run_id": "abc", "results": {"2.5": {"status": "fail", "summary": "refused"}},
              "decisions": {"8.6": {"type": "confirmed", "by": "grace", "at": "2026-01-15T09:40:00+00:00",
                                    "user_host": "g@h", "note": "load test reviewed"},
                            "1.5": {"type": "not_applicable", "by": "ada", "at": "2026-01-15T09:31:00+00:00",
                                    "user_host": "a@h", "reason": "from run.json"}}}
    (state / "run.json").write_text(json.dumps(legacy))
    # A decision already in the file wins over the old record's.
    (tmp_path / decisionsfile.FILE).write_text(
        '["1.5"]\ndecision = "not_applicable"\nby = "ada"\nat = 2026-02-01\nreason = "from the file"\n')
    store = Store(tmp_path)
    record = store.load()
    assert record.decisions["8.6"].note == "load test reviewed"
    assert record.decisions["1.5"].reason == "from the file"
    assert record.results["2.5"].status == Status.FAIL
    assert store.notices == [f"moved 1 decision(s) from .readiness/run.json to {decisionsfile.FILE}; "
                             "commit it so every checkout and CI apply them",
                             f".readiness/run.json had other decisions on 1.5; kept those of {decisionsfile.FILE}"]
    assert "decisions" not in json.loads((state / "run.json").read_text())
    again = Store(tmp_path)
    assert again.load().decisions.keys() == {"8.6", "1.5"} and again.notices == []


def test_a_bad_decisions_file_stops_every_command_and_is_kept(tmp_path: Path) -> None:
    save_results(open_target(tmp_path), {"9.1": ItemResult(Status.PASS, "README found")}, finished=False)
    path = tmp_path / decisionsfile.FILE
    path.write_text('["5.3"]\ndecision = "confirmed"\nby = "bob"\nat = 2026-01-01\nnote = "ok"\n\n'
                    '["8.6"]\ndecison = "confirmed"\n')
    before = path.read_bytes()
    for args in (("confirm", "5.4", str(tmp_path), "--by", "x"), ("check", str(tmp_path), "--only", "9.1"),
                 ("report", str(tmp_path))):
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert f"{path}:8: item 8.6: unknown key `decison`" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Eight processes decide on different items at the same moment: every decision is in the file."""
    open_target(tmp_path).store.load()
    items = ["5.2", "5.3", "5.4", "5.5", "5.6", "6.4", "6.5", "6.6"]
    script = ("import sys; from readiness_tui import decisions; from readiness_tui.target import open_target; "
              "decisions.confirm(open_target(sys.argv[1]), sys.argv[2], 'p-' + sys.argv[2])")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), item], cwd=REPO, env=cli_env(),
                              stderr=subprocess.PIPE, text=True) for item in items]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    got = decisionsfile.read(tmp_path / decisionsfile.FILE)
    assert {k: v.by for k, v in got.items()} == {i: f"p-{i}" for i in items}


def test_a_hand_edit_made_meanwhile_to_another_item_is_kept(tmp_path: Path) -> None:
    target = open_target(tmp_path)
    decisions.confirm(target, "5.3", "bob")
    path = tmp_path / decisionsfile.FILE
    path.write_text(path.read_text() + '\n# added by hand\n["9.2"]\ndecision = "confirmed"\nby = "carol"\n'
                                       'at = 2026-01-01\n')
    decisions.confirm(target, "9.3", "dan")
    got = decisionsfile.read(path)
    assert set(got) == {"5.3", "9.2", "9.3"} and "# added by hand" in path.read_text()


# ---- not applicable on a critical item ---------------------------------------------------------


def test_critical_na_needs_an_approver_on_the_command_line(tmp_path: Path) -> None:
    checklist = load_checklist(None)
    critical = next(i for i in checklist.items if i.critical)
    plain = next(i for i in checklist.items if not i.critical)
    proc = run_cli("na", critical.id, str(tmp_path), "--reason", "n/a", "--by", "ada")
    assert proc.returncode == 2 and f"item {critical.id} is critical" in proc.stderr and "--approver" in proc.stderr
    proc = run_cli("na", critical.id, str(tmp_path), "--reason", "n/a", "--by", "ada", "--approver", "ADA")
    assert proc.returncode == 2 and "someone other than" in proc.stderr
    proc = run_cli("na", critical.id, str(tmp_path), "--reason", "no such service", "--by", "ada",
                   "--approver", "grace")
    assert proc.returncode == 0 and "approved by grace" in proc.stdout, proc.stderr
    proc = run_cli("na", plain.id, str(tmp_path), "--reason", "not used", "--by", "ada")
    assert proc.returncode == 0, proc.stderr
    got = decisionsfile.read(tmp_path / decisionsfile.FILE)
    assert got[critical.id].approver == "grace" and got[plain.id].approver == ""


def test_a_critical_na_without_a_valid_approver_in_the_file_does_not_count(tmp_path: Path) -> None:
    checklist = load_checklist(None)
    critical = next(i for i in checklist.items if i.critical)
    target = open_target(tmp_path)
    save_results(target, {critical.id: ItemResult(Status.FAIL, "it fails")}, finished=False)
    (tmp_path / decisionsfile.FILE).write_text(
        f'["{critical.id}"]\ndecision = "not_applicable"\nby = "ada"\nat = 2026-01-01\nreason = "n/a"\n'
        f'approver = "Ada"\n')
    record = target.store.load()
    views = build_views(checklist, record)
    view = next(v for v in views if v.item.id == critical.id)
    assert view.status == Status.FAIL and "they approved it themselves" in view.decision_invalid
    assert "decision not counted" in view.summary
    score = compute_score(checklist, views)
    assert score.applicable == len(checklist.items)  # the N/A did not take it out of the score
    proc = run_cli("report", str(tmp_path), "--format", "json")
    data = json.loads(proc.stdout)
    item = next(i for s in data["sections"] for i in s["items"] if i["id"] == critical.id)
    assert item["status"] == "fail" and "approver" in item["decision_invalid"]
    assert data["critical_not_applicable"] == []
    # With a real approver it counts, and reports list it.
    text = (tmp_path / decisionsfile.FILE).read_text().replace('approver = "Ada"', 'approver = "Grace"')
    (tmp_path / decisionsfile.FILE).write_text(text)
    data = json.loads(run_cli("report", str(tmp_path), "--format", "json").stdout)
    assert data["critical_not_applicable"] == [{"id": critical.id, "by": "ada", "approver": "Grace", "reason": "n/a"}]
    text_report = run_cli("report", str(tmp_path)).stdout
    assert f"Critical items marked not applicable: {critical.id} (approved by Grace)" in text_report
    markdown = run_cli("report", str(tmp_path), "--format", "markdown").stdout
    assert f"**{critical.id}**" in markdown and "critical, approved by Grace" in markdown
