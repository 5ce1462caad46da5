"""Leaving at once when the terminal goes away (a dropped SSH connection, a closed tmux pane).

Textual keeps writing to its terminal while it shuts down; when the terminal is gone those writes
fail (EIO) or block, its writer thread dies, and the process can hang with its workers, services
and temporary files still there. The guard here notices every way a terminal goes away — SIGHUP,
a hang-up or EOF on stdin, a read or write error — and then:

1. sends everything still to be written nowhere (nothing can block on the dead terminal);
2. asks the app to exit (its workers are cancelled, everything was saved as it happened);
3. arms a watchdog: if the process is still there `LOST_GRACE_S` later, it runs the clean-up (the
   demo stops its services and removes its directory) and ends the process — well within 2 s.

SIGTERM is a polite stop with the terminal still there: the app exits and restores the terminal,
with the same watchdog behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.driver import Driver

#: Seconds the app gets to exit by itself once its terminal is gone (nothing can be shown any more,
#: everything is saved as it happens): then the watchdog cleans up and ends the process.
LOST_GRACE_S = 0.5
#: ... and after SIGTERM, when the terminal is there to be restored.
GRACE_S = 1.5
#: Exit statuses: the shell's 128 + signal number (SIGHUP for a terminal that went away).
LOST_STATUS = 128 + signal.SIGHUP
TERM_STATUS = 128 + signal.SIGTERM
#: How often the hang-up watcher looks at stdin (seconds).
WATCH_S = 0.2


class TerminalGuard:
    """Watches the terminal of one app run; see the module docstring for what happens when it goes."""

    def __init__(self, cleanup: Callable[[], None] | None = None, grace: float = GRACE_S,
                 lost_grace: float = LOST_GRACE_S) -> None:
        self.cleanup = cleanup
        self.grace = grace
        self.lost_grace = lost_grace
        self.lost_reason = ""
        """Why the terminal is considered gone (empty while it is there)."""
        self.status = 0
        self._app: App[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Lock()
        self._stopped = False
        self._cleaned = threading.Lock()
        self._cleanup_done = False
        self._watching = threading.Event()

    # ---- wiring --------------------------------------------------------------------------------

    def attach(self, app: App[Any]) -> None:
        """Called from the app's event loop once it runs."""
        self._app = app
        self._loop = asyncio.get_running_loop()

    @contextlib.contextmanager
    def signals(self) -> Iterator[None]:
        """SIGHUP (the terminal hung up) and SIGTERM (asked to stop) handled while the app runs."""
        handlers = {signal.SIGHUP: lambda *_: self.lost("the terminal hung up (SIGHUP)"),
                    signal.SIGTERM: lambda *_: self.stop(TERM_STATUS)}
        previous = {}
        for sig, handler in handlers.items():
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                previous[sig] = signal.signal(sig, handler)
        watcher = threading.Thread(target=self._watch_stdin, name="readiness-hangup", daemon=True)
        self._watching.set()
        watcher.start()
        try:
            yield
        finally:
            self._watching.clear()
            for sig, earlier in previous.items():
                signal.signal(sig, earlier)

    def _watch_stdin(self) -> None:
        """Notice a hang-up or EOF on stdin without reading it (the app's input thread reads)."""
        try:
            fd = sys.__stdin__.fileno() if sys.__stdin__ is not None else -1
        except (OSError, ValueError):
            return
        if fd < 0:
            return
        poller = select.poll()
        poller.register(fd, 0)  # no events asked for: only POLLHUP, POLLERR and POLLNVAL are reported
        while self._watching.is_set() and not self.lost_reason:
            try:
                events = poller.poll(WATCH_S * 1000)
            except OSError:
                return
            if any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in events):
                self.lost("the terminal closed (hang-up on stdin)")
                return

    # ---- what happens --------------------------------------------------------------------------

    def lost(self, reason: str) -> None:
        """The terminal is gone: discard output, exit the app, and end the process by `grace` at the latest."""
        if not self.lost_reason:
            self.lost_reason = reason
            self.grace = min(self.grace, self.lost_grace)
        self.stop(LOST_STATUS)

    def stop(self, status: int) -> None:
        """Exit the app with `status` (thread- and signal-safe); the watchdog ends the process if it hangs."""
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
            self.status = status
        threading.Thread(target=self._watchdog, name="readiness-watchdog", daemon=True).start()
        app, loop = self._app, self._loop
        if app is not None and loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the app has ended
                loop.call_soon_threadsafe(self._exit_app, app, status)

    @staticmethod
    def _exit_app(app: App[Any], status: int) -> None:
        app.workers.cancel_all()
        app.exit(return_code=status)

    def _watchdog(self) -> None:
        threading.Event().wait(self.grace)
        self.run_cleanup()
        os._exit(self.status or LOST_STATUS)

    def run_cleanup(self) -> None:
        """Run the clean-up once, from whichever thread gets there first (bounded wait for the other)."""
        if not self._cleaned.acquire(timeout=self.grace):
            return  # another thread is cleaning up and hangs: leave anyway
        try:
            if self._cleanup_done or self.cleanup is None:
                return
            self._cleanup_done = True
            with contextlib.suppress(Exception):
                self.cleanup()
        finally:
            self._cleaned.release()

    def finish(self) -> None:
        """After the app returned: when the terminal went away, clean up and end the process now
        (nothing more can be shown, and Python's own shutdown would write to the dead terminal)."""
        if self.lost_reason:
            self.run_cleanup()
            os._exit(self.status or LOST_STATUS)


class GuardedOutput:
    """The driver's output file: a write error means the terminal is gone; afterwards writes go nowhere."""

    def __init__(self, file: IO[str], guard: TerminalGuard) -> None:
        self._file = file
        self._guard = guard

    def write(self, text: str) -> int:
        if not self._guard.lost_reason:
            try:
                self._file.write(text)
            except (OSError, ValueError) as exc:
                self._guard.lost(f"writing to the terminal failed: {exc}")
        return len(text)

    def flush(self) -> None:
        if not self._guard.lost_reason:
            try:
                self._file.flush()
            except (OSError, ValueError) as exc:
                self._guard.lost(f"writing to the terminal failed: {exc}")

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def guarded_driver(guard: TerminalGuard) -> type[Driver]:
    """The platform's Textual driver with its output and input watched by `guard` (POSIX terminals)."""
    from textual.drivers.linux_driver import LinuxDriver

    class GuardedDriver(LinuxDriver):
        def __init__(self, app: App[Any], **kwargs: Any) -> None:
            super().__init__(app, **kwargs)
            if self._file is not None:
                # Textual types the driver's private output as a TextIOWrapper; a proxy with the methods
                # the driver uses (write, flush, fileno, isatty) stands in for it.
                self._file = GuardedOutput(self._file, guard)  # type: ignore[assignment]

        def run_input_thread(self) -> None:
            try:
                super().run_input_thread()
            except OSError as exc:  # EIO: the terminal is gone (Textual would try to print a traceback)
                guard.lost(f"reading the terminal failed: {exc}")

    return GuardedDriver


__all__ = ["GRACE_S", "LOST_GRACE_S", "LOST_STATUS", "TERM_STATUS", "GuardedOutput", "TerminalGuard", "guarded_driver"]
