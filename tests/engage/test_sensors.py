"""First detection against closed forms: the 4/3-earth horizon, the range limit, the lowest
elevation angle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forceprot.engage.sensors import first_detection_s

#: Mean earth radius [m] (IUGG) and the standard-atmosphere effective-radius factor (Skolnik,
#: Introduction to Radar Systems, sec. 8.2): the reference's own constants.
R_EARTH_M = 6_371_000.0
K_EFF = 4.0 / 3.0
N_NODES = 4_001
#: No terrain: the (1, 1) masking table of -inf and its (unused) distance step [m].
OPEN = (np.full((1, 1), -np.inf), math.inf)


def _straight(p0, p1, n=N_NODES):
    """Nodes of a straight, constant-speed path from p0 to p1 and their fractions of the flight."""
    tau = np.linspace(0.0, 1.0, n)
    pos = np.asarray(p0, float)[None, :] + tau[:, None] * (np.asarray(p1, float)
                                                           - np.asarray(p0, float))[None, :]
    return np.ascontiguousarray(pos), tau


def _node_tol_s(tof_s, n=N_NODES):
    """The kernel places the crossing by bisection on the segment between nodes, so on these
    straight paths it is exact; one node interval is the loose bound these older tests keep
    (the exact check is :func:`test_first_detection_is_exact_on_the_segment`)."""
    return tof_s / (n - 1)


@pytest.mark.parametrize("height_m", [10.0, 100.0, 1_000.0])
def test_horizon_from_the_ground(height_m):
    """A target at height h is visible from a ground-level sensor only within
    d = sqrt(2 k R h) (a 4/3 earth); flying in from 2 d, it is first seen there."""
    d_h = math.sqrt(2.0 * K_EFF * R_EARTH_M * height_m)
    tof = 100.0
    t0 = 7.0
    pos, tau = _straight((2.0 * d_h, 0.0, height_m), (0.0, 0.0, height_m))
    t = first_detection_s(pos, t0, tof, tau, 0.0, 0.0, 0.0, 1e9, 0.0, *OPEN)
    expected = t0 + tof * (1.0 - d_h / (2.0 * d_h))
    assert t == pytest.approx(expected, abs=_node_tol_s(tof)), (
        f"h {height_m} m: seen at {t:.4f} s, horizon crossing at {expected:.4f} s")
    # flying outwards: seen from the start
    out = np.ascontiguousarray(pos[::-1])
    assert first_detection_s(out, t0, tof, tau, 0.0, 0.0, 0.0, 1e9, 0.0, *OPEN) == t0


def test_slant_range_limit():
    """At 500 m, far inside the horizon, the slant range limit alone decides."""
    rng_m, h, hs = 3_000.0, 500.0, 5.0
    tof = 20.0
    pos, tau = _straight((0.0, 6_000.0, h), (0.0, 0.0, h))  # along y, towards the sensor
    t = first_detection_s(pos, 0.0, tof, tau, 0.0, 0.0, hs, rng_m, 0.0, *OPEN)
    d = math.sqrt(rng_m**2 - (h - hs) ** 2)
    assert t == pytest.approx(tof * (1.0 - d / 6_000.0), abs=_node_tol_s(tof))


def test_lowest_elevation_angle():
    """With a lowest elevation angle a, a target at height h is seen when
    h - hs - d^2 / (2 k R) >= d tan(a) (curvature-corrected height above the beam)."""
    hs, h, a = 5.0, 300.0, math.radians(2.0)
    two_kr = 2.0 * K_EFF * R_EARTH_M
    ta = math.tan(a)
    # positive root of d^2 / 2kR + d tan(a) - (h - hs) = 0
    d = (-ta + math.sqrt(ta * ta + 4.0 * (h - hs) / two_kr)) * two_kr / 2.0
    tof = 60.0
    pos, tau = _straight((4.0 * d, 0.0, h), (0.0, 0.0, h))
    t = first_detection_s(pos, 0.0, tof, tau, 0.0, 0.0, hs, 1e9, ta, *OPEN)
    assert t == pytest.approx(tof * (1.0 - d / (4.0 * d)), abs=_node_tol_s(tof))
    # the elevation angle seen from the sensor at that distance is a, to small-angle accuracy
    elevation = math.atan2(h - hs - d * d / two_kr, d)
    assert elevation == pytest.approx(a, abs=1e-6)


def test_never_seen_is_inf():
    pos, tau = _straight((50_000.0, 0.0, 10.0), (40_000.0, 0.0, 10.0))
    assert first_detection_s(pos, 0.0, 30.0, tau, 0.0, 0.0, 0.0, 1e9, 0.0, *OPEN) == math.inf
    # in range and above the horizon, but beyond the sensor's range
    pos, tau = _straight((5_000.0, 0.0, 1_000.0), (4_000.0, 0.0, 1_000.0))
    assert first_detection_s(pos, 0.0, 30.0, tau, 0.0, 0.0, 0.0, 3_000.0, 0.0, *OPEN) == math.inf


@settings(max_examples=60, deadline=None)
@given(height_m=st.floats(5.0, 3_000.0), sensor_height_m=st.floats(0.0, 4.0),
       start_factor=st.floats(1.1, 4.0), t0=st.floats(0.0, 100.0))
def test_horizon_property(height_m, sensor_height_m, start_factor, t0):
    """Any height, any start: first seen where h - hs = d^2 / 2kR, the level-beam horizon."""
    d_h = math.sqrt(2.0 * K_EFF * R_EARTH_M * (height_m - sensor_height_m))
    tof = 50.0
    pos, tau = _straight((start_factor * d_h, 0.0, height_m), (0.0, 0.0, height_m), n=2_001)
    t = first_detection_s(pos, t0, tof, tau, 0.0, 0.0, sensor_height_m, 1e9, 0.0, *OPEN)
    assert t == pytest.approx(t0 + tof * (1.0 - 1.0 / start_factor), abs=_node_tol_s(tof, 2_001))


def test_tall_mast_looking_down_sees_to_the_joint_horizon():
    """A 200 m mast allowed to look 1 deg down sees a 50 m target out to the joint radio horizon
    sqrt(2 k R hs) + sqrt(2 k R h), and not beyond it (line of sight over a 4/3 earth)."""
    hs, h = 200.0, 50.0
    two_kr = 2.0 * K_EFF * R_EARTH_M
    d_los = math.sqrt(two_kr * hs) + math.sqrt(two_kr * h)
    tof = 100.0
    pos, tau = _straight((1.5 * d_los, 0.0, h), (0.0, 0.0, h))
    t = first_detection_s(pos, 0.0, tof, tau, 0.0, 0.0, hs, 1e9, math.tan(math.radians(-1.0)),
                          *OPEN)
    assert t == pytest.approx(tof * (1.0 - d_los / (1.5 * d_los)), abs=_node_tol_s(tof))
    # with the beam floor at the local horizontal the mast cannot see a target below it
    assert first_detection_s(pos, 0.0, tof, tau, 0.0, 0.0, hs, 1e9, 0.0, *OPEN) == math.inf


def test_masking_table_reads_the_rockets_bin_and_distance():
    """A table of 4 bins (each 90 deg counter-clockwise from east) and 3 distance columns of
    1 km: a rocket is held to the floor of its own bin and of the terrain nearer than it."""
    from forceprot.engage.sensors import masking_tan

    mask = np.full((4, 3), -np.inf)
    mask[1, 1:] = 0.05  # north-west quadrant (90-180 deg): a hill 1 km out
    mask[1, 2] = 0.10   # ... and a higher one 2 km out
    assert masking_tan(mask, 1_000.0, -1.0, 1.0, math.sqrt(2.0)) == -np.inf  # nearer than 1 km
    assert masking_tan(mask, 1_000.0, -1_000.0, 1_000.0, 1_414.0) == 0.05
    assert masking_tan(mask, 1_000.0, -3_000.0, 3_000.0, 4_243.0) == 0.10  # beyond: whole horizon
    assert masking_tan(mask, 1_000.0, 3_000.0, 3_000.0, 4_243.0) == -np.inf  # north-east
    # the open (1, 1) table is read without an azimuth
    assert masking_tan(np.full((1, 1), -np.inf), math.inf, 5.0, 5.0, 7.0) == -np.inf


def test_masking_raises_the_beam_floor_in_its_direction_only():
    """Flying in from the west under a 2 deg masking angle, the rocket is first seen where
    h - hs - d^2 / 2kR = d tan(2 deg); from the east, with nothing masking, at the 0 deg floor."""
    hs, h = 5.0, 300.0
    two_kr = 2.0 * K_EFF * R_EARTH_M
    ta = math.tan(math.radians(2.0))
    mask = np.full((8, 1), -np.inf)
    mask[4, 0] = ta  # bin 4: 180-225 deg, just south of west
    d_mask = (-ta + math.sqrt(ta * ta + 4.0 * (h - hs) / two_kr)) * two_kr / 2.0
    d_flat = math.sqrt(two_kr * (h - hs))
    tof = 60.0
    for sign, d_seen in ((-1.0, d_mask), (1.0, d_flat)):
        start = 4.0 * d_mask if sign < 0 else 1.2 * d_flat
        pos, tau = _straight((sign * start, -1.0, h), (0.0, -1.0, h))
        t = first_detection_s(pos, 0.0, tof, tau, 0.0, 0.0, hs, 1e9, 0.0, mask, 1e9)
        assert t == pytest.approx(tof * (1.0 - d_seen / start), abs=_node_tol_s(tof))


@settings(max_examples=40, deadline=None)
@given(d_m=st.floats(500.0, 30_000.0), tan_floor=st.floats(0.0, 0.3),
       n_nodes=st.sampled_from([2, 5, 33]))
def test_first_detection_is_exact_on_the_segment(d_m, tan_floor, n_nodes):
    """A rocket climbing straight up at distance d comes into view when its apparent height
    (4/3 earth) reaches the beam floor: z* = d tan + d^2 / (2 k R), in closed form. The kernel
    finds it by false position on the segment, to 2**-24 of the segment, whatever the node
    count."""
    from forceprot.engage.sensors import DETECTION_TOL_FRAC, INV_2KR

    top_m, tof_s = 20_000.0, 40.0
    tau = np.linspace(0.0, 1.0, n_nodes)
    pos = np.column_stack([np.full(n_nodes, d_m), np.zeros(n_nodes), top_m * tau])
    z_star = d_m * tan_floor + d_m * d_m * INV_2KR
    t = first_detection_s(pos, 0.0, tof_s, tau, 0.0, 0.0, 0.0, 1e9, tan_floor, *OPEN)
    segment_s = tof_s / (n_nodes - 1)
    assert t == pytest.approx(z_star / top_m * tof_s, abs=segment_s * DETECTION_TOL_FRAC)
