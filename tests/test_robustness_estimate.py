"""The estimation core of the specification curve (`jianfu.robustness`): spec validation and
canonicalisation, the analysis sample of a spec, survey effects (recovery of the simulated
truth) and policy effects (equal to the policy stage's output with the default choices).

Unit tests use tiny hand-made frames; the tests marked ``pipeline`` read the outputs of a full
`dvc repro` of the default (simulated) data (`pipeline_project` fixture).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from jianfu.codebook.load import load_codebook
from jianfu.core.errors import JianfuError
from jianfu.core.params import TrackedParams
from jianfu.robustness import (
    CHOICES,
    DEFAULTS,
    EFFECT_COLUMNS,
    MEASURES,
    POLICY_CHOICES,
    SURVEY_CHOICES,
    analysis_sample,
    canonical,
    construct_scores,
    is_redundant,
    load_panel,
    monte_carlo_indirect,
    policy_effects,
    select_sample,
    survey_effects,
    validate,
)
from jianfu.robustness.policy import PARAM_KEYS

# --------------------------------------------------------------------------------------------
# choices


def test_defaults_are_the_pipeline_analysis():
    assert validate({}) == DEFAULTS
    assert validate(None) == DEFAULTS
    assert list(DEFAULTS) == [*SURVEY_CHOICES, *POLICY_CHOICES] == list(CHOICES)
    assert DEFAULTS["speeder_median_share"] == 0.3333
    assert DEFAULTS["cs_baseline"] is True
    # every default is allowed and listed first
    for choice in CHOICES.values():
        if choice.values is not None:
            assert choice.values[0] == choice.default


def test_validate_fills_defaults_and_canonical_types():
    spec = validate({"estimator": "sem", "speeder_median_share": np.float64(0.5)})
    assert spec["estimator"] == "sem" and spec["se"] == "cluster"
    assert type(spec["speeder_median_share"]) is float and spec["speeder_median_share"] == 0.5
    assert validate({"speeder_median_share": 1 / 4})["speeder_median_share"] == 0.25
    assert validate({"cs_baseline": "False"})["cs_baseline"] is False
    assert validate({"cs_baseline": np.bool_(False)})["cs_baseline"] is False
    # se is accepted with every estimator (ignored by mixed and sem)
    for estimator in ("ols", "mixed", "sem"):
        assert validate({"estimator": estimator, "se": "hc3"})["se"] == "hc3"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"estimator": "glm"}, ["estimator", "'glm'", "ols, mixed, sem"]),
        ({"straightliner": "drop"}, ["straightliner", "'drop'", "remove, keep"]),
        ({"se": "HC3"}, ["se", "'HC3'", "cluster, hc3"]),
        ({"cs_control": "last"}, ["cs_control", "notyet, never"]),
        ({"cs_method": "twfe"}, ["cs_method", "dr, reg, ipw"]),
        ({"cs_baseline": "yes"}, ["cs_baseline", "'yes'", "true, false"]),
        ({"cs_baseline": 1}, ["cs_baseline", "true, false"]),
        ({"speeder_median_share": 1.0}, ["speeder_median_share", "between 0 and 1"]),
        ({"speeder_median_share": 0}, ["speeder_median_share", "between 0 and 1"]),
        ({"speeder_median_share": True}, ["speeder_median_share", "True"]),
        ({"speeder_median_share": "0.3"}, ["speeder_median_share", "'0.3'"]),
        ({"speeder_median_share": float("nan")}, ["speeder_median_share"]),
        ({"estimater": "ols"}, ["unknown choice 'estimater'", "did you mean 'estimator'", "se"]),
    ],
)
def test_validate_names_the_bad_key_value_and_the_allowed_values(spec, expected):
    with pytest.raises(JianfuError) as info:
        validate(spec)
    for text in expected:
        assert text in str(info.value)


def test_validate_reports_every_problem_at_once():
    with pytest.raises(JianfuError) as info:
        validate({"scoring": "irt", "controls": "all", "bogus": 1})
    message = str(info.value)
    assert "scoring" in message and "controls" in message and "bogus" in message
    with pytest.raises(JianfuError, match="mapping"):
        validate([("estimator", "ols")])


def test_canonical_and_redundant_specs():
    assert not is_redundant({})
    assert not is_redundant({"estimator": "ols", "se": "hc3"})
    assert is_redundant({"estimator": "mixed", "se": "hc3"})
    assert is_redundant({"estimator": "sem", "se": "hc3"})
    assert is_redundant({"estimator": "sem", "scoring": "factor"})
    assert not is_redundant({"estimator": "mixed", "scoring": "factor"})
    assert is_redundant({"cs_baseline": False, "cs_method": "ipw"})
    assert not is_redundant({"cs_baseline": True, "cs_method": "ipw"})
    assert canonical({"estimator": "mixed", "se": "hc3"}) == validate({"estimator": "mixed"})
    # a grid of the estimation choices keeps one spec per distinct result:
    # ols 2 scorings x 2 SEs, mixed 2 scorings, sem 1
    grid = [
        {"estimator": e, "se": s, "scoring": c}
        for e, s, c in itertools.product(
            ("ols", "mixed", "sem"), ("cluster", "hc3"), ("mean", "factor")
        )
    ]
    kept = [g for g in grid if not is_redundant(g)]
    assert len(kept) == 7
    assert {json.dumps(canonical(g), sort_keys=True) for g in grid} == {
        json.dumps(canonical(g), sort_keys=True) for g in kept
    }
    policy = [
        {"cs_baseline": b, "cs_method": m}
        for b, m in itertools.product((True, False), ("dr", "reg", "ipw"))
    ]
    assert sum(not is_redundant(g) for g in policy) == 4


# --------------------------------------------------------------------------------------------
# Monte Carlo CI of the indirect effect


def test_monte_carlo_is_reproducible_with_a_seed():
    first = monte_carlo_indirect(0.3, 0.05, -0.2, 0.04, seed=7, n_draws=5000)
    again = monte_carlo_indirect(0.3, 0.05, -0.2, 0.04, seed=7, n_draws=5000)
    other = monte_carlo_indirect(0.3, 0.05, -0.2, 0.04, seed=8, n_draws=5000)
    assert first == again
    assert first["ci_low"] != other["ci_low"]
    assert first["estimate"] == other["estimate"] == pytest.approx(-0.06)


def test_monte_carlo_matches_the_product_distribution():
    a, se_a, b, se_b = 0.3, 0.05, -0.2, 0.04
    out = monte_carlo_indirect(a, se_a, b, se_b, seed=1, n_draws=200_000)
    # variance of a product of independent normals (Goodman 1960, exact)
    sd = np.sqrt(a**2 * se_b**2 + b**2 * se_a**2 + se_a**2 * se_b**2)
    assert out["se"] == pytest.approx(sd, rel=0.01)  # MC error of an SD at 200k draws ~0.2 %
    assert out["p"] == pytest.approx(2 * stats.norm.sf(abs(a * b) / out["se"]))
    # with b known exactly the product is normal: the percentile CI is the Wald one
    exact = monte_carlo_indirect(a, se_a, b, 0.0, seed=1, n_draws=200_000)
    z = stats.norm.ppf(0.975)
    assert exact["ci_low"] == pytest.approx(a * b - z * abs(b) * se_a, abs=3e-4)
    assert exact["ci_high"] == pytest.approx(a * b + z * abs(b) * se_a, abs=3e-4)
    # a skewed product: the CI is asymmetric around a·b (why Monte Carlo, not Sobel)
    skew = monte_carlo_indirect(0.1, 0.08, 0.1, 0.08, seed=1, n_draws=200_000)
    assert skew["ci_high"] - 0.01 > 0.01 - skew["ci_low"]
    with pytest.raises(JianfuError, match="ci"):
        monte_carlo_indirect(a, se_a, b, se_b, ci=95)


# --------------------------------------------------------------------------------------------
# the analysis sample on a hand-made frame

CLEAN_PARAMS = {
    "speeder_min_seconds": 180,
    "speeder_median_share": 0.5,  # overridden by the spec (default 0.3333)
    "straightline_min_items": 5,
    "longstring_max": 30,
    "max_missing_share": 0.2,
    "duplicate_person_keys": ["phone_pseudo"],
    "duplicate_min_answers": 20,
    "logic_conflicts": [
        {"name": "young_long_tenure", "when": {"age_band": [1]},
         "conflicts_with": {"tenure_band": [4]}}
    ],
    "actions": {
        "blank_row": "remove", "duplicate": "remove", "speeder": "remove",
        "attention_fail": "remove", "straightliner": "remove", "logic_conflict": "remove",
        "too_many_missing": "remove", "out_of_range": "flag", "shared_ip": "flag",
        "township_unmatched": "flag",
    },
}  # fmt: skip
ITEMS = ["PV1", "PV2", "PV3", "PV4", "RL1", "RL2", "RL3"]
VARIED = [4, 2, 5, 3, 4, 1, 2]
#: row label -> (duration in seconds, the 7 agree5 answers, ATT1, ATT2); ATT1 = 4, ATT2 = 2 pass
TINY = {
    "ok_a": (600, VARIED, 4, 2),
    "speeder_abs": (100, VARIED, 4, 2),  # under 180 s
    "speeder_rel": (190, VARIED, 4, 2),  # under 1/3 of the median (600 s), over 180 s
    "attention": (600, VARIED, 2, 2),  # ATT1 wrong
    "straight": (600, [3] * 7, 4, 2),  # SD 0 over 7 answers of one scale
    "straight_att": (600, [3] * 7, 3, 3),  # straight-lines through the checks too
    "blank": (None, [None] * 7, None, None),
    "ok_b": (600, VARIED[::-1], 4, 2),
}


def _tiny_rows() -> pd.DataFrame:
    records = []
    for k, (label, (seconds, answers, att1, att2)) in enumerate(TINY.items(), start=2):
        row = {
            "file_row": k, "seq": float(k - 1), "label": label,
            "submitted_at": pd.Timestamp("2025-10-13 09:00") + pd.Timedelta(minutes=k),
            "duration_s": seconds, "age_band": 2, "tenure_band": 2,
            "township_match": "unmatched" if label == "blank" else "matched",
            "ATT1": att1, "ATT2": att2,
        }  # fmt: skip
        for item, answer in zip(ITEMS, answers, strict=True):
            row[item] = answer
            row[f"{item}__missing"] = None
        row["reasons"] = "blank_row" if label == "blank" else None
        records.append(row)
    frame = pd.DataFrame(records)
    numeric = ["duration_s", "ATT1", "ATT2", *ITEMS]
    frame[numeric] = frame[numeric].astype("Float64")
    return frame.sample(frac=1.0, random_state=3)  # any input order


@pytest.mark.parametrize(
    ("spec", "kept"),
    [
        ({}, ["ok_a", "ok_b"]),
        ({"speeder_median_share": 0.3}, ["ok_a", "speeder_rel", "ok_b"]),  # 180 s: 190 s is fine
        ({"speeder_median_share": 0.9}, ["ok_a", "ok_b"]),
        ({"straightliner": "keep"}, ["ok_a", "straight", "ok_b"]),
        ({"attention_fail": "keep"}, ["ok_a", "attention", "ok_b"]),
        (
            {"straightliner": "keep", "attention_fail": "keep"},
            ["ok_a", "attention", "straight", "straight_att", "ok_b"],
        ),
    ],
)
def test_sample_rules_follow_the_spec(codebook, spec, kept):
    result = select_sample(_tiny_rows(), codebook, CLEAN_PARAMS, spec)
    assert result.sample["label"].tolist() == kept  # in file_row order, blank row never kept
    assert result.sample.index.tolist() == list(range(len(kept)))
    assert result.summary["rows"] == len(TINY)
    assert result.summary["kept"] + result.summary["removed"] == len(TINY)
    assert "reasons" not in result.sample.columns
    assert set(result.removed["label"]) == set(TINY) - set(kept)
    for rule in ("straightliner", "attention_fail"):
        action = "flag" if spec.get(rule) == "keep" else "remove"
        assert result.summary["actions"][rule] == action
        assert (f"flag_{rule}" in result.sample.columns) == (action == "flag")
    assert analysis_sample(_tiny_rows(), codebook, CLEAN_PARAMS, spec).equals(result.sample)


def test_sample_summary_counts_each_rule(codebook):
    result = select_sample(_tiny_rows(), codebook, CLEAN_PARAMS, {})
    s = result.summary
    assert s["speeder_seconds"] == pytest.approx(0.3333 * 600)  # the spec's share, not params'
    assert s["fired"]["speeder"] == 2 and s["fired"]["blank_row"] == 1
    assert s["fired"]["attention_fail"] == 2 and s["fired"]["straightliner"] == 2
    assert s["removed_by"]["straightliner"] == 2
    assert [f["step"] for f in s["flow"]][:3] == ["blank_row", "duplicate", "speeder"]
    with pytest.raises(JianfuError, match="file_row"):
        select_sample(_tiny_rows().drop(columns=["file_row", "seq"]), codebook, CLEAN_PARAMS, {})
    doubled = pd.concat([_tiny_rows(), _tiny_rows()])
    with pytest.raises(JianfuError, match="repeats"):
        select_sample(doubled, codebook, CLEAN_PARAMS, {})


# --------------------------------------------------------------------------------------------
# the default (simulated) data after a full `dvc repro`


@pytest.fixture(scope="module")
def project(pipeline_project) -> Path:
    return pipeline_project[0]


@pytest.fixture(scope="module")
def params(project) -> dict:
    return yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cb(project):
    return load_codebook(project / "codebook" / "cadre_survey.yaml")


@pytest.fixture(scope="module")
def survey(project) -> dict[str, pd.DataFrame]:
    folder = project / "data" / "processed" / "survey"
    clean = pd.read_parquet(folder / "clean.parquet")
    quarantine = pd.read_parquet(folder / "quarantine.parquet")
    return {"clean": clean, "quarantine": quarantine, "rows": pd.concat([clean, quarantine])}


@pytest.fixture(scope="module")
def default_sample(survey, cb, params) -> pd.DataFrame:
    return analysis_sample(survey["rows"], cb, params["ingest"]["clean"], {})


@pytest.fixture(scope="module")
def truth(project) -> dict:
    return json.loads((project / "data" / "truth" / "survey_truth.json").read_text())["estimands"]


def _effects(sample, cb, params, spec) -> pd.DataFrame:
    return survey_effects(sample, cb, spec, covariates=params["models"]["covariates"])


@pytest.mark.pipeline
def test_default_sample_is_the_ingest_clean_data(default_sample, survey):
    pd.testing.assert_frame_equal(default_sample, survey["clean"].reset_index(drop=True))


@pytest.mark.pipeline
@pytest.mark.parametrize(
    "kept_rules", [("straightliner",), ("attention_fail",), ("straightliner", "attention_fail")]
)
def test_keep_adds_the_rows_removed_only_by_those_rules(survey, cb, params, kept_rules):
    p = params["ingest"]["clean"]
    spec = dict.fromkeys(kept_rules, "keep")
    sample = analysis_sample(survey["rows"], cb, p, spec)
    removing = {r for r, a in p["actions"].items() if a == "remove"}
    reasons = survey["quarantine"]["reasons"].str.split(";").map(set)
    only = survey["quarantine"][[(r & removing) <= set(kept_rules) for r in reasons]]
    assert len(sample) == len(survey["clean"]) + len(only)
    assert set(sample["file_row"]) == set(survey["clean"]["file_row"]) | set(only["file_row"])
    assert sample["file_row"].is_monotonic_increasing
    # on the simulated data every straight-liner also fails an attention check, so keeping
    # straight-liners alone changes nothing (a grid can skip that spec)
    if kept_rules == ("straightliner",):
        assert len(only) == 0
    else:
        assert len(only) > 0


@pytest.mark.pipeline
def test_speeder_share_moves_the_threshold(survey, cb, params):
    p = params["ingest"]["clean"]
    lenient = select_sample(survey["rows"], cb, p, {"speeder_median_share": 0.1})
    strict = select_sample(survey["rows"], cb, p, {"speeder_median_share": 0.5})
    assert lenient.summary["speeder_seconds"] == p["speeder_min_seconds"]
    assert strict.summary["speeder_seconds"] > 300
    assert len(lenient.sample) > len(survey["clean"]) > len(strict.sample)


@pytest.mark.pipeline
def test_factor_scores_are_the_measure_stage_scores(default_sample, cb, project):
    scores = pd.read_parquet(project / "data" / "processed" / "scores.parquet")
    fs = construct_scores(default_sample, cb, "factor")
    mean = construct_scores(default_sample, cb, "mean")
    assert scores["seq"].tolist() == default_sample["seq"].tolist()
    for construct in fs.columns:
        np.testing.assert_allclose(fs[construct], scores[f"fs_{construct}"], atol=1e-8)
        np.testing.assert_allclose(mean[construct], scores[f"mean_{construct}"], atol=1e-12)


@pytest.mark.pipeline
def test_survey_effects_frame(default_sample, cb, params):
    out = _effects(default_sample, cb, params, {})
    assert list(out.columns) == EFFECT_COLUMNS
    assert out["effect"].tolist() == [f"FB<-{x}" for x in MEASURES] + [
        f"SO<-FB<-{x}" for x in MEASURES
    ]
    assert set(out["family"]) == {"survey"} and set(out["scale"]) == {"sd"}
    assert out["kind"].tolist() == ["path"] * 7 + ["indirect"] * 7
    assert out["m"].tolist() == [""] * 7 + ["FB"] * 7
    assert out["n"].dtype == "int64" and set(out["n"]) == {len(default_sample)}
    assert out[["estimate", "se", "ci_low", "ci_high", "p"]].notna().all().all()
    assert ((out["ci_low"] < out["estimate"]) & (out["estimate"] < out["ci_high"])).all()
    # standardized paths: the least-squares fit on z-scored construct scores (covariates raw)
    scores = construct_scores(default_sample, cb, "mean")
    names = [*MEASURES, "DL"]
    z = (scores - scores.mean()) / scores.std()
    design = np.column_stack(
        [np.ones(len(z)), z[names], default_sample[params["models"]["covariates"]].astype(float)]
    )
    coef = np.linalg.lstsq(design, z["FB"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(out["estimate"][:7], coef[1:8], rtol=1e-9)
    # every indirect effect is a·b with the same b (SO<-FB)
    ratio = out["estimate"].to_numpy()[7:] / out["estimate"].to_numpy()[:7]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
    assert -0.3 < ratio[0] < -0.1  # b: burden lowers self-rated service
    # deterministic: same input, identical frame
    pd.testing.assert_frame_equal(out, _effects(default_sample, cb, params, {}))


@pytest.mark.pipeline
def test_se_choice_changes_only_ols_standard_errors(default_sample, cb, params):
    cluster = _effects(default_sample, cb, params, {"se": "cluster"})
    hc3 = _effects(default_sample, cb, params, {"se": "hc3"})
    paths = cluster["kind"] == "path"
    np.testing.assert_allclose(cluster["estimate"], hc3["estimate"], rtol=1e-12)
    assert (cluster.loc[paths, "se"] != hc3.loc[paths, "se"]).all()
    # township clustering (ICC ~0.1) widens most SEs
    assert (cluster.loc[paths, "se"] > hc3.loc[paths, "se"]).sum() >= 5
    # mixed ignores se: the redundant spec gives the identical frame
    mixed = _effects(default_sample, cb, params, {"estimator": "mixed"})
    pd.testing.assert_frame_equal(
        mixed, _effects(default_sample, cb, params, {"estimator": "mixed", "se": "hc3"})
    )


def _misses(out: pd.DataFrame, kind: str, truth: dict[str, float]) -> list[str]:
    rows = out[out["kind"] == kind].set_index("x")
    return [x for x in MEASURES if not rows.at[x, "ci_low"] <= truth[x] <= rows.at[x, "ci_high"]]


@pytest.mark.pipeline
def test_sem_recovers_the_latent_paths_and_indirect_effects(default_sample, cb, params, truth):
    latent = truth["latent_standardized"]
    out = _effects(default_sample, cb, params, {"estimator": "sem"})
    assert set(out["n"]) == {len(default_sample)}  # no missing items in the clean data
    # FB<-X: the truth's structural model also has workload and DE x DL; in the simulation
    # workload is independent of the measures and the product is uncorrelated with them, so
    # the standardized paths of the smaller model are the same estimands.
    # Up to 1 miss of 7: at 95 % each, P(>= 1 miss) = 30 % by chance alone, and ML SEs ignore
    # the township clustering (ICC ~0.1), so they are a little too small (docs/models.md: the
    # full SEM misses 1 of 44). On the default data FC is the miss (-0.114 vs -0.053, 2.2 SE).
    misses = _misses(out, "path", latent["FB"])
    assert len(misses) <= 1, misses
    # SO<-FB<-X: b = the total effect of FB on SO given the measures and DL (direct + via EE
    # and WE; the omitted PSM is uncorrelated with FB's residual given them), so the true
    # indirect effect is a·b with b from the truth's paths. Same allowance, same reasons (the
    # miss is DE, whose a path is also 1.9 SE off).
    s = latent
    b = (
        s["SO"]["FB"]
        + s["EE"]["FB"] * s["SO"]["EE"]
        + s["WE"]["FB"] * s["SO"]["WE"]
        + s["EE"]["FB"] * s["WE"]["EE"] * s["SO"]["WE"]
    )
    assert b == pytest.approx(-0.22, abs=0.01)
    misses = _misses(out, "indirect", {x: latent["FB"][x] * b for x in MEASURES})
    assert len(misses) <= 1, misses


@pytest.mark.pipeline
def test_ols_mean_scores_have_the_observed_score_truth(default_sample, cb, params, truth):
    observed = truth["observed_score"]["FB"]  # raw units of scale means
    out = _effects(default_sample, cb, params, {})
    scores = construct_scores(default_sample, cb, "mean")
    sd = scores.std()
    # the truth in SD units of the sample's scores (the estimates are standardized)
    target = {x: observed[x] * sd[x] / sd["FB"] for x in MEASURES}
    # 95 % CIs: up to 1 miss of 7, as for the SEM (here DE, 1.97 SE off)
    misses = _misses(out, "path", target)
    assert len(misses) <= 1, misses
    paths = out[out["kind"] == "path"].set_index("x")["estimate"]
    assert (paths - pd.Series(target)).abs().max() < 0.07  # rough sizes: within ~2.5 SE


@pytest.mark.pipeline
@pytest.mark.parametrize(
    "spec",
    [{}, {"estimator": "mixed"}, {"estimator": "sem"}, {"scoring": "factor"}, {"controls": "none"}],
)
def test_every_estimator_has_the_signs_of_h1(default_sample, cb, params, truth, spec):
    # H1: every measure but AS lowers formalism burden (true paths -0.05 to -0.15 in SD units;
    # AS is 0 and may go either way)
    out = _effects(default_sample, cb, params, spec)
    paths = out[out["kind"] == "path"].set_index("x")
    indirect = out[out["kind"] == "indirect"].set_index("x")
    for x in MEASURES:
        if abs(truth["latent_standardized"]["FB"][x]) >= 0.03:
            assert paths.at[x, "estimate"] < 0, (x, spec)
            assert indirect.at[x, "estimate"] > 0, (x, spec)  # lower burden, better service
    assert paths["estimate"].abs().max() < 0.25  # SD units: none implausibly large


@pytest.fixture(scope="module")
def panel(project) -> pd.DataFrame:
    return load_panel(project / "data" / "processed" / "panel")


@pytest.fixture(scope="module")
def stage_aggregates(project) -> pd.DataFrame:
    return pd.read_parquet(project / "data" / "processed" / "policy" / "aggregates.parquet")


def _stage_rows(aggregates, out, control, aggregation="simple") -> pd.DataFrame:
    keys = out[["x", "y"]].rename(columns={"x": "measure", "y": "outcome"})
    rows = aggregates[
        (aggregates["estimator"] == f"cs_{control}") & (aggregates["aggregation"] == aggregation)
    ]
    return keys.merge(rows, on=["measure", "outcome"], how="left", validate="one_to_one")


@pytest.mark.pipeline
def test_policy_default_equals_the_policy_stage(panel, params, stage_aggregates):
    out = policy_effects(panel, {}, params["policy"])
    assert list(out.columns) == EFFECT_COLUMNS
    assert out["effect"].tolist() == [
        "ATT:yibiaotong->report_submissions", "ATT:app_clean->app_tasks",
        "ATT:negative_list->documents", "ATT:negative_list->meetings",
        "ATT:duty_list->inspections",
    ]  # fmt: skip
    assert set(out["family"]) == {"policy"} and set(out["kind"]) == {"att"}
    assert set(out["scale"]) == {"outcome units"} and set(out["m"]) == {""}
    assert out["n"].tolist() == [1031, 1031, 1031, 1031, 1001]  # 30 always-treated left out
    stage = _stage_rows(stage_aggregates, out, "notyet")
    for col in ("estimate", "se", "ci_low", "ci_high"):
        source = col if col == "estimate" else f"{col}_unit"  # default: township-level SEs
        np.testing.assert_allclose(out[col], stage[source], rtol=0, atol=1e-10)
    # clustered by district: the stage's se / ci / p columns
    clustered = policy_effects(panel, {"cs_se": "cluster"}, params["policy"])
    for col in ("estimate", "se", "ci_low", "ci_high", "p"):
        np.testing.assert_allclose(clustered[col], stage[col], rtol=0, atol=1e-10)
    assert (clustered["se"] != out["se"]).all()  # cs_se changes the SEs, not the estimates
    np.testing.assert_array_equal(clustered["estimate"], out["estimate"])


@pytest.mark.pipeline
def test_policy_never_treated_controls(panel, params, stage_aggregates):
    notyet = policy_effects(panel, {}, params["policy"])
    never = policy_effects(panel, {"cs_control": "never"}, params["policy"])
    # app clean-up and duty lists: every district adopts, no never-treated controls
    missing = never["estimate"].isna()
    assert never.loc[missing, "x"].tolist() == ["app_clean", "duty_list"]
    assert never[missing][["se", "ci_low", "ci_high", "p"]].isna().all().all()
    assert sum("no never-treated" in n["note"] for n in never.attrs["notes"]) == 2
    ok = ~missing
    assert (never.loc[ok, "estimate"] != notyet.loc[ok, "estimate"]).all()
    stage = _stage_rows(stage_aggregates, never[ok], "never")
    np.testing.assert_allclose(never.loc[ok, "estimate"], stage["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(never.loc[ok, "se"], stage["se_unit"], rtol=0, atol=1e-10)


@pytest.mark.pipeline
def test_policy_baseline_and_method(panel, params):
    pair = [("negative_list", "documents")]
    p = params["policy"]
    with_baseline = {
        m: policy_effects(panel, {"cs_method": m}, p, pairs=pair) for m in ("dr", "reg", "ipw")
    }
    assert len({float(f["estimate"].iloc[0]) for f in with_baseline.values()}) == 3
    without = [
        policy_effects(panel, {"cs_baseline": False, "cs_method": m}, p, pairs=pair)
        for m in ("dr", "reg", "ipw")
    ]
    # no covariate: the three methods are the same estimator (why `canonical` merges them)
    for other in without[1:]:
        pd.testing.assert_frame_equal(other, without[0])
    assert without[0]["estimate"].iloc[0] != with_baseline["dr"]["estimate"].iloc[0]


@pytest.mark.pipeline
def test_policy_lagged_outcome_is_the_stage_from_lag_effect(panel, params, stage_aggregates):
    # hotline satisfaction follows 一表通 after policy.lags months: the stage's from_lag row
    tracked = TrackedParams(params)
    out = policy_effects(panel, {}, tracked["policy"], pairs=["yibiaotong->satisfaction_rate"])
    # the params a stage must declare
    assert tracked.accessed == {f"policy.{key}" for key in PARAM_KEYS}
    lag = params["policy"]["lags"]["satisfaction_rate"]
    stage = _stage_rows(stage_aggregates, out, "notyet", aggregation=f"from_lag_{lag}")
    np.testing.assert_allclose(out["estimate"], stage["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(out["se"], stage["se_unit"], rtol=0, atol=1e-10)
    assert out["n"].iloc[0] == 1031 - 36  # townships with unrated months left out, as the stage
    with pytest.raises(JianfuError, match=r"not in policy\.effects"):
        policy_effects(panel, {}, params["policy"], pairs=[("yibiaotong", "documents")])
