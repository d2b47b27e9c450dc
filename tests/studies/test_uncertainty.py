"""The uncertainty study against closed forms: a uniform kill probability gives a uniform leak
rate band; two independent uncertain units give the Sobol' indices of a product; a parameter
the leak rate does not depend on gets a total index of zero; results do not depend on where the
runs ran."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.errors import ScenarioError
from forceprot.studies.executors import ScenarioSpec
from forceprot.studies.uncertainty import plan_uncertainty, run_uncertainty, uncertainty_summary
from pathlib import Path

from tests.conftest import SITES
from tests.scenario_strategies import to_toml
from tests.kernel_helpers import CX_M, CY_M, ideal_patriot, scenario_data, square_base

# Kill draws are common to every run, so one run's leak rate is 1 - p_kill up to the share of
# draws that fall on either side of p_kill in this sample: +/- a few 1/sqrt(rockets).
SALVOS = 1024
TUBES = 8


def _spec(tmp_path, defence: list[dict], **threat) -> ScenarioSpec:
    square_base(tmp_path)
    data = scenario_data(**{"tubes": TUBES, "aim_sigma_m": 250.0, "defence": defence,
                            "simulation": {"salvos": SALVOS, "seed": 5}, **threat})
    return ScenarioSpec(data=data, path=str(tmp_path / "synthetic.toml"),
                        label="synthetic.toml")


def test_uniform_kill_probability_gives_the_closed_form_band(tmp_path):
    """One ideal unit engages every inside rocket once: leak rate = 1 - p_kill. With
    p_kill ~ U(a, b) its 5th/50th/95th percentiles are 1 - b + {0.05, 0.5, 0.95} (b - a)."""
    a, b = 0.3, 0.8
    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M,
                                          {"dist": "uniform", "low": a, "high": b})])
    plan = plan_uncertainty(spec, n_base=32, salvos=SALVOS)
    result = run_uncertainty(plan)
    p = plan.values[:, 0]
    leak = result.outputs["leak_rate"]
    # run by run: within the Monte Carlo error of one run (3.3 sigma: every run shares the
    # same kill draws, so they all sit on the same side of 1 - p_kill together)
    mc = 1.7 * result.outputs["leak_rate_mc_half_width"]
    assert np.all(np.abs(leak - (1.0 - p)) <= mc), "a run's leak rate is not 1 - p_kill"
    q = result.quantiles("leak_rate")
    for key, f in (("p05", 0.95), ("p50", 0.5), ("p95", 0.05)):
        closed = 1.0 - (a + f * (b - a))
        # 64 independent Sobol' points: quantiles of a uniform within about 1/64 of the range,
        # plus one run's Monte Carlo error
        assert abs(q[key] - closed) <= (b - a) / 32 + float(mc.max()), (key, q[key], closed)


@pytest.mark.slow  # about 11 s: the default tier keeps the closed-form band and the zero index
def test_two_units_give_the_sobol_indices_of_a_product(tmp_path):
    """Leak = X1 X2 with Xi = 1 - p_i independent uniforms: S1_i = Var(Xi) E[Xj]^2 / V and
    ST_i = Var(Xi) E[Xj^2] / V with V = E[X1^2] E[X2^2] - E[X1]^2 E[X2]^2. The analytic index
    lies within each bootstrap interval (widened by a small allowance for the estimator)."""
    r1, r2 = (0.2, 0.9), (0.5, 0.7)
    spec = _spec(tmp_path, [
        ideal_patriot("u0", CX_M, CY_M, {"dist": "uniform", "low": r1[0], "high": r1[1]}),
        ideal_patriot("u1", CX_M + 10.0, CY_M, {"dist": "uniform", "low": r2[0], "high": r2[1]}),
    ])
    plan = plan_uncertainty(spec, n_base=64, salvos=512)
    result = run_uncertainty(plan)

    def moments(lo, hi):  # X = 1 - p, p ~ U(lo, hi): X ~ U(1 - hi, 1 - lo)
        x0, x1 = 1 - hi, 1 - lo
        m1 = (x0 + x1) / 2
        m2 = (x0 * x0 + x0 * x1 + x1 * x1) / 3
        return m1, m2, m2 - m1 * m1

    (m1a, m2a, va), (m1b, m2b, vb) = moments(*r1), moments(*r2)
    total = m2a * m2b - (m1a * m1b) ** 2
    expected = {"defence[0].p_kill": (va * m1b ** 2 / total, va * m2b / total),
                "defence[1].p_kill": (vb * m1a ** 2 / total, vb * m2a / total)}
    for s in result.sensitivity["leak_rate"]:
        s1, st = expected[s.name]
        slack = 0.05
        assert s.s1_ci[0] - slack <= s1 <= s.s1_ci[1] + slack, (s.name, "S1", s1, s.s1_ci)
        assert s.st_ci[0] - slack <= st <= s.st_ci[1] + slack, (s.name, "ST", st, s.st_ci)
    # the first unit's range is wider: it dominates
    by_name = {s.name: s for s in result.sensitivity["leak_rate"]}
    assert by_name["defence[0].p_kill"].st > by_name["defence[1].p_kill"].st


def test_a_parameter_the_leak_rate_ignores_gets_zero_total_index(tmp_path):
    """The alert delay moves warning times, never kills: with common random numbers its runs
    are identical in the leak rate, so its total index is 0 and its interval holds 0."""
    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M,
                                          {"dist": "uniform", "low": 0.3, "high": 0.8})],
                 alert_delay_s={"dist": "uniform", "low": 0.5, "high": 10.0})
    plan = plan_uncertainty(spec, n_base=16, salvos=512)
    result = run_uncertainty(plan)
    idle = {s.name: s for s in result.sensitivity["leak_rate"]}["warning.alert_delay_s"]
    assert idle.st == pytest.approx(0.0, abs=1e-12)
    assert idle.st_ci[0] <= 0.0 <= idle.st_ci[1] + 1e-12
    assert idle.swing_low == idle.swing_high


def test_plan_refuses_a_scenario_without_distributions_and_bad_sizes(tmp_path):
    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M, 0.5)])
    with pytest.raises(ScenarioError, match="no parameter is uncertain"):
        plan_uncertainty(spec)
    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M,
                                          {"dist": "uniform", "low": 0.3, "high": 0.8})])
    with pytest.raises(ScenarioError, match="power of two"):
        plan_uncertainty(spec, n_base=12)
    with pytest.raises(ScenarioError, match="one of"):
        plan_uncertainty(spec, method="fast")


def test_morris_screening_ranks_the_parameter_that_matters(tmp_path):
    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M,
                                          {"dist": "uniform", "low": 0.1, "high": 0.9})],
                 alert_delay_s={"dist": "uniform", "low": 0.5, "high": 10.0})
    result = run_uncertainty(plan_uncertainty(spec, method="morris", n_base=6, salvos=512))
    by_name = {s.name: s for s in result.sensitivity["leak_rate"]}
    assert by_name["defence[0].p_kill"].mu_star > 0.5  # moving p_kill across its range
    assert by_name["warning.alert_delay_s"].mu_star == pytest.approx(0.0, abs=1e-12)


def _cli_json_keys_and_files(tmp_path, scenario):
    out = tmp_path / "unc"
    res = CliRunner().invoke(app, ["uncertainty", str(scenario), "--n", "2",
                                   "--salvos", "512", "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["leak_rate_quantiles"]) == {"p05", "p50", "p95"}
    assert doc["leak_rate_quantiles"]["p05"] <= doc["leak_rate_quantiles"]["p95"]
    names = [p["name"] for p in doc["parameters"]]
    assert "defence[0].p_kill" in names
    for p in doc["parameters"]:
        assert set(p) >= {"name", "S1", "S1_ci", "ST", "ST_ci"}
    assert sorted(f.name for f in out.iterdir()) == ["uncertainty.json", "uncertainty.md",
                                                     "uncertainty.png"]
    assert "Which parameters matter" in (out / "uncertainty.md").read_text()


def test_cli_json_has_the_documented_keys_and_writes_its_files(tmp_path):
    """On a small synthetic scenario with two distributions (default tier)."""
    spec = _spec(tmp_path, [
        ideal_patriot("u0", CX_M, CY_M, {"dist": "uniform", "low": 0.3, "high": 0.8}),
        ideal_patriot("u1", CX_M + 10.0, CY_M, {"dist": "uniform", "low": 0.5, "high": 0.7})])
    path = Path(spec.path)
    path.write_text(to_toml(spec.data), encoding="utf-8")
    _cli_json_keys_and_files(tmp_path, path)


@pytest.mark.slow
def test_cli_json_on_taji_uncertain(tmp_path):
    """The bundled scenario with every kind of distribution, its rocket's included."""
    _cli_json_keys_and_files(tmp_path, SITES / "taji_uncertain.toml")


@pytest.mark.slow
def test_identical_in_process_and_on_dask(tmp_path):
    """The same plan on a local dask cluster gives bit-identical outputs and indices."""
    from forceprot.studies.executors import connect

    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M,
                                          {"dist": "uniform", "low": 0.3, "high": 0.8})],
                 aim_sigma_m={"dist": "uniform", "low": 100.0, "high": 400.0})
    plan = plan_uncertainty(spec, n_base=8, salvos=512)
    local = run_uncertainty(plan)
    with connect(workers=2) as executor:
        remote = run_uncertainty(plan, executor=executor)
    for key in local.outputs:
        np.testing.assert_array_equal(local.outputs[key], remote.outputs[key])
    assert uncertainty_summary(local)["parameters"] == uncertainty_summary(remote)["parameters"]
    assert math.isfinite(local.quantiles("leak_rate")["p50"])


def test_robust_compare_sees_the_second_unit_win_at_every_draw(tmp_path):
    """B adds a second ideal unit (p_kill 0.5): leak_B = leak_A / 2 at every draw of A's
    uncertain kill probability, so B is lower at every draw, by half of A's leak rate."""
    from forceprot.studies.uncertainty import robust_compare

    first = ideal_patriot("u0", CX_M, CY_M, {"dist": "uniform", "low": 0.3, "high": 0.8})
    spec_a = _spec(tmp_path, [first])
    spec_b = _spec(tmp_path, [first, ideal_patriot("u1", CX_M + 10.0, CY_M, 0.5)])
    result = robust_compare(spec_a, spec_b, draws=4, salvos=512)
    assert result.paths == ["defence[0].p_kill"]
    d = result.difference("leak_rate")
    # within a few Monte Carlo errors of -leak_A / 2 (the same kill draws for u0 in both)
    np.testing.assert_allclose(d, -0.5 * result.a["leak_rate"], atol=0.03)
    doc = result.summary()
    assert doc["measures"]["leak_rate"]["share_b_lower"] == 1.0
    assert doc["measures"]["leak_rate"]["share_b_higher"] == 0.0


def test_robust_compare_needs_a_distribution(tmp_path):
    from forceprot.studies.uncertainty import robust_compare

    spec = _spec(tmp_path, [ideal_patriot("u0", CX_M, CY_M, 0.5)])
    with pytest.raises(ScenarioError, match="uncertain"):
        robust_compare(spec, spec, draws=4)
