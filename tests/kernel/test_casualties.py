"""The casualty stage against closed forms and a brute-force reference.

A synthetic base (a 2 km square in UTM 38N) with square occupancy areas and point shelters,
written as layers; the people bundle is built by :func:`forceprot.people.people_bundle` and
:func:`forceprot.kernel.casualties.rocket_casualties` is called for chosen impacts and warnings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from forceprot.catalog.occupancy import PROFILES, hour_weights
from forceprot.compile import prepare
from forceprot.kernel.bundles import CH_CASUALTIES, CH_KILLED, CH_LOG_NONE, CasualtyScratch
from forceprot.kernel.casualties import damage_probability, rocket_casualties
from forceprot.people import assign_shelters, nearest_shelters, people_bundle
from forceprot.scenario import parse_scenario
from tests.kernel_helpers import CX_M, CY_M, R_L, R_W, UTM_38N, people_scenario, scenario_data


def people_setup(tmp_path: Path, areas: list[tuple], shelters: list[tuple] = (), **people):
    """Prepared scenario and its kernel People bundle (:func:`people_scenario`)."""
    prepared = people_scenario(tmp_path, areas, shelters, **people)
    return prepared, people_bundle(prepared.site.people, prepared.scenario)


def scratch(bundle) -> CasualtyScratch:
    return CasualtyScratch(np.zeros((3, 24)), np.zeros(2), np.zeros((max(bundle.n_polys, 1), 2)),
                           np.zeros((1, 2)))


def casualties(bundle, x: float, y: float, warn_s: float = 0.0):
    acc = scratch(bundle)
    killed, cas = rocket_casualties(bundle, x, y, warn_s, acc)
    return killed, cas, acc


def test_damage_functions_at_their_radius() -> None:
    assert damage_probability(0, 100.0, 100.0) == 1.0
    assert damage_probability(0, 100.0001, 100.0) == 0.0
    assert damage_probability(1, 100.0, 100.0) == pytest.approx(math.exp(-1.0), rel=1e-15)
    assert damage_probability(1, 0.0, 100.0) == 1.0


@pytest.mark.parametrize("damage", ["carleton", "cookie_cutter"])
def test_uniform_crowd_matches_the_lethal_area(tmp_path, damage) -> None:
    """Impact in the middle of a uniform crowd: expected killed = density x pi R_L^2 and
    casualties = density x pi R_W^2 (Carleton: the same lethal area as the cookie-cutter, less
    the exp(-9) tail beyond the 3 R cut-off); 1 m cells."""
    density = 0.02  # persons / m^2
    half = 200.0
    _, bundle = people_setup(tmp_path, [(CX_M, CY_M, half, density * (2 * half) ** 2)],
                             damage=damage)
    killed, cas, acc = casualties(bundle, CX_M + 0.37, CY_M - 0.21)
    tail = math.exp(-9.0) if damage == "carleton" else 0.0
    # cookie-cutter on 1 m cells: the count of cell centres in a disk, a lattice error of
    # order the perimeter over the area (about 2 / R)
    rtol = 2e-3 if damage == "carleton" else 0.08
    assert killed == pytest.approx(density * math.pi * R_L ** 2 * (1 - tail), rel=rtol)
    assert cas == pytest.approx(density * math.pi * R_W ** 2 * (1 - tail), rel=rtol)
    # kind "constant": the same people at every hour, so every hour gives the same figures
    assert np.allclose(acc.hour[CH_KILLED], killed, rtol=1e-12)


def test_carleton_matches_a_quadrature_near_an_edge(tmp_path) -> None:
    """Impact 5 m outside a crowd's edge: the sum over 1 m cells against scipy's dblquad of
    density x exp(-r^2/R^2) over the crowd."""
    from scipy.integrate import dblquad

    density, half = 0.05, 100.0
    _, bundle = people_setup(tmp_path, [(CX_M, CY_M, half, density * (2 * half) ** 2)])
    x, y = CX_M + half + 5.0, CY_M + 3.0
    killed, cas, _ = casualties(bundle, x, y)
    for got, radius in ((killed, R_L), (cas, R_W)):
        want, _ = dblquad(lambda v, u: density * math.exp(-((u - x) ** 2 + (v - y) ** 2)
                                                          / radius ** 2),
                          CX_M - half, CX_M + half, CY_M - half, CY_M + half, epsabs=1e-10)
        assert got == pytest.approx(want, rel=5e-3)


def test_no_people_no_casualties_and_linear_in_people(tmp_path) -> None:
    """Zero occupancy gives zero; doubling every polygon's people doubles every count exactly
    (a product by 2 is exact in floating point)."""
    areas = [(CX_M, CY_M, 60.0, 500.0, "living"), (CX_M + 150.0, CY_M, 40.0, 300.0, "dining")]
    shelters = [(CX_M + 10.0, CY_M + 10.0, 100.0), (CX_M + 150.0, CY_M + 30.0, 50.0)]
    _, one = people_setup(tmp_path, areas, shelters, cell_m=5.0)
    _, two = people_setup(tmp_path, [(*a[:3], 2 * a[3], a[4]) for a in areas],
                          [(*s[:2], 2 * s[2]) for s in shelters], cell_m=5.0)
    _, none = people_setup(tmp_path, [(*a[:3], 0.0, a[4]) for a in areas], shelters, cell_m=5.0)
    rng = np.random.default_rng(3)
    for x, y in np.column_stack([CX_M + rng.uniform(-100, 250, 50),
                                 CY_M + rng.uniform(-80, 80, 50)]):
        for warn in (0.0, 6.0, 30.0):
            k1, c1, a1 = casualties(one, x, y, warn)
            k2, c2, a2 = casualties(two, x, y, warn)
            k0, c0, _ = casualties(none, x, y, warn)
            assert (k0, c0) == (0.0, 0.0)
            assert k2 == pytest.approx(2 * k1, rel=1e-12, abs=1e-300)
            assert c2 == pytest.approx(2 * c1, rel=1e-12, abs=1e-300)
            np.testing.assert_allclose(a2.hour[:2], 2 * a1.hour[:2], rtol=1e-12, atol=1e-300)


def test_p_no_casualty_is_the_product_over_people(tmp_path) -> None:
    """One person-cell: P(no casualty) = (1 - q)^n, q the damage at that distance."""
    _, bundle = people_setup(tmp_path, [(CX_M, CY_M, 0.5, 7.0)])
    x = CX_M + 12.0
    _, _, acc = casualties(bundle, x, CY_M)
    d2 = float(np.sum((bundle.xy_m[0] - [x, CY_M]) ** 2))
    q = math.exp(-d2 / R_W ** 2)
    assert -math.expm1(acc.hour[CH_LOG_NONE, 0]) == pytest.approx(1 - (1 - q) ** 7.0,
                                                                   rel=1e-12)


def test_everyone_sheltered_leaves_only_direct_hits(tmp_path) -> None:
    """Shelters with room for all, at most 29 m from everyone, reached in under 4 s: with 10 s of warning no one
    is hurt unless the rocket lands on a shelter; then its occupants, at the shelter's hit
    probabilities."""
    areas = [(CX_M, CY_M, 20.0, 400.0, "constant")]
    shelters = [(CX_M, CY_M, 1e6)]
    _, bundle = people_setup(tmp_path, areas, shelters, reaction_s=0.5, walk_speed_mps=10.0,
                             shelter_radius_m=3.0, shelter_hit_p_killed=0.25,
                             shelter_hit_p_wounded=0.5, cell_m=2.0)
    assert np.all(bundle.frac_sheltered == 1.0)
    for x, y in ((CX_M + 10.0, CY_M), (CX_M - 15.0, CY_M + 5.0), (CX_M + 4.0, CY_M)):
        killed, cas, _ = casualties(bundle, x, y, warn_s=10.0)
        assert (killed, cas) == (0.0, 0.0)
        killed, cas, _ = casualties(bundle, x, y, warn_s=0.0)  # no warning: hurt in the open
        assert cas > 0.0
    killed, cas, acc = casualties(bundle, CX_M + 1.0, CY_M, warn_s=10.0)
    assert killed == pytest.approx(400.0 * 0.25, rel=1e-12)
    assert cas == pytest.approx(400.0 * 0.75, rel=1e-12)
    assert acc.hour[CH_CASUALTIES, 5] == pytest.approx(300.0, rel=1e-12)


def _assign_brute(t_arrive, shelter, people_h, capacity):
    """First come, first served, one (point, shelter) pair at a time, in plain Python."""
    n, k = t_arrive.shape
    t_sh = np.full(people_h.shape, np.inf)
    frac = np.zeros(people_h.shape)
    pairs = sorted(((t_arrive[p, c], p * k + c) for p in range(n) for c in range(k)))
    for h in range(people_h.shape[1]):
        left = people_h[:, h].copy()
        room = capacity.astype(float).copy()
        for t, e in pairs:
            p, c = divmod(e, k)
            j = shelter[p, c]
            take = min(left[p], room[j])
            if take > 0:
                left[p] -= take
                room[j] -= take
                t_sh[p, h] = t
        with np.errstate(invalid="ignore", divide="ignore"):
            frac[:, h] = np.where(people_h[:, h] > 0, 1 - left / people_h[:, h], 0.0)
    return t_sh, frac


def test_shelter_assignment_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    n, m, k = 60, 7, 3
    xy = rng.uniform(0, 300, (n, 2))
    sxy = rng.uniform(0, 300, (m, 2))
    d = np.hypot(*(xy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1))
    shelter = np.argsort(d, axis=1)[:, :k].astype(np.int64)
    t_arrive = 5.0 + np.take_along_axis(d, shelter, axis=1) / 1.5
    people_h = rng.uniform(0, 30, (n, 24)) * (rng.uniform(size=(n, 24)) > 0.2)
    capacity = rng.uniform(10, 120, m)
    order = np.argsort(t_arrive.ravel(), kind="stable").astype(np.int64)
    t_sh, frac, p_shelter, p_point, p_people, p_hour = assign_shelters(
        order, t_arrive, shelter, people_h, capacity)
    want_t, want_frac = _assign_brute(t_arrive, shelter, people_h, capacity)
    np.testing.assert_array_equal(t_sh, want_t)
    np.testing.assert_allclose(frac, want_frac, rtol=1e-12, atol=1e-12)
    # no shelter holds more than its capacity at any hour, every portion sums to the placed
    for h in range(24):
        at = p_hour == h
        load = np.bincount(p_shelter[at], weights=p_people[at], minlength=m)
        assert np.all(load <= capacity + 1e-9)
        placed = np.bincount(p_point[at], weights=p_people[at], minlength=n)
        np.testing.assert_allclose(placed, frac[:, h] * people_h[:, h], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("n, m, k", [(5_000, 94, 8), (300, 3, 3), (1, 1, 1), (600, 5_000, 8)])
def test_nearest_shelters_match_a_kd_tree(n, m, k) -> None:
    """Against scipy's k-d tree: the same shelters, nearest first, at the same distances (the
    last size runs over several blocks of points)."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(n + m)
    xy = rng.uniform(0.0, 5_000.0, (n, 2)) + [CX_M, CY_M]
    shelters = rng.uniform(0.0, 5_000.0, (m, 2)) + [CX_M, CY_M]
    dist, index = nearest_shelters(xy, shelters, k)
    ref_dist, ref_index = cKDTree(shelters).query(xy, k=k)
    np.testing.assert_array_equal(index, np.asarray(ref_index).reshape(n, k))
    np.testing.assert_allclose(dist, np.asarray(ref_dist).reshape(n, k), rtol=1e-15, atol=0)


def test_people_are_conserved_and_profiles_applied(tmp_path) -> None:
    """The points carry each polygon's people exactly, hour by hour, by the kind's profile;
    the hour-weighted people use the attack-hour weights."""
    areas = [(CX_M, CY_M, 37.3, 1000.0, "dining"), (CX_M + 300.0, CY_M, 12.0, 90.0, "gym")]
    prepared, bundle = people_setup(tmp_path, areas, cell_m=5.0, hour=19)
    for k, (_, _, _, peak, kind) in enumerate(areas):
        mine = bundle.poly == k
        np.testing.assert_allclose(bundle.people_h[mine].sum(axis=0),
                                   peak * np.asarray(PROFILES[kind]), rtol=1e-12)
    assert np.array_equal(bundle.hour_w, hour_weights(19))
    np.testing.assert_allclose(bundle.people_w, bundle.people_h[:, 19], rtol=1e-15)


def test_attack_hour_weights() -> None:
    assert hour_weights("uniform").sum() == pytest.approx(1.0)
    w = hour_weights([0.0] * 23 + [2.0])
    assert w[23] == 1.0 and w[:23].sum() == 0.0
    assert hour_weights("night")[2] > 0 and hour_weights("night")[12] == 0


def test_layers_in_another_crs_give_the_same_people(tmp_path) -> None:
    """The occupancy layer in EPSG:4326 gives the same people, to rounding, as in UTM."""
    from pyproj import Transformer

    areas = [(CX_M, CY_M, 50.0, 800.0, "office")]
    _, utm = people_setup(tmp_path, areas, cell_m=5.0)
    to_ll = Transformer.from_crs(UTM_38N, "EPSG:4326", always_xy=True)
    box = shapely.box(CX_M - 50, CY_M - 50, CX_M + 50, CY_M + 50)
    ll = shapely.transform(box, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1])))
    (tmp_path / "occ_ll.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kind": "office", "people": 800.0},
         "geometry": shapely.geometry.mapping(ll)}]}))
    data = scenario_data()
    data["people"] = {"occupancy": "occ_ll.geojson", "kind_field": "kind", "cell_m": 5.0}
    scenario = parse_scenario(data, source="s.toml", path=tmp_path / "s.toml")
    prepared = prepare(scenario)
    bundle = people_bundle(prepared.site.people, scenario)
    np.testing.assert_allclose(bundle.people_h.sum(axis=0), utm.people_h.sum(axis=0),
                               rtol=1e-9)
