"""Everything random about one salvo, drawn in a fixed order.

Block ``b`` seeds numba's generator from ``(root_seed, b)`` (:mod:`forceprot.kernel.blocks`);
within a block, salvos draw in index order: aim point, launcher position, laying error, then
each rocket's range and deflection error. At a fixed elevation (``SalvoParams.fixed_elevation``)
the launcher stands where that elevation reaches the laid point, so the laying error is drawn
before the launcher (:func:`draw_salvo_fixed`). Kill draws are a counter-based hash of
``(root_seed, salvo, tube, unit, shot)`` instead, so layouts with different units share every
other draw (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from forceprot.jit import njit_inner
from forceprot.flight.family import family_impact
from forceprot.kernel.bundles import (
    BLOCK_SALVOS,
    D_AIM_X,
    D_AIM_Y,
    D_LAUNCH_X,
    D_LAUNCH_Y,
    D_LAY_ERR_X,
    D_LAY_ERR_Y,
    D_REDRAWN,
    D_REJECTED,
    MAX_AIM_REDRAWS,
    MAX_LAUNCH_TRIES,
    N_DRAW,
)
from forceprot.spatial import block_seed, counter_uniform, normal_pair, sample_weighted_triangle

__all__ = ["draw_block", "draw_salvo", "draw_salvo_fixed", "fill_kill_draws",
           "point_in_triangles"]


@njit_inner
def _store_salvo(salvo, draws, points, rejected, redrawn):
    """The salvo's draws into ``draws``: ``points`` is (aim x, aim y, launcher x, launcher y,
    laying error x, y in standard normals) [m]."""
    ax, ay, lx, ly, ex, ey = points
    draws[D_AIM_X] = ax
    draws[D_AIM_Y] = ay
    draws[D_LAUNCH_X] = lx
    draws[D_LAUNCH_Y] = ly
    draws[D_LAY_ERR_X] = ex * salvo.aim_sigma_m
    draws[D_LAY_ERR_Y] = ey * salvo.aim_sigma_m
    draws[D_REJECTED] = rejected
    draws[D_REDRAWN] = redrawn


@njit_inner
def _draw_dispersion(salvo, delta, deflection):
    """Each rocket's range error (fraction) and deflection [rad]."""
    for i in range(delta.shape[0]):
        zr, zd = normal_pair()
        delta[i] = zr * salvo.range_sigma_frac
        deflection[i] = zd * salvo.deflection_sigma_rad


@njit_inner
def draw_salvo(salvo, aim, zone, family, draws, delta, deflection):
    """Draw the launcher, aim and dispersion of one salvo from numba's generator.

    Parameters
    ----------
    salvo : SalvoParams
        ``aim_sigma_m`` (per-salvo laying error [m, per axis]), ``range_sigma_frac`` and
        ``deflection_sigma_rad`` (per-rocket errors).
    aim, zone : Sampler
        Aim points and launch zone.
    family : FamilyTable
        ``min_range_m``/``max_range_m``: the launcher is drawn uniformly among positions from
        which the aim point is in reach.
    draws : ndarray, float64, shape (N_DRAW,)
        Output: aim point, launcher, laying error [m], rejected launcher draws, redrawn aims.
    delta, deflection : ndarray, float64, shape (tubes,)
        Output: per-rocket relative range error [-] and deflection error [rad].

    Returns
    -------
    bool
        False if no launch position could be found (the salvo is not fired).
    """
    if salvo.fixed_elevation:
        return draw_salvo_fixed(salvo, aim, zone, family, draws, delta, deflection)
    min_range_m = family.min_range_m
    max_range_m = family.max_range_m
    rejected = 0
    redrawn = 0
    found = False
    ax = 0.0
    ay = 0.0
    lx = 0.0
    ly = 0.0
    while not found:
        ax, ay = sample_weighted_triangle(aim.tri_m, aim.cum_weight, np.random.random(),
                                          np.random.random(), np.random.random())
        for _ in range(MAX_LAUNCH_TRIES):
            lx, ly = sample_weighted_triangle(zone.tri_m, zone.cum_weight, np.random.random(),
                                              np.random.random(), np.random.random())
            d = math.hypot(ax - lx, ay - ly)
            if min_range_m <= d <= max_range_m:
                found = True
                break
            rejected += 1
        if not found:
            redrawn += 1
            if redrawn > MAX_AIM_REDRAWS:
                return False
    ex, ey = normal_pair()
    _store_salvo(salvo, draws, (ax, ay, lx, ly, ex, ey), rejected, redrawn)
    _draw_dispersion(salvo, delta, deflection)
    return True


@njit_inner
def point_in_triangles(tri_m, x_m, y_m):
    """Whether ``(x_m, y_m)`` [m] lies in any of the triangles ``tri_m`` float64 (n, 3, 2) [m]
    (edges included): a bounding-box test, then the signs of the three edge cross products."""
    for t in range(tri_m.shape[0]):
        x0 = tri_m[t, 0, 0]
        y0 = tri_m[t, 0, 1]
        x1 = tri_m[t, 1, 0]
        y1 = tri_m[t, 1, 1]
        x2 = tri_m[t, 2, 0]
        y2 = tri_m[t, 2, 1]
        if x_m < min(x0, x1, x2) or x_m > max(x0, x1, x2) or y_m < min(y0, y1, y2) \
                or y_m > max(y0, y1, y2):
            continue
        d0 = (x1 - x0) * (y_m - y0) - (y1 - y0) * (x_m - x0)
        d1 = (x2 - x1) * (y_m - y1) - (y2 - y1) * (x_m - x1)
        d2 = (x0 - x2) * (y_m - y2) - (y0 - y2) * (x_m - x2)
        has_neg = d0 < 0.0 or d1 < 0.0 or d2 < 0.0
        has_pos = d0 > 0.0 or d1 > 0.0 or d2 > 0.0
        if not (has_neg and has_pos):
            return True
    return False


@njit_inner
def draw_salvo_fixed(salvo, aim, zone, family, draws, delta, deflection):
    """:func:`draw_salvo` for a launcher fired at one fixed elevation.

    The crew picks its standoff to suit the elevation: draw the aim point and the laying error
    (the laid point is where the crew believes the aim point is), then a firing heading ``h``
    uniform on the circle, and put the launcher where a rocket fired at ``h`` at the fixed
    elevation lands on the laid point: ``fixed_range_m`` short of it along ``h`` when the crew
    lays from a no-wind table, or the nominal rocket's impact offset in the wind at ``h``
    (:func:`~forceprot.flight.family.family_impact` at ``fixed_fe``) when it lays for the wind.
    A launcher outside the launch zone (``zone.tri_m``, :func:`point_in_triangles`) is
    rejected and the heading redrawn, so launchers are uniform in heading on that curve within
    the zone; after :data:`MAX_LAUNCH_TRIES` the aim point and laying error are redrawn.

    Parameters and return as :func:`draw_salvo`; ``salvo.fixed_fe`` (fractional elevation
    index of the fixed elevation in ``family``) and ``salvo.fixed_range_m`` (its no-wind range
    [m]) set the curve.
    """
    rejected = 0
    redrawn = 0
    found = False
    ax = 0.0
    ay = 0.0
    lx = 0.0
    ly = 0.0
    ex = 0.0
    ey = 0.0
    while not found:
        ax, ay = sample_weighted_triangle(aim.tri_m, aim.cum_weight, np.random.random(),
                                          np.random.random(), np.random.random())
        ex, ey = normal_pair()
        px = ax + ex * salvo.aim_sigma_m
        py = ay + ey * salvo.aim_sigma_m
        for _ in range(MAX_LAUNCH_TRIES):
            h = 2.0 * math.pi * np.random.random()
            if salvo.wind_laying:
                down, left, _ = family_impact(family, salvo.fixed_fe, salvo.wind_to_rad - h)
            else:
                down = salvo.fixed_range_m
                left = 0.0
            c = math.cos(h)
            s = math.sin(h)
            lx = px - (c * down - s * left)
            ly = py - (s * down + c * left)
            if point_in_triangles(zone.tri_m, lx, ly):
                found = True
                break
            rejected += 1
        if not found:
            redrawn += 1
            if redrawn > MAX_AIM_REDRAWS:
                return False
    _store_salvo(salvo, draws, (ax, ay, lx, ly, ex, ey), rejected, redrawn)
    _draw_dispersion(salvo, delta, deflection)
    return True


@njit_inner
def fill_kill_draws(root_seed, salvo_index, u_kill):
    """All kill draws of a salvo, ``u_kill`` float64 (tubes, n_units, 2).

    The kernel computes only the draws of engagements that can happen
    (:func:`forceprot.kernel.salvo.draw_kills`); the values are the same, a hash of their indices.
    """
    for i in range(u_kill.shape[0]):
        for u in range(u_kill.shape[1]):
            u_kill[i, u, 0] = counter_uniform(root_seed, salvo_index, i, u, 0)
            u_kill[i, u, 1] = counter_uniform(root_seed, salvo_index, i, u, 1)


@njit(cache=True)
def draw_block(root_seed, block, n_salvos, n_units, inputs):
    """The draws of one block's salvos, exactly as :func:`forceprot.kernel.blocks.run_blocks`
    makes them, for cross-checks against an independent implementation on a shared sample.

    Returns
    -------
    draws : ndarray, float64, shape (n_salvos, N_DRAW)
        All zero for a salvo with no launch position in range.
    delta, deflection : ndarray, float64, shape (n_salvos, tubes)
    u_kill : ndarray, float64, shape (n_salvos, tubes, n_units, 2)
    """
    tubes = inputs.salvo.tubes
    np.random.seed(block_seed(root_seed, block))
    draws = np.zeros((n_salvos, N_DRAW))
    delta = np.zeros((n_salvos, tubes))
    deflection = np.zeros((n_salvos, tubes))
    u_kill = np.zeros((n_salvos, tubes, n_units, 2))
    for s in range(n_salvos):
        # a salvo with no launch position leaves its row of draws at zero (the kernel skips it)
        draw_salvo(inputs.salvo, inputs.aim, inputs.zone, inputs.family, draws[s], delta[s],
                   deflection[s])
        fill_kill_draws(root_seed, block * BLOCK_SALVOS + s, u_kill[s])
    return draws, delta, deflection, u_kill
