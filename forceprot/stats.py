"""Estimates and 95 % intervals from streamed tallies.

Rockets of one salvo share the launcher, the aim error and the defences' saturation, so they are
not independent draws: per-rocket rates are ratio estimators over salvos (clusters), and their
intervals use the cluster-robust (linearisation) variance

    V(r) = n / (n - 1) * sum_s (y_s - r x_s)^2 / (sum_s x_s)^2

(Cochran, *Sampling Techniques*, 3rd ed., sec. 6.4). To keep Wilson's good behaviour near 0 and 1,
that variance enters as a design effect: the Wilson interval is computed on the effective sample
size ``n_eff = sum x / deff``, ``deff = V(r) / (r (1 - r) / sum x)`` (Korn & Graubard 1998, "Confidence
intervals for proportions with small expected number of positive counts estimated from survey
data"). When ``r`` is 0 or 1 the design effect is undefined and its upper bound, the mean cluster
size ``sum x^2 / sum x``, is used. Per-salvo proportions (salvos are independent) use plain Wilson.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate", "mean_estimate", "proportion", "ratio", "wilson_interval", "Z95"]

#: ``scipy.stats.norm.ppf(0.975)``, written out: importing scipy.stats costs ~0.3 s of start-up
#: (tests check the value).
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a 95 % interval."""

    value: float
    lo: float
    hi: float
    n: float = 0.0          # sampling units behind it (salvos, or rockets for cell rates)
    n_eff: float = 0.0      # effective sample size after clustering, where it applies

    @property
    def half_width(self) -> float:
        return 0.5 * (self.hi - self.lo)

    def as_list(self) -> list[float]:
        return [self.lo, self.hi]


def wilson_interval(p_hat, n, z: float = Z95):
    """Wilson score interval for a proportion; works on arrays. ``n = 0`` gives (0, 1)."""
    p_hat = np.asarray(p_hat, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + z * z / n
        centre = (p_hat + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p_hat * (1.0 - p_hat) / n + z * z / (4.0 * n * n)) / denom
        # The interval always contains p_hat (the score statistic is 0 there); at p_hat = 0 or 1
        # rounding would put the bound a few ulp off it (1 - 2e-16 for a leak rate of exactly 1).
        lo = np.where(n > 0, np.clip(np.minimum(centre - half, p_hat), 0.0, 1.0), 0.0)
        hi = np.where(n > 0, np.clip(np.maximum(centre + half, p_hat), 0.0, 1.0), 1.0)
    return lo, hi


def proportion(k: float, n: float) -> Estimate:
    """A proportion of independent trials with its Wilson interval."""
    p = k / n if n > 0 else math.nan
    lo, hi = wilson_interval(p if n > 0 else 0.0, n)
    return Estimate(float(p), float(lo), float(hi), n=float(n), n_eff=float(n))


def ratio_effective_n(sum_y, sum_x, sum_y2, sum_x2, sum_xy, n_clusters):
    """Ratio ``sum y / sum x`` and the effective sample size of its cluster-robust variance.

    Works on arrays (one ratio per element). Returns ``(r, n_eff)``; ``r`` is NaN where
    ``sum x = 0``.
    """
    sum_y = np.asarray(sum_y, dtype=float)
    sum_x = np.asarray(sum_x, dtype=float)
    n_clusters = np.asarray(n_clusters, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(sum_x > 0, sum_y / sum_x, np.nan)
        resid2 = sum_y2 - 2.0 * r * sum_xy + r * r * sum_x2
        resid2 = np.maximum(resid2, 0.0)
        correction = np.where(n_clusters > 1, n_clusters / (n_clusters - 1.0), 1.0)
        var_cluster = correction * resid2 / (sum_x * sum_x)
        var_srs = r * (1.0 - r) / sum_x
        max_deff = np.where(sum_x > 0, sum_x2 / sum_x, 1.0)
        deff = np.where(var_srs > 0, var_cluster / var_srs, max_deff)
        deff = np.clip(deff, 1.0 / np.maximum(max_deff, 1.0), np.maximum(max_deff, 1.0))
        n_eff = np.where(sum_x > 0, sum_x / deff, 0.0)
    return r, n_eff


def ratio(sum_y: float, sum_x: float, sum_y2: float, sum_x2: float, sum_xy: float,
          n_clusters: float) -> Estimate:
    """A per-rocket rate over salvos (clusters): Wilson on the cluster-robust effective n."""
    r, n_eff = ratio_effective_n(sum_y, sum_x, sum_y2, sum_x2, sum_xy, n_clusters)
    r = float(r)
    if not math.isfinite(r):
        return Estimate(math.nan, 0.0, 1.0, n=float(n_clusters), n_eff=0.0)
    lo, hi = wilson_interval(r, n_eff)
    return Estimate(r, float(lo), float(hi), n=float(n_clusters), n_eff=float(n_eff))


def cluster_mean(sum_y: float, sum_x: float, sum_y2: float, sum_x2: float, sum_xy: float,
                 n_clusters: float) -> Estimate:
    """Mean of a per-rocket quantity over the rockets of many salvos (clusters), ``sum y /
    sum x``, with the cluster-robust linearisation variance (Cochran, *Sampling Techniques*,
    3rd ed., 6.4) and a normal 95 % interval: rockets of one salvo are not independent.

    ``sum_y2``, ``sum_x2`` and ``sum_xy`` are sums over clusters of the cluster totals' squares
    and product.
    """
    n = float(n_clusters)
    if sum_x <= 0 or n < 1:
        return Estimate(math.nan, math.nan, math.nan, n=n)
    r = sum_y / sum_x
    if n < 2:
        return Estimate(r, -math.inf, math.inf, n=n, n_eff=n)
    resid2 = max(sum_y2 - 2.0 * r * sum_xy + r * r * sum_x2, 0.0)
    half = Z95 * math.sqrt(n / (n - 1.0) * resid2) / sum_x
    return Estimate(r, r - half, r + half, n=n, n_eff=n)


def mean_estimate(total: float, total_sq: float, n: float) -> Estimate:
    """Mean of ``n`` independent values from their sum and sum of squares, t interval."""
    if n <= 0:
        return Estimate(math.nan, math.nan, math.nan)
    mean = total / n
    if n < 2:
        return Estimate(mean, -math.inf, math.inf, n=n, n_eff=n)
    var = max(total_sq - n * mean * mean, 0.0) / (n - 1.0)
    from scipy.special import stdtrit  # t quantile without importing scipy.stats (start-up)

    half = float(stdtrit(n - 1.0, 0.975)) * math.sqrt(var / n)
    return Estimate(mean, mean - half, mean + half, n=n, n_eff=n)


def histogram_quantile(counts: np.ndarray, bin_width: float, q: float) -> float:
    """The ``q`` quantile of values binned from 0 in bins of ``bin_width`` (linear in a bin)."""
    total = counts.sum()
    if total <= 0:
        return math.nan
    cum = np.cumsum(counts)
    target = q * total
    k = int(np.searchsorted(cum, target, side="left"))
    k = min(k, len(counts) - 1)
    before = cum[k - 1] if k > 0 else 0.0
    inside = counts[k]
    frac = (target - before) / inside if inside > 0 else 0.0
    return float((k + frac) * bin_width)


def finite_or_none(x) -> float | None:
    """``x`` as a float, or None where it is NaN or infinite (JSON has no NaN)."""
    x = float(x)
    return x if math.isfinite(x) else None


#: Fewest paired batches for a t interval of a paired difference.
MIN_BATCHES = 2


def paired_ratio_difference(y_a: np.ndarray, x_a: np.ndarray, y_b: np.ndarray, x_b: np.ndarray,
                            *, confidence: float = 0.95) -> tuple[float, ...]:
    """Difference of two ratio estimators over paired batches, with a t interval.

    Parameters
    ----------
    y_a, x_a, y_b, x_b : ndarray, float64, shape (n_batches,)
        Per-batch numerator and denominator sums of layouts A and B; batch ``k`` of A and of B
        are a pair.
    confidence : float
        Interval coverage [-].

    Returns
    -------
    r_a, r_b, difference, lo, hi, p_value : float
        The ratios, ``r_b - r_a``, its interval and the two-sided p-value of "no difference".
        NaN where a ratio is undefined (no denominator).
    """
    n = len(y_a)
    sx_a, sx_b = float(np.sum(x_a)), float(np.sum(x_b))
    if n < MIN_BATCHES or sx_a <= 0 or sx_b <= 0:
        r_a = float(np.sum(y_a)) / sx_a if sx_a > 0 else math.nan
        r_b = float(np.sum(y_b)) / sx_b if sx_b > 0 else math.nan
        return r_a, r_b, r_b - r_a, math.nan, math.nan, math.nan
    from scipy.special import stdtr, stdtrit  # t distribution without scipy.stats (start-up)

    r_a = float(np.sum(y_a)) / sx_a
    r_b = float(np.sum(y_b)) / sx_b
    e = (y_b - r_b * x_b) / (sx_b / n) - (y_a - r_a * x_a) / (sx_a / n)
    se = math.sqrt(float(np.sum(e * e)) / (n * (n - 1.0)))
    d = r_b - r_a
    tq = float(stdtrit(n - 1, 0.5 + 0.5 * confidence))
    if se == 0.0:
        return r_a, r_b, d, d, d, 1.0 if d == 0.0 else 0.0
    p = float(2.0 * stdtr(n - 1, -abs(d) / se))
    return r_a, r_b, d, d - tq * se, d + tq * se, p


def paired_ratio_estimate(d: np.ndarray, x: np.ndarray) -> Estimate:
    """``sum(d) / sum(x)`` for per-salvo paired differences ``d`` and denominators ``x`` on the
    same salvos (common random numbers), with the cluster-robust linearisation variance
    (Cochran, *Sampling Techniques*, 3rd ed., 6.4) and a normal 95 % interval; the salvo is
    the sampling unit."""
    n = len(x)
    total = float(np.sum(x))
    if total <= 0 or n < 2:
        return Estimate(math.nan, math.nan, math.nan, n=n)
    r = float(np.sum(d)) / total
    var = n / (n - 1.0) * float(np.sum((d - r * x) ** 2)) / total ** 2
    half = Z95 * math.sqrt(var)
    return Estimate(r, r - half, r + half, n=n, n_eff=n)

