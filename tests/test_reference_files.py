"""The reference data the tests compare against travel with the repository.

- every file in tests/reference is listed in its README with an origin and a licence, and every
  row of the README names a file that is there;
- no code reads the shared reference folder beside the CI checkout (``../shared/reference``);
- the tests that use real survey exports (``../shared/external_surveys``, not redistributable)
  guard the folder and skip with a reason when it is absent;
- (slow) a fresh clone with no ``shared/`` beside it passes the reference tests and skips the
  external-export tests with that reason.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REFERENCE, ROOT

README = REFERENCE / "README.md"
#: the header of the README's file tables, and a row's first cell: the file in backticks
HEADER = "| file | what | origin | licence | values | used by |"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")
#: the tests that read real exports from ../shared/external_surveys, and the guard each uses
EXTERNAL_TESTS = ("test_ingest_real_exports.py", "test_codebook_draft.py")
#: the reference test modules that a fresh clone must pass
CLONE_MODULES = ("test_did.py", "test_measure_*.py", "test_models_*.py")


def _readme_rows(text: str) -> dict[str, list[str]]:
    """{file: cells} of the README's file tables (those under the header `HEADER`)."""
    rows: dict[str, list[str]] = {}
    in_table = False
    for line in text.splitlines():
        if line.strip() == HEADER:
            in_table = True
        elif in_table and line.startswith("|") and not line.startswith("|---"):
            match = ROW.match(line)
            assert match, f"a row of a file table without a `file` first: {line[:60]}"
            # cells split at unescaped pipes ("GPL-2 \\| GPL-3" stays one cell)
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            assert match[1] not in rows, f"{match[1]} is listed twice in the README"
            rows[match[1]] = cells
        elif not line.startswith("|"):
            in_table = False
    return rows


def _reference_files(folder: Path) -> set[str]:
    """Every file under the folder but its README, relative to it."""
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "README.md" and "__pycache__" not in p.parts
    }


def _listing_problems(rows: dict[str, list[str]], files: set[str]) -> list[str]:
    problems = [f"{f}: not listed in the README" for f in sorted(files - set(rows))]
    problems += [f"{f}: listed, but not in the folder" for f in sorted(set(rows) - files)]
    for name, cells in rows.items():
        if len(cells) != 6:
            problems.append(f"{name}: expected 6 cells, got {len(cells)}")
            continue
        _, what, origin, licence, values, _ = cells
        for label, cell in (("what", what), ("origin", origin), ("licence", licence)):
            if cell in ("", "—", "-"):
                problems.append(f"{name}: no {label}")
        if name.endswith(".csv") and values in ("", "—", "-"):
            problems.append(f"{name}: the README does not say how its values were made")
    return problems


def test_reference_folder_is_inside_the_repository():
    assert REFERENCE.resolve().is_relative_to(ROOT.resolve())
    assert (REFERENCE / "mpdta.csv").is_file()


def test_every_reference_file_is_in_the_readme_with_origin_and_licence():
    rows = _readme_rows(README.read_text(encoding="utf-8"))
    files = _reference_files(REFERENCE)
    assert len(files) >= 22 and any(f.startswith("R/") for f in files), sorted(files)
    assert _listing_problems(rows, files) == []


def test_listing_check_is_not_vacuous():
    """A file without a row, a row without a file and a row without a licence are all found."""
    text = README.read_text(encoding="utf-8")
    rows = _readme_rows(text.replace("| `mpdta.csv` |", "| `mpdta_old.csv` |"))
    problems = _listing_problems(rows, _reference_files(REFERENCE))
    assert problems == [
        "mpdta.csv: not listed in the README",
        "mpdta_old.csv: listed, but not in the folder",
    ]
    rows = _readme_rows(text)
    rows["bfi.csv"][3] = ""
    assert _listing_problems(rows, _reference_files(REFERENCE)) == ["bfi.csv: no licence"]


#: ways to spell the shared reference folder as a path
SHARED_REFERENCE = re.compile(
    r"""["']shared["']\s*/\s*["']reference["']"""  # pathlib: "shared" / "reference"
    r"""|shared[/\\]+reference\b"""  # a string path: ../shared/reference
    r"""|["']shared["']\s*,\s*["']reference["']"""  # os.path.join(..., "shared", "reference")
)


def _code_files() -> list[Path]:
    return sorted(
        p
        for top in ("src", "tests", "benchmarks", "notebooks")
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts and p.resolve() != Path(__file__).resolve()
    )  # this file names the patterns it looks for


def test_no_code_reads_the_shared_reference_folder():
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _code_files()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if SHARED_REFERENCE.search(line)
    ]
    assert hits == [], "code still reads ../shared/reference:\n" + "\n".join(hits)


@pytest.mark.parametrize(
    "line",
    [
        'REFERENCE = ROOT.parent / "shared" / "reference"',
        "data = pd.read_csv('../shared/reference/mpdta.csv')",
        'os.path.join(root, "..", "shared", "reference")',
    ],
)
def test_shared_reference_pattern_catches_path_spellings(line):
    assert SHARED_REFERENCE.search(line)


def _external_names(tree: ast.Module) -> set[str]:
    """Module-level names bound to the external folder or to paths built from it."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            source = ast.unparse(node.value)
            if source.startswith("pytest.mark."):
                continue  # the skip marker itself, not a path
            if isinstance(target, ast.Name) and (
                "external_surveys" in source or any(re.search(rf"\b{n}\b", source) for n in names)
            ):
                names.add(target.id)
    return names


def _module_guard(tree: ast.Module, folder: str) -> str | None:
    """The reason given by a module-level
    ``if not FOLDER.is_dir(): pytest.skip(reason, allow_module_level=True)``, or None."""
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and ast.unparse(node.test) == f"not {folder}.is_dir()"
            and len(node.body) == 1
            and isinstance(node.body[0], ast.Expr)
        ):
            call = node.body[0].value
            if (
                isinstance(call, ast.Call)
                and ast.unparse(call.func) == "pytest.skip"
                and any(
                    k.arg == "allow_module_level" and ast.unparse(k.value) == "True"
                    for k in call.keywords
                )
                and call.args
            ):
                return ast.unparse(call.args[0])
    return None


def _skipif_markers(tree: ast.Module, folder: str) -> dict[str, str]:
    """Module-level ``name = pytest.mark.skipif(not FOLDER.is_dir(), reason=...)`` markers:
    {name: reason}."""
    markers = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if (
                ast.unparse(call.func) == "pytest.mark.skipif"
                and call.args
                and ast.unparse(call.args[0]) == f"not {folder}.is_dir()"
            ):
                reason = [ast.unparse(k.value) for k in call.keywords if k.arg == "reason"]
                if reason:
                    markers[node.targets[0].id] = reason[0]
    return markers


def _unguarded(tree: ast.Module, names: set[str], markers: set[str]) -> list[str]:
    """Tests that name one of `names` (in their body or decorators) without a marker."""
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name.startswith("test_")
        and {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & names
        and not {ast.unparse(d) for d in node.decorator_list} & markers
    ]


@pytest.mark.parametrize("name", EXTERNAL_TESTS)
def test_external_survey_tests_skip_with_a_reason_when_the_folder_is_absent(name):
    """Each test that touches a path under ../shared/external_surveys is skipped, with a reason,
    when the folder is not there: by a module-level skip, or by a skipif marker on the test."""
    tree = ast.parse((ROOT / "tests" / name).read_text(encoding="utf-8"))
    names = _external_names(tree)
    folder = next(
        ast.unparse(node.targets[0])
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.value).endswith("'external_surveys'")
    )
    module_reason = _module_guard(tree, folder)
    if module_reason is not None:
        assert "absent" in module_reason or "not available" in module_reason, module_reason
        return
    markers = _skipif_markers(tree, folder)
    assert markers, f"{name}: no skip guard on {folder}"
    assert all("absent" in r for r in markers.values()), markers
    assert _unguarded(tree, names, set(markers)) == [], f"{name}: tests use {folder} unguarded"
    guarded = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and {ast.unparse(d) for d in node.decorator_list} & set(markers)
    ]
    assert guarded, f"{name}: the skip marker guards no test"


def test_guard_check_sees_an_unguarded_test():
    """The guard check is not vacuous: a test using the folder without the marker is found."""
    source = (
        "from pathlib import Path\nimport pytest\n"
        "EXTERNAL = Path('x').parent / 'shared' / 'external_surveys'\n"
        "FILE = EXTERNAL / 'a.xlsx'\n"
        "needs = pytest.mark.skipif(not EXTERNAL.is_dir(), reason='EXTERNAL is absent')\n"
        "@needs\ndef test_a():\n    FILE.read_bytes()\n"
        "def test_b():\n    FILE.read_bytes()\n"
    )
    tree = ast.parse(source)
    names = _external_names(tree)
    assert names == {"EXTERNAL", "FILE"}
    assert _module_guard(tree, "EXTERNAL") is None
    assert _skipif_markers(tree, "EXTERNAL") == {"needs": "'EXTERNAL is absent'"}
    assert _unguarded(tree, names, {"needs"}) == ["test_b"]


def _pytest(cwd: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:hydra_pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
    )


@pytest.mark.slow
def test_fresh_clone_without_shared_passes_the_reference_tests(tmp_path):
    """`git clone` of the committed HEAD into a folder with no ``shared/`` beside it: the
    reference test modules pass from there (with the clone's code and data), and the tests of
    real exports skip with their reason. Uncommitted changes are not in the clone."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout (a ZIP download has no history to clone)")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    assert not (clone.parent / "shared").exists()
    env = {
        **os.environ,
        "PYTHONPATH": str(clone / "src"),  # the clone's package, not the installed checkout's
    }
    where = subprocess.run(
        [sys.executable, "-c", "import jianfu; print(jianfu.__file__)"],
        cwd=clone,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(clone / "src"), where
    tests = clone / "tests"
    modules = sorted(p.name for pattern in CLONE_MODULES for p in tests.glob(pattern))
    assert "test_did.py" in modules and len(modules) > 5, modules
    proc = _pytest(tests, env, "-q", "-m", "not slow", *modules)
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert " error" not in proc.stdout.splitlines()[-1], tail
    assert "FileNotFoundError" not in proc.stdout, tail
    # the real-export tests: skipped, with the reason that the folder is absent
    proc = _pytest(tests, env, "-q", "-rs", "-k", "real", *EXTERNAL_TESTS)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    skips = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips, proc.stdout
    assert all("external_surveys" in s and ("absent" in s) for s in skips), skips
