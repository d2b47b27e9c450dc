"""Defence classes: close-in counter-rocket gun mounts and area air-defence batteries.

All figures are generic and illustrative, taken from the ranges given in open, public
descriptions of the system classes (manufacturer brochures, Jane's Land-Based Air Defence,
public press and congressional-research summaries). They are round numbers, not the
characteristics of any fielded unit, and every one can be overridden per unit in a scenario.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from forceprot.engage import params as P

__all__ = ["CramClass", "IronDomeClass", "PatriotClass", "CRAM_CLASSES", "DEFENCE_CLASSES",
           "PATRIOT_CLASSES", "DEFENCE_KINDS"]

DEFENCE_KINDS = ("cram", "patriot", "iron_dome")

#: Why the track delay has the value it has. No open source gives the time from first detection
#: to a fire-control-quality track for these radars; counter-battery and counter-mortar radars
#: must follow a projectile over several updates before they can extrapolate its impact point.
_TRACK = ("First detection to a fire-control track, on which fire control and the warning act "
          "[s]. Illustrative: a few radar updates to a ballistic track; no open source gives a "
          "figure (a plausible range is 1-6 s).")
#: Why the beam floor has the value it has.
_FLOOR = ("Lowest elevation angle the radar sees, from the antenna's local horizontal, heights "
          "corrected for a 4/3 earth; negative lets a tall mast look down [deg]. Illustrative "
          "default 0.5 deg: the lowest search beam is kept a little above the horizon to limit "
          "ground clutter (Skolnik, Introduction to Radar Systems, 3rd ed., ch. 7, clutter); "
          "terrain and buildings add their own masking (site.dem, site.buildings).")


class _DefenceClass(BaseModel):
    """What every defence kind provides, so that compile, outputs and studies never branch on
    the kind: its kernel code and parameter row (:mod:`forceprot.engage.params`), its sensor,
    its reach, its engagement envelope, and how maps draw it."""

    #: ``forceprot.engage.params`` KIND_* code the kernel dispatches on.
    kind_code: ClassVar[int]
    #: Map style: marker, colour, label, envelope legend, whether the envelope is shaded.
    style: ClassVar[dict]

    @property
    def detection_range_m(self) -> float:
        """Range at which the unit's sensor detects a rocket [m]."""
        raise NotImplementedError

    @property
    def reach_m(self) -> float:
        """Farthest ground distance at which the unit can kill a rocket [m]."""
        raise NotImplementedError

    @property
    def envelope_radius_m(self) -> float:
        """Static disk the unit protects [m]: the defended radius capped by the reach."""
        return float(min(self.defended_radius_m, self.reach_m))

    def envelope_m(self) -> tuple[float, float, float]:
        """The engagement envelope as a ring on the ground around the unit: inner and outer
        radius [m] and the lowest height engaged [m]."""
        raise NotImplementedError

    def parameter_row(self) -> np.ndarray:
        """This unit's row of the kernel's parameter table: float64 (N_PAR,), SI units, radians."""
        row = np.zeros(P.N_PAR, dtype=np.float64)
        row[P.P_KILL] = self.p_kill
        row[P.P_DEFENDED_RADIUS_M] = self.defended_radius_m
        row[P.P_REACTION_S] = self.reaction_s
        row[P.P_TRACK_S] = self.track_s
        row[P.P_MIN_THREAT_RANGE_M] = self.min_threat_range_m
        self._fill_row(row)
        return row

    def _fill_row(self, row: np.ndarray) -> None:
        raise NotImplementedError

    def describe_envelope(self) -> str:
        """One-line envelope for consoles and reports."""
        raise NotImplementedError

    def describe_magazine(self) -> str:
        """One-line magazine for consoles and reports."""
        raise NotImplementedError

    def layer_fields(self) -> dict:
        """Kind-specific columns of the defences layer (the union over kinds is fixed there)."""
        raise NotImplementedError

_PUBLIC = "Illustrative; public class description (Jane's Land-Based Air Defence; public summaries)."


class CramClass(_DefenceClass):
    """A C-RAM-class gun mount: one rocket at a time, a magazine of rounds.

    A mount engages a rocket only if the rocket is predicted to land inside the defended area
    (the base with a margin) and within ``defended_radius_m`` of the mount, and only while the
    rocket is inside its engagement envelope (slant range <= ``max_range_m``, height >=
    ``min_height_m``). The first burst comes no earlier than ``reaction_s`` after the mount's
    sensor first detects any rocket of the salvo; each engagement occupies the mount for
    ``engage_s`` and uses ``rounds_per_engagement`` rounds.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str = Field("C-RAM-class 20 mm gun mount", description="Name of the class.")
    sensor_range_m: float = Field(
        10_000.0, gt=0, le=500_000,
        description="Range at which the fire-control/search radar detects a rocket [m]. " + _PUBLIC)
    sensor_height_m: float = Field(
        5.0, ge=0, le=200, description="Antenna height above ground [m]. " + _PUBLIC)
    sensor_min_elevation_deg: float = Field(0.5, ge=-1, le=30, description=_FLOOR)
    track_s: float = Field(2.0, ge=0, le=120, description=_TRACK)
    reaction_s: float = Field(
        3.0, ge=0, le=300,
        description="First fire-control track of the salvo to first burst [s]. " + _PUBLIC)
    min_threat_range_m: float = Field(
        0.0, ge=0, le=500_000,
        description="Engages only rockets whose predicted range of flight (launcher to impact) "
                    "is at least this [m]; 0: every rocket.")
    max_range_m: float = Field(
        1_500.0, gt=0, le=20_000, validation_alias=AliasChoices("max_range_m", "range_m"), description="Maximum engagement slant range [m]. " + _PUBLIC)
    min_height_m: float = Field(
        60.0, ge=0, le=10_000,
        description="Minimum height for an engagement (self-destruct rounds, safety) [m]. " + _PUBLIC)
    defended_radius_m: float = Field(
        1_200.0, gt=0, le=100_000,
        description="Engages rockets predicted to land within this distance of the mount [m].")
    engage_s: float = Field(
        2.5, gt=0, le=60, description="Slew, burst and assessment time of one engagement [s]. " + _PUBLIC)
    p_kill: float = Field(
        0.7, ge=0, le=1, validation_alias=AliasChoices("p_kill", "pk"), description="Kill probability of one engagement [-]. " + _PUBLIC)
    rounds_per_engagement: int = Field(
        100, ge=1, le=100_000, description="Rounds fired per engagement [rounds]. " + _PUBLIC)
    magazine_rounds: int = Field(
        1_550, ge=1, le=1_000_000, description="Rounds before the mount must reload [rounds]. " + _PUBLIC)
    reload_s: float = Field(
        600.0, ge=0, le=86_400, description="Time to reload the magazine [s]. " + _PUBLIC)

    kind_code: ClassVar[int] = P.KIND_CRAM
    style: ClassVar[dict] = {"marker": "^", "color": "#1f4e9c", "label": "C-RAM-class mount",
                             "envelope_label": "engagement disk (max range at min height)",
                             "shade_envelope": True}

    @property
    def detection_range_m(self) -> float:
        return float(self.sensor_range_m)

    @property
    def reach_m(self) -> float:
        return float(self.max_range_m)

    def envelope_m(self) -> tuple[float, float, float]:
        # a rocket at the minimum engagement height is within the maximum slant range
        outer = math.sqrt(max(self.max_range_m ** 2 - self.min_height_m ** 2, 0.0))
        return 0.0, outer, float(self.min_height_m)

    def _fill_row(self, row: np.ndarray) -> None:
        row[P.P_SENSOR_RANGE_M] = self.sensor_range_m
        row[P.P_SENSOR_HEIGHT_M] = self.sensor_height_m
        row[P.P_TAN_MIN_ELEVATION] = math.tan(math.radians(self.sensor_min_elevation_deg))
        row[P.P_GUN_MAX_RANGE_M] = self.max_range_m
        row[P.P_GUN_MIN_HEIGHT_M] = self.min_height_m
        row[P.P_GUN_ENGAGE_S] = self.engage_s
        row[P.P_GUN_ROUNDS_PER_ENGAGEMENT] = self.rounds_per_engagement
        row[P.P_GUN_MAGAZINE_ROUNDS] = self.magazine_rounds
        row[P.P_GUN_RELOAD_S] = self.reload_s

    def describe_envelope(self) -> str:
        return f"{self.max_range_m:,.0f} m, ≥{self.min_height_m:g} m"

    def describe_magazine(self) -> str:
        return f"{self.magazine_rounds // self.rounds_per_engagement} engagements"

    def layer_fields(self) -> dict:
        return {"max_range_m": self.max_range_m, "min_height_m": self.min_height_m,
                "engage_s": self.engage_s, "magazine_rounds": self.magazine_rounds,
                "rounds_per_engagement": self.rounds_per_engagement}

    @model_validator(mode="after")
    def _consistent(self) -> "CramClass":
        if self.rounds_per_engagement > self.magazine_rounds:
            raise ValueError(
                f"rounds_per_engagement ({self.rounds_per_engagement}) exceeds magazine_rounds "
                f"({self.magazine_rounds})")
        return self


class PatriotClass(_DefenceClass):
    """A Patriot-class area air-defence battery: interceptors with flyout time and a magazine.

    An interceptor launched at ``t_launch`` can intercept a rocket at time ``t`` only if the rocket
    is then inside the intercept envelope (ground range and altitude limits) and within
    ``interceptor_speed_mps * (t - t_launch)`` of the battery.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str = Field("Patriot-class battery", description="Name of the class.")
    radar_range_m: float = Field(
        40_000.0, gt=0, le=500_000,
        description="Detection range against a small artillery rocket [m]. " + _PUBLIC)
    radar_height_m: float = Field(
        4.0, ge=0, le=200, description="Antenna height above ground [m]. " + _PUBLIC)
    radar_min_elevation_deg: float = Field(0.5, ge=-1, le=30, description=_FLOOR)
    track_s: float = Field(2.0, ge=0, le=120, description=_TRACK)
    reaction_s: float = Field(
        9.0, ge=0, le=600,
        description="First fire-control track of the salvo to first launch [s]. " + _PUBLIC)
    min_threat_range_m: float = Field(
        0.0, ge=0, le=500_000,
        description="Engages only rockets whose predicted range of flight (launcher to impact) "
                    "is at least this [m]; 0: every rocket.")
    interceptor_speed_mps: float = Field(
        1_000.0, gt=0, le=5_000, description="Mean interceptor flyout speed [m/s]. " + _PUBLIC)
    min_intercept_range_m: float = Field(
        1_500.0, ge=0, le=500_000, description="Minimum intercept ground range [m]. " + _PUBLIC)
    max_intercept_range_m: float = Field(
        20_000.0, gt=0, le=500_000,
        validation_alias=AliasChoices("max_intercept_range_m", "range_m"), description="Maximum intercept ground range [m]. " + _PUBLIC)
    min_intercept_alt_m: float = Field(
        300.0, ge=0, le=50_000, description="Minimum intercept altitude above ground [m]. " + _PUBLIC)
    max_intercept_alt_m: float = Field(
        20_000.0, gt=0, le=100_000, description="Maximum intercept altitude above ground [m]. " + _PUBLIC)
    defended_radius_m: float = Field(
        30_000.0, gt=0, le=500_000,
        description="Engages rockets predicted to land within this distance of the battery [m].")
    launchers: int = Field(4, ge=1, le=64, description="Launchers in the battery [-]. " + _PUBLIC)
    missiles_per_launcher: int = Field(
        12, ge=1, le=64, description="Ready interceptors per launcher [-]. " + _PUBLIC)
    launch_interval_s: float = Field(
        3.0, ge=0, le=600, description="Minimum time between two launches of the battery [s]. " + _PUBLIC)
    doctrine: Literal["single", "ripple2", "shoot_look_shoot"] = Field(
        "ripple2",
        description="Interceptors per target: one; two launched launch_interval_s apart; or one, "
                    "then a second after a miss is assessed.")
    assess_s: float = Field(
        2.0, ge=0, le=600, description="Time after an intercept attempt to assess a miss [s].")
    p_kill: float = Field(
        0.6, ge=0, le=1, validation_alias=AliasChoices("p_kill", "pk"), description="Kill probability of one interceptor [-]. " + _PUBLIC)

    kind_code: ClassVar[int] = P.KIND_PATRIOT
    style: ClassVar[dict] = {"marker": "s", "color": "#6a2c91", "label": "Patriot-class battery",
                             "envelope_label": "intercept ring (min and max range)",
                             "shade_envelope": False}

    @property
    def detection_range_m(self) -> float:
        return float(self.radar_range_m)

    @property
    def reach_m(self) -> float:
        return float(self.max_intercept_range_m)

    def envelope_m(self) -> tuple[float, float, float]:
        return (float(self.min_intercept_range_m), float(self.max_intercept_range_m),
                float(self.min_intercept_alt_m))

    def _fill_row(self, row: np.ndarray) -> None:
        row[P.P_SENSOR_RANGE_M] = self.radar_range_m
        row[P.P_SENSOR_HEIGHT_M] = self.radar_height_m
        row[P.P_TAN_MIN_ELEVATION] = math.tan(math.radians(self.radar_min_elevation_deg))
        row[P.P_SAM_SPEED_MPS] = self.interceptor_speed_mps
        row[P.P_SAM_MIN_RANGE_M] = self.min_intercept_range_m
        row[P.P_SAM_MAX_RANGE_M] = self.max_intercept_range_m
        row[P.P_SAM_MIN_ALT_M] = self.min_intercept_alt_m
        row[P.P_SAM_MAX_ALT_M] = self.max_intercept_alt_m
        row[P.P_SAM_MISSILES] = self.launchers * self.missiles_per_launcher
        row[P.P_SAM_LAUNCH_INTERVAL_S] = self.launch_interval_s
        row[P.P_SAM_DOCTRINE] = P.DOCTRINES[self.doctrine]
        row[P.P_SAM_ASSESS_S] = self.assess_s

    def describe_envelope(self) -> str:
        return (f"{self.min_intercept_range_m / 1000:g}-{self.max_intercept_range_m / 1000:g} km, "
                f"{self.min_intercept_alt_m:g}-{self.max_intercept_alt_m:g} m alt")

    def describe_magazine(self) -> str:
        return f"{self.launchers * self.missiles_per_launcher} interceptors"

    def layer_fields(self) -> dict:
        return {"min_intercept_range_m": self.min_intercept_range_m,
                "max_intercept_range_m": self.max_intercept_range_m,
                "min_intercept_alt_m": self.min_intercept_alt_m,
                "max_intercept_alt_m": self.max_intercept_alt_m,
                "interceptors": self.launchers * self.missiles_per_launcher,
                "doctrine": self.doctrine}

    @model_validator(mode="after")
    def _consistent(self) -> "PatriotClass":
        if self.min_intercept_range_m >= self.max_intercept_range_m:
            raise ValueError(
                f"min_intercept_range_m ({self.min_intercept_range_m}) must be below "
                f"max_intercept_range_m ({self.max_intercept_range_m})")
        if self.min_intercept_alt_m >= self.max_intercept_alt_m:
            raise ValueError(
                f"min_intercept_alt_m ({self.min_intercept_alt_m}) must be below "
                f"max_intercept_alt_m ({self.max_intercept_alt_m})")
        return self


_IRON_DOME = ("Iron Dome-class; open figures: AFP summary of the system (three launchers of 20 "
              "interceptors, threat range 4-70 km), https://www.news.com.au/world/middle-east/"
              "what-is-israels-iron-dome-the-antimissile-shield-key-to-its-defences/news-story/"
              "bc809e96c0aa609cac7bded8db89155d; CRS IN10158 (fires only at projectiles that "
              "threaten the protected area), https://www.everycrsreport.com/reports/IN10158.html.")
_IRON_DOME_ILLUSTRATIVE = "Illustrative: no open figure; a round number for the class."


class IronDomeClass(PatriotClass):
    """An Iron Dome-class interceptor battery: the same engagement code as the Patriot class
    (:mod:`forceprot.engage.patriot`), with the open figures of a short-range counter-rocket
    system. It engages only rockets predicted to land in the area it defends and fired from at
    least ``min_threat_range_m`` (shorter flights leave it no time)."""

    label: str = Field("Iron Dome-class battery", description="Name of the class.")
    radar_range_m: float = Field(
        70_000.0, gt=0, le=500_000,
        description="Detection range against a small artillery rocket [m]. Set to the top of the "
                    "open 4-70 km threat-range figure. " + _IRON_DOME)
    reaction_s: float = Field(
        4.0, ge=0, le=600,
        description="First fire-control track of the salvo to first launch [s]. "
                    + _IRON_DOME_ILLUSTRATIVE)
    min_threat_range_m: float = Field(
        4_500.0, ge=0, le=500_000,
        description="Engages only rockets whose predicted range of flight is at least this [m]: "
                    "open accounts give 4-4.5 km as the shortest flight it can engage "
                    "(https://www.israelnationalnews.com/news/143132; " + _IRON_DOME + ")")
    interceptor_speed_mps: float = Field(
        700.0, gt=0, le=5_000,
        description="Mean interceptor flyout speed [m/s]. " + _IRON_DOME_ILLUSTRATIVE)
    min_intercept_range_m: float = Field(
        500.0, ge=0, le=500_000,
        description="Minimum intercept ground range [m]. " + _IRON_DOME_ILLUSTRATIVE)
    max_intercept_range_m: float = Field(
        10_000.0, gt=0, le=500_000,
        validation_alias=AliasChoices("max_intercept_range_m", "range_m"),
        description="Maximum intercept ground range [m]. Illustrative: a battery is said to "
                    "protect about 10 x 10 km to 60 sq mi (" + _IRON_DOME + ")")
    min_intercept_alt_m: float = Field(
        200.0, ge=0, le=50_000,
        description="Minimum intercept altitude above ground [m]. " + _IRON_DOME_ILLUSTRATIVE)
    max_intercept_alt_m: float = Field(
        10_000.0, gt=0, le=100_000,
        description="Maximum intercept altitude above ground [m]. " + _IRON_DOME_ILLUSTRATIVE)
    defended_radius_m: float = Field(
        7_000.0, gt=0, le=500_000,
        description="Engages rockets predicted to land within this distance of the battery [m]. "
                    "Illustrative: about 60 sq mi defended (" + _IRON_DOME + ")")
    launchers: int = Field(3, ge=1, le=64, description="Launchers in the battery [-]. " + _IRON_DOME)
    missiles_per_launcher: int = Field(
        20, ge=1, le=64, description="Ready interceptors per launcher [-]. " + _IRON_DOME)
    launch_interval_s: float = Field(
        1.0, ge=0, le=600,
        description="Minimum time between two launches of the battery [s]. "
                    + _IRON_DOME_ILLUSTRATIVE)
    doctrine: Literal["single", "ripple2", "shoot_look_shoot"] = Field(
        "single",
        description="Interceptors per target: one; two launched launch_interval_s apart; or one, "
                    "then a second after a miss is assessed. Open accounts report one, sometimes "
                    "two, per threat.")
    p_kill: float = Field(
        0.85, ge=0, le=1, validation_alias=AliasChoices("p_kill", "pk"),
        description="Kill probability of one interceptor [-]. Open claims of 85-93 % of engaged "
                    "rockets (Reuters, 22 Aug 2011, https://www.reuters.com/article/"
                    "uk-palestinians-israel-irondome-idUKTRE77L54W20110822), lowered for a "
                    "generic class.")

    style: ClassVar[dict] = {"marker": "D", "color": "#0f7b6c", "label": "Iron Dome-class battery",
                             "envelope_label": "intercept ring (min and max range)",
                             "shade_envelope": False}


CRAM_CLASSES: dict[str, CramClass] = {"cram": CramClass()}
PATRIOT_CLASSES: dict[str, PatriotClass] = {"patriot": PatriotClass(),
                                            "iron_dome": IronDomeClass()}
#: The class of each defence kind, by the scenario's ``kind`` key.
DEFENCE_CLASSES: dict[str, type[_DefenceClass]] = {"cram": CramClass, "patriot": PatriotClass,
                                                  "iron_dome": IronDomeClass}
