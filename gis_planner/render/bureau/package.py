"""Export package for the county natural resources and planning bureau (县自然资源和规划局).

:func:`export_bureau` writes ``bureau/`` and ``bureau.zip`` into an output folder: the
communities, estates, premises (and proposed sites, when the results have them) with every
computed figure, in CGCS2000 —

- ``geojson/<layer>.geojson`` in the chosen CRS, stating it (not RFC 7946), and
  ``geojson/<layer>_wgs84.geojson``, an RFC 7946 WGS84 copy for web systems;
- ``shp/<layer>.shp``: GBK text with a ``.cpg``, fields renamed to the ≤ 10-byte pinyin-initial
  codes of the field dictionary (``SQDM`` 社区代码 …);
- ``gpkg/bureau.gpkg`` and ``gdb/bureau.gdb`` (GDAL's OpenFileGDB driver, when it can write);
- ``field_dictionary.csv`` / ``.xlsx``: code, English field name, Chinese and English names,
  unit and meaning of every exported field;
- ``metadata.json`` and ``README.txt`` (in the chosen language): what was exported, when, with
  which rules, from which sources (SHA-256), in which CRS, how many features per format, the
  synthetic-data note, skipped formats, and every value the Shapefile could not hold.

Everything is written into a temporary folder beside the target, read back and checked
(counts, ids, sampled coordinates within 1 mm after the datum round trip, text, numbers), and
only then moved into place: a failed check or an interrupted export leaves the previous package
as it was. Every file name in the package is ASCII, so no unzip tool can garble it.

The Shapefile cannot hold every value: text GBK cannot encode is left empty there (and reported,
never written as ``?``), text longer than 254 bytes is cut at a character boundary and ends with
``…`` (and reported); the other formats keep the full values.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import io
import json
import logging
import os
import shutil
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from gis_planner import __version__
from gis_planner import crs as crs_mod
from gis_planner.crs import CGCS2000_GEOGRAPHIC, CGCS2000_ZONE_PREFIXED, WEB_CRS, WORKING_CRS
from gis_planner.errors import PlannerError, Problem, format_rows
from gis_planner.i18n import render, tr
from gis_planner.render import atomic
from gis_planner.render.atomic import FolderBusyError, staged_set
from gis_planner.render.text import LIST_SEPARATOR

log = logging.getLogger(__name__)

CRS_CHOICES = (CGCS2000_GEOGRAPHIC, WORKING_CRS, CGCS2000_ZONE_PREFIXED)
FORMATS = ("geojson", "shp", "gpkg", "gdb")
FORMAT_ALIASES = {
    "json": "geojson",
    "shapefile": "shp",
    "geopackage": "gpkg",
    "filegdb": "gdb",
    "fgdb": "gdb",
}
#: Exported layers and their id fields, in package order.
LAYERS = {
    "communities": "community_id",
    "estates": "estate_id",
    "premises": "premises_id",
    "sites": "proposal_id",
}
#: the run-folder file of each layer (the others are ``<layer>.geojson``)
RUN_FILE = {"sites": "proposed_sites.geojson"}
PACKAGE = "bureau"
RUN_FILES = ("communities.geojson", "estates.geojson", "premises.geojson")
SHP_ENCODING = "GBK"
SHP_TEXT_BYTES = 254
SHP_FIELD_BYTES = 10
TOLERANCE_M = 0.001
SAMPLE_COORDINATES = 50
GEOGRAPHIC_DECIMALS = 9  # 1e-9 degree ≈ 0.1 mm
PROJECTED_DECIMALS = 4  # 0.1 mm
FIELDS_FILE = "bureau_fields.csv"
DICTIONARY_COLUMNS = ("layer", "code", "field", "name_zh", "name_en", "unit", "meaning")
_ELLIPSIS = "…"
_INT32 = (-(2**31), 2**31 - 1)


class BureauError(PlannerError):
    """The bureau package cannot be written as asked; nothing in the output folder changed."""


class BureauOptionError(BureauError):
    """An unknown CRS or format (a usage error: exit code 2 on the command line)."""


class BureauVerificationError(BureauError):
    """A file of the package did not read back as written; ``problems`` lists every mismatch."""

    def __init__(self, problems: Iterable[Problem], *, lang: str = "zh"):
        self.problems = list(problems)
        lines = [tr("bureau_verify_header", lang, n=len(self.problems))]
        lines += [f"- {p}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass
class BureauReport:
    """What :func:`export_bureau` wrote.

    Attributes
    ----------
    folder, zip_path : Path
        ``<out>/bureau`` and ``<out>/bureau.zip``.
    crs : str
        The CRS of the package (``EPSG:4490``, ``EPSG:4549`` or ``EPSG:4528``).
    formats : tuple of str
        The formats written; ``skipped`` maps each format not written to the reason.
    counts : dict
        ``{layer: {format: features}}`` as read back (``geojson_wgs84`` is the web copy).
    warnings : list of Problem
        Values the Shapefile could not hold, fields missing from the dictionary, notes.
    files : dict
        Relative path in ``bureau/`` → size in bytes.
    metadata : dict
        The content of ``metadata.json``.
    timings : dict
        Seconds per step (``read``, ``write``, ``verify``, ``zip``, ``total``).
    """

    folder: Path
    zip_path: Path
    crs: str
    formats: tuple[str, ...]
    skipped: dict[str, str]
    counts: dict[str, dict[str, int]]
    warnings: list[Problem]
    files: dict[str, int]
    metadata: dict[str, Any]
    timings: dict[str, float]


# --------------------------------------------------------------------------- options


def crs_label(code: str, lang: str = "zh") -> str:
    """``EPSG:4490 CGCS2000 经纬度（默认）`` — a CRS choice as a planner reads it."""
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


def filegdb_support() -> tuple[bool, str]:
    """Whether the installed GDAL can write FileGDB (OpenFileGDB driver, GDAL ≥ 3.6)."""
    mode = pyogrio.list_drivers(write=True).get("OpenFileGDB", "")
    version = pyogrio.__gdal_version_string__
    return ("w" in mode and pyogrio.__gdal_version__ >= (3, 6, 0)), version


# --------------------------------------------------------------------------- tables


def _text(value: Any, sep: str) -> str | None:
    if isinstance(value, (list, tuple)):
        return sep.join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _file_column(series: pd.Series, sep: str) -> pd.Series:
    """A column as file formats hold it: nullable numbers and booleans kept, the rest text."""
    dtype = series.dtype
    if isinstance(dtype, (pd.BooleanDtype, pd.Int64Dtype, pd.Int32Dtype, pd.Float64Dtype)):
        return series
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return series
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return series
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind == "boolean":
        return series.astype("boolean")
    if kind == "integer":
        return series.astype("Int64")
    if kind in ("floating", "mixed-integer-float", "decimal"):
        return series.astype("Float64")
    return pd.Series([_text(v, sep) for v in series], index=series.index, dtype=object)


def _file_ready(gdf: gpd.GeoDataFrame, layer: str, sep: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise BureauError(f"{layer}: no CRS")
    geometry = gdf.geometry.to_crs(crs_mod.zone_of(gdf)).reset_index(drop=True)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    first = [c for c in (LAYERS[layer], "name") if c in columns]
    ordered = first + [c for c in columns if c not in first]
    data = {c: _file_column(gdf[c].reset_index(drop=True), sep) for c in ordered}
    return gpd.GeoDataFrame(data, geometry=geometry.values, crs=geometry.crs)


def _proposed_sites(results: Any) -> gpd.GeoDataFrame | None:
    """The R7 sites of both models, one row per (model, site): ``proposal_id`` is unique."""
    sites = getattr(results, "sites", None)
    if not isinstance(sites, gpd.GeoDataFrame):
        return None
    return _with_proposal_id(sites)


def _with_proposal_id(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "proposal_id" in sites or "model" not in sites:
        return sites
    sites = sites.copy()
    sites.insert(
        0,
        "proposal_id",
        [f"{m}-{int(p):03d}" for m, p in zip(sites["model"], sites["priority"], strict=True)],
    )
    return sites


def bureau_tables(results: Any, *, lang: str = "zh") -> dict[str, gpd.GeoDataFrame]:
    """The layers of the bureau package, with every computed figure, in EPSG:4549.

    Parameters
    ----------
    results : Results
        From :func:`gis_planner.pipeline.analyse` (layers in EPSG:4549). Proposed sites are
        taken from ``results.sites`` when the results have them (R7 premises siting).
    lang : {"zh", "en"}
        Separator of list-valued fields (``warnings``, ``enclosure_reasons``), joined to text.

    Returns
    -------
    dict of str to GeoDataFrame
        ``communities``, ``estates``, ``premises`` and ``sites`` (those present and not empty),
        each with a fresh 0..n-1 index, the id and name first, lists joined to text, nullable
        numbers and booleans kept, every other column text; CRS EPSG:4549.
    """
    sep = LIST_SEPARATOR.get(lang, "; ")
    frames = {
        "communities": results.communities,
        "estates": results.estates,
        "premises": results.premises,
        "sites": _proposed_sites(results),
    }
    return {
        layer: _file_ready(gdf, layer, sep)
        for layer, gdf in frames.items()
        if gdf is not None and len(gdf)
    }


# --------------------------------------------------------------------------- field dictionary


@functools.cache
def _known_fields() -> pd.DataFrame:
    text = resources.files("gis_planner").joinpath("data", FIELDS_FILE).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _gbk_bytes(text: str) -> int | None:
    try:
        return len(text.encode(SHP_ENCODING))
    except UnicodeEncodeError:
        return None


def _auto_code(name: str, taken: set[str]) -> str:
    """A Shapefile field name for a field the dictionary does not list (≤ 10 bytes, unique)."""
    if name.isascii():
        base = (
            name.upper()
            if len(name) <= SHP_FIELD_BYTES
            else "".join(part[:1] for part in name.split("_") if part).upper()
        )
    else:
        base = ""
        for char in name:
            size = _gbk_bytes(base + char)
            if size is None or size > SHP_FIELD_BYTES:
                break
            base += char
    base = base[:SHP_FIELD_BYTES] or "ZD"
    code, i = base, 1
    while code.upper() in taken:
        suffix = f"{i:02d}"
        stem = base
        while (_gbk_bytes(stem + suffix) or 99) > SHP_FIELD_BYTES:
            stem = stem[:-1]
        code, i = stem + suffix, i + 1
    return code


def _dictionary(
    tables: Mapping[str, gpd.GeoDataFrame] | None, lang: str
) -> tuple[pd.DataFrame, list[Problem]]:
    known = _known_fields()
    meaning = "meaning_en" if lang == "en" else "meaning_zh"
    rows: list[dict[str, str]] = []
    problems: list[Problem] = []
    if tables is None:
        for _, entry in known.iterrows():
            rows.append(
                {
                    "layer": entry["layer"],
                    "code": entry["code"],
                    "field": entry["field"],
                    "name_zh": entry["name_zh"],
                    "name_en": entry["name_en"],
                    "unit": entry["unit"],
                    "meaning": entry[meaning],
                }
            )
        return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)), problems
    for layer, gdf in tables.items():
        entries = known[known["layer"] == layer].set_index("field")
        taken = {c.upper() for c in entries["code"]}
        for column in gdf.columns:
            if column == gdf.geometry.name:
                continue
            if column in entries.index:
                entry = entries.loc[column]
                rows.append(
                    {
                        "layer": layer,
                        "code": entry["code"],
                        "field": column,
                        "name_zh": entry["name_zh"],
                        "name_en": entry["name_en"],
                        "unit": entry["unit"],
                        "meaning": entry[meaning],
                    }
                )
                continue
            code = _auto_code(str(column), taken)
            taken.add(code.upper())
            rows.append(
                {
                    "layer": layer,
                    "code": code,
                    "field": column,
                    "name_zh": column,
                    "name_en": column,
                    "unit": "",
                    "meaning": tr("bureau_field_unlisted_meaning", lang),
                }
            )
            problems.append(
                Problem(
                    layer, tr("bureau_field_unlisted", lang, layer=layer, field=column, code=code)
                )
            )
    return pd.DataFrame(rows, columns=list(DICTIONARY_COLUMNS)), problems


def field_dictionary(
    tables: Mapping[str, gpd.GeoDataFrame] | None = None, *, lang: str = "zh"
) -> pd.DataFrame:
    """The field dictionary of the package: one row per exported field of each layer.

    Parameters
    ----------
    tables : dict of str to GeoDataFrame, optional
        The package's layers (:func:`bureau_tables`): one row per column, in column order.
        Columns the hand-written dictionary (``gis_planner/data/bureau_fields.csv``) does not
        list get a generated code and are reported by :func:`export_bureau`. Without
        ``tables``, the whole hand-written dictionary.
    lang : {"zh", "en"}
        Language of the ``meaning`` column.

    Returns
    -------
    DataFrame
        Columns ``layer``, ``code`` (the Shapefile field name, ≤ 10 bytes, unique per layer,
        e.g. ``SQDM`` for 社区代码), ``field`` (the English name used in GeoJSON, GeoPackage
        and FileGDB), ``name_zh``, ``name_en``, ``unit`` and ``meaning``.

    Examples
    --------
    >>> d = field_dictionary()
    >>> d.loc[(d.layer == "communities") & (d.field == "shortfall_m2"), ["code", "name_zh"]
    ...       ].values.tolist()
    [['QKMJ', '缺口面积']]
    """
    return _dictionary(tables, lang)[0]


# --------------------------------------------------------------------------- sources


@dataclass
class _Origin:
    kind: str  # "layers", "run" or "results"
    path: str
    name: str
    rules: dict[str, Any]
    source_layers: list[dict[str, Any]]
    data_note: dict[str, str] | None
    files: list[dict[str, Any]] = field(default_factory=list)  # the files actually read
    notes: list[Problem] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _origin_of_results(results: Any, kind: str, path: str, lang: str) -> _Origin:
    data = results.data
    rules = data.rules
    layers = [
        {
            "layer": info.layer,
            "file": Path(info.file).name,
            "sha256": info.sha256,
            "crs": info.crs,
            "features": info.features,
            **(
                {"transformation": render(info.datum_shift.text, lang)}  # a legacy datum's shift
                if getattr(info, "datum_shift", None)
                else {}
            ),
        }
        for info in data.sources.values()
    ]
    return _Origin(
        kind=kind,
        path=path,
        name=data.name,
        rules={"version": rules.version, "sha256": rules.checksum(), "files": list(rules.sources)},
        source_layers=layers,
        data_note=data.data_note,
        files=[{"file": s["file"], "sha256": s["sha256"]} for s in layers],
    )


def is_run_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run's outputs (``communities.geojson`` with computed figures).

    A layers folder may hold a ``communities.geojson`` too: it is a run folder only when that
    file carries the computed fields (``required_area_m2``, ``premises_status``).
    """
    path = Path(folder) / "communities.geojson"
    if not path.is_file():
        return False
    try:
        fields = set(pyogrio.read_info(path)["fields"])
    except Exception:  # noqa: BLE001 - unreadable: let the layers reader report it
        return False
    return {"required_area_m2", "premises_status"} <= fields


def _run_settings(folder: Path) -> dict[str, str] | None:
    path = folder / "report.xlsx"
    if not path.is_file():
        return None
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = next((book[n] for n in ("设置", "Settings") if n in book.sheetnames), None)
        if sheet is None:
            return None
        settings = {
            str(row[0]): "" if row[1] is None else str(row[1])
            for row in sheet.iter_rows(min_row=2, max_col=2, values_only=True)
            if row and row[0] is not None
        }
        book.close()
        return settings
    except Exception:  # noqa: BLE001 - a damaged report only loses the rules' provenance
        return None


def _read_run(folder: Path, lang: str) -> tuple[dict[str, gpd.GeoDataFrame], _Origin]:
    sep = LIST_SEPARATOR.get(lang, "; ")
    tables: dict[str, gpd.GeoDataFrame] = {}
    source_files = []
    for layer in LAYERS:
        path = folder / RUN_FILE.get(layer, f"{layer}.geojson")
        if not path.is_file():
            continue
        gdf = pyogrio.read_dataframe(path)
        if layer == "sites":
            gdf = _with_proposal_id(gdf)
        if len(gdf):
            tables[layer] = _file_ready(gdf, layer, sep)
        source_files.append(
            {
                "layer": layer,
                "file": path.name,
                "sha256": _sha256(path),
                "crs": "EPSG:4326 (RFC 7946)",
                "features": len(gdf),
            }
        )
    notes = [Problem(str(folder), tr("bureau_run_precision", lang))]
    settings = _run_settings(folder)
    rules: dict[str, Any] = {"version": None, "sha256": None, "files": []}
    original: list[dict[str, Any]] = []
    data_note = None
    if settings is None:
        notes.append(Problem(str(folder), tr("bureau_run_no_report", lang)))
    else:
        rules = {
            "version": settings.get("rules_version"),
            "sha256": settings.get("rules_sha256"),
            "files": [f for f in settings.get("rules_files", "").split(" + ") if f],
        }
        for key, value in settings.items():
            if key.startswith("source."):
                parts = [p.strip() for p in value.split(";")]
                sha = next((p.split()[-1] for p in parts if p.startswith("sha256")), None)
                original.append(
                    {
                        "layer": key.removeprefix("source."),
                        "file": parts[0],
                        "sha256": sha,
                        "crs": parts[1] if len(parts) > 1 else None,
                        "description": value,
                    }
                )
        if settings.get("data_note"):
            data_note = {settings.get("lang") or lang: settings["data_note"]}
    origin = _Origin(
        kind="run",
        path=str(folder),
        name=folder.name,
        rules=rules,
        source_layers=original,
        data_note=data_note,
        notes=notes,
        files=source_files,
    )
    return tables, origin


def _load_source(source: Any, lang: str) -> tuple[dict[str, gpd.GeoDataFrame], _Origin]:
    if not isinstance(source, (str, os.PathLike)):
        return bureau_tables(source, lang=lang), _origin_of_results(source, "results", "", lang)
    folder = Path(source)
    if is_run_folder(folder):
        return _read_run(folder, lang)
    from gis_planner.io.layers import load_layers
    from gis_planner.pipeline import analyse, propose_layout

    results = propose_layout(analyse(load_layers(folder)))
    return bureau_tables(results, lang=lang), _origin_of_results(
        results, "layers", str(folder), lang
    )


# --------------------------------------------------------------------------- writing


@dataclass
class _Written:
    """One layer of one written file, with what it must read back as."""

    fmt: str
    layer: str
    path: Path
    dataset_layer: str | None
    expected: gpd.GeoDataFrame  # columns as written, geometry in EPSG:4549
    crs: str
    id_column: str

    def label(self, root: Path) -> str:
        name = self.path.relative_to(root).as_posix()
        return f"{name} ({self.dataset_layer})" if self.dataset_layer else name


def _family(geom_type: str) -> str:
    if "Polygon" in geom_type:
        return "polygon"
    if "LineString" in geom_type:
        return "line"
    return "point"


def _parts(gdf: gpd.GeoDataFrame) -> list[tuple[str, np.ndarray]]:
    """Row masks by geometry family: Shapefile and FileGDB hold one family per layer."""
    families = np.array([_family(t) for t in gdf.geom_type])
    present = [f for f in ("polygon", "line", "point") if (families == f).any()]
    if len(present) <= 1:
        return [("", np.ones(len(gdf), dtype=bool))]
    return [(f"_{f}", families == f) for f in present]


def _subset(gdf: gpd.GeoDataFrame, mask: np.ndarray) -> gpd.GeoDataFrame:
    return gdf[mask].reset_index(drop=True)


def _quiet_write(frame: gpd.GeoDataFrame, path: Path, **kwargs: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # every value is checked on reading
        pyogrio.write_dataframe(frame, path, **kwargs)


def _write_geojson(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    """GeoJSON in ``crs``, stating it (a ``crs`` member: not RFC 7946)."""
    decimals = GEOGRAPHIC_DECIMALS if pyproj.CRS(crs).is_geographic else PROJECTED_DECIMALS
    _quiet_write(
        gdf.to_crs(crs),
        path,
        driver="GeoJSON",
        layer=layer,
        layer_options={
            "RFC7946": "NO",
            "WRITE_BBOX": "NO",
            "COORDINATE_PRECISION": str(decimals),
            "AUTODETECT_JSON_STRINGS": "NO",
        },
    )


def _write_geojson_wgs84(gdf: gpd.GeoDataFrame, path: Path, *, layer: str) -> None:
    """The RFC 7946 copy: WGS84 lon/lat, 9 decimals (0.1 mm) so the 1 mm check holds."""
    _quiet_write(
        gdf.to_crs(WEB_CRS),
        path,
        driver="GeoJSON",
        layer=layer,
        layer_options={
            "RFC7946": "YES",
            "WRITE_BBOX": "NO",
            "COORDINATE_PRECISION": str(GEOGRAPHIC_DECIMALS),
            "AUTODETECT_JSON_STRINGS": "NO",
        },
    )


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path, *, crs: str) -> None:
    _quiet_write(frame.to_crs(crs), path, driver="ESRI Shapefile", encoding=SHP_ENCODING)


def _write_gpkg(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    _quiet_write(gdf.to_crs(crs), path, driver="GPKG", layer=layer)


def _gdb_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """64-bit integers as 32-bit where they fit: ArcGIS before Pro 3.2 reads no Integer64."""
    out = gdf.copy()
    for column in out.columns:
        series = out[column]
        if column == out.geometry.name or pd.api.types.is_bool_dtype(series.dtype):
            continue
        if pd.api.types.is_integer_dtype(series.dtype):
            low, high = series.min(), series.max()
            if pd.isna(low) or (_INT32[0] <= low and high <= _INT32[1]):
                out[column] = series.astype("Int32")
            else:
                out[column] = series.astype("Float64")
    return out


def _write_gdb(gdf: gpd.GeoDataFrame, path: Path, *, layer: str, crs: str) -> None:
    _quiet_write(_gdb_frame(gdf).to_crs(crs), path, driver="OpenFileGDB", layer=layer)


def _shapefile_frame(
    gdf: gpd.GeoDataFrame, layer: str, codes: Mapping[str, str], lang: str
) -> tuple[gpd.GeoDataFrame, list[Problem], list[dict[str, Any]], list[dict[str, Any]]]:
    """The layer as the Shapefile holds it: fields renamed to codes, GBK-safe text ≤ 254 bytes.

    Returns the frame, the problems to report, and the values left empty and cut (records for
    ``metadata.json``).
    """
    frame = gdf.rename(columns=dict(codes))
    ids = gdf[LAYERS[layer]].astype(str).to_numpy()
    problems: list[Problem] = []
    blanked: list[dict[str, Any]] = []
    cut: list[dict[str, Any]] = []
    for column, code in codes.items():
        series = frame[code]
        if series.dtype != object:
            continue
        values = series.to_numpy(dtype=object).copy()
        cut_rows = []
        for i, value in enumerate(values):
            if not isinstance(value, str):
                continue
            size = _gbk_bytes(value)
            if size is None:
                chars = "".join(dict.fromkeys(c for c in value if _gbk_bytes(c) is None))
                values[i] = None
                blanked.append(
                    {
                        "layer": layer,
                        "id": ids[i],
                        "field": column,
                        "code": code,
                        "value": value,
                        "characters": chars,
                    }
                )
                problems.append(
                    Problem(
                        f"shp/{layer}.shp",
                        tr(
                            "bureau_gbk",
                            lang,
                            layer=layer,
                            id=ids[i],
                            field=column,
                            code=code,
                            value=value,
                            chars=" ".join(f"{c} U+{ord(c):04X}" for c in chars),
                        ),
                    )
                )
            elif size > SHP_TEXT_BYTES:
                values[i] = _cut_gbk(value, SHP_TEXT_BYTES)
                cut_rows.append(i)
        if cut_rows:
            cut.append(
                {
                    "layer": layer,
                    "field": column,
                    "code": code,
                    "ids": [str(ids[i]) for i in cut_rows],
                }
            )
            problems.append(
                Problem(
                    f"shp/{layer}.shp",
                    tr(
                        "bureau_truncated",
                        lang,
                        limit=SHP_TEXT_BYTES,
                        layer=layer,
                        field=column,
                        code=code,
                        n=len(cut_rows),
                        rows=format_rows(ids[cut_rows]),
                    ),
                )
            )
        frame[code] = pd.Series(values, index=frame.index, dtype=object)
    return frame, problems, blanked, cut


def _cut_gbk(text: str, limit: int) -> str:
    """``text`` cut at a character boundary so that it and ``…`` fit in ``limit`` GBK bytes."""
    budget = limit - len(_ELLIPSIS.encode(SHP_ENCODING))
    kept, used = [], 0
    for char in text:
        size = len(char.encode(SHP_ENCODING))
        if used + size > budget:
            break
        kept.append(char)
        used += size
    return "".join(kept) + _ELLIPSIS


# --------------------------------------------------------------------------- verification


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def _floats(series: pd.Series) -> np.ndarray:
    return np.array(
        [np.nan if _is_blank(v) else float(v) for v in series.astype(object)], dtype=float
    )


def _crs_text(crs: Any) -> str:
    if crs is None:
        return "—"
    epsg = pyproj.CRS(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else pyproj.CRS(crs).name


def _check_coordinates(
    expected: gpd.GeoSeries,
    got: gpd.GeoSeries,
    crs: str,
    ids: np.ndarray,
    source: str,
    lang: str,
    problems: list[Problem],
) -> tuple[int, float]:
    """Compare a sample of vertices, back in EPSG:4549, within :data:`TOLERANCE_M`."""
    want = shapely.orient_polygons(np.asarray(expected.values), exterior_cw=False)
    have = shapely.orient_polygons(np.asarray(got.values), exterior_cw=False)
    n_want = shapely.get_num_coordinates(want)
    n_have = shapely.get_num_coordinates(have)
    if not np.array_equal(n_want, n_have):
        bad = n_want != n_have
        problems.append(
            Problem(
                source,
                tr(
                    "bureau_check_vertices",
                    lang,
                    rows=format_rows(
                        ids[bad],
                        [f"{a}≠{b}" for a, b in zip(n_have[bad], n_want[bad], strict=True)],
                    ),
                ),
            )
        )
        return 0, float("nan")
    xy_want = shapely.get_coordinates(want)
    xy_have = shapely.get_coordinates(have)
    if not len(xy_want):
        return 0, 0.0
    sample = np.unique(
        np.linspace(0, len(xy_want) - 1, min(SAMPLE_COORDINATES, len(xy_want))).round().astype(int)
    )
    back = pyproj.Transformer.from_crs(crs, expected.crs, always_xy=True)
    x, y = back.transform(xy_have[sample, 0], xy_have[sample, 1])
    error = np.hypot(np.asarray(x) - xy_want[sample, 0], np.asarray(y) - xy_want[sample, 1])
    largest = float(np.nanmax(error)) if np.isfinite(error).any() else float("inf")
    off = ~(error <= TOLERANCE_M)
    if off.any():
        feature = np.repeat(np.arange(len(n_want)), n_want)[sample]
        problems.append(
            Problem(
                source,
                tr(
                    "bureau_check_coords",
                    lang,
                    n=int(off.sum()),
                    tolerance_mm=TOLERANCE_M * 1000,
                    max_mm=largest * 1000,
                    rows=format_rows(ids[feature[off]], [f"{e * 1000:.3f} mm" for e in error[off]]),
                ),
            )
        )
    return len(sample), largest


def _verify(item: _Written, root: Path, lang: str) -> tuple[int, int, float, list[Problem]]:
    """Read one written layer back; returns (features, sampled coordinates, max error m)."""
    source = item.label(root)
    problems: list[Problem] = []
    try:
        got = pyogrio.read_dataframe(item.path, layer=item.dataset_layer)
    except Exception as err:  # noqa: BLE001 - any reader failure is a failed check
        return (
            0,
            0,
            float("nan"),
            [Problem(source, tr("bureau_check_unreadable", lang, error=str(err).splitlines()[0]))],
        )
    want = item.expected
    if got.crs is None or not pyproj.CRS(got.crs).equals(
        pyproj.CRS(item.crs), ignore_axis_order=True
    ):
        problems.append(
            Problem(source, tr("bureau_check_crs", lang, got=_crs_text(got.crs), expected=item.crs))
        )
    if len(got) != len(want):
        problems.append(
            Problem(source, tr("bureau_check_count", lang, got=len(got), expected=len(want)))
        )
        return len(got), 0, float("nan"), problems
    columns = [c for c in want.columns if c != want.geometry.name]
    missing = [c for c in columns if c not in got.columns]
    if missing:
        problems.append(
            Problem(source, tr("bureau_check_columns", lang, fields=", ".join(missing)))
        )
    ids_want = want[item.id_column].astype(str).to_numpy()
    if item.id_column in got.columns:
        ids_got = np.array(
            [None if _is_blank(v) else str(v) for v in got[item.id_column]], dtype=object
        )
        differ = ids_got != ids_want
        if differ.any():
            problems.append(
                Problem(
                    source,
                    tr(
                        "bureau_check_ids",
                        lang,
                        field=item.id_column,
                        rows=format_rows(ids_want[differ], ids_got[differ]),
                    ),
                )
            )
            return len(got), 0, float("nan"), problems
    for column in columns:
        if column in missing:
            continue
        expected, actual = want[column], got[column]
        if pd.api.types.is_bool_dtype(expected.dtype) or pd.api.types.is_numeric_dtype(
            expected.dtype
        ):
            a, b = _floats(expected), _floats(actual)
            same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-6)
            if not same.all():
                problems.append(
                    Problem(
                        source,
                        tr(
                            "bureau_check_numbers",
                            lang,
                            field=column,
                            rows=format_rows(
                                ids_want[~same],
                                [f"{y}≠{x}" for x, y in zip(a[~same], b[~same], strict=True)],
                            ),
                        ),
                    )
                )
        elif pd.api.types.is_datetime64_any_dtype(expected.dtype):
            continue
        else:
            a_text = [None if _is_blank(v) else str(v) for v in expected.astype(object)]
            b_text = [None if _is_blank(v) else str(v) for v in actual.astype(object)]
            same = np.array([x == y for x, y in zip(a_text, b_text, strict=True)])
            if not same.all():
                problems.append(
                    Problem(
                        source,
                        tr(
                            "bureau_check_text",
                            lang,
                            field=column,
                            rows=format_rows(
                                ids_want[~same], np.asarray(b_text, dtype=object)[~same]
                            ),
                        ),
                    )
                )
    sampled, largest = _check_coordinates(
        want.geometry, got.geometry, item.crs, ids_want, source, lang, problems
    )
    return len(got), sampled, largest, problems


def _verify_dictionary(
    root: Path, dictionary: pd.DataFrame, codes: Mapping[str, Mapping[str, str]], lang: str
) -> list[Problem]:
    problems: list[Problem] = []
    csv_back = pd.read_csv(
        root / "field_dictionary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    xlsx_back = pd.read_excel(root / "field_dictionary.xlsx", dtype=str).fillna("")
    for name, back in (("field_dictionary.csv", csv_back), ("field_dictionary.xlsx", xlsx_back)):
        if list(back.columns) != list(DICTIONARY_COLUMNS) or not back.equals(
            dictionary.astype(str).reset_index(drop=True)
        ):
            problems.append(
                Problem(
                    name,
                    tr("bureau_check_text", lang, field=name, rows=format_rows(list(back.columns))),
                )
            )
    for layer, mapping in codes.items():
        listed = set(csv_back.loc[csv_back["layer"] == layer, "code"])
        lacking = [c for c in mapping.values() if c not in listed]
        if lacking:
            problems.append(
                Problem(
                    "field_dictionary.csv",
                    tr("bureau_check_dictionary", lang, layer=layer, codes=", ".join(lacking)),
                )
            )
    return problems


# --------------------------------------------------------------------------- the package


def _is_our_package(path: Path) -> bool:
    """True for a ``bureau/`` folder or ``bureau.zip`` that this tool wrote (metadata.json)."""
    try:
        if path.is_dir() and not path.is_symlink():
            meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
        elif path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                meta = json.loads(archive.read(f"{PACKAGE}/metadata.json").decode("utf-8"))
        else:
            return False
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False
    return isinstance(meta, dict) and str(meta.get("package", "")).startswith("gis_planner")


@contextlib.contextmanager
def _staged_package(out_dir: Path, lang: str) -> Iterator[Path]:
    """Stage ``bureau/`` and ``bureau.zip``; replace the old pair as one set on success.

    Refuses (before any work) to replace a ``bureau`` or ``bureau.zip`` that this tool did
    not write: export never deletes what it did not write.
    """
    foreign = [
        p
        for p in (out_dir / PACKAGE, out_dir / f"{PACKAGE}.zip")
        if (p.exists() or p.is_symlink()) and not _is_our_package(p)
    ]
    if foreign:
        raise BureauError(
            tr("bureau_foreign", lang, paths=", ".join(str(p.resolve()) for p in foreign))
        )
    try:
        with staged_set(out_dir, owned=(PACKAGE, f"{PACKAGE}.zip")) as stage:
            probe = stage / ".probe"  # a real write probe before the long work
            probe.write_bytes(b"ok")
            probe.unlink()
            yield stage
    except FolderBusyError:
        raise BureauError(tr("out_busy", lang, path=out_dir.resolve())) from None
    except OSError as err:
        raise BureauError(
            tr("bureau_not_writable", lang, path=out_dir.resolve(), error=err.strerror or err)
        ) from err


def _zip(folder: Path, path: Path, when: _dt.datetime) -> list[str]:
    names = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{PACKAGE}/{file.relative_to(folder).as_posix()}"
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, file.read_bytes())
            names.append(name)
    return names


def _readme(metadata: dict[str, Any], lang: str) -> str:
    m = metadata
    lines = [tr("bureau_readme_title", lang), "=" * 40, ""]
    note = m.get("data_note")
    if note:
        lines += [
            tr("bureau_readme_note", lang, note=note.get(lang) or next(iter(note.values()))),
            "",
        ]
    lines.append(
        tr("bureau_readme_exported", lang, when=m["exported_at"], version=m["gis_planner_version"])
    )
    lines.append(
        tr("bureau_readme_source", lang, source=m["source"]["path"] or m["source"]["name"])
    )
    rules = m["rules"]
    lines.append(
        tr(
            "bureau_readme_rules",
            lang,
            files=" + ".join(rules["files"]) or "—",
            version=rules["version"] or "—",
            sha=rules["sha256"] or "—",
        )
    )
    lines.append(tr("bureau_readme_crs", lang, crs=crs_label(m["crs"]["code"], lang)))
    lines += ["", tr("bureau_readme_layers", lang)]
    for layer, info in m["layers"].items():
        lines.append(
            tr(
                "bureau_readme_layer_line",
                lang,
                file=layer,
                name=tr(f"bureau_layer_{layer}", lang),
                n=info["features"],
            )
        )
    lines += ["", tr("bureau_readme_files", lang)]
    written = m["formats"]["written"]
    if "geojson" in written:
        lines.append(tr("bureau_readme_geojson", lang, crs=m["crs"]["code"]))
        lines.append(tr("bureau_readme_wgs84", lang))
    for fmt in ("shp", "gpkg", "gdb"):
        if fmt in written:
            lines.append(tr(f"bureau_readme_{fmt}", lang))
    lines.append(tr("bureau_readme_dictionary", lang))
    lines.append(tr("bureau_readme_metadata", lang))
    lines += [
        "",
        tr("bureau_readme_notes", lang),
        "- " + tr("bureau_readme_values", lang),
        "- " + tr("bureau_readme_verified", lang),
    ]
    if "geojson" in written and m["crs"]["code"] == CGCS2000_GEOGRAPHIC:
        lines.append("- " + tr("bureau_readme_axis", lang))
    for fmt, reason in m["formats"]["skipped"].items():
        lines.append("- " + tr("bureau_skipped", lang, format=fmt, reason=reason))
    shp = m.get("shapefile") or {}
    if shp.get("values_left_empty"):
        lines.append("- " + tr("bureau_readme_gbk", lang, n=len(shp["values_left_empty"])))
    if shp.get("values_cut"):
        lines.append(
            "- "
            + tr("bureau_readme_truncated", lang, n=sum(len(c["ids"]) for c in shp["values_cut"]))
        )
    return "\r\n".join(lines) + "\r\n"


def export_bureau(
    source: Any,
    out_dir: str | Path = "outputs",
    *,
    crs: str | int = CGCS2000_GEOGRAPHIC,
    formats: str | Iterable[str] | None = FORMATS,
    lang: str = "zh",
    on_step: Callable[[str], None] | None = None,
) -> BureauReport:
    """Write the bureau package ``out_dir/bureau/`` and ``out_dir/bureau.zip``, checked.

    Parameters
    ----------
    source : path or Results
        A layers folder (read with :func:`~gis_planner.io.layers.load_layers` and analysed), a
        run folder (``communities.geojson`` … with computed figures, written by ``run``), or
        :class:`~gis_planner.pipeline.Results`.
    out_dir : path
        Folder receiving ``bureau/`` and ``bureau.zip`` (created if needed).
    crs : {"EPSG:4490", "EPSG:4549", "EPSG:4528"} or int
        CGCS2000 geographic (default), 3-degree Gauss-Kruger CM 120E, or zone 40 with the
        zone-prefixed easting. GeoJSON in this CRS states it; a WGS84 RFC 7946 copy is added.
    formats : iterable of {"geojson", "shp", "gpkg", "gdb"}
        Default all; ``gdb`` is skipped with a note when GDAL cannot write FileGDB.
    lang : {"zh", "en"}
        Language of README.txt, the dictionary's ``meaning``, messages and list separators.
    on_step : callable, optional
        Called with a short description of each step (for a progress display).

    Returns
    -------
    BureauReport

    Raises
    ------
    BureauOptionError
        Unknown CRS or format (the message lists the valid ones).
    BureauError
        The output folder is not writable (named in the message).
    BureauVerificationError
        A file did not read back as written: counts, ids, CRS, coordinates (> 1 mm), text or
        numbers differ. The previous package is left intact.
    InputError, RulesError
        From reading a layers folder.
    """
    started = time.perf_counter()
    crs = parse_crs(crs, lang=lang)
    asked = parse_formats(formats, lang=lang)
    out_dir = Path(out_dir)
    timings: dict[str, float] = {}

    def step(text: str) -> None:
        log.info("Bureau export: %s", text)
        if on_step:
            on_step(text)

    skipped: dict[str, str] = {}
    if "gdb" in asked:
        can, version = filegdb_support()
        if not can:
            skipped["gdb"] = tr("bureau_gdb_unavailable", lang, version=version)
    fmts = [f for f in asked if f not in skipped]
    if not fmts:
        raise BureauError(tr("bureau_no_format", lang, skipped="; ".join(skipped.values())))

    source_dir = Path(source) if isinstance(source, (str, os.PathLike)) else None
    if (
        source_dir is not None
        and (source_dir / atomic.JOURNAL).exists()
        and source_dir.resolve() != out_dir.resolve()
    ):
        with atomic.locked(source_dir):  # a run killed mid-commit: back to its last set
            atomic.recover(source_dir)
    with _staged_package(out_dir, lang) as stage:
        t0 = time.perf_counter()
        step(tr("bureau_step_read", lang))
        tables, origin = _load_source(source, lang)
        if not tables:
            raise BureauError(tr("bureau_source_missing", lang, path=origin.path or source))
        timings["read"] = time.perf_counter() - t0

        report_warnings: list[Problem] = list(origin.notes)
        if "sites" not in tables:
            report_warnings.append(Problem("sites", tr("bureau_no_sites", lang)))
        dictionary, unlisted = _dictionary(tables, lang)
        report_warnings += unlisted
        codes = {
            layer: dict(
                zip(
                    dictionary.loc[dictionary["layer"] == layer, "field"],
                    dictionary.loc[dictionary["layer"] == layer, "code"],
                    strict=True,
                )
            )
            for layer in tables
        }

        t0 = time.perf_counter()
        root = stage / PACKAGE
        root.mkdir()
        written: list[_Written] = []
        blanked: list[dict[str, Any]] = []
        cut: list[dict[str, Any]] = []
        gpkg_path, gdb_path = root / "gpkg" / f"{PACKAGE}.gpkg", root / "gdb" / f"{PACKAGE}.gdb"
        for fmt in fmts:
            step(f"{tr('bureau_step_write', lang)} {fmt}")
            if fmt == "gdb":
                gdb_written = []
                try:
                    gdb_path.parent.mkdir()
                    for layer, gdf in tables.items():
                        for suffix, mask in _parts(gdf):
                            part = _subset(gdf, mask)
                            _write_gdb(part, gdb_path, layer=layer + suffix, crs=crs)
                            gdb_written.append(
                                _Written(
                                    "gdb", layer, gdb_path, layer + suffix, part, crs, LAYERS[layer]
                                )
                            )
                except Exception as err:  # noqa: BLE001 - GDAL's FileGDB writer failed
                    shutil.rmtree(gdb_path.parent, ignore_errors=True)
                    skipped["gdb"] = tr("bureau_gdb_failed", lang, error=str(err).splitlines()[0])
                    log.warning("FileGDB skipped: %s", err)
                    continue
                written += gdb_written
                continue
            (root / fmt).mkdir()
            for layer, gdf in tables.items():
                id_column = LAYERS[layer]
                if fmt == "geojson":
                    path = root / "geojson" / f"{layer}.geojson"
                    _write_geojson(gdf, path, layer=layer, crs=crs)
                    written.append(_Written("geojson", layer, path, None, gdf, crs, id_column))
                    path = root / "geojson" / f"{layer}_wgs84.geojson"
                    _write_geojson_wgs84(gdf, path, layer=layer)
                    written.append(
                        _Written("geojson_wgs84", layer, path, None, gdf, WEB_CRS, id_column)
                    )
                elif fmt == "shp":
                    frame, held_back, empty, shortened = _shapefile_frame(
                        gdf, layer, codes[layer], lang
                    )
                    report_warnings += held_back
                    blanked += empty
                    cut += shortened
                    for suffix, mask in _parts(frame):
                        part = _subset(frame, mask)
                        path = root / "shp" / f"{layer}{suffix}.shp"
                        _write_shapefile(part, path, crs=crs)
                        written.append(
                            _Written("shp", layer, path, None, part, crs, codes[layer][id_column])
                        )
                elif fmt == "gpkg":
                    _write_gpkg(gdf, gpkg_path, layer=layer, crs=crs)
                    written.append(_Written("gpkg", layer, gpkg_path, layer, gdf, crs, id_column))
        fmts = [f for f in fmts if f not in skipped]
        if not fmts:
            raise BureauError(tr("bureau_no_format", lang, skipped="; ".join(skipped.values())))
        dictionary.to_csv(root / "field_dictionary.csv", index=False, encoding="utf-8-sig")
        dictionary.to_excel(
            root / "field_dictionary.xlsx",
            index=False,
            sheet_name="字段字典" if lang == "zh" else "Fields",
        )
        timings["write"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        step(tr("bureau_step_verify", lang))
        problems: list[Problem] = []
        counts: dict[str, dict[str, int]] = {layer: {} for layer in tables}
        sampled, largest = 0, 0.0
        for item in written:
            n, n_sampled, error, found = _verify(item, root, lang)
            problems += found
            counts[item.layer][item.fmt] = counts[item.layer].get(item.fmt, 0) + n
            sampled += n_sampled
            if np.isfinite(error):
                largest = max(largest, error)
        problems += _verify_dictionary(root, dictionary, codes if "shp" in fmts else {}, lang)
        if problems:
            raise BureauVerificationError(problems, lang=lang)
        timings["verify"] = time.perf_counter() - t0

        exported_at = _dt.datetime.now().astimezone().replace(microsecond=0)
        metadata: dict[str, Any] = {
            "package": "gis_planner bureau export (县自然资源和规划局)",
            "exported_at": exported_at.isoformat(),
            "gis_planner_version": __version__,
            "gdal_version": pyogrio.__gdal_version_string__,
            "lang": lang,
            "source": {
                "kind": origin.kind,
                "path": origin.path,
                "name": origin.name,
                "files": origin.files,
            },
            "rules": origin.rules,
            "source_layers": origin.source_layers,
            "data_note": origin.data_note,
            "crs": {
                "code": crs,
                "name": pyproj.CRS(crs).name,
                "geojson": f"{crs} (stated in each file; not RFC 7946)",
                "geojson_wgs84": "EPSG:4326, RFC 7946 (*_wgs84.geojson); CGCS2000 taken as "
                "WGS84 (PROJ ballpark transformation, centimetre level)",
            },
            "formats": {"asked": list(asked), "written": fmts, "skipped": skipped},
            "layers": {
                layer: {
                    "features": len(gdf),
                    "id_field": LAYERS[layer],
                    "geometry": sorted(set(gdf.geom_type)),
                    "counts": counts[layer],
                }
                for layer, gdf in tables.items()
            },
            "verification": {
                "read_back": True,
                "tolerance_m": TOLERANCE_M,
                "sampled_coordinates": sampled,
                "largest_error_m": round(largest, 6),
            },
            "shapefile": (
                {
                    "encoding": SHP_ENCODING,
                    "text_max_bytes": SHP_TEXT_BYTES,
                    "values_left_empty": blanked,
                    "values_cut": cut,
                }
                if "shp" in fmts
                else None
            ),
            "field_dictionary": ["field_dictionary.csv", "field_dictionary.xlsx"],
            "warnings": [str(w) for w in report_warnings],
        }
        readme = _readme(metadata, lang)
        (root / "README.txt").write_text(readme, encoding="utf-8-sig", newline="")
        files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
        metadata["files"] = [
            {"path": name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
            for name, p in files.items()
        ]
        (root / "metadata.json").write_text(
            json.dumps(metadata, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )

        t0 = time.perf_counter()
        step(tr("bureau_step_zip", lang))
        names = _zip(root, stage / f"{PACKAGE}.zip", exported_at)
        with zipfile.ZipFile(stage / f"{PACKAGE}.zip") as archive:
            bad = archive.testzip()
            expected_names = sorted(
                f"{PACKAGE}/{p.relative_to(root).as_posix()}"
                for p in root.rglob("*")
                if p.is_file()
            )
            if bad is not None or archive.namelist() != names or names != expected_names:
                raise BureauVerificationError(
                    [
                        Problem(
                            f"{PACKAGE}.zip",
                            tr(
                                "bureau_check_zip",
                                lang,
                                names=bad or ", ".join(sorted(set(names) ^ set(expected_names))),
                            ),
                        )
                    ],
                    lang=lang,
                )
        timings["zip"] = time.perf_counter() - t0
    folder, zip_path = out_dir / PACKAGE, out_dir / f"{PACKAGE}.zip"
    timings["total"] = time.perf_counter() - started
    sizes = {
        name: (folder / name).stat().st_size
        for name in sorted(
            p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
        )
    }
    log.info(
        "Wrote the bureau package (%s; %s) to %s: %s in %.1f s",
        crs,
        ", ".join(fmts),
        folder,
        ", ".join(f"{k} {v['features']}" for k, v in metadata["layers"].items()),
        timings["total"],
    )
    return BureauReport(
        folder=folder,
        zip_path=zip_path,
        crs=crs,
        formats=tuple(fmts),
        skipped=skipped,
        counts=counts,
        warnings=report_warnings,
        files=sizes,
        metadata=metadata,
        timings=timings,
    )
