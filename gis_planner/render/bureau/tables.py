"""The layers of the bureau package, as file formats hold them.

:func:`bureau_tables` takes them from a run's :class:`~gis_planner.results.Results`,
:func:`run_tables` from a run folder read back (:func:`gis_planner.io.runfolder.read_run`).
Either way each layer comes out in the working CRS with a fresh index, its id and name first,
messages worded and lists joined to text (:func:`gis_planner.render.text.words`), and in the
bureau's language (:func:`gis_planner.render.bureau.values.in_bureau_language`): enumerations
in words with their codes beside them, yes/no as 是/否, integers, numbers to their decimals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from gis_planner import crs as crs_mod
from gis_planner.io.runfolder import RunFolder
from gis_planner.render.bureau.options import BureauError
from gis_planner.render.bureau.values import in_bureau_language
from gis_planner.render.text import words

if TYPE_CHECKING:
    from gis_planner.results import Results

#: Exported layers and their id fields, in package order.
LAYERS = {
    "communities": "community_id",
    "estates": "estate_id",
    "premises": "premises_id",
    "sites": "proposal_id",
}


def _text(value: Any, lang: str) -> str | None:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    value = words(value, lang=lang)  # a message worded, a list joined; anything else as is
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _file_column(series: pd.Series, lang: str) -> pd.Series:
    """A column as file formats hold it: nullable numbers and booleans kept, the rest text."""
    dtype = series.dtype
    if isinstance(dtype, (pd.BooleanDtype, pd.Int64Dtype, pd.Int32Dtype, pd.Float64Dtype)):
        return series
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return series
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return series
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "boolean":
        return series.astype("boolean")
    if kind == "integer":
        return series.astype("Int64")
    if kind in ("floating", "mixed-integer-float", "decimal"):
        return series.astype("Float64")
    return pd.Series([_text(v, lang) for v in series], index=series.index, dtype=object)


def _file_ready(gdf: gpd.GeoDataFrame, layer: str, lang: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise BureauError(f"{layer}: no CRS")
    geometry = gdf.geometry.to_crs(crs_mod.zone_of(gdf)).reset_index(drop=True)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    first = [c for c in (LAYERS[layer], "name") if c in columns]
    ordered = first + [c for c in columns if c not in first]
    data = {c: _file_column(gdf[c].reset_index(drop=True), lang) for c in ordered}
    return gpd.GeoDataFrame(data, geometry=geometry.values, crs=geometry.crs)


def _with_proposal_id(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The R7 sites of both models, one row per (model, site): ``proposal_id`` is unique
    (``lscp-001``, ``mclp-001`` …)."""
    if "proposal_id" in sites or "model" not in sites:
        return sites
    sites = sites.copy()
    sites.insert(
        0,
        "proposal_id",
        [f"{m}-{int(p):03d}" for m, p in zip(sites["model"], sites["priority"], strict=True)],
    )
    return sites


def _ready(frames: Mapping[str, gpd.GeoDataFrame | None], lang: str) -> dict[str, gpd.GeoDataFrame]:
    """The frames present and not empty, file-ready, in :data:`LAYERS` order."""
    out = {}
    for layer in LAYERS:
        gdf = frames.get(layer)
        if gdf is None or not len(gdf):
            continue
        if layer == "sites":
            gdf = _with_proposal_id(gdf)
        out[layer] = in_bureau_language(_file_ready(gdf, layer, lang), layer, lang=lang)
    return out


def bureau_tables(results: Results, *, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """The layers of the bureau package, with every computed figure, in EPSG:4549.

    Parameters
    ----------
    results : Results
        From :func:`gis_planner.pipeline.run` (layers in EPSG:4549). Proposed sites are
        taken from ``results.sites`` when the results have them (R7 premises siting).
    lang : {"zh", "en"}
        Language of values that are messages (``warnings``, ``enclosure_reasons``,
        ``subsidy_note``) and separator of list-valued fields, joined to text.

    Returns
    -------
    dict of str to GeoDataFrame
        ``communities``, ``estates``, ``premises`` and ``sites`` (those present and not empty),
        each with a fresh 0..n-1 index, the id and name first, lists joined to text, in the
        bureau's language (enumerations worded, ``<field>_code`` beside each, 是/否, integers,
        numbers rounded to their catalogue decimals), every other column text; CRS EPSG:4549.
    """
    sites = getattr(results, "sites", None)
    frames = {
        "communities": results.communities,
        "estates": results.estates,
        "premises": results.premises,
        "sites": sites if isinstance(sites, gpd.GeoDataFrame) else None,
    }
    return _ready(frames, lang)


def run_tables(run: RunFolder, *, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """The layers of the bureau package from a run folder read back, in EPSG:4549.

    Parameters
    ----------
    run : RunFolder
        From :func:`gis_planner.io.runfolder.read_run`: RFC 7946 GeoJSON, 7 decimals (about
        1 cm), figures rounded as in the run.
    lang : {"zh", "en"}
        As for :func:`bureau_tables`.

    Returns
    -------
    dict of str to GeoDataFrame
        As :func:`bureau_tables`.
    """
    return _ready(run.layers, lang)
