"""What every notebook does first: find the project, read pipeline outputs, set up figures.

The notebooks in ``notebooks/`` import these instead of each carrying its own copy::

    from jianfu.notebook import read_output, setup, show_table
    ROOT = setup()                      # project root; the Chinese font; on-screen figure size
    flow = read_output(ROOT, "reports/ingest/cleaning_flow.csv")
"""

from __future__ import annotations

from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.io import read_output

__all__ = ["project_root", "read_output", "setup", "show_table"]


def project_root(start: Path | None = None) -> Path:
    """The project folder: the first folder at or above `start` (default: here) with dvc.yaml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").is_file():
            return folder
    raise JianfuError(f"no dvc.yaml in {here} or above: open the notebook in the project")


def setup(start: Path | None = None, *, dpi: int = 160) -> Path:
    """Find the project root, register the figures' Chinese font (built by the ``fonts`` stage)
    and enlarge figures on screen (the house style's sizes are print sizes). Returns the root."""
    import matplotlib as mpl

    from jianfu.figures import fonts

    root = project_root(start)
    fonts.use_font(root / "data/interim/fonts" / fonts.FONT_FILE)
    mpl.rcParams["figure.dpi"] = dpi
    return root


def show_table(table, lang: str = "zh") -> None:
    """A `jianfu.tables.Table` as the report prints it (HTML, three-line table)."""
    from IPython.display import HTML, display

    from jianfu.tables import render_html

    display(HTML(render_html(table, lang)))
