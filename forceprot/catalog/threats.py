"""Threat presets: how a crew lays and fires, as data with its sources.

A scenario's ``[threat] preset = "improvised_truck"`` fills the laying and firing fields the
scenario leaves out (aim error, dispersion, wind laying, firing angle, ripple); a field the
scenario writes overrides the preset's. Without a preset the fields keep their own defaults
(the behaviour before presets existed: ``trained_crew``'s figures, but laid from a no-wind
table unless ``lay_for_wind`` is set).

What the open accounts say
--------------------------
Attacks on bases in Iraq with 107 mm rockets fired from trucks report how many rockets were
fired and how many landed on the base:

- Camp Taji, 11 March 2020: "as many as 30 rockets were fired at the base, 18 of which struck
  the base" (a US official to the AP, reported by American Military News,
  https://americanmilitarynews.com/2020/03/iranian-backed-militia-launched-deadly-rocket-attack-on-us-troops-top-us-general-says);
  the launcher was a Kia Bongo flatbed truck with a rocket rack, found with three unfired
  rockets (DefPost, https://defpost.com/more-than-15-rocket-hits-iraq-camp-taji-base-hosting-coalition-troops-2-american-1-briton-reportedly-killed/).
  18 of 30: 60 %.
- Camp Taji, 14 March 2020: Iraq's Joint Operations Command counted 33 rockets launched from
  seven platforms, 24 more found unfired (7NEWS/Reuters,
  https://7news.com.au/news/conflict/iraqi-military-says-33-rockets-hit-base-c-745321); the
  coalition said "at least 25" 107 mm rockets impacted the base (SOFREP,
  https://sofrep.com/amp/news/us-base-in-iraq-comes-under-yet-another-rocket-attack-several-wounded).
  At least 25 of 33: 76 % or more.
- Erbil, 15 February 2021, a smaller target (the coalition section of an airport): about
  fourteen 107 mm rockets, three struck the coalition base, the others fell in residential
  areas (https://wikimili.com/en/2021_Erbil_rocket_attacks): 21 %.

So on a base of Taji's size (about 15 square miles) an improvised truck launcher puts roughly
60-76 % of its rockets inside the perimeter (43 of 63 over the two Taji attacks, 68 %), and far
fewer on a small target. ``improvised_truck`` is fitted to that: with its dispersion and aim
points uniform over the bundled Taji outline (``sites/taji.toml``, 38.8 km^2), an aim error of
1,500 m per axis puts 68 % of the rockets inside (``forceprot run sites/taji.toml --salvos 4096
--seed 7``; docs/threat.md). That figure is a fit, not a measured laying error: it lumps the
compass error below (200-500 m across the line of fire at 5 km), a standoff guessed from a map,
an elevation set by eye, and the crew's idea of where on the base its aim point is.

How such a crew lays: by eye, a map and a phone. A study of smartphone compasses against a
theodolite found azimuth errors of 1-3 deg right after calibration, two to three times that
without recalibration, 3-4 deg RMS for angles and isolated errors of 13-25 deg
(Lviv Polytechnic, "Use of smartphones for determining orientation angles in the field",
https://science.lpnu.ua/uk/node/42954). 3 deg at 5 km is 260 m across the line of fire; a
guessed standoff and an elevation set by eye add as much along it. Such launchers are fired by
a timer or a phone, unattended ("the detonation is sometimes triggered by a signal from a cell
phone, other times by a washing machine timer", AP on improvised rocket launchers in Baghdad,
quoted at http://bestofbothworlds.blogspot.com/2008/07/latest-extra-evil-bad-guys.html), with
no met data. Rocket-to-rocket dispersion comes from thrust misalignment, wind, launch
disturbances and mass and impulse variations (de Jong, "Review of some methods for dispersion
calculation and impact prediction for sounding rockets", University of Michigan, 1963,
http://deepblue.lib.umich.edu/bitstream/handle/2027.42/4530/bad8045.0001.001.txt); a rack
bolted to a truck bed without jacks, laid in a hurry, adds launch disturbances.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PRESET_FIELDS", "THREAT_PRESETS", "ThreatPreset"]

#: The threat fields a preset fills (every one has a bound and unit in forceprot.scenario.Threat).
PRESET_FIELDS: Final[tuple[str, ...]] = (
    "aim_sigma_m", "range_sigma_frac", "deflection_sigma_mil", "lay_for_wind", "elevation",
    "ripple_s")


class ThreatPreset(BaseModel):
    """How one kind of crew lays and fires, with where the figures come from."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    label: str = Field(description="Short name for reports.")
    meaning: str = Field(description="What the preset stands for, one or two sentences.")
    aim_sigma_m: float = Field(
        ge=0, le=10_000, description="Per-salvo aim error, standard deviation per axis [m].")
    range_sigma_frac: float = Field(
        ge=0, le=0.5, description="Per-rocket range dispersion, standard deviation / range [-].")
    deflection_sigma_mil: float = Field(
        ge=0, le=500, description="Per-rocket deflection dispersion, std. dev. [mil, 6400/turn].")
    lay_for_wind: bool = Field(description="The crew aims off for the wind (met data).")
    elevation: Literal["low", "high"] | float = Field(
        description="Firing angle: low or high solution, or a fixed quadrant elevation [deg].")
    ripple_s: float = Field(ge=0, le=60, description="Interval between rockets of a salvo [s].")
    source: str = Field(description="Where the figures come from.")

    def values(self) -> dict:
        """The threat fields this preset fills, by name."""
        return {name: getattr(self, name) for name in PRESET_FIELDS}


THREAT_PRESETS: Final[dict[str, ThreatPreset]] = {
    "improvised_truck": ThreatPreset(
        label="improvised truck launcher",
        meaning="Tubes bolted in a truck bed, laid by eye, map and phone from an unsurveyed "
                "spot, no met data, fired by a timer: the salvo's mean point of impact falls "
                "1-2 km from the aim point, and about a third of the rockets miss a base of "
                "Taji's size.",
        # fitted: share of rockets inside the Taji outline 68 % (accounts: 60 %, >= 76 %,
        # pooled 43 of 63); see the module docstring and docs/threat.md
        aim_sigma_m=1500.0,
        range_sigma_frac=0.03,
        deflection_sigma_mil=10.0,
        lay_for_wind=False,
        elevation="low",
        ripple_s=0.5,
        source="aim_sigma_m fitted so that 68 % of the rockets land inside a "
               "Taji-sized base, as in the March 2020 Camp Taji attacks (18 of ~30 and >= 25 of "
               "33 rockets on the base; americanmilitarynews.com, 7news.com.au, sofrep.com; "
               "forceprot.catalog.threats); phone-compass laying errors of 2-6 deg "
               "(science.lpnu.ua/uk/node/42954). Dispersion figures illustrative: larger than "
               "a trained battery's for a rack bolted to a truck bed; ripple illustrative. No met "
               "data: timer-fired crews lay from a no-wind table.",
    ),
    "trained_crew": ThreatPreset(
        label="trained crew",
        meaning="A trained rocket battery on a surveyed position with met data: it lays the "
                "low-angle table solution corrected for the wind, and its salvo's mean point "
                "of impact falls within about 150 m of the aim point.",
        aim_sigma_m=150.0,
        range_sigma_frac=0.015,
        deflection_sigma_mil=5.0,
        lay_for_wind=True,
        elevation="low",
        ripple_s=0.5,
        source="Illustrative: the figures forceprot used before presets (surveyed position and "
               "target, met data; rocket-to-rocket dispersion of 1.5 % of range and 5 mil, "
               "from thrust misalignment, wind and impulse variation as in de Jong 1963, "
               "deepblue.lib.umich.edu/bitstream/handle/2027.42/4530).",
    ),
}
