"""Bad input from a demanding user: every mistake is one clear line on stderr (exit 2), never a traceback.

In-process through `cli.main` (fast) for the many configuration mistakes; a subprocess for the few that
must be seen exactly as a user sees them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from readiness_tui import cli

pytestmark = pytest.mark.fast

EMBEDDED = Path(__file__).resolve().parents[1] / "readiness_tui" / "data" / "checklist.toml"


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _one_clear_line(err: str) -> str:
    """The error line (a keyring note may precede it), asserting there is no traceback."""
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.strip() and not x.startswith("readiness: no OS keyring")]
    assert len(lines) == 1, err
    assert lines[0].startswith("readiness: ")
    return lines[0]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    # No keyring lookups (the fail backend) and no values from this shell's environment.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("BACKEND_API_URL", "SUPABASE_URL", "SUPABASE_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return p


# --- .env: tolerated dialects are read correctly; garbage is one line -------------------------------------

@pytest.mark.parametrize(
    "raw",
    [
        b"\xef\xbb\xbfCACHE_TTL_SECONDS=300\n",  # a BOM (Windows editors)
        b"CACHE_TTL_SECONDS=300\r\n",  # CRLF line endings
        b"export CACHE_TTL_SECONDS='300'\n",  # shell `export` prefix and quotes
        b'CACHE_TTL_SECONDS="300"  # five minutes\n',
        b"BIG=" + b"a" * 10_000_000 + b"\nCACHE_TTL_SECONDS=300\n",  # a 10 MB line
    ],
    ids=["bom", "crlf", "export-quotes", "comment", "10mb-line"],
)
def test_env_dialects_are_read(project: Path, capsys: pytest.CaptureFixture[str], raw: bytes) -> None:
    (project / ".env").write_bytes(raw)
    code, out, err = _main(capsys, "check", str(project), "--only", "4.1", "--format", "json")
    assert code in (0, 1) and "Traceback" not in err
    assert '"summary": "CACHE_TTL_SECONDS=300"' in out


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (bytes(range(256)) * 8, "not valid UTF-8"),
        (b'A="unterminated\nB=2\n', ".env:1: cannot parse 'A'"),
        (b"=value\n", ".env:1:"),
    ],
    ids=["binary", "unterminated-quote", "no-name"],
)
def test_env_garbage_is_one_line(project: Path, capsys: pytest.CaptureFixture[str], raw: bytes, message: str) -> None:
    (project / ".env").write_bytes(raw)
    code, _out, err = _main(capsys, "check", str(project), "--only", "4.1")
    assert code == 2
    assert message in _one_clear_line(err)


@pytest.mark.parametrize("name", [".env", "readiness.toml"])
@pytest.mark.parametrize("kind", ["directory", "looping-link"])
def test_config_that_is_not_a_file_is_named(project: Path, capsys: pytest.CaptureFixture[str],
                                            name: str, kind: str) -> None:
    """Before: a `.env` directory was reported as "no .env" and a `readiness.toml` directory was ignored."""
    if kind == "directory":
        (project / name).mkdir()
    else:
        (project / name).symlink_to(name)
    code, _out, err = _main(capsys, "check", str(project), "--only", "4.1")
    assert code == 2
    line = _one_clear_line(err)
    assert name in line and "it must be a file" in line


# --- readiness.toml: wrong types in every table ---------------------------------------------------------

@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("target = 3\n", "`target` must be a table"),
        ("[target]\nbackend_url = 3\n", "`backend_url` must be a string"),
        ('[target]\ncheck_timeout = "fast"\n', "`check_timeout` must be a number"),
        ("[target]\ncheck_timeout = -5\n", "readiness.toml:2: `check_timeout` must be a positive number, not -5"),
        ("[target]\nnosuch = 1\n", "unknown key `nosuch` in [target]"),
        ('commands = "pytest"\n', "`commands` must be a table"),
        ("deploy = []\n", "`deploy` must be a table"),
        ("[deploy]\nuptime_url = 7\n", "[deploy] uptime_url must be a URL string"),
        ('contacts = "bob"\n', "`contacts` must be an array of tables"),
        ("contacts = [1, 2]\n", "contact 1 must be a table"),
        ("[[contacts]]\nname = 5\n", "contact 1: `name` must be a string"),
        ('[[contacts]]\nname = "Ann"\npager = "x"\n', "contact 1: unknown key `pager`"),
        ('[[contacts]]\nrole = "On-call"\n', "contact 1 needs a name, email or phone"),
        ("[target\n", "readiness.toml:1: invalid TOML"),
    ],
    ids=lambda v: v if len(v) < 30 else None,
)
def test_readiness_toml_wrong_types(project: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str) -> None:
    (project / "readiness.toml").write_text(toml)
    for args in (["check", str(project), "--only", "1.1", "--format", "markdown"], ["history", str(project)]):
        code, _out, err = _main(capsys, *args)
        assert code == 2, (args, err)
        assert message in _one_clear_line(err)


@pytest.mark.parametrize(
    ("toml", "step", "message"),
    [
        ("[deploy]\nbackup = 7\n", "backup", "[deploy] backup must be an argument list"),
        ('[deploy]\nverify_items = ""\n', "verify", "[deploy] verify_items must be"),
    ],
)
def test_deploy_table_mistakes(project: Path, capsys: pytest.CaptureFixture[str], toml: str, step: str,
                               message: str) -> None:
    (project / "readiness.toml").write_text(toml)
    code, _out, err = _main(capsys, "deploy", step, str(project), "--yes", "--by", "tester")
    assert code == 2
    assert message in _one_clear_line(err)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[commands]\nunit_tests = 5\n", "`unit_tests` must be an argument list"),
        ("[commands]\nunit_tests = [1, 2]\n", "`unit_tests` must be an argument list"),
        ("[commands.unit_tests]\nx = 1\n", "unknown key(s) x"),
    ],
)
def test_commands_table_mistakes_are_the_items_error(project: Path, capsys: pytest.CaptureFixture[str],
                                                     toml: str, message: str) -> None:
    """A bad [commands] entry is the item's `error` (its summary names the key), the rest of the run goes on."""
    (project / "readiness.toml").write_text(toml)
    code, out, err = _main(capsys, "check", str(project), "--only", "8.1", "--run-project-commands",
                           "--format", "json")
    assert code == 1 and "Traceback" not in err
    assert '"status": "error"' in out and message in out


# --- the checklist file -------------------------------------------------------------------------------

def _checklist(tail: str) -> str:
    text = EMBEDDED.read_text()
    return text[: text.index("[[sections]]")] + tail


_ITEM = '[[sections]]\nid = 1\ntitle = "A"\n[[sections.items]]\nid = "1.1"\ntext = "t"\n'


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("", "no [[sections]]"),
        ('[[sections]]\nid = 1\ntitle = "A"\n[[sections.items]]\ntext = "t"\nkind = "auto"\n', "an item without `id`"),
        (_ITEM + 'kind = "manual"\n' + _ITEM.split("\n", 3)[3] + 'kind = "manual"\n', 'expected id "1.2"'),
        (_ITEM + 'kind = "robot"\n', "`kind` must be one of"),
        (_ITEM + 'kind = "auto"\nchecks = "env.file"\n', "`checks` must be a list"),
        (_ITEM + 'kind = "auto"\nparams = "x"\n', "`params` must be a table"),
        (_ITEM + 'kind = "manual"\ncritical = "yes"\n', "`critical` must be true or false"),
        (_ITEM + 'kind = "manual"\nfoo = 3\n', "unknown key `foo`"),
        ('[[sections]]\nid = 1\ntitle = "A"\n[[sections.items]]\nid = 1.1\ntext = "t"\nkind = "manual"\n',
         "`id` must be a quoted string"),
        ('[[sections]]\nid = "one"\ntitle = "A"\n', "`id` must be 1"),
        ('[[sections]]\nid = 1\ntitle = "A"\nitems = 3\n', "has no [[sections.items]]"),
        (_ITEM + 'kind = "manual"\n[[criteria]]\nid = "x"\ntitle = "X"\n[[criteria.rows]]\nmetric = "m"\n'
         'target = "t"\nmeasurement = "a"\nop = "<"\nthreshold = "z"\n', "`threshold` must be a number"),
    ],
    ids=lambda v: None,
)
def test_checklist_mistakes(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], tail: str,
                            message: str) -> None:
    bad = tmp_path / "team.toml"
    bad.write_text(_checklist(tail))
    code, _out, err = _main(capsys, "check", str(project), "--checklist", str(bad))
    assert code == 2
    line = _one_clear_line(err)
    assert line.startswith(f"readiness: {bad}:") and message in line


# --- command-line paths -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "{missing}"], "not a directory"),
        (["check", "{file}"], "not a directory"),
        (["report", "{missing}"], "not a directory"),
        (["history", "{file}"], "not a directory"),
        (["diff", "--dir", "{missing}"], "not a directory"),
        (["secrets", "scan", "{missing}"], "not a directory"),
        (["fix", "1.1", "{missing}"], "not a directory"),
        (["deploy", "verify", "{missing}"], "not a directory"),
        (["sign", "--role", "Technical Lead", "--name", "A", "{missing}"], "not a directory"),
        (["na", "1.1", "{file}", "--reason", "r"], "not a directory"),
        (["verify", "{missing}"], "cannot read"),
        (["verify", "{file}"], "not a JSON report"),
        (["check", "{proj}", "--checklist", "{missing}"], "checklist file not found"),
        (["check", "{proj}", "--only", "99"], "there is no section 99"),
        (["check", "{proj}", "--only", "1.99"], "there is no item '1.99'"),
        (["check", "{proj}", "--timeout", "-1"], "--timeout must be a positive number of seconds"),
        (["check", "{proj}", "--fail-under", "200"], "--fail-under must be between 0 and 100, not '200'"),
        (["report", "{proj}"], "no run recorded"),
        (["confirm", "99.9", "{proj}", "--by", "me"], "no item '99.9'"),
        (["fix", "99.9", "{proj}"], "no item '99.9'"),
        (["deploy", "nosuch", "{proj}"], "unknown step 'nosuch'"),
        (["waive", "1.1", "{proj}", "--reason", "r", "--approver", "a", "--expires", "2020-13-01"],
         "--expires must be a date"),
        (["diff", "1", "99", "--dir", "{proj}"], "no run '1'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_cli_error_paths(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                         message: str) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("not a report\n")
    filled = [x.format(missing=tmp_path / "nowhere", file=a_file, proj=project) for x in args]
    code, _out, err = _main(capsys, *filled)
    assert code == 2
    assert message in _one_clear_line(err)


@pytest.mark.parametrize("sub", ["check", "report", "history", "diff", "secrets", "fix", "deploy", "sign", "verify",
                                 "demo", "confirm", "na", "waive", "deployment", "credentials", "tui"])
def test_every_subcommand_has_help(capsys: pytest.CaptureFixture[str], sub: str) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([sub, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ") and f" {sub}" in out.splitlines()[0]


def test_user_sees_one_line_in_a_real_process(tmp_path: Path) -> None:
    """The same as a user sees it: stderr holds one line, stdout nothing, exit 2."""
    (tmp_path / "readiness.toml").write_text("contacts = [1, 2]\n")
    done = run_cli("check", str(tmp_path), "--format", "markdown", env=None)
    assert done.returncode == 2 and done.stdout == ""
    assert "contact 1 must be a table" in _one_clear_line(done.stderr)


@pytest.mark.parametrize("where", ["a-directory", "under-a-file", "proc"])
@pytest.mark.parametrize("command", ["check", "report"])
def test_output_that_cannot_be_written(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       where: str, command: str) -> None:
    """Before: `--output DIR` (or a path under a file) ended in an IsADirectoryError traceback."""
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    if command == "report":
        assert _main(capsys, "check", str(project), "--only", "4.1")[0] == 0
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    output = {"a-directory": str(tmp_path), "under-a-file": str(plain / "r.json"), "proc": "/proc/version"}[where]
    extra = ["--only", "4.1"] if command == "check" else []
    code, out, err = _main(capsys, command, str(project), *extra, "--output", output)
    assert code == 2 and out == ""
    line = _one_clear_line(err)
    assert line.startswith(f"readiness: --output {output}:")
    assert plain.read_text() == "x"


# --- argument parsing: options and DIR in any order; empty strings and non-numbers refused --------------

def _recorded(project: Path) -> dict:
    import json

    return json.loads((project / ".readiness" / "run.json").read_text())


@pytest.mark.parametrize(
    "args",
    [
        ["confirm", "5.4", "--by", "Ann", "--note", "X", "{proj}"],
        ["confirm", "--by", "Ann", "5.4", "{proj}", "--note", "X"],
        ["na", "5.4", "--reason", "no such service", "--by", "Ann", "{proj}"],
        ["waive", "5.4", "--reason", "r", "--approver", "Bob", "--expires", "2999-01-01", "--by", "Ann", "{proj}"],
        ["check", "--only", "5.4", "{proj}", "--format", "json"],
    ],
    ids=lambda v: " ".join(v),
)
def test_options_and_dir_in_any_order(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      args: list[str]) -> None:
    """Before: `readiness confirm 5.4 --by NAME --note X DIR` failed with "unrecognized arguments: DIR"."""
    monkeypatch.chdir(project.parent)  # DIR is not the current directory: the record must land in DIR
    code, _out, err = _main(capsys, *[a.format(proj=project) for a in args])
    assert code in (0, 1), err
    decisions = project / "readiness.decisions.toml"
    assert '["5.4"]' in (decisions.read_text() if decisions.exists() else "") or "5.4" in _recorded(project)["results"]
    assert not (project.parent / ".readiness").exists() and not (project.parent / decisions.name).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", ""], "DIR"),
        (["check", "{proj}", "--only", ""], "--only"),
        (["check", "{proj}", "--only", " , "], "--only"),
        (["check", "{proj}", "--skip", ""], "--skip"),
        (["check", "{proj}", "--checklist", ""], "--checklist"),
        (["check", "{proj}", "--output", ""], "--output"),
        (["report", ""], "DIR"),
        (["history", ""], "DIR"),
        (["confirm", "5.4", "", "--by", "A"], "DIR"),
        (["confirm", "", "{proj}", "--by", "A"], "ITEM"),
        (["diff", "--dir", ""], "--dir"),
        (["verify", ""], "REPORT"),
        (["secrets", "scan", ""], "DIR"),
        (["check", "{proj}", "--fail-under", "nan"], "--fail-under"),
        (["check", "{proj}", "--fail-under", "inf"], "--fail-under"),
        (["check", "{proj}", "--fail-under", "-1"], "--fail-under"),
        (["check", "{proj}", "--timeout", "nan"], "--timeout"),
        (["check", "{proj}", "--timeout", "inf"], "--timeout"),
        (["check", "{proj}", "--timeout", "-inf"], "--timeout"),
        (["check", "{proj}", "--timeout", "-3"], "--timeout"),
        (["check", "{proj}", "--timeout", "0"], "--timeout"),
        (["check", "{proj}", "--timeout", "1e400"], "--timeout"),
        (["demo", "--headless", "--fail-under", "nan"], "--fail-under"),
        (["deploy", "watch", "{proj}", "--seconds", "nan"], "--seconds"),
        (["deploy", "watch", "{proj}", "--seconds", "inf"], "--seconds"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_empty_strings_and_non_numbers_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                        message: str) -> None:
    """Before: `check ''` ran on the current directory, `--only ''` ran everything, nan and inf were taken."""
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    monkeypatch.chdir(project)
    code, out, err = _main(capsys, *[a.format(proj=project) for a in args])
    assert code == 2, (out, err)
    assert message in _one_clear_line(err)
    assert not (project / ".readiness").exists()


def test_usage_errors_from_the_parser_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _main(capsys, "check", "--format", "yaml")
    assert code == 2
    line = _one_clear_line(err)
    assert "--format" in line and "yaml" in line and "readiness check --help" in line


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["sign", ".", "--role", "Technical Lead", "--name", "Ann", "--by", "Ann"],
         "sign: unrecognized arguments: --by Ann (see `readiness sign --help`)"),
        (["init", ".", "--stdout", ""], "init: unrecognized arguments: '' (see `readiness init --help`)"),
        (["secrets", "scan", ".", "--everything"],
         "secrets scan: unrecognized arguments: --everything (see `readiness secrets scan --help`)"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_unrecognized_arguments_name_their_command(capsys: pytest.CaptureFixture[str], args: list[str],
                                                   said: str) -> None:
    """Before: every stray word pointed at `readiness --help`, and an empty one showed as nothing at all."""
    code, _out, err = _main(capsys, *args)
    assert code == 2
    assert _one_clear_line(err) == f"readiness: {said}"


# --- readiness.toml: unknown tables and keys named; type errors carry the line -----------------------------

@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[targt]\nbackend_url = "https://api.example.com"\n', "readiness.toml:1: unknown table [targt] (did you mean [target]?)"),
        ('[target]\nbackend_ur = "https://api.example.com"\n',
         "readiness.toml:2: unknown key `backend_ur` in [target] (did you mean `backend_url`?)"),
        ('title = "x"\n', "readiness.toml:1: unknown key `title`"),
        ('[deploy]\ntimeout = 60\nbakup = ["./backup.sh"]\n',
         "readiness.toml:3: unknown key `bakup` in [deploy] (did you mean `backup`?)"),
        ('# comment\n\n[target]\nfrontend_url = "http://x"\ncheck_timeout = "fast"\n',
         "readiness.toml:5: `check_timeout` must be a number, not 'fast'"),
        ("[target]\n\ncheck_timeout = nan\n", "readiness.toml:3: `check_timeout` must be a positive number"),
        ("[target]\ncheck_timeout = inf\n", "readiness.toml:2: `check_timeout` must be a positive number"),
        ("[target]\nload_requests = 2.5\n", "readiness.toml:2: `load_requests` must be an integer"),
        ("[target]\nload_requests = true\n", "readiness.toml:2: `load_requests` must be an integer"),
        ("[target]\n\n\nbackend_url = 3\n", "readiness.toml:4: `backend_url` must be a string"),
        ('[[contacts]]\nname = "A"\n[[contacts]]\nname = 5\n', "readiness.toml:4: contact 2: `name` must be a string"),
        ("target.check_timeout = \"x\"\n", "readiness.toml:1: `check_timeout` must be a number"),
    ],
    ids=lambda v: v if len(v) < 40 else None,
)
def test_readiness_toml_names_unknowns_and_lines(project: Path, capsys: pytest.CaptureFixture[str], toml: str,
                                                 message: str) -> None:
    """Before: a table typo `[targt]` dropped every [target] setting without a word; type errors had no line."""
    (project / "readiness.toml").write_text(toml)
    code, _out, err = _main(capsys, "check", str(project), "--only", "4.1")
    assert code == 2
    assert message in _one_clear_line(err)


# --- nesting: recursion bounded in every parser ------------------------------------------------------------

@pytest.mark.parametrize("shape", ["array", "inline-table"])
def test_deeply_nested_readiness_toml(project: Path, capsys: pytest.CaptureFixture[str], shape: str) -> None:
    """Before: 500 nested arrays in readiness.toml ended in a RecursionError traceback."""
    deep = "[" * 500 + "]" * 500 if shape == "array" else "{a = " * 500 + "1" + "}" * 500
    (project / "readiness.toml").write_text(f"[target]\n\nx = {deep}\n")
    code, _out, err = _main(capsys, "check", str(project), "--only", "4.1")
    assert code == 2
    assert "readiness.toml:3: nested too deeply" in _one_clear_line(err)


def test_deeply_nested_checklist(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "team.toml"
    bad.write_text(_checklist(_ITEM + 'kind = "manual"\n' + "[params]\n" * 0 + "x = " + "[" * 800 + "]" * 800 + "\n"))
    code, _out, err = _main(capsys, "check", str(project), "--checklist", str(bad))
    assert code == 2
    assert f"{bad}:" in (line := _one_clear_line(err)) and "nested too deeply" in line


def test_deeply_nested_json_for_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `verify` on JSON nested 100 000 deep ended in a RecursionError traceback."""
    report = tmp_path / "deep.json"
    report.write_text("[" * 100_000 + "]" * 100_000)
    code, _out, err = _main(capsys, "verify", str(report))
    assert code == 2
    assert f"{report}: nested too deeply" in _one_clear_line(err)


# --- the run record: every damaged shape is set aside and said by every command that meets it --------------

_GOOD_RESULT = {"status": "pass", "summary": "ok"}
DAMAGED_RECORDS = {
    "truncated": b'{"schema": 1, "run_id": "abc", "resu',
    "results-a-string": b'{"schema": 1, "results": "x"}',
    "results-a-list": b'{"schema": 1, "results": [1, 2]}',
    "result-a-string": b'{"schema": 1, "results": {"4.1": "pass"}}',
    "unknown-status": b'{"schema": 1, "results": {"4.1": {"status": "great"}}}',
    "measurements-a-list": b'{"schema": 1, "results": {"4.1": {"status": "pass", "measurements": [1]}}}',
    "checks-not-objects": b'{"schema": 1, "results": {"4.1": {"status": "pass", "checks": ["x"]}}}',
    "evidence-a-number": b'{"schema": 1, "results": {"4.1": {"status": "pass", "evidence": 3}}}',
    "decisions-a-string": b'{"schema": 1, "decisions": "x"}',
    "decision-a-number": b'{"schema": 1, "decisions": {"5.4": 3}}',
    "revision-a-word": b'{"schema": 1, "revision": "many"}',
    "signoffs-an-object": b'{"schema": 1, "signoffs": {"a": 1}}',
    "checklist-a-list": b'{"schema": 1, "checklist": [1]}',
    "deploy-steps-a-string": b'{"schema": 1, "deploy_steps": "x"}',
    "top-level-list": b"[]",
    "null": b"null",
    "empty": b"",
    "not-utf8": b'{"schema": 1, "run_id": "\xff"}',
    "nested-100k": b"[" * 100_000 + b"]" * 100_000,
}


#: Every shape through `report` and `confirm`; three of them through `check`, `history` and `diff`; a truncated
#: one through every other command that reads the record.
_DAMAGE_CASES = [(shape, command) for shape in DAMAGED_RECORDS for command in ("report", "confirm")] + [
    (shape, command) for shape in ("truncated", "results-a-string", "nested-100k")
    for command in ("check", "history", "diff")] + [
    ("truncated", command) for command in ("na", "waive", "sign", "deployment", "fix")]


@pytest.mark.parametrize(("shape", "command"), _DAMAGE_CASES, ids=[f"{c}-{s}" for s, c in _DAMAGE_CASES])
def test_damaged_record_is_set_aside_and_said(project: Path, capsys: pytest.CaptureFixture[str], shape: str,
                                              command: str) -> None:
    """Before: a wrong shape was an AttributeError traceback; a truncated record was replaced without a word."""
    raw = DAMAGED_RECORDS[shape]
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    state = project / ".readiness"
    state.mkdir()
    (state / "run.json").write_bytes(raw)
    args = {"report": ["report", str(project)], "confirm": ["confirm", "5.4", str(project), "--by", "Ann"],
            "check": ["check", str(project), "--only", "4.1"], "history": ["history", str(project)],
            "diff": ["diff", "--dir", str(project)],
            "na": ["na", "5.4", str(project), "--reason", "no such service", "--by", "Ann"],
            "waive": ["waive", "5.4", str(project), "--reason", "r", "--approver", "Bob", "--expires", "2999-01-01",
                      "--by", "Ann"],
            "sign": ["sign", str(project), "--role", "Technical Lead", "--name", "Ann", "--override", "a test"],
            "deployment": ["deployment", "Deployed By", "Ann", str(project), "--by", "Ann"],
            "fix": ["fix", "1.7", str(project), "--yes"]}[command]
    code, _out, err = _main(capsys, *args)
    assert "Traceback" not in err
    aside = list(state.glob("run.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == raw  # nothing lost
    notes = [x for x in err.splitlines() if "kept aside as run.json.corrupt-" in x]
    assert len(notes) == 1 and notes[0].startswith(f"readiness: {state / 'run.json'}: damaged (")
    if command in ("confirm", "check", "na", "waive", "deployment"):
        assert code in (0, 1)
        assert _recorded(project)["schema"] == 1
    else:
        assert code in (0, 2)


def test_read_only_record_is_respected(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Before: a run.json made read-only (0444) was overwritten and its mode reset to 0644."""
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    assert _main(capsys, "check", str(project), "--only", "4.1")[0] == 0
    record = project / ".readiness" / "run.json"
    record.chmod(0o444)
    before = record.read_bytes()
    for args in (["confirm", "5.4", str(project), "--by", "Ann"], ["check", str(project), "--only", "4.1"],
                 ["na", "5.4", str(project), "--reason", "r", "--by", "Ann"]):
        code, _out, err = _main(capsys, *args)
        assert code == 2
        line = _one_clear_line(err)
        assert line.startswith(f"readiness: {record}: read-only") and "chmod u+w" in line
    assert record.read_bytes() == before and (record.stat().st_mode & 0o777) == 0o444
    code, out, _err = _main(capsys, "report", str(project), "--format", "json")  # reading still works
    assert code == 0 and '"4.1"' in out


def test_record_mode_is_kept_when_rewritten(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The owner's bits survive a rewrite; group and other access never do (the record is private)."""
    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    assert _main(capsys, "check", str(project), "--only", "4.1")[0] == 0
    record = project / ".readiness" / "run.json"
    assert (record.stat().st_mode & 0o777) == 0o600
    for chosen, kept in ((0o700, 0o700), (0o640, 0o600)):
        record.chmod(chosen)
        assert _main(capsys, "confirm", "5.4", str(project), "--by", "Ann", "--note", oct(chosen))[0] == 0
        assert (record.stat().st_mode & 0o777) == kept


def test_one_corrupt_history_file_does_not_block_history_or_diff(project: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Before: one unreadable file in .readiness/history/ made `history` and `diff` fail entirely."""
    import json

    (project / ".env").write_text("CACHE_TTL_SECONDS=300\n")
    assert _main(capsys, "check", str(project), "--only", "4.1")[0] == 0
    kept = project / ".readiness" / "history"
    kept.mkdir()
    for n in range(3):  # what full runs leave behind: finished records, one file each
        data = _recorded(project) | {"run_id": f"{n:012d}", "finished_at": f"2025-01-0{n + 1}T00:00:00+0000"}
        (kept / f"2025010{n + 1}T000000Z-{n:012d}.json").write_text(json.dumps(data))
    history = sorted(kept.glob("*.json"))
    history[0].write_text('{"schema": 1, "results": "x"}')
    code, out, err = _main(capsys, "history", str(project))
    assert code == 0 and "Traceback" not in err
    assert f"skipped {history[0]}" in err and "[current]" in out
    code, out, err = _main(capsys, "diff", "--dir", str(project))
    assert code == 0 and out.startswith("from #") and f"skipped {history[0]}" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0"])
def test_deploy_numbers_must_be_finite(project: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    (project / "readiness.toml").write_text(f"[deploy]\nverify_timeout = {value}\n")
    code, _out, err = _main(capsys, "deploy", "verify", str(project), "--yes", "--by", "tester")
    assert code == 2
    assert "[deploy] verify_timeout must be a positive number" in _one_clear_line(err)
