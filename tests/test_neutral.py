"""The neutralising layer: text from outside can neither drive a terminal, forge structure nor break a format."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness_tui.neutral import markdown_inline, one_line, visible, xml_text

pytestmark = pytest.mark.fast


def test_controls_are_shown_not_dropped():
    assert visible("a\x1b]0;pwned\x07b") == "a\\x1b]0;pwned\\x07b"
    assert visible("evil\u202etxt.exe") == "evil\\u202etxt.exe"
    assert visible("two\nlines") == "two\\nlines"
    assert visible("two\nlines", keep_newlines=True) == "two\nlines"
    assert visible("plain text, é, 漢字, 👨‍👩‍👧") == "plain text, é, 漢字, 👨‍👩‍👧"
    assert one_line("x" * 10, limit=5) == "xxxx…"


def test_markdown_cannot_open_structure():
    forged = markdown_inline("ok\n## All checks passed\nSigned: Ann | [link](http://x) <b>")
    assert "\n" not in forged and not forged.startswith("#")
    assert "\\#\\#" in forged and "\\|" in forged and "\\[" in forged and "\\<" in forged


@given(st.text())
def test_no_raw_control_character_survives(text: str) -> None:
    for out in (visible(text), one_line(text, 40), markdown_inline(text)):
        assert out.isprintable(), repr(out)
    block = visible(text, keep_newlines=True)
    assert all(ch.isprintable() or ch == "\n" for ch in block)


@given(st.text())
def test_xml_text_is_always_well_formed(text: str) -> None:
    element = ET.Element("case", name=xml_text(text))
    element.text = xml_text(text)
    ET.fromstring(ET.tostring(element, encoding="unicode"))
