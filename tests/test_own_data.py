"""A research team's own survey, end to end (README "Your own survey").

- Unit level (fast): several export files read together (each row keeps its file; duplicates
  across files caught), the export folder and its patterns, office records present / absent /
  incomplete, `jianfu use-data`, the stages that are skipped on own data.
- End to end: the README's commands, run word for word in a clone of a project in which the
  default pipeline has run, with an export derived from the simulator written outside any
  stage output. The export's SHA-256 stays the same after `dvc repro`, `dvc checkout`,
  `dvc exp run`, `git checkout` of another commit and a switch back to the simulated data.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from conftest import ENV, ROOT, clone_with_outputs, dvc, run_git
from jianfu.cli import main
from jianfu.core.errors import JianfuError
from jianfu.core.io import SKIP_FILE, skipped_reason
from jianfu.core.params import load_params
from jianfu.ingest.stage import admin_files
from jianfu.ingest.survey import find_exports
from jianfu.tools.use_data import set_source

#: The README's placeholder for the user's export, replaced by the test's files.
README_EXPORT = "~/Downloads/302594156_按文本_*.xlsx"
TEST_KEY = "0f" * 32


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def readme_commands() -> list[str]:
    """The command block of README "Run the pipeline on your own survey", line by line."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Run the pipeline on your own survey") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README: no bash block under 'Run the pipeline on your own survey'"
    return [line for line in block.group(1).splitlines() if line.strip()]


def split_export(source: Path, dest: Path, n_duplicates: int = 3) -> list[Path]:
    """Two batches of a 问卷星 export (header + half the rows each); the second batch also holds
    copies of the first batch's first `n_duplicates` rows (people who answered twice)."""
    wb = openpyxl.load_workbook(source, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    header, data = rows[0], rows[1:]
    half = len(data) // 2
    batches = [data[:half], data[half:] + data[:n_duplicates]]
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, batch in enumerate(batches, start=1):
        out = openpyxl.Workbook()
        ws = out.active
        ws.append(header)
        for row in batch:
            ws.append(row)
        path = dest / f"302594156_按文本_第{k}批.xlsx"
        out.save(path)
        paths.append(path)
    return paths


# ---- unit level ------------------------------------------------------------------------------


def test_use_data_changes_only_the_source_line():
    text = (ROOT / "params.yaml").read_text(encoding="utf-8")
    own, old = set_source(text, "own")
    assert old == "simulated"
    changed = [(a, b) for a, b in zip(text.splitlines(), own.splitlines(), strict=True) if a != b]
    assert changed == [("  source: simulated", "  source: own")]
    assert set_source(own, "simulated") == (text, "own")
    with pytest.raises(JianfuError, match="no `source:` line"):
        set_source("ingest:\n  source: x\n", "own")


def test_find_exports_reads_every_matching_file_and_names_the_setting(tmp_path):
    folder = tmp_path / "survey"
    folder.mkdir()
    with pytest.raises(JianfuError, match=r"data.survey_files.own.*the folder is empty"):
        find_exports(folder, ["*.xlsx"], key="data.survey_files.own")
    for name in ("b.xlsx", "a.csv", "README.md", "~$a.xlsx", ".hidden.csv"):
        (folder / name).write_text("x", encoding="utf-8")
    found = find_exports(folder, ["*.xlsx", "*.csv"], key="k")
    assert [p.name for p in found] == ["a.csv", "b.xlsx"]
    with pytest.raises(JianfuError, match="does not exist"):
        find_exports(tmp_path / "nope", ["*"], key="k")


def test_office_records_absent_present_or_incomplete(tmp_path):
    folder = tmp_path / "admin"
    folder.mkdir()
    (folder / "README.md").write_text("x", encoding="utf-8")
    assert admin_files(folder) is None
    (folder / "events.csv").write_text("event_id\n", encoding="utf-8")
    with pytest.raises(JianfuError, match=r"incomplete: missing hotline.parquet \(or .csv\)"):
        admin_files(folder)


@pytest.fixture(scope="module")
def simulated_export(pipeline_project):
    project, _, _ = pipeline_project
    return next((project / "data/simulated/survey").glob("*_按文本_*.xlsx"))


@pytest.fixture
def clean_exports(tmp_path, monkeypatch):
    """`process_survey` on export file(s) as own data: the cadre codebook, the default params,
    the township reference and a test de-identification key."""
    from jianfu.codebook.load import load_codebook
    from jianfu.core.reference import read_reference
    from jianfu.ingest.survey import process_survey

    monkeypatch.setenv("JIANFU_DEID_KEY", TEST_KEY)
    params = load_params(ROOT / "params.yaml")
    districts, towns = read_reference(
        ROOT / "data/reference/cq_districts.csv", ROOT / "data/reference/cq_townships_2023.csv"
    )
    cb = load_codebook(ROOT / "codebook/cadre_survey.yaml")

    def run(paths):
        return process_survey(
            paths, cb, towns, params["ingest"], simulated=False, root=tmp_path,
            districts=districts,
        )  # fmt: skip

    return run


def test_several_files_are_read_together_and_duplicates_across_files_caught(
    simulated_export, tmp_path, clean_exports
):
    from jianfu.ingest.survey import survey_report

    batches = split_export(simulated_export, tmp_path / "own", n_duplicates=3)
    one = clean_exports(simulated_export)
    two = clean_exports(batches)
    rows = lambda r: len(r.cleaned.clean) + len(r.cleaned.quarantine)  # noqa: E731
    assert rows(two) == rows(one) + 3 == two.rows_in
    everything = pd.concat([two.cleaned.clean, two.cleaned.quarantine], ignore_index=True)
    assert set(everything["source_file"]) == {p.name for p in batches}
    # every row is identified by its file and its row in that file
    assert not everything.duplicated(["source_file", "file_row"]).any()
    # the three people who answered in both files: the later copies are duplicates
    reasons = two.cleaned.quarantine["reasons"].astype(str)
    assert (
        reasons.str.contains("duplicate").sum()
        >= one.cleaned.quarantine["reasons"].astype(str).str.contains("duplicate").sum() + 3
    )
    report = survey_report(two)
    assert [f["file"] for f in report["files"]] == [p.name for p in batches]
    assert [f["rows_in"] for f in report["files"]] == [len(b.frame) for b in two.raws]


def test_truth_stages_are_skipped_on_own_data(tmp_path, monkeypatch):
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"]["source"] = "own"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), "utf-8")
    monkeypatch.chdir(tmp_path)
    p = str(tmp_path / "params.yaml")
    assert (
        main(
            [
                "verify_cleaning",
                "--params",
                p,
                "--survey",
                "x",
                "--report",
                "x",
                "--truth",
                "x",
                "--out",
                "cleaning",
                "--metrics",
                "m/cleaning.json",
            ]
        )
        == 0
    )
    assert "simulated truth" in skipped_reason(tmp_path / "m/cleaning.json")
    assert [f.name for f in (tmp_path / "cleaning").iterdir()] == [SKIP_FILE]
    assert (
        main(
            [
                "survey_recovery",
                "--params",
                p,
                "--models",
                "x",
                "--truth",
                "x",
                "--out",
                "rec",
                "--metrics",
                "m/rec.json",
            ]
        )
        == 0
    )
    assert [f.name for f in (tmp_path / "rec").iterdir()] == [SKIP_FILE]
    # no office records: the panel says why, and the policy stage passes the reason on
    admin = tmp_path / "admin"
    (admin).mkdir()
    (admin / SKIP_FILE).write_text(
        json.dumps({"stage": "ingest", "reason": "no office records"}), "utf-8"
    )
    assert main(["panel", "--params", p, "--admin", "admin", "--out", "panel",
                 "--metrics", "m/panel.json"]) == 0  # fmt: skip
    assert main(["policy", "--params", p, "--panel", "panel", "--data-out", "pol",
                 "--tables-out", "poltab", "--metrics", "m/policy.json"]) == 0  # fmt: skip
    assert skipped_reason(tmp_path / "pol") == "no office records"
    assert json.loads((tmp_path / "m/policy.json").read_text("utf-8")) == {
        "skipped": "no office records"
    }


# ---- end to end: README "Your own survey", word for word ---------------------------------------


def bash(cwd: Path, line: str, env: dict) -> str:
    proc = subprocess.run(
        ["bash", "-c", line], cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env
    )
    assert proc.returncode == 0, f"README command failed: {line}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.mark.slow
def test_readme_own_survey_word_for_word_leaves_the_export_untouched(
    pipeline_project, simulated_export, tmp_path
):
    """Slow tier: the README's own-data commands run a whole second pipeline on the export
    (~2-3 min); the default tier's own-data tests check reading, cleaning and the report's
    own-data paths on the same export."""
    # bootstrap.py (a README command) reinstalls the environment if its install stamp does not
    # match the lock: never let it do that to the test environment (it would point the
    # editable install at this temporary clone)
    stamp = Path(sys.prefix) / ".jianfu-installed"
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "bootstrap.py")
    bootstrap = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bootstrap)
    if not stamp.exists() or stamp.read_text(encoding="utf-8").strip() != bootstrap.install_stamp():
        pytest.skip(
            "the test environment was not installed by `python3 bootstrap.py` from this lock; "
            "run the tests with `python3 bootstrap.py test`"
        )
    project, _, _ = pipeline_project
    member = clone_with_outputs(project, tmp_path / "member")
    # the export, derived from the simulator, written outside any stage output: two batches
    downloads = split_export(simulated_export, tmp_path / "Downloads")
    want = {p.name: sha256(p) for p in downloads}

    def intact(when: str) -> None:
        got = {p.name: sha256(p) for p in (member / "data/own/survey").glob("*.xlsx")}
        assert got == want, f"the user's export changed after {when}"

    env = {
        **os.environ,
        **ENV,
        # bootstrap.py uses the test environment instead of creating one in the clone
        "JIANFU_VENV": sys.prefix,
        "PATH": str(tmp_path / "bin") + os.pathsep + ENV["PATH"],
    }
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python3").symlink_to(sys.executable)
    venv = member / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "jianfu").symlink_to(Path(sys.executable).parent / "jianfu")

    commands = readme_commands()
    assert commands[0].startswith(f"cp {README_EXPORT} "), commands[0]
    quoted = " ".join(f"'{p}'" for p in downloads)
    log = ""
    for line in commands:
        log += bash(member, line.replace(README_EXPORT, quoted), env)
    intact("dvc repro")

    # the survey stages ran on the two files; the truth and policy stages were skipped
    ingest = json.loads((member / "metrics/ingest.json").read_text(encoding="utf-8"))
    assert ingest["source"] == "own" and ingest["files"] == 2
    assert ingest["rows_in"] == ingest["rows_clean"] + ingest["rows_quarantined"]
    assert "admin_rows_quarantined" not in ingest  # no office records
    detail = json.loads((member / "reports/ingest/summary.json").read_text(encoding="utf-8"))
    assert detail["survey"]["rows"]["in"] == ingest["rows_in"] and detail["admin"] == {}
    for path in ("metrics/cleaning_quality.json", "metrics/survey_recovery.json",
                 "metrics/panel.json", "metrics/policy.json", "metrics/policy_recovery.json",
                 "metrics/spec_policy.json", "reports/recovery/cleaning",
                 "reports/recovery/policy"):  # fmt: skip
        assert skipped_reason(member / path), path
    assert "skipped:" in log
    models = json.loads((member / "metrics/models.json").read_text(encoding="utf-8"))
    assert models and not skipped_reason(member / "metrics/models.json")
    # the township workload (H7) is left out of every spec that names it: counted, and listed
    models_detail = json.loads((member / "reports/models/summary.json").read_text("utf-8"))
    assert models["specs_without_workload"] == len(models_detail["terms_left_out"]) > 0
    assert (member / "reports/report.docx").exists()
    assert not (member / "data/own/survey/SKIPPED.json").exists()

    dvc(member, "checkout", "--force")
    intact("dvc checkout")
    dvc(member, "exp", "run", env={"JIANFU_DEID_KEY": TEST_KEY})
    intact("dvc exp run")

    # git: commit the own-data state, go back to the commit before it and return
    run_git(member, "add", "-A")
    assert not [
        f for f in run_git(member, "ls-files", "data/own").split() if not f.endswith("README.md")
    ]
    run_git(member, "commit", "-qm", "own data")
    run_git(member, "checkout", "-q", "HEAD~1")
    intact("git checkout of another commit")
    run_git(member, "checkout", "-q", "-")

    # back to the simulated data: restored from the cache, the export untouched
    bash(member, ".venv/bin/jianfu use-data simulated", env)
    out = dvc(member, "repro")
    intact("switching back to the simulated data")
    assert "Running stage 'simulate'" not in out
    ingest = json.loads((member / "metrics/ingest.json").read_text(encoding="utf-8"))
    assert ingest["source"] == "simulated"
    assert not skipped_reason(member / "metrics/cleaning_quality.json")
    shutil.rmtree(member / ".venv")


def test_the_same_export_twice_every_row_of_the_copy_is_a_duplicate(
    simulated_export, tmp_path, clean_exports
):
    """Two links' exports both count 序号 from 1: seq is renumbered over the files (the file's
    own 序号 kept in seq_in_file) and the second copy of each person is a duplicate."""

    first, second = tmp_path / "link1.xlsx", tmp_path / "link2.xlsx"
    shutil.copyfile(simulated_export, first)
    shutil.copyfile(simulated_export, second)
    result = clean_exports([first, second])
    rows = pd.concat([result.cleaned.clean, result.cleaned.quarantine], ignore_index=True)
    n = len(result.raws[0].frame)
    assert len(rows) == result.rows_in == 2 * n
    assert not rows["seq"].duplicated().any()
    # each file's own 序号 is kept (blank rows have none)
    per_file = rows.groupby("source_file")["seq_in_file"].apply(lambda s: s.dropna().nunique())
    assert per_file.nunique() == 1 and per_file.iloc[0] > 0.95 * n
    # nobody is in the clean data twice
    assert not result.cleaned.clean.duplicated(["seq_in_file"]).any()


def test_own_office_records_are_read_when_supplied(pipeline_project, tmp_path, monkeypatch):
    """Own survey + own office records in the documented format (data/own/admin/README.md):
    the ingest stage validates them (the panel and policy stages then run on them); the
    folders it reads are left as they were."""
    project, _, _ = pipeline_project
    own = tmp_path / "own"
    (own / "survey").mkdir(parents=True)
    for export in (project / "data/simulated/survey").glob("*_按文本_*.xlsx"):
        shutil.copy2(export, own / "survey" / export.name)
    shutil.copytree(project / "data/simulated/admin", own / "admin")
    # the roll-out table as CSV, as an office would keep it
    rollout = pd.read_parquet(own / "admin/rollout.parquet")
    (own / "admin/rollout.parquet").unlink()
    rollout.to_csv(own / "admin/rollout.csv", index=False, encoding="utf-8")
    before = {p.relative_to(own): sha256(p) for p in own.rglob("*") if p.is_file()}
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["data"]["source"] = "own"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), "utf-8")
    monkeypatch.setenv("JIANFU_DEID_KEY", TEST_KEY)
    monkeypatch.chdir(tmp_path)
    code = main(
        ["ingest", "--params", "params.yaml",
         "--codebook", str(ROOT / "codebook/cadre_survey.yaml"),
         "--districts", str(ROOT / "data/reference/cq_districts.csv"),
         "--townships", str(ROOT / "data/reference/cq_townships_2023.csv"),
         "--simulated-dir", str(tmp_path / "nothing"), "--own-dir", str(own),
         "--data-out", "processed", "--reports-out", "reports", "--metrics", "ingest.json"]
    )  # fmt: skip
    assert code == 0
    metrics = json.loads((tmp_path / "reports/summary.json").read_text(encoding="utf-8"))
    assert metrics["source"] == "own"
    assert set(metrics["admin"]) == {"events", "hotline", "rollout"}
    assert metrics["admin"]["rollout"]["rows_in"] == len(rollout)
    headline = json.loads((tmp_path / "ingest.json").read_text(encoding="utf-8"))
    quarantined = sum(t["rows_quarantined"] for t in metrics["admin"].values())
    assert headline["admin_rows_quarantined"] == quarantined
    assert skipped_reason(tmp_path / "processed/admin") is None
    assert (tmp_path / "processed/admin/rollout.parquet").exists()
    after = {p.relative_to(own): sha256(p) for p in own.rglob("*") if p.is_file()}
    assert after == before


def test_both_downloads_of_one_survey_are_refused(simulated_export, clean_exports):
    """The 按文本 and 按序号 downloads of the same answers in the survey folder: one clear error
    naming both files (reading both would count every respondent twice)."""
    code = next(simulated_export.parent.glob("*_按序号_*.xlsx"))
    with pytest.raises(
        JianfuError, match=r"按文本 and 按序号 downloads of the same answers"
    ) as exc:
        clean_exports([simulated_export, code])
    assert simulated_export.name in str(exc.value) and code.name in str(exc.value)
