"""A crew that aims off for the wind puts the nominal rocket on the target."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.flight.family import elevation_index, family_impact, lay_for_wind
from tests.conftest import SITES

# Tolerance: the fixed-point laying converges to well under a metre; 0.2 % of range leaves room
# for the clipping of the table at the ends of the elevation grid.
TOL_FRAC = 0.002


@pytest.fixture(scope="module")
def compiled_wind():
    """Taji, with its 4 m/s north-westerly."""
    return compile_scenario(prepare_scenario(SITES / "taji.toml"))


@pytest.mark.parametrize("range_m", [1500.0, 3000.0, 5000.0, 6500.0])
@pytest.mark.parametrize("heading_deg", [0.0, 45.0, 130.0, 225.0, 300.0])
def test_lay_for_wind_hits_target(compiled_wind, range_m, heading_deg) -> None:
    c = compiled_wind
    h = math.radians(heading_deg)
    family, wind_to_rad = c.inputs.family, c.inputs.salvo.wind_to_rad
    r_lay, h_lay = lay_for_wind(family, wind_to_rad, range_m, h)
    fe = elevation_index(family.range_nowind_m, r_lay)
    down, left, _ = family_impact(family, fe, wind_to_rad - h_lay)
    x = math.cos(h_lay) * down - math.sin(h_lay) * left
    y = math.sin(h_lay) * down + math.cos(h_lay) * left
    miss = math.hypot(x - range_m * math.cos(h), y - range_m * math.sin(h))
    assert miss <= TOL_FRAC * range_m, f"missed by {miss:.1f} m at {range_m:.0f} m"


def test_uncorrected_wind_moves_the_impact(compiled_wind) -> None:
    """Without the correction the same laying misses: the correction is doing real work."""
    c = compiled_wind
    fe = elevation_index(c.inputs.family.range_nowind_m, 5000.0)
    misses = []
    for h in np.linspace(0, 2 * math.pi, 8, endpoint=False):
        down, left, _ = family_impact(c.inputs.family, fe, c.inputs.salvo.wind_to_rad - h)
        misses.append(math.hypot(down - 5000.0, left))
    assert max(misses) > 20.0
