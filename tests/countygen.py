"""Generated counties: seeded random layers folders that nobody here wrote (issue 10).

:func:`generate_county` draws a small, *valid* layers folder from a seed and writes it the way
real counties bring their data, varying what they vary:

- every optional field absent, all empty, partly filled or full; empty cells written as
  ``None``, ``''``, spaces or the word ``<NA>`` (what a table saved through ``str()`` holds);
- every enumeration value, in English (any case, padded) or in Chinese (every alias of
  :mod:`gis_planner.io.schema`); booleans as 有/无/是/否/yes/no/1/0 or real booleans;
- field names in English (truncated to 10 bytes in a Shapefile), in Chinese (every alias), or
  a county's own names mapped in ``planner.yaml``;
- estates and premises in no community, estates and parcels straddling community boundaries,
  estates on a regular grid with T-junctions (the GCJ-02 noise case of issue 10), R3 caps
  exceeded or not, communities with no estates or no premises, communities too small or too
  large, optional layers with zero features;
- each layer as GeoJSON (RFC 7946 or with a stated CRS), GeoPackage or GBK Shapefile (with or
  without ``.cpg``, with or without ``.prj`` plus a declared CRS), in EPSG:4549, 4326, 4490 or
  GCJ-02 lon/lat (``gcj02: true``), under its default name, its Chinese name or a file named
  in ``planner.yaml``;
- sometimes a ``households.csv``/``.xlsx`` table filling or replacing the estates' counts.

:func:`inject_fault` turns a drawn county into an *invalid* one with exactly one fault and
says what the message must name (:class:`Fault`).

The truth of a county (ids, households after the table, household size) is returned with it
(:class:`County`), so that tests check the outputs against what was written, not against
what was read.

Names never hold ``{{`` or ``{%`` (a Jinja template-injection bug of the map is being fixed
elsewhere); Chinese, spaces, quotes and ``<b>`` are fine.
"""

from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
import yaml
from shapely.geometry import LineString, Point, box

from gis_planner import crs as crs_mod
from gis_planner.io import schema

X0, Y0 = 497_000.0, 3_379_000.0  # EPSG:4549 metres, near Wukang (119.97 E, 30.54 N)
WORK = "EPSG:4549"
OPTIONAL_LAYERS = (
    "estates",
    "premises",
    "planned_roads",
    "development_parcels",
    "candidate_sites",
    "county_outline",
    "paths",
    "barriers",
)
FORMATS = ("geojson", "gpkg", "shp")
#: what an empty cell of an optional field holds in the file
BLANKS: tuple[Any, ...] = (None, "", "  ", "<NA>")
NAME_BITS = (
    "阳光",
    "幸福",
    "和平",
    "Riverside",
    'O\'Brien "East"',
    "<b>粗</b>",
    "新 村",
    "千秋",
    "武康",
    "Hé Píng",
    "金色 家园",
    "东苑",
)


@dataclass
class LayerPlan:
    """How one layer is written: frame (contract names), format, CRS, names."""

    name: str
    frame: gpd.GeoDataFrame
    fmt: str = "gpkg"
    crs: str = WORK  # EPSG code of the file, or "gcj02" (lon/lat shifted)
    file_stem: str | None = None  # None: the layer's default name
    columns: dict[str, str] = field(default_factory=dict)  # contract name -> file name
    mapped: dict[str, str] = field(default_factory=dict)  # file name -> contract (yaml)
    keep_cpg: bool = True
    keep_prj: bool = True  # False: .prj removed, CRS declared in planner.yaml
    declare_crs: bool = True  # False (a fault): a file without .prj and no declared CRS


@dataclass
class County:
    """A drawn county: what is written, and the truth to check the outputs against."""

    seed: int
    layers: dict[str, LayerPlan]
    table: pd.DataFrame | None = None  # households table (estate_id, households)
    table_fmt: str = "csv"
    table_columns: dict[str, str] = field(default_factory=dict)
    household_size: float | None = None  # planner.yaml household_size, if set
    notes: list[str] = field(default_factory=list)
    extra_config: dict[str, Any] = field(default_factory=dict)
    raster: bool = False  # a population.tif: estates without a count are estimated from it
    zone: str | None = None  # a county far from 120° E: drawn in this 3-degree zone instead
    folder: Path | None = None

    # --- the truth
    def ids(self, layer: str) -> list[str]:
        plan = self.layers.get(layer)
        spec = schema.VECTOR_LAYERS[layer]
        if plan is None or spec.id_field is None or not len(plan.frame):
            return []
        return [str(v) for v in plan.frame[spec.id_field]]

    def estate_households(self) -> dict[str, int]:
        """Households of every estate as the planner must count them (table applied)."""
        plan = self.layers.get("estates")
        if plan is None or not len(plan.frame):
            return {}
        counts = {
            str(e): _as_int(h)
            for e, h in zip(
                plan.frame["estate_id"],
                plan.frame.get("households", pd.Series([None] * len(plan.frame))),
                strict=True,
            )
        }
        if self.table is not None:
            for e, h in zip(self.table["estate_id"], self.table["households"], strict=True):
                if str(e) in counts:
                    counts[str(e)] = int(h)
        if self.raster:  # missing counts are estimated from the raster: None = any count
            return counts  # type: ignore[return-value]
        return {e: (h or 0) for e, h in counts.items()}

    def describe(self) -> str:
        parts = [f"seed={self.seed}"]
        for name, plan in self.layers.items():
            parts.append(
                f"{name}:{len(plan.frame)}×{plan.fmt}/{plan.crs}"
                f"{'' if plan.keep_cpg else '/no-cpg'}"
                f"{'' if plan.keep_prj else '/no-prj'}"
            )
        if self.table is not None:
            parts.append(f"table:{len(self.table)}×{self.table_fmt}")
        return " ".join(parts + self.notes)


def _as_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "<NA>")):
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA:
        return None
    return int(float(value))


# --------------------------------------------------------------------------- drawing


def _pick(rng: np.random.Generator, items: Any) -> Any:
    items = list(items)
    return items[int(rng.integers(len(items)))]


def _name(rng: np.random.Generator, suffix: str, i: int) -> str:
    return f"{_pick(rng, NAME_BITS)}{suffix}{i}"


def _enum_value(rng: np.random.Generator, spec_field: schema.Field, english: str) -> Any:
    """``english`` as a county may write it: English (any case, padded) or a Chinese alias."""
    chinese = [zh for zh, en in spec_field.values.items() if en == english]
    if chinese and rng.random() < 0.5:
        return _pick(rng, chinese)
    style = int(rng.integers(4))
    return (english, english.upper(), english.title(), f" {english} ")[style]


def _bool_value(rng: np.random.Generator, value: bool, text: bool) -> Any:
    if not text:
        return bool(value)
    words = [k for k, v in schema.BOOL.items() if v is value]
    return _pick(rng, words + ([str(value)] if rng.random() < 0.2 else []))


def _fill(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    column: str,
    values: list[Any],
    *,
    optional: bool = True,
) -> None:
    """Set an optional column absent, all empty, partly filled or full (or a required one)."""
    if not optional:
        frame[column] = pd.Series(values, index=frame.index, dtype=object)
        return
    mode = _pick(rng, ("absent", "empty", "partly", "full", "full"))
    if mode == "absent" or not len(frame):
        return
    blank = _pick(rng, BLANKS)
    if mode == "empty":
        frame[column] = pd.Series([blank] * len(frame), index=frame.index, dtype=object)
        return
    out = list(values)
    if mode == "partly":
        for i in range(len(out)):
            if rng.random() < 0.4:
                out[i] = blank if rng.random() < 0.7 else _pick(rng, BLANKS)
    frame[column] = pd.Series(out, index=frame.index, dtype=object)


def _communities(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    nx, ny = int(rng.integers(1, 4)), int(rng.integers(1, 3))
    size = float(rng.choice([300.0, 450.0, 600.0]))
    geoms, rows = [], []
    gap = rng.random() < 0.25  # one community shrunk: a gap that belongs to none
    numeric = rng.random() < 0.2  # ids as whole numbers (administrative codes)
    shrink = int(rng.integers(nx * ny)) if gap else -1
    # the vertical lines of each row are shifted a little: T-junctions between rows
    for j in range(ny):
        shift = float(rng.choice([0.0, size / 3])) if j else 0.0
        edges = [0.0] + [i * size + shift for i in range(1, nx)] + [nx * size]
        for i in range(nx):
            k = len(geoms)
            g = box(X0 + edges[i], Y0 + j * size, X0 + edges[i + 1], Y0 + (j + 1) * size)
            if k == shrink:
                g = g.buffer(-size / 6, join_style="mitre")
            geoms.append(g)
            code = (
                330521001 + k
                if numeric
                else f"C{k + 1:02d}"
                if rng.random() < 0.8
                else f"社区{k + 1}"
            )
            rows.append({"community_id": code, "name": _name(rng, "社区", k + 1)})
    if len(geoms) > 1 and rng.random() < 0.1:
        # digitised with an overlap of a few metres (a warning, not an error)
        geoms[0] = box(*geoms[0].bounds[:2], geoms[0].bounds[2] + 4.0, geoms[0].bounds[3])
    if rng.random() < 0.1:  # a hole (a school, a park that is no community's)
        c = geoms[-1].centroid
        geoms[-1] = geoms[-1].difference(box(c.x - 40, c.y - 40, c.x + 40, c.y + 40))
    if rng.random() < 0.15:  # an exclave: the last community in two pieces
        exclave = box(X0 + nx * size + 200, Y0, X0 + nx * size + 320, Y0 + 120)
        geoms[-1] = shapely.MultiPolygon([geoms[-1], exclave])
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=WORK)
    spec = schema.COMMUNITIES
    _fill(rng, frame, "street", [_pick(rng, ("武康街道", "舞阳街道", "阜溪街道")) for _ in geoms])
    _fill(
        rng,
        frame,
        "kind",
        [
            _enum_value(rng, spec.field("kind"), _pick(rng, ("urban", "village_to_residence")))
            for _ in geoms
        ],
    )
    _fill(rng, frame, "population", [int(rng.integers(0, 15000)) for _ in geoms])
    _fill(rng, frame, "households", [int(rng.integers(0, 5000)) for _ in geoms])
    _fill(
        rng,
        frame,
        "standard",
        [_enum_value(rng, spec.field("standard"), _pick(rng, ("new", "renovated"))) for _ in geoms],
    )
    extent = {"nx": nx, "ny": ny, "size": size, "width": nx * size, "height": ny * size}
    return frame, extent


def _estates(rng: np.random.Generator, extent: dict[str, Any]) -> gpd.GeoDataFrame:
    width, height, size = extent["width"], extent["height"], extent["size"]
    geoms: list[shapely.Geometry] = []
    if rng.random() < 0.3:
        # a regular grid of estates sharing edges, with T-junctions (one estate spans two
        # cells beside two that do not): the GCJ-02 noise case of issue 10
        pitch = size / 2
        for j in range(int(height // pitch)):
            i = 0
            while i < int(width // pitch):
                span = 2 if (rng.random() < 0.3 and i + 2 <= width // pitch) else 1
                geoms.append(
                    box(
                        X0 + i * pitch,
                        Y0 + j * pitch,
                        X0 + (i + span) * pitch,
                        Y0 + (j + 1) * pitch,
                    )
                )
                i += span
        geoms = [g for g in geoms if rng.random() < 0.85] or geoms[:1]
    else:
        pitch = float(rng.choice([90.0, 130.0, 170.0]))
        ox, oy = rng.uniform(-pitch, 0, size=2)
        nx = int((width + 2 * pitch) // pitch) + 1
        ny = int((height + 2 * pitch) // pitch) + 1
        for j in range(ny):
            for i in range(nx):
                if rng.random() > 0.35:
                    continue
                x = X0 + ox + i * pitch
                y = Y0 + oy + j * pitch
                w, h = rng.uniform(0.4, 0.95, size=2) * pitch
                geoms.append(box(x, y, x + w, y + h))
        if rng.random() < 0.3:  # an estate well outside every community
            geoms.append(box(X0 + width + 150, Y0 - 40, X0 + width + 260, Y0 + 60))
        geoms = geoms[:16]
    if geoms and rng.random() < 0.15:  # two estates overlap (digitised twice, a little off)
        g = geoms[int(rng.integers(len(geoms)))]
        geoms.append(shapely.affinity.translate(g, xoff=(g.bounds[2] - g.bounds[0]) * 0.4))
    if geoms and rng.random() < 0.1:  # an estate with a courtyard cut out, or in two parts
        k = int(rng.integers(len(geoms)))
        g = geoms[k]
        c = g.centroid
        inner = box(c.x - 5, c.y - 5, c.x + 5, c.y + 5)
        geoms[k] = (
            g.difference(inner)
            if rng.random() < 0.5
            else shapely.MultiPolygon(
                [g, shapely.affinity.translate(g, yoff=(g.bounds[3] - g.bounds[1]) * 1.5)]
            )
        )
    if rng.random() < 0.04:  # every estate outside every community
        geoms = [shapely.affinity.translate(g, xoff=width + 600) for g in geoms]
    rows = []
    numeric = rng.random() < 0.15
    for k, _ in enumerate(geoms):
        code = 1001 + k if numeric else f"E{k + 1:03d}" if rng.random() < 0.9 else f"小区-{k + 1}"
        rows.append({"estate_id": code, "name": _name(rng, "小区", k + 1)})
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=WORK)
    spec = schema.ESTATES
    big = rng.random() < 0.3  # large estates: communities too large
    frame["households"] = pd.Series(
        [int(rng.integers(0, 2600 if big else 900)) for _ in geoms], dtype=object
    )
    this_year = _dt.date.today().year
    _fill(rng, frame, "built_year", [int(rng.integers(1960, this_year + 1)) for _ in geoms])
    _fill(
        rng,
        frame,
        "enclosure",
        [
            _enum_value(rng, spec.field("enclosure"), _pick(rng, ("open", "semi_open", "enclosed")))
            for _ in geoms
        ],
    )
    text_bool = rng.random() < 0.6
    _fill(
        rng,
        frame,
        "property_management",
        [_bool_value(rng, bool(rng.random() < 0.5), text_bool) for _ in geoms],
    )
    _fill(
        rng,
        frame,
        "facade",
        [
            _enum_value(rng, spec.field("facade"), _pick(rng, ("good", "fair", "damaged")))
            for _ in geoms
        ],
    )
    _fill(
        rng,
        frame,
        "condition",
        [
            _enum_value(rng, spec.field("condition"), _pick(rng, ("good", "fair", "poor")))
            for _ in geoms
        ],
    )
    for share in ("survey_participation", "survey_support", "commercial_frontage"):
        percent = rng.random() < 0.2
        values = [
            (int(rng.integers(0, 101)) if percent else round(float(rng.random()), 3)) for _ in geoms
        ]
        if percent and values:
            values[0] = 100  # a value above 1: read as percentages
        _fill(rng, frame, share, values)
    return frame


def _random_point(rng: np.random.Generator, geom: shapely.Geometry) -> Point:
    xmin, ymin, xmax, ymax = geom.bounds
    for _ in range(50):
        p = Point(rng.uniform(xmin, xmax), rng.uniform(ymin, ymax))
        if geom.contains(p):
            return p
    return geom.representative_point()


def _premises(
    rng: np.random.Generator, communities: gpd.GeoDataFrame, extent: dict[str, Any]
) -> gpd.GeoDataFrame:
    n = int(rng.integers(1, 9))
    spec = schema.PREMISES
    ids = list(communities["community_id"])
    rows, geoms = [], []
    polygons = rng.random() < 0.2
    multipoints = not polygons and rng.random() < 0.1
    rich = rng.random() < 0.5  # costs large enough to exceed the R3 caps
    for k in range(n):
        outside = rng.random() < 0.15
        if outside:
            p = Point(X0 - 120 - rng.uniform(0, 80), Y0 + rng.uniform(0, extent["height"]))
            cid = None
        else:
            c = int(rng.integers(len(communities)))
            p = _random_point(rng, communities.geometry.iloc[c])
            cid = ids[c] if rng.random() < 0.6 else None
        geoms.append(
            p.buffer(12, cap_style="square")
            if polygons
            else shapely.MultiPoint([p])
            if multipoints
            else p
        )
        tenure = _pick(rng, ("new_build", "developer_built", "renovated", "leased", "purchased"))
        rows.append(
            {
                "premises_id": f"P{k + 1:02d}" if rng.random() < 0.9 else f"用房 {k + 1}",
                "community_id": cid,
                "function": _enum_value(rng, spec.field("function"), _pick(rng, schema.FUNCTIONS)),
                "floor_area_m2": round(float(rng.uniform(30, 2400)), 1),
                "tenure": _enum_value(rng, spec.field("tenure"), tenure),
                "_tenure": tenure,
            }
        )
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=WORK)
    # the codes as written (a column of whole numbers and None would turn into floats)
    frame["community_id"] = pd.Series(
        [r["community_id"] for r in rows], index=frame.index, dtype=object
    )
    tenures = frame.pop("_tenure")
    if frame["community_id"].isna().all() and rng.random() < 0.5:
        frame = frame.drop(columns="community_id")
    else:
        blank = _pick(rng, BLANKS)
        frame["community_id"] = (
            frame["community_id"].astype(object).where(frame["community_id"].notna(), blank)
        )
    _fill(rng, frame, "name", [_name(rng, "用房", k + 1) for k in range(n)])
    _fill(rng, frame, "floor", [int(rng.integers(1, 5)) for _ in range(n)])
    top = 5_000_000 if rich else 800_000
    _fill(rng, frame, "cost_yuan", [round(float(rng.uniform(0, top)), 2) for _ in range(n)])
    _fill(
        rng,
        frame,
        "annual_rent_yuan",
        [
            round(float(rng.uniform(0, 400_000 if rich else 60_000)), 2)
            if t == "leased" or rng.random() < 0.3
            else None
            for t in tenures
        ],
    )
    _fill(
        rng,
        frame,
        "status",
        [
            _enum_value(rng, spec.field("status"), _pick(rng, ("existing", "existing", "planned")))
            for _ in range(n)
        ],
    )
    return frame


def _lines(rng: np.random.Generator, extent: dict[str, Any], n: int) -> list[LineString]:
    w, h = extent["width"], extent["height"]
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            y = Y0 + rng.uniform(0.1, 0.9) * h
            out.append(
                LineString(
                    [(X0 - 50, y), (X0 + w * rng.uniform(0.4, 1.0) + 50, y + rng.uniform(-40, 40))]
                )
            )
        else:
            x = X0 + rng.uniform(0.1, 0.9) * w
            out.append(
                LineString(
                    [(x, Y0 - 50), (x + rng.uniform(-40, 40), Y0 + h * rng.uniform(0.4, 1.0) + 50)]
                )
            )
    return out


def _roads(rng: np.random.Generator, extent: dict[str, Any]) -> gpd.GeoDataFrame:
    lines = _lines(rng, extent, int(rng.integers(1, 4)))
    frame = gpd.GeoDataFrame(
        {"road_id": [f"R{k + 1}" for k in range(len(lines))]}, geometry=lines, crs=WORK
    )
    _fill(rng, frame, "name", [_name(rng, "路", k) for k in range(len(lines))])
    return frame


def _parcels(rng: np.random.Generator, extent: dict[str, Any]) -> gpd.GeoDataFrame:
    n = int(rng.integers(1, 4))
    w, h, size = extent["width"], extent["height"], extent["size"]
    geoms = []
    for _ in range(n):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        if rng.random() < 0.4:  # straddles a community edge
            x = size * int(rng.integers(1, max(2, extent["nx"]))) - 40.0
        geoms.append(
            box(X0 + x, Y0 + y, X0 + x + rng.uniform(50, 150), Y0 + y + rng.uniform(50, 150))
        )
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"D{k + 1}" for k in range(n)]}, geometry=geoms, crs=WORK
    )
    _fill(rng, frame, "name", [_name(rng, "地块", k) for k in range(n)])
    _fill(rng, frame, "planned_households", [int(rng.integers(0, 1500)) for _ in range(n)])
    _fill(
        rng,
        frame,
        "residential_floor_area_m2",
        [round(float(rng.uniform(1000, 90000)), 1) for _ in range(n)],
    )
    this_year = _dt.date.today().year
    _fill(
        rng,
        frame,
        "delivery_year",
        [int(rng.integers(this_year - 3, this_year + 12)) for _ in range(n)],
    )
    return frame


def _sites(rng: np.random.Generator, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    n = int(rng.integers(1, 6))
    geoms = [
        _random_point(rng, communities.geometry.iloc[int(rng.integers(len(communities)))])
        for _ in range(n)
    ]
    frame = gpd.GeoDataFrame({"site_id": [f"S{k + 1}" for k in range(n)]}, geometry=geoms, crs=WORK)
    _fill(rng, frame, "name", [_name(rng, "点位", k) for k in range(n)])
    _fill(
        rng, frame, "max_floor_area_m2", [round(float(rng.uniform(100, 3000)), 1) for _ in range(n)]
    )
    return frame


def _outline(rng: np.random.Generator, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(geometry=[box(*communities.total_bounds).buffer(300)], crs=WORK)
    _fill(rng, frame, "name", ["德清县"])
    return frame


def _paths(rng: np.random.Generator, extent: dict[str, Any]) -> gpd.GeoDataFrame:
    w, h = extent["width"], extent["height"]
    step = float(rng.choice([60.0, 100.0, 150.0]))
    lines = [
        LineString([(X0 - 100, Y0 + y), (X0 + w + 100, Y0 + y)])
        for y in np.arange(-50, h + 60, step)
    ]
    lines += [
        LineString([(X0 + x, Y0 - 100), (X0 + x, Y0 + h + 100)])
        for x in np.arange(-50, w + 60, step)
    ]
    frame = gpd.GeoDataFrame(geometry=lines, crs=WORK)
    _fill(rng, frame, "path_id", [f"W{k}" for k in range(len(lines))], optional=True)
    return frame


def _barriers(rng: np.random.Generator, extent: dict[str, Any]) -> gpd.GeoDataFrame:
    lines = _lines(rng, extent, 1)
    frame = gpd.GeoDataFrame({"barrier_id": ["B1"]}, geometry=lines, crs=WORK)
    _fill(rng, frame, "kind", ["river"])
    return frame


def _empty_like(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.iloc[0:0].copy()


# --------------------------------------------------------------------------- writing choices


def _shp_name(name: str) -> str:
    """A field name as a Shapefile holds it: at most 10 bytes (GBK), whole characters."""
    out = ""
    for ch in name:
        if len((out + ch).encode("gbk")) > 10:
            break
        out += ch
    return out


def _choose_columns(rng: np.random.Generator, plan: LayerPlan) -> None:
    """The file's name of every contract field: English, a Chinese alias, or the county's own
    name mapped in planner.yaml (needed when a Shapefile truncates a name to 10 bytes)."""
    spec = schema.VECTOR_LAYERS[plan.name]
    used: set[str] = set()
    style = _pick(rng, ("en", "zh", "mixed"))
    for column in plan.frame.columns:
        if column == plan.frame.geometry.name:
            continue
        f = spec.field(column)
        choice = "en" if style == "en" else "zh" if style == "zh" else _pick(rng, ("en", "zh"))
        if choice == "zh" and f.alias_zh:
            target = _pick(rng, f.alias_zh)
        else:
            target = f.name
        if plan.fmt == "shp":
            target = _shp_name(target)
        mapped = False
        if target in used or (target != f.name and not _found_as(target, f)):
            mapped = True
        if rng.random() < 0.1:  # the county's own field name, mapped in planner.yaml
            target, mapped = f"F{len(used):02d}", True
        if target in used:
            target, mapped = f"F{len(used):02d}", True
        used.add(target)
        plan.columns[column] = target
        if mapped:
            plan.mapped[target] = column


def _found_as(target: str, f: schema.Field) -> bool:
    """Whether load_layers finds ``f`` under ``target`` without a mapping."""
    names = [*f.alias_zh, f.name[:10], f.name]
    return target in names or target.lower() in [n.lower() for n in names]


def generate_county(seed: int) -> County:
    """Draw a valid county from ``seed`` (not yet written: :func:`write_county`)."""
    rng = np.random.default_rng(seed)
    communities, extent = _communities(rng)
    layers: dict[str, LayerPlan] = {"communities": LayerPlan("communities", communities)}
    makers = {
        "estates": (0.85, lambda: _estates(rng, extent)),
        "premises": (0.8, lambda: _premises(rng, communities, extent)),
        "planned_roads": (0.4, lambda: _roads(rng, extent)),
        "development_parcels": (0.4, lambda: _parcels(rng, extent)),
        "candidate_sites": (0.3, lambda: _sites(rng, communities)),
        "county_outline": (0.2, lambda: _outline(rng, communities)),
        "paths": (0.2, lambda: _paths(rng, extent)),
        "barriers": (0.2, lambda: _barriers(rng, extent)),
    }
    notes: list[str] = []
    for name, (chance, make) in makers.items():
        if rng.random() < chance:
            frame = make()
            if name != "estates" and rng.random() < 0.08:
                frame = _empty_like(frame)  # a zero-feature optional layer
                notes.append(f"empty:{name}")
            layers[name] = LayerPlan(name, frame)
    if "estates" not in layers:  # households come from the communities alone: a valid county
        # gives every one (without, run/check refuse: no_household_source); no rng drawn, so
        # the other counties of each seed stay as they were
        frame = layers["communities"].frame
        frame["households"] = pd.Series(
            [1000 + 250 * i for i in range(len(frame))], index=frame.index, dtype=object
        )
    gcj_county = rng.random() < 0.15  # a county traced on Amap: every layer in GCJ-02
    for plan in layers.values():
        plan.fmt = _pick(rng, FORMATS)
        if plan.fmt == "shp" and _mixed_geometry(plan.frame):
            plan.fmt = "gpkg"
        plan.crs = (
            "gcj02"
            if gcj_county
            else _pick(rng, ("EPSG:4549", "EPSG:4549", "EPSG:4326", "EPSG:4490", "gcj02"))
        )
        if plan.fmt == "shp":
            plan.keep_cpg = rng.random() < 0.7
            plan.keep_prj = rng.random() < 0.85 or plan.crs == "gcj02"
        if rng.random() < 0.2:
            plan.file_stem = f"{plan.name}_{seed % 97}"  # named in planner.yaml
        elif rng.random() < 0.3:
            plan.file_stem = schema.VECTOR_LAYERS[plan.name].alias_zh
        _choose_columns(rng, plan)
    county = County(seed, layers, notes=notes)
    estates = layers.get("estates")
    if estates is not None and len(estates.frame) and rng.random() < 0.3:
        _households_table(rng, county)
    elif estates is not None and len(estates.frame) and rng.random() < 0.12:
        # a population raster: some estates without a count (blank, or no field at all)
        county.raster = True
        if rng.random() < 0.3:
            estates.frame.drop(columns="households", inplace=True)
            estates.columns.pop("households", None)
            estates.mapped = {k: v for k, v in estates.mapped.items() if v != "households"}
        else:
            estates.frame["households"] = [
                None if rng.random() < 0.5 else h for h in estates.frame["households"]
            ]
        county.notes.append("raster")
    if rng.random() < 0.2:
        county.household_size = float(rng.choice([2.4, 2.66, 3.1]))
    if rng.random() < 0.08:
        county.zone = FAR_ZONE
        county.notes.append("harbin")
    if rng.random() < 0.2:
        county.extra_config.update(
            {"name": '生成的县 <b>"测试"</b>', "data_note": "合成数据 synthetic"}
        )
    return county


def _mixed_geometry(frame: gpd.GeoDataFrame) -> bool:
    kinds = {t.replace("Multi", "") for t in frame.geom_type.dropna()}
    return len(kinds) > 1


def _households_table(rng: np.random.Generator, county: County) -> None:
    """A households table filling or replacing the estates' counts (and one unmatched row)."""
    estates = county.layers["estates"].frame
    ids = list(estates["estate_id"])
    mode = _pick(rng, ("replace", "fill", "drop_field"))
    chosen = [e for e in ids if rng.random() < 0.7] or ids[:1]
    if mode in ("fill", "drop_field"):
        chosen = ids  # every estate left without a count must be in the table
        if mode == "drop_field":
            estates.drop(columns="households", inplace=True)
            plan = county.layers["estates"]
            plan.columns.pop("households", None)
            plan.mapped = {k: v for k, v in plan.mapped.items() if v != "households"}
        else:
            estates["households"] = [
                None if e in chosen and rng.random() < 0.5 else h
                for e, h in zip(ids, estates["households"], strict=True)
            ]
    rows = [{"estate_id": e, "households": int(rng.integers(0, 1200))} for e in chosen]
    if rng.random() < 0.3:
        rows.append({"estate_id": "E-UNKNOWN", "households": 10})  # matches no estate
    county.table = pd.DataFrame(rows)
    county.table_fmt = _pick(rng, ("csv", "xlsx"))
    county.table_columns = (
        {"estate_id": "小区代码", "households": "户数"} if rng.random() < 0.5 else {}
    )
    county.notes.append(f"table:{mode}")


# --------------------------------------------------------------------------- the files


#: a county far from Deqing: Harbin (126.6° E, 45.75° N) in its own zone, CM 126° E
FAR_ZONE = "EPSG:4551"
FAR_SHIFT = (546_700.0 - X0, 5_068_500.0 - Y0)


def _geometries_for(plan: LayerPlan, county: County | None = None) -> tuple[gpd.GeoSeries, str]:
    geoms = plan.frame.geometry
    if county is not None and county.zone:
        # the same drawing, moved to Harbin and stated in its zone (EPSG:4549 there would be
        # out of its area of use: the zone's own CRS takes its place)
        geoms = (
            gpd.GeoSeries(geoms.values, index=geoms.index, crs=WORK)
            .translate(*FAR_SHIFT)
            .set_crs(county.zone, allow_override=True)
        )
        if plan.crs == WORK:
            return geoms, county.zone
    if plan.crs == "gcj02":
        wgs = geoms.to_crs("EPSG:4326")
        shifted = crs_mod.geometries_wgs84_to_gcj02(wgs.values)
        return gpd.GeoSeries(shifted, index=geoms.index, crs="EPSG:4326"), "EPSG:4326"
    return geoms.to_crs(plan.crs), plan.crs


def _file_frame(plan: LayerPlan, county: County | None = None) -> gpd.GeoDataFrame:
    geoms, crs = _geometries_for(plan, county)
    data = {}
    for column, target in plan.columns.items():
        values = plan.frame[column]
        if plan.fmt in ("shp", "gpkg") and _all_blank(values):
            # an all-empty column is stored as an empty *text* column
            values = values.map(lambda v: None if v is None else str(v))
        elif values.dtype == object and plan.fmt == "shp":
            values = _shp_values(values)
        elif values.dtype == object:
            values = _uniform(values)
        data[target] = values
    return gpd.GeoDataFrame(data, geometry=geoms.values, crs=crs, index=plan.frame.index)


def _all_blank(values: pd.Series) -> bool:
    return bool(
        values.map(lambda v: v is None or (isinstance(v, str) and v.strip() in ("", "<NA>"))).all()
    )


def _uniform(values: pd.Series) -> pd.Series:
    """Mixed columns (numbers beside '' or '<NA>') as the formats store them: text, unless
    the column is numbers and missing values only."""
    present = [v for v in values if v is not None]
    if all(isinstance(v, bool) for v in present) and present:
        return values.astype("boolean") if len(present) < len(values) else values.astype(bool)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.to_numeric(values, errors="coerce")
    return values.map(lambda v: None if v is None else str(v))


def _shp_values(values: pd.Series) -> pd.Series:
    """DBF columns hold one type: numbers (with nulls) or text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.to_numeric(values, errors="coerce")
    return values.map(lambda v: None if v is None else str(v))


def _gbk_safe(frame: gpd.GeoDataFrame) -> bool:
    """True when no text of ``frame`` reads as valid UTF-8 once encoded as GBK (so a reader
    without a .cpg cannot take GBK for UTF-8 by chance)."""
    texts = [str(c) for c in frame.columns]
    for column in frame.columns:
        if frame[column].dtype == object:
            texts += [v for v in frame[column] if isinstance(v, str)]
    for t in texts:
        raw = t.encode("gbk", errors="replace")
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            return False
        except UnicodeDecodeError:
            continue
    return True


def write_county(county: County, folder: Path) -> Path:
    """Write the layers, the households table and planner.yaml into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {"layers": {}}
    for name, plan in county.layers.items():
        out = _file_frame(plan, county)
        stem = plan.file_stem or name
        ext = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp"}[plan.fmt]
        path = folder / f"{stem}{ext}"
        entry: dict[str, Any] = {}
        if plan.fmt == "geojson" and str(out.crs).upper() == "EPSG:4326":
            _write_rfc7946(out, path)
        elif plan.fmt == "shp":
            if not plan.keep_cpg and not _gbk_safe(out):
                plan.keep_cpg = True
            out.to_file(path, engine="pyogrio", encoding="GBK")
            if not plan.keep_cpg:
                path.with_suffix(".cpg").unlink(missing_ok=True)
            if not plan.keep_prj:
                path.with_suffix(".prj").unlink(missing_ok=True)
                if plan.declare_crs:
                    entry["crs"] = str(out.crs)
        else:
            out.to_file(path, engine="pyogrio")
        if plan.file_stem and plan.file_stem != schema.VECTOR_LAYERS[name].alias_zh:
            entry["file"] = path.name
        if plan.crs == "gcj02":
            entry["gcj02"] = True
        if plan.mapped:
            entry["fields"] = dict(plan.mapped)
        if entry:
            config["layers"][name] = entry
    if county.table is not None:
        table = county.table.rename(columns=county.table_columns)
        if county.table_fmt == "xlsx":
            table.to_excel(folder / "households.xlsx", index=False)
        else:
            table.to_csv(folder / "households.csv", index=False, encoding="utf-8-sig")
    if county.household_size is not None:
        config["household_size"] = county.household_size
    if county.raster:
        _write_population(county, folder / "population.tif")
    config.update(county.extra_config)
    if not config["layers"]:
        del config["layers"]
    if config:
        (folder / "planner.yaml").write_text(
            yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
        )
    county.folder = folder
    return folder


def _write_population(county: County, path: Path) -> None:
    """Residents per 50 m cell over the communities (EPSG:4549, nodata -1, a few holes)."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng([county.seed, 5])
    xmin, ymin, xmax, ymax = county.layers["communities"].frame.total_bounds
    if county.zone:
        xmin, xmax = xmin + FAR_SHIFT[0], xmax + FAR_SHIFT[0]
        ymin, ymax = ymin + FAR_SHIFT[1], ymax + FAR_SHIFT[1]
    cell = 50.0
    width = int(np.ceil((xmax - xmin + 400) / cell))
    height = int(np.ceil((ymax - ymin + 400) / cell))
    grid = rng.uniform(0, 60, size=(height, width)).astype("float32")
    grid[rng.random(grid.shape) < 0.05] = -1.0
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=county.zone or WORK,
        nodata=-1.0,
        transform=from_origin(xmin - 200, ymax + 200, cell, cell),
    ) as dst:
        dst.write(grid, 1)


def _write_rfc7946(frame: gpd.GeoDataFrame, path: Path) -> None:
    """A GeoJSON without a ``crs`` member (RFC 7946: lon/lat WGS84)."""
    import pyogrio

    pyogrio.write_dataframe(
        frame, path, driver="GeoJSON", layer_options={"RFC7946": "YES", "WRITE_BBOX": "NO"}
    )


# --------------------------------------------------------------------------- faults


@dataclass
class Fault:
    """One fault injected into a valid county, and the words its message must hold."""

    kind: str
    layer: str
    must_name: list[str]  # every one must appear in the message (file, field, rows)
    file: str = ""


def _layer_file(county: County, layer: str) -> str:
    plan = county.layers[layer]
    ext = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp"}[plan.fmt]
    return f"{plan.file_stem or layer}{ext}"


def inject_fault(county: County, rng: np.random.Generator) -> tuple[County, Fault]:
    """A copy of ``county`` with exactly one fault, and what its message must name."""
    county = copy.deepcopy(county)
    options: list[tuple[str, str]] = []
    for name, plan in county.layers.items():
        if not len(plan.frame):
            continue
        spec = schema.VECTOR_LAYERS[name]
        options.append(("missing_crs", name))
        if spec.id_field and spec.field(spec.id_field).required:
            options.append(("duplicate_id", name))
        for f in spec.fields:
            if (
                f.required
                and f.name in plan.frame
                and not (name == "estates" and f.name == "households" and county.table is not None)
            ):
                options.append((f"missing_field:{f.name}", name))
                if f.name != spec.id_field:
                    options.append((f"required_empty:{f.name}", name))
            if f.kind == "enum" and f.name in plan.frame:
                options.append((f"bad_enum:{f.name}", name))
            if (
                f.kind == "int"
                and f.minimum == 0
                and f.name in plan.frame
                and not (name == "estates" and county.table is not None)
            ):
                options.append((f"negative:{f.name}", name))
            if f.kind == "year" and f.name in plan.frame:
                options.append((f"future_year:{f.name}", name))
            if f.kind == "share" and f.name in plan.frame:
                options.append((f"bad_share:{f.name}", name))
            if f.kind == "bool" and f.name in plan.frame:
                options.append((f"bad_bool:{f.name}", name))
        if spec.geometry == schema.POLYGONAL and plan.fmt != "shp" and len(plan.frame) > 1:
            options.append(("wrong_geometry", name))
        if name == "premises" and "community_id" in plan.frame:
            options.append(("unknown_community", name))
    kind, layer = _pick(rng, options)
    plan = county.layers[layer]
    frame = plan.frame
    spec = schema.VECTOR_LAYERS[layer]
    row = int(rng.integers(len(frame)))
    label = str(frame[spec.id_field].iloc[row]) if spec.id_field in frame else f"#{row + 1}"
    file = _layer_file(county, layer)
    what, _, fname = kind.partition(":")
    must: list[str] = [file]
    if what == "missing_crs":
        plan.fmt, plan.keep_prj, plan.declare_crs = "shp", False, False
        plan.columns = {c: _shp_name(t) for c, t in plan.columns.items()}
        plan.mapped = {_shp_name(k): v for k, v in plan.mapped.items()}
        if plan.crs == "gcj02":
            plan.crs = "EPSG:4326"
        file = _layer_file(county, layer)
        must = [file]
    elif what == "duplicate_id":
        other = (row + 1) % len(frame)
        if other == row:
            frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
            frame = gpd.GeoDataFrame(frame, geometry=plan.frame.geometry.name, crs=WORK)
            plan.frame = frame
        else:
            column = frame.columns.get_loc(spec.id_field)
            frame.iloc[other, column] = frame.iloc[row, column]
        must += [spec.id_field, label]
    elif what == "missing_field":
        plan.frame = frame.drop(columns=fname)
        plan.columns.pop(fname, None)
        plan.mapped = {k: v for k, v in plan.mapped.items() if v != fname}
        must += [fname]
    elif what == "required_empty":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = _pick(rng, ("", None, "<NA>"))
        must += [fname, label]
    elif what == "bad_enum":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = "半开放X"
        must += [fname, label, "半开放X"]
    elif what == "negative":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = -12
        must += [fname, label, "-12"]
    elif what == "future_year":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = 2999
        must += [fname, label, "2999"]
    elif what == "bad_share":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = 170
        must += [fname, label, "170"]
    elif what == "bad_bool":
        frame[fname] = frame[fname].astype(object)
        frame.iloc[row, frame.columns.get_loc(fname)] = "也许"
        must += [fname, label, "也许"]
    elif what == "wrong_geometry":
        geoms = frame.geometry.copy()
        geoms.iloc[row] = geoms.iloc[row].centroid
        frame.set_geometry(geoms, inplace=True)
        must += [label, "Point"]
    elif what == "unknown_community":
        frame["community_id"] = frame["community_id"].astype(object)
        frame.iloc[row, frame.columns.get_loc("community_id")] = "ZZ-999"
        must += [label, "ZZ-999"]
    return county, Fault(kind, layer, must, file)
