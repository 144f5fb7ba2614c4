"""Verdicts on the hypotheses (支持 / 部分支持 / 不支持) from the estimates, by stated rules.

Every conclusion the report draws comes from here: the hypotheses, what each predicts and the
rules are params (``report.hypotheses``, ``report.verdicts``); the estimates are pipeline
outputs. The report stage writes the result to ``reports/hypotheses.csv`` and the report's
hypotheses table, and the text takes its verbs and adjectives from the verdict and the sign
(`jianfu.report.wording`). docs/report.md explains the rules for readers.

A hypothesis has one or more **predictions** (params ``predict``), each one estimate:

- ``{spec, term, sign}``: a coefficient of a models spec (the last step of a hierarchical OLS);
- ``{spec, equation, term, sign}``: an effect of a PROCESS spec (``effects.parquet``; the
  equation is e.g. ``PV→FB→WE→SO``, ``"*"`` = every equation of the spec);
- ``{policy, outcome, sign}``: the simple ATT of a measure on an outcome (policy stage; ``"*"``
  = every outcome of the measure, ``policy: "*"`` every measure).

``sign`` is ``"+"``, ``"-"`` or ``"0"`` (no effect expected: e.g. supervision on burden).

**A prediction's verdict** (rules, `Rules`):

1. Not estimated (the spec or its stage was left out, e.g. no office records): 未检验.
2. The estimate's confidence interval (the output's own, 95 % by default) excludes 0:
   - with the predicted sign: 支持, unless the specification curve (when it has this effect)
     finds it significant with that sign in fewer than ``robust_share`` of the specifications,
     or (policy) the pre-trend test rejects at ``pretrend_alpha``: then 部分支持;
   - with the other sign, or when no effect was predicted: 不支持.
3. The interval includes 0: 不支持 for a predicted sign; for a predicted null 支持, unless the
   specification curve finds the effect significant in more than ``1 − robust_share`` of the
   specifications (部分支持).

**A hypothesis's verdict**: 支持 when every tested prediction is supported, 不支持 when none is
supported or partly supported, 部分支持 otherwise, 未检验 when none was tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from jianfu.core.errors import JianfuError

SUPPORTED, PARTIAL, NOT_SUPPORTED, NOT_TESTED = (
    "supported",
    "partial",
    "not_supported",
    "not_tested",
)
VERDICT_LABELS: dict[str, dict[str, str]] = {
    SUPPORTED: {"zh": "支持", "en": "supported"},
    PARTIAL: {"zh": "部分支持", "en": "partly supported"},
    NOT_SUPPORTED: {"zh": "不支持", "en": "not supported"},
    NOT_TESTED: {"zh": "未检验", "en": "not tested"},
}
SIGNS = {"+": 1, "-": -1, "0": 0}

#: the columns of reports/hypotheses.csv (one row per prediction)
COLUMNS = [
    "hypothesis", "source", "spec", "equation", "term", "prediction", "estimate", "ci_low",
    "ci_high", "p", "curve_effect", "curve_specifications", "curve_share", "pretrend_p",
    "verdict", "reason", "hypothesis_verdict",
]  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """The decision rules (params ``report.verdicts``)."""

    robust_share: float = 0.9
    pretrend_alpha: float = 0.05
    policy_estimator: str = "cs_notyet"
    policy_inference: str = "unit"  # unit | cluster

    @classmethod
    def from_params(cls, p: Mapping) -> Rules:
        policy = p.get("policy", {})
        rules = cls(
            robust_share=float(p.get("robust_share", cls.robust_share)),
            pretrend_alpha=float(p.get("pretrend_alpha", cls.pretrend_alpha)),
            policy_estimator=str(policy.get("estimator", cls.policy_estimator)),
            policy_inference=str(policy.get("inference", cls.policy_inference)),
        )
        if not 0.5 <= rules.robust_share <= 1:
            raise JianfuError(
                f"params.yaml report.verdicts.robust_share must lie in [0.5, 1], got "
                f"{rules.robust_share}"
            )
        if rules.policy_inference not in ("unit", "cluster"):
            raise JianfuError(
                "params.yaml report.verdicts.policy.inference must be unit or cluster, got "
                f"{rules.policy_inference!r}"
            )
        return rules


@dataclass(frozen=True)
class Hypothesis:
    """One hypothesis of params ``report.hypotheses``: id, statement (zh/en), predictions."""

    id: str
    statement: dict[str, str]
    predict: tuple[dict, ...]


def hypotheses_from_params(p: Mapping) -> list[Hypothesis]:
    """Parse params ``report.hypotheses`` (a clear error naming the bad entry)."""
    out = []
    for hid, body in p.items():
        where = f"params.yaml report.hypotheses.{hid}"
        if not isinstance(body, Mapping) or not {"zh", "en", "predict"} <= set(body):
            raise JianfuError(f"{where}: needs zh, en (the statement) and predict (a list)")
        preds = []
        for i, pred in enumerate(body["predict"]):
            sign = str(pred.get("sign", ""))
            if sign not in SIGNS:
                raise JianfuError(f"{where}.predict[{i}]: sign must be '+', '-' or '0'")
            if "policy" in pred:
                if "outcome" not in pred:
                    raise JianfuError(f"{where}.predict[{i}]: a policy prediction needs outcome")
            elif not {"spec", "term"} <= set(pred):
                raise JianfuError(
                    f"{where}.predict[{i}]: needs spec and term (a model estimate) or policy "
                    "and outcome (an ATT)"
                )
            preds.append(dict(pred))
        out.append(Hypothesis(str(hid), {"zh": body["zh"], "en": body["en"]}, tuple(preds)))
    return out


@dataclass(frozen=True)
class Evidence:
    """The estimates the verdicts read; None where the stage was skipped."""

    coefficients: pd.DataFrame
    effects: pd.DataFrame
    aggregates: pd.DataFrame | None = None
    pretrends: pd.DataFrame | None = None
    curve: pd.DataFrame | None = None  # the specification curve's summary (complete, current)


def _last_step(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["step"] == rows["step"].max()]


def _rows_for(pred: dict, ev: Evidence, rules: Rules) -> list[dict]:
    """The estimate rows one prediction covers (several for "*"); [] when not estimated."""
    if "policy" in pred:
        if ev.aggregates is None:
            return []
        a = ev.aggregates
        a = a[(a["aggregation"] == "simple") & (a["estimator"] == rules.policy_estimator)]
        if pred["policy"] != "*":
            a = a[a["measure"] == pred["policy"]]
        if pred["outcome"] != "*":
            a = a[a["outcome"] == pred["outcome"]]
        lo, hi = ("ci_low_unit", "ci_high_unit") if rules.policy_inference == "unit" else (
            "ci_low", "ci_high")  # fmt: skip
        rows = []
        for r in a.itertuples(index=False):
            rows.append({
                "source": "policy", "spec": f"policy:{rules.policy_estimator}",
                "equation": r.measure, "term": r.outcome, "estimate": r.estimate,
                "ci_low": getattr(r, lo), "ci_high": getattr(r, hi),
                "p": r.p if rules.policy_inference == "cluster" else float("nan"),
                "curve_effect": f"ATT:{r.measure}->{r.outcome}",
            })  # fmt: skip
        return rows
    spec, term = pred["spec"], pred["term"]
    if "equation" in pred:
        e = ev.effects[(ev.effects["spec"] == spec) & (ev.effects["term"] == term)]
        if pred["equation"] != "*":
            e = e[e["equation"] == pred["equation"]]
        return [
            {"source": "effects", "spec": spec, "equation": r.equation, "term": term,
             "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high, "p": float("nan"),
             "curve_effect": pred.get("curve", "")}
            for r in e.itertuples(index=False)
        ]  # fmt: skip
    c = ev.coefficients
    c = c[(c["spec"] == spec) & (c["term"] == term)]
    if c.empty:
        return []
    r = _last_step(c).iloc[0]
    return [{
        "source": "coefficients", "spec": spec, "equation": r["equation"], "term": term,
        "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "p": r["p"],
        "curve_effect": pred.get("curve", f"{r['equation']}<-{term}"),
    }]  # fmt: skip


def _curve(effect: str, ev: Evidence) -> tuple[float, float, float]:
    """(specifications, share significant with the main sign, share significant) or NaNs."""
    nan = float("nan")
    if ev.curve is None or not effect:
        return nan, nan, nan
    hit = ev.curve[ev.curve["effect"] == effect]
    if hit.empty:
        return nan, nan, nan
    r = hit.iloc[0]
    return float(r["specifications"]), float(r["share_significant_same_sign"]), float(
        r["share_significant"])  # fmt: skip


def _pretrend(row: dict, ev: Evidence, rules: Rules) -> float:
    if row["source"] != "policy" or ev.pretrends is None:
        return float("nan")
    t = ev.pretrends
    hit = t[(t["measure"] == row["equation"]) & (t["outcome"] == row["term"])
            & (t["estimator"] == rules.policy_estimator)]  # fmt: skip
    col = "p_value_f_unit" if rules.policy_inference == "unit" else "p_value_f"
    return float(hit.iloc[0][col]) if len(hit) else float("nan")


def decide(row: dict, sign: int, rules: Rules) -> tuple[str, str]:
    """(verdict, reason) for one estimate row (with curve_share / pretrend_p filled)."""
    lo, hi, est = float(row["ci_low"]), float(row["ci_high"]), float(row["estimate"])
    excludes = lo > 0 or hi < 0
    share, share_any = row["curve_share"], row["curve_share_any"]
    if sign == 0:
        if excludes:
            return NOT_SUPPORTED, "ci_excludes_0"
        if pd.notna(share_any) and share_any > 1 - rules.robust_share:
            return PARTIAL, "significant_in_some_specifications"
        return SUPPORTED, "ci_includes_0"
    if not excludes:
        return NOT_SUPPORTED, "ci_includes_0"
    if (1 if est > 0 else -1) != sign:
        return NOT_SUPPORTED, "opposite_sign"
    if pd.notna(share) and share < rules.robust_share:
        return PARTIAL, "not_robust"
    if pd.notna(row["pretrend_p"]) and row["pretrend_p"] < rules.pretrend_alpha:
        return PARTIAL, "pretrend"
    return SUPPORTED, "ci_excludes_0_predicted_sign"


def combine(verdicts: list[str]) -> str:
    """A hypothesis's verdict from its predictions' verdicts."""
    tested = [v for v in verdicts if v != NOT_TESTED]
    if not tested:
        return NOT_TESTED
    if all(v == SUPPORTED for v in tested):
        return SUPPORTED
    if all(v == NOT_SUPPORTED for v in tested):
        return NOT_SUPPORTED
    return PARTIAL


def evaluate(hyps: list[Hypothesis], ev: Evidence, rules: Rules) -> pd.DataFrame:
    """One row per prediction (a "*" prediction gives one row per estimate), `COLUMNS`."""
    rows: list[dict] = []
    for h in hyps:
        mine: list[dict] = []
        for pred in h.predict:
            sign = SIGNS[str(pred["sign"])]
            found = _rows_for(pred, ev, rules)
            if not found:
                what = (
                    {"source": "policy", "spec": f"policy:{rules.policy_estimator}",
                     "equation": pred["policy"], "term": pred["outcome"]}
                    if "policy" in pred
                    else {"source": "coefficients" if "equation" not in pred else "effects",
                          "spec": pred["spec"], "equation": pred.get("equation", ""),
                          "term": pred["term"]}
                )  # fmt: skip
                mine.append({**what, "prediction": str(pred["sign"]), "verdict": NOT_TESTED,
                             "reason": "not_estimated"})  # fmt: skip
                continue
            for row in found:
                n, share, share_any = _curve(row["curve_effect"], ev)
                row |= {"prediction": str(pred["sign"]), "curve_specifications": n,
                        "curve_share": share, "curve_share_any": share_any,
                        "pretrend_p": _pretrend(row, ev, rules)}  # fmt: skip
                if pd.isna(n):
                    row["curve_effect"] = ""
                row["verdict"], row["reason"] = decide(row, sign, rules)
                mine.append(row)
        overall = combine([r["verdict"] for r in mine])
        rows += [{"hypothesis": h.id, **r, "hypothesis_verdict": overall} for r in mine]
    frame = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in frame:
            frame[col] = float("nan") if col not in ("curve_effect", "equation") else ""
    return frame[COLUMNS]


def summary(hyps: list[Hypothesis], parts: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis: id, statements, verdict, counts of predictions by verdict."""
    out = []
    for h in hyps:
        mine = parts[parts["hypothesis"] == h.id]
        counts = mine["verdict"].value_counts()
        out.append({
            "hypothesis": h.id, "statement_zh": h.statement["zh"],
            "statement_en": h.statement["en"],
            "verdict": mine["hypothesis_verdict"].iloc[0] if len(mine) else NOT_TESTED,
            **{v: int(counts.get(v, 0)) for v in VERDICT_LABELS},
        })  # fmt: skip
    return pd.DataFrame(out)
