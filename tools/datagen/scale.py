"""Scale data for benchmarks: same-schema layers of any size, up to a province.

:func:`generate_scale` writes communities, estates and premises as GeoPackages in EPSG:4549,
with English field names and values. The work is vectorised: 5,000 communities, 100,000
estates and 10,000 premises take well under a minute. Deterministic for a given seed.

    python -m tools.datagen.scale OUT_DIR --communities 22 --estates 450 --premises 60
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from tools.datagen.common import (
    ESTATE_AREA_RANGE_M2,
    FUNCTIONS_ZH,
    HOUSEHOLDS_RANGE,
    NAME_WORDS,
    PREMISES_NAME,
    TENURES_ZH,
    WORK_CRS,
    round_geoms,
    snap_cells,
    voronoi_cells,
    write_gpkg,
)

logger = logging.getLogger(__name__)

__all__ = ["generate_scale"]

_CENTRE = (500_000.0, 3_300_000.0)  # EPSG:4549, central Zhejiang
_BLOCK_M = 280.0
_COMMUNITY_AREA_M2 = 2.0e6
_FUNCTIONS = np.array(list(FUNCTIONS_ZH))
_TENURES = np.array(list(TENURES_ZH))


def _char_names(index: np.ndarray, words: Sequence[str], suffix: str) -> np.ndarray:
    """Vectorised synthetic names: two different words, a number beyond the combinations."""
    w = np.array(words)
    n = len(w)
    first = index % n
    second = (first + 1 + (index // n) % (n - 1)) % n
    lap = index // (n * (n - 1))
    stem = np.char.add(w[first], w[second])
    stem = np.where(lap > 0, np.char.add(stem, (lap + 1).astype(str)), stem)
    return np.char.add(stem, suffix)


@dataclass(frozen=True)
class _Grid:
    """The region: a rectangle of ``nbx`` × ``nby`` street blocks, tiled by communities."""

    x0: float
    y0: float
    nbx: int
    nby: int
    n_blocks: int  # blocks wanted for the estates
    cols: int  # communities per row of the seed grid
    communities: np.ndarray  # polygons, snapped to 1 cm


def _grid(n_communities: int, n_estates: int, rng: np.random.Generator) -> _Grid:
    """The region and its communities: a Voronoi tessellation of a jittered grid of seeds."""
    p = _BLOCK_M
    n_blocks = math.ceil(1.6 * n_estates) + 16
    area = max(n_communities * _COMMUNITY_AREA_M2, n_blocks * p * p)
    nbx = math.ceil(math.sqrt(area) / p)
    nby = math.ceil(area / (p * p) / nbx)
    width, height = nbx * p, nby * p
    if width > 300_000 or height > 600_000:
        raise ValueError("too large for EPSG:4549's valid area; use fewer features")
    x0 = round(_CENTRE[0] - width / 2)
    y0 = round(_CENTRE[1] - height / 2)
    region = shapely.box(x0, y0, x0 + width, y0 + height)
    cols = max(1, math.ceil(math.sqrt(n_communities * width / height)))
    rows = math.ceil(n_communities / cols)
    k = np.arange(n_communities)
    px, py = width / cols, height / rows
    seeds = np.column_stack(
        [
            x0 + (k % cols + 0.5 + rng.uniform(-0.35, 0.35, n_communities)) * px,
            y0 + (k // cols + 0.5 + rng.uniform(-0.35, 0.35, n_communities)) * py,
        ]
    ).round(2)
    comm = snap_cells(voronoi_cells(seeds, region), seeds, grid_m=0.01)
    return _Grid(x0, y0, nbx, nby, n_blocks, cols, comm)


def _estate_shapes(
    grid: _Grid, n_estates: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, int]:
    """Estate rectangles set back inside random blocks, each clipped into its community except
    about 1 % left straddling a boundary.

    Returns the polygons, the community of each (by centroid) and the number straddling.
    """
    p, comm = _BLOCK_M, grid.communities
    bidx = rng.permutation(grid.nbx * grid.nby)[: min(grid.n_blocks, grid.nbx * grid.nby)]
    bx = grid.x0 + (bidx % grid.nbx) * p
    by = grid.y0 + (bidx // grid.nbx) * p
    m = len(bidx)
    w = p * rng.uniform(0.35, 0.85, m)
    h = p * rng.uniform(0.35, 0.85, m)
    ex = bx + 10 + rng.uniform(0, 1, m) * (p - 20 - w)
    ey = by + 10 + rng.uniform(0, 1, m) * (p - 20 - h)
    est = shapely.box(ex, ey, ex + w, ey + h)
    centroids = shapely.points(ex + w / 2, ey + h / 2)
    pt_i, cm_i = shapely.STRtree(comm).query(centroids, predicate="intersects")
    first = np.unique(pt_i, return_index=True)[1]
    home = np.full(m, -1)
    home[pt_i[first]] = cm_i[first]
    if (home < 0).any():
        raise RuntimeError("an estate centroid fell outside every community")
    inner1 = shapely.buffer(comm, -1.0, join_style="mitre")
    inner3 = shapely.buffer(comm, -3.0, join_style="mitre")
    crossing = ~shapely.within(est, inner1[home])
    cross_idx = np.flatnonzero(crossing)
    n_strad = min(len(cross_idx), max(1, round(0.01 * n_estates))) if n_estates else 0
    clip_idx = cross_idx[n_strad:]
    est[clip_idx] = shapely.intersection(est[clip_idx], inner3[home[clip_idx]])
    est = round_geoms(est)
    a = shapely.area(est)
    valid = (
        shapely.is_valid(est)
        & (shapely.get_type_id(est) == 3)
        & (a >= ESTATE_AREA_RANGE_M2[0])
        & (a <= ESTATE_AREA_RANGE_M2[1])
    )
    chosen = np.flatnonzero(valid)[:n_estates]
    if len(chosen) < n_estates:
        raise RuntimeError("not enough room for the estates")
    chosen = np.sort(chosen)
    return est[chosen], home[chosen], n_strad


def _estates(est: np.ndarray, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The estates layer: attributes drawn for every polygon."""
    n = len(est)
    a = shapely.area(est)
    old = rng.random(n) < 0.4
    year = np.where(old, rng.integers(1980, 2000, n), rng.integers(2000, 2023, n))
    u = rng.random(n)
    enclosure = np.where(
        old,
        np.where(u < 0.55, "open", np.where(u < 0.8, "semi_open", "enclosed")),
        np.where(u < 0.1, "open", np.where(u < 0.25, "semi_open", "enclosed")),
    )
    u = rng.random(n)
    facade = np.where(u < 0.6, "good", np.where(u < 0.9, "fair", "damaged"))
    u = rng.random(n)
    condition = np.where(u < 0.5, "good", np.where(u < 0.8, "fair", "poor"))
    surveyed = rng.random(n) < 0.1
    # about 175 households an estate: ~20 estates make a community of 1,500-4,000 households
    households = np.clip(
        np.round(100 + a / 10_000 * rng.lognormal(np.log(30.0), 0.5, n)), *HOUSEHOLDS_RANGE
    ).astype(np.int64)
    ids = np.char.add("E", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    name_idx = rng.integers(0, len(NAME_WORDS) * (len(NAME_WORDS) - 1), n)
    suffix = np.where(old, "小区", "花园")
    return gpd.GeoDataFrame(
        {
            "estate_id": ids,
            "name": np.char.add(_char_names(name_idx, NAME_WORDS, ""), suffix),
            "households": households,
            "built_year": pd.array(np.where(rng.random(n) < 0.02, pd.NA, year), dtype="Int64"),
            "enclosure": enclosure,
            "property_management": rng.random(n) < np.where(old, 0.55, 0.93),
            "facade": facade,
            "condition": condition,
            "survey_participation": np.where(surveyed, rng.uniform(0.4, 0.95, n).round(2), np.nan),
            "survey_support": np.where(surveyed, rng.uniform(0.5, 0.98, n).round(2), np.nan),
            "commercial_frontage": rng.beta(1.6, 5.5, n).round(2),
        },
        geometry=est,
        crs=WORK_CRS,
    )


def _communities(
    grid: _Grid, home: np.ndarray, households: np.ndarray, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The communities layer: codes, names, streets (3 × 3 blocks of the grid), attributes."""
    n_communities, cols = len(grid.communities), grid.cols
    hh = np.bincount(home, weights=households, minlength=n_communities)
    cidx = np.arange(n_communities)
    street = (cidx // cols) // 3 * math.ceil(cols / 3) + (cidx % cols) // 3
    population = np.round(hh * rng.uniform(2.4, 2.9, n_communities)).astype(np.int64)
    return gpd.GeoDataFrame(
        {
            "community_id": np.char.add("3399", np.char.zfill((cidx + 1).astype(str), 8)),
            "name": _char_names(cidx, NAME_WORDS, "社区"),
            "street": _char_names(street, NAME_WORDS[::-1], "街道"),
            "kind": np.where(rng.random(n_communities) < 0.1, "village_to_residence", "urban"),
            "population": pd.array(
                np.where(rng.random(n_communities) < 0.05, pd.NA, population), dtype="Int64"
            ),
            # None, not pd.NA: GDAL writes an object column's pd.NA as the text '<NA>'
            "standard": pd.array(
                ["renovated" if r else None for r in rng.random(n_communities) < 0.02],
                dtype=object,
            ),
        },
        geometry=grid.communities,
        crs=WORK_CRS,
    )


def _premises(
    communities: gpd.GeoDataFrame, n_premises: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """The premises layer: points drawn inside random communities (20 m from their edge)."""
    comm = communities.geometry.values
    pc = rng.integers(0, len(communities), n_premises)
    shrunk = shapely.buffer(comm, -20.0, join_style="mitre")
    bounds = shapely.bounds(shrunk)
    px_ = np.zeros(n_premises)
    py_ = np.zeros(n_premises)
    todo = np.arange(n_premises)
    while len(todo):
        b = bounds[pc[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(shrunk[pc[todo]], x, y)
        px_[todo[ok]], py_[todo[ok]] = x[ok].round(2), y[ok].round(2)
        todo = todo[~ok]
    fn_idx = np.where(
        np.arange(n_premises) % 3 == 0, 0, rng.integers(1, len(_FUNCTIONS), n_premises)
    )
    fn_names = np.array([PREMISES_NAME[f] for f in _FUNCTIONS])
    tenure = _TENURES[rng.integers(0, len(_TENURES), n_premises)]
    floor_area = np.round(rng.lognormal(np.log(450.0), 0.6, n_premises).clip(40, 4000), 1)
    cost = np.where(
        np.isin(tenure, ["new_build", "renovated"]),
        np.round(floor_area * np.where(tenure == "new_build", 3300, 900), -3),
        np.nan,
    )
    rent = np.where(tenure == "leased", np.round(floor_area * 220, -2), np.nan)
    coded = rng.random(n_premises) >= 0.02
    return gpd.GeoDataFrame(
        {
            "premises_id": np.char.add(
                "P", np.char.zfill(np.arange(1, n_premises + 1).astype(str), 6)
            ),
            "community_id": np.where(
                coded, communities["community_id"].to_numpy()[pc].astype(str), None
            ),
            "name": np.char.add(communities["name"].to_numpy()[pc].astype(str), fn_names[fn_idx]),
            "function": _FUNCTIONS[fn_idx],
            "floor_area_m2": floor_area,
            "floor": np.where(rng.random(n_premises) < 0.85, 1, rng.integers(2, 5, n_premises)),
            "tenure": tenure,
            "cost_yuan": pd.array(np.where(np.isnan(cost), pd.NA, cost), dtype="Int64"),
            "annual_rent_yuan": pd.array(np.where(np.isnan(rent), pd.NA, rent), dtype="Int64"),
            "status": np.where(rng.random(n_premises) < 0.1, "planned", "existing"),
        },
        geometry=shapely.points(px_, py_),
        crs=WORK_CRS,
    )


def _counties(
    communities: gpd.GeoDataFrame, estates: gpd.GeoDataFrame, n_counties: int
) -> gpd.GeoDataFrame:
    """Communities cut into ``n_counties`` x-stripes (see :func:`generate_scale`)."""
    if not 1 <= n_counties <= 99:
        raise ValueError("n_counties must be 1-99")
    x = communities.geometry.centroid.x.to_numpy()
    rank = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    county = rank * n_counties // len(communities)
    est_i, com_i = communities.sindex.query(estates.geometry.values, predicate="intersects")
    area = shapely.area(
        shapely.intersection(estates.geometry.values[est_i], communities.geometry.values[com_i])
    )
    pairs = pd.DataFrame({"estate": est_i[area > 0], "community": com_i[area > 0]})
    for _ in range(10):  # a straddling estate's communities join the county of the first
        first = (
            pd.Series(county[pairs["community"].to_numpy()], index=pairs.index)
            .groupby(pairs["estate"])
            .transform("min")
        )
        moved = county[pairs["community"].to_numpy()] != first.to_numpy()
        if not moved.any():
            break
        county[pairs["community"].to_numpy()[moved]] = first.to_numpy()[moved]
    out = communities.copy()
    code = np.char.add("3399", np.char.zfill((county + 1).astype(str), 2))
    seq = np.char.zfill((np.arange(len(out)) + 1).astype(str), 6)
    out["community_id"] = np.char.add(code, seq)
    out.insert(1, "county", code)
    return out


def generate_scale(
    out_dir: Path | str,
    *,
    n_communities: int,
    n_estates: int,
    n_premises: int,
    seed: int = 1,
    n_counties: int | None = None,
) -> dict[str, Path]:
    """Generate same-schema layers of any size for benchmarks.

    Communities tile a rectangle centred in Zhejiang (a Voronoi tessellation of a jittered
    grid, ~2 km² each); estates are rectangles of about 1-6.5 ha set back inside a 280 m block
    grid, none overlapping, each inside one community except about 1 % that straddle a
    boundary; premises are points inside communities. English field names and values.

    Parameters
    ----------
    out_dir : Path or str
        Folder to write ``communities.gpkg``, ``estates.gpkg`` and ``premises.gpkg`` to
        (EPSG:4549); created if missing.
    n_communities, n_estates, n_premises : int
        Feature counts (n_communities ≥ 1; the others ≥ 0).
    seed : int, optional
        Seed of ``numpy.random.default_rng``.
    n_counties : int, optional
        Cut the communities into about this many counties by x-stripes (equal numbers of
        communities; a community is moved into its neighbour's county when an estate
        straddles the two, so no estate straddles a county line) and give them a
        ``county`` field and 12-digit codes whose first 6 digits are the county
        (``3399`` + county + sequence; premises' ``community_id`` follow). None: no counties,
        the layers as before.

    Returns
    -------
    dict of str to Path
        ``communities``, ``estates`` and ``premises``.

    Examples
    --------
    >>> import tempfile
    >>> paths = generate_scale(tempfile.mkdtemp(), n_communities=2, n_estates=10, n_premises=3)
    >>> sorted(paths)
    ['communities', 'estates', 'premises']
    """
    if n_communities < 1 or n_estates < 0 or n_premises < 0:
        raise ValueError("n_communities must be ≥ 1 and the other counts ≥ 0")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    grid = _grid(n_communities, n_estates, rng)
    shapes, home, n_strad = _estate_shapes(grid, n_estates, rng)
    estates = _estates(shapes, rng)
    communities = _communities(grid, home, estates["households"].to_numpy(), rng)
    if n_counties is not None:
        communities = _counties(communities, estates, n_counties)
    premises = _premises(communities, n_premises, rng)
    paths = {
        "communities": out / "communities.gpkg",
        "estates": out / "estates.gpkg",
        "premises": out / "premises.gpkg",
    }
    write_gpkg(communities, paths["communities"], layer="communities")
    write_gpkg(estates, paths["estates"], layer="estates")
    write_gpkg(premises, paths["premises"], layer="premises")
    logger.info(
        "scale data written to %s: %d communities, %d estates (%d straddling), %d premises "
        "in %.1f s",
        out,
        n_communities,
        n_estates,
        n_strad,
        n_premises,
        time.perf_counter() - t0,
    )
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.datagen.scale OUT_DIR --communities N --estates N --premises N``."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.datagen.scale", description="Write scale data for benchmarks."
    )
    parser.add_argument("out_dir", type=Path, help="output folder")
    parser.add_argument("--communities", type=int, default=22)
    parser.add_argument("--estates", type=int, default=450)
    parser.add_argument("--premises", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    generate_scale(
        args.out_dir,
        n_communities=args.communities,
        n_estates=args.estates,
        n_premises=args.premises,
        seed=args.seed,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
