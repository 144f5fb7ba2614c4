"""Stage `survey_recovery`: each estimand of the simulated truth against the estimator built for it.

The simulator states two estimand families (``data/truth/survey_truth.json`` → ``estimands``;
docs/dgp.md): ``latent_standardized`` — the structural paths among unit-variance latent
constructs, targeted by the SEM — and ``observed_score`` — the population OLS coefficients of
scale means on scale means (attenuated by measurement error, inflated by common-method
variance), targeted by OLS on mean scores. A spec declares its family with ``target``; each
estimand is compared with every spec that targets it: truth, estimate, CI, covered or not, and
a note on every miss (its distance in SEs, and the estimator's known limits). An estimand that
no spec targets is listed as not estimated (and counts as not covered).

Reads: the models stage's ``coefficients.parquet``, the truth; params ``data.source`` (on own
data there is no truth to compare with: the stage is skipped and says so in SKIPPED.json).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_dir, write_csv, write_json, write_skipped
from jianfu.core.params import NO_TRUTH, TrackedParams, data_source

COLUMNS = [
    "family", "equation", "term", "truth", "spec", "estimator", "estimate", "ci_low", "ci_high",
    "covered", "miss_se", "note",
]  # fmt: skip

#: Known limits of each estimator, quoted in the note of a miss.
LIMITS = {
    "sem": (
        "ML standard errors treat respondents as independent; cadres are clustered in townships "
        "(ICC .05-.10), so the intervals are somewhat too narrow"
    ),
    "ols": "cluster-robust SEs by township (consistent as the number of townships grows)",
}


def _term(term: str) -> str:
    """Coefficient term in the truth's spelling (``a:b`` → ``a_x_b``)."""
    return term.replace(":", "_x_")


def recovery_table(coefficients: pd.DataFrame, estimands: dict, ci: float = 0.95) -> pd.DataFrame:
    """One row per (estimand, estimator): truth, estimate, CI, covered, note.

    Parameters
    ----------
    coefficients : the models stage's tidy coefficients (with ``target``).
    estimands : ``{family: {equation: {term: value}}}`` as in the truth file.
    ci : level of the intervals (for the distance of a miss in SEs).
    """
    zq = float(stats.norm.ppf(0.5 + ci / 2))
    targeted = coefficients[coefficients["target"].notna()].copy()
    targeted["term_truth"] = targeted["term"].map(_term)
    rows = []
    for family, equations in estimands.items():
        if not isinstance(equations, dict):
            continue
        for equation, terms in equations.items():
            for term, truth in terms.items():
                hits = targeted[
                    (targeted["target"] == family)
                    & (targeted["equation"] == equation)
                    & (targeted["term_truth"] == term)
                ]
                if hits.empty:
                    rows.append(
                        {"family": family, "equation": equation, "term": term, "truth": truth,
                         "covered": False, "note": "no spec targets this estimand"}
                    )  # fmt: skip
                    continue
                for hit in hits.itertuples(index=False):
                    std = hit.kind == "sem"
                    est = hit.std if std else hit.estimate
                    lo = hit.std_ci_low if std else hit.ci_low
                    hi = hit.std_ci_high if std else hit.ci_high
                    covered = bool(lo <= truth <= hi)
                    se = (hi - lo) / (2 * zq)
                    miss = np.nan if covered else (est - truth) / se
                    note = ""
                    if not covered:
                        side = "above" if est > truth else "below"
                        gap = abs(est - truth)
                        note = (
                            f"estimate {side} the truth by {gap:.3f} = {abs(miss):.1f} SE; "
                            f"{LIMITS.get(hit.kind, '')}"
                        ).rstrip("; ")
                    rows.append(
                        {"family": family, "equation": equation, "term": term, "truth": truth,
                         "spec": hit.spec, "estimator": hit.method,
                         "estimate": est, "ci_low": lo, "ci_high": hi, "covered": covered,
                         "miss_se": miss, "note": note}
                    )  # fmt: skip
    table = pd.DataFrame(rows, columns=COLUMNS)
    n = len(table)
    k = int((~table["covered"]).sum())
    if n:
        lo, hi = stats.binom.ppf([0.025, 0.975], n, 1 - ci)
        chance = (
            f"{n} intervals at {ci:.0%}: {n * (1 - ci):.1f} misses expected by chance "
            f"(95% range {int(lo)}-{int(hi)}); observed {k}"
        )
        table.loc[~table["covered"], "note"] = table.loc[~table["covered"], "note"] + (
            "; " + chance
        )
    return table


def summary(table: pd.DataFrame) -> dict:
    """Coverage overall and per family (share of estimand rows inside their CI)."""
    out = {
        "estimands": len(table),
        "covered": int(table["covered"].sum()),
        "coverage": round(float(table["covered"].mean()), 4) if len(table) else None,
        "families": {},
    }
    for family, rows in table.groupby("family", sort=True):
        err = (rows["estimate"] - rows["truth"]).dropna()
        out["families"][str(family)] = {
            "estimands": len(rows),
            "coverage": round(float(rows["covered"].mean()), 4),
            "mean_abs_error": round(float(np.abs(err).mean()), 4) if len(err) else None,
        }
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", required=True, type=Path, help="models stage's data folder")
    parser.add_argument("--truth", required=True, type=Path, help="survey_truth.json")
    parser.add_argument("--out", required=True, type=Path, help="folder for the recovery table")
    parser.add_argument("--metrics", required=True, type=Path)


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    if data_source(params) != "simulated":
        write_skipped("survey_recovery", NO_TRUTH, [args.out], args.metrics)
        return
    if not args.truth.exists():
        raise JianfuError(f"{args.truth}: the simulator's truth file is missing")
    estimands = json.loads(args.truth.read_text(encoding="utf-8"))["estimands"]
    coefficients = pd.read_parquet(args.models / "coefficients.parquet")
    table = recovery_table(coefficients, estimands)
    with atomic_dir(args.out) as out:
        write_csv(out / "survey_recovery.csv", table)
    write_json(args.metrics, summary(table))
