"""The `jianfu` command line: one sub-command per pipeline stage, plus helpers.

DVC calls these commands (see dvc.yaml); researchers can too. Each stage entry point is thin: it
loads params, reads the inputs named on the command line, calls pure functions and writes its
outputs atomically. Problems with inputs are reported as located messages (exit status 2), never
as a bare traceback.
"""

from __future__ import annotations

import os
import sys

# Only `os` and `sys` before a stage re-executes itself with a fixed hash seed
# (`_fixed_hash_seed`): what is imported before the exec is imported twice. The rest is imported
# in the functions that use it.

#: Pipeline stages in pipeline order: command -> (module with add_arguments and run, help).
STAGES = {
    "questionnaire": (
        "jianfu.codebook.stage",
        "render the printable questionnaire (Markdown, Word) from the codebook",
    ),
    "simulate": (
        "jianfu.simulate.stage",
        "simulate the default data: a 问卷星 survey export and office records, with truth",
    ),
    "ingest": (
        "jianfu.ingest.stage",
        "read, map, de-identify and clean the survey; validate the office records",
    ),
    "verify_cleaning": (
        "jianfu.ingest.verify",
        "score each cleaning rule and the township matcher against the simulated truth",
    ),
    "measure": (
        "jianfu.measure.stage",
        "reliability, validity (CFA, CR/AVE, HTMT), common-method checks and scale scores",
    ),
    "models": (
        "jianfu.models.stage",
        "every named model spec of params.yaml: OLS, multilevel, PROCESS, ordered logit, SEM",
    ),
    "survey_recovery": (
        "jianfu.models.recovery",
        "compare every survey estimand of the simulated truth with the estimator built for it",
    ),
    "panel": (
        "jianfu.policy.panel_stage",
        "aggregate the office records into township-month and district-month panels (SQL)",
    ),
    "policy": (
        "jianfu.policy.stage",
        "staggered adoption effects: Callaway–Sant'Anna, Sun–Abraham, TWFE; pre-trend tests",
    ),
    "policy_recovery": (
        "jianfu.policy.recovery",
        "compare the policy estimates with the simulator's true ATT(g,t) and aggregates",
    ),
    "spec_survey": (
        "jianfu.robustness.stage",
        "the key survey effects under one specification of the robustness grid",
    ),
    "spec_policy": (
        "jianfu.robustness.stage",
        "the key policy effects (Callaway–Sant'Anna ATT) under one specification",
    ),
    "spec_curve": (
        "jianfu.robustness.curve",
        "the specification curve: every specification of the grid estimated, in parallel",
    ),
    "fonts": (
        "jianfu.figures.font_stage",
        "build the figures' Chinese font (OFL TrueType subset of Noto Sans SC)",
    ),
    "figures": (
        "jianfu.figures.stage",
        "draw every figure of the report in zh and en (PDF, SVG, PNG)",
    ),
    "report": (
        "jianfu.report.stage",
        "three-line tables (docx, LaTeX, Markdown, HTML) and the project report (docx, html)",
    ),
    "power": (
        "jianfu.power.stage",
        "Monte Carlo power over sample designs and effect sizes (local pool or Dask)",
    ),
}
#: Helper commands that are not pipeline stages.
TOOLS = {
    "clean-survey": (
        "jianfu.tools.clean_survey",
        "clean any survey export (问卷星, 腾讯问卷, SPSS, Stata, CSV) with the ingest steps",
    ),
    "use-data": (
        "jianfu.tools.use_data",
        "switch the data the pipeline analyses: own (data/own/) or simulated (params data.source)",
    ),
    "draft-codebook": (
        "jianfu.tools.draft_codebook",
        "draft a codebook (YAML) from questionnaire exports (问卷星, 腾讯问卷, SPSS, CSV)",
    ),
    "check-codebook": (
        "jianfu.tools.check_codebook",
        "validate a questionnaire codebook (YAML) and list every problem",
    ),
    "spec-curve": (
        "jianfu.tools.spec_curve",
        "list the specification grid; the DVC experiment of one specification (plan | exp)",
    ),
    "check-sharing": (
        "jianfu.tools.sharing",
        "check that no personal data or credential can reach the DVC remote (docs/sharing.md)",
    ),
    "where": ("jianfu.tools.where", "list the pipeline's outputs and whether they exist"),
}


def _parser(command: str | None):
    """The parser; only the module of the command being run is imported.

    A stage imports nothing of the other stages, so the source folders it lists as DVC deps are
    exactly what it runs (the pipeline test checks this).
    """
    import argparse
    import importlib
    from pathlib import Path

    from jianfu import __version__

    parser = argparse.ArgumentParser(
        prog="jianfu",
        description="jianfu (减负): reproducible pipeline on burden reduction for grassroots "
        "cadres. Run the whole pipeline with `dvc repro`; each stage below is one DVC stage.",
    )
    parser.add_argument("--version", action="version", version=f"jianfu {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="pipeline stages (in order), then tools"
    )
    selected = None
    for name, (module_name, help_text) in {**STAGES, **TOOLS}.items():
        if name != command:
            sub.add_parser(name, help=help_text)
            continue
        selected = importlib.import_module(module_name)
        p = sub.add_parser(
            name,
            help=help_text,
            description=selected.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name in STAGES:
            p.add_argument(
                "--params",
                type=Path,
                default=Path("params.yaml"),
                help="parameters file (default: params.yaml)",
            )
        selected.add_arguments(p)
    return parser, selected


def _log_dependencies(stage: str, params) -> None:
    """Record the params keys and jianfu source files a stage used (for the test suite).

    Set JIANFU_DEPENDENCY_LOG to a file path; the pipeline test compares the record with the
    params and source folders the stage declares in dvc.yaml.
    """
    log = os.environ.get("JIANFU_DEPENDENCY_LOG")
    if not log:
        return
    import json
    from pathlib import Path

    package_root = Path(__file__).resolve().parent.parent
    sources = sorted(
        Path(m.__file__).resolve().relative_to(package_root.parent).as_posix()
        for name, m in list(sys.modules.items())
        if name.startswith("jianfu") and getattr(m, "__file__", None)
    )
    record = {"stage": stage, "params": sorted(params.accessed), "sources": sources}
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


#: Python's string hashing is salted per process unless PYTHONHASHSEED is set; libraries that
#: iterate over sets (semopy's variable order, for one) then differ in the last bit from run to
#: run. Stages run with a fixed seed so that their outputs are byte-identical.
HASH_SEED = "0"


def _fixed_hash_seed(argv: list[str]) -> None:
    """Re-run this command with PYTHONHASHSEED fixed, if it is not already."""
    if os.environ.get("PYTHONHASHSEED") == HASH_SEED:
        return
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "jianfu", *argv], env)


def main(argv: list[str] | None = None) -> int:
    as_program = argv is None  # called in-process (tests), a stage keeps the caller's process
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    if as_program and command in STAGES:
        _fixed_hash_seed(argv)
    import time

    from jianfu.core.errors import JianfuError

    parser, module = _parser(command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    start = time.perf_counter()
    try:
        if args.command in STAGES:
            from jianfu.core.params import load_params

            params = load_params(args.params)
            module.run(args, params)
            _log_dependencies(args.command, params)
            print(
                f"jianfu {args.command}: done in {time.perf_counter() - start:.1f} s",
                file=sys.stderr,
            )
        else:
            module.run(args)
    except JianfuError as exc:
        print(f"jianfu {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
