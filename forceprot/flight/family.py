"""Trajectory families: precomputed flights on an (elevation, relative wind azimuth) grid.

Only numpy and numba. The Monte Carlo kernel never integrates a flight: it interpolates one
from a family built once per (rocket class, wind speed, ground altitude).

Layout (all float64, C-contiguous):

- ``node_pos_m[i, j, k, :]``: position ``(downrange, left, up)`` in the flight frame [m] of the
  flight at grid elevation ``i`` and relative wind azimuth ``j``, at time ``tau_k * tof``,
  ``tau_k = k / (n_nodes - 1)``; node 0 is the muzzle, the last node the impact (up = 0);
- ``node_vel_mps[i, j, k, :]``: velocity at the same node [m/s];
- ``tof_s[i, j]``: time of flight [s].

Grid elevation ``i`` is ``elevation_min_rad + i * elevation_step_rad``; relative wind azimuth
``j`` is ``j * relaz_step_rad`` with ``relaz_step_rad = 2 pi / n_relaz``. The relative wind
azimuth is the direction the wind blows toward minus the firing direction (both
counter-clockwise), so the wind in the flight frame is ``w (cos relaz, sin relaz, 0)``.

Accuracy
--------
The kernel blends the four corner flights bilinearly in (elevation, relaz) (:func:`blend_weights`,
the one blend every caller uses) and treats the path as **piecewise linear in time** between the
33 nodes: engagement windows and detection crossings are interpolated linearly between nodes.
:func:`state_at_time` offers cubic Hermite interpolation (with the node velocities) for
inspection; the kernel does not use it. Worst position miss [m] against direct integration on
the default grid of :func:`forceprot.ballistics.build_family` (112 elevations x 24 relative wind
azimuths x 33 nodes), over 172 flights per row (100 random (elevation, relaz), and the 8 lowest
elevation intervals in head, cross and tail wind). The *burnout interval* is the node interval
that holds burnout (the node interval is tof / 32: 0.09-1.4 s for 107 mm, 0.1-2.5 s for
122 mm); "terminal z" is the height error alone in the second half of the flight, where guns
engage:

=======  =====  ====================  ====================  ==================  ========
class    wind   kernel (linear):      Hermite:              terminal z [m]      impact
         [m/s]  boost / rest of the   boost / rest of the   linear / Hermite    miss /
                burnout interval /    burnout interval /                        range
                after                 after
=======  =====  ====================  ====================  ==================  ========
107 mm   0      74 / 55 / 5.9         12.4 / 7.6 / 0.5      2.2 / 0.07          0.03 %
107 mm   8      76 / 59 / 6.2         12.4 / 7.5 / 4.8      4.6 / 3.5           0.10 %
122 mm   0      225 / 126 / 22        39 / 19.4 / 4.8       6.7 / 0.3           0.24 %
122 mm   8      236 / 144 / 24        44 / 23 / 12.8        13.1 / 7.9          0.38 %
=======  =====  ====================  ====================  ==================  ========

(measured with a script that samples both interpolants against :func:`forceprot.ballistics.fly`
at 0.01 s; the worst linear misses are on the steepest, longest flights, 43-48 deg, where a node
interval is longest.) So: impacts, which set leak rates, are within 0.4 % of range; the path in
the terminal half, which sets gun windows, is within 25 m (height within 13 m); the boost,
within about 1.5 km of the launcher, is off by up to 76 m (107 mm) and 236 m (122 mm) because
a straight chord cannot follow the thrust phase. That matters for sensors sited near the launch
area (detection a few tenths of a second early or late) and for windows shorter than a node
interval, which the linear crossing can miss; exact windows on the continuous path are future
work. The impact miss peaks on the flattest 122 mm shots (3.4-3.7 deg), where range changes
fastest with elevation, in a head wind: 0.39 % at 8 m/s with 112 elevations, 0.49 % with 96,
0.76 % with 64. More relative wind azimuths buy nothing measurable: the body axis makes flights
change smoothly with the wind direction.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from forceprot.jit import njit_inner
from forceprot.flight.trajectory import (
    N_SUMMARY,
    SUMMARY_X_M,
    hermite,
    integrate,
)

__all__ = [
    "WIND_LAY_ITERATIONS",
    "blend_weights",
    "build_family",
    "elevation_index",
    "family_impact",
    "fly_nodes",
    "lay_for_wind",
    "ground_ranges",
    "resample_nodes",
    "interpolate_family",
    "state_at_time",
    "elevation_for_range",
]


@njit(cache=True)
def resample_nodes(path_t_s, path_state, n_rows, out_pos_m, out_vel_mps):
    """Sample a stored flight path at equally spaced fractions of its time of flight.

    Parameters
    ----------
    path_t_s : ndarray of float64, shape (capacity,)
        Time of each path row [s]; rows ``0 .. n_rows-1`` are used, the last one the impact.
    path_state : ndarray of float64, shape (capacity, 6)
        ``(x, y, z, vx, vy, vz)`` of each row [m, m/s].
    n_rows : int
        Rows of the path, >= 2.
    out_pos_m : ndarray of float64, shape (n_nodes, 3)
        Out: position at ``t = k / (n_nodes - 1) * tof`` [m], by cubic Hermite interpolation
        between path rows.
    out_vel_mps : ndarray of float64, shape (n_nodes, 3)
        Out: velocity at the same times [m/s] (derivative of the interpolant).
    """
    n_nodes = out_pos_m.shape[0]
    tof = path_t_s[n_rows - 1]
    row = 0
    for k in range(n_nodes):
        if k == 0 or k == n_nodes - 1:
            src = 0 if k == 0 else n_rows - 1
            for c in range(3):
                out_pos_m[k, c] = path_state[src, c]
                out_vel_mps[k, c] = path_state[src, 3 + c]
            continue
        t = tof * k / (n_nodes - 1)
        while row < n_rows - 2 and path_t_s[row + 1] < t:
            row += 1
        h = path_t_s[row + 1] - path_t_s[row]
        s = (t - path_t_s[row]) / h
        for c in range(3):
            p, v = hermite(path_state[row, c], path_state[row, 3 + c],
                           path_state[row + 1, c], path_state[row + 1, 3 + c], h, s)
            out_pos_m[k, c] = p
            out_vel_mps[k, c] = v


@njit(cache=True)
def build_family(elevations_rad, relaz_rad, wind_speed_mps, ground_altitude_m, rocket,
                 drag_mach, drag_cd, dt_s, max_time_s, path_t_s, path_state, node_pos_m,
                 node_vel_mps, tof_s):
    """Fly every (elevation, relative wind azimuth) of a grid and store node samples.

    Parameters
    ----------
    elevations_rad : ndarray of float64, shape (n_elev,)
        Quadrant elevations [rad].
    relaz_rad : ndarray of float64, shape (n_relaz,)
        Relative wind azimuths ``j * 2 pi / n_relaz`` [rad]. Flights at ``relaz`` and
        ``-relaz`` are mirror images (``y -> -y``); only ``j <= n_relaz / 2`` is integrated.
    wind_speed_mps : float
        Wind speed [m/s].
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].
    rocket : ndarray of float64, shape (N_ROCKET_PARAMS,)
        Rocket parameter vector (see :mod:`forceprot.flight.trajectory`).
    drag_mach, drag_cd : ndarray of float64, shape (n,)
        Drag table, form factor included.
    dt_s : float
        Integration step [s].
    max_time_s : float
        Longest flight allowed [s].
    path_t_s : ndarray of float64, shape (capacity,)
        Scratch for one path (see :func:`~forceprot.flight.trajectory.path_capacity`).
    path_state : ndarray of float64, shape (capacity, 6)
        Scratch for one path.
    node_pos_m : ndarray of float64, shape (n_elev, n_relaz, n_nodes, 3)
        Out: node positions [m].
    node_vel_mps : ndarray of float64, shape (n_elev, n_relaz, n_nodes, 3)
        Out: node velocities [m/s].
    tof_s : ndarray of float64, shape (n_elev, n_relaz)
        Out: time of flight [s].

    Returns
    -------
    int
        Number of flights that found no impact (their entries are NaN); 0 on success.
    """
    n_elev = elevations_rad.shape[0]
    n_relaz = relaz_rad.shape[0]
    summary = np.empty(N_SUMMARY)
    failures = 0
    for i in range(n_elev):
        for j in range(n_relaz // 2 + 1):
            wx = wind_speed_mps * math.cos(relaz_rad[j])
            wy = wind_speed_mps * math.sin(relaz_rad[j])
            n_rows = integrate(elevations_rad[i], wx, wy, ground_altitude_m, rocket, drag_mach,
                               drag_cd, dt_s, max_time_s, path_t_s, path_state, summary)
            if n_rows < 2:
                failures += 1
                node_pos_m[i, j, :, :] = np.nan
                node_vel_mps[i, j, :, :] = np.nan
                tof_s[i, j] = np.nan
            else:
                resample_nodes(path_t_s, path_state, n_rows, node_pos_m[i, j], node_vel_mps[i, j])
                tof_s[i, j] = path_t_s[n_rows - 1]
            mirror = (n_relaz - j) % n_relaz
            if mirror != j:
                failures += 1 if n_rows < 2 else 0
                tof_s[i, mirror] = tof_s[i, j]
                for k in range(node_pos_m.shape[2]):
                    node_pos_m[i, mirror, k, 0] = node_pos_m[i, j, k, 0]
                    node_pos_m[i, mirror, k, 1] = -node_pos_m[i, j, k, 1]
                    node_pos_m[i, mirror, k, 2] = node_pos_m[i, j, k, 2]
                    node_vel_mps[i, mirror, k, 0] = node_vel_mps[i, j, k, 0]
                    node_vel_mps[i, mirror, k, 1] = -node_vel_mps[i, j, k, 1]
                    node_vel_mps[i, mirror, k, 2] = node_vel_mps[i, j, k, 2]
    return failures


@njit(cache=True)
def ground_ranges(elevations_rad, ground_altitude_m, rocket, drag_mach, drag_cd, dt_s,
                  max_time_s, out_range_m):
    """No-wind ground range at each elevation (the fire-control table).

    Parameters
    ----------
    elevations_rad : ndarray of float64, shape (n_elev,)
        Quadrant elevations [rad].
    ground_altitude_m, rocket, drag_mach, drag_cd, dt_s, max_time_s
        As in :func:`build_family`.
    out_range_m : ndarray of float64, shape (n_elev,)
        Out: downrange of the impact [m]; NaN when no impact happened by ``max_time_s``.
    """
    summary = np.empty(N_SUMMARY)
    no_path_t = np.empty(0)
    no_path_state = np.empty((0, 6))
    for i in range(elevations_rad.shape[0]):
        integrate(elevations_rad[i], 0.0, 0.0, ground_altitude_m, rocket, drag_mach, drag_cd,
                  dt_s, max_time_s, no_path_t, no_path_state, summary)
        out_range_m[i] = summary[SUMMARY_X_M]


@njit_inner
def elevation_index(range_nowind_m, range_m):
    """Fractional index into the family's elevation grid that lays the rocket for ``range_m``.

    THE elevation lookup (fire control, no wind): ``range_nowind_m`` increases with the index on
    both branches (the high-angle family is stored steepest first,
    :func:`forceprot.ballistics.build_family`); the result is clipped to ``[0, n_elev - 1]``.
    """
    lo = 0
    hi = range_nowind_m.shape[0] - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if range_nowind_m[mid] <= range_m:
            lo = mid
        else:
            hi = mid
    span = range_nowind_m[hi] - range_nowind_m[lo]
    f = (range_m - range_nowind_m[lo]) / span if span > 0.0 else 0.0
    return lo + min(max(f, 0.0), 1.0)


_TWO_PI = 2.0 * math.pi


@njit_inner
def _wrap_angle_rad(a):
    """``a % (2 pi)`` (Python's float modulo, as numba computes it), without the library call
    for the angles a rocket's wind-relative azimuth takes: within one turn either side of 0 the
    modulo is ``a`` or ``a + 2 pi`` exactly as rounded there."""
    if 0.0 < a < _TWO_PI:
        return a
    if a == 0.0:
        return 0.0  # -0.0 too
    if -_TWO_PI < a < 0.0:
        return a + _TWO_PI
    return a % _TWO_PI


@njit_inner
def blend_weights(n_el, n_az, fe, relaz_rad, relaz_step_rad):
    """Corners and weights of THE bilinear blend of a trajectory family.

    Parameters
    ----------
    n_el, n_az : int
        Elevations (>= 2) and relative wind azimuths in the family.
    fe : float
        Fractional elevation index in ``[0, n_el - 1]`` (:func:`elevation_index`).
    relaz_rad, relaz_step_rad : float
        Wind direction relative to the firing direction [rad] (periodic) and the grid step [rad].

    Returns
    -------
    ie, ia0, ia1 : int
        Lower elevation row and the two azimuth columns (wrapping).
    w00, w01, w10, w11 : float
        Weights of (ie, ia0), (ie, ia1), (ie + 1, ia0), (ie + 1, ia1).
    """
    ie = int(fe)
    if ie >= n_el - 1:
        ie = n_el - 2
    we = fe - ie
    if n_az == 1:
        ia0 = 0
        ia1 = 0
        wa = 0.0
    else:
        fa = _wrap_angle_rad(relaz_rad) / relaz_step_rad
        ia0 = int(fa)
        wa = fa - ia0
        # fa is in [0, n_az] for every finite angle: a compare instead of an integer division
        # (same result); the modulo keeps a column in the table for anything else
        if ia0 < 0 or ia0 >= n_az:
            ia0 = ia0 % n_az
        ia1 = ia0 + 1
        if ia1 == n_az:
            ia1 = 0
    return (ie, ia0, ia1, (1.0 - we) * (1.0 - wa), (1.0 - we) * wa, we * (1.0 - wa), we * wa)


@njit_inner
def fly_nodes(family, fe, relaz_rad, launcher_x_m, launcher_y_m, heading_rad, pos_out):
    """Positions of one rocket at every node, in the world frame, from the family.

    Bilinear in (elevation index ``fe``, wind-relative azimuth) (:func:`blend_weights`), rotated
    to ``heading_rad`` (counter-clockwise from +x) and moved to the launcher.

    Parameters
    ----------
    family : FamilyTable
        The family (:data:`forceprot.kernel.bundles.FamilyTable`).
    fe : float
        Fractional elevation index.
    relaz_rad : float
        Wind direction relative to the firing direction [rad].
    launcher_x_m, launcher_y_m, heading_rad : float
        Launcher position [m] and firing heading [rad].
    pos_out : ndarray, float64, shape (n_nodes, 3)
        Output positions [m]; node ``k`` at ``tau[k]`` of the time of flight.

    Returns
    -------
    float
        Time of flight [s].
    """
    node_pos = family.node_pos_m
    tof_tab = family.tof_s
    ie, ia0, ia1, w00, w01, w10, w11 = blend_weights(node_pos.shape[0], node_pos.shape[1], fe,
                                                     relaz_rad, family.relaz_step_rad)
    c = math.cos(heading_rad)
    s = math.sin(heading_rad)
    a = node_pos[ie, ia0]
    b = node_pos[ie, ia1]
    d = node_pos[ie + 1, ia0]
    e = node_pos[ie + 1, ia1]
    for k in range(node_pos.shape[2]):
        down = w00 * a[k, 0] + w01 * b[k, 0] + w10 * d[k, 0] + w11 * e[k, 0]
        left = w00 * a[k, 1] + w01 * b[k, 1] + w10 * d[k, 1] + w11 * e[k, 1]
        pos_out[k, 0] = launcher_x_m + c * down - s * left
        pos_out[k, 1] = launcher_y_m + s * down + c * left
        pos_out[k, 2] = w00 * a[k, 2] + w01 * b[k, 2] + w10 * d[k, 2] + w11 * e[k, 2]
    return (w00 * tof_tab[ie, ia0] + w01 * tof_tab[ie, ia1] + w10 * tof_tab[ie + 1, ia0]
            + w11 * tof_tab[ie + 1, ia1])


@njit_inner
def family_impact(family, fe, relaz_rad):
    """Impact point (downrange, left) [m] in the flight frame and time of flight [s].

    The last node of :func:`fly_nodes`'s blend, without the other nodes.
    """
    node_pos = family.node_pos_m
    tof_tab = family.tof_s
    last = node_pos.shape[2] - 1
    ie, ia0, ia1, w00, w01, w10, w11 = blend_weights(node_pos.shape[0], node_pos.shape[1], fe,
                                                     relaz_rad, family.relaz_step_rad)
    down = (w00 * node_pos[ie, ia0, last, 0] + w01 * node_pos[ie, ia1, last, 0]
            + w10 * node_pos[ie + 1, ia0, last, 0] + w11 * node_pos[ie + 1, ia1, last, 0])
    left = (w00 * node_pos[ie, ia0, last, 1] + w01 * node_pos[ie, ia1, last, 1]
            + w10 * node_pos[ie + 1, ia0, last, 1] + w11 * node_pos[ie + 1, ia1, last, 1])
    tof = (w00 * tof_tab[ie, ia0] + w01 * tof_tab[ie, ia1] + w10 * tof_tab[ie + 1, ia0]
           + w11 * tof_tab[ie + 1, ia1])
    return down, left, tof


#: Fixed-point iterations of the wind-corrected laying solution.
WIND_LAY_ITERATIONS = 12


@njit_inner
def lay_for_wind(family, wind_to_rad, range_m, heading_rad):
    """Laying (no-wind-equivalent range, heading) that puts the nominal rocket on the target.

    A crew with met data aims off for the wind: starting from the no-wind solution, range and
    heading are corrected by the nominal rocket's miss, a few fixed-point iterations.

    Returns
    -------
    lay_range_m, lay_heading_rad : float
    """
    min_range_m = family.min_range_m
    max_range_m = family.max_range_m
    r = range_m
    h = heading_rad
    for _ in range(WIND_LAY_ITERATIONS):
        rc = min(max(r, min_range_m), max_range_m)
        fe = elevation_index(family.range_nowind_m, rc)
        down, left, _ = family_impact(family, fe, wind_to_rad - h)
        # the nominal impact lies atan2(left, down) to the left of the heading laid
        r = rc + (range_m - math.hypot(down, left))
        h = heading_rad - math.atan2(left, down)
    return min(max(r, min_range_m), max_range_m), h


@njit(cache=True)
def interpolate_family(node_pos_m, node_vel_mps, tof_s, elevation_min_rad, elevation_step_rad,
                       relaz_step_rad, elevation_rad, relaz_rad, out_pos_m, out_vel_mps):
    """One flight path (positions and velocities) from a family, for inspection and tests.

    The same blend as the kernel's (:func:`blend_weights`), here from an elevation in radians.

    Parameters
    ----------
    node_pos_m, node_vel_mps : ndarray of float64, shape (n_elev, n_relaz, n_nodes, 3)
        The family's nodes [m, m/s]; ``n_elev >= 2``.
    tof_s : ndarray of float64, shape (n_elev, n_relaz)
        The family's times of flight [s].
    elevation_min_rad, elevation_step_rad : float
        Elevation grid: first value and step [rad].
    relaz_step_rad : float
        Relative wind azimuth step, ``2 pi / n_relaz`` [rad].
    elevation_rad : float
        Quadrant elevation [rad]; clamped to the grid.
    relaz_rad : float
        Relative wind azimuth [rad], any value (periodic).
    out_pos_m, out_vel_mps : ndarray of float64, shape (n_nodes, 3)
        Out: node positions [m] and velocities [m/s] of the interpolated flight, node ``k`` at
        ``k / (n_nodes - 1)`` of the returned time of flight.

    Returns
    -------
    float
        Time of flight [s].
    """
    n_elev = node_pos_m.shape[0]
    fe = (elevation_rad - elevation_min_rad) / elevation_step_rad
    fe = min(max(fe, 0.0), n_elev - 1.0)
    i0, j0, j1, w00, w01, w10, w11 = blend_weights(n_elev, node_pos_m.shape[1], fe, relaz_rad,
                                                   relaz_step_rad)
    i1 = i0 + 1
    for k in range(node_pos_m.shape[2]):
        for c in range(3):
            out_pos_m[k, c] = (w00 * node_pos_m[i0, j0, k, c] + w01 * node_pos_m[i0, j1, k, c]
                               + w10 * node_pos_m[i1, j0, k, c] + w11 * node_pos_m[i1, j1, k, c])
            out_vel_mps[k, c] = (w00 * node_vel_mps[i0, j0, k, c]
                                 + w01 * node_vel_mps[i0, j1, k, c]
                                 + w10 * node_vel_mps[i1, j0, k, c]
                                 + w11 * node_vel_mps[i1, j1, k, c])
    return (w00 * tof_s[i0, j0] + w01 * tof_s[i0, j1] + w10 * tof_s[i1, j0]
            + w11 * tof_s[i1, j1])


@njit(cache=True)
def state_at_time(pos_m, vel_mps, tof_s, t_s, out_pos_m, out_vel_mps):
    """Position and velocity along one node path at a time, by cubic Hermite interpolation.

    Parameters
    ----------
    pos_m, vel_mps : ndarray of float64, shape (n_nodes, 3)
        Node positions [m] and velocities [m/s], node ``k`` at ``k / (n_nodes - 1) * tof_s``.
    tof_s : float
        Time of flight [s].
    t_s : float
        Time since launch [s]; clamped to ``[0, tof_s]``.
    out_pos_m, out_vel_mps : ndarray of float64, shape (3,)
        Out: position [m] and velocity [m/s].
    """
    n_nodes = pos_m.shape[0]
    h = tof_s / (n_nodes - 1)
    u = t_s / h
    if u <= 0.0:
        k = 0
        s = 0.0
    elif u >= n_nodes - 1:
        k = n_nodes - 2
        s = 1.0
    else:
        k = int(math.floor(u))
        s = u - k
    for c in range(3):
        p, v = hermite(pos_m[k, c], vel_mps[k, c], pos_m[k + 1, c], vel_mps[k + 1, c], h, s)
        out_pos_m[c] = p
        out_vel_mps[c] = v


@njit(cache=True)
def elevation_for_range(range_nowind_m, elevation_min_rad, elevation_step_rad, range_m):
    """Quadrant elevation on the family's branch for a ground range (fire control, no wind).

    Parameters
    ----------
    range_nowind_m : ndarray of float64, shape (n_elev,)
        No-wind range at each grid elevation [m], strictly increasing.
    elevation_min_rad, elevation_step_rad : float
        Elevation grid: first value and step [rad] (the step is negative on the high branch).
    range_m : float
        Ground range wanted [m].

    Returns
    -------
    float
        Elevation [rad] from :func:`elevation_index`; NaN outside
        ``[range_nowind_m[0], range_nowind_m[-1]]``.
    """
    n = range_nowind_m.shape[0]
    if not (range_nowind_m[0] <= range_m <= range_nowind_m[n - 1]):
        return np.nan
    return elevation_min_rad + elevation_index(range_nowind_m, range_m) * elevation_step_rad
