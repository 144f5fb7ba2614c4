"""Stages `spec_survey` and `spec_policy`: the key effects under one specification.

The specification is ``robustness.spec`` in params.yaml (the main analysis's choices by
default). Each DVC experiment of the specification curve sets other values
(``dvc exp run -S robustness.spec.<choice>=<value>``) and reruns only the stage whose choices
changed: `spec_survey` reads the survey choices, `spec_policy` the policy ones.

spec_survey: every de-identified survey row (the ingest stage's clean rows and its quarantine),
the cleaning rules of ``ingest.clean`` re-applied with the specification's speeder threshold and
straight-lining / attention-check handling, scored (mean or factor scores) and modelled (OLS,
multilevel or SEM; controls; SE type): each measure's path to formalism burden (FB) and its
indirect effect on service outcomes (SO) through FB, in SD units (`jianfu.robustness.survey`).

spec_policy: the Callaway–Sant'Anna simple ATT of the key measure → outcome pairs with the
specification's comparison group, SE type, baseline conditioning and estimation method
(`jianfu.robustness.policy`).

Each writes ``--metrics``: the specification, the sample size, the `fingerprint` of the data,
code and shared settings behind the estimates and, per effect, the estimate, SE, CI, p and n
(full precision: the `spec_curve` stage compares them exactly).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import pandas as pd

from jianfu.codebook.params_check import check_stage_params
from jianfu.core.io import skipped_reason, write_json, write_skipped
from jianfu.core.params import TrackedParams

RESULT_FIELDS = ("kind", "x", "m", "y", "estimate", "se", "ci_low", "ci_high", "p", "n", "scale")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--codebook", type=Path, help="spec_survey: the questionnaire codebook")
    parser.add_argument("--survey", type=Path, help="spec_survey: the ingest stage's survey dir")
    parser.add_argument("--panel", type=Path, help="spec_policy: the panel stage's output dir")
    parser.add_argument("--metrics", required=True, type=Path)


def _value(v):
    """Plain JSON values; a missing number (an effect the spec cannot estimate) is null."""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def metrics_of(effects: pd.DataFrame, spec: dict, family: str, extra: dict) -> dict:
    """The metrics file: the specification, extra counts and every effect's numbers."""
    return {
        "family": family,
        "spec": spec,
        **extra,
        "effects": {
            str(r["effect"]): {k: _value(r[k]) for k in RESULT_FIELDS}
            for _, r in effects.iterrows()
        },
    }


#: modules left out of the fingerprint: the command line's dispatch, the package's version
_NOT_FINGERPRINTED = {"jianfu", "jianfu.cli", "jianfu.__main__"}


def fingerprint(inputs: dict[str, Path], settings: dict) -> str:
    """A hash of everything besides the choices that an estimate depends on.

    The input files' contents (named by role, not by path: an experiment runs in another
    folder), the settings shared by every specification (e.g. ``ingest.clean``) and the source
    of every jianfu module this run imported. Two runs with the same fingerprint computed their
    estimates from the same data, code and settings; the `spec_curve` stage marks collected
    experiments whose fingerprint differs from this run's as stale.
    """
    digest = hashlib.sha256()

    def add(name: str, data: bytes) -> None:
        digest.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\n".encode())

    for name, path in sorted(inputs.items()):
        add(name, path.read_bytes())
    add("settings", json.dumps(settings, sort_keys=True, default=str).encode())
    for name, module in sorted(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.startswith("jianfu") and name not in _NOT_FINGERPRINTED and file:
            add(name, Path(file).read_bytes())
    return digest.hexdigest()[:16]


def _plain(value):
    """A params value as plain data (a section as a dict)."""
    return value.to_dict() if hasattr(value, "to_dict") else value


def _spec(params: TrackedParams, keys) -> dict:
    spec = params["robustness"]["spec"]
    return {k: spec[k] for k in keys}


def run(args: argparse.Namespace, params: TrackedParams) -> None:
    from jianfu.robustness import choices

    if args.command == "spec_survey":
        check_stage_params("spec_survey", params, args.codebook)
        spec = _spec(params, choices.SURVEY_CHOICES)
        out = _survey(args, params, spec)
    else:
        skipped = skipped_reason(args.panel)
        if skipped is not None:
            write_skipped("spec_policy", skipped, metrics=args.metrics)
            return
        spec = _spec(params, choices.POLICY_CHOICES)
        out = _policy(args, params, spec)
    write_json(args.metrics, out)


def _survey(args, params: TrackedParams, spec: dict) -> dict:
    from jianfu.codebook.load import load_codebook
    from jianfu.robustness.sample import analysis_sample
    from jianfu.robustness.survey import survey_effects

    cb = load_codebook(args.codebook)
    rows = pd.concat(
        [
            pd.read_parquet(args.survey / "clean.parquet"),
            pd.read_parquet(args.survey / "quarantine.parquet"),
        ],
        ignore_index=True,
    )
    models, measure, rob = params["models"], params["measure"], params["robustness"]
    clean_params = params["ingest"]["clean"].to_dict()
    settings = {
        "covariates": list(models["covariates"]),
        "cluster": models["cluster"],
        "ci": float(models["ci"]),
        "seed": int(rob["seed"]),
        "n_draws": int(rob["mc_draws"]),
        "min_answered_share": float(measure["min_answered_share"]),
        "cfa_solver": measure["cfa_solver"],
    }
    sample = analysis_sample(rows, cb, clean_params, spec)
    print(f"spec_survey: {spec} -> {len(sample)} of {len(rows)} rows", file=sys.stderr)
    effects = survey_effects(sample, cb, spec, **settings)
    inputs = {
        "codebook": args.codebook,
        "clean": args.survey / "clean.parquet",
        "quarantine": args.survey / "quarantine.parquet",
    }
    extra = {
        "rows_in": len(rows),
        "n": len(sample),
        "fingerprint": fingerprint(inputs, {**settings, "ingest.clean": clean_params}),
    }
    return metrics_of(effects, spec, "survey", extra)


def _policy(args, params: TrackedParams, spec: dict) -> dict:
    from jianfu.robustness.policy import load_panel, policy_effects

    policy = params["policy"]
    keys = ("effects", "baseline_covariate", "baseline_months", "cluster", "alpha", "lags",
            "event_window")  # fmt: skip
    settings = {
        k: policy[k].to_dict() if hasattr(policy[k], "to_dict") else policy[k] for k in keys
    }
    panel_file = args.panel / "township_month.parquet" if args.panel.is_dir() else args.panel
    effects = policy_effects(load_panel(panel_file), spec, settings)
    print(f"spec_policy: {spec} -> {len(effects)} effects", file=sys.stderr)
    extra = {"fingerprint": fingerprint({"panel": panel_file}, settings)}
    return metrics_of(effects, spec, "policy", extra)
