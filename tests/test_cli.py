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
def test_each_command_has_help(name, capsys):
    # in this process (the entry point itself is run as a program by the tests above and below;
    # a program per command was 26 interpreter starts, twice each for a stage's hash-seed exec)
    from jianfu.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0 and "usage: jianfu " + name in capsys.readouterr().out


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
