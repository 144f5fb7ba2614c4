"""Draft a codebook from questionnaire exports: what the export says, and TODOs for the rest.

`draft_codebook` turns one or two exports of a questionnaire (as read by
`jianfu.ingest.read.read_survey`) into the YAML text of a codebook that `jianfu check-codebook`
accepts, so that a research team with its own questionnaire starts from its real items instead of
a blank file (docs/draft_codebook.md). From the export it takes:

* the question numbers and wording (the column headers: 问卷星 ``N、题目``, matrix rows
  ``N、(行标题)`` / ``N(行标题)`` / ``N、题干—行标题``, split options ``N、(选项)``, old ``第N题``,
  SPSS names ``QN`` / ``QN_k`` / ``QN_Rowk`` with their variable labels, 腾讯问卷 ``N.题目``);
* the item types: single, multi (``┋``-joined in 按文本, split 0/1 columns in 按序号), matrix
  rows (several columns of one question number), number (numeric free answers), text;
* the options of each scale, in order: from the 按序号 codes with the 按文本 labels when both
  files are given (rows paired by 序号), from SPSS value labels, from the distinct 按文本 answers
  (ordered when they are a known Likert wording family, else in first-seen order with a TODO),
  or codes 1..k with placeholder labels from a 按序号 file alone; identical option sets become
  one shared scale;
* instructed-response attention checks (``此题请选择“非常不符合”``, ``请选择第二项``,
  ``Please select 'Strongly disagree'``) with the code of the answer they ask for.

What an export cannot tell — constructs, reverse keys, pillars, blocks, English wording, plausible
ranges, logic rules — is left as clearly marked TODOs. The loader requires at least one construct
of three or more scored items, so the draft groups each rating matrix (and each run of stand-alone
rating items on one scale) into a *provisional* construct, marked TODO, to be replaced.

Meta columns (序号, 提交答卷时间, 所用时间, 来源, 来源详情, 来自IP, 总分, 腾讯问卷's, personal data
such as 姓名/手机号) are not items: the schema has no section for them, so the draft lists them
in a YAML comment. Everything here is a pure function of the exports: the same exports give the
same bytes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from jianfu.core.errors import JianfuError
from jianfu.ingest.mapping import META_ALIASES
from jianfu.ingest.read import TENCENT_COLUMNS
from jianfu.ingest.types import RawSurvey

#: Placeholder for English wording the draft cannot know.
EN_TODO = "TODO: English wording"
#: Export kinds whose cells are answer texts, and those whose cells are codes.
TEXT_KINDS = ("wjx_text", "tencent")
CODE_KINDS = ("wjx_code",)
#: Meta columns of the export tools beyond `META_ALIASES` (问卷星 总分, the reader's 腾讯问卷 list).
EXTRA_META = (
    "总分",
    "得分",
    *TENCENT_COLUMNS,
    "答题序号",
    "答卷序号",
    "用户名",
    "用户ID",
    "微信昵称",
)
#: Respondent / record identifiers of plain tables (``Response.ID``, ``respondent_id``).
_ID_COLUMN = re.compile(r"^(?:response|respondent|record|case|user|participant|resp)?[\s._-]*id$")
#: Cells that are no answer: 问卷星 skipped / unanswered markers, blanks.
_NO_ANSWER = {"", "(跳过)", "跳过", "(空)", "空", "n/a", "nan", "none"}
_WJX_CODE_MARKERS = {-2, -3}
#: Most options a choice question is taken to have (more distinct codes: a number item).
MAX_OPTIONS = 60
#: Codes up to this many are option codes even when the wording sounds numeric (年龄: age bands).
SMALL_CODES = 12
#: Least share of numeric answers for a free answer to count as a number item.
NUMBER_SHARE = 0.8
#: Header words that mark a question answered with a number (年龄, 多少次, how many …).
_NUMBER_HINT = re.compile(
    r"多少|几[个次份种天小年岁人]|年龄|岁数|周岁|年份|出生年|次数|人数|天数|时长|小时|分钟|金额|"
    r"数量|填写数字|___|how many|how much|number of|\bage\b|\byear\b",
    re.I,
)
#: Least scored items of a provisional construct (the loader's minimum).
MIN_CONSTRUCT_ITEMS = 3

_NUM_SEP = re.compile(r"^\s*(\d+)\s*[、.．:：]\s*(?!\d)(.*)$", re.S)
_NUM_PAREN = re.compile(r"^\s*(\d+)\s*([(（].*[)）])\s*$", re.S)
_OLD_STYLE = re.compile(r"^\s*第\s*(\d+)\s*题\s*[、.．:：]?\s*(.*)$", re.S)
_QNAME = re.compile(
    r"^\s*[Qq]\s*(\d+)(?:[_.](?:row|r|blank|b|c|col|option|opt)?(\d+))?(?![\d])\s*[、.．:：]?\s*(.*)$",
    re.S | re.I,
)
_ROW_VARIABLE = re.compile(r"_(?:row|r)\d+$", re.I)
_PAREN = re.compile(r"^[(（](.*)[)）]$", re.S)
_STEM_PAREN = re.compile(r"^(.*?\S)\s*[(（](.*)[)）]$", re.S)
_DASH = re.compile(r"—+|–+|--")
_DUP_SUFFIX = re.compile(r" \[\d+\]$")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_OTHER = re.compile(r"^(.*?)〖(.*)〗$", re.S)
_WJX_FILE = re.compile(r"^\d+_按(?:文本|序号)_(.+?)(?:_\d+_\d+)?$")
_QUOTES = "“”\"'「」『』‘’"


# ---- Likert wording families ---------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A known ordered answer wording (lowest first): zh words per option, English labels."""

    id: str
    zh: str
    en: str
    words: tuple[tuple[str, ...], ...]  # per option: the primary wording first, then variants
    labels_en: tuple[str, ...]

    def index(self) -> dict[str, int]:
        return {canon(w): k for k, ws in enumerate(self.words) for w in ws}


def _fam(fid: str, zh: str, en: str, words: list, labels_en: list) -> Family:
    return Family(fid, zh, en, tuple(tuple(w) for w in words), tuple(labels_en))


_AGREE_EN = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]
_FIT_EN = ["Very untrue of me", "Untrue of me", "Neutral", "True of me", "Very true of me"]
#: The families the draft recognises (those of codebook/cadre_survey.yaml and their variants
#: in `jianfu.ingest.normalize`, the common Chinese and English rating wordings).
FAMILIES: tuple[Family, ...] = (
    _fam(
        "agree5",
        "五级同意量表",
        "Five-point agreement scale",
        [
            ["非常不同意", "完全不同意", "很不同意"],
            ["不同意", "比较不同意", "不太同意"],
            ["一般", "中立", "不确定", "说不清", "说不清楚", "无所谓"],
            ["同意", "比较同意"],
            ["非常同意", "完全同意", "很同意"],
        ],
        _AGREE_EN,
    ),
    _fam(
        "fit5",
        "五级符合量表",
        "Five-point true-of-me scale",
        [
            ["非常不符合", "完全不符合", "很不符合"],
            ["不符合", "比较不符合", "较不符合", "不太符合"],
            ["一般", "不确定", "说不清", "说不清楚", "一般符合", "部分符合"],
            ["符合", "比较符合", "较符合"],
            ["非常符合", "完全符合", "很符合"],
        ],
        _FIT_EN,
    ),
    _fam(
        "satisfied5",
        "五级满意度量表",
        "Five-point satisfaction scale",
        [
            ["非常不满意", "很不满意"],
            ["不满意", "比较不满意", "不太满意"],
            ["一般", "说不清"],
            ["满意", "比较满意"],
            ["非常满意", "很满意"],
        ],
        ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
    ),
    _fam(
        "important5",
        "五级重要性量表",
        "Five-point importance scale",
        [
            ["非常不重要", "很不重要", "完全不重要"],
            ["不重要", "不太重要", "比较不重要"],
            ["一般", "中等", "一般重要"],
            ["重要", "比较重要"],
            ["非常重要", "很重要"],
        ],
        [
            "Not at all important",
            "Unimportant",
            "Moderately important",
            "Important",
            "Very important",
        ],
    ),
    _fam(
        "freq5",
        "五级频率量表",
        "Five-point frequency scale",
        [
            ["从不", "从来没有", "从未"],
            ["很少", "偶尔", "较少", "极少"],
            ["有时", "有时候"],
            ["经常", "时常"],
            ["总是", "一直", "每天"],
        ],
        ["Never", "Rarely", "Sometimes", "Often", "Always"],
    ),
    _fam(
        "freq7",
        "七级频率量表",
        "Seven-point frequency scale",
        [
            ["从不", "从来没有", "从未"],
            ["几乎没有", "几乎从不", "极少"],
            ["很少", "偶尔", "较少"],
            ["有时", "有时候"],
            ["经常", "时常"],
            ["十分频繁", "频繁", "非常频繁"],
            ["每天", "总是", "每天都有"],
        ],
        ["Never", "Almost never", "Rarely", "Sometimes", "Often", "Very often", "Every day"],
    ),
    _fam(
        "agree7",
        "七级同意量表",
        "Seven-point agreement scale",
        [
            ["非常不同意", "完全不同意"],
            ["不同意"],
            ["比较不同意", "有点不同意"],
            ["一般", "中立", "不确定"],
            ["比较同意", "有点同意"],
            ["同意"],
            ["非常同意", "完全同意"],
        ],
        [
            "Strongly disagree",
            "Disagree",
            "Somewhat disagree",
            "Neutral",
            "Somewhat agree",
            "Agree",
            "Strongly agree",
        ],
    ),
    _fam(
        "fit7",
        "七级符合量表",
        "Seven-point true-of-me scale",
        [
            ["完全不符合", "非常不符合"],
            ["不符合"],
            ["比较不符合", "有点不符合"],
            ["一般", "不确定"],
            ["比较符合", "有点符合"],
            ["符合"],
            ["完全符合", "非常符合"],
        ],
        [
            "Completely untrue of me",
            "Untrue of me",
            "Somewhat untrue of me",
            "Neutral",
            "Somewhat true of me",
            "True of me",
            "Completely true of me",
        ],
    ),
    _fam(
        "agree4",
        "四级同意量表",
        "Four-point agreement scale",
        [
            ["非常不同意", "完全不同意"],
            ["不同意", "比较不同意", "不太同意"],
            ["同意", "比较同意"],
            ["非常同意", "完全同意"],
        ],
        ["Strongly disagree", "Disagree", "Agree", "Strongly agree"],
    ),
    _fam(
        "fit4",
        "四级符合量表",
        "Four-point true-of-me scale",
        [
            ["非常不符合", "完全不符合"],
            ["不太符合", "比较不符合", "不符合"],
            ["比较符合", "符合"],
            ["非常符合", "完全符合"],
        ],
        ["Very untrue of me", "Untrue of me", "True of me", "Very true of me"],
    ),
    _fam(
        "agree5_en",
        "五级同意量表（英文）",
        "Five-point agreement scale (English)",
        [
            ["Strongly disagree"],
            ["Disagree", "Somewhat disagree"],
            ["Neither agree nor disagree", "Neutral", "Neither Agree nor Disagree (or Neutral)"],
            ["Agree", "Somewhat agree"],
            ["Strongly agree"],
        ],
        _AGREE_EN,
    ),
    _fam(
        "satisfied5_en",
        "五级满意度量表（英文）",
        "Five-point satisfaction scale (English)",
        [
            ["Very dissatisfied", "Strongly dissatisfied"],
            ["Dissatisfied", "Somewhat dissatisfied"],
            ["Neither satisfied nor dissatisfied", "Neutral"],
            ["Satisfied", "Somewhat satisfied"],
            ["Very satisfied", "Strongly satisfied"],
        ],
        ["Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"],
    ),
    _fam(
        "freq5_en",
        "五级频率量表（英文）",
        "Five-point frequency scale (English)",
        [["Never"], ["Rarely", "Seldom"], ["Sometimes"], ["Often", "Usually"], ["Always"]],
        ["Never", "Rarely", "Sometimes", "Often", "Always"],
    ),
)


def canon(value) -> str:
    """Text reduced for comparison: NFKC, no whitespace, straight quotes, case-folded."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", "", text).strip(_QUOTES + "。.").rstrip(":?").casefold()


def _clean_text(value) -> str:
    """A header or label for the codebook: NFC, single spaces, no trailing colon."""
    text = unicodedata.normalize("NFC", str(value)).replace("\r", "")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s*[:：]$", "", text)


def match_family(words: list[str]) -> Family | None:
    """The known wording family all `words` belong to (each to a different option), if any;
    of several, the one whose primary wordings the words use most, then the shortest."""
    keys = [canon(w) for w in words if canon(w)]
    if not keys:
        return None
    best, best_score = None, None
    for fam in FAMILIES:
        index = fam.index()
        positions = [index.get(k) for k in keys]
        if None in positions or len(set(positions)) != len(set(keys)):
            continue
        primary = sum(canon(fam.words[p][0]) == k for p, k in zip(positions, keys, strict=True))
        score = (primary, -len(fam.words))
        if best_score is None or score > best_score:
            best, best_score = fam, score
    return best


def _family_in_order(labels: list[str]) -> Family | None:
    """The family whose options are exactly `labels`, in this order (codes 1..k)."""
    fam = match_family(labels)
    if fam is None or len(fam.words) != len(labels):
        return None
    index = fam.index()
    return fam if [index[canon(w)] for w in labels] == list(range(len(labels))) else None


# ---- reading the export's columns ------------------------------------------------------------


@dataclass
class Column:
    """One question column of an export, its header read."""

    name: str
    qnum: int | None
    full: str  # the header text without its number (a question; SPSS: the variable label)
    stem: str = ""  # the question stem of a matrix row / split option header, if it has one
    sub: str | None = None  # the row / option text: ``N、(sub)``, ``stem(sub)``, ``stem—sub``
    values: list = field(default_factory=list)  # the answers (no markers, no blanks)
    labels: dict[int, str] | None = None  # SPSS/Stata value labels
    variable: str | None = None  # SPSS/Stata variable name


@dataclass
class Layout:
    """An export seen as meta columns and question columns grouped by question number."""

    raw: RawSurvey
    meta: list[str]
    groups: list[tuple[int | None, list[Column]]]  # (export question number, its columns)
    seq: str | None  # the 序号 column, to pair 按文本 and 按序号 rows


def _is_meta(name: str) -> bool:
    key = canon(_DUP_SUFFIX.sub("", name))
    known = {canon(a) for aliases in META_ALIASES.values() for a in aliases}
    known |= {canon(a) for a in EXTRA_META}
    return key in known or bool(_ID_COLUMN.match(key))


def _personal_question(text: str) -> bool:
    """A numbered question that asks for personal data (``30、您的姓名：``): meta, not an item."""
    key = canon(text).rstrip(":?")
    personal = {canon(a) for f in ("name", "phone", "id_number", "email") for a in META_ALIASES[f]}
    return (
        key in personal
        or key.removeprefix("您的") in personal
        or key.removeprefix("你的") in personal
    )


def _parse_header(name: str, variable: str | None) -> tuple[int | None, str, str, str | None]:
    """(question number, full text, stem, row/option text) of a column header."""
    header = _clean_text(_DUP_SUFFIX.sub("", name))
    qnum, text = None, header
    for pattern in (_NUM_SEP, _NUM_PAREN, _OLD_STYLE):
        if m := pattern.match(header):
            qnum, text = int(m.group(1)), m.group(2).strip()
            break
    else:
        if m := _QNAME.match(header):
            qnum, text = int(m.group(1)), (m.group(3) or "").strip()
    if variable is not None and (m := _QNAME.match(variable)):
        qnum = int(m.group(1))  # SPSS: the variable name numbers the question
    stem, sub = text, None
    if p := _PAREN.match(text):
        stem, sub = "", p.group(1).strip()
    elif variable is not None and (p := _STEM_PAREN.match(text)):
        stem, sub = p.group(1).strip(), p.group(2).strip()
    elif len(_DASH.split(text)) > 1:
        parts = _DASH.split(text)
        stem, sub = parts[0].strip(), parts[-1].strip()
    if sub is not None and len(parts := _DASH.split(sub)) > 1:
        stem, sub = stem or parts[0].strip(), parts[-1].strip()
    return qnum, text, stem, sub


def _answers(series: pd.Series, kind: str) -> list:
    """The cells that are answers: no blanks, no skipped / unanswered markers."""
    out = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, str) and canon(v) in _NO_ANSWER:
            continue
        number = _as_number(v)
        if number is not None and kind in CODE_KINDS and number in _WJX_CODE_MARKERS:
            continue
        if number is not None and kind in ("spss", "stata") and number < 0:
            continue  # user-missing codes
        out.append(v)
    return out


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return None if math.isnan(float(value)) else float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return float(text) if _NUMBER.match(text) else None


def _integers(values: list) -> list[int] | None:
    """The values as integers, or None if any is not a whole number."""
    out = []
    for v in values:
        n = _as_number(v)
        if n is None or not float(n).is_integer():
            return None
        out.append(int(n))
    return out


def layout(raw: RawSurvey) -> Layout:
    """The export's meta columns and its question columns grouped by question number."""
    names = raw.frame.attrs.get("variable_names", {})
    meta, columns, seq = [], [], None
    seq_names = {canon(a) for a in META_ALIASES["seq"]}
    for name in raw.frame.columns:
        name = str(name)
        if name.startswith("(blank header"):
            meta.append(name)
            continue
        if _is_meta(name):
            meta.append(name)
            if seq is None and canon(name) in seq_names:
                seq = name
            continue
        variable = names.get(name)
        qnum, text, stem, sub = _parse_header(name, variable)
        if qnum is not None and _personal_question(text):
            meta.append(name)
            continue
        labels = None
        if name in raw.value_labels:
            labels = {}
            for code, label in raw.value_labels[name].items():
                n = _as_number(code)
                if n is not None and n.is_integer() and n >= 0:
                    labels[int(n)] = _clean_label(int(n), label)
        values = _answers(raw.frame[name], raw.kind)
        columns.append(Column(name, qnum, text, stem, sub, values, labels, variable))
    groups: list[tuple[int | None, list[Column]]] = []
    by_number: dict[int, list[Column]] = {}
    for col in columns:
        if col.qnum is None:
            groups.append((None, [col]))
        elif col.qnum in by_number:
            by_number[col.qnum].append(col)
        else:
            by_number[col.qnum] = [col]
            groups.append((col.qnum, by_number[col.qnum]))
    if not groups:
        shown = ", ".join(repr(c) for c in meta[:8]) + (" …" if len(meta) > 8 else "")
        raise JianfuError(
            f"{raw.path}: no question columns: every column is a meta column of the export "
            f"({shown or 'none'}); export the survey with its answers (问卷星: 下载答卷数据 → "
            "按文本 or 按序号), or check that this is the right file and sheet (--sheet)"
        )
    return Layout(raw, meta, groups, seq)


def _clean_label(code: int, label) -> str:
    """An SPSS value label without a repeated code prefix (``1.男`` → ``男``)."""
    text = _clean_text(label)
    stripped = re.sub(rf"^\s*{code}\s*[.、．:：)）]\s*", "", text)
    return stripped or text or str(code)


# ---- questions -----------------------------------------------------------------------------


@dataclass
class Option:
    code: int
    zh: str
    en: str
    other_text: bool = False


@dataclass
class Options:
    """The options of a choice question, with how they were found."""

    values: list[Option]
    kind: str  # ordinal | nominal
    family: Family | None = None
    note: str | None = None  # a TODO about order / wording
    placeholder: bool = False  # labels unknown (codes only)

    def key(self) -> tuple:
        return (self.kind, tuple((o.code, o.zh, o.en, o.other_text) for o in self.values))


@dataclass
class DraftQuestion:
    export_qnum: int | None
    type: str  # single | multi | number | text | matrix
    text: str
    columns: list[str]
    text_todo: str | None = None  # why the wording is a placeholder
    rows: list[str] = field(default_factory=list)
    options: Options | None = None
    observed: tuple[float, float] | None = None  # number items: smallest and largest answer
    note: str | None = None
    qnum: int = 0
    scale: str | None = None
    attention: dict[int, tuple[int, str]] = field(default_factory=dict)  # row (0: item) -> code


def _placeholder_options(codes: list[int], kind: str, note: str) -> Options:
    k = max(codes)
    values = [Option(c, f"选项{c}（TODO：选项文字）", f"TODO: option {c}") for c in range(1, k + 1)]
    return Options(values, kind, None, note, placeholder=True)


def _options_from_labels(
    by_code: dict[int, str], kind_hint: str | None, note: str | None, *, positional: bool = False
) -> Options:
    """Options from code → label (SPSS value labels, or 按序号 codes paired with 按文本 labels);
    codes between the lowest and the highest without a label become placeholders. Positional
    codes (问卷星 按序号: the k-th option) always run 1..k, so that position k stays option k."""
    codes = sorted(by_code)
    lo, hi = (1 if positional else codes[0]), codes[-1]
    consecutive = positional or (hi - lo + 1 <= 2 * len(codes) and hi - lo < MAX_OPTIONS)
    span = list(range(lo, hi + 1)) if consecutive else codes
    labels = [by_code.get(c) for c in span]
    fam = _family_in_order([lab for lab in labels if lab]) if None not in labels else None
    values, seen = [], Counter()
    for c, lab in zip(span, labels, strict=True):
        if lab is None:
            values.append(
                Option(c, f"选项{c}（TODO：导出中无人选择，补上选项文字）", f"TODO: option {c}")
            )
            continue
        seen[lab] += 1
        zh = lab if seen[lab] == 1 else f"{lab}（{c}）"
        en = fam.labels_en[c - lo] if fam else (zh if zh.isascii() else f"TODO: English for {zh}")
        values.append(Option(c, zh, en))
    if fam is not None or kind_hint == "ordinal":
        kind = "ordinal" if consecutive else "nominal"
    else:
        kind = "nominal"
    if None in labels:
        note = (
            (note + "; ") if note else ""
        ) + "some codes were chosen by no one: fill in their labels"
    return Options(values, kind, fam, note)


def _options_from_texts(texts: list[str], multi: bool) -> Options:
    """Options from 按文本 answers alone: a known family in its order, else first-seen order."""
    words: list[str] = []
    other = None
    for value in texts:
        parts = re.split(r"┋|\|", str(value)) if multi else [str(value)]
        for part in parts:
            part = _clean_text(part)
            if not part:
                continue
            if m := _OTHER.match(part):
                other = other or _clean_text(m.group(1)) or "其他"
                continue
            if part not in words:
                words.append(part)
    fam = None if multi else match_family(words)
    if fam is not None:
        index = fam.index()
        used = {index[canon(w)]: w for w in words}
        values = [
            Option(k + 1, used.get(k, ws[0]), fam.labels_en[k]) for k, ws in enumerate(fam.words)
        ]
        note = None
        if len(used) < len(fam.words):
            note = (
                f"ordered as the known wording family {fam.id}; options no one chose are filled "
                "in from the family: check them against the questionnaire"
            )
        return Options(values, "ordinal", fam, note)
    if other is not None:
        match = next((w for w in words if canon(w).startswith(canon(other))), None)
        if match is None:
            words.append(other)
    values = [
        Option(
            k,
            w,
            w if w.isascii() else f"TODO: English for {w}",
            other is not None and canon(w).startswith(canon(other)),
        )
        for k, w in enumerate(words, start=1)
    ]
    note = "options in first-seen order (no known wording family): put them in questionnaire order"
    return Options(values, "nominal", None, note)


def _kind_guess(k: int, matrix: bool) -> str:
    """Ordinal for a rating matrix or a 4- to 11-point item, nominal otherwise (a guess)."""
    return "ordinal" if matrix or 4 <= k <= 11 else "nominal"


def _number_question(cols: list[Column], kind: str) -> bool:
    values = cols[0].values
    if not values:
        return False
    numbers = [_as_number(v) for v in values]
    share = sum(n is not None for n in numbers) / len(values)
    if share < NUMBER_SHARE:
        return False
    if kind in TEXT_KINDS or cols[0].labels is not None:
        return cols[0].labels is None
    ints = [n for n in numbers if n is not None]
    whole = all(float(n).is_integer() for n in ints)
    hinted = bool(_NUMBER_HINT.search(cols[0].full))
    if kind in ("spss", "stata"):
        return True  # a numeric variable without value labels
    low = 1 if kind in CODE_KINDS else 0
    if share < 1 or not whole or min(ints) < low or max(ints) > MAX_OPTIONS:
        return True
    # small whole numbers from `low` up: option positions / codes, unless the wording asks for
    # a number (年龄, 多少) and the answers do not start near the lowest code
    return hinted and (max(ints) > SMALL_CODES or min(ints) > low + 1)


def _observed(cols: list[Column]) -> tuple[float, float] | None:
    """A drafted valid range: from 0 (or the 1st percentile, if negative) to 1.5 times the 99th
    percentile rounded up to 1, 2 or 5 × 10^k, so that a few typos (9999) fall outside."""
    numbers = np.array([n for n in (_as_number(v) for v in cols[0].values) if n is not None])
    if numbers.size == 0:
        return None
    p01, p99 = np.percentile(numbers, [1, 99])
    low = 0.0 if p01 >= 0 else float(math.floor(p01))
    high = _nice(1.5 * float(p99)) if p99 > 0 else float(math.ceil(numbers.max()))
    return low, max(high, low + 1)


def _nice(x: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `x`."""
    k = 10 ** math.floor(math.log10(x))
    return float(next(m * k for m in (1, 2, 5, 10) if m * k >= x))


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _stem_todo(qnum: int | None, what: str) -> tuple[str, str]:
    n = qnum if qnum is not None else "?"
    return f"TODO：第{n}题题干（导出文件只有各行或各选项的文字）", f"the export has {what}"


def _row_text(col: Column, kind: str) -> str:
    """A matrix row's (or split option's) wording as clean-survey will match it."""
    if kind in ("spss", "stata"):
        return col.full or col.name  # the variable label, as the column is named
    return col.sub or col.full or col.name


def _is_row_header(col: Column) -> bool:
    """``N、(行标题)`` (问卷星), or an SPSS variable named like a matrix row (``Q6_Row1``)."""
    row_variable = col.variable is not None and _ROW_VARIABLE.search(col.variable)
    return bool(_PAREN.match(col.full)) or bool(row_variable)


def _english(text: str) -> str:
    return text if text.isascii() else f"TODO: English for {text}"


def _split_options(texts: list[str], other: bool = False) -> Options:
    return Options(
        [
            Option(k, t, _english(t), other and canon(t).startswith("其他"))
            for k, t in enumerate(texts, start=1)
        ],
        "nominal",
    )


def _question_single_file(qnum: int | None, cols: list[Column], kind: str) -> DraftQuestion:
    """A question from one export (按文本, 按序号, SPSS/Stata or a plain table)."""
    names = [c.name for c in cols]
    if len(cols) > 1 or _is_row_header(cols[0]):
        return _grid_question(qnum, cols, kind)
    col = cols[0]
    text = col.full or col.name
    q = DraftQuestion(qnum, "text", text, names)
    if not col.full:
        q.text_todo = "the export gives only the column name"
    if not col.values and col.labels is None:
        q.note = "no answers in the export: type unknown, drafted as text"
        return q
    if kind in TEXT_KINDS and any("┋" in str(v) for v in col.values):
        q.type, q.options = "multi", _options_from_texts(col.values, multi=True)
        return q
    if col.labels:
        q.type = "single"
        q.options = _options_from_labels(col.labels, _kind_guess(len(col.labels), False), None)
        return q
    if _number_question(cols, kind):
        q.type, q.observed = "number", _observed(cols)
        return q
    ints = _integers(col.values)
    if ints is not None and kind not in TEXT_KINDS:
        codes = sorted(set(ints))
        q.type = "single"
        q.options = _placeholder_options(
            codes,
            _kind_guess(max(codes), False),
            "codes only: fill in the option labels (and check kind: ordinal or nominal)",
        )
        if min(codes) == 0:  # a plain table coded from 0
            q.options.values.insert(0, Option(0, "选项0（TODO：选项文字）", "TODO: option 0"))
        return q
    if kind in TEXT_KINDS and _looks_categorical(col.values):
        q.type, q.options = "single", _options_from_texts(col.values, multi=False)
    return q


def _grid_question(qnum: int | None, cols: list[Column], kind: str) -> DraftQuestion:
    """Several columns of one question: matrix rows, or a multi-choice split into 0/1 columns."""
    rows = [_row_text(c, kind) for c in cols]
    all_values = [v for c in cols for v in c.values]
    flags = _integers(all_values)
    labelled = [c.labels for c in cols if c.labels]
    split = (
        kind not in TEXT_KINDS
        and flags is not None
        and set(flags) <= {0, 1}
        and not any(len(lab) > 2 for lab in labelled)
    )
    stem = next((c.stem for c in cols if c.stem), "")
    q = DraftQuestion(qnum, "multi" if split else "matrix", stem, [c.name for c in cols])
    if not stem:
        q.text, q.text_todo = _stem_todo(qnum, "only the row / option texts")
    if split:
        q.options = _split_options([c.sub or c.full or c.name for c in cols])
        return q
    q.rows = rows
    if labelled:
        merged: dict[int, str] = {}
        for lab in labelled:
            for c, t in lab.items():
                merged.setdefault(c, t)
        q.options = _options_from_labels(merged, "ordinal", None)
    elif kind in TEXT_KINDS:
        q.options = _options_from_texts(all_values, multi=False)
        if q.options.family is None:
            q.options.kind = "ordinal"
            q.options.note = (
                "matrix options in first-seen order (no known wording family): put them in "
                "questionnaire order, lowest first"
            )
    else:
        codes = [c for c in (flags or []) if c >= 1] or [1]
        q.options = _placeholder_options(
            codes, "ordinal", "codes only (按序号 / codes): fill in the option labels"
        )
    return q


def _looks_categorical(values: list) -> bool:
    words = [_clean_text(v) for v in values]
    distinct = set(words)
    if match_family(list(distinct)) is not None:
        return True
    return (
        len(distinct) <= 30
        and len(values) >= 2 * len(distinct)
        and max(len(w) for w in distinct) <= 40
    )


# ---- 按文本 + 按序号 together ------------------------------------------------------------------


def _pair_rows(text: Layout, code: Layout) -> list[tuple[int, int]]:
    """Row positions of the same response in both files, paired by 序号 (else by order)."""
    tf, cf = text.raw.frame, code.raw.frame
    if text.seq and code.seq:

        def index(frame: pd.DataFrame, col: str) -> dict[int, int]:
            out = {}
            for i, v in enumerate(frame[col].tolist()):
                n = _as_number(v)
                if n is not None and n.is_integer():
                    out.setdefault(int(n), i)
            return out

        ti, ci = index(tf, text.seq), index(cf, code.seq)
        pairs = [(ti[s], ci[s]) for s in sorted(ti) if s in ci]
        if not pairs:
            raise JianfuError(
                f"{text.raw.path} and {code.raw.path}: no 序号 in common: they are not downloads "
                "of the same answers; download 按文本 and 按序号 of the same survey again"
            )
        return pairs
    if len(tf) != len(cf):
        raise JianfuError(
            f"{text.raw.path} and {code.raw.path}: no 序号 column to pair the rows and different "
            f"row counts ({len(tf)} and {len(cf)}); give files with their 序号 column"
        )
    return [(i, i) for i in range(len(tf))]


def _check_same_questions(text: Layout, code: Layout) -> None:
    def outline(lay: Layout) -> dict:
        return {q: cols for q, cols in lay.groups}

    t, c = outline(text), outline(code)
    problems = []
    for q in sorted(set(t) | set(c), key=lambda x: (x is None, x or 0)):
        if q is None:
            continue
        if q not in c:
            problems.append(f"question {q} ({t[q][0].name!r}) is only in the 按文本 file")
        elif q not in t:
            problems.append(f"question {q} ({c[q][0].name!r}) is only in the 按序号 file")
        elif len(t[q]) > 1 and [x.name for x in t[q]] != [x.name for x in c[q]]:
            problems.append(f"question {q}: the matrix rows differ between the files")
        elif len(t[q]) == 1 and len(c[q]) == 1 and canon(t[q][0].name) != canon(c[q][0].name):
            problems.append(
                f"question {q} is {t[q][0].name!r} in one file and {c[q][0].name!r} in the other"
            )
        elif len(t[q]) > 1 and len(c[q]) == 1:
            problems.append(f"question {q} has several columns only in the 按文本 file")
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:10])
        more = f"\n  … ({len(problems)} in all)" if len(problems) > 10 else ""
        raise JianfuError(
            f"{text.raw.path} and {code.raw.path}: the 按文本 and 按序号 files are not the same "
            f"questionnaire:\n{shown}{more}\nGive the two downloads (按文本 and 按序号) of one "
            "survey, or draft from one file only"
        )


def _question_pair(
    qnum: int | None,
    tcols: list[Column],
    ccols: list[Column],
    text: Layout,
    code: Layout,
    pairs: list[tuple[int, int]],
) -> DraftQuestion:
    """A question from the 按文本 columns `tcols` and the 按序号 columns `ccols`."""
    if len(ccols) > 1 and len(tcols) == 1:  # multi-choice: ┋-joined text, split 0/1 codes
        tcol = tcols[0]
        q = DraftQuestion(qnum, "multi", tcol.full or tcol.name, [tcol.name])
        if not tcol.full:
            q.text_todo = "the export gives only the column name"
        other = any(_OTHER.match(p.strip()) for v in tcol.values for p in str(v).split("┋"))
        q.options = _split_options([c.sub or c.full or c.name for c in ccols], other)
        return q
    ints = _integers([v for c in ccols for v in c.values])
    numbers = [_as_number(v) for c in tcols for v in c.values]
    mostly_numbers = bool(numbers) and sum(n is not None for n in numbers) >= NUMBER_SHARE * len(
        numbers
    )
    grid = len(ccols) > 1 or _is_row_header(tcols[0])
    if not grid and (ints is None or mostly_numbers or not ccols[0].values):
        q = _question_single_file(qnum, tcols, text.raw.kind)
        if q.type == "single" and ints is None:
            q.type, q.options = "text", None  # free text (按序号 keeps it as text)
        if mostly_numbers:
            q.type, q.options, q.observed = "number", None, _observed(tcols)
        return q
    merged: dict[int, Counter] = {}
    for tc, cc in zip(tcols, ccols, strict=False):
        for c, counts in _paired_labels(tc.name, cc.name, text, code, pairs).items():
            merged.setdefault(c, Counter()).update(counts)
    if not merged:  # no paired answers: the codes alone
        q = _question_single_file(qnum, ccols, code.raw.kind)
        q.columns = [c.name for c in tcols]
        return q
    labels = {
        c: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        for c, counts in merged.items()
    }
    note = None
    if any(len(counts) > 1 for counts in merged.values()):
        note = "a code was written with several wordings in the 按文本 file: check the labels"
    q = _question_single_file(qnum, tcols, text.raw.kind) if grid else None
    if q is None:
        tcol = tcols[0]
        q = DraftQuestion(qnum, "single", tcol.full or tcol.name, [tcol.name])
        if not tcol.full:
            q.text_todo = "the export gives only the column name"
    q.options = _options_from_labels(labels, "ordinal" if grid else None, note, positional=True)
    return q


def _paired_labels(
    tcol: str, ccol: str, text: Layout, code: Layout, pairs: list[tuple[int, int]]
) -> dict[int, Counter]:
    """Code → counts of the 按文本 labels it was written as."""
    tvals, cvals = text.raw.frame[tcol].tolist(), code.raw.frame[ccol].tolist()
    by_code: dict[int, Counter] = {}
    for ti, ci in pairs:
        c, t = _as_number(cvals[ci]), tvals[ti]
        if c is None or not c.is_integer() or c < 1:
            continue
        if t is None or (isinstance(t, float) and math.isnan(t)) or canon(t) in _NO_ANSWER:
            continue
        by_code.setdefault(int(c), Counter())[_clean_text(t)] += 1
    return by_code


# ---- attention checks ----------------------------------------------------------------------

_ZH_INSTRUCTION = re.compile(
    r"请\s*(?:您\s*)?(?:务必\s*)?(?:直接\s*)?(?:一定\s*)?(?:选择|选中|勾选|点选|点击|选)\s*"
)
_EN_INSTRUCTION = re.compile(
    r"\b(?:select|choose|pick|mark|tick|click|check|answer)\s+(?:the\s+)?"
    r"(?:(?:option|answer|response|box)\s+)?",
    re.I,
)
_ZH_POSITION = re.compile(
    r"^第\s*([一二三四五六七八九十]+|\d+)\s*(?:个)?\s*(?:选项|项|个答案|答案|个)"
)
_EN_POSITION = re.compile(
    r"^(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|\d+(?:st|nd|rd|th)?)\s+"
    r"(?:option|answer|choice|response)|^(?:option|answer|choice)\s+(\d+)\b",
    re.I,
)
_ZH_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
}
#: What may follow the answer asked for in an unquoted instruction (``…选择非常满意即可``).
_AFTER = re.compile(
    r"^(?:$|[\s,，。.;；!！)）]|即可|这一项|这个选项|此项|该项|选项|一项|for\b|on\b|in\b|to\b|as\b|here\b)",
    re.I,
)


def _position(word: str) -> int | None:
    word = word.lower()
    if word.isdigit():
        return int(word)
    if word in _ZH_DIGITS:
        return _ZH_DIGITS[word]
    if word == "十一":
        return 11
    if m := re.match(r"^(\d+)(?:st|nd|rd|th)$", word):
        return int(m.group(1))
    return _EN_ORDINALS.get(word)


def _resolve(answer: str, options: Options) -> tuple[int, str] | None:
    """The code of the option `answer` names, and how it was found."""
    key = canon(answer)
    if not key:
        return None
    for o in options.values:
        if not options.placeholder and key in (canon(o.zh), canon(o.en)):
            return o.code, f"the option {o.zh!r}"
    fam = options.family
    k_options = len(options.values)
    candidates = [fam] if fam else [f for f in FAMILIES if len(f.words) == k_options]
    found = {}
    for f in candidates:
        k = f.index().get(key)
        if k is not None and len(f.words) == k_options:
            found.setdefault(k, f)
    if len(found) != 1:  # unknown, or families of this size disagree on its position
        return None
    ((k, f),) = found.items()
    how = f"{answer!r} is option {k + 1} of the {f.zh} ({f.id})"
    if options.placeholder:
        how += "; assumes the options run in that order"
    return options.values[k].code, how


def attention_answer(text: str, options: Options) -> tuple[int, str] | None:
    """The expected code of an instructed-response item (``此题请选择“同意”``), or None."""
    plain = unicodedata.normalize("NFKC", text)
    for pattern in (_ZH_INSTRUCTION, _EN_INSTRUCTION):
        for m in pattern.finditer(plain):
            rest = plain[m.end() :].strip()
            pos = _ZH_POSITION.match(rest) or _EN_POSITION.match(rest)
            if pos:
                k = _position(next(g for g in pos.groups() if g))
                if k is not None and 1 <= k <= len(options.values):
                    return options.values[k - 1].code, f"option {k} by position"
                continue
            if rest[:1] in _QUOTES:
                end = next((i for i, ch in enumerate(rest[1:], 1) if ch in _QUOTES), None)
                if end is not None and (hit := _resolve(rest[1:end], options)):
                    return hit
                continue
            for n in range(min(len(rest), 40), 0, -1):
                if _AFTER.match(rest[n:]) and (hit := _resolve(rest[:n], options)):
                    return hit
    return None


# ---- the draft -----------------------------------------------------------------------------


@dataclass
class Draft:
    """Everything the YAML is written from."""

    codebook_id: str
    title: str | None
    sources: list[str]
    command: str
    meta: list[str]
    questions: list[DraftQuestion]
    scales: dict[str, Options]
    scale_names: dict[str, tuple[str, str]]
    constructs: list[tuple[str, str, list[str]]]  # (id, what it groups, item ids)
    renumbered: list[str] = field(default_factory=list)


def _roles(raws: list[RawSurvey]) -> tuple[RawSurvey, RawSurvey | None]:
    """The file to draft from, and a 按序号 partner for a 按文本 file."""
    if len(raws) == 1:
        return raws[0], None
    kinds = [r.kind for r in raws]
    text = [r for r in raws if r.kind in TEXT_KINDS]
    code = [r for r in raws if r.kind in CODE_KINDS]
    if len(raws) == 2 and len(text) == 1 and len(code) == 1:
        return text[0], code[0]
    listed = ", ".join(f"{r.path.name} ({r.kind})" for r in raws)
    raise JianfuError(
        f"cannot draft from {listed}: give one export, or the 按文本 and the 按序号 download "
        f"of the same survey (one each; got kinds {kinds}). Several batches of one survey have "
        "the same questions: draft from one of them"
    )


def _questions(raws: list[RawSurvey]) -> tuple[list[DraftQuestion], list[str]]:
    main, partner = _roles(raws)
    lay = layout(main)
    meta = list(lay.meta)
    if partner is None:
        out = [_question_single_file(q, cols, main.kind) for q, cols in lay.groups]
        return out, meta
    code = layout(partner)
    _check_same_questions(lay, code)
    pairs = _pair_rows(lay, code)
    code_groups = {q: cols for q, cols in code.groups if q is not None}
    out = []
    for q, cols in lay.groups:
        if q is None or q not in code_groups:
            out.append(_question_single_file(q, cols, main.kind))
        else:
            out.append(_question_pair(q, cols, code_groups[q], lay, code, pairs))
    meta += [m for m in code.meta if m not in meta]
    return out, meta


def _numbering(questions: list[DraftQuestion], meta_numbers: set[int]) -> tuple[list, list[str]]:
    """Codebook question numbers 1..N. The export's numbers are kept (so that clean-survey maps
    a header by its number), gaps filled with placeholder questions, except gaps left by
    personal data asked as a question (those close up; the header texts still map). Exports
    numbered otherwise (more gaps than questions) are numbered 1..N in column order."""
    numbered = sorted(
        (q for q in questions if q.export_qnum is not None), key=lambda q: q.export_qnum
    )
    out: list[DraftQuestion] = []
    prev = 0
    for q in numbered:
        for g in range(prev + 1, q.export_qnum):
            if g in meta_numbers:
                continue
            ph = DraftQuestion(g, "text", f"TODO：第{g}题不在导出文件中", [])
            ph.text_todo = "placeholder"
            ph.note = (
                f"placeholder: the export has no column for question {g} (a description, a page "
                "break, or a dropped column?); keep it so that the numbers match the export's, or "
                "delete it and renumber"
            )
            out.append(ph)
        out.append(q)
        prev = q.export_qnum
    gaps = len(out) - len(numbered)
    if gaps > len(numbered):
        out = list(questions)  # not 问卷星-style numbering: close up, in column order
    else:
        out += [q for q in questions if q.export_qnum is None]
    notes = []
    for n, q in enumerate(out, start=1):
        q.qnum = n
        if q.export_qnum is not None and q.export_qnum != n and q.text_todo != "placeholder":
            notes.append(f"question {q.export_qnum} of the export is question {n} here")
    return out, notes


def _meta_numbers(raws: list[RawSurvey]) -> set[int]:
    out = set()
    for raw in raws:
        names = raw.frame.attrs.get("variable_names", {})
        for name in raw.frame.columns:
            qnum, text, _, _ = _parse_header(str(name), names.get(str(name)))
            if qnum is not None and _personal_question(text):
                out.add(qnum)
    return out


def _find_attention(questions: list[DraftQuestion]) -> None:
    for q in questions:
        if q.options is None:
            continue
        if q.type == "matrix":
            for r, row in enumerate(q.rows, start=1):
                if hit := attention_answer(row, q.options):
                    q.attention[r] = hit
        elif q.type == "single" and (hit := attention_answer(q.text, q.options)):
            q.attention[0] = hit


def _share_scales(
    questions: list[DraftQuestion],
) -> tuple[dict[str, Options], dict[str, tuple[str, str]]]:
    scales: dict[str, Options] = {}
    names: dict[str, tuple[str, str]] = {}
    by_key: dict[tuple, str] = {}
    for q in questions:
        if q.options is None:
            continue
        key = q.options.key()
        if key in by_key:
            q.scale = by_key[key]
            continue
        o = q.options
        k = len(o.values)
        if o.family is not None:
            base, zh, en = o.family.id, o.family.zh, o.family.en
        elif o.placeholder:
            base = f"codes{k}" if o.kind == "ordinal" else f"codes{k}_nominal"
            zh, en = f"{k}个选项（TODO：选项文字）", f"{k} options (TODO: option wording)"
        else:
            base = f"q{q.qnum}_options"
            zh, en = f"第{q.qnum}题的选项", f"Options of question {q.qnum}"
        sid, n = base, 2
        while sid in scales:
            sid, n = f"{base}_{n}", n + 1
        scales[sid] = o
        names[sid] = (zh, en)
        by_key[key] = sid
        q.scale = sid
    return scales, names


def _item_ids(q: DraftQuestion) -> list[str]:
    if q.type == "matrix":
        return [f"q{q.qnum}_{r}" for r in range(1, len(q.rows) + 1)]
    return [f"q{q.qnum}"]


def _provisional_constructs(
    questions: list[DraftQuestion], scales: dict[str, Options]
) -> list[tuple[str, str, list[str]]]:
    """Each rating matrix, and each run of stand-alone rating items on one ordinal scale,
    as one provisional construct (the loader needs at least one)."""
    out = []
    run: list[str] = []
    run_scale, run_first, run_last = None, 0, 0

    def close() -> None:
        if len(run) >= MIN_CONSTRUCT_ITEMS:
            what = f"questions {run_first}-{run_last} (stand-alone items on scale {run_scale})"
            out.append((f"C{run_first}_{run_last}", what, list(run)))

    for q in questions:
        ordinal = q.scale is not None and scales[q.scale].kind == "ordinal"
        rating = ordinal and (
            scales[q.scale].family is not None or len(scales[q.scale].values) >= 5
        )
        if q.type == "single" and rating:
            if 0 in q.attention:
                continue  # attention checks neither count nor break a run
            if q.scale != run_scale:
                close()
                run, run_scale, run_first = [], q.scale, q.qnum
            run.append(f"q{q.qnum}")
            run_last = q.qnum
            continue
        close()
        run, run_scale = [], None
        if q.type == "matrix" and ordinal:
            ids = [i for r, i in enumerate(_item_ids(q), start=1) if r not in q.attention]
            if len(ids) >= MIN_CONSTRUCT_ITEMS:
                out.append((f"C{q.qnum}", f"the rows of question {q.qnum}", ids))
    close()
    return out


def build_draft(raws: list[RawSurvey], *, codebook_id: str, command: str) -> Draft:
    """The draft of a codebook from one export, or a 按文本 and a 按序号 export together."""
    if not raws:
        raise JianfuError("no export given: name the questionnaire export(s) to draft from")
    questions, meta = _questions(raws)
    questions, notes = _numbering(questions, _meta_numbers(raws))
    _find_attention(questions)
    for q in questions:  # an attention check's answer can fill in a placeholder scale's kind
        if q.attention and q.options is not None and q.options.placeholder:
            q.options.kind = "ordinal" if len(q.options.values) >= 3 else q.options.kind
    scales, names = _share_scales(questions)
    constructs = _provisional_constructs(questions, scales)
    title = None
    for raw in raws:
        if m := _WJX_FILE.match(raw.path.stem):
            title = m.group(1)
            break
    sources = [f"{r.path.name} ({r.kind}, {len(r.frame)} rows)" for r in raws]
    return Draft(
        codebook_id, title, sources, command, meta, questions, scales, names, constructs, notes
    )


# ---- YAML ----------------------------------------------------------------------------------


def _scalar(value) -> str:
    """A YAML scalar: plain when that reads back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value)
    plain_ok = (
        text
        and text == text.strip()
        and "\n" not in text
        and not re.search(r":\s|\s#|^[-?:,\[\]{}#&*!|>'\"%@`]|[\[\]{},]", text)
    )
    if plain_ok:
        try:
            if yaml.safe_load(text) == text:
                return text
        except yaml.YAMLError:
            pass
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    escaped = escaped.replace("\t", "\\t")
    return f'"{escaped}"'


def _labels(zh: str, en: str) -> str:
    return f"zh: {_scalar(zh)}, en: {_scalar(en)}"


def _en(text: str) -> str:
    return text if text.isascii() and text.strip() else EN_TODO


_INTRO = """\
# DRAFT codebook written by `jianfu draft-codebook` from the export(s) below. It is NOT
# ready for analysis: each 'TODO' marks something an export cannot tell. Fill them in,
# then run `jianfu check-codebook` on this file (docs/draft_codebook.md walks through it).
#"""

_TODO_LIST = """\
#
# Fill in next (search for TODO):
#   1. constructs: which items measure what. The draft groups each rating matrix (and each
#      run of stand-alone rating items on one scale) into a PROVISIONAL construct C<n>,
#      only because the schema needs one; replace them with your constructs (id, zh, en,
#      role, pillar), 3 or more scored items each, and set `construct:` on the items.
#   2. reverse keys: `reverse: true` on reverse-worded items (all are drafted false).
#   3. wording: matrix stems the export lacks, 'TODO: English …' labels, short item labels.
#   4. scales: option labels marked TODO, option order where noted, kind (ordinal/nominal).
#   5. number items: valid_range (drafted from the answers) and type_unit.
#   6. blocks and pillars: the questionnaire's parts (all questions are in block A here).
#   7. attention checks: confirm each one found (listed below) and its expected code.
#   8. logic_conflicts (optional): answers that cannot both be true (example at the end).
# Then: jianfu check-codebook THIS.yaml
#       jianfu clean-survey EXPORT --codebook THIS.yaml --out DIR
# Schema: the header comment of codebook/cadre_survey.yaml.
#
# Recognised meta columns (not items: the schema has no section for them, and the cleaning
# step reads 问卷星 / 腾讯问卷 meta and personal-data columns by their names):"""

_SECTIONS = """\
  intro: {zh: TODO：卷首语（问卷说明）, en: 'TODO: introduction shown to respondents'}
  closing: {zh: TODO：结束语, en: 'TODO: closing words'}

# TODO pillars: the study's pillars (dimensions), if constructs are grouped into any.
pillars: []

# TODO blocks: the questionnaire's parts (id, zh, en); then set `block:` on each question.
blocks:
  - id: A
    zh: TODO：全部题目（按问卷的部分分块）
    en: 'TODO: all questions (split into the questionnaire parts)'

# TODO constructs: the PROVISIONAL constructs below only group each rating matrix (or run
# of rating items); replace them with what your items measure: id, zh, en, role (measure |
# burden | state | outcome | moderator), pillar (an id of pillars, or null), optional
# facets; 3 or more scored items each; set `construct:` (and `reverse:`) on the items.
constructs:"""

_LOGIC_EXAMPLE = """\
# TODO logic_conflicts (optional): answers that cannot both be true, flagged by the
# cleaning rule logic_conflict; items are single (codes of their scale) or number items:
# logic_conflicts:
#   - name: young_long_tenure
#     zh: 30岁及以下却在基层工作10年以上
#     en: Aged 30 or younger with more than 10 years at the grassroots level
#     when: {q2: [1]}
#     conflicts_with: {q6: [4]}"""


def render(d: Draft) -> str:
    """The draft codebook as YAML text (comments included), deterministic."""
    lines: list[str] = []
    add = lines.append
    add(_INTRO)
    add(f"# Command: {d.command}")
    for s in d.sources:
        add(f"# Export:  {s}")
    add(_TODO_LIST)
    for line in _wrap(", ".join(d.meta) if d.meta else "none"):
        add(f"#   {line}")
    add("#")
    n_checks = sum(len(q.attention) for q in d.questions)
    add(f"# Attention checks recognised from their wording: {n_checks}")
    for q in d.questions:
        for r, (code, how) in sorted(q.attention.items()):
            iid = f"q{q.qnum}_{r}" if r else f"q{q.qnum}"
            add(f"#   {iid}: expected code {code} ({how})")
    for note in d.renumbered:
        add(f"# Numbering: {note}")
    add("")
    add("codebook:")
    add(f"  id: {_scalar(d.codebook_id)}")
    add('  version: "0.1.0"')
    title = d.title or "TODO：问卷标题"
    add(f"  title: {{{_labels(title, _en(title) if d.title else 'TODO: questionnaire title')}}}")
    add(_SECTIONS)
    if not d.constructs:
        add("  []  # TODO: no rating matrix found; add a construct of 3 or more ordinal items")
    for cid, what, _ids in d.constructs:
        add(f"  - id: {cid}  # TODO provisional: {what}")
        add(f"    zh: {_scalar('TODO：构念名称（暂定：' + _zh_what(what) + '）')}")
        add(f"    en: {_scalar('TODO: construct name (provisional: ' + what + ')')}")
        add("    pillar: null")
        add("    role: measure")
    add("")
    add("scales:")
    for sid, o in d.scales.items():
        zh, en = d.scale_names[sid]
        add(f"  - id: {sid}")
        if o.note:
            add(f"    # TODO: {o.note}")
        add(
            f"    kind: {o.kind}"
            + ("  # TODO check: ordinal or nominal" if o.family is None else "")
        )
        add(f"    zh: {_scalar(zh)}")
        add(f"    en: {_scalar(en)}")
        add("    values:")
        for v in o.values:
            other = ", other_text: true" if v.other_text else ""
            add(f"      - {{code: {v.code}, {_labels(v.zh, v.en)}{other}}}")
        add("")
    add("questions:")
    for q in d.questions:
        first = f"  - qnum: {q.qnum}"
        if q.export_qnum is not None and q.export_qnum != q.qnum:
            first += f"  # question {q.export_qnum} in the export"
        add(first)
        add("    block: A")
        add(f"    type: {q.type}")
        if q.type == "matrix":
            add(f"    scale: {q.scale}")
        if q.text_todo and q.text_todo != "placeholder":
            add(f"    # TODO wording: {q.text_todo}")
        add(f"    zh: {_scalar(q.text)}")
        add(f"    en: {_scalar(_en(q.text) if not q.text_todo else EN_TODO)}")
    add("")
    add("items:")
    for q in d.questions:
        lines.extend(_items(q, d))
    add("")
    add(_LOGIC_EXAMPLE)
    return "\n".join(lines) + "\n"


def _zh_what(what: str) -> str:
    if m := re.match(r"the rows of question (\d+)", what):
        return f"第{m.group(1)}题各行"
    if m := re.match(r"questions (\d+)-(\d+)", what):
        return f"第{m.group(1)}–{m.group(2)}题"
    return what


def _wrap_words(text: str, width: int = 90) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line]


def _wrap(text: str, width: int = 92) -> list[str]:
    lines, line = [], ""
    for part in text.split(", "):
        piece = part if not line else f"{line}, {part}"
        if len(piece) > width and line:
            lines.append(line + ",")
            line = part
        else:
            line = piece
    return [*lines, line]


def _items(q: DraftQuestion, d: Draft) -> list[str]:
    in_construct = {iid: cid for cid, _, ids in d.constructs for iid in ids}
    out = [f"  # Q{q.qnum} {q.type}"]
    if q.columns:
        name = q.columns[0] if len(q.columns[0]) <= 60 else q.columns[0][:57] + "..."
        more = f" and {len(q.columns) - 1} more" if len(q.columns) > 1 else ""
        out[0] += f": column {name!r}{more}"
    if q.note:
        out += [f"  # {line}" for line in _wrap_words(f"TODO: {q.note}")]
    if q.type == "matrix":
        for r, (iid, row) in enumerate(zip(_item_ids(q), q.rows, strict=True), start=1):
            out.append(f"  - id: {iid}")
            out.append(f"    qnum: {q.qnum}")
            out.append(f"    row: {r}")
            if r in q.attention:
                code, how = q.attention[r]
                out.append(f"    attention_check: {{expected: {code}}}  # recognised: {how}")
            else:
                cid = in_construct.get(iid)
                if cid:
                    out.append(f"    construct: {cid}  # TODO construct: provisional, replace")
                else:
                    out.append("    # TODO construct: which construct does this row measure?")
                out.append("    reverse: false  # TODO reverse: true if reverse-worded")
            out.append("    required: true")
            out.append(f"    zh: {_scalar(row)}")
            out.append(f"    en: {_scalar(_en(row))}")
        return out
    iid = f"q{q.qnum}"
    out.append(f"  - id: {iid}")
    out.append(f"    qnum: {q.qnum}")
    if q.scale is not None and q.type in ("single", "multi"):
        out.append(f"    scale: {q.scale}")
    if 0 in q.attention:
        code, how = q.attention[0]
        out.append(f"    attention_check: {{expected: {code}}}  # recognised: {how}")
    elif iid in in_construct:
        out.append(f"    construct: {in_construct[iid]}  # TODO construct: provisional, replace")
        out.append("    reverse: false  # TODO reverse: true if reverse-worded")
    if q.type == "number":
        low, high = q.observed or (0, 1)
        out.append("    type_unit: {zh: TODO：单位, en: 'TODO: unit'}")
        out.append(
            f"    valid_range: [{_number(low)}, {_number(high)}]  # TODO: plausible bounds "
            "(drafted from the answers: 0 or the 1st percentile, 1.5 × the 99th, rounded)"
        )
    out.append(f"    required: {'false' if q.text_todo == 'placeholder' else 'true'}")
    out.append(f"    zh: {_scalar(q.text)}")
    out.append(f"    en: {_scalar(_en(q.text) if not q.text_todo else EN_TODO)}")
    return out


def draft_codebook(raws: list[RawSurvey], *, codebook_id: str, command: str) -> str:
    """The YAML text of a draft codebook for the questionnaire of `raws` (see the module doc)."""
    return render(build_draft(raws, codebook_id=codebook_id, command=command))
