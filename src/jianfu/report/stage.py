"""Stage `report`: publication tables in four formats and the project report (Word, HTML).

Reads: the outputs listed in `jianfu.report.inputs.FILES`, the figures stage's manifest
(``reports/figures/figures.json``) and images, the codebook; params ``report.*`` and
``ingest.simulated_data``.
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
from jianfu.core.params import TrackedParams
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


def _manifest(folder: Path) -> dict[str, dict]:
    path = folder / "figures.json"
    if not path.exists():
        raise JianfuError(f"{path}: missing; it is made by the 'figures' stage (dvc repro)")
    return {e["key"]: e for e in json.loads(path.read_text(encoding="utf-8"))}


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    lang = str(params["report"]["language"])
    if lang not in LANGS:
        raise JianfuError(f"report.language must be one of {LANGS}, got {lang!r}")
    simulated = bool(params["ingest"]["simulated_data"])
    cb = load_codebook(args.codebook)
    labels = inputs.labels(cb)
    out = inputs.load(args.root)
    manifest = _manifest(args.figures)
    missing = sorted(k for k, e in manifest.items() if lang not in e["files"])
    if missing:
        raise JianfuError(
            f"report.language is {lang!r} but the figures {missing} were not drawn in it: add "
            f"{lang!r} to figures.languages"
        )
    sections = content.sections(out, labels, simulated)
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
    notice = content.first_page_notice(simulated)
    with atomic_path(args.report_docx) as tmp:
        counts = document.write_docx(tmp, sections, tables, manifest, args.figures, lang, notice)
    document.write_html(args.report_html, sections, tables, manifest, args.figures, lang, notice)
    sources = {k: out.source(k) for k in inputs.FILES}
    write_text(args.register, document.figures_register(sections, tables, manifest, sources))
    write_json(args.metrics, {"language": lang, "simulated": simulated, **counts})
