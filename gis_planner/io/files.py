"""The files of a layers folder: found, and looked at before any is read.

Input is data, never trusted: every file is looked at with ``stat`` only (a FIFO, device,
folder or broken link is refused unopened), its size and feature count are held against the
rules file's ``limits``, and every file of the folder that no layer reads is reported with the
layer it probably meant. Every problem is a :class:`~gis_planner.i18n.Message` added to a
:class:`~gis_planner.errors.ProblemList`.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

import pyogrio

from gis_planner.errors import ProblemList, Text
from gis_planner.i18n import Listing, Message, msg
from gis_planner.io import schema
from gis_planner.rules import RuleSet

MB = 1024 * 1024
# files of a layers folder that are never layers and never reported as "not read"
IGNORED_SUFFIXES = (
    ".md",
    ".txt",
    ".pdf",
    ".doc",
    ".docx",
    ".rtf",
    ".html",
    ".htm",
    ".log",
    ".ipynb",
    ".bak",
    ".tmp",
    ".lock",
)
IGNORED_NAMES = ("thumbs.db", "desktop.ini")
DATA_SUFFIXES = (
    *schema.VECTOR_EXTENSIONS,
    *schema.RASTER_EXTENSIONS,
    *schema.TABLE_EXTENSIONS,
    ".gdb",
    ".zip",
    ".kml",
    ".kmz",
    ".xls",
    ".dxf",
    ".dwg",
    ".gml",
    ".tab",
    ".mif",
    ".sqlite",
    ".yaml",
    ".yml",
)
# the file kinds (:func:`file_kind`) that are special files, each with its own word
SPECIAL_KINDS = ("fifo", "char_device", "block_device", "socket")


def listing(folder: Path) -> list[str]:
    """The names in ``folder``, sorted (empty when it cannot be listed)."""
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def file_kind(path: Path) -> tuple[str, os.stat_result | None]:
    """What ``path`` is, found with ``stat`` only (never opened: a FIFO would block):
    ``file``, ``dir``, ``missing``, ``dangling`` / ``loop`` (symbolic links), ``fifo``,
    ``char_device``, ``block_device``, ``socket``, ``unreadable``.

    >>> file_kind(Path("/nonexistent/x.gpkg"))
    ('missing', None)
    >>> file_kind(Path("/"))[0]
    'dir'
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return "missing", None
    except OSError:
        return "unreadable", None
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return "dangling", None
        except OSError as err:
            return ("loop" if err.errno == errno.ELOOP else "unreadable"), None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return "file", info
    if stat.S_ISDIR(mode):
        return "dir", info
    for test, kind in (
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISCHR, "char_device"),
        (stat.S_ISBLK, "block_device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return kind, info
    return "unreadable", info


def kind_message(kind: str, path: Path) -> Message:
    """The message for a path that is not a regular file (a :func:`file_kind` other than
    ``file``).

    >>> kind_message("fifo", Path("estates.gpkg")).text("en")
    'is a named pipe (FIFO), not a regular file, and was not opened; put the real data file here'
    """
    if kind == "dangling":
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return msg("symlink_dangling", target=target)
    if kind == "loop":
        return msg("symlink_loop")
    if kind == "dir":
        return msg("is_folder")
    if kind == "missing":
        return msg("file_missing", file=path)
    if kind in SPECIAL_KINDS:
        return msg("not_regular", kind=msg(f"kind_{kind}"))
    return msg("unreadable", error=msg("no_permission"))


def inside(folder: Path, file: str, key: str, problems: ProblemList) -> Path | None:
    """``folder / file``, unless ``file`` (named in planner.yaml under ``key``) leads out of
    the layers folder: then ``None``, with the problem reported (``config_outside``)."""
    relative = Path(str(file))
    if relative.is_absolute() or ".." in relative.parts or relative.drive:
        problems.error(schema.CONFIG_FILE, msg("config_outside", key=key, file=file, folder=folder))
        return None
    return folder / relative


def find_file(
    folder: Path,
    name: str,
    alias: str,
    extensions: tuple[str, ...],
    entry: dict[str, Any],
    problems: ProblemList,
) -> Path | None:
    """The file of layer ``name``: named in ``planner.yaml``, else found by its default name
    (case-insensitive: ``Estates.GeoJSON`` is ``estates.geojson``). A symbolic link is
    found too (whether it leads anywhere is :func:`check_input`'s question)."""
    if entry.get("file"):
        path = inside(folder, entry["file"], f"layers.{name}.file", problems)
        if path is None:
            return None
        if not os.path.lexists(path):
            problems.error(schema.CONFIG_FILE, msg("file_missing", file=path))
            return None
        return path
    wanted = {f"{stem}{ext}".lower() for stem in (name, alias) for ext in extensions}
    found = [folder / n for n in listing(folder) if n.lower() in wanted]
    if len(found) > 1:
        problems.error(name, msg("ambiguous", layer=name, files=", ".join(p.name for p in found)))
        return None
    return found[0] if found else None


def parts(path: Path) -> list[Path]:
    """The files making up ``path``: a shapefile's .shp, .shx, .dbf, .prj, .cpg … (any case)."""
    if path.suffix.lower() != ".shp":
        return [path]
    prefix = path.stem.lower() + "."
    return [path.parent / n for n in listing(path.parent) if n.lower().startswith(prefix)]


def check_input(path: Path, source: str, problems: ProblemList) -> int | None:
    """Bytes of the input at ``path`` when it can be read, else ``None`` with the problem
    reported — without opening anything: links leading nowhere or looping, FIFOs, devices,
    folders (but a FileGDB ``*.gdb``), empty files, shapefiles missing their .shx or .dbf."""
    kind, info = file_kind(path)
    if kind == "dir" and path.suffix.lower() == ".gdb":
        return _folder_size(path, source, problems)
    if kind != "file" or info is None:
        problems.error(source, kind_message(kind, path))
        return None
    if info.st_size == 0:
        problems.error(source, msg("empty_file"))
        return None
    total = info.st_size
    if path.suffix.lower() == ".shp":
        names = {p.name.lower() for p in parts(path)}
        missing = [
            path.stem + ext
            for ext in schema.SHAPEFILE_REQUIRED_PARTS
            if (path.stem + ext).lower() not in names
        ]
        if missing:
            problems.error(source, msg("shapefile_part_missing", part=", ".join(missing)))
            return None
        for part in parts(path):
            if part == path:
                continue
            part_kind, part_info = file_kind(part)
            if part_kind != "file" or part_info is None:
                problems.error(
                    source, msg("source_text", source=part.name, text=kind_message(part_kind, part))
                )
                return None
            total += part_info.st_size
    return total


def _folder_size(path: Path, source: str, problems: ProblemList) -> int | None:
    """Bytes of the files of a FileGDB folder; ``None`` when one is not a regular file."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            part_kind, part = file_kind(Path(root) / name)
            if part_kind != "file" or part is None:
                problems.error(
                    source,
                    msg(
                        "source_text", source=name, text=kind_message(part_kind, Path(root) / name)
                    ),
                )
                return None
            total += part.st_size
    return total


def reader_message(err: BaseException, path: Path) -> Text:
    """A reader's error in words a planner can act on (never GDAL's ``<DRIVER>:`` hint): a
    message of the catalogue, or the library's own first line with the folder left out.

    >>> reader_message(ValueError("'x.gpkg' not recognized as a supported file format"),
    ...                Path("x.gpkg")).code
    'not_a_layer_file'
    """
    text = (str(err).splitlines() or [type(err).__name__])[0]
    if "not recognized as" in text and "supported file format" in text:
        return msg("not_a_layer_file", ext=path.suffix or "—")
    if any(
        w in text
        for w in (
            "Failed to read",
            "Unterminated",
            "unexpected end",
            "truncated",
            "file is not a database",
            "malformed",
        )
    ):
        return msg("with_detail", text=msg("not_a_layer_file", ext=path.suffix or "—"), detail=text)
    text = re.sub(r"[.;\s]*It might help to specify the correct driver.*$", "", text)
    return text.replace(str(path), path.name)


def feature_count(
    path: Path, entry: dict[str, Any], source: str, problems: ProblemList
) -> int | None:
    """Features GDAL reports for the layer, before reading it (``-1`` when unknown);
    ``None`` with the problem reported when it cannot be opened."""
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if path.suffix.lower() in (".geojson", ".json"):
            return _geojson_feature_count(path)
        info = pyogrio.read_info(path, layer=entry.get("layer"))
    except Exception as err:  # noqa: BLE001 - any reader failure is reported with the file
        problems.error(source, msg("unreadable", error=reader_message(err, path)))
        return None
    return int(info.get("features", -1))


def _geojson_feature_count(path: Path) -> int:
    """The ``"Feature"`` members of a GeoJSON file's bytes: GDAL would parse the whole file
    to count, this is 30× faster and close enough for a limit (an unreadable file is
    reported when it is read)."""
    count, previous = 0, b""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MB), b""):
            count += (previous[-16:] + block).count(b'"Feature"') - previous[-16:].count(
                b'"Feature"'
            )
            previous = block
    return count


def layer_source(path: Path, entry: dict[str, Any]) -> str:
    """How problems name a layer's file: ``estates.gpkg``, or ``data.gpkg (layer xq)``."""
    return path.name + (f" (layer {entry['layer']})" if entry.get("layer") else "")


def check_inputs(
    folder: Path,
    inputs: dict[str, Path | None],
    entries: dict[str, Any],
    rules: RuleSet,
    problems: ProblemList,
) -> set[str]:
    """Check every input before any is read: that it is a file (or a FileGDB folder) and not a
    FIFO, device, folder or broken link; its size (``limits.max_file_mb``, all together
    ``limits.max_input_mb``); a vector layer's feature count (``limits.max_features_per_layer``,
    from GDAL's metadata) and that GDAL can open it. ``inputs`` maps each layer, the
    households table and the population raster to its file. Returns the inputs not to read."""
    limits = rules.limits.to_dict() if "limits" in rules else {}
    max_file = float(limits.get("max_file_mb", math.inf)) * MB
    max_features = limits.get("max_features_per_layer")
    refused: set[str] = set()
    total = 0
    for name, path in inputs.items():
        if path is None:
            continue
        entry = dict(entries.get(name) or {})
        source = layer_source(path, entry)
        size = check_input(path, source, problems)
        if size is None:
            refused.add(name)
            continue
        if size > max_file:
            problems.error(
                source, msg("file_too_large", size=size / MB, limit=limits["max_file_mb"])
            )
            refused.add(name)
            continue
        total += size
        if name in schema.VECTOR_LAYERS:
            count = feature_count(path, entry, source, problems)
            if count is None:
                refused.add(name)
            elif max_features is not None and count > max_features:
                problems.error(source, msg("too_many_features", n=count, limit=max_features))
                refused.add(name)
    if "max_input_mb" in limits and total > float(limits["max_input_mb"]) * MB:
        problems.error(
            folder.name or str(folder),
            msg("input_too_large", size=total / MB, limit=limits["max_input_mb"]),
        )
        refused |= set(inputs)
    return refused


def suggestion(name: str) -> str | None:
    """The layer a file name probably meant, or ``None``.

    >>> suggestion("estate.geojson"), suggestion("小区数据.gpkg"), suggestion("notes.gpkg")
    ('estates', 'estates', None)
    """
    stem = name.split(".", 1)[0].strip().lower()
    close = difflib.get_close_matches(stem, list(schema.FILE_STEMS), n=1, cutoff=0.6)
    return schema.FILE_STEMS[close[0]] if close else None


def _used_names(folder: Path, used: list[Path]) -> list[str]:
    """The (lower-case) names in ``folder`` of the files read."""
    names = []
    for path in used:
        try:
            relative = path.relative_to(folder)
        except ValueError:
            continue
        if relative.parts:  # (a rules file named '.' is the folder itself)
            names.append(relative.parts[0].lower())
    return names


def _not_read(name: str, used_names: list[str]) -> bool:
    """Whether ``name`` is a file no layer reads and worth reporting (not a sidecar of a
    file read, a hidden or office lock file, a document)."""
    low = name.lower()
    suffix = os.path.splitext(low)[1]
    if (
        low in used_names
        or low.startswith(".")
        or low.startswith("~$")
        or low in IGNORED_NAMES
        or suffix in IGNORED_SUFFIXES
    ):
        return False
    if any(low.startswith(u + ".") or low.startswith(u + "-") for u in used_names):
        return False  # a sidecar: estates.shp.xml, population.tif.aux.xml, x.gpkg-wal
    used_stems = {n.split(".", 1)[0] for n in used_names}
    return not (low.split(".", 1)[0] in used_stems and suffix not in DATA_SUFFIXES)


def unused_files(
    folder: Path, used: list[Path], problems: ProblemList, missing_required: set[str]
) -> dict[str, list[str]]:
    """Report every file of the folder that no layer reads (with the layer it probably
    meant); returns layer → such files. A file that probably is a missing required layer is
    an error (``file_unused_required``), the others one warning (``files_unused``)."""
    used_names = _used_names(folder, used)
    unused: list[Text] = []
    meant: dict[str, list[str]] = {}
    for name in listing(folder):
        if not _not_read(name, used_names):
            continue
        kind, _ = file_kind(folder / name)
        layer = suggestion(name)
        if kind == "dir" and layer is None and not name.lower().endswith(".gdb"):
            continue  # a folder of other things (old versions, outputs …)
        notes: list[Message] = []
        if kind not in ("file", "dir"):
            notes.append(kind_message(kind, folder / name))
        if layer is not None:
            meant.setdefault(layer, []).append(name)
            if layer in missing_required:
                problems.error(name, msg("file_unused_required", layer=layer))
                continue
            notes.append(msg("did_you_mean", layer=layer))
        shown: Text = name
        for note in notes:
            shown = msg("with_detail", text=shown, detail=note)
        unused.append(shown)
    if unused:
        layers = ", ".join((*schema.VECTOR_LAYERS, schema.HOUSEHOLDS_TABLE, "population"))
        problems.warn(
            f"{folder.name}/",
            msg("files_unused", files=Listing.of(unused, kind="semicolon"), layers=layers),
        )
    return meant


def sha256(path: Path) -> str:
    """SHA-256 of an input: a file, the parts of a shapefile, or the files of a FileGDB
    folder (their names and bytes)."""
    digest = hashlib.sha256()
    if path.is_dir():
        paths = sorted(p for p in path.rglob("*") if p.is_file())
    else:
        paths = sorted(parts(path))
    for p in paths:
        if path.is_dir():
            digest.update(p.relative_to(path).as_posix().encode("utf-8"))
        with open(p, "rb") as handle:
            while block := handle.read(MB):
                digest.update(block)
    return digest.hexdigest()
