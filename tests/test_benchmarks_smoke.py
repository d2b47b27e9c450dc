"""Every benchmark case runs in ``--quick`` mode and writes its JSON, so the suite never rots.

No timing is asserted: the figures of a smoke run on a busy test machine mean nothing. What is
asserted is the shape of each result, that the kernel and the NumPy reference gave the same
counts, and that the README figures render from the results.

The default tier runs the quickest case, ``profile`` (which re-implements the kernel's stages, so
it is the one most likely to rot); the others, each a few seconds, are ``slow``. The kernel
against the NumPy reference is also the default tier's tests/kernel/test_reference.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks.__main__ import CASES, main
from benchmarks.readme import BEGIN, END, render_figures, update_readme

COMMON_KEYS = {"case", "quick", "when", "machine", "targets"}
CASE_KEYS = {
    "throughput": {"rockets_per_s_1_thread", "rockets_per_s_all_threads", "thread_scaling",
                   "identical_tallies_across_threads", "compile", "salvos"},
    "reference": {"samples"},
    "scaling": {"by_salvos", "by_units", "by_tubes", "time_exponent", "memory_growth_fraction",
                "memory_fixed_mmap_threshold"},
    "answer": {"runs", "wall_s_median", "salvos", "half_width_pp", "command"},
    "profile": {"variants", "stages"},
    "simple": {"script", "kernel_1_thread", "kernel_all_threads", "ratio_cpu_1_thread",
               "ratio_wall_all_threads", "script_model", "salvos"},
    "uncertainty": {"parameters", "runs", "salvos_per_run", "wall_s", "rockets_per_s",
                    "leak_rate_quantiles", "top_parameters"},
}
TARGET_KEYS = {"name", "measured", "target", "unit", "comparison", "pass", "note"}


class _Results:
    """The folder of quick results; each case runs once per module, when a test first needs it."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.ran: set[str] = set()

    def __call__(self, *cases: str) -> Path:
        for case in cases:
            if case not in self.ran:
                assert main([case, "--quick", "--results", str(self.out)]) == 0
                self.ran.add(case)
        return self.out


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> _Results:
    return _Results(tmp_path_factory.mktemp("bench"))


def _doc(results: Path, case: str) -> dict:
    path = results / f"{case}.quick.json"
    assert path.exists(), f"{case}: no {path.name} written"
    return json.loads(path.read_text())


@pytest.mark.slow  # benchmark smoke runs belong to the slow tier
@pytest.mark.parametrize("case", CASES)
def test_case_writes_its_json(results, case):
    results = results(case)
    doc = _doc(results, case)
    assert doc["case"] == case and doc["quick"] is True
    missing = (COMMON_KEYS | CASE_KEYS[case]) - doc.keys()
    assert not missing, f"{case}: missing keys {sorted(missing)}"
    assert {"nproc", "cpu_model", "numba", "numpy"} <= doc["machine"].keys()
    for t in doc["targets"]:
        assert TARGET_KEYS <= t.keys(), t
        assert t["pass"] in (True, False, None)
    assert not list(results.glob("*.tmp")), "a temporary file was left behind"


@pytest.mark.slow
def test_reference_and_kernel_agree(results):
    doc = _doc(results("reference"), "reference")
    assert {s["scenario"] for s in doc["samples"]} == {"taji", "stress"}
    for s in doc["samples"]:
        assert s["agree"], f"{s['scenario']}: " + "; ".join(s["problems"])
        assert s["rockets_flipped"] <= s["rockets_flipped_allowed"]
        if s["rockets_flipped"] == 0:
            assert s["counts_kernel"] == s["counts_reference"]
        assert s["counts_kernel"]["fired"] == s["rockets"]


@pytest.mark.slow
def test_measurements_are_what_they_claim(results):
    """Sizes and counts, not speeds: each point ran what it says it ran."""
    results = results("throughput", "scaling", "answer", "profile", "simple")
    thr = _doc(results, "throughput")
    assert thr["identical_tallies_across_threads"] is True
    scal = _doc(results, "scaling")
    for p in scal["by_salvos"] + scal["by_units"] + scal["by_tubes"]:
        assert p["rockets"] == p["salvos"] * p["tubes"]
        assert p["rss_peak_kb"] is None or p["rss_peak_kb"] > 0
    assert [p["n_units"] for p in scal["by_units"]] == [1, 4]
    assert [p["tubes"] for p in scal["by_tubes"]] == [6, 24]
    ans = _doc(results, "answer")
    assert all(r["half_width"] <= ans["precision"] or not r["stopped_at_precision"]
               for r in ans["runs"])
    simple = _doc(results, "simple")
    counts = simple["script_model"]["counts"]
    assert counts["fired"] == simple["rockets_per_run"] == simple["salvos"] * simple["tubes"]
    assert 0 <= counts["leaked"] <= counts["inside"] <= counts["fired"]
    assert counts["killed_inside"] <= counts["killed"] <= sum(counts["engagements"])
    prof = _doc(results, "profile")
    assert [v["variant"] for v in prof["variants"]] == [
        "undefended", "guns only", "battery only", "as shipped, without people", "as shipped"]
    assert thr["rockets_per_s_all_threads_without_people"]["best"] > 0


@pytest.mark.slow
def test_readme_figures_render(results, tmp_path):
    results = results(*CASES)
    # under full-run names, so the README generator reads them
    full = tmp_path / "results"
    full.mkdir()
    for case in CASES:
        shutil.copy(results / f"{case}.quick.json", full / f"{case}.json")
    text = render_figures(full)
    assert "### Targets" in text and ("PASS" in text or "MISS" in text)
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nSTALE-FIGURES\n{END}\noutro\n")
    update_readme(full, readme)
    new = readme.read_text()
    assert new.startswith("intro\n") and new.endswith("outro\n") and "STALE-FIGURES" not in new
    for case in CASES:
        assert f"python -m benchmarks {case}" not in new, f"{case} missing from the README"
