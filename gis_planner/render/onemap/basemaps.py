"""The basemaps a page offers, and every URL a page may hold.

OpenStreetMap, Tianditu (天地图, CGCS2000 ≈ WGS84: no shift; needs a browser key) and none
are offered as base layers; Amap/Gaode only on request (``basemap="amap"``), and then the
overlays are shifted to GCJ-02 for display. The tile templates here, and the link-only URLs
of :data:`LINK_ONLY_URLS`, are the only ``http(s)://`` URLs a rendered page may contain
(:func:`gis_planner.render.onemap.offline.check_offline`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from gis_planner.i18n import tr

#: The basemaps ``build_map`` accepts.
BASEMAPS = ("osm", "tianditu", "amap", "none")
#: The environment variable holding the Tianditu browser key.
TIANDITU_KEY_ENV = "TIANDITU_KEY"

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


def tiles(basemap: str, key: str | None, lang: str) -> list[dict[str, Any]]:
    """The tile layers of ``basemap``: ``{"url": template, "options": Leaflet options}``.

    Tianditu is two layers, streets and annotation (Chinese, or English with ``lang="en"``);
    ``"none"`` is none.

    Examples
    --------
    >>> [t["url"] for t in tiles("osm", None, "zh")]
    ['https://tile.openstreetmap.org/{z}/{x}/{y}.png']
    >>> len(tiles("tianditu", "0123abcd", "en")), tiles("none", None, "zh")
    (2, [])
    """
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


def base_layers(basemap: str, key: str | None, lang: str) -> list[tuple[str, str]]:
    """The base layers offered, as ``(basemap, name in the layer control)``, first shown
    first: Amap and none for ``"amap"``; else ``basemap``, then the rest of OSM, Tianditu
    (only with a key) and none.

    Examples
    --------
    >>> [b for b, _ in base_layers("none", None, "en")]
    ['none', 'osm']
    >>> [b for b, _ in base_layers("amap", None, "en")]
    ['amap', 'none']
    """
    if basemap == "amap":
        return [("amap", tr("map_base_amap", lang)), ("none", tr("map_base_none", lang))]
    order = ["osm", "tianditu", "none"]
    order.remove(basemap)
    order.insert(0, basemap)
    names = {
        "osm": tr("map_base_osm", lang),
        "tianditu": tr("map_base_tianditu", lang),
        "none": tr("map_base_none", lang),
    }
    return [(b, names[b]) for b in order if b != "tianditu" or key]


def allowed_urls(bases: list[tuple[str, str]], key: str | None, lang: str) -> list[str]:
    """Every URL a page with base layers ``bases`` may hold: link-only URLs, tile templates."""
    urls = list(LINK_ONLY_URLS)
    for base, _ in bases:
        urls.extend(t["url"] for t in tiles(base, key, lang))
    return urls
