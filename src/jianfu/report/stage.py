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
  ``--hypotheses`` (reports/hypotheses.csv)           every prediction's estimate and verdict;
  ``--numbers`` (reports/report_numbers.csv)          every number of the text and its source;
  ``--metrics``                                        counts of figures and tables.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, atomic_path, write_csv, write_json, write_text
from jianfu.core.params import TrackedParams, data_source
from jianfu.report import content, document, inputs, numbers, references, report_tables, verdicts
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
    parser.add_argument("--hypotheses", required=True, type=Path, help="verdicts (CSV)")
    parser.add_argument("--numbers", required=True, type=Path, help="the text's numbers (CSV)")
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


def _fieldwork(clean) -> tuple[str, str] | None:
    """First and last submission date of the valid responses (None without submission times)."""
    if "submitted_at" not in clean.columns or clean["submitted_at"].notna().sum() == 0:
        return None
    times = clean["submitted_at"].dropna()
    return times.min().strftime("%Y-%m-%d"), times.max().strftime("%Y-%m-%d")


def context(args: argparse.Namespace, params: TrackedParams) -> content.Context:
    """Everything the text is written from: outputs, labels, codebook, verdicts."""
    rp = params["report"]
    source = data_source(params)
    cb = load_codebook(args.codebook)
    labels = inputs.labels(cb)
    out = inputs.load(args.root)
    curve = None
    if out.has("spec_curve_summary") and out.has("spec_curve_status"):
        status = out["spec_curve_status"]
        if status["complete"]:  # a curve with failed specifications decides nothing
            curve = out["spec_curve_summary"]
    evidence = verdicts.Evidence(
        coefficients=out["coefficients"],
        effects=out["effects"],
        aggregates=out["aggregates"] if out.has("aggregates") else None,
        pretrends=out["pretrends"] if out.has("pretrends") else None,
        curve=curve,
    )
    hyps = verdicts.hypotheses_from_params(rp["hypotheses"])
    rules = verdicts.Rules.from_params(rp["verdicts"])
    parts = verdicts.evaluate(hyps, evidence, rules)
    clean = out["survey_clean"]
    items = [str(i) for i in rp.get("sample_description") or []]
    unknown = [i for i in items if i not in {it.id for it in cb.items}]
    if unknown:
        raise JianfuError(
            f"params.yaml report.sample_description: {unknown} are not items of the codebook "
            f"{args.codebook}"
        )
    invited = rp.get("invited")
    return content.Context(
        out=out,
        labels=labels,
        source=source,
        cb=cb,
        parts=parts,
        summary=verdicts.summary(hyps, parts),
        rules=rules,
        sample=report_tables.sample_counts(clean, cb, items),
        fieldwork=_fieldwork(clean),
        invited=int(invited) if invited else None,
    )


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    rp = params["report"]
    lang = str(rp["language"])
    if lang not in LANGS:
        raise JianfuError(f"report.language must be one of {LANGS}, got {lang!r}")
    provenance = str(rp.get("provenance", "appendix"))
    if provenance not in ("appendix", "caption"):
        raise JianfuError(f"report.provenance must be appendix or caption, got {provenance!r}")
    bib = references.load_bibliography(args.root / str(rp["bibliography"]))
    manifest, figures_left_out = _manifest(args.figures)
    missing = sorted(k for k, e in manifest.items() if lang not in e["files"])
    if missing:
        raise JianfuError(
            f"report.language is {lang!r} but the figures {missing} were not drawn in it: add "
            f"{lang!r} to figures.languages"
        )
    with numbers.ledger() as ledger:
        ctx = context(args, params)
        out, source = ctx.out, ctx.source
        front = content.first_page(out, source)
        sections = content.sections(ctx)
        built = content.tables(ctx)
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
    doc = document.Report(
        sections=sections,
        tables=tables,
        manifest=manifest,
        figure_root=args.figures,
        lang=lang,
        front=front,
        cover=rp["cover"].to_dict(),  # both languages: the cover's text is the report's
        header=rp["header"].to_dict(),
        bibliography=bib,
        provenance=provenance,
    )
    with atomic_path(args.report_docx) as tmp:
        counts = document.write_docx(tmp, doc)
    document.write_html(args.report_html, doc)
    write_csv(args.hypotheses, ctx.parts)
    write_csv(args.numbers, numbers.frame(ledger))
    sources = {k: out.source(k) for k in inputs.FILES}
    left_out = {f"figure `{k}`": why for k, why in figures_left_out.items()}
    left_out |= {
        f"table `{t}`": f"{out.source(key)}: {out.skipped[key]}"
        for t, key in OPTIONAL_TABLES.items()
        if key in out.skipped
    }
    register = document.figures_register(sections, tables, manifest, sources, left_out)
    write_text(args.register, register)
    verdict_of = dict(zip(ctx.summary["hypothesis"], ctx.summary["verdict"], strict=True))
    write_json(
        args.metrics,
        {"language": lang, "data_source": source, **counts, "verdicts": verdict_of,
         "left_out": len(left_out)},
    )  # fmt: skip
