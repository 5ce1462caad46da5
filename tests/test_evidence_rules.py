"""The evidence rules: which files and lines count as evidence, Markdown read structurally, the
idioms behind 4.1/4.5/4.6/5.x, and the corpus bounds that keep file-only checks off the network
timeout."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from readiness_tui.checks import _corpus as corpus_mod
from readiness_tui.checks._corpus import (
    EVIDENCE_EXCLUDE,
    Doc,
    build,
    empty_value,
    excluded,
    glob_regex,
    literal_hints,
    relevance,
)
from readiness_tui.checks._markdown import parse, procedure
from readiness_tui.checks.config import _caches, _page_hits, _refresh_hits, seconds

pytestmark = pytest.mark.fast


def doc(rel: str, text: str) -> Doc:
    return Doc(rel, Path(rel), text, relevance(rel))


# --- which files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rel", [
    "tests/test_api.py", "backend/tests/unit/test_x.py", "src/app_test.go", "web/src/a.test.ts",
    "notebooks/eda/README.md", "analysis.ipynb", "loadtests/locustfile.py", "perf/locustfile_api.py",
    "frontend/package-lock.json", "poetry.lock", "requirements-dev.txt", ".github/workflows/ci.yml",
    ".rollback/pipeline_20240301.yml", "config.yml.bak", ".env.backup.20251013_182201",
    ".sonarqube/conf/README.md", "node_modules/x/index.js", "vendor/lib/a.go", "backend/tests.old/x.txt",
    ".claude/agents/writer.md", "docs/archive/OLD_DEPLOY.md",
])
def test_never_evidence(rel: str) -> None:
    assert excluded(rel, EVIDENCE_EXCLUDE), rel


@pytest.mark.parametrize("rel", [
    "app.py", "backend/app/main.py", "frontend-streamlit/pages/1_Leads.py", "docker-compose.yml",
    "Dockerfile", "docs/DEPLOYMENT.md", "config/pipeline.yml", "scripts/deploy.sh", ".env.example",
    "src/testing_utils_helper.py", "backend/app/latest.py", "contest/app.py",
])
def test_evidence(rel: str) -> None:
    assert not excluded(rel, EVIDENCE_EXCLUDE), rel


def test_globs_follow_gitignore_conventions() -> None:
    assert glob_regex("*.bak").match("a/b/c.bak") and not glob_regex("*.bak").match("c.bak/x")
    assert glob_regex("docs/*.md").match("docs/a.md") and not glob_regex("docs/*.md").match("x/docs/a.md")
    assert glob_regex("**/tests/**").match("tests/a.py") and glob_regex("**/tests/**").match("a/tests/b/c.py")
    assert glob_regex("[0-9][0-9]*").match("notes/2024-x.md") and not glob_regex("[0-9][0-9]*").match("x2.md")
    assert excluded("a/b.py", []) is False


def test_relevance_puts_app_code_and_deployment_first() -> None:
    ranks = {rel: relevance(rel) for rel in
             ("backend/app/main.py", "docker-compose.prod.yml", "config/settings.yml", "scripts/deploy.sh",
              "docs/OPS.md", ".env.example", "examples/demo.py")}
    assert ranks["backend/app/main.py"] < ranks["docker-compose.prod.yml"] < ranks["config/settings.yml"] \
        < ranks["scripts/deploy.sh"] < ranks["docs/OPS.md"] < ranks[".env.example"]
    assert ranks["examples/demo.py"] == ranks[".env.example"]


# --- which lines -----------------------------------------------------------------------------------


def test_comments_docstrings_and_bare_strings_are_not_live() -> None:
    text = '''"""Module docstring: sentry_sdk.init(traces_sample_rate=1.0)."""
import os
# sentry_sdk.init(dsn=DSN, traces_sample_rate=1.0)
SQL = f"""
SELECT 1
"""
def f():
    """Usage: auto_refresh(interval_ms=1000)."""
    return os.getenv("X")  # auto_refresh(interval_ms=500)
x = "# not a comment"
'''
    lines = dict(doc("app.py", text).code_lines())
    assert set(lines) == {2, 4, 5, 6, 7, 9, 10}
    assert "auto_refresh" not in lines[9] and lines[10] == 'x = "# not a comment"'


def test_js_and_yaml_comments() -> None:
    js = dict(doc("web/a.ts", "// Sentry.init({})\n/* block\nSentry.init\n*/\nSentry.init({dsn})\n").code_lines())
    assert list(js) == [5]
    yml = dict(doc("compose.yml", "services:\n  # image: datadog/agent\n  api:\n    image: app # datadog\n").code_lines())
    assert list(yml) == [1, 3, 4] and "datadog" not in yml[4]


@pytest.mark.parametrize("value", ['""', "''", "${ALERT_EMAIL:-}", "${ALERT_EMAIL}", "$ALERT_EMAIL", "None",
                                   "", "<your-email>", "your-webhook-url", "changeme", "xxx"])
def test_empty_values(value: str) -> None:
    assert empty_value(value)


@pytest.mark.parametrize("value", ["ops@example.org", "https://hooks.slack.com/services/T0/B0/abc", "300"])
def test_real_values(value: str) -> None:
    assert not empty_value(value)


# --- the cheap prefilter ---------------------------------------------------------------------------

@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_a_file_the_prefilter_skips_never_matches(text: str) -> None:
    patterns = [r"\bsentry_sdk\.init\s*\(", r"traces_sample_rate\s*[=:]\s*(?!0+(?:\.0+)?\b(?!\.))[\w.]",
                r"hooks\.slack\.com/services/|^\s*-\s*alert:\s*\w", r"\b(RotatingFileHandler|TimedRotating)\b"]
    for pattern in patterns:
        rx = re.compile(pattern, re.I | re.M)
        hints = literal_hints(pattern, re.I | re.M)
        assert hints
        if not any(h in text.lower() for h in hints):
            assert rx.search(text) is None


def test_prefilter_hints() -> None:
    assert literal_hints(r"\bfoo\s*\(|bar_baz") == ("bar_baz", "foo")
    assert literal_hints(r"a|\w+") is None  # an alternative without a literal: never skipped


# --- Markdown --------------------------------------------------------------------------------------


def test_headings_atx_setext_and_labels_but_not_code() -> None:
    text = """Project
=======

Intro.

Running it
----------

```bash
# Install dependencies
pip install -r requirements.txt
```

Troubleshooting

- 401: the key is wrong
- container cannot reach db

## Deploy ##
"""
    outline = parse(text)
    assert [(s.title, s.level, s.kind) for s in outline.sections] == [
        ("Project", 1, "setext"), ("Running it", 2, "setext"), ("Troubleshooting", 7, "label"),
        ("Deploy", 2, "atx")]
    assert outline.blocks[0].lang == "bash" and outline.blocks[0].body[0] == "# Install dependencies"


def test_front_matter_and_tables_are_not_headings() -> None:
    outline = parse("---\ntitle: x\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert outline.sections == []


def test_procedures_need_steps_or_commands() -> None:
    steps = parse("## Recovery\n\n1. Stop the app\n2. Restore the dump\n3. Start the app\n").sections[0]
    commands = parse("## Recovery\n\n```bash\npg_restore -d app dump.sql\nsystemctl start app\n```\n").sections[0]
    prose = parse("## Revenue Recovery\n\nFinds unpaid invoices and drafts reminders for the team.\n").sections[0]
    todo = parse("## Before launch\n\n- [ ] Prepare rollback procedures\n").sections[0]
    assert procedure(steps) == "3 numbered steps"
    assert procedure(commands) == "2 commands"
    assert procedure(prose) == "" and procedure(todo) == ""


@given(st.text(max_size=400))
def test_any_text_parses(text: str) -> None:
    outline = parse(text)
    lines = text.splitlines()
    for section in outline.sections:
        assert 1 <= section.line <= len(lines)
        assert section.title.strip() == section.title


# --- idioms ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expr", "value"), [
    ("300", 300), ("60 * 5", 300), ('"10m"', 600), ("'1 hour'", 3600), ("timedelta(minutes=5)", 300),
    ("datetime.timedelta(hours=1, seconds=30)", 3630), ("CACHE_TTL", None), ("get_ttl()", None),
])
def test_durations(expr: str, value: float | None) -> None:
    assert seconds(expr) == value


def test_refresh_idioms_in_streamlit_code() -> None:
    code = """import time
import streamlit as st
from streamlit_autorefresh import st_autorefresh

st_autorefresh(interval=30000, key="a")
st_autorefresh()
auto_refresh(interval_ms=20000, key="b")

@st.fragment(run_every="10s")
def live():
    st.metric("x", 1)

if running:
    time.sleep(3)
    st.rerun()
if done:
    time.sleep(2)
    show_result()
while True:
    placeholder.metric("queue", depth())
    time.sleep(5)
st.markdown('<meta http-equiv="refresh" content="60">', unsafe_allow_html=True)
"""
    hits = [(h.what, h.value) for h in _refresh_hits(doc("app/page.py", code))]
    assert hits == [("st_autorefresh(interval=…)", 30.0), ("st_autorefresh(interval=…)", 1.0),
                    ("auto_refresh(interval_ms=…)", 20.0), ("@st.fragment(run_every=…)", 10.0),
                    ("sleep(3) then st.rerun()", 3.0), ("while-loop updating the page, sleep(5)", 5.0),
                    ("<meta http-equiv=refresh>", 60.0)]


def test_token_lifetimes_are_not_refreshes() -> None:
    code = "import streamlit as st\nJWT_REFRESH_TOKEN_EXPIRES = 2592000\nrefresh_token_reuse_interval = 10\n" \
           "token = refresh_session(refresh_token=t)\n"
    assert _refresh_hits(doc("app.py", code)) == []


def test_page_sizes_from_api_defaults_and_ui() -> None:
    code = """from fastapi import Query
@router.get("/a")
def a(limit: int = 20, offset: int = 0): ...
@router.get("/top")
def top(limit: int = 5): ...
@router.get("/b")
def b(page: int = 1, page_size: int = Query(50, le=100)): ...
per_page = request.args.get("per_page", 30, type=int)
rows = st.selectbox("Rows per page", [25, 50, 100], index=1)
"""
    hits = [(h.what, h.value) for h in _page_hits(doc("api/routes.py", code))]
    assert hits == [("limit default (with an offset)", 20.0), ("page_size", 50.0),
                    ("request per_page default", 30.0), ("st.selectbox page size", 50.0)]


def test_caches_and_their_expiry() -> None:
    code = """import streamlit as st
@st.cache_data(ttl=300)
def totals(): ...
@st.cache_data(show_spinner=False)
def everything(): ...
@st.cache_resource
def get_client(): ...
r.setex(key, 3600, value)
r.set(key, value, ex=60 * 10)
cache = QueryCache(max_size=128, ttl_seconds=300)
"""
    found = [(c.kind, c.ttl, c.expires, c.client) for c in _caches(doc("app.py", code))]
    assert found == [("@st.cache_data", 300.0, True, False), ("@st.cache_data", None, False, False),
                     ("@st.cache_resource", None, False, True), ("Redis setex", 3600.0, True, False),
                     ("Redis set(ex=…)", 600.0, True, False), ("ttl_seconds", 300.0, True, False)]


# --- the corpus is bounded on its own --------------------------------------------------------------


def test_corpus_bounds(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"f{n:02}.py").write_text("x = 1\n" * 100)
    (tmp_path / "big.md").write_bytes(b"a" * (corpus_mod.MAX_FILE + 1))
    (tmp_path / "blob.json").write_bytes(b"\0\1\2")
    assert len(build(tmp_path, max_files=10).docs) == 10
    assert "stopped at 10 files" in build(tmp_path, max_files=10).truncated
    whole = build(tmp_path)
    assert {d.rel for d in whole.docs} == {f"f{n:02}.py" for n in range(30)} and not whole.truncated
    started = time.monotonic()
    late = build(tmp_path, max_seconds=0)
    assert late.truncated.startswith("stopped reading after 0 s") and time.monotonic() - started < 5


# --- whole checks on a small project -----------------------------------------------------------------


def _run(project: Path, item_id: str):
    import asyncio

    from readiness_tui.checkapi import RunOptions
    from readiness_tui.checklist import load_checklist
    from readiness_tui.runner import Runner
    from readiness_tui.settings import load_settings

    checklist = load_checklist()
    item = next(i for i in checklist.items if i.id == item_id)
    settings = load_settings(project, environ={"PATH": "/usr/bin:/bin"})
    return asyncio.run(Runner(checklist, settings, RunOptions(timeout=5)).run([item]))[item_id]


@pytest.mark.parametrize(("code", "status", "summary"), [
    ("import psycopg2\nconn = psycopg2.connect(DSN)\n", "pending", "without a pool (app.py:2 psycopg2.connect)"),
    ("import sqlite3\ndb = sqlite3.connect('app.db')\n", "pending", "SQLite (app.py:2 sqlite3.connect)"),
    ("from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n"
     "engine = create_engine(URL, poolclass=NullPool)\n", "warn", "pooling disabled (poolclass=NullPool)"),
    ("import redis\npool = redis.ConnectionPool(host='r')\n", "pending", "no database client or pool found"),
])
def test_pooling_from_code(tmp_path: Path, code: str, status: str, summary: str) -> None:
    (tmp_path / "app.py").write_text(code)
    result = _run(tmp_path, "4.3")
    assert result.status.value == status and summary in result.summary, result.summary
    assert "pools" in result.facts


def test_monitoring_evidence_needs_a_value(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "notify.sh").write_text('ALERT_EMAIL="${ALERT_EMAIL:-}"\nmail -s x "$ALERT_EMAIL"\n')
    (tmp_path / "config.py").write_text('SLACK_WEBHOOK_URL = os.getenv("SLACK_WEBHOOK_URL")\n')
    assert _run(tmp_path, "5.6").status.value == "fail"
    (tmp_path / "docker-compose.yml").write_text("services:\n  api:\n    environment:\n      ALERT_EMAIL: ops@example.org\n")
    result = _run(tmp_path, "5.6")
    assert result.status.value == "pending" and "docker-compose.yml:4 ALERT_EMAIL" in result.summary
    assert result.facts["tools"] == {"email alerts": ["docker-compose.yml:4 ALERT_EMAIL"]}


@pytest.mark.parametrize(("signals", "message"), [
    ([["Slack", "code"]], "each entry is [tool, 'code' or 'env', pattern]"),
    ([["Slack", "file", "x"]], "each entry is [tool, 'code' or 'env', pattern]"),
    ([["Slack", "code", "hooks(["]], "Slack: invalid pattern"),
])
def test_a_bad_signals_parameter_is_one_line(tmp_path: Path, signals: list, message: str) -> None:
    from readiness_tui.checkapi import CheckContext, get_check
    from readiness_tui.checklist import load_checklist
    from readiness_tui.settings import load_settings

    checklist = load_checklist()
    item = next(i for i in checklist.items if i.id == "5.6")
    spec = get_check("monitoring.alerts")
    assert spec is not None
    ctx = CheckContext(settings=load_settings(tmp_path, environ={}), params={"signals": signals}, item=item,
                       checklist=checklist, spec=spec)
    result = spec.func(ctx)
    assert result.status.value == "error" and message in result.summary and "\n" not in result.summary


def test_refresh_intervals_from_module_constants() -> None:
    code = """import time
import streamlit as st
REFRESH_SECONDS = 5
REFRESH_MS = 60 * 1000
st_autorefresh(interval=REFRESH_MS)
if live:
    time.sleep(REFRESH_SECONDS)
    st.rerun()
if other:
    time.sleep(pause)
    st.rerun()
"""
    hits = [(h.what, h.value) for h in _refresh_hits(doc("app.py", code))]
    assert hits == [("st_autorefresh(interval=…)", 60.0), ("sleep(REFRESH_SECONDS) then st.rerun()", 5.0),
                    ("sleep(pause) then st.rerun()", None)]
