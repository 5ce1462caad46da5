"""`readiness secrets scan|baseline`: the repository secret scanner on its own."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from readiness_tui.commands._util import path_arg
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "secrets"
ORDER = 40
HELP = "scan the repository for hardcoded secrets, or write a baseline of the current findings"
DESCRIPTION = (
    "Scan the files git tracks in the project's repository (or, outside git, every file not "
    "ignored by .gitignore) for secrets. Findings show file, line, rule, severity and a redacted "
    "preview, never the value. `baseline` records the current findings (as keyed fingerprints, never "
    "values nor hashes of them) in <DIR>/.readiness/secrets-baseline.json so later scans report only new "
    "ones. `scan --files` scans only the named files (what the pre-commit hook passes). Exit status of "
    "`scan`: 0 when nothing of critical, high or medium severity is found (low and informational "
    "findings such as public anon keys are listed only), 1 otherwise, 2 for usage errors."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="secrets_command", metavar="ACTION", parser_class=type(parser))
    scan = sub.add_parser("scan", help="scan and print the findings")
    scan.add_argument("dir", nargs="?", default=".", type=path_arg, metavar="DIR", help="project directory (default: .)")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="sarif: SARIF 2.1.0 for code scanning (file, line and kind; never the value)")
    scan.add_argument("--output", "-o", metavar="FILE", type=path_arg,
                      help="write the findings to FILE instead of stdout")
    scan.add_argument("--files", nargs="+", metavar="FILE",
                      help="scan only these files (paths relative to the repository, as git and pre-commit give them)")
    scan.add_argument("--no-baseline", action="store_true", help="report findings the baseline lists too")
    base = sub.add_parser("baseline", help="write .readiness/secrets-baseline.json from the current findings")
    base.add_argument("dir", nargs="?", default=".", type=path_arg, metavar="DIR", help="project directory (default: .)")


def _human_bytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def _skipped_text(skipped: dict[str, int]) -> str:
    labels = {"binary": "binary", "huge": "over 2 MB", "non_utf8": "non-UTF-8", "unreadable": "unreadable"}
    parts = [f"{n} {labels.get(k, k)}" for k, n in skipped.items() if n]
    return ", ".join(parts) if parts else "none"


def _target_dirs(raw: str) -> tuple[Path, Path]:
    from readiness_tui import gitutil
    from readiness_tui.errors import UsageError

    project = Path(raw).expanduser()
    if not project.is_dir():
        raise UsageError(f"{project}: not a directory")
    project = project.resolve()
    return project, gitutil.repo_root(project) or project


def _files(root: Path, names: list[str]) -> list[str]:
    """The given files as paths relative to the repository root (missing or outside ones are refused)."""
    from readiness_tui.errors import UsageError

    found = []
    for name in names:
        path = Path(name)
        path = (path if path.is_absolute() else Path.cwd() / path).resolve()
        try:
            rel = path.relative_to(root)
        except ValueError:
            raise UsageError(f"--files {name}: not inside {root}") from None
        if path.is_file():
            found.append(rel.as_posix())
        elif not path.exists():
            continue  # deleted in the commit being made: nothing to scan
        else:
            raise UsageError(f"--files {name}: not a file")
    return found


def run(args: argparse.Namespace) -> int:
    from readiness_tui import scanner
    from readiness_tui.commands._util import detail, say
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import json_text, visible

    action = getattr(args, "secrets_command", None)
    if action is None:
        raise UsageError("secrets: say `scan` or `baseline` (readiness secrets scan [DIR])")
    project, root = _target_dirs(args.dir)
    if action == "baseline":
        path, result = scanner.write_baseline(root, project_dir=project)
        say(f"wrote {visible(path)} with {len(result.findings)} finding(s) "
            f"(keyed fingerprints, never values; the key is beside it, both stay on this machine)")
        return EXIT_OK
    if args.output:
        from readiness_tui.output import check_output_path

        check_output_path(args.output)
    files = _files(root, args.files) if args.files else None
    if files == []:
        detail("no file to scan")
    result = scanner.scan(root, project_dir=project, use_baseline=not args.no_baseline, files=files)
    blocking = result.blocking()
    if args.format == "json":
        text = json_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False)) + "\n"
    elif args.format == "sarif":
        from readiness_tui.sarif import render_secrets

        text = json_text(render_secrets(result, root))
    else:
        lines = [f"secret scan of {visible(result.root)} ({result.source}: {result.files_scanned} files, "
                 f"{_human_bytes(result.bytes_scanned)}, {result.duration_s:.2f} s)"]
        for f in result.findings:
            lines.append(f"{f.severity.upper():8}  {visible(f.file)}:{f.line}  {f.rule}  {visible(f.preview)}")
        counts = result.counts()
        breakdown = ", ".join(f"{n} {s}" for s, n in counts.items())
        lines.append(f"{len(result.findings)} finding(s) ({breakdown}); {result.allowlisted} allowlisted inline, "
                     f"{result.baselined} in the baseline; skipped: {_skipped_text(result.skipped)}")
        text = "\n".join(lines) + "\n"
    if args.output:
        from readiness_tui.output import write_output

        write_output(args.output, text)
        say(f"wrote the {args.format} findings to {args.output}: {len(result.findings)} finding(s), "
            f"{len(blocking)} of critical, high or medium severity")
    else:
        sys.stdout.write(text)
    detail(f"scanned {result.files_scanned} file(s) ({result.source}) in {result.duration_s:.2f} s")
    return EXIT_FAILED if blocking else EXIT_OK
