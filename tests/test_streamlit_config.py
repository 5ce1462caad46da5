"""Checks streamlit.xsrf (3.2) and streamlit.error_details (3.8): files, precedence, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.projects import git
from fixtures.sec import init_repo, run_check

from readiness_tui.model import Status

pytestmark = pytest.mark.fast


def project(tmp_path: Path, config: str | None, gitignore: str = ".env\n") -> Path:
    root = init_repo(tmp_path / "st")
    (root / ".gitignore").write_text(gitignore)
    (root / "app.py").write_text("import streamlit as st\n\nst.set_page_config(page_title='CRM')\n")
    if config is not None:
        (root / ".streamlit").mkdir()
        (root / ".streamlit" / "config.toml").write_text(config)
    git(root, "add", "-A")
    return root


def test_xsrf_on_passes(tmp_path, streamlit_home):
    root = project(tmp_path, "[server]\nenableXsrfProtection = true\n")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.PASS, result.summary
    assert result.evidence["streamlit_options"]["server.enableXsrfProtection"] == {
        "value": True, "source": ".streamlit/config.toml:2"}


def test_missing_file_warns_that_defaults_apply_and_mentions_gitignore(tmp_path, streamlit_home):
    root = project(tmp_path, None)
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.WARN
    assert "defaults apply" in result.summary and "not pinned" in result.summary
    assert ".gitignore" not in result.summary
    root2 = project(tmp_path / "b", None, gitignore=".streamlit/\n")
    result = run_check(root2, "streamlit.xsrf", "3.2")
    assert result.status == Status.WARN and ".gitignore ignores" in result.summary
    assert result.evidence["streamlit_gitignore_rule"].startswith(".gitignore:1:")


def test_no_streamlit_app_is_not_applicable_with_the_evidence(tmp_path, streamlit_home):
    root = init_repo(tmp_path / "api")
    (root / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    git(root, "add", "-A")
    for name, item in (("streamlit.xsrf", "3.2"), ("streamlit.error_details", "3.8")):
        result = run_check(root, name, item)
        assert result.status == Status.NOT_APPLICABLE and "no Streamlit app" in result.summary
        assert result.facts == {"used": False}


def test_cors_off_warns_with_the_explanation(tmp_path, streamlit_home):
    root = project(tmp_path, "[server]\nenableCORS = false\nenableXsrfProtection = true\n")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.WARN
    assert "Access-Control-Allow-Origin: *" in result.summary and "any origin" in result.summary
    assert "corsAllowedOrigins" in result.evidence["streamlit_cors_explanation"]


def test_xsrf_off_fails_and_env_overrides_files(tmp_path, streamlit_home, monkeypatch):
    root = project(tmp_path, "[server]\nenableXsrfProtection = false\n")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.FAIL and "XSRF protection is off" in result.summary
    monkeypatch.setenv("STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION", "true")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.PASS
    assert result.evidence["streamlit_options"]["server.enableXsrfProtection"]["source"] == \
        "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=true in the environment"
    monkeypatch.setenv("STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION", "false")
    (root / ".streamlit" / "config.toml").write_text("[server]\nenableXsrfProtection = true\n")
    assert run_check(root, "streamlit.xsrf", "3.2").status == Status.FAIL


def test_precedence_global_then_project_then_dotenv(tmp_path, streamlit_home):
    (streamlit_home / ".streamlit").mkdir()
    (streamlit_home / ".streamlit" / "config.toml").write_text('[client]\nshowErrorDetails = "none"\n')
    root = project(tmp_path, "[server]\nenableXsrfProtection = true\n")
    result = run_check(root, "streamlit.error_details", "3.8")
    assert result.status == Status.PASS
    assert result.evidence["streamlit_options"]["client.showErrorDetails"]["source"] == "~/.streamlit/config.toml"
    (root / ".streamlit" / "config.toml").write_text('[client]\nshowErrorDetails = "full"\n')
    result = run_check(root, "streamlit.error_details", "3.8")
    assert result.status == Status.FAIL and '"full"' in result.summary
    (root / ".env").write_text("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=type\n")
    result = run_check(root, "streamlit.error_details", "3.8")
    assert result.status == Status.PASS and "in .env" in result.summary


def test_error_details_levels(tmp_path, streamlit_home):
    root = project(tmp_path, "[client]\nshowErrorDetails = false\n")
    result = run_check(root, "streamlit.error_details", "3.8")
    assert result.status == Status.FAIL and "stacktrace" in result.summary
    assert result.evidence["streamlit_error_detail_level"] == "stacktrace"
    for value, status in (('"type"', Status.PASS), ('"none"', Status.PASS), ("true", Status.FAIL),
                          ('"stacktrace"', Status.FAIL), ('"verbose"', Status.FAIL)):
        (root / ".streamlit" / "config.toml").write_text(f"[client]\nshowErrorDetails = {value}\n")
        assert run_check(root, "streamlit.error_details", "3.8").status == status, value
    (root / ".streamlit" / "config.toml").unlink()
    result = run_check(root, "streamlit.error_details", "3.8")
    assert result.status == Status.FAIL and "Streamlit default" in result.summary


def test_invalid_toml_is_an_error_with_file_and_line(tmp_path, streamlit_home):
    root = project(tmp_path, "[server]\nenableXsrfProtection = = true\n")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.status == Status.ERROR
    assert "config.toml:2: invalid TOML" in result.summary


def test_streamlit_version_from_project_venv(tmp_path, streamlit_home):
    root = project(tmp_path, "[server]\nenableXsrfProtection = true\n")
    venv = root / ".venv"
    (venv / "lib" / "python3.11" / "site-packages" / "streamlit-1.67.0.dist-info").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    result = run_check(root, "streamlit.xsrf", "3.2")
    assert result.evidence["streamlit_version"] == "1.67.0"
    assert "Streamlit 1.67.0 in .venv" in result.summary
