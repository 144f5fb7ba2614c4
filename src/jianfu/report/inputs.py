"""What the report reads: every pipeline output it quotes, loaded once, with where it came from.

`Outputs` holds the tables and metrics; `source(key)` tells the stage and file behind a number,
which the report prints in captions and `reports/FIGURES.md`. An output whose stage was skipped
(own data: no simulated truth, no office records; `jianfu.figures.available.skipped_input`) is
not loaded: `Outputs.skipped` holds the stage's one-line reason and the report leaves out what
needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jianfu.codebook.model import Codebook
from jianfu.core.errors import JianfuError
from jianfu.core.io import read_output
from jianfu.figures.available import skipped_input
from jianfu.figures.policy import ESTIMATOR_LABELS, MEASURE_LABELS, OUTCOME_LABELS

#: input key -> (stage, path relative to the project root)
FILES: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "reports/ingest/summary.json"),
    "cleaning_flow": ("ingest", "reports/ingest/cleaning_flow.csv"),
    "cleaning_quality": ("verify_cleaning", "reports/recovery/cleaning/summary.json"),
    "simulate": ("simulate", "data/truth/summary.json"),
    "measure": ("measure", "reports/measure/summary.json"),
    "reliability": ("measure", "reports/measure/reliability.csv"),
    "cr_ave": ("measure", "reports/measure/cr_ave.csv"),
    "fornell_larcker": ("measure", "reports/measure/fornell_larcker.csv"),
    "htmt": ("measure", "reports/measure/htmt_semtools.csv"),
    "cfa_fit": ("measure", "reports/measure/cfa_fit.json"),
    "method_fits": ("measure", "reports/measure/method_factor_fits.csv"),
    "table1_summary": ("models", "reports/models/table1__summary.csv"),
    "table1_correlations": ("models", "reports/models/table1__correlations.csv"),
    "coefficients": ("models", "data/processed/models/coefficients.parquet"),
    "fit": ("models", "data/processed/models/fit.parquet"),
    "effects": ("models", "data/processed/models/effects.parquet"),
    "survey_recovery": ("survey_recovery", "metrics/survey_recovery.json"),
    "panel": ("panel", "metrics/panel.json"),
    "aggregates": ("policy", "data/processed/policy/aggregates.parquet"),
    "pretrends": ("policy", "data/processed/policy/pretrends.parquet"),
    "policy_recovery": ("policy_recovery", "reports/recovery/policy/summary.json"),
    "spec_curve_summary": ("spec_curve", "reports/robustness/summary.csv"),
    "spec_curve_status": ("spec_curve", "reports/robustness/status.json"),
    "survey_clean": ("ingest", "data/processed/survey/clean.parquet"),
}


@dataclass
class Outputs:
    """The loaded outputs (key -> DataFrame or dict) and the project root."""

    root: Path
    data: dict[str, object] = field(default_factory=dict)
    #: key -> why its stage was skipped (the output is not loaded)
    skipped: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str):
        if key in self.skipped:
            raise JianfuError(
                f"{FILES[key][1]}: its stage was skipped ({self.skipped[key]}); the report must "
                "leave out what needs it (a bug in jianfu.report)"
            )
        return self.data[key]

    def has(self, key: str) -> bool:
        """True when `key` was loaded (its stage ran)."""
        return key in self.data

    def source(self, key: str) -> str:
        stage, path = FILES[key]
        return f"{path} (stage {stage})"


def load(root: Path) -> Outputs:
    """Read every file of `FILES` under ``root`` (a clear error for a missing one); the outputs of
    skipped stages are recorded with the reason instead."""
    out = Outputs(root)
    for key, (stage, rel) in FILES.items():
        if (reason := skipped_input(root, rel)) is not None:
            out.skipped[key] = reason
            continue
        path = root / rel
        if not path.exists():
            raise JianfuError(f"{rel}: missing; it is made by the {stage!r} stage (dvc repro)")
        out.data[key] = read_output(root, rel)
    return out


def labels(cb: Codebook) -> dict[str, dict[str, str]]:
    """zh/en labels of constructs, covariates, measures, outcomes and estimators."""
    out = {c.id: {"zh": c.label.zh, "en": c.label.en} for c in cb.constructs}
    out["workload"] = {"zh": "乡镇行政工作量（标准化）", "en": "Township workload (z)"}
    for item in cb.items:
        if item.construct is None:
            out.setdefault(item.id, {"zh": item.label.zh, "en": item.label.en})
    out.update(MEASURE_LABELS)
    out.update(OUTCOME_LABELS)
    out.update(ESTIMATOR_LABELS)
    return out
