"""The suite's own guard: a lookup of a non-loopback host is refused, in this process and in children."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from conftest import cli_env

pytestmark = pytest.mark.fast


def test_non_loopback_lookup_is_refused_and_logged(tmp_path, monkeypatch):
    own_log = tmp_path / "own.log"
    monkeypatch.setenv("NETGUARD_LOG", str(own_log))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("api.roofs-example.net", 443)
    assert socket.getaddrinfo("127.0.0.1", 80) and socket.getaddrinfo("localhost", 80)
    code = "import socket\ntry:\n    socket.getaddrinfo('ws-us2.pusher.com', 443)\nexcept socket.gaierror:\n    print('refused')\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=cli_env({"NETGUARD_LOG": str(own_log)}))
    assert proc.stdout.strip() == "refused"
    assert own_log.read_text().split() == ["api.roofs-example.net", "ws-us2.pusher.com"]
