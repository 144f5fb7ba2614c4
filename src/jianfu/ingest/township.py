"""Free-text township names → the official 9-digit township code, within the respondent's district.

Method: record linkage blocked on the district (a name is only ever compared with the townships
of the respondent's district), with a rule-based normaliser and a homophone-aware fuzzy score:

1. **Normalise** the typed text: Unicode NFKC (full-width → half-width), variant and traditional
   characters mapped to the simplified forms the official list uses (`VARIANT_CHARS`), notes in
   brackets removed, whitespace and punctuation removed, a leading 重庆市 and a leading district
   or county name dropped (full name, short form such as 渝北 or 石柱, or with another suffix such
   as 石柱县), office suffixes dropped (街道办事处, 办事处, 人民政府, 政府...), then the type
   suffix (街道, 镇, 乡, and 街 as a short form of 街道) and any ethnic designation (土家族乡,
   民族乡...). What remains is the *stem*; the suffix typed, if any, is kept as the *typed type*
   (办事处 implies a 街道, 人民政府 a 镇 or 乡). Several readings of one text are kept side by
   side (with and without the district prefix, with and without the last suffix, the township
   part of "XX镇XX村"), because a township's own name can start with a district name (长寿湖镇)
   or end in a suffix character (新乡镇, 华新街街道).
2. **Exact stage**: a reading whose stem equals the stem of an official township (or of an alias
   from params) in the respondent's district. Two townships with one stem (南坪街道 / 南坪镇) are
   told apart by the typed type, else the name is flagged ``low_confidence``.
3. **Fuzzy stage** (only when nothing matched exactly), against every township of the district:
   ``score = (1 - w)·ratio + w·partial_ratio − h·(homophone substitutions) − s·(type conflict)``,
   computed with rapidfuzz on *homophone keys*: each character of `CONFUSABLE_GROUPS` (characters
   with the same toneless pinyin, which a pinyin IME offers side by side: 家/佳, 坝/霸, 龙/隆...)
   is replaced by its group's first character, so a pinyin-IME slip costs ``h`` points per
   character instead of a whole substitution. The best township is accepted when its score
   reaches ``accept_score``, beats the runner-up by ``margin``, the text does not name another
   district, and no township elsewhere has exactly the typed stem.

Matching never crosses districts: a missing or unknown district gives ``no_district`` (the best
city-wide candidates are listed, no code is set). Every name gets a score and a status; anything
not ``matched`` keeps ``township_code`` empty and lists its top candidates for the report.
Matching is done once per unique (text, district) pair.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from jianfu.core.errors import JianfuError

#: Match methods and statuses (the values of the ``method`` and ``status`` columns).
METHODS = ("exact", "normalised", "alias", "fuzzy", "none")
STATUSES = ("matched", "low_confidence", "unmatched", "no_district")
#: Characters with the same toneless pinyin that Chongqing place names use; a pinyin IME offers
#: each group side by side, so one is often typed for another. Compared as near-equal.
CONFUSABLE_GROUPS = (
    "家佳嘉加", "坝霸", "湾弯塆", "溪西", "河合和禾", "石时十", "山杉珊", "桥乔侨", "龙隆",
    "坪平屏萍", "园元圆源", "塘堂唐", "沱陀驼坨", "凤风峰丰枫锋", "兴星", "安庵", "阳杨羊洋",
    "林临", "清青", "金津锦", "黄皇凰", "白柏百",
)  # fmt: skip
#: Variant and traditional characters → the simplified form the official list uses.
VARIANT_CHARS = str.maketrans(
    "咀垻沲谿巖嵒埡舖舗峯鎮鄉區縣辦處後龍灣橋壩溝廟興豐雲東長陽華園門馬寶鳳雙臺灘關頭莊場嶺峽廠鐵銅觀聖樂車陳劉楊張黃羅龔廣溫湯紅榮龐",
    "嘴坝沱溪岩岩垭铺铺峰镇乡区县办处后龙湾桥坝沟庙兴丰云东长阳华园门马宝凤双台滩关头庄场岭峡厂铁铜观圣乐车陈刘杨张黄罗龚广温汤红荣庞",
)
#: Former names of districts that people still type (开县 became 开州区 in 2016).
FORMER_DISTRICT_NAMES = {"开县": "开州区"}
_TYPE_OF_SUFFIX = {"街道": "street", "街": "street", "镇": "town", "乡": "township"}
_OFFICE_TYPE = {"人民政府": "gov", "政府": "gov", "街道办事处": "street", "办事处": "street",
                "街道办": "street", "街办": "street", "党工委": None, "党委": None,
                "便民服务中心": None}  # fmt: skip
_OFFICE = re.compile("(" + "|".join(sorted(_OFFICE_TYPE, key=len, reverse=True)) + ")$")
_TYPE = re.compile(r"(街道|镇|乡|街)$")
_TYPE_ANYWHERE = re.compile(r"街道|镇|乡")
_ETHNIC = re.compile(r"(?:(?:土家|苗|仡佬|回|蒙古|彝|藏|壮|满|侗|瑶|布依|羌)族)+$|民族$")
_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】|〔.*?〕|<.*?>|《.*?》")
_NOT_WORD = re.compile(r"[\W_]+")
_CITY = re.compile(r"^重庆市?")
_DISTRICT_SUFFIX = re.compile(r"(?:(?:土家|苗)族)*(?:自治县|区|县)$")
_GENERIC_PREFIX = re.compile(r"^(.{1,8}?(?:自治县|区|县))(.+)$")
_VILLAGE = re.compile(r"(?:村|社区|居委会|村委会|居委)$")
_KEY = str.maketrans({ch: group[0] for group in CONFUSABLE_GROUPS for ch in group[1:]})
_OUTPUT = ("township_code", "township_name", "score", "method", "status", "normalised",
           "candidates")  # fmt: skip


@dataclass(frozen=True)
class MatchSettings:
    """What a matching call asks for, read once from the ``ingest.township`` params.

    Attributes
    ----------
    accept_score : a best score at or above this (clear of the runner-up) is ``matched``.
    low_confidence_score : below this the best candidate is not worth proposing (``unmatched``).
    margin : points by which the best township must beat the runner-up (fuzzy stage).
    partial_weight : weight ``w`` of rapidfuzz ``partial_ratio`` against ``ratio``.
    homophone_penalty : points off per character matched only as a pinyin-IME homophone.
    suffix_mismatch_penalty : points off when the typed type (街道/镇/乡) contradicts the
        official one (乡 typed for a township that became a 镇 still matches if the score allows).
    n_candidates : candidates listed for the report.
    aliases : township code → former or alternative names, matched like official names within
        the township's district (method ``alias``).
    """

    accept_score: float
    low_confidence_score: float
    margin: float
    partial_weight: float
    homophone_penalty: float
    suffix_mismatch_penalty: float
    n_candidates: int
    aliases: dict[int, tuple[str, ...]]

    @classmethod
    def from_params(cls, p) -> MatchSettings:
        """Read and check the settings (``p`` is the ``ingest.township`` section)."""
        where = "params.yaml: ingest.township"
        aliases = p["aliases"]
        if not isinstance(aliases, Mapping):
            raise JianfuError(f"{where}.aliases: expected a mapping code -> [names]")
        bad = [k for k in aliases if not str(k).isdigit()]
        if bad:
            raise JianfuError(f"{where}.aliases: {bad} is not a township code (9 digits)")
        out = cls(
            accept_score=float(p["accept_score"]),
            low_confidence_score=float(p["low_confidence_score"]),
            margin=float(p["margin"]),
            partial_weight=float(p["partial_weight"]),
            homophone_penalty=float(p["homophone_penalty"]),
            suffix_mismatch_penalty=float(p["suffix_mismatch_penalty"]),
            n_candidates=int(p["n_candidates"]),
            aliases={int(k): tuple(str(n) for n in _as_list(v)) for k, v in aliases.items()},
        )
        if not 0 <= out.low_confidence_score <= out.accept_score <= 100:
            raise JianfuError(
                f"{where}: need 0 <= low_confidence_score <= accept_score <= 100, got "
                f"{out.low_confidence_score} and {out.accept_score}"
            )
        if not 0 <= out.partial_weight <= 1:
            raise JianfuError(f"{where}.partial_weight: must lie in [0, 1]")
        if min(out.margin, out.homophone_penalty, out.suffix_mismatch_penalty) < 0:
            raise JianfuError(f"{where}: margin and penalties must not be negative")
        if out.n_candidates < 1:
            raise JianfuError(f"{where}.n_candidates: must be at least 1")
        return out


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class _Reading:
    """One reading of a typed text: stem, typed type, and the district a stripped prefix named."""

    stem: str
    typed: str | None
    prefix_district: int | None


def _drop_ethnic(stem: str) -> str:
    """Drop a trailing ethnic designation (土家族, 苗族土家族, 民族...), homophone-tolerant."""
    m = _ETHNIC.search(stem.translate(_KEY))
    return stem[: m.start()] if m and m.start() > 0 else stem


def clean_text(text: str) -> str:
    """NFKC, variant characters, bracketed notes, whitespace and punctuation, leading 重庆市."""
    s = unicodedata.normalize("NFKC", text).translate(VARIANT_CHARS)
    s = _NOT_WORD.sub("", _BRACKETS.sub("", s))
    return _CITY.sub("", s)


def official_stem(name: str) -> tuple[str, str | None]:
    """The stem and type of an official or alias name (`clean_text` applied first)."""
    s = clean_text(name)
    m = _TYPE.search(s)
    typed = _TYPE_OF_SUFFIX[m.group(1)] if m and m.start() > 0 else None
    stem = s[: m.start()] if typed else s
    return _drop_ethnic(stem), typed


def _suffix_readings(s: str) -> list[tuple[str, str | None]]:
    """Stems of `s` with and without its type suffix, after dropping office suffixes."""
    office = None
    for _ in range(2):
        m = _OFFICE.search(s)
        if not m or m.start() == 0:
            break
        office = office or _OFFICE_TYPE[m.group(1)]
        s = s[: m.start()]
    out = [(_drop_ethnic(s), office)]
    m = _TYPE.search(s)
    if m and m.start() > 0:
        stem = s[: m.start()]
        out.insert(0, (_drop_ethnic(stem), _TYPE_OF_SUFFIX[m.group(1)]))
    return out


def _readings(text: str, prefixes: list[tuple[str, int]]) -> list[_Reading]:
    """All readings of one typed text, the most stripped first."""
    s = clean_text(text)
    if not s:
        return []
    bases: list[tuple[str, int | None]] = []
    generic = not prefixes
    for alias, code in prefixes:
        if s.startswith(alias) and len(s) > len(alias):
            bases.append((s[len(alias) :], code))
            break
    if generic and (m := _GENERIC_PREFIX.match(s)):
        bases.append((m.group(2), None))
    bases.append((s, None))
    # "XX镇XX村": the township part, cut after each type suffix followed by a village name
    if _VILLAGE.search(s):
        for base, code in list(bases):
            bases += [(base[: m.end()], code) for m in _TYPE_ANYWHERE.finditer(base, 1)]
    seen, out = set(), []
    for base, code in bases:
        for stem, typed in _suffix_readings(base):
            reading = _Reading(stem, typed, code)
            if stem and reading not in seen:
                seen.add(reading)
                out.append(reading)
    return out


def _district_prefixes(districts: pd.DataFrame | None) -> list[tuple[str, int]]:
    """Typed forms of every district name (full, short, other suffix), longest first."""
    if districts is None:
        return []
    names = dict(zip(districts["district_code"], districts["district_name"], strict=True))
    forms: dict[str, int] = {}
    for code, name in names.items():
        short = _DISTRICT_SUFFIX.sub("", name)
        variants = [name] + ([short, short + "区", short + "县", short + "自治县", short + "市"]
                             if len(short) >= 2 else [])  # fmt: skip
        for form in variants:
            forms.setdefault(clean_text(form), int(code))
    for old, new in FORMER_DISTRICT_NAMES.items():
        code = next((c for c, n in names.items() if n == new), None)
        if code is not None:
            forms.setdefault(old, int(code))
    return sorted(forms.items(), key=lambda kv: -len(kv[0]))


def _compatible(typed: str | None, official: str | None) -> bool:
    """Whether a typed type agrees with (or says nothing against) the official type."""
    if typed is None or official is None:
        return True
    return typed == official or (typed == "gov" and official in ("town", "township"))


class _Reference:
    """The official townships (and aliases) as stems and homophone keys, by district."""

    def __init__(self, townships: pd.DataFrame, cfg: MatchSettings):
        missing = {"township_code", "township_name", "district_code"} - set(townships.columns)
        if missing:
            raise JianfuError(f"township reference: missing column(s) {sorted(missing)}")
        towns = townships[["township_code", "township_name", "district_code"]].copy()
        towns["township_code"] = towns["township_code"].astype("int64")
        towns["district_code"] = towns["district_code"].astype("int64")
        if towns["township_code"].duplicated().any():
            raise JianfuError("township reference: duplicated township_code")
        towns["via"] = "official"
        towns["text"] = towns["township_name"]
        district_of = dict(zip(towns["township_code"], towns["district_code"], strict=True))
        name_of = dict(zip(towns["township_code"], towns["township_name"], strict=True))
        unknown = sorted(set(cfg.aliases) - set(district_of))
        if unknown:
            raise JianfuError(
                f"params.yaml: ingest.township.aliases: unknown township code(s) {unknown}"
            )
        alias_rows = [
            (code, name_of[code], district_of[code], "alias", alias)
            for code, names in cfg.aliases.items()
            for alias in names
        ]
        rows = pd.concat(
            [towns, pd.DataFrame(alias_rows, columns=[*towns.columns[:3], "via", "text"])],
            ignore_index=True,
        )
        stems = [official_stem(t) for t in rows["text"]]
        rows["stem"] = [s for s, _ in stems]
        rows["type"] = [official_stem(n)[1] for n in rows["township_name"]]
        rows["key"] = rows["stem"].str.translate(_KEY)
        self.rows = rows
        self.code = rows["township_code"].to_numpy()
        self.district = rows["district_code"].to_numpy()
        self.name = rows["township_name"].to_numpy(dtype=object)
        self.type = rows["type"].to_numpy(dtype=object)
        self.via = rows["via"].to_numpy(dtype=object)
        self.by_district = {int(d): g.index.to_numpy() for d, g in rows.groupby("district_code")}
        self.by_stem = rows.groupby("stem").indices

    def scores(self, readings: list[_Reading], idx: np.ndarray, cfg: MatchSettings) -> np.ndarray:
        """Fuzzy scores, readings × reference rows `idx` (see the module docstring)."""
        stems = [r.stem for r in readings]
        keys = [s.translate(_KEY) for s in stems]
        ref_stems = self.rows["stem"].to_numpy()[idx].tolist()
        ref_keys = self.rows["key"].to_numpy()[idx].tolist()
        ratio = process.cdist(keys, ref_keys, scorer=fuzz.ratio, dtype=np.float64)
        partial = process.cdist(keys, ref_keys, scorer=fuzz.partial_ratio, dtype=np.float64)
        homophones = process.cdist(stems, ref_stems, scorer=Levenshtein.distance) - process.cdist(
            keys, ref_keys, scorer=Levenshtein.distance
        )
        ref_types = self.type[idx]
        conflict = np.array([[not _compatible(r.typed, t) for t in ref_types] for r in readings])
        score = (
            (1 - cfg.partial_weight) * ratio
            + cfg.partial_weight * partial
            - cfg.homophone_penalty * np.maximum(homophones, 0)
            - cfg.suffix_mismatch_penalty * conflict
        )
        return np.clip(score, 0.0, 100.0)


def match_townships(
    text: pd.Series,
    district_code: pd.Series,
    townships: pd.DataFrame,
    p,
    *,
    districts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Match typed township names to official township codes within each respondent's district.

    Parameters
    ----------
    text : the township name as typed (str; missing or blank is ``unmatched``).
    district_code : the respondent's 6-digit district code, aligned with `text` (missing or
        not a district of `townships` gives ``no_district``).
    townships : the official townships: ``township_code``, ``township_name``,
        ``district_code`` (as `jianfu.simulate.frame.read_reference` returns them).
    p : the ``ingest.township`` params (see `MatchSettings`).
    districts : the districts (``district_code``, ``district_name``) as `read_reference`
        returns them, to recognise a typed district prefix in every form (万州区, 渝北, 石柱县)
        and one that names another district. Without it only a generic "…区/县" prefix is
        dropped.

    Returns
    -------
    pd.DataFrame
        Indexed like `text`: ``township_code`` (Int64, <NA> unless matched),
        ``township_name`` (official name, <NA> unless matched), ``score`` (0–100, of the best
        candidate), ``method`` (`METHODS`), ``status`` (`STATUSES`), ``normalised`` (the stem
        compared), ``candidates`` (top candidates ``name:score`` unless matched; city-wide ones
        are written ``name[district]:score``), and the inputs ``input_text`` and
        ``input_district`` for `match_report`.
    """
    cfg = MatchSettings.from_params(p)
    if not text.index.equals(district_code.index):
        raise JianfuError("match_townships: text and district_code must share one index")
    ref = _Reference(townships, cfg)
    prefixes = _district_prefixes(districts)
    texts = np.array([_as_text(v) for v in text.to_numpy(dtype=object)], dtype=object)
    district = pd.to_numeric(pd.Series(district_code.to_numpy()), errors="coerce")
    district = district.where(district.isin(list(ref.by_district))).to_numpy(dtype=float)
    codes, _ = pd.factorize(np.array([f"{t}\x1f{d}" for t, d in zip(texts, district, strict=True)]))
    first = np.unique(codes, return_index=True)[1]
    u_text, u_district = texts[first], district[first]
    rows = _match_unique(u_text, u_district, ref, prefixes, cfg)
    out = pd.DataFrame(rows, columns=list(_OUTPUT)).iloc[codes].reset_index(drop=True)
    out.index = text.index
    out["township_code"] = out["township_code"].astype("Int64")
    out["score"] = out["score"].astype(float).round(2)
    for col in ("township_name", "method", "status", "normalised", "candidates"):
        out[col] = out[col].astype("str")
    out["input_text"] = text.astype("str")
    out["input_district"] = pd.array(np.round(district), dtype="Int64")
    return out


def _as_text(value) -> str:
    return "" if pd.isna(value) else str(value)


def _match_unique(texts, districts, ref: _Reference, prefixes, cfg: MatchSettings) -> list:
    """Output rows (see `_OUTPUT`) for unique (text, district) pairs."""
    readings_of: dict[str, list[_Reading]] = {}
    out: list = [None] * len(texts)
    fuzzy_jobs: dict[int | None, list[int]] = {}
    for i, (t, d) in enumerate(zip(texts, districts, strict=True)):
        readings = readings_of.setdefault(t, _readings(t, prefixes))
        district = None if np.isnan(d) else int(d)
        if not readings:
            out[i] = (None, None, 0.0, "none", "unmatched", "", "")
        elif district is not None and (row := _exact(t, readings, district, ref, cfg)):
            out[i] = row
        else:
            fuzzy_jobs.setdefault(district, []).append(i)
    for district, items in fuzzy_jobs.items():
        idx = np.arange(len(ref.rows)) if district is None else ref.by_district[district]
        readings = [readings_of[texts[i]] for i in items]
        scores = ref.scores([r for rs in readings for r in rs], idx, cfg)
        start = 0
        for i, rs in zip(items, readings, strict=True):
            block = scores[start : start + len(rs)]
            start += len(rs)
            if district is None:
                out[i] = _no_district(rs, block, idx, ref, cfg)
            else:
                out[i] = _fuzzy(rs, block, idx, district, ref, cfg)
    return out


def _agreement(typed: str | None, official: str | None) -> int:
    """2: the typed type agrees with the official one; 1: nothing typed; 0: it contradicts."""
    if typed is None:
        return 1
    return 2 if _compatible(typed, official) else 0


def _exact(text: str, readings: list[_Reading], district: int, ref: _Reference, cfg):
    """The exact stage: a stem equal to an official (or alias) stem in the district.

    Returns the output row, or None when no stem is equal. Flagged instead of matched: several
    townships left after the typed type decided, a prefix naming another district, or a typed
    type that contradicts the township here while a township elsewhere agrees (王家乡 typed in
    a district that has only a 王家街道).
    """
    hits: dict[int, tuple[int, bool, bool, int, _Reading]] = {}
    elsewhere: set[int] = set()
    for r in readings:
        for row in ref.by_stem.get(r.stem, ()):
            agree = _agreement(r.typed, ref.type[row])
            if ref.district[row] != district:
                if agree == 2:
                    elsewhere.add(int(row))
                continue
            own = r.prefix_district in (None, district)
            rank = (agree, own, ref.via[row] == "official", -int(row), r)
            code = int(ref.code[row])
            if code not in hits or rank[:4] > hits[code][:4]:
                hits[code] = rank
    if not hits:
        return None
    agreeing = [code for code, h in hits.items() if h[0] == 2]
    if len(hits) > 1 and len(agreeing) == 1:  # one stem, several townships: the typed type
        hits = {agreeing[0]: hits[agreeing[0]]}
    ranked = sorted(hits.values(), key=lambda h: h[:4], reverse=True)
    agree, own, _, neg_row, reading = ranked[0]
    row = -neg_row
    score = 100.0 if agree else 100.0 - cfg.suffix_mismatch_penalty
    method = "exact" if text.strip() == ref.name[row] else "normalised"
    method = "alias" if ref.via[row] == "alias" else method
    contradicted = agree == 0 and elsewhere
    if len(ranked) == 1 and own and not contradicted and score >= cfg.accept_score:
        return (int(ref.code[row]), ref.name[row], score, method, "matched", reading.stem, None)
    penalty = cfg.suffix_mismatch_penalty
    candidates = "; ".join(
        f"{ref.name[-h[3]]}:{100.0 if h[0] else 100.0 - penalty:.0f}"
        for h in ranked[: cfg.n_candidates]
    )
    if not own:
        candidates += f" (the text names district {reading.prefix_district})"
    if contradicted:
        other = pd.DataFrame({"row": sorted(elsewhere), "score": 100.0})
        candidates += "; elsewhere: " + _candidates(other, ref, cfg.n_candidates, city=True)
    return (None, None, score, method, "low_confidence", reading.stem, candidates)


def _best_by_code(block: np.ndarray, idx: np.ndarray, ref: _Reference) -> pd.DataFrame:
    """Per township: the best score over readings (and aliases) and the reading that gave it."""
    frame = pd.DataFrame(
        {"code": ref.code[idx], "row": idx, "score": block.max(axis=0), "r": block.argmax(axis=0)}
    )
    return frame.sort_values(["score", "row"], ascending=[False, True]).drop_duplicates("code")


def _candidates(ranked: pd.DataFrame, ref: _Reference, n: int, city: bool) -> str:
    parts = []
    ranked = ranked[ranked["score"] > 0].head(n)
    for row, score in zip(ranked["row"], ranked["score"], strict=True):
        where = f"[{ref.district[row]}]" if city else ""
        parts.append(f"{ref.name[row]}{where}:{score:.0f}")
    return "; ".join(parts)


def _fuzzy(readings, block, idx, district: int, ref: _Reference, cfg: MatchSettings) -> tuple:
    """The fuzzy stage within the district (nothing matched exactly)."""
    ranked = _best_by_code(block, idx, ref)
    top = ranked.iloc[0]
    score = float(top["score"])
    second = float(ranked["score"].iloc[1]) if len(ranked) > 1 else 0.0
    stem = readings[int(top["r"])].stem
    elsewhere = sorted(
        {int(row) for r in readings for row in ref.by_stem.get(r.stem, ())}
    )  # all in other districts: an equal stem in this district was an exact hit
    foreign = any(r.prefix_district not in (None, district) for r in readings)
    if score >= cfg.accept_score and score - second >= cfg.margin and not elsewhere and not foreign:
        row = int(top["row"])
        return (int(top["code"]), ref.name[row], score, "fuzzy", "matched", stem, None)
    status = "low_confidence" if score >= cfg.low_confidence_score else "unmatched"
    candidates = _candidates(ranked, ref, cfg.n_candidates, city=False)
    if elsewhere:
        other = pd.DataFrame({"row": elsewhere, "score": 100.0})
        candidates += "; elsewhere: " + _candidates(other, ref, cfg.n_candidates, city=True)
    method = "fuzzy" if status == "low_confidence" else "none"
    return (None, None, score, method, status, stem, candidates)


def _no_district(readings, block, idx, ref: _Reference, cfg: MatchSettings) -> tuple:
    """No usable district: the best city-wide candidates, listed but never set."""
    ranked = _best_by_code(block, idx, ref)
    stem = readings[int(ranked["r"].iloc[0])].stem
    return (None, None, float(ranked["score"].iloc[0]), "none", "no_district", stem,
            _candidates(ranked, ref, cfg.n_candidates, city=True))  # fmt: skip


def match_report(result: pd.DataFrame) -> dict:
    """Counts by status and method, and every flagged (not matched) name, for the report.

    Parameters
    ----------
    result : the output of `match_townships`.

    Returns
    -------
    dict
        JSON-serialisable: ``rows``, ``by_status``, ``by_method``, ``match_rate``, and
        ``flagged``: one entry per distinct flagged (text, district) with its ``rows`` count,
        ``status``, ``score`` and ``candidates``, the most frequent first.
    """
    flagged = result[result["status"] != "matched"]
    groups = flagged.groupby(["input_text", "input_district"], dropna=False, sort=False)
    entries = [
        {
            "text": None if pd.isna(text) else str(text),
            "district": None if pd.isna(district) else int(district),
            "rows": len(g),
            "status": str(g["status"].iloc[0]),
            "score": round(float(g["score"].iloc[0]), 1),
            "candidates": None if pd.isna(g["candidates"].iloc[0]) else g["candidates"].iloc[0],
        }
        for (text, district), g in groups
    ]
    entries.sort(key=lambda e: (-e["rows"], e["text"] or "", e["district"] or 0))
    n = len(result)
    return {
        "rows": n,
        "by_status": {s: int((result["status"] == s).sum()) for s in STATUSES},
        "by_method": {m: int((result["method"] == m).sum()) for m in METHODS},
        "match_rate": round(float((result["status"] == "matched").mean()), 4) if n else None,
        "flagged": entries,
    }
