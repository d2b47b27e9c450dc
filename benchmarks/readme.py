"""Regenerate the figures in benchmarks/README.md from the JSON results.

``python -m benchmarks readme`` replaces everything between the ``<!-- figures:begin -->`` and
``<!-- figures:end -->`` markers with markdown tables built from ``<results>/<case>.json`` (full
runs only; ``*.quick.json`` smoke runs are ignored). Re-measure on a quiet machine with
``python -m benchmarks all`` and then run this.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import CASES
from benchmarks.common import RESULTS, fmt, verdict
from forceprot.atomic import atomic_write_text

__all__ = ["BEGIN", "END", "README", "render_figures", "update_readme"]

README = Path(__file__).resolve().parent / "README.md"
BEGIN = "<!-- figures:begin -->"
END = "<!-- figures:end -->"


def _threading(d: dict) -> str:
    """How blocks ran in parallel (results before the thread pool name numba's layer)."""
    return d.get("threading") or f"numba threading layer {d.get('threading_layer')}"


def _load(results: Path) -> dict[str, dict]:
    docs = {}
    for case in CASES:
        path = Path(results) / f"{case}.json"
        if path.exists():
            docs[case] = json.loads(path.read_text())
    return docs


def _table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(header)))
    sep = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    return "\n".join(lines)


def _machine(docs: dict) -> str:
    lines = []
    for case, d in docs.items():
        m = d["machine"]
        load0 = m.get("load_average_1min_at_start")
        load1 = m.get("load_average_1min_at_end")
        lines.append(f"- `{case}`: {d['when']}, {m['nproc']} cores ({m['cpu_model']}), numba "
                     f"{m['numba']} ({m['numba_threads']} threads), numpy {m['numpy']}, shapely "
                     f"{m['shapely']}, Python {m['python']}"
                     + ("" if load0 is None else f"; 1-min load average {load0:.2f} at start")
                     + ("" if load1 is None else f", {load1:.2f} at end"))
    return "\n".join(lines)


def _targets(docs: dict) -> str:
    rows = []
    for case, d in docs.items():
        for t in d["targets"]:
            rows.append([case, t["name"], fmt(t["measured"], t["unit"]),
                         f"{t['comparison']} {fmt(t['target'], t['unit'])}",
                         f"**{verdict(t['pass'])}**", t.get("note", "")])
    return _table(["case", "figure", "measured", "target", "verdict", "note"], rows,
                  right={2, 3})


def _throughput(d: dict) -> str:
    n = d["threads_all"]
    rows = [["1", fmt(d["rockets_per_s_1_thread"]["best"], "rockets/s"),
             fmt(d["rockets_per_s_1_thread"]["median"], "rockets/s")],
            [str(n), fmt(d["rockets_per_s_all_threads"]["best"], "rockets/s"),
             fmt(d["rockets_per_s_all_threads"]["median"], "rockets/s")]]
    out = [f"Taji default, {d['salvos']:,} salvos x {d['tubes']} tubes per run, {d['repeats']} "
           f"runs per thread count, interleaved. {n} / 1 threads: "
           f"{d['thread_scaling']['best_over_best']:.2f}x (best over best), "
           f"{d['thread_scaling']['median_of_paired']:.2f}x (median of paired runs). Tallies "
           f"identical on 1 and {n} threads: {d['identical_tallies_across_threads']}. "
           f"Load-independent figures: {d['rockets_per_cpu_s_1_thread']:,.0f} rockets per "
           f"CPU-second on 1 thread; the same work costs "
           f"{1 / d['cpu_efficiency_all_threads']:.3f}x "
           f"the CPU time on {n} threads ({_threading(d)}).", "",
           _table(["threads", "best", "median"], rows)]
    comp = d.get("compile")
    if comp:
        rows = [[label, fmt(comp[label]["import_s"], "s"),
                 fmt(comp[label]["scenario_compile_s"], "s"),
                 fmt(comp[label]["kernel_first_call_s"], "s"), fmt(comp[label]["total_s"], "s")]
                for label in ("cold", "warm")]
        out += ["", "First call in a fresh process, own `NUMBA_CACHE_DIR` (cold: empty; warm: "
                "the same directory again):", "",
                _table(["numba cache", "imports", "scenario compile", "kernel first call",
                        "process total"], rows)]
    return "\n".join(out)


def _reference(d: dict) -> str:
    rows = []
    for s in d["samples"]:
        rows.append([s["scenario"], f"{s['rockets']:,}", fmt(s["reference"]["best_s"], "s"),
                     fmt(s["kernel_1_thread"]["best_s"], "s"),
                     fmt(s["kernel_all_threads"]["best_s"], "s"),
                     fmt(s["speedup_1_thread"], "x"), fmt(s["speedup_all_threads"], "x"),
                     f"{s['rockets_flipped']} / {s['rockets_flipped_allowed']}",
                     "identical" if s["identical_counts"] else
                     ("within tolerance" if s["agree"] else "**DIFFER**")])
    return _table(["sample", "rockets", "NumPy reference", "kernel 1 thread",
                   "kernel all threads", "speedup 1 thr", "speedup all", "flipped / allowed",
                   "counts"], rows, right=set(range(1, 8)))


def _scaling(d: dict) -> str:
    out = []
    for key, title, col in (("by_salvos", "Against salvos (Taji)", "salvos"),
                            ("by_units", f"Against defence units ({d['fixed_salvos']:,} salvos)",
                             "n_units"),
                            ("by_tubes", f"Against tubes ({d['fixed_salvos']:,} salvos)",
                             "tubes")):
        rows = [[f"{p[col]:,}", fmt(p["kernel_s"], "s"), fmt(p["cpu_s"], "s"),
                 f"{p['cpu_us_per_salvo']:.1f}", fmt(p["rockets_per_s"], "rockets/s"),
                 fmt(p["rss_peak_mb"], "MB")]
                for p in d[key]]
        out += [f"{title}:", "", _table([col, "wall", "CPU", "CPU us/salvo", "rockets/s (wall)",
                                         "process peak RSS"], rows), ""]
    fx = d.get("memory_fixed_mmap_threshold")
    if fx:
        env = " ".join(f"{k}={v}" for k, v in fx["env"].items())
        out.append(f"Peak RSS again with `{env}` (glibc: large buffers always mapped and "
                   "unmapped, no heap fragmentation): "
                   + ", ".join(f"{p['salvos']:,} salvos {fmt(p['rss_peak_kb'] / 1024, 'MB')}"
                               for p in fx["points"] if p["rss_peak_kb"]) + ".")
    return "\n".join(out).rstrip()


def _answer(d: dict) -> str:
    rows = [[str(k), fmt(r["wall_s"], "s"), f"{r['salvos']:,}", f"{100 * r['half_width']:.3f} pp",
             fmt(r["run_time_s"], "s")] for k, r in enumerate(d["runs"], 1)]
    out = [f"`{d['command']}`, after one warm-up run:", "",
           _table(["run", "wall", "salvos", "half-width", "sampling"], rows)]
    b = d.get("breakdown")
    if b:
        out += ["", "Where the time goes (the same steps, timed in one process):", "",
                _table(["imports", "prepare", "scenario compile", "kernel load", "sampling",
                        "total"],
                       [[fmt(b[k], "s") for k in ("import_s", "prepare_s", "scenario_compile_s",
                                                  "kernel_load_s", "sampling_s", "total_s")]],
                       right=set(range(6)))]
    return "\n".join(out)


def _profile(d: dict) -> str:
    rows = [[r["variant"], f"{1e3 * r['kernel_s']:.1f} ms", f"{r['ns_per_rocket']:.0f}",
             fmt(r["rockets_per_s"], "rockets/s")] for r in d["variants"]]
    stages = [[s["stage"], f"{1e3 * s['s']:.1f} ms", f"{s['ns_per_rocket']:.0f}",
               f"{100 * s['share']:.0f} %"] for s in d["stages"]]
    return "\n".join([
        f"CPU time on 1 thread, {d['salvos']:,} salvos, best of {d['rounds']} interleaved rounds.",
        "", _table(["variant", "CPU time", "ns/rocket", "rockets per CPU-second"], rows), "",
        _table(["stage (Taji as shipped)", "CPU time", "ns/rocket", "share"], stages)])


def _simple(d: dict) -> str:
    s, k1, kn = d["script"], d["kernel_1_thread"], d["kernel_all_threads"]
    rows = [["simple NumPy + shapely script", fmt(s["rockets_per_s_best"], "rockets/s"),
             fmt(s["rockets_per_cpu_s_best"], "rockets/s")],
            ["kernel, 1 thread", fmt(k1["rockets_per_s_best"], "rockets/s"),
             fmt(k1["rockets_per_cpu_s_best"], "rockets/s")],
            [f"kernel, {d['threads_all']} threads", fmt(kn["rockets_per_s_best"], "rockets/s"),
             fmt(kn["rockets_per_cpu_s_best"], "rockets/s")]]
    return "\n".join([
        f"Taji, {d['salvos']:,} salvos x {d['tubes']} tubes, {d['repeats']} interleaved runs. "
        f"Kernel / script per CPU-second on 1 thread: {d['ratio_cpu_1_thread']:.2f}x. The "
        "script is the simple model of `shared/PERFORMANCE.md` (no flight, no sensors, no "
        "battery); the kernel flies 33-node paths through three sensors and a battery's flyout "
        "search, so this ratio compares different amounts of work (the same-model comparison is "
        "the NumPy reference above).", "",
        _table(["", "best rockets/s (wall)", "rockets per CPU-second"], rows)])


def _uncertainty(d: dict) -> str:
    q = d["leak_rate_quantiles"]
    top = ", ".join(f"`{name}` (ST {st:.2f})" for name, st in d["top_parameters"] if st is not None)
    return (f"{d['parameters']} uncertain parameters of `sites/taji_uncertain.toml` (nine) plus "
            f"one, Saltelli design with {d['n_base']} base samples: {d['runs']:,} runs of "
            f"{d['salvos_per_run']:,} salvos, in-process on all cores, in "
            f"{d['wall_s']:.0f} s ({d['rockets_per_s']:,.0f} rockets/s over the study). Leak "
            f"rate 5th-95th percentile {100 * q['p05']:.1f} %-{100 * q['p95']:.1f} %; largest "
            f"total indices: {top}.")


def render_figures(results: Path = RESULTS) -> str:
    """The markdown that goes between the markers."""
    docs = _load(results)
    if not docs:
        return ("_No results yet: run `python -m benchmarks all`, then "
                "`python -m benchmarks readme`._")
    parts = ["Generated by `python -m benchmarks readme` from `benchmarks/results/*.json`; do not "
             "edit by hand.", "", "Measured on:", "", _machine(docs), "", "### Targets", "",
             _targets(docs)]
    render = {"throughput": _throughput, "reference": _reference, "scaling": _scaling,
              "answer": _answer, "profile": _profile, "simple": _simple,
              "uncertainty": _uncertainty}
    titles = {"throughput": "Throughput", "reference": "Kernel vs NumPy reference",
              "scaling": "Scaling", "answer": "Time to answer", "profile": "Profile",
              "simple": "Kernel vs a simple NumPy script", "uncertainty": "Uncertainty study"}
    for case in CASES:
        parts += ["", f"### {titles[case]}", ""]
        parts.append(render[case](docs[case]) if case in docs else
                     f"_Not measured yet: `python -m benchmarks {case}`._")
    return "\n".join(parts)


def update_readme(results: Path = RESULTS, readme: Path = README) -> Path:
    """Rewrite the figures block of ``readme`` from ``results``; returns the path."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        raise ValueError(f"{readme} lacks the {BEGIN} ... {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, f"{head}{BEGIN}\n{render_figures(results)}\n{END}{tail}",
                      overwrite=True)
    return readme
