"""Scenario -> compiled arrays.

:func:`prepare_scenario` reads and checks everything a run needs (the scenario file, its
layers, the rocket's reach). :func:`compile_scenario` turns the result into a
:class:`CompiledScenario`: C-contiguous float64/int64 arrays and scalars, in SI units and
radians, which is all the numba kernel ever sees. After this module, inputs are trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forceprot.errors import ScenarioError
from forceprot.geo import SiteGeometry, load_site
from forceprot.scenario import Scenario, load_scenario

__all__ = ["Prepared", "prepare_scenario", "prepare"]


@dataclass(frozen=True)
class Prepared:
    """A validated scenario and its site geometry in the local metric CRS."""

    scenario: Scenario
    site: SiteGeometry


def prepare(scenario: Scenario) -> Prepared:
    """Check a validated scenario against its geometry and the rocket's reach."""
    site = load_site(scenario)
    rocket = scenario.rocket_class
    label = scenario.label
    threat = scenario.threat
    if threat.min_standoff_m >= rocket.max_range_m:
        raise ScenarioError(
            f"the launch zone starts beyond the {threat.rocket} maximum range "
            f"({rocket.max_range_m:.0f} m)", file=label, field="threat.min_standoff_m",
            value=threat.min_standoff_m)
    gap = site.launch_zone.distance(site.base)
    if gap >= rocket.max_range_m:
        raise ScenarioError(
            f"no launch position is within the {threat.rocket} maximum range "
            f"({rocket.max_range_m:.0f} m) of the base (nearest is {gap:.0f} m)",
            file=label, field="site.launch_areas", value=scenario.site.launch_areas)
    return Prepared(scenario=scenario, site=site)


def prepare_scenario(path: str | Path) -> Prepared:
    """Load a scenario file and prepare it (see :func:`prepare`)."""
    return prepare(load_scenario(path))
