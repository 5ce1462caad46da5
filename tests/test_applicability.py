"""Applicability from the project map, static first / live second, the one target-resolution step that
never lets a probe reach a placeholder host, and the headline's "could not be checked here" reasons."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fixtures.projects import git
from fixtures.sec import init_repo
from hypothesis import given
from hypothesis import strategies as st

from readiness_tui.checklist import load_checklist
from readiness_tui.endpoints import resolve
from readiness_tui.http import Http
from readiness_tui.model import CheckResult, ItemResult, Status, combine
from readiness_tui.runner import Runner
from readiness_tui.scoring import headline, view_item, why_not_checked
from readiness_tui.settings import load_settings
from readiness_tui.values import placeholder_host

pytestmark = pytest.mark.fast

TEMPLATE_ENV = ("BACKEND_API_URL=https://api.yourdomain.com\nSUPABASE_URL=https://your-project-id.supabase.co\n"
                "SUPABASE_KEY=your-anon-public-key\nPUSHER_APP_KEY=your-pusher-app-key\nPUSHER_CLUSTER=us2\n"
                "REDIS_URL=redis://your-redis-host:6379/0\nDATABASE_URL=postgresql://u:p@db.example.com/app\n")


@pytest.mark.parametrize("url", ["https://api.yourdomain.com", "https://your-project-id.supabase.co/rest/v1",
                                 "http://example.com:8000", "https://staging.example.org", "https://app.example",
                                 "https://${API_HOST}/x", "https://<host>/", "https://xxxxxxxx.supabase.co"])
def test_placeholder_hosts_are_recognised(url):
    assert placeholder_host(url) is not None


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://abcdefghijklmnopqrst.supabase.co",
                                 "https://crm.acme.io", "redis://cache:6379/0", "http://backend:8000"])
def test_real_hosts_are_not_placeholders(url):
    assert placeholder_host(url) is None


@given(st.from_regex(r"[a-z][a-z0-9-]{2,12}\.(yourdomain\.com|example\.com|example\.net|invalid)", fullmatch=True))
def test_every_documentation_host_is_refused(host):
    assert placeholder_host(f"https://{host}/health") is not None


def test_target_resolution_refuses_template_values_and_keeps_configured_ones(tmp_path):
    (tmp_path / ".env").write_text(TEMPLATE_ENV)
    endpoints = resolve(load_settings(tmp_path, environ={}))
    for name in ("backend", "supabase", "redis", "database", "pusher"):
        assert not endpoints[name].ok and endpoints[name].refused == "placeholder", name
    front = endpoints["frontend"]
    assert front.ok and not front.heavy and front.source == "default"
    (tmp_path / ".env").write_text("BACKEND_API_URL=http://127.0.0.1:9\n")
    backend = resolve(load_settings(tmp_path, environ={}))["backend"]
    assert backend.ok and backend.heavy and backend.url == "http://127.0.0.1:9"


def test_the_applications_own_variable_names_resolve(tmp_path):
    root = init_repo(tmp_path / "own")
    (root / "app.py").write_text("import os\nimport redis\nimport streamlit as st\n"
                                 "r = redis.Redis(host=os.getenv('REDIS_HOST'), port=int(os.getenv('REDIS_PORT', '6379')))\n"
                                 "API = os.getenv('API_URL')\n")
    (root / ".env").write_text("REDIS_HOST=127.0.0.1\nREDIS_PORT=6390\nAPI_URL=http://127.0.0.1:9/api\n")
    git(root, "add", "app.py")
    from readiness_tui.projectmap import build

    settings = load_settings(root, environ={})
    endpoints = resolve(settings, build(root, env=settings.env))
    assert endpoints["redis"].url == "redis://127.0.0.1:6390" and endpoints["redis"].setting == "REDIS_HOST"
    assert endpoints["backend"].url == "http://127.0.0.1:9/api" and endpoints["backend"].setting == "API_URL"


async def test_the_http_layer_never_sends_to_a_placeholder_host(tmp_path):
    settings = load_settings(tmp_path, environ={})
    async with Http(settings) as http:
        exchange = await http.get("https://api.yourdomain.com/health")
    assert exchange.error_kind == "placeholder" and not exchange.ok


def test_static_verdict_survives_a_live_probe_that_could_not_run():
    static = CheckResult(Status.WARN, "XSRF on, CORS off (frontend/Dockerfile:9)")
    live = CheckResult(Status.ERROR, "FRONTEND_URL is not set").skipped("no URL")
    item = combine([static, live])
    assert item.status == Status.WARN and item.summary.endswith("not probed: FRONTEND_URL is not set")
    assert item.not_probed == "no URL"
    nothing = combine([CheckResult(Status.ERROR, "a").skipped("no URL"), CheckResult(Status.ERROR, "b").skipped("x")])
    assert nothing.status == Status.ERROR
    real_error = combine([static, CheckResult(Status.ERROR, "config.toml:2: invalid TOML")])
    assert real_error.status == Status.ERROR


def _item(item_id: str):
    return load_checklist(None).item(item_id)


def test_why_not_checked_classes():
    def result(summary: str, why: str = "", check: str = "http.backend_health") -> ItemResult:
        r = CheckResult(Status.ERROR, summary, check=check).skipped(why) if why else \
            CheckResult(Status.ERROR, summary, check=check)
        return combine([r])

    assert why_not_checked(result("x", "no URL")) == "no address configured"
    assert why_not_checked(result("x", "no URL", "db.reachable")) == "no database configured"
    assert why_not_checked(result("x", "placeholder")) == "template placeholder address"
    assert why_not_checked(result("Docker daemon unreachable: socket missing")) == "no Docker daemon"
    assert why_not_checked(result("something odd")) == "the check could not run"
    views = [view_item(_item("2.3"), result("x", "no URL"), None), view_item(_item("2.4"), result("y", "no URL", "db.query"), None),
             view_item(_item("1.1"), combine([CheckResult(Status.FAIL, "no .env")]), None),
             view_item(_item("8.6"), None, None)]
    split = headline(views)
    assert (split.completed, split.failing, split.cannot_check, split.waiting) == (0, 1, 2, 1)
    assert split.why == {"no address configured": 1, "no database configured": 1}
    assert "2 could not be checked here (no address configured 1, no database configured 1)" in split.line()


def test_items_about_unused_services_are_not_applicable_with_the_evidence(tmp_path):
    root = init_repo(tmp_path / "dash")
    (root / "app.py").write_text("import streamlit as st\nimport redis\nst.set_page_config()\nr = redis.Redis()\n")
    git(root, "add", "-A")
    checklist = load_checklist(None)
    items = [checklist.item(i) for i in ("1.2", "1.5", "2.5", "2.6", "3.1", "10.8")]
    results = asyncio.run(Runner(checklist, load_settings(root, environ={})).run(items))
    for item_id in ("1.2", "1.5", "2.6", "3.1", "10.8"):
        assert results[item_id].status == Status.NOT_APPLICABLE, (item_id, results[item_id].summary)
        assert results[item_id].facts["used"] is False
    assert "no backend API" in results["1.2"].summary and "no Pusher" in results["1.5"].summary
    # Redis is used: judged, never not applicable (no address here: not probed).
    assert results["2.5"].status == Status.ERROR and results["2.5"].not_probed == "no URL"
    assert "app.py:2 import redis" in results["2.5"].summary


def test_a_configured_service_is_judged_even_when_the_map_does_not_see_it(tmp_path: Path):
    root = init_repo(tmp_path / "elsewhere")
    (root / "app.py").write_text("import streamlit as st\n")
    (root / ".env").write_text("BACKEND_API_URL=http://127.0.0.1:9\n")
    git(root, "add", "app.py")
    checklist = load_checklist(None)
    runner = Runner(checklist, load_settings(root, environ={}))
    results = asyncio.run(runner.run([checklist.item("2.3")]))
    assert results["2.3"].status == Status.ERROR and results["2.3"].not_probed == "unreachable"
