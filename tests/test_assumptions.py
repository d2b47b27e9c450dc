"""``forceprot.assumptions``: every parameter in effect, with its unit, origin and source.

No flight here (``derived=False``), so nothing compiles: these tests are fast.
"""

from __future__ import annotations

import tomllib
import types
import typing

import pytest
from pydantic import BaseModel

from forceprot.assumptions import (
    ACCOUNTING_TERMS,
    NO_SOURCE,
    SET_IN_SCENARIO,
    assumptions,
    group_of,
    parameter_fields,
)
from forceprot.catalog import BUNDLED_ROCKETS, RocketClass
from forceprot.scenario import (
    Asset,
    CramUnit,
    PatriotUnit,
    Simulation,
    Site,
    Threat,
    Warning,
    load_scenario,
    parse_scenario,
)
from tests.conftest import SITES

#: Every model whose fields a scenario puts in effect, by the path prefix its fields get.
MODELS: dict[str, type[BaseModel]] = {
    "threat": Threat, "rocket": RocketClass, "defence/cram": CramUnit,
    "defence/patriot": PatriotUnit, "warning": Warning, "site": Site, "asset": Asset,
    "simulation": Simulation,
}

#: A name's unit suffix and the unit its description must give (STYLE.md rule 3).
SUFFIX_UNITS = {"_m": "m", "_s": "s", "_mps": "m/s", "_deg": "deg", "_kg": "kg", "_n": "N",
                "_frac": "-"}


def _is_numeric(annotation) -> bool:
    """int, float, their Optional, or a tuple of them; not bool (a switch, not a quantity)."""
    if annotation is bool:
        return False
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_numeric(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is tuple:
        return all(_is_numeric(a) for a in typing.get_args(annotation) if a is not Ellipsis)
    return False


def _numeric_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, info in model.model_fields.items() if _is_numeric(info.annotation)]


def _paths(scenario) -> dict:
    return {a.path: a for a in assumptions(scenario)}


def _field_of(path: str) -> str:
    return path.rsplit(".", 1)[-1]


@pytest.fixture(scope="module")
def taji():
    return load_scenario(SITES / "taji.toml")


@pytest.fixture(scope="module")
def fob():
    return load_scenario(SITES / "fob.toml")


@pytest.mark.parametrize("prefix", sorted(MODELS))
def test_every_numeric_field_has_a_description_and_a_unit(prefix: str) -> None:
    model = MODELS[prefix]
    missing = [n for n in _numeric_fields(model)
               if "[" not in (model.model_fields[n].description or "")]
    assert not missing, f"{model.__name__}: numeric fields without a '[unit]' description: {missing}"


def test_every_numeric_field_is_listed(taji, fob) -> None:
    """Over the bundled sites (lon/lat and x/y placement, both defence kinds, assets), a
    precision target and a battery and an asset placed by x/y, every numeric field of every model appears;
    none is listed twice."""
    with_precision = taji.updated({"simulation": {"precision": 0.01}})
    patriot_xy = fob.updated({"defence": [
        {"kind": "patriot", "name": "battery", "x": 463150.0, "y": 3668280.0}],
        "asset": [{"name": "tents", "x": 463100.0, "y": 3668200.0}]})
    listed_fields: dict[str, set[str]] = {}
    for scenario in (taji, fob, with_precision, patriot_xy):
        paths = [a.path for a in assumptions(scenario)]
        assert len(paths) == len(set(paths)), "a path is listed twice"
        for path in paths:
            group = group_of(path)
            if group.startswith("defence["):
                kind = scenario.defence[int(group[8:-1])].kind
                group = f"defence/{kind}"
            elif group.startswith("asset["):
                group = "asset"
            listed_fields.setdefault(group, set()).add(_field_of(path))
    for prefix, model in MODELS.items():
        missing = set(_numeric_fields(model)) - listed_fields.get(prefix, set())
        assert not missing, f"{prefix}: numeric fields never listed: {sorted(missing)}"


def test_listing_matches_the_fields_in_effect(taji) -> None:
    """Each unit lists exactly its parameter fields whose value is not None."""
    paths = _paths(taji)
    for i, unit in enumerate(taji.defence):
        expected = {f"defence[{i}].{n}" for n in parameter_fields(type(unit))
                    if getattr(unit, n) is not None}
        got = {p for p in paths if p.startswith(f"defence[{i}].")}
        assert got == expected, f"defence[{i}]: {sorted(got ^ expected)}"
    assert "simulation.precision" not in paths  # None: not in effect


def test_units_parsed_from_descriptions(taji) -> None:
    paths = _paths(taji)
    assert paths["defence[0].p_kill"].unit == "-"
    assert paths["rocket.burn_time_s"].unit == "s"
    assert paths["threat.aim_sigma_m"].unit == "m"
    assert paths["threat.wind_mps"].unit == "m/s"
    assert paths["defence[0].rounds_per_engagement"].unit == "rounds"
    assert paths["threat.deflection_sigma_mil"].unit.startswith("mil")
    for path, a in paths.items():
        for suffix, unit in SUFFIX_UNITS.items():
            if _field_of(path).endswith(suffix):
                assert a.unit == unit, f"{path}: name says {unit!r}, description says {a.unit!r}"


def _scenario(**sections) -> object:
    data = tomllib.loads((SITES / "taji.toml").read_text())
    data["site"]["boundary"] = str(SITES / "taji.geojson")
    data["site"]["exclusions"] = []
    for key, value in sections.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return parse_scenario(data, source="test.toml")


def test_origin_set_versus_default_and_per_unit_override() -> None:
    threat = {"rocket": "107mm", "tubes": 12, "ripple_s": 0.5, "min_standoff_m": 500,
              "max_standoff_m": 6000, "aim_sigma_m": 150.0}  # 150 is also the default
    defence = [
        {"kind": "cram", "name": "a", "lon": 44.28, "lat": 33.54, "pk": 0.9},  # alias of p_kill
        {"kind": "cram", "name": "b", "lon": 44.28, "lat": 33.52},
    ]
    sc = _scenario(threat=threat, defence=defence, warning=None)
    paths = _paths(sc)
    assert paths["threat.aim_sigma_m"].origin == "scenario"  # written, even if equal to default
    assert paths["threat.aim_sigma_m"].source == SET_IN_SCENARIO
    assert paths["threat.range_sigma_frac"].origin == "default"
    assert paths["defence[0].p_kill"].origin == "scenario"
    assert paths["defence[0].p_kill"].value == 0.9
    assert paths["defence[1].p_kill"].origin == "class default"
    assert paths["defence[1].p_kill"].value == 0.7
    assert paths["defence[1].p_kill"].source.startswith("Illustrative")
    assert paths["defence[0].engage_s"].origin == "class default"
    assert paths["rocket.burn_time_s"].origin == "class default"
    assert paths["rocket.burn_time_s"].source == BUNDLED_ROCKETS["107mm"].source
    assert paths["warning.alert_delay_s"].origin == "default"  # no [warning] table
    assert paths["warning.alert_delay_s"].source == "Illustrative."
    assert _paths(_scenario())["warning.alert_delay_s"].origin == "scenario"  # taji sets it


def test_origin_of_a_scenario_defined_rocket() -> None:
    rocket = {"diameter_m": 0.1, "launch_mass_kg": 20.0, "burnout_mass_kg": 16.0,
              "burn_time_s": 1.0, "thrust_n": 7000.0, "min_range_m": 1000.0,
              "max_range_m": 8000.0, "weathercock_tau_s": 0.05, "source": "Field notes, 2024."}
    threat = {"rocket": "home", "tubes": 6, "ripple_s": 0.5, "min_standoff_m": 500,
              "max_standoff_m": 6000}
    paths = _paths(_scenario(rockets={"home": rocket}, threat=threat))
    assert paths["rocket.burn_time_s"].origin == "scenario"
    assert paths["rocket.burn_time_s"].source == f"{SET_IN_SCENARIO} Field notes, 2024."
    assert paths["rocket.tube_length_m"].origin == "default"
    assert paths["rocket.weathercock_tau_s"].origin == "scenario"
    # the field's description carries the default's source
    assert paths["rocket.min_elevation_deg"].source == NO_SOURCE
    assert "rocket.published_burnout_speed_mps" not in paths  # None: not in effect


def test_origin_survives_an_updated_copy(taji) -> None:
    """Studies vary a scenario through ``Scenario.updated``; the copy keeps what the file set."""
    before = _paths(taji)
    after = _paths(taji.updated({"threat": {"tubes": 12}}))
    assert after["threat.tubes"].value == 12
    for path, a in before.items():
        assert after[path].origin == a.origin, path


def test_run_options_replace_the_file_values(taji) -> None:
    listed = {a.path: a for a in assumptions(taji, overrides={
        "simulation.salvos": 1000, "simulation.seed": taji.simulation.seed,
        "simulation.precision": 0.02})}
    assert listed["simulation.salvos"].origin == "run option"
    assert listed["simulation.salvos"].value == 1000
    assert listed["simulation.seed"].origin == "scenario"  # the run used the file's seed
    assert listed["simulation.precision"].origin == "run option"
    with pytest.raises(ValueError, match="threat.tubez"):
        assumptions(taji, overrides={"threat.tubez": 3})


def test_summary_form_has_stable_keys(taji) -> None:
    for a in assumptions(taji):
        d = a.to_dict()
        assert list(d) == ["path", "value", "unit", "origin", "source"]
        assert d["source"], a.path
        assert d["origin"] in ("scenario", "preset", "class default", "default", "run option")
    drag = next(a for a in assumptions(taji) if a.path == "rocket.drag_cd").to_dict()
    assert isinstance(drag["value"], list)  # JSON array, not a tuple repr


def test_accounting_terms_are_defined_once() -> None:
    keys = [t.key for t in ACCOUNTING_TERMS]
    labels = [t.label for t in ACCOUNTING_TERMS]
    assert len(set(keys)) == len(keys) and len(set(labels)) == len(labels)
    assert {"rockets_intercepted", "rockets_intercepted_threatening", "kills_credited",
            "successful_kill_draws"} <= set(keys)
    assert all(t.definition.endswith(".") for t in ACCOUNTING_TERMS)


def test_a_distribution_is_listed_as_its_median_and_says_so() -> None:
    sc = load_scenario(SITES / "taji_uncertain.toml")
    paths = _paths(sc)
    assert sc.uncertain, "the bundled uncertain scenario gives distributions"
    own_rocket = f"rockets.{sc.threat.rocket}."

    def listed(path: str) -> str:  # the fired class's fields are listed as rocket.*
        return "rocket." + path[len(own_rocket):] if path.startswith(own_rocket) else path

    assert any(p.path.startswith(own_rocket) for p in sc.uncertain)
    for p in sc.uncertain:
        a = paths[listed(p.path)]
        assert a.origin == "scenario" and a.value == p.median, p.path
        assert f"distribution ({p.dist}" in a.source and "median" in a.source, p.path
    certain = {a.path for a in paths.values() if "distribution" in a.source}
    assert certain == {listed(p.path) for p in sc.uncertain}
