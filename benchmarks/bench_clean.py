"""Benchmark: cleaning 100,000 survey responses end to end (read → map → normalise → match
townships → de-identify → clean), as `jianfu clean-survey` does.

The input is the simulated 问卷星 按文本 export (run `dvc repro simulate` first), its rows
repeated with new 序号 and shifted times up to N rows, written as a UTF-8 CSV and (optionally) as
xlsx. The baseline, measured in the same run, is the original export (≈ 2,400 rows) through the
same steps; the script prints the rates and their ratio.

    .venv/bin/python benchmarks/bench_clean.py [N] [--xlsx]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from jianfu.codebook.load import load_codebook
from jianfu.core.params import load_params
from jianfu.core.reference import read_reference
from jianfu.ingest.survey import process_survey

ROOT = Path(__file__).resolve().parents[1]


def _grow(table: pd.DataFrame, n: int) -> pd.DataFrame:
    reps = -(-n // len(table))
    big = pd.concat([table] * reps, ignore_index=True).iloc[:n].copy()
    big["序号"] = range(1, n + 1)
    return big


def _time(path: Path, cb, towns, districts, p) -> tuple[float, int]:
    start = time.perf_counter()
    result = process_survey(path, cb, towns, p, simulated=True, root=ROOT, districts=districts)
    return time.perf_counter() - start, len(result.raw.frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="also time an xlsx of N rows")
    args = parser.parse_args()
    p = load_params(ROOT / "params.yaml")["ingest"]
    cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")
    districts, towns = read_reference(
        ROOT / "data/reference/cq_districts.csv", ROOT / "data/reference/cq_townships_2023.csv"
    )
    source = next((ROOT / "data/simulated/survey").glob("*_按文本_*.xlsx"))
    table = pd.read_excel(source, dtype=str)
    with tempfile.TemporaryDirectory() as tmp:
        base_csv = Path(tmp) / "base_按文本.csv"
        table.to_csv(base_csv, index=False, encoding="utf-8")
        big_csv = Path(tmp) / "big_按文本.csv"
        _grow(table, args.n).to_csv(big_csv, index=False, encoding="utf-8")
        base_s, base_rows = _time(base_csv, cb, towns, districts, p)
        big_s, big_rows = _time(big_csv, cb, towns, districts, p)
        print(
            f"clean-survey benchmark (CSV, UTF-8): baseline {base_rows:,} rows, "
            f"then {big_rows:,} rows"
        )
        print(f"baseline {base_rows:>9,} rows {base_s:7.1f} s {base_rows / base_s:10,.0f} rows/s")
        print(f"large    {big_rows:>9,} rows {big_s:7.1f} s {big_rows / big_s:10,.0f} rows/s")
        print(
            f"time large / baseline: {big_s / base_s:.1f} for {big_rows / base_rows:.1f}x rows; "
            f"target: {big_rows:,} rows in under 30 s -> {'met' if big_s < 30 else 'NOT met'}"
        )
        if args.xlsx:
            big_xlsx = Path(tmp) / "big_按文本.xlsx"
            _grow(table, args.n).to_excel(big_xlsx, index=False)
            xlsx_s, xlsx_rows = _time(big_xlsx, cb, towns, districts, p)
            print(
                f"xlsx     {xlsx_rows:>9,} rows {xlsx_s:7.1f} s {xlsx_rows / xlsx_s:10,.0f} rows/s"
            )


if __name__ == "__main__":
    main()
