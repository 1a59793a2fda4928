"""Scenarios side by side: per-community comparison tables and the dual map.

:func:`compare` evaluates two or more scenarios (:meth:`Scenario.evaluate`) and puts their
figures in one table, worded in ``lang`` when asked; :func:`dual_map` shows two of them on
synchronised maps, drawn by :mod:`gis_planner.render.dualmap` from their results.

Examples
--------
>>> from gis_planner.datasets import get_path
>>> base = Scenario.load(get_path("deqing_demo"), year=2035)
>>> plan = base.named("方案A").add_premises(
...     "YF101", community_id="330521001013", function="党群服务中心", floor_area_m2=1800)
>>> table = compare([base, plan])
>>> table.loc[("330521001013", "千亩社区"), ("premises_status", "方案A")]
'meets'
>>> compare_totals(compare([base, plan], lang="en"))["Premises status"].tolist()
['9/12/1', '10/12/0']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium.plugins
import pandas as pd

from gis_planner.i18n import label, msg, tr, value_label
from gis_planner.render import dualmap
from gis_planner.results import Results
from gis_planner.scenario.checks import ScenarioError
from gis_planner.scenario.edits import Scenario, display_name

__all__ = [
    "COMPARE_MEASURES",
    "compare",
    "compare_totals",
    "dual_map",
    "render_dual_map",
    "write_dual_map",
]

#: The measures of :func:`compare`, per community and scenario.
COMPARE_MEASURES = (
    "households",
    "required_area_m2",
    "premises_area_m2",
    "shortfall_m2",
    "premises_status",
    "staff_range",
    "funds_yuan_per_year",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
)

#: The pages of a :func:`dual_map` (the renderer's).
render_dual_map = dualmap.render_dual_map


def _unique_names(scenarios: Sequence[Scenario], lang: str | None) -> list[str]:
    names: list[str] = []
    for s in scenarios:
        shown = display_name(s.name, lang) if lang else s.name
        name, n = shown, 2
        while name in names:
            name = f"{shown} ({n})"
            n += 1
        names.append(name)
    return names


def _compare_table(results: Results) -> pd.DataFrame:
    c = results.communities
    table = pd.DataFrame(
        {
            "households": c["households"].astype("int64"),
            "required_area_m2": c["required_area_m2"].astype(float),
            "premises_area_m2": c["premises_area_m2"].astype(float),
            "shortfall_m2": c["shortfall_m2"].astype(float),
            "premises_status": c["premises_status"].astype(object),
            "staff_range": [
                str(lo) if lo == hi else f"{lo}–{hi}"
                for lo, hi in zip(c["staff_min"], c["staff_max"], strict=True)
            ],
            "funds_yuan_per_year": (c["working_funds_yuan"] + c["cobuild_funds_yuan"]).astype(
                float
            ),
            "subsidy_build_yuan": c["subsidy_build_yuan"].astype(float),
            "subsidy_rent_yuan_per_year": c["subsidy_rent_yuan_per_year"].astype(float),
        }
    )
    table.index = pd.Index(c["community_id"].astype(str), name="community_id")
    status = c["premises_status"].value_counts()
    table.attrs["total"] = {
        **{
            m: float(table[m].sum())
            for m in COMPARE_MEASURES
            if m not in ("premises_status", "staff_range")
        },
        "households": int(table["households"].sum()),
        "premises_status": "/".join(str(int(status.get(k, 0))) for k in ("meets", "short", "none")),
        "staff_range": f"{int(c['staff_min'].sum())}–{int(c['staff_max'].sum())}",
    }
    table.attrs["names"] = dict(zip(table.index, c["name"].astype(str), strict=True))
    return table


def _typed(out: pd.DataFrame, names: list[str]) -> None:
    """Households as nullable integers, amounts rounded to 2 decimals, texts as objects."""
    for measure in COMPARE_MEASURES:
        for name in names:
            if measure == "households":
                out[(measure, name)] = pd.array(
                    [None if pd.isna(v) else int(v) for v in out[(measure, name)]], dtype="Int64"
                )
            elif measure not in ("premises_status", "staff_range"):
                out[(measure, name)] = pd.to_numeric(out[(measure, name)]).round(2)
            else:
                out[(measure, name)] = out[(measure, name)].astype(object)


def compare(
    scenarios: Sequence[Scenario],
    *,
    year: int | None = None,
    lang: str | None = None,
    totals: bool = True,
) -> pd.DataFrame:
    """Two or more scenarios side by side, one row per community.

    Parameters
    ----------
    scenarios : list of Scenario
    year : int, optional
        Plan year of all of them (default: each scenario's own ``year``).
    lang : {"zh", "en"}, optional
        Word headers, status values and the default scenario name for display; default:
        field names and codes.
    totals : bool
        Add a last row ``TOTAL``: sums, the status as "meets/short/none" counts and the
        staff as the sums of the minima and maxima.

    Returns
    -------
    DataFrame
        Index (``community_id``, ``name``): every community of any scenario, in the order
        first met (a merged or split community has values only where it exists). Columns:
        MultiIndex (measure, scenario) over :data:`COMPARE_MEASURES` — households, required
        area, counted premises area, shortfall (m²), status, staff range, yearly working +
        co-building funds, build subsidy (one-off) and rent subsidy (a year), in yuan.
        ``attrs["years"]`` gives each scenario's plan year.
    """
    if not scenarios:
        raise ScenarioError(msg("scn_compare_none"))
    names = _unique_names(scenarios, lang)
    tables = {
        name: _compare_table(s.evaluate(year)) for s, name in zip(scenarios, names, strict=True)
    }
    community_names: dict[str, str] = {}
    for table in tables.values():
        for cid, name in table.attrs["names"].items():
            community_names.setdefault(cid, name)
    index = pd.MultiIndex.from_tuples(list(community_names.items()), names=["community_id", "name"])
    columns = pd.MultiIndex.from_product(
        [list(COMPARE_MEASURES), names], names=["measure", "scenario"]
    )
    data: dict[tuple[str, str], list[Any]] = {}
    for measure in COMPARE_MEASURES:
        for name in names:
            values = tables[name][measure].reindex(list(community_names)).tolist()
            if totals:
                values.append(tables[name].attrs["total"][measure])
            data[(measure, name)] = values
    if totals:
        index = index.append(
            pd.MultiIndex.from_tuples([("TOTAL", tr("scn_total", lang) if lang else "total")])
        )
    out = pd.DataFrame(data, index=index, columns=columns)
    _typed(out, names)
    out.attrs["years"] = {
        name: s.evaluate(year).year for s, name in zip(scenarios, names, strict=True)
    }
    if lang:
        out = out.rename(columns={m: label(m, lang) for m in COMPARE_MEASURES}, level=0)
        for column in out.columns:
            if out[column].dtype == object:
                out[column] = out[column].map(lambda v: value_label(v, lang))
        out.index = out.index.set_names([label("community_id", lang), label("name", lang)])
    return out


def compare_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The last (``TOTAL``) row of a :func:`compare` table: one row per scenario, one column
    per measure, in the table's order."""
    row = table.iloc[-1]
    measures = list(dict.fromkeys(table.columns.get_level_values(0)))
    names = list(dict.fromkeys(table.columns.get_level_values(1)))
    return pd.DataFrame(
        {m: [row[(m, n)] for n in names] for m in measures},
        index=pd.Index(names, name=table.columns.names[1]),
    )


def dual_map(
    left: Scenario,
    right: Scenario,
    *,
    year: int | None = None,
    lang: str = "zh",
    layout: str = "horizontal",
) -> folium.plugins.DualMap:
    """Two scenarios on synchronised side-by-side maps, offline
    (:func:`gis_planner.render.dualmap.dual_map` of their results).

    Parameters
    ----------
    left, right : Scenario
    year : int, optional
        Plan year of both (default: each scenario's own).
    lang : {"zh", "en"}
    layout : {"horizontal", "vertical"}

    Returns
    -------
    folium.plugins.DualMap
        Shows itself in a notebook; :func:`write_dual_map` writes it to a file.
    """
    return dualmap.dual_map(
        left.evaluate(year),
        right.evaluate(year),
        names=[display_name(left.name, lang), display_name(right.name, lang)],
        lang=lang,
        layout=layout,
    )


def write_dual_map(
    left: Scenario,
    right: Scenario,
    path: str | Path,
    *,
    year: int | None = None,
    lang: str = "zh",
    layout: str = "horizontal",
) -> Path:
    """Write :func:`dual_map` of two scenarios to ``path`` (one self-contained page)."""
    return dualmap.write_dual_map(dual_map(left, right, year=year, lang=lang, layout=layout), path)
