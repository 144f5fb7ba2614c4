"""The simulated survey honours its parameters and looks like a real 问卷星 export.

The default-size survey is drawn once per session (a few seconds); tolerances are stated per
quantity with the reason (sampling error at n ≈ 2,400, or Monte-Carlo error of the population).
"""

from __future__ import annotations

import copy
import hashlib
import re
from argparse import Namespace

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import CODEBOOK, ROOT
from jianfu.core.params import TrackedParams
from jianfu.simulate import generate, stage
from jianfu.simulate.export import DIRT_KINDS
from jianfu.simulate.frame import build_frame, read_reference
from jianfu.simulate.survey import icc_anova, score_means

DISTRICTS = ROOT / "data" / "reference" / "cq_districts.csv"
TOWNSHIPS = ROOT / "data" / "reference" / "cq_townships_2023.csv"


def default_params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


def run_stage(tmp_path, params: dict) -> Namespace:
    args = Namespace(
        codebook=CODEBOOK,
        districts=DISTRICTS,
        townships=TOWNSHIPS,
        survey_out=tmp_path / "survey",
        admin_out=tmp_path / "admin",
        truth_out=tmp_path / "truth",
        metrics=tmp_path / "metrics.json",
    )
    stage.run(args, TrackedParams(params))
    return args


def small(params: dict, seed: int | None = None) -> dict:
    """The default params with a small design and a thin office log (for fast tests)."""
    p = copy.deepcopy(params)
    s = p["simulate"]
    s["survey"]["design"]["districts_per_stratum"] = {
        "主城都市区": 2,
        "渝东北三峡库区城镇群": 1,
        "渝东南武陵山区城镇群": 1,
    }
    s["survey"]["design"]["townships_per_district"] = 2
    s["survey"]["model"]["population_size"] = 20_000
    s["admin"]["events_scale"] = 0.0005  # ≈ 120k events
    s["admin"]["hotline"]["tickets_per_10k_residents"] = 0.2
    if seed is not None:
        s["seed"] = seed
    return p


@pytest.fixture(scope="module")
def drawn(codebook):
    p = default_params()["simulate"]
    districts, townships = read_reference(DISTRICTS, TOWNSHIPS)
    units = build_frame(
        districts, townships, p["frame"], generate.component_rng(p["seed"], "frame")
    )
    return units, generate.simulate_survey(codebook, units, p["survey"], p["seed"]), p["survey"]


def _clean(draw) -> pd.DataFrame:
    dirty_ids = set(draw.dirt["response_id"])
    a = draw.answers
    return a[a["duplicate_of"].isna() & ~a["response_id"].isin(dirty_ids)]


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_design_follows_the_params(drawn):
    units, draw, p = drawn
    design = p["design"]
    sampled = units.districts.set_index("district_code").loc[draw.truth["design"]["districts"]]
    assert sampled["stratum"].value_counts().to_dict() == design["districts_per_stratum"]
    per_district = draw.respondents.groupby("district_code")["township_code"].nunique()
    assert (per_district == design["townships_per_district"]).all()
    sizes = draw.respondents.groupby("township_code").size()
    assert sizes.min() >= design["respondents_min"]
    # mean of 70 negative-binomial draws (mean 34, dispersion 8: sd ≈ 14): 4 SE ≈ 7
    assert abs(sizes.mean() - design["respondents_per_township"]) < 7
    assert 1_500 <= len(draw.respondents) <= 3_000  # RESEARCH_DESIGN §4: n ≈ 2,000–3,000


def test_construct_means_and_reliabilities(drawn, codebook):
    _, draw, p = drawn
    clean = _clean(draw)
    scores = score_means(codebook, clean)
    targets = p["measurement"]["construct_means"]
    for c in codebook.constructs:
        # targets hold for a standard-normal latent; endogenous means shift by the exogenous
        # means and workload (|E η| < 0.15 SD), and sampling error of ~70 clusters adds ±0.05
        assert abs(scores[c.id].mean() - targets[c.id]) < 0.2, c.id
        recoded = []
        for item in codebook.construct_items(c.id):
            x = clean[item.id].astype(float).to_numpy()
            recoded.append(codebook.scales[item.scale].reverse(x) if item.reverse else x)
        alpha = _alpha(np.column_stack(recoded))
        # DOMAIN_FACTS §1: Chinese cadre samples report α .80–.95; 3-item scales sit lower
        low = 0.70 if len(recoded) == 3 else 0.78
        assert low <= alpha <= 0.96, (c.id, alpha)


def test_latent_structure_honours_the_model(drawn):
    _, draw, p = drawn
    model = p["model"]
    eta = draw.respondents
    for name in ("PV", "DM", "FB", "EE", "WE", "SO"):
        col = eta[f"eta_{name}"].to_numpy()
        assert abs(col.std() - 1.0) < 0.08, name  # unit variance by calibration
        icc = icc_anova(col, eta["township_code"].to_numpy())
        # township-level ANOVA ICC includes the district share: 0.07 + 0.03; with 70 clusters
        # its sampling SD is ≈ 0.03, so 0.06 is two SDs
        assert abs(icc - (model["icc_township"] + model["icc_district"])) < 0.06, (name, icc)
    corr = eta[[f"eta_{m}" for m in ("PV", "RL", "DM", "DE")]].corr().to_numpy()
    off = corr[~np.eye(4, dtype=bool)]
    assert abs(off.mean() - model["measure_correlation"]) < 0.06
    # the latent FB equation recovers its paths by OLS on the latent scores (n ≈ 2,400: SE ≈ 0.02)
    terms = model["paths"]["FB"]
    x = np.column_stack(
        [np.ones(len(eta))]
        + [
            eta["workload_std"]
            if t == "workload"
            else np.prod([eta[f"eta_{v}"] for v in t.split("_x_")], axis=0)
            for t in terms
        ]
    )
    beta = np.linalg.lstsq(x, eta["eta_FB"], rcond=None)[0][1:]
    resid_sd = np.sqrt(draw.truth["residual_variance"]["FB"])
    for (term, true), est in zip(terms.items(), beta, strict=True):
        assert abs(est - true) < 4 * 0.022 * resid_sd / 0.9, (term, est, true)


def test_estimands_distinguish_latent_and_observed_scores(drawn):
    _, draw, p = drawn
    est = draw.truth["estimands"]
    for eq, terms in p["model"]["paths"].items():
        for term, beta in terms.items():
            # the population OLS on latent scores reproduces the structural path (MC error)
            assert abs(est["latent_standardized"][eq][term] - beta) < 0.015, (eq, term)
    # a regression on scale means (same 5-point scale on both sides: measures -> FB) is
    # attenuated by measurement error: the joint effect of the seven measures is smaller than
    # the latent one (single coefficients can move either way: the errors are correlated)
    measures = ("PV", "RL", "DM", "DE", "FC", "FT", "AS")
    observed = sum(est["observed_score"]["FB"][m] for m in measures)
    latent = sum(p["model"]["paths"]["FB"][m] for m in measures)
    assert abs(observed) < abs(latent) - 0.05, (observed, latent)


def test_dirt_rates_and_log(drawn):
    _, draw, p = drawn
    n = draw.truth["design"]["respondents"]
    per_reason = draw.dirt.drop_duplicates(["response_id", "reason"])
    counts = per_reason["reason"].value_counts()
    rates = p["dirt"]
    for reason, key in [
        ("speeder", "speeder_rate"),
        ("straightliner", "straightliner_rate"),
        ("out_of_range", "out_of_range_rate"),
        ("duplicate", "duplicate_rate"),
        ("pii_in_text", "pii_in_text_rate"),
        ("logic_conflict", "logic_conflict_rate"),
    ]:
        # drawn as exact counts round(rate · n); the fullwidth rule may overwrite nothing
        assert counts[reason] == round(rates[key] * n), reason
    assert counts["attention_fail"] >= round(rates["attention_fail_rate"] * n)
    assert set(draw.dirt["reason"]) <= set(DIRT_KINDS)
    # a logical conflict exists only where it was injected (and logged)
    a = draw.answers
    conflict = a.loc[(a["age_band"] == 1) & (a["tenure_band"] == 4), "response_id"]
    assert set(conflict) == set(
        per_reason.loc[per_reason.reason == "logic_conflict", "response_id"]
    )
    a = draw.answers
    speeders = a[
        a["response_id"].isin(per_reason.loc[per_reason.reason == "speeder", "response_id"])
    ]
    assert (speeders["duration_s"] < a["duration_s"].median() / 3).all()
    dups = a[a["duplicate_of"].notna()]
    originals = a[a["duplicate_of"].isna()].set_index("response_id").loc[dups["response_id"]]
    assert (dups["ip"].to_numpy() == originals["ip"].to_numpy()).all()
    assert set(draw.dirt["seq"]) <= set(a["seq"])


def test_workload_levels_before_adoption(drawn):
    _, draw, _ = drawn
    clean = _clean(draw)
    township_staff = clean[clean["post_type"].isin([1, 2])]
    numeric = township_staff[
        [
            "meetings_month",
            "documents_month",
            "report_submissions_month",
            "inspections_month",
            "app_minutes_day",
            "overtime_hours_month",
        ]
    ]
    means = numeric.apply(pd.to_numeric, errors="coerce").mean()
    # DOMAIN_FACTS §3.1, per township cadre per month (app minutes per day)
    ranges = {
        "meetings_month": (10, 25),
        "documents_month": (40, 120),
        "report_submissions_month": (15, 50),
        "inspections_month": (2, 6),
        "app_minutes_day": (20, 60),
        "overtime_hours_month": (25, 60),
    }
    for col, (lo, hi) in ranges.items():
        assert lo <= means[col] <= hi, (col, means[col])


def test_export_looks_like_wjx(tmp_path_factory, codebook):
    tmp = tmp_path_factory.mktemp("export")
    args = run_stage(tmp, small(default_params()))
    files = sorted(p.name for p in args.survey_out.iterdir())
    assert any(re.fullmatch(r"\d+_按文本_.+_(\d+)_\1\.xlsx", f) for f in files)
    assert any(re.fullmatch(r"\d+_按序号_.+_(\d+)_\1\.xlsx", f) for f in files)
    text = pd.read_excel(
        next(args.survey_out.glob("*_按文本_*.xlsx")), dtype=str, engine="openpyxl"
    )
    code = pd.read_excel(
        next(args.survey_out.glob("*_按序号_*.xlsx")), dtype=str, engine="openpyxl"
    )
    csv = pd.read_csv(next(args.survey_out.glob("*.csv")), encoding="gbk", dtype=str)
    assert list(text.columns[:6]) == [
        "序号",
        "提交答卷时间",
        "所用时间",
        "来源",
        "来源详情",
        "来自IP",
    ]
    assert list(csv.columns) == list(text.columns)
    questions = [c for c in text.columns[6:] if c not in ("姓名", "手机号")]
    assert all(re.match(r"^\d+、", c) for c in questions)
    assert text["所用时间"].dropna().str.fullmatch(r"\d+秒").all()
    assert text["提交答卷时间"].dropna().str.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}").all()
    matrix_cols = [c for c in questions if re.match(r"^\d+、\(.+\)$", c)]
    n_matrix = sum(1 for i in codebook.items if i.type == "matrix")
    assert len(matrix_cols) == n_matrix
    multi = next(c for c in questions if c.startswith("20、"))
    assert text[multi].dropna().str.contains("┋").any()
    assert (text.iloc[:, 13] == "(跳过)").any() and (code.iloc[:, 13] == "-3").any()
    assert (text.iloc[:, -3] == "(空)").any()
    # 按序号 splits the multi-choice into 0/1 columns named after the options
    assert sum(c.startswith("20、(") for c in code.columns) == 6
    truth_blank = pd.read_csv(args.truth_out / "survey_blank_rows.csv", encoding="utf-8-sig")
    blank_rows = text.index[text["序号"].isna()] + 2
    sheet = truth_blank.loc[truth_blank["file"].str.contains("按文本.*xlsx"), "sheet_row"]
    assert sorted(blank_rows) == sorted(sheet)


def _digest(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_different(tmp_path):
    params = small(default_params())
    first = run_stage(tmp_path / "a", params)
    second = run_stage(tmp_path / "b", params)
    third = run_stage(tmp_path / "c", small(default_params(), seed=7))
    for attr in ("survey_out", "admin_out", "truth_out"):
        assert _digest(getattr(first, attr)) == _digest(getattr(second, attr)), attr
    assert _digest(first.survey_out) != _digest(third.survey_out)
    assert first.metrics.read_bytes() == second.metrics.read_bytes()
