"""Stage `fonts`: build the figures' Chinese font (OFL TrueType subset of Noto Sans SC) once.

`jianfu.figures.fonts.build_font` writes the TTF, ``OFL.txt`` and ``FONTLOG.txt`` into the
output folder, byte-identically; DVC caches it, so it is built again only when the font code or
the locked package versions change.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from jianfu.core.params import TrackedParams
from jianfu.figures import fonts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="folder for the font")


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    started = time.perf_counter()
    built = fonts.build_font(args.out)
    size = built.font.stat().st_size
    print(
        f"jianfu fonts: {fonts.FONT_FAMILY} ({size / 2**20:.1f} MiB) in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
