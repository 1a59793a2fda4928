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
        if series.dtype == object:
            values = series.tolist()
            if any(map(needs_words, values)):
                out[column] = pd.Series(
                    worded_column(values, lang=lang), index=out.index, dtype=object
                )
    return out


def worded_column(values: list[object], *, lang: str = "zh") -> list[object]:
    """:func:`words` of every value of a column, each message object worded once.

    The analyses share message objects between rows (at province size the R6 reasons of
    100,000 estates hold 360,599 messages but 148,903 distinct objects), and wording a message
    formats its template; so each object's text is kept by its identity while the column is
    worded (every object stays alive in ``values`` meanwhile, so no identity is reused).
    Hashing the messages instead costs about as much as wording them.

    >>> from gis_planner.i18n import msg
    >>> m = msg("gcj02_converted")
    >>> worded_column([[m, "E1"], None, m], lang="en")[:2]
    ['converted from GCJ-02 to WGS84 as declared; E1', None]
    """
    sep = LIST_SEPARATOR.get(lang, "; ")
    texts: dict[int, str] = {}

    def text(item: object) -> str:
        shown = texts.get(id(item))
        if shown is None:
            shown = texts[id(item)] = str(render(item, lang))
        return shown

    out: list[object] = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out.append(sep.join([text(item) for item in value]))
        elif isinstance(value, (Message, Term, Listing)):
            out.append(text(value))
        else:
            out.append(value)
    return out


def round_floats(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Floats rounded to 4 decimals, as every output shows them (GeoJSON, map popups)."""
    out = gdf.copy()
    for column in out.select_dtypes(include=[np.floating]).columns:
        out[column] = out[column].round(4)
    return out
