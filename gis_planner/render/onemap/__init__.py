"""The one-map (数字社区一张图, R9 四(八)): every layer of a run on one self-contained page.

:func:`build_map` turns a run's :class:`~gis_planner.results.Results` into a
:class:`folium.Map`; :func:`render_map` gives its HTML and :func:`write_map` writes it to
``map.html``. The page works from a USB stick on an intranet with no internet:

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
  the proposed communities, the new premises sites of the set cover (``lscp``) and of the
  best p sites (``mclp``), and the walking paths and barriers the proposals used — all off
  on opening, with a folded legend section. Without ``layout`` the page is as before.
- **Basemaps.** OpenStreetMap, Tianditu (天地图, CGCS2000 ≈ WGS84: no shift; needs a key) and
  none, as base layers; Amap/Gaode only with ``basemap="amap"``, and then the overlays are
  shifted to GCJ-02 *for display only* (:func:`gis_planner.crs.geometries_wgs84_to_gcj02`).
- **Safe text.** Names and every other input text travel as JSON data (``<``, ``>``, ``&``
  and ``/`` escaped) and are put on the page with ``textContent``; the legend's input text is
  ``html.escape``-d; data reaches the page only after all templating (:mod:`.slots`). An
  estate called ``<img src=x onerror=alert(1)>`` shows as text.
- **Worded, not computed.** The analyses give codes (statuses, messages); the map words them
  in the page's language (:mod:`.values`) and computes no analysis.
- **Small and quick for a city.** Geometry is simplified by 1 m in EPSG:4549 and coordinates
  rounded to 6 decimals (≈ 0.1 m) — for display only — and sent as delta-encoded integers
  (:func:`.geometry.encode`); features travel in columns with one table of the strings they
  repeat (:func:`.records.pack`); popups carry only the fields they show. Shapes are drawn on
  one canvas, with one popup and one tooltip per layer. A city of 20,000 estates: 4.9 MB
  (``benchmarks/bench_map.py``; README, Benchmarks).
- **Same figures.** Popup figures are rounded exactly as ``communities.geojson`` is
  (:func:`gis_planner.render.runfolder.write_run`).

The page sets ``window.__mapReady = true`` (and ``window.__mapReadyMs``, milliseconds from
navigation start) once every layer is drawn; the browser tests and the benchmark wait for it.

Modules, from the page down:

==================  ==========================================================================
:mod:`.page`        folium elements, :func:`build_map`, :func:`render_map`, :func:`write_map`
:mod:`.layers`      the run's layers as the page's data (:mod:`.proposals`: the R7 proposals)
:mod:`.legend`      the legend and the data note (HTML, escaped)
:mod:`.records`     compact feature records and the shared string table
:mod:`.popups`      which fields each popup shows, with which label and format
:mod:`.values`      figures, enumerations and messages worded for the popups
:mod:`.geometry`    display geometries: simplified, lon/lat (or GCJ-02), rounded
:mod:`.style`       colours, line styles, icons, layer order, panes
:mod:`.basemaps`    tile layers, the Tianditu key, the URLs a page may hold
:mod:`.assets`      Leaflet, ``onemap.js`` and ``onemap.css``, read as package data
:mod:`.slots`       data put into the page after all templating
:mod:`.offline`     the check that a page loads nothing but tiles
==================  ==========================================================================
"""

from gis_planner.render.onemap.assets import leaflet_assets
from gis_planner.render.onemap.basemaps import BASEMAPS
from gis_planner.render.onemap.offline import MapResourceError, check_offline, external_urls
from gis_planner.render.onemap.page import (
    NotebookFrame,
    build_map,
    notebook_frame,
    render_map,
    write_map,
)

__all__ = [
    "BASEMAPS",
    "NotebookFrame",
    "MapResourceError",
    "build_map",
    "check_offline",
    "external_urls",
    "leaflet_assets",
    "notebook_frame",
    "render_map",
    "write_map",
]
