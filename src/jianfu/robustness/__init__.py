"""Specification-curve analysis: the project's key effects re-estimated under every defensible
combination of analytic choices (Simonsohn, Simmons & Nelson 2020, "Specification curve
analysis", *Nature Human Behaviour* 4:1208–1214).

A **specification** is one dict of choices (`choices.CHOICES`): how the survey sample is
cleaned (speeder threshold, straight-liners and failed attention checks removed or kept), how
constructs are scored (scale means or CFA factor scores), which controls enter, the estimator
(OLS, multilevel, latent SEM) and its SEs; for the policy effects, the Callaway–Sant'Anna
comparison group, SE level, baseline covariate and estimation method. Every choice has the
pipeline's own analysis as its default, so ``{}`` is the default specification.

This package holds the estimation core only — pure functions, no file I/O besides
`policy.load_panel`, no DVC:

- `analysis_sample` / `select_sample` (`sample`): the ingest cleaning rules re-applied to every
  survey row with the spec's sample choices;
- `survey_effects` (`survey`): 7 standardized paths FB<-X and 7 indirect effects SO<-FB<-X
  (Monte Carlo CIs) of one spec;
- `policy_effects` (`policy`): Callaway–Sant'Anna aggregate ATTs of the key measure → outcome
  pairs of one spec;
- `validate`, `canonical`, `is_redundant` (`choices`): checking specs and dropping duplicates.

Both effect functions return the same tidy columns (`EFFECT_COLUMNS`), one row per effect, so
that the frames of all specs concatenate into the curve's data.
"""

import importlib

from jianfu.robustness.choices import (
    CHOICES,
    DEFAULTS,
    EFFECT_COLUMNS,
    POLICY_CHOICES,
    SURVEY_CHOICES,
    Choice,
    canonical,
    family_of,
    is_redundant,
    validate,
)

#: name -> sub-module, imported on first use: each stage imports only what it runs (the survey
#: effects do not load the DiD code and the policy effects not the SEM), which is what the
#: stages declare as their DVC dependencies
_LAZY = {
    "DEFAULT_PAIRS": "policy",
    "load_panel": "policy",
    "policy_effects": "policy",
    "SampleResult": "sample",
    "analysis_sample": "sample",
    "select_sample": "sample",
    "MEASURES": "survey",
    "construct_scores": "survey",
    "monte_carlo_indirect": "survey",
    "survey_effects": "survey",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"jianfu.robustness.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'jianfu.robustness' has no attribute {name!r}")


__all__ = [
    "CHOICES",
    "DEFAULTS",
    "DEFAULT_PAIRS",
    "EFFECT_COLUMNS",
    "MEASURES",
    "POLICY_CHOICES",
    "SURVEY_CHOICES",
    "Choice",
    "SampleResult",
    "analysis_sample",
    "canonical",
    "construct_scores",
    "family_of",
    "is_redundant",
    "load_panel",
    "monte_carlo_indirect",
    "policy_effects",
    "select_sample",
    "survey_effects",
    "validate",
]
