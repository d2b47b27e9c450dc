"""``python -m benchmarks CASE [--quick | --full] [--results DIR]``: forceprot's benchmark suite.

Cases
-----
throughput  rockets per second on the Taji default, 1 thread and all threads; compile cold/warm
reference   the kernel against the NumPy reference on the same sample: speed ratio, equal counts
scaling     wall time and peak RSS against salvos (10^3..10^6, 10^7 with --full), units, tubes
answer      wall time of ``forceprot run sites/taji.toml --precision 0.005``
profile     where the kernel's time goes (scenario variants, stage by stage)
simple      the kernel against a simple NumPy + shapely script (issue 11): rockets/s, ratio
uncertainty a 10-parameter Sobol' study of Taji (789 runs), wall time
flight      the flight-model benchmark (``python -m benchmarks.flight``)
all         every case above but flight, in turn
readme      rewrite the figures in benchmarks/README.md from the JSON results

Each case prints rich tables and writes ``<results>/<case>.json`` (``<case>.quick.json`` with
``--quick``; the README shows only full runs). Targets are reported PASS/MISS; nothing asserts a
timing. Run on a quiet machine: other load skews every figure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.common import RESULTS, console, write_result

CASES = ("throughput", "reference", "scaling", "answer", "profile", "simple", "uncertainty")


def run_case(case: str, *, quick: bool = False, full: bool = False,
             results: Path = RESULTS) -> dict:
    """Run one case, print its tables, write its JSON; returns the document."""
    from benchmarks import cases, profile

    if case == "throughput":
        doc = cases.run_throughput(quick=quick)
        cases.show_throughput(doc)
    elif case == "reference":
        doc = cases.run_reference(quick=quick)
        cases.show_reference(doc)
    elif case == "scaling":
        doc = cases.run_scaling(quick=quick, full=full)
        cases.show_scaling(doc)
    elif case == "answer":
        doc = cases.run_answer(quick=quick)
        cases.show_answer(doc)
    elif case == "simple":
        doc = cases.run_simple(quick=quick)
        cases.show_simple(doc)
    elif case == "profile":
        doc = profile.run_profile(quick=quick)
        profile.show_profile(doc)
    elif case == "uncertainty":
        from benchmarks import uncertainty

        doc = uncertainty.run_uncertainty_case(quick=quick)
        uncertainty.show_uncertainty_case(doc)
    else:
        raise ValueError(f"unknown case {case!r}; one of {', '.join(CASES)}")
    path = write_result(doc, results)
    console.print(f"wrote {path}", style="dim")
    return doc


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "flight":
        from benchmarks import flight

        flight.main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=(*CASES, "all", "readme", "flight"))
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small sizes, one repeat, no cold-compile subprocesses")
    parser.add_argument("--full", action="store_true",
                        help="scaling: add 10^7 salvos (a few minutes)")
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help=f"folder of the JSON results (default {RESULTS})")
    args = parser.parse_args(argv)
    if args.quick and args.full:
        parser.error("--quick and --full exclude each other")
    if args.case == "readme":
        from benchmarks.readme import update_readme

        path = update_readme(args.results)
        console.print(f"rewrote the figures in {path}")
        return 0
    for case in (CASES if args.case == "all" else (args.case,)):
        run_case(case, quick=args.quick, full=args.full, results=args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
