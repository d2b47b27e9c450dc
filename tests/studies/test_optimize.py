"""Placement optimisation: candidates, layout evaluation on common random numbers, the MCLP
baseline, the search on Camp Taji and on a base whose optimum is known, outputs, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import compile_scenario, prepare, unit_parameters
from forceprot.studies.executors import ScenarioSpec
from forceprot.errors import ForceprotError, ScenarioError
from forceprot.outputs.optimize import write_optimization_outputs
from forceprot.studies.optimize import (
    PerSalvo,
    Placement,
    SearchOptions,
    envelope_radius_m,
    grid_candidates,
    layout_compiled,
    layout_scored_compiled,
    layout_units,
    mclp_solver,
    paired_difference,
    per_salvo,
    plan_optimization,
    read_candidates,
    run_optimization,
    screening_stages,
    unit_names,
)
from forceprot.studies.optimize.evaluate import _evaluate_batch, _EvalJob, _Problem
from forceprot.studies.optimize.mclp import _solve_mclp
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.conftest import SITES, edit_toml
from tests.helpers import assert_bad_input

runner = CliRunner()

#: Taji acceptance run: coarse enough to finish in well under a minute on 2 cores, with enough
#: salvos that the paired differences between layouts are resolved.
TAJI = dict(n_cram=2, n_patriot=1, grid_m=1000.0, salvos=4096, keep_existing=False,
            search=SearchOptions(screen_salvos=1024, refine=6))
#: The same search on a coarse grid (13 sites), a smaller screen and fewer swaps, for the default
#: tier: every step of the search and every output, in a few seconds; the acceptance run above
#: is ``slow``. The same final salvos, so a placements file reproduces either run's objective.
TAJI_SMALL = dict(TAJI, grid_m=2000.0, search=SearchOptions(screen_salvos=512, refine=2))
#: Tests of the search's bookkeeping run on both; the acceptance claims on the full run only.
BOTH = pytest.mark.parametrize("taji_result", ["small", pytest.param("acceptance",
                                                                     marks=pytest.mark.slow)],
                               indirect=True)


def _base_problem(spec: ScenarioSpec, candidates_xy: np.ndarray, objective: str = "leak_rate",
                  *, keep: bool = True) -> _Problem:
    changes: dict = {"simulation": {"precision": None, "story_salvos": 0}}
    if not keep:
        changes["defence"] = []
    base = spec.with_changes(changes)
    names = tuple(u.name for u in base.scenario().defence)
    return _Problem(base, candidates_xy, objective, names)


@pytest.fixture(scope="module")
def taji_spec() -> ScenarioSpec:
    return ScenarioSpec.from_file(SITES / "taji.toml")


@pytest.fixture(scope="module")
def taji_result(taji_spec, request):
    """Two C-RAM-class mounts and a battery placed from scratch on Camp Taji (``request.param``:
    "acceptance", TAJI, or "small", TAJI_SMALL)."""
    config = {"acceptance": TAJI, "small": TAJI_SMALL}[request.param]
    return run_optimization(plan_optimization(taji_spec, **config))


# ---------------------------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------------------------


def test_grid_candidates_lie_in_the_base_and_margin_on_the_grid(taji_spec) -> None:
    site = prepare(taji_spec.scenario()).site
    plain = grid_candidates(site, grid_m=500.0, margin_m=0.0)
    wide = grid_candidates(site, grid_m=500.0, margin_m=400.0)
    assert shapely.contains_xy(site.base, plain.xy_m[:, 0], plain.xy_m[:, 1]).all()
    region = site.base.buffer(400.0)
    assert shapely.contains_xy(region, wide.xy_m[:, 0], wide.xy_m[:, 1]).all()
    assert len(wide) > len(plain)
    # spacing: nearest neighbour exactly one grid step away (cell-centre lattice)
    d = np.hypot(*(plain.xy_m[:, None, :] - plain.xy_m[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(d.min(axis=1), 500.0, rtol=1e-9)
    # about one site per 500 m x 500 m of base area (edge cells make the count inexact)
    assert abs(len(plain) - site.base_area_m2 / 500.0 ** 2) < 0.15 * len(plain)


def test_grid_too_fine_or_too_coarse_is_an_error(taji_spec) -> None:
    site = prepare(taji_spec.scenario()).site
    with pytest.raises(ForceprotError, match="coarser grid"):
        grid_candidates(site, grid_m=20.0)
    with pytest.raises(ForceprotError, match="finer grid"):
        grid_candidates(site, grid_m=50_000.0)


def test_read_candidates_in_any_crs(tmp_path: Path, taji_spec) -> None:
    site = prepare(taji_spec.scenario()).site
    lonlat = [(44.27, 33.52), (44.28, 33.53), (44.28, 33.53)]  # a repeated point is kept once
    gdf = gpd.GeoDataFrame({"name": ["gate", "tower", "tower again"]},
                           geometry=gpd.points_from_xy(*zip(*lonlat)), crs="EPSG:4326")
    gdf.to_crs("EPSG:3857").to_file(tmp_path / "c.gpkg", driver="GPKG")
    cands = read_candidates(tmp_path / "c.gpkg", site)
    assert cands.names == ("gate", "tower")
    x, y = site.lonlat_to_xy([44.27, 44.28], [33.52, 33.53])
    np.testing.assert_allclose(cands.xy_m, np.column_stack([x, y]), atol=1e-3)  # [m]


# ---------------------------------------------------------------------------------------------
# Layouts on common random numbers
# ---------------------------------------------------------------------------------------------


def test_layout_units_are_class_defaults_appended_after_the_fixed_units(taji_spec) -> None:
    prob = _base_problem(taji_spec, np.array([[432000.0, 3710000.0], [433000.0, 3711000.0]]))
    base_prepared = prepare(prob.spec.scenario())
    base = compile_scenario(base_prepared)
    layout = (Placement("patriot", 1), Placement("cram", 0))
    prepared, c = layout_compiled(base, base_prepared, prob.candidates_xy, layout,
                                  prob.fixed_names)
    assert c.unit_names == ["C-RAM north", "C-RAM south", "Patriot battery", "opt Patriot 1",
                            "opt C-RAM 1"]
    np.testing.assert_array_equal(c.inputs.units.xy_m[:3], base.inputs.units.xy_m)
    np.testing.assert_array_equal(c.inputs.units.xy_m[3:], prob.candidates_xy[[1, 0]])
    np.testing.assert_array_equal(c.inputs.units.par[:3], base.inputs.units.par)
    # the appended rows are what compile makes of a scenario listing the same units
    kind, par = unit_parameters(prepared.scenario)
    np.testing.assert_array_equal(c.inputs.units.kind, kind)
    np.testing.assert_array_equal(c.inputs.units.par, par)
    assert prepared.scenario.defence[3].p_kill == 0.6  # Patriot-class default
    np.testing.assert_array_equal(prepared.site.unit_xy_m, c.inputs.units.xy_m)


def test_scored_layouts_skip_the_scenario_and_sample_the_same(taji_spec, monkeypatch) -> None:
    """Tasks build a layout's unit rows from the catalog classes, validating no scenario; the
    rows, the positions and every tally equal those of the validated scenario's compile."""
    from forceprot.scenario import Scenario

    xy = np.array([[432000.0, 3710000.0], [433000.0, 3711000.0], [431000.0, 3709500.0]])
    for keep in (True, False):
        prob = _base_problem(taji_spec, xy, keep=keep)
        base_prepared = prepare(prob.spec.scenario())
        base = compile_scenario(base_prepared)
        for layout in ((), (Placement("cram", 2),),
                       (Placement("patriot", 1), Placement("cram", 0), Placement("cram", 2))):
            fast = layout_units(base, base_prepared, xy, layout)
            checked_prepared, _ = layout_compiled(base, base_prepared, xy, layout,
                                                  prob.fixed_names)
            kind, par = unit_parameters(checked_prepared.scenario)
            np.testing.assert_array_equal(fast.kind, kind)
            np.testing.assert_array_equal(fast.par, par)
            np.testing.assert_array_equal(fast.xy_m, checked_prepared.site.unit_xy_m)
            assert fast.par.flags.c_contiguous and fast.xy_m.flags.c_contiguous
            assert fast.kind.dtype == np.int64 and fast.par.dtype == np.float64
    # the same salvos through both: identical tallies (the scored copy's stale `provenance` is
    # not read by the kernel or the scores)
    layout = (Placement("patriot", 1), Placement("cram", 0))
    settings = RunSettings(salvos=512, seed=5, story_salvos=512, threads=1)
    a = simulate(layout_scored_compiled(base, base_prepared, xy, layout), settings)
    b = simulate(layout_compiled(base, base_prepared, xy, layout, prob.fixed_names)[1], settings)
    for name in ("scalars", "units", "grid", "launch", "assets", "story", "story_units"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    # and a task validates no scenario once its base is compiled (cached per process)
    job = _EvalJob(prob, ((), layout), 512, 5, 1)
    expected = _evaluate_batch(job)

    def refuse(*args, **kwargs):
        raise AssertionError("a layout task validated a scenario")

    monkeypatch.setattr(Scenario, "updated", refuse)
    monkeypatch.setattr("forceprot.scenario.parse_scenario", refuse)
    assert _evaluate_batch(job) == expected


@pytest.mark.parametrize("options, fragment", [
    (dict(screen_salvos=0), "--screen-salvos = 0"),
    (dict(refine=0), "--refine = 0"),
    (dict(max_swap_rounds=0), "max_swap_rounds = 0"),
    (dict(min_gain=1.0), "--min-gain = 1.0"),
    (dict(min_gain=-0.1), "--min-gain = -0.1"),
])
def test_search_options_are_checked_when_made(options, fragment) -> None:
    with pytest.raises(ForceprotError, match=fragment):
        SearchOptions(**options)
    SearchOptions()  # the defaults are valid


def test_unit_names_skip_names_already_taken() -> None:
    layout = (Placement("cram", 3), Placement("cram", 4), Placement("patriot", 5))
    assert unit_names(layout, ("opt C-RAM 1",)) == ["opt C-RAM 2", "opt C-RAM 3", "opt Patriot 1"]


def test_a_unit_out_of_reach_changes_nothing(taji_spec) -> None:
    """Common random numbers: the fixed units keep their kill draws, so a unit that never engages
    leaves every tally exactly as it was."""
    far = np.array([[520_000.0, 3_710_000.0]])  # about 85 km east: no rocket comes near it
    prob = _base_problem(taji_spec, far)
    with_far, alone = _evaluate_batch(_EvalJob(prob, ((Placement("cram", 0),), ()), 1024, 7, 1,
                                               per_salvo=True))
    assert with_far.value == alone.value
    assert with_far.lo == alone.lo and with_far.hi == alone.hi
    np.testing.assert_array_equal(with_far.per_salvo.leaked, alone.per_salvo.leaked)


def test_per_salvo_figures_add_up_to_the_kernel_tallies(taji_spec) -> None:
    prob = _base_problem(taji_spec, np.zeros((0, 2)))
    base_prepared = prepare(prob.spec.scenario())
    base = compile_scenario(base_prepared)
    _, c = layout_compiled(base, base_prepared, prob.candidates_xy, (), prob.fixed_names)
    results = simulate(c, RunSettings(salvos=1024, seed=3, story_salvos=1024, threads=1))
    ps = per_salvo(results)
    assert len(ps.leaked) == results.salvos
    assert ps.leaked.sum() == results.rockets_leaked
    assert ps.threat.sum() == results.rockets_threatening
    assert ps.any_leak.mean() == results.p_any_leak.value
    assert ps.asset_risk.mean() == pytest.approx(results.asset_risk_per_salvo.value, rel=1e-12)


def test_paired_difference_matches_the_direct_formula() -> None:
    rng = np.random.default_rng(1)
    threat = rng.integers(0, 20, 500).astype(float)
    la = np.minimum(threat, rng.integers(0, 20, 500)).astype(float)
    lb = np.minimum(threat, la + rng.integers(0, 3, 500)).astype(float)
    a = PerSalvo(threat, la, (la > 0).astype(float), la * 0.5, la * 0.25)
    b = PerSalvo(threat, lb, (lb > 0).astype(float), lb * 0.5, lb * 0.25)
    est = paired_difference(a, b, "leak_rate")
    assert est.value == pytest.approx(la.sum() / threat.sum() - lb.sum() / threat.sum(), rel=1e-12)
    d = la - lb
    r = d.sum() / threat.sum()
    se = np.sqrt(500 / 499 * ((d - r * threat) ** 2).sum()) / threat.sum()
    assert est.hi - est.value == pytest.approx(1.959963984540054 * se, rel=1e-9)
    risk = paired_difference(a, b, "asset_risk")
    assert risk.value == pytest.approx(np.mean(0.5 * d), rel=1e-12)
    people = paired_difference(a, b, "casualties")
    assert people.value == pytest.approx(np.mean(0.25 * d), rel=1e-12)


def test_a_swap_must_gain_a_set_fraction() -> None:
    from forceprot.studies.optimize import Score
    from forceprot.studies.optimize.search import _improves

    def sc(v: float, leak: float | None = None) -> Score:
        return Score("leak_rate", v, v, v, v if leak is None else leak, 1)

    assert _improves(sc(0.80), sc(0.81), 1e-3)
    assert not _improves(sc(0.8095), sc(0.81), 1e-3)    # 0.06 % of 0.81: too small a gain
    assert _improves(sc(0.8095), sc(0.81), 0.0)
    assert not _improves(sc(0.82), sc(0.81), 0.0)
    assert _improves(sc(0.81, 0.5), sc(0.81, 0.6), 0.0)  # tie broken by the leak rate


def test_screening_ladder() -> None:
    assert screening_stages(20_000, 1024, 8) == [(1024, 32), (4096, 8)]
    assert screening_stages(4096, 1024, 8) == [(1024, 8)]
    assert screening_stages(1024, 1024, 8) == []


# ---------------------------------------------------------------------------------------------
# MCLP baseline
# ---------------------------------------------------------------------------------------------


def test_mclp_covers_the_two_demand_clusters() -> None:
    """Two clusters of demand 10 km apart and p = 2: one facility at each cluster centre, not the
    decoy between them (which covers neither within the radius)."""
    rng = np.random.default_rng(0)
    demand = np.vstack([rng.normal([0, 0], 100, (30, 2)), rng.normal([10_000, 0], 100, (30, 2))])
    sites = np.array([[5_000.0, 0.0], [0.0, 0.0], [9_000.0, 9_000.0], [10_000.0, 0.0]])
    cost = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    solver, _ = mclp_solver()
    assert sorted(_solve_mclp(cost, np.ones(60), 1_000.0, 2, "t", solver)) == [1, 3]


def test_mclp_solver_is_highs_and_prints_nothing() -> None:
    """spopt's MCLP is solved by HiGHS through highspy; the library's banner (written below
    Python, to file descriptor 1) must not reach stdout, where --json writes."""
    code = ("import numpy as np\n"
            "from forceprot.studies.optimize import mclp_solver\n"
            "from forceprot.studies.optimize.mclp import _solve_mclp\n"
            "s, name = mclp_solver()\n"
            "c = np.array([[0.0, 5.0], [5.0, 0.0]])\n"
            "picks = _solve_mclp(c, np.ones(2), 1.0, 1, 'x', s)\n"
            "import sys; sys.stderr.write(name + ' ' + str(picks))\n")
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:spopt", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("HiGHS (highspy)")


def test_envelope_radius_is_the_defended_radius_capped_by_reach() -> None:
    assert envelope_radius_m("cram") == 1_200.0      # defended radius < 1,500 m gun range
    assert envelope_radius_m("patriot") == 20_000.0  # 30 km defended radius, 20 km reach


# ---------------------------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("taji_result", ["acceptance"], indirect=True)
def test_taji_optimiser_beats_the_default_and_mclp_layouts(taji_result) -> None:
    """Default Taji layout (2 C-RAM + 1 Patriot) vs the same counts placed by the optimiser and by
    MCLP, all on the same 4,096 salvos: the optimiser's leak rate is lower than both, and the
    paired 95 % interval of the difference lies below zero."""
    r = taji_result
    default, mclp, final = r.initial_score, r.mclp_score, r.final_score
    assert final.salvos == default.salvos == mclp.salvos == TAJI["salvos"]
    assert final.value < default.value, (final.value, default.value)
    assert final.value < mclp.value, (final.value, mclp.value)
    for name in ("final_minus_initial", "final_minus_mclp"):
        d = r.comparisons[name]
        assert d.hi < 0.0, f"{name}: {d.value:+.4f} [{d.lo:+.4f}, {d.hi:+.4f}] does not exclude 0"
    # the paired differences are the differences of the unpaired estimates (same sample)
    assert r.comparisons["final_minus_mclp"].value == pytest.approx(final.value - mclp.value,
                                                                    abs=1e-12)
    assert sorted(p.kind for p in r.final_layout) == ["cram", "cram", "patriot"]
    assert len({p.site for p in r.final_layout}) == 3


@BOTH
def test_taji_steps_improve_and_the_full_run_matches(taji_result) -> None:
    r = taji_result
    steps = r.greedy_steps
    assert [s.phase for s in steps[:4]] == ["start", "greedy", "greedy", "greedy"]
    values = [s.score.value for s in steps]
    assert all(b < a for a, b in zip(values, values[1:])), values
    assert steps[0].score.value == 1.0  # no units: every threatening rocket leaks
    assert r.results.leak_rate.value == r.final_score.value
    assert r.results.compiled.unit_names == unit_names(r.final_layout, ())


@BOTH
def test_taji_placements_file_reproduces_the_objective(taji_result, tmp_path: Path) -> None:
    """The written placements, pasted into the scenario in place of its units, give the
    optimiser's leak rate when run the ordinary way."""
    from forceprot.outputs.optimize import placements_toml

    text = (SITES / "taji.toml").read_text()
    start, end = text.index("[[defence]]"), text.index("[[asset]]")
    scenario = tmp_path / "taji.toml"
    for name in ("taji.geojson", "taji_exclusions.geojson", "taji_occupancy.geojson",
                 "taji_shelters.geojson"):
        (tmp_path / name).write_bytes((SITES / name).read_bytes())
    scenario.write_text(text[:start] + placements_toml(taji_result) + "\n" + text[end:])
    from forceprot.compile import prepare_scenario

    prepared = prepare_scenario(scenario)
    results = simulate(compile_scenario(prepared), RunSettings.from_scenario(
        prepared.scenario, salvos=TAJI["salvos"], seed=42, threads=1))
    # lon/lat printed to 1e-6 deg (about 0.1 m) move the units slightly: the same up to a few
    # rockets out of the ~80,000 threatening
    assert results.leak_rate.value == pytest.approx(taji_result.final_score.value, abs=2e-4)


def test_single_mount_goes_to_the_end_the_rockets_aim_at(tmp_path: Path) -> None:
    """A long thin base (8 km x 400 m) with 90 % of the aim weight at its east end: the one
    C-RAM-class mount belongs within its defended radius (1,200 m) of that end."""
    (tmp_path / "strip.geojson").write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32638"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[430000, 3710000], [438000, 3710000],
                                                [438000, 3710400], [430000, 3710400],
                                                [430000, 3710000]]]}}]}))
    (tmp_path / "strip.toml").write_text("""
[site]
name = "strip"
boundary = "strip.geojson"
defended_margin_m = 200
[threat]
rocket = "107mm"
tubes = 6
ripple_s = 0.5
min_standoff_m = 500
max_standoff_m = 5000
aim = "assets"
aim_sigma_m = 100
[[asset]]
name = "east end"
x = 437500
y = 3710200
weight = 9
[[asset]]
name = "west end"
x = 430500
y = 3710200
weight = 1
[simulation]
salvos = 2048
seed = 11
""")
    spec = ScenarioSpec.from_file(tmp_path / "strip.toml")
    result = run_optimization(plan_optimization(spec, n_cram=1, grid_m=500.0, salvos=2048,
                                                search=SearchOptions(screen_salvos=512, refine=4)))
    (mount,) = result.placements()
    east, west = np.array([437500.0, 3710200.0]), np.array([430500.0, 3710200.0])
    xy = np.array([mount["x_m"], mount["y_m"]])
    assert np.hypot(*(xy - east)) < 1_200.0, mount
    assert np.hypot(*(xy - east)) < np.hypot(*(xy - west))
    # and it is worth having: most threatening rockets fall near it
    assert result.final_score.value < result.initial_score.value == 1.0


# ---------------------------------------------------------------------------------------------
# Outputs and the command line
# ---------------------------------------------------------------------------------------------


@BOTH
def test_outputs(taji_result, tmp_path: Path) -> None:
    out = tmp_path / "opt"
    written = write_optimization_outputs(taji_result, out)
    names = {p.name for p in written}
    assert {"placements.geojson", "placements.toml", "improvement.png", "optimize.json",
            "summary.json"} <= names
    gdf = gpd.read_file(out / "placements.geojson")
    assert gdf.crs.to_epsg() == 4326
    assert sorted(gdf["kind"]) == ["cram", "cram", "patriot"]
    assert {"name", "step", "phase", "objective_after_step", "objective_lo",
            "objective_hi"} <= set(gdf.columns)
    by_step = {int(s.index): s.score.value for s in taji_result.final_steps}
    for _, row in gdf.iterrows():
        assert row["objective_after_step"] == pytest.approx(by_step[int(row["step"])])
    assert "crs" not in json.loads((out / "placements.geojson").read_text())  # RFC 7946
    assert (out / "improvement.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "optimize.json").read_text())
    assert summary["final"]["objective"]["value"] == taji_result.final_score.value
    assert summary["mclp"]["solver"] == "HiGHS (highspy)"
    run_summary = json.loads((out / "summary.json").read_text())
    assert [u["name"] for u in run_summary["units"]] == unit_names(taji_result.final_layout, ())
    with pytest.raises(ForceprotError, match="overwrite"):
        write_optimization_outputs(taji_result, out)


def test_cli_optimize_json_is_clean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["optimize", str(SITES / "fob.toml"), "--cram", "1",
                                 "--grid-m", "400", "--salvos", "512", "--screen-salvos", "512",
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["units_placed"] == {"C-RAM": 1, "Patriot": 0, "Iron Dome": 0}
    assert summary["fixed_units"] == ["C-RAM centre"]
    assert len(summary["final"]["placements"]) == 1


def _drop_asset_layer(sites: Path) -> None:
    text = (sites / "fob.toml").read_text()
    start, end = text.index("[assets]"), text.index("[simulation]")
    (sites / "fob.toml").write_text(text[:start] + text[end:])


def _polygon_layer(sites: Path) -> Path:
    return sites / "taji.geojson"


# (id, extra args (sites) -> list, scenario name, fragments of the one error line)
BAD = [
    ("more-units-than-sites", lambda s: ["--cram", "40", "--grid-m", "2000"], "taji.toml",
     ["--cram = 40", "only 13 candidate site(s)"]),
    ("candidates-missing", lambda s: ["--cram", "1", "--candidates", str(s / "nope.geojson")],
     "taji.toml", ["nope.geojson", "--candidates", "file not found"]),
    ("candidates-not-points", lambda s: ["--cram", "1", "--candidates", str(_polygon_layer(s))],
     "taji.toml", ["taji.geojson", "--candidates", "must hold points", "Polygon"]),
    ("nothing-to-place", lambda s: [], "taji.toml", ["--cram", "nothing to place"]),
    ("unknown-objective", lambda s: ["--cram", "1", "--objective", "kills"], "taji.toml",
     ["--objective = 'kills'", "leak_rate, p_any_leak, asset_risk"]),
    ("asset-risk-without-assets",
     lambda s: (_drop_asset_layer(s), ["--cram", "1", "--objective", "asset_risk"])[1],
     "fob.toml", ["fob.toml", "asset_risk needs at least one [[asset]] or an [assets] layer"]),
    ("grid-and-candidates",
     lambda s: ["--cram", "1", "--grid-m", "500", "--candidates", str(s / "c.geojson")],
     "taji.toml", ["--grid-m", "not both"]),
    ("workers-and-scheduler",
     lambda s: ["--cram", "1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "taji.toml", ["--workers", "not both"]),
    ("bad-scenario", lambda s: ["--cram", "1"], "nope.toml", ["nope.toml", "file not found"]),
    ("unreachable-scheduler",
     lambda s: ["--cram", "1", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
     "taji.toml", ["--scheduler = 'tcp://127.0.0.1:9'", "cannot reach a dask scheduler"]),
    ("min-gain-out-of-range", lambda s: ["--cram", "1", "--min-gain", "1.5"], "taji.toml",
     ["--min-gain = 1.5", "below 1"]),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_one_line_exit_2(sites_copy: Path, tmp_path: Path, case) -> None:
    _, extra, name, fragments = case
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(sites_copy / name), *extra(sites_copy),
                                 "--salvos", "512", "--out", str(out)])
    assert_bad_input(result, *fragments)
    assert not out.exists() or not any(out.iterdir())


def test_existing_units_kept_fixed_by_default(sites_copy: Path) -> None:
    """Without --replace-existing the scenario's units stay, first, and the new one is added."""
    edit_toml(sites_copy / "fob.toml", "salvos = 10000", "salvos = 512")
    spec = ScenarioSpec.from_file(sites_copy / "fob.toml")
    plan = plan_optimization(spec, n_cram=1, grid_m=400.0,
                             search=SearchOptions(screen_salvos=512))
    assert plan.fixed_names == ("C-RAM centre",)
    result = run_optimization(plan)
    assert result.results.compiled.unit_names == ["C-RAM centre", "opt C-RAM 1"]
    # the fixed mount keeps its override (max_range_m = 1800 in fob.toml)
    assert result.prepared.scenario.defence[0].max_range_m == 1800
    assert result.final_score.value <= result.initial_score.value


@pytest.mark.slow  # about 6 s
def test_robust_score_is_the_mean_over_the_parameter_draws() -> None:
    """--robust: a layout's score is its objective averaged over the draws, each draw sampled
    on the same salvos; the plan refuses a scenario without distributions."""
    spec = ScenarioSpec.from_file(SITES / "taji_uncertain.toml")
    plan = plan_optimization(spec, n_cram=1, grid_m=2000.0, salvos=512, robust_draws=3,
                             search=SearchOptions(screen_salvos=512, refine=2))
    assert len(plan.draws) == 3 and all(plan.draws)
    names = plan.fixed_names
    layout = (Placement("cram", 0),)
    robust = _Problem(plan.base_spec, plan.candidates.xy_m, "leak_rate", names, plan.draws)
    score = _evaluate_batch(_EvalJob(robust, (layout,), 512, 7, 1))[0]
    each = [_evaluate_batch(_EvalJob(_Problem(plan.base_spec.with_changes(d),
                                              plan.candidates.xy_m, "leak_rate", names),
                                     (layout,), 512, 7, 1))[0] for d in plan.draws]
    assert score.value == pytest.approx(np.mean([s.value for s in each]), rel=1e-12)
    assert len({s.value for s in each}) > 1, "the draws must differ"
    with pytest.raises(ScenarioError, match="no uncertain parameter"):
        plan_optimization(ScenarioSpec.from_file(SITES / "taji.toml"), n_cram=1, grid_m=2000.0,
                          robust_draws=3)
