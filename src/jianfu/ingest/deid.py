"""De-identification before anything leaves the ingest step: keyed pseudonyms and text scrubbing.

Personal-data columns (姓名, 手机号, 身份证号, 邮箱, IP) are replaced by keyed pseudonyms: an
HMAC-SHA256 of the normalised value under a secret key (RFC 2104; the "keyed-hash pseudonym" of
ISO/IEC 20889 §8.3), kind-prefixed and cut to 16 hex characters (``phone_3f2a…``). Unlike a plain
hash, a keyed pseudonym cannot be reversed by hashing every mobile number (there are only ~10⁹);
without the key nobody can tell whose data a row is, and with the same key the same person gets
the same pseudonym in every wave, so waves can be linked. The key never enters the data, the
reports or git.

Where the key comes from (`load_key`, params ``ingest.deid``): the environment variable named by
``key_env``, else the git-ignored file ``key_file`` under the project root, else — for the
simulated default data only — the documented public ``demo_key`` (the report says so). Real data
without a key stop with an error that says how to create one.

Free text is scrubbed (`scrub_text`): each kind below is replaced by a placeholder, in this order.
Matching runs on a width-folded copy of the text (full-width ASCII → ASCII, U+3000 → space; one
character for one, so positions agree) and patterns are ASCII: ``１３９…`` and ``（０２３）`` are
found, the text itself keeps its full-width punctuation.

=============  ==============  =====================================================================
kind           placeholder     what counts
=============  ==============  =====================================================================
email          ``[邮箱]``      ``local@domain.tld`` (ASCII local part, a dot in the domain)
id_number      ``[身份证号]``  18 characters: a 6-digit region code not starting with 0, a birth
                               date 1900–2099 with month 01–12 and day 01–31, 3 digits, a check
                               character 0–9/X; not inside a longer run of digits. The ISO 7064
                               check digit is *not* required: a mistyped ID number is still an ID
                               number, and the date structure already rules out other numbers.
                               15-digit first-generation numbers are not recognised.
phone          ``[手机号]``    mainland mobile ``1[3-9]`` + 9 digits, optionally ``+86``/``86``
                               before it and one space or dash between the 3-4-4 groups; not inside
                               a longer number or a decimal.
landline       ``[电话]``      an area code ``0`` + 2–3 digits in brackets or followed by a dash or
                               space, then a local number of 7–8 digits starting 2–9
                               (``023-63812345``, ``(023)63812345``); unseparated only for
                               Chongqing's ``023`` + 8 digits. Local numbers without an area code
                               are not recognised (indistinguishable from counts).
ip             ``[IP]``        dotted IPv4, four octets 0–255, not inside a longer dotted number.
name_context   ``[姓名]``      2–3 CJK characters starting with a common surname (or a compound
                               surname + 1–2), that either follow a self-introduction (我是, 我叫,
                               本人(是), 联系人(是/为), 姓名, 署名, 签名, 请联系) and end at
                               punctuation, a space, a digit, a placeholder, a contact word
                               (电话, 手机, 联系, 微信) or the end; or stand after a non-CJK
                               character (start, bracket, comma) directly before a contact cue
                               (电话, 手机, 联系方式, 微信, ``[手机号]``, ``[电话]``), as in
                               ``（张伟，电话…）``. Excluded: words that look like names there
                               (单位, 办公, places such as 万州 or 梁平) and words ending in
                               人 区 县 镇 村 员 长 … (万州人, 网格员). Names elsewhere in running
                               text are not recognised.
name           ``[姓名]``      any of the given names (the 姓名 column), ≥ 2 characters, longest
                               first; last, so that a listed 张伟 does not cut a 张伟浩 found by
                               the rule above. Names are looked for anywhere, also inside words.
=============  ==============  =====================================================================

Not matched: dates and times (2025/10/13 08:31:46), durations (125秒), amounts (30份, 1500),
district (6-digit), township (9-digit) and village (12-digit) codes, decimals, version numbers,
and anything inside a run of ≥ 16 hex characters with a letter and a digit (pseudonyms such as
``phone_3f13912345678a2b``, hashes): such runs are masked before matching.
`find_pii` applies the same rules (and, if given, a list of names) to report leaks in outputs.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import os
import re
import unicodedata
from base64 import b64decode
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from jianfu.core.errors import JianfuError

#: The kinds of personal data a column can hold, each with its own pseudonym prefix.
KINDS = ("name", "phone", "id_number", "email", "ip")
#: Hex characters of the HMAC kept in a pseudonym (64 bits: no collision among millions).
TOKEN_HEX = 16
#: Shortest acceptable key, in bytes after decoding (and in characters for a passphrase).
MIN_KEY_BYTES = 16
#: Cells that are the export's markers for "no answer" rather than a value.
MISSING_MARKERS = frozenset({"", "(空)", "(跳过)"})
KEY_COMMAND = 'python -c "import secrets; print(secrets.token_hex(32))" > {file}'

PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_number": "[身份证号]",
    "phone": "[手机号]",
    "landline": "[电话]",
    "ip": "[IP]",
    "name": "[姓名]",
    "name_context": "[姓名]",
}
#: The pseudonym kind of the value a text match removed (for the scrub log).
_TOKEN_KIND = {"landline": "phone", "name_context": "name"}

# --- patterns (on width-folded text; see the module docstring for what each one counts) ---------
_NOT_AFTER_NUMBER = r"(?<![0-9])(?<![0-9]\.)"
_NOT_BEFORE_NUMBER = r"(?![0-9])(?!\.[0-9])"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
#: Common single-character surnames (the ~100 most frequent, minus characters that mostly begin
#: ordinary words such as 党 文 时 和 全 安 常 管 路 华); the list bounds the name heuristic.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱"
    "严覃武戴莫孔汤施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿焦俞柳祝舒阮柯纪梅童凌毕裴霍涂苗翁冉"
    "骆蓝辛靳柴蒙鲍喻祁蒲滕饶牟尤穆卓缪褚娄窦戚岑"
)
_COMPOUND = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|夏侯|司徒|端木"
#: Words that start with a surname character but are not names (Chongqing places included), and
#: last characters that make a word a place, a unit or a role (万州人, 梁平区, 网格员).
_NOT_NAMES = (
    "单位|办公|方便|方式|方面|万一|高度|高中|周末|任务|马上|全部|管理|时间|安全|金额|石柱|万州|江北|江津"
    "|彭水|武隆|梁平|黄桷|龙头|龙水"
)
_NOT_LAST = "人区县镇乡村市省街路员长部委局办组队"
_NAME = rf"(?!{_NOT_NAMES})(?:{_COMPOUND}|[{_SURNAMES}])[{_CJK}]{{1,2}}(?<![{_NOT_LAST}])"
_END = rf"(?=$|[^{_CJK}]|电话|手机|联系|微信)"
_INTRO = r"(?:我是|我叫|本人是|本人叫|本人|联系人是|联系人为|联系人|姓名|署名|签名|请联系)"
_CUE = r"(?=\s*[,:]?\s*(?:电话|手机|联系方式|微信|\[手机号\]|\[电话\]))"

PII_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "id_number": re.compile(
        r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
        r"[0-9]{3}[0-9Xx](?![0-9])"
    ),
    "phone": re.compile(
        _NOT_AFTER_NUMBER
        + r"(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}"
        + _NOT_BEFORE_NUMBER
    ),
    "landline": re.compile(
        _NOT_AFTER_NUMBER
        + r"(?:\(0[1-9][0-9]{1,2}\) ?|0[1-9][0-9]{1,2}[- ]|023(?=[2-9][0-9]{7}(?![0-9])))"
        + r"[2-9][0-9]{6,7}"
        + _NOT_BEFORE_NUMBER
    ),
    "ip": re.compile(r"(?<![0-9.])" + _OCTET + r"(?:\." + _OCTET + r"){3}" + _NOT_BEFORE_NUMBER),
    "name_context": re.compile(
        rf"{_INTRO}[\s:]*(?P<intro>{_NAME}){_END}|(?<![{_CJK}])(?P<cue>{_NAME}){_CUE}"
    ),
}
#: Labels of the columns `deidentify` adds (zh, en), for the .sav/.dta variable labels.
COLUMN_LABELS = {
    "name_pseudo": ("姓名（假名化）", "Name (pseudonym)"),
    "phone_pseudo": ("手机号（假名化）", "Phone number (pseudonym)"),
    "id_number_pseudo": ("身份证号（假名化）", "ID number (pseudonym)"),
    "email_pseudo": ("邮箱（假名化）", "E-mail address (pseudonym)"),
    "ip_pseudo": ("IP地址（假名化）", "IP address (pseudonym)"),
    "ip_region": ("IP所在地区", "Region of the IP address"),
}
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: Runs of ≥ 16 hex characters with a letter and a digit (pseudonyms, hashes), masked before
#: matching: a phone-like run of digits inside ``phone_3f13912345678a2b`` is not a phone number.
_HEX_RUN = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{16,}(?![0-9A-Za-z])"
)
_IP_REGION = re.compile(r"\(([^()]*)\)\s*$")


def column_labels(lang: str = "zh") -> dict[str, str]:
    """Variable labels of the pseudonym columns, in ``zh`` or ``en``."""
    return {col: pair[0 if lang == "zh" else 1] for col, pair in COLUMN_LABELS.items()}


def fold_width(text: str) -> str:
    """Full-width ASCII forms as ASCII and the ideographic space as a space, one for one."""
    return text.translate(_FOLD)


# --- the key ------------------------------------------------------------------------------------
class DeidKey(bytes):
    """Key bytes that remember where they came from; never shown in a repr."""

    source: str
    demo: bool

    def __new__(cls, value: bytes, source: str, demo: bool = False) -> DeidKey:
        obj = super().__new__(cls, value)
        obj.source = source
        obj.demo = demo
        return obj

    def __repr__(self) -> str:
        return f"DeidKey(source={self.source!r}, id={key_id(self)!r})"


def key_id(key: bytes) -> str:
    """A short fingerprint of the key (not the key): equal ids mean the same pseudonyms."""
    return hmac.new(key, b"jianfu key id", hashlib.sha256).hexdigest()[:8]


def _how_to_create(env: str, file: str) -> str:
    return (
        "Create a random key once and keep it (the same key gives the same pseudonyms in every "
        "wave; keep it out of git — the key file's folder is git-ignored):\n"
        f"  mkdir -p {Path(file).parent} && {KEY_COMMAND.format(file=file)}\n"
        f"or set the environment variable {env} to a key (hex, base64 or any text of "
        f"≥ {MIN_KEY_BYTES} characters)."
    )


def _parse_key(text: str, where: str, how: str) -> bytes:
    """Hex (≥ 32 digits), else base64 (≥ 16 bytes), else the text itself (≥ 16 characters)."""
    text = text.strip()
    if re.fullmatch(r"(?:[0-9a-fA-F]{2}){16,}", text):
        return bytes.fromhex(text)
    if re.fullmatch(r"[A-Za-z0-9+/]{22,}={0,2}", text) and len(text) % 4 == 0:
        raw = b64decode(text)
        if len(raw) >= MIN_KEY_BYTES:
            return raw
    if len(text) < MIN_KEY_BYTES:
        raise JianfuError(
            f"{where}: the de-identification key is too short ({len(text)} characters; "
            f"at least {MIN_KEY_BYTES} are needed).\n{how}"
        )
    return text.encode("utf-8")


def _read_key_file(path: Path, how: str) -> str:
    """The key file's text: UTF-8 (with or without BOM), or UTF-16 as PowerShell's ``>`` writes."""
    data = path.read_bytes()
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16").strip()
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise JianfuError(f"{path}: the de-identification key file is not text.\n{how}") from None


def load_key(p, *, simulated: bool, root: Path) -> DeidKey:
    """The HMAC key for the pseudonyms.

    Parameters
    ----------
    p : the ``ingest.deid`` params: ``key_env`` (environment variable name), ``key_file``
        (path relative to `root`), ``demo_key`` (public key for the simulated data only).
    simulated : the input is the built-in simulated data; only then is the demo key allowed.
    root : the project root.

    Returns
    -------
    DeidKey
        The key bytes, with ``.source`` (where the key came from) and ``.demo``.

    Raises
    ------
    JianfuError
        No key for real data, the demo key used on real data, an empty or too short key.
    """
    env, file, demo = str(p["key_env"]), str(p["key_file"]), str(p["demo_key"])
    how = _how_to_create(env, file)
    text, source = os.environ.get(env, "").strip(), f"environment variable {env}"
    if not text:
        path = Path(root) / file
        if path.is_file():
            text, source = _read_key_file(path, how), f"key file {file}"
            if not text:
                raise JianfuError(f"{path}: the de-identification key file is empty.\n{how}")
    if not text:
        if not simulated:
            raise JianfuError(
                "No de-identification key for real survey data: neither the environment "
                f"variable {env} nor the key file {Path(root) / file} exists.\n"
                "Names, phone numbers, ID numbers, e-mail and IP addresses are replaced by keyed "
                "pseudonyms (HMAC-SHA256); without the key nobody can work out whose data a row "
                "is, not even by trying every phone number.\n" + how
            )
        return DeidKey(_parse_key(demo, "params.yaml ingest.deid.demo_key", how), "demo", True)
    if not simulated and text == demo.strip():
        raise JianfuError(
            f"{source}: this is the public demo key from params.yaml (ingest.deid.demo_key); "
            f"it protects nothing and is for the simulated data only.\n{how}"
        )
    return DeidKey(_parse_key(text, source, how), source)


# --- pseudonyms ---------------------------------------------------------------------------------
def _is_missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def normalise(value, kind: str) -> str | None:
    """The canonical form a pseudonym is computed from (None for a missing value).

    All kinds: NFKC (full-width → half-width), surrounding space stripped, the export's
    empty markers are missing. ``phone``: digits only, a leading 86 / 0086 country code dropped
    from a mobile number. ``email``: lower case. ``id_number``: no spaces or dashes, upper-case
    X. ``ip``: the address without the export's region suffix ``(重庆-重庆)``. ``name``: no
    spaces inside a CJK name, other spaces collapsed, case-folded.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    if _is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number read as a float by a spreadsheet reader
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text in MISSING_MARKERS:
        return None
    if kind == "phone":
        text = re.sub(r"[^0-9]", "", text)
        text = re.sub(r"^(?:00)?86(?=1[3-9][0-9]{9}$)", "", text)
    elif kind == "email":
        text = text.lower()
    elif kind == "id_number":
        text = re.sub(r"[\s-]", "", text).upper()
    elif kind == "ip":
        text = _IP_REGION.sub("", text).strip()
        found = PII_PATTERNS["ip"].search(text)
        text = found.group(0) if found else text
    else:
        text = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", text)
        text = re.sub(r"\s+", " ", text).casefold()
    return text or None


class Pseudonymizer:
    """Keyed pseudonyms: ``{kind}_{first 16 hex of HMAC-SHA256(key, kind + 0x1F + value)}``.

    Parameters
    ----------
    key : the key bytes (from `load_key`); at least 16 bytes.
    """

    def __init__(self, key: bytes):
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the key must have at least {MIN_KEY_BYTES} bytes")
        self._key = bytes(key)
        self.key_source = getattr(key, "source", "given")
        self.demo = bool(getattr(key, "demo", False))
        self.key_id = key_id(self._key)

    def __repr__(self) -> str:
        return f"Pseudonymizer(key_source={self.key_source!r}, key_id={self.key_id!r})"

    def token_one(self, value, kind: str) -> str | None:
        """The pseudonym of one value (None if missing)."""
        text = normalise(value, kind)
        if text is None:
            return None
        digest = hmac.new(self._key, f"{kind}\x1f{text}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}_{digest[:TOKEN_HEX]}"

    def token(self, values: pd.Series, kind: str) -> pd.Series:
        """Pseudonyms of a column; missing values (and empty markers) stay missing.

        Parameters
        ----------
        values : the clear values.
        kind : one of `KINDS`; decides the normalisation and the prefix.

        Returns
        -------
        pd.Series
            Strings like ``phone_3f2a9c0d1e5b7a68``, same index, missing where `values` is.
        """
        mapping = {v: self.token_one(v, kind) for v in values.dropna().unique()}
        out = [None if _is_missing(v) else mapping[v] for v in values]
        return pd.Series(out, index=values.index, dtype="str", name=values.name)


# --- text ---------------------------------------------------------------------------------------
def _name_pattern(names: Iterable[str], corpus: str) -> re.Pattern[str] | None:
    """One alternation of the given names (≥ 2 characters, longest first) found in `corpus`."""
    wanted = set()
    for name in names:
        text = normalise(name, "name")
        if text is not None and len(text) >= 2:
            wanted.add(fold_width(unicodedata.normalize("NFKC", str(name)).strip()))
            wanted.add(text)
    present = sorted((n for n in wanted if len(n) >= 2 and n in corpus), key=lambda n: (-len(n), n))
    return re.compile("|".join(map(re.escape, present)), re.IGNORECASE) if present else None


def _scan(text: str, names: re.Pattern[str] | None) -> tuple[str, list[tuple[str, str]]]:
    """Replace every kind in order; return the scrubbed text and (kind, removed value) pairs."""
    found: list[tuple[str, str]] = []
    for kind, pattern in [*PII_PATTERNS.items(), ("name", names)]:
        if pattern is None:
            continue
        folded = _HEX_RUN.sub(lambda m: "x" * len(m.group(0)), fold_width(text))
        parts, last = [], 0
        for m in pattern.finditer(folded):
            group = next((g for g in ("intro", "cue") if m.groupdict().get(g)), 0)
            start, end = m.span(group)
            parts += [text[last:start], PLACEHOLDERS[kind]]
            found.append((kind, text[start:end]))
            last = end
        if parts:
            text = "".join([*parts, text[last:]])
    return text, found


def scrub_text(
    text: pd.Series, names: Iterable[str], pseudo: Pseudonymizer | None
) -> tuple[pd.Series, pd.DataFrame]:
    """Replace personal data in free text by placeholders (see the module docstring).

    Parameters
    ----------
    text : the free-text column; missing stays missing.
    names : names to remove wherever they appear (e.g. every value of the 姓名 column).
    pseudo : if given, the log carries the pseudonyms of what was removed, so that a phone
        number written into the text can be matched with the ``phone_pseudo`` column without
        the clear value; None leaves them out.

    Returns
    -------
    scrubbed : the text with placeholders.
    log : one row per (row, kind) with something removed: ``row`` (the index label), ``kind``,
        ``count``, and with `pseudo` ``pseudonyms`` (sorted, ``;``-joined). No clear values.
    """
    present = text.notna()
    values = text[present].astype("str")
    distinct = values.unique()  # free text repeats ("无", "暂无建议"): scan each text once
    name_pattern = _name_pattern(names, fold_width("\n".join(distinct)))
    scanned = {value: _scan(value, name_pattern) for value in distinct}
    out, records = [], []
    for row, value in values.items():
        cleaned, found = scanned[value]
        out.append(cleaned)
        for kind in dict.fromkeys(k for k, _ in found):
            removed = [v for k, v in found if k == kind]
            record = {"row": row, "kind": kind, "count": len(removed)}
            if pseudo is not None:
                tokens = {pseudo.token_one(v, _TOKEN_KIND.get(kind, kind)) for v in removed}
                record["pseudonyms"] = ";".join(sorted(t for t in tokens if t))
            records.append(record)
    scrubbed = pd.Series(np.nan, index=text.index, dtype="str", name=text.name)
    scrubbed[present] = out
    columns = ["row", "kind", "count"] + (["pseudonyms"] if pseudo is not None else [])
    return scrubbed, pd.DataFrame(records, columns=columns)


def find_pii(text: str, names: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Personal data in a text, as (kind, matched text): for scanning outputs for leaks.

    Applies `scrub_text`'s rules in the same order (a phone number inside an e-mail address is
    reported once, as the e-mail); `names` adds names to look for.
    """
    return _scan(text, _name_pattern(names, fold_width(text)))[1]


# --- frames -------------------------------------------------------------------------------------
def deidentify(
    frame: pd.DataFrame, columns: dict[str, str], text_columns: list[str], pseudo: Pseudonymizer
) -> tuple[pd.DataFrame, dict]:
    """Replace personal-data columns by pseudonyms and scrub the free text.

    Parameters
    ----------
    frame : the survey data.
    columns : kind (`KINDS`) -> column holding it. Each becomes ``{kind}_pseudo`` in the
        column's place and the clear column is dropped; an IP column also gives ``ip_region``
        (the export's coarse ``(重庆-重庆)`` part, if present).
    text_columns : free-text columns to scrub (with the names of the name column).
    pseudo : the pseudonymizer.

    Returns
    -------
    frame : the de-identified copy.
    report : counts only (JSON-serialisable): key source and fingerprint, per kind the column,
        values and distinct pseudonyms, per text column the cells changed and removals by kind,
        and the scrubbed rows (row position, kind, count).
    """
    unknown = sorted(set(columns) - set(KINDS))
    if unknown:
        raise JianfuError(f"de-identification: unknown kind(s) {unknown} (one of {KINDS})")
    absent = [c for c in [*columns.values(), *text_columns] if c not in frame.columns]
    if absent:
        raise JianfuError(f"de-identification: column(s) {absent} not in the data")
    out = frame.copy()
    names = frame[columns["name"]].dropna().tolist() if "name" in columns else []
    report: dict = {
        "key_source": pseudo.key_source,
        "key_id": pseudo.key_id,
        "demo_key": pseudo.demo,
        "pseudonymised": {},
        "text": {},
        "text_rows": [],
    }
    for kind, col in columns.items():
        target = f"{kind}_pseudo"
        if target in out.columns and target != col:
            raise JianfuError(f"de-identification: the data already has a column {target!r}")
        tokens = pseudo.token(frame[col], kind)
        at = out.columns.get_loc(col)
        out = out.drop(columns=col)
        out.insert(at, target, tokens.to_numpy())
        if kind == "ip":
            region = frame[col].map(
                lambda v: None if _is_missing(v) else _region(fold_width(str(v)))
            )
            out.insert(at + 1, "ip_region", pd.Series(region, dtype="str").to_numpy())
        report["pseudonymised"][kind] = {
            "column": col,
            "values": int(tokens.notna().sum()),
            "distinct": int(tokens.nunique()),
        }
    for col in text_columns:
        scrubbed, log = scrub_text(frame[col].reset_index(drop=True), names, None)
        out[col] = scrubbed.to_numpy()
        by_kind = log.groupby("kind")["count"].sum() if len(log) else pd.Series(dtype=int)
        report["text"][col] = {
            "cells_changed": int(log["row"].nunique()) if len(log) else 0,
            "removed": {k: int(v) for k, v in sorted(by_kind.items())},
        }
        report["text_rows"] += [
            {"column": col, "row": int(r), "kind": k, "count": int(c)}
            for r, k, c in log[["row", "kind", "count"]].itertuples(index=False)
        ]
    return out, report


def _region(text: str) -> str | None:
    m = _IP_REGION.search(text)
    return (m.group(1).strip() or None) if m else None
