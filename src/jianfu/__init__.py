"""jianfu (减负): a reproducible research pipeline on burden reduction for grassroots cadres.

The package is split by pipeline stage; each sub-package holds pure functions of DataFrames and
parameters, and `jianfu.cli` holds the thin stage entry points that DVC calls.
"""

__version__ = "0.1.0"
