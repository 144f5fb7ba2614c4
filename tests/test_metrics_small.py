"""The DVC metrics files hold each stage's headline numbers; the detail is in the stage's folder.

`dvc metrics show` prints one column per metric over all files: with every number of every
stage it was 25,842 characters wide (issue 17). Each stage now writes a few well-named numbers
to ``metrics/<stage>.json`` (its `headline` function) and the full structure it wrote there
before to a ``summary.json`` among its outputs (README, "Metrics"). The unit tests check the
headline functions on small inputs; the pipeline tests check the files the pipeline writes.
"""

from __future__ import annotations

import json

import pytest

from jianfu.codebook import stage as questionnaire
from jianfu.ingest import stage as ingest
from jianfu.ingest import verify
from jianfu.measure import stage as measure
from jianfu.models import stage as models
from jianfu.policy import recovery as policy_recovery
from jianfu.policy import stage as policy
from jianfu.power import stage as power
from jianfu.robustness import curve
from jianfu.simulate import stage as simulate

#: the most leaves (numbers, strings, list elements) a metrics file may hold
MAX_LEAVES = 15
#: metrics file -> (its stage's headline function, the detail file relative to the project)
DETAIL = {
    "questionnaire": (questionnaire.headline, "reports/questionnaire/summary.json"),
    "simulate": (simulate.headline, "data/truth/summary.json"),
    "ingest": (ingest.headline, "reports/ingest/summary.json"),
    "cleaning_quality": (verify.headline, "reports/recovery/cleaning/summary.json"),
    "measure": (measure.headline, "reports/measure/summary.json"),
    "models": (models.headline, "reports/models/summary.json"),
    "policy": (policy.headline, "reports/policy/summary.json"),
    "policy_recovery": (policy_recovery.headline, "reports/recovery/policy/summary.json"),
    "spec_curve": (curve.headline, "reports/robustness/summary.json"),
    "power": (power.headline, "reports/power/summary.json"),
}
#: metrics files kept whole: the specification grid collects every experiment's effects from
#: them through `dvc exp show` (jianfu.robustness.experiments.METRICS) until step 13 replaces
#: the grid with an in-process stage
KEPT_WHOLE = {"spec_survey", "spec_policy"}
#: a key of the old metrics file that must be in its detail file (the moved content)
MOVED_KEY = {
    "questionnaire": ("items_per_construct", "FB"),
    "simulate": ("survey", "dirty_rows", "speeder"),
    "ingest": ("survey", "reasons", "speeder"),
    "cleaning_quality": ("rules", "speeder", "precision"),
    "measure": ("reliability", "FB", "omega"),
    "models": ("specs", "sem", "model", "cfi"),
    "policy": ("pretrend_p_f",),
    "policy_recovery": ("aggregates", "cs_notyet", "simple", "coverage"),
    "spec_curve": ("effects", "FB<-PV", "share_significant"),
    "power": ("indirect",),
}


def leaves(value) -> int:
    """The number of scalar values in a JSON value (a list counts its elements)."""
    if isinstance(value, dict):
        return sum(leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(leaves(v) for v in value)
    return 1


def _read(path):
    return json.loads(path.read_text(encoding="utf-8"))


# --- the headline functions -----------------------------------------------------------------


def test_leaves_counts_scalars_in_dicts_and_lists():
    assert leaves({"a": 1, "b": {"c": [1, 2], "d": None}}) == 4


def test_measure_headline_takes_the_lowest_reliability_and_the_fit():
    detail = {
        "reliability": {"A": {"alpha": 0.9, "omega": 0.85}, "B": {"alpha": 0.8, "omega": None}},
        "cfa": {"cfi": 0.97, "tli": 0.96, "rmsea": 0.03, "srmr": 0.04},
        "kmo": 0.9,
        "efa_factors": 2,
        "harman_first_factor_share": 0.2,
    }
    out = measure.headline(detail)
    assert out["alpha_min"] == 0.8 and out["omega_min"] == 0.85
    assert out["cfi"] == 0.97 and out["harman_share"] == 0.2 and "reliability" not in out


def test_ingest_headline_counts_office_rows_only_when_there_are_records():
    detail = {
        "source": "own",
        "survey": {
            "files": 2,
            "rows": {"in": 10, "clean": 7, "quarantined": 3},
            "reasons": {"speeder": 3},
            "townships": {"by_status": {"unmatched": 1}, "by_method": {}},
        },
        "admin": {},
    }
    out = ingest.headline(detail)
    assert out == {
        "source": "own", "files": 2, "rows_in": 10, "rows_clean": 7, "rows_quarantined": 3,
        "townships_unmatched": 1,
    }  # fmt: skip
    detail["admin"] = {"events": {"rows_quarantined": 4}, "hotline": {"rows_quarantined": 5}}
    assert ingest.headline(detail)["admin_rows_quarantined"] == 9


def test_policy_headline_shares_of_cis_without_0_and_of_rejected_pretrends():
    detail = {
        "att": {
            "m→y": {"cs": {"estimate": -1, "ci": [-2, -0.5]}, "twfe": {"ci": [-1, 1]}},
            "m→z": {"cs": {"estimate": 1, "ci": [None, None]}},
        },
        "pretrend_p_f": {"m→y": {"cs": 0.01, "twfe": 0.5}, "m→z": {"cs": None}},
        "pretrend_p_f_unit": {},
    }
    out = policy.headline(detail)
    assert out == {"pairs": 2, "atts": 3, "atts_ci_without_0": 0.3333, "pretrend_tests": 2,
                   "pretrend_p_below_05": 0.5}  # fmt: skip


def test_models_headline_finds_the_sem_fit_and_counts_indirect_effects():
    detail = {
        "n": 100,
        "specs": {"h1_burden": {"FB": {"r2": 0.2}}, "sem": {"model": {"cfi": 0.99, "rmsea": 0.01}}},
        "indirect_effects": {
            "a": {"estimate": 0.1, "ci": [0.05, 0.2]},
            "b": {"estimate": 0.0, "ci": [-0.1, 0.1]},
        },
        "significant_share": 0.5,
    }
    out = models.headline(detail)
    assert out["sem_cfi"] == 0.99 and out["h1_r2"] == 0.2 and out["specs"] == 2
    assert out["indirect_effects"] == 2 and out["indirect_ci_without_0"] == 1
    assert "specs_without_workload" not in out
    detail["terms_left_out"] = {"h7": "left out"}
    assert models.headline(detail)["specs_without_workload"] == 1


def test_cleaning_headline_lowest_precision_and_recall():
    rule = {"true_positives": 9, "false_positives": 1, "false_negatives": 0}
    detail = {
        "rules": {
            "a": {**rule, "precision": 0.9, "recall": 1.0},
            "b": {**rule, "precision": None, "recall": 0.8},
        },
        "townships": {"matched_correctly": 0.99, "confident_wrong_matches": 0},
    }
    out = verify.headline(detail)
    assert out["precision_min"] == 0.9 and out["recall_min"] == 0.8
    assert out["false_positives"] == 2 and out["rules"] == 2


# --- on the pipeline's outputs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def project(pipeline_project):
    return pipeline_project[0]


def test_every_metrics_file_is_small(project):
    sizes = {p.stem: leaves(_read(p)) for p in sorted((project / "metrics").glob("*.json"))}
    assert set(DETAIL) | KEPT_WHOLE <= set(sizes)
    big = {k: n for k, n in sizes.items() if n > MAX_LEAVES and k not in KEPT_WHOLE}
    assert not big, f"metrics files with more than {MAX_LEAVES} values: {big}"


@pytest.mark.parametrize("name", sorted(DETAIL))
def test_the_detail_is_in_the_stage_outputs_and_gives_the_headline(project, name):
    headline, rel = DETAIL[name]
    detail = _read(project / rel)
    node = detail
    for key in MOVED_KEY[name]:
        assert key in node, (rel, MOVED_KEY[name])
        node = node[key]
    assert leaves(detail) > leaves(_read(project / f"metrics/{name}.json"))
    assert _read(project / f"metrics/{name}.json") == headline(detail)
