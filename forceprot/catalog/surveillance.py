"""Surveillance classes and the launch team's exposure, as data with their sources.

Before a salvo is fired, a launch team drives to its launch point and sets up. Cameras,
aerostats, patrols and drones watching that ground may find it first
(:mod:`forceprot.surveillance`). Every figure here is generic and **illustrative**: no public
source gives detection rates or set-up times of real sensors against real launch teams, and
forceprot holds no deployment data. A planner should set them from their own knowledge of their
sensors and of the threat; the defaults only make the example run.

A sensor finds a team it can see as a Poisson process: ``detect_rate_per_min`` is the rate
``lambda`` [1/min], so that a team in view for ``t`` minutes is found with probability
``1 - exp(-lambda t)`` (the standard glimpse/continuous-looking model: B. O. Koopman, *Search
and Screening*, OEG Report 56, 1946, ch. 2; A. R. Washburn, *Search and Detection*, 4th ed.,
2002, ch. 2). ``rate = -ln(1 - p) / t`` turns a P(detect) ``p`` in ``t`` minutes into a rate.

Public accounts of the attacks this tool is built around say the launchers were brought by
truck, hidden or set up in advance and fired by timer or remotely, and that some were found
before or after firing (Camp Taji, 14 March 2020: "an additional 24 rockets ... were found and
defused by Iraqi security forces", Jerusalem Post, https://www.jpost.com/Breaking-News/Multiple-rockets-fall-inside-Iraqs-Taji-base-security-sources-620932;
a rocket on a launching platform found along Highway 1 between Baghdad and Samarra, June 2020,
https://www.blog.talos-iraq.com/isf-clear-rocket-on-platform-along-area-of-highway-1-north-of-baghdad/;
truck-launched rockets fired by cell phone or washing-machine timer, AP via
http://bestofbothworlds.blogspot.com/2008/07/latest-extra-evil-bad-guys.html). None states a
set-up time; the set-up defaults below are illustrative.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AerostatClass", "CameraClass", "DroneClass", "LaunchTeam", "PatrolClass",
           "SETUP_DISTRIBUTIONS", "SURVEILLANCE_KINDS"]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

#: The kinds of ``[[surveillance]]`` entries.
SURVEILLANCE_KINDS: Final[tuple[str, ...]] = ("camera", "aerostat", "patrol", "drone")
#: Set-up time distributions ``[launch_team] setup`` may name.
SETUP_DISTRIBUTIONS: Final[tuple[str, ...]] = ("fixed", "lognormal", "gamma", "uniform")
#: Highest detection rate a sensor may have [1/min]: a team in view for a second is then found
#: with P = 1 - exp(-1e4 / 60), 1 to double precision ("sees it at once").
MAX_DETECT_RATE_PER_MIN: Final[float] = 1e4

_RATE_DOC = ("Detection rate while the team is in view [1/min]: P(detect) in t minutes of "
             "exposure is 1 - exp(-rate t); a P(detect) p per minute is rate = -ln(1 - p). ")


class CameraClass(BaseModel):
    """A fixed camera (electro-optical or thermal) on a mast or tower."""

    model_config = _STRICT
    height_m: float = Field(
        15.0, ge=0, le=500, description="Camera height above the ground it stands on [m]. "
                                        "Illustrative: a mast or guard tower.")
    range_m: float = Field(
        4_000.0, gt=0, le=50_000, description="Range at which it can find a vehicle-sized "
                                              "team [m]. Illustrative.")
    fov_deg: float = Field(
        60.0, gt=0, le=360, description="Horizontal field of view [deg]; 360 for a camera that "
                                        "sees all round. Illustrative.")
    heading_deg: float = Field(
        0.0, ge=0, lt=360, description="Compass bearing the field of view is centred on [deg].")
    detect_rate_per_min: float = Field(
        0.2, ge=0, le=MAX_DETECT_RATE_PER_MIN,
        description=_RATE_DOC + "Illustrative: about 0.18 per minute of exposure.")


class AerostatClass(BaseModel):
    """A tethered aerostat with an all-round sensor."""

    model_config = _STRICT
    height_m: float = Field(
        300.0, ge=0, le=5_000, description="Sensor height above the ground it is moored on [m]. "
                                           "Illustrative.")
    range_m: float = Field(
        10_000.0, gt=0, le=100_000, description="Range at which it can find a vehicle-sized "
                                                "team [m]. Illustrative.")
    detect_rate_per_min: float = Field(
        0.1, ge=0, le=MAX_DETECT_RATE_PER_MIN,
        description=_RATE_DOC + "Illustrative: one sensor watching a wide area.")


class PatrolClass(BaseModel):
    """A ground patrol driving a route, seeing what is within range of the vehicle."""

    model_config = _STRICT
    speed_mps: float = Field(
        8.0, gt=0, le=50, description="Patrol speed along its route [m/s]. Illustrative: about "
                                      "30 km/h on rural roads.")
    height_m: float = Field(
        2.5, ge=0, le=50, description="Observer height above the ground [m]. Illustrative: "
                                      "a gunner's hatch.")
    range_m: float = Field(
        1_500.0, gt=0, le=20_000, description="Range at which the patrol can find a team [m]. "
                                              "Illustrative.")
    detect_rate_per_min: float = Field(
        0.5, ge=0, le=MAX_DETECT_RATE_PER_MIN,
        description=_RATE_DOC + "Illustrative.")


class DroneClass(BaseModel):
    """A drone flying a circular orbit, sensor looking all round."""

    model_config = _STRICT
    orbit_radius_m: float = Field(
        2_000.0, ge=0, le=50_000, description="Radius of the orbit [m]. Illustrative.")
    height_m: float = Field(
        1_000.0, ge=0, le=10_000, description="Flight height above the ground beneath it [m]. "
                                              "Illustrative.")
    speed_mps: float = Field(
        30.0, gt=0, le=200, description="Ground speed along the orbit [m/s] (gives the revisit "
                                        "time). Illustrative.")
    range_m: float = Field(
        5_000.0, gt=0, le=50_000, description="Slant range at which it can find a team [m]. "
                                              "Illustrative.")
    detect_rate_per_min: float = Field(
        0.3, ge=0, le=MAX_DETECT_RATE_PER_MIN,
        description=_RATE_DOC + "Illustrative.")


class LaunchTeam(BaseModel):
    """How long the launch team is exposed before it fires, and what a detection buys.

    The team drives in (``approach_exposed_min`` in view of sensors that watch its launch
    point), then sets up for a time drawn from ``setup`` (fired at its end). Found at time
    ``t`` into that exposure ``E``, the salvo is prevented with probability ``prevent_p`` if the
    response arrives in time, ``t + response_time_min <= E``.
    """

    model_config = _STRICT
    setup: Literal[SETUP_DISTRIBUTIONS] = Field(  # type: ignore[valid-type]
        "lognormal", description="Distribution of the set-up time: fixed (setup_median_min), "
                                 "lognormal (median, setup_sigma_log), gamma (median, "
                                 "setup_shape) or uniform (setup_low_min to setup_high_min).")
    setup_median_min: float = Field(
        15.0, gt=0, le=1_440, description="Median set-up time at the launch point [min] (the "
                                          "fixed time for setup = 'fixed'). Illustrative: public "
                                          "accounts give no set-up times.")
    setup_sigma_log: float = Field(
        0.5, gt=0, le=3, description="Lognormal set-up time: standard deviation of its "
                                     "natural log [-]. Illustrative.")
    setup_shape: float = Field(
        4.0, gt=0, le=1_000, description="Gamma set-up time: shape k [-]; the scale is set by "
                                         "the median. Illustrative.")
    setup_low_min: float = Field(
        5.0, ge=0, le=1_440, description="Uniform set-up time: shortest [min]. Illustrative.")
    setup_high_min: float = Field(
        30.0, gt=0, le=1_440, description="Uniform set-up time: longest [min]. Illustrative.")
    approach_exposed_min: float = Field(
        5.0, ge=0, le=1_440,
        description="Time the team is in view of the sensors watching its launch point while "
                    "it drives in, before set-up [min]. Illustrative: the last few km off the "
                    "road, seen as if at the launch point.")
    target_height_m: float = Field(
        3.0, ge=0, le=50, description="Height of what a sensor must see: truck and crew [m]. "
                                      "Illustrative: a light truck.")
    response_time_min: float = Field(
        10.0, ge=0, le=1_440,
        description="Detection to a response that can stop the team arriving (quick reaction "
                    "force, strike) [min]. Illustrative.")
    prevent_p: float = Field(
        0.8, ge=0, le=1, description="P(a response that arrives in time stops the salvo) [-]. "
                                     "Illustrative.")

    @model_validator(mode="after")
    def _uniform_bounds(self):
        if self.setup == "uniform" and self.setup_low_min >= self.setup_high_min:
            raise ValueError(f"setup_low_min ({self.setup_low_min:g}) must be below "
                             f"setup_high_min ({self.setup_high_min:g})")
        return self
