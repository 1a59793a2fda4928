"""Run every analysis on validated layers: ``PlanningData`` → :class:`Results`.

Data flows one way: files → :func:`gis_planner.layers.load_layers` → :func:`analyse` (pure
functions of the analysis modules) → renderers (:mod:`gis_planner.report`, maps, exports).
Nothing here reads or writes files.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner import budget, enclosure, households, layout, premises
from gis_planner.errors import Problem, format_rows
from gis_planner.i18n import tr
from gis_planner.layers import PlanningData

log = logging.getLogger(__name__)


@dataclass
class Results:
    """Everything a run computes, in the working CRS (EPSG:4549).

    ``communities``, ``estates`` and ``premises`` carry their input fields plus the computed
    fields of DESIGN.md; list-valued fields (``warnings``, ``enclosure_reasons``) hold lists.
    """

    data: PlanningData
    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    premises: gpd.GeoDataFrame | None
    warnings: list[Problem] = field(default_factory=list)
    year: int | None = None
    lang: str = "zh"
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def rules(self):  # noqa: ANN201 - RuleSet
        return self.data.rules


def _community_households(data: PlanningData, lang: str, warnings: list[Problem]
                          ) -> tuple[pd.Series, households.Allocation | None]:
    communities = data.communities
    if data.estates is None:
        given = communities.get("households")
        if given is None:
            return pd.Series(0, index=communities.index, dtype="int64"), None
        return pd.to_numeric(given, errors="coerce").fillna(0).astype("int64"), None
    estates = data.estates
    missing = estates["households"].isna()
    if missing.any():
        warnings.append(Problem("estates", tr("table_missing_count", lang,
                                              rows=format_rows(estates.loc[missing,
                                                                           "estate_id"]))))
    allocation = households.allocate_households(estates, communities)
    return allocation.community_households, allocation


def analyse(data: PlanningData, *, year: int | None = None, lang: str = "zh") -> Results:
    """Compute R1 and R3–R8 for every community, estate and premises.

    Parameters
    ----------
    data : PlanningData
        Validated layers in EPSG:4549 (:func:`gis_planner.layers.load_layers`).
    year : int, optional
        A plan year: planned premises count toward the area.
    lang : {"zh", "en"}
        Language of warnings, notes and reasons.

    Returns
    -------
    Results
    """
    rules = data.rules
    warnings: list[Problem] = list(data.warnings)
    communities = data.communities.copy()
    hh, allocation = _community_households(data, lang, warnings)

    # --- premises: community, counted, R1, R3
    prem = data.premises.copy() if data.premises is not None else None
    if prem is not None:
        assigned = premises.assign_premises(prem, communities)
        prem["community_id"] = assigned["community_id"]
        prem["assigned_by"] = assigned["assigned_by"]
        located = int((assigned["assigned_by"] == "location").sum())
        if located:
            warnings.append(Problem("premises", tr("premises_located", lang, n=located)))
        lost = assigned["community_id"].isna()
        if lost.any():
            warnings.append(Problem("premises", tr("premises_unassigned", lang,
                                                   n=int(lost.sum()),
                                                   rows=format_rows(prem.loc[lost,
                                                                             "premises_id"]))))
    check = premises.check_premises(communities, prem, hh, rules=rules, year=year, lang=lang)

    if "households" in communities:
        communities = communities.rename(columns={"households": "households_given"})
    communities["households"] = hh.astype("int64")
    communities["population_used"] = budget.population_used(communities, hh,
                                                             household_size=data.household_size)
    for column in check.columns.drop("premises_warnings"):
        communities[column] = check[column]
    staff_min, staff_max = budget.staffing_range(hh, rules=rules)
    communities["staff_min"] = staff_min
    communities["staff_max"] = staff_max
    funds = budget.operating_funds(communities["population_used"], rules=rules)
    communities["working_funds_yuan"] = funds["working_funds_yuan"]
    communities["cobuild_funds_yuan"] = funds["cobuild_funds_yuan"]

    if prem is not None:
        counted = premises.counted_premises(prem, rules=rules, year=year)
        kind = communities.set_index("community_id")["kind"]
        subsidies = budget.premises_subsidies(prem, kind, counted, rules=rules, lang=lang)
        for column in subsidies.columns:
            prem[column] = subsidies[column]
        per_community = subsidies.groupby(prem["community_id"])[
            ["subsidy_build_yuan", "subsidy_rent_yuan_per_year"]].sum()
        for column in per_community.columns:
            communities[column] = communities["community_id"].map(per_community[column]
                                                                  ).fillna(0.0)
    else:
        counted = None
        communities["subsidy_build_yuan"] = 0.0
        communities["subsidy_rent_yuan_per_year"] = 0.0
    communities["scale_status"] = layout.scale_status(communities["households"], rules=rules)

    community_warnings = check["premises_warnings"].copy()
    if "households_given" in communities and data.estates is not None:
        given = pd.to_numeric(communities["households_given"], errors="coerce")
        diff = (given - hh).abs() / given.where(given > 0)
        share = rules.settings.households_mismatch_warning_share
        off = diff > share
        for i in communities.index[off.fillna(False)]:
            community_warnings[i] = [*community_warnings[i], tr(
                "warn_households_field", lang, given=int(given[i]), summed=int(hh[i]),
                diff=float(diff[i]))]
        if off.any():
            warnings.append(Problem("communities", tr(
                "households_mismatch", lang, share=share,
                rows=format_rows(communities.loc[off.fillna(False), "community_id"]))))
    communities["warnings"] = community_warnings

    # --- estates: community, shares, reach, R6, R8
    estates = None
    if data.estates is not None and allocation is not None:
        estates = data.estates.copy()
        best = allocation.estates["community_index"].to_numpy()
        ids = communities["community_id"].to_numpy()
        names = communities["name"].to_numpy()
        streets = (communities["street"].to_numpy() if "street" in communities
                   else np.full(len(communities), None, dtype=object))
        inside = best >= 0
        position = np.where(inside, best, 0)
        for column, values in (("community_id", ids), ("community_name", names),
                               ("street", streets)):
            estates[column] = pd.Series(np.where(inside, values[position], None),
                                        index=estates.index, dtype=object)
        estates["community_shares"] = [json.dumps(s, ensure_ascii=False) if s else None
                                       for s in allocation.estates["community_shares"]]
        estates["outside_share"] = allocation.estates["outside_share"].round(4)
        unassigned = ~inside
        if unassigned.any():
            warnings.append(Problem("estates", tr(
                "estates_unassigned", lang, n=int(unassigned.sum()),
                households=int(pd.to_numeric(estates.loc[unassigned, "households"]).fillna(0)
                               .sum()),
                rows=format_rows(estates.loc[unassigned, "estate_id"]))))
        partly = inside & (estates["outside_share"] > rules.settings.outside_share_warning)
        if partly.any():
            warnings.append(Problem("estates", tr(
                "estates_outside_part", lang, share=rules.settings.outside_share_warning,
                rows=format_rows(estates.loc[partly, "estate_id"],
                                 estates.loc[partly, "outside_share"].map("{:.0%}".format)))))
        counted_prem = prem[counted] if prem is not None and counted is not None else None
        reach = layout.nearest_premises(estates, counted_prem, rules=rules)
        for column in reach.columns:
            estates[column] = reach[column]
        screened = enclosure.screen_enclosure(estates, data.planned_roads, rules=rules,
                                              lang=lang)
        for column in screened.columns:
            estates[column] = screened[column]
        communities["estates_count"] = communities["community_id"].map(
            estates["community_id"].value_counts()).fillna(0).astype("int64")
        covered_hh = (pd.to_numeric(estates["households"], errors="coerce").fillna(0)
                      .where(estates["covered"], 0))
        communities["households_covered"] = communities["community_id"].map(
            covered_hh.groupby(estates["community_id"]).sum()).fillna(0).astype("int64")

    results = Results(data=data, communities=communities, estates=estates, premises=prem,
                      warnings=warnings, year=year, lang=lang)
    results.summary = summarise(results, allocation)
    return results


def summarise(results: Results, allocation: households.Allocation | None = None
              ) -> dict[str, Any]:
    """Headline figures of a run (the terminal summary and the report's first sheet)."""
    c = results.communities
    status = c["premises_status"].value_counts()
    scale = c["scale_status"].value_counts()
    estates = results.estates
    prem = results.premises
    total_hh = (int(pd.to_numeric(estates["households"], errors="coerce").fillna(0).sum())
                if estates is not None else int(c["households"].sum()))
    summary: dict[str, Any] = {
        "communities": len(c),
        "meets": int(status.get("meets", 0)),
        "short": int(status.get("short", 0)),
        "none": int(status.get("none", 0)),
        "shortfall_m2": round(float(c["shortfall_m2"].sum()), 1),
        "households_total": total_hh,
        "households_assigned": int(c["households"].sum()),
        "households_unassigned": (allocation.unassigned_households if allocation else 0),
        "estates": 0 if estates is None else len(estates),
        "estates_unassigned": 0 if estates is None else int(estates["community_id"].isna().sum()),
        "premises": 0 if prem is None else len(prem),
        "premises_unassigned": 0 if prem is None else int(prem["community_id"].isna().sum()),
        "too_small": int(scale.get("too_small", 0)),
        "ok": int(scale.get("ok", 0)),
        "too_large": int(scale.get("too_large", 0)),
        "households_covered": (0 if estates is None else int(
            pd.to_numeric(estates["households"], errors="coerce").fillna(0)
            .where(estates["covered"], 0).sum())),
        "warnings": len(results.warnings),
    }
    if estates is not None and "enclosure_status" in estates:
        summary["enclosure"] = {k: int(v) for k, v in
                                estates["enclosure_status"].value_counts().items()}
    return summary
