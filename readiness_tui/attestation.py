"""The digest of a report and the state of every sign-off bound to it: pure functions over JSON report data.

This is what `readiness verify` reads back; `readiness_tui.signoff` records sign-offs with it.
The specification (what the digest covers, the seal, the SSH signed message, the states, and what
a report without signatures proves): docs/signoff.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError

NAMESPACE = "readiness-tui@v1"
DIGEST_VERSION = 2
SSH_TIMEOUT = 120.0
COVERS = ("the checklist digest, its score bands and sign-off roles, and for every item: id, status, "
          "facts, the person's decision, whether a waiver expired")
#: The fields of a sign-off (and of a deployment field) its seal and SSH signature cover.
SIGNOFF_FIELDS = ("role", "name", "at", "user_host", "digest", "score", "band", "override")
DEPLOYMENT_FIELDS = ("field", "type", "value", "by", "at", "user_host", "digest")
_MAX_NAMED = 8


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _item_input(item: dict[str, Any]) -> dict[str, Any]:
    """One item's verdict: what a sign-off binds (never timings, summaries or measurements)."""
    return {
        "id": item.get("id"),
        "status": item.get("status"),
        "facts": item.get("facts") or {},
        "decision": item.get("decision"),
        "waiver_expired": bool(item.get("waiver_expired")),
    }


def report_items(report_data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a JSON report, in order."""
    return [item for section in report_data.get("sections") or [] for item in section.get("items") or []]


def _checklist(report_data: dict[str, Any]) -> dict[str, Any]:
    checklist = report_data.get("checklist")
    return checklist if isinstance(checklist, dict) else {}


def digest_inputs(report_data: dict[str, Any]) -> dict[str, Any]:
    """What a sign-off approves, taken from JSON report data (docs/signoff.md, "The digest")."""
    checklist = _checklist(report_data)
    return {
        "v": DIGEST_VERSION,
        "checklist": checklist.get("digest"),
        "bands": checklist.get("bands"),
        "roles": checklist.get("roles"),
        "items": [_item_input(i) for i in report_items(report_data)],
    }


def digest(report_data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the canonical serialisation of the digest inputs of a JSON report."""
    return _sha256(canonical(digest_inputs(report_data)))


def item_hashes(report_data: dict[str, Any]) -> dict[str, str]:
    """A short hash per item (diagnostics: which items changed since a sign-off)."""
    return {str(i.get("id")): hashlib.sha256(canonical(_item_input(i))).hexdigest()[:16]
            for i in report_items(report_data)}


def signing_message(entry: dict[str, Any], kind: str) -> bytes:
    """The bytes an entry's seal and SSH signature cover: its own fields, the digest among them."""
    keys = SIGNOFF_FIELDS if kind == "signoff" else DEPLOYMENT_FIELDS
    return canonical({"v": DIGEST_VERSION, "kind": kind, **{k: entry.get(k, "") for k in keys}})


def seal(entry: dict[str, Any], kind: str) -> str:
    """The SHA-256 of the signing message: an accidental edit of the entry's own fields shows."""
    return _sha256(signing_message(entry, kind))


def recompute_score(report_data: dict[str, Any]) -> tuple[float, str] | None:
    """(percent, band) computed from the report's items and bands; None when it has no bands."""
    from readiness_tui.checklist import Band, band_for
    from readiness_tui.model import Status
    from readiness_tui.scoring import tally

    raw = _checklist(report_data).get("bands")
    if not isinstance(raw, list) or not raw:
        return None
    try:
        bands = [Band(str(b["id"]), float(b["min"]), str(b.get("label", ""))) for b in raw]
        statuses = [(Status(str(i.get("status"))), bool(i.get("waiver_expired"))) for i in report_items(report_data)]
    except (KeyError, TypeError, ValueError):
        return None
    percent = tally(statuses)[3]
    return percent, band_for(bands, percent).id


# -- SSH signatures ----------------------------------------------------------------------------

def _ssh_keygen() -> str:
    path = shutil.which("ssh-keygen")
    if path is None:
        raise UsageError("ssh-keygen is not installed (Debian: apt-get install openssh-client)")
    return path


def _first_line(data: bytes) -> str:
    from readiness_tui.neutral import one_line

    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return one_line(lines[-1], 200) if lines else "no output"


def principal_for(name: str) -> str:
    """The name as an allowed_signers principal (UsageError when it cannot be one)."""
    if not re.fullmatch(r"[^\s,\"']+", name) or not name.isprintable():
        from readiness_tui.neutral import one_line

        raise UsageError(
            f"to sign with an SSH key, the name must be usable as an allowed_signers principal "
            f"(no spaces, commas or quotes; an email address works), not {one_line(repr(name), 80)}"
        )
    return name


_ASKPASS = "#!/bin/sh\nprintf '%s\\n' \"$READINESS_SSH_PASSPHRASE\"\n"


def ssh_sign(key: str | Path, message: bytes, principal: str, *, passphrase: str | None = None,
             interactive: bool = True) -> dict[str, str]:
    """Sign with `ssh-keygen -Y sign` (a private key file, or a public key whose private half is in ssh-agent).

    `interactive=False` (the wizard owns the terminal) detaches ssh-keygen from it: a passphrase is
    then given through an askpass helper reading it from ssh-keygen's own environment (never a
    file, never the command line), or the key must be in ssh-agent.
    """
    key = Path(key).expanduser()
    if not key.is_file():
        raise UsageError(f"{key}: no such SSH key file")
    keygen = _ssh_keygen()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="readiness-sign-") as tmp:
        if not interactive:
            env["SSH_ASKPASS_REQUIRE"] = "never"
            if passphrase:
                helper = Path(tmp) / "askpass"
                helper.write_text(_ASKPASS)
                helper.chmod(0o700)
                env.update(SSH_ASKPASS=str(helper), SSH_ASKPASS_REQUIRE="force", READINESS_SSH_PASSPHRASE=passphrase)
                env.setdefault("DISPLAY", ":0")
        try:
            proc = subprocess.run([keygen, "-Y", "sign", "-n", NAMESPACE, "-f", str(key)], input=message,
                                  capture_output=True, timeout=SSH_TIMEOUT, env=env,
                                  start_new_session=not interactive)
        except subprocess.TimeoutExpired:
            raise UsageError(f"ssh-keygen did not finish signing within {SSH_TIMEOUT:.0f} s") from None
    if proc.returncode != 0 or b"BEGIN SSH SIGNATURE" not in proc.stdout:
        why = _first_line(proc.stderr)
        if not interactive and not passphrase and "passphrase" in why.lower():
            why += " (give the key's passphrase, or add the key to ssh-agent and give its .pub file)"
        raise UsageError(f"ssh-keygen could not sign with {key}: {why}")
    signature = {"namespace": NAMESPACE, "principal": principal, "signature": proc.stdout.decode("ascii").strip()}
    fingerprint = subprocess.run([keygen, "-l", "-f", str(key)], capture_output=True, timeout=30,
                                 stdin=subprocess.DEVNULL)
    if fingerprint.returncode == 0 and len(parts := fingerprint.stdout.decode("utf-8", "replace").split()) > 1:
        signature["fingerprint"] = parts[1]
    return signature


@functools.lru_cache(maxsize=256)
def _ssh_check(message: bytes, signature: str, principal: str, allowed_signers: str | None) -> tuple[bool, str]:
    keygen = _ssh_keygen()
    with tempfile.TemporaryDirectory(prefix="readiness-sig-") as tmp:
        sig = Path(tmp) / "sig"
        sig.write_text(signature + "\n")
        if allowed_signers is None:
            cmd = [keygen, "-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(sig)]
        else:
            cmd = [keygen, "-Y", "verify", "-f", allowed_signers, "-I", principal, "-n", NAMESPACE, "-s", str(sig)]
        try:
            proc = subprocess.run(cmd, input=message, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            return False, "ssh-keygen timed out"
    if proc.returncode == 0:
        return True, _first_line(proc.stdout)
    return False, _first_line(proc.stderr + proc.stdout)


def check_signature(entry: dict[str, Any], kind: str, allowed_signers: str | Path | None) -> tuple[bool, str]:
    """Check an entry's SSH signature: against allowed signers (principal = the entry's name), or only intact."""
    sig = entry.get("signature")
    if not isinstance(sig, dict) or not isinstance(sig.get("signature"), str) or not sig["signature"]:
        return False, "the signature is malformed"
    if sig.get("namespace") != NAMESPACE:
        return False, f"the signature namespace is not {NAMESPACE}"
    # The principal is the name the entry shows: a signature by someone else under this name fails.
    principal = str(entry.get("name") if kind == "signoff" else entry.get("by") or "")
    if not principal or not re.fullmatch(r"[^\s,\"']+", principal) or not principal.isprintable():
        return False, "the signer's name is not an allowed_signers principal"
    allowed = str(Path(allowed_signers).expanduser()) if allowed_signers is not None else None
    return _ssh_check(signing_message(entry, kind), sig["signature"], principal, allowed)


# -- states --------------------------------------------------------------------------------------

def _changed_items(old: Any, new: dict[str, str]) -> str:
    if not isinstance(old, dict):
        return ""
    changed = sorted((str(k) for k in set(old) | set(new) if old.get(k) != new.get(k)), key=_item_key)
    if not changed:
        return ""
    named = ", ".join(changed[:_MAX_NAMED]) + (f" and {len(changed) - _MAX_NAMED} more" if len(changed) > _MAX_NAMED else "")
    return f"item{'s' if len(changed) > 1 else ''} {named}"


def _item_key(item_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in item_id.split("."))
    except ValueError:
        return (10**6,)


@dataclass
class _Context:
    """What every entry of one report is judged against."""

    current: str
    hashes: dict[str, str]
    recorded: str | None
    score: tuple[float, str] | None
    allowed_signers: str | Path | None
    scoped: bool
    roles: list[str] | None


def _state(entry: dict[str, Any], kind: str, ctx: _Context) -> tuple[str, str]:
    """(state, reason) of one sign-off or deployment field."""
    signed = entry.get("digest")
    if not isinstance(signed, str) or not signed.startswith("sha256:"):
        return "invalid", "no digest recorded"
    if entry.get("digest_version", DIGEST_VERSION) != DIGEST_VERSION:
        return "stale", f"recorded by an earlier version (digest version {entry.get('digest_version')}): sign again"
    if entry.get("seal") != seal(entry, kind):
        what = ", ".join(SIGNOFF_FIELDS if kind == "signoff" else DEPLOYMENT_FIELDS)
        return "invalid", f"altered: its own fields ({what}) no longer match its seal"
    if kind == "signoff" and ctx.roles is not None and entry.get("role") not in ctx.roles:
        return "invalid", "its role is not one of the checklist's sign-off roles"
    notes = []
    if entry.get("signature"):
        ok, detail = check_signature(entry, kind, ctx.allowed_signers)
        if not ok:
            return "invalid", f"the SSH signature does not verify ({detail})"
        notes.append("SSH signature verified against the allowed signers" if ctx.allowed_signers is not None
                     else "SSH signature intact (not checked against allowed signers)")
    elif ctx.allowed_signers is not None:
        if kind == "signoff":
            return "invalid", "not SSH-signed: with --allowed-signers every sign-off must carry a valid signature"
        notes.append("not SSH-signed")
    if ctx.scoped:
        return "invalid", "the report covers only selected items (--only/--skip), so the digest cannot be checked"
    changed = _changed_items(entry.get("items"), ctx.hashes)
    if signed == ctx.current:
        if kind == "signoff" and ctx.score is not None:
            try:
                score_ok = round(float(entry.get("score")), 1) == ctx.score[0]  # type: ignore[arg-type]
            except (TypeError, ValueError):
                score_ok = False
            if not score_ok or entry.get("band") != ctx.score[1]:
                return "invalid", (f"altered: it records score {entry.get('score')}% ({entry.get('band')}) but the "
                                   f"items it signed score {ctx.score[0]:.1f}% ({ctx.score[1]})")
        return "valid", "; ".join(["matches the current results and decisions", *notes])
    if ctx.recorded is not None and signed == ctx.recorded:
        what = f" ({changed} differ)" if changed else ""
        return "invalid", f"the report was altered after it was generated: its contents no longer match the digest signed{what}"
    what = f": {changed} changed" if changed else ""
    return "stale", f"the results or decisions changed since it was signed{what}"


def _public(entry: dict[str, Any], state: str, reason: str) -> dict[str, Any]:
    out = {k: v for k, v in entry.items() if k not in ("items", "signature", "state", "reason", "previous", "seal")}
    if isinstance(entry.get("signature"), dict):
        out["ssh"] = {k: v for k, v in entry["signature"].items() if k != "signature"}
    out["state"], out["reason"] = state, reason
    return out


def _judge_all(signoffs: list[Any], deployment: dict[str, Any],
               ctx: _Context) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    so_states = []
    for entry in signoffs:
        if not isinstance(entry, dict):
            so_states.append({"role": "?", "name": "?", "at": "", "user_host": "", "state": "invalid",
                              "reason": "malformed sign-off entry"})
            continue
        state, reason = _state(entry, "signoff", ctx)
        so_states.append(_public(entry, state, reason))
    field_states = []
    for field_name, entry in (deployment or {}).items():
        if not isinstance(entry, dict):
            continue
        full = dict(entry, field=entry.get("field", field_name))
        state, reason = _state(full, "deployment", ctx)
        field_states.append(_public(full, state, reason))
    return so_states, field_states


def all_states(signoffs: list[Any], deployment: dict[str, Any], report_data: dict[str, Any],
               recorded: str | None = None,
               allowed_signers: str | Path | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The state of every sign-off and deployment field against (redacted) JSON report data."""
    roles = _checklist(report_data).get("roles")
    ctx = _Context(digest(report_data), item_hashes(report_data), recorded, recompute_score(report_data),
                   allowed_signers, report_data.get("scope") is not None,
                   [str(r) for r in roles] if isinstance(roles, list) else None)
    return _judge_all(signoffs, deployment, ctx)


def unsigned_roles(report_data: dict[str, Any], states: list[dict[str, Any]]) -> list[str]:
    """The checklist's roles that have no valid sign-off."""
    roles = _checklist(report_data).get("roles")
    valid = {s.get("role") for s in states if s.get("state") == "valid"}
    return [str(r) for r in roles if r not in valid] if isinstance(roles, list) else []


def annotate(report_data: dict[str, Any]) -> dict[str, Any]:
    """Add the digest to (redacted) JSON report data, and each sign-off's and deployment field's state.

    Used by every report, so the JSON carries what `verify` needs and Markdown shows the states.
    """
    current = digest(report_data)
    report_data["digest"] = {"algorithm": "sha256", "version": DIGEST_VERSION, "value": current, "covers": COVERS}
    raw_signoffs = report_data.get("signoffs") or []
    so_states, field_states = all_states(raw_signoffs, report_data.get("deployment") or {}, report_data)
    for entry, state in zip(raw_signoffs, so_states, strict=True):
        if isinstance(entry, dict):
            entry["state"], entry["reason"] = state["state"], state["reason"]
    for state in field_states:
        entry = report_data["deployment"].get(state["field"])
        if isinstance(entry, dict):
            entry["state"], entry["reason"] = state["state"], state["reason"]
    report_data["unsigned_roles"] = unsigned_roles(report_data, so_states)
    return report_data


def _score_alteration(report_data: dict[str, Any], score: tuple[float, str] | None) -> str:
    """Why the report's own score is not the one its items give ('' when it is)."""
    shown = report_data.get("score")
    if score is None:
        return "the report has no score bands to recompute its score from"
    if not isinstance(shown, dict):
        return "the report has no score"
    try:
        percent = round(float(shown.get("percent")), 1)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        percent = None
    if percent != score[0] or shown.get("band") != score[1]:
        return (f"its score reads {shown.get('percent')}% ({shown.get('band')}) but its items score "
                f"{score[0]:.1f}% ({score[1]})")
    return ""


def verify_report(report_data: dict[str, Any], allowed_signers: str | Path | None = None,
                  require_all: bool = False) -> dict[str, Any]:
    """Recompute the digest and score of JSON report data and check every sign-off and deployment field.

    Returns {"ok", "digest", "recorded", "altered", "alterations", "signoffs", "deployment",
    "unsigned_roles", "problems"}: ok is True when the report is intact, has at least one sign-off,
    every entry is valid, and (with `require_all`) every role has a valid sign-off.
    """
    if not isinstance(report_data, dict) or not isinstance(report_data.get("sections"), list):
        raise UsageError("not a readiness JSON report (no `sections`)")
    sections = report_data["sections"]
    if not all(isinstance(s, dict) and isinstance(s.get("items", []), list)
               and all(isinstance(i, dict) for i in s.get("items", [])) for s in sections):
        raise UsageError("malformed report: every section needs a list of `items` objects")
    recorded_info = report_data.get("digest")
    recorded = recorded_info.get("value") if isinstance(recorded_info, dict) else None
    version = recorded_info.get("version") if isinstance(recorded_info, dict) else None
    if version is not None and version != DIGEST_VERSION:
        raise UsageError(f"this report has digest version {version}; this readiness-tui checks version "
                         f"{DIGEST_VERSION}: write the report again with `readiness report --format json`")
    signoffs = report_data.get("signoffs") or []
    deployment = report_data.get("deployment") or {}
    if not isinstance(signoffs, list) or not isinstance(deployment, dict):
        raise UsageError("the report's `signoffs` must be a list and `deployment` an object")
    current = digest(report_data)
    so_states, field_states = all_states(signoffs, deployment, report_data, recorded, allowed_signers)
    alterations = []
    if recorded is None:
        alterations.append("it records no digest")
    elif recorded != current:
        alterations.append(f"its contents hash to {current}, but it records {recorded}")
    score_problem = _score_alteration(report_data, recompute_score(report_data))
    if score_problem:
        alterations.append(score_problem)
    missing = unsigned_roles(report_data, so_states)
    problems = [f"{s.get('role')} ({s.get('name')}): {s['state']}" for s in so_states if s["state"] != "valid"]
    problems += [f"{s.get('field')}: {s['state']}" for s in field_states if s["state"] != "valid"]
    if not so_states:
        problems.append("no sign-offs: nothing to verify")
    if require_all and missing:
        problems.append(f"no valid sign-off for {', '.join(missing)} (--require-all)")
    ok = not alterations and not problems
    return {"ok": ok, "digest": current, "recorded": recorded, "altered": bool(alterations),
            "alterations": alterations, "signoffs": so_states, "deployment": field_states,
            "unsigned_roles": missing, "problems": problems}
