"""Run the notebooks in ``notebooks/`` top to bottom and store them with their outputs.

``make notebooks-refresh`` calls this after a change that alters what the notebooks show; the
suite (``tests/test_notebooks.py``) runs them again and checks that the stored outputs are
complete and free of errors. The kernel is this interpreter (``python -m tools.run_notebooks``
from the repository root), so the outputs are those of the project's own environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"


def run(path: Path) -> nbformat.NotebookNode:
    """Execute one notebook from the repository root, with this interpreter's kernel."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    return nb


def main(names: list[str]) -> None:
    paths = [NOTEBOOKS / n for n in names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        nb = run(path)
        nbformat.write(nb, path)
        print(f"{path.relative_to(REPO)}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
