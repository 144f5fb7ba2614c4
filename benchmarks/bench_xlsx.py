"""Benchmark: reading and cleaning a 100,000-row 问卷星 按文本 .xlsx export.

The input is the simulated 按文本 export (data/simulated/survey/ or data/raw/survey/; run
`dvc repro simulate` first), its rows repeated with new 序号 up to N rows and written as an
.xlsx with openpyxl (cell types as in the export: phone numbers stay text). The file is cached in
/tmp/jianfu-bench-xlsx/ between runs. Measured in the same run:

* reading with `read_survey` (python-calamine), against the openpyxl reader that it replaced
  (the baseline: the same grid → header → frame steps, the cells read by openpyxl);
* the whole `jianfu.ingest.survey.process_survey` (read → map → normalise → match townships →
  de-identify → clean) on the file; target: under 30 s for 100,000 rows.

    .venv/bin/python benchmarks/bench_xlsx.py [N] [--no-baseline]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/tmp/jianfu-bench-xlsx")


def _source() -> Path:
    for folder in ("data/simulated/survey", "data/raw/survey"):
        found = sorted((ROOT / folder).glob("*_按文本_*.xlsx"))
        if found:
            return found[0]
    raise SystemExit("no simulated 按文本 export found: run `dvc repro simulate` first")


def build(n: int) -> Path:
    """The N-row 按文本 workbook (built once, then cached)."""
    import python_calamine as pc
    from openpyxl import Workbook

    source = _source()
    path = CACHE / f"bench_按文本_{source.stem.split('_')[2]}_{n}_{n}.xlsx"
    if path.exists() and path.stat().st_mtime > source.stat().st_mtime:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    rows = pc.CalamineWorkbook.from_path(str(source)).get_sheet_by_index(0).to_python()
    header, body = rows[0], [r for r in rows[1:] if any(c != "" for c in r)]
    seq = header.index("序号")
    start = time.perf_counter()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(header)
    for i in range(n):
        row = [
            None if c == "" else int(c) if isinstance(c, float) and c.is_integer() else c
            for c in body[i % len(body)]
        ]
        row[seq] = i + 1
        ws.append(row)
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.rename(path)
    print(f"built {path} ({n:,} rows) in {time.perf_counter() - start:.1f} s")
    return path


def read_openpyxl(path: Path):
    """The reader before calamine: the same steps, the cells read by openpyxl."""
    from jianfu.ingest import read as r

    notes: list[str] = []
    grid = r._openpyxl_cells(path, "Sheet1", notes)
    frame, _rows, _ = r._table(path, grid, notes)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--no-baseline", action="store_true", help="skip the openpyxl reader")
    args = parser.parse_args()

    from jianfu.codebook.load import load_codebook
    from jianfu.core.params import load_params
    from jianfu.core.reference import read_reference
    from jianfu.ingest.read import read_survey
    from jianfu.ingest.survey import process_survey

    path = build(args.n)
    start = time.perf_counter()
    raw = read_survey(path)
    calamine_s = time.perf_counter() - start
    print(
        f"read_survey (calamine): {len(raw.frame):,} rows × {raw.frame.shape[1]} columns in "
        f"{calamine_s:.1f} s (kind {raw.kind})"
    )
    if not args.no_baseline:
        start = time.perf_counter()
        frame = read_openpyxl(path)
        openpyxl_s = time.perf_counter() - start
        same = frame.shape == raw.frame.shape and frame.equals(raw.frame)
        print(
            f"openpyxl reader (baseline): {openpyxl_s:.1f} s; openpyxl / calamine = "
            f"{openpyxl_s / calamine_s:.1f}; same frame: {same}"
        )

    p = load_params(ROOT / "params.yaml")["ingest"]
    cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
    districts, towns = read_reference(
        ROOT / "data/reference/cq_districts.csv", ROOT / "data/reference/cq_townships_2023.csv"
    )
    start = time.perf_counter()
    result = process_survey(path, cb, towns, p, simulated=True, root=ROOT, districts=districts)
    total_s = time.perf_counter() - start
    print(
        f"process_survey: {result.rows_in:,} rows in {total_s:.1f} s (reading {calamine_s:.1f} s,"
        f" {calamine_s / total_s:.0%}); target: under 30 s -> "
        f"{'met' if total_s < 30 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
