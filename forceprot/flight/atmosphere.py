"""International Standard Atmosphere: temperature, pressure, density and speed of sound.

Only numpy and numba: the flight kernels call :func:`isa_density_sound_speed` at every
derivative evaluation.

Notes
-----
The layers and constants are those of ISO 2533:1975 *Standard Atmosphere* and ICAO Doc 7488/3
*Manual of the ICAO Standard Atmosphere* (identical to the U.S. Standard Atmosphere 1976 below
32 km). The standard defines its layers in geopotential altitude ``H``; the functions here take
geometric altitude ``z`` (height above mean sea level) and convert it once,
``H = r0 z / (r0 + z)`` with the standard's nominal radius ``r0 = 6 356 766 m``.

========================  =================  ===================
layer (geopotential km)   base temperature   lapse rate
========================  =================  ===================
0 - 11 (troposphere)      288.15 K           -6.5 K/km
11 - 20 (tropopause)      216.65 K           0
20 - 32 (stratosphere)    216.65 K           +1.0 K/km
========================  =================  ===================

Above 32 km geopotential the 32 km values are held (no rocket in the catalog gets there).
Below sea level the troposphere law is continued.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = [
    "G0_MPS2",
    "R_AIR_J_PER_KG_K",
    "GAMMA_AIR",
    "EARTH_RADIUS_ISA_M",
    "SEA_LEVEL_TEMPERATURE_K",
    "SEA_LEVEL_PRESSURE_PA",
    "SEA_LEVEL_DENSITY_KG_M3",
    "geopotential_altitude_m",
    "isa_temperature_pressure",
    "isa_density_sound_speed",
]

G0_MPS2 = 9.80665  # m/s^2, standard gravity (ISO 2533)
R_AIR_J_PER_KG_K = 287.05287  # J/(kg K), specific gas constant of dry air (ISO 2533)
GAMMA_AIR = 1.4  # -, ratio of specific heats of air (ISO 2533)
EARTH_RADIUS_ISA_M = 6_356_766.0  # m, nominal Earth radius for geopotential altitude (ISO 2533)

SEA_LEVEL_TEMPERATURE_K = 288.15  # K
SEA_LEVEL_PRESSURE_PA = 101_325.0  # Pa
SEA_LEVEL_DENSITY_KG_M3 = SEA_LEVEL_PRESSURE_PA / (R_AIR_J_PER_KG_K * SEA_LEVEL_TEMPERATURE_K)

# Layer bases (geopotential altitude [m], temperature [K], lapse rate [K/m]).
_H_TROPOPAUSE_M = 11_000.0  # m
_H_STRATOSPHERE_M = 20_000.0  # m
_H_TOP_M = 32_000.0  # m
_LAPSE_TROPOSPHERE_K_PER_M = -0.0065  # K/m
_LAPSE_STRATOSPHERE_K_PER_M = 0.001  # K/m
_T_TROPOPAUSE_K = SEA_LEVEL_TEMPERATURE_K + _LAPSE_TROPOSPHERE_K_PER_M * _H_TROPOPAUSE_M  # 216.65 K
_GMR_PER_M = G0_MPS2 / R_AIR_J_PER_KG_K  # 1/m per K: g0 / R

# Pressure at each layer base, from the layer laws themselves (continuity), so the profile
# has no jumps: 22 632.06 Pa at 11 km, 5 474.89 Pa at 20 km, 868.02 Pa at 32 km.
_P_TROPOPAUSE_PA = SEA_LEVEL_PRESSURE_PA * (
    _T_TROPOPAUSE_K / SEA_LEVEL_TEMPERATURE_K) ** (-_GMR_PER_M / _LAPSE_TROPOSPHERE_K_PER_M)
_P_STRATOSPHERE_PA = _P_TROPOPAUSE_PA * math.exp(
    -_GMR_PER_M * (_H_STRATOSPHERE_M - _H_TROPOPAUSE_M) / _T_TROPOPAUSE_K)
# 228.65 K at the top of the modelled atmosphere
_T_TOP_K = _T_TROPOPAUSE_K + _LAPSE_STRATOSPHERE_K_PER_M * (_H_TOP_M - _H_STRATOSPHERE_M)
_P_TOP_PA = _P_STRATOSPHERE_PA * (
    _T_TOP_K / _T_TROPOPAUSE_K) ** (-_GMR_PER_M / _LAPSE_STRATOSPHERE_K_PER_M)

_EXP_TROPOSPHERE = -_GMR_PER_M / _LAPSE_TROPOSPHERE_K_PER_M  # 5.2559 (pressure exponent)
_EXP_STRATOSPHERE = -_GMR_PER_M / _LAPSE_STRATOSPHERE_K_PER_M  # -34.163


@njit(cache=True)
def geopotential_altitude_m(altitude_m):
    """Geopotential altitude of a geometric altitude.

    Parameters
    ----------
    altitude_m : float
        Geometric altitude above mean sea level [m].

    Returns
    -------
    float
        Geopotential altitude ``r0 z / (r0 + z)`` [m] (ISO 2533, r0 = 6 356 766 m).
    """
    return EARTH_RADIUS_ISA_M * altitude_m / (EARTH_RADIUS_ISA_M + altitude_m)


@njit(cache=True)
def isa_temperature_pressure(altitude_m):
    """ISA temperature and pressure at a geometric altitude.

    Parameters
    ----------
    altitude_m : float
        Geometric altitude above mean sea level [m]. Above 32 km geopotential the 32 km values
        are returned.

    Returns
    -------
    temperature_k : float
        Air temperature [K].
    pressure_pa : float
        Static pressure [Pa].

    Notes
    -----
    ISO 2533:1975 / ICAO Doc 7488/3, layers 0-11 km (-6.5 K/km), 11-20 km (isothermal),
    20-32 km (+1 K/km) in geopotential altitude.
    """
    h = geopotential_altitude_m(altitude_m)
    if h <= _H_TROPOPAUSE_M:
        t = SEA_LEVEL_TEMPERATURE_K + _LAPSE_TROPOSPHERE_K_PER_M * h
        p = SEA_LEVEL_PRESSURE_PA * (t / SEA_LEVEL_TEMPERATURE_K) ** _EXP_TROPOSPHERE
    elif h <= _H_STRATOSPHERE_M:
        t = _T_TROPOPAUSE_K
        p = _P_TROPOPAUSE_PA * math.exp(-_GMR_PER_M * (h - _H_TROPOPAUSE_M) / _T_TROPOPAUSE_K)
    elif h <= _H_TOP_M:
        t = _T_TROPOPAUSE_K + _LAPSE_STRATOSPHERE_K_PER_M * (h - _H_STRATOSPHERE_M)
        p = _P_STRATOSPHERE_PA * (t / _T_TROPOPAUSE_K) ** _EXP_STRATOSPHERE
    else:
        t = _T_TOP_K
        p = _P_TOP_PA
    return t, p


@njit(cache=True)
def isa_density_sound_speed(altitude_m):
    """ISA air density and speed of sound at a geometric altitude.

    Parameters
    ----------
    altitude_m : float
        Geometric altitude above mean sea level [m].

    Returns
    -------
    density_kg_m3 : float
        Air density ``p / (R T)`` [kg/m^3].
    sound_speed_mps : float
        Speed of sound ``sqrt(gamma R T)`` [m/s].

    Notes
    -----
    ISO 2533:1975 / ICAO Doc 7488/3; R = 287.05287 J/(kg K), gamma = 1.4.
    """
    t, p = isa_temperature_pressure(altitude_m)
    return p / (R_AIR_J_PER_KG_K * t), math.sqrt(GAMMA_AIR * R_AIR_J_PER_KG_K * t)
