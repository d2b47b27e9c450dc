"""Flight-model benchmark: direct RK4 flights per second, family build and compile times.

Run ``python -m benchmarks.flight`` from the repository root (``--quick`` for a smoke run of a
few seconds). Prints a table and writes ``benchmarks/results/flight.json`` (atomically). It
asserts no timing: the numbers are for reading, and ratios within one run are what compare.

Measured
--------
- direct flights per second for each bundled class: RK4 from the muzzle to impact with no path
  stored, elevations spread from ``min_elevation_deg`` to the max-range elevation, no wind; on
  one thread and on all threads (a ``prange`` driver local to this module);
- family interpolations per second (the Monte Carlo fast path) for comparison;
- trajectory family build time on the default grid (no wind: 112 x 1 x 33; 8 m/s wind:
  112 x 24 x 33), numba already compiled, the max-range search memoized apart;
- the Taji case (107 mm, 4 m/s wind, 40 m ground altitude) as the command line meets it:
  ``build_family`` with an empty disk cache (max-range search and grid) and again with only the
  disk cache (in-memory memo cleared);
- first-call time of the flight kernels in a fresh interpreter with an empty numba cache (cold:
  compiles) and again with the same cache (warm: loads).

The family disk cache points at a temporary folder for the whole run: a user's cache is
neither read nor written.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

from forceprot import ballistics
from forceprot.catalog.rockets import BUNDLED_ROCKETS
from forceprot.flight.family import interpolate_family
from forceprot.flight.trajectory import N_SUMMARY, SUMMARY_X_M, integrate

RESULTS = Path(__file__).resolve().parent / "results" / "flight.json"
DT_S = ballistics.DEFAULT_DT_S


@njit(parallel=True, cache=True)
def fly_many(elevations_rad, rocket, drag_mach, drag_cd, dt_s, max_time_s, summaries):
    """Fly every elevation (no wind, sea level, no path stored); ``summaries`` (n, N_SUMMARY)."""
    no_t = np.empty(0)
    no_state = np.empty((0, 6))
    for i in prange(elevations_rad.shape[0]):
        integrate(elevations_rad[i], 0.0, 0.0, 0.0, rocket, drag_mach, drag_cd, dt_s,
                  max_time_s, no_t, no_state, summaries[i])


@njit(cache=True)
def interpolate_many(node_pos, node_vel, tof, e_min, e_step, relaz_step, elevations, relaz,
                     out_pos, out_vel):
    """Interpolate one family flight per (elevation, relaz) pair; returns the summed tof."""
    total = 0.0
    for i in range(elevations.shape[0]):
        total += interpolate_family(node_pos, node_vel, tof, e_min, e_step, relaz_step,
                                    elevations[i], relaz[i], out_pos, out_vel)
    return total


def _best_of(fn, repeats: int) -> float:
    """Fastest of ``repeats`` runs [s]: the least disturbed by other work on a shared machine."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_flights(key: str, n_flights: int, repeats: int) -> dict:
    rocket = BUNDLED_ROCKETS[key]
    params, drag_mach, drag_cd = ballistics.rocket_arrays(rocket)
    _, e_max = ballistics.max_range(rocket)
    elevations = np.linspace(math.radians(rocket.min_elevation_deg), e_max, n_flights)
    # shuffled: flight time grows with elevation, and prange hands each thread a contiguous chunk
    elevations = np.random.default_rng(0).permutation(elevations)
    summaries = np.empty((n_flights, N_SUMMARY))
    max_time = ballistics._max_time_s(params)

    def run():
        fly_many(elevations, params, drag_mach, drag_cd, DT_S, max_time, summaries)

    run()  # compile or load
    assert np.all(np.isfinite(summaries[:, SUMMARY_X_M]))
    steps = float(np.sum(summaries[:, 0]) / DT_S)  # grid steps integrated (tof / dt)
    n_all = numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(1)
    one = _best_of(run, repeats)
    numba.set_num_threads(n_all)
    many = _best_of(run, repeats)
    return {
        "rocket": key,
        "n_flights": n_flights,
        "mean_tof_s": float(np.mean(summaries[:, 0])),
        "flights_per_s_1_thread": n_flights / one,
        "flights_per_s_all_threads": n_flights / many,
        "threads": n_all,
        "ns_per_rk4_step_1_thread": one / steps * 1e9,
    }


def bench_interpolation(key: str, n_calls: int, repeats: int) -> float:
    family = ballistics.build_family(key, wind_speed_mps=8.0, n_elevations=8)
    rng = np.random.default_rng(0)
    e = family.elevations_rad
    elevations = rng.uniform(e[0], e[-1], n_calls)
    relaz = rng.uniform(0.0, 2 * math.pi, n_calls)
    n_nodes = family.node_pos_m.shape[2]
    out_pos, out_vel = np.empty((n_nodes, 3)), np.empty((n_nodes, 3))

    def run():
        interpolate_many(family.node_pos_m, family.node_vel_mps, family.tof_s,
                         family.elevation_min_rad, family.elevation_step_rad,
                         family.relaz_step_rad, elevations, relaz, out_pos, out_vel)

    run()
    return n_calls / _best_of(run, repeats)


def _empty_disk_cache() -> None:
    folder = ballistics.family_cache_dir()
    if folder is not None:
        for path in folder.glob("family-*.npz"):
            path.unlink()


def bench_family_build(key: str, wind_speed_mps: float) -> float:
    ballistics.build_family(key, n_elevations=2, n_nodes=3)  # compile or load the kernels
    ballistics.max_range(key)  # the max-range search is memoized apart; time the grid alone
    ballistics._build_family_cached.cache_clear()
    _empty_disk_cache()
    t0 = time.perf_counter()
    ballistics.build_family(key, wind_speed_mps=wind_speed_mps)
    return time.perf_counter() - t0


TAJI = {"wind_speed_mps": 4.0, "ground_altitude_m": 40.0}  # the README's Taji scenario


def bench_taji_family(repeats: int) -> dict:
    """``build_family("107mm", **TAJI)`` without and with the disk cache [s], best of repeats."""
    ballistics.build_family("107mm", n_elevations=2, n_nodes=3)  # compile or load the kernels

    def cold():
        ballistics._max_range_cached.cache_clear()
        ballistics._build_family_cached.cache_clear()
        _empty_disk_cache()
        ballistics.build_family("107mm", **TAJI)

    def from_disk():
        ballistics._max_range_cached.cache_clear()
        ballistics._build_family_cached.cache_clear()
        ballistics.build_family("107mm", **TAJI)

    no_cache = _best_of(cold, max(1, repeats // 2))
    disk = _best_of(from_disk, repeats)
    return {"no_disk_cache_s": no_cache, "disk_cache_s": disk}


_FIRST_CALL = """
import time
t0 = time.perf_counter()
from forceprot import ballistics
t1 = time.perf_counter()
ballistics.fly("107mm", 0.5)
ballistics.build_family("107mm", n_elevations=2, n_nodes=3)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def bench_compile() -> dict:
    """Import and first-call time in fresh interpreters, empty numba cache then warm."""
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)  # the family cache env is inherited
        out = {}
        for label in ("cold", "warm"):
            done = subprocess.run([sys.executable, "-c", _FIRST_CALL], env=env, check=True,
                                  capture_output=True, text=True)
            import_s, first_call_s = map(float, done.stdout.split())
            out[f"import_s_{label}"] = import_s
            out[f"first_call_s_{label}_cache"] = first_call_s
        return out


def _write_json(document: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(document: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    table = Table(title=f"Direct RK4 flights (dt = {document['dt_s']} s, no path stored), "
                        f"trajectory families")
    for column in ("rocket", "mean tof (s)", "flights/s 1 thr",
                   f"flights/s {document['threads']} thr", "ns/RK4 step",
                   "family interp/s", "build calm (s)", "build 8 m/s (s)"):
        table.add_column(column, justify="right")
    for row in document["flights"]:
        key = row["rocket"]
        build = document["family_build_s"][key]
        table.add_row(key, f"{row['mean_tof_s']:.1f}", f"{row['flights_per_s_1_thread']:,.0f}",
                      f"{row['flights_per_s_all_threads']:,.0f}",
                      f"{row['ns_per_rk4_step_1_thread']:.0f}",
                      f"{document['family_interpolations_per_s'][key]:,.0f}",
                      f"{build['calm']:.2f}",
                      "-" if build["wind_8mps"] is None else f"{build['wind_8mps']:.2f}")
    console.print(table)
    taji = document["taji_family_s"]
    console.print(f"Taji family (107 mm, 4 m/s, 40 m): {taji['no_disk_cache_s']:.2f} s built, "
                  f"{taji['disk_cache_s'] * 1e3:.0f} ms from the disk cache")
    compile_times = document["compile"]
    if compile_times:
        console.print(
            f"first call (fly + build_family): cold numba cache "
            f"{compile_times['first_call_s_cold_cache']:.2f} s, warm cache "
            f"{compile_times['first_call_s_warm_cache']:.2f} s "
            f"(import {compile_times['import_s_cold']:.2f} / "
            f"{compile_times['import_s_warm']:.2f} s)")
    else:
        console.print("compile times: skipped (--quick)")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flight", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: few flights, one repeat, no windy family build, no "
                             "compile subprocesses, no JSON unless --output is given")
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON results file (default benchmarks/results/flight.json; "
                             "none with --quick)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="forceprot-family-cache-") as cache_dir:
        previous = os.environ.get(ballistics.FAMILY_CACHE_ENV)
        os.environ[ballistics.FAMILY_CACHE_ENV] = cache_dir
        try:
            document = _run(args)
        finally:
            if previous is None:
                del os.environ[ballistics.FAMILY_CACHE_ENV]
            else:
                os.environ[ballistics.FAMILY_CACHE_ENV] = previous
    _render(document)
    target = args.output if args.output is not None else (None if args.quick else RESULTS)
    if target is not None:
        _write_json(document, target)
    return document


def _load_average() -> float | None:
    """1-minute load average: other work on a shared machine skews every number here."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def _run(args: argparse.Namespace) -> dict:
    n_flights, repeats, n_calls = (40, 1, 20_000) if args.quick else (400, 7, 200_000)
    ballistics._build_family_cached.cache_clear()  # families only from this run's cache
    load_at_start = _load_average()
    document = {
        "benchmark": "flight",
        "quick": args.quick,
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numba": numba.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads": numba.config.NUMBA_NUM_THREADS,
        "dt_s": DT_S,
        "flights": [bench_flights(key, n_flights, repeats) for key in sorted(BUNDLED_ROCKETS)],
        "family_interpolations_per_s": {
            key: bench_interpolation(key, n_calls, repeats) for key in sorted(BUNDLED_ROCKETS)},
        "family_build_s": {
            key: {"calm": bench_family_build(key, 0.0),
                  "wind_8mps": None if args.quick else bench_family_build(key, 8.0)}
            for key in sorted(BUNDLED_ROCKETS)},
        "taji_family_s": bench_taji_family(repeats),
        "compile": {} if args.quick else bench_compile(),
    }
    document["load_average_1min_at_start"] = load_at_start
    document["load_average_1min_at_end"] = _load_average()
    return document


if __name__ == "__main__":
    main()
