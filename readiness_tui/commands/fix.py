"""`readiness fix ITEM [DIR] [--yes]`: show a safe fix as a diff; apply it and re-check with --yes."""

from __future__ import annotations

import argparse
import asyncio
import sys

from readiness_tui.commands._util import path_arg, say, text_arg
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "fix"
ORDER = 30
HELP = "show the diff of a safe fix for an item; apply it (and re-run the item) with --yes"
DESCRIPTION = (
    "Show what a safe fix for ITEM would change, as a unified diff. With --yes, write the files "
    "atomically (the old versions go to <DIR>/.readiness/backups/), then run the item's checks "
    "again and print its new status. Fixes never edit values in .env and never write outside the "
    "project's repository. Exit status: 0 shown or applied, 1 no fix to apply, 2 usage errors."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item", metavar="ITEM", type=text_arg, help="checklist item id, e.g. 3.2")
    parser.add_argument("dir", nargs="?", default=".", type=path_arg, metavar="DIR",
                        help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", type=path_arg,
                        help="use this checklist file instead of the embedded one")
    parser.add_argument("--yes", "-y", action="store_true", help="apply the fix without asking")
    parser.add_argument("--allow-ignored", action="store_true",
                        help="write files even when .gitignore ignores them (a deploy from git would not see them)")


def run(args: argparse.Namespace) -> int:
    from readiness_tui import fixes
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import one_line
    from readiness_tui.target import open_target, run_items

    target = open_target(args.dir, args.checklist)
    target.store.on_notice = say
    try:
        item = target.checklist.item(args.item)
    except KeyError:
        raise UsageError(f"no item {args.item!r} in the checklist (ids look like 3.2)") from None
    known = fixes.registered(item.id)
    if not known:
        print(f"readiness: no automatic fix for item {item.id}; what to do: {item.hint}", file=sys.stderr)
        return EXIT_FAILED
    planned: list[tuple[fixes.Fix, list[fixes.FileChange]]] = []
    for fix in known:
        changes = fix.plan(target)
        if changes:
            planned.append((fix, changes))
    if not planned:
        done = "; ".join(f.description for f in known)
        print(f"readiness: item {item.id}: nothing to fix automatically (already done: {done}); "
              f"otherwise: {item.hint}")
        return EXIT_FAILED
    out = sys.stdout
    for fix, changes in planned:
        out.write(f"# fix {fix.name} for item {item.id}: {fix.description}\n")
        out.write(target.redactor.text(fixes.render_diff(changes)))
    if not args.yes:
        out.write(f"\nNothing written. Apply with: readiness fix {item.id} {args.dir} --yes\n")
        return EXIT_OK
    for fix, changes in planned:
        backups = fixes.apply(target, changes, allow_ignored=args.allow_ignored)
        written = ", ".join(c.label or str(c.path) for c in changes)
        out.write(f"applied {fix.name}: wrote {written}\n")
        for backup in backups:
            out.write(f"  backup: {backup}\n")
    fresh = open_target(args.dir, args.checklist)
    fresh.store.on_notice = say
    results, _ = asyncio.run(run_items(fresh, [fresh.checklist.item(item.id)]))
    result = results[item.id]
    lines = [f"item {item.id} now: {result.status.value} — {one_line(result.summary)}"]
    if len(result.checks) > 1:
        lines += [f"  {c.check}: {c.status.value} — {one_line(c.summary)}" for c in result.checks]
    out.write(fresh.redactor.text("\n".join(lines) + "\n"))
    return EXIT_OK
