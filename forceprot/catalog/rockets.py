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

    The model: the rocket starts at rest in a tube of ``tube_length_m`` and the motor pushes it
    out (the muzzle speed is computed); constant thrust ``thrust_n`` for ``burn_time_s`` (tube
    phase included) along the body axis, which leaves the tube along the tube and turns toward the air-relative velocity with the time
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
                    "300 m/s); weathercock_tau_s_from_aerodynamics derives it from Cm_alpha, "
                    "inertia and calibre. Uncertain by a factor of order 1 (spin-stabilised "
                    "rockets more): give it as a distribution to sample it (docs/rockets.md). "
                    "Values below the integration step align the thrust with the "
                    "air-relative velocity at once.")
    published_burnout_speed_mps: float | None = Field(
        None, gt=0, description="Published maximum (burnout) speed, for validation [m/s].")
    lethal_radius_m: float = Field(
        10.0, gt=0, le=500,
        description="Lethal radius of the warhead against people in the open [m]: the radius R "
                    "of the damage function for killed (forceprot.kernel.casualties). "
                    "Illustrative: no open figure was found for either bundled class; set your "
                    "own, or sample it in `forceprot uncertainty`.")
    wounding_radius_m: float = Field(
        25.0, gt=0, le=1000,
        description="Casualty radius (killed or wounded) of the warhead against people in the "
                    "open [m], at least lethal_radius_m. Illustrative, as lethal_radius_m.")
    source: str = Field("", description="Where the figures come from.")

    @model_validator(mode="after")
    def _consistent(self) -> "RocketClass":
        if self.burnout_mass_kg >= self.launch_mass_kg:
            raise ValueError(
                f"burnout_mass_kg ({self.burnout_mass_kg}) must be below launch_mass_kg "
                f"({self.launch_mass_kg})")
        if self.wounding_radius_m < self.lethal_radius_m:
            raise ValueError(f"wounding_radius_m ({self.wounding_radius_m}) must be at least "
                             f"lethal_radius_m ({self.lethal_radius_m})")
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


def weathercock_tau_s_from_aerodynamics(*, cm_alpha_per_rad: float, transverse_inertia_kg_m2: float,
                                        diameter_m: float) -> float:
    """Weathercock time constant of a statically stable (finned) rocket from its aerodynamics.

    Parameters
    ----------
    cm_alpha_per_rad : float
        Pitching-moment slope about the centre of mass [1/rad], on the reference area
        ``pi d^2 / 4`` and length ``d``; negative when stable. For a finned body,
        ``-CN_alpha * static margin [calibres]``.
    transverse_inertia_kg_m2 : float
        Pitch (transverse) moment of inertia [kg m^2].
    diameter_m : float
        Reference diameter [m].

    Returns
    -------
    float
        ``1 / omega`` at 300 m/s and 1.225 kg/m^3 [s], with ``omega = sqrt(-Cm_alpha q S d / I)``
        the undamped pitch frequency [rad/s] (``weathercock_tau_s``).

    Notes
    -----
    ``omega / v = sqrt(-Cm_alpha rho S d / (2 I))`` does not depend on speed: the body turns
    into the relative wind over a fixed *distance* flown, which is why the flight model scales
    ``tau`` as ``1 / (v sqrt(rho))``. ``1 / omega`` is the first-order reduction of a damped
    second-order response (the real axis overshoots and oscillates about the relative wind),
    good to a factor of order 1. McCoy, *Modern Exterior Ballistics* (1999), ch. 9-10
    (linearized pitching and yawing motion); Fleeman, *Tactical Missile Design* (2006), ch. 2
    (static margin, Cm_alpha).
    """
    import math

    from forceprot.flight.trajectory import WEATHERCOCK_RHO_REF_KG_M3, WEATHERCOCK_V_REF_MPS

    if not cm_alpha_per_rad < 0.0:
        raise ValueError(f"cm_alpha_per_rad = {cm_alpha_per_rad}: must be < 0 (statically stable)")
    area_m2 = math.pi * 0.25 * diameter_m**2
    q_pa = 0.5 * WEATHERCOCK_RHO_REF_KG_M3 * WEATHERCOCK_V_REF_MPS**2
    return 1.0 / math.sqrt(-cm_alpha_per_rad * q_pa * area_m2 * diameter_m
                           / transverse_inertia_kg_m2)


BUNDLED_ROCKETS: dict[str, RocketClass] = {
    # 107 mm Type 63 family: 18.8 kg, about 385 m/s maximum speed, 8.05 km maximum range, as
    # published in open references (e.g. Jane's Ammunition Handbook entry "107 mm Type 63 rocket";
    # the widely reproduced figures of the Type 63 multiple rocket launcher).
    # Motor figures are illustrative: 3.2 kg propellant burnt in 0.9 s. The flight starts at rest
    # in a 1.0 m tube (illustrative: about the 0.84 m rocket's length) and the motor pays for
    # the tube phase (muzzle speed ~28 m/s after ~0.07 s, computed). thrust_n calibrated so the
    # burnout speed at the max-range elevation is the published 385 m/s (total impulse 6.79
    # kN s, specific impulse ~216 s, typical of a double-base motor), then drag_form_factor so
    # the max range (no wind, sea level) is the published 8.05 km:
    # forceprot.ballistics.calibrate() (flight model 3: 7540.48 N, 0.812806), rounded (model:
    # 8050 m at 43.9 deg, burnout 385.0 m/s). `forceprot rockets calibrate --rocket 107mm`.
    # With the flight-model-2 motor (7165 N, 0.8164), flown from rest, the range was 7676 m.
    # weathercock_tau_s: the Type 63 rocket is spun by canted nozzles, and fin weathercocking
    # theory does not strictly apply. As a finned body of this size (0.84 m, I ~ m L^2 / 12 =
    # 1.1 kg m^2, Cm_alpha ~ -15 /rad on the calibre) it would give 0.037 s
    # (weathercock_tau_s_from_aerodynamics); a spinning body turns to the relative wind more
    # slowly, so 0.08 s, and an uncertain parameter: sites/taji_uncertain.toml samples it
    # lognormal (median 0.08 s, sd_log 0.7, 95 % in 0.02-0.31 s). 8 m/s crosswind offset at
    # 6 km: 494 m upwind at 0.04 s, 335 m at 0.08 s, 168 m at 0.2 s, 47 m downwind with an axis
    # held along the tube (10 s). See docs/rockets.md.
    # min_elevation_deg: the model's no-wind range at 3.2 deg (about 895 m) is below the
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
    # Burn time illustrative (1.9 s). The flight starts at rest in a 3.0 m tube (illustrative:
    # the 2.87 m rocket's length and a little more) and the motor pays for the tube phase
    # (muzzle speed ~43 m/s after ~0.14 s, computed). thrust_n calibrated so the burnout speed
    # at the max-range elevation is the published 690 m/s (total impulse 40.2 kN s, specific
    # impulse ~200 s), then drag_form_factor so the max range (no wind, sea level) is the
    # published 20.38 km: forceprot.ballistics.calibrate() (flight model 3: 21153.15 N,
    # 1.019349), rounded (model: 20380 m at 47.8 deg, burnout 690.0 m/s). With the
    # flight-model-2 motor (20013 N, 1.0270), flown from rest, the range was 18891 m.
    # weathercock_tau_s, derived: 2.87 m and 66.6 kg (I ~ m L^2 / 12 = 46 kg m^2 at launch,
    # 32 kg m^2 at burnout), Cm_alpha ~ -36 /rad on the calibre (CN_alpha ~ 12 /rad, about 3
    # calibres of static margin behind the wrap-around fins; both illustrative):
    # weathercock_tau_s_from_aerodynamics gives 0.127 s at launch, 0.106 s at burnout; 0.12 s.
    # Uncertain by a factor ~1.5 either way (CN_alpha, margin); 8 m/s crosswind offset at
    # 15 km: 1278 m upwind at 0.04 s, 789 m at 0.12 s, 592 m at 0.2 s. See docs/rockets.md.
    # min_elevation_deg: the model's no-wind range at 3.2 deg (about 1.56 km) is below the
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
        # illustrative: a 6.3 kg charge (HRW, "Civilians under Assault", 2007,
        # https://www.hrw.org/reports/2007/iopt0807/5.htm) against the 107 mm class's ~1 kg;
        # no open lethal radius was found
        lethal_radius_m=15.0,
        wounding_radius_m=40.0,
        source="Open literature: 9M22U 122 mm rocket, 66.6 kg, 20.45 kg propellant, ~690 m/s, "
               "range 1.6-20.4 km (Jane's Ammunition Handbook; public summaries). Thrust and drag "
               "illustrative, calibrated to max range.",
    ),
}
