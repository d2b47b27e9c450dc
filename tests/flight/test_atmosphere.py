"""ISA atmosphere against published table values."""

from __future__ import annotations

import pytest

from forceprot.flight.atmosphere import (
    geopotential_altitude_m,
    isa_density_sound_speed,
    isa_temperature_pressure,
)

# U.S. Standard Atmosphere 1976, Table I (geometric altitude, metric units), identical to
# ISO 2533 / ICAO Doc 7488 below 32 km: geometric altitude [m], density [kg/m^3],
# speed of sound [m/s].
USSA76_GEOMETRIC = [
    (0.0, 1.2250, 340.29),
    (1_000.0, 1.1117, 336.43),
    (5_000.0, 0.73643, 320.55),
    (11_000.0, 0.36480, 295.15),
    (15_000.0, 0.19476, 295.07),
    (20_000.0, 0.088910, 295.07),
]
# ICAO Doc 7488 (geopotential altitude table): the tropopause at H = 11 000 m geopotential.
ICAO_TROPOPAUSE_DENSITY_KG_M3 = 0.36392
ICAO_TROPOPAUSE_PRESSURE_PA = 22_632.0
ICAO_TROPOPAUSE_SOUND_MPS = 295.07

# The tables give 5 significant figures; 1e-4 relative covers their rounding (half a unit of
# the last digit is up to 7e-5 of the value) with margin, and still catches a wrong layer,
# lapse rate or a geometric/geopotential mix-up (2e-3 at 11 km).
TABLE_RTOL = 1e-4


@pytest.mark.parametrize(("altitude_m", "density_kg_m3", "sound_mps"), USSA76_GEOMETRIC)
def test_isa_matches_standard_table(altitude_m, density_kg_m3, sound_mps):
    rho, a = isa_density_sound_speed(altitude_m)
    assert rho == pytest.approx(density_kg_m3, rel=TABLE_RTOL), (
        f"density at {altitude_m:.0f} m: {rho:.6g} kg/m^3, table {density_kg_m3}")
    assert a == pytest.approx(sound_mps, rel=TABLE_RTOL), (
        f"speed of sound at {altitude_m:.0f} m: {a:.6g} m/s, table {sound_mps}")


def test_isa_tropopause_in_geopotential_altitude():
    # geometric altitude whose geopotential altitude is exactly 11 000 m
    r0 = 6_356_766.0
    z_m = r0 * 11_000.0 / (r0 - 11_000.0)
    assert geopotential_altitude_m(z_m) == pytest.approx(11_000.0, rel=1e-12)
    t, p = isa_temperature_pressure(z_m)
    rho, a = isa_density_sound_speed(z_m)
    assert t == pytest.approx(216.65, abs=1e-9)
    assert p == pytest.approx(ICAO_TROPOPAUSE_PRESSURE_PA, rel=TABLE_RTOL)
    assert rho == pytest.approx(ICAO_TROPOPAUSE_DENSITY_KG_M3, rel=TABLE_RTOL)
    assert a == pytest.approx(ICAO_TROPOPAUSE_SOUND_MPS, rel=TABLE_RTOL)


def test_isa_is_continuous_at_layer_boundaries():
    r0 = 6_356_766.0
    for h_m in (11_000.0, 20_000.0, 32_000.0):
        z_m = r0 * h_m / (r0 - h_m)
        below = isa_temperature_pressure(z_m - 1e-6)
        above = isa_temperature_pressure(z_m + 1e-6)
        # 1e-6 m apart: any jump larger than 1e-8 relative is a discontinuity, not a slope
        assert above[0] == pytest.approx(below[0], rel=1e-8), f"temperature jumps at {h_m} m"
        assert above[1] == pytest.approx(below[1], rel=1e-8), f"pressure jumps at {h_m} m"


def test_isa_holds_32km_values_above():
    assert isa_density_sound_speed(40_000.0) == isa_density_sound_speed(60_000.0)
