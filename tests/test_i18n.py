"""The message catalogue: every message worded in both languages from the same parameters.

Analyses and the reading of layers return codes (:class:`gis_planner.i18n.Message`); this is
the one place their wording is checked — one test per message, in Chinese and English.
"""

from __future__ import annotations

import re
import string

import pytest

from gis_planner.errors import InputError, Problem
from gis_planner.i18n import LABELS, MESSAGES, VALUE_LABELS, Listing, Term, msg, render, tr

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> dict[str, str]:
    """The placeholders of a template with their format specs."""
    return {
        name.split("!")[0]: spec or ""
        for _, name, spec, _ in string.Formatter().parse(template)
        if name is not None
    }


def _sample(spec: str) -> object:
    """A value that a placeholder with this format spec accepts."""
    return 1234.5 if spec and spec[-1] in "fg%,eEd" and not spec.endswith("d") else 12


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_message_is_worded_in_chinese_and_english(code):
    zh, en = MESSAGES[code]
    assert zh and en, code
    assert set(_fields(zh)) == set(_fields(en)), "both languages take the same parameters"
    values = {name: _sample(spec) for name, spec in {**_fields(en), **_fields(zh)}.items()}
    text_zh, text_en = msg(code, **values).text("zh"), msg(code, **values).text("en")
    if CJK.search(re.sub(r"\{[^{}]*\}", "", zh)):  # not a pure layout such as "{a} = {b}"
        assert CJK.search(text_zh), "the Chinese text is Chinese"
    if re.search(r"[A-Za-z\u4e00-\u9fff]", re.sub(r"\{[^{}]*\}", "", en)):  # not pure layout
        assert text_en != text_zh
    for name in values:
        assert "{" + name not in text_zh + text_en, "every placeholder is filled"


def test_an_unknown_code_fails_where_the_message_is_made():
    with pytest.raises(KeyError, match="no message 'no_such_code'"):
        msg("no_such_code")


def test_nested_messages_terms_and_listings_are_worded_in_the_language_shown():
    m = msg(
        "enc_not_eligible",
        value=Term("semi_open"),
        eligible=Listing.of([Term("open"), Term("semi_open")]),
    )
    assert m.text("zh") == "封闭情况为半封闭，不在开转封范围（开放式、半封闭）内"
    assert "semi-open" in m.text("en") and "open, semi-open" in m.text("en")
    assert render([m, 3], "en")[1] == 3
    assert tr("enc_not_eligible", "en", value=Term("open"), eligible="x").startswith("enclosure")


def test_problems_and_errors_carry_codes_and_are_worded_on_demand():
    p = Problem("estates.gpkg", msg("duplicate_ids", field="estate_id", rows="E1"))
    err = InputError([p], header=msg("gcj02_converted"))
    assert err.codes == ["duplicate_ids"]
    assert err.text("en").splitlines() == [
        "converted from GCJ-02 to WGS84 as declared",
        "- estates.gpkg: field 'estate_id' must be unique; duplicates: E1",
    ]
    assert str(err) == err.text("zh")


@pytest.mark.parametrize("table", [LABELS, VALUE_LABELS], ids=["labels", "value_labels"])
def test_labels_have_both_languages(table):
    for key, (zh, en) in table.items():
        assert zh and en, key
