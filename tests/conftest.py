"""Shared fixtures: project paths, the reference folder, the default codebook."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Published reference data and results, read in place (never copied into the project).
REFERENCE = ROOT.parent / "shared" / "reference"
CODEBOOK = ROOT / "codebook" / "cadre_survey.yaml"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def codebook():
    from jianfu.codebook import load_codebook

    return load_codebook(CODEBOOK)
