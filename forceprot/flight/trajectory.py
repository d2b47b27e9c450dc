"""Point-mass flight of an unguided rocket: fixed-step RK4 over a flat earth.

Only numpy and numba. Parameters arrive as floats and arrays; :mod:`forceprot.ballistics`
turns a ``RocketClass`` into them.

Frame (the *flight frame*): ``x`` downrange along the firing direction, ``y`` to the left of
it, ``z`` up (right-handed), origin on the ground below the muzzle. The state is
``(x, y, z, vx, vy, vz)`` in m and m/s, velocities relative to the ground, and during the burn
the body axis ``(bx, by, bz)``.

Model
-----
- launch: the rocket starts at rest in a tube of ``tube_length_m`` and the motor pushes it out
  along the tube (:func:`tube_exit`, closed form: thrust against the along-tube weight, mass
  falling with the burn, no drag or friction inside); it leaves at a *computed* muzzle speed
  with the rest of the burn to come, so the motor's total impulse is spent once. Path times
  and the time of flight count from leaving the tube;
- gravity: constant ``g0 = 9.80665 m/s^2`` down;
- thrust: constant ``thrust_n`` for ``burn_time_s`` (tube phase included), along the rocket's
  body axis ``b`` (a unit vector, see *Weathercocking* below);
- mass: linear from ``launch_mass_kg`` to ``burnout_mass_kg`` over the burn, then constant;
- drag: ``0.5 rho(h) |v_air|^2 Cd(M) A`` against ``v_air = v - wind``, ``M = |v_air| / a(h)``,
  ISA ``rho`` and ``a`` at geometric altitude ``h = ground_altitude_m + z``;
- wind: constant, horizontal, in the flight frame.

Weathercocking
--------------
A fin-stabilised rocket turns its nose into the relative wind, but not at once: the
aerodynamic restoring moment grows with dynamic pressure, so at tube exit (28-43 m/s) the body
barely turns and it lines up with the air-relative velocity only once it is fast. During the
burn the state carries the body axis ``b``, which leaves the tube along the tube
(``(cos QE, 0, sin QE)``) and relaxes toward the unit air-relative velocity
``a_hat = v_air / |v_air|``::

    db/dt = (a_hat - (a_hat . b) b) / tau,
    tau   = weathercock_tau_s * (V_REF / |v_air|) * sqrt(RHO_REF / rho)

with ``V_REF = 300 m/s`` and ``RHO_REF = 1.225 kg/m^3``: the restoring-moment frequency is
proportional to ``sqrt(q)``, i.e. to ``|v_air| sqrt(rho)``, and ``weathercock_tau_s`` is the
alignment time constant at 300 m/s at sea level. ``b`` is renormalised after every step. After
burnout the thrust is zero and ``b`` plays no part (drag always acts along ``v_air``).

When ``tau`` at the start of a step is shorter than the step itself, the step takes the
quasi-steady limit ``b = a_hat`` (thrust along the air-relative velocity): an explicit step
cannot follow so fast a relaxation, and the lag it would resolve (``tau`` times the turn rate of
``a_hat``) is less than the turn of ``a_hat`` over one step. The bundled classes never get there
at the default 0.01 s step (their shortest ``tau``, at burnout, is 0.05 s). A parameter
``weathercock_tau_s = 0`` (or any tiny value) therefore gives instantaneous alignment
throughout, the model before the body axis was added.

With no wind, ``b`` only lags ``a_hat`` by the gravity turn of the boost: under 0.2 deg at
burnout. That lag matters only while the rocket is slow: where instantaneous alignment lets
gravity bend the path of a slow rocket and the thrust follows the bend, the body axis keeps
pushing along the tube line, so flat shots fly much further; the maximum range is unchanged
(within 0.1 %).

In a wind, instantaneous alignment turns a rocket leaving the tube at a few tens of m/s by
about ``wind / muzzle speed`` into the wind and moves its impact by kilometres; with the body
axis it turns only as it gains speed, and the net effect is a modest one. Laid for the range
with no wind (sea level), then flown in an 8 m/s wind (flight model 3; the time constant is
uncertain, see ``docs/rockets.md`` for its range and the unit-wind table):

=============  ==========================  ====================  ======================
class, range   model                       head / tail wind      crosswind offset
=============  ==========================  ====================  ======================
107 mm, 6 km   instantaneous alignment                           1532 m upwind (26 %)
107 mm, 6 km   body axis, tau 0.08 s       -348 m / +374 m       335 m upwind (5.6 %)
107 mm, 6 km   axis held (tau 10 s)        -142 m / +145 m       47 m downwind
122 mm, 15 km  instantaneous alignment                           2585 m upwind (17 %)
122 mm, 15 km  body axis, tau 0.12 s       -600 m / +641 m       789 m upwind (5.3 %)
=============  ==========================  ====================  ======================

Upwind: weathercocking during the boost outweighs the downwind drag drift of the coast, which
alone, with a body that hardly turns, moves the impact tens of metres downwind.

Classical RK4 with a fixed step; the step that would straddle burnout is split at burnout
(the thrust and mass-flow discontinuity), so every step integrates a smooth right-hand side.
Ground impact (``z`` crossing 0 downwards) and the apex are located inside their step by
cubic Hermite interpolation of the step's end positions and velocities, exact for the
parabola of vacuum flight.

Thrust off: pass ``rocket[ROCKET_THRUST_N] = 0`` (with ``rocket[ROCKET_TUBE_LENGTH_M] = 0`` the
rocket then falls from rest at the muzzle; with a tube it never leaves it, ``FLIGHT_NO_LIFTOFF``).
Drag off: pass ``rocket[ROCKET_AREA_M2] = 0``
(the weathercocking still feels the ISA density). Instantaneous alignment: pass
``rocket[ROCKET_WEATHERCOCK_TAU_S] = 0``.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from forceprot.flight.atmosphere import G0_MPS2, isa_density_sound_speed
from forceprot.flight.drag import drag_coefficient

__all__ = [
    "FLIGHT_MODEL_VERSION",
    "ROCKET_THRUST_N",
    "ROCKET_BURN_TIME_S",
    "ROCKET_LAUNCH_MASS_KG",
    "ROCKET_BURNOUT_MASS_KG",
    "ROCKET_AREA_M2",
    "ROCKET_TUBE_LENGTH_M",
    "ROCKET_LAUNCH_HEIGHT_M",
    "ROCKET_WEATHERCOCK_TAU_S",
    "N_ROCKET_PARAMS",
    "WEATHERCOCK_V_REF_MPS",
    "WEATHERCOCK_RHO_REF_KG_M3",
    "SUMMARY_TOF_S",
    "SUMMARY_X_M",
    "SUMMARY_Y_M",
    "SUMMARY_VX_MPS",
    "SUMMARY_VY_MPS",
    "SUMMARY_VZ_MPS",
    "SUMMARY_APOGEE_M",
    "SUMMARY_BURNOUT_SPEED_MPS",
    "SUMMARY_BURNOUT_LAG_RAD",
    "SUMMARY_MUZZLE_SPEED_MPS",
    "SUMMARY_TUBE_TIME_S",
    "N_SUMMARY",
    "FLIGHT_TIMEOUT",
    "FLIGHT_PATH_FULL",
    "FLIGHT_NO_LIFTOFF",
    "tube_exit",
    "derivatives",
    "weathercock_tau",
    "rk4_step",
    "hermite",
    "integrate",
    "path_capacity",
]

# Version of the flight model's numbers: bump it whenever a change here or in family.py moves
# any flight, so that trajectory families cached on disk (forceprot.ballistics) are rebuilt.
# 1: thrust along the air-relative velocity; 2: thrust along a weathercocking body axis;
# 3: the flight starts at rest in the tube, the tube phase paid from the motor.
FLIGHT_MODEL_VERSION = 3

# Layout of the rocket parameter vector (float64, shape (N_ROCKET_PARAMS,)).
ROCKET_THRUST_N = 0  # N, 0 turns thrust off
ROCKET_BURN_TIME_S = 1  # s
ROCKET_LAUNCH_MASS_KG = 2  # kg
ROCKET_BURNOUT_MASS_KG = 3  # kg
ROCKET_AREA_M2 = 4  # m^2, reference area for drag; 0 turns drag off
ROCKET_TUBE_LENGTH_M = 5  # m, travel along the launch tube from rest to the muzzle
ROCKET_LAUNCH_HEIGHT_M = 6  # m, muzzle height above the ground
# s, body-axis alignment time constant at V_REF, RHO_REF; 0 aligns the thrust with the
# air-relative velocity at once
ROCKET_WEATHERCOCK_TAU_S = 7
N_ROCKET_PARAMS = 8

WEATHERCOCK_V_REF_MPS = 300.0  # m/s, reference air speed of ROCKET_WEATHERCOCK_TAU_S
WEATHERCOCK_RHO_REF_KG_M3 = 1.225  # kg/m^3, reference air density (ISA sea level)

# Layout of the flight summary vector (float64, shape (N_SUMMARY,)).
SUMMARY_TOF_S = 0  # s, time of flight to ground impact
SUMMARY_X_M = 1  # m, impact downrange
SUMMARY_Y_M = 2  # m, impact left of the line of fire
SUMMARY_VX_MPS = 3  # m/s, impact velocity
SUMMARY_VY_MPS = 4  # m/s
SUMMARY_VZ_MPS = 5  # m/s
SUMMARY_APOGEE_M = 6  # m, highest point above the ground
SUMMARY_BURNOUT_SPEED_MPS = 7  # m/s, ground speed at burnout (NaN if the flight ends first)
SUMMARY_BURNOUT_LAG_RAD = 8  # rad, angle from the body axis to v_air at burnout (NaN likewise)
SUMMARY_MUZZLE_SPEED_MPS = 9  # m/s, speed along the tube on leaving it (an output)
SUMMARY_TUBE_TIME_S = 10  # s, motor time from ignition to leaving the tube
N_SUMMARY = 11

# Error codes of :func:`integrate` (a result >= 0 is the number of path rows written).
FLIGHT_TIMEOUT = -1  # no impact before max_time_s
FLIGHT_PATH_FULL = -2  # the path buffer is too short for max_time_s / dt_s steps
FLIGHT_NO_LIFTOFF = -3  # the motor cannot push the rocket out of the tube

#: What a flight moves through: ``wind_x_mps``, ``wind_y_mps`` (horizontal wind in the flight
#: frame [m/s]), ``ground_altitude_m`` (ground above mean sea level [m]), ``drag_mach`` and
#: ``drag_cd`` (float64 (n,): the drag table, form factor included; see
#: :func:`~forceprot.flight.drag.drag_coefficient`).
Air = namedtuple("Air", ["wind_x_mps", "wind_y_mps", "ground_altitude_m", "drag_mach", "drag_cd"])

_BURNOUT_SNAP = 1e-9  # fraction of a step: a grid time this close to burnout is burnout
# A step whose alignment time constant (at its start) is below this many steps takes the
# quasi-steady limit b = a_hat: RK4 follows a relaxation of rate 1/tau accurately for
# h / tau <= 1 (amplification 0.375 against exp(-1) = 0.368) and goes unstable past 2.79.
_QUASI_STEADY_TAU_STEPS = 1.0


@njit(cache=True)
def _tube_travel(t_s, exhaust_mps, k_per_s, g_along_mps2):
    """Distance [m] and speed [m/s] along the tube after ``t_s`` of burn from rest.

    ``v(t) = -c ln(1 - k t) - g_s t`` and ``s(t) = (c / k) ((1 - k t) ln(1 - k t) + k t)
    - g_s t^2 / 2``, with ``c`` the effective exhaust speed ``thrust / mdot`` [m/s], ``k``
    ``mdot / m0`` [1/s] and ``g_s = g sin(QE)`` [m/s^2]: the integral of
    ``dv/dt = thrust / (m0 - mdot t) - g_s``.
    """
    x = k_per_s * t_s
    log_rest = math.log1p(-x)
    speed = -exhaust_mps * log_rest - g_along_mps2 * t_s
    dist = (exhaust_mps / k_per_s) * ((1.0 - x) * log_rest + x) - 0.5 * g_along_mps2 * t_s * t_s
    return dist, speed


@njit(cache=True)
def tube_exit(elevation_rad, rocket):
    """Motor time and speed at which a rocket fired from rest leaves its launch tube.

    Parameters
    ----------
    elevation_rad : float
        Quadrant elevation of the tube [rad].
    rocket : ndarray of float64, shape (N_ROCKET_PARAMS,)
        Rocket parameter vector (``ROCKET_*`` indices).

    Returns
    -------
    tube_time_s : float
        Time from ignition to the muzzle [s]; 0 with a tube length of 0, NaN when the motor
        cannot push the rocket out (thrust below the weight's along-tube component, or the burn
        ends and the rocket stops inside the tube).
    muzzle_speed_mps : float
        Speed along the tube at the muzzle [m/s] (NaN likewise).

    Notes
    -----
    Inside the tube the rocket moves along the tube axis only, pushed by the constant thrust
    against the along-tube component of its weight, its mass falling linearly with the burn
    (the same motor model as the free flight); drag and rail friction are neglected (speeds
    under ~50 m/s over a few metres). The closed form of :func:`_tube_travel` is solved for the
    tube length by safeguarded Newton iteration. Should the burn end inside the tube, the rocket
    coasts out against gravity alone. The impulse the motor delivers in the tube is therefore
    the momentum gained there plus gravity's along-tube impulse, and the rest of the burn is
    flown in free flight (:func:`integrate`): the motor's total impulse is spent once.
    """
    length = rocket[ROCKET_TUBE_LENGTH_M]
    thrust = rocket[ROCKET_THRUST_N]
    m0 = rocket[ROCKET_LAUNCH_MASS_KG]
    mb = rocket[ROCKET_BURNOUT_MASS_KG]
    burn = rocket[ROCKET_BURN_TIME_S]
    if length <= 0.0:
        return 0.0, 0.0
    g_along = G0_MPS2 * math.sin(elevation_rad)
    if thrust <= 0.0 or thrust <= m0 * g_along:
        return math.nan, math.nan
    mdot = (m0 - mb) / burn
    exhaust = thrust / mdot
    k = mdot / m0
    dist_b, speed_b = _tube_travel(burn, exhaust, k, g_along)
    if dist_b < length:  # burn over inside the tube: coast out against gravity
        rest = speed_b * speed_b - 2.0 * g_along * (length - dist_b)
        if rest <= 0.0:
            return math.nan, math.nan
        speed = math.sqrt(rest)
        if g_along > 0.0:
            return burn + (speed_b - speed) / g_along, speed
        return burn + (length - dist_b) / speed_b, speed
    # s(t) is increasing on (0, burn] (the acceleration only grows as the mass falls):
    # Newton from the constant-acceleration guess, kept inside a shrinking bracket
    lo = 0.0
    hi = burn
    t = math.sqrt(2.0 * length / (thrust / m0 - g_along))
    if not lo < t < hi:
        t = 0.5 * (lo + hi)
    for _ in range(100):
        dist, speed = _tube_travel(t, exhaust, k, g_along)
        miss = dist - length
        if miss > 0.0:
            hi = t
        else:
            lo = t
        t_new = t - miss / speed if speed > 0.0 else 0.5 * (lo + hi)
        if not lo < t_new < hi:
            t_new = 0.5 * (lo + hi)
        if abs(t_new - t) <= 1e-15 * burn or hi - lo <= 1e-15 * burn:
            t = t_new
            break
        t = t_new
    _, speed = _tube_travel(t, exhaust, k, g_along)
    return t, speed


@njit(cache=True)
def derivatives(z_m, vx_mps, vy_mps, vz_mps, bx, by, bz, mass_kg, thrust_n, body_axis,
                turn_rate_per_m, area_m2, air):
    """Acceleration of the rocket and rate of its body axis.

    Parameters
    ----------
    z_m : float
        Height above the ground [m].
    vx_mps, vy_mps, vz_mps : float
        Ground-relative velocity in the flight frame [m/s].
    bx, by, bz : float
        Body axis, a unit vector in the flight frame [-]; used only when ``body_axis``.
    mass_kg : float
        Current mass [kg].
    thrust_n : float
        Current thrust [N].
    body_axis : bool
        True: the thrust acts along ``b`` and ``b`` turns toward the air-relative velocity.
        False: the thrust acts along the air-relative velocity (instantaneous alignment) and the
        returned rate of ``b`` is 0.
    turn_rate_per_m : float
        ``1 / (weathercock_tau_s * WEATHERCOCK_V_REF_MPS)`` [1/m]: the alignment rate
        ``1 / tau`` per m/s of air speed at the reference density.
    area_m2 : float
        Drag reference area [m^2]; 0 turns drag off (not the weathercocking).
    air : Air
        Wind, ground altitude and drag table (:data:`Air`).

    Returns
    -------
    ax, ay, az : float
        Acceleration in the flight frame [m/s^2].
    dbx, dby, dbz : float
        ``db/dt = (a_hat - (a_hat . b) b) / tau`` [1/s], written without dividing by the air
        speed: ``(v_air - (v_air . b) b) sqrt(rho / RHO_REF) * turn_rate_per_m``.
    """
    ux = vx_mps - air.wind_x_mps
    uy = vy_mps - air.wind_y_mps
    uz = vz_mps
    u = math.sqrt(ux * ux + uy * uy + uz * uz)
    ax = 0.0
    ay = 0.0
    az = -G0_MPS2
    dbx = 0.0
    dby = 0.0
    dbz = 0.0
    turning = body_axis and thrust_n > 0.0
    if area_m2 > 0.0 or turning:
        rho, sound = isa_density_sound_speed(air.ground_altitude_m + z_m)
    else:
        rho, sound = 0.0, 1.0
    if turning:
        k = thrust_n / mass_kg
        ax += k * bx
        ay += k * by
        az += k * bz
        rate = math.sqrt(rho / WEATHERCOCK_RHO_REF_KG_M3) * turn_rate_per_m
        ub = ux * bx + uy * by + uz * bz
        dbx = (ux - ub * bx) * rate
        dby = (uy - ub * by) * rate
        dbz = (uz - ub * bz) * rate
    if u > 0.0:
        force_n = 0.0 if turning else thrust_n
        if area_m2 > 0.0:
            cd = drag_coefficient(u / sound, air.drag_mach, air.drag_cd)
            force_n -= 0.5 * rho * u * u * cd * area_m2
        k = force_n / (mass_kg * u)
        ax += k * ux
        ay += k * uy
        az += k * uz
    return ax, ay, az, dbx, dby, dbz


@njit(cache=True)
def weathercock_tau(z_m, vx_mps, vy_mps, vz_mps, weathercock_tau_s, wind_x_mps, wind_y_mps,
                    ground_altitude_m):
    """Body-axis alignment time constant at one state.

    Parameters
    ----------
    z_m : float
        Height above the ground [m].
    vx_mps, vy_mps, vz_mps : float
        Ground-relative velocity in the flight frame [m/s].
    weathercock_tau_s : float
        Alignment time constant at ``WEATHERCOCK_V_REF_MPS`` and ``WEATHERCOCK_RHO_REF_KG_M3``
        [s].
    wind_x_mps, wind_y_mps : float
        Horizontal wind in the flight frame [m/s].
    ground_altitude_m : float
        Altitude of the ground above mean sea level [m].

    Returns
    -------
    float
        ``weathercock_tau_s * (V_REF / |v_air|) * sqrt(RHO_REF / rho)`` [s]; inf in still air.
    """
    ux = vx_mps - wind_x_mps
    uy = vy_mps - wind_y_mps
    u = math.sqrt(ux * ux + uy * uy + vz_mps * vz_mps)
    rho, _ = isa_density_sound_speed(ground_altitude_m + z_m)
    if u <= 0.0 or rho <= 0.0:
        return math.inf
    return (weathercock_tau_s * WEATHERCOCK_V_REF_MPS / u
            * math.sqrt(WEATHERCOCK_RHO_REF_KG_M3 / rho))


@njit(cache=True)
def rk4_step(t_s, x, y, z, vx, vy, vz, bx, by, bz, h_s, powered, body_axis, rocket, air):
    """One classical Runge-Kutta step of the point-mass equations and the body axis.

    Parameters
    ----------
    t_s : float
        Motor time (since ignition, the tube phase included) at the start of the step [s]; it
        sets the mass during the burn.
    x, y, z : float
        Position in the flight frame [m].
    vx, vy, vz : float
        Velocity in the flight frame [m/s].
    bx, by, bz : float
        Body axis, unit vector [-].
    h_s : float
        Step [s]. A powered step must end at or before burnout.
    powered : bool
        Whether the motor burns during the whole step.
    body_axis : bool
        Whether the thrust follows ``b`` (integrated with the rest of the state) or the
        air-relative velocity (quasi-steady limit; ``b`` then ends the step along ``v_air``).
    rocket : ndarray of float64, shape (N_ROCKET_PARAMS,)
        Rocket parameter vector (``ROCKET_*`` indices).
    air : Air
        Wind, ground altitude and drag table.

    Returns
    -------
    x, y, z, vx, vy, vz, bx, by, bz : float
        State at ``t_s + h_s`` [m, m/s, -]; ``b`` renormalised to unit length.
    """
    area = rocket[ROCKET_AREA_M2]
    tau_ref = rocket[ROCKET_WEATHERCOCK_TAU_S]
    turn = 1.0 / (tau_ref * WEATHERCOCK_V_REF_MPS) if tau_ref > 0.0 else 0.0
    if powered:
        thrust = rocket[ROCKET_THRUST_N]
        m0 = rocket[ROCKET_LAUNCH_MASS_KG]
        mdot = (m0 - rocket[ROCKET_BURNOUT_MASS_KG]) / rocket[ROCKET_BURN_TIME_S]
        m1 = m0 - mdot * t_s
        m2 = m0 - mdot * (t_s + 0.5 * h_s)
        m4 = m0 - mdot * (t_s + h_s)
    else:
        thrust = 0.0
        m1 = rocket[ROCKET_BURNOUT_MASS_KG]
        m2 = m1
        m4 = m1
    body = body_axis and powered and turn > 0.0
    half = 0.5 * h_s

    a1x, a1y, a1z, d1x, d1y, d1z = derivatives(
        z, vx, vy, vz, bx, by, bz, m1, thrust, body, turn, area, air)
    v2x = vx + half * a1x
    v2y = vy + half * a1y
    v2z = vz + half * a1z
    a2x, a2y, a2z, d2x, d2y, d2z = derivatives(
        z + half * vz, v2x, v2y, v2z, bx + half * d1x, by + half * d1y, bz + half * d1z, m2,
        thrust, body, turn, area, air)
    v3x = vx + half * a2x
    v3y = vy + half * a2y
    v3z = vz + half * a2z
    a3x, a3y, a3z, d3x, d3y, d3z = derivatives(
        z + half * v2z, v3x, v3y, v3z, bx + half * d2x, by + half * d2y, bz + half * d2z, m2,
        thrust, body, turn, area, air)
    v4x = vx + h_s * a3x
    v4y = vy + h_s * a3y
    v4z = vz + h_s * a3z
    a4x, a4y, a4z, d4x, d4y, d4z = derivatives(
        z + h_s * v3z, v4x, v4y, v4z, bx + h_s * d3x, by + h_s * d3y, bz + h_s * d3z, m4,
        thrust, body, turn, area, air)
    sixth = h_s / 6.0
    vx1 = vx + sixth * (a1x + 2.0 * a2x + 2.0 * a3x + a4x)
    vy1 = vy + sixth * (a1y + 2.0 * a2y + 2.0 * a3y + a4y)
    vz1 = vz + sixth * (a1z + 2.0 * a2z + 2.0 * a3z + a4z)
    if body:
        bx1 = bx + sixth * (d1x + 2.0 * d2x + 2.0 * d3x + d4x)
        by1 = by + sixth * (d1y + 2.0 * d2y + 2.0 * d3y + d4y)
        bz1 = bz + sixth * (d1z + 2.0 * d2z + 2.0 * d3z + d4z)
    else:  # quasi-steady (or coasting): the body axis ends along the air-relative velocity
        bx1 = vx1 - air.wind_x_mps
        by1 = vy1 - air.wind_y_mps
        bz1 = vz1
    norm = math.sqrt(bx1 * bx1 + by1 * by1 + bz1 * bz1)
    if norm > 0.0:
        bx1 /= norm
        by1 /= norm
        bz1 /= norm
    else:
        bx1, by1, bz1 = bx, by, bz
    return (
        x + sixth * (vx + 2.0 * v2x + 2.0 * v3x + v4x),
        y + sixth * (vy + 2.0 * v2y + 2.0 * v3y + v4y),
        z + sixth * (vz + 2.0 * v2z + 2.0 * v3z + v4z),
        vx1,
        vy1,
        vz1,
        bx1,
        by1,
        bz1,
    )


@njit(cache=True)
def hermite(p0, v0, p1, v1, h_s, s):
    """Cubic Hermite interpolation of one coordinate over one step.

    Parameters
    ----------
    p0, p1 : float
        Coordinate at the start and end of the step [m].
    v0, v1 : float
        Its rate at the start and end [m/s].
    h_s : float
        Length of the step [s].
    s : float
        Fraction of the step [-], in [0, 1].

    Returns
    -------
    p : float
        Interpolated coordinate [m].
    v : float
        Its rate, the derivative of the interpolant [m/s].

    Notes
    -----
    Exact when the coordinate is a polynomial of degree <= 3 in time (vacuum flight).
    """
    b = h_s * v0
    c = -3.0 * p0 - 2.0 * h_s * v0 + 3.0 * p1 - h_s * v1
    d = 2.0 * p0 + h_s * v0 - 2.0 * p1 + h_s * v1
    p = p0 + s * (b + s * (c + s * d))
    v = (b + s * (2.0 * c + s * 3.0 * d)) / h_s
    return p, v


@njit(cache=True)
def _hermite_root(z0, vz0, z1, vz1, h_s):
    """Fraction of the step where the Hermite cubic of z crosses 0 (z0 >= 0 >= z1)."""
    if z0 <= 0.0:
        return 0.0
    if z1 >= 0.0:
        return 1.0
    lo = 0.0
    hi = 1.0
    s = z0 / (z0 - z1)  # secant start
    for _ in range(100):
        p, v = hermite(z0, vz0, z1, vz1, h_s, s)
        if p > 0.0:
            lo = s
        else:
            hi = s
        dp = v * h_s
        s_new = s - p / dp if dp != 0.0 else 0.5 * (lo + hi)
        if not (lo < s_new < hi):
            s_new = 0.5 * (lo + hi)
        if abs(s_new - s) <= 1e-15 or hi - lo <= 1e-15:
            return s_new
        s = s_new
    return s


@njit(cache=True)
def _hermite_apex(z0, vz0, z1, vz1, h_s):
    """Highest z of the Hermite cubic over a step where vz goes from >= 0 to < 0."""
    b = h_s * vz0
    c = -3.0 * z0 - 2.0 * h_s * vz0 + 3.0 * z1 - h_s * vz1
    d = 2.0 * z0 + h_s * vz0 - 2.0 * z1 + h_s * vz1
    # p'(s) = b + 2 c s + 3 d s^2 = 0 on [0, 1]
    qa = 3.0 * d
    qb = 2.0 * c
    qc = b
    best = max(z0, z1)
    root0 = -1.0
    root1 = -1.0
    if qa == 0.0:
        if qb != 0.0:
            root0 = -qc / qb
    else:
        disc = qb * qb - 4.0 * qa * qc
        if disc < 0.0:
            return best
        q = -0.5 * (qb + math.copysign(math.sqrt(disc), qb))  # stable quadratic roots
        root0 = q / qa
        if q != 0.0:
            root1 = qc / q
    for s in (root0, root1):
        if 0.0 <= s <= 1.0:
            p = z0 + s * (b + s * (c + s * d))
            if p > best:
                best = p
    return best


def path_capacity(max_time_s, dt_s):
    """Rows a path buffer needs for a flight of up to ``max_time_s``.

    Parameters
    ----------
    max_time_s : float
        Longest flight the caller allows [s].
    dt_s : float
        Integration step [s].

    Returns
    -------
    int
        Grid steps, plus the start row, the burnout row and the impact row.
    """
    return int(math.ceil(max_time_s / dt_s)) + 4


@njit(cache=True)
def integrate(elevation_rad, wind_x_mps, wind_y_mps, ground_altitude_m, rocket, drag_mach,
              drag_cd, dt_s, max_time_s, path_t_s, path_state, summary):
    """Fire one rocket from rest in its tube and fly it to ground impact.

    Parameters
    ----------
    elevation_rad : float
        Quadrant elevation of the tube [rad]; the tube points along +x.
    wind_x_mps, wind_y_mps : float
        Horizontal wind in the flight frame (x downrange, y left) [m/s].
    ground_altitude_m : float
        Altitude of the (flat) ground above mean sea level [m].
    rocket : ndarray of float64, shape (N_ROCKET_PARAMS,)
        Rocket parameter vector (``ROCKET_*`` indices). Thrust 0 turns thrust off, area 0 drag,
        weathercock time constant 0 aligns the thrust with the air-relative velocity at once.
    drag_mach, drag_cd : ndarray of float64, shape (n,)
        Drag table, form factor included.
    dt_s : float
        Integration step [s].
    max_time_s : float
        Give up when no impact happened by this time [s].
    path_t_s : ndarray of float64, shape (capacity,)
        Out: time of each path row [s]. Pass a zero-length array to store no path.
    path_state : ndarray of float64, shape (capacity, 6)
        Out: ``(x, y, z, vx, vy, vz)`` of each row [m, m/s]. Row 0 is the muzzle (time 0: path
        times and the time of flight count from leaving the tube; the tube phase before it is
        :func:`tube_exit`'s), the last row written the impact (``z = 0``), located by Hermite
        interpolation. Capacity must be at
        least :func:`path_capacity` ``(max_time_s, dt_s)`` when storing.
    summary : ndarray of float64, shape (N_SUMMARY,)
        Out: time of flight, impact position and velocity, apogee, burnout speed, body-axis
        lag, muzzle speed and time in the tube (``SUMMARY_*`` indices).

    Returns
    -------
    int
        Rows written (>= 2, or 0 when no path is stored) on success; ``FLIGHT_TIMEOUT`` when no
        impact happened by ``max_time_s``; ``FLIGHT_PATH_FULL`` when the buffer is too short;
        ``FLIGHT_NO_LIFTOFF`` when the motor cannot push the rocket out of its tube.
    """
    capacity = path_t_s.shape[0]
    store = capacity > 0
    if store and capacity < int(math.ceil(max_time_s / dt_s)) + 4:
        return FLIGHT_PATH_FULL
    for k in range(N_SUMMARY):
        summary[k] = np.nan

    tube_time, speed0 = tube_exit(elevation_rad, rocket)
    if not speed0 >= 0.0:
        return FLIGHT_NO_LIFTOFF
    summary[SUMMARY_TUBE_TIME_S] = tube_time
    summary[SUMMARY_MUZZLE_SPEED_MPS] = speed0
    x = 0.0
    y = 0.0
    z = rocket[ROCKET_LAUNCH_HEIGHT_M]
    vx = speed0 * math.cos(elevation_rad)
    vy = 0.0
    vz = speed0 * math.sin(elevation_rad)
    bx = math.cos(elevation_rad)  # body axis: along the tube
    by = 0.0
    bz = math.sin(elevation_rad)
    tau_ref = rocket[ROCKET_WEATHERCOCK_TAU_S]
    t = 0.0  # flight time, from the muzzle; the motor's clock reads t + tube_time
    burn = rocket[ROCKET_BURN_TIME_S] - tube_time  # burn left at the muzzle
    if rocket[ROCKET_THRUST_N] <= 0.0 or burn <= 0.0:
        burn = 0.0  # thrust off or burnt out in the tube: coast at the burnout mass
    apogee = z
    air = Air(wind_x_mps, wind_y_mps, ground_altitude_m, drag_mach, drag_cd)
    n = 0
    if store:
        path_t_s[0] = t
        path_state[0, 0] = x
        path_state[0, 1] = y
        path_state[0, 2] = z
        path_state[0, 3] = vx
        path_state[0, 4] = vy
        path_state[0, 5] = vz
        n = 1

    i = 0  # grid steps completed
    while t < max_time_s:
        powered = t < burn
        t_grid = (i + 1) * dt_s
        if powered and t_grid > burn - _BURNOUT_SNAP * dt_s:
            t_end = burn  # never straddle burnout
            if t_grid < burn + _BURNOUT_SNAP * dt_s:
                i += 1
        else:
            t_end = t_grid
            i += 1
        h = t_end - t
        body_axis = False
        if powered and tau_ref > 0.0:
            body_axis = weathercock_tau(z, vx, vy, vz, tau_ref, wind_x_mps, wind_y_mps,
                                        ground_altitude_m) >= _QUASI_STEADY_TAU_STEPS * h
        x1, y1, z1, vx1, vy1, vz1, bx1, by1, bz1 = rk4_step(
            t + tube_time, x, y, z, vx, vy, vz, bx, by, bz, h, powered, body_axis, rocket, air)
        if powered and t_end == burn:
            summary[SUMMARY_BURNOUT_SPEED_MPS] = math.sqrt(vx1 * vx1 + vy1 * vy1 + vz1 * vz1)
            ux = vx1 - wind_x_mps
            uy = vy1 - wind_y_mps
            cos_lag = (ux * bx1 + uy * by1 + vz1 * bz1) / math.sqrt(ux * ux + uy * uy + vz1 * vz1)
            summary[SUMMARY_BURNOUT_LAG_RAD] = math.acos(min(1.0, max(-1.0, cos_lag)))
        if vz >= 0.0 and vz1 < 0.0:
            apex = _hermite_apex(z, vz, z1, vz1, h)
            if apex > apogee:
                apogee = apex
        elif z1 > apogee:
            apogee = z1
        if z1 <= 0.0 and vz1 < 0.0:
            s = _hermite_root(z, vz, z1, vz1, h)
            xi, vxi = hermite(x, vx, x1, vx1, h, s)
            yi, vyi = hermite(y, vy, y1, vy1, h, s)
            _, vzi = hermite(z, vz, z1, vz1, h, s)
            ti = t + s * h
            summary[SUMMARY_TOF_S] = ti
            summary[SUMMARY_X_M] = xi
            summary[SUMMARY_Y_M] = yi
            summary[SUMMARY_VX_MPS] = vxi
            summary[SUMMARY_VY_MPS] = vyi
            summary[SUMMARY_VZ_MPS] = vzi
            summary[SUMMARY_APOGEE_M] = apogee
            if store:
                path_t_s[n] = ti
                path_state[n, 0] = xi
                path_state[n, 1] = yi
                path_state[n, 2] = 0.0
                path_state[n, 3] = vxi
                path_state[n, 4] = vyi
                path_state[n, 5] = vzi
                n += 1
            return n
        x = x1
        y = y1
        z = z1
        vx = vx1
        vy = vy1
        vz = vz1
        bx = bx1
        by = by1
        bz = bz1
        t = t_end
        if store:
            path_t_s[n] = t
            path_state[n, 0] = x
            path_state[n, 1] = y
            path_state[n, 2] = z
            path_state[n, 3] = vx
            path_state[n, 4] = vy
            path_state[n, 5] = vz
            n += 1
    summary[SUMMARY_APOGEE_M] = apogee
    return FLIGHT_TIMEOUT
