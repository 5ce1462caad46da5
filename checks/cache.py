"""Redis (2.5): PING, server version, whether a password is required, `maxmemory-policy`.

The URL's password is used to log in and never shown: evidence carries `redact_url(url)` and
every error message goes through the target's redactor.
"""

from __future__ import annotations

from typing import Any

from readiness_tui.checks._common import unprobed

from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, Status, errored
from readiness_tui.redact import redact_url


#: Policies that evict keys when memory is full (what a cache wants); `noeviction` makes writes fail.
def _host_port(url: str) -> str:
    """`host:port` of a Redis URL (or the unix socket path), never its credentials."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            return parts.path
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    except ValueError:
        return "an unparsable URL"


def _has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


@check("redis.ping", "Redis answers PING; version, password required, maxmemory-policy", live=True)
def redis_ping(ctx: CheckContext) -> CheckResult:
    """Item 2.5. The address comes from the run's target resolution (REDIS_URL, or the application's own
    REDIS_HOST/REDIS_PORT); not applicable only when the project map shows Redis is not used."""
    endpoint = ctx.endpoint("redis")
    if not endpoint.ok:
        return unprobed(ctx, endpoint, "redis", "Redis")
    url = endpoint.url or ""
    import redis

    redactor = ctx.settings.redactor()
    redactor.add([url])
    shown = redact_url(url)
    where = _host_port(url)
    evidence: dict[str, Any] = {"redis_url": shown, "redis_auth_in_url": _has_password(url)}
    try:
        tls: dict[str, Any] = {}
        if url.startswith("rediss://") and ctx.settings.ca_bundle:
            tls["ssl_ca_certs"] = ctx.settings.ca_bundle
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=ctx.settings.connect_timeout,
            socket_timeout=ctx.settings.read_timeout,
            retry_on_timeout=False,
            **tls,
        )
    except ValueError as exc:
        return errored(f"REDIS_URL is not a valid Redis URL: {redactor.text(str(exc))}", **evidence)
    try:
        client.ping()
        # Any: redis-py types its replies as `Awaitable | Any` in some versions and as dicts in others.
        info: Any = client.info("server")
        evidence["redis_version"] = info.get("redis_version")
        evidence["redis_mode"] = info.get("redis_mode")
        try:
            policy_reply: Any = client.config_get("maxmemory-policy")
            memory_reply: Any = client.config_get("maxmemory")
            policy, maxmemory = policy_reply.get("maxmemory-policy"), memory_reply.get("maxmemory")
        except redis.exceptions.ResponseError:
            policy = maxmemory = None  # managed Redis often disables CONFIG
        evidence["redis_maxmemory_policy"] = policy or "unknown (CONFIG not allowed)"
        evidence["redis_maxmemory"] = maxmemory
        evidence["redis_requires_password"] = _requires_password(redis, url, ctx)
    except redis.exceptions.AuthenticationError as exc:
        reason = redactor.text(str(exc)) or "authentication failed"
        # Decided by the URL, not the server's wording (redis-py 8 opens with HELLO 3, which an
        # unauthenticated client gets refused with a different message than NOAUTH).
        if not evidence["redis_auth_in_url"] or "noauth" in reason.lower() or "authentication required" in reason.lower():
            return errored(f"Redis requires a password and REDIS_URL has none ({where})", **evidence)
        return errored(f"Redis refused the password in REDIS_URL ({where}: {reason})", **evidence)
    except redis.exceptions.TimeoutError:
        return errored(f"Redis did not answer within {ctx.settings.read_timeout:g} s ({where})",
                       **evidence).skipped("unreachable")
    except redis.exceptions.ConnectionError as exc:
        return errored(f"cannot connect to Redis at {where}: {redactor.text(str(exc))[:200]}",
                       **evidence).skipped("unreachable")
    except redis.exceptions.RedisError as exc:
        return errored(f"Redis error at {where}: {redactor.text(str(exc))[:200]}", **evidence)
    finally:
        client.close()
    version = evidence["redis_version"]
    notes = []
    status = Status.PASS
    if evidence["redis_requires_password"] is False:
        status = Status.WARN
        notes.append("no password required")
    if policy == "noeviction":
        status = Status.WARN
        notes.append("maxmemory-policy noeviction (writes fail when memory is full; a cache wants allkeys-lru)")
    summary = f"Redis {version} answers PING at {where}, policy {evidence['redis_maxmemory_policy']}"
    if notes:
        summary += "; " + "; ".join(notes)
    return CheckResult(status, summary, evidence).with_facts(
        redis=where, requires_password=evidence["redis_requires_password"], policy=policy)


def _requires_password(redis: Any, url: str, ctx: CheckContext) -> bool | None:
    """Whether the server refuses a client without a password (None when it cannot be told)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password and not parts.username:
        return False  # we just talked to it without one
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    anonymous = redis.Redis.from_url(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")),
                                     socket_connect_timeout=ctx.settings.connect_timeout,
                                     socket_timeout=ctx.settings.read_timeout)
    try:
        anonymous.ping()
        return False
    except redis.exceptions.AuthenticationError:
        return True
    except redis.exceptions.ResponseError as exc:
        return True if "noauth" in str(exc).lower() else None
    except redis.exceptions.RedisError:
        return None
    finally:
        anonymous.close()

