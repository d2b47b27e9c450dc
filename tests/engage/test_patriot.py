"""Batteries: the earliest intercept against root-finding on the exact reach condition, and one
battery's timeline (launch times, magazine, doctrines) through small hand-made salvos."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from forceprot.engage import params as P
from forceprot.engage.patriot import _out_of_reach, _segment_intercept, earliest_intercept_s
from forceprot.engage.state import Flights
from tests.engage.timeline import fight, summary

N_NODES = 2_001


def _line(p0, p1, n=N_NODES):
    tau = np.linspace(0.0, 1.0, n)
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    return np.ascontiguousarray(p0[None, :] + tau[:, None] * (p1 - p0)[None, :]), tau


def _tol_s(tof, n=N_NODES):
    """The kernel interpolates the intercept margin linearly between nodes: the crossing it
    returns is within one node interval of the exact one."""
    return tof / (n - 1)


def _reference_intercept(p0, p1, t0, tof, bx, by, t_launch, speed, rmin=0.0, rmax=1e9,
                         amin=-1e9, amax=1e9, n_scan=20_001):
    """First t >= t_launch in the flight with the target inside the envelope and
    speed * (t - t_launch) >= distance, on the exact straight path (dense scan + brentq)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)

    def margin(t):
        t = np.asarray(t, float)
        xyz = p0 + ((t - t0) / tof)[..., None] * (p1 - p0)
        ground = np.hypot(xyz[..., 0] - bx, xyz[..., 1] - by)
        z = xyz[..., 2]
        reach = speed * (t - t_launch) - np.sqrt(ground * ground + z * z)
        return np.minimum.reduce([ground - rmin, rmax - ground, z - amin, amax - z, reach])

    start = max(t0, t_launch)
    ts = np.linspace(start, t0 + tof, n_scan)
    g = margin(ts)
    ok = np.flatnonzero(g >= 0.0)
    if ok.size == 0:
        return math.inf
    k = ok[0]
    if k == 0:
        return float(ts[0])
    return brentq(lambda t: float(margin(t)), ts[k - 1], ts[k], xtol=1e-12)


def _closed_form_reach(p0, v, t0, t_launch, speed):
    """Root of |p0 + v (t - t0)| = speed (t - t_launch) for a battery at the origin: the
    quadratic (|v|^2 - s^2) t^2 + 2 (a.v + s^2 tL) t + |a|^2 - s^2 tL^2 = 0, a = p0 - v t0."""
    a = np.asarray(p0, float) - np.asarray(v, float) * t0
    v = np.asarray(v, float)
    qa = v @ v - speed**2
    qb = 2.0 * (a @ v + speed**2 * t_launch)
    qc = a @ a - speed**2 * t_launch**2
    roots = np.roots([qa, qb, qc])
    roots = roots[np.isreal(roots)].real
    return float(min(r for r in roots if r >= t_launch))


def test_reach_matches_closed_form():
    """A rocket flying straight in at 400 m/s, an interceptor at 1 km/s: intercept where the
    interceptor's flyout distance equals the rocket's range from the battery."""
    p0, p1, t0, tof = (15_000.0, 3_000.0, 2_000.0), (1_000.0, -500.0, 0.0), 4.0, 40.0
    pos, tau = _line(p0, p1)
    v = (np.asarray(p1) - np.asarray(p0)) / tof
    for t_launch in (4.0, 9.3, 10.0, 0.0):  # at, between, on a node, before the rocket launch
        t = earliest_intercept_s(pos, t0, tof, tau, 0.0, 0.0, t_launch, 1_000.0, 0.0, 1e9,
                                 -1e9, 1e9)
        expected = _closed_form_reach(p0, v, t0, t_launch, 1_000.0)
        assert expected > t0
        assert t == pytest.approx(expected, abs=_tol_s(tof)), f"launch at {t_launch} s"


@pytest.mark.parametrize(("rmin", "rmax", "amin", "amax"), [
    (0.0, 1e9, 0.0, 1_200.0),        # must wait for the rocket to come down to 1.2 km
    (0.0, 8_000.0, 0.0, 1e9),        # ... and inside 8 km ground range
    (4_000.0, 1e9, 500.0, 1e9),      # too late: by then it is inside 4 km or below 500 m
    (0.0, 1e9, 1_800.0, 1e9),        # only above 1.8 km: early in the path, before the reach
])
def test_envelope_limits(rmin, rmax, amin, amax):
    p0, p1, t0, tof = (15_000.0, 0.0, 2_000.0), (500.0, 0.0, 0.0), 0.0, 40.0
    pos, tau = _line(p0, p1)
    for t_launch in (0.0, 12.0, 25.0):
        t = earliest_intercept_s(pos, t0, tof, tau, 0.0, 0.0, t_launch, 1_000.0, rmin, rmax,
                                 amin, amax)
        ref = _reference_intercept(p0, p1, t0, tof, 0.0, 0.0, t_launch, 1_000.0, rmin, rmax,
                                   amin, amax)
        if ref == math.inf:
            assert t == math.inf
        else:
            assert t == pytest.approx(ref, abs=_tol_s(tof))


@settings(max_examples=80, deadline=None)
@given(x0=st.floats(3_000.0, 30_000.0), y0=st.floats(-5_000.0, 5_000.0),
       z0=st.floats(200.0, 5_000.0), bx=st.floats(-3_000.0, 3_000.0),
       by=st.floats(-3_000.0, 3_000.0), speed=st.floats(600.0, 2_000.0),
       frac=st.floats(0.0, 0.9), t0=st.floats(0.0, 20.0))
def test_intercept_property(x0, y0, z0, bx, by, speed, frac, t0):
    """Random straight approaches, battery positions, speeds and launch times (rocket speed at
    most 30 km / 50 s = 600 m/s, so the interceptor, at >= 600 m/s, gains on it)."""
    p0, p1, tof = (x0, y0, z0), (0.0, 0.0, 0.0), 50.0
    pos, tau = _line(p0, p1, n=1_001)
    t_launch = t0 + frac * tof
    t = earliest_intercept_s(pos, t0, tof, tau, bx, by, t_launch, speed, 0.0, 1e9, 0.0, 1e9)
    ref = _reference_intercept(p0, p1, t0, tof, bx, by, t_launch, speed, amin=0.0,
                               n_scan=4_001)
    if ref == math.inf:
        assert t == math.inf
    else:
        assert t == pytest.approx(ref, abs=_tol_s(tof, 1_001))


# ------------------------------------------------------------------------------- timeline
TOF = 40.0
P0 = (15_000.0, 0.0, 2_000.0)
P1 = (500.0, 0.0, 0.0)
SPEED = 1_000.0


def _par(*, doctrine=P.DOCTRINE_SINGLE, missiles=10, reaction_s=3.0, interval_s=2.0,
         assess_s=3.0, p_kill=0.6, rmax=1e6):
    par = np.zeros(P.N_PAR)
    par[P.P_REACTION_S] = reaction_s
    par[P.P_KILL] = p_kill
    par[P.P_SAM_SPEED_MPS] = SPEED
    par[P.P_SAM_MIN_RANGE_M] = 0.0
    par[P.P_SAM_MAX_RANGE_M] = rmax
    par[P.P_SAM_MIN_ALT_M] = 0.0
    par[P.P_SAM_MAX_ALT_M] = 1e5
    par[P.P_SAM_MISSILES] = missiles
    par[P.P_SAM_LAUNCH_INTERVAL_S] = interval_s
    par[P.P_SAM_DOCTRINE] = doctrine
    par[P.P_SAM_ASSESS_S] = assess_s
    return par


def _salvo(t0s, far=()):
    """Rockets on the same straight path, launched at t0s; rockets in ``far`` fly 100 km away."""
    n = len(t0s)
    pos = np.zeros((n, N_NODES, 3))
    for i in range(n):
        off = np.array([0.0, 100_000.0, 0.0]) if i in far else np.zeros(3)
        pos[i], tau = _line(np.add(P0, off), np.add(P1, off))
    return pos, tau, np.asarray(t0s, float), np.full(n, TOF)


def _run(par, t0s, t_detect, draws, order=None, candidate=None, far=()):
    pos, tau, t0, tof = _salvo(t0s, far)
    n = len(t0s)
    order = np.arange(n, dtype=np.int64) if order is None else np.asarray(order, np.int64)
    stats, eng = fight([P.KIND_BATTERY], [par], order, t_track=t_detect, u_kill=draws,
                       candidate=candidate, flights=Flights(pos, t0, tof, tau))
    return (summary(stats), eng.eng_t_s[:, 0], eng.eng_outcome[:, 0], eng.eng_shots[:, 0],
            eng.t_kill_s[:, 0])


def _ref(t0, t_launch):
    return _reference_intercept(P0, P1, t0, TOF, 0.0, 0.0, t_launch, SPEED, amin=0.0)


TOL = _tol_s(TOF)


def test_single_doctrine_and_empty_magazine():
    """Seen 5 s after launch, 3 s reaction: first launch at 8 s, then every 2 s; two missiles
    for three rockets: the third is left and the magazine counts as exhausted."""
    stats, t, out, shots, tk = _run(_par(missiles=2), [0.0, 1.0, 2.0], [5.0, 6.0, 7.0],
                                    [(0.5, 0.0), (0.7, 0.0), (0.1, 0.0)])
    assert stats == (2, 1, 2, 1)
    np.testing.assert_allclose(t[:2], [_ref(0.0, 8.0), _ref(1.0, 10.0)], atol=TOL)
    assert math.isnan(t[2])
    np.testing.assert_array_equal(out, [P.OUT_KILL, P.OUT_MISS, P.OUT_NONE])
    np.testing.assert_array_equal(shots, [1, 1, 0])
    assert tk[0] == t[0] and tk[1] == math.inf


def test_predicted_impact_order_is_followed():
    """Order (2, 0, 1): rocket 2 is served first and launched on at its track (7 s). Launch
    slots are events, not a queue: rocket 0, tracked at 5 s, still gets the slot at 5 s (2 s
    clear of 7 s), and rocket 1, tracked at 6 s, the first slot 2 s clear of both: 9 s."""
    stats, t, _, _, _ = _run(_par(missiles=10, reaction_s=0.0), [0.0, 1.0, 2.0],
                             [5.0, 6.0, 7.0], [(0.9, 0.9)] * 3, order=[2, 0, 1])
    np.testing.assert_allclose(t, [_ref(0.0, 5.0), _ref(1.0, 9.0), _ref(2.0, 7.0)], atol=TOL)


def test_ripple2_fires_two_and_the_odd_missile_last():
    """Ripple: the second interceptor interval_s after the first. Three missiles: rocket 0 gets
    two (8 s, 10 s), rocket 1 the last one (12 s), rocket 2 none."""
    stats, t, out, shots, tk = _run(_par(doctrine=P.DOCTRINE_RIPPLE2, missiles=3),
                                    [0.0, 1.0, 2.0], [5.0, 6.0, 7.0],
                                    [(0.8, 0.1), (0.3, 0.0), (0.0, 0.0)])
    assert stats == (2, 2, 3, 1)
    np.testing.assert_array_equal(shots, [2, 1, 0])
    np.testing.assert_array_equal(out, [P.OUT_KILL, P.OUT_KILL, P.OUT_NONE])
    # eng_t is the first intercept; rocket 0 dies at the second (first draw missed)
    np.testing.assert_allclose(t[:2], [_ref(0.0, 8.0), _ref(1.0, 12.0)], atol=TOL)
    assert tk[0] == pytest.approx(_ref(0.0, 10.0), abs=TOL)
    assert tk[1] == t[1]


def test_ripple2_kill_time_is_the_earliest_successful_intercept():
    _, t, _, shots, tk = _run(_par(doctrine=P.DOCTRINE_RIPPLE2), [0.0], [5.0], [(0.1, 0.1)])
    assert shots[0] == 2 and tk[0] == t[0]


def test_shoot_look_shoot_fires_again_only_after_a_miss():
    """Rocket 0's first interceptor misses: a second leaves assess_s after the intercept attempt
    (later than the 2 s launch interval) and kills. The battery does not wait for it: rocket 1
    gets the next launch slot (10 s), whose interceptor kills: no second."""
    par = _par(doctrine=P.DOCTRINE_SHOOT_LOOK_SHOOT, assess_s=3.0)
    stats, t, out, shots, tk = _run(par, [0.0, 1.0], [5.0, 6.0], [(0.9, 0.2), (0.2, 0.0)])
    i0 = _ref(0.0, 8.0)
    second = i0 + 3.0
    assert second > 8.0 + 2.0
    assert stats == (2, 2, 3, 0)
    np.testing.assert_array_equal(shots, [2, 1])
    np.testing.assert_array_equal(out, [P.OUT_KILL, P.OUT_KILL])
    assert t[0] == pytest.approx(i0, abs=TOL)
    assert tk[0] == pytest.approx(_ref(0.0, second), abs=TOL)
    assert second >= 10.0 + 2.0  # the second shot's slot is clear of rocket 1's launch
    assert t[1] == pytest.approx(_ref(1.0, 10.0), abs=TOL)
    assert tk[1] == t[1]


def test_shoot_look_shoot_two_misses():
    par = _par(doctrine=P.DOCTRINE_SHOOT_LOOK_SHOOT)
    stats, _, out, shots, tk = _run(par, [0.0], [5.0], [(0.9, 0.9)])
    assert stats == (1, 0, 2, 0) and shots[0] == 2 and out[0] == P.OUT_MISS
    assert tk[0] == math.inf


def test_unreachable_and_non_candidates_cost_nothing():
    """Rocket 0 flies 100 km away (outside the 50 km envelope): no missile is spent on it;
    rocket 1 is not a candidate; rocket 2 gets the first launch."""
    stats, t, out, shots, _ = _run(_par(missiles=1, rmax=50_000.0), [0.0, 1.0, 2.0],
                                   [5.0, 6.0, 7.0], [(0.0, 0.0)] * 3,
                                   candidate=[True, False, True], far=(0,))
    assert stats == (1, 1, 1, 0)
    np.testing.assert_array_equal(out, [P.OUT_NONE, P.OUT_NONE, P.OUT_KILL])
    assert t[2] == pytest.approx(_ref(2.0, 8.0), abs=TOL)


def test_nothing_detected_nothing_done():
    stats, t, out, _, _ = _run(_par(), [0.0, 1.0], [math.inf, math.inf], [(0.0, 0.0)] * 2)
    assert stats == (0, 0, 0, 0) and np.all(out == P.OUT_NONE)


# ------------------------------------------------------------------ passing over segments
def _search_every_segment(pos, t0, tof, tau, bx, by, t_launch, speed, rmin, rmax, amin, amax):
    """The intercept search with no segment passed over: every segment from the first,
    solved exactly (what :func:`earliest_intercept_s` must return, to the bit)."""
    if t_launch >= t0 + tof:
        return math.inf
    for k in range(pos.shape[0] - 1):
        t_k = t0 + tau[k] * tof
        t_k1 = t0 + tau[k + 1] * tof
        if t_k1 < t_launch:
            continue
        s = _segment_intercept(pos, k, t_k, t_k1, bx, by, t_launch, speed, rmin, rmax, amin,
                               amax)
        if s <= 1.0:
            return t_k + s * (t_k1 - t_k)
    return math.inf


def _arc(x0, y0, z_top, n=33):
    """A rocket's path to the origin: a straight ground track from (x0, y0), a parabola in
    height (nodes uniform in time, like the kernel's)."""
    tau = np.linspace(0.0, 1.0, n)
    pos = np.empty((n, 3))
    pos[:, 0] = x0 * (1.0 - tau)
    pos[:, 1] = y0 * (1.0 - tau)
    pos[:, 2] = 4.0 * z_top * tau * (1.0 - tau)
    return pos, tau


@settings(max_examples=150, deadline=None)
@given(x0=st.floats(2_000.0, 40_000.0), y0=st.floats(-8_000.0, 8_000.0),
       z_top=st.floats(300.0, 12_000.0), bx=st.floats(-5_000.0, 5_000.0),
       by=st.floats(-5_000.0, 5_000.0), speed=st.floats(300.0, 3_000.0),
       frac=st.floats(-0.2, 0.95), tof=st.floats(20.0, 120.0),
       envelope=st.sampled_from([(0.0, 1e9, 0.0, 1e9), (3_000.0, 30_000.0, 50.0, 20_000.0),
                                 (0.0, 1e9, 1_500.0, 1e9), (0.0, 5_000.0, 0.0, 1e9)]))
def test_passing_over_out_of_reach_segments_changes_nothing(x0, y0, z_top, bx, by, speed,
                                                            frac, tof, envelope):
    """Segments the search passes over without solving (out of the interceptor's reach) hold
    no intercept: the result is the same, to the bit, as solving every segment."""
    pos, tau = _arc(x0, y0, z_top)
    t0 = 3.0
    t_launch = t0 + frac * tof
    got = earliest_intercept_s(pos, t0, tof, tau, bx, by, t_launch, speed, *envelope)
    want = _search_every_segment(pos, t0, tof, tau, bx, by, t_launch, speed, *envelope)
    assert got == want or (math.isnan(got) and math.isnan(want))


@settings(max_examples=300, deadline=None)
@given(x0=st.floats(-20_000.0, 20_000.0), y0=st.floats(-20_000.0, 20_000.0),
       z0=st.floats(0.0, 10_000.0), dx=st.floats(-3_000.0, 3_000.0),
       dy=st.floats(-3_000.0, 3_000.0), dz=st.floats(-3_000.0, 3_000.0),
       slack_m=st.floats(-50.0, 50.0))
def test_out_of_reach_is_never_wrong(x0, y0, z0, dx, dy, dz, slack_m):
    """A segment ruled out of reach has no point within the reach (checked on 2,001 points of
    it), with reaches drawn around the segment's true closest distance."""
    pos = np.array([[x0, y0, z0], [x0 + dx, y0 + dy, max(z0 + dz, 0.0)]])
    s = np.linspace(0.0, 1.0, 2_001)[:, None]
    closest_m = float(np.min(np.linalg.norm(pos[0] + s * (pos[1] - pos[0]), axis=1)))
    reach_m = max(closest_m + slack_m, 0.0)
    if _out_of_reach(pos, 0, 0.0, 0.0, reach_m):
        assert closest_m > reach_m
    # and a segment that passes through the battery's reach is never ruled out
    assert not _out_of_reach(pos, 0, 0.0, 0.0, closest_m + 1.0)
