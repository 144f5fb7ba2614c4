"""The notebooks: paired with their py:percent text files, committed without outputs, and each
one runs without errors in under 30 s on the pipeline's outputs.

Fast checks (no pipeline): every ``notebooks/NN_*.py`` has its ``.ipynb`` and the other way
round; the ``.ipynb`` holds no outputs, no execution counts and no notebook metadata but the
python3 kernelspec; the two files hold the same cells (jupytext's own comparison, as
``jupytext --test`` makes it).

Execution (``pipeline`` marker): each notebook runs with nbclient in a kernel of this
environment's Python, from ``notebooks/`` of a project copy in which ``dvc repro`` has run (the
``pipeline_project`` fixture). Notebook 06 runs twice: on the default export (问卷星 按文本 xlsx)
and on a GBK CSV 按序号 export that it writes itself, with its parameters injected after the
cell tagged ``parameters`` (as papermill does).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import NotebookDifference, compare_notebooks

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: Seconds a notebook may take, kernel start included (after the pipeline has run).
TIME_LIMIT = 30.0
#: stderr lines that are not the notebook's fault (matplotlib's one-off cache build).
HARMLESS_STDERR = ("Matplotlib is building the font cache",)
FIX = (
    "regenerate the .ipynb from its .py (no outputs, clean metadata): "
    ".venv/bin/jupytext --to ipynb notebooks/{name}.py"
)


def _ipynb(name: str) -> Path:
    return NOTEBOOKS / f"{name}.ipynb"


def _py(name: str) -> Path:
    return NOTEBOOKS / f"{name}.py"


def test_notebooks_are_paired():
    assert NAMES, "no notebooks/NN_*.py found"
    ipynb = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert ipynb == NAMES, f"every notebook needs both files: .py {NAMES}, .ipynb {ipynb}"
    config = (NOTEBOOKS / "jupytext.toml").read_text(encoding="utf-8")
    assert 'formats = "ipynb,py:percent"' in config


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_no_outputs(name):
    nb = nbformat.read(_ipynb(name), as_version=4)
    nbformat.validate(nb)
    dirty = [
        k
        for k, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}.ipynb: cells {dirty} have outputs or execution counts; " + (
        FIX.format(name=name)
    )
    assert dict(nb.metadata) == {"kernelspec": KERNELSPEC}, (
        f"{name}.ipynb: notebook metadata {sorted(nb.metadata)}, expected only the python3 "
        "kernelspec; " + FIX.format(name=name)
    )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_in_sync_with_text_file(name):
    try:
        compare_notebooks(jupytext.read(_ipynb(name)), jupytext.read(_py(name)), fmt="py:percent")
    except NotebookDifference as exc:
        pytest.fail(
            f"{name}.ipynb and {name}.py differ ({exc}); open the notebook in JupyterLab "
            f"(python3 bootstrap.py lab) to sync them, or, if the .py is right, "
            + FIX.format(name=name)
        )


# ---- execution -----------------------------------------------------------------------------

#: (notebook, variant): parameters injected after the cell tagged "parameters" ({out}: a fresh
#: folder for the notebook's outputs).
RUNS = [(name, "default") for name in NAMES] + [("06_bring_your_own_data", "gbk_csv_code")]
INJECT = {
    ("06_bring_your_own_data", "default"): "OUT = {out!r}",
    ("06_bring_your_own_data", "gbk_csv_code"): (
        'EXPORT = "data/simulated/survey/*_按序号_*.xlsx"\nAS_GBK_CSV = True\nOUT = {out!r}'
    ),
}
#: Text the run must print (what the reader decided, and the comparison with the pipeline).
EXPECT = {
    ("06_bring_your_own_data", "default"): [
        "wjx_text",
        "same respondents, same order: True",
        "columns whose values differ (rows): none",
    ],
    ("06_bring_your_own_data", "gbk_csv_code"): [
        "encoding: gbk",
        "kind: wjx_code",
        "positional codes (按序号): True",
        "same respondents, same order: True",
    ],
}


def _inject(nb, source: str) -> None:
    tagged = [k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)


def _text(nb) -> tuple[str, str, int]:
    """stdout and rich text of every output, stderr, and the number of images."""
    out, err, images = [], [], 0
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.output_type == "stream" and o.name == "stderr":
                err += [x for x in o.text.splitlines() if not x.startswith(HARMLESS_STDERR)]
            elif o.output_type == "stream":
                out.append(o.text)
            elif "data" in o:
                images += "image/png" in o.data
                out.append(o.data.get("text/markdown", o.data.get("text/plain", "")))
    return "\n".join(out), "\n".join(err), images


@pytest.mark.pipeline
@pytest.mark.parametrize(("name", "variant"), RUNS, ids=[f"{n}-{v}" for n, v in RUNS])
def test_notebook_runs(name, variant, pipeline_project, tmp_path):
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    project = pipeline_project[0]
    cwd = project / "notebooks"
    cwd.mkdir(exist_ok=True)
    kernel = KernelManager(kernel_name="python3").format_kernel_cmd()[0]
    assert Path(kernel) == Path(sys.executable), (
        f"the python3 kernel runs {kernel}, not this environment's {sys.executable}"
    )
    nb = nbformat.read(_ipynb(name), as_version=4)
    if (name, variant) in INJECT:
        _inject(nb, INJECT[name, variant].format(out=str(tmp_path / "out")))
    client = NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(cwd)}}
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError with the cell and traceback on any error
    elapsed = time.perf_counter() - started
    stdout, stderr, images = _text(nb)
    assert elapsed < TIME_LIMIT, f"{name} ({variant}) took {elapsed:.1f} s"
    assert not stderr, f"{name} ({variant}) wrote to stderr (warnings?):\n{stderr}"
    assert images, f"{name} ({variant}) shows no figure"
    missing = [text for text in EXPECT.get((name, variant), []) if text not in stdout]
    assert not missing, f"{name} ({variant}): expected in the output: {missing}"
