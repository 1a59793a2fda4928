"""The files a page inlines: Leaflet, and the page's own script and style.

- **Leaflet** is vendored from the npm registry into ``gis_planner/data/vendor/leaflet``
  (see its README); :func:`leaflet_assets` inlines its images as data URIs and drops the
  source-map comment and the CSS comments (they hold bug-tracker URLs).
- **The page's own script** (``onemap.js``, beside this module) builds every layer from the
  page's JSON data with DOM methods only: input text is set with ``textContent``, never
  ``innerHTML``. Its contract with Python is the layer data of :mod:`.layers` and the calls
  of the page's elements (:mod:`.page`): ``GP.init``, ``GP.layer``, ``GP.search``,
  ``GP.panel``, ``GP.ready``.
- **The page's own style** (``onemap.css``, beside this module): popups, legend, search box,
  markers and the badges of the proposed sites.

Every file is read with :mod:`importlib.resources`, so the package works from a wheel or a
zip as from a checkout (the files are package data, ``pyproject.toml``). A file that would
close its ``<script>`` or ``<style>`` block raises :class:`.offline.MapResourceError`.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib.resources import files

from gis_planner.render.onemap.offline import MapResourceError

#: The vendored Leaflet (``leaflet.js``, ``leaflet.css``, ``images/``).
LEAFLET = files("gis_planner") / "data" / "vendor" / "leaflet"
#: This package's own files: ``onemap.js`` and ``onemap.css``.
OWN = files("gis_planner.render.onemap")


def _inlinable(text: str, tag: str, what: str) -> str:
    """``text`` unchanged, or :class:`MapResourceError` when it would end its ``<tag>``."""
    if f"</{tag}" in text.lower():
        raise MapResourceError(f"{what} contains '</{tag}': cannot be inlined")
    return text


@lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JS and CSS, ready to inline: images as data URIs, no source-map comment.

    Returns
    -------
    (str, str)
        The script and the style sheet, each to put in a ``<script>`` / ``<style>`` block.
        The scenario dual map (:mod:`gis_planner.scenario.edits`) inlines them too.
    """
    js = (LEAFLET / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments hold bug-tracker URLs

    def data_uri(match: re.Match[str]) -> str:
        image = LEAFLET / "images" / match.group(1)
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{encoded})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)
    return (
        _inlinable(js, "script", "vendored Leaflet"),
        _inlinable(css, "style", "vendored Leaflet"),
    )


@lru_cache(maxsize=1)
def page_script() -> str:
    """The page's own script (``onemap.js``), as it is inlined."""
    text = (OWN / "onemap.js").read_text(encoding="utf-8")
    return _inlinable(text, "script", "onemap.js")


@lru_cache(maxsize=1)
def page_style() -> str:
    """The page's own style sheet (``onemap.css``), as it is inlined."""
    text = (OWN / "onemap.css").read_text(encoding="utf-8")
    return _inlinable(text, "style", "onemap.css")
