"""Errors that end a command with one clear line and exit code 2 (never a traceback), and the exit codes."""

#: Exit statuses of every command: success; a gate, check or step failed; usage or configuration error.
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: The `--fail-on` gates (readiness_tui.gates says what trips each); here so the parser stays light.
GATES = ("critical", "fail", "error")


class UsageError(Exception):
    """Bad input: a malformed checklist, `.env`, `readiness.toml`, option or run record.

    The message is shown as is, on one line, and the command exits with status 2.
    """
