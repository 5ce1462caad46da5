"""The screens' pure pieces: outside text made safe for markup (property-based), the item filter's
query language, what another reviewer changed, and the summary's column widths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from readiness_tui.screens.app import changes_by_others
from readiness_tui.screens.common import glyph, label, safe
from readiness_tui.screens.filter import matches, parse_query
from readiness_tui.screens.summary import title_width
from textual.content import Content
from textual.markup import to_content

from readiness_tui.checklist import Item
from readiness_tui.model import ItemResult, Status
from readiness_tui.neutral import visible
from readiness_tui.scoring import ItemView
from readiness_tui.store import Decision, RunRecord

pytestmark = pytest.mark.fast

#: Text that stresses Textual's markup: brackets, slashes, backslashes, variables, controls.
TRICKY = st.text(alphabet=st.sampled_from(list("[]\\/$=@#:{}\"' ab\n\x1b\u202e")) | st.characters(), max_size=60)


def expected(text: str) -> str:
    shown = visible(text)
    return shown + " " if shown.endswith("\\") else shown


@settings(max_examples=3000, deadline=None)
@given(TRICKY, TRICKY)
def test_safe_text_renders_as_itself_inside_any_markup(a: str, b: str) -> None:
    markup = f"[b]{safe(a)}[/b] [$text-muted]{safe(b)}[/] {safe(a)}"
    content = to_content(markup)  # never a MarkupError
    assert content.plain == f"{expected(a)} {expected(b)} {expected(a)}"
    assert "\x1b" not in content.plain and "\u202e" not in content.plain


@pytest.mark.parametrize("text", ["see [/", "[/]", "[b]not bold[/b]", '[{"origin": "https://malicious.com", "x"',
                                  "trailing \\", "[$error]x[/]", "[link=http://x]y[/link]", "a\\[b"])
def test_known_crashes_render_as_text(text: str) -> None:
    assert to_content(f"[b]{safe(text)}[/b]").plain == expected(text)


def test_safe_shortens_to_one_line() -> None:
    text = "a\nb [c" * 20
    assert to_content(safe(text, limit=10)).plain == visible(text)[:9] + "…"


def test_glyphs_without_colour_differ_by_weight() -> None:
    fail, passing = glyph(Status.FAIL, mono=True), glyph(Status.PASS, mono=True)
    assert fail == "[bold reverse]✗[/]" and passing == "✓"
    assert to_content(label(Status.ERROR, mono=True)).plain == "ERROR"
    assert "bold reverse" in glyph(Status.WAIVED, expired=True, mono=True)
    assert isinstance(to_content(glyph(Status.WARN)), Content)


def view(item_id: str, status: Status, *, critical: bool = False, kind: str = "auto", text: str = "a thing",
         summary: str = "", decision: Decision | None = None) -> ItemView:
    item = Item(id=item_id, section_id=int(item_id.split(".")[0]), text=text, kind=kind, critical=critical,
                checks=("x.y",) if kind == "auto" else (), hint="")
    result = ItemResult(status, summary) if kind == "auto" else None
    return ItemView(item, status, summary, result, decision)


VIEWS = [
    view("1.1", Status.FAIL, critical=True, summary="placeholder SENTRY_DSN"),
    view("1.2", Status.PASS, summary="https://api"),
    view("2.3", Status.ERROR, summary="connection refused"),
    view("8.6", Status.PENDING, kind="manual", critical=True, text="Penetration testing"),
    view("8.7", Status.NOT_APPLICABLE, kind="manual", text="UAT",
         decision=Decision("not_applicable", "Ada", "t", "ada@h", reason="internal")),
]


@pytest.mark.parametrize(("query", "ids"), [
    ("", ["1.1", "1.2", "2.3", "8.6", "8.7"]),
    ("is:failing", ["1.1", "2.3"]),
    ("is:critical", ["1.1", "8.6"]),
    ("is:failing is:critical", ["1.1"]),
    ("status:pending", ["8.6"]),
    ("status:na", ["8.7"]),
    ("kind:manual", ["8.6", "8.7"]),
    ("section:2", ["2.3"]),
    ("is:decided", ["8.7"]),
    ("is:open", ["1.1", "2.3", "8.6"]),
    ("SENTRY", ["1.1"]),
    ("penetration uat", []),
    ("penetration", ["8.6"]),
    ("status:nonsense", []),  # not a condition: a word nothing contains
])
def test_filter_queries(query: str, ids: list[str]) -> None:
    q = parse_query(query)
    assert [v.item.id for v in VIEWS if matches(v, q)] == ids


@given(st.text(max_size=80))
def test_any_query_parses(text: str) -> None:
    q = parse_query(text)
    assert all(isinstance(w, str) for w in q.words)
    for v in VIEWS:
        matches(v, q)


def test_changes_by_others_names_who_did_what_and_skips_own_writes() -> None:
    old = RunRecord(revision=3)
    new = RunRecord(revision=5)
    new.decisions["8.6"] = Decision("confirmed", "Grace Hopper", "t", "grace@h")
    new.decisions["1.1"] = Decision("waived", "Me", "t", "me@h", approver="X", expires="2099-01-01")
    new.signoffs.append({"role": "Security Review", "name": "Alan Turing", "at": "t"})
    new.deployment["Deployed By"] = {"value": "Grace Hopper", "by": "Grace Hopper"}
    old.decisions["8.7"] = Decision("not_applicable", "Ada", "t", "ada@h", reason="r")
    lines = changes_by_others(old, new, {"decision:1.1"})
    assert lines == ["Grace Hopper confirmed 8.6", "the decision on 8.7 was removed",
                     "Alan Turing signed as Security Review", "Grace Hopper set Deployed By"]
    assert changes_by_others(new, new, set()) == []


def test_section_titles_fit_whole_at_120_and_shortened_at_80() -> None:
    titles = ["Environment Configuration", "Infrastructure Prerequisites", "Deployment Verification"]
    assert title_width(120, titles) == len("Infrastructure Prerequisites")
    assert title_width(80, titles) == 18
