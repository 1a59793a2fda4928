"""The fields of a layer: renamed to the contract's names and their values checked.

Chinese and mapped field names become the contract's English ones (:func:`rename_fields`);
every value is read as its field's kind (text, whole number, number, share, year, yes/no,
enumeration with its Chinese values) and every value that cannot be is reported with its rows
(:func:`coerce`). Missing values stay missing, never guessed.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner.errors import ProblemList, Text, format_rows
from gis_planner.i18n import msg
from gis_planner.io import schema

# C0 and C1 control characters except tab, line feed and carriage return: never meant in a name
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_EXACT_INTEGER = 2**53  # float64 holds whole numbers exactly up to here
LATEST_PLAN_YEAR = 2100  # a delivery year past this is a typing error, not a plan
# text that only says "missing": blank, and the words pandas/numpy/Python/GDAL print for a
# missing value when a table was saved through str() ('<NA>', 'nan', 'NaT', 'None', 'NULL')
NULL_WORDS = ("", "nan", "none", "null", "<na>", "nat", "<null>")
NUMERIC_KINDS = ("int", "number", "year", "plan_year")
# a shapefile's field names hold 10 bytes: a longer name arrives cut, in GBK or UTF-8
SHP_NAME_BYTES = 10
SHP_NAME_ENCODINGS = ("gbk", "utf-8")
UNKNOWN_CUTOFF = 0.75  # difflib ratio from which an unknown column is taken for a misspelling
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


def cut_names(name: str) -> tuple[str, ...]:
    """The forms ``name`` takes in a shapefile whose field names hold :data:`SHP_NAME_BYTES`
    bytes: cut at 10 GBK bytes, and at 10 UTF-8 bytes (a character cut in two dropped, or
    read as U+FFFD); none when it fits.

    >>> cut_names("所属社区编码")
    ('所属社区编', '所属社', '所属社\ufffd')
    >>> cut_names("户数")
    ()
    """
    forms: list[str] = []
    for encoding in SHP_NAME_ENCODINGS:
        try:
            raw = name.encode(encoding)
        except UnicodeEncodeError:
            continue
        if len(raw) <= SHP_NAME_BYTES:
            continue
        head = raw[:SHP_NAME_BYTES]
        forms += [head.decode(encoding, "ignore"), head.decode(encoding, "replace")]
    return tuple(f for f in dict.fromkeys(forms) if f and f != name)


def _names_of(f: schema.Field) -> tuple[str, ...]:
    """Every column name read as field ``f``: its name, aliases and their shapefile cuts."""
    names = (*f.alias_zh, f.name[:SHP_NAME_BYTES])
    return tuple(dict.fromkeys((*names, *(c for n in names for c in cut_names(n)))))


def _ambiguous_cuts(
    gdf: gpd.GeoDataFrame, spec: schema.LayerSpec, source: str, problems: ProblemList
) -> set[str]:
    """Columns whose name is the shapefile cut of names of two fields (``field_cut_ambiguous``,
    an error naming both); they are matched to neither."""
    owners: dict[str, list[str]] = {}
    for f in spec.fields:
        for full in (*f.alias_zh, f.name):
            for cut in cut_names(full):
                owners.setdefault(cut.lower(), [])
                if f.name not in owners[cut.lower()]:
                    owners[cut.lower()].append(f.name)
    ambiguous = set()
    for column in gdf.columns:
        fields = owners.get(str(column).lower(), [])
        if len(fields) > 1 and column not in {f.name for f in spec.fields}:
            ambiguous.add(column)
            names = ", ".join(fields)
            problems.error(
                source, msg("field_cut_ambiguous", column=column, fields=names, layer=spec.name)
            )
    return ambiguous


def rename_fields(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    entry: dict[str, Any],
    source: str,
    problems: ProblemList,
) -> gpd.GeoDataFrame:
    """The layer with its fields renamed: first as planner.yaml maps them
    (``entry["fields"]``), then Chinese aliases, names and aliases cut to 10 bytes (shapefiles,
    :func:`cut_names`) and other cases of the contract's names. Two columns for one field are
    an error (``field_conflict``), and so is a cut name two fields share
    (``field_cut_ambiguous``); a column close to a field's name that matches none is warned
    (``field_unknown``). ``attrs["source_columns"]`` remembers each field's column."""
    mapping = dict(entry.get("fields") or {})
    missing = [k for k in mapping if k not in gdf.columns]
    if missing:
        present = ", ".join(c for c in gdf.columns if c != "geometry")
        problems.error(source, msg("field_map_missing", names=", ".join(missing), present=present))
    gdf = gdf.rename(columns={k: v for k, v in mapping.items() if k in gdf.columns})
    ambiguous = _ambiguous_cuts(gdf, spec, source, problems)
    renames: dict[str, str] = {}
    lower = {c.lower(): c for c in gdf.columns if c not in ambiguous}
    geometry = gdf.geometry.name  # once: each gdf.geometry makes a GeoSeries
    for f in spec.fields:
        if f.name not in mapping.values():
            # two columns for one field (户数 beside households): one would be ignored
            names = {a.lower() for a in (f.name, *_names_of(f))}
            columns = [
                c
                for c in gdf.columns
                if c != geometry and c.lower() in names and c not in mapping.values()
            ]
            if len(columns) > 1:
                problems.error(
                    source,
                    msg(
                        "field_conflict", field=f.name, columns=", ".join(columns), layer=spec.name
                    ),
                )
        if f.name in gdf.columns:
            continue
        for alias in _names_of(f):
            column = alias if alias in gdf.columns else lower.get(alias.lower())
            if column is not None and column not in renames and column not in mapping.values():
                if column in ambiguous:
                    continue
                renames[column] = f.name
                break
        else:
            if f.name.lower() in lower:
                renames[lower[f.name.lower()]] = f.name
    gdf = gdf.rename(columns=renames)
    _warn_unknown(gdf, spec, set(mapping.values()) | ambiguous, source, problems)
    gdf.attrs["source_columns"] = {
        **{v: k for k, v in mapping.items()},
        **{v: k for k, v in renames.items()},
    }
    return gdf


def _warn_unknown(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    settled: set[str],
    source: str,
    problems: ProblemList,
) -> None:
    """Warn each column that is no field of ``spec`` but close to a field's name or alias
    (``field_unknown``: "未知字段 X，是否指 Y？"): a misspelt optional field is never
    silently left out. Columns close to nothing (a county's own fields) pass unremarked."""
    fields = {f.name for f in spec.fields}
    known = {n.lower() for f in spec.fields for n in (f.name, *_names_of(f))}
    choices = {n: f.name for f in spec.fields for n in (f.name, *f.alias_zh)}
    for column in gdf.columns:
        name = str(column)
        if column == gdf.geometry.name or name in fields or name in settled:
            continue
        if name.lower() in known:
            continue  # a second column for a field: reported as field_conflict
        squeezed = "".join(name.split()).lower()
        close = difflib.get_close_matches(squeezed, list(choices), n=1, cutoff=UNKNOWN_CUTOFF)
        if not close:
            close = difflib.get_close_matches(name, list(choices), n=1, cutoff=UNKNOWN_CUTOFF)
        if close:
            guess = (
                close[0] if close[0] == choices[close[0]] else f"{close[0]} ({choices[close[0]]})"
            )
            problems.warn(source, msg("field_unknown", column=name, guess=guess, layer=spec.name))


def row_ids(gdf: pd.DataFrame, spec: schema.LayerSpec) -> pd.Series:
    """Row labels for messages: the id field where present, else the 1-based row number."""
    if spec.id_field and spec.id_field in gdf.columns:
        raw = gdf[spec.id_field]
        ids = as_text(raw).astype(object)
        blank = is_blank(raw).to_numpy(dtype=bool)
        if blank.any():  # a blank id: the row number (made only for those rows)
            values = ids.to_numpy(dtype=object, copy=True)
            where = np.flatnonzero(blank)
            values[where] = [f"#{i + 1}" for i in where.tolist()]
            ids = pd.Series(values, index=gdf.index)
        return ids.astype(str)
    return pd.Series([f"#{i + 1}" for i in range(len(gdf))], index=gdf.index)


def as_text(series: pd.Series) -> pd.Series:
    """The values as stripped text (vectorised; missing values stay missing). Whole numbers
    read as floats are written as whole numbers: a code 330521001001 stays '330521001001',
    not '330521001001.0'.

    >>> as_text(pd.Series([330521001001.0, 1.5, None, " a "])).tolist()
    ['330521001001', '1.5', <NA>, 'a']
    """
    if pd.api.types.is_string_dtype(series.dtype) and series.dtype != object:
        return series.str.strip()
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = (
                np.isfinite(values)
                & (values == np.floor(values))
                & (np.abs(values) < MAX_EXACT_INTEGER)
            )
        text = series.astype("string")
        if whole.any():
            text[whole] = pd.Series(
                values[whole].astype(np.int64), index=series.index[whole]
            ).astype("string")
        return text.str.strip()
    if series.dtype == object:
        series = series.map(
            lambda v: (
                int(v)
                if isinstance(v, float) and v.is_integer() and abs(v) < MAX_EXACT_INTEGER
                else v
            )
        )
    return series.astype("string").str.strip()


def parse_numbers(raw: pd.Series, blank: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(numbers as float, refused mask): text numbers with thousands separators ('1,200')
    are read; true/false, infinite values and text that is no number are refused.

    >>> raw = pd.Series(["1,200", "约300", None, "7"])
    >>> numbers, refused = parse_numbers(raw, is_blank(raw))
    >>> numbers.tolist()[:2], refused.tolist()
    ([1200.0, nan], [False, True, False, False])
    """
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(np.nan, index=raw.index, dtype=float), ~blank
    refused = pd.Series(False, index=raw.index)
    values = raw.where(~blank)
    if not pd.api.types.is_numeric_dtype(raw.dtype):
        refused = ~blank & raw.map(lambda v: isinstance(v, bool | np.bool_)).astype(bool)
        text = as_text(values)
        grouped = text.str.fullmatch(_THOUSANDS).fillna(False).astype(bool)
        if grouped.any():
            text = text.where(~grouped, text.str.replace(",", "", regex=False))
        values = text.where(~refused)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    refused |= ~blank & (numbers.isna() | ~np.isfinite(numbers.fillna(0.0)))
    return numbers.where(~refused), refused


def strip_control(
    gdf: pd.DataFrame, columns: set[str] | None = None
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Text columns without control characters (ESC, NUL …); column → rows changed.
    ``columns``: the only columns that may hold them (None: every column)."""
    changed: dict[str, pd.Series] = {}
    geometry = gdf.geometry.name if isinstance(gdf, gpd.GeoDataFrame) else None
    for column in gdf.columns:
        series = gdf[column]
        if columns is not None and column not in columns:
            continue
        if column == geometry or not (
            series.dtype == object or pd.api.types.is_string_dtype(series.dtype)
        ):
            continue
        if series.dtype != object:  # a string column: one vectorised search
            hit = series.str.contains(CONTROL_CHARACTERS.pattern, regex=True, na=False)
            hit = hit.astype(bool)
            if not hit.any():
                continue
            text = series.fillna("").astype(str)
        else:
            values = series.to_numpy(dtype=object)
            strings = [v for v in values if isinstance(v, str)]
            if not strings or CONTROL_CHARACTERS.search("\n".join(strings)) is None:
                continue  # the common case: one search over the whole column
            is_str = pd.Series([isinstance(v, str) for v in values], index=series.index)
            text = series.where(is_str, "").astype(str)
            hit = is_str & text.str.contains(CONTROL_CHARACTERS, regex=True)
        if hit.any():
            if not changed:
                gdf = gdf.copy()
            cleaned = series.astype(object).copy()
            cleaned[hit] = text[hit].str.replace(CONTROL_CHARACTERS, "", regex=True)
            gdf[column] = cleaned
            changed[str(column)] = hit
    return gdf, changed


def _numbers_or_flags(series: pd.Series) -> bool:
    """A column of numbers or yes/no values: never text, so never blank words."""
    return bool(
        pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
    )


def is_blank(series: pd.Series, text: pd.Series | None = None) -> pd.Series:
    """Missing values, and text that only says so (:data:`NULL_WORDS`: '', '<NA>', 'nan' …).
    ``text``: ``as_text(series)`` when the caller has it already.

    >>> is_blank(pd.Series(["", "<NA>", "x", None, "nan"])).tolist()
    [True, True, False, True, True]
    """
    if _numbers_or_flags(series):
        return series.isna()
    if text is None:
        text = as_text(series)
    return (series.isna() | text.str.lower().isin(NULL_WORDS)).fillna(True).astype(bool)


def lookup_values(
    series: pd.Series, table: dict[str, Any], blank: pd.Series, text: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map values through ``table`` (keys lower-case); returns (values, unknown mask).
    ``text``: ``as_text(series)`` when the caller has it already."""
    keys = (as_text(series) if text is None else text).str.lower()
    # each distinct key looked up once (a column holds a few words in 100,000 rows)
    codes, uniques = pd.factorize(keys)
    found = np.array([table.get(k, np.nan) for k in uniques] + [np.nan], dtype=object)
    values = pd.Series(found[codes], index=series.index, dtype=object)  # code -1: the NaN
    unknown = (~blank & values.isna()).astype(bool)
    return values.where(~blank & ~unknown, None), unknown


@dataclass
class _Column:
    """One field's column while it is coerced: what messages need to name it and its rows."""

    field: schema.Field
    shown: Text  # the field as messages name it (with its source column when renamed)
    raw: pd.Series
    blank: pd.Series
    rows: pd.Series  # row labels (:func:`row_ids`)
    source: str
    problems: ProblemList
    text: pd.Series | None = None  # as_text(raw), when the column is not numbers or yes/no

    def error(self, code: str, bad: pd.Series | None = None, **values: Any) -> None:
        """Report ``code`` naming the field and, when ``bad`` is given, those rows with
        their values."""
        if bad is not None:
            values["rows"] = format_rows(self.rows[bad], self.raw[bad])
        self.problems.error(self.source, msg(code, field=self.shown, **values))


def coerce(
    gdf: gpd.GeoDataFrame,
    spec: schema.LayerSpec,
    rows: pd.Series,
    source: str,
    problems: ProblemList,
    *,
    earliest_year: int,
    filled_later: tuple[str, ...] = (),
    plausibility: dict[str, Any] | None = None,
) -> gpd.GeoDataFrame:
    """The layer with every field of ``spec`` read as its kind; every value that cannot be,
    every required field missing or empty, and every value past a ``plausibility`` limit is
    reported with its rows (labels ``rows``).

    Fields in ``filled_later`` (the estates' households, when a table or the population
    raster gives them) may be missing or empty. ``earliest_year`` is the earliest plausible
    year of a ``year`` field.
    """
    source_columns = dict(gdf.attrs.get("source_columns", {}))
    gdf = gdf.copy()
    for f in spec.fields:
        if f.name not in gdf.columns and f.name in filled_later:
            gdf[f.name] = pd.NA
        if f.name not in gdf.columns:
            if f.required:
                _report_missing_field(gdf, f, spec, source, problems)
            elif f.default is not None:
                gdf[f.name] = f.default
            continue
        column = source_columns.get(f.name, f.name)
        shown: Text = (
            msg("field_from_column", field=f.name, column=column) if column != f.name else f.name
        )
        raw = gdf[f.name]
        # the column as text once, for the blank test and the text and word fields (a
        # number or yes/no column needs none)
        text = None if _numbers_or_flags(raw) else as_text(raw)
        col = _Column(f, shown, raw, is_blank(raw, text), rows, source, problems, text)
        if f.required and col.blank.any() and f.name not in filled_later:
            problems.error(
                source,
                msg("required_empty", field=shown, rows=format_rows(rows[col.blank])),
            )
        gdf[f.name] = _coerce_column(col, earliest_year, plausibility or {})
    return gdf


def _report_missing_field(
    gdf: pd.DataFrame,
    f: schema.Field,
    spec: schema.LayerSpec,
    source: str,
    problems: ProblemList,
) -> None:
    """A required field no column holds (``field_missing``), with similar column names."""
    aliases = "、".join(f.alias_zh) or "—"
    close = difflib.get_close_matches(
        f.name, [str(c) for c in gdf.columns if c != "geometry"], n=3, cutoff=0.5
    )
    similar = msg("similar", names=", ".join(close)) if close else ""
    problems.error(
        source,
        msg("field_missing", field=f.name, aliases=aliases, similar=similar, layer=spec.name),
    )


def _coerce_column(col: _Column, earliest_year: int, plausibility: dict[str, Any]) -> pd.Series:
    """The values of one field as its kind (bad values missing, and reported)."""
    kind = col.field.kind
    if kind == "text":
        text = as_text(col.raw) if col.text is None else col.text
        return text.astype(object).where(~col.blank, None)
    if kind in NUMERIC_KINDS:
        return _numeric(col, earliest_year, plausibility)
    if kind == "share":
        return _share(col)
    if kind == "bool":
        return _boolean(col)
    if kind == "enum":
        return _enumeration(col)
    return col.raw


def _numeric(col: _Column, earliest_year: int, plausibility: dict[str, Any]) -> pd.Series:
    """A whole number, number or year field: out of range or not a number is an error
    (``bad_year``, ``not_integer``, ``not_number``), and so is a value past its plausibility
    limit (``implausible``) or past 2^53 (``number_too_large``)."""
    f, blank = col.field, col.blank
    numbers, bad = parse_numbers(col.raw, blank)
    minimum = f.minimum if f.minimum is not None else -np.inf
    if f.kind in ("year", "plan_year"):
        latest = _dt.date.today().year if f.kind == "year" else LATEST_PLAN_YEAR
        bad |= ~blank & (
            (numbers < earliest_year) | (numbers > latest) | (numbers != np.floor(numbers))
        )
        if bad.any():
            col.error("bad_year", bad, earliest=earliest_year, latest=latest)
    elif f.kind == "int":
        bad |= ~blank & ((numbers < minimum) | (numbers != np.floor(numbers)))
        if bad.any():
            floor = max(minimum, 0) if f.minimum is not None else 0
            col.error("not_integer", bad, minimum=floor)
    else:
        low = numbers <= minimum if f.exclusive_minimum else numbers < minimum
        bad |= ~blank & low
        if bad.any():
            cmp = ">" if f.exclusive_minimum else ">="
            col.error("not_number", bad, cmp=cmp, minimum=minimum if np.isfinite(minimum) else 0)
    limit = plausibility.get(f.plausible_max) if f.plausible_max else None
    over = ~blank & ~bad & (numbers > (limit if limit is not None else MAX_EXACT_INTEGER))
    if over.any():
        if limit is not None:
            col.error("implausible", over, key=f.plausible_max, limit=limit)
        else:
            col.error("number_too_large", over)
    numbers = numbers.where(~bad & ~over)
    if f.kind in ("int", "year", "plan_year"):
        return numbers.round().astype("Int64")
    return numbers.astype("Float64")


def _share(col: _Column) -> pd.Series:
    """A share 0–1, or percentages 0–100 (read as shares, with a warning); a mix of both
    cannot be trusted (``mixed_share``)."""
    numbers, bad = parse_numbers(col.raw, col.blank)
    bad |= ~col.blank & ((numbers < 0) | (numbers > 100))
    if bad.any():
        col.error("not_share", bad)
    elif (numbers > 1).any():
        fraction = (numbers > 0) & (numbers < 1)
        if fraction.any():  # 0.8 beside 75: which one is meant cannot be known
            col.error("mixed_share", fraction)
        else:
            col.problems.warn(col.source, msg("percent_read", field=col.shown))
        numbers = numbers / 100.0
    return numbers.astype("Float64")


def _boolean(col: _Column) -> pd.Series:
    """Yes/no: booleans, 0/1, or the words of :data:`schema.BOOL` (有/无, 是/否 …)."""
    raw, blank = col.raw, col.blank
    if pd.api.types.is_bool_dtype(raw.dtype):
        # the values and their blanks as they are, not through one Python object each
        values = raw.to_numpy(dtype=bool, na_value=False)
        mask = blank.to_numpy(dtype=bool)
        converted = pd.Series(pd.arrays.BooleanArray(values, mask), index=raw.index, name=raw.name)
        bad = blank & False
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        bad = ~blank & ~raw.isin([0, 1])
        converted = (raw == 1).astype(object).where(~blank & ~bad, None)
    else:
        converted, bad = lookup_values(raw, schema.BOOL, blank, col.text)
    if bad.any():
        col.error("bad_bool", bad)
    return converted.astype("boolean")


def _enumeration(col: _Column) -> pd.Series:
    """An enumeration: its English values or their Chinese ones; an unknown value is an
    error listing the valid ones (``bad_enum``); missing values take the field's default."""
    f = col.field
    table = {k.lower(): v for k, v in f.values.items()}
    table.update({c.lower(): c for c in f.choices})
    converted, bad = lookup_values(col.raw, table, col.blank, col.text)
    if bad.any():
        zh_for: dict[str, str] = {}
        for zh, en in f.values.items():
            zh_for.setdefault(en, zh)
        valid = ", ".join(f"{c}/{zh_for[c]}" if c in zh_for else c for c in f.choices)
        col.error("bad_enum", bad, valid=valid)
    if f.default is not None:
        converted = converted.where(converted.notna(), f.default)
    return converted.astype(object)
