"""Stages `spec_survey` and `spec_policy`: the key effects under one specification.

The specification is ``robustness.spec`` in params.yaml (the main analysis's choices by
default). A DVC experiment reproduces any one specification of the curve
(``dvc exp run -S robustness.spec.<choice>=<value> spec_survey``) with the same numbers as the
`spec_curve` stage's row of it: `spec_survey` reads the survey choices, `spec_policy` the
policy ones.

spec_survey: every de-identified survey row (the ingest stage's clean rows and its quarantine),
the cleaning rules of ``ingest.clean`` re-applied with the specification's speeder threshold and
straight-lining / attention-check handling, scored (mean or factor scores) and modelled (OLS,
multilevel or SEM; controls; SE type): each measure's path to formalism burden (FB) and its
indirect effect on service outcomes (SO) through FB, in SD units (`jianfu.robustness.survey`).

spec_policy: the Callaway–Sant'Anna simple ATT of the key measure → outcome pairs with the
specification's comparison group, SE type, baseline conditioning and estimation method
(`jianfu.robustness.policy`).

Each writes ``--metrics``: the specification, the sample size and, per effect, the estimate,
SE, CI, p and n (full precision: the `spec_curve` stage, which evaluates the whole grid in one
run, checks that its main specification gives exactly these numbers).
"""

from __future__ import annotations

import argparse
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
    from jianfu.robustness.evaluate import survey_settings
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
    sample = analysis_sample(rows, cb, params["ingest"]["clean"].to_dict(), spec)
    print(f"spec_survey: {spec} -> {len(sample)} of {len(rows)} rows", file=sys.stderr)
    effects = survey_effects(sample, cb, spec, **survey_settings(params))
    return metrics_of(effects, spec, "survey", {"rows_in": len(rows), "n": len(sample)})


def _policy(args, params: TrackedParams, spec: dict) -> dict:
    from jianfu.robustness.evaluate import policy_settings
    from jianfu.robustness.policy import PANEL_FILE, load_panel, policy_effects

    panel_file = args.panel / PANEL_FILE if args.panel.is_dir() else args.panel
    effects = policy_effects(load_panel(panel_file), spec, policy_settings(params))
    print(f"spec_policy: {spec} -> {len(effects)} effects", file=sys.stderr)
    return metrics_of(effects, spec, "policy", {})
