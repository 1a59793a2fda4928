"""Rasters of the layout plan (R7, 一(一)): walking accessibility and households from population.

- :func:`accessibility_raster` — distance in metres from every cell of the communities to the
  nearest premises (existing or proposed), on a grid of ``rules.layout.accessibility_cell_m``
  (50 m) cells in EPSG:4549; straight-line, or along a walking network when ``paths`` is given.
  Cells whose centre lies in no community are nodata. The run folder holds it as a GeoTIFF
  (:func:`gis_planner.render.runfolder.write_accessibility`); :func:`estate_access` reads it
  back at the estates to count the households beyond the walking distance.
- :func:`estimate_households` — households of estates without a count, from a population
  raster (residents per cell): the area-weighted sum of the cells under the estate ÷ the
  household size, flagged ``households_estimated``. The estate is projected into the raster's
  own CRS and the cells are intersected there, so a raster in any CRS (EPSG:4326 included) is
  read where it is, never resampled or mis-aligned; nodata cells count as unknown, not zero.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.transform
import shapely
from rasterio.transform import Affine
from rasterio.windows import Window

from gis_planner import crs as crs_mod
from gis_planner.errors import InputError, Problem, format_rows
from gis_planner.i18n import msg
from gis_planner.layout.siting import (
    build_network,
    check_working_crs,
    network_distance_to_nearest,
    point_inside,
)
from gis_planner.overlay import robust_overlay
from gis_planner.rules import RuleSet

log = logging.getLogger(__name__)

NODATA = -9999.0


def _apply(transform: Affine, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply an affine transform to coordinate arrays."""
    a, b, c, d, e, f = transform[:6]
    return a * x + b * y + c, d * x + e * y + f


def grid(
    bounds: tuple[float, float, float, float] | np.ndarray, cell_m: float
) -> tuple[Affine, int, int]:
    """A north-up grid of ``cell_m`` cells aligned to multiples of ``cell_m`` covering ``bounds``.

    Returns
    -------
    (transform, width, height)

    Examples
    --------
    >>> t, w, h = grid((1010.0, 2020.0, 1190.0, 2110.0), 50)
    >>> (t.c, t.f, w, h)
    (1000.0, 2150.0, 4, 3)
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    x0 = math.floor(minx / cell_m) * cell_m
    y1 = math.ceil(maxy / cell_m) * cell_m
    width = max(1, math.ceil((maxx - x0) / cell_m))
    height = max(1, math.ceil((y1 - miny) / cell_m))
    return Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1), width, height


def _check_cells(width: int, height: int, cell_m: float, rules: RuleSet | None) -> None:
    """Refuse a grid of more than ``limits.max_raster_cells`` cells before it is allocated
    (``access_too_many_cells``, naming the grid, the cell size and both settings)."""
    limits = rules.limits.to_dict() if rules is not None and "limits" in rules else {}
    limit = limits.get("max_raster_cells")
    if limit is None or width * height <= limit:
        return
    problem = msg(
        "access_too_many_cells",
        width=width,
        height=height,
        cells=width * height,
        cell_m=f"{cell_m:g}",
        limit=int(limit),
    )
    raise InputError([Problem("layout.accessibility_cell_m", problem)])


def accessibility_raster(
    communities: gpd.GeoDataFrame,
    premises: gpd.GeoDataFrame | gpd.GeoSeries | None,
    *,
    rules: RuleSet | None = None,
    cell_m: float | None = None,
    paths: gpd.GeoDataFrame | None = None,
) -> tuple[np.ndarray, Affine]:
    """Distance (m) from each cell to the nearest premises, nodata outside the communities.

    Parameters
    ----------
    communities : GeoDataFrame
        Community polygons, EPSG:4549: the raster covers their bounds; a cell whose centre
        lies in none of them is nodata (:data:`NODATA`).
    premises : GeoDataFrame or GeoSeries
        Existing and/or proposed premises (points or polygons), EPSG:4549.
    rules : RuleSet, optional
        ``layout.accessibility_cell_m`` (when ``cell_m`` is not given), ``layout.network_legs``.
    cell_m : float, optional
        Cell size in metres (default the rules' 50 m).
    paths : GeoDataFrame, optional
        A walking network: distances along it (cells and premises snapped to it, straight legs
        added per ``layout.network_legs``); cells that reach no premises are nodata.

    Returns
    -------
    (array, transform)
        ``float32`` array (rows × columns), EPSG:4549 transform of the grid.

    Raises
    ------
    InputError
        ``access_too_many_cells``: the grid would hold more than the rules'
        ``limits.max_raster_cells`` cells (checked before anything is allocated).
    """
    check_working_crs(communities=communities, paths=paths)
    if premises is not None:
        frame = (
            premises
            if isinstance(premises, gpd.GeoDataFrame)
            else gpd.GeoDataFrame(geometry=premises)
        )
        check_working_crs(premises=frame)
    if cell_m is None:
        if rules is None:
            raise ValueError("give cell_m or rules")
        cell_m = float(rules.layout.accessibility_cell_m)
    transform, width, height = grid(communities.total_bounds, float(cell_m))
    _check_cells(width, height, float(cell_m), rules)
    inside = rasterio.features.geometry_mask(
        communities.geometry.values, out_shape=(height, width), transform=transform, invert=True
    )
    rows, cols = np.nonzero(inside)
    xs, ys = rasterio.transform.xy(transform, rows, cols, offset="center")
    centres = np.column_stack([np.asarray(xs, float), np.asarray(ys, float)])
    out = np.full((height, width), NODATA, dtype=np.float32)
    geoms = premises.geometry.values if premises is not None else np.zeros(0, dtype=object)
    geoms = geoms[~pd.isna(geoms)] if len(geoms) else geoms
    if len(geoms) == 0:
        # the pipeline reports it as a warning of the run (pipeline.propose_layout)
        log.info(msg("access_no_premises").text("en"))
        return out, transform
    if paths is not None:
        legs = bool(rules.layout.network_legs) if rules is not None else True
        net = build_network(paths)
        distance = network_distance_to_nearest(
            net, shapely.get_coordinates(point_inside(geoms)), centres, legs=legs
        )
    else:
        tree = shapely.STRtree(geoms)
        (src, _), dist = tree.query_nearest(
            shapely.points(centres), return_distance=True, all_matches=False
        )
        distance = np.full(len(centres), np.nan)
        distance[src] = dist
    values = np.where(np.isfinite(distance), distance, NODATA).astype(np.float32)
    out[rows, cols] = values
    log.info(
        "Accessibility raster: %d × %d cells of %.0f m, %d inside communities, "
        "median distance %.0f m (%s)",
        width,
        height,
        cell_m,
        len(centres),
        float(np.nanmedian(distance)) if np.isfinite(distance).any() else float("nan"),
        "network" if paths is not None else "straight line",
    )
    return out, transform


def sample(
    array: np.ndarray, transform: Affine, xy: np.ndarray, *, nodata: float = NODATA
) -> np.ndarray:
    """Values of the cells holding points ``xy`` (same CRS as the grid); NaN off the grid."""
    if len(xy) == 0:
        return np.zeros(0)
    cols, rows = _apply(~transform, xy[:, 0], xy[:, 1])
    rows = np.floor(np.asarray(rows)).astype(np.int64)
    cols = np.floor(np.asarray(cols)).astype(np.int64)
    ok = (rows >= 0) & (rows < array.shape[0]) & (cols >= 0) & (cols < array.shape[1])
    out = np.full(len(xy), np.nan)
    out[ok] = array[rows[ok], cols[ok]]
    out[out == nodata] = np.nan
    return out


def estate_access(
    estates: gpd.GeoDataFrame, array: np.ndarray, transform: Affine, *, rules: RuleSet
) -> pd.DataFrame:
    """Read the accessibility raster at each estate (its centroid): the households beyond reach.

    Returns
    -------
    DataFrame
        Indexed like ``estates``: ``access_distance_m`` (NaN off the communities) and
        ``beyond_walk`` (farther than ``rules.layout.walking_distance_m``). Sum the households
        where ``beyond_walk`` for the count (the raster resolves distances to the cell: ± half a
        cell diagonal).
    """
    value = sample(array, transform, shapely.get_coordinates(estates.geometry.centroid.values))
    return pd.DataFrame(
        {
            "access_distance_m": np.round(value, 1),
            "beyond_walk": np.nan_to_num(value, nan=-1.0) > rules.layout.walking_distance_m,
        },
        index=estates.index,
    )


def households_beyond_walk(
    estates: gpd.GeoDataFrame, array: np.ndarray, transform: Affine, *, rules: RuleSet
) -> int:
    """Households of the estates the raster puts beyond the walking distance (R7)."""
    access = estate_access(estates, array, transform, rules=rules)
    households = pd.to_numeric(estates["households"], errors="coerce").fillna(0)
    return int(households[access["beyond_walk"]].sum())


# --------------------------------------------------------------------------- population raster


@dataclass
class HouseholdEstimate:
    """Households from a population raster (:func:`estimate_households`).

    ``table`` is indexed like the estates: ``households`` (Int64: the given count, else the
    estimate, else NA), ``households_estimated`` (bool) and ``raster_residents`` (the
    area-weighted sum of the raster under the estate; NaN where not computed or off the
    raster's valid cells).
    """

    table: pd.DataFrame
    warnings: list[Problem] = field(default_factory=list)


def _open_checked(path: Path) -> rasterio.io.DatasetReader:
    if not path.exists():
        raise InputError([Problem(path.name, msg("raster_not_found", path=path))])
    src = rasterio.open(path)
    problems = []
    if src.crs is None:
        problems.append(Problem(path.name, msg("raster_no_crs")))
    if src.nodata is None:
        problems.append(Problem(path.name, msg("raster_no_nodata")))
    if problems:
        src.close()
        raise InputError(problems)
    return src


def _cell_polygons(transform: Affine, row0: int, col0: int, nrows: int, ncols: int) -> np.ndarray:
    """Polygons of a block of cells, from the transform (rotation and shear included)."""
    r, c = np.meshgrid(np.arange(row0, row0 + nrows), np.arange(col0, col0 + ncols), indexing="ij")
    corners = []
    for dr, dc in ((0, 0), (0, 1), (1, 1), (1, 0), (0, 0)):
        x, y = _apply(transform, (c + dc).ravel().astype(float), (r + dr).ravel().astype(float))
        corners.append(np.column_stack([x, y]))
    return shapely.polygons(np.stack(corners, axis=1))


def raster_sums(
    geometries: gpd.GeoSeries,
    raster_path: str | Path,
    *,
    among: gpd.GeoSeries | None = None,
) -> pd.Series:
    """Sum of a raster under each polygon, computed in the raster's own CRS.

    Without ``among``, each cell contributes its value × the share of the *cell* the polygon
    covers (the value is taken as spread evenly over the cell). With ``among`` (all the
    residential polygons, the ``geometries`` among them), a cell's value is shared among the
    polygons that overlap it in proportion to the overlapped area (dasymetric: residents live
    in the estates, not in the streets between them). Nodata cells contribute nothing; a
    polygon over no valid cell gets NaN.

    Raises
    ------
    InputError
        The raster is missing, has no CRS or no nodata value.
    """
    path = Path(raster_path)
    if geometries.crs is None:
        raise InputError(
            [Problem("estates", msg("layout_crs", crs="—", working=crs_mod.GK3_RANGE))]
        )
    out = pd.Series(np.nan, index=geometries.index, name="raster_residents")
    if len(geometries) == 0:
        return out
    with _open_checked(path) as src:
        local = geometries.to_crs(src.crs).values
        others = among.to_crs(src.crs).values if among is not None else None
        others_tree = shapely.STRtree(others) if others is not None else None
        nodata = src.nodata
        inverse = ~src.transform
        whole = src.read(1) if src.width * src.height <= 50_000_000 else None
        for k, geom in enumerate(local):
            if geom is None or shapely.is_empty(geom):
                continue
            minx, miny, maxx, maxy = shapely.bounds(geom)
            cols, rows = _apply(
                inverse, np.array([minx, maxx, maxx, minx]), np.array([miny, miny, maxy, maxy])
            )
            c0 = max(0, int(np.floor(np.min(cols))))
            c1 = min(src.width, int(np.ceil(np.max(cols))))
            r0 = max(0, int(np.floor(np.min(rows))))
            r1 = min(src.height, int(np.ceil(np.max(rows))))
            if c1 <= c0 or r1 <= r0:
                continue
            block = (
                whole[r0:r1, c0:c1]
                if whole is not None
                else src.read(1, window=Window(c0, r0, c1 - c0, r1 - r0))
            )
            cells = _cell_polygons(src.transform, r0, c0, r1 - r0, c1 - c0)
            values = block.ravel().astype(float)
            valid = np.isfinite(values) & (values != nodata)
            if not valid.any():
                continue
            cells, values = cells[valid], values[valid]
            covered = shapely.area(robust_overlay(shapely.intersection, cells, geom))
            if others_tree is not None and others is not None:
                ci, oi = others_tree.query(cells, predicate="intersects")
                residential = np.bincount(
                    ci,
                    weights=shapely.area(
                        robust_overlay(shapely.intersection, cells[ci], others[oi])
                    ),
                    minlength=len(cells),
                )
                denominator = np.maximum(residential, covered)
            else:
                denominator = shapely.area(cells)
            share = np.divide(
                covered, denominator, out=np.zeros_like(covered), where=denominator > 0
            )
            if share.sum() <= 0:
                continue
            out.iloc[k] = float((values * share).sum())
    return out


def estimate_households(
    estates: gpd.GeoDataFrame,
    raster_path: str | Path,
    *,
    household_size: float,
    rules: RuleSet | None = None,
    only_missing: bool = True,
) -> HouseholdEstimate:
    """Households of estates without a count, from the population raster (DESIGN, R1).

    households = round(Σ cell residents × the estate's share of the cell ÷ ``household_size``),
    over the raster's valid cells, in the raster's own CRS (see :func:`raster_sums`).

    Parameters
    ----------
    estates : GeoDataFrame
        Estate polygons (any CRS with a definition; EPSG:4549 from ``load_layers``) with a
        ``households`` column (missing values are estimated).
    raster_path : path
        Residents per cell (GeoTIFF), any CRS, with a nodata value.
    household_size : float
        Persons per household (``PlanningData.household_size``, 2.66).
    rules : RuleSet, optional
        ``layout.population_split``: ``estates_area`` (default: a cell's residents are shared
        among the estates overlapping it by overlapped area) or ``cell_area`` (spread evenly
        over the cell).
    only_missing : bool
        Compute the raster sum only for estates without a count (default); else for all, to
        compare (``households`` still keeps the given counts).

    Returns
    -------
    HouseholdEstimate

    Raises
    ------
    InputError
        The raster is missing, has no CRS or no nodata value.
    """
    split = str(rules.layout.population_split) if rules is not None else "estates_area"
    given = pd.to_numeric(
        estates.get("households", pd.Series(np.nan, index=estates.index)), errors="coerce"
    )
    missing = given.isna()
    todo = estates.index[missing] if only_missing else estates.index
    residents = pd.Series(np.nan, index=estates.index, name="raster_residents")
    among = estates.geometry if split == "estates_area" else None
    if len(todo):
        residents.loc[todo] = raster_sums(
            estates.geometry.loc[todo], raster_path, among=among
        ).to_numpy()
    estimate = (residents / float(household_size)).round()
    use = missing & estimate.notna()
    households = given.where(~use, estimate).astype("Int64")
    table = pd.DataFrame(
        {
            "households": households,
            "households_estimated": use,
            "raster_residents": residents.round(1),
        },
        index=estates.index,
    )
    warnings = []
    ids = (
        estates["estate_id"]
        if "estate_id" in estates
        else pd.Series(estates.index, index=estates.index)
    )
    if use.any():
        warnings.append(
            Problem(
                "estates",
                msg(
                    "raster_estimated",
                    n=int(use.sum()),
                    size=household_size,
                    rows=format_rows(ids[use]),
                ),
            )
        )
    lost = missing & ~use
    if lost.any():
        warnings.append(
            Problem(
                "estates",
                msg("raster_no_estimate", n=int(lost.sum()), rows=format_rows(ids[lost])),
            )
        )
    log.info(
        "Estimated households of %d estates from %s (%d without a valid cell)",
        int(use.sum()),
        Path(raster_path).name,
        int(lost.sum()),
    )
    return HouseholdEstimate(table, warnings)
