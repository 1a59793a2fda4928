"""Reading one vector layer and bringing it to the working CRS.

A layer is read with pyogrio (a shapefile without ``.cpg`` whose text is not UTF-8 is read as
GB18030, with a warning); its CRS is checked — a missing CRS is an error, a declared CRS never
overrides a stated one, coordinates must lie in the range of the CRS they state, GCJ-02 is
converted when declared — and its datum is shifted to CGCS2000
(:func:`gis_planner.crs.to_cgcs2000`). :class:`WorkingCrs` picks the working CRS of a load:
the CGCS2000 3-degree zone of the communities, or the one planner.yaml fixes.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely

from gis_planner import crs as crs_mod
from gis_planner.crs import crs_name
from gis_planner.errors import InputError, ProblemList
from gis_planner.i18n import Message, msg
from gis_planner.io.config import CONFIG_FILE
from gis_planner.io.files import parts, reader_message

#: degrees around a projected CRS's area of use within which coordinates are accepted
AREA_OF_USE_MARGIN_DEG = 1.0


#: formats whose text is UTF-8 by their specification (a declared encoding cannot apply)
_UTF8_FORMATS = (".gpkg", ".fgb", ".parquet", ".gdb")
_UTF8_NAMES = ("utf-8", "utf8", "utf-8-sig")


def _is_utf8(path: Path, chunk_bytes: int = 1 << 20) -> bool:
    """Whether the file's bytes are valid UTF-8 (read in chunks, never whole)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_bytes):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def encoding_problem(path: Path, entry: dict[str, Any]) -> Message | None:
    """Why planner.yaml's ``encoding`` cannot apply to the file at ``path``, or ``None``.

    ``encoding`` is for shapefiles, whose ``.dbf`` holds text in any code page. GeoPackage,
    FlatGeobuf, GeoParquet and FileGDB text is UTF-8 by specification, and so is GeoJSON
    (RFC 7946): a GBK ``encoding`` read back from them garbles every Chinese name. A GeoJSON
    that is not valid UTF-8 (written by an old tool in GBK) may declare its encoding.
    """
    encoding = entry.get("encoding")
    suffix = path.suffix.lower()
    if not encoding or suffix == ".shp" or str(encoding).strip().lower() in _UTF8_NAMES:
        return None
    layer = entry.get("_name", "")
    if suffix in (".geojson", ".json"):
        if not _is_utf8(path):
            return None
        reason = msg("encoding_reason_geojson")
    else:
        reason = msg("encoding_reason_utf8_format", format=suffix)
    return msg("encoding_not_applicable", layer=layer, encoding=encoding, reason=reason)


def read_vector(
    path: Path, entry: dict[str, Any], source: str, problems: ProblemList
) -> gpd.GeoDataFrame | None:
    """The layer at ``path`` as read (``entry``: its planner.yaml settings, ``_name`` the
    layer's name); ``None`` with the problem reported when it cannot be read, or when its
    ``encoding`` cannot apply to it (:func:`encoding_problem`)."""
    wrong_encoding = encoding_problem(path, entry)
    if wrong_encoding is not None:
        problems.error(source, wrong_encoding)
        return None
    # Arrow reading is several times faster; shapefiles are read without it so that a
    # wrong guess of their encoding raises (UnicodeDecodeError) instead of passing silently
    # (and a file with a declared encoding, which only the non-Arrow reader applies)
    encoding = entry.get("encoding")
    kwargs: dict[str, Any] = {
        "engine": "pyogrio",
        "use_arrow": path.suffix.lower() != ".shp" and not encoding,
    }
    if entry.get("layer") is not None:
        kwargs["layer"] = entry["layer"]
    guess_encoding = (
        path.suffix.lower() == ".shp"
        and not encoding
        and not any(p.suffix.lower() == ".cpg" for p in parts(path))
    )
    try:
        with warnings.catch_warnings():
            # a column of mixed numbers and text ('1,200') is left as text, then checked;
            # NaN coordinates are reported with their rows
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
            if path.suffix.lower() == ".parquet":
                return gpd.read_parquet(path)
            if encoding:
                return gpd.read_file(path, encoding=encoding, **kwargs)
            if guess_encoding:
                try:
                    return gpd.read_file(path, encoding="utf-8", **kwargs)
                except UnicodeDecodeError:
                    problems.warn(source, msg("encoding_guess", layer=entry.get("_name", "")))
                    return gpd.read_file(path, encoding="gb18030", **kwargs)
            return gpd.read_file(path, **kwargs)
    except shapely.errors.GEOSException as err:  # one geometry GEOS cannot build
        salvaged = _read_unbuildable(path, kwargs, encoding)
        if salvaged is not None:
            return salvaged
        problems.error(source, msg("unreadable", error=reader_message(err, path)))
        return None
    except Exception as err:  # noqa: BLE001 - any reader failure is reported with the file
        problems.error(source, msg("unreadable", error=reader_message(err, path)))
        return None


#: ``GeoDataFrame.attrs`` key of the rows whose geometry GEOS could not build
UNBUILDABLE = "gis_planner_unbuildable"


def _read_unbuildable(
    path: Path, kwargs: dict[str, Any], encoding: str | None
) -> gpd.GeoDataFrame | None:
    """The layer with the geometries GEOS cannot build (a ring whose closing vertex is NaN
    never closes) left empty and their rows in ``attrs[UNBUILDABLE]``, so that they are
    reported by row like any NaN coordinate; ``None`` when that does not work either."""
    options = {"layer": kwargs.get("layer"), "encoding": encoding}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            meta, _, wkb, _ = pyogrio.raw.read(path, columns=[], **options)
            frame = pyogrio.read_dataframe(path, read_geometry=False, **options)
            geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    except Exception:  # noqa: BLE001 - the first error is reported instead
        return None
    if len(geoms) != len(frame):
        return None
    broken = np.array([w is not None and g is None for w, g in zip(wkb, geoms, strict=True)])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=meta["crs"])
    gdf.attrs[UNBUILDABLE] = broken
    return gdf


_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]')
_TAIL_CRS = re.compile(r'[\]}]\s*,\s*"crs"\s*:\s*(?=\{)')
_TAIL_END = re.compile(r'\s*(?:,\s*"bbox"\s*:\s*\[[^\[\]]*\]\s*)?\}\s*$')


def states_crs(path: Path | None) -> bool:
    """False for a GeoJSON file without a top-level ``crs`` member (RFC 7946 then implies
    WGS84). Only a member of the top-level object counts: a feature property named ``crs``
    does not. The first megabyte is tokenised; when the member is not found there before the
    features end, the end of the file is looked at (a ``crs`` member written after them).
    Any other file: True."""
    if path is None or path.suffix.lower() not in (".geojson", ".json"):
        return True
    head_size = 1 << 20
    with open(path, "rb") as handle:
        head = handle.read(head_size)
        size = os.fstat(handle.fileno()).st_size
        found = _head_states_crs(head)
        if found is not None:
            return found
        if size <= head_size:
            return False
        handle.seek(max(size - (64 << 10), 0))
        tail = handle.read().decode("utf-8", "replace")
    for match in _TAIL_CRS.finditer(tail):
        try:
            value, end = json.JSONDecoder().raw_decode(tail, match.end())
        except ValueError:
            continue
        if isinstance(value, dict) and "type" in value and _TAIL_END.match(tail, end):
            return True
    return False


def _head_states_crs(head: bytes) -> bool | None:
    """Whether the top-level object begun in ``head`` has a ``crs`` member: True, False
    (the object ended without one), or ``None`` (not known from ``head``)."""
    depth, key_expected, key = 0, False, None
    for match in _JSON_TOKEN.finditer(head):
        token = match.group()
        first = token[:1]
        if first == b'"':
            if depth == 1 and key_expected:
                key, key_expected = token, False
        elif first in b"{[":
            depth += 1
            key_expected = depth == 1 and first == b"{"
        elif first in b"}]":
            depth -= 1
            if depth == 0:
                return False  # the top-level object ended without a crs member
        elif first == b",":
            key_expected = depth == 1
        elif first == b":" and depth == 1:
            if key == b'"crs"':
                return True
            key = None
    return None


def check_crs(
    gdf: gpd.GeoDataFrame,
    name: str,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
) -> gpd.GeoDataFrame | None:
    """The layer with its CRS settled and checked, converted from GCJ-02 when declared and
    shifted to the CGCS2000 frame (:func:`shift_datum`); ``None`` with the problem reported.

    ``entry`` holds the layer's planner.yaml settings and ``_path``, its file; the datum shift
    applied is noted in ``entry["_datum_shift"]``.
    """
    gdf = _settle_crs(gdf, name, entry, source, problems)
    if gdf is None:
        return None
    layer_crs = pyproj.CRS.from_user_input(gdf.crs)
    present = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if present.empty:
        return gdf
    if not _in_range(present.total_bounds, layer_crs, source, problems):
        return None
    if entry.get("gcj02"):
        if not layer_crs.is_geographic:
            problems.error(source, msg("gcj02_not_geographic", crs=crs_name(layer_crs)))
            return None
        gdf = gdf.to_crs("EPSG:4326")
        gdf = gdf.set_geometry(
            crs_mod.geometries_gcj02_to_wgs84(gdf.geometry.values), crs="EPSG:4326"
        )
        problems.warn(source, msg("gcj02_converted"))
        # recorded where datum shifts are: the report's settings, the bureau's metadata.json
        shift = msg("shift_gcj02")
        entry["_datum_shift"] = crs_mod.DatumShift("gcj02", "GCJ-02", "EPSG:4326", shift, None)
    return shift_datum(gdf, name, entry, source, problems)


def _settle_crs(
    gdf: gpd.GeoDataFrame,
    name: str,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
) -> gpd.GeoDataFrame | None:
    """The layer with the CRS its file states, or (stating none) the one planner.yaml
    declares; a declaration conflicting with a stated CRS, or no CRS at all, is an error."""
    declared = entry.get("crs")
    declared_crs = None
    if declared is not None:
        try:
            declared_crs = pyproj.CRS.from_user_input(declared)
        except pyproj.exceptions.CRSError as err:
            problems.error(source, msg("bad_crs", crs=declared, error=str(err)))
            return None
    if declared_crs is not None and gdf.crs is not None and not states_crs(entry.get("_path")):
        # a GeoJSON without a "crs" member states nothing: RFC 7946 makes it lon/lat only
        # when no CRS is declared for it
        gdf = gdf.set_crs(None, allow_override=True)
    if gdf.crs is None:
        if declared_crs is None:
            problems.error(source, msg("no_crs", layer=name))
            return None
        return gdf.set_crs(declared_crs)
    if declared_crs is not None and not gdf.crs.equals(declared_crs):
        if not crs_mod.same_coordinates(gdf.crs, declared_crs, gdf):
            problems.error(
                source,
                msg("crs_conflict", stated=crs_name(gdf.crs), declared=crs_name(declared_crs)),
            )
            return None
        gdf = gdf.set_crs(declared_crs, allow_override=True)  # the stated CRS + its +towgs84
    return gdf


def _in_range(
    bounds: np.ndarray, layer_crs: pyproj.CRS, source: str, problems: ProblemList
) -> bool:
    """Whether coordinates within ``bounds`` can be in ``layer_crs``: lon/lat for a
    geographic CRS (metres in a GeoJSON are not), the area of use (with a margin of
    :data:`AREA_OF_USE_MARGIN_DEG`) for a projected one."""
    xmin, ymin, xmax, ymax = bounds
    if layer_crs.is_geographic:
        if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
            problems.error(
                source,
                msg(
                    "out_of_range_geographic",
                    xmin=xmin,
                    xmax=xmax,
                    ymin=ymin,
                    ymax=ymax,
                    crs=crs_name(layer_crs),
                ),
            )
            return False
        return True
    area = layer_crs.area_of_use
    if area is None:
        return True
    # the CRS's own geodetic CRS: fast to build, and a datum shift is irrelevant against a
    # 1-degree margin
    to_geo = pyproj.Transformer.from_crs(layer_crs, layer_crs.geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
    lon, lat = np.asarray(lon), np.asarray(lat)
    margin = AREA_OF_USE_MARGIN_DEG
    if (
        not np.all(np.isfinite(lon))
        or lon.min() < area.west - margin
        or lon.max() > area.east + margin
        or lat.min() < area.south - margin
        or lat.max() > area.north + margin
    ):
        problems.error(
            source,
            msg(
                "out_of_area",
                crs=crs_name(layer_crs),
                bounds=f"{xmin:.0f}, {ymin:.0f} – {xmax:.0f}, {ymax:.0f}",
            ),
        )
        return False
    return True


def shift_datum(
    gdf: gpd.GeoDataFrame,
    name: str,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
) -> gpd.GeoDataFrame | None:
    """Bring a layer to CGCS2000 (:func:`gis_planner.crs.to_cgcs2000`), or refuse it.

    The shift used is noted in ``entry["_datum_shift"]`` for the layer's
    :class:`~gis_planner.io.layers.SourceInfo`; a ballpark accepted, or a shift PROJ chose,
    is a warning.
    """
    transform = None
    if entry.get("transform") is not None:
        transform, bad = crs_mod.parse_transform(entry["transform"])
        for wrong in bad:
            problems.error(CONFIG_FILE, msg("transform_bad", layer=name, problem=wrong))
        if transform is None:
            return None
        if entry.get("gcj02"):
            problems.error(CONFIG_FILE, msg("transform_with_gcj02", layer=name))
            return None
    accept = entry.get("accept_ballpark", False)
    if not isinstance(accept, bool):
        problems.error(CONFIG_FILE, msg("accept_ballpark_bad", layer=name, value=accept))
        return None
    try:
        gdf, shift = crs_mod.to_cgcs2000(
            gdf, layer=name, transform=transform, accept_ballpark=accept
        )
    except InputError as err:
        for problem in err.problems:
            problems.error(source, problem.message)
        return None
    if shift is not None:
        entry["_datum_shift"] = shift
        if shift.ballpark:
            problems.warn(source, msg("datum_ballpark_accepted", text=shift.text))
        elif shift.method == "proj":  # chosen by PROJ, not by the planner: say so
            problems.warn(source, msg("datum_shifted", text=shift.text))
    return gdf


@dataclass
class WorkingCrs:
    """The working CRS of one load: fixed in planner.yaml, or (``auto``) the 3-degree zone of
    the first layer reprojected — the communities, which are read first."""

    setting: str = "auto"
    crs: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], problems: ProblemList) -> WorkingCrs:
        """planner.yaml's ``working_crs`` (``auto`` or a zone EPSG:4534–4554); an invalid
        value is reported (``working_crs_bad``) and ``auto`` used."""
        value = config.get("working_crs", "auto")
        if str(value).strip().lower() == "auto":
            return cls()
        try:
            central = crs_mod.gk3_central_meridian(value)
        except Exception:  # noqa: BLE001 - any unreadable value is reported below
            central = None
        if central is None:
            problems.error(
                CONFIG_FILE, msg("working_crs_bad", value=value, valid=crs_mod.GK3_RANGE)
            )
            return cls()
        return cls(setting=crs_mod.GK3_ZONES[central])

    def for_layer(self, gdf: gpd.GeoDataFrame, source: str, problems: ProblemList) -> str | None:
        """The working CRS to bring ``gdf`` to: set by the first layer; ``None`` with the
        problem reported when that layer lies outside China's zones."""
        if self.crs is not None:
            return self.crs
        try:
            lon, lat = crs_mod.centre_lonlat(gdf)
            auto = crs_mod.gk3_zone(lon)
        except ValueError:
            lon, lat, auto = float("nan"), float("nan"), None
        if self.setting == "auto":
            if auto is None:
                problems.error(source, msg("working_crs_outside", lon=lon))
                return None
            self.crs = auto
        else:
            self.crs = self.setting
            if auto is not None and auto != self.crs:
                length = abs(crs_mod.scale_error(self.crs, lon, lat))
                problems.warn(
                    CONFIG_FILE,
                    msg(
                        "working_crs_far",
                        crs=self.crs,
                        lon=lon,
                        auto=auto,
                        length=length,
                        area=(1 + length) ** 2 - 1,
                    ),
                )
        return self.crs
