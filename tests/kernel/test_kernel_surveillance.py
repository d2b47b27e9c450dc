"""Before the salvo in the kernel: a sensor that surely finds every team prevents every salvo,
none prevents none and changes no other tally, a single sensor gives its closed form, and the
new tallies are bit-identical on one and two threads."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forceprot.kernel import tally as T
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.kernel_helpers import CX_M, CY_M, compile_data, scenario_data, square_base

SALVOS = 2 * BLOCK_SALVOS + 37
DEFENCE = [{"kind": "cram", "name": "gun", "x": CX_M, "y": CY_M}]
ASSET = [{"name": "hq", "x": CX_M + 200.0, "y": CY_M, "radius_m": 400.0}]
#: Columns the surveillance adds; every other tally must not move.
NEW_SCALARS = list(range(T.S_P_PREVENT, T.N_SCALARS))


def _compile(tmp_path, surveillance=None, launch_team=None):
    """The synthetic scenario, prepared and compiled (:func:`compile_data`)."""
    square_base(tmp_path, 1_000.0)
    data = scenario_data(tubes=6, defence=DEFENCE, asset=ASSET,
                         simulation={"salvos": SALVOS, "seed": 7, "story_salvos": 20})
    if surveillance is not None:
        data["surveillance"] = surveillance
    if launch_team is not None:
        data["launch_team"] = launch_team
    return compile_data(tmp_path, data)


def _run(compiled, threads=1):
    return simulate(compiled, RunSettings(salvos=SALVOS, seed=7, precision=None,
                                          story_salvos=20, threads=threads))


#: An all-round sensor high over the base sees the whole launch zone (2-4 km out).
def _mast(rate, **kw):
    return {"kind": "aerostat", "name": "mast", "x": CX_M, "y": CY_M, "height_m": 300.0,
            "range_m": 100_000.0, "detect_rate_per_min": rate, **kw}


def test_sure_detection_prevents_every_salvo(tmp_path) -> None:
    """P(detect) = 1 during set-up and prevent_p = 1: p_prevented is 1 exactly, and nothing
    leaks per attempted salvo."""
    prepared, compiled = _compile(
        tmp_path, [_mast(1e4)],
        {"setup": "fixed", "setup_median_min": 10.0, "approach_exposed_min": 0.0,
         "response_time_min": 0.0, "prevent_p": 1.0})
    res = _run(compiled)
    assert res.expected_leakers_per_salvo.value > 0  # the salvos would leak, were they fired
    assert res.p_prevented.value == 1.0 and res.p_prevented.as_list() == [1.0, 1.0]
    assert res.p_detect_before_fire == 1.0
    assert res.expected_leakers_per_attempted_salvo.value == 0.0
    assert res.p_any_leak_per_attempted_salvo.value == 0.0
    assert res.asset_risk_per_attempted_salvo.value == 0.0
    summary = res.summary(prepared)
    assert summary["p_prevented"] == 1.0 and summary["p_prevented_ci"] == [1.0, 1.0]


def test_no_sensor_prevents_nothing_and_changes_nothing_else(tmp_path) -> None:
    """A blind sensor (rate 0): p_prevented = 0, the per-attempted figures equal the per-salvo
    ones, and every other tally is identical to the run without surveillance."""
    plain_prepared, plain_compiled = _compile(tmp_path)
    plain = _run(plain_compiled)
    blind = _run(_compile(tmp_path, [_mast(0.0)])[1])
    assert plain.p_prevented.value == 0.0 and blind.p_prevented.value == 0.0
    assert blind.expected_leakers_per_attempted_salvo.value == \
        blind.expected_leakers_per_salvo.value
    assert blind.p_any_leak_per_attempted_salvo.value == blind.p_any_leak.value
    old = [k for k in range(T.N_SCALARS) if k not in NEW_SCALARS]
    np.testing.assert_array_equal(plain.scalars[old], blind.scalars[old])
    np.testing.assert_array_equal(plain.scalars[NEW_SCALARS], 0.0)
    for name in ("units", "grid", "assets", "warn_hist", "story", "story_units"):
        np.testing.assert_array_equal(getattr(plain, name), getattr(blind, name), err_msg=name)
    np.testing.assert_array_equal(plain.launch[:T.L_P_DETECT], blind.launch[:T.L_P_DETECT])
    assert "p_prevented" not in plain.summary(plain_prepared)
    assert "p_detect_before_fire" not in plain.launch_cells() or \
        np.all(np.nan_to_num(plain.launch_cells()["p_detect_before_fire"]) == 0.0)


def test_single_sensor_gives_its_closed_form(tmp_path) -> None:
    """One sensor seeing the whole zone at rate lambda, a fixed set-up T, approach A and
    response R: every salvo's P(prevented) is prevent_p (1 - exp(-lambda (A + T - R)))."""
    lam, setup, approach, response, prevent = 0.05, 12.0, 3.0, 4.0, 0.7
    _, compiled = _compile(tmp_path, [_mast(lam)],
                           {"setup": "fixed", "setup_median_min": setup,
                            "approach_exposed_min": approach, "response_time_min": response,
                            "prevent_p": prevent})
    res = _run(compiled)
    want = prevent * -math.expm1(-lam * (approach + setup - response))
    assert res.p_prevented.value == pytest.approx(want, rel=0, abs=1e-12)
    assert res.p_detect_before_fire == pytest.approx(-math.expm1(-lam * (approach + setup)),
                                                     rel=0, abs=1e-12)
    # every salvo fired with the same chance: leakers per attempted salvo scale exactly
    assert res.expected_leakers_per_attempted_salvo.value == pytest.approx(
        (1.0 - want) * res.expected_leakers_per_salvo.value, rel=1e-12)


def test_surveillance_tallies_do_not_depend_on_threads(tmp_path) -> None:
    """A camera and a patrol that see part of the zone: bit-identical on 1 and 2 threads."""
    _, compiled = _compile(tmp_path, [
        {"kind": "camera", "name": "cam", "x": CX_M, "y": CY_M + 1_000.0, "fov_deg": 90.0,
         "heading_deg": 0.0, "range_m": 4_000.0},
        {"kind": "patrol", "name": "pat", "speed_mps": 8.0,
         "route_lonlat": [[44.268, 33.473], [44.333, 33.474]]}])
    one, two = _run(compiled, 1), _run(compiled, 2)
    p = compiled.surveillance.p_prevent[compiled.surveillance.in_zone]
    assert p.min() == 0.0 < p.max() < 1.0  # some of the zone watched, some not
    for name in ("scalars", "units", "grid", "launch", "assets", "warn_hist"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    assert 0.0 < one.p_prevented.value < 1.0


def test_compare_weighs_a_sensor_against_no_sensor_on_the_same_salvos(tmp_path) -> None:
    """compare: a layout with a camera and one without see the same salvos, so every fired-salvo
    measure is identical and only the attempted-salvo measures move, with paired intervals."""
    from forceprot.compile import prepare
    from forceprot.scenario import parse_scenario
    from forceprot.studies.compare import compare_layouts

    square_base(tmp_path, 1_000.0)
    data = scenario_data(tubes=6, defence=DEFENCE, asset=ASSET,
                         simulation={"salvos": 4 * BLOCK_SALVOS, "seed": 7, "story_salvos": 0})
    a = prepare(parse_scenario(data, source="a.toml", path=tmp_path / "a.toml"))
    b = prepare(parse_scenario({**data, "surveillance": [_mast(0.05)]}, source="b.toml",
                               path=tmp_path / "b.toml"))
    cmp = compare_layouts(a, b)
    assert cmp.same_salvos
    for key in ("leak_rate", "p_any_leak", "expected_leakers_per_salvo"):
        assert cmp.differences[key].difference == 0.0, key
    assert cmp.differences["p_prevented"].a == 0.0
    assert cmp.differences["p_prevented"].verdict == "B higher"
    d = cmp.differences["expected_leakers_per_attempted_salvo"]
    assert d.a == cmp.differences["expected_leakers_per_salvo"].a  # A fires every salvo
    assert d.verdict == "B lower" and d.hi < 0.0


def test_people_at_risk_per_attempted_salvo(tmp_path) -> None:
    """With [people]: a sure prevention leaves nobody at risk per attempted salvo; a single
    sensor's P(prevented) p scales expected killed and P(casualty) by exactly 1 - p."""
    from forceprot.compile import compile_scenario, prepare
    from tests.kernel_helpers import people_scenario

    base = people_scenario(tmp_path, [(CX_M, CY_M, 800.0, 4_000.0)], cell_m=20.0,
                           simulation={"salvos": SALVOS, "seed": 7, "story_salvos": 0})
    team = {"setup": "fixed", "setup_median_min": 10.0, "approach_exposed_min": 0.0,
            "response_time_min": 0.0}

    def run(rate, prevent_p):
        sc = base.scenario.updated({"surveillance": [_mast(rate)],
                                    "launch_team": {**team, "prevent_p": prevent_p}})
        prepared = prepare(sc)
        return prepared, _run(compile_scenario(prepared))

    _, sure = run(1e4, 1.0)
    assert sure.expected_killed_per_salvo.value > 0.0
    assert sure.expected_killed_per_attempted_salvo.value == 0.0
    assert sure.p_casualty_per_attempted_salvo.value == 0.0
    some_prepared, some = run(0.05, 0.6)
    p = 0.6 * -math.expm1(-0.05 * 10.0)
    assert some.expected_killed_per_attempted_salvo.value == pytest.approx(
        (1.0 - p) * some.expected_killed_per_salvo.value, rel=1e-12)
    assert some.p_casualty_per_attempted_salvo.value == pytest.approx(
        (1.0 - p) * some.p_casualty.value, rel=1e-12)
    assert "expected_killed_per_attempted_salvo" in some.summary(some_prepared)
