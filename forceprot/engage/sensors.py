"""When a sensor first sees a rocket: range, the radar horizon over a 4/3 earth, terrain masking."""

from __future__ import annotations

import math

from forceprot.jit import njit_inner


#: Mean earth radius [m] (IUGG).
EARTH_RADIUS_M = 6_371_000.0
#: Effective earth-radius factor for radar propagation in a standard atmosphere (4/3 earth;
#: Skolnik, Introduction to Radar Systems, 3rd ed., sec. 8.2).
K_EFFECTIVE = 4.0 / 3.0
INV_2KR = 1.0 / (2.0 * K_EFFECTIVE * EARTH_RADIUS_M)


TWO_PI = 2.0 * math.pi
#: Most refinement steps (false position, Illinois variant) that place a first detection on the
#: straight segment between two nodes; they stop once the bracket is narrower than
#: :data:`DETECTION_TOL_FRAC` of the segment.
DETECTION_REFINEMENTS = 12
#: Bisection steps after them, where false position stalls on a kink of the margin.
DETECTION_BISECTIONS = 24
#: Width of the final bracket, as a fraction of the segment (2**-24: under a microsecond of
#: flight for the kernel's segments).
DETECTION_TOL_FRAC = 2.0 ** -24
#: ... or once the margin at the estimate is within this of zero [m].
DETECTION_TOL_M = 1e-7


@njit_inner
def masking_tan(mask_tan, step_m, dx, dy, d):
    """Tangent of the terrain masking angle towards a point, from a unit's horizon table.

    Parameters
    ----------
    mask_tan : ndarray, float64, shape (n_az, n_r)
        ``mask_tan[b, j]``: the highest apparent elevation tangent (4/3 earth) of the terrain in
        azimuth bin ``b`` (bin ``b`` covers ``[b, b + 1) * 2 pi / n_az`` rad counter-clockwise
        from +x) at ground distances up to ``j * step_m``; -inf where nothing masks. A (1, 1)
        table is the open horizon and is read without computing the azimuth.
    step_m : float
        Distance step of the table's columns [m].
    dx, dy, d : float
        Point minus unit, and its ground distance [m].
    """
    n_az = mask_tan.shape[0]
    n_r = mask_tan.shape[1]
    if n_az == 1 and n_r == 1:
        return mask_tan[0, 0]
    a = math.atan2(dy, dx)
    if a < 0.0:
        a += TWO_PI
    b = int(a * (n_az / TWO_PI))
    if b >= n_az:
        b = n_az - 1
    j = int(d / step_m)
    if j >= n_r:
        j = n_r - 1
    return mask_tan[b, j]


@njit_inner
def _beam_margin_m(x, y, z, ux, uy, sensor_height_m, range_m, tan_min_elevation, mask_tan,
                   step_m):
    dx = x - ux
    dy = y - uy
    d2 = dx * dx + dy * dy
    d = math.sqrt(d2)
    dz = z - sensor_height_m
    slant = math.sqrt(d2 + dz * dz)
    apparent = z - d2 * INV_2KR - sensor_height_m
    floor = max(tan_min_elevation, masking_tan(mask_tan, step_m, dx, dy, d))
    return min(range_m - slant, apparent - d * floor)


@njit_inner
def _line_of_sight_margin_m(x, y, z, ux, uy, sensor_height_m):
    d = math.sqrt((x - ux) ** 2 + (y - uy) ** 2)
    return (math.sqrt(max(sensor_height_m, 0.0) / INV_2KR)
            + math.sqrt(max(z, 0.0) / INV_2KR)) - d


@njit_inner
def detection_margin_m(x, y, z, ux, uy, sensor_height_m, range_m, tan_min_elevation, mask_tan,
                       step_m):
    """How far inside the sensor's coverage a point is [m]; >= 0 means visible.

    The point is visible when its slant range is at most ``range_m``, it stands above the
    sensor's lowest elevation angle (measured from the antenna's local horizontal, heights
    corrected for earth curvature on a 4/3 earth; a negative angle lets a tall mast look down)
    and above the terrain masking angle in its direction (``mask_tan``, ``step_m``: see
    :func:`masking_tan`), and the line of sight clears the earth: ground distance at most
    ``sqrt(2 k R h_sensor) + sqrt(2 k R z)``. ``sensor_height_m`` is the antenna's height above
    the site's ground altitude [m] (the unit's ground plus its mast).
    """
    margin = _beam_margin_m(x, y, z, ux, uy, sensor_height_m, range_m, tan_min_elevation,
                            mask_tan, step_m)
    if tan_min_elevation < 0.0:
        # Looking down, the beam floor no longer implies a clear line of sight. (With a floor
        # at or above the horizontal it does, so the extra term is left out.)
        margin = min(margin, _line_of_sight_margin_m(x, y, z, ux, uy, sensor_height_m))
    return margin


@njit_inner
def first_detection_s(pos, t0_s, tof_s, tau, ux, uy, sensor_height_m, range_m, tan_min_elevation,
                      mask_tan, step_m):
    """Time a sensor first sees a rocket, or +inf.

    Parameters
    ----------
    pos : ndarray, float64, shape (n_nodes, 3)
        Rocket positions at the flight's nodes, world frame [m].
    t0_s, tof_s : float
        Launch time [s] and time of flight [s]; node k is at ``t0_s + tau[k] * tof_s``.
    tau : ndarray, float64, shape (n_nodes,)
        Node times as fractions of the flight.
    ux, uy : float
        Sensor position [m].
    sensor_height_m, range_m, tan_min_elevation : float
        Antenna height above the site's ground altitude [m], detection range [m], tangent of the
        lowest elevation seen.
    mask_tan : ndarray, float64, shape (n_az, n_r)
        The unit's terrain masking table (see :func:`masking_tan`); ``[[-inf]]`` for none.
    step_m : float
        Distance step of ``mask_tan`` [m].

    Notes
    -----
    The first node at which the rocket is visible is found by scanning the nodes; the moment it
    comes into view is then found by false position on the straight segment from the node
    before (:data:`DETECTION_REFINEMENTS`, :data:`DETECTION_TOL_FRAC`), so it is exact on the
    kernel's path where the margin is smooth (to :data:`DETECTION_TOL_M` of margin or
    :data:`DETECTION_TOL_FRAC` of the segment); across a masking table's bin edge the bracket
    still shrinks, to well within the segment. A rocket that comes into view and leaves it again between two nodes
    is not seen (the margin is tested at the nodes); rockets climb into a sensor's coverage, so
    this matters only at the edge of its range.
    """
    looks_down = tan_min_elevation < 0.0  # decided once, not per node
    prev = -1.0
    for k in range(pos.shape[0]):
        g = _beam_margin_m(pos[k, 0], pos[k, 1], pos[k, 2], ux, uy, sensor_height_m, range_m,
                           tan_min_elevation, mask_tan, step_m)
        if looks_down:
            g = min(g, _line_of_sight_margin_m(pos[k, 0], pos[k, 1], pos[k, 2], ux, uy,
                                               sensor_height_m))
        if g >= 0.0:
            if k == 0:
                return t0_s
            # false position on the chord, bracket [lo, hi]: g(lo) < 0 <= g(hi); the Illinois
            # rule halves a stale end's value so that both ends move (a smooth margin
            # converges in a few steps; a masking bin edge still shrinks the bracket)
            lo = 0.0
            hi = 1.0
            g_lo = prev
            g_hi = g
            side = 0
            for step in range(DETECTION_REFINEMENTS + DETECTION_BISECTIONS):
                if hi - lo <= DETECTION_TOL_FRAC:
                    break
                if step < DETECTION_REFINEMENTS:
                    mid = (lo * g_hi - hi * g_lo) / (g_hi - g_lo)
                    if not (lo < mid < hi):
                        mid = 0.5 * (lo + hi)
                else:
                    # a kink (a mast looking down, a masking bin edge) can stall false
                    # position: plain bisection finishes the bracket
                    mid = 0.5 * (lo + hi)
                x = pos[k - 1, 0] + mid * (pos[k, 0] - pos[k - 1, 0])
                y = pos[k - 1, 1] + mid * (pos[k, 1] - pos[k - 1, 1])
                z = pos[k - 1, 2] + mid * (pos[k, 2] - pos[k - 1, 2])
                gm = _beam_margin_m(x, y, z, ux, uy, sensor_height_m, range_m,
                                    tan_min_elevation, mask_tan, step_m)
                if looks_down:
                    gm = min(gm, _line_of_sight_margin_m(x, y, z, ux, uy, sensor_height_m))
                if abs(gm) <= DETECTION_TOL_M:
                    hi = mid
                    break
                if gm >= 0.0:
                    hi = mid
                    g_hi = gm
                    if side == 1:
                        g_lo *= 0.5
                    side = 1
                else:
                    lo = mid
                    g_lo = gm
                    if side == -1:
                        g_hi *= 0.5
                    side = -1
            return t0_s + tof_s * (tau[k - 1] + hi * (tau[k] - tau[k - 1]))
        prev = g
    return math.inf


@njit_inner
def salvo_first_detection_s(t_detect, u):
    """When unit ``u`` first detects any rocket of the salvo [s] (inf if none).

    ``t_detect`` is float64 of shape (n_rockets, n_units). A unit's reaction clock starts here.
    """
    first = math.inf
    for i in range(t_detect.shape[0]):
        if t_detect[i, u] < first:
            first = t_detect[i, u]
    return first
