"""`readiness deploy STEP`: the seed's deployment steps, after confirmation, recorded in the run."""

from __future__ import annotations

import argparse
import sys

from readiness_tui.commands._util import add_dir, say, seconds_arg, shown
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "deploy"
ORDER = 40
HELP = "run a deployment step (backup, final-tests, deploy, verify, rollback, watch) and record it"
DESCRIPTION = (
    "Run one of the seed's deployment steps against a project: backup, final-tests, deploy, verify "
    "(re-runs sections 2, 5 and 10 until healthy or a deadline, and samples the health endpoints), "
    "rollback, watch (follows the container's logs and records error lines). Commands come from "
    "readiness.toml [deploy] as argument lists and run only after confirmation (or --yes). Deploy "
    "needs the `ready` band and valid sign-offs unless --override gives a reason. Exit status: 0 "
    "when the step succeeded, 1 when it failed, was refused or declined, 2 for usage errors."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("step", metavar="STEP", help="backup | final-tests | deploy | verify | rollback | watch")
    add_dir(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="run without asking for confirmation")
    parser.add_argument("--override", metavar="REASON",
                        help="deploy although the score or the sign-offs are not there; the reason is recorded")
    parser.add_argument("--by", metavar="NAME", default="", help="who runs the step (recorded; default user@host)")
    parser.add_argument("--seconds", type=seconds_arg, metavar="S", help="watch: how long to follow the logs")


def _confirm(question: str) -> bool:
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline(1024)  # bounded: stdin may be endless (/dev/zero)
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from readiness_tui import deploy
    from readiness_tui.neutral import visible
    from readiness_tui.target import open_target

    info = deploy.step_info(args.step)
    target = open_target(args.dir, args.checklist)
    target.store.on_notice = say
    config = deploy.load_config(target)
    commands = deploy.plan(target, args.step, config)
    out = sys.stdout
    print(f"readiness: {info.name}: {info.title} ({info.seed})", file=sys.stderr)
    for command in commands:
        print(f"  $ {command.display()}    (in {command.cwd})", file=sys.stderr)

    if info.name == "deploy":
        gate = deploy.deploy_gate(target)
        if not gate.allowed:
            for problem in gate.problems:
                print(f"readiness: deploy blocked: {shown(target, problem)}", file=sys.stderr)
            if not (args.override or "").strip():
                run_ = deploy.run_step(target, "deploy", by=args.by, config=config)
                print(f"readiness: {shown(target, run_.summary)}", file=sys.stderr)
                print("readiness: fix these, or deploy anyway with --override REASON (the reason is recorded)",
                      file=sys.stderr)
                return EXIT_FAILED
            print(f"readiness: overriding with the recorded reason: {shown(target, args.override.strip())}", file=sys.stderr)

    if commands and not args.yes and not _confirm(f"Run {info.name} now ({len(commands)} command(s))?"):
        print("readiness: not confirmed; nothing was run (pass --yes to skip the question)", file=sys.stderr)
        return EXIT_FAILED

    def show(line: str) -> None:
        # Command output and container logs are outside text: shown, never obeyed by the terminal.
        out.write(visible(line) + "\n")
        out.flush()

    import signal

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        result = deploy.run_step(target, info.name, on_line=show, by=args.by, override=args.override,
                                 config=config, seconds=args.seconds)
    finally:
        signal.signal(signal.SIGTERM, previous)
    took = f" ({result.duration_s:.1f} s)" if result.duration_s else ""
    print(f"readiness: {info.name} {result.status}{took}: {shown(target, result.summary)}", file=sys.stderr)
    if info.name == "deploy" and not result.ok and result.status != "refused":
        rollback = deploy.plan(target, "rollback", config)
        planned = "; ".join(c.display() for c in rollback) or "no rollback command configured"
        print(f"readiness: the deploy did not succeed. Roll back with: readiness deploy rollback "
              f"{args.dir}   (runs: {planned})", file=sys.stderr)
        if rollback and not args.yes and sys.stdin.isatty() and _confirm("Roll back now?"):
            back = deploy.run_step(target, "rollback", on_line=show, by=args.by, config=config)
            print(f"readiness: rollback {back.status}: {shown(target, back.summary)}", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED
