"""Geometry of the Deqing demo: the local design frame, the street blocks, shares and sums.

The demo is drawn in a local frame (metres, origin at the old town centre of Wukang, axes
along its street grid) and rotated and moved into EPSG:4549 (:func:`to_work`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from rasterio.transform import Affine

from tools.datagen.common import WORK_CRS
from tools.datagen.deqing_design import (
    BLOCK_SIDE_M,
    ENVELOPE_SEMI_AXES_M,
    PARCEL_AREA_RANGE_M2,
    ROTATION_DEG,
    WUKANG_LONLAT,
    RefCommunity,
)

logger = logging.getLogger(__name__)


def to_wgs84(geoms: np.ndarray) -> np.ndarray:
    tr = Transformer.from_crs(WORK_CRS, "EPSG:4326", always_xy=True)

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


def apportion(total: int, weights: np.ndarray, *, lo: int, hi: int) -> np.ndarray:
    """Split an integer total into integers within [lo, hi] proportionally to weights.

    Every share starts at ``lo``; what is left is spread in proportion to the weights, shares
    reaching ``hi`` are frozen and the rest spread again; the integer parts are then completed
    by the largest remainders. The result sums to ``total`` exactly.

    Parameters
    ----------
    total : int
        The integer to split.
    weights : numpy.ndarray
        Positive weights, one per share.
    lo, hi : int
        Bounds of every share.

    Returns
    -------
    numpy.ndarray
        Integer shares (int64).
    """
    n = len(weights)
    if not lo * n <= total <= hi * n:
        raise ValueError(f"cannot split {total} into {n} shares within [{lo}, {hi}]")
    alloc = np.full(n, float(lo))
    free = np.ones(n, dtype=bool)
    rest = float(total - lo * n)
    w = np.asarray(weights, dtype=float)
    while True:
        idx = np.flatnonzero(free)
        cand = alloc[idx] + rest * w[idx] / w[idx].sum()
        over = cand > hi
        if not over.any():
            alloc[idx] = cand
            break
        capped = idx[over]
        rest -= float((hi - alloc[capped]).sum())
        alloc[capped] = hi
        free[capped] = False
    base = np.floor(alloc + 1e-9)
    missing = int(round(total - base.sum()))
    order = np.argsort(-(alloc - base), kind="stable")
    base[order[:missing]] += 1
    return base.astype(np.int64)


def area_shares(polys: np.ndarray, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Area share of every polygon in every zone it overlaps.

    Returns
    -------
    tuple of numpy.ndarray
        (polygon index, zone index, share of the polygon's area), sorted by polygon then zone.
    """
    pi, zi = shapely.STRtree(zones).query(polys, predicate="intersects")
    order = np.lexsort((zi, pi))
    pi, zi = pi[order], zi[order]
    inter = shapely.area(shapely.intersection(polys[pi], zones[zi]))
    share = inter / shapely.area(polys[pi])
    keep = share > 1e-9
    return pi[keep], zi[keep], share[keep]


def major_zone(n: int, pi: np.ndarray, zi: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Zone holding the largest share of each polygon (-1 when none)."""
    major = np.full(n, -1, dtype=np.int64)
    best = np.zeros(n)
    for p, z, s in zip(pi, zi, share, strict=True):
        if s > best[p]:
            best[p], major[p] = s, z
    return major


def rotation() -> tuple[np.ndarray, np.ndarray]:
    """Rotation matrix and translation from the local design frame to EPSG:4549."""
    tr = Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)
    x0, y0 = tr.transform(*WUKANG_LONLAT)
    x0, y0 = round(x0), round(y0)
    a = math.radians(ROTATION_DEG)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return rot, np.array([x0, y0], dtype=float)


def to_work(geoms: np.ndarray) -> np.ndarray:
    rot, t = rotation()
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy @ rot.T + t)


def points_to_work(xy: np.ndarray) -> np.ndarray:
    rot, t = rotation()
    return xy @ rot.T + t


def demo_envelope(rng: np.random.Generator) -> shapely.Polygon:
    """A convex, slightly irregular ellipse: the central-city envelope (local frame)."""
    n = 24
    ang = np.linspace(0.0, 2 * math.pi, n, endpoint=False) + rng.uniform(-0.08, 0.08, n)
    r = rng.uniform(0.93, 1.06, n)
    a, b = ENVELOPE_SEMI_AXES_M
    xy = np.round(np.column_stack([a * r * np.cos(ang), b * r * np.sin(ang)]), 2)
    return shapely.convex_hull(shapely.multipoints(xy))


def lloyd_seeds(
    region: shapely.Geometry, n: int, rng: np.random.Generator, *, iterations: int = 30
) -> np.ndarray:
    """n well-spread seeds in a region (Lloyd relaxation on sample points)."""
    minx, miny, maxx, maxy = region.bounds
    pts = rng.uniform([minx, miny], [maxx, maxy], size=(60_000, 2))
    pts = pts[shapely.contains_xy(region, pts[:, 0], pts[:, 1])][:30_000]
    seeds = pts[rng.choice(len(pts), n, replace=False)]
    for _ in range(iterations):
        lab = ((pts[:, None, :] - seeds[None, :, :]) ** 2).sum(-1).argmin(1)
        seeds = np.array([pts[lab == k].mean(0) for k in range(n)])
    return np.round(seeds, 2)


def order_seeds(seeds: np.ndarray, refs: Sequence[RefCommunity]) -> np.ndarray:
    """Give seeds to communities: 舞阳 west, 阜溪 east, 武康 between; codes run outwards."""
    by_street: dict[str, list[RefCommunity]] = {}
    for ref in refs:
        by_street.setdefault(ref.street_code, []).append(ref)
    west, east = by_street["330521002"], by_street["330521003"]
    order = np.argsort(seeds[:, 0], kind="stable")
    groups = {
        "330521002": order[: len(west)],
        "330521003": order[len(order) - len(east) :],
        "330521001": order[len(west) : len(order) - len(east)],
    }
    out = np.empty_like(seeds)
    for street, idx in groups.items():
        members = sorted(by_street[street], key=lambda r: r.code)
        if street == "330521001":
            centre = np.zeros(2)  # the old town centre of Wukang
        else:
            centre = seeds[idx].mean(0)
        near = idx[np.argsort(np.hypot(*(seeds[idx] - centre).T), kind="stable")]
        for ref, k in zip(members, near, strict=True):
            out[refs.index(ref)] = seeds[k]
    return out


def _cuts(lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    pos = [lo - rng.uniform(0.0, 150.0)]
    while pos[-1] < hi:
        pos.append(pos[-1] + rng.uniform(*BLOCK_SIDE_M))
    return np.round(np.array(pos), 2)


@dataclass
class Blocks:
    """The street blocks of the central city (local frame)."""

    bounds: np.ndarray  # (n, 4) x0 y0 x1 y1, local frame
    merged: np.ndarray  # two blocks joined (a superblock: one large estate)
    xs: np.ndarray  # the street lines
    ys: np.ndarray


def demo_blocks(envelope: shapely.Polygon, rng: np.random.Generator) -> Blocks:
    """Street blocks fully inside the envelope (local frame), some joined into superblocks."""
    minx, miny, maxx, maxy = envelope.bounds
    xs, ys = _cuts(minx, maxx, rng), _cuts(miny, maxy, rng)
    inner = shapely.buffer(envelope, -20.0)
    shapely.prepare(inner)
    out: list[tuple[float, float, float, float]] = []
    merged: list[bool] = []
    for j in range(len(ys) - 1):
        i = 0
        while i < len(xs) - 1:
            if i + 2 < len(xs) and rng.random() < 0.07:
                big = (xs[i], ys[j], xs[i + 2], ys[j + 1])
                if inner.contains(shapely.box(*big)):
                    out.append(big)
                    merged.append(True)
                    i += 2
                    continue
            b = (xs[i], ys[j], xs[i + 1], ys[j + 1])
            if inner.contains(shapely.box(*b)):
                out.append(b)
                merged.append(False)
            i += 1
    return Blocks(np.array(out), np.array(merged), xs, ys)


def estate_rect(
    b: Sequence[float], rng: np.random.Generator, *, fill: tuple[float, float]
) -> tuple[shapely.Polygon, bool]:
    """An estate inside a (sub-)block: a rectangle set back from the streets, or an L."""
    margins = rng.uniform(8.0, 18.0, 4)
    x0, y0, x1, y1 = b[0] + margins[0], b[1] + margins[1], b[2] - margins[2], b[3] - margins[3]
    w, h = x1 - x0, y1 - y0
    fw, fh = rng.uniform(*fill, 2)
    ew, eh = w * fw, h * fh
    ox, oy = x0 + rng.uniform(0.0, w - ew), y0 + rng.uniform(0.0, h - eh)
    rect = shapely.box(ox, oy, ox + ew, oy + eh)
    l_shape, corner = rng.random() < 0.15, int(rng.integers(4))
    cw, ch = ew * rng.uniform(0.3, 0.45), eh * rng.uniform(0.3, 0.45)
    if l_shape:
        # the cut overshoots the rectangle so that no sliver survives along its sides
        x0c, x1c = (ox - 1.0, ox + cw) if corner in (0, 3) else (ox + ew - cw, ox + ew + 1.0)
        y0c, y1c = (oy - 1.0, oy + ch) if corner in (0, 1) else (oy + eh - ch, oy + eh + 1.0)
        rect = shapely.difference(rect, shapely.box(x0c, y0c, x1c, y1c))
    return shapely.normalize(rect), not l_shape


def split_block(
    b: Sequence[float], parts: int, rng: np.random.Generator
) -> list[tuple[float, ...]]:
    """Split a block by internal lanes (10 m) into 1, 2 or 4 sub-blocks."""
    x0, y0, x1, y1 = b
    if parts == 1:
        return [tuple(b)]
    if parts == 2:
        f = rng.uniform(0.42, 0.58)
        if x1 - x0 >= y1 - y0:
            xm = x0 + f * (x1 - x0)
            return [(x0, y0, xm - 5, y1), (xm + 5, y0, x1, y1)]
        ym = y0 + f * (y1 - y0)
        return [(x0, y0, x1, ym - 5), (x0, ym + 5, x1, y1)]
    xm = x0 + rng.uniform(0.42, 0.58) * (x1 - x0)
    ym = y0 + rng.uniform(0.42, 0.58) * (y1 - y0)
    return [
        (x0, y0, xm - 5, ym - 5),
        (xm + 5, y0, x1, ym - 5),
        (x0, ym + 5, xm - 5, y1),
        (xm + 5, ym + 5, x1, y1),
    ]


def choose_parcels(
    blocks: Blocks,
    cells: np.ndarray,
    codes: list[str],
    small: set[int],
    rng: np.random.Generator,
) -> tuple[list[int], dict[int, str]]:
    """Pick the blocks given over to development parcels (local frame).

    Returns the chosen block indices (in parcel order) and the role of each:
    ``straddling`` (two communities, the larger holding 58-75 % of it), ``pair`` (two parcels in
    one community) and ``single``.
    """
    polys = shapely.buffer(shapely.box(*blocks.bounds.T), -10.0, join_style="mitre")
    area = shapely.area(polys)
    ok = (
        (~blocks.merged)
        & (area >= PARCEL_AREA_RANGE_M2[0] * 1.05)
        & (area <= PARCEL_AREA_RANGE_M2[1])
    )
    pi, zi, share = area_shares(polys, cells)
    n_zones = np.bincount(pi, minlength=len(polys))
    major = major_zone(len(polys), pi, zi, share)
    shrunk = shapely.buffer(cells, -3.0, join_style="mitre")
    inside = np.zeros(len(polys), dtype=bool)
    inside[major >= 0] = shapely.within(polys[major >= 0], shrunk[major[major >= 0]])
    dist = np.hypot(*shapely.get_coordinates(shapely.centroid(polys)).T)
    chosen: list[int] = []
    role: dict[int, str] = {}
    # one parcel straddling two communities
    for b in np.argsort(-dist, kind="stable"):
        if not ok[b] or n_zones[b] != 2:
            continue
        sel = pi == b
        if set(zi[sel]) & small:
            continue
        minor = share[sel].min()
        if 0.25 <= minor <= 0.42:
            chosen.append(int(b))
            role[int(b)] = "straddling"
            break
    # two parcels in one community (they share its shortfall)
    eligible = ok & inside & ~np.isin(major, list(small))
    eligible[chosen] = False
    counts = np.bincount(major[eligible], minlength=len(cells))
    pair_zone = int(np.argmax(counts))  # the most room for development; ties: lowest code
    pair = [
        int(b) for b in np.argsort(-dist, kind="stable") if eligible[b] and major[b] == pair_zone
    ]
    for b in pair[:2]:
        chosen.append(b)
        role[b] = "pair"
    # single parcels in other communities, at the edge of town
    used = {pair_zone} | {int(major[b]) for b in chosen}
    for b in np.argsort(-dist, kind="stable"):
        if len(chosen) >= 8:
            break
        if eligible[b] and int(major[b]) not in used and rng.random() < 0.6:
            chosen.append(int(b))
            role[int(b)] = "single"
            used.add(int(major[b]))
    if len(chosen) < 6 or "straddling" not in role.values():
        raise RuntimeError("could not place the development parcels")
    logger.debug("parcels in blocks %s (pair community %s)", chosen, codes[pair_zone])
    return chosen, role


def population_raster(
    estates: np.ndarray, residents: np.ndarray, city: shapely.Geometry, *, cell_m: float
) -> tuple[np.ndarray, Any]:
    """Residents per cell: each estate's residents spread over its cells by area share.

    Cells touching neither the central city nor an estate are nodata (-9999).
    """
    minx, miny, maxx, maxy = shapely.total_bounds(np.append(estates, city))
    x0 = math.floor(minx / cell_m) * cell_m - cell_m
    y1 = math.ceil(maxy / cell_m) * cell_m + cell_m
    ncols = int(math.ceil((maxx - x0) / cell_m)) + 1
    nrows = int(math.ceil((y1 - miny) / cell_m)) + 1
    cols, rows = np.meshgrid(np.arange(ncols), np.arange(nrows))
    cx0 = x0 + cols.ravel() * cell_m
    cy1 = y1 - rows.ravel() * cell_m
    cells = shapely.box(cx0, cy1 - cell_m, cx0 + cell_m, cy1)
    ei, ci = shapely.STRtree(cells).query(estates, predicate="intersects")
    frac = shapely.area(shapely.intersection(estates[ei], cells[ci])) / shapely.area(estates[ei])
    values = np.zeros(len(cells))
    np.add.at(values, ci, residents[ei] * frac)
    valid = shapely.intersects(cells, city)
    valid[ci] = True
    grid = np.where(valid, values, -9999.0).astype(np.float32).reshape(nrows, ncols)
    return grid, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1)
