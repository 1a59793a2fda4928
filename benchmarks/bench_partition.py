"""Benchmark of partitioned runs (issue 12 part 5): one process vs counties on dask workers.

Run by hand from the repository root (``make bench`` or ``python -m benchmarks.bench_partition
[--size province] [--counties 50] [--repeat 3] [--layout-size city]``); not part of the suite.
Input layers: ``tools.datagen.scale.generate_scale(..., n_counties=N)`` (x-stripes of equal
numbers of communities, no estate across a county line), cached under ``benchmarks/data/``.

Per mode, the median of ``--repeat`` runs of the analyses on the loaded layers (loading is the
same in every mode and left out):

- ``single``: :func:`gis_planner.pipeline.run` in this process;
- ``partitioned, in process``: :func:`gis_planner.partition.run_partitioned` without a
  cluster (split + per-county analyses + merge, one after another);
- ``1 worker`` / ``2 workers``: the same on a ``distributed.LocalCluster(n_workers=N,
  threads_per_worker=1, processes=True)``, started once per mode (its start-up is printed
  apart) — the time includes shipping every county's layers to the workers and the results
  back.

Also printed: the split and merge alone, each worker's peak memory (max RSS), the machine's load
average before and after (the figures of a shared machine are inflated; compare the ratios),
and the national extrapolation (100,000 communities, 2,000,000 estates).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

SIZES = {
    # name: (communities, estates, premises)
    "city": (500, 10_000, 1_000),
    "province": (5_000, 100_000, 10_000),
}
NATIONAL = (100_000, 2_000_000)  # communities, estates
DATA = Path(__file__).resolve().parent / "data"


def _folder(size: str, counties: int) -> Path:
    from tools.datagen.scale import generate_scale

    n_com, n_est, n_prem = SIZES[size]
    folder = DATA / f"{size}_{counties}counties"
    if not (folder / "estates.gpkg").exists():
        start = time.perf_counter()
        generate_scale(
            folder, n_communities=n_com, n_estates=n_est, n_premises=n_prem, n_counties=counties
        )
        print(f"  (generated {folder.name} in {time.perf_counter() - start:.1f} s)")
    return folder


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(func: Any, repeat: int) -> tuple[float, list[float], Any]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, value


def bench(size: str, counties: int, repeat: int, *, proposals: bool) -> dict[str, Any]:
    import distributed

    from gis_planner import partition, pipeline
    from gis_planner.io.layers import load_layers

    folder = _folder(size, counties)
    data = load_layers(folder)
    figures: dict[str, Any] = {"load": os.getloadavg()}
    n_parts = len(partition.split_by_county(data))
    n_est = 0 if data.estates is None else len(data.estates)
    print(
        f"{size}: {len(data.communities):,} communities, {n_est:,} estates, "
        f"{n_parts} counties; proposals={proposals}; load average {os.getloadavg()[0]:.1f}"
    )

    def single() -> Any:
        return pipeline.run(data, proposals=proposals)

    def in_process() -> Any:
        return partition.run_partitioned(data, proposals=proposals)

    med, times, reference = _timed(single, repeat)
    figures["single"] = (med, times)
    figures["single_peak_rss_mb"] = _peak_rss_mb()
    med, times, merged = _timed(in_process, repeat)
    figures["in_process"] = (med, times)
    assert dict(merged.summary) == dict(reference.summary) or proposals  # same figures
    # the split and the merge alone
    start = time.perf_counter()
    parts = partition.split_by_county(data)
    figures["split_s"] = time.perf_counter() - start
    per = [
        partition.run_partition(p.data, plan_year=None, proposals=proposals) for p in parts.values()
    ]
    start = time.perf_counter()
    partition.merge_results(list(parts.values()), per, data, proposals=proposals)
    figures["merge_s"] = time.perf_counter() - start
    for n in (1, 2):
        start = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=40,
        )
        client = distributed.Client(cluster)
        client.run(lambda: __import__("gis_planner.pipeline"))  # imports, as a run would
        started = time.perf_counter() - start
        try:
            med, times, _ = _timed(
                lambda c=client: partition.run_partitioned(data, proposals=proposals, client=c),
                repeat,
            )
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        finally:
            client.close()
            cluster.close()
        figures[f"workers_{n}"] = (med, times)
        figures[f"workers_{n}_start_s"] = started
        figures[f"workers_{n}_peak_rss_mb"] = max(rss.values())
    figures["load_after"] = os.getloadavg()
    figures["communities"] = len(data.communities)
    figures["estates"] = len(data.estates) if data.estates is not None else 0
    figures["counties"] = n_parts
    return figures


def report(f: dict[str, Any], repeat: int) -> None:
    def show(name: str, key: str) -> None:
        med, times = f[key]
        ratio = f["single"][0] / med
        runs = ", ".join(f"{t:.1f}" for t in times)
        print(f"  {name:<26} {med:7.1f} s  (runs {runs})  single ÷ this {ratio:4.2f}×")

    print(
        f"  median of {repeat}; load average {f['load'][0]:.1f} before, "
        f"{f['load_after'][0]:.1f} after (2 cores)"
    )
    show("single process", "single")
    show("partitioned, in process", "in_process")
    show("1 worker (LocalCluster)", "workers_1")
    show("2 workers (LocalCluster)", "workers_2")
    print(
        f"  split {f['split_s']:.2f} s, merge (global siting, reach, raster) {f['merge_s']:.2f} s"
    )
    print(
        f"  cluster start-up: 1 worker {f['workers_1_start_s']:.1f} s, "
        f"2 workers {f['workers_2_start_s']:.1f} s"
    )
    print(
        f"  peak memory: single process {f['single_peak_rss_mb']:.0f} MB (this process, "
        f"all modes so far); worker {f['workers_1_peak_rss_mb']:.0f} MB (1 worker), "
        f"{f['workers_2_peak_rss_mb']:.0f} MB (2 workers, the larger)"
    )
    # national: per county cost × counties ÷ workers, plus the merge scaled with the area
    scale = NATIONAL[1] / f["estates"]
    counties = f["counties"] * scale
    per_county_1 = f["workers_1"][0] / f["counties"]
    merge = f["merge_s"] * scale
    print(
        f"  national ({NATIONAL[0]:,} communities, {NATIONAL[1]:,} estates ≈ "
        f"{counties:,.0f} counties of this size):"
    )
    for workers in (1, 2, 8, 32):
        work = (per_county_1 * counties - f["merge_s"] * scale) / workers
        print(
            f"    {workers:>2} workers: ≈ {max(work, 0) + merge:,.0f} s "
            f"(per-county work ÷ workers + merge {merge:,.0f} s in one process)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="province", choices=sorted(SIZES))
    parser.add_argument("--counties", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--layout-size",
        default="none",
        choices=["none", *sorted(SIZES)],
        help="size of the run with the R7 proposals (boundaries per county); none (the "
        "default, as `make bench`) skips it, `make bench-all` runs the city",
    )
    parser.add_argument("--layout-counties", type=int, default=10)
    args = parser.parse_args()
    try:
        import distributed  # noqa: F401
    except ImportError:
        print(
            "partitioned runs: skipped, dask.distributed is not installed "
            "(pip install -e '.[parallel]')"
        )
        return
    f = bench(args.size, args.counties, args.repeat, proposals=False)
    report(f, args.repeat)
    if args.layout_size != "none":
        f = bench(args.layout_size, args.layout_counties, args.repeat, proposals=True)
        report(f, args.repeat)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
