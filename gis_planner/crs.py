"""Coordinate reference systems: the working CRS, datum shifts to CGCS2000, GCJ-02 ⇄ WGS84.

- Working CRS for lengths and areas: the CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534–4554,
  CM 75E … 135E, no zone prefix) whose central meridian is nearest the county
  (:func:`gk3_zone`, :func:`working_crs_for`); Deqing (119.97E) is in EPSG:4549, CM 120E.
  ``planner.yaml`` may fix it (``working_crs: EPSG:45xx``). Every layer of one run is in one zone.
- Web map: EPSG:4326. Bureau exports: EPSG:4490, 4549 or 4528.
- Datums: CGCS2000 and WGS 84 are taken as one frame (they differ by centimetres to decimetres;
  PROJ only knows a "ballpark" null offset between them). A layer in any other datum (Xian 1980,
  Beijing 1954, a city's independent system 城市独立坐标系 …) is shifted by
  :func:`to_cgcs2000`: with the transformation given in ``planner.yaml`` (a published
  7-parameter Bursa–Wolf or plane 4-parameter set, or ``+towgs84`` in its CRS), or with a PROJ
  transformation of stated accuracy for its area. PROJ's *ballpark* offset (no shift at all,
  accuracy unknown) is refused unless the planner accepts it knowingly (``accept_ballpark``).
  All the geodesy is PROJ's (pipelines built here from the parameters).
- GCJ-02 ("Mars coordinates", used by Amap/Gaode, Tencent, DataV) has no EPSG code. It is
  converted here with the published obfuscation formula. Written by hand because no well-kept
  library does it: PROJ has no GCJ-02 definition, and the small PyPI packages that do
  (eviltransform, coord-convert) are unmaintained and not vectorised. The forward formula is
  exact; the inverse is solved by fixed-point iteration to < 1 mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyproj
import shapely
from pyproj.transformer import AreaOfInterest, TransformerGroup
from shapely.geometry.base import BaseGeometry

from gis_planner.errors import InputError, Problem
from gis_planner.i18n import Message, msg

WORKING_CRS = "EPSG:4549"  # Deqing's zone (CM 120E): the default where no layer says otherwise
WEB_CRS = "EPSG:4326"
CGCS2000_GEOGRAPHIC = "EPSG:4490"
CGCS2000_ZONE_PREFIXED = "EPSG:4528"

#: CGCS2000 3-degree Gauss-Kruger zones without zone prefix: central meridian (°E) → EPSG code
GK3_ZONES: dict[int, str] = {cm: f"EPSG:{4534 + (cm - 75) // 3}" for cm in range(75, 136, 3)}
GK3_RANGE = "EPSG:4534–4554"
_GK3_CM = {int(code.split(":")[1]): cm for cm, code in GK3_ZONES.items()}

#: The zone-prefixed twin of each 3-degree zone: EPSG:4513–4533 (zone 25 = CM 75E … zone 45).
GK3_PREFIXED_ZONES: dict[int, str] = {cm: f"EPSG:{4513 + (cm - 75) // 3}" for cm in GK3_ZONES}
#: Interpretation: the farthest a bureau package's Gauss-Kruger zone may lie from the data, in
#: degrees of longitude between the zone's central meridian and the data's farthest point.
#: Beyond 3° the projection stretches lengths by more than 1/1000 (1 m per km at 30°N;
#: a 3-degree zone's own edge, 1.5°, stays under 1/3800), so the neighbouring zone of a county on
#: a zone border is still accepted and a zone of another province is refused.
ZONE_MAX_OFFSET_DEG = 3.0


@dataclass(frozen=True)
class GKZone:
    """A CGCS2000 Gauss-Kruger zone: EPSG code, central meridian (°E), zone number, kind."""

    code: str
    central_meridian: int
    zone: int
    degrees: int  # 3 or 6
    prefixed: bool  # the zone number before the easting (EPSG:4491–4501, 4513–4533)


def gk_zone(code: Any) -> GKZone | None:
    """The CGCS2000 Gauss-Kruger zone of an EPSG code (EPSG:4491–4554), else ``None``.

    >>> gk_zone("EPSG:4549").central_meridian, gk_zone(4528).zone, gk_zone(4502).degrees
    (120, 40, 6)
    >>> gk_zone("EPSG:4490") is None
    True
    """
    try:
        epsg = int(str(code).upper().removeprefix("EPSG:"))
    except ValueError:
        return None
    if 4491 <= epsg <= 4501:  # 6-degree, zone 13 (CM 75E) … 23, zone-prefixed
        zone = epsg - 4491 + 13
        return GKZone(f"EPSG:{epsg}", 6 * zone - 3, zone, 6, True)
    if 4502 <= epsg <= 4512:  # 6-degree, CM 75E … 135E
        cm = 75 + 6 * (epsg - 4502)
        return GKZone(f"EPSG:{epsg}", cm, (cm + 3) // 6, 6, False)
    if 4513 <= epsg <= 4533:  # 3-degree, zone 25 (CM 75E) … 45, zone-prefixed
        zone = epsg - 4513 + 25
        return GKZone(f"EPSG:{epsg}", 3 * zone, zone, 3, True)
    if 4534 <= epsg <= 4554:  # 3-degree, CM 75E … 135E
        cm = 75 + 3 * (epsg - 4534)
        return GKZone(f"EPSG:{epsg}", cm, cm // 3, 3, False)
    return None


def lon_extent(*frames: Any) -> tuple[float, float] | None:
    """West and east longitude (°, CGCS2000/WGS84) of the frames together; ``None`` if empty.

    The corners and edge midpoints of each frame's bounding box are taken, which bounds a
    county's longitudes to well under a second in any projected CRS of China.
    """
    lons: list[float] = []
    for gdf in frames:
        if gdf is None or getattr(gdf, "crs", None) is None or not len(gdf):
            continue
        xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
        if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
            continue
        xs = [xmin, xmax, xmin, xmax, xmin, xmax, (xmin + xmax) / 2, (xmin + xmax) / 2]
        ys = [ymin, ymin, ymax, ymax, (ymin + ymax) / 2, (ymin + ymax) / 2, ymin, ymax]
        to_geo = pyproj.Transformer.from_crs(gdf.crs, CGCS2000_GEOGRAPHIC, always_xy=True)
        lon, _ = to_geo.transform(xs, ys)
        lons += [float(v) for v in np.asarray(lon) if math.isfinite(v)]
    return (min(lons), max(lons)) if lons else None


# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS84 lon/lat (degrees) to GCJ-02. Points outside China are unchanged."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(
    lon: np.ndarray, lat: np.ndarray, *, iterations: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (< 1 mm after 3 steps)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = lon.copy(), lat.copy()
    for _ in range(iterations):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon = w_lon - (g_lon - lon)
        w_lat = w_lat - (g_lat - lat)
    return w_lon, w_lat


def _transform_geoms(geoms: np.ndarray, func) -> np.ndarray:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def geometries_gcj02_to_wgs84(geoms: np.ndarray | BaseGeometry) -> np.ndarray:
    """Convert shapely geometries from GCJ-02 to WGS84 lon/lat."""
    return _transform_geoms(np.asarray(geoms), gcj02_to_wgs84)


def geometries_wgs84_to_gcj02(geoms: np.ndarray | BaseGeometry) -> np.ndarray:
    """Shift shapely geometries from WGS84 lon/lat to GCJ-02 (for display on Amap tiles only)."""
    return _transform_geoms(np.asarray(geoms), wgs84_to_gcj02)


# --------------------------------------------------------------------------- working CRS


def gk3_zone(lon: float) -> str:
    """The CGCS2000 3-degree Gauss-Kruger zone whose central meridian is nearest ``lon``.

    Raises :class:`ValueError` outside the zones of China (CM 75E … 135E, 73.5E … 136.5E).

    >>> gk3_zone(119.97), gk3_zone(76.0), gk3_zone(126.6)
    ('EPSG:4549', 'EPSG:4534', 'EPSG:4551')
    """
    if not math.isfinite(lon):
        raise ValueError(f"longitude {lon} is not a number")
    central = 3 * math.floor(lon / 3.0 + 0.5)
    if central not in GK3_ZONES:
        raise ValueError(
            f"longitude {lon:.2f}E lies outside the CGCS2000 3-degree zones "
            f"({GK3_RANGE}, CM 75E–135E)"
        )
    return GK3_ZONES[central]


def gk3_central_meridian(crs: Any) -> int | None:
    """The central meridian of a CGCS2000 3-degree GK zone (EPSG:4534–4554), else ``None``."""
    if crs is None:
        return None
    try:
        epsg = pyproj.CRS.from_user_input(crs).to_epsg()
    except pyproj.exceptions.CRSError:
        return None
    return _GK3_CM.get(epsg) if epsg is not None else None


def centre_lonlat(gdf: Any) -> tuple[float, float]:
    """Longitude and latitude (degrees, the layer's own datum) of the middle of its extent.

    The middle of the east-west extent, not the area centroid: the zone whose central meridian
    is nearest it has the smallest worst-case scale error over the county.
    """
    xmin, ymin, xmax, ymax = gdf.total_bounds
    crs = pyproj.CRS.from_user_input(gdf.crs)
    to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform((xmin + xmax) / 2.0, (ymin + ymax) / 2.0)
    return float(lon), float(lat)


def working_crs_for(gdf: Any) -> str:
    """The working CRS of a layer: the 3-degree zone of the middle of its extent.

    Raises :class:`ValueError` when the layer is empty or lies outside China's zones.
    """
    return gk3_zone(centre_lonlat(gdf)[0])


def scale_error(crs: str, lon: float, lat: float) -> float:
    """Relative length error of ``crs`` at (lon, lat): the projection's scale factor − 1."""
    return float(pyproj.Proj(crs).get_factors(lon, lat).meridional_scale) - 1.0


def frame_crs(*frames: Any, default: str = WORKING_CRS) -> Any:
    """The CRS of the first given frame that has one (the layers' working CRS), else
    ``default``: geometries built from layers are labelled with the layers' own CRS."""
    for frame in frames:
        crs = getattr(frame, "crs", None)
        if crs is not None:
            return crs
    return default


def crs_name(crs: Any) -> str:
    """``EPSG:nnnn`` when the CRS has a code, else its name; ``—`` for none."""
    if crs is None:
        return "—"
    crs = pyproj.CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _zone_hint(gdf: Any) -> str:
    """The zone a layer belongs in, for a message; the range of zones when it cannot be told."""
    try:
        return working_crs_for(gdf)
    except (ValueError, pyproj.exceptions.CRSError, TypeError):
        return GK3_RANGE


def check_working_crs(**layers: Any) -> None:
    """Raise :class:`InputError` unless every given layer is in one working CRS.

    A working CRS is a CGCS2000 3-degree Gauss-Kruger zone (EPSG:4534–4554); all the given
    layers must share one. The layers of :class:`~gis_planner.io.PlanningData` always
    do; this guards direct use of the API with layers read some other way. The problems are
    ``layout_crs`` (a layer not in a zone) and ``crs_zones_mixed``.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> check_working_crs(a=gpd.GeoDataFrame(geometry=[Point(500000, 3380000)], crs=4549))
    >>> try:
    ...     check_working_crs(b=gpd.GeoDataFrame(geometry=[Point(120, 30.5)], crs=4326))
    ... except InputError as err:
    ...     print(err.codes, err.problems[0].message.values["working"])
    ['layout_crs'] EPSG:4549
    """
    problems = []
    zones: dict[str, str] = {}
    for name, gdf in layers.items():
        if gdf is None:
            continue
        central = gk3_central_meridian(gdf.crs)
        if central is None:
            hint = _zone_hint(gdf) if gdf.crs is not None and len(gdf) else GK3_RANGE
            problems.append(Problem(name, msg("layout_crs", crs=crs_name(gdf.crs), working=hint)))
        else:
            zones[name] = GK3_ZONES[central]
    if len(set(zones.values())) > 1:
        problems.append(
            Problem(
                ", ".join(zones),
                msg(
                    "crs_zones_mixed",
                    zones=", ".join(f"{name} {zone}" for name, zone in zones.items()),
                ),
            )
        )
    if problems:
        raise InputError(problems)


# --------------------------------------------------------------------------- datums

#: Datums taken as CGCS2000 (PROJ's names, also of ESRI .prj files): CGCS2000 and WGS 84
#: differ by centimetres to decimetres, and PROJ only knows a null "ballpark" offset between
#: them; GCJ-02 and every web map are WGS 84.
_CGCS2000_LIKE = ("China 2000", "World Geodetic System 1984")
HELMERT7_PARAMETERS = ("tx", "ty", "tz", "rx", "ry", "rz", "s")
HELMERT7_KEYS = (
    "type",
    *HELMERT7_PARAMETERS,
    "convention",
    "target_crs",
    "accuracy_m",
    "reference",
)
HELMERT4_KEYS = (
    "type",
    "dx",
    "dy",
    "rotation_arcsec",
    "rotation_rad",
    "scale_ppm",
    "scale",
    "axes",
    "target_crs",
    "accuracy_m",
    "reference",
)
CONVENTIONS = ("coordinate_frame", "position_vector")
AXES = ("north_east", "east_north")
_ARCSEC_PER_RAD = 180.0 * 3600.0 / math.pi


@dataclass(frozen=True)
class DatumShift:
    """How a layer was brought to CGCS2000: recorded per layer and in the run's settings.

    Attributes
    ----------
    method : str
        ``helmert7`` / ``helmert4`` (parameters from planner.yaml), ``towgs84`` (in the
        layer's CRS), ``proj`` (a PROJ transformation of stated accuracy for the area),
        ``ballpark`` (no datum shift, accepted with ``accept_ballpark: true``) or ``gcj02``
        (GCJ-02 converted to WGS 84, declared with ``gcj02: true``).
    source_crs, target_crs : str
        From and to (``EPSG:nnnn`` or the CRS's name).
    text : Message
        What was applied, with its parameters and accuracy (``shift_with_accuracy`` around
        ``shift_helmert7``, ``shift_helmert4``, ``shift_towgs84`` or ``shift_proj``; or
        ``shift_ballpark``), worded when shown.
    accuracy_m : float or None
        The stated accuracy in metres; ``None`` when nobody stated one.
    """

    method: str
    source_crs: str
    target_crs: str
    text: Message
    accuracy_m: float | None = None

    @property
    def ballpark(self) -> bool:
        return self.method == "ballpark"


def is_cgcs2000_frame(crs: Any) -> bool:
    """True for CGCS2000 and WGS 84 (the ensemble or a realisation); false for other datums,
    for a datum PROJ does not know ("Unknown based on GRS 1980 ellipsoid"), and for a CRS
    bound to WGS 84 by ``+towgs84``."""
    crs = pyproj.CRS.from_user_input(crs)
    if crs.is_bound:
        return False
    geodetic = crs.geodetic_crs
    datum = geodetic.datum if geodetic is not None else None
    name = datum.name if datum is not None else ""
    return any(name == n or name.startswith(n + " ") for n in _CGCS2000_LIKE)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # YAML 1.1 reads 1e-6 (no dot) as text
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_transform(value: Any) -> tuple[dict[str, Any] | None, list[Message]]:
    """Check a ``layers.<name>.transform`` entry of planner.yaml.

    ``{type: helmert7, tx, ty, tz (m), rx, ry, rz (arc seconds), s (ppm), convention:
    coordinate_frame|position_vector, target_crs (default EPSG:4490)}`` — the Bursa–Wolf
    7 parameters from the layer's datum to CGCS2000, applied geocentrically on the two
    ellipsoids (heights taken as 0: < 1 mm in plan).

    ``{type: helmert4, dx, dy (m), rotation_arcsec | rotation_rad, scale_ppm | scale,
    axes: north_east|east_north, target_crs: EPSG:…}`` — the plane 4 parameters from the
    layer's projected coordinates to ``target_crs`` (a CGCS2000 projected CRS), applied to
    the coordinates in the order ``axes`` names (``north_east``: x is the northing, as in
    Chinese survey practice): x′ = dx + k(x·cos α − y·sin α), y′ = dy + k(x·sin α + y·cos α),
    k = 1 + scale_ppm·10⁻⁶.

    Both take ``accuracy_m`` (the stated accuracy) and ``reference`` (who published them).

    Returns
    -------
    (spec, problems)
        The normalised entry (``None`` when any problem), and the problems as messages.

    Examples
    --------
    >>> spec, problems = parse_transform({"type": "helmert4", "dx": 1, "dy": 2})
    >>> spec, [p.code for p in problems]
    (None, ['transform_one_of', 'transform_one_of', 'transform_choice', 'transform_missing'])
    """
    if not isinstance(value, dict):
        return None, [msg("transform_not_mapping", types="helmert7, helmert4")]
    kind = value.get("type")
    if kind not in ("helmert7", "helmert4"):
        return None, [msg("transform_choice", key="type", value=kind, valid="helmert7, helmert4")]
    keys = HELMERT7_KEYS if kind == "helmert7" else HELMERT4_KEYS
    check = _TransformCheck(value, {"type": kind})
    check.problems += [
        msg("transform_unknown", key=k, valid=", ".join(keys)) for k in value if k not in keys
    ]
    if kind == "helmert7":
        for key in HELMERT7_PARAMETERS:
            check.number(key)
        check.choice("convention", CONVENTIONS)
    else:
        check.plane_parameters()
    check.target(kind)
    if value.get("accuracy_m") is not None:
        check.number("accuracy_m")
        if check.spec.get("accuracy_m", 0.0) < 0:
            check.problems.append(
                msg("transform_not_number", key="accuracy_m", value=value["accuracy_m"])
            )
    spec = check.spec
    spec["accuracy_m"] = spec.get("accuracy_m")
    spec["reference"] = str(value["reference"]) if value.get("reference") else None
    return (None, check.problems) if check.problems else (spec, [])


@dataclass
class _TransformCheck:
    """The checks of one ``transform`` entry (:func:`parse_transform`): the normalised
    ``spec`` built so far and the ``problems`` found."""

    value: dict[str, Any]
    spec: dict[str, Any]
    problems: list[Message] = field(default_factory=list)

    def number(self, key: str, *, required: bool = True) -> None:
        if key not in self.value or self.value[key] is None:
            if required:
                self.problems.append(msg("transform_missing", key=key))
            return
        parsed = _number(self.value[key])
        if parsed is None:
            self.problems.append(msg("transform_not_number", key=key, value=self.value[key]))
        else:
            self.spec[key] = parsed

    def choice(self, key: str, valid: tuple[str, ...]) -> None:
        if self.value.get(key) not in valid:
            self.problems.append(
                msg("transform_choice", key=key, value=self.value.get(key), valid=", ".join(valid))
            )
        else:
            self.spec[key] = self.value[key]

    def one_of(self, a: str, b: str) -> str | None:
        given = [k for k in (a, b) if self.value.get(k) is not None]
        if len(given) != 1:
            self.problems.append(msg("transform_one_of", a=a, b=b))
            return None
        self.number(given[0])
        return given[0]

    def plane_parameters(self) -> None:
        """dx, dy, the rotation (arc seconds or radians, kept in arc seconds), the scale (ppm
        or a factor, kept in ppm) and the axes of a plane 4-parameter transformation."""
        spec = self.spec
        self.number("dx")
        self.number("dy")
        rotation = self.one_of("rotation_arcsec", "rotation_rad")
        scale = self.one_of("scale_ppm", "scale")
        self.choice("axes", AXES)
        if rotation in spec:
            spec["rotation_arcsec"] = (
                spec.pop(rotation) * _ARCSEC_PER_RAD
                if rotation == "rotation_rad"
                else spec[rotation]
            )
        if scale in spec:
            spec["scale_ppm"] = (spec.pop(scale) - 1.0) * 1e6 if scale == "scale" else spec[scale]

    def target(self, kind: str) -> None:
        """``target_crs``: CGCS2000 (or WGS 84), geographic for ``helmert7`` (the default
        EPSG:4490), projected for ``helmert4`` (required)."""
        target = self.value.get("target_crs", CGCS2000_GEOGRAPHIC if kind == "helmert7" else None)
        if target is None:
            self.problems.append(msg("transform_missing", key="target_crs"))
            return
        try:
            target_crs = pyproj.CRS.from_user_input(target)
        except pyproj.exceptions.CRSError:
            target_crs = None
        wanted = "geographic" if kind == "helmert7" else "projected"
        if (
            target_crs is None
            or not is_cgcs2000_frame(target_crs)
            or (target_crs.is_geographic if kind == "helmert4" else not target_crs.is_geographic)
        ):
            self.problems.append(msg("transform_target", crs=target, kind=wanted))
        else:
            self.spec["target_crs"] = crs_name(target_crs) if target_crs.to_epsg() else target


def _g(value: float) -> str:
    """A parameter as PROJ reads it, exactly (repr of the float)."""
    return repr(float(value))


def _ellipsoid(crs: pyproj.CRS | None) -> str:
    ellipsoid = crs.ellipsoid if crs is not None else None
    if ellipsoid is None:
        raise ValueError(f"the CRS {crs_name(crs)} has no ellipsoid")
    return (
        f"+a={_g(ellipsoid.semi_major_metre)} +rf={_g(ellipsoid.inverse_flattening)}"
        if ellipsoid.inverse_flattening
        else f"+R={_g(ellipsoid.semi_major_metre)}"
    )


def helmert7_pipeline(spec: dict[str, Any], source_crs: Any) -> str:
    """The PROJ pipeline of a 7-parameter transformation on lon/lat degrees: from the
    geodetic CRS of ``source_crs`` to ``spec['target_crs']`` (geocentric on each ellipsoid)."""
    source = pyproj.CRS.from_user_input(source_crs).geodetic_crs
    target = pyproj.CRS.from_user_input(spec.get("target_crs", CGCS2000_GEOGRAPHIC))
    helmert = " ".join(f"+{'xyz'[i]}={_g(spec[k])}" for i, k in enumerate(("tx", "ty", "tz")))
    helmert += "".join(f" +{k}={_g(spec[k])}" for k in ("rx", "ry", "rz", "s"))
    return (
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=cart {_ellipsoid(source)} "
        f"+step +proj=helmert {helmert} +convention={spec['convention']} "
        f"+step +inv +proj=cart {_ellipsoid(target)} "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


def helmert4_pipeline(spec: dict[str, Any]) -> str:
    """The PROJ pipeline of a plane 4-parameter transformation on easting/northing metres.

    PROJ's 2D Helmert turns clockwise by ``theta`` and takes ``s`` as the factor itself:
    x′ = dx + s(x·cos θ + y·sin θ), y′ = dy + s(−x·sin θ + y·cos θ); θ = −α gives the
    anticlockwise formula of :func:`parse_transform` in the axes the parameters name.
    """
    swap = " +step +proj=axisswap +order=2,1" if spec["axes"] == "north_east" else ""
    return (
        f"+proj=pipeline{swap} +step +proj=helmert +x={_g(spec['dx'])} "
        f"+y={_g(spec['dy'])} +theta={_g(-spec['rotation_arcsec'])} "
        f"+s={_g(1.0 + spec['scale_ppm'] * 1e-6)}{swap}"
    )


def transform_xy(geoms: np.ndarray, transformer: pyproj.Transformer) -> np.ndarray:
    """``geoms`` with their x and y put through ``transformer`` (z, where there is one, kept):
    the coordinate arrays transformed at once, as ``GeoSeries.to_crs`` does."""

    def apply(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=float, copy=True)
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        out[:, 0], out[:, 1] = x, y
        return out

    return shapely.transform(geoms, apply, include_z=None)


def _lonlat_area(gdf: Any) -> AreaOfInterest | None:
    crs = pyproj.CRS.from_user_input(gdf.crs)
    to_geo = pyproj.Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    xmin, ymin, xmax, ymax = gdf.total_bounds
    lon, lat = to_geo.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    lon, lat = np.asarray(lon), np.asarray(lat)
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        return None
    return AreaOfInterest(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _is_ballpark(transformer: pyproj.Transformer) -> bool:
    return "ballpark" in transformer.description.lower()


def _with_accuracy(
    shift: Message, accuracy: float | None, spec: dict[str, Any] | None = None
) -> Message:
    """``shift`` followed by its stated accuracy and, from planner.yaml, its source."""
    stated = (
        msg("accuracy_unstated", m="")
        if accuracy is None or accuracy < 0
        else msg("accuracy_stated", m=f"{accuracy:g}")
    )
    reference = (
        msg("transform_reference", reference=spec["reference"])
        if spec is not None and spec.get("reference")
        else ""
    )
    return msg("shift_with_accuracy", shift=shift, accuracy=stated, reference=reference)


def _refuse(layer: str, crs: pyproj.CRS, *, detail: str = "") -> InputError:
    base = crs.source_crs if crs.is_bound else crs
    geodetic = base.geodetic_crs if base is not None else None
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum else "—"
    return InputError(
        [
            Problem(
                layer, msg("datum_ballpark", crs=crs_name(crs) + detail, datum=datum, layer=layer)
            )
        ]
    )


def _shifted(gdf: Any, transformer: pyproj.Transformer, target: Any, layer: str) -> Any:
    geoms = transform_xy(np.asarray(gdf.geometry.values), transformer)
    coords = shapely.get_coordinates(geoms)
    if not np.all(np.isfinite(coords)):
        raise InputError([Problem(layer, msg("transform_failed", crs=crs_name(gdf.crs)))])
    return gdf.set_geometry(geoms, crs=target)


def to_cgcs2000(
    gdf: Any,
    *,
    layer: str,
    transform: dict[str, Any] | None = None,
    accept_ballpark: bool = False,
) -> tuple[Any, DatumShift | None]:
    """Bring a layer to the CGCS2000 frame (CGCS2000 or WGS 84), or refuse it.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer in its own CRS.
    layer : str
        The layer's name, for messages.
    transform : dict, optional
        A transformation checked by :func:`parse_transform`, for a layer not already in the
        CGCS2000 frame (refused for one that is: ``transform_on_cgcs2000``).
    accept_ballpark : bool
        Read a datum for which PROJ knows no shift with PROJ's ballpark (no shift at all).

    Returns
    -------
    (GeoDataFrame, DatumShift or None)
        The layer in EPSG:4490, EPSG:4326 or ``transform['target_crs']`` — or unchanged, in
        its own CRS, when that is already CGCS2000/WGS 84 (``None``: nothing to record) or
        when the ballpark was accepted.

    Raises
    ------
    InputError
        When PROJ has only a ballpark transformation and nothing else was given, naming the
        CRS and the settings that fix it (``datum_ballpark``); when the parameters cannot be
        applied (``transform_failed``, ``transform_and_towgs84``,
        ``transform_plane_geographic``); when a transformation is given for a layer already
        in CGCS2000/WGS 84 (``transform_on_cgcs2000``).
    """
    crs = pyproj.CRS.from_user_input(gdf.crs)
    source = crs_name(crs)
    if transform is not None:
        if is_cgcs2000_frame(crs):  # a second shift of a layer already in the frame
            problem = msg("transform_on_cgcs2000", layer=layer, crs=source)
            raise InputError([Problem(layer, problem)])
        return _given_shift(gdf, crs, transform, layer)
    if is_cgcs2000_frame(crs):
        return gdf, None
    if crs.is_bound:
        operation = crs.coordinate_operation
        assert operation is not None and crs.source_crs is not None  # a bound CRS has both
        values = [float(p.value) for p in operation.params]
        ellipsoid = crs.source_crs.ellipsoid
        wgs84_sized = ellipsoid is not None and abs(ellipsoid.semi_major_metre - 6378137.0) < 0.5
        transformer = pyproj.Transformer.from_crs(crs, WEB_CRS, always_xy=True)
        if (not any(values) and not wgs84_sized) or _is_ballpark(transformer):
            if not accept_ballpark:
                raise _refuse(layer, crs, detail=" (+towgs84=0,0,0…)")
        else:
            out = _shifted(gdf, transformer, WEB_CRS, layer)
            shift = msg(
                "shift_towgs84",
                source=source,
                values=",".join(f"{v:g}" for v in values),
                method=operation.method_name,
            )
            return out, DatumShift("towgs84", source, WEB_CRS, _with_accuracy(shift, None), None)
    else:
        chosen = _proj_transformation(gdf, crs)
        if chosen is not None:
            transformer, target = chosen
            on_geodetic = gdf.to_crs(crs.geodetic_crs)
            out = _shifted(on_geodetic, transformer, target, layer)
            accuracy = transformer.accuracy if transformer.accuracy >= 0 else None
            shift = msg("shift_proj", source=source, target=target, name=transformer.description)
            text = _with_accuracy(shift, accuracy)
            return out, DatumShift("proj", source, target, text, accuracy)
        if not accept_ballpark:
            raise _refuse(layer, crs)
    text = msg("shift_ballpark", source=source)
    return gdf, DatumShift("ballpark", source, CGCS2000_GEOGRAPHIC, text, None)


def _given_shift(
    gdf: Any, crs: pyproj.CRS, transform: dict[str, Any], layer: str
) -> tuple[Any, DatumShift]:
    """Apply the 7- or 4-parameter transformation of planner.yaml (:func:`to_cgcs2000`)."""
    source = crs_name(crs)
    if crs.is_bound:
        raise InputError([Problem(layer, msg("transform_and_towgs84", layer=layer))])
    target = transform["target_crs"]
    if transform["type"] == "helmert7":
        geodetic = crs.geodetic_crs
        meridian = geodetic.prime_meridian if geodetic is not None else None
        if geodetic is None or meridian is None or meridian.longitude != 0:
            raise InputError([Problem(layer, msg("transform_failed", crs=source))])
        on_geodetic = gdf.to_crs(geodetic)  # the projection's inverse only: no datum change
        transformer = pyproj.Transformer.from_pipeline(helmert7_pipeline(transform, crs))
        out = _shifted(on_geodetic, transformer, target, layer)
        shift = msg(
            "shift_helmert7",
            source=source,
            target=target,
            convention=transform["convention"],
            **{k: f"{transform[k]:g}" for k in HELMERT7_PARAMETERS},
        )
    else:
        if not crs.is_projected:
            raise InputError(
                [Problem(layer, msg("transform_plane_geographic", crs=source, layer=layer))]
            )
        transformer = pyproj.Transformer.from_pipeline(helmert4_pipeline(transform))
        out = _shifted(gdf, transformer, target, layer)
        shift = msg(
            "shift_helmert4",
            source=source,
            target=target,
            axes=transform["axes"],
            dx=f"{transform['dx']:g}",
            dy=f"{transform['dy']:g}",
            rotation=f"{transform['rotation_arcsec']:g}",
            scale=f"{transform['scale_ppm']:g}",
        )
    accuracy = transform.get("accuracy_m")
    text = _with_accuracy(shift, accuracy, transform)
    return out, DatumShift(transform["type"], source, target, text, accuracy)


def _proj_transformation(gdf: Any, crs: pyproj.CRS) -> tuple[pyproj.Transformer, str] | None:
    """PROJ's best transformation from the layer's datum to CGCS2000 or WGS 84 for the
    layer's area that is not a ballpark; ``None`` when there is none."""
    area = _lonlat_area(gdf)
    geodetic = crs.geodetic_crs
    found: list[tuple[float, int, pyproj.Transformer, str]] = []
    for rank, target in enumerate((CGCS2000_GEOGRAPHIC, WEB_CRS)):
        group = TransformerGroup(geodetic, target, always_xy=True, area_of_interest=area)
        for order, transformer in enumerate(group.transformers):
            if not _is_ballpark(transformer):
                accuracy = transformer.accuracy if transformer.accuracy >= 0 else math.inf
                found.append((accuracy, rank * 1000 + order, transformer, target))
    if not found:
        return None
    _, _, transformer, target = min(found, key=lambda item: item[:2])
    return transformer, target


def same_coordinates(stated: Any, declared: Any, gdf: Any) -> bool:
    """True when ``declared`` is ``stated`` bound to WGS 84 by ``+towgs84``: the same
    ellipsoid, and the layer's corners mean the same lon/lat in both (to 1e-9°)."""
    stated = pyproj.CRS.from_user_input(stated)
    declared = pyproj.CRS.from_user_input(declared)
    if not declared.is_bound or stated.is_bound:
        return False
    source = declared.source_crs
    a, b = stated.ellipsoid, source.ellipsoid
    if (
        a is None
        or b is None
        or abs(a.semi_major_metre - b.semi_major_metre) > 1e-3
        or abs(a.inverse_flattening - b.inverse_flattening) > 1e-6
    ):
        return False
    xmin, ymin, xmax, ymax = gdf.total_bounds
    xs, ys = [xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax]
    one = pyproj.Transformer.from_crs(stated, stated.geodetic_crs, always_xy=True)
    two = pyproj.Transformer.from_crs(source, source.geodetic_crs, always_xy=True)
    lon1, lat1 = (np.asarray(v) for v in one.transform(xs, ys))
    lon2, lat2 = (np.asarray(v) for v in two.transform(xs, ys))
    return bool(np.all(np.abs(lon1 - lon2) < 1e-9) and np.all(np.abs(lat1 - lat2) < 1e-9))


def zone_of(gdf: Any, default: str = WORKING_CRS) -> str:
    """The layer's working CRS: its own CRS when that is a CGCS2000 3-degree zone, else the
    zone of its extent (e.g. a run's RFC 7946 GeoJSON), else ``default`` (an empty layer)."""
    central = gk3_central_meridian(getattr(gdf, "crs", None))
    if central is not None:
        return GK3_ZONES[central]
    try:
        return working_crs_for(gdf)
    except (ValueError, pyproj.exceptions.CRSError, TypeError):
        return default
