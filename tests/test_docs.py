"""The README is a front page and the docs hold together: sizes, links, anchors, the command table."""

from __future__ import annotations

import argparse
import re
from dataclasses import fields
from functools import cache
from pathlib import Path

import pytest
from conftest import REPO

from readiness_tui import settings as settings_module
from readiness_tui.cli import build_parser

pytestmark = pytest.mark.fast

README = REPO / "README.md"
DOCS = REPO / "docs"
#: Docs written by a command rather than by hand; a link to one resolves to what the command writes.
GENERATED = {DOCS / "checks.md"}

_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _generated_text(path: Path) -> str:
    from readiness_tui.checkapi import registry
    from readiness_tui.checklist import load_checklist
    from readiness_tui.refdoc import checks_markdown

    assert path == DOCS / "checks.md", path
    return checks_markdown(load_checklist(), registry())


@cache
def _text(path: Path) -> str:
    if path in GENERATED and not path.is_file():
        return _generated_text(path)
    return path.read_text(encoding="utf-8")


def _exists(path: Path) -> bool:
    return path.exists() or path in GENERATED


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _prose_lines(_text(path)):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return frozenset(out)


def links(path: Path) -> list[str]:
    targets = []
    for line in _prose_lines(_text(path)):
        line = re.sub(r"`[^`]*`", "", line)
        targets += _LINK.findall(line)
    return targets


def test_readme_is_a_front_page_of_at_most_10_kib():
    size = len(README.read_bytes())
    assert size <= 10_240, f"README.md is {size} bytes; move reference material to docs/"


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_and_anchors_resolve(path: Path):
    broken = []
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not _exists(linked):
            broken.append(f"{target}: no such file")
            continue
        if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(REPO)}")
    assert broken == []


def test_links_are_found_and_anchors_follow_github_slugs():
    assert "docs/wizard-section.svg" in links(README)
    assert slug("`[commands]`: the project's own commands") == "commands-the-projects-own-commands"
    assert slug("Data rules (`[[data_rules]]`, items 7.2–7.6)") == "data-rules-data_rules-items-7276"
    assert "the-digest-specification" in anchors(DOCS / "signoff.md")


def test_readme_names_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert "scripts/demo" in text and "scripts/test" in text


def _subcommands() -> set[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def test_every_subcommand_is_in_the_readme_command_table():
    text = README.read_text(encoding="utf-8")
    table = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `readiness ")]
    listed = {row.split("`readiness ", 1)[1].split()[0].strip("`") for row in rows}
    assert len(_subcommands()) >= 15
    assert _subcommands() - listed == set()


def test_the_docs_index_links_every_doc():
    linked = {(DOCS / t.partition("#")[0]).resolve() for t in links(DOCS / "README.md")}
    pages = {p.resolve() for p in DOCS.glob("*.md") if p.name != "README.md"} | GENERATED
    assert pages - linked == set()


def test_every_target_setting_is_documented_in_configuration():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    keys = {f.name for f in fields(settings_module.Settings)} - settings_module._SKIP
    assert "backend_url" in keys
    assert {k for k in keys if f"`{k}`" not in text} == set()


def test_the_digest_specification_has_one_copy():
    marker = '"items": [{"id", "status", "facts", "decision", "waiver_expired"}'
    holders = [p.relative_to(REPO).as_posix() for p in [*_markdown_files(), *REPO.glob("readiness_tui/**/*.py")]
               if p.is_file() and marker in p.read_text(encoding="utf-8")]
    assert holders == ["docs/signoff.md"]


def test_code_points_to_docs_in_the_repository():
    outside = re.compile(r"\b(?:DOMAIN|PRODUCT|STYLE)\.md\b|\.\./shared|\(README[,:]")
    offenders = []
    for folder in ("readiness_tui", "checks", "screens", "tests", "scripts", "benchmarks"):
        for path in sorted((REPO / folder).rglob("*")):
            if not path.is_file() or path.suffix in (".svg", ".pyc") or path.name == "test_docs.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if outside.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []
