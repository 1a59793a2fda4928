"""The pipeline: validated layers → every analysis → :class:`~gis_planner.results.Results`.

:func:`run` is the one place the steps are composed — the command line, scenarios, the bureau
export and the benchmarks all call it. Data flows one way: files →
:func:`gis_planner.io.load_layers` → :func:`run` (:func:`analyse`, then
:func:`propose_layout`; pure functions of the analysis modules) → renderers
(:mod:`gis_planner.render`). Nothing here reads or writes files, and nothing here words a
message: findings are :class:`~gis_planner.i18n.Message` codes, worded by the renderers.

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

An estate given to a community in ``data.estate_assignments`` (a planning decision, e.g.
:meth:`gis_planner.scenario.Scenario.move_estate`) gives all its households to that
community instead of splitting them by area.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner import budget, enclosure, households, premises
from gis_planner.concurrency import concurrently
from gis_planner.errors import PlannerError, Problem, RulesError, format_rows
from gis_planner.i18n import msg
from gis_planner.io.layers import PlanningData
from gis_planner.layout import accessibility, boundaries, siting
from gis_planner.layout import scale as layout
from gis_planner.results import LayoutProposal, Results
from gis_planner.rules import RuleSet

log = logging.getLogger(__name__)


class PlanYearError(PlannerError):
    """A plan year before the data year (``rules.settings.data_year``)."""


def _household_size(data: PlanningData) -> float:
    """Persons per household: planner.yaml's, else the rules file's (R5 population)."""
    size = data.household_size
    return float(size if size is not None else data.rules.settings.household_size)


def data_year(rules: RuleSet) -> int:
    """The year the layers describe: ``rules.settings.data_year``, else the current year.

    Raises :class:`~gis_planner.errors.RulesError` when the setting is not a year.
    """
    value = rules.settings.to_dict().get("data_year")
    if value is None:
        return _dt.date.today().year
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
        raise RulesError(msg("rules_data_year", value=value))
    return value


def check_plan_year(year: object, *, rules: RuleSet) -> None:
    """Raise :class:`PlanYearError` unless ``year`` is a whole year, not before the data year."""
    first = data_year(rules)
    if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
        raise PlanYearError(msg("plan_year_not_int", year=year, data_year=first))
    if year < first:
        raise PlanYearError(msg("plan_year_before_data", year=year, data_year=first))


# --------------------------------------------------------------------------- households


def _unknown_assignments(data: PlanningData, warnings: list[Problem]) -> None:
    """Warn of estate assignments (``data.estate_assignments``) naming no estate or no
    community: :func:`~gis_planner.households.allocate_households` leaves those estates to
    their area shares."""
    estates, assignments = data.estates, data.estate_assignments
    if estates is None or not assignments:
        return
    known_estates = set(estates["estate_id"].astype(str))
    communities = data.communities["community_id"].astype(str).tolist()
    bad = {
        str(e): str(c)
        for e, c in assignments.items()
        if str(e) not in known_estates or str(c) not in communities
    }
    if bad:
        rows = format_rows([f"{e} → {c}" for e, c in bad.items()])
        valid = format_rows(communities, limit=25)
        warnings.append(Problem("estates", msg("assignment_unknown", rows=rows, valid=valid)))


def _parcel_households(
    data: PlanningData, year: int, warnings: list[Problem]
) -> tuple[pd.Series, dict[str, Any], gpd.GeoDataFrame | None]:
    """Households of the parcels delivered by ``year`` per community (indexed like the
    communities), figures for the summary, and the counted parcels (``parcel_id``, ``name``,
    ``households``, ``community``: the communities' index label; None without parcels)."""
    communities = data.communities
    added = pd.Series(0, index=communities.index, dtype="int64")
    parcels = data.development_parcels
    info: dict[str, Any] = {"parcels_counted": 0, "households_parcels": 0}
    if parcels is None or len(parcels) == 0:
        return added, info, None
    h = premises.parcel_households(parcels, rules=data.rules)
    where = premises.assign_parcels(parcels, communities)
    delivery = (
        pd.to_numeric(parcels["delivery_year"], errors="coerce")
        if "delivery_year" in parcels
        else pd.Series(np.nan, index=parcels.index)
    )
    no_year = delivery.isna()
    if no_year.any():
        rows = format_rows(parcels.loc[no_year, "parcel_id"])
        warnings.append(
            Problem("development_parcels", msg("parcels_no_year", year=year, rows=rows))
        )
    delivered = delivery.notna() & (delivery <= year)
    first = data_year(data.rules)
    early = delivered & (delivery < first)
    if early.any():
        rows = format_rows(parcels.loc[early, "parcel_id"], delivery[early].astype(int))
        warnings.append(
            Problem(
                "development_parcels", msg("parcels_before_data_year", data_year=first, rows=rows)
            )
        )
    counted = delivered & h.notna() & where["community_index"].notna()
    by_community = h[counted].groupby(where.loc[counted, "community_index"]).sum()
    keep = [c for c in ("parcel_id", "name", "geometry") if c in parcels]
    units = parcels.loc[counted, keep].assign(
        households=h[counted].astype("int64"), community=where.loc[counted, "community_index"]
    )
    added = (added + by_community.reindex(added.index).fillna(0)).astype("int64")
    info = {"parcels_counted": int(counted.sum()), "households_parcels": int(added.sum())}
    log.info(
        "Plan year %d: %d of %d development parcels delivered, +%d households",
        year,
        info["parcels_counted"],
        len(parcels),
        info["households_parcels"],
    )
    return added, info, units


def _estimate_missing_households(data: PlanningData, warnings: list[Problem]) -> PlanningData:
    """Estates without a count get one from the population raster (flag
    ``households_estimated``): zonal sum ÷ household size, in the raster's own CRS."""
    estates = data.estates
    if estates is None or data.population_raster is None:
        return data
    missing = estates["households"].isna()
    if not missing.any():
        return data
    estimate = accessibility.estimate_households(
        estates, data.population_raster, household_size=_household_size(data), rules=data.rules
    )
    warnings.extend(estimate.warnings)
    estates = estates.copy()
    estates["households"] = estimate.table["households"]
    estates["households_estimated"] = estimate.table["households_estimated"].astype(bool)
    return dataclasses.replace(data, estates=estates)


def _community_households(
    data: PlanningData, warnings: list[Problem]
) -> tuple[pd.Series, households.Allocation | None]:
    """Households per community (indexed like the communities) in the data year, and the
    allocation of the estates behind them (None without an estates layer)."""
    communities = data.communities
    if data.estates is None:
        given = communities.get("households")
        if given is None:
            return pd.Series(0, index=communities.index, dtype="int64"), None
        return pd.to_numeric(given, errors="coerce").fillna(0).astype("int64"), None
    estates = data.estates
    missing = estates["households"].isna()
    if missing.any():
        rows = format_rows(estates.loc[missing, "estate_id"])
        warnings.append(Problem("estates", msg("table_missing_count", rows=rows)))
    _unknown_assignments(data, warnings)
    allocation = households.allocate_households(
        estates, communities, assignments=data.estate_assignments
    )
    return allocation.community_households, allocation


@dataclasses.dataclass(frozen=True)
class _Households:
    """The households behind a run, per community (indexed like the communities)."""

    current: pd.Series  # the data year's
    parcels: pd.Series  # added by the parcels delivered by the plan year (0 without one)
    total: pd.Series  # the year's: current + parcels
    allocation: households.Allocation | None
    parcel_info: dict[str, Any]
    delivered: gpd.GeoDataFrame | None = None  # the parcels counted in the plan year


def _household_units(data: PlanningData, hh: _Households) -> gpd.GeoDataFrame | None:
    """The estate pieces and delivered parcels behind ``hh.total``
    (:func:`gis_planner.households.household_units`); None without an estates layer."""
    if data.estates is None or hh.allocation is None:
        return None
    return households.household_units(
        data.estates, data.communities, hh.allocation, parcels=hh.delivered
    )


def _households(
    data: PlanningData, year: int | None, warnings: list[Problem]
) -> tuple[PlanningData, _Households]:
    data = _estimate_missing_households(data, warnings)
    current, allocation = _community_households(data, warnings)
    parcels = pd.Series(0, index=data.communities.index, dtype="int64")
    info: dict[str, Any] = {}
    delivered = None
    if year is not None:
        parcels, info, delivered = _parcel_households(data, year, warnings)
    total = (current + parcels).astype("int64") if year is not None else current
    return data, _Households(current, parcels, total, allocation, info, delivered)


# --------------------------------------------------------------------------- communities


def _assign_premises(data: PlanningData, warnings: list[Problem]) -> gpd.GeoDataFrame | None:
    """The premises with the community holding each (by attribute, else by location)."""
    if data.premises is None:
        return None
    prem = data.premises.copy()
    assigned = premises.assign_premises(prem, data.communities)
    prem["community_id"] = assigned["community_id"]
    prem["assigned_by"] = assigned["assigned_by"]
    located = int((assigned["assigned_by"] == "location").sum())
    if located:
        warnings.append(Problem("premises", msg("premises_located", n=located)))
    lost = assigned["community_id"].isna()
    if lost.any():
        rows = format_rows(prem.loc[lost, "premises_id"])
        warnings.append(
            Problem("premises", msg("premises_unassigned", n=int(lost.sum()), rows=rows))
        )
    return prem


def _subsidies(
    communities: gpd.GeoDataFrame,
    prem: gpd.GeoDataFrame | None,
    counted: pd.Series | None,
    *,
    rules: RuleSet,
) -> None:
    """R3: each counted premises' subsidy (columns added to ``prem``) and each community's
    total (columns added to ``communities``)."""
    if prem is None or counted is None:
        communities["subsidy_build_yuan"] = 0.0
        communities["subsidy_rent_yuan_per_year"] = 0.0
        return
    kind = communities.set_index("community_id")["kind"]
    subsidies = budget.premises_subsidies(prem, kind, counted, rules=rules)
    for column in subsidies.columns:
        prem[column] = subsidies[column]
    per_community = subsidies.groupby(prem["community_id"])[
        ["subsidy_build_yuan", "subsidy_rent_yuan_per_year"]
    ].sum()
    for column in per_community.columns:
        communities[column] = communities["community_id"].map(per_community[column]).fillna(0.0)


def _household_field_warnings(
    communities: gpd.GeoDataFrame,
    hh: _Households,
    community_warnings: pd.Series,
    *,
    rules: RuleSet,
    warnings: list[Problem],
) -> pd.Series:
    """A community whose own 户数 field is more than the setting off its estates' sum."""
    given = pd.to_numeric(communities["households_given"], errors="coerce")
    diff = (given - hh.current).abs() / given.where(given > 0)
    share = rules.settings.households_mismatch_warning_share
    off = (diff > share).fillna(False)
    out = community_warnings.copy()
    for i in communities.index[off]:
        note = msg(
            "warn_households_field",
            given=int(given[i]),
            summed=int(hh.current[i]),
            diff=float(diff[i]),
        )
        out[i] = [*out[i], note]
    if off.any():
        rows = format_rows(communities.loc[off, "community_id"])
        warnings.append(Problem("communities", msg("households_mismatch", share=share, rows=rows)))
    return out


def _communities(
    data: PlanningData,
    hh: _Households,
    prem: gpd.GeoDataFrame | None,
    *,
    year: int | None,
    warnings: list[Problem],
) -> tuple[gpd.GeoDataFrame, pd.Series | None]:
    """Every community's figures: households, population, R1, R4, R5, R3 totals, scale and
    warnings. Returns the table and the mask of counted premises (None without premises)."""
    rules = data.rules
    communities = data.communities.copy()
    check = premises.check_premises(communities, prem, hh.total, rules=rules, year=year)
    if "households" in communities:
        communities = communities.rename(columns={"households": "households_given"})
    communities["households"] = hh.total.astype("int64")
    population = budget.population_used(
        communities, hh.current, household_size=_household_size(data)
    )
    if year is not None:
        communities["households_current"] = hh.current.astype("int64")
        communities["households_parcels"] = hh.parcels.astype("int64")
        added = (hh.parcels.astype(float) * _household_size(data)).round().astype("int64")
        population = population + added
    communities["population_used"] = population.astype("int64")
    for column in check.columns.drop("premises_warnings"):
        communities[column] = check[column]
    staff_min, staff_max = budget.staffing_range(hh.total, rules=rules)
    communities["staff_min"] = staff_min
    communities["staff_max"] = staff_max
    funds = budget.operating_funds(communities["population_used"], rules=rules)
    communities["working_funds_yuan"] = funds["working_funds_yuan"]
    communities["cobuild_funds_yuan"] = funds["cobuild_funds_yuan"]
    counted = premises.counted_premises(prem, rules=rules, year=year) if prem is not None else None
    _subsidies(communities, prem, counted, rules=rules)
    communities["scale_status"] = layout.scale_status(communities["households"], rules=rules)
    community_warnings = check["premises_warnings"].copy()
    if "households_given" in communities and data.estates is not None:
        community_warnings = _household_field_warnings(
            communities, hh, community_warnings, rules=rules, warnings=warnings
        )
    communities["warnings"] = community_warnings
    return communities, counted


# --------------------------------------------------------------------------- estates


def _estate_communities(
    estates: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    allocation: households.Allocation,
    *,
    rules: RuleSet,
    warnings: list[Problem],
) -> None:
    """The community (largest share), its name and street, and every share of each estate."""
    best = allocation.estates["community_index"].to_numpy()
    streets = (
        communities["street"].to_numpy()
        if "street" in communities
        else np.full(len(communities), None, dtype=object)
    )
    inside = best >= 0
    position = np.where(inside, best, 0)
    for column, values in (
        ("community_id", communities["community_id"].to_numpy()),
        ("community_name", communities["name"].to_numpy()),
        ("street", streets),
    ):
        shown = np.where(inside, values[position], np.full(len(inside), None, dtype=object))
        estates[column] = pd.Series(shown, index=estates.index, dtype=object)
    estates["community_shares"] = allocation.estates["community_shares"].astype(object)
    estates["outside_share"] = allocation.estates["outside_share"].round(4)
    unassigned = ~inside
    if unassigned.any():
        lost = pd.to_numeric(estates.loc[unassigned, "households"]).fillna(0).sum()
        warnings.append(
            Problem(
                "estates",
                msg(
                    "estates_unassigned",
                    n=int(unassigned.sum()),
                    households=int(lost),
                    rows=format_rows(estates.loc[unassigned, "estate_id"]),
                ),
            )
        )
    limit = rules.settings.outside_share_warning
    partly = inside & (estates["outside_share"] > limit)
    if partly.any():
        rows = format_rows(
            estates.loc[partly, "estate_id"],
            estates.loc[partly, "outside_share"].map("{:.0%}".format),
        )
        warnings.append(Problem("estates", msg("estates_outside_part", share=limit, rows=rows)))


def _estates(
    data: PlanningData,
    communities: gpd.GeoDataFrame,
    allocation: households.Allocation,
    *,
    warnings: list[Problem],
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every estate's community, and its open-to-enclosed screening (R6, R8): the estates
    with their communities' columns, and the screening's columns (:func:`_estate_columns`
    adds them after the reach's)."""
    rules = data.rules
    assert data.estates is not None  # the caller checks
    estates = data.estates.copy()
    _estate_communities(estates, communities, allocation, rules=rules, warnings=warnings)
    screened = enclosure.screen_enclosure(estates, data.planned_roads, rules=rules)
    return estates, screened


def _add_columns(frame: pd.DataFrame, *tables: pd.DataFrame) -> None:
    """Add every column of ``tables`` (indexed like ``frame``) to ``frame``, in order."""
    for table in tables:
        for column in table.columns:
            frame[column] = table[column]


def _estate_columns(
    estates: gpd.GeoDataFrame,
    reach: pd.DataFrame,
    screened: pd.DataFrame,
    communities: gpd.GeoDataFrame,
    allocation: households.Allocation,
) -> None:
    """Add the reach (R7: nearest premises) and screening columns to ``estates``, and
    ``estates_count`` and ``households_covered`` to ``communities``."""
    _add_columns(estates, reach, screened)
    communities["estates_count"] = (
        communities["community_id"]
        .map(estates["community_id"].value_counts())
        .fillna(0)
        .astype("int64")
    )
    # the covered households of each community from the estates' area shares, so that a
    # straddling estate never counts more households in a community than it gives it
    shares = allocation.shares
    covered = estates["covered"].reindex(shares["estate"]).to_numpy(dtype=bool)
    per_community = shares.loc[covered].groupby("community")["households"].sum()
    communities["households_covered"] = (
        per_community.reindex(communities.index).fillna(0).astype("int64")
    )


def _planning_conditions(
    data: PlanningData,
    hh: _Households,
    prem: gpd.GeoDataFrame | None,
    warnings: list[Problem],
) -> pd.DataFrame:
    """R2: data-year households plus every parcel, whatever the plan year."""
    current = data.communities[["community_id", "name", "geometry"]].copy()
    current["households"] = hh.current.astype("int64")
    conditions = premises.planning_conditions(
        current, data.development_parcels, prem, rules=data.rules
    )
    if len(conditions):
        lost = conditions["community_id"].isna()
        if lost.any():
            rows = format_rows(conditions.loc[lost, "parcel_id"])
            warnings.append(Problem("development_parcels", msg("parcels_outside", rows=rows)))
        none = conditions["planned_households"].isna()
        if none.any():
            rows = format_rows(conditions.loc[none, "parcel_id"])
            warnings.append(Problem("development_parcels", msg("parcels_no_households", rows=rows)))
    return conditions


class _EstateTables(NamedTuple):
    """What :func:`analyse` makes of the estates beside the R7 reach."""

    estates: gpd.GeoDataFrame | None  # with their communities' columns
    screened: pd.DataFrame | None  # the open-to-enclosed screening's columns (R6, R8)
    enclosure_list: pd.DataFrame | None
    enclosure_counts: pd.DataFrame | None
    units: gpd.GeoDataFrame | None  # _household_units


# --------------------------------------------------------------------------- the analyses


def analyse(data: PlanningData, *, year: int | None = None) -> Results:
    """Compute R1–R6 and R8, and the R7 scale and reach, for every community, estate and
    premises.

    Parameters
    ----------
    data : PlanningData
        Validated layers in the working CRS (:func:`gis_planner.io.load_layers`).
    year : int, optional
        A plan year, not before ``rules.settings.data_year``: planned premises count toward
        the area and development parcels delivered by then add their households (see the
        module docstring). ``communities`` then also carries ``households_current`` (the
        data year's) and ``households_parcels``.

    Returns
    -------
    Results
        Without layout proposals (:func:`propose_layout`).

    Raises
    ------
    PlanYearError
        When ``year`` lies before the data year.
    """
    rules = data.rules
    if year is not None:
        check_plan_year(year, rules=rules)
    first_year = data_year(rules)
    warnings: list[Problem] = list(data.warnings)
    data, hh = _households(data, year, warnings)
    prem = _assign_premises(data, warnings)
    communities, counted = _communities(data, hh, prem, year=year, warnings=warnings)
    counted_prem = prem[counted] if prem is not None and counted is not None else None
    allocation = hh.allocation if data.estates is not None else None
    # the R7 reach (0.5 s of 2 s at province size) runs beside the estates' tables, on its
    # own copy of the estates' geometry column (see concurrently)
    located = None if data.estates is None else data.estates[[data.estates.geometry.name]].copy()

    def premises_reach() -> tuple[shapely.Geometry | None, pd.DataFrame | None]:
        """R7 reach of the counted premises: the area within the walk, each estate's nearest
        (GEOS and scipy). Reads ``counted_prem`` and ``located``, which nothing else uses
        meanwhile."""
        area = layout.reach_area(counted_prem, rules=rules)
        if located is None or allocation is None:
            return area, None
        return area, layout.nearest_premises(located, counted_prem, rules=rules)

    def estate_tables() -> _EstateTables:
        """The estates' communities and screening, the enclosure tables, the household units
        (pandas, mostly)."""
        units = _household_units(data, hh)
        if allocation is None:
            return _EstateTables(None, None, None, None, units)
        estates, screened = _estates(data, communities, allocation, warnings=warnings)
        listed = estates.copy(deep=False)  # the tables read no reach column
        _add_columns(listed, screened)
        return _EstateTables(
            estates,
            screened,
            enclosure.enclosure_list(listed),
            enclosure.enclosure_counts(listed),
            units,
        )

    tables, (reach_area, reach) = concurrently(estate_tables, premises_reach)
    estates = tables.estates
    if estates is not None and tables.screened is not None and reach is not None:
        assert allocation is not None  # estates are made only with one
        _estate_columns(estates, reach, tables.screened, communities, allocation)
    conditions = _planning_conditions(data, hh, prem, warnings)
    summary = summarise(
        communities,
        estates,
        prem,
        conditions,
        unassigned_households=hh.allocation.unassigned_households if hh.allocation else 0,
        warnings=len(warnings),
    )
    if year is not None:
        summary.update({"plan_year": year, "data_year": first_year, **hh.parcel_info})
    return Results(
        data=data,
        communities=communities,
        estates=estates,
        premises=prem,
        warnings=tuple(warnings),
        year=year,
        data_year=first_year,
        summary=summary,
        planning_conditions=conditions,
        counted_premises=counted_prem,
        reach=reach_area,
        enclosure_list=tables.enclosure_list,
        enclosure_counts=tables.enclosure_counts,
        household_units=tables.units,
    )


def summarise(
    communities: pd.DataFrame,
    estates: pd.DataFrame | None,
    prem: pd.DataFrame | None,
    conditions: pd.DataFrame | None,
    *,
    unassigned_households: int,
    warnings: int,
) -> dict[str, Any]:
    """Headline figures of a run (the terminal summary and the report's first sheet)."""
    c = communities
    status = c["premises_status"].value_counts()
    scale = c["scale_status"].value_counts()
    counts = (
        pd.to_numeric(estates["households"], errors="coerce").fillna(0)
        if estates is not None
        else None
    )
    summary: dict[str, Any] = {
        "communities": len(c),
        "meets": int(status.get("meets", 0)),
        "short": int(status.get("short", 0)),
        "none": int(status.get("none", 0)),
        "shortfall_m2": round(float(c["shortfall_m2"].sum()), 1),
        "households_total": int(counts.sum()) if counts is not None else int(c["households"].sum()),
        "households_assigned": int(c["households"].sum()),
        "households_unassigned": unassigned_households,
        "estates": 0 if estates is None else len(estates),
        "estates_unassigned": 0 if estates is None else int(estates["community_id"].isna().sum()),
        "premises": 0 if prem is None else len(prem),
        "premises_unassigned": 0 if prem is None else int(prem["community_id"].isna().sum()),
        "too_small": int(scale.get("too_small", 0)),
        "ok": int(scale.get("ok", 0)),
        "too_large": int(scale.get("too_large", 0)),
        "households_covered": (
            0
            if estates is None or counts is None
            else int(counts.where(estates["covered"], 0).sum())
        ),
        "warnings": warnings,
    }
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


# --------------------------------------------------------------------------- R7 proposals


def _delivered_parcels(results: Results) -> gpd.GeoDataFrame | None:
    """The plan-year parcels among the household units (``parcel_id``, ``households``,
    geometry clipped to their community); None when there are none."""
    units = results.household_units
    if units is None or not units["source"].eq("parcel").any():
        return None
    parcels = units[units["source"].eq("parcel")].rename(columns={"unit_id": "parcel_id"})
    return parcels[["parcel_id", "name", "community_id", "households", "geometry"]]


def _accessibility(
    results: Results, counted: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame
) -> tuple[np.ndarray, Any, dict[str, int]]:
    """The reach raster with the proposed (best p) sites, and the households beyond the walk
    now and with those sites (the estates', and in a plan year the delivered parcels')."""
    data, rules = results.data, results.data.rules
    crs = data.communities.crs
    now_points = counted.geometry if counted is not None else gpd.GeoSeries([], crs=crs)
    chosen = sites[sites["model"] == "mclp"].geometry
    now_m, transform = accessibility.accessibility_raster(
        data.communities, now_points, rules=rules, paths=data.paths
    )
    with_sites = gpd.GeoSeries(
        pd.concat([now_points.reset_index(drop=True), chosen.reset_index(drop=True)]), crs=crs
    )
    access_m, transform = accessibility.accessibility_raster(
        data.communities, with_sites, rules=rules, paths=data.paths
    )
    demand = [d for d in (results.estates, _delivered_parcels(results)) if d is not None]
    beyond = {
        "households_beyond_walk_now": sum(
            accessibility.households_beyond_walk(d, now_m, transform, rules=rules) for d in demand
        ),
        "households_beyond_walk_with_sites": sum(
            accessibility.households_beyond_walk(d, access_m, transform, rules=rules)
            for d in demand
        ),
    }
    return access_m, transform, beyond


def propose_layout(
    results: Results,
    *,
    p: int | None = None,
    boundary_proposal: boundaries.BoundaryProposal | None = None,
) -> Results:
    """Add the R7 layout proposals (一(一)) to ``results``: a new :class:`Results`.

    The proposals count the households of the run's year (``results.household_units``): the
    estates' pieces by area share, as R1, and in a plan year the parcels delivered by then,
    so a proposed community's ``households_before`` is its ``communities.households``.

    Proposed community boundaries for the communities outside the household range
    (:func:`gis_planner.layout.boundaries.propose_boundaries`), new premises sites by set
    cover and by maximal coverage of ``p`` sites (:func:`gis_planner.layout.siting.propose_sites`;
    ``p`` from ``rules.layout.new_sites_p`` when None), and the accessibility raster —
    distance to the nearest existing or proposed premises — with the households beyond the
    walking distance now and with the proposed sites (:mod:`gis_planner.layout.accessibility`).

    ``boundary_proposal``, when given, is used instead of proposing the boundaries here: a
    partitioned run (:mod:`gis_planner.partition`) proposes them per county and merges them.

    Needs an estates layer; without one ``results`` is returned unchanged.
    """
    if results.estates is None or len(results.estates) == 0:
        return results
    if results.estates["community_id"].isna().all():
        # no estate in any community: no cells to regroup, no households to reach — the run
        # goes on without proposals (an error here would refuse a folder `check` accepts)
        return _with_warnings(results, [Problem("estates", msg("layout_no_estates_inside"))])
    data, rules = results.data, results.data.rules
    counted = results.counted_premises
    bp = (
        boundary_proposal
        if boundary_proposal is not None
        else boundaries.propose_boundaries(
            results.estates,
            data.communities,
            rules=rules,
            premises=counted,
            barriers=data.barriers,
            planned_roads=data.planned_roads,
            units=results.household_units,
        )
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
        parcels=_delivered_parcels(results),
    )
    access_m, transform, beyond = _accessibility(results, counted, sr.sites)
    summary = {
        "communities_out_of_range": int(len(bp.decisions)),
        "proposed_communities": int(len(bp.communities)),
        "estates_moved": int(len(bp.moves)),
        "proposed_in_range": int((bp.communities["scale_status"] == "ok").sum()),
        "lscp_sites": int(sr.summary["lscp_sites"]),
        "lscp_households_newly_covered": int(sr.summary["lscp_households_newly_covered"]),
        "mclp_sites": int(sr.summary["mclp_sites"]),
        "mclp_households_newly_covered": int(sr.summary["mclp_households_newly_covered"]),
        **beyond,
    }
    proposal = LayoutProposal(
        boundaries=bp,
        siting=sr,
        access_m=access_m,
        access_transform=transform,
        summary=summary,
        access_nodata=accessibility.NODATA,
    )
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
    # a warning of the run (report, `run`, `check`), not only a log line: the raster of
    # distances to existing premises is empty
    no_premises = counted is None or bool(counted.geometry.isna().all())
    access_warnings = [Problem("premises", msg("access_no_premises"))] if no_premises else []
    out = _with_warnings(results, [*bp.warnings, *sr.warnings, *access_warnings])
    return dataclasses.replace(out, layout=proposal, summary={**out.summary, "layout": summary})


def _with_warnings(results: Results, more: list[Problem]) -> Results:
    """A new :class:`Results` with ``more`` warnings (and their count in the summary)."""
    warnings = (*results.warnings, *more)
    summary = {**results.summary, "warnings": len(warnings)}
    return dataclasses.replace(results, warnings=warnings, summary=summary)


def run(
    data: PlanningData,
    *,
    plan_year: int | None = None,
    proposals: bool = True,
    sites: int | None = None,
    scenario: Mapping[str, Any] | None = None,
) -> Results:
    """Every step of a run on validated layers: the one place the steps are composed.

    Parameters
    ----------
    data : PlanningData
        Validated layers in the working CRS (:func:`gis_planner.io.load_layers`).
    plan_year : int, optional
        A plan year, not before the data year (see the module docstring).
    proposals : bool
        Add the R7 layout proposals (boundaries, premises sites, the reach raster).
    sites : int, optional
        Number of new sites of the maximal-coverage proposal; default
        ``rules.layout.new_sites_p``.
    scenario : mapping, optional
        The scenario that made ``data`` (its file, :meth:`gis_planner.scenario.Scenario.to_dict`),
        kept in the results for the renderers.

    Returns
    -------
    Results

    Examples
    --------
    >>> from gis_planner.datasets import get_path
    >>> from gis_planner.io import load_layers
    >>> results = run(load_layers(get_path("deqing_demo")), proposals=False)
    >>> results.summary["meets"], results.summary["communities"]
    (11, 22)
    """
    results = analyse(data, year=plan_year)
    if proposals:
        results = propose_layout(results, p=sites)
    if scenario is not None:
        results = dataclasses.replace(results, scenario=dict(scenario))
    return results
