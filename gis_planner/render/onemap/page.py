"""The page: folium/branca elements that print only our code, and the assembly of a map.

:func:`build_map` puts together a :class:`folium.Map` whose elements are:

- ``_Assets`` (header): the inlined Leaflet and the page's own script and style
  (:mod:`.assets`); no CDN resource of folium's is kept;
- ``_Data`` (body): the layers' JSON (``<script type="application/json">``), the legend and
  the data note (:mod:`.legend`), hidden until the script shows them; it calls ``GP.init``;
- ``_Basemap`` per base layer (:mod:`.basemaps`) and ``_Overlay`` per layer (:mod:`.layers`,
  :mod:`.proposals`): each asks the page's script for its Leaflet layer (``GP.layer``);
- folium's layer control, then ``_Controls``: ``GP.controls`` lays out the search box, the
  layer control, the legend and the data note for the screen (on a phone, narrower than
  :data:`COMPACT_MAX_PX` in ``onemap.js``, the layer control and the legend wait behind
  buttons and the note is folded to one line), adds a metric scale, and calls ``GP.ready()``,
  which sets ``window.__mapReady`` once every layer is drawn.

Every element's macro prints only code and tokens; the data itself (title, JSON, legend,
note, assets) is held in a :class:`~.slots.Slots` and put into the page by
:func:`render_map` after all templating, which then checks that the page loads nothing but
basemap tiles (:func:`~.offline.check_offline`).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
from branca.element import Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from gis_planner.i18n import LANGS, tr
from gis_planner.render.escape import html_text, json_for_script
from gis_planner.render.onemap.assets import leaflet_assets, page_script, page_style
from gis_planner.render.onemap.basemaps import (
    BASEMAPS,
    LINK_ONLY_URLS,
    OSM_ATTRIBUTION,
    OSM_URL,
    TIANDITU_KEY_ENV,
    allowed_urls,
    base_layers,
    basemap_notes,
    resolve_tianditu_key,
    tiles,
)
from gis_planner.render.onemap.geometry import COORDINATE_DECIMALS
from gis_planner.render.onemap.layers import layer_data, planning_area_bounds
from gis_planner.render.onemap.legend import data_note, legend_html, map_title, note_html
from gis_planner.render.onemap.offline import check_offline
from gis_planner.render.onemap.records import pack
from gis_planner.render.onemap.slots import Slots
from gis_planner.render.onemap.style import COMMUNITY_COLOURS, NO_STATUS_COLOUR, SHAPES_PANE

if TYPE_CHECKING:
    from gis_planner.results import Results

__all__ = [
    "build_map",
    "render_map",
    "write_map",
    # read through this module by the scenario dual map (gis_planner.scenario.edits); new code
    # takes them from the package, ``from gis_planner.render import onemap``, or their modules
    "COMMUNITY_COLOURS",
    "LINK_ONLY_URLS",
    "OSM_ATTRIBUTION",
    "OSM_URL",
    "check_offline",
    "leaflet_assets",
]

log = logging.getLogger(__name__)

#: The id of the page's JSON data block; the legend and note panels are ``{id}-legend`` and
#: ``{id}-note``.
DATA_ID = "gp-data"
#: Where the map opens when the run has no community to fit (Deqing, lat/lon).
DEFAULT_CENTRE = [30.54, 119.97]


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

    def __init__(self, slots: Slots) -> None:
        super().__init__()
        self._name = "GpAssets"
        leaflet_js, leaflet_css = leaflet_assets()
        self.leaflet_css, self.css = slots.add(leaflet_css), slots.add(page_style())
        self.leaflet_js, self.js = slots.add(leaflet_js), slots.add(page_script())


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
        self, data_id: str, payload: dict[str, Any], legend: str, note: str | None, slots: Slots
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
    """Search box, layer control, legend, data note and scale laid out for the screen, then
    ``GP.ready()`` once everything is on the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        GP.controls({{ this._parent.get_name() }}, {{ this.layer_control }},
                    {{ this.options|tojson }});
        GP.ready();
        {% endmacro %}
    """)

    def __init__(
        self, data_id: str, texts: dict[str, str], *, note: bool, layer_control: str
    ) -> None:
        super().__init__()
        self._name = "GpControls"
        self.layer_control = layer_control
        self.options = {
            "legend": f"{data_id}-legend",
            "note": f"{data_id}-note" if note else None,
            "texts": texts,
        }


def _check_options(lang: str, basemap: str) -> None:
    if lang not in LANGS:
        raise ValueError(tr("map_bad_lang", "en", lang=lang, valid=", ".join(LANGS)))
    if basemap not in BASEMAPS:
        raise ValueError(tr("map_bad_basemap", "en", basemap=basemap, valid=", ".join(BASEMAPS)))


def _notes(results: Results, *, basemap: str, key: str | None, lang: str) -> list[str]:
    """The legend's notes, worded for planners: the basemap (the GCJ-02 shift on Amap, OSM
    when Tianditu is not configured), offline use, and the data note once more (the page can
    close the note itself)."""
    notes = [*basemap_notes(basemap, key, lang), tr("map_offline", lang)]
    note = data_note(results, lang)
    if note:
        notes.append(f"{tr('map_data_note', lang)}：{note}" if lang == "zh" else note)
    return notes


def _texts(lang: str) -> dict[str, str]:
    """The texts of the page's controls (search, buttons)."""
    texts = {
        "placeholder": tr("map_search_placeholder", lang),
        "none": tr("map_search_none", lang),
    }
    for key in ("layers_button", "legend_button", "close", "layer_hidden"):
        texts[key] = tr(f"map_{key}", lang)
    return texts


def _empty_map(bounds: list[list[float]] | None) -> folium.Map:
    """A folium map with no tiles and no CDN resource, centred on ``bounds``."""
    centre = (
        [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        if bounds
        else DEFAULT_CENTRE
    )
    # no scale here: folium's shows feet too; the page adds a metric one (GP.controls);
    # shapes on a canvas (style.SHAPES_PANE)
    m = folium.Map(
        location=centre, zoom_start=13, tiles=None, control_scale=False, prefer_canvas=True
    )
    # No CDN: Leaflet is inlined by _Assets; jQuery/Bootstrap/Font Awesome are not used.
    m.default_js = []
    m.default_css = []
    m._id = "onemap"
    return m


def _adder(m: folium.Map) -> Callable[[MacroElement, str], None]:
    """``add(element, prefix)``: adds ``element`` to ``m`` with the id ``prefix`` + a running
    number, so that the page's variable names are the same at every run."""
    counter = [0]

    def add(element: MacroElement, prefix: str) -> None:
        counter[0] += 1
        element._id = f"{prefix}{counter[0]}"
        m.add_child(element)

    return add


def build_map(
    results: Results, *, lang: str = "zh", basemap: str = "auto", tianditu_key: str | None = None
) -> folium.Map:
    """Build the one-map (R9, 四(八)) of a run, without writing anything.

    Parameters
    ----------
    results : gis_planner.results.Results
        A run: communities, estates and premises in EPSG:4549 with the computed fields of
        DESIGN.md, and ``results.data`` for the planned roads, development parcels, county
        outline, data note and rules (``rules.layout.walking_distance_m`` for the reach).
    lang : {"zh", "en"}
        Language of every label on the page.
    basemap : {"auto", "osm", "tianditu", "amap", "none"}
        The basemap shown on opening; ``"auto"``: Tianditu's map when a key is known (the
        basemap a bureau may show, with its approval number from
        ``rules.settings.tianditu_approval_number``), else OpenStreetMap, which the legend
        then names as the fallback. Tianditu's map and imagery (with a key), OSM and "none" are
        all offered as base layers, all WGS84-aligned (CGCS2000 ≈ WGS84). ``"amap"`` offers
        Amap/Gaode and "none" only, and shifts the overlays to GCJ-02 for display.
    tianditu_key : str, optional
        Tianditu browser key; defaults to the ``TIANDITU_KEY`` environment variable. Without
        a key the Tianditu basemaps are left out, and ``basemap="tianditu"`` raises
        ``ValueError``.

    Returns
    -------
    folium.Map
        With no CDN resources: render it with :func:`render_map` (or :func:`write_map`),
        which inlines Leaflet and checks that only tile URLs remain.
    """
    _check_options(lang, basemap)
    key = resolve_tianditu_key(tianditu_key)
    if basemap == "tianditu" and key is None:
        raise ValueError(tr("map_tianditu_needs_key", lang))
    if key is None and basemap == "auto":  # the how-to for whoever runs it, not on the page
        log.info(
            "Basemap: OpenStreetMap. For Tianditu (天地图, with its approval number), set the "
            "environment variable %s to a Tianditu browser key (console.tianditu.gov.cn)",
            TIANDITU_KEY_ENV,
        )
    shift = basemap == "amap"
    layers = layer_data(results, lang=lang, shift=shift)
    bounds = planning_area_bounds(layers)
    m = _empty_map(bounds)
    figure = m.get_root()
    assert isinstance(figure, Figure)
    slots = Slots()
    m._gp_slots = slots  # type: ignore[attr-defined]
    figure.title = slots.add(html_text(map_title(results, lang)))

    add = _adder(m)
    add(_Assets(slots), "assets")
    notes = _notes(results, basemap=basemap, key=key, lang=lang)
    legend = legend_html(results, layers, lang=lang, notes=notes)
    note = note_html(results, lang)
    drawn = ", ".join(
        f"{k} {len(v.get('features', []))}" for k, v in layers.items() if v["type"] != "derived"
    )
    scale = 10**COORDINATE_DECIMALS
    payload = {
        "layers": layers,
        "strings": pack(layers, scale),  # the features in columns, for the page
        "bounds": bounds,
        "noStatusColour": NO_STATUS_COLOUR,
        "panes": {SHAPES_PANE[0]: SHAPES_PANE[1]},
        "scale": scale,
    }
    add(_Data(DATA_ID, payload, legend, note, slots), "data")
    bases = base_layers(basemap, key, lang)
    approval = results.rules.settings.get("tianditu_approval_number")
    for i, (base, base_name) in enumerate(bases):
        base_tiles = tiles(base, key, lang, approval_number=approval)
        add(_Basemap(base_name, base_tiles, show=i == 0), "base")
    for layer_id, layer in layers.items():
        add(_Overlay(layer_id, layer["name"], show=layer.get("show", True)), "overlay")
    # open here; GP.controls folds it behind its button on a phone
    control = folium.LayerControl(position="topright", collapsed=False)
    add(control, "layers")
    controls = _Controls(
        DATA_ID, _texts(lang), note=note is not None, layer_control=control.get_name()
    )
    add(controls, "controls")

    m._gp_allowed_urls = allowed_urls(bases, key, lang)  # type: ignore[attr-defined]
    log.info("Built the map: %s", drawn)
    return m


def render_map(m: folium.Map) -> str:
    """The page's HTML, checked to request nothing but basemap tiles.

    Data is put into the page after rendering (:class:`~.slots.Slots`): no template sees it.

    Raises
    ------
    MapResourceError
        If the rendered page would load anything but basemap tiles.
    ValueError
        If ``m`` was not made by :func:`build_map`.
    """
    allowed = getattr(m, "_gp_allowed_urls", None)
    slots = getattr(m, "_gp_slots", None)
    if allowed is None or slots is None:
        raise ValueError("render_map expects a map made by build_map")
    page = slots.fill(m.get_root().render())
    check_offline(page, allowed)
    return page


def write_map(
    results: Results,
    path: str | Path,
    *,
    lang: str = "zh",
    basemap: str = "auto",
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


class NotebookFrame:
    """A rendered one-map shown in a notebook cell: the page of :func:`render_map` in an
    iframe's ``srcdoc`` (HTML-escaped as a whole), so the data slots filled after templating
    show as they do in ``map.html``. folium's own notebook display renders the template
    without the slots, i.e. a map without its data."""

    def __init__(self, page: str, *, height_px: int = 560) -> None:
        self.page = page
        self.height_px = height_px

    def __repr__(self) -> str:
        return f"<one-map, {len(self.page):,} characters>"

    def _repr_html_(self) -> str:
        return (
            f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
            f'style="width:100%;height:{self.height_px}px;border:0" '
            'sandbox="allow-scripts allow-popups"></iframe>'
        )


def notebook_frame(m: folium.Map, *, height_px: int = 560) -> NotebookFrame:
    """The one-map ``m`` (from :func:`build_map`) for display in a notebook cell.

    Examples
    --------
    >>> frame = NotebookFrame("<p>a & b</p>", height_px=300)
    >>> frame._repr_html_().startswith('<iframe srcdoc="&lt;p&gt;a &amp; b')
    True
    """
    return NotebookFrame(render_map(m), height_px=height_px)
