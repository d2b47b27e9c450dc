"""Executors and scenario specs: in-process and a real local dask cluster give identical
results; bad cluster options and an unreachable scheduler are one-line errors.

The cluster has two *process* workers (``connect(workers=2)``, as ``--workers 2`` makes it):
they take a few seconds to start and import forceprot, but they exercise what a real cluster
does (pickled jobs, a fresh interpreter compiling the scenario), which thread workers would not.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from forceprot.studies.executors import (
    DaskExecutor,
    InProcessExecutor,
    ScenarioSpec,
    connect,
    worker_cached,
)
from forceprot.errors import ForceprotError, ScenarioError
from forceprot.settings import RunSettings
from forceprot.studies.optimize import (
    Placement,
    SearchOptions,
    plan_optimization,
    run_optimization,
)
from forceprot.studies.optimize.evaluate import _evaluate_batch, _EvalJob, _Problem
from forceprot.scenario import load_scenario
from forceprot.studies.sweep import _run_variant, _VariantJob
from tests.conftest import SITES


@pytest.fixture(scope="module")
def spec() -> ScenarioSpec:
    return ScenarioSpec.from_file(SITES / "taji.toml")


@pytest.fixture(scope="module")
def cluster():
    with connect(workers=2) as executor:
        yield executor


# ---------------------------------------------------------------------------------------------
# Specs and the worker cache
# ---------------------------------------------------------------------------------------------


def test_spec_pickles_and_rebuilds_the_same_scenario(spec) -> None:
    again = pickle.loads(pickle.dumps(spec))
    assert again.key == spec.key
    assert again.scenario() == load_scenario(SITES / "taji.toml")
    changed = spec.with_changes({"threat": {"tubes": 12}}).with_changes({"threat": {"ripple_s": 1}})
    sc = changed.scenario()
    assert (sc.threat.tubes, sc.threat.ripple_s, sc.threat.rocket) == (12, 1.0, "107mm")
    assert changed.key != spec.key


def test_spec_change_errors_name_the_field(spec) -> None:
    with pytest.raises(ScenarioError, match=r"threat\.tubes = 0"):
        spec.with_changes({"threat": {"tubes": 0}}).scenario()


def test_worker_cache_builds_once() -> None:
    calls = []

    def build():
        calls.append(1)
        return object()

    first = worker_cached("test-key-build-once", build)
    assert worker_cached("test-key-build-once", build) is first
    assert calls == [1]


# ---------------------------------------------------------------------------------------------
# connect()
# ---------------------------------------------------------------------------------------------


def test_no_cluster_means_in_process() -> None:
    ex = connect()
    assert isinstance(ex, InProcessExecutor)
    ticks = []
    assert ex.map(abs, [-1, 2, -3], progress=lambda d, t: ticks.append((d, t))) == [1, 2, 3]
    assert ticks == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(scheduler="tcp://127.0.0.1:1", workers=2), "not both"),
    (dict(workers=0), "at least 1"),
])
def test_bad_cluster_options(kwargs, fragment) -> None:
    with pytest.raises(ForceprotError, match=fragment):
        connect(**kwargs)


def test_unreachable_scheduler_is_a_forceprot_error() -> None:
    with pytest.raises(ForceprotError, match="cannot reach a dask scheduler") as info:
        connect(scheduler="tcp://127.0.0.1:9", timeout_s=1.0)
    assert info.value.field == "--scheduler"
    assert len(str(info.value).splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# A real local cluster
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow  # a real local cluster
def test_cluster_map_keeps_order_and_reports_progress(cluster) -> None:
    assert isinstance(cluster, DaskExecutor)
    assert cluster.n_workers == 2 and cluster.task_threads == 1
    ticks = []
    assert cluster.map(abs, list(range(-5, 5)), progress=lambda d, t: ticks.append(d)) == \
        [5, 4, 3, 2, 1, 0, 1, 2, 3, 4]
    assert ticks == list(range(1, 11))


@pytest.mark.slow  # a real local cluster
def test_layout_scores_are_identical_on_the_cluster(spec, cluster) -> None:
    """The same layouts scored in-process (all threads) and on two single-threaded workers:
    every estimate and every per-salvo figure equal, exactly."""
    xy = np.array([[432000.0, 3710000.0], [434000.0, 3711000.0], [431000.0, 3709000.0]])
    base = spec.with_changes({"simulation": {"precision": None, "story_salvos": 0},
                              "defence": []})
    problem = _Problem(base, xy, "leak_rate", ())
    layouts = ((), (Placement("cram", 0),), (Placement("patriot", 1), Placement("cram", 2)))
    jobs = [_EvalJob(problem, (l,), 1536, 9, ex.task_threads, per_salvo=True)
            for ex in (InProcessExecutor(),) for l in layouts]
    here = InProcessExecutor().map(_evaluate_batch, jobs)
    there = cluster.map(_evaluate_batch, [
        _EvalJob(j.problem, j.layouts, j.salvos, j.seed, cluster.task_threads, j.per_salvo)
        for j in jobs])
    for (a,), (b,) in zip(here, there):
        assert a == b
        for name in ("threat", "leaked", "any_leak", "asset_risk"):
            np.testing.assert_array_equal(getattr(a.per_salvo, name), getattr(b.per_salvo, name))
    values = [s[0].value for s in here]
    assert values[0] == 1.0 and values[2] < values[1] < 1.0


@pytest.mark.slow  # a real local cluster
def test_a_task_error_reaches_the_caller_as_a_forceprot_error(spec, cluster) -> None:
    bad = _VariantJob(spec.with_changes({"threat": {"tubes": -3}}),
                      RunSettings(salvos=512, seed=1, threads=1))
    with pytest.raises(ForceprotError, match=r"threat\.tubes = -3"):
        cluster.map(_run_variant, [bad])


@pytest.mark.slow
def test_optimisation_is_identical_on_the_cluster(spec, cluster) -> None:
    """The same property as test_layout_scores_are_identical_on_the_cluster (the default tier's
    one cluster test), through a whole optimisation."""
    plan = plan_optimization(spec, n_cram=1, n_patriot=1, grid_m=2000.0, salvos=1024,
                             keep_existing=False,
                             search=SearchOptions(screen_salvos=512, refine=3,
                                                  search_from_mclp=True))
    here = run_optimization(plan).summary()
    there = run_optimization(plan, executor=cluster).summary()
    for key in ("executor", "timings_s"):
        here.pop(key), there.pop(key)
    assert here == there
