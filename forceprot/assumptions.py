"""Every assumption a run rests on, and the terms its counts are reported in.

:func:`assumptions` walks a validated :class:`~forceprot.scenario.Scenario` and lists each
parameter in effect (threat, the rocket class, each defence unit with its class parameters, the
warning chain, the site, the assets, and apart from those the simulation settings) with its value,
its unit, whether the scenario set it or a default supplied it, and the default's source. The
unit and the source are read from the field's description, which by project rule carries the unit
in brackets (``"Kill probability of one engagement [-]. Illustrative; ..."``), so a figure and
its documentation cannot drift apart.

:data:`ACCOUNTING_TERMS` defines, once, the rocket counts that the console, ``report.md`` and
``summary.json`` all print under the same names.
"""

from __future__ import annotations

import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Final, Literal, Mapping

from pydantic import BaseModel

from forceprot.catalog import BUNDLED_ROCKETS

if typing.TYPE_CHECKING:
    from forceprot.scenario import Scenario

__all__ = [
    "ACCOUNTING_TERMS",
    "Assumption",
    "Origin",
    "Term",
    "assumptions",
    "group_of",
    "origin_counts",
    "parameter_fields",
    "threat_profile",
]

#: Where a value in effect came from.
Origin = Literal["scenario", "preset", "class default", "default", "run option", "derived"]

#: Source given for a value the scenario file set.
SET_IN_SCENARIO: Final[str] = "Set in the scenario."
#: Source given for a default whose description names none. The project rule is that every
#: default cites a source or says "illustrative"; one that does neither is reported as such,
#: not dressed up.
NO_SOURCE: Final[str] = "No source stated; treat as illustrative."
#: Source of a simulation setting's default: a choice of the tool, not a claim about the world.
RUN_SETTING_SOURCE: Final[str] = "forceprot's default run setting (forceprot.scenario.Simulation)."
#: Defence class figures whose field description names no source: the catalog module states
#: that all its figures are generic and illustrative (forceprot/catalog/defences.py docstring).
DEFENCE_CLASS_SOURCE: Final[str] = (
    "Illustrative; generic class figure from open public descriptions "
    "(forceprot.catalog.defences).")
#: Surveillance and launch-team figures whose field description names no source.
SURVEILLANCE_SOURCE: Final[str] = (
    "Illustrative; generic figure, no public source gives real sensors' detection rates or "
    "launch teams' set-up times (forceprot.catalog.surveillance).")
#: Sources that live in a module comment rather than a field description.
_FIELD_SOURCES: Final[dict[str, str]] = {
    "drag_mach": "Generic fin-stabilised rocket drag curve (Fleeman, Tactical Missile Design, "
                 "ch. 2; McCoy, Modern Exterior Ballistics, ch. 2), forceprot.catalog.rockets.",
    "drag_cd": "Generic fin-stabilised rocket drag curve (Fleeman, Tactical Missile Design, "
               "ch. 2; McCoy, Modern Exterior Ballistics, ch. 2), forceprot.catalog.rockets.",
}
#: Names, file paths and free text are not parameters of the model.
_NOT_PARAMETERS: Final[frozenset[str]] = frozenset(
    {"name", "label", "source", "kind", "boundary", "boundary_layer", "crs", "exclusions",
     "launch_areas", "rocket", "dem", "buildings", "buildings_height_field",
     "occupancy", "occupancy_layer", "people_field", "kind_field", "hour_prefix", "shelters",
     "shelters_layer", "capacity_field", "route", "route_layer", "route_lonlat"})

_UNIT = re.compile(r"\[([^\]]+)\]")
# Where a description's source sentence begins.
_SOURCE_START = re.compile(r"(Illustrative|Source:|Open literature|Published)")


@dataclass(frozen=True)
class Assumption:
    """One parameter in effect.

    Attributes
    ----------
    path : str
        Scenario path, as in error messages and ``--set``: ``threat.aim_sigma_m``,
        ``rocket.burn_time_s``, ``defence[0].p_kill``.
    value : float, int, bool, str or tuple of float
        The value in effect, in the unit below.
    unit : str
        The unit from the field description's brackets (``m``, ``s``, ``-``); ``-`` if none.
    origin : str
        ``scenario`` (the file set it), ``preset`` (the threat preset filled it,
        :mod:`forceprot.catalog.threats`), ``class default`` (the rocket or defence class supplied
        it), ``default`` (the field's own default), ``run option`` (a command-line or run
        setting replaced the file's value) or ``derived`` (computed from the others).
    source : str
        Where the value comes from: the description's source sentence, the catalog entry's
        source, or ``Set in the scenario.``
    """

    path: str
    value: Any
    unit: str
    origin: Origin
    source: str

    def to_dict(self) -> dict:
        """The stable ``summary.json`` form: ``path, value, unit, origin, source``."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        return {"path": self.path, "value": value, "unit": self.unit, "origin": self.origin,
                "source": self.source}


@dataclass(frozen=True)
class Term:
    """One defined rocket count: its key in ``summary.json``, its label, its definition."""

    key: str
    label: str
    definition: str


#: The rocket counts of a run, defined once; console, report.md and summary.json use these keys
#: and labels. Per-unit terms are marked by the ``per unit`` in their definition.
ACCOUNTING_TERMS: Final[tuple[Term, ...]] = (
    Term("rockets_fired", "rockets fired", "Every rocket of every salvo sampled."),
    Term("rockets_threatening", "rockets landing inside",
         "Rockets whose ballistic impact point, defences aside, is inside the base."),
    Term("rockets_intercepted", "rockets intercepted",
         "Rockets killed by any unit, wherever they would have landed (inside the base or not)."),
    Term("rockets_intercepted_threatening", "rockets landing inside intercepted",
         "Of the rockets landing inside, those killed by any unit."),
    Term("rockets_leaked", "rockets leaked",
         "Rockets landing inside that no unit killed: rockets landing inside minus rockets "
         "landing inside intercepted."),
    Term("kills_credited", "kills credited",
         "Per unit: rockets whose first kill was this unit's. Summed over the units, the "
         "rockets intercepted."),
    Term("successful_kill_draws", "successful kill draws",
         "Per unit: rockets this unit killed, counting those another unit had killed earlier; "
         "at least the unit's kills credited. Summed over the units, a rocket killed twice "
         "counts twice."),
)


def origin_counts(listed: list[Assumption]) -> dict[str, int]:
    """How many of ``listed`` are defaults, set (in the scenario or for the run), derived."""
    return {
        "defaults": sum(a.origin in ("preset", "class default", "default") for a in listed),
        "set": sum(a.origin in ("scenario", "run option") for a in listed),
        "derived": sum(a.origin == "derived" for a in listed),
    }


def parameter_fields(model: type[BaseModel]) -> list[str]:
    """Names of a model's fields that are model parameters (not names, paths or free text)."""
    return [name for name in model.model_fields if name not in _NOT_PARAMETERS]


def _unit(description: str | None) -> str:
    match = _UNIT.search(description or "")
    return match.group(1).strip() if match else "-"


def _description_source(description: str | None) -> str | None:
    match = _SOURCE_START.search(description or "")
    return description[match.start():].strip() if match else None


def _walk(model: BaseModel, prefix: str, *, default_origin: Origin, default_source: str | None,
          set_source: str = SET_IN_SCENARIO, set_fields: frozenset[str] | None = None,
          ) -> list[Assumption]:
    """One assumption per parameter field of ``model`` whose value is not None."""
    fields_set = model.model_fields_set if set_fields is None else set_fields
    out = []
    for name in parameter_fields(type(model)):
        value = getattr(model, name)
        if value is None or isinstance(value, BaseModel):
            continue
        info = type(model).model_fields[name]
        if name in fields_set:
            origin: Origin = "scenario"
            source = set_source
        else:
            origin = default_origin
            source = (_description_source(info.description) or _FIELD_SOURCES.get(name)
                      or default_source or NO_SOURCE)
        out.append(Assumption(path=f"{prefix}.{name}", value=value, unit=_unit(info.description),
                              origin=origin, source=source))
    return out


#: Why coordinated fire control is the default.
FIRE_CONTROL_SOURCE = ("Default 'coordinated': counter-rocket units fight from one air picture "
                       "and one engagement-operations cell (a rocket killed is not engaged "
                       "again); 'independent' gives units fighting alone.")


def _fire_control(scenario: "Scenario") -> Assumption:
    """The scenario's top-level ``fire_control`` (how the units share the air picture)."""
    set_here = "fire_control" in scenario.model_fields_set
    return Assumption(path="fire_control", value=scenario.fire_control, unit="-",
                      origin="scenario" if set_here else "default",
                      source=SET_IN_SCENARIO if set_here else FIRE_CONTROL_SOURCE)


def _rocket(scenario: "Scenario") -> list[Assumption]:
    name = scenario.threat.rocket
    rocket = scenario.rocket_class
    if name in scenario.rockets:
        # A class defined under [rockets.NAME]: what it sets is the scenario's; the rest are the
        # RocketClass field defaults.
        own = f"{SET_IN_SCENARIO} {rocket.source}".strip() if rocket.source else SET_IN_SCENARIO
        return _walk(rocket, "rocket", default_origin="default", default_source=None,
                     set_source=own)
    # A bundled class: every figure is the catalog's. The ones its entry gives carry the entry's
    # source; the ones it leaves to the RocketClass defaults carry the field's own source.
    bundled = BUNDLED_ROCKETS[name]
    return [
        Assumption(a.path, a.value, a.unit, "class default",
                   bundled.source if a.path.split(".", 1)[1] in bundled.model_fields_set
                   else a.source)
        for a in _walk(rocket, "rocket", default_origin="class default", default_source=None,
                       set_fields=frozenset())
    ]


def _threat(scenario: "Scenario") -> list[Assumption]:
    """The threat's fields; those its preset filled say so, with the preset's source."""
    from forceprot.catalog.threats import THREAT_PRESETS

    threat = scenario.threat
    listed = _walk(threat, "threat", default_origin="default", default_source=None)
    if threat.preset is None:
        return listed
    preset = THREAT_PRESETS[threat.preset]
    filled = threat.from_preset
    out = []
    for a in listed:
        name = a.path.split(".", 1)[1]
        if name in filled:
            a = Assumption(a.path, a.value, a.unit, "preset",
                           f"Preset {threat.preset}: {preset.source}")
        elif name == "preset":
            a = Assumption(a.path, a.value, a.unit, a.origin, f"{a.source} {preset.meaning}")
        out.append(a)
    return out


def threat_profile(scenario: "Scenario") -> dict:
    """Who fires and how, in words and stable keys (``summary.json`` ``threat_profile``).

    Returns
    -------
    dict
        ``preset`` (name or None), ``preset_label``, ``preset_meaning``, ``from_preset`` (the
        fields the preset filled, sorted), ``elevation`` (``"low"``, ``"high"`` or degrees) and
        ``firing_angle`` (a sentence).
    """
    from forceprot.catalog.threats import THREAT_PRESETS

    threat = scenario.threat
    preset = THREAT_PRESETS.get(threat.preset) if threat.preset else None
    if threat.elevation == "low":
        angle = "low angle: each salvo laid on the flat solution for its range"
    elif threat.elevation == "high":
        angle = ("high angle: each salvo laid on the steep solution for its range (above the "
                 "max-range elevation)")
    else:
        angle = (f"fixed quadrant elevation {threat.elevation:g} deg: the launcher stands at the "
                 "range that elevation reaches")
    return {
        "preset": threat.preset,
        "preset_label": preset.label if preset else None,
        "preset_meaning": preset.meaning if preset else
        "No preset: the threat's laying and dispersion fields are the scenario's or their "
        "field defaults.",
        "from_preset": sorted(threat.from_preset),
        "elevation": threat.elevation,
        "firing_angle": angle,
    }


def _derived(scenario: "Scenario") -> list[Assumption]:
    """Figures the flight model computes from the rocket class (flies the rocket: numba)."""
    from forceprot.ballistics import max_range

    rocket = scenario.rocket_class
    reach_m, elevation_rad = max_range(rocket, ground_altitude_m=scenario.site.ground_altitude_m)
    how = (f"Flight model, no wind, ground at {scenario.site.ground_altitude_m:g} m; compare "
           f"the published {rocket.max_range_m:,.0f} m (rocket.max_range_m).")
    return [
        # rounded to what the figure means: a metre of range, a hundredth of a degree
        Assumption("rocket.max_range_flown_m", round(float(reach_m)), "m", "derived", how),
        Assumption("rocket.max_range_elevation_deg", round(math.degrees(elevation_rad), 2),
                   "deg", "derived", how),
    ]


def _mark_uncertain(listed: list[Assumption], scenario: "Scenario") -> list[Assumption]:
    """Say which values are the medians of distributions the scenario gave."""
    uncertain = getattr(scenario, "uncertain", ())
    if not uncertain:
        return listed
    own_rocket = f"rockets.{scenario.threat.rocket}."
    by_path = {}
    for p in uncertain:
        path = "rocket." + p.path[len(own_rocket):] if p.path.startswith(own_rocket) else p.path
        by_path[path] = p
    out = []
    for a in listed:
        p = by_path.get(a.path)
        if p is not None:
            table = ", ".join(f"{k} = {v:g}" for k, v in p.params)
            a = Assumption(a.path, a.value, a.unit, "scenario",
                           f"Set in the scenario as a distribution ({p.dist}: {table}), truncated "
                           "to the field's bounds; this run uses its median.")
        out.append(a)
    return out


def assumptions(scenario: "Scenario", *, overrides: Mapping[str, Any] | None = None,
                derived: bool = False) -> list[Assumption]:
    """Every parameter in effect in a scenario, with unit, origin and source.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario. Origins come from pydantic's ``model_fields_set``: a field the
        file wrote is ``scenario`` even when it equals the default.
    overrides : mapping of str to value, optional
        Values a run used instead of the file's, by path (``{"simulation.salvos": 1000}``, from
        ``forceprot run --salvos``); listed with origin ``run option``.
    derived : bool
        Also list figures the flight model computes (the maximum range the model flies and its
        elevation). This flies the rocket, so it compiles the flight kernels on first use.

    Returns
    -------
    list of Assumption
        In a fixed order: threat, rocket, each defence unit, fire control, warning, site, assets,
        people, surveillance and the launch team (with ``[[surveillance]]`` only), simulation
        (paths ``threat.*``, ``rocket.*``, ``defence[i].*``, ``fire_control``, ``warning.*``,
        ``site.*``, ``asset[i].*``, ``assets.*``, ``people.*``, ``surveillance[i].*``,
        ``launch_team.*``, ``simulation.*``).
    """
    out = _threat(scenario)
    out += _rocket(scenario)
    if derived:
        out += _derived(scenario)
    for i, unit in enumerate(scenario.defence):
        out += _walk(unit, f"defence[{i}]", default_origin="class default",
                     default_source=DEFENCE_CLASS_SOURCE)
    out.append(_fire_control(scenario))
    out += _walk(scenario.warning, "warning", default_origin="default", default_source=None)
    out += _walk(scenario.site, "site", default_origin="default", default_source=None)
    for i, asset in enumerate(scenario.asset):
        out += _walk(asset, f"asset[{i}]", default_origin="default", default_source=None)
    if scenario.assets is not None:  # the layer's own weights and radii are its data
        out += _walk(scenario.assets, "assets", default_origin="default", default_source=None)
    if scenario.people is not None:  # the layers' people and capacities are their data
        out += _walk(scenario.people, "people", default_origin="default", default_source=None)
    for i, sensor in enumerate(scenario.surveillance):
        out += _walk(sensor, f"surveillance[{i}]", default_origin="class default",
                     default_source=SURVEILLANCE_SOURCE)
    if scenario.surveillance:  # the launch team's exposure matters only with surveillance
        out += _walk(scenario.launch_team, "launch_team", default_origin="default",
                     default_source=SURVEILLANCE_SOURCE)
    out += _walk(scenario.simulation, "simulation", default_origin="default",
                 default_source=RUN_SETTING_SOURCE)
    out = _mark_uncertain(out, scenario)
    if overrides:
        # A simulation setting left unset (precision = None) is absent from the list; any other
        # unknown path is a caller's typo.
        unknown = [p for p in overrides if p not in {a.path for a in out}
                   and not (p.startswith("simulation.")
                            and p.split(".", 1)[1] in type(scenario.simulation).model_fields)]
        if unknown:
            raise ValueError(f"overrides name no parameter: {', '.join(sorted(unknown))}")
        by_path = {a.path: a for a in out}
        for path, value in overrides.items():
            if value is None:
                continue
            old = by_path.get(path)
            if old is not None and old.value == value:
                continue  # the run used the file's value: its origin stands
            unit = old.unit if old is not None else "-"
            new = Assumption(path, value, unit, "run option", "Set for this run (command line).")
            if old is None:
                out.append(new)
            else:
                out[out.index(old)] = new
    return out


def group_of(path: str) -> str:
    """The group a path belongs to: ``defence[0].p_kill`` -> ``defence[0]``."""
    return path.split(".", 1)[0]
