"""Rocket flight for people: a ``RocketClass`` in, trajectories, fire control and families out.

The Python layer over :mod:`forceprot.flight`: it turns a rocket class into the flat arrays the
numba kernels take, allocates their buffers, and wraps the answers in small frozen dataclasses.

Frames and angles
-----------------
Flight frame: ``x`` downrange along the firing direction, ``y`` to the left of it, ``z`` up,
origin on the ground below the muzzle. Elevations are quadrant elevations [rad] above the
horizontal. The relative wind azimuth ``relaz`` is the direction the wind blows toward minus
the firing direction, both counter-clockwise [rad]: the wind vector in the flight frame is
``wind_speed * (cos relaz, sin relaz, 0)``. Compass inputs (``wind_from_deg``, meteorological,
where the wind comes from; ``firing_azimuth_deg``) are clockwise from north in degrees.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forceprot.catalog.rockets import BUNDLED_ROCKETS, RocketClass
from forceprot.errors import OutputError, ScenarioError
from forceprot.flight import family as _family
from forceprot.flight import trajectory as _traj
from forceprot.flight.atmosphere import G0_MPS2

__all__ = [
    "Trajectory",
    "TrajectoryFamily",
    "TrajectorySolution",
    "build_family",
    "calibrate",
    "calibrate_drag_form_factor",
    "calibrate_thrust_n",
    "FAMILY_CACHE_ENV",
    "HIGH_ANGLE_MAX_ELEVATION_DEG",
    "family_cache_dir",
    "fly",
    "max_range",
    "range_limits",
    "relative_wind_azimuth_rad",
    "rocket_arrays",
    "solve_trajectory",
    "write_path",
]

DEFAULT_DT_S = 0.01  # s, RK4 step: range converges to < 1e-6 relative at this step
#: Highest quadrant elevation forceprot flies [deg]: the upper bound of the max-range search and
#: the top of the high-angle family. Illustrative: free-standing tubes and improvised racks can
#: be propped this steep; built launchers stop lower (BM-21: 0-55 deg,
#: https://w.atwiki.jp/2chsiberiassf/pages/538.html).
HIGH_ANGLE_MAX_ELEVATION_DEG = 80.0
_MAX_ELEVATION_SEARCH_RAD = math.radians(HIGH_ANGLE_MAX_ELEVATION_DEG)  # rad
_ELEVATION_XTOL_RAD = 1e-9  # rad, tolerance of the max-range and fire-control solvers
_PATH_COLUMNS = ("t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps")
_PATH_SUFFIXES = (".csv", ".json")


# --------------------------------------------------------------------------- rocket -> arrays


def _as_rocket(rocket: RocketClass | str) -> RocketClass:
    if isinstance(rocket, RocketClass):
        return rocket
    try:
        return BUNDLED_ROCKETS[rocket]
    except KeyError:
        valid = ", ".join(sorted(BUNDLED_ROCKETS))
        raise ScenarioError(f"unknown rocket class, must be one of: {valid}", field="rocket",
                            value=rocket) from None


def _rocket_name(rocket: RocketClass) -> str:
    for key, bundled in BUNDLED_ROCKETS.items():
        if bundled == rocket:
            return key
    return rocket.label or "this rocket class"


def rocket_arrays(rocket: RocketClass, *, thrust: bool = True, drag: bool = True,
                  instant_weathercock: bool = False,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrays the flight kernels take for one rocket class.

    Parameters
    ----------
    rocket : RocketClass
        The rocket class.
    thrust : bool
        False sets the thrust to 0 (the rocket then flies at its burnout mass throughout, and
        leaves no tube of non-zero length).
    drag : bool
        False sets the drag reference area to 0.
    instant_weathercock : bool
        True sets the weathercock time constant to 0: the thrust then follows the air-relative
        velocity at once (the limit ``weathercock_tau_s -> 0``; the flight model before the
        body axis, kept for comparison).

    Returns
    -------
    params : ndarray of float64, shape (N_ROCKET_PARAMS,)
        Rocket parameter vector, ``forceprot.flight.trajectory.ROCKET_*`` indices [SI].
    drag_mach : ndarray of float64, shape (n,)
        Mach numbers of the drag table [-].
    drag_cd : ndarray of float64, shape (n,)
        Drag coefficients times ``drag_form_factor`` [-].
    """
    params = np.zeros(_traj.N_ROCKET_PARAMS)
    params[_traj.ROCKET_THRUST_N] = rocket.thrust_n if thrust else 0.0
    params[_traj.ROCKET_BURN_TIME_S] = rocket.burn_time_s
    params[_traj.ROCKET_LAUNCH_MASS_KG] = rocket.launch_mass_kg
    params[_traj.ROCKET_BURNOUT_MASS_KG] = rocket.burnout_mass_kg
    params[_traj.ROCKET_AREA_M2] = rocket.reference_area_m2 if drag else 0.0
    params[_traj.ROCKET_TUBE_LENGTH_M] = rocket.tube_length_m
    params[_traj.ROCKET_LAUNCH_HEIGHT_M] = rocket.launch_height_m
    params[_traj.ROCKET_WEATHERCOCK_TAU_S] = (0.0 if instant_weathercock
                                             else rocket.weathercock_tau_s)
    drag_mach = np.ascontiguousarray(rocket.drag_mach, dtype=np.float64)
    drag_cd = rocket.drag_form_factor * np.ascontiguousarray(rocket.drag_cd, dtype=np.float64)
    return params, drag_mach, drag_cd


#: Longest flight a rocket class may need [s]. The vacuum vertical-shot bound of a real artillery
#: rocket is a minute or two (107 mm: about 80 s, 122 mm: about 190 s); an hour means figures no
#: artillery rocket has, whose path buffers would run to gigabytes.
MAX_FLIGHT_TIME_S = 3600.0
#: Largest path buffer one flight may allocate [rows of 6 float64 plus a time, 56 bytes]: 560 MB.
MAX_PATH_ROWS = 10_000_000


def check_rocket_bounds(rocket: RocketClass, *, name: str | None = None,
                        field_prefix: str = "") -> float:
    """Refuse a rocket class whose flight time has no practical bound; return that bound [s].

    Parameters
    ----------
    rocket : RocketClass
        The rocket class.
    name : str, optional
        How the message names the class (default: bundled key or label).
    field_prefix : str
        Prefix of the field the error names (``"rockets.my_rocket."`` in a scenario).

    Raises
    ------
    ScenarioError
        The vacuum bound of :func:`_max_time_s` exceeds :data:`MAX_FLIGHT_TIME_S`.
    """
    params, _, _ = rocket_arrays(rocket)
    max_time = _max_time_s(params)
    if not max_time <= MAX_FLIGHT_TIME_S:
        raise ScenarioError(
            f"rocket class {name or _rocket_name(rocket)!r}: thrust, burn time and masses allow "
            f"flights of up to {max_time:,.0f} s (limit {MAX_FLIGHT_TIME_S:.0f} s); not an "
            "artillery rocket", field=f"{field_prefix}thrust_n", value=rocket.thrust_n)
    return max_time


def _path_capacity(rocket: RocketClass, params: np.ndarray, dt_s: float) -> tuple[float, int]:
    """Longest flight [s] and path-buffer rows for ``rocket`` at step ``dt_s``, both bounded."""
    max_time = check_rocket_bounds(rocket)
    capacity = _traj.path_capacity(max_time, dt_s)
    if capacity > MAX_PATH_ROWS:
        raise ScenarioError(
            f"a {max_time:.0f} s flight of {_rocket_name(rocket)!r} at this step needs "
            f"{capacity:,} path rows (limit {MAX_PATH_ROWS:,}); use a larger step",
            field="dt_s", value=dt_s)
    return max_time, capacity


def _no_impact(rocket: RocketClass, what: str) -> ScenarioError:
    return ScenarioError(f"rocket class {_rocket_name(rocket)!r}: {what} found no ground impact; "
                         "check its thrust, masses and drag", field="rocket",
                         value=_rocket_name(rocket))


def _max_time_s(params: np.ndarray) -> float:
    """Generous bound on any time of flight of a rocket [s] (vertical shot in vacuum)."""
    m0 = params[_traj.ROCKET_LAUNCH_MASS_KG]
    mb = params[_traj.ROCKET_BURNOUT_MASS_KG]
    burn = params[_traj.ROCKET_BURN_TIME_S]
    exhaust_mps = params[_traj.ROCKET_THRUST_N] * burn / (m0 - mb)
    speed = exhaust_mps * math.log(m0 / mb)  # the whole burn from rest, tube phase included
    height = params[_traj.ROCKET_LAUNCH_HEIGHT_M] + speed * burn + speed**2 / (2.0 * G0_MPS2)
    return burn + speed / G0_MPS2 + math.sqrt(2.0 * height / G0_MPS2) + 10.0


def _impact(params, drag_mach, drag_cd, elevation_rad, wind_x_mps=0.0, wind_y_mps=0.0,
            ground_altitude_m=0.0, dt_s=DEFAULT_DT_S) -> np.ndarray:
    """Flight summary (``SUMMARY_*`` indices) without storing the path."""
    summary = np.empty(_traj.N_SUMMARY)
    code = _traj.integrate(float(elevation_rad), float(wind_x_mps), float(wind_y_mps),
                           float(ground_altitude_m), params, drag_mach, drag_cd, float(dt_s),
                           _max_time_s(params), np.empty(0), np.empty((0, 6)), summary)
    if code == _traj.FLIGHT_NO_LIFTOFF:
        raise ScenarioError("the motor of this rocket class cannot push it out of its tube "
                            "(thrust below the weight, or the burn ends inside); check its "
                            "thrust, masses, burn time and tube_length_m", field="thrust_n")
    if code < 0:
        raise ScenarioError(f"a flight of this rocket class found no ground impact (code "
                            f"{code}); check its thrust, masses and drag", field="rocket")
    return summary


def _range_nowind(params, drag_mach, drag_cd, elevation_rad, ground_altitude_m, dt_s) -> float:
    return float(_impact(params, drag_mach, drag_cd, elevation_rad,
                         ground_altitude_m=ground_altitude_m, dt_s=dt_s)[_traj.SUMMARY_X_M])


def _max_range_arrays(params, drag_mach, drag_cd, min_elevation_rad, ground_altitude_m, dt_s,
                      ) -> tuple[float, float]:
    from scipy.optimize import minimize_scalar  # here: start-up time
    result = minimize_scalar(
        lambda e: -_range_nowind(params, drag_mach, drag_cd, e, ground_altitude_m, dt_s),
        bounds=(min_elevation_rad, _MAX_ELEVATION_SEARCH_RAD), method="bounded",
        options={"xatol": _ELEVATION_XTOL_RAD, "maxiter": 200})
    return float(-result.fun), float(result.x)


# --------------------------------------------------------------------------- single flights


@dataclass(frozen=True)
class Trajectory:
    """One integrated flight, from the muzzle to ground impact, in the flight frame.

    Attributes
    ----------
    t_s : ndarray of float64, shape (n,)
        Time of each row [s]; the last row is the impact.
    pos_m : ndarray of float64, shape (n, 3)
        ``(downrange, left, up)`` position [m]; ``pos_m[-1, 2] == 0``.
    vel_mps : ndarray of float64, shape (n, 3)
        Ground-relative velocity [m/s].
    apogee_m : float
        Highest point above the ground [m] (located inside its step).
    burnout_speed_mps : float
        Ground speed at motor burnout [m/s]; NaN without thrust.
    burnout_lag_rad : float
        Angle from the body axis to the air-relative velocity at burnout [rad] (the
        weathercocking lag); NaN without thrust.
    muzzle_speed_mps : float
        Speed on leaving the tube [m/s], computed from the motor and the tube length.
    tube_time_s : float
        Time from ignition to leaving the tube [s]; ``t_s`` counts from leaving it.
    """

    t_s: np.ndarray
    pos_m: np.ndarray
    vel_mps: np.ndarray
    apogee_m: float
    burnout_speed_mps: float
    burnout_lag_rad: float = math.nan
    muzzle_speed_mps: float = math.nan
    tube_time_s: float = math.nan

    @property
    def range_m(self) -> float:
        """Downrange distance of the impact along the firing direction [m]."""
        return float(self.pos_m[-1, 0])

    @property
    def drift_m(self) -> float:
        """Lateral offset of the impact, positive to the left of the line of fire [m]."""
        return float(self.pos_m[-1, 1])

    @property
    def tof_s(self) -> float:
        """Time of flight [s]."""
        return float(self.t_s[-1])

    @property
    def impact_speed_mps(self) -> float:
        """Ground speed at impact [m/s]."""
        return float(np.linalg.norm(self.vel_mps[-1]))

    @property
    def impact_angle_deg(self) -> float:
        """Angle of the impact velocity below the horizontal [deg]."""
        vx, vy, vz = self.vel_mps[-1]
        return math.degrees(math.atan2(-vz, math.hypot(vx, vy)))


def fly(rocket: RocketClass | str, elevation_rad: float, *, relaz_rad: float = 0.0,
        wind_speed_mps: float = 0.0, ground_altitude_m: float = 0.0, dt_s: float = DEFAULT_DT_S,
        thrust: bool = True, drag: bool = True, instant_weathercock: bool = False,
        ) -> Trajectory:
    """Integrate one flight and keep its path.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class, or the key of a bundled one (``"107mm"``).
    elevation_rad : float
        Quadrant elevation of the tube [rad].
    relaz_rad : float
        Direction the wind blows toward, counter-clockwise from the firing direction [rad].
    wind_speed_mps : float
        Wind speed [m/s], constant and horizontal.
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m] (sets the ISA air density).
    dt_s : float
        RK4 step [s].
    thrust, drag : bool
        False turns thrust or drag off (vacuum checks); without thrust only a class with
        ``tube_length_m = 0`` flies (it falls from rest at the muzzle), others raise.
    instant_weathercock : bool
        True aligns the thrust with the air-relative velocity at once instead of following the
        body axis (see :func:`rocket_arrays`).

    Returns
    -------
    Trajectory
    """
    rocket = _as_rocket(rocket)
    params, drag_mach, drag_cd = rocket_arrays(rocket, thrust=thrust, drag=drag,
                                               instant_weathercock=instant_weathercock)
    max_time, capacity = _path_capacity(rocket, params, dt_s)
    path_t = np.empty(capacity)
    path_state = np.empty((capacity, 6))
    summary = np.empty(_traj.N_SUMMARY)
    n = _traj.integrate(float(elevation_rad), wind_speed_mps * math.cos(relaz_rad),
                        wind_speed_mps * math.sin(relaz_rad), float(ground_altitude_m), params,
                        drag_mach, drag_cd, float(dt_s), max_time, path_t, path_state, summary)
    if n == _traj.FLIGHT_NO_LIFTOFF:
        raise ScenarioError(f"rocket class {_rocket_name(rocket)!r}: the motor cannot push it out "
                            "of its tube (thrust below the weight, or the burn ends inside)",
                            field="thrust_n", value=rocket.thrust_n)
    if n < 2:
        raise _no_impact(rocket, f"a flight of up to {max_time:.0f} s (code {n})")
    return Trajectory(
        t_s=path_t[:n].copy(),
        pos_m=path_state[:n, :3].copy(),
        vel_mps=path_state[:n, 3:].copy(),
        apogee_m=float(summary[_traj.SUMMARY_APOGEE_M]),
        burnout_speed_mps=float(summary[_traj.SUMMARY_BURNOUT_SPEED_MPS]),
        burnout_lag_rad=float(summary[_traj.SUMMARY_BURNOUT_LAG_RAD]),
        muzzle_speed_mps=float(summary[_traj.SUMMARY_MUZZLE_SPEED_MPS]),
        tube_time_s=float(summary[_traj.SUMMARY_TUBE_TIME_S]),
    )


@functools.lru_cache(maxsize=64)
def _max_range_cached(rocket: RocketClass, ground_altitude_m: float, dt_s: float,
                      ) -> tuple[float, float]:
    # kept on disk beside the families: the search flies some forty trajectories and needs
    # scipy.optimize, a tenth of a second or two of every command's start
    key = json.dumps({
        "what": "max_range",
        "flight_model_version": _traj.FLIGHT_MODEL_VERSION,
        "rocket": _rocket_flight_key(rocket),
        "ground_altitude_m": ground_altitude_m, "dt_s": dt_s,
        "xatol_rad": _ELEVATION_XTOL_RAD, "max_elevation_rad": _MAX_ELEVATION_SEARCH_RAD,
    }, sort_keys=True)
    folder = family_cache_dir()
    path = folder / f"max-range-{hashlib.sha256(key.encode()).hexdigest()}.json" \
        if folder is not None else None
    if path is not None:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored["key"] == key and all(math.isfinite(stored[k])
                                            for k in ("range_m", "elevation_rad")):
                return float(stored["range_m"]), float(stored["elevation_rad"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or unreadable: computed again and rewritten
    params, drag_mach, drag_cd = rocket_arrays(rocket)
    range_m, elevation_rad = _max_range_arrays(params, drag_mach, drag_cd,
                                               math.radians(rocket.min_elevation_deg),
                                               ground_altitude_m, dt_s)
    if path is not None:
        from forceprot.atomic import atomic_file

        try:
            with atomic_file(path, overwrite=True) as tmp:
                # repr of a float round-trips exactly: the cached answer is the computed one
                Path(tmp).write_text(json.dumps({"key": key, "range_m": range_m,
                                                 "elevation_rad": elevation_rad}),
                                     encoding="utf-8")
        except (OSError, OutputError):
            pass
    return range_m, elevation_rad


def max_range(rocket: RocketClass | str, *, ground_altitude_m: float = 0.0,
              dt_s: float = DEFAULT_DT_S) -> tuple[float, float]:
    """Maximum no-wind ground range of a rocket class and the elevation that reaches it.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class, or the key of a bundled one.
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].
    dt_s : float
        RK4 step [s].

    Returns
    -------
    range_m : float
        Maximum range [m].
    elevation_rad : float
        Quadrant elevation of the maximum range [rad], by bounded Brent (golden-section)
        search between ``min_elevation_deg`` and 80 deg.
    """
    return _max_range_cached(_as_rocket(rocket), float(ground_altitude_m), float(dt_s))


# --------------------------------------------------------------------------- calibration


def calibrate_drag_form_factor(rocket: RocketClass | str, *, target_range_m: float | None = None,
                               ground_altitude_m: float = 0.0, dt_s: float = DEFAULT_DT_S,
                               ) -> float:
    """Drag form factor that makes the model's maximum range equal a target.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class; every figure but ``drag_form_factor`` is used.
    target_range_m : float, optional
        Range to match [m]; default ``rocket.max_range_m`` (the published maximum range).
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m]; the published figure is for sea level.
    dt_s : float
        RK4 step [s].

    Returns
    -------
    float
        ``drag_form_factor`` [-], solved by Brent's method (``scipy.optimize.brentq``) on
        ``max_range(f) - target`` over ``[0.01, 10]`` (the field's bounds).

    Raises
    ------
    ScenarioError
        When no form factor in ``[0.01, 10]`` reaches the target (thrust or mass unrealistic).
    """
    rocket = _as_rocket(rocket)
    target = rocket.max_range_m if target_range_m is None else float(target_range_m)
    params, drag_mach, drag_cd = rocket_arrays(rocket)
    base_cd = drag_cd / rocket.drag_form_factor
    min_elevation = math.radians(rocket.min_elevation_deg)

    def miss(form_factor: float) -> float:
        reach, _ = _max_range_arrays(params, drag_mach, form_factor * base_cd, min_elevation,
                                     ground_altitude_m, dt_s)
        return reach - target

    lo, hi = 0.01, 10.0
    miss_lo, miss_hi = miss(lo), miss(hi)
    if not miss_lo > 0.0 > miss_hi:
        raise ScenarioError(
            f"no drag_form_factor in [{lo}, {hi}] gives a maximum range of {target:.0f} m "
            f"(reach {target + miss_hi:.0f} to {target + miss_lo:.0f} m)",
            field="max_range_m", value=target)
    from scipy.optimize import brentq  # here, not at import: start-up time
    return float(brentq(miss, lo, hi, xtol=1e-12, rtol=1e-12))


def calibrate_thrust_n(rocket: RocketClass | str, *, burnout_speed_mps: float | None = None,
                       elevation_rad: float | None = None, dt_s: float = DEFAULT_DT_S) -> float:
    """Thrust that makes the model's burnout speed equal a target.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class; every figure but ``thrust_n`` is used.
    burnout_speed_mps : float, optional
        Ground speed at burnout to match [m/s]; default ``rocket.published_burnout_speed_mps``.
    elevation_rad : float, optional
        Elevation of the flight [rad]; default that of the rocket's maximum range.
    dt_s : float
        RK4 step [s].

    Returns
    -------
    float
        ``thrust_n`` [N], by Brent's method over ``[1, 1e7]`` N (sea level, no wind).
    """
    rocket = _as_rocket(rocket)
    target = rocket.published_burnout_speed_mps if burnout_speed_mps is None else burnout_speed_mps
    if target is None:
        raise ScenarioError("no burnout speed to calibrate against",
                            field="published_burnout_speed_mps")
    if elevation_rad is None:
        _, elevation_rad = max_range(rocket, dt_s=dt_s)
    params, drag_mach, drag_cd = rocket_arrays(rocket)

    def miss(thrust_n: float) -> float:
        trial = params.copy()
        trial[_traj.ROCKET_THRUST_N] = thrust_n
        summary = _impact(trial, drag_mach, drag_cd, elevation_rad, dt_s=dt_s)
        return summary[_traj.SUMMARY_BURNOUT_SPEED_MPS] - target

    lo = rocket.launch_mass_kg * G0_MPS2 * 1.05  # at least lift off the tube's end
    from scipy.optimize import brentq  # here, not at import: start-up time
    return float(brentq(miss, lo, 1e7, xtol=1e-9, rtol=1e-12))


def calibrate(rocket: RocketClass | str, *, dt_s: float = DEFAULT_DT_S, max_iter: int = 20,
              ) -> RocketClass:
    """Calibrate thrust to the published burnout speed and drag to the published max range.

    The two interact (drag slows the boost, thrust sets the range), so they are solved in turn
    until neither moves by more than 1e-10 relative.

    Parameters
    ----------
    rocket : RocketClass or str
        Needs ``published_burnout_speed_mps`` and ``max_range_m``.
    dt_s : float
        RK4 step [s].
    max_iter : int
        Alternations allowed.

    Returns
    -------
    RocketClass
        A copy with ``thrust_n`` and ``drag_form_factor`` calibrated (unrounded).
    """
    current = _as_rocket(rocket)
    for _ in range(max_iter):
        thrust_n = calibrate_thrust_n(current, dt_s=dt_s)
        current = current.model_copy(update={"thrust_n": thrust_n})
        form = calibrate_drag_form_factor(current, dt_s=dt_s)
        previous = current
        current = current.model_copy(update={"drag_form_factor": form})
        if abs(form / previous.drag_form_factor - 1.0) < 1e-10:
            thrust_check = calibrate_thrust_n(current, dt_s=dt_s)
            if abs(thrust_check / thrust_n - 1.0) < 1e-10:
                break
    return RocketClass.model_validate(current.model_dump())


# --------------------------------------------------------------------------- families


@dataclass(frozen=True)
class TrajectoryFamily:
    """Precomputed flights of one rocket class on an (elevation, relative wind azimuth) grid.

    The grid is ordered so that the no-wind range rises with the index, the one order the
    fire-control lookup (:func:`forceprot.flight.family.elevation_index`) knows: on the low
    branch the elevation rises from ``min_elevation_deg`` to the max-range elevation; on the
    high branch it falls from :data:`HIGH_ANGLE_MAX_ELEVATION_DEG` to the max-range elevation
    (negative step).

    Attributes
    ----------
    elevation_min_rad : float
        First grid elevation [rad]: the rocket's ``min_elevation_deg`` on the low branch,
        :data:`HIGH_ANGLE_MAX_ELEVATION_DEG` on the high branch (the name is historical).
    elevation_step_rad : float
        Uniform elevation step [rad], negative on the high branch; the last grid elevation is
        that of max range (no wind).
    relaz_step_rad : float
        Relative wind azimuth step ``2 pi / n_relaz`` [rad].
    node_pos_m : ndarray of float64, shape (n_elev, n_relaz, n_nodes, 3)
        ``(downrange, left, up)`` [m] in the flight frame from the launcher's ground point; node
        ``k`` at ``k / (n_nodes - 1)`` of the time of flight, node 0 the muzzle, the last the
        impact (up = 0). Read-only.
    node_vel_mps : ndarray of float64, shape (n_elev, n_relaz, n_nodes, 3)
        Velocity at each node [m/s]. Read-only.
    tof_s : ndarray of float64, shape (n_elev, n_relaz)
        Time of flight [s]. Read-only.
    range_nowind_m : ndarray of float64, shape (n_elev,)
        No-wind ground range at each grid elevation [m], strictly increasing (fire control).
    wind_speed_mps : float
        Wind speed the family was flown in [m/s].
    min_range_m : float
        ``max(rocket.min_range_m, range_nowind_m[0])`` [m].
    max_range_m : float
        ``range_nowind_m[-1]`` [m].
    branch : str
        ``"low"`` (flat solutions) or ``"high"`` (steep solutions).
    """

    elevation_min_rad: float
    elevation_step_rad: float
    relaz_step_rad: float
    node_pos_m: np.ndarray
    node_vel_mps: np.ndarray
    tof_s: np.ndarray
    range_nowind_m: np.ndarray
    wind_speed_mps: float
    min_range_m: float
    max_range_m: float
    branch: str = "low"

    @property
    def elevations_rad(self) -> np.ndarray:
        """Grid elevations [rad], shape (n_elev,)."""
        n = self.node_pos_m.shape[0]
        return self.elevation_min_rad + self.elevation_step_rad * np.arange(n)

    def range_at_elevation(self, elevation_rad: float) -> float:
        """No-wind ground range [m] at a quadrant elevation of this branch, by linear
        interpolation of ``range_nowind_m`` (the inverse of :meth:`elevation_for_range`); NaN
        outside the grid."""
        fe = (elevation_rad - self.elevation_min_rad) / self.elevation_step_rad
        n = self.range_nowind_m.shape[0]
        if not -1e-9 <= fe <= n - 1 + 1e-9:
            return math.nan
        return float(np.interp(min(max(fe, 0.0), n - 1.0), np.arange(n), self.range_nowind_m))

    def elevation_index(self, elevation_rad: float) -> float:
        """Fractional grid index of a quadrant elevation [rad] of this branch (clipped)."""
        fe = (elevation_rad - self.elevation_min_rad) / self.elevation_step_rad
        return float(min(max(fe, 0.0), self.range_nowind_m.shape[0] - 1.0))

    def elevation_for_range(self, range_m: float) -> float:
        """Quadrant elevation of this family's branch for a no-wind ground range (fire control).

        Parameters
        ----------
        range_m : float
            Ground range [m].

        Returns
        -------
        float
            Elevation [rad], by inverse linear interpolation of ``range_nowind_m``
            (:func:`forceprot.flight.family.elevation_for_range`, the kernel's lookup); NaN
            outside ``[min_range_m, max_range_m]``.
        """
        if not self.min_range_m <= range_m <= self.max_range_m:
            return math.nan
        from forceprot.flight.family import elevation_for_range

        return float(elevation_for_range(self.range_nowind_m, self.elevation_min_rad,
                                         self.elevation_step_rad, float(range_m)))


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


# ----------------------------------------------------------------- family cache on disk

FAMILY_CACHE_ENV = "FORCEPROT_CACHE_DIR"  # folder of cached families; overrides the default
_FAMILY_ARRAYS = ("node_pos_m", "node_vel_mps", "tof_s", "range_nowind_m")
_FAMILY_SCALARS = ("elevation_min_rad", "elevation_step_rad", "relaz_step_rad",
                   "wind_speed_mps", "min_range_m", "max_range_m")


def family_cache_dir() -> Path | None:
    """Folder of the on-disk trajectory-family cache, created if need be.

    Returns
    -------
    Path or None
        ``$FORCEPROT_CACHE_DIR`` if set and not empty, else ``forceprot`` under
        ``$XDG_CACHE_HOME`` (default ``~/.cache``); None when the folder cannot be created
        (caching is then skipped).
    """
    chosen = os.environ.get(FAMILY_CACHE_ENV)
    if chosen:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                  ".cache")
        folder = Path(base) / "forceprot"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if folder.is_dir() else None


def _rocket_flight_key(rocket: RocketClass) -> str:
    """The rocket class as the disk caches key it: every field but the warhead's damage radii,
    which do not change the flight."""
    return rocket.model_dump_json(exclude={"lethal_radius_m", "wounding_radius_m"})


def _family_cache_key(rocket: RocketClass, wind_speed_mps: float, ground_altitude_m: float,
                      n_elevations: int, n_relaz: int, n_nodes: int, dt_s: float,
                      branch: str = "low") -> str:
    """Canonical text of everything a family depends on (hashed for the file name); the low
    branch keeps the key it had before branches existed."""
    extra = {} if branch == "low" else {"branch": branch}
    return json.dumps({
        **extra,
        "flight_model_version": _traj.FLIGHT_MODEL_VERSION,
        "rocket": _rocket_flight_key(rocket),
        "wind_speed_mps": wind_speed_mps,
        "ground_altitude_m": ground_altitude_m,
        "n_elevations": n_elevations,
        "n_relaz": n_relaz,
        "n_nodes": n_nodes,
        "dt_s": dt_s,
    }, sort_keys=True)


def _family_cache_path(folder: Path, key: str) -> Path:
    return folder / f"family-{hashlib.sha256(key.encode()).hexdigest()}.npz"


def _load_family(path: Path, key: str, shape: tuple[int, int, int], branch: str = "low",
                 ) -> TrajectoryFamily | None:
    """A family from a cache file; None when missing, unreadable, corrupt or not this key."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            arrays = {name: np.ascontiguousarray(data[name], dtype=np.float64)
                      for name in _FAMILY_ARRAYS}
            scalars = {name: float(data[name]) for name in _FAMILY_SCALARS}
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None  # unreadable or corrupt: a miss, rebuilt and overwritten
    n_elevations, n_relaz, n_nodes = shape
    expected = {"node_pos_m": (n_elevations, n_relaz, n_nodes, 3),
                "node_vel_mps": (n_elevations, n_relaz, n_nodes, 3),
                "tof_s": (n_elevations, n_relaz), "range_nowind_m": (n_elevations,)}
    if any(arrays[name].shape != expected[name] for name in _FAMILY_ARRAYS):
        return None
    if not (all(np.all(np.isfinite(a)) for a in arrays.values())
            and all(math.isfinite(v) for v in scalars.values())
            and np.all(np.diff(arrays["range_nowind_m"]) > 0.0)):
        return None
    return TrajectoryFamily(**{name: _readonly(a) for name, a in arrays.items()}, **scalars,
                            branch=branch)


def _store_family(path: Path, key: str, family: TrajectoryFamily) -> None:
    """Write a family to the cache atomically (:func:`forceprot.atomic.atomic_file`,
    which also clears temps of killed processes); an unwritable cache only costs a rebuild."""
    from forceprot.atomic import atomic_file

    try:
        with atomic_file(path, overwrite=True) as tmp:  # same key, same family: last one wins
            with open(tmp, "wb") as handle:
                np.savez(handle, key=np.array(key),
                         **{name: getattr(family, name) for name in _FAMILY_ARRAYS},
                         **{name: np.float64(getattr(family, name)) for name in _FAMILY_SCALARS})
    except (OSError, OutputError):
        return


# ----------------------------------------------------------------- family build


def _compute_family(rocket: RocketClass, wind_speed_mps: float, ground_altitude_m: float,
                    n_elevations: int, n_relaz: int, n_nodes: int, dt_s: float,
                    branch: str = "low") -> TrajectoryFamily:
    params, drag_mach, drag_cd = rocket_arrays(rocket)
    _, elevation_max = max_range(rocket, ground_altitude_m=ground_altitude_m, dt_s=dt_s)
    if branch == "low":
        elevation_min = math.radians(rocket.min_elevation_deg)
    else:  # steepest first: range rises with the index on both branches
        elevation_min = _MAX_ELEVATION_SEARCH_RAD
    elevations = np.linspace(elevation_min, elevation_max, n_elevations)
    relaz = 2.0 * math.pi / n_relaz * np.arange(n_relaz)
    max_time, capacity = _path_capacity(rocket, params, dt_s)
    node_pos = np.empty((n_elevations, n_relaz, n_nodes, 3))
    node_vel = np.empty((n_elevations, n_relaz, n_nodes, 3))
    tof = np.empty((n_elevations, n_relaz))
    failures = _family.build_family(elevations, relaz, wind_speed_mps, ground_altitude_m, params,
                                    drag_mach, drag_cd, dt_s, max_time, np.empty(capacity),
                                    np.empty((capacity, 6)), node_pos, node_vel, tof)
    if failures:
        raise _no_impact(rocket, f"{failures} flight(s) of its trajectory family")
    if wind_speed_mps == 0.0:
        range_nowind = node_pos[:, 0, -1, 0].copy()
    else:
        range_nowind = np.empty(n_elevations)
        _family.ground_ranges(elevations, ground_altitude_m, params, drag_mach, drag_cd, dt_s,
                              max_time, range_nowind)
    if not np.all(np.diff(range_nowind) > 0.0):
        if branch != "low":
            raise ScenarioError(
                f"no-wind range does not fall strictly with elevation between the max-range "
                f"elevation and {HIGH_ANGLE_MAX_ELEVATION_DEG:g} deg; no high-angle family",
                field="threat.elevation", value=branch)
        raise ScenarioError(
            "no-wind range does not rise strictly with elevation between min_elevation_deg and "
            "the max-range elevation; raise min_elevation_deg or n_elevations",
            field="min_elevation_deg", value=rocket.min_elevation_deg)
    return TrajectoryFamily(
        elevation_min_rad=elevation_min,
        elevation_step_rad=float(elevations[1] - elevations[0]),
        relaz_step_rad=2.0 * math.pi / n_relaz,
        node_pos_m=_readonly(node_pos),
        node_vel_mps=_readonly(node_vel),
        tof_s=_readonly(tof),
        range_nowind_m=_readonly(range_nowind),
        wind_speed_mps=wind_speed_mps,
        min_range_m=max(rocket.min_range_m, float(range_nowind[0])),
        max_range_m=float(range_nowind[-1]),
        branch=branch,
    )


@functools.lru_cache(maxsize=16)
def _build_family_cached(rocket: RocketClass, wind_speed_mps: float, ground_altitude_m: float,
                         n_elevations: int, n_relaz: int, n_nodes: int, dt_s: float,
                         branch: str = "low") -> TrajectoryFamily:
    sizes = (n_elevations, n_relaz, n_nodes)
    folder = family_cache_dir()
    if folder is None:
        return _compute_family(rocket, wind_speed_mps, ground_altitude_m, *sizes, dt_s, branch)
    key = _family_cache_key(rocket, wind_speed_mps, ground_altitude_m, *sizes, dt_s, branch)
    path = _family_cache_path(folder, key)
    family = _load_family(path, key, sizes, branch)
    if family is None:
        family = _compute_family(rocket, wind_speed_mps, ground_altitude_m, *sizes, dt_s,
                                 branch)
        _store_family(path, key, family)
    return family


def build_family(rocket: RocketClass | str, *, wind_speed_mps: float = 0.0,
                 ground_altitude_m: float = 0.0, n_elevations: int = 112,
                 n_relaz: int | None = None, n_nodes: int = 33, dt_s: float = DEFAULT_DT_S,
                 branch: str = "low") -> TrajectoryFamily:
    """Build (or fetch from the memo or the disk cache) the trajectory family of a rocket class.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class, or the key of a bundled one.
    wind_speed_mps : float
        Wind speed [m/s], >= 0.
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].
    n_elevations : int
        Grid elevations from ``min_elevation_deg`` to the max-range elevation, >= 2.
    n_relaz : int, optional
        Relative wind azimuths over the full circle; default 1 without wind, 24 with.
    n_nodes : int
        Time samples per flight, >= 2 (33: node spacing ~0.9 s for 107 mm, ~2.4 s for 122 mm at
        max range).
    dt_s : float
        RK4 step [s].
    branch : {"low", "high"}
        Low-angle family (``min_elevation_deg`` up to the max-range elevation) or high-angle
        family (:data:`HIGH_ANGLE_MAX_ELEVATION_DEG` down to the max-range elevation); either
        way the no-wind range rises with the grid index.

    Returns
    -------
    TrajectoryFamily
        Memoized per (rocket, wind, altitude, sizes, step, branch); its arrays are read-only.

    Notes
    -----
    Default grid (112 x 24 x 33), measured against direct integration at random and swept
    (elevation, relaz) for wind 0 to 8 m/s (table in :mod:`forceprot.flight.family`): impact
    within 0.4 % of range, path within 14 m after the node interval that holds burnout (19.5 m
    inside it after burnout, 43 m during the boost). 64 elevations miss the impact by up to
    0.76 % (122 mm, 3.6 deg, 8 m/s head wind: range changes fastest with elevation on the flat,
    ground-skimming shots), 96 by 0.49 %; 16 relative wind azimuths leave the 122 mm path 30 m
    off in an 8 m/s wind, 24 hold it to 14 m.

    A built family is kept in memory (``functools.lru_cache``) and on disk: an ``.npz`` file in
    :func:`family_cache_dir`, named by the SHA-256 of the rocket's ``model_dump_json()``, the
    wind, altitude, grid sizes, step and ``forceprot.flight.FLIGHT_MODEL_VERSION``. It is
    written to a temporary file and moved into place; an unreadable, corrupt or mismatching
    file is rebuilt and overwritten, and an uncreatable folder just skips the disk cache.
    """
    rocket = _as_rocket(rocket)
    if not (math.isfinite(wind_speed_mps) and wind_speed_mps >= 0.0):
        raise ScenarioError("must be a finite number >= 0", field="wind_speed_mps",
                            value=wind_speed_mps)
    if n_relaz is None:
        n_relaz = 1 if wind_speed_mps == 0.0 else 24
    for name, value, low in (("n_elevations", n_elevations, 2), ("n_relaz", n_relaz, 1),
                             ("n_nodes", n_nodes, 2)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not dt_s > 0.0:
        raise ValueError(f"dt_s must be > 0, got {dt_s!r}")
    if branch not in ("low", "high"):
        raise ValueError(f"branch must be 'low' or 'high', got {branch!r}")
    return _build_family_cached(rocket, float(wind_speed_mps), float(ground_altitude_m),
                                int(n_elevations), int(n_relaz), int(n_nodes), float(dt_s),
                                branch)


# --------------------------------------------------------------------------- fire control


def relative_wind_azimuth_rad(wind_from_deg: float, firing_azimuth_deg: float) -> float:
    """Relative wind azimuth from compass bearings.

    Parameters
    ----------
    wind_from_deg : float
        Compass bearing the wind comes from (meteorological), clockwise from north [deg].
    firing_azimuth_deg : float
        Compass bearing of the line of fire, clockwise from north [deg].

    Returns
    -------
    float
        Direction the wind blows toward minus the firing direction, counter-clockwise, in
        ``[-pi, pi)`` [rad].
    """
    toward_deg = wind_from_deg + 180.0
    relaz_deg = firing_azimuth_deg - toward_deg  # compass is clockwise, relaz counter-clockwise
    return math.radians((relaz_deg + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class TrajectorySolution:
    """Fire-control solution for one requested range and the flight it gives.

    The crew lays for no wind (the low- or high-angle elevation whose no-wind range is the
    requested range, or a fixed elevation and the range it reaches); the flight itself feels
    the wind, so ``range_m`` and ``drift_m`` show the wind's effect.

    Attributes
    ----------
    rocket : str
        Bundled key or label of the rocket class.
    requested_range_m : float
        Range asked for [m].
    elevation_deg : float
        Quadrant elevation laid [deg].
    range_m : float
        Achieved downrange distance of the impact along the line of fire [m].
    drift_m : float
        Lateral offset of the impact, positive to the left of the line of fire [m].
    tof_s, apogee_m, impact_speed_mps, impact_angle_deg, burnout_speed_mps : float
        Time of flight [s], highest point above the ground [m], impact ground speed [m/s],
        impact angle below the horizontal [deg], ground speed at burnout [m/s]; the muzzle
        speed and time in the tube are ``path.muzzle_speed_mps`` and ``path.tube_time_s``.
    wind_speed_mps, wind_from_deg, firing_azimuth_deg : float
        The conditions flown [m/s, deg, deg].
    path : Trajectory
        The flight, in the flight frame.
    angle : str
        ``"low"``, ``"high"`` or ``"fixed"`` (a fixed elevation; ``requested_range_m`` is then
        the no-wind range it reaches).
    """

    rocket: str
    requested_range_m: float
    elevation_deg: float
    range_m: float
    drift_m: float
    tof_s: float
    apogee_m: float
    impact_speed_mps: float
    impact_angle_deg: float
    burnout_speed_mps: float
    wind_speed_mps: float
    wind_from_deg: float
    firing_azimuth_deg: float
    path: Trajectory
    angle: str = "low"

    def to_dict(self) -> dict[str, float | str]:
        """JSON-ready summary, keys with units."""
        return {
            "angle": self.angle,
            "elevation_deg": self.elevation_deg,
            "time_of_flight_s": self.tof_s,
            "apogee_m": self.apogee_m,
            "impact_speed_mps": self.impact_speed_mps,
            "impact_angle_deg": self.impact_angle_deg,
            "burnout_speed_mps": self.burnout_speed_mps,
            "muzzle_speed_mps": self.path.muzzle_speed_mps,
            "tube_time_s": self.path.tube_time_s,
            "range_m": self.range_m,
            "requested_range_m": self.requested_range_m,
            "drift_m": self.drift_m,
        }


def range_limits(rocket: RocketClass | str, *, ground_altitude_m: float = 0.0,
                 dt_s: float = DEFAULT_DT_S, branch: str = "low") -> tuple[float, float]:
    """Ranges fire control can reach on one branch, no wind.

    Low branch: ``[max(min_range_m, range at min_elevation_deg), max range]``; high branch:
    ``[max(min_range_m, range at HIGH_ANGLE_MAX_ELEVATION_DEG), max range]``.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class.
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].
    dt_s : float
        RK4 step [s].
    branch : {"low", "high"}
        Flat or steep solutions.

    Returns
    -------
    min_range_m, max_range_m : float
        [m], no wind.
    """
    rocket = _as_rocket(rocket)
    reach, _ = max_range(rocket, ground_altitude_m=ground_altitude_m, dt_s=dt_s)
    params, drag_mach, drag_cd = rocket_arrays(rocket)
    edge_rad = (math.radians(rocket.min_elevation_deg) if branch == "low"
                else _MAX_ELEVATION_SEARCH_RAD)
    shortest = _range_nowind(params, drag_mach, drag_cd, edge_rad, ground_altitude_m, dt_s)
    return max(rocket.min_range_m, shortest), reach


def _parse_angle(angle: str | float) -> str | float:
    """``"low"``, ``"high"`` or a quadrant elevation in degrees, checked."""
    if isinstance(angle, str):
        text = angle.strip().lower()
        if text in ("low", "high"):
            return text
        try:
            angle = float(text)
        except ValueError:
            raise ScenarioError("must be 'low', 'high' or a quadrant elevation in degrees",
                                field="angle", value=angle) from None
    if not (math.isfinite(angle) and 1.0 <= angle <= HIGH_ANGLE_MAX_ELEVATION_DEG):
        raise ScenarioError(f"a quadrant elevation must be within [1, "
                            f"{HIGH_ANGLE_MAX_ELEVATION_DEG:g}] deg", field="angle", value=angle)
    return float(angle)


def solve_trajectory(rocket: RocketClass | str, range_m: float | None = None, *,
                     angle: str | float = "low", wind_speed_mps: float = 0.0,
                     wind_from_deg: float = 0.0, firing_azimuth_deg: float = 0.0,
                     ground_altitude_m: float = 0.0, dt_s: float = DEFAULT_DT_S,
                     ) -> TrajectorySolution:
    """Lay for a range (no wind) on the low or high branch, or at a fixed elevation, and fly
    the shot in the given wind.

    Parameters
    ----------
    rocket : RocketClass or str
        The rocket class, or the key of a bundled one (``"107mm"``, ``"122mm"``).
    range_m : float, optional
        Ground range wanted [m], within :func:`range_limits` of the branch. Required for
        ``angle`` ``"low"`` and ``"high"``; not allowed with a fixed elevation (the range is
        then what the elevation reaches without wind).
    angle : {"low", "high"} or float
        The flat solution, the steep one (above the max-range elevation), or a fixed quadrant
        elevation [deg] in ``[1, HIGH_ANGLE_MAX_ELEVATION_DEG]``.
    wind_speed_mps : float
        Wind speed [m/s], >= 0.
    wind_from_deg : float
        Compass bearing the wind comes from [deg] (meteorological convention).
    firing_azimuth_deg : float
        Compass bearing of the line of fire [deg].
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].
    dt_s : float
        RK4 step [s].

    Returns
    -------
    TrajectorySolution

    Raises
    ------
    ScenarioError
        ``range_m`` outside the branch's ranges, missing or superfluous, a bad angle, wind or
        rocket name.
    """
    rocket = _as_rocket(rocket)
    name = _rocket_name(rocket)
    angle = _parse_angle(angle)
    for field, value in (("wind_speed_mps", wind_speed_mps), ("wind_from_deg", wind_from_deg),
                         ("firing_azimuth_deg", firing_azimuth_deg),
                         ("ground_altitude_m", ground_altitude_m)):
        if not math.isfinite(value):
            raise ScenarioError("must be a finite number", field=field, value=value)
    if wind_speed_mps < 0.0:
        raise ScenarioError("must be >= 0", field="wind_speed_mps", value=wind_speed_mps)
    params, drag_mach, drag_cd = rocket_arrays(rocket)
    if isinstance(angle, float):
        if range_m is not None:
            raise ScenarioError("give a range or a fixed elevation (angle in degrees), not both",
                                field="range_m", value=range_m)
        elevation = math.radians(angle)
        range_m = _range_nowind(params, drag_mach, drag_cd, elevation, ground_altitude_m, dt_s)
    else:
        if range_m is None:
            raise ScenarioError(f"a range is required with angle {angle!r}", field="range_m")
        low, high = range_limits(rocket, ground_altitude_m=ground_altitude_m, dt_s=dt_s,
                                 branch=angle)
        if not (math.isfinite(range_m) and low <= range_m <= high):
            raise ScenarioError(f"must be within [{low:.0f}, {high:.0f}] m for {name} at "
                                f"{angle} angle", field="range_m", value=range_m)
        _, elevation_max = max_range(rocket, ground_altitude_m=ground_altitude_m, dt_s=dt_s)
        edge = (math.radians(rocket.min_elevation_deg) if angle == "low"
                else _MAX_ELEVATION_SEARCH_RAD)

        def miss(elevation_rad: float) -> float:
            return _range_nowind(params, drag_mach, drag_cd, elevation_rad, ground_altitude_m,
                                 dt_s) - range_m

        if range_m >= high:
            elevation = elevation_max
        else:
            from scipy.optimize import brentq  # here, not at import: start-up time
            lo, hi = sorted((edge, elevation_max))
            elevation = float(brentq(miss, lo, hi, xtol=_ELEVATION_XTOL_RAD))
    relaz = relative_wind_azimuth_rad(wind_from_deg, firing_azimuth_deg)
    path = fly(rocket, elevation, relaz_rad=relaz, wind_speed_mps=wind_speed_mps,
               ground_altitude_m=ground_altitude_m, dt_s=dt_s)
    return TrajectorySolution(
        rocket=name,
        requested_range_m=float(range_m),
        elevation_deg=math.degrees(elevation),
        range_m=path.range_m,
        drift_m=path.drift_m,
        tof_s=path.tof_s,
        apogee_m=path.apogee_m,
        impact_speed_mps=path.impact_speed_mps,
        impact_angle_deg=path.impact_angle_deg,
        burnout_speed_mps=path.burnout_speed_mps,
        wind_speed_mps=float(wind_speed_mps),
        wind_from_deg=float(wind_from_deg),
        firing_azimuth_deg=float(firing_azimuth_deg),
        path=path,
        angle=angle if isinstance(angle, str) else "fixed",
    )


# --------------------------------------------------------------------------- output


def write_path(solution: TrajectorySolution, path: str | os.PathLike, *,
               overwrite: bool = False) -> Path:
    """Write the flight path of a solution as CSV or JSON, chosen by the file suffix.

    Columns ``t_s, x_m, y_m, z_m, vx_mps, vy_mps, vz_mps`` in the flight frame (x downrange,
    y left of the line of fire, z up; origin on the ground below the muzzle). JSON holds the
    same columns as lists under ``"path"``, with the solution summary under ``"solution"``.

    Parameters
    ----------
    solution : TrajectorySolution
        The solved flight.
    path : str or os.PathLike
        Target file, ``.csv`` or ``.json``. Written to a temporary file beside it, then moved
        into place (:func:`forceprot.atomic.atomic_file`), so a reader never sees half
        a file.
    overwrite : bool
        False refuses to replace an existing file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OutputError
        Unknown suffix, missing folder, existing file without ``overwrite``, or an OS error.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _PATH_SUFFIXES:
        raise OutputError(f"unknown suffix {target.suffix!r}, must be one of: "
                          f"{', '.join(_PATH_SUFFIXES)}", field="path", value=str(target))
    if not target.parent.is_dir():
        raise OutputError("folder does not exist", field="path", value=str(target))
    if target.exists() and not overwrite:
        raise OutputError("file exists (pass --overwrite to replace it)", field="path",
                          value=str(target))
    traj = solution.path
    table = np.column_stack([traj.t_s, traj.pos_m, traj.vel_mps])
    from forceprot.atomic import atomic_file

    try:
        with atomic_file(target, overwrite=overwrite) as tmp, \
                open(tmp, "w", newline="") as handle:
            if suffix == ".csv":
                np.savetxt(handle, table, delimiter=",", fmt="%.9g",
                           header=",".join(_PATH_COLUMNS), comments="")
            else:
                document = {
                    "rocket": solution.rocket,
                    "frame": "x downrange along the line of fire, y left of it, z up; origin on "
                             "the ground below the muzzle",
                    "solution": solution.to_dict(),
                    "path": {name: table[:, k].tolist() for k, name in enumerate(_PATH_COLUMNS)},
                }
                json.dump(document, handle, indent=1)
                handle.write("\n")
    except OutputError as err:
        raise OutputError(err.message, field="path", value=str(target)) from None
    except OSError as err:
        raise OutputError(f"cannot write: {err.strerror or err}", field="path",
                          value=str(target)) from None
    return target
