"""One number, one rounding: every number of the report's text is in its ledger
(reports/report_numbers.csv), comes unrounded from the output the ledger names, is printed by
the tables' formatter, and — where the report has a table of that output — is printed the same
way in a table.

On the pipeline's own run (fixture `pipeline_project`). `check_numbers` is also unit-tested on
a made-up report so that the test is known to fail on a typed or re-rounded number.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from jianfu.report.inputs import FILES
from jianfu.tables.formatting import fmt_num, fmt_p

#: a number as the report prints it: −0.11, .974, 2,142, 57.1%, < .001
NUMBER = re.compile(
    r"(?<![0-9A-Za-z_.])[−-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?%?(?![0-9A-Za-z_])"
)
#: what is not a result: citations [3], [7-8]; hypotheses H1; 12345 (the hotline's name);
#: enumerations （1）/(1); years of the cited documents (2019年); dates (fieldwork: checked
#: apart); ATT(g,t); the CI level "95%" (params models.ci); file names and section numbers;
#: "a CI that includes 0" (a rule, not a result)
NOT_RESULTS = [
    r"\[\d+(?:[-–,]\s*\d+)*\]", r"\bH\d\b", r"12345", r"（\d）", r"\(\d\)", r"\d{4}年",
    r"\d{4}-\d{2}-\d{2}", r"ATT\(g,\s?t\)", r"95%", r"第[一二三四五六七]部分",
    r"\b[\w/]+\.(?:md|txt|csv|yaml)\b",
    r"\d+\.\d+ [A-Z]", r"含0", r"(?:ex|in)cludes? 0", r"\bsections? \d+(?:\.\d+)?",
    r"\b(?:a|made) (?:19|20)\d{2}\b", r"\b(?:19|20)\d{2} regulations",
]  # fmt: skip
#: the outputs whose numbers the report also shows in a table
TABLED = {"coefficients", "effects", "aggregates", "pretrends", "cfa_fit", "reliability",
          "cr_ave", "spec_curve_summary"}  # fmt: skip


def numbers_in(text: str) -> list[str]:
    for pattern in NOT_RESULTS:
        text = re.sub(pattern, " ", text)
    return [m.group(0) for m in NUMBER.finditer(text) if re.search(r"\d", m.group(0))]


def _values(root: Path, rel: str) -> list[float]:
    path = root / rel
    if path.suffix == ".json":
        out: list[float] = []

        def walk(x):
            if isinstance(x, dict):
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
            elif isinstance(x, int | float) and not isinstance(x, bool):
                out.append(float(x))

        walk(json.loads(path.read_text(encoding="utf-8")))
        return out
    frame = pd.read_csv(path, encoding="utf-8-sig") if path.suffix == ".csv" else (
        pd.read_parquet(path))  # fmt: skip
    return [float(v) for v in frame.select_dtypes("number").to_numpy().ravel() if pd.notna(v)]


def _printed(value: float, kind: str) -> str:
    if kind == "p":
        return fmt_p(value)
    if kind.startswith("pct"):
        return f"{100 * value:.{int(kind[3:])}f}%"
    return fmt_num(value, kind)


def check_numbers(root: Path, body: str, ledger: pd.DataFrame, table_text: str) -> list[str]:
    """Problems found (empty: all is well)."""
    problems = []
    known = set(ledger["text"])
    for token in numbers_in(body):
        if token not in known:
            problems.append(f"{token!r} in the text is not in the ledger")
    cache: dict[str, list[float]] = {}
    for row in ledger.itertuples(index=False):
        if _printed(row.value, row.kind) != row.text:
            problems.append(f"{row.text!r} is not how {row.value!r} ({row.kind}) prints")
        if row.source.startswith(("derived:", "params:")):
            continue
        rel = FILES[row.source][1]
        values = cache.setdefault(rel, _values(root, rel))
        if not any(math.isclose(row.value, v, rel_tol=1e-9, abs_tol=1e-12) for v in values):
            problems.append(f"{row.text!r} ({row.value!r}) is not a value of {rel}")
        if row.source in TABLED and row.text not in table_text:
            problems.append(f"{row.text!r} from {rel} is in no table of the report")
    return problems


def _docx(path: Path) -> tuple[str, str]:
    """(the text from 摘要/Abstract to the reference list, every table cell)."""
    import docx

    from jianfu.report.document import BODY_STYLE

    document = docx.Document(str(path))
    paras = [(p.text, p.style.name) for p in document.paragraphs]
    start = next(i for i, (t, _) in enumerate(paras) if t in ("摘要", "Abstract"))
    end = next(i for i, (t, _) in enumerate(paras) if t in ("参考文献", "References"))
    body = [t for t, style in paras[start:end] if style == BODY_STYLE]
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(body), "\n".join(cells)


def test_the_check_finds_typed_and_rerounded_numbers(tmp_path):
    rel = FILES["cfa_fit"][1]
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_text(json.dumps({"tli": 0.974459}), encoding="utf-8")
    ledger = pd.DataFrame([{"text": ".974", "value": 0.974459, "kind": "fit", "source": "cfa_fit"}])
    assert check_numbers(tmp_path, "TLI = .974", ledger, "| .974 |") == []
    # a number nobody cited
    assert check_numbers(tmp_path, "TLI = .974, N = 2,142", ledger, ".974") == [
        "'2,142' in the text is not in the ledger"
    ]
    # re-rounding a rounded value: .9745 -> .975 is not a value of the output
    rounded = pd.DataFrame([{"text": ".975", "value": 0.9745, "kind": "fit", "source": "cfa_fit"}])
    problems = check_numbers(tmp_path, "TLI = .975", rounded, ".975")
    assert problems == [f"'.975' (0.9745) is not a value of {rel}"]
    # printed otherwise than the tables' formatter prints it
    odd = ledger.assign(text="0.97")
    assert "'0.97' is not how 0.974459 (fit) prints" in check_numbers(tmp_path, "", odd, "0.97")
    # in the text but in no table
    assert check_numbers(tmp_path, "TLI = .974", ledger, "") == [
        f"'.974' from {rel} is in no table of the report"
    ]


def test_numbers_in_leaves_out_what_is_not_a_result():
    text = (
        "H2（…）：支持。b = −0.11，95%置信区间 [−0.16, −0.06]，p = .263，2,142份，57.1%[3]；"
        "（1）12345热线"
    )
    assert numbers_in(text) == ["−0.11", "−0.16", "−0.06", ".263", "2,142", "57.1%"]


def test_every_number_of_the_report_comes_from_its_output(pipeline_project):
    project = pipeline_project[0]
    body, cells = _docx(project / "reports/report.docx")
    ledger = pd.read_csv(project / "reports/report_numbers.csv", encoding="utf-8-sig")
    assert len(ledger) > 100
    assert check_numbers(project, body, ledger, cells) == []
    # the text quotes the fit indices the fit table prints (not a re-rounded copy)
    fit = json.loads((project / FILES["cfa_fit"][1]).read_text(encoding="utf-8"))
    assert f"TLI = {fmt_num(fit['tli'], 'fit')}" in body


def test_hypotheses_file_matches_the_report(pipeline_project):
    project = pipeline_project[0]
    parts = pd.read_csv(project / "reports/hypotheses.csv", encoding="utf-8-sig")
    metrics = json.loads((project / "metrics/report.json").read_text(encoding="utf-8"))
    body, _ = _docx(project / "reports/report.docx")
    labels = {"supported": "支持", "partial": "部分支持", "not_supported": "不支持",
              "not_tested": "未检验"}  # fmt: skip
    for hid, verdict in metrics["verdicts"].items():
        assert set(parts.loc[parts["hypothesis"] == hid, "hypothesis_verdict"]) == {verdict}
        if verdict != "not_tested":
            assert re.search(rf"{hid}（[^）]*(?:（[^）]*）[^）]*)*）：{labels[verdict]}。", body), (
                hid
            )
