"""Every streamed tally, recounted from the full story of every rocket with numpy.

The kernel keeps only sums (and per-salvo sums of squares and cross-products, for the cluster
intervals); the story records each rocket. With the story covering every salvo, each tally and
each estimate must follow from it, which checks the kernel's bookkeeping and the estimates'
plumbing from an independent computation.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from forceprot.engage import params as P
from forceprot.kernel import tally as T
from forceprot.engage.params import OUT_KILL, OUT_NONE
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.stats import wilson_interval
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    UTM_38N,
    compile_data,
    scenario_data,
    square_base,
)

SALVOS = 1_300   # three blocks, the last partial
TUBES = 10
#: Float sums (warning times) are added in a different order here than in the kernel.
SUM_RTOL = 1e-12


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tallies")
    square_base(tmp, 1_200.0)
    data = scenario_data(
        tubes=TUBES, ripple_s=0.5, aim="assets", aim_sigma_m=300.0, wind_mps=3.0,
        wind_from_deg=200.0, min_standoff_m=1_000.0, max_standoff_m=4_000.0,
        defence=[
            {"kind": "cram", "name": "gun", "x": CX_M - 400.0, "y": CY_M + 100.0},
            {"kind": "patriot", "name": "battery", "x": CX_M + 500.0, "y": CY_M - 600.0,
             "min_intercept_range_m": 300.0, "reaction_s": 5.0, "launchers": 1,
             "missiles_per_launcher": 6},
        ],
        asset=[{"name": "hq", "x": CX_M + 100.0, "y": CY_M, "weight": 3.0, "radius_m": 250.0},
               {"name": "depot", "x": CX_M - 600.0, "y": CY_M + 500.0, "radius_m": 150.0}],
        simulation={"salvos": SALVOS, "seed": 9, "story_salvos": SALVOS, "cell_m": 150.0,
                    "launch_cell_m": 500.0})
    # polygon assets too, from a layer in another CRS: one with a hole, one of two parts
    holed = shapely.box(CX_M - 700, CY_M - 700, CX_M - 100, CY_M - 200).difference(
        shapely.box(CX_M - 500, CY_M - 550, CX_M - 300, CY_M - 350))
    split = shapely.MultiPolygon([shapely.box(CX_M + 300, CY_M + 300, CX_M + 600, CY_M + 700),
                                  shapely.box(CX_M - 300, CY_M + 600, CX_M, CY_M + 900)])
    gpd.GeoDataFrame({"name": ["yard", "camp"], "weight": [2.0, 0.5]}, geometry=[holed, split],
                     crs=UTM_38N).to_crs(4326).to_file(tmp / "assets.geojson", driver="GeoJSON")
    data["assets"] = {"file": "assets.geojson", "name_field": "name", "weight_field": "weight"}
    prepared, compiled = compile_data(tmp, data)
    res = simulate(compiled, RunSettings.from_scenario(prepared.scenario, threads=2))
    assert res.story.shape[0] == SALVOS * TUBES
    return prepared, compiled, res


def _per_salvo(story_col):
    return story_col.reshape(SALVOS, TUBES)


def test_scalar_tallies(run):
    _, compiled, res = run
    s, story = res.scalars, res.story
    inside = _per_salvo(story[:, T.R_INSIDE] == 1.0)
    killed = _per_salvo(story[:, T.R_INTERCEPTED] == 1.0)
    defended = _per_salvo(story[:, T.R_DEFENDED] == 1.0)
    threat = inside.sum(axis=1).astype(float)
    leak = (inside & ~killed).sum(axis=1).astype(float)
    assert 0.1 < leak.sum() / threat.sum() < 0.9, "both leaks and kills must be common"
    expected = {
        T.S_SALVOS: SALVOS, T.S_FIRED: SALVOS * TUBES,
        T.S_THREAT: threat.sum(), T.S_LEAKED: leak.sum(), T.S_INTERCEPTED: killed.sum(),
        T.S_INTERCEPTED_THREAT: (inside & killed).sum(), T.S_DEFENDED: defended.sum(),
        T.S_THREAT2: (threat**2).sum(), T.S_LEAKED2: (leak**2).sum(),
        T.S_THREAT_LEAKED: (threat * leak).sum(),
        T.S_SALVOS_ANY_THREAT: (threat > 0).sum(), T.S_SALVOS_ANY_LEAK: (leak > 0).sum(),
    }
    for k, v in expected.items():
        assert s[k] == v, f"scalar tally {k}: kernel {s[k]}, story {v}"
    # warning: over rockets landing inside, 0 when no sensor saw them
    warn = story[story[:, T.R_INSIDE] == 1.0, T.R_WARNING_S]
    assert s[T.S_WARN_N] == warn.size
    assert s[T.S_WARN_SUM_S] == pytest.approx(warn.sum(), rel=SUM_RTOL)
    assert s[T.S_WARN2] == pytest.approx((warn**2).sum(), rel=SUM_RTOL)
    # per-salvo sums of warning, for the salvo-clustered interval
    inside_rows = story[:, T.R_INSIDE].reshape(-1, TUBES) == 1.0
    warn_salvo = np.where(inside_rows, story[:, T.R_WARNING_S].reshape(-1, TUBES), 0.0).sum(axis=1)
    assert s[T.S_WARN_SALVO2] == pytest.approx((warn_salvo**2).sum(), rel=SUM_RTOL)
    assert s[T.S_WARN_THREAT] == pytest.approx((warn_salvo * threat).sum(), rel=SUM_RTOL)
    undetected = np.isnan(story[story[:, T.R_INSIDE] == 1.0, T.R_FIRST_DETECT_T]).sum()
    assert s[T.S_UNDETECTED] == undetected
    bins = np.minimum((warn / T.WARN_BIN_S).astype(int), T.WARN_BINS - 1)
    np.testing.assert_array_equal(res.warn_hist, np.bincount(bins, minlength=T.WARN_BINS))
    # the warning itself: impact time minus first track minus the alert delay, floored at 0
    rows = story[(story[:, T.R_INSIDE] == 1.0) & ~np.isnan(story[:, T.R_FIRST_TRACK_T])]
    np.testing.assert_allclose(
        rows[:, T.R_WARNING_S],
        np.maximum(rows[:, T.R_T_IMPACT] - rows[:, T.R_FIRST_TRACK_T]
                   - compiled.inputs.salvo.alert_delay_s, 0.0), rtol=0, atol=1e-9)
    # ... the first detection and first track are the earliest over the units, and each unit's
    # track comes its track_s after its detection
    for col, ucol in ((T.R_FIRST_DETECT_T, T.RU_DETECT_T), (T.R_FIRST_TRACK_T, T.RU_TRACK_T)):
        det = res.story_units[:, :, ucol]
        first = np.where(np.isnan(det).all(axis=1), np.nan,
                         np.nanmin(np.where(np.isnan(det), np.inf, det), axis=1))
        np.testing.assert_array_equal(story[:, col], first)
    track_s = compiled.inputs.units.par[:, P.P_TRACK_S]
    np.testing.assert_allclose(res.story_units[:, :, T.RU_TRACK_T],
                               res.story_units[:, :, T.RU_DETECT_T] + track_s, rtol=0, atol=1e-12)


def test_estimates_from_per_salvo_values(run):
    """The leak-rate estimate and interval from the per-salvo (threat, leak) pairs, computed
    cluster by cluster; p_any_leak as plain Wilson over salvos."""
    _, _, res = run
    story = res.story
    inside = _per_salvo(story[:, T.R_INSIDE] == 1.0)
    killed = _per_salvo(story[:, T.R_INTERCEPTED] == 1.0)
    x = inside.sum(axis=1).astype(float)
    y = (inside & ~killed).sum(axis=1).astype(float)
    r = y.sum() / x.sum()
    v = SALVOS / (SALVOS - 1) * np.sum((y - r * x) ** 2) / x.sum() ** 2
    deff = v / (r * (1 - r) / x.sum())
    lo, hi = wilson_interval(r, x.sum() / deff)
    est = res.leak_rate
    assert est.value == pytest.approx(r, rel=1e-12)
    assert (est.lo, est.hi) == pytest.approx((float(lo), float(hi)), rel=1e-9)
    k = (y > 0).sum()
    lo, hi = wilson_interval(k / SALVOS, SALVOS)
    assert (res.p_any_leak.value, res.p_any_leak.lo, res.p_any_leak.hi) == pytest.approx(
        (k / SALVOS, float(lo), float(hi)), rel=1e-12)
    assert res.expected_leakers_per_salvo.value == pytest.approx(y.mean(), rel=1e-12)


def test_unit_tallies(run):
    _, compiled, res = run
    story, su = res.story, res.story_units
    inside = story[:, T.R_INSIDE] == 1.0
    threat = _per_salvo(inside).sum(axis=1).astype(float)
    kill_unit = story[:, T.R_KILL_UNIT]
    for u, ur in enumerate(res.unit_results):
        out = su[:, u, T.RU_OUTCOME]
        engaged = out != OUT_NONE
        assert ur.engagements == engaged.sum() > 0
        assert ur.hits == (out == OUT_KILL).sum()
        assert ur.shots == su[engaged, u, T.RU_SHOTS].sum()
        assert ur.kills == (kill_unit == u).sum()
        assert ur.salvos_engaged == _per_salvo(engaged).any(axis=1).sum()
        k_in = _per_salvo((kill_unit == u) & inside).sum(axis=1).astype(float)
        row = res.units[u]
        assert row[T.U_KILLS_INSIDE] == k_in.sum()
        assert row[T.U_KILLS_INSIDE2] == (k_in**2).sum()
        assert row[T.U_KILLS_INSIDE_THREAT] == (k_in * threat).sum()
    # the battery's magazine (6 interceptors, two per rocket) runs dry in busy salvos
    battery = res.unit_results[1]
    assert 0 < battery.salvos_exhausted < SALVOS
    per_salvo = _per_salvo(su[:, 1, T.RU_SHOTS]).sum(axis=1)
    assert per_salvo.max() == 6


def test_grid_launch_and_asset_tallies(run):
    prepared, compiled, res = run
    story = res.story
    g = compiled.base_grid
    inside = story[:, T.R_INSIDE] == 1.0
    killed = story[:, T.R_INTERCEPTED] == 1.0
    x, y = story[:, T.R_IMPACT_X], story[:, T.R_IMPACT_Y]
    cell = np.where(inside, np.floor((y - g.y0) / g.cell_m) * g.nx
                    + np.floor((x - g.x0) / g.cell_m), -1).astype(np.int64)
    cell_s = _per_salvo(cell)
    kill_s = _per_salvo(killed)
    expected = np.zeros((T.N_GRID, g.n_cells))
    for s in range(SALVOS):
        for c in np.unique(cell_s[s][cell_s[s] >= 0]):
            t_c = float((cell_s[s] == c).sum())
            i_c = float(((cell_s[s] == c) & kill_s[s]).sum())
            expected[:, c] += [t_c, i_c, t_c * t_c, i_c * i_c, t_c * i_c]
    np.testing.assert_array_equal(res.grid, expected)

    lg = compiled.launch_grid
    first = story[::TUBES]
    lcell = (np.floor((first[:, T.R_LAUNCH_Y] - lg.y0) / lg.cell_m).astype(np.int64) * lg.nx
             + np.floor((first[:, T.R_LAUNCH_X] - lg.x0) / lg.cell_m).astype(np.int64))
    leak = _per_salvo(inside & ~killed).sum(axis=1).astype(float)
    threat = _per_salvo(inside).sum(axis=1).astype(float)
    expected = np.zeros((T.N_LAUNCH, lg.n_cells))
    np.add.at(expected[T.L_SALVOS], lcell, 1.0)
    np.add.at(expected[T.L_LEAKED], lcell, leak)
    np.add.at(expected[T.L_LEAKED2], lcell, leak**2)
    np.add.at(expected[T.L_THREAT], lcell, threat)
    np.testing.assert_array_equal(res.launch, expected)

    leaker = inside & ~killed
    risk = np.zeros(SALVOS)
    assets = prepared.site.assets
    assert assets.names == ("hq", "depot", "yard", "camp")
    for a, poly in enumerate(assets.polygons):
        if poly is None:
            ax, ay = assets.xy_m[a]
            target = (x - ax) ** 2 + (y - ay) ** 2 <= assets.radius_m[a] ** 2
        else:  # shapely's point-in-polygon, holes excepted
            target = shapely.contains_xy(poly, x, y)
        hits = _per_salvo(leaker & target).sum(axis=1).astype(float)
        assert hits.sum() > 0
        assert res.assets[a, T.A_HITS] == hits.sum()
        assert res.assets[a, T.A_HITS2] == (hits**2).sum()
        assert res.assets[a, T.A_SALVOS_HIT] == (hits > 0).sum()
        risk += assets.weight[a] * hits
    # the summary's per-asset figures come from these tallies
    rows = res.asset_results(prepared)
    assert [r["kind"] for r in rows] == ["circle", "circle", "polygon", "polygon"]
    assert rows[2]["p_hit"] == res.assets[2, T.A_SALVOS_HIT] / SALVOS
    assert res.scalars[T.S_ASSET_RISK] == pytest.approx(risk.sum(), rel=SUM_RTOL)
    assert res.scalars[T.S_ASSET_RISK2] == pytest.approx((risk**2).sum(), rel=SUM_RTOL)
