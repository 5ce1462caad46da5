"""The demo's real Streamlit app: the sample project's `app.py` with two pages, served by `streamlit run`.

"Overview" is healthy (metrics, a line chart and a bar chart from the sample backend's leads, a
30-second refresh of its numbers); "Pipeline" charts data from an API whose field was renamed
(`temp` instead of `temperature`), so its chart raises `KeyError: 'temperature'` — the browser
items (10.4, 10.9) show both outcomes. When the API answers an error, every page says so with
`st.error` and stops (10.10: the demo runs a second copy against a backend path that answers 503). The app reads BACKEND_API_URL like the seed's dashboard, with
the standard library only (Streamlit brings pandas).

Streamlit is optional (the `demo` extra): without it the demo serves its stand-in frontend. The
process gets SIGTERM from the kernel when the demo's process dies (PR_SET_PDEATHSIG), so it never
outlives the demo, even after a SIGKILL.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP_PY = '''"""Roofs CRM dashboard (demo): two pages, data from the backend API at BACKEND_API_URL."""
import streamlit as st

AUTO_REFRESH_SECONDS = 30
PAGE_SIZE = 25

st.set_page_config(page_title="Roofs CRM", layout="wide")
page = st.navigation([
    st.Page("views/overview.py", title="Overview", default=True),
    st.Page("views/pipeline.py", title="Pipeline"),
])
page.run()
'''

API_PY = '''"""The backend API as the dashboard calls it (standard library only)."""
import json
import os
import urllib.error
import urllib.request

import streamlit as st

CACHE_TTL_SECONDS = int(os.getenv("CACHE_TTL_SECONDS", "300"))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _fetch(path):
    base = os.environ.get("BACKEND_API_URL", "http://localhost:8000").rstrip("/")
    with urllib.request.urlopen(base + path, timeout=5) as answer:
        return json.load(answer)


def get(path):
    """The API's answer; when the API fails, a message for the user and the page stops there."""
    try:
        return _fetch(path)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        reason = getattr(exc, "code", None) or getattr(exc, "reason", None) or type(exc).__name__
        st.error(f"The CRM API is not answering right now ({reason}): the data shows again once it is back.")
        st.stop()
'''

OVERVIEW_PY = '''"""Overview: lead counts and scores, refreshed every 30 seconds."""
import pandas as pd
import streamlit as st

from views.api import get

st.title("Roofs CRM")


@st.fragment(run_every=30)
def numbers():
    leads = pd.DataFrame(get("/api/leads?limit=25")["items"])
    hot, total = int((leads["temperature"] == "hot").sum()), len(leads)
    left, right = st.columns(2)
    left.metric("Leads", total)
    right.metric("Hot leads", hot)
    st.subheader("Lead score by lead")
    st.bar_chart(leads, x="name", y="lead_score")


numbers()
st.subheader("New leads this week")
week = pd.DataFrame(get("/api/stats/weekly")["days"])
st.line_chart(week, x="day", y="leads")
'''

PIPELINE_PY = '''"""Pipeline: leads by temperature (the API renamed `temperature` to `temp`: this page breaks)."""
import pandas as pd
import streamlit as st

from views.api import get

st.title("Pipeline")
rows = pd.DataFrame(get("/api/stats/pipeline")["rows"])
by_temperature = rows.groupby("temperature")["count"].sum().reset_index()
st.bar_chart(by_temperature, x="temperature", y="count")
'''

FILES = {"app.py": APP_PY, "views/__init__.py": "", "views/api.py": API_PY, "views/overview.py": OVERVIEW_PY,
         "views/pipeline.py": PIPELINE_PY}


def available() -> bool:
    """Whether Streamlit is installed beside the tool (the `demo` extra)."""
    return importlib.util.find_spec("streamlit") is not None


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the app binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: ask the kernel for SIGTERM when the demo's process ends (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class StreamlitApp:
    """`streamlit run app.py` in the sample project, on a loopback port."""

    def __init__(self, project: Path, port: int, backend_url: str, host: str = "127.0.0.1") -> None:
        self.project = project
        self.port = port
        self.host = host
        self.backend_url = backend_url
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 60.0) -> StreamlitApp:
        """Start the app and wait (polling its health endpoint, up to `timeout` s) until it answers `ok`."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> StreamlitApp:
        """Start `streamlit run` without waiting for it (`wait_ready` waits): two apps boot in parallel."""
        env = {**os.environ, "BACKEND_API_URL": self.backend_url, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
               "STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
               "STREAMLIT_GLOBAL_DEVELOPMENT_MODE": "false"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", self.host],
            cwd=self.project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)  # noqa: PLW1509
        return self

    def wait_ready(self, timeout: float = 60.0) -> StreamlitApp:
        """Poll the health endpoint until it answers `ok` (at most `timeout` s); stop the app and raise if not."""
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as answer:  # noqa: S310
                    if answer.read() == b"ok":
                        return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the demo's Streamlit app did not start")

    def stop(self) -> None:
        """Stop the app (SIGTERM, then SIGKILL after 5 s); idempotent."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
