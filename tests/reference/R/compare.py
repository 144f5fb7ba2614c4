"""Run the R scripts beside this file and check their values against the stored references.

Usage (needs R with the packages the scripts load; the tests never need R)::

    cd tests/reference && python3 R/compare.py            # every script
    cd tests/reference && python3 R/compare.py survey_api  # one script, by name

Each script prints CSV rows ``target,key,value``: ``target`` is a stored file in
tests/reference, a test file whose source types the number in, or ``statsmodels:res_ord_logit``
(values a test imports from statsmodels' own test suite). For a stored file the key is
``col=value&col=value#column`` (the row's selector and the cell), optionally ``[i]``: the i-th
number in a cell that holds several (``misc_reference_values.csv``); a key ``identical ...``
(data_files.R) is 1 when a data file matches the R package's data set. A value agrees when R's
full-precision number rounds to the stored text: within half a unit of its last printed digit.
Why a script and not a test: R is not a dependency of the project, and the stored values stay
those of the published source (a value is never replaced by a recomputed one).
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

#: Numbers typed into test code from a cited source (the test's printed digits), by test file
#: and the key the R script prints. README.md lists where each appears in the test.
TYPED = {
    "test_measure_cfa.py": {
        "df": "24",
        "baseline_chisq": "918.852",
        "baseline_df": "36",
        "rmsea_ci_lower": "0.071",
        "rmsea_ci_upper": "0.114",
        "aic": "7517.490",
        "bic": "7595.339",
        "npar": "21",
        "n": "301",
        "std.all visual=~x1": "0.772",
        "std.all visual~~textual": "0.459",
        "std.lv visual=~x1": "0.900",
    },
    "test_models_multilevel.py": {"pastes_ml_deviance": "247.9945"},
    "test_measure_reliability.py": {"kmo_bfi_overall": "0.85"},
    # fa.parallel simulates: the key carries the seed, the count must not depend on it
    "test_measure_efa.py": {"bfi_nfact": "6", "bfi_ncomp": "6", "hs_nfact": "3", "hs_ncomp": "3"},
}

#: Stored files whose every value was computed by R: each of their numbers must be checked.
FULLY_R = {
    "R_lavaan_invariance_reference.csv": ["chisq", "df", "cfi", "tli", "rmsea", "srmr", "bic"],
    "R_lavaan_fiml_bfi_fit.csv": ["n", "chisq", "df", "cfi", "rmsea", "logl"],
    "R_survey_reference.csv": ["estimate", "se"],
    "R_lavaan_HS_cfa_reference.csv": ["est", "se"],
}


def agrees(value: float, printed: str) -> bool:
    """`value` rounds to the printed text: within half a unit of its last digit."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(value - float(printed)) <= 0.5 * 10**-decimals * (1 + 1e-9) + 1e-15


def _rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def stored(target: str, key: str) -> tuple[str, tuple[str, int, str]]:
    """The printed text a key points to, and (file, row number, column) for coverage."""
    selector, _, cell = key.partition("#")
    match = re.fullmatch(r"(\w+)(?:\[(\d+)\])?", cell)
    assert match, f"bad key {key!r}"
    column, index = match[1], match[2]
    conditions = [part.split("=", 1) for part in selector.split("&")]
    rows = [
        (i, row)
        for i, row in enumerate(_rows(target))
        if all(row[col] == want for col, want in conditions)
    ]
    assert len(rows) == 1, f"{target}: {len(rows)} rows match {selector!r}"
    i, row = rows[0]
    text = row[column]
    if index is not None:
        text = NUMBER.findall(text)[int(index)]
    return text, (target, i, column)


def typed(target: str, key: str) -> str:
    if target.startswith("statsmodels:"):
        from statsmodels.miscmodels.tests.results import results_ordinal_model as results

        holder = getattr(results, target.split(":", 1)[1])
        name, position = re.fullmatch(r"(\w+)\[(\w+)\]", key).groups()
        terms = ["pared", "public", "gpa"]
        i = terms.index(position) if position in terms else int(position)
        return repr(float(getattr(holder, name)[i]))
    return TYPED[target][re.sub(r"\[seed \d+\]$", "", key)]


def run(script: Path) -> tuple[int, int, set]:
    proc = subprocess.run(
        ["Rscript", str(script)],
        cwd=REFERENCE,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if proc.returncode != 0:
        print(f"{script.name}: Rscript failed\n{proc.stderr}")
        return 0, 1, set()
    versions = [line for line in proc.stderr.splitlines() if line.startswith("#")]
    checked = failed = 0
    seen = set()
    for row in csv.DictReader(io.StringIO(proc.stdout)):
        target, key, value = row["target"], row["key"], float(row["value"])
        if key.startswith("identical "):  # data_files.R: 1 when the stored file matches
            printed = "1"
        elif (REFERENCE / target).is_file():
            printed, where = stored(target, key)
            seen.add(where)
        else:
            printed = typed(target, key)
        checked += 1
        if not agrees(value, printed):
            failed += 1
            print(f"  DIFFERS {target} {key}: R {row['value']} vs stored {printed}")
    print(f"{script.name}: {checked - failed}/{checked} values agree {' '.join(versions)}")
    return checked, failed, seen


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("*.R"))
    if names:
        scripts = [s for s in scripts if s.stem in names]
    total = failed = 0
    seen: set = set()
    for script in scripts:
        c, f, s = run(script)
        total, failed, seen = total + c, failed + f, seen | s
    if not names:  # every number of the files R made is covered by some script
        for name, columns in FULLY_R.items():
            for i, row in enumerate(_rows(name)):
                for column in columns:
                    if NUMBER.fullmatch(row[column] or "") and (name, i, column) not in seen:
                        failed += 1
                        print(f"  NOT CHECKED {name} row {i + 1} {column} = {row[column]}")
    print(f"total: {total - failed} of {total} agree, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
