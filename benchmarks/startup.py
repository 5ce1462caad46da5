"""Start-up of the wizard: time from process start to the first painted screen, against a minimal
Textual app (Header, Static, Footer) measured in the same run, in a pseudo-terminal.

Each program runs several times; the median is compared. Target: wizard ≤ 1.5 × minimal app.
Peak memory (ru_maxrss of the child) is reported too.

    python benchmarks/startup.py [--runs N] [--size 100x30]

Exit status 0 when the ratio meets the target, 1 when it does not.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
TARGET_RATIO = 1.5
DEADLINE_S = 30.0

MINIMAL_APP = '''
from textual.app import App
from textual.widgets import Footer, Header, Static


class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("MINIMAL-READY")
        yield Footer()


Minimal().run()
'''


def run_once(argv: list[str], markers: list[bytes], size: tuple[int, int],
             env: dict[str, str]) -> tuple[list[float], int]:
    """Start `argv` in a pseudo-terminal; seconds until each marker is painted, and peak RSS in KiB."""
    master, slave = pty.openpty()
    cols, rows = size
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
                            start_new_session=True)
    os.close(slave)
    seen = b""
    painted: list[float] = []
    usage = None

    def reap(block: bool) -> bool:
        # os.wait4 rather than Popen.poll: it returns the child's resource usage (peak RSS).
        nonlocal usage
        pid, status, rusage = os.wait4(proc.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        usage, proc.returncode = rusage, os.waitstatus_to_exitcode(status)
        return True

    def drain(timeout: float) -> bytes:
        if not select.select([master], [], [], timeout)[0]:
            return b""
        try:
            return os.read(master, 65536)
        except OSError:  # the child closed the terminal
            return b""

    try:
        while len(painted) < len(markers) and time.perf_counter() - started < DEADLINE_S:
            seen = seen[-8192:] + drain(0.5)
            while len(painted) < len(markers) and markers[len(painted)] in seen:
                painted.append(time.perf_counter() - started)
            if usage is None and reap(False):
                break
        if len(painted) < len(markers):
            missing = markers[len(painted)].decode()
            raise RuntimeError(f"{' '.join(argv)}: no {missing!r} within {DEADLINE_S:g} s; "
                               f"last output: {seen[-300:]!r}")
        os.write(master, b"\x11")  # ctrl+q: a clean quit
        end = time.monotonic() + 10
        while usage is None and time.monotonic() < end:
            drain(0.05)
            reap(False)
        if usage is None:
            os.killpg(proc.pid, signal.SIGTERM)
            reap(True)
        return painted, usage.ru_maxrss
    finally:
        if usage is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                reap(True)
        os.close(master)


def median_ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--size", default="100x30", help="terminal size COLSxROWS")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    from fixtures.ui import make_wizard_project

    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("TERM", "xterm-256color")  # only for the pseudo-terminal the children run in
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    with tempfile.TemporaryDirectory() as tmp:
        project = make_wizard_project(Path(tmp) / "repo")
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        print(f"start-up to first painted screen, {cols}x{rows} pseudo-terminal, {args.runs} runs each")
        programs = {
            "minimal app": ([sys.executable, str(minimal)], [b"MINIMAL-READY"]),
            # First the screen (header, footer, "Reading the project…"), then the target as found.
            "readiness tui": ([sys.executable, "-m", "readiness_tui", "tui", str(project)],
                              [b"Reading the project", b"Settings and credentials"]),
        }
        times: dict[str, list[list[float]]] = {name: [] for name in programs}
        peaks: dict[str, list[int]] = {name: [] for name in programs}
        for argv, markers in programs.values():
            run_once(argv, markers, (cols, rows), env)  # warm the file cache: every program starts alike
        # Interleaved, so a change in the machine's load affects both programs alike.
        for _ in range(args.runs):
            for name, (argv, markers) in programs.items():
                seconds, peak = run_once(argv, markers, (cols, rows), env)
                times[name].append(seconds)
                peaks[name].append(peak)
    base = [t[0] for t in times["minimal app"]]
    first = [t[0] for t in times["readiness tui"]]
    shown = [t[1] for t in times["readiness tui"]]
    base_peak, wizard_peak = max(peaks["minimal app"]), max(peaks["readiness tui"])
    print(f"minimal app (Header, Static, Footer)   first paint {median_ms(base)}   peak RSS {base_peak / 1024:.1f} MiB")
    print(f"readiness tui                          first paint {median_ms(first)}   peak RSS {wizard_peak / 1024:.1f} MiB")
    print(f"readiness tui, project read and shown              {median_ms(shown)}")
    ratio = statistics.median(first) / statistics.median(base)
    shown_ratio = statistics.median(shown) / statistics.median(base)
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"ratio {ratio:.2f}× (target ≤ {TARGET_RATIO}×: {verdict}); with the project shown {shown_ratio:.2f}×; "
          f"memory {wizard_peak / base_peak:.2f}×")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
