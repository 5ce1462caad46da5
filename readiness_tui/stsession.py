"""A minimal Streamlit session client: open the app's WebSocket, run the script, time it.

What a browser does after loading the page: open `/_stcore/stream` (subprotocol `streamlit`),
send a `BackMsg.rerun_script`, and receive `ForwardMsg`s until `script_finished`. Timing that gives
a machine measure of "dashboard render" (server side: the script's run and the delivery of its
output; the browser's painting is not included), and a second, automatic rerun on the same session
is what an auto-refresh costs. The two protobuf messages involved are small, so they are encoded
and decoded here by hand (field numbers from Streamlit's `BackMsg.proto`, `ClientState.proto` and
`ForwardMsg.proto`): the tool does not depend on Streamlit. `websockets` is imported lazily.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: BackMsg field 11 `rerun_script` (a ClientState); ClientState field 6 `is_auto_rerun` (bool).
RERUN = 11
IS_AUTO_RERUN = 6
#: ForwardMsg field 6 `script_finished` (enum ScriptFinishedStatus), field 15 `page_not_found`.
SCRIPT_FINISHED = 6
FINISHED = {0: "finished successfully", 1: "finished with a compile error", 2: "stopped early for a rerun",
            3: "fragment run finished"}


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf: bytes) -> Iterator[tuple[int, Any]]:
    """Top-level (field number, value) pairs of a protobuf message."""
    i = 0
    value: int | bytes
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, value


def rerun_message(auto: bool) -> bytes:
    """A serialised BackMsg asking for a rerun (marked automatic, as an auto-refresh is)."""
    state = bytes([IS_AUTO_RERUN << 3, 1]) if auto else b""
    return bytes([RERUN << 3 | 2, len(state)]) + state


def stream_url(frontend_url: str) -> str:
    """The WebSocket URL of a Streamlit app at `frontend_url` (base path kept)."""
    parts = urlsplit(frontend_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/_stcore/stream", "", ""))


@dataclass
class SessionTiming:
    """What one Streamlit session showed."""

    url: str
    connect_ms: float = 0.0
    render_ms: float = 0.0
    """From opening the WebSocket to the first run's `script_finished`."""
    refresh_ms: list[float] = field(default_factory=list)
    """Each automatic rerun: from the request to `script_finished`."""
    status: str = ""
    messages: int = 0
    error: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"websocket": self.url, "connect_ms": round(self.connect_ms, 1),
                               "render_ms": round(self.render_ms, 1),
                               "refresh_ms": [round(v, 1) for v in self.refresh_ms],
                               "script": self.status, "messages": self.messages}
        if self.error:
            out["error"] = self.error
        return out


async def _run_once(ws: Any, auto: bool, timeout: float) -> tuple[int, int]:
    """Send a rerun; (script_finished status, messages received)."""
    await ws.send(rerun_message(auto))
    count = 0
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if isinstance(frame, str):
                continue
            count += 1
            for number, value in fields(frame):
                if number == SCRIPT_FINISHED and isinstance(value, int) and value != 2:
                    return value, count


async def time_session(frontend_url: str, *, refreshes: int = 3, timeout: float = 10.0,
                       ssl_context: ssl.SSLContext | None = None) -> SessionTiming:
    """Open a session, run the script once, then `refreshes` automatic reruns; never raises."""
    import websockets

    url = stream_url(frontend_url)
    timing = SessionTiming(url)
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            async with websockets.connect(url, subprotocols=["streamlit"],  # type: ignore[list-item]
                                          ssl=ssl_context if url.startswith("wss") else None,
                                          open_timeout=timeout, max_size=64 * 1024 * 1024) as ws:
                timing.connect_ms = (time.perf_counter() - started) * 1000
                status, count = await _run_once(ws, False, timeout)
                timing.render_ms = (time.perf_counter() - started) * 1000
                timing.messages += count
                timing.status = FINISHED.get(status, f"status {status}")
                if status != 0:
                    return timing
                for _ in range(refreshes):
                    t0 = time.perf_counter()
                    _, count = await _run_once(ws, True, timeout)
                    timing.refresh_ms.append((time.perf_counter() - t0) * 1000)
                    timing.messages += count
    except TimeoutError:
        timing.error = f"no script_finished within {timeout:g} s"
    except Exception as exc:  # noqa: BLE001 - a failed session is the finding, reported in words
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        timing.error = f"{type(exc).__name__}: {text}"[:200]
    return timing
