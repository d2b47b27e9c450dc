"""Paired comparison of two layouts on the common sample (same salvos, same draws)."""

from __future__ import annotations

from forceprot.kernel import tally as T
from forceprot.stats import Estimate, mean_estimate, paired_ratio_estimate
from forceprot.studies.optimize.layouts import PerSalvo

__all__ = ["PAIRED_MAX_BYTES", "PAIRED_MAX_SALVOS", "paired_difference", "paired_sample_size"]

#: Most salvos recorded rocket by rocket for the paired comparisons [-].
PAIRED_MAX_SALVOS = 20_000
#: Memory the rocket-by-rocket records of one paired run may take [bytes].
PAIRED_MAX_BYTES = 256 * 2**20


def paired_sample_size(salvos: int, tubes: int, n_units: int) -> int:
    """Salvos on which layouts are compared pair-wise: all of them, up to
    :data:`PAIRED_MAX_SALVOS` and what :data:`PAIRED_MAX_BYTES` of rocket records hold (the
    first salvos of the common sample)."""
    per_salvo_bytes = 8 * tubes * (T.N_STORY + max(n_units, 1) * T.N_STORY_UNIT)
    return int(max(1, min(salvos, PAIRED_MAX_SALVOS, PAIRED_MAX_BYTES // per_salvo_bytes)))


def paired_difference(a: PerSalvo, b: PerSalvo, objective: str) -> Estimate:
    """Objective of layout ``a`` minus that of ``b`` on the same salvos, with a 95 % interval.

    Both layouts saw the same salvos (common random numbers), so the difference is estimated
    salvo by salvo: for the leak rate, the ratio ``sum(leaked_a - leaked_b) / sum(threat)`` with
    the cluster-robust linearisation variance (Cochran, *Sampling Techniques*, 3rd ed., 6.4) and
    a normal interval; for the per-salvo objectives, the mean difference with a t interval.
    """
    n = len(a.threat)
    if objective == "leak_rate":
        return paired_ratio_estimate(a.leaked - b.leaked, a.threat)
    d = {"p_any_leak": lambda: a.any_leak - b.any_leak,
         "casualties": lambda: a.casualties - b.casualties}.get(
        objective, lambda: a.asset_risk - b.asset_risk)()
    return mean_estimate(float(d.sum()), float((d * d).sum()), float(n))
