"""Values as files and sheets hold them: messages worded, lists joined, floats rounded.

Shared by every renderer (:mod:`.runfolder`, :mod:`.report`, :mod:`.onemap`, :mod:`.bureau`).

>>> from gis_planner.i18n import msg
>>> words([msg("gcj02_converted"), "E1"], lang="en")
'converted from GCJ-02 to WGS84 as declared; E1'
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner.i18n import Listing, Message, Term, render

#: how a list is joined in a cell, by language
LIST_SEPARATOR = {"zh": "；", "en": "; "}


def words(value: object, *, lang: str = "zh") -> object:
    """One value as a file or sheet holds it: a message worded in ``lang``, a list or tuple
    joined with :data:`LIST_SEPARATOR`, anything else as it is."""
    if isinstance(value, (list, tuple)):
        sep = LIST_SEPARATOR.get(lang, "; ")
        return sep.join(str(render(v, lang)) for v in value)
    return render(value, lang)


def needs_words(value: object) -> bool:
    """Whether :func:`words` would change ``value``."""
    return isinstance(value, (list, tuple, Message, Term, Listing))


def flatten_for_file(
    gdf: gpd.GeoDataFrame | pd.DataFrame, *, lang: str = "zh"
) -> gpd.GeoDataFrame | pd.DataFrame:
    """A copy that file formats can hold: messages worded in ``lang`` and lists joined into
    text (pyogrio writes pandas' nullable types itself, with nulls)."""
    out = gdf.copy()
    for column in out.columns:
        if column == getattr(out, "_geometry_column_name", None):
            continue
        series = out[column]
        if series.dtype == object and series.map(needs_words).any():
            out[column] = series.map(lambda v: words(v, lang=lang))
    return out


def round_floats(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Floats rounded to 4 decimals, as every output shows them (GeoJSON, map popups)."""
    out = gdf.copy()
    for column in out.select_dtypes(include=[np.floating]).columns:
        out[column] = out[column].round(4)
    return out
