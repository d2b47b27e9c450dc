"""``optimize --objective asset_risk`` with polygon assets: the per-salvo risk recounted from
the story, and the MCLP demand of polygon assets."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
import shapely.affinity

from forceprot.compile import compile_scenario, prepare, prepare_scenario
from forceprot.kernel import tally as T
from forceprot.scenario import load_scenario
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.studies.optimize.layouts import per_salvo
from forceprot.studies.optimize.mclp import demand_points
from tests.conftest import SITES, edit_toml

SALVOS = 600
#: Per-salvo weighted sums are added in another order than the kernel's tallies.
SUM_RTOL = 1e-12


def test_per_salvo_asset_risk_recounts_the_kernel_tally() -> None:
    prepared = prepare_scenario(SITES / "fob.toml")
    compiled = compile_scenario(prepared)
    settings = RunSettings.from_scenario(prepared.scenario, salvos=SALVOS,
                                         story_salvos=SALVOS, threads=1)
    res = simulate(compiled, settings)
    risk = per_salvo(res).asset_risk
    assert risk.shape == (SALVOS,) and risk.sum() > 0
    assert risk.sum() == pytest.approx(res.scalars[T.S_ASSET_RISK], rel=SUM_RTOL)
    assert (risk**2).sum() == pytest.approx(res.scalars[T.S_ASSET_RISK2], rel=SUM_RTOL)


def test_mclp_demand_splits_polygon_assets_by_area() -> None:
    scenario = load_scenario(SITES / "fob.toml")
    scenario = scenario.updated({"threat": {"aim": "assets"}}, label=scenario.label)
    prepared = prepare(scenario)
    assets = prepared.site.assets
    xy, weight, _ = demand_points(prepared, 50.0)
    assert weight.sum() == pytest.approx(assets.weight.sum(), rel=1e-12)
    for a, poly in enumerate(assets.polygons):
        if poly is None:   # a circle asset is one demand point at its centre, its whole weight
            k = np.flatnonzero((xy == assets.xy_m[a]).all(axis=1))
            assert len(k) == 1 and weight[k[0]] == assets.weight[a]
            continue
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        assert inside.sum() > 1
        # the polygon's cells carry its weight (circle centres lie in none of the polygons)
        assert weight[inside].sum() == pytest.approx(assets.weight[a], rel=1e-9)


def test_compare_sees_the_same_salvos_only_with_the_same_assets(sites_copy) -> None:
    from forceprot.studies.compare import same_salvos

    aimed = edit_toml(sites_copy / "fob.toml", 'aim = "uniform"', 'aim = "assets"')
    a = prepare_scenario(aimed)
    assert same_salvos(a, prepare_scenario(aimed))
    # the same layer with one polygon moved 10 m: the aim points differ
    src = gpd.read_file(sites_copy / "fob_assets.geojson")
    utm = src.to_crs(32638)
    utm.loc[0, "geometry"] = shapely.affinity.translate(utm.geometry.iloc[0], 10.0, 0.0)
    utm.to_crs(4326).to_file(sites_copy / "fob_assets.geojson", driver="GeoJSON")
    assert not same_salvos(a, prepare_scenario(aimed))
