"""The kernel's own random and geometric helpers against scipy and shapely."""

from __future__ import annotations

import numpy as np
import shapely
from numba import njit
from scipy import stats

from forceprot.spatial import normal_pair, point_in_rings


@njit
def _pairs(seed, n):
    np.random.seed(seed)
    out = np.empty((n, 2))
    for i in range(n):
        a, b = normal_pair()
        out[i, 0] = a
        out[i, 1] = b
    return out


def test_normal_pair_is_standard_normal_and_independent() -> None:
    z = _pairs(12345, 200_000)
    # Kolmogorov-Smirnov against N(0, 1) for each output; a correct generator fails at 1e-3
    # one time in a thousand.
    for col in (0, 1):
        assert stats.kstest(z[:, col], "norm").pvalue > 1e-3
    # the two outputs of one pair are uncorrelated: |r| < 4 standard errors (1/sqrt(n))
    r = np.corrcoef(z[:, 0], z[:, 1])[0, 1]
    assert abs(r) < 4.0 / np.sqrt(len(z))
    # and their squared norm is chi-square with 2 degrees of freedom
    assert stats.kstest((z ** 2).sum(axis=1), "chi2", args=(2,)).pvalue > 1e-3


def test_normal_pair_is_reproducible() -> None:
    np.testing.assert_array_equal(_pairs(7, 1000), _pairs(7, 1000))


def test_point_in_rings_matches_shapely_with_a_hole() -> None:
    poly = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (6, 3), (6, 6), (3, 6)]])
    _, coords, offsets = shapely.to_ragged_array([poly])
    rings = np.ascontiguousarray(coords)
    ring_offsets = np.ascontiguousarray(offsets[0], dtype=np.int64)
    rng = np.random.default_rng(3)
    pts = rng.uniform(-1, 11, size=(5000, 2))
    expected = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
    got = np.array([point_in_rings(x, y, rings, ring_offsets) for x, y in pts])
    np.testing.assert_array_equal(got, expected)
