"""Memory stays flat: the driver keeps running totals, not one tally row per block, so five
times the salvos take no more memory."""

from __future__ import annotations

import tracemalloc

import pytest

from forceprot.kernel import tally as T
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import MAX_CHUNK_BLOCKS, simulate
from tests.kernel_helpers import CX_M, CY_M, compile_data, ideal_cram, scenario_data, square_base

SMALL = 80_000    # 157 blocks: already more than two full chunks
LARGE = 400_000   # 782 blocks
#: What a slightly higher peak may come from besides tallies: Python objects of the driver and
#: numpy temporaries in the estimates [bytes].
SLACK_BYTES = 1_000_000
#: Allowed growth of the peak from SMALL to LARGE; a driver that kept one row per block would
#: grow it about five-fold.
GROWTH = 1.25


def _peak_bytes(compiled, scenario, salvos):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        res = simulate(compiled, RunSettings.from_scenario(
            scenario, salvos=salvos, threads=2))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.salvos == salvos
    return peak


def test_peak_memory_does_not_grow_with_salvos(tmp_path):
    square_base(tmp_path)
    data = scenario_data(tubes=2, defence=[ideal_cram("gun", CX_M, CY_M, 0.5)],
                         simulation={"salvos": 1_000, "story_salvos": 200})
    prepared, compiled = compile_data(tmp_path, data)
    simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, salvos=1_000))  # compile or load the kernel outside the measurement
    small = _peak_bytes(compiled, prepared.scenario, SMALL)
    large = _peak_bytes(compiled, prepared.scenario, LARGE)
    assert large <= GROWTH * small + SLACK_BYTES, (
        f"peak traced memory {small / 1e6:.1f} MB for {SMALL} salvos, "
        f"{large / 1e6:.1f} MB for {LARGE}")
    # and it stays within what two chunks of block rows and the story take (the next chunk is
    # allocated while the previous one is still referenced)
    per_block = 8 * (T.N_SCALARS + compiled.n_units * T.N_UNIT
                     + T.N_GRID * compiled.base_grid.n_cells
                     + T.N_LAUNCH * compiled.launch_grid.n_cells + T.N_ASSET + T.WARN_BINS)
    story = 8 * 200 * compiled.tubes * (T.N_STORY + compiled.n_units * T.N_STORY_UNIT)
    budget = 2 * MAX_CHUNK_BLOCKS * per_block + story + SLACK_BYTES
    assert large <= budget, f"{large / 1e6:.1f} MB over a budget of {budget / 1e6:.1f} MB"
    rows_per_block = -(-LARGE // BLOCK_SALVOS) * per_block
    assert rows_per_block > 4 * budget, "the test must tell a growing driver from a flat one"


@pytest.mark.parametrize("salvos", [BLOCK_SALVOS - 1, BLOCK_SALVOS + 1])
def test_partial_blocks_count_exactly(tmp_path, salvos):
    """Salvo counts that are not a multiple of the block size are run exactly."""
    square_base(tmp_path)
    prepared, compiled = compile_data(tmp_path, scenario_data(tubes=3))
    res = simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, salvos=salvos, threads=2))
    assert res.salvos == salvos
    assert res.scalars[T.S_FIRED] == 3 * salvos
