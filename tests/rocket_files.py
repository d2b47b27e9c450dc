"""A scenario defining its own rocket class: the issue's ``[rockets.my107]``, the published
Type 63 figures with the motor of flight model 2 and no drag fit."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

MY107 = """
[rockets.my107]
label = "my Type 63"
diameter_m = 0.107
launch_mass_kg = 18.8
burnout_mass_kg = 15.6
burn_time_s = 0.9
thrust_n = 7165
min_range_m = 1000
max_range_m = 8050
published_burnout_speed_mps = 385
source = "Jane's Ammunition Handbook, as quoted"
"""


def my107_scenario(folder: Path, *, extra: str = "", rocket: str = "my107") -> Path:
    """Write a scenario firing ``rocket`` that defines ``[rockets.my107]`` (and ``extra``)."""
    path = folder / "my107.toml"
    path.write_text(f"""
[site]
name = "my107 test"
boundary = "{(ROOT / 'sites' / 'taji.geojson').as_posix()}"

[threat]
rocket = "{rocket}"
tubes = 12
ripple_s = 0.5
min_standoff_m = 1000
max_standoff_m = 6000
{MY107}{extra}""")
    return path
