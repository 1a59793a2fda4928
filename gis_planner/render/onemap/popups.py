"""The popups: which fields each layer shows, in which order, with which label and format.

A popup row is ``(field, kind)`` or ``(field, kind, label key)``: the field of the layer, the
kind of value (:data:`gis_planner.render.onemap.values.KINDS`) and the label, which is
``label(field)`` unless a label key is given, or the layer words the field itself (``labels``
of :func:`popup_schema`: e.g. "300 米（直线）内户数"). A pair of fields, e.g.
``(("staff_min", "staff_max"), "range")``, is shown as one row ``min–max``, or as one figure
when both are equal (a fixed staffing of 12 is "12", not "12–12"). Rows whose field a layer
lacks are left out.

The page receives a *schema* per layer, ``[{"l": label, "t": "text"|"list"|"range", "f":
field}]``, and each feature's values in the same order (:func:`popup_schema`); ``onemap.js``
builds the popup table from them with ``textContent``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from gis_planner.i18n import label, value_label
from gis_planner.render.onemap.values import format_number, format_value, is_missing

# (field or (field, field), kind[, label key]): the popup rows of each layer, in order. The
# label is ``label(field)`` (``staff_range`` for a range) unless a label key is given.
Row = tuple[str | tuple[str, str], str] | tuple[str | tuple[str, str], str, str]
COMMUNITY_ROWS: tuple[Row, ...] = (
    ("community_id", "text"),
    ("street", "text"),
    ("kind", "enum"),
    ("households", "int"),
    ("population_used", "int"),
    ("standard", "enum"),
    ("required_area_m2", "num"),
    ("premises_area_m2", "num"),
    ("shortfall_m2", "num"),
    ("premises_status", "enum"),
    ("service_centre_ok", "bool"),
    (("staff_min", "staff_max"), "range"),
    ("working_funds_yuan", "num"),
    ("cobuild_funds_yuan", "num"),
    ("subsidy_build_yuan", "num"),
    ("subsidy_rent_yuan_per_year", "num"),
    ("scale_status", "enum"),
    ("estates_count", "int"),
    ("households_covered", "int"),
    ("warnings", "list"),
)
ESTATE_ROWS: tuple[Row, ...] = (
    ("estate_id", "text"),
    ("community_name", "text"),
    ("street", "text"),
    ("households", "int"),
    ("enclosure_status", "enum"),
    ("enclosure_rank", "int"),
    ("enclosure_reasons", "list"),
    ("walls_included", "bool"),
    ("no_property_management", "bool"),
    ("built_year", "year"),
    ("enclosure", "enum"),
    ("property_management", "bool"),
    ("facade", "enum"),
    ("condition", "enum"),
    ("survey_participation", "share"),
    ("survey_support", "share"),
    ("commercial_frontage", "share"),
    ("road_crossing_m", "num"),
    ("nearest_premises_m", "num"),
    ("covered", "bool"),
)
PREMISES_ROWS: tuple[Row, ...] = (
    ("premises_id", "text"),
    ("community_name", "text"),
    ("function", "enum"),
    ("floor_area_m2", "num"),
    ("floor", "int"),
    ("tenure", "enum"),
    ("status", "enum"),
    ("cost_yuan", "num"),
    ("annual_rent_yuan", "num"),
    ("subsidy_build_yuan", "num"),
    ("subsidy_rent_yuan_per_year", "num"),
    ("subsidy_note", "text"),
)
ROAD_ROWS: tuple[Row, ...] = (("road_id", "text"),)
PARCEL_ROWS: tuple[Row, ...] = (
    ("parcel_id", "text"),
    ("planned_households", "int"),
    ("residential_floor_area_m2", "num"),
    ("delivery_year", "year"),
)
# R7 layout proposals: before and after side by side, then the decision.
PROPOSED_ROWS: tuple[Row, ...] = (
    ("community_id", "text"),
    ("street", "text"),
    ("change", "enums"),
    ("source_ids", "text"),
    ("decision_note", "list"),
    ("estates_count", "int"),
    ("households_before", "int"),
    ("households", "int", "households_after"),
    ("scale_status_before", "enum"),
    ("scale_status", "enum", "scale_status_after"),
    (("staff_min_before", "staff_max_before"), "range", "staff_range_before"),
    (("staff_min", "staff_max"), "range", "staff_range_after"),
    ("standard", "enum"),
    ("required_area_m2_before", "num"),
    ("required_area_m2", "num", "required_area_m2_after"),
    ("premises_area_m2", "num"),
    ("shortfall_m2", "num"),
    ("area_m2", "ha"),
    ("compactness", "dec2"),
    ("contiguous", "bool"),
    ("divided", "flag"),
)
# ``site_label``: the site in words, e.g. "小区内 E0114" for the site ``E:E0114`` (.proposals)
SITE_ROWS: tuple[Row, ...] = (
    ("priority", "int"),
    ("site_label", "text"),
    ("community_name", "text"),
    ("households_newly_covered", "int"),
    ("estates_newly_covered", "int"),
    ("households_in_reach", "int"),
    ("max_floor_area_m2", "num"),
)
BARRIER_ROWS: tuple[Row, ...] = (("barrier_id", "text"), ("barrier_kind", "text"))

#: A popup row's formatter: the value to show of one feature (a row of the layer's frame).
Getter = Callable[[Any], Any]


def _range_getter(low: str, high: str) -> Getter:
    """``[low, high]`` as the popup shows them, or ``[value]`` when both are the same."""

    def get(row: Any) -> Any:
        if is_missing(row[low]) or is_missing(row[high]):
            return None
        shown = [format_number(row[low]), format_number(row[high])]
        return shown[:1] if shown[0] == shown[1] else shown

    return get


def _value_getter(field: str, kind: str, lang: str) -> Getter:
    def get(row: Any) -> Any:
        return format_value(row[field], kind, lang)

    return get


def popup_schema(
    frame: pd.DataFrame,
    rows: Sequence[Row],
    lang: str,
    *,
    labels: Mapping[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[Getter]]:
    """The popup schema of the ``rows`` that ``frame`` has, and a formatter per row.

    Parameters
    ----------
    frame : DataFrame
        The layer, its figures rounded as the outputs are.
    rows : sequence of Row
        The popup rows of the layer, e.g. :data:`COMMUNITY_ROWS`.
    lang : {"zh", "en"}
        Language of the labels and of the worded values.
    labels : mapping, optional
        Labels by field (the first field of a range) that replace the catalogue's, worded by
        the layer (e.g. the distance and whether it is straight-line or walking).

    Returns
    -------
    schema : list of dict
        ``{"l": label, "t": "text"|"list"|"range", "f": field or [low, high]}`` per row.
    getters : list of callables
        For each row of the schema, the value a feature shows (None: left out).
    """
    schema: list[dict[str, Any]] = []
    getters: list[Getter] = []
    own = labels or {}
    for row in rows:
        fields, kind = row[0], row[1]
        label_key = row[2] if len(row) > 2 else None
        if isinstance(fields, tuple):  # a range, e.g. staffing min–max
            low, high = fields
            if low not in frame or high not in frame:
                continue
            shown = own.get(low) or label(label_key or "staff_range", lang)
            schema.append({"l": shown, "t": "range", "f": [low, high]})
            getters.append(_range_getter(low, high))
            continue
        if fields not in frame:
            continue
        schema.append(
            {
                "l": own.get(fields) or label(label_key or fields, lang),
                "t": "list" if kind == "list" else "text",
                "f": fields,
            }
        )
        getters.append(_value_getter(fields, kind, lang))
    return schema, getters


def _index_of(schema: list[dict[str, Any]], field: str) -> int | None:
    for i, row in enumerate(schema):
        if row["f"] == field:
            return i
    return None


def tips(schema: list[dict[str, Any]], *items: tuple[str, ...]) -> list[list[Any]]:
    """Tooltip parts: ``[row index, template with {v}]`` for the rows present.

    An item ``(field, template, other field)`` also fills ``{w}`` with the other row's value:
    ``[row index, template, other index]``. The page joins the parts after the feature's name.

    Examples
    --------
    >>> schema = [{"l": "户数", "t": "text", "f": "households"}]
    >>> tips(schema, ("households", "{v} 户"), ("shortfall_m2", "{v} m²"))
    [[0, '{v} 户']]
    """
    out: list[list[Any]] = []
    for field, template, *other in items:
        index = _index_of(schema, field)
        if index is None:
            continue
        if other:
            second = _index_of(schema, other[0])
            if second is not None:
                out.append([index, template, second])
            continue
        out.append([index, template])
    return out


def status_labels(colours: dict[str, str], lang: str) -> dict[str, str]:
    """The worded status of every key of ``colours``, as the popups' status line shows it.

    Examples
    --------
    >>> status_labels({"meets": "#31a354", "short": "#fe9929"}, "en")
    {'meets': 'meets', 'short': 'short'}
    """
    return {k: str(value_label(k, lang)) for k in colours}
