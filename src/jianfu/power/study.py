"""Monte Carlo power study: designs × effect sizes × replications, on a process pool or Dask.

Grid
    Every (design d, effect level e, replication r) is one task unit: `run_replication` draws
    both data sets and runs the three estimators. Effect level e takes the e-th value of each
    of ``effects.indirect``, ``effects.interaction`` and ``effects.att`` (the lists have one
    length), so one replication yields one row per estimand.
Seeds
    Replication (d, e, r) uses ``SeedSequence(seed, spawn_key=(d, e, r))``: its result does not
    depend on which worker runs it, in which order, or on the backend. Each task runs with one
    BLAS thread (`threadpoolctl`), so the numbers are identical to the last bit everywhere.
Backends
    ``"local"``: `concurrent.futures.ProcessPoolExecutor` with ``workers`` processes (1 = in
    this process, no pool); ``"dask"``: a `distributed.Client` on the scheduler address, or a
    client passed in (e.g. on a `distributed.LocalCluster`). Tasks are chunks of replications.
Resume
    Each finished chunk is appended (and flushed to disk) to a JSON-lines checkpoint named by
    a fingerprint of everything that changes results (seed, designs, effects, model settings),
    not by the number of replications, the backend or the workers: a rerun, after an
    interruption or with more replications, runs only the missing (d, e, r).
Summary
    Per estimand × design × effect level (`summarise`): power, mean estimate, bias, empirical
    SD, mean SE, RMSE and CI coverage, with Monte Carlo SEs (Morris, White & Crowther 2019,
    *Statistics in Medicine* 38: 2074–2102, table 6).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from jianfu.core import parallel
from jianfu.core.errors import JianfuError
from jianfu.power.simulate import (
    ESTIMANDS,
    Design,
    Effects,
    ModelSettings,
    run_replication,
)

#: Columns of the per-replication results, in order.
RESULT_COLUMNS: list[str] = [
    "design",
    "effect",
    "rep",
    "estimand",
    "truth",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "p",
    "reject",
    "covered",
    "error",
]
BACKENDS: tuple[str, ...] = ("local", "dask")
_KEY = ["design", "effect", "rep", "estimand"]


@dataclass(frozen=True)
class Study:
    """What a power study computes (not how: backend and workers are `run_study` arguments)."""

    seed: int
    designs: tuple[Design, ...]
    effects: tuple[Effects, ...]
    replications: int
    model: ModelSettings = field(default_factory=ModelSettings)

    def __post_init__(self) -> None:
        if not self.designs:
            raise ValueError("a study needs at least one design")
        if not self.effects:
            raise ValueError("a study needs at least one effect level")
        if isinstance(self.replications, bool) or int(self.replications) < 1:
            raise ValueError(f"replications must be >= 1, got {self.replications!r}")

    def keys(self) -> list[tuple[int, int, int]]:
        """All (design, effect, rep) keys, in canonical order."""
        return [
            (d, e, r)
            for d in range(len(self.designs))
            for e in range(len(self.effects))
            for r in range(self.replications)
        ]

    def fingerprint(self) -> str:
        """Hash of everything that changes a replication's result (not `replications`)."""
        blob = json.dumps(
            {
                "seed": int(self.seed),
                "designs": [asdict(d) for d in self.designs],
                "effects": [asdict(e) for e in self.effects],
                "model": self.model.as_dict(),
                "version": 1,
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def effect_grid(effects: Mapping[str, Sequence[float]]) -> tuple[Effects, ...]:
    """Effect levels from ``{"indirect": [...], "interaction": [...], "att": [...]}``."""
    missing = [k for k in ESTIMANDS if k not in effects]
    if missing:
        raise JianfuError(f"power.effects: missing {missing} (one list per estimand)")
    lengths = {k: len(effects[k]) for k in ESTIMANDS}
    if len(set(lengths.values())) != 1 or not next(iter(lengths.values())):
        raise JianfuError(f"power.effects: the lists must be non-empty and equally long: {lengths}")
    return tuple(
        Effects(*(float(effects[k][i]) for k in ESTIMANDS)) for i in range(lengths["indirect"])
    )


# --------------------------------------------------------------------------- tasks


def _run_chunk(
    run_seed: int,
    keys: Sequence[tuple[int, int, int]],
    designs: Sequence[Design],
    effects: Sequence[Effects],
    model: ModelSettings,
) -> list[dict]:
    """Run replications `keys` with one BLAS thread (the unit of work of every backend)."""
    rows: list[dict] = []
    with threadpool_limits(limits=1):
        for d, e, r in keys:
            rows.extend(run_replication(run_seed, (d, e, r), designs[d], effects[e], model))
    return rows


def _chunks(keys: list[tuple[int, int, int]], size: int) -> list[list[tuple[int, int, int]]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


# --------------------------------------------------------------------------- checkpoint


class Checkpoint:
    """Append-only JSON-lines file of finished replication rows (one study fingerprint)."""

    def __init__(self, folder: str | Path, fingerprint: str):
        self.folder = Path(folder)
        self.path = self.folder / f"replications-{fingerprint}.jsonl"

    def load(self) -> list[dict]:
        """Rows of complete replications (a torn last line or a partial replication is ignored)."""
        if not self.path.exists():
            return []
        rows = []
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    rows.extend(json.loads(line))
                except json.JSONDecodeError:
                    break  # interrupted while writing: later lines cannot exist
        by_key: dict[tuple, list[dict]] = {}
        for row in rows:
            by_key.setdefault((row["design"], row["effect"], row["rep"]), []).append(row)
        return [
            row
            for group in by_key.values()
            if {r["estimand"] for r in group} == set(ESTIMANDS)
            for row in group
        ]

    def compact(self, rows: list[dict]) -> None:
        """Rewrite the file with ``rows`` in canonical order, one line per replication.

        Chunks are appended in the order they finish, which differs between runs and backends;
        the rewritten file depends only on which replications are done, so the stage's output
        is byte-identical on every rerun. Written to a temporary file and renamed: an
        interruption leaves the old file or the new one, never a torn one.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        by_key: dict[tuple, list[dict]] = {}
        for row in rows:
            by_key.setdefault((row["design"], row["effect"], row["rep"]), []).append(row)
        order = {name: i for i, name in enumerate(ESTIMANDS)}
        tmp = self.path.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for key in sorted(by_key):
                group = sorted(by_key[key], key=lambda r: order[r["estimand"]])
                fh.write(json.dumps(group, allow_nan=True, separators=(",", ":")) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def append(self, rows: list[dict]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(rows, allow_nan=True, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


# --------------------------------------------------------------------------- progress


class Progress:
    """``[k/N] replications … ETA`` lines on stderr, at most every `every` seconds."""

    def __init__(self, total: int, done: int = 0, every: float = 2.0, stream=None, label=""):
        self.total, self.done, self.start_done = total, done, done
        self.every = every
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.t0 = time.perf_counter()
        self.last = -math.inf

    def update(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        ran = self.done - self.start_done
        elapsed = now - self.t0
        rate = ran / elapsed if elapsed > 0 else float("nan")
        left = (self.total - self.done) / rate if rate and rate > 0 else float("nan")
        eta = "?" if not math.isfinite(left) else f"{left:.0f} s"
        print(
            f"jianfu power: {self.label}[{self.done}/{self.total}] replications, "
            f"{rate:.2f}/s, ETA {eta}",
            file=self.stream,
            flush=True,
        )


# --------------------------------------------------------------------------- backends


#: modules each local worker's forkserver imports once
PRELOAD = ("jianfu.power.study",)


def _run_local(
    study: Study,
    chunks,
    workers: int,
    on_done: Callable[[list[dict]], None],
    executor: Executor | None = None,
):
    args = (study.seed, study.designs, study.effects, study.model)
    if executor is None and workers <= 1:
        for chunk in chunks:
            on_done(_run_chunk(args[0], chunk, *args[1:]))
        return
    own = executor is None
    pool = executor or parallel.process_pool(workers, PRELOAD)
    try:
        futures = [pool.submit(_run_chunk, args[0], chunk, *args[1:]) for chunk in chunks]
        try:
            for fut in as_completed(futures):
                on_done(fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """The local backend's pool (forkserver); pass it as ``executor=`` to reuse it across runs."""
    return parallel.process_pool(workers, PRELOAD)


def _run_dask(study: Study, chunks, client, address, on_done):
    from distributed import Client
    from distributed import as_completed as dask_completed

    own = client is None
    if own:
        if not address:
            raise JianfuError("power: backend 'dask' needs power.dask.scheduler (an address)")
        client = Client(address)
    try:
        futures = [
            client.submit(
                _run_chunk,
                study.seed,
                chunk,
                study.designs,
                study.effects,
                study.model,
                pure=False,
            )
            for chunk in chunks
        ]
        try:
            for fut in dask_completed(futures):
                on_done(fut.result())
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()


# --------------------------------------------------------------------------- running


def run_study(
    study: Study,
    *,
    backend: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    client=None,
    executor: Executor | None = None,
    checkpoint: str | Path | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    max_replications: int | None = None,
) -> pd.DataFrame:
    """Run (or resume) `study`; return the per-replication rows, sorted by key.

    Parameters
    ----------
    backend : "local" (process pool of `workers`; 1 = in process) or "dask" (`client`, or a
        new `distributed.Client(scheduler)`).
    executor : for "local", an existing `concurrent.futures.Executor` to use instead of a new
        pool (e.g. `process_pool`, kept warm across runs).
    checkpoint : folder of the JSON-lines checkpoint; finished replications found there are not
        run again, and each finished chunk is appended to it.
    chunk_size : replications per task (default: about 4 tasks per worker, at most 25).
    max_replications : run at most this many of the missing replications (in canonical order)
        and return what is complete so far -- for tests of resuming and for budgeted runs.

    Returns
    -------
    DataFrame with `RESULT_COLUMNS`, one row per (design, effect, rep, estimand).
    """
    if backend not in BACKENDS:
        raise JianfuError(f"power.backend must be one of {BACKENDS}, got {backend!r}")
    store = Checkpoint(checkpoint, study.fingerprint()) if checkpoint is not None else None
    done_rows = store.load() if store is not None else []
    wanted = study.keys()
    wanted_set = set(wanted)
    done_rows = [r for r in done_rows if (r["design"], r["effect"], r["rep"]) in wanted_set]
    done = {(r["design"], r["effect"], r["rep"]) for r in done_rows}
    todo = [k for k in wanted if k not in done]
    if max_replications is not None:
        todo = todo[: max(0, int(max_replications))]
    n_workers = max(1, int(workers))
    if chunk_size is None:
        chunk_size = max(1, min(25, math.ceil(len(todo) / (4 * n_workers)) if todo else 1))
    chunks = _chunks(todo, int(chunk_size))
    meter = Progress(len(done) + len(todo), len(done), label=f"{backend} ") if progress else None
    if progress and done:
        print(
            f"jianfu power: resuming, {len(done)} of {len(wanted)} replications already done",
            file=sys.stderr,
            flush=True,
        )
    new_rows: list[dict] = []

    def on_done(rows: list[dict]) -> None:
        if store is not None:
            store.append(rows)
        new_rows.extend(rows)
        if meter is not None:
            meter.update(len(rows) // len(ESTIMANDS))

    if chunks:
        if backend == "local":
            _run_local(study, chunks, n_workers, on_done, executor)
        else:
            _run_dask(study, chunks, client, scheduler, on_done)
    if store is not None and new_rows:
        store.compact([*store.load()])
    return results_frame([*done_rows, *new_rows])


def results_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Rows as a typed frame sorted by (design, effect, rep, estimand order)."""
    frame = pd.DataFrame(list(rows), columns=RESULT_COLUMNS)
    frame = frame.astype(
        {
            "design": "int64",
            "effect": "int64",
            "rep": "int64",
            "truth": "float64",
            "estimate": "float64",
            "se": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "p": "float64",
            "reject": "bool",
            "covered": "bool",
        }
    )
    frame["error"] = frame["error"].fillna("").astype(str)
    order = {name: i for i, name in enumerate(ESTIMANDS)}
    frame["_o"] = frame["estimand"].map(order)
    frame = frame.sort_values(["design", "effect", "rep", "_o"], kind="mergesort")
    frame = frame.drop(columns="_o").reset_index(drop=True)
    frame["estimand"] = frame["estimand"].astype(str)
    return frame


# --------------------------------------------------------------------------- summary

SUMMARY_COLUMNS: list[str] = [
    "estimand",
    "design",
    "effect",
    "truth",
    "n_reps",
    "n_failed",
    "power",
    "power_mcse",
    "mean_estimate",
    "bias",
    "bias_mcse",
    "emp_sd",
    "mean_se",
    "rmse",
    "rmse_mcse",
    "coverage",
    "coverage_mcse",
]


def _summary_row(g: pd.DataFrame) -> dict:
    ok = g[g["error"] == ""]
    n = len(ok)
    truth = float(g["truth"].iloc[0])
    nan = float("nan")
    if n == 0:
        return {"truth": truth, "n_reps": 0, "n_failed": len(g)} | {
            c: nan for c in SUMMARY_COLUMNS[6:]
        }
    est = ok["estimate"].to_numpy(float)
    err = est - truth
    power = float(ok["reject"].mean())
    cover = float(ok["covered"].mean())
    sd = float(np.std(est, ddof=1)) if n > 1 else nan
    mse = float(np.mean(err**2))
    rmse = math.sqrt(mse)
    mse_mcse = float(np.sqrt(np.sum((err**2 - mse) ** 2) / (n * (n - 1)))) if n > 1 else nan
    return {
        "truth": truth,
        "n_reps": n,
        "n_failed": len(g) - n,
        "power": power,
        "power_mcse": math.sqrt(power * (1 - power) / n),
        "mean_estimate": float(np.mean(est)),
        "bias": float(np.mean(err)),
        "bias_mcse": sd / math.sqrt(n) if n > 1 else nan,
        "emp_sd": sd,
        "mean_se": float(ok["se"].mean()),
        "rmse": rmse,
        "rmse_mcse": mse_mcse / (2 * rmse) if rmse > 0 else nan,
        "coverage": cover,
        "coverage_mcse": math.sqrt(cover * (1 - cover) / n),
    }


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per estimand × design × effect level: power, bias, RMSE, coverage and their MC SEs.

    Power is the share of replications rejecting at alpha (for the indirect effect: the
    bootstrap CI excludes 0); MC SEs are ``sqrt(p(1-p)/R)`` for power and coverage,
    ``sd/sqrt(R)`` for bias and, for RMSE, the delta method on the MC SE of the MSE. Failed
    fits are left out and counted in ``n_failed``.
    """
    rows = []
    order = {name: i for i, name in enumerate(ESTIMANDS)}
    frame = results.copy()
    frame["_o"] = frame["estimand"].map(order)
    frame = frame.sort_values(["_o", "design", "effect", "rep"], kind="mergesort")
    for (_, estimand, d, e), g in frame.groupby(["_o", "estimand", "design", "effect"], sort=True):
        rows.append({"estimand": estimand, "design": int(d), "effect": int(e), **_summary_row(g)})
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    return out.astype(
        {"design": "int64", "effect": "int64", "n_reps": "int64", "n_failed": "int64"}
    )


def describe(summary: pd.DataFrame, study: Study) -> pd.DataFrame:
    """`summarise`'s frame with each design's sizes and label alongside (for tables, figures)."""
    rows = []
    for d, des in enumerate(study.designs):
        rows.append(
            {
                "design": d,
                "districts": des.districts,
                "townships_per_district": des.townships_per_district,
                "cadres_per_township": des.cadres_per_township,
                "months": des.months,
                "n_townships": des.townships,
                "n_cadres": des.cadres,
                "design_label": des.label("en"),
                "design_label_zh": des.label("zh"),
            }
        )
    info = pd.DataFrame(rows)
    out = summary.merge(info, on="design", how="left", validate="many_to_one")
    return out


GRANT_COLUMNS: list[str] = [
    "estimand",
    "effect",
    "truth",
    "design",
    "districts",
    "townships_per_district",
    "cadres_per_township",
    "months",
    "n_cadres",
    "n_townships",
    "n_reps",
    "power",
    "power_mcse",
]


def grant_table(described: pd.DataFrame, target: float = 0.80) -> pd.DataFrame:
    """Per estimand and effect size: the smallest design whose power reaches `target`.

    "Smallest" is fewest cadres surveyed for the survey estimands and fewest township-months for
    the ATT (ties: the design listed first). A row with an empty design means none reached it.
    Effect sizes of 0 are left out (their "power" is the type I error rate, in the summary).
    """
    rows = []
    frame = described[described["truth"] != 0].copy()
    frame["size"] = np.where(
        frame["estimand"] == "att",
        frame["n_townships"] * frame["months"],
        frame["n_cadres"],
    )
    order = {name: i for i, name in enumerate(ESTIMANDS)}
    frame["_o"] = frame["estimand"].map(order)
    for (_, estimand, effect), g in frame.groupby(["_o", "estimand", "effect"], sort=True):
        ok = g[g["power"] >= target].sort_values(["size", "design"], kind="mergesort")
        base = {"estimand": estimand, "effect": int(effect), "truth": float(g["truth"].iloc[0])}
        if len(ok):
            best = ok.iloc[0]
            rows.append(
                base
                | {
                    "design": best["design_label"],
                    "districts": int(best["districts"]),
                    "townships_per_district": int(best["townships_per_district"]),
                    "cadres_per_township": int(best["cadres_per_township"]),
                    "months": int(best["months"]),
                    "n_cadres": int(best["n_cadres"]),
                    "n_townships": int(best["n_townships"]),
                    "power": float(best["power"]),
                    "power_mcse": float(best["power_mcse"]),
                    "n_reps": int(best["n_reps"]),
                }
            )
        else:
            top = g.sort_values(["power", "design"], ascending=[False, True]).iloc[0]
            rows.append(
                base
                | {
                    "design": "",
                    "districts": pd.NA,
                    "townships_per_district": pd.NA,
                    "cadres_per_township": pd.NA,
                    "months": pd.NA,
                    "n_cadres": pd.NA,
                    "n_townships": pd.NA,
                    "power": float(top["power"]),
                    "power_mcse": float(top["power_mcse"]),
                    "n_reps": int(top["n_reps"]),
                }
            )
    out = pd.DataFrame(rows, columns=GRANT_COLUMNS)
    for col in GRANT_COLUMNS[4:11]:
        out[col] = out[col].astype("Int64")
    return out


def grant_markdown(table: pd.DataFrame, *, target: float = 0.80, alpha: float = 0.05) -> str:
    """The grant table as Markdown, with a sentence on how to read it."""
    from jianfu.power.simulate import ESTIMAND_LABELS

    lines = [
        f"Smallest simulated design reaching {target:.0%} power (two-sided alpha = {alpha}); "
        "power ± Monte Carlo SE over the replications.",
        "",
        "| estimand | true effect (SD) | design (districts × townships × cadres, months) "
        "| townships | cadres | power | replications |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in table.itertuples(index=False):
        label = ESTIMAND_LABELS[r.estimand]["en"]
        if r.design:
            design, towns, cadres = r.design, f"{int(r.n_townships):,}", f"{int(r.n_cadres):,}"
            power = f"{r.power:.2f} ± {r.power_mcse:.2f}"
        else:
            design, towns, cadres = f"none of the designs (best power {r.power:.2f})", "–", "–"
            power = "–"
        lines.append(
            f"| {label} | {r.truth:g} | {design} | {towns} | {cadres} | {power} | {r.n_reps} |"
        )
    return "\n".join(lines) + "\n"


def study_from_params(p: Mapping) -> Study:
    """A `Study` from the ``power`` section of params.yaml (a mapping)."""
    model = p["model"]
    designs = tuple(
        Design(
            int(d["districts"]),
            int(d["townships_per_district"]),
            int(d["cadres_per_township"]),
            int(d["months"]),
        )
        for d in p["designs"]
    )
    settings = ModelSettings(
        icc_township=float(model["icc_township"]),
        icc_district=float(model["icc_district"]),
        b_path=float(model["b_path"]),
        direct=float(model["direct"]),
        w_effect=float(model["w_effect"]),
        cohorts=int(model["cohorts"]),
        unit_sd=float(model["unit_sd"]),
        month_sd=float(model["month_sd"]),
        district_month_sd=float(model["district_month_sd"]),
        noise_sd=float(model["noise_sd"]),
        n_boot=int(p["n_boot"]),
        cluster_bootstrap=bool(p["cluster_bootstrap"]),
        did_method=str(p["did_method"]),
        alpha=float(p["alpha"]),
    )
    effects = p["effects"]
    grid = effect_grid({k: list(effects[k]) for k in ESTIMANDS})
    return Study(
        seed=int(p["seed"]),
        designs=designs,
        effects=grid,
        replications=int(p["replications"]),
        model=settings,
    )
