"""Two runs on synchronised side-by-side maps (folium ``DualMap``), offline.

A renderer: it receives two :class:`~gis_planner.results.Results` — typically two scenarios'
(:func:`gis_planner.scenario.dual_map` evaluates them and calls :func:`dual_map`) — and words
them in the language asked for; it computes no analysis. Each side shows the communities
coloured by premises status (R1) with their figures in the tooltip, the counted premises
(planned ones dashed) and the development parcels with their R2 condition; a box names the
run, the plan year and the total shortfall. Leaflet is inlined as in the one-map
(:mod:`gis_planner.render.onemap`) and the views are kept in step by inline script instead of
the Leaflet.Sync CDN plugin: with no internet only the basemap stays blank.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from gis_planner.i18n import label, render, tr, value_label
from gis_planner.render.escape import html_text, js_string
from gis_planner.render.onemap import check_offline, leaflet_assets
from gis_planner.render.onemap.basemaps import LINK_ONLY_URLS, OSM_ATTRIBUTION, OSM_URL
from gis_planner.render.onemap.style import COMMUNITY_COLOURS
from gis_planner.results import Results

__all__ = ["dual_map", "render_dual_map", "write_dual_map"]

#: Fill of a community without a premises status.
NO_STATUS_COLOUR = "#969696"


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
    """The run's name, plan year and shortfall in a box on top of one map."""

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


def _communities(m: folium.Map, results: Results, *, lang: str) -> None:
    """The communities coloured by premises status, their R1 figures in the tooltip."""
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
    shown["colour"] = c["premises_status"].map(COMMUNITY_COLOURS).fillna(NO_STATUS_COLOUR)
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


def _premises(m: folium.Map, results: Results, *, lang: str) -> None:
    """The counted premises, sized by floor area; planned ones dashed."""
    prem, counted = results.premises, results.counted_premises
    if prem is None or not len(prem) or counted is None:
        return
    group = folium.FeatureGroup(name=tr("map_layer_premises", lang))
    points = counted.geometry.representative_point().to_crs("EPSG:4326")
    names = (
        counted["name"] if "name" in counted else pd.Series(None, index=counted.index, dtype=object)
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


def _parcels(m: folium.Map, results: Results, *, lang: str) -> None:
    """The development parcels with their delivery year and R2 condition area."""
    parcels = results.data.development_parcels
    if parcels is None or not len(parcels):
        return
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
        tooltip=folium.GeoJsonTooltip(fields=columns, aliases=[label(f, lang) for f in columns]),
    ).add_to(m)


def _title(results: Results, name: object, lang: str) -> str:
    """``name — year: total shortfall …`` (the year alone when it is the name)."""
    year = str(results.year) if results.year is not None else tr("scn_current", lang)
    if name is None:
        name = (results.scenario or {}).get("name") or year
    name = str(render(name, lang))
    title = name if name == year else f"{name} — {year}"
    return f"{title}: " + tr("scn_map_shortfall", lang, value=results.summary["shortfall_m2"])


def _side(m: folium.Map, results: Results, name: object, *, lang: str) -> None:
    """One side: basemap, communities, premises, parcels, title and layer control."""
    m.default_js = []
    m.default_css = []
    folium.TileLayer(
        tiles=OSM_URL, attr=OSM_ATTRIBUTION, max_zoom=19, name=tr("map_base_osm", lang)
    ).add_to(m)
    _communities(m, results, lang=lang)
    _premises(m, results, lang=lang)
    _parcels(m, results, lang=lang)
    m.add_child(_MapTitle(_title(results, name, lang)))
    folium.LayerControl(collapsed=True).add_to(m)


def dual_map(
    left: Results,
    right: Results,
    *,
    names: Sequence[object] | None = None,
    lang: str = "zh",
    layout: str = "horizontal",
) -> folium.plugins.DualMap:
    """Two runs on synchronised side-by-side maps, offline (see the module docstring).

    Parameters
    ----------
    left, right : Results
        The runs, e.g. two scenarios evaluated for the same plan year.
    names : pair of str or Message, optional
        The names in the title boxes; default: each run's scenario name
        (``results.scenario["name"]``), else its plan year.
    lang : {"zh", "en"}
    layout : {"horizontal", "vertical"}

    Returns
    -------
    folium.plugins.DualMap
        Shows itself in a notebook; :func:`render_dual_map` gives its page.
    """
    pair = list(names) if names is not None else [None, None]
    bounds = left.communities.to_crs("EPSG:4326").total_bounds
    centre = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    dual = _OfflineDualMap(
        location=centre, layout=layout, tiles=None, zoom_start=13, control_scale=True
    )
    js, css = leaflet_assets()
    dual.get_root().header.add_child(  # type: ignore[attr-defined]
        folium.Element(f'<link rel="icon" href="data:,"><style>{css}</style><script>{js}</script>'),
        name="gp_leaflet_inline",
        index=0,
    )
    _side(dual.m1, left, pair[0], lang=lang)
    _side(dual.m2, right, pair[1], lang=lang)
    dual.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    dual._gp_allowed_urls = [OSM_URL, *LINK_ONLY_URLS]  # type: ignore[attr-defined]
    return dual


def render_dual_map(dual: folium.plugins.DualMap) -> str:
    """The page of a :func:`dual_map`, checked to load nothing but basemap tiles
    (:func:`gis_planner.render.onemap.check_offline`)."""
    page = dual.get_root().render()
    check_offline(page, getattr(dual, "_gp_allowed_urls", [OSM_URL]))
    return page


def write_dual_map(dual: folium.plugins.DualMap, path: str | Path) -> Path:
    """Write the page of a :func:`dual_map` to ``path`` (one self-contained file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_dual_map(dual), encoding="utf-8")
    return path
