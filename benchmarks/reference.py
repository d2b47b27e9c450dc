"""forceprot's salvo model again, in plain NumPy and shapely: the cross-check for the kernel.

Given the random draws of some blocks of salvos (:func:`forceprot.kernel.sample.draw_block`, the very
draws the kernel makes), a :class:`forceprot.compile.CompiledScenario` and the
:class:`forceprot.compile.Prepared` scenario it was compiled from (its site's polygons and
people, which the kernel sees only as grids and tables), this module flies every
rocket, tests its impact against the base, runs every defence unit's engagement timeline and
adds up the same tallies as the kernel (layout of :mod:`forceprot.kernel.tally`), so that the two can
be compared count for count on a shared sample.

It is written the way an analyst would write the model with arrays, not the way the kernel is
written: every step works on all salvos of a chunk at once, ``(n_salvos, tubes[, n_nodes])``
arrays; impacts are tested with :func:`shapely.contains_xy` against the site polygons themselves
(the kernel uses a cell grid and its own even-odd ring test); the family is interpolated with
fancy indexing; gun windows and interceptor meeting points are solved for every straight
segment of every path at once, as sets of the segment parameter (intervals and holes of
linear and quadratic inequalities), the earliest point of a segment's set being its
interval's start or a hole's end; a battery's free launch slot is the earliest of the request
and the ends of its launches' exclusion intervals that clashes with none. The only Python loops
are over units and, inside the fight, over a salvo's rockets in threat order (and, under
coordinated fire control, over the reassignments of a rocket after misses), with per-salvo
state vectors (free time, rounds, interceptors and launch times).

Model (see :mod:`forceprot.kernel`, :mod:`forceprot.engage`): the launcher lays on the aim point
plus the salvo's laying error (aiming off for the wind if the crew does so); rocket ``i`` leaves
at ``i * ripple_s`` with range ``lay_range * (1 + delta_i)`` clipped to the rocket's reach and
heading ``lay_heading + deflection_i``; its path is the family bilinearly interpolated in
fire-control elevation and wind-relative azimuth, flown as straight segments between nodes. A
unit sees a rocket from the first node inside its sensor cover (range, beam floor above a 4/3
earth, line of sight when the floor looks down; crossing interpolated linearly) and holds a
fire-control track ``track_s`` later; its reaction clock starts at its first track of the
salvo. It considers rockets predicted to land in the defended area within its defended radius,
fired from at least its minimum threat range and tracked before impact (its sector); guns only
those with a terminal envelope window (the last connected pass through slant range <= max range
and height >= min height). A gun fires one burst at a time, no earlier than its reaction, the
track, its previous burst plus ``engage_s`` (plus a reload when the rounds left cannot cover
the burst) and the window's opening, and no later than its close. A battery launches no earlier
than its reaction and the track, in the earliest slot ``launch_interval_s`` clear of all its
launches, and intercepts where a constant-speed interceptor first meets the rocket inside the
envelope; ripple2 asks for a second slot from the first launch, shoot-look-shoot from the
assessed miss. Fire control is ``coordinated`` (rockets in threat order, each to the unit with
the earliest burst or intercept, ties to the lower index; after a miss, to the best unit that
starts no earlier than the miss is known; each unit once per rocket) or ``independent`` (each
unit alone, rockets in threat order). A rocket dies at its earliest successful kill; credit
goes to that unit; engagements after that kill are wasted fire. Warning counts from the first
track of any unit plus the alert delay.

This is a benchmark and test aid, not part of the forceprot package: it is slower than the
kernel by design and must never be used to produce results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from forceprot.kernel import tally as T
from forceprot.compile import CompiledScenario, Prepared
from forceprot.engage import params as P
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.kernel.sample import draw_block

__all__ = [
    "Outcomes",
    "Sample",
    "Tallies",
    "draw_sample",
    "evaluate",
    "kernel_tallies",
]

#: Mean earth radius [m] (IUGG) and the 4/3 effective-earth factor for radar propagation in a
#: standard atmosphere (Skolnik, Introduction to Radar Systems, 3rd ed., sec. 8.2).
EARTH_RADIUS_M = 6_371_000.0
K_EFFECTIVE = 4.0 / 3.0
_INV_2KR = 1.0 / (2.0 * K_EFFECTIVE * EARTH_RADIUS_M)  # [1/m], horizon drop d^2 / (2 k R)

# Columns of the per-salvo draws vector written by forceprot.kernel.draw_salvo.
_AIM_X, _AIM_Y, _LAUNCH_X, _LAUNCH_Y, _LAY_ERR_X, _LAY_ERR_Y, _REJECTED, _REDRAWN = range(8)

#: Salvos evaluated at once; bounds the (salvos, tubes, nodes, 3) position arrays [salvos].
CHUNK_SALVOS = 512


# ------------------------------------------------------------------------------------ samples


@dataclass(frozen=True)
class Sample:
    """The draws of consecutive blocks of salvos, as the kernel makes them.

    Attributes
    ----------
    root_seed : int
        Root seed of the run.
    first_block, n_blocks, total_salvos : int
        Blocks ``first_block .. first_block + n_blocks - 1`` of a run of ``total_salvos`` salvos
        (the last block of a run may be short).
    draws : ndarray, float64, shape (n_salvos, 8)
        Aim point, launcher, laying error [m]; rejected launcher draws, redrawn aims [-].
    delta : ndarray, float64, shape (n_salvos, tubes)
        Relative range error of each rocket [-].
    deflection : ndarray, float64, shape (n_salvos, tubes)
        Deflection error of each rocket [rad].
    u_kill : ndarray, float64, shape (n_salvos, tubes, n_units, 2)
        U(0, 1) kill draws of the first and second shot at each rocket, per unit.
    """

    root_seed: int
    first_block: int
    n_blocks: int
    total_salvos: int
    draws: np.ndarray
    delta: np.ndarray
    deflection: np.ndarray
    u_kill: np.ndarray

    @property
    def n_salvos(self) -> int:
        return int(self.draws.shape[0])


def draw_sample(compiled: CompiledScenario, *, root_seed: int, first_block: int = 0,
                n_blocks: int = 1, total_salvos: int | None = None) -> Sample:
    """Draws of blocks ``first_block .. first_block + n_blocks - 1``, exactly as the kernel's.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario.
    root_seed : int
        Root seed.
    first_block, n_blocks : int
        Which blocks (:data:`forceprot.kernel.bundles.BLOCK_SALVOS` salvos each).
    total_salvos : int, optional
        Salvos of the whole run (default: exactly the blocks asked for); a short last block
        is drawn short, as in the kernel.
    """
    if first_block < 0 or n_blocks < 1:
        raise ValueError(f"need first_block >= 0 and n_blocks >= 1, got {first_block}, {n_blocks}")
    if total_salvos is None:
        total_salvos = (first_block + n_blocks) * BLOCK_SALVOS
    c = compiled
    parts = []
    for b in range(first_block, first_block + n_blocks):
        n = min(BLOCK_SALVOS, total_salvos - b * BLOCK_SALVOS)
        if n <= 0:
            raise ValueError(f"block {b} is beyond a run of {total_salvos} salvos")
        parts.append(draw_block(root_seed, b, n, c.n_units, c.inputs))
    draws, delta, deflection, u_kill = (np.concatenate(x) for x in zip(*parts))
    if np.any(np.all(draws == 0.0, axis=1)):
        # draw_block leaves a row at zero when no launch position was found (the kernel then
        # skips the salvo); compile_scenario checks reachability, so this means a broken scenario.
        raise ValueError("a salvo of the sample found no launch position in range")
    return Sample(root_seed=int(root_seed), first_block=int(first_block), n_blocks=int(n_blocks),
                  total_salvos=int(total_salvos), draws=draws, delta=delta,
                  deflection=deflection, u_kill=u_kill)


# ------------------------------------------------------------------------------------ results


@dataclass
class Tallies:
    """Tallies of a sample, reduced over its blocks, in :mod:`forceprot.kernel.tally`'s layout.

    ``scal`` (N_SCALARS,), ``unit_t`` (n_units, N_UNIT), ``grid_t`` (N_GRID, n_cells),
    ``launch_t`` (N_LAUNCH, n_launch_cells), ``asset_t`` (n_assets, N_ASSET), ``warn_h``
    (WARN_BINS,), ``hour_t`` (N_HOUR, 24), ``exposure_t`` (n_polys, N_EXPOSURE); float64
    holding counts and sums.
    """

    scal: np.ndarray
    unit_t: np.ndarray
    grid_t: np.ndarray
    launch_t: np.ndarray
    asset_t: np.ndarray
    warn_h: np.ndarray
    hour_t: np.ndarray
    exposure_t: np.ndarray

    @classmethod
    def zeros(cls, compiled: CompiledScenario) -> "Tallies":
        return cls(
            scal=np.zeros(T.N_SCALARS),
            unit_t=np.zeros((compiled.n_units, T.N_UNIT)),
            grid_t=np.zeros((T.N_GRID, compiled.base_grid.n_cells)),
            launch_t=np.zeros((T.N_LAUNCH, compiled.launch_grid.n_cells)),
            asset_t=np.zeros((compiled.inputs.assets.xy_m.shape[0], T.N_ASSET)),
            warn_h=np.zeros(T.WARN_BINS),
            hour_t=np.zeros((T.N_HOUR, 24)),
            exposure_t=np.zeros((int(compiled.inputs.people.n_polys), T.N_EXPOSURE)),
        )

    def add(self, other: "Tallies") -> None:
        for name in ("scal", "unit_t", "grid_t", "launch_t", "asset_t", "warn_h", "hour_t",
                     "exposure_t"):
            getattr(self, name).__iadd__(getattr(other, name))


@dataclass
class Outcomes:
    """Every rocket's fate, shapes (n_salvos, tubes) and (n_salvos, tubes, n_units).

    Times are seconds from the salvo's first launch; positions metres in the local CRS.

    Attributes
    ----------
    impact_xy : ndarray, float64, shape (n_salvos, tubes, 2)
    t_launch_s, t_impact_s : ndarray, float64
    apogee_m : ndarray, float64
        Highest node of the path above the ground [m].
    inside, defended : ndarray, bool
        Impact inside the base; inside the defended area (base included).
    first_detect_s : ndarray, float64
        Earliest detection by any unit [s]; inf if never seen.
    first_track_s : ndarray, float64
        Earliest fire-control track by any unit [s]; inf if never tracked.
    t_kill_s : ndarray, float64
        Earliest kill [s]; inf if the rocket survives.
    kill_unit : ndarray, int64
        Unit credited with the kill; -1 if none.
    t_detect_s : ndarray, float64, shape (n_salvos, tubes, n_units)
        Each unit's first detection [s]; inf if never seen.
    t_track_s : ndarray, float64, shape (n_salvos, tubes, n_units)
        Each unit's fire-control track (detection + its ``track_s``) [s]; inf if never.
    in_sector, candidate : ndarray, bool, shape (n_salvos, tubes, n_units)
        The rocket is in the unit's sector (defended area within its radius, flight long
        enough, tracked before impact); and, for guns, has an engagement window too.
    eng_t_s : ndarray, float64, shape (n_salvos, tubes, n_units)
        Burst time (guns) or first intercept time (batteries) [s]; NaN if not engaged.
    eng_out : ndarray, int64, shape (n_salvos, tubes, n_units)
        -1 not engaged, 0 miss, 1 kill (:mod:`forceprot.engage.params` OUT_*).
    eng_shots : ndarray, int64, shape (n_salvos, tubes, n_units)
        Rounds (guns) or interceptors (batteries) spent on the rocket.
    """

    impact_xy: np.ndarray
    t_launch_s: np.ndarray
    t_impact_s: np.ndarray
    apogee_m: np.ndarray
    inside: np.ndarray
    defended: np.ndarray
    first_detect_s: np.ndarray
    first_track_s: np.ndarray
    t_kill_s: np.ndarray
    kill_unit: np.ndarray
    t_detect_s: np.ndarray
    t_track_s: np.ndarray
    in_sector: np.ndarray
    candidate: np.ndarray
    eng_t_s: np.ndarray
    eng_out: np.ndarray
    eng_shots: np.ndarray

    @classmethod
    def concatenate(cls, parts: list["Outcomes"]) -> "Outcomes":
        names = cls.__dataclass_fields__
        return cls(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


# ------------------------------------------------------------------------------------- flight


def _family_weights(c: CompiledScenario, range_m, heading_rad):
    """Family cell and bilinear weights of rockets laid for ``range_m`` on ``heading_rad``.

    Fire control inverts the no-wind range table (increasing in elevation index) after
    clipping the range to the rocket's reach; the azimuth is the wind direction relative to the
    heading. Returns elevation index ``ie``, azimuth indices ``ia0``, ``ia1`` and the weights of
    corners (ie, ia0), (ie, ia1), (ie + 1, ia0), (ie + 1, ia1), each shaped like ``range_m``.
    """
    range_m = np.clip(range_m, c.inputs.family.min_range_m, c.inputs.family.max_range_m)
    table = c.inputs.family.range_nowind_m
    n_el, n_az = c.inputs.family.node_pos_m.shape[:2]
    lo = np.clip(np.searchsorted(table, range_m, side="right") - 1, 0, n_el - 2)
    span = table[lo + 1] - table[lo]
    frac = np.divide(range_m - table[lo], span, out=np.zeros_like(range_m), where=span > 0.0)
    elev_index = lo + np.clip(frac, 0.0, 1.0)
    ie = np.minimum(elev_index.astype(np.int64), n_el - 2)
    we = elev_index - ie
    if n_az == 1:
        ia0 = np.zeros_like(ie)
        ia1 = ia0
        wa = np.zeros_like(we)
    else:
        az_index = np.mod(c.inputs.salvo.wind_to_rad - heading_rad, 2.0 * math.pi) / c.inputs.family.relaz_step_rad
        whole = np.trunc(az_index)
        wa = az_index - whole
        ia0 = whole.astype(np.int64) % n_az
        ia1 = (ia0 + 1) % n_az
    weights = ((1.0 - we) * (1.0 - wa), (1.0 - we) * wa, we * (1.0 - wa), we * wa)
    return ie, ia0, ia1, weights


def _lay_for_wind(c: CompiledScenario, range_m, heading_rad):
    """A crew with met data aims off for the wind: (range, heading) that put the nominal rocket
    on the target, by fixed-point iteration on the nominal impact's miss (S,) [m, rad]."""
    from forceprot.flight.family import WIND_LAY_ITERATIONS

    fam = c.inputs.family.node_pos_m
    r = range_m
    h = heading_rad
    for _ in range(WIND_LAY_ITERATIONS):
        rc = np.clip(r, c.inputs.family.min_range_m, c.inputs.family.max_range_m)
        ie, ia0, ia1, (w00, w01, w10, w11) = _family_weights(c, rc, h)
        last = fam[:, :, -1, :2]                                   # (E, A, 2): impact
        impact = (w00[:, None] * last[ie, ia0] + w01[:, None] * last[ie, ia1]
                  + w10[:, None] * last[ie + 1, ia0] + w11[:, None] * last[ie + 1, ia1])
        down, left = impact[:, 0], impact[:, 1]
        r = rc + (range_m - np.hypot(down, left))
        h = heading_rad - np.arctan2(left, down)
    return np.clip(r, c.inputs.family.min_range_m, c.inputs.family.max_range_m), h


def _fly(c: CompiledScenario, draws, delta, deflection):
    """Node positions (S, T, K, 3) [m], launch times and times of flight (S, T) [s]."""
    lx = draws[:, _LAUNCH_X]
    ly = draws[:, _LAUNCH_Y]
    lay_x = draws[:, _AIM_X] + draws[:, _LAY_ERR_X]
    lay_y = draws[:, _AIM_Y] + draws[:, _LAY_ERR_Y]
    lay_range_m = np.hypot(lay_x - lx, lay_y - ly)
    lay_heading_rad = np.arctan2(lay_y - ly, lay_x - lx)
    if c.inputs.salvo.wind_laying:
        lay_range_m, lay_heading_rad = _lay_for_wind(c, lay_range_m, lay_heading_rad)

    range_m = lay_range_m[:, None] * (1.0 + delta)
    heading_rad = lay_heading_rad[:, None] + deflection
    ie, ia0, ia1, (w00, w01, w10, w11) = _family_weights(c, range_m, heading_rad)

    fam = c.inputs.family.node_pos_m
    corner = (fam[ie, ia0], fam[ie, ia1], fam[ie + 1, ia0], fam[ie + 1, ia1])   # (S, T, K, 3)
    wts = [w[..., None, None] for w in (w00, w01, w10, w11)]
    flight = (wts[0] * corner[0] + wts[1] * corner[1]) + wts[2] * corner[2] + wts[3] * corner[3]
    down, left, up = flight[..., 0], flight[..., 1], flight[..., 2]
    cos_h = np.cos(heading_rad)[..., None]
    sin_h = np.sin(heading_rad)[..., None]
    pos = np.empty(flight.shape)
    pos[..., 0] = lx[:, None, None] + cos_h * down - sin_h * left
    pos[..., 1] = ly[:, None, None] + sin_h * down + cos_h * left
    pos[..., 2] = up
    tab = c.inputs.family.tof_s
    tof_s = (w00 * tab[ie, ia0] + w01 * tab[ie, ia1]) + w10 * tab[ie + 1, ia0] \
        + w11 * tab[ie + 1, ia1]
    t0_s = np.broadcast_to(np.arange(delta.shape[1]) * c.inputs.salvo.ripple_s, delta.shape).copy()
    return pos, t0_s, tof_s


def _take_node(a, k):
    """``a[..., k]`` per rocket: a (..., K), k (...) int."""
    return np.take_along_axis(a, k[..., None], axis=-1)[..., 0]


def _first_true(mask):
    """Index of the first True along the last axis, and whether there is one."""
    return mask.argmax(axis=-1), mask.any(axis=-1)


def _last_true(mask):
    """Index of the last True along the last axis, and whether there is one."""
    k = mask.shape[-1] - 1 - mask[..., ::-1].argmax(axis=-1)
    return k, mask.any(axis=-1)


# -------------------------------------------------------------------------------- engagements


def _visibility_margin_m(x, y, z, ux, uy, par):
    """How far inside a sensor's coverage points are [m] (>= 0: visible); arrays of any shape."""
    dx = x - ux
    dy = y - uy
    ground2 = dx * dx + dy * dy
    dz = z - par[P.P_SENSOR_HEIGHT_M]
    slant = np.sqrt(ground2 + dz * dz)
    above_horizon = z - ground2 * _INV_2KR - par[P.P_SENSOR_HEIGHT_M]
    margin = np.minimum(par[P.P_SENSOR_RANGE_M] - slant,
                        above_horizon - np.sqrt(ground2) * par[P.P_TAN_MIN_ELEVATION])
    if par[P.P_TAN_MIN_ELEVATION] < 0.0:
        # a beam floor below the horizontal no longer implies a clear line of sight over the
        # (4/3) earth: ground distance at most sqrt(2 k R h_sensor) + sqrt(2 k R z)
        line_of_sight = (np.sqrt(max(par[P.P_SENSOR_HEIGHT_M], 0.0) / _INV_2KR)
                         + np.sqrt(np.maximum(z, 0.0) / _INV_2KR)) - np.sqrt(ground2)
        margin = np.minimum(margin, line_of_sight)
    return margin


#: Bisection steps on the segment where a rocket comes into view (as the kernel: 2**-24).
_DETECTION_BISECTIONS = 24


def _detection_s(pos, t0_s, tof_s, tau, ux, uy, par):
    """First time a unit's sensor sees each rocket (S, T) [s]; inf if never: the first visible
    node, then bisection on the straight segment before it, all rockets at once."""
    margin = _visibility_margin_m(pos[..., 0], pos[..., 1], pos[..., 2], ux, uy, par)
    k, seen = _first_true(margin >= 0.0)
    kp = np.maximum(k - 1, 0)
    p0 = np.stack([_take_node(pos[..., c], kp) for c in range(3)], axis=-1)
    p1 = np.stack([_take_node(pos[..., c], k) for c in range(3)], axis=-1)
    lo = np.zeros(k.shape)
    hi = np.ones(k.shape)
    for _ in range(_DETECTION_BISECTIONS):
        mid = 0.5 * (lo + hi)
        pt = p0 + mid[..., None] * (p1 - p0)
        visible = _visibility_margin_m(pt[..., 0], pt[..., 1], pt[..., 2], ux, uy, par) >= 0.0
        hi = np.where(visible, mid, hi)
        lo = np.where(visible, lo, mid)
    t = t0_s + tof_s * (tau[kp] + hi * (tau[k] - tau[kp]))
    t = np.where(k == 0, t0_s, t)
    return np.where(seen, t, np.inf)


# Exact constraint sets on the straight segments between nodes. On segment k of a rocket,
# p(s) = p_k + s (p_k+1 - p_k), s in [0, 1]: heights and times are linear in s, squared ground
# range, slant range and flyout distance quadratic. Every constraint below is solved for its
# set of s on the whole real line, for all segments of all rockets at once, as a pair of
# arrays: an interval [lo, hi] (lo > hi: empty) and, for the concave quadratics, a hole: the
# open interval (hole_lo, hole_hi) where it fails (an empty hole is (inf, inf)).


def _linear_ge(v0, v1, floor):
    """Where ``v0 + s (v1 - v0) >= floor``: the interval (lo, hi), possibly a half-line."""
    slope = v1 - v0
    with np.errstate(invalid="ignore", divide="ignore"):
        root = (floor - v0) / slope
    flat_ok = v0 >= floor
    lo = np.where(slope > 0.0, root, np.where(slope < 0.0, -np.inf,
                                              np.where(flat_ok, -np.inf, np.inf)))
    hi = np.where(slope < 0.0, root, np.where(slope > 0.0, np.inf,
                                              np.where(flat_ok, np.inf, -np.inf)))
    return lo, hi


def _linear_le(v0, v1, ceiling):
    """Where ``v0 + s (v1 - v0) <= ceiling``: the interval (lo, hi), possibly a half-line."""
    slope = v1 - v0
    with np.errstate(invalid="ignore", divide="ignore"):
        root = (ceiling - v0) / slope
    flat_ok = v0 <= ceiling
    lo = np.where(slope < 0.0, root, np.where(slope > 0.0, -np.inf,
                                              np.where(flat_ok, -np.inf, np.inf)))
    hi = np.where(slope > 0.0, root, np.where(slope < 0.0, np.inf,
                                              np.where(flat_ok, np.inf, -np.inf)))
    return lo, hi


def _quadratic_le0(a, b, c):
    """Where ``a s^2 + b s + c <= 0``: (lo, hi, hole_lo, hole_hi), the set being [lo, hi]
    without the open (hole_lo, hole_hi). Convex: an interval; concave: the line but a hole;
    linear: a half-line (roots in the cancellation-free form)."""
    disc = b * b - 4.0 * a * c
    real = disc >= 0.0
    sq = np.sqrt(np.where(real, disc, 0.0))
    q = np.where(b >= 0.0, -0.5 * (b + sq), -0.5 * (b - sq))
    with np.errstate(invalid="ignore", divide="ignore"):
        r1 = q / a
        r2 = np.where(q != 0.0, c / q, r1)
        r_lin = -c / b
    r_lo = np.minimum(r1, r2)
    r_hi = np.maximum(r1, r2)
    inf = np.full(np.shape(a), np.inf)
    convex = a > 0.0
    concave = a < 0.0
    linear = ~convex & ~concave
    # interval part
    lo = np.where(convex, np.where(real, r_lo, np.inf), -np.inf)
    hi = np.where(convex, np.where(real, r_hi, -np.inf), np.inf)
    lin_lo = np.where(b < 0.0, r_lin, np.where(b > 0.0, -np.inf,
                                               np.where(c <= 0.0, -np.inf, np.inf)))
    lin_hi = np.where(b > 0.0, r_lin, np.where(b < 0.0, np.inf,
                                               np.where(c <= 0.0, np.inf, -np.inf)))
    lo = np.where(linear, lin_lo, lo)
    hi = np.where(linear, lin_hi, hi)
    # hole part (concave with real roots)
    hole = concave & real
    hole_lo = np.where(hole, r_lo, inf)
    hole_hi = np.where(hole, r_hi, inf)
    return lo, hi, hole_lo, hole_hi


def _segments(path, cx, cy):
    """Start points relative to (cx, cy, 0) and steps of every segment: (d0, dd), (..., K-1, 3)."""
    d0 = path[..., :-1, :] - np.array([cx, cy, 0.0])
    dd = path[..., 1:, :] - path[..., :-1, :]
    return d0, dd


def _gun_segment_sets(pos, ux, uy, par):
    """Where on each segment (S, T, K-1) a rocket is inside a gun's envelope (slant range <=
    max range and height >= min height): (lo, hi) within [0, 1], lo > hi if nowhere."""
    d0, dd = _segments(pos, ux, uy)
    z_lo, z_hi = _linear_ge(pos[..., :-1, 2], pos[..., 1:, 2], par[P.P_GUN_MIN_HEIGHT_M])
    a = (dd * dd).sum(axis=-1)
    b = 2.0 * (d0 * dd).sum(axis=-1)
    c = (d0 * d0).sum(axis=-1) - par[P.P_GUN_MAX_RANGE_M] ** 2
    r_lo, r_hi, _, _ = _quadratic_le0(a, b, c)
    lo = np.maximum.reduce([np.zeros_like(a), z_lo, r_lo])
    hi = np.minimum.reduce([np.ones_like(a), z_hi, r_hi])
    return lo, hi


def _gun_window_s(pos, t0_s, tof_s, tau, ux, uy, par):
    """The terminal pass through a gun's envelope: the last connected interval of the
    envelope along the path, (t_open, t_close) [s]; (inf, -inf) if none."""
    lo, hi = _gun_segment_sets(pos, ux, uy, par)
    nonempty = lo <= hi
    n_seg = lo.shape[-1]
    kb, any_in = _last_true(nonempty)
    # the pass continues back into the previous segment where it starts at this segment's
    # first node and the previous segment's set reaches its last node
    joins = np.zeros_like(nonempty)
    joins[..., 1:] = (lo[..., 1:] <= 0.0) & nonempty[..., :-1] & (hi[..., :-1] >= 1.0)
    starts = ~joins & (np.arange(n_seg) <= kb[..., None])
    ka, _ = _last_true(starts)
    dtau = np.diff(tau)
    tb = tau[kb] + _take_node(hi, kb) * dtau[kb]
    ta = tau[ka] + _take_node(lo, ka) * dtau[ka]
    t_open = np.where(any_in, t0_s + ta * tof_s, np.inf)
    t_close = np.where(any_in, t0_s + tb * tof_s, -np.inf)
    return t_open, t_close


def _earliest_intercept_s(path, t0_s, tof_s, tau, t_launch, bx, by, par):
    """First time an interceptor launched at ``t_launch`` (n,) can meet each rocket (n,): the
    earliest ``t >= t_launch`` before impact with ground range in [min, max] range, altitude in
    [min, max] altitude and distance from the battery at most ``speed (t - t_launch)``; inf if
    none. ``path`` (n, K, 3) are the rockets' node positions. Solved on every segment at once:
    the earliest point of a segment's feasible set is its interval's start or the end of one
    of its two holes (ground range below the minimum; flyout distance too short)."""
    n = path.shape[0]
    if n == 0:
        return np.zeros(0)
    t_node = t0_s[:, None] + tau[None, :] * tof_s[:, None]            # (n, K)
    t_k, t_k1 = t_node[:, :-1], t_node[:, 1:]
    tl = t_launch[:, None]
    d0, dd = _segments(path, bx, by)
    z0, z1 = path[:, :-1, 2], path[:, 1:, 2]
    parts = [_linear_ge(t_k, t_k1, tl), _linear_ge(z0, z1, par[P.P_SAM_MIN_ALT_M]),
             _linear_le(z0, z1, par[P.P_SAM_MAX_ALT_M])]
    # squared ground range along the segment: ga s^2 + gb s + gc
    ga = dd[..., 0] ** 2 + dd[..., 1] ** 2
    gb = 2.0 * (d0[..., 0] * dd[..., 0] + d0[..., 1] * dd[..., 1])
    gc = d0[..., 0] ** 2 + d0[..., 1] ** 2
    rmax_lo, rmax_hi, _, _ = _quadratic_le0(ga, gb, gc - par[P.P_SAM_MAX_RANGE_M] ** 2)
    parts.append((rmax_lo, rmax_hi))
    g_lo, g_hi, gh_lo, gh_hi = _quadratic_le0(-ga, -gb, -(gc - par[P.P_SAM_MIN_RANGE_M] ** 2))
    parts.append((g_lo, g_hi))
    # flyout: |d0 + s dd|^2 - v^2 (t_k - t_launch + s dt)^2 <= 0 (with t >= t_launch above)
    v2 = par[P.P_SAM_SPEED_MPS] ** 2
    dt = t_k1 - t_k
    tr = t_k - tl
    f_lo, f_hi, fh_lo, fh_hi = _quadratic_le0(
        (dd * dd).sum(axis=-1) - v2 * dt * dt,
        2.0 * (d0 * dd).sum(axis=-1) - 2.0 * v2 * tr * dt,
        (d0 * d0).sum(axis=-1) - v2 * tr * tr)
    parts.append((f_lo, f_hi))
    lo = np.maximum.reduce([np.zeros_like(ga)] + [p[0] for p in parts])
    hi = np.minimum.reduce([np.ones_like(ga)] + [p[1] for p in parts])
    best = np.full(lo.shape, np.inf)
    for cand in (lo, gh_hi, fh_hi):
        ok = ((cand >= lo) & (cand <= hi) & ~((gh_lo < cand) & (cand < gh_hi))
              & ~((fh_lo < cand) & (cand < fh_hi)))
        best = np.where(ok & (cand < best), cand, best)
    k, found = _first_true(np.isfinite(best))
    s = _take_node(best, k)
    t = _take_node(t_k, k) + s * (_take_node(t_k1, k) - _take_node(t_k, k))
    after_impact = t_launch >= t0_s + tof_s
    return np.where(found & ~after_impact, t, np.inf)


# ----------------------------------------------------------------------- units through a salvo
#
# Each unit is an object holding its per-salvo state as vectors over the chunk's salvos, with
# the two calls fire control makes: ``offer`` (when could it act on rocket r of salvos s, not
# before a time) and ``commit`` (act: engage the rocket, return the kill and outcome times).
# Every call takes each salvo at most once, so fancy-index writes are safe.


class _Unit:
    def __init__(self, u, par, n_s, n_t, t_track, u_kill):
        self.u = u
        self.par = par
        self.t_track = t_track                          # (S, T)
        self.u_kill = u_kill                            # (S, T, 2)
        self.active = t_track.min(axis=1) + par[P.P_REACTION_S]   # first track + reaction
        self.eng_t = np.full((n_s, n_t), np.nan)
        self.eng_out = np.full((n_s, n_t), P.OUT_NONE, dtype=np.int64)
        self.eng_shots = np.zeros((n_s, n_t), dtype=np.int64)
        self.t_kill = np.full((n_s, n_t), np.inf)
        self.n_eng = np.zeros(n_s, dtype=np.int64)
        self.n_kill = np.zeros(n_s, dtype=np.int64)
        self.n_shots = np.zeros(n_s, dtype=np.int64)
        self.exhausted = np.zeros(n_s, dtype=bool)


class _Gun(_Unit):
    """A gun mount: one burst at a time, reload when a burst is due with too few rounds; the
    magazine counts as exhausted as soon as a rocket it would engage finds it short."""

    def __init__(self, u, par, n_s, n_t, t_track, u_kill, t_open, t_close):
        super().__init__(u, par, n_s, n_t, t_track, u_kill)
        self.t_open = t_open
        self.t_close = t_close
        self.per = int(par[P.P_GUN_ROUNDS_PER_ENGAGEMENT])
        self.magazine = int(par[P.P_GUN_MAGAZINE_ROUNDS])
        self.rounds = np.full(n_s, self.magazine, dtype=np.int64)
        self.free = np.full(n_s, -np.inf)

    def offer(self, s, r, not_before):
        short = self.rounds[s] < self.per
        self.exhausted[s[short]] = True
        free = np.where(short, self.free[s] + self.par[P.P_GUN_RELOAD_S], self.free[s])
        t = np.maximum.reduce([free, self.active[s], self.t_track[s, r], self.t_open[s, r],
                               not_before])
        t = np.where(t <= self.t_close[s, r], t, np.inf)
        return t, t

    def commit(self, s, r, t_start, t_effect):
        reload = self.rounds[s] < self.per
        self.rounds[s[reload]] = self.magazine
        self.rounds[s] -= self.per
        self.free[s] = t_start + self.par[P.P_GUN_ENGAGE_S]
        self.n_eng[s] += 1
        self.n_shots[s] += self.per
        self.eng_t[s, r] = t_start
        self.eng_shots[s, r] = self.per
        kill = self.u_kill[s, r, 0] < self.par[P.P_KILL]
        self.eng_out[s, r] = np.where(kill, P.OUT_KILL, P.OUT_MISS)
        t_kill = np.where(kill, t_start, np.inf)
        self.t_kill[s, r] = t_kill
        self.n_kill[s] += kill
        return t_kill, t_start


class _Battery(_Unit):
    """An interceptor battery: launches at least ``launch_interval_s`` apart as a set of times
    (a later request may fall in a gap between earlier launches), a magazine of interceptors,
    and its doctrine's second interceptor."""

    def __init__(self, u, par, n_s, n_t, t_track, u_kill, flight):
        super().__init__(u, par, n_s, n_t, t_track, u_kill)
        self.flight = flight                            # (pos, t0_s, tof_s, tau, bx, by)
        self.interval = par[P.P_SAM_LAUNCH_INTERVAL_S]
        self.missiles = np.full(n_s, int(par[P.P_SAM_MISSILES]), dtype=np.int64)
        self.launches = np.full((n_s, max(int(par[P.P_SAM_MISSILES]), 1)), np.nan)
        self.n_launches = np.zeros(n_s, dtype=np.int64)

    def _slot(self, s, t_req):
        """Earliest time >= t_req clear (by the interval) of every launch of salvos s."""
        launched = self.launches[s]                                       # (n, M), NaN unused
        cand = np.concatenate([t_req[:, None], launched + self.interval], axis=1)
        with np.errstate(invalid="ignore"):
            clash = ((launched[:, None, :] - self.interval < cand[:, :, None])
                     & (cand[:, :, None] < launched[:, None, :] + self.interval)).any(axis=2)
            ok = (cand >= t_req[:, None]) & ~clash
        return np.where(ok, cand, np.inf).min(axis=1)

    def _launch(self, s, t):
        self.launches[s, self.n_launches[s]] = t
        self.n_launches[s] += 1
        self.missiles[s] -= 1

    def _intercept(self, s, r, t_launch):
        pos, t0_s, tof_s, tau, bx, by = self.flight
        return _earliest_intercept_s(pos[s, r], t0_s[s, r], tof_s[s, r], tau, t_launch, bx, by,
                                     self.par)

    def offer(self, s, r, not_before):
        t_launch = np.full(s.size, np.inf)
        t_int = np.full(s.size, np.inf)
        empty = self.missiles[s] <= 0
        self.exhausted[s[empty]] = True
        t_req = np.maximum.reduce([self.active[s], self.t_track[s, r], not_before])
        go = np.flatnonzero(~empty & np.isfinite(t_req))
        if go.size:
            tl = self._slot(s[go], t_req[go])
            ti = self._intercept(s[go], r[go], tl)
            ok = np.isfinite(ti)
            t_launch[go[ok]] = tl[ok]
            t_int[go[ok]] = ti[ok]
        return t_launch, t_int

    def commit(self, s, r, t_start, t_effect):
        par = self.par
        p_kill = par[P.P_KILL]
        self._launch(s, t_start)
        shots = np.ones(s.size, dtype=np.int64)
        killed_at = np.where(self.u_kill[s, r, 0] < p_kill, t_effect, np.inf)
        t_outcome = t_effect.copy()
        doctrine = int(par[P.P_SAM_DOCTRINE])
        if doctrine == P.DOCTRINE_RIPPLE2:
            second_req = t_start.copy()
        elif doctrine == P.DOCTRINE_SHOOT_LOOK_SHOOT:
            second_req = np.where(np.isinf(killed_at), t_effect + par[P.P_SAM_ASSESS_S], np.inf)
        else:
            second_req = np.full(s.size, np.inf)
        q = np.flatnonzero(np.isfinite(second_req) & (self.missiles[s] > 0))
        if q.size:
            t2 = self._slot(s[q], second_req[q])
            ti2 = self._intercept(s[q], r[q], t2)
            ok = np.isfinite(ti2)
            q, t2, ti2 = q[ok], t2[ok], ti2[ok]
            self._launch(s[q], t2)
            shots[q] += 1
            t_outcome[q] = np.maximum(t_outcome[q], ti2)
            better = (self.u_kill[s[q], r[q], 1] < p_kill) & (ti2 < killed_at[q])
            killed_at[q[better]] = ti2[better]
        self.n_eng[s] += 1
        self.n_shots[s] += shots
        self.eng_t[s, r] = t_effect
        self.eng_shots[s, r] = shots
        kill = np.isfinite(killed_at)
        self.eng_out[s, r] = np.where(kill, P.OUT_KILL, P.OUT_MISS)
        self.t_kill[s, r] = killed_at
        self.n_kill[s] += kill
        return killed_at, t_outcome


def _fight_independent(units, order, candidate):
    """Each unit alone: rockets in threat order, engaged whenever it can."""
    n_s, n_t = order.shape
    rows = np.arange(n_s)
    for unit in units:
        for j in range(n_t):
            i = order[:, j]
            want = candidate[rows, i, unit.u] & np.isfinite(unit.active)
            s = rows[want]
            if s.size == 0:
                continue
            r = i[s]
            t_start, t_effect = unit.offer(s, r, np.full(s.size, -np.inf))
            go = np.isfinite(t_effect)
            if go.any():
                unit.commit(s[go], r[go], t_start[go], t_effect[go])


def _fight_coordinated(units, order, candidate):
    """One air picture: rockets in threat order; each to the unit with the earliest effect
    (ties to the lower index), after a miss to the best unit starting no earlier than the miss
    is known, each unit at most once per rocket, until killed or no unit can act."""
    n_s, n_t = order.shape
    n_u = len(units)
    rows = np.arange(n_s)
    for j in range(n_t):
        i = order[:, j]
        tried = np.zeros((n_s, n_u), dtype=bool)
        not_before = np.full(n_s, -np.inf)
        pending = np.ones(n_s, dtype=bool)
        for _ in range(n_u):
            if not pending.any():
                break
            start = np.full((n_s, n_u), np.inf)
            effect = np.full((n_s, n_u), np.inf)
            for unit in units:
                u = unit.u
                s = rows[pending & ~tried[:, u] & candidate[rows, i, u]]
                if s.size:
                    start[s, u], effect[s, u] = unit.offer(s, i[s], not_before[s])
            best = effect.argmin(axis=1)
            go = pending & np.isfinite(effect[rows, best])
            pending &= go
            for unit in units:
                s = rows[go & (best == unit.u)]
                if s.size == 0:
                    continue
                t_kill, t_outcome = unit.commit(s, i[s], start[s, unit.u], effect[s, unit.u])
                tried[s, unit.u] = True
                pending[s[np.isfinite(t_kill)]] = False
                not_before[s] = t_outcome


# ------------------------------------------------------------------------------------ tallies


def _cell_index(x, y, grid):
    """Flat cell index ``iy * nx + ix`` of points in ``grid``; -1 outside it."""
    fx = (x - grid.x0) / grid.cell_m
    fy = (y - grid.y0) / grid.cell_m
    ix = np.floor(fx).astype(np.int64)
    iy = np.floor(fy).astype(np.int64)
    ok = (fx >= 0.0) & (fy >= 0.0) & (ix < grid.nx) & (iy < grid.ny)
    return np.where(ok, iy * grid.nx + ix, -1)


def _tally(c: CompiledScenario, prepared: Prepared, draws, out: Outcomes,
           unit_salvo) -> Tallies:
    """Tallies of a chunk of salvos from their rockets' outcomes."""
    tal = Tallies.zeros(c)
    n_s, n_t = out.inside.shape
    inside = out.inside
    killed = out.kill_unit >= 0
    leaked = inside & ~killed
    n_threat = inside.sum(axis=1).astype(np.float64)
    n_leak = leaked.sum(axis=1).astype(np.float64)
    s = tal.scal
    s[T.S_SALVOS] = n_s
    s[T.S_FIRED] = n_s * n_t
    s[T.S_THREAT] = n_threat.sum()
    s[T.S_LEAKED] = n_leak.sum()
    s[T.S_INTERCEPTED] = killed.sum()
    s[T.S_INTERCEPTED_THREAT] = (inside & killed).sum()
    s[T.S_DEFENDED] = out.defended.sum()
    s[T.S_THREAT2] = (n_threat ** 2).sum()
    s[T.S_LEAKED2] = (n_leak ** 2).sum()
    s[T.S_THREAT_LEAKED] = (n_threat * n_leak).sum()
    s[T.S_SALVOS_ANY_THREAT] = (n_threat > 0).sum()
    s[T.S_SALVOS_ANY_LEAK] = (n_leak > 0).sum()
    s[T.S_REJECTED] = draws[:, _REJECTED].sum()
    s[T.S_AIM_REDRAWN] = draws[:, _REDRAWN].sum()

    # warning time of rockets landing inside: impact minus (first track + alert delay)
    seen = np.isfinite(out.first_detect_s)
    tracked = np.isfinite(out.first_track_s)
    warn_all = np.where(tracked & inside, np.maximum(
        out.t_impact_s - (out.first_track_s + c.inputs.salvo.alert_delay_s), 0.0), 0.0)
    warn_s = warn_all[inside]
    warn_salvo = warn_all.sum(axis=1)                     # per salvo: the sampling unit
    s[T.S_WARN_SALVO2] = (warn_salvo ** 2).sum()
    s[T.S_WARN_THREAT] = (warn_salvo * n_threat).sum()
    s[T.S_WARN_SUM_S] = warn_s.sum()
    s[T.S_WARN2] = (warn_s ** 2).sum()
    s[T.S_WARN_N] = warn_s.size
    s[T.S_UNDETECTED] = (inside & ~seen).sum()
    # threatening rockets seen and tracked before impact: detection and track delays
    in_time = inside & seen & (out.first_track_s < out.t_impact_s)
    s[T.S_TRACKED_N] = in_time.sum()
    s[T.S_DETECT_DELAY_SUM_S] = (out.first_detect_s - out.t_launch_s)[in_time].sum()
    s[T.S_TRACK_DELAY_SUM_S] = (out.first_track_s - out.t_launch_s)[in_time].sum()
    bins = np.minimum((warn_s / T.WARN_BIN_S).astype(np.int64), T.WARN_BINS - 1)
    tal.warn_h[:] = np.bincount(bins, minlength=T.WARN_BINS)

    # assets hit by leakers
    if c.inputs.assets.xy_m.shape[0]:
        d2 = ((out.impact_xy[:, :, None, :] - c.inputs.assets.xy_m[None, None]) ** 2).sum(axis=-1)
        within = d2 <= c.inputs.assets.r2_m2                                  # (S, tubes, A)
        # polygon assets: shapely's point-in-polygon instead of the radius
        for a, poly in enumerate(prepared.site.assets.polygons):
            if poly is not None:
                within[:, :, a] = shapely.contains_xy(poly, out.impact_xy[..., 0],
                                                      out.impact_xy[..., 1])
        hits = (within & leaked[..., None]).sum(axis=1).astype(np.float64)  # (S, A)
        tal.asset_t[:, T.A_HITS] = hits.sum(axis=0)
        tal.asset_t[:, T.A_HITS2] = (hits ** 2).sum(axis=0)
        tal.asset_t[:, T.A_SALVOS_HIT] = (hits > 0).sum(axis=0)
        risk = hits @ c.inputs.assets.weight
        s[T.S_ASSET_RISK] = risk.sum()
        s[T.S_ASSET_RISK2] = (risk ** 2).sum()

    # units
    n_eng, n_hit, n_shots, n_dry, n_wasted = unit_salvo   # each (U, S)
    u = tal.unit_t
    u[:, T.U_ENGAGEMENTS] = n_eng.sum(axis=1)
    u[:, T.U_ON_KILLED] = n_wasted.sum(axis=1)
    inside_u = inside[..., None]
    engaged = out.eng_shots > 0
    u[:, T.U_SECTOR_THREAT] = (inside_u & out.in_sector).sum(axis=(0, 1))
    u[:, T.U_WINDOW_THREAT] = (inside_u & out.candidate).sum(axis=(0, 1))
    u[:, T.U_ENGAGED_THREAT] = (inside_u & engaged).sum(axis=(0, 1))
    u[:, T.U_TAKEN_THREAT] = (inside_u & ~engaged & out.candidate
                              & killed[..., None]).sum(axis=(0, 1))
    u[:, T.U_HITS] = n_hit.sum(axis=1)
    u[:, T.U_SHOTS] = n_shots.sum(axis=1)
    u[:, T.U_EXHAUSTED] = n_dry.sum(axis=1)
    u[:, T.U_SALVOS_ENGAGED] = (n_eng > 0).sum(axis=1)
    credited = out.kill_unit[None] == np.arange(c.n_units)[:, None, None]     # (U, S, T)
    k_in = (credited & inside[None]).sum(axis=2).astype(np.float64)           # (U, S)
    u[:, T.U_KILLS] = credited.sum(axis=(1, 2))
    u[:, T.U_KILLS_INSIDE] = k_in.sum(axis=1)
    u[:, T.U_KILLS_INSIDE2] = (k_in ** 2).sum(axis=1)
    u[:, T.U_KILLS_INSIDE_THREAT] = (k_in * n_threat).sum(axis=1)

    # impacts by base cell, with per-(salvo, cell) squares
    g = c.base_grid
    cell = _cell_index(out.impact_xy[..., 0], out.impact_xy[..., 1], g)
    keep = inside & (cell >= 0)
    key = (np.arange(n_s)[:, None] * g.n_cells + cell)[keep]
    keys, inverse = np.unique(key, return_inverse=True)
    t_c = np.bincount(inverse, minlength=keys.size).astype(np.float64)
    i_c = np.bincount(inverse, weights=killed[keep].astype(np.float64), minlength=keys.size)
    cells = keys % g.n_cells
    for row, w in ((T.G_THREAT, t_c), (T.G_INTERCEPTED, i_c), (T.G_THREAT2, t_c * t_c),
                   (T.G_INTERCEPTED2, i_c * i_c), (T.G_THREAT_INTERCEPTED, t_c * i_c)):
        tal.grid_t[row] = np.bincount(cells, weights=w, minlength=g.n_cells)

    if c.inputs.people.xy_m.shape[0]:
        _tally_casualties(c, prepared, out, tal)

    # salvos by launcher cell
    lg = c.launch_grid
    lc = _cell_index(draws[:, _LAUNCH_X], draws[:, _LAUNCH_Y], lg)
    ok = lc >= 0
    for row, w in ((T.L_SALVOS, np.ones(n_s)), (T.L_LEAKED, n_leak), (T.L_LEAKED2, n_leak ** 2),
                   (T.L_THREAT, n_threat)):
        tal.launch_t[row] = np.bincount(lc[ok], weights=w[ok], minlength=lg.n_cells)
    return tal


# ------------------------------------------------------------------------------------ people


def _damage(kind: int, d2, r2):
    return np.where(d2 <= r2, 1.0, 0.0) if kind == 0 else np.exp(-d2 / r2)


#: Rockets scored at once by the reference's casualty step (bounds its pair arrays).
CASUALTY_BATCH_ROCKETS = 2048


def _shelter_hits(prepared: Prepared, xy):
    """(rocket, shelter) pairs of direct hits: within a point shelter's radius, or inside or on
    the outline of a polygon shelter (shapely)."""
    site_people = prepared.site.people
    spec = prepared.scenario.people
    hit = np.zeros((len(xy), site_people.n_shelters), dtype=bool)
    for j, g in enumerate(site_people.shelter_polygons):
        if g is None:
            hit[:, j] = ((xy - site_people.shelter_xy_m[j]) ** 2).sum(axis=1) \
                <= spec.shelter_radius_m ** 2
        else:
            hit[:, j] = shapely.intersects_xy(g, xy[:, 0], xy[:, 1])
    return np.argwhere(hit)


def _shelter_hit_casualties(c: CompiledScenario, prepared: Prepared, j: int, warn_s: float):
    """A direct hit on shelter ``j``: killed, casualties and log P(none) of its occupants by
    hour (3, 24), and by occupancy polygon (n_polys, 2) weighted over the hours."""
    pp = c.inputs.people
    spec = prepared.scenario.people
    m = prepared.site.people.n_shelters
    by_hour = np.zeros((3, 24))
    poly = np.zeros((int(pp.n_polys), 2))
    p_k, p_c = spec.shelter_hit_p_killed, spec.shelter_hit_p_killed + spec.shelter_hit_p_wounded
    for h in range(24):
        a, b = pp.portion_offsets[h * m + j], pp.portion_offsets[h * m + j + 1]
        pts = pp.portion_point[a:b]
        inside = pp.t_sheltered_s[pts, h] <= warn_s
        occ = pp.portion_people[a:b][inside]
        by_hour[0, h] += occ.sum() * p_k
        by_hour[1, h] += occ.sum() * p_c
        with np.errstate(divide="ignore"):
            by_hour[2, h] += (occ * np.log1p(-min(p_c, 1.0))).sum()
        np.add.at(poly, (pp.poly[pts[inside]], 0), pp.hour_w[h] * occ * p_k)
        np.add.at(poly, (pp.poly[pts[inside]], 1), pp.hour_w[h] * occ * p_c)
    return by_hour, poly


def _tally_casualties(c: CompiledScenario, prepared: Prepared, out: Outcomes,
                      tal: Tallies) -> None:
    """Casualty tallies of a chunk, in array form: every (rocket not killed, person within the
    cut-off) pair found by a k-d tree, damage, sheltering and protection per pair and hour,
    summed per salvo; direct hits on shelters rocket by rocket."""
    from scipy.spatial import cKDTree

    pp = c.inputs.people
    spec = prepared.scenario.people
    par = pp.par
    kind = int(par[0])
    hour_w = pp.hour_w
    n_s = out.inside.shape[0]
    alert = c.inputs.salvo.alert_delay_s
    warn = np.where(np.isfinite(out.first_track_s),
                    np.maximum(out.t_impact_s - (out.first_track_s + alert), 0.0), 0.0)
    salvo, tube = np.nonzero(out.kill_unit < 0)
    xy = out.impact_xy[salvo, tube]
    w_r = warn[salvo, tube]
    by_hour = np.zeros((n_s, 3, 24))
    poly = np.zeros((n_s, int(pp.n_polys), 2))
    no_warning = np.zeros((n_s, 2))
    tree = cKDTree(pp.xy_m)
    for a in range(0, len(salvo), CASUALTY_BATCH_ROCKETS):
        sl = slice(a, a + CASUALTY_BATCH_ROCKETS)
        near = tree.query_ball_point(xy[sl], r=par[3])
        counts = np.array([len(n) for n in near], dtype=np.int64)
        if counts.sum() == 0:
            continue
        r = np.repeat(np.arange(a, a + len(near)), counts)           # rocket of each pair
        p = np.concatenate([np.asarray(n, dtype=np.int64) for n in near])
        d2 = ((pp.xy_m[p] - xy[r]) ** 2).sum(axis=1)
        keep = d2 <= par[3] ** 2
        r, p, d2 = r[keep], p[keep], d2[keep]
        pk = _damage(kind, d2, par[1])
        pc = _damage(kind, d2, par[2])
        w = w_r[r]
        warned = (w > 0) & (w >= spec.reaction_s)
        indoor = pp.indoor[p]
        f_open = indoor * spec.indoor_factor + (1 - indoor) * np.where(warned, spec.prone_factor,
                                                                        1.0)
        f_none = indoor * spec.indoor_factor + (1 - indoor)
        n = pp.people_h[p]                                                 # (pairs, 24)
        placed = np.where((w[:, None] > 0) & (pp.t_sheltered_s[p] <= w[:, None]),
                          pp.frac_sheltered[p], 0.0)
        f = (1 - placed) * f_open[:, None]
        killed = n * f * pk[:, None]
        cas = n * f * pc[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_none = np.where(n > 0, n * np.log1p(-np.minimum(f * pc[:, None], 1.0)), 0.0)
        s_of = salvo[r]
        np.add.at(by_hour, (s_of, 0), killed)
        np.add.at(by_hour, (s_of, 1), cas)
        np.add.at(by_hour, (s_of, 2), log_none)
        np.add.at(poly, (s_of, pp.poly[p], 0), killed @ hour_w)
        np.add.at(poly, (s_of, pp.poly[p], 1), cas @ hour_w)
        people_w = n @ hour_w
        np.add.at(no_warning, (s_of, 0), people_w * f_none * pk)
        np.add.at(no_warning, (s_of, 1), people_w * f_none * pc)
    if pp.shelters.xy_m.shape[0]:
        for i, j in _shelter_hits(prepared, xy):
            if w_r[i] > 0:  # nobody is in a shelter without an alarm
                h, q = _shelter_hit_casualties(c, prepared, j, w_r[i])
                by_hour[salvo[i]] += h
                poly[salvo[i]] += q

    killed = by_hour[:, 0]
    wounded = np.maximum(by_hour[:, 1] - killed, 0.0)
    p_any = -np.expm1(by_hour[:, 2])
    for row, v in ((T.H_KILLED, killed), (T.H_KILLED2, killed ** 2), (T.H_WOUNDED, wounded),
                   (T.H_WOUNDED2, wounded ** 2), (T.H_P_CASUALTY, p_any),
                   (T.H_P_CASUALTY2, p_any ** 2)):
        tal.hour_t[row] = v.sum(axis=0)
    k, wd, pa = killed @ hour_w, wounded @ hour_w, p_any @ hour_w
    s = tal.scal
    for key, v in ((T.S_KILLED, k), (T.S_KILLED2, k * k), (T.S_WOUNDED, wd),
                   (T.S_WOUNDED2, wd * wd), (T.S_P_CASUALTY, pa), (T.S_P_CASUALTY2, pa * pa),
                   (T.S_KILLED_NO_WARNING, no_warning[:, 0]),
                   (T.S_CASUALTIES_NO_WARNING, no_warning[:, 1]),
                   (T.S_KILLED_SAVED2, (no_warning[:, 0] - k) ** 2),
                   (T.S_CASUALTIES_SAVED2, (no_warning[:, 1] - k - wd) ** 2)):
        s[key] = v.sum()
    tal.exposure_t[:, T.E_KILLED] = poly[:, :, 0].sum(axis=0)
    tal.exposure_t[:, T.E_CASUALTIES] = poly[:, :, 1].sum(axis=0)
    tal.exposure_t[:, T.E_CASUALTIES2] = (poly[:, :, 1] ** 2).sum(axis=0)


# ----------------------------------------------------------------------------------- evaluate


def _evaluate_chunk(c: CompiledScenario, prepared: Prepared, draws, delta, deflection, u_kill):
    site = prepared.site
    pos, t0_s, tof_s = _fly(c, draws, delta, deflection)
    tau = c.inputs.family.tau
    impact_xy = pos[:, :, -1, :2]
    ix, iy = impact_xy[..., 0], impact_xy[..., 1]
    inside = shapely.contains_xy(site.base, ix, iy)
    defended = inside | shapely.contains_xy(site.defended_area, ix, iy)
    t_impact_s = t0_s + tof_s
    order = np.argsort(t_impact_s, axis=1, kind="stable")   # threat evaluation
    # predicted range of flight: launch point (node 0) to impact
    flown_m = np.hypot(ix - pos[:, :, 0, 0], iy - pos[:, :, 0, 1])

    n_s, n_t = t0_s.shape
    n_u = c.n_units
    t_detect = np.full((n_s, n_t, n_u), np.inf)
    t_track = np.full((n_s, n_t, n_u), np.inf)
    in_sector = np.zeros((n_s, n_t, n_u), dtype=bool)
    candidate = np.zeros((n_s, n_t, n_u), dtype=bool)
    units = []
    for u in range(n_u):
        ux, uy = c.inputs.units.xy_m[u]
        par = c.inputs.units.par[u]
        td = _detection_s(pos, t0_s, tof_s, tau, ux, uy, par)
        tt = td + par[P.P_TRACK_S]
        t_detect[..., u] = td
        t_track[..., u] = tt
        radius_m = par[P.P_DEFENDED_RADIUS_M]
        sector = (defended & (tt < t_impact_s)
                  & ((ix - ux) ** 2 + (iy - uy) ** 2 <= radius_m ** 2)
                  & (flown_m >= par[P.P_MIN_THREAT_RANGE_M]))
        in_sector[..., u] = sector
        if c.inputs.units.kind[u] == P.KIND_CRAM:
            t_open, t_close = _gun_window_s(pos, t0_s, tof_s, tau, ux, uy, par)
            candidate[..., u] = sector & (t_open <= t_close)
            units.append(_Gun(u, par, n_s, n_t, tt, u_kill[:, :, u, :], t_open, t_close))
        else:
            candidate[..., u] = sector
            units.append(_Battery(u, par, n_s, n_t, tt, u_kill[:, :, u, :],
                                  (pos, t0_s, tof_s, tau, ux, uy)))
    if c.inputs.units.coordinated:
        _fight_coordinated(units, order, candidate)
    else:
        _fight_independent(units, order, candidate)

    def stack(name, fill, dtype):
        if not units:
            return np.full((n_s, n_t, 0), fill, dtype=dtype)
        return np.stack([getattr(unit, name) for unit in units], axis=2)

    eng_t = stack("eng_t", np.nan, np.float64)
    eng_out = stack("eng_out", P.OUT_NONE, np.int64)
    eng_shots = stack("eng_shots", 0, np.int64)
    t_kill = stack("t_kill", np.inf, np.float64)
    unit_salvo = np.zeros((5, n_u, n_s), dtype=np.int64)
    for unit in units:
        unit_salvo[0, unit.u] = unit.n_eng
        unit_salvo[1, unit.u] = unit.n_kill
        unit_salvo[2, unit.u] = unit.n_shots
        unit_salvo[3, unit.u] = unit.exhausted

    t_kill_s = t_kill.min(axis=2) if n_u else np.full((n_s, n_t), np.inf)
    kill_unit = np.where(np.isfinite(t_kill_s), t_kill.argmin(axis=2) if n_u else -1, -1)
    # engagements (burst or first intercept) after the rocket was already destroyed: wasted
    on_killed = (eng_out != P.OUT_NONE) & (eng_t > t_kill_s[..., None])
    unit_salvo[4] = on_killed.sum(axis=1).T
    out = Outcomes(
        impact_xy=np.ascontiguousarray(impact_xy), t_launch_s=t0_s, t_impact_s=t_impact_s,
        apogee_m=np.maximum(pos[..., 2].max(axis=2), 0.0), inside=inside, defended=defended,
        first_detect_s=t_detect.min(axis=2) if n_u else np.full((n_s, n_t), np.inf),
        first_track_s=t_track.min(axis=2) if n_u else np.full((n_s, n_t), np.inf),
        t_kill_s=t_kill_s, kill_unit=kill_unit.astype(np.int64), t_detect_s=t_detect,
        t_track_s=t_track, in_sector=in_sector, candidate=candidate,
        eng_t_s=eng_t, eng_out=eng_out, eng_shots=eng_shots)
    return out, _tally(c, prepared, draws, out, unit_salvo)


def evaluate(compiled: CompiledScenario, prepared: Prepared, sample: Sample, *,
             keep_rockets: bool = True,
             chunk_salvos: int = CHUNK_SALVOS) -> tuple[Tallies, Outcomes | None]:
    """Fly a sample's salvos through the defences and tally them.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario the sample was drawn for.
    prepared : Prepared
        What ``compiled`` was compiled from: impacts are tested against its site's polygons,
        casualties scored with its ``[people]``.
    sample : Sample
        The draws (:func:`draw_sample`).
    keep_rockets : bool
        Also return every rocket's :class:`Outcomes` (memory grows with the sample).
    chunk_salvos : int
        Salvos evaluated at once (memory bound; results do not depend on it, up to the order
        of float sums).

    Returns
    -------
    tallies : Tallies
        Reduced over the sample, :mod:`forceprot.kernel.tally` layout.
    outcomes : Outcomes or None
        Per rocket, if ``keep_rockets``.
    """
    tallies = Tallies.zeros(compiled)
    parts = []
    for a in range(0, sample.n_salvos, chunk_salvos):
        b = min(a + chunk_salvos, sample.n_salvos)
        out, tal = _evaluate_chunk(compiled, prepared, sample.draws[a:b], sample.delta[a:b],
                                   sample.deflection[a:b], sample.u_kill[a:b])
        tallies.add(tal)
        if keep_rockets:
            parts.append(out)
    return tallies, (Outcomes.concatenate(parts) if keep_rockets else None)


# ------------------------------------------------------------------------- the kernel, same blocks


def kernel_tallies(compiled: CompiledScenario, *, root_seed: int, first_block: int = 0,
                   n_blocks: int = 1, total_salvos: int | None = None, story: bool = False,
                   n_threads: int = 1) -> tuple[Tallies, np.ndarray, np.ndarray]:
    """The kernel's tallies of the same blocks as :func:`draw_sample`, reduced in block order.

    Calls :func:`forceprot.kernel.blocks.run_blocks` directly, on ``n_threads`` threads.

    Returns
    -------
    tallies : Tallies
    story, story_units : ndarray
        With ``story``, every rocket's record (:mod:`forceprot.kernel.tally` R_*, RU_*), rows
        ``(salvo - first_salvo) * tubes + tube``; otherwise empty.
    """
    from forceprot.kernel.blocks import run_blocks
    from forceprot.kernel.bundles import Story
    from forceprot.kernel.bundles import Tallies as KernelTallies

    c = compiled
    if total_salvos is None:
        total_salvos = (first_block + n_blocks) * BLOCK_SALVOS
    n_u = c.n_units
    n_a = c.inputs.assets.xy_m.shape[0]
    first_salvo = first_block * BLOCK_SALVOS
    last_salvo = min(total_salvos, (first_block + n_blocks) * BLOCK_SALVOS)
    story_salvos = last_salvo if story else 0
    rows = story_salvos * c.tubes
    story_arr = np.full((rows, T.N_STORY), np.nan)
    story_u = np.full((rows, n_u, T.N_STORY_UNIT), np.nan)
    scal = np.zeros((n_blocks, T.N_SCALARS))
    unit_t = np.zeros((n_blocks, n_u, T.N_UNIT))
    grid_t = np.zeros((n_blocks, T.N_GRID, c.base_grid.n_cells))
    launch_t = np.zeros((n_blocks, T.N_LAUNCH, c.launch_grid.n_cells))
    asset_t = np.zeros((n_blocks, n_a, T.N_ASSET))
    warn_h = np.zeros((n_blocks, T.WARN_BINS))
    hours_t = np.zeros((n_blocks, T.N_HOUR, 24))
    exposure_t = np.zeros((n_blocks, int(c.inputs.people.n_polys), T.N_EXPOSURE))
    run_blocks(first_block, n_blocks, total_salvos, root_seed, c.inputs,
               KernelTallies(scal, unit_t, grid_t, launch_t, asset_t, warn_h, hours_t,
                             exposure_t),
               Story(story_salvos, story_arr, story_u), n_threads=n_threads)
    tallies = Tallies.zeros(c)
    for j in range(n_blocks):   # block order, as forceprot.simulate reduces
        tallies.add(Tallies(scal[j], unit_t[j], grid_t[j], launch_t[j], asset_t[j], warn_h[j],
                            hours_t[j], exposure_t[j]))
    skip = first_salvo * c.tubes
    return tallies, story_arr[skip:], story_u[skip:]
