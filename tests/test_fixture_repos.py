"""Our fixture repositories (tests/fixtures/repos) get exactly the verdicts written beside them.

Each reproduces a layout met in real repositories (a sleep-then-rerun poller beside token settings
named "refresh", keyword traps, cache variants, documents where projects really keep them); the
expectations say why. Full agreement is required: one disagreement fails with every line shown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.fixture_repos import disagreements, expectations, names, run_fixture


def test_every_fixture_has_expectations_and_a_tree() -> None:
    assert len(names()) >= 7
    for name in names():
        assert expectations(name), name


@pytest.mark.parametrize("name", names())
def test_fixture_verdicts_agree(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for var in ("CACHE_TTL_SECONDS", "DATABASE_URL", "REDIS_URL", "BACKEND_API_URL", "SUPABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    results = run_fixture(name, tmp_path)
    missed = disagreements(name, results)
    assert not missed, "\n".join(missed)
