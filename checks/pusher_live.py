"""Pusher Channels live (1.5 with `env.pusher`, and 10.6): WebSocket handshake, then the signed REST call.

Key + cluster are verified by a WebSocket to `wss://ws-<cluster>.pusher.com/app/<key>?protocol=7`:
the first message is `pusher:connection_established` or `pusher:error` (4001: the key is not in
this cluster), per Pusher's WebSocket protocol. With app id and secret, a signed
`GET /apps/<id>/channels` (auth_version 1.0, HMAC-SHA256) proves the secret; it publishes nothing.
`Settings.pusher_host` (a host or a ws:// / wss:// base URL) replaces the Pusher host (tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

from readiness_tui.checks._common import unprobed

from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, Status, not_applicable, passed, warned
from readiness_tui.redact import preview

#: Pusher's error codes (pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol):
#: 4000–4099 the connection must not be retried as is (configuration), 4100–4199 retry later,
#: 4200–4299 reconnect at once.
PUSHER_ERRORS = {
    4000: "the app only accepts TLS connections",
    4001: "the app key does not exist in this cluster",
    4003: "the app is disabled",
    4004: "the app is over its connection quota",
    4005: "path not found",
    4006: "invalid version string format",
    4007: "unsupported protocol version",
    4008: "no protocol version supplied",
    4009: "connection is unauthorized",
    4100: "over capacity",
}


def sign_query(secret: str, method: str, path: str, params: dict[str, str]) -> str:
    """The `auth_signature` of a Pusher REST request (auth_version 1.0)."""
    query = "&".join(f"{k.lower()}={params[k]}" for k in sorted(params, key=str.lower))
    message = f"{method}\n{path}\n{query}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _bases(ctx: CheckContext, cluster: str) -> tuple[str, str]:
    """(WebSocket base URL, REST base URL) for this cluster, or the `pusher_host` override."""
    host = ctx.settings.pusher_host
    if host:
        if "://" in host:
            ws = host.rstrip("/")
        else:
            ws = f"wss://{host}"
        rest = ws.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
        return ws, rest
    return f"wss://ws-{cluster}.pusher.com", f"https://api-{cluster}.pusher.com"


async def handshake(ws_base: str, key: str, connect_timeout: float, read_timeout: float,
                    ssl_context: Any = None) -> tuple[Status, str, dict[str, Any]]:
    """Open the Pusher WebSocket and read the first event: (status, one-line reason, evidence)."""
    import websockets
    from websockets.asyncio.client import connect

    url = f"{ws_base}/app/{key}?protocol=7&client=readiness-tui&version=1.0"
    shown = url.replace(key, preview(key))
    evidence: dict[str, Any] = {"pusher_ws_url": shown}
    kwargs: dict[str, Any] = {"open_timeout": connect_timeout + read_timeout, "close_timeout": 1,
                              "ping_interval": None}
    if url.startswith("wss://") and ssl_context is not None:
        kwargs["ssl"] = ssl_context
    try:
        async with connect(url, **kwargs) as ws:
            raw = await asyncio.wait_for(ws.recv(), read_timeout)
    except websockets.exceptions.ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd else None
        evidence["pusher_close_code"] = code
        reason = PUSHER_ERRORS.get(code or 0, exc.rcvd.reason if exc.rcvd else "closed")
        return Status.FAIL, f"Pusher closed the connection ({code}: {reason})", evidence
    except websockets.exceptions.InvalidStatus as exc:
        evidence["pusher_http_status"] = exc.response.status_code
        return Status.FAIL, f"Pusher refused the WebSocket (HTTP {exc.response.status_code})", evidence
    except TimeoutError:
        return Status.ERROR, f"no answer from {shown.split('/app/')[0]} within the timeout", evidence
    except websockets.exceptions.InvalidURI:
        return Status.ERROR, f"not a valid WebSocket URL: {shown}", evidence
    except OSError as exc:
        return Status.ERROR, f"cannot reach {shown.split('/app/')[0]}: {exc.strerror or exc}", evidence
    except websockets.exceptions.WebSocketException as exc:
        return Status.ERROR, f"WebSocket handshake failed: {exc}", evidence
    try:
        message = json.loads(raw)
        event = message.get("event")
        data = message.get("data")
        data = json.loads(data) if isinstance(data, str) else (data or {})
    except (ValueError, AttributeError, RecursionError):  # RecursionError: JSON nested too deep
        return Status.ERROR, "Pusher's first message is not a Pusher event", evidence
    evidence["pusher_event"] = event
    if event == "pusher:connection_established":
        evidence["pusher_activity_timeout"] = data.get("activity_timeout")
        evidence["pusher_socket_id_present"] = bool(data.get("socket_id"))
        return Status.PASS, "WebSocket handshake: connection established", evidence
    if event == "pusher:error":
        code = data.get("code")
        evidence["pusher_error_code"] = code
        evidence["pusher_error_message"] = str(data.get("message", ""))[:200].replace(key, preview(key))
        reason = PUSHER_ERRORS.get(code, "") if isinstance(code, int) else ""
        reason = reason or str(data.get("message", "error"))
        status = Status.ERROR if isinstance(code, int) and code >= 4100 else Status.FAIL
        return status, f"Pusher answered error {code}: {reason}", evidence
    return Status.ERROR, f"unexpected first event {event!r}", evidence


async def channels_call(rest_base: str, app_id: str, key: str, secret: str, timeout: float,
                        verify: Any = True) -> tuple[Status, str, dict[str, Any]]:
    """The signed `GET /apps/<id>/channels` call: proves the secret and app id, publishes nothing."""
    import httpx

    path = f"/apps/{app_id}/channels"
    params = {"auth_key": key, "auth_timestamp": str(int(time.time())), "auth_version": "1.0"}
    params["auth_signature"] = sign_query(secret, "GET", path, params)
    evidence: dict[str, Any] = {"pusher_rest_call": f"GET {rest_base}{path}"}
    try:
        async with httpx.AsyncClient(timeout=timeout, verify=verify) as client:
            response = await client.get(f"{rest_base}{path}?{urlencode(params)}")
    except httpx.HTTPError as exc:
        return Status.ERROR, f"signed channels call failed: {type(exc).__name__}", evidence
    evidence["pusher_rest_status"] = response.status_code
    if response.status_code == 200:
        try:
            channels = response.json().get("channels", {})
        except (ValueError, AttributeError):
            channels = {}
        evidence["pusher_occupied_channels"] = len(channels)
        return Status.PASS, f"signed channels call OK ({len(channels)} occupied channel(s))", evidence
    body = response.text[:160].replace(secret, "[REDACTED]")
    evidence["pusher_rest_error"] = body
    reasons = {401: "the secret or key was rejected (signature invalid)", 403: "the app is disabled or over quota",
               404: f"app id {app_id} not found in this cluster"}
    return Status.FAIL, f"signed channels call: HTTP {response.status_code}, " + \
        reasons.get(response.status_code, "unexpected answer"), evidence


@check("pusher.handshake", "Pusher key + cluster accepted by a WebSocket handshake; secret by a signed call", live=True)
async def pusher_handshake(ctx: CheckContext) -> CheckResult:
    """Items 1.5 (with `env.pusher`) and 10.6. Never with a placeholder key; not applicable only when Pusher
    is neither configured nor used (the project map)."""
    s = ctx.settings
    endpoint = ctx.endpoint("pusher")
    key = (s.pusher_app_key or "").strip()
    cluster = (s.pusher_cluster or "").strip()
    if endpoint.ok and endpoint.url:
        key = endpoint.url.rsplit("/app/", 1)[1]
    if not endpoint.ok:
        if endpoint.refused == "not set" and not key and not cluster and not ctx.project_map().used("pusher"):
            absence = ctx.project_map().absence("pusher")
            return not_applicable(f"Pusher is not used: {absence}", absent=absence).with_facts(used=False)
        # Shared by 1.5 and 10.6 (one run of the check): on 1.5, env.pusher judges the configuration and this
        # part only says it was not probed.
        return unprobed(ctx, endpoint, "pusher", "Pusher")
    ssl_context = None
    if s.ca_bundle:
        import ssl

        ssl_context = ssl.create_default_context(cafile=s.ca_bundle)
    ws_base, rest_base = _bases(ctx, cluster)
    status, summary, evidence = await handshake(ws_base, key, s.connect_timeout, s.read_timeout, ssl_context)
    evidence["pusher_cluster"] = cluster
    evidence["pusher_app_key"] = preview(key)
    if status is not Status.PASS:
        result = CheckResult(status, summary, evidence).with_facts(cluster=cluster, handshake=status.value)
        return result.skipped("unreachable") if status is Status.ERROR else result
    if s.pusher_app_secret and s.pusher_app_id:
        rest_status, rest_summary, rest_evidence = await channels_call(
            rest_base, s.pusher_app_id, key, s.pusher_app_secret, s.connect_timeout + s.read_timeout,
            verify=ssl_context or True)
        evidence.update(rest_evidence)
        if rest_status is not Status.PASS:
            return CheckResult(rest_status, f"handshake OK in {cluster}, but {rest_summary}", evidence)
        return passed(f"Pusher key accepted in cluster {cluster}; {rest_summary}", **evidence)
    if s.pusher_app_secret and not s.pusher_app_id:
        return warned(f"Pusher key accepted in cluster {cluster}; PUSHER_APP_ID missing, secret not verified",
                      **evidence)
    return passed(f"Pusher key accepted in cluster {cluster} (no secret given: signed call skipped)", **evidence)
