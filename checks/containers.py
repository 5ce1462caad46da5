"""Docker checks: engine (2.1), Compose (2.2), image (10.1), tags (6.3), container (10.2), health (10.3).

The Docker SDK is imported inside the functions (it costs ~0.1 s). Field names follow the SDK 7.x
attributes: `version()["Version"]`, `attrs["State"]["Health"]["Status"]`,
`attrs["HostConfig"]["RestartPolicy"]["Name"]`, `attrs["RestartCount"]`, `image.attrs["RepoDigests"]`.
"""

from __future__ import annotations

import os
import re
from typing import Any

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import (
    CheckResult,
    Measurement,
    Status,
    errored,
    failed,
    passed,
    warned,
)
from readiness_tui.settings import Settings


class DockerUnavailable(Exception):
    """The Docker daemon could not be reached (the message says why, in one line)."""


def version_tuple(text: str) -> tuple[int, ...] | None:
    """(major, minor, patch) of a version string like `20.10.24+dfsg1` or `v2.24.0-desktop.1`."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        return None
    return tuple(int(g) for g in match.groups(default="0"))


def docker_client(settings: Settings) -> Any:
    """A Docker SDK client for `settings.docker_host` (else the SDK's default); DockerUnavailable if unreachable."""
    import docker

    timeout = int(max(1, settings.connect_timeout + settings.read_timeout))
    try:
        # from_env keeps DOCKER_TLS_VERIFY / DOCKER_CERT_PATH working for a tcp:// host.
        environment = dict(os.environ)
        if settings.docker_host:
            environment["DOCKER_HOST"] = settings.docker_host
        client = docker.from_env(timeout=timeout, environment=environment)
        client.ping()
    except docker.errors.DockerException as exc:
        raise DockerUnavailable(_daemon_reason(str(exc), settings.docker_host)) from None
    except Exception as exc:  # noqa: BLE001 - requests/urllib3 errors surface as plain exceptions
        raise DockerUnavailable(_daemon_reason(str(exc), settings.docker_host)) from None
    return client


def _daemon_reason(message: str, host: str | None) -> str:
    where = host or "the default socket (unix:///var/run/docker.sock or DOCKER_HOST)"
    lowered = message.lower()
    if "permission denied" in lowered:
        why = "permission denied (add this user to the docker group or run as root)"
    elif "no such file" in lowered or "filenotfounderror" in lowered or "connection refused" in lowered:
        why = "no daemon listening (is dockerd running?)"
    elif "timed out" in lowered or "timeout" in lowered:
        why = "the daemon did not answer in time"
    else:
        why = (message.strip().splitlines() or ["unknown error"])[0][:160]
    return f"Docker daemon unreachable at {where}: {why}"


def _with_client(ctx: CheckContext, body: Any) -> CheckResult:
    """Run `body(client)`; an unreachable daemon becomes `error`, an API failure too."""
    import docker

    try:
        client = docker_client(ctx.settings)
    except DockerUnavailable as exc:
        return errored(str(exc), docker_host=ctx.settings.docker_host or "default").skipped("no Docker daemon")
    try:
        return body(client)
    except docker.errors.APIError as exc:
        return errored(f"Docker API error: {exc.explanation or exc}")
    except docker.errors.DockerException as exc:
        return errored(_daemon_reason(str(exc), ctx.settings.docker_host)).skipped("no Docker daemon")
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------
# 2.1 engine
# ---------------------------------------------------------------------------------------------
@check("docker.engine", "Docker Engine reachable through the SDK and at least version 20.10",
       params={"min_version": Param(str, "the oldest acceptable Docker Engine version", "20.10")}, live=True)
def docker_engine(ctx: CheckContext) -> CheckResult:
    minimum = str(ctx.param("min_version"))

    def body(client: Any) -> CheckResult:
        info = client.version()
        version = str(info.get("Version", ""))
        evidence = {
            "engine_version": version,
            "engine_api_version": info.get("ApiVersion"),
            "engine_os_arch": f"{info.get('Os', '?')}/{info.get('Arch', '?')}",
            "engine_min_version": minimum,
        }
        have, need = version_tuple(version), version_tuple(minimum)
        if have is None or need is None:
            return errored(f"cannot read the Docker Engine version ({version!r})", **evidence)
        if have < need:
            return failed(f"Docker Engine {version} is older than {minimum}", **evidence)
        return passed(f"Docker Engine {version} (≥ {minimum}), API {info.get('ApiVersion')}", **evidence)

    return _with_client(ctx, body)


# ---------------------------------------------------------------------------------------------
# 2.2 compose
# ---------------------------------------------------------------------------------------------
_COMPOSE_V2 = re.compile(r"Docker Compose version v?(\d+\.\d+(?:\.\d+)?\S*)", re.IGNORECASE)
_COMPOSE_V1 = re.compile(r"docker-compose version (\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)


def parse_compose_version(output: str) -> tuple[str, str] | None:
    """("v2", "2.24.0") or ("v1", "1.29.2") from a `compose version` output, else None."""
    if match := _COMPOSE_V2.search(output):
        return "v2", match.group(1)
    if match := _COMPOSE_V1.search(output):
        return "v1", match.group(1)
    return None


@check("docker.compose", "Docker Compose v2 (`docker compose version`) at least 2.0",
       params={
    "min_version": Param(str, "the oldest acceptable Compose version", "2.0"),
    "compose_commands": Param(list[list[str]], "the commands tried, in order, to read the Compose version",
                              [["docker", "compose", "version"], ["docker-compose", "version"]]),
}, live=True)
def docker_compose(ctx: CheckContext) -> CheckResult:
    from readiness_tui.procs import ProcError, run_command

    minimum = str(ctx.param("min_version"))
    commands = ctx.param("compose_commands")
    if not isinstance(commands, list) or not all(isinstance(c, list) and c for c in commands):
        return errored("param compose_commands must be a list of argument lists")
    redactor = ctx.settings.redactor()
    tried: list[dict[str, Any]] = []
    found: list[tuple[list[str], str, str]] = []
    for argv in commands:
        try:
            res = run_command([str(a) for a in argv], None, timeout=ctx.settings.read_timeout)
        except ProcError as exc:
            tried.append({"command": " ".join(argv), "result": str(exc)})
            continue
        out = redactor.text(res.output_tail)
        first = (out.strip().splitlines() or [""])[0][:200]
        tried.append({"command": " ".join(argv), "exit_code": res.exit_code, "output": first,
                      "timed_out": res.timed_out})
        parsed = parse_compose_version(out) if res.exit_code == 0 else None
        if parsed:
            found.append((argv, *parsed))
            if parsed[0] == "v2":
                break
    evidence: dict[str, Any] = {"compose_tried": tried, "compose_min_version": minimum}
    v2 = next((f for f in found if f[1] == "v2"), None)
    if v2:
        argv, _, version = v2
        evidence["compose_version"] = version
        evidence["compose_command"] = " ".join(argv)
        if (version_tuple(version) or (0,)) < (version_tuple(minimum) or (2, 0)):
            return failed(f"Docker Compose {version} is older than {minimum}", **evidence)
        how = "plugin" if argv[:2] == ["docker", "compose"] else f"standalone `{argv[0]}`"
        return passed(f"Docker Compose {version} ({how})", **evidence)
    v1 = next((f for f in found if f[1] == "v1"), None)
    if v1:
        evidence["compose_version"] = v1[2]
        return failed(f"only Compose v1 (docker-compose {v1[2]}) is installed: too old, install the v2 plugin",
                      **evidence)
    return failed("Docker Compose not found (`docker compose version` did not answer)", **evidence)


# ---------------------------------------------------------------------------------------------
# 10.1 image, 6.3 tags
# ---------------------------------------------------------------------------------------------
ERROR_PATTERN = r"\b(error|critical|fatal|traceback|panic)\b"


def _image_name(ctx: CheckContext) -> str:
    return str(ctx.param("image", ctx.settings.image))


def _repository(image: str) -> str:
    """`registry:5000/app:tag` → `registry:5000/app` (a port colon is not a tag)."""
    if "@" in image:
        return image.split("@", 1)[0]
    head, _, tail = image.rpartition(":")
    return head if head and "/" not in tail else image


@check("docker.image", "the frontend image (setting `image`) exists on the Docker host",
       params={"image": Param(str, "the image (default: setting image)")}, live=True)
def docker_image(ctx: CheckContext) -> CheckResult:
    import docker

    name = _image_name(ctx)

    def body(client: Any) -> CheckResult:
        try:
            image = client.images.get(name)
        except docker.errors.ImageNotFound:
            return failed(f"image {name} not found on the Docker host (build it first)", image=name)
        attrs = image.attrs
        size_mb = round((attrs.get("Size") or 0) / 1_000_000, 1)
        created = str(attrs.get("Created", ""))[:19]
        return passed(
            f"image {name} exists ({image.short_id.removeprefix('sha256:')}, {size_mb} MB, built {created})",
            image=name, image_id=image.id, image_size_mb=size_mb, image_created=created,
            image_tags=sorted(image.tags),
        )

    return _with_client(ctx, body)


def judge_image_tags(image: str, tags: list[str], digests: list[str]) -> CheckResult:
    """6.3 from an image's tags and RepoDigests: versioned tags beyond `latest`, and pushed."""
    repo = _repository(image)
    versioned = sorted(t for t in tags if not t.endswith(":latest"))
    evidence = {"image": image, "image_tags": sorted(tags), "image_versioned_tags": versioned,
                "image_repo_digests": sorted(digests)}
    problems = []
    if not versioned:
        problems.append(f"{repo} is tagged only `latest` (no version tag to roll back to)")
    if not digests:
        problems.append("not pushed to a registry (no RepoDigests)")
    if problems:
        return failed("; ".join(problems), **evidence)
    return passed(f"tagged {', '.join(versioned[:3])} and pushed ({len(digests)} registry digest(s))", **evidence)


@check("docker.image_tags", "the image is tagged beyond `latest` and pushed (RepoDigests)",
       params={"image": Param(str, "the image (default: setting image)")}, live=True)
def docker_image_tags(ctx: CheckContext) -> CheckResult:
    import docker

    name = _image_name(ctx)

    def body(client: Any) -> CheckResult:
        try:
            image = client.images.get(name)
        except docker.errors.ImageNotFound:
            return failed(f"image {name} not found on the Docker host", image=name)
        return judge_image_tags(name, list(image.tags), list(image.attrs.get("RepoDigests") or []))

    return _with_client(ctx, body)


# ---------------------------------------------------------------------------------------------
# 10.2 container, 10.3 health
# ---------------------------------------------------------------------------------------------
def _container_name(ctx: CheckContext) -> str:
    return str(ctx.param("container", ctx.settings.container))


def _get_container(client: Any, name: str) -> Any | None:
    import docker

    try:
        container = client.containers.get(name)
    except docker.errors.NotFound:
        return None
    container.reload()
    return container


RESTART_LABELS = {"always": "Yes (always)", "unless-stopped": "Yes (unless-stopped)", "on-failure": "Yes (on-failure)"}


def restart_policy(attrs: dict[str, Any]) -> tuple[str, Measurement]:
    """(policy name, `avail.auto_restart` measurement) from a container's attrs."""
    policy = (attrs.get("HostConfig", {}).get("RestartPolicy") or {}).get("Name") or "no"
    label = RESTART_LABELS.get(policy)
    if label and policy == "on-failure":
        retries = (attrs["HostConfig"]["RestartPolicy"] or {}).get("MaximumRetryCount") or 0
        label = f"Yes (on-failure{':' + str(retries) if retries else ''})"
    return policy, Measurement(1.0 if label else 0.0, label or "No")


@check("docker.container", "the frontend container is running, without restarts or error lines in its logs",
       params={
    "container": Param(str, "the container (default: setting container)"),
    "log_tail": Param(int, "log lines read from the end", 500),
    "error_pattern": Param(str, "regular expression of an error line", ERROR_PATTERN),
    "error_lines_shown": Param(int, "error lines quoted in the evidence", 5),
}, live=True)
def docker_container(ctx: CheckContext) -> CheckResult:
    name = _container_name(ctx)
    tail = int(ctx.param("log_tail"))
    pattern = re.compile(str(ctx.param("error_pattern")), re.I)
    max_shown = int(ctx.param("error_lines_shown"))
    redactor = ctx.settings.redactor()

    def body(client: Any) -> CheckResult:
        container = _get_container(client, name)
        if container is None:
            return failed(f"container {name} not found (docker ps -a shows no such name)", container=name)
        attrs = container.attrs
        state = attrs.get("State", {})
        restarts = int(attrs.get("RestartCount") or 0)
        policy, auto = restart_policy(attrs)
        raw = container.logs(tail=tail, stdout=True, stderr=True)
        lines = raw.decode("utf-8", errors="replace").splitlines()
        errors = [line for line in lines if pattern.search(line)]
        evidence: dict[str, Any] = {
            "container": name,
            "container_state": state.get("Status"),
            "container_started_at": str(state.get("StartedAt", ""))[:19],
            "container_exit_code": state.get("ExitCode"),
            "container_restart_count": restarts,
            "container_restart_policy": policy,
            "container_log_lines_read": len(lines),
            "container_error_lines": len(errors),
            "container_error_samples": [redactor.text(e)[:300] for e in errors[-max_shown:]],
        }
        result: CheckResult
        if state.get("Restarting"):
            result = failed(f"container {name} is restarting (crash loop: {restarts} restarts, last exit code "
                            f"{state.get('ExitCode')})", **evidence)
        elif not state.get("Running"):
            result = failed(f"container {name} is {state.get('Status', 'not running')} "
                            f"(exit code {state.get('ExitCode')})", **evidence)
        elif errors:
            result = failed(f"container {name} running, but {len(errors)} error line(s) in its last "
                            f"{len(lines)} log lines", **evidence)
        elif restarts:
            result = warned(f"container {name} running, restarted {restarts} time(s)", **evidence)
        elif not auto.value:
            result = warned(f"container {name} running, but without a restart policy (no auto-restart on failure)",
                            **evidence)
        else:
            result = passed(f"container {name} running, 0 restarts, no error lines, restart policy {policy}",
                            **evidence)
        if result.status is not Status.PASS and not auto.value and "restart policy" not in result.summary:
            result.summary += "; no restart policy"
        result.measurements["avail.auto_restart"] = auto
        return result

    return _with_client(ctx, body)


@check("docker.health", "the frontend container's Docker health status is healthy",
       params={"container": Param(str, "the container (default: setting container)")}, live=True)
def docker_health(ctx: CheckContext) -> CheckResult:
    name = _container_name(ctx)
    redactor = ctx.settings.redactor()

    def body(client: Any) -> CheckResult:
        container = _get_container(client, name)
        if container is None:
            return failed(f"container {name} not found", container=name)
        state = container.attrs.get("State", {})
        health = state.get("Health") or {}
        status = health.get("Status") or "none"
        log = health.get("Log") or []
        last = log[-1] if log else {}
        evidence = {
            "container": name,
            "health_status": status,
            "health_failing_streak": health.get("FailingStreak", 0),
            "health_last_exit_code": last.get("ExitCode"),
            "health_last_output": redactor.text(str(last.get("Output", "")).strip())[:300],
        }
        if not state.get("Running"):
            return failed(f"container {name} is not running ({state.get('Status')})", **evidence)
        if status == "healthy":
            return passed(f"container {name} is healthy", **evidence)
        if status == "unhealthy":
            return failed(f"container {name} is unhealthy ({health.get('FailingStreak', 0)} failed probes; "
                          f"last exit code {last.get('ExitCode')})", **evidence)
        if status == "starting":
            return warned(f"container {name} health is still starting", **evidence)
        return warned(f"container {name} has no health check (add a HEALTHCHECK on /_stcore/health)", **evidence)

    return _with_client(ctx, body)
