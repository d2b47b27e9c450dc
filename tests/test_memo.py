"""The least-recently-used memo (:mod:`forceprot.memo`) and what studies keep in it: the
geometry a variant shares with its base (:mod:`forceprot.compile`) and the parse of a base
scenario (:class:`forceprot.studies.executors.ScenarioSpec`)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from shapely.geometry import box

from forceprot import compile as fc
from forceprot import people
from forceprot.compile import Prepared, compile_scenario, prepare
from forceprot.errors import ScenarioError
from forceprot.memo import LruMemo, content_key
from forceprot.scenario import load_scenario
from forceprot.studies.executors import ScenarioSpec
from tests.conftest import SITES


def test_memo_builds_once_and_drops_the_least_recently_used() -> None:
    memo = LruMemo(2)
    built = []

    def build(k):
        return lambda: built.append(k) or f"value {k}"

    assert memo.get("a", build("a")) == "value a"
    assert memo.get("a", build("a")) == "value a"
    memo.get("b", build("b"))
    memo.get("a", build("a"))          # a is now the most recently used
    memo.get("c", build("c"))          # drops b, not a
    memo.get("a", build("a"))
    memo.get("b", build("b"))
    assert built == ["a", "b", "c", "b"]
    assert len(memo) == 2
    with pytest.raises(ValueError):
        LruMemo(0)


def test_a_failed_build_is_not_memoised() -> None:
    memo = LruMemo(4)
    calls = []

    def fail():
        calls.append(1)
        raise ScenarioError("no")

    for _ in range(2):
        with pytest.raises(ScenarioError):
            memo.get("k", fail)
    assert len(calls) == 2 and len(memo) == 0


def test_content_keys_follow_content_not_identity() -> None:
    """Equal content, equal key, whatever the object; any change of content, another key."""
    poly = box(0, 0, 10, 20)
    arr = np.arange(6.0).reshape(2, 3)
    key = content_key("k", poly, arr, {"b": 1, "a": [1, 2]}, 3.5)
    assert content_key("k", box(0, 0, 10, 20), arr.copy(), {"a": [1, 2], "b": 1}, 3.5) == key
    for other in [("k", box(0, 0, 10, 21), arr, {"b": 1, "a": [1, 2]}, 3.5),
                  ("k", poly, arr.reshape(3, 2), {"b": 1, "a": [1, 2]}, 3.5),
                  ("k", poly, arr.astype(np.float32), {"b": 1, "a": [1, 2]}, 3.5),
                  ("k", poly, arr, {"b": 1, "a": [1, 3]}, 3.5),
                  ("k", poly, arr, {"b": 1, "a": [1, 2]}, 3.25),
                  ("j", poly, arr, {"b": 1, "a": [1, 2]}, 3.5)]:
        assert content_key(*other) != key
    # object arrays by their elements (not their pointers); nesting is not flattening
    geoms = np.array([box(0, 0, 1, 1), box(2, 2, 3, 3)], dtype=object)
    same = np.array([box(0, 0, 1, 1), box(2, 2, 3, 3)], dtype=object)
    assert content_key(geoms) == content_key(same)
    assert content_key((1, 2), 3) != content_key(1, (2, 3))


def test_threads_build_a_value_once() -> None:
    memo = LruMemo(4)
    built = []
    barrier = threading.Barrier(4)

    def build():
        built.append(1)
        return object()

    out = []

    def worker():
        barrier.wait()
        out.append(memo.get("k", build))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 1 and all(v is out[0] for v in out)


def _assert_same_inputs(a, b) -> None:
    for x, y in zip(a, b):
        if isinstance(x, tuple):
            _assert_same_inputs(x, y)
        elif isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        else:
            assert x == y


def test_a_variant_on_the_same_site_reuses_its_geometry_and_compiles_the_same() -> None:
    """A study's variant shares its base's site: compiling it again takes the triangles and
    cell grids from the memo, and the kernel's inputs equal those of a compile from scratch."""
    prepared = prepare(load_scenario(SITES / "taji.toml"))
    variant = Prepared(prepared.scenario.updated({"threat": {"aim_sigma_m": 90.0}}),
                       prepared.site)
    first = compile_scenario(prepared).inputs
    again = compile_scenario(variant).inputs
    assert again.base is first.base and again.defended is first.defended
    assert again.aim is first.aim and again.zone is first.zone
    assert again.people is first.people
    # a change to what the people bundle depends on builds another one
    slower = Prepared(prepared.scenario.updated({"people": {"reaction_s": 9.0}}), prepared.site)
    other = compile_scenario(slower).inputs.people
    assert other is not first.people
    assert not np.array_equal(other.t_sheltered_s, first.people.t_sheltered_s)
    assert again.salvo.aim_sigma_m == 90.0
    # the site read again from its files: new objects, equal content, the same arrays
    reread = prepare(variant.scenario)
    assert reread.site.base is not prepared.site.base
    assert compile_scenario(reread).inputs.base is first.base
    fc._GEOMETRY_MEMO.clear()
    people._BUNDLES.clear()
    fresh = compile_scenario(variant).inputs
    assert fresh.base is not first.base and fresh.people is not first.people
    _assert_same_inputs(fresh, again)


def test_memoised_reach_draws_still_refuse_a_band_too_thin_to_sample() -> None:
    """The reach proof keeps its sorted pair distances per site; a band with no pair in it is
    still refused after the site passed with a wider band, and the counts match a fresh draw."""
    prepared = prepare(load_scenario(SITES / "fob.toml"))
    scenario, site = prepared.scenario, prepared.site
    rocket = scenario.rocket_class
    fc._check_reach(scenario, site, rocket.min_range_m, rocket.max_range_m)  # memoised now
    tri = fc.triangles(site.base)
    zone_tri = fc.triangles(site.launch_zone)
    d = fc._GEOMETRY_MEMO.get(content_key("reach_distances", tri, fc._triangle_areas(tri),
                                          zone_tri), lambda: pytest.fail("not memoised"))
    fresh = fc._pair_distances(tri, fc._triangle_areas(tri), zone_tri,
                               fc._triangle_areas(zone_tri))
    np.testing.assert_array_equal(d, fresh)
    for lo, hi in [(0.0, 1e9), (d[10], d[500]), (d[0], d[0])]:
        expected = int(np.count_nonzero((fresh >= lo) & (fresh <= hi)))
        assert int(np.searchsorted(d, hi, "right") - np.searchsorted(d, lo, "left")) == expected
    gap_lo, gap_hi = d[-1] + 1.0, d[-1] + 2.0  # beyond every drawn pair, inside the hulls' reach
    with pytest.raises(ScenarioError, match="too rare to sample"):
        fc._check_reach(scenario, site, gap_lo, gap_hi)


def test_specs_share_the_parse_of_their_base() -> None:
    spec = ScenarioSpec.from_file(SITES / "taji.toml")
    base = spec.scenario()
    assert spec.scenario() is base
    assert ScenarioSpec.from_file(SITES / "taji.toml").scenario() is base  # equal data
    variant = spec.with_changes({"threat": {"tubes": 12}}).scenario()
    assert variant.threat.tubes == 12 and base.threat.tubes != 12
    bad = spec.with_changes({"threat": {"tubes": -3}})
    for _ in range(2):  # refused every time, naming the spec's file and the field
        with pytest.raises(ScenarioError, match="tubes") as info:
            bad.scenario()
        assert "taji.toml" in str(info.value)
    relabelled = ScenarioSpec(spec.data, spec.path, "elsewhere.toml")
    assert relabelled.scenario() is not base
