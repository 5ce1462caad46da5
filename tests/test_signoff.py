"""Sign-offs bound to a digest, verify, SSH signatures, deployment fields, concurrent signers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import REPO, cli_env, need, run_cli
from fixtures.ssh import add_key, ssh_agent

from readiness_tui import attestation, decisions, signoff
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, Measurement, Status
from readiness_tui.reports import build_report, render
from readiness_tui.target import begin_run, open_target, save_results

ROLE = "Technical Lead"


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def record_run(project: Path, failing: tuple[str, ...] = (), evidence: dict | None = None,
               facts: dict | None = None, noise: int = 0) -> None:
    """Record a finished full run: every item passes except `failing` (fail).

    `noise` varies what a re-run varies on an unchanged project: timings, probe ids, counters in the
    evidence, the summary's numbers and the measurements.
    """
    target = open_target(project)
    begin_run(target, full=True)
    results = {}
    for item in target.checklist.items:
        status = Status.FAIL if item.id in failing else Status.PASS
        ev = {"probe": f"checked {item.id}", "latency_ms": 12.5 + noise, "probe_path": f"/readiness-{noise}"}
        if evidence and item.id in evidence:
            ev.update(evidence[item.id])
        result = ItemResult(status, f"{item.id} {status.value} in {7 + noise} ms", ev, duration_ms=7 + noise,
                            finished_at=f"2026-11-26T10:00:{noise:02d}+00:00",
                            measurements={"t": Measurement(12.5 + noise, f"{12.5 + noise} ms", "ms")})
        result.facts = dict((facts or {}).get(item.id, {}))
        results[item.id] = result
    save_results(target, results, finished=True)


@pytest.fixture
def ready_project(tmp_path: Path) -> Path:
    """A project whose recorded run scores 100% (ready)."""
    project = tmp_path / "proj"
    project.mkdir()
    (project / "readiness.toml").write_text(
        '[[contacts]]\nrole = "On-call engineer"\nname = "Grace"\nemail = "oncall@example.invalid"\n')
    record_run(project)
    return project


def json_report(project: Path, out: Path) -> dict:
    proc = run_cli("report", str(project), "--format", "json", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


def test_sign_records_who_when_where_digest_and_score(ready_project: Path):
    target = open_target(ready_project)
    entry = signoff.sign(target, "technical lead", "ada")
    assert entry["role"] == ROLE and entry["name"] == "ada"
    assert entry["user_host"].count("@") == 1 and entry["at"].startswith(str(date.today().year))
    assert entry["digest"].startswith("sha256:") and len(entry["digest"]) == 7 + 64
    assert entry["score"] == 100.0 and entry["band"] == "ready" and "override" not in entry
    states = signoff.signoff_states(target, target.store.load())
    assert [(s["role"], s["name"], s["state"]) for s in states] == [(ROLE, "ada", "valid")]
    assert set(states[0]) >= {"role", "name", "at", "user_host", "state", "reason"}


def test_digest_binds_verdicts_not_measurements(ready_project: Path):
    target = open_target(ready_project)
    data = signoff.report_data(target, target.store.load())
    base = attestation.digest(data)
    item = data["sections"][0]["items"][0]
    item["duration_ms"] += 1000
    item["finished_at"] = "2030-01-01T00:00:00+00:00"
    data["generated_at"] = "2031-01-01T00:00:00+00:00"
    data["run_id"] = "another-run"
    item["summary"] = "passed in 912 ms"
    item["evidence"] = {"probe": "/readiness-4711", "x-ratelimit-remaining": "57"}
    item["measurements"] = {"t": {"value": 912, "display": "912 ms", "unit": "ms"}}
    assert attestation.digest(data) == base, "run ids, timings, summaries, evidence and measurements are not signed"
    for where, key, value in (("item", "status", "fail"), ("item", "facts", {"keys_missing": ["X"]}),
                              ("item", "decision", {"type": "confirmed", "by": "eve"}),
                              ("item", "waiver_expired", True), ("checklist", "roles", ["Technical Lead"]),
                              ("checklist", "bands", [{"id": "ready", "min": 0, "label": ""}])):
        changed = json.loads(json.dumps(data))
        (changed["sections"][0]["items"][0] if where == "item" else changed["checklist"])[key] = value
        assert attestation.digest(changed) != base, f"{key} must be covered"
    # Canonical: key order and whitespace do not matter.
    reordered = json.loads(json.dumps(data, indent=4, sort_keys=False), object_pairs_hook=lambda p: dict(reversed(p)))
    assert attestation.digest(reordered) == base
    assert attestation.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


def test_rerun_with_the_same_verdicts_keeps_sign_offs_valid(tmp_path: Path):
    project = tmp_path / "p"
    project.mkdir()
    facts = {"1.1": {"file": ".env", "keys_missing": []}}
    record_run(project, facts=facts)
    target = open_target(project)
    signoff.sign(target, ROLE, "ada")
    first_run = target.store.load().run_id
    for noise in (1, 2, 3):  # new run ids, timings, probe paths, summaries, measurements
        record_run(project, facts=facts, noise=noise)
        record = target.store.load()
        assert record.run_id != first_run
        assert [s["state"] for s in signoff.signoff_states(target, record)] == ["valid"]
    # A changed verdict (a fact that decides it) makes it stale, naming the item.
    record_run(project, facts={"1.1": {"file": ".env", "keys_missing": ["SUPABASE_KEY"]}}, noise=4)
    state = signoff.signoff_states(target, target.store.load())[0]
    assert state["state"] == "stale" and "item 1.1 changed" in state["reason"]


def test_check_says_which_sign_offs_a_run_made_stale(ready_project: Path):
    assert run_cli("sign", "--role", ROLE, "--name", "ada", str(ready_project)).returncode == 0
    proc = run_cli("check", str(ready_project), "--only", "1.7")  # no git repository here: 1.7 changes
    assert proc.returncode in (0, 1), proc.stderr
    assert "the sign-off of Technical Lead (ada) is now stale" in proc.stderr and "1.7" in proc.stderr
    proc = run_cli("na", "1.5", str(ready_project), "--reason", "no Pusher", "--by", "bob")
    assert proc.returncode == 0 and "sign-off" not in proc.stderr, "no valid sign-off left to warn about"


def test_later_change_makes_sign_off_stale_and_names_the_item(ready_project: Path):
    target = open_target(ready_project)
    signoff.sign(target, ROLE, "ada")
    decisions.confirm(target, "5.3", "bob", "dashboards seen")
    states = signoff.signoff_states(target, target.store.load())
    assert states[0]["state"] == "stale" and "5.3" in states[0]["reason"]
    signoff.sign(target, "Security Review", "sam")
    states = signoff.signoff_states(target, target.store.load())
    assert [s["state"] for s in states] == ["stale", "valid"], "stale sign-offs are kept, never deleted"
    text = render(build_report(target.checklist, target.store.load(), target.project), "markdown", target.redactor)
    lines = text.splitlines()
    assert any("Technical Lead: ada" in ln and "**stale**" in ln and "5.3" in ln for ln in lines)
    assert any("Security Review: sam" in ln and "**valid**" in ln for ln in lines)


def test_signing_below_ready_needs_an_override_which_is_recorded(tmp_path: Path):
    project = tmp_path / "p"
    project.mkdir()
    record_run(project, failing=("2.5", "2.7", "3.1", "3.3", "3.7", "4.2", "4.7", "7.2"))
    target = open_target(project)
    with pytest.raises(UsageError, match=r"below the `ready` band.*--override"):
        signoff.sign(target, ROLE, "ada")
    proc = run_cli("sign", "--role", ROLE, "--name", "ada", str(project))
    assert proc.returncode == 2 and "--override REASON" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("sign", "--role", ROLE, "--name", "ada", str(project), "--override", "hotfix for outage")
    assert proc.returncode == 0, proc.stderr
    entry = target.store.load().signoffs[0]
    assert entry["override"] == "hotfix for outage" and entry["band"] == "nearly"
    md = run_cli("report", str(project), "--format", "markdown").stdout
    assert "override: hotfix for outage" in md and "89.3% (nearly)" in md


def test_unknown_role_and_missing_name_are_clear_errors(ready_project: Path):
    proc = run_cli("sign", "--role", "Janitor", "--name", "ada", str(ready_project))
    assert proc.returncode == 2 and "unknown role 'Janitor'" in proc.stderr and "Technical Lead" in proc.stderr
    proc = run_cli("sign", "--role", ROLE, "--name", " ", str(ready_project))
    assert proc.returncode == 2 and "a name (--name) is required" in proc.stderr


def test_verify_passes_on_an_intact_report_and_names_tampered_sign_offs(ready_project: Path, tmp_path: Path):
    record_run(ready_project, facts={"4.3": {"pooler": True, "port": 6543}})
    for role, name in ((ROLE, "ada"), ("Operations Manager", "olga")):
        assert run_cli("sign", "--role", role, "--name", name, str(ready_project)).returncode == 0
    report = json_report(ready_project, tmp_path / "r.json")
    assert report["digest"]["value"].startswith("sha256:") and len(report["signoffs"]) == 2
    proc = run_cli("verify", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified: all sign-offs valid" in proc.stdout

    # One status changed.
    tampered = json.loads(json.dumps(report))
    tampered["sections"][2]["items"][6]["status"] = "waived"
    (tmp_path / "t1.json").write_text(json.dumps(tampered, indent=2))
    proc = run_cli("verify", str(tmp_path / "t1.json"))
    assert proc.returncode == 1
    assert "ALTERED" in proc.stdout and "3.7" in proc.stdout
    assert "Technical Lead (ada): invalid" in proc.stdout and "Operations Manager (olga): invalid" in proc.stdout

    # One fact changed (in the file's bytes, not via the parser).
    raw = (tmp_path / "r.json").read_text()
    assert raw.count('"port": 6543') == 1
    (tmp_path / "t2.json").write_text(raw.replace('"port": 6543', '"port": 5432'))
    proc = run_cli("verify", str(tmp_path / "t2.json"))
    assert proc.returncode == 1 and "item 4.3" in proc.stdout
    assert "Technical Lead (ada): invalid" in proc.stdout

    # Evidence and summaries are shown, not signed (docs/signoff.md): editing them is not an alteration.
    assert raw.count('"probe": "checked 4.3"') == 1
    (tmp_path / "t4.json").write_text(raw.replace('"probe": "checked 4.3"', '"probe": "checked 4.4"'))
    assert run_cli("verify", str(tmp_path / "t4.json")).returncode == 0

    # Re-formatting the JSON (whitespace, key order) is not tampering.
    (tmp_path / "t3.json").write_text(json.dumps(report, sort_keys=True))
    assert run_cli("verify", str(tmp_path / "t3.json")).returncode == 0


def test_verify_reports_stale_sign_offs_of_a_later_report(ready_project: Path, tmp_path: Path):
    assert run_cli("sign", "--role", ROLE, "--name", "ada", str(ready_project)).returncode == 0
    assert run_cli("na", "1.5", str(ready_project), "--reason", "no Pusher", "--by", "bob").returncode == 0
    json_report(ready_project, tmp_path / "r.json")
    proc = run_cli("verify", str(tmp_path / "r.json"))
    assert proc.returncode == 1
    assert "report: intact" in proc.stdout and "stale" in proc.stdout and "item 1.5 changed" in proc.stdout
    assert "NOT verified: Technical Lead (ada): stale" in proc.stdout


def test_verify_rejects_bad_input_with_a_message(tmp_path: Path):
    (tmp_path / "bad.json").write_text("{not json")
    proc = run_cli("verify", str(tmp_path / "bad.json"))
    assert proc.returncode == 2 and "not a JSON report" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "other.json").write_text('{"hello": 1}')
    proc = run_cli("verify", str(tmp_path / "other.json"))
    assert proc.returncode == 2 and "no `sections`" in proc.stderr
    (tmp_path / "items.json").write_text('{"sections": [{"items": [1, 2]}]}')
    proc = run_cli("verify", str(tmp_path / "items.json"))
    assert proc.returncode == 2 and "malformed report" in proc.stderr
    proc = run_cli("sign", "--role", ROLE, "--name", "ada", str(tmp_path))
    assert proc.returncode == 2 and "no run recorded" in proc.stderr
    proc = run_cli("verify", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def _keypair(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True,
                   stdin=subprocess.DEVNULL)
    return key


def _allowed(path: Path, principal: str, key: Path) -> Path:
    kind, blob = key.with_suffix(".pub").read_text().split()[:2]
    path.write_text(f"{principal} {kind} {blob}\n")
    return path


def test_ssh_signature_sign_and_verify(ready_project: Path, tmp_path: Path):
    need(shutil.which("ssh-keygen") is not None, "ssh-keygen (Debian: openssh-client)")
    keys = tmp_path / "keys"
    keys.mkdir()
    ada, mallory = _keypair(keys, "ada"), _keypair(keys, "mallory")
    proc = run_cli("sign", "--role", ROLE, "--name", "ada@example.com", str(ready_project), "--ssh-key", str(ada))
    assert proc.returncode == 0 and "with an SSH signature" in proc.stdout, proc.stderr
    proc = run_cli("deployment", "Deployed By", "ada", str(ready_project), "--by", "ada@example.com",
                   "--ssh-key", str(ada))
    assert proc.returncode == 0 and "Deployed By: ada (by ada@example.com" in proc.stdout, proc.stderr
    report = json_report(ready_project, tmp_path / "r.json")
    assert "BEGIN SSH SIGNATURE" in report["signoffs"][0]["signature"]["signature"]

    good = _allowed(tmp_path / "allowed", "ada@example.com", ada)
    proc = run_cli("verify", str(tmp_path / "r.json"), "--allowed-signers", str(good))
    assert proc.returncode == 0, proc.stdout
    assert "SSH signature verified against the allowed signers" in proc.stdout

    wrong = _allowed(tmp_path / "wrong", "ada@example.com", mallory)
    proc = run_cli("verify", str(tmp_path / "r.json"), "--allowed-signers", str(wrong))
    assert proc.returncode == 1 and "SSH signature does not verify" in proc.stdout
    assert "Technical Lead (ada@example.com): invalid" in proc.stdout

    # Rewriting a signed field (and even the digests) is caught by the signature.
    forged = json.loads(json.dumps(report))
    forged["signoffs"][0]["name"] = "eve@example.com"
    forged["signoffs"][0]["signature"]["principal"] = "eve@example.com"
    (tmp_path / "f.json").write_text(json.dumps(forged))
    _allowed(tmp_path / "eve", "eve@example.com", ada)
    proc = run_cli("verify", str(tmp_path / "f.json"), "--allowed-signers", str(tmp_path / "eve"))
    assert proc.returncode == 1 and "does not verify" in proc.stdout


def test_ssh_signature_through_ssh_agent(ready_project: Path, tmp_path: Path):
    need(shutil.which("ssh-agent") is not None and shutil.which("ssh-add") is not None, "ssh-agent")
    keys = tmp_path / "keys"
    keys.mkdir()
    key = _keypair(keys, "olga")
    with ssh_agent(tmp_path) as env:
        add_key(env, key)
        key.unlink()  # only the agent holds the private key now
        proc = run_cli("sign", "--role", "Operations Manager", "--name", "olga", str(ready_project),
                       "--ssh-key", str(key.with_suffix(".pub")), env=env)
        assert proc.returncode == 0, proc.stderr
    json_report(ready_project, tmp_path / "r.json")
    allowed = tmp_path / "allowed"
    kind, blob = key.with_suffix(".pub").read_text().split()[:2]
    allowed.write_text(f"olga {kind} {blob}\n")
    proc = run_cli("verify", str(tmp_path / "r.json"), "--allowed-signers", str(allowed))
    assert proc.returncode == 0, proc.stdout


def test_ssh_name_must_be_a_principal(ready_project: Path, tmp_path: Path):
    proc = run_cli("sign", "--role", ROLE, "--name", "Ada Lovelace", str(ready_project),
                   "--ssh-key", str(tmp_path / "nokey"))
    assert proc.returncode == 2 and "allowed_signers principal" in proc.stderr
    proc = run_cli("sign", "--role", ROLE, "--name", "ada", str(ready_project), "--ssh-key", str(tmp_path / "nokey"))
    assert proc.returncode == 2 and "no such SSH key file" in proc.stderr


_SIGNER = """
import sys, time
from pathlib import Path
from readiness_tui.signoff import sign
from readiness_tui.target import open_target
project, role, name, go = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
target = open_target(project)
deadline = time.monotonic() + 30
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("start signal never came")
for n in range(5):
    sign(target, role, f"{name}{n}")
print("ok")
"""


def test_two_processes_signing_at_once_both_keep_their_sign_offs(ready_project: Path, tmp_path: Path):
    go = tmp_path / "go"
    env = cli_env()
    procs = [subprocess.Popen([sys.executable, "-c", _SIGNER, str(ready_project), role, name, str(go)],
                              env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role, name in ((ROLE, "ada"), ("Operations Manager", "olga"))]
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "ok", err
    target = open_target(ready_project)
    record = target.store.load()
    names = sorted(so["name"] for so in record.signoffs)
    assert names == sorted([f"ada{n}" for n in range(5)] + [f"olga{n}" for n in range(5)])
    assert all(s["state"] == "valid" for s in signoff.signoff_states(target, record))


def test_deployment_fields_recorded_with_who_when_and_state(ready_project: Path, tmp_path: Path):
    target = open_target(ready_project)
    signoff.set_deployment_field(target, "deployment date", "2026-11-26", "ada")
    signoff.set_deployment_field(target, "Deployment Date", "2026-11-27", "ada")
    entry = target.store.load().deployment["Deployment Date"]
    assert entry["value"] == "2026-11-27" and entry["by"] == "ada" and entry["digest"].startswith("sha256:")
    assert [p["value"] for p in entry["previous"]] == ["2026-11-26"], "earlier values are kept"
    with pytest.raises(UsageError, match="unknown deployment field"):
        signoff.set_deployment_field(target, "Weather", "sunny", "ada")
    proc = run_cli("deployment", "Deployed By", cwd=ready_project)
    assert proc.returncode == 2 and "give FIELD and VALUE" in proc.stderr
    proc = run_cli("deployment", "All Systems Operational", "Y", str(ready_project), "--by", "ada")
    assert proc.returncode == 0 and "All Systems Operational: yes (by ada" in proc.stdout
    listing = run_cli("deployment", str(ready_project)).stdout
    assert "Deployment Date: 2026-11-27 (by ada" in listing and "Deployed By: (not recorded)" in listing
    md = run_cli("report", str(ready_project), "--format", "markdown").stdout
    assert "- [x] Deployment Date: 2026-11-27 (recorded by ada" in md and "**valid**" in md
    assert "- [ ] Deployed By: _________________" in md


def test_reports_carry_states_contacts_known_issues_and_junit(ready_project: Path, tmp_path: Path):
    target = open_target(ready_project)
    signoff.sign(target, ROLE, "ada")
    decisions.waive(target, "3.7", "bob", "rate limits at the proxy", "carol", "2021-01-01", today=date(2020, 1, 1))
    decisions.mark_not_applicable(target, "1.5", "bob", "no Pusher")
    md = run_cli("report", str(ready_project), "--format", "markdown").stdout
    assert "- [ ] **3.7**" in md and "waived (expired)" in md
    assert "waived (EXPIRED 2021-01-01) — rate limits at the proxy" in md
    assert "not applicable — no Pusher" in md
    assert "**On-call engineer**: Grace, oncall@example.invalid" in md
    assert "- [x] Technical Lead: ada" not in md and "- [ ] Technical Lead: ada" in md and "**stale**" in md
    assert "- [ ] Operations Manager: _________________" in md
    text = run_cli("report", str(ready_project)).stdout
    assert "Expired waivers (not completed): 3.7 (expired 2021-01-01)" in text
    assert "Signed: Technical Lead: ada at" in text and "— stale" in text
    junit = run_cli("report", str(ready_project), "--format", "junit").stdout
    assert 'name="Sign-off"' in junit and "ada: stale" in junit and 'message="not signed"' in junit


def test_report_without_a_run_is_a_clear_error(tmp_path: Path):
    proc = run_cli("report", str(tmp_path))
    assert proc.returncode == 2 and "no run recorded" in proc.stderr and "readiness check" in proc.stderr


def test_deployment_fields_are_typed_and_the_recorder_is_asked(ready_project: Path):
    d = str(ready_project)
    for field, value, message in (("Deployment Time", "banana", "Deployment Time is a time: HH:MM"),
                                  ("Verification Complete", "maybe?", "Verification Complete is yes or no"),
                                  ("Deployment Date", "26/11/2026", "Deployment Date is a date: YYYY-MM-DD"),
                                  ("Deployment Date", "2026-02-30", "Deployment Date is a date"),
                                  ("Deployed By", "\x1b[31mroot", "a name is one line of printable text")):
        proc = run_cli("deployment", field, value, d, "--by", "ada")
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert "\x1b" not in proc.stderr
    assert open_target(ready_project).store.load().deployment == {}
    # Without --by and without a terminal: refused, never the login name.
    proc = run_cli("deployment", "Deployment Time", "14:05 UTC", d)
    assert proc.returncode == 2 and "--by NAME is required" in proc.stderr
    for value in ("14:05", "14:05:09", "14:05 UTC", "14:05+01:00", "23:59:59Z"):
        assert run_cli("deployment", "Deployment Time", value, d, "--by", "ada").returncode == 0, value
    # At a terminal the recorder is asked for.
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "deployment", "Deployment Date", "2026-11-27", d],
                            stdin=terminal, stdout=subprocess.PIPE, stderr=terminal, env=cli_env(), cwd=REPO)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    while b"Recorded by" not in seen:
        assert time.monotonic() < deadline and proc.poll() is None, seen
        seen += os.read(controller, 1024)
    os.write(controller, b"Grace\n")
    out, _ = proc.communicate(timeout=60)
    os.close(controller)
    assert proc.returncode == 0 and b"Deployment Date: 2026-11-27 (by Grace" in out
    entry = open_target(ready_project).store.load().deployment["Deployment Date"]
    assert entry["by"] == "Grace" and entry["type"] == "date"


def _forge(report: dict, tmp_path: Path, name: str, change) -> Path:
    forged = json.loads(json.dumps(report))
    change(forged)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(forged))
    return path


def _reseal(entry: dict) -> None:
    """What a forger who knows the format does: recompute the entry's seal."""
    entry["seal"] = attestation.seal(entry, "signoff")


def test_every_forgery_of_the_issue_is_rejected_with_allowed_signers(ready_project: Path, tmp_path: Path):
    need(shutil.which("ssh-keygen") is not None, "ssh-keygen (Debian: openssh-client)")
    keys = tmp_path / "keys"
    keys.mkdir()
    ada = _keypair(keys, "ada")
    record_run(ready_project, failing=("2.5", "2.7", "3.1", "3.3", "3.7", "4.2", "4.7", "7.2"))  # 89.3%, nearly
    assert run_cli("sign", "--role", ROLE, "--name", "ada@example.com", str(ready_project),
                   "--ssh-key", str(ada), "--override", "hotfix").returncode == 0
    report = json_report(ready_project, tmp_path / "r.json")
    allowed = _allowed(tmp_path / "allowed", "ada@example.com", ada)

    def verify(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_cli("verify", str(path), "--allowed-signers", str(allowed), *extra)

    genuine = verify(tmp_path / "r.json")
    assert genuine.returncode == 0 and "not signed (no valid sign-off): Operations Manager, Security Review" \
        in genuine.stdout, genuine.stdout

    # 1. The SSH signature deleted.
    def strip(r: dict) -> None:
        del r["signoffs"][0]["signature"]
    proc = verify(_forge(report, tmp_path, "stripped", strip))
    assert proc.returncode == 1 and "not SSH-signed" in proc.stdout and "verified: all" not in proc.stdout

    # 2. An unsigned copy under another role and name (its seal recomputed, as a forger would).
    def copy(r: dict) -> None:
        twin = {k: v for k, v in r["signoffs"][0].items() if k != "signature"}
        twin.update(role="Security Review", name="mallory@example.com")
        _reseal(twin)
        r["signoffs"].append(twin)
    proc = verify(_forge(report, tmp_path, "copy", copy))
    assert proc.returncode == 1 and "Security Review (mallory@example.com): invalid" in proc.stdout
    # Without re-sealing, the copy is caught even without --allowed-signers.
    def copy_unsealed(r: dict) -> None:
        twin = dict(r["signoffs"][0], role="Security Review", name="mallory@example.com")
        r["signoffs"].append(twin)
    proc = run_cli("verify", str(_forge(report, tmp_path, "copy2", copy_unsealed)))
    assert proc.returncode == 1 and "altered: its own fields" in proc.stdout

    # 3. The top-level score edited to 99% `ready` (the items say otherwise).
    proc = verify(_forge(report, tmp_path, "score", lambda r: r["score"].update(percent=99.0, band="ready")))
    assert proc.returncode == 1 and "ALTERED" in proc.stdout
    assert "its score reads 99.0% (ready) but its items score 89.3% (nearly)" in proc.stdout

    # 4. An empty sign-off list: never "verified".
    proc = verify(_forge(report, tmp_path, "empty", lambda r: r.update(signoffs=[])))
    assert proc.returncode == 1 and "no sign-offs: nothing to verify" in proc.stdout
    assert "verified: all" not in proc.stdout

    # 5. A sign-off's own fields edited (score, band, override, time, role), and re-sealed: the signature fails.
    for field, value in (("score", 99.0), ("band", "ready"), ("override", ""), ("at", "2020-01-01"),
                         ("role", "Security Review"), ("name", "eve@example.com")):
        def edit(r: dict, field: str = field, value: object = value) -> None:
            r["signoffs"][0][field] = value
            _reseal(r["signoffs"][0])
        proc = verify(_forge(report, tmp_path, f"edit-{field}", edit))
        assert proc.returncode == 1 and "invalid" in proc.stdout, (field, proc.stdout)

    # 6. A verdict changed and every digest recomputed: the signature covers the digest it signed.
    def rewrite(r: dict) -> None:
        r["sections"][0]["items"][0]["status"] = "waived"
        r["digest"]["value"] = attestation.digest(r)
        r["signoffs"][0]["digest"] = r["digest"]["value"]
        r["signoffs"][0]["items"] = attestation.item_hashes(r)
        _reseal(r["signoffs"][0])
    forged = _forge(report, tmp_path, "rewritten", rewrite)
    proc = verify(forged)
    assert proc.returncode == 1 and "SSH signature does not verify" in proc.stdout
    # What a report without --allowed-signers cannot prove (docs/signoff.md): a forger who recomputes
    # digests and seals (and drops the signature) is not caught by the digest alone.
    def rewrite_unsigned(r: dict) -> None:
        rewrite(r)
        del r["signoffs"][0]["signature"]
    proc = run_cli("verify", str(_forge(report, tmp_path, "rewritten2", rewrite_unsigned)))
    assert proc.returncode == 0 and "detects edits, not forgery" in proc.stdout

    # 7. The roles or bands edited so that fewer roles or a lower score look complete.
    def fewer_roles(r: dict) -> None:
        r["checklist"]["roles"] = [ROLE]
    proc = verify(_forge(report, tmp_path, "roles", fewer_roles), "--require-all")
    assert proc.returncode == 1 and "ALTERED" in proc.stdout
    def lower_bar(r: dict) -> None:
        r["checklist"]["bands"][0]["min"] = 0.0
    assert verify(_forge(report, tmp_path, "bands", lower_bar)).returncode == 1


def test_require_all_names_and_fails_on_missing_roles(ready_project: Path, tmp_path: Path):
    assert run_cli("sign", "--role", ROLE, "--name", "ada", str(ready_project)).returncode == 0
    json_report(ready_project, tmp_path / "one.json")
    proc = run_cli("verify", str(tmp_path / "one.json"))
    assert proc.returncode == 0 and "not signed (no valid sign-off): Operations Manager, Security Review" in proc.stdout
    proc = run_cli("verify", str(tmp_path / "one.json"), "--require-all")
    assert proc.returncode == 1
    assert "no valid sign-off for Operations Manager, Security Review (--require-all)" in proc.stdout
    for role, name in (("Operations Manager", "olga"), ("Security Review", "sam")):
        assert run_cli("sign", "--role", role, "--name", name, str(ready_project)).returncode == 0
    json_report(ready_project, tmp_path / "all.json")
    proc = run_cli("verify", str(tmp_path / "all.json"), "--require-all")
    assert proc.returncode == 0 and "not signed" not in proc.stdout, proc.stdout


def test_reports_list_critical_items_marked_not_applicable(ready_project: Path):
    target = open_target(ready_project)
    critical = [i.id for i in target.checklist.items if i.critical][:2]
    for item_id in critical:
        decisions.mark_not_applicable(target, item_id, "bob", "n/a", approver="carol")
    md = run_cli("report", str(ready_project), "--format", "markdown").stdout
    assert f"**Critical items marked not applicable**: **{critical[0]}**, **{critical[1]}**" in md
    text = run_cli("report", str(ready_project)).stdout
    assert (f"Critical items marked not applicable: {critical[0]} (approved by carol), "
            f"{critical[1]} (approved by carol)") in text
    data = json.loads(run_cli("report", str(ready_project), "--format", "json").stdout)
    assert [entry["id"] for entry in data["critical_not_applicable"]] == critical
