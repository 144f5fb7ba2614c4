"""Switch the data the pipeline analyses: ``jianfu use-data own`` or ``jianfu use-data simulated``.

Sets ``data.source`` in params.yaml, changing that one line and nothing else (comments and
layout are kept), then says what to do next. ``own`` reads your exports in data/own/survey/
(README, "Your own survey"); ``simulated`` the built-in demo data. Then run ``dvc repro``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from jianfu.core.errors import JianfuError
from jianfu.core.io import write_text
from jianfu.core.params import DATA_SOURCES

#: The ``source:`` line inside the top-level ``data:`` block.
_SOURCE_LINE = re.compile(r"^(?P<indent>[ \t]+)source:[ \t]*(?P<value>[^#\s]+)(?P<rest>.*)$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", choices=DATA_SOURCES, help="own or simulated")
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))


def set_source(text: str, source: str) -> tuple[str, str]:
    """params.yaml text with ``data.source`` set to `source`; also the value it had."""
    lines = text.splitlines(keepends=True)
    in_data = False
    for k, line in enumerate(lines):
        if re.match(r"^data:\s*(#.*)?$", line):
            in_data = True
            continue
        if in_data and re.match(r"^\S", line):
            break  # the next top-level section
        match = _SOURCE_LINE.match(line.rstrip("\r\n")) if in_data else None
        if match:
            ending = line[len(line.rstrip("\r\n")) :]
            lines[k] = f"{match['indent']}source: {source}{match['rest']}{ending}"
            return "".join(lines), match["value"].strip("'\"")
    raise JianfuError(
        "params.yaml: no `source:` line in the top-level `data:` section; add\n"
        f"data:\n  source: {source}"
    )


def run(args: argparse.Namespace) -> None:
    try:
        text = args.params.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JianfuError(f"{args.params}: not found (run from the project folder)") from None
    new, old = set_source(text, args.source)
    if new != text:
        write_text(args.params, new)
    print(f"{args.params}: data.source: {old} -> {args.source}")
    if args.source == "own":
        folder = Path("data/own/survey")
        files = [p for p in folder.glob("*") if p.is_file() and p.name != "README.md"]
        print(
            f"{folder}/ holds {len(files)} file(s). Next: `dvc repro` (README, 'Your own survey')."
        )
    else:
        print("Next: `dvc repro` (stages already run on these data are restored from the cache).")
