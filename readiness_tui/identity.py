"""Who is acting: the login name, `user@host`, and the rule that a person's name is required."""

from __future__ import annotations

import getpass
import os
import socket

from readiness_tui.errors import UsageError


def login_name() -> str:
    """The login name of whoever runs this process (the uid where there is no passwd entry)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid())


def user_host() -> str:
    """`user@host` of whoever runs this process."""
    return f"{login_name()}@{socket.gethostname()}"


def required(value: str | None, what: str) -> str:
    """`value` stripped; UsageError("WHAT is required") when it is empty."""
    value = (value or "").strip()
    if not value:
        raise UsageError(f"{what} is required")
    return value
