"""The project's text files, read once per run and shared by the documentation and config checks."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from readiness_tui import gitutil
from readiness_tui.checkapi import CheckContext

TEXT_EXT = {
    ".md", ".markdown", ".rst", ".txt", ".py", ".toml", ".yml", ".yaml", ".json", ".ini", ".cfg", ".conf",
    ".sh", ".env", ".sql", ".js", ".ts", ".html", ".mmd", ".puml", ".example",
}
TEXT_NAMES = {"dockerfile", "makefile", "procfile", "crontab", ".env"}
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".readiness", "dist", "build", ".tox", "site-packages"}
MAX_FILE = 512 * 1024
MAX_FILES = 4000
MAX_TOTAL = 40 * 1024 * 1024
_LOCK = threading.Lock()


@dataclass
class Doc:
    """One text file of the project: path relative to the base, and its text."""

    rel: str
    path: Path
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def base_dir(ctx: CheckContext) -> Path:
    """The repository root when there is one, else the project directory."""
    return ctx.settings.repo_root or ctx.settings.project_dir


def _candidates(base: Path) -> list[str]:
    tracked = gitutil.tracked_files(base) if (base / ".git").exists() else []
    if tracked:
        return tracked
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            found.append(os.path.relpath(os.path.join(dirpath, name), base))
            if len(found) >= MAX_FILES * 4:
                return found
    return found


def corpus(ctx: CheckContext) -> list[Doc]:
    """Text files of the repository (tracked files, or a bounded walk without git), read once per run."""
    with _LOCK:
        cached = ctx.shared.get("corpus")
        if cached is not None:
            return cached
        base = base_dir(ctx)
        docs: list[Doc] = []
        total = 0
        for rel in _candidates(base):
            p = Path(rel)
            if any(part in SKIP_DIRS for part in p.parts):
                continue
            if p.suffix.lower() not in TEXT_EXT and p.name.lower() not in TEXT_NAMES and not p.name.startswith(".env"):
                continue
            path = base / rel
            try:
                if not path.is_file() or path.stat().st_size > MAX_FILE:
                    continue
                raw = path.read_bytes()
            except OSError:
                continue
            if b"\0" in raw[:4096]:
                continue
            docs.append(Doc(p.as_posix(), path, raw.decode("utf-8", "replace")))
            total += len(raw)
            if len(docs) >= MAX_FILES or total >= MAX_TOTAL:
                break
        ctx.shared["corpus"] = docs
        return docs


def markdown(ctx: CheckContext) -> list[Doc]:
    """The documentation files (Markdown, reStructuredText, text)."""
    return [d for d in corpus(ctx) if Path(d.rel).suffix.lower() in (".md", ".markdown", ".rst", ".txt")]
