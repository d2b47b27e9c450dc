"""Unguided artillery rocket classes.

Figures are generic, public and illustrative: the commonly published characteristics of
107 mm (Type 63 family) and 122 mm (9M22 Grad family) rockets. Where the open literature gives
no figure (thrust history, drag curve), the value is a generic one for a fin- or
wrap-around-fin-stabilised rocket of that size, and ``drag_form_factor`` is calibrated so that
the point-mass model's maximum range matches the published nominal maximum range.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "RocketClass",
    "BUNDLED_ROCKETS",
    "GENERIC_FIN_ROCKET_DRAG",
    "RETIRED_ROCKET_FIELDS",
    "weathercock_tau_s_from_aerodynamics",
]

#: Fields a rocket class once had, and why a scenario may no longer give them.
RETIRED_ROCKET_FIELDS: dict[str, str] = {
    "launch_speed_mps": "no longer an input: the muzzle speed is computed from the motor and "
                        "tube_length_m (the launch tube's length in m); remove it",
}

# Generic zero-lift drag coefficient of a slender fin-stabilised rocket against Mach number
# (shape of the curves in Fleeman, "Tactical Missile Design", 2nd ed., ch. 2, and of the
# generic artillery-rocket curves in McCoy, "Modern Exterior Ballistics", ch. 2).
# Scaled per class by ``drag_form_factor``.
GENERIC_FIN_ROCKET_DRAG: tuple[tuple[float, float], ...] = (
    (0.00, 0.30), (0.60, 0.30), (0.80, 0.32), (0.90, 0.36), (1.00, 0.48), (1.10, 0.55),
    (1.20, 0.54), (1.40, 0.50), (1.60, 0.46), (2.00, 0.40), (2.50, 0.35), (3.00, 0.31),
    (4.00, 0.27), (6.00, 0.24),
)


class RocketClass(BaseModel):
    """One class of unguided rocket, as the point-mass flight model sees it.

    The model: constant thrust ``thrust_n`` for ``burn_time_s`` along the body axis, which
    leaves the tube along the tube and turns toward the air-relative velocity with the time
    constant ``weathercock_tau_s * (300 m/s / v_air) * sqrt(1.225 kg/m^3 / rho)``; mass falling
    linearly from ``launch_mass_kg`` to ``burnout_mass_kg``; drag ``0.5 rho v^2 Cd(M) A`` with
    ``Cd = drag_form_factor * table`` (see :mod:`forceprot.flight.trajectory`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str = Field("", description="Human-readable name of the class.")
    diameter_m: float = Field(gt=0.01, le=1.0, description="Calibre, reference diameter for drag [m].")
    launch_mass_kg: float = Field(gt=0, le=5000, description="Mass at launch [kg].")
    burnout_mass_kg: float = Field(gt=0, le=5000, description="Mass after the motor burns out [kg].")
    burn_time_s: float = Field(gt=0, le=60, description="Motor burn time [s].")
    thrust_n: float = Field(gt=0, le=1e7, description="Mean motor thrust (total impulse / burn time) [N].")
    tube_length_m: float = Field(
        1.0, ge=0, le=20,
        description="Travel along the launch tube (or rail) from rest to the muzzle [m]. The "
                    "flight starts at rest and the motor pushes the rocket out; the muzzle speed "
                    "is computed, not given. Default illustrative: about one rocket length of a "
                    "107 mm-class tube. 0 starts the flight at rest at the muzzle.")
    launch_height_m: float = Field(
        1.5, ge=0, le=20, description="Height of the tube muzzle above the ground [m].")
    drag_mach: tuple[float, ...] = Field(
        tuple(m for m, _ in GENERIC_FIN_ROCKET_DRAG),
        description="Mach numbers of the drag table, strictly increasing, starting at 0 [-].")
    drag_cd: tuple[float, ...] = Field(
        tuple(c for _, c in GENERIC_FIN_ROCKET_DRAG),
        description="Zero-lift drag coefficient at each Mach number of drag_mach [-].")
    drag_form_factor: float = Field(
        1.0, gt=0, le=10, description="Multiplier on the drag table, calibrated to max range [-].")
    min_range_m: float = Field(gt=0, description="Published minimum range [m].")
    max_range_m: float = Field(gt=0, le=500_000, description="Published nominal maximum range [m].")
    min_elevation_deg: float = Field(
        2.0, ge=0, lt=45, description="Lowest quadrant elevation the launcher is laid at [deg].")
    weathercock_tau_s: float = Field(
        0.04, gt=0, le=10,
        description="Weathercocking time constant [s]: how fast the body axis (and the thrust) "
                    "turns toward the air-relative velocity during the burn, at 300 m/s air "
                    "speed and sea-level density (1.225 kg/m^3); it scales as 1 / (v sqrt(rho)), "
                    "the restoring moment's frequency being proportional to sqrt(q). "
                    "Illustrative: 1 / omega for a fin-stabilised artillery rocket whose pitch "
                    "natural frequency is omega = sqrt(-Cm_alpha q S d / I), several Hz at high "
                    "dynamic pressure (Fleeman, Tactical Missile Design, static stability; "
                    "McCoy, Modern Exterior Ballistics, linearized pitching and yawing motion). "
                    "Default 0.04 s: a 1 m, 20 kg class with Cm_alpha = -15 /rad (4 Hz at "
                    "300 m/s). Values below the integration step align the thrust with the "
                    "air-relative velocity at once.")
    published_burnout_speed_mps: float | None = Field(
        None, gt=0, description="Published maximum (burnout) speed, for validation [m/s].")
    source: str = Field("", description="Where the figures come from.")

    @model_validator(mode="after")
    def _consistent(self) -> "RocketClass":
        if self.burnout_mass_kg >= self.launch_mass_kg:
            raise ValueError(
                f"burnout_mass_kg ({self.burnout_mass_kg}) must be below launch_mass_kg "
                f"({self.launch_mass_kg})")
        if self.min_range_m >= self.max_range_m:
            raise ValueError(
                f"min_range_m ({self.min_range_m}) must be below max_range_m ({self.max_range_m})")
        if len(self.drag_mach) != len(self.drag_cd) or len(self.drag_mach) < 2:
            raise ValueError("drag_mach and drag_cd must have the same length, at least 2")
        if any(b <= a for a, b in zip(self.drag_mach, self.drag_mach[1:])):
            raise ValueError("drag_mach must be strictly increasing")
        if self.drag_mach[0] != 0.0:
            raise ValueError("drag_mach must start at 0")
        if any(c <= 0 for c in self.drag_cd):
            raise ValueError("drag_cd values must be > 0")
        return self

    @property
    def reference_area_m2(self) -> float:
        """Cross-section used for drag [m^2]."""
        import math

        return math.pi * 0.25 * self.diameter_m**2


BUNDLED_ROCKETS: dict[str, RocketClass] = {
    # 107 mm Type 63 family: 18.8 kg, about 385 m/s maximum speed, 8.05 km maximum range, as
    # published in open references (e.g. Jane's Ammunition Handbook entry "107 mm Type 63 rocket";
    # the widely reproduced figures of the Type 63 multiple rocket launcher).
    # Motor figures are illustrative: 3.2 kg propellant burnt in 0.9 s; thrust_n calibrated so
    # the model's burnout speed at the max-range elevation is the published 385 m/s (total
    # impulse 6.45 kN s, specific impulse ~205 s, typical of a double-base motor), then
    # drag_form_factor calibrated so the model's max range (no wind, sea level) is the
    # published 8.05 km: forceprot.ballistics.calibrate() (flight model 2: 7164.6 N, 0.81641),
    # rounded (model: 8050.4 m at 44.1 deg, burnout 385.0 m/s).
    # weathercock_tau_s, illustrative: a fin-stabilised rocket of this size (0.84 m, 18.8 kg,
    # I ~ m L^2 / 12 = 1.1 kg m^2, Cm_alpha ~ -15 /rad on the calibre) has a pitch frequency
    # sqrt(-Cm_alpha q S d / I) of 4.3 Hz at 300 m/s at sea level, tau = 1 / omega = 0.04 s
    # (Fleeman, Tactical Missile Design, static stability; McCoy, Modern Exterior Ballistics,
    # linearized pitching and yawing motion).
    # The Type 63 rocket is spun by canted nozzles and a spinning body follows the relative wind
    # more slowly, so 0.08 s: 2 Hz at 300 m/s, 2.5 Hz at its 385 m/s burnout. The 8 m/s
    # crosswind offset at 6 km is 570 m at 0.04 s, 380 m at 0.08 s, 280 m at 0.13 s.
    # min_elevation_deg: the model's no-wind range at 3.5 deg (about 920 m) is below the
    # published 1 km minimum range, so every published range has a low-angle solution.
    "107mm": RocketClass(
        label="107 mm spin/fin-stabilised rocket (Type 63 class)",
        diameter_m=0.107,
        launch_mass_kg=18.8,
        burnout_mass_kg=15.6,
        burn_time_s=0.9,
        thrust_n=7540.5,
        tube_length_m=1.0,
        launch_height_m=1.5,
        drag_form_factor=0.8128,
        weathercock_tau_s=0.08,
        min_range_m=1000.0,
        max_range_m=8050.0,
        min_elevation_deg=3.2,
        published_burnout_speed_mps=385.0,
        source="Open literature: Type 63 107 mm rocket, 18.8 kg, ~385 m/s, max range 8.05 km "
               "(Jane's Ammunition Handbook; public summaries). Motor and drag illustrative, "
               "calibrated to max range.",
    ),
    # 122 mm 9M22U (Grad): 66.6 kg, 20.45 kg propellant, about 690 m/s, 1.6 to 20.4 km, per the
    # widely published 9M22U figures (Jane's Ammunition Handbook; public BM-21 summaries).
    # Burn time illustrative (1.9 s); thrust_n calibrated so the model's burnout speed at the
    # max-range elevation is the published 690 m/s (total impulse 38.0 kN s, specific impulse
    # ~190 s), then drag_form_factor calibrated so the model's max range (no wind, sea level)
    # is the published 20.38 km: forceprot.ballistics.calibrate() (flight model 2: 20013.3 N,
    # 1.02705), rounded (model: 20380 m at 48.1 deg, burnout 690.0 m/s).
    # weathercock_tau_s, illustrative: 2.87 m and 66.6 kg (I ~ 46 kg m^2), Cm_alpha ~ -36 /rad
    # on the calibre (about 3 calibres of static margin behind the wrap-around fins): pitch
    # frequency 1.25 Hz at 300 m/s at sea level, 2.9 Hz at the 690 m/s burnout, tau = 1 / omega
    # = 0.13 s, taken as 0.12 s (same sources as the 107 mm). The 8 m/s crosswind offset at
    # 15 km is 1.1 km at 0.07 s, 850 m at 0.12 s, 650 m at 0.2 s.
    # min_elevation_deg: the model's no-wind range at 3.4 deg (about 1.47 km) is below the
    # published 1.6 km minimum range; lower elevations skim the ground and their range changes
    # too fast with elevation for the trajectory family.
    "122mm": RocketClass(
        label="122 mm fin-stabilised rocket (9M22 Grad class)",
        diameter_m=0.122,
        launch_mass_kg=66.6,
        burnout_mass_kg=46.15,
        burn_time_s=1.9,
        thrust_n=21153.0,
        tube_length_m=3.0,
        launch_height_m=2.0,
        drag_form_factor=1.0193,
        weathercock_tau_s=0.12,
        min_range_m=1600.0,
        max_range_m=20380.0,
        min_elevation_deg=3.2,
        published_burnout_speed_mps=690.0,
        source="Open literature: 9M22U 122 mm rocket, 66.6 kg, 20.45 kg propellant, ~690 m/s, "
               "range 1.6-20.4 km (Jane's Ammunition Handbook; public summaries). Thrust and drag "
               "illustrative, calibrated to max range.",
    ),
}
