"""Runs partitioned by county, on one machine or a dask.distributed cluster (issue 12, part 5).

A national dataset (≈100,000 communities, ≈2,000,000 estates) is too much for one process,
but communities never straddle counties: :func:`split_by_county` cuts :class:`PlanningData`
into one partition per county, :func:`run_partitioned` analyses each with the same
:func:`gis_planner.pipeline.analyse` — in this process, or on the workers of a
``distributed.LocalCluster`` or an existing cluster — and :func:`merge_results` joins them
into one :class:`~gis_planner.results.Results`, written once with
:func:`gis_planner.render.runfolder.write_run`.

What decomposes by county and what does not
-------------------------------------------
Per county (on the workers): every per-community and per-estate figure of
:func:`~gis_planner.pipeline.analyse` (R1–R6, R8, households, scale), and the R7 boundary
proposals (:func:`gis_planner.layout.boundaries.propose_boundaries`, the costly part of a
run: about 0.1 s per out-of-range community).

Recomputed once, from the merged frames, after the merge (global; the same code as the
single run, so equal to it):

- the reach of each estate (R7: its nearest counted premises, which may lie in another
  county), ``communities.households_covered`` and the summary;
- the R6 list and counts (:func:`gis_planner.enclosure.enclosure_list`, ``enclosure_counts``);
- the reach area (:func:`gis_planner.layout.scale.reach_area`);
- the premises siting (set cover, and the best ``p`` sites of the *whole* area: a global
  budget that does not decompose) and the accessibility raster on the whole area's grid;
- the warnings: those of the load once, then those of the partitions merged per message
  (counts summed, rows listed in layer order, as the single run lists them).

Decomposed per county (documented difference): a boundary proposal never merges or
rebalances communities across a county line — in the single run a too-small community at a
county line could be merged with a neighbour in the next county. The merged outputs equal
the single run's when no proposal of the single run crosses a county line
(tests/test_partition.py checks a three-county folder file by file). A county without any
estate gets no boundary proposal.

The partition key (:data:`COUNTY_KEYS`, ``--partition-by``)
-----------------------------------------------------------
``field``
    the communities' ``county`` field (区县 / 所属区县 / 区县代码);
``code``
    the first 6 digits of a 12-digit statistical community code (``community_id``:
    province 2 + city 2 + county 2 + street 3 + community 3 digits, GB/T 2260 and the NBS
    statistical division codes);
``auto`` (default)
    ``field`` when the layer has it, else ``code`` when every ``community_id`` is 12 digits,
    else no county information: the whole folder is one partition (and a warning says so).

Estates, premises and development parcels go to the partition of the community they fall
in (premises: their ``community_id`` if it names a community, else by location; parcels:
the community holding most of their area; estates: the county of every community they
overlap — an estate overlapping communities of two counties is an error naming it). An
estate given to a community (``estate_assignments``) goes to that community's county.
Features in no community go to the first partition, so the single run's warnings about
them come out once, the same. Planned roads, barriers and candidate sites go to every
partition whose extent they touch; walking paths are used only by the global siting.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gis_planner import enclosure, pipeline, premises
from gis_planner.errors import PlannerError, Problem, format_rows
from gis_planner.i18n import Message, msg
from gis_planner.io.layers import PlanningData
from gis_planner.layout import boundaries, siting
from gis_planner.layout import scale as layout
from gis_planner.results import BoundaryProposal, LayoutProposal, Results

log = logging.getLogger(__name__)

#: how the county of a community is found (see the module docstring)
COUNTY_KEYS = ("auto", "field", "code")
#: the communities' field holding the county (fields.csv: 所属区县)
COUNTY_FIELD = "county"
#: digits of a statistical community code, and of its county prefix (GB/T 2260)
CODE_DIGITS, COUNTY_DIGITS = 12, 6
#: the partition of a folder without county information
ONE_PARTITION = "*"

#: the id field of each layer a warning names rows of
_ID_FIELD = {
    "communities": "community_id",
    "estates": "estate_id",
    "premises": "premises_id",
    "development_parcels": "parcel_id",
}
#: parameters of a merged warning that add up
_SUMMED = ("n", "households")
_MORE = re.compile(r"^(?P<text>.*?)(?: … \(\+(?P<more>\d+)\))?$", re.S)


class PartitionError(PlannerError):
    """The layers cannot be cut by county (an estate straddling two, a bad key)."""


class DaskMissingError(PlannerError):
    """``--workers``/``--scheduler`` without dask.distributed installed."""


@dataclasses.dataclass(frozen=True)
class Partition:
    """One county's layers and where their rows stand in the whole folder's layers.

    ``positions`` maps a layer (``communities``, ``estates``, ``premises``,
    ``development_parcels``) to the positions of the partition's rows in the whole layer, in
    the partition's order (rising): the partition's layers are indexed 0…n-1.
    """

    county: str
    data: PlanningData
    positions: Mapping[str, np.ndarray]


# --------------------------------------------------------------------------- the key


def county_of(communities: gpd.GeoDataFrame, by: str = "auto") -> pd.Series | None:
    """The county of every community (indexed like ``communities``), or None without county
    information (``by="auto"`` only).

    >>> import geopandas as gpd
    >>> c = gpd.GeoDataFrame({"community_id": ["330521001001", "330522101002"]})
    >>> county_of(c).tolist()
    ['330521', '330522']
    >>> county_of(gpd.GeoDataFrame({"community_id": ["C01"]})) is None
    True
    """
    if by not in COUNTY_KEYS:
        raise PartitionError(msg("partition_key_unknown", key=by, valid=", ".join(COUNTY_KEYS)))
    if by in ("auto", "field") and COUNTY_FIELD in communities:
        county = communities[COUNTY_FIELD].astype(object)
        blank = county.isna() | county.astype(str).str.strip().eq("")
        if blank.any():
            rows = format_rows(communities.loc[blank, "community_id"])
            raise PartitionError(msg("partition_county_missing", rows=rows))
        return county.astype(str).str.strip()
    if by == "field":
        raise PartitionError(msg("partition_no_county_field", field=COUNTY_FIELD))
    ids = communities["community_id"].astype(str)
    is_code = ids.str.fullmatch(rf"\d{{{CODE_DIGITS}}}")
    if by == "code" and not is_code.all():
        rows = format_rows(communities.loc[~is_code, "community_id"])
        raise PartitionError(msg("partition_not_codes", digits=CODE_DIGITS, rows=rows))
    if not is_code.all():
        return None
    return ids.str[:COUNTY_DIGITS]


# --------------------------------------------------------------------------- splitting


def _estate_counties(
    data: PlanningData, county: pd.Series, stray: str
) -> tuple[np.ndarray, list[str]]:
    """The county of every estate (``stray`` for an estate in no community), and the ids of
    the estates overlapping communities of two counties."""
    estates, communities = data.estates, data.communities
    assert estates is not None
    com_county = county.to_numpy(dtype=object)
    out = np.full(len(estates), stray, dtype=object)
    est_i, com_i = communities.sindex.query(estates.geometry.values, predicate="intersects")
    if len(est_i):
        pairs = pd.DataFrame({"estate": est_i, "county": com_county[com_i], "com": com_i})
        several = pairs.groupby("estate")["county"].nunique()
        multi = several.index[several > 1]
        if len(multi):  # touching a neighbour county's edge is no overlap: measure the area
            check = pairs[pairs["estate"].isin(multi)]
            area = shapely.area(
                shapely.intersection(
                    estates.geometry.values[check["estate"].to_numpy()],
                    communities.geometry.values[check["com"].to_numpy()],
                )
            )
            pairs = pd.concat([pairs[~pairs["estate"].isin(multi)], check[area > 0]])
        first = pairs.groupby("estate")["county"].agg(["first", "nunique"])
        out[first.index.to_numpy()] = first["first"].to_numpy()
        straddling = first.index[first["nunique"] > 1].to_numpy()
    else:
        straddling = np.array([], dtype=int)
    ids = estates["estate_id"].astype(str).to_numpy()
    by_id = dict(zip(communities["community_id"].astype(str), com_county, strict=True))
    position = {e: k for k, e in enumerate(ids)}
    for estate, community in data.estate_assignments.items():
        k = position.get(str(estate))
        if k is not None and str(community) in by_id:  # given wholly to that community
            out[k] = by_id[str(community)]
    bad = [ids[k] for k in straddling if str(ids[k]) not in data.estate_assignments]
    return out, bad


def _clip(layer: gpd.GeoDataFrame | None, bounds: Sequence[float]) -> gpd.GeoDataFrame | None:
    """The features of ``layer`` touching the box ``bounds`` (indexed 0…n-1)."""
    if layer is None:
        return None
    hit = np.sort(layer.sindex.query(shapely.box(*bounds), predicate="intersects"))
    return layer.iloc[hit].reset_index(drop=True)


def split_by_county(data: PlanningData, *, by: str = "auto") -> dict[str, Partition]:
    """Cut ``data`` into one :class:`Partition` per county, in county order.

    Without county information (``by="auto"``) the whole folder is one partition
    (:data:`ONE_PARTITION`). Raises :class:`PartitionError` for an estate overlapping
    communities of two counties (the rows named) or a key that cannot be read.
    """
    county = county_of(data.communities, by)
    communities = data.communities
    if county is None:
        county = pd.Series(ONE_PARTITION, index=communities.index, dtype=object)
    counties = sorted(set(county.tolist()))
    stray = counties[0]  # features in no community: reported once, by the first partition
    com_county = county.to_numpy(dtype=object)
    by_id = dict(zip(communities["community_id"].astype(str), com_county, strict=True))
    by_label = dict(zip(communities.index, com_county, strict=True))
    where: dict[str, np.ndarray] = {"communities": com_county}
    assignments_of: dict[str, dict[str, str]] = {c: {} for c in counties}
    if data.estates is not None:
        est_county, bad = _estate_counties(data, county, stray)
        if bad:
            raise PartitionError(msg("partition_estate_straddles", rows=format_rows(bad)))
        where["estates"] = est_county
        of_estate = dict(zip(data.estates["estate_id"].astype(str), est_county, strict=True))
        for estate, community in data.estate_assignments.items():
            # an assignment naming no estate or no community is warned of by the first
            assignments_of[of_estate.get(str(estate), stray)][estate] = community
    if data.premises is not None:
        given = premises.assign_premises(data.premises, communities)["community_id"]
        where["premises"] = (
            given.astype(object).map(lambda c: by_id.get(str(c), stray)).to_numpy(dtype=object)
        )
    if data.development_parcels is not None:
        label = premises.assign_parcels(data.development_parcels, communities)["community_index"]
        where["development_parcels"] = label.map(lambda i: by_label.get(i, stray)).to_numpy(
            dtype=object
        )
    parts: dict[str, Partition] = {}
    for c in counties:
        positions = {layer: np.flatnonzero(keys == c) for layer, keys in where.items()}
        layers = {
            layer: getattr(data, layer).iloc[pos].reset_index(drop=True)
            for layer, pos in positions.items()
        }
        bounds = _extent(layers)
        part = dataclasses.replace(
            data,
            **layers,
            planned_roads=_clip(data.planned_roads, bounds),
            barriers=_clip(data.barriers, bounds),
            candidate_sites=_clip(data.candidate_sites, bounds),
            paths=None,  # used only by the siting and the raster: global, after the merge
            warnings=[],  # the load's: once, by the merge
            estate_assignments=assignments_of[c],
        )
        parts[c] = Partition(c, part, positions)
    return parts


def _extent(layers: Mapping[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    boxes = np.array([g.total_bounds for g in layers.values() if len(g)])
    return (
        float(boxes[:, 0].min()),
        float(boxes[:, 1].min()),
        float(boxes[:, 2].max()),
        float(boxes[:, 3].max()),
    )


# --------------------------------------------------------------------------- one partition


def run_partition(data: PlanningData, *, plan_year: int | None, proposals: bool) -> Results:
    """What a worker computes for one county: :func:`gis_planner.pipeline.analyse`, and with
    ``proposals`` the boundary proposals as :func:`~gis_planner.pipeline.propose_layout`
    makes them (the siting and the raster are global: :func:`merge_results`)."""
    results = pipeline.analyse(data, year=plan_year)
    estates = results.estates
    if not proposals or estates is None or not estates["community_id"].notna().any():
        return results
    bp = boundaries.propose_boundaries(
        estates,
        data.communities,
        rules=data.rules,
        premises=results.counted_premises,
        barriers=data.barriers,
        planned_roads=data.planned_roads,
        units=results.household_units,
    )
    empty_siting = siting.SitingResult(
        gpd.GeoDataFrame(), gpd.GeoDataFrame(), pd.DataFrame(), {}, {}
    )
    layout_part = LayoutProposal(bp, empty_siting, np.empty((0, 0)), None, {})
    return dataclasses.replace(results, layout=layout_part)


# --------------------------------------------------------------------------- merging


def _restore(
    frames: Sequence[pd.DataFrame | None],
    positions: Sequence[np.ndarray],
    index: pd.Index,
) -> Any:
    """Frames of the partitions (indexed 0…n-1 like their layers) back in the whole
    layer's order and index."""
    kept = [(f, p) for f, p in zip(frames, positions, strict=True) if f is not None]
    if not kept:
        return None
    out = pd.concat(
        [f.set_axis(index[p[f.index.to_numpy()]]) for f, p in kept if len(f)] or [kept[0][0]]
    )
    order = np.argsort(index.get_indexer(out.index), kind="stable")
    return out.iloc[order]


def _rows_items(rows: str) -> tuple[list[str], int]:
    """The items a :func:`~gis_planner.errors.format_rows` text shows, and how many more."""
    m = _MORE.match(rows)
    assert m is not None
    text, more = m["text"], int(m["more"] or 0)
    return (text.split(", ") if text else []), more


def _merge_rows(texts: Sequence[str], order: Mapping[str, int]) -> str:
    """The rows of several partitions' warnings as the single run lists them: in layer
    order, the first ten, ``… (+k)``. Exact: each partition shows the first ten of its own
    rows, which hold the first ten of all (their order in the layer kept)."""
    items: list[str] = []
    total = 0
    for text in texts:
        shown, more = _rows_items(text)
        items += shown
        total += len(shown) + more

    def key(item: str) -> int:
        ident = item if item in order else item.rsplit(" (", 1)[0]
        return order.get(ident, len(order))

    items.sort(key=key)
    limit = 10
    text = ", ".join(items[:limit])
    if total > limit:
        text += f" … (+{total - limit})"
    return text


def _merge_warnings(
    lists: Sequence[Sequence[Problem]], data: PlanningData, canonical: Sequence[str]
) -> list[Problem]:
    """The partitions' warnings as one run gives them: one per source, code and fixed
    parameters, with ``n``/``households`` summed and ``rows`` merged in layer order; in the
    order the pipeline makes them (``canonical`` codes, then any other in first-seen order)."""
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    for problems in lists:
        for p in problems:
            m = p.message
            if not isinstance(m, Message):
                groups.setdefault(("text", p.source, id(p)), []).append(p)
                continue
            fixed = tuple((k, v) for k, v in m.params if k not in (*_SUMMED, "rows", "valid"))
            groups.setdefault((p.source, m.code, repr(fixed)), []).append(p)
    rank = {c: k for k, c in enumerate(canonical)}
    seen = list(groups)
    keys = sorted(seen, key=lambda g: (rank.get(str(g[1]), len(rank)), seen.index(g)))
    out = []
    for key in keys:
        group = groups[key]
        first = group[0]
        if len(group) == 1 and not (
            isinstance(first.message, Message) and "valid" in first.message.values
        ):
            out.append(first)
            continue
        assert isinstance(first.message, Message)
        params = dict(first.message.params)
        values = [dict(p.message.params) for p in group if isinstance(p.message, Message)]
        for k in _SUMMED:
            if k in params:
                params[k] = sum(int(v[k]) for v in values)
        if "rows" in params:
            layer = data.layer(first.source) if first.source in _ID_FIELD else None
            ids = layer[_ID_FIELD[first.source]].astype(str).tolist() if layer is not None else []
            order = {i: k for k, i in enumerate(ids)}
            params["rows"] = _merge_rows([str(v["rows"]) for v in values], order)
        if "valid" in params:  # assignment_unknown: every community of the run
            params["valid"] = format_rows(data.communities["community_id"].astype(str), limit=25)
        out.append(Problem(first.source, msg(str(first.message.code), **params)))
    return out


#: the order :func:`gis_planner.pipeline.analyse` makes its warnings in (a warning of one
#: step comes out of several partitions; merged, it keeps the single run's place)
ANALYSIS_WARNINGS = (
    "raster_estimated",
    "raster_no_estimate",
    "table_missing_count",
    "assignment_unknown",
    "parcels_no_year",
    "parcels_before_data_year",
    "premises_located",
    "premises_unassigned",
    "households_mismatch",
    "estates_unassigned",
    "estates_outside_part",
    "parcels_outside",
    "parcels_no_households",
)
#: likewise for :func:`gis_planner.layout.boundaries.propose_boundaries`
BOUNDARY_WARNINGS = ("boundary_estates_outside", "boundary_unresolved")


def _merge_units(parts: Sequence[Partition], results: Sequence[Results], data: PlanningData) -> Any:
    """``household_units`` in the single run's order: estates' pieces (estate, then
    community order), then the parcels; labels of the whole layers; indexed 0…n-1."""
    frames = []
    parcel_pos = (
        {p: k for k, p in enumerate(data.development_parcels["parcel_id"].astype(str))}
        if data.development_parcels is not None
        else {}
    )
    for part, res in zip(parts, results, strict=True):
        u = res.household_units
        if u is None or not len(u):
            continue
        u = u.copy()
        est = part.positions.get("estates", np.array([], dtype=int))
        com = part.positions["communities"]
        is_estate = u["source"].eq("estate").to_numpy()
        e_lab = pd.to_numeric(u["estate"], errors="coerce")
        u["estate"] = u["estate"].astype(object)
        u.loc[is_estate, "estate"] = data.estates.index[  # type: ignore[union-attr]
            est[e_lab[is_estate].astype(int).to_numpy()]
        ]
        u["community"] = pd.Series(
            data.communities.index[com[u["community"].astype(int).to_numpy()]], index=u.index
        ).astype(u["community"].dtype)
        u["_k0"] = np.where(is_estate, 0, 1)
        u["_k1"] = np.where(
            is_estate,
            data.estates.index.get_indexer(u["estate"].where(is_estate)),  # type: ignore[union-attr]
            u["unit_id"].astype(str).map(parcel_pos).fillna(-1).to_numpy(),
        )
        u["_k2"] = data.communities.index.get_indexer(u["community"])
        frames.append(u)
    if not frames:
        return results[0].household_units
    out = pd.concat(frames).sort_values(["_k0", "_k1", "_k2"], kind="stable")
    return out.drop(columns=["_k0", "_k1", "_k2"]).reset_index(drop=True)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The frames one after the other, their dtypes kept (an empty frame of a county
    without rows would make every column object)."""
    full = [f for f in frames if len(f)]
    if not full:
        return frames[0].reset_index(drop=True)
    return pd.concat(full, ignore_index=True)


def _by_position(frame: pd.DataFrame, column: str, ids: Sequence[str]) -> pd.DataFrame:
    """``frame`` sorted (stably) by where its ``column`` stands in ``ids``, indexed 0…n-1."""
    order = {i: k for k, i in enumerate(ids)}
    key = frame[column].astype(str).map(order).fillna(len(order)).to_numpy()
    return frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def _merge_boundaries(
    parts: Sequence[Partition], results: Sequence[Results], data: PlanningData
) -> BoundaryProposal:
    """The partitions' boundary proposals as one: in the single run's order."""
    props = [(p, r.layout.boundaries) for p, r in zip(parts, results, strict=True) if r.layout]
    com_ids = data.communities["community_id"].astype(str).tolist()
    com_pos = {c: k for k, c in enumerate(com_ids)}
    proposed = _concat([b.communities for _, b in props])
    # kept communities in the communities' order, then the new parts (``<id>-2`` …) in the
    # order of the community they come from
    ids = proposed["community_id"].astype(str)
    is_new = ~ids.isin(com_pos)
    origin = ids.where(~is_new, ids.str.rsplit("-", n=1).str[0]).map(com_pos).fillna(len(com_pos))
    order = np.lexsort((np.arange(len(ids)), origin.to_numpy(), is_new.to_numpy()))
    proposed = gpd.GeoDataFrame(
        proposed.iloc[order].reset_index(drop=True), crs=data.communities.crs
    )
    moves = _concat([b.moves for _, b in props])
    if len(moves):
        est_ids = data.estates["estate_id"].astype(str).tolist() if data.estates is not None else []
        moves = _by_position(moves, "estate_id", est_ids)
    decisions = _by_position(_concat([b.decisions for _, b in props]), "community_id", com_ids)
    assert data.estates is not None
    estates = _restore(
        [b.estates for _, b in props],
        [p.positions["estates"] for p, _ in props],
        data.estates.index,
    )
    merged = _merge_warnings([b.warnings for _, b in props], data, BOUNDARY_WARNINGS)
    return BoundaryProposal(proposed, moves, decisions, estates, tuple(merged))


def merge_results(
    parts: Sequence[Partition],
    results: Sequence[Results],
    data: PlanningData,
    *,
    plan_year: int | None = None,
    proposals: bool = True,
    sites: int | None = None,
) -> Results:
    """One :class:`Results` from the partitions' (:func:`run_partition`), equal to
    ``pipeline.run(data, …)`` in what decomposes by county; the global parts recomputed
    (see the module docstring)."""
    rules = data.rules

    def restore(layer: str, attr: str) -> Any:
        whole = getattr(data, layer)
        if whole is None:
            return None
        frames = [getattr(r, attr) for r in results]
        return _restore(frames, [p.positions[layer] for p in parts], whole.index)

    communities = restore("communities", "communities")
    estates = restore("estates", "estates")
    prem = restore("premises", "premises")
    counted = restore("premises", "counted_premises")
    if communities is not None:
        communities = gpd.GeoDataFrame(communities, crs=data.communities.crs)
    units = _merge_units(parts, results, data)
    parcel_ids = (
        data.development_parcels["parcel_id"].astype(str).tolist()
        if data.development_parcels is not None
        else []
    )
    conditions = _concat([r.planning_conditions for r in results])
    if len(conditions) and "parcel_id" in conditions:
        conditions = _by_position(conditions, "parcel_id", parcel_ids)
    enclosure_list = enclosure_counts = None
    unassigned = 0
    if estates is not None:
        # R7 reach: the nearest counted premises may lie in another county
        reach = layout.nearest_premises(estates, counted, rules=rules)
        for column in reach.columns:
            estates[column] = reach[column]
        covered_units = units[
            units["source"].eq("estate")
            & units["estate"].map(estates["covered"]).fillna(False).astype(bool)
        ]
        per_community = covered_units.groupby("community")["households"].sum()
        communities["households_covered"] = (
            per_community.reindex(communities.index).fillna(0).astype("int64")
        )
        estates["enclosure_rank"] = _enclosure_rank(estates)
        enclosure_list = enclosure.enclosure_list(estates)
        enclosure_counts = enclosure.enclosure_counts(estates)
        unassigned = sum(int(r.summary.get("households_unassigned", 0)) for r in results)
    warnings = [
        *data.warnings,
        *_merge_warnings(
            [r.warnings for r in results],  # the boundaries' are in their proposal
            data,
            ANALYSIS_WARNINGS,
        ),
    ]
    summary = pipeline.summarise(
        communities,
        estates,
        prem,
        conditions,
        unassigned_households=unassigned,
        warnings=len(warnings),
    )
    first = results[0]
    if plan_year is not None:
        info = {
            k: sum(int(r.summary.get(k, 0)) for r in results)
            for k in ("parcels_counted", "households_parcels")
        }
        summary.update({"plan_year": plan_year, "data_year": first.data_year, **info})
    merged = Results(
        data=data,
        communities=communities,
        estates=estates,
        premises=prem,
        warnings=tuple(warnings),
        year=plan_year,
        data_year=first.data_year,
        summary=summary,
        planning_conditions=conditions,
        counted_premises=counted,
        reach=layout.reach_area(counted, rules=rules),
        enclosure_list=enclosure_list,
        enclosure_counts=enclosure_counts,
        household_units=units,
    )
    if proposals:
        # the counties' boundary proposals merged; the siting and the raster on the whole area
        est = merged.estates
        inside = est is not None and bool(est["community_id"].notna().any())
        bp = _merge_boundaries(parts, results, merged.data) if inside else None
        merged = pipeline.propose_layout(merged, p=sites, boundary_proposal=bp)
    return merged


def _enclosure_rank(estates: pd.DataFrame) -> Any:
    """R6 ``enclosure_rank`` over the whole area (:func:`gis_planner.enclosure.candidate_rank`):
    a worker ranks only its county's estates."""
    is_candidate = estates["enclosure_status"].isin(enclosure.CANDIDATE_STATUSES).to_numpy()

    def numbers(column: str) -> np.ndarray:
        values = pd.to_numeric(estates[column], errors="coerce")
        return values.to_numpy(dtype=float, na_value=np.nan)

    rank = enclosure.candidate_rank(
        is_candidate,
        numbers("built_year"),
        numbers("households"),
        estates["estate_id"].astype(str).to_numpy(),
    )
    return pd.Series(rank, index=estates.index)


# --------------------------------------------------------------------------- running


def require_dask() -> None:
    """Raise :class:`DaskMissingError` unless dask.distributed can be imported."""
    try:
        import distributed  # noqa: F401
    except ImportError as err:
        raise DaskMissingError(msg("partition_no_dask")) from err


def _client(workers: int, scheduler: str | None) -> Any:
    """A dask.distributed client: of the cluster at ``scheduler``, else of a local cluster
    of ``workers`` processes with one thread each."""
    require_dask()
    import distributed

    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # not --verbose
        logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler:
        return distributed.Client(scheduler)
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: never a clash with another cluster
        silence_logs=logging.ERROR,
    )
    return distributed.Client(cluster)


def run_partitioned(
    data: PlanningData,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    by: str = "auto",
    plan_year: int | None = None,
    proposals: bool = True,
    sites: int | None = None,
    client: Any = None,
    on_partitions: Callable[[dict[str, Partition]], None] | None = None,
) -> Results:
    """Every step of a run, county by county: :func:`split_by_county`, :func:`run_partition`
    on each (in this process when ``workers`` is None and no ``scheduler`` or ``client`` is
    given; else on dask.distributed: ``client``, the cluster at ``scheduler``, or a
    ``LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)``), then
    :func:`merge_results`.

    Raises :class:`DaskMissingError` when a cluster is asked for without
    ``dask[distributed]`` installed (the ``parallel`` extra).
    """
    if plan_year is not None:
        pipeline.check_plan_year(plan_year, rules=data.rules)
    parts = split_by_county(data, by=by)
    if on_partitions is not None:
        on_partitions(parts)
    log.info("Partitioned run: %d partitions", len(parts))
    ordered = list(parts.values())
    if client is None and workers is None and scheduler is None:
        results = [run_partition(p.data, plan_year=plan_year, proposals=proposals) for p in ordered]
    else:
        own = client is None
        client = client if client is not None else _client(workers or 1, scheduler)
        try:
            futures = client.map(
                run_partition,
                # scattered first: the layers are data, not a task graph to ship
                client.scatter([p.data for p in ordered]),
                pure=False,
                plan_year=plan_year,
                proposals=proposals,
            )
            results = client.gather(futures)
        finally:
            if own:
                cluster = getattr(client, "cluster", None)
                client.close()
                if cluster is not None:
                    cluster.close()
    return merge_results(
        ordered, results, data, plan_year=plan_year, proposals=proposals, sites=sites
    )


__all__ = [
    "COUNTY_KEYS",
    "DaskMissingError",
    "Partition",
    "PartitionError",
    "county_of",
    "merge_results",
    "run_partition",
    "require_dask",
    "run_partitioned",
    "split_by_county",
]
