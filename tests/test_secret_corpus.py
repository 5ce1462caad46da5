"""The secret scanner on its labelled corpus: recall, precision, severities, public keys.

The corpus (tests/fixtures/secret_corpus.py) plants secrets of many kinds where real ones leak and
decoys where scanners cry wolf; `benchmarks/secret_scan.py` runs the same corpus, larger, beside
detect-secrets. Here one copy is scanned in-process: the figures must hold on every build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures import secret_corpus as sc

from readiness_tui import scanner

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[sc.Corpus, scanner.ScanResult]:
    root = tmp_path_factory.mktemp("corpus") / "repo"
    built = sc.build(root, seed=12)
    return built, scanner.scan(root)


def test_the_corpus_is_as_large_and_varied_as_promised(corpus) -> None:
    built, result = corpus
    assert len(built.of(sc.SECRET)) >= 300
    assert len(built.of(sc.DECOY)) >= 300
    assert len({lb.kind for lb in built.of(sc.SECRET)}) >= 20
    assert result.source == "git" and result.files_scanned == built.files + 1  # + .gitignore
    assert result.known_values_from == [".env"]


def test_recall_and_precision_on_the_corpus(corpus) -> None:
    built, result = corpus
    reported = {(f.file, f.line) for f in result.findings if f.severity != "info"}
    score = sc.score(built, reported)
    assert score.recall >= 0.98, score.missed
    assert score.precision >= 0.95, score.false_by_kind
    assert score.decoys_flagged <= len(built.of(sc.DECOY)) * 0.02, score.false_by_kind


def test_each_planted_secret_has_the_rule_and_severity_of_what_it_is(corpus) -> None:
    built, result = corpus
    by_line = {(f.file, f.line): f for f in result.findings}
    found = [(lb, by_line[(lb.file, lb.line)]) for lb in built.of(sc.SECRET) if (lb.file, lb.line) in by_line]
    wrong = [(lb.kind, lb.rule, lb.severity, f.rule, f.severity) for lb, f in found
             if (f.rule, f.severity) != (lb.rule, lb.severity)]
    assert not wrong
    severities = {lb.kind: lb.severity for lb, _ in found}
    assert severities["supabase_service_role"] == severities["supabase_secret"] == "critical"
    assert severities["stripe_live"] == severities["aws_secret"] == severities["gcp_service_account"] == "critical"
    assert severities["django_secret"] == severities["twilio_auth_token"] == severities["render_key"] == "high"
    assert severities["cloudflare_token"] == "high"


def test_public_keys_are_informational_and_decoys_silent(corpus) -> None:
    built, result = corpus
    by_line = {(f.file, f.line): f for f in result.findings}
    for lb in built.of(sc.PUBLIC):
        assert by_line[(lb.file, lb.line)].severity == "info", lb
    for lb in built.of(sc.DECOY):
        finding = by_line.get((lb.file, lb.line))
        assert finding is None or finding.severity == "info", (lb, finding)


def test_compose_password_equal_to_the_env_one_is_found_only_through_the_env(corpus, tmp_path: Path) -> None:
    """The planted compose password is low in entropy: only the untracked .env says it is real."""
    built, result = corpus
    copies = [lb for lb in built.of(sc.SECRET) if lb.kind == "env_copy"]
    assert copies
    rules = {(f.file, f.line): f.rule for f in result.findings}
    assert all(rules[(lb.file, lb.line)] == "env-value-copy" for lb in copies)
    without = scanner.scan(built.root, known_from=[])
    lines = {(f.file, f.line) for f in without.findings}
    assert not any((lb.file, lb.line) in lines for lb in copies if lb.file.endswith("docker-compose.yml"))


def test_findings_never_hold_the_planted_values(corpus) -> None:
    built, result = corpus
    text = repr(result.to_dict())
    for lb in built.of(sc.SECRET)[:60]:
        line = (built.root / lb.file).read_text().splitlines()[lb.line - 1]
        longest = max(line.replace('"', " ").replace("'", " ").replace("`", " ").split(), key=len)
        assert longest[6:] not in text
