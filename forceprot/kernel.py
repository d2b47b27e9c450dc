"""The Monte Carlo kernel: salvos sampled and flown through the defences, in numba.

One sample is one salvo. :func:`draw_salvo` draws everything random about it (aim point,
launcher position, laying error, each rocket's range and deflection error, each engagement's
kill draw); :func:`evaluate_salvo` flies its rockets from the precomputed trajectory family,
tests impacts against the base, runs every unit's timeline and writes per-rocket outcomes;
:func:`simulate_block` tallies a block of salvos; :func:`run_blocks` is the one ``prange``,
over blocks. Block ``b`` seeds numba's generator from ``(root_seed, b)`` at its start, so results
depend on neither the thread count nor how blocks are grouped into chunks.

All inputs are arrays and scalars from :class:`forceprot.compile.CompiledScenario`; positions are
metres in the local CRS, angles radians (math convention: counter-clockwise from +x = east).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from forceprot.engage.cram import gun_timeline, gun_window_s
from forceprot.engage.params import (
    KIND_CRAM,
    OUT_NONE,
    P_DEFENDED_RADIUS_M,
    P_GUN_MAX_RANGE_M,
    P_GUN_MIN_HEIGHT_M,
    P_SENSOR_HEIGHT_M,
    P_SENSOR_RANGE_M,
    P_TAN_MIN_ELEVATION,
)
from forceprot.engage.patriot import battery_timeline
from forceprot.engage.sensors import first_detection_s
from forceprot.spatial import (
    block_seed,
    cell_index,
    counter_uniform,
    normal_pair,
    point_in_grid_polygon,
    sample_weighted_triangle,
)
from forceprot.tally import (
    A_HITS,
    A_HITS2,
    G_INTERCEPTED,
    G_INTERCEPTED2,
    G_THREAT,
    G_THREAT2,
    G_THREAT_INTERCEPTED,
    L_LEAKED,
    L_LEAKED2,
    L_SALVOS,
    L_THREAT,
    R_APOGEE_M,
    R_AIM_X,
    R_AIM_Y,
    R_DEFENDED,
    R_FIRST_DETECT_T,
    R_IMPACT_X,
    R_IMPACT_Y,
    R_INSIDE,
    R_INTERCEPTED,
    R_KILL_T,
    R_KILL_UNIT,
    R_LAUNCH_X,
    R_LAUNCH_Y,
    R_SALVO,
    R_T_IMPACT,
    R_T_LAUNCH,
    R_TUBE,
    R_WARNING_S,
    RU_DETECT_T,
    RU_OUTCOME,
    RU_SHOTS,
    RU_T,
    S_AIM_REDRAWN,
    S_ASSET_RISK,
    S_ASSET_RISK2,
    S_DEFENDED,
    S_FIRED,
    S_INTERCEPTED,
    S_INTERCEPTED_THREAT,
    S_LEAKED,
    S_LEAKED2,
    S_REJECTED,
    S_SALVOS,
    S_SALVOS_ANY_LEAK,
    S_SALVOS_ANY_THREAT,
    S_THREAT,
    S_THREAT2,
    S_THREAT_LEAKED,
    S_UNDETECTED,
    S_WARN2,
    S_WARN_N,
    S_WARN_SUM_S,
    U_ENGAGEMENTS,
    U_EXHAUSTED,
    U_HITS,
    U_KILLS,
    U_KILLS_INSIDE,
    U_KILLS_INSIDE2,
    U_KILLS_INSIDE_THREAT,
    U_SALVOS_ENGAGED,
    U_SHOTS,
    WARN_BIN_S,
    WARN_BINS,
)

#: Salvos per block: the unit of seeding and of parallel work. A constant, never the thread
#: count, so that results do not depend on the machine.
BLOCK_SALVOS = 512
#: Launcher positions tried per aim point before the aim point is redrawn.
MAX_LAUNCH_TRIES = 200
#: Aim points redrawn before a salvo is given up as impossible (compile checks reachability).
MAX_AIM_REDRAWS = 10_000

# Layout of the small per-salvo vector of draws.
D_AIM_X = 0
D_AIM_Y = 1
D_LAUNCH_X = 2
D_LAUNCH_Y = 3
D_LAY_ERR_X = 4
D_LAY_ERR_Y = 5
D_REJECTED = 6
D_REDRAWN = 7
N_DRAW = 8


@njit(cache=True, nogil=True)
def draw_salvo(root_seed, salvo, aim_tri, aim_cum, zone_tri, zone_cum, min_range_m, max_range_m,
               aim_sigma_m, range_sigma_frac, deflection_sigma_rad, draws, delta, deflection,
               u_kill, with_kill_draws):
    """Draw everything random about one salvo, in a fixed order.

    Parameters
    ----------
    root_seed, salvo : int
        Root seed and global salvo index, for the counter-based kill draws.
    aim_tri, aim_cum : ndarray
        Aim-point sampler: triangles (n, 3, 2) [m] and cumulative weights (n,).
    zone_tri, zone_cum : ndarray
        Launch-zone sampler, area-weighted.
    min_range_m, max_range_m : float
        The rocket's reach; the launcher is drawn uniformly where the aim point is in reach.
    aim_sigma_m, range_sigma_frac, deflection_sigma_rad : float
        Per-salvo laying error [m, per axis]; per-rocket range error [fraction of range] and
        deflection error [rad].
    draws : ndarray, float64, shape (N_DRAW,)
        Output: aim point, launcher, laying error [m], rejected launcher draws, redrawn aims.
    delta, deflection : ndarray, float64, shape (tubes,)
        Output: per-rocket relative range error [-] and deflection error [rad].
    u_kill : ndarray, float64, shape (tubes, n_units, 2)
        Output: U(0, 1) kill draws for every possible engagement, from
        :func:`forceprot.spatial.counter_uniform` (common random numbers across layouts).
    with_kill_draws : bool
        Fill ``u_kill`` now; the kernel passes False and draws only for the engagements that
        can happen (same values, as they are a hash of their indices).

    Returns
    -------
    bool
        False if no launch position could be found (the salvo is not fired).
    """
    rejected = 0
    redrawn = 0
    found = False
    ax = 0.0
    ay = 0.0
    lx = 0.0
    ly = 0.0
    while not found:
        ax, ay = sample_weighted_triangle(aim_tri, aim_cum, np.random.random(),
                                          np.random.random(), np.random.random())
        for _ in range(MAX_LAUNCH_TRIES):
            lx, ly = sample_weighted_triangle(zone_tri, zone_cum, np.random.random(),
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
    draws[D_LAY_ERR_X] = ex * aim_sigma_m
    draws[D_LAY_ERR_Y] = ey * aim_sigma_m
    draws[D_REJECTED] = rejected
    draws[D_REDRAWN] = redrawn
    for i in range(delta.shape[0]):
        zr, zd = normal_pair()
        delta[i] = zr * range_sigma_frac
        deflection[i] = zd * deflection_sigma_rad
    if with_kill_draws:
        fill_kill_draws(root_seed, salvo, u_kill)
    return True


@njit(cache=True, nogil=True)
def fill_kill_draws(root_seed, salvo, u_kill):
    """All kill draws of a salvo (the kernel itself computes only those it needs)."""
    for i in range(u_kill.shape[0]):
        for u in range(u_kill.shape[1]):
            u_kill[i, u, 0] = counter_uniform(root_seed, salvo, i, u, 0)
            u_kill[i, u, 1] = counter_uniform(root_seed, salvo, i, u, 1)


@njit(cache=True, nogil=True)
def elevation_index(range_nowind_m, range_m):
    """Fractional index into the family's elevation grid that lays the rocket for ``range_m``.

    Low-angle fire control: ``range_nowind_m`` increases with the index; ``range_m`` must lie
    within it (callers clip).
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


@njit(cache=True, nogil=True)
def blend_weights(n_el, n_az, fe, relaz_rad, relaz_step_rad):
    """Corners and weights of the bilinear blend of a trajectory family.

    Parameters
    ----------
    n_el, n_az : int
        Elevations and wind-relative azimuths in the family.
    fe : float
        Fractional elevation index (from :func:`elevation_index`).
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
        fa = (relaz_rad % (2.0 * math.pi)) / relaz_step_rad
        ia0 = int(fa)
        wa = fa - ia0
        ia0 = ia0 % n_az
        ia1 = (ia0 + 1) % n_az
    return (ie, ia0, ia1, (1.0 - we) * (1.0 - wa), (1.0 - we) * wa, we * (1.0 - wa), we * wa)


@njit(cache=True, nogil=True)
def fly_rocket(node_pos, tof_tab, fe, relaz_rad, relaz_step_rad, lx, ly, heading_rad, pos_out):
    """Positions of one rocket at every node, in the world frame, from the trajectory family.

    Bilinear in (elevation index ``fe``, wind-relative azimuth), rotated to ``heading_rad`` and
    moved to the launcher (lx, ly).

    Parameters
    ----------
    node_pos : ndarray, float64, shape (n_elev, n_relaz, n_nodes, 3)
        Family node positions (downrange, left, up) [m].
    tof_tab : ndarray, float64, shape (n_elev, n_relaz)
        Times of flight [s].
    fe : float
        Fractional elevation index.
    relaz_rad, relaz_step_rad : float
        Wind direction relative to the firing direction [rad] and the family's grid step [rad].
    lx, ly, heading_rad : float
        Launcher position [m] and firing heading [rad].
    pos_out : ndarray, float64, shape (n_nodes, 3)
        Output positions [m].

    Returns
    -------
    float
        Time of flight [s].
    """
    ie, ia0, ia1, w00, w01, w10, w11 = blend_weights(node_pos.shape[0], node_pos.shape[1], fe,
                                                     relaz_rad, relaz_step_rad)
    c = math.cos(heading_rad)
    s = math.sin(heading_rad)
    a = node_pos[ie, ia0]
    b = node_pos[ie, ia1]
    d = node_pos[ie + 1, ia0]
    e = node_pos[ie + 1, ia1]
    for k in range(node_pos.shape[2]):
        down = w00 * a[k, 0] + w01 * b[k, 0] + w10 * d[k, 0] + w11 * e[k, 0]
        left = w00 * a[k, 1] + w01 * b[k, 1] + w10 * d[k, 1] + w11 * e[k, 1]
        pos_out[k, 0] = lx + c * down - s * left
        pos_out[k, 1] = ly + s * down + c * left
        pos_out[k, 2] = w00 * a[k, 2] + w01 * b[k, 2] + w10 * d[k, 2] + w11 * e[k, 2]
    return (w00 * tof_tab[ie, ia0] + w01 * tof_tab[ie, ia1] + w10 * tof_tab[ie + 1, ia0]
            + w11 * tof_tab[ie + 1, ia1])


@njit(cache=True, nogil=True)
def family_impact(node_pos, tof_tab, fe, relaz_rad, relaz_step_rad):
    """Impact point (downrange, left) [m] in the flight frame and time of flight [s].

    The last node of :func:`fly_rocket`'s bilinear blend, without the other nodes.
    """
    last = node_pos.shape[2] - 1
    ie, ia0, ia1, w00, w01, w10, w11 = blend_weights(node_pos.shape[0], node_pos.shape[1], fe,
                                                     relaz_rad, relaz_step_rad)
    down = (w00 * node_pos[ie, ia0, last, 0] + w01 * node_pos[ie, ia1, last, 0]
            + w10 * node_pos[ie + 1, ia0, last, 0] + w11 * node_pos[ie + 1, ia1, last, 0])
    left = (w00 * node_pos[ie, ia0, last, 1] + w01 * node_pos[ie, ia1, last, 1]
            + w10 * node_pos[ie + 1, ia0, last, 1] + w11 * node_pos[ie + 1, ia1, last, 1])
    tof = (w00 * tof_tab[ie, ia0] + w01 * tof_tab[ie, ia1] + w10 * tof_tab[ie + 1, ia0]
           + w11 * tof_tab[ie + 1, ia1])
    return down, left, tof


#: Fixed-point iterations of the wind-corrected laying solution.
WIND_LAY_ITERATIONS = 12


@njit(cache=True, nogil=True)
def lay_for_wind(node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m, relaz_step_rad,
                 wind_to_rad, range_m, heading_rad):
    """Laying (no-wind-equivalent range, heading) that puts the nominal rocket on the target.

    A crew with met data aims off for the wind: starting from the no-wind solution, range and
    heading are corrected by the nominal rocket's miss, a few fixed-point iterations.

    Returns
    -------
    lay_range_m, lay_heading_rad : float
    """
    r = range_m
    h = heading_rad
    for _ in range(WIND_LAY_ITERATIONS):
        rc = min(max(r, min_range_m), max_range_m)
        fe = elevation_index(range_nowind_m, rc)
        down, left, _ = family_impact(node_pos, tof_tab, fe, wind_to_rad - h, relaz_step_rad)
        # the nominal impact lies atan2(left, down) to the left of the heading laid
        r = rc + (range_m - math.hypot(down, left))
        h = heading_rad - math.atan2(left, down)
    return min(max(r, min_range_m), max_range_m), h


@njit(cache=True, nogil=True)
def evaluate_salvo(
    root_seed, salvo, kill_draws_ready, draws, delta, deflection, u_kill,
    ripple_s, wind_to_rad, alert_delay_s, wind_laying,
    node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m, relaz_step_rad, tau,
    gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets,
    def_state, def_rings, def_offsets,
    unit_kind, unit_xy, unit_par,
    pos, t0, tof, impact, inside, defended, first_detect, t_kill_rocket, kill_unit,
    candidate, t_detect, t_open, t_close, eng_t, eng_out, eng_shots, t_kill, order, unit_stats,
):
    """Fly one salvo's rockets and run every unit's engagements.

    ``root_seed`` and ``salvo`` (global index) key the kill draws: unless
    ``kill_draws_ready``, ``u_kill`` is filled here for the (rocket, unit) pairs that can be
    engaged only. The next arguments are the salvo's draws (:func:`draw_salvo`); then the scenario's
    scalars (``wind_laying``: the crew aims off for the wind, :func:`lay_for_wind`), trajectory
    family, base and defended-area grids and units
    (:class:`forceprot.compile.CompiledScenario`); then per-salvo scratch and outputs, shaped
    (tubes, ...) and (tubes, n_units): ``impact`` (tubes, 2) [m], ``inside``/``defended`` flags,
    ``first_detect`` [s] (inf if never seen), ``t_kill_rocket`` [s] (inf if not killed),
    ``kill_unit`` (-1 if not killed), ``unit_stats`` (n_units, 4): engagements, own kills, shots,
    magazine exhausted.
    """
    tubes = delta.shape[0]
    n_units = unit_kind.shape[0]
    lx = draws[D_LAUNCH_X]
    ly = draws[D_LAUNCH_Y]
    lay_x = draws[D_AIM_X] + draws[D_LAY_ERR_X]
    lay_y = draws[D_AIM_Y] + draws[D_LAY_ERR_Y]
    lay_range = math.hypot(lay_x - lx, lay_y - ly)
    heading = math.atan2(lay_y - ly, lay_x - lx)
    if wind_laying:
        lay_range, heading = lay_for_wind(node_pos, tof_tab, range_nowind_m, min_range_m,
                                          max_range_m, relaz_step_rad, wind_to_rad, lay_range,
                                          heading)
    n_k = tau.shape[0]

    for i in range(tubes):
        r = lay_range * (1.0 + delta[i])
        r = min(max(r, min_range_m), max_range_m)
        fe = elevation_index(range_nowind_m, r)
        h = heading + deflection[i]
        t0[i] = i * ripple_s
        tof[i] = fly_rocket(node_pos, tof_tab, fe, wind_to_rad - h, relaz_step_rad, lx, ly, h,
                            pos[i])
        ix = pos[i, n_k - 1, 0]
        iy = pos[i, n_k - 1, 1]
        impact[i, 0] = ix
        impact[i, 1] = iy
        inside[i] = point_in_grid_polygon(ix, iy, gx0, gy0, gcell, gnx, gny, base_state,
                                          base_rings, base_offsets)
        defended[i] = inside[i] or point_in_grid_polygon(ix, iy, gx0, gy0, gcell, gnx, gny,
                                                         def_state, def_rings, def_offsets)
        first_detect[i] = math.inf
        t_kill_rocket[i] = math.inf
        kill_unit[i] = -1
        for u in range(n_units):
            ux = unit_xy[u, 0]
            uy = unit_xy[u, 1]
            par = unit_par[u]
            td = first_detection_s(pos[i], t0[i], tof[i], tau, ux, uy, par[P_SENSOR_HEIGHT_M],
                                   par[P_SENSOR_RANGE_M], par[P_TAN_MIN_ELEVATION])
            t_detect[i, u] = td
            if td < first_detect[i]:
                first_detect[i] = td
            rad = par[P_DEFENDED_RADIUS_M]
            dx = ix - ux
            dy = iy - uy
            cand = defended[i] and td < math.inf and dx * dx + dy * dy <= rad * rad
            t_open[i, u] = math.inf
            t_close[i, u] = -math.inf
            if cand and unit_kind[u] == KIND_CRAM:
                ta, tb = gun_window_s(pos[i], t0[i], tof[i], tau, ux, uy, par[P_GUN_MAX_RANGE_M],
                                      par[P_GUN_MIN_HEIGHT_M])
                t_open[i, u] = ta
                t_close[i, u] = tb
                cand = ta <= tb
            candidate[i, u] = cand
            eng_t[i, u] = math.nan
            eng_out[i, u] = OUT_NONE
            eng_shots[i, u] = 0
            t_kill[i, u] = math.inf

    if not kill_draws_ready:
        for i in range(tubes):
            for u in range(n_units):
                if candidate[i, u]:
                    u_kill[i, u, 0] = counter_uniform(root_seed, salvo, i, u, 0)
                    u_kill[i, u, 1] = counter_uniform(root_seed, salvo, i, u, 1)

    # threat evaluation: earliest predicted impact first (insertion sort of a few indices)
    for i in range(tubes):
        order[i] = i
    for i in range(1, tubes):
        j = i
        while j > 0 and t0[order[j - 1]] + tof[order[j - 1]] > t0[order[j]] + tof[order[j]]:
            tmp = order[j - 1]
            order[j - 1] = order[j]
            order[j] = tmp
            j -= 1

    for u in range(n_units):
        if unit_kind[u] == KIND_CRAM:
            ne, nk, ns, ex = gun_timeline(u, unit_par[u], order, candidate, t_detect, t_open,
                                          t_close, u_kill, eng_t, eng_out, eng_shots, t_kill)
        else:
            ne, nk, ns, ex = battery_timeline(u, unit_par[u], order, candidate, t_detect, pos, t0,
                                              tof, tau, unit_xy[u, 0], unit_xy[u, 1], u_kill,
                                              eng_t, eng_out, eng_shots, t_kill)
        unit_stats[u, 0] = ne
        unit_stats[u, 1] = nk
        unit_stats[u, 2] = ns
        unit_stats[u, 3] = ex

    for i in range(tubes):
        for u in range(n_units):
            if t_kill[i, u] < t_kill_rocket[i]:
                t_kill_rocket[i] = t_kill[i, u]
                kill_unit[i] = u


@njit(cache=True, nogil=True)
def simulate_block(
    root_seed, first_salvo, n_salvos, tubes, story_salvos,
    ripple_s, aim_sigma_m, range_sigma_frac, deflection_sigma_rad, wind_to_rad, alert_delay_s,
    wind_laying,
    node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m, relaz_step_rad, tau,
    aim_tri, aim_cum, zone_tri, zone_cum,
    gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets, def_state, def_rings,
    def_offsets,
    lx0, ly0, lcell, lnx, lny,
    unit_kind, unit_xy, unit_par,
    asset_xy, asset_r2, asset_w,
    scal, unit_t, grid_t, launch_t, asset_t, warn_h, story, story_u,
):
    """Sample ``n_salvos`` salvos and add their tallies to this block's rows.

    ``scal`` (N_SCALARS,), ``unit_t`` (n_units, N_UNIT), ``grid_t`` (N_GRID, gny * gnx),
    ``launch_t`` (N_LAUNCH, lny * lnx), ``asset_t`` (n_assets, N_ASSET), ``warn_h`` (WARN_BINS,)
    are this block's rows (:mod:`forceprot.tally`). Salvos whose global index is below
    ``story_salvos`` also write every rocket's story into ``story``/``story_u``.
    """
    n_units = unit_kind.shape[0]
    n_assets = asset_xy.shape[0]
    n_k = tau.shape[0]
    draws = np.zeros(8)
    delta = np.zeros(tubes)
    deflection = np.zeros(tubes)
    u_kill = np.zeros((tubes, n_units, 2))
    pos = np.zeros((tubes, n_k, 3))
    t0 = np.zeros(tubes)
    tof = np.zeros(tubes)
    impact = np.zeros((tubes, 2))
    inside = np.zeros(tubes, dtype=np.bool_)
    defended = np.zeros(tubes, dtype=np.bool_)
    first_detect = np.zeros(tubes)
    t_kill_rocket = np.zeros(tubes)
    kill_unit = np.zeros(tubes, dtype=np.int64)
    candidate = np.zeros((tubes, n_units), dtype=np.bool_)
    t_detect = np.zeros((tubes, n_units))
    t_open = np.zeros((tubes, n_units))
    t_close = np.zeros((tubes, n_units))
    eng_t = np.zeros((tubes, n_units))
    eng_out = np.zeros((tubes, n_units), dtype=np.int64)
    eng_shots = np.zeros((tubes, n_units), dtype=np.int64)
    t_kill = np.zeros((tubes, n_units))
    order = np.zeros(tubes, dtype=np.int64)
    unit_stats = np.zeros((n_units, 4), dtype=np.int64)
    cells = np.zeros(tubes, dtype=np.int64)
    hits = np.zeros(max(n_assets, 1))

    for s in range(n_salvos):
        ok = draw_salvo(root_seed, first_salvo + s, aim_tri, aim_cum, zone_tri, zone_cum,
                        min_range_m, max_range_m, aim_sigma_m, range_sigma_frac,
                        deflection_sigma_rad, draws, delta, deflection, u_kill, False)
        if not ok:
            scal[S_AIM_REDRAWN] += MAX_AIM_REDRAWS
            continue
        evaluate_salvo(
            root_seed, first_salvo + s, False, draws, delta, deflection, u_kill, ripple_s, wind_to_rad, alert_delay_s, wind_laying,
            node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m, relaz_step_rad, tau,
            gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets,
            def_state, def_rings, def_offsets, unit_kind, unit_xy, unit_par,
            pos, t0, tof, impact, inside, defended, first_detect, t_kill_rocket, kill_unit,
            candidate, t_detect, t_open, t_close, eng_t, eng_out, eng_shots, t_kill, order,
            unit_stats)

        n_threat = 0
        n_leak = 0
        n_killed = 0
        n_killed_threat = 0
        n_defended = 0
        for a in range(n_assets):
            hits[a] = 0.0
        for i in range(tubes):
            killed = kill_unit[i] >= 0
            if killed:
                n_killed += 1
            if defended[i]:
                n_defended += 1
            cells[i] = -1
            if inside[i]:
                n_threat += 1
                cells[i] = cell_index(impact[i, 0], impact[i, 1], gx0, gy0, gcell, gnx, gny)
                if killed:
                    n_killed_threat += 1
                else:
                    n_leak += 1
                    for a in range(n_assets):
                        dx = impact[i, 0] - asset_xy[a, 0]
                        dy = impact[i, 1] - asset_xy[a, 1]
                        if dx * dx + dy * dy <= asset_r2[a]:
                            hits[a] += 1.0
                warn = 0.0
                if first_detect[i] < math.inf:
                    warn = t0[i] + tof[i] - (first_detect[i] + alert_delay_s)
                    if warn < 0.0:
                        warn = 0.0
                else:
                    scal[S_UNDETECTED] += 1.0
                scal[S_WARN_SUM_S] += warn
                scal[S_WARN2] += warn * warn
                scal[S_WARN_N] += 1.0
                bin_ = int(warn / WARN_BIN_S)
                if bin_ >= WARN_BINS:
                    bin_ = WARN_BINS - 1
                warn_h[bin_] += 1.0

        scal[S_SALVOS] += 1.0
        scal[S_FIRED] += tubes
        scal[S_THREAT] += n_threat
        scal[S_LEAKED] += n_leak
        scal[S_INTERCEPTED] += n_killed
        scal[S_INTERCEPTED_THREAT] += n_killed_threat
        scal[S_DEFENDED] += n_defended
        scal[S_THREAT2] += n_threat * n_threat
        scal[S_LEAKED2] += n_leak * n_leak
        scal[S_THREAT_LEAKED] += n_threat * n_leak
        if n_threat > 0:
            scal[S_SALVOS_ANY_THREAT] += 1.0
        if n_leak > 0:
            scal[S_SALVOS_ANY_LEAK] += 1.0
        scal[S_REJECTED] += draws[D_REJECTED]
        scal[S_AIM_REDRAWN] += draws[D_REDRAWN]

        risk = 0.0
        for a in range(n_assets):
            asset_t[a, A_HITS] += hits[a]
            asset_t[a, A_HITS2] += hits[a] * hits[a]
            risk += asset_w[a] * hits[a]
        scal[S_ASSET_RISK] += risk
        scal[S_ASSET_RISK2] += risk * risk

        for u in range(n_units):
            unit_t[u, U_ENGAGEMENTS] += unit_stats[u, 0]
            unit_t[u, U_HITS] += unit_stats[u, 1]
            unit_t[u, U_SHOTS] += unit_stats[u, 2]
            unit_t[u, U_EXHAUSTED] += unit_stats[u, 3]
            if unit_stats[u, 0] > 0:
                unit_t[u, U_SALVOS_ENGAGED] += 1.0
        for u in range(n_units):
            unit_stats[u, 0] = 0  # reused: this salvo's credited kills of rockets inside
        for i in range(tubes):
            if kill_unit[i] >= 0:
                unit_t[kill_unit[i], U_KILLS] += 1.0
                if inside[i]:
                    unit_stats[kill_unit[i], 0] += 1
        for u in range(n_units):
            k_in = float(unit_stats[u, 0])
            unit_t[u, U_KILLS_INSIDE] += k_in
            unit_t[u, U_KILLS_INSIDE2] += k_in * k_in
            unit_t[u, U_KILLS_INSIDE_THREAT] += k_in * n_threat

        # impacts by base cell, with per-salvo squares (rockets of a salvo cluster in cells)
        for i in range(tubes):
            c = cells[i]
            if c < 0:
                continue
            seen = False
            for j in range(i):
                if cells[j] == c:
                    seen = True
                    break
            if seen:
                continue
            t_c = 0.0
            i_c = 0.0
            for j in range(i, tubes):
                if cells[j] == c:
                    t_c += 1.0
                    if kill_unit[j] >= 0:
                        i_c += 1.0
            grid_t[G_THREAT, c] += t_c
            grid_t[G_INTERCEPTED, c] += i_c
            grid_t[G_THREAT2, c] += t_c * t_c
            grid_t[G_INTERCEPTED2, c] += i_c * i_c
            grid_t[G_THREAT_INTERCEPTED, c] += t_c * i_c

        lc = cell_index(draws[D_LAUNCH_X], draws[D_LAUNCH_Y], lx0, ly0, lcell, lnx, lny)
        if lc >= 0:
            launch_t[L_SALVOS, lc] += 1.0
            launch_t[L_LEAKED, lc] += n_leak
            launch_t[L_LEAKED2, lc] += n_leak * n_leak
            launch_t[L_THREAT, lc] += n_threat

        g = first_salvo + s
        if g < story_salvos:
            for i in range(tubes):
                row = g * tubes + i
                story[row, R_SALVO] = g
                story[row, R_TUBE] = i
                story[row, R_LAUNCH_X] = draws[D_LAUNCH_X]
                story[row, R_LAUNCH_Y] = draws[D_LAUNCH_Y]
                story[row, R_AIM_X] = draws[D_AIM_X]
                story[row, R_AIM_Y] = draws[D_AIM_Y]
                story[row, R_IMPACT_X] = impact[i, 0]
                story[row, R_IMPACT_Y] = impact[i, 1]
                story[row, R_T_LAUNCH] = t0[i]
                story[row, R_T_IMPACT] = t0[i] + tof[i]
                story[row, R_INSIDE] = 1.0 if inside[i] else 0.0
                story[row, R_DEFENDED] = 1.0 if defended[i] else 0.0
                story[row, R_INTERCEPTED] = 1.0 if kill_unit[i] >= 0 else 0.0
                story[row, R_KILL_UNIT] = kill_unit[i]
                story[row, R_KILL_T] = t_kill_rocket[i] if kill_unit[i] >= 0 else math.nan
                story[row, R_FIRST_DETECT_T] = first_detect[i] if first_detect[i] < math.inf \
                    else math.nan
                w = math.nan
                if inside[i]:
                    w = 0.0
                    if first_detect[i] < math.inf:
                        w = max(0.0, t0[i] + tof[i] - first_detect[i] - alert_delay_s)
                story[row, R_WARNING_S] = w
                apogee = 0.0
                for k in range(n_k):
                    if pos[i, k, 2] > apogee:
                        apogee = pos[i, k, 2]
                story[row, R_APOGEE_M] = apogee
                for u in range(n_units):
                    story_u[row, u, RU_T] = eng_t[i, u]
                    story_u[row, u, RU_OUTCOME] = eng_out[i, u]
                    story_u[row, u, RU_SHOTS] = eng_shots[i, u]
                    story_u[row, u, RU_DETECT_T] = t_detect[i, u] if t_detect[i, u] < math.inf \
                        else math.nan


@njit(cache=True, parallel=True)
def run_blocks(
    first_block, n_blocks, total_salvos, root_seed, tubes, story_salvos,
    ripple_s, aim_sigma_m, range_sigma_frac, deflection_sigma_rad, wind_to_rad, alert_delay_s,
    wind_laying,
    node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m, relaz_step_rad, tau,
    aim_tri, aim_cum, zone_tri, zone_cum,
    gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets, def_state, def_rings,
    def_offsets,
    lx0, ly0, lcell, lnx, lny,
    unit_kind, unit_xy, unit_par,
    asset_xy, asset_r2, asset_w,
    scal, unit_t, grid_t, launch_t, asset_t, warn_h, story, story_u,
):
    """Run blocks ``first_block .. first_block + n_blocks - 1`` in parallel.

    Row ``j`` of every tally array receives block ``first_block + j``; each block writes only its
    own row, and the caller reduces rows in block order.
    """
    for j in prange(n_blocks):
        b = first_block + j
        np.random.seed(block_seed(root_seed, b))
        first_salvo = b * BLOCK_SALVOS
        n = min(BLOCK_SALVOS, total_salvos - first_salvo)
        simulate_block(
            root_seed, first_salvo, n, tubes, story_salvos,
            ripple_s, aim_sigma_m, range_sigma_frac, deflection_sigma_rad, wind_to_rad,
            alert_delay_s, wind_laying, node_pos, tof_tab, range_nowind_m, min_range_m, max_range_m,
            relaz_step_rad, tau, aim_tri, aim_cum, zone_tri, zone_cum,
            gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets, def_state, def_rings,
            def_offsets, lx0, ly0, lcell, lnx, lny, unit_kind, unit_xy, unit_par,
            asset_xy, asset_r2, asset_w,
            scal[j], unit_t[j], grid_t[j], launch_t[j], asset_t[j], warn_h[j], story, story_u)


@njit(cache=True)
def draw_block(root_seed, block, n_salvos, tubes, n_units, aim_tri, aim_cum, zone_tri, zone_cum,
               min_range_m, max_range_m, aim_sigma_m, range_sigma_frac, deflection_sigma_rad):
    """The draws of one block's salvos, exactly as :func:`run_blocks` makes them.

    For cross-checks against an independent implementation on a shared sample.

    Returns
    -------
    draws : ndarray, float64, shape (n_salvos, N_DRAW)
    delta, deflection : ndarray, float64, shape (n_salvos, tubes)
    u_kill : ndarray, float64, shape (n_salvos, tubes, n_units, 2)
    """
    np.random.seed(block_seed(root_seed, block))
    draws = np.zeros((n_salvos, N_DRAW))
    delta = np.zeros((n_salvos, tubes))
    deflection = np.zeros((n_salvos, tubes))
    u_kill = np.zeros((n_salvos, tubes, n_units, 2))
    for s in range(n_salvos):
        draw_salvo(root_seed, block * BLOCK_SALVOS + s, aim_tri, aim_cum, zone_tri, zone_cum,
                   min_range_m, max_range_m, aim_sigma_m, range_sigma_frac, deflection_sigma_rad,
                   draws[s], delta[s], deflection[s], u_kill[s], True)
    return draws, delta, deflection, u_kill
