"""Neutralising text that comes from outside (people, servers, file names) on its way out.

Every string a person typed (notes, names, reasons), a server answered (headers, JSON keys, bodies)
or a file system named reaches a terminal, a screen or a report through one of these functions, so
that it can neither drive the terminal (ESC/OSC sequences), hide or reorder text (bidi controls),
forge structure (a newline that opens a heading or a "Signed:" line), nor break a format (XML).

Control characters are made visible, never dropped: `\\x1b`, `\\n`, `\\u202e`, so what was sent can
still be read. The Textual side (markup escaping) is in the screens, on top of `visible`.
"""

from __future__ import annotations

import re

#: Format characters that are part of ordinary text (emoji sequences), kept as they are.
_KEEP_FORMAT = {"\u200d"}
_CACHE: dict[str, str] = {}


def _escape(ch: str) -> str:
    cached = _CACHE.get(ch)
    if cached is None:
        code = ord(ch)
        named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
        cached = named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        _CACHE[ch] = cached
    return cached


def _unsafe(ch: str, keep_newlines: bool) -> bool:
    # Not printable (Python's definition): controls (Cc), formatting such as bidi overrides and
    # zero-width characters (Cf), separators other than the space (Zl, Zp, Zs), surrogates,
    # private use and unassigned code points.
    if ch.isprintable():
        return False
    return not ((ch == "\n" and keep_newlines) or ch in _KEEP_FORMAT)


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """`text` with every control or invisible formatting character shown as an escape (`\\x1b`).

    With `keep_newlines`, line breaks stay (a multi-line block); otherwise the result is one line.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isprintable():
        return s
    return "".join(_escape(ch) if _unsafe(ch, keep_newlines) else ch for ch in s)


def one_line(text: object, limit: int | None = None) -> str:
    """`visible(text)` on one line, shortened to `limit` characters with an ellipsis."""
    s = visible(text)
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)] + "…"
    return s


_MD_SPECIAL = re.compile(r"([\\`*{}\[\]#|~]|<(?=[A-Za-z/!?])|(?<!\w)_|_(?!\w))")


def markdown_inline(text: object) -> str:
    """Text for one line of Markdown (a table cell, a list item, a sentence): one line, no markup.

    Markdown and HTML characters are backslash-escaped, so a value can neither open a heading, a
    link, an image, an HTML tag, emphasis, code nor a new table cell, and no line break can start
    a new line of structure. What cannot open anything stays as it is, so the Markdown stays
    readable: an underscore inside a word (`BACKEND_API_URL`), `<` before a digit or a space
    (`<500ms`), `>` mid-line, and parentheses and `!` without the `[` that is escaped.
    """
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def xml_text(text: object) -> str:
    """Text that is well-formed in XML 1.0 (characters XML forbids are shown as escapes)."""
    s = visible(text, keep_newlines=True)
    # `visible` already escaped every C0 control but the newline; XML also forbids U+FFFE/U+FFFF.
    return s.replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def json_text(document: str) -> str:
    """A JSON document with every control or invisible character inside its strings as a `\\uXXXX` escape.

    `json.dumps(..., ensure_ascii=False)` escapes only C0 controls; C1 controls (`\\x9b` starts a
    terminal sequence too), bidi overrides and line separators would stay raw. Outside strings a
    JSON document holds only ASCII punctuation and whitespace, so escaping them is lossless: the
    data read back is the same.
    """
    if document.isprintable():
        return document
    return "".join(_json_escape(ch) if _unsafe(ch, True) else ch for ch in document)
