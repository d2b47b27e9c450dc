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
