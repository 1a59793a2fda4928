"""The households table (户数统计表): community workers' counts, by estate, from a spreadsheet.

A ``households.csv|xlsx`` with ``estate_id`` (or ``name`` + ``community_id`` when ids are
missing) and ``households``, optionally ``population``, fills or replaces the estates' counts
(DESIGN.md). Rows are named by their spreadsheet row number where they have no id; every row
matching no estate is reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gis_planner.errors import ProblemList, Text, format_rows
from gis_planner.i18n import Listing, Message, msg
from gis_planner.io import schema
from gis_planner.io.fields import as_text, is_blank, parse_numbers, strip_control
from gis_planner.io.files import reader_message

TABLE_NAMES = (schema.HOUSEHOLDS_TABLE, "户数统计表")
TABLE_ALIASES = {
    "小区代码": "estate_id",
    "小区编码": "estate_id",
    "小区名称": "name",
    "名称": "name",
    "社区代码": "community_id",
    "户数": "households",
    "常住人口": "population",
    "统计日期": "as_of",
}


def label_rows(
    labels: Iterable[Text], values: Iterable[object] | None = None, *, limit: int = 10
) -> Text | Listing:
    """Rows for a message, as :func:`~gis_planner.errors.format_rows` lists them, where a
    label may be a message (a spreadsheet row, ``table_row``): then the list is a message too.

    >>> label_rows(["E1", "E2"], [5, "x"])
    "E1 (5), E2 ('x')"
    >>> label_rows([msg("table_row", n=2), "E3"]).text("en")
    'row 2, E3'
    """
    labels = list(labels)
    if not any(isinstance(label, Message) for label in labels):
        return format_rows(labels, values, limit=limit)
    shown = labels[:limit]
    if values is not None:
        shown = [
            msg("row_value", row=label, value=format_rows([""], [value]))
            for label, value in zip(shown, values, strict=False)
        ]
    items = Listing.of(shown, kind="comma")
    more = len(labels) - limit
    return msg("rows_more", rows=items, more=more) if more > 0 else items


def _read(path: Path, entry: dict[str, Any], problems: ProblemList) -> pd.DataFrame | None:
    """The table as text, or ``None`` with the problem reported."""
    try:
        if path.suffix.lower() == ".xlsx":
            return pd.read_excel(path, sheet_name=entry.get("sheet", 0), dtype=str)
        return pd.read_csv(path, dtype=str, encoding=entry.get("encoding", "utf-8-sig"))
    except UnicodeDecodeError:
        problems.error(path.name, msg("table_not_utf8"))
    except Exception as err:  # noqa: BLE001 - reported with the file
        problems.error(path.name, msg("unreadable", error=reader_message(err, path)))
    return None


def _rename(
    table: pd.DataFrame, entry: dict[str, Any], source: str, problems: ProblemList
) -> pd.DataFrame | None:
    """The table with Chinese and mapped column names renamed; ``None`` when two columns
    would become one (``table_column_conflict``)."""
    table.columns = [str(c).strip() for c in table.columns]
    mapping = {**TABLE_ALIASES, **(entry.get("fields") or {})}
    targets: dict[str, list[str]] = {}
    for column in table.columns:
        targets.setdefault(mapping.get(column, column), []).append(column)
    conflicts = {t: c for t, c in targets.items() if len(c) > 1}
    for target, columns in conflicts.items():  # 户数 beside households: one would be ignored
        problems.error(
            source, msg("table_column_conflict", field=target, columns=", ".join(columns))
        )
    if conflicts:
        return None
    return table.rename(columns=mapping).reset_index(drop=True)


def _keyed(
    table: pd.DataFrame, line: pd.Series, source: str, problems: ProblemList
) -> tuple[pd.DataFrame, bool] | None:
    """The table and whether it is keyed by ``estate_id`` (else by ``name`` +
    ``community_id``); ``None`` when rows lack an id or the key columns are missing."""
    by_name = {"name", "community_id"} <= set(table.columns)
    by_id = "estate_id" in table.columns
    if by_id:
        blank_id = is_blank(table["estate_id"])
        if blank_id.all() and by_name:  # an empty id column: the names are the key
            table, by_id = table.drop(columns="estate_id"), False
        elif blank_id.any():
            problems.error(source, msg("table_blank_id", rows=label_rows(line[blank_id])))
            return None
        else:
            table["estate_id"] = as_text(table["estate_id"]).astype(object)
    if not (by_id or by_name) or "households" not in table.columns:
        problems.error(source, msg("table_columns", present=", ".join(table.columns)))
        return None
    return table, by_id


def _counts(
    table: pd.DataFrame, labels: pd.Series, source: str, problems: ProblemList, limit: Any
) -> pd.Series | None:
    """The households as whole numbers ≥ 0, none above ``limit``
    (``plausibility.max_households_per_estate``); ``None`` with the rows reported."""
    raw = table["households"]
    blank = is_blank(raw)
    numbers, bad = parse_numbers(raw, blank)
    bad |= blank | (numbers < 0) | (numbers != np.floor(numbers))
    if bad.any():
        rows = label_rows(labels[bad], raw[bad])
        problems.error(source, msg("not_integer", field="households", minimum=0, rows=rows))
        return None
    if limit is not None and (numbers > limit).any():
        over = numbers > limit
        problems.error(
            source,
            msg(
                "implausible",
                field="households",
                key="max_households_per_estate",
                limit=limit,
                rows=label_rows(labels[over], raw[over]),
            ),
        )
        return None
    return numbers.round().astype("Int64")


def _dates_ok(values: pd.Series, labels: pd.Series, source: str, problems: ProblemList) -> bool:
    """Whether every ``as_of`` is a date (2024-12-31, 2024/12/31, 2024年12月31日, an Excel
    date) not after today; else ``table_bad_date`` names the rows and values."""
    blank = is_blank(values)
    text = as_text(values).astype(str).str.strip()
    text = text.str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    dates = pd.to_datetime(text.where(~blank), errors="coerce", format="mixed")
    today = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    bad = ~blank & (dates.isna() | (dates >= today))
    if bad.any():
        rows = label_rows(labels[bad], values[bad])
        problems.error(source, msg("table_bad_date", field="as_of", rows=rows))
    return not bad.any()


def read_households_table(
    path: Path | None,
    entry: dict[str, Any],
    problems: ProblemList,
    *,
    plausibility: dict[str, Any] | None = None,
    max_rows: int | None = None,
    max_text_chars: int | None = None,
) -> tuple[pd.DataFrame | None, Path | None]:
    """The households table at ``path`` (``entry``: its planner.yaml settings), checked:
    renamed columns, a key for every row, text without invisible direction characters and
    within ``max_text_chars``, whole counts within the plausibility limit, dates in ``as_of``,
    one row per estate. ``(None, None)`` without a table or with the problems reported."""
    if path is None:
        return None, None
    table = _read(path, entry, problems)
    if table is None:
        return None, None
    if max_rows is not None and len(table) > max_rows:
        problems.error(path.name, msg("too_many_features", n=len(table), limit=max_rows))
        return None, None
    table = _rename(table, entry, path.name, problems)
    if table is None:
        return None, None
    table, controlled = strip_control(table)
    # the spreadsheet's own row numbers (its header is row 1)
    line = pd.Series([msg("table_row", n=i + 2) for i in range(len(table))], index=table.index)
    for column, hit in controlled.items():
        problems.warn(path.name, msg("control_chars", field=column, rows=label_rows(line[hit])))
    from gis_planner.io.validate import check_text  # validate words its rows with label_rows

    table = check_text(table, line, path.name, problems, max_chars=max_text_chars)
    keyed = _keyed(table, line, path.name, problems)
    if keyed is None:
        return None, None
    table, by_id = keyed
    key = table["estate_id"] if by_id else table["name"]
    labels = as_text(key).astype(object).where(~is_blank(key), line)
    labels = labels.map(lambda v: v if isinstance(v, Message) else str(v))
    limit = (plausibility or {}).get("max_households_per_estate")
    counts = _counts(table, labels, path.name, problems, limit)
    if counts is None:
        return None, None
    table["households"] = counts
    if "as_of" in table.columns and not _dates_ok(table["as_of"], labels, path.name, problems):
        return None, None
    keys = ["estate_id"] if by_id else ["name", "community_id"]
    duplicated = table.duplicated(keys, keep=False)
    if duplicated.any():
        rows = format_rows(table.loc[duplicated, keys[0]].astype(str).unique())
        problems.error(path.name, msg("table_duplicates", rows=rows))
        return None, None
    return table, path


def _ambiguous_names(
    estates: gpd.GeoDataFrame,
    lookup: pd.Series,
    keys: pd.MultiIndex,
    path: Path,
    problems: ProblemList,
) -> bool:
    """Report the table rows whose name + community_id match several estates
    (``table_ambiguous``: the rows, the estates, the fix); whether there were any."""
    shared = lookup.index[lookup.index.duplicated(keep=False)].unique()
    hits = np.flatnonzero(keys.isin(shared))
    for position in hits[:10]:
        name, community = keys[position]
        ids = estates.loc[lookup.loc[[(name, community)]].to_numpy(), "estate_id"]
        problems.error(
            path.name,
            msg(
                "table_ambiguous",
                row=msg("table_row", n=int(position) + 2),  # the header is row 1
                name=name,
                community=community,
                estates=format_rows(ids.astype(str).tolist()),
            ),
        )
    return len(hits) > 0


def apply_households_table(
    estates: gpd.GeoDataFrame,
    table: pd.DataFrame,
    path: Path,
    communities: gpd.GeoDataFrame,
    problems: ProblemList,
) -> gpd.GeoDataFrame:
    """Fill or replace the estates' household counts (and population) from the households
    table; rows matching no estate are a warning (``table_unmatched``), a row whose name +
    community_id matches several estates is an error naming them (``table_ambiguous``) —
    never the first one silently."""
    estates = estates.copy()
    if "estate_id" in table.columns and table["estate_id"].notna().all():
        key = table["estate_id"].astype(str)
        index = pd.Series(estates.index, index=estates["estate_id"].astype(str))
        matched = key.isin(index.index)
        targets = index.reindex(key[matched]).to_numpy()
    else:
        # name + community: the community is the one holding the estate's representative point
        points = gpd.GeoDataFrame(geometry=estates.representative_point(), crs=estates.crs)
        joined = gpd.sjoin(
            points, communities[["community_id", "geometry"]], how="left", predicate="within"
        )
        joined = joined[~joined.index.duplicated()]
        lookup = pd.Series(
            estates.index,
            index=pd.MultiIndex.from_arrays(
                [estates["name"].astype(str), joined["community_id"].astype(str)]
            ),
        )
        keys = pd.MultiIndex.from_arrays(
            [table["name"].astype(str), table["community_id"].astype(str)]
        )
        if _ambiguous_names(estates, lookup, keys, path, problems):
            return estates
        matched = pd.Series(keys.isin(lookup.index), index=table.index)
        targets = lookup.reindex(keys[matched.to_numpy()]).to_numpy()
        key = table["name"].astype(str)
    if (~matched).any():
        problems.warn(
            path.name,
            msg("table_unmatched", n=int((~matched).sum()), rows=format_rows(key[~matched])),
        )
    estates.loc[targets, "households"] = table.loc[matched, "households"].to_numpy()
    if "population" in table.columns:
        estates.loc[targets, "population"] = pd.to_numeric(
            table.loc[matched, "population"], errors="coerce"
        ).to_numpy()
    return estates
