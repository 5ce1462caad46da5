"""The project map: descriptors parsed, services found with file:line, exclusions, Streamlit precedence."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness_tui import projectmap
from readiness_tui.projectmap import build, exclusion, parse_compose, parse_dockerfile, streamlit_argv

pytestmark = pytest.mark.fast


def repo(root: Path, files: dict[str, str], ignore: str = "") -> Path:
    """A git repository with these files tracked (and `ignore` as .gitignore, itself tracked)."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    if ignore:
        files = {".gitignore": ignore, **files}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "add", "-f", *files], cwd=root, check=True)
    return root


DOCKERFILE = """\
FROM python:3.12-slim AS base
ENV PYTHONUNBUFFERED=1 \\
    STREAMLIT_SERVER_PORT=8501
WORKDIR /app
COPY requirements.txt .

FROM base AS production
COPY --chown=app:app Home.py .
COPY .streamlit/ ./.streamlit/
CMD ["streamlit", "run", "Home.py", \\
     "--server.enableCORS=false", \\
     "--server.enableXsrfProtection=true"]

FROM production AS development
CMD ["streamlit", "run", "Home.py", "--server.runOnSave=true"]
"""


def test_dockerfile_stages_inherit_and_the_production_stage_is_chosen():
    parsed = parse_dockerfile(DOCKERFILE, "web/Dockerfile")
    assert [s.name for s in parsed.stages] == ["base", "production", "development"]
    prod = parsed.stage()
    assert prod is not None and prod.name == "production"
    assert prod.workdir == "/app" and prod.env["STREAMLIT_SERVER_PORT"][0] == "8501"
    assert [c.dest for c in prod.copies] == ["/app/", "/app/", "/app/.streamlit/"]
    argv, line = prod.command()
    assert argv[:3] == ["streamlit", "run", "Home.py"] and line == 10
    dev = parsed.stage("development")
    assert dev is not None and dev.copies == prod.copies and "--server.runOnSave=true" in dev.command()[0]


def test_compose_services_environment_logging_and_mounts():
    text = """\
x-logging: &logs
  driver: json-file
  options:
    max-size: "10m"
services:
  web:
    build:
      context: ./frontend
      target: production
    environment:
      - STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=true
      - REDIS_URL=redis://cache:6379/0
    logging: *logs
    volumes:
      - ./frontend:/app
  cache:
    image: redis:7-alpine
"""
    compose = parse_compose(text, "deploy/docker-compose.yml")
    web, cache = compose.services
    assert (web.name, web.line, web.build_context, web.dockerfile, web.target) == (
        "web", 6, "deploy/frontend", "deploy/frontend/Dockerfile", "production")
    assert web.environment["STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION"] == ("true", 11)
    assert web.max_size == "10m" and web.mounts == [("deploy/frontend", "/app")]
    assert cache.image == "redis:7-alpine" and cache.max_size is None
    assert "REDIS_URL" in web.to_dict()["environment"] and "redis://" not in str(web.to_dict())


def test_a_broken_compose_file_is_a_problem_not_a_crash():
    compose = parse_compose("services:\n  web: [unclosed\n", "docker-compose.yml")
    assert compose.services == [] and compose.problem and "docker-compose.yml" in compose.problem


@pytest.mark.parametrize(("argv", "expected"), [
    (["streamlit", "run", "app.py", "--server.port", "8501"], ["app.py", "--server.port", "8501"]),
    (["python", "-m", "streamlit", "run", "a.py"], ["a.py"]),
    (["/bin/sh", "-c", "pip install -r r.txt && exec streamlit run main.py --server.enableCORS=false"],
     ["main.py", "--server.enableCORS=false"]),
    (["uvicorn", "main:app"], None),
])
def test_streamlit_argv(argv, expected):
    assert streamlit_argv(argv) == expected


@pytest.mark.parametrize(("rel", "reason"), [
    ("tests/test_api.py", "tests"), ("backend/tests/conftest.py", "tests"), ("app/api_test.go", "tests"),
    ("notebooks/explore.py", "notebooks"), ("analysis.ipynb", "notebooks"), ("locustfile.py", "load tests"),
    ("frontend/node_modules/x/index.js", "vendored or generated"), (".rollback/2024/pipeline.yml", "backup"),
    ("config.yml.bak", "backup"), ("app.py.deprecated", "backup"), (".sonarqube/conf/README.md", "scanner output"),
    ("frontend/package-lock.json", "lockfile"), (".github/workflows/ci.yml", "CI"), ("examples/app.py", "examples"),
    ("backend/app/main.py", None), ("docs/ARCHITECTURE.md", None), (".env.backup.2025", None),
    ("frontend-streamlit/Home.py", None),
])
def test_exclusions(rel, reason):
    assert exclusion(rel) == reason


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
                        min_size=1, max_size=12), min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_exclusion_and_kind_never_crash(parts):
    rel = "/".join(parts)
    assert exclusion(rel) in (None, *set(projectmap.EXCLUDED_DIRS.values()), "lockfile", "CI", "notebooks", "tests",
                              "load tests", "backup")
    assert projectmap.file_kind(rel) in ("deploy", "code", "script", "config", "docs", "other")


def test_services_are_found_with_file_and_line_and_tests_are_not_evidence(tmp_path):
    root = repo(tmp_path / "r", {
        "app.py": "import os\nimport streamlit as st\nimport redis\n\n"
                  "r = redis.Redis(host=os.getenv('REDIS_HOST', 'cache'))\n"
                  "API = os.environ.get('API_URL', 'http://localhost:8000')\nst.set_page_config(page_title='x')\n",
        "tests/test_app.py": "from supabase import create_client\nimport pusher\n",
        "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n",
    })
    pm = build(root)
    assert [u.where for u in pm.uses("redis")][:2] == ["app.py:3", "app.py:5"]
    assert pm.env_names("redis") == ["REDIS_HOST"] and pm.env_names("backend_api") == ["API_URL"]
    assert pm.used("postgres") and pm.uses("postgres")[0].where == "docker-compose.yml:2"
    assert not pm.used("supabase") and not pm.used("pusher")
    assert pm.used("backend") and pm.used("database")
    assert [a.entry for a in pm.streamlit_apps] == ["app.py"]
    assert "no Supabase" in pm.absence("supabase")
    data = pm.to_dict()
    assert data["services"]["redis"][0] == {"file": "app.py", "line": 3, "what": "import redis"}


def test_backend_framework_cors_limits_and_docs_settings(tmp_path):
    root = repo(tmp_path / "r", {
        "api/requirements.txt": "fastapi\n",
        "api/main.py": "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\n"
                       "app = FastAPI(title='x', docs_url=None)\napp.add_middleware(\n    CORSMiddleware,\n"
                       "    allow_origins=['*'],\n    allow_credentials=True,\n)\n",
        "web/server.py": "from flask import Flask\nfrom flask_limiter import Limiter\napp = Flask(__name__)\n"
                         "limiter = Limiter(app)\n",
        "web/requirements.txt": "flask\n",
    })
    pm = build(root)
    by_folder = {b.folder: b for b in pm.backends}
    assert set(by_folder) == {"api", "web"}
    api = by_folder["api"]
    assert api.framework == "fastapi" and api.entry.where == "api/main.py:4"
    assert api.cors == [{"file": "api/main.py", "line": 6, "origins": "*", "credentials": True,
                         "call": api.cors[0]["call"]}]
    assert api.api_docs["docs_url"] is None and api.api_docs["redoc_url"] == "/redoc"
    assert [u.where for u in by_folder["web"].rate_limits] == ["web/server.py:2"]


def test_streamlit_options_follow_streamlits_precedence_per_deployment(tmp_path):
    root = repo(tmp_path / "r", {
        "frontend/Home.py": "import streamlit as st\nst.set_page_config(page_title='CRM')\n",
        "frontend/Dockerfile": DOCKERFILE,
        "frontend/.streamlit/config.toml": '[server]\nenableXsrfProtection = false\n\n[client]\nshowErrorDetails = "type"\n',
        "docker-compose.yml": "services:\n  web:\n    build: ./frontend\n    environment:\n"
                              "      STREAMLIT_CLIENT_SHOW_ERROR_DETAILS: full\n",
    }, ignore=".streamlit/\n")
    pm = build(root)
    (launch,) = pm.deployments()
    assert launch.kind == "compose" and launch.app == "frontend/Home.py"
    xsrf = launch.options["server.enableXsrfProtection"]
    assert (xsrf.value, xsrf.kind) == (True, "flag") and "(frontend/Dockerfile:10)" in xsrf.source
    assert launch.options["server.enableCORS"].value is False
    details = launch.options["client.showErrorDetails"]
    assert (details.value, details.kind) == ("full", "env") and "docker-compose.yml:5" in details.source
    (config,) = launch.configs
    assert (config.path, config.role, config.state) == ("frontend/.streamlit/config.toml", "project", "tracked")
    assert config.rule == ".gitignore:1:.streamlit/"
    assert launch.fix_config == "frontend/.streamlit/config.toml"


def test_the_shipped_config_decides_when_no_flag_or_env_does(tmp_path):
    root = repo(tmp_path / "r", {
        "app/main.py": "import streamlit as st\n",
        "app/Dockerfile": "FROM python:3.12\nWORKDIR /srv\nCOPY . .\nCMD streamlit run main.py\n",
        "app/.streamlit/config.toml": '[client]\nshowErrorDetails = false\n',
    })
    pm = build(root)
    (launch,) = pm.deployments()
    details = launch.options["client.showErrorDetails"]
    assert details.value is False and details.source == "app/.streamlit/config.toml:2"
    assert launch.options["server.enableXsrfProtection"].source == "Streamlit default"


def test_a_launcher_script_and_an_ignored_config_that_git_would_not_carry(tmp_path):
    root = repo(tmp_path / "r", {
        "ui/run.py": 'import sys\nsys.argv = ["streamlit", "run", "app/app.py", "--server.port=8501"]\n',
        "ui/app/app.py": "import streamlit as st\n",
        "ui/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["python", "run.py"]\n',
    }, ignore="config.toml\n")
    (root / "ui" / ".streamlit").mkdir()
    (root / "ui" / ".streamlit" / "config.toml").write_text("[server]\nenableXsrfProtection = false\n")
    pm = build(root)
    (launch,) = pm.deployments()
    assert launch.where.startswith("ui/Dockerfile:4") and "ui/run.py:2" in launch.where
    assert launch.app == "ui/app/app.py"
    project = next(c for c in launch.configs if c.role == "project")
    assert (project.path, project.state) == ("ui/.streamlit/config.toml", "ignored")
    assert launch.options["server.enableXsrfProtection"].value is True


def test_no_repository_walk_skips_symlinks_out_of_the_tree(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("import redis\n")
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("import streamlit as st\nst.set_page_config()\n")
    (root / "linked.py").symlink_to(outside / "secret.py")
    pm = build(root)
    assert pm.source == "walk" and not pm.used("redis")
    assert pm.text("linked.py") is None


def test_summary_lines_are_few_and_short(tmp_path):
    root = repo(tmp_path / "r", {"app.py": "import streamlit as st\nst.set_page_config()\n"})
    lines = build(root).summary_lines()
    assert 3 <= len(lines) <= 6 and all(len(line) < 120 for line in lines)
    assert lines[0] == "Streamlit: app.py"
    assert lines[-1].startswith("Mapped ") and build(root).summary_lines() == lines  # no timing: repeatable


def test_a_service_line_is_the_top_level_one_not_a_depends_on_entry():
    text = ("services:\n  api:\n    build: .\n    depends_on:\n      redis:\n        condition: service_healthy\n"
            "  redis:\n    image: redis:7\n")
    api, redis = parse_compose(text, "docker-compose.yml").services
    assert (api.line, redis.line) == (2, 7)


def test_streamlit_run_options_before_the_target_and_script_arguments_after_a_double_dash():
    from readiness_tui.projectmap import _first_script, _flags

    assert _first_script(["--server.port", "8501", "app.py"]) == "app.py"
    assert _first_script(["--server.port=8501", "app.py"]) == "app.py"
    assert _flags(["app.py", "--server.enableCORS", "false", "--", "--server.enableXsrfProtection=false"]) == {
        "server.enableCORS": "false"}


def test_a_deployment_named_for_production_is_the_one_judged(tmp_path):
    root = repo(tmp_path / "r", {
        "admin/app.py": "import streamlit as st\nst.set_page_config()\nconn = st.connection('sql')\n",
        "admin/Dockerfile": "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD streamlit run app.py\n",
        "admin/Dockerfile.prod": 'FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD ["streamlit", "run", "app.py", '
                                 '"--client.showErrorDetails=none"]\n',
    })
    pm = build(root)
    assert len(pm.launches) == 2
    (launch,) = pm.deployments()
    assert launch.where.startswith("admin/Dockerfile.prod") and launch.options["client.showErrorDetails"].value == "none"
    assert pm.used("database") and pm.uses("sql")[0].what == "st.connection (SQL)"


def test_the_map_for_the_report_never_carries_a_secret_from_a_command_or_the_environment(tmp_path):
    cookie = "Qx" + "7vLm2Rt9" * 3
    password = "Zp4" + "kW8nB2" * 2
    root = repo(tmp_path / "r", {
        "app.py": "import streamlit as st\nst.set_page_config()\n",
        "Dockerfile": f"FROM python:3.12\nWORKDIR /app\nCOPY . .\nENV STREAMLIT_SERVER_COOKIE_SECRET={cookie}\n"
                      f'CMD ["streamlit", "run", "app.py", "--server.cookieSecret={cookie}"]\n',
        "docker-compose.yml": f"services:\n  cache:\n    image: redis:7\n    command: redis-server --requirepass {password}\n"
                              f"  web:\n    build: .\n    environment:\n      DATABASE_URL: postgresql://u:{password}@db/x\n",
        "Procfile": f"web: streamlit run app.py --server.cookieSecret={cookie}\n",
    })
    text = json.dumps(build(root).to_dict())
    assert cookie not in text and password not in text
    assert "--server.cookieSecret=[REDACTED]" in text and "DATABASE_URL" in text
