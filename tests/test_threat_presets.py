"""Threat presets (forceprot.catalog.threats): they fill what the scenario leaves out, the
scenario's own values win, the origin of every value is reported, and a bad name is one line."""

from __future__ import annotations

import tomllib

import pytest

from forceprot.assumptions import assumptions, threat_profile
from forceprot.catalog.threats import PRESET_FIELDS, THREAT_PRESETS
from forceprot.errors import ScenarioError
from forceprot.scenario import Threat, parse_scenario
from tests.conftest import SITES

BASE_THREAT = {"rocket": "107mm", "tubes": 12, "min_standoff_m": 500, "max_standoff_m": 6000}


def _scenario(threat: dict):
    data = tomllib.loads((SITES / "taji.toml").read_text())
    data["site"]["boundary"] = str(SITES / "taji.geojson")
    data["site"]["exclusions"] = []
    data["threat"] = threat
    return parse_scenario(data, source="test.toml")


@pytest.mark.parametrize("name", sorted(THREAT_PRESETS))
def test_preset_fills_every_field_it_names(name) -> None:
    threat = Threat.model_validate({**BASE_THREAT, "preset": name})
    preset = THREAT_PRESETS[name]
    for field in PRESET_FIELDS:
        assert getattr(threat, field) == getattr(preset, field), field
    assert threat.from_preset == frozenset(PRESET_FIELDS)
    # what the preset filled is not what the file wrote
    assert not (threat.model_fields_set & set(PRESET_FIELDS))


def test_explicit_values_override_the_preset() -> None:
    threat = Threat.model_validate({**BASE_THREAT, "preset": "improvised_truck",
                                    "aim_sigma_m": 42.0, "elevation": 35.0})
    assert threat.aim_sigma_m == 42.0
    assert threat.elevation == 35.0
    assert threat.range_sigma_frac == THREAT_PRESETS["improvised_truck"].range_sigma_frac
    assert "aim_sigma_m" not in threat.from_preset and "elevation" not in threat.from_preset


def test_no_preset_keeps_the_field_defaults() -> None:
    """Without a preset the figures are those from before presets: nothing changes."""
    threat = Threat.model_validate({**BASE_THREAT, "ripple_s": 0.5})
    assert (threat.aim_sigma_m, threat.range_sigma_frac, threat.deflection_sigma_mil,
            threat.lay_for_wind, threat.elevation) == (150.0, 0.015, 5.0, False, "low")
    assert threat.from_preset == frozenset()


def test_ripple_is_required_without_a_preset() -> None:
    with pytest.raises(ScenarioError, match="threat.ripple_s"):
        _scenario(dict(BASE_THREAT))


def test_switching_preset_in_a_copy_rederives_the_filled_fields() -> None:
    sc = _scenario({**BASE_THREAT, "preset": "improvised_truck", "aim_sigma_m": 300.0})
    copy = sc.updated({"threat": {"preset": "trained_crew"}})
    trained = THREAT_PRESETS["trained_crew"]
    assert copy.threat.lay_for_wind is trained.lay_for_wind
    assert copy.threat.range_sigma_frac == trained.range_sigma_frac
    assert copy.threat.aim_sigma_m == 300.0  # the file's own value survives


def test_assumptions_report_the_preset_origin_and_source() -> None:
    sc = _scenario({**BASE_THREAT, "preset": "improvised_truck", "ripple_s": 1.0})
    by_path = {a.path: a for a in assumptions(sc)}
    assert by_path["threat.aim_sigma_m"].origin == "preset"
    assert "improvised_truck" in by_path["threat.aim_sigma_m"].source
    assert "7news.com.au" in by_path["threat.aim_sigma_m"].source
    assert by_path["threat.ripple_s"].origin == "scenario"
    assert by_path["threat.preset"].origin == "scenario"
    profile = threat_profile(sc)
    assert profile["preset"] == "improvised_truck"
    assert "ripple_s" not in profile["from_preset"] and "aim_sigma_m" in profile["from_preset"]
    assert profile["preset_meaning"] == THREAT_PRESETS["improvised_truck"].meaning


def test_unknown_preset_names_the_valid_ones() -> None:
    with pytest.raises(ScenarioError) as err:
        _scenario({**BASE_THREAT, "preset": "sniper"})
    line = str(err.value)
    assert "threat.preset" in line and "sniper" in line
    for name in THREAT_PRESETS:
        assert name in line


@pytest.mark.parametrize("name", sorted(THREAT_PRESETS))
def test_every_preset_cites_its_sources(name) -> None:
    preset = THREAT_PRESETS[name]
    assert preset.source and preset.meaning and preset.label
    # a URL-like citation or an explicit "Illustrative"
    assert any(mark in preset.source for mark in (".com", ".org", ".ua", ".edu")) \
        or "Illustrative" in preset.source


def test_taji_uses_the_improvised_preset() -> None:
    from forceprot.scenario import load_scenario

    sc = load_scenario(SITES / "taji.toml")
    assert sc.threat.preset == "improvised_truck"
    assert sc.threat.aim_sigma_m == THREAT_PRESETS["improvised_truck"].aim_sigma_m
