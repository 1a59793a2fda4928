"""Values as files and sheets hold them: messages worded, lists joined, floats rounded.

Shared by every renderer (:mod:`.runfolder`, :mod:`.report`, :mod:`.onemap`, :mod:`.bureau`).

>>> from gis_planner.i18n import msg
>>> words([msg("gcj02_converted"), "E1"], lang="en")
'converted from GCJ-02 to WGS84 as declared; E1'
"""

from __future__ import annotations

from typing import Any

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


#: kinds of column (pandas' ``infer_dtype``, a scan in C) that hold no message and no list
_PLAIN = frozenset({"string", "empty", "boolean", "integer", "floating", "mixed-integer-float"})


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
        if series.dtype == object and pd.api.types.infer_dtype(series) not in _PLAIN:
            values = series.tolist()
            if any(map(needs_words, values)):
                out[column] = pd.Series(
                    worded_column(values, lang=lang), index=out.index, dtype=object
                )
    return out


class Texts:
    """Messages worded once per report (in one language): the analyses share message objects
    between rows and tables (at province size the R6 reasons of 100,000 estates hold 360,599
    messages, 148,903 objects, 290 distinct values), and wording one formats its template.

    Looked up by the object's identity first (the entry keeps the object alive, so no other
    object can take its identity meanwhile), then by value with the types of its parameters
    (``2000`` and ``2000.0`` are equal but worded apart); a message that cannot be hashed is
    worded each time.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.by_id: dict[int, tuple[Any, str]] = {}
        self.by_value: dict[Any, str] = {}
        self.lists: dict[tuple[str, tuple[int, ...]], str] = {}

    def __call__(self, item: Any) -> str:
        known = self.by_id.get(id(item))
        if known is not None:
            return known[1]
        try:
            key = _typed(item)
            shown = self.by_value.get(key)
            if shown is None:
                shown = self.by_value[key] = str(render(item, self.lang))
        except TypeError:  # a list among the parameters
            shown = str(render(item, self.lang))
        self.by_id[id(item)] = (item, shown)
        return shown

    def joined(self, items: list[Any] | tuple[Any, ...], sep: str) -> str:
        """The items worded and joined with ``sep``; a list of the very same objects as an
        earlier one (rows share them: at province size 100,000 lists of R6 reasons are 46,790
        such lists) joined once. Every item is kept in :attr:`by_id`, so its identity holds."""
        key = (sep, tuple(map(id, items)))
        shown = self.lists.get(key)
        if shown is None:
            known = self.by_id
            shown = self.lists[key] = sep.join(
                [k[1] if (k := known.get(id(i))) is not None else self(i) for i in items]
            )
        return shown


def _typed(value: Any) -> Any:
    """``value`` with the types of everything in it: equal values worded alike."""
    if isinstance(value, Message):
        return (value, tuple(_typed(v) for _, v in value.params))
    if isinstance(value, Listing):
        return (value, tuple(_typed(v) for v in value.items))
    if isinstance(value, Term):
        return (value, type(value.value))
    return (type(value), value)


def worded_column(values: list[object], *, lang: str = "zh") -> list[object]:
    """:func:`words` of every value of a column, each message worded once (:class:`Texts`).

    Rows share their values (at province size the 100,000 lists of R6 reasons are 43,423 list
    objects): each object is worded once, looked up by its identity (``values`` keeps every
    object alive meanwhile, so no two of them share an identity).

    >>> from gis_planner.i18n import msg
    >>> m = msg("gcj02_converted")
    >>> worded_column([[m, "E1"], None, m], lang="en")[:2]
    ['converted from GCJ-02 to WGS84 as declared; E1', None]
    """
    sep = LIST_SEPARATOR.get(lang, "; ")
    text = Texts(lang)
    # each object's rows by its identity, in C (pandas' hash table) rather than a dict lookup
    # per row
    ids = np.fromiter(map(id, values), dtype=np.uintp, count=len(values))
    rows, _ = pd.factorize(ids)
    first = np.unique(rows, return_index=True)[1]  # the row where each object first appears
    shown = np.empty(len(first), dtype=object)
    for k, row in enumerate(first.tolist()):
        value = values[row]
        if isinstance(value, (list, tuple)):
            shown[k] = text.joined(value, sep)
        elif isinstance(value, (Message, Term, Listing)):
            shown[k] = text(value)
        else:
            shown[k] = value
    return list(shown[rows])


def round_floats(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Floats rounded to 4 decimals, as every output shows them (GeoJSON, map popups)."""
    out = gdf.copy()
    for column in out.select_dtypes(include=[np.floating]).columns:
        out[column] = out[column].round(4)
    return out
