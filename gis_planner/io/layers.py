"""Read, validate and normalise a layers folder into one :class:`PlanningData` (one CRS).

:func:`load_layers` composes the steps, each in its module: ``planner.yaml`` and the rules it
names (:mod:`~gis_planner.io.config`); finding every file and looking at it with ``stat``
before any is read, against the rules file's ``limits`` (:mod:`~gis_planner.io.files`);
reading each layer and settling its CRS and datum (:mod:`~gis_planner.io.vector`); renaming
and checking its fields (:mod:`~gis_planner.io.fields`), geometries, ids and the layers
against each other (:mod:`~gis_planner.io.validate`); the households table
(:mod:`~gis_planner.io.tables`) and the population raster (:mod:`~gis_planner.io.raster`).

*Every* problem of every layer is collected before one
:class:`~gis_planner.errors.InputError` is raised; problems and warnings are messages
(codes and parameters), worded only when shown. Nothing is dropped or changed without one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from gis_planner import crs as crs_mod
from gis_planner.errors import InputError, Problem, ProblemList, format_rows
from gis_planner.i18n import msg
from gis_planner.io import config as config_mod
from gis_planner.io import schema
from gis_planner.io.config import CONFIG_FILE, read_config, rules_paths
from gis_planner.io.fields import LATEST_PLAN_YEAR, coerce, rename_fields, row_ids, strip_control
from gis_planner.io.files import check_inputs, find_file, layer_source, sha256, unused_files
from gis_planner.io.raster import check_raster
from gis_planner.io.tables import TABLE_NAMES, apply_households_table, read_households_table
from gis_planner.io.validate import (
    check_area,
    check_far_away,
    check_geometry,
    check_ids,
    check_overlaps,
    check_premises_communities,
    check_text,
    geojson_suspects,
    nonfinite,
    report_suspects,
    suspect_columns,
)
from gis_planner.io.vector import UNBUILDABLE, WorkingCrs, check_crs, read_vector
from gis_planner.rules import RuleSet, load_rules

__all__ = ["LATEST_PLAN_YEAR", "PlanningData", "SourceInfo", "load_layers"]

log = logging.getLogger(__name__)


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
    ``warnings`` are :class:`~gis_planner.errors.Problem` with messages (codes).
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
    #: ``estate_id`` → ``community_id``: estates given wholly to a community whatever their
    #: geometry — a planning decision (a scenario's moved estate), an input of the pipeline
    #: (:func:`gis_planner.households.allocate_households`); empty: every estate by area
    estate_assignments: Mapping[str, str] = field(default_factory=dict)

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


# --------------------------------------------------------------------------- one layer


@dataclass
class _LayerSettings:
    """What every layer of one load is checked against."""

    earliest_year: int
    plausibility: dict[str, Any]
    working: WorkingCrs
    max_text_chars: int | None = None  # limits.max_text_chars


def _read_layer(
    path: Path, spec: schema.LayerSpec, entry: dict[str, Any], source: str, problems: ProblemList
) -> tuple[gpd.GeoDataFrame, pd.Series, str, crs_mod.DatumShift | None] | None:
    """The layer read, with its CRS settled and its datum shifted to CGCS2000, the rows with
    NaN coordinates (their geometry removed, reported later), the CRS the file stated and the
    datum shift; ``None`` when it cannot be used (or is an empty optional layer)."""
    gdf = read_vector(path, {**entry, "_name": spec.name}, source, problems)
    if gdf is None:
        return None
    if len(gdf) == 0:
        if not spec.required:  # an optional layer with no features: as if it were absent
            problems.warn(source, msg("empty_layer_absent", layer=spec.name))
            return None
        problems.error(source, msg("empty_layer"))
        return None
    report_suspects(geojson_suspects(path, spec, entry), source, problems)
    bad_coordinates = nonfinite(gdf)
    unbuildable = gdf.attrs.pop(UNBUILDABLE, None)
    if unbuildable is not None:  # a NaN closing vertex: no ring, so no geometry to look at
        bad_coordinates |= pd.Series(unbuildable, index=gdf.index)
    if bad_coordinates.any():  # reported with the rows later; no CRS check can place them
        gdf = gdf.copy()
        gdf.loc[bad_coordinates, gdf.geometry.name] = None
    stated = crs_mod.crs_name(gdf.crs) if gdf.crs is not None else f"{entry.get('crs')} (declared)"
    crs_entry = {**entry, "_path": path}  # check_crs notes the datum shift in it
    gdf = check_crs(gdf, spec.name, crs_entry, source, problems)
    if gdf is None:
        return None
    return gdf, bad_coordinates, stated, crs_entry.get("_datum_shift")


def _validate_layer(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
    *,
    bad_coordinates: pd.Series,
    settings: _LayerSettings,
    filled_later: tuple[str, ...],
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """The layer with the contract's field names and values, its ids and geometries checked
    (invalid ones repaired); and its row labels for messages."""
    gdf = rename_fields(gdf, spec, entry, source, problems)
    suspect = suspect_columns(gdf)  # one scan of each text column for both checks below
    gdf, controlled = strip_control(gdf, suspect)
    rows = row_ids(gdf, spec)
    for column, hit in controlled.items():
        problems.warn(source, msg("control_chars", field=column, rows=format_rows(rows[hit])))
    gdf = check_text(gdf, rows, source, problems, max_chars=settings.max_text_chars, scan=suspect)
    gdf = coerce(
        gdf,
        spec,
        rows,
        source,
        problems,
        earliest_year=settings.earliest_year,
        filled_later=filled_later,
        plausibility=settings.plausibility,
    )
    check_ids(gdf, spec, source, problems)
    gdf = check_geometry(
        gdf,
        spec,
        rows,
        source,
        problems,
        nonfinite=bad_coordinates.reindex(gdf.index, fill_value=False),
    )
    return gdf, rows


def _load_layer(
    spec: schema.LayerSpec,
    entry: dict[str, Any],
    path: Path | None,
    problems: ProblemList,
    *,
    settings: _LayerSettings,
    filled_later: tuple[str, ...] = (),
    digest: Future[str] | None = None,
) -> tuple[gpd.GeoDataFrame | None, SourceInfo | None]:
    """Read, check and convert one layer from ``path`` (found by
    :func:`~gis_planner.io.files.find_file` and checked by
    :func:`~gis_planner.io.files.check_inputs` before any layer is read) to the working CRS.
    ``digest``: the file's :func:`~gis_planner.io.files.sha256`, being computed meanwhile."""
    if path is None:
        if spec.required and not entry.get("file"):
            names = ", ".join(f"{spec.name}{e}" for e in (".gpkg", ".geojson", ".shp"))
            problems.error(
                spec.name, msg("layer_missing", layer=spec.name, alias=spec.alias_zh, names=names)
            )
        return None, None
    source = layer_source(path, entry)
    before = len(problems.errors)
    read = _read_layer(path, spec, entry, source, problems)
    if read is None:
        return None, None
    gdf, bad_coordinates, stated, shift = read
    gdf, rows = _validate_layer(
        gdf,
        spec,
        entry,
        source,
        problems,
        bad_coordinates=bad_coordinates,
        settings=settings,
        filled_later=filled_later,
    )
    if len(problems.errors) > before:
        return None, None
    working_crs = settings.working.for_layer(gdf, source, problems)
    if working_crs is None:
        return None, None
    gdf = gdf.to_crs(working_crs)
    if not check_area(gdf, spec, rows, source, problems, settings.plausibility):
        return None, None
    gdf = gdf.reset_index(drop=True)
    hashed = sha256(path) if digest is None else digest.result()
    info = SourceInfo(spec.name, str(path), hashed, stated, len(gdf), datum_shift=shift)
    log.info(
        "Read %s: %d features from %s (%s → %s)",
        spec.name,
        len(gdf),
        path.name,
        stated,
        working_crs,
    )
    return gdf, info


# --------------------------------------------------------------------------- the folder


def _find_inputs(
    folder: Path, entries: dict[str, Any], problems: ProblemList
) -> dict[str, Path | None]:
    """The file of every input: the vector layers (in :data:`schema.VECTOR_LAYERS` order),
    the households table and the population raster (``None`` where absent)."""
    table = find_file(
        folder,
        *TABLE_NAMES,
        schema.TABLE_EXTENSIONS,
        dict(entries.get(schema.HOUSEHOLDS_TABLE) or {}),
        problems,
    )
    raster = find_file(
        folder,
        "population",
        "人口",
        schema.RASTER_EXTENSIONS,
        dict(entries.get("population") or {}),
        problems,
    )
    vectors = {
        name: find_file(
            folder,
            name,
            spec.alias_zh,
            schema.VECTOR_EXTENSIONS,
            dict(entries.get(name) or {}),
            problems,
        )
        for name, spec in schema.VECTOR_LAYERS.items()
    }
    return {**vectors, schema.HOUSEHOLDS_TABLE: table, "population": raster}


def _load_vectors(
    inputs: dict[str, Path | None],
    entries: dict[str, Any],
    refused: set[str],
    problems: ProblemList,
    settings: _LayerSettings,
) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, SourceInfo]]:
    """Every vector layer not refused, read and checked: layers and their sources."""
    data: dict[str, gpd.GeoDataFrame] = {}
    sources: dict[str, SourceInfo] = {}
    # estates' households may come from the households table or the population raster
    counts_elsewhere = any(
        inputs[n] is not None and n not in refused for n in (schema.HOUSEHOLDS_TABLE, "population")
    )
    # each file's SHA-256 (its SourceInfo) is read and hashed in a thread while the layers
    # are read and checked: the file reads and hashlib release the GIL, so at province size
    # the 20 ms of hashing take no time of their own (nothing in the thread touches pandas,
    # GEOS or the warnings filters)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digests = {
            name: pool.submit(sha256, path)
            for name in schema.VECTOR_LAYERS
            if name not in refused and (path := inputs[name]) is not None
        }
        for name, spec in schema.VECTOR_LAYERS.items():
            if name in refused:
                continue
            later = ("households",) if name == "estates" and counts_elsewhere else ()
            gdf, info = _load_layer(
                spec,
                dict(entries.get(name) or {}),
                inputs[name],
                problems,
                settings=settings,
                filled_later=later,
                digest=digests.get(name),
            )
            if gdf is not None and info is not None:
                data[name] = gdf
                sources[name] = info
    return data, sources


def _check_across(
    data: dict[str, gpd.GeoDataFrame], sources: dict[str, SourceInfo], problems: ProblemList
) -> None:
    """Checks of the layers against each other: far from the communities, overlapping
    communities, premises naming no community."""
    files = {name: Path(info.file).name for name, info in sources.items()}
    check_far_away(data, files, problems)
    communities, premises = data.get("communities"), data.get("premises")
    if communities is not None:
        check_overlaps(communities, files["communities"], problems)
    if communities is not None and premises is not None:
        check_premises_communities(communities, premises, files["premises"], problems)


def _limit(rules: RuleSet, key: str) -> int | None:
    """``limits.<key>`` of the rules, ``None`` when the rules have none."""
    value = rules.limits.to_dict().get(key) if "limits" in rules else None
    return int(value) if value else None


def _households_table(
    data: dict[str, gpd.GeoDataFrame],
    sources: dict[str, SourceInfo],
    table_path: Path | None,
    entry: dict[str, Any],
    *,
    raster: Path | None,
    rules: RuleSet,
    problems: ProblemList,
) -> None:
    """Read the households table and apply it to the estates (in ``data``, its source in
    ``sources``); estates still without a count, with no raster to estimate them, are an
    error (``table_missing_count``)."""
    plausibility = rules.plausibility.to_dict() if "plausibility" in rules else {}
    table, table_path = read_households_table(
        table_path,
        entry,
        problems,
        plausibility=plausibility,
        max_rows=int(rules.limits.max_features_per_layer) if "limits" in rules else None,
        max_text_chars=_limit(rules, "max_text_chars"),
    )
    estates, communities = data.get("estates"), data.get("communities")
    if (
        estates is not None
        and table is not None
        and table_path is not None
        and communities is not None
    ):
        estates = apply_households_table(estates, table, table_path, communities, problems)
        data["estates"] = estates
        sources["households"] = SourceInfo(
            "households", str(table_path), sha256(table_path), "—", len(table)
        )
    if estates is not None and raster is None and "households" in estates:
        missing = estates["households"].isna()
        if missing.any() and table is not None:
            problems.error(
                Path(sources["estates"].file).name,
                msg("table_missing_count", rows=format_rows(estates.loc[missing, "estate_id"])),
            )


def _check_household_source(
    data: dict[str, gpd.GeoDataFrame],
    sources: dict[str, SourceInfo],
    problems: ProblemList,
    *,
    absent: bool,
    required: bool,
    hint: list[str] | None = None,
) -> None:
    """Without estates (no layer, or an empty one), the households come from the communities'
    ``households`` field: a run with neither would count zero households everywhere
    (``no_household_source``), and so would a community left blank
    (``community_households_blank``). Errors when ``required`` (the command line), else
    warnings in the data's and the run's warnings: made-up zeros, never silently."""
    report = problems.error if required else problems.warn
    communities, estates = data.get("communities"), data.get("estates")
    empty = any(
        w.code == "empty_layer_absent"
        and getattr(w.message, "values", {}).get("layer") == "estates"
        for w in problems.warnings
    )
    if communities is None or estates is not None or not (absent or empty):
        return  # estates read (or refused: that is reported already)
    source = Path(sources["communities"].file).name if "communities" in sources else "communities"
    given = communities.get("households")
    blank = (
        pd.Series(True, index=communities.index)
        if given is None
        else pd.to_numeric(given, errors="coerce").isna()
    )
    more = msg("no_estates_hint", files=", ".join(hint)) if hint else ""
    if blank.all():
        state = msg("estates_absent" if absent else "estates_empty")
        report(source, msg("no_household_source", estates=state, hint=more))
    elif blank.any():
        rows = format_rows(communities.loc[blank, "community_id"].astype(str))
        report(source, msg("community_households_blank", rows=rows))


def load_layers(
    folder: str | Path,
    *,
    rules: RuleSet | str | Path | None = None,
    require_households: bool = False,
) -> PlanningData:
    """Read and validate a layers folder.

    Parameters
    ----------
    folder : path
        A folder holding the layers (DESIGN.md) and optionally ``planner.yaml``.
    rules : RuleSet or path, optional
        Rules to use; a path is a rules file overriding the default. When omitted, the
        ``rules`` entry of ``planner.yaml`` (relative to the folder) or the default rules.
    require_households : bool
        Refuse a folder with no source of households — no (or an empty) estates layer and no
        ``households`` in the communities (``no_household_source``), or communities left
        blank (``community_households_blank``) — whose analyses would run on zeros. The
        command line (``run``, ``check``, ``export``) sets it; by default these are warnings
        (``data.warnings``), so that a folder of communities alone can be loaded to look at.

    Returns
    -------
    PlanningData
        Every layer in the working CRS (the communities' CGCS2000 3-degree zone, EPSG:4549 for
        Deqing, or ``working_crs`` of planner.yaml) with the contract's field names and
        values, plus warnings (messages: ``w.code``, ``w.text(lang)``).

    Raises
    ------
    InputError
        With every problem of every layer, when any layer cannot be used (``err.codes``,
        ``err.text(lang)``).
    """
    folder = Path(folder)
    problems = ProblemList()
    if not folder.is_dir():
        raise InputError([Problem(str(folder), msg("folder_missing", path=folder))])
    config = read_config(folder, problems)
    rule_set = config_mod.rule_set(folder, rules, config, problems)
    entries = config.get("layers", {})
    working = WorkingCrs.from_config(config, problems)
    inputs = _find_inputs(folder, entries, problems)
    # before anything is read: what every file is, its size and its feature count
    refused = check_inputs(folder, inputs, entries, rule_set, problems)
    used = [*inputs.values(), folder / CONFIG_FILE, *rules_paths(folder, config)]
    missing = {n for n, s in schema.VECTOR_LAYERS.items() if s.required and inputs[n] is None}
    meant = unused_files(folder, [p for p in used if p], problems, missing)
    plausibility = rule_set.plausibility.to_dict() if "plausibility" in rule_set else {}
    limits = rule_set.limits.to_dict() if "limits" in rule_set else {}
    max_text = limits.get("max_text_chars")
    settings = _LayerSettings(
        int(rule_set.enclosure.earliest_plausible_year),
        plausibility,
        working,
        max_text_chars=int(max_text) if max_text else None,
    )
    data, sources = _load_vectors(inputs, entries, refused, problems, settings)
    if inputs["estates"] is None:
        hint = meant.get("estates")
        problems.warn(
            "estates",
            msg(
                "no_estates_layer",
                hint=msg("no_estates_hint", files=", ".join(hint)) if hint else "",
            ),
        )
    _check_household_source(
        data,
        sources,
        problems,
        absent=inputs["estates"] is None,
        required=require_households,
        hint=meant.get("estates"),
    )
    _check_across(data, sources, problems)
    raster = None if "population" in refused else inputs["population"]
    if raster is not None:
        max_cells = limits.get("max_population_raster_cells")
        check_raster(raster, problems, max_cells=int(max_cells) if max_cells else None)
    table = None if schema.HOUSEHOLDS_TABLE in refused else inputs[schema.HOUSEHOLDS_TABLE]
    table_entry = dict(entries.get(schema.HOUSEHOLDS_TABLE) or {})
    _households_table(
        data, sources, table, table_entry, raster=raster, rules=rule_set, problems=problems
    )
    household_size = config_mod.household_size(config, rule_set, problems)
    problems.raise_if_any(header=msg("invalid_input_header", n=len(problems.errors)))
    return PlanningData(
        **data,
        population_raster=raster,
        rules=rule_set,
        household_size=household_size,
        warnings=list(problems.warnings),
        sources=sources,
        folder=folder,
        name=str(config.get("name", folder.name)),
        data_note=config_mod.data_note(config),
        working_crs_setting=working.setting,
    )
