"""Numba flight kernels: ISA atmosphere, drag table, point-mass RK4 flight, trajectory families.

Everything here imports only numpy and numba and takes floats and arrays;
:mod:`forceprot.ballistics` turns a ``RocketClass`` into them.

Modules: :mod:`~forceprot.flight.atmosphere` (ISA), :mod:`~forceprot.flight.drag` (Cd table),
:mod:`~forceprot.flight.trajectory` (RK4 point-mass flight), :mod:`~forceprot.flight.family`
(trajectory families and their interpolation).

Note: numba's on-disk cache (``cache=True``) is keyed on each function's own source file, not
on the files of the functions it calls; after editing one of these modules, delete the
``*.nbi``/``*.nbc`` files in ``forceprot/flight/__pycache__`` so callers in other modules
recompile.
"""

from forceprot.flight.atmosphere import isa_density_sound_speed, isa_temperature_pressure
from forceprot.flight.drag import drag_coefficient
from forceprot.flight.family import (
    build_family,
    elevation_for_range,
    ground_ranges,
    interpolate_family,
    resample_nodes,
    state_at_time,
)
from forceprot.flight.trajectory import (
    FLIGHT_MODEL_VERSION,
    N_ROCKET_PARAMS,
    N_SUMMARY,
    ROCKET_AREA_M2,
    ROCKET_BURN_TIME_S,
    ROCKET_BURNOUT_MASS_KG,
    ROCKET_LAUNCH_HEIGHT_M,
    ROCKET_LAUNCH_MASS_KG,
    ROCKET_TUBE_LENGTH_M,
    ROCKET_THRUST_N,
    ROCKET_WEATHERCOCK_TAU_S,
    SUMMARY_APOGEE_M,
    SUMMARY_BURNOUT_LAG_RAD,
    SUMMARY_BURNOUT_SPEED_MPS,
    SUMMARY_TOF_S,
    SUMMARY_VX_MPS,
    SUMMARY_VY_MPS,
    SUMMARY_VZ_MPS,
    SUMMARY_X_M,
    SUMMARY_Y_M,
    integrate,
    path_capacity,
)

__all__ = [
    "FLIGHT_MODEL_VERSION",
    "N_ROCKET_PARAMS",
    "N_SUMMARY",
    "ROCKET_AREA_M2",
    "ROCKET_BURN_TIME_S",
    "ROCKET_BURNOUT_MASS_KG",
    "ROCKET_LAUNCH_HEIGHT_M",
    "ROCKET_LAUNCH_MASS_KG",
    "ROCKET_TUBE_LENGTH_M",
    "ROCKET_THRUST_N",
    "ROCKET_WEATHERCOCK_TAU_S",
    "SUMMARY_APOGEE_M",
    "SUMMARY_BURNOUT_LAG_RAD",
    "SUMMARY_BURNOUT_SPEED_MPS",
    "SUMMARY_TOF_S",
    "SUMMARY_VX_MPS",
    "SUMMARY_VY_MPS",
    "SUMMARY_VZ_MPS",
    "SUMMARY_X_M",
    "SUMMARY_Y_M",
    "build_family",
    "drag_coefficient",
    "elevation_for_range",
    "ground_ranges",
    "integrate",
    "interpolate_family",
    "isa_density_sound_speed",
    "isa_temperature_pressure",
    "path_capacity",
    "resample_nodes",
    "state_at_time",
]
