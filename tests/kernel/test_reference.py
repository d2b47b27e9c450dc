"""The kernel against the NumPy + shapely reference (benchmarks/reference.py) on shared samples.

Both see the same draws (``forceprot.kernel.sample.draw_block``), so every rocket must meet the same
fate: tolerances are those of :mod:`benchmarks.crosscheck` (float rounding on positions and
times; at most 1 rocket in 10^4 flipped by a borderline float case, with tally tolerances
scaled to the flips). Samples: Taji as shipped (coordinated fire control); a stress variant of
it (saturated mounts, a gun magazine that empties and reloads, ripple2 / shoot-look-shoot /
single batteries that run dry, an Iron Dome-class battery with a minimum threat range, 12 m/s
wind the crew aims off for, sensors on masts looking down), under coordinated and under
independent fire control; and the FOB (UTM layer, 122 mm, no wind, a short last block).
"""

from __future__ import annotations


import numpy as np
import pytest
from numpy.testing import assert_array_equal

from benchmarks import scenarios
from benchmarks.crosscheck import compare
from benchmarks.reference import draw_sample, evaluate, kernel_tallies
from forceprot.kernel import tally as T
from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.engage import params as P
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import simulate

# (name, root seed, first block, blocks, salvos in the whole run)
SAMPLES = {
    "taji": (42, 0, 3, 3 * BLOCK_SALVOS),
    "stress": (7, 0, 2, 2 * BLOCK_SALVOS),
    "stress_independent": (19, 0, 1, BLOCK_SALVOS),
    "fob": (3, 1, 2, 2 * BLOCK_SALVOS + 200),   # blocks 1 and 2, the last one 200 salvos
}


@pytest.fixture(scope="module")
def prepared():
    """Each sample's scenario and site: the reference tests impacts against its polygons."""
    return {
        "taji": scenarios.taji_prepared(),
        "stress": scenarios.stress_prepared(),
        "stress_independent": scenarios.stress_prepared("independent"),
        "fob": prepare_scenario(scenarios.ROOT / "sites" / "fob.toml"),
    }


@pytest.fixture(scope="module")
def compiled(prepared):
    return {
        "taji": scenarios.taji(),
        "stress": scenarios.stress(),
        "stress_independent": scenarios.stress("independent"),
        "fob": compile_scenario(prepared["fob"]),
    }


@pytest.fixture(scope="module")
def runs(compiled, prepared):
    """Per sample: (reference tallies, reference outcomes, kernel tallies, story, story_units)."""
    out = {}
    for name, (seed, first, n, total) in SAMPLES.items():
        c = compiled[name]
        sample = draw_sample(c, root_seed=seed, first_block=first, n_blocks=n, total_salvos=total)
        ref_t, ref_o = evaluate(c, prepared[name], sample)
        ker_t, story, story_u = kernel_tallies(c, root_seed=seed, first_block=first, n_blocks=n,
                                               total_salvos=total, story=True)
        out[name] = (ref_t, ref_o, ker_t, story, story_u)
    return out


@pytest.mark.parametrize("name", list(SAMPLES))
def test_kernel_matches_reference(name, compiled, runs):
    c = compiled[name]
    ref_t, ref_o, ker_t, story, story_u = runs[name]
    result = compare(c, ref_t, ref_o, ker_t, story, story_u)
    assert result.agree, f"{name}: " + "; ".join(result.problems())
    if result.n_flipped == 0:
        assert result.counts_kernel == result.counts_reference


def test_samples_exercise_every_rule(compiled, runs):
    """The shared samples must reach the branches they are meant to check."""
    c = compiled["stress"]
    ker = runs["stress"][2]
    assert c.inputs.salvo.wind_laying and c.inputs.salvo.wind_to_rad is not None
    # low antennas looking down: for distant launches the line of sight over the earth, not
    # the beam floor, hides the rocket at launch (node 0)
    sample = draw_sample(c, root_seed=7, n_blocks=2)
    launch = sample.draws[:, 2:4]
    z0 = c.inputs.family.node_pos_m[0, 0, 0, 2]
    inv_2kr = 1.0 / (2.0 * (4.0 / 3.0) * 6_371_000.0)
    hidden = 0
    for u in np.flatnonzero(c.inputs.units.par[:, P.P_TAN_MIN_ELEVATION] < 0):
        par = c.inputs.units.par[u]
        d = np.hypot(*(launch - c.inputs.units.xy_m[u]).T)
        floor_ok = (z0 - d ** 2 * inv_2kr - par[P.P_SENSOR_HEIGHT_M]
                    - d * par[P.P_TAN_MIN_ELEVATION]) >= 0
        in_range = np.hypot(d, z0 - par[P.P_SENSOR_HEIGHT_M]) <= par[P.P_SENSOR_RANGE_M]
        los_ok = d <= np.sqrt(par[P.P_SENSOR_HEIGHT_M] / inv_2kr) + np.sqrt(z0 / inv_2kr)
        hidden += int(np.sum(floor_ok & in_range & ~los_ok))
    assert hidden >= 50, f"line of sight hides only {hidden} launches"
    units = dict(zip(c.unit_names, ker.unit_t))
    # the 200-round mount runs dry and reloads inside salvos; the batteries run dry
    for name in ("C-RAM north", "Patriot battery", "Patriot SLS", "Patriot single", "Iron Dome"):
        assert units[name][T.U_EXHAUSTED] > 0, f"{name} never exhausted its magazine"
    # ripple2 fires two interceptors per engagement when it can, shoot-look-shoot sometimes,
    # single never
    ripple2, sls, single = (units[n] for n in ("Patriot battery", "Patriot SLS", "Patriot single"))
    assert ripple2[T.U_SHOTS] > 1.3 * ripple2[T.U_ENGAGEMENTS]
    assert sls[T.U_ENGAGEMENTS] < sls[T.U_SHOTS] < 2 * sls[T.U_ENGAGEMENTS]
    assert single[T.U_SHOTS] == single[T.U_ENGAGEMENTS]
    # every unit of every sample kills something, and some rockets leak
    for name in SAMPLES:
        k = runs[name][2]
        assert np.all(k.unit_t[:, T.U_KILLS] > 0), name
        assert 0 < k.scal[T.S_LEAKED] < k.scal[T.S_THREAT], name
    # the track delay is at work, and the Iron Dome's minimum threat range leaves out short
    # flights it would otherwise engage
    assert ker.scal[T.S_TRACK_DELAY_SUM_S] > ker.scal[T.S_DETECT_DELAY_SUM_S] > 0
    ref_o = runs["stress"][1]
    dome = c.unit_names.index("Iron Dome")
    xy = c.inputs.units.xy_m[dome]
    near = (((ref_o.impact_xy - xy) ** 2).sum(axis=-1)
            <= c.inputs.units.par[dome, P.P_DEFENDED_RADIUS_M] ** 2)
    tracked = ref_o.t_track_s[..., dome] < ref_o.t_impact_s
    short = ref_o.defended & near & tracked & ~ref_o.in_sector[..., dome]
    assert short.sum() >= 50, f"minimum threat range leaves out only {short.sum()} rockets"
    assert ref_o.in_sector[..., dome].sum() >= 1000
    # coordinated: no fire at a rocket already destroyed, and rockets reassigned after a miss
    # (engaged by two or more units); independent: shots wasted on destroyed rockets
    assert np.all(ker.unit_t[:, T.U_ON_KILLED] == 0)
    engaged_by = (ref_o.eng_out != P.OUT_NONE).sum(axis=2)
    assert (engaged_by >= 2).sum() >= 100
    assert np.all(runs["stress_independent"][2].unit_t[:, T.U_ON_KILLED] > 0)
    # saturation (independent fire control): a mount engages some rockets of a salvo and must
    # let others it could have engaged (in its sector and window) pass, for lack of time
    ci = compiled["stress_independent"]
    ref_i = runs["stress_independent"][1]
    for u, name in enumerate(ci.unit_names):
        if ci.inputs.units.kind[u] != P.KIND_CRAM:
            continue
        engaged = ref_i.eng_out[..., u] != P.OUT_NONE
        saturated = (ref_i.candidate[..., u] & ~engaged).any(axis=1) & engaged.any(axis=1)
        assert saturated.sum() >= 10, f"{name}: only {saturated.sum()} saturated salvos"


def test_harness_runs_the_kernel_as_simulate_does(compiled, prepared, runs):
    """kernel_tallies on blocks 0.. equals forceprot.simulate with that many salvos."""
    c = compiled["taji"]
    seed, first, n, total = SAMPLES["taji"]
    res = simulate(c, RunSettings.from_scenario(
        prepared["taji"].scenario, salvos=total, seed=seed, threads=1))
    ker = runs["taji"][2]
    assert_array_equal(res.scalars, ker.scal)
    assert_array_equal(res.units, ker.unit_t)
    assert_array_equal(res.grid, ker.grid_t)


def test_reference_does_not_depend_on_chunking(compiled, prepared):
    c, taji = compiled["taji"], prepared["taji"]
    sample = draw_sample(c, root_seed=5, n_blocks=1)
    whole, _ = evaluate(c, taji, sample, keep_rockets=False)
    pieces, _ = evaluate(c, taji, sample, keep_rockets=False, chunk_salvos=97)
    # float sums (warning times, weighted risk, casualties) differ by the order of summation
    exact = [k for k in range(T.S_KILLED) if k not in (T.S_WARN_SUM_S, T.S_WARN2,
                                                      T.S_WARN_SALVO2, T.S_WARN_THREAT,
                                                      T.S_ASSET_RISK, T.S_ASSET_RISK2,
                                                      T.S_DETECT_DELAY_SUM_S,
                                                      T.S_TRACK_DELAY_SUM_S)]
    assert_array_equal(whole.scal[exact], pieces.scal[exact])
    np.testing.assert_allclose(whole.scal, pieces.scal, rtol=1e-12)
    np.testing.assert_allclose(whole.hour_t, pieces.hour_t, rtol=1e-12)
    np.testing.assert_allclose(whole.exposure_t, pieces.exposure_t, rtol=1e-12)
    assert_array_equal(whole.unit_t, pieces.unit_t)
    assert_array_equal(whole.grid_t, pieces.grid_t)
    assert_array_equal(whole.launch_t, pieces.launch_t)


def test_crosscheck_catches_wind_laying_left_out(compiled, prepared):
    c = compiled["stress"]
    sample = draw_sample(c, root_seed=7, n_blocks=1)
    ker_t, story, story_u = kernel_tallies(c, root_seed=7, n_blocks=1, story=True)
    ref_t, ref_o = evaluate(c.with_inputs(salvo=c.inputs.salvo._replace(wind_laying=False)),
                            prepared["stress"], sample)
    assert not compare(c, ref_t, ref_o, ker_t, story, story_u).agree


@pytest.mark.parametrize("column, delta", [
    (P.P_REACTION_S, 0.5),          # timelines shift: times and some outcomes differ
    (P.P_KILL, -0.05),              # only kill draws change: counts differ
    (P.P_DEFENDED_RADIUS_M, -300),  # candidates change
    (P.P_TRACK_S, 0.5),             # tracks, reaction clocks and warnings shift
    (P.P_MIN_THREAT_RANGE_M, 3000),  # short flights leave the sectors
])
def test_crosscheck_catches_a_wrong_model(compiled, prepared, column, delta):
    """The comparison is not vacuous: a reference run with one parameter off fails it."""
    c = compiled["taji"]
    sample = draw_sample(c, root_seed=11, n_blocks=1)
    ker_t, story, story_u = kernel_tallies(c, root_seed=11, n_blocks=1, story=True)
    par = c.inputs.units.par.copy()
    par[:, column] += delta
    wrong = c.with_inputs(units=c.inputs.units._replace(par=par))
    ref_t, ref_o = evaluate(wrong, prepared["taji"], sample)
    assert not compare(c, ref_t, ref_o, ker_t, story, story_u).agree
    assert not compare(c, ref_t, None, ker_t).agree


def test_crosscheck_catches_the_other_fire_control(compiled, prepared):
    """Coordinated and independent fire control differ rocket by rocket on the stress sample."""
    c = compiled["stress"]
    sample = draw_sample(c, root_seed=7, n_blocks=1)
    ker_t, story, story_u = kernel_tallies(c, root_seed=7, n_blocks=1, story=True)
    ref_t, ref_o = evaluate(c.with_inputs(units=c.inputs.units._replace(coordinated=False)),
                            prepared["stress"], sample)
    assert not compare(c, ref_t, ref_o, ker_t, story, story_u).agree
