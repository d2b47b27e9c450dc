"""Same scenario and seed, bit-identical tallies: whatever the thread count, the grouping of
blocks into chunks, or a stop at a precision target."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.kernel_helpers import CX_M, CY_M, compile_data, scenario_data, square_base

#: Three full blocks and a partial one.
SALVOS = 3 * BLOCK_SALVOS + 37
SEED = 2024
ARRAYS = ("scalars", "units", "grid", "launch", "assets", "warn_hist", "story", "story_units")


@pytest.fixture(scope="module")
def prepared_compiled(tmp_path_factory):
    """Wind, dispersion, two saturable gun mounts and a battery with ripple-fire doctrine,
    weighted assets: every part of the kernel and every tally is busy."""
    tmp = tmp_path_factory.mktemp("determinism")
    square_base(tmp, 1_500.0)
    data = scenario_data(
        tubes=12, ripple_s=0.4, aim="assets", aim_sigma_m=250.0, wind_mps=4.0,
        wind_from_deg=315.0, min_standoff_m=800.0, max_standoff_m=4_000.0,
        defence=[
            {"kind": "cram", "name": "gun west", "x": CX_M - 600.0, "y": CY_M},
            {"kind": "cram", "name": "gun east", "x": CX_M + 600.0, "y": CY_M + 300.0},
            {"kind": "patriot", "name": "battery", "x": CX_M, "y": CY_M - 900.0,
             "min_intercept_range_m": 500.0, "reaction_s": 4.0},
        ],
        asset=[{"name": "hq", "x": CX_M + 200.0, "y": CY_M + 100.0, "weight": 2.0},
               {"name": "fuel", "x": CX_M - 700.0, "y": CY_M - 500.0, "radius_m": 200.0}],
        simulation={"salvos": SALVOS, "seed": SEED, "story_salvos": 1_000, "cell_m": 100.0})
    return compile_data(tmp, data)


@pytest.fixture(scope="module")
def compiled(prepared_compiled):
    return prepared_compiled[1]


@pytest.fixture(scope="module")
def scenario(prepared_compiled):
    """The validated scenario: its [simulation] settings are the runs' settings."""
    return prepared_compiled[0].scenario


def _assert_identical(a, b, what):
    assert a.salvos == b.salvos, f"{what}: {a.salvos} vs {b.salvos} salvos"
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name),
                                      err_msg=f"{what}: {name} differs")


@pytest.fixture(scope="module")
def reference(compiled, scenario):
    return simulate(compiled, RunSettings.from_scenario(
        scenario, threads=1), chunk_blocks=1)


def test_runs_are_busy(reference):
    """The scenario exercises what the other tests compare (else equality proves little)."""
    assert reference.salvos == SALVOS
    assert 0.05 < reference.leak_rate.value < 0.95
    for ur in reference.unit_results:
        assert ur.engagements > 0
    assert np.count_nonzero(reference.grid) > 100 and reference.assets[:, 0].min() > 0
    assert reference.story.shape[0] == 1_000 * 12  # the story spans blocks


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("chunk_blocks", [1, 3, None])
def test_threads_and_chunks_do_not_matter(compiled, scenario, reference, threads,
                                           chunk_blocks):
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("machine has fewer threads")
    res = simulate(compiled, RunSettings.from_scenario(
        scenario, threads=threads), chunk_blocks=chunk_blocks)
    _assert_identical(res, reference, f"threads={threads}, chunk_blocks={chunk_blocks}")


def test_the_seed_matters(compiled, scenario, reference):
    """Guards the tests above against comparing constants."""
    other = simulate(compiled, RunSettings.from_scenario(
        scenario, seed=SEED + 1, threads=2))
    assert not np.array_equal(other.scalars, reference.scalars)
    assert not np.array_equal(other.story, reference.story)


def test_precision_stop_is_deterministic_and_a_prefix(compiled, scenario):
    """A precision target stops after the first block whose interval is narrow enough; the
    stop and the tallies do not depend on threads or chunks, and equal a plain run of that
    many salvos (blocks are seeded by index, so a run is a prefix of a longer one)."""
    # the half-width after three blocks: the run must stop by then
    target = simulate(compiled, RunSettings.from_scenario(
        scenario, salvos=3 * BLOCK_SALVOS, threads=2)).leak_rate.half_width
    runs = [simulate(compiled, RunSettings.from_scenario(
        scenario, salvos=10 * BLOCK_SALVOS, precision=target, threads=t), chunk_blocks=c) for t, c in [(1, 1), (2, 3), (2, None), (1, 4)]]
    first = runs[0]
    assert first.stopped_early
    assert first.salvos <= 3 * BLOCK_SALVOS and first.salvos % BLOCK_SALVOS == 0
    assert first.leak_rate.half_width <= target
    for t_c, res in zip(["2 threads, chunks of 3", "2 threads, default chunks",
                         "1 thread, chunks of 4"], runs[1:]):
        assert res.stopped_early
        _assert_identical(res, first, f"precision stop, {t_c}")
    plain = simulate(compiled, RunSettings.from_scenario(
        scenario, salvos=first.salvos, threads=2))
    _assert_identical(plain, first, "precision stop vs plain run of as many salvos")
