"""`readiness check`: run the checklist headless and report."""

from __future__ import annotations

import argparse
import sys

from readiness_tui.commands._util import add_dir, ids_arg, path_arg, percent_arg, seconds_arg

NAME = "check"
ORDER = 10
HELP = "run the checks headless and print a report (exit 0 when the score ≥ --fail-under and no gate trips)"
DESCRIPTION = (
    "Run every automated check of the checklist against a project, apply the people's decisions of "
    "<DIR>/readiness.decisions.toml, record the results in <DIR>/.readiness/, and print a report. "
    "Exit status: 0 when the score is at least --fail-under and no --fail-on gate trips, 1 otherwise, "
    "2 for usage or configuration errors; with --pending-exit-code N, N instead of 1 when only items "
    "waiting for a person keep the run from passing (docs/ci.md)."
)
FORMATS = ("text", "json", "markdown", "junit", "sarif")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from readiness_tui.errors import GATES

    add_dir(parser)
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="report format (sarif: SARIF 2.1.0 for code scanning)")
    parser.add_argument("--output", "-o", metavar="FILE", type=path_arg,
                        help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-under", type=percent_arg, default=90.0, metavar="N",
                        help="exit 1 when the score is below N (default 90: the `ready` band)")
    parser.add_argument("--fail-on", action="append", choices=GATES, default=[], metavar="GATE",
                        help="also exit 1 when any item trips this gate: critical (a critical item not "
                        "completed), fail, error; repeatable")
    parser.add_argument("--pending-exit-code", type=int, metavar="CODE",
                        help="exit with CODE instead of 1 when only items waiting for a person keep the run "
                        "from passing (e.g. 101; 0 lets such a run pass)")
    parser.add_argument("--only", metavar="IDS", type=ids_arg, help="only these items or sections, e.g. 1.4,9")
    parser.add_argument("--skip", metavar="IDS", type=ids_arg, help="skip these items or sections")
    parser.add_argument("--timeout", type=seconds_arg, metavar="SECONDS",
                        help="the whole run ends within SECONDS (each check's timeout, load test included; "
                             "default: check_timeout, 10 s per check)")
    parser.add_argument("--run-project-commands", action="store_true",
                        help="run the project's own test and validation commands (readiness.toml [commands])")


def _summary(report: object, outcome: object, elapsed: float, checked: int) -> str:
    """The last line of a run on stderr: score, what is open, and why the exit status is what it is."""
    from readiness_tui.gates import Outcome
    from readiness_tui.reports import Report

    assert isinstance(report, Report) and isinstance(outcome, Outcome)
    s = report.score
    counts = s.by_status
    open_ = [f"{counts[k]} {label}" for k, label in (("fail", "failing (fix the project)"),
                                                     ("error", "could not be checked here"),
                                                     ("waived_expired", "expired waiver"))
             if counts.get(k)]
    if counts.get("error") and s.headline is not None and s.headline.why:
        why = ", ".join(f"{reason} {n}" for reason, n in s.headline.why.items())
        open_ = [f"{entry} ({why})" if entry.endswith("could not be checked here") else entry for entry in open_]
    if outcome.waiting:
        open_.append(f"{len(outcome.waiting)} waiting for a person")
    line = (f"{checked} item(s) checked in {elapsed:.1f} s; score {s.percent:.1f}% ({s.band}), "
            f"{s.completed}/{s.applicable} completed" + (f": {', '.join(open_)}" if open_ else ""))
    if not outcome.reasons:
        return f"{line}; passed (exit 0)"
    why = "; ".join(outcome.reasons)
    if outcome.pending_only:
        why += ("; only items waiting for a person keep it down: confirm, mark n/a or waive them "
                "(committed in readiness.decisions.toml)")
    return f"{line}; exit {outcome.code}: {why}"


def run(args: argparse.Namespace) -> int:
    import asyncio

    from readiness_tui import gates
    from readiness_tui.checkapi import RunOptions
    from readiness_tui.checklist import select_items
    from readiness_tui.commands._util import detail, notices, say, say_newly_stale, verbosity
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import one_line
    from readiness_tui.output import check_output_path, write_output
    from readiness_tui.reports import build_report, render
    from readiness_tui.runner import ItemFinished, RunEvent
    from readiness_tui.signoff import would_stale
    from readiness_tui.target import open_target, run_items

    gates.validate(args.fail_under, args.pending_exit_code)
    target = open_target(args.dir, args.checklist)
    target.store.on_notice = lambda message: say(message, once=True)  # a damaged record is said when it is met
    if args.output:
        check_output_path(args.output, target.store)
    items = select_items(target.checklist, args.only, args.skip)
    if not items:
        raise UsageError("--only/--skip selected no item")
    full = not args.only and not args.skip
    target.store.load()  # reads the decisions file first: a malformed one stops here (exit 2), before the run
    notices(target, secrets_used=True)
    detail(f"project {target.project}; {len(items)} item(s); decisions from {target.store.decisions_path}")

    terminal = sys.stderr.isatty()
    progress = verbosity() == 0 and terminal
    lines = verbosity() > 0
    done = 0

    def on_event(event: RunEvent) -> None:
        nonlocal done
        if not isinstance(event, ItemFinished):
            return
        done += 1
        if lines:
            r = event.result
            print(f"readiness: [{done}/{len(items)}] {event.item_id} {r.status.value}: {one_line(r.summary, 160)} "
                  f"({r.duration_ms / 1000:.1f} s)", file=sys.stderr, flush=True)
        elif progress:
            print(f"\r{done}/{len(items)} checked", end="", file=sys.stderr, flush=True)

    options = RunOptions(run_project_commands=args.run_project_commands, timeout=args.timeout,
                         started=getattr(args, "_started", None))
    before = target.store.load()
    valid_before = would_stale(target, before) if before.signoffs else []
    _, elapsed = asyncio.run(run_items(target, items, options, on_event, full=full))
    say_newly_stale(target, valid_before)
    if progress:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr)
    notices(target)
    record = target.store.load()
    contacts = target.settings.config.get("contacts", [])
    report = build_report(target.checklist, record, target.project,
                          None if full else [i.id for i in items],
                          contacts if isinstance(contacts, list) else [],
                          target.project_map.to_dict() if target.project_map is not None else None)
    colour = None if not args.output else False
    text = render(report, args.format, target.redactor, colour=colour)
    if args.output:
        write_output(args.output, text, target.store)
        say(f"wrote {args.format} report to {args.output}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    outcome = gates.decide(report.views, report.score.percent, report.score.applicable, args.fail_under,
                           args.fail_on, args.pending_exit_code)
    say(_summary(report, outcome, elapsed, len(items)))
    return outcome.code
