"""Reproducible to the byte: `dvc repro --force` of every stage rewrites exactly the outputs the
pipeline run made (dvc.lock, which holds every output's hash, is unchanged).

The background process that builds the pipeline project runs the forced rerun in a clone of it
as soon as the build is done (conftest `_forced_rerun`), so the longest check of the default
tier overlaps the other tests; this test reads its record.
"""

from __future__ import annotations

import difflib
import json

import pytest

from conftest import _forced_rerun, common_dir, wait_for_pipeline_project

pytestmark = pytest.mark.pipeline


def test_outputs_are_byte_identical_when_forced_to_rerun(pipeline_project, request, tmp_path):
    if (common_dir(request.config) / "pipeline_rerun.requested").exists():
        result = wait_for_pipeline_project(request.config, "pipeline_rerun")
    else:  # the build started without the rerun (this file was not selected at collection)
        _forced_rerun(pipeline_project[0], tmp_path)
        result = json.loads((tmp_path / "pipeline_rerun.json").read_text(encoding="utf-8"))
    assert "error" not in result, f"dvc repro --force failed:\n{result.get('error')}"
    assert "Running stage" in result["output"]  # it did rerun the stages
    diff = difflib.unified_diff(
        result["before"].splitlines(), result["after"].splitlines(), "before", "after", lineterm=""
    )
    assert result["after"] == result["before"], "\n".join(list(diff)[:60])
