"""The Excel report (``report.xlsx``) and the terminal summary, Chinese by default.

One sheet per table — summary, communities, estates, premises, the open-to-enclosed list and
its summary, unassigned features, warnings — plus the rules and settings that produced them.
A table longer than ``limits.report_max_sheet_rows`` (or than an Excel sheet holds) is written
as ``report_<table>.csv`` beside the workbook, and its sheet says where (:func:`write_report`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gis_planner import __version__
from gis_planner.errors import wording
from gis_planner.i18n import MESSAGES, Listing, Message, Term, label, render, tr, value_label
from gis_planner.io.layers import PlanningData
from gis_planner.render.escape import FORMULA_PREFIXES, csv_cell
from gis_planner.render.text import LIST_SEPARATOR, Texts
from gis_planner.results import Results

COMMUNITY_COLUMNS = [
    "community_id",
    "name",
    "street",
    "kind",
    "households",
    "households_current",
    "households_parcels",
    "population_used",
    "estates_count",
    "standard",
    "required_area_m2",
    "premises_area_m2",
    "shortfall_m2",
    "premises_status",
    "service_centre_ok",
    "staff_min",
    "staff_max",
    "working_funds_yuan",
    "cobuild_funds_yuan",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
    "scale_status",
    "households_covered",
    "warnings",
]
ESTATE_COLUMNS = [
    "estate_id",
    "name",
    "community_id",
    "community_name",
    "street",
    "households",
    "community_shares",
    "built_year",
    "enclosure",
    "property_management",
    "facade",
    "condition",
    "survey_participation",
    "survey_support",
    "commercial_frontage",
    "enclosure_status",
    "enclosure_reasons",
    "walls_included",
    "no_property_management",
    "nearest_premises_m",
    "covered",
]
PREMISES_COLUMNS = [
    "premises_id",
    "name",
    "community_id",
    "assigned_by",
    "function",
    "floor_area_m2",
    "floor",
    "tenure",
    "status",
    "cost_yuan",
    "annual_rent_yuan",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
    "subsidy_note",
]
SHEETS = {
    "summary": ("概要", "Summary"),
    "communities": ("社区", "Communities"),
    "estates": ("小区", "Estates"),
    "premises": ("社区用房", "Premises"),
    "enclosure": ("开转封清单", "Enclosure list"),
    "enclosure_summary": ("开转封汇总", "Enclosure summary"),
    "planning_conditions": ("规划条件", "Planning conditions"),
    "layout_decisions": ("规模调整建议", "Scale proposals"),
    "proposed_communities": ("拟调整社区", "Proposed communities"),
    "boundary_moves": ("小区调整", "Estate moves"),
    "proposed_sites": ("建议用房点位", "Proposed sites"),
    "unassigned": ("未分配", "Unassigned"),
    "warnings": ("警告", "Warnings"),
    "rules": ("规则", "Rules"),
    "settings": ("设置", "Settings"),
}
YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
#: rows of an Excel sheet (the header row one of them): a longer table can never be a sheet
EXCEL_MAX_ROWS = 1_048_576


def csv_file(key: str) -> str:
    """The CSV beside the workbook that holds the table ``key`` of :data:`SHEETS` when it is
    too long for a sheet: ``report_estates.csv``."""
    return f"report_{key}.csv"


#: every file :func:`write_report` may write beside the workbook
CSV_FILES = tuple(csv_file(key) for key in SHEETS)


def _sheet(key: str, lang: str) -> str:
    zh, en = SHEETS[key]
    return en if lang == "en" else zh


def _display_value(value: Any, yes: str, no: str, sep: str, lang: str) -> Any:
    """One cell as the report shows it: lists joined, booleans as 是/否, enumeration values
    by their label, missing values (None, NaN, <NA>, NaT) blank."""
    if isinstance(value, (list, tuple)):
        return sep.join(str(render(v, lang)) for v in value)
    if isinstance(value, (Message, Term, Listing)):
        return value.text(lang)
    if isinstance(value, (bool, np.bool_)):
        return yes if value else no
    if isinstance(value, str):
        return value_label(value, lang)
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    ):
        return None
    return value


def _display_column(
    values: list[Any], yes: str, no: str, sep: str, lang: str, texts: Texts | None = None
) -> list[Any]:
    """:func:`_display_value` of every value of a column, each text labelled once (by value)
    and each message worded once (:class:`Texts`, shared by the tables of one report)."""
    labels: dict[str, Any] = {}
    text = texts if texts is not None and texts.lang == lang else Texts(lang)
    out: list[Any] = []
    for value in values:
        if isinstance(value, str):
            if value not in labels:
                labels[value] = value_label(value, lang)
            out.append(labels[value])
        elif isinstance(value, (list, tuple)):
            out.append(text.joined(value, sep))
        elif isinstance(value, (Message, Term, Listing)):
            out.append(text(value))
        else:
            out.append(_display_value(value, yes, no, sep, lang))
    return out


def _display_series(
    series: pd.Series, yes: str, no: str, sep: str, lang: str, texts: Texts | None
) -> list[Any]:
    """:func:`_display_column` of a column, at once for a column of booleans (是/否) or of
    text only (each distinct text labelled once, pandas mapping the rest)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        missing = series.isna().to_numpy(dtype=bool)
        shown = np.where(series.to_numpy(dtype=bool, na_value=False), yes, no).astype(object)
        shown[missing] = None
        return shown.tolist()
    if pd.api.types.infer_dtype(series, skipna=True) == "string":
        missing = series.isna().to_numpy(dtype=bool)
        present = series[~missing]
        labels = {v: value_label(v, lang) for v in pd.unique(present)}
        shown = np.full(len(series), None, dtype=object)
        shown[~missing] = present.map(labels).to_numpy(dtype=object)
        return shown.tolist()
    return _display_column(series.tolist(), yes, no, sep, lang, texts)


def display_table(
    df: pd.DataFrame, columns: list[str], *, lang: str = "zh", texts: Texts | None = None
) -> pd.DataFrame:
    """The columns present of ``df``, with translated headers and enumeration labels
    (``texts``: the messages worded so far, shared by the tables of one report).

    Numeric columns are kept as they are; every other column becomes Python values (one pass
    in plain Python: on the few hundred rows of a county several times faster than a pandas
    call per column, and no nullable dtype can leak a ``<NA>`` into a cell).
    """
    present = [c for c in columns if c in df.columns]
    yes, no = YES_NO["en" if lang == "en" else "zh"]
    sep = LIST_SEPARATOR.get(lang, "; ")
    data: dict[int, Any] = {}
    for k, column in enumerate(present):
        series = df[column]
        dtype = series.dtype
        if column == "community_shares":
            shares: dict[Any, str | None] = {}  # by the JSON text: estates share communities
            data[k] = [
                shares[v]
                if v in shares
                else shares.setdefault(v, shares_text(v, lang=lang))
                if isinstance(v, str)
                else shares_text(v, lang=lang)
                for v in series.tolist()
            ]
        elif (
            pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_bool_dtype(dtype)
            and not isinstance(dtype, pd.CategoricalDtype)
        ):
            data[k] = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            data[k] = _display_series(series, yes, no, sep, lang, texts)
    table = pd.DataFrame(data, index=df.index)
    table.columns = [label(c, lang) for c in present]
    table.attrs["fields"] = present
    return table


def shares_text(value: Any, *, lang: str = "zh") -> str | None:
    """The community shares of an estate (``community_shares``, JSON text or a mapping
    ``{community_id: share}``) as a planner reads them: ``A01 60%；A02 40%``.

    >>> shares_text('{"A01": 0.6, "A02": 0.4}')
    'A01 60%；A02 40%'
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    shares = value
    if isinstance(value, str):
        try:
            shares = json.loads(value)
        except ValueError:
            return value  # not JSON: shown as it is
    if not isinstance(shares, dict):
        return str(value)
    sep = LIST_SEPARATOR.get(lang, "; ")
    return sep.join(
        tr("report_share", lang, community=community, share=_percent(float(share)))
        for community, share in shares.items()
    )


def _percent(share: float) -> str:
    """``0.6`` → ``60%``; one decimal below 10 % (``0.045`` → ``4.5%``)."""
    text = f"{share * 100:.1f}" if share < 0.1 else f"{share * 100:.0f}"
    return text.removesuffix(".0") + "%"


#: the columns of the enclosure list (R6) in print order
ENCLOSURE_LIST_COLUMNS = {
    "enclosure_rank": "enclosure_rank",
    "name": "estate_name",
    "estate_id": "estate_id",
    "community_name": "community_name",
    "street": "street",
    "built_year": "built_year",
    "households": "households",
    "enclosure_status": "enclosure_status",
    "enclosure_reasons": "enclosure_reasons",
    "walls_included": "walls_included",
    "no_property_management": "no_property_management",
}


def enclosure_sheet(
    table: pd.DataFrame, *, lang: str = "zh", texts: Texts | None = None
) -> pd.DataFrame:
    """The enclosure list (R6) as printed: :func:`gis_planner.enclosure.enclosure_list`
    worded — headers, status labels, reasons joined, yes/no, and 未分配 for the community and
    street of an estate in no community."""
    unassigned = label("unassigned", lang)
    yes, no = YES_NO["en" if lang == "en" else "zh"]
    sep = LIST_SEPARATOR.get(lang, "; ")
    lost = table["unassigned"].to_numpy(dtype=bool)
    out = {}
    for column, header in ENCLOSURE_LIST_COLUMNS.items():
        values = table[column]
        if column in ("community_name", "street"):
            shown: Any = [unassigned if u else v for u, v in zip(lost, values, strict=True)]
        elif column in ("enclosure_status", "enclosure_reasons"):
            shown = _display_column(values.tolist(), yes, no, sep, lang, texts)
        elif column in ("walls_included", "no_property_management"):
            shown = [yes if v else no for v in values.tolist()]
        else:
            shown = values
        out[label(header, lang)] = shown
    sheet = pd.DataFrame(out, index=table.index)
    sheet.attrs["fields"] = list(ENCLOSURE_LIST_COLUMNS.values())
    return sheet


def enclosure_summary_sheet(counts: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """The enclosure counts (R6) per street and community as printed:
    :func:`gis_planner.enclosure.enclosure_counts` with labelled headers and levels, and 未分配
    for the unassigned groups."""
    unassigned = label("unassigned", lang)
    table = counts.copy()
    table["level"] = [label(v, lang) for v in table["level"].tolist()]
    columns = list(table.columns)
    by = columns[1 : columns.index("estates_count")]  # the grouping columns, then the counts
    for column in by:
        table[column] = [unassigned if v is None else v for v in table[column].tolist()]
    table.columns = [label("summary_level", lang), *(label(c, lang) for c in columns[1:])]
    table.attrs["fields"] = ["summary_level", *columns[1:]]
    return table


def summary_rows(results: Results, *, lang: str = "zh") -> list[tuple[str, str]]:
    """The headline figures as (label, value) rows, shared by the terminal and the report."""
    s = results.summary
    rows = [
        (tr("summary_meets", lang), f"{s['meets']} / {s['communities']}"),
        (tr("summary_short", lang), str(s["short"])),
        (tr("summary_none", lang), str(s["none"])),
        (tr("summary_shortfall", lang), f"{s['shortfall_m2']:,.0f} m²"),
        (
            tr("summary_households", lang),
            f"{s['households_assigned']:,} / {s['households_unassigned']:,}",
        ),
        (tr("summary_unassigned_estates", lang), f"{s['estates_unassigned']} / {s['estates']}"),
        (tr("summary_unassigned_premises", lang), f"{s['premises_unassigned']} / {s['premises']}"),
        (tr("summary_scale", lang), f"{s['too_small']} / {s['ok']} / {s['too_large']}"),
        (
            tr("summary_covered", lang, distance=float(results.rules.layout.walking_distance_m)),
            f"{s['households_covered']:,}",
        ),
    ]
    if "plan_year" in s:
        rows.insert(0, (tr("summary_plan_year", lang), f"{s['plan_year']} ({s['data_year']})"))
        rows.insert(
            1,
            (
                tr("summary_parcels", lang),
                f"{s.get('parcels_counted', 0)} / +{s.get('households_parcels', 0):,}",
            ),
        )
    if "planning_conditions_m2" in s:
        rows.append(
            (
                tr("summary_conditions", lang),
                f"{s['planning_conditions_m2']:,.0f} m² ({s['parcels']})",
            )
        )
    if "enclosure" in s:
        parts = [f"{value_label(k, lang)} {v}" for k, v in sorted(s["enclosure"].items())]
        rows.append((label("enclosure_status", lang), ", ".join(parts)))
    if "layout" in s:
        lay = s["layout"]
        rows.append(
            (tr("summary_layout_scale", lang), tr("summary_layout_scale_value", lang, **lay))
        )
        rows.append(
            (tr("summary_layout_sites", lang), tr("summary_layout_sites_value", lang, **lay))
        )
        distance = float(results.rules.layout.walking_distance_m)
        rows.append(
            (
                tr("summary_layout_beyond", lang, distance=distance),
                f"{lay['households_beyond_walk_now']:,} → "
                f"{lay['households_beyond_walk_with_sites']:,}",
            )
        )
    rows.append((tr("summary_warnings", lang), str(s["warnings"])))
    return rows


def layer_name(source: str, *, lang: str = "zh") -> str:
    """The source of a warning as a planner reads it: a layer code by its name (``estates`` →
    小区), a layer's file with the layer's name (``estates.gpkg`` → 小区（estates.gpkg）),
    anything else as it is."""
    code = f"layer_name_{source}"
    if code in MESSAGES:
        return tr(code, lang)
    stem = Path(source).stem if source else source
    if stem and f"layer_name_{stem}" in MESSAGES and stem != source:
        return tr("report_source_file", lang, layer=tr(f"layer_name_{stem}", lang), file=source)
    return source


def _unassigned(results: Results, lang: str) -> pd.DataFrame:
    frames = []
    layer, feature_id = label("layer", lang), tr("report_feature_id", lang)
    if results.estates is not None:
        lost = results.estates[results.estates["community_id"].isna()]
        frames.append(
            pd.DataFrame(
                {
                    layer: layer_name("estates", lang=lang),
                    feature_id: lost["estate_id"],
                    label("name", lang): lost["name"],
                    label("households", lang): lost["households"],
                }
            )
        )
    if results.premises is not None:
        lost = results.premises[results.premises["community_id"].isna()]
        frames.append(
            pd.DataFrame(
                {
                    layer: layer_name("premises", lang=lang),
                    feature_id: lost["premises_id"],
                    label("name", lang): lost.get("name"),
                    label("floor_area_m2", lang): lost["floor_area_m2"],
                }
            )
        )
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({label("message", lang): [label("unassigned", lang) + ": 0"]})
    table = pd.concat(frames, ignore_index=True)
    fields = {label(f, lang): f for f in ("households", "floor_area_m2")}
    table.attrs["fields"] = [fields.get(str(c)) for c in table.columns]
    return table


def planning_conditions_table(results: Results, *, lang: str = "zh") -> pd.DataFrame:
    """The R2 sheet: one row per development parcel, headers in ``lang``."""
    table = pd.DataFrame(results.planning_conditions)
    fields = list(table.columns)
    table = table.rename(columns={c: label(c, lang) for c in table.columns})
    table.attrs["fields"] = fields
    return table


def _working_crs(data: PlanningData, lang: str = "en") -> str:
    """``EPSG:4549 (auto)``: the working CRS, and whether planner.yaml fixed it (the code
    first, then a space: :func:`gis_planner.io.runfolder.read_run` reads it back)."""
    code = "report_crs_auto" if data.working_crs_setting == "auto" else "report_crs_fixed"
    return tr(code, lang, crs=data.working_crs)


def settings_rows(results: Results, *, lang: str = "zh") -> pd.DataFrame:
    """The settings of a run as (machine key, value) rows: the keys are stable
    (:func:`gis_planner.io.runfolder.read_run` reads them back); :func:`settings_sheet`
    labels them for the report."""
    data = results.data
    rules = data.rules
    rows: list[tuple[str, object]] = [
        ("gis_planner", __version__),
        ("generated", _dt.datetime.now().isoformat(sep=" ", timespec="seconds")),
        ("layers_folder", str(data.folder)),
        ("rules_version", rules.version),
        ("rules_files", " + ".join(rules.sources)),
        ("rules_sha256", rules.checksum()),
        ("working_crs", _working_crs(data, lang)),
        ("output_crs", "EPSG:4326 (RFC 7946)"),
        ("plan_year", results.year if results.year is not None else "—"),
        ("data_year", results.data_year),
        ("household_size", data.household_size),
        ("lang", lang),
    ]
    scenario = results.scenario
    if scenario:
        rows.append(("scenario", scenario.get("name", "")))
        for i, edit in enumerate(scenario.get("edits") or [], start=1):
            rows.append((f"scenario_edit.{i}", str(edit)))
    if data.data_note:
        rows.append(("data_note", data.data_note.get(lang, data.data_note.get("zh", ""))))
    for name, info in data.sources.items():
        rows.append(
            (
                f"source.{name}",
                f"{Path(info.file).name}; {info.crs}; "
                f"{tr('report_features', lang, n=info.features)}; sha256 {info.sha256}",
            )
        )
        if info.datum_shift is not None:  # how a legacy or local datum became CGCS2000
            rows.append((f"source.{name}.transformation", render(info.datum_shift.text, lang)))
    return pd.DataFrame(rows, columns=[label("key", lang), label("value", lang)])


def setting_label(key: str, *, lang: str = "zh") -> str:
    """The wording of a settings key (``generated`` → 生成时间, ``source.estates`` →
    源图层：小区); an unknown key as it is."""
    if key.startswith("scenario_edit."):
        return tr("setting_scenario_edit", lang, i=key.removeprefix("scenario_edit."))
    if key.startswith("source."):
        name = key.removeprefix("source.")
        if name.endswith(".transformation"):
            layer = layer_name(name.removesuffix(".transformation"), lang=lang)
            return tr("setting_source_transformation", lang, layer=layer)
        return tr("setting_source", lang, layer=layer_name(name, lang=lang))
    code = f"setting_{key}"
    return tr(code, lang) if code in MESSAGES else key


def settings_sheet(results: Results, *, lang: str = "zh") -> pd.DataFrame:
    """The settings sheet: the setting worded, its value, and its machine key last (what
    :func:`gis_planner.io.runfolder.read_settings` reads back)."""
    rows = settings_rows(results, lang=lang).itertuples(index=False)
    table = pd.DataFrame(
        [(setting_label(str(key), lang=lang), value, key) for key, value in rows],
        columns=[
            tr("report_setting", lang),
            tr("report_setting_value", lang),
            tr("report_setting_key", lang),
        ],
    )
    table.attrs["fields"] = [None, "setting_value", "setting_key"]
    return table


def _cell_values(series: pd.Series, sep: str, lang: str) -> list[Any]:
    """A column as Python values for the workbook: messages worded, lists joined, missing
    values blank."""
    out = []
    for v in series.tolist():
        if isinstance(v, list):
            v = sep.join(str(render(item, lang)) for item in v)
        elif isinstance(v, (Message, Term, Listing)):
            v = v.text(lang)
        elif v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            v = None
        out.append(v)
    return out


# --------------------------------------------------------------------------- print layout

#: widest column, in character widths (a Chinese character is two); longer text wraps
MAX_COLUMN_WIDTH = 60
#: the widest column of a sheet of only a few columns (summary, warnings, settings)
MAX_TEXT_WIDTH = 90
#: narrowest column, and the width a long header wraps to
MIN_COLUMN_WIDTH, HEADER_WRAP_WIDTH = 6, 10
#: a sheet wider than this (character widths) prints on A3 rather than A4, landscape
A3_ABOVE_WIDTH = 220
PAPER_A4, PAPER_A3 = 9, 8
#: columns narrower than their longest value, to leave the page to the reasons of the R6 list
FIELD_MAX_WIDTH = {"enclosure_status": 16}
#: fields shown as percentages (shares of 0–1)
PERCENT_FIELDS = frozenset({"survey_participation", "survey_support", "commercial_frontage"})


@functools.lru_cache(maxsize=65536)
def _text_width(text: str) -> int:
    """Width of ``text`` in character widths: East Asian wide characters count two (kept
    for the texts that repeat: names of streets and communities, statuses, reasons)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def number_format(field: str | None, values: list[Any]) -> str | None:
    """The Excel number format of a numeric column, by its field: ``0%`` for shares,
    ``0`` for years, ``#,##0.0`` for areas (m²), ``#,##0`` for yuan, distances, households
    and counts; ``None`` for a column that holds no numbers.

    >>> number_format("shortfall_m2", [1200.0]), number_format("built_year", [1998.0])
    ('#,##0.0', '0')
    """
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not numbers:
        return None
    name = field or ""
    if name in PERCENT_FIELDS:
        return "0%"
    if "_yuan" in name or name.endswith("_m"):  # subsidy_rent_yuan_per_year is money
        return "#,##0"
    if "_m2" in name:  # required_area_m2_before too
        return "#,##0.0"
    if name.endswith("year") or name in ("rank", "enclosure_rank", "priority"):
        return "0"
    whole = all(float(v).is_integer() for v in numbers if v == v)
    return "#,##0" if whole else "#,##0.00"


def _shown_width(value: Any, fmt: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and fmt is not None and fmt.startswith("#,##0"):
        decimals = len(fmt.partition(".")[2])
        return len(f"{value:,.{decimals}f}")
    return _text_width(str(value))


@dataclass(frozen=True)
class _Column:
    """How one column of a sheet is written and printed."""

    values: list[Any]
    width: float
    num_format: str | None
    wrap: bool


def _columns(table: pd.DataFrame, *, sep: str, lang: str, widest: int) -> list[_Column]:
    fields: list[str | None] = list(table.attrs.get("fields") or [None] * table.shape[1])
    out = []
    for j, column in enumerate(table.columns):
        values = _cell_values(table.iloc[:, j], sep, lang)
        fmt = number_format(fields[j] if j < len(fields) else None, values)
        content = max([_shown_width(v, fmt) for v in values[:500]] + [0])
        header = _text_width(str(column))
        width = max(content, min(header, HEADER_WRAP_WIDTH), MIN_COLUMN_WIDTH) + 2
        cap = FIELD_MAX_WIDTH.get(fields[j] or "", widest) if j < len(fields) else widest
        out.append(_Column(values, min(width, cap), fmt, content + 2 > cap))
    return out


#: height of one line of text in a row (points; Excel's default for 11-point Calibri)
ROW_HEIGHT_PT = 15.0


def _row_lines(columns: list[_Column]) -> list[int]:
    """Lines of text each row needs: the most of its wrapped cells, each its text width over
    the column's width (in character widths, a Chinese character two), rounded up.

    >>> c = _Column(["短", "很长" * 20, None], width=12, num_format=None, wrap=True)
    >>> _row_lines([c])
    [1, 10, 1]
    """
    rows = max((len(c.values) for c in columns), default=0)
    lines = [1] * rows
    for column in columns:
        if not column.wrap:
            continue
        # a tenth of the width to spare: spreadsheets break lines at punctuation and spaces
        usable = max(column.width * 0.9 - 2, 1)
        for i, value in enumerate(column.values):
            if isinstance(value, str) and value:
                needed = sum(
                    max(1, math.ceil(_text_width(part) / usable)) for part in value.split("\n")
                )
                lines[i] = max(lines[i], needed)
    return lines


def _escape_header(text: str) -> str:
    """Text for an Excel page header or footer: ``&`` is a control character there."""
    return text.replace("&", "&&")


def _page_setup(sheet: Any, columns: list[_Column], *, header: str, footer: str) -> None:
    """Landscape, one page wide (as many pages down as needed), the header row repeated on
    every page, gridlines printed, the report and sheet name above, page numbers below."""
    sheet.set_landscape()
    sheet.set_paper(PAPER_A3 if sum(c.width for c in columns) > A3_ABOVE_WIDTH else PAPER_A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.hide_gridlines(0)  # shown on screen and printed
    sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    sheet.set_header(f"&L{_escape_header(header)[:200]}&R&A", {"margin": 0.3})
    sheet.set_footer(f"&C{footer}", {"margin": 0.3})


def _write_workbook(
    path: Path, sheets: dict[str, pd.DataFrame], *, sep: str, lang: str, title: str
) -> None:
    """Write the sheets with xlsxwriter, a column at a time, ready to print.

    pandas' ``to_excel`` goes cell by cell through its own layer; writing whole columns with
    xlsxwriter is about 3× faster on 100,000 estates (benchmarks/bench_pipeline.py). Each
    column gets its number format (thousands separators, percentages) and a width from its
    content; text longer than the widest column wraps, and its row is made as tall as its
    lines (:func:`_row_lines`): LibreOffice does not fit row heights when it opens a workbook,
    so without them a wrapped reason prints cut at the cell's edge.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False, "strings_to_formulas": False})
    header_format = book.add_format(
        {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"}
    )
    formats: dict[tuple[str | None, bool], Any] = {}

    def cell_format(num_format: str | None, wrap: bool) -> Any:
        if (num_format, wrap) not in formats:
            spec: dict[str, Any] = {"valign": "top"}
            if num_format:
                spec["num_format"] = num_format
            if wrap:
                spec["text_wrap"] = True
            formats[num_format, wrap] = book.add_format(spec)
        return formats[num_format, wrap]

    footer = tr("report_page_footer", lang)
    for name, table in sheets.items():
        sheet = book.add_worksheet(name[:31])
        widest = MAX_TEXT_WIDTH if table.shape[1] <= 3 else MAX_COLUMN_WIDTH
        columns = _columns(table, sep=sep, lang=lang, widest=widest)
        sheet.write_row(0, 0, [str(c) for c in table.columns], header_format)
        sheet.freeze_panes(1, 0)
        for j, column in enumerate(columns):
            sheet.set_column(j, j, column.width, cell_format(column.num_format, column.wrap))
            sheet.write_column(1, j, column.values)
        for i, lines in enumerate(_row_lines(columns)):
            if lines > 1:
                sheet.set_row(i + 1, ROW_HEIGHT_PT * lines)
        if columns and table.shape[1] > 3:
            sheet.autofilter(0, 0, len(table), len(columns) - 1)
        _page_setup(sheet, columns, header=title, footer=footer)
    book.close()


def sheet_row_limit(results: Results) -> tuple[int, str]:
    """The most rows a table may have to be a sheet of the workbook, and which limit that is:
    ``limits.report_max_sheet_rows`` of the rules (``"rules"``), never more than an Excel sheet
    holds (``"excel"``, 1,048,575 below the header)."""
    rules = results.rules
    limits = rules.limits.to_dict() if "limits" in rules else {}
    setting = limits.get("report_max_sheet_rows")
    excel = EXCEL_MAX_ROWS - 1
    if setting is not None and int(setting) < excel:
        return int(setting), "rules"
    return excel, "excel"


def write_table_csv(table: pd.DataFrame, path: Path) -> Path:
    """A sheet's table as CSV for Excel (UTF-8 with a byte-order mark), the same headers
    and values; numbers rounded as the sheet shows them (:func:`number_format`: whole numbers
    without ``.0``), and no text cell a spreadsheet would run as a formula (a ``'`` before
    it, as :func:`gis_planner.render.escape.csv_cell`).

    Written by pyarrow's CSV writer (text quoted, lines ending in LF, which Excel reads as
    well as CRLF: pyarrow before 22 cannot write CRLF): pandas' ``to_csv`` took most of the
    time of the report at province size.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    fields: list[str | None] = list(table.attrs.get("fields") or [None] * table.shape[1])
    arrays = []
    for j in range(table.shape[1]):
        series = table.iloc[:, j]
        if pd.api.types.is_float_dtype(series.dtype):
            fmt = number_format(fields[j] if j < len(fields) else None, series.dropna().tolist())
            decimals = 4 if fmt is None or fmt.endswith("%") else len(fmt.partition(".")[2])
            series = series.round(decimals)
            if decimals == 0 or series.dropna().mod(1).eq(0).all():
                series = series.astype("Int64")
        try:
            array = pa.array(series, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text and numbers in one column
            array = pa.array([None if _blank(v) else str(v) for v in series.tolist()], pa.string())
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            formula = pc.fill_null(pc.match_substring_regex(array, _FORMULA_START), False)
            quote, empty = pa.scalar("'", array.type), pa.scalar("", array.type)
            array = pc.if_else(formula, pc.binary_join_element_wise(quote, array, empty), array)
        arrays.append(array)
    names = [str(csv_cell(str(c))) for c in table.columns]
    with open(path, "wb") as sink:
        sink.write("\ufeff".encode())  # the byte-order mark by which Excel reads UTF-8
        csv.write_csv(pa.table(arrays, names=names), sink)
    return path


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


#: a text cell a spreadsheet would run as a formula (gis_planner.render.escape.csv_cell)
_FORMULA_START = "^[" + "".join("\\" + c if c == "-" else c for c in FORMULA_PREFIXES) + "]"


def _in_csv(
    key: str, table: pd.DataFrame, folder: Path, limit: tuple[int, str], lang: str
) -> pd.DataFrame:
    """The table ``key`` written as its CSV beside the workbook, and the sheet that says so."""
    name = csv_file(key)
    write_table_csv(table, folder / name)
    rows, which = limit
    code = "report_sheet_in_csv" if which == "rules" else "report_sheet_in_csv_excel"
    limit_shown = rows if which == "rules" else EXCEL_MAX_ROWS
    note = tr(code, lang, rows=len(table), limit=limit_shown, file=name)
    return pd.DataFrame({label("message", lang): [note]})


def write_report(results: Results, path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``report.xlsx``: one sheet per table plus the rules and settings used, each
    set up to print (landscape, one page wide, header row on every page, page numbers).

    A table of more rows than :func:`sheet_row_limit` (``limits.report_max_sheet_rows`` of
    the rules: the estates and the R6 list of a province) is written as
    ``report_<table>.csv`` (:data:`CSV_FILES`) beside the workbook, and its sheet holds one
    line naming the file, so that every sheet is still there; a CSV of an earlier report whose
    table now fits its sheet is removed.
    """
    path = Path(path)
    sep = LIST_SEPARATOR.get(lang, "; ")
    sheets: dict[str, pd.DataFrame] = {}
    sheets["summary"] = pd.DataFrame(
        summary_rows(results, lang=lang),
        columns=[tr("report_item", lang), tr("report_figure", lang)],
    )
    texts = Texts(lang)  # the R6 reasons of the estates and of the R6 list: the same messages
    distance = float(results.rules.layout.walking_distance_m)
    reach = {
        label("covered", lang): tr("report_col_covered", lang, distance=distance),
        label("households_covered", lang): tr(
            "report_col_households_covered", lang, distance=distance
        ),
    }
    sheets["communities"] = _renamed(
        display_table(results.communities, COMMUNITY_COLUMNS, lang=lang), reach
    )
    if results.estates is not None:
        sheets["estates"] = _renamed(
            display_table(results.estates, ESTATE_COLUMNS, lang=lang, texts=texts), reach
        )
    if results.enclosure_list is not None:
        sheets["enclosure"] = enclosure_sheet(results.enclosure_list, lang=lang, texts=texts)
    if results.enclosure_counts is not None:
        sheets["enclosure_summary"] = enclosure_summary_sheet(results.enclosure_counts, lang=lang)
    if results.premises is not None:
        sheets["premises"] = display_table(results.premises, PREMISES_COLUMNS, lang=lang)
    sheets["planning_conditions"] = planning_conditions_table(results, lang=lang)
    layout = results.layout
    if layout is not None:
        bp, sr = layout.boundaries, layout.siting
        sheets["layout_decisions"] = display_table(
            bp.decisions, list(bp.decisions.columns), lang=lang
        )
        sheets["proposed_communities"] = display_table(
            bp.communities, [c for c in bp.communities.columns if c != "geometry"], lang=lang
        )
        sheets["boundary_moves"] = display_table(bp.moves, list(bp.moves.columns), lang=lang)
        sheets["proposed_sites"] = display_table(
            sr.sites, [c for c in sr.sites.columns if c != "geometry"], lang=lang
        )
    sheets["unassigned"] = _unassigned(results, lang)
    sheets["warnings"] = pd.DataFrame(
        [(layer_name(w.source, lang=lang), wording(w.message, lang)) for w in results.warnings],
        columns=[label("source", lang), label("message", lang)],
    )
    sheets["rules"] = pd.DataFrame(
        results.rules.flat(),
        columns=[label("key", lang), label("value", lang), label("section", lang)],
    )
    sheets["settings"] = settings_sheet(results, lang=lang)
    title = tr("report_page_header", lang, title=tr("summary_title", lang), name=results.data.name)
    limit = sheet_row_limit(results)
    for key, table in sheets.items():
        if len(table) > limit[0]:
            sheets[key] = _in_csv(key, table, path.parent, limit, lang)
        else:
            (path.parent / csv_file(key)).unlink(missing_ok=True)
    _write_workbook(
        path,
        {_sheet(key, lang): table for key, table in sheets.items()},
        sep=sep,
        lang=lang,
        title=title,
    )
    return path


def _renamed(table: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """``table`` with some headers reworded, its fields kept."""
    fields = table.attrs.get("fields")
    out = table.rename(columns=columns)
    out.attrs["fields"] = fields
    return out
