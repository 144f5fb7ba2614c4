"""Stage `report`: publication tables in four formats and the project report (Word, HTML).

Reads: the outputs listed in `jianfu.report.inputs.FILES`, the figures stage's manifest
(``reports/figures/figures.json``) and images, the codebook; params ``report.*`` and
``data.source``.

Own data (``data.source: own``): no "simulated data" notice; the first page says which data the
report comes from. Outputs of skipped stages (``SKIPPED.json`` / ``{"skipped": …}``) are not
read: their sections say in one sentence why they are left out, their tables are not written
and ``FIGURES.md`` lists them (and the figures the figures stage left out) under "Left out".
Writes:
  ``reports/tables/<table>_<lang>.{docx,tex,md,html}``  every table, zh and en;
  ``reports/report.docx``, ``reports/report.html``     the report in ``report.language``;
  ``reports/FIGURES.md``                               every figure and table with its source;
  ``--metrics``                                        counts of figures and tables.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, atomic_path, write_json, write_text
from jianfu.core.params import TrackedParams, data_source
from jianfu.report import content, document, inputs
from jianfu.tables import write_table

LANGS = ("zh", "en")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--root", default=Path("."), type=Path, help="project root")
    parser.add_argument("--figures", required=True, type=Path, help="figures stage's folder")
    parser.add_argument("--tables-out", required=True, type=Path)
    parser.add_argument("--report-docx", required=True, type=Path)
    parser.add_argument("--report-html", required=True, type=Path)
    parser.add_argument("--register", required=True, type=Path, help="FIGURES.md")
    parser.add_argument("--metrics", required=True, type=Path)


def _manifest(folder: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """The drawn figures (key -> manifest entry) and the left-out ones (key -> why)."""
    path = folder / "figures.json"
    if not path.exists():
        raise JianfuError(f"{path}: missing; it is made by the 'figures' stage (dvc repro)")
    entries = json.loads(path.read_text(encoding="utf-8"))
    drawn = {e["key"]: e for e in entries if "left_out" not in e}
    return drawn, {e["key"]: str(e["left_out"]) for e in entries if "left_out" in e}


#: tables the report builds only from a stage that may be skipped: table -> its input key
OPTIONAL_TABLES = {"did": "aggregates", "spec_curve": "spec_curve_summary"}


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    lang = str(params["report"]["language"])
    if lang not in LANGS:
        raise JianfuError(f"report.language must be one of {LANGS}, got {lang!r}")
    source = data_source(params)
    cb = load_codebook(args.codebook)
    labels = inputs.labels(cb)
    out = inputs.load(args.root)
    manifest, figures_left_out = _manifest(args.figures)
    missing = sorted(k for k, e in manifest.items() if lang not in e["files"])
    if missing:
        raise JianfuError(
            f"report.language is {lang!r} but the figures {missing} were not drawn in it: add "
            f"{lang!r} to figures.languages"
        )
    sections = content.sections(out, labels, source)
    built = content.tables(out, labels)
    # number the tables in the order the report shows them
    placed = [v for s in sections for k, v in s.blocks if k == "table" and v in built]
    order = list(dict.fromkeys(placed)) + [k for k in built if k not in placed]
    tables = {
        key: (replace(built[key][0], number=n), built[key][1])
        for n, key in enumerate(order, start=1)
    }
    with atomic_dir(args.tables_out) as folder:
        for table, _ in tables.values():
            write_table(table, folder)
    front = content.first_page(out, source)
    with atomic_path(args.report_docx) as tmp:
        counts = document.write_docx(tmp, sections, tables, manifest, args.figures, lang, front)
    document.write_html(args.report_html, sections, tables, manifest, args.figures, lang, front)
    sources = {k: out.source(k) for k in inputs.FILES}
    left_out = {f"figure `{k}`": why for k, why in figures_left_out.items()}
    left_out |= {
        f"table `{t}`": f"{out.source(key)}: {out.skipped[key]}"
        for t, key in OPTIONAL_TABLES.items()
        if key in out.skipped
    }
    register = document.figures_register(sections, tables, manifest, sources, left_out)
    write_text(args.register, register)
    write_json(
        args.metrics,
        {"language": lang, "data_source": source, **counts, "left_out": sorted(left_out)},
    )
