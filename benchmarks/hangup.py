"""Exit when the terminal goes away: seconds from closing the wizard's terminal mid-check to the
moment the process and everything it started are gone, against a minimal Textual app (Header,
Static, Footer) that Python's default SIGHUP action ends, measured the same way in the same run.

The wizard's target is 2 s (issue 15); the minimal app shows what the machine itself adds (a
loaded machine schedules a process that was just signalled late). Runs alternate between the
programs; the median and the worst run of each are printed, then the ratio of the wizard's median to
the reference's and the difference between them (the time the wizard itself adds).

    python benchmarks/hangup.py [--runs N] [--demo]

`--demo` measures `readiness demo` instead of `readiness tui` (its services and directory go too).
A run where something is still running GONE_S seconds after the terminal closed is reported (with
what was left) and counted, not timed. Exit status 0 when the wizard's median meets the target and
no run of the wizard left anything, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
TARGET_S = 2.0
START_S = 60.0
GONE_S = 30.0

MINIMAL_APP = '''
from textual.app import App
from textual.widgets import Footer, Header, Static


class Minimal(App):
    def compose(self):
        yield Header()
        yield Static("MINIMAL-running")
        yield Footer()


Minimal().run()
'''


def command_line(pid: int) -> str:
    """What a process runs, for the report of what was left (empty when it is gone by now)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def measure(terminal_args: tuple[list[str], dict[str, str]], marker: bytes) -> float | str:
    """Start, wait for `marker`, close the terminal; seconds until nothing of the program is left,
    or what was still running after GONE_S seconds."""
    from fixtures.demo import pid_alive
    from fixtures.pseudo_terminal import Terminal

    argv, env = terminal_args
    terminal = Terminal(argv, env)
    try:
        terminal.wait_for(marker, marker.decode(), START_S)
        spawned = terminal.processes()
        closed = time.monotonic()
        terminal.close()
        try:
            return terminal.gone_after(spawned, closed, GONE_S)
        except AssertionError:
            return "; ".join(f"{pid} {command_line(pid)}" for pid in sorted(spawned) if pid_alive(pid))
    finally:
        terminal.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--demo", action="store_true", help="measure `readiness demo` instead of `readiness tui`")
    args = parser.parse_args()
    from fixtures.pseudo_terminal import stalling_project

    env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_") and k != "NO_COLOR"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["TERM"] = "xterm-256color"  # only for the pseudo-terminal the children run in
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    with tempfile.TemporaryDirectory() as tmp, stalling_project(Path(tmp) / "repo") as project:
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        demo_parent = Path(tmp) / "demos"
        demo_parent.mkdir()
        wizard = ["demo", "--parent", str(demo_parent)] if args.demo else ["tui", str(project)]
        name = f"readiness {wizard[0]}"
        programs = {
            "minimal app": ([sys.executable, str(minimal)], b"MINIMAL-running"),
            name: ([sys.executable, "-m", "readiness_tui", *wizard], b"running"),
        }
        print(f"terminal closed mid-check to nothing left, 80x24 pseudo-terminal, {args.runs} runs each")
        times: dict[str, list[float]] = {program: [] for program in programs}
        hung: dict[str, int] = dict.fromkeys(programs, 0)
        for run in range(args.runs):
            for program, (argv, marker) in programs.items():
                outcome = measure((argv, env), marker)
                if isinstance(outcome, str):
                    hung[program] += 1
                    print(f"  run {run + 1}, {program}: still running after {GONE_S:g} s: {outcome}")
                else:
                    times[program].append(outcome)
        left = list(demo_parent.iterdir())
    if not all(times.values()):
        print("no run of some program ended: nothing to compare")
        return 1
    for program, seconds in times.items():
        print(f"  {program:<16} median {statistics.median(seconds):5.2f} s   worst {max(seconds):5.2f} s"
              f"   runs left running {hung[program]}")
    median, reference = statistics.median(times[name]), statistics.median(times["minimal app"])
    print(f"{name}: median {median:.2f} s (target ≤ {TARGET_S:g} s); ratio {median / reference:.2f}× "
          f"the minimal app ({median - reference:+.2f} s); demo directories left: {len(left)}")
    return 0 if median <= TARGET_S and not left and not hung[name] else 1


if __name__ == "__main__":
    sys.exit(main())
