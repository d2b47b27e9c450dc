"""Scenario files: TOML validated by pydantic.

A scenario names the site (a boundary layer), the threat (rocket class, salvo, launch zone,
aim and dispersion), the defences, optional assets, and the simulation settings. Every value
has bounds and a unit; unknown keys are errors, so a typo never passes silently. A real-valued
parameter may be a distribution instead of a number (:mod:`forceprot.uncertain`). The JSON
Schema of the format is :func:`scenario_json_schema` (``forceprot schema``).

Degrees appear only here, in files; :mod:`forceprot.compile` converts them to radians once.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from forceprot.catalog import BUNDLED_ROCKETS, CramClass, PatriotClass, RocketClass
from forceprot.catalog.defences import IronDomeClass
from forceprot.catalog.defences import DEFENCE_KINDS
from forceprot.catalog.rockets import RETIRED_ROCKET_FIELDS
from forceprot.catalog.occupancy import ATTACK_HOURS, HOURS, OCCUPANCY_KINDS
from forceprot.catalog.surveillance import (
    SURVEILLANCE_KINDS,
    AerostatClass,
    CameraClass,
    DroneClass,
    LaunchTeam,
    PatrolClass,
)
from forceprot.catalog.threats import THREAT_PRESETS
from forceprot.errors import ScenarioError
from forceprot.safe_io import MAX_SCENARIO_BYTES, read_capped

__all__ = [
    "Asset",
    "AssetLayer",
    "CramUnit",
    "PatriotUnit",
    "People",
    "Scenario",
    "Simulation",
    "Site",
    "Threat",
    "Warning",
    "MAX_SALVOS",
    "MAX_SEED",
    "MAX_WIND_MPS",
    "deep_merge",
    "field_name",
    "format_path",
    "load_scenario",
    "parse_scenario",
    "resolve_path",
    "scenario_json_schema",
    "value_at",
    "variant_changes",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

# One bound per quantity, shared by the schema and the CLI options that override it.
#: Most salvos a run samples [-].
MAX_SALVOS: Final[int] = 1_000_000_000
#: Largest root seed [-]: the seed must fit a signed 64-bit integer (numba int64).
MAX_SEED: Final[int] = 2**63 - 1
#: Strongest constant wind [m/s].
MAX_WIND_MPS: Final[float] = 40.0


class _Positioned(BaseModel):
    """A point given either as lon/lat (WGS84 degrees) or as x/y in the site CRS."""

    lon: float | None = Field(None, ge=-180, le=180, description="Longitude, WGS84 [deg].")
    lat: float | None = Field(None, ge=-90, le=90, description="Latitude, WGS84 [deg].")
    x: float | None = Field(None, description="Easting in the site CRS [CRS units, usually m].")
    y: float | None = Field(None, description="Northing in the site CRS [CRS units, usually m].")

    @model_validator(mode="after")
    def _one_position(self):
        has_ll = self.lon is not None or self.lat is not None
        has_xy = self.x is not None or self.y is not None
        if has_ll and has_xy:
            raise ValueError("give either lon/lat or x/y, not both")
        if has_ll and (self.lon is None or self.lat is None):
            raise ValueError("give both lon and lat")
        if has_xy and (self.x is None or self.y is None):
            raise ValueError("give both x and y")
        if not has_ll and not has_xy:
            raise ValueError("a position is required: lon/lat or x/y")
        return self


class CramUnit(_Positioned, CramClass):
    """A C-RAM-class gun mount placed in the scenario; any class parameter may be overridden."""

    model_config = _STRICT
    kind: Literal["cram"] = Field(description="Defence kind.")
    name: str = Field(min_length=1, max_length=80, description="Unit name, unique in the scenario.")


class PatriotUnit(_Positioned, PatriotClass):
    """A Patriot-class battery placed in the scenario; any class parameter may be overridden."""

    model_config = _STRICT
    kind: Literal["patriot"] = Field(description="Defence kind.")
    name: str = Field(min_length=1, max_length=80, description="Unit name, unique in the scenario.")


class IronDomeUnit(_Positioned, IronDomeClass):
    """An Iron Dome-class battery placed in the scenario; any class parameter may be overridden."""

    model_config = _STRICT
    kind: Literal["iron_dome"] = Field(description="Defence kind.")
    name: str = Field(min_length=1, max_length=80, description="Unit name, unique in the scenario.")


DefenceUnit = Annotated[CramUnit | PatriotUnit | IronDomeUnit, Field(discriminator="kind")]


class CameraUnit(_Positioned, CameraClass):
    """A fixed camera watching the launch zone (:mod:`forceprot.catalog.surveillance`)."""

    model_config = _STRICT
    kind: Literal["camera"] = Field(description="Surveillance kind.")
    name: str = Field(min_length=1, max_length=80,
                      description="Sensor name, unique among the surveillance entries.")


class AerostatUnit(_Positioned, AerostatClass):
    """A tethered aerostat, moored at its position, seeing all round."""

    model_config = _STRICT
    kind: Literal["aerostat"] = Field(description="Surveillance kind.")
    name: str = Field(min_length=1, max_length=80,
                      description="Sensor name, unique among the surveillance entries.")


class DroneUnit(_Positioned, DroneClass):
    """A drone orbiting its position (the orbit centre)."""

    model_config = _STRICT
    kind: Literal["drone"] = Field(description="Surveillance kind.")
    name: str = Field(min_length=1, max_length=80,
                      description="Sensor name, unique among the surveillance entries.")


class PatrolUnit(PatrolClass):
    """A patrol driving a route at constant speed, round and round (or out and back)."""

    model_config = _STRICT
    kind: Literal["patrol"] = Field(description="Surveillance kind.")
    name: str = Field(min_length=1, max_length=80,
                      description="Patrol name, unique among the surveillance entries.")
    route: str | None = Field(
        None, min_length=1,
        description="Route layer: lines or polygons (their outline is driven), any format and "
                    "CRS the boundary may have, relative to the scenario file.")
    route_layer: str | None = Field(None, description="Layer name inside a multi-layer file.")
    route_lonlat: list[tuple[float, float]] | None = Field(
        None, min_length=2, max_length=10_000,
        description="The route inline, as [lon, lat] points, WGS84 [deg].")

    @model_validator(mode="after")
    def _one_route(self):
        if (self.route is None) == (self.route_lonlat is None):
            raise ValueError("give the route as a file (route) or inline (route_lonlat), "
                             "exactly one")
        for lon, lat in self.route_lonlat or ():
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"route_lonlat: [{lon:g}, {lat:g}] is not a [lon, lat] pair "
                                 "in degrees")
        return self


SurveillanceUnit = Annotated[CameraUnit | AerostatUnit | PatrolUnit | DroneUnit,
                             Field(discriminator="kind")]


class Asset(_Positioned):
    """A point asset inside the base: a weighted aim point for ``aim = "assets"`` and a risk target."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=80, description="Asset name.")
    weight: float = Field(1.0, gt=0, le=1e6, description="Relative aim weight [-].")
    radius_m: float = Field(
        50.0, gt=0, le=5_000, description="A leaker within this distance hits the asset [m].")


class AssetLayer(BaseModel):
    """Assets read from a GIS layer: polygons and multipolygons hit by a leaker landing inside
    them (holes excepted), points hit within a radius."""

    model_config = _STRICT
    file: str = Field(
        min_length=1,
        description="Asset layer (GeoJSON, GeoPackage, Shapefile, FlatGeobuf; any CRS), relative "
                    "to the scenario file.")
    layer: str | None = Field(None, description="Layer name inside a multi-layer file.")
    name_field: str | None = Field(
        None, min_length=1,
        description="Attribute holding each asset's name (default: the file name and feature "
                    "number).")
    weight_field: str | None = Field(
        None, min_length=1,
        description="Attribute holding each asset's relative aim weight [-], > 0 (default: "
                    "`weight` for every feature).")
    weight: float = Field(
        1.0, gt=0, le=1e6, description="Aim weight of every feature without a weight_field [-].")
    radius_field: str | None = Field(
        None, min_length=1,
        description="Attribute holding a point feature's hit radius [m], > 0 (default: "
                    "`radius_m` for every point).")
    radius_m: float = Field(
        50.0, gt=0, le=5_000,
        description="Hit radius of a point feature without a radius_field [m]; polygons are hit "
                    "inside their outline. Illustrative.")


class Site(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120, description="Site name.")
    boundary: str = Field(
        min_length=1,
        description="Base boundary layer (GeoJSON, GeoPackage, Shapefile; any CRS), relative to "
                    "the scenario file.")
    boundary_layer: str | None = Field(None, description="Layer name inside a multi-layer file.")
    crs: str | None = Field(
        None, description="CRS of x/y positions in this file (default: the boundary's CRS).")
    ground_altitude_m: float = Field(
        0.0, ge=-500, le=5_000, description="Ground altitude above mean sea level [m].")
    defended_margin_m: float = Field(
        200.0, ge=0, le=10_000,
        description="Defences engage rockets predicted to land within this distance of the base [m].")
    exclusions: list[str] = Field(
        default_factory=list,
        description="Layers of areas where no launcher can stand (river, town), relative paths.")
    launch_areas: str | None = Field(
        None, description="Layer of polygons where a launcher can stand; replaces the standoff band.")
    dem: str | None = Field(
        None, min_length=1,
        description="Digital elevation model: a GeoTIFF in any CRS, heights above mean sea level "
                    "[m], relative to the scenario file. Each sensor then sees a rocket only above "
                    "the terrain's masking angle in its direction, and stands on the DEM's ground. "
                    "Needs the [terrain] extra (rasterio).")
    buildings: str | None = Field(
        None, min_length=1,
        description="Building footprints (polygons, any format and CRS the boundary may have) "
                    "with a height above ground [m], relative to the scenario file; they mask "
                    "sensors like the terrain. Needs site.dem.")
    buildings_height_field: str = Field(
        "height_m", min_length=1, max_length=64,
        description="Field of site.buildings holding each building's height above ground [m].")


#: Highest fixed quadrant elevation a scenario may set [deg]; the high-angle family ends there too
#: (:data:`forceprot.ballistics.HIGH_ANGLE_MAX_ELEVATION_DEG`).
MAX_FIXED_ELEVATION_DEG: Final[float] = 80.0

ThreatPresetName = Literal[tuple(THREAT_PRESETS)]  # type: ignore[valid-type]


class Threat(BaseModel):
    """The attacking launcher: rocket class, salvo, launch zone, laying and dispersion.

    ``preset`` (:data:`forceprot.catalog.threats.THREAT_PRESETS`) fills the laying and firing
    fields the file leaves out; a field the file writes wins. Preset-filled fields do not count
    as set by the file (``model_fields_set``), so a copy re-derives them from the preset.
    """

    model_config = _STRICT
    rocket: str = Field(description="Rocket class: bundled (107mm, 122mm) or defined under [rockets.NAME].")
    preset: ThreatPresetName | None = Field(  # type: ignore[valid-type]
        None, description="How the crew lays and fires (forceprot.catalog.threats): "
                          "improvised_truck or trained_crew; fills the laying and firing "
                          "fields the scenario leaves out.")
    elevation: Literal["low", "high"] | Annotated[
        float, Field(ge=1.0, le=MAX_FIXED_ELEVATION_DEG)] = Field(
        "low", description="Firing angle: 'low' (the flat solution for each range), 'high' "
                           "(the steep one), or a fixed quadrant elevation [deg] at which every "
                           "salvo is fired, the launcher standing at the range it reaches.")
    tubes: int = Field(ge=1, le=512, description="Rockets per salvo [-].")
    ripple_s: float = Field(ge=0, le=60, description="Interval between rockets of a salvo [s].")
    min_standoff_m: float = Field(
        ge=0, le=100_000, description="Launch zone inner edge, distance outside the perimeter [m].")
    max_standoff_m: float = Field(
        gt=0, le=100_000, description="Launch zone outer edge, distance outside the perimeter [m].")
    aim: Literal["uniform", "assets"] = Field(
        "uniform", description="Aim points uniform over the base, or at weighted assets.")
    aim_sigma_m: float = Field(
        150.0, ge=0, le=10_000, description="Per-salvo aim error, standard deviation per axis [m].")
    range_sigma_frac: float = Field(
        0.015, ge=0, le=0.5, description="Per-rocket range dispersion, standard deviation / range [-].")
    deflection_sigma_mil: float = Field(
        5.0, ge=0, le=500, description="Per-rocket deflection dispersion, std. dev. [mil, 6400/turn].")
    wind_mps: float = Field(0.0, ge=0, le=MAX_WIND_MPS, description="Constant wind speed [m/s].")
    wind_from_deg: float = Field(
        0.0, ge=0, lt=360, description="Direction the wind blows from, compass bearing [deg].")
    lay_for_wind: bool = Field(
        False, description="The crew aims off for the wind (met data); otherwise it lays from a "
                            "no-wind table and the wind moves the whole salvo.")
    hour: Annotated[int, Field(ge=0, le=HOURS - 1)] | Literal[tuple(ATTACK_HOURS)] | Annotated[  # type: ignore[valid-type]
        list[Annotated[float, Field(ge=0, le=1e6)]], Field(min_length=HOURS, max_length=HOURS)] = Field(
        "uniform", description="When the salvo comes, local time: a fixed hour 0-23, a preset "
                               f"({', '.join(ATTACK_HOURS)}; forceprot.catalog.occupancy), or 24 "
                               "relative weights for hours 0-23. Matters only with a people "
                               "section. Illustrative default: every hour alike.")

    @field_validator("hour")
    @classmethod
    def _hour(cls, value: Any) -> Any:
        if isinstance(value, list) and not sum(value) > 0:
            raise ValueError("the 24 hour weights must not all be 0")
        return value

    @field_validator("elevation", mode="before")
    @classmethod
    def _elevation(cls, value: Any) -> Any:
        ok = value in ("low", "high") if isinstance(value, str) else (
            isinstance(value, (int, float)) and not isinstance(value, bool)
            and 1.0 <= value <= MAX_FIXED_ELEVATION_DEG)
        if not ok:
            raise ValueError(f"must be 'low', 'high' or a quadrant elevation in degrees from 1 "
                             f"to {MAX_FIXED_ELEVATION_DEG:g}")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _apply_preset(cls, data: Any, handler):
        filled: list[str] = []
        if isinstance(data, dict) and isinstance(data.get("preset"), str) \
                and data["preset"] in THREAT_PRESETS:
            values = THREAT_PRESETS[data["preset"]].values()
            filled = [name for name in values if name not in data]
            data = {**{name: values[name] for name in filled}, **data}
        threat = handler(data)
        # what the preset filled is not the file's: a copy (Scenario.updated) re-derives it
        threat.__pydantic_fields_set__.difference_update(filled)
        return threat

    @property
    def from_preset(self) -> frozenset[str]:
        """The fields whose value the preset supplied (empty without a preset)."""
        if self.preset is None:
            return frozenset()
        return frozenset(THREAT_PRESETS[self.preset].values()) - self.model_fields_set

    @model_validator(mode="after")
    def _band(self):
        if self.min_standoff_m >= self.max_standoff_m:
            raise ValueError(
                f"min_standoff_m ({self.min_standoff_m:g}) must be below max_standoff_m "
                f"({self.max_standoff_m:g})")
        return self


class Warning(BaseModel):
    model_config = _STRICT
    alert_delay_s: float = Field(
        2.0, ge=0, le=120,
        description="First detection by any sensor to the alarm sounding [s]. Illustrative.")


class People(BaseModel):
    """Where people are by hour, where they shelter, and how rockets hurt them
    (:mod:`forceprot.people`). Defaults are illustrative unless a source is named."""

    model_config = _STRICT
    occupancy: str = Field(
        description="Occupancy layer (any GIS format, any CRS): polygons where people are, each "
                    "with its people at the busiest hour.")
    occupancy_layer: str | None = Field(None, description="Layer name inside a multi-layer file.")
    people_field: str | None = Field(
        "people", description="Attribute: people in the polygon at its busiest hour [persons]. "
                              "Not read when hour_prefix gives every hour.")
    kind_field: str | None = Field(
        None, description="Attribute naming the polygon's kind ("
                          f"{', '.join(OCCUPANCY_KINDS)}): its hourly profile and indoor share "
                          "(forceprot.catalog.occupancy). Not given: every polygon is of `kind`.")
    kind: Literal[OCCUPANCY_KINDS] = Field(  # type: ignore[valid-type]
        "constant", description="Kind of a polygon whose layer has no kind attribute.")
    hour_prefix: str | None = Field(
        None, max_length=40,
        description="If given, the layer holds the people of every hour itself, in attributes "
                    "<prefix>00 .. <prefix>23 [persons], instead of a peak and a profile.")
    shelters: str | None = Field(
        None, description="Shelter layer (points or polygons, any GIS format and CRS). None: "
                          "nobody can shelter; warning still lets people in the open go prone.")
    shelters_layer: str | None = Field(None, description="Layer name inside a multi-layer file.")
    capacity_field: str | None = Field(
        None, description="Attribute: persons a shelter holds. None: every shelter holds "
                          "`capacity`.")
    capacity: float = Field(40.0, gt=0, le=100_000,
                            description="Persons a shelter holds when the layer does not say [-]. "
                                        "Illustrative: a concrete bunker of about 2 x 10 m.")
    shelter_radius_m: float = Field(
        3.0, gt=0, le=200, description="Footprint radius of a point shelter: a rocket landing "
                                       "within it is a direct hit [m]. Illustrative.")
    reaction_s: float = Field(
        5.0, ge=0, le=600,
        description="From the alarm to people moving (pre-movement time) [s]. Illustrative: "
                    "evacuation studies put pre-movement at a few seconds to minutes; "
                    "first-hand accounts of base alarms vary as widely.")
    walk_speed_mps: float = Field(
        1.5, gt=0, le=10, description="Speed of people moving to a shelter [m/s]. Source: within "
                                      "the 0.8-1.7 m/s of unimpeded walking in the Simulex egress "
                                      "model (https://help.iesve.com/ve2021/12_walking_speeds.htm);"
                                      " people hurrying under an alarm may run.")
    indoor_factor: float = Field(
        0.3, ge=0, le=1, description="Casualty probability of a person under a roof (not a "
                                     "shelter) relative to one in the open [-]. Illustrative.")
    prone_factor: float = Field(
        0.6, ge=0, le=1, description="Casualty probability of a person in the open who heard "
                                     "the alarm in time (at least reaction_s before impact) and "
                                     "is lying down, relative to one standing [-]. Source: 'ten out "
                                     "of ten men would be hit ... standing. Only six of the ten "
                                     "... if all were prone' (US Army Basic Field Manual, quoted "
                                     "in Newsmap, 26 Oct 1942, "
                                     "https://digital.library.unt.edu/ark:/67531/metadc1005/m1/2/ocr/"
                                     "; artillery, a rule of thumb).")
    shelter_hit_p_killed: float = Field(
        0.3, ge=0, le=1, description="Probability an occupant of a shelter is killed by a "
                                     "rocket landing on it (direct hit) [-]. Illustrative.")
    shelter_hit_p_wounded: float = Field(
        0.5, ge=0, le=1, description="... and wounded (not killed) [-]. Illustrative.")
    damage: Literal["carleton", "cookie_cutter"] = Field(
        "carleton", description="Damage function: 'carleton' (P = exp(-r^2/R^2), the same lethal "
                                "area pi R^2 as a cookie-cutter of radius R, smooth edges) or "
                                "'cookie_cutter' (P = 1 within R, 0 beyond). Illustrative choice: "
                                "neither is fitted to these rockets.")
    lethal_radius_m: float | None = Field(
        None, gt=0, le=500, description="Lethal radius R_L [m]: the damage function's radius for "
                                        "killed. None: the rocket class's figure.")
    wounding_radius_m: float | None = Field(
        None, gt=0, le=1000, description="Casualty radius R_W (killed or wounded) [m], at least "
                                         "the lethal radius. None: the rocket class's figure.")
    cell_m: float = Field(
        10.0, ge=1, le=100, description="People are placed at the centres of cells of this size "
                                        "clipped to each polygon [m]. Illustrative: a numerical "
                                        "setting; on Taji, 10 m cells give killed, wounded and "
                                        "P(casualty) within 0.6 % of 2.5 m cells on the same "
                                        "salvos, at a quarter of the cost of 5 m.")

    @model_validator(mode="after")
    def _checks(self):
        if self.hour_prefix is None and self.people_field is None:
            raise ValueError("give people_field (peak people) or hour_prefix (people by hour)")
        if self.shelter_hit_p_killed + self.shelter_hit_p_wounded > 1:
            raise ValueError("shelter_hit_p_killed + shelter_hit_p_wounded must be at most 1")
        if (self.lethal_radius_m is not None and self.wounding_radius_m is not None
                and self.wounding_radius_m < self.lethal_radius_m):
            raise ValueError("wounding_radius_m must be at least lethal_radius_m")
        return self


class Simulation(BaseModel):
    model_config = _STRICT
    salvos: int = Field(20_000, ge=1, le=MAX_SALVOS, description="Salvos to sample [-].")
    seed: int = Field(42, ge=0, le=MAX_SEED, description="Root seed of the random streams [-].")
    precision: float | None = Field(
        None, gt=0, le=0.5,
        description="Stop early once the 95 % leak-rate interval half-width is at most this [-].")
    cell_m: float = Field(100.0, ge=5, le=10_000, description="Cell size of the base grid [m].")
    launch_cell_m: float = Field(
        250.0, ge=10, le=20_000, description="Cell size of the launch-zone grid [m].")
    story_salvos: int = Field(
        200, ge=0, le=100_000, description="Salvos whose every rocket is recorded in full [-].")


class Scenario(BaseModel):
    """A whole scenario file."""

    model_config = _STRICT
    site: Site
    threat: Threat
    rockets: dict[str, RocketClass] = Field(
        default_factory=dict, description="Scenario-defined rocket classes, by name.")
    defence: list[DefenceUnit] = Field(default_factory=list, description="Defence units.")
    fire_control: Literal["coordinated", "independent"] = Field(
        "coordinated",
        description="How the defence units share the air picture. 'coordinated': one air picture "
                    "and one engagement-operations cell: each rocket goes to the unit that can "
                    "kill it first and, after a miss is seen, to the next; a rocket killed is "
                    "not engaged again. 'independent': each unit fights on its own, and shots "
                    "at rockets already destroyed are counted as wasted.")
    asset: list[Asset] = Field(default_factory=list, description="Point assets inside the base.")
    assets: AssetLayer | None = Field(
        None, description="Assets read from a GIS layer (polygons, or points with a radius), "
                          "after the [[asset]] points.")
    warning: Warning = Field(default_factory=Warning)
    people: People | None = Field(
        None, description="People at risk: occupancy by hour, shelters, damage (optional).")
    surveillance: list[SurveillanceUnit] = Field(
        default_factory=list,
        description="Cameras, aerostats, patrols and drones that may find the launch team "
                    "before it fires (forceprot.surveillance).")
    launch_team: LaunchTeam = Field(
        default_factory=LaunchTeam,
        description="The launch team's exposure before it fires and what a detection buys; "
                    "used only with [[surveillance]].")
    simulation: Simulation = Field(default_factory=Simulation)

    _path: Path | None = PrivateAttr(default=None)
    # forceprot.uncertain.UncertainParameter, in file order; the fields above hold their medians
    _uncertain: tuple = PrivateAttr(default=())

    @model_validator(mode="after")
    def _references(self):
        valid = sorted({*BUNDLED_ROCKETS, *self.rockets})
        if self.threat.rocket not in valid:
            raise _FieldError(
                ("threat", "rocket"), self.threat.rocket,
                f"unknown rocket class; must be one of {', '.join(valid)}")
        if self.site.buildings is not None and self.site.dem is None:
            raise _FieldError(("site", "buildings"), self.site.buildings,
                              "buildings need site.dem (the ground they stand on)")
        names = [d.name for d in self.defence]
        for i, name in enumerate(names):
            if names.index(name) != i:
                raise _FieldError(("defence", i, "name"), name, "duplicate unit name")
        names = [s.name for s in self.surveillance]
        for i, name in enumerate(names):
            if names.index(name) != i:
                raise _FieldError(("surveillance", i, "name"), name, "duplicate sensor name")
        if self.threat.aim == "assets" and not self.asset and self.assets is None:
            raise _FieldError(("threat", "aim"), "assets",
                              "aim = 'assets' needs at least one [[asset]] or an [assets] layer")
        return self

    # -- derived -----------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        """The file this scenario was read from, if any."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder that relative layer paths are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    @property
    def rocket_class(self) -> RocketClass:
        """The rocket class the threat fires."""
        return self.rockets.get(self.threat.rocket) or BUNDLED_ROCKETS[self.threat.rocket]

    @property
    def label(self) -> str:
        return str(self._path) if self._path is not None else "<scenario>"

    @property
    def uncertain(self) -> tuple:
        """The parameters the file gives as distributions
        (:class:`forceprot.uncertain.UncertainParameter`, in file order); empty if none.

        The scenario's own fields hold each one's truncated median.
        """
        return self._uncertain

    def with_path(self, path: Path | None) -> "Scenario":
        """Return this scenario remembering ``path`` as its source file."""
        self._path = Path(path) if path is not None else None
        return self

    def with_uncertain(self, params: tuple) -> "Scenario":
        """Return this scenario remembering ``params`` as its uncertain parameters."""
        self._uncertain = tuple(params)
        return self

    def updated(self, changes: dict[str, Any], *, label: str | None = None) -> "Scenario":
        """A validated copy with nested changes applied (``{"threat": {"tubes": 12}}``).

        ``changes`` may hold distribution tables too. An uncertain parameter of this scenario
        stays uncertain in the copy while its path still holds its median (a change that sets
        it, or shortens the list it is in, makes it a plain number).
        """
        # Only what was set: defaults re-apply on validation, and the copy keeps which values
        # the file wrote (forceprot.assumptions reports each value's origin from that).
        data = deep_merge(self.model_dump(mode="python", by_alias=False, exclude_unset=True),
                          changes)
        new = parse_scenario(data, source=label or self.label, path=self._path)
        if self._uncertain:
            fresh = {p.path for p in new._uncertain}
            kept = tuple(p for p in self._uncertain if p.path not in fresh
                         and value_at(new, p.loc) == (True, p.median))
            new._uncertain = kept + new._uncertain
        return new


class _FieldError(ValueError):
    """Raised inside validators to point at a field other than the model's own."""

    def __init__(self, loc: tuple, value: Any, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.value = value
        self.message = message


def deep_merge(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` applied; nested mappings merge key by key, other values replace."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


#: The tags of the scenario's discriminated unions (defence and surveillance kinds): pydantic
#: puts them in error locations, but the user never wrote them as keys.
_UNION_TAGS: Final[frozenset[str]] = frozenset(DEFENCE_KINDS) | frozenset(SURVEILLANCE_KINDS)


def format_loc(loc: tuple) -> str:
    """``('defence', 0, 'cram', 'pk')`` -> ``'defence[0].pk'`` (union tags dropped)."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in _UNION_TAGS and parts and parts[-1].startswith("["):
            continue  # discriminated-union tag, not a key the user wrote
        elif item.startswith("function-") or item.endswith("]"):
            continue
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _lookup(data: Any, loc: tuple) -> tuple[bool, Any]:
    cur = data
    for item in loc:
        if isinstance(cur, dict) and item in cur:
            cur = cur[item]
        elif isinstance(cur, list) and isinstance(item, int) and item < len(cur):
            cur = cur[item]
        elif item in _UNION_TAGS:
            continue
        else:
            return False, None
    return True, cur


def _error_from_validation(exc: ValidationError, data: Any, source: str) -> ScenarioError:
    errors = exc.errors(include_url=False)
    # A typo shows up twice (unknown key + missing field); the unknown key is the cause.
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, _FieldError):
        return ScenarioError(ctx_error.message, file=source, field=format_loc(ctx_error.loc),
                             value=ctx_error.value, has_value=True)
    loc = tuple(err["loc"])
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] == "extra_forbidden":
        msg = RETIRED_ROCKET_FIELDS.get(str(loc[-1])) if loc and loc[0] == "rockets" else None
        msg = msg or "unknown key (a typo?)"
    elif err["type"] == "missing":
        msg = "required field is missing"
    msg = msg[0].lower() + msg[1:] if msg else msg
    if err["type"] in ("missing",) or (err["type"] == "value_error" and isinstance(err.get("input"), dict)):
        return ScenarioError(msg, file=source, field=format_loc(loc) or None)
    found, value = _lookup(data, loc)
    return ScenarioError(msg, file=source, field=format_loc(loc) or None,
                         value=value if found else err.get("input"), has_value=True)


# ---------------------------------------------------------------------------------------------
# The path language: ``defence[0].pk``, ``rockets.MYROCKET.burn_time_s`` (``sweep --set``, the
# names of uncertain parameters)
# ---------------------------------------------------------------------------------------------

_KEY = r"[A-Za-z0-9_\-]+"
_TOKEN = re.compile(rf"^({_KEY})((?:\[\d+\])*)$")


def field_name(model: type[BaseModel], key: str) -> str | None:
    """The field of ``model`` that ``key`` names: its name, alias or one of its alias choices."""
    for name, info in model.model_fields.items():
        if key == name or key == info.alias:
            return name
        alias = info.validation_alias
        if isinstance(alias, AliasChoices) and key in alias.choices:
            return name
        if isinstance(alias, str) and key == alias:
            return name
    return None


def resolve_path(scenario: Scenario, path: str, *, label: str | None = None) -> tuple:
    """The canonical location of a dotted path in ``scenario`` (``defence[0].pk`` ->
    ``("defence", 0, "p_kill")``).

    Raises
    ------
    ScenarioError
        Malformed path, unknown key (with the valid keys), index out of range, or a path that
        ends at a section rather than a value.
    """
    label = label or scenario.label
    tokens = path.split(".")
    loc: list = []
    obj: Any = scenario
    for n, token in enumerate(tokens):
        m = _TOKEN.match(token)
        if not m:
            raise ScenarioError("not a dotted path (e.g. threat.tubes, defence[0].pk)",
                                file=label, field="--set", value=path)
        key, idx_text = m.group(1), m.group(2)
        where = format_path(loc) or "the scenario"
        if isinstance(obj, BaseModel):
            name = field_name(type(obj), key)
            if name is None:
                valid = ", ".join(sorted(type(obj).model_fields))
                raise ScenarioError(f"unknown key '{key}' in {where}; valid keys: {valid}",
                                    file=label, field=path)
            loc.append(name)
            obj = getattr(obj, name)
        elif isinstance(obj, dict):
            if key not in obj:
                valid = ", ".join(sorted(obj)) or "none defined"
                raise ScenarioError(f"no '{key}' in {where}; defined: {valid}", file=label,
                                    field=path)
            loc.append(key)
            obj = obj[key]
        elif isinstance(obj, list):
            raise ScenarioError(f"{where} is a list; give an index, e.g. {where}[0].{key}",
                                file=label, field=path)
        else:
            raise ScenarioError(f"{where} is a value, it has no key '{key}'", file=label,
                                field=path)
        for idx in (int(i) for i in re.findall(r"\[(\d+)\]", idx_text)):
            if not isinstance(obj, list):
                raise ScenarioError(f"{format_path(loc)} is not a list; drop the [{idx}]", file=label,
                                    field=path)
            if idx >= len(obj):
                raise ScenarioError(
                    f"index {idx} out of range: {format_path(loc)} has {len(obj)} entries", file=label,
                    field=path)
            loc.append(idx)
            obj = obj[idx]
        if isinstance(obj, list) and n == len(tokens) - 1:
            raise ScenarioError(f"{format_path(loc)} is a list; give an index and a field, e.g. "
                                f"{format_path(loc)}[0].{_first_field(obj)}", file=label, field=path)
    if isinstance(obj, (BaseModel, dict, list)):
        keys = sorted(type(obj).model_fields) if isinstance(obj, BaseModel) else []
        hint = f"; e.g. {path}.{keys[0]}" if keys else ""
        raise ScenarioError(f"is a section, not a value{hint}", file=label, field=path)
    return tuple(loc)


def _first_field(items: list) -> str:
    return next(iter(type(items[0]).model_fields)) if items and isinstance(items[0], BaseModel) \
        else "name"


def format_path(loc: tuple) -> str:
    """A canonical location as a path: ``("defence", 0, "p_kill")`` -> ``"defence[0].p_kill"``."""
    out = ""
    for item in loc:
        out += f"[{item}]" if isinstance(item, int) else (("." if out else "") + str(item))
    return out


def variant_changes(scenario: Scenario, assignments: list[tuple[tuple, Any]]) -> dict:
    """The nested overrides (for :meth:`Scenario.updated`) that set each location to its value.

    A list on the way is copied whole from the scenario, as ``updated`` replaces lists.
    """
    data = scenario.model_dump(mode="python")
    touched: list[str] = []
    for loc, value in assignments:
        cur = data
        for item in loc[:-1]:
            cur = cur[item]
        cur[loc[-1]] = value
        if loc[0] not in touched:
            touched.append(loc[0])
    changes: dict = {}
    for top in touched:
        if isinstance(data[top], list):
            changes[top] = data[top]
        else:
            changes[top] = _subset(data[top], [loc[1:] for loc, _ in assignments if loc[0] == top])
    return changes


def _subset(data: dict, locs: list[tuple]) -> dict:
    """Only the keys along ``locs`` (unchanged nested defaults stay implicit); a list on the way
    is taken whole."""
    out: dict = {}
    for loc in locs:
        src, dst = data, out
        for i, item in enumerate(loc):
            if i == len(loc) - 1 or isinstance(src[item], list):
                dst[item] = src[item]
                break
            src = src[item]
            dst = dst.setdefault(item, {})
    return out




def value_at(scenario: "Scenario", loc: tuple) -> tuple[bool, Any]:
    """``(True, value)`` at a canonical location of ``scenario`` (as :func:`resolve_path` gives),
    or ``(False, None)`` where the location no longer exists (a shorter list, a removed rocket)."""
    cur: Any = scenario
    for item in loc:
        if isinstance(cur, BaseModel) and isinstance(item, str) and item in type(cur).model_fields:
            cur = getattr(cur, item)
        elif isinstance(cur, dict) and item in cur:
            cur = cur[item]
        elif isinstance(cur, list) and isinstance(item, int) and item < len(cur):
            cur = cur[item]
        else:
            return False, None
    return True, cur



def parse_scenario(data: dict, *, source: str = "<scenario>", path: Path | None = None) -> Scenario:
    """Validate a scenario given as a mapping (already parsed TOML).

    Numeric parameters given as distribution tables (:mod:`forceprot.uncertain`) are checked,
    replaced by their medians, and listed in :attr:`Scenario.uncertain`.

    Raises
    ------
    ScenarioError
        One line naming ``source``, the field and the bad value.
    """
    from forceprot.uncertain import check_extremes, extract_uncertain  # it imports this module

    try:
        data, uncertain = extract_uncertain(data, source=source)
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _error_from_validation(exc, data, source) from None
    except RecursionError:
        raise ScenarioError("values are nested too deeply", file=source) from None
    scenario = scenario.with_path(path).with_uncertain(uncertain)
    if uncertain:
        check_extremes(scenario, source=source)
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file. Layer paths inside it are relative to its folder.

    Raises
    ------
    ScenarioError
        Missing or unreadable file, not a regular file (folder, FIFO, device), larger than
        :data:`~forceprot.safe_io.MAX_SCENARIO_BYTES`, not UTF-8, TOML syntax error, nesting too
        deep, or an invalid value.
    """
    path = Path(path)
    label = str(path)
    raw = read_capped(path, label=label, max_bytes=MAX_SCENARIO_BYTES, error=ScenarioError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); TOML files "
            "are UTF-8", file=label) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", file=label) from None
    except RecursionError:
        raise ScenarioError("not valid TOML: arrays or tables nested too deeply", file=label) from None
    return parse_scenario(data, source=label, path=path.resolve())


def scenario_json_schema() -> dict:
    """JSON Schema of the scenario format (draft 2020-12, as pydantic emits it), each field that
    may be uncertain also admitting a distribution table (``$defs/Distribution``)."""
    from forceprot.uncertain import admit_distributions

    schema = admit_distributions(Scenario.model_json_schema())
    schema["title"] = "forceprot scenario"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def deg_to_rad(value_deg: float) -> float:
    """Degrees to radians; the one place a file's degrees become radians."""
    return math.radians(value_deg)
