"""Records passed between the ingest steps: what was read, and how columns map to the codebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Survey export kinds the readers recognise.
SURVEY_KINDS = ("wjx_text", "wjx_code", "tencent", "spss", "stata", "csv")
#: Canonical names of the metadata columns (问卷星 / 腾讯问卷 names are mapped onto these).
META_FIELDS = (
    "seq",  # 序号 / 编号
    "submitted_at",  # 提交答卷时间 / 结束答题时间
    "started_at",  # 开始答题时间 (腾讯问卷)
    "duration",  # 所用时间 / 答题时长
    "source",  # 来源
    "source_detail",  # 来源详情
    "ip",  # 来自IP / IP
    "name",  # 姓名 (personal data)
    "phone",  # 手机号 / 手机 / 电话 (personal data)
    "id_number",  # 身份证号 (personal data)
    "email",  # 邮箱 (personal data)
)


@dataclass
class RawSurvey:
    """A survey file as read: every cell as found, with where each row came from.

    Attributes
    ----------
    frame : one row per data row of the file (blank rows included, so every file row is
        accounted for); columns are the header texts as in the file (a duplicated header gets
        a suffix `` [2]``, `` [3]``, reported in `notes`); cells as read (str, int, float or
        None; nothing converted yet).
    file_rows : the 1-based row number of each frame row in the file, as Excel or a text
        editor shows it (the header row included in the count).
    path : the file.
    kind : one of `SURVEY_KINDS`.
    encoding : the detected text encoding of a CSV file (None for binary formats).
    header_row : file row number of the header.
    sheet : the worksheet read (xlsx), else None.
    notes : what the reader decided, in words for the mapping report (encoding and why, header
        row found below title rows, sheet chosen, duplicated headers renamed...).
    value_labels : SPSS/Stata value labels per column, if the file carries them.
    """

    frame: pd.DataFrame
    file_rows: np.ndarray
    path: Path
    kind: str
    encoding: str | None = None
    header_row: int = 1
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    value_labels: dict[str, dict] = field(default_factory=dict)


@dataclass
class ColumnMap:
    """How the columns of a `RawSurvey` map to the codebook.

    Attributes
    ----------
    meta : canonical meta field (`META_FIELDS`) -> column.
    items : item id -> column, for single, number, text and matrix items, and for a
        multi-choice item exported as one joined column (``A┋B┋其他〖…〗``).
    multi_split : multi-choice item id -> {option code -> column} where the export split the
        options into 0/1 columns (问卷星 按序号).
    positional : True when choice answers are option positions 1..k (问卷星 按序号), False
        when they are labels (按文本) or codebook codes (SPSS/Stata/plain CSV with codes).
    extra : columns that map to nothing: kept aside (never silently dropped) and reported.
    missing : codebook items with no column in the file.
    how : column -> how it was mapped ("question number + header text", "header text",
        "question number", "meta"), for the report.
    """

    meta: dict[str, str] = field(default_factory=dict)
    items: dict[str, str] = field(default_factory=dict)
    multi_split: dict[str, dict[int, str]] = field(default_factory=dict)
    positional: bool = False
    extra: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)

    def report(self) -> dict:
        """The mapping report (JSON-serialisable)."""
        return {
            "mapped_items": len(self.items) + len(self.multi_split),
            "meta": dict(sorted(self.meta.items())),
            "items": dict(self.items),
            "multi_split": {
                k: {str(c): col for c, col in v.items()} for k, v in self.multi_split.items()
            },
            "positional_codes": self.positional,
            "extra_columns": list(self.extra),
            "missing_items": list(self.missing),
            "how": dict(self.how),
        }
