"""The conditional-effect curve of a PROCESS model 1 spec, recovered from its tidy tables.

`jianfu.models.process.process_model1` reports, for Y = b0 + b1·X + b2·W + b3·XW (+ covariates),
the coefficients with their SEs and the conditional effects θ(w) = b1 + b3·w at a few probe values
of W with SE(w) = √(v11 + 2w·v13 + w²·v33) and t(df) intervals (Hayes 2022, §7.4), but neither
the probe values w nor the covariance v13 are stored. Both follow exactly from the tables:

- w = (θ(w) − b1) / b3 for every probe;
- v11 = SE(b1)², v33 = SE(b3)², and v13 = (SE(w)² − v11 − w²·v33) / (2w) (the same at every probe
  with w ≠ 0; a mismatch beyond rounding raises, e.g. when the tables come from different fits);
- the critical t value = (ci_high − θ) / SE at the probes.

With these the curve θ(w), its band θ ± t·SE(w) and the region where |θ|/SE > t (whose edges are
the Johnson–Neyman points the tables list) are drawn for any w. Values are in the units the model
was fitted in (centred ones if the spec centred X and W).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianfu.core.errors import JianfuError

_SD_PROBES = ("-1 SD", "mean", "+1 SD")


@dataclass(frozen=True)
class ModerationFit:
    """Immutable record of a recovered model 1 fit (coefficients, covariance terms, probes)."""

    x: str
    w: str
    y: str
    b: tuple[float, float, float, float]  # const, X, W, X:W
    v11: float
    v13: float
    v33: float
    tcrit: float
    offset: float
    probes: pd.DataFrame  # label, w, estimate, se, ci_low, ci_high
    jn: tuple[float, ...]

    def predict(self, xs: np.ndarray, w: float) -> np.ndarray:
        b0, b1, b2, b3 = self.b
        return b0 + self.offset + b1 * xs + b2 * w + b3 * xs * w

    def band(self, ws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """θ(w), lower and upper band, and whether θ differs from 0 at the t level."""
        theta = self.b[1] + self.b[3] * ws
        se = np.sqrt(np.maximum(self.v11 + 2 * ws * self.v13 + ws**2 * self.v33, 0.0))
        return (
            theta,
            theta - self.tcrit * se,
            theta + self.tcrit * se,
            np.abs(theta) > self.tcrit * se,
        )

    def probes_sd(self) -> list[tuple[str, float]]:
        """(label, w) of the −1 SD / mean / +1 SD probes, else of every probe (dichotomous W)."""
        by = dict(zip(self.probes["label"], self.probes["w"], strict=True))
        if all(p in by for p in _SD_PROBES):
            return [(p, float(by[p])) for p in _SD_PROBES]
        return [(str(k), float(v)) for k, v in by.items()]

    def default_w_range(self) -> tuple[float, float]:
        """Mean ± 2 SD of W (from the probes), else the probes' range padded by a quarter."""
        by = dict(zip(self.probes["label"], self.probes["w"], strict=True))
        if all(p in by for p in _SD_PROBES):
            sd = (by["+1 SD"] - by["-1 SD"]) / 2
            return float(by["mean"] - 2 * sd), float(by["mean"] + 2 * sd)
        lo, hi = float(self.probes["w"].min()), float(self.probes["w"].max())
        pad = (hi - lo or 1.0) / 4
        return lo - pad, hi + pad


def _term(rows: pd.DataFrame, term: str, spec: str) -> pd.Series:
    hit = rows[rows["term"] == term]
    if hit.empty:
        raise JianfuError(f"moderation: spec {spec!r} has no coefficient {term!r}")
    return hit.iloc[0]


def recover(
    coefficients: pd.DataFrame,
    effects: pd.DataFrame,
    spec: str,
    covariate_means: Mapping[str, float] | None = None,
) -> ModerationFit:
    """Recover a `ModerationFit` from the spec's coefficient and effect rows (see module doc)."""
    for frame, cols, what in (
        (coefficients, ["spec", "equation", "term", "estimate", "se"], "coefficients"),
        (effects, ["spec", "term", "estimate", "se", "ci_high"], "effects"),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"moderation {what}: missing columns {missing}")
    coefs = coefficients[coefficients["spec"] == spec]
    effs = effects[effects["spec"] == spec]
    inter = [t for t in coefs["term"].astype(str) if ":" in t]
    if len(inter) != 1 or effs.empty:
        raise JianfuError(
            f"moderation: spec {spec!r} is not a PROCESS model 1 result "
            "(one X:W coefficient and its conditional effects)"
        )
    x, w = inter[0].split(":")
    y = str(coefs["equation"].iloc[0]).split(":")[-1].strip()
    b = tuple(float(_term(coefs, t, spec)["estimate"]) for t in ("const", x, w, inter[0]))
    v11 = float(_term(coefs, x, spec)["se"]) ** 2
    v33 = float(_term(coefs, inter[0], spec)["se"]) ** 2
    covariates = [t for t in coefs["term"] if t not in ("const", x, w, inter[0])]
    means = dict(covariate_means or {})
    lacking = [c for c in covariates if c not in means]
    if lacking:
        raise JianfuError(
            f"moderation: spec {spec!r} has covariates {lacking}; pass their values "
            "as covariate_means to draw the predicted lines"
        )
    offset = sum(float(_term(coefs, c, spec)["estimate"]) * float(means[c]) for c in covariates)
    prefix = f"{x}|{w}="
    probes = effs[effs["term"].astype(str).str.startswith(prefix)].copy()
    if probes.empty or b[3] == 0:
        raise JianfuError(f"moderation: spec {spec!r} has no conditional effects {prefix}…")
    probes["label"] = probes["term"].str.slice(len(prefix))
    probes["w"] = (probes["estimate"] - b[1]) / b[3]
    nonzero = probes[probes["w"].abs() > 1e-9]
    if nonzero.empty:
        raise JianfuError(f"moderation: spec {spec!r}: cannot recover cov(b_X, b_XW) (all w = 0)")
    v13s = (nonzero["se"] ** 2 - v11 - nonzero["w"] ** 2 * v33) / (2 * nonzero["w"])
    v13 = float(v13s.median())
    rebuilt = np.sqrt(v11 + 2 * probes["w"] * v13 + probes["w"] ** 2 * v33)
    if not np.allclose(rebuilt, probes["se"], rtol=1e-6, atol=1e-12):
        raise JianfuError(
            f"moderation: spec {spec!r}: the conditional-effect SEs do not fit one "
            "coefficient covariance (tables from different fits?)"
        )
    tcrit = float(((probes["ci_high"] - probes["estimate"]) / probes["se"]).median())
    jn_rows = effs[effs["term"].astype(str).str.startswith("JN point")]
    keep = ["label", "w", "estimate", "se", "ci_low", "ci_high"]
    return ModerationFit(
        x=x,
        w=w,
        y=y,
        b=b,
        v11=v11,
        v13=v13,
        v33=v33,
        tcrit=tcrit,
        offset=offset,  # type: ignore[arg-type]
        probes=probes[keep].reset_index(drop=True),
        jn=tuple(sorted(float(v) for v in jn_rows["estimate"])),
    )
