"""Plant secrets of every rule, run every command that sees them, grep every output for the values."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from fixtures.projects import git, make_good_project, service_key
from fixtures.sec import planted_secrets

ITEMS = "1,3.2,3.4,3.5,3.8"


def test_no_output_contains_a_planted_secret(tmp_path):
    repo = tmp_path / "repo"
    front = make_good_project(repo)
    secrets = planted_secrets(seed=77)
    (repo / "backend").mkdir()
    (repo / "backend" / "settings.py").write_text("\n".join(s.line for s in secrets[::2]) + "\n")
    (repo / "docs" / "LEAKY_RUNBOOK.md").write_text("\n".join(s.line for s in secrets[1::2]) + "\n")
    (front / ".streamlit" / "config.toml").write_text(
        "# frontend settings\n[server]\nenableXsrfProtection = false  # off for the demo\n")
    env_secret = "Pa55-" + "q8Wz3rT7vY1uK9mN"
    service = service_key()
    with open(front / ".env", "a") as handle:
        handle.write(f"PUSHER_APP_SECRET={env_secret}\nSUPABASE_SERVICE_KEY={service}\n")
    with open(front / ".env.example", "a") as handle:
        handle.write(f"PUSHER_APP_SECRET={env_secret}\n")  # not rotated: 3.5 must name the key only
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "leaks")

    outputs: dict[str, str] = {}
    for fmt in ("text", "json", "markdown", "junit"):
        report = tmp_path / f"report.{fmt}"
        proc = run_cli("check", str(front), "--only", ITEMS, "--format", fmt, "--output", str(report), "-q")
        assert proc.returncode in (0, 1), proc.stderr
        outputs[f"report {fmt}"] = report.read_text()
        outputs[f"check {fmt} stdout"] = proc.stdout
        outputs[f"check {fmt} stderr"] = proc.stderr
    proc = run_cli("check", str(front), "--only", ITEMS)
    outputs["check stdout"], outputs["check stderr"] = proc.stdout, proc.stderr
    for args in (("secrets", "scan", str(front)), ("secrets", "scan", str(front), "--format", "json"),
                 ("secrets", "baseline", str(front)), ("secrets", "scan", str(repo), "--no-baseline"),
                 ("fix", "3.2", str(front)), ("fix", "3.2", str(front), "--yes"), ("fix", "1.7", str(front)),
                 ("fix", "3.5", str(front))):
        proc = run_cli(*args)
        outputs[" ".join(args[:2]) + " stdout"] = proc.stdout
        outputs[" ".join(args[:2]) + " stderr"] = proc.stderr
    state = front / ".readiness"
    for path in sorted(p for p in state.rglob("*") if p.is_file()):
        outputs[str(path.relative_to(front))] = path.read_text(errors="replace")

    # The commands did see the secrets (so the grep below means something).
    assert "hardcoded secret(s)" in outputs["report json"]
    assert "supabase-service-role-jwt" in outputs["report markdown"]
    assert "PUSHER_APP_SECRET equals" in outputs["report json"]
    assert "item 3.2 now:" in outputs["fix 3.2 stdout"] and "XSRF protection on" in outputs["fix 3.2 stdout"]
    assert any(k.startswith(".readiness/run.json") for k in outputs)
    assert any("secrets-baseline.json" in k for k in outputs)

    values = [s.value for s in secrets] + [env_secret, service]
    for name, text in outputs.items():
        for value in values:
            assert value not in text, f"a secret leaked into {name}"
            assert value[4:24] not in text, f"part of a secret leaked into {name}"
    assert Path(front / ".env").read_text().count(env_secret) == 1
