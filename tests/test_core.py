"""Parameters, errors and atomic, deterministic writers."""

from __future__ import annotations

import pytest

from jianfu.core.errors import JianfuError
from jianfu.core.io import atomic_path, write_json
from jianfu.core.params import TrackedParams, load_params


def test_tracked_params_records_leaves_and_whole_sections():
    p = TrackedParams({"a": {"x": 1, "y": {"z": 2}}, "b": {"k": [1]}})
    assert p["a"]["x"] == 1
    assert p["a"]["y"]["z"] == 2
    p["b"].to_dict()
    assert p.accessed == {"a.x", "a.y.z", "b"}


def test_missing_param_names_the_key():
    p = TrackedParams({"simulate": {"seed": 1}})
    with pytest.raises(JianfuError, match=r"missing key 'simulate\.n_districts'"):
        p["simulate"]["n_districts"]


def test_malformed_params_file_is_located(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("simulate:\n  seed: [1, 2\n", encoding="utf-8")
    with pytest.raises(JianfuError, match=r"params\.yaml:\d+:\d+: not valid YAML"):
        load_params(bad)


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"ok": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half-writ", encoding="utf-8")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == '{\n  "ok": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
