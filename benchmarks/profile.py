"""Where the kernel's time goes: ``python -m benchmarks profile``.

Two views, both on one thread and in CPU time (per-core cost; the kernel scales by blocks):

1. Scenario variants through :func:`forceprot.simulate.simulate`: Taji undefended, guns only,
   battery only, as shipped. Differences are what each kind of unit costs.
2. The salvo evaluation rebuilt stage by stage from the kernel's own numba functions
   (:func:`forceprot.kernel.draw_salvo`, ``lay_for_wind``, ``elevation_index``, ``fly_rocket``,
   :func:`forceprot.spatial.point_in_grid_polygon`, :mod:`forceprot.engage` sensors, gun window
   and timelines), each driver doing one more stage than the last: draw; + fly; + impact tests;
   + detection by every unit; + gun windows; + gun timelines; + battery timelines. Successive
   differences are the stages' costs; the rest of the kernel's time (tallies) is the full
   :func:`forceprot.kernel.run_blocks` minus the last stage. The drivers follow the kernel's
   evaluation step for step and must be kept in step with it (the smoke test runs them).
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
from numba import njit
from rich.table import Table

from benchmarks import scenarios
from benchmarks.common import console, fmt, new_document
from forceprot.engage.cram import gun_timeline, gun_window_s
from forceprot.engage.params import (
    KIND_CRAM,
    P_DEFENDED_RADIUS_M,
    P_GUN_MAX_RANGE_M,
    P_GUN_MIN_HEIGHT_M,
    P_SENSOR_HEIGHT_M,
    P_SENSOR_RANGE_M,
    P_TAN_MIN_ELEVATION,
)
from forceprot.engage.patriot import battery_timeline
from forceprot.engage.sensors import first_detection_s
from forceprot.kernel import BLOCK_SALVOS, draw_salvo, elevation_index, fly_rocket, lay_for_wind
from forceprot.simulate import simulate
from forceprot.spatial import block_seed, counter_uniform, point_in_grid_polygon

__all__ = ["STAGES", "run_profile", "show_profile"]

STAGES = ("draw salvo", "fly rockets (family)", "impact in base / defended area",
          "first detection, every unit", "gun engagement windows; kill draws",
          "gun timelines", "battery timelines")


@njit(cache=True)
def _stages(upto, root_seed, n_blocks, tubes, ripple_s, aim_sigma_m, range_sigma_frac,
            deflection_sigma_rad, wind_to_rad, wind_laying, node_pos, tof_tab, range_nowind_m, min_range_m,
            max_range_m, relaz_step_rad, tau, aim_tri, aim_cum, zone_tri, zone_cum,
            gx0, gy0, gcell, gnx, gny, base_state, base_rings, base_offsets, def_state, def_rings,
            def_offsets, unit_kind, unit_xy, unit_par):
    """Run stages 0..``upto`` of every salvo of ``n_blocks`` blocks; returns a checksum."""
    n_units = unit_kind.shape[0]
    n_k = tau.shape[0]
    draws = np.zeros(8)
    delta = np.zeros(tubes)
    deflection = np.zeros(tubes)
    u_kill = np.zeros((tubes, n_units, 2))
    pos = np.zeros((tubes, n_k, 3))
    t0 = np.zeros(tubes)
    tof = np.zeros(tubes)
    defended = np.zeros(tubes, dtype=np.bool_)
    candidate = np.zeros((tubes, n_units), dtype=np.bool_)
    t_detect = np.zeros((tubes, n_units))
    t_open = np.zeros((tubes, n_units))
    t_close = np.zeros((tubes, n_units))
    eng_t = np.zeros((tubes, n_units))
    eng_out = np.zeros((tubes, n_units), dtype=np.int64)
    eng_shots = np.zeros((tubes, n_units), dtype=np.int64)
    t_kill = np.zeros((tubes, n_units))
    order = np.zeros(tubes, dtype=np.int64)
    check = 0.0
    for b in range(n_blocks):
        np.random.seed(block_seed(root_seed, b))
        for s in range(BLOCK_SALVOS):
            draw_salvo(root_seed, b * BLOCK_SALVOS + s, aim_tri, aim_cum, zone_tri, zone_cum,
                       min_range_m, max_range_m, aim_sigma_m, range_sigma_frac,
                       deflection_sigma_rad, draws, delta, deflection, u_kill, False)
            check += draws[0]
            if upto < 1:
                continue
            lx = draws[2]
            ly = draws[3]
            lay_x = draws[0] + draws[4]
            lay_y = draws[1] + draws[5]
            lay_range = math.hypot(lay_x - lx, lay_y - ly)
            heading = math.atan2(lay_y - ly, lay_x - lx)
            if wind_laying:
                lay_range, heading = lay_for_wind(node_pos, tof_tab, range_nowind_m, min_range_m,
                                                  max_range_m, relaz_step_rad, wind_to_rad,
                                                  lay_range, heading)
            for i in range(tubes):
                r = min(max(lay_range * (1.0 + delta[i]), min_range_m), max_range_m)
                fe = elevation_index(range_nowind_m, r)
                h = heading + deflection[i]
                t0[i] = i * ripple_s
                tof[i] = fly_rocket(node_pos, tof_tab, fe, wind_to_rad - h, relaz_step_rad, lx,
                                    ly, h, pos[i])
                check += pos[i, n_k - 1, 0]
            if upto < 2:
                continue
            for i in range(tubes):
                ix = pos[i, n_k - 1, 0]
                iy = pos[i, n_k - 1, 1]
                inside = point_in_grid_polygon(ix, iy, gx0, gy0, gcell, gnx, gny, base_state,
                                               base_rings, base_offsets)
                defended[i] = inside or point_in_grid_polygon(ix, iy, gx0, gy0, gcell, gnx, gny,
                                                              def_state, def_rings, def_offsets)
                check += defended[i]
            if upto < 3:
                continue
            for i in range(tubes):
                for u in range(n_units):
                    par = unit_par[u]
                    t_detect[i, u] = first_detection_s(
                        pos[i], t0[i], tof[i], tau, unit_xy[u, 0], unit_xy[u, 1],
                        par[P_SENSOR_HEIGHT_M], par[P_SENSOR_RANGE_M], par[P_TAN_MIN_ELEVATION])
                    dx = pos[i, n_k - 1, 0] - unit_xy[u, 0]
                    dy = pos[i, n_k - 1, 1] - unit_xy[u, 1]
                    rad = par[P_DEFENDED_RADIUS_M]
                    candidate[i, u] = defended[i] and t_detect[i, u] < math.inf \
                        and dx * dx + dy * dy <= rad * rad
                    t_open[i, u] = math.inf
                    t_close[i, u] = -math.inf
                    eng_t[i, u] = math.nan
                    eng_out[i, u] = -1
                    eng_shots[i, u] = 0
                    t_kill[i, u] = math.inf
                    check += candidate[i, u]
            if upto < 4:
                continue
            for i in range(tubes):
                for u in range(n_units):
                    if candidate[i, u] and unit_kind[u] == KIND_CRAM:
                        par = unit_par[u]
                        ta, tb = gun_window_s(pos[i], t0[i], tof[i], tau, unit_xy[u, 0],
                                              unit_xy[u, 1], par[P_GUN_MAX_RANGE_M],
                                              par[P_GUN_MIN_HEIGHT_M])
                        t_open[i, u] = ta
                        t_close[i, u] = tb
                        candidate[i, u] = ta <= tb
                        if ta <= tb:
                            check += ta
            for i in range(tubes):   # kill draws only where an engagement can happen
                for u in range(n_units):
                    if candidate[i, u]:
                        salvo = b * BLOCK_SALVOS + s
                        u_kill[i, u, 0] = counter_uniform(root_seed, salvo, i, u, 0)
                        u_kill[i, u, 1] = counter_uniform(root_seed, salvo, i, u, 1)
            if upto < 5:
                continue
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
                    ne, nk, ns, ex = gun_timeline(u, unit_par[u], order, candidate, t_detect,
                                                  t_open, t_close, u_kill, eng_t, eng_out,
                                                  eng_shots, t_kill)
                    check += nk
                elif upto >= 6:
                    ne, nk, ns, ex = battery_timeline(u, unit_par[u], order, candidate, t_detect,
                                                      pos, t0, tof, tau, unit_xy[u, 0],
                                                      unit_xy[u, 1], u_kill, eng_t, eng_out,
                                                      eng_shots, t_kill)
                    check += nk
    return check


def _stage_args(c) -> tuple:
    g = c.base_grid
    return (c.tubes, c.ripple_s, c.aim_sigma_m, c.range_sigma_frac, c.deflection_sigma_rad,
            c.wind_to_rad, c.wind_laying, c.node_pos, c.tof_tab, c.range_nowind_m, c.min_range_m,
            c.max_range_m, c.relaz_step_rad, c.tau, c.aim_tri, c.aim_cum, c.zone_tri,
            c.zone_cum, g.x0, g.y0, g.cell_m, g.nx, g.ny, c.base_state, c.base_rings,
            c.base_offsets, c.def_state, c.def_rings, c.def_offsets, c.unit_kind, c.unit_xy,
            c.unit_par)


def run_profile(*, quick: bool) -> dict:
    """Per-core cost breakdown of the kernel on Taji (see the module docstring).

    Times are CPU time of this process (:func:`time.process_time`), not wall: on one thread
    that is the per-core cost, and it is far less disturbed by other processes on a shared
    machine. Every measurement is repeated, rounds interleaved (each round times every variant
    and every stage once), and the best of the rounds kept.
    """
    doc = new_document("profile", quick=quick)
    n_blocks = 1 if quick else 40
    salvos = n_blocks * BLOCK_SALVOS
    rounds = 1 if quick else 5
    variants = {"undefended": scenarios.with_defence_kinds(()),
                "guns only": scenarios.with_defence_kinds(("cram",)),
                "battery only": scenarios.with_defence_kinds(("patriot",)),
                "as shipped": scenarios.taji()}
    c = scenarios.taji()
    args = _stage_args(c)
    n_all = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(1)
    try:
        for v in variants.values():
            simulate(v, salvos=BLOCK_SALVOS, threads=1)       # compiled / loaded
        _stages(len(STAGES) - 1, 42, 1, *args)
        best_variant = {name: math.inf for name in variants}
        best_stage = [math.inf] * len(STAGES)
        for _ in range(rounds):
            for name, v in variants.items():
                t = time.process_time()
                simulate(v, salvos=salvos, threads=1)
                best_variant[name] = min(best_variant[name], time.process_time() - t)
            for upto in range(len(STAGES)):
                t = time.process_time()
                _stages(upto, 42, n_blocks, *args)
                best_stage[upto] = min(best_stage[upto], time.process_time() - t)
    finally:
        numba.set_num_threads(n_all)
    rows = []
    for name, v in variants.items():
        best = best_variant[name]
        rows.append({"variant": name, "units": v.unit_kinds, "kernel_s": best,
                     "us_per_salvo": 1e6 * best / salvos,
                     "ns_per_rocket": 1e9 * best / (salvos * v.tubes),
                     "rockets_per_s": salvos * v.tubes / best})
    full = best_variant["as shipped"]
    stages = []
    prev = 0.0
    for name, t in zip(STAGES, best_stage):
        stages.append({"stage": name, "s": t - prev, "cumulative_s": t})
        prev = t
    stages.append({"stage": "tallies, story, driver (full kernel minus the stages)",
                   "s": full - prev, "cumulative_s": full})
    for st in stages:
        st["ns_per_rocket"] = 1e9 * st["s"] / (salvos * c.tubes)
        st["share"] = st["s"] / full
    doc.update({"salvos": salvos, "threads": 1, "rounds": rounds, "tubes": c.tubes,
                "variants": rows, "stages": stages, "units": c.unit_kinds})
    return doc


def show_profile(doc: dict) -> None:
    table = Table(title=f"Kernel CPU time by scenario variant, 1 thread, {doc['salvos']:,} "
                        f"salvos, best of {doc['rounds']}")
    for col in ("variant", "CPU time", "ns/rocket", "rockets per CPU-second"):
        table.add_column(col, justify="left" if col == "variant" else "right")
    for r in doc["variants"]:
        table.add_row(r["variant"], f"{1e3 * r['kernel_s']:.1f} ms", f"{r['ns_per_rocket']:.0f}",
                      fmt(r["rockets_per_s"], "rockets/s"))
    console.print(table)
    t = Table(title="Kernel CPU time by stage, Taji as shipped, 1 thread (cumulative drivers, "
                    "differences)")
    for col in ("stage", "CPU time", "ns/rocket", "share"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for st in doc["stages"]:
        t.add_row(st["stage"], f"{1e3 * st['s']:.1f} ms", f"{st['ns_per_rocket']:.0f}",
                  f"{100 * st['share']:.0f} %")
    console.print(t)
