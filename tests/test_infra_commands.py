"""The project's own commands (7.7, 8.1–8.4) and `procs.run_command`: pass, fail, hang, confirmation."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.infra import PYTHON, make_settings, run_item
from readiness_tui.checks.project_commands import OutputParser, commands_for

from readiness_tui.procs import ProcError, run_command


def write_toml(project: Path, text: str) -> None:
    (project / "readiness.toml").write_text(text)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group, read from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ----------------------------------------------------------------------------------------------
# procs.run_command
# ----------------------------------------------------------------------------------------------
def test_run_command_streams_lines_and_keeps_the_tail(tmp_path):
    seen: list[str] = []
    code = "import sys\nfor i in range(300): print('line', i)\nprint('oops', file=sys.stderr)\nsys.exit(3)\n"
    result = run_command([PYTHON, "-c", code], tmp_path, timeout=30, on_line=seen.append, tail_lines=5)
    assert result.exit_code == 3 and not result.timed_out and not result.ok
    assert len(seen) == 301 and seen[0] == "line 0" and seen[-1] == "oops"
    assert result.output_tail.splitlines() == ["line 296", "line 297", "line 298", "line 299", "oops"]


def test_run_command_never_uses_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    result = run_command([PYTHON, "-c", "import sys; print(sys.argv[1])", f"x; touch {marker}"], None, timeout=30)
    assert result.output_tail == f"x; touch {marker}" and not marker.exists()


def test_run_command_timeout_kills_the_whole_group(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text("import subprocess, sys, time\n"
                      "c = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
                      "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)'])\n"
                      "print('child', c.pid, flush=True)\ntime.sleep(300)\n")
    pids: list[int] = []
    started = time.monotonic()
    result = run_command([PYTHON, str(script)], tmp_path, timeout=1.5, kill_grace=0.5,
                         on_line=lambda line: pids.append(int(line.split()[1])) if line.startswith("child") else None)
    assert result.timed_out and result.exit_code is not None and result.exit_code < 0
    assert time.monotonic() - started < 10
    assert pids and not alive(pids[0]), "the child that ignores SIGTERM must be killed too"


def test_run_command_leftover_children_are_killed_after_a_normal_exit(tmp_path):
    code = ("import subprocess, sys\n"
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], stdout=subprocess.DEVNULL)\n"
            "print(c.pid)\n")
    result = run_command([PYTHON, "-c", code], tmp_path, timeout=30)
    assert result.exit_code == 0
    assert not alive(int(result.output_tail.strip()))


def test_run_command_can_be_cancelled(tmp_path):
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    result = run_command([PYTHON, "-c", "import time; time.sleep(300)"], tmp_path, timeout=60, stop=stop,
                         kill_grace=0.5)
    assert result.cancelled and not result.timed_out and result.duration_s < 10


def test_run_command_bad_input_is_a_clear_error(tmp_path):
    with pytest.raises(ProcError, match="cannot run no-such-program-xyz: not found"):
        run_command(["no-such-program-xyz"], tmp_path, timeout=5)
    with pytest.raises(ProcError, match="does not exist"):
        run_command([PYTHON, "-V"], tmp_path / "missing", timeout=5)
    with pytest.raises(ProcError, match="non-empty list"):
        run_command([], tmp_path, timeout=5)


# ----------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------
def test_output_parser_reads_pytest_and_coverage():
    parser = OutputParser()
    for line in [
        "tests/test_a.py ..F.                                      [100%]",
        "Name          Stmts   Miss  Cover   Missing",
        "app/main.py      40      6    85%   12-17",
        "TOTAL           120     19    84%",
        "=========== 1 failed, 11 passed, 2 skipped, 1 warning in 0.52s ===========",
    ]:
        parser.feed(line)
    assert parser.counts == {"failed": 1, "passed": 11, "skipped": 2, "warnings": 1}
    assert parser.coverage == 84.0
    quiet = OutputParser()
    quiet.feed("3 passed, 1 error in 1.20s")
    quiet.feed("14/16 checks passed (87.5%)")
    assert quiet.counts == {"passed": 3, "errors": 1} and quiet.ratio == (14, 16)


# ----------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------
def test_commands_wait_for_confirmation(command_project):
    write_toml(command_project, f'[commands]\nvalidation = ["{PYTHON}", "scripts/ok.py"]\n')
    result = run_item(make_settings(command_project), "7.7")
    assert result.status == "pending"
    assert result.summary.startswith("run on confirmation: ")
    assert "scripts/ok.py" in result.summary
    assert "exit_code" not in json.dumps(result.evidence)


def test_validation_script_passes_and_fails(command_project):
    write_toml(command_project, f'[commands]\nvalidation = ["{PYTHON}", "scripts/ok.py"]\n')
    ok = run_item(make_settings(command_project), "7.7", run_commands=True)
    assert ok.status == "pass", ok.summary
    assert "14/16 passed" in ok.summary
    assert ok.evidence["command_runs"][0]["output_tail"].endswith("14/16 checks passed (87.5%)")
    write_toml(command_project, f'[commands]\nvalidation = ["{PYTHON}", "scripts/bad.py"]\n')
    bad = run_item(make_settings(command_project), "7.7", run_commands=True)
    assert bad.status == "fail"
    assert "failed (exit code 1, 10/16 passed)" in bad.summary
    assert "ERROR: 3 leads have invalid status" in bad.evidence["command_runs"][0]["output_tail"]


def test_hanging_command_times_out_and_leaves_nothing(command_project):
    write_toml(command_project, f'[commands.validation]\nargv = ["{PYTHON}", "scripts/hang.py"]\ntimeout = 1.5\n')
    started = time.monotonic()
    result = run_item(make_settings(command_project), "7.7", run_commands=True)
    assert time.monotonic() - started < 15
    assert result.status == "error"
    assert "timed out after 1.5 s" in result.summary
    tail = result.evidence["command_runs"][0]["output_tail"]
    child = int(tail.split()[1])
    assert not alive(child), "the hanging command's child must be killed"


def test_secret_in_output_is_redacted(command_project):
    secret = "sk_live_Zq8PpC0nfidential1234"
    (command_project / ".env").write_text(f"STRIPE_SECRET_KEY={secret}\n")
    write_toml(command_project, f'[commands]\nvalidation = ["{PYTHON}", "-c", "print(\'key={secret}\')"]\n')
    result = run_item(make_settings(command_project), "7.7", run_commands=True)
    assert secret not in json.dumps(result.to_dict())
    assert "key=[REDACTED]" in result.evidence["command_runs"][0]["output_tail"]


def test_pytest_results_and_coverage_are_parsed(tmp_path):
    project = tmp_path / "backend"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_x.py").write_text(
        "def test_one():\n    assert 1\n\ndef test_two():\n    assert 2\n\ndef test_three():\n    assert 0\n")
    write_toml(project, f'[commands]\nunit_tests = ["{PYTHON}", "-m", "pytest", "-q", "-p", "no:cacheprovider", '
                        '"tests"]\n')
    result = run_item(make_settings(project), "8.1", run_commands=True)
    assert result.status == "fail"
    assert "1 failed" in result.summary and "2 passed" in result.summary
    assert result.measurements["tests.unit_tests_passed"].value == 2
    assert result.measurements["tests.unit_tests_failed"].value == 1


def test_real_pytest_cov_output_is_parsed(tmp_path):
    pytest.importorskip("pytest_cov")
    project = tmp_path / "backend"
    (project / "app").mkdir(parents=True)
    (project / "tests").mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "app" / "__init__.py").write_text("")
    # 5 statements; the test runs 3 of them (two defs and one return): 60 % by construction.
    (project / "app" / "calc.py").write_text(
        "def used(x):\n    return x + 1\n\n\ndef unused(x):\n    y = x * 2\n    return y\n")
    (project / "tests" / "test_calc.py").write_text(
        "from app.calc import used\n\n\ndef test_used():\n    assert used(1) == 2\n")
    write_toml(project, f'[commands]\nunit_tests = ["{PYTHON}", "-m", "pytest", "-p", "no:cacheprovider", '
                        '"--cov=app", "--cov-report=term-missing", "tests"]\n')
    result = run_item(make_settings(project), "8.1", run_commands=True)
    assert result.measurements["tests.unit_tests_coverage_pct"].value == 60.0, result.summary
    assert result.measurements["tests.unit_tests_passed"].value == 1
    assert result.status == "fail" and "coverage 60% (target > 80%)" in result.summary


def test_coverage_below_target_fails_above_passes(tmp_path):
    project = tmp_path / "p"
    (project / "scripts").mkdir(parents=True)
    fake = project / "scripts" / "fake_pytest.py"
    fake.write_text("import sys\nprint('TOTAL   100   %s   %s%%' % (100 - int(sys.argv[1]), sys.argv[1]))\n"
                    "print('===== 12 passed in 0.40s =====')\n")
    write_toml(project, f'[commands]\nunit_tests = ["{PYTHON}", "scripts/fake_pytest.py", "72"]\n')
    low = run_item(make_settings(project), "8.1", run_commands=True)
    assert low.status == "fail" and "coverage 72% (target > 80%)" in low.summary
    write_toml(project, f'[commands]\nunit_tests = ["{PYTHON}", "scripts/fake_pytest.py", "86"]\n')
    high = run_item(make_settings(project), "8.1", run_commands=True)
    assert high.status == "pass" and "12 passed, coverage 86%" in high.summary
    assert high.measurements["tests.unit_tests_coverage_pct"].value == 86.0


def test_several_commands_and_cwd(command_project):
    (command_project / "backend").mkdir()
    (command_project / "backend" / "where.py").write_text("import os; print(os.getcwd())\n")
    write_toml(command_project, f"""[commands]
[[commands.unit_tests]]
argv = ["{PYTHON}", "where.py"]
cwd = "backend"
[[commands.unit_tests]]
argv = ["{PYTHON}", "scripts/bad.py"]
""")
    result = run_item(make_settings(command_project), "8.1", run_commands=True)
    assert result.status == "fail"
    assert result.summary.startswith("1 of 2 commands failed")
    runs = result.evidence["command_runs"]
    assert runs[0]["output_tail"] == str(command_project / "backend") and runs[0]["exit_code"] == 0


def test_seed_defaults_when_files_exist(tmp_path):
    repo = tmp_path / "repo"
    (repo / "backend" / "scripts").mkdir(parents=True)
    (repo / "backend" / "scripts" / "validate_leads_integrity.py").write_text("print('14/16 checks passed')\n")
    (repo / "backend" / "tests").mkdir()
    settings = make_settings(repo)
    validation, explicit = commands_for(settings, "validation")
    assert not explicit and validation[0].argv[-1] == "scripts/validate_leads_integrity.py"
    assert validation[0].cwd == repo / "backend"
    unit, _ = commands_for(settings, "unit_tests")
    assert unit[0].argv[-2:] == ["--cov=app", "--cov-report=term-missing"]
    none = run_item(settings, "8.3")
    assert none.status == "pending" and "no e2e tests command" in none.summary
    ran = run_item(settings, "7.7", run_commands=True)
    assert ran.status == "pass", ran.summary


def test_explicitly_empty_command_is_not_applicable(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    write_toml(project, "[commands]\ne2e_tests = []\n")
    result = run_item(make_settings(project), "8.3")
    assert result.status == "not_applicable"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[commands]\nunit_tests = "pytest -q"\n', "must be an argument list"),
        ('[commands]\nunit_tests = {argv = ["pytest"], shell = true}\n', "unknown key(s) shell"),
        ('[commands]\nunit_tests = {argv = []}\n', "`argv` must be a non-empty list"),
        ('[commands]\ntimeout = -1\nunit_tests = ["pytest"]\n', "`timeout` must be a positive number"),
    ],
)
def test_bad_commands_table_is_a_clear_error(tmp_path, toml, message):
    project = tmp_path / "p"
    project.mkdir()
    write_toml(project, toml)
    result = run_item(make_settings(project), "8.1", run_commands=True)
    assert result.status == "error"
    assert message in result.summary and "readiness.toml [commands]" in result.summary


def test_missing_program_is_a_clear_error(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    write_toml(project, '[commands]\nperformance_tests = ["no-such-tool-xyz", "--run"]\n')
    result = run_item(make_settings(project), "8.4", run_commands=True)
    assert result.status == "error" and "cannot run no-such-tool-xyz: not found" in result.summary


def test_cli_runs_commands_only_with_the_flag(command_project):
    write_toml(command_project, f'[commands]\nvalidation = ["{PYTHON}", "scripts/ok.py"]\n')
    without = run_cli("check", str(command_project), "--only", "7.7", "--format", "json")
    item = json.loads(without.stdout)["sections"][0]["items"][0]
    assert item["status"] == "pending" and "run on confirmation" in item["summary"]
    with_flag = run_cli("check", str(command_project), "--only", "7.7", "--format", "json", "--run-project-commands")
    item = json.loads(with_flag.stdout)["sections"][0]["items"][0]
    assert item["status"] == "pass", item["summary"]
    assert with_flag.returncode == 0


def test_no_group_survives_a_killed_check(command_project):
    """After a timed-out command, nothing of its process group is left (checked via /proc)."""
    pgids: list[int] = []
    result = run_command([PYTHON, str(command_project / "scripts" / "hang.py")], command_project, timeout=1,
                         kill_grace=0.5, on_line=lambda line: pgids.append(os.getpgid(int(line.split()[1]))))
    assert result.timed_out and pgids
    assert group_members(pgids[0]) == []


def test_a_process_escaping_the_group_does_not_hang_the_caller(tmp_path):
    # setsid leaves our process group and keeps the output pipe open: run_command must still return.
    code = ("import subprocess, sys\n"
            "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3)'], start_new_session=True)\n"
            "print(c.pid, flush=True)\n")
    started = time.monotonic()
    result = run_command([PYTHON, "-c", code], tmp_path, timeout=30, kill_grace=0.3)
    assert result.exit_code == 0 and time.monotonic() - started < 2.5
    os.kill(int(result.output_tail.strip()), 9)
