"""Errors that end a command with one clear line and exit code 2 (never a traceback)."""


class UsageError(Exception):
    """Bad input: a malformed checklist, `.env`, `readiness.toml`, option or run record.

    The message is shown as is, on one line, and the command exits with status 2.
    """
