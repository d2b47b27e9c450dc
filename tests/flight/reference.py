"""An independent reference for the flight model: the same equations, written plainly in
numpy and integrated by ``scipy.integrate.solve_ivp`` (DOP853, tight tolerances).

Nothing here calls :mod:`forceprot.flight`; it reads only the rocket's figures.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

G0 = 9.80665  # m/s^2
R_AIR = 287.05287  # J/(kg K), ISO 2533
GAMMA = 1.4
R_EARTH = 6_356_766.0  # m, ISO 2533 geopotential radius


def isa(altitude_m: float) -> tuple[float, float]:
    """Density [kg/m^3] and speed of sound [m/s], ISO 2533 layers to 32 km (geometric input)."""
    h = R_EARTH * altitude_m / (R_EARTH + altitude_m)
    layers = [  # base geopotential altitude [m], base temperature [K], lapse rate [K/m]
        (0.0, 288.15, -0.0065),
        (11_000.0, 216.65, 0.0),
        (20_000.0, 216.65, 0.001),
        (32_000.0, 228.65, None),
    ]
    p = 101_325.0
    for (h0, t0, lapse), (h1, _, _) in zip(layers[:-1], layers[1:]):
        top = min(h, h1)
        if lapse == 0.0:
            t = t0
            p_top = p * math.exp(-G0 * (top - h0) / (R_AIR * t0))
        else:
            t = t0 + lapse * (top - h0)
            p_top = p * (t / t0) ** (-G0 / (R_AIR * lapse))
        if h <= h1:
            return p_top / (R_AIR * t), math.sqrt(GAMMA * R_AIR * t)
        p = p_top
    t = 228.65
    return p / (R_AIR * t), math.sqrt(GAMMA * R_AIR * t)


V_REF = 300.0  # m/s, air speed at which weathercock_tau_s is quoted
RHO_REF = 1.225  # kg/m^3, sea-level density at which it is quoted


def reference_flight(rocket, elevation_rad: float, wind_xy_mps=(0.0, 0.0),
                     ground_altitude_m: float = 0.0, rtol: float = 1e-10, atol: float = 1e-9,
                     instant_weathercock: bool = False):
    """Impact ``(x, y, tof)`` [m, m, s] and apogee [m] of one flight, by solve_ivp.

    Two segments: the burn ``[0, burn_time_s]`` (burnout is a time event, so the segment end
    *is* the burnout event) and the coast, ended by the terminal impact event ``z = 0`` going
    down.

    During the burn the state is ``(x, y, z, vx, vy, vz, bx, by, bz)``: the thrust acts along
    the body axis ``b``, which starts along the tube and turns toward the air-relative velocity,
    ``db/dt = (u_hat - (u_hat . b) b) / tau`` with
    ``tau = weathercock_tau_s * (V_REF / |u|) * sqrt(RHO_REF / rho)``. With
    ``instant_weathercock`` the thrust acts along the air-relative velocity instead (the limit
    ``tau -> 0``) and ``b`` is carried along unchanged.
    """
    wx, wy = wind_xy_mps
    area = math.pi * rocket.diameter_m**2 / 4.0
    mach_tab = np.asarray(rocket.drag_mach)
    cd_tab = rocket.drag_form_factor * np.asarray(rocket.drag_cd)
    m0, mb, tb = rocket.launch_mass_kg, rocket.burnout_mass_kg, rocket.burn_time_s
    tau_ref = rocket.weathercock_tau_s

    def rhs(t, s, powered):
        vel = s[3:6]
        air = vel - np.array([wx, wy, 0.0])
        speed = float(np.linalg.norm(air))
        u_hat = air / speed
        rho, sound = isa(ground_altitude_m + s[2])
        drag = 0.5 * rho * speed**2 * float(np.interp(speed / sound, mach_tab, cd_tab)) * area
        acc = -drag / (m0 - (m0 - mb) * t / tb if powered else mb) * u_hat
        acc[2] -= G0
        rates = np.concatenate([vel, acc])
        if not powered:
            return rates
        mass = m0 - (m0 - mb) * t / tb
        b = s[6:9] / np.linalg.norm(s[6:9])
        if instant_weathercock:
            return np.concatenate([rates[:3], acc + rocket.thrust_n / mass * u_hat, np.zeros(3)])
        tau = tau_ref * (V_REF / speed) * math.sqrt(RHO_REF / rho)
        b_rate = (u_hat - float(u_hat @ b) * b) / tau
        return np.concatenate([rates[:3], acc + rocket.thrust_n / mass * b, b_rate])

    t_tube, v0 = reference_tube_exit(rocket, elevation_rad, rtol=rtol, atol=atol)
    tube = [math.cos(elevation_rad), 0.0, math.sin(elevation_rad)]
    s0 = [0.0, 0.0, rocket.launch_height_m, v0 * tube[0], 0.0, v0 * tube[2], *tube]
    burn = solve_ivp(rhs, (t_tube, tb), s0, method="DOP853", rtol=rtol, atol=atol,
                     args=(True,), dense_output=True)

    def impact(t, s, powered):
        return s[2]

    impact.terminal = True
    impact.direction = -1.0
    coast = solve_ivp(rhs, (tb, tb + 1000.0), burn.y[:6, -1], method="DOP853", rtol=rtol,
                      atol=atol, args=(False,), events=impact, dense_output=True)
    assert coast.status == 1, "reference flight found no impact"
    t_hit = float(coast.t_events[0][0])
    x, y = coast.y_events[0][0][:2]
    fine = np.linspace(tb, t_hit, 4001)
    apogee = max(float(burn.y[2].max()), float(coast.sol(fine)[2].max()))
    return float(x), float(y), t_hit - t_tube, apogee  # time of flight from the muzzle


def reference_tube_exit(rocket, elevation_rad: float, rtol: float = 1e-12, atol: float = 1e-12,
                        ) -> tuple[float, float]:
    """Motor time [s] and speed [m/s] at the muzzle of a rocket fired from rest, by solve_ivp.

    The state is ``(s, v)`` along the tube: ``ds/dt = v``, ``dv/dt = thrust / m(t) - g sin(QE)``
    with ``m`` linear over the burn; the terminal event ``s = tube_length_m`` is the muzzle. The
    burn must not end inside the tube (true of the classes tested).
    """
    m0, mb, tb = rocket.launch_mass_kg, rocket.burnout_mass_kg, rocket.burn_time_s
    g_along = G0 * math.sin(elevation_rad)

    def rhs(t, s):
        return [s[1], rocket.thrust_n / (m0 - (m0 - mb) * t / tb) - g_along]

    def muzzle(t, s):
        return s[0] - rocket.tube_length_m

    muzzle.terminal = True
    muzzle.direction = 1.0
    sol = solve_ivp(rhs, (0.0, tb), [0.0, 0.0], method="DOP853", rtol=rtol, atol=atol,
                    events=muzzle)
    assert sol.status == 1, "reference rocket did not leave its tube during the burn"
    return float(sol.t_events[0][0]), float(sol.y_events[0][0][1])


def interpolate_family_numpy(family, elevation_rad: float, relaz_rad: float,
                             ) -> tuple[np.ndarray, np.ndarray, float]:
    """One flight from a family by bilinear interpolation in (elevation, relative wind azimuth),
    written plainly in numpy: the reference for :func:`forceprot.flight.family.interpolate_family`
    and the kernel's blend.

    Returns node positions [m] and velocities [m/s], shape (n_nodes, 3), and the time of
    flight [s].
    """
    n_elev, n_relaz = family.tof_s.shape
    u = float(np.clip((elevation_rad - family.elevation_min_rad) / family.elevation_step_rad,
                      0.0, n_elev - 1))
    i0 = min(int(np.floor(u)), n_elev - 2)
    fe = u - i0
    i1 = i0 + 1
    w = float(np.mod(relaz_rad / family.relaz_step_rad, n_relaz))
    j0 = int(np.floor(w)) % n_relaz
    fa = w - np.floor(w)
    j1 = (j0 + 1) % n_relaz
    weights = np.array([(1 - fe) * (1 - fa), (1 - fe) * fa, fe * (1 - fa), fe * fa])
    corners = [(i0, j0), (i0, j1), (i1, j0), (i1, j1)]
    pos = sum(wt * family.node_pos_m[i, j] for wt, (i, j) in zip(weights, corners))
    vel = sum(wt * family.node_vel_mps[i, j] for wt, (i, j) in zip(weights, corners))
    tof = sum(wt * family.tof_s[i, j] for wt, (i, j) in zip(weights, corners))
    return np.asarray(pos), np.asarray(vel), float(tof)


#: RK4 at dt = 0.01 s against DOP853 at rtol 1e-10: impact within 0.1 % of range, time of
#: flight and apogee within 1e-4 relative (low and high angle alike: the bounds are relative).
REFERENCE_RANGE_RTOL = 1e-3
REFERENCE_TOF_RTOL = 1e-4


def assert_flight_matches_reference(key, elevation_deg, wind, *, instant_weathercock=False):
    """The flight model's impact, time of flight and apogee for a bundled rocket against
    :func:`reference_flight` on the same equations."""
    import pytest

    from forceprot.ballistics import fly
    from forceprot.catalog.rockets import BUNDLED_ROCKETS

    rocket = BUNDLED_ROCKETS[key]
    e = math.radians(elevation_deg)
    x_ref, y_ref, tof_ref, apogee_ref = reference_flight(
        rocket, e, wind, instant_weathercock=instant_weathercock)
    path = fly(rocket, e, relaz_rad=math.atan2(wind[1], wind[0]),
               wind_speed_mps=math.hypot(*wind), instant_weathercock=instant_weathercock)
    range_ref = math.hypot(x_ref, y_ref)
    miss = math.hypot(path.range_m - x_ref, path.drift_m - y_ref)
    assert miss < REFERENCE_RANGE_RTOL * range_ref, (
        f"{key} at {elevation_deg} deg, wind {wind}: impact ({path.range_m:.2f}, "
        f"{path.drift_m:.2f}) m, reference ({x_ref:.2f}, {y_ref:.2f}) m, miss {miss:.3f} m")
    assert path.tof_s == pytest.approx(tof_ref, rel=REFERENCE_TOF_RTOL)
    assert path.apogee_m == pytest.approx(apogee_ref, rel=REFERENCE_TOF_RTOL)
