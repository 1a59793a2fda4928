"""Values as the popups show them: figures, enumerations, yes/no, shares and worded messages.

The analyses hand over codes, never sentences: an enumeration value (``needs_survey``), a
:class:`~gis_planner.i18n.Message` (a catalogue code and its parameters) or a list of them, a
:class:`~gis_planner.errors.Problem`. Everything a popup shows passes through
:func:`format_value`, which words them in the page's language (:func:`word`); plain text
(names, ids, older runs' sentences) passes through unchanged.

Figures are expected rounded already, as the GeoJSON outputs are
(:func:`gis_planner.render.text.round_floats`), so a popup shows the same number as
``communities.geojson`` with thousands separated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gis_planner.errors import Problem
from gis_planner.i18n import render, value_label

#: The kinds of popup value :func:`format_value` knows (the second item of a popup row).
KINDS = (
    "text",
    "list",
    "int",
    "num",
    "ha",
    "dec2",
    "year",
    "share",
    "bool",
    "enum",
    "enums",
    "flag",
)
#: Square metres in a hectare (公顷), the unit planners read community areas in.
M2_PER_HA = 10_000


def is_missing(value: object) -> bool:
    """True for None, ``pd.NA``, ``pd.NaT`` and a float NaN: the popup leaves the row out.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("")
    (True, True, False, False)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def format_number(value: object) -> str | None:
    """A figure as the popups show it: thousands separated, every decimal the output keeps.

    The value is expected rounded already (as the GeoJSON outputs are), so stripping the
    commas gives back the number written to ``communities.geojson``.

    Examples
    --------
    >>> format_number(2400.0), format_number(219700.5), format_number(7), format_number(None)
    ('2,400', '219,700.5', '7', None)
    """
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,}"


def word(value: object, lang: str) -> str:
    """The text of one value of the results in ``lang``.

    A :class:`~gis_planner.i18n.Message`, ``Term`` or ``Listing`` is worded
    (:func:`gis_planner.i18n.render`), a :class:`~gis_planner.errors.Problem` gives its
    ``text(lang)``; anything else (a name, a sentence already worded) is ``str(value)``.

    Examples
    --------
    >>> from gis_planner.i18n import msg
    >>> word(msg("gcj02_converted"), "en"), word("东苑小区", "en"), word(12, "zh")
    ('converted from GCJ-02 to WGS84 as declared', '东苑小区', '12')
    """
    if isinstance(value, Problem):
        return value.text(lang)
    return str(render(value, lang))


def _items(value: object, lang: str) -> list[str] | None:
    """A list-valued field as its worded items, empty ones left out; None when none is left."""
    values = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
    items = [text for text in (word(v, lang) for v in values if not is_missing(v)) if text != ""]
    return items or None


def _share(value: object) -> str:
    """A share 0–1 as a percentage with at most one decimal: 0.9 → ``90%``."""
    return f"{float(value) * 100:.1f}".rstrip("0").rstrip(".") + "%"  # type: ignore[arg-type]


def format_value(value: object, kind: str, lang: str) -> Any:
    """One popup value of ``kind`` (:data:`KINDS`): a string, a list of strings (``list``),
    or None (the row is left out of the popup).

    Examples
    --------
    >>> format_value(0.9, "share", "zh"), format_value(True, "bool", "en")
    ('90%', 'yes')
    >>> format_value("split, enlarged", "enums", "en"), format_value(False, "flag", "en")
    ('split, enlarged', None)
    >>> format_value(["墙体破损", ""], "list", "zh"), format_value(None, "list", "zh")
    (['墙体破损'], None)
    >>> format_value(1_234_567.0, "ha", "zh"), format_value(0.6471, "dec2", "zh")
    ('123.46', '0.65')
    """
    if kind == "list":
        return _items(value, lang)
    if is_missing(value):
        return None
    if kind in ("int", "num"):
        return format_number(value)
    if kind == "ha":  # an area in m², shown in hectares with two decimals
        return f"{float(value) / M2_PER_HA:,.2f}"  # type: ignore[arg-type]
    if kind == "dec2":  # a ratio (e.g. compactness 0–1), two decimals
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    if kind == "year":
        return str(int(value))  # type: ignore[call-overload]
    if kind == "share":
        return _share(value)
    if kind == "bool":
        return str(value_label("yes" if bool(value) else "no", lang))
    if kind == "enum":
        return str(value_label(value, lang))
    if kind == "enums":  # comma-joined values, e.g. ``change`` = "split, enlarged"
        parts = [str(value_label(v.strip(), lang)) for v in str(value).split(",") if v.strip()]
        return ("、" if lang == "zh" else ", ").join(parts) or None
    if kind == "flag":  # a yes/no shown only when yes
        return str(value_label("yes", lang)) if bool(value) else None
    return word(value, lang)
