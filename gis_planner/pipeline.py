"""Run every analysis on validated layers: ``PlanningData`` → :class:`Results`.

Data flows one way: files → :func:`gis_planner.io.layers.load_layers` → :func:`analyse` (pure
functions of the analysis modules) → renderers (:mod:`gis_planner.render.report`, maps, exports).
Nothing here reads or writes files.

Plan years
----------
Without a year, :func:`analyse` checks the layers as they are (the *data year*): existing
premises only, the estates' households. With a plan year ``Y`` (2025, 2030, 2035 …):

- planned premises count toward the area (R1);
- every development parcel with ``delivery_year ≤ Y`` adds its planned households (or
  ``residential_floor_area_m2 / rules.planning_conditions.average_dwelling_floor_area_m2``) to
  the community holding most of its area; staffing, funds and scale follow the new totals,
  and ``population_used`` grows by those households × the household size. A parcel without a
  delivery year is not counted (warning);
- ``Y`` may not lie before the data year, ``rules.settings.data_year`` (``null`` = the current
  calendar year): :class:`PlanYearError`.

R2 planning conditions (:func:`gis_planner.premises.planning_conditions`) are computed in
every run from the data-year households plus *all* parcels, whatever the plan year: they are
written into the land sale conditions before anything is built.

An estate carrying a ``community_override`` (set by
:meth:`gis_planner.scenario.edits.Scenario.move_estate`) gives all its households to that community
instead of splitting them by area.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner import budget, enclosure, households, premises
from gis_planner.errors import PlannerError, Problem, RulesError, format_rows
from gis_planner.i18n import tr
from gis_planner.io.layers import PlanningData
from gis_planner.layout import scale as layout
from gis_planner.results import LayoutProposal, Results

log = logging.getLogger(__name__)


class PlanYearError(PlannerError):
    """A plan year before the data year (``rules.settings.data_year``)."""


def data_year(rules: Any) -> int:
    """The year the layers describe: ``rules.settings.data_year``, else the current year.

    Raises :class:`~gis_planner.errors.RulesError` when the setting is not a year.
    """
    value = rules.settings.to_dict().get("data_year")
    if value is None:
        return _dt.date.today().year
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise RulesError(
            f"settings.data_year = {value!r} must be a year (e.g. 2024) or null "
            "for the current year"
        )
    return value


def check_plan_year(year: object, *, rules: Any, lang: str = "zh") -> None:
    """Raise :class:`PlanYearError` unless ``year`` is a whole year, not before the data year."""
    first = data_year(rules)
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise PlanYearError(tr("plan_year_not_int", lang, year=year, data_year=first))
    if year < first:
        raise PlanYearError(tr("plan_year_before_data", lang, year=year, data_year=first))


def _apply_overrides(
    allocation: households.Allocation, data: PlanningData, lang: str, warnings: list[Problem]
) -> households.Allocation:
    """Give every estate with a ``community_override`` wholly to that community."""
    estates, communities = data.estates, data.communities
    override = estates.get("community_override") if estates is not None else None
    if override is None or estates is None or not override.notna().any():
        return allocation
    position = {cid: i for i, cid in enumerate(communities["community_id"])}
    unknown = override.notna() & ~override.isin(list(position))
    if unknown.any():
        warnings.append(
            Problem(
                "estates",
                tr(
                    "override_unknown",
                    lang,
                    rows=format_rows(estates.loc[unknown, "estate_id"], override[unknown]),
                    valid=", ".join(map(str, position)),
                ),
            )
        )
    moved = override.notna() & ~unknown
    if not moved.any():
        return allocation
    counts = pd.to_numeric(estates["households"], errors="coerce").fillna(0).astype("int64")
    target = override[moved].map(position).astype("int64")
    labels = communities.index.to_numpy()
    shares = allocation.shares[~allocation.shares["estate"].isin(estates.index[moved])]
    shares = pd.concat(
        [
            shares,
            pd.DataFrame(
                {
                    "estate": estates.index[moved].to_numpy(),
                    "community": labels[target.to_numpy()],
                    "share": 1.0,
                    "households": counts[moved].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    table = allocation.estates.copy()
    table.loc[moved, "community_index"] = target
    table.loc[moved, "households_assigned"] = counts[moved]
    table["community_shares"] = table["community_shares"].astype(object)
    for i in estates.index[moved]:
        table.at[i, "community_shares"] = json.dumps({str(override[i]): 1.0}, ensure_ascii=False)
    community_households = (
        shares.groupby("community")["households"]
        .sum()
        .reindex(communities.index, fill_value=0)
        .astype("int64")
        .rename("households")
    )
    unassigned = int(counts.sum() - community_households.sum())
    log.info(
        "Moved %d estates (%d households) to the community of their community_override",
        int(moved.sum()),
        int(counts[moved].sum()),
    )
    return households.Allocation(shares, table, community_households, unassigned)


def _parcel_households(
    data: PlanningData, year: int, lang: str, warnings: list[Problem]
) -> tuple[pd.Series, dict[str, Any]]:
    """Households of the parcels delivered by ``year`` per community (indexed like the
    communities), and figures for the summary."""
    communities = data.communities
    added = pd.Series(0, index=communities.index, dtype="int64")
    parcels = data.development_parcels
    info: dict[str, Any] = {"parcels_counted": 0, "households_parcels": 0}
    if parcels is None or len(parcels) == 0:
        return added, info
    h = premises.parcel_households(parcels, rules=data.rules)
    where = premises.assign_parcels(parcels, communities)
    delivery = (
        pd.to_numeric(parcels["delivery_year"], errors="coerce")
        if "delivery_year" in parcels
        else pd.Series(np.nan, index=parcels.index)
    )
    no_year = delivery.isna()
    if no_year.any():
        warnings.append(
            Problem(
                "development_parcels",
                tr(
                    "parcels_no_year",
                    lang,
                    year=year,
                    rows=format_rows(parcels.loc[no_year, "parcel_id"]),
                ),
            )
        )
    delivered = delivery.notna() & (delivery <= year)
    first = data_year(data.rules)
    early = delivered & (delivery < first)
    if early.any():
        warnings.append(
            Problem(
                "development_parcels",
                tr(
                    "parcels_before_data_year",
                    lang,
                    data_year=first,
                    rows=format_rows(parcels.loc[early, "parcel_id"], delivery[early].astype(int)),
                ),
            )
        )
    counted = delivered & h.notna() & where["community_index"].notna()
    by_community = h[counted].groupby(where.loc[counted, "community_index"]).sum()
    added = (added + by_community.reindex(added.index).fillna(0)).astype("int64")
    info = {"parcels_counted": int(counted.sum()), "households_parcels": int(added.sum())}
    log.info(
        "Plan year %d: %d of %d development parcels delivered, +%d households",
        year,
        info["parcels_counted"],
        len(parcels),
        info["households_parcels"],
    )
    return added, info


def _estimate_missing_households(
    data: PlanningData, lang: str, warnings: list[Problem]
) -> PlanningData:
    """Estates without a count get one from the population raster (flag
    ``households_estimated``): zonal sum ÷ household size, in the raster's own CRS."""
    estates = data.estates
    if estates is None or data.population_raster is None:
        return data
    missing = estates["households"].isna()
    if not missing.any():
        return data
    from gis_planner.layout.accessibility import estimate_households

    estimate = estimate_households(
        estates,
        data.population_raster,
        household_size=data.household_size,
        rules=data.rules,
        lang=lang,
    )
    warnings.extend(estimate.warnings)
    estates = estates.copy()
    estates["households"] = estimate.table["households"]
    estates["households_estimated"] = estimate.table["households_estimated"].astype(bool)
    return dataclasses.replace(data, estates=estates)


def _community_households(
    data: PlanningData, lang: str, warnings: list[Problem]
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
        warnings.append(
            Problem(
                "estates",
                tr(
                    "table_missing_count", lang, rows=format_rows(estates.loc[missing, "estate_id"])
                ),
            )
        )
    allocation = households.allocate_households(estates, communities)
    allocation = _apply_overrides(allocation, data, lang, warnings)
    return allocation.community_households, allocation


def analyse(data: PlanningData, *, year: int | None = None, lang: str = "zh") -> Results:
    """Compute R1 and R3–R8 for every community, estate and premises.

    Parameters
    ----------
    data : PlanningData
        Validated layers in EPSG:4549 (:func:`gis_planner.io.layers.load_layers`).
    year : int, optional
        A plan year, not before ``rules.settings.data_year``: planned premises count toward
        the area and development parcels delivered by then add their households (see the
        module docstring). ``communities`` then also carries ``households_current`` (the
        data year's) and ``households_parcels``.
    lang : {"zh", "en"}
        Language of warnings, notes and reasons.

    Returns
    -------
    Results
        With ``planning_conditions`` (R2): one row per development parcel.

    Raises
    ------
    PlanYearError
        When ``year`` lies before the data year.
    """
    rules = data.rules
    if year is not None:
        check_plan_year(year, rules=rules, lang=lang)
    warnings: list[Problem] = list(data.warnings)
    data = _estimate_missing_households(data, lang, warnings)
    communities = data.communities.copy()
    hh_current, allocation = _community_households(data, lang, warnings)
    hh = hh_current
    hh_parcels = pd.Series(0, index=communities.index, dtype="int64")
    parcel_info: dict[str, Any] = {}
    if year is not None:
        hh_parcels, parcel_info = _parcel_households(data, year, lang, warnings)
        hh = (hh_current + hh_parcels).astype("int64")

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
            warnings.append(
                Problem(
                    "premises",
                    tr(
                        "premises_unassigned",
                        lang,
                        n=int(lost.sum()),
                        rows=format_rows(prem.loc[lost, "premises_id"]),
                    ),
                )
            )
    check = premises.check_premises(communities, prem, hh, rules=rules, year=year, lang=lang)

    if "households" in communities:
        communities = communities.rename(columns={"households": "households_given"})
    communities["households"] = hh.astype("int64")
    population = budget.population_used(communities, hh_current, household_size=data.household_size)
    if year is not None:
        communities["households_current"] = hh_current.astype("int64")
        communities["households_parcels"] = hh_parcels.astype("int64")
        population = population + (hh_parcels.astype(float) * data.household_size).round().astype(
            "int64"
        )
    communities["population_used"] = population.astype("int64")
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
            ["subsidy_build_yuan", "subsidy_rent_yuan_per_year"]
        ].sum()
        for column in per_community.columns:
            communities[column] = communities["community_id"].map(per_community[column]).fillna(0.0)
    else:
        counted = None
        communities["subsidy_build_yuan"] = 0.0
        communities["subsidy_rent_yuan_per_year"] = 0.0
    counted_prem = prem[counted] if prem is not None and counted is not None else None
    communities["scale_status"] = layout.scale_status(communities["households"], rules=rules)

    community_warnings = check["premises_warnings"].copy()
    if "households_given" in communities and data.estates is not None:
        given = pd.to_numeric(communities["households_given"], errors="coerce")
        diff = (given - hh_current).abs() / given.where(given > 0)
        share = rules.settings.households_mismatch_warning_share
        off = diff > share
        for i in communities.index[off.fillna(False)]:
            community_warnings[i] = [
                *community_warnings[i],
                tr(
                    "warn_households_field",
                    lang,
                    given=int(given[i]),
                    summed=int(hh_current[i]),
                    diff=float(diff[i]),
                ),
            ]
        if off.any():
            warnings.append(
                Problem(
                    "communities",
                    tr(
                        "households_mismatch",
                        lang,
                        share=share,
                        rows=format_rows(communities.loc[off.fillna(False), "community_id"]),
                    ),
                )
            )
    communities["warnings"] = community_warnings

    # --- estates: community, shares, reach, R6, R8
    estates = None
    if data.estates is not None and allocation is not None:
        estates = data.estates.copy()
        best = allocation.estates["community_index"].to_numpy()
        ids = communities["community_id"].to_numpy()
        names = communities["name"].to_numpy()
        streets = (
            communities["street"].to_numpy()
            if "street" in communities
            else np.full(len(communities), None, dtype=object)
        )
        inside = best >= 0
        position = np.where(inside, best, 0)
        for column, values in (
            ("community_id", ids),
            ("community_name", names),
            ("street", streets),
        ):
            estates[column] = pd.Series(
                np.where(inside, values[position], None), index=estates.index, dtype=object
            )
        estates["community_shares"] = allocation.estates["community_shares"].astype(object)
        estates["outside_share"] = allocation.estates["outside_share"].round(4)
        unassigned = ~inside
        if unassigned.any():
            warnings.append(
                Problem(
                    "estates",
                    tr(
                        "estates_unassigned",
                        lang,
                        n=int(unassigned.sum()),
                        households=int(
                            pd.to_numeric(estates.loc[unassigned, "households"]).fillna(0).sum()
                        ),
                        rows=format_rows(estates.loc[unassigned, "estate_id"]),
                    ),
                )
            )
        partly = inside & (estates["outside_share"] > rules.settings.outside_share_warning)
        if partly.any():
            warnings.append(
                Problem(
                    "estates",
                    tr(
                        "estates_outside_part",
                        lang,
                        share=rules.settings.outside_share_warning,
                        rows=format_rows(
                            estates.loc[partly, "estate_id"],
                            estates.loc[partly, "outside_share"].map("{:.0%}".format),
                        ),
                    ),
                )
            )
        reach = layout.nearest_premises(estates, counted_prem, rules=rules)
        for column in reach.columns:
            estates[column] = reach[column]
        screened = enclosure.screen_enclosure(estates, data.planned_roads, rules=rules, lang=lang)
        for column in screened.columns:
            estates[column] = screened[column]
        communities["estates_count"] = (
            communities["community_id"]
            .map(estates["community_id"].value_counts())
            .fillna(0)
            .astype("int64")
        )
        # the covered households of each community from the estates' area shares, so that
        # a straddling estate never counts more households in a community than it gives it
        shares = allocation.shares
        covered = estates["covered"].reindex(shares["estate"]).to_numpy(dtype=bool)
        per_community = shares.loc[covered].groupby("community")["households"].sum()
        communities["households_covered"] = (
            per_community.reindex(communities.index).fillna(0).astype("int64")
        )

    # --- R2: planning conditions (data-year households plus every parcel, whatever the year)
    current = data.communities[["community_id", "name", "geometry"]].copy()
    current["households"] = hh_current.astype("int64")
    conditions = premises.planning_conditions(
        current, data.development_parcels, prem, rules=rules, lang=lang
    )
    if len(conditions):
        lost = conditions["community_id"].isna()
        if lost.any():
            warnings.append(
                Problem(
                    "development_parcels",
                    tr(
                        "parcels_outside", lang, rows=format_rows(conditions.loc[lost, "parcel_id"])
                    ),
                )
            )
        none = conditions["planned_households"].isna()
        if none.any():
            warnings.append(
                Problem(
                    "development_parcels",
                    tr(
                        "parcels_no_households",
                        lang,
                        rows=format_rows(conditions.loc[none, "parcel_id"]),
                    ),
                )
            )

    results = Results(
        data=data,
        communities=communities,
        estates=estates,
        premises=prem,
        warnings=warnings,
        year=year,
        lang=lang,
        planning_conditions=conditions,
        counted_premises=counted_prem,
        reach=layout.reach_area(counted_prem, rules=rules),
    )
    results.summary = summarise(results, allocation)
    if year is not None:
        results.summary.update({"plan_year": year, "data_year": data_year(rules), **parcel_info})
    return results


def summarise(results: Results, allocation: households.Allocation | None = None) -> dict[str, Any]:
    """Headline figures of a run (the terminal summary and the report's first sheet)."""
    c = results.communities
    status = c["premises_status"].value_counts()
    scale = c["scale_status"].value_counts()
    estates = results.estates
    prem = results.premises
    total_hh = (
        int(pd.to_numeric(estates["households"], errors="coerce").fillna(0).sum())
        if estates is not None
        else int(c["households"].sum())
    )
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
        "households_covered": (
            0
            if estates is None
            else int(
                pd.to_numeric(estates["households"], errors="coerce")
                .fillna(0)
                .where(estates["covered"], 0)
                .sum()
            )
        ),
        "warnings": len(results.warnings),
    }
    conditions = results.planning_conditions
    if conditions is not None and len(conditions):
        summary["parcels"] = len(conditions)
        summary["planning_conditions_m2"] = round(
            float(conditions["condition_area_m2"].fillna(0).sum()), 1
        )
    if estates is not None and "enclosure_status" in estates:
        summary["enclosure"] = {
            k: int(v) for k, v in estates["enclosure_status"].value_counts().items()
        }
    return summary


def propose_layout(results: Results, *, p: int | None = None, lang: str | None = None) -> Results:
    """Add the R7 layout proposals (一(一)) to ``results``: a new :class:`Results`.

    Proposed community boundaries for the communities outside the household range
    (:func:`gis_planner.layout.boundaries.propose_boundaries`), new premises sites by set cover and
    by maximal coverage of ``p`` sites (:func:`gis_planner.layout.siting.propose_sites`; ``p`` from
    ``rules.layout.new_sites_p`` when None), and the accessibility raster — distance to the
    nearest existing or proposed premises — with the households beyond the walking distance
    now and with the proposed sites (:mod:`gis_planner.layout.accessibility`).

    Needs an estates layer; without one ``results`` is returned unchanged.
    """
    from gis_planner.layout import accessibility, boundaries, siting

    lang = lang or results.lang
    if results.estates is None or len(results.estates) == 0:
        return results
    if results.estates["community_id"].isna().all():
        # no estate in any community: no cells to regroup, no households to reach — the run
        # goes on without proposals (an error here would refuse a folder `check` accepts)
        out = dataclasses.replace(
            results,
            warnings=[*results.warnings, Problem("estates", tr("layout_no_estates_inside", lang))],
        )
        out.summary = {**results.summary, "warnings": len(out.warnings)}
        return out
    data, rules = results.data, results.data.rules
    prem = results.premises
    counted = None
    if prem is not None:
        counted = prem[premises.counted_premises(prem, rules=rules, year=results.year)]
    bp = boundaries.propose_boundaries(
        results.estates,
        data.communities,
        rules=rules,
        premises=counted,
        barriers=data.barriers,
        planned_roads=data.planned_roads,
        lang=lang,
    )
    sr = siting.propose_sites(
        results.estates,
        counted,
        rules=rules,
        candidate_sites=data.candidate_sites,
        development_parcels=data.development_parcels,
        communities=data.communities,
        paths=data.paths,
        p=p,
        lang=lang,
    )
    now_points = (
        counted.geometry if counted is not None else gpd.GeoSeries([], crs=data.communities.crs)
    )
    chosen = sr.sites[sr.sites["model"] == "mclp"].geometry
    now_m, transform = accessibility.accessibility_raster(
        data.communities, now_points, rules=rules, paths=data.paths, lang=lang
    )
    with_sites = gpd.GeoSeries(
        pd.concat([now_points.reset_index(drop=True), chosen.reset_index(drop=True)]),
        crs=data.communities.crs,
    )
    access_m, transform = accessibility.accessibility_raster(
        data.communities, with_sites, rules=rules, paths=data.paths, lang=lang
    )
    summary = {
        "communities_out_of_range": int(len(bp.decisions)),
        "proposed_communities": int(len(bp.communities)),
        "estates_moved": int(len(bp.moves)),
        "proposed_in_range": int((bp.communities["scale_status"] == "ok").sum()),
        "lscp_sites": int(sr.summary["lscp_sites"]),
        "lscp_households_newly_covered": int(sr.summary["lscp_households_newly_covered"]),
        "mclp_sites": int(sr.summary["mclp_sites"]),
        "mclp_households_newly_covered": int(sr.summary["mclp_households_newly_covered"]),
        "households_beyond_walk_now": accessibility.households_beyond_walk(
            results.estates, now_m, transform, rules=rules
        ),
        "households_beyond_walk_with_sites": accessibility.households_beyond_walk(
            results.estates, access_m, transform, rules=rules
        ),
    }
    proposal = LayoutProposal(
        boundaries=bp, siting=sr, access_m=access_m, access_transform=transform, summary=summary
    )
    out = dataclasses.replace(
        results, layout=proposal, warnings=[*results.warnings, *bp.warnings, *sr.warnings]
    )
    out.summary = {**results.summary, "layout": summary, "warnings": len(out.warnings)}
    log.info(
        "Layout proposals: %d communities out of range → %d proposed (%d estates move); "
        "%d + %d sites; households beyond the walk %d → %d",
        summary["communities_out_of_range"],
        summary["proposed_communities"],
        summary["estates_moved"],
        summary["lscp_sites"],
        summary["mclp_sites"],
        summary["households_beyond_walk_now"],
        summary["households_beyond_walk_with_sites"],
    )
    return out


def run(
    data: PlanningData,
    *,
    plan_year: int | None = None,
    proposals: bool = True,
    sites: int | None = None,
) -> Results:
    """Every step of a run on validated layers: the one place the steps are composed.

    Parameters
    ----------
    data : PlanningData
        Validated layers in the working CRS (:func:`gis_planner.io.layers.load_layers`).
    plan_year : int, optional
        A plan year, not before the data year (see the module docstring).
    proposals : bool
        Add the R7 layout proposals (boundaries, premises sites, the reach raster).
    sites : int, optional
        Number of new sites of the maximal-coverage proposal; default
        ``rules.layout.new_sites_p``.

    Returns
    -------
    Results
    """
    results = analyse(data, year=plan_year)
    if proposals:
        results = propose_layout(results, p=sites)
    return results
