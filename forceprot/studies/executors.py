"""Independent Monte Carlo tasks, in this process or on a dask.distributed cluster.

Placement optimisation evaluates thousands of layouts and a sweep runs one scenario variant per
grid point; each is an independent task. An :class:`Executor` maps a module-level function over a
list of picklable jobs and returns the results in order:

- :class:`InProcessExecutor` runs them one after the other here (the kernel itself uses every core);
- :class:`DaskExecutor` submits them to a dask.distributed cluster: an existing one
  (``connect(scheduler="tcp://host:8786")``) or a :class:`~distributed.LocalCluster` started for the
  run (``connect(workers=4)``). Tasks then run the kernel on one numba thread each; the cluster
  provides the parallelism.

Jobs carry a scenario as a :class:`ScenarioSpec`: the TOML data as read, the file's path (layers
are resolved against it) and nested overrides, never numba objects or geometry. Every task seeds
its Monte Carlo stream from the scenario (or an explicit seed), and the kernel's results depend on
neither the thread count nor the process, so a task returns the same numbers wherever it runs.

A worker keeps what it compiled for a spec (:func:`worker_cached`), so a thousand layout tasks
compile the site once per worker, not once per task.

Workers read the scenario's layers (boundary, exclusions, launch areas) themselves, from the
absolute path the spec carries: on a remote cluster, the scenario's folder must be visible to the
workers at the same path (a shared file system), as it is on a local cluster.
"""

from __future__ import annotations

import functools
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from forceprot.errors import ForceprotError
from forceprot.memo import LruMemo, content_key
from forceprot.scenario import Scenario, deep_merge, load_scenario, parse_scenario

__all__ = [
    "DaskExecutor",
    "Executor",
    "InProcessExecutor",
    "ScenarioSpec",
    "connect",
    "worker_cached",
    "CONNECT_TIMEOUT_S",
    "WORKERS_TIMEOUT_S",
]

#: How long to wait for a dask scheduler to answer before giving up [s].
CONNECT_TIMEOUT_S = 5.0
#: How long to wait for the first worker to join a scheduler that has none [s].
WORKERS_TIMEOUT_S = 60.0
#: Compiled scenarios a worker keeps (least recently used dropped first) [-].
WORKER_CACHE_ENTRIES = 8

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------
# The scenario as shipped to workers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario in picklable form: TOML data, source file, overrides.

    Attributes
    ----------
    data : dict
        The scenario's TOML data as read (plain dicts, lists and scalars).
    path : str or None
        Absolute path of the scenario file; relative layer paths are resolved against its folder.
    label : str
        How errors name the scenario (the path as the user gave it).
    changes : dict
        Nested overrides in the form :meth:`forceprot.scenario.Scenario.updated` takes
        (``{"threat": {"tubes": 12}}``; a list is replaced whole).
    """

    data: dict
    path: str | None
    label: str
    changes: dict = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path) -> "ScenarioSpec":
        """Read a scenario file, validate it, and keep its TOML data.

        Raises
        ------
        ScenarioError
            As :func:`forceprot.scenario.load_scenario`.
        """
        scenario = load_scenario(path)  # every file and value error, with the file's name
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
        return cls(data=data, path=str(scenario.path), label=str(path))

    def with_changes(self, changes: dict) -> "ScenarioSpec":
        """This spec with ``changes`` merged over its own (later changes win)."""
        return ScenarioSpec(self.data, self.path, self.label, deep_merge(self.changes, changes))

    def scenario(self) -> Scenario:
        """The validated scenario, overrides applied.

        Raises
        ------
        ScenarioError
            An override gives an invalid value (the message names its field).
        """
        scenario = _PARSED.get(self._base_key, lambda: parse_scenario(
            self.data, source=self.label, path=Path(self.path) if self.path else None))
        return scenario.updated(self.changes, label=self.label) if self.changes else scenario

    @functools.cached_property
    def _base_key(self) -> str:
        """A digest of the data, path and label, overrides left out: the key of its parse."""
        return content_key(self.data, self.path, self.label)

    @property
    def key(self) -> str:
        """A digest of the data, path and overrides: equal specs have equal keys."""
        return content_key(self.data, self.path, self.changes)


_WORKER_MEMO = LruMemo(WORKER_CACHE_ENTRIES)
#: Parsed base scenarios by :attr:`ScenarioSpec._base_key`: a study's variants share one base,
#: whose parse (with the extremes of every uncertain parameter checked) costs about 50 ms on
#: Taji; each variant then only applies its changes (:meth:`Scenario.updated`). Parsed
#: scenarios are immutable.
_PARSED = LruMemo(WORKER_CACHE_ENTRIES)


def worker_cached(key: str, build: Callable[[], Any]) -> Any:
    """``build()`` once per process for ``key``; later calls return the same object.

    Used by tasks to compile a scenario once per worker. At most :data:`WORKER_CACHE_ENTRIES`
    entries are kept (:class:`forceprot.memo.LruMemo`). Building holds a lock, so two threads
    of one worker never build the same thing twice.
    """
    return _WORKER_MEMO.get(key, build)


# ---------------------------------------------------------------------------------------------
# Executors
# ---------------------------------------------------------------------------------------------


class Executor:
    """Maps a function over jobs and returns the results in job order.

    Attributes
    ----------
    description : str
        Where tasks run, for reports.
    n_workers : int
        Tasks that can run at once.
    task_threads : int or None
        Numba threads a task should use (None: all cores).
    """

    description: str = ""
    n_workers: int = 1
    task_threads: int | None = None

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], *,
            progress: Progress | None = None) -> list:
        raise NotImplementedError

    def close(self) -> None:
        """Release the cluster, if this executor started one."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Run every job here, one after the other; the kernel uses all cores inside each."""

    description = "in-process"
    n_workers = 1
    task_threads = None

    def map(self, fn, jobs, *, progress=None) -> list:
        out = []
        for i, job in enumerate(jobs):
            out.append(fn(job))
            if progress is not None:
                progress(i + 1, len(jobs))
        return out


class DaskExecutor(Executor):
    """Run jobs as tasks on a dask.distributed cluster; each task uses one numba thread.

    Parameters
    ----------
    client : distributed.Client
        A connected client.
    cluster : distributed.LocalCluster, optional
        A cluster this executor started and closes with itself.
    """

    task_threads = 1

    def __init__(self, client, cluster=None, *, description: str) -> None:
        self.client = client
        self.cluster = cluster
        self.description = description

    @property
    def n_workers(self) -> int:  # type: ignore[override]
        info = self.client.scheduler_info()
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        return max(1, threads)

    def map(self, fn, jobs, *, progress=None) -> list:
        from distributed import as_completed

        jobs = list(jobs)
        if not jobs:
            return []
        futures = self.client.map(fn, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(jobs)
        done = 0
        for future in as_completed(futures, loop=self.client.loop):
            out[index[future.key]] = future.result()  # re-raises a task's error here
            done += 1
            if progress is not None:
                progress(done, len(jobs))
        return out

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def connect(scheduler: str | None = None, workers: int | None = None, *,
            processes: bool = True, timeout_s: float = CONNECT_TIMEOUT_S,
            workers_timeout_s: float = WORKERS_TIMEOUT_S,
            on_wait: Callable[[str], None] | None = None) -> Executor:
    """An executor: in-process, a local dask cluster, or an existing dask scheduler.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:8786``).
    workers : int, optional
        Start a :class:`distributed.LocalCluster` of this many single-threaded workers.
    processes : bool
        Local workers are processes (default) or threads of this process. Process workers take a
        few seconds to start (each imports forceprot and loads the compiled kernels) but share
        nothing; thread workers start at once and need a thread-safe numba threading layer
        (``omp`` or ``tbb``).
    timeout_s : float
        Give up on a scheduler that does not complete the handshake within this long [s]:
        unreachable, silent, or not speaking dask's protocol.
    workers_timeout_s : float
        Give up when a scheduler has no worker and none joins within this long [s].
    on_wait : callable, optional
        Called with a one-line message (``"waiting for workers (60 s)"``) before waiting for
        workers, so the caller can tell the user why nothing happens.

    Returns
    -------
    Executor
        Use it as a context manager, or call ``close()``: a local cluster is shut down with it.

    Raises
    ------
    ForceprotError
        Both ``scheduler`` and ``workers`` given, ``workers`` < 1, dask.distributed not installed,
        a malformed address, no scheduler answering within ``timeout_s``, a peer that is not a
        dask scheduler, or no worker within ``workers_timeout_s``.
    """
    if scheduler is not None and workers is not None:
        raise ForceprotError("give --scheduler or --workers, not both", field="--workers",
                             value=workers)
    if scheduler is None and workers is None:
        return InProcessExecutor()
    if workers is not None and workers < 1:
        raise ForceprotError("must be at least 1", field="--workers", value=workers)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ForceprotError(
            "distributed runs need dask.distributed: pip install 'forceprot[dist]'",
            field="--scheduler" if scheduler is not None else "--workers",
            value=scheduler if scheduler is not None else workers) from None

    if scheduler is not None:
        return _connect_scheduler(scheduler, timeout_s=timeout_s,
                                  workers_timeout_s=workers_timeout_s, on_wait=on_wait)

    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=processes,
                           dashboard_address=":0", silence_logs=logging.CRITICAL)
    client = Client(cluster, set_as_default=False)
    kind = "process" if processes else "thread"
    return DaskExecutor(client, cluster,
                        description=f"local dask cluster, {workers} {kind} worker(s)")



def _probe_scheduler(address: str, timeout_s: float) -> Any:
    """Ask ``address`` who it is, within ``timeout_s`` in all (connect, handshake, reply).

    ``distributed.Client`` waits without bound for a peer that accepts and stays silent, and a
    peer sending other bytes makes it read a garbage frame length (a multi-EiB allocation); a
    bare comm under one overall timeout fails fast on both.
    """
    import asyncio

    from distributed.comm import connect as comm_connect

    async def ask():
        # connect() retries a refused port until its timeout, then raises OSError; the outer
        # bound only catches a handshake that never completes
        comm = await asyncio.wait_for(comm_connect(address, timeout=timeout_s), timeout_s + 1.0)
        try:
            await asyncio.wait_for(comm.write({"op": "identity"}), timeout_s)
            return await asyncio.wait_for(comm.read(), timeout_s)
        finally:
            comm.abort()

    return asyncio.run(ask())


def _connect_scheduler(address: str, *, timeout_s: float, workers_timeout_s: float,
                       on_wait: Callable[[str], None] | None) -> "DaskExecutor":
    """A :class:`DaskExecutor` on the scheduler at ``address``, after a bounded handshake."""
    from distributed import Client
    from distributed.comm import get_address_host_port

    def fail(message: str) -> ForceprotError:
        return ForceprotError(message, field="--scheduler", value=address)

    try:
        get_address_host_port(address)  # checks the scheme and port before any network
    except (ValueError, TypeError) as exc:
        raise fail(f"not a scheduler address ({exc}); e.g. tcp://host:8786") from None
    try:
        reply = _probe_scheduler(address, timeout_s)
    except TimeoutError:
        raise fail(f"no dask scheduler answered within {timeout_s:g} s (is it the scheduler's "
                   "port, not the dashboard's?)") from None
    except OSError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"cannot reach a dask scheduler: {reason}") from None
    except Exception as exc:  # noqa: BLE001 - any other failure means the peer speaks another protocol
        raise fail(f"the peer is not a dask scheduler ({type(exc).__name__})") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise fail("the peer answered, but is not a dask scheduler")

    try:
        client = Client(address, timeout=f"{timeout_s:g}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"cannot reach a dask scheduler: {reason}") from None
    if not reply.get("workers"):
        if on_wait is not None:
            on_wait(f"waiting for workers ({workers_timeout_s:g} s)")
        try:
            client.wait_for_workers(1, timeout=workers_timeout_s)
        except TimeoutError:
            client.close()
            raise fail(f"no worker joined the scheduler within {workers_timeout_s:g} s") from None
    return DaskExecutor(client, description=f"dask scheduler {address}")
