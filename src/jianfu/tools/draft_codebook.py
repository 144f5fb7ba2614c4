"""Draft a codebook (YAML) for any questionnaire from its exports.

Give one export — 问卷星 / 腾讯问卷 .xlsx or CSV (按文本 or 按序号), SPSS .sav, Stata .dta or a
plain CSV — or the 按文本 and the 按序号 download of the same 问卷星 survey together (the 按序号
file gives the option codes and order, the 按文本 file their wording; rows pair by 序号). The
draft holds the question numbers, wording, item types, the options of each scale and the
attention checks found from their wording; what an export cannot tell (constructs, reverse keys,
English wording, blocks, valid ranges, logic rules) is marked TODO. It passes
`jianfu check-codebook` as written; fill in the TODOs before analysing
(docs/draft_codebook.md).

Example:
  jianfu draft-codebook data/own/survey/123_按文本_我的问卷_300_300.xlsx \\
      data/own/survey/123_按序号_我的问卷_300_300.xlsx --out codebook/my_survey.yaml
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

from jianfu.codebook.draft import build_draft, render
from jianfu.codebook.load import parse_codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import write_text
from jianfu.ingest.read import read_survey


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "exports",
        type=Path,
        nargs="+",
        metavar="EXPORT",
        help="the export file; or the 按文本 and the 按序号 file of one 问卷星 survey",
    )
    parser.add_argument("--out", required=True, type=Path, help="the codebook to write (.yaml)")
    parser.add_argument(
        "--sheet", default=None, help="worksheet of an .xlsx workbook (default: the first)"
    )
    parser.add_argument(
        "--id", default=None, help="codebook id (default: the output file's name without .yaml)"
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite the output file if it exists"
    )


def _shown(path: Path) -> str:
    """A path for the header comment: as given, but never absolute."""
    return path.name if path.is_absolute() else path.as_posix()


def command_line(args: argparse.Namespace) -> str:
    """The command as the draft's header shows it (no absolute paths)."""
    parts = ["jianfu", "draft-codebook", *(_shown(p) for p in args.exports)]
    parts += ["--out", _shown(args.out)]
    if args.sheet is not None:
        parts += ["--sheet", str(args.sheet)]
    if args.id is not None:
        parts += ["--id", args.id]
    return " ".join(
        p if re.fullmatch(r"[^\s'\"$`\\|&;<>()*?!#~]+", p) else shlex.quote(p) for p in parts
    )


def _codebook_id(args: argparse.Namespace) -> str:
    if args.id is not None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*", args.id):
            raise JianfuError(
                f"--id {args.id!r}: use letters, digits, '_', '-' or '.', starting with a letter"
            )
        return args.id
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", args.out.stem).strip("_")
    return stem if stem[:1].isalpha() else f"survey_{stem}" if stem else "survey"


def run(args: argparse.Namespace) -> None:
    out: Path = args.out
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise JianfuError(f"--out {out}: give a .yaml file name (e.g. codebook/my_survey.yaml)")
    if out.exists() and not args.force:
        raise JianfuError(
            f"--out {out}: the file exists (an edited codebook?); choose another name, or pass "
            "--force to overwrite it"
        )
    raws = [read_survey(path, sheet=args.sheet) for path in args.exports]
    draft = build_draft(raws, codebook_id=_codebook_id(args), command=command_line(args))
    text = render(draft)
    write_text(out, text)
    n_items = sum(len(q.rows) if q.type == "matrix" else 1 for q in draft.questions)
    n_checks = sum(len(q.attention) for q in draft.questions)
    print(
        f"{out}: draft codebook with {len(draft.questions)} questions, {n_items} items, "
        f"{len(draft.scales)} scales, {n_checks} attention check(s), "
        f"{len(draft.constructs)} provisional construct(s), {text.count('TODO')} TODOs"
    )
    import yaml

    try:
        parse_codebook(yaml.safe_load(text), str(out), Path.cwd())
    except JianfuError as exc:
        print(f"note: the draft does not pass check-codebook yet:\n{exc}")
    print(
        f"next: fill in the TODOs (constructs, reverse keys, English wording), then "
        f"`jianfu check-codebook {out}` (docs/draft_codebook.md)"
    )
