"""Verdicts on the hypotheses follow the estimates by the stated rules, and so do the sentences.

Tiny frames in the shape of the models and policy outputs; the end-to-end flip (a simulated
effect set to zero with `dvc exp run -S`) is in tests/test_report_flip.py (slow).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from jianfu.core.errors import JianfuError
from jianfu.report import verdicts as V
from jianfu.report.numbers import frame, ledger
from jianfu.report.wording import clause

LABELS = {
    "PV": {"zh": "正确政绩观", "en": "view of achievement"},
    "FB": {"zh": "形式主义负担", "en": "formalism burden"},
    "FT": {"zh": "容错纠错机制", "en": "fault tolerance"},
    "EE": {"zh": "情绪耗竭", "en": "exhaustion"},
    "yibiaotong": {"zh": "一表通", "en": "one-form reporting"},
    "report_submissions": {"zh": "报表填报", "en": "report submissions"},
}
RULES = V.Rules()
NAN = float("nan")


def _coefs(rows):
    """Coefficient rows (spec, equation, term, estimate, ci_low, ci_high, p), step 2."""
    return pd.DataFrame(
        [
            {"spec": s, "equation": y, "step": 2, "term": t, "estimate": b, "ci_low": lo,
             "ci_high": hi, "p": p}
            for s, y, t, b, lo, hi, p in rows
        ]
    )  # fmt: skip


EFFECTS = pd.DataFrame(columns=["spec", "equation", "term", "estimate", "ci_low", "ci_high"])


def _row(est, lo, hi, share=NAN, share_any=NAN, pretrend=NAN):
    return {"estimate": est, "ci_low": lo, "ci_high": hi, "curve_share": share,
            "curve_share_any": share_any, "pretrend_p": pretrend}  # fmt: skip


@pytest.mark.parametrize(
    ("row", "sign", "verdict", "reason"),
    [
        (_row(-0.1, -0.15, -0.05), -1, V.SUPPORTED, "ci_excludes_0_predicted_sign"),
        (_row(-0.1, -0.15, -0.05, share=0.95), -1, V.SUPPORTED, "ci_excludes_0_predicted_sign"),
        (_row(-0.1, -0.15, -0.05, share=0.57), -1, V.PARTIAL, "not_robust"),
        (_row(-0.1, -0.15, -0.05, pretrend=0.01), -1, V.PARTIAL, "pretrend"),
        (_row(-0.1, -0.15, -0.05, pretrend=0.20), -1, V.SUPPORTED, "ci_excludes_0_predicted_sign"),
        (_row(0.1, 0.05, 0.15), -1, V.NOT_SUPPORTED, "opposite_sign"),
        (_row(-0.02, -0.07, 0.03), -1, V.NOT_SUPPORTED, "ci_includes_0"),
        (_row(-0.02, -0.07, 0.03), 0, V.SUPPORTED, "ci_includes_0"),
        (_row(-0.02, -0.07, 0.03, share_any=0.5), 0, V.PARTIAL,
         "significant_in_some_specifications"),
        (_row(0.2, 0.1, 0.3), 0, V.NOT_SUPPORTED, "ci_excludes_0"),
    ],
)  # fmt: skip
def test_decide_follows_the_rules(row, sign, verdict, reason):
    assert V.decide(row, sign, RULES) == (verdict, reason)


def test_robust_share_is_a_rule_not_a_constant():
    row = _row(-0.1, -0.15, -0.05, share=0.8)
    assert V.decide(row, -1, V.Rules(robust_share=0.9))[0] == V.PARTIAL
    assert V.decide(row, -1, V.Rules(robust_share=0.75))[0] == V.SUPPORTED


def test_combine():
    assert V.combine([V.SUPPORTED, V.SUPPORTED]) == V.SUPPORTED
    assert V.combine([V.SUPPORTED, V.NOT_SUPPORTED]) == V.PARTIAL
    assert V.combine([V.PARTIAL]) == V.PARTIAL
    assert V.combine([V.NOT_SUPPORTED, V.NOT_TESTED]) == V.NOT_SUPPORTED
    assert V.combine([V.NOT_TESTED]) == V.NOT_TESTED
    assert V.combine([]) == V.NOT_TESTED


HYPS = V.hypotheses_from_params(
    {
        "H1": {"zh": "措施降低负担", "en": "measures lower burden",
               "predict": [{"spec": "h1", "term": "PV", "sign": "-"}]},
        "H2": {"zh": "负担加剧耗竭", "en": "burden raises exhaustion",
               "predict": [{"spec": "h2", "term": "FB", "sign": "+"},
                           {"spec": "h2", "term": "FB:FT", "sign": "-"}]},
        "H6": {"zh": "一表通减少填报", "en": "one-form reporting cuts reports",
               "predict": [{"policy": "yibiaotong", "outcome": "report_submissions",
                            "sign": "-"}]},
        "H7": {"zh": "工作量加重负担", "en": "workload raises burden",
               "predict": [{"spec": "h1", "term": "workload", "sign": "+"}]},
    }
)  # fmt: skip


def _evidence(pv=(-0.11, -0.16, -0.06, 1e-5), fb=(0.58, 0.51, 0.66, 1e-50), att=-12.8):
    coefs = _coefs([
        ("h1", "FB", "PV", *pv),
        ("h2", "EE", "FB", *fb),
        ("h2", "EE", "FB:FT", -0.09, -0.15, -0.03, 0.005),
    ])  # fmt: skip
    aggs = pd.DataFrame([{
        "measure": "yibiaotong", "outcome": "report_submissions", "estimator": "cs_notyet",
        "aggregation": "simple", "estimate": att, "ci_low": att - 1, "ci_high": att + 1,
        "ci_low_unit": att - 1.5, "ci_high_unit": att + 1.5, "p": 1e-9,
    }])  # fmt: skip
    pre = pd.DataFrame([{
        "measure": "yibiaotong", "outcome": "report_submissions", "estimator": "cs_notyet",
        "p_value_f": 0.04, "p_value_f_unit": 0.26,
    }])  # fmt: skip
    curve = pd.DataFrame(
        [
            {
                "effect": "FB<-PV",
                "specifications": 112,
                "share_significant_same_sign": 1.0,
                "share_significant": 1.0,
            }
        ]
    )
    return V.Evidence(coefs, EFFECTS, aggs, pre, curve)


def test_evaluate_reads_the_estimates():
    parts = V.evaluate(HYPS, _evidence(), RULES)
    assert list(parts.columns) == V.COLUMNS
    by = parts.set_index(["hypothesis", "term"])
    assert by.loc[("H1", "PV"), "verdict"] == V.SUPPORTED
    assert by.loc[("H1", "PV"), "curve_share"] == 1.0  # the curve's FB<-PV
    assert by.loc[("H2", "FB:FT"), "verdict"] == V.SUPPORTED
    # H6 reads the unit-level CI and pre-trend p by default (report.verdicts.policy)
    h6 = by.loc[("H6", "report_submissions")]
    assert h6["ci_low"] == pytest.approx(-14.3) and h6["pretrend_p"] == 0.26
    assert h6["verdict"] == V.SUPPORTED
    # cluster inference reads the cluster pre-trend p (.04 < .05): partly supported
    cluster = V.Rules(policy_inference="cluster")
    h6c = V.evaluate(HYPS, _evidence(), cluster).set_index("hypothesis").loc["H6"]
    assert h6c["verdict"] == V.PARTIAL and h6c["reason"] == "pretrend"
    # not estimated (no workload term: no office records): not tested, not "not supported"
    assert by.loc[("H7", "workload"), "verdict"] == V.NOT_TESTED
    summary = V.summary(HYPS, parts).set_index("hypothesis")["verdict"]
    assert summary.to_dict() == {"H1": V.SUPPORTED, "H2": V.SUPPORTED, "H6": V.SUPPORTED,
                                 "H7": V.NOT_TESTED}  # fmt: skip


def test_without_policy_outputs_h6_is_not_tested():
    ev = _evidence()
    ev = V.Evidence(ev.coefficients, ev.effects, None, None, ev.curve)
    parts = V.evaluate(HYPS, ev, RULES)
    assert set(parts.loc[parts["hypothesis"] == "H6", "verdict"]) == {V.NOT_TESTED}


def test_a_flipped_effect_flips_the_verdict_and_the_sentence():
    """The unit-level version of the end-to-end flip test: FB → EE at zero."""
    before = V.evaluate(HYPS, _evidence(), RULES)
    after = V.evaluate(HYPS, _evidence(fb=(0.01, -0.06, 0.08, 0.78)), RULES)
    pick = lambda p: p[(p["hypothesis"] == "H2") & (p["term"] == "FB")].iloc[0]  # noqa: E731
    assert pick(before)["verdict"] == V.SUPPORTED
    assert pick(after)["verdict"] == V.NOT_SUPPORTED
    zh_before = clause(pick(before), LABELS, "zh", RULES)
    zh_after = clause(pick(after), LABELS, "zh", RULES)
    assert zh_before.startswith("形式主义负担显著提高情绪耗竭")
    assert zh_after.startswith("形式主义负担对情绪耗竭的影响不显著")
    en_after = clause(pick(after), LABELS, "en", RULES)
    assert "no significant effect" in en_after and "raises" not in en_after
    # and the opposite sign is named as such
    opposite = V.evaluate(HYPS, _evidence(fb=(-0.3, -0.4, -0.2, 1e-9)), RULES)
    assert pick(opposite)["reason"] == "opposite_sign"
    assert clause(pick(opposite), LABELS, "zh", RULES).startswith("形式主义负担显著降低情绪耗竭")


def test_interaction_wording_follows_the_main_effect():
    parts = V.evaluate(HYPS, _evidence(), RULES)
    row = parts[parts["term"] == "FB:FT"].iloc[0]
    main = _evidence().coefficients.iloc[1]  # FB → EE, positive
    assert clause(row, LABELS, "zh", RULES, main).startswith("容错纠错机制减弱了形式主义负担")
    negative_main = main.copy()
    negative_main[["estimate", "ci_low", "ci_high"]] = [-0.5, -0.6, -0.4]
    assert clause(row, LABELS, "zh", RULES, negative_main).startswith("容错纠错机制强化了")


def test_robustness_and_pretrend_clauses():
    parts = V.evaluate(HYPS, _evidence(), RULES)
    pv = parts[parts["term"] == "PV"].iloc[0]
    assert "112个分析规格中100%同号且显著" in clause(pv, LABELS, "zh", RULES)
    fragile = pv.copy()
    fragile["curve_share"], fragile["verdict"], fragile["reason"] = 0.57, V.PARTIAL, "not_robust"
    assert "仅57%同号且显著，稳健性不足" in clause(fragile, LABELS, "zh", RULES)
    h6 = parts[parts["hypothesis"] == "H6"].iloc[0]
    text = clause(h6, LABELS, "zh", RULES)
    assert text.startswith("一表通实施后，报表填报显著减少")
    assert "事前趋势检验未拒绝平行趋势（p = .260）" in text


def test_every_number_of_a_sentence_is_in_the_ledger():
    parts = V.evaluate(HYPS, _evidence(), RULES)
    with ledger() as rows:
        text = clause(parts[parts["term"] == "PV"].iloc[0], LABELS, "zh", RULES)
    printed = frame(rows)
    assert list(printed["text"]) == ["−0.11", "−0.16", "−0.06", "112", "100%"]
    for t in printed["text"]:
        assert t in text
    assert math.isclose(printed.loc[0, "value"], -0.11) and printed.loc[0, "kind"] == "coef"
    assert set(printed["source"]) == {"coefficients", "spec_curve_summary"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"H1": {"zh": "x", "en": "x"}}, "needs zh, en"),
        ({"H1": {"zh": "x", "en": "x", "predict": [{"spec": "s", "term": "t", "sign": "<"}]}},
         "sign must be"),
        ({"H1": {"zh": "x", "en": "x", "predict": [{"spec": "s", "sign": "-"}]}},
         "needs spec and term"),
        ({"H1": {"zh": "x", "en": "x", "predict": [{"policy": "m", "sign": "-"}]}},
         "needs outcome"),
    ],
)  # fmt: skip
def test_bad_hypotheses_params_name_the_entry(bad, message):
    with pytest.raises(JianfuError, match=message):
        V.hypotheses_from_params(bad)


def test_rules_are_checked():
    with pytest.raises(JianfuError, match="robust_share"):
        V.Rules.from_params({"robust_share": 1.5})
    with pytest.raises(JianfuError, match="inference"):
        V.Rules.from_params({"policy": {"inference": "bootstrap"}})


def test_the_projects_hypotheses_parse():
    import yaml

    from conftest import ROOT

    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    hyps = V.hypotheses_from_params(params["report"]["hypotheses"])
    assert [h.id for h in hyps] == [f"H{i}" for i in range(1, 8)]
    V.Rules.from_params(params["report"]["verdicts"])
