"""The embedded checklist and the loader's validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import need

from readiness_tui.checklist import load_checklist, parse_checklist, select_items
from readiness_tui.errors import UsageError

pytestmark = pytest.mark.fast

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "PRODUCTION_CHECKLIST.md"
EMBEDDED = Path(__file__).resolve().parents[1] / "readiness_tui" / "data" / "checklist.toml"


def test_embedded_has_75_items_in_seed_order():
    checklist = load_checklist()
    assert [len(s.items) for s in checklist.sections] == [7, 8, 8, 7, 7, 6, 7, 7, 8, 10]
    ids = [i.id for i in checklist.items]
    assert ids[0] == "1.1" and ids[-1] == "10.10" and len(set(ids)) == 75
    assert checklist.roles == ("Technical Lead", "Operations Manager", "Security Review")
    assert len(checklist.deployment_fields) == 5
    assert [b.id for b in checklist.bands] == ["ready", "nearly", "not-ready", "do-not-deploy"]
    assert {t.id for t in checklist.criteria} == {"performance", "data_integrity", "availability"}
    assert all(i.hint for i in checklist.items)
    assert checklist.band_for(89.9).id == "nearly" and checklist.band_for(90).id == "ready"
    assert checklist.band_for(69.9).id == "do-not-deploy"


def test_item_texts_are_the_seeds_words():
    need(SEED.exists(), f"the seed checklist beside the checkout ({SEED})")
    seed = SEED.read_text()
    lines = [re.sub(r"\*\*|`", "", m) for m in re.findall(r"^- \[ \] (.*)$", seed, re.M)]
    texts = [i.text for i in load_checklist().items]
    for text in texts:
        if text.startswith("Health endpoints responding"):
            continue
        assert text in lines, text


def _mutate(old: str, new: str) -> bytes:
    text = EMBEDDED.read_text()
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "auto"', 'kind = "automatic"', "`kind` must be one of"),
        ('id = "1.3"', 'id = "1.9"', 'expected id "1.3"'),
        ("schema = 1", "schema = 7", "`schema` must be 1"),
        ('text = "BACKEND_API_URL set to production backend URL"', 'text = ""', "`text` must be"),
        ("min = 0.0", "min = 5.0", "last band"),
    ],
)
def test_malformed_checklist_names_file_and_line(old, new, message):
    data = _mutate(old, new)
    with pytest.raises(UsageError) as err:
        parse_checklist(data, "team.toml")
    text = str(err.value)
    assert text.startswith("team.toml:") and message in text
    line = int(text.split(":")[1])
    lines = data.decode().splitlines()
    assert 1 <= line <= len(lines)
    if old.startswith(("kind", "id", "text")):
        assert lines[line - 1].strip() == new  # the line of the mistake itself


def test_invalid_toml_reports_line():
    with pytest.raises(UsageError, match=r"^bad\.toml:3: invalid TOML"):
        parse_checklist(b'schema = 1\nname = "x"\nversion = = 2\n', "bad.toml")


def test_not_utf8():
    with pytest.raises(UsageError, match=r"^bad\.toml:2: not valid UTF-8"):
        parse_checklist(b"schema = 1\nname = \"\xff\"\n", "bad.toml")


def test_select_items_by_id_and_section():
    checklist = load_checklist()
    assert [i.id for i in select_items(checklist, "1.4,9", None)][:2] == ["1.4", "9.1"]
    assert len(select_items(checklist, "9", None)) == 8
    assert len(select_items(checklist, None, "1,2")) == 75 - 15
    with pytest.raises(UsageError, match="no item"):
        select_items(checklist, "11.1", None)
    with pytest.raises(UsageError, match="no section 12"):
        select_items(checklist, "12", None)
