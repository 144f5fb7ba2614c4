"""Dirt and the 问卷星 export: the simulated survey written exactly as real exports look.

`inject_dirt` adds the problems real survey data has, at the rates in params, and records every
dirty row with its reason (the truth the cleaning step is tested against). `wjx_table` lays the
answers out as 问卷星 does:

* metadata columns ``序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP``;
* time taken as ``125秒``; question columns ``N、题目``; matrix rows ``N、(行标题)``;
* 按文本 (answers as text): multi-choice joined with ``┋``, "other" as ``其他〖…〗``, logic-skipped
  cells ``(跳过)``, unanswered ``(空)``;
* 按序号 (answers as option positions 1..k): multi-choice split into 0/1 columns ``N、(选项)``,
  skipped ``-3``, unanswered ``-2``.

Files are named as 问卷星 names them: ``{问卷ID}_按文本_{标题}_{n}_{n}.xlsx``.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook, Item
from jianfu.core.io import deterministic_zip, write_bytes
from jianfu.simulate.respondents import person_name, phone_number

META = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
SKIPPED = {"text": "(跳过)", "code": -3}
EMPTY = {"text": "(空)", "code": -2}
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
DIRT_KINDS = (
    "speeder",
    "straightliner",
    "attention_fail",
    "duplicate",
    "out_of_range",
    "logic_conflict",
    "fullwidth_digits",
    "pii_in_text",
    "blank_row",
)


def inject_dirt(
    cb: Codebook, answers: pd.DataFrame, p, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add dirt at the configured rates; return the dirty answers and the dirt log.

    `answers` has one row per respondent: ``response_id``, metadata, and one column per item in
    codebook codes (numbers as integers, multi-choice as tuples of codes). The log has one row per
    (response_id, reason); blank spreadsheet rows are added by `wjx_table` and logged there.
    """
    a = answers.copy()
    n = len(a)
    log: list[tuple[int, str, str]] = []
    matrix_items = [i for i in cb.items if i.type == "matrix"]
    [i for i in matrix_items if not i.is_attention_check]

    def pick(rate_key: str, eligible: np.ndarray | None = None) -> np.ndarray:
        pool = np.arange(n) if eligible is None else np.flatnonzero(eligible)
        k = round(float(p[rate_key]) * n)
        return np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False))

    # speeders: far too fast, answers at random
    speeders = pick("speeder_rate")
    median = a["duration_s"].median()
    a.loc[speeders, "duration_s"] = np.round(median * rng.uniform(0.05, 0.3, len(speeders))).astype(
        "int64"
    )
    for item in matrix_items:
        codes = np.asarray(cb.scales[item.scale].codes)
        a.loc[speeders, item.id] = rng.choice(codes, len(speeders))
    log += [(int(a.at[i, "response_id"]), "speeder", "所用时间") for i in speeders]

    # straight-liners: the same position on every matrix row, reverse-keyed ones included
    taken = np.zeros(n, bool)
    taken[speeders] = True
    liners = pick("straightliner_rate", ~taken)
    position = rng.integers(0, 5, len(liners))
    for item in matrix_items:
        codes = np.asarray(cb.scales[item.scale].codes)
        a.loc[liners, item.id] = codes[np.minimum(position, len(codes) - 1)]
    log += [(int(a.at[i, "response_id"]), "straightliner", "matrix") for i in liners]

    # failed attention checks among otherwise attentive respondents
    taken[liners] = True
    checks = cb.attention_checks
    for i in pick("attention_fail_rate", ~taken):
        item = checks[rng.integers(len(checks))]
        wrong = [c for c in cb.scales[item.scale].codes if c != item.attention_expected]
        a.at[i, item.id] = rng.choice(wrong)
        log.append((int(a.at[i, "response_id"]), "attention_fail", item.id))
    # every respondent's attention-check answers (speeders and straight-liners as drawn above)
    for item in checks:
        failed = a[item.id] != item.attention_expected
        extra = a.index[failed & taken]
        log += [(int(a.at[i, "response_id"]), "attention_fail", item.id) for i in extra]

    # out-of-range or impossible numbers
    numbers = [i for i in cb.items if i.type == "number"]
    for i in pick("out_of_range_rate"):
        item = numbers[rng.integers(len(numbers))]
        hi = cb.valid_range(item)[1]
        a.at[i, item.id] = int(rng.choice([hi * rng.integers(2, 6), 9999, -1]))
        log.append((int(a.at[i, "response_id"]), "out_of_range", item.id))

    # logical conflicts: 30 or younger with more than 10 years at the grassroots level
    for i in pick("logic_conflict_rate", ~taken):
        a.at[i, "age_band"] = 1
        a.at[i, "tenure_band"] = 4
        log.append((int(a.at[i, "response_id"]), "logic_conflict", "age_band,tenure_band"))

    # numbers typed with full-width digits (a normalisation problem, not an invalid answer)
    a[[i.id for i in numbers]] = a[[i.id for i in numbers]].astype(object)
    for i in pick("fullwidth_rate"):
        item = numbers[rng.integers(len(numbers))]
        a.at[i, item.id] = str(a.at[i, item.id]).translate(FULLWIDTH)
        log.append((int(a.at[i, "response_id"]), "fullwidth_digits", item.id))

    # personal data written into the open text
    for i in pick("pii_in_text_rate"):
        name = person_name(rng, 1)[0]
        phone = phone_number(rng, 1)[0]
        base = a.at[i, "suggestion"] or "有问题请联系我。"
        a.at[i, "suggestion"] = f"{base}（{name}，电话{phone}）"
        log.append((int(a.at[i, "response_id"]), "pii_in_text", "suggestion"))

    # duplicate submissions: the same person submits again minutes later from the same address
    dup_src = pick("duplicate_rate")
    dups = a.loc[dup_src].copy()
    dups["submitted_at"] = dups["submitted_at"] + pd.to_timedelta(
        rng.integers(60, 1800, len(dups)), unit="s"
    )
    dups["duplicate_of"] = dups["response_id"]
    a["duplicate_of"] = pd.NA
    a = pd.concat([a, dups], ignore_index=True)
    # 问卷星 numbers responses in submission order
    a = a.sort_values(["submitted_at", "response_id"], kind="stable").reset_index(drop=True)
    a["seq"] = np.arange(1, len(a) + 1)
    id_to_seq = a.loc[a["duplicate_of"].isna()].set_index("response_id")["seq"]
    dirt = pd.DataFrame(log, columns=["response_id", "reason", "column"])
    dirt["seq"] = dirt["response_id"].map(id_to_seq)
    dup_rows = a.loc[a["duplicate_of"].notna()]
    dirt = pd.concat(
        [
            dirt,
            pd.DataFrame(
                {
                    "response_id": dup_rows["response_id"].to_numpy(),
                    "reason": "duplicate",
                    "column": "",
                    "seq": dup_rows["seq"].to_numpy(),
                    "duplicate_of_seq": dup_rows["response_id"].map(id_to_seq).to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    dirt = dirt.drop_duplicates(["seq", "reason", "column"]).sort_values(["seq", "reason"])
    return a, dirt.reset_index(drop=True)


def _header(item: Item, cb: Codebook, option: str | None = None) -> str:
    q = next(q for q in cb.questions if q.qnum == item.qnum)
    if item.type == "matrix":
        return f"{item.qnum}、({item.label.zh})"
    if option is not None:
        return f"{item.qnum}、({option})"
    return f"{item.qnum}、{q.text.zh}"


def _positions(cb: Codebook, item: Item) -> dict[int, int]:
    return {v.code: k for k, v in enumerate(cb.scales[item.scale].values, start=1)}


def wjx_table(
    cb: Codebook,
    a: pd.DataFrame,
    variant: str,
    skipped: dict[str, pd.Series],
    contact: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The export table, 按文本 (``variant="text"``) or 按序号 (``"code"``), as strings/ints."""
    cols: dict[str, object] = {
        "序号": a["seq"].to_numpy(),
        "提交答卷时间": a["submitted_at"].dt.strftime("%Y/%m/%d %H:%M:%S").to_numpy(),
        "所用时间": (a["duration_s"].astype(str) + "秒").to_numpy(),
        "来源": a["source"].to_numpy(),
        "来源详情": a["source_detail"].to_numpy(),
        "来自IP": a["ip"].to_numpy(),
    }
    for item in cb.items:
        values = a[item.id]
        if item.type == "multi":
            scale = cb.scales[item.scale]
            if variant == "text":
                other = a[f"{item.id}_other"]
                cols[_header(item, cb)] = [
                    "┋".join(
                        (f"其他〖{o}〗" if v.other_text and o else v.label.zh)
                        for v in scale.values
                        if v.code in chosen
                    )
                    for chosen, o in zip(values, other, strict=True)
                ]
            else:
                for v in scale.values:
                    cols[_header(item, cb, v.label.zh)] = [int(v.code in c) for c in values]
            continue
        if item.type in ("single", "matrix"):
            if variant == "text":
                labels = {v.code: v.label.zh for v in cb.scales[item.scale].values}
                out = values.map(labels)
            else:
                out = values.map(_positions(cb, item))
        elif item.type == "text":
            out = values.where(values != "", EMPTY[variant])
        else:  # number
            out = values
        mask = skipped.get(item.id)
        if mask is not None:
            out = out.where(~mask.to_numpy(), SKIPPED[variant])
        cols[_header(item, cb)] = out.to_numpy()
    table = pd.DataFrame(cols)
    if contact is not None:
        table = pd.concat([table, contact.reset_index(drop=True)], axis=1)
    return table


def insert_blank_rows(table: pd.DataFrame, after: np.ndarray) -> tuple[pd.DataFrame, list[int]]:
    """Insert a fully blank row after each position in `after` (as merged or hand-edited
    exports have); return the table and the blank rows' sheet row numbers (1-based, header in
    row 1, as Excel shows them)."""
    blank = pd.DataFrame([[None] * table.shape[1]], columns=table.columns)
    parts, start = [], 0
    for pos in np.sort(after):
        parts += [table.iloc[start : pos + 1], blank]
        start = pos + 1
    parts.append(table.iloc[start:])
    out = pd.concat(parts, ignore_index=True)
    sheet_rows = [int(i) + 2 for i in np.flatnonzero(out["序号"].isna().to_numpy())]
    return out, sheet_rows


def xlsx_bytes(table: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """The table as a byte-reproducible .xlsx (fixed timestamps inside the archive)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append(
            [
                None
                if (v is None or (isinstance(v, float) and np.isnan(v)))
                else (int(v) if isinstance(v, np.integer) else v)
                for v in row
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return deterministic_zip(buf.getvalue())


def write_export(table: pd.DataFrame, path, fmt: str) -> None:
    """Write one export file: ``xlsx``, or ``csv_gbk`` (as 问卷星's CSV download in GBK)."""
    if fmt == "xlsx":
        write_bytes(path, xlsx_bytes(table))
    elif fmt == "csv_gbk":
        text = table.to_csv(index=False, lineterminator="\r\n")
        write_bytes(path, text.encode("gbk"))
    else:
        raise ValueError(f"unknown export format {fmt!r} (xlsx, csv_gbk)")
