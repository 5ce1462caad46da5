"""The fixture corpus: every verdict each fixture repository decides must agree with its expectations.

The repositories (tests/fixtures/repos/) reproduce layouts of real projects of this stack: a monorepo
with the Streamlit app in a subfolder and CLI flags in its Dockerfile, compose with Postgres and Redis,
Streamlit over PostgREST, FastAPI + Supabase with settings-driven CORS, CORS wildcard with credentials
and its strict twin, a rotating log handler, a Streamlit Cloud app, a launcher script with a config
template, FastAPI over SQLite. `benchmarks/accuracy.py` prints the same agreement per repository.
"""

from __future__ import annotations

import pytest
from fixtures.corpus import disagreements, load_corpus, materialise, run_checks

CORPUS = load_corpus()


def test_the_corpus_is_big_enough_to_mean_something():
    assert len(CORPUS) >= 8
    assert sum(len(r.expectations) for r in CORPUS) >= 120
    statuses = {s for r in CORPUS for e in r.expectations.values() for s in e.expected}
    assert {"pass", "warn", "fail", "error", "not_applicable"} <= statuses


@pytest.mark.parametrize("repo", CORPUS, ids=[r.name for r in CORPUS])
def test_every_decided_verdict_agrees(repo, tmp_path):
    root = materialise(repo, tmp_path / repo.name)
    results = run_checks(root, sorted(repo.expectations))
    assert disagreements(repo, results) == []
