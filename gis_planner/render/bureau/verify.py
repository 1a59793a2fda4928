"""Reading the written package back and checking it against what was meant to be written.

Every written layer is read back with pyogrio (:func:`verify_written`): CRS, feature count,
ids in order, every field's values (numbers within 1e-9 relative, text exactly), the number of
vertices of each feature, and a sample of :data:`SAMPLE_COORDINATES` vertices brought back to
the working CRS within :data:`TOLERANCE_M`. The field dictionary (:func:`verify_dictionary`)
and the zip (:func:`verify_zip`) are read back too. A problem anywhere is a
:class:`BureauVerificationError` and the previous package stays as it was.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from gis_planner.errors import Problem, format_rows
from gis_planner.i18n import tr
from gis_planner.render.bureau.dictionary import dictionary_file
from gis_planner.render.bureau.formats import PACKAGE, Written
from gis_planner.render.bureau.options import BureauError

TOLERANCE_M = 0.001
SAMPLE_COORDINATES = 50


class BureauVerificationError(BureauError):
    """A file of the package did not read back as written; ``problems`` lists every mismatch."""

    def __init__(self, problems: Iterable[Problem], *, lang: str = "zh"):
        self.problems = list(problems)
        lines = [tr("bureau_verify_header", lang, n=len(self.problems))]
        lines += [f"- {p.text(lang)}" for p in self.problems]
        super().__init__("\n".join(lines))


@dataclass
class Check:
    """What reading one written layer back found (:func:`verify_written`).

    Attributes
    ----------
    features : int
        Features read back.
    sampled : int
        Vertices compared.
    largest_error_m : float
        Largest distance of a sampled vertex from where it should be, metres (NaN when the
        vertices could not be compared).
    problems : list of Problem
        Every mismatch.
    """

    features: int
    sampled: int = 0
    largest_error_m: float = float("nan")
    problems: list[Problem] = field(default_factory=list)


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value == ""


def _floats(series: pd.Series) -> np.ndarray:
    return np.array(
        [np.nan if _is_blank(v) else float(v) for v in series.astype(object)], dtype=float
    )


def _texts(series: pd.Series) -> list[str | None]:
    return [None if _is_blank(v) else str(v) for v in series.astype(object)]


def _crs_text(crs: Any) -> str:
    if crs is None:
        return "—"
    epsg = pyproj.CRS(crs).to_epsg()
    return f"EPSG:{epsg}" if epsg else pyproj.CRS(crs).name


def _check_coordinates(
    item: Written, got: Any, ids: np.ndarray, source: str, lang: str, check: Check
) -> None:
    """Compare a sample of vertices, back in the working CRS, within :data:`TOLERANCE_M`."""
    expected = item.expected.geometry
    want = shapely.orient_polygons(np.asarray(expected.values), exterior_cw=False)
    have = shapely.orient_polygons(np.asarray(got.values), exterior_cw=False)
    n_want = shapely.get_num_coordinates(want)
    n_have = shapely.get_num_coordinates(have)
    if not np.array_equal(n_want, n_have):
        bad = n_want != n_have
        counts = [f"{a}≠{b}" for a, b in zip(n_have[bad], n_want[bad], strict=True)]
        check.problems.append(
            Problem(source, tr("bureau_check_vertices", lang, rows=format_rows(ids[bad], counts)))
        )
        check.sampled, check.largest_error_m = 0, float("nan")
        return
    xy_want = shapely.get_coordinates(want)
    xy_have = shapely.get_coordinates(have)
    if not len(xy_want):
        check.sampled, check.largest_error_m = 0, 0.0
        return
    sample = np.unique(
        np.linspace(0, len(xy_want) - 1, min(SAMPLE_COORDINATES, len(xy_want))).round().astype(int)
    )
    back = pyproj.Transformer.from_crs(item.crs, expected.crs, always_xy=True)
    x, y = back.transform(xy_have[sample, 0], xy_have[sample, 1])
    error = np.hypot(np.asarray(x) - xy_want[sample, 0], np.asarray(y) - xy_want[sample, 1])
    largest = float(np.nanmax(error)) if np.isfinite(error).any() else float("inf")
    off = ~(error <= TOLERANCE_M)
    if off.any():
        feature = np.repeat(np.arange(len(n_want)), n_want)[sample]
        check.problems.append(
            Problem(
                source,
                tr(
                    "bureau_check_coords",
                    lang,
                    n=int(off.sum()),
                    tolerance_mm=TOLERANCE_M * 1000,
                    max_mm=largest * 1000,
                    rows=format_rows(ids[feature[off]], [f"{e * 1000:.3f} mm" for e in error[off]]),
                ),
            )
        )
    check.sampled, check.largest_error_m = len(sample), largest


def _column_problem(
    column: str, expected: pd.Series, actual: pd.Series, ids: np.ndarray, lang: str
) -> str | None:
    """What differs between a field as written and as read back (``None`` when nothing)."""
    if pd.api.types.is_bool_dtype(expected.dtype) or pd.api.types.is_numeric_dtype(expected.dtype):
        a, b = _floats(expected), _floats(actual)
        same = (np.isnan(a) & np.isnan(b)) | np.isclose(a, b, rtol=1e-9, atol=1e-6)
        if same.all():
            return None
        values = [f"{y}≠{x}" for x, y in zip(a[~same], b[~same], strict=True)]
        return tr("bureau_check_numbers", lang, field=column, rows=format_rows(ids[~same], values))
    if pd.api.types.is_datetime64_any_dtype(expected.dtype):
        return None
    a_text, b_text = _texts(expected), _texts(actual)
    differ = np.array([x != y for x, y in zip(a_text, b_text, strict=True)], dtype=bool)
    if not differ.any():
        return None
    got = np.asarray(b_text, dtype=object)[differ]
    return tr("bureau_check_text", lang, field=column, rows=format_rows(ids[differ], got))


def _ids_problem(item: Written, got: Any, ids_want: np.ndarray, lang: str) -> str | None:
    """The ids read back, in order, against those written (``None`` when they agree)."""
    if item.id_column not in got.columns:
        return None  # reported with the missing columns
    ids_got = np.array(
        [None if _is_blank(v) else str(v) for v in got[item.id_column]], dtype=object
    )
    differ = ids_got != ids_want
    if not differ.any():
        return None
    rows = format_rows(ids_want[differ], ids_got[differ])
    return tr("bureau_check_ids", lang, field=item.id_column, rows=rows)


def verify_written(item: Written, root: Path, *, lang: str = "zh") -> Check:
    """Read one written layer back and compare it with what was written.

    Parameters
    ----------
    item : Written
        The layer, its file and what it must read back as.
    root : Path
        The package folder (problems name files relative to it).
    lang : {"zh", "en"}
        Language of the problems.

    Returns
    -------
    Check
        Features read, vertices sampled, the largest error (m) and every problem.
    """
    source = item.label(root)
    try:
        got = pyogrio.read_dataframe(item.path, layer=item.dataset_layer)
    except Exception as err:  # noqa: BLE001 - any reader failure is a failed check
        error = str(err).splitlines()[0]
        return Check(
            0, problems=[Problem(source, tr("bureau_check_unreadable", lang, error=error))]
        )
    want, check = item.expected, Check(len(got))
    if got.crs is None or not pyproj.CRS(got.crs).equals(
        pyproj.CRS(item.crs), ignore_axis_order=True
    ):
        text = tr("bureau_check_crs", lang, got=_crs_text(got.crs), expected=item.crs)
        check.problems.append(Problem(source, text))
    if len(got) != len(want):
        text = tr("bureau_check_count", lang, got=len(got), expected=len(want))
        check.problems.append(Problem(source, text))
        return check
    columns = [c for c in want.columns if c != want.geometry.name]
    missing = [c for c in columns if c not in got.columns]
    if missing:
        text = tr("bureau_check_columns", lang, fields=", ".join(missing))
        check.problems.append(Problem(source, text))
    ids_want = want[item.id_column].astype(str).to_numpy()
    ids_text = _ids_problem(item, got, ids_want, lang)
    if ids_text is not None:
        check.problems.append(Problem(source, ids_text))
        return check
    for column in columns:
        if column not in missing:
            found = _column_problem(column, want[column], got[column], ids_want, lang)
            if found is not None:
                check.problems.append(Problem(source, found))
    _check_coordinates(item, got.geometry, ids_want, source, lang, check)
    return check


def verify_dictionary(
    root: Path,
    dictionary: pd.DataFrame,
    codes: Mapping[str, Mapping[str, str]],
    *,
    lang: str = "zh",
) -> list[Problem]:
    """Read ``field_dictionary.csv`` and ``.xlsx`` back: both equal to ``dictionary``, and
    every Shapefile field name of ``codes`` listed (empty ``codes`` when no Shapefile)."""
    problems: list[Problem] = []
    csv_back = pd.read_csv(
        root / "field_dictionary.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    xlsx_back = pd.read_excel(root / "field_dictionary.xlsx", dtype=str).fillna("")
    written = dictionary_file(dictionary, lang=lang).astype(str).reset_index(drop=True)
    layer_header, code_header = written.columns[0], written.columns[1]
    for name, back in (("field_dictionary.csv", csv_back), ("field_dictionary.xlsx", xlsx_back)):
        if list(back.columns) != list(written.columns) or not back.equals(written):
            rows = format_rows(list(back.columns))
            problems.append(Problem(name, tr("bureau_check_text", lang, field=name, rows=rows)))
    for layer, mapping in codes.items():
        if layer_header not in csv_back or code_header not in csv_back:
            break  # the headers are reported above
        listed = set(csv_back.loc[csv_back[layer_header] == layer, code_header])
        lacking = [c for c in mapping.values() if c not in listed]
        if lacking:
            text = tr("bureau_check_dictionary", lang, layer=layer, codes=", ".join(lacking))
            problems.append(Problem("field_dictionary.csv", text))
    return problems


def verify_zip(path: Path, root: Path, names: list[str], *, lang: str = "zh") -> None:
    """Read the zip back: every member's CRC, and exactly the files of ``root`` (as
    ``bureau/<path>``) in the order written (``names``).

    Raises
    ------
    BureauVerificationError
        Naming the damaged member, or the names the zip and the folder do not share.
    """
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        expected = sorted(
            f"{PACKAGE}/{p.relative_to(root).as_posix()}" for p in root.rglob("*") if p.is_file()
        )
        if bad is None and archive.namelist() == names and names == expected:
            return
    differ = bad or ", ".join(sorted(set(names) ^ set(expected)))
    raise BureauVerificationError(
        [Problem(path.name, tr("bureau_check_zip", lang, names=differ))], lang=lang
    )
