"""The Python driver around the kernel: chunks of blocks, progress, early stop, constant memory.

The kernel runs a chunk of blocks in parallel; the driver reduces the chunk's rows in block
order into running totals and drops them, so memory does not grow with the number of salvos.
With a precision target the run stops after the first block at which the leak-rate interval is
narrow enough; since that is decided block by block, the stopping point, like every other
result, does not depend on the thread count or chunk size.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numba
import numpy as np

from forceprot.compile import CompiledScenario
from forceprot.kernel import tally as T
from forceprot.kernel.blocks import run_blocks
from forceprot.kernel.bundles import BLOCK_SALVOS, Story, Tallies
from forceprot.results import Results
from forceprot.settings import RunSettings
from forceprot.stats import ratio

__all__ = ["simulate", "BLOCK_SALVOS"]

#: Memory allowed for one chunk's per-block tally rows [bytes].
CHUNK_BYTES = 256 * 2**20
#: Blocks per chunk at most (bounds progress-bar latency).
MAX_CHUNK_BLOCKS = 64


def _leak_half_width(s: np.ndarray) -> float:
    est = ratio(s[T.S_LEAKED], s[T.S_THREAT], s[T.S_LEAKED2], s[T.S_THREAT2],
                s[T.S_THREAT_LEAKED], s[T.S_SALVOS])
    return est.half_width if math.isfinite(est.value) else math.inf


def simulate(
    compiled: CompiledScenario,
    settings: RunSettings,
    *,
    chunk_blocks: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_block_scalars: bool = False,
) -> Results:
    """Sample salvos and return the reduced results.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario's arrays.
    settings : RunSettings
        Salvos, seed, precision target (checked after every block), story sample and threads,
        resolved by the caller (:meth:`RunSettings.from_scenario`).
    chunk_blocks : int, optional
        Blocks per kernel call (default: from a memory budget). Results do not depend on it.
    progress : callable, optional
        Called as ``progress(salvos_done, salvos_total)`` after each chunk.
    keep_block_scalars : bool
        Also keep every block's scalar tallies, in ``results.extra["block_scalars"]`` (float64,
        shape (n_blocks, N_SCALARS)): batch means for paired comparisons. Small: 160 bytes a
        block of 512 salvos.
    """
    total = int(settings.salvos)
    root_seed = int(settings.seed)
    precision = settings.precision
    threads = settings.threads
    n_threads = numba.config.NUMBA_NUM_THREADS if threads is None else int(threads)
    n_threads = max(1, min(n_threads, numba.config.NUMBA_NUM_THREADS))

    n_units = compiled.n_units
    n_assets = compiled.inputs.assets.xy_m.shape[0]
    tubes = compiled.tubes
    story_salvos = min(settings.story_salvos, total)
    n_blocks_total = (total + BLOCK_SALVOS - 1) // BLOCK_SALVOS
    shapes = T.row_shapes(n_units, compiled.base_grid.n_cells, compiled.launch_grid.n_cells,
                          n_assets, int(compiled.inputs.people.n_polys))

    per_block = 8 * sum(int(np.prod(shape)) for shape in shapes)
    if chunk_blocks is None:
        chunk_blocks = max(n_threads, min(MAX_CHUNK_BLOCKS, CHUNK_BYTES // per_block))
    chunk_blocks = max(1, int(chunk_blocks))

    acc = Tallies(*(np.zeros(shape) for shape in shapes))
    story = np.full((story_salvos * tubes, T.N_STORY), np.nan)
    story_u = np.full((story_salvos * tubes, n_units, T.N_STORY_UNIT), np.nan)

    block_rows: list[np.ndarray] = []
    inputs = compiled.inputs
    story_bundle = Story(story_salvos, story, story_u)
    # Compile (or load from the numba cache) outside the timed region: one block of no salvos.
    t_compile = time.perf_counter()
    run_blocks(0, 1, 0, root_seed, inputs, Tallies(*(np.zeros((1, *shape)) for shape in shapes)),
               story_bundle)
    compile_s = time.perf_counter() - t_compile
    start = time.perf_counter()
    done_blocks = 0
    salvos_done = 0
    stopped = False
    # One set of row buffers, zeroed per chunk: fresh arrays per chunk fragment the heap.
    rows_cap = min(chunk_blocks, n_blocks_total)
    buffers = Tallies(*(np.zeros((rows_cap, *shape)) for shape in shapes))
    # With a precision target, start with one block per thread and double: the stop is decided
    # block by block anyway, and small first chunks avoid sampling far past it.
    step = min(n_threads, chunk_blocks) if precision is not None else chunk_blocks
    while done_blocks < n_blocks_total and not stopped:
        nb = min(step, n_blocks_total - done_blocks)
        step = min(2 * step, chunk_blocks)
        rows = Tallies(*(b[:nb] for b in buffers))
        for b in buffers:
            b[:nb] = 0.0
        run_blocks(done_blocks, nb, total, root_seed, inputs, rows, story_bundle,
                   n_threads=n_threads)
        for j in range(nb):  # reduce in block order: float sums are then thread-independent
            if keep_block_scalars:
                block_rows.append(rows.scalars[j].copy())
            for total_arr, row in zip(acc, rows):
                total_arr += row[j]
            done_blocks += 1
            salvos_done = min(done_blocks * BLOCK_SALVOS, total)
            if precision is not None and acc.scalars[T.S_THREAT] > 0 \
                    and _leak_half_width(acc.scalars) <= precision:
                stopped = done_blocks < n_blocks_total
                break
        if progress is not None:
            progress(salvos_done, total)
    elapsed = time.perf_counter() - start

    kept = min(story_salvos, salvos_done) * tubes
    return Results(
        compiled=compiled, seed=root_seed, salvos_requested=total,
        salvos=int(acc.scalars[T.S_SALVOS]), scalars=acc.scalars, units=acc.units, grid=acc.grid,
        launch=acc.launch, assets=acc.assets, warn_hist=acc.warn_hist, hours=acc.hours,
        exposure=acc.exposure, story=story[:kept], story_units=story_u[:kept], threads=n_threads,
        elapsed_s=elapsed, precision_target=precision, stopped_early=stopped,
        extra={"compile_or_cache_load_s": compile_s,
               "aim_points_redrawn": int(acc.scalars[T.S_AIM_REDRAWN]),
               **({"block_scalars": np.array(block_rows).reshape(-1, T.N_SCALARS)}
                  if keep_block_scalars else {})},
    )
