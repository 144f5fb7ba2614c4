"""The questionnaire codebook: schema validation with located errors, and the default instrument."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jianfu.codebook import load_codebook
from jianfu.codebook.render import render_docx, render_markdown
from jianfu.core.errors import ProblemsError
from jianfu.core.io import save_docx

TINY = """\
codebook:
  id: tiny
  version: "0.1"
  title: {zh: 测试问卷, en: Test survey}
  intro: {zh: 说明, en: Intro}
  closing: {zh: 谢谢, en: Thanks}
pillars:
  - {id: synergy, zh: 合力机制, en: Synergy}
blocks:
  - {id: A, zh: 基本情况, en: Background}
  - {id: D, zh: 措施, en: Measures}
  - {id: J, zh: 注意力检测, en: Attention checks}
constructs:
  - {id: DM, zh: 精文减会, en: Fewer documents and meetings, pillar: synergy, role: measure}
scales:
  - id: agree5
    kind: ordinal
    zh: 同意程度
    en: Agreement
    values:
      - {code: 1, zh: 非常不同意, en: Strongly disagree}
      - {code: 2, zh: 不同意, en: Disagree}
      - {code: 3, zh: 一般, en: Neutral, variants: [说不清楚]}
      - {code: 4, zh: 同意, en: Agree, variants: [比较符合]}
      - {code: 5, zh: 非常同意, en: Strongly agree}
  - id: gender
    kind: nominal
    zh: 性别
    en: Gender
    values:
      - {code: 1, zh: 男, en: Male}
      - {code: 2, zh: 女, en: Female}
questions:
  - {qnum: 1, block: A, type: single, zh: 您的性别, en: Your gender}
  - {qnum: 2, block: A, type: number, zh: 上月会议次数, en: Meetings last month}
  - {qnum: 3, block: D, type: matrix, scale: agree5, zh: 请判断, en: Please rate}
items:
  - {id: gender, qnum: 1, scale: gender, zh: 性别, en: Gender}
  - {id: meetings, qnum: 2, valid_range: [0, 100], type_unit: {zh: 次, en: times}, zh: 会议, en: Meetings}
  - {id: DM1, qnum: 3, row: 1, construct: DM, zh: 会议更少了, en: Fewer meetings}
  - {id: DM2, qnum: 3, row: 2, construct: DM, zh: 文件更短了, en: Shorter documents}
  - {id: DM3, qnum: 3, row: 3, construct: DM, reverse: true, zh: 陪会仍然很多, en: Still many meetings to sit in}
  - {id: ATT1, qnum: 3, row: 4, block: J, attention_check: {expected: 4}, zh: 此题请选择“同意”, en: Choose Agree}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook" / "tiny.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_tiny_codebook_loads(tmp_path):
    cb = load_codebook(_write(tmp_path, TINY))
    assert [i.id for i in cb.construct_items("DM")] == ["DM1", "DM2", "DM3"]
    assert cb.item("DM3").reverse and cb.scales["agree5"].reverse(5) == 1
    assert cb.item("ATT1").attention_expected == 4 and cb.item("ATT1").block == "J"
    assert cb.valid_range(cb.item("meetings")) == (0, 100)
    assert cb.valid_range(cb.item("DM1")) == (1, 5)
    assert cb.scales["agree5"].text_to_code()["比较符合"] == 4


#: TINY with a stand-alone attention check (a single-choice question of its own) in block A.
STANDALONE = TINY.replace(
    "  - {qnum: 3, block: D,",
    "  - {qnum: 4, block: A, type: single, zh: 此题请选择“非常不同意”, en: Choose Strongly disagree}\n"
    "  - {qnum: 3, block: D,",
) + (
    "  - {id: ATT2, qnum: 4, scale: agree5, attention_check: {expected: 1}, required: true,"
    " zh: 此题请选择“非常不同意”, en: Choose Strongly disagree}\n"
)


def test_standalone_attention_check_loads(tmp_path):
    cb = load_codebook(_write(tmp_path, STANDALONE))
    check = cb.item("ATT2")
    assert check.type == "single" and check.block == "A" and check.attention_expected == 1
    assert [i.id for i in cb.attention_checks] == ["ATT1", "ATT2"]
    assert check not in cb.construct_items("DM")


def test_standalone_attention_check_problems(tmp_path):
    broken = STANDALONE.replace("attention_check: {expected: 1}", "attention_check: {expected: 7}")
    broken = broken.replace(
        "{id: meetings, qnum: 2,", "{id: meetings, qnum: 2, attention_check: {expected: 3},"
    )
    with pytest.raises(ProblemsError) as exc:
        load_codebook(_write(tmp_path, broken))
    wheres = {(p.where, p.message) for p in exc.value.problems}
    assert any(w == "items[ATT2].attention_check.expected" and "7" in m for w, m in wheres)
    assert any(w == "items[meetings].attention_check" and "number" in m for w, m in wheres)


RULES = """\
logic_conflicts:
  - name: men_many_meetings
    zh: 测试规则
    en: Test rule
    when: {gender: [1]}
    conflicts_with: {meetings: [90, 100]}
"""


def test_logic_conflicts_in_terms_of_the_codebook_items(tmp_path):
    cb = load_codebook(_write(tmp_path, TINY + RULES))
    (rule,) = cb.logic_conflicts
    assert rule.name == "men_many_meetings" and rule.label.en == "Test rule"
    assert rule.when == (("gender", (1,)),) and rule.conflicts_with == (("meetings", (90, 100)),)
    assert load_codebook(_write(tmp_path, TINY)).logic_conflicts == ()  # no section, no rules


def test_logic_conflict_problems_are_located(tmp_path):
    broken = (
        RULES.replace("{gender: [1]}", "{gender: [3], age_band: [1]}").replace(
            "{meetings: [90, 100]}", "{meetings: [900], DM1: [1]}"
        )
        + "  - {name: men_many_meetings, zh: 重复, en: Duplicate, when: {gender: [1]},"
        " conflicts_with: gender}\n"
    )
    with pytest.raises(ProblemsError) as exc:
        load_codebook(_write(tmp_path, TINY + broken))
    found = {p.where: (p.message, p.line) for p in exc.value.problems}
    first = len(TINY.splitlines()) + 2  # the line of the first rule
    expected = {
        "logic_conflicts[men_many_meetings].when.gender": "code(s) [3] not on scale 'gender'",
        "logic_conflicts[men_many_meetings].when.age_band": "unknown item 'age_band'",
        "logic_conflicts[men_many_meetings].conflicts_with.meetings": "outside the valid range",
        "logic_conflicts[men_many_meetings].conflicts_with.DM1": "is a matrix item",
        "logic_conflicts[men_many_meetings].conflicts_with": "expected a mapping",
        "logic_conflicts[men_many_meetings]": "duplicate rule name",
    }
    for where, message in expected.items():
        assert where in found and message in found[where][0], (where, found)
    assert found["logic_conflicts[men_many_meetings].when.gender"][1] == first + 3


def test_every_problem_is_reported_at_once_with_its_line(tmp_path):
    broken = (
        TINY.replace(
            "construct: DM, zh: 会议更少了", "construct: DM, zh: 会议更少了, scale: agree7"
        )
        .replace("id: DM2,", "id: DM1,")
        .replace(
            "{id: gender, qnum: 1, scale: gender,",
            "{id: gender, qnum: 1, scale: gender, reverse: true,",
        )
        .replace("row: 3, construct: DM, reverse: true,", "row: 3, reverse: true,")
        .replace("qnum: 2, valid_range: [0, 100],", "qnum: 2, valid_range: [100, 0],")
        .replace("attention_check: {expected: 4}", "attention_check: {expected: 9}")
    )
    with pytest.raises(ProblemsError) as exc:
        load_codebook(_write(tmp_path, broken))
    text = str(exc.value)
    expected = {
        "items[DM1].scale": "matrix rows take question 3's scale",
        "items[DM1]": "duplicate id 'DM1'",
        "items[gender].reverse": "reverse key on an item with nominal scale",
        "constructs[DM]": "construct has 2 scored item(s)",
        "items[meetings].valid_range": "low < high",
        "items[ATT1].attention_check.expected": "expected answer 9",
    }
    for where, message in expected.items():
        assert any(p.where == where and message in p.message for p in exc.value.problems), (
            where,
            text,
        )
    # every item-level problem points at the line of the offending entry
    lines = TINY.splitlines()
    gender_line = next(n for n, ln in enumerate(lines, 1) if ln.startswith("  - {id: gender"))
    problem = next(p for p in exc.value.problems if p.where == "items[gender].reverse")
    assert problem.line == gender_line
    assert f"tiny.yaml:{gender_line}: items[gender].reverse" in text


def test_unknown_keys_and_sections_are_named(tmp_path):
    broken = (
        TINY.replace("  - {id: DM1, qnum: 3,", "  - {id: DM1, qnun: 3, qnum: 3,") + "extra: 1\n"
    )
    with pytest.raises(ProblemsError) as exc:
        load_codebook(_write(tmp_path, broken))
    wheres = {p.where: p.message for p in exc.value.problems}
    assert "unknown key 'qnun'" in wheres["items[DM1]"]
    assert "unknown section" in wheres["extra"]


def test_yaml_syntax_error_is_located(tmp_path):
    with pytest.raises(ProblemsError, match=r"tiny\.yaml:\d+: YAML syntax"):
        load_codebook(_write(tmp_path, TINY.replace("zh: 谢谢, en: Thanks}", "zh: 谢谢, en: [")))


def test_cli_reports_problems_without_traceback(tmp_path):
    path = _write(tmp_path, TINY.replace("scale: gender,", "scale: sex,"))
    proc = subprocess.run(
        [sys.executable, "-m", "jianfu", "check-codebook", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert proc.returncode == 2
    assert "unknown scale 'sex'" in proc.stderr and "Traceback" not in proc.stderr


def test_markdown_and_docx_render_every_item(tmp_path):
    cb = load_codebook(_write(tmp_path, TINY))
    md = render_markdown(cb, "zh")
    for item in cb.items:
        if item.type == "matrix":
            assert item.label.zh in md
    assert "**3、请判断（矩阵单选，每行选一项）**" in md
    assert "| 4. 此题请选择“同意” | ○ | ○ | ○ | ○ | ○ |" in md
    first, second = tmp_path / "a.docx", tmp_path / "b.docx"
    save_docx(render_docx(cb), first)
    save_docx(render_docx(cb), second)
    assert first.read_bytes() == second.read_bytes(), "the Word file must be byte-reproducible"


# --- the project's own questionnaire -------------------------------------------------------


def test_default_codebook_covers_the_research_design(codebook):
    constructs = {c.id: c for c in codebook.constructs}
    measures = {"PV", "RL", "DM", "DE", "FC", "FT", "AS"}
    assert measures <= constructs.keys()
    assert {"FB", "EE", "WE", "SO", "DL", "PSM"} <= constructs.keys()
    pillar_of = {c: constructs[c].pillar for c in measures}
    assert pillar_of == {
        "PV": "achievement",
        "RL": "synergy",
        "DM": "synergy",
        "DE": "synergy",
        "FC": "supervision",
        "FT": "supervision",
        "AS": "supervision",
    }
    for c in constructs:
        assert len(codebook.construct_items(c)) >= 3, c
    # formalism burden: 4 facets x 2 items, one reverse-keyed item per facet
    fb = codebook.construct_items("FB")
    assert len(fb) == 8
    for facet in constructs["FB"].facets:
        in_facet = [i for i in fb if i.facet == facet.id]
        assert len(in_facet) == 2 and sum(i.reverse for i in in_facet) == 1, facet.id
    checks = codebook.attention_checks
    assert len(checks) == 2 and len({i.qnum for i in checks}) == 2
    assert all(i.block == "J" for i in checks)
    assert len(codebook.scales["district"].values) == 38


def test_default_codebook_labels_and_ranges(codebook):
    for item in codebook.items:
        assert item.label.zh and item.label.en, item.id
        if item.type == "number":
            assert item.valid_range and item.unit, item.id
        if item.type in ("single", "multi", "matrix"):
            assert codebook.valid_range(item) is not None, item.id


def test_item_short_labels_are_optional_and_checked(tmp_path):
    short = TINY.replace(
        "zh: 会议更少了, en: Fewer meetings}",
        "zh: 会议更少了, en: Fewer meetings, short: {zh: 会议少, en: Fewer}}",
    )
    cb = load_codebook(_write(tmp_path, short))
    assert (cb.item("DM1").short.zh, cb.item("DM1").short.en) == ("会议少", "Fewer")
    assert cb.item("DM2").short is None
    broken = short.replace("short: {zh: 会议少, en: Fewer}", f"short: {{zh: {'长' * 19}, en: ''}}")
    broken = broken.replace(
        "zh: 文件更短了, en: Shorter documents}",
        "zh: 文件更短了, en: Shorter documents, short: 文件短}",
    )
    with pytest.raises(ProblemsError) as exc:
        load_codebook(_write(tmp_path, broken))
    wheres = {p.where: p.message for p in exc.value.problems}
    assert "19 characters (at most 18)" in wheres["items[DM1].short.zh"]
    assert "empty en label" in wheres["items[DM1].short.en"]
    assert "expected a mapping" in wheres["items[DM2].short"]


def test_default_codebook_gives_every_scored_item_a_short_label(codebook):
    for construct in codebook.constructs:
        for item in codebook.construct_items(construct.id):
            assert item.short is not None, item.id
            assert len(item.short.zh) < len(item.label.zh), item.id
            assert len(item.short.en) < len(item.label.en), item.id
