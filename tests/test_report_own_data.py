"""Figures and report on a team's own survey export (data.source: own, issue "Step 11").

The pipeline's outputs (the workspace's own when `dvc repro` has made them, else the session's
`pipeline_project`) are copied into a temporary project; the stages that do not apply to own
data without office records are replaced by what a skipped stage writes (``SKIPPED.json`` in
each output folder, ``{"skipped": reason}`` as its metrics), and the `figures` and `report`
stages run there as the pipeline runs them (``jianfu <stage> --params …``, in a subprocess).
They must succeed, leave out (and list, with the reason) what needs a skipped stage, carry no
"simulated data" notice and say which data the report comes from.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, run_jianfu
from jianfu.core import params as params_mod
from jianfu.core.io import SKIP_FILE
from jianfu.figures import stage as figures_stage
from jianfu.figures.available import skipped_input

#: what the figures and the report read (folders and files, relative to the project root)
NEEDED = [
    "codebook",
    "data/reference",
    "data/interim/fonts",
    "data/processed/survey",
    "data/processed/models",
    "reports/ingest",
    "reports/measure",
    "reports/models",
    "reports/robustness",
    "references",
    # the stages' detail (metrics/*.json holds only their headline numbers)
    "reports/ingest/summary.json",
    "reports/measure/summary.json",
    *(f"metrics/{m}.json" for m in ("ingest", "measure", "models", "spec_survey")),
]
# the stages' own reasons; the Chinese report words them in Chinese (`reason_zh`)
NO_TRUTH = params_mod.NO_TRUTH
NO_ADMIN = params_mod.NO_RECORDS.format(folder="data/own/admin")
NO_TRUTH_ZH, NO_ADMIN_ZH = params_mod.reason_zh(NO_TRUTH), params_mod.reason_zh(NO_ADMIN)
#: stage -> (its output folders, its metrics file), as each writes them when skipped
SKIPPED = {
    "verify_cleaning": (("reports/recovery/cleaning",), "metrics/cleaning_quality.json", NO_TRUTH),
    "simulate": (("data/simulated/survey", "data/truth"), "metrics/simulate.json", NO_TRUTH),
    "ingest (office records)": (("data/processed/admin",), None, NO_ADMIN),
    "survey_recovery": (("reports/recovery/survey",), "metrics/survey_recovery.json", NO_TRUTH),
    "panel": (("data/processed/panel",), "metrics/panel.json", NO_ADMIN),
    "policy": (("data/processed/policy", "reports/policy"), "metrics/policy.json", NO_ADMIN),
    "policy_recovery": (("reports/recovery/policy",), "metrics/policy_recovery.json", NO_TRUTH),
    "spec_policy": ((), "metrics/spec_policy.json", NO_ADMIN),
}
POLICY_FIGURES = {"event_study", "event_study_documents", "workload_trends", "hotline",
                  "district_map", "spec_curve_att"}  # fmt: skip
TRUTH_FIGURES = {"recovery", "policy_recovery"}
#: the number of export files the own-data ingest read (reports/ingest/summary.json survey.files)
FILES_READ = 2


def _built(root: Path) -> bool:
    return all((root / rel).exists() for rel in NEEDED)


def write_skip_markers(project: Path, stages: dict = SKIPPED) -> None:
    """What `jianfu.core.io.write_skipped` leaves for each skipped stage."""
    for stage, (folders, metrics, reason) in stages.items():
        for folder in folders:
            shutil.rmtree(project / folder, ignore_errors=True)
            (project / folder).mkdir(parents=True)
            record = {"stage": stage, "reason": reason}
            (project / folder / SKIP_FILE).write_text(json.dumps(record), encoding="utf-8")
        if metrics:
            (project / metrics).parent.mkdir(parents=True, exist_ok=True)
            (project / metrics).write_text(json.dumps({"skipped": reason}), encoding="utf-8")


def _own_robustness(project: Path) -> None:
    """The curve as `spec_curve` writes it when `spec_policy` was skipped: survey effects only,
    the policy family recorded as skipped in status.json."""
    rob = project / "reports/robustness"
    for name in ("spec_curve.csv", "summary.csv"):
        table = pd.read_csv(rob / name, encoding="utf-8-sig")
        table[table["kind"] != "att"].to_csv(rob / name, index=False, encoding="utf-8-sig")
    status = json.loads((rob / "status.json").read_text(encoding="utf-8"))
    status["families"]["policy"] = {
        "skipped": NO_ADMIN, "specifications": 0, "estimated": 0, "failed": []
    }  # fmt: skip
    (rob / "status.json").write_text(json.dumps(status, indent=1), encoding="utf-8")


def _params(project: Path, **report) -> Path:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"]["source"] = "own"
    params["report"].update(report)
    path = project / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return path


def run_figures(project: Path) -> subprocess.CompletedProcess:
    return run_jianfu(project, "figures", "--params", "params.yaml",
                  "--codebook", "codebook/cadre_survey.yaml", "--fonts", "data/interim/fonts",
                  "--out", "reports/figures", "--metrics", "metrics/figures.json")  # fmt: skip


def run_report(project: Path, params: str = "params.yaml") -> subprocess.CompletedProcess:
    return run_jianfu(project, "report", "--params", params,
                  "--codebook", "codebook/cadre_survey.yaml", "--figures", "reports/figures",
                  "--tables-out", "reports/tables", "--report-docx", "reports/report.docx",
                  "--report-html", "reports/report.html", "--register", "reports/FIGURES.md",
                  "--hypotheses", "reports/hypotheses.csv",
                  "--numbers", "reports/report_numbers.csv",
                  "--metrics", "metrics/report.json")  # fmt: skip


@pytest.fixture(scope="module")
def own(request, tmp_path_factory) -> Path:
    """A project holding the outputs of an own-data run without office records, with the
    figures and the report made by their stages."""
    source = ROOT if _built(ROOT) else request.getfixturevalue("pipeline_project")[0]
    project = tmp_path_factory.mktemp("own")
    for rel in NEEDED:
        copy = shutil.copytree if (source / rel).is_dir() else shutil.copy2
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        copy(source / rel, project / rel)
    write_skip_markers(project)
    _own_robustness(project)
    summary = project / "reports/ingest/summary.json"
    ingest = json.loads(summary.read_text(encoding="utf-8"))
    ingest["survey"]["files"] = FILES_READ
    ingest["admin"] = {}  # as the ingest stage writes it without office records
    summary.write_text(json.dumps(ingest), encoding="utf-8")
    _params(project)
    run_figures(project)
    run_report(project)
    return project


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_figures_leave_out_what_skipped_stages_did_not_make(own):
    manifest = json.loads((own / "reports/figures/figures.json").read_text(encoding="utf-8"))
    left_out = {e["key"]: e["left_out"] for e in manifest if "left_out" in e}
    assert set(left_out) == POLICY_FIGURES | TRUTH_FIGURES
    assert {left_out[k] for k in POLICY_FIGURES} == {NO_ADMIN}
    assert {left_out[k] for k in TRUTH_FIGURES} == {NO_TRUTH}
    drawn = [e for e in manifest if "left_out" not in e]
    assert {e["key"] for e in drawn} == {e.key for e in figures_stage.CATALOGUE} - set(left_out)
    for entry in drawn:
        for lang in ("zh", "en"):
            for fmt in ("png", "pdf", "svg"):
                assert (own / "reports/figures" / entry["files"][lang][fmt]).exists()
        # no params of the simulator in the captions of own data
        assert not any(p.startswith("simulate.") for p in entry["params"])
    for key in left_out:
        for lang in ("zh", "en"):
            assert not list((own / "reports/figures").glob(f"*/{key}_{lang}.*")), key
    metrics = json.loads((own / "metrics/figures.json").read_text(encoding="utf-8"))
    assert metrics["figures"] == len(drawn) and metrics["left_out"] == left_out


def test_report_names_its_data_and_carries_no_simulated_notice(own):
    summary = (own / "reports/ingest/summary.json").read_text(encoding="utf-8")
    rows = json.loads(summary)["survey"]["rows"]
    text = _docx_text(own / "reports/report.docx")
    html = (own / "reports/report.html").read_text(encoding="utf-8")
    page = re.sub(r"<[^>]+>", "", re.sub(r'src="data:[^"]*"', "", html))
    for body in (text, page):
        assert "模拟数据" not in body and "simulated data" not in body.lower()
        assert (
            f"数据来源：课题组自有问卷数据，{rows['in']:,}份答卷（有效{rows['clean']:,}份），"
            f"来自{FILES_READ}个导出文件；未使用行政记录。"
        ) in body
    cover = _docx_text(own / "reports/report.docx").split("\n摘要\n", 1)[0]
    assert "数据来源：课题组自有问卷数据" in cover
    assert 'class="notice"' not in html
    # the skipped parts say why in one sentence; no result of theirs is stated
    assert f"政策效果评估未进行：policy阶段已跳过（{NO_ADMIN_ZH}）。" in text
    assert f"行政记录的面板分析未进行：panel阶段已跳过（{NO_ADMIN_ZH}）。" in text
    assert f"清洗规则与已知脏数据的核对未进行：verify_cleaning阶段已跳过（{NO_TRUTH_ZH}）。" in text
    assert "survey_recovery、policy_recovery阶段已跳过" in text
    assert f"政策评估的规格曲线未进行：spec_policy阶段已跳过（{NO_ADMIN_ZH}）。" in text
    for result in ("ATT =", "H6（", "一表通等措施在落地后数月内", "真值估计目标", "个政策评估规格"):
        assert result not in text, result
    # without office records H6 is not tested (the table says so), not "not supported"; this
    # fixture keeps the simulated run's models (with workload), so H7 is still estimated here
    parts = pd.read_csv(own / "reports/hypotheses.csv", encoding="utf-8-sig")
    verdicts = parts.groupby("hypothesis")["hypothesis_verdict"].first()
    assert verdicts["H6"] == "not_tested"
    assert "（未检验）" in text
    metrics = json.loads((own / "metrics/report.json").read_text(encoding="utf-8"))
    # the metrics count what is left out; reports/FIGURES.md lists it (test_register_…)
    assert metrics["data_source"] == "own" and metrics["left_out"] >= 1
    assert metrics["verdicts"]["H6"] == "not_tested"


def test_register_lists_only_what_exists(own):
    import docx

    register = (own / "reports/FIGURES.md").read_text(encoding="utf-8")
    figures_part, rest = register.split("## Tables")
    tables_part, left_part = rest.split("## Left out")
    figure_rows = re.findall(r"^\| \d+ \|.*$", figures_part, flags=re.M)
    table_rows = re.findall(r"^\| \d+ \|.*$", tables_part, flags=re.M)
    for row in figure_rows:
        for rel in row.rsplit("|", 2)[-2].split(","):
            assert (own / "reports/figures" / rel.strip()).exists(), rel
    names = set()
    for row in table_rows:
        name = re.search(r"reports/tables/(\w+)_\{zh,en\}", row).group(1)
        names.add(name)
        for lang in ("zh", "en"):
            for fmt in ("docx", "tex", "md", "html"):
                assert (own / f"reports/tables/{name}_{lang}.{fmt}").exists()
    assert "did" not in names and not list((own / "reports/tables").glob("did_*"))
    assert len(list((own / "reports/tables").iterdir())) == len(names) * 2 * 4
    for key in POLICY_FIGURES | TRUTH_FIGURES:
        assert f"figure `{key}`" in left_part and key not in figures_part
    assert "table `did`" in left_part
    document = docx.Document(str(own / "reports/report.docx"))
    assert len(document.inline_shapes) == len(figure_rows)
    assert len(document.tables) == len(table_rows)
    html = (own / "reports/report.html").read_text(encoding="utf-8")
    assert html.count("<figure>") == len(figure_rows)


def test_report_without_the_specification_curve_says_why(own, tmp_path):
    """spec_curve skipped too (as any stage can be): no curve, one sentence;
    and the English report reads the same outputs."""
    project = tmp_path / "p"
    shutil.copytree(own, project, ignore=shutil.ignore_patterns("report.*", "tables", "FIGURES.md"))
    reason = "no survey rows to estimate the grid on"
    write_skip_markers(project, {"spec_curve": (("reports/robustness",),
                                                "metrics/spec_curve.json", reason)})  # fmt: skip
    _params(project, language="en")
    run_report(project)
    text = _docx_text(project / "reports/report.docx")
    assert (
        "The robustness analysis (specification curve) is left out: stage spec_curve was "
        f"skipped ({reason})."
    ) in text
    assert "Data: the research team's own survey" in text
    assert "simulated data" not in text.lower()
    assert not list((project / "reports/tables").glob("spec_curve_*"))
    register = (project / "reports/FIGURES.md").read_text(encoding="utf-8")
    shown, left_part = register.split("## Left out")
    assert "spec_curve" not in shown and "table `spec_curve` | reports/robustness" in left_part


@pytest.mark.slow
def test_own_data_figures_are_byte_identical_on_rerun(own, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(own, project)
    run_figures(project)

    def digest(root: Path) -> dict[str, str]:
        folder = root / "reports/figures"
        return {
            p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    assert digest(project) == digest(own)


def _markers(root: Path, stages: dict) -> Path:
    write_skip_markers(root, stages)
    status = root / "reports/robustness/status.json"
    status.parent.mkdir(parents=True, exist_ok=True)
    status.write_text(json.dumps({"families": {"survey": {}, "policy": {}}}), encoding="utf-8")
    return root


def test_plan_with_office_records_but_no_truth(tmp_path):
    """Own data with office records: the policy figures are drawn, the event studies without
    the truth overlay; only the comparisons with the truth are left out."""
    root = _markers(tmp_path, {k: SKIPPED[k] for k in ("survey_recovery", "policy_recovery")})
    drawn, left_out = figures_stage.plan(figures_stage.CATALOGUE, root, "own")
    assert left_out == {"recovery": NO_TRUTH, "policy_recovery": NO_TRUTH}
    events = {e.key: e for e in drawn if e.key.startswith("event_study")}
    assert len(events) == 2
    assert all(figures_stage.AGG_REC not in e.inputs for e in events.values())
    # own data: the truth figures are left out even without markers; simulated: all drawn
    bare = _markers(tmp_path / "b", {})
    drawn, left_out = figures_stage.plan(figures_stage.CATALOGUE, bare, "own")
    assert set(left_out) == TRUTH_FIGURES
    assert set(left_out.values()) == {figures_stage.NO_TRUTH}
    drawn, left_out = figures_stage.plan(figures_stage.CATALOGUE, bare, "simulated")
    assert not left_out and drawn == figures_stage.CATALOGUE


def test_skipped_input_finds_the_nearest_marker(tmp_path):
    write_skip_markers(tmp_path, {"policy": SKIPPED["policy"], "panel": SKIPPED["panel"]})
    assert skipped_input(tmp_path, "data/processed/policy/event_study.parquet") == NO_ADMIN
    assert skipped_input(tmp_path, "data/processed/policy") == NO_ADMIN
    assert skipped_input(tmp_path, "metrics/panel.json") == NO_ADMIN
    assert skipped_input(tmp_path, "data/processed/models/effects.parquet") is None
    (tmp_path / "metrics/ok.json").write_text('{"rows": 1}', encoding="utf-8")
    assert skipped_input(tmp_path, "metrics/ok.json") is None
