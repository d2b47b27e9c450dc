"""forceprot.stats against published values, brute-force per-cluster computation, a jackknife,
scipy, and properties every interval must have."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from forceprot.stats import (
    Z95,
    histogram_quantile,
    mean_estimate,
    proportion,
    ratio,
    ratio_effective_n,
    wilson_interval,
)

#: Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
#: seven methods", Stat. Med. 17:857-872, Table II, method 3 (score interval without continuity
#: correction): (k, n, lower, upper), given to 4 decimals.
NEWCOMBE_1998 = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]
#: Half a unit of the table's last decimal.
TABLE_TOL = 5e-5
#: Jackknife and linearisation variances of a ratio differ by O(1/n): with 2000 clusters, a
#: few parts in ten thousand (measured 0.03 %); 2 % leaves room for another sample.
JACKKNIFE_RTOL = 0.02
#: Wilson's half-width on n_eff differs from the Wald half-width z sqrt(V) by O(1/n_eff).
WALD_RTOL = 0.01


@pytest.mark.parametrize(("k", "n", "lo", "hi"), NEWCOMBE_1998)
def test_wilson_published_values(k, n, lo, hi):
    got_lo, got_hi = wilson_interval(k / n, n)
    assert float(got_lo) == pytest.approx(lo, abs=TABLE_TOL)
    assert float(got_hi) == pytest.approx(hi, abs=TABLE_TOL)


def test_z95():
    from scipy import stats

    assert Z95 == float(stats.norm.ppf(0.975))  # written out in forceprot.stats for start-up


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 100_000), data=st.data())
def test_wilson_inverts_the_score_test(n, data):
    """The endpoints are the p at which the score statistic (p_hat - p) / sqrt(p (1 - p) / n)
    equals -+z: the roots of (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0."""
    k = data.draw(st.integers(0, n))
    p_hat = k / n
    z2n = Z95**2 / n
    roots = np.sort(np.roots([1.0 + z2n, -(2.0 * p_hat + z2n), p_hat**2]).real)
    lo, hi = wilson_interval(p_hat, n)
    assert float(lo) == pytest.approx(max(roots[0], 0.0), abs=1e-9)
    assert float(hi) == pytest.approx(min(roots[1], 1.0), abs=1e-9)


def test_wilson_on_arrays_and_empty():
    lo, hi = wilson_interval(np.array([0.0, 0.5, 1.0, 0.3]), np.array([0.0, 10.0, 10.0, 0.0]))
    np.testing.assert_array_equal(lo[[0, 3]], [0.0, 0.0])
    np.testing.assert_array_equal(hi[[0, 3]], [1.0, 1.0])
    assert hi[2] == 1.0 and lo[1] == pytest.approx(1.0 - hi[1])


def test_proportion():
    est = proportion(15, 148)
    assert est.value == 15 / 148 and est.lo == pytest.approx(0.0624, abs=TABLE_TOL)
    assert est.n == est.n_eff == 148
    empty = proportion(0, 0)
    assert math.isnan(empty.value) and (empty.lo, empty.hi) == (0.0, 1.0)


# ---------------------------------------------------------------------------- ratio (clusters)
def _clusters(rng, n, *, icc_spread=2.0, mean_size=6.0):
    """Salvo-like clusters: x_s rockets inside, y_s of them leak with a per-salvo probability
    drawn from a Beta (within-salvo correlation)."""
    x = rng.poisson(mean_size, n).astype(float)
    p = rng.beta(icc_spread, icc_spread, n)
    y = rng.binomial(x.astype(int), p).astype(float)
    return x, y


def _brute_force(x, y):
    """Per-cluster computation written out: ratio, Cochran's linearisation variance with the
    n / (n - 1) factor, the design effect against simple random sampling of rockets, clipped to
    [1 / m, m] with m the rocket-weighted mean cluster size, and Wilson on sum x / deff."""
    n = len(x)
    sx, sy = x.sum(), y.sum()
    r = sy / sx
    resid = [(yi - r * xi) ** 2 for xi, yi in zip(x, y)]
    v = n / (n - 1) * sum(resid) / sx**2
    m = float((x * x).sum() / sx)
    deff = v / (r * (1 - r) / sx) if 0 < r < 1 else m
    deff = min(max(deff, 1.0 / max(m, 1.0)), max(m, 1.0))
    n_eff = sx / deff
    lo, hi = wilson_interval(r, n_eff)
    return r, v, n_eff, float(lo), float(hi)


def _sums(x, y):
    return y.sum(), x.sum(), (y * y).sum(), (x * x).sum(), (x * y).sum(), float(len(x))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ratio_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    x, y = _clusters(rng, 500)
    r, _, n_eff, lo, hi = _brute_force(x, y)
    est = ratio(*_sums(x, y))
    assert est.value == pytest.approx(r, rel=1e-12)
    assert est.n_eff == pytest.approx(n_eff, rel=1e-9)
    assert (est.lo, est.hi) == pytest.approx((lo, hi), abs=1e-12)
    assert est.n == 500


def test_ratio_variance_agrees_with_the_jackknife():
    """The delete-one-salvo jackknife variance of the ratio is an independent estimate of the
    same sampling variance; with 2000 clusters the two agree to O(1/n)."""
    rng = np.random.default_rng(7)
    x, y = _clusters(rng, 2_000)
    sx, sy = x.sum(), y.sum()
    loo = (sy - y) / (sx - x)
    n = len(x)
    v_jack = (n - 1) / n * np.sum((loo - loo.mean()) ** 2)
    _, v_lin, n_eff, _, _ = _brute_force(x, y)
    assert v_lin == pytest.approx(v_jack, rel=JACKKNIFE_RTOL)
    # and the interval's n_eff carries that variance: Wilson's width on n_eff ~ 2 z sqrt(V)
    r = sy / sx
    est = ratio(*_sums(x, y))
    assert est.half_width == pytest.approx(Z95 * math.sqrt(r * (1 - r) / est.n_eff),
                                           rel=WALD_RTOL)
    assert est.half_width == pytest.approx(Z95 * math.sqrt(v_lin), rel=WALD_RTOL)
    # strong within-cluster correlation: design effect well above 1
    assert sx / n_eff > 2.0


def test_ratio_edge_cases():
    # r = 1 (every threatening rocket leaks): the design effect falls back to its upper bound,
    # the rocket-weighted mean cluster size
    x = np.array([4.0, 2.0, 6.0, 0.0])
    est = ratio(*_sums(x, x))
    m = (x * x).sum() / x.sum()
    assert est.value == 1.0 and est.hi == 1.0
    assert est.n_eff == pytest.approx(x.sum() / m)
    # nothing threatening: no estimate, the uninformative interval
    none = ratio(0.0, 0.0, 0.0, 0.0, 0.0, 10.0)
    assert math.isnan(none.value) and (none.lo, none.hi) == (0.0, 1.0)
    # one rocket per cluster, independent: the design effect is 1 (up to n / (n - 1))
    rng = np.random.default_rng(3)
    y = rng.binomial(1, 0.3, 5_000).astype(float)
    est = ratio(*_sums(np.ones(5_000), y))
    assert est.n_eff == pytest.approx(5_000, rel=1e-3)


def test_ratio_effective_n_on_arrays_matches_scalars():
    rng = np.random.default_rng(11)
    cols = []
    for _ in range(5):
        x, y = _clusters(rng, 300)
        cols.append(_sums(x, y))
    arr = np.array(cols).T
    r, n_eff = ratio_effective_n(*arr)
    for j, c in enumerate(cols):
        est = ratio(*c)
        assert r[j] == est.value and n_eff[j] == est.n_eff


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 400),
       spread=st.floats(0.2, 20.0), size=st.floats(0.5, 20.0))
def test_ratio_interval_properties(seed, n, spread, size):
    rng = np.random.default_rng(seed)
    x, y = _clusters(rng, n, icc_spread=spread, mean_size=size)
    assume(x.sum() > 0)
    est = ratio(*_sums(x, y))
    m = (x * x).sum() / x.sum()
    assert 0.0 <= est.lo <= est.value <= est.hi <= 1.0
    assert x.sum() / max(m, 1.0) * (1 - 1e-12) <= est.n_eff <= x.sum() * max(m, 1.0) * (1 + 1e-12)
    # four times the clusters (the same ones, repeated): same ratio, narrower interval
    big = ratio(*_sums(np.tile(x, 4), np.tile(y, 4)))
    assert big.value == pytest.approx(est.value, rel=1e-12)
    assert big.hi - big.lo <= est.hi - est.lo + 1e-12


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_properties(n, data):
    k = data.draw(st.integers(0, n))
    p = k / n
    lo, hi = (float(v) for v in wilson_interval(p, n))
    assert 0.0 <= lo <= p <= hi <= 1.0
    assert lo < hi
    lo4, hi4 = (float(v) for v in wilson_interval(p, 4 * n))
    assert hi4 - lo4 < hi - lo


# -------------------------------------------------------------------------- means, quantiles
@pytest.mark.parametrize("seed", [0, 1])
def test_mean_estimate_matches_scipy_t_interval(seed):
    v = np.random.default_rng(seed).exponential(2.0, 57)
    est = mean_estimate(v.sum(), (v * v).sum(), len(v))
    lo, hi = sst.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=sst.sem(v))
    assert est.value == pytest.approx(v.mean(), rel=1e-12)
    assert (est.lo, est.hi) == pytest.approx((lo, hi), rel=1e-9)


def test_mean_estimate_degenerate():
    assert math.isnan(mean_estimate(0.0, 0.0, 0).value)
    one = mean_estimate(3.0, 9.0, 1)
    assert one.value == 3.0 and (one.lo, one.hi) == (-math.inf, math.inf)


@pytest.mark.parametrize("q", [0.05, 0.25, 0.5, 0.9])
def test_histogram_quantile_against_numpy(q):
    """Values binned at 0.25 s: the binned quantile is the sample quantile to within a bin."""
    width = 0.25
    v = np.random.default_rng(5).gamma(3.0, 4.0, 20_000)
    counts = np.bincount((v / width).astype(int))
    assert histogram_quantile(counts.astype(float), width, q) == pytest.approx(
        np.quantile(v, q), abs=width)


def test_histogram_quantile_uniform_bins_is_exact():
    """Equal counts in every bin are a uniform density: the q quantile is q times the span."""
    counts = np.full(40, 25.0)
    for q in (0.05, 0.5, 0.975):
        assert histogram_quantile(counts, 0.5, q) == pytest.approx(q * 20.0, abs=1e-12)
    assert math.isnan(histogram_quantile(np.zeros(5), 0.5, 0.5))
