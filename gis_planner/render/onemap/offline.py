r"""The page works offline: it may hold no URL but basemap tiles and links that load nothing.

A rendered page is searched for every ``http(s)://`` URL; one that is neither a tile template
of the page's basemaps nor a link-only URL
(:data:`gis_planner.render.onemap.basemaps.LINK_ONLY_URLS`) raises
:class:`MapResourceError`. Input text never forms a URL here: it travels as JSON with ``/``
escaped (:func:`gis_planner.render.escape.json_for_script`).

Examples
--------
>>> external_urls('<a href="https://leafletjs.com">Leaflet</a> https:\\/\\/example.com')
['https://leafletjs.com']
>>> check_offline('"https://tile.openstreetmap.org/{z}/{x}/{y}.png"',
...               ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"])
"""

from __future__ import annotations

import re
from collections.abc import Sequence


class MapResourceError(RuntimeError):
    """The rendered page would load something other than basemap tiles."""


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
