"""Writing a run folder: GeoJSON layers (RFC 7946), the report, the map — never half-written.

Every output of a run is first written into a staging folder beside the target, and the whole
set replaces the previous run's set only when all of them are complete
(:func:`gis_planner.render.atomic.staged_set`), so an error, an interrupt or a kill leaves the
previous outputs as they were, never a mix of two runs.
"""

from __future__ import annotations

import gc
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import rasterio
import shapely
from affine import Affine

from gis_planner.crs import WEB_CRS, transform_xy
from gis_planner.render import onemap, report
from gis_planner.render.atomic import staged_set
from gis_planner.render.escape import csv_safe
from gis_planner.render.text import flatten_for_file, round_floats
from gis_planner.results import LayoutProposal, Results

log = logging.getLogger(__name__)

#: every file a run may write: the set that a run replaces as a whole (atomic.staged_set)
RUN_OUTPUTS = (
    "communities.geojson",
    "estates.geojson",
    "premises.geojson",
    "planning_conditions.csv",
    "proposed_communities.geojson",
    "proposed_sites.geojson",
    "boundary_moves.csv",
    "accessibility.tif",
    "report.xlsx",
    *report.CSV_FILES,  # a table too long for its sheet (limits.report_max_sheet_rows)
    "map.html",
    "atlas.pdf",
    "scenario.yaml",
)


def write_csv(table: pd.DataFrame, path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``table`` as CSV for Excel: UTF-8 with a byte-order mark, CRLF, messages worded
    in ``lang`` and lists joined — and only then no cell that a spreadsheet would run as a
    formula (:func:`gis_planner.render.escape.csv_safe`)."""
    path = Path(path)
    text = csv_safe(flatten_for_file(table, lang=lang))
    text.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


#: GDAL's GeoJSON options: 7 decimals of a degree ≈ 1 cm, no bounding boxes
GEOJSON_OPTIONS = {"WRITE_BBOX": "NO", "COORDINATE_PRECISION": "7"}


#: the coordinates of RFC 7946 (WGS84 lon/lat), parsed once
WGS84 = pyproj.CRS.from_user_input(WEB_CRS)


@lru_cache(maxsize=16)
def _to_wgs84(crs: pyproj.CRS) -> pyproj.Transformer:
    """The transformation ``GeoSeries.to_crs(WEB_CRS)`` makes (``always_xy``), made once per CRS."""
    return pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)


def wgs84_geometries(geometry: gpd.GeoSeries) -> np.ndarray:
    """The geometries of ``geometry`` in WGS84 lon/lat, as shapely objects.

    The very numbers of ``geometry.to_crs(WEB_CRS)`` — the same PROJ transformation of the same
    coordinates — without the frame copies and masks around it: pyproj transforms the
    coordinate arrays (:func:`gis_planner.crs.transform_xy`). 3D geometries, a
    missing CRS (geopandas' error) and a layer already in WGS84 go through geopandas.
    """
    data = np.asarray(geometry.values)
    crs = geometry.crs
    if crs is None or crs.is_exact_same(WGS84) or bool(shapely.has_z(data).any()):
        return np.asarray(geometry.to_crs(WEB_CRS).values)
    return transform_xy(data, _to_wgs84(crs))


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector paused (unless it already was) for the block.

    Shapely geometries are tracked by the collector though they hold no references: making the
    100,000 of a province layer twice (reprojected, then wound) set off full collections over
    every object of the run, about a sixth of a second at province size, for no garbage. A
    cycle made meanwhile, if any, is collected once the collector resumes.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path, *, lang: str = "zh") -> Path:
    """Write an RFC 7946 GeoJSON (WGS84 lon/lat, 7 decimals ≈ 1 cm) of ``gdf``.

    What GDAL's ``RFC7946=YES`` does is done here, and GDAL writes plain GeoJSON: the
    coordinates are already WGS84 lon/lat (:func:`wgs84_geometries`), polygons are wound by the
    right-hand rule (``shapely.orient_polygons``: exteriors counter-clockwise, holes clockwise)
    and the layer has no ``crs`` member. The bytes are the same as GDAL's RFC 7946 mode (checked
    on the demo and at city and province size), which costs about a third more time per feature
    (benchmarks/bench_pipeline.py). A geometry wider than 180° of longitude (one that would
    cross the antimeridian, never in China) is left to GDAL, which splits it there.
    """
    path = Path(path)
    with _cycle_collector_paused():
        geometries = wgs84_geometries(gdf.geometry)
        bounds = shapely.bounds(geometries)  # NaN for a missing geometry: never wider
        if bool((bounds[:, 2] - bounds[:, 0] > 180).any()):
            options = {"RFC7946": "YES", **GEOJSON_OPTIONS}
            crs: pyproj.CRS | None = WGS84
        else:
            options = {"RFC7946": "NO", **GEOJSON_OPTIONS}
            geometries = shapely.orient_polygons(geometries, exterior_cw=False)
            crs = None  # RFC 7946: no crs member
        # one copy of the frame (flatten_for_file's), its geometry column replaced in place
        out = flatten_for_file(gdf, lang=lang)
        out[out.geometry.name] = gpd.GeoSeries(geometries, index=out.index, crs=crs)
        out.set_crs(crs, allow_override=True, inplace=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        pyogrio.write_dataframe(out, path, driver="GeoJSON", use_arrow=True, layer_options=options)
    return path


def timed(timings: dict[str, float], name: str, func: Callable[[], object]) -> object:
    """Run ``func`` and record its wall time in seconds under ``name``."""
    start = time.perf_counter()
    value = func()
    timings[name] = time.perf_counter() - start
    return value


def write_planning_conditions(results: Results, path: str | Path, *, lang: str = "zh") -> Path:
    """Write ``planning_conditions.csv`` (R2): one row per development parcel.

    UTF-8 with a byte-order mark, so that Excel shows the Chinese; the columns of
    :data:`gis_planner.premises.PLANNING_CONDITION_COLUMNS` (English names, as in every
    output file), the ``note`` worded in ``lang``. Written in every run: only the header
    when there are no parcels.
    """
    path = Path(path)
    write_csv(pd.DataFrame(results.planning_conditions), path, lang=lang)
    return path


def write_accessibility(
    path: str | Path,
    array: np.ndarray,
    transform: Affine,
    *,
    crs: str,
    nodata: float,
) -> Path:
    """Write the accessibility array as a single-band float32 GeoTIFF (deflate, with nodata)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": array.shape[0],
        "width": array.shape[1],
        "count": 1,
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array.astype(np.float32), 1)
        dst.update_tags(units="metre", meaning="distance to the nearest premises (R7, 一(一))")
        dst.set_band_description(1, "distance_to_premises_m")
    return path


def _write_layout(
    layout: LayoutProposal,
    stage: Path,
    out_dir: Path,
    *,
    lang: str,
    timings: dict[str, float],
    written: dict[str, Path],
    on_step: Callable[[str], None] | None,
) -> None:
    """The R7 proposals: proposed communities and sites, the moves, the reach raster."""
    outputs: dict[str, Callable[[Path], object]] = {
        "proposed_communities.geojson": lambda path: write_geojson(
            round_floats(layout.boundaries.communities), path, lang=lang
        ),
        "proposed_sites.geojson": lambda path: write_geojson(
            round_floats(layout.siting.sites), path, lang=lang
        ),
        "boundary_moves.csv": lambda path: write_csv(
            pd.DataFrame(layout.boundaries.moves), path, lang=lang
        ),
        "accessibility.tif": lambda path: write_accessibility(
            path,
            layout.access_m,
            layout.access_transform,
            crs=layout.boundaries.communities.crs.to_string(),
            nodata=layout.access_nodata,
        ),
    }
    for name, write in outputs.items():
        if on_step:
            on_step(name)
        timed(timings, name, partial(write, stage / name))
        written[name.split(".")[0]] = out_dir / name


def write_run(
    results: Results,
    out_dir: str | Path,
    *,
    lang: str = "zh",
    map_html: bool = True,
    on_step: Callable[[str], None] | None = None,
    extra_files: dict[str, str] | None = None,
    basemap: str = "auto",
    atlas_pdf: bool = True,
) -> tuple[dict[str, Path], dict[str, float]]:
    """Write every output of ``results`` into ``out_dir`` (staged, then moved into place).

    ``map_html`` and ``atlas_pdf`` write the one-map and the printable atlas
    (:func:`gis_planner.render.atlas.write_atlas`; it needs a CJK font, else
    :class:`~gis_planner.render.atlas.CJKFontMissingError` and nothing is written).

    ``extra_files`` (file name → text, written as UTF-8 in the same staging) adds files to
    the run, e.g. the ``scenario.yaml`` of :meth:`gis_planner.scenario.edits.Scenario.export`.
    Returns the paths written and the seconds each took.
    """
    out_dir = Path(out_dir)
    timings: dict[str, float] = {}
    written: dict[str, Path] = {}
    layers = {
        "communities": results.communities,
        "estates": results.estates,
        "premises": results.premises,
    }
    with staged_set(out_dir, owned=RUN_OUTPUTS) as stage:
        for name, gdf in layers.items():
            if gdf is None:
                continue
            if on_step:
                on_step(f"{name}.geojson")
            timed(
                timings,
                f"{name}.geojson",
                partial(write_geojson, round_floats(gdf), stage / f"{name}.geojson", lang=lang),
            )
            written[name] = out_dir / f"{name}.geojson"
        if on_step:
            on_step("planning_conditions.csv")
        timed(
            timings,
            "planning_conditions.csv",
            lambda: write_planning_conditions(
                results, stage / "planning_conditions.csv", lang=lang
            ),
        )
        written["planning_conditions"] = out_dir / "planning_conditions.csv"
        if results.layout is not None:
            _write_layout(
                results.layout,
                stage,
                out_dir,
                lang=lang,
                timings=timings,
                written=written,
                on_step=on_step,
            )
        for name, text in (extra_files or {}).items():
            (stage / name).write_text(text, encoding="utf-8")
            written[Path(name).stem] = out_dir / name
        if on_step:
            on_step("report.xlsx")
        timed(
            timings,
            "report.xlsx",
            lambda: report.write_report(results, stage / "report.xlsx", lang=lang),
        )
        written["report"] = out_dir / "report.xlsx"
        for name in report.CSV_FILES:
            if (stage / name).exists():
                written[Path(name).stem] = out_dir / name
        if map_html:
            if on_step:
                on_step("map.html")
            timed(
                timings,
                "map.html",
                lambda: onemap.write_map(results, stage / "map.html", lang=lang, basemap=basemap),
            )
            written["map"] = out_dir / "map.html"
        if atlas_pdf:
            from gis_planner.render.atlas import write_atlas  # matplotlib: only when printed

            if on_step:
                on_step("atlas.pdf")
            timed(
                timings,
                "atlas.pdf",
                lambda: write_atlas(results, stage / "atlas.pdf", lang=lang),
            )
            written["atlas"] = out_dir / "atlas.pdf"
    # outputs of an earlier run that this run did not write were removed with the old set
    log.info("Wrote %d outputs to %s", len(written), out_dir)
    return written, timings
