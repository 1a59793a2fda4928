"""Issue 12 part 5, "Beyond one machine": a run partitioned by county equals the single run.

The folder: three counties, each a :func:`tools.datagen.scale.generate_scale` county set
40 km apart (so no R7 boundary proposal of the single run can cross a county line — the one
thing a partitioned run decomposes by county, see :mod:`gis_planner.partition`), with
12-digit statistical codes and a ``county`` field, one estate and one premises in no
community (accounted for: unassigned, reported once).
"""

from __future__ import annotations

import builtins
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from shapely.affinity import translate
from typer.testing import CliRunner

from gis_planner import partition, pipeline
from gis_planner.cli import app
from gis_planner.io.layers import load_layers
from tools.datagen.common import write_gpkg
from tools.datagen.scale import generate_scale

COUNTIES = ("330521", "330522", "330523")
OFFSET_M = 40_000.0


def _three_counties(folder: Path, *, codes: bool = True) -> Path:
    """Three generated counties side by side (see the module docstring)."""
    layers: dict[str, list[gpd.GeoDataFrame]] = {"communities": [], "estates": [], "premises": []}
    for k, county in enumerate(COUNTIES):
        paths = generate_scale(
            folder / f"_gen{k}", n_communities=8, n_estates=120, n_premises=10, seed=k + 1
        )
        frames = {name: gpd.read_file(path) for name, path in paths.items()}
        for gdf in frames.values():
            gdf.geometry = gdf.geometry.translate(xoff=k * OFFSET_M)
        c, e, p = frames["communities"], frames["estates"], frames["premises"]
        new_id = {
            old: (f"{county}{i + 1:06d}" if codes else f"C{k}{i + 1:03d}")
            for i, old in enumerate(c["community_id"])
        }
        c["community_id"] = c["community_id"].map(new_id)
        if codes:
            c.insert(1, "county", county)
        p["community_id"] = p["community_id"].map(new_id)
        e["estate_id"] = f"E{k}" + e["estate_id"].str[1:]
        p["premises_id"] = f"P{k}" + p["premises_id"].astype(str)
        for name, gdf in frames.items():
            layers[name].append(gdf)
    merged = {name: pd.concat(frames, ignore_index=True) for name, frames in layers.items()}
    # interleave the counties' rows: the single run's order must come back after the merge
    for name in ("estates", "premises"):
        gdf = merged[name]
        order = np.argsort(np.arange(len(gdf)) % 7, kind="stable")
        merged[name] = gdf.iloc[order].reset_index(drop=True)
    far = shapely.box(*merged["communities"].total_bounds).centroid
    lost = merged["estates"].iloc[[0]].copy()
    lost["estate_id"] = "E-LOST"
    lost.geometry = [translate(far, yoff=30_000).buffer(60, cap_style="square")]
    merged["estates"] = pd.concat([merged["estates"], lost], ignore_index=True)
    out = folder / "layers"
    out.mkdir()
    for name, gdf in merged.items():
        write_gpkg(gpd.GeoDataFrame(gdf, crs="EPSG:4549"), out / f"{name}.gpkg", layer=name)
    return out


@pytest.fixture(scope="module")
def counties(tmp_path_factory) -> Path:
    return _three_counties(tmp_path_factory.mktemp("counties"))


def test_split_by_county_accounts_for_every_feature(counties):
    data = load_layers(counties, require_households=True)
    parts = partition.split_by_county(data)
    assert list(parts) == list(COUNTIES)
    for layer in ("communities", "estates", "premises"):
        positions = np.sort(np.concatenate([p.positions[layer] for p in parts.values()]))
        assert positions.tolist() == list(range(len(getattr(data, layer))))
    # the estate in no community goes to the first county, to be reported once
    first = parts[COUNTIES[0]].data.estates
    assert "E-LOST" in first["estate_id"].tolist()
    # by the 12-digit code's first 6 digits: the same partitions
    by_code = partition.split_by_county(data, by="code")
    assert {c: p.positions["estates"].tolist() for c, p in by_code.items()} == {
        c: p.positions["estates"].tolist() for c, p in parts.items()
    }


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every cell of the report but the time it was written (Settings: ``generated``)."""
    book = openpyxl.load_workbook(path, read_only=True)
    return {
        ws.title: [r for r in ws.iter_rows(values_only=True) if r[-1] != "generated"]
        for ws in book.worksheets
    }


@pytest.fixture(scope="module")
def single_and_partitioned(counties, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    common = ["--no-atlas", "--basemap", "none", "--lang", "en"]
    single = _cli("run", str(counties), "--out", str(out / "single"), *common)
    two = _cli("run", str(counties), "--out", str(out / "two"), "--workers", "2", *common)
    return out / "single", out / "two", single, two


def test_issue12_partitioned_run_equals_single_run(single_and_partitioned):
    """Issue 12 part 5: ``run --workers 2`` (three counties on a 2-process LocalCluster)
    writes the same outputs as the single-process run — every GeoJSON, CSV, the raster and
    the map byte for byte, every cell of the report but the time it was written."""
    single, two, out_single, out_two = single_and_partitioned
    assert "partitioned by county: 3 partitions" in out_two
    names = sorted(p.name for p in single.iterdir())
    assert names == sorted(p.name for p in two.iterdir())
    assert {"proposed_communities.geojson", "proposed_sites.geojson", "accessibility.tif"} <= set(
        names
    )
    for name in names:
        if name.endswith((".geojson", ".csv", ".tif", ".html")):
            assert (single / name).read_bytes() == (two / name).read_bytes(), name
    assert _cells(single / "report.xlsx") == _cells(two / "report.xlsx")
    # the estate in no community: accounted for once, as in the single run (R1)
    estates = gpd.read_file(two / "estates.geojson")
    assert estates.loc[estates["estate_id"] == "E-LOST", "community_id"].isna().all()
    assert out_single.count("E-LOST") == out_two.count("E-LOST") == 4  # its four warnings


def test_in_process_partitions_equal_the_single_run(counties):
    """The same merge without a cluster (``run_partitioned`` with no workers): the figures
    of R1 (premises status), R5 (staff), R7 (reach, proposals, sites) and the warnings."""
    data = load_layers(counties, require_households=True)
    single = pipeline.run(data)
    merged = partition.run_partitioned(data)
    pd.testing.assert_frame_equal(
        pd.DataFrame(single.communities), pd.DataFrame(merged.communities)
    )
    pd.testing.assert_frame_equal(pd.DataFrame(single.estates), pd.DataFrame(merged.estates))
    assert single.layout is not None and merged.layout is not None
    pd.testing.assert_frame_equal(
        pd.DataFrame(single.layout.boundaries.communities),
        pd.DataFrame(merged.layout.boundaries.communities),
    )
    pd.testing.assert_frame_equal(single.layout.siting.sites, merged.layout.siting.sites)
    assert dict(single.summary) == dict(merged.summary)
    assert single.warnings == merged.warnings
    assert np.array_equal(single.layout.access_m, merged.layout.access_m)


def test_boundary_proposals_across_a_county_line_are_the_documented_difference(tmp_path):
    """Three counties cut through one generated area (``generate_scale(n_counties=3)``): the
    single run may merge or rebalance communities across the county line, the partitioned
    run never does (gis_planner.partition). Everything else is equal: R1, R5, R6, R7 reach,
    and the best-p sites are chosen over the whole area in both."""
    paths = generate_scale(
        tmp_path, n_communities=60, n_estates=900, n_premises=80, seed=1, n_counties=3
    )
    data = load_layers(paths["communities"].parent, require_households=True)
    assert data.communities["county"].nunique() == 3
    single = pipeline.run(data)
    merged = partition.run_partitioned(data)
    pd.testing.assert_frame_equal(
        pd.DataFrame(single.communities), pd.DataFrame(merged.communities)
    )
    pd.testing.assert_frame_equal(pd.DataFrame(single.estates), pd.DataFrame(merged.estates))
    assert {k: v for k, v in single.summary.items() if k != "layout"} == {
        k: v for k, v in merged.summary.items() if k != "layout"
    }
    assert single.layout is not None and merged.layout is not None
    county = dict(zip(data.communities["community_id"], data.communities["county"], strict=True))

    def across(results):
        sources = results.layout.boundaries.communities["source_ids"].str.split(", ")
        return int(sum(len({county[s] for s in ids}) > 1 for ids in sources))

    assert across(single) > 0  # this folder has a proposal across a county line …
    assert across(merged) == 0  # … which the partitioned run cannot make
    assert len(merged.layout.siting.sites) == len(single.layout.siting.sites)


def test_no_county_information_is_one_partition(tmp_path):
    folder = _three_counties(tmp_path, codes=False)
    data = load_layers(folder, require_households=True)
    assert partition.county_of(data.communities) is None
    parts = partition.split_by_county(data)
    assert list(parts) == [partition.ONE_PARTITION]
    assert len(parts[partition.ONE_PARTITION].data.estates) == len(data.estates)
    with pytest.raises(partition.PartitionError):
        partition.split_by_county(data, by="code")


def test_an_estate_straddling_two_counties_is_an_error_naming_it(counties):
    data = load_layers(counties, require_households=True)
    communities = data.communities.copy()
    estates = data.estates.copy()
    a = communities.index[communities["county"] == COUNTIES[0]][0]
    b = communities.index[communities["county"] == COUNTIES[1]][0]
    # an estate over the centres of a community of each county
    ca, cb = communities.geometry[a].centroid, communities.geometry[b].centroid
    estates.loc[0, "geometry"] = shapely.LineString([ca, cb]).buffer(20)
    with pytest.raises(partition.PartitionError) as err:
        partition.split_by_county(pipeline.dataclasses.replace(data, estates=estates))
    assert estates.loc[0, "estate_id"] in err.value.text("en")


def test_workers_without_dask_is_a_clear_error(counties, tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("distributed", "dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    for lang, text in (("en", "need dask.distributed"), ("zh", "需要 dask.distributed")):
        result = CliRunner().invoke(
            app,
            ["run", str(counties), "--out", str(tmp_path / "o"), "--workers", "2", "--lang", lang],
            terminal_width=200,
        )
        assert result.exit_code == 1, result.output
        assert text in result.output
        assert not (tmp_path / "o").exists()


def _counties_by_street(data):
    """The demo's streets as counties, streets joined where an estate straddles two (R1
    一(二) splits such an estate; a county line may not cross one)."""
    c = data.communities.copy()
    county = pd.factorize(c["street"].astype(str))[0]
    e = data.estates
    est, com = c.sindex.query(e.geometry.values, predicate="intersects")
    overlap = shapely.area(shapely.intersection(e.geometry.values[est], c.geometry.values[com]))
    pairs = pd.DataFrame({"estate": est[overlap > 0], "community": com[overlap > 0]})
    while True:
        first = pairs.groupby("estate")["community"].transform(lambda x: county[x].min())
        moved = county[pairs["community"].to_numpy()] != first.to_numpy()
        if not moved.any():
            break
        county[pairs["community"].to_numpy()[moved]] = first.to_numpy()[moved]
    c["county"] = [f"K{k}" for k in county]
    return pipeline.dataclasses.replace(data, communities=c)


@pytest.mark.parametrize("year", [None, 2035])
def test_plan_year_parcels_and_warnings_merge_as_the_single_run(year):
    """The demo (development parcels, a households table, an estate outside every community)
    cut into counties of streets: in the data year and in 2035 (parcels delivered by then
    add their households, R2 conditions for all) every frame, the summary and every warning
    of the analyses equal the single run's."""
    from gis_planner.datasets import get_path

    data = _counties_by_street(load_layers(get_path("deqing_demo")))
    assert data.communities["county"].nunique() >= 2
    single = pipeline.run(data, plan_year=year, proposals=False)
    merged = partition.run_partitioned(data, plan_year=year, proposals=False, by="field")
    for name in (
        "communities",
        "estates",
        "premises",
        "counted_premises",
        "planning_conditions",
        "household_units",
        "enclosure_list",
        "enclosure_counts",
    ):
        pd.testing.assert_frame_equal(
            pd.DataFrame(getattr(single, name)), pd.DataFrame(getattr(merged, name)), obj=name
        )
    assert dict(single.summary) == dict(merged.summary)
    assert single.warnings == merged.warnings
    if year is not None:
        assert merged.summary["parcels_counted"] > 0
