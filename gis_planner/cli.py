"""Command line: ``gis-planner run | demo | check``.

Exit code 0 on success, 1 on invalid input (every problem listed), 2 on usage errors.
"""

from __future__ import annotations

import logging
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
    err_console.print(str(err), markup=False, highlight=False)
    raise typer.Exit(code=1)


def _run(layers_dir: Path, out: Path, rules: Path | None, year: int | None, lang: str) -> None:
    from gis_planner.analysis import analyse
    from gis_planner.export import write_run
    from gis_planner.layers import load_layers
    from gis_planner.report import summary_rows

    started = time.perf_counter()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task(tr("step_read", lang), total=3)
        try:
            data = load_layers(layers_dir, rules=rules, lang=lang)
            progress.update(task, advance=1, description=tr("step_analyse", lang))
            results = analyse(data, year=year, lang=lang)
            progress.update(task, advance=1, description=tr("step_write", lang))
            written, _ = write_run(results, out, lang=lang, on_step=lambda s: progress.update(
                task, description=f"{tr('step_write', lang)}: {s}"))
        except PlannerError as err:
            progress.stop()
            _fail(err)
            return
        progress.update(task, advance=1)
    table = Table(title=f"{tr('summary_title', lang)} — {data.name}", show_header=False)
    for key, value in summary_rows(results, lang=lang):
        table.add_row(key, value)
    console.print(table)
    for w in results.warnings[:10]:
        console.print(f"[yellow]![/yellow] {w}", markup=True, highlight=False)
    if len(results.warnings) > 10:
        console.print(f"… +{len(results.warnings) - 10} ({tr('summary_warnings', lang)}: "
                      f"report.xlsx)")
    console.print(f"{tr('summary_outputs', lang)} {out.resolve()} "
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
    year: int | None = typer.Option(None, "--year", help="Plan year: planned premises count."),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of report, map and messages."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every step."),
) -> None:
    """Run every analysis on LAYERS_DIR and write layers, report and map to --out."""
    _setup_logging(verbose)
    _run(layers_dir, out, rules, year, lang.value)


@app.command()
def demo(
    out: Path = typer.Option(Path("outputs"), "--out", help="Folder for the outputs."),
    year: int | None = typer.Option(None, "--year", help="Plan year: planned premises count."),
    lang: Lang = typer.Option(Lang.zh, "--lang", help="Language of report, map and messages."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every step."),
) -> None:
    """Run on the embedded Deqing demo (layers/deqing_demo)."""
    _setup_logging(verbose)
    _run(demo_layers(), out, None, year, lang.value)


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
    for w in data.warnings:
        console.print(f"! {w}", highlight=False)


if __name__ == "__main__":
    app()
