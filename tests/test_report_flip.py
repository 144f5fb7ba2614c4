"""A simulated effect set to zero changes the verdict and the sentence (issue 17's flip test).

`dvc exp run -S simulate.survey.model.paths.FB.workload=0` in a clone of the pipeline's run:
the simulator draws the survey without the township-workload path (H7), every stage after it
reruns, and the report must stop saying that workload raises burden. The office records are
not self-reported, so no common-method variance can keep the estimate significant.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import clone_with_outputs, dvc

PATH = "simulate.survey.model.paths.FB.workload"


def _h7(project) -> tuple[pd.Series, str]:
    import docx

    parts = pd.read_csv(project / "reports/hypotheses.csv", encoding="utf-8-sig")
    row = parts[parts["hypothesis"] == "H7"].iloc[0]
    document = docx.Document(str(project / "reports/report.docx"))
    text = next(p.text for p in document.paragraphs if p.text.startswith("H7（"))
    return row, text


@pytest.mark.slow
def test_flipping_a_simulated_effect_to_zero_flips_verdict_and_sentence(pipeline_project, tmp_path):
    project = clone_with_outputs(pipeline_project[0], tmp_path / "flip")
    before, text_before = _h7(project)
    assert before["verdict"] == "supported" and before["estimate"] > 0
    assert "：支持。" in text_before and "显著提高形式主义负担" in text_before

    dvc(project, "exp", "run", "-S", f"{PATH}=0")

    after, text_after = _h7(project)
    assert after["ci_low"] < 0 < after["ci_high"], after
    assert after["verdict"] == "not_supported" and after["reason"] == "ci_includes_0"
    assert "：不支持。" in text_after
    assert "对形式主义负担的影响不显著" in text_after
    assert "显著提高" not in text_after
    metrics = json.loads((project / "metrics/report.json").read_text(encoding="utf-8"))
    assert metrics["verdicts"]["H7"] == "not_supported"
