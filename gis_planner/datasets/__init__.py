"""Datasets shipped with gis_planner: the embedded Deqing demo layers.

A dataset is a layers folder that :func:`gis_planner.io.load_layers` reads as it is. Its one
committed copy lives in the repository's ``layers/`` folder; a wheel carries it as the data
package ``gis_planner.datasets.<name>`` (``pyproject.toml`` maps that package to
``layers/<name>``), so an installed planner needs no repository and generates nothing.

``layers/deqing_demo`` is written by the deterministic generator ``tools/datagen/deqing.py``
of the repository (``make regenerate-demo``); it is not part of the package.

Examples
--------
>>> available()
['deqing_demo']
>>> (get_path() / "planner.yaml").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["available", "get_path"]

_DATASETS = ("deqing_demo",)
"""The names of the datasets, each a folder in ``layers/`` of the repository."""

_PACKAGE_DIR = Path(__file__).resolve().parent
"""Where a wheel installs the datasets: ``gis_planner/datasets/<name>/``."""

_CHECKOUT_DIR = _PACKAGE_DIR.parents[1] / "layers"
"""Where a source checkout (and an editable install of it) holds them: ``layers/<name>/``."""


def available() -> list[str]:
    """The names of the datasets that :func:`get_path` knows.

    Returns
    -------
    list of str
        Dataset names, sorted.
    """
    return sorted(_DATASETS)


def get_path(name: str = "deqing_demo") -> Path:
    """The folder of a shipped layers dataset.

    Parameters
    ----------
    name : str, optional
        One of :func:`available`; ``deqing_demo`` (default) is the Deqing central city: 22 real
        communities (names, NBS codes, streets) on synthetic geometry, synthetic estates,
        premises, planned roads, development parcels and a population raster, in which every
        branch of R1–R8 occurs (its ``README.md`` lists them).

    Returns
    -------
    Path
        The layers folder, absolute: ``gis_planner/datasets/<name>`` of an installed wheel, or
        ``layers/<name>`` of a source checkout. Read it, never write into it.

    Raises
    ------
    ValueError
        When ``name`` is not a dataset; the message lists the available ones.
    FileNotFoundError
        When the dataset's files are missing (a wheel built without them, or a checkout
        without ``layers/``).
    """
    if name not in _DATASETS:
        raise ValueError(
            f"no dataset {name!r} in gis_planner.datasets; available: {', '.join(available())}"
        )
    for folder in (_PACKAGE_DIR / name, _CHECKOUT_DIR / name):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        f"the files of dataset {name!r} are missing: neither {_PACKAGE_DIR / name} (installed "
        f"package) nor {_CHECKOUT_DIR / name} (source checkout) exists; reinstall gis-planner"
    )
