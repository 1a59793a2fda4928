"""Renderers: what a run hands on — the run folder, the report, the one-map, the bureau
package. A renderer receives :class:`~gis_planner.pipeline.Results` and words it; it never
loads layers or analyses."""
