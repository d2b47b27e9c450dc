"""The benchmark cases of ``python -m benchmarks``: throughput, reference, scaling, answer, simple.

Each ``run_*`` function measures, returns its document (see :mod:`benchmarks.common`), and each
``show_*`` prints it as rich tables. Timings are taken in this run only and compared within it
(ratios of the same run); targets are reported PASS/MISS, never asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from rich.table import Table

from benchmarks import scenarios, simple_model
from benchmarks.common import console, cpu_s, fmt, new_document, repeat, target, targets_table
from benchmarks.crosscheck import compare
from benchmarks.reference import draw_sample, evaluate, kernel_tallies
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import simulate

__all__ = [
    "run_answer", "run_reference", "run_scaling", "run_simple", "run_throughput",
    "show_answer", "show_reference", "show_scaling", "show_simple", "show_throughput",
]

#: Targets, measured on the 2-core development machine.
TARGET_ROCKETS_PER_S = 5_000_000      # rockets/s, all threads, Taji default (issue 11)
TARGET_SPEEDUP_VS_REFERENCE = 3.0     # kernel / NumPy reference, same sample, same run
TARGET_SPEEDUP_VS_SIMPLE = 3.0        # kernel / simple NumPy + shapely script (issue 11)
#: What PERFORMANCE.md quotes for a vectorised NumPy + shapely script of the simple model on a
#: 2-core machine [rockets/s], shown beside this run's own figure.
SIMPLE_SCRIPT_QUOTED_ROCKETS_PER_S = 1_600_000
TARGET_THREAD_SCALING = 1.9           # 2 threads / 1 thread
TARGET_ANSWER_S = 5.0                 # wall of `forceprot run taji.toml --precision 0.005`
ANSWER_PRECISION = 0.005              # leak-rate 95 % half-width [-] (0.5 pp)
#: Peak RSS may not grow by more than this past one full chunk of tallies [fraction].
TARGET_MEMORY_GROWTH = 0.05


def _all_threads() -> int:
    return int(numba.config.NUMBA_NUM_THREADS)


def _probe(args: list[str], *, env: dict | None = None) -> list[dict]:
    """Run ``python -m benchmarks.probe ARGS`` from the repository root; its JSON lines."""
    path = os.pathsep.join([str(scenarios.ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    done = subprocess.run([sys.executable, "-m", "benchmarks.probe", *args],
                          cwd=scenarios.ROOT, env={**(env or os.environ), "PYTHONPATH": path},
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.probe {' '.join(args)} failed "
                           f"(exit {done.returncode}):\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------------------- throughput


def run_throughput(*, quick: bool) -> dict:
    """Rockets per second on the Taji default, 1 thread and all threads; compile times."""
    doc = new_document("throughput", quick=quick)
    c = scenarios.taji()
    taji = scenarios.taji_prepared().scenario  # its [simulation] settings for every run
    n_all = _all_threads()
    salvos = 4 * BLOCK_SALVOS if quick else 200_000
    reps = 1 if quick else 5
    for th in (1, n_all):
        simulate(c, RunSettings.from_scenario(
            taji, salvos=2 * BLOCK_SALVOS, threads=th))    # compiled, caches warm
    rates = {1: [], n_all: []}
    cpu = {1: [], n_all: []}
    scalars = {}
    for _ in range(reps):   # interleaved, so drift in machine load hits both alike
        for th in (1, n_all):
            c0 = cpu_s()
            res = simulate(c, RunSettings.from_scenario(
                taji, salvos=salvos, threads=th))
            cpu[th].append(cpu_s() - c0)
            rates[th].append(res.rockets_fired / res.elapsed_s)
            scalars[th] = res.scalars
    best1, bestn = max(rates[1]), max(rates[n_all])
    paired = [b / a for a, b in zip(rates[1], rates[n_all])]
    # the same without the people at risk (no casualty stage): the figure earlier rounds and
    # the simple script compare with
    lean = scenarios.taji_leakers_only()
    lean_rates = []
    for _ in range(reps):
        res = simulate(lean, RunSettings.from_scenario(
            taji, salvos=salvos, threads=n_all))
        lean_rates.append(res.rockets_fired / res.elapsed_s)
    doc.update({
        "scenario": "sites/taji.toml", "salvos": salvos, "tubes": c.tubes,
        "rockets_per_run": salvos * c.tubes, "repeats": reps, "threads_all": n_all,
        "rockets_per_s_1_thread": {"best": best1, "median": float(np.median(rates[1])),
                                   "all": rates[1]},
        "rockets_per_s_all_threads": {"best": bestn, "median": float(np.median(rates[n_all])),
                                      "all": rates[n_all]},
        "rockets_per_s_all_threads_without_people": {"best": max(lean_rates),
                                                     "median": float(np.median(lean_rates)),
                                                     "all": lean_rates},
        "thread_scaling": {"best_over_best": bestn / best1,
                           "median_of_paired": float(np.median(paired))},
        # load-independent: CPU time per rocket on one thread, and how much CPU time the same
        # work takes on all threads (1.0 = no parallel overhead; wall speedup on an idle
        # machine is then about threads x this, less the serial driver between chunks)
        "rockets_per_cpu_s_1_thread": salvos * c.tubes / min(cpu[1]),
        "cpu_s_per_run": {"1": cpu[1], str(n_all): cpu[n_all]},
        "cpu_efficiency_all_threads": min(cpu[1]) / min(cpu[n_all]),
        "threading": "nogil threads over blocks (forceprot.kernel.blocks)",
        "identical_tallies_across_threads": bool(np.array_equal(scalars[1], scalars[n_all])),
        "compile": None if quick else _compile_times(),
    })
    doc["targets"] = [
        target(f"rockets/s, {n_all} threads (best of {reps})", bestn, TARGET_ROCKETS_PER_S,
               unit="rockets/s", higher_is_better=True,
               note=f"1 thread: {salvos * c.tubes / min(cpu[1]):,.0f} rockets per CPU-second; "
                    f"without the people at risk {max(lean_rates):,.0f} rockets/s"),
        target(f"{n_all} threads / 1 thread", bestn / best1, TARGET_THREAD_SCALING, unit="x",
               higher_is_better=True,
               note=f"median of paired runs {float(np.median(paired)):.2f}x; CPU time per "
                    f"rocket {n_all} / 1 threads {min(cpu[n_all]) / min(cpu[1]):.3f}"),
    ]
    return doc


def _compile_times() -> dict:
    """Cold (empty NUMBA_CACHE_DIR) and warm (same dir again) first-call costs, subprocesses."""
    cache = tempfile.mkdtemp(prefix="forceprot-numba-cache-")
    try:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = _probe(["compile"], env=env)[0]
        warm = _probe(["compile"], env=env)[0]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"cold": cold, "warm": warm}


def show_throughput(doc: dict) -> None:
    table = Table(title=f"Kernel throughput, Taji default ({doc['salvos']:,} salvos x "
                        f"{doc['tubes']} tubes per run, {doc['repeats']} runs)")
    for col in ("threads", "best rockets/s", "median rockets/s"):
        table.add_column(col, justify="right")
    for th, key in ((1, "rockets_per_s_1_thread"),
                    (doc["threads_all"], "rockets_per_s_all_threads")):
        table.add_row(str(th), fmt(doc[key]["best"], "rockets/s"),
                      fmt(doc[key]["median"], "rockets/s"))
    console.print(table)
    console.print(f"tallies identical on 1 and {doc['threads_all']} threads: "
                  f"{doc['identical_tallies_across_threads']}; rockets per CPU-second on 1 "
                  f"thread {doc['rockets_per_cpu_s_1_thread']:,.0f}; CPU time 1 thread / "
                  f"{doc['threads_all']} threads for the same work "
                  f"{doc['cpu_efficiency_all_threads']:.3f}; {doc['threading']}")
    comp = doc["compile"]
    if comp:
        t = Table(title="First call in a fresh process (subprocess, own NUMBA_CACHE_DIR)")
        for col in ("cache", "imports", "scenario compile", "kernel first call", "process total"):
            t.add_column(col, justify="right")
        for label in ("cold", "warm"):
            r = comp[label]
            t.add_row(label, fmt(r["import_s"], "s"), fmt(r["scenario_compile_s"], "s"),
                      fmt(r["kernel_first_call_s"], "s"), fmt(r["total_s"], "s"))
        console.print(t)
    else:
        console.print("compile times: skipped (--quick)")
    console.print(targets_table(doc, "Throughput targets"))


# ----------------------------------------------------------------------------------- reference


def _reference_sample(name: str, c, prepared, n_blocks: int, seed: int, reps: int) -> dict:
    sample_t = time.perf_counter()
    sample = draw_sample(c, root_seed=seed, n_blocks=n_blocks)
    draw_s = time.perf_counter() - sample_t
    n_all = _all_threads()
    kernel = {}
    for th in sorted({1, n_all}):
        kernel_tallies(c, root_seed=seed, n_blocks=1, n_threads=th)                 # warm-up
        kernel[th] = repeat(lambda: kernel_tallies(c, root_seed=seed, n_blocks=n_blocks,
                                                   n_threads=th), max(reps, 3))
    # the proof: same sample, rocket by rocket; the first reference run is also timed
    t = time.perf_counter()
    ref_t, ref_o = evaluate(c, prepared, sample)
    first_s = time.perf_counter() - t
    ref = (repeat(lambda: evaluate(c, prepared, sample, keep_rockets=False), reps - 1)
           if reps > 1 else {"best_s": first_s, "median_s": first_s, "all_s": [first_s]})
    if first_s < ref["best_s"]:
        ref["best_s"] = first_s
    ker_t, story, story_u = kernel_tallies(c, root_seed=seed, n_blocks=n_blocks, story=True)
    cmp = compare(c, ref_t, ref_o, ker_t, story, story_u)
    rockets = sample.n_salvos * c.tubes
    return {
        "scenario": name, "seed": seed, "blocks": n_blocks, "salvos": sample.n_salvos,
        "rockets": rockets, "draw_sample_s": draw_s, "reference": ref,
        "kernel_1_thread": kernel[1], "kernel_all_threads": kernel[n_all],
        "reference_rockets_per_s": rockets / ref["best_s"],
        "kernel_rockets_per_s_1_thread": rockets / kernel[1]["best_s"],
        "kernel_rockets_per_s_all_threads": rockets / kernel[n_all]["best_s"],
        "speedup_1_thread": ref["best_s"] / kernel[1]["best_s"],
        "speedup_all_threads": ref["best_s"] / kernel[n_all]["best_s"],
        "agree": cmp.agree, "identical_counts": cmp.identical_counts,
        "rockets_flipped": cmp.n_flipped, "rockets_flipped_allowed": cmp.allowed_flips,
        "max_position_diff_m": cmp.max_position_diff_m, "max_time_diff_s": cmp.max_time_diff_s,
        "problems": cmp.problems(),
        "counts_kernel": cmp.counts_kernel, "counts_reference": cmp.counts_reference,
    }


def run_reference(*, quick: bool) -> dict:
    """Kernel against the NumPy reference on the same sample: speed ratio and equal counts."""
    doc = new_document("reference", quick=quick)
    n_all = _all_threads()
    reps = 1 if quick else 3
    samples = [
        _reference_sample("taji", scenarios.taji(), scenarios.taji_prepared(),
                          1 if quick else 8, 42, reps),
        _reference_sample("stress", scenarios.stress(), scenarios.stress_prepared(),
                          1 if quick else 4, 7, reps),
    ]
    doc["samples"] = samples
    taji = samples[0]
    doc["targets"] = [
        target("kernel 1 thread / reference (Taji)", taji["speedup_1_thread"],
               TARGET_SPEEDUP_VS_REFERENCE, unit="x", higher_is_better=True,
               note="like for like: NumPy runs on one core"),
        target(f"kernel {n_all} threads / reference (Taji)", taji["speedup_all_threads"],
               TARGET_SPEEDUP_VS_REFERENCE, unit="x", higher_is_better=True),
    ] + [
        target(f"rockets with another outcome ({s['scenario']}, {s['rockets']:,} rockets)",
               s["rockets_flipped"], s["rockets_flipped_allowed"], unit="rockets",
               higher_is_better=False,
               note="counts identical" if s["identical_counts"] else "within tolerance")
        for s in samples
    ]
    return doc


def show_reference(doc: dict) -> None:
    for s in doc["samples"]:
        table = Table(title=f"Kernel vs NumPy reference: {s['scenario']}, {s['salvos']:,} "
                            f"salvos ({s['rockets']:,} rockets), same draws")
        for col in ("", "best time", "rockets/s", "reference / this"):
            table.add_column(col, justify="right")
        table.add_row("NumPy reference", fmt(s["reference"]["best_s"], "s"),
                      fmt(s["reference_rockets_per_s"], "rockets/s"), "1.00x")
        table.add_row("kernel, 1 thread", fmt(s["kernel_1_thread"]["best_s"], "s"),
                      fmt(s["kernel_rockets_per_s_1_thread"], "rockets/s"),
                      fmt(s["speedup_1_thread"], "x"))
        table.add_row("kernel, all threads", fmt(s["kernel_all_threads"]["best_s"], "s"),
                      fmt(s["kernel_rockets_per_s_all_threads"], "rockets/s"),
                      fmt(s["speedup_all_threads"], "x"))
        console.print(table)
        counts = Table(title=f"Counts on the shared sample ({s['scenario']})")
        for col in ("count", "kernel", "reference", ""):
            counts.add_column(col, justify="left" if col == "count" else "right")
        for key, kv in s["counts_kernel"].items():
            rv = s["counts_reference"].get(key)
            counts.add_row(key, f"{kv:,}" if isinstance(kv, int) else f"{kv:,.3f}",
                           "-" if rv is None else (f"{rv:,}" if isinstance(rv, int)
                                                   else f"{rv:,.3f}"),
                           "=" if rv == kv else "[red]differs[/red]")
        console.print(counts)
        console.print(f"rockets with another outcome: {s['rockets_flipped']} "
                      f"(allowed {s['rockets_flipped_allowed']}); largest position difference "
                      f"{s['max_position_diff_m']:.3g} m, time difference "
                      f"{s['max_time_diff_s']:.3g} s; agree: {s['agree']}")
        for p in s["problems"]:
            console.print(f"[red]{p}[/red]")
    console.print(targets_table(doc, "Reference targets"))


# ------------------------------------------------------------------------------------- scaling


#: glibc malloc with a fixed mmap threshold: every large buffer is its own mapping, returned to
#: the system when freed (the default threshold adapts upward after large frees, so later large
#: buffers come from the heap, which fragments and keeps pages resident).
FIXED_MMAP_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def _series(variant_points: list[tuple[str, int]], *, quick: bool,
            env: dict | None = None) -> list[dict]:
    """Measure (variant, salvos) points: one subprocess each, or all in one for --quick."""
    def args(points):
        return ["simulate"] + [a for v, n in points for a in ("--point", v, str(n))]

    full_env = {**os.environ, **env} if env else None
    if quick:
        return _probe(args(variant_points), env=full_env)
    return [_probe(args([p]), env=full_env)[0] for p in variant_points]


def _exponent(points: list[dict], key: str) -> float | None:
    """Slope of log(time) against log(salvos): 1 is linear."""
    pts = [p for p in points if p[key] > 0]
    if len(pts) < 2:
        return None
    x = np.log([p["salvos"] for p in pts])
    y = np.log([p[key] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def run_scaling(*, quick: bool, full: bool) -> dict:
    """Wall time and peak RSS against salvos, defence units and tubes."""
    doc = new_document("scaling", quick=quick)
    if quick:
        sizes = [BLOCK_SALVOS, 4 * BLOCK_SALVOS]
        units, tubes, fixed = [1, 4], [6, 24], BLOCK_SALVOS
    else:
        sizes = [10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6] + ([10 ** 7] if full else [])
        units, tubes, fixed = [1, 4, 16], [6, 24, 96], 20_000
    points = ([("taji", n) for n in sizes] + [(f"units:{u}", fixed) for u in units]
              + [(f"tubes:{t}", fixed) for t in tubes])
    measured = _series(points, quick=quick)
    by_size = measured[:len(sizes)]
    by_units = measured[len(sizes):len(sizes) + len(units)]
    by_tubes = measured[len(sizes) + len(units):]
    for p in by_size + by_units + by_tubes:
        p["us_per_salvo"] = 1e6 * p["kernel_s"] / p["salvos"]
        p["rockets_per_s"] = p["rockets"] / p["kernel_s"]
        p["cpu_us_per_salvo"] = 1e6 * p["cpu_s"] / p["salvos"]
        p["rss_peak_mb"] = p["rss_peak_kb"] / 1024 if p["rss_peak_kb"] else None
    # linearity from 10^4 up (below, fixed costs of a chunk dominate)
    fit = [p for p in by_size if p["salvos"] >= (10 ** 4 if not quick else 0)]
    exponent = _exponent(fit, "cpu_s")          # CPU time: robust to other load
    exponent_wall = _exponent(fit, "kernel_s")
    # memory: past one full chunk of tallies (64 blocks = 32,768 salvos) nothing should grow
    ref_pt = next((p for p in by_size if p["salvos"] >= 10 ** 5), by_size[0])
    last = by_size[-1]
    def grows(a, b):
        return (b["rss_peak_kb"] - a["rss_peak_kb"]) / a["rss_peak_kb"] \
            if a["rss_peak_kb"] and b["rss_peak_kb"] else None

    growth = grows(ref_pt, last)
    # the same two sizes with a fixed mmap threshold: what the data need, apart from the
    # allocator's heap fragmentation
    fixed_pts = _series([("taji", ref_pt["salvos"]), ("taji", last["salvos"])], quick=quick,
                        env=FIXED_MMAP_ENV)
    growth_fixed = grows(*fixed_pts)
    doc.update({"scenario": "sites/taji.toml", "by_salvos": by_size, "by_units": by_units,
                "by_tubes": by_tubes, "fixed_salvos": fixed, "time_exponent": exponent,
                "time_exponent_wall": exponent_wall,
                "memory_growth_fraction": growth,
                "memory_reference_salvos": ref_pt["salvos"],
                "memory_fixed_mmap_threshold": {"env": FIXED_MMAP_ENV, "points": fixed_pts,
                                                "growth_fraction": growth_fixed},
                "one_process_per_point": not quick})
    doc["targets"] = [
        target(f"|k - 1|, CPU time ~ salvos^k, {fit[0]['salvos']:,}..{fit[-1]['salvos']:,}",
               None if exponent is None else abs(exponent - 1.0), 0.1, unit="",
               higher_is_better=False,
               note="k = " + ("-" if exponent is None else f"{exponent:.3f}")
                    + ("" if exponent_wall is None else f" (wall: {exponent_wall:.3f})")),
        target(f"peak RSS growth {ref_pt['salvos']:,} -> {last['salvos']:,} salvos",
               None if growth is None else 100 * growth, 100 * TARGET_MEMORY_GROWTH, unit="%",
               higher_is_better=False,
               note="default malloc; with a fixed mmap threshold "
                    + ("-" if growth_fixed is None else f"{100 * growth_fixed:.1f} %")),
    ]
    return doc


def show_scaling(doc: dict) -> None:
    for key, title, col in (("by_salvos", "Against salvos (Taji)", "salvos"),
                            ("by_units", f"Against defence units ({doc['fixed_salvos']:,} salvos)",
                             "n_units"),
                            ("by_tubes", f"Against tubes ({doc['fixed_salvos']:,} salvos)",
                             "tubes")):
        table = Table(title=title)
        for c in (col, "wall", "CPU", "CPU us/salvo", "rockets/s (wall)", "process peak RSS"):
            table.add_column(c, justify="right")
        for p in doc[key]:
            table.add_row(f"{p[col]:,}", fmt(p["kernel_s"], "s"), fmt(p["cpu_s"], "s"),
                          f"{p['cpu_us_per_salvo']:.1f}", fmt(p["rockets_per_s"], "rockets/s"),
                          fmt(p["rss_peak_mb"], "MB"))
        console.print(table)
    fx = doc["memory_fixed_mmap_threshold"]
    console.print("peak RSS with " + " ".join(f"{k}={v}" for k, v in fx["env"].items()) + ": "
                  + ", ".join(f"{p['salvos']:,} salvos {fmt(p['rss_peak_kb'] / 1024, 'MB')}"
                              for p in fx["points"] if p["rss_peak_kb"]))
    console.print(targets_table(doc, "Scaling targets"))


# -------------------------------------------------------------------------------------- answer


def _forceprot_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("forceprot")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from forceprot.cli import main; main()"]


def _timed_run(precision: float) -> dict:
    cmd = _forceprot_cmd() + ["run", str(scenarios.TAJI), "--precision", str(precision), "--json"]
    t = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=scenarios.ROOT)
    wall = time.perf_counter() - t
    summary = json.loads(done.stdout)
    lo, hi = summary["leak_rate_ci"]
    return {"wall_s": wall, "salvos": summary["salvos"], "leak_rate": summary["leak_rate"],
            "half_width": (hi - lo) / 2, "run_time_s": summary["run_time_s"],
            "stopped_at_precision": summary["stopped_at_precision"]}


def run_answer(*, quick: bool) -> dict:
    """Wall time of ``forceprot run sites/taji.toml --precision 0.005`` as a user runs it."""
    doc = new_document("answer", quick=quick)
    precision = 0.02 if quick else ANSWER_PRECISION
    if not quick:
        _timed_run(precision)                  # warm-up: numba cache written if stale
    runs = [_timed_run(precision) for _ in range(1 if quick else 3)]
    walls = [r["wall_s"] for r in runs]
    med = runs[int(np.argsort(walls)[len(walls) // 2])]
    doc.update({
        "command": f"forceprot run sites/taji.toml --precision {precision} --json",
        "precision": precision, "runs": runs, "wall_s_median": float(np.median(walls)),
        "wall_s_best": min(walls), "salvos": med["salvos"],
        "half_width_pp": 100 * med["half_width"],
        "breakdown": None if quick else _probe(["answer", "--precision", str(precision)])[0],
    })
    doc["targets"] = [
        target(f"wall, median of {len(runs)} (warm numba cache)", doc["wall_s_median"],
               TARGET_ANSWER_S, unit="s", higher_is_better=False,
               note=f"{med['salvos']:,} salvos"),
        target("leak-rate 95 % half-width reached", doc["half_width_pp"], 100 * precision,
               unit="pp", higher_is_better=False),
    ]
    return doc


def show_answer(doc: dict) -> None:
    table = Table(title=f"Time to answer: {doc['command']}")
    for col in ("run", "wall", "salvos", "leak rate", "half-width", "sampling"):
        table.add_column(col, justify="right")
    for k, r in enumerate(doc["runs"], 1):
        table.add_row(str(k), fmt(r["wall_s"], "s"), f"{r['salvos']:,}",
                      f"{100 * r['leak_rate']:.2f} %", f"{100 * r['half_width']:.3f} pp",
                      fmt(r["run_time_s"], "s"))
    console.print(table)
    b = doc["breakdown"]
    if b:
        t = Table(title="Where the wall time goes (same steps in one process)")
        for col in ("imports", "prepare", "scenario compile", "kernel load", "sampling",
                    "total"):
            t.add_column(col, justify="right")
        t.add_row(*(fmt(b[k], "s") for k in ("import_s", "prepare_s", "scenario_compile_s",
                                             "kernel_load_s", "sampling_s", "total_s")))
        console.print(t)
    console.print(targets_table(doc, "Time-to-answer targets"))


# -------------------------------------------------------------------------------------- simple


def run_simple(*, quick: bool) -> dict:
    """The kernel against the simple NumPy + shapely script (issue 11), measured in one run.

    Both sample Taji: the script its own simple model (:mod:`benchmarks.simple_model`), the
    kernel forceprot's full model (``simulate``, 1 thread and all threads). Runs are interleaved
    (script, kernel 1 thread, kernel all threads) so load drift hits all alike; compile and
    warm-up are outside the timed calls. Figures: wall rockets/s (best and median) and rockets
    per CPU-second (process CPU time, all threads), whose ratio on 1 thread is the
    load-independent one.
    """
    doc = new_document("simple", quick=quick)
    # like for like: the script scores no people, so neither does the kernel here
    c = scenarios.taji_leakers_only()
    prepared = scenarios.taji_prepared()
    t = time.perf_counter()
    model = simple_model.build(prepared, family=c.inputs.family)
    build_s = time.perf_counter() - t
    n_all = _all_threads()
    salvos = 4 * BLOCK_SALVOS if quick else 100_000
    reps = 1 if quick else 5
    seed = 42
    simple_model.run(model, BLOCK_SALVOS, seed)                        # warm-up (shapely, numpy)
    for th in (1, n_all):
        simulate(c, RunSettings.from_scenario(
            prepared.scenario, salvos=2 * BLOCK_SALVOS, threads=th))    # compiled, caches warm
    runs = {"script": {"wall_s": [], "cpu_s": []}, "kernel_1": {"wall_s": [], "cpu_s": []},
            f"kernel_{n_all}": {"wall_s": [], "cpu_s": []}}
    script_counts = kernel_leak = None
    rockets = salvos * c.tubes
    for _ in range(reps):   # interleaved
        c0, t0 = cpu_s(), time.perf_counter()
        script_counts = simple_model.run(model, salvos, seed)
        runs["script"]["wall_s"].append(time.perf_counter() - t0)
        runs["script"]["cpu_s"].append(cpu_s() - c0)
        for th in (1, n_all):
            c0 = cpu_s()
            res = simulate(c, RunSettings.from_scenario(
                prepared.scenario, salvos=salvos, threads=th))
            runs[f"kernel_{th}"]["cpu_s"].append(cpu_s() - c0)
            runs[f"kernel_{th}"]["wall_s"].append(res.elapsed_s)
            if res.rockets_fired != rockets:
                raise RuntimeError(f"kernel fired {res.rockets_fired:,} rockets, not {rockets:,}")
            kernel_leak = float(res.leak_rate.value)
    if script_counts["fired"] != rockets:
        raise RuntimeError(f"script fired {script_counts['fired']:,} rockets, not {rockets:,}")
    if kernel_leak is not None and not np.isfinite(kernel_leak):
        kernel_leak = None
    figures = {}
    for key, r in runs.items():
        rates = [rockets / w for w in r["wall_s"]]
        figures[key] = {"wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                        "rockets_per_s_best": max(rates),
                        "rockets_per_s_median": float(np.median(rates)),
                        "rockets_per_cpu_s_best": rockets / min(r["cpu_s"])}
    script, k1, kn = figures["script"], figures["kernel_1"], figures[f"kernel_{n_all}"]

    def paired(key: str) -> float:
        return float(np.median([a / b for a, b in zip(runs["script"]["wall_s"],
                                                      runs[key]["wall_s"])]))

    cpu_ratio = k1["rockets_per_cpu_s_best"] / script["rockets_per_cpu_s_best"]
    wall_1 = k1["rockets_per_s_best"] / script["rockets_per_s_best"]
    wall_n = kn["rockets_per_s_best"] / script["rockets_per_s_best"]
    inside = script_counts["inside"]
    doc.update({
        "scenario": "sites/taji.toml", "salvos": salvos, "tubes": c.tubes,
        "rockets_per_run": rockets, "repeats": reps, "threads_all": n_all, "seed": seed,
        "script": script, "kernel_1_thread": k1, "kernel_all_threads": kn,
        "ratio_cpu_1_thread": cpu_ratio,
        "ratio_wall_1_thread": {"best_over_best": wall_1, "median_of_paired": paired("kernel_1")},
        "ratio_wall_all_threads": {"best_over_best": wall_n,
                                   "median_of_paired": paired(f"kernel_{n_all}")},
        "script_quoted_rockets_per_s": SIMPLE_SCRIPT_QUOTED_ROCKETS_PER_S,
        "script_model": {
            "build_s": build_s, "chunk_salvos": simple_model.CHUNK_SALVOS,
            "tof_degree": simple_model.TOF_DEGREE, "tof_coef_per_km": list(model.tof_coef),
            "tof_fit_max_error_s": model.tof_fit_max_error_s,
            "counts": script_counts,
            "leak_rate": script_counts["leaked"] / inside if inside else None,
        },
        # different models: shown for orientation, never compared
        "kernel_leak_rate": kernel_leak,
    })
    doc["targets"] = [
        target("kernel 1 thread / simple script, rockets per CPU-second", cpu_ratio,
               TARGET_SPEEDUP_VS_SIMPLE, unit="x", higher_is_better=True,
               note=f"load-independent; script {script['rockets_per_cpu_s_best']:,.0f}, kernel "
                    f"{k1['rockets_per_cpu_s_best']:,.0f} rockets per CPU-second"),
        target(f"kernel {n_all} threads / simple script, wall", wall_n,
               TARGET_SPEEDUP_VS_SIMPLE, unit="x", higher_is_better=True,
               note=f"best over best; median of paired runs "
                    f"{doc['ratio_wall_all_threads']['median_of_paired']:.2f}x; 1 thread "
                    f"{wall_1:.2f}x"),
    ]
    return doc


def show_simple(doc: dict) -> None:
    n = doc["threads_all"]
    table = Table(title=f"Kernel vs the simple NumPy + shapely script, Taji ({doc['salvos']:,} "
                        f"salvos x {doc['tubes']} tubes per run, {doc['repeats']} runs, "
                        f"interleaved)")
    for col in ("", "best rockets/s", "median rockets/s", "rockets per CPU-second",
                "/ script (wall)", "/ script (CPU)"):
        table.add_column(col, justify="right")
    s = doc["script"]
    for label, d in (("simple script (NumPy + shapely)", s),
                     ("kernel, 1 thread", doc["kernel_1_thread"]),
                     (f"kernel, {n} threads", doc["kernel_all_threads"])):
        table.add_row(label, fmt(d["rockets_per_s_best"], "rockets/s"),
                      fmt(d["rockets_per_s_median"], "rockets/s"),
                      fmt(d["rockets_per_cpu_s_best"], "rockets/s"),
                      fmt(d["rockets_per_s_best"] / s["rockets_per_s_best"], "x"),
                      fmt(d["rockets_per_cpu_s_best"] / s["rockets_per_cpu_s_best"], "x"))
    console.print(table)
    sm = doc["script_model"]
    k = sm["counts"]
    console.print(
        f"script outcomes (its own simple model, not forceprot's): {k['fired']:,} fired, "
        f"{k['inside']:,} inside, {k['killed']:,} killed, leak rate "
        + ("-" if sm["leak_rate"] is None else f"{100 * sm['leak_rate']:.1f} %")
        + f", gun engagements {k['engagements']}; time-of-flight fit degree {sm['tof_degree']}, "
        f"max error {sm['tof_fit_max_error_s']:.2f} s. Kernel leak rate (full model) "
        + ("-" if doc["kernel_leak_rate"] is None else f"{100 * doc['kernel_leak_rate']:.1f} %")
        + f". PERFORMANCE.md quotes about {doc['script_quoted_rockets_per_s']:,} rockets/s for "
        "such a script.")
    console.print(targets_table(doc, "Kernel vs simple script targets"))
