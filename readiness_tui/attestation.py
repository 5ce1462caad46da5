"""The digest of a report and the state of every sign-off bound to it: pure functions over JSON report data.

This is what `readiness verify` reads back; `readiness_tui.signoff` records sign-offs with it.
The digest specification (what a sign-off covers, the canonical serialisation, the SSH signed
message, the states): docs/signoff.md.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError

NAMESPACE = "readiness-tui@v1"
DIGEST_VERSION = 1
SSH_TIMEOUT = 120.0
COVERS = ("run_id, the checklist digest, and for every item: id, status, summary, evidence, "
          "measurements, decision")
_MAX_NAMED = 8


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _item_input(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "status": item.get("status"),
        "summary": item.get("summary"),
        "evidence": item.get("evidence") or {},
        "measurements": item.get("measurements") or {},
        "decision": item.get("decision"),
    }


def _report_items(report_data: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for section in report_data.get("sections") or [] for item in section.get("items") or []]


def digest_inputs(report_data: dict[str, Any]) -> dict[str, Any]:
    """What a sign-off approves, taken from JSON report data (docs/signoff.md, "The digest specification")."""
    checklist = report_data.get("checklist") or {}
    return {
        "v": DIGEST_VERSION,
        "run_id": report_data.get("run_id"),
        "checklist": checklist.get("digest") if isinstance(checklist, dict) else None,
        "items": [_item_input(i) for i in _report_items(report_data)],
    }


def digest(report_data: dict[str, Any]) -> str:
    """`sha256:<hex>` of the canonical serialisation of the digest inputs of a JSON report."""
    return "sha256:" + hashlib.sha256(canonical(digest_inputs(report_data))).hexdigest()


def item_hashes(report_data: dict[str, Any]) -> dict[str, str]:
    """A short hash per item (diagnostics: which items changed since a sign-off)."""
    return {
        str(i.get("id")): hashlib.sha256(canonical(_item_input(i))).hexdigest()[:16]
        for i in _report_items(report_data)
    }


def signing_message(entry: dict[str, Any], kind: str) -> bytes:
    """The bytes an SSH signature covers."""
    if kind == "signoff":
        keys = ("role", "name", "at", "user_host", "digest", "score", "band", "override")
    else:
        keys = ("field", "value", "by", "at", "user_host", "digest")
    return canonical({"v": DIGEST_VERSION, "kind": kind, **{k: entry.get(k, "") for k in keys}})


# -- SSH signatures ----------------------------------------------------------------------------

def _ssh_keygen() -> str:
    path = shutil.which("ssh-keygen")
    if path is None:
        raise UsageError("ssh-keygen is not installed (Debian: apt-get install openssh-client)")
    return path


def _first_line(data: bytes) -> str:
    lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def principal_for(name: str) -> str:
    if not re.fullmatch(r"[^\s,\"']+", name):
        raise UsageError(
            f"to sign with an SSH key, --name must be usable as an allowed_signers principal "
            f"(no spaces, commas or quotes; an email address works), not {name!r}"
        )
    return name


def ssh_sign(key: str | Path, message: bytes, principal: str) -> dict[str, str]:
    """Sign with `ssh-keygen -Y sign` (a private key file, or a public key whose private half is in ssh-agent)."""
    key = Path(key).expanduser()
    if not key.is_file():
        raise UsageError(f"{key}: no such SSH key file")
    keygen = _ssh_keygen()
    try:
        proc = subprocess.run([keygen, "-Y", "sign", "-n", NAMESPACE, "-f", str(key)], input=message,
                              capture_output=True, timeout=SSH_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise UsageError(f"ssh-keygen did not finish signing within {SSH_TIMEOUT:.0f} s") from None
    if proc.returncode != 0 or b"BEGIN SSH SIGNATURE" not in proc.stdout:
        raise UsageError(f"ssh-keygen could not sign with {key}: {_first_line(proc.stderr)}")
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
    """Check an entry's SSH signature: against allowed signers, or only that it is intact."""
    sig = entry.get("signature")
    if not isinstance(sig, dict) or not sig.get("signature"):
        return False, "the signature is malformed"
    if sig.get("namespace") != NAMESPACE:
        return False, f"the signature namespace is {sig.get('namespace')!r}, not {NAMESPACE}"
    principal = str(sig.get("principal") or entry.get("name") or entry.get("by") or "")
    allowed = str(Path(allowed_signers).expanduser()) if allowed_signers is not None else None
    return _ssh_check(signing_message(entry, kind), str(sig["signature"]), principal, allowed)


# -- states --------------------------------------------------------------------------------------

def _changed_items(old: Any, new: dict[str, str]) -> str:
    if not isinstance(old, dict):
        return ""
    changed = sorted((k for k in set(old) | set(new) if old.get(k) != new.get(k)), key=_item_key)
    if not changed:
        return ""
    named = ", ".join(changed[:_MAX_NAMED]) + (f" and {len(changed) - _MAX_NAMED} more" if len(changed) > _MAX_NAMED else "")
    return f"item{'s' if len(changed) > 1 else ''} {named}"


def _item_key(item_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in item_id.split("."))
    except ValueError:
        return (10**6,)


def _state(entry: dict[str, Any], kind: str, current: str, hashes: dict[str, str], recorded: str | None,
           allowed_signers: str | Path | None, scoped: bool) -> tuple[str, str]:
    """(state, reason) of one sign-off or deployment field."""
    signed = entry.get("digest")
    if not isinstance(signed, str) or not signed.startswith("sha256:"):
        return "invalid", "no digest recorded"
    notes = []
    if entry.get("signature"):
        ok, detail = check_signature(entry, kind, allowed_signers)
        if not ok:
            return "invalid", f"the SSH signature does not verify ({detail})"
        notes.append("SSH signature verified against the allowed signers" if allowed_signers is not None
                     else "SSH signature intact (not checked against allowed signers)")
    if scoped:
        return "invalid", "the report covers only selected items (--only/--skip), so the digest cannot be checked"
    changed = _changed_items(entry.get("items"), hashes)
    if signed == current:
        return "valid", "; ".join(["matches the current results and decisions", *notes])
    if recorded is not None and signed == recorded:
        what = f" ({changed} differ)" if changed else ""
        return "invalid", f"the report was altered after it was generated: its contents no longer match the digest signed{what}"
    what = f": {changed} changed" if changed else ""
    return "stale", f"the results or decisions changed since it was signed{what}"


def _public(entry: dict[str, Any], state: str, reason: str) -> dict[str, Any]:
    out = {k: v for k, v in entry.items() if k not in ("items", "signature", "state", "reason", "previous")}
    if isinstance(entry.get("signature"), dict):
        out["ssh"] = {k: v for k, v in entry["signature"].items() if k != "signature"}
    out["state"], out["reason"] = state, reason
    return out


def all_states(signoffs: list[Any], deployment: dict[str, Any], current: str, hashes: dict[str, str],
                recorded: str | None, allowed_signers: str | Path | None,
                scoped: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    so_states = []
    for entry in signoffs:
        if not isinstance(entry, dict):
            so_states.append({"role": "?", "name": "?", "at": "", "user_host": "", "state": "invalid",
                              "reason": "malformed sign-off entry"})
            continue
        state, reason = _state(entry, "signoff", current, hashes, recorded, allowed_signers, scoped)
        so_states.append(_public(entry, state, reason))
    field_states = []
    for field_name, entry in (deployment or {}).items():
        if not isinstance(entry, dict):
            continue
        state, reason = _state(dict(entry, field=entry.get("field", field_name)), "deployment", current, hashes,
                               recorded, allowed_signers, scoped)
        field_states.append(_public(dict(entry, field=entry.get("field", field_name)), state, reason))
    return so_states, field_states


def annotate(report_data: dict[str, Any]) -> dict[str, Any]:
    """Add the digest to (redacted) JSON report data, and each sign-off's and deployment field's state.

    Used by every report, so the JSON carries what `verify` needs and Markdown shows the states.
    """
    current = digest(report_data)
    scoped = report_data.get("scope") is not None
    report_data["digest"] = {"algorithm": "sha256", "version": DIGEST_VERSION, "value": current, "covers": COVERS}
    raw_signoffs = report_data.get("signoffs") or []
    so_states, field_states = all_states(raw_signoffs, report_data.get("deployment") or {}, current,
                                          item_hashes(report_data), None, None, scoped)
    for entry, state in zip(raw_signoffs, so_states, strict=True):
        if isinstance(entry, dict):
            entry["state"], entry["reason"] = state["state"], state["reason"]
    for state in field_states:
        entry = report_data["deployment"].get(state["field"])
        if isinstance(entry, dict):
            entry["state"], entry["reason"] = state["state"], state["reason"]
    return report_data


def verify_report(report_data: dict[str, Any], allowed_signers: str | Path | None = None) -> dict[str, Any]:
    """Recompute the digest of JSON report data and check every sign-off and deployment field.

    Returns {"ok", "digest", "recorded", "altered", "signoffs", "deployment"}; ok is True when the
    report is intact and every entry is valid.
    """
    if not isinstance(report_data, dict) or not isinstance(report_data.get("sections"), list):
        raise UsageError("not a readiness JSON report (no `sections`)")
    sections = report_data["sections"]
    if not all(isinstance(s, dict) and isinstance(s.get("items", []), list)
               and all(isinstance(i, dict) for i in s.get("items", [])) for s in sections):
        raise UsageError("malformed report: every section needs a list of `items` objects")
    current = digest(report_data)
    recorded_info = report_data.get("digest")
    recorded = recorded_info.get("value") if isinstance(recorded_info, dict) else None
    signoffs = report_data.get("signoffs") or []
    deployment = report_data.get("deployment") or {}
    if not isinstance(signoffs, list) or not isinstance(deployment, dict):
        raise UsageError("the report's `signoffs` must be a list and `deployment` an object")
    so_states, field_states = all_states(signoffs, deployment, current, item_hashes(report_data), recorded,
                                          allowed_signers, report_data.get("scope") is not None)
    altered = recorded is not None and recorded != current
    ok = not altered and all(s["state"] == "valid" for s in so_states + field_states)
    return {"ok": ok, "digest": current, "recorded": recorded, "altered": altered,
            "signoffs": so_states, "deployment": field_states}
