"""Writing a run folder: GeoJSON layers (RFC 7946), the report, the map — never half-written.

Every output of a run is first written into a staging folder beside the target, and the whole
set replaces the previous run's set only when all of them are complete
(:func:`gis_planner.render.atomic.staged_set`), so an error, an interrupt or a kill leaves the
previous outputs as they were, never a mix of two runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from gis_planner.crs import WEB_CRS
from gis_planner.render.atomic import staged_set
from gis_planner.render.escape import csv_safe

log = logging.getLogger(__name__)

LIST_SEPARATOR = {"zh": "；", "en": "; "}
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
    "map.html",
    "scenario.yaml",
)


def flatten_for_file(
    gdf: gpd.GeoDataFrame | pd.DataFrame, *, lang: str = "zh"
) -> gpd.GeoDataFrame | pd.DataFrame:
    """A copy that file formats can hold: lists joined into text (pyogrio writes pandas'
    nullable types itself, with nulls)."""
    out = gdf.copy()
    sep = LIST_SEPARATOR.get(lang, "; ")
    for column in out.columns:
        if column == getattr(out, "_geometry_column_name", None):
            continue
        series = out[column]
        if series.dtype == object and series.map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = series.map(
                lambda v: sep.join(map(str, v)) if isinstance(v, (list, tuple)) else v
            )
    return out


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` as CSV for Excel: UTF-8 with a byte-order mark, CRLF, and no cell that a
    spreadsheet would run as a formula (:func:`gis_planner.render.escape.csv_safe`)."""
    path = Path(path)
    csv_safe(table).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path, *, lang: str = "zh") -> Path:
    """Write an RFC 7946 GeoJSON (WGS84 lon/lat, 7 decimals ≈ 1 cm) of ``gdf``."""
    path = Path(path)
    out = flatten_for_file(gdf.to_crs(WEB_CRS), lang=lang)
    pyogrio.write_dataframe(
        out,
        path,
        driver="GeoJSON",
        use_arrow=True,
        layer_options={"RFC7946": "YES", "WRITE_BBOX": "NO", "COORDINATE_PRECISION": "7"},
    )
    return path


def timed(timings: dict[str, float], name: str, func: Callable[[], object]) -> object:
    """Run ``func`` and record its wall time in seconds under ``name``."""
    start = time.perf_counter()
    value = func()
    timings[name] = time.perf_counter() - start
    return value


def round_floats(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Floats rounded to 4 decimals, as every output shows them (GeoJSON, map popups)."""
    out = gdf.copy()
    for column in out.select_dtypes(include=[np.floating]).columns:
        out[column] = out[column].round(4)
    return out


def write_planning_conditions(
    results,
    path: str | Path,
    *,  # noqa: ANN001
    lang: str | None = None,
) -> Path:
    """Write ``planning_conditions.csv`` (R2): one row per development parcel.

    UTF-8 with a byte-order mark, so that Excel shows the Chinese; the columns of
    :data:`gis_planner.premises.PLANNING_CONDITION_COLUMNS` (English names, as in every
    output file). Written in every run: only the header when there are no parcels.
    """
    from gis_planner.premises import PLANNING_CONDITION_COLUMNS

    path = Path(path)
    table = getattr(results, "planning_conditions", None)
    if table is None:
        table = pd.DataFrame(columns=PLANNING_CONDITION_COLUMNS)
    table = pd.DataFrame(table).reindex(columns=PLANNING_CONDITION_COLUMNS)
    write_csv(table, path)
    return path


def _write_layout(
    layout,
    stage: Path,
    out_dir: Path,
    *,
    lang: str,  # noqa: ANN001
    timings: dict[str, float],
    written: dict[str, Path],
    on_step: Callable[[str], None] | None,
) -> None:
    """The R7 proposals: proposed communities and sites, the moves, the reach raster."""
    from gis_planner.layout import accessibility

    outputs = {
        "proposed_communities.geojson": lambda path: write_geojson(
            round_floats(layout.boundaries.communities), path, lang=lang
        ),
        "proposed_sites.geojson": lambda path: write_geojson(
            round_floats(layout.siting.sites), path, lang=lang
        ),
        "boundary_moves.csv": lambda path: write_csv(pd.DataFrame(layout.boundaries.moves), path),
        "accessibility.tif": lambda path: accessibility.write_accessibility(
            path,
            layout.access_m,
            layout.access_transform,
            crs=layout.boundaries.communities.crs.to_string(),
        ),
    }
    for name, write in outputs.items():
        if on_step:
            on_step(name)
        timed(timings, name, lambda w=write, n=name: w(stage / n))
        written[name.split(".")[0]] = out_dir / name


def write_run(
    results,
    out_dir: str | Path,
    *,
    lang: str | None = None,  # noqa: ANN001
    map_html: bool = True,
    on_step: Callable[[str], None] | None = None,
    extra_files: dict[str, str] | None = None,
    basemap: str = "osm",
) -> tuple[dict[str, Path], dict[str, float]]:
    """Write every output of ``results`` into ``out_dir`` (staged, then moved into place).

    ``extra_files`` (file name → text, written as UTF-8 in the same staging) adds files to
    the run, e.g. the ``scenario.yaml`` of :meth:`gis_planner.scenario.edits.Scenario.export`.
    Returns the paths written and the seconds each took.
    """
    from gis_planner.render import report

    lang = lang or results.lang
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
                lambda g=gdf, n=name: write_geojson(
                    round_floats(g), stage / f"{n}.geojson", lang=lang
                ),
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
        layout = getattr(results, "layout", None)
        if layout is not None:
            _write_layout(
                layout, stage, out_dir, lang=lang, timings=timings, written=written, on_step=on_step
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
        if map_html:
            from gis_planner.render.onemap import page as maps

            if on_step:
                on_step("map.html")
            timed(
                timings,
                "map.html",
                lambda: maps.write_map(results, stage / "map.html", lang=lang, basemap=basemap),
            )
            written["map"] = out_dir / "map.html"
    # outputs of an earlier run that this run did not write were removed with the old set
    log.info("Wrote %d outputs to %s", len(written), out_dir)
    return written, timings
