"""The one-map (数字社区一张图, R9 四(八)): every layer of a run on one self-contained page.

:func:`build_map` turns a run's :class:`~gis_planner.pipeline.Results` into a
:class:`folium.Map`; :func:`write_map` renders it to ``map.html``. The page works from a USB
stick on an intranet with no internet:

- **Offline.** Leaflet (vendored from the npm registry into ``data/vendor/leaflet``, images
  inlined as data URIs) and the page's own script and style are inlined. folium's CDN
  resources (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped; premises icons
  are one Chinese character per function in a CSS circle. After rendering, every
  ``http(s)://`` URL left in the page is checked against the basemap tile templates and a
  short list of links that load nothing (attributions, the SVG namespace): any other URL
  raises :class:`MapResourceError`. With no network only the basemap stays blank.
- **Layers.** Communities coloured by premises status (R1) with the shortfall, estates by
  open-to-enclosed status (R6), premises sized by floor area, the walking reach of the
  premises and the estates beyond it (R7), estates without property management (R8), planned
  roads, development parcels and the county outline — each switchable in the layer control,
  each colour explained in the legend with the run's summary figures and the data note.
- **Proposals (R7).** With ``results.layout`` (:func:`gis_planner.pipeline.propose_layout`):
  the proposed communities (dashed outline coloured by ``change``; before/after households,
  staffing, required area and the decision note), the new premises sites of the set cover
  (``lscp``) and of the best p sites (``mclp``) as two layers of badges showing the
  priority, and the walking paths and barriers the proposals used — all off on opening; the
  legend gets a folded section (unfolded when one is switched on) and summary rows
  (households beyond the walking distance now → with the sites). Without ``layout`` the page
  is as before.
- **Basemaps.** OpenStreetMap, Tianditu (天地图, CGCS2000 ≈ WGS84: no shift; needs a key) and
  none, as base layers; Amap/Gaode only with ``basemap="amap"``, and then the overlays are
  shifted to GCJ-02 *for display only* (:func:`gis_planner.crs.geometries_wgs84_to_gcj02`).
- **Safe text.** Names and every other input text travel as JSON data (``<``, ``>``, ``&``
  and ``/`` escaped) and are put on the page with ``textContent``; the legend's input text is
  ``html.escape``-d. An estate called ``<img src=x onerror=alert(1)>`` shows as text.
- **Small.** Geometry is simplified by 1 m in EPSG:4549 and coordinates rounded to 6
  decimals (≈ 0.1 m) — for display only; popups carry only the fields they show.
- **Same figures.** Popup figures are rounded exactly as ``communities.geojson`` is
  (:func:`gis_planner.render.runfolder.write_run`).

The page sets ``window.__mapReady = true`` (and ``window.__mapReadyMs``, milliseconds from
navigation start) once every layer is drawn; the browser tests and the benchmark wait for it.
"""

from __future__ import annotations

import base64
import logging
import math
import os
import re
import secrets
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from gis_planner import crs as crs_mod
from gis_planner.i18n import LANGS, label, tr, value_label
from gis_planner.render.escape import html_text, json_for_script

log = logging.getLogger(__name__)

BASEMAPS = ("osm", "tianditu", "amap", "none")
TIANDITU_KEY_ENV = "TIANDITU_KEY"

#: Display-only simplification tolerance, metres in the working CRS (EPSG:4549).
SIMPLIFY_TOLERANCE_M = 1.0
#: The walking-reach outline (a union of circles) is drawn with a coarser tolerance.
REACH_SIMPLIFY_TOLERANCE_M = 5.0
#: Display coordinates: decimals of a degree (6 ≈ 0.1 m).
COORDINATE_DECIMALS = 6

VENDOR_DIR = Path(__file__).resolve().parents[2] / "data" / "vendor"
LEAFLET_DIR = VENDOR_DIR / "leaflet"

# --------------------------------------------------------------------------- basemaps

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
# Web-Mercator ("_w") WMTS tiles; vec = streets, cva/eva = Chinese/English annotation.
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTRIBUTION = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a> GS(2024)0568号'
AMAP_URL = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
AMAP_ATTRIBUTION = '&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>'

#: Hosts the page may request: basemap tiles, and nothing else.
TILE_HOSTS = {
    "osm": ("tile.openstreetmap.org",),
    "tianditu": tuple(f"t{i}.tianditu.gov.cn" for i in range(8)),
    "amap": tuple(f"webrd0{i}.is.autonavi.com" for i in range(1, 5)),
    "none": (),
}

#: URLs that may appear in the page because they load nothing: links and namespaces.
LINK_ONLY_URLS = (
    "https://leafletjs.com",  # Leaflet's licence header and attribution link
    "http://www.w3.org/2000/svg",  # the SVG namespace in Leaflet's code
    "https://www.openstreetmap.org/copyright",
    "https://www.tianditu.gov.cn/",
    "https://www.amap.com/",
)

# --------------------------------------------------------------------------- styles

COMMUNITY_COLOURS = {"meets": "#31a354", "short": "#fe9929", "none": "#de2d26"}
ESTATE_COLOURS = {
    "candidate": "#08519c",
    "candidate_exception": "#6baed6",
    "needs_survey": "#807dba",
    "needs_review": "#dd3497",
    "not_suitable": "#525252",
    "not_applicable": "#d9d9d9",
}
NO_STATUS_COLOUR = "#969696"
PREMISES_COLOUR = "#00695c"
#: One character per premises function: the marker's icon.
FUNCTION_ICONS = {
    "party_service_centre": "党",
    "service_centre": "便",
    "work_rooms": "工",
    "elderly_care": "养",
    "neighbourhood_centre": "邻",
    "children_home": "儿",
    "health_station": "卫",
    "infant_care": "婴",
    "other": "他",
}
#: Marker diameter in px = clamp(base + factor × √floor area), so area reads as circle size.
MARKER_PX = {"base": 12.0, "per_sqrt_m2": 0.35, "min": 14, "max": 36}
LEGEND_MARKER_AREAS_M2 = (100, 1000, 3000)

STYLES: dict[str, dict[str, Any]] = {
    "communities": {"color": "#252525", "weight": 1.5, "fillOpacity": 0.35, "opacity": 0.9},
    "estates": {"color": "#252525", "weight": 0.8, "fillOpacity": 0.7, "opacity": 0.8},
    "reach": {
        "color": "#1d91c0",
        "weight": 1,
        "fillColor": "#41b6c4",
        "fillOpacity": 0.15,
        "interactive": False,
    },
    "outside": {"color": "#000000", "weight": 2.5, "dashArray": "5 4", "fill": False},
    "no_pm": {
        "color": "#8c510a",
        "weight": 2.5,
        "dashArray": "1 5",
        "lineCap": "round",
        "fill": False,
    },
    "roads": {"color": "#d7301f", "weight": 3, "dashArray": "10 6", "opacity": 0.9},
    "parcels": {"color": "#b15928", "weight": 2, "fillColor": "#ffff99", "fillOpacity": 0.6},
    "outline": {
        "color": "#3f007d",
        "weight": 2,
        "dashArray": "12 4 2 4",
        "fill": False,
        "interactive": False,
    },
    # R7 layout proposals: the outline's colour is the change (CHANGE_COLOURS); the nearly
    # transparent fill only makes the whole community clickable
    "proposed": {"weight": 3, "opacity": 0.95, "dashArray": "8 5", "fillOpacity": 0.04},
    "paths": {"color": "#4d4d4d", "weight": 1.2, "opacity": 0.75, "interactive": False},
    "barriers": {
        "color": "#08306b",
        "weight": 4,
        "opacity": 0.85,
        "fillColor": "#4292c6",
        "fillOpacity": 0.3,
    },
}
#: Proposed communities (R7): outline colour by the (first) change, as in ``change``.
CHANGE_COLOURS = {
    "split": "#e7298a",
    "merged": "#2166ac",
    "enlarged": "#00a6ca",
    "rebalanced": "#d95f02",
    "unchanged": "#737373",
    "no_proposal": "#000000",  # out of range, and no proposal could be made
}
#: Unchanged communities are drawn thinner: the proposal is about the others.
CHANGE_STYLES = {"unchanged": {"weight": 1.5, "opacity": 0.8}}
#: Proposed sites (R7): badge colour by model; the badge shows the site's priority.
SITE_COLOURS = {"lscp": "#54278f", "mclp": "#c51b1b"}
#: The badge sits left (lscp) or right (mclp) of the site, its tip on it: both stay readable
#: where the two models choose the same site.
SITE_SIDES = {"lscp": "left", "mclp": "right"}
#: Order of the overlays in the layer control.
LAYER_ORDER = (
    "communities",
    "estates",
    "premises",
    "reach",
    "outside",
    "no_pm",
    "roads",
    "parcels",
    "outline",
    "proposed",
    "sites_lscp",
    "sites_mclp",
    "paths",
    "barriers",
)
#: The R7 proposal overlays: only with ``results.layout``, all off on opening.
PROPOSAL_LAYERS = ("proposed", "sites_lscp", "sites_mclp", "paths", "barriers")
#: Stacking of the overlays (Leaflet panes between the tiles (200) and markers (600)).
PANES = {
    "communities": 401,
    "reach": 402,
    "estates": 403,
    "parcels": 404,
    "outside": 405,
    "no_pm": 406,
    "roads": 407,
    "outline": 408,
    "paths": 409,
    "barriers": 410,
    "proposed": 411,
}


class MapResourceError(RuntimeError):
    """The rendered page would load something other than basemap tiles."""


# --------------------------------------------------------------------------- vendored assets


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS, ready to inline: images as data URIs, no source-map comment."""
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments hold bug-tracker URLs

    def data_uri(match: re.Match[str]) -> str:
        image = LEAFLET_DIR / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    for text, tag in ((js, "script"), (css, "style")):
        if f"</{tag}" in text.lower():
            raise MapResourceError(f"vendored Leaflet contains '</{tag}': cannot be inlined")
    return js, css


# --------------------------------------------------------------------------- text and values


class _Slots:
    """Text put into the page only after all templating, so that Jinja2 never sees data.

    folium/branca compile each element's macro output a second time as a Jinja2 template
    (``branca.element.Element``), so anything a macro prints must be code we wrote. Data
    (layers' JSON, legend, data note, title) and the inlined assets are replaced by opaque
    tokens while the page is rendered; :meth:`fill` then swaps every token, once, for its
    text. The nonce keeps input text from guessing a token.
    """

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        self._texts: dict[str, str] = {}
        self._pattern = re.compile(f"gpslot{self._nonce}n[0-9]+x")

    def add(self, text: str) -> str:
        token = f"gpslot{self._nonce}n{len(self._texts)}x"
        self._texts[token] = text
        return token

    def fill(self, page: str) -> str:
        found = self._pattern.findall(page)
        if sorted(found) != sorted(self._texts):
            raise MapResourceError("the page lost or repeated a data slot while rendering")
        return self._pattern.sub(lambda match: self._texts[match.group(0)], page)


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def format_number(value: object) -> str | None:
    """A figure as the popups show it: thousands separated, every decimal the output keeps.

    The value is expected rounded already (as the GeoJSON outputs are), so stripping the
    commas gives back the number written to ``communities.geojson``.

    Examples
    --------
    >>> format_number(2400.0), format_number(219700.5), format_number(7), format_number(None)
    ('2,400', '219,700.5', '7', None)
    """
    if _missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,}"


def _format(value: object, kind: str, lang: str) -> Any:
    """One popup value: a string, a list of strings (``list``), or None (row left out)."""
    if kind == "list":
        if isinstance(value, (list, tuple, np.ndarray)):
            items = [str(v) for v in value if not _missing(v) and str(v) != ""]
            return items or None
        if _missing(value) or value == "":
            return None
        return [str(value)]
    if _missing(value):
        return None
    if kind in ("int", "num"):
        return format_number(value)
    if kind == "year":
        return str(int(value))  # type: ignore[call-overload]
    if kind == "share":
        return f"{float(value) * 100:.1f}".rstrip("0").rstrip(".") + "%"  # type: ignore[arg-type]
    if kind == "bool":
        return str(value_label("yes" if bool(value) else "no", lang))
    if kind == "enum":
        return str(value_label(value, lang))
    if kind == "enums":  # comma-joined values, e.g. ``change`` = "split, enlarged"
        parts = [str(value_label(v.strip(), lang)) for v in str(value).split(",") if v.strip()]
        return ("、" if lang == "zh" else ", ").join(parts) or None
    if kind == "flag":  # a yes/no shown only when yes
        return str(value_label("yes", lang)) if bool(value) else None
    return str(value)


# (field or (field, field), kind[, label key]): the popup rows of each layer, in order. The
# label is ``label(field)`` (``staff_range`` for a range) unless a label key is given.
Row = tuple[str | tuple[str, str], str] | tuple[str | tuple[str, str], str, str]
COMMUNITY_ROWS: tuple[Row, ...] = (
    ("community_id", "text"),
    ("street", "text"),
    ("kind", "enum"),
    ("households", "int"),
    ("population_used", "int"),
    ("standard", "enum"),
    ("required_area_m2", "num"),
    ("premises_area_m2", "num"),
    ("shortfall_m2", "num"),
    ("premises_status", "enum"),
    ("service_centre_ok", "bool"),
    (("staff_min", "staff_max"), "range"),
    ("working_funds_yuan", "num"),
    ("cobuild_funds_yuan", "num"),
    ("subsidy_build_yuan", "num"),
    ("subsidy_rent_yuan_per_year", "num"),
    ("scale_status", "enum"),
    ("estates_count", "int"),
    ("households_covered", "int"),
    ("warnings", "list"),
)
ESTATE_ROWS: tuple[Row, ...] = (
    ("estate_id", "text"),
    ("community_name", "text"),
    ("street", "text"),
    ("households", "int"),
    ("enclosure_status", "enum"),
    ("enclosure_rank", "int"),
    ("enclosure_reasons", "list"),
    ("walls_included", "bool"),
    ("no_property_management", "bool"),
    ("built_year", "year"),
    ("enclosure", "enum"),
    ("property_management", "bool"),
    ("facade", "enum"),
    ("condition", "enum"),
    ("survey_participation", "share"),
    ("survey_support", "share"),
    ("commercial_frontage", "share"),
    ("road_crossing_m", "num"),
    ("nearest_premises_m", "num"),
    ("covered", "bool"),
)
PREMISES_ROWS: tuple[Row, ...] = (
    ("premises_id", "text"),
    ("community_name", "text"),
    ("function", "enum"),
    ("floor_area_m2", "num"),
    ("floor", "int"),
    ("tenure", "enum"),
    ("status", "enum"),
    ("cost_yuan", "num"),
    ("annual_rent_yuan", "num"),
    ("subsidy_build_yuan", "num"),
    ("subsidy_rent_yuan_per_year", "num"),
    ("subsidy_note", "text"),
)
ROAD_ROWS: tuple[Row, ...] = (("road_id", "text"),)
PARCEL_ROWS: tuple[Row, ...] = (
    ("parcel_id", "text"),
    ("planned_households", "int"),
    ("residential_floor_area_m2", "num"),
    ("delivery_year", "year"),
)
# R7 layout proposals: before and after side by side, then the decision.
PROPOSED_ROWS: tuple[Row, ...] = (
    ("community_id", "text"),
    ("street", "text"),
    ("change", "enums"),
    ("source_ids", "text"),
    ("decision_note", "list"),
    ("estates_count", "int"),
    ("households_before", "int"),
    ("households", "int", "households_after"),
    ("scale_status_before", "enum"),
    ("scale_status", "enum", "scale_status_after"),
    (("staff_min_before", "staff_max_before"), "range", "staff_range_before"),
    (("staff_min", "staff_max"), "range", "staff_range_after"),
    ("standard", "enum"),
    ("required_area_m2_before", "num"),
    ("required_area_m2", "num", "required_area_m2_after"),
    ("premises_area_m2", "num"),
    ("shortfall_m2", "num"),
    ("area_m2", "num"),
    ("compactness", "num"),
    ("contiguous", "bool"),
    ("divided", "flag"),
)
SITE_ROWS: tuple[Row, ...] = (
    ("priority", "int"),
    ("site_id", "text"),
    ("source", "enum"),
    ("community_name", "text"),
    ("households_newly_covered", "int"),
    ("estates_newly_covered", "int"),
    ("households_in_reach", "int"),
    ("max_floor_area_m2", "num"),
)
BARRIER_ROWS: tuple[Row, ...] = (("barrier_id", "text"), ("barrier_kind", "text"))


def _rows(
    frame: pd.DataFrame, rows: Sequence[Row], lang: str
) -> tuple[list[dict[str, Any]], list[Callable[[Any], Any]]]:
    """The popup schema of the rows ``frame`` has, and a formatter per row."""

    def pair(low: str, high: str) -> Callable[[Any], Any]:
        def get(row: Any) -> Any:
            if _missing(row[low]) or _missing(row[high]):
                return None
            return [format_number(row[low]), format_number(row[high])]

        return get

    def single(field: str, kind: str) -> Callable[[Any], Any]:
        def get(row: Any) -> Any:
            return _format(row[field], kind, lang)

        return get

    schema: list[dict[str, Any]] = []
    getters: list[Callable[[Any], Any]] = []
    for row in rows:
        fields, kind = row[0], row[1]
        label_key = row[2] if len(row) > 2 else None  # type: ignore[misc]
        if isinstance(fields, tuple):  # a range, e.g. staffing min–max
            low, high = fields
            if low not in frame or high not in frame:
                continue
            schema.append(
                {"l": label(label_key or "staff_range", lang), "t": "range", "f": [low, high]}
            )
            getters.append(pair(low, high))
            continue
        if fields not in frame:
            continue
        schema.append(
            {
                "l": label(label_key or fields, lang),
                "t": "list" if kind == "list" else "text",
                "f": fields,
            }
        )
        getters.append(single(fields, kind))
    return schema, getters


def _round_like_outputs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Round figures exactly as the GeoJSON outputs are, so popups show the same numbers."""
    from gis_planner.render.text import round_floats

    return round_floats(frame)


# --------------------------------------------------------------------------- geometry


def _to_display(
    geoms: gpd.GeoSeries, *, shift: bool, simplify: bool, tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> np.ndarray:
    """Geometries for the page: simplified (metres), lon/lat, GCJ-02 when ``shift``, rounded."""
    if geoms.crs is None:
        raise ValueError(
            "a layer handed to the map has no CRS; Results layers are in the "
            "working CRS (load_layers + analyse give them one)"
        )
    if not geoms.crs.is_projected:  # simplify in metres, in the layer's own 3-degree zone
        geoms = geoms.to_crs(crs_mod.working_crs_for(geoms))
    values = geoms.values
    if simplify:
        values = shapely.simplify(np.asarray(values), tolerance_m, preserve_topology=True)
    out = gpd.GeoSeries(values, crs=geoms.crs).to_crs(crs_mod.WEB_CRS).values
    out = np.asarray(out)
    if shift:
        out = crs_mod.geometries_wgs84_to_gcj02(out)
    return shapely.transform(out, lambda c: np.round(c, COORDINATE_DECIMALS))


def _mapping(geom: shapely.Geometry) -> dict[str, Any] | None:
    if geom is None or shapely.is_empty(geom):
        return None
    return shapely.geometry.mapping(geom)


def _latlng(point: shapely.Geometry) -> list[float]:
    return [round(point.y, COORDINATE_DECIMALS), round(point.x, COORDINATE_DECIMALS)]


def _marker_px(area_m2: object) -> int:
    area = 0.0 if _missing(area_m2) else max(float(area_m2), 0.0)  # type: ignore[arg-type]
    size = MARKER_PX["base"] + MARKER_PX["per_sqrt_m2"] * math.sqrt(area)
    return int(round(min(max(size, MARKER_PX["min"]), MARKER_PX["max"])))


# --------------------------------------------------------------------------- layer data


def _features(
    frame: gpd.GeoDataFrame,
    rows: Sequence[Row],
    *,
    lang: str,
    shift: bool,
    id_field: str | None,
    key_field: str | None,
    points: bool = False,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Compact feature records ``{g, c, k, n, i, v, ...}`` and the popup schema."""
    shown = _round_like_outputs(frame)
    schema, getters = _rows(shown, rows, lang)
    if points:
        anchors = _to_display(
            gpd.GeoSeries(frame.geometry.representative_point(), crs=frame.crs),
            shift=shift,
            simplify=False,
        )
        geoms = np.full(len(frame), None, dtype=object)
    else:
        geoms = _to_display(frame.geometry, shift=shift, simplify=True)
        anchors = _to_display(
            gpd.GeoSeries(frame.geometry.representative_point(), crs=frame.crs),
            shift=shift,
            simplify=False,
        )
    records: list[dict[str, Any]] = []
    for position, (_, row) in enumerate(shown.iterrows()):
        anchor = anchors[position]
        if anchor is None or shapely.is_empty(anchor):
            continue
        record: dict[str, Any] = {}
        if not points:
            geometry = _mapping(geoms[position])
            if geometry is None:
                continue
            record["g"] = geometry
        record["c"] = _latlng(anchor)
        if key_field and key_field in row and not _missing(row[key_field]):
            record["k"] = str(row[key_field])
        name = row.get("name")
        if not _missing(name) and str(name) != "":
            record["n"] = str(name)
        if id_field and not _missing(row.get(id_field)):
            record["i"] = str(row[id_field])
        record["v"] = [get(row) for get in getters]
        if extra is not None:
            record.update(extra(row))
        records.append(record)
    return records, schema


def _status_labels(colours: dict[str, str], lang: str) -> dict[str, str]:
    return {k: str(value_label(k, lang)) for k in colours}


def _index_of(schema: list[dict[str, Any]], field: str) -> int | None:
    for i, row in enumerate(schema):
        if row["f"] == field:
            return i
    return None


def _tips(schema: list[dict[str, Any]], *items: tuple[str, ...]) -> list[list[Any]]:
    """Tooltip parts: ``[row index, template with {v}]`` for the rows present.

    An item ``(field, template, other field)`` also fills ``{w}`` with the other row's value:
    ``[row index, template, other index]``.
    """
    out: list[list[Any]] = []
    for field, template, *other in items:
        index = _index_of(schema, field)
        if index is None:
            continue
        if other:
            second = _index_of(schema, other[0])
            if second is not None:
                out.append([index, template, second])
            continue
        out.append([index, template])
    return out


def _layer_data(results: Any, *, lang: str, shift: bool) -> dict[str, dict[str, Any]]:
    """Every overlay's records, popup schema, style and labels, in display order."""
    data = results.data
    distance = float(results.rules.layout.walking_distance_m)
    layers: dict[str, dict[str, Any]] = {}
    communities = results.communities
    names = communities.set_index("community_id")["name"] if "name" in communities else None
    unassigned = tr("map_unassigned", lang)

    # communities (R1 status, shortfall)
    records, schema = _features(
        communities,
        COMMUNITY_ROWS,
        lang=lang,
        shift=shift,
        id_field="community_id",
        key_field="premises_status",
    )
    layers["communities"] = {
        "name": tr("map_layer_communities", lang),
        "kind": tr("map_kind_community", lang),
        "type": "shape",
        "features": records,
        "rows": schema,
        "search": True,
        "colours": COMMUNITY_COLOURS,
        "labels": _status_labels(COMMUNITY_COLOURS, lang),
        "style": STYLES["communities"],
        "tip": _tips(
            schema,
            ("premises_status", "{v}"),
            ("shortfall_m2", tr("map_shortfall", lang, value="{v}")),
        ),
    }

    premises = results.premises
    # reach of the counted premises (R7), computed by the pipeline
    reach = results.reach
    if reach is not None:
        reach_display = _to_display(
            gpd.GeoSeries([reach], crs=results.communities.crs),
            shift=shift,
            simplify=True,
            tolerance_m=REACH_SIMPLIFY_TOLERANCE_M,
        )[0]
        layers["reach"] = {
            "name": tr("map_layer_reach", lang, distance=distance),
            "type": "shape",
            "features": [{"g": _mapping(reach_display)}],
            "style": STYLES["reach"],
        }

    estates = results.estates
    if estates is not None and len(estates):
        frame = estates.copy()
        if "community_name" in frame:
            frame["community_name"] = (
                frame["community_name"]
                .astype(object)
                .where(frame["community_name"].notna(), unassigned)
            )

        def estate_flags(row: Any) -> dict[str, Any]:
            flags = {}
            if "covered" in row and not _missing(row["covered"]) and not bool(row["covered"]):
                flags["o"] = 1
            if (
                "no_property_management" in row
                and not _missing(row["no_property_management"])
                and bool(row["no_property_management"])
            ):
                flags["m"] = 1
            return flags

        records, schema = _features(
            frame,
            ESTATE_ROWS,
            lang=lang,
            shift=shift,
            id_field="estate_id",
            key_field="enclosure_status",
            extra=estate_flags,
        )
        layers["estates"] = {
            "name": tr("map_layer_estates", lang),
            "kind": tr("map_kind_estate", lang),
            "type": "shape",
            "features": records,
            "rows": schema,
            "search": True,
            "colours": ESTATE_COLOURS,
            "labels": _status_labels(ESTATE_COLOURS, lang),
            "style": STYLES["estates"],
            "tip": _tips(schema, ("enclosure_status", "{v}")),
        }
        if any(r.get("o") for r in records):
            layers["outside"] = {
                "name": tr("map_layer_outside", lang, distance=distance),
                "type": "derived",
                "source": "estates",
                "flag": "o",
                "style": STYLES["outside"],
                "tip": _tips(
                    schema, ("nearest_premises_m", f"{label('nearest_premises_m', lang)} {{v}}")
                ),
            }
        if any(r.get("m") for r in records):
            layers["no_pm"] = {
                "name": tr("map_layer_no_pm", lang),
                "type": "derived",
                "source": "estates",
                "flag": "m",
                "style": STYLES["no_pm"],
                "show": False,
                "tip": _tips(
                    schema, ("no_property_management", label("no_property_management", lang))
                ),
            }

    if data.development_parcels is not None and len(data.development_parcels):
        records, schema = _features(
            data.development_parcels,
            PARCEL_ROWS,
            lang=lang,
            shift=shift,
            id_field="parcel_id",
            key_field=None,
        )
        layers["parcels"] = {
            "name": tr("map_layer_parcels", lang),
            "kind": tr("map_kind_parcel", lang),
            "type": "shape",
            "features": records,
            "rows": schema,
            "search": True,
            "style": STYLES["parcels"],
            "tip": _tips(
                schema, ("planned_households", f"{label('planned_households', lang)} {{v}}")
            ),
        }

    if data.planned_roads is not None and len(data.planned_roads):
        records, schema = _features(
            data.planned_roads,
            ROAD_ROWS,
            lang=lang,
            shift=shift,
            id_field="road_id",
            key_field=None,
        )
        layers["roads"] = {
            "name": tr("map_layer_roads", lang),
            "kind": tr("map_kind_road", lang),
            "type": "shape",
            "features": records,
            "rows": schema,
            "style": STYLES["roads"],
            "tip": _tips(schema, ("road_id", "{v}")),
        }

    if premises is not None and len(premises):
        frame = premises.copy()
        if names is not None and "community_id" in frame:
            frame["community_name"] = frame["community_id"].map(names).astype(object)
            frame["community_name"] = frame["community_name"].where(
                frame["community_name"].notna(), unassigned
            )

        def premises_flags(row: Any) -> dict[str, Any]:
            flags: dict[str, Any] = {"z": _marker_px(row.get("floor_area_m2"))}
            if row.get("status") == "planned":
                flags["pl"] = 1
            return flags

        records, schema = _features(
            frame,
            PREMISES_ROWS,
            lang=lang,
            shift=shift,
            id_field="premises_id",
            key_field="function",
            points=True,
            extra=premises_flags,
        )
        layers["premises"] = {
            "name": tr("map_layer_premises", lang),
            "kind": tr("map_kind_premises", lang),
            "type": "marker",
            "features": records,
            "rows": schema,
            "search": True,
            "icons": FUNCTION_ICONS,
            "colour": PREMISES_COLOUR,
            "tip": _tips(schema, ("function", "{v}"), ("floor_area_m2", "{v} m²")),
        }

    if data.county_outline is not None and len(data.county_outline):
        outline = _to_display(data.county_outline.geometry, shift=shift, simplify=True)
        layers["outline"] = {
            "name": tr("map_layer_outline", lang),
            "type": "shape",
            "features": [{"g": g} for g in map(_mapping, outline) if g is not None],
            "style": STYLES["outline"],
        }

    layout = getattr(results, "layout", None)
    if layout is not None:
        layers.update(_proposal_layers(results, layout, lang=lang, shift=shift, names=names))

    ordered = {k: layers[k] for k in LAYER_ORDER if k in layers}
    for key, layer in ordered.items():
        layer["pane"] = "markerPane" if layer["type"] == "marker" else f"gp-{key}"
    return ordered


def _primary_change(value: object) -> str:
    """The colour key of a proposed community: its first change other than "unchanged"."""
    parts = [] if _missing(value) else [p.strip() for p in str(value).split(",") if p.strip()]
    changed = [p for p in parts if p != "unchanged"]
    return changed[0] if changed else "unchanged"


def _decision_notes(decisions: pd.DataFrame | None, lang: str) -> dict[str, list[str]]:
    """The decision notes each proposed community shows, by proposed ``community_id``.

    A decision concerns one original community out of range; it is shown in every proposed
    community it names in ``proposed_ids`` — as is in the community of the same code, and
    prefixed with the original community's name elsewhere (e.g. the community it merged into).
    """
    notes: dict[str, list[str]] = {}
    if decisions is None or not len(decisions):
        return notes
    for _, row in decisions.iterrows():
        note = row.get("note")
        if _missing(note) or str(note) == "":
            continue
        own = str(row["community_id"])
        ids = [s.strip() for s in str(row.get("proposed_ids") or "").split(",") if s.strip()]
        name = row.get("name")
        name = own if _missing(name) or str(name) == "" else str(name)
        for target in ids or [own]:
            text = (
                str(note)
                if target == own
                else tr("map_decision_of", lang, name=name, id=own, note=note)
            )
            notes.setdefault(target, []).append(text)
    return notes


def _line_parts(geoms: np.ndarray) -> shapely.Geometry | None:
    """Every line of ``geoms`` as one MultiLineString (one record: no per-feature overhead)."""
    geoms = np.asarray(
        [g for g in geoms if g is not None and not shapely.is_empty(g)], dtype=object
    )
    if not len(geoms):
        return None
    parts = shapely.get_parts(geoms)
    lines = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # LineString, LinearRing
    if not len(lines):
        return None
    return shapely.multilinestrings(lines)


def _proposal_layers(
    results: Any, layout: Any, *, lang: str, shift: bool, names: pd.Series | None
) -> dict[str, dict[str, Any]]:
    """The R7 proposal overlays (all off on opening): proposed communities, the sites of both
    models, and the walking paths and barriers the proposals used."""
    layers: dict[str, dict[str, Any]] = {}
    data = results.data

    boundaries = getattr(layout, "boundaries", None)
    proposed = getattr(boundaries, "communities", None)
    if proposed is not None and len(proposed):
        decisions = getattr(boundaries, "decisions", None)
        notes = _decision_notes(decisions, lang)
        unresolved: set[str] = set()
        if decisions is not None and len(decisions) and "action" in decisions:
            unresolved = set(
                decisions.loc[decisions["action"] == "no_proposal", "community_id"].astype(str)
            )
        frame = proposed.copy()
        ids = frame["community_id"].astype(str)
        frame["decision_note"] = pd.Series(
            [notes.get(i) for i in ids], index=frame.index, dtype=object
        )
        frame["change_key"] = [
            "no_proposal" if i in unresolved else _primary_change(c)
            for i, c in zip(
                ids, frame.get("change", pd.Series(None, index=frame.index)), strict=True
            )
        ]
        records, schema = _features(
            frame,
            PROPOSED_ROWS,
            lang=lang,
            shift=shift,
            id_field="community_id",
            key_field="change_key",
        )
        layers["proposed"] = {
            "name": tr("map_layer_proposed", lang),
            "kind": tr("map_kind_proposed", lang),
            "type": "shape",
            "features": records,
            "rows": schema,
            "search": True,
            "colours": CHANGE_COLOURS,
            "labels": _status_labels(CHANGE_COLOURS, lang),
            "stroke": True,
            "keyStyle": CHANGE_STYLES,
            "style": STYLES["proposed"],
            "show": False,
            "proposal": True,
            "tip": _tips(
                schema,
                ("change", "{v}"),
                (
                    "households_before",
                    tr("map_households_change", lang, before="{v}", after="{w}"),
                    "households",
                ),
            ),
        }

    siting = getattr(layout, "siting", None)
    sites = getattr(siting, "sites", None)
    if sites is not None and len(sites):
        frame = sites.copy()
        if names is not None and "community_id" in frame:
            frame["community_name"] = frame["community_id"].map(names).astype(object)

        def badge(row: Any) -> dict[str, Any]:
            priority = format_number(row.get("priority")) or ""
            return {"p": priority, "z": 22 if len(priority) <= 2 else 30}

        for model in SITE_COLOURS:
            chosen = frame[frame["model"] == model]
            if not len(chosen):
                continue
            chosen = chosen.sort_values("priority", kind="stable")
            records, schema = _features(
                chosen,
                SITE_ROWS,
                lang=lang,
                shift=shift,
                id_field="site_id",
                key_field=None,
                points=True,
                extra=badge,
            )
            layers[f"sites_{model}"] = {
                "name": tr(f"map_layer_sites_{model}", lang, n=len(chosen)),
                "kind": tr(f"map_kind_site_{model}", lang),
                "type": "marker",
                "features": records,
                "rows": schema,
                "badge": SITE_SIDES[model],
                "colour": SITE_COLOURS[model],
                "show": False,
                "proposal": True,
                "tip": _tips(
                    schema,
                    ("priority", f"{label('priority', lang)} {{v}}"),
                    ("households_newly_covered", tr("map_newly_covered", lang, v="{v}")),
                ),
            }

    paths = getattr(data, "paths", None)
    if paths is not None and len(paths):
        lines = _line_parts(_to_display(paths.geometry, shift=shift, simplify=True))
        if lines is not None:
            layers["paths"] = {
                "name": tr("map_layer_paths", lang),
                "type": "shape",
                "features": [{"g": _mapping(lines)}],
                "style": STYLES["paths"],
                "show": False,
                "proposal": True,
            }

    barriers = getattr(data, "barriers", None)
    if barriers is not None and len(barriers):
        frame = barriers.copy()
        if "kind" in frame and "barrier_kind" not in frame:
            frame = frame.rename(columns={"kind": "barrier_kind"})
        records, schema = _features(
            frame, BARRIER_ROWS, lang=lang, shift=shift, id_field="barrier_id", key_field=None
        )
        if records:
            layers["barriers"] = {
                "name": tr("map_layer_barriers", lang),
                "kind": tr("map_kind_barrier", lang),
                "type": "shape",
                "features": records,
                "rows": schema,
                "style": STYLES["barriers"],
                "show": False,
                "proposal": True,
                "tip": _tips(schema, ("barrier_kind", "{v}")),
            }
    return layers


def _intern_strings(layers: dict[str, dict[str, Any]]) -> list[str]:
    """Replace every popup string by its index in one shared table (returned).

    Statuses, yes/no, community names and the reasons repeat across thousands of estates;
    sending each once keeps a county-sized page small. The page resolves them back.
    """
    table: list[str] = []
    index: dict[str, int] = {}

    def ref(text: str) -> int:
        position = index.get(text)
        if position is None:
            position = index[text] = len(table)
            table.append(text)
        return position

    for layer in layers.values():
        for feature in layer.get("features", []):
            values = feature.get("v")
            if values is None:
                continue
            feature["v"] = [
                None if v is None else [ref(x) for x in v] if isinstance(v, list) else ref(v)
                for v in values
            ]
    return table


def _bounds(layers: dict[str, dict[str, Any]]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the communities (the planning area)."""
    features = layers["communities"]["features"]
    geoms = [shapely.geometry.shape(f["g"]) for f in features if f.get("g")]
    if not geoms:
        return None
    west, south, east, north = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return [[float(south), float(west)], [float(north), float(east)]]


# --------------------------------------------------------------------------- legend


def _swatch(
    fill: str | None,
    stroke: str,
    *,
    dash: str | None = None,
    line: bool = False,
) -> str:
    if line:
        style = f"border-top:3px {'dashed' if dash else 'solid'} {stroke};height:0;margin-top:7px"
    else:
        border = f"2px {'dashed' if dash else 'solid'} {stroke}"
        style = f"background:{fill or 'transparent'};border:{border}"
    return f'<i class="gp-sw" style="{style}"></i>'


def _legend_html(
    results: Any, layers: dict[str, dict[str, Any]], *, lang: str, notes: list[str]
) -> str:
    """The legend: every colour of every layer, counts, the run's summary, the notes."""
    summary = results.summary or {}
    counts_c = results.communities["premises_status"].value_counts()
    name = getattr(results.data, "name", "")
    title = f"{tr('map_title', lang)} — {name}" if name else tr("map_title", lang)
    parts = [
        f'<div class="gp-head">{html_text(title)}</div>',
        f"<details open><summary>{html_text(tr('map_legend', lang))}</summary>",
        '<div class="gp-legend-body">',
    ]

    def section(title: str, entries: list[str]) -> None:
        parts.append(f'<div class="gp-sec"><b>{html_text(title)}</b>')
        parts.extend(f'<div class="gp-row">{e}</div>' for e in entries)
        parts.append("</div>")

    section(
        layers["communities"]["name"],
        [
            f"{_swatch(c, '#252525')}{html_text(value_label(k, lang))} "
            f'<span class="gp-n">{int(counts_c.get(k, 0))}</span>'
            for k, c in COMMUNITY_COLOURS.items()
        ],
    )
    if "estates" in layers:
        counts_e = (
            results.estates["enclosure_status"].value_counts()
            if "enclosure_status" in results.estates
            else pd.Series(dtype=int)
        )
        section(
            layers["estates"]["name"],
            [
                f"{_swatch(c, '#252525')}{html_text(value_label(k, lang))} "
                f'<span class="gp-n">{int(counts_e.get(k, 0))}</span>'
                for k, c in ESTATE_COLOURS.items()
            ],
        )
    reach_entries = []
    distance = float(results.rules.layout.walking_distance_m)
    if "reach" in layers:
        st = STYLES["reach"]
        reach_entries.append(
            f"{_swatch(st['fillColor'], st['color'])}"
            f"{html_text(tr('map_reach_note', lang, distance=distance))}"
        )
    if "outside" in layers:
        origin = tr(
            "map_origin_edge"
            if results.rules.layout.distance_from == "edge"
            else "map_origin_centroid",
            lang,
        )
        note = tr("map_outside_note", lang, distance=distance, origin=origin)
        reach_entries.append(
            f"{_swatch(None, STYLES['outside']['color'], dash='y')}{html_text(note)}"
        )
    if "no_pm" in layers:
        reach_entries.append(
            f"{_swatch(None, STYLES['no_pm']['color'], dash='y')}"
            f"{html_text(tr('map_no_pm_note', lang))}"
        )
    if reach_entries:
        section(tr("map_layer_reach", lang, distance=distance), reach_entries)
    if "premises" in layers:
        badges = "".join(
            f'<span class="gp-pin" title="{html_text(value_label(k, lang))}">{ch}</span>'
            f'<span class="gp-fn">{html_text(value_label(k, lang))}</span>'
            for k, ch in FUNCTION_ICONS.items()
        )
        sizes = " ".join(
            f'<span class="gp-pin gp-size" style="width:{_marker_px(a)}px;height:'
            f'{_marker_px(a)}px"></span>{a:,} m²'
            for a in LEGEND_MARKER_AREAS_M2
        )
        section(
            layers["premises"]["name"],
            [
                f'<div class="gp-fns">{badges}</div>',
                f'<span class="gp-pin"> </span>{html_text(tr("map_existing", lang))} '
                f'<span class="gp-pin gp-planned"> </span>{html_text(tr("map_planned", lang))}',
                html_text(tr("map_marker_size", lang, sizes="")) + sizes,
            ],
        )
    others = []
    if "roads" in layers:
        others.append(
            f"{_swatch(None, STYLES['roads']['color'], dash='y', line=True)}"
            f"{html_text(layers['roads']['name'])}"
        )
    if "parcels" in layers:
        st = STYLES["parcels"]
        others.append(
            f"{_swatch(st['fillColor'], st['color'])}{html_text(layers['parcels']['name'])}"
        )
    if "outline" in layers:
        others.append(
            f"{_swatch(None, STYLES['outline']['color'], dash='y', line=True)}"
            f"{html_text(layers['outline']['name'])}"
        )
    if others:
        section("", others)
    layout = getattr(results, "layout", None)
    if layout is not None:
        parts.append(_proposals_legend(results, layers, lang=lang))

    rows = [
        (tr("map_summary_communities", lang), format_number(summary.get("communities"))),
        (
            tr("map_summary_status", lang),
            " / ".join(format_number(summary.get(k, 0)) or "0" for k in ("meets", "short", "none")),
        ),
        (tr("summary_shortfall", lang), f"{format_number(summary.get('shortfall_m2', 0))} m²"),
        (tr("map_summary_households", lang), format_number(summary.get("households_total"))),
        (
            tr("summary_covered", lang, distance=distance),
            format_number(summary.get("households_covered")),
        ),
        (tr("map_summary_estates", lang), format_number(summary.get("estates"))),
        (tr("map_summary_premises", lang), format_number(summary.get("premises"))),
    ]
    if layout is not None:
        rows.extend(_proposal_summary_rows(results, layout, lang=lang, distance=distance))
    rows.append((tr("summary_warnings", lang), format_number(summary.get("warnings"))))
    parts.append('<table class="gp-summary">')
    parts.extend(
        f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in rows if v is not None
    )
    parts.append("</table>")
    parts.extend(f'<div class="gp-note-line">{html_text(n)}</div>' for n in notes)
    parts.append("</div></details>")
    return "".join(parts)


def _badge(model: str, text: str = "1") -> str:
    colour = SITE_COLOURS[model]
    return (
        f'<span class="gp-badge gp-badge-{SITE_SIDES[model]} gp-inline" '
        f'style="background:{colour};--gp-c:{colour}">{html_text(text)}</span>'
    )


def _proposals_legend(results: Any, layers: dict[str, dict[str, Any]], *, lang: str) -> str:
    """The R7 proposals' legend: folded until a proposal layer is switched on."""
    layout = results.layout
    summary = getattr(layout, "summary", None) or {}
    parts = [
        f'<details class="gp-proposals"><summary>{html_text(tr("map_proposals", lang))}</summary>'
    ]

    def section(title: str, entries: list[str]) -> None:
        parts.append(
            f'<div class="gp-sec"><b>{html_text(title)}</b>' if title else '<div class="gp-sec">'
        )
        parts.extend(f'<div class="gp-row">{e}</div>' for e in entries)
        parts.append("</div>")

    if "proposed" in layers:
        counts = pd.Series(
            [f.get("k") for f in layers["proposed"]["features"]], dtype=object
        ).value_counts()
        rules = results.rules.layout
        entries = [
            f"{_swatch(None, colour, dash='y')}{html_text(value_label(key, lang))} "
            f'<span class="gp-n">{int(counts.get(key, 0))}</span>'
            for key, colour in CHANGE_COLOURS.items()
            if key != "no_proposal" or counts.get(key, 0)
        ]
        entries.append(
            html_text(
                tr(
                    "map_proposed_note",
                    lang,
                    minimum=int(rules.households_min),
                    maximum=int(rules.households_max),
                )
            )
        )
        section(layers["proposed"]["name"], entries)
    sites = []
    for model in SITE_COLOURS:
        key = f"sites_{model}"
        if key not in layers:
            continue
        households = format_number(summary.get(f"{model}_households_newly_covered"))
        note = tr(
            f"map_sites_{model}_note",
            lang,
            n=len(layers[key]["features"]),
            households=households or "–",
        )
        sites.append(
            f"{_badge(model)}{html_text(layers[key]['name'])}"
            f'<div class="gp-sub">{html_text(note)}</div>'
        )
    if sites:
        sites.append(html_text(tr("map_sites_priority", lang)))
        section("", sites)
    others = []
    if "paths" in layers:
        others.append(
            f"{_swatch(None, STYLES['paths']['color'], line=True)}"
            f"{html_text(layers['paths']['name'])}"
        )
    if "barriers" in layers:
        st = STYLES["barriers"]
        others.append(
            f"{_swatch(st['fillColor'], st['color'])}{html_text(layers['barriers']['name'])}"
        )
    if others:
        section("", others)
    # ends with </p></details>, not </div></details>: the legend's own end stays unique
    parts.append('<p class="gp-hint"></p></details>')
    return "".join(parts)


def _proposal_summary_rows(
    results: Any, layout: Any, *, lang: str, distance: float
) -> list[tuple[str, str | None]]:
    """The legend summary's R7 rows: communities out of range, sites, households beyond."""
    s = getattr(layout, "summary", None) or {}

    def pair(a: str, b: str, sep: str) -> str | None:
        if s.get(a) is None or s.get(b) is None:
            return None
        return f"{format_number(s[a])}{sep}{format_number(s[b])}"

    return [
        (
            tr("map_summary_proposed", lang),
            pair("communities_out_of_range", "proposed_communities", " → "),
        ),
        (tr("map_summary_sites", lang), pair("lscp_sites", "mclp_sites", " / ")),
        (
            tr("map_summary_newly_covered", lang),
            pair("lscp_households_newly_covered", "mclp_households_newly_covered", " / "),
        ),
        (
            tr("map_summary_beyond", lang, distance=distance),
            pair("households_beyond_walk_now", "households_beyond_walk_with_sites", " → "),
        ),
    ]


def _note_html(results: Any, lang: str) -> str | None:
    """The visible note on the data (e.g. which layers are synthetic), when the run has one."""
    note = getattr(results.data, "data_note", None)
    if not note:
        return None
    text = note.get(lang) or note.get("zh") or next(iter(note.values()), "")
    if not text:
        return None
    title = tr("map_data_note", lang)
    name = getattr(results.data, "name", "")
    head = (
        f"{title}（{name}）" if lang == "zh" and name else (f"{title} ({name})" if name else title)
    )
    return f"<b>{html_text(head)}</b><br>{html_text(text)}"


# --------------------------------------------------------------------------- page parts

_CSS = """
.leaflet-container{background:#eef0ec;font:13px/1.4 "Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC","Source Han Sans SC",system-ui,sans-serif}
.leaflet-pane>svg{pointer-events:none}
.gp-popup{min-width:220px}
.gp-title{font-weight:700;font-size:15px;margin-bottom:2px}
.gp-kind{color:#666;font-size:12px}
.gp-status{margin:4px 0;font-weight:600}
.gp-fields{border-collapse:collapse;margin-top:4px}
.gp-fields th{text-align:left;font-weight:400;color:#555;padding:1px 8px 1px 0;
 vertical-align:top;white-space:nowrap}
.gp-fields td{padding:1px 0;font-variant-numeric:tabular-nums}
.gp-fields ul{margin:0;padding-left:16px}
.gp-sw{display:inline-block;width:14px;height:12px;margin-right:6px;vertical-align:-2px;
 box-sizing:border-box}
.gp-legend,.gp-note,.gp-search{background:rgba(255,255,255,.95);border-radius:4px;
 box-shadow:0 1px 5px rgba(0,0,0,.4)}
.gp-legend{padding:6px 10px;max-width:300px;font-size:12px;min-height:40px;overflow:auto;
 max-height:calc(100vh - 330px)}
.gp-legend summary{cursor:pointer;font-weight:700}
.gp-head{font-weight:700;font-size:14px;margin-bottom:4px}
.gp-sec{margin-top:6px}.gp-row{margin:2px 0}.gp-n{color:#666;font-size:12px}
.gp-fns{display:grid;grid-template-columns:repeat(2,auto 1fr);gap:2px 3px;align-items:center;
 font-size:12px}
.gp-summary{margin-top:6px;border-collapse:collapse}
.gp-summary th{text-align:left;font-weight:400;color:#555;padding-right:8px}
.gp-summary td{white-space:nowrap}
.gp-note-line{margin-top:4px;color:#7a4b00}
.gp-note{padding:6px 10px;max-width:420px;background:#fff8d6;border:1px solid #e0b000}
.gp-marker{background:none;border:none}
.gp-pin{display:inline-flex;align-items:center;justify-content:center;box-sizing:border-box;
 width:20px;height:20px;border-radius:50%;background:#00695c;color:#fff;border:2px solid #fff;
 box-shadow:0 0 0 1px #00695c;font-size:11px;font-weight:700;line-height:1;margin-right:3px;
 vertical-align:middle}
.gp-pin.gp-planned{background:#fff;color:#00695c;border:2px dashed #00695c;box-shadow:none}
.gp-marker .gp-pin{width:100%;height:100%;margin:0}
.gp-search{padding:4px;width:240px}
.gp-search input{width:100%;box-sizing:border-box;padding:4px 6px;font:inherit;
 border:1px solid #bbb;border-radius:3px}
.gp-search ul{list-style:none;margin:2px 0 0;padding:0;max-height:260px;overflow:auto}
.gp-search li{padding:3px 4px;cursor:pointer;border-bottom:1px solid #eee}
.gp-search li:hover,.gp-search li.gp-active{background:#e8f1fb}
.gp-search .gp-tag{color:#777;font-size:11px;margin-left:6px}
.gp-proposals{margin-top:6px;border-top:1px solid #ddd;padding-top:4px}
.gp-sub{color:#666;font-size:12px;margin-left:34px}
.gp-hint{margin:0}
.gp-site{background:none;border:none}
.gp-badge{position:relative;display:flex;align-items:center;justify-content:center;
 box-sizing:border-box;width:100%;height:100%;border-radius:4px;color:#fff;font-size:11px;
 font-weight:700;line-height:1;border:1.5px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.35)}
.gp-badge::after{content:"";position:absolute;top:50%;margin-top:-5px;border:5px solid transparent}
.gp-badge-left::after{left:100%;border-left-color:var(--gp-c)}
.gp-badge-right::after{right:100%;border-right-color:var(--gp-c)}
.gp-badge.gp-inline{display:inline-flex;width:20px;height:18px;margin:0 12px 0 0;
 vertical-align:middle}
.gp-badge-right.gp-inline{margin:0 4px 0 8px}
"""

# The page's own script: builds every layer from the JSON data with DOM methods only
# (textContent, never innerHTML for input text).
_JS = r"""
(function () {
  'use strict';
  var GP = window.GP = {layers: {}, index: []};
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function title(f) { return (f.n !== undefined && f.n !== '') ? f.n : (f.i || ''); }
  function str(x) { return typeof x === 'number' ? GP.data.strings[x] : x; }
  function style(spec, f) {
    var s = L.Util.extend({pane: spec.pane}, spec.style || {});
    if (spec.colours) {
      s.fillColor = (f.k !== undefined && spec.colours[f.k]) || GP.data.noStatusColour;
      if (spec.stroke) { s.color = s.fillColor; }
    }
    if (spec.keyStyle && f.k !== undefined && spec.keyStyle[f.k]) {
      L.Util.extend(s, spec.keyStyle[f.k]);
    }
    return s;
  }
  function popup(spec, f) {
    var box = el('div', 'gp-popup');
    box.appendChild(el('div', 'gp-title', title(f)));
    if (spec.kind) { box.appendChild(el('div', 'gp-kind', spec.kind)); }
    if (spec.labels && f.k !== undefined) {
      var st = el('div', 'gp-status');
      var sw = el('i', 'gp-sw');
      sw.style.background = spec.colours[f.k] || GP.data.noStatusColour;
      st.appendChild(sw);
      st.appendChild(document.createTextNode(spec.labels[f.k] || f.k));
      box.appendChild(st);
    }
    var table = el('table', 'gp-fields');
    spec.rows.forEach(function (row, i) {
      var v = f.v[i];
      if (v === null || v === undefined) { return; }
      var tr = el('tr');
      tr.appendChild(el('th', null, row.l));
      var td = el('td');
      if (row.t === 'range') {
        var a = el('span', null, str(v[0])), b = el('span', null, str(v[1]));
        a.setAttribute('data-field', row.f[0]);
        b.setAttribute('data-field', row.f[1]);
        td.appendChild(a); td.appendChild(document.createTextNode('–')); td.appendChild(b);
      } else if (row.t === 'list') {
        var ul = el('ul');
        v.forEach(function (x) { ul.appendChild(el('li', null, str(x))); });
        td.appendChild(ul);
        td.setAttribute('data-field', row.f);
      } else {
        td.textContent = str(v);
        td.setAttribute('data-field', row.f);
      }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }
  function tip(spec, f) {
    var parts = [title(f)];
    (spec.tip || []).forEach(function (t) {
      var v = f.v[t[0]], w = t.length > 2 ? f.v[t[2]] : '';
      if (v === null || v === undefined || w === null || w === undefined) { return; }
      parts.push(t[1].replace('{v}', function () { return str(v); })
                     .replace('{w}', function () { return str(w); }));
    });
    return el('div', null, parts.join(' · '));
  }
  function badge(spec, f) {
    // a proposed site: its priority on a flag whose tip is on the site (left or right of it)
    var w = f.z || 22, h = 20, gap = 4;
    var flag = el('span', 'gp-badge gp-badge-' + spec.badge, f.p);
    flag.style.background = spec.colour;
    flag.style.setProperty('--gp-c', spec.colour);
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-site', html: flag, iconSize: [w, h],
                       iconAnchor: spec.badge === 'left' ? [w + gap, h / 2] : [-gap, h / 2]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  function marker(spec, f) {
    if (spec.badge) { return badge(spec, f); }
    var d = f.z || 20;
    var pin = el('span', 'gp-pin' + (f.pl ? ' gp-planned' : ''),
                 spec.icons[f.k] || spec.icons.other);
    pin.style.fontSize = Math.max(10, Math.round(d * 0.5)) + 'px';
    return L.marker(f.c, {
      icon: L.divIcon({className: 'gp-marker', html: pin, iconSize: [d, d]}),
      pane: spec.pane, riseOnHover: true, keyboard: false
    });
  }
  GP.init = function (map, dataId) {
    GP.map = map;
    GP.data = JSON.parse(document.getElementById(dataId).textContent);
    Object.keys(GP.data.panes).forEach(function (name) {
      map.createPane(name).style.zIndex = GP.data.panes[name];
    });
    // switching on a proposal layer unfolds the proposals' legend
    map.on('overlayadd', function (e) {
      Object.keys(GP.layers).forEach(function (id) {
        var box = document.querySelector('.gp-proposals');
        if (box && GP.layers[id] === e.layer && GP.data.layers[id].proposal && !box.open) {
          box.open = true;
          var legend = box.closest('.gp-legend');
          if (legend) {
            legend.scrollTop += box.getBoundingClientRect().top -
              legend.getBoundingClientRect().top;
          }
        }
      });
    });
    if (GP.data.bounds) {
      // keep the planning area clear of the layer control and legend on wide screens
      var wide = map.getSize().x > 900;
      map.fitBounds(GP.data.bounds, {paddingTopLeft: [12, 12],
                                     paddingBottomRight: [wide ? 320 : 12, 12], animate: false});
    }
  };
  GP.layer = function (id) {
    var spec = GP.data.layers[id];
    var group = L.featureGroup();
    var features = spec.features, popupSpec = spec, searchable = spec.search;
    if (spec.type === 'derived') {
      popupSpec = GP.data.layers[spec.source];
      features = popupSpec.features.filter(function (f) { return f[spec.flag]; });
      searchable = false;
    }
    features.forEach(function (f) {
      var layer;
      if (spec.type === 'marker') {
        layer = marker(spec, f);
      } else {
        layer = L.GeoJSON.geometryToLayer({type: 'Feature', geometry: f.g, properties: {}},
                                          spec.type === 'derived'
                                            ? L.Util.extend({pane: spec.pane}, spec.style)
                                            : style(spec, f));
      }
      if (!layer) { return; }
      if (popupSpec.rows) {
        layer.bindPopup(function () { return popup(popupSpec, f); },
                        {maxWidth: 380, maxHeight: 460, autoPanPadding: [20, 20]});
      }
      if (spec.tip && (!spec.style || spec.style.interactive !== false)) {
        layer.bindTooltip(function () { return tip(spec, f); }, {sticky: true});
      }
      layer.gpFeature = f;
      group.addLayer(layer);
      if (searchable) {
        GP.index.push({key: (title(f) + ' ' + (f.i || '')).toLowerCase(), label: title(f),
                       id: f.i || '', kind: spec.kind, layer: layer, group: group, f: f});
      }
    });
    GP.layers[id] = group;
    return group;
  };
  GP.focus = function (hit) {
    var map = GP.map;
    if (!map.hasLayer(hit.group)) { map.addLayer(hit.group); }
    if (hit.layer.getBounds) {
      map.fitBounds(hit.layer.getBounds(), {maxZoom: 17, padding: [40, 40], animate: false});
    } else {
      map.setView(hit.layer.getLatLng(), Math.max(map.getZoom(), 16), {animate: false});
    }
    hit.layer.openPopup(hit.layer.getBounds ? L.latLng(hit.f.c) : undefined);
  };
  GP.search = function (map, texts) {
    var Search = L.Control.extend({
      options: {position: 'topleft'},
      onAdd: function () {
        var box = el('div', 'gp-search leaflet-control');
        var input = el('input');
        input.type = 'search';
        input.placeholder = texts.placeholder;
        input.setAttribute('aria-label', texts.placeholder);
        var list = el('ul');
        box.appendChild(input);
        box.appendChild(list);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        var hits = [];
        function show() {
          list.textContent = '';
          var q = input.value.trim().toLowerCase();
          if (!q) { hits = []; return; }
          hits = GP.index.filter(function (h) { return h.key.indexOf(q) >= 0; }).slice(0, 12);
          if (!hits.length) { list.appendChild(el('li', 'gp-none', texts.none)); return; }
          hits.forEach(function (h) {
            var li = el('li', null, h.label);
            if (h.id && h.id !== h.label) { li.appendChild(el('span', 'gp-tag', h.id)); }
            li.appendChild(el('span', 'gp-tag', h.kind));
            li.addEventListener('click', function () { GP.focus(h); });
            list.appendChild(li);
          });
        }
        input.addEventListener('input', show);
        input.addEventListener('keydown', function (e) {
          if (e.key === 'Enter' && hits.length) { GP.focus(hits[0]); }
        });
        return box;
      }
    });
    return new Search().addTo(map);
  };
  GP.panel = function (map, id, position) {
    var node = document.getElementById(id);
    var Panel = L.Control.extend({
      options: {position: position},
      onAdd: function () {
        node.hidden = false;
        L.DomEvent.disableClickPropagation(node);
        L.DomEvent.disableScrollPropagation(node);
        return node;
      }
    });
    return new Panel().addTo(map);
  };
  GP.ready = function () {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(function () {
        window.__mapReadyMs = performance.now();
        window.__mapReady = true;
        document.documentElement.setAttribute('data-map-ready', 'true');
      });
    });
  };
})();
"""


def _next_id(counter: list[int], prefix: str) -> str:
    counter[0] += 1
    return f"{prefix}{counter[0]}"


class _Assets(MacroElement):
    """Header: Leaflet and the page's own script and style, all inlined; no favicon request."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <link rel="icon" href="data:,">
        <style>{{ this.leaflet_css }}</style>
        <style>{{ this.css }}</style>
        <script>{{ this.leaflet_js }}</script>
        <script>{{ this.js }}</script>
        {% endmacro %}
    """)

    def __init__(self, slots: _Slots) -> None:
        super().__init__()
        self._name = "GpAssets"
        leaflet_js, leaflet_css = _leaflet_assets()
        self.leaflet_css, self.css = slots.add(leaflet_css), slots.add(_CSS)
        self.leaflet_js, self.js = slots.add(leaflet_js), slots.add(_JS)


class _Data(MacroElement):
    """Body: the layers' JSON and the legend/note panels; script: ``GP.init``."""

    _template = Template("""
        {% macro html(this, kwargs) %}
        <script type="application/json" id="{{ this.data_id }}">{{ this.json }}</script>
        <div id="{{ this.data_id }}-legend" class="gp-legend" hidden>{{ this.legend }}</div>
        {% if this.note -%}
        <div id="{{ this.data_id }}-note" class="gp-note" hidden>{{ this.note }}</div>
        {%- endif %}
        {% endmacro %}
        {% macro script(this, kwargs) %}
        GP.init({{ this._parent.get_name() }}, {{ this.data_id|tojson }});
        {% endmacro %}
    """)

    def __init__(
        self, data_id: str, payload: dict[str, Any], legend: str, note: str | None, slots: _Slots
    ) -> None:
        super().__init__()
        self._name = "GpData"
        self.data_id = data_id
        self.json = slots.add(json_for_script(payload))
        self.legend = slots.add(legend)
        self.note = slots.add(note) if note else None


class _Overlay(Layer):
    """One overlay built by the page's script from the JSON data."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = GP.layer({{ this.layer_id|tojson }});
        {% endmacro %}
    """)

    def __init__(self, layer_id: str, name: str, *, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GpOverlay"
        self.layer_id = layer_id


class _Basemap(Layer):
    """A base layer: a group of tile layers (Tianditu = streets + annotation), or none."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup([
        {%- for t in this.tiles %}
            L.tileLayer({{ t.url|tojson }}, {{ t.options|tojson }}),
        {%- endfor %}
        ]);
        {% endmacro %}
    """)

    def __init__(self, name: str, tiles: list[dict[str, Any]], *, show: bool) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "GpBasemap"
        self.tiles = tiles


class _Controls(MacroElement):
    """Search box, legend, data note, then ``GP.ready()`` once everything is on the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        GP.search({{ this._parent.get_name() }}, {{ this.texts|tojson }});
        GP.panel({{ this._parent.get_name() }}, {{ this.legend_id|tojson }}, 'topright');
        {% if this.note_id -%}
        GP.panel({{ this._parent.get_name() }}, {{ this.note_id|tojson }}, 'bottomleft');
        {%- endif %}
        GP.ready();
        {% endmacro %}
    """)

    def __init__(self, data_id: str, texts: dict[str, str], note: bool) -> None:
        super().__init__()
        self._name = "GpControls"
        self.legend_id = f"{data_id}-legend"
        self.note_id = f"{data_id}-note" if note else None
        self.texts = texts


def _tiles(basemap: str, key: str | None, lang: str) -> list[dict[str, Any]]:
    if basemap == "osm":
        return [{"url": OSM_URL, "options": {"maxZoom": 19, "attribution": OSM_ATTRIBUTION}}]
    if basemap == "tianditu":
        assert key
        annotation = "eva" if lang == "en" else "cva"
        options = {"maxZoom": 18, "subdomains": "01234567", "attribution": TIANDITU_ATTRIBUTION}
        return [
            {"url": TIANDITU_URL.format(layer="vec", key=key), "options": options},
            {
                "url": TIANDITU_URL.format(layer=annotation, key=key),
                "options": {k: v for k, v in options.items() if k != "attribution"},
            },
        ]
    if basemap == "amap":
        return [
            {
                "url": AMAP_URL,
                "options": {"maxZoom": 18, "subdomains": "1234", "attribution": AMAP_ATTRIBUTION},
            }
        ]
    return []


def _tianditu_key(tianditu_key: str | None) -> str | None:
    key = tianditu_key if tianditu_key is not None else os.environ.get(TIANDITU_KEY_ENV)
    key = (key or "").strip()
    if key and not re.fullmatch(r"[0-9A-Za-z]+", key):
        raise ValueError(f"the Tianditu key must be letters and digits only, got {key!r}")
    return key or None


def _check_options(lang: str, basemap: str) -> None:
    if lang not in LANGS:
        raise ValueError(tr("map_bad_lang", "en", lang=lang, valid=", ".join(LANGS)))
    if basemap not in BASEMAPS:
        raise ValueError(tr("map_bad_basemap", "en", basemap=basemap, valid=", ".join(BASEMAPS)))


# --------------------------------------------------------------------------- public API


def build_map(
    results: Any, *, lang: str = "zh", basemap: str = "osm", tianditu_key: str | None = None
) -> folium.Map:
    """Build the one-map (R9, 四(八)) of a run, without writing anything.

    Parameters
    ----------
    results : gis_planner.pipeline.Results
        A run: communities, estates and premises in EPSG:4549 with the computed fields of
        DESIGN.md, and ``results.data`` for the planned roads, development parcels, county
        outline, data note and rules (``rules.layout.walking_distance_m`` for the reach).
    lang : {"zh", "en"}
        Language of every label on the page.
    basemap : {"osm", "tianditu", "amap", "none"}
        The basemap shown on opening. OSM, Tianditu (when a key is known) and "none" are all
        offered as base layers, both WGS84-aligned (CGCS2000 ≈ WGS84). ``"amap"`` offers
        Amap/Gaode and "none" only, and shifts the overlays to GCJ-02 for display.
    tianditu_key : str, optional
        Tianditu browser key; defaults to the ``TIANDITU_KEY`` environment variable. Without
        a key the Tianditu basemap is left out (the legend says so), and
        ``basemap="tianditu"`` raises ``ValueError``.

    Returns
    -------
    folium.Map
        With no CDN resources: render it with :func:`render_map` (or :func:`write_map`),
        which inlines Leaflet and checks that only tile URLs remain.
    """
    _check_options(lang, basemap)
    key = _tianditu_key(tianditu_key)
    if basemap == "tianditu" and key is None:
        raise ValueError(tr("map_tianditu_needs_key", lang))
    shift = basemap == "amap"
    layers = _layer_data(results, lang=lang, shift=shift)
    bounds = _bounds(layers)

    notes = []
    if shift:
        notes.append(tr("map_amap_shift", lang))
    elif key is None:
        notes.append(tr("map_tianditu_no_key", lang))
    notes.append(tr("map_offline", lang))

    centre = (
        [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        if bounds
        else [30.54, 119.97]
    )
    m = folium.Map(
        location=centre, zoom_start=13, tiles=None, control_scale=True, prefer_canvas=False
    )
    # No CDN: Leaflet is inlined by _Assets; jQuery/Bootstrap/Font Awesome are not used.
    m.default_js = []
    m.default_css = []
    counter = [0]
    m._id = "onemap"
    title = (
        f"{tr('map_title', lang)} — {results.data.name}"
        if results.data.name
        else tr("map_title", lang)
    )
    figure = m.get_root()
    assert isinstance(figure, Figure)
    slots = _Slots()
    m._gp_slots = slots  # type: ignore[attr-defined]
    figure.title = slots.add(html_text(title))

    def add(element: MacroElement, prefix: str) -> None:
        element._id = _next_id(counter, prefix)
        m.add_child(element)

    add(_Assets(slots), "assets")
    data_id = "gp-data"
    payload = {
        "layers": layers,
        "strings": _intern_strings(layers),
        "bounds": bounds,
        "noStatusColour": NO_STATUS_COLOUR,
        "panes": {layer["pane"]: PANES[k] for k, layer in layers.items() if k in PANES},
    }
    note = _note_html(results, lang)
    add(
        _Data(data_id, payload, _legend_html(results, layers, lang=lang, notes=notes), note, slots),
        "data",
    )

    bases: list[tuple[str, str]] = []
    if shift:
        bases = [("amap", tr("map_base_amap", lang)), ("none", tr("map_base_none", lang))]
    else:
        order = ["osm", "tianditu", "none"]
        order.remove(basemap)
        order.insert(0, basemap)
        names = {
            "osm": tr("map_base_osm", lang),
            "tianditu": tr("map_base_tianditu", lang),
            "none": tr("map_base_none", lang),
        }
        bases = [(b, names[b]) for b in order if b != "tianditu" or key]
    for i, (base, name) in enumerate(bases):
        add(_Basemap(name, _tiles(base, key, lang), show=i == 0), "base")
    for layer_id, layer in layers.items():
        add(_Overlay(layer_id, layer["name"], show=layer.get("show", True)), "overlay")
    control = folium.LayerControl(position="topright", collapsed=False)
    add(control, "layers")
    add(
        _Controls(
            data_id,
            {
                "placeholder": tr("map_search_placeholder", lang),
                "none": tr("map_search_none", lang),
            },
            note is not None,
        ),
        "controls",
    )

    m._gp_allowed_urls = _allowed_urls(bases, key, lang)  # type: ignore[attr-defined]
    log.info(
        "Built the map: %s",
        ", ".join(
            f"{k} {len(v.get('features', []))}" for k, v in layers.items() if v["type"] != "derived"
        ),
    )
    return m


def _allowed_urls(bases: list[tuple[str, str]], key: str | None, lang: str) -> list[str]:
    urls = list(LINK_ONLY_URLS)
    for base, _ in bases:
        urls.extend(t["url"] for t in _tiles(base, key, lang))
    return urls


_URL = re.compile(r"""https?://[^\s"'<>()\\`]+""", re.I)


def external_urls(page: str) -> list[str]:
    """Every ``http(s)://`` URL in a rendered page.

    ``\\u0026`` (an ``&`` escaped in a JS string) is read as ``&``; an escaped slash ``\\/``
    (how input text travels) never forms a URL.
    """
    return _URL.findall(page.replace("\\u0026", "&"))


def check_offline(page: str, allowed: Sequence[str]) -> None:
    """Raise :class:`MapResourceError` if ``page`` holds a URL other than ``allowed`` ones.

    ``allowed`` are the tile URL templates and the link-only URLs; a URL counts as allowed
    when it equals one of them (URLs that load nothing) or when it is a tile template.
    """
    allowed_set = set(allowed)
    unexpected = sorted({u for u in external_urls(page) if u not in allowed_set})
    if unexpected:
        raise MapResourceError(
            "the map would load resources from the network besides basemap tiles: "
            + ", ".join(unexpected[:10])
            + "; inline them (gis_planner/data/vendor) instead"
        )


def render_map(m: folium.Map) -> str:
    """The page's HTML, checked to request nothing but basemap tiles.

    Data is put into the page after rendering (:class:`_Slots`): no template sees it.
    """
    allowed = getattr(m, "_gp_allowed_urls", None)
    slots = getattr(m, "_gp_slots", None)
    if allowed is None or slots is None:
        raise ValueError("render_map expects a map made by build_map")
    page = slots.fill(m.get_root().render())
    check_offline(page, allowed)
    return page


def write_map(
    results: Any,
    path: str | Path,
    *,
    lang: str = "zh",
    basemap: str = "osm",
    tianditu_key: str | None = None,
) -> Path:
    """Write the one-map of ``results`` to ``path`` (``map.html``), self-contained.

    Parameters are those of :func:`build_map`. Returns ``path``.

    Raises
    ------
    MapResourceError
        If the rendered page would load anything but basemap tiles.
    """
    path = Path(path)
    page = render_map(build_map(results, lang=lang, basemap=basemap, tianditu_key=tianditu_key))
    path.write_text(page, encoding="utf-8")
    log.info("Wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path
