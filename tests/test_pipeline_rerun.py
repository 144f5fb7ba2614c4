"""Reproducible to the byte: `dvc repro --force` of every stage rewrites exactly the outputs the
pipeline run made (dvc.lock, which holds every output's hash, is unchanged).

In a file of its own so that pytest-xdist (`--dist loadfile`) runs it, the longest check of the
default tier, on one worker while the other checks of the pipeline run go to the other.
"""

from __future__ import annotations

import pytest

from conftest import clone_for_rerun, dvc

pytestmark = pytest.mark.pipeline


def test_outputs_are_byte_identical_when_forced_to_rerun(pipeline_project, tmp_path):
    clone = clone_for_rerun(pipeline_project[0], tmp_path / "project")
    before = (clone / "dvc.lock").read_text(encoding="utf-8")
    dvc(clone, "repro", "--force")
    assert (clone / "dvc.lock").read_text(encoding="utf-8") == before
