"""Stage `questionnaire`: render the printable questionnaire from the codebook.

Reads: the codebook (and the reference files its scales name); params `questionnaire.*`.
Writes: ``<out>/questionnaire_<lang>.md`` and ``.docx``, ``<out>/summary.json`` (the counts that
describe the instrument: `summarize`) and ``--summary``, the headline counts (DVC metrics:
`headline`).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from jianfu.codebook.load import load_codebook
from jianfu.codebook.render import render_docx, render_markdown
from jianfu.core.io import atomic_dir, save_docx, write_json, write_text
from jianfu.core.params import TrackedParams


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path, help="codebook YAML file")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--summary",
        required=True,
        type=Path,
        help="JSON file with the headline item and construct counts (a DVC metric)",
    )


def summarize(cb) -> dict:
    """Counts that describe the instrument (``<out>/summary.json``)."""
    return {
        "codebook_version": cb.version,
        "questions": len(cb.questions),
        "items": len(cb.items),
        "attention_checks": len(cb.attention_checks),
        "reverse_keyed": sum(i.reverse for i in cb.items),
        "items_per_construct": {c.id: len(cb.construct_items(c.id)) for c in cb.constructs},
        "items_per_block": dict(sorted(Counter(i.block for i in cb.items).items())),
    }


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["questionnaire"]
    languages = list(p["languages"])
    east_asian_font = p["docx_east_asian_font"]
    cb = load_codebook(args.codebook)
    with atomic_dir(args.out) as tmp:
        for lang in languages:
            write_text(tmp / f"questionnaire_{lang}.md", render_markdown(cb, lang))
            save_docx(
                render_docx(cb, lang, font=east_asian_font), tmp / f"questionnaire_{lang}.docx"
            )
        detail = summarize(cb)
        write_json(tmp / "summary.json", detail)
    write_json(args.summary, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics: the `summarize` counts without the per-construct and per-block lists."""
    return {
        **{k: v for k, v in detail.items() if not isinstance(v, dict)},
        "constructs": len(detail["items_per_construct"]),
        "blocks": len(detail["items_per_block"]),
    }
