"""Map the columns of a survey export to the codebook: metadata, items, split multi-choice.

`map_columns` reads the header conventions of the export tools (DOMAIN_FACTS §5):

* 问卷星 ``N、题目`` (single choice, number, text, multi-choice joined with ``┋``), ``N、(行标题)``
  (a matrix row) and ``N、(选项)`` (a multi-choice option split into a 0/1 column, 按序号);
* old 问卷星 ``第N题…``, SPSS-style ``QN`` / ``QN_k`` names, 腾讯问卷 ``N.题目``;
* a header without a number, or with a shifted one, by its text alone.

Texts are compared after normalisation (NFKC, so full-width brackets, colons and digits become
half-width; no whitespace; curly quotes as straight quotes; no trailing ``：？``). Every column
and every codebook slot (an item, or one option of a split multi-choice item) is used at most
once, assigned in tiers of decreasing confidence, and `ColumnMap.how` says which tier decided:

1. question number + header text (equal after normalisation);
2. header text alone, equal, when the number is missing or disagrees (a shifted numbering);
3. question number + similar text (`difflib` ratio ≥ `NUMBER_TEXT_MIN`);
4. header text alone, similar (ratio ≥ `TEXT_ONLY_MIN`);
5. question number + row order, for matrix rows (or split options) whose texts differ when the
   file has as many such columns for the question as the codebook has rows;
6. question number alone, for a question with one item, or ``QN_k`` for row / option k.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

from jianfu.codebook.model import Codebook, Item
from jianfu.core.errors import JianfuError
from jianfu.ingest.types import META_FIELDS, ColumnMap, RawSurvey

#: Header names of the metadata columns (问卷星, 腾讯问卷, common personal-data questions), per
#: canonical field; when several columns match a field, the earlier alias wins.
META_ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "原始记录编号", "答卷编号"),
    "submitted_at": ("提交答卷时间", "结束答题时间", "提交时间", "答题结束时间"),
    "started_at": ("开始答题时间", "开始时间", "答题开始时间"),
    "duration": ("所用时间", "答题时长", "答题用时", "填写用时"),
    "source": ("来源", "来源渠道"),
    "source_detail": ("来源详情",),
    "ip": ("来自IP", "IP", "IP地址", "填写者IP"),
    "name": ("姓名", "您的姓名"),
    "phone": ("手机号", "手机", "联系电话", "手机号码", "您的手机号", "电话"),
    "id_number": ("身份证号", "身份证号码", "身份证"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "Email", "E-mail"),
}
#: Least `difflib` similarity accepted when the question number agrees (tier 3) or not (tier 4).
NUMBER_TEXT_MIN = 0.6
TEXT_ONLY_MIN = 0.85

_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "‘": "'", "’": "'"})
_DUP_SUFFIX = re.compile(r" \[\d+\]$")
_NUMBERED = re.compile(r"^(\d+)[、.:](?!\d)(.*)$")
_OLD_STYLE = re.compile(r"^第(\d+)题[、.:]?(.*)$")
_SPSS_NAME = re.compile(r"^[Qq](\d+)(?:[_.](\d+))?(?![\d])[、.:]?(.*)$")
_PAREN = re.compile(r"^\((.*)\)$")


def normalise(text: str) -> str:
    """A header or label reduced for comparison: NFKC, no whitespace, straight quotes,
    no trailing colon / question mark / full stop, case-folded."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    return re.sub(r"\s+", "", text).rstrip(":?。.").casefold()


@dataclass(frozen=True)
class _Header:
    """What a column header says: a question number, the text, the form."""

    column: str
    qnum: int | None
    texts: tuple[str, ...]  # normalised texts to compare (the full rest, its tail after "—")
    paren: bool  # ``N、(…)``: a matrix row or an option
    sub: int | None = None  # ``Q3_2``: the 2
    spss_name: str | None = None


@dataclass(frozen=True)
class _Slot:
    """Something a column can be: an item, or one option of a split multi-choice item."""

    item: Item
    texts: tuple[str, ...]
    paren: bool
    code: int | None = None  # option code (split multi-choice)
    position: int | None = None  # matrix row / option position, for ``QN_k``


def map_columns(raw: RawSurvey, cb: Codebook, *, required: set[str] | None = None) -> ColumnMap:
    """Map the columns of a survey export to metadata fields and codebook items.

    Parameters
    ----------
    raw : the export as read by `read_survey`.
    cb : the codebook.
    required : item ids that must have a column, in addition to those the codebook marks
        ``required``.

    Returns
    -------
    ColumnMap
        Metadata and item columns, split multi-choice columns, unmapped columns (`extra`),
        items without a column (`missing`) and how each column was mapped (`how`);
        `positional` is True for a 问卷星 按序号 export.

    Raises
    ------
    JianfuError
        No column maps to any item (the wrong file or codebook); a required item has no
        column (named with its id, question number and text); `required` names an unknown item.
    """
    known = {it.id for it in cb.items}
    unknown = sorted((required or set()) - known)
    if unknown:
        raise JianfuError(
            f"{raw.path}: required item(s) {unknown} are not in codebook {cb.id!r}; use item ids "
            "from the codebook (e.g. 'gender', 'PV1')"
        )
    out = ColumnMap(positional=raw.kind == "wjx_code")
    names = raw.frame.attrs.get("variable_names", {})
    columns = [str(c) for c in raw.frame.columns]
    rest = _map_meta(columns, out)
    headers = [_parse(c, names.get(c)) for c in rest]
    slots = _slots(cb)
    assigned = _assign(headers, slots)
    for h in headers:
        if h.column not in assigned:
            continue
        slot, how = assigned[h.column]
        if slot.code is None:
            out.items.setdefault(slot.item.id, h.column)
        else:
            out.multi_split.setdefault(slot.item.id, {})[slot.code] = h.column
        out.how[h.column] = how
    _map_numbered_meta([h for h in headers if h.column not in assigned], out)
    out.extra = [c for c in columns if c not in out.how]
    mapped = set(out.items) | set(out.multi_split)
    out.missing = [it.id for it in cb.items if it.id not in mapped]
    if not mapped:
        shown = ", ".join(repr(c) for c in columns[:8]) + (" …" if len(columns) > 8 else "")
        raise JianfuError(
            f"{raw.path}: no column maps to an item of codebook {cb.id!r} (looked for question "
            f"headers '1、题目', '21、(行标题)', '第1题', 'Q1' and the question texts; the columns "
            f"are {shown}); is this the right file, and the right codebook?"
        )
    _check_required(raw, cb, out, required or set())
    return out


# ---- metadata ----------------------------------------------------------------------------------


def _map_meta(columns: list[str], out: ColumnMap) -> list[str]:
    """Map metadata columns by name; return the other columns."""
    by_name = {
        normalise(alias): (field, rank)
        for field, aliases in META_ALIASES.items()
        for rank, alias in enumerate(aliases)
    }
    found: dict[str, tuple[int, str]] = {}
    for col in columns:
        hit = by_name.get(normalise(col))
        if hit and (hit[0] not in found or hit[1] < found[hit[0]][0]):
            found[hit[0]] = (hit[1], col)
    for field in META_FIELDS:
        if field in found:
            col = found[field][1]
            out.meta[field] = col
            out.how[col] = f"meta: {field}"
    matched = {normalise(c) for c in columns if normalise(c) in by_name}
    return [c for c in columns if normalise(c) not in matched]


def _map_numbered_meta(headers: list[_Header], out: ColumnMap) -> None:
    """Personal data asked as a numbered question (``30、您的姓名：``) when no item took it."""
    by_name = {normalise(a): f for f, aliases in META_ALIASES.items() for a in aliases}
    for h in headers:
        field = next((by_name[t] for t in h.texts if t in by_name), None)
        if h.qnum is not None and field and field not in out.meta:
            out.meta[field] = h.column
            out.how[h.column] = f"meta: {field} (asked as question {h.qnum})"


# ---- headers and slots -------------------------------------------------------------------------


def _parse(column: str, variable_name: str | None = None) -> _Header:
    """Read the question number, sub-index and text of a header."""
    text = normalise(_DUP_SUFFIX.sub("", column))
    qnum = sub = None
    for pattern in (_NUMBERED, _OLD_STYLE):
        if m := pattern.match(text):
            qnum, text = int(m.group(1)), m.group(2)
            break
    else:
        if m := _SPSS_NAME.match(text):
            qnum, sub, text = int(m.group(1)), m.group(2) and int(m.group(2)), m.group(3)
    spss = None
    if qnum is None and variable_name and (m := _SPSS_NAME.match(normalise(variable_name))):
        qnum, sub, spss = int(m.group(1)), m.group(2) and int(m.group(2)), variable_name
    paren = _PAREN.match(text)
    inner = paren.group(1) if paren else text
    tail = re.split(r"[—–]+|--", inner)[-1]
    texts = tuple(dict.fromkeys(t for t in (inner, tail) if t))
    return _Header(column, qnum, texts, paren is not None, sub, spss)


def _slots(cb: Codebook) -> list[_Slot]:
    questions = {q.qnum: q for q in cb.questions}
    out: list[_Slot] = []
    for item in cb.items:
        q = questions.get(item.qnum)
        if item.type == "matrix":
            out.append(_Slot(item, (normalise(item.label.zh),), True, position=item.row))
            continue
        texts = tuple(dict.fromkeys(normalise(t) for t in (q.text.zh if q else "", item.label.zh)))
        out.append(_Slot(item, tuple(t for t in texts if t), False))
        if item.type == "multi" and item.scale in cb.scales:
            for k, v in enumerate(cb.scales[item.scale].values, start=1):
                labels = (v.label.zh, *v.variants, v.label.en)
                texts = tuple(dict.fromkeys(normalise(t) for t in labels))
                out.append(_Slot(item, texts, True, code=v.code, position=k))
    return out


def _compatible(h: _Header, s: _Slot) -> bool:
    """A ``N、(…)`` header is a matrix row or an option; other headers can be anything."""
    return s.paren or not h.paren


def _similarity(h: _Header, s: _Slot) -> float:
    best = 0.0
    for a in h.texts:
        for b in s.texts:
            m = SequenceMatcher(None, a, b, autojunk=False)
            if m.real_quick_ratio() > best and m.quick_ratio() > best:
                best = max(best, m.ratio())
    return best


# ---- assignment --------------------------------------------------------------------------------


def _assign(headers: list[_Header], slots: list[_Slot]) -> dict:
    """Column -> (slot, how), tier by tier; each column and slot used once."""
    done: dict[str, tuple[_Slot, str]] = {}
    used: set[int] = set()

    def take(pairs: list[tuple[float, int, int, str]]) -> None:
        for _, hi, si, how in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
            col = headers[hi].column
            if col not in done and si not in used:
                done[col] = (slots[si], how)
                used.add(si)

    def open_pairs():
        for hi, h in enumerate(headers):
            if h.column in done:
                continue
            for si, s in enumerate(slots):
                if si not in used and _compatible(h, s):
                    yield hi, h, si, s

    exact = [(hi, h, si, s) for hi, h, si, s in open_pairs() if set(h.texts) & set(s.texts)]
    both = "question number + header text"
    take([(1.0, hi, si, both) for hi, h, si, s in exact if h.qnum == s.item.qnum])
    shifted = [(hi, h, si, s) for hi, h, si, s in exact if h.qnum != s.item.qnum]
    take([(1.0, hi, si, "header text only" + _number_note(h, s)) for hi, h, si, s in shifted])
    tier3 = []
    for hi, h, si, s in open_pairs():
        if h.qnum == s.item.qnum and (r := _similarity(h, s)) >= NUMBER_TEXT_MIN:
            tier3.append((r, hi, si, f"question number + header text (similarity {r:.2f})"))
    take(tier3)
    tier4 = []
    for hi, h, si, s in open_pairs():
        if h.texts and (r := _similarity(h, s)) >= TEXT_ONLY_MIN:
            how = f"header text only (similarity {r:.2f})" + _number_note(h, s)
            tier4.append((r, hi, si, how))
    take(tier4)
    take(_row_order(headers, slots, done, used))
    take(_number_only(headers, slots, done, used))
    return done


def _number_note(h: _Header, s: _Slot) -> str:
    if h.qnum is None:
        return "; no question number"
    if h.qnum != s.item.qnum:
        return f"; question {h.qnum} in the file, {s.item.qnum} in the codebook"
    return ""


def _row_order(headers, slots, done, used) -> list[tuple[float, int, int, str]]:
    """Matrix rows (or split options) of question N paired in order when the counts agree."""
    pairs = []
    for qnum in sorted({s.item.qnum for s in slots if s.paren}):
        cols = [
            i
            for i, h in enumerate(headers)
            if h.column not in done and h.paren and h.qnum == qnum and h.sub is None
        ]
        free = [i for i, s in enumerate(slots) if i not in used and s.paren and s.item.qnum == qnum]
        if cols and len(cols) == len(free):
            how = "question number + row order (header text differs from the codebook)"
            pairs += [(0.0, hi, si, how) for hi, si in zip(cols, free, strict=True)]
    return pairs


def _number_only(headers, slots, done, used) -> list[tuple[float, int, int, str]]:
    """A question with a single item by its number; ``QN_k`` by row / option position k."""
    pairs = []
    for hi, h in enumerate(headers):
        if h.column in done or h.qnum is None:
            continue
        for si, s in enumerate(slots):
            if si in used or s.item.qnum != h.qnum:
                continue
            name = f" (SPSS-style name {h.spss_name})" if h.spss_name else ""
            if h.sub is not None and s.paren and s.position == h.sub:
                pairs.append((0.0, hi, si, f"question number + position {h.sub} only{name}"))
            elif h.sub is None and not h.paren and not s.paren:
                singles = [x for x in slots if x.item.qnum == h.qnum and not x.paren]
                if len(singles) == 1:
                    how = f"question number only (header text differs){name}"
                    pairs.append((0.0, hi, si, how))
    return pairs


# ---- required items ----------------------------------------------------------------------------


def _check_required(raw: RawSurvey, cb: Codebook, out: ColumnMap, required: set[str]) -> None:
    questions = {q.qnum: q for q in cb.questions}
    absent = [cb.item(i) for i in out.missing if cb.item(i).required or i in required]
    if not absent:
        return
    lines = []
    for it in absent:
        q = questions.get(it.qnum)
        text = q.text.zh if q else it.label.zh
        if it.type == "matrix":
            text = f"{text} — ({it.label.zh})"
        lines.append(f"  - {it.id}: question {it.qnum}、{text}")
    raise JianfuError(
        f"{raw.path}: {len(absent)} required item(s) have no column:\n"
        + "\n".join(lines)
        + "\nCheck that the export holds every question (问卷星: 下载答卷数据 → all questions), "
        "or that the codebook matches this questionnaire."
    )
