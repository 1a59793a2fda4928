"""Read, validate and normalise a layers folder into one :class:`PlanningData` (one CRS).

This is the only module that reads input files. It finds each layer (``planner.yaml`` or the
default file names of DESIGN.md), reads it with pyogrio, checks its CRS (a missing CRS is an
error, a declared CRS never overrides a stated one, GCJ-02 is converted when declared),
renames Chinese and mapped fields to the contract's names, converts Chinese values, checks
every value and geometry, and collects *every* problem of every layer before raising one
:class:`~gis_planner.errors.InputError`.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import yaml

from gis_planner import crs as crs_mod
from gis_planner import schema
from gis_planner.errors import InputError, Problem, ProblemList, format_rows
from gis_planner.i18n import tr
from gis_planner.rules import RuleSet, load_rules

log = logging.getLogger(__name__)

CONFIG_FILE = "planner.yaml"
CONFIG_KEYS = ("layers", "rules", "household_size", "name", "data_note", "working_crs")
LAYER_CONFIG_KEYS = ("file", "layer", "crs", "encoding", "fields", "gcj02", "sheet", "transform",
                     "accept_ballpark")
TABLE_NAMES = (schema.HOUSEHOLDS_TABLE, "户数统计表")
TABLE_EXTENSIONS = (".csv", ".xlsx")
FAR_AWAY_KM = 50.0
OVERLAP_TOLERANCE_M2 = 1.0  # data quality, not policy: overlaps below this are digitising slivers
LATEST_PLAN_YEAR = 2100  # a delivery year past this is a typing error, not a plan


@dataclass
class SourceInfo:
    """Where a layer came from: file, sha256, stated CRS, feature count, and the datum shift
    that brought it to CGCS2000 (``None`` when it was CGCS2000 or WGS 84 already)."""

    layer: str
    file: str
    sha256: str
    crs: str
    features: int
    notes: list[str] = field(default_factory=list)
    datum_shift: crs_mod.DatumShift | None = None


@dataclass
class PlanningData:
    """Every input layer of a planning area, validated and in one working CRS.

    The working CRS (:attr:`working_crs`) is the CGCS2000 3-degree Gauss-Kruger zone of the
    communities (EPSG:4549 for Deqing), or the one ``planner.yaml`` fixes (``working_crs``).
    Layers that are absent are ``None``. Each GeoDataFrame keeps its input fields, renamed
    to the contract's English names, with Chinese values converted to the English ones.
    """

    communities: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None = None
    premises: gpd.GeoDataFrame | None = None
    planned_roads: gpd.GeoDataFrame | None = None
    development_parcels: gpd.GeoDataFrame | None = None
    candidate_sites: gpd.GeoDataFrame | None = None
    county_outline: gpd.GeoDataFrame | None = None
    paths: gpd.GeoDataFrame | None = None
    barriers: gpd.GeoDataFrame | None = None
    population_raster: Path | None = None
    rules: RuleSet = field(default_factory=load_rules)
    household_size: float | None = None  # None: rules.settings.household_size
    warnings: list[Problem] = field(default_factory=list)
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    folder: Path | None = None
    name: str = ""
    data_note: dict[str, str] | None = None
    working_crs_setting: str = "auto"  # planner.yaml working_crs: auto or EPSG:4534–4554

    @property
    def working_crs(self) -> str:
        """The CRS of every layer (``EPSG:45xx``): the communities' CRS."""
        return crs_mod.crs_name(self.communities.crs)

    def __post_init__(self) -> None:
        if self.household_size is None:
            self.household_size = float(self.rules.settings.household_size)

    def layer(self, name: str) -> gpd.GeoDataFrame | None:
        return getattr(self, name)

    @property
    def vector_layers(self) -> dict[str, gpd.GeoDataFrame]:
        return {n: g for n in schema.VECTOR_LAYERS if (g := getattr(self, n)) is not None}


# --------------------------------------------------------------------------- config


def _read_config(folder: Path, problems: ProblemList, lang: str) -> dict[str, Any]:
    path = folder / CONFIG_FILE
    if not path.exists():
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        problems.error(CONFIG_FILE, tr("config_bad", lang, error=err))
        return {}
    if not isinstance(config, dict):
        problems.error(CONFIG_FILE, tr("config_bad", lang, error="top level must be a mapping"))
        return {}
    for key in config:
        if key not in CONFIG_KEYS:
            problems.error(CONFIG_FILE, tr("config_unknown_key", lang, key=key,
                                           valid=", ".join(CONFIG_KEYS)))
    layers = config.get("layers") or {}
    valid_layers = (*schema.VECTOR_LAYERS, *schema.RASTER_LAYERS, schema.HOUSEHOLDS_TABLE)
    for name, entry in layers.items():
        if name not in valid_layers:
            problems.error(CONFIG_FILE, tr("config_unknown_key", lang, key=f"layers.{name}",
                                           valid=", ".join(valid_layers)))
            continue
        if isinstance(entry, str):
            layers[name] = {"file": entry}
            continue
        if not isinstance(entry, dict):
            problems.error(CONFIG_FILE, tr("config_bad", lang,
                                           error=f"layers.{name} must be a mapping"))
            continue
        for key in entry:
            if key not in LAYER_CONFIG_KEYS:
                problems.error(CONFIG_FILE, tr("config_unknown_key", lang,
                                               key=f"layers.{name}.{key}",
                                               valid=", ".join(LAYER_CONFIG_KEYS)))
    config["layers"] = layers
    return config


def _find_file(folder: Path, name: str, alias: str, extensions: tuple[str, ...],
               entry: dict[str, Any], problems: ProblemList, lang: str) -> Path | None:
    if entry.get("file"):
        path = folder / entry["file"]
        if not path.exists():
            problems.error(CONFIG_FILE, tr("file_missing", lang, file=path))
            return None
        return path
    found = [folder / f"{stem}{ext}" for stem in (name, alias) for ext in extensions
             if (folder / f"{stem}{ext}").exists()]
    if len(found) > 1:
        problems.error(name, tr("ambiguous", lang, layer=name,
                                files=", ".join(p.name for p in found)))
        return None
    return found[0] if found else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    paths = [path]
    if path.suffix.lower() == ".shp":
        paths = sorted(p for p in path.parent.glob(path.stem + ".*"))
    for p in paths:
        digest.update(p.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------- reading


def _read_vector(path: Path, entry: dict[str, Any], source: str, problems: ProblemList,
                 lang: str) -> gpd.GeoDataFrame | None:
    # Arrow reading is several times faster; shapefiles are read without it so that a
    # wrong guess of their encoding raises (UnicodeDecodeError) instead of passing silently
    kwargs: dict[str, Any] = {"engine": "pyogrio",
                              "use_arrow": path.suffix.lower() != ".shp"}
    if entry.get("layer") is not None:
        kwargs["layer"] = entry["layer"]
    encoding = entry.get("encoding")
    guess_encoding = (path.suffix.lower() == ".shp" and not encoding
                      and not path.with_suffix(".cpg").exists()
                      and not path.with_suffix(".CPG").exists())
    try:
        if path.suffix.lower() == ".parquet":
            return gpd.read_parquet(path)
        if encoding:
            return gpd.read_file(path, encoding=encoding, **kwargs)
        if guess_encoding:
            try:
                return gpd.read_file(path, encoding="utf-8", **kwargs)
            except UnicodeDecodeError:
                problems.warn(source, tr("encoding_guess", lang, layer=entry.get("_name", "")))
                return gpd.read_file(path, encoding="gb18030", **kwargs)
        return gpd.read_file(path, **kwargs)
    except Exception as err:  # noqa: BLE001 - any reader failure is reported with the file
        problems.error(source, tr("unreadable", lang, error=str(err).splitlines()[0]))
        return None


def _crs_name(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return "—"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def _states_crs(path: Path | None) -> bool:
    """False for a GeoJSON file without a ``crs`` member (RFC 7946 then implies WGS84)."""
    if path is None or path.suffix.lower() not in (".geojson", ".json"):
        return True
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(1 << 20)
    return re.search(r'"crs"\s*:', head) is not None


def _check_crs(gdf: gpd.GeoDataFrame, name: str, entry: dict[str, Any], source: str,
               problems: ProblemList, lang: str) -> gpd.GeoDataFrame | None:
    declared = entry.get("crs")
    declared_crs = None
    if declared is not None:
        try:
            declared_crs = pyproj.CRS.from_user_input(declared)
        except pyproj.exceptions.CRSError as err:
            problems.error(source, tr("bad_crs", lang, crs=declared, error=err))
            return None
    if declared_crs is not None and gdf.crs is not None and not _states_crs(entry.get("_path")):
        # a GeoJSON without a "crs" member states nothing: RFC 7946 makes it lon/lat only
        # when no CRS is declared for it
        gdf = gdf.set_crs(None, allow_override=True)
    if gdf.crs is None:
        if declared_crs is None:
            problems.error(source, tr("no_crs", lang, layer=name))
            return None
        gdf = gdf.set_crs(declared_crs)
    elif declared_crs is not None and not gdf.crs.equals(declared_crs):
        if not crs_mod.same_coordinates(gdf.crs, declared_crs, gdf):
            problems.error(source, tr("crs_conflict", lang, stated=_crs_name(gdf.crs),
                                      declared=_crs_name(declared_crs)))
            return None
        gdf = gdf.set_crs(declared_crs, allow_override=True)  # the stated CRS + its +towgs84
    layer_crs = pyproj.CRS.from_user_input(gdf.crs)
    present = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if present.empty:
        return gdf
    xmin, ymin, xmax, ymax = present.total_bounds
    if layer_crs.is_geographic:
        if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
            problems.error(source, tr("out_of_range_geographic", lang, xmin=xmin, xmax=xmax,
                                      ymin=ymin, ymax=ymax, crs=_crs_name(layer_crs)))
            return None
    else:
        area = layer_crs.area_of_use
        if area is not None:
            # the CRS's own geodetic CRS: fast to build, and a datum shift is irrelevant
            # against a 1-degree margin
            to_geo = pyproj.Transformer.from_crs(layer_crs, layer_crs.geodetic_crs,
                                                 always_xy=True)
            lon, lat = to_geo.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
            lon, lat = np.asarray(lon), np.asarray(lat)
            margin = 1.0
            if (not np.all(np.isfinite(lon)) or lon.min() < area.west - margin
                    or lon.max() > area.east + margin or lat.min() < area.south - margin
                    or lat.max() > area.north + margin):
                problems.error(source, tr(
                    "out_of_area", lang, crs=_crs_name(layer_crs),
                    bounds=f"{xmin:.0f}, {ymin:.0f} – {xmax:.0f}, {ymax:.0f}"))
                return None
    if entry.get("gcj02"):
        if not layer_crs.is_geographic:
            problems.error(source, tr("gcj02_not_geographic", lang, crs=_crs_name(layer_crs)))
            return None
        gdf = gdf.to_crs("EPSG:4326")
        gdf = gdf.set_geometry(crs_mod.geometries_gcj02_to_wgs84(gdf.geometry.values),
                               crs="EPSG:4326")
        problems.warn(source, tr("gcj02_converted", lang))
    return _shift_datum(gdf, name, entry, source, problems, lang)


def _shift_datum(gdf: gpd.GeoDataFrame, name: str, entry: dict[str, Any], source: str,
                 problems: ProblemList, lang: str) -> gpd.GeoDataFrame | None:
    """Bring a layer to CGCS2000 (:func:`gis_planner.crs.to_cgcs2000`), or refuse it.

    The shift used is noted in ``entry["_datum_shift"]`` for the layer's :class:`SourceInfo`.
    """
    transform = None
    if entry.get("transform") is not None:
        transform, bad = crs_mod.parse_transform(entry["transform"], lang)
        for problem in bad:
            problems.error(CONFIG_FILE, tr("transform_bad", lang, layer=name, problem=problem))
        if transform is None:
            return None
        if entry.get("gcj02"):
            problems.error(CONFIG_FILE, tr("transform_with_gcj02", lang, layer=name))
            return None
    accept = entry.get("accept_ballpark", False)
    if not isinstance(accept, bool):
        problems.error(CONFIG_FILE, tr("accept_ballpark_bad", lang, layer=name, value=accept))
        return None
    try:
        gdf, shift = crs_mod.to_cgcs2000(gdf, layer=name, transform=transform,
                                         accept_ballpark=accept, lang=lang)
    except InputError as err:
        for problem in err.problems:
            problems.error(source, problem.message)
        return None
    if shift is not None:
        entry["_datum_shift"] = shift
        if shift.ballpark:
            problems.warn(source, tr("datum_ballpark_accepted", lang, text=shift.text))
        elif shift.method == "proj":  # chosen by PROJ, not by the planner: say so
            problems.warn(source, tr("datum_shifted", lang, text=shift.text))
    return gdf


@dataclass
class _WorkingCrs:
    """The working CRS of one load: fixed in planner.yaml, or (``auto``) the 3-degree zone of
    the first layer reprojected — the communities, which are read first."""

    setting: str = "auto"
    crs: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any], problems: ProblemList,
                    lang: str) -> _WorkingCrs:
        value = config.get("working_crs", "auto")
        if str(value).strip().lower() == "auto":
            return cls()
        try:
            central = crs_mod.gk3_central_meridian(value)
        except Exception:  # noqa: BLE001 - any unreadable value is reported below
            central = None
        if central is None:
            problems.error(CONFIG_FILE, tr("working_crs_bad", lang, value=value,
                                           valid=crs_mod.GK3_RANGE))
            return cls()
        return cls(setting=crs_mod.GK3_ZONES[central])

    def for_layer(self, gdf: gpd.GeoDataFrame, source: str, problems: ProblemList,
                  lang: str) -> str | None:
        if self.crs is not None:
            return self.crs
        try:
            lon, lat = crs_mod.centre_lonlat(gdf)
            auto = crs_mod.gk3_zone(lon)
        except ValueError:
            lon, lat, auto = float("nan"), float("nan"), None
        if self.setting == "auto":
            if auto is None:
                problems.error(source, tr("working_crs_outside", lang, lon=lon))
                return None
            self.crs = auto
        else:
            self.crs = self.setting
            if auto is not None and auto != self.crs:
                length = abs(crs_mod.scale_error(self.crs, lon, lat))
                problems.warn(CONFIG_FILE, tr("working_crs_far", lang, crs=self.crs, lon=lon,
                                              auto=auto, length=length,
                                              area=(1 + length) ** 2 - 1))
        return self.crs


def _rename_fields(gdf: gpd.GeoDataFrame, spec: schema.LayerSpec, entry: dict[str, Any],
                   source: str, problems: ProblemList, lang: str) -> gpd.GeoDataFrame:
    mapping = dict(entry.get("fields") or {})
    missing = [k for k in mapping if k not in gdf.columns]
    if missing:
        present = ", ".join(c for c in gdf.columns if c != "geometry")
        problems.error(source, tr("field_map_missing", lang, names=", ".join(missing),
                                  present=present))
    gdf = gdf.rename(columns={k: v for k, v in mapping.items() if k in gdf.columns})
    renames: dict[str, str] = {}
    lower = {c.lower(): c for c in gdf.columns}
    for f in spec.fields:
        if f.name in gdf.columns:
            continue
        candidates = [*f.alias_zh, f.name[:10]]
        for alias in candidates:
            column = alias if alias in gdf.columns else lower.get(alias.lower())
            if column is not None and column not in renames and column not in mapping.values():
                renames[column] = f.name
                break
        else:
            if f.name.lower() in lower:
                renames[lower[f.name.lower()]] = f.name
    gdf = gdf.rename(columns=renames)
    gdf.attrs["source_columns"] = {**{v: k for k, v in mapping.items()},
                                   **{v: k for k, v in renames.items()}}
    return gdf


def _row_ids(gdf: pd.DataFrame, spec: schema.LayerSpec) -> pd.Series:
    """Row labels for messages: the id field where present, else the 1-based row number."""
    if spec.id_field and spec.id_field in gdf.columns:
        ids = gdf[spec.id_field].astype("string")
        fallback = pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)
        return ids.fillna(fallback).astype(str)
    return pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)


# text that only says "missing": blank, and the words pandas/numpy/Python/GDAL print for a
# missing value when a table was saved through str() ('<NA>', 'nan', 'NaT', 'None', 'NULL')
NULL_WORDS = ("", "nan", "none", "null", "<na>", "nat", "<null>")


def _text(series: pd.Series) -> pd.Series:
    """The values as stripped text (vectorised; missing values stay missing)."""
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series.str.strip()
    return series.astype("string").str.strip()


def _blank(series: pd.Series) -> pd.Series:
    """Missing values, and text that only says so (:data:`NULL_WORDS`: '', '<NA>', 'nan' …)."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series.isna()
    text = _text(series)
    return (series.isna() | text.str.lower().isin(NULL_WORDS)).fillna(True).astype(bool)


def _lookup(series: pd.Series, table: dict[str, Any], blank: pd.Series
            ) -> tuple[pd.Series, pd.Series]:
    """Map values through ``table`` (keys lower-case); returns (values, unknown mask)."""
    keys = _text(series).str.lower()
    values = keys.map(table).astype(object)
    unknown = (~blank & values.isna()).astype(bool)
    return values.where(~blank & ~unknown, None), unknown


def _coerce(gdf: gpd.GeoDataFrame, spec: schema.LayerSpec, rows: pd.Series, source: str,
            problems: ProblemList, lang: str, *, earliest_year: int,
            filled_later: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    source_columns = dict(gdf.attrs.get("source_columns", {}))
    gdf = gdf.copy()
    this_year = _dt.date.today().year
    for f in spec.fields:
        shown = (f"{f.name}（{source_columns[f.name]}）" if lang == "zh" else
                 f"{f.name} (column {source_columns[f.name]})") \
            if source_columns.get(f.name, f.name) != f.name else f.name
        if f.name not in gdf.columns and f.name in filled_later:
            gdf[f.name] = pd.NA
        if f.name not in gdf.columns:
            if f.required:
                aliases = "、".join(f.alias_zh) or "—"
                close = difflib.get_close_matches(
                    f.name, [str(c) for c in gdf.columns if c != "geometry"], n=3, cutoff=0.5)
                similar = tr("similar", lang, names=", ".join(close)) if close else ""
                problems.error(source, tr("field_missing", lang, field=f.name, aliases=aliases,
                                          similar=similar, layer=spec.name))
            elif f.default is not None:
                gdf[f.name] = f.default
            continue
        raw = gdf[f.name]
        blank = _blank(raw)
        if f.required and blank.any() and f.name not in filled_later:
            problems.error(source, tr("required_empty", lang, field=shown,
                                      rows=format_rows(rows[blank])))
        if f.kind == "text":
            gdf[f.name] = _text(raw).astype(object).where(~blank, None)
        elif f.kind in ("int", "number", "year", "plan_year"):
            numbers = pd.to_numeric(raw.where(~blank), errors="coerce")
            bad = ~blank & numbers.isna()
            minimum = f.minimum if f.minimum is not None else -np.inf
            if f.kind in ("year", "plan_year"):
                latest = this_year if f.kind == "year" else LATEST_PLAN_YEAR
                bad |= ~blank & ((numbers < earliest_year) | (numbers > latest)
                                 | (numbers != np.floor(numbers)))
                if bad.any():
                    problems.error(source, tr("bad_year", lang, field=shown,
                                              earliest=earliest_year, latest=latest,
                                              rows=format_rows(rows[bad], raw[bad])))
            elif f.kind == "int":
                bad |= ~blank & ((numbers < minimum) | (numbers != np.floor(numbers)))
                if bad.any():
                    problems.error(source, tr("not_integer", lang, field=shown,
                                              minimum=max(minimum, 0) if f.minimum is not None
                                              else 0, rows=format_rows(rows[bad], raw[bad])))
            else:
                low = numbers <= minimum if f.exclusive_minimum else numbers < minimum
                bad |= ~blank & low
                if bad.any():
                    problems.error(source, tr("not_number", lang, field=shown,
                                              cmp=">" if f.exclusive_minimum else ">=",
                                              minimum=minimum if np.isfinite(minimum) else 0,
                                              rows=format_rows(rows[bad], raw[bad])))
            if f.kind in ("int", "year", "plan_year"):
                gdf[f.name] = numbers.round().astype("Int64")
            else:
                gdf[f.name] = numbers.astype("Float64")
        elif f.kind == "share":
            numbers = pd.to_numeric(raw.where(~blank), errors="coerce")
            bad = ~blank & (numbers.isna() | (numbers < 0) | (numbers > 100))
            if bad.any():
                problems.error(source, tr("not_share", lang, field=shown,
                                          rows=format_rows(rows[bad], raw[bad])))
            elif (numbers > 1).any():
                fraction = (numbers > 0) & (numbers < 1)
                if fraction.any():  # 0.8 beside 75: which one is meant cannot be known
                    problems.error(source, tr("mixed_share", lang, field=shown,
                                              rows=format_rows(rows[fraction], raw[fraction])))
                else:
                    problems.warn(source, tr("percent_read", lang, field=shown))
                numbers = numbers / 100.0
            gdf[f.name] = numbers.astype("Float64")
        elif f.kind == "bool":
            if pd.api.types.is_bool_dtype(raw.dtype):
                converted, bad = raw.astype(object).where(~blank, None), blank & False
            elif pd.api.types.is_numeric_dtype(raw.dtype):
                bad = ~blank & ~raw.isin([0, 1])
                converted = (raw == 1).astype(object).where(~blank & ~bad, None)
            else:
                converted, bad = _lookup(raw, schema.BOOL, blank)
            if bad.any():
                problems.error(source, tr("bad_bool", lang, field=shown,
                                          rows=format_rows(rows[bad], raw[bad])))
            gdf[f.name] = converted.astype("boolean")
        elif f.kind == "enum":
            table = {k.lower(): v for k, v in f.values.items()}
            table.update({c.lower(): c for c in f.choices})
            converted, bad = _lookup(raw, table, blank)
            if bad.any():
                zh_for: dict[str, str] = {}
                for zh, en in f.values.items():
                    zh_for.setdefault(en, zh)
                valid = ", ".join(f"{c}/{zh_for[c]}" if c in zh_for else c for c in f.choices)
                problems.error(source, tr("bad_enum", lang, field=shown,
                                          rows=format_rows(rows[bad], raw[bad]), valid=valid))
            if f.default is not None:
                converted = converted.where(converted.notna(), f.default)
            gdf[f.name] = converted.astype(object)
    return gdf


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in schema.POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _check_geometry(gdf: gpd.GeoDataFrame, spec: schema.LayerSpec, rows: pd.Series,
                    source: str, problems: ProblemList, lang: str) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    if missing.any():
        problems.error(source, tr("null_geometry", lang, rows=format_rows(rows[missing])))
    types = geom.geom_type
    wrong = ~missing & ~types.isin(spec.geometry)
    if wrong.any():
        problems.error(source, tr("wrong_geometry", lang, expected="/".join(spec.geometry),
                                  rows=format_rows(rows[wrong], types[wrong])))
    invalid = ~missing & ~wrong & ~geom.is_valid
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].values)
        if spec.geometry == schema.POLYGONAL:
            repaired = np.array([_polygonal(g) for g in repaired], dtype=object)
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = repaired
        problems.warn(source, tr("invalid_geometry", lang, rows=format_rows(rows[invalid])))
    return gdf


def _check_ids(gdf: pd.DataFrame, spec: schema.LayerSpec, source: str, problems: ProblemList,
               lang: str) -> None:
    if not spec.id_field or spec.id_field not in gdf.columns:
        return
    ids = gdf[spec.id_field]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        problems.error(source, tr("duplicate_ids", lang, field=spec.id_field,
                                  rows=format_rows(sorted(ids[dup].astype(str).unique()))))


def _load_layer(folder: Path, spec: schema.LayerSpec, entry: dict[str, Any],
                problems: ProblemList, lang: str, *, earliest_year: int,
                filled_later: tuple[str, ...] = (), working: _WorkingCrs | None = None
                ) -> tuple[gpd.GeoDataFrame | None, SourceInfo | None]:
    path = _find_file(folder, spec.name, spec.alias_zh, schema.VECTOR_EXTENSIONS, entry,
                      problems, lang)
    if path is None:
        if spec.required and not problems.errors:
            names = ", ".join(f"{spec.name}{e}" for e in (".gpkg", ".geojson", ".shp"))
            problems.error(spec.name, tr("layer_missing", lang, layer=spec.name,
                                         alias=spec.alias_zh, names=names))
        return None, None
    source = path.name + (f" (layer {entry['layer']})" if entry.get("layer") else "")
    before = len(problems.errors)
    gdf = _read_vector(path, {**entry, "_name": spec.name}, source, problems, lang)
    if gdf is None:
        return None, None
    if len(gdf) == 0:
        if not spec.required:  # an optional layer with no features: as if it were absent
            problems.warn(source, tr("empty_layer_absent", lang, layer=spec.name))
            return None, None
        problems.error(source, tr("empty_layer", lang))
        return None, None
    stated = _crs_name(gdf.crs) if gdf.crs is not None else f"{entry.get('crs')} (declared)"
    crs_entry = {**entry, "_path": path}  # _check_crs notes the datum shift in it
    gdf = _check_crs(gdf, spec.name, crs_entry, source, problems, lang)
    if gdf is None:
        return None, None
    gdf = _rename_fields(gdf, spec, entry, source, problems, lang)
    rows = _row_ids(gdf, spec)
    gdf = _coerce(gdf, spec, rows, source, problems, lang, earliest_year=earliest_year,
                  filled_later=filled_later)
    _check_ids(gdf, spec, source, problems, lang)
    gdf = _check_geometry(gdf, spec, rows, source, problems, lang)
    if len(problems.errors) > before:
        return None, None
    working_crs = (working or _WorkingCrs()).for_layer(gdf, source, problems, lang)
    if working_crs is None:
        return None, None
    gdf = gdf.to_crs(working_crs).reset_index(drop=True)
    info = SourceInfo(spec.name, str(path), _sha256(path), stated, len(gdf),
                      datum_shift=crs_entry.get("_datum_shift"))
    log.info("Read %s: %d features from %s (%s → %s)", spec.name, len(gdf), path.name, stated,
             working_crs)
    return gdf, info


# --------------------------------------------------------------------------- tables


def _read_households_table(path: Path | None, entry: dict[str, Any], problems: ProblemList,
                           lang: str) -> tuple[pd.DataFrame | None, Path | None]:
    if path is None:
        return None, None
    try:
        if path.suffix.lower() == ".xlsx":
            table = pd.read_excel(path, sheet_name=entry.get("sheet", 0), dtype=str)
        else:
            table = pd.read_csv(path, dtype=str, encoding=entry.get("encoding", "utf-8-sig"))
    except Exception as err:  # noqa: BLE001 - reported with the file
        problems.error(path.name, tr("unreadable", lang, error=err))
        return None, None
    aliases = {"小区代码": "estate_id", "小区编码": "estate_id", "小区名称": "name",
               "名称": "name", "社区代码": "community_id", "户数": "households",
               "常住人口": "population", "统计日期": "as_of"}
    table = table.rename(columns={**aliases, **(entry.get("fields") or {})})
    has_key = "estate_id" in table.columns or {"name", "community_id"} <= set(table.columns)
    if not has_key or "households" not in table.columns:
        problems.error(path.name, tr("table_columns", lang, present=", ".join(table.columns)))
        return None, None
    numbers = pd.to_numeric(table["households"], errors="coerce")
    bad = numbers.isna() | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.any():
        ids = table.get("estate_id", table.get("name"))
        problems.error(path.name, tr("not_integer", lang, field="households", minimum=0,
                                     rows=format_rows(ids[bad], table["households"][bad])))
        return None, None
    table["households"] = numbers.astype("Int64")
    by_id = "estate_id" in table.columns and table["estate_id"].notna().all()
    keys = ["estate_id"] if by_id else ["name", "community_id"]
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        problems.error(path.name, tr("table_duplicates", lang, rows=format_rows(
            table.loc[duplicated, keys[0]].astype(str).unique())))
        return None, None
    return table, path


def _apply_households_table(estates: gpd.GeoDataFrame, table: pd.DataFrame, path: Path,
                            communities: gpd.GeoDataFrame, problems: ProblemList, lang: str
                            ) -> gpd.GeoDataFrame:
    """Fill or replace the estates' household counts from the households table."""
    estates = estates.copy()
    if "estate_id" in table.columns and table["estate_id"].notna().all():
        key = table["estate_id"].astype(str)
        index = pd.Series(estates.index, index=estates["estate_id"].astype(str))
        matched = key.isin(index.index)
        targets = index.reindex(key[matched]).to_numpy()
    else:
        # name + community: the community is the one holding the estate's representative point
        points = gpd.GeoDataFrame(geometry=estates.representative_point(), crs=estates.crs)
        joined = gpd.sjoin(points, communities[["community_id", "geometry"]], how="left",
                           predicate="within")
        joined = joined[~joined.index.duplicated()]
        lookup = pd.Series(estates.index, index=pd.MultiIndex.from_arrays(
            [estates["name"].astype(str), joined["community_id"].astype(str)]))
        lookup = lookup[~lookup.index.duplicated()]
        keys = pd.MultiIndex.from_arrays([table["name"].astype(str),
                                          table["community_id"].astype(str)])
        matched = pd.Series(keys.isin(lookup.index), index=table.index)
        targets = lookup.reindex(keys[matched.to_numpy()]).to_numpy()
        key = table["name"].astype(str)
    if (~matched).any():
        problems.warn(path.name, tr("table_unmatched", lang, n=int((~matched).sum()),
                                    rows=format_rows(key[~matched])))
    estates.loc[targets, "households"] = table.loc[matched, "households"].to_numpy()
    if "population" in table.columns:
        estates.loc[targets, "population"] = pd.to_numeric(
            table.loc[matched, "population"], errors="coerce").to_numpy()
    return estates


# --------------------------------------------------------------------------- the folder


def _check_overlaps(communities: gpd.GeoDataFrame, source: str, problems: ProblemList,
                    lang: str) -> None:
    """Warn about communities that overlap by more than a digitising sliver."""
    geoms = communities.geometry.values
    if shapely.coverage_is_valid(geoms):  # a clean coverage (shared edges) cannot overlap;
        return                            # 5× faster than the pairwise check below
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pair = left < right
    left, right = left[pair], right[pair]
    if not len(left):
        return
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    big = area > OVERLAP_TOLERANCE_M2
    if big.any():
        ids = communities["community_id"].astype(str).to_numpy()
        rows = [f"{ids[a]}×{ids[b]}" for a, b in zip(left[big], right[big], strict=True)]
        problems.warn(source, tr("communities_overlap", lang, tolerance=OVERLAP_TOLERANCE_M2,
                                 rows=", ".join(f"{r} ({a:,.0f} m²)"
                                                for r, a in zip(rows, area[big], strict=True))))


def _check_far_away(data: dict[str, gpd.GeoDataFrame], problems: ProblemList, lang: str,
                    sources: dict[str, SourceInfo]) -> None:
    communities = data.get("communities")
    if communities is None:
        return
    reference = shapely.box(*communities.total_bounds)
    for name, gdf in data.items():
        if name in ("communities", "county_outline") or gdf is None:
            continue
        distance_km = shapely.box(*gdf.total_bounds).distance(reference) / 1000.0
        if distance_km > FAR_AWAY_KM:
            problems.error(Path(sources[name].file).name, tr("far_away", lang, km=distance_km))


def load_layers(folder: str | Path, *, rules: RuleSet | str | Path | None = None,
                lang: str = "zh") -> PlanningData:
    """Read and validate a layers folder.

    Parameters
    ----------
    folder : path
        A folder holding the layers (DESIGN.md) and optionally ``planner.yaml``.
    rules : RuleSet or path, optional
        Rules to use; a path is a rules file overriding the default. When omitted, the
        ``rules`` entry of ``planner.yaml`` (relative to the folder) or the default rules.
    lang : {"zh", "en"}
        Language of the messages.

    Returns
    -------
    PlanningData
        Every layer in the working CRS (the communities' CGCS2000 3-degree zone, EPSG:4549 for
        Deqing, or ``working_crs`` of planner.yaml) with the contract's field names and
        values, plus warnings.

    Raises
    ------
    InputError
        With every problem of every layer, when any layer cannot be used.
    """
    folder = Path(folder)
    problems = ProblemList()
    if not folder.is_dir():
        raise InputError([Problem(str(folder), tr("folder_missing", lang, path=folder))])
    config = _read_config(folder, problems, lang)
    if rules is None and config.get("rules"):
        rules = folder / str(config["rules"])
    rule_set = rules if isinstance(rules, RuleSet) else load_rules(rules)
    entries = config.get("layers", {})
    working = _WorkingCrs.from_config(config, problems, lang)

    data: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, SourceInfo] = {}
    earliest = int(rule_set.enclosure.earliest_plausible_year)
    # estates' households may come from the households table or the population raster
    table_entry = dict(entries.get(schema.HOUSEHOLDS_TABLE) or {})
    table_path = _find_file(folder, *TABLE_NAMES, TABLE_EXTENSIONS, table_entry, problems, lang)
    population_raster = _find_file(folder, "population", "人口", schema.RASTER_EXTENSIONS,
                                   dict(entries.get("population") or {}), problems, lang)
    counts_elsewhere = table_path is not None or population_raster is not None
    for name, spec in schema.VECTOR_LAYERS.items():
        later = ("households",) if name == "estates" and counts_elsewhere else ()
        gdf, info = _load_layer(folder, spec, dict(entries.get(name) or {}), problems, lang,
                                earliest_year=earliest, filled_later=later, working=working)
        if gdf is not None and info is not None:
            data[name] = gdf
            sources[name] = info
    _check_far_away(data, problems, lang, sources)
    if "communities" in data:
        _check_overlaps(data["communities"], Path(sources["communities"].file).name, problems,
                        lang)

    communities = data.get("communities")
    premises = data.get("premises")
    if communities is not None and premises is not None and "community_id" in premises:
        known = set(communities["community_id"].astype(str))
        given = premises["community_id"].notna()
        unknown = given & ~premises["community_id"].astype(str).isin(known)
        if unknown.any():
            problems.error(Path(sources["premises"].file).name, tr(
                "unknown_community", lang,
                rows=format_rows(premises.loc[unknown, "premises_id"],
                                 premises.loc[unknown, "community_id"]),
                valid=", ".join(sorted(known)[:5])))

    if population_raster is not None:
        _check_raster(population_raster, problems, lang)

    estates = data.get("estates")
    table, table_path = _read_households_table(table_path, table_entry, problems, lang)
    if (estates is not None and table is not None and table_path is not None
            and communities is not None):
        estates = _apply_households_table(estates, table, table_path, communities, problems,
                                          lang)
        data["estates"] = estates
        sources["households"] = SourceInfo("households", str(table_path),
                                           _sha256(table_path), "—", len(table))
    if estates is not None and population_raster is None and "households" in estates:
        missing = estates["households"].isna()
        if missing.any() and table is not None:
            problems.error(Path(sources["estates"].file).name, tr(
                "table_missing_count", lang,
                rows=format_rows(estates.loc[missing, "estate_id"])))

    problems.raise_if_any(header=tr("invalid_input_header", lang, n=len(problems.errors)))
    assert communities is not None  # a missing communities layer is an error above

    household_size = float(config.get("household_size", rule_set.settings.household_size))
    note = config.get("data_note")
    if isinstance(note, str):
        note = {"zh": note, "en": note}
    return PlanningData(
        communities=communities,
        estates=data.get("estates"),
        premises=premises,
        planned_roads=data.get("planned_roads"),
        development_parcels=data.get("development_parcels"),
        candidate_sites=data.get("candidate_sites"),
        county_outline=data.get("county_outline"),
        paths=data.get("paths"),
        barriers=data.get("barriers"),
        population_raster=population_raster,
        rules=rule_set,
        household_size=household_size,
        warnings=list(problems.warnings),
        sources=sources,
        folder=folder,
        name=str(config.get("name", folder.name)),
        data_note=note,
        working_crs_setting=working.setting,
    )


def _check_raster(path: Path, problems: ProblemList, lang: str) -> None:
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                problems.error(path.name, tr("raster_no_crs", lang))
            if src.nodata is None:
                problems.error(path.name, tr("raster_no_nodata", lang))
    except rasterio.errors.RasterioIOError as err:
        problems.error(path.name, tr("unreadable", lang, error=err))
