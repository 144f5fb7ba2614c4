"""The policy effects of one specification: Callaway–Sant'Anna aggregate ATTs of key measure →
outcome pairs (H6), under the spec's comparison group, SE type, baseline covariate and method.

For each pair the estimation panel is built exactly as the policy stage builds it
(`jianfu.policy.stage.prepare`: integer months, cohorts, always-treated townships and townships
with gaps left out, the ``baseline`` covariate = each township's mean over
``policy.baseline_months``), and `jianfu.policy.did.callaway_santanna` is fitted with:

- ``cs_control``: "notyet" or "never" comparison units. A measure every district adopts has no
  never-treated townships (app clean-up, duty lists): with "never" its row has NaN estimate,
  SE, CI and p, and a note in ``frame.attrs["notes"]`` — as the policy stage, which skips it;
- ``cs_se``: "unit" = analytic influence-function SEs at the township level (the stage's
  ``se_unit`` columns), "cluster" = clustered by ``policy.cluster`` (district, the treatment
  level; the stage's ``se`` columns). Estimates do not depend on it;
- ``cs_baseline``: the ``baseline`` covariate for the outcomes in
  ``policy.baseline_covariate`` (true) or no covariate (false; other outcomes never get one);
- ``cs_method``: "dr", "reg" or "ipw" (identical without a covariate).

The effect is the **simple** aggregate (post-treatment cells averaged with cohort-size
weights), in the outcome's units. For an outcome with an adoption lag in ``policy.lags`` it is,
as in the stage, the average effect from the lag on: the dynamic aggregate's ``overall`` over
event times lag … ``policy.event_window[1]`` (the stage's ``from_lag_<lag>`` row). With the
default choices the numbers equal the policy stage's ``cs_notyet`` rows (unit-level SEs) to
rounding (tested).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.core.errors import JianfuError
from jianfu.policy import did
from jianfu.policy.stage import prepare
from jianfu.robustness.choices import EFFECT_COLUMNS, validate

#: The key measure → outcome pairs (all workload counts per cadre per month).
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("yibiaotong", "report_submissions"),
    ("app_clean", "app_tasks"),
    ("negative_list", "documents"),
    ("negative_list", "meetings"),
    ("duty_list", "inspections"),
)
PANEL_FILE = "township_month.parquet"
UNIT, TIME, COHORT = "township_code", "t", "g"


def load_panel(path: str | Path) -> pd.DataFrame:
    """The township-month panel: ``path`` is the panel stage's folder (``data/processed/panel``)
    or the ``township_month.parquet`` file itself."""
    path = Path(path)
    file = path / PANEL_FILE if path.is_dir() else path
    if not file.exists():
        raise JianfuError(f"{file}: not found (the panel stage writes {PANEL_FILE})")
    return pd.read_parquet(file)


#: The ``policy`` params read (a DVC stage declares exactly these).
PARAM_KEYS = (
    "effects", "baseline_covariate", "baseline_months", "cluster", "alpha", "lags",
    "event_window",
)  # fmt: skip


def _section(params: Mapping) -> dict:
    """The keys of `PARAM_KEYS` as plain data (a `TrackedParams` records just these)."""
    out = {}
    for key in PARAM_KEYS:
        if key not in params:
            raise JianfuError(f"policy params: missing key {key!r} (params.yaml, policy:)")
        value = params[key]
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        elif isinstance(value, Mapping):
            value = dict(value)
        out[key] = value
    return out


def _pairs(pairs, effects: Mapping) -> list[tuple[str, str]]:
    chosen = list(DEFAULT_PAIRS if pairs is None else pairs)
    out = []
    for pair in chosen:
        if isinstance(pair, str) and "->" in pair:
            pair = tuple(pair.split("->", 1))
        measure, outcome = pair
        if measure not in effects or outcome not in list(effects[measure]):
            known = [f"{m}->{o}" for m, os in effects.items() for o in os]
            raise JianfuError(
                f"robustness: pair {measure}->{outcome} is not in policy.effects; "
                f"use one of {', '.join(known)}"
            )
        out.append((str(measure), str(outcome)))
    return out


def policy_effects(
    panel: pd.DataFrame | str | Path,
    spec: Mapping[str, Any] | None,
    policy_params: Mapping,
    *,
    pairs: Sequence[tuple[str, str] | str] | None = None,
    prepared: dict | None = None,
) -> pd.DataFrame:
    """The spec's Callaway–Sant'Anna ATT for each measure → outcome pair.

    Parameters
    ----------
    panel : the township-month panel (a DataFrame as `load_panel` returns it), or the path of
        the panel folder / file (read with `load_panel`).
    spec : the specification; ``cs_control``, ``cs_se``, ``cs_baseline``, ``cs_method`` are
        used.
    policy_params : the ``policy`` params section (mapping or `TrackedParams`); the keys in
        `PARAM_KEYS` are read: ``effects``, ``baseline_covariate``, ``baseline_months``,
        ``cluster``, ``alpha``, ``lags``, ``event_window``.
    pairs : (measure, outcome) pairs or "measure->outcome" strings, each in ``policy.effects``;
        default `DEFAULT_PAIRS`.
    prepared : a dict kept by the caller across calls on the same ``panel`` and
        ``policy_params``: each pair's estimation panel is prepared once and reused (the grid
        estimates several specifications of one panel in a row).

    Returns
    -------
    DataFrame with `EFFECT_COLUMNS` (one row per pair, in order): ``family`` "policy",
    ``effect`` "ATT:<measure>-><outcome>", ``kind`` "att", ``x`` the measure, ``m`` "",
    ``y`` the outcome, ``n`` the townships in the estimation panel, ``scale`` "outcome units".
    ``attrs["notes"]``: what was left out or not estimable, per pair (list of dicts).
    """
    full = validate(spec)
    p = _section(policy_params)
    frame = load_panel(panel) if isinstance(panel, str | Path) else panel
    chosen = _pairs(pairs, p["effects"])
    alpha = float(p["alpha"])
    window_hi = int(p["event_window"][1])
    lags = dict(p["lags"] or {})
    baseline_outcomes = set(p["baseline_covariate"])
    rows, notes = [], []
    with threadpool_limits(limits=1):
        for measure, outcome in chosen:
            use_baseline = full["cs_baseline"] and outcome in baseline_outcomes
            key = (measure, outcome, use_baseline)
            if prepared is None or key not in prepared:
                made = prepare(
                    frame, measure, outcome, list(p["baseline_months"]) if use_baseline else None
                )
                if prepared is not None:
                    prepared[key] = made
            data, pair_notes = made if prepared is None else prepared[key]
            notes += pair_notes
            row = {
                "effect": f"ATT:{measure}->{outcome}", "kind": "att", "x": measure, "m": "",
                "y": outcome, "n": int(data[UNIT].nunique()),
                "estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "p": np.nan,
            }  # fmt: skip
            if full["cs_control"] == "never" and not (data[COHORT] == 0).any():
                notes.append({"measure": measure, "outcome": outcome, "note": (
                    "every district adopts: no never-treated controls; not estimable with "
                    "cs_control=never")})  # fmt: skip
                rows.append(row)
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fit = did.callaway_santanna(
                    data, outcome=outcome, unit=UNIT, time=TIME, cohort=COHORT,
                    control=full["cs_control"], method=full["cs_method"],
                    covariates=["baseline"] if use_baseline else None,
                    cluster=p["cluster"] if full["cs_se"] == "cluster" else None, alpha=alpha,
                )  # fmt: skip
            # did's notices (e.g. how controls were formed without never-treated units)
            for message in dict.fromkeys(
                str(w.message) for w in caught if issubclass(w.category, UserWarning)
            ):
                notes.append({"measure": measure, "outcome": outcome, "note": message})
            lag = int(lags.get(outcome, 0))
            if lag > 0:
                table = fit.aggregate("dynamic", min_e=lag, max_e=window_hi)
                agg = table[table["term"] == "overall"].iloc[0]
            else:
                agg = fit.aggregate("simple").iloc[0]
            row.update({k: float(agg[k]) for k in ("estimate", "se", "ci_low", "ci_high", "p")})
            rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(0, "family", "policy")
    out["scale"] = "outcome units"
    out = out[EFFECT_COLUMNS].astype({"n": "int64"})
    out.attrs["notes"] = notes
    return out
