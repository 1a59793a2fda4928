"""Options of the bureau export — the CRS and the formats asked for — and its errors.

Options are checked before any work, so that a typo costs nothing: an unknown CRS or format is
a :class:`BureauOptionError` (exit code 2 on the command line) listing the valid values.

The CRS is CGCS2000 lon/lat (EPSG:4490, the default: it holds any county), or a CGCS2000
Gauss-Kruger projection: ``zone`` — the county's own 3-degree zone, the run's working CRS
(EPSG:4549 for Deqing, EPSG:4538 for Urumqi) — or ``zone-prefixed``, the same zone with its
number before the easting (EPSG:4528 for Deqing), or any CGCS2000 Gauss-Kruger code named
explicitly (EPSG:4491–4554, 3- and 6-degree zones). A zone whose central meridian lies more than
:data:`~gis_planner.crs.ZONE_MAX_OFFSET_DEG` from the data is refused once the data is known
(:func:`resolve_crs`): the package would be stretched past 1/1000, never silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gis_planner.crs import (
    CGCS2000_GEOGRAPHIC,
    CGCS2000_ZONE_PREFIXED,
    GK3_PREFIXED_ZONES,
    GK3_ZONES,
    WORKING_CRS,
    ZONE_MAX_OFFSET_DEG,
    gk3_central_meridian,
    gk_zone,
    lon_extent,
    zone_of,
)
from gis_planner.errors import PlannerError
from gis_planner.i18n import Message, msg, render, tr

#: the county's own 3-degree zone (the run's working CRS), and the same with the zone number
ZONE, ZONE_PREFIXED = "zone", "zone-prefixed"
#: the CRSs of the Deqing demo (CM 120E): CGCS2000 lon/lat (default), its 3-degree zone, and
#: the same zone with the zone number prefixed to the easting; every CGCS2000 Gauss-Kruger
#: code (EPSG:4491–4554) and :data:`ZONE` / :data:`ZONE_PREFIXED` are accepted as well
CRS_CHOICES = (CGCS2000_GEOGRAPHIC, WORKING_CRS, CGCS2000_ZONE_PREFIXED)
#: every format of the package, in package order
FORMATS = ("geojson", "shp", "gpkg", "gdb")
#: other names planners use for the formats
FORMAT_ALIASES = {
    "json": "geojson",
    "shapefile": "shp",
    "geopackage": "gpkg",
    "filegdb": "gdb",
    "fgdb": "gdb",
}


class BureauError(PlannerError):
    """The bureau package cannot be written as asked; nothing in the output folder changed."""


class BureauOptionError(BureauError):
    """An unknown CRS or format (a usage error: exit code 2 on the command line)."""


def crs_label(code: str, lang: str = "zh") -> str:
    """``EPSG:4490 CGCS2000 经纬度（默认）`` — a CRS as a planner reads it.

    Examples
    --------
    >>> crs_label("EPSG:4549", "en")
    'EPSG:4549 CGCS2000 3-degree Gauss-Kruger CM 120E'
    >>> crs_label("EPSG:4538", "en")
    'EPSG:4538 CGCS2000 3-degree Gauss-Kruger CM 87E'
    """
    return render(crs_message(code), lang)


def crs_message(code: str) -> Message:
    """:func:`crs_label` as a message, worded when shown."""
    if code in (ZONE, ZONE_PREFIXED):
        return msg(f"bureau_crs_{code.replace('-', '_')}")
    zone = gk_zone(code)
    if zone is None:
        return msg(f"bureau_crs_{code.split(':')[1]}")
    kind = "prefixed" if zone.prefixed else "cm"
    return msg(
        f"bureau_crs_gk{zone.degrees}_{kind}",
        code=zone.code.split(":")[1],
        cm=zone.central_meridian,
        zone=zone.zone,
    )


def parse_crs(value: str | int, *, lang: str = "zh") -> str:
    """The CRS code ``EPSG:nnnn`` of ``value`` (``4490``, ``"EPSG:4549"``, ``"epsg:4528"``),
    or :data:`ZONE` / :data:`ZONE_PREFIXED` (resolved by :func:`resolve_crs` once the data is
    known).

    Raises
    ------
    BureauOptionError
        When ``value`` is neither EPSG:4490, a CGCS2000 Gauss-Kruger code (EPSG:4491–4554), nor
        ``zone`` / ``zone-prefixed``; the message lists the valid ones.

    Examples
    --------
    >>> parse_crs(4528), parse_crs("epsg:4490"), parse_crs("4538"), parse_crs("Zone")
    ('EPSG:4528', 'EPSG:4490', 'EPSG:4538', 'zone')
    """
    text = str(value).strip().upper().replace(" ", "")
    if text in (ZONE.upper(), ZONE_PREFIXED.upper(), "ZONE_PREFIXED"):
        return ZONE if text == ZONE.upper() else ZONE_PREFIXED
    if text.isdigit():
        text = f"EPSG:{text}"
    if text != CGCS2000_GEOGRAPHIC and gk_zone(text) is None:
        valid = "; ".join(
            [crs_label(c, lang) for c in (CGCS2000_GEOGRAPHIC, ZONE, ZONE_PREFIXED)]
            + [tr("bureau_crs_any_gk", lang)]
        )
        raise BureauOptionError(tr("bureau_unknown_crs", lang, crs=value, valid=valid))
    return text


def resolve_crs(
    asked: str,
    tables: Mapping[str, Any],
    *,
    working_crs: str | None = None,
    lang: str = "zh",
) -> str:
    """The package's EPSG code for ``asked`` (from :func:`parse_crs`) and the data in ``tables``.

    ``zone`` becomes the county's own 3-degree zone — ``working_crs`` (the run's), else the
    zone of the layers' extent — and ``zone-prefixed`` its zone-prefixed twin. A Gauss-Kruger
    zone whose central meridian lies more than :data:`~gis_planner.crs.ZONE_MAX_OFFSET_DEG`
    degrees of longitude from any of the data is refused; EPSG:4490 always fits.

    Raises
    ------
    BureauError
        ``bureau_zone_far``: the zone asked is far from the data; the message names the data's
        longitudes, the county's own zone and the fix (``--crs zone``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> t = {"communities": gpd.GeoDataFrame(geometry=[Point(87.6, 43.8)], crs=4490)}
    >>> resolve_crs("zone", t), resolve_crs("zone-prefixed", t), resolve_crs("EPSG:4490", t)
    ('EPSG:4538', 'EPSG:4517', 'EPSG:4490')
    >>> try:
    ...     resolve_crs("EPSG:4549", t, lang="en")
    ... except BureauError as err:
    ...     print(err.text('en')[:57])
    EPSG:4549 CGCS2000 3-degree Gauss-Kruger CM 120E is 32.4°
    """
    frames = [t for t in tables.values() if t is not None and len(t)]
    own = working_crs if gk3_central_meridian(working_crs) is not None else None
    if own is None:
        own = zone_of(frames[0]) if frames else WORKING_CRS
    cm = gk3_central_meridian(own)
    assert cm is not None  # zone_of returns a 3-degree zone
    if asked == ZONE:
        return GK3_ZONES[cm]
    if asked == ZONE_PREFIXED:
        return GK3_PREFIXED_ZONES[cm]
    zone = gk_zone(asked)
    extent = lon_extent(*frames)
    if zone is None or extent is None:
        return asked
    offset = max(abs(extent[0] - zone.central_meridian), abs(extent[1] - zone.central_meridian))
    if offset > ZONE_MAX_OFFSET_DEG:
        raise BureauError(
            msg(
                "bureau_zone_far",
                crs=crs_message(zone.code),
                offset=f"{offset:.1f}",
                limit=f"{ZONE_MAX_OFFSET_DEG:g}",
                west=f"{extent[0]:.2f}",
                east=f"{extent[1]:.2f}",
                own=crs_message(GK3_ZONES[cm]),
                own_prefixed=crs_message(GK3_PREFIXED_ZONES[cm]),
            )
        )
    return zone.code


def parse_formats(values: str | Iterable[str] | None, *, lang: str = "zh") -> tuple[str, ...]:
    """The formats asked for, in package order; ``None`` or empty means all of :data:`FORMATS`.

    Each value may hold several formats separated by commas (``"shp,gpkg"``).

    Raises
    ------
    BureauOptionError
        For an unknown format; the message lists the valid ones.

    Examples
    --------
    >>> parse_formats(["gpkg,SHP", "geojson"])
    ('geojson', 'shp', 'gpkg')
    """
    if values is None:
        return FORMATS
    if isinstance(values, str):
        values = [values]
    asked: set[str] = set()
    for value in values:
        for part in str(value).split(","):
            name = part.strip().lower()
            if not name:
                continue
            name = FORMAT_ALIASES.get(name, name)
            if name not in FORMATS:
                raise BureauOptionError(
                    tr("bureau_unknown_format", lang, format=part.strip(), valid=", ".join(FORMATS))
                )
            asked.add(name)
    return tuple(f for f in FORMATS if f in asked) or FORMATS
