"""Params that name items or constructs are checked against the codebook when a stage starts."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import CODEBOOK, ROOT
from jianfu.codebook.params_check import STAGES, check_stage_params, stage_param_problems
from jianfu.core.errors import ProblemsError
from jianfu.core.params import TrackedParams

PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
#: The stage of dvc.yaml whose declared params each check must stay within.
DVC_STAGE = {"ingest": "ingest", "models": "models", "spec_survey": "spec_survey"}


def _params() -> dict:
    return copy.deepcopy(PARAMS)


def _problems(stage: str, params: dict, codebook) -> dict[str, str]:
    return {p.where: p.message for p in stage_param_problems(stage, params, codebook)}


@pytest.mark.parametrize("stage", STAGES)
def test_default_params_and_codebook_have_no_problems(stage, codebook):
    assert stage_param_problems(stage, _params(), codebook) == []
    check_stage_params(stage, TrackedParams(_params()), codebook)  # does not raise


@pytest.mark.parametrize("stage", sorted(DVC_STAGE))
def test_only_declared_params_are_read(stage, codebook):
    """The check reads only keys its stage declares in dvc.yaml (tests/test_pipeline.py)."""
    dvc = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    declared = [str(k) for k in dvc["stages"][DVC_STAGE[stage]].get("params", [])]
    params = TrackedParams(_params())
    stage_param_problems(stage, params, codebook)
    for key in params.accessed:
        assert any(key == d or key.startswith(d + ".") for d in declared), (key, declared)


def test_unknown_construct_in_a_model_spec(codebook):
    params = _params()
    params["models"]["specs"]["h2_exhaustion"]["blocks"][1] = ["FB", "FTX", "PSM"]
    with pytest.raises(ProblemsError) as exc:
        check_stage_params("models", params, codebook)
    (problem,) = exc.value.problems
    assert problem.where == "models.specs.h2_exhaustion.blocks[1]"
    assert "'FTX'" in problem.message and "FT" in problem.message  # what the codebook has
    assert "models.specs.h2_exhaustion.blocks[1]: unknown variable 'FTX'" in str(exc.value)


def test_unknown_covariate(codebook):
    params = _params()
    params["models"]["covariates"].append("age_group")
    for stage in ("models", "spec_survey"):
        problems = _problems(stage, params, codebook)
        assert list(problems) == ["models.covariates"], stage  # reported once, not per spec
        assert "unknown item 'age_group'" in problems["models.covariates"]
        assert "age_band" in problems["models.covariates"]


def test_several_problems_are_listed_at_once(codebook):
    params = _params()
    specs = params["models"]["specs"]
    params["models"]["items"] = ["SO1", "channels_used"]  # a multi-choice item: no one column
    specs["h4_service_item"]["x"] = ["FB", "EEX"]
    specs["h7_multilevel"]["formula"] = "FB ~ PV + RL + workload + DMM"
    specs["h7_random_slope"]["random_slopes"] = "~DMX"
    specs["h3_fault_tolerance"]["w"] = "village_stationed"  # an item, but not carried
    specs["h5_serial"]["m"] = ["FB", "WEX"]
    specs["sem"]["equations"]["SOX"] = ["FB", "DE_x_DLX"]
    params["models"]["cluster"] = "village"
    with pytest.raises(ProblemsError) as exc:
        check_stage_params("models", params, codebook)
    found: dict[str, str] = {}
    for p in exc.value.problems:
        found[p.where] = found.get(p.where, "") + p.message
    expected = {
        "models.items": "channels_used",
        "models.specs.h4_service_item.x": "'EEX'",
        "models.specs.h7_multilevel.formula": "'DMM'",
        "models.specs.h7_random_slope.random_slopes": "'DMX'",
        "models.specs.h3_fault_tolerance.w": "add it to models.covariates or models.items",
        "models.specs.h5_serial.m": "'WEX'",
        "models.specs.sem.equations.SOX": "'SOX'",
        "models.cluster": "'village'",
    }
    for where, text in expected.items():
        assert where in found and text in found[where], (where, found)
    assert any("'DLX' is not a construct" in p.message for p in exc.value.problems)
    assert len(exc.value.problems) == 9
    assert "9 problems" in str(exc.value) and "params.yaml" in str(exc.value)


def test_duplicate_person_keys_are_pseudonyms_or_items(codebook):
    params = _params()
    params["ingest"]["clean"]["duplicate_person_keys"] = ["phone_pseudo", "phone", "gender"]
    problems = stage_param_problems("clean-survey", params, codebook)
    assert [(p.where, "'phone'" in p.message) for p in problems] == [
        ("ingest.clean.duplicate_person_keys", True)
    ]


def test_a_stage_stops_before_reading_its_inputs(tmp_path, capsys):
    """`jianfu models` with a misnamed construct: exit 2, the problem named, no traceback."""
    from jianfu.cli import main

    params = _params()
    params["models"]["specs"]["h2_engagement"]["y"] = "WEE"
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    missing = str(tmp_path / "missing")
    code = main(
        ["models", "--codebook", str(CODEBOOK), "--params", str(path), "--survey", missing,
         "--scores", missing, "--measure-tables", missing, "--admin", missing,
         "--data-out", missing, "--tables-out", missing, "--metrics", missing]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "models.specs.h2_engagement.y: unknown variable 'WEE'" in err
    assert "Traceback" not in err
