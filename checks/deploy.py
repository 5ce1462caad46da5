"""Availability evidence from the recorded deployment steps (the seed's "Availability" table).

`readiness deploy` records each step in the run record's `deploy_steps`; this check turns the
latest ones into measurements the success-criteria table reads: the measured duration of the last
successful rollback (`avail.rollback_s`, target < 5 min), the health-check success rate sampled
during the last verification (`avail.health_success_pct`, target > 99 %), and the uptime from a
configured uptime source (`avail.uptime_pct`; without one it stays TBD). It runs for item 6.5
"Rollback procedure tested", whose status it decides from the rollback evidence.
"""

from __future__ import annotations

import json

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, Measurement, Status


def _uptime(url: str, timeout: float) -> tuple[float | None, str]:
    """Uptime percentage from a source answering a JSON number or an object with `uptime_pct`/`uptime`."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - configured URL
            data = json.loads(response.read(65536).decode("utf-8", "replace"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: JSON nested deeper than the parser goes
        return None, f"uptime source unreadable: {exc.__class__.__name__}"
    value = data.get("uptime_pct", data.get("uptime")) if isinstance(data, dict) else data
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        return None, "uptime source answered no percentage (expected a number or {\"uptime_pct\": N})"
    return float(value), ""


@check("deploy.availability", "rollback rehearsed in time; health-check success rate and uptime measured",
       params={"rollback_target_s": Param(float, "the longest acceptable rollback, in seconds", 300.0)})
def availability(ctx: CheckContext) -> CheckResult:
    settings = ctx.settings
    target_s = float(ctx.param("rollback_target_s"))
    measurements: dict[str, Measurement] = {}
    evidence: dict[str, object] = {"rollback_target_s": target_s}

    verify = ctx.last_deploy_step("verify")
    health = (verify or {}).get("measurements", {}).get("avail.health_success_pct")
    if health:
        measurements["avail.health_success_pct"] = Measurement.from_dict(health)
        evidence["health_sampled_at"] = verify.get("finished_at", "")  # type: ignore[union-attr]

    uptime_url = settings.table("deploy").get("uptime_url")
    if isinstance(uptime_url, str) and uptime_url:
        value, problem = _uptime(uptime_url, settings.connect_timeout + settings.read_timeout)
        if value is not None:
            measurements["avail.uptime_pct"] = Measurement(value, f"{value:g}%", "%")
        else:
            evidence["uptime_problem"] = problem

    rollback = ctx.last_deploy_step("rollback")
    if rollback is None:
        result = CheckResult(Status.PENDING, "no rollback recorded yet: rehearse it with `readiness deploy rollback` "
                             "(target < 5 min) or confirm it was tested")
    else:
        at = str(rollback.get("finished_at", ""))
        duration = float(rollback.get("duration_s") or 0.0)
        evidence.update(rollback_at=at, rollback_status=rollback.get("status"), rollback_duration_s=duration)
        if rollback.get("status") != "ok":
            result = CheckResult(Status.FAIL, f"the last rollback ({at}) {rollback.get('status')}: "
                                 f"{rollback.get('summary', '')}")
        else:
            shown = f"{duration:.1f} s" if duration < 120 else f"{duration / 60:.1f} min"
            measurements["avail.rollback_s"] = Measurement(duration, shown, "s")
            if duration < target_s:
                result = CheckResult(Status.PASS, f"rollback rehearsed {at[:16].replace('T', ' ')}: took {shown} "
                                     f"(target < {target_s / 60:g} min)")
            else:
                result = CheckResult(Status.FAIL, f"the last rollback took {shown}, over the {target_s / 60:g} min "
                                     "target")
    result.evidence.update(evidence)
    result.measurements.update(measurements)
    return result
