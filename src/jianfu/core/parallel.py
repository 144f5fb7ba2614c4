"""Run independent tasks in this process, on a local process pool, or on a Dask cluster.

One backend for every grid of independent computations (the power study's replications, the
specification curve's specifications):

``"local"``
    `concurrent.futures.ProcessPoolExecutor` with ``workers`` processes started by
    *forkserver* (never a fork of a threaded parent; each worker forks from a server that
    imported the ``preload`` modules once, so a worker does not pay the imports again).
    ``workers = 1`` runs the tasks in this process, in order, without a pool.
``"dask"``
    `distributed.Client` on a scheduler address (or a client passed in, e.g. on a
    `distributed.LocalCluster`): a large grid goes to a cluster unchanged.

The results come back in task order, whatever order the tasks finish in, so a deterministic
task function gives byte-identical output on every backend and number of workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any

from jianfu.core.errors import JianfuError

BACKENDS: tuple[str, ...] = ("local", "dask")


def pool_context(preload: Iterable[str] = ()) -> multiprocessing.context.BaseContext:
    """forkserver (workers fork from a preloaded server), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(list(preload))
    return ctx


def process_pool(workers: int, preload: Iterable[str] = ()) -> ProcessPoolExecutor:
    """A local pool of ``workers`` processes (forkserver, ``preload`` imported once)."""
    return ProcessPoolExecutor(max_workers=max(1, int(workers)), mp_context=pool_context(preload))


def check_backend(backend: str, where: str) -> None:
    if backend not in BACKENDS:
        raise JianfuError(f"{where}: backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    *,
    backend: str = "local",
    workers: int = 1,
    scheduler: str | None = None,
    client=None,
    executor: Executor | None = None,
    preload: Iterable[str] = (),
    on_done: Callable[[int, Any], None] | None = None,
    where: str = "jianfu",
) -> list[Any]:
    """``[fn(*task) for task in tasks]``, computed on the chosen backend; results in task order.

    Parameters
    ----------
    fn : a module-level function (picklable by name).
    tasks : the argument tuples, one per call.
    backend : ``"local"`` or ``"dask"``.
    workers : local processes (1 = in this process).
    scheduler, client : Dask's scheduler address, or a connected client (``backend="dask"``).
    executor : an existing executor to use instead of a new local pool (kept warm by a caller).
    preload : modules the forkserver imports once for every local worker.
    on_done : called with (task index, result) as each task finishes (progress, checkpoints).
    where : the params section named in error messages (e.g. ``robustness``).
    """
    check_backend(backend, where)
    results: list[Any] = [None] * len(tasks)

    def done(i: int, value: Any) -> None:
        results[i] = value
        if on_done is not None:
            on_done(i, value)

    if not tasks:
        return results
    if backend == "dask":
        _run_dask(fn, tasks, scheduler, client, done, where)
        return results
    if executor is None and int(workers) <= 1:
        for i, task in enumerate(tasks):
            done(i, fn(*task))
        return results
    own = executor is None
    pool = executor or process_pool(min(int(workers), len(tasks)), preload)
    try:
        futures = {pool.submit(fn, *task): i for i, task in enumerate(tasks)}
        try:
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def _run_dask(fn, tasks, scheduler, client, done, where) -> None:
    from distributed import Client
    from distributed import as_completed as dask_completed

    own = client is None
    if own:
        if not scheduler:
            raise JianfuError(f"{where}: backend 'dask' needs {where}.dask.scheduler (an address)")
        client = Client(scheduler)
    try:
        futures = [client.submit(fn, *task, pure=False) for task in tasks]
        index = {fut.key: i for i, fut in enumerate(futures)}
        try:
            for fut in dask_completed(futures):
                done(index[fut.key], fut.result())
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()
