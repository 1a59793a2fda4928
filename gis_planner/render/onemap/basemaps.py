"""The basemaps a page offers, and every URL a page may hold.

Tianditu (天地图, the national platform of the Ministry of Natural Resources) is the basemap a
bureau may show: it carries a map approval number (审图号), read from the rules file
(``settings.tianditu_approval_number``). It needs a browser key (``TIANDITU_KEY``); with one,
the page opens on Tianditu's map (``vec_w`` + annotation ``cva_w``) and offers its imagery
(``img_w`` + ``cia_w``), OpenStreetMap and none. Without a key OpenStreetMap is the fallback
and the legend says so in a planner's words (:func:`basemap_notes`). CGCS2000 ≈ WGS84: neither
needs a shift. Amap/Gaode only on request (``basemap="amap"``), and then the overlays are
shifted to GCJ-02 for display. The tile templates here, and the link-only URLs of
:data:`LINK_ONLY_URLS`, are the only ``http(s)://`` URLs a rendered page may contain
(:func:`gis_planner.render.onemap.offline.check_offline`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from gis_planner.i18n import tr
from gis_planner.render.escape import html_text

#: The basemaps ``build_map`` accepts; ``auto`` is Tianditu with a key, else OpenStreetMap.
BASEMAPS = ("auto", "osm", "tianditu", "amap", "none")
#: The base layers a page may offer, in the order they are offered after the one shown first.
BASE_LAYERS = ("tianditu_vec", "tianditu_img", "osm", "none")
#: The environment variable holding the Tianditu browser key.
TIANDITU_KEY_ENV = "TIANDITU_KEY"

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
# Web-Mercator ("_w") WMTS tiles: vec = map, img = imagery; cva/cia = Chinese annotation,
# eva/eia = English annotation of each.
TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
#: Tianditu's base layers: (tiles, Chinese annotation, English annotation).
TIANDITU_LAYERS = {"tianditu_vec": ("vec", "cva", "eva"), "tianditu_img": ("img", "cia", "eia")}
TIANDITU_LINK = "https://www.tianditu.gov.cn/"
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
    "https://leafletjs.com",  # in the licence header of the inlined Leaflet
    "http://www.w3.org/2000/svg",  # the SVG namespace in Leaflet's code
    "https://www.openstreetmap.org/copyright",
    "https://www.tianditu.gov.cn/",
    "https://www.amap.com/",
)


def tianditu_attribution(lang: str, approval_number: str | None) -> str:
    """Tianditu's attribution with its map approval number (审图号), escaped.

    Examples
    --------
    >>> tianditu_attribution("zh", "GS(2024)0568号").split("</a> ")[1]
    '审图号：GS(2024)0568号'
    """
    link = f'&copy; <a href="{TIANDITU_LINK}">{tr("map_tianditu_attribution", lang)}</a>'
    if not approval_number:
        return link
    return f"{link} {html_text(tr('map_approval_number', lang, number=approval_number))}"


def tiles(
    base: str, key: str | None, lang: str, *, approval_number: str | None = None
) -> list[dict[str, Any]]:
    """The tile layers of the base layer ``base``: ``{"url": template, "options": Leaflet
    options}``.

    A Tianditu base layer (``tianditu_vec``, ``tianditu_img``) is two tile layers, the map or
    imagery and its annotation (Chinese, or English with ``lang="en"``), attributed with the
    map approval number; ``"none"`` is none. OpenStreetMap without a Tianditu key says in
    its attribution that it stands in for Tianditu (always in sight, on a phone too).

    Examples
    --------
    >>> [t["url"] for t in tiles("osm", None, "zh")]
    ['https://tile.openstreetmap.org/{z}/{x}/{y}.png']
    >>> tiles("osm", None, "zh")[0]["options"]["attribution"].split("</a> ")[1]
    'contributors · 未配置天地图'

    >>> [t["url"].split("/")[3] for t in tiles("tianditu_img", "0123abcd", "en")]
    ['img_w', 'eia_w']
    >>> tiles("none", None, "zh")
    []
    """
    if base == "osm":
        attribution = OSM_ATTRIBUTION
        if key is None:
            attribution += f" · {html_text(tr('map_base_not_configured', lang))}"
        return [{"url": OSM_URL, "options": {"maxZoom": 19, "attribution": attribution}}]
    if base in TIANDITU_LAYERS:
        assert key
        layer, zh, en = TIANDITU_LAYERS[base]
        options = {
            "maxZoom": 18,
            "subdomains": "01234567",
            "attribution": tianditu_attribution(lang, approval_number),
        }
        return [
            {"url": TIANDITU_URL.format(layer=layer, key=key), "options": options},
            {
                "url": TIANDITU_URL.format(layer=en if lang == "en" else zh, key=key),
                "options": {k: v for k, v in options.items() if k != "attribution"},
            },
        ]
    if base == "amap":
        return [
            {
                "url": AMAP_URL,
                "options": {"maxZoom": 18, "subdomains": "1234", "attribution": AMAP_ATTRIBUTION},
            }
        ]
    return []


def resolve_tianditu_key(given: str | None) -> str | None:
    """The Tianditu key: ``given``, else the ``TIANDITU_KEY`` environment variable; None
    when neither has one.

    Raises
    ------
    ValueError
        If the key holds anything but letters and digits (it is put into tile URLs).
    """
    key = given if given is not None else os.environ.get(TIANDITU_KEY_ENV)
    key = (key or "").strip()
    if key and not re.fullmatch(r"[0-9A-Za-z]+", key):
        raise ValueError(f"the Tianditu key must be letters and digits only, got {key!r}")
    return key or None


def resolve_basemap(basemap: str, key: str | None) -> str:
    """The basemap shown first: ``auto`` is Tianditu when a key is known, else OpenStreetMap.

    Examples
    --------
    >>> resolve_basemap("auto", None), resolve_basemap("auto", "0123abcd")
    ('osm', 'tianditu')
    """
    if basemap == "auto":
        return "tianditu" if key else "osm"
    return basemap


def base_layers(basemap: str, key: str | None, lang: str) -> list[tuple[str, str]]:
    """The base layers offered, as ``(base layer, name in the layer control)``, the one shown
    first: Amap and none for ``"amap"``; else the chosen one (``tianditu``: Tianditu's map),
    then the rest of Tianditu's map and imagery (only with a key), OpenStreetMap and none.

    Examples
    --------
    >>> [b for b, _ in base_layers("auto", None, "en")]
    ['osm', 'none']
    >>> [b for b, _ in base_layers("auto", "0123abcd", "en")]
    ['tianditu_vec', 'tianditu_img', 'osm', 'none']
    >>> [b for b, _ in base_layers("none", None, "en")]
    ['none', 'osm']
    >>> [b for b, _ in base_layers("amap", None, "en")]
    ['amap', 'none']
    """
    names = {
        "tianditu_vec": tr("map_base_tianditu_vec", lang),
        "tianditu_img": tr("map_base_tianditu_img", lang),
        "osm": tr("map_base_osm", lang),
        "amap": tr("map_base_amap", lang),
        "none": tr("map_base_none", lang),
    }
    shown = resolve_basemap(basemap, key)
    if shown == "amap":
        return [("amap", names["amap"]), ("none", names["none"])]
    first = "tianditu_vec" if shown == "tianditu" else shown
    order = [first, *(b for b in BASE_LAYERS if b != first)]
    return [(b, names[b]) for b in order if key or b not in TIANDITU_LAYERS]


def basemap_notes(basemap: str, key: str | None, lang: str) -> list[str]:
    """The legend's note on the basemap, worded for planners: the GCJ-02 shift on Amap, and
    OpenStreetMap as the fallback when Tianditu is not configured.

    Examples
    --------
    >>> basemap_notes("auto", None, "zh"), basemap_notes("auto", "0123abcd", "zh")
    (['底图为 OpenStreetMap（未配置天地图）'], [])
    """
    if resolve_basemap(basemap, key) == "amap":
        return [tr("map_amap_shift", lang)]
    if key is None:
        return [tr("map_base_osm_fallback", lang)]
    return []


def allowed_urls(bases: list[tuple[str, str]], key: str | None, lang: str) -> list[str]:
    """Every URL a page with base layers ``bases`` may hold: link-only URLs, tile templates."""
    urls = list(LINK_ONLY_URLS)
    for base, _ in bases:
        urls.extend(t["url"] for t in tiles(base, key, lang))
    return urls
