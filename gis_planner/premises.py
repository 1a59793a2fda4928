"""Community premises (社区用房): which community each belongs to, and the area check (R1, 一(二)).

R1: required area = max(rate × households / 100, minimum total), with the *new* (80 m²,
1,800 m²) or *renovated* (75 m², 1,200 m²) standard; the community follows the tenure of its
largest existing premises unless the communities layer overrides ``standard``. The
convenience service centre should be on the ground floor and have ≥ 100 m² (warnings).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner.i18n import tr
from gis_planner.rules import RuleSet

log = logging.getLogger(__name__)


def assign_premises(premises: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
                    ) -> pd.DataFrame:
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
    given = premises.get("community_id", pd.Series(None, index=premises.index, dtype=object))
    given = given.where(given.notna(), None)
    points = premises.geometry.representative_point()
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=points, crs=premises.crs),
                       communities[["community_id", "geometry"]], how="left",
                       predicate="intersects")
    located = joined[~joined.index.duplicated(keep="first")]["community_id"]
    located = located.reindex(premises.index)
    community_id = given.where(given.notna(), located).astype(object)
    community_id = community_id.where(community_id.notna(), None)
    assigned_by = pd.Series(np.where(given.notna(), "attribute",
                                     np.where(community_id.notna(), "location", None)),
                            index=premises.index, dtype=object)
    assigned_by = assigned_by.where(community_id.notna(), None)
    return pd.DataFrame({"community_id": community_id.astype(object),
                         "assigned_by": assigned_by})


def counted_premises(premises: pd.DataFrame, *, rules: RuleSet, year: int | None = None
                     ) -> pd.Series:
    """Which premises count toward the area: existing ones (and planned ones in a plan year).

    Returns a boolean Series indexed like ``premises``.
    """
    status = premises.get("status", pd.Series("existing", index=premises.index)).fillna(
        "existing")
    counted_status = status.eq("existing") | (status.eq("planned") if year is not None else False)
    return counted_status & premises["function"].isin(list(rules.premises.counted_functions))


def required_area_m2(households: pd.Series | np.ndarray | int, standard: pd.Series | str, *,
                     rules: RuleSet) -> pd.Series | float:
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
        return float(max(s.per_100_households_m2 * float(households) / 100.0,
                         s.minimum_total_m2))
    rate = standard.map({k: standards[k].per_100_households_m2 for k in standards})
    minimum = standard.map({k: standards[k].minimum_total_m2 for k in standards})
    households = pd.Series(households, index=standard.index).astype(float)
    return np.maximum(rate.astype(float) * households / 100.0, minimum.astype(float))


def community_standard(communities: pd.DataFrame, premises: pd.DataFrame, counted: pd.Series,
                       *, rules: RuleSet) -> pd.Series:
    """The R1 standard (``new``/``renovated``) of each community.

    The ``standard`` field of the communities layer wins; else the tenure of the community's
    largest counted premises by floor area (``rules.premises.tenure_standard``); else
    ``rules.premises.standard_without_premises``.
    """
    mine = premises[counted & premises["community_id"].notna()]
    largest = (mine.sort_values(["floor_area_m2", "premises_id"], ascending=[False, True])
               .drop_duplicates("community_id").set_index("community_id")["tenure"])
    tenure_standard = dict(rules.premises.tenure_standard)
    from_tenure = communities["community_id"].map(largest).map(tenure_standard)
    standard = from_tenure.fillna(rules.premises.standard_without_premises)
    if "standard" in communities:
        override = communities["standard"]
        standard = override.where(override.notna(), standard)
    return standard.astype(object)


def check_premises(communities: gpd.GeoDataFrame, premises: pd.DataFrame | None,
                   households: pd.Series, *, rules: RuleSet, year: int | None = None,
                   lang: str = "zh") -> pd.DataFrame:
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
        ``service_centre_ok`` and ``premises_warnings`` (list of str).
    """
    if premises is None or len(premises) == 0:
        premises = pd.DataFrame(columns=["premises_id", "community_id", "function",
                                         "floor_area_m2", "tenure", "status", "floor", "name"])
    counted = counted_premises(premises, rules=rules, year=year)
    standard = community_standard(communities, premises, counted, rules=rules)
    required = required_area_m2(households, standard, rules=rules)
    mine = premises[counted & premises["community_id"].notna()]
    area = (communities["community_id"]
            .map(mine.groupby("community_id")["floor_area_m2"].sum().astype(float))
            .fillna(0.0))
    shortfall = np.maximum(required - area, 0.0)
    status = np.where(area <= 0, "none", np.where(area >= required - 1e-9, "meets", "short"))

    sc_rules = rules.premises.service_centre
    warnings: dict[object, list[str]] = {c: [] for c in communities["community_id"]}
    ok: dict[object, bool] = {}
    centres = mine[mine["function"] == sc_rules.function]
    for cid, group in centres.groupby("community_id"):
        ok[cid] = True
        for _, p in group.iterrows():
            name = p.get("name") or p["premises_id"]
            floor = p.get("floor")
            if floor is not None and not pd.isna(floor) and int(floor) != sc_rules.ground_floor:
                warnings[cid].append(tr("warn_service_centre_floor", lang, name=name,
                                        floor=int(floor)))
                ok[cid] = False
            if float(p["floor_area_m2"]) < sc_rules.minimum_floor_area_m2:
                warnings[cid].append(tr("warn_service_centre_area", lang, name=name,
                                        area=float(p["floor_area_m2"]),
                                        minimum=float(sc_rules.minimum_floor_area_m2)))
                ok[cid] = False
    for cid in warnings:
        if cid not in ok:
            warnings[cid].append(tr("warn_no_service_centre", lang))
    result = pd.DataFrame({
        "standard": standard,
        "required_area_m2": np.round(required.astype(float), 2),
        "premises_area_m2": np.round(area.astype(float), 2),
        "shortfall_m2": np.round(shortfall.astype(float), 2),
        "premises_status": status,
        "service_centre_ok": communities["community_id"].map(lambda c: ok.get(c, False)),
        "premises_warnings": communities["community_id"].map(lambda c: warnings[c]),
    }, index=communities.index)
    log.info("Checked premises of %d communities: %d meet, %d short, %d none; shortfall %.0f m²",
             len(result), int((status == "meets").sum()), int((status == "short").sum()),
             int((status == "none").sum()), float(shortfall.sum()))
    return result
