"""Saturation: a gun mount whose window fits exactly k engagements, a gun whose magazine runs
dry, and a battery whose interceptors run out, checked salvo by salvo from the story."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from forceprot.kernel import tally as T
from forceprot.ballistics import solve_trajectory
from forceprot.engage.params import OUT_KILL, OUT_MISS, OUT_NONE
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    assert_covers,
    compile_data,
    ideal_patriot,
    kill_draw,
    salvo_rows,
    scenario_data,
    square,
    square_base,
    write_layer,
)

# --------------------------------------------------------------------------- gun saturation
#: Launcher stands in a 20 m square 4 km west of the single aim point, where the gun stands.
LAUNCH_RANGE_M = 4_000.0
LAUNCH_HALF_M = 10.0
GUN_RANGE_M = 1_500.0
GUN_MIN_HEIGHT_M = 60.0
#: The kernel's window opens where the 33-node family, interpolated linearly, says it does, for
#: a launcher anywhere in the 20 m square (+-14 m of range, about +-0.04 s at this point of the
#: flight); the reference flies the nominal 4 km shot with the RK4 integrator and finds the
#: crossing with brentq. Measured: within 0.04 s.
WINDOW_OPEN_TOL_S = 0.1


def _reference_gun_window_s() -> tuple[float, float]:
    """Window of a gun at the impact point of the nominal 4 km, no-wind, 107 mm shot: the last
    interval with slant range <= GUN_RANGE_M and height >= GUN_MIN_HEIGHT_M (brentq on the
    directly integrated path)."""
    sol = solve_trajectory("107mm", LAUNCH_RANGE_M)
    t, pos = sol.path.t_s, sol.path.pos_m
    target = np.array([sol.range_m, sol.drift_m, 0.0])

    def margin(ts: float) -> float:
        p = np.array([np.interp(ts, t, pos[:, c]) for c in range(3)])
        return min(GUN_RANGE_M - float(np.linalg.norm(p - target)), p[2] - GUN_MIN_HEIGHT_M)

    grid = np.linspace(0.0, t[-1], 2_001)
    g = np.array([margin(x) for x in grid])
    kb = int(np.flatnonzero(g >= 0.0)[-1])
    ka = kb
    while ka > 0 and g[ka - 1] >= 0.0:
        ka -= 1
    assert 0 < ka and kb < len(grid) - 1, "the window must open and close inside the flight"
    return brentq(margin, grid[ka - 1], grid[ka]), brentq(margin, grid[kb], grid[kb + 1])


@pytest.fixture(scope="module")
def gun_window_s():
    return _reference_gun_window_s()


@pytest.fixture(scope="module")
def gun_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gun")
    square_base(tmp)
    write_layer(tmp / "launch.gpkg", square(LAUNCH_HALF_M, CX_M - LAUNCH_RANGE_M, CY_M))
    return tmp


def _gun_run(tmp, tubes, gun, salvos=200):
    data = scenario_data(
        tubes=tubes, ripple_s=0.0, aim="assets", aim_sigma_m=0.0, range_sigma_frac=0.0,
        deflection_sigma_mil=0.0, min_standoff_m=500.0, max_standoff_m=6_000.0,
        launch_areas="launch.gpkg", defence=[gun],
        asset=[{"name": "aim", "x": CX_M, "y": CY_M}],
        simulation={"salvos": salvos, "seed": 17, "story_salvos": salvos})
    prepared, compiled = compile_data(tmp, data)
    return compiled, simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, threads=2))


def _gun(engage_s, **override):
    gun = {"kind": "cram", "name": "gun", "x": CX_M, "y": CY_M, "reaction_s": 0.0,
           "max_range_m": GUN_RANGE_M, "min_height_m": GUN_MIN_HEIGHT_M, "engage_s": engage_s,
           "rounds_per_engagement": 100, "magazine_rounds": 100_000, "p_kill": 0.5}
    gun.update(override)
    return gun


@pytest.mark.parametrize("k", [1, 2, 4])
@pytest.mark.parametrize("tubes", [1, 3, 6])
def test_gun_engages_exactly_what_fits_in_the_window(gun_site, gun_window_s, tubes, k):
    """All rockets of a salvo fly the same path (no dispersion, no ripple, one aim point), so
    they share one window of length W; with engage_s = W / (k - 1/2), k bursts fit
    ((k - 1) engage_s < W < k engage_s), whatever the rocket count."""
    t_open, t_close = gun_window_s
    engage_s = (t_close - t_open) / (k - 0.5)
    compiled, res = _gun_run(gun_site, tubes, _gun(engage_s))
    story, su = res.story, res.story_units
    rows = salvo_rows(story, tubes)
    outcome = su[rows, 0, T.RU_OUTCOME]
    assert np.all(story[:, T.R_INSIDE] == 1.0)
    unengaged = (outcome == OUT_NONE).sum(axis=1)
    np.testing.assert_array_equal(unengaged, max(0, tubes - k),
                                  err_msg=f"{tubes} rockets, room for {k}: unengaged per salvo")
    # equal impact times: the sort keeps tube order, so the first tubes are the engaged ones
    np.testing.assert_array_equal(outcome != OUT_NONE,
                                  np.broadcast_to(np.arange(tubes) < k, outcome.shape))
    # bursts follow each other engage_s apart from the window's opening
    n_eng = min(tubes, k)
    t = su[rows, 0, T.RU_T][:, :n_eng]
    np.testing.assert_allclose(np.diff(t, axis=1), engage_s, rtol=0, atol=1e-9)
    assert np.abs(t[:, 0] - t_open).max() < WINDOW_OPEN_TOL_S, (
        f"window opens at {t[:, 0].min():.3f}..{t[:, 0].max():.3f} s, reference {t_open:.3f} s")
    ur = res.unit_results[0]
    assert ur.engagements == n_eng * res.salvos
    assert ur.salvos_exhausted == 0


@pytest.mark.parametrize("tubes", [2, 3, 5])
def test_gun_magazine_runs_dry(gun_site, tubes):
    """Room for every rocket in the window, but two engagements in the magazine and a long
    reload: two bursts per salvo, the rest unengaged, and the salvo counts as exhausted when a
    third rocket was waiting."""
    compiled, res = _gun_run(gun_site, tubes, _gun(0.01, magazine_rounds=200, reload_s=600.0))
    rows = salvo_rows(res.story, tubes)
    outcome = res.story_units[rows, 0, T.RU_OUTCOME]
    np.testing.assert_array_equal((outcome != OUT_NONE).sum(axis=1), min(tubes, 2))
    ur = res.unit_results[0]
    assert ur.shots == 100 * min(tubes, 2) * res.salvos
    assert ur.salvos_exhausted == (res.salvos if tubes > 2 else 0)


# ------------------------------------------------------------------------ battery magazine
BATTERY_SALVOS = 3_000
BATTERY_SEED = 23
P_KILL = 0.5


@pytest.fixture(scope="module")
def battery_site(tmp_path_factory):
    """A 4 km square base, salvos aimed at its centre from 2-3 km outside: with range and
    deflection dispersion every rocket lands inside, in an order that differs from tube order."""
    tmp = tmp_path_factory.mktemp("battery")
    square_base(tmp, 2_000.0)
    return tmp


def _battery_run(tmp, tubes, missiles, doctrine):
    unit = ideal_patriot("battery", CX_M, CY_M, P_KILL, launchers=1,
                         missiles_per_launcher=missiles, doctrine=doctrine)
    data = scenario_data(
        tubes=tubes, ripple_s=0.2, aim="assets", aim_sigma_m=50.0, range_sigma_frac=0.02,
        deflection_sigma_mil=5.0, min_standoff_m=2_000.0, max_standoff_m=3_000.0,
        defence=[unit], asset=[{"name": "aim", "x": CX_M, "y": CY_M}],
        simulation={"salvos": BATTERY_SALVOS, "seed": BATTERY_SEED,
                    "story_salvos": BATTERY_SALVOS})
    prepared, compiled = compile_data(tmp, data)
    return prepared, simulate(compiled, RunSettings.from_scenario(prepared.scenario, threads=2))


@pytest.mark.parametrize(("doctrine", "tubes", "missiles"), [
    ("single", 8, 3),
    ("single", 4, 4),
    ("ripple2", 8, 6),
    ("ripple2", 8, 5),
    ("ripple2", 3, 6),
])
def test_battery_magazine_empties(battery_site, doctrine, tubes, missiles):
    prepared, res = _battery_run(battery_site, tubes, missiles, doctrine)
    story, su = res.story, res.story_units
    assert np.all(story[:, T.R_INSIDE] == 1.0), "the design needs every rocket inside"
    rows = salvo_rows(story, tubes)
    per_target = 1 if doctrine == "single" else 2
    n_eng = min(tubes, math.ceil(missiles / per_target))
    # the engaged rockets are the first n_eng by predicted impact; impact order is not tube order
    t_impact = story[rows, T.R_T_IMPACT]
    rank = np.argsort(np.argsort(t_impact, axis=1, kind="stable"), axis=1)
    outcome = su[rows, 0, T.RU_OUTCOME]
    np.testing.assert_array_equal(outcome != OUT_NONE, rank < n_eng,
                                  err_msg="engaged rockets are not the earliest impacts")
    assert (np.argsort(t_impact, axis=1)[:, 0] != 0).mean() > 0.3
    # interceptors per engaged rocket, in impact order: two each, the last one may get the odd one
    shots = np.take_along_axis(su[rows, 0, T.RU_SHOTS], np.argsort(t_impact, axis=1), axis=1)
    expected = np.zeros(tubes)
    left = missiles
    for j in range(n_eng):
        expected[j] = min(per_target, left)
        left -= expected[j]
    np.testing.assert_array_equal(shots[:, :n_eng], np.broadcast_to(expected[:n_eng],
                                                                   (res.salvos, n_eng)))
    # outcomes follow the kill draws of the shots fired
    salvo = story[rows, T.R_SALVO].astype(int)
    for s in range(0, res.salvos, 97):
        for i in range(tubes):
            n_shots = int(np.nan_to_num(su[rows[s, i], 0, T.RU_SHOTS]))
            if outcome[s, i] == OUT_NONE:
                continue
            kill = any(kill_draw(BATTERY_SEED, salvo[s, i], i, 0, shot) < P_KILL
                       for shot in range(n_shots))
            assert outcome[s, i] == (OUT_KILL if kill else OUT_MISS), (s, i)
    ur = res.unit_results[0]
    assert ur.engagements == n_eng * res.salvos
    assert ur.shots == int(expected.sum()) * res.salvos
    exhausted = tubes > n_eng
    assert ur.salvos_exhausted == (res.salvos if exhausted else 0)
    assert res.summary(prepared)["units"][0]["salvos_magazine_exhausted"] == ur.salvos_exhausted
    # every rocket lands inside: leak rate 1 - sum over engaged of P(kill) / tubes
    p_engaged = expected[:n_eng]
    truth = 1.0 - float(np.sum(1.0 - (1.0 - P_KILL) ** p_engaged)) / tubes
    assert_covers(truth, res.leak_rate.value, res.leak_rate.n_eff,
                  what=f"{doctrine}, {missiles} interceptors, {tubes} rockets: leak rate")
