"""Markdown read structurally: sections (ATX, setext and label-then-list headings), fenced blocks,
and whether a section holds a procedure (numbered steps or commands) rather than a mention.

The documentation checks (6.4–6.6, 9.x) decide from sections, not from keywords anywhere in a file:
a heading inside a code block is not a heading, a product feature whose name contains "Recovery"
is not a recovery procedure, a to-do line is not a rollback plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([\w+-]*)")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+\S")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+\S")
NUMBERED_PREFIX = re.compile(r"^\s*\d{1,3}[.)]\s+")
LABEL = re.compile(r"^ {0,3}(?:\*\*|__)?([A-Za-z][^|*_`:#]{1,60}?)(?:\*\*|__)?:?(?:\*\*|__)?[ \t]*$")
LABEL_LEVEL = 7

#: Commands an operator types: the first word of a line in a shell block or an inline code span.
COMMAND = re.compile(
    r"^(?:\$\s*|sudo\s+)?(?:docker(?:-compose)?|kubectl|helm|psql|pg_dump|pg_restore|pg_basebackup|supabase|"
    r"git|pip3?|python3?|py|uv|poetry|pipenv|conda|streamlit|uvicorn|gunicorn|flask|fastapi|alembic|npm|npx|"
    r"yarn|pnpm|node|make|bash|sh|zsh|curl|wget|aws|gcloud|az|heroku|railway|fly|flyctl|render|vercel|"
    r"netlify|systemctl|journalctl|service|cp|mv|ln|rm|mkdir|chmod|tar|gzip|gunzip|rsync|scp|ssh|cd|export|"
    r"source|redis-cli|terraform|ansible|go|cargo|crontab|logrotate|nginx|certbot|openssl|set|\./[\w./-]+|"
    r"[\w-]+\.sh)\b")
SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh", "powershell", "ps1", "cmd", "bat", "terminal", "text"}


@dataclass
class Block:
    """A fenced code block."""

    lang: str
    line: int
    body: list[str]


@dataclass
class Section:
    """A heading and the lines under it, up to the next heading of any level."""

    title: str
    level: int
    line: int
    kind: str
    body: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def deep_body(self) -> list[str]:
        """The lines of this section and its subsections."""
        out = list(self.body)
        for child in self.children:
            out.append(child.title)
            out += child.deep_body()
        return out

    def all_lines(self) -> list[str]:
        """Prose and code of this section and its subsections."""
        return self.deep_body() + [line for block in self.deep_blocks() for line in block.body]

    def deep_blocks(self) -> list[Block]:
        out = list(self.blocks)
        for child in self.children:
            out += child.deep_blocks()
        return out

    def words(self) -> int:
        return sum(len(re.findall(r"\w+", line)) for line in self.deep_body())


@dataclass
class Outline:
    """A parsed document: its sections in order (flat, each with its children) and its fenced blocks."""

    sections: list[Section]
    blocks: list[Block]
    preamble: list[str]

    def headings(self) -> list[str]:
        return [s.title for s in self.sections]

    def find(self, title: re.Pattern[str]) -> list[Section]:
        """The sections whose title matches."""
        return [s for s in self.sections if title.search(s.title)]

    def words(self) -> int:
        return sum(len(re.findall(r"\w+", line)) for line in self.preamble) + sum(
            len(re.findall(r"\w+", " ".join([s.title, *s.body]))) for s in self.sections)


def _is_label(lines: list[str], i: int) -> bool:
    """A short line on its own (after a blank line) that introduces a list: a heading in plain text."""
    line = lines[i]
    m = LABEL.match(line)
    if not m or LIST_ITEM.match(line) or len(m.group(1).split()) > 6:
        return False
    if i > 0 and lines[i - 1].strip():
        return False
    j = i + 1
    if j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and bool(LIST_ITEM.match(lines[j]))


def parse(text: str) -> Outline:
    """Sections and code blocks of a Markdown document (headings inside code blocks are code)."""
    lines = text.splitlines()
    sections: list[Section] = []
    blocks: list[Block] = []
    preamble: list[str] = []
    fence = ""
    block: Block | None = None
    front_matter = bool(lines) and lines[0].strip() == "---"
    i = 0
    while i < len(lines):
        line = lines[i]
        current = sections[-1] if sections else None
        if front_matter:
            if i > 0 and lines[i].strip() in ("---", "..."):
                front_matter = False
            i += 1
            continue
        if fence:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
                block = None
            elif block is not None:
                block.body.append(line)
            i += 1
            continue
        m = FENCE.match(line)
        if m:
            fence = m.group(1)
            block = Block(m.group(2).lower(), i + 1, [])
            blocks.append(block)
            if current is not None:
                current.blocks.append(block)
            i += 1
            continue
        heading: tuple[str, int, str] | None = None
        atx = ATX.match(line)
        if atx:
            heading = ((atx.group(2) or "").strip(), len(atx.group(1)), "atx")
        elif (i + 1 < len(lines) and line.strip() and SETEXT.match(lines[i + 1]) and not LIST_ITEM.match(line)
              and "|" not in line and not (lines[i + 1].strip().startswith("-") and len(lines[i + 1].strip()) < 3)):
            heading = (line.strip(), 1 if lines[i + 1].strip().startswith("=") else 2, "setext")
            i += 1
        elif _is_label(lines, i):
            heading = (LABEL.match(line).group(1).strip(), LABEL_LEVEL, "label")  # type: ignore[union-attr]
        if heading is not None:
            title = re.sub(r"[*_`]+", "", heading[0]).strip()
            sections.append(Section(title, heading[1], i + 1, heading[2]))
        elif current is not None:
            current.body.append(line)
        else:
            preamble.append(line)
        i += 1
    _nest(sections)
    return Outline(sections, blocks, preamble)


def _nest(sections: list[Section]) -> None:
    stack: list[Section] = []
    for s in sections:
        while stack and stack[-1].level >= s.level:
            stack.pop()
        if stack:
            stack[-1].children.append(s)
        stack.append(s)


def is_command(text: str) -> bool:
    """True when a line (or an inline code span) reads as a command an operator runs."""
    return bool(COMMAND.match(text.strip()))


def procedure(section: Section, deep: bool = True) -> str:
    """What makes a section a procedure ('3 numbered steps', 'commands'), or '' when it is not one.

    `deep`: count its subsections too (a "Rollback" heading whose steps sit in subsections)."""
    body = section.deep_body() if deep else section.body
    steps = sum(1 for line in body if NUMBERED.match(line))
    commands = 0
    for block in section.deep_blocks() if deep else section.blocks:
        if block.lang in SHELL_LANGS or block.lang in ("sql", "yaml", "yml", "python", "py"):
            commands += sum(1 for line in block.body if is_command(line) or block.lang == "sql" and line.strip())
    commands += sum(1 for line in body for span in re.findall(r"`([^`]{3,120})`", line) if is_command(span))
    commands += sum(1 for line in body if NUMBERED.match(line) and "`" not in line
                    and is_command(NUMBERED_PREFIX.sub("", line)))
    if steps >= 2 and commands:
        return f"{steps} numbered steps with commands"
    if steps >= 3:
        return f"{steps} numbered steps"
    if commands >= 2:
        return f"{commands} commands"
    return ""


__all__ = ["Block", "Outline", "Section", "is_command", "parse", "procedure"]
