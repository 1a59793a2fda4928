"""Open-to-enclosed estates (开放式小区"开转封") — R6, section 一(三); with the R8 flag, 四(五).

The document asks towns and streets to list open estates that could be enclosed in the second
round of old-estate renovation, after weighing urban road planning, the commercial environment
and residents' wishes; severely damaged facades have their walls renovated in the same round,
and the scope may extend to some estates built after 2000 whose basic conditions are poor.

:func:`screen_enclosure` gives every estate one status and the list of *all* findings behind it
(failing and passing, and every attribute that was missing), so a planner can argue with every
line. Every threshold is read from the rules file (``rules.enclosure``):

=========================  ======================================================================
status                     when (first matching line wins — the precedence of R6)
=========================  ======================================================================
``not_applicable``         enclosure known and not in ``eligible_enclosure`` (already enclosed)
``not_suitable``           a hard failure: a planned road crosses the interior for more than
                           ``road_crossing_min_length_m``; a *known* participation below
                           ``survey_participation_min`` or support below ``survey_support_min``;
                           built in ``built_year_before`` or later and condition not
                           ``exception_condition`` (an unknown condition is not poor)
``needs_survey``           support or participation unknown
``needs_review``           ``commercial_frontage`` above ``commercial_frontage_max``; build year
                           unknown; enclosure unknown
``candidate_exception``    built in ``built_year_before`` or later with condition
                           ``exception_condition`` (poor)
``candidate``              otherwise
=========================  ======================================================================

The road crossing is measured on the estate polygon shrunk inward by ``road_edge_tolerance_m``
(``estate.buffer(-tolerance)``), so a road running along the edge gives ~0 m. All lengths are
metres in the working CRS (EPSG:4549).

:func:`enclosure_list` is the list for the street offices, in print order, and
:func:`enclosure_counts` the counts per street and per community; renderers word both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from gis_planner.crs import GK3_RANGE
from gis_planner.errors import PlannerError
from gis_planner.i18n import MESSAGES, Listing, Message, Term, msg
from gis_planner.io.schema import BOOL
from gis_planner.overlay import robust_overlay
from gis_planner.rules import RuleSet

log = logging.getLogger(__name__)

#: Every status an estate can get, most favourable first.
STATUSES = (
    "candidate",
    "candidate_exception",
    "needs_survey",
    "needs_review",
    "not_suitable",
    "not_applicable",
)
#: The statuses that make an estate a candidate (ranked by ``enclosure_rank``).
CANDIDATE_STATUSES = ("candidate", "candidate_exception")
#: Order of the statuses in :func:`enclosure_table` (``not_applicable`` is left out).
TABLE_STATUS_ORDER = (
    "candidate",
    "candidate_exception",
    "needs_survey",
    "needs_review",
    "not_suitable",
)
#: The facade value that means 外立面破损严重 (walls renovated in the same round).
DAMAGED_FACADE = "damaged"
#: Output columns of :func:`screen_enclosure`.
SCREEN_COLUMNS = (
    "enclosure_status",
    "enclosure_reasons",
    "walls_included",
    "no_property_management",
    "road_crossing_m",
    "enclosure_rank",
)

# Numerical tolerances of the comparisons (not policy numbers): a share stored rounded, e.g.
# 0.75 as 0.7499999999, still meets a threshold; a road computed 20.000000000004 m long is 20 m.
SHARE_TOLERANCE = 1e-9
LENGTH_TOLERANCE_M = 1e-6

# Order of the reasons in the list: the decisive findings first.
_HARD, _SURVEY, _REVIEW, _NOTE, _PASS, _FLAG = range(6)


# --------------------------------------------------------------------------- inputs


def _numbers(df: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as floats, NaN where missing (or the column is absent)."""
    if name not in df.columns:
        return np.full(len(df), np.nan)
    column = df[name]
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(
        column.dtype
    ):  # Int64/Float64 as loaded: the same floats without the conversions below
        return column.to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(column, errors="coerce").astype("Float64")
    return values.to_numpy(dtype=float, na_value=np.nan)


def _texts(df: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as stripped strings, None where missing or blank (or absent)."""
    codes, shown = _text_table(df, name)
    return shown[codes]


def _text_codes_of(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Column ``name`` as the integer codes of :func:`_texts` (-1 for None, one code per
    distinct text) and the text of each code: ``_texts(df, name)`` is ``texts[codes]``
    where ``codes >= 0``, None elsewhere. Made from the distinct values of the column,
    not by hashing its texts again."""
    codes, shown = _text_table(df, name)
    canon, texts = pd.factorize(shown, use_na_sentinel=True)  # a few: one per distinct value
    return canon.astype(np.int64)[codes], np.asarray(texts, dtype=object)


def _texts_and_codes(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_texts` and :func:`_text_codes_of` of one column, from one reading of it."""
    codes, texts = _text_codes_of(df, name)
    return np.concatenate([texts, np.array([None], dtype=object)])[codes], codes


def _text_table(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Column ``name`` as codes into a table of texts: ``table[codes]`` is :func:`_texts`
    (the table's last entry None, for code -1; two codes may give one text)."""
    if name not in df.columns:
        return np.full(len(df), -1, dtype=np.intp), np.array([None], dtype=object)
    column = df[name]
    arrow = isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow"
    if column.dtype == object:
        # factorized first, so that only the distinct values are asked whether they are all
        # texts (missing values are no value of pandas' factorize, as of infer_dtype's skipna)
        codes, uniques = pd.factorize(column.to_numpy(dtype=object))
        texts = pd.api.types.infer_dtype(uniques, skipna=True) == "string"
    elif arrow:
        codes, uniques = pd.factorize(column)
    if arrow or (column.dtype == object and texts):
        # text and missing values only: each distinct text stripped once, in Arrow (a column
        # holds a few words, or a community's name, in 100,000 rows), and taken back by code
        distinct = pa.array(np.asarray(uniques, dtype=object), type=pa.string(), from_pandas=True)
        text = pc.utf8_trim_whitespace(distinct)  # pandas' str.strip is this kernel
        text = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
        shown = np.empty(len(text) + 1, dtype=object)  # the last one: missing (code -1)
        shown[:-1] = text.to_numpy(zero_copy_only=False)
        return np.asarray(codes, dtype=np.intp), shown
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        text = column.str.strip()
    else:
        text = column.astype("string").str.strip()
    keep = (text.notna() & (text != "")).fillna(False).astype(bool)
    values = text.astype(object).where(keep, None).to_numpy(dtype=object)
    codes = np.arange(len(values), dtype=np.intp)
    codes[pd.isna(values)] = len(values)  # the table's last entry: None
    return codes, np.concatenate([values, np.array([None], dtype=object)])


def _equal(values: np.ndarray, value: str | None) -> np.ndarray:
    """``[v == value for v in values]`` (``v is None`` for None) over the texts of
    :func:`_texts` (str or None), as a boolean array compared in C."""
    if value is not None and not isinstance(value, str):
        return np.array([v == value for v in values], dtype=bool)
    return np.asarray(
        np.equal(np.asarray(values, dtype=object), np.array(value, dtype=object)), dtype=bool
    )


def _none_where(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A copy of ``values`` (objects) with None where ``mask``."""
    out = np.array(values, dtype=object)
    out[mask] = None
    return out


def _booleans(df: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(is_true, is_false)`` of a yes/no column; both False where unknown or absent."""
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool), np.zeros(len(df), dtype=bool)
    column = df[name]
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        values = pd.to_numeric(column, errors="coerce").astype("Float64")
        known = values.notna().to_numpy(dtype=bool)
        truth = values.fillna(0).to_numpy(dtype=float) != 0
    else:
        mapped = column.astype("string").str.strip().str.lower().map(BOOL)
        known = mapped.notna().to_numpy(dtype=bool)
        truth = mapped.fillna(False).astype(bool).to_numpy()
    return known & truth, known & ~truth


def _check_crs(estates: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> None:
    """Raise unless estates and roads share one projected CRS (lengths in metres)."""
    for layer_name, layer in (("estates", estates), ("planned_roads", roads)):
        if layer.crs is None:
            raise PlannerError(msg("enc_crs_missing", layer=layer_name, working=GK3_RANGE))
    if estates.crs != roads.crs:
        raise PlannerError(
            msg(
                "enc_crs_mismatch",
                roads=roads.crs.to_string(),
                estates=estates.crs.to_string(),
                working=GK3_RANGE,
            )
        )
    if not estates.crs.is_projected:
        raise PlannerError(
            msg("enc_crs_geographic", crs=estates.crs.to_string(), working=GK3_RANGE)
        )


# --------------------------------------------------------------------------- road crossings


def road_keys(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Which planned-road features are one road: the same ``road_id``; without one, the same
    ``name``; without either, the features that touch one another (a road digitised as
    segments). Returns one key per feature (by position).

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame(
    ...     {"road_id": ["R1", None, None, None, None], "name": [None, "一路", "一路", None, None]},
    ...     geometry=[LineString([(0, 0), (1, 0)]), LineString([(0, 5), (1, 5)]),
    ...               LineString([(9, 5), (10, 5)]), LineString([(0, 9), (1, 9)]),
    ...               LineString([(1, 9), (2, 9)])])
    >>> road_keys(roads).tolist()
    ['id:R1', 'name:一路', 'name:一路', 'piece:3', 'piece:3']
    """
    ids, names = _texts(roads, "road_id"), _texts(roads, "name")
    keys = np.array(
        [
            f"id:{i}" if i is not None else (f"name:{m}" if m is not None else "")
            for i, m in zip(ids, names, strict=True)
        ],
        dtype=object,
    )
    loose = np.flatnonzero(keys == "")
    if len(loose):
        # unnamed pieces: connected components of the pieces that touch (scipy's csgraph)
        geoms = roads.geometry.to_numpy()[loose]
        a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        graph = sparse.coo_array((np.ones(len(a)), (a, b)), shape=(len(loose), len(loose)))
        _, label = csgraph.connected_components(graph, directed=False)
        first = {lab: int(loose[np.flatnonzero(label == lab)[0]]) for lab in np.unique(label)}
        keys[loose] = [f"piece:{first[lab]}" for lab in label]
    return keys


def _road_crossings(
    geoms: np.ndarray, roads: gpd.GeoDataFrame, *, tolerance_m: float
) -> tuple[np.ndarray, dict[int, list[tuple[str | Message, float]]]]:
    """Length of each planned road inside each estate shrunk inward by ``tolerance_m``.

    Vectorised: an STRtree of the roads is queried with the estates (``intersects``), only
    the estates that touch a road are shrunk, and intersections are computed only for those
    candidate pairs. The features of one road (:func:`road_keys`: same ``road_id``, else the
    same name, else touching unnamed pieces) count together: the length of the union of their
    parts inside the estate, so that a road digitised as short segments, or drawn twice, is
    measured once and whole.

    Returns
    -------
    longest : ndarray of float
        Per estate (by position), the longest length of one road inside it (0 when none).
    crossings : dict
        Estate position -> ``[(road display name, length_m), ...]``, longest first, for the
        roads with a positive length inside the shrunk estate.
    """
    n = len(geoms)
    longest = np.zeros(n)
    crossings: dict[int, list[tuple[str | Message, float]]] = {}
    road_geoms = roads.geometry.to_numpy()
    usable = ~(shapely.is_missing(road_geoms) | shapely.is_empty(road_geoms))
    if n == 0 or not usable.any():
        return longest, crossings
    road_pos_all = np.flatnonzero(usable)
    tree = shapely.STRtree(road_geoms[road_pos_all])
    est_pos, hit = tree.query(geoms, predicate="intersects")
    if len(est_pos) == 0:
        return longest, crossings
    road_pos = road_pos_all[hit]

    hit_estates, inverse = np.unique(est_pos, return_inverse=True)
    shrunk = shapely.buffer(geoms[hit_estates], -tolerance_m)
    inside = robust_overlay(shapely.intersection, shrunk[inverse], road_geoms[road_pos])
    keep = shapely.length(inside) > LENGTH_TOLERANCE_M
    if not keep.any():
        return longest, crossings
    est_pos, road_pos, inside = est_pos[keep], road_pos[keep], inside[keep]

    keys = road_keys(roads)
    road_ids, road_names = _texts(roads, "road_id"), _texts(roads, "name")
    unnamed = msg("enc_road_unnamed")
    pairs = pd.DataFrame(
        {
            "estate": est_pos,
            "road": keys[road_pos],
            "shown": [road_names[p] or road_ids[p] or unnamed for p in road_pos],
            "geometry": inside,
        }
    )
    per_road = pairs.groupby(["estate", "road"], sort=False).agg(
        shown=("shown", "first"), geometry=("geometry", list)
    )
    per_road["length_m"] = [
        float(shapely.length(parts[0] if len(parts) == 1 else shapely.union_all(parts)))
        for parts in per_road["geometry"]
    ]
    per_road = per_road.reset_index().sort_values(
        ["estate", "length_m"], ascending=[True, False], kind="mergesort"
    )
    top = per_road.groupby("estate", sort=False)["length_m"].max()
    longest[top.index.to_numpy()] = top.to_numpy()
    for estate, shown_name, length in zip(
        per_road["estate"].to_numpy(),
        per_road["shown"].to_numpy(),
        per_road["length_m"].to_numpy(),
        strict=True,
    ):
        crossings.setdefault(int(estate), []).append((shown_name, float(length)))
    return longest, crossings


# --------------------------------------------------------------------------- formatting


def _pct(value: float, reference: float, *, distinguish: bool = False) -> tuple[str, str]:
    """A share and its threshold as whole percentages.

    With ``distinguish`` (the value fails the threshold) decimals are added until the two
    differ, so that 0.666 is not printed as "67% below 67%".
    """
    a, b = f"{value:.0%}", f"{reference:.0%}"
    for decimals in range(1, 4):
        if not distinguish or a != b:
            break
        a, b = f"{value:.{decimals}%}", f"{reference:.{decimals}%}"
    return a, b


def _metres(value: float, reference: float, *, distinguish: bool = False) -> tuple[str, str]:
    """A length and its threshold in whole metres (decimals added as in :func:`_pct`)."""
    a = f"{value:.0f}"
    for decimals in range(1, 3):
        if not distinguish or a != f"{reference:.0f}":
            break
        a = f"{value:.{decimals}f}"
    return a, f"{reference:g}"


def _condition_text(condition: str) -> Message | str:
    key = f"enc_condition_{condition}"
    return msg(key) if key in MESSAGES else condition


# --------------------------------------------------------------------------- reasons

#: One finding: its order in the list (``_HARD`` … ``_FLAG``) and its message.
_Finding = tuple[int, Message]


@dataclass(frozen=True)
class _Criteria:
    """What :func:`screen_enclosure` found per estate (arrays by position): the inputs of
    the reasons."""

    enclosure: np.ndarray  # text or None
    enclosure_codes: np.ndarray  # one per distinct text, -1 for None (_text_codes_of)
    not_applicable: np.ndarray
    crossings: dict[int, list[tuple[str | Message, float]]]
    roads_given: bool
    support: np.ndarray  # float, NaN unknown
    supp_known: np.ndarray
    supp_fail: np.ndarray
    participation: np.ndarray
    part_known: np.ndarray
    part_fail: np.ndarray
    built_year: np.ndarray
    year_known: np.ndarray
    post: np.ndarray
    poor: np.ndarray
    condition: np.ndarray  # text or None
    condition_codes: np.ndarray
    frontage: np.ndarray
    frontage_high: np.ndarray
    walls: np.ndarray
    facade: np.ndarray  # text or None
    pm_false: np.ndarray
    pm_known: np.ndarray
    unassigned: np.ndarray


def _bits(values: np.ndarray) -> np.ndarray:
    """Floats as their bit patterns, so that two values are one key only when they are the
    same float (-0.0 and 0.0 print differently); NaN gives one key."""
    clean = np.where(np.isnan(values), np.nan, values).astype(np.float64)
    return clean.view(np.int64)


def _factorize(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Integer codes 0..k-1 of ``values`` in order of first appearance, and k (pandas'
    hash table: no sort, where ``np.unique`` sorts)."""
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int64, copy=False), len(uniques)


def _combine(keys: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct row of the integer columns ``keys`` (by position), and the
    first position of each code; codes are numbered in order of first appearance.
    Mixed-radix codes of the columns, each first compressed to 0..k-1
    (``np.unique(axis=0)`` sorts rows as void records, some times slower)."""
    code = np.zeros(len(keys[0]), dtype=np.int64)
    size = 1
    for column in keys:
        column = np.asarray(column, dtype=np.int64).reshape(-1)
        low, high = (int(column.min()), int(column.max())) if len(column) else (0, 0)
        if high - low < 2**16:  # flags and small codes as they are
            column_code, k = column - low, high - low + 1
        else:  # e.g. the bits of floats: compressed to 0..k-1
            column_code, k = _factorize(column)
        if size * k >= 2**62:  # recompress before the codes could overflow int64
            code, size = _factorize(code)
        code = code * k + column_code
        size *= k
    inverse, _ = _factorize(code)
    if len(inverse) == 0:
        return inverse, np.zeros(0, dtype=np.int64)
    # a code appears first where it exceeds every code before it (codes count up from 0)
    seen = np.maximum.accumulate(inverse)
    new = np.ones(len(inverse), dtype=bool)
    new[1:] = inverse[1:] > seen[:-1]
    return inverse, np.flatnonzero(new)


def _slot(
    keys: Sequence[np.ndarray], make: Callable[[int], tuple[_Finding, ...]]
) -> tuple[np.ndarray, list[tuple[_Finding, ...]]]:
    """The findings of one criterion for every estate, each distinct one made once.

    ``keys`` (integer arrays by position) hold everything ``make(i)`` reads for estate
    ``i``; ``make`` is called once per distinct key, on its first estate. Returns each
    estate's code and the findings of each code.
    """
    code, first = _combine(keys)
    return code, [make(int(i)) for i in first]


def _reasons(c: _Criteria, *, rules: RuleSet) -> np.ndarray:
    """Every finding of every estate, the decisive ones first (R6 order).

    The findings of an estate are one entry per criterion (enclosure, planned roads,
    support, participation, build year, commercial frontage, walls, property management,
    community), each made by its own small function. Estates share most findings, so each
    distinct finding is made once (:func:`_slot`), and each distinct combination sorted once;
    estates with the same findings share one list. Findings are messages: worded only when
    written.
    """
    r = rules.enclosure
    n = len(c.enclosure)
    if n == 0:
        return np.empty(0, dtype=object)
    eligible_text = Listing.of([Term(e) for e in r.eligible_enclosure])
    road_limit_m = float(r.road_crossing_min_length_m)
    part_min, supp_min = float(r.survey_participation_min), float(r.survey_support_min)
    year_before = int(r.built_year_before)
    frontage_max = float(r.commercial_frontage_max)
    const = {
        key: msg(key)
        for key in (
            "enc_enclosed",
            "enc_enclosure_unknown",
            "enc_no_roads_layer",
            "enc_no_road",
            "enc_no_survey",
            "enc_support_unknown",
            "enc_participation_unknown",
            "enc_year_unknown",
            "enc_frontage_unknown",
            "enc_walls",
            "enc_facade_unknown",
            "enc_no_pm",
            "enc_pm_unknown",
            "enc_no_community",
        )
    }
    na = c.not_applicable
    na_key = na.astype(np.int64)

    def enclosure(i: int) -> tuple[_Finding, ...]:
        enc = c.enclosure[i]
        if na[i]:  # already enclosed, or not an eligible kind: the decisive finding
            if enc == "enclosed":
                return ((_HARD, const["enc_enclosed"]),)
            return ((_HARD, msg("enc_not_eligible", value=Term(enc), eligible=eligible_text)),)
        if enc is None:
            return ((_REVIEW, const["enc_enclosure_unknown"]),)
        return ((_PASS, msg("enc_eligible", value=Term(enc))),)

    def roads(i: int) -> tuple[_Finding, ...]:
        if na[i]:
            return ()
        if not c.roads_given:
            return ((_NOTE, const["enc_no_roads_layer"]),)
        if i not in c.crossings:
            return ((_PASS, const["enc_no_road"]),)
        found: list[_Finding] = []
        for road, length in c.crossings[i]:
            crosses = length > road_limit_m + LENGTH_TOLERANCE_M
            shown, limit = _metres(length, road_limit_m, distinguish=crosses)
            key = "enc_road_crossing" if crosses else "enc_road_short"
            found.append(
                (_HARD if crosses else _PASS, msg(key, road=road, length=shown, limit=limit))
            )
        return tuple(found)

    def survey(
        key: str, value: float, minimum: float, fails: bool
    ) -> tuple[_Finding, ...]:  # a survey figure against its threshold: hard failure or pass
        shown, shown_minimum = _pct(value, minimum, distinguish=fails)
        code = f"{key}_{'low' if fails else 'ok'}"
        return ((_HARD if fails else _PASS, msg(code, value=shown, minimum=shown_minimum)),)

    def support(i: int) -> tuple[_Finding, ...]:
        if na[i]:
            return ()
        if not c.supp_known[i]:
            unknown = "enc_no_survey" if not c.part_known[i] else "enc_support_unknown"
            return ((_SURVEY, const[unknown]),)
        return survey("enc_support", c.support[i], supp_min, bool(c.supp_fail[i]))

    def participation(i: int) -> tuple[_Finding, ...]:
        if na[i]:
            return ()
        if not c.part_known[i]:
            return ((_SURVEY, const["enc_participation_unknown"]),)
        return survey("enc_participation", c.participation[i], part_min, bool(c.part_fail[i]))

    def built(i: int) -> tuple[_Finding, ...]:  # build year and the post-2000 exception
        if na[i]:
            return ()
        if not c.year_known[i]:
            return ((_REVIEW, const["enc_year_unknown"]),)
        year = int(c.built_year[i])
        if not c.post[i]:
            return ((_PASS, msg("enc_built_before", before=year_before, year=year)),)
        if c.poor[i]:
            return ((_NOTE, msg("enc_built_after_poor", before=year_before, year=year)),)
        if c.condition[i] is None:
            key = "enc_built_after_condition_unknown"
            return ((_HARD, msg(key, before=year_before, year=year)),)
        shown = _condition_text(c.condition[i])
        key = "enc_built_after_not_poor"
        return ((_HARD, msg(key, before=year_before, year=year, condition=shown)),)

    def frontage(i: int) -> tuple[_Finding, ...]:  # commercial environment
        if na[i]:
            return ()
        if np.isnan(c.frontage[i]):
            return ((_NOTE, const["enc_frontage_unknown"]),)
        high = bool(c.frontage_high[i])
        shown, maximum = _pct(c.frontage[i], frontage_max, distinguish=high)
        key = "enc_frontage_high" if high else "enc_frontage_ok"
        return ((_REVIEW if high else _PASS, msg(key, value=shown, maximum=maximum)),)

    def walls(i: int) -> tuple[_Finding, ...]:  # 一(三): walls renovated in the same round
        if na[i]:
            return ()
        if c.walls[i]:
            return ((_FLAG, const["enc_walls"]),)
        return ((_FLAG, const["enc_facade_unknown"]),) if c.facade[i] is None else ()

    def management(i: int) -> tuple[_Finding, ...]:  # R8
        if c.pm_false[i]:
            return ((_FLAG, const["enc_no_pm"]),)
        if not na[i] and not c.pm_known[i]:
            return ((_FLAG, const["enc_pm_unknown"]),)
        return ()

    def community(i: int) -> tuple[_Finding, ...]:
        return ((_FLAG, const["enc_no_community"]),) if c.unassigned[i] else ()

    crossing = np.zeros(n, dtype=np.int64)  # each crossed estate has findings of its own
    crossed = np.fromiter(c.crossings, dtype=np.int64, count=len(c.crossings))
    crossing[crossed] = np.arange(1, len(crossed) + 1)
    is_none = _equal(c.facade, None).astype(np.int64)
    slots = [
        _slot([na_key, c.enclosure_codes], enclosure),
        _slot([na_key, crossing], roads),
        _slot([na_key, c.supp_known, c.part_known, _bits(c.support)], support),
        _slot([na_key, c.part_known, _bits(c.participation)], participation),
        _slot(
            [na_key, c.year_known, c.post, c.poor, _bits(c.built_year), c.condition_codes],
            built,
        ),
        _slot([na_key, _bits(c.frontage)], frontage),
        _slot([na_key, c.walls, is_none], walls),
        _slot([na_key, c.pm_false, c.pm_known], management),
        _slot([c.unassigned], community),
    ]
    combination, first = _combine([code for code, _ in slots])
    lists = _assemble([(code[first], findings) for code, findings in slots], len(first))
    # estates with the same findings share one list: a new list per estate would cost more
    # (Python's garbage collector walks every new container) than the findings themselves;
    # taken by numpy from an array of the lists (an object array: one per estate)
    return np.fromiter(lists, dtype=object, count=len(lists))[combination]


def _assemble(
    slots: Sequence[tuple[np.ndarray, list[tuple[_Finding, ...]]]], m: int
) -> list[list[Message]]:
    """The findings list of each of ``m`` combinations: the findings of every slot (its code
    per combination and the findings of each code) in slot order, then ordered by their
    class (``_HARD`` … ``_FLAG``), keeping that order within a class (a stable sort).

    One stable numpy sort of every (combination, finding) pair instead of a Python sort per
    combination: at 100,000 estates there are tens of thousands of combinations (the survey
    shares and frontage are nearly all distinct).
    """
    messages: list[Message] = []
    classes: list[int] = []
    combs, refs = [], []
    for codes, findings in slots:
        counts = np.fromiter((len(f) for f in findings), dtype=np.int64, count=len(findings))
        offsets = np.cumsum(counts) - counts + len(messages)
        for found in findings:
            for kind, text in found:
                classes.append(kind)
                messages.append(text)
        per = counts[codes]  # findings of this slot in each combination
        total = int(per.sum())
        ends = np.cumsum(per)
        combs.append(np.repeat(np.arange(m, dtype=np.int64), per))
        # the position of each finding in `messages`: its code's offset + its rank in it
        refs.append(np.repeat(offsets[codes] - (ends - per), per) + np.arange(total))
    comb, ref = np.concatenate(combs), np.concatenate(refs)
    # slots were appended in order, so a stable sort by (combination, class) keeps slot
    # order — and each slot's own order — within one class
    by_class = np.lexsort((np.asarray(classes, dtype=np.int64)[ref], comb))
    # the few distinct findings, taken in C (fromiter keeps each object whole)
    table = np.fromiter(messages, dtype=object, count=len(messages))
    flat = table[ref[by_class]].tolist()
    bounds = np.concatenate([[0], np.cumsum(np.bincount(comb, minlength=m))]).tolist()
    return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


# --------------------------------------------------------------------------- screening


def screen_enclosure(
    estates: gpd.GeoDataFrame,
    planned_roads: gpd.GeoDataFrame | None = None,
    *,
    rules: RuleSet,
) -> pd.DataFrame:
    """Screen open and semi-open estates for enclosure (开转封), R6 (一(三)) and R8 (四(五)).

    Parameters
    ----------
    estates : GeoDataFrame
        Estate polygons in a projected CRS in metres (EPSG:4549), with ``estate_id`` and
        ``name``. Read when present (an absent column counts as unknown for every estate):
        ``enclosure`` (``open``/``semi_open``/``enclosed``), ``built_year``, ``condition``
        (``good``/``fair``/``poor``), ``survey_participation`` and ``survey_support``
        (shares 0–1), ``commercial_frontage`` (share 0–1 of the boundary), ``facade``
        (``damaged`` = 外立面破损严重), ``property_management`` (bool), ``households`` and
        ``community_id`` (None = the estate lies in no community).
    planned_roads : GeoDataFrame, optional
        Planned road lines in the same CRS as ``estates``. ``None`` means no road layer: the
        crossing is not checked and every estate's reasons say so.
    rules : RuleSet
        The rules (:func:`gis_planner.rules.load_rules`); every threshold is read from
        ``rules.enclosure``.

    Returns
    -------
    DataFrame
        Indexed like ``estates`` (which is not modified), with columns

        - ``enclosure_status`` (str): one of :data:`STATUSES`;
        - ``enclosure_reasons`` (list of :class:`~gis_planner.i18n.Message`): every finding,
          the decisive ones first (estates with the same findings share one list: read it,
          do not change it in place);
        - ``walls_included`` (bool): the facade is ``damaged`` (set whatever the status);
        - ``no_property_management`` (bool): ``property_management`` is False (R8; unknown
          gives False);
        - ``road_crossing_m`` (float): the longest length in metres of one planned road inside
          the estate shrunk by ``road_edge_tolerance_m`` (0 when none or no road layer);
        - ``enclosure_rank`` (Int64): 1..n over ``candidate`` and ``candidate_exception``
          estates, oldest first, then most households, then ``estate_id``; <NA> otherwise.

    Raises
    ------
    PlannerError
        When roads are given and the two layers lack a CRS, differ in CRS, or are not in a
        projected CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from gis_planner.rules import load_rules
    >>> estates = gpd.GeoDataFrame(
    ...     {"estate_id": ["E1"], "name": ["幸福小区"], "enclosure": ["open"],
    ...      "built_year": [1995], "survey_participation": [0.8], "survey_support": [0.9]},
    ...     geometry=[box(497000, 3380000, 497100, 3380100)], crs="EPSG:4549")
    >>> out = screen_enclosure(estates, rules=load_rules())
    >>> out.loc[0, "enclosure_status"], int(out.loc[0, "enclosure_rank"])
    ('candidate', 1)
    """
    r = rules.enclosure
    eligible = tuple(r.eligible_enclosure)
    if planned_roads is not None:
        _check_crs(estates, planned_roads)
    n = len(estates)
    geoms = estates.geometry.to_numpy()

    if planned_roads is not None:
        longest, crossings = _road_crossings(
            geoms, planned_roads, tolerance_m=float(r.road_edge_tolerance_m)
        )
    else:
        longest, crossings = np.zeros(n), {}

    enclosure, enclosure_codes = _texts_and_codes(estates, "enclosure")
    condition, condition_codes = _texts_and_codes(estates, "condition")
    facade = _texts(estates, "facade")
    participation = _numbers(estates, "survey_participation")
    support = _numbers(estates, "survey_support")
    built_year = _numbers(estates, "built_year")
    frontage = _numbers(estates, "commercial_frontage")
    households = _numbers(estates, "households")
    pm_true, pm_false = _booleans(estates, "property_management")
    pm_known = pm_true | pm_false
    if "community_id" in estates.columns:
        unassigned = _text_codes_of(estates, "community_id")[0] < 0
    else:
        unassigned = np.zeros(n, dtype=bool)

    # ---- the criteria (vectorised)
    enc_known = ~_equal(enclosure, None)
    # compared as objects in C: np.isin would first make 100,000 fixed-width texts
    is_eligible = np.zeros(n, dtype=bool)
    for kind in eligible:
        is_eligible |= _equal(enclosure, kind)
    not_applicable = enc_known & ~is_eligible
    road_limit_m = float(r.road_crossing_min_length_m)
    road_fail = longest > road_limit_m + LENGTH_TOLERANCE_M
    part_min, supp_min = float(r.survey_participation_min), float(r.survey_support_min)
    part_known, supp_known = ~np.isnan(participation), ~np.isnan(support)
    part_fail = part_known & (np.nan_to_num(participation, nan=1.0) < part_min - SHARE_TOLERANCE)
    supp_fail = supp_known & (np.nan_to_num(support, nan=1.0) < supp_min - SHARE_TOLERANCE)
    year_known = ~np.isnan(built_year)
    year_before = int(r.built_year_before)
    post = year_known & (np.nan_to_num(built_year, nan=-np.inf) >= year_before)
    exception_condition = r.exception_condition
    poor = _equal(condition, exception_condition)
    post_fail = post & ~poor
    frontage_max = float(r.commercial_frontage_max)
    frontage_high = ~np.isnan(frontage) & (
        np.nan_to_num(frontage, nan=0.0) > frontage_max + SHARE_TOLERANCE
    )

    hard = road_fail | part_fail | supp_fail | post_fail
    survey = ~(part_known & supp_known)
    review = frontage_high | ~year_known | ~enc_known
    exception = post & poor
    # the status as a code (its place in STATUSES), then as one shared text per status
    # (np.select of texts would make a fixed-width text array, and a new str per estate)
    code = {name: k for k, name in enumerate(STATUSES)}
    first = (  # the first that holds gives the status
        (not_applicable, "not_applicable"),
        (hard, "not_suitable"),
        (survey, "needs_survey"),
        (review, "needs_review"),
        (exception, "candidate_exception"),
    )
    status_code = np.select(
        [holds for holds, _ in first], [code[s] for _, s in first], default=code["candidate"]
    )
    status = np.array(STATUSES, dtype=object)[status_code]

    walls = _equal(facade, DAMAGED_FACADE)

    # ---- ranking of the candidates: oldest first, then most households, then estate_id
    is_candidate = np.isin(status_code, [code[s] for s in CANDIDATE_STATUSES])
    # the codes as text only where they rank (the candidates): the others are never read
    ids = np.full(n, "", dtype=object)
    ids[is_candidate] = estates["estate_id"][is_candidate].astype(str).to_numpy(dtype=object)
    rank = candidate_rank(is_candidate, built_year, households, ids)

    criteria = _Criteria(
        enclosure=enclosure,
        enclosure_codes=enclosure_codes,
        not_applicable=not_applicable,
        crossings=crossings,
        roads_given=planned_roads is not None,
        support=support,
        supp_known=supp_known,
        supp_fail=supp_fail,
        participation=participation,
        part_known=part_known,
        part_fail=part_fail,
        built_year=built_year,
        year_known=year_known,
        post=post,
        poor=poor,
        condition=condition,
        condition_codes=condition_codes,
        frontage=frontage,
        frontage_high=frontage_high,
        walls=walls,
        facade=facade,
        pm_false=pm_false,
        pm_known=pm_known,
        unassigned=unassigned,
    )
    reasons = _reasons(criteria, rules=rules)

    result = pd.DataFrame(
        {
            "enclosure_status": pd.Series(status, dtype=object),
            "enclosure_reasons": pd.Series(reasons, dtype=object),
            "walls_included": walls,
            "no_property_management": pm_false,
            "road_crossing_m": longest.astype(float),
            "enclosure_rank": rank,
        }
    )
    result.index = estates.index
    counts = dict(
        zip(STATUSES, np.bincount(status_code, minlength=len(STATUSES)).tolist(), strict=True)
    )
    log.info(
        "Screened %d estates for enclosure (R6): %d candidates (%d post-%d exceptions), "
        "%d need a survey, %d need review, %d not suitable, %d not applicable; "
        "%d crossed by a planned road over %g m",
        n,
        int(is_candidate.sum()),
        int(counts.get("candidate_exception", 0)),
        year_before,
        int(counts.get("needs_survey", 0)),
        int(counts.get("needs_review", 0)),
        int(counts.get("not_suitable", 0)),
        int(counts.get("not_applicable", 0)),
        int((road_fail & ~not_applicable).sum()),
        road_limit_m,
    )
    return result


# --------------------------------------------------------------------------- tables


def _require_screened(df: pd.DataFrame) -> None:
    missing = [
        c for c in ("estate_id", "enclosure_status", "enclosure_reasons") if c not in df.columns
    ]
    if missing:
        raise ValueError(
            f"estates_screened lacks the columns {', '.join(missing)}; pass the estates joined "
            "with the result of screen_enclosure (estates.join(screen_enclosure(...)))"
        )


def enclosure_list(estates_screened: pd.DataFrame | gpd.GeoDataFrame) -> pd.DataFrame:
    """The enclosure list for the street offices (R6, 一(三)), in the order it is printed.

    Candidates (``candidate`` and ``candidate_exception``) come first in rank order, then the
    other open and semi-open estates by status — ``needs_survey`` (the street office's work
    list), ``needs_review``, ``not_suitable`` — each oldest first, then most households, then
    estate code. ``not_applicable`` (already enclosed) estates are left out. The renderers
    word it (:func:`gis_planner.render.report.enclosure_sheet`).

    Parameters
    ----------
    estates_screened : DataFrame or GeoDataFrame
        The estates' columns joined with the columns of :func:`screen_enclosure`.
        ``community_id``, ``community_name``, ``street``, ``built_year`` and ``households``
        are used when present.

    Returns
    -------
    DataFrame
        No geometry; keeps the estates' index labels. Columns: ``enclosure_rank``,
        ``name``, ``estate_id``, ``community_name`` (its code when it has no name),
        ``street``, ``built_year``, ``households`` (Int64), ``enclosure_status``,
        ``enclosure_reasons`` (list of messages), ``walls_included``,
        ``no_property_management`` (bool) and ``unassigned`` (bool: the estate lies in no
        community; its community and street are then empty).
    """
    _require_screened(estates_screened)
    used = (
        "estate_id",
        "name",
        "community_id",
        "community_name",
        "street",
        "built_year",
        "households",
        "enclosure_status",
        "enclosure_reasons",
        "enclosure_rank",
        "walls_included",
        "no_property_management",
    )
    # only the columns read below: the estates' geometry and other columns are not taken
    # row by row through the filter and the sort
    df = pd.DataFrame(estates_screened)
    df = df[[c for c in df.columns if c in used]]
    group = {
        "candidate": 0,
        "candidate_exception": 0,
        "needs_survey": 1,
        "needs_review": 2,
        "not_suitable": 3,
    }
    # the statuses compared as objects in C (a Series of them would first be made Arrow text)
    status = df["enclosure_status"].to_numpy(dtype=object)
    status_group = np.full(len(status), -1, dtype=np.int64)
    for name in TABLE_STATUS_ORDER:
        status_group[_equal(status, name)] = group[name]
    listed = np.flatnonzero(status_group >= 0)
    year = _numbers(df, "built_year")[listed]
    households = _numbers(df, "households")[listed]
    rank = _numbers(df, "enclosure_rank")[listed]
    # the estates' codes as texts, ranked: their order, compared as the sort compares texts
    # (a missing code last); one stable np.lexsort of the keys then orders the rows as a
    # mergesort by (group, rank, year, households, estate_id) would, without making a
    # frame of the keys and taking every column twice (filter, then order)
    ids = df["estate_id"].iloc[listed]
    if not pd.api.types.is_string_dtype(ids.dtype) or ids.dtype == object:
        ids = ids.astype(str)
    id_rank, uniques = pd.factorize(ids, sort=True)
    id_rank = np.where(id_rank < 0, len(uniques), id_rank)
    order = np.lexsort(
        (
            id_rank,
            np.where(np.isnan(households), np.inf, -households),
            np.where(np.isnan(year), np.inf, year),
            np.where(np.isnan(rank), np.inf, rank),
            status_group[listed],
        )
    )
    # the rows listed, in print order: each column read whole and taken at these
    # positions, not the frame taken row by row first
    pos = listed[order]
    year, households, rank = year[order], households[order], rank[order]
    index = df.index[pos]

    def texts(name: str) -> np.ndarray:
        return _texts(df, name)[pos]

    ids = texts("community_id")  # text or None (blank is None)
    if "community_id" in df.columns:
        in_none = pd.isna(ids)
    else:
        in_none = np.zeros(len(pos), dtype=bool)
    names = texts("community_name")
    community = _none_where(in_none, np.where(pd.isna(names), ids, names))  # name, else code
    street = _none_where(in_none, texts("street"))
    reasons = df["enclosure_reasons"].to_numpy(dtype=object)[pos]
    if set(map(type, reasons)) - {list}:  # the estates' lists as they are (not changed)
        reasons = [
            v
            if isinstance(v, list)
            else list(v)
            if isinstance(v, tuple)
            else []
            if v is None
            else [v]
            for v in reasons
        ]

    def whole(values: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.array(
            np.where(np.isnan(values), np.nan, np.round(values)), dtype="Float64"
        ).astype("Int64")

    def flag(name: str) -> np.ndarray:
        if name not in df.columns:
            return np.zeros(len(pos), dtype=bool)
        column = df[name]
        if pd.api.types.is_bool_dtype(column.dtype) and not column.hasnans:
            return column.to_numpy(dtype=bool)[pos]
        # missing (None, NaN, NA) is False, anything else its truth value
        values = column.astype(object).to_numpy()[pos]
        return np.where(pd.isna(values), False, values).astype(bool)

    return pd.DataFrame(
        {
            "enclosure_rank": whole(rank),
            "name": texts("name"),
            "estate_id": df["estate_id"].to_numpy()[pos],
            "community_name": pd.Series(community, index=index, dtype=object),
            "street": pd.Series(street, index=index, dtype=object),
            "built_year": whole(year),
            "households": whole(households),
            "enclosure_status": status[pos],
            "enclosure_reasons": pd.Series(reasons, index=index, dtype=object),
            "walls_included": flag("walls_included"),
            "no_property_management": flag("no_property_management"),
            "unassigned": in_none,
        },
        index=index,
    )


#: the counts of :func:`enclosure_counts`, after the level and the grouping columns
COUNT_COLUMNS = (
    "estates_count",
    "enc_candidates",
    "enc_candidate_households",
    "enc_needs_survey",
    "enc_needs_review",
    "enc_not_suitable",
    "enc_not_applicable",
)


def enclosure_counts(
    estates_screened: pd.DataFrame | gpd.GeoDataFrame,
    *,
    by: Sequence[str] = ("street", "community_name"),
) -> pd.DataFrame:
    """Enclosure counts per street and per community (R6, 一(三)): one hierarchical table.

    One row per value of ``by[0]`` (e.g. each street), followed by one row per value of
    ``by[:2]`` within it (each community of that street), and so on for longer ``by``; a
    county total row comes last. Estates in no community (``community_id`` None), and
    estates with no value in a ``by`` column, are grouped as *unassigned* (None), listed
    after the other groups of their level. The renderers word it
    (:func:`gis_planner.render.report.enclosure_summary_sheet`).

    Parameters
    ----------
    estates_screened : DataFrame or GeoDataFrame
        The estates' columns joined with the columns of :func:`screen_enclosure`.
    by : sequence of str
        The grouping columns, from the widest level to the narrowest.

    Returns
    -------
    DataFrame
        Columns ``level`` (the ``by`` column the row groups by, or ``"total"``), one column
        per ``by`` column (the group's value; ``""`` below the row's level; None for the
        unassigned group), then :data:`COUNT_COLUMNS` (Int64): all estates, candidates
        (exceptions included), households of those candidates (unknown counted as 0),
        ``needs_survey`` (the street office's work list), ``needs_review``, ``not_suitable``,
        ``not_applicable``. A fresh RangeIndex.

    Examples
    --------
    >>> df = pd.DataFrame({"estate_id": ["E1", "E2"], "community_id": ["C1", None],
    ...                    "street": ["武康街道", None], "community_name": ["甲", None],
    ...                    "households": [300, 200], "enclosure_reasons": [[], []],
    ...                    "enclosure_status": ["candidate", "needs_survey"]})
    >>> enclosure_counts(df)[["level", "street", "estates_count", "enc_candidates"]]
                level street  estates_count  enc_candidates
    0          street   武康街道              1               1
    1  community_name   武康街道              1               1
    2          street   None              1               0
    3  community_name   None              1               0
    4           total                     2               1
    """
    _require_screened(estates_screened)
    by = list(by)
    if not by:
        raise ValueError("by must name at least one column, e.g. ('street', 'community_name')")
    df = pd.DataFrame(estates_screened)
    if "community_id" in df.columns:
        in_none = _text_codes_of(df, "community_id")[0] < 0
    else:
        in_none = np.zeros(len(df), dtype=bool)
    # each grouping column as the codes of its texts (-1: None, and for every estate in no
    # community), and the text of each code
    key_codes, key_texts = {}, {}
    for col in by:
        codes, texts = _text_codes_of(df, col)
        key_codes[col] = np.where(in_none, -1, codes)
        key_texts[col] = np.concatenate([texts, np.array([None], dtype=object)])  # -1: None

    # the statuses as they are (texts, from screen_enclosure): compared, never shown
    status = df["enclosure_status"].to_numpy(dtype=object)
    candidate = np.isin(status, CANDIDATE_STATUSES)
    households = np.nan_to_num(_numbers(df, "households"), nan=0.0)
    counts = pd.DataFrame(
        {
            "estates_count": np.ones(len(df), dtype=np.int64),
            "enc_candidates": candidate.astype(np.int64),
            "enc_candidate_households": np.where(candidate, households, 0.0),
            "enc_needs_survey": (status == "needs_survey").astype(np.int64),
            "enc_needs_review": (status == "needs_review").astype(np.int64),
            "enc_not_suitable": (status == "not_suitable").astype(np.int64),
            "enc_not_applicable": (status == "not_applicable").astype(np.int64),
        }
    )
    measures = list(COUNT_COLUMNS)

    parts = []
    for depth in range(1, len(by) + 1):
        cols = by[:depth]
        # the groups by the integer codes of their texts (None is a group of its own), summed
        # by bincount: pandas' groupby would hash the 100,000 texts of each column again; the
        # rows' order does not matter, the sort below orders them
        group, first = _combine([key_codes[col] for col in cols])
        part = pd.DataFrame(
            {col: pd.Series(key_texts[col][key_codes[col][first]], dtype=object) for col in cols}
        )
        for col in measures:
            summed = np.bincount(group, weights=counts[col].to_numpy(), minlength=len(first))
            part[col] = summed
        for col in by[depth:]:
            part[col] = ""
        part["level"] = by[depth - 1]
        part["_total"] = 0
        parts.append(part)
    total = counts.sum().to_frame().T
    for col in by:
        total[col] = ""
    total["level"] = "total"
    total["_total"] = 1
    parts.append(total)
    summary = pd.concat(parts, ignore_index=True)

    # hierarchical order: a group's row, then its sub-groups; unassigned last; the total last
    sort_cols = ["_total"]
    for col in by:
        values = summary[col].astype(object)
        summary[col] = values.where(values.notna(), None)
        summary[f"_{col}_kind"] = np.select(
            [values.eq("").to_numpy(dtype=bool), values.isna().to_numpy(dtype=bool)],
            [0, 2],
            default=1,
        )
        summary[f"_{col}_key"] = values.fillna("").astype(str)
        sort_cols += [f"_{col}_kind", f"_{col}_key"]
    summary = summary.sort_values(sort_cols, kind="mergesort").reset_index(drop=True)

    for col in measures:
        summary[col] = pd.to_numeric(summary[col]).round().astype("Int64")
    return summary[["level", *by, *measures]]


def candidate_rank(
    is_candidate: np.ndarray,
    built_year: np.ndarray,
    households: np.ndarray,
    estate_ids: np.ndarray,
) -> pd.arrays.IntegerArray:
    """R6 ``enclosure_rank``: 1..n over the candidates — oldest first (``built_year``), then
    most households (unknown last), then ``estate_id``, then position; NA elsewhere.

    ``built_year`` and ``households`` are float arrays with NaN for unknown. A partitioned run
    (:mod:`gis_planner.partition`) ranks the merged counties' estates with it again.

    >>> candidate_rank(
    ...     np.array([True, False, True, True]),
    ...     np.array([1995.0, 1990.0, 1990.0, 1990.0]),
    ...     np.array([100.0, 50.0, np.nan, 200.0]),
    ...     np.array(["a", "b", "c", "d"]),
    ... ).tolist()
    [3, <NA>, 2, 1]
    """
    n = len(is_candidate)
    values = np.zeros(n, dtype=np.int64)
    # the ranks and their mask as they are: pd.array of a list of n NA (then set item by
    # item) reads every element in Python
    if is_candidate.any():
        pos = np.flatnonzero(is_candidate)
        # the codes ranked as texts (a missing one last), then one stable np.lexsort, by
        # position last: the order of a mergesort of a frame of the keys, without the frame
        id_rank, uniques = pd.factorize(np.asarray(estate_ids, dtype=object)[pos], sort=True)
        order = pos[
            np.lexsort(
                (
                    np.where(id_rank < 0, len(uniques), id_rank),
                    np.where(np.isnan(households[pos]), np.inf, -households[pos]),
                    built_year[pos],
                )
            )
        ]
        values[order] = np.arange(1, len(pos) + 1)
    return pd.arrays.IntegerArray(values, ~np.asarray(is_candidate, dtype=bool))
