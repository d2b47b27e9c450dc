"""Compare the kernel with the NumPy reference on one shared sample, rocket by rocket and tally
by tally.

Both sides see the same draws, so they should agree exactly: same rockets inside, same
engagements, same kills, same counts. Two things may legitimately differ:

- floats, by a few units in the last place, where the two evaluate the same formula in another
  order or with another libm (NumPy's vectorised ``sin``/``cos`` against numba's): positions and
  times agree to :data:`ATOL_POSITION_M` and :data:`ATOL_TIME_S`;
- a discrete outcome, when such a float lands exactly on a threshold (an impact on the base
  outline, a crossing on a node, a tie in impact order). That flips one rocket, and through its
  salvo's engagement timeline maybe a few more. At most :data:`MAX_FLIP_FRACTION` of the rockets
  may differ; tally tolerances then scale with the number of rockets that did.

Anything beyond that is a bug in one of the two.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field

import numpy as np

from forceprot.kernel import tally as T

from benchmarks.reference import Outcomes, Tallies

__all__ = ["ATOL_POSITION_M", "ATOL_TIME_S", "MAX_FLIP_FRACTION", "Comparison", "compare"]

#: Impact positions and apogees [m]: coordinates are ~4e6 m (UTM northing), whose float spacing
#: is 5e-10 m; a few ulps of a heading's sine moves an 8 km flight by ~1e-12 m. 1 um is far
#: below anything the model resolves and far above rounding.
ATOL_POSITION_M = 1e-6
#: Event times [s] (detection, window, intercept, kill): linear crossings between nodes divide
#: by margin differences of tens to thousands of metres, so rounding stays below 1e-9 s; 1 us.
ATOL_TIME_S = 1e-6
#: Rockets whose discrete outcome may differ, as a fraction of the sample: borderline float
#: cases only (1 rocket in 10^4).
MAX_FLIP_FRACTION = 1e-4
#: Relative tolerance of float sums (warning times, weighted risk) summed in another order.
RTOL_SUM = 1e-12
#: Relative tolerance of sums of detection-derived times (warning, detection and track delays):
#: kernel and reference each place a detection on its chord to 2**-24 of the segment by
#: different root finders (false position, bisection), a few 1e-8 s per rocket.
RTOL_TIME_SUM = 1e-6

_DISCRETE = ("inside", "defended", "kill_unit", "eng_out", "eng_shots")


@dataclass
class Comparison:
    """Outcome of a cross-check.

    Attributes
    ----------
    n_rockets : int
    n_flipped : int
        Rockets whose discrete outcome (inside, defended, killer, any unit's engagement outcome
        or shots) differs.
    max_position_diff_m, max_time_diff_s : float
        Largest difference among rockets whose discrete outcome agrees.
    tally_mismatches : list of str
        Tally entries beyond tolerance, described.
    counts_kernel, counts_reference : dict
        Headline counts of both sides (fired, threatening, leaked, intercepted, per-unit
        engagements and kills, salvos with a leaker, warning-time sum).
    """

    n_rockets: int
    n_flipped: int
    max_position_diff_m: float
    max_time_diff_s: float
    tally_mismatches: list[str] = field(default_factory=list)
    counts_kernel: dict = field(default_factory=dict)
    counts_reference: dict = field(default_factory=dict)

    @property
    def allowed_flips(self) -> int:
        return int(MAX_FLIP_FRACTION * self.n_rockets)

    @property
    def identical_counts(self) -> bool:
        return self.counts_kernel == self.counts_reference

    @property
    def agree(self) -> bool:
        return (self.n_flipped <= self.allowed_flips and not self.tally_mismatches
                and self.max_position_diff_m <= ATOL_POSITION_M
                and self.max_time_diff_s <= ATOL_TIME_S)

    def problems(self) -> list[str]:
        """What failed, in words (empty if the two agree)."""
        out = []
        if self.n_flipped > self.allowed_flips:
            out.append(f"{self.n_flipped} of {self.n_rockets} rockets have a different outcome "
                       f"(at most {self.allowed_flips} allowed)")
        if self.max_position_diff_m > ATOL_POSITION_M:
            out.append(f"positions differ by up to {self.max_position_diff_m:.3g} m "
                       f"(tolerance {ATOL_POSITION_M:g} m)")
        if self.max_time_diff_s > ATOL_TIME_S:
            out.append(f"times differ by up to {self.max_time_diff_s:.3g} s "
                       f"(tolerance {ATOL_TIME_S:g} s)")
        return out + self.tally_mismatches


def headline_counts(t: Tallies, unit_names: list[str]) -> dict:
    """The counts a reader checks first, as plain ints (the warning-time sum is compared with its
    tolerance among the tallies: its detections are placed by two different root finders)."""
    s = t.scal
    counts = {
        "salvos": int(s[T.S_SALVOS]),
        "fired": int(s[T.S_FIRED]),
        "threatening": int(s[T.S_THREAT]),
        "leaked": int(s[T.S_LEAKED]),
        "intercepted": int(s[T.S_INTERCEPTED]),
        "salvos_any_leak": int(s[T.S_SALVOS_ANY_LEAK]),
    }
    for u, name in enumerate(unit_names):
        counts[f"{name}: engagements"] = int(t.unit_t[u, T.U_ENGAGEMENTS])
        counts[f"{name}: kills"] = int(t.unit_t[u, T.U_KILLS])
        counts[f"{name}: engagements on killed rockets"] = int(t.unit_t[u, T.U_ON_KILLED])
    return counts


def _nan_inf(a):
    """The kernel's story writes NaN where the reference keeps +inf (never / not engaged)."""
    return np.where(np.isfinite(a), a, np.nan)


def _rocket_diffs(ref: Outcomes, story: np.ndarray, story_u: np.ndarray):
    n_s, n_t = ref.inside.shape
    n_u = ref.t_detect_s.shape[2]
    su = story_u.reshape(n_s, n_t, n_u, T.N_STORY_UNIT)
    sr = story.reshape(n_s, n_t, T.N_STORY)
    kernel = {
        "inside": sr[..., T.R_INSIDE] == 1.0,
        "defended": sr[..., T.R_DEFENDED] == 1.0,
        "kill_unit": sr[..., T.R_KILL_UNIT].astype(np.int64),
        "eng_out": su[..., T.RU_OUTCOME].astype(np.int64),
        "eng_shots": su[..., T.RU_SHOTS].astype(np.int64),
    }
    flipped = np.zeros((n_s, n_t), dtype=bool)
    for name in _DISCRETE:
        d = getattr(ref, name) != kernel[name]
        flipped |= d.reshape(n_s, n_t, -1).any(axis=2)
    same = ~flipped

    def worst(a, b):
        a = np.asarray(a)[same]
        b = np.asarray(b)[same]
        both_nan = np.isnan(a) & np.isnan(b)
        d = np.abs(np.where(both_nan, 0.0, a - b))
        d = np.where(np.isnan(d), np.inf, d)     # NaN on one side only: a real difference
        return float(d.max()) if d.size else 0.0

    pos = max(worst(ref.impact_xy[..., 0], sr[..., T.R_IMPACT_X]),
              worst(ref.impact_xy[..., 1], sr[..., T.R_IMPACT_Y]),
              worst(ref.apogee_m, sr[..., T.R_APOGEE_M]))
    times = max(
        worst(ref.t_launch_s, sr[..., T.R_T_LAUNCH]),
        worst(ref.t_impact_s, sr[..., T.R_T_IMPACT]),
        worst(_nan_inf(ref.first_detect_s), sr[..., T.R_FIRST_DETECT_T]),
        worst(_nan_inf(ref.first_track_s), sr[..., T.R_FIRST_TRACK_T]),
        worst(_nan_inf(ref.t_kill_s), sr[..., T.R_KILL_T]),
        max((worst(_nan_inf(ref.t_detect_s[..., u]), su[..., u, T.RU_DETECT_T]) for u in
             range(n_u)), default=0.0),
        max((worst(_nan_inf(ref.t_track_s[..., u]), su[..., u, T.RU_TRACK_T]) for u in
             range(n_u)), default=0.0),
        max((worst(ref.eng_t_s[..., u], su[..., u, T.RU_T]) for u in range(n_u)), default=0.0),
    )
    return int(flipped.sum()), pos, times


def _tally_mismatches(ref: Tallies, ker: Tallies, n_flipped: int, tubes: int,
                      max_warning_s: float, weight_sum: float) -> list[str]:
    """Entries beyond tolerance.

    A flipped rocket moves a count by at most 1, a per-salvo square or product of counts by at
    most ``2 * tubes + 1``, the warning-time sum by at most the longest flight, the weighted
    asset risk by at most the sum of asset weights (squares scaled alike); float sums also get
    :data:`RTOL_SUM` for the order of summation.
    """
    per_flip = {name: {} for name in ("scal", "unit_t", "grid_t", "launch_t", "asset_t")}
    sq = 2.0 * tubes + 1.0
    for k in (T.S_THREAT2, T.S_LEAKED2, T.S_THREAT_LEAKED):
        per_flip["scal"][k] = sq
    per_flip["scal"][T.S_WARN_SUM_S] = max_warning_s
    # a rocket's detection and track delays are at most its flight
    per_flip["scal"][T.S_DETECT_DELAY_SUM_S] = max_warning_s
    per_flip["scal"][T.S_TRACK_DELAY_SUM_S] = max_warning_s
    per_flip["scal"][T.S_WARN2] = max_warning_s ** 2 * sq
    # a salvo's summed warning moves by at most one rocket's: its square and its product with
    # the salvo's count by at most (2 tubes + 1) times that
    per_flip["scal"][T.S_WARN_SALVO2] = max_warning_s ** 2 * tubes * sq
    per_flip["scal"][T.S_WARN_THREAT] = max_warning_s * tubes * sq
    per_flip["scal"][T.S_ASSET_RISK] = weight_sum
    per_flip["scal"][T.S_ASSET_RISK2] = weight_sum ** 2 * sq
    for k in (T.U_KILLS_INSIDE2, T.U_KILLS_INSIDE_THREAT):
        per_flip["unit_t"][k] = sq
    for k in (T.G_THREAT2, T.G_INTERCEPTED2, T.G_THREAT_INTERCEPTED):
        per_flip["grid_t"][k] = sq
    per_flip["launch_t"][T.L_LEAKED2] = sq
    per_flip["asset_t"][T.A_HITS2] = sq
    float_sums = {("scal", T.S_WARN_SUM_S), ("scal", T.S_WARN2), ("scal", T.S_WARN_SALVO2),
                  ("scal", T.S_WARN_THREAT), ("scal", T.S_ASSET_RISK), ("scal", T.S_ASSET_RISK2),
                  ("scal", T.S_DETECT_DELAY_SUM_S), ("scal", T.S_TRACK_DELAY_SUM_S)}
    # casualty sums: the people a flipped rocket can hurt are bounded by everyone on the base
    # (the tolerance a flip earns is then loose; with no flip it is the order of summation and
    # the warning's detection-time tolerance that remain)
    casualty_keys = range(T.S_KILLED, T.N_SCALARS)
    for k in casualty_keys:
        per_flip["scal"][k] = math.inf if n_flipped else 0.0
        float_sums.add(("scal", k))
    # axis holding the tally index: scal[k], unit_t[u, k], grid_t[k, cell], launch_t[k, cell],
    # asset_t[a, k]; warn_h[bin] has none
    axis = {"scal": 0, "unit_t": 1, "grid_t": 0, "launch_t": 0, "asset_t": 1}
    out = []
    for name in ("scal", "unit_t", "grid_t", "launch_t", "asset_t", "warn_h", "hour_t",
                 "exposure_t"):
        a = getattr(ref, name)
        b = getattr(ker, name)
        if a.shape != b.shape:
            out.append(f"{name}: shapes {a.shape} (reference) and {b.shape} (kernel)")
            continue
        tol = np.full(a.shape, float(n_flipped))
        if name in axis:
            col = np.indices(a.shape)[axis[name]]
            for k, scale in per_flip[name].items():
                tol[col == k] = n_flipped * scale
                if (name, k) in float_sums:
                    rtol = RTOL_SUM if k in (T.S_ASSET_RISK, T.S_ASSET_RISK2) else RTOL_TIME_SUM
                    tol[col == k] += rtol * np.abs(b[col == k])
        if name in ("hour_t", "exposure_t"):
            # float sums of casualties: order of summation and detection-derived warnings
            tol = RTOL_TIME_SUM * np.abs(b) + 1e-12 + (np.inf if n_flipped else 0.0)
        bad = np.argwhere(np.abs(a - b) > tol)
        for where in bad[:5]:
            w = tuple(int(i) for i in where)
            out.append(f"{name}{list(w)}: reference {a[w]!r}, kernel {b[w]!r} "
                       f"(tolerance {tol[w]:.3g})")
        if len(bad) > 5:
            out.append(f"{name}: ... {len(bad) - 5} more entries differ")
    return out


def compare(compiled, ref_tallies: Tallies, ref_outcomes: Outcomes | None,
            kernel_tallies: Tallies, story: np.ndarray | None = None,
            story_units: np.ndarray | None = None) -> Comparison:
    """Cross-check the reference against the kernel on the same sample.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario both ran.
    ref_tallies, ref_outcomes : Tallies, Outcomes or None
        From :func:`benchmarks.reference.evaluate`.
    kernel_tallies, story, story_units : Tallies, ndarray or None
        From :func:`benchmarks.reference.kernel_tallies`; with the stories (``story=True``) the
        check is rocket by rocket, otherwise tallies only (then they must agree exactly, up to
        :data:`RTOL_SUM` on float sums).
    """
    n_rockets = int(kernel_tallies.scal[T.S_FIRED])
    if ref_outcomes is not None and story is not None and story_units is not None:
        n_flipped, pos, times = _rocket_diffs(ref_outcomes, story, story_units)
        max_warning_s = float(np.max(ref_outcomes.t_impact_s, initial=0.0))
    else:
        n_flipped, pos, times = 0, 0.0, 0.0
        max_warning_s = 0.0
    mism = _tally_mismatches(ref_tallies, kernel_tallies, n_flipped, compiled.tubes,
                             max_warning_s, float(np.sum(compiled.inputs.assets.weight)))
    return Comparison(
        n_rockets=n_rockets, n_flipped=n_flipped, max_position_diff_m=pos,
        max_time_diff_s=times, tally_mismatches=mism,
        counts_kernel=headline_counts(kernel_tallies, compiled.unit_names),
        counts_reference=headline_counts(ref_tallies, compiled.unit_names))
