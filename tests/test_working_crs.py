"""The working CRS for any county (issue 10, point 5): the CGCS2000 3-degree Gauss-Kruger
zone of the county's longitude (EPSG:4534–4554), fixed in planner.yaml if wanted.

Synthetic counties at Kashgar (76.0E) and Harbin (126.6E) are the same hand-made layers as
conftest's (two 1 km communities), built in their own zone's metres and written as lon/lat.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import yaml

from gis_planner import crs as crs_mod
from gis_planner.errors import InputError
from gis_planner.io.layers import load_layers
from gis_planner.layout.boundaries import propose_boundaries
from gis_planner.pipeline import analyse, propose_layout

from .conftest import DEMO, X0, Y0, gdf, hand_made_premises, square, two_communities, write_layers

KASHGAR = (75.99, 39.47, "EPSG:4534")  # CM 75E
HARBIN = (126.63, 45.75, "EPSG:4551")  # CM 126E


def _estates():
    return gdf(
        [
            {
                "estate_id": f"E{i}",
                "name": f"小区{i}",
                "households": h,
                "geometry": square(100 + 300 * i, 100),
            }
            for i, h in enumerate([1200, 800, 900, 1500, 700, 600])
        ]
    )


def _there(frame: gpd.GeoDataFrame, lon: float, lat: float, zone: str) -> gpd.GeoDataFrame:
    """``frame`` (conftest metres near Wukang) moved to (lon, lat) in ``zone``'s metres."""
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4490", zone, always_xy=True).transform(lon, lat)
    moved = frame.set_geometry(frame.geometry.translate(x0 - X0, y0 - Y0))
    return moved.set_crs(zone, allow_override=True)


def _county(tmp_path, lon, lat, zone, **config):
    layers = {
        "communities__geojson": two_communities(),
        "estates": _estates(),
        "premises": hand_made_premises(),
    }
    folder = write_layers(
        tmp_path / "county",
        **{
            name: _there(frame, lon, lat, zone).to_crs("EPSG:4326")
            for name, frame in layers.items()
        },
    )
    if config:
        (folder / "planner.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- the zones


@pytest.mark.parametrize(
    ("lon", "zone"),
    [
        (119.97, "EPSG:4549"),  # Deqing
        (75.99, "EPSG:4534"),
        (73.6, "EPSG:4534"),  # Kashgar; China's western edge
        (126.63, "EPSG:4551"),  # Harbin
        (121.49, "EPSG:4549"),
        (121.51, "EPSG:4550"),  # either side of the 121.5E zone edge
        (135.0, "EPSG:4554"),
    ],
)
def test_zone_is_the_nearest_central_meridian(lon, zone):
    assert crs_mod.gk3_zone(lon) == zone


@pytest.mark.parametrize("lon", [72.0, 137.0, float("nan")])
def test_no_zone_outside_china(lon):
    with pytest.raises(ValueError):
        crs_mod.gk3_zone(lon)


def test_zone_table_agrees_with_the_epsg_names():
    assert len(crs_mod.GK3_ZONES) == 21
    for central, code in crs_mod.GK3_ZONES.items():
        assert pyproj.CRS(code).name == f"CGCS2000 / 3-degree Gauss-Kruger CM {central}E"


# --------------------------------------------------------------------------- counties


@pytest.mark.parametrize(("lon", "lat", "zone"), [KASHGAR, HARBIN])
def test_a_county_far_from_120e_gets_its_own_zone_and_true_lengths(tmp_path, lon, lat, zone):
    data = load_layers(_county(tmp_path, lon, lat, zone))
    assert data.working_crs == zone
    assert {g.crs.to_string() for g in data.vector_layers.values()} == {zone}
    # a 1 km square drawn in the zone stays 1 km², and the true (geodesic) area differs only
    # by the zone's own distortion: < 0.1 %, and exactly its areal scale at that point
    geod = pyproj.Geod(ellps="GRS80")
    lonlat = data.communities.to_crs("EPSG:4490")
    for area, geom in zip(data.communities.area, lonlat.geometry, strict=True):
        assert abs(area - 1_000_000) < 1.0
        true = abs(geod.geometry_area_perimeter(geom)[0])
        assert abs(true - area) / area < 1e-3
        centre = geom.centroid
        scale = pyproj.Proj(zone).get_factors(centre.x, centre.y).areal_scale
        assert abs(true * scale - area) / area < 1e-6
    # EPSG:4549 there would be off by far more than a zone's distortion (Harbin 0.65 %,
    # Kashgar 40 %)
    in_4549 = data.communities.to_crs("EPSG:4549").area.iloc[0]
    assert abs(in_4549 / 1_000_000 - 1) > 0.005


def test_kashgar_runs_the_analyses_in_its_zone(tmp_path):
    data = load_layers(_county(tmp_path, *KASHGAR))
    results = analyse(data)
    for frame in (results.communities, results.estates, results.premises):
        assert frame.crs.equals("EPSG:4534")
    # R1 inputs come from true lengths: the premises fall where they were drawn
    assert results.premises["community_id"].tolist()[:3] == ["A", "A", "B"]


def test_proposed_boundaries_are_in_the_layers_zone():
    communities = two_communities().set_crs("EPSG:4534", allow_override=True)
    estates = _estates().set_crs("EPSG:4534", allow_override=True)
    estates["households"] = [3000, 3000, 100, 100, 100, 100]
    from gis_planner.rules import load_rules

    out = propose_boundaries(estates, communities, rules=load_rules())
    assert out.communities.crs.equals("EPSG:4534")


def test_kashgar_layout_proposals_complete_in_its_zone(tmp_path):
    import rasterio

    from gis_planner.render.runfolder import write_run

    data = load_layers(_county(tmp_path, *KASHGAR))
    out = propose_layout(analyse(data))
    assert out.layout.siting.sites.crs.equals("EPSG:4534")
    write_run(out, tmp_path / "run", lang="en", map_html=False, atlas_pdf=False)
    with rasterio.open(tmp_path / "run" / "accessibility.tif") as src:
        assert src.crs.to_epsg() == 4534


def test_a_fixed_working_crs_is_used_and_a_far_one_is_warned_with_its_error(tmp_path):
    folder = _county(tmp_path, *KASHGAR, working_crs="EPSG:4549")
    data = load_layers(folder)
    assert data.working_crs == "EPSG:4549" and data.working_crs_setting == "EPSG:4549"
    # the exact transverse Mercator scale 44° from the central meridian (sphere):
    # k = 1 / sqrt(1 - (cos φ sin Δλ)²) ≈ 1.185
    b = math.cos(math.radians(39.47)) * math.sin(math.radians(120 - 75.99))
    k = 1 / math.sqrt(1 - b * b)
    warning = next(w for w in data.warnings if w.code == "working_crs_far")
    assert warning.source == "planner.yaml"
    values = warning.message.values
    assert values["crs"] == "EPSG:4549" and values["auto"] == "EPSG:4534"
    assert abs(values["length"] - (k - 1)) < 0.002
    assert abs(values["area"] - ((1 + values["length"]) ** 2 - 1)) < 1e-12
    assert "lengths are off by about" in warning.text("en")
    settings_zone = _county(tmp_path / "b", *KASHGAR, working_crs="EPSG:4534")
    assert not [w for w in load_layers(settings_zone).warnings if w.code == "working_crs_far"]


@pytest.mark.parametrize("value", ["EPSG:4326", "EPSG:4528", "EPSG:2385", "zone 40"])
def test_a_working_crs_that_is_no_3_degree_zone_is_an_error(tmp_path, value):
    with pytest.raises(InputError) as err:
        load_layers(_county(tmp_path, *HARBIN, working_crs=value))
    (problem,) = [p for p in err.value.problems if p.code == "working_crs_bad"]
    assert problem.source == "planner.yaml"
    assert problem.message.values == {"value": value, "valid": "EPSG:4534–4554"}


def test_deqing_stays_in_epsg_4549_byte_for_byte():
    data = load_layers(DEMO)
    assert data.working_crs == "EPSG:4549" and data.working_crs_setting == "auto"
    for name, info in data.sources.items():
        if name == "households":
            continue
        direct = gpd.read_file(info.file).to_crs("EPSG:4549")
        got = data.layer(name)
        assert np.array_equal(
            shapely.to_wkb(direct.geometry.values), shapely.to_wkb(got.geometry.values)
        ), name
        assert info.datum_shift is None


# --------------------------------------------------------------------------- the guard


def test_check_working_crs_takes_any_one_zone_and_refuses_mixes_and_others():
    crs_mod.check_working_crs(a=two_communities().set_crs("EPSG:4534", allow_override=True))
    crs_mod.check_working_crs(a=two_communities(), b=_estates())  # EPSG:4549
    with pytest.raises(InputError) as err:
        crs_mod.check_working_crs(
            a=two_communities(), b=_estates().set_crs("EPSG:4550", allow_override=True)
        )
    (problem,) = err.value.problems
    assert problem.code == "crs_zones_mixed" and problem.source == "a, b"
    assert problem.message.values == {"zones": "a EPSG:4549, b EPSG:4550"}
    # the zone-prefixed EPSG:4528 is a bureau format, not a working CRS
    with pytest.raises(InputError) as err:
        crs_mod.check_working_crs(a=two_communities().to_crs("EPSG:4528"))
    (problem,) = err.value.problems
    assert problem.code == "layout_crs"
    assert problem.message.values == {"crs": "EPSG:4528", "working": "EPSG:4549"}
    kashgar = _there(two_communities(), *KASHGAR).to_crs("EPSG:4326")
    with pytest.raises(InputError) as err:
        crs_mod.check_working_crs(a=kashgar)
    assert err.value.problems[0].message.values == {"crs": "EPSG:4326", "working": "EPSG:4534"}
