"""A simple salvo model in vectorised NumPy + shapely: the speed yardstick of issue 11.

This is **not forceprot's model** and must never be used to produce results. It is the kind of
script an analyst writes first (the shared performance notes, PERFORMANCE.md: "a vectorised
NumPy + shapely script of a simple model"), written cleanly and vectorised honestly, so that
the kernel's speed can be compared with it in the same run (``python -m benchmarks simple``).

What it models, on a site prepared by :func:`forceprot.compile.prepare_scenario` (local metres):

- **Salvos** of ``threat.tubes`` rockets; rocket ``i`` leaves at ``i * threat.ripple_s``.
- **Aim point** uniform over the base polygon (rejection from the base's bounding box with
  :func:`shapely.contains_xy`).
- **Launcher** uniform over the launch zone (rejection from its bounding box with
  :func:`shapely.contains_xy`), redrawn until the aim point is within the rocket's published
  ``[min_range_m, max_range_m]``.
- **Per-salvo aim error**: the mean point of impact is the aim point plus a circular normal
  offset, ``threat.aim_sigma_m`` per axis. The launcher lays range and heading on it.
- **Per-rocket dispersion**: range ``lay_range * (1 + range_sigma_frac * z1)`` clipped to the
  rocket's reach, heading ``lay_heading + deflection_sigma * z2`` (z1, z2 standard normal).
- **Impact point**: launcher + range along the heading, a straight flat-earth line: no
  trajectory, no wind, no altitude.
- **Time of flight**: a quartic polynomial in range, least-squares fitted once (outside any
  timed region) to the no-wind impact times and ranges of the rocket's trajectory family (mean
  over the family's azimuths; the fit is worst, about 2 s, near maximum range, where the time
  of flight grows steeply with range); impact time = launch time + time of flight.
- **Inside**: :func:`shapely.contains_xy` of the impact point against the base polygon.
- **Two gun mounts** (the scenario's C-RAM-class units, at their positions): each engages
  the rockets whose impact point (perfectly predicted) lies within its ``defended_radius_m``,
  in predicted-impact order, one at a time: the mount is ready ``reaction_s`` after the first
  launch (detection is assumed at launch), each engagement takes ``engage_s`` and must end by
  the rocket's impact. Hence **saturation**: a mount engages at most
  ``floor(window / engage_s)`` rockets of a salvo, the window running from ready to the last
  impact. The walk over a salvo's rockets in impact order is a Python loop over tube ranks,
  vectorised over the salvos of a chunk (the kernel's engagement walk, by arrays).
- **Kill draws**: each engagement kills with the mount's ``p_kill``; the mounts do not
  coordinate (both may engage the same rocket); a rocket survives if no engagement kills it.

Not modelled (forceprot models them): flight paths, wind, sensors and first detection,
engagement envelopes (range, height), magazines and reloads, the defended area's margin, the
Patriot-class battery, assets, warning time, per-cell maps.

Everything is processed in chunks of ``chunk_salvos`` salvos as ``(salvos, tubes)`` arrays; no
Python loop runs per rocket. Random numbers come from :func:`numpy.random.default_rng`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from forceprot.compile import Prepared, compile_scenario

__all__ = ["SimpleModel", "build", "fit_time_of_flight", "run"]

#: NATO mils to radians.
RAD_PER_MIL = 2.0 * math.pi / 6400.0
#: Salvos per chunk of arrays (24 tubes: about 100,000 rockets per chunk).
CHUNK_SALVOS = 4096
#: Degree of the time-of-flight polynomial in range.
TOF_DEGREE = 4


@dataclass(frozen=True)
class SimpleModel:
    """Everything :func:`run` reads, in metres, seconds and radians."""

    base: object                   # shapely geometry, prepared
    base_bounds: tuple
    launch_zone: object            # shapely geometry, prepared
    launch_bounds: tuple
    tubes: int
    ripple_s: float
    aim_sigma_m: float
    range_sigma_frac: float
    deflection_sigma_rad: float
    min_range_m: float
    max_range_m: float
    tof_coef: tuple                # polynomial in range [km], highest power first -> [s]
    tof_fit_max_error_s: float
    gun_xy_m: np.ndarray           # (n_guns, 2)
    gun_radius2_m2: np.ndarray     # (n_guns,)
    gun_ready_s: np.ndarray        # (n_guns,)
    gun_engage_s: np.ndarray       # (n_guns,)
    gun_p_kill: np.ndarray         # (n_guns,)


def fit_time_of_flight(range_m: np.ndarray, tof_s: np.ndarray,
                       degree: int = TOF_DEGREE) -> tuple[tuple, float]:
    """Least-squares polynomial time of flight in range [km]; its coefficients and max error."""
    r_km = np.asarray(range_m, float) / 1000.0
    coef = np.polyfit(r_km, np.asarray(tof_s, float), degree)
    err = float(np.max(np.abs(np.polyval(coef, r_km) - tof_s)))
    return tuple(float(c) for c in coef), err


def build(prepared: Prepared, *, family=None) -> SimpleModel:
    """The simple model of a prepared scenario (its first two C-RAM-class mounts).

    ``family`` is the scenario's :data:`forceprot.kernel.bundles.FamilyTable` (the compiled
    scenario's ``inputs.family``); compiled here when not given. Only its no-wind ranges and
    impact times are used, to fit the time-of-flight polynomial.
    """
    scenario, site = prepared.scenario, prepared.site
    threat, rocket = scenario.threat, scenario.rocket_class
    if family is None:
        family = compile_scenario(prepared).inputs.family
    coef, err = fit_time_of_flight(family.range_nowind_m, family.tof_s.mean(axis=1))
    guns = [(k, d) for k, d in enumerate(scenario.defence) if d.kind == "cram"][:2]
    if len(guns) != 2:
        raise ValueError(f"the simple model needs two gun mounts; {scenario.label} has "
                         f"{len(guns)}")
    base, zone = site.base, site.launch_zone
    shapely.prepare(base)
    shapely.prepare(zone)
    return SimpleModel(
        base=base, base_bounds=tuple(base.bounds), launch_zone=zone,
        launch_bounds=tuple(zone.bounds), tubes=int(threat.tubes),
        ripple_s=float(threat.ripple_s), aim_sigma_m=float(threat.aim_sigma_m),
        range_sigma_frac=float(threat.range_sigma_frac),
        deflection_sigma_rad=float(threat.deflection_sigma_mil) * RAD_PER_MIL,
        min_range_m=float(rocket.min_range_m), max_range_m=float(rocket.max_range_m),
        tof_coef=coef, tof_fit_max_error_s=err,
        gun_xy_m=np.array([site.unit_xy_m[k] for k, _ in guns], float),
        gun_radius2_m2=np.array([d.defended_radius_m ** 2 for _, d in guns]),
        gun_ready_s=np.array([d.reaction_s for _, d in guns], float),
        gun_engage_s=np.array([d.engage_s for _, d in guns], float),
        gun_p_kill=np.array([d.p_kill for _, d in guns], float),
    )


def _uniform_in(geom, bounds, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in ``geom``: rejection from its bounding box, by rounds."""
    minx, miny, maxx, maxy = bounds
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    while todo.size:
        cx = rng.uniform(minx, maxx, todo.size)
        cy = rng.uniform(miny, maxy, todo.size)
        ok = shapely.contains_xy(geom, cx, cy)
        x[todo[ok]] = cx[ok]
        y[todo[ok]] = cy[ok]
        todo = todo[~ok]
    return x, y


def _launchers(m: SimpleModel, ax: np.ndarray, ay: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A launcher uniform in the launch zone within reach of each aim point (rejection)."""
    minx, miny, maxx, maxy = m.launch_bounds
    n = ax.size
    lx = np.empty(n)
    ly = np.empty(n)
    todo = np.arange(n)
    lo2, hi2 = m.min_range_m ** 2, m.max_range_m ** 2
    for _ in range(10_000):
        if not todo.size:
            return lx, ly
        cx = rng.uniform(minx, maxx, todo.size)
        cy = rng.uniform(miny, maxy, todo.size)
        d2 = (cx - ax[todo]) ** 2 + (cy - ay[todo]) ** 2
        ok = (d2 >= lo2) & (d2 <= hi2)
        ok[ok] = shapely.contains_xy(m.launch_zone, cx[ok], cy[ok])
        lx[todo[ok]] = cx[ok]
        ly[todo[ok]] = cy[ok]
        todo = todo[~ok]
    raise RuntimeError("no launcher within reach of some aim points after 10,000 rounds")


def _chunk(m: SimpleModel, n: int, rng: np.random.Generator, out: dict) -> None:
    """Simulate ``n`` salvos as ``(n, tubes)`` arrays; add their counts to ``out``."""
    tubes = m.tubes
    ax, ay = _uniform_in(m.base, m.base_bounds, n, rng)
    lx, ly = _launchers(m, ax, ay, rng)
    # per-salvo aim error: the mean point of impact the launcher lays on
    mx = ax + m.aim_sigma_m * rng.standard_normal(n)
    my = ay + m.aim_sigma_m * rng.standard_normal(n)
    lay_range = np.hypot(mx - lx, my - ly)
    lay_heading = np.arctan2(my - ly, mx - lx)
    # per-rocket dispersion in range and deflection
    z = rng.standard_normal((2, n, tubes))
    rng_m = lay_range[:, None] * (1.0 + m.range_sigma_frac * z[0])
    np.clip(rng_m, m.min_range_m, m.max_range_m, out=rng_m)
    heading = lay_heading[:, None] + m.deflection_sigma_rad * z[1]
    ix = lx[:, None] + rng_m * np.cos(heading)
    iy = ly[:, None] + rng_m * np.sin(heading)
    # fitted time of flight (Horner in km); impact time from the first launch
    r_km = rng_m * 1e-3
    tof = np.full_like(r_km, m.tof_coef[0])
    for c in m.tof_coef[1:]:
        tof *= r_km
        tof += c
    t_impact = tof + m.ripple_s * np.arange(tubes)
    inside = shapely.contains_xy(m.base, ix.ravel(), iy.ravel()).reshape(n, tubes)
    # predicted-impact order (a perfect prediction): every salvo's rockets sorted by impact time
    order = np.argsort(t_impact, axis=1)
    t_s = np.take_along_axis(t_impact, order, axis=1)
    x_s = np.take_along_axis(ix, order, axis=1)
    y_s = np.take_along_axis(iy, order, axis=1)
    inside_s = np.take_along_axis(inside, order, axis=1)
    killed = np.zeros((n, tubes), bool)
    for g in range(m.gun_xy_m.shape[0]):
        gx, gy = m.gun_xy_m[g]
        in_radius = (x_s - gx) ** 2 + (y_s - gy) ** 2 <= m.gun_radius2_m2[g]
        engage_s = m.gun_engage_s[g]
        free = np.full(n, m.gun_ready_s[g])          # when the mount is next free [s]
        engaged = np.zeros((n, tubes), bool)
        for k in range(tubes):                       # the timeline: one tube rank at a time
            done = free + engage_s
            can = in_radius[:, k] & (done <= t_s[:, k])
            engaged[:, k] = can
            free = np.where(can, done, free)
        killed |= engaged & (rng.random((n, tubes)) < m.gun_p_kill[g])
        out["engagements"][g] += int(engaged.sum())
    leaked = inside_s & ~killed
    out["fired"] += n * tubes
    out["inside"] += int(inside_s.sum())
    out["killed"] += int(killed.sum())
    out["killed_inside"] += int((killed & inside_s).sum())
    out["leaked"] += int(leaked.sum())
    out["salvos_with_leak"] += int(leaked.any(axis=1).sum())


def run(model: SimpleModel, salvos: int, seed: int, *,
        chunk_salvos: int = CHUNK_SALVOS) -> dict:
    """Simulate ``salvos`` salvos; counts of rockets (and salvos with a leaker)."""
    rng = np.random.default_rng(seed)
    out = {"salvos": int(salvos), "fired": 0, "inside": 0, "killed": 0, "killed_inside": 0,
           "leaked": 0, "salvos_with_leak": 0,
           "engagements": [0] * model.gun_xy_m.shape[0]}
    done = 0
    while done < salvos:
        n = min(chunk_salvos, salvos - done)
        _chunk(model, n, rng, out)
        done += n
    return out
