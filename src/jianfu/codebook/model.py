"""The questionnaire codebook as typed, immutable records.

The YAML file in `codebook/` is the single source of truth for items, scales, reverse keys,
labels (zh/en) and valid ranges; `jianfu.codebook.load` validates it and builds these records.
Every stage that needs to know about an item asks the `Codebook`, never a hard-coded list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Languages every label is given in.
LANGUAGES = ("zh", "en")
QUESTION_TYPES = ("single", "multi", "number", "text", "matrix")
SCALE_KINDS = ("ordinal", "nominal")
CONSTRUCT_ROLES = ("measure", "burden", "state", "outcome", "moderator")


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ScaleValue:
    code: int
    label: Label
    variants: tuple[str, ...] = ()
    other_text: bool = False


@dataclass(frozen=True)
class Scale:
    id: str
    kind: str
    label: Label
    values: tuple[ScaleValue, ...]

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(v.code for v in self.values)

    @property
    def ordinal(self) -> bool:
        return self.kind == "ordinal"

    def text_to_code(self) -> dict[str, int]:
        """Every accepted wording (zh, en, variants) mapped to its code."""
        out: dict[str, int] = {}
        for v in self.values:
            for text in (v.label.zh, v.label.en, *v.variants):
                out[text] = v.code
        return out

    def reverse(self, code: int) -> int:
        """The reverse-keyed code (1↔5 on agree5, 0↔6 on freq7)."""
        return min(self.codes) + max(self.codes) - code


@dataclass(frozen=True)
class Facet:
    id: str
    label: Label


@dataclass(frozen=True)
class Construct:
    id: str
    label: Label
    pillar: str | None
    role: str
    facets: tuple[Facet, ...] = ()


@dataclass(frozen=True)
class Pillar:
    id: str
    label: Label


@dataclass(frozen=True)
class Block:
    id: str
    label: Label


@dataclass(frozen=True)
class Question:
    qnum: int
    block: str
    type: str
    text: Label
    scale: str | None = None


@dataclass(frozen=True)
class Item:
    """One analysis variable: a matrix row, or the single answer of a question."""

    id: str
    qnum: int
    block: str
    type: str
    label: Label
    row: int | None = None
    scale: str | None = None
    construct: str | None = None
    facet: str | None = None
    reverse: bool = False
    required: bool = False
    valid_range: tuple[float, float] | None = None
    unit: Label | None = None
    attention_expected: int | None = None
    #: a short form of the wording for figure rows and narrow tables (codebook key ``short``)
    short: Label | None = None

    @property
    def is_attention_check(self) -> bool:
        return self.attention_expected is not None

    @property
    def header(self) -> str:
        """The question-number prefix a 问卷星 export gives this item's column (`12、`)."""
        return f"{self.qnum}、"


@dataclass(frozen=True)
class LogicConflict:
    """Answers that cannot both be true: a respondent matching every condition of `when` and
    every condition of `conflicts_with` is flagged by the cleaning rule ``logic_conflict``.

    Each condition is ``(item id, codes)``: the item's answer is one of these codes (choice
    items: codes of the item's scale; number items: values within its valid range).
    """

    name: str
    label: Label
    when: tuple[tuple[str, tuple[float, ...]], ...]
    conflicts_with: tuple[tuple[str, tuple[float, ...]], ...]

    @property
    def conditions(self) -> tuple[tuple[str, tuple[float, ...]], ...]:
        return self.when + self.conflicts_with

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item for item, _ in self.conditions))


@dataclass(frozen=True)
class Codebook:
    id: str
    version: str
    title: Label
    intro: Label
    closing: Label
    pillars: tuple[Pillar, ...]
    blocks: tuple[Block, ...]
    constructs: tuple[Construct, ...]
    scales: dict[str, Scale] = field(repr=False)
    questions: tuple[Question, ...] = field(repr=False)
    items: tuple[Item, ...] = field(repr=False)
    source: str = ""
    logic_conflicts: tuple[LogicConflict, ...] = field(default=(), repr=False)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def construct(self, construct_id: str) -> Construct:
        for c in self.constructs:
            if c.id == construct_id:
                return c
        raise KeyError(construct_id)

    def construct_items(self, construct_id: str) -> tuple[Item, ...]:
        """The scored items of a construct, in questionnaire order (attention checks excluded)."""
        return tuple(i for i in self.items if i.construct == construct_id)

    def question_items(self, qnum: int) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.qnum == qnum)

    @property
    def attention_checks(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.is_attention_check)

    def valid_range(self, item: Item) -> tuple[float, float] | None:
        """The valid answers of an item: its explicit range, else its scale's codes."""
        if item.valid_range is not None:
            return item.valid_range
        if item.scale is not None:
            codes = self.scales[item.scale].codes
            return (min(codes), max(codes))
        return None
