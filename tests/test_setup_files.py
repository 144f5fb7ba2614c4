"""The new user's path: lock, environment.yml, README commands, CI, DVC offline settings."""

from __future__ import annotations

import configparser
import importlib.util
import re
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT


def _bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock.txt").read_text(encoding="utf-8")
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)
    }


def test_lock_matches_pyproject():
    """The lock records the hash of pyproject's dependency declarations it was made from."""
    bootstrap = _bootstrap()
    text = (ROOT / "requirements.lock.txt").read_text(encoding="utf-8")
    recorded = re.search(r"^# jianfu-pyproject-sha256: ([0-9a-f]{64})$", text, re.M)
    assert recorded, "requirements.lock.txt has no pyproject hash: run `python3 bootstrap.py lock`"
    assert recorded.group(1) == bootstrap.pyproject_hash(), (
        "requirements.lock.txt is stale (pyproject.toml's dependencies changed): "
        "run `python3 bootstrap.py lock` and commit the result"
    )


def test_lock_satisfies_every_declared_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    locked = _locked()
    for spec in declared:
        req = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{req.name} is declared in pyproject.toml but not locked"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"locked {name}=={locked[name]} is outside the declared range {req.specifier}"
        )


def test_lock_is_hash_pinned():
    text = (ROOT / "requirements.lock.txt").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    pinned = [e for e in entries if "==" in e.split("\n")[0]]
    assert len(pinned) > 50
    assert all("--hash=sha256:" in e for e in pinned), "every locked package needs its hashes"


def test_environment_yml_points_at_lock_and_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    assert Requirement(f"python{project['requires-python']}").specifier.contains(version + ".0")
    assert (ROOT / ".python-version").read_text(encoding="utf-8").strip() == version
    assert tuple(int(x) for x in version.split(".")) == _bootstrap().REQUIRED
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert pip == ["-r requirements.lock.txt"], "conda users get the lock, not a second list"


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S).group(1)
    return [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    assert any(c.endswith("pipeline") for c in commands)
    test_command = next(c for c in commands if c.endswith(" test"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [
        ln for ln in ci.splitlines() if ln.strip() and not ln.startswith(("#", "set ", "cd "))
    ]
    assert ci_commands == [f"exec {test_command}"]


def test_dvc_config_is_offline_and_quiet():
    config = configparser.ConfigParser()
    config.read(ROOT / ".dvc" / "config", encoding="utf-8")
    assert config["core"]["analytics"] == "false"
    assert config["core"]["check_update"] == "false"
    assert config["studio"]["offline"] == "true"


def test_bootstrap_explains_too_old_python(monkeypatch, capsys):
    bootstrap = _bootstrap()
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    with pytest.raises(SystemExit) as exc:
        bootstrap.check_python()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs Python 3.11" in err and "3.9" in err


def test_bootstrap_explains_missing_venv(monkeypatch, capsys):
    bootstrap = _bootstrap()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ensurepip" else real(name, *a),
    )
    with pytest.raises(SystemExit):
        bootstrap.check_python()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "python3.11-venv" in err


def test_bootstrap_passes_pip_mirror_to_uv(monkeypatch):
    bootstrap = _bootstrap()
    for var in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_INDEX", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    mirror = "https://mirrors.example.edu.cn/pypi/simple"
    monkeypatch.setenv("PIP_INDEX_URL", mirror)
    assert bootstrap.index_env()["UV_DEFAULT_INDEX"] == mirror
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://other.example/simple")
    assert bootstrap.index_env()["UV_DEFAULT_INDEX"] == "https://other.example/simple"


def test_bootstrap_reads_the_uv_pin_from_the_lock():
    entry = _bootstrap().lock_requirement("uv")
    assert entry.startswith(f"uv=={_locked()['uv']}") and "--hash=sha256:" in entry
