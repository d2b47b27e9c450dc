"""Everything random about one salvo, drawn in a fixed order.

Block ``b`` seeds numba's generator from ``(root_seed, b)`` (:mod:`forceprot.kernel.blocks`);
within a block, salvos draw in index order: aim point, launcher position, laying error, then
each rocket's range and deflection error. Kill draws are a counter-based hash of
``(root_seed, salvo, tube, unit, shot)`` instead, so layouts with different units share every
other draw (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

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

__all__ = ["draw_block", "draw_salvo", "fill_kill_draws"]


@njit(cache=True, nogil=True)
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
    draws[D_AIM_X] = ax
    draws[D_AIM_Y] = ay
    draws[D_LAUNCH_X] = lx
    draws[D_LAUNCH_Y] = ly
    ex, ey = normal_pair()
    draws[D_LAY_ERR_X] = ex * salvo.aim_sigma_m
    draws[D_LAY_ERR_Y] = ey * salvo.aim_sigma_m
    draws[D_REJECTED] = rejected
    draws[D_REDRAWN] = redrawn
    for i in range(delta.shape[0]):
        zr, zd = normal_pair()
        delta[i] = zr * salvo.range_sigma_frac
        deflection[i] = zd * salvo.deflection_sigma_rad
    return True


@njit(cache=True, nogil=True)
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
