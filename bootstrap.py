#!/usr/bin/env python3
"""Set up jianfu's environment and run the pipeline or the tests, in one command.

    python3 bootstrap.py pipeline   # set up (first time) and run `dvc repro` on the default data
    python3 bootstrap.py test       # set up (first time) and run the test suite
    python3 bootstrap.py lab        # set up (first time) and open the notebooks in JupyterLab
    python3 bootstrap.py lock       # maintainers: regenerate the lock after editing pyproject.toml

Set-up creates a virtual environment in `.venv/` and installs exactly the hash-pinned versions
of `requirements.lock.txt` (with uv, itself pinned in the lock and installed by pip), then the
project in editable mode. It is skipped when the lock has not changed since the last set-up, so
re-running a command is fast. A PyPI mirror set for pip (PIP_INDEX_URL or pip.conf's
global.index-url) is used by uv too.

This file runs under the system Python before anything is installed: standard library only, and
no syntax newer than Python 3.6 so that too old a Python gets a one-line explanation.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
LOCK = os.path.join(ROOT, "requirements.lock.txt")
PYPROJECT = os.path.join(ROOT, "pyproject.toml")
VENV = os.environ.get("JIANFU_VENV") or os.path.join(ROOT, ".venv")
HASH_MARKER = "# jianfu-pyproject-sha256: "
REQUIRED = (3, 11)
BIN = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin")
EXE = ".exe" if os.name == "nt" else ""


def die(message):
    """Print one line to stderr and exit non-zero (no traceback for expected problems)."""
    sys.stderr.write("bootstrap: " + message + "\n")
    sys.exit(1)


def check_python():
    if sys.version_info[:2] != REQUIRED:
        die(
            "jianfu needs Python %d.%d; this is Python %d.%d (%s). Install Python 3.11 and run "
            "`python3.11 bootstrap.py ...`." % (REQUIRED + sys.version_info[:2] + (sys.executable,))
        )
    import importlib.util

    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        die(
            "Python's venv module is not installed. On Debian/Ubuntu run "
            "`sudo apt install python3.11-venv` (or python3-venv), then run this command again."
        )


def tool(name):
    return os.path.join(BIN, name + EXE)


def run(cmd, env=None, check=True):
    """Run a command from the project root; on failure exit with its status and one line."""
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    if check and code != 0:
        die("`%s` failed (exit %d); see the messages above." % (" ".join(cmd), code))
    return code


def pyproject_hash(path=PYPROJECT):
    """Hash of the dependency declarations in pyproject.toml, recorded in the lock's header.

    The test suite recomputes it: a lock generated from other ranges is stale.
    """
    import tomllib

    with open(path, "rb") as fh:
        project = tomllib.load(fh)["project"]
    declared = {
        "requires-python": project.get("requires-python"),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {
            k: sorted(v) for k, v in sorted(project.get("optional-dependencies", {}).items())
        },
    }
    blob = json.dumps(declared, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def lock_requirement(name):
    """The lock's entry for one package (with its hashes) as requirement-file text."""
    lines, taking = [], False
    with open(LOCK, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(name + "=="):
                taking = True
            if taking:
                if line.lstrip().startswith("#"):
                    break
                lines.append(line)
                if not line.rstrip().endswith("\\"):
                    break
    if not lines:
        die(
            "requirements.lock.txt has no entry for %s; "
            "regenerate it with `python3 bootstrap.py lock`." % name
        )
    return "".join(lines)


def index_env():
    """Environment for the installers: offline-safe defaults and pip's mirror passed on to uv."""
    env = dict(os.environ)
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    env.setdefault("DVC_NO_ANALYTICS", "1")
    # stage commands in dvc.yaml call `jianfu`, `python`: the environment's, as if activated
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = VENV
    if not (env.get("UV_DEFAULT_INDEX") or env.get("UV_INDEX_URL")):
        index = env.get("PIP_INDEX_URL")
        if not index and os.path.exists(tool("python")):
            out = subprocess.run(
                [tool("python"), "-m", "pip", "config", "get", "global.index-url"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                universal_newlines=True,
                env=env,
            ).stdout.strip()
            index = out or None
        if index:
            env["UV_DEFAULT_INDEX"] = index
            print("bootstrap: using the package index %s (from pip's settings)" % index)
    if env.get("PIP_EXTRA_INDEX_URL") and not env.get("UV_INDEX"):
        env["UV_INDEX"] = env["PIP_EXTRA_INDEX_URL"]
    if env.get("PIP_TRUSTED_HOST") and not env.get("UV_INSECURE_HOST"):
        env["UV_INSECURE_HOST"] = env["PIP_TRUSTED_HOST"]
    return env


def install_stamp():
    digest = hashlib.sha256()
    for path in (LOCK, PYPROJECT, os.path.abspath(__file__)):
        with open(path, "rb") as fh:
            digest.update(fh.read())
    return digest.hexdigest()


def ensure_env():
    """Create `.venv` and install the lock into it, unless that is already done."""
    stamp_path = os.path.join(VENV, ".jianfu-installed")
    want = install_stamp()
    if os.path.exists(tool("python")) and os.path.exists(stamp_path):
        with open(stamp_path, encoding="utf-8") as fh:
            if fh.read().strip() == want:
                return
    if not os.path.exists(tool("python")):
        print("bootstrap: creating the virtual environment %s" % VENV)
        if subprocess.call([sys.executable, "-m", "venv", VENV]) != 0:
            die("could not create %s; on Debian/Ubuntu install python3.11-venv." % VENV)
    env = index_env()
    print("bootstrap: installing the locked environment (first run or lock changed) ...")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(lock_requirement("uv"))
        uv_req = fh.name
    try:
        run(
            [
                tool("python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--require-hashes",
                "--no-deps",
                "-r",
                uv_req,
            ],
            env=env,
        )
    finally:
        os.unlink(uv_req)
    uv = [tool("python"), "-m", "uv", "pip"]
    target = ["--python", tool("python")]
    run(uv + ["sync", "--require-hashes", "--compile-bytecode"] + target + [LOCK], env=env)
    run(
        uv + ["install", "--no-deps", "--no-build-isolation", "--quiet"] + target + ["-e", ROOT],
        env=env,
    )
    with open(stamp_path, "w", encoding="utf-8") as fh:
        fh.write(want + "\n")
    print("bootstrap: environment ready in %s" % VENV)


def ensure_scm():
    """A checkout without .git (a ZIP download) runs DVC without git."""
    if os.path.exists(os.path.join(ROOT, ".git")):
        return
    local = os.path.join(ROOT, ".dvc", "config.local")
    if os.path.exists(local):
        with open(local, encoding="utf-8") as fh:
            if "no_scm = true" in fh.read():
                return
    print("bootstrap: no .git here (ZIP download?): running DVC without git (core.no_scm)")
    run([tool("dvc"), "config", "--local", "core.no_scm", "true"], env=index_env())


def cmd_pipeline(args):
    ensure_env()
    ensure_scm()
    env = index_env()
    run([tool("dvc"), "repro"] + args, env=env)
    run([tool("jianfu"), "where"], env=env)


def cmd_test(args):
    ensure_env()
    marker = [] if "--all" in args else ["-m", "not slow"]
    args = [a for a in args if a != "--all"]
    results = os.path.join(ROOT, "test-results", "junit.xml")
    code = run(
        [tool("python"), "-m", "pytest"] + marker + ["--junitxml", results] + args,
        env=index_env(),
        check=False,
    )
    print("bootstrap: test results in %s (exit %d)" % (os.path.relpath(results, ROOT), code))
    sys.exit(code)


def cmd_lab(args):
    ensure_env()
    run(
        [tool("jupyter"), "lab", "--notebook-dir", os.path.join(ROOT, "notebooks")] + args,
        env=index_env(),
    )


def cmd_lock(args):
    uv = shutil.which("uv")
    uv_cmd = [uv] if uv else [tool("python"), "-m", "uv"]
    run(
        uv_cmd
        + [
            "pip",
            "compile",
            "pyproject.toml",
            "--extra",
            "dev",
            "--universal",
            "--python-version",
            "3.11",
            "--generate-hashes",
            "--quiet",
            "--custom-compile-command",
            "python3 bootstrap.py lock",
            "-o",
            LOCK,
        ]
        + args,
        env=index_env(),
    )
    with open(LOCK, "a", encoding="utf-8") as fh:
        fh.write(HASH_MARKER + pyproject_hash() + "\n")
    print("bootstrap: wrote %s" % os.path.relpath(LOCK, ROOT))


COMMANDS = {"pipeline": cmd_pipeline, "test": cmd_test, "lab": cmd_lab, "lock": cmd_lock}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.stdout.write(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    check_python()
    COMMANDS[argv[0]](argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
