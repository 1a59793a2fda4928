"""Command line: ``gis-planner run | demo | check | export``.

Exit code 0 on success, 1 on invalid input (every problem listed), 2 on usage errors.
"""

from __future__ import annotations

import logging
import os
import time
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gis_planner.errors import PlannerError
from gis_planner.i18n import tr

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Community layout and premises planning (Deqing 2020 opinions).")
console = Console()
err_console = Console(stderr=True)


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Basemap(StrEnum):
    osm = "osm"
    tianditu = "tianditu"
    amap = "amap"
    none = "none"


BASEMAP_OPTION = typer.Option(
    Basemap.osm, "--basemap",
    help="Basemap of map.html: osm, tianditu (key from TIANDITU_KEY), amap (overlays shifted "
         "to GCJ-02 for display only) or none.")
LANG_OPTION = typer.Option(Lang.zh, "--lang", help="Language of report, map and messages.")
VERBOSE_OPTION = typer.Option(False, "--verbose", "-v", help="Log every step.")
SITES_OPTION = typer.Option(
    None, "--sites", min=1,
    help="Number of new premises sites of the maximal-coverage proposal (R7); default "
         "rules.layout.new_sites_p.")
PROPOSALS_OPTION = typer.Option(
    True, "--proposals/--no-proposals",
    help="Propose community boundaries, premises sites and the reach raster (R7).")
DEMO_FOLDER = Path("layers") / "deqing_demo"


def demo_layers() -> Path:
    """The embedded demo folder: ./layers/deqing_demo, or the one beside the package."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (base / DEMO_FOLDER).is_dir():
            return base / DEMO_FOLDER
    raise typer.BadParameter("layers/deqing_demo not found; run `python -m gis_planner.demo`")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def _fail(err: PlannerError) -> None:
    err_console.print(str(err), markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _check_basemap(basemap: str, lang: str) -> None:
    """A usage error before any work: Tianditu needs its key (TIANDITU_KEY)."""
    if basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        err_console.print(tr("map_tianditu_needs_key", lang), markup=False, highlight=False,
                          soft_wrap=True)
        raise typer.Exit(code=2)


def _run(layers_dir: Path, out: Path, rules: Path | None, year: int | None, lang: str,
         scenario: Path | None = None, basemap: str = "osm", sites: int | None = None,
         proposals: bool = True) -> None:
    from gis_planner.analysis import PlanYearError, analyse, propose_layout
    from gis_planner.export import write_run
    from gis_planner.layers import load_layers
    from gis_planner.report import summary_rows

    _check_basemap(basemap, lang)
    if out.resolve() == layers_dir.resolve():
        err_console.print(tr("out_is_input", lang, out=out), markup=False, highlight=False,
                          soft_wrap=True)
        raise typer.Exit(code=2)
    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task(tr("step_read", lang), total=3)
        try:
            extra: dict[str, str] = {}
            if scenario is not None:  # the layers, then the scenario file's rules and edits
                from gis_planner.scenario import Scenario

                plan = Scenario.from_file(scenario, base=layers_dir, rules=rules, year=year,
                                          lang=lang)
                data, extra = plan.data, {"scenario.yaml": plan.to_yaml(relative_to=out)}
                progress.update(task, advance=1, description=tr("step_analyse", lang))
                results = plan.evaluate(lang=lang)
            else:
                data = load_layers(layers_dir, rules=rules, lang=lang)
                progress.update(task, advance=1, description=tr("step_analyse", lang))
                results = analyse(data, year=year, lang=lang)
            if proposals:
                progress.update(task, description=tr("step_propose", lang))
                results = propose_layout(results, p=sites, lang=lang)
            progress.update(task, advance=1, description=tr("step_write", lang))
            written, _ = write_run(results, out, lang=lang, on_step=lambda s: progress.update(
                task, description=f"{tr('step_write', lang)}: {s}"), extra_files=extra,
                basemap=basemap)
        except PlanYearError as err:  # --year before the data year: a usage error
            progress.stop()
            err_console.print(str(err), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(code=2 if year is not None else 1) from None
        except PlannerError as err:
            progress.stop()
            _fail(err)
            return
        progress.update(task, advance=1)
    table = Table(title=f"{tr('summary_title', lang)} — {data.name}", show_header=False)
    table.add_column(overflow="fold")
    table.add_column(overflow="fold")
    for key, value in summary_rows(results, lang=lang):
        table.add_row(key, value)
    console.print(table)
    for w in results.warnings[:10]:
        console.print(f"[yellow]![/yellow] {w}", markup=True, highlight=False, soft_wrap=True)
    if len(results.warnings) > 10:
        console.print(f"… +{len(results.warnings) - 10} ({tr('summary_warnings', lang)}: "
                      f"report.xlsx)")
    console.print(f"{tr('summary_outputs', lang)} {out} "
                  f"({time.perf_counter() - started:.1f} s):")
    for path in written.values():
        console.print(f"  {path}", highlight=False)


@app.command()
def run(
    layers_dir: Path = typer.Argument(..., exists=True, file_okay=False,
                                      help="Folder of input layers (and planner.yaml)."),
    out: Path = typer.Option(Path("outputs"), "--out", help="Folder for the outputs."),
    rules: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False,
                                      help="Rules file overriding the default rules."),
    year: int | None = typer.Option(
        None, "--year", help="Plan year (not before the data year): planned premises count, "
                             "development parcels delivered by then add their households."),
    scenario: Path | None = typer.Option(
        None, "--scenario", exists=True, dir_okay=False,
        help="Scenario file (YAML: name, year, rules, edits) applied to LAYERS_DIR; "
             "--year wins over its year. See gis_planner.scenario."),
    lang: Lang = LANG_OPTION,
    basemap: Basemap = BASEMAP_OPTION,
    sites: int | None = SITES_OPTION,
    proposals: bool = PROPOSALS_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Run every analysis on LAYERS_DIR and write layers, report and map to --out."""
    _setup_logging(verbose)
    _run(layers_dir, out, rules, year, lang.value, scenario, basemap.value, sites, proposals)


@app.command()
def demo(
    out: Path = typer.Option(Path("outputs"), "--out", help="Folder for the outputs."),
    year: int | None = typer.Option(None, "--year", help="Plan year: planned premises count."),
    lang: Lang = LANG_OPTION,
    basemap: Basemap = BASEMAP_OPTION,
    sites: int | None = SITES_OPTION,
    proposals: bool = PROPOSALS_OPTION,
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Run on the embedded Deqing demo (layers/deqing_demo)."""
    _setup_logging(verbose)
    _run(demo_layers(), out, None, year, lang.value, basemap=basemap.value, sites=sites,
         proposals=proposals)


@app.command()
def check(
    layers_dir: Path = typer.Argument(..., exists=True, file_okay=False),
    rules: Path | None = typer.Option(None, "--rules", exists=True, dir_okay=False),
    lang: Lang = typer.Option(Lang.zh, "--lang"),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Validate LAYERS_DIR only; exit 1 listing every problem."""
    from gis_planner.layers import load_layers

    _setup_logging(verbose)
    try:
        data = load_layers(layers_dir, rules=rules, lang=lang.value)
    except PlannerError as err:
        _fail(err)
        return
    for name, info in data.sources.items():
        console.print(f"✓ {name}: {Path(info.file).name} — {info.features} ({info.crs})",
                      highlight=False)
    if data.population_raster is not None:
        console.print(f"✓ population: {data.population_raster.name}", highlight=False)
    for w in data.warnings:
        console.print(f"! {w}", highlight=False, soft_wrap=True)
    console.print(tr("check_ok", lang.value, n=len(data.sources), warnings=len(data.warnings)),
                  highlight=False)


@app.command()
def export(
    source: Path = typer.Argument(..., exists=True, file_okay=False,
                                  help="A layers folder, or a run folder written by `run`."),
    bureau: bool = typer.Option(False, "--bureau",
                                help="Write the package for the natural resources and "
                                     "planning bureau (CGCS2000): bureau/ and bureau.zip."),
    crs: str = typer.Option("4490", "--crs",
                            help="4490 (CGCS2000 lon/lat, default), 4549 (3-degree GK CM 120E) "
                                 "or 4528 (zone-prefixed easting)."),
    formats: list[str] | None = typer.Option(
        None, "--format", help="geojson, shp, gpkg, gdb: repeat or separate with commas; "
                               "default all (gdb skipped with a note when GDAL cannot write it)."),
    out: Path = typer.Option(Path("outputs"), "--out",
                             help="Folder receiving bureau/ and bureau.zip."),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of README.txt and messages."),
    verbose: bool = VERBOSE_OPTION,
) -> None:
    """Export LAYERS_DIR or RUN_DIR for the bureau: written, read back, checked, moved in.

    Exit 2 on an unknown --crs or --format; 1 on invalid input, an output folder that is not writable, or a package that fails its check (the previous package is left as it was).
    """  # noqa: E501 - one paragraph a line for the help screen
    from gis_planner.bureau import BureauOptionError, export_bureau, parse_crs, parse_formats

    _setup_logging(verbose)
    code = lang.value
    if not bureau:
        err_console.print(tr("bureau_flag_missing", code), markup=False, highlight=False)
        raise typer.Exit(code=2)
    try:
        crs_code = parse_crs(crs, lang=code)
        asked = parse_formats(formats, lang=code)
    except BureauOptionError as err:
        err_console.print(str(err), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task(tr("bureau_step_read", code), total=None)
        try:
            result = export_bureau(source, out, crs=crs_code, formats=asked, lang=code,
                                   on_step=lambda s: progress.update(task, description=s))
        except PlannerError as err:
            progress.stop()
            _fail(err)
            return
    table = Table(title=f"{tr('bureau_counts_title', code)} — {result.crs}")
    table.add_column(tr("bureau_layer", code))
    columns = [f for f in ("geojson", "geojson_wgs84", "shp", "gpkg", "gdb")
               if any(f in c for c in result.counts.values())]
    for column in columns:
        table.add_column(column, justify="right")
    for layer, counts in result.counts.items():
        table.add_row(f"{layer} {tr(f'bureau_layer_{layer}', code)}",
                      *[str(counts.get(c, "—")) for c in columns])
    console.print(table)
    for fmt, reason in result.skipped.items():
        console.print(f"[yellow]![/yellow] {tr('bureau_skipped', code, format=fmt, reason=reason)}",
                      highlight=False)
    for w in result.warnings[:10]:
        console.print(f"[yellow]![/yellow] {w}", highlight=False)
    if len(result.warnings) > 10:
        console.print(f"… +{len(result.warnings) - 10} (metadata.json)")
    console.print(f"{tr('bureau_done', code)} {result.folder.resolve()} "
                  f"({result.timings['total']:.1f} s):", highlight=False)
    console.print(f"  {result.zip_path.resolve()}", highlight=False)


if __name__ == "__main__":
    app()
