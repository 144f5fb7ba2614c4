"""The `jianfu` command line: help for every stage, clean errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jianfu.cli import STAGES, TOOLS


def _jianfu(*args):
    return subprocess.run(
        [sys.executable, "-m", "jianfu", *args], capture_output=True, text=True, encoding="utf-8"
    )


def test_help_lists_every_stage():
    proc = _jianfu("--help")
    assert proc.returncode == 0
    for name in [*STAGES, *TOOLS]:
        assert name in proc.stdout


@pytest.mark.parametrize("name", [*STAGES, *TOOLS])
def test_each_command_has_help(name):
    proc = _jianfu(name, "--help")
    assert proc.returncode == 0 and "usage: jianfu " + name in proc.stdout


def test_missing_params_file_is_a_clear_error(tmp_path):
    proc = _jianfu(
        "questionnaire",
        "--params",
        str(tmp_path / "nope.yaml"),
        "--codebook",
        "x",
        "--out",
        str(tmp_path),
        "--summary",
        str(tmp_path / "s.json"),
    )
    assert proc.returncode == 2 and "nope.yaml: not found" in proc.stderr
    assert "Traceback" not in proc.stderr
