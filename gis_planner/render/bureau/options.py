"""Options of the bureau export — the CRS and the formats asked for — and its errors.

Options are checked before any work, so that a typo costs nothing: an unknown CRS or format is
a :class:`BureauOptionError` (exit code 2 on the command line) listing the valid values.
"""

from __future__ import annotations

from collections.abc import Iterable

from gis_planner.crs import CGCS2000_GEOGRAPHIC, CGCS2000_ZONE_PREFIXED, WORKING_CRS
from gis_planner.errors import PlannerError
from gis_planner.i18n import tr

#: the CRSs the bureau receives: CGCS2000 lon/lat (default), 3-degree Gauss-Kruger CM 120E,
#: and the same zone with the zone number prefixed to the easting
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
    """``EPSG:4490 CGCS2000 经纬度（默认）`` — a CRS choice as a planner reads it.

    Examples
    --------
    >>> crs_label("EPSG:4549", "en").startswith("EPSG:4549")
    True
    """
    return tr(f"bureau_crs_{code.split(':')[1]}", lang)


def parse_crs(value: str | int, *, lang: str = "zh") -> str:
    """The CRS code ``EPSG:nnnn`` of ``value`` (``4490``, ``"EPSG:4549"``, ``"epsg:4528"``).

    Raises
    ------
    BureauOptionError
        When ``value`` is not one of :data:`CRS_CHOICES`; the message lists the valid ones.

    Examples
    --------
    >>> parse_crs(4528), parse_crs("epsg:4490")
    ('EPSG:4528', 'EPSG:4490')
    """
    text = str(value).strip().upper().replace(" ", "")
    if text.isdigit():
        text = f"EPSG:{text}"
    if text not in CRS_CHOICES:
        valid = "; ".join(crs_label(c, lang) for c in CRS_CHOICES)
        raise BureauOptionError(tr("bureau_unknown_crs", lang, crs=value, valid=valid))
    return text


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
