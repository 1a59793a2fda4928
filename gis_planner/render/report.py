"""The Excel report (``report.xlsx``) and the terminal summary, Chinese by default.

One sheet per table — summary, communities, estates, premises, the open-to-enclosed list and
its summary, unassigned features, warnings — plus the rules and settings that produced them.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gis_planner import __version__
from gis_planner.errors import wording
from gis_planner.i18n import Listing, Message, Term, label, render, tr, value_label
from gis_planner.io.layers import PlanningData
from gis_planner.render.text import LIST_SEPARATOR
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


def display_table(df: pd.DataFrame, columns: list[str], *, lang: str = "zh") -> pd.DataFrame:
    """The columns present of ``df``, with translated headers and enumeration labels.

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
        if (
            pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_bool_dtype(dtype)
            and not isinstance(dtype, pd.CategoricalDtype)
        ):
            data[k] = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            data[k] = [_display_value(v, yes, no, sep, lang) for v in series.tolist()]
    table = pd.DataFrame(data, index=df.index)
    table.columns = [label(c, lang) for c in present]
    return table


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


def enclosure_sheet(table: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
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
        elif column == "enclosure_status":
            shown = [value_label(v, lang) for v in values.tolist()]
        elif column == "enclosure_reasons":
            shown = [sep.join(str(render(r, lang)) for r in v) for v in values.tolist()]
        elif column in ("walls_included", "no_property_management"):
            shown = [yes if v else no for v in values.tolist()]
        else:
            shown = values
        out[label(header, lang)] = shown
    return pd.DataFrame(out, index=table.index)


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


def _unassigned(results: Results, lang: str) -> pd.DataFrame:
    frames = []
    if results.estates is not None:
        lost = results.estates[results.estates["community_id"].isna()]
        frames.append(
            pd.DataFrame(
                {
                    label("layer", lang): label("estate_id", lang),
                    "id": lost["estate_id"],
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
                    label("layer", lang): label("premises_id", lang),
                    "id": lost["premises_id"],
                    label("name", lang): lost.get("name"),
                    label("floor_area_m2", lang): lost["floor_area_m2"],
                }
            )
        )
    frames = [f for f in frames if len(f)]
    return (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({label("message", lang): [label("unassigned", lang) + ": 0"]})
    )


def planning_conditions_table(results: Results, *, lang: str = "zh") -> pd.DataFrame:
    """The R2 sheet: one row per development parcel, headers in ``lang``."""
    table = pd.DataFrame(results.planning_conditions)
    return table.rename(columns={c: label(c, lang) for c in table.columns})


def _working_crs(data: PlanningData) -> str:
    """``EPSG:4549 (auto)``: the working CRS, and whether planner.yaml fixed it."""
    crs = data.working_crs
    setting = data.working_crs_setting
    return f"{crs} (auto)" if setting == "auto" else f"{crs} (planner.yaml working_crs)"


def _settings(results: Results, lang: str) -> pd.DataFrame:
    data = results.data
    rules = data.rules
    rows: list[tuple[str, object]] = [
        ("gis_planner", __version__),
        ("generated", _dt.datetime.now().isoformat(timespec="seconds")),
        ("layers_folder", str(data.folder)),
        ("rules_version", rules.version),
        ("rules_files", " + ".join(rules.sources)),
        ("rules_sha256", rules.checksum()),
        ("working_crs", _working_crs(data)),
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
                f"{info.features} features; sha256 {info.sha256}",
            )
        )
        if info.datum_shift is not None:  # how a legacy or local datum became CGCS2000
            rows.append((f"source.{name}.transformation", render(info.datum_shift.text, lang)))
    return pd.DataFrame(rows, columns=[label("key", lang), label("value", lang)])


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


def _write_workbook(
    path: Path, sheets: dict[str, pd.DataFrame], *, sep: str, wide: bool, lang: str
) -> None:
    """Write the sheets with xlsxwriter, a column at a time.

    pandas' ``to_excel`` goes cell by cell through its own layer; writing whole columns with
    xlsxwriter is about 3× faster on 100,000 estates (benchmarks/bench_pipeline.py).
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_urls": False, "strings_to_formulas": False})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    for name, table in sheets.items():
        sheet = book.add_worksheet(name[:31])
        sheet.write_row(0, 0, [str(c) for c in table.columns], header)
        sheet.freeze_panes(1, 0)
        for j, column in enumerate(table.columns):
            values = _cell_values(table[column], sep, lang)
            sheet.write_column(1, j, values)
            width = max([len(str(column))] + [len(str(v)) for v in values[:200] if v is not None])
            sheet.set_column(j, j, min(max(8, width * (1.6 if wide else 1.1)), 60))
    book.close()


def write_report(results: Results, path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``report.xlsx``: one sheet per table plus the rules and settings used."""
    path = Path(path)
    sep = LIST_SEPARATOR.get(lang, "; ")
    sheets: dict[str, pd.DataFrame] = {}
    sheets["summary"] = pd.DataFrame(
        summary_rows(results, lang=lang), columns=[label("key", lang), label("value", lang)]
    )
    sheets["communities"] = display_table(results.communities, COMMUNITY_COLUMNS, lang=lang)
    if results.estates is not None:
        sheets["estates"] = display_table(results.estates, ESTATE_COLUMNS, lang=lang)
    if results.enclosure_list is not None:
        sheets["enclosure"] = enclosure_sheet(results.enclosure_list, lang=lang)
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
        [(w.source, wording(w.message, lang)) for w in results.warnings],
        columns=[label("source", lang), label("message", lang)],
    )
    sheets["rules"] = pd.DataFrame(
        results.rules.flat(),
        columns=[label("key", lang), label("value", lang), label("section", lang)],
    )
    sheets["settings"] = _settings(results, lang)
    _write_workbook(
        path,
        {_sheet(key, lang): table for key, table in sheets.items()},
        sep=sep,
        wide=lang == "zh",
        lang=lang,
    )
    return path
