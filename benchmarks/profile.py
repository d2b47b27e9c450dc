"""Where the kernel's time goes: ``python -m benchmarks profile``.

Two views, both on one thread and in CPU time (per-core cost; the kernel scales by blocks):

1. Scenario variants through :func:`forceprot.simulate.simulate`: Taji undefended, guns only,
   battery only, as shipped without its people at risk, as shipped. Differences are what each
   kind of unit, and the casualty stage, costs.
2. The salvo evaluation stage by stage: the kernel's own stage functions
   (:mod:`forceprot.kernel.sample`, :mod:`forceprot.kernel.salvo`), each run doing one more
   stage than the last: draw; + fly; + impact tests; + detection and windows by every unit;
   + kill draws; + threat order and timelines; + credit. Successive differences are the stages'
   costs; the rest of the kernel's time (tallies, story) is the full
   :func:`forceprot.simulate.simulate` minus the last stage. Nothing is copied from the kernel,
   so nothing has to be kept in step with it.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit
from rich.table import Table

from benchmarks import scenarios
from benchmarks.common import console, fmt, new_document
from forceprot.kernel.blocks import make_scratch
from forceprot.kernel.casualties import count_casualties
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.kernel.salvo import (
    classify_impacts,
    credit_kills,
    detect_and_window,
    draw_kills,
    fly_salvo,
    run_timelines,
    threat_order,
)
from forceprot.kernel.sample import draw_salvo
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.spatial import block_seed

__all__ = ["STAGES", "run_profile", "show_profile"]

STAGES = ("draw salvo", "fly rockets (family)", "impact in base / defended area",
          "detection and engagement windows, every unit", "kill draws",
          "threat order and unit timelines", "credit kills", "casualties (people at risk)")


@njit(cache=True)
def _stages(upto, root_seed, n_blocks, inputs):
    """Run stages 0..``upto`` of every salvo of ``n_blocks`` blocks; returns a checksum.

    The stages are the kernel's own (:mod:`forceprot.kernel.salvo`), in the order
    :func:`~forceprot.kernel.salvo.evaluate_salvo` runs them.
    """
    sc = make_scratch(inputs)
    check = 0.0
    for b in range(n_blocks):
        np.random.seed(block_seed(root_seed, b))
        for s in range(BLOCK_SALVOS):
            salvo_index = b * BLOCK_SALVOS + s
            draw_salvo(inputs.salvo, inputs.aim, inputs.zone, inputs.family, sc.draws, sc.delta,
                       sc.deflection)
            check += sc.draws[0]
            if upto < 1:
                continue
            fly_salvo(inputs.salvo, inputs.family, sc.draws, sc.delta, sc.deflection, sc.flights,
                      sc.impact)
            check += sc.impact[0, 0]
            if upto < 2:
                continue
            classify_impacts(inputs.base, inputs.defended, sc.impact, sc.inside, sc.defended)
            check += sc.defended[0]
            if upto < 3:
                continue
            detect_and_window(inputs.units, sc.flights, sc.impact, sc.defended, sc.eng,
                              (sc.first_detect_s, sc.first_track_s), sc.t_kill_s, sc.kill_unit)
            check += sc.first_detect_s[0]
            if upto < 4:
                continue
            draw_kills(root_seed, salvo_index, sc.eng)
            if upto < 5:
                continue
            threat_order(sc.flights, sc.order)
            run_timelines(inputs.units, sc.order, sc.flights, sc.eng, sc.unit_state)
            stats = sc.unit_state.stats
            check += stats[0, 1] if stats.shape[0] > 0 else 0.0
            if upto < 6:
                continue
            credit_kills(sc.eng, sc.t_kill_s, sc.kill_unit, sc.unit_state)
            check += sc.kill_unit[0]
            if upto < 7:
                continue
            count_casualties(inputs.people, inputs.salvo.alert_delay_s, sc.flights, sc.impact,
                             sc.kill_unit, sc.first_track_s, sc.casualties)
            check += sc.casualties.rocket[0, 1]
    return check


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
                "as shipped, without people": scenarios.taji_leakers_only(),
                "as shipped": scenarios.taji()}
    c = scenarios.taji()
    args = (c.inputs,)
    # every variant keeps Taji's [simulation] section: one set of settings for all
    taji = scenarios.taji_prepared().scenario
    for v in variants.values():
        simulate(v, RunSettings.from_scenario(
            taji, salvos=BLOCK_SALVOS, threads=1))       # compiled / loaded
    _stages(len(STAGES) - 1, 42, 1, *args)
    best_variant = {name: math.inf for name in variants}
    best_stage = [math.inf] * len(STAGES)
    for _ in range(rounds):
        for name, v in variants.items():
            t = time.process_time()
            simulate(v, RunSettings.from_scenario(taji, salvos=salvos, threads=1))
            best_variant[name] = min(best_variant[name], time.process_time() - t)
        for upto in range(len(STAGES)):
            t = time.process_time()
            _stages(upto, 42, n_blocks, *args)
            best_stage[upto] = min(best_stage[upto], time.process_time() - t)
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
