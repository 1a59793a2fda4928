"""Legacy and local datums (issue 10, point 4): Xian 1980, Beijing 1954 and a city's
independent system are shifted to CGCS2000 with the bureau's parameters, or refused.

The references are worked independently of the code under test: the Bursa–Wolf formula and
the plane 4-parameter formula are written out here with numpy; pyproj is used only for the
projections (which involve no datum).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
import yaml
from shapely.geometry import Point

from gis_planner import crs as crs_mod
from gis_planner.errors import InputError
from gis_planner.io.layers import load_layers
from gis_planner.pipeline import analyse
from gis_planner.render.report import settings_rows

from .conftest import X0, Y0, gdf, square, two_communities, write_layers

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")

# A made-up but typical Xian 1980 → CGCS2000 set (metres, arc seconds, ppm)
P7 = {"tx": -20.1, "ty": 115.3, "tz": 53.2, "rx": 1.1, "ry": -0.4, "rz": 2.7, "s": 3.2}
XIAN80 = (6378140.0, 298.257)  # IAG 1975 ellipsoid: a, 1/f
GRS80 = (6378137.0, 298.257222101)  # CGCS2000


# --------------------------------------------------------------------------- references


def _to_ecef(lon, lat, a, rf):
    f = 1.0 / rf
    e2 = f * (2 - f)
    lam, phi = np.radians(lon), np.radians(lat)
    n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    return np.array(
        [n * np.cos(phi) * np.cos(lam), n * np.cos(phi) * np.sin(lam), n * (1 - e2) * np.sin(phi)]
    )


def _from_ecef(xyz, a, rf):
    f = 1.0 / rf
    e2 = f * (2 - f)
    x, y, z = xyz
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        h = p / math.cos(phi) - n
        phi = math.atan2(z, p * (1 - e2 * n / (n + h)))
    return math.degrees(math.atan2(y, x)), math.degrees(phi)


def _bursa_wolf(lon, lat, p, convention):
    """X' = T + (1 + s) R X with the small-angle rotation matrix (EPSG 9606 / 9607)."""
    rx, ry, rz = (math.radians(p[k] / 3600.0) for k in ("rx", "ry", "rz"))
    if convention == "coordinate_frame":
        rot = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    else:
        rot = np.array([[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]])
    xyz = _to_ecef(lon, lat, *XIAN80)
    moved = np.array([p["tx"], p["ty"], p["tz"]]) + (1 + p["s"] * 1e-6) * rot @ xyz
    return _from_ecef(moved, *GRS80)


def _plane4(x, y, dx, dy, alpha_arcsec, ppm):
    """x' = dx + k(x cos α − y sin α), y' = dy + k(x sin α + y cos α)."""
    a = math.radians(alpha_arcsec / 3600.0)
    k = 1 + ppm * 1e-6
    return (
        dx + k * (x * math.cos(a) - y * math.sin(a)),
        dy + k * (x * math.sin(a) + y * math.cos(a)),
    )


def _yaml(folder, config):
    (folder / "planner.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )


def _xian80_folder(tmp_path, **config):
    """Two 1 km communities whose coordinates are Xian 1980 / 3-degree GK CM 120E (EPSG:2385)."""
    communities = two_communities().set_crs("EPSG:2385", allow_override=True)
    folder = write_layers(tmp_path / "xian80", communities=communities)
    if config:
        _yaml(folder, config)
    return folder, communities


# --------------------------------------------------------------------------- the formulas


@pytest.mark.parametrize("convention", ["coordinate_frame", "position_vector"])
def test_helmert7_matches_the_bursa_wolf_formula(convention):
    lon, lat = 119.97, 30.54
    layer = gpd.GeoDataFrame(geometry=[Point(lon, lat)], crs="EPSG:4610")  # Xian 1980
    spec, problems = crs_mod.parse_transform({"type": "helmert7", **P7, "convention": convention})
    assert problems == []
    out, shift = crs_mod.to_cgcs2000(layer, layer="estates", transform=spec)
    assert out.crs.equals("EPSG:4490") and shift.method == "helmert7"
    want_lon, want_lat = _bursa_wolf(lon, lat, P7, convention)
    geod = pyproj.Geod(ellps="GRS80")
    got = out.geometry.iloc[0]
    assert geod.inv(got.x, got.y, want_lon, want_lat)[2] < 0.001  # metres
    # and the shift itself is the size of a Xian 1980 → CGCS2000 shift: metres, not zero
    assert 1 < geod.inv(lon, lat, got.x, got.y)[2] < 200


def test_the_two_rotation_conventions_differ_and_are_each_others_negative():
    layer = gpd.GeoDataFrame(geometry=[Point(119.97, 30.54)], crs="EPSG:4610")
    frame = crs_mod.parse_transform({"type": "helmert7", **P7, "convention": "coordinate_frame"})[0]
    flipped = {**P7, "rx": -P7["rx"], "ry": -P7["ry"], "rz": -P7["rz"]}
    vector = crs_mod.parse_transform(
        {"type": "helmert7", **flipped, "convention": "position_vector"}
    )[0]
    a = crs_mod.to_cgcs2000(layer, layer="x", transform=frame)[0].geometry.iloc[0]
    b = crs_mod.to_cgcs2000(layer, layer="x", transform=vector)[0].geometry.iloc[0]
    same = crs_mod.to_cgcs2000(
        layer, layer="x", transform={**frame, "convention": "position_vector"}
    )
    c = same[0].geometry.iloc[0]
    geod = pyproj.Geod(ellps="GRS80")
    assert geod.inv(a.x, a.y, b.x, b.y)[2] < 1e-6
    assert geod.inv(a.x, a.y, c.x, c.y)[2] > 0.5  # the convention matters: ~ metres here


@pytest.mark.parametrize("axes", ["north_east", "east_north"])
def test_helmert4_matches_the_plane_formula_in_the_axes_named(axes):
    # a city's independent system: local plane coordinates, no CRS in the file
    east, north = 3_512.25, 79_203.75
    layer = gpd.GeoDataFrame(
        geometry=[Point(east, north)],
        crs="+proj=tmerc +lat_0=0 +lon_0=120.05 +k=1 +x_0=0 "
        "+y_0=-3300000 +ellps=GRS80 +units=m +no_defs",
    )
    params = {"dx": 3_300_012.345, "dy": 493_456.789, "rotation_arcsec": 12.5, "scale_ppm": 8.2}
    spec, problems = crs_mod.parse_transform(
        {"type": "helmert4", **params, "axes": axes, "target_crs": "EPSG:4549"}
    )
    assert problems == []
    out, shift = crs_mod.to_cgcs2000(layer, layer="estates", transform=spec)
    got = out.geometry.iloc[0]
    if axes == "north_east":  # x is the northing (Chinese survey practice)
        want_n, want_e = _plane4(north, east, params["dx"], params["dy"], 12.5, 8.2)
    else:
        want_e, want_n = _plane4(east, north, params["dx"], params["dy"], 12.5, 8.2)
    assert out.crs.equals("EPSG:4549") and shift.method == "helmert4"
    assert abs(got.x - want_e) < 1e-6 and abs(got.y - want_n) < 1e-6


def test_helmert4_rotation_in_radians_and_scale_as_a_factor_are_the_same_transformation():
    a = crs_mod.parse_transform(
        {
            "type": "helmert4",
            "dx": 1,
            "dy": 2,
            "rotation_arcsec": 12.5,
            "scale_ppm": 8.2,
            "axes": "east_north",
            "target_crs": "EPSG:4549",
        }
    )[0]
    b = crs_mod.parse_transform(
        {
            "type": "helmert4",
            "dx": 1,
            "dy": 2,
            "rotation_rad": math.radians(12.5 / 3600),
            "scale": 1.0000082,
            "axes": "east_north",
            "target_crs": "EPSG:4549",
        }
    )[0]
    assert b["rotation_arcsec"] == pytest.approx(12.5, abs=1e-9)
    assert b["scale_ppm"] == pytest.approx(8.2, abs=1e-6)
    layer = gpd.GeoDataFrame(geometry=[Point(3_512.25, 79_203.75)], crs="EPSG:2385")
    one = crs_mod.to_cgcs2000(layer, layer="x", transform=a)[0].geometry.iloc[0]
    two = crs_mod.to_cgcs2000(layer, layer="x", transform=b)[0].geometry.iloc[0]
    assert one.distance(two) < 1e-6


# --------------------------------------------------------------------------- loading


def test_xian80_layer_without_parameters_is_refused_naming_file_crs_and_fix(tmp_path):
    folder, _ = _xian80_folder(tmp_path)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    (problem,) = err.value.problems
    assert problem.code == "datum_ballpark" and problem.source == "communities.gpkg"
    assert problem.message.values == {
        "crs": "EPSG:2385",
        "datum": "Xian 1980",
        "layer": "communities",
    }
    # the message names every fix, in both languages
    for fix in ("type: helmert7", "type: helmert4", "+towgs84", "accept_ballpark: true"):
        assert fix in problem.text("en") and fix in problem.text("zh")
    assert "粗略（ballpark）" in problem.text("zh")


@pytest.mark.parametrize("code", ["EPSG:4214", "EPSG:4610", "EPSG:2437"])
def test_other_beijing54_and_xian80_crs_near_deqing_are_refused(tmp_path, code):
    if code == "EPSG:2437":  # Beijing 1954 / 3-degree GK CM 120E: the same metres relabelled
        communities = two_communities().set_crs(code, allow_override=True)
    else:  # the same lon/lat relabelled
        communities = two_communities().to_crs("EPSG:4326").set_crs(code, allow_override=True)
    folder = write_layers(tmp_path / "l", communities=communities)
    with pytest.raises(InputError) as err:
        load_layers(folder)
    (problem,) = err.value.problems
    assert problem.code == "datum_ballpark" and problem.message.values["crs"] == code


def test_xian80_with_the_bureaus_7_parameters_is_shifted_and_recorded(tmp_path):
    folder, source = _xian80_folder(
        tmp_path,
        layers={
            "communities": {
                "transform": {
                    "type": "helmert7",
                    **P7,
                    "convention": "coordinate_frame",
                    "accuracy_m": 0.05,
                    "reference": "县测绘院 2019",
                }
            }
        },
    )
    data = load_layers(folder)
    assert data.working_crs == "EPSG:4549"
    # each vertex: EPSG:2385 → Xian 1980 lon/lat (projection only) → Bursa–Wolf by hand
    # → EPSG:4549 (projection only)
    inverse = pyproj.Transformer.from_crs("EPSG:2385", "EPSG:4610", always_xy=True)
    forward = pyproj.Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
    for before, after in zip(source.geometry, data.communities.geometry, strict=True):
        for (x, y), (gx, gy) in zip(before.exterior.coords, after.exterior.coords, strict=True):
            lon, lat = inverse.transform(x, y)
            want = forward.transform(*_bursa_wolf(lon, lat, P7, "coordinate_frame"))
            assert math.hypot(gx - want[0], gy - want[1]) < 0.001
    shift = data.sources["communities"].datum_shift
    assert shift.method == "helmert7" and shift.accuracy_m == 0.05
    assert shift.text.code == "shift_with_accuracy"
    assert shift.text.values["shift"].code == "shift_helmert7"
    given = {"datum_shifted", "datum_ballpark_accepted"}
    assert not any(w.code in given for w in data.warnings)  # given, so no warning
    settings = dict(settings_rows(analyse(data), lang="en").to_numpy())
    row = settings["source.communities.transformation"]
    assert "EPSG:2385 → EPSG:4490" in row and "7-parameter" in row and "coordinate_frame" in row
    assert "tx=-20.1" in row and "rz=2.7" in row and "s=3.2 ppm" in row
    assert "stated accuracy 0.05 m" in row and "县测绘院 2019" in row
    assert settings["working_crs"] == "EPSG:4549 (auto)"


def test_accepting_the_ballpark_is_said_in_the_warnings_and_the_settings(tmp_path):
    folder, source = _xian80_folder(tmp_path, layers={"communities": {"accept_ballpark": True}})
    data = load_layers(folder)
    # no datum shift at all: the Xian 1980 lon/lat are taken as CGCS2000 lon/lat unchanged
    before = shapely.get_coordinates(source.to_crs("EPSG:4610").geometry.values)
    after = shapely.get_coordinates(data.communities.to_crs("EPSG:4490").geometry.values)
    assert np.abs(before - after).max() < 1e-9
    assert any(
        w.code == "datum_ballpark_accepted" and w.message.values["text"].code == "shift_ballpark"
        for w in data.warnings
        if w.source == "communities.gpkg"
    )
    settings = dict(settings_rows(analyse(data), lang="zh").to_numpy())
    assert "ballpark" in settings["source.communities.transformation"]
    assert data.sources["communities"].datum_shift.ballpark


def test_towgs84_in_the_declared_crs_gives_the_position_vector_7_parameters(tmp_path):
    towgs84 = ",".join(str(P7[k]) for k in ("tx", "ty", "tz", "rx", "ry", "rz", "s"))
    declared = (
        "+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +a=6378140 "
        f"+rf=298.257 +towgs84={towgs84} +units=m +no_defs"
    )
    no_crs = two_communities().set_crs(None, allow_override=True)
    folder = write_layers(tmp_path / "a", communities=no_crs)
    _yaml(folder, {"layers": {"communities": {"crs": declared}}})
    data = load_layers(folder)
    assert data.sources["communities"].datum_shift.method == "towgs84"
    # the same parameters as a position-vector helmert7 on the EPSG:2385 file agree (< 1 mm;
    # WGS 84 and GRS 80 ellipsoids differ by 0.1 mm in b)
    reference, _ = _xian80_folder(
        tmp_path,
        layers={
            "communities": {
                "transform": {"type": "helmert7", **P7, "convention": "position_vector"}
            }
        },
    )
    other = load_layers(reference)
    for a, b in zip(data.communities.geometry, other.communities.geometry, strict=True):
        assert shapely.hausdorff_distance(a, b) < 0.001
    # a stated EPSG:2385 may be completed by the same +towgs84 (it adds, never overrides)
    _yaml(reference, {"layers": {"communities": {"crs": declared}}})
    completed = load_layers(reference)
    assert completed.sources["communities"].datum_shift.method == "towgs84"
    _yaml(
        reference, {"layers": {"communities": {"crs": declared.replace("lon_0=120", "lon_0=117")}}}
    )
    with pytest.raises(InputError) as err:
        load_layers(reference)
    (problem,) = err.value.problems
    assert problem.code == "crs_conflict" and problem.message.values["stated"] == "EPSG:2385"


def test_an_all_zero_towgs84_on_the_krassovsky_ellipsoid_is_no_shift_and_refused(tmp_path):
    no_crs = two_communities().set_crs(None, allow_override=True)
    folder = write_layers(tmp_path / "a", communities=no_crs)
    _yaml(
        folder,
        {
            "layers": {
                "communities": {
                    "crs": (
                        "+proj=tmerc +lat_0=0 +lon_0=120 +k=1 +x_0=500000 +y_0=0 +ellps=krass "
                        "+towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
                    )
                }
            }
        },
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    (problem,) = err.value.problems
    assert problem.code == "datum_ballpark"
    assert problem.message.values["crs"].endswith(" (+towgs84=0,0,0…)")


def test_city_independent_system_needs_its_4_parameters(tmp_path):
    local = (
        "+proj=tmerc +lat_0=0 +lon_0=120.05 +k=1 +x_0=0 +y_0=-3300000 +ellps=GRS80 "
        "+units=m +no_defs"
    )
    params = {"dx": 3_300_012.345, "dy": 493_456.789, "rotation_arcsec": -3.25, "scale_ppm": -4.5}
    rows = [
        {
            "community_id": "A",
            "name": "甲社区",
            "geometry": shapely.box(2_000, 78_000, 3_000, 79_000),
        },
        {
            "community_id": "B",
            "name": "乙社区",
            "geometry": shapely.box(3_000, 78_000, 4_000, 79_000),
        },
    ]
    folder = write_layers(tmp_path / "city", communities=gdf(rows, crs=None))
    _yaml(folder, {"layers": {"communities": {"crs": local}}})
    with pytest.raises(InputError) as err:  # a local datum PROJ cannot know
        load_layers(folder)
    assert err.value.codes == ["datum_ballpark"]
    _yaml(
        folder,
        {
            "layers": {
                "communities": {
                    "crs": local,
                    "transform": {
                        "type": "helmert4",
                        **params,
                        "axes": "north_east",
                        "target_crs": "EPSG:4549",
                    },
                }
            }
        },
    )
    data = load_layers(folder)
    assert data.working_crs == "EPSG:4549"
    for row, got in zip(rows, data.communities.geometry, strict=True):
        for (e, n), (ge, gn) in zip(
            row["geometry"].exterior.coords, got.exterior.coords, strict=True
        ):
            want_n, want_e = _plane4(n, e, params["dx"], params["dy"], -3.25, -4.5)
            assert abs(ge - want_e) < 1e-6 and abs(gn - want_n) < 1e-6
    shift = data.sources["communities"].datum_shift.text.values["shift"]
    assert shift.code == "shift_helmert4"
    assert shift.values["axes"] == "north_east" and shift.values["target"] == "EPSG:4549"


def test_beijing54_in_the_ordos_basin_takes_projs_1_m_transformation_with_a_word(tmp_path):
    # PROJ knows "Beijing 1954 to WGS 84 (1)/(6)" (1 m) for the Ordos basin, and nothing for
    # Deqing: the same datum is read there and refused here
    zone = "EPSG:4545"  # CGCS2000 3-degree GK CM 108E
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4490", zone, always_xy=True).transform(108.8, 38.6)
    moved = two_communities().translate(x0 - X0, y0 - Y0)
    communities = two_communities().set_geometry(moved).set_crs(zone, allow_override=True)
    beijing = communities.to_crs("EPSG:4326").set_crs("EPSG:4214", allow_override=True)
    folder = write_layers(tmp_path / "ordos", communities=beijing)
    data = load_layers(folder)
    shift = data.sources["communities"].datum_shift
    assert shift.method == "proj" and shift.accuracy_m == 1.0
    applied = shift.text.values["shift"]
    assert applied.code == "shift_proj" and "Beijing 1954 to WGS 84" in applied.values["name"]
    assert data.working_crs == "EPSG:4545"
    assert any(w.code == "datum_shifted" for w in data.warnings)


@pytest.mark.parametrize("code", ["EPSG:4326", "EPSG:4490", "EPSG:4549", "EPSG:4528"])
def test_wgs84_and_cgcs2000_pass_without_a_word(tmp_path, code):
    communities = two_communities()
    estates = gdf(
        [{"estate_id": "E1", "name": "一号小区", "households": 1200, "geometry": square(100, 100)}]
    )
    folder = write_layers(
        tmp_path / "l", communities=communities.to_crs(code), estates=estates.to_crs(code)
    )
    data = load_layers(folder)
    assert [w for w in data.warnings if w.source.endswith(".gpkg")] == []
    assert all(info.datum_shift is None for info in data.sources.values())
    assert data.working_crs == "EPSG:4549"
    for a, b in zip(communities.geometry, data.communities.geometry, strict=True):
        assert shapely.hausdorff_distance(a, b) < 1e-6
    settings = dict(settings_rows(analyse(data), lang="en").to_numpy())
    assert not any(key.endswith(".transformation") for key in settings)


def test_gcj02_stays_explicit(tmp_path):
    wgs84 = two_communities().to_crs("EPSG:4326")
    folder = write_layers(tmp_path / "l", communities__geojson=wgs84)
    plain = load_layers(folder)  # WGS 84 lon/lat is never guessed to be GCJ-02
    assert shapely.hausdorff_distance(plain.communities.geometry.iloc[0], square(0, 0, 1000)) < 1e-6
    _yaml(folder, {"layers": {"communities": {"gcj02": True}}})
    shifted = load_layers(folder)
    assert any(w.code == "gcj02_converted" for w in shifted.warnings)
    assert (
        shapely.hausdorff_distance(shifted.communities.geometry.iloc[0], square(0, 0, 1000)) > 100
    )
    _yaml(
        folder,
        {
            "layers": {
                "communities": {
                    "gcj02": True,
                    "transform": {"type": "helmert7", **P7, "convention": "coordinate_frame"},
                }
            }
        },
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert err.value.codes == ["transform_with_gcj02"]


def test_a_bad_transform_entry_lists_every_problem_naming_planner_yaml(tmp_path):
    folder, _ = _xian80_folder(
        tmp_path,
        layers={
            "communities": {
                "transform": {
                    "type": "helmert7",
                    "tx": "abc",
                    "ty": 1,
                    "tz": 1,
                    "rx": 0,
                    "ry": 0,
                    "rz": 0,
                    "scale": 1,
                    "convention": "bursa",
                }
            }
        },
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    assert {p.source for p in err.value.problems} == {"planner.yaml"}
    assert set(err.value.codes) == {"transform_bad"}
    assert {p.message.values["layer"] for p in err.value.problems} == {"communities"}
    found = {
        (m.code, m.values["key"], m.values.get("value"))
        for m in (p.message.values["problem"] for p in err.value.problems)
    }
    assert found == {
        ("transform_unknown", "scale", None),
        ("transform_not_number", "tx", "abc"),
        ("transform_missing", "s", None),
        ("transform_choice", "convention", "bursa"),
    }
    _yaml(folder, {"layers": {"communities": {"accept_ballpark": "yes"}}})
    with pytest.raises(InputError) as err:
        load_layers(folder)
    (problem,) = err.value.problems
    assert problem.code == "accept_ballpark_bad"
    assert problem.message.values == {"layer": "communities", "value": "yes"}
    _yaml(
        folder,
        {
            "layers": {
                "communities": {
                    "transform": {
                        "type": "helmert4",
                        "dx": 1,
                        "dy": 2,
                        "rotation_arcsec": 1,
                        "rotation_rad": 0,
                        "scale_ppm": 0,
                        "axes": "north_east",
                        "target_crs": "EPSG:2385",
                    }
                }
            }
        },
    )
    with pytest.raises(InputError) as err:
        load_layers(folder)
    problems = [p.message.values["problem"] for p in err.value.problems]
    assert [(m.code, m.values) for m in problems] == [
        ("transform_one_of", {"a": "rotation_arcsec", "b": "rotation_rad"}),
        ("transform_target", {"crs": "EPSG:2385", "kind": "projected"}),
    ]


def test_the_bureau_package_records_the_transformation(tmp_path):
    import json

    from gis_planner.pipeline import analyse
    from gis_planner.render.bureau.package import export_bureau

    folder, _ = _xian80_folder(
        tmp_path,
        layers={
            "communities": {
                "transform": {"type": "helmert7", **P7, "convention": "coordinate_frame"}
            }
        },
    )
    results = analyse(load_layers(folder))
    report = export_bureau(results, tmp_path / "out", formats="geojson", lang="en")
    meta = json.loads((report.folder / "metadata.json").read_text(encoding="utf-8"))
    (layer,) = [s for s in meta["source_layers"] if s["layer"] == "communities"]
    assert (
        "7-parameter" in layer["transformation"]
        and "accuracy not stated" in layer["transformation"]
    )


@pytest.mark.parametrize(
    "code", [4610, 2327, 2349, 2370, 2385, 4214, 2401, 2436, 21413, 21453, 4555, 4579, 2403]
)
def test_no_xian80_beijing54_or_new_beijing_crs_passes_without_a_shift(code):
    # a point in the middle of the CRS's area of use; all 195 such EPSG CRSs were checked
    # once (60 s): 185 refused, 10 (Tarim basin zones, e.g. EPSG:2403) shifted by PROJ's
    # 1 m "Beijing 1954 to WGS 84 (4)" — none read as CGCS2000 without a word
    crs = pyproj.CRS.from_epsg(code)
    area = crs.area_of_use
    lon, lat = (area.west + area.east) / 2, (area.south + area.north) / 2
    x, y = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True).transform(lon, lat)
    layer = gpd.GeoDataFrame(geometry=[Point(x, y)], crs=crs)
    assert not crs_mod.is_cgcs2000_frame(crs)
    try:
        _, shift = crs_mod.to_cgcs2000(layer, layer="estates")
    except InputError as err:
        (problem,) = err.problems
        assert problem.code == "datum_ballpark" and problem.message.values["crs"] == f"EPSG:{code}"
    else:
        assert shift.method == "proj" and shift.accuracy_m is not None and code == 2403


@pytest.mark.parametrize(("code", "refused"), [("EPSG:2385", True), ("EPSG:4549", False)])
def test_a_population_raster_in_xian80_is_refused(tmp_path, code, refused):
    import rasterio
    from rasterio.transform import Affine

    folder = write_layers(tmp_path / "l", communities=two_communities())
    profile = {
        "driver": "GTiff",
        "width": 3,
        "height": 3,
        "count": 1,
        "dtype": "float32",
        "crs": code,
        "nodata": -1.0,
        "transform": Affine(100, 0, 497000, 0, -100, 3380000),
    }
    with rasterio.open(folder / "population.tif", "w", **profile) as dst:
        dst.write(np.ones((1, 3, 3), dtype="float32"))
    if refused:
        with pytest.raises(InputError) as err:
            load_layers(folder)
        (problem,) = err.value.problems
        assert problem.code == "raster_datum" and problem.source == "population.tif"
        assert problem.message.values == {"crs": "EPSG:2385"}
    else:
        assert load_layers(folder).population_raster.name == "population.tif"
