"""Monte Carlo power and estimator validation (`jianfu power`).

- `jianfu.power.simulate`: a light replication generator (cadre scale scores with township and
  district random effects; a township-month panel with staggered district adoption) and the
  project's estimators run on it.
- `jianfu.power.study`: designs × effect sizes × replications with order-free seeds, a local
  process pool or a Dask cluster, resume from a checkpoint, the summary and the grant table.
- `jianfu.power.figures`: power curves. `jianfu.power.stage`: the DVC stage.

See docs/power.md.
"""

from jianfu.power.simulate import ESTIMANDS, Design, Effects, ModelSettings, run_replication
from jianfu.power.study import (
    Study,
    describe,
    grant_markdown,
    grant_table,
    run_study,
    study_from_params,
    summarise,
)

__all__ = [
    "ESTIMANDS",
    "Design",
    "Effects",
    "ModelSettings",
    "Study",
    "describe",
    "grant_markdown",
    "grant_table",
    "run_replication",
    "run_study",
    "study_from_params",
    "summarise",
]
