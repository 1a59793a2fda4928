"""Read, validate and normalise a layers folder into one :class:`PlanningData` (one CRS).

This is the only module that reads input files. It finds each layer (``planner.yaml`` or the
default file names of DESIGN.md), reads it with pyogrio, checks its CRS (a missing CRS is an
error, a declared CRS never overrides a stated one, GCJ-02 is converted when declared),
renames Chinese and mapped fields to the contract's names, converts Chinese values, checks
every value and geometry, and collects *every* problem of every layer before raising one
:class:`~gis_planner.errors.InputError`.

Input is data, never trusted: before any layer is read, every file is looked at with ``stat``
only (a FIFO, device, folder or broken link is refused unopened), its size and feature count
are held against the rules file's ``limits``, and every file of the folder that no layer reads
is reported with the layer it probably meant. ``planner.yaml`` is read with a bounded YAML
loader and every key checked for its kind; a value past a ``plausibility`` limit of the rules
file is an error naming the limit. Nothing is dropped or changed without a message.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import difflib
import errno
import hashlib
import json
import logging
import math
import os
import re
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import yaml

from gis_planner import crs as crs_mod
from gis_planner.errors import InputError, Problem, ProblemList, RulesError, format_rows
from gis_planner.i18n import tr
from gis_planner.io import schema
from gis_planner.rules import RuleSet, load_rules, read_yaml

log = logging.getLogger(__name__)

CONFIG_FILE = "planner.yaml"
CONFIG_KEYS = ("layers", "rules", "household_size", "name", "data_note", "working_crs")
LAYER_CONFIG_KEYS = (
    "file",
    "layer",
    "crs",
    "encoding",
    "fields",
    "gcj02",
    "sheet",
    "transform",
    "accept_ballpark",
)
TABLE_NAMES = (schema.HOUSEHOLDS_TABLE, "户数统计表")
TABLE_EXTENSIONS = (".csv", ".xlsx")
FAR_AWAY_KM = 50.0
OVERLAP_TOLERANCE_M2 = 1.0  # data quality, not policy: overlaps below this are digitising slivers
LATEST_PLAN_YEAR = 2100  # a delivery year past this is a typing error, not a plan
MB = 1024 * 1024
# files of a layers folder that are never layers and never reported as "not read"
IGNORED_SUFFIXES = (
    ".md",
    ".txt",
    ".pdf",
    ".doc",
    ".docx",
    ".rtf",
    ".html",
    ".htm",
    ".log",
    ".ipynb",
    ".bak",
    ".tmp",
    ".lock",
)
IGNORED_NAMES = ("thumbs.db", "desktop.ini")
DATA_SUFFIXES = (
    *schema.VECTOR_EXTENSIONS,
    *schema.RASTER_EXTENSIONS,
    *TABLE_EXTENSIONS,
    ".gdb",
    ".zip",
    ".kml",
    ".kmz",
    ".xls",
    ".dxf",
    ".dwg",
    ".gml",
    ".tab",
    ".mif",
    ".sqlite",
    ".yaml",
    ".yml",
)
# C0 and C1 control characters except tab, line feed and carriage return: never meant in a name
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_EXACT_INTEGER = 2**53  # float64 holds whole numbers exactly up to here


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


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _config_type(
    problems: ProblemList, key: str, value: object, expected: str, lang: str, **values: object
) -> None:
    problems.error(
        CONFIG_FILE,
        tr(
            "config_type", lang, key=key, value=_shown(value), expected=tr(expected, lang, **values)
        ),
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_entry(
    name: str, entry: dict[str, Any], problems: ProblemList, lang: str
) -> dict[str, Any]:
    """The settings of one layer with every value of the wrong kind reported and dropped."""
    checked: dict[str, Any] = {}
    for key, value in entry.items():
        where = f"layers.{name}.{key}"
        if key not in LAYER_CONFIG_KEYS:
            problems.error(
                CONFIG_FILE,
                tr("config_unknown_key", lang, key=where, valid=", ".join(LAYER_CONFIG_KEYS)),
            )
            continue
        if value is None:
            continue
        ok = True
        if key == "file":
            ok = _is_text(value)
            expected = "cfg_expect_file"
        elif key in ("layer", "sheet"):
            ok = _is_text(value) or _is_whole(value)
            expected = "cfg_expect_layer_name"
        elif key == "crs":
            ok = _is_text(value) or _is_whole(value)
            expected = "cfg_expect_crs"
        elif key == "encoding":
            expected = "cfg_expect_encoding"
            try:
                ok = _is_text(value) and codecs.lookup(value) is not None
            except LookupError:
                ok = False
        elif key == "gcj02":
            ok = isinstance(value, bool)
            expected = "cfg_expect_bool"
        elif key == "fields":
            expected = "cfg_expect_fields"
            ok = isinstance(value, dict) and all(
                (_is_text(k) or _is_whole(k)) and _is_text(v) for k, v in value.items()
            )
            if ok:
                value = {str(k): v for k, v in value.items()}
        if not ok:
            _config_type(problems, where, value, expected, lang)
            continue
        checked[key] = value
    return checked


def _read_config(folder: Path, problems: ProblemList, lang: str) -> dict[str, Any]:
    """``planner.yaml`` (bounded YAML), every key checked for its kind; values of the wrong
    kind are reported (every one) and left out."""
    path = folder / CONFIG_FILE
    kind, _ = _file_kind(path)
    if kind == "missing":
        return {}
    if kind != "file":
        problems.error(CONFIG_FILE, _kind_message(kind, path, lang))
        return {}
    try:
        config = read_yaml(path, lang=lang)
    except yaml.YAMLError as err:
        problems.error(CONFIG_FILE, tr("config_bad", lang, error=err))
        return {}
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.error(CONFIG_FILE, tr("config_bad", lang, error="top level must be a mapping"))
        return {}
    for key in config:
        if key not in CONFIG_KEYS:
            problems.error(
                CONFIG_FILE, tr("config_unknown_key", lang, key=key, valid=", ".join(CONFIG_KEYS))
            )
    layers = config.get("layers")
    if layers is None:
        layers = {}
    elif not isinstance(layers, dict):
        _config_type(problems, "layers", layers, "cfg_expect_layers", lang)
        layers = {}
    valid_layers = (*schema.VECTOR_LAYERS, *schema.RASTER_LAYERS, schema.HOUSEHOLDS_TABLE)
    checked: dict[str, dict[str, Any]] = {}
    for name, entry in layers.items():
        if name not in valid_layers:
            problems.error(
                CONFIG_FILE,
                tr("config_unknown_key", lang, key=f"layers.{name}", valid=", ".join(valid_layers)),
            )
            continue
        if entry is None:
            continue
        if isinstance(entry, str):
            entry = {"file": entry}
        if not isinstance(entry, dict):
            _config_type(problems, f"layers.{name}", entry, "cfg_expect_entry", lang)
            continue
        checked[name] = _check_entry(name, entry, problems, lang)
    config["layers"] = checked
    size = config.get("household_size")
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int | float) or not math.isfinite(size)
    ):
        _config_type(problems, "household_size", size, "cfg_expect_number", lang)
        config.pop("household_size")
    rules = config.get("rules")
    if rules is not None and not _is_text(rules):
        _config_type(problems, "rules", rules, "cfg_expect_rules", lang)
        config.pop("rules")
    name = config.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, str | int | float)):
        _config_type(problems, "name", name, "cfg_expect_name", lang)
        config.pop("name")
    note = config.get("data_note")
    if note is not None and not (
        isinstance(note, str)
        or (
            isinstance(note, dict)
            and set(note) <= {"zh", "en"}
            and note
            and all(isinstance(v, str) for v in note.values())
        )
    ):
        _config_type(problems, "data_note", note, "cfg_expect_note", lang)
        config.pop("data_note")
    return config


# --------------------------------------------------------------------------- files


def _listing(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def _file_kind(path: Path) -> tuple[str, os.stat_result | None]:
    """What ``path`` is, found with ``stat`` only (never opened: a FIFO would block):
    ``file``, ``dir``, ``missing``, ``dangling`` / ``loop`` (symbolic links), ``fifo``,
    ``char_device``, ``block_device``, ``socket``, ``unreadable``."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing", None
    except OSError:
        return "unreadable", None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return "dangling", None
        except OSError as err:
            return ("loop" if err.errno == errno.ELOOP else "unreadable"), None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return "file", info
    if stat.S_ISDIR(mode):
        return "dir", info
    for test, kind in (
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "char_device"),
        (stat.S_ISBLK, "block_device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return kind, info
    return "unreadable", info


def _kind_message(kind: str, path: Path, lang: str) -> str:
    """The message for a path that is not a regular file."""
    if kind == "dangling":
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return tr("symlink_dangling", lang, target=target)
    if kind == "loop":
        return tr("symlink_loop", lang)
    if kind == "dir":
        return tr("is_folder", lang)
    if kind == "missing":
        return tr("file_missing", lang, file=path)
    if kind in ("fifo", "char_device", "block_device", "socket"):
        return tr("not_regular", lang, kind=tr(f"kind_{kind}", lang))
    return tr("unreadable", lang, error=tr("no_permission", lang))


def _inside(folder: Path, file: str, key: str, problems: ProblemList, lang: str) -> Path | None:
    """``folder / file``, unless ``file`` leads out of the layers folder (refused)."""
    relative = Path(str(file))
    if relative.is_absolute() or ".." in relative.parts or relative.drive:
        problems.error(CONFIG_FILE, tr("config_outside", lang, key=key, file=file, folder=folder))
        return None
    return folder / relative


def _find_file(
    folder: Path,
    name: str,
    alias: str,
    extensions: tuple[str, ...],
    entry: dict[str, Any],
    problems: ProblemList,
    lang: str,
) -> Path | None:
    """The file of layer ``name``: named in ``planner.yaml``, else found by its default name
    (case-insensitive: ``Estates.GeoJSON`` is ``estates.geojson``). A symbolic link is
    found too (whether it leads anywhere is :func:`_check_input`'s question)."""
    if entry.get("file"):
        path = _inside(folder, entry["file"], f"layers.{name}.file", problems, lang)
        if path is None:
            return None
        if not os.path.lexists(path):
            problems.error(CONFIG_FILE, tr("file_missing", lang, file=path))
            return None
        return path
    wanted = {f"{stem}{ext}".lower() for stem in (name, alias) for ext in extensions}
    found = [folder / n for n in _listing(folder) if n.lower() in wanted]
    if len(found) > 1:
        problems.error(
            name, tr("ambiguous", lang, layer=name, files=", ".join(p.name for p in found))
        )
        return None
    return found[0] if found else None


def _parts(path: Path) -> list[Path]:
    """The files making up ``path``: a shapefile's .shp, .shx, .dbf, .prj, .cpg … (any case)."""
    if path.suffix.lower() != ".shp":
        return [path]
    prefix = path.stem.lower() + "."
    return [path.parent / n for n in _listing(path.parent) if n.lower().startswith(prefix)]


def _check_input(path: Path, source: str, problems: ProblemList, lang: str) -> int | None:
    """Bytes of the input at ``path`` when it can be read, else ``None`` with the problem
    reported — without opening anything: links leading nowhere or looping, FIFOs, devices,
    folders (but a FileGDB ``*.gdb``), empty files, shapefiles missing their .shx or .dbf."""
    kind, info = _file_kind(path)
    if kind == "dir" and path.suffix.lower() == ".gdb":
        total = 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                part_kind, part = _file_kind(Path(root) / name)
                if part_kind != "file" or part is None:
                    problems.error(
                        source, f"{name}: " + _kind_message(part_kind, Path(root) / name, lang)
                    )
                    return None
                total += part.st_size
        return total
    if kind != "file" or info is None:
        problems.error(source, _kind_message(kind, path, lang))
        return None
    if info.st_size == 0:
        problems.error(source, tr("empty_file", lang))
        return None
    total = info.st_size
    if path.suffix.lower() == ".shp":
        names = {p.name.lower() for p in _parts(path)}
        missing = [
            path.stem + ext
            for ext in schema.SHAPEFILE_REQUIRED_PARTS
            if (path.stem + ext).lower() not in names
        ]
        if missing:
            problems.error(source, tr("shapefile_part_missing", lang, part=", ".join(missing)))
            return None
        for part in _parts(path):
            if part == path:
                continue
            part_kind, part_info = _file_kind(part)
            if part_kind != "file" or part_info is None:
                problems.error(source, f"{part.name}: " + _kind_message(part_kind, part, lang))
                return None
            total += part_info.st_size
    return total


def _gdal_message(err: BaseException, path: Path, lang: str) -> str:
    """A reader's error in words a planner can act on (never GDAL's ``<DRIVER>:`` hint)."""
    text = (str(err).splitlines() or [type(err).__name__])[0]
    if "not recognized as" in text and "supported file format" in text:
        return tr("not_a_layer_file", lang, ext=path.suffix or "—")
    if any(
        w in text
        for w in (
            "Failed to read",
            "Unterminated",
            "unexpected end",
            "truncated",
            "file is not a database",
            "malformed",
        )
    ):
        return f"{tr('not_a_layer_file', lang, ext=path.suffix or '—')} ({text})"
    text = re.sub(r"[.;\s]*It might help to specify the correct driver.*$", "", text)
    return text.replace(str(path), path.name)


def _feature_count(
    path: Path, entry: dict[str, Any], source: str, problems: ProblemList, lang: str
) -> int | None:
    """Features GDAL reports for the layer, before reading it (``-1`` when unknown);
    ``None`` with the problem reported when it cannot be opened."""
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if path.suffix.lower() in (".geojson", ".json"):
            # GDAL would parse the whole file to count; counting the "Feature" members of the
            # bytes is 30× faster and close enough for a limit (an unreadable file is
            # reported when it is read)
            count, previous = 0, b""
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(MB), b""):
                    count += (previous[-16:] + block).count(b'"Feature"') - previous[-16:].count(
                        b'"Feature"'
                    )
                    previous = block
            return count
        info = pyogrio.read_info(path, layer=entry.get("layer"))
    except Exception as err:  # noqa: BLE001 - any reader failure is reported with the file
        problems.error(source, tr("unreadable", lang, error=_gdal_message(err, path, lang)))
        return None
    return int(info.get("features", -1))


def _suggestion(name: str) -> str | None:
    """The layer a file name probably meant ("estate.geojson" → estates), or ``None``."""
    stem = name.split(".", 1)[0].strip().lower()
    close = difflib.get_close_matches(stem, list(schema.FILE_STEMS), n=1, cutoff=0.6)
    return schema.FILE_STEMS[close[0]] if close else None


def _unused_files(
    folder: Path, used: list[Path], problems: ProblemList, lang: str, missing_required: set[str]
) -> dict[str, list[str]]:
    """Report every file of the folder that no layer reads (with the layer it probably
    meant); returns layer → such files. A file that probably is a missing required layer is
    an error, the others a warning."""
    used_names = []
    for path in used:
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        if relative.parts:  # (a rules file named '.' is the folder itself)
            used_names.append(relative.parts[0].lower())
    used_stems = {n.split(".", 1)[0] for n in used_names}
    unused: list[str] = []
    meant: dict[str, list[str]] = {}
    for name in _listing(folder):
        low = name.lower()
        suffix = os.path.splitext(low)[1]
        if (
            low in used_names
            or low.startswith(".")
            or low.startswith("~$")
            or low in IGNORED_NAMES
            or suffix in IGNORED_SUFFIXES
        ):
            continue
        if any(low.startswith(u + ".") or low.startswith(u + "-") for u in used_names):
            continue  # a sidecar: estates.shp.xml, population.tif.aux.xml, x.gpkg-wal
        if low.split(".", 1)[0] in used_stems and suffix not in DATA_SUFFIXES:
            continue  # a sidecar: estates.prj, population.tfw
        kind, _ = _file_kind(folder / name)
        layer = _suggestion(name)
        if kind == "dir" and layer is None and suffix != ".gdb":
            continue  # a folder of other things (old versions, outputs …)
        shown = name
        if kind not in ("file", "dir"):
            shown += f" ({_kind_message(kind, folder / name, lang)})"
        if layer is not None:
            meant.setdefault(layer, []).append(name)
            if layer in missing_required:
                problems.error(name, tr("file_unused_required", lang, layer=layer))
                continue
            shown += f" ({tr('did_you_mean', lang, layer=layer)})"
        unused.append(shown)
    if unused:
        layers = ", ".join((*schema.VECTOR_LAYERS, schema.HOUSEHOLDS_TABLE, "population"))
        problems.warn(
            f"{folder.name}/", tr("files_unused", lang, files="; ".join(unused), layers=layers)
        )
    return meant


def _sha256(path: Path) -> str:
    """SHA-256 of an input: a file, the parts of a shapefile, or the files of a FileGDB
    folder (their names and bytes)."""
    digest = hashlib.sha256()
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        paths = sorted(_parts(path))
    for p in paths:
        if path.is_dir():
            digest.update(p.relative_to(path).as_posix().encode("utf-8"))
        with open(p, "rb") as handle:
            for block in iter(lambda h=handle: h.read(MB), b""):
                digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- reading


def _read_vector(
    path: Path, entry: dict[str, Any], source: str, problems: ProblemList, lang: str
) -> gpd.GeoDataFrame | None:
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
        and not any(p.suffix.lower() == ".cpg" for p in _parts(path))
    )
    try:
        with warnings.catch_warnings():
            # a column of mixed numbers and text ('1,200') is left as text, then checked;
            # NaN coordinates are reported with their rows
            warnings.filterwarnings("ignore", "Could not parse column", UserWarning)
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            return _read_with(path, kwargs, encoding, guess_encoding, source, entry, problems, lang)
    except Exception as err:  # noqa: BLE001 - any reader failure is reported with the file
        problems.error(source, tr("unreadable", lang, error=_gdal_message(err, path, lang)))
        return None


def _read_with(
    path: Path,
    kwargs: dict[str, Any],
    encoding: str | None,
    guess_encoding: bool,
    source: str,
    entry: dict[str, Any],
    problems: ProblemList,
    lang: str,
) -> gpd.GeoDataFrame:
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


def _crs_name(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return "—"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]:,]')
_TAIL_CRS = re.compile(r'[\]}]\s*,\s*"crs"\s*:\s*(?=\{)')
_TAIL_END = re.compile(r'\s*(?:,\s*"bbox"\s*:\s*\[[^\[\]]*\]\s*)?\}\s*$')


def _states_crs(path: Path | None) -> bool:
    """False for a GeoJSON file without a top-level ``crs`` member (RFC 7946 then implies
    WGS84). Only a member of the top-level object counts: a feature property named ``crs``
    does not. The first megabyte is tokenised; when the member is not found there before the
    features end, the end of the file is looked at (a ``crs`` member written after them)."""
    if path is None or path.suffix.lower() not in (".geojson", ".json"):
        return True
    head_size = 1 << 20
    with open(path, "rb") as handle:
        head = handle.read(head_size)
        size = os.fstat(handle.fileno()).st_size
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


def _check_crs(
    gdf: gpd.GeoDataFrame,
    name: str,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
    lang: str,
) -> gpd.GeoDataFrame | None:
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
            problems.error(
                source,
                tr(
                    "crs_conflict",
                    lang,
                    stated=_crs_name(gdf.crs),
                    declared=_crs_name(declared_crs),
                ),
            )
            return None
        gdf = gdf.set_crs(declared_crs, allow_override=True)  # the stated CRS + its +towgs84
    layer_crs = pyproj.CRS.from_user_input(gdf.crs)
    present = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if present.empty:
        return gdf
    xmin, ymin, xmax, ymax = present.total_bounds
    if layer_crs.is_geographic:
        if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
            problems.error(
                source,
                tr(
                    "out_of_range_geographic",
                    lang,
                    xmin=xmin,
                    xmax=xmax,
                    ymin=ymin,
                    ymax=ymax,
                    crs=_crs_name(layer_crs),
                ),
            )
            return None
    else:
        area = layer_crs.area_of_use
        if area is not None:
            # the CRS's own geodetic CRS: fast to build, and a datum shift is irrelevant
            # against a 1-degree margin
            to_geo = pyproj.Transformer.from_crs(layer_crs, layer_crs.geodetic_crs, always_xy=True)
            lon, lat = to_geo.transform([xmin, xmax, xmin, xmax], [ymin, ymin, ymax, ymax])
            lon, lat = np.asarray(lon), np.asarray(lat)
            margin = 1.0
            if (
                not np.all(np.isfinite(lon))
                or lon.min() < area.west - margin
                or lon.max() > area.east + margin
                or lat.min() < area.south - margin
                or lat.max() > area.north + margin
            ):
                problems.error(
                    source,
                    tr(
                        "out_of_area",
                        lang,
                        crs=_crs_name(layer_crs),
                        bounds=f"{xmin:.0f}, {ymin:.0f} – {xmax:.0f}, {ymax:.0f}",
                    ),
                )
                return None
    if entry.get("gcj02"):
        if not layer_crs.is_geographic:
            problems.error(source, tr("gcj02_not_geographic", lang, crs=_crs_name(layer_crs)))
            return None
        gdf = gdf.to_crs("EPSG:4326")
        gdf = gdf.set_geometry(
            crs_mod.geometries_gcj02_to_wgs84(gdf.geometry.values), crs="EPSG:4326"
        )
        problems.warn(source, tr("gcj02_converted", lang))
    return _shift_datum(gdf, name, entry, source, problems, lang)


def _shift_datum(
    gdf: gpd.GeoDataFrame,
    name: str,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
    lang: str,
) -> gpd.GeoDataFrame | None:
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
        gdf, shift = crs_mod.to_cgcs2000(
            gdf, layer=name, transform=transform, accept_ballpark=accept, lang=lang
        )
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
    def from_config(cls, config: dict[str, Any], problems: ProblemList, lang: str) -> _WorkingCrs:
        value = config.get("working_crs", "auto")
        if str(value).strip().lower() == "auto":
            return cls()
        try:
            central = crs_mod.gk3_central_meridian(value)
        except Exception:  # noqa: BLE001 - any unreadable value is reported below
            central = None
        if central is None:
            problems.error(
                CONFIG_FILE, tr("working_crs_bad", lang, value=value, valid=crs_mod.GK3_RANGE)
            )
            return cls()
        return cls(setting=crs_mod.GK3_ZONES[central])

    def for_layer(
        self, gdf: gpd.GeoDataFrame, source: str, problems: ProblemList, lang: str
    ) -> str | None:
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
                problems.warn(
                    CONFIG_FILE,
                    tr(
                        "working_crs_far",
                        lang,
                        crs=self.crs,
                        lon=lon,
                        auto=auto,
                        length=length,
                        area=(1 + length) ** 2 - 1,
                    ),
                )
        return self.crs


def _rename_fields(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
    lang: str,
) -> gpd.GeoDataFrame:
    mapping = dict(entry.get("fields") or {})
    missing = [k for k in mapping if k not in gdf.columns]
    if missing:
        present = ", ".join(c for c in gdf.columns if c != "geometry")
        problems.error(
            source, tr("field_map_missing", lang, names=", ".join(missing), present=present)
        )
    gdf = gdf.rename(columns={k: v for k, v in mapping.items() if k in gdf.columns})
    renames: dict[str, str] = {}
    lower = {c.lower(): c for c in gdf.columns}
    for f in spec.fields:
        if f.name not in mapping.values():
            # two columns for one field (户数 beside households): one would be ignored
            names = {a.lower() for a in (f.name, *f.alias_zh, f.name[:10])}
            columns = [
                c
                for c in gdf.columns
                if c != gdf.geometry.name and c.lower() in names and c not in mapping.values()
            ]
            if len(columns) > 1:
                problems.error(
                    source,
                    tr(
                        "field_conflict",
                        lang,
                        field=f.name,
                        columns=", ".join(columns),
                        layer=spec.name,
                    ),
                )
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
    gdf.attrs["source_columns"] = {
        **{v: k for k, v in mapping.items()},
        **{v: k for k, v in renames.items()},
    }
    return gdf


def _row_ids(gdf: pd.DataFrame, spec: schema.LayerSpec) -> pd.Series:
    """Row labels for messages: the id field where present, else the 1-based row number."""
    fallback = pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)
    if spec.id_field and spec.id_field in gdf.columns:
        raw = gdf[spec.id_field]
        ids = _text(raw).astype(object)
        return ids.where(~_blank(raw), fallback).astype(str)  # a blank id: the row number
    return fallback


# text that only says "missing": blank, and the words pandas/numpy/Python/GDAL print for a
# missing value when a table was saved through str() ('<NA>', 'nan', 'NaT', 'None', 'NULL')
NULL_WORDS = ("", "nan", "none", "null", "<na>", "nat", "<null>")


def _text(series: pd.Series) -> pd.Series:
    """The values as stripped text (vectorised; missing values stay missing). Whole numbers
    read as floats are written as whole numbers: a code 330521001001 stays '330521001001',
    not '330521001001.0'."""
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series.str.strip()
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = (
                np.isfinite(values)
                & (values == np.floor(values))
                & (np.abs(values) < MAX_EXACT_INTEGER)
            )
        text = series.astype("string")
        if whole.any():
            text[whole] = pd.Series(
                values[whole].astype(np.int64), index=series.index[whole]
            ).astype("string")
        return text.str.strip()
    if series.dtype == object:
        series = series.map(
            lambda v: (
                int(v)
                if isinstance(v, float) and v.is_integer() and abs(v) < MAX_EXACT_INTEGER
                else v
            )
        )
    return series.astype("string").str.strip()


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def _numbers(raw: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers as float, refused mask): text numbers with thousands separators ('1,200')
    are read; true/false, infinite values and text that is no number are refused."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(np.nan, index=raw.index, dtype=float), ~blank
    refused = pd.Series(False, index=raw.index)
    values = raw.where(~blank)
    if not pd.api.types.is_numeric_dtype(raw.dtype):
        refused = ~blank & raw.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)
        text = _text(values)
        grouped = text.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
        if grouped.any():
            text = text.where(~grouped, text.str.replace(",", "", regex=False))
        values = text.where(~refused)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    refused |= ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0)))
    return numbers.where(~refused), refused


def _strip_control(gdf: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Text columns without control characters (ESC, NUL …); column → rows changed."""
    changed: dict[str, pd.Series] = {}
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    for column in gdf.columns:
        series = gdf[column]
        if column == geometry or not (
            series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        ):
            continue
        if series.dtype != object:  # a string column: one vectorised search
            hit = series.str.contains(CONTROL_CHARACTERS.pattern, regex=True, na=False)
            hit = hit.astype(bool)
            if not hit.any():
                continue
            text = series.fillna("").astype(str)
        else:
            values = series.to_numpy(dtype=object)
            strings = [v for v in values if isinstance(v, str)]
            if not strings or CONTROL_CHARACTERS.search("\n".join(strings)) is None:
                continue  # the common case: one search over the whole column
            is_text = pd.Series([isinstance(v, str) for v in values], index=series.index)
            text = series.where(is_text, "").astype(str)
            hit = is_text & text.str.contains(CONTROL_CHARACTERS, regex=True)
        if hit.any():
            if not changed:
                gdf = gdf.copy()
            cleaned = series.astype(object).copy()
            cleaned[hit] = text[hit].str.replace(CONTROL_CHARACTERS, "", regex=True)
            gdf[column] = cleaned
            changed[str(column)] = hit
    return gdf, changed


def _blank(series: pd.Series) -> pd.Series:
    """Missing values, and text that only says so (:data:`NULL_WORDS`: '', '<NA>', 'nan' …)."""
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return series.isna()
    text = _text(series)
    return (series.isna() | text.str.lower().isin(NULL_WORDS)).fillna(True).astype(bool)


def _lookup(
    series: pd.Series, table: dict[str, Any], blank: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Map values through ``table`` (keys lower-case); returns (values, unknown mask)."""
    keys = _text(series).str.lower()
    values = keys.map(table).astype(object)
    unknown = (~blank & values.isna()).astype(bool)
    return values.where(~blank & ~unknown, None), unknown


def _coerce(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    lang: str,
    *,
    earliest_year: int,
    filled_later: tuple[str, ...] = (),
    plausibility: dict[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    source_columns = dict(gdf.attrs.get("source_columns", {}))
    gdf = gdf.copy()
    this_year = _dt.date.today().year
    for f in spec.fields:
        shown = (
            (
                f"{f.name}（{source_columns[f.name]}）"
                if lang == "zh"
                else f"{f.name} (column {source_columns[f.name]})"
            )
            if source_columns.get(f.name, f.name) != f.name
            else f.name
        )
        if f.name not in gdf.columns and f.name in filled_later:
            gdf[f.name] = pd.NA
        if f.name not in gdf.columns:
            if f.required:
                aliases = "、".join(f.alias_zh) or "—"
                close = difflib.get_close_matches(
                    f.name, [str(c) for c in gdf.columns if c != "geometry"], n=3, cutoff=0.5
                )
                similar = tr("similar", lang, names=", ".join(close)) if close else ""
                problems.error(
                    source,
                    tr(
                        "field_missing",
                        lang,
                        field=f.name,
                        aliases=aliases,
                        similar=similar,
                        layer=spec.name,
                    ),
                )
            elif f.default is not None:
                gdf[f.name] = f.default
            continue
        raw = gdf[f.name]
        blank = _blank(raw)
        if f.required and blank.any() and f.name not in filled_later:
            problems.error(
                source, tr("required_empty", lang, field=shown, rows=format_rows(rows[blank]))
            )
        if f.kind == "text":
            gdf[f.name] = _text(raw).astype(object).where(~blank, None)
        elif f.kind in ("int", "number", "year", "plan_year"):
            numbers, bad = _numbers(raw, blank)
            minimum = f.minimum if f.minimum is not None else -np.inf
            if f.kind in ("year", "plan_year"):
                latest = this_year if f.kind == "year" else LATEST_PLAN_YEAR
                bad |= ~blank & (
                    (numbers < earliest_year) | (numbers > latest) | (numbers != np.floor(numbers))
                )
                if bad.any():
                    problems.error(
                        source,
                        tr(
                            "bad_year",
                            lang,
                            field=shown,
                            earliest=earliest_year,
                            latest=latest,
                            rows=format_rows(rows[bad], raw[bad]),
                        ),
                    )
            elif f.kind == "int":
                bad |= ~blank & ((numbers < minimum) | (numbers != np.floor(numbers)))
                if bad.any():
                    problems.error(
                        source,
                        tr(
                            "not_integer",
                            lang,
                            field=shown,
                            minimum=max(minimum, 0) if f.minimum is not None else 0,
                            rows=format_rows(rows[bad], raw[bad]),
                        ),
                    )
            else:
                low = numbers <= minimum if f.exclusive_minimum else numbers < minimum
                bad |= ~blank & low
                if bad.any():
                    problems.error(
                        source,
                        tr(
                            "not_number",
                            lang,
                            field=shown,
                            cmp=">" if f.exclusive_minimum else ">=",
                            minimum=minimum if np.isfinite(minimum) else 0,
                            rows=format_rows(rows[bad], raw[bad]),
                        ),
                    )
            limit = (plausibility or {}).get(f.plausible_max) if f.plausible_max else None
            over = ~blank & ~bad & (numbers > (limit if limit is not None else MAX_EXACT_INTEGER))
            if over.any():
                if limit is not None:
                    problems.error(
                        source,
                        tr(
                            "implausible",
                            lang,
                            field=shown,
                            key=f.plausible_max,
                            limit=limit,
                            rows=format_rows(rows[over], raw[over]),
                        ),
                    )
                else:
                    problems.error(
                        source,
                        tr(
                            "number_too_large",
                            lang,
                            field=shown,
                            rows=format_rows(rows[over], raw[over]),
                        ),
                    )
            numbers = numbers.where(~bad & ~over)
            if f.kind in ("int", "year", "plan_year"):
                gdf[f.name] = numbers.round().astype("Int64")
            else:
                gdf[f.name] = numbers.astype("Float64")
        elif f.kind == "share":
            numbers, bad = _numbers(raw, blank)
            bad |= ~blank & ((numbers < 0) | (numbers > 100))
            if bad.any():
                problems.error(
                    source,
                    tr("not_share", lang, field=shown, rows=format_rows(rows[bad], raw[bad])),
                )
            elif (numbers > 1).any():
                fraction = (numbers > 0) & (numbers < 1)
                if fraction.any():  # 0.8 beside 75: which one is meant cannot be known
                    problems.error(
                        source,
                        tr(
                            "mixed_share",
                            lang,
                            field=shown,
                            rows=format_rows(rows[fraction], raw[fraction]),
                        ),
                    )
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
                problems.error(
                    source, tr("bad_bool", lang, field=shown, rows=format_rows(rows[bad], raw[bad]))
                )
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
                problems.error(
                    source,
                    tr(
                        "bad_enum",
                        lang,
                        field=shown,
                        rows=format_rows(rows[bad], raw[bad]),
                        valid=valid,
                    ),
                )
            if f.default is not None:
                converted = converted.where(converted.notna(), f.default)
            gdf[f.name] = converted.astype(object)
    return gdf


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in schema.POLYGONAL]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _nonfinite(gdf: gpd.GeoDataFrame) -> pd.Series:
    """Features with a NaN or infinite x or y (a geometry no CRS can place)."""
    coords, index = shapely.get_coordinates(gdf.geometry.values, return_index=True)
    bad = np.zeros(len(gdf), dtype=bool)
    if len(coords):
        bad[np.unique(index[~np.isfinite(coords).all(axis=1)])] = True
    return pd.Series(bad, index=gdf.index)


def _check_area(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    lang: str,
    plausibility: dict[str, Any],
) -> bool:
    """Polygons (in metres) with no area (a zero-area estate cannot hold households)."""
    limit = plausibility.get("min_polygon_area_m2")
    if spec.geometry != schema.POLYGONAL or limit is None:
        return True
    tiny = pd.Series(shapely.area(gdf.geometry.values) < limit, index=gdf.index)
    if tiny.any():
        problems.error(source, tr("zero_area", lang, limit=limit, rows=format_rows(rows[tiny])))
        return False
    return True


def _geojson_suspects(
    path: Path, spec: schema.LayerSpec, entry: dict[str, Any]
) -> dict[str, list[str]]:
    """What GDAL would silently change in a GeoJSON file: text holding NUL (\\u0000, cut
    short when read: key ``""``) and true/false in a numeric field (read as 1/0: key = the
    column). Column → rows; empty in the common case, found by one scan of the bytes."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return {}
    numeric = {
        f.name for f in spec.fields if f.kind in ("int", "number", "year", "plan_year", "share")
    }
    mapped = {str(k) for k, v in (entry.get("fields") or {}).items() if v in numeric}
    columns = sorted(
        {*numeric, *mapped, *(a for f in spec.fields if f.name in numeric for a in f.alias_zh)}
    )
    booleans = re.compile(
        b'"(' + b"|".join(re.escape(c.encode()) for c in columns) + rb')"\s*:\s*(?:true|false)\b'
    )
    found, previous = False, b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MB), b""):
            window = previous[-256:] + block
            if b"\\u0000" in window or booleans.search(window):
                found = True
                break
            previous = block
    if not found:
        return {}
    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features") or []
    except (ValueError, UnicodeDecodeError, AttributeError):
        return {}
    ids = [spec.id_field, *(spec.field(spec.id_field).alias_zh if spec.id_field else ())]
    suspects: dict[str, list[str]] = {}
    for i, feature in enumerate(features):
        properties = (feature or {}).get("properties") or {}
        label = next((properties[k] for k in ids if k and properties.get(k)), None)
        label = str(label).replace("\x00", "") if label else f"#{i + 1}"
        if any(isinstance(v, str) and "\x00" in v for v in properties.values()):
            suspects.setdefault("", []).append(label)
        for column in columns:
            if isinstance(properties.get(column), bool):
                suspects.setdefault(column, []).append(label)
    return suspects


def _check_geometry(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    lang: str,
    nonfinite: pd.Series | None = None,
) -> gpd.GeoDataFrame:
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    if nonfinite is not None and nonfinite.any():
        problems.error(source, tr("nonfinite_coords", lang, rows=format_rows(rows[nonfinite])))
        missing &= ~nonfinite
    if missing.any():
        problems.error(source, tr("null_geometry", lang, rows=format_rows(rows[missing])))
    types = geom.geom_type
    wrong = ~missing & ~types.isin(spec.geometry)
    if nonfinite is not None:
        wrong &= ~nonfinite
    if wrong.any():
        problems.error(
            source,
            tr(
                "wrong_geometry",
                lang,
                expected="/".join(spec.geometry),
                rows=format_rows(rows[wrong], types[wrong]),
            ),
        )
    invalid = ~missing & ~wrong & ~geom.is_valid
    if nonfinite is not None:
        invalid &= ~nonfinite
    if invalid.any():
        repaired = shapely.make_valid(geom[invalid].values)
        if spec.geometry == schema.POLYGONAL:
            repaired = np.array([_polygonal(g) for g in repaired], dtype=object)
        gdf = gdf.copy()
        gdf.loc[invalid, gdf.geometry.name] = repaired
        problems.warn(source, tr("invalid_geometry", lang, rows=format_rows(rows[invalid])))
    return gdf


def _check_ids(
    gdf: pd.DataFrame, spec: schema.LayerSpec, source: str, problems: ProblemList, lang: str
) -> None:
    if not spec.id_field or spec.id_field not in gdf.columns:
        return
    ids = gdf[spec.id_field]
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        problems.error(
            source,
            tr(
                "duplicate_ids",
                lang,
                field=spec.id_field,
                rows=format_rows(sorted(ids[dup].astype(str).unique())),
            ),
        )


def _load_layer(
    folder: Path,
    spec: schema.LayerSpec,
    entry: dict[str, Any],
    problems: ProblemList,
    lang: str,
    *,
    earliest_year: int,
    filled_later: tuple[str, ...] = (),
    working: _WorkingCrs | None = None,
    path: Path | None = None,
    plausibility: dict[str, Any] | None = None,
) -> tuple[gpd.GeoDataFrame | None, SourceInfo | None]:
    """Read, check and convert one layer from ``path`` (found by :func:`_find_file` and
    checked by :func:`_check_input` before any layer is read)."""
    plausibility = plausibility or {}
    if path is None:
        if spec.required and not entry.get("file"):
            names = ", ".join(f"{spec.name}{e}" for e in (".gpkg", ".geojson", ".shp"))
            problems.error(
                spec.name,
                tr("layer_missing", lang, layer=spec.name, alias=spec.alias_zh, names=names),
            )
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
    for column, labels in _geojson_suspects(path, spec, entry).items():
        if column:
            problems.error(
                source, tr("bool_not_number", lang, field=column, rows=format_rows(labels))
            )
        else:
            problems.error(source, tr("nul_in_text", lang, rows=format_rows(labels)))
    nonfinite = _nonfinite(gdf)
    if nonfinite.any():  # reported with the rows below; no CRS check can place them
        gdf = gdf.copy()
        gdf.loc[nonfinite, gdf.geometry.name] = None
    stated = _crs_name(gdf.crs) if gdf.crs is not None else f"{entry.get('crs')} (declared)"
    crs_entry = {**entry, "_path": path}  # _check_crs notes the datum shift in it
    gdf = _check_crs(gdf, spec.name, crs_entry, source, problems, lang)
    if gdf is None:
        return None, None
    gdf = _rename_fields(gdf, spec, entry, source, problems, lang)
    gdf, controlled = _strip_control(gdf)
    rows = _row_ids(gdf, spec)
    for column, hit in controlled.items():
        problems.warn(source, tr("control_chars", lang, field=column, rows=format_rows(rows[hit])))
    gdf = _coerce(
        gdf,
        spec,
        rows,
        source,
        problems,
        lang,
        earliest_year=earliest_year,
        filled_later=filled_later,
        plausibility=plausibility,
    )
    _check_ids(gdf, spec, source, problems, lang)
    gdf = _check_geometry(
        gdf,
        spec,
        rows,
        source,
        problems,
        lang,
        nonfinite=nonfinite.reindex(gdf.index, fill_value=False),
    )
    if len(problems.errors) > before:
        return None, None
    working_crs = (working or _WorkingCrs()).for_layer(gdf, source, problems, lang)
    if working_crs is None:
        return None, None
    gdf = gdf.to_crs(working_crs)
    if not _check_area(gdf, spec, rows, source, problems, lang, plausibility):
        return None, None
    gdf = gdf.reset_index(drop=True)
    info = SourceInfo(
        spec.name,
        str(path),
        _sha256(path),
        stated,
        len(gdf),
        datum_shift=crs_entry.get("_datum_shift"),
    )
    log.info(
        "Read %s: %d features from %s (%s → %s)",
        spec.name,
        len(gdf),
        path.name,
        stated,
        working_crs,
    )
    return gdf, info


# --------------------------------------------------------------------------- tables


TABLE_ALIASES = {
    "小区代码": "estate_id",
    "小区编码": "estate_id",
    "小区名称": "name",
    "名称": "name",
    "社区代码": "community_id",
    "户数": "households",
    "常住人口": "population",
    "统计日期": "as_of",
}


def _read_households_table(
    path: Path | None,
    entry: dict[str, Any],
    problems: ProblemList,
    lang: str,
    *,
    plausibility: dict[str, Any] | None = None,
    max_rows: int | None = None,
) -> tuple[pd.DataFrame | None, Path | None]:
    if path is None:
        return None, None
    try:
        if path.suffix.lower() == ".xlsx":
            table = pd.read_excel(path, sheet_name=entry.get("sheet", 0), dtype=str)
        else:
            table = pd.read_csv(path, dtype=str, encoding=entry.get("encoding", "utf-8-sig"))
    except UnicodeDecodeError:
        problems.error(path.name, tr("table_not_utf8", lang))
        return None, None
    except Exception as err:  # noqa: BLE001 - reported with the file
        problems.error(path.name, tr("unreadable", lang, error=_gdal_message(err, path, lang)))
        return None, None
    if max_rows is not None and len(table) > max_rows:
        problems.error(path.name, tr("too_many_features", lang, n=len(table), limit=max_rows))
        return None, None
    table.columns = [str(c).strip() for c in table.columns]
    mapping = {**TABLE_ALIASES, **(entry.get("fields") or {})}
    targets: dict[str, list[str]] = {}
    for column in table.columns:
        targets.setdefault(mapping.get(column, column), []).append(column)
    conflicts = {t: c for t, c in targets.items() if len(c) > 1}
    for target, columns in conflicts.items():  # 户数 beside households: one would be ignored
        problems.error(
            path.name, tr("table_column_conflict", lang, field=target, columns=", ".join(columns))
        )
    if conflicts:
        return None, None
    table = table.rename(columns=mapping).reset_index(drop=True)
    table, controlled = _strip_control(table)
    # the spreadsheet's own row numbers (its header is row 1)
    line = pd.Series([tr("table_row", lang, n=i + 2) for i in range(len(table))], index=table.index)
    for column, hit in controlled.items():
        problems.warn(
            path.name, tr("control_chars", lang, field=column, rows=format_rows(line[hit]))
        )
    by_name = {"name", "community_id"} <= set(table.columns)
    by_id = "estate_id" in table.columns
    if by_id:
        blank_id = _blank(table["estate_id"])
        if blank_id.all() and by_name:  # an empty id column: the names are the key
            table, by_id = table.drop(columns="estate_id"), False
        elif blank_id.any():
            problems.error(path.name, tr("table_blank_id", lang, rows=format_rows(line[blank_id])))
            return None, None
        else:
            table["estate_id"] = _text(table["estate_id"]).astype(object)
    if not (by_id or by_name) or "households" not in table.columns:
        problems.error(path.name, tr("table_columns", lang, present=", ".join(table.columns)))
        return None, None
    key = table["estate_id"] if by_id else table["name"]
    labels = _text(key).astype(object).where(~_blank(key), line).astype(str)
    raw = table["households"]
    blank = _blank(raw)
    numbers, bad = _numbers(raw, blank)
    bad |= blank | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.any():
        problems.error(
            path.name,
            tr(
                "not_integer",
                lang,
                field="households",
                minimum=0,
                rows=format_rows(labels[bad], raw[bad]),
            ),
        )
        return None, None
    limit = (plausibility or {}).get("max_households_per_estate")
    if limit is not None and (numbers > limit).any():
        over = numbers > limit
        problems.error(
            path.name,
            tr(
                "implausible",
                lang,
                field="households",
                key="max_households_per_estate",
                limit=limit,
                rows=format_rows(labels[over], raw[over]),
            ),
        )
        return None, None
    table["households"] = numbers.round().astype("Int64")
    keys = ["estate_id"] if by_id else ["name", "community_id"]
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        problems.error(
            path.name,
            tr(
                "table_duplicates",
                lang,
                rows=format_rows(table.loc[duplicated, keys[0]].astype(str).unique()),
            ),
        )
        return None, None
    return table, path


def _apply_households_table(
    estates: gpd.GeoDataFrame,
    table: pd.DataFrame,
    path: Path,
    communities: gpd.GeoDataFrame,
    problems: ProblemList,
    lang: str,
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
        joined = gpd.sjoin(
            points, communities[["community_id", "geometry"]], how="left", predicate="within"
        )
        joined = joined[~joined.index.duplicated()]
        lookup = pd.Series(
            estates.index,
            index=pd.MultiIndex.from_arrays(
                [estates["name"].astype(str), joined["community_id"].astype(str)]
            ),
        )
        lookup = lookup[~lookup.index.duplicated()]
        keys = pd.MultiIndex.from_arrays(
            [table["name"].astype(str), table["community_id"].astype(str)]
        )
        matched = pd.Series(keys.isin(lookup.index), index=table.index)
        targets = lookup.reindex(keys[matched.to_numpy()]).to_numpy()
        key = table["name"].astype(str)
    if (~matched).any():
        problems.warn(
            path.name,
            tr("table_unmatched", lang, n=int((~matched).sum()), rows=format_rows(key[~matched])),
        )
    estates.loc[targets, "households"] = table.loc[matched, "households"].to_numpy()
    if "population" in table.columns:
        estates.loc[targets, "population"] = pd.to_numeric(
            table.loc[matched, "population"], errors="coerce"
        ).to_numpy()
    return estates


# --------------------------------------------------------------------------- the folder


def _check_overlaps(
    communities: gpd.GeoDataFrame, source: str, problems: ProblemList, lang: str
) -> None:
    """Warn about communities that overlap by more than a digitising sliver."""
    geoms = communities.geometry.values
    if shapely.coverage_is_valid(geoms):  # a clean coverage (shared edges) cannot overlap;
        return  # 5× faster than the pairwise check below
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
        problems.warn(
            source,
            tr(
                "communities_overlap",
                lang,
                tolerance=OVERLAP_TOLERANCE_M2,
                rows=", ".join(f"{r} ({a:,.0f} m²)" for r, a in zip(rows, area[big], strict=True)),
            ),
        )


def _check_far_away(
    data: dict[str, gpd.GeoDataFrame],
    problems: ProblemList,
    lang: str,
    sources: dict[str, SourceInfo],
) -> None:
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


def load_layers(
    folder: str | Path, *, rules: RuleSet | str | Path | None = None, lang: str = "zh"
) -> PlanningData:
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
    rule_set = _rule_set(folder, rules, config, problems, lang)
    entries = config.get("layers", {})
    working = _WorkingCrs.from_config(config, problems, lang)

    data: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, SourceInfo] = {}
    earliest = int(rule_set.enclosure.earliest_plausible_year)
    # estates' households may come from the households table or the population raster
    table_entry = dict(entries.get(schema.HOUSEHOLDS_TABLE) or {})
    table_path = _find_file(folder, *TABLE_NAMES, TABLE_EXTENSIONS, table_entry, problems, lang)
    population_raster = _find_file(
        folder,
        "population",
        "人口",
        schema.RASTER_EXTENSIONS,
        dict(entries.get("population") or {}),
        problems,
        lang,
    )
    paths = {
        name: _find_file(
            folder,
            name,
            spec.alias_zh,
            schema.VECTOR_EXTENSIONS,
            dict(entries.get(name) or {}),
            problems,
            lang,
        )
        for name, spec in schema.VECTOR_LAYERS.items()
    }
    # before anything is read: what every file is, its size and its feature count
    refused = _check_inputs(
        folder, paths, table_path, population_raster, entries, rule_set, problems, lang
    )
    meant = _unused_files(
        folder,
        [
            p
            for p in (
                *paths.values(),
                table_path,
                population_raster,
                folder / CONFIG_FILE,
                *_rules_paths(folder, config),
            )
            if p
        ],
        problems,
        lang,
        {n for n, spec in schema.VECTOR_LAYERS.items() if spec.required and paths[n] is None},
    )
    table_path = None if schema.HOUSEHOLDS_TABLE in refused else table_path
    population_raster = None if "population" in refused else population_raster
    plausibility = rule_set.plausibility.to_dict() if "plausibility" in rule_set else {}
    counts_elsewhere = table_path is not None or population_raster is not None
    for name, spec in schema.VECTOR_LAYERS.items():
        if name in refused:
            continue
        later = ("households",) if name == "estates" and counts_elsewhere else ()
        gdf, info = _load_layer(
            folder,
            spec,
            dict(entries.get(name) or {}),
            problems,
            lang,
            earliest_year=earliest,
            filled_later=later,
            working=working,
            path=paths[name],
            plausibility=plausibility,
        )
        if gdf is not None and info is not None:
            data[name] = gdf
            sources[name] = info
    if paths["estates"] is None:
        hint = meant.get("estates")
        problems.warn(
            "estates",
            tr(
                "no_estates_layer",
                lang,
                hint=tr("no_estates_hint", lang, files=", ".join(hint)) if hint else "",
            ),
        )
    _check_far_away(data, problems, lang, sources)
    if "communities" in data:
        _check_overlaps(data["communities"], Path(sources["communities"].file).name, problems, lang)

    communities = data.get("communities")
    premises = data.get("premises")
    if communities is not None and premises is not None and "community_id" in premises:
        known = set(communities["community_id"].astype(str))
        given = premises["community_id"].notna()
        unknown = given & ~premises["community_id"].astype(str).isin(known)
        if unknown.any():
            problems.error(
                Path(sources["premises"].file).name,
                tr(
                    "unknown_community",
                    lang,
                    rows=format_rows(
                        premises.loc[unknown, "premises_id"], premises.loc[unknown, "community_id"]
                    ),
                    valid=", ".join(sorted(known)[:5]),
                ),
            )

    if population_raster is not None:
        _check_raster(population_raster, problems, lang)

    estates = data.get("estates")
    table, table_path = _read_households_table(
        table_path,
        table_entry,
        problems,
        lang,
        plausibility=plausibility,
        max_rows=int(rule_set.limits.max_features_per_layer) if "limits" in rule_set else None,
    )
    if (
        estates is not None
        and table is not None
        and table_path is not None
        and communities is not None
    ):
        estates = _apply_households_table(estates, table, table_path, communities, problems, lang)
        data["estates"] = estates
        sources["households"] = SourceInfo(
            "households", str(table_path), _sha256(table_path), "—", len(table)
        )
    if estates is not None and population_raster is None and "households" in estates:
        missing = estates["households"].isna()
        if missing.any() and table is not None:
            problems.error(
                Path(sources["estates"].file).name,
                tr(
                    "table_missing_count", lang, rows=format_rows(estates.loc[missing, "estate_id"])
                ),
            )

    household_size = float(config.get("household_size", rule_set.settings.household_size))
    low, high = plausibility.get("min_household_size"), plausibility.get("max_household_size")
    if (
        "household_size" in config
        and low is not None
        and high is not None
        and not (low <= household_size <= high)
    ):
        _config_type(
            problems,
            "household_size",
            config["household_size"],
            "cfg_expect_household_size",
            lang,
            minimum=low,
            maximum=high,
        )

    problems.raise_if_any(header=tr("invalid_input_header", lang, n=len(problems.errors)))
    assert communities is not None  # a missing communities layer is an error above

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


def _rules_paths(folder: Path, config: dict[str, Any]) -> list[Path]:
    value = config.get("rules")
    if not value:
        return []
    relative = Path(str(value))
    return [] if relative.is_absolute() or ".." in relative.parts else [folder / relative]


def _rule_set(
    folder: Path,
    rules: RuleSet | str | Path | None,
    config: dict[str, Any],
    problems: ProblemList,
    lang: str,
) -> RuleSet:
    """The rules to validate and analyse with: ``rules``, else the file named in planner.yaml,
    else the default. A rules problem is reported with the other problems (it never hides
    the layers' problems): the layers are then checked against the default rules."""
    if isinstance(rules, RuleSet):
        return rules
    source = None
    if rules is None and config.get("rules"):
        value = config["rules"]
        rules = _inside(folder, value, "rules", problems, lang)
        source = f"{CONFIG_FILE} (rules: {value})"
        if rules is None:
            return load_rules()
    if rules is None:
        return load_rules()
    try:
        return load_rules(rules, lang=lang)
    except RulesError as err:
        for problem in err.problems:
            problems.error(source or Path(rules).name, problem)
        return load_rules()


def _check_inputs(
    folder: Path,
    paths: dict[str, Path | None],
    table: Path | None,
    raster: Path | None,
    entries: dict[str, Any],
    rules: RuleSet,
    problems: ProblemList,
    lang: str,
) -> set[str]:
    """Check every input before any is read: that it is a file (or a FileGDB folder) and not a
    FIFO, device, folder or broken link; its size (``limits.max_file_mb``, all together
    ``limits.max_input_mb``); a vector layer's feature count (``limits.max_features_per_layer``,
    from GDAL's metadata) and that GDAL can open it. Returns the inputs not to read."""
    limits = rules.limits.to_dict() if "limits" in rules else {}
    max_file = float(limits.get("max_file_mb", math.inf)) * MB
    max_features = limits.get("max_features_per_layer")
    inputs = {**paths, schema.HOUSEHOLDS_TABLE: table, "population": raster}
    refused: set[str] = set()
    total = 0
    for name, path in inputs.items():
        if path is None:
            continue
        entry = dict(entries.get(name) or {})
        source = path.name + (f" (layer {entry['layer']})" if entry.get("layer") else "")
        size = _check_input(path, source, problems, lang)
        if size is None:
            refused.add(name)
            continue
        if size > max_file:
            problems.error(
                source, tr("file_too_large", lang, size=size / MB, limit=limits["max_file_mb"])
            )
            refused.add(name)
            continue
        total += size
        if name in schema.VECTOR_LAYERS:
            count = _feature_count(path, entry, source, problems, lang)
            if count is None:
                refused.add(name)
            elif max_features is not None and count > max_features:
                problems.error(source, tr("too_many_features", lang, n=count, limit=max_features))
                refused.add(name)
    if "max_input_mb" in limits and total > float(limits["max_input_mb"]) * MB:
        problems.error(
            folder.name or str(folder),
            tr("input_too_large", lang, size=total / MB, limit=limits["max_input_mb"]),
        )
        refused |= set(inputs)
    return refused


def _check_raster(path: Path, problems: ProblemList, lang: str) -> None:
    import rasterio

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                problems.error(path.name, tr("raster_no_crs", lang))
            elif not crs_mod.is_cgcs2000_frame(src.crs.to_wkt()):  # warped without a shift
                problems.error(
                    path.name, tr("raster_datum", lang, crs=crs_mod.crs_name(src.crs.to_wkt()))
                )
            if src.nodata is None:
                problems.error(path.name, tr("raster_no_nodata", lang))
    except rasterio.errors.RasterioIOError as err:
        problems.error(path.name, tr("unreadable", lang, error=err))
