"""Loaded by every Python process the test suite starts (tests/conftest.py puts this folder on PYTHONPATH).

The tests may only talk to loopback. A name lookup of any other host is refused here, before a
DNS query could leave the machine, exactly as an unresolvable name fails (`socket.gaierror`), and
written to $NETGUARD_LOG so the suite can fail the test that tried.
"""

import os
import socket

_real_getaddrinfo = socket.getaddrinfo
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _allowed(host: object) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.strip("[]").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost") or name in ("", "::1", "0.0.0.0", "::"):
        return True
    return name.startswith("127.") and name.replace(".", "").isdigit()


def getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201 - same signature as socket's
    if not _allowed(host):
        log = os.environ.get("NETGUARD_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{host}\n")
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known ({host}: tests stay on loopback)")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo
