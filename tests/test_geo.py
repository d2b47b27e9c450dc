"""Site geometry: launch zone from the standoff band or a launch-areas layer, exclusions, CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.conftest import edit_toml

# Buffers are polygonal approximations (16 segments per quarter circle): areas agree with the
# exact band to well under 0.1 %.
AREA_RTOL = 1e-3


def test_standoff_band_minus_exclusions(sites_copy: Path) -> None:
    prepared = prepare_scenario(sites_copy / "taji.toml")
    site, threat = prepared.site, prepared.scenario.threat
    band = site.base.buffer(threat.max_standoff_m).difference(site.base.buffer(threat.min_standoff_m))
    expected = band.difference(site.exclusions)
    assert abs(site.launch_zone.area - expected.area) <= AREA_RTOL * expected.area
    assert site.launch_zone.intersection(site.exclusions).area < 1.0
    assert site.launch_zone.intersection(site.base).area < 1.0


def test_launch_areas_layer_replaces_the_band(sites_copy: Path) -> None:
    """Launchers stand only in the launch-areas layer (here: two road strips, in UTM, GPKG)."""
    prepared = prepare_scenario(sites_copy / "taji.toml")
    site = prepared.site
    cx, cy = site.base.centroid.x, site.base.centroid.y
    roads = [shapely.LineString([(cx - 9000, cy - 6500), (cx + 9000, cy - 6500)]).buffer(60),
             shapely.LineString([(cx - 7500, cy - 9000), (cx - 7500, cy + 9000)]).buffer(60)]
    gpd.GeoDataFrame({"name": ["south road", "west road"]}, geometry=roads,
                     crs=site.local_crs).to_file(sites_copy / "roads.gpkg", layer="roads")
    edit_toml(sites_copy / "taji.toml", "exclusions = [", 'launch_areas = "roads.gpkg"\nexclusions = [')
    prepared = prepare_scenario(sites_copy / "taji.toml")
    zone = prepared.site.launch_zone
    assert zone.area < shapely.union_all(roads).area + 1.0
    results = simulate(compile_scenario(prepared),
                       RunSettings.from_scenario(prepared.scenario, salvos=600, seed=1))
    from forceprot.kernel import tally as T

    xy = results.story[:, [T.R_LAUNCH_X, T.R_LAUNCH_Y]]
    shapely.prepare(zone)
    inside = shapely.contains_xy(zone.buffer(1e-6), xy[:, 0], xy[:, 1])
    assert inside.all(), f"{(~inside).sum()} launchers outside the launch areas"
    # both roads are used (each holds a fair share of the reachable positions)
    on_south = np.abs(xy[:, 1] - (cy - 6500)) < 61
    assert 0.05 < on_south.mean() < 0.95
