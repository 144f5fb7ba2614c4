"""`read_survey` on real exports written by other people (../shared/external_surveys/).

The files are not part of the repository (two carry no licence, one holds real IP addresses),
so these tests skip when the folder is absent, and they assert only on structure — shapes,
counts, kinds, which row is the header — computed at run time: no wording, answer, name or
address from the files is written here. The shapes are those stated in the folder's README.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jianfu.ingest.read import read_survey

FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "external_surveys"
if not FOLDER.is_dir():
    pytest.skip(f"real survey exports not available ({FOLDER} is absent)", allow_module_level=True)

WJX_CODE = FOLDER / "wjx_anxuhao_parenting_style_245x94.xlsx"
SAV = FOLDER / "wjx_spss_word_importance_53x35.sav"
FEVS = FOLDER / "fevs_class_sample_3FY_7711x78.xlsx"
FEVS_DATA_SHEET = "fevs_sample_data_3FYs_Set1"
LEGACY_XLS = FOLDER / "wjx_legacy_xls_test_3rows.xls"
_NUMBER = re.compile(r"^\s*[-+]?\d+(?:\.\d*)?\s*$")


def _needs(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path.name} not in {FOLDER}")


def _text_header(columns) -> bool:
    """Every column name is text that does not read as a number (a data row would)."""
    return all(isinstance(c, str) and c.strip() and not _NUMBER.match(c) for c in columns)


def _calamine_rows(path: Path, sheet: str) -> list[list]:
    """The sheet's rows as calamine sees them, trailing blank rows dropped."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    while rows and all(c == "" for c in rows[-1]):
        rows.pop()
    return rows


def test_wjx_code_xlsx_native_header():
    _needs(WJX_CODE)
    raw = read_survey(WJX_CODE)
    assert raw.frame.shape == (245, 94)
    assert raw.kind == "wjx_code"
    assert raw.header_row == 1
    assert list(raw.file_rows) == list(range(2, 247))
    assert _text_header(raw.frame.columns)
    assert "序号" in raw.frame.columns  # the native 问卷星 header (README)


def test_spss_sav_with_value_labels():
    _needs(SAV)
    raw = read_survey(SAV)
    assert raw.frame.shape == (53, 35)
    assert raw.kind == "spss"
    assert raw.value_labels, "value labels expected"
    assert set(raw.value_labels) <= set(raw.frame.columns)
    assert all(isinstance(labels, dict) and labels for labels in raw.value_labels.values())
    assert len(raw.frame.attrs["variable_names"]) == 35


def test_legacy_xls_is_read():
    _needs(LEGACY_XLS)
    raw = read_survey(LEGACY_XLS)
    assert len(raw.frame) == 3
    assert raw.header_row == 1
    assert list(raw.file_rows) == [2, 3, 4]
    assert raw.kind in ("wjx_text", "wjx_code")
    assert _text_header(raw.frame.columns)


def test_fevs_data_sheet_chosen_and_no_row_lost():
    _needs(FEVS)
    raw = read_survey(FEVS)
    assert raw.sheet == FEVS_DATA_SHEET
    assert any("chosen automatically" in note for note in raw.notes)
    rows = _calamine_rows(FEVS, FEVS_DATA_SHEET)
    assert raw.frame.shape == (7711, 78) == (len(rows) - 1, len(rows[0]))
    assert raw.header_row == 1
    assert _text_header(raw.frame.columns)
    # the first data row is data, not a second header: as numeric as the rest
    first = raw.frame.iloc[0]
    assert sum(isinstance(v, int | float) for v in first) > len(first) / 2
    given = read_survey(FEVS, sheet=FEVS_DATA_SHEET)
    assert given.frame.shape == raw.frame.shape


def test_fevs_item_map_header_is_not_its_first_item_row():
    """The item-map sheet has title rows, a header, then one row per item whose first cell is
    an item id (``Q…``): the header is the row above the first of those, not that row."""
    _needs(FEVS)
    import python_calamine as pc

    name = pc.CalamineWorkbook.from_path(str(FEVS)).sheet_names[0]
    raw = read_survey(FEVS, sheet=name)
    ids = raw.frame.iloc[:, 0].dropna().astype(str)
    ids = ids[ids.str.strip() != ""]
    item_like = ids.str.match(r"^[Qq]\d+$")
    assert item_like.iloc[0], "the first data row should be the first item"
    assert not re.match(r"^[Qq]\d+$", str(raw.frame.columns[0]))
    assert raw.header_row > 1  # title rows above it were skipped
    rows = _calamine_rows(FEVS, name)
    assert len(raw.frame) == len(rows) - raw.header_row
