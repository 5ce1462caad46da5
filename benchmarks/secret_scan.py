"""Benchmark: readiness-tui's secret scanner against detect-secrets 1.5 on the same repository.

Generates a git repository of ~600 files / ~17 MB (Python and JavaScript code, YAML/TOML/JSON
configuration, Markdown runbooks) with secrets of every rule planted at known lines, plus
placeholders that must not be flagged, then runs in the same script:

- `python -m readiness_tui secrets scan DIR --format json` (a fresh process, start-up included;
  median of three runs),
- `detect-secrets scan --all-files` (1.5, in the repository),

and prints both wall times, the ratio, recall (planted secrets found, by file and line) and false
positives (reported lines holding no planted secret; placeholders counted separately).
Target (issue 3): ratio >= 10, our recall >= detect-secrets', zero placeholders flagged.

Usage: python benchmarks/secret_scan.py [--files 600] [--mb 17] [--keep DIR] [--detect-secrets PATH]
       [--code-from DIR]   (real Python files, e.g. a venv's site-packages, instead of generated code)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

ALNUM = string.ascii_letters + string.digits


def rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def jwt(rng: random.Random, role: str) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = {"iss": "supabase", "ref": rand(rng, 20, string.ascii_lowercase), "role": role,
               "iat": 1700000000 + rng.randrange(10**6), "exp": 2000000000}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{rand(rng, 43, ALNUM + '-_')}"


def private_key(rng: random.Random) -> str:
    body = "\n".join(rand(rng, 64, ALNUM + "+/") for _ in range(6))
    return "-----BEGIN " + "RSA PRIVATE KEY-----\n" + body + "\n-----END " + "RSA PRIVATE KEY-----"


# Each secret kind: (expected rule, value generator). Literal prefixes are split so that this
# file itself holds no token a scanner would flag.
KINDS = {
    "supabase-service-role-jwt": lambda r: jwt(r, "service_role"),
    "supabase-anon-jwt": lambda r: jwt(r, "anon"),
    "supabase-secret-key": lambda r: "sb_" + "secret_" + rand(r, 32),
    "aws-access-key": lambda r: "AK" + "IA" + rand(r, 16, string.ascii_uppercase + string.digits),
    "private-key": private_key,
    "slack-token": lambda r: "xo" + "xb-" + rand(r, 12, string.digits) + "-" + rand(r, 13, string.digits)
    + "-" + rand(r, 24),
    "slack-webhook": lambda r: "https://hooks.slack" + ".com/services/T" + rand(r, 8, string.ascii_uppercase)
    + "/B" + rand(r, 8, string.ascii_uppercase) + "/" + rand(r, 24),
    "stripe-key": lambda r: "sk_" + "live_" + rand(r, 24),
    "sendgrid-key": lambda r: "S" + "G." + rand(r, 22) + "." + rand(r, 43),
    "twilio-key": lambda r: "S" + "K" + rand(r, 32, "0123456789abcdef"),
    "openai-key": lambda r: "sk" + "-" + rand(r, 20) + "T3Blbk" + "FJ" + rand(r, 20),
    "github-token": lambda r: "gh" + "p_" + rand(r, 36),
    "url-password": lambda r: rand(r, 14),
    "generic-secret": lambda r: rand(r, 32, ALNUM + "!#+"),
}

NAMES = {
    "supabase-service-role-jwt": "SUPABASE_SERVICE_KEY", "supabase-anon-jwt": "SUPABASE_ANON",
    "supabase-secret-key": "SUPABASE_ADMIN", "aws-access-key": "AWS_ACCESS_KEY_ID",
    "slack-token": "SLACK_BOT", "slack-webhook": "SLACK_WEBHOOK_URL", "stripe-key": "STRIPE_KEY",
    "sendgrid-key": "SENDGRID", "twilio-key": "TWILIO_SID_KEY", "openai-key": "OPENAI",
    "github-token": "GH_DEPLOY", "generic-secret": "SECRET_KEY",
}

PLACEHOLDERS = [
    'SUPABASE_KEY = "your-anon-public-key"',
    'password = "changeme"',
    'api_key: "<your-api-key>"',
    "SECRET_KEY=${SECRET_KEY}",
    'token = "xxxxxxxxxxxxxxxxxxxxxxxx"',
    "AWS_ACCESS_KEY_ID=" + "AKIAIOSF" + "ODNN7EXAMPLE",
    "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "DATABASE_URL=postgresql://crm:${DB_PASSWORD}@db.internal:5432/crm",
    "REDIS_URL=redis://default:<password>@redis.internal:6379/0",
    'db_password = os.getenv("DB_PASSWORD")',
    "client_secret: your-client-secret-here",
    '"stripe_secret": "sk_' + 'live_xxxxxxxxxxxxxxxxxxxxxxxx"',
    "PUSHER_APP_SECRET=<pusher-secret>",
    "SUPABASE_SERVICE_KEY=your-service-role-key",
]

WORDS = ("lead customer roof estimate invoice inspection crew schedule region status score temperature "
         "pipeline dashboard cache refresh export report contact address storm damage claim adjuster quote "
         "warranty material shingle gutter metric latency retry backoff queue worker handler payload").split()


def ident(rng: random.Random) -> str:
    return "_".join(rng.sample(WORDS, 2))


def filler_pool(rng: random.Random, kind: str, n: int = 1500) -> list[str]:
    """Ordinary lines of one file kind, with a few realistic distractors (hashes, UUIDs, counters)."""
    lines: list[str] = []
    for _ in range(n):
        a, b, c = ident(rng), ident(rng), ident(rng)
        # About one line in a hundred is a hash, UUID or digest (a distractor for entropy rules).
        plain = rng.random() >= 0.01
        num = rng.randrange(10**6)
        if kind == "py":
            choice = rng.randrange(8) if plain else rng.randrange(8, 12)
            lines.append([
                f"def {a}({b}, {c}=None):", f"    {a} = {b}.get('{c}', {num})",
                f"    logger.info('processing %s for {a}', {b})", f"    return compute_{a}({b}) + {num}",
                f"# {' '.join(rng.sample(WORDS, 8))}", f"class {a.title().replace('_', '')}Service:",
                f"    if {a} is None or {b} > {num}:", f"        raise ValueError('invalid {c}')",
                f"token_count = len({a}_tokens)", f"    checksum = '{rand(rng, 64, '0123456789abcdef')}'",
                f"    request_id = '{rand(rng, 8, 'abcdef0123456789')}-{rand(rng, 4, 'abcdef0123456789')}'",
                f"    password_field = form.fields['{c}']",
            ][choice])
        elif kind == "js":
            choice = rng.randrange(6) if plain else rng.randrange(6, 8)
            lines.append([
                f"export function {a}({b}, {c}) {{", f"  const {a} = await fetch(`/api/{c}/${{{b}}}`);",
                f"  if (!{a}.ok) throw new Error('{c} failed');", f"  return {b}.map((x) => x.{c} * {num});",
                "}", f"// {' '.join(rng.sample(WORDS, 8))}",
                f"  const commit = '{rand(rng, 40, '0123456789abcdef')}';", f"  let {a}Count = {num};",
            ][choice])
        elif kind in ("yml", "toml"):
            sep = ": " if kind == "yml" else " = "
            choice = rng.randrange(4) if plain else rng.randrange(4, 6)
            lines.append([
                f"{a}{sep}{num}", f"{b}{sep}\"{' '.join(rng.sample(WORDS, 3))}\"", f"# {' '.join(rng.sample(WORDS, 7))}",
                f"{c}_enabled{sep}true", f"image_digest{sep}\"sha256:{rand(rng, 64, '0123456789abcdef')}\"",
                f"{a}_timeout_seconds{sep}{rng.randrange(300)}",
            ][choice])
        elif kind == "json":
            choice = rng.randrange(2) if plain else rng.randrange(2, 4)
            lines.append([
                f'  "{a}": {num},', f'  "{b}": "{" ".join(rng.sample(WORDS, 3))}",',
                f'  "id": "{rand(rng, 8, "0123456789abcdef")}-{rand(rng, 4, "0123456789abcdef")}-4{rand(rng, 3, "0123456789abcdef")}",',
                f'  "integrity": "sha512-{rand(rng, 86, ALNUM + "+/")}==",',
            ][choice])
        else:
            choice = rng.randrange(6) if plain else 6
            lines.append([
                # Runbook prose: one paragraph per line, as Markdown is usually written.
                ". ".join(" ".join(rng.choices(WORDS, k=12)).capitalize() for _ in range(rng.randrange(4, 12))) + ".",
                f"## {' '.join(rng.sample(WORDS, 3)).title()}",
                f"- Check the {a} before the {b}; the token expires after {rng.randrange(60)} minutes.",
                f"Run `./deploy-production.sh {c}` and watch the logs.",
                "Rotate the password and the API secret every quarter.", "",
                f"Fixed in commit {rand(rng, 40, '0123456789abcdef')}.",
            ][choice])
    return lines


def secret_lines(rng: random.Random, rule: str, kind: str, value: str) -> list[str]:
    """The line(s) planting `value` in a file of this kind; the first line holds the secret."""
    if rule == "private-key":
        if kind == "md":
            return ["```", *value.splitlines(), "```"]
        if kind == "py":
            return ['DEPLOY_KEY = """' + value.splitlines()[0], *value.splitlines()[1:], '"""']
        lines = value.splitlines()
        return [f"deploy_key: |\n  {lines[0]}", *("  " + ln for ln in lines[1:])] if kind == "yml" else \
            [f"# key\n{lines[0]}", *lines[1:]]
    if rule == "url-password":
        url = f"postgresql://crm_admin:{value}@db-{rand(rng, 6, string.ascii_lowercase)}.internal:5432/crm"
        return {"py": [f'DATABASE_URL = "{url}"'], "js": [f"const dbUrl = '{url}';"],
                "yml": [f"database_url: {url}"], "toml": [f'database_url = "{url}"'],
                "json": [f'  "database_url": "{url}",'], "md": [f"Connect with `psql {url}` from the bastion."]}[kind]
    name = NAMES[rule]
    if kind == "md":
        return [f"export {name}={value}" if rule == "generic-secret" or rng.random() < 0.5 else f"The key is {value} for the {ident(rng)} job."]
    return {"py": [f'{name} = "{value}"'], "js": [f"const {name.lower()} = '{value}';"],
            "yml": [f"{name.lower()}: {value}"], "toml": [f'{name.lower()} = "{value}"'],
            "json": [f'  "{name.lower()}": "{value}",']}[kind]


def real_sources(directory: Path, low: float, high: float) -> list[Path]:
    """Python files of a real source tree (e.g. a site-packages) sized between low and high bytes."""
    out = []
    for path in sorted(directory.rglob("*.py")):
        try:
            size = path.stat().st_size
            if low <= size <= high:
                path.read_text("utf-8")
                out.append(path)
        except (OSError, UnicodeDecodeError):
            continue
    return out


def generate(root: Path, n_files: int, total_mb: float, seed: int = 7,
             code_from: Path | None = None) -> tuple[dict, dict]:
    """Write the repository; return (planted {(file, line): rule}, placeholders {(file, line): text}).

    With `code_from`, the Python files are real ones copied from that tree (planted lines added)
    instead of generated code.
    """
    rng = random.Random(seed)
    kinds = ["py"] * 35 + ["js"] * 15 + ["yml"] * 10 + ["toml"] * 5 + ["json"] * 5 + ["md"] * 30
    pools = {k: filler_pool(rng, k) for k in sorted(set(kinds))}
    target_bytes = total_mb * 1_000_000
    avg = target_bytes / n_files
    planted: dict[tuple[str, int], str] = {}
    placeholders: dict[tuple[str, int], str] = {}
    real = real_sources(code_from, 0.2 * avg, 1.8 * avg) if code_from else []
    rng.shuffle(real)
    rules = list(KINDS)
    plan_secrets = [rules[i % len(rules)] for i in range(len(rules) * 10)]
    rng.shuffle(plan_secrets)
    for index in range(n_files):
        kind = kinds[index % len(kinds)]
        folder = {"py": "backend/app", "js": "frontend/src", "yml": "deploy", "toml": "config",
                  "json": "config", "md": "docs"}[kind]
        rel = f"{folder}/{ident(rng)}_{index}.{kind}"
        size = rng.uniform(0.2, 1.8) * avg
        body: list[str] = []
        length = 0
        pool = pools[kind]
        inserts: list[tuple[str, str | None]] = []
        if index < len(plan_secrets):
            inserts.append(("secret", plan_secrets[index]))
        if index % 7 == 3:
            inserts.append(("placeholder", None))
        if kind == "py" and real:
            body = real.pop().read_text("utf-8").split("\n")
            length = size
        while length < size:
            chunk = rng.choices(pool, k=50)
            body.extend(chunk)
            length += sum(len(c) + 1 for c in chunk)
        for what, rule in inserts:
            at = rng.randrange(len(body))
            if what == "secret":
                assert rule is not None
                lines = "\n".join(secret_lines(rng, rule, kind, KINDS[rule](rng))).split("\n")
                body[at:at] = lines
                marker = next(ln for ln in lines if _holds(rule, ln))
                planted[(rel, at + 1)] = (rule, marker)
            else:
                text = rng.choice(PLACEHOLDERS)
                body.insert(at, text)
                placeholders[(rel, at + 1)] = text
        # Inserting later lines shifts earlier records: recompute line numbers from the content.
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(body) + "\n")
    return _relocate(root, planted, placeholders)


def _holds(rule: str, line: str) -> bool:
    if rule == "private-key":
        return "PRIVATE KEY-----" in line and "END" not in line
    return True


def _relocate(root: Path, planted: dict, placeholders: dict) -> tuple[dict, dict]:
    """Line numbers move when two inserts land in one file: find each inserted line again."""
    by_file: dict[str, list[str]] = {}
    for rel, _ in list(planted) + list(placeholders):
        if rel not in by_file:
            by_file[rel] = (root / rel).read_text().split("\n")
    new_planted = {(rel, by_file[rel].index(marker) + 1): rule for (rel, _), (rule, marker) in planted.items()}
    new_ph = {(rel, by_file[rel].index(text) + 1): text for (rel, _), text in placeholders.items()}
    return new_planted, new_ph


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def run_ours(root: Path) -> tuple[float, set[tuple[str, int]]]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "readiness_tui", "secrets", "scan", str(root), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=REPO)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"readiness secrets scan failed: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    return elapsed, {(f["file"], f["line"]) for f in data["findings"]}


def run_detect_secrets(root: Path, exe: str) -> tuple[float, set[tuple[str, int]]]:
    started = time.perf_counter()
    proc = subprocess.run([exe, "scan", "--all-files"], capture_output=True, text=True, cwd=root)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr.strip()[:300]}")
    data = json.loads(proc.stdout)
    found = set()
    for file, items in data.get("results", {}).items():
        for item in items:
            found.add((file, int(item["line_number"])))
    return elapsed, found


def score(found: set, planted: dict, placeholders: dict) -> dict:
    hits = {k for k in planted if k in found}
    ph = {k for k in placeholders if k in found}
    false = {k for k in found if k not in planted and k not in placeholders}
    missed_rules: dict[str, int] = {}
    for k, rule in planted.items():
        if k not in found:
            missed_rules[rule] = missed_rules.get(rule, 0) + 1
    return {"recall": len(hits) / len(planted), "found": len(hits), "placeholders": len(ph),
            "false_positives": len(false), "missed": missed_rules}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--mb", type=float, default=17.0)
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument("--code-from", metavar="DIR", type=Path,
                        help="use real Python files from DIR (e.g. a site-packages) as the code files")
    parser.add_argument("--detect-secrets", metavar="PATH",
                        default=shutil.which("detect-secrets") or str(Path(sys.executable).parent / "detect-secrets"))
    args = parser.parse_args()
    if not Path(args.detect_secrets).exists() and not shutil.which(args.detect_secrets):
        print(f"detect-secrets not found at {args.detect_secrets} (pip install detect-secrets==1.5.0)",
              file=sys.stderr)
        return 2
    tmp = None
    if args.keep:
        root = Path(args.keep)
        root.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="secret-bench-")
        root = Path(tmp.name)
    try:
        planted, placeholders = generate(root, args.files, args.mb, code_from=args.code_from)
        git(root, "init", "-q")
        git(root, "add", "-A")
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
        print(f"repository: {files} files, {size / 1e6:.1f} MB; planted {len(planted)} secrets "
              f"({len(KINDS)} rules), {len(placeholders)} placeholders")
        # Ours is timed three times (median): a fresh process each time, start-up included.
        runs = [run_ours(root) for _ in range(3)]
        ours_t, ours = sorted(runs, key=lambda r: r[0])[1]
        ds_t, ds = run_detect_secrets(root, args.detect_secrets)
        mine, theirs = score(ours, planted, placeholders), score(ds, planted, placeholders)
        for name, t, s in (("readiness secrets scan", ours_t, mine), ("detect-secrets 1.5  ", ds_t, theirs)):
            print(f"{name}: {t:7.2f} s  recall {s['recall']:.1%} ({s['found']}/{len(planted)})  "
                  f"false positives {s['false_positives']}  placeholders flagged {s['placeholders']}")
            if s["missed"]:
                print(f"    missed: {', '.join(f'{k}×{v}' for k, v in sorted(s['missed'].items()))}")
        ratio = ds_t / ours_t
        print(f"ratio: {ratio:.1f}x faster (target >= 10x)")
        ok = ratio >= 10 and mine["recall"] >= theirs["recall"] and mine["placeholders"] == 0
        print("target met" if ok else "TARGET NOT MET")
        return 0 if ok else 1
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
