"""The checks reference in docs/ is generated from the checklist and the checks: it is never stale."""

from __future__ import annotations

import pytest
from conftest import REPO

from readiness_tui.checkapi import registry
from readiness_tui.checklist import load_checklist
from readiness_tui.refdoc import checks_markdown, checks_text

pytestmark = pytest.mark.fast


def test_docs_checks_md_is_the_generated_reference():
    expected = checks_markdown(load_checklist(), registry())
    assert (REPO / "docs" / "checks.md").read_text(encoding="utf-8") == expected, (
        "docs/checks.md is stale: run `.venv/bin/readiness checks --format markdown > docs/checks.md`")


def test_every_check_and_parameter_is_documented():
    reg = registry()
    text = checks_markdown(load_checklist(), reg)
    for spec in reg:
        assert f"### {spec.name}\n" in text
        assert spec.description.strip(), spec.name
        for name, param in spec.params.items():
            assert param.doc.strip(), f"{spec.name}: parameter {name} has no doc"
            assert f"| `{name}` |" in text
    listing = checks_text(load_checklist(), reg)
    assert "env.dotenv  (items 1.1)" in listing
