"""Reading a run folder back: the layers a run wrote, and what produced them.

A run (``gis-planner run``) writes its layers with every computed figure as RFC 7946 GeoJSON
(:mod:`gis_planner.render.runfolder`) and, in the 设置 / Settings sheet of ``report.xlsx``, the
rules, the working CRS and the source layers that produced them. :func:`read_run` reads both
back into a :class:`RunFolder`, so that an export can render a run without running it again.
Nothing here words anything or writes anything.

A run folder whose last write was interrupted (a commit journal ``.gis-planner-commit.json``
left behind) must be rolled back before it is read: ``gis_planner.render.atomic.settle`` does
it, and the command line calls it before :func:`read_run`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import pyogrio

from gis_planner.errors import InputError, Problem
from gis_planner.i18n import msg

log = logging.getLogger(__name__)

#: the file of each layer a run writes, in the order of the run's outputs
RUN_LAYER_FILES = MappingProxyType(
    {
        "communities": "communities.geojson",
        "estates": "estates.geojson",
        "premises": "premises.geojson",
        "sites": "proposed_sites.geojson",
        "proposed": "proposed_communities.geojson",
    }
)
#: the CRS of every layer of a run folder
RUN_CRS = "EPSG:4326 (RFC 7946)"
#: fields only a run writes: a ``communities.geojson`` with them is a run's, not an input layer
COMPUTED_FIELDS = frozenset({"required_area_m2", "premises_status"})
REPORT_FILE = "report.xlsx"
#: the settings sheet of the report, by the language of the run
SETTINGS_SHEETS = ("设置", "Settings")
#: the header of the settings sheet's machine-key column (third column), in either language
SETTINGS_KEY_HEADERS = ("键（程序读取用）", "Key (read by the program)")


@dataclass(frozen=True)
class RunFile:
    """One layer file of a run folder, as read.

    Attributes
    ----------
    layer : str
        ``communities``, ``estates``, ``premises``, ``sites`` or ``proposed`` (the R7 proposed
        communities).
    file : str
        The file name in the run folder (``proposed_sites.geojson`` for ``sites``).
    sha256 : str
        Checksum of the file's bytes.
    features : int
        Features read.
    crs : str
        :data:`RUN_CRS`.
    """

    layer: str
    file: str
    sha256: str
    features: int
    crs: str = RUN_CRS


@dataclass(frozen=True)
class SourceLayer:
    """A layer of the layers folder the run read, as the run's report records it.

    Attributes
    ----------
    layer : str
        The layer (``communities`` …, or ``households`` for the households table).
    file : str
        Its file name.
    sha256, crs : str or None
        Checksum and CRS of the file, when recorded.
    description : str
        The whole record: ``communities.gpkg; EPSG:4549; 22 features; sha256 …``.
    transformation : str or None
        How a legacy or local datum was brought to CGCS2000, when it was.
    """

    layer: str
    file: str
    sha256: str | None
    crs: str | None
    description: str
    transformation: str | None = None


@dataclass(frozen=True)
class RunFolder:
    """A run folder read back (:func:`read_run`): its layers and their provenance.

    Attributes
    ----------
    folder : Path
        The run folder.
    layers : mapping of str to GeoDataFrame
        The layers found (of :data:`RUN_LAYER_FILES`, empty ones included) as written:
        EPSG:4326, figures rounded as in the run, list-valued fields joined to text.
    files : tuple of RunFile
        The files read, with their checksums.
    settings : mapping of str to str, or None
        The settings sheet of ``report.xlsx`` (key → value as text); ``None`` when the report
        is missing or cannot be read — then every field below is unknown.
    rules_version, rules_sha256 : str or None
        The version and checksum of the rules the run used.
    rules_files : tuple of str
        The rules files, in the order they were applied.
    sources : tuple of SourceLayer
        The input layers the run read.
    working_crs : str or None
        The CRS the run computed in (``EPSG:4549``).
    data_note : str or None
        The note on the data (e.g. synthetic demo data), in the run's language.
    lang : str or None
        The language of the run's report.
    """

    folder: Path
    layers: Mapping[str, gpd.GeoDataFrame]
    files: tuple[RunFile, ...] = ()
    settings: Mapping[str, str] | None = None
    rules_version: str | None = None
    rules_sha256: str | None = None
    rules_files: tuple[str, ...] = ()
    sources: tuple[SourceLayer, ...] = ()
    working_crs: str | None = None
    data_note: str | None = None
    lang: str | None = None

    @property
    def name(self) -> str:
        """The run folder's name."""
        return self.folder.name


def is_run_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run's outputs (``communities.geojson`` with computed figures).

    A layers folder may hold a ``communities.geojson`` too: it is a run folder only when that
    file carries the computed fields (:data:`COMPUTED_FIELDS`).
    """
    path = Path(folder) / RUN_LAYER_FILES["communities"]
    if not path.is_file():
        return False
    try:
        fields = set(pyogrio.read_info(path)["fields"])
    except Exception:  # noqa: BLE001 - unreadable: let the layers reader report it
        return False
    return COMPUTED_FIELDS <= fields


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def read_settings(folder: str | Path) -> dict[str, str] | None:
    """The settings sheet (设置 / Settings) of the run's ``report.xlsx``: key → value as text.

    ``None`` when the report is missing, has no settings sheet or cannot be read (a damaged
    report only loses the provenance of the figures, never the figures).
    """
    path = Path(folder) / REPORT_FILE
    if not path.is_file():
        return None
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        sheet = next((book[n] for n in SETTINGS_SHEETS if n in book.sheetnames), None)
        if sheet is None:
            return None
        rows = list(sheet.iter_rows(max_col=3, values_only=True))
        book.close()
        # since 13.5 the sheet reads (setting worded, value, machine key); before, (key, value)
        header: tuple[object, ...] = rows[0] if rows else ()
        key_column = 2 if len(header) > 2 and header[2] in SETTINGS_KEY_HEADERS else 0
        return {
            str(row[key_column]): "" if row[1] is None else str(row[1])
            for row in rows[1:]
            if len(row) > key_column and row[key_column] is not None
        }
    except Exception:  # noqa: BLE001 - a damaged report only loses the rules' provenance
        return None


def _sources(settings: Mapping[str, str]) -> tuple[SourceLayer, ...]:
    """``source.<layer>`` records (``file; crs; n features; sha256 …``) and their
    ``source.<layer>.transformation``."""
    layers: list[SourceLayer] = []
    for key, value in settings.items():
        if not key.startswith("source.") or key.endswith(".transformation"):
            continue
        name = key.removeprefix("source.")
        parts = [p.strip() for p in value.split(";")]
        sha = next((p.split()[-1] for p in parts if p.startswith("sha256")), None)
        layers.append(
            SourceLayer(
                layer=name,
                file=parts[0],
                sha256=sha,
                crs=parts[1] if len(parts) > 1 else None,
                description=value,
                transformation=settings.get(f"source.{name}.transformation") or None,
            )
        )
    return tuple(layers)


def read_run(folder: str | Path) -> RunFolder:
    """Read a run folder back: its layers (:data:`RUN_LAYER_FILES`) and their provenance.

    Parameters
    ----------
    folder : path
        A folder written by ``gis-planner run`` (:func:`is_run_folder`). Layers it lacks are
        left out; a folder without any gives a :class:`RunFolder` with no layers.

    Returns
    -------
    RunFolder
        Layers in EPSG:4326 as written (RFC 7946: 7 decimals, about 1 cm; figures rounded as
        in the run), the checksum of every file read, and the provenance recorded in the
        settings sheet of ``report.xlsx`` (unknown when the report is missing or damaged).

    Raises
    ------
    InputError
        When ``folder`` does not exist (code ``folder_missing``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), msg("folder_missing", path=folder))])
    layers: dict[str, gpd.GeoDataFrame] = {}
    files: list[RunFile] = []
    for layer, name in RUN_LAYER_FILES.items():
        path = folder / name
        if not path.is_file():
            continue
        layers[layer] = pyogrio.read_dataframe(path)
        files.append(RunFile(layer, name, _sha256(path), len(layers[layer])))
    settings = read_settings(folder)
    log.info(
        "Read the run folder %s: %s; report settings %s",
        folder,
        ", ".join(f"{f.layer} {f.features}" for f in files) or "no layers",
        "found" if settings is not None else "missing",
    )
    run = RunFolder(folder=folder, layers=MappingProxyType(layers), files=tuple(files))
    if settings is None:
        return run
    working = settings.get("working_crs", "").split()  # "EPSG:4549 (auto)"
    return dataclasses.replace(
        run,
        settings=MappingProxyType(settings),
        rules_version=settings.get("rules_version"),
        rules_sha256=settings.get("rules_sha256"),
        rules_files=tuple(f for f in settings.get("rules_files", "").split(" + ") if f),
        sources=_sources(settings),
        working_crs=working[0] if working else None,
        data_note=settings.get("data_note") or None,
        lang=settings.get("lang") or None,
    )
