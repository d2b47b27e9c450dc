"""Two defence layouts side by side, and whether the difference between them is real.

Both layouts are sampled with the same root seed and the same number of salvos. The kill draws
come from a counter-based hash of (seed, salvo, tube, unit, shot), and the launcher, aim and
dispersion draws from a stream seeded per block of salvos, so when the site and threat are the
same the two runs see the very same salvos and the same luck for every unit they share: common
random numbers. The comparison is then paired, and its interval much narrower than two
independent runs would give.

The paired interval uses batch means over the kernel's blocks (:data:`BLOCK_SALVOS` salvos each):
block ``k`` of layout A and block ``k`` of layout B are one pair, pairs are independent, and a
ratio measure ``r = sum y / sum x`` enters through its linearisation, so for the difference
``d = r_B - r_A``

    e_k = (y_Bk - r_B x_Bk) / mean(x_B) - (y_Ak - r_A x_Ak) / mean(x_A)
    se(d)^2 = sum_k e_k^2 / (n (n - 1))

with a t interval on ``n - 1`` degrees of freedom (Law & Kelton, *Simulation Modeling and
Analysis*, batch means; Cochran, *Sampling Techniques*, sec. 6.4, for the linearisation). The
pairing holds whatever the correlation between the runs; common random numbers only make it
narrower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely

from forceprot.kernel import tally as T
from forceprot.compile import Prepared, compile_scenario
from forceprot.errors import ForceprotError
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.results import Results
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.stats import MIN_BATCHES, finite_or_none, paired_ratio_difference

__all__ = ["ATTEMPT_MEASURES", "Comparison", "DEFAULT_MIN_EFFECT", "MEASURES", "PEOPLE_MEASURES",
           "PairedDifference", "compare_layouts",
           "paired_ratio_difference"]

#: Measures compared, as ratios of scalar tallies: name -> (numerator, denominator, label).
MEASURES = {
    "leak_rate": (T.S_LEAKED, T.S_THREAT, "leak rate"),
    "p_any_leak": (T.S_SALVOS_ANY_LEAK, T.S_SALVOS, "P(≥ 1 leaker per salvo)"),
    "expected_leakers_per_salvo": (T.S_LEAKED, T.S_SALVOS, "leakers per salvo"),
    "warning_time_mean_s": (T.S_WARN_SUM_S, T.S_WARN_N, "mean warning"),
}
#: Measures compared when both scenarios have ``[people]``.
PEOPLE_MEASURES = {
    "expected_killed_per_salvo": (T.S_KILLED, T.S_SALVOS, "killed per salvo"),
    "expected_wounded_per_salvo": (T.S_WOUNDED, T.S_SALVOS, "wounded per salvo"),
    "p_casualty": (T.S_P_CASUALTY, T.S_SALVOS, "P(≥ 1 casualty per salvo)"),
}
#: Measures added when either layout has ``[[surveillance]]`` (forceprot.surveillance): a camera
#: or patrol changes nothing once the salvo is fired, only how often it is. A layout without
#: surveillance fires every salvo (:func:`forceprot.results.fired_scalars`).
ATTEMPT_MEASURES = {
    "p_prevented": (T.S_P_PREVENT, T.S_SALVOS, "P(salvo prevented)"),
    "expected_leakers_per_attempted_salvo": (T.S_LEAKED_ATTEMPT, T.S_SALVOS,
                                             "leakers per attempted salvo"),
    "p_any_leak_per_attempted_salvo": (T.S_ANY_LEAK_ATTEMPT, T.S_SALVOS,
                                       "P(≥ 1 leaker per attempted salvo)"),
}
#: Smallest difference that matters to a planner, per measure (in the measure's unit): a
#: difference whose whole interval lies inside +/- this is "no practical difference", however
#: small its p-value. Illustrative defaults, overridable with ``--min-effect MEASURE=VALUE``:
#: one percentage point of leak rate or of P(any leaker), a tenth of a leaker per salvo, half
#: a second of warning (about the time to take two steps toward cover).
DEFAULT_MIN_EFFECT = {"leak_rate": 0.01, "p_any_leak": 0.01,
                      "expected_leakers_per_salvo": 0.1, "warning_time_mean_s": 0.5,
                      # a hundredth of a person per salvo: one person in a hundred attacks
                      "expected_killed_per_salvo": 0.01, "expected_wounded_per_salvo": 0.01,
                      "p_casualty": 0.01,
                      "p_prevented": 0.01, "expected_leakers_per_attempted_salvo": 0.1,
                      "p_any_leak_per_attempted_salvo": 0.01,
                      "expected_killed_per_attempted_salvo": 0.01}


@dataclass(frozen=True)
class PairedDifference:
    """One measure of both layouts and their paired difference ``b - a`` with a 95 % interval."""

    measure: str
    label: str
    a: float
    b: float
    difference: float
    lo: float
    hi: float
    p_value: float
    n_batches: int
    min_effect: float = 0.0

    @property
    def significant(self) -> bool:
        """The 95 % interval of the difference excludes 0 (statistically significant)."""
        return bool(self.lo > 0.0 or self.hi < 0.0)

    @property
    def verdict(self) -> str:
        """What a planner can take from the interval, against the smallest effect that matters:
        ``"B higher"``/``"B lower"`` (the whole interval beyond ``min_effect``), ``"no practical
        difference"`` (the whole interval within it), or ``"inconclusive"`` (the interval
        straddles it: more salvos would tell)."""
        if not (math.isfinite(self.lo) and math.isfinite(self.hi)):
            return "inconclusive"
        if self.lo > self.min_effect:
            return "B higher"
        if self.hi < -self.min_effect:
            return "B lower"
        if -self.min_effect <= self.lo and self.hi <= self.min_effect:
            return "no practical difference"
        return "inconclusive"

    def as_dict(self) -> dict:
        return {"a": finite_or_none(self.a), "b": finite_or_none(self.b),
                "difference": finite_or_none(self.difference),
                "difference_ci": [finite_or_none(self.lo), finite_or_none(self.hi)],
                "p_value": finite_or_none(self.p_value), "significant": self.significant,
                "min_effect": self.min_effect, "verdict": self.verdict,
                "practically_significant": self.verdict in ("B higher", "B lower")}


def same_salvos(a: Prepared, b: Prepared) -> bool:
    """Whether two layouts draw the same salvos for a seed (launcher, aim, dispersion).

    True when the threat, rocket, site geometry and (for ``aim = "assets"``) the assets are the
    same; the defences and warning may differ.
    """
    sa, sb = a.scenario, b.scenario
    if sa.threat != sb.threat or sa.rocket_class != sb.rocket_class:
        return False
    if sa.site.ground_altitude_m != sb.site.ground_altitude_m:
        return False
    if sa.threat.aim == "assets" and not _same_assets(a.site.assets, b.site.assets):
        return False
    return bool(shapely.equals_exact(a.site.base, b.site.base, tolerance=0.0)
                and shapely.equals_exact(a.site.launch_zone, b.site.launch_zone, tolerance=0.0))


def _same_assets(a, b) -> bool:
    """Whether two :class:`~forceprot.geo.SiteAssets` aim alike: weights, centres, radii and
    polygons all equal."""
    if len(a) != len(b) or not (np.array_equal(a.weight, b.weight)
                                and np.array_equal(a.xy_m, b.xy_m)
                                and np.array_equal(a.radius_m, b.radius_m, equal_nan=True)):
        return False
    return all((pa is None and pb is None) or (pa is not None and pb is not None and
                                               shapely.equals_exact(pa, pb, tolerance=0.0))
               for pa, pb in zip(a.polygons, b.polygons))


@dataclass(frozen=True)
class Comparison:
    """Layouts A and B, run on the same seed and salvos, and the paired differences ``B - A``."""

    a: Results
    b: Results
    differences: dict[str, PairedDifference]
    same_salvos: bool

    @property
    def n_batches(self) -> int:
        return next(iter(self.differences.values())).n_batches

    def summary(self) -> dict:
        """The comparison under stable keys (``forceprot compare --json``)."""
        return {
            "a": self.a.compiled.label,
            "b": self.b.compiled.label,
            "difference_is": "b - a",
            "seed": self.a.seed,
            "salvos": self.a.salvos,
            "batches": self.n_batches,
            "batch_salvos": BLOCK_SALVOS,
            "common_random_numbers": self.same_salvos,
            "measures": {k: d.as_dict() for k, d in self.differences.items()},
            "run_time_s": {"a": self.a.elapsed_s, "b": self.b.elapsed_s},
        }


def compare_layouts(a: Prepared, b: Prepared, *, salvos: int | None = None,
                    seed: int | None = None, threads: int | None = None,
                    min_effect: dict[str, float] | None = None, allow_different: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run two layouts on the same seed and salvos and compare them, paired by block.

    Parameters
    ----------
    a, b : Prepared
        The two scenarios (B is compared against A: differences are ``B - A``).
    salvos : int, optional
        Salvos per layout (default: A's ``simulation.salvos``); at least
        ``MIN_BATCHES * BLOCK_SALVOS``.
    seed : int, optional
        Root seed of both runs (default: A's ``simulation.seed``).
    threads : int, optional
        Threads per run.
    min_effect : dict, optional
        Smallest difference that matters, per measure (defaults :data:`DEFAULT_MIN_EFFECT`).
    allow_different : bool
        Compare even when the site, threat or rocket differ. Then the two runs do not share
        their salvos and the "paired" interval is only a batch-means interval of two unrelated
        samples.
    progress : callable, optional
        Called as ``progress(salvos_done, salvos_total)`` over both runs.

    Raises
    ------
    ForceprotError
        Too few salvos for a paired interval, an unknown measure or a negative effect in
        ``min_effect``, or (without ``allow_different``) layouts whose site or threat differ.
    """
    effects = dict(DEFAULT_MIN_EFFECT)
    for key, value in (min_effect or {}).items():
        if key not in DEFAULT_MIN_EFFECT:
            raise ForceprotError(f"unknown measure; one of "
                                 f"{', '.join(DEFAULT_MIN_EFFECT)}",
                                 field="--min-effect", value=key)
        if not (value >= 0.0 and math.isfinite(value)):
            raise ForceprotError("must be a finite number >= 0", field="--min-effect",
                                 value=f"{key}={value}")
        effects[key] = float(value)
    paired = same_salvos(a, b)
    if not paired and not allow_different:
        raise ForceprotError(
            "A and B differ in site, threat or rocket, so they do not see the same salvos and "
            "their difference is not a comparison of layouts; pass --allow-different to compare "
            "them anyway", file=b.scenario.label)
    # no precision stop: both layouts must see exactly the same salvos to be paired
    settings = RunSettings.from_scenario(a.scenario, salvos=salvos, seed=seed, precision=None,
                                         story_salvos=0, threads=threads)
    salvos = settings.salvos
    least = MIN_BATCHES * BLOCK_SALVOS
    if salvos < least:
        raise ForceprotError(
            f"a paired comparison needs at least {least:,} salvos ({MIN_BATCHES} blocks of "
            f"{BLOCK_SALVOS}) to estimate its interval", field="--salvos", value=salvos)
    compiled = [compile_scenario(a), compile_scenario(b)]
    runs = []
    for i, c in enumerate(compiled):
        tick = None if progress is None else (
            lambda done, total, i=i: progress(i * salvos + done, 2 * salvos))
        runs.append(simulate(c, settings, progress=tick, keep_block_scalars=True))
    res_a, res_b = runs
    blocks_a, blocks_b = res_a.extra["block_scalars"], res_b.extra["block_scalars"]
    people = a.site.people is not None and b.site.people is not None
    measures = {**MEASURES, **(PEOPLE_MEASURES if people else {})}
    if res_a.has_surveillance or res_b.has_surveillance:
        from forceprot.results import fired_scalars

        blocks_a, blocks_b = (fired_scalars(blk) if not r.has_surveillance else blk
                              for blk, r in ((blocks_a, res_a), (blocks_b, res_b)))
        measures.update(ATTEMPT_MEASURES)
        if people:
            measures["expected_killed_per_attempted_salvo"] = (
                T.S_KILLED_ATTEMPT, T.S_SALVOS, "killed per attempted salvo")
    differences = {}
    for key, (num, den, label) in measures.items():
        r_a, r_b, d, lo, hi, p = paired_ratio_difference(
            blocks_a[:, num], blocks_a[:, den], blocks_b[:, num], blocks_b[:, den])
        differences[key] = PairedDifference(key, label, r_a, r_b, d, lo, hi, p, len(blocks_a),
                                            effects[key])
    return Comparison(a=res_a, b=res_b, differences=differences, same_salvos=paired)
