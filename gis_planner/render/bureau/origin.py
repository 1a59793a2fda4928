"""Where the exported figures come from, as ``metadata.json`` and ``README.txt`` record it.

The package is rendered from a run's :class:`~gis_planner.results.Results` or from a run
folder read back (:class:`~gis_planner.io.runfolder.RunFolder`); :func:`origin_of` gives the
provenance of either: the layers folder or run folder, the rules (version, checksum, files),
the source layers with their checksums, the data note, and notes for the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis_planner.errors import Problem
from gis_planner.i18n import render, tr
from gis_planner.io.runfolder import RunFolder
from gis_planner.render.bureau.tables import LAYERS

if TYPE_CHECKING:
    from gis_planner.results import Results


@dataclass(frozen=True)
class Origin:
    """The provenance of an export.

    Attributes
    ----------
    kind : {"layers", "run", "results"}
        ``layers``: results computed from the layers folder ``path`` as it is; ``run``: a run
        folder read back; ``results``: results of another making (a scenario's edits).
    path : str
        The layers folder or run folder (empty for ``results``).
    name : str
        The planning area's name (the run folder's name for ``run``).
    rules : dict
        ``version``, ``sha256`` and ``files`` of the rules (``None`` / empty when unknown).
    source_layers : list of dict
        The input layers: ``layer``, ``file``, ``sha256``, ``crs`` and how a legacy datum was
        shifted (``transformation``), when it was.
    data_note : dict or None
        ``{lang: note}`` on the data (e.g. synthetic demo data).
    files : list of dict
        The files the export read (``file``, ``sha256``, and more for a run folder).
    notes : list of Problem
        What the README and the warnings should say about the source.
    """

    kind: str
    path: str
    name: str
    rules: dict[str, Any]
    source_layers: list[dict[str, Any]]
    data_note: dict[str, str] | None
    files: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


def _of_results(results: Results, lang: str) -> Origin:
    data = results.data
    rules = data.rules
    layers = []
    for info in data.sources.values():
        layer: dict[str, Any] = {
            "layer": info.layer,
            "file": Path(info.file).name,
            "sha256": info.sha256,
            "crs": info.crs,
            "features": info.features,
        }
        shift = getattr(info, "datum_shift", None)
        if shift:  # how a legacy datum was brought to CGCS2000
            layer["transformation"] = render(shift.text, lang)
        layers.append(layer)
    from_folder = data.folder is not None and getattr(results, "scenario", None) is None
    return Origin(
        kind="layers" if from_folder else "results",
        path=str(data.folder) if from_folder else "",
        name=data.name,
        rules={"version": rules.version, "sha256": rules.checksum(), "files": list(rules.sources)},
        source_layers=layers,
        data_note=data.data_note,
        files=[{"file": s["file"], "sha256": s["sha256"]} for s in layers],
    )


def _of_run(run: RunFolder, lang: str) -> Origin:
    folder = str(run.folder)
    notes = [Problem(folder, tr("bureau_run_precision", lang))]
    if run.settings is None:
        notes.append(Problem(folder, tr("bureau_run_no_report", lang)))
    sources = [
        {
            "layer": s.layer,
            "file": s.file,
            "sha256": s.sha256,
            "crs": s.crs,
            "description": s.description,
            **({"transformation": s.transformation} if s.transformation else {}),
        }
        for s in run.sources
    ]
    return Origin(
        kind="run",
        path=folder,
        name=run.name,
        rules={
            "version": run.rules_version,
            "sha256": run.rules_sha256,
            "files": list(run.rules_files),
        },
        source_layers=sources,
        data_note={run.lang or lang: run.data_note} if run.data_note else None,
        files=[
            {
                "layer": f.layer,
                "file": f.file,
                "sha256": f.sha256,
                "crs": f.crs,
                "features": f.features,
            }
            for f in run.files
            if f.layer in LAYERS  # the files the package is made from
        ],
        notes=notes,
    )


def origin_of(source: Results | RunFolder, *, lang: str = "zh") -> Origin:
    """The provenance of ``source`` (:class:`Origin`); ``lang`` words the notes.

    A run's results name the layers folder they were computed from (``kind="layers"``)
    unless a scenario edited them (``kind="results"``); a run folder read back names the run
    folder, the rules and the source layers its report records, and notes that its
    coordinates and figures are rounded as in the run.
    """
    if isinstance(source, RunFolder):
        return _of_run(source, lang)
    return _of_results(source, lang)
