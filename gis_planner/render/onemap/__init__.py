"""The one-map (数字社区一张图): a self-contained interactive map of a run."""

from gis_planner.render.onemap.page import build_map, render_map, write_map

__all__ = ["build_map", "render_map", "write_map"]
