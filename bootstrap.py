#!/usr/bin/env python3
"""Set up jianfu's environment and run the pipeline or the tests, in one command.

    python3 bootstrap.py pipeline   # set up (first time) and run `dvc repro` on the default data
    python3 bootstrap.py test       # set up (first time, with the test tools) and run the tests
    python3 bootstrap.py lab        # set up (first time) and open the notebooks in JupyterLab
    python3 bootstrap.py lock       # maintainers: regenerate the locks after editing pyproject.toml

    --with spark                    # any of the first three: also install PySpark (needs Java)
    python3 bootstrap.py test --all # also the slow tests; installs Spark to test its engine too

Set-up creates a virtual environment in `.venv/` (Python 3.11, 3.12 or 3.13) and installs
exactly the hash-pinned versions of one lock: `requirements.lock.txt` (what the pipeline and the
notebooks need) or, with extras, `requirements-test.lock.txt`, `requirements-spark.lock.txt`,
`requirements-test-spark.lock.txt`. Installation goes through uv, itself pinned in each lock and
installed by pip, then the project is installed in editable mode. Extras only accumulate: the
test tools installed once stay for `pipeline` (delete `.venv/` to slim it down again). Set-up is
skipped when the locks have not changed since the last set-up and the environment already has
the extras asked for, so re-running a command is fast. A PyPI mirror set for pip (PIP_INDEX_URL
or pip.conf's global.index-url) is used by uv too.

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
#: Python versions the locks are resolved for (pyproject's requires-python); CI runs the first.
SUPPORTED = ((3, 11), (3, 12), (3, 13))
#: The optional extras a user installs (pyproject's optional-dependencies). Every combination has
#: a lock; "bootstrap" (uv, setuptools) goes into every lock, "dev" is test + spark for `pip`.
EXTRAS = ("test", "spark")
#: Pins the resolver must not choose ("pkg<2  # why"); they enter the locks and the staleness hash.
LOCK_CONSTRAINTS = ()
#: Pure-Python packages published only as source (built in seconds): every other pin of every
#: lock must have a wheel for each supported Python on Linux, macOS and Windows.
SDIST_ONLY = ("antlr4-python3-runtime", "factor-analyzer", "pyspark", "semopy")
BIN = os.path.join(VENV, "Scripts" if os.name == "nt" else "bin")
EXE = ".exe" if os.name == "nt" else ""


def die(message):
    """Print one line to stderr and exit non-zero (no traceback for expected problems)."""
    sys.stderr.write("bootstrap: " + message + "\n")
    sys.exit(1)


def check_python():
    version = tuple(sys.version_info[:2])
    if version not in SUPPORTED:
        names = ["%d.%d" % v for v in SUPPORTED]
        die(
            "jianfu needs Python %s or %s; this is Python %d.%d (%s). Install Python %s and run "
            "`python%s bootstrap.py ...`."
            % (
                ", ".join(names[:-1]),
                names[-1],
                version[0],
                version[1],
                sys.executable,
                names[-1],
                names[-1],
            )
        )
    import importlib.util

    if importlib.util.find_spec("venv") is None or importlib.util.find_spec("ensurepip") is None:
        die(
            "Python's venv module is not installed. On Debian/Ubuntu run "
            "`sudo apt install python%d.%d-venv` (or python3-venv), then run this command again."
            % version
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
    """Hash of the dependency declarations in pyproject.toml, recorded in each lock's footer.

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
        "lock-constraints": list(LOCK_CONSTRAINTS),
    }
    blob = json.dumps(declared, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def lock_path(extras=()):
    """The lock of an install set: the default set, or the default set plus these extras."""
    chosen = [e for e in EXTRAS if e in extras]
    if not chosen:
        return LOCK
    return os.path.join(ROOT, "requirements-%s.lock.txt" % "-".join(chosen))


def lock_sets():
    """Every combination of EXTRAS, largest first: it is resolved first and the others keep its
    pins, so a package has the same version in every lock (adding an extra changes nothing else).
    """
    sets = [()]
    for extra in EXTRAS:
        sets += [s + (extra,) for s in sets]
    return sorted(sets, key=len, reverse=True)


def lock_requirement(name, lock=LOCK):
    """The lock's entry for one package (with its hashes) as requirement-file text."""
    lines, taking = [], False
    with open(lock, encoding="utf-8") as fh:
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
            "%s has no entry for %s; regenerate the locks with `python3 bootstrap.py lock`."
            % (os.path.basename(lock), name)
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
    """Digest of every lock, pyproject.toml and this file: set-up reruns when one changes."""
    digest = hashlib.sha256()
    paths = [lock_path(s) for s in reversed(lock_sets())] + [PYPROJECT, os.path.abspath(__file__)]
    for path in paths:
        if os.path.exists(path):
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()


def installed_extras():
    """The extras recorded by the last set-up of VENV (none for an environment without them)."""
    path = os.path.join(VENV, ".jianfu-extras")
    if not os.path.exists(path):
        return ()
    with open(path, encoding="utf-8") as fh:
        return tuple(e for e in fh.read().split() if e in EXTRAS)


def ensure_env(extras=()):
    """Create `.venv` and install the lock of the set asked for into it, unless that is done.

    A superset satisfies a subset: extras installed earlier are kept (the set installed is the
    union), so `pipeline` after `test` keeps the test tools and `test` after `--with spark`
    keeps Spark.
    """
    stamp_path = os.path.join(VENV, ".jianfu-installed")
    want = install_stamp()
    have = installed_extras()
    current = False
    if os.path.exists(tool("python")) and os.path.exists(stamp_path):
        with open(stamp_path, encoding="utf-8") as fh:
            current = fh.read().strip() == want
    if current and set(extras) <= set(have):
        return
    chosen = tuple(e for e in EXTRAS if e in extras or e in have)
    lock = lock_path(chosen)
    if not os.path.exists(lock):
        die("%s is missing; run `python3 bootstrap.py lock`." % os.path.relpath(lock, ROOT))
    if not os.path.exists(tool("python")):
        print("bootstrap: creating the virtual environment %s" % VENV)
        if subprocess.call([sys.executable, "-m", "venv", VENV]) != 0:
            die(
                "could not create %s; on Debian/Ubuntu install python%d.%d-venv."
                % ((VENV,) + tuple(sys.version_info[:2]))
            )
    env = index_env()
    print(
        "bootstrap: installing %s into %s (first run, new extras or locks changed) ..."
        % (os.path.basename(lock), VENV)
    )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write(lock_requirement("uv", lock))
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
    # no --compile-bytecode: compiling the whole environment is 19 of the set-up's 25 s on two
    # cores; compile_in_background does it on one core while the command runs (the stages use
    # mostly one core) instead of before it
    run(uv + ["sync", "--require-hashes"] + target + [lock], env=env)
    run(
        uv + ["install", "--no-deps", "--no-build-isolation", "--quiet"] + target + ["-e", ROOT],
        env=env,
    )
    with open(os.path.join(VENV, ".jianfu-extras"), "w", encoding="utf-8") as fh:
        fh.write(" ".join(chosen) + "\n")
    with open(stamp_path, "w", encoding="utf-8") as fh:
        fh.write(want + "\n")
    compile_in_background()
    print("bootstrap: environment ready in %s" % VENV)


#: The background bytecode compilation started by a set-up (`compile_in_background`).
COMPILING = []


#: Top-level modules compiled first, in the order a pipeline run imports them: DVC's own (it
#: starts as soon as set-up ends), jianfu's (src/jianfu: every stage imports it; an editable
#: install is not in the environment's folder), then the first stages' and the later stages'. A
#: missing name is skipped; everything else in the environment is compiled after them.
COMPILE_FIRST = [
    "dvc",
    "funcy",
    "shtab",
    "tqdm",
    "colorama",
    "typing_extensions",
    "pathspec",
    "pygtrie",
    "voluptuous",
    "dvc_objects",
    "fsspec",
    "dvc_http",
    "packaging",
    "dvc_data",
    "attr",
    "attrs",
    "sqltrie",
    "orjson",
    "diskcache",
    "dpath",
    "flufl",
    "psutil",
    "public",
    "zc",
    "dvc_render",
    "flatten_dict",
    "scmrepo",
    "dissolve",
    "dulwich",
    "platformdirs",
    "configobj",
    "ruamel",
    "pyparsing",
    "networkx",
    "rich",
    "pygit2",
    "grandalf",
    "tomlkit",
    "yaml",
    "jianfu",
    "numpy",
    "pandas",
    "dateutil",
    "pytz",
    "six",
    "pyarrow",
    "python_calamine",
    "openpyxl",
    "et_xmlfile",
    "duckdb",
    "rapidfuzz",
    "docx",
    "lxml",
    "scipy",
    "statsmodels",
    "patsy",
    "formulaic",
    "interface_meta",
    "narwhals",
    "wrapt",
    "semopy",
    "sympy",
    "mpmath",
    "sklearn",
    "joblib",
    "threadpoolctl",
    "cloudpickle",
    "matplotlib",
    "PIL",
    "fontTools",
    "kiwisolver",
    "cycler",
    "contourpy",
    "mpl_toolkits",
    "pyreadstat",
    "defusedxml",
]


def compile_in_background():
    """Compile the new environment's modules to bytecode in one background process.

    Without it every command compiles what it imports, and where PYTHONDONTWRITEBYTECODE is set
    (as on some CI machines) it does so again in every process. Running beside the command it
    uses the core that a single-threaded stage leaves idle; the modules a pipeline run imports
    come first (COMPILE_FIRST), so the first stages already find most of theirs compiled. A
    module imported before it is compiled is compiled by the importer (both write the same file
    atomically). The tests of third-party packages are never imported and are skipped.
    """
    purelib = subprocess.check_output(
        [tool("python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    )
    purelib = purelib.decode().strip()
    first = []
    for name in COMPILE_FIRST:
        for path in (
            os.path.join(purelib, name),
            os.path.join(purelib, name + ".py"),
            os.path.join(ROOT, "src", name),
        ):
            if os.path.exists(path):
                first.append(path)
    cmd = [tool("python"), "-m", "compileall", "-q", "-j", "1", "-x", r"[/\\]tests?[/\\]"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    COMPILING.append(subprocess.Popen(cmd + first + [purelib], **quiet))


def wait_for_compile():
    """Let the background compilation finish before the command returns."""
    while COMPILING:
        COMPILING.pop().wait()


def split_with(args):
    """(extras named by `--with a,b` / `--with=a`, the other arguments for the tool underneath)."""
    extras, rest, i = [], [], 0
    while i < len(args):
        if args[i] == "--with" and i + 1 < len(args):
            extras += args[i + 1].split(",")
            i += 2
            continue
        if args[i].startswith("--with="):
            extras += args[i][len("--with=") :].split(",")
        else:
            rest.append(args[i])
        i += 1
    for extra in extras:
        if extra not in EXTRAS:
            die("unknown extra %r after --with; choose from: %s" % (extra, ", ".join(EXTRAS)))
    return tuple(extras), rest


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
    extras, args = split_with(args)
    ensure_env(extras)
    ensure_scm()
    env = index_env()
    run([tool("dvc"), "repro"] + args, env=env)
    run([tool("jianfu"), "where"], env=env)


def cmd_test(args):
    extras, args = split_with(args)
    everything = "--all" in args
    # the slow tier tests everything, the Spark engine included; the default tier stays lean
    ensure_env(("test",) + extras + (("spark",) if everything else ()))
    marker = [] if everything else ["-m", "not slow"]
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
    extras, args = split_with(args)
    ensure_env(extras)
    run(
        [tool("jupyter"), "lab", "--notebook-dir", os.path.join(ROOT, "notebooks")] + args,
        env=index_env(),
    )


def uv_command():
    uv = shutil.which("uv")
    return [uv] if uv else [tool("python"), "-m", "uv"]


def wheel_check_command(lock, version, platform):
    """A uv resolution of `lock` for one Python and platform that uses wheels only (but for
    SDIST_ONLY): it fails if a pin has no wheel there or needs a package the lock lacks."""
    cmd = uv_command() + ["pip", "compile", lock, "--python-version", version]
    cmd += ["--python-platform", platform, "--only-binary", ":all:"]
    for name in SDIST_ONLY:
        cmd += ["--no-binary", name]
    return cmd + ["--no-header", "--no-annotate", "--quiet"]


#: Where `bootstrap.py lock` checks that every pin installs from wheels. Not Intel Macs:
#: cryptography 50, lazy-object-proxy 1.13, argon2-cffi-bindings 26 and diff-diff publish no
#: x86_64 macOS wheels, so there they build from source (Xcode tools; Rust for cryptography).
CHECK_PLATFORMS = (
    "x86_64-manylinux_2_28",
    "aarch64-manylinux_2_28",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
)


def cmd_lock(args):
    """Regenerate every lock: one universal resolution (Python 3.11-3.13, every platform)."""
    env = index_env()
    tmp = tempfile.mkdtemp()
    try:
        constraints = os.path.join(tmp, "constraints.txt")
        with open(constraints, "w", encoding="utf-8") as fh:
            fh.write("\n".join(LOCK_CONSTRAINTS) + "\n")
        union = lock_path(lock_sets()[0])
        for extras in lock_sets():
            out = lock_path(extras)
            if not os.path.exists(out) and os.path.exists(LOCK):
                shutil.copyfile(LOCK, out)  # a new set starts from the default lock's pins
            cmd = uv_command() + ["pip", "compile", "pyproject.toml", "--extra", "bootstrap"]
            for extra in extras:
                cmd += ["--extra", extra]
            cmd += [
                "--universal",
                "--python-version",
                "%d.%d" % SUPPORTED[0],
                # one version of a package for every Python where possible (the one CI tests)
                "--fork-strategy",
                "fewest",
                "--generate-hashes",
                "--quiet",
                "--custom-compile-command",
                "python3 bootstrap.py lock",
                "-c",
                constraints,
            ]
            if out != union:
                cmd += ["-c", union]
            run(cmd + ["-o", out] + args, env=env)
            with open(out, "a", encoding="utf-8") as fh:
                fh.write(HASH_MARKER + pyproject_hash() + "\n")
            print("bootstrap: wrote %s" % os.path.relpath(out, ROOT))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for version in ["%d.%d" % v for v in SUPPORTED]:
        for platform in CHECK_PLATFORMS:
            run(wheel_check_command(union, version, platform) + ["-o", os.devnull], env=env)
    print("bootstrap: every pin has wheels for Python 3.11-3.13 on Linux, macOS and Windows")


COMMANDS = {"pipeline": cmd_pipeline, "test": cmd_test, "lab": cmd_lab, "lock": cmd_lock}


def main(argv):
    if not argv or argv[0] not in COMMANDS:
        sys.stdout.write(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    check_python()
    try:
        COMMANDS[argv[0]](argv[1:])
    finally:
        wait_for_compile()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
