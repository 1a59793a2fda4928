"""The export package for the natural resources and planning bureau (CGCS2000).

A renderer: it writes what it receives — a run's :class:`~gis_planner.results.Results` or a run
folder read back with :func:`gis_planner.io.runfolder.read_run` — and never loads layers or
analyses them. The modules, in the order of the work:

- :mod:`~gis_planner.render.bureau.options`: the CRS and formats asked for, and the errors;
- :mod:`~gis_planner.render.bureau.tables`: the layers as file formats hold them;
- :mod:`~gis_planner.render.bureau.origin`: where they come from (``metadata.json``);
- :mod:`~gis_planner.render.bureau.dictionary`: the field dictionary and Shapefile codes;
- :mod:`~gis_planner.render.bureau.shapefile`: what a GBK Shapefile can hold;
- :mod:`~gis_planner.render.bureau.formats`: the writers of each format;
- :mod:`~gis_planner.render.bureau.verify`: reading the package back and checking it;
- :mod:`~gis_planner.render.bureau.package`: :func:`export_bureau`, which stages, checks,
  zips and commits the package as a whole.
"""

from gis_planner.render.bureau.dictionary import field_dictionary
from gis_planner.render.bureau.formats import filegdb_support
from gis_planner.render.bureau.options import (
    CRS_CHOICES,
    FORMATS,
    BureauError,
    BureauOptionError,
    crs_label,
    parse_crs,
    parse_formats,
)
from gis_planner.render.bureau.package import (
    BureauReport,
    check_target,
    export_bureau,
    preflight,
)
from gis_planner.render.bureau.tables import LAYERS, bureau_tables, run_tables
from gis_planner.render.bureau.verify import BureauVerificationError

__all__ = [
    "CRS_CHOICES",
    "FORMATS",
    "LAYERS",
    "BureauError",
    "BureauOptionError",
    "BureauReport",
    "BureauVerificationError",
    "bureau_tables",
    "check_target",
    "crs_label",
    "export_bureau",
    "field_dictionary",
    "filegdb_support",
    "parse_crs",
    "parse_formats",
    "preflight",
    "run_tables",
]
