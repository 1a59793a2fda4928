"""Deterministic data generators.

- :mod:`tools.datagen.deqing` writes the embedded demo layers ``layers/deqing_demo``
  (``python -m tools.datagen.deqing layers/deqing_demo``, ``make regenerate-demo``); the
  package ships that folder (:func:`gis_planner.datasets.get_path`).
- :mod:`tools.datagen.scale` writes same-schema layers of any size for the benchmarks and tests.
"""
