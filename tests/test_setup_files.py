"""The new user's path: lock, environment.yml, README commands, CI, DVC offline settings."""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT


def _bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCKS = sorted(ROOT.glob("requirements*.lock.txt"))


def _locked(lock=ROOT / "requirements.lock.txt") -> dict[str, str]:
    text = lock.read_text(encoding="utf-8")
    return {
        canonicalize_name(m.group(1)): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", text, re.M)
    }


def test_every_install_set_has_its_lock():
    bootstrap = _bootstrap()
    wanted = {bootstrap.lock_path(s) for s in bootstrap.lock_sets()}
    assert {str(p) for p in LOCKS} == wanted
    assert bootstrap.lock_path(()) == str(ROOT / "requirements.lock.txt")
    assert bootstrap.lock_path(("spark", "test")).endswith("requirements-test-spark.lock.txt")


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_lock_matches_pyproject(lock):
    """Each lock records the hash of pyproject's dependency declarations it was made from."""
    want = _bootstrap().pyproject_hash()
    text = lock.read_text(encoding="utf-8")
    recorded = re.findall(r"^# jianfu-pyproject-sha256: (\w+)$", text, re.M)
    assert recorded, f"{lock.name} has no pyproject hash: run `python3 bootstrap.py lock`"
    assert recorded[-1] == want, (
        f"{lock.name} is stale (pyproject.toml's dependencies changed): "
        "run `python3 bootstrap.py lock` and commit the result"
    )


def _declared(extras=()) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"]) + project["optional-dependencies"]["bootstrap"]
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


@pytest.mark.parametrize("extras", [(), ("test",), ("spark",), ("test", "spark")], ids=str)
def test_lock_satisfies_every_declared_range(extras):
    lock = _bootstrap().lock_path(extras)
    locked = _locked(ROOT / lock)
    for req in _declared(extras):
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is declared but not in {lock}"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"{lock}: {name}=={locked[name]} is outside the declared range {req.specifier}"
        )


def test_locks_agree_and_the_default_set_is_lean():
    """A package has one version in every lock (adding an extra changes nothing else), and the
    default set (what the pipeline and the notebooks need) holds no test tool and no Spark."""
    locks = {p.name: _locked(p) for p in LOCKS}
    union = locks["requirements-test-spark.lock.txt"]
    for name, pins in locks.items():
        for pkg, version in pins.items():
            assert union.get(pkg) == version, f"{name}: {pkg}=={version}, union {union.get(pkg)}"
    default = locks["requirements.lock.txt"]
    for tool in ("pytest", "pytest-xdist", "hypothesis", "ruff", "moto", "pyspark", "diff-diff"):
        assert tool not in default, f"{tool} is in the default install set"
    assert "pyspark" in locks["requirements-spark.lock.txt"]
    assert "pytest" in locks["requirements-test.lock.txt"]
    assert "pyspark" not in locks["requirements-test.lock.txt"]


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_lock_is_hash_pinned(lock):
    text = lock.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text)
    pinned = [e for e in entries if re.match(r"[A-Za-z0-9_.\-]+==", e)]
    assert pinned
    assert all("--hash=sha256:" in e for e in pinned), "every locked package needs its hashes"


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_lock_resolves_for_each_supported_python(version):
    """uv resolves the union lock for this Python on Linux without installing anything: every pin
    exists there as a wheel (a few pure-Python source-only packages aside) and the lock is closed
    under its dependencies. Needs the package index (PyPI or the mirror set for pip)."""
    bootstrap = _bootstrap()
    assert version in [f"{a}.{b}" for a, b in bootstrap.SUPPORTED]
    union = bootstrap.lock_path(bootstrap.lock_sets()[0])
    cmd = bootstrap.wheel_check_command(union, version, "x86_64-manylinux_2_28")
    # the uv pinned in the lock, from this environment
    cmd = [sys.executable, "-m", "uv", *cmd[len(bootstrap.uv_command()) :]]
    # from uv's cache when it holds the index pages (0.6 s instead of ~15 s of network), else
    # from the index
    for mode in (["--offline"], []):
        proc = subprocess.run(
            [*cmd, *mode, "-o", os.devnull],
            capture_output=True,
            text=True,
            env=bootstrap.index_env(),
        )
        if proc.returncode == 0:
            break
    if proc.returncode != 0 and re.search(
        r"dns|connect|network|offline|timed out", proc.stderr, re.I
    ):
        pytest.skip(f"the package index is not reachable: {proc.stderr.strip()[:200]}")
    assert proc.returncode == 0, proc.stderr


def test_environment_yml_points_at_lock_and_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = env["dependencies"]
    python = next(d for d in deps if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    assert Requirement(f"python{project['requires-python']}").specifier.contains(version + ".0")
    assert (ROOT / ".python-version").read_text(encoding="utf-8").strip() == version
    assert tuple(int(x) for x in version.split(".")) == _bootstrap().SUPPORTED[0]
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


@pytest.mark.filterwarnings("ignore:_NoneStep.value:DeprecationWarning")  # pygtrie, via DVC
def test_bytecode_beside_the_sources_changes_no_stage(tmp_path, monkeypatch):
    """Python writes `__pycache__/*.pyc` beside every module it imports (unless
    PYTHONDONTWRITEBYTECODE is set, as on this project's CI machine), and bootstrap.py compiles
    src/ in the background: a stage that depends on a folder of src/ stays up to date (the
    project's .dvcignore, in a small DVC project)."""
    import shutil

    from dvc.repo import Repo

    shutil.copy2(ROOT / ".dvcignore", tmp_path / ".dvcignore")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "mod.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # DVC places a new stage in the working folder
    repo = Repo.init(str(tmp_path), no_scm=True)
    try:
        repo.stage.add(name="copy", deps=["src"], outs=["out.py"], cmd="cp src/mod.py out.py")
        repo.reproduce()
        assert repo.status() == {}
        (tmp_path / "src" / "__pycache__").mkdir()
        (tmp_path / "src" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\x00")
        (tmp_path / "src" / "stray.pyc").write_bytes(b"\x00")
        assert repo.status() == {}
        (tmp_path / "src" / "mod.py").write_text("X = 2\n", encoding="utf-8")
        assert repo.status() != {}  # a change of the source itself is still seen
    finally:
        repo.close()


def test_bootstrap_explains_too_old_python(monkeypatch, capsys):
    bootstrap = _bootstrap()
    monkeypatch.setattr(sys, "version_info", (3, 9, 18, "final", 0))
    with pytest.raises(SystemExit) as exc:
        bootstrap.check_python()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs Python 3.11, 3.12 or 3.13" in err and "3.9" in err


@pytest.mark.parametrize("version", [(3, 12, 1), (3, 13, 0)])
def test_bootstrap_accepts_312_and_313(monkeypatch, version):
    monkeypatch.setattr(sys, "version_info", (*version, "final", 0))
    _bootstrap().check_python()


def test_bootstrap_names_the_python_to_install_for_314(monkeypatch, capsys):
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    with pytest.raises(SystemExit):
        _bootstrap().check_python()
    assert "Install Python 3.13" in capsys.readouterr().err


def test_bootstrap_with_names_extras(capsys):
    bootstrap = _bootstrap()
    assert bootstrap.split_with(["--with", "spark", "-v"]) == (("spark",), ["-v"])
    assert bootstrap.split_with(["--with=spark,test"]) == (("spark", "test"), [])
    with pytest.raises(SystemExit):
        bootstrap.split_with(["--with", "gpu"])
    assert "unknown extra 'gpu'" in capsys.readouterr().err


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
