"""The choices a specification is made of: names, allowed values, defaults, validation.

A *specification* is one dict ``{choice name: value}``. Every choice has a default (the
pipeline's own analysis), so ``{}`` is the default specification and a spec names only what it
changes. `validate` checks a spec and returns it complete; `canonical` also resets the choices a
spec's estimator ignores, so that a grid can drop the duplicates (`is_redundant`).

Survey family (`jianfu.robustness.sample`, `jianfu.robustness.survey`):

========================  =========================  ========================================
choice                    values (default first)     what it does
========================  =========================  ========================================
speeder_median_share      float in (0, 1); 0.3333    ``ingest.clean.speeder_median_share``: a
                                                     speeder takes less than this share of the
                                                     median time (or < speeder_min_seconds)
straightliner             remove | keep              action of the straight-lining rule (keep =
                                                     the ingest action ``flag``)
attention_fail            remove | keep              action of the attention-check rule
scoring                   mean | factor              construct scores: scale means, or CFA
                                                     regression factor scores refitted on the
                                                     spec's sample (ignored by ``sem``)
controls                  background | none          the background covariates
                                                     (``models.covariates``) in every equation
estimator                 ols | mixed | sem          OLS; linear mixed model (townships in
                                                     districts, REML); latent SEM (ML)
se                        cluster | hc3              OLS only: township-clustered or HC3 SEs;
                                                     accepted but ignored by mixed and sem
========================  =========================  ========================================

Policy family (`jianfu.robustness.policy`):

========================  =========================  ========================================
cs_control                notyet | never             Callaway–Sant'Anna comparison group
cs_se                     unit | cluster             township-level or district-clustered SEs
cs_baseline               true | false               condition on each township's pre-period
                                                     level for the outcomes in
                                                     ``policy.baseline_covariate``
cs_method                 dr | reg | ipw             doubly robust, outcome regression, IPW
                                                     (identical without a covariate)
========================  =========================  ========================================
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from jianfu.core.errors import JianfuError

SURVEY = "survey"
POLICY = "policy"


@dataclass(frozen=True)
class Choice:
    """One choice of a specification.

    Attributes
    ----------
    name : the key in a spec dict.
    family : "survey" or "policy" (which function reads it).
    default : the value of the pipeline's own analysis.
    doc : one line on what the choice does.
    values : the allowed values, default first; ``None`` for a number in ``interval``.
    interval : open interval ``(low, high)`` of a numeric choice.
    """

    name: str
    family: str
    default: Any
    doc: str
    values: tuple | None = None
    interval: tuple[float, float] | None = None

    def allowed(self) -> str:
        """The allowed values as text, for messages."""
        if self.values is None:
            lo, hi = self.interval
            return f"a number strictly between {lo:g} and {hi:g}"
        return ", ".join(_show(v) for v in self.values)

    def check(self, value: Any) -> Any:
        """The value in its canonical type (float, bool or str); JianfuError if not allowed."""
        if self.values is None:
            ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
            if ok:
                number = float(value)
                lo, hi = self.interval
                if math.isfinite(number) and lo < number < hi:
                    return number
            raise JianfuError(
                f"robustness spec: {self.name}: {value!r} is not allowed; use {self.allowed()}"
            )
        if all(isinstance(v, bool) for v in self.values):
            if isinstance(value, bool | np.bool_):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                return value.strip().lower() == "true"
        elif isinstance(value, str) and value in self.values:
            return value
        raise JianfuError(
            f"robustness spec: {self.name}: {value!r} is not allowed; use one of {self.allowed()}"
        )


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _choices(*items: Choice) -> dict[str, Choice]:
    return {c.name: c for c in items}


#: Survey-family choices, in the order a spec is displayed.
SURVEY_CHOICES: dict[str, Choice] = _choices(
    Choice("speeder_median_share", SURVEY, 0.3333,
           "speeder: time taken below this share of the median time", interval=(0.0, 1.0)),
    Choice("straightliner", SURVEY, "remove",
           "straight-liners removed or kept (flagged)", values=("remove", "keep")),
    Choice("attention_fail", SURVEY, "remove",
           "failed attention checks removed or kept (flagged)", values=("remove", "keep")),
    Choice("scoring", SURVEY, "mean",
           "construct scores: scale means or CFA regression factor scores",
           values=("mean", "factor")),
    Choice("controls", SURVEY, "background",
           "background covariates (models.covariates) or none", values=("background", "none")),
    Choice("estimator", SURVEY, "ols",
           "OLS, linear mixed model (townships in districts) or latent SEM",
           values=("ols", "mixed", "sem")),
    Choice("se", SURVEY, "cluster",
           "OLS standard errors: township-clustered or HC3 (ignored by mixed and sem)",
           values=("cluster", "hc3")),
)  # fmt: skip

#: Policy-family choices.
POLICY_CHOICES: dict[str, Choice] = _choices(
    Choice("cs_control", POLICY, "notyet",
           "Callaway–Sant'Anna controls: not-yet-treated or never-treated",
           values=("notyet", "never")),
    Choice("cs_se", POLICY, "unit",
           "SEs at the township level or clustered by district", values=("unit", "cluster")),
    Choice("cs_baseline", POLICY, True,
           "condition on the township's pre-period level (policy.baseline_covariate)",
           values=(True, False)),
    Choice("cs_method", POLICY, "dr",
           "doubly robust, outcome regression or inverse probability weighting",
           values=("dr", "reg", "ipw")),
)  # fmt: skip

#: Every choice, survey first.
CHOICES: dict[str, Choice] = {**SURVEY_CHOICES, **POLICY_CHOICES}

#: The default specification: the pipeline's own analysis.
DEFAULTS: dict[str, Any] = {name: c.default for name, c in CHOICES.items()}

#: The columns of every effect frame (`survey.survey_effects`, `policy.policy_effects`).
EFFECT_COLUMNS = [
    "family", "effect", "kind", "x", "m", "y", "estimate", "se", "ci_low", "ci_high", "p", "n",
    "scale",
]  # fmt: skip

#: Estimators whose SEs do not depend on the ``se`` choice.
SE_IGNORED_BY = ("mixed", "sem")
#: Estimators that do not use construct scores (``scoring`` is ignored).
SCORING_IGNORED_BY = ("sem",)


def validate(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check a specification and return it complete (every choice, defaults filled in).

    Parameters
    ----------
    spec : mapping of choice name -> value; missing choices take their `DEFAULTS`. Booleans
        (``cs_baseline``) may also be given as the strings "true" / "false".

    Returns
    -------
    dict with every key of `CHOICES`, in that order, values in canonical types.

    Raises
    ------
    JianfuError naming each unknown key (with the allowed keys) and each bad value (with the
    allowed values). ``se`` is accepted with every estimator; mixed and sem ignore it (see
    `canonical`).
    """
    if spec is None:
        spec = {}
    if not isinstance(spec, Mapping):
        raise JianfuError(
            f"robustness spec: expected a mapping of choice -> value, got {type(spec).__name__}"
        )
    problems = []
    for key in spec:
        if key not in CHOICES:
            close = difflib.get_close_matches(str(key), list(CHOICES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(
                f"robustness spec: unknown choice {key!r}{hint}; the choices are "
                + ", ".join(CHOICES)
            )
    out: dict[str, Any] = {}
    for name, choice in CHOICES.items():
        try:
            out[name] = choice.check(spec[name]) if name in spec else choice.default
        except JianfuError as exc:
            problems.append(str(exc))
    if problems:
        raise JianfuError("\n".join(problems))
    return out


def canonical(spec: Mapping[str, Any] | None) -> dict[str, Any]:
    """`validate`, then reset the choices the spec's estimators ignore to their defaults.

    Rules (each makes two specs with different values give identical results):

    - ``se`` with ``estimator`` mixed or sem: their SEs are model-based;
    - ``scoring`` with ``estimator`` sem: the SEM is fitted on the items, not on scores;
    - ``cs_method`` with ``cs_baseline`` false: without a covariate the doubly robust, outcome
      regression and IPW estimators are the same ATT(g,t) and influence functions (checked in
      the tests).

    A survey spec's policy choices (and vice versa) are left as they are: which family a spec
    is run for is the caller's business.
    """
    out = validate(spec)
    if out["estimator"] in SE_IGNORED_BY:
        out["se"] = DEFAULTS["se"]
    if out["estimator"] in SCORING_IGNORED_BY:
        out["scoring"] = DEFAULTS["scoring"]
    if not out["cs_baseline"]:
        out["cs_method"] = DEFAULTS["cs_method"]
    return out


def is_redundant(spec: Mapping[str, Any] | None) -> bool:
    """True when the spec sets a choice its estimator ignores to a non-default value: it
    duplicates its `canonical` form (e.g. ``estimator=mixed, se=hc3``)."""
    return canonical(spec) != validate(spec)


def family_of(name: str) -> str:
    """The family ("survey" or "policy") of a choice name."""
    if name not in CHOICES:
        raise JianfuError(
            f"robustness spec: unknown choice {name!r}; the choices are {list(CHOICES)}"
        )
    return CHOICES[name].family
