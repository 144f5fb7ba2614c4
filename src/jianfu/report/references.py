"""The report's reference list: GB/T 7714-2015 (顺序编码制) from ``references/bibliography.yaml``.

The bibliography (params ``report.bibliography``) holds one entry per work under a citation key,
with CSL-like fields (``type``, ``author``, ``title``, ``container-title``, ``issued`` …;
docs/report.md lists them). The report's text cites works as ``[@key]`` or
``[@key1; @key2]``; `number_citations` replaces these marks, in document order, by the numbers
of GB/T 7714-2015 §10.1 (numbered in order of first citation, ``[1]``, ``[2, 5]``, consecutive
numbers joined by a dash, ``[1-3]``), and `reference_list` prints the list as
``[n] <format_gbt7714(entry)>``.

Source of the rules: GB/T 7714-2015 《信息与文献 参考文献著录规则》 — §4 (formats per kind of
work), §8.1.2 (personal names: family name in capitals, given names as initials without dots),
§8.1.3 (more than three authors: the first three, then ", 等" / ", et al"), §8.3 (edition:
"2版", "3rd ed."; the first edition is not given), §8.4 ([出版地不详] / [S.l.],
[出版者不详] / [s.n.] where unknown), §8.8 (online resources: [cited date] and URL; DOI).
The punctuation is the standard's own for Chinese and Western works alike (". ", ", ", ": ").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jianfu.core.errors import JianfuError

#: The GB/T 7714 document-type code of each entry ``type`` (``gbt_type`` overrides it).
TYPE_CODES = {
    "article-journal": "J",
    "book": "M",
    "chapter": "M",
    "report": "R",
    "software": "CP",
    "standard": "S",
    "legal": "Z",
    "webpage": "EB",
}

#: Fields every entry of a type must have (``url`` entries also need ``accessed``).
REQUIRED = {
    "article-journal": ("author", "title", "container-title", "issued"),
    "book": ("author", "title", "publisher", "publisher-place", "issued"),
    "chapter": ("author", "title", "container-title", "publisher", "publisher-place", "issued"),
    "report": ("author", "title", "issued"),
    "software": ("author", "title", "issued"),
    "standard": ("author", "title", "number", "issued"),
    "legal": ("author", "title", "issued"),
    "webpage": ("title", "url", "accessed"),
}

#: Every field an entry may have; anything else is a typo and an error.
FIELDS = frozenset(
    {
        "type",
        "author",
        "editor",
        "title",
        "container-title",
        "publisher",
        "publisher-place",
        "issued",
        "edition",
        "volume",
        "issue",
        "page",
        "number",
        "doi",
        "url",
        "accessed",
        "language",
        "gbt_type",
        "note",  # for the maintainers (where a detail was checked); never printed
    }
)

LANGUAGES = ("zh", "en")
_GBT_TYPE = re.compile(r"^(J|M|C|G|N|D|R|S|P|A|Z|CP|DB|EB)(/(OL|MT|DK|CD))?$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ISSUED = re.compile(r"^c?\d{4}(-\d{2}(-\d{2})?)?$")  # "c1983": a copyright year
_CJK = re.compile(r"[\u3400-\u9fff]")
_KEY = r"[\w:.\-]+"
_CITATION = re.compile(rf"\[@({_KEY}(?:\s*;\s*@{_KEY})*)\]")

#: Words of the standard by language: "et al", unknown place, unknown publisher.
_WORDS = {
    "zh": {"et_al": "等", "no_place": "[出版地不详]", "no_publisher": "[出版者不详]"},
    "en": {"et_al": "et al", "no_place": "[S.l.]", "no_publisher": "[s.n.]"},
}
MAX_AUTHORS = 3


# ---------------------------------------------------------------- loading and validation


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (PyYAML would keep the last silently)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise JianfuError(
                f"line {key_node.start_mark.line + 1}: key {key!r} is given twice "
                f"(first on line {seen[key]})"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_bibliography(path: Path) -> dict[str, dict]:
    """Read and check the bibliography file.

    Parameters
    ----------
    path
        The YAML file (params ``report.bibliography``): a mapping of citation keys to entries.

    Returns
    -------
    dict
        Citation key → entry, with dates (``issued``, ``accessed``) as strings.

    Raises
    ------
    JianfuError
        Naming the file, and the key and field where an entry is wrong: a missing file, bad
        YAML, a key given twice, an unknown type or field, a field its type requires missing.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JianfuError(
            f"{path}: bibliography file not found (params.yaml report.bibliography)"
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except JianfuError as exc:
        raise JianfuError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise JianfuError(f"{path}{where}: not valid YAML: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise JianfuError(f"{path}: expected a mapping of citation keys to entries")
    bib = {}
    for key, entry in data.items():
        if not isinstance(key, str) or not re.fullmatch(_KEY, key):
            raise JianfuError(
                f"{path}: citation key {key!r} must be letters, digits, '_', ':', '.' or '-'"
            )
        bib[key] = check_entry(entry, where=f"{path}: entry '{key}'")
    return bib


def check_entry(entry: Any, where: str = "entry") -> dict:
    """Check one entry's fields; return it with dates as strings (``where`` prefixes errors)."""
    if not isinstance(entry, dict):
        raise JianfuError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    entry = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in entry.items()}
    unknown = sorted(set(entry) - FIELDS)
    if unknown:
        raise JianfuError(
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are "
            f"{', '.join(sorted(FIELDS))}"
        )
    kind = entry.get("type")
    if kind not in REQUIRED:
        raise JianfuError(f"{where}: type {kind!r} is not one of {', '.join(REQUIRED)}")
    missing = [f for f in REQUIRED[kind] if _empty(entry.get(f))]
    if entry.get("url") and _empty(entry.get("accessed")):
        missing.append("accessed")  # GB/T 7714 §8.8.1: an online resource needs its 引用日期
    if missing:
        raise JianfuError(f"{where}: a {kind} needs field(s) {', '.join(missing)}")
    if entry.get("language", "zh") not in LANGUAGES:
        raise JianfuError(f"{where}: language must be zh or en, got {entry['language']!r}")
    if "gbt_type" in entry and not _GBT_TYPE.match(str(entry["gbt_type"])):
        raise JianfuError(
            f"{where}: gbt_type {entry['gbt_type']!r} is not a GB/T 7714 code "
            "(J, M, R, CP, S, Z, EB, … optionally /OL)"
        )
    if not _ISSUED.match(str(entry.get("issued", "2000"))):
        raise JianfuError(f"{where}: issued must be a year or YYYY-MM-DD, got {entry['issued']!r}")
    if "accessed" in entry and not _DATE.match(str(entry["accessed"])):
        raise JianfuError(f"{where}: accessed must be YYYY-MM-DD, got {entry['accessed']!r}")
    for field in ("author", "editor"):
        if field in entry:
            _check_names(entry[field], f"{where}: {field}")
    return entry


def _check_names(names: Any, where: str) -> None:
    if not isinstance(names, list) or not names:
        raise JianfuError(f"{where}: expected a list of names")
    for name in names:
        if isinstance(name, str) and name.strip():
            continue
        if isinstance(name, dict) and (
            (set(name) == {"literal"} and str(name["literal"]).strip())
            or (set(name) <= {"family", "given"} and str(name.get("family", "")).strip())
        ):
            continue
        raise JianfuError(
            f"{where}: {name!r} is not a name: give a string (an organisation, or a Chinese "
            "name as one string), {literal: ...} or {family: ..., given: ...}"
        )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- formatting


def language(entry: Mapping) -> str:
    """The entry's language: its ``language`` field, else zh when the title has CJK text."""
    if entry.get("language"):
        return str(entry["language"])
    return "zh" if _CJK.search(str(entry.get("title", ""))) else "en"


def format_name(name: Any, lang: str) -> str:
    """One name as GB/T 7714 §8.1.2 wants it.

    ``{family: Hu, given: Li-tze}`` → ``HU L T`` (family in capitals, initials without dots);
    a Chinese ``{family: 张, given: 三}`` → ``张三``; a string or ``{literal: ...}`` (an
    organisation, a Chinese name) is printed as written.
    """
    if isinstance(name, str):
        return name.strip()
    if "literal" in name:
        return str(name["literal"]).strip()
    family, given = str(name["family"]).strip(), str(name.get("given", "") or "").strip()
    if _CJK.search(family):
        return family + given
    initials = " ".join(part[0].upper() for part in re.split(r"[\s.\-]+", given) if part)
    return f"{family.upper()} {initials}".strip()


def format_names(names: list, lang: str) -> str:
    """Up to three names joined by ", "; more than three: the first three then ", 等"/", et al"."""
    shown = [format_name(n, lang) for n in names[:MAX_AUTHORS]]
    if len(names) > MAX_AUTHORS:
        shown.append(_WORDS[lang]["et_al"])
    return ", ".join(shown)


def type_code(entry: Mapping) -> str:
    """``[J]``-style code without brackets: ``gbt_type``, else the type's code, "/OL" if online."""
    if entry.get("gbt_type"):
        return str(entry["gbt_type"])
    code = TYPE_CODES[entry["type"]]
    return f"{code}/OL" if entry.get("url") or code == "EB" else code


def edition(value: Any, lang: str) -> str:
    """GB/T 7714 §8.3: 2 → "2版" / "2nd ed."; the first edition is not given; text as written."""
    if value is None or str(value).strip() in ("", "1"):
        return ""
    if isinstance(value, int) or str(value).isdigit():
        n = int(value)
        if lang == "zh":
            return f"{n}版"
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suffix} ed."
    return str(value).strip()


def _year(issued: Any) -> str:
    text = str(issued)
    return text if text.startswith("c") else text[:4]


def _pages(page: Any) -> str:
    return re.sub(r"\s*[–—]\s*", "-", str(page).strip())  # the standard's hyphen, not a dash


def _publication(entry: Mapping, lang: str) -> str:
    """``place: publisher, year`` with the standard's words for an unknown place or publisher."""
    place = entry.get("publisher-place") or _WORDS[lang]["no_place"]
    publisher = entry.get("publisher") or _WORDS[lang]["no_publisher"]
    return f"{place}: {publisher}, {_year(entry['issued'])}"


def _sentence(*parts: str) -> str:
    """Join the parts as sentences: ". " between them, no doubled stop (``Inc.``), final "."."""
    out = ""
    for part in (p.strip() for p in parts if p and p.strip()):
        if out:
            out += " " if out.endswith(".") else ". "
        out += part
    return out if out.endswith(".") else out + "."


def _title(entry: Mapping) -> str:
    title = str(entry["title"]).strip()
    if entry.get("number"):  # a standard's or report's number follows the title (§4.1)
        title += f": {entry['number']}"
    return f"{title}[{type_code(entry)}]"


def _online(entry: Mapping) -> tuple[str, str]:
    """(``[accessed]``, ``url``) for an online entry, else ("", "")."""
    if not entry.get("url"):
        return "", ""
    return f"[{entry['accessed']}]", str(entry["url"]).strip()


def _doi(entry: Mapping) -> str:
    return f"DOI: {entry['doi']}" if entry.get("doi") else ""


def format_gbt7714(entry: Mapping) -> str:
    """One entry as GB/T 7714-2015 prints it in a 顺序编码制 list, without the leading number.

    Examples
    --------
    >>> format_gbt7714({"type": "article-journal", "title": "Shaking without quaking",
    ...     "author": [{"family": "Kanamori", "given": "Hiroo"}], "container-title": "Science",
    ...     "issued": 1998, "volume": 279, "issue": 5359, "page": 2063})
    'KANAMORI H. Shaking without quaking[J]. Science, 1998, 279(5359): 2063.'
    """
    lang = language(entry)
    authors = format_names(entry["author"], lang) if entry.get("author") else ""
    cited, url = _online(entry)
    kind = entry["type"]
    if kind == "article-journal":
        return _sentence(authors, _title(entry), _journal(entry) + cited, url, _doi(entry))
    if kind == "chapter":
        editors = format_names(entry["editor"], lang) if entry.get("editor") else ""
        host = _sentence(editors, str(entry["container-title"]).strip())[:-1]
        return _sentence(
            authors,
            f"{_title(entry)}//{host}",
            edition(entry.get("edition"), lang),
            _publication(entry, lang) + _page_suffix(entry) + cited,
            url,
            _doi(entry),
        )
    if url and not entry.get("publisher"):
        # an online resource without a publisher (§4.6): (date)[cited]. URL
        issued = f"({entry['issued']})" if entry.get("issued") else ""
        return _sentence(authors, _title(entry), issued + cited, url, _doi(entry))
    return _sentence(
        authors,
        _title(entry),
        edition(entry.get("edition"), lang),
        _publication(entry, lang) + _page_suffix(entry) + cited,
        url,
        _doi(entry),
    )


def _page_suffix(entry: Mapping) -> str:
    return f": {_pages(entry['page'])}" if entry.get("page") else ""


def _journal(entry: Mapping) -> str:
    """``Journal, year, volume(issue): pages`` (GB/T 7714 §4.4)."""
    text = f"{str(entry['container-title']).strip()}, {_year(entry['issued'])}"
    if entry.get("volume"):
        text += f", {entry['volume']}"
    if entry.get("issue"):
        text += f"({entry['issue']})"
    return text + _page_suffix(entry)


# ---------------------------------------------------------------- citations in the text


def compress_numbers(numbers: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` → ``"1-3, 5"``: sorted, consecutive numbers joined by a dash (§10.1.3)."""
    nums = sorted(set(numbers))
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def number_citations(
    texts: list[str], known: Iterable[str] | None = None
) -> tuple[list[str], list[str]]:
    """Replace ``[@key]`` / ``[@key1; @key2]`` marks by 顺序编码 numbers ``[1]``, ``[2, 5]``.

    Parameters
    ----------
    texts
        The report's paragraphs in document order; a work's number is the order of its first
        citation over all of them.
    known
        The bibliography's keys; when given, a key not among them is an error.

    Returns
    -------
    (texts, keys)
        The texts with numbers in place of the marks, and the cited keys in number order.
    """
    known_keys = None if known is None else set(known)
    order: dict[str, int] = {}

    def _replace(match: re.Match) -> str:
        keys = [k.strip().lstrip("@") for k in match.group(1).split(";")]
        for key in keys:
            if known_keys is not None and key not in known_keys:
                raise JianfuError(
                    f"citation [@{key}]: no entry '{key}' in the bibliography "
                    "(params.yaml report.bibliography; docs/report.md)"
                )
            order.setdefault(key, len(order) + 1)
        return f"[{compress_numbers(order[k] for k in keys)}]"

    out = [_CITATION.sub(_replace, text) for text in texts]
    return out, list(order)


def reference_list(keys: Iterable[str], bib: Mapping[str, Mapping]) -> list[str]:
    """The numbered list, ``"[1] <entry>"``, for the keys in number order."""
    lines = []
    for n, key in enumerate(keys, start=1):
        if key not in bib:
            raise JianfuError(
                f"reference list: no entry '{key}' in the bibliography "
                "(params.yaml report.bibliography)"
            )
        lines.append(f"[{n}] {format_gbt7714(bib[key])}")
    return lines
