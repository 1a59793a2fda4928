"""The population raster: its header checked when the folder is read (the cells are read by
the layout, :mod:`gis_planner.layout.accessibility`).

It needs a CRS on the CGCS2000 or WGS 84 datum (warping it would not shift a datum) and a
nodata value.
"""

from __future__ import annotations

from pathlib import Path

from gis_planner import crs as crs_mod
from gis_planner.errors import ProblemList
from gis_planner.i18n import msg


def check_raster(path: Path, problems: ProblemList, *, max_cells: int | None = None) -> None:
    """Report a raster without CRS (``raster_no_crs``), on another datum
    (``raster_datum``), without nodata (``raster_no_nodata``), unreadable, or with more than
    ``max_cells`` cells (``raster_too_large``, ``limits.max_population_raster_cells``: from the
    header, before any cell is read)."""
    import rasterio

    try:
        with rasterio.open(path) as src:
            cells = int(src.width) * int(src.height)
            if max_cells is not None and cells > max_cells:
                problems.error(
                    path.name,
                    msg(
                        "raster_too_large",
                        width=src.width,
                        height=src.height,
                        cells=cells,
                        key="limits.max_population_raster_cells",
                        limit=max_cells,
                    ),
                )
            if src.crs is None:
                problems.error(path.name, msg("raster_no_crs"))
            elif not crs_mod.is_cgcs2000_frame(src.crs.to_wkt()):  # warped without a shift
                problems.error(
                    path.name, msg("raster_datum", crs=crs_mod.crs_name(src.crs.to_wkt()))
                )
            if src.nodata is None:
                problems.error(path.name, msg("raster_no_nodata"))
    except rasterio.errors.RasterioIOError as err:
        problems.error(path.name, msg("unreadable", error=str(err)))
