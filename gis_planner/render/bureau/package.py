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

The package renders what it is given — a run's :class:`~gis_planner.results.Results` or a run
folder read back with :func:`gis_planner.io.runfolder.read_run` — and never loads layers or
runs an analysis: ``gis-planner export`` composes those steps.

The Shapefile cannot hold every value: text GBK cannot encode is left empty there (and reported,
never written as ``?``), text longer than 254 bytes is cut at a character boundary and ends with
``…`` (and reported); the other formats keep the full values.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import logging
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from gis_planner import __version__
from gis_planner.crs import CGCS2000_GEOGRAPHIC
from gis_planner.errors import Problem
from gis_planner.i18n import tr
from gis_planner.io.runfolder import RunFolder
from gis_planner.render.atomic import FolderBusyError, staged_set
from gis_planner.render.bureau import formats as fmt_mod
from gis_planner.render.bureau.dictionary import (
    dictionary_file,
    dictionary_with_problems,
    field_codes,
    field_titles,
)
from gis_planner.render.bureau.formats import PACKAGE, Written
from gis_planner.render.bureau.options import (
    FORMATS,
    BureauError,
    crs_label,
    parse_crs,
    parse_formats,
    resolve_crs,
)
from gis_planner.render.bureau.origin import Origin, origin_of
from gis_planner.render.bureau.shapefile import SHP_ENCODING, SHP_TEXT_BYTES
from gis_planner.render.bureau.tables import LAYERS, bureau_tables, run_tables
from gis_planner.render.bureau.verify import (
    TOLERANCE_M,
    BureauVerificationError,
    verify_dictionary,
    verify_written,
    verify_zip,
)

if TYPE_CHECKING:
    from gis_planner.results import Results

log = logging.getLogger(__name__)

#: what the package holds besides the layers
DICTIONARY_FILES = ("field_dictionary.csv", "field_dictionary.xlsx")


@dataclass
class BureauReport:
    """What :func:`export_bureau` wrote.

    Attributes
    ----------
    folder, zip_path : Path
        ``<out>/bureau`` and ``<out>/bureau.zip``.
    crs : str
        The CRS of the package (``EPSG:4490`` or a CGCS2000 Gauss-Kruger zone, e.g. ``EPSG:4549``).
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
        Seconds per step (``read``: preparing the layers, ``write``, ``verify``, ``zip``,
        ``total``).
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


@dataclass
class _Draft:
    """The package as written into the staging folder, before it is checked."""

    fmts: list[str]
    skipped: dict[str, str]
    dictionary: pd.DataFrame
    codes: dict[str, dict[str, str]]
    written: list[Written] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    left_empty: list[dict[str, Any]] = field(default_factory=list)
    cut: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Verified:
    counts: dict[str, dict[str, int]]
    sampled: int
    largest_error_m: float


# --------------------------------------------------------------------------- the target


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


def check_target(out_dir: str | Path, *, lang: str = "zh") -> None:
    """Refuse an output folder whose ``bureau`` or ``bureau.zip`` this tool did not write:
    export never deletes or replaces what it did not write.

    Raises
    ------
    BureauError
        Naming the entries, with the fix (move them or choose another ``--out``).
    """
    out_dir = Path(out_dir)
    foreign = [
        p
        for p in (out_dir / PACKAGE, out_dir / f"{PACKAGE}.zip")
        if (p.exists() or p.is_symlink()) and not _is_our_package(p)
    ]
    if foreign:
        raise BureauError(
            tr("bureau_foreign", lang, paths=", ".join(str(p.resolve()) for p in foreign))
        )


def preflight(
    out_dir: str | Path, *, formats: str | Iterable[str] | None = FORMATS, lang: str = "zh"
) -> None:
    """Every check :func:`export_bureau` makes before its work, for a caller that has work of
    its own to do first (loading and analysing layers): some format can be written, and the
    output folder holds no ``bureau`` or ``bureau.zip`` of another making.

    Raises
    ------
    BureauOptionError
        Unknown format.
    BureauError
        No format can be written, or :func:`check_target` refuses the folder.
    """
    fmt_mod.writable_formats(parse_formats(formats, lang=lang), lang=lang)
    check_target(out_dir, lang=lang)


@contextlib.contextmanager
def _staged_package(out_dir: Path, lang: str) -> Iterator[Path]:
    """Stage ``bureau/`` and ``bureau.zip``; replace the old pair as one set on success.

    Refuses (before any work) to replace a ``bureau`` or ``bureau.zip`` that this tool did
    not write (:func:`check_target`).
    """
    check_target(out_dir, lang=lang)
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


# --------------------------------------------------------------------------- the steps


def _prepare(source: Results | RunFolder, lang: str) -> tuple[dict[str, gpd.GeoDataFrame], Origin]:
    if isinstance(source, RunFolder):
        tables = run_tables(source, lang=lang)
    else:
        tables = bureau_tables(source, lang=lang)
    origin = origin_of(source, lang=lang)
    if not tables:
        raise BureauError(tr("bureau_source_missing", lang, path=origin.path or origin.name))
    return tables, origin


def _write(
    tables: Mapping[str, gpd.GeoDataFrame],
    origin: Origin,
    root: Path,
    *,
    crs: str,
    fmts: list[str],
    skipped: dict[str, str],
    lang: str,
    step: Callable[[str], None],
) -> _Draft:
    """Write every format and the field dictionary into ``root``; FileGDB is skipped with a
    note when GDAL fails to write it."""
    dictionary, unlisted = dictionary_with_problems(tables, lang=lang)
    draft = _Draft(list(fmts), dict(skipped), dictionary, field_codes(dictionary, tables))
    draft.warnings = list(origin.notes)
    if "sites" not in tables:
        draft.warnings.append(Problem("sites", tr("bureau_no_sites", lang)))
    draft.warnings += unlisted
    titles = field_titles(dictionary, tables, lang=lang)
    for fmt in fmts:
        step(f"{tr('bureau_step_write', lang)} {fmt}")
        try:
            out = fmt_mod.write_format(
                fmt, tables, root, crs=crs, codes=draft.codes, titles=titles, lang=lang
            )
        except Exception as err:  # noqa: BLE001 - GDAL's FileGDB writer failed
            if fmt != "gdb":
                raise
            shutil.rmtree(root / fmt, ignore_errors=True)
            draft.skipped["gdb"] = tr("bureau_gdb_failed", lang, error=str(err).splitlines()[0])
            log.warning("FileGDB skipped: %s", err)
            continue
        draft.written += out.written
        draft.warnings += out.problems
        draft.left_empty += out.left_empty
        draft.cut += out.cut
    draft.fmts = [f for f in fmts if f not in draft.skipped]
    if not draft.fmts:
        no_format = "; ".join(draft.skipped.values())
        raise BureauError(tr("bureau_no_format", lang, skipped=no_format))
    written = dictionary_file(dictionary, lang=lang)
    written.to_csv(root / DICTIONARY_FILES[0], index=False, encoding="utf-8-sig")
    written.to_excel(
        root / DICTIONARY_FILES[1], index=False, sheet_name="字段字典" if lang == "zh" else "Fields"
    )
    return draft


def _verify(draft: _Draft, tables: Mapping[str, Any], root: Path, lang: str) -> _Verified:
    """Read every written file back; raise :class:`BureauVerificationError` on a problem."""
    problems: list[Problem] = []
    verified = _Verified({layer: {} for layer in tables}, 0, 0.0)
    for item in draft.written:
        check = verify_written(item, root, lang=lang)
        problems += check.problems
        counts = verified.counts[item.layer]
        counts[item.fmt] = counts.get(item.fmt, 0) + check.features
        verified.sampled += check.sampled
        if np.isfinite(check.largest_error_m):
            verified.largest_error_m = max(verified.largest_error_m, check.largest_error_m)
    codes = draft.codes if "shp" in draft.fmts else {}
    problems += verify_dictionary(root, draft.dictionary, codes, lang=lang)
    if problems:
        raise BureauVerificationError(problems, lang=lang)
    return verified


# --------------------------------------------------------------------------- what it says


def _metadata(
    tables: Mapping[str, gpd.GeoDataFrame],
    origin: Origin,
    draft: _Draft,
    verified: _Verified,
    *,
    crs: str,
    asked: tuple[str, ...],
    exported_at: _dt.datetime,
    lang: str,
) -> dict[str, Any]:
    """The content of ``metadata.json`` (without ``files``, added once the README exists)."""
    return {
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
        "formats": {"asked": list(asked), "written": draft.fmts, "skipped": draft.skipped},
        "layers": {
            layer: {
                "features": len(gdf),
                "id_field": LAYERS[layer],
                "geometry": sorted(set(gdf.geom_type)),
                "counts": verified.counts[layer],
            }
            for layer, gdf in tables.items()
        },
        "verification": {
            "read_back": True,
            "tolerance_m": TOLERANCE_M,
            "sampled_coordinates": verified.sampled,
            "largest_error_m": round(verified.largest_error_m, 6),
        },
        "shapefile": (
            {
                "encoding": SHP_ENCODING,
                "text_max_bytes": SHP_TEXT_BYTES,
                "values_left_empty": draft.left_empty,
                "values_cut": draft.cut,
            }
            if "shp" in draft.fmts
            else None
        ),
        "field_dictionary": list(DICTIONARY_FILES),
        "warnings": [w.text(lang) for w in draft.warnings],
    }


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


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _finish(root: Path, metadata: dict[str, Any], lang: str) -> None:
    """Write ``README.txt``, then ``metadata.json`` with the size and SHA-256 of every file."""
    (root / "README.txt").write_text(_readme(metadata, lang), encoding="utf-8-sig", newline="")
    files = {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}
    metadata["files"] = [
        {"path": name, "bytes": p.stat().st_size, "sha256": _sha256(p)} for name, p in files.items()
    ]
    (root / "metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )


def _zip(folder: Path, path: Path, when: _dt.datetime) -> list[str]:
    """Zip ``folder`` as ``bureau/…`` with fixed times and modes; returns the names."""
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


# --------------------------------------------------------------------------- the package


def _timed(timings: dict[str, float], name: str, started: float) -> None:
    timings[name] = time.perf_counter() - started


def _build(
    source: Results | RunFolder,
    stage: Path,
    *,
    crs: str,
    asked: tuple[str, ...],
    fmts: list[str],
    skipped: dict[str, str],
    lang: str,
    step: Callable[[str], None],
    timings: dict[str, float],
) -> tuple[_Draft, _Verified, dict[str, Any]]:
    """Write, read back and check the package in ``stage``: ``bureau/`` and ``bureau.zip``."""
    t0 = time.perf_counter()
    step(tr("bureau_step_read", lang))
    tables, origin = _prepare(source, lang)
    working = source.working_crs if isinstance(source, RunFolder) else source.data.working_crs
    crs = resolve_crs(crs, tables, working_crs=working, lang=lang)  # "zone" → the county's own
    _timed(timings, "read", t0)

    t0 = time.perf_counter()
    root = stage / PACKAGE
    root.mkdir()
    draft = _write(tables, origin, root, crs=crs, fmts=fmts, skipped=skipped, lang=lang, step=step)
    _timed(timings, "write", t0)

    t0 = time.perf_counter()
    step(tr("bureau_step_verify", lang))
    verified = _verify(draft, tables, root, lang)
    _timed(timings, "verify", t0)

    exported_at = _dt.datetime.now().astimezone().replace(microsecond=0)
    metadata = _metadata(
        tables, origin, draft, verified, crs=crs, asked=asked, exported_at=exported_at, lang=lang
    )
    _finish(root, metadata, lang)

    t0 = time.perf_counter()
    step(tr("bureau_step_zip", lang))
    zip_path = stage / f"{PACKAGE}.zip"
    verify_zip(zip_path, root, _zip(root, zip_path, exported_at), lang=lang)
    _timed(timings, "zip", t0)
    return draft, verified, metadata


def _report(
    out_dir: Path,
    crs: str,
    draft: _Draft,
    verified: _Verified,
    metadata: dict[str, Any],
    timings: dict[str, float],
) -> BureauReport:
    """What was committed to ``out_dir``, logged and returned."""
    folder, zip_path = out_dir / PACKAGE, out_dir / f"{PACKAGE}.zip"
    sizes = {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"), key=lambda p: p.relative_to(folder).as_posix())
        if p.is_file()
    }
    log.info(
        "Wrote the bureau package (%s; %s) to %s: %s in %.1f s",
        crs,
        ", ".join(draft.fmts),
        folder,
        ", ".join(f"{k} {v['features']}" for k, v in metadata["layers"].items()),
        timings["total"],
    )
    return BureauReport(
        folder=folder,
        zip_path=zip_path,
        crs=crs,
        formats=tuple(draft.fmts),
        skipped=draft.skipped,
        counts=verified.counts,
        warnings=draft.warnings,
        files=sizes,
        metadata=metadata,
        timings=timings,
    )


def export_bureau(
    source: Results | RunFolder,
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
    source : Results or RunFolder
        A run's results (:func:`gis_planner.pipeline.run`, layers in EPSG:4549), or a run
        folder read back with :func:`gis_planner.io.runfolder.read_run` (coordinates to
        about 1 cm, figures rounded as in the run: noted in the package).
    out_dir : path
        Folder receiving ``bureau/`` and ``bureau.zip`` (created if needed).
    crs : str or int
        ``EPSG:4490`` CGCS2000 geographic (default); ``zone``, the county's own 3-degree
        Gauss-Kruger zone (the run's working CRS), or ``zone-prefixed``, the same with the zone
        number in the easting; or a CGCS2000 Gauss-Kruger code (EPSG:4491–4554) — refused when
        its central meridian is far from the data (see
        :func:`~gis_planner.render.bureau.options.resolve_crs`). GeoJSON in this CRS states it;
        a WGS84 RFC 7946 copy is added.
    formats : iterable of {"geojson", "shp", "gpkg", "gdb"}
        Default all; ``gdb`` is skipped with a note when GDAL cannot write FileGDB.
    lang : {"zh", "en"}
        Language of README.txt, the dictionary's ``meaning``, messages, values that are
        messages (warnings, reasons, notes) and list separators.
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
        The zone asked lies far from the data (nothing is written); the output folder is not
        writable (named in the message), or holds a ``bureau`` or
        ``bureau.zip`` this tool did not write; ``source`` has no layer to export.
    BureauVerificationError
        A file did not read back as written: counts, ids, CRS, coordinates (> 1 mm), text or
        numbers differ. The previous package is left intact.
    TypeError
        ``source`` is a path: read a run folder with ``read_run``, or run the pipeline on a
        layers folder, first.
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

    fmts, skipped = fmt_mod.writable_formats(asked, lang=lang)
    if isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"export_bureau renders results, not a folder ({source}): pass "
            "gis_planner.pipeline.run(load_layers(folder)) or "
            "gis_planner.io.runfolder.read_run(folder)"
        )
    with _staged_package(out_dir, lang) as stage:
        draft, verified, metadata = _build(
            source,
            stage,
            crs=crs,
            asked=asked,
            fmts=fmts,
            skipped=skipped,
            lang=lang,
            step=step,
            timings=timings,
        )
    timings["total"] = time.perf_counter() - started
    return _report(out_dir, metadata["crs"]["code"], draft, verified, metadata, timings)
