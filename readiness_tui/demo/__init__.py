"""The built-in demo target: a sample project in a temporary directory plus its running services.

`Demo` creates both and removes both: the services stop and the directory is deleted when the
`with` block ends, however it ends (an exception, Ctrl+C, or SIGTERM/SIGHUP turned into
KeyboardInterrupt by `signals_interrupt`). `keep=True` leaves the directory in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

from readiness_tui.demo import streamlit_app
from readiness_tui.demo.project import write_project
from readiness_tui.demo.services import UNAVAILABLE, DemoServices

#: Environment variables that would point the demo's settings at another target.
_FOREIGN_ENV = ("BACKEND_API_URL", "FRONTEND_URL", "DATABASE_URL", "FRONTEND_DATABASE_URL", "REDIS_URL",
                "STREAMLIT_SERVER_PORT", "DOCKER_HOST")
_FOREIGN_PREFIXES = ("READINESS_", "SUPABASE_", "PUSHER_")


class Demo:
    """A sample project with its services running; use as a context manager."""

    def __init__(self, keep: bool = False, parent: str | None = None) -> None:
        self.keep = keep
        self.parent = parent
        self.services = DemoServices()
        self.app: streamlit_app.StreamlitApp | None = None
        """The real Streamlit app, when Streamlit is installed (else the services' stand-in frontend)."""
        self.degraded: streamlit_app.StreamlitApp | None = None
        """A second copy of the app whose backend answers 503 (item 10.10's `degraded_frontend_url`)."""
        self.path: Path | None = None

    @property
    def frontend_url(self) -> str:
        """The dashboard: the real Streamlit app, or the stand-in frontend without Streamlit."""
        return self.app.url if self.app is not None else self.services.frontend_url

    def __enter__(self) -> Demo:
        self.path = Path(tempfile.mkdtemp(prefix="readiness-demo-", dir=self.parent)).resolve()
        try:
            self.services.start()
            if streamlit_app.available():
                host, backend = self.services.host, self.services.backend_url
                app = streamlit_app.StreamlitApp(self.path, streamlit_app.free_port(host), backend, host)
                copy = streamlit_app.StreamlitApp(self.path, streamlit_app.free_port(host), backend + UNAVAILABLE, host)
                write_project(self.path, backend, app.url, copy.url)
                # Both boot at once (each takes seconds to import Streamlit and pandas).
                self.app, self.degraded = app.launch(), copy.launch()
                app.wait_ready()
                copy.wait_ready()
            else:
                write_project(self.path, self.services.backend_url, self.services.frontend_url)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the app and the services and remove the directory (unless kept); safe to call twice."""
        for app in (self.app, self.degraded):
            if app is not None:
                app.stop()
        self.services.stop()
        if self.path is not None and not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)

    def abandon(self) -> None:
        """Close at once, from any thread, when the process is about to end (its terminal is gone):
        the services are killed rather than asked to stop, the directory removed (unless kept)."""
        self.services.kill()
        if self.path is not None and not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


def isolate_environment() -> None:
    """Drop variables that would describe another target: the demo is described by its own files."""
    for name in list(os.environ):
        if name in _FOREIGN_ENV or name.startswith(_FOREIGN_PREFIXES):
            del os.environ[name]


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt while the demo runs, so clean-up happens."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            previous[sig] = signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["Demo", "DemoServices", "isolate_environment", "signals_interrupt", "write_project"]
