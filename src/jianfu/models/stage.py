"""Stage `models`: every named model spec of ``params.yaml`` (``models.specs``) on the survey.

Reads: the clean survey, the scale scores and the measure stage's reliabilities, the office
records (township workload per cadre, H7), the codebook; params ``models.*``.
Writes:
  ``<data-out>/analysis.parquet``   the analysis data: one row per response (序号) with the
                                    construct scores (named by construct code), the background
                                    items, the cluster columns and ``workload``;
  ``<data-out>/{coefficients,fit,effects}.parquet``  tidy results of every spec
                                    (`jianfu.models.specs`);
  ``<tables-out>/``                 the same as CSV (for Excel) plus per-spec extras
                                    (``<spec>__<table>.csv``: Table 1, SEM parameter table…)
                                    and ``summary.json``: key numbers per spec (`metrics`);
  ``--metrics``                     the headline numbers (DVC metrics, `headline`).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.codebook.load import load_codebook
from jianfu.codebook.model import Codebook
from jianfu.codebook.params_check import check_stage_params
from jianfu.codebook.scoring import construct_spec, scored_items
from jianfu.core.errors import JianfuError
from jianfu.core.io import (
    atomic_dir,
    concat_tidy,
    skipped_reason,
    write_csv,
    write_json,
    write_text,
)
from jianfu.core.params import TrackedParams
from jianfu.models import crosslevel, process_layout, specs

SCORE_PREFIX = {"mean": "mean_", "factor": "fs_"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", required=True, type=Path)
    parser.add_argument("--survey", required=True, type=Path, help="ingest's survey folder")
    parser.add_argument("--scores", required=True, type=Path, help="measure's scores Parquet")
    parser.add_argument("--measure-tables", required=True, type=Path, help="measure's tables")
    parser.add_argument("--admin", required=True, type=Path, help="ingest's office-record folder")
    parser.add_argument("--data-out", required=True, type=Path, help="folder for Parquet results")
    parser.add_argument("--tables-out", required=True, type=Path, help="folder for CSV tables")
    parser.add_argument("--metrics", required=True, type=Path)


def _progress(message: str) -> None:
    print(f"jianfu models: {message}", file=sys.stderr, flush=True)


def measurement_model(cb: Codebook) -> dict[str, list[str]]:
    """Construct -> scored items with a positively keyed marker first (SEM identification)."""
    reverse = {item.id for item in cb.items if item.reverse}
    return {c: sorted(items, key=lambda i: i in reverse) for c, items in construct_spec(cb).items()}


def analysis_data(
    clean: pd.DataFrame,
    scores: pd.DataFrame,
    workload: pd.DataFrame,
    *,
    score_kind: str,
    covariates: list[str],
    items: list[str],
    constructs: list[str],
) -> pd.DataFrame:
    """One row per clean response: construct scores, background, clusters and workload."""
    if score_kind not in SCORE_PREFIX:
        raise JianfuError(
            f"models.scores must be one of {sorted(SCORE_PREFIX)}, got {score_kind!r}"
        )
    prefix = SCORE_PREFIX[score_kind]
    for key, names in (("covariates", covariates), ("items", items)):
        missing = [c for c in names if c not in clean.columns]
        if missing:
            raise JianfuError(f"models.{key}: {missing} are not columns of the clean survey")
    carried = list(dict.fromkeys([*covariates, *items]))
    chosen = scores[["seq", *(prefix + c for c in constructs)]].rename(
        columns=lambda c: c.removeprefix(prefix)
    )
    base = clean[["seq", "township_code", "district", *carried]].copy()
    for col in ["township_code", "district", *carried]:
        base[col] = pd.to_numeric(base[col], errors="coerce").astype("float64")
    frame = base.merge(chosen, on="seq", how="left", validate="one_to_one")
    wl = workload[["township_code", "workload"]].astype({"township_code": "float64"})
    frame = frame.merge(wl, on="township_code", how="left", validate="many_to_one")
    return frame.rename(columns={"district": "district_code"}).reset_index(drop=True)


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    check_stage_params("models", params, args.codebook)  # unknown items/constructs: one error
    # one BLAS thread: multithreaded sums differ in the last bit from run to run
    with threadpool_limits(limits=1):
        _run(args, params)


def _run(args: argparse.Namespace, params: TrackedParams) -> None:
    p = params["models"]
    cb = load_codebook(args.codebook)
    clean = pd.read_parquet(args.survey / "clean.parquet")
    scores = pd.read_parquet(args.scores)
    reliability = pd.read_csv(args.measure_tables / "reliability.csv", encoding="utf-8-sig")
    measurement = measurement_model(cb)

    no_records = skipped_reason(args.admin)
    if no_records is None:
        _progress("township workload per cadre from the office records")
        workload = crosslevel.township_workload(
            args.admin / "events.parquet",
            args.admin / "registry_townships.parquet",
            list(p["workload"]["months"]),
        )
    else:
        # own data without office records: no township workload (H7); the specs are fitted
        # without that term and the metrics say so
        _progress(f"no township workload (H7): {no_records}")
        workload = pd.DataFrame(
            {"township_code": pd.Series(dtype="float64"), "workload": pd.Series(dtype="float64")}
        )
    data = analysis_data(
        clean,
        scores,
        workload,
        score_kind=p["scores"],
        covariates=list(p["covariates"]),
        items=list(p["items"]),
        constructs=list(measurement),
    )
    items = scored_items(clean, cb).reset_index(drop=True)
    labels = {c.id: {"zh": c.label.zh, "en": c.label.en} for c in cb.constructs}
    labels["workload"] = {"zh": "乡镇行政工作量（标准化）", "en": "Township workload (z)"}
    for col in [*p["covariates"], *p["items"]]:
        item = cb.item(col)
        labels[col] = {"zh": item.label.zh, "en": item.label.en}
    boot = p["bootstrap"]
    ctx = specs.Context(
        data=data,
        items=items,
        measurement=measurement,
        labels=labels,
        reliabilities=dict(
            zip(reliability["construct"], reliability["raw_alpha"].astype(float), strict=True)
        ),
        cluster=str(p["cluster"]),
        bootstrap={
            "n_boot": int(boot["n_boot"]),
            "seed": int(boot["seed"]),
            "ci_type": str(boot["ci_type"]),
            "cluster": bool(boot["cluster"]),
        },
        ci=float(p["ci"]),
    )
    outputs: dict[str, specs.SpecOutput] = {}
    spec_params = p["specs"]
    names = list(spec_params)
    dropped: dict[str, str] = {}
    for k, name in enumerate(names, start=1):
        spec = spec_params[name].to_dict()
        if no_records is not None:
            spec, changed = without_variable(spec, "workload")
            if changed:
                dropped[name] = f"township workload left out: {no_records}"
        _progress(f"[{k}/{len(names)}] {name} ({spec.get('kind')})")
        outputs[name] = specs.run_spec(name, spec, ctx)

    coefficients = concat_tidy([o.coefficients for o in outputs.values()], specs.COEF_COLUMNS)
    fit = concat_tidy([o.fit for o in outputs.values()], specs.FIT_COLUMNS)
    effects = concat_tidy([o.effects for o in outputs.values()], specs.EFFECT_COLUMNS)
    with atomic_dir(args.data_out) as out:
        data.to_parquet(out / "analysis.parquet", index=False)
        coefficients.to_parquet(out / "coefficients.parquet", index=False)
        fit.to_parquet(out / "fit.parquet", index=False)
        effects.to_parquet(out / "effects.parquet", index=False)
    with atomic_dir(args.tables_out) as tables:
        write_csv(tables / "coefficients.csv", coefficients)
        write_csv(tables / "fit.csv", fit)
        write_csv(tables / "effects.csv", effects)
        write_csv(tables / "workload_townships.csv", workload)
        for name, output in outputs.items():
            for table_name, table in output.extra.items():
                write_csv(tables / f"{name}__{table_name}.csv", table)
            if output.process:  # the same results in the layout SPSS/PROCESS users know
                text = process_layout.spec_text(name, output.process)
                write_text(tables / f"process_{name}.txt", text)
        summary = metrics(coefficients, fit, effects, data)
        if dropped:
            summary["terms_left_out"] = dropped
        write_json(tables / "summary.json", summary)
    write_json(args.metrics, headline(summary))


def _without_term(formula: str, name: str) -> str:
    lhs, rhs = formula.split("~", 1)
    terms = [t.strip() for t in rhs.split("+")]
    kept = [t for t in terms if name not in re.split(r"[:*]", t.replace(" ", ""))]
    return f"{lhs.strip()} ~ {' + '.join(kept) if kept else '1'}"


def without_variable(spec, name: str):
    """`spec` (a model spec of params.yaml) without the variable `name` anywhere: list
    elements, formula terms (``y ~ a + name + a:name``) and ``A_x_name`` interactions; and
    whether anything was removed."""
    if isinstance(spec, dict):
        pairs = [(k, without_variable(v, name)) for k, v in spec.items()]
        return {k: v for k, (v, _) in pairs}, any(c for _, (_, c) in pairs)
    if isinstance(spec, list):
        hit = lambda v: v == name or (isinstance(v, str) and name in v.split("_x_"))  # noqa: E731
        parts = [without_variable(v, name) for v in spec if not hit(v)]
        return [v for v, _ in parts], len(parts) < len(spec) or any(c for _, c in parts)
    if isinstance(spec, str) and "~" in spec and re.search(rf"\b{re.escape(name)}\b", spec):
        return _without_term(spec, name), True
    return spec, False


def _round(value, digits: int = 4):
    return None if value is None or pd.isna(value) else round(float(value), digits)


def metrics(
    coefficients: pd.DataFrame, fit: pd.DataFrame, effects: pd.DataFrame, data: pd.DataFrame
) -> dict:
    """Key numbers: N, per spec its R² / fit indices, and the bootstrapped effects' CIs."""
    out: dict = {"n": len(data), "specs": {}}
    for name, rows in fit.groupby("spec", sort=False):
        entry: dict = {}
        stats = rows.set_index(["equation", "statistic"])["value"]
        for (eq, stat), value in stats.items():
            if stat in ("r2", "delta_r2", "cfi", "tli", "rmsea", "srmr") or stat.startswith("icc_"):
                entry.setdefault(str(eq), {})[stat] = _round(value)
        out["specs"][str(name)] = entry
    sem_rows = coefficients[coefficients["kind"] == "sem"]
    if len(sem_rows):
        out["sem_std_paths"] = {
            f"{r.equation}~{r.term}": _round(r.std) for r in sem_rows.itertuples(index=False)
        }
    # indirect effects and indices of moderated mediation (conditional ones are in effects.csv)
    ind = effects[
        effects["term"].str.startswith(("ind[", "imm["), na=False)
        & ~effects["term"].str.contains("|", regex=False, na=False)
    ]
    out["indirect_effects"] = {
        f"{r.spec}: {r.equation} {r.term}": {
            "estimate": _round(r.estimate),
            "ci": [_round(r.ci_low), _round(r.ci_high)],
        }
        for r in ind.itertuples(index=False)
    }
    out["significant_share"] = _round(
        float(np.mean(coefficients["p"].dropna() < 0.05)) if coefficients["p"].notna().any() else 0
    )
    return out


def headline(summary: dict) -> dict:
    """The DVC metrics from `metrics`' key numbers: N, specs fitted, the SEM's fit, H1's R²,
    the share of significant coefficients, the indirect effects and how many have a CI
    without 0, and how many specs lost a term (own data without office records)."""
    specs_fit = summary["specs"]
    # the spec named "sem" first, else any spec reporting CFI (a renamed SEM spec)
    with_fit = sorted(specs_fit.items(), key=lambda kv: kv[0] != "sem")
    sem = next((eq for _, eqs in with_fit for eq in eqs.values() if "cfi" in eq), {})
    h1 = next(
        (eq["r2"] for name, eqs in specs_fit.items() if name.startswith("h1")
         for eq in eqs.values() if "r2" in eq), None,
    )  # fmt: skip
    indirect = summary["indirect_effects"].values()
    excluding_0 = [
        e for e in indirect
        if None not in e["ci"] and (e["ci"][0] > 0 or e["ci"][1] < 0)
    ]  # fmt: skip
    out = {
        "n": summary["n"],
        "specs": len(specs_fit),
        "sem_cfi": sem.get("cfi"),
        "sem_rmsea": sem.get("rmsea"),
        "h1_r2": h1,
        "significant_share": summary["significant_share"],
        "indirect_effects": len(summary["indirect_effects"]),
        "indirect_ci_without_0": len(excluding_0),
    }
    if "terms_left_out" in summary:
        out["specs_without_workload"] = len(summary["terms_left_out"])
    return out
