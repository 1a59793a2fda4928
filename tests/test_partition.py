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
            gdf.geometry = gdf.geometry.map(lambda g: translate(g, xoff=k * OFFSET_M))
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
