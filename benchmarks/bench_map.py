"""Benchmark of the one-map (R9): HTML size and the browser's time to a finished render.

For the embedded demo and for synthetic layers (:func:`tools.datagen.scale.generate_scale`,
sizes in :data:`SCALES`: a county of 5,000 estates and a city of 20,000), it times
``build_map`` + rendering in Python, writes ``map.html``, and opens it in headless Chromium
(Debian's ``/usr/bin/chromium``) from a file:// URL with every tile request refused (the
offline case: what is measured is the page, not the network). "Finished render" is the
page's own ``window.__mapReadyMs``: milliseconds from navigation start until every layer is on
the map and two animation frames have been painted. The median of ``--repeat`` loads is
reported, each figure beside its target (:data:`TARGETS`, issue 12: a 20,000-estate city in at
most 2 s and 5 MB, the demo in 0.5 MB).

    python -m benchmarks.bench_map                        # demo, 5,000 and 20,000 estates
    python -m benchmarks.bench_map --estates 0            # demo only
    python -m benchmarks.bench_map --estates 20000        # demo and the city
    python -m benchmarks.bench_map --compare OLD/map_scale_20000.html NEW/map_scale_20000.html

``--compare`` opens given pages in turn (so that they share whatever else loads the machine)
and prints, beside the page's clock, its main thread's CPU time from a Chromium trace.
    python -m benchmarks.bench_map --json benchmarks/data/bench_map.json

(from the repository root, as ``make bench`` runs it).

Not part of the test suite. Needs ``apt-get install chromium`` for the browser figures; without
it only the Python side is measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from gis_planner.io.layers import load_layers
from gis_planner.pipeline import analyse
from gis_planner.render import onemap as maps
from tools.datagen.scale import generate_scale

REPO = Path(__file__).resolve().parent.parent

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO = REPO / "layers" / "deqing_demo"
#: Synthetic cases by estates: (communities, estates, premises) of ``generate_scale``.
SCALES = {5000: (142, 5000, 625), 20000: (1000, 20000, 2000)}
#: Targets (issue 12): HTML bytes and browser ms per case; None: no target.
TARGETS: dict[str, tuple[int | None, float | None]] = {
    "demo": (500_000, None),
    "scale_5000": (None, None),
    "scale_20000": (5_000_000, 2000.0),
}


def _scale(estates: int) -> tuple[int, int, int]:
    """(communities, estates, premises) of a synthetic case of ``estates`` estates."""
    return SCALES.get(estates, (max(estates // 35, 1), estates, max(estates // 8, 1)))


def _against(value: float, target: float | None, unit: str) -> str:
    """``value`` beside its target: " (target ≤ 5.00 MB: met)"."""
    if target is None:
        return ""
    return f" (target ≤ {target:.2f}{unit}: {'met' if value <= target else 'NOT met'})"


def browser_render_ms(path: Path, repeat: int) -> dict[str, float] | None:
    """Median time to ``__mapReady`` (page clock) and wall time of ``goto`` → ready, in ms."""
    if not CHROMIUM.exists():
        print("  (no /usr/bin/chromium: apt-get install chromium for the browser figures)")
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  (playwright is not installed: pip install -e '.[test]' for the browser figures)")
        return None

    ready, wall = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for _ in range(repeat):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file://") else route.abort()
                ),
            )
            page = context.new_page()
            start = time.perf_counter()
            page.goto(path.resolve().as_uri())
            page.wait_for_function("window.__mapReady === true", timeout=120_000)
            wall.append((time.perf_counter() - start) * 1000)
            ready.append(float(page.evaluate("window.__mapReadyMs")))
            context.close()
        browser.close()
    return {"ready_ms": statistics.median(ready), "wall_ms": statistics.median(wall)}


#: Trace categories that record the main thread's tasks with their CPU time (``tdur``).
TRACE_CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
]
#: Names of a top-level task (Chromium versions differ; some record both, one inside the other).
TASKS = ("RunTask", "ThreadControllerImpl::RunTask")


def _main_thread_cpu_ms(trace: Path) -> float:
    """CPU time (ms) of the page's main thread in a Chromium trace: the ``tdur`` of its
    top-level tasks, which other work on the machine disturbs less than the page's clock."""
    events = json.loads(trace.read_text(encoding="utf-8"))
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    # per thread and task name: one Chromium nests both names, one task in the other
    totals: dict[tuple[int, int, str], float] = {}
    for e in events:
        if e.get("ph") == "X" and e.get("name") in TASKS and (e["pid"], e["tid"]) in main:
            key = (e["pid"], e["tid"], e["name"])
            totals[key] = totals.get(key, 0.0) + e.get("tdur", 0) / 1000
    return max(totals.values(), default=float("nan"))


def compare_pages(paths: list[Path], repeat: int) -> None:
    """Open each page ``repeat`` times, the pages in turn (so that they share the machine's
    load), and print the median ``__mapReadyMs`` and main-thread CPU time of each."""
    from playwright.sync_api import sync_playwright

    ready: dict[Path, list[float]] = {p: [] for p in paths}
    cpu: dict[Path, list[float]] = {p: [] for p in paths}
    with tempfile.TemporaryDirectory(prefix="bench_map_trace_") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        for _ in range(repeat):
            for path in paths:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith("file://")
                        else route.abort()
                    ),
                )
                page = context.new_page()
                trace = Path(tmp) / "trace.json"
                browser.start_tracing(page=page, path=str(trace), categories=TRACE_CATEGORIES)
                page.goto(path.resolve().as_uri())
                page.wait_for_function("window.__mapReady === true", timeout=180_000)
                ready[path].append(float(page.evaluate("window.__mapReadyMs")))
                browser.stop_tracing()
                cpu[path].append(_main_thread_cpu_ms(trace))
                context.close()
        browser.close()
    for path in paths:
        print(
            f"{path}: {path.stat().st_size / 1e6:.2f} MB; "
            f"ready {statistics.median(ready[path]):.0f} ms, "
            f"main-thread CPU {statistics.median(cpu[path]):.0f} ms (medians of {repeat})",
            flush=True,
        )


def bench(name: str, layers: Path, out: Path, repeat: int) -> dict[str, object]:
    start = time.perf_counter()
    results = analyse(load_layers(layers))
    analyse_s = time.perf_counter() - start
    start = time.perf_counter()
    page = maps.render_map(maps.build_map(results))
    build_s = time.perf_counter() - start
    path = out / f"map_{name}.html"
    path.write_text(page, encoding="utf-8")
    row: dict[str, object] = {
        "case": name,
        "communities": len(results.communities),
        "estates": 0 if results.estates is None else len(results.estates),
        "premises": 0 if results.premises is None else len(results.premises),
        "html_bytes": path.stat().st_size,
        "load_and_analyse_s": round(analyse_s, 2),
        "build_and_render_s": round(build_s, 2),
    }
    timing = browser_render_ms(path, repeat)
    if timing:
        row.update({k: round(v) for k, v in timing.items()})
    size_target, ms_target = TARGETS.get(name, (None, None))
    size_mb = path.stat().st_size / 1e6
    print(
        f"{name}: {row['communities']} communities, {row['estates']} estates, "
        f"{row['premises']} premises — map.html {size_mb:.2f} MB"
        + _against(size_mb, None if size_target is None else size_target / 1e6, " MB")
        + f"; build {build_s:.2f} s; browser ready "
        + (
            f"{timing['ready_ms']:.0f} ms"
            + _against(
                timing["ready_ms"] / 1000, None if ms_target is None else ms_target / 1000, " s"
            )
            + f" (goto→ready {timing['wall_ms']:.0f} ms)"
            if timing
            else "n/a"
        ),
        flush=True,
    )
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--estates",
        default="5000,20000",
        help="estates of the synthetic cases, comma-separated (0: demo only)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="browser loads per case")
    parser.add_argument(
        "--out", type=Path, default=None, help="keep the maps (and the synthetic layers) here"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument(
        "--compare",
        type=Path,
        nargs="+",
        default=None,
        help="only open these map.html files in turn (e.g. before/after a change, kept with "
        "--out) and print each one's median time to ready and main-thread CPU time",
    )
    args = parser.parse_args(argv)
    if args.compare:
        compare_pages(args.compare, args.repeat)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench_map_") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        rows = [bench("demo", DEMO, out, args.repeat)]
        for estates in (int(x) for x in str(args.estates).split(",") if int(x)):
            n_communities, n_estates, n_premises = _scale(estates)
            layers = out / f"scale_{estates}_layers"
            if not (layers / "estates.gpkg").exists():  # kept in --out: made once
                generate_scale(
                    layers,
                    n_communities=n_communities,
                    n_estates=n_estates,
                    n_premises=n_premises,
                )
            rows.append(bench(f"scale_{estates}", layers, out, args.repeat))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
