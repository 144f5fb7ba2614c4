"""Stage `measure`: reliability, validity and scale scores of the cleaned survey.

Reads: the clean survey (``clean.parquet``), the codebook; params ``measure.*``.
Writes:
  ``<scores-out>``     scale scores per response (序号): mean scores (missing-item rule) and
                       CFA factor scores (regression method), as Parquet;
  ``<tables-out>/``    tables as data for the report (CSV for Excel, JSON): reliability per
                       construct and per item, KMO and Bartlett, parallel analysis and EFA
                       loadings, CFA estimates and fit, CR / AVE / ω (labelled variants), the
                       Fornell–Larcker table, HTMT (both variants), Harman's test and the
                       latent method-factor comparison; ``summary.json``: α and ω per
                       construct, CFI, TLI, RMSEA, SRMR, KMO, Harman's share;
  ``--metrics``        the headline numbers (DVC metrics): CFI, TLI, RMSEA, SRMR, lowest α
                       and ω, KMO, EFA factors, Harman's share.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.codebook.load import load_codebook
from jianfu.codebook.scoring import construct_spec, mean_scores, scored_items
from jianfu.core.io import atomic_dir, atomic_path, write_csv, write_json
from jianfu.core.params import TrackedParams
from jianfu.measure import cfa, efa, reliability, validity


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--survey", required=True, type=Path, help="ingest's survey folder")
    parser.add_argument("--scores-out", required=True, type=Path, help="scores Parquet file")
    parser.add_argument("--tables-out", required=True, type=Path, help="folder for tables")
    parser.add_argument("--metrics", required=True, type=Path)


def _progress(message: str) -> None:
    print(f"jianfu measure: {message}", file=sys.stderr, flush=True)


def _round(value: float, digits: int = 4) -> float | None:
    return None if pd.isna(value) else round(float(value), digits)


def reliability_tables(
    items: pd.DataFrame, spec: dict[str, list[str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per construct (α, standardized α, n) and per item (r.drop, α if deleted)."""
    rows, item_rows = [], []
    for construct, cols in spec.items():
        result = reliability.alpha_table(items[cols])
        rows.append(
            {
                "construct": construct,
                "raw_alpha": result.raw_alpha,
                "std_alpha": result.std_alpha,
                "n_items": len(cols),
                "n": result.n_obs,
            }
        )
        item_rows.append(result.to_frame().assign(construct=construct))
    per_item = pd.concat(item_rows).reset_index(names="item")
    return pd.DataFrame(rows), per_item


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    # one BLAS thread: multithreaded sums differ in the last bit from run to run, and outputs
    # must be byte-identical
    with threadpool_limits(limits=1):
        _run(args, params)


def _run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["measure"]
    cb = load_codebook(args.codebook)
    clean = pd.read_parquet(args.survey / "clean.parquet")
    spec = construct_spec(cb)
    items = scored_items(clean, cb)
    all_items = [i for cols in spec.values() for i in cols]

    _progress("reliability, KMO, Bartlett")
    alpha, alpha_items = reliability_tables(items, spec)
    adequacy = reliability.kmo(items[all_items])
    sphericity = reliability.bartlett(items[all_items])

    _progress("parallel analysis and EFA")
    quantile = p["parallel_quantile"]
    pa = efa.parallel_analysis(
        items[all_items],
        n_iter=int(p["parallel_iterations"]),
        seed=int(p["seed"]),
        communalities=p["parallel_communalities"],
        quantile=None if quantile is None else float(quantile),
    )
    n_factors = pa.n_factors if p["efa_factors"] == "parallel" else int(p["efa_factors"])
    exploratory = efa.efa(
        items[all_items], n_factors, method=p["efa_method"], rotation=p["efa_rotation"]
    )

    _progress("CFA of the measurement model")
    model = cfa.lavaan_syntax(spec)
    fitted = cfa.fit_cfa(items[all_items], model, solver=p["cfa_solver"])
    omega = validity.omega(fitted)
    cr_ave = (
        pd.DataFrame(
            {
                "omega_semtools": omega,  # semTools' CR (compRelSEM) is this omega
                "ave_semtools": validity.ave(fitted, variant="semtools"),
                "cr_fornell_larcker": validity.composite_reliability(
                    fitted, variant="fornell_larcker"
                ),
                "ave_fornell_larcker": validity.ave(fitted, variant="fornell_larcker"),
            }
        )
        .rename_axis("construct")
        .reset_index()
    )

    _progress("discriminant validity and common-method checks")
    fl_table = validity.fornell_larcker_table(fitted)
    htmt_original = validity.htmt(items, spec, variant="original")
    htmt_semtools = validity.htmt(items, spec, variant="semtools")
    harman = validity.harman_single_factor(items, all_items)
    method = validity.method_factor_comparison(items[all_items], spec)

    _progress("scale scores")
    scores = mean_scores(items, spec, float(p["min_answered_share"])).add_prefix("mean_")
    factor_scores = fitted.factor_scores(items[all_items]).add_prefix("fs_")
    out = pd.concat(
        [
            clean[["seq"]].reset_index(drop=True),
            scores.reset_index(drop=True),
            factor_scores.reset_index(drop=True),
        ],
        axis=1,
    )
    with atomic_path(args.scores_out) as tmp:
        out.to_parquet(tmp, index=False)

    with atomic_dir(args.tables_out) as tables:
        write_csv(tables / "reliability.csv", alpha)
        write_csv(tables / "reliability_items.csv", alpha_items)
        write_csv(tables / "kmo.csv", adequacy.to_frame().reset_index())
        write_csv(tables / "bartlett.csv", sphericity.to_frame())
        write_csv(tables / "parallel_analysis.csv", pa.to_frame().reset_index())
        write_csv(tables / "efa_loadings.csv", exploratory.loadings.reset_index(names="item"))
        write_csv(tables / "efa_factor_correlations.csv", exploratory.phi.reset_index())
        write_csv(tables / "cfa_estimates.csv", fitted.estimates)
        write_json(tables / "cfa_fit.json", {k: _round(v, 6) for k, v in fitted.fit.items()})
        write_csv(tables / "cr_ave.csv", cr_ave)
        write_csv(tables / "fornell_larcker.csv", fl_table.reset_index())
        write_csv(tables / "htmt_original.csv", htmt_original.reset_index())
        write_csv(tables / "htmt_semtools.csv", htmt_semtools.reset_index())
        write_json(tables / "harman.json", _jsonable(harman))
        write_csv(tables / "method_factor_fits.csv", method["fits"].reset_index())
        write_json(
            tables / "method_factor.json",
            _jsonable(
                {k: v for k, v in method.items() if k not in ("fits", "results", "loading_change")}
            ),
        )
        detail = {
            "reliability": {
                row.construct: {
                    "alpha": _round(row.raw_alpha),
                    "omega": _round(omega[row.construct]),
                }
                for row in alpha.itertuples()
            },
            "cfa": {k: _round(fitted.fit[k]) for k in ("cfi", "tli", "rmsea", "srmr")},
            "kmo": _round(adequacy.overall),
            "efa_factors": int(n_factors),
            "harman_first_factor_share": _round(harman["first_factor_share"]),
        }
        write_json(tables / "summary.json", detail)
    write_json(args.metrics, headline(detail))


def headline(detail: dict) -> dict:
    """The DVC metrics: CFA fit, the lowest α and ω over the constructs, KMO, Harman's share
    (per construct in ``summary.json``)."""
    reliability = detail["reliability"].values()
    alphas = [r["alpha"] for r in reliability if r["alpha"] is not None]
    omegas = [r["omega"] for r in reliability if r["omega"] is not None]
    return {
        **detail["cfa"],
        "alpha_min": min(alphas, default=None),
        "omega_min": min(omegas, default=None),
        "kmo": detail["kmo"],
        "efa_factors": detail["efa_factors"],
        "harman_share": detail["harman_first_factor_share"],
    }


def _jsonable(value):
    """Plain JSON types from numpy / pandas values (tables become records)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return _jsonable(value.reset_index().to_dict(orient="records"))
    if isinstance(value, pd.Series):
        return _jsonable(value.to_dict())
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float):
        return _round(value, 6)
    return value
