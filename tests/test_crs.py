"""GCJ-02 ⇄ WGS84: the offset around Deqing and the inverse to well under a millimetre."""

from __future__ import annotations

import numpy as np
import pyproj

from gis_planner.crs import gcj02_to_wgs84, wgs84_to_gcj02


def test_gcj02_offset_near_wukang_is_about_500_m_and_inverts():
    lon, lat = np.array([119.97]), np.array([30.54])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    geod = pyproj.Geod(ellps="WGS84")
    _, _, offset_m = geod.inv(lon, lat, g_lon, g_lat)
    assert 300 < offset_m[0] < 700
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    _, _, error_m = geod.inv(lon, lat, back_lon, back_lat)
    assert error_m[0] < 0.001


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert lon[0] == 2.35 and lat[0] == 48.85
