"""Rasters of the layout plan (R7): accessibility GeoTIFF, households from a population raster.

Rasters are built in code (``Affine(100, 0, x0, 0, -100, y0)``) with one nodata cell.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from rasterio.transform import Affine
from shapely.geometry import LineString, box

from gis_planner.errors import InputError
from gis_planner.layout.accessibility import (
    NODATA,
    accessibility_raster,
    estate_access,
    estimate_households,
    households_beyond_walk,
    sample,
)
from gis_planner.render.runfolder import write_accessibility

from .conftest import X0, Y0, codes, gdf, pt, square, warned


def _communities():
    """Two communities 0–300 m and 400–500 m (x), 0–200 m (y): a 100 m gap between them."""
    return gdf(
        [
            {"community_id": "A", "name": "甲", "geometry": box(X0, Y0, X0 + 300, Y0 + 200)},
            {"community_id": "B", "name": "乙", "geometry": box(X0 + 400, Y0, X0 + 500, Y0 + 200)},
        ]
    )


def test_R7_accessibility_raster_values_at_known_cells(rules, tmp_path):
    premises = gdf([{"premises_id": "YF1", "geometry": pt(25, 25)}])
    array, transform = accessibility_raster(_communities(), premises, rules=rules)
    assert transform == Affine(50, 0, X0, 0, -50, Y0 + 200)
    assert array.shape == (4, 10)
    bottom = 3  # row of the cells 0–50 m north
    assert array[bottom, 0] == 0.0  # the premises' own cell
    assert array[bottom, 2] == pytest.approx(100.0)  # centre (125, 25)
    assert array[0, 5] == pytest.approx(math.hypot(250, 150))  # centre (275, 175)
    assert (array[:, 6:8] == NODATA).all()  # the gap between the communities
    assert array[bottom, 9] == pytest.approx(450.0)  # centre (475, 25) in B
    path = write_accessibility(
        tmp_path / "accessibility.tif", array, transform, crs="EPSG:4549", nodata=NODATA
    )
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4549 and src.nodata == NODATA
        assert src.transform == transform and src.res == (50.0, 50.0)
        np.testing.assert_array_equal(src.read(1), array)


def test_R7_households_beyond_walk_counted_from_the_raster(rules):
    premises = gdf([{"premises_id": "YF1", "geometry": pt(25, 25)}])
    array, transform = accessibility_raster(_communities(), premises, rules=rules)
    estates = gdf(
        [
            {"estate_id": "E1", "households": 300, "geometry": square(110, 10, 30)},  # 100 m
            {"estate_id": "E2", "households": 200, "geometry": square(460, 10, 30)},  # 450 m
            {"estate_id": "E3", "households": 50, "geometry": square(1000, 10, 30)},  # off
        ]
    )
    access = estate_access(estates, array, transform, rules=rules)
    assert access["access_distance_m"].tolist()[:2] == [100.0, 450.0]
    assert np.isnan(access.loc[2, "access_distance_m"])
    assert access["beyond_walk"].tolist() == [False, True, False]
    assert households_beyond_walk(estates, array, transform, rules=rules) == 200


def test_R7_accessibility_along_a_network(rules):
    # a footpath around a river: from the premises at (0, 0) the cell at (175, 25) is reached
    # by (0,0) → (0,200) → (200,200) → (200,25), 575 m, plus a 25 m leg: 600 m
    paths = gdf(
        [
            {
                "path_id": "F1",
                "geometry": LineString(
                    [(X0, Y0), (X0, Y0 + 200), (X0 + 200, Y0 + 200), (X0 + 200, Y0)]
                ),
            }
        ]
    )
    premises = gdf([{"premises_id": "YF1", "geometry": pt(0, 0)}])
    community = gdf(
        [{"community_id": "A", "name": "甲", "geometry": box(X0, Y0, X0 + 200, Y0 + 200)}]
    )
    array, transform = accessibility_raster(community, premises, rules=rules, paths=paths)
    value = sample(array, transform, np.array([[X0 + 175, Y0 + 25]]))
    assert value.tolist() == pytest.approx([600.0])
    straight, _ = accessibility_raster(community, premises, rules=rules)
    assert sample(straight, transform, np.array([[X0 + 175, Y0 + 25]])).tolist() == pytest.approx(
        [math.hypot(175, 25)]
    )


def _population_raster(path, *, crs="EPSG:4549", nodata=NODATA):
    """3 × 3 cells of 100 m from (0, 300) down to (300, 0); the middle-right cell is nodata.

    rows top-down:  [266, 532, 0], [133, 266, nodata], [0, 0, 0] residents per cell.
    """
    data = np.array([[266, 532, 0], [133, 266, NODATA], [0, 0, 0]], dtype=np.float32)
    profile = {
        "driver": "GTiff",
        "height": 3,
        "width": 3,
        "count": 1,
        "dtype": "float32",
        "crs": crs,
        "transform": Affine(100, 0, X0, 0, -100, Y0 + 300),
    }
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
    return path


def test_R1_households_estimated_from_population_raster(rules, tmp_path):
    raster = _population_raster(tmp_path / "population.tif")
    estates = gdf(
        [
            # exactly the two top-left cells: 266 + 532 = 798 residents → 300 households
            {
                "estate_id": "E1",
                "households": None,
                "geometry": box(X0, Y0 + 200, X0 + 200, Y0 + 300),
            },
            # half of the cell (100–200, 100–200) (266) and half of the nodata cell: the only
            # estate there, so it takes the cell's 266 residents → 100 households
            {
                "estate_id": "E2",
                "households": None,
                "geometry": box(X0 + 150, Y0 + 100, X0 + 250, Y0 + 200),
            },
            # wholly on the nodata cell: no estimate
            {
                "estate_id": "E3",
                "households": None,
                "geometry": box(X0 + 210, Y0 + 110, X0 + 290, Y0 + 190),
            },
            # a counted estate keeps its count
            {"estate_id": "E4", "households": 42, "geometry": box(X0, Y0, X0 + 100, Y0 + 100)},
        ]
    )
    out = estimate_households(estates, raster, household_size=2.66, rules=rules)
    table = out.table
    assert table["households"].tolist()[:2] == [300, 100]
    assert table["households"].isna().tolist() == [False, False, True, False]
    assert table.loc[3, "households"] == 42
    assert table["households_estimated"].tolist() == [True, True, False, False]
    assert table.loc[0, "raster_residents"] == pytest.approx(798.0)
    assert warned(out.warnings, "raster_estimated", n=2, rows="E1, E2")
    assert warned(out.warnings, "raster_no_estimate", n=1, rows="E3")
    # spread evenly over the cell instead: E2 takes half of the 266 → 50 households
    cell_rules = rules.with_overrides({"layout": {"population_split": "cell_area"}})
    spread = estimate_households(estates, raster, household_size=2.66, rules=cell_rules)
    assert spread.table["households"].tolist()[:2] == [300, 50]


def test_R1_population_raster_in_epsg4326_is_sampled_in_its_own_crs(rules, tmp_path):
    # a geographic raster of 0.002° cells around a point near Wukang; 2,660 residents in the
    # centre cell only. An estate inside the centre cell gets 1,000 households; an estate in
    # the next cell east gets 0 (misalignment would mix them).
    centre = gdf([{"geometry": pt(150, 150)}]).to_crs("EPSG:4326").geometry.iloc[0]
    step = 0.002
    lon0, lat0 = centre.x - 1.5 * step, centre.y + 1.5 * step
    data = np.zeros((3, 3), dtype=np.float32)
    data[1, 1] = 2660
    path = tmp_path / "population_wgs84.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=3,
        width=3,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, lon0, 0, -step, lat0),
        nodata=-1,
    ) as dst:
        dst.write(data, 1)
    inner = (
        gdf(
            [
                {
                    "geometry": box(
                        centre.x - step / 4,
                        centre.y - step / 4,
                        centre.x + step / 4,
                        centre.y + step / 4,
                    )
                }
            ],
            crs="EPSG:4326",
        )
        .to_crs("EPSG:4549")
        .geometry.iloc[0]
    )
    east = (
        gdf(
            [
                {
                    "geometry": box(
                        centre.x + 0.6 * step,
                        centre.y - step / 4,
                        centre.x + 1.4 * step,
                        centre.y + step / 4,
                    )
                }
            ],
            crs="EPSG:4326",
        )
        .to_crs("EPSG:4549")
        .geometry.iloc[0]
    )
    estates = gdf(
        [
            {"estate_id": "IN", "households": None, "geometry": inner},
            {"estate_id": "EAST", "households": None, "geometry": east},
        ]
    )
    out = estimate_households(estates, path, household_size=2.66, rules=rules)
    assert out.table["households"].tolist() == [1000, 0]
    # evenly over the cell: the share of the cell's area (in the raster's CRS) = 1/4
    cell_rules = rules.with_overrides({"layout": {"population_split": "cell_area"}})
    spread = estimate_households(estates, path, household_size=2.66, rules=cell_rules)
    assert spread.table.loc[0, "raster_residents"] == pytest.approx(2660 / 4, rel=1e-3)


def test_R1_raster_without_nodata_or_crs_is_an_error(rules, tmp_path):
    estates = gdf([{"estate_id": "E1", "households": None, "geometry": square(10, 10, 50)}])
    no_nodata = _population_raster(tmp_path / "no_nodata.tif", nodata=None)
    with pytest.raises(InputError) as err:
        estimate_households(estates, no_nodata, household_size=2.66, rules=rules)
    assert codes(err.value.problems) == ["raster_no_nodata"]
    no_crs = _population_raster(tmp_path / "no_crs.tif", crs=None)
    with pytest.raises(InputError) as err:
        estimate_households(estates, no_crs, household_size=2.66, rules=rules)
    assert codes(err.value.problems) == ["raster_no_crs"]
    with pytest.raises(InputError) as err:
        estimate_households(estates, tmp_path / "missing.tif", household_size=2.66, rules=rules)
    assert codes(err.value.problems) == ["raster_not_found"]
