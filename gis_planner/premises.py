"""Community premises (社区用房): which community each belongs to, and the area check (R1, 一(二)).

R1: required area = max(rate × households / 100, minimum total), with the *new* (80 m²,
1,800 m²) or *renovated* (75 m², 1,200 m²) standard; the community follows the tenure of its
largest existing premises unless the communities layer overrides ``standard``. The
convenience service centre should be on the ground floor and have ≥ 100 m² (warnings).

R2 (:func:`planning_conditions`): the premises area to write into the planning conditions of
each development parcel put up for sale — the R1 *new* requirement of its community after
adding every parcel's households, minus the community's existing and planned premises (never
below zero), shared among the community's parcels pro rata to their households.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner.crs import check_working_crs
from gis_planner.errors import RulesError
from gis_planner.i18n import Listing, Message, Term, msg
from gis_planner.overlay import robust_overlay
from gis_planner.rules import RuleSet

log = logging.getLogger(__name__)


def located_in(geoms: np.ndarray, polygons: np.ndarray, ids: pd.Series | np.ndarray) -> np.ndarray:
    """The id of the polygon holding each geometry's representative point (a point is its
    own), None where none holds it; of several, the first the STRtree finds — what geopandas'
    left ``sjoin`` (predicate "intersects", the first row of each) gives, without its frames.

    >>> from shapely.geometry import Point, box
    >>> located_in(
    ...     np.array([Point(1, 1), Point(5, 5), None], dtype=object),
    ...     np.array([box(0, 0, 2, 2)], dtype=object),
    ...     np.array(["A"], dtype=object),
    ... ).tolist()
    ['A', None, None]
    """
    geoms = np.asarray(geoms, dtype=object)
    if not bool((shapely.get_type_id(geoms) == 0).all()):
        geoms = shapely.point_on_surface(geoms)
    at, holder = shapely.STRtree(np.asarray(polygons, dtype=object)).query(
        geoms, predicate="intersects"
    )
    found, first = np.unique(at, return_index=True)
    out = np.full(len(geoms), None, dtype=object)
    out[found] = np.asarray(ids, dtype=object)[holder[first]]
    return out


def assign_premises(premises: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.DataFrame:
    """The community of each premises: its ``community_id`` if given, else by location.

    Parameters
    ----------
    premises, communities : GeoDataFrame
        In the same projected CRS (EPSG:4549).

    Returns
    -------
    DataFrame
        Indexed like ``premises``: ``community_id`` (None when the premises lies in no
        community and gave none) and ``assigned_by`` (``attribute``/``location``/None).
    """
    check_working_crs(premises=premises, communities=communities)
    given = premises.get("community_id", pd.Series(None, index=premises.index, dtype=object))
    given = given.where(given.notna(), None)
    geoms, polygons = premises.geometry.values, communities.geometry.values
    located = pd.Series(
        located_in(geoms, polygons, communities["community_id"]), index=premises.index, dtype=object
    )
    community_id = given.where(given.notna(), located).astype(object)
    community_id = community_id.where(community_id.notna(), None)
    assigned_by = pd.Series(
        np.where(
            given.notna(),
            "attribute",
            np.where(community_id.notna(), "location", np.full(len(given), None, dtype=object)),
        ),
        index=premises.index,
        dtype=object,
    )
    assigned_by = assigned_by.where(community_id.notna(), None)
    return pd.DataFrame({"community_id": community_id.astype(object), "assigned_by": assigned_by})


def counted_premises(
    premises: pd.DataFrame, *, rules: RuleSet, year: int | None = None
) -> pd.Series:
    """Which premises count toward the area: existing ones (and planned ones in a plan year).

    Returns a boolean Series indexed like ``premises``.
    """
    status = premises.get("status", pd.Series("existing", index=premises.index)).fillna("existing")
    counted_status = status.eq("existing") | (status.eq("planned") if year is not None else False)
    return counted_status & premises["function"].isin(list(rules.premises.counted_functions))


def required_area_m2(
    households: pd.Series | np.ndarray | int, standard: pd.Series | str, *, rules: RuleSet
) -> pd.Series | float:
    """R1 required premises area: max(rate × households / 100, minimum total), in m².

    Examples
    --------
    >>> from gis_planner.rules import load_rules
    >>> required_area_m2(3000, "new", rules=load_rules())
    2400.0
    >>> required_area_m2(1500, "new", rules=load_rules())
    1800.0
    """
    standards = rules.premises.standards
    if isinstance(standard, str):
        s = standards[standard]
        return float(max(s.per_100_households_m2 * float(households) / 100.0, s.minimum_total_m2))
    rate = standard.map({k: standards[k].per_100_households_m2 for k in standards})
    minimum = standard.map({k: standards[k].minimum_total_m2 for k in standards})
    households = pd.Series(households, index=standard.index).astype(float)
    return np.maximum(rate.astype(float) * households / 100.0, minimum.astype(float))


def community_standard(
    communities: pd.DataFrame, premises: pd.DataFrame, counted: pd.Series, *, rules: RuleSet
) -> pd.Series:
    """The R1 standard (``new``/``renovated``) of each community.

    The ``standard`` field of the communities layer wins; else the tenure of the community's
    largest counted premises by floor area (``rules.premises.tenure_standard``); else
    ``rules.premises.standard_without_premises``.
    """
    mine = premises[counted & premises["community_id"].notna()]
    largest = (
        mine.sort_values(["floor_area_m2", "premises_id"], ascending=[False, True])
        .drop_duplicates("community_id")
        .set_index("community_id")["tenure"]
    )
    tenure_standard = dict(rules.premises.tenure_standard)
    from_tenure = communities["community_id"].map(largest).map(tenure_standard)
    standard = from_tenure.fillna(rules.premises.standard_without_premises)
    if "standard" in communities:
        override = communities["standard"]
        standard = override.where(override.notna(), standard)
    return standard.astype(object)


def check_premises(
    communities: gpd.GeoDataFrame,
    premises: pd.DataFrame | None,
    households: pd.Series,
    *,
    rules: RuleSet,
    year: int | None = None,
) -> pd.DataFrame:
    """R1 check of every community's premises area.

    Parameters
    ----------
    communities : GeoDataFrame
        With ``community_id`` (and optionally ``standard``).
    premises : DataFrame or None
        Premises with ``community_id`` already assigned (:func:`assign_premises`),
        ``function``, ``floor_area_m2``, ``tenure``, ``status`` and optionally ``floor``.
    households : Series
        Households per community, indexed like ``communities``.
    year : int, optional
        A plan year: planned premises count too.

    Returns
    -------
    DataFrame
        Indexed like ``communities``: ``standard``, ``required_area_m2``,
        ``premises_area_m2``, ``shortfall_m2``, ``premises_status`` (meets/short/none),
        ``service_centre_ok`` and ``premises_warnings`` (list of
        :class:`~gis_planner.i18n.Message`).
    """
    if premises is None or len(premises) == 0:
        premises = pd.DataFrame(
            columns=[
                "premises_id",
                "community_id",
                "function",
                "floor_area_m2",
                "tenure",
                "status",
                "floor",
                "name",
            ]
        )
    counted = counted_premises(premises, rules=rules, year=year)
    # R1: the standard follows the largest *existing* premises, in a plan year too
    existing = counted_premises(premises, rules=rules, year=None)
    standard = community_standard(communities, premises, existing, rules=rules)
    required = required_area_m2(households, standard, rules=rules)
    mine = premises[counted & premises["community_id"].notna()]
    area = (
        communities["community_id"]
        .map(mine.groupby("community_id")["floor_area_m2"].sum().astype(float))
        .fillna(0.0)
    )
    shortfall = np.maximum(required - area, 0.0)
    status = np.where(area <= 0, "none", np.where(area >= required - 1e-9, "meets", "short"))

    sc_rules = rules.premises.service_centre
    centres = mine[mine["function"] == sc_rules.function]
    floor = pd.to_numeric(
        centres.get("floor", pd.Series(np.nan, index=centres.index)), errors="coerce"
    )
    bad_floor = floor.notna() & (floor != sc_rules.ground_floor)
    bad_area = centres["floor_area_m2"].astype(float) < sc_rules.minimum_floor_area_m2
    warnings: dict[object, list[Message]] = {c: [] for c in communities["community_id"].tolist()}
    failing_rows = (bad_floor | bad_area).to_numpy(dtype=bool)
    failed = centres[failing_rows]  # few: a message per failing centre, read by column
    names = (
        failed["name"].to_numpy(dtype=object)
        if "name" in failed
        else np.full(len(failed), None, dtype=object)
    )
    for cid, name, pid, wrong_floor, at, small, area_m2 in zip(
        failed["community_id"].to_numpy(dtype=object),
        names,
        failed["premises_id"].to_numpy(dtype=object),
        bad_floor.to_numpy(dtype=bool)[failing_rows],
        floor.to_numpy(dtype=float, na_value=np.nan)[failing_rows],
        bad_area.to_numpy(dtype=bool)[failing_rows],
        failed["floor_area_m2"].to_numpy(dtype=float, na_value=np.nan),
        strict=True,
    ):
        name = name if isinstance(name, str) else pid
        if wrong_floor:
            warnings[cid].append(
                msg(
                    "warn_service_centre_floor",
                    name=name,
                    required=int(sc_rules.ground_floor),
                    floor=int(at),
                )
            )
        if small:
            warnings[cid].append(
                msg(
                    "warn_service_centre_area",
                    name=name,
                    area=float(area_m2),
                    minimum=float(sc_rules.minimum_floor_area_m2),
                )
            )
    failing = set(centres.loc[bad_floor | bad_area, "community_id"])
    with_centre = set(centres["community_id"])
    ok = {c: (c in with_centre and c not in failing) for c in warnings}
    missing_text = msg("warn_no_service_centre")
    for cid in warnings:
        if cid not in with_centre:
            warnings[cid].append(missing_text)
    ids = communities["community_id"].tolist()
    result = pd.DataFrame(
        {
            "standard": standard,
            "required_area_m2": np.round(np.asarray(required, dtype=float), 2),
            "premises_area_m2": np.round(area.astype(float), 2),
            "shortfall_m2": np.round(shortfall.astype(float), 2),
            "premises_status": status,
            # plain lists: Series.map over a pandas-3 string column would infer Arrow types
            # (a list<string> column cannot take a new list per row)
            "service_centre_ok": np.array([bool(ok.get(c, False)) for c in ids], dtype=bool),
            "premises_warnings": pd.Series(
                [list(warnings[c]) for c in ids], index=communities.index, dtype=object
            ),
        },
        index=communities.index,
    )
    log.info(
        "Checked premises of %d communities: %d meet, %d short, %d none; shortfall %.0f m²",
        len(result),
        int((status == "meets").sum()),
        int((status == "short").sum()),
        int((status == "none").sum()),
        float(shortfall.sum()),
    )
    return result


# --------------------------------------------------------------------------- R2


PLANNING_CONDITION_COLUMNS = [
    "parcel_id",
    "name",
    "community_id",
    "community_name",
    "planned_households",
    "delivery_year",
    "community_households_after",
    "required_area_m2",
    "existing_and_planned_m2",
    "community_shortfall_m2",
    "condition_area_m2",
    "note",
]


def parcel_households(parcels: pd.DataFrame, *, rules: RuleSet) -> pd.Series:
    """Planned households H of each development parcel (R2, 一(二)).

    ``planned_households`` where given; else ``residential_floor_area_m2`` divided by
    ``rules.planning_conditions.average_dwelling_floor_area_m2``, rounded to whole households
    (half up). NaN when the parcel gives neither.

    Returns a float Series indexed like ``parcels``, named ``planned_households``.

    Examples
    --------
    >>> from gis_planner.rules import load_rules
    >>> frame = pd.DataFrame({"planned_households": [600, None],
    ...                       "residential_floor_area_m2": [None, 28_000]})
    >>> parcel_households(frame, rules=load_rules()).tolist()
    [600.0, 280.0]
    """
    average = float(rules.planning_conditions.average_dwelling_floor_area_m2)
    given = pd.to_numeric(
        parcels.get("planned_households", pd.Series(np.nan, index=parcels.index)), errors="coerce"
    ).astype(float)
    area = pd.to_numeric(
        parcels.get("residential_floor_area_m2", pd.Series(np.nan, index=parcels.index)),
        errors="coerce",
    ).astype(float)
    from_area = np.floor(area / average + 0.5) if average > 0 else area * np.nan
    return given.where(given.notna(), from_area).rename("planned_households")


def assign_parcels(parcels: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> pd.DataFrame:
    """The community of each development parcel: the one holding most of its area (R2).

    Parameters
    ----------
    parcels, communities : GeoDataFrame
        Polygons in the same projected CRS (EPSG:4549).

    Returns
    -------
    DataFrame
        Indexed like ``parcels``: ``community_id`` (None when the parcel lies in no
        community), ``community_index`` (the communities' index label, or None),
        ``community_share`` (share of the parcel's area in that community, 0–1) and
        ``community_shares`` (``{community_id: share}`` of every community it overlaps).
    """
    if parcels.crs != communities.crs:
        raise ValueError(
            f"development parcels CRS {parcels.crs} differs from communities CRS "
            f"{communities.crs}; reproject both to EPSG:4549 first"
        )
    geoms = parcels.geometry.values
    tree = shapely.STRtree(communities.geometry.values)
    pairs_p, pairs_c = tree.query(geoms, predicate="intersects")
    area = shapely.area(
        robust_overlay(shapely.intersection, geoms[pairs_p], communities.geometry.values[pairs_c])
    )
    total = shapely.area(geoms)
    ids = communities["community_id"].to_numpy()
    labels = communities.index.to_numpy()
    rows = []
    for i in range(len(parcels)):
        mine = (pairs_p == i) & (area > 0)
        shares = {}
        best, best_share = None, 0.0
        for c, a in sorted(zip(pairs_c[mine].tolist(), area[mine].tolist(), strict=True)):
            share = a / total[i] if total[i] > 0 else 0.0
            shares[str(ids[c])] = round(share, 4)
            if share > best_share:  # ties: the first community in layer order
                best, best_share = c, share
        rows.append(
            {
                "community_id": None if best is None else ids[best],
                "community_index": None if best is None else labels[best],
                "community_share": round(best_share, 4),
                "community_shares": shares,
            }
        )
    out = pd.DataFrame(
        {
            "community_id": pd.Series(
                [r["community_id"] for r in rows], index=parcels.index, dtype=object
            ),
            "community_index": pd.Series(
                [r["community_index"] for r in rows], index=parcels.index, dtype=object
            ),
            "community_share": [r["community_share"] for r in rows],
            "community_shares": pd.Series(
                [r["community_shares"] for r in rows], index=parcels.index, dtype=object
            ),
        },
        index=parcels.index,
    )
    return out


def planning_conditions(
    communities: gpd.GeoDataFrame,
    parcels: gpd.GeoDataFrame | None,
    premises: pd.DataFrame | None,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """R2 (一(二)): the premises area to write into each development parcel's planning conditions.

    For a community holding development parcels with planned households H₁ … Hₙ (a parcel
    belongs to the community holding most of its area), the requirement is R1 at the
    ``rules.planning_conditions.standard`` (*new*) standard for the community's households
    after adding all of them; the community's shortfall is that requirement minus its existing
    and planned premises together, never below zero; each parcel's condition is its share of
    the shortfall pro rata to its households.

    Example (tests/test_planning_conditions.py): 3,000 households, 2,000 m² existing, parcels
    of 600 and 400 households → 4,000 after → max(80 × 40, 1,800) = 3,200 m² → shortfall
    1,200 m² → conditions 720 and 480 m².

    Parameters
    ----------
    communities : GeoDataFrame
        ``community_id``, ``name`` and ``households``: the households living there now
        (before any parcel), in EPSG:4549.
    parcels : GeoDataFrame or None
        Development parcels (``parcel_id``, ``name``, ``planned_households`` or
        ``residential_floor_area_m2``, ``delivery_year``) in the same CRS. Every parcel
        counts whatever its delivery year: the condition is written when the land is sold.
    premises : DataFrame or None
        Premises with ``community_id`` assigned (:func:`assign_premises`), ``function``,
        ``floor_area_m2`` and ``status``; existing and planned ones count.
    rules : RuleSet

    Returns
    -------
    DataFrame
        Indexed like ``parcels`` (empty with the columns when there are none), columns
        :data:`PLANNING_CONDITION_COLUMNS`; areas in m², rounded to 0.01 m². A parcel in no
        community, or giving neither households nor floor area, has no condition (NaN) and
        says why in ``note``.
    """
    pc = rules.planning_conditions
    if pc.parcel_assignment != "largest_area" or pc.shared_shortfall != "pro_rata_households":
        raise RulesError(
            "planning_conditions: only parcel_assignment 'largest_area' and shared_shortfall "
            f"'pro_rata_households' are implemented; got {pc.parcel_assignment!r}, "
            f"{pc.shared_shortfall!r}"
        )
    if parcels is None or len(parcels) == 0:
        return pd.DataFrame(columns=PLANNING_CONDITION_COLUMNS)
    households = parcel_households(parcels, rules=rules)
    assigned = assign_parcels(parcels, communities)
    community_id = assigned["community_id"]
    known = households.notna() & community_id.notna()

    current = pd.to_numeric(communities["households"], errors="coerce").fillna(0).astype(float)
    current = pd.Series(current.to_numpy(), index=communities["community_id"].to_numpy())
    names = pd.Series(communities["name"].to_numpy(), index=communities["community_id"])
    added = households[known].groupby(community_id[known]).sum()
    after = current + added.reindex(current.index).fillna(0.0)
    required = pd.Series(
        np.asarray(
            required_area_m2(after, pd.Series(pc.standard, index=after.index), rules=rules),
            dtype=float,
        ),
        index=after.index,
    )
    if premises is not None and len(premises):
        status = premises.get("status", pd.Series("existing", index=premises.index)).fillna(
            "existing"
        )
        mask = (
            status.isin(["existing", "planned"])
            & premises["function"].isin(list(rules.premises.counted_functions))
            & premises["community_id"].notna()
        )
        have = premises[mask].groupby("community_id")["floor_area_m2"].sum().astype(float)
    else:
        have = pd.Series(dtype=float)
    have = have.reindex(after.index).fillna(0.0)
    shortfall = np.maximum(required - have, 0.0)
    share = households / community_id.map(added).astype(float)

    standard = rules.premises.standards[pc.standard]
    rows = []
    for i in parcels.index:
        cid = community_id[i]
        cid = None if cid is None or pd.isna(cid) else cid
        h = households[i]
        year = parcels["delivery_year"][i] if "delivery_year" in parcels else None
        row: dict[str, object] = {
            "parcel_id": parcels["parcel_id"][i],
            "name": parcels["name"][i] if "name" in parcels else None,
            "community_id": cid,
            "community_name": names.get(cid) if cid is not None else None,
            "planned_households": None if pd.isna(h) else int(h),
            "delivery_year": None if year is None or pd.isna(year) else int(year),
            "community_households_after": None,
            "required_area_m2": None,
            "existing_and_planned_m2": None,
            "community_shortfall_m2": None,
            "condition_area_m2": None,
        }
        notes: list[Message] = []
        if pd.isna(h):
            notes.append(msg("r2_no_households"))
        elif "planned_households" not in parcels or pd.isna(parcels["planned_households"][i]):
            notes.append(
                msg(
                    "r2_from_floor_area",
                    area=float(parcels["residential_floor_area_m2"][i]),
                    average=float(pc.average_dwelling_floor_area_m2),
                    households=int(h),
                )
            )
        if cid is None:
            notes.append(msg("r2_no_community"))
        else:
            if assigned["community_share"][i] < 1.0 - 1e-4:
                notes.append(
                    msg(
                        "r2_straddles",
                        share=float(assigned["community_share"][i]),
                        community=row["community_name"] or cid,
                    )
                )
            row.update(
                {
                    "community_households_after": int(round(after[cid])),
                    "required_area_m2": round(float(required[cid]), 2),
                    "existing_and_planned_m2": round(float(have[cid]), 2),
                    "community_shortfall_m2": round(float(shortfall[cid]), 2),
                }
            )
            if not pd.isna(h):
                condition = float(shortfall[cid]) * (float(share[i]) if added[cid] > 0 else 0.0)
                row["condition_area_m2"] = round(condition, 2)
                n = int((community_id[known] == cid).sum())
                notes.append(
                    msg(
                        "r2_rule",
                        after=int(round(after[cid])),
                        standard=Term(pc.standard),
                        rate=float(standard.per_100_households_m2),
                        minimum=float(standard.minimum_total_m2),
                        required=float(required[cid]),
                        have=float(have[cid]),
                        shortfall=float(shortfall[cid]),
                    )
                )
                if shortfall[cid] <= 0:
                    notes.append(msg("r2_enough"))
                elif n > 1:
                    notes.append(msg("r2_shared", n=n, share=float(share[i])))
        row["note"] = Listing.of(notes, kind="list") if notes else ""
        rows.append(row)
    table = pd.DataFrame(rows, index=parcels.index, columns=PLANNING_CONDITION_COLUMNS)
    for column in ("planned_households", "delivery_year", "community_households_after"):
        table[column] = pd.array(table[column], dtype="Int64")
    for column in (
        "required_area_m2",
        "existing_and_planned_m2",
        "community_shortfall_m2",
        "condition_area_m2",
    ):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    for column in ("parcel_id", "name", "community_id", "community_name", "note"):
        table[column] = table[column].astype(object)
    log.info(
        "R2 planning conditions for %d parcels in %d communities: %.0f m² in all",
        len(table),
        int(community_id[known].nunique()),
        float(table["condition_area_m2"].sum()),
    )
    return table
