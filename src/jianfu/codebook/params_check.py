"""Params that name questionnaire items or constructs, checked against the codebook.

A stage calls `check_stage_params` before it does any work, so params.yaml naming an item or a
construct the codebook does not have (another questionnaire's codebook, a typo, a renamed item)
stops the stage with ONE error that lists every such name, each with its params key path
(``models.specs.h1_burden.blocks[1]: unknown variable 'PVX'``) and what the codebook has,
instead of a ``KeyError`` deep inside a model.

Only the keys a stage already reads are inspected (the stages declare exactly the params they
read in dvc.yaml; `jianfu.core.params.TrackedParams` records every key read):

==================  ============================================================================
stage               keys checked
==================  ============================================================================
``ingest``,         ``ingest.clean.duplicate_person_keys`` (pseudonym columns or item ids)
``clean-survey``
``models``          ``models.covariates``, ``models.items`` (items of the codebook),
                    ``models.cluster`` and every variable of ``models.specs`` (constructs,
                    the covariates and items above, ``workload``, ``township_code``,
                    ``district_code``; SEM equations: constructs and ``A_x_B`` interactions)
``spec_survey``     ``models.covariates``, ``models.cluster``
``measure``         nothing (``measure.*`` names no item or construct)
==================  ============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from jianfu.codebook.model import Codebook
from jianfu.core.errors import JianfuError, Problem, ProblemsError

#: Columns of the analysis data that are not codebook items (models stage).
ANALYSIS_COLUMNS = ("workload", "township_code", "district_code")
#: Pseudonym columns written by de-identification (`jianfu.ingest.deid`), usable as person keys.
PSEUDONYM_COLUMNS = ("name_pseudo", "phone_pseudo", "id_number_pseudo", "email_pseudo", "ip_pseudo")
#: Item types whose answer is one column named by the item id (usable as a covariate).
COLUMN_TYPES = ("single", "number", "matrix")
#: A latent interaction in a SEM equation (`jianfu.models.sem.INTERACTION_SEP`).
INTERACTION_SEP = "_x_"
STAGES = ("ingest", "clean-survey", "models", "spec_survey", "measure")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _brief(names: Iterable[str], n: int = 16) -> str:
    names = list(dict.fromkeys(names))
    more = f", … ({len(names)} in all)" if len(names) > n else ""
    return (", ".join(names[:n]) + more) if names else "none"


class _Check:
    def __init__(self, cb: Codebook, file: str):
        self.cb = cb
        self.file = file
        self.problems: list[Problem] = []
        self.items = {i.id: i for i in cb.items}
        self.constructs = [c.id for c in cb.constructs if cb.construct_items(c.id)]
        self.carried: set[str] = set(ANALYSIS_COLUMNS)  # valid non-construct variables

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    # -- items (models.covariates, models.items) -------------------------------------------
    def items_list(self, where: str, names: Any) -> list[str]:
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list | tuple):
            self.add(where, f"expected a list of item ids, got {names!r}")
            return []
        usable = [i for i, it in self.items.items() if it.type in COLUMN_TYPES]
        good = []
        for name in names:
            item = self.items.get(name)
            if item is None:
                hint = (
                    " (a construct: its score is in the data already)"
                    if name in self.constructs
                    else ""
                )
                self.add(
                    where,
                    f"unknown item {name!r}{hint}; items of codebook {self.cb.id!r}: "
                    f"{_brief(usable)}",
                )
            elif item.type not in COLUMN_TYPES:
                self.add(
                    where,
                    f"item {name!r} is a {item.type} item, not one column of codes or numbers "
                    f"(use a single-choice, number or matrix item)",
                )
            else:
                good.append(name)
        return good

    # -- model variables ---------------------------------------------------------------------
    def variable(self, where: str, name: Any, known: set[str]) -> None:
        if not isinstance(name, str):
            self.add(where, f"expected a variable name, got {name!r}")
        elif name not in known:
            self.add(where, self._unknown(name, known))

    def _unknown(self, name: str, known: set[str]) -> str:
        if name in self.items:
            return (
                f"{name!r} is an item of codebook {self.cb.id!r} but not in the analysis data: "
                "add it to models.covariates or models.items"
            )
        others = sorted(self.carried)
        return (
            f"unknown variable {name!r}; constructs of codebook {self.cb.id!r}: "
            f"{_brief(self.constructs)}; other variables: {_brief(others)}"
        )

    def variables(self, where: str, names: Any, known: set[str]) -> None:
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list | tuple):
            self.add(where, f"expected a list of variables, got {names!r}")
            return
        for name in names:
            self.variable(where, name, known)

    def terms(self, where: str, terms: Any, known: set[str]) -> None:
        """OLS terms: a variable or ``a:b`` (a product)."""
        if not isinstance(terms, list | tuple):
            self.add(where, f"expected a list of terms, got {terms!r}")
            return
        for term in terms:
            parts = term.split(":") if isinstance(term, str) else [term]
            for part in parts:
                self.variable(where, part, known)

    def formula(self, where: str, formula: Any, known: set[str]) -> None:
        """A mixed-model formula (``y ~ a + b:c``) or random slopes (``~x``)."""
        if not isinstance(formula, str):
            self.add(where, f"expected a formula string, got {formula!r}")
            return
        tokens = re.split(r"[~+*:]", formula)
        for token in (t.strip() for t in tokens):
            if token and token not in ("0", "1") and _NAME.match(token):
                self.variable(where, token, known)

    def equations(self, where: str, equations: Any, known: set[str]) -> None:
        """SEM: outcomes are constructs; predictors constructs, ``A_x_B`` or observed."""
        if not isinstance(equations, Mapping):
            self.add(where, f"expected a mapping {{outcome: [predictors]}}, got {equations!r}")
            return
        constructs = set(self.constructs)
        for outcome, predictors in equations.items():
            here = f"{where}.{outcome}"
            if outcome not in constructs:
                self.add(
                    here,
                    f"outcome {outcome!r} is not a construct of codebook {self.cb.id!r} "
                    f"(constructs: {_brief(self.constructs)})",
                )
            if not isinstance(predictors, list | tuple):
                self.add(here, f"expected a list of predictors, got {predictors!r}")
                continue
            for term in predictors:
                if isinstance(term, str) and INTERACTION_SEP in term:
                    for part in term.split(INTERACTION_SEP):
                        if part not in constructs:
                            self.add(
                                here,
                                f"latent interaction {term!r}: {part!r} is not a construct "
                                f"(constructs: {_brief(self.constructs)})",
                            )
                else:
                    self.variable(here, term, known)


def _get(section: Mapping, key: str, default: Any = None) -> Any:
    """``section[key]`` if present (reads only that key of a `TrackedParams`)."""
    try:
        value = section[key]
    except (KeyError, JianfuError):  # TrackedParams: a missing key is a JianfuError
        return default
    return value.to_dict() if hasattr(value, "to_dict") else value


#: Spec fields naming one or several variables, per kind of `jianfu.models.specs`.
_SPEC_FIELDS = {
    "variables": "variables",
    "groups": "variable",
    "nested": "variable",
    "cluster": "variable",
    "y": "variable",
    "x": "variables",
    "m": "variables",
    "w": "variable",
    "covariates": "variables",
    "blocks": "blocks",
    "formula": "formula",
    "random_slopes": "formula",
    "equations": "equations",
}


def _check_specs(check: _Check, specs: Any, known: set[str]) -> None:
    if not isinstance(specs, Mapping):
        check.add("models.specs", f"expected a mapping of named specs, got {type(specs).__name__}")
        return
    for name, spec in specs.items():
        base = f"models.specs.{name}"
        if not isinstance(spec, Mapping):
            check.add(base, f"expected a mapping with a kind, got {spec!r}")
            continue
        for field, how in _SPEC_FIELDS.items():
            if field not in spec or spec[field] is None:
                continue
            value, where = spec[field], f"{base}.{field}"
            if how == "variable":
                check.variable(where, value, known)
            elif how == "variables":
                check.variables(where, value, known)
            elif how == "formula":
                check.formula(where, value, known)
            elif how == "equations":
                check.equations(where, value, known)
            elif not isinstance(value, list | tuple):
                check.add(where, f"expected a list of blocks (lists of terms), got {value!r}")
            else:
                for k, block in enumerate(value):
                    check.terms(f"{where}[{k}]", block, known)


def stage_param_problems(
    stage: str, params: Mapping, cb: Codebook, *, file: str = "params.yaml"
) -> list[Problem]:
    """Every params value of `stage` that names an item or construct `cb` does not have.

    Parameters
    ----------
    stage : one of `STAGES` (the stage's command name).
    params : the whole params (a `TrackedParams` or a plain mapping); only the keys the stage
        reads are looked at.
    cb : the codebook the stage runs with.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} (one of {STAGES})")
    check = _Check(cb, file)
    if stage in ("ingest", "clean-survey"):
        keys = _get(params["ingest"]["clean"], "duplicate_person_keys", [])
        known = [*PSEUDONYM_COLUMNS, *check.items]
        for key in keys if isinstance(keys, list) else [keys]:
            if key not in known:
                check.add(
                    "ingest.clean.duplicate_person_keys",
                    f"unknown column {key!r}: use pseudonym columns "
                    f"({', '.join(PSEUDONYM_COLUMNS)}) or item ids of codebook {cb.id!r}",
                )
    elif stage in ("models", "spec_survey"):
        models = params["models"]
        covariates = check.items_list("models.covariates", _get(models, "covariates", []))
        items = []
        if stage == "models":
            items = check.items_list("models.items", _get(models, "items", []))
        names = list(_get(models, "covariates", []) or []) + (
            list(_get(models, "items", []) or []) if stage == "models" else []
        )
        # unknown covariates/items are reported once, under their own key
        known = {*check.constructs, *covariates, *items, *names, *ANALYSIS_COLUMNS}
        check.carried.update([*covariates, *items])
        check.variable("models.cluster", _get(models, "cluster"), known)
        if stage == "models":
            _check_specs(check, _get(models, "specs", {}), known)
    return check.problems


def check_stage_params(
    stage: str, params: Mapping, cb: Codebook | str | Path, *, file: str = "params.yaml"
) -> None:
    """Raise one `ProblemsError` listing every params value of `stage` that names an item or
    construct the codebook (a `Codebook` or its path) does not have."""
    if not isinstance(cb, Codebook):
        from jianfu.codebook.load import load_codebook

        cb = load_codebook(cb)
    problems = stage_param_problems(stage, params, cb, file=file)
    if problems:
        raise ProblemsError(
            f"{file} names items or constructs that codebook {cb.source or cb.id} does not "
            f"have; fix these keys in {file} (or use the codebook they were written for)",
            problems,
        )
