"""Builders: the pipeline's tidy outputs (DataFrames, never paths) → `Table` objects.

Each builder takes the frames a stage wrote, the construct labels as ``{code: {"zh", "en"}}``
and keyword options (``name``, ``title``, ``number``, ``source``, ``style``), formats every
number through `jianfu.tables.formatting` and returns a `Table` that renders to .docx, LaTeX,
Markdown and HTML in zh or en. The catalogue (which table, which inputs) is in docs/tables.md.

================================  ===========================================================
builder                           inputs
================================  ===========================================================
`descriptives_table`              ``reports/models/table1__summary.csv``,
                                  ``reports/models/table1__correlations.csv``
`reliability_table`               ``reports/measure/reliability.csv``, ``cr_ave.csv``
`fornell_larcker_table`           ``reports/measure/fornell_larcker.csv``
`htmt_table`                      ``reports/measure/htmt_semtools.csv``
`fit_table` (+ `measurement_fits`)  ``reports/measure/cfa_fit.json``,
                                  ``method_factor_fits.csv``, ``fit.parquet`` (spec "sem")
`regression_table`                ``data/processed/models/coefficients.parquet``,
                                  ``fit.parquet`` (kind "ols")
`mediation_table`                 ``data/processed/models/effects.parquet`` (``ind[...]``)
`conditional_effects_table`       ``effects.parquet`` (``X|W=…``, JN points, ``imm[...]``)
`did_table`                       the policy stage's DiD aggregates (`DID_COLUMNS`)
================================  ===========================================================
"""

from __future__ import annotations

from jianfu.tables.build_did import AGGREGATION_LABELS, DID_COLUMNS, ESTIMATOR_LABELS, did_table
from jianfu.tables.build_effects import (
    AT_LABELS,
    EFFECT_COLUMNS,
    conditional_effects_table,
    mediation_table,
)
from jianfu.tables.build_measure import (
    MODEL_LABELS,
    descriptives_table,
    fit_table,
    fornell_larcker_table,
    htmt_table,
    measurement_fits,
    reliability_table,
)
from jianfu.tables.build_models import COEF_COLUMNS, regression_table

__all__ = [
    "AGGREGATION_LABELS",
    "AT_LABELS",
    "COEF_COLUMNS",
    "DID_COLUMNS",
    "EFFECT_COLUMNS",
    "ESTIMATOR_LABELS",
    "MODEL_LABELS",
    "conditional_effects_table",
    "descriptives_table",
    "did_table",
    "fit_table",
    "fornell_larcker_table",
    "htmt_table",
    "measurement_fits",
    "mediation_table",
    "regression_table",
    "reliability_table",
]
