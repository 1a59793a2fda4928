"""Command line: ``gis-planner run | demo | check | export``.

Exit code 0 on success, 1 on invalid input (every problem listed), 2 on usage errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import logging
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gis_planner.errors import PlannerError
from gis_planner.i18n import tr
from gis_planner.render.atomic import FolderBusyError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Community layout and premises planning (Deqing 2020 opinions).",
)
console = Console()
err_console = Console(stderr=True)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Basemap(StrEnum):
    auto = "auto"
    osm = "osm"
    tianditu = "tianditu"
    amap = "amap"
    none = "none"


BASEMAP_OPTION = typer.Option(
    Basemap.auto,
    "--basemap",
    help="Basemap of map.html: auto (Tianditu when TIANDITU_KEY is set, else OpenStreetMap), "
    "osm, tianditu (key from TIANDITU_KEY), amap (overlays shifted to GCJ-02 for display only) "
    "or none.",
)
LANG_OPTION = typer.Option(Lang.zh, "--lang", help="Language of report, map and messages.")
VERBOSE_OPTION = typer.Option(False, "--verbose", "-v", help="Log every step.")
SITES_OPTION = typer.Option(
    None,
    "--sites",
    min=1,
    help="Number of new premises sites of the maximal-coverage proposal (R7); default "
    "rules.layout.new_sites_p.",
)
PROPOSALS_OPTION = typer.Option(
    True,
    "--proposals/--no-proposals",
    help="Propose community boundaries, premises sites and the reach raster (R7).",
)
WORKERS_OPTION = typer.Option(
    None,
    "--workers",
    min=1,
    help="Run the counties on N dask.distributed worker processes of a local cluster "
    "(LocalCluster, one thread each; 1 = one worker process) and merge the outputs: equal "
    "to a single run except that R7 boundary proposals stay within a county "
    "(gis_planner.partition). Needs the parallel extra.",
)
SCHEDULER_OPTION = typer.Option(
    None,
    "--scheduler",
    help="Run the counties on the dask.distributed cluster at ADDRESS (tcp://host:port) "
    "instead of a local one.",
)


class PartitionBy(StrEnum):
    auto = "auto"
    field = "field"
    code = "code"


PARTITION_BY_OPTION = typer.Option(
    PartitionBy.auto,
    "--partition-by",
    help="The county of a community with --workers/--scheduler: field = the communities' "
    "county field (所属区县), code = the first 6 digits of a 12-digit statistical "
    "community_id, auto = field, else code, else the whole folder as one partition.",
)
ATLAS_OPTION = typer.Option(
    True,
    "--atlas/--no-atlas",
    help="Write atlas.pdf, the printable map book (needs a CJK font: fonts-noto-cjk).",
)


def demo_layers() -> Path:
    """The embedded demo layers folder (:func:`gis_planner.datasets.get_path`): shipped in the
    package, or ``layers/deqing_demo`` of a source checkout."""
    from gis_planner.datasets import get_path

    try:
        return get_path("deqing_demo")
    except FileNotFoundError as err:
        raise typer.BadParameter(str(err)) from err


#: free space an output folder needs before a run starts, besides four times the input size:
#: a data-size guard (not policy), so that a full disk is found before the analyses run
MIN_FREE_BYTES = 20_000_000


def _setup_logging(verbose: bool) -> None:
    from rich.logging import RichHandler

    # through the same console as the progress spinner, so log lines never glue onto it
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        force=True,
        format="%(name)s: %(message)s",
        datefmt="[%X]",
        handlers=[
            RichHandler(console=err_console, show_path=False, markup=False, rich_tracebacks=False)
        ],
    )


def _say(text: str) -> None:
    err_console.print(text, markup=False, highlight=False, soft_wrap=True)


def _plan_year_failed(err: PlannerError, year: int | None, lang: str) -> NoReturn:
    """A plan year before the data year: a usage error (exit 2) when given with --year, bad
    input (exit 1) when it came from a scenario file."""
    _say(err.text(lang))
    raise typer.Exit(code=2 if year is not None else 1) from None


def _fail(err: PlannerError, lang: str = "zh") -> NoReturn:
    _say(err.text(lang))
    raise typer.Exit(code=1)


def _busy(folder: Path, lang: str) -> NoReturn:
    """Another run is writing ``folder``: say so, exit 1."""
    _say(tr("out_busy", lang, path=folder.resolve()))
    raise typer.Exit(code=1)


def _usage(text: str) -> NoReturn:
    _say(text)
    raise typer.Exit(code=2)


def _crash_log(err: BaseException) -> Path:
    """Write the traceback of an unexpected error to a log file; returns its path."""
    folder = Path(tempfile.gettempdir()) / "gis-planner"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    handle, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".log", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as log_file:
        from gis_planner import __version__

        log_file.write(f"gis-planner {__version__}\n")
        log_file.write("".join(traceback.format_exception(err)))
    return Path(name)


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(command: F) -> F:
    """The last resort: an unexpected error prints a short apology naming a log file with the
    traceback (exit 3), never a stack; an interrupt says the previous outputs are unchanged."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = str(getattr(kwargs.get("lang"), "value", kwargs.get("lang") or "zh"))
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter):
            raise
        except KeyboardInterrupt:
            _say(tr("interrupted", lang))
            raise typer.Exit(code=130) from None
        except Exception as err:  # noqa: BLE001 - the one place that catches everything
            try:
                path: object = _crash_log(err)
            except OSError:
                path = "—"
            _say(tr("crash", lang, error=type(err).__name__, path=path))
            raise typer.Exit(code=3) from None

    return wrapper  # type: ignore[return-value]


def _check_out(out: Path, layers_dir: Path | None, lang: str) -> None:
    """Usage errors (exit 2) and an unwritable or full output folder (exit 1), before work."""
    resolved = out.resolve()
    if layers_dir is not None and resolved == layers_dir.resolve():
        _usage(tr("out_is_input", lang, out=out))
    if out.exists() and not out.is_dir():
        _usage(tr("out_not_folder", lang, out=out))
    if resolved.parent == resolved or resolved == Path.home().resolve():
        _usage(tr("out_too_broad", lang, out=resolved))
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        _fail(
            PlannerError(tr("out_not_writable", lang, out=resolved, error=err.strerror or err)),
            lang,
        )
    if layers_dir is not None:
        size = sum(p.stat().st_size for p in layers_dir.iterdir() if p.is_file())
        need = MIN_FREE_BYTES + 4 * size
        free = shutil.disk_usage(out).free
        if free < need:
            _fail(
                PlannerError(
                    tr("out_disk_full", lang, out=resolved, free=free / 1e6, need=need / 1e6)
                ),
                lang,
            )


#: peak memory of the R7 layout proposals per estate, measured (100,000 estates: 3.0 GB;
#: 200,000: 7.3 GB): a resource guard, not policy
PROPOSAL_BYTES_PER_ESTATE = 36_000


def _available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux MemAvailable), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _check_proposal_memory(n_estates: int, lang: str) -> None:
    """Refuse the layout proposals before they run out of memory (exit 1, with the fix)."""
    need, available = PROPOSAL_BYTES_PER_ESTATE * n_estates, _available_memory()
    if available is not None and need > available:
        _fail(
            PlannerError(
                tr(
                    "proposals_memory",
                    lang,
                    n=n_estates,
                    need=need / 1e9,
                    available=available / 1e9,
                )
            ),
            lang,
        )


def _check_year(year: int | None, lang: str) -> None:
    from gis_planner.io.layers import LATEST_PLAN_YEAR

    if year is not None and year > LATEST_PLAN_YEAR:
        _usage(tr("year_too_late", lang, year=year, latest=LATEST_PLAN_YEAR))


def _write_failed(err: OSError, out: Path, lang: str) -> NoReturn:
    _fail(
        PlannerError(tr("out_write_failed", lang, out=out.resolve(), error=err.strerror or err)),
        lang,
    )


def _check_basemap(basemap: str, lang: str) -> None:
    """A usage error before any work: Tianditu needs its key (TIANDITU_KEY)."""
    if basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        err_console.print(
            tr("map_tianditu_needs_key", lang), markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2)


#: warnings `run` prints before pointing to the report's warnings sheet (`check` prints all)
RUN_WARNINGS_SHOWN = 10


def _analyse(
    layers_dir: Path,
    *,
    rules: Path | None,
    year: int | None,
    scenario: Path | None,
    proposals: bool,
    sites: int | None,
    lang: str,
    on_loaded: Callable[[], None] = lambda: None,
    parallel: dict[str, Any] | None = None,
) -> tuple[Any, Any, Any]:
    """Load ``layers_dir`` (and the scenario file's rules and edits) and run every analysis:
    the one path `run` and `check` share, so that both give the same warnings for the same
    folder and options. Returns ``(data, results, scenario or None)``; raises the loading and
    analysis errors for the caller to word."""
    from gis_planner.io.layers import load_layers
    from gis_planner.pipeline import run

    description = None
    plan_year = year
    plan = None
    if scenario is not None:  # the layers, then the scenario file's rules and edits
        from gis_planner.scenario import Scenario

        plan = Scenario.from_file(scenario, base=layers_dir, rules=rules, year=year)
        data = plan.data
        description, plan_year = {**plan.to_dict(), "year": plan.year}, plan.year
    else:
        data = load_layers(layers_dir, rules=rules, require_households=True)
    on_loaded()
    if proposals:
        _check_proposal_memory(len(data.estates) if data.estates is not None else 0, lang)
    if parallel is None:
        results = run(
            data, plan_year=plan_year, proposals=proposals, sites=sites, scenario=description
        )
        return data, results, plan
    from gis_planner.partition import run_partitioned

    results = run_partitioned(
        data, plan_year=plan_year, proposals=proposals, sites=sites, **parallel
    )
    if description is not None:
        results = dataclasses.replace(results, scenario=description)
    return data, results, plan


def _parallel(
    workers: int | None, scheduler: str | None, partition_by: str, lang: str
) -> dict[str, Any] | None:
    """The options of a partitioned run (``--workers``/``--scheduler``), None without them;
    exit 1 with a clear message when dask.distributed is not installed."""
    if workers is None and scheduler is None:
        return None
    from gis_planner.partition import ONE_PARTITION, require_dask

    try:
        require_dask()
    except PlannerError as err:
        _fail(err, lang)

    def on_partitions(parts: dict[str, Any]) -> None:
        where = scheduler or f"LocalCluster(n_workers={workers}, threads_per_worker=1)"
        how = tr("partition_cluster", lang, where=where)
        if list(parts) == [ONE_PARTITION]:
            _say(tr("partition_one", lang))
        _say(tr("partition_counties", lang, n=len(parts), how=how))

    return {
        "workers": workers,
        "scheduler": scheduler,
        "by": partition_by,
        "on_partitions": on_partitions,
    }


def _print_warnings(warnings: Any, lang: str, *, limit: int | None = None) -> None:
    """The warnings of a run, one ``! source: text`` line each, as `run` and `check` print
    them (input text escaped: a ``[`` in a name is never read as markup)."""
    shown = warnings if limit is None else warnings[:limit]
    for w in shown:
        console.print(
            f"[yellow]![/yellow] {escape(w.text(lang))}",
            markup=True,
            highlight=False,
            soft_wrap=True,
        )
    if limit is not None and len(warnings) > limit:
        console.print(
            f"… +{len(warnings) - limit} ({tr('summary_warnings', lang)}: report.xlsx)",
            highlight=False,
        )


def _run(
    layers_dir: Path,
    out: Path,
    rules: Path | None,
    year: int | None,
    lang: str,
    scenario: Path | None = None,
    basemap: str = "auto",
    sites: int | None = None,
    proposals: bool = True,
    atlas: bool = True,
    parallel: dict[str, Any] | None = None,
) -> None:
    from gis_planner.pipeline import PlanYearError
    from gis_planner.render.report import summary_rows
    from gis_planner.render.runfolder import write_run

    _check_basemap(basemap, lang)
    _check_year(year, lang)
    _check_out(out, layers_dir, lang)
    started = time.perf_counter()
    with _spinner(tr("step_read", lang)) as (progress, on_step):
        try:
            data, results, plan = _analyse(
                layers_dir,
                rules=rules,
                year=year,
                scenario=scenario,
                proposals=proposals,
                sites=sites,
                lang=lang,
                on_loaded=lambda: on_step(tr("step_analyse", lang)),
                parallel=parallel,
            )
            extra = {"scenario.yaml": plan.to_yaml(relative_to=out)} if plan is not None else {}
            on_step(tr("step_write", lang))
            try:
                written, _ = write_run(
                    results,
                    out,
                    lang=lang,
                    extra_files=extra,
                    basemap=basemap,
                    atlas_pdf=atlas,
                    on_step=lambda s: on_step(f"{tr('step_write', lang)}: {s}"),
                )
            except OSError as err:  # a full disk or a vanished folder while writing
                progress.stop()
                _write_failed(err, out, lang)
        except PlanYearError as err:
            progress.stop()
            _plan_year_failed(err, year, lang)
        except PlannerError as err:
            progress.stop()
            _fail(err, lang)
        except FolderBusyError:
            progress.stop()
            _busy(out, lang)
    table = Table(title=f"{tr('summary_title', lang)} — {data.name}", show_header=False)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    for key, value in summary_rows(results, lang=lang):
        table.add_row(key, value)
    console.print(table)
    _print_warnings(results.warnings, lang, limit=RUN_WARNINGS_SHOWN)
    console.print(f"{tr('summary_outputs', lang)} {out} ({time.perf_counter() - started:.1f} s):")
    for path in written.values():
        console.print(f"  {path}", highlight=False)


@app.command()
@_guarded
def run(
    layers_dir: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="Folder of input layers (and planner.yaml)."
    ),
    out: Path = typer.Option(Path("outputs"), "--out", help="Folder for the outputs."),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        exists=True,
        dir_okay=False,
        help="Rules file overriding the default rules.",
    ),
    year: int | None = typer.Option(
        None,
        "--year",
        help="Plan year (not before the data year): planned premises count, "
        "development parcels delivered by then add their households.",
    ),
    scenario: Path | None = typer.Option(
        None,
        "--scenario",
        exists=True,
        dir_okay=False,
        help="Scenario file (YAML: name, year, rules, edits) applied to LAYERS_DIR; "
        "--year wins over its year. See gis_planner.scenario.",
    ),
    lang: Lang = LANG_OPTION,
    basemap: Basemap = BASEMAP_OPTION,
    sites: int | None = SITES_OPTION,
    proposals: bool = PROPOSALS_OPTION,
    atlas: bool = ATLAS_OPTION,
    workers: int | None = WORKERS_OPTION,
    scheduler: str | None = SCHEDULER_OPTION,
    partition_by: PartitionBy = PARTITION_BY_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Run every analysis on LAYERS_DIR and write layers, report, map and atlas to --out."""
    _setup_logging(verbose)
    _run(
        layers_dir,
        out,
        rules,
        year,
        lang.value,
        scenario,
        basemap.value,
        sites,
        proposals,
        atlas,
        parallel=_parallel(workers, scheduler, partition_by.value, lang.value),
    )


@app.command()
@_guarded
def demo(
    out: Path = typer.Option(Path("outputs"), "--out", help="Folder for the outputs."),
    year: int | None = typer.Option(None, "--year", help="Plan year: planned premises count."),
    lang: Lang = LANG_OPTION,
    basemap: Basemap = BASEMAP_OPTION,
    sites: int | None = SITES_OPTION,
    proposals: bool = PROPOSALS_OPTION,
    atlas: bool = ATLAS_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Run on the embedded Deqing demo (layers/deqing_demo)."""
    _setup_logging(verbose)
    _run(
        demo_layers(),
        out,
        None,
        year,
        lang.value,
        basemap=basemap.value,
        sites=sites,
        proposals=proposals,
        atlas=atlas,
    )


@app.command()
@_guarded
def check(
    layers_dir: Path = typer.Argument(..., exists=True, file_okay=False),
    rules: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False),
    year: int | None = typer.Option(None, "--year", help="Plan year, as for `run`."),
    scenario: Path | None = typer.Option(
        None, "--scenario", exists=True, dir_okay=False, help="Scenario file, as for `run`."
    ),
    lang: Lang = typer.Option(Lang.zh, "--lang"),
    sites: int | None = SITES_OPTION,
    proposals: bool = PROPOSALS_OPTION,
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Validate LAYERS_DIR and run the same analyses as `run`, writing nothing; exit 1
    listing every problem. Prints every warning `run` gives with the same options."""
    from gis_planner.pipeline import PlanYearError

    _setup_logging(verbose)
    code = lang.value
    _check_year(year, code)
    try:
        data, results, _ = _analyse(
            layers_dir,
            rules=rules,
            year=year,
            scenario=scenario,
            proposals=proposals,
            sites=sites,
            lang=code,
        )
    except PlanYearError as err:
        _plan_year_failed(err, year, code)
    except PlannerError as err:
        _fail(err, code)
    for name, info in data.sources.items():
        console.print(
            f"✓ {name}: {Path(info.file).name} — {info.features} ({info.crs})",
            highlight=False,
            markup=False,
        )
    if data.population_raster is not None:
        console.print(f"✓ population: {data.population_raster.name}", highlight=False, markup=False)
    _print_warnings(results.warnings, code)
    console.print(
        tr("check_ok", code, n=len(data.sources), warnings=len(results.warnings)),
        highlight=False,
    )


@contextlib.contextmanager
def _spinner(description: str) -> Iterator[tuple[Progress, Callable[[str], None]]]:
    """A transient spinner on stderr, and the function that sets its text (one step)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)
        yield progress, lambda text: progress.update(task, description=text)


def _source_results(source: Path, lang: str, on_step: Callable[[str], None]) -> Any:
    """What the bureau export renders: a run folder read back
    (:func:`gis_planner.io.runfolder.read_run`), or the results of a layers folder loaded and
    run with the R7 proposals, as ``run`` does (:func:`gis_planner.pipeline.run`)."""
    from gis_planner import pipeline
    from gis_planner.io.layers import load_layers
    from gis_planner.io.runfolder import is_run_folder, read_run
    from gis_planner.render import atomic

    atomic.settle(source)  # a run killed mid-commit there: back to its last complete set
    if is_run_folder(source):
        return read_run(source)
    data = load_layers(source, require_households=True)
    on_step(tr("step_analyse", lang))
    return pipeline.run(data)


def _print_bureau(result: Any, lang: str) -> None:
    """The features written per layer and format, what was skipped, the first warnings."""
    table = Table(title=f"{tr('bureau_counts_title', lang)} — {result.crs}")
    table.add_column(tr("bureau_layer", lang))
    columns = [
        f
        for f in ("geojson", "geojson_wgs84", "shp", "gpkg", "gdb")
        if any(f in c for c in result.counts.values())
    ]
    for column in columns:
        table.add_column(column, justify="right")
    for layer, counts in result.counts.items():
        table.add_row(
            f"{layer} {tr(f'bureau_layer_{layer}', lang)}",
            *[str(counts.get(c, "—")) for c in columns],
        )
    console.print(table)
    for fmt, reason in result.skipped.items():
        console.print(
            f"[yellow]![/yellow] {tr('bureau_skipped', lang, format=fmt, reason=reason)}",
            highlight=False,
        )
    for w in result.warnings[:10]:
        console.print(f"[yellow]![/yellow] {escape(w.text(lang))}", highlight=False)
    if len(result.warnings) > 10:
        console.print(f"… +{len(result.warnings) - 10} (metadata.json)")
    console.print(
        f"{tr('bureau_done', lang)} {result.folder.resolve()} ({result.timings['total']:.1f} s):",
        highlight=False,
    )
    console.print(f"  {result.zip_path.resolve()}", highlight=False)


@app.command()
@_guarded
def export(
    source: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A layers folder, or a run folder written by `run`."
    ),
    bureau: bool = typer.Option(
        False,
        "--bureau",
        help="Write the package for the natural resources and "
        "planning bureau (CGCS2000): bureau/ and bureau.zip.",
    ),
    crs: str = typer.Option(
        "4490",
        "--crs",
        help="4490 (CGCS2000 lon/lat, default), zone (the county's own 3-degree GK zone, "
        "the run's working CRS; Deqing 4549), zone-prefixed (the same with the zone number; "
        "Deqing 4528), or a CGCS2000 GK code 4491-4554 (refused when far from the data).",
    ),
    formats: list[str] | None = typer.Option(
        None,
        "--format",
        help="geojson, shp, gpkg, gdb: repeat or separate with commas; "
        "default all (gdb skipped with a note when GDAL cannot write it).",
    ),
    out: Path = typer.Option(
        Path("outputs"), "--out", help="Folder receiving bureau/ and bureau.zip."
    ),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of README.txt and messages."),
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Export LAYERS_DIR or RUN_DIR for the bureau: written, read back, checked, moved in.

    A layers folder is loaded and run first (with the layout proposals, as `run` does); a run folder is read back as it is. Exit 2 on an unknown --crs or --format; 1 on invalid input, an output folder that is not writable, or a package that fails its check (the previous package is left as it was).
    """  # noqa: E501 - one paragraph a line for the help screen
    from gis_planner.render.bureau import (
        BureauOptionError,
        export_bureau,
        parse_crs,
        parse_formats,
        preflight,
    )

    _setup_logging(verbose)
    code = lang.value
    if not bureau:
        err_console.print(tr("bureau_flag_missing", code), markup=False, highlight=False)
        raise typer.Exit(code=2)
    try:
        crs_code = parse_crs(crs, lang=code)
        asked = parse_formats(formats, lang=code)
    except BureauOptionError as err:
        _usage(err.text(code))
    _check_out(out, None, code)
    with _spinner(tr("bureau_step_read", code)) as (progress, on_step):
        try:
            preflight(out, formats=asked, lang=code)  # before any loading or analysing
            rendered = _source_results(source, code, on_step)
            result = export_bureau(
                rendered, out, crs=crs_code, formats=asked, lang=code, on_step=on_step
            )
        except FolderBusyError:
            progress.stop()
            _busy(source, code)
        except PlannerError as err:
            progress.stop()
            _fail(err, code)
    _print_bureau(result, code)


@app.command()
@_guarded
def atlas(
    source: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="A run folder written by `run`, or a layers folder."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder receiving atlas.pdf; default the run folder itself, or outputs for a "
        "layers folder.",
    ),
    lang: Lang = LANG_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Print RUN_DIR or LAYERS_DIR as atlas.pdf: A3 maps of R1, R6 and R7 (county and streets) and the R1 and R6 tables.

    A layers folder is loaded and run first (with the layout proposals, as `run` does); a run folder is read back as it is (it holds no R7 reach area, so the sites page is drawn without it). Exit 1 on invalid input or when no CJK font is installed (fonts-noto-cjk).
    """  # noqa: E501 - one paragraph a line for the help screen
    from gis_planner.io.runfolder import is_run_folder
    from gis_planner.render.atlas import write_atlas
    from gis_planner.render.atomic import staged_set

    _setup_logging(verbose)
    code = lang.value
    started = time.perf_counter()
    is_run = is_run_folder(source)
    target = out if out is not None else (source if is_run else Path("outputs"))
    _check_out(target, None if is_run else source, code)
    with _spinner(tr("step_read", code)) as (progress, on_step):
        try:
            rendered = _source_results(source, code, on_step)
            on_step(f"{tr('step_write', code)}: atlas.pdf")
            with staged_set(target, owned=("atlas.pdf",)) as stage:
                write_atlas(rendered, stage / "atlas.pdf", lang=code)
        except FolderBusyError:
            progress.stop()
            _busy(target, code)
        except PlannerError as err:
            progress.stop()
            _fail(err, code)
        except OSError as err:
            progress.stop()
            _write_failed(err, target, code)
    console.print(
        f"{tr('summary_outputs', code)} {target} ({time.perf_counter() - started:.1f} s):"
    )
    console.print(f"  {target / 'atlas.pdf'}", highlight=False)


if __name__ == "__main__":
    app()
