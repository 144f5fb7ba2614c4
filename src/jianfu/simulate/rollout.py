"""Policy roll-out: who adopts which burden-reduction measure when, what it does, and the truth.

This module is the *model* behind the simulated administrative records; `jianfu.simulate.admin`
draws the records from it. It holds:

* the staggered roll-out of four district-level measures (`make_rollout`, params
  ``simulate.rollout``): 一表通 report consolidation (``yibiaotong``), app / work-group clean-up
  (``app_clean``), the document / meeting negative list (``negative_list``) and the 村(社区) duty
  list (``duty_list``). Dates follow DOMAIN_FACTS §3.3: 永川 launched 一表通 in 2023-09 (real),
  渝北 has had its village duty lists since 2019 (real, always treated); the other dates are the
  proposed staggered schedule [E], randomised within 一区两群 strata with a tilt toward the
  主城都市区 adopting earlier;
* the effects (params ``simulate.admin.effects``): each measure multiplies the expected count of
  its own event type(s) by ``1 + full_effect · stratum_multiplier · (1 - exp(-(e+1)/ramp))`` at
  event time e ≥ 0 (1 before adoption), with full effects inside the DOMAIN_FACTS §3.1 ranges
  (一表通 -30…-60 % reports, clean-up -15…-40 % apps, negative list -10…-50 % documents); the
  national 《若干规定》 (``guifan_2024``, 2024-09, DOMAIN_FACTS §3.2) is a common time shock on
  documents and meetings for every unit, not a staggered measure; 一表通 improves the 12345 hotline
  outcomes after a lag;
* the mean model of the township-month outcomes (`EventModel`, `HotlineModel`) and the true
  ATT(g,t) computed from it (`att_truth`).

Months are handled as integers ``year·12 + month - 1`` (`month_index`); labels are "YYYY-MM".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from jianfu.core.errors import JianfuError
from jianfu.simulate.frame import STRATA, Frame

#: The staggered measures, in the order their schedules are drawn.
MEASURES = ("yibiaotong", "app_clean", "negative_list", "duty_list")
#: Event types of the workload log (the order fixes the codes of the dictionary column).
EVENT_TYPES = ("document", "meeting", "inspection", "report_submission", "app_task")
#: What an effect can act on: an event type's count, or the minutes per app task.
EFFECT_TARGETS = (*EVENT_TYPES, "app_task_minutes")
#: Township-month outcomes of the panel, per cadre for the workload counts.
COUNT_OUTCOMES = {
    "documents": "document",
    "meetings": "meeting",
    "inspections": "inspection",
    "report_submissions": "report_submission",
    "app_tasks": "app_task",
}
HOTLINE_OUTCOMES = (
    "hotline_response_hours",
    "hotline_resolution_rate",
    "hotline_satisfaction_rate",
)
OUTCOMES = (*COUNT_OUTCOMES, "app_minutes", *HOTLINE_OUTCOMES)
#: The common shock of the national 2024 规定: a time effect, not a staggered measure.
COMMON_SHOCK = "guifan_2024"
HOTLINE_SHIFTS = ("response_log", "resolution_logit", "satisfaction_logit")
NEVER, ALWAYS = -1, 0
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def month_index(label: str) -> int:
    """``"YYYY-MM"`` → ``year·12 + month - 1``."""
    match = _MONTH.fullmatch(str(label))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise JianfuError(f"not a month in YYYY-MM form: {label!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_label(index: int) -> str:
    """Inverse of `month_index`."""
    return f"{int(index) // 12:04d}-{int(index) % 12 + 1:02d}"


def panel_months(p) -> np.ndarray:
    """Month indices of the simulated panel, ``p["months"]["first"]`` … ``["last"]``."""
    first, last = month_index(p["months"]["first"]), month_index(p["months"]["last"])
    if last < first:
        raise JianfuError(f"months: last {month_label(last)} is before first {month_label(first)}")
    return np.arange(first, last + 1)


# --------------------------------------------------------------------------- the schedule
def make_rollout(frame: Frame, p, rng: np.random.Generator) -> pd.DataFrame:
    """Draw the district × measure adoption schedule.

    For each measure (in `MEASURES` order) the districts not fixed by ``fixed`` are put in a
    random order by Gumbel-top-k keys ``g + stratum_tilt[stratum]``, i.e. drawn one after the
    other without replacement with probability ∝ ``exp(stratum_tilt)`` (strata with a larger tilt
    adopt earlier). The first districts in that order take the earliest adoption months, the last
    ``n_never`` are never treated within the window. Adoption months come from ``waves`` (a
    mapping month → number of districts, schedule ``waves``) or are drawn uniformly on the monthly
    grid ``first`` … ``last`` and sorted (schedule ``monthly``).

    Parameters
    ----------
    frame : Frame
        The unit registry; ``frame.districts`` gives the codes and strata.
    p : Mapping
        The ``simulate.rollout`` params: ``window`` {start, end}, ``stratum_tilt`` {stratum:
        log-weight}, ``measures`` {measure: {schedule, fixed, n_never, waves | first, last}}.
    rng : numpy.random.Generator
        Used for the orderings and the monthly onsets only.

    Returns
    -------
    pandas.DataFrame
        One row per district × measure: ``district_code`` (int64), ``stratum`` (str),
        ``measure`` (str), ``adoption_month`` ("YYYY-MM"; missing = not adopted within the
        window), ``wave`` (int64: 1, 2, … = the district's cohort in order of adoption month
        within the window; 0 = adopted before the window starts, i.e. always treated;
        -1 = never treated within the window).
    """
    districts = frame.districts.reset_index(drop=True)
    codes = districts["district_code"].to_numpy(dtype=np.int64)
    strata = districts["stratum"].astype(str).to_numpy()
    tilt_spec = p["stratum_tilt"]
    tilt_of = {s: float(tilt_spec[s]) for s in STRATA}
    tilt = np.array([tilt_of[s] for s in strata])
    start, end = month_index(p["window"]["start"]), month_index(p["window"]["end"])
    tables = []
    for measure in MEASURES:
        adoption = _schedule(measure, p["measures"][measure], codes, tilt, start, end, rng)
        in_window = np.unique(adoption[np.isfinite(adoption) & (adoption >= start)])
        wave = np.full(len(codes), NEVER, dtype=np.int64)
        finite = np.isfinite(adoption)
        wave[finite] = np.searchsorted(in_window, adoption[finite]) + 1
        wave[finite & (adoption < start)] = ALWAYS
        labels = [month_label(a) if np.isfinite(a) else None for a in adoption]
        tables.append(
            pd.DataFrame(
                {
                    "district_code": codes,
                    "stratum": pd.Series(strata, dtype="str"),
                    "measure": measure,
                    "adoption_month": pd.Series(labels, dtype="str"),
                    "wave": wave,
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def _schedule(
    measure: str,
    spec,
    codes: np.ndarray,
    tilt: np.ndarray,
    start: int,
    end: int,
    rng: np.random.Generator,
) -> np.ndarray:
    where = f"rollout.measures.{measure}"
    fixed = {int(k): month_index(v) for k, v in dict(spec["fixed"]).items()}
    unknown = sorted(set(fixed) - set(codes.tolist()))
    if unknown:
        raise JianfuError(f"{where}.fixed: district code(s) {unknown} are not in the registry")
    adoption = np.full(len(codes), np.nan)
    is_fixed = np.isin(codes, list(fixed))
    adoption[is_fixed] = [fixed[c] for c in codes[is_fixed]]
    free = np.flatnonzero(~is_fixed)
    n_never = int(spec["n_never"])
    n_adopt = len(free) - n_never
    if n_never < 0 or n_adopt < 0:
        raise JianfuError(
            f"{where}.n_never: {n_never} is not between 0 and the {len(free)} districts not fixed"
        )
    order = free[np.argsort(-(rng.gumbel(size=len(free)) + tilt[free]), kind="stable")]
    kind = spec["schedule"]
    if kind == "waves":
        waves = {month_index(k): int(v) for k, v in dict(spec["waves"]).items()}
        if sum(waves.values()) != n_adopt:
            raise JianfuError(
                f"{where}.waves: wave sizes sum to {sum(waves.values())}, but {len(codes)} "
                f"districts - {len(fixed)} fixed - {n_never} never treated = {n_adopt}"
            )
        onsets = np.repeat(sorted(waves), [waves[m] for m in sorted(waves)]).astype(float)
    elif kind == "monthly":
        first, last = month_index(spec["first"]), month_index(spec["last"])
        if last < first:
            raise JianfuError(f"{where}: last {spec['last']} is before first {spec['first']}")
        onsets = np.sort(rng.integers(first, last + 1, size=n_adopt)).astype(float)
    else:
        raise JianfuError(f"{where}.schedule: {kind!r} is not one of 'waves', 'monthly'")
    adoption[order[:n_adopt]] = onsets
    scheduled = adoption[np.isfinite(adoption)]
    if (scheduled > end).any() or (onsets < start).any():
        raise JianfuError(
            f"{where}: adoption months must lie in the window "
            f"{month_label(start)} … {month_label(end)} (fixed months may be "
            "earlier: always treated)"
        )
    return adoption


def _adoption(rollout: pd.DataFrame, measure: str, codes: np.ndarray) -> np.ndarray:
    """Adoption month index of `measure` for each district code (NaN = never)."""
    sub = rollout[rollout["measure"] == measure]
    lookup = pd.Series(sub["adoption_month"].to_numpy(), index=sub["district_code"].to_numpy())
    missing = np.setdiff1d(codes, lookup.index.to_numpy())
    if len(missing):
        raise JianfuError(f"roll-out has no '{measure}' row for district(s) {missing.tolist()}")
    labels = lookup.reindex(codes)
    known = {m: month_index(m) for m in labels.dropna().unique()}
    return np.array([known[m] if isinstance(m, str) else np.nan for m in labels], dtype=float)


def _strata(rollout: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    lookup = rollout.drop_duplicates("district_code").set_index("district_code")["stratum"]
    return lookup.reindex(codes).astype(str).to_numpy()


def _ramp(event_time: np.ndarray, ramp_months: float) -> np.ndarray:
    """Share of the full effect reached at event time e: ``1 - exp(-(e+1)/ramp)``, 0 before."""
    built = 1.0 - np.exp(-(np.nan_to_num(event_time, nan=-1.0) + 1.0) / ramp_months)
    return np.where(event_time >= 0, built, 0.0)


# --------------------------------------------------------------------------- the effects
@dataclass(frozen=True)
class MeasureEffect:
    """One measure's effect: proportional change when fully built up, speed, regional scaling."""

    full_effect: dict[str, float]
    ramp_months: float
    stratum_multiplier: dict[str, float]


@dataclass(frozen=True)
class EffectModel:
    """All roll-out effects and the common shock (params ``simulate.admin.effects``)."""

    measures: dict[str, MeasureEffect]
    shock_month: int
    shock_effect: dict[str, float]
    hotline_lag: int
    hotline_ramp: float
    hotline_shift: dict[str, float]

    @classmethod
    def from_params(cls, p) -> EffectModel:
        """Read and check the effects section."""
        measures = {}
        for m in MEASURES:
            spec = p[m]
            full = {str(k): float(v) for k, v in dict(spec["full_effect"]).items()}
            mult = {s: float(spec["stratum_multiplier"][s]) for s in STRATA}
            _check_targets(f"effects.{m}.full_effect", full)
            for target, value in full.items():
                if min(1.0 + value * k for k in mult.values()) <= 0:
                    raise JianfuError(
                        f"effects.{m}: full_effect.{target} × a stratum multiplier "
                        "is -100 % or less (the count would vanish)"
                    )
            ramp = float(spec["ramp_months"])
            if ramp <= 0:
                raise JianfuError(f"effects.{m}.ramp_months must be positive, got {ramp}")
            measures[m] = MeasureEffect(full, ramp, mult)
        shock = p[COMMON_SHOCK]
        shock_effect = {str(k): float(v) for k, v in dict(shock["effect"]).items()}
        _check_targets(f"effects.{COMMON_SHOCK}.effect", shock_effect)
        hot = p["yibiaotong"]["hotline"]
        return cls(
            measures,
            month_index(shock["month"]),
            shock_effect,
            int(hot["lag_months"]),
            float(hot["ramp_months"]),
            {k: float(hot[k]) for k in HOTLINE_SHIFTS},
        )

    def multipliers(
        self, rollout: pd.DataFrame, codes: np.ndarray, months: np.ndarray, drop: str | None = None
    ) -> dict[str, np.ndarray]:
        """Multiplier of each effect target, shape (districts, months); `drop` = that measure
        switched off (the counterfactual of its ATT)."""
        codes = np.asarray(codes, dtype=np.int64)
        months = np.asarray(months)
        strata = _strata(rollout, codes)
        out = {t: np.ones((len(codes), len(months))) for t in EFFECT_TARGETS}
        for m, eff in self.measures.items():
            if m == drop or not eff.full_effect:
                continue
            path = _ramp(months[None, :] - _adoption(rollout, m, codes)[:, None], eff.ramp_months)
            scale = np.array([eff.stratum_multiplier[s] for s in strata])[:, None] * path
            for target, value in eff.full_effect.items():
                out[target] = out[target] * (1.0 + value * scale)
        after = (months >= self.shock_month)[None, :]
        for target, value in self.shock_effect.items():
            out[target] = out[target] * np.where(after, 1.0 + value, 1.0)
        return out

    def hotline_shifts(
        self, rollout: pd.DataFrame, codes: np.ndarray, months: np.ndarray, drop: str | None = None
    ) -> dict[str, np.ndarray]:
        """一表通's lagged shifts of the hotline linear predictors, shape (districts, months)."""
        codes = np.asarray(codes, dtype=np.int64)
        if drop == "yibiaotong":
            return {k: np.zeros((len(codes), len(months))) for k in HOTLINE_SHIFTS}
        eff = self.measures["yibiaotong"]
        e = np.asarray(months)[None, :] - _adoption(rollout, "yibiaotong", codes)[:, None]
        scale = np.array([eff.stratum_multiplier[s] for s in _strata(rollout, codes)])[
            :, None
        ] * _ramp(e - self.hotline_lag, self.hotline_ramp)
        return {k: self.hotline_shift[k] * scale for k in HOTLINE_SHIFTS}


def _check_targets(where: str, effects: dict[str, float]) -> None:
    unknown = sorted(set(effects) - set(EFFECT_TARGETS))
    if unknown:
        raise JianfuError(f"{where}: unknown target(s) {unknown}; use {list(EFFECT_TARGETS)}")


def rate_multiplier(
    rollout: pd.DataFrame, district_codes, month: str, event_type: str, p
) -> np.ndarray:
    """Multiplicative effect of the roll-out and the common shock on an expected workload count.

    Parameters
    ----------
    rollout : pandas.DataFrame
        From `make_rollout`.
    district_codes : array-like of int
        One entry per unit to evaluate (repeats allowed, e.g. one per respondent).
    month : str
        "YYYY-MM".
    event_type : str
        One of `EVENT_TYPES`, or ``"app_minutes"`` (app tasks × minutes per task).
    p : Mapping
        The ``simulate.admin`` params (reads ``effects``).

    Returns
    -------
    numpy.ndarray
        Float multipliers, 1 for units untouched in that month. Seasonality and the township's
        workload level are not included.
    """
    if event_type not in (*EVENT_TYPES, "app_minutes"):
        raise JianfuError(
            f"unknown event type {event_type!r}; use one of {[*EVENT_TYPES, 'app_minutes']}"
        )
    codes = np.asarray(district_codes, dtype=np.int64)
    uniq, inverse = np.unique(codes, return_inverse=True)
    mult = EffectModel.from_params(p["effects"]).multipliers(
        rollout, uniq, np.array([month_index(month)])
    )
    if event_type == "app_minutes":
        values = mult["app_task"][:, 0] * mult["app_task_minutes"][:, 0]
    else:
        values = mult[event_type][:, 0]
    return values[inverse]


# --------------------------------------------------------------------------- the mean model
def expected_rounded_lognormal(median: np.ndarray, sigma: float) -> np.ndarray:
    """E[max(1, rint(X))] for X log-normal with the given median(s) and log-SD `sigma`.

    Exact up to truncation far in the tail: ``1 + Σ_{k≥2} P(X ≥ k - 1/2)``.
    """
    median = np.asarray(median, dtype=float)
    uniq, inverse = np.unique(median, return_inverse=True)
    out = np.empty(len(uniq))
    for i, m in enumerate(uniq):
        k = np.arange(2, int(np.ceil(m * np.exp(9.0 * sigma))) + 3)
        out[i] = 1.0 + ndtr((np.log(m) - np.log(k - 0.5)) / sigma).sum()
    return out[inverse].reshape(median.shape)


@dataclass(frozen=True)
class EventModel:
    """Expected workload events per cadre-month (params ``simulate.admin.events``).

    ``rate[t, m, k] = per_cadre[k] · exp(workload_loading · z_t) · seasonality[month of m]
    · roll-out and shock multipliers``, with z_t the township's ``workload_z`` standardised over
    the frame (as the survey generator does). Event sizes are ``max(1, rint(X))`` with X
    log-normal(median, sigma) per type; 一表通 etc. do not change sizes, app clean-up shrinks the
    median minutes per app task by its ``app_task_minutes`` effect.
    """

    per_cadre: np.ndarray
    workload_loading: float
    seasonality: np.ndarray
    size_median: np.ndarray
    size_sigma: np.ndarray

    @classmethod
    def from_params(cls, p) -> EventModel:
        """Read the events section."""
        season = np.asarray(list(p["seasonality"]), dtype=float)
        if season.shape != (12,) or (season <= 0).any():
            raise JianfuError("events.seasonality: need 12 positive monthly factors (Jan … Dec)")
        per = np.array([float(p["per_cadre_month"][k]) for k in EVENT_TYPES])
        med = np.array([float(p["size_median"][k]) for k in EVENT_TYPES])
        sig = np.array([float(p["size_sigma"][k]) for k in EVENT_TYPES])
        if (per < 0).any() or (med <= 0).any() or (sig <= 0).any():
            raise JianfuError("events: per_cadre_month ≥ 0, size_median > 0, size_sigma > 0")
        return cls(per, float(p["workload_loading"]), season, med, sig)

    def rates(
        self,
        frame: Frame,
        effects: EffectModel,
        rollout: pd.DataFrame,
        months: np.ndarray,
        drop: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Expected events per cadre, shape (townships, months, event types), and the median
        minutes per app task, shape (townships, months); townships in registry order."""
        towns = frame.townships
        codes = frame.districts["district_code"].to_numpy(dtype=np.int64)
        d_idx = pd.Index(codes).get_indexer(towns["district_code"])
        z = towns["workload_z"].to_numpy(dtype=float)
        level = np.exp(self.workload_loading * z / z.std(ddof=1))
        season = self.seasonality[np.asarray(months) % 12]
        mult = effects.multipliers(rollout, codes, months, drop)
        stacked = np.stack([mult[k] for k in EVENT_TYPES], axis=-1)[d_idx]
        rate = self.per_cadre * level[:, None, None] * season[None, :, None] * stacked
        app = EVENT_TYPES.index("app_task")
        return rate, self.size_median[app] * mult["app_task_minutes"][d_idx]


@dataclass(frozen=True)
class HotlineModel:
    """The 12345 ticket model (params ``simulate.admin.hotline``), given the township's
    standardised mean work engagement `we` and 一表通's lagged shifts.

    * response hours: log-normal, ``log median = log(response_hours_median)
      + we_on_response_log·we + shift``, log-SD ``response_hours_sigma``;
    * resolved: ``logit P = resolution_logit + we_on_resolution_logit·we + shift``;
    * satisfied (rating 4–5, among rated tickets): ``logit P = satisfaction_logit
      + resolved_on_satisfaction_logit·resolved + we_on_satisfaction_logit·we + shift``.
    """

    tickets_per_10k: float
    response_median: float
    response_sigma: float
    resolution_logit: float
    satisfaction_logit: float
    resolved_on_satisfaction: float
    we_on_response: float
    we_on_resolution: float
    we_on_satisfaction: float

    @classmethod
    def from_params(cls, p) -> HotlineModel:
        """Read the hotline section (mean-model keys only)."""
        return cls(
            float(p["tickets_per_10k_residents"]),
            float(p["response_hours_median"]),
            float(p["response_hours_sigma"]),
            float(p["resolution_logit"]),
            float(p["satisfaction_logit"]),
            float(p["resolved_on_satisfaction_logit"]),
            float(p["we_on_response_log"]),
            float(p["we_on_resolution_logit"]),
            float(p["we_on_satisfaction_logit"]),
        )

    def log_response_median(self, we, shift):
        return np.log(self.response_median) + self.we_on_response * we + shift

    def p_resolved(self, we, shift):
        return expit(self.resolution_logit + self.we_on_resolution * we + shift)

    def p_satisfied(self, we, shift, resolved):
        return expit(
            self.satisfaction_logit
            + self.resolved_on_satisfaction * resolved
            + self.we_on_satisfaction * we
            + shift
        )

    def expected(self, we, shifts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Expected mean response hours, resolution rate and satisfied rate."""
        res = self.p_resolved(we, shifts["resolution_logit"])
        sat = shifts["satisfaction_logit"]
        return {
            "hotline_response_hours": np.exp(
                self.log_response_median(we, shifts["response_log"]) + self.response_sigma**2 / 2
            ),
            "hotline_resolution_rate": res,
            "hotline_satisfaction_rate": (
                res * self.p_satisfied(we, sat, 1.0) + (1 - res) * self.p_satisfied(we, sat, 0.0)
            ),
        }


def standardised_we(frame: Frame, township_we: pd.Series) -> np.ndarray:
    """Township mean work engagement in registry order, z-scored over the frame (ddof=1)."""
    codes = frame.townships["township_code"]
    values = pd.Series(township_we).reindex(codes.to_numpy())
    if values.isna().any():
        missing = codes[values.isna().to_numpy()].tolist()
        raise JianfuError(
            f"township_we: no finite value for {len(missing)} township(s), e.g. {missing[:3]}"
        )
    v = values.to_numpy(dtype=float)
    if v.std(ddof=1) == 0:
        raise JianfuError("township_we: constant across townships; cannot standardise")
    return (v - v.mean()) / v.std(ddof=1)


def _expected(frame, rollout, models, months, we, drop=None) -> dict[str, np.ndarray]:
    events, effects, hotline = models
    rate, app_median = events.rates(frame, effects, rollout, months, drop)
    out = {name: rate[..., EVENT_TYPES.index(k)] for name, k in COUNT_OUTCOMES.items()}
    app = EVENT_TYPES.index("app_task")
    out["app_minutes"] = out["app_tasks"] * expected_rounded_lognormal(
        app_median, events.size_sigma[app]
    )
    codes = frame.districts["district_code"].to_numpy(dtype=np.int64)
    d_idx = pd.Index(codes).get_indexer(frame.townships["district_code"])
    shifts = {k: v[d_idx] for k, v in effects.hotline_shifts(rollout, codes, months, drop).items()}
    out.update(hotline.expected(we[:, None], shifts))
    return out


# --------------------------------------------------------------------------- the truth
def att_truth(frame: Frame, rollout: pd.DataFrame, p, township_we: pd.Series) -> pd.DataFrame:
    """The true ATT(g,t) of every measure on every panel outcome.

    ``ATT_m,o(g,t) = (1/N_g) Σ_{i in g} (E[Y_i,t(1)] - E[Y_i,t(0)])``: the equally weighted mean
    over the N_g townships of the districts whose adoption month of measure m is g, where
    E[Y(1)] is the expected outcome under the actual roll-out and E[Y(0)] the same with measure
    m switched off (the other measures and the common shock as they were). Computed from the
    mean model, not from draws. ``att_relative = ATT / (1/N_g) Σ E[Y_i,t(0)]``.

    Outcomes (`OUTCOMES`): ``documents``, ``meetings``, ``inspections``,
    ``report_submissions``, ``app_tasks`` = events per cadre per month; ``app_minutes`` = app
    minutes per cadre per month; ``hotline_response_hours`` = mean hours to first response;
    ``hotline_resolution_rate``; ``hotline_satisfaction_rate`` = share of ratings 4–5. The
    workload outcomes are in full-log units: a log thinned by ``events_scale`` gives
    count / (cadres · events_scale).

    Parameters
    ----------
    frame, rollout : the registry and `make_rollout`'s table.
    p : Mapping
        The ``simulate.admin`` params (reads ``months``, ``events``, ``effects``, ``hotline``).
    township_we : pandas.Series
        Township mean work engagement indexed by township_code (all townships); z-scored here.

    Returns
    -------
    pandas.DataFrame
        measure, outcome, cohort ("YYYY-MM"), month ("YYYY-MM"), event_time (months since
        adoption, negative before), att, att_relative. All cohorts with an adoption month,
        including the always-treated (cohort before the panel); every panel month.
    """
    months = panel_months(p)
    models = (
        EventModel.from_params(p["events"]),
        EffectModel.from_params(p["effects"]),
        HotlineModel.from_params(p["hotline"]),
    )
    we = standardised_we(frame, township_we)
    actual = _expected(frame, rollout, models, months, we)
    codes = frame.townships["district_code"].to_numpy(dtype=np.int64)
    labels = np.array([month_label(m) for m in months])
    blocks = []
    for measure in MEASURES:
        counter = _expected(frame, rollout, models, months, we, drop=measure)
        adoption = _adoption(rollout, measure, codes)
        for g in np.unique(adoption[np.isfinite(adoption)]):
            sel = adoption == g
            for outcome in OUTCOMES:
                y1, y0 = actual[outcome][sel].mean(axis=0), counter[outcome][sel].mean(axis=0)
                att = y1 - y0
                blocks.append(
                    pd.DataFrame(
                        {
                            "measure": measure,
                            "outcome": outcome,
                            "cohort": month_label(g),
                            "month": labels,
                            "event_time": (months - int(g)).astype(np.int64),
                            "att": att,
                            "att_relative": att / y0,
                        }
                    )
                )
    out = pd.concat(blocks, ignore_index=True)
    for col in ("measure", "outcome", "cohort", "month"):
        out[col] = out[col].astype("str")
    return out
