"""What-if scenarios for the 2017–2035 layout plan revision (R7 一(一), R1/R2 一(二)).

A :class:`Scenario` wraps the validated layers of a planning area (a
:class:`~gis_planner.io.layers.PlanningData`) and the rules. Every edit — a development parcel,
premises built, resized or given up, an estate moved to the neighbouring community,
communities merged or split, a rule changed — returns a *new* scenario with copied layers and
one more line in its edit log; nothing is ever written back to the layers folder.
:meth:`Scenario.evaluate` runs every analysis for a plan year, :func:`compare` puts two or more
scenarios side by side per community, :func:`dual_map` shows two of them on synchronised maps
(offline, like the one-map) and :meth:`Scenario.export` writes a scenario's results like a run.

Examples
--------
>>> from gis_planner.scenario.edits import Scenario, compare           # doctest: +SKIP
>>> base = Scenario.load("layers/deqing_demo", year=2035)         # doctest: +SKIP
>>> plan = base.named("新丰社区新建用房").add_premises(
...     "YF101", community_id="330521001011", function="党群服务中心", floor_area_m2=2200)
...                                                               # doctest: +SKIP
>>> compare([base, plan])                                        # doctest: +SKIP
>>> plan.export("outputs/plan")                                  # doctest: +SKIP

Scenario files
--------------
The same edits in YAML (:meth:`Scenario.from_file`, ``gis-planner run --scenario FILE``)::

    name: 2035 方案A
    base: ../layers/deqing_demo        # optional; relative to this file
    year: 2035                         # optional plan year
    rules:                             # optional overrides of the rules file
      premises: {standards: {new: {per_100_households_m2: 85}}}
    edits:
      - add_parcel: {parcel_id: P09, xy: [497500, 3379500], planned_households: 600,
                     delivery_year: 2030}
      - add_premises: {premises_id: YF101, community_id: "330521001011",
                       function: party_service_centre, floor_area_m2: 2200}
      - move_estate: {estate_id: E0123, to_community_id: "330521001013"}
      - set_rule: {key: settings.data_year, value: 2026}

Each edit is a one-key mapping: the method name and its keyword arguments. Coordinates
(``xy``, ``geometry`` as WKT, ``line``) are in the working CRS EPSG:4549 (metres);
``lonlat`` / ``line_lonlat`` take WGS84 longitude/latitude. An unknown key, edit or
argument is an error that lists the valid ones, and so is an id that does not exist.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import difflib
import inspect
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import yaml
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry.base import BaseGeometry

from gis_planner.crs import WORKING_CRS
from gis_planner.errors import PlannerError, Problem, format_rows
from gis_planner.i18n import label, tr, value_label
from gis_planner.io import schema
from gis_planner.io.layers import PlanningData, load_layers
from gis_planner.pipeline import check_plan_year, run
from gis_planner.render.escape import html_text, js_string
from gis_planner.results import Results
from gis_planner.rules import RuleSet, read_yaml

log = logging.getLogger(__name__)

#: The top-level keys of a scenario file.
FILE_KEYS = ("name", "description", "base", "year", "rules", "edits")
#: The edits a scenario file may list (each one a method of :class:`Scenario`).
EDITS = (
    "add_parcel",
    "update_parcel",
    "remove_parcel",
    "add_premises",
    "remove_premises",
    "resize_premises",
    "move_estate",
    "merge_communities",
    "split_community",
    "set_rule",
    "with_rules",
)
#: Side of a square parcel placed by its centre (``xy``/``lonlat``), metres.
DEFAULT_PARCEL_SIZE_M = 100.0
#: How many existing ids an error message lists.
LIST_LIMIT = 25


class ScenarioError(PlannerError):
    """An edit or a scenario file that cannot be applied: the message lists what exists."""


# --------------------------------------------------------------------------- helpers


def _ids_text(existing: Iterable[object], wanted: object = None) -> str:
    """``E0001, E0002, … (+343)`` plus the closest ids to ``wanted``."""
    ids = [str(i) for i in existing]
    text = format_rows(ids, limit=LIST_LIMIT) or "—"
    if wanted is not None:
        close = difflib.get_close_matches(str(wanted), ids, n=3, cutoff=0.6)
        if close:
            text += f" (≈ {', '.join(close)})"
    return text


def _plain(value: Any) -> Any:
    """``value`` as YAML-friendly plain data (numpy scalars, tuples, geometries)."""
    if isinstance(value, BaseGeometry):
        return shapely.to_wkt(value, rounding_precision=3)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def _to_working(geom: BaseGeometry, crs: str, working: Any = WORKING_CRS) -> BaseGeometry:
    """``geom`` from ``crs`` into the layers' working CRS ``working``."""
    transformer = pyproj.Transformer.from_crs(crs, working, always_xy=True)
    return shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


def _nested(key: str, value: Any) -> dict[str, Any]:
    """``"a.b.c", 1`` → ``{"a": {"b": {"c": 1}}}``."""
    out: Any = value
    for part in reversed(key.split(".")):
        out = {part: out}
    return out


def _enum_value(spec: schema.LayerSpec, name: str, value: Any, lang: str) -> str:
    """An enumeration value, Chinese accepted; unknown → :class:`ScenarioError`."""
    f = spec.field(name)
    if value in f.choices:
        return str(value)
    if value in f.values:
        return f.values[value]
    zh_for: dict[str, str] = {}
    for zh, en in f.values.items():
        zh_for.setdefault(en, zh)
    valid = ", ".join(f"{c}/{zh_for[c]}" if c in zh_for else c for c in f.choices)
    raise ScenarioError(tr("scn_bad_value", lang, field=name, value=value, valid=valid))


# --------------------------------------------------------------------------- the scenario


@dataclass(frozen=True, eq=False)
class Scenario:
    """A planning area with edits, immutable: every edit returns a new scenario.

    Attributes
    ----------
    data : PlanningData
        The layers (EPSG:4549) and rules of this scenario. Treat them as read-only: edits
        copy the layers they change and leave every other scenario — and the files on disk —
        untouched.
    name : str
        Shown in :func:`compare`, on the maps and in the exported report.
    year : int or None
        Default plan year of :meth:`evaluate` (``None``: the current check).
    edits : tuple of dict
        The edit log, in scenario-file form (``{"add_parcel": {...}}``).
    base : Path or None
        The layers folder the scenario was loaded from.
    lang : {"zh", "en"}
        Language of messages and (by default) of results.
    """

    data: PlanningData
    name: str = "base"
    year: int | None = None
    edits: tuple[dict[str, Any], ...] = ()
    base: Path | None = None
    lang: str = "zh"
    description: str | None = None
    notes: tuple[Problem, ...] = ()
    _cache: dict[int | None, Results] = field(default_factory=dict, compare=False, repr=False)

    # ---------------------------------------------------------------- loading, saving

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        rules: RuleSet | str | Path | None = None,
        name: str | None = None,
        year: int | None = None,
        lang: str = "zh",
    ) -> Scenario:
        """Load a layers folder (:func:`gis_planner.io.layers.load_layers`) as a scenario.

        Parameters
        ----------
        folder : path
            The layers folder (DESIGN.md). It is only read.
        rules : RuleSet or path, optional
            Rules, or a rules file overriding the default; else the folder's own.
        name : str, optional
            Default: ``"现状"`` (``"current"`` in English), or ``"<year>"`` with a year.
        year : int, optional
            Default plan year of :meth:`evaluate`; checked against the data year.
        lang : {"zh", "en"}
        """
        data = load_layers(folder, rules=rules)
        if year is not None:
            check_plan_year(year, rules=data.rules)
        if name is None:
            name = tr("scn_default_name", lang) if year is None else str(year)
        return cls(data=data, name=name, year=year, base=Path(folder), lang=lang)

    @classmethod
    def from_dict(
        cls,
        spec: Mapping[str, Any],
        *,
        base: str | Path | None = None,
        rules: RuleSet | str | Path | None = None,
        year: int | None = None,
        lang: str = "zh",
        source: str = "scenario",
        relative_to: Path | None = None,
    ) -> Scenario:
        """A scenario from the content of a scenario file (see the module docstring).

        ``base``/``year`` given here win over the file's (a warning notes a different base).
        """
        problems = _check_spec(spec, lang)
        if problems:
            raise ScenarioError(
                tr("scn_file_problems", lang, source=source, n=len(problems))
                + "\n"
                + "\n".join(f"- {p}" for p in problems)
            )
        notes: list[Problem] = []
        folder = Path(base) if base is not None else None
        if spec.get("base") is not None:
            from_file = Path(str(spec["base"]))
            if relative_to is not None and not from_file.is_absolute():
                from_file = relative_to / from_file
            if folder is None:
                folder = from_file
            elif from_file.resolve() != folder.resolve():
                notes.append(
                    Problem(source, tr("scn_base_overridden", lang, file=from_file, base=folder))
                )
        if folder is None:
            raise ScenarioError(tr("scn_no_base", lang, source=source))
        plan_year = year if year is not None else spec.get("year")
        scenario = cls.load(folder, rules=rules, name=str(spec.get("name") or source), lang=lang)
        scenario = dataclasses.replace(
            scenario, description=spec.get("description"), notes=tuple(notes), _cache={}
        )
        if spec.get("rules"):
            scenario = scenario.with_rules(spec["rules"])
        for edit in spec.get("edits") or []:
            scenario = scenario.apply(edit)
        if plan_year is not None:
            scenario = scenario.in_year(int(plan_year))
        return scenario

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        base: str | Path | None = None,
        rules: RuleSet | str | Path | None = None,
        year: int | None = None,
        lang: str = "zh",
    ) -> Scenario:
        """Read a scenario file (YAML, see the module docstring) and apply its edits.

        Parameters
        ----------
        path : path
            The scenario file. Its ``base`` is relative to the file's folder.
        base : path, optional
            The layers folder; wins over the file's ``base`` (required when it has none).
        rules : RuleSet or path, optional
            Rules file under the file's ``rules`` overrides.
        year : int, optional
            Plan year; wins over the file's ``year``.

        Raises
        ------
        ScenarioError
            Unknown keys, edits or arguments (every one listed, with the valid ones), ids
            that do not exist, a plan year before the data year.
        """
        path = Path(path)
        if not path.is_file():
            raise ScenarioError(tr("scn_file_missing", lang, path=path))
        try:
            spec = read_yaml(path) or {}  # bounded: no alias bomb, no FIFO, size capped
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ScenarioError(tr("scn_file_bad", lang, path=path, error=err)) from err
        if not isinstance(spec, Mapping):
            raise ScenarioError(
                tr("scn_file_bad", lang, path=path, error="the top level must be a mapping")
            )
        return cls.from_dict(
            spec,
            base=base,
            rules=rules,
            year=year,
            lang=lang,
            source=path.name,
            relative_to=path.parent,
        )

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the content of a scenario file (reproduces it with ``base``)."""
        spec: dict[str, Any] = {"name": self.name}
        if self.description:
            spec["description"] = self.description
        if self.base is not None:
            spec["base"] = str(self.base)
        if self.year is not None:
            spec["year"] = int(self.year)
        spec["edits"] = [copy.deepcopy(e) for e in self.edits]
        return spec

    def to_yaml(self, *, relative_to: str | Path | None = None) -> str:
        """:meth:`to_dict` as YAML text (UTF-8, Chinese kept readable).

        ``relative_to``: the folder the file will be written to; ``base`` is then written
        relative to it, as :meth:`from_file` reads it.
        """
        spec = self.to_dict()
        if self.base is not None and relative_to is not None:
            try:
                spec["base"] = _relpath(self.base, Path(relative_to))
            except ValueError:  # another drive
                spec["base"] = str(self.base.resolve())
        return yaml.safe_dump(
            spec, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
        )

    def to_file(self, path: str | Path) -> Path:
        """Write the scenario file (``base`` relative to the file's folder)."""
        path = Path(path)
        path.write_text(self.to_yaml(relative_to=path.parent), encoding="utf-8")
        return path

    # ---------------------------------------------------------------- naming, year

    def named(self, name: str) -> Scenario:
        """The same scenario under another name (for :func:`compare` and the maps)."""
        return dataclasses.replace(self, name=str(name), _cache={})

    def in_year(self, year: int | None) -> Scenario:
        """The same scenario evaluated by default for plan ``year`` (None: current check)."""
        if year is not None:
            check_plan_year(year, rules=self.data.rules)
        return dataclasses.replace(self, year=year, _cache={})

    # ---------------------------------------------------------------- ids

    @property
    def community_ids(self) -> list[str]:
        return self.data.communities["community_id"].astype(str).tolist()

    @property
    def estate_ids(self) -> list[str]:
        e = self.data.estates
        return [] if e is None else e["estate_id"].astype(str).tolist()

    @property
    def premises_ids(self) -> list[str]:
        p = self.data.premises
        return [] if p is None else p["premises_id"].astype(str).tolist()

    @property
    def parcel_ids(self) -> list[str]:
        p = self.data.development_parcels
        return [] if p is None else p["parcel_id"].astype(str).tolist()

    def _need(self, kind: str, value: object, existing: list[str]) -> str:
        if str(value) not in existing:
            raise ScenarioError(
                tr(
                    f"scn_unknown_{kind}",
                    self.lang,
                    id=value,
                    n=len(existing),
                    ids=_ids_text(existing, value),
                )
            )
        return str(value)

    def _new_id(self, kind: str, value: object, existing: list[str]) -> str:
        if value is None or str(value).strip() == "":
            raise ScenarioError(
                tr("scn_id_required", self.lang, kind=label(f"{kind}_id", self.lang))
            )
        if str(value) in existing:
            raise ScenarioError(
                tr(
                    "scn_id_taken",
                    self.lang,
                    id=value,
                    kind=label(f"{kind}_id", self.lang),
                    ids=_ids_text(existing),
                )
            )
        return str(value)

    # ---------------------------------------------------------------- the edit machinery

    def _with(
        self, edit: dict[str, Any], *, notes: Iterable[Problem] = (), **layers: Any
    ) -> Scenario:
        data = dataclasses.replace(self.data, **layers)
        record = {
            k: _plain({a: v for a, v in args.items() if v is not None}) for k, args in edit.items()
        }
        log.info("Scenario %s: %s", self.name, record)
        return dataclasses.replace(
            self, data=data, edits=(*self.edits, record), notes=(*self.notes, *notes), _cache={}
        )

    def apply(self, edit: Mapping[str, Any]) -> Scenario:
        """Apply one edit in scenario-file form, e.g. ``{"move_estate": {...}}``."""
        problems = _check_edit(edit, self.lang)
        if problems:
            raise ScenarioError("\n".join(problems))
        ((kind, args),) = edit.items()
        return getattr(self, kind)(**dict(args or {}))

    def _location(
        self,
        geometry: Any,
        xy: Sequence[float] | None,
        lonlat: Sequence[float] | None,
        *,
        what: str,
        polygon_size_m: float | None,
    ) -> BaseGeometry | None:
        given = [g for g in (geometry, xy, lonlat) if g is not None]
        if len(given) > 1:
            raise ScenarioError(tr("scn_one_location", self.lang, what=what))
        if not given:
            return None
        if geometry is not None:
            geom = shapely.from_wkt(geometry) if isinstance(geometry, str) else geometry
            if not isinstance(geom, BaseGeometry) or geom.is_empty:
                raise ScenarioError(tr("scn_bad_geometry", self.lang, what=what, value=geometry))
        else:
            point = xy if xy is not None else lonlat
            try:
                x, y = (float(v) for v in point)  # type: ignore[union-attr]
            except (TypeError, ValueError):
                raise ScenarioError(
                    tr("scn_bad_geometry", self.lang, what=what, value=point)
                ) from None
            geom = shapely.Point(x, y)
            if lonlat is not None:
                geom = _to_working(geom, "EPSG:4326", self.data.communities.crs)
            if polygon_size_m is not None:
                half = float(polygon_size_m) / 2.0
                geom = shapely.box(geom.x - half, geom.y - half, geom.x + half, geom.y + half)
        far = shapely.distance(geom, shapely.box(*self.data.communities.total_bounds))
        if far > 50_000:
            raise ScenarioError(tr("scn_far_away", self.lang, what=what, km=far / 1000))
        return geom

    # ---------------------------------------------------------------- development parcels

    def add_parcel(
        self,
        parcel_id: str,
        *,
        planned_households: int | None = None,
        residential_floor_area_m2: float | None = None,
        delivery_year: int | None = None,
        name: str | None = None,
        geometry: BaseGeometry | str | None = None,
        xy: Sequence[float] | None = None,
        lonlat: Sequence[float] | None = None,
        size_m: float | None = None,
    ) -> Scenario:
        """Add a development parcel (出让地块) — it adds households from ``delivery_year`` on
        and gets an R2 planning condition.

        Parameters
        ----------
        parcel_id : str
            New, unique.
        planned_households : int, optional
            Or ``residential_floor_area_m2`` (÷ ``rules.planning_conditions.
            average_dwelling_floor_area_m2``).
        delivery_year : int, optional
            The plan years from which its households count (none: never, with a warning).
        geometry : Polygon or WKT, optional
            In EPSG:4549. Or ``xy`` (EPSG:4549 metres) / ``lonlat`` (WGS84) of its centre:
            a square of ``size_m`` (default 100 m) side. Its community is the one holding
            most of its area.
        """
        existing = self.parcel_ids
        pid = self._new_id("parcel", parcel_id, existing)
        self._check_households(planned_households, residential_floor_area_m2, required=True)
        self._check_year(delivery_year)
        geom = self._location(
            geometry, xy, lonlat, what=pid, polygon_size_m=size_m or DEFAULT_PARCEL_SIZE_M
        )
        if geom is None:
            raise ScenarioError(tr("scn_location_needed", self.lang, what=pid))
        if geom.geom_type not in schema.POLYGONAL:
            raise ScenarioError(tr("scn_bad_geometry", self.lang, what=pid, value=geom.geom_type))
        row = {
            "parcel_id": pid,
            "name": name or pid,
            "planned_households": planned_households,
            "residential_floor_area_m2": residential_floor_area_m2,
            "delivery_year": delivery_year,
        }
        parcels = self._append(self.data.development_parcels, row, geom)
        notes = self._outside_note(geom, pid)
        return self._with(
            {
                "add_parcel": {
                    "parcel_id": pid,
                    "name": name,
                    "planned_households": planned_households,
                    "residential_floor_area_m2": residential_floor_area_m2,
                    "delivery_year": delivery_year,
                    "geometry": geometry,
                    "xy": xy,
                    "lonlat": lonlat,
                    "size_m": size_m,
                }
            },
            notes=notes,
            development_parcels=parcels,
        )

    def update_parcel(
        self,
        parcel_id: str,
        *,
        planned_households: int | None = None,
        residential_floor_area_m2: float | None = None,
        delivery_year: int | None = None,
        name: str | None = None,
    ) -> Scenario:
        """Change a parcel's households (or floor area), delivery year or name.

        Setting ``planned_households`` replaces a floor area, and the other way round.
        """
        pid = self._need("parcel", parcel_id, self.parcel_ids)
        if all(
            v is None for v in (planned_households, residential_floor_area_m2, delivery_year, name)
        ):
            raise ScenarioError(
                tr(
                    "scn_nothing_to_change",
                    self.lang,
                    what=pid,
                    fields="planned_households, residential_floor_area_m2, delivery_year, name",
                )
            )
        self._check_households(planned_households, residential_floor_area_m2, required=False)
        self._check_year(delivery_year)
        assert self.data.development_parcels is not None  # _need found the parcel
        parcels = self.data.development_parcels.copy()
        at = parcels.index[parcels["parcel_id"].astype(str) == pid][0]
        for column in ("planned_households", "residential_floor_area_m2"):
            if column not in parcels:
                parcels[column] = np.nan
        if planned_households is not None:
            parcels["planned_households"] = parcels["planned_households"].astype(float)
            parcels.loc[at, "planned_households"] = float(planned_households)
            parcels.loc[at, "residential_floor_area_m2"] = np.nan
        if residential_floor_area_m2 is not None:
            parcels["residential_floor_area_m2"] = parcels["residential_floor_area_m2"].astype(
                float
            )
            parcels.loc[at, "residential_floor_area_m2"] = float(residential_floor_area_m2)
            if planned_households is None:
                parcels.loc[at, "planned_households"] = np.nan
        if delivery_year is not None:
            if "delivery_year" not in parcels:
                parcels["delivery_year"] = pd.NA
            parcels["delivery_year"] = pd.to_numeric(
                parcels["delivery_year"], errors="coerce"
            ).astype("Int64")
            parcels.loc[at, "delivery_year"] = int(delivery_year)
        if name is not None:
            parcels["name"] = parcels["name"].astype(object)
            parcels.loc[at, "name"] = name
        return self._with(
            {
                "update_parcel": {
                    "parcel_id": pid,
                    "planned_households": planned_households,
                    "residential_floor_area_m2": residential_floor_area_m2,
                    "delivery_year": delivery_year,
                    "name": name,
                }
            },
            development_parcels=parcels,
        )

    def remove_parcel(self, parcel_id: str) -> Scenario:
        """Take a development parcel out (e.g. the land is not put up for sale)."""
        pid = self._need("parcel", parcel_id, self.parcel_ids)
        return self._without("development_parcels", "parcel_id", pid, edit="remove_parcel")

    def _without(self, layer: str, id_field: str, value: str, *, edit: str) -> Scenario:
        """This scenario without the feature ``id_field == value`` of ``layer``."""
        frame = getattr(self.data, layer)
        assert frame is not None
        frame = frame[frame[id_field].astype(str) != value].reset_index(drop=True)
        return self._with({edit: {id_field: value}}, **{layer: frame if len(frame) else None})

    def _check_households(self, households: Any, floor_area: Any, *, required: bool) -> None:
        if households is not None and floor_area is not None:
            raise ScenarioError(tr("scn_households_or_area", self.lang))
        if required and households is None and floor_area is None:
            raise ScenarioError(tr("scn_households_needed", self.lang))
        if households is not None and (
            isinstance(households, bool)
            or not float(households).is_integer()
            or float(households) < 0
        ):
            raise ScenarioError(
                tr(
                    "scn_bad_number",
                    self.lang,
                    field="planned_households",
                    value=households,
                    rule=">= 0, whole",
                )
            )
        if floor_area is not None and float(floor_area) < 0:
            raise ScenarioError(
                tr(
                    "scn_bad_number",
                    self.lang,
                    field="residential_floor_area_m2",
                    value=floor_area,
                    rule=">= 0",
                )
            )

    def _check_year(self, year: Any) -> None:
        if year is None:
            return
        if isinstance(year, bool) or not float(year).is_integer() or not 1900 <= year <= 2100:
            raise ScenarioError(
                tr("scn_bad_number", self.lang, field="delivery_year", value=year, rule="1900–2100")
            )

    def _append(
        self, frame: gpd.GeoDataFrame | None, row: dict[str, Any], geom: BaseGeometry
    ) -> gpd.GeoDataFrame:
        new = gpd.GeoDataFrame([row], geometry=[geom], crs=self.data.communities.crs)
        if frame is None or len(frame) == 0:
            return new
        geometry = frame.geometry.name
        new = new.rename_geometry(geometry) if geometry != "geometry" else new
        out = pd.concat([frame, new], ignore_index=True)
        return gpd.GeoDataFrame(out, geometry=geometry, crs=frame.crs)

    def _outside_note(self, geom: BaseGeometry, what: str) -> list[Problem]:
        if self.data.communities.intersects(geom).any():
            return []
        return [Problem("scenario", tr("scn_outside", self.lang, what=what))]

    # ---------------------------------------------------------------- premises

    def add_premises(
        self,
        premises_id: str,
        *,
        function: str,
        floor_area_m2: float,
        tenure: str = "new_build",
        community_id: str | None = None,
        status: str = "planned",
        name: str | None = None,
        floor: int | None = None,
        cost_yuan: float | None = None,
        annual_rent_yuan: float | None = None,
        geometry: BaseGeometry | str | None = None,
        xy: Sequence[float] | None = None,
        lonlat: Sequence[float] | None = None,
    ) -> Scenario:
        """Add premises (社区用房), by default *planned* (counted in plan years only).

        Parameters
        ----------
        premises_id : str
            New, unique.
        function, tenure, status : str
            As in the premises layer; the Chinese values (党群服务中心, 新建, 规划 …) work too.
        floor_area_m2 : float
            > 0.
        community_id : str, optional
            The community it serves; else the one it lies in.
        geometry / xy / lonlat : optional
            Its location (EPSG:4549 geometry or WKT, EPSG:4549 ``xy``, or WGS84 ``lonlat``);
            without one, it is placed at a point inside ``community_id``.
        """
        lang = self.lang
        pid = self._new_id("premises", premises_id, self.premises_ids)
        fn = _enum_value(schema.PREMISES, "function", function, lang)
        ten = _enum_value(schema.PREMISES, "tenure", tenure, lang)
        st = _enum_value(schema.PREMISES, "status", status, lang)
        area = self._area(floor_area_m2)
        cid = (
            self._need("community", community_id, self.community_ids)
            if community_id is not None
            else None
        )
        geom = self._location(geometry, xy, lonlat, what=pid, polygon_size_m=None)
        if geom is None:
            if cid is None:
                raise ScenarioError(tr("scn_premises_where", lang, what=pid))
            c = self.data.communities
            geom = c.geometry[c["community_id"].astype(str) == cid].iloc[0].representative_point()
        if geom.geom_type not in (*schema.PUNCTUAL, *schema.POLYGONAL):
            raise ScenarioError(tr("scn_bad_geometry", lang, what=pid, value=geom.geom_type))
        row = {
            "premises_id": pid,
            "community_id": cid,
            "name": name or pid,
            "function": fn,
            "floor_area_m2": area,
            "floor": floor,
            "tenure": ten,
            "cost_yuan": cost_yuan,
            "annual_rent_yuan": annual_rent_yuan,
            "status": st,
        }
        prem = self._append(self.data.premises, row, geom)
        for column in ("community_id", "name", "function", "tenure", "status"):
            prem[column] = prem[column].astype(object).where(prem[column].notna(), None)
        notes = [] if cid is not None else self._outside_note(geom, pid)
        return self._with(
            {
                "add_premises": {
                    "premises_id": pid,
                    "function": fn,
                    "floor_area_m2": area,
                    "tenure": ten,
                    "community_id": cid,
                    "status": st,
                    "name": name,
                    "floor": floor,
                    "cost_yuan": cost_yuan,
                    "annual_rent_yuan": annual_rent_yuan,
                    "geometry": geometry,
                    "xy": xy,
                    "lonlat": lonlat,
                }
            },
            notes=notes,
            premises=prem,
        )

    def remove_premises(self, premises_id: str) -> Scenario:
        """Give premises up (e.g. a lease that ends)."""
        pid = self._need("premises", premises_id, self.premises_ids)
        return self._without("premises", "premises_id", pid, edit="remove_premises")

    def resize_premises(self, premises_id: str, floor_area_m2: float) -> Scenario:
        """Change the floor area of premises (an extension, a partial handover)."""
        pid = self._need("premises", premises_id, self.premises_ids)
        area = self._area(floor_area_m2)
        assert self.data.premises is not None
        prem = self.data.premises.copy()
        prem["floor_area_m2"] = prem["floor_area_m2"].astype(float)
        prem.loc[prem["premises_id"].astype(str) == pid, "floor_area_m2"] = area
        return self._with(
            {"resize_premises": {"premises_id": pid, "floor_area_m2": area}}, premises=prem
        )

    def _area(self, value: Any) -> float:
        try:
            area = float(value)
        except (TypeError, ValueError):
            area = float("nan")
        if not area > 0:
            raise ScenarioError(
                tr("scn_bad_number", self.lang, field="floor_area_m2", value=value, rule="> 0")
            )
        return area

    # ---------------------------------------------------------------- estates, communities

    def move_estate(self, estate_id: str, to_community_id: str) -> Scenario:
        """Move a whole estate — all its households — to another community.

        Sets the estate's ``community_override``; :func:`gis_planner.pipeline.analyse` then
        gives it wholly to that community instead of splitting it by area.
        """
        eid = self._need("estate", estate_id, self.estate_ids)
        cid = self._need("community", to_community_id, self.community_ids)
        assert self.data.estates is not None
        estates = self.data.estates.copy()
        if "community_override" not in estates:
            estates["community_override"] = None
        estates["community_override"] = estates["community_override"].astype(object)
        estates.loc[estates["estate_id"].astype(str) == eid, "community_override"] = cid
        return self._with(
            {"move_estate": {"estate_id": eid, "to_community_id": cid}}, estates=estates
        )

    def merge_communities(
        self, community_ids: Sequence[str], *, new_id: str | None = None, name: str | None = None
    ) -> Scenario:
        """Merge two or more communities into one (their areas, estates and premises).

        Parameters
        ----------
        community_ids : list of str
            At least two existing communities.
        new_id : str, optional
            The merged community's id (default: the first of ``community_ids``); it may not
            be the id of another community.
        name : str, optional
            Default: the first community's name.

        The merged community keeps the first one's street and kind (a warning when the
        kinds differ), the sum of the populations when every one is known (else none: the
        household size applies), and the common premises standard override if they share
        one.
        """
        lang = self.lang
        ids = [self._need("community", c, self.community_ids) for c in community_ids]
        if len(set(ids)) < 2:
            raise ScenarioError(tr("scn_merge_two", lang, ids=_ids_text(self.community_ids)))
        new = str(new_id) if new_id is not None else ids[0]
        others = [c for c in self.community_ids if c not in ids]
        if new in others:
            raise ScenarioError(
                tr(
                    "scn_id_taken",
                    lang,
                    id=new,
                    kind=label("community_id", lang),
                    ids=_ids_text(others),
                )
            )
        c = self.data.communities
        mine = c[c["community_id"].astype(str).isin(ids)]
        first = mine[mine["community_id"].astype(str) == ids[0]].iloc[0]
        row = first.copy()
        row["community_id"] = new
        row["name"] = name or first["name"]
        row[c.geometry.name] = shapely.union_all(mine.geometry.values)
        notes = []
        for column, combine in (
            ("population", "sum"),
            ("households", "sum"),
            ("standard", "same"),
            ("kind", "same"),
        ):
            if column not in c:
                continue
            values = mine[column]
            if combine == "sum":
                row[column] = pd.to_numeric(values).sum() if values.notna().all() else None
            elif values.nunique(dropna=False) > 1:
                if column == "kind":
                    notes.append(
                        Problem(
                            "scenario",
                            tr(
                                "scn_merge_kinds",
                                lang,
                                kind=value_label(first["kind"], lang),
                                name=row["name"],
                            ),
                        )
                    )
                else:
                    row[column] = None
        position = c.index[c["community_id"].astype(str) == ids[0]][0]
        keep = c[~c["community_id"].astype(str).isin(ids) | (c.index == position)].copy()
        for column in c.columns:
            if column != c.geometry.name and keep[column].dtype != object:
                keep[column] = keep[column].astype(object)
        keep.loc[position] = row
        communities = self._clean_communities(keep.reset_index(drop=True), c)
        remap = dict.fromkeys(ids, new)
        return self._with(
            {"merge_communities": {"community_ids": ids, "new_id": new_id, "name": name}},
            notes=notes,
            communities=communities,
            **self._remapped(remap, communities),
        )

    def split_community(
        self,
        community_id: str,
        *,
        into: Sequence[Mapping[str, Any]],
        line: BaseGeometry | str | Sequence[Sequence[float]] | None = None,
        line_lonlat: Sequence[Sequence[float]] | None = None,
    ) -> Scenario:
        """Split a community in two or more, by groups of estates or by a line.

        Parameters
        ----------
        community_id : str
        into : list of mappings
            The new communities: ``{"community_id": …, "name": …}`` each (one of them may
            keep the old id). **By estates**: each also lists ``"estates": [ids]``; the
            community's area is divided between the groups (each point goes to the group
            of the nearest listed estate) and a listed estate cut by the new boundary goes
            wholly to its group. **By a line**: exactly two entries — the first gets the
            part on the left of the line (walking from its first to its last point), the
            second the part on the right.
        line : LineString, WKT or list of [x, y], optional
            In EPSG:4549; or ``line_lonlat`` in WGS84. It must cross the community.

        Premises of the old community go to the part they lie in (else the nearest);
        population and the households field are dropped (unknown for the parts: households
        × household size applies).
        """
        lang = self.lang
        old = self._need("community", community_id, self.community_ids)
        parts = [dict(p) for p in into]
        problems = []
        for p in parts:
            unknown = sorted(set(p) - {"community_id", "name", "estates"})
            if unknown:
                problems.append(
                    tr(
                        "scn_unknown_args",
                        lang,
                        edit="split_community.into",
                        args=", ".join(unknown),
                        valid="community_id, name, estates",
                    )
                )
        if problems:
            raise ScenarioError("\n".join(problems))
        new_ids = [str(p.get("community_id") or "") for p in parts]
        others = [c for c in self.community_ids if c != old]
        for nid in new_ids:
            if not nid:
                raise ScenarioError(tr("scn_id_required", lang, kind=label("community_id", lang)))
            if nid in others:
                raise ScenarioError(
                    tr(
                        "scn_id_taken",
                        lang,
                        id=nid,
                        kind=label("community_id", lang),
                        ids=_ids_text(others),
                    )
                )
        if len(set(new_ids)) != len(new_ids) or len(parts) < 2:
            raise ScenarioError(tr("scn_split_parts", lang))
        c = self.data.communities
        at = c.index[c["community_id"].astype(str) == old][0]
        polygon = c.geometry[at]
        by_line = line is not None or line_lonlat is not None
        overrides: dict[str, str] = {}
        if by_line:
            if any("estates" in p for p in parts) or len(parts) != 2:
                raise ScenarioError(tr("scn_split_line_two", lang))
            cut = self._line(line, line_lonlat)
            pieces = self._split_by_line(polygon, cut, old)
        else:
            pieces, overrides = self._split_by_estates(polygon, old, parts)
        rows: list[pd.Series] = []
        for p, piece in zip(parts, pieces, strict=True):
            row = c.loc[at].copy()
            row["community_id"] = str(p["community_id"])
            row["name"] = p.get("name") or f"{c.loc[at, 'name']}{len(rows) + 1}"
            row[c.geometry.name] = piece
            for column in ("population", "households"):
                if column in c:
                    row[column] = None
            rows.append(row)
        before = c.loc[: at - 1] if at > 0 else c.iloc[0:0]
        after = c.loc[at + 1 :]
        new_rows = gpd.GeoDataFrame(rows, geometry=c.geometry.name, crs=c.crs)
        communities = pd.concat(
            [before.astype(object), new_rows.astype(object), after.astype(object)],
            ignore_index=True,
        )
        communities = self._clean_communities(
            gpd.GeoDataFrame(communities, geometry=c.geometry.name, crs=c.crs), c
        )
        layers = self._split_remap(old, communities, new_ids, overrides)
        record: dict[str, Any] = {
            "community_id": old,
            "into": [{k: v for k, v in p.items() if v is not None} for p in parts],
        }
        if by_line:
            record["line"] = line
            record["line_lonlat"] = line_lonlat
        return self._with({"split_community": record}, communities=communities, **layers)

    def _line(self, line: Any, line_lonlat: Any) -> BaseGeometry:
        if line is not None and line_lonlat is not None:
            raise ScenarioError(tr("scn_one_location", self.lang, what="line"))
        value = line if line is not None else line_lonlat
        try:
            if isinstance(value, str):
                geom = shapely.from_wkt(value)
            elif isinstance(value, BaseGeometry):
                geom = value
            else:
                geom = shapely.LineString([tuple(map(float, xy)) for xy in value])
        except Exception:  # noqa: BLE001 - reported with the value
            raise ScenarioError(
                tr("scn_bad_geometry", self.lang, what="line", value=value)
            ) from None
        if geom.geom_type != "LineString" or geom.is_empty:
            raise ScenarioError(
                tr("scn_bad_geometry", self.lang, what="line", value=geom.geom_type)
            )
        return (
            _to_working(geom, "EPSG:4326", self.data.communities.crs)
            if line_lonlat is not None
            else geom
        )

    def _split_by_line(
        self, polygon: BaseGeometry, line: BaseGeometry, old: str
    ) -> list[BaseGeometry]:
        from shapely.ops import split

        pieces = list(split(polygon, line).geoms)
        sides: dict[int, list[BaseGeometry]] = {1: [], -1: []}
        for piece in pieces:
            point = piece.representative_point()
            d = line.project(point)
            a = line.interpolate(max(d - 0.5, 0.0))
            b = line.interpolate(min(d + 0.5, line.length))
            near = line.interpolate(d)
            cross = (b.x - a.x) * (point.y - near.y) - (b.y - a.y) * (point.x - near.x)
            sides[1 if cross > 0 else -1].append(piece)
        if not sides[1] or not sides[-1]:
            raise ScenarioError(tr("scn_split_line_misses", self.lang, id=old))
        return [shapely.union_all(sides[1]), shapely.union_all(sides[-1])]

    def _split_by_estates(
        self, polygon: BaseGeometry, old: str, parts: list[dict[str, Any]]
    ) -> tuple[list[BaseGeometry], dict[str, str]]:
        lang = self.lang
        estates = self.data.estates
        if estates is None:
            raise ScenarioError(tr("scn_split_needs", lang))
        ids = self.estate_ids
        listed: dict[str, str] = {}
        for p in parts:
            group = p.get("estates") or []
            if not group:
                raise ScenarioError(tr("scn_split_needs", lang))
            for e in group:
                eid = self._need("estate", e, ids)
                if eid in listed:
                    raise ScenarioError(tr("scn_split_twice", lang, id=eid))
                listed[eid] = str(p["community_id"])
        table = estates.set_index(estates["estate_id"].astype(str))
        inside = [e for e in listed if table.geometry[e].intersects(polygon)]
        outside = [e for e in listed if e not in inside]
        if outside:
            mine = [
                e for e, g in zip(table.index, table.geometry, strict=True) if g.intersects(polygon)
            ]
            raise ScenarioError(
                tr(
                    "scn_split_not_in",
                    lang,
                    ids=", ".join(outside),
                    community=old,
                    estates=_ids_text(mine),
                )
            )
        seeds = [table.geometry[e].intersection(polygon).representative_point() for e in listed]
        groups = list(listed.values())
        cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=polygon)
        by_group: dict[str, list[BaseGeometry]] = {str(p["community_id"]): [] for p in parts}
        for cell in cells.geoms:
            hit = [i for i, s in enumerate(seeds) if cell.covers(s)]
            if hit:
                by_group[groups[hit[0]]].append(cell)
        pieces = [
            shapely.intersection(shapely.union_all(by_group[str(p["community_id"])]), polygon)
            for p in parts
        ]
        pieces = [shapely.make_valid(p) for p in pieces]
        overrides = {}
        for e, target in listed.items():
            geom = table.geometry[e]
            for p, piece in zip(parts, pieces, strict=True):
                if (
                    str(p["community_id"]) != target
                    and shapely.area(shapely.intersection(geom, piece)) > 1.0
                ):
                    overrides[e] = target
        return pieces, overrides

    def _clean_communities(
        self, communities: gpd.GeoDataFrame, like: gpd.GeoDataFrame
    ) -> gpd.GeoDataFrame:
        """Restore the column types of ``like`` after rows were replaced."""
        out = gpd.GeoDataFrame(communities, geometry=like.geometry.name, crs=like.crs)
        for column in like.columns:
            if column == like.geometry.name:
                continue
            if pd.api.types.is_numeric_dtype(like[column]):
                out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
            else:
                out[column] = out[column].astype(object).where(out[column].notna(), None)
        return out

    def _remapped(self, remap: dict[str, str], communities: gpd.GeoDataFrame) -> dict[str, Any]:
        """Premises and estate overrides pointing at merged communities, renamed."""
        layers: dict[str, Any] = {}
        for layer, column in (("premises", "community_id"), ("estates", "community_override")):
            frame = getattr(self.data, layer)
            if frame is not None and column in frame:
                frame = frame.copy()
                frame[column] = (
                    frame[column]
                    .map(
                        lambda v: remap.get(str(v), v) if v is not None and not pd.isna(v) else None
                    )
                    .astype(object)
                )
                layers[layer] = frame
        return layers

    def _split_remap(
        self, old: str, communities: gpd.GeoDataFrame, new_ids: list[str], overrides: dict[str, str]
    ) -> dict[str, Any]:
        """Premises and estate overrides of a split community: to the part they lie in."""
        parts = communities[communities["community_id"].astype(str).isin(new_ids)]

        def part_of(geom: BaseGeometry) -> str:
            point = geom.representative_point()
            hits = parts[parts.geometry.covers(point)]
            if len(hits):
                return str(hits["community_id"].iloc[0])
            return str(parts["community_id"].iloc[int(np.argmin(parts.distance(point)))])

        layers: dict[str, Any] = {}
        prem = self.data.premises
        if prem is not None and "community_id" in prem:
            prem = prem.copy()
            mine = prem["community_id"].astype(str) == old
            prem["community_id"] = prem["community_id"].astype(object)
            for i in prem.index[mine]:
                prem.at[i, "community_id"] = part_of(prem.geometry[i])
            layers["premises"] = prem
        estates = self.data.estates
        if estates is not None and ("community_override" in estates or overrides):
            estates = estates.copy()
            if "community_override" not in estates:
                estates["community_override"] = None
            estates["community_override"] = estates["community_override"].astype(object)
            for i in estates.index[estates["community_override"].astype(str) == old]:
                estates.at[i, "community_override"] = part_of(estates.geometry[i])
            ids = estates["estate_id"].astype(str)
            for eid, target in overrides.items():
                estates.loc[ids == eid, "community_override"] = target
            layers["estates"] = estates
        return layers

    # ---------------------------------------------------------------- rules

    def with_rules(self, overrides: Mapping[str, Any]) -> Scenario:
        """Override any rules (validated against the rules file's keys, e.g.
        ``{"premises": {"standards": {"new": {"per_100_households_m2": 85}}}}``)."""
        if not isinstance(overrides, Mapping):
            raise ScenarioError(tr("scn_rules_mapping", self.lang))
        rules = self.data.rules.with_overrides(overrides, source=f"scenario {self.name}")
        size = self.data.household_size
        if "household_size" in (overrides.get("settings") or {}):
            size = float(rules.settings.household_size)
        if self.year is not None:
            check_plan_year(self.year, rules=rules)
        return self._with(
            {"with_rules": {"overrides": copy.deepcopy(dict(overrides))}},
            rules=rules,
            household_size=size,
        )

    def set_rule(self, key: str, value: Any) -> Scenario:
        """Change one rule by its dotted name, e.g.
        ``set_rule("premises.standards.new.per_100_households_m2", 85)``."""
        if not isinstance(key, str) or not key:
            raise ScenarioError(tr("scn_rules_mapping", self.lang))
        scenario = self.with_rules(_nested(key, value))
        record = {"set_rule": {"key": key, "value": _plain(value)}}
        return dataclasses.replace(scenario, edits=(*self.edits, record))

    # ---------------------------------------------------------------- results

    def evaluate(self, year: int | None = None) -> Results:
        """Run every analysis (:func:`gis_planner.pipeline.run`, without the layout
        proposals) for a plan year.

        Parameters
        ----------
        year : int, optional
            Plan year (default: the scenario's ``year``; None for both: the current check).
            Parcels delivered by then add their households; planned premises count.

        Returns
        -------
        Results
            Cached per year; ``results.scenario`` holds :meth:`to_dict`, and the notes of the
            edits are among the warnings.
        """
        year = self.year if year is None else year
        if year not in self._cache:
            data = dataclasses.replace(self.data, warnings=[*self.data.warnings, *self.notes])
            self._cache[year] = run(
                data,
                plan_year=year,
                proposals=False,
                scenario={**self.to_dict(), "year": year},
            )
        return self._cache[year]

    def planning_conditions(self) -> pd.DataFrame:
        """R2: the premises area each development parcel's land sale conditions must hold."""
        return self.evaluate().planning_conditions

    def describe(self, lang: str | None = None) -> list[str]:
        """The edit log in words, one line per edit."""
        lang = lang or self.lang
        lines = []
        for edit in self.edits:
            ((kind, args),) = edit.items()
            text = ", ".join(f"{k}={v}" for k, v in args.items())
            lines.append(f"{tr('scn_edit_' + kind, lang)}: {text}")
        return lines

    def export(
        self,
        out_dir: str | Path,
        *,
        year: int | None = None,
        lang: str | None = None,
        map_html: bool = True,
    ) -> dict[str, Path]:
        """Write the scenario's results like a run (:func:`gis_planner.render.runfolder.write_run`),
        plus ``scenario.yaml`` that reproduces it. Returns the paths written."""
        from gis_planner.render.runfolder import write_run

        scenario = self if year is None else self.in_year(year)
        results = scenario.evaluate()
        text = scenario.to_yaml(relative_to=out_dir)
        written, _ = write_run(
            results,
            out_dir,
            lang=lang or self.lang,
            map_html=map_html,
            extra_files={"scenario.yaml": text},
        )
        return written

    def __repr__(self) -> str:
        return (
            f"Scenario({self.name!r}, year={self.year}, base={self.base}, {len(self.edits)} edits)"
        )


def _relpath(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when they share a folder below the root, else
    ``ValueError`` (the caller then writes the absolute path)."""
    target, origin = Path(path).resolve(), Path(start).resolve()
    common = Path(os.path.commonpath([target, origin]))
    if common == Path(common.anchor):
        raise ValueError(f"{target} and {origin} share no folder")
    return os.path.relpath(target, origin)


# --------------------------------------------------------------------------- file checks


def _edit_params(kind: str) -> list[str]:
    sig = inspect.signature(getattr(Scenario, kind))
    return [p for p in sig.parameters if p != "self"]


def _required_params(kind: str) -> list[str]:
    sig = inspect.signature(getattr(Scenario, kind))
    return [
        n for n, p in sig.parameters.items() if n != "self" and p.default is inspect.Parameter.empty
    ]


def _check_edit(edit: Any, lang: str, where: str = "edits") -> list[str]:
    if not isinstance(edit, Mapping) or len(edit) != 1:
        return [tr("scn_edit_shape", lang, where=where, edit=edit, valid=", ".join(EDITS))]
    ((kind, args),) = edit.items()
    if kind not in EDITS:
        return [tr("scn_unknown_edit", lang, where=where, edit=kind, valid=", ".join(EDITS))]
    if args is None:
        args = {}
    if not isinstance(args, Mapping):
        return [
            tr(
                "scn_edit_args_mapping",
                lang,
                where=where,
                edit=kind,
                valid=", ".join(_edit_params(kind)),
            )
        ]
    problems = []
    unknown = [str(a) for a in args if a not in _edit_params(kind)]
    if unknown:
        problems.append(
            tr(
                "scn_unknown_args",
                lang,
                edit=f"{where}: {kind}",
                args=", ".join(unknown),
                valid=", ".join(_edit_params(kind)),
            )
        )
    missing = [a for a in _required_params(kind) if a not in args]
    if missing:
        problems.append(
            tr("scn_missing_args", lang, edit=f"{where}: {kind}", args=", ".join(missing))
        )
    return problems


def _check_spec(spec: Mapping[str, Any], lang: str) -> list[str]:
    problems = []
    for key in spec:
        if key not in FILE_KEYS:
            problems.append(tr("scn_unknown_key", lang, key=key, valid=", ".join(FILE_KEYS)))
    year = spec.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(tr("plan_year_not_int", lang, year=year, data_year=_dt.date.today().year))
    if spec.get("rules") is not None and not isinstance(spec["rules"], Mapping):
        problems.append(tr("scn_rules_mapping", lang))
    edits = spec.get("edits") or []
    if not isinstance(edits, list):
        problems.append(tr("scn_edits_list", lang, valid=", ".join(EDITS)))
        return problems
    for i, edit in enumerate(edits, start=1):
        problems.extend(_check_edit(edit, lang, where=f"edits[{i}]"))
    return problems


# --------------------------------------------------------------------------- comparison


#: The measures of :func:`compare`, per community and scenario.
COMPARE_MEASURES = (
    "households",
    "required_area_m2",
    "premises_area_m2",
    "shortfall_m2",
    "premises_status",
    "staff_range",
    "funds_yuan_per_year",
    "subsidy_build_yuan",
    "subsidy_rent_yuan_per_year",
)


def _unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    names: list[str] = []
    for s in scenarios:
        name, n = s.name, 2
        while name in names:
            name = f"{s.name} ({n})"
            n += 1
        names.append(name)
    return names


def _compare_table(results: Results) -> pd.DataFrame:
    c = results.communities
    table = pd.DataFrame(
        {
            "households": c["households"].astype("int64"),
            "required_area_m2": c["required_area_m2"].astype(float),
            "premises_area_m2": c["premises_area_m2"].astype(float),
            "shortfall_m2": c["shortfall_m2"].astype(float),
            "premises_status": c["premises_status"].astype(object),
            "staff_range": [
                str(lo) if lo == hi else f"{lo}–{hi}"
                for lo, hi in zip(c["staff_min"], c["staff_max"], strict=True)
            ],
            "funds_yuan_per_year": (c["working_funds_yuan"] + c["cobuild_funds_yuan"]).astype(
                float
            ),
            "subsidy_build_yuan": c["subsidy_build_yuan"].astype(float),
            "subsidy_rent_yuan_per_year": c["subsidy_rent_yuan_per_year"].astype(float),
        }
    )
    table.index = pd.Index(c["community_id"].astype(str), name="community_id")
    status = c["premises_status"].value_counts()
    table.attrs["total"] = {
        **{
            m: float(table[m].sum())
            for m in COMPARE_MEASURES
            if m not in ("premises_status", "staff_range")
        },
        "households": int(table["households"].sum()),
        "premises_status": "/".join(str(int(status.get(k, 0))) for k in ("meets", "short", "none")),
        "staff_range": f"{int(c['staff_min'].sum())}–{int(c['staff_max'].sum())}",
    }
    table.attrs["names"] = dict(zip(table.index, c["name"].astype(str), strict=True))
    return table


def compare(
    scenarios: Sequence[Scenario],
    *,
    year: int | None = None,
    lang: str | None = None,
    totals: bool = True,
) -> pd.DataFrame:
    """Two or more scenarios side by side, one row per community.

    Parameters
    ----------
    scenarios : list of Scenario
    year : int, optional
        Plan year of all of them (default: each scenario's own ``year``).
    lang : {"zh", "en"}, optional
        Translate headers and status values for display; default: field names and codes.
    totals : bool
        Add a last row ``TOTAL``: sums, the status as "meets/short/none" counts and the
        staff as the sums of the minima and maxima.

    Returns
    -------
    DataFrame
        Index (``community_id``, ``name``): every community of any scenario, in the order
        first met (a merged or split community has values only where it exists). Columns:
        MultiIndex (measure, scenario) over :data:`COMPARE_MEASURES` — households, required
        area, counted premises area, shortfall (m²), status, staff range, yearly working +
        co-building funds, build subsidy (one-off) and rent subsidy (a year), in yuan.
        ``attrs["years"]`` gives each scenario's plan year.
    """
    if not scenarios:
        raise ScenarioError(tr("scn_compare_none", lang or "zh"))
    names = _unique_names(scenarios)
    tables = {
        name: _compare_table(s.evaluate(year)) for s, name in zip(scenarios, names, strict=True)
    }
    community_names: dict[str, str] = {}
    for table in tables.values():
        for cid, name in table.attrs["names"].items():
            community_names.setdefault(cid, name)
    index = pd.MultiIndex.from_tuples(list(community_names.items()), names=["community_id", "name"])
    columns = pd.MultiIndex.from_product(
        [list(COMPARE_MEASURES), names], names=["measure", "scenario"]
    )
    data: dict[tuple[str, str], list[Any]] = {}
    for measure in COMPARE_MEASURES:
        for name in names:
            column = tables[name][measure].reindex(list(community_names))
            values = column.tolist()
            if totals:
                values.append(tables[name].attrs["total"][measure])
            data[(measure, name)] = values
    if totals:
        index = index.append(
            pd.MultiIndex.from_tuples([("TOTAL", tr("scn_total", lang) if lang else "total")])
        )
    out = pd.DataFrame(data, index=index, columns=columns)
    for measure in COMPARE_MEASURES:
        for name in names:
            if measure == "households":
                out[(measure, name)] = pd.array(
                    [None if pd.isna(v) else int(v) for v in out[(measure, name)]], dtype="Int64"
                )
            elif measure not in ("premises_status", "staff_range"):
                out[(measure, name)] = pd.to_numeric(out[(measure, name)]).round(2)
            else:
                out[(measure, name)] = out[(measure, name)].astype(object)
    out.attrs["years"] = {
        name: s.evaluate(year).year for s, name in zip(scenarios, names, strict=True)
    }
    if lang:
        out = out.rename(columns={m: label(m, lang) for m in COMPARE_MEASURES}, level=0)
        for column in out.columns:
            if out[column].dtype == object:
                out[column] = out[column].map(lambda v: value_label(v, lang))
        out.index = out.index.set_names([label("community_id", lang), label("name", lang)])
    return out


def compare_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The last (``TOTAL``) row of a :func:`compare` table: one row per scenario, one column
    per measure, in the table's order."""
    row = table.iloc[-1]
    measures = list(dict.fromkeys(table.columns.get_level_values(0)))
    names = list(dict.fromkeys(table.columns.get_level_values(1)))
    out = pd.DataFrame(
        {m: [row[(m, n)] for n in names] for m in measures},
        index=pd.Index(names, name=table.columns.names[1]),
    )
    return out


# --------------------------------------------------------------------------- maps


class _OfflineDualMap(folium.plugins.DualMap):
    """folium's DualMap without its CDN plugin (Leaflet.Sync): the views follow each other
    through a few lines of inline script."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (a, b) {
          var busy = false;
          function link(src, dst) {
            src.on('move', function () {
              if (busy) { return; }
              busy = true;
              dst.setView(src.getCenter(), src.getZoom(), {animate: false});
              busy = false;
            });
          }
          link(a, b); link(b, a);
        })({{ this.m1.get_name() }}, {{ this.m2.get_name() }});
        {% endmacro %}
    """)
    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


class _MapTitle(MacroElement):
    """The scenario's name, plan year and shortfall in a box on top of one map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
          var div = document.createElement('div');
          div.style.cssText = 'position:absolute;top:10px;left:50px;z-index:1000;' +
            'background:#fff;padding:4px 8px;border:1px solid #888;font:14px sans-serif';
          div.textContent = {{ this.text }};
          {{ this._parent.get_name() }}.getContainer().appendChild(div);
        })();
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "GpScenarioTitle"
        self.text = js_string(text)  # a literal with no Jinja2 delimiter: branca compiles
        # this macro's output once more as a template (see gis_planner.render.escape)


def _geojson(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """GeoJSON (WGS84) of ``frame`` with its text escaped for the tooltips' HTML."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: None if v is None or v is pd.NA else html_text(v)
            )
    return json.loads(out.to_crs("EPSG:4326").to_json(drop_id=True))


def _side_layers(m: folium.Map, scenario: Scenario, results: Results, *, lang: str) -> None:
    """Communities by premises status, counted premises and parcels on map ``m``."""
    from gis_planner.render.onemap import page as maps

    colours = getattr(
        maps, "COMMUNITY_COLOURS", {"meets": "#31a354", "short": "#fe9929", "none": "#de2d26"}
    )
    c = results.communities
    fields = [
        "name",
        "households",
        "required_area_m2",
        "premises_area_m2",
        "shortfall_m2",
        "premises_status",
    ]
    shown = gpd.GeoDataFrame(c[fields].copy(), geometry=c.geometry, crs=c.crs)
    shown["premises_status"] = c["premises_status"].map(lambda v: value_label(v, lang))
    for column in ("required_area_m2", "premises_area_m2", "shortfall_m2"):
        shown[column] = shown[column].round(0)
    shown["colour"] = c["premises_status"].map(colours).fillna("#969696")
    folium.GeoJson(
        _geojson(shown),
        name=tr("map_layer_communities", lang),
        style_function=lambda f: {
            "color": "#444444",
            "weight": 1,
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[label(f, lang) for f in fields]),
    ).add_to(m)
    prem = results.premises
    if prem is not None and len(prem):
        counted = results.counted_premises
        group = folium.FeatureGroup(name=tr("map_layer_premises", lang))
        points = counted.geometry.representative_point().to_crs("EPSG:4326")
        names = (
            counted["name"]
            if "name" in counted
            else pd.Series(None, index=counted.index, dtype=object)
        )
        for i, point in points.items():
            planned = counted.at[i, "status"] == "planned"
            area = float(counted.at[i, "floor_area_m2"])
            name = names[i] if isinstance(names[i], str) else ""
            folium.CircleMarker(
                [point.y, point.x],
                radius=max(4.0, min(14.0, area**0.5 / 4)),
                color="#00695c",
                weight=2,
                dash_array="4 3" if planned else None,
                fill=True,
                fill_color="#ffffff" if planned else "#00695c",
                fill_opacity=0.8,
                tooltip=html_text(
                    f"{counted.at[i, 'premises_id']} {name}"
                    f" {area:,.0f} m² ({value_label(counted.at[i, 'status'], lang)})"
                ),
            ).add_to(group)
        group.add_to(m)
    parcels = results.data.development_parcels
    if parcels is not None and len(parcels):
        table = results.planning_conditions
        shown = gpd.GeoDataFrame(
            {"parcel_id": parcels["parcel_id"].astype(str)},
            geometry=parcels.geometry,
            crs=parcels.crs,
        )
        shown["delivery_year"] = (
            pd.to_numeric(parcels["delivery_year"], errors="coerce")
            if "delivery_year" in parcels
            else np.nan
        )
        shown["condition_area_m2"] = (
            table["condition_area_m2"].round(0).to_numpy()
            if table is not None and len(table)
            else np.nan
        )
        columns = ["parcel_id", "delivery_year", "condition_area_m2"]
        folium.GeoJson(
            _geojson(shown),
            name=tr("map_layer_parcels", lang),
            style_function=lambda f: {
                "color": "#b15928",
                "weight": 2,
                "fillColor": "#ffff99",
                "fillOpacity": 0.6,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=columns, aliases=[label(f, lang) for f in columns]
            ),
        ).add_to(m)
    year = str(results.year) if results.year is not None else tr("scn_current", lang)
    title = scenario.name if scenario.name == year else f"{scenario.name} — {year}"
    m.add_child(
        _MapTitle(
            f"{title}: " + tr("scn_map_shortfall", lang, value=results.summary["shortfall_m2"])
        )
    )
    folium.LayerControl(collapsed=True).add_to(m)


def dual_map(
    left: Scenario,
    right: Scenario,
    *,
    year: int | None = None,
    lang: str | None = None,
    layout: str = "horizontal",
) -> folium.plugins.DualMap:
    """Two scenarios on synchronised side-by-side maps (folium ``DualMap``), offline.

    Each side shows the communities coloured by premises status (R1) with their figures in
    the tooltip, the counted premises (planned ones dashed) and the development parcels with
    their R2 condition; a box names the scenario, the plan year and the total shortfall.
    Leaflet is inlined as in the one-map (:mod:`gis_planner.render.onemap.page`) and the views
    are kept in
    step by inline script instead of the Leaflet.Sync CDN plugin: with no internet only the
    basemap stays blank.

    Parameters
    ----------
    left, right : Scenario
    year : int, optional
        Plan year of both (default: each scenario's own).
    lang : {"zh", "en"}, optional
    layout : {"horizontal", "vertical"}

    Returns
    -------
    folium.plugins.DualMap
        Shows itself in a notebook; :func:`write_dual_map` writes it to a file.
    """
    from gis_planner.render.onemap import page as maps

    lang = lang or left.lang
    a, b = left.evaluate(year), right.evaluate(year)
    bounds = a.communities.to_crs("EPSG:4326").total_bounds
    centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    dual = _OfflineDualMap(
        location=centre, layout=layout, tiles=None, zoom_start=13, control_scale=True
    )
    js, css = maps.leaflet_assets()
    dual.get_root().header.add_child(
        folium.Element(  # type: ignore[attr-defined]
            f'<link rel="icon" href="data:,"><style>{css}</style><script>{js}</script>'
        ),
        name="gp_leaflet_inline",
        index=0,
    )
    for m, scenario, results in ((dual.m1, left, a), (dual.m2, right, b)):
        m.default_js = []
        m.default_css = []
        folium.TileLayer(
            tiles=maps.OSM_URL,
            attr=maps.OSM_ATTRIBUTION,
            max_zoom=19,
            name=tr("map_base_osm", lang),
        ).add_to(m)
        _side_layers(m, scenario, results, lang=lang)
    dual.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    allowed = [maps.OSM_URL, *getattr(maps, "LINK_ONLY_URLS", ())]
    dual._gp_allowed_urls = allowed  # type: ignore[attr-defined]
    return dual


def render_dual_map(dual: folium.plugins.DualMap) -> str:
    """The page of a :func:`dual_map`, checked to load nothing but basemap tiles."""
    from gis_planner.render.onemap import page as maps

    page = dual.get_root().render()
    maps.check_offline(page, getattr(dual, "_gp_allowed_urls", [maps.OSM_URL]))
    return page


def write_dual_map(
    left: Scenario,
    right: Scenario,
    path: str | Path,
    *,
    year: int | None = None,
    lang: str | None = None,
    layout: str = "horizontal",
) -> Path:
    """Write :func:`dual_map` of two scenarios to ``path`` (one self-contained page)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        render_dual_map(dual_map(left, right, year=year, lang=lang, layout=layout)),
        encoding="utf-8",
    )
    return path
