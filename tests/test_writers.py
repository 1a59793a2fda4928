"""The writers of the run folder: RFC 7946 GeoJSON written by GDAL's plain GeoJSON mode after
the RFC 7946 steps are done beforehand (the same bytes as GDAL's RFC 7946 mode, which is
slower), and the messages of a column worded once."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pyogrio
import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from gis_planner.crs import WEB_CRS
from gis_planner.i18n import msg
from gis_planner.io.layers import load_layers
from gis_planner.pipeline import run
from gis_planner.render.runfolder import wgs84_geometries, write_geojson
from gis_planner.render.text import flatten_for_file, round_floats, worded_column

from .conftest import DEMO, gdf

RFC7946 = {"RFC7946": "YES", "WRITE_BBOX": "NO", "COORDINATE_PRECISION": "7"}


def _signed_area(ring: list[list[float]]) -> float:
    """Shoelace: positive for a counter-clockwise ring."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


def test_polygons_follow_the_right_hand_rule_and_the_file_has_no_crs(tmp_path):
    # a 200 m square near Deqing (EPSG:4549, central meridian 120°E) wound clockwise, with a
    # 50 m hole wound counter-clockwise: RFC 7946 wants the exterior counter-clockwise and
    # the hole clockwise
    x, y = 497_000.0, 3_375_000.0
    exterior = [(x, y), (x, y + 200), (x + 200, y + 200), (x + 200, y), (x, y)]  # clockwise
    hole = [(x + 50, y + 50), (x + 100, y + 50), (x + 100, y + 100), (x + 50, y + 100)]  # ccw
    layer = gdf([{"estate_id": "E1", "geometry": Polygon(exterior, [hole])}])
    write_geojson(layer, tmp_path / "e.geojson")
    data = json.loads((tmp_path / "e.geojson").read_text(encoding="utf-8"))
    assert "crs" not in data and data["type"] == "FeatureCollection"
    outer, inner = data["features"][0]["geometry"]["coordinates"]
    assert _signed_area(outer) > 0 > _signed_area(inner)
    lon, lat = outer[0]
    assert 119.9 < lon < 120.0 and 30.4 < lat < 30.6  # WGS84 lon/lat, west of 120°E
    assert all(len(str(v).partition(".")[2]) <= 7 for v in (lon, lat))  # 7 decimals ≈ 1 cm


@pytest.fixture(scope="module")
def demo_results():
    return run(load_layers(DEMO))


@pytest.mark.parametrize("layer", ["communities", "estates", "premises"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_same_bytes_as_gdals_rfc7946_mode(demo_results, layer, lang, tmp_path):
    frame = round_floats(getattr(demo_results, layer))
    for folder in ("ours", "gdal"):  # the same file name: the layer's name is in the file
        (tmp_path / folder).mkdir()
    write_geojson(frame, tmp_path / "ours" / "layer.geojson", lang=lang)
    reference = flatten_for_file(frame.to_crs(WEB_CRS), lang=lang)
    pyogrio.write_dataframe(
        reference,
        tmp_path / "gdal" / "layer.geojson",
        driver="GeoJSON",
        use_arrow=True,
        layer_options=RFC7946,
    )
    ours = (tmp_path / "ours" / "layer.geojson").read_bytes()
    assert ours == (tmp_path / "gdal" / "layer.geojson").read_bytes()


def test_a_geometry_wider_than_180_degrees_is_left_to_gdal(tmp_path):
    wide = Polygon([(-170, 10), (170, 10), (170, 20), (-170, 20)])
    layer = gpd.GeoDataFrame({"id": ["W"]}, geometry=[wide], crs=WEB_CRS)
    write_geojson(layer, tmp_path / "w.geojson")
    pyogrio.write_dataframe(
        layer, tmp_path / "gdal.geojson", driver="GeoJSON", use_arrow=True, layer_options=RFC7946
    )
    ours = (tmp_path / "w.geojson").read_text(encoding="utf-8")
    gdal = (tmp_path / "gdal.geojson").read_text(encoding="utf-8")
    assert ours.replace('"name": "w"', "") == gdal.replace('"name": "gdal"', "")


def test_each_message_object_is_worded_once_and_lists_are_joined():
    reason = msg("gcj02_converted")
    column = [[reason, "E1"], None, reason, 3]
    assert worded_column(column, lang="en") == [
        "converted from GCJ-02 to WGS84 as declared; E1",
        None,
        "converted from GCJ-02 to WGS84 as declared",
        3,
    ]
    assert worded_column([[reason, reason]], lang="zh")[0].count("；") == 1


def test_rows_sharing_a_value_object_are_worded_alike():
    # R6 hands one list object to many estates; an equal list made apart is worded the same
    reason = msg("gcj02_converted")
    shared = [reason, "E1"]
    nan = float("nan")
    column = [shared, None, shared, [reason, "E1"], nan, "text", shared, (reason,)]
    out = worded_column(column, lang="en")
    joined = "converted from GCJ-02 to WGS84 as declared; E1"
    assert out[:4] == [joined, None, joined, joined]
    assert math.isnan(out[4]) and out[5:7] == ["text", joined]
    assert out[7] == "converted from GCJ-02 to WGS84 as declared"
    assert worded_column([], lang="en") == []


def test_the_wgs84_geometries_are_geopandas_to_crs_bit_for_bit():
    # polygons with a hole, a multipolygon, a point, a line, a missing and an empty geometry
    # near Deqing in EPSG:4549: the same WKB bytes as GeoSeries.to_crs, and a 3D layer too
    x, y = 497_000.0, 3_375_000.0
    hole = [(x + 50, y + 50), (x + 100, y + 50), (x + 100, y + 100)]
    square = Polygon([(x, y), (x, y + 200), (x + 200, y + 200), (x + 200, y)], [hole])
    far = translate(square, 1_000.5, -333.25)
    line = LineString([(x, y), (x + 10.1, y + 10.7)])
    for geometries in (
        [square, MultiPolygon([square, far]), Point(x, y), line, None, Polygon()],
        [Point(x, y, 5.0), square],
    ):
        layer = gpd.GeoSeries(geometries, crs="EPSG:4549")
        ours = shapely.to_wkb(wgs84_geometries(layer)).tolist()
        assert ours == shapely.to_wkb(layer.to_crs(WEB_CRS).values).tolist()
        assert ours[0] != shapely.to_wkb(square)  # reprojected, not left as it was
