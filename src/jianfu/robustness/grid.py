"""The specification grid: which specifications the curve holds, and their stable names.

A specification is a dict of choices (`jianfu.robustness.choices`). ``params.yaml`` declares the
main analysis's choices (``robustness.spec``) and, per family, the values each choice may take
(``robustness.grid.survey`` and ``robustness.grid.policy``). The survey effects depend only on
the survey choices and the policy effects only on the policy choices, so the grid is not the
product of both families: it is every combination of one family's grid with the other family at
its main choices (a survey grid of 64 and a policy grid of 24 make 64 + 24 - 1 = 87
specifications, the main one counted once). Combinations that only differ in a choice the
estimator ignores (an SE type with the multilevel model or the SEM, the scoring with the SEM,
the estimation method without a covariate) collapse into one (`choices.canonical`).

Each specification has a stable id, a hash of its choices (the same choices always get the same
id, whatever the order of the grid), used as the DVC experiment name ``spec-<id>`` and, per
family, as the row key of the collected table.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping

from jianfu.core.errors import JianfuError
from jianfu.robustness import choices

FAMILIES = {"survey": tuple(choices.SURVEY_CHOICES), "policy": tuple(choices.POLICY_CHOICES)}
EXPERIMENT_PREFIX = "spec-"


def _plain(value):
    """YAML scalars as JSON-stable values (1.0 and 1 differ in YAML only by type)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value) if isinstance(value, float) or not float(value).is_integer() else value
    return str(value)


def spec_id(spec: Mapping) -> str:
    """A short stable id for a set of choices (8 hex digits of a SHA-256 of sorted JSON)."""
    text = json.dumps({k: _plain(v) for k, v in spec.items()}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def family_spec(spec: Mapping, family: str) -> dict:
    """The choices of one family (survey or policy) of a full specification."""
    return {k: spec[k] for k in FAMILIES[family]}


def family_spec_id(spec: Mapping, family: str) -> str:
    """The id of a full specification's family part, e.g. ``survey-1a2b3c4d`` (never numeric,
    so that spreadsheets and CSV readers keep it as text)."""
    return f"{family}-{spec_id(family_spec(spec, family))}"


def experiment_name(spec: Mapping) -> str:
    """The DVC experiment name of a full specification: ``spec-<id>``."""
    return EXPERIMENT_PREFIX + spec_id(spec)


def _check_grid(main: Mapping, grid: Mapping) -> None:
    unknown = sorted(set(grid) - set(FAMILIES))
    if unknown:
        raise JianfuError(
            f"params.yaml robustness.grid: unknown famil{'ies' if len(unknown) > 1 else 'y'} "
            f"{', '.join(unknown)}; the grid has the families survey and policy"
        )
    for family, values in grid.items():
        for key, options in (values or {}).items():
            if key not in FAMILIES[family]:
                raise JianfuError(
                    f"params.yaml robustness.grid.{family}.{key}: not a {family} choice; "
                    f"{family} choices are {', '.join(FAMILIES[family])}"
                )
            if not isinstance(options, list) or not options:
                raise JianfuError(
                    f"params.yaml robustness.grid.{family}.{key}: give a non-empty list of "
                    f"values, e.g. [{main.get(key)!r}, …]"
                )
            for option in options:
                choices.validate({**main, key: option})


def expand(main: Mapping, grid: Mapping) -> list[dict]:
    """Every full specification of the grid, the main one first, then in grid order.

    ``main`` is ``robustness.spec`` (every choice), ``grid`` is ``robustness.grid`` (per
    family: choice -> list of values; a choice not listed stays at its main value).
    """
    main = choices.canonical(dict(main))
    grid = dict(grid or {})
    _check_grid(main, grid)
    out: dict[str, dict] = {experiment_name(main): dict(main)}
    for family in FAMILIES:
        values = grid.get(family) or {}
        keys = list(values)
        for combo in itertools.product(*(values[k] for k in keys)):
            # a choice the estimator ignores is reset: duplicates collapse into one name
            spec = choices.canonical({**main, **dict(zip(keys, combo, strict=True))})
            out.setdefault(experiment_name(spec), spec)
    return list(out.values())


def family_specs(specs: list[dict], family: str) -> list[dict]:
    """The distinct family specifications among full ones, in order."""
    seen: dict[str, dict] = {}
    for spec in specs:
        part = family_spec(spec, family)
        seen.setdefault(spec_id(part), part)
    return list(seen.values())


#: the stages a single-specification experiment reproduces
SPEC_STAGES = {"survey": "spec_survey", "policy": "spec_policy"}


def _yaml_value(value) -> str:
    """A value as `dvc exp run -S` parses it (YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def exp_run_args(spec: Mapping, family: str | None = None) -> list[str]:
    """The `dvc exp run` arguments that reproduce one specification (every choice set).

    ``family`` limits the run to that family's stage (``spec_survey`` or ``spec_policy``);
    its ``metrics/spec_<family>.json`` then holds the numbers of the `spec_curve` stage's row of
    the specification. ``--single-item`` reproduces only the named stages, from the upstream
    outputs of the baseline: DVC would otherwise check the upstream stages in the experiment's
    temporary copy of the project, where git-ignored own exports (data/own/) are absent.
    """
    stages = [SPEC_STAGES[family]] if family else list(SPEC_STAGES.values())
    args = ["exp", "run", "-n", experiment_name(spec), "--single-item"]
    for key in sorted(spec):
        args += ["-S", f"robustness.spec.{key}={_yaml_value(spec[key])}"]
    return [*args, *stages]
