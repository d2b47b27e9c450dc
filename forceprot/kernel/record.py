"""One salvo's outcomes added to its block's tallies, and the story of sampled rockets.

Per-salvo sums, squares and cross-products go into the tallies so that intervals can treat the
salvo, not the rocket, as the sampling unit (:mod:`forceprot.kernel.tally`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from forceprot.jit import njit_inner
from forceprot.kernel.bundles import (
    CH_CASUALTIES,
    CH_KILLED,
    CH_LOG_NONE,
    D_AIM_X,
    D_AIM_Y,
    D_LAUNCH_X,
    D_LAUNCH_Y,
    D_REDRAWN,
    D_REJECTED,
    US_ENGAGEMENTS,
    US_EXHAUSTED,
    US_KILLS,
    US_KILLS_INSIDE,
    US_ON_KILLED,
    US_SHOTS,
)
from forceprot.kernel.tally import (
    E_CASUALTIES,
    E_CASUALTIES2,
    E_KILLED,
    H_KILLED,
    H_KILLED2,
    H_P_CASUALTY,
    H_P_CASUALTY2,
    H_WOUNDED,
    H_WOUNDED2,
    R_ALERT_T,
    R_CASUALTIES,
    R_KILLED,
    S_CASUALTIES_NO_WARNING,
    S_CASUALTIES_SAVED2,
    S_KILLED,
    S_KILLED2,
    S_KILLED_ATTEMPT,
    S_KILLED_ATTEMPT2,
    S_KILLED_NO_WARNING,
    S_KILLED_SAVED2,
    S_P_CASUALTY,
    S_P_CASUALTY2,
    S_P_CASUALTY_ATTEMPT,
    S_P_CASUALTY_ATTEMPT2,
    S_WOUNDED,
    S_WOUNDED2,
    A_HITS,
    A_HITS2,
    A_SALVOS_HIT,
    G_INTERCEPTED,
    G_INTERCEPTED2,
    G_THREAT,
    G_THREAT2,
    G_THREAT_INTERCEPTED,
    L_LEAKED,
    L_LEAKED2,
    L_P_DETECT,
    L_SALVOS,
    L_THREAT,
    R_AIM_X,
    R_AIM_Y,
    R_APOGEE_M,
    R_DEFENDED,
    R_FIRST_DETECT_T,
    R_FIRST_TRACK_T,
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
    RU_TRACK_T,
    S_ANY_LEAK_ATTEMPT,
    S_ANY_LEAK_ATTEMPT2,
    S_ASSET_RISK,
    S_ASSET_RISK2,
    S_ASSET_RISK_ATTEMPT,
    S_ASSET_RISK_ATTEMPT2,
    S_DEFENDED,
    S_DETECT_DELAY_SUM_S,
    S_FIRED,
    S_INTERCEPTED,
    S_INTERCEPTED_THREAT,
    S_LEAKED,
    S_LEAKED2,
    S_LEAKED_ATTEMPT,
    S_LEAKED_ATTEMPT2,
    S_P_DETECT,
    S_P_PREVENT,
    S_P_PREVENT2,
    S_REJECTED,
    S_SALVOS,
    S_SALVOS_ANY_LEAK,
    S_SALVOS_ANY_THREAT,
    S_AIM_REDRAWN,
    S_THREAT,
    S_THREAT2,
    S_THREAT_LEAKED,
    S_TRACK_DELAY_SUM_S,
    S_TRACKED_N,
    S_UNDETECTED,
    S_WARN2,
    S_WARN_N,
    S_WARN_SALVO2,
    S_WARN_SUM_S,
    S_WARN_THREAT,
    U_ENGAGEMENTS,
    U_EXHAUSTED,
    U_HITS,
    U_KILLS,
    U_KILLS_INSIDE,
    U_KILLS_INSIDE2,
    U_KILLS_INSIDE_THREAT,
    U_ENGAGED_THREAT,
    U_ON_KILLED,
    U_SECTOR_THREAT,
    U_TAKEN_THREAT,
    U_WINDOW_THREAT,
    U_SALVOS_ENGAGED,
    U_SHOTS,
    WARN_BIN_S,
    WARN_BINS,
)
from forceprot.spatial import cell_index, point_in_rings

__all__ = ["asset_contains", "assets_contain", "tally_casualties", "tally_salvo", "tally_watch",
           "warning_s",
           "write_story"]


@njit_inner
def asset_contains(assets, a, x, y):
    """Whether a rocket landing at (x, y) [m] hits asset ``a`` of ``assets`` (:data:`Assets`).

    A circle asset (no rings) is hit within its radius (boundary included); a polygon asset
    inside its outline, holes excepted (even-odd over its rings; a point exactly on an edge may
    go either way), after an early exit on its bounding box.

    Notes
    -----
    The even-odd (crossing number) rule over every ring of a polygon or multipolygon counts
    a point in a hole, or between the parts, as outside: W. R. Franklin, PNPOLY,
    https://wrfranklin.org/Research/Short_Notes/pnpoly.html. The tests hold it to
    ``shapely.contains_xy``.
    """
    p0 = assets.poly_offsets[a]
    p1 = assets.poly_offsets[a + 1]
    if p0 == p1:
        dx = x - assets.xy_m[a, 0]
        dy = y - assets.xy_m[a, 1]
        return dx * dx + dy * dy <= assets.r2_m2[a]
    box = assets.bbox_m
    if x < box[a, 0] or x > box[a, 2] or y < box[a, 1] or y > box[a, 3]:
        return False
    return point_in_rings(x, y, assets.rings_m, assets.ring_offsets[p0:p1 + 1])


@njit(cache=True)
def assets_contain(assets, x, y):
    """Hit test of many points against every asset (:func:`asset_contains`).

    Parameters
    ----------
    assets : Assets
    x, y : ndarray, float64, shape (n,)
        Points [m].

    Returns
    -------
    ndarray, bool, shape (n_assets, n)
    """
    n_assets = assets.xy_m.shape[0]
    out = np.zeros((n_assets, x.shape[0]), dtype=np.bool_)
    for a in range(n_assets):
        for i in range(x.shape[0]):
            out[a, i] = asset_contains(assets, a, x[i], y[i])
    return out


@njit_inner
def warning_s(flights, first_track_s, alert_delay_s, i):
    """Warning rocket ``i`` gives [s]: impact minus (first fire-control track + alert delay), at
    least 0; 0 when no unit tracked it.

    The alert rule: sense-and-warn sounds once some unit holds a track of the rocket (a bare
    detection predicts no impact point), plus ``alert_delay_s`` for the alarm chain.
    """
    if first_track_s[i] < math.inf:
        w = flights.t0_s[i] + flights.tof_s[i] - (first_track_s[i] + alert_delay_s)
        return w if w > 0.0 else 0.0
    return 0.0


@njit_inner
def tally_watch(watch, x, y, lc, n_leak, risk, killed, p_casualty, rows):
    """Add one salvo's surveillance figures: P(prevented) ``p`` at its launcher (x, y) [m] (the
    raster cell it stands in) and its leakers, leaking, asset risk, expected killed and
    P(>= 1 casualty) weighted by ``1 - p``, the salvo's chance of being fired (expectations:
    nothing is drawn); ``lc`` is its launch cell (-1 outside the launch grid)."""
    c = cell_index(x, y, watch.x0_m, watch.y0_m, watch.cell_m, watch.nx, watch.ny)
    p = watch.p_prevent[c] if c >= 0 else 0.0
    p_det = watch.p_detect[c] if c >= 0 else 0.0
    scal = rows.scalars
    fired = 1.0 - p
    scal[S_P_PREVENT] += p
    scal[S_P_PREVENT2] += p * p
    scal[S_P_DETECT] += p_det
    leak_w = fired * n_leak
    scal[S_LEAKED_ATTEMPT] += leak_w
    scal[S_LEAKED_ATTEMPT2] += leak_w * leak_w
    if n_leak > 0:
        scal[S_ANY_LEAK_ATTEMPT] += fired
        scal[S_ANY_LEAK_ATTEMPT2] += fired * fired
    risk_w = fired * risk
    scal[S_ASSET_RISK_ATTEMPT] += risk_w
    scal[S_ASSET_RISK_ATTEMPT2] += risk_w * risk_w
    killed_w = fired * killed
    scal[S_KILLED_ATTEMPT] += killed_w
    scal[S_KILLED_ATTEMPT2] += killed_w * killed_w
    p_cas_w = fired * p_casualty
    scal[S_P_CASUALTY_ATTEMPT] += p_cas_w
    scal[S_P_CASUALTY_ATTEMPT2] += p_cas_w * p_cas_w
    if lc >= 0:
        rows.launch[L_P_DETECT, lc] += p_det


@njit_inner
def tally_salvo(inputs, scratch, rows):
    """Add one evaluated salvo to the block's tally rows (:data:`Tallies`, one row each).

    Counts rockets fired, landing inside (threat), leaked and intercepted; warning times of the
    threatening rockets; asset hits; each unit's engagements and credited kills; impacts by base
    cell and salvos by launch cell, all with the per-salvo squares the intervals need.
    """
    s = scratch
    scal = rows.scalars
    tubes = s.delta.shape[0]
    n_units = inputs.units.kind.shape[0]
    assets = inputs.assets
    n_assets = assets.xy_m.shape[0]
    base = inputs.base
    n_threat = 0
    n_leak = 0
    n_killed = 0
    n_killed_threat = 0
    n_defended = 0
    warn_salvo = 0.0
    for a in range(n_assets):
        s.hits[a] = 0.0
    for i in range(tubes):
        killed = s.kill_unit[i] >= 0
        if killed:
            n_killed += 1
        if s.defended[i]:
            n_defended += 1
        s.cells[i] = -1
        if s.inside[i]:
            n_threat += 1
            s.cells[i] = cell_index(s.impact[i, 0], s.impact[i, 1], base.x0_m, base.y0_m,
                                    base.cell_m, base.nx, base.ny)
            if killed:
                n_killed_threat += 1
            else:
                n_leak += 1
                for a in range(n_assets):
                    if asset_contains(assets, a, s.impact[i, 0], s.impact[i, 1]):
                        s.hits[a] += 1.0
            if s.first_detect_s[i] == math.inf:
                scal[S_UNDETECTED] += 1.0
            elif s.first_track_s[i] < s.flights.t0_s[i] + s.flights.tof_s[i]:
                scal[S_TRACKED_N] += 1.0
                scal[S_DETECT_DELAY_SUM_S] += s.first_detect_s[i] - s.flights.t0_s[i]
                scal[S_TRACK_DELAY_SUM_S] += s.first_track_s[i] - s.flights.t0_s[i]
            warn = warning_s(s.flights, s.first_track_s, inputs.salvo.alert_delay_s, i)
            scal[S_WARN_SUM_S] += warn
            scal[S_WARN2] += warn * warn
            warn_salvo += warn
            scal[S_WARN_N] += 1.0
            bin_ = int(warn / WARN_BIN_S)
            if bin_ >= WARN_BINS:
                bin_ = WARN_BINS - 1
            rows.warn_hist[bin_] += 1.0

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
    # per-salvo warning sums: the salvo, not the rocket, is the sampling unit of its interval
    scal[S_WARN_SALVO2] += warn_salvo * warn_salvo
    scal[S_WARN_THREAT] += warn_salvo * n_threat
    if n_threat > 0:
        scal[S_SALVOS_ANY_THREAT] += 1.0
    if n_leak > 0:
        scal[S_SALVOS_ANY_LEAK] += 1.0
    scal[S_REJECTED] += s.draws[D_REJECTED]
    scal[S_AIM_REDRAWN] += s.draws[D_REDRAWN]

    risk = 0.0
    for a in range(n_assets):
        rows.assets[a, A_HITS] += s.hits[a]
        rows.assets[a, A_HITS2] += s.hits[a] * s.hits[a]
        if s.hits[a] > 0.0:
            rows.assets[a, A_SALVOS_HIT] += 1.0
        risk += assets.weight[a] * s.hits[a]
    scal[S_ASSET_RISK] += risk
    scal[S_ASSET_RISK2] += risk * risk

    unit_t = rows.units
    stats = s.unit_state.stats
    for u in range(n_units):
        unit_t[u, U_ENGAGEMENTS] += stats[u, US_ENGAGEMENTS]
        unit_t[u, U_ON_KILLED] += stats[u, US_ON_KILLED]
        unit_t[u, U_HITS] += stats[u, US_KILLS]
        unit_t[u, U_SHOTS] += stats[u, US_SHOTS]
        unit_t[u, U_EXHAUSTED] += stats[u, US_EXHAUSTED]
        if stats[u, US_ENGAGEMENTS] > 0:
            unit_t[u, U_SALVOS_ENGAGED] += 1.0
        stats[u, US_KILLS_INSIDE] = 0
    eng = s.eng
    for i in range(tubes):
        if s.inside[i]:
            for u in range(n_units):
                if eng.in_sector[i, u]:
                    unit_t[u, U_SECTOR_THREAT] += 1.0
                if eng.candidate[i, u]:
                    unit_t[u, U_WINDOW_THREAT] += 1.0
                if eng.eng_shots[i, u] > 0:
                    unit_t[u, U_ENGAGED_THREAT] += 1.0
                elif eng.candidate[i, u] and s.kill_unit[i] >= 0:
                    unit_t[u, U_TAKEN_THREAT] += 1.0
        if s.kill_unit[i] >= 0:
            unit_t[s.kill_unit[i], U_KILLS] += 1.0
            if s.inside[i]:
                stats[s.kill_unit[i], US_KILLS_INSIDE] += 1
    for u in range(n_units):
        k_in = float(stats[u, US_KILLS_INSIDE])
        unit_t[u, U_KILLS_INSIDE] += k_in
        unit_t[u, U_KILLS_INSIDE2] += k_in * k_in
        unit_t[u, U_KILLS_INSIDE_THREAT] += k_in * n_threat

    # impacts by base cell, with per-salvo squares (rockets of a salvo cluster in cells)
    grid_t = rows.grid
    for i in range(tubes):
        c = s.cells[i]
        if c < 0:
            continue
        seen = False
        for j in range(i):
            if s.cells[j] == c:
                seen = True
                break
        if seen:
            continue
        t_c = 0.0
        i_c = 0.0
        for j in range(i, tubes):
            if s.cells[j] == c:
                t_c += 1.0
                if s.kill_unit[j] >= 0:
                    i_c += 1.0
        grid_t[G_THREAT, c] += t_c
        grid_t[G_INTERCEPTED, c] += i_c
        grid_t[G_THREAT2, c] += t_c * t_c
        grid_t[G_INTERCEPTED2, c] += i_c * i_c
        grid_t[G_THREAT_INTERCEPTED, c] += t_c * i_c

    killed = 0.0
    p_casualty = 0.0
    if inputs.people.xy_m.shape[0] > 0:
        killed, p_casualty = tally_casualties(inputs.people.hour_w, s.casualties, rows)

    launch = inputs.launch
    lc = cell_index(s.draws[D_LAUNCH_X], s.draws[D_LAUNCH_Y], launch.x0_m, launch.y0_m,
                    launch.cell_m, launch.nx, launch.ny)
    if lc >= 0:
        rows.launch[L_SALVOS, lc] += 1.0
        rows.launch[L_LEAKED, lc] += n_leak
        rows.launch[L_LEAKED2, lc] += n_leak * n_leak
        rows.launch[L_THREAT, lc] += n_threat
    if inputs.watch.nx > 0:  # no surveillance: these tallies stay 0 (every salvo is fired)
        tally_watch(inputs.watch, s.draws[D_LAUNCH_X], s.draws[D_LAUNCH_Y], lc, n_leak, risk,
                    killed, p_casualty, rows)


@njit_inner
def tally_casualties(hour_w, acc, rows):
    """Add one salvo's casualties (:data:`~forceprot.kernel.bundles.CasualtyScratch`) to the
    block's rows: by attack hour, weighted over the hours, as if nobody had been warned, and by
    occupancy polygon, each with its per-salvo square. Returns the salvo's expected killed and
    P(>= 1 casualty), weighted over the attack hours."""
    scal = rows.scalars
    hours = rows.hours
    killed = 0.0
    wounded = 0.0
    p_any = 0.0
    for h in range(hour_w.shape[0]):
        k = acc.hour[CH_KILLED, h]
        w = acc.hour[CH_CASUALTIES, h] - k
        if w < 0.0:  # rounding: a casualty is at least as likely as a death
            w = 0.0
        p = -math.expm1(acc.hour[CH_LOG_NONE, h])
        hours[H_KILLED, h] += k
        hours[H_KILLED2, h] += k * k
        hours[H_WOUNDED, h] += w
        hours[H_WOUNDED2, h] += w * w
        hours[H_P_CASUALTY, h] += p
        hours[H_P_CASUALTY2, h] += p * p
        killed += hour_w[h] * k
        wounded += hour_w[h] * w
        p_any += hour_w[h] * p
    scal[S_KILLED] += killed
    scal[S_KILLED2] += killed * killed
    scal[S_WOUNDED] += wounded
    scal[S_WOUNDED2] += wounded * wounded
    scal[S_P_CASUALTY] += p_any
    scal[S_P_CASUALTY2] += p_any * p_any
    k0 = acc.no_warning[0]
    c0 = acc.no_warning[1]
    scal[S_KILLED_NO_WARNING] += k0
    scal[S_CASUALTIES_NO_WARNING] += c0
    scal[S_KILLED_SAVED2] += (k0 - killed) ** 2
    scal[S_CASUALTIES_SAVED2] += (c0 - killed - wounded) ** 2
    exp_ = rows.exposure
    for k_ in range(exp_.shape[0]):
        exp_[k_, E_KILLED] += acc.poly[k_, 0]
        exp_[k_, E_CASUALTIES] += acc.poly[k_, 1]
        exp_[k_, E_CASUALTIES2] += acc.poly[k_, 1] * acc.poly[k_, 1]
    return killed, p_any


@njit_inner
def write_story(inputs, scratch, salvo_index, story):
    """Every rocket's record of salvo ``salvo_index`` into ``story`` (:data:`Story`), rows
    ``salvo_index * tubes + tube``."""
    s = scratch
    tubes = s.delta.shape[0]
    n_units = inputs.units.kind.shape[0]
    pos = s.flights.pos_m
    n_k = pos.shape[1]
    rec = story.rockets
    rec_u = story.units
    for i in range(tubes):
        row = salvo_index * tubes + i
        t0 = s.flights.t0_s[i]
        rec[row, R_SALVO] = salvo_index
        rec[row, R_TUBE] = i
        rec[row, R_LAUNCH_X] = s.draws[D_LAUNCH_X]
        rec[row, R_LAUNCH_Y] = s.draws[D_LAUNCH_Y]
        rec[row, R_AIM_X] = s.draws[D_AIM_X]
        rec[row, R_AIM_Y] = s.draws[D_AIM_Y]
        rec[row, R_IMPACT_X] = s.impact[i, 0]
        rec[row, R_IMPACT_Y] = s.impact[i, 1]
        rec[row, R_T_LAUNCH] = t0
        rec[row, R_T_IMPACT] = t0 + s.flights.tof_s[i]
        rec[row, R_INSIDE] = 1.0 if s.inside[i] else 0.0
        rec[row, R_DEFENDED] = 1.0 if s.defended[i] else 0.0
        rec[row, R_INTERCEPTED] = 1.0 if s.kill_unit[i] >= 0 else 0.0
        rec[row, R_KILL_UNIT] = s.kill_unit[i]
        rec[row, R_KILL_T] = s.t_kill_s[i] if s.kill_unit[i] >= 0 else math.nan
        rec[row, R_FIRST_DETECT_T] = s.first_detect_s[i] if s.first_detect_s[i] < math.inf \
            else math.nan
        rec[row, R_FIRST_TRACK_T] = s.first_track_s[i] if s.first_track_s[i] < math.inf \
            else math.nan
        rec[row, R_WARNING_S] = (warning_s(s.flights, s.first_track_s,
                                           inputs.salvo.alert_delay_s, i)
                                 if s.inside[i] else math.nan)
        apogee = 0.0
        for k in range(n_k):
            if pos[i, k, 2] > apogee:
                apogee = pos[i, k, 2]
        rec[row, R_APOGEE_M] = apogee
        rec[row, R_ALERT_T] = s.first_track_s[i] + inputs.salvo.alert_delay_s \
            if s.first_track_s[i] < math.inf else math.nan
        rec[row, R_KILLED] = s.casualties.rocket[i, 0]
        rec[row, R_CASUALTIES] = s.casualties.rocket[i, 1]
        for u in range(n_units):
            rec_u[row, u, RU_T] = s.eng.eng_t_s[i, u]
            rec_u[row, u, RU_OUTCOME] = s.eng.eng_outcome[i, u]
            rec_u[row, u, RU_SHOTS] = s.eng.eng_shots[i, u]
            t_det = s.eng.t_detect_s[i, u]
            rec_u[row, u, RU_DETECT_T] = t_det if t_det < math.inf else math.nan
            t_trk = s.eng.t_track_s[i, u]
            rec_u[row, u, RU_TRACK_T] = t_trk if t_trk < math.inf else math.nan
