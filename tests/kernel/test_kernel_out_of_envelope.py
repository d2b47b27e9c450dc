"""Units that can never engage: every threatening rocket leaks and nothing is fired."""

from __future__ import annotations

import numpy as np
import pytest

from forceprot.kernel import tally as T
from forceprot.engage.params import OUT_NONE
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    compile_data,
    ideal_cram,
    ideal_patriot,
    scenario_data,
    square_base,
)

#: Each case differs from an ideal unit (which engages every rocket, see test_kernel_ideal_units)
#: in one parameter only, so the case isolates one way of being out of reach.
CASES = {
    # far away, defending only its own 1 km: no rocket is predicted to land near it
    "patriot far off": ideal_patriot("u", CX_M + 50_000.0, CY_M, 1.0, defended_radius_m=1_000.0),
    "cram far off": ideal_cram("u", CX_M - 30_000.0, CY_M, 1.0, defended_radius_m=1_000.0),
    # a gun whose reach is 1 m: no rocket enters its window
    "cram range 1 m": ideal_cram("u", CX_M, CY_M, 1.0, max_range_m=1.0),
    # a gun that fires only above 10 km: the 107 mm never climbs that high
    "cram above 10 km": ideal_cram("u", CX_M, CY_M, 1.0, min_height_m=10_000.0),
    # intercepts only 300-400 km away, or only above 50 km
    "patriot range band": ideal_patriot("u", CX_M, CY_M, 1.0, min_intercept_range_m=300_000.0,
                                        max_intercept_range_m=400_000.0),
    "patriot altitude band": ideal_patriot("u", CX_M, CY_M, 1.0, min_intercept_alt_m=50_000.0),
    # interceptor too slow to reach anything before impact
    "patriot slow": ideal_patriot("u", CX_M + 20_000.0, CY_M, 1.0, interceptor_speed_mps=1.0),
    # radar that sees 1 m: nothing is detected, so nothing is a candidate
    "patriot blind": ideal_patriot("u", CX_M, CY_M, 1.0, radar_range_m=1.0),
    "cram blind": ideal_cram("u", CX_M, CY_M, 1.0, sensor_range_m=1.0),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("envelope")
    square_base(tmp)
    return tmp


@pytest.mark.parametrize("case", sorted(CASES))
def test_out_of_envelope_leaks_everything(site, case):
    unit = CASES[case]
    data = scenario_data(tubes=6, defence=[unit],
                         simulation={"salvos": 1_500, "seed": 2, "story_salvos": 100})
    prepared, compiled = compile_data(site, data)
    res = simulate(compiled, RunSettings.from_scenario(prepared.scenario, threads=2))
    assert res.rockets_threatening > 0
    assert res.leak_rate.value == 1.0
    assert res.rockets_intercepted == 0
    ur = res.unit_results[0]
    assert (ur.engagements, ur.shots, ur.hits, ur.kills, ur.salvos_engaged,
            ur.salvos_exhausted) == (0, 0, 0, 0, 0, 0)
    assert np.all(res.story_units[:, 0, T.RU_OUTCOME] == OUT_NONE)
    assert np.all(np.isnan(res.story_units[:, 0, T.RU_T]))
    if "blind" in case:
        assert np.all(np.isnan(res.story_units[:, 0, T.RU_DETECT_T]))
        assert res.undetected_fraction == 1.0
