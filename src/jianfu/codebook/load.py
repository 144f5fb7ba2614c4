"""Load and validate the questionnaire codebook.

`load_codebook` reads the YAML file, checks it against the schema (documented at the top of
`codebook/cadre_survey.yaml`) and reports every problem at once, each with its line number and
location (``codebook/x.yaml:120: items[PV1].scale: unknown scale 'agree7'``), so a researcher
adapting the questionnaire fixes them in one pass.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from jianfu.codebook.model import (
    CONSTRUCT_ROLES,
    LANGUAGES,
    QUESTION_TYPES,
    SCALE_KINDS,
    Block,
    Codebook,
    Construct,
    Facet,
    Item,
    Label,
    LogicConflict,
    Pillar,
    Question,
    Scale,
    ScaleValue,
)
from jianfu.core.errors import JianfuError, Problem, ProblemsError

#: Minimum scored items per construct: fewer cannot identify a reflective factor.
MIN_ITEMS_PER_CONSTRUCT = 3

SECTIONS = ("codebook", "pillars", "blocks", "constructs", "scales", "questions", "items")
#: Sections a codebook may leave out.
OPTIONAL_SECTIONS = ("logic_conflicts",)
#: Sections that may be empty or left out (a questionnaire without the seed article's pillars).
MAY_BE_EMPTY = ("pillars", "constructs")
#: Longest short label of an item (characters), per language: one row of a figure.
SHORT_LABEL_MAX = {"zh": 18, "en": 40}
#: Item types a logic-conflict condition can test (one answer per respondent).
CONDITION_TYPES = ("single", "number")
_KEYS = {
    "codebook": ({"id", "version", "title", "intro", "closing"}, set()),
    "pillars": ({"id", "zh", "en"}, set()),
    "blocks": ({"id", "zh", "en"}, set()),
    "constructs": ({"id", "zh", "en", "role"}, {"pillar", "facets"}),
    "scales": ({"id", "kind", "zh", "en"}, {"values", "values_from"}),
    "questions": ({"qnum", "block", "type", "zh", "en"}, {"scale"}),
    "items": (
        {"id", "qnum", "zh", "en"},
        {
            "row",
            "scale",
            "construct",
            "facet",
            "reverse",
            "required",
            "valid_range",
            "type_unit",
            "attention_check",
            "block",
            "short",
        },
    ),
    "logic_conflicts": ({"name", "zh", "en", "when", "conflicts_with"}, set()),
}


class _LineDict(dict):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line they start on."""

    def construct_located_mapping(self, node):
        mapping = _LineDict(self.construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_located_mapping)


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, node: Any = None) -> None:
        line = getattr(node, "line", None) or None
        self.problems.append(Problem(self.file, where, message, line))


def _label(raw: dict, where: str, out: _Collector, keys: tuple[str, str] = LANGUAGES) -> Label:
    texts = []
    for lang in keys:
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            out.add(f"{where}.{lang}", f"missing or empty {lang} label", raw)
            text = ""
        texts.append(text.strip())
    return Label(*texts)


def _check_keys(raw: Any, section: str, where: str, out: _Collector) -> bool:
    if not isinstance(raw, dict):
        out.add(where, f"expected a mapping, got {type(raw).__name__}", raw)
        return False
    required, optional = _KEYS[section]
    for key in sorted(required - raw.keys()):
        out.add(where, f"missing required key '{key}'", raw)
    for key in sorted(raw.keys() - required - optional):
        out.add(
            where, f"unknown key '{key}' (allowed: {', '.join(sorted(required | optional))})", raw
        )
    return True


def _entries(data: dict, section: str, out: _Collector) -> list[tuple[str, dict]]:
    """The section's entries with a readable location each (`items[PV1]`)."""
    raw = data.get(section)
    if section in MAY_BE_EMPTY and (raw is None or raw == []):
        return []
    if not isinstance(raw, list) or not raw:
        out.add(section, "expected a non-empty list", data)
        return []
    entries = []
    for i, entry in enumerate(raw):
        ident = entry.get("id", entry.get("qnum", i)) if isinstance(entry, dict) else i
        where = f"{section}[{ident}]"
        if _check_keys(entry, section, where, out):
            entries.append((where, entry))
    return entries


def _unique(entries: list[tuple[str, dict]], key: str, section: str, out: _Collector) -> None:
    counts = Counter(e.get(key) for _, e in entries)
    for where, e in entries:
        if counts[e.get(key)] > 1:
            out.add(where, f"duplicate {key} {e.get(key)!r} in {section}", e)


def _scale_values(where: str, raw: dict, root: Path, out: _Collector) -> tuple[ScaleValue, ...]:
    if ("values" in raw) == ("values_from" in raw):
        out.add(where, "give exactly one of 'values' or 'values_from'", raw)
        return ()
    if "values_from" in raw:
        return _values_from_file(where, raw["values_from"], root, out)
    values = []
    if not isinstance(raw["values"], list) or not raw["values"]:
        out.add(f"{where}.values", "expected a non-empty list", raw)
        return ()
    for j, v in enumerate(raw["values"]):
        vwhere = f"{where}.values[{j}]"
        if not isinstance(v, dict):
            out.add(vwhere, "expected a mapping with code, zh, en", raw)
            continue
        unknown = v.keys() - {"code", "zh", "en", "variants", "other_text"}
        if unknown:
            out.add(vwhere, f"unknown key(s) {sorted(unknown)}", v)
        code = v.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            out.add(f"{vwhere}.code", f"code must be an integer, got {code!r}", v)
            continue
        variants = v.get("variants", []) or []
        if not isinstance(variants, list) or not all(isinstance(s, str) for s in variants):
            out.add(f"{vwhere}.variants", "expected a list of strings", v)
            variants = []
        values.append(
            ScaleValue(code, _label(v, vwhere, out), tuple(variants), bool(v.get("other_text")))
        )
    return tuple(values)


def _values_from_file(where: str, spec: Any, root: Path, out: _Collector) -> tuple[ScaleValue, ...]:
    if not isinstance(spec, dict) or not {"file", "code", "zh", "en"} <= spec.keys():
        out.add(f"{where}.values_from", "expected a mapping with file, code, zh, en", spec)
        return ()
    path = root / spec["file"]
    if not path.exists():
        out.add(f"{where}.values_from.file", f"file not found: {spec['file']}", spec)
        return ()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [spec[k] for k in ("code", "zh", "en") if rows and spec[k] not in rows[0]]
    if missing:
        out.add(f"{where}.values_from", f"{spec['file']} has no column(s) {missing}", spec)
        return ()
    values = []
    for n, row in enumerate(rows, start=2):
        try:
            code = int(row[spec["code"]])
        except ValueError:
            out.add(
                f"{where}.values_from",
                f"{spec['file']} row {n}: code {row[spec['code']]!r} is not an integer",
                spec,
            )
            continue
        values.append(ScaleValue(code, Label(row[spec["zh"]], row[spec["en"]])))
    return tuple(values)


def _check_scale(where: str, raw: dict, scale: Scale, out: _Collector) -> None:
    if scale.kind not in SCALE_KINDS:
        out.add(f"{where}.kind", f"unknown kind {scale.kind!r} (one of {SCALE_KINDS})", raw)
    codes = scale.codes
    for code, n in Counter(codes).items():
        if n > 1:
            out.add(where, f"duplicate code {code}", raw)
    if scale.ordinal and codes and list(codes) != list(range(min(codes), min(codes) + len(codes))):
        out.add(where, f"ordinal codes must be consecutive and ascending, got {list(codes)}", raw)
    seen: dict[str, int] = {}
    for v in scale.values:
        for text in {v.label.zh, v.label.en, *v.variants}:
            if text in seen and seen[text] != v.code:
                out.add(where, f"wording {text!r} maps to both {seen[text]} and {v.code}", raw)
            seen[text] = v.code


def _facets(where: str, raw: dict, out: _Collector) -> tuple[Facet, ...]:
    facets = raw.get("facets") or []
    if not isinstance(facets, list):
        out.add(f"{where}.facets", "expected a list", raw)
        return ()
    result = []
    for j, f in enumerate(facets):
        if not isinstance(f, dict) or "id" not in f:
            out.add(f"{where}.facets[{j}]", "expected a mapping with id, zh, en", raw)
            continue
        result.append(Facet(f["id"], _label(f, f"{where}.facets[{f['id']}]", out)))
    for fid, n in Counter(f.id for f in result).items():
        if n > 1:
            out.add(f"{where}.facets", f"duplicate facet id {fid!r}", raw)
    return tuple(result)


def _build_item(
    where: str,
    raw: dict,
    questions: dict[int, Question],
    scales: dict[str, Scale],
    constructs: dict[str, Construct],
    blocks: set[str],
    out: _Collector,
) -> Item | None:
    q = questions.get(raw.get("qnum"))
    if q is None:
        out.add(f"{where}.qnum", f"no question number {raw.get('qnum')!r} in questions", raw)
        return None
    row = raw.get("row")
    if q.type == "matrix":
        if not isinstance(row, int) or isinstance(row, bool) or row < 1:
            out.add(
                f"{where}.row", f"a row of matrix question {q.qnum} needs a row number ≥ 1", raw
            )
        if "scale" in raw:
            out.add(f"{where}.scale", f"matrix rows take question {q.qnum}'s scale; remove it", raw)
        scale_id = q.scale
    else:
        if row is not None:
            out.add(
                f"{where}.row", f"question {q.qnum} is {q.type}, not a matrix: remove 'row'", raw
            )
        scale_id = raw.get("scale")
        if q.type in ("single", "multi") and scale_id is None:
            out.add(f"{where}.scale", f"a {q.type}-choice item needs a scale", raw)
    if scale_id is not None and scale_id not in scales:
        out.add(f"{where}.scale", f"unknown scale {scale_id!r} (known: {', '.join(scales)})", raw)
        scale_id = None
    scale = scales.get(scale_id) if scale_id else None

    construct = raw.get("construct")
    if construct is not None and construct not in constructs:
        out.add(
            f"{where}.construct",
            f"unknown construct {construct!r} (known: {', '.join(constructs)})",
            raw,
        )
        construct = None
    facet = raw.get("facet")
    if facet is not None:
        known = {f.id for f in constructs[construct].facets} if construct else set()
        if facet not in known:
            out.add(
                f"{where}.facet",
                f"facet {facet!r} is not a facet of construct "
                f"{construct!r} (its facets: {sorted(known) or 'none'})",
                raw,
            )
    reverse = raw.get("reverse", False)
    if not isinstance(reverse, bool):
        out.add(f"{where}.reverse", f"expected true or false, got {reverse!r}", raw)
        reverse = False
    if reverse and (scale is None or not scale.ordinal):
        kind = scale.kind if scale else "no"
        out.add(
            f"{where}.reverse",
            f"reverse key on an item with {kind} scale: only ordinal items can be reverse-keyed",
            raw,
        )
    if construct and (scale is None or not scale.ordinal):
        out.add(f"{where}.construct", "items of a construct need an ordinal scale", raw)

    valid_range = raw.get("valid_range")
    if q.type == "number":
        ok = (
            isinstance(valid_range, list)
            and len(valid_range) == 2
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in valid_range)
            and valid_range[0] < valid_range[1]
        )
        if not ok:
            out.add(
                f"{where}.valid_range",
                f"a number item needs valid_range [low, high] with low < high, got {valid_range!r}",
                raw,
            )
            valid_range = None
    elif valid_range is not None:
        out.add(
            f"{where}.valid_range",
            "only number items take a valid_range (choice items are limited by their scale)",
            raw,
        )
        valid_range = None

    expected = None
    if "attention_check" in raw:
        spec = raw["attention_check"]
        expected = spec.get("expected") if isinstance(spec, dict) else None
        if not isinstance(spec, dict) or set(spec) != {"expected"}:
            out.add(f"{where}.attention_check", "expected a mapping {expected: code}", raw)
        if q.type not in ("matrix", "single"):
            out.add(
                f"{where}.attention_check",
                f"question {q.qnum} is {q.type}: attention checks are matrix rows or "
                "stand-alone single-choice questions",
                raw,
            )
        if scale is None or expected not in scale.codes or isinstance(expected, bool):
            codes = list(scale.codes) if scale else []
            out.add(
                f"{where}.attention_check.expected",
                f"expected answer {expected!r} is not a code of the item's scale {codes}",
                raw,
            )
        if construct is not None:
            out.add(f"{where}.construct", "an attention check is not scored in a construct", raw)
    block = raw.get("block", q.block)
    if block not in blocks:
        out.add(f"{where}.block", f"unknown block {block!r}", raw)
    unit = raw.get("type_unit")
    short = _short_label(raw, where, out)
    return Item(
        id=raw["id"],
        qnum=q.qnum,
        block=block,
        type=q.type,
        label=_label(raw, where, out),
        row=row if q.type == "matrix" else None,
        scale=scale_id,
        construct=construct,
        facet=facet,
        reverse=reverse,
        required=bool(raw.get("required", False)),
        valid_range=tuple(valid_range) if valid_range else None,
        unit=_label(unit, f"{where}.type_unit", out) if isinstance(unit, dict) else None,
        attention_expected=expected,
        short=short,
    )


def _short_label(raw: dict, where: str, out: _Collector) -> Label | None:
    """The item's optional ``short: {zh, en}``: it labels a figure row, so it must be short."""
    if "short" not in raw:
        return None
    spec = raw["short"]
    if not isinstance(spec, dict) or set(spec) != set(LANGUAGES):
        out.add(f"{where}.short", f"expected a mapping {{zh: …, en: …}}, got {spec!r}", raw)
        return None
    label = _label(spec, f"{where}.short", out)
    for lang, limit in SHORT_LABEL_MAX.items():
        text = getattr(label, lang)
        if len(text) > limit:
            out.add(
                f"{where}.short.{lang}",
                f"short label has {len(text)} characters (at most {limit}): {text!r}",
                raw,
            )
    return label


def _brief(names, n: int = 8) -> str:
    names = list(names)
    more = f", … ({len(names)} in all)" if len(names) > n else ""
    return ", ".join(map(str, names[:n])) + more if names else "none"


def _logic_conflicts(
    data: dict,
    items: dict[str, Item],
    raw_ids: set,
    scales: dict[str, Scale],
    out: _Collector,
) -> tuple[LogicConflict, ...]:
    """The optional `logic_conflicts` section: rules in terms of the codebook's own items."""
    raw = data.get("logic_conflicts")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        out.add("logic_conflicts", "expected a list of rules {name, zh, en, when, conflicts_with}")
        return ()
    rules = []
    for k, entry in enumerate(raw):
        ident = entry.get("name", k) if isinstance(entry, dict) else k
        where = f"logic_conflicts[{ident}]"
        if not _check_keys(entry, "logic_conflicts", where, out):
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            out.add(f"{where}.name", f"expected a non-empty name, got {name!r}", entry)
            name = str(name)
        when, conflicts = (
            _conditions(entry, key, where, items, raw_ids, scales, out)
            for key in ("when", "conflicts_with")
        )
        rules.append((entry, LogicConflict(name, _label(entry, where, out), when, conflicts)))
    counts = Counter(r.name for _, r in rules)
    for entry, rule in rules:
        if counts[rule.name] > 1:
            out.add(f"logic_conflicts[{rule.name}]", "duplicate rule name", entry)
    return tuple(r for _, r in rules)


def _conditions(
    entry: dict,
    key: str,
    where: str,
    items: dict[str, Item],
    raw_ids: set,
    scales: dict[str, Scale],
    out: _Collector,
) -> tuple[tuple[str, tuple[float, ...]], ...]:
    spec = entry.get(key)
    where = f"{where}.{key}"
    node = spec if getattr(spec, "line", None) else entry
    if not isinstance(spec, dict) or not spec:
        out.add(where, "expected a mapping {item: [codes]} with at least one item", node)
        return ()
    usable = [i for i, it in items.items() if it.type in CONDITION_TYPES]
    conditions = []
    for item_id, codes in spec.items():
        here = f"{where}.{item_id}"
        item = items.get(item_id)
        if item is None:
            if item_id not in raw_ids:  # an item that failed to build is reported already
                out.add(
                    here,
                    f"unknown item {item_id!r} (single/number items: {_brief(usable)})",
                    node,
                )
            continue
        if item.type not in CONDITION_TYPES:
            out.add(
                here,
                f"item {item_id!r} is a {item.type} item; conditions test single-choice or "
                f"number items ({_brief(usable)})",
                node,
            )
            continue
        if not isinstance(codes, list):
            codes = [codes]
        numbers = [c for c in codes if isinstance(c, int | float) and not isinstance(c, bool)]
        if not codes or len(numbers) != len(codes):
            out.add(here, f"expected a non-empty list of codes, got {codes!r}", node)
            continue
        if item.type == "single":
            valid = scales[item.scale].codes if item.scale in scales else ()
            wrong = [c for c in numbers if c not in valid]
            if valid and wrong:
                out.add(
                    here,
                    f"code(s) {wrong} not on scale {item.scale!r} (codes: {list(valid)})",
                    node,
                )
        elif item.valid_range is not None:
            lo, hi = item.valid_range
            wrong = [c for c in numbers if not lo <= c <= hi]
            if wrong:
                out.add(here, f"value(s) {wrong} outside the valid range [{lo}, {hi}]", node)
        conditions.append((item_id, tuple(numbers)))
    return tuple(conditions)


def _check_structure(
    items: list[Item],
    questions: dict[int, Question],
    constructs: dict[str, Construct],
    out: _Collector,
) -> None:
    qnums = sorted(questions)
    if qnums != list(range(1, len(qnums) + 1)):
        out.add("questions", f"question numbers must run 1..{len(qnums)} without gaps, got {qnums}")
    for qnum, q in questions.items():
        rows = [i for i in items if i.qnum == qnum]
        where = f"questions[{qnum}]"
        if not rows:
            out.add(where, "question has no items")
        elif q.type != "matrix" and len(rows) > 1:
            out.add(where, f"a {q.type} question has exactly one item, got {[i.id for i in rows]}")
        elif q.type == "matrix":
            got = sorted(i.row for i in rows if isinstance(i.row, int))
            if got != list(range(1, len(rows) + 1)):
                out.add(where, f"matrix rows must be numbered 1..{len(rows)}, got {got}")
    for cid in constructs:
        scored = [i.id for i in items if i.construct == cid]
        if len(scored) < MIN_ITEMS_PER_CONSTRUCT:
            out.add(
                f"constructs[{cid}]",
                f"construct has {len(scored)} scored item(s) "
                f"{scored}; at least {MIN_ITEMS_PER_CONSTRUCT} are needed",
            )


def parse_codebook(data: Any, file: str = "<codebook>", root: Path = Path(".")) -> Codebook:
    """Validate already-parsed codebook data and build the `Codebook`.

    Raises `ProblemsError` listing every problem found.
    """
    out = _Collector(file)
    if not isinstance(data, dict):
        raise ProblemsError(
            f"Codebook {file} is not valid",
            [Problem(file, "top level", "expected a mapping of sections")],
        )
    allowed = SECTIONS + OPTIONAL_SECTIONS
    for key in sorted(data.keys() - set(allowed)):
        out.add(str(key), f"unknown section (allowed: {', '.join(allowed)})", data)
    meta = data.get("codebook")
    if _check_keys(meta, "codebook", "codebook", out):
        title, intro, closing = (
            _label(meta.get(k) or {}, f"codebook.{k}", out) for k in ("title", "intro", "closing")
        )
    else:
        meta, title = {}, Label("", "")
        intro = closing = title

    sections = {s: _entries(data, s, out) for s in SECTIONS[1:]}
    for s in ("pillars", "blocks", "constructs", "scales", "items"):
        _unique(sections[s], "id", s, out)
    _unique(sections["questions"], "qnum", "questions", out)

    pillars = [Pillar(e["id"], _label(e, w, out)) for w, e in sections["pillars"]]
    blocks = [Block(e["id"], _label(e, w, out)) for w, e in sections["blocks"]]
    pillar_ids, block_ids = {p.id for p in pillars}, {b.id for b in blocks}

    scales: dict[str, Scale] = {}
    for w, e in sections["scales"]:
        scale = Scale(e["id"], e["kind"], _label(e, w, out), _scale_values(w, e, root, out))
        _check_scale(w, e, scale, out)
        scales.setdefault(scale.id, scale)

    constructs: dict[str, Construct] = {}
    for w, e in sections["constructs"]:
        pillar = e.get("pillar")
        if pillar is not None and pillar not in pillar_ids:
            out.add(f"{w}.pillar", f"unknown pillar {pillar!r} (known: {sorted(pillar_ids)})", e)
        if e["role"] not in CONSTRUCT_ROLES:
            out.add(f"{w}.role", f"unknown role {e['role']!r} (one of {CONSTRUCT_ROLES})", e)
        c = Construct(e["id"], _label(e, w, out), pillar, e["role"], _facets(w, e, out))
        constructs.setdefault(c.id, c)

    questions: dict[int, Question] = {}
    for w, e in sections["questions"]:
        qtype, scale = e["type"], e.get("scale")
        if not isinstance(e["qnum"], int) or isinstance(e["qnum"], bool):
            out.add(f"{w}.qnum", f"question number must be an integer, got {e['qnum']!r}", e)
            continue
        if qtype not in QUESTION_TYPES:
            out.add(f"{w}.type", f"unknown type {qtype!r} (one of {QUESTION_TYPES})", e)
        if e["block"] not in block_ids:
            out.add(f"{w}.block", f"unknown block {e['block']!r} (known: {sorted(block_ids)})", e)
        if qtype == "matrix" and scale not in scales:
            out.add(f"{w}.scale", f"a matrix question needs a known scale, got {scale!r}", e)
        elif qtype != "matrix" and scale is not None:
            out.add(f"{w}.scale", "only matrix questions carry a scale; put it on the item", e)
        questions.setdefault(
            e["qnum"], Question(e["qnum"], e["block"], qtype, _label(e, w, out), scale)
        )

    items = []
    for w, e in sections["items"]:
        item = _build_item(w, e, questions, scales, constructs, block_ids, out)
        if item is not None:
            items.append(item)
    _check_structure(items, questions, constructs, out)
    raw_ids = {e.get("id") for _, e in sections["items"]}
    rules = _logic_conflicts(data, {i.id: i for i in items}, raw_ids, scales, out)

    if out.problems:
        raise ProblemsError(f"Codebook {file} is not valid", out.problems)
    items.sort(key=lambda i: (i.qnum, i.row or 0))
    return Codebook(
        id=str(meta["id"]),
        version=str(meta["version"]),
        title=title,
        intro=intro,
        closing=closing,
        pillars=tuple(pillars),
        blocks=tuple(blocks),
        constructs=tuple(constructs.values()),
        scales=scales,
        questions=tuple(questions[q] for q in sorted(questions)),
        items=tuple(items),
        source=file,
        logic_conflicts=rules,
    )


def load_codebook(path: str | Path, root: str | Path | None = None) -> Codebook:
    """Read and validate a codebook YAML file.

    Parameters
    ----------
    path : path of the YAML file.
    root : directory that `values_from` file paths are relative to; default: the parent of the
        codebook's folder (the project root for `codebook/cadre_survey.yaml`).
    """
    path = Path(path)
    root = Path(root) if root is not None else path.resolve().parent.parent
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JianfuError(f"{path}: codebook not found") from None
    except UnicodeDecodeError as exc:
        raise JianfuError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = Problem(
            str(path), "YAML syntax", str(exc.problem), mark.line + 1 if mark else None
        )
        raise ProblemsError(f"Codebook {path} is not valid", [problem]) from None
    return parse_codebook(data, str(path), root)
