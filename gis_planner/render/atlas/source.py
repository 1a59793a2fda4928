"""What the atlas prints, from a run's :class:`~gis_planner.results.Results` or from a run
folder read back (:class:`~gis_planner.io.runfolder.RunFolder`).

:func:`atlas_source` gathers both into one :class:`AtlasSource`: the layers in the working
CRS (metres) and what the title block and the tables say, worded in ``lang``. A run folder
holds less than the run did: the reach area and the run's summary are then left out, and the
page that needs the reach area with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gis_planner.crs import gk3_central_meridian, working_crs_for
from gis_planner.i18n import tr, value_label
from gis_planner.io.runfolder import RunFolder
from gis_planner.render.report import enclosure_sheet, summary_rows
from gis_planner.results import Results

#: the R6 statuses of the candidate list (开转封候选清单), in print order
CANDIDATE_STATUSES = ("candidate", "candidate_exception")


@dataclass(frozen=True)
class AtlasSource:
    """Everything the atlas draws and prints, in the working CRS and worded in one language.

    Attributes
    ----------
    name : str
        The planning area (``name`` of ``planner.yaml``; the atlas's title without one; for a
        run folder, which does not record it, the name of the layers folder the run read).
    working_crs : str
        The CRS of every layer here (``EPSG:4549``).
    year_key, year : str, int or None
        ``tb_plan_year`` or ``tb_data_year`` and the year the figures are for.
    data_note : str
        The note on the data of ``planner.yaml`` (``data_note``), in the atlas's language.
    scenario : str or None
        The scenario's name, when the run was one.
    communities, estates, premises : GeoDataFrame
        The run's layers (estates and premises None when the run had none).
    counted : Series of bool or None
        Per premises: does it count toward R1 in the run's year.
    reach : shapely geometry or None
        R7: the area within ``walking_distance_m`` of the counted premises.
    walking_distance_m : float or None
        R7's walking distance (straight line), metres.
    proposed, sites : GeoDataFrame or None
        R7: the proposed communities and the proposed premises sites.
    candidates : DataFrame or None
        R6: the candidate list (开转封候选清单) worded as the report's sheet; None without an
        estates layer.
    summary : tuple of (str, str)
        The headline figures printed beside the R1 table.
    """

    name: str
    working_crs: str
    year_key: str
    year: int | None
    data_note: str
    scenario: str | None
    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    premises: gpd.GeoDataFrame | None
    counted: pd.Series | None
    reach: shapely.Geometry | None
    walking_distance_m: float | None
    proposed: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    candidates: pd.DataFrame | None
    summary: tuple[tuple[str, str], ...]


def _note(note: object, lang: str) -> str:
    if isinstance(note, Mapping):
        note = note.get(lang) or note.get("zh") or next(iter(note.values()), "")
    return " ".join(str(note or "").split())


def _candidate_sheet(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    shown = table[table["enclosure_status"].isin(CANDIDATE_STATUSES).to_numpy()]
    return enclosure_sheet(shown, lang=lang)


def _from_results(results: Results, lang: str) -> AtlasSource:
    premises = results.premises
    counted = None
    if premises is not None and results.counted_premises is not None:
        counted = pd.Series(premises.index.isin(results.counted_premises.index), premises.index)
    year_key = "atlas_tb_plan_year" if results.year is not None else "atlas_tb_data_year"
    candidates = None
    if results.enclosure_list is not None:
        candidates = _candidate_sheet(results.enclosure_list, lang)
    scenario = str(results.scenario.get("name", "")) if results.scenario else None
    summary = tuple(summary_rows(results, lang=lang))
    return AtlasSource(
        name=results.data.name or tr("atlas_title", lang),
        working_crs=str(results.data.working_crs),
        year_key=year_key,
        year=results.year if results.year is not None else results.data_year,
        data_note=_note(results.data.data_note, lang),
        scenario=scenario or None,
        communities=results.communities,
        estates=results.estates,
        premises=premises,
        counted=counted,
        reach=results.reach,
        walking_distance_m=float(results.rules.layout.walking_distance_m),
        proposed=results.proposed_communities,
        sites=results.sites,
        candidates=candidates,
        summary=summary,
    )


def _year(text: str | None) -> int | None:
    match = re.search(r"\d{4}", text or "")
    return int(match.group(0)) if match else None


def _run_candidates(estates: gpd.GeoDataFrame | None, lang: str) -> pd.DataFrame | None:
    """The R6 candidates of a run folder's estates, in rank order, their reasons as the run
    worded them."""
    if estates is None or "enclosure_status" not in estates:
        return None
    table = pd.DataFrame(estates.drop(columns="geometry"))
    table = table[table["enclosure_status"].isin(CANDIDATE_STATUSES).to_numpy()]
    if "enclosure_rank" in table:
        table = table.sort_values("enclosure_rank", kind="mergesort")
    community = table.get("community_id", pd.Series(None, index=table.index))
    table["unassigned"] = community.map(lambda v: v is None or str(v).strip() in ("", "nan"))
    reasons = table["enclosure_reasons"] if "enclosure_reasons" in table else [None] * len(table)
    table["enclosure_reasons"] = [[r] if r else [] for r in reasons]
    for column in (
        "enclosure_rank",
        "name",
        "estate_id",
        "community_name",
        "street",
        "built_year",
        "households",
        "walls_included",
        "no_property_management",
    ):
        if column not in table:
            table[column] = None
    return enclosure_sheet(table, lang=lang)


def _run_summary(communities: gpd.GeoDataFrame, lang: str) -> tuple[tuple[str, str], ...]:
    if "premises_status" not in communities:
        return ()
    counts = communities["premises_status"].value_counts()
    return tuple((str(value_label(status, lang)), str(int(n))) for status, n in counts.items())


def _from_run(run: RunFolder, lang: str) -> AtlasSource:
    layers = run.layers
    communities = layers["communities"]
    crs = run.working_crs if gk3_central_meridian(run.working_crs) else None
    crs = crs or working_crs_for(communities)

    def local(layer: str) -> Any:
        gdf = layers.get(layer)
        return None if gdf is None else gdf.to_crs(crs)

    premises = local("premises")
    settings = run.settings or {}
    plan_year = _year(settings.get("plan_year"))
    counted = None
    if premises is not None and "status" in premises:
        counted = premises["status"].ne("planned") | (plan_year is not None)
    estates = local("estates")
    folder = settings.get("layers_folder", "").replace("\\", "/").rstrip("/")
    return AtlasSource(
        name=folder.rsplit("/", 1)[-1] or run.name,
        working_crs=crs,
        year_key="atlas_tb_plan_year" if plan_year is not None else "atlas_tb_data_year",
        year=plan_year if plan_year is not None else _year(settings.get("data_year")),
        data_note=_note(run.data_note, lang),
        scenario=None,
        communities=local("communities"),
        estates=estates,
        premises=premises,
        counted=counted,
        reach=None,
        walking_distance_m=None,
        proposed=local("proposed"),
        sites=local("sites"),
        candidates=_run_candidates(estates, lang),
        summary=_run_summary(communities, lang),
    )


def atlas_source(source: Results | RunFolder, *, lang: str = "zh") -> AtlasSource:
    """What the atlas prints of ``source``: a run's results or a run folder read back (its
    layers brought from EPSG:4326 to the working CRS the run recorded)."""
    if isinstance(source, RunFolder):
        return _from_run(source, lang)
    return _from_results(source, lang)
