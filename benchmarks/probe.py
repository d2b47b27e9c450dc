"""Measurements that need a fresh process: ``python -m benchmarks.probe MODE ...``.

The parent benchmark starts this module as a subprocess and reads one JSON object per line from
its stdout.

Modes
-----
``simulate --point V N [--point V N ...]``
    For each point: compile scenario ``V`` (``taji``, ``stress``, ``units:16``, ``tubes:96``),
    warm the kernel up on one block, reset the peak-RSS mark (``/proc/self/clear_refs``), run
    ``forceprot.simulate.simulate`` for ``N`` salvos, and report its wall and CPU time and the
    peak and starting RSS. One point per process is the clean measurement; several points share one
    process only in ``--quick`` smoke runs.
``compile``
    First-call cost in this process: imports, scenario compile (trajectory family), and the
    first kernel call (numba compile, or load from ``NUMBA_CACHE_DIR``).
``answer --precision P``
    Where the wall time of ``forceprot run --precision P`` goes: imports, scenario preparation,
    compile, kernel load, sampling.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

_T_START = time.perf_counter()


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _compiled(variant: str):
    """The variant's prepared scenario (its run settings) and its compiled arrays."""
    from benchmarks import scenarios

    kind, _, arg = variant.partition(":")
    if kind == "taji":
        return scenarios.taji_prepared(), scenarios.taji()
    if kind == "units":
        return scenarios.with_units_prepared(int(arg)), scenarios.with_units(int(arg))
    if kind == "tubes":
        return scenarios.with_tubes_prepared(int(arg)), scenarios.with_tubes(int(arg))
    if kind == "stress":
        return scenarios.stress_prepared(), scenarios.stress()
    raise SystemExit(f"unknown variant {variant!r}; one of taji, stress, units:N, tubes:N")


def _cpu_s() -> float:
    """CPU time of this process, all threads [s]."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _simulate(args) -> None:
    import resource

    import numba

    from benchmarks.common import read_proc_status_kb
    from forceprot.settings import RunSettings
    from forceprot.simulate import simulate

    threads = args.threads or numba.config.NUMBA_NUM_THREADS
    for variant, n in args.point:
        n = int(n)
        prepared, c = _compiled(variant)
        simulate(c, RunSettings.from_scenario(
            prepared.scenario, salvos=512, threads=threads))   # kernel compiled or loaded, first chunk warm
        reset = _reset_peak_rss()
        before = read_proc_status_kb("VmRSS")
        cpu0 = _cpu_s()
        t = time.perf_counter()
        res = simulate(c, RunSettings.from_scenario(
            prepared.scenario, salvos=n, threads=threads))
        wall = time.perf_counter() - t
        cpu = _cpu_s() - cpu0
        after = read_proc_status_kb("VmRSS", "VmHWM")
        _emit({"variant": variant, "salvos": n, "threads": threads, "tubes": c.tubes,
               "n_units": c.n_units, "rockets": int(res.rockets_fired), "wall_s": wall,
               "kernel_s": res.elapsed_s, "cpu_s": cpu, "rss_start_kb": before.get("VmRSS"),
               "rss_end_kb": after.get("VmRSS"), "rss_peak_kb": after.get("VmHWM"),
               "peak_reset": reset,
               "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def _compile(args) -> None:
    t0 = time.perf_counter()
    import forceprot.simulate  # noqa: F401  (numba, forceprot kernels imported)
    from forceprot.compile import compile_scenario, prepare_scenario
    t1 = time.perf_counter()
    from benchmarks.scenarios import TAJI

    prepared = prepare_scenario(TAJI)
    c = compile_scenario(prepared)
    t2 = time.perf_counter()
    from forceprot.settings import RunSettings
    from forceprot.simulate import simulate

    res = simulate(c, RunSettings.from_scenario(prepared.scenario, salvos=512))
    t3 = time.perf_counter()
    _emit({"interpreter_to_main_s": t0 - _T_START, "import_s": t1 - t0,
           "scenario_compile_s": t2 - t1,
           "kernel_first_call_s": res.extra["compile_or_cache_load_s"],
           "first_simulate_s": t3 - t2, "total_s": t3 - _T_START})


def _answer(args) -> None:
    t0 = time.perf_counter()
    import forceprot.cli  # noqa: F401  (what `forceprot run` imports)
    from forceprot.compile import compile_scenario, prepare_scenario
    from forceprot.settings import RunSettings
    from forceprot.simulate import simulate
    t1 = time.perf_counter()
    from benchmarks.scenarios import TAJI

    prepared = prepare_scenario(TAJI)
    t2 = time.perf_counter()
    c = compile_scenario(prepared)
    t3 = time.perf_counter()
    res = simulate(c, RunSettings.from_scenario(prepared.scenario, precision=args.precision))
    t4 = time.perf_counter()
    _emit({"import_s": t1 - t0, "prepare_s": t2 - t1, "scenario_compile_s": t3 - t2,
           "kernel_load_s": res.extra["compile_or_cache_load_s"], "sampling_s": res.elapsed_s,
           "simulate_s": t4 - t3, "salvos": res.salvos, "total_s": t4 - _T_START})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("simulate")
    p.add_argument("--point", nargs=2, action="append", required=True,
                   metavar=("VARIANT", "SALVOS"))
    p.add_argument("--threads", type=int, default=None)
    sub.add_parser("compile")
    a = sub.add_parser("answer")
    a.add_argument("--precision", type=float, default=0.005)
    args = parser.parse_args(argv)
    {"simulate": _simulate, "compile": _compile, "answer": _answer}[args.mode](args)


if __name__ == "__main__":
    main()
