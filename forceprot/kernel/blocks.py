"""The one parallel loop: blocks of salvos, each seeded from ``(root_seed, block)``.

Block ``b`` seeds numba's generator from ``(root_seed, b)`` at its start and writes only its own
row of every tally array; the caller reduces rows in block order. Results therefore depend on
neither the thread count nor how blocks are grouped into chunks.

Blocks run on a pool of threads, each calling the compiled, GIL-free :func:`simulate_block`
(numba's generator state is per thread, and every block reseeds it). A ``prange`` would do the
same, but numba's parfor lowering (0.68) refuses namedtuple bundles as loop arguments, and
parfor compilation costs start-up time for nothing a thread pool does not give.
"""

from __future__ import annotations

import numpy as np
import threading
from concurrent.futures import ThreadPoolExecutor

from numba import njit

from forceprot.engage.params import KIND_CRAM, P_SAM_MISSILES
from forceprot.engage.state import Engagements, Flights, UnitState
from forceprot.jit import njit_inner
from forceprot.kernel.bundles import (
    BLOCK_SALVOS,
    MAX_AIM_REDRAWS,
    N_DRAW,
    N_UNIT_STATS,
    CasualtyScratch,
    N_CH,
    Scratch,
    Tallies,
)
from forceprot.kernel.record import tally_salvo, write_story
from forceprot.kernel.salvo import evaluate_salvo
from forceprot.kernel.sample import draw_salvo
from forceprot.kernel.tally import S_AIM_REDRAWN
from forceprot.spatial import block_seed

__all__ = ["make_scratch", "run_blocks", "run_salvos", "simulate_block"]


@njit(cache=True, nogil=True)
def make_scratch(inputs):
    """Per-block scratch (:data:`Scratch`) sized for the scenario's salvo and units."""
    tubes = inputs.salvo.tubes
    n_units = inputs.units.kind.shape[0]
    n_assets = inputs.assets.xy_m.shape[0]
    tau = inputs.family.tau
    shape = (tubes, n_units)
    flights = Flights(np.zeros((tubes, tau.shape[0], 3)), np.zeros(tubes), np.zeros(tubes), tau)
    eng = Engagements(np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_),
                      np.zeros(shape), np.zeros(shape),
                      np.zeros(shape), np.zeros(shape), np.zeros((tubes, n_units, 2)),
                      np.zeros(shape), np.zeros(shape, dtype=np.int64),
                      np.zeros(shape, dtype=np.int64), np.zeros(shape))
    max_launches = 1
    for u in range(n_units):
        if inputs.units.kind[u] != KIND_CRAM:
            max_launches = max(max_launches, int(inputs.units.par[u, P_SAM_MISSILES]))
    state = UnitState(np.zeros(n_units), np.zeros(n_units), np.zeros(n_units, dtype=np.int64),
                      np.zeros(n_units, dtype=np.int64), np.zeros((n_units, max_launches)),
                      np.zeros(n_units, dtype=np.int64), np.zeros(n_units, dtype=np.bool_),
                      np.zeros((n_units, N_UNIT_STATS), dtype=np.int64))
    return Scratch(np.zeros(N_DRAW), np.zeros(tubes), np.zeros(tubes), flights,
                   np.zeros((tubes, 2)), np.zeros(tubes, dtype=np.bool_),
                   np.zeros(tubes, dtype=np.bool_), np.zeros(tubes), np.zeros(tubes),
                   np.zeros(tubes), np.zeros(tubes, dtype=np.int64), eng,
                   np.zeros(tubes, dtype=np.int64), state, np.zeros(tubes, dtype=np.int64),
                   np.zeros(max(n_assets, 1)),
                   CasualtyScratch(np.zeros((N_CH, inputs.people.hour_w.shape[0])), np.zeros(2),
                                   np.zeros((max(inputs.people.n_polys, 1), 2)),
                                   np.zeros((tubes, 2))))


@njit_inner
def run_salvos(root_seed, first_salvo, n_salvos, inputs, scratch, rows, story):
    """Sample, evaluate and tally ``n_salvos`` salvos from global index ``first_salvo`` with the
    generator as seeded (the loop of :func:`simulate_block`, apart so that it runs without
    reference counts: :mod:`forceprot.jit`)."""
    for s in range(n_salvos):
        salvo_index = first_salvo + s
        ok = draw_salvo(inputs.salvo, inputs.aim, inputs.zone, inputs.family, scratch.draws,
                        scratch.delta, scratch.deflection)
        if not ok:
            rows.scalars[S_AIM_REDRAWN] += MAX_AIM_REDRAWS
            continue
        evaluate_salvo(root_seed, salvo_index, inputs, scratch, False)
        tally_salvo(inputs, scratch, rows)
        if salvo_index < story.n_salvos:
            write_story(inputs, scratch, salvo_index, story)


@njit(cache=True, nogil=True)
def simulate_block(root_seed, block, first_salvo, n_salvos, inputs, rows, story):
    """Seed the generator for ``block``, sample ``n_salvos`` salvos from global index
    ``first_salvo`` and add them to ``rows``.

    ``rows`` is this block's :data:`Tallies` row; salvos whose global index is below
    ``story.n_salvos`` also write every rocket's record into ``story``.
    """
    np.random.seed(block_seed(root_seed, block))
    run_salvos(root_seed, first_salvo, n_salvos, inputs, make_scratch(inputs), rows, story)


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(n_threads: int) -> ThreadPoolExecutor:
    """One long-lived pool per thread count (threads are cheap to keep, slow to start)."""
    with _pools_lock:
        pool = _pools.get(n_threads)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=n_threads,
                                      thread_name_prefix="forceprot-kernel")
            _pools[n_threads] = pool
        return pool


def _block_rows(tallies, j: int):
    return Tallies(tallies.scalars[j], tallies.units[j], tallies.grid[j], tallies.launch[j],
                   tallies.assets[j], tallies.warn_hist[j], tallies.hours[j],
                   tallies.exposure[j])


def run_blocks(first_block: int, n_blocks: int, total_salvos: int, root_seed: int, inputs,
               tallies, story, *, n_threads: int = 1) -> None:
    """Run blocks ``first_block .. first_block + n_blocks - 1``, ``n_threads`` at a time.

    Parameters
    ----------
    first_block, n_blocks : int
        The blocks to run.
    total_salvos : int
        Salvos in the whole run (the last block may be short).
    root_seed : int
    inputs : KernelInputs
    tallies : Tallies
        Row ``j`` of every array receives block ``first_block + j``.
    story : Story
    n_threads : int
        Threads to run blocks on; results do not depend on it.
    """
    def one(j: int) -> None:
        b = first_block + j
        first_salvo = b * BLOCK_SALVOS
        simulate_block(root_seed, b, first_salvo, min(BLOCK_SALVOS, total_salvos - first_salvo),
                       inputs, _block_rows(tallies, j), story)

    if n_threads <= 1 or n_blocks <= 1:
        for j in range(n_blocks):
            one(j)
        return
    # list() re-raises the first exception of any block
    list(_pool(n_threads).map(one, range(n_blocks)))
