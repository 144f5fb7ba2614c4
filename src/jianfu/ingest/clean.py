"""Cleaning rules for survey responses, with reason codes, a quarantine and a CONSORT-style flow.

The rules are those of Chinese survey papers (DOMAIN_FACTS §5.3); every threshold is a param:

===================  ===============================================================  ========
reason               rule                                                             default
===================  ===============================================================  ========
blank_row            every cell of the row is empty                                   remove
duplicate            same person key (pseudonymised phone / name) or an identical     remove
                     answer vector as an earlier submission (the first is kept)
speeder              time taken < ``speeder_min_seconds`` or < ``speeder_median_share``   remove
                     × the median time
attention_fail       an attention check not answered as instructed                    remove
straightliner        within-person SD 0 across the answers of one response scale      remove
                     (reverse-keyed items included), or longstring ≥
                     ``longstring_max`` identical answers in a row
logic_conflict       answers that cannot both be true (the codebook's                 remove
                     ``logic_conflicts``)
too_many_missing     share of scored items missing > ``max_missing_share``            remove
out_of_range         a number outside the item's valid range (set to missing)         flag
shared_ip            the same IP as another response (offices share one address)      flag
township_unmatched   the typed township could not be matched confidently              flag
===================  ===============================================================  ========

A rule's action ``remove`` sends the row to the quarantine with all its reasons; ``flag`` keeps
it with a ``flag_<reason>`` column. Rows in = rows clean + rows quarantined, always.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jianfu.codebook.model import Codebook

#: Rules in the order of the cleaning flow.
RULES = (
    "blank_row",
    "duplicate",
    "speeder",
    "attention_fail",
    "straightliner",
    "logic_conflict",
    "too_many_missing",
    "out_of_range",
    "shared_ip",
    "township_unmatched",
)


@dataclass(frozen=True)
class Cleaned:
    clean: pd.DataFrame
    quarantine: pd.DataFrame
    flags: pd.DataFrame  # one bool column per rule, one row per input row
    flow: pd.DataFrame  # CONSORT-style: step, rows before, removed, rows after
    counts: dict  # rows per reason (a row can have several)


def _scored(cb: Codebook) -> list[str]:
    return [i.id for c in cb.constructs for i in cb.construct_items(c.id)]


def detect(
    values: pd.DataFrame,
    cb: Codebook,
    p,
    *,
    blank: pd.Series,
    township_status: pd.Series | None = None,
) -> pd.DataFrame:
    """Apply every rule; one boolean column per rule (True = the rule fires)."""
    n = len(values)
    flags = pd.DataFrame(False, index=values.index, columns=list(RULES))
    flags["blank_row"] = blank.to_numpy()
    alive = ~flags["blank_row"]

    # speeders: absolute and relative to the median time of the non-blank rows
    if "duration_s" in values:
        seconds = values["duration_s"].astype("float64")
        median = seconds[alive].median()
        fast = (seconds < float(p["speeder_min_seconds"])) | (
            seconds < float(p["speeder_median_share"]) * median
        )
        flags["speeder"] = (fast.fillna(False) & alive).to_numpy()

    # attention checks: anything but the instructed answer (a missing answer fails too)
    checks = [i for i in cb.attention_checks if i.id in values]
    for item in checks:
        answer = values[item.id]
        flags["attention_fail"] |= (answer.isna() | (answer != item.attention_expected)).fillna(
            True
        ).to_numpy() & alive.to_numpy()

    # straight-lining, using the raw answers (reverse-keyed items included)
    matrix = [
        i for i in cb.items if i.type == "matrix" and not i.is_attention_check and i.id in values
    ]
    by_scale: dict[str, list[str]] = {}
    for item in matrix:
        by_scale.setdefault(item.scale, []).append(item.id)
    for cols in by_scale.values():
        answers = values[cols].astype("float64")
        enough = answers.notna().sum(axis=1) >= int(p["straightline_min_items"])
        flat = answers.std(axis=1, ddof=0) == 0
        flags["straightliner"] |= (flat & enough & alive).to_numpy()
    if matrix:
        ordered = values[[i.id for i in matrix]].astype("float64").to_numpy()
        flags["straightliner"] |= (longstring(ordered) >= int(p["longstring_max"])) & alive

    # logical conflicts declared in the codebook (a rule on items the export lacks cannot fire)
    for rule in cb.logic_conflicts:
        if not all(item in values for item in rule.items):
            continue
        hit = pd.Series(True, index=values.index)
        for column, codes in rule.conditions:
            hit &= values[column].astype("Float64").isin(list(codes)).fillna(False).astype(bool)
        flags["logic_conflict"] |= (hit & alive).to_numpy()

    # too many missing scored items (skipped by questionnaire logic does not count)
    scored = [c for c in _scored(cb) if c in values]
    if scored:
        reasons = values[[f"{c}__missing" for c in scored]]
        missing = reasons.notna() & (reasons != "skipped")
        share = missing.sum(axis=1) / len(scored)
        flags["too_many_missing"] = ((share > float(p["max_missing_share"])) & alive).to_numpy()

    reasons = values[[c for c in values.columns if c.endswith("__missing")]]
    flags["out_of_range"] = ((reasons == "out_of_range").any(axis=1) & alive).to_numpy()

    # duplicates: person key or identical answers; the earliest submission is kept
    flags["duplicate"] = duplicates(values, cb, p) & alive.to_numpy()
    ip_column = next((c for c in ("ip_pseudo", "ip") if c in values), None)
    if ip_column is not None:
        # an address shared by different people (a resubmission does not count)
        ip = values[ip_column].astype("str").str.replace(r"\(.*\)$", "", regex=True)
        ip = ip.where(alive & ~flags["duplicate"] & ip.notna() & (ip != ""))
        flags["shared_ip"] = (ip.notna() & ip.duplicated(keep=False)).to_numpy()
    if township_status is not None:
        flags["township_unmatched"] = (township_status != "matched").to_numpy() & alive.to_numpy()
    assert len(flags) == n
    return flags


def longstring(answers: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive non-missing answers in each row."""
    n, k = answers.shape
    best = np.zeros(n, dtype=int)
    run = np.zeros(n, dtype=int)
    previous = np.full(n, np.nan)
    for j in range(k):
        current = answers[:, j]
        same = current == previous
        run = np.where(np.isnan(current), 0, np.where(same, run + 1, 1))
        best = np.maximum(best, run)
        previous = current
    return best


def duplicates(values: pd.DataFrame, cb: Codebook, p) -> np.ndarray:
    """Later submissions of the same person or with the same answers as an earlier one."""
    order = values.sort_values(
        [c for c in ("submitted_at", "seq", "file_row") if c in values], kind="stable"
    ).index
    ordered = values.loc[order]
    dup = pd.Series(False, index=ordered.index)
    for key in p["duplicate_person_keys"]:
        if key in ordered:
            k = ordered[key]
            dup |= k.notna() & (k != "") & k.duplicated(keep="first")
    items = [i.id for i in cb.items if i.id in ordered and i.type in ("single", "matrix")]
    answered = ordered[items].notna().sum(axis=1) >= int(p["duplicate_min_answers"])
    same = ordered[items].astype("float64").duplicated(keep="first")
    dup |= same & answered
    return dup.reindex(values.index).to_numpy()


def apply_rules(values: pd.DataFrame, flags: pd.DataFrame, p) -> Cleaned:
    """Split rows into clean and quarantine according to each rule's action."""
    actions = {rule: str(p["actions"][rule]) for rule in RULES}
    for rule, action in actions.items():
        if action not in ("remove", "flag"):
            raise ValueError(f"ingest.clean.actions.{rule}: {action!r} (use remove or flag)")
    removing = [r for r in RULES if actions[r] == "remove"]
    remove = flags[removing].any(axis=1)
    reasons = pd.Series("", index=flags.index)
    for rule in RULES:
        reasons = reasons.where(~flags[rule], reasons + ";" + rule)
    reasons = reasons.str.lstrip(";")
    quarantine = values[remove].copy()
    quarantine.insert(1, "reasons", reasons[remove].to_numpy())
    clean = values[~remove].copy()
    for rule in RULES:
        if actions[rule] == "flag":
            clean[f"flag_{rule}"] = flags.loc[~remove, rule].to_numpy()
    flow, before = [], len(values)
    gone = pd.Series(False, index=values.index)
    for rule in removing:
        newly = flags[rule] & ~gone
        flow.append(
            {
                "step": rule,
                "rows_before": int(before),
                "removed": int(newly.sum()),
                "rows_after": int(before - newly.sum()),
            }
        )
        before -= int(newly.sum())
        gone |= flags[rule]
    counts = {rule: int(flags[rule].sum()) for rule in RULES}
    return Cleaned(clean, quarantine, flags, pd.DataFrame(flow), counts)


def precision_recall(flags: pd.DataFrame, truth: dict[str, np.ndarray]) -> dict:
    """Each rule's precision and recall against the known truth (simulated data).

    `truth` maps a rule to a boolean array over the same rows (True = the row truly has it).
    """
    out = {}
    for rule, actual in truth.items():
        predicted = flags[rule].to_numpy()
        tp = int((predicted & actual).sum())
        fp = int((predicted & ~actual).sum())
        fn = int((~predicted & actual).sum())
        out[rule] = {
            "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None,
            "true_positives": tp,
            "false_positives": fp,
            "false_negatives": fn,
        }
    return out
