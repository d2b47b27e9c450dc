"""Rocket classes for people: list them, check the flown max range against the stated one,
calibrate a user's class to its published figures.

The Python layer over :mod:`forceprot.ballistics` that ``forceprot rockets``, ``forceprot rockets
calibrate``, ``forceprot validate`` and ``forceprot trajectory --scenario`` call. It returns data;
:mod:`forceprot.outputs.rockets` renders it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from forceprot.catalog.rockets import BUNDLED_ROCKETS, RocketClass
from forceprot.errors import ScenarioError

__all__ = [
    "RANGE_WARNING_FRAC",
    "RocketCalibration",
    "RocketSummary",
    "calibrate_rocket",
    "list_rockets",
    "range_warnings",
    "resolve_rocket",
    "summarize_rocket",
    "WindSensitivity",
    "wind_sensitivity",
]

#: A rocket class whose flown max range (no wind, sea level) differs from its stated
#: ``max_range_m`` by more than this fraction gets a warning [-]: the catalog classes are
#: calibrated to within 0.01 %, so 1 % means figures that were never calibrated.
RANGE_WARNING_FRAC = 0.01
_FORM_FACTOR_DECIMALS = 5  # decimals of a fitted drag_form_factor in the TOML block


@dataclass(frozen=True)
class RocketSummary:
    """One rocket class, as stated and as flown (no wind, sea level).

    Attributes
    ----------
    name : str
        Bundled key or the scenario's ``[rockets.NAME]``.
    origin : str
        ``"bundled"`` or ``"scenario"`` (a scenario class shadows a bundled one of that name).
    rocket : RocketClass
        Its figures.
    flown_max_range_m : float
        Maximum range the flight model gives [m].
    max_range_elevation_deg : float
        Quadrant elevation of that range [deg].
    muzzle_speed_mps : float
        Speed on leaving the tube at that elevation [m/s], computed from the motor.
    burnout_speed_mps : float
        Ground speed at burnout at that elevation [m/s].
    """

    name: str
    origin: str
    rocket: RocketClass
    flown_max_range_m: float
    max_range_elevation_deg: float
    muzzle_speed_mps: float
    burnout_speed_mps: float

    @property
    def range_miss_frac(self) -> float:
        """(flown - stated) / stated max range [-]."""
        return self.flown_max_range_m / self.rocket.max_range_m - 1.0

    @property
    def burnout_miss_frac(self) -> float:
        """(flown - published) / published burnout speed [-]; NaN without a published one."""
        published = self.rocket.published_burnout_speed_mps
        if published is None:
            return math.nan
        return self.burnout_speed_mps / published - 1.0

    @property
    def calibrated(self) -> bool:
        """Whether the flown max range is within :data:`RANGE_WARNING_FRAC` of the stated one."""
        return abs(self.range_miss_frac) <= RANGE_WARNING_FRAC

    def to_dict(self) -> dict:
        """JSON-ready summary, keys with units."""
        r = self.rocket
        return {
            "name": self.name, "origin": self.origin, "label": r.label,
            "diameter_m": r.diameter_m, "stated_max_range_m": r.max_range_m,
            "flown_max_range_m": self.flown_max_range_m,
            "range_miss_frac": self.range_miss_frac,
            "max_range_elevation_deg": self.max_range_elevation_deg,
            "muzzle_speed_mps": self.muzzle_speed_mps,
            "burnout_speed_mps": self.burnout_speed_mps,
            "published_burnout_speed_mps": r.published_burnout_speed_mps,
            "tube_length_m": r.tube_length_m, "weathercock_tau_s": r.weathercock_tau_s,
            "source": r.source,
        }


def summarize_rocket(name: str, rocket: RocketClass, *, origin: str = "bundled",
                     ) -> RocketSummary:
    """Fly a rocket class for its max range and the muzzle and burnout speeds there.

    Parameters
    ----------
    name : str
        How to name it.
    rocket : RocketClass
        Its figures.
    origin : str
        ``"bundled"`` or ``"scenario"``.

    Returns
    -------
    RocketSummary

    Raises
    ------
    ScenarioError
        The class cannot fly (no lift-off, no impact, unbounded flight time).
    """
    from forceprot.ballistics import check_rocket_bounds, fly, max_range

    check_rocket_bounds(rocket, name=name,
                        field_prefix=f"rockets.{name}." if origin == "scenario" else "")
    reach_m, elevation_rad = max_range(rocket)
    path = fly(rocket, elevation_rad)
    return RocketSummary(name=name, origin=origin, rocket=rocket, flown_max_range_m=reach_m,
                         max_range_elevation_deg=math.degrees(elevation_rad),
                         muzzle_speed_mps=path.muzzle_speed_mps,
                         burnout_speed_mps=path.burnout_speed_mps)


def resolve_rocket(name: str, scenario=None) -> tuple[RocketClass, str]:
    """The rocket class called ``name``: the scenario's ``[rockets.NAME]`` first, then bundled.

    Parameters
    ----------
    name : str
        Class name.
    scenario : Scenario, optional
        A loaded scenario whose classes to search.

    Returns
    -------
    rocket : RocketClass
    origin : str
        ``"scenario"`` or ``"bundled"``.

    Raises
    ------
    ScenarioError
        No class of that name; the message lists the valid ones.
    """
    own = dict(scenario.rockets) if scenario is not None else {}
    if name in own:
        return own[name], "scenario"
    if name in BUNDLED_ROCKETS:
        return BUNDLED_ROCKETS[name], "bundled"
    valid = ", ".join(sorted({*BUNDLED_ROCKETS, *own}))
    where = f" (bundled or in {scenario.label})" if scenario is not None else \
        " (bundled; pass --scenario FILE for a scenario's [rockets.NAME])"
    raise ScenarioError(f"unknown rocket class{where}, must be one of: {valid}", field="rocket",
                        value=name)


def list_rockets(scenario=None) -> list[RocketSummary]:
    """Every bundled class and every class a scenario defines, as stated and as flown.

    Parameters
    ----------
    scenario : Scenario, optional
        A loaded scenario; its ``[rockets.NAME]`` classes follow the bundled ones (a scenario
        class of a bundled name replaces it, as it does in the scenario).

    Returns
    -------
    list of RocketSummary
    """
    own = dict(scenario.rockets) if scenario is not None else {}
    rows = [summarize_rocket(k, r) for k, r in BUNDLED_ROCKETS.items() if k not in own]
    rows += [summarize_rocket(k, r, origin="scenario") for k, r in own.items()]
    return rows


def range_warnings(scenario) -> list[str]:
    """Warnings for the scenario's rocket classes whose flown max range misses the stated one.

    Checks the class the threat fires and every class the scenario defines, against
    :data:`RANGE_WARNING_FRAC`.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.

    Returns
    -------
    list of str
        One sentence per class off by more than 1 %, naming the field and the fix; empty if none.
    """
    names = list(scenario.rockets)
    if scenario.threat.rocket not in names:
        names.insert(0, scenario.threat.rocket)
    out = []
    for name in names:
        rocket, origin = resolve_rocket(name, scenario)
        row = summarize_rocket(name, rocket, origin=origin)
        if row.calibrated:
            continue
        field = f"rockets.{name}.max_range_m" if origin == "scenario" else f"{name} max_range_m"
        out.append(
            f"{field}: the flight model flies {row.flown_max_range_m:,.0f} m at most (no wind, sea "
            f"level), {row.range_miss_frac:+.1%} from the stated {rocket.max_range_m:,.0f} m; "
            f"fit it with `forceprot rockets calibrate --scenario {scenario.label} --rocket {name}`")
    return out


@dataclass(frozen=True)
class RocketCalibration:
    """A rocket class before and after calibration.

    Attributes
    ----------
    name : str
        Class name.
    before, after : RocketSummary
        As given, and with ``thrust_n`` (when a burnout speed is published) and
        ``drag_form_factor`` fitted.
    fitted : tuple of str
        The fields changed.
    """

    name: str
    before: RocketSummary
    after: RocketSummary
    fitted: tuple[str, ...]


def calibrate_rocket(name: str, rocket: RocketClass, *, origin: str = "scenario",
                     ) -> RocketCalibration:
    """Fit a class to its published max range (and burnout speed, when it has one).

    With ``published_burnout_speed_mps``: :func:`forceprot.ballistics.calibrate` (thrust to the
    burnout speed at the max-range elevation, drag form factor to the max range, in turn until
    both settle). Without: the drag form factor alone
    (:func:`forceprot.ballistics.calibrate_drag_form_factor`). Both on the full flight model:
    the rocket starts at rest in its tube, so the fitted motor pays for the tube phase.

    Parameters
    ----------
    name : str
        Class name (for messages and the TOML block).
    rocket : RocketClass
        Its figures.
    origin : str
        ``"bundled"`` or ``"scenario"``.

    Returns
    -------
    RocketCalibration

    Raises
    ------
    ScenarioError
        No thrust or form factor within the fields' bounds reaches the published figures.
    """
    from forceprot.ballistics import calibrate, calibrate_drag_form_factor

    before = summarize_rocket(name, rocket, origin=origin)
    if rocket.published_burnout_speed_mps is not None:
        exact = calibrate(rocket)
        fitted = ("thrust_n", "drag_form_factor")
    else:
        exact = rocket.model_copy(update={"drag_form_factor": calibrate_drag_form_factor(rocket)})
        fitted = ("drag_form_factor",)
    # the figures a user pastes: thrust to 0.1 N, form factor to 1e-5 (each moves the max
    # range by under 0.01 %); the summary is of these, not of the unrounded fit
    rounded = {"thrust_n": round(exact.thrust_n, 1),
               "drag_form_factor": round(exact.drag_form_factor, _FORM_FACTOR_DECIMALS)}
    fitted_rocket = RocketClass.model_validate(
        {**rocket.model_dump(), **{k: rounded[k] for k in fitted}})
    after = summarize_rocket(name, fitted_rocket, origin=origin)
    return RocketCalibration(name=name, before=before, after=after, fitted=fitted)


@dataclass(frozen=True)
class WindSensitivity:
    """Impact change per 1 m/s of wind at one range (the firing-table "unit wind" effects).

    Attributes
    ----------
    range_m : float
        No-wind range laid for [m].
    elevation_deg : float
        Quadrant elevation laid [deg].
    head_m_per_mps, tail_m_per_mps : float
        Range change per 1 m/s of head and of tail wind [m/(m/s)] (head negative).
    cross_m_per_mps : float
        Lateral impact change per 1 m/s of crosswind [m/(m/s)], positive *upwind* (into the
        wind: weathercocking wins over drag drift), negative downwind.
    """

    range_m: float
    elevation_deg: float
    head_m_per_mps: float
    tail_m_per_mps: float
    cross_m_per_mps: float


def wind_sensitivity(rocket: RocketClass, ranges_m, *, wind_mps: float = 1.0,
                     ) -> list[WindSensitivity]:
    """Range and deflection change per 1 m/s of head, tail and cross wind, by flying the model.

    The crew lays for no wind; the flight feels a constant wind of ``wind_mps`` (small, so the
    answer is the linear "unit wind" effect a firing table gives), sea level.

    Parameters
    ----------
    rocket : RocketClass
        The class.
    ranges_m : sequence of float
        No-wind ranges to lay for [m], each within the class's reach.
    wind_mps : float
        Wind flown [m/s]; the effects are divided by it.

    Returns
    -------
    list of WindSensitivity
    """
    from forceprot.ballistics import solve_trajectory

    out = []
    for range_m in ranges_m:
        # firing north: wind from 0 deg is a head wind, from 180 a tail wind, from 270 blows
        # toward the right (east), so upwind is left, +drift
        head = solve_trajectory(rocket, range_m, wind_speed_mps=wind_mps, wind_from_deg=0.0)
        tail = solve_trajectory(rocket, range_m, wind_speed_mps=wind_mps, wind_from_deg=180.0)
        cross = solve_trajectory(rocket, range_m, wind_speed_mps=wind_mps, wind_from_deg=270.0)
        out.append(WindSensitivity(
            range_m=float(range_m), elevation_deg=head.elevation_deg,
            head_m_per_mps=(head.range_m - range_m) / wind_mps,
            tail_m_per_mps=(tail.range_m - range_m) / wind_mps,
            cross_m_per_mps=cross.drift_m / wind_mps))
    return out
