"""``optimize --camera``: cameras placed greedily on the run's own salvos, then rerun on the
same salvos and paired against the scenario as given."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from forceprot.cli import app
from forceprot.compile import prepare
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.scenario import parse_scenario
from forceprot.studies.optimize.cameras import place_cameras
from tests.conftest import SITES
from tests.helpers import assert_bad_input
from tests.kernel_helpers import CX_M, CY_M, scenario_data, square_base

SALVOS = 4 * BLOCK_SALVOS


def test_cameras_lower_the_attempted_leakers_on_the_same_salvos(tmp_path) -> None:
    square_base(tmp_path, 1_000.0)
    data = scenario_data(tubes=6, defence=[{"kind": "cram", "name": "gun", "x": CX_M,
                                            "y": CY_M}],
                         simulation={"salvos": SALVOS, "seed": 3, "story_salvos": 0})
    prepared = prepare(parse_scenario(data, source="s.toml", path=tmp_path / "s.toml"))
    result = place_cameras(prepared, 2, grid_m=500.0, margin_m=0.0)
    assert len(result.chosen) == 2 and result.n_headings == 8
    # the cameras change no fired salvo: the same salvos, the same leakers per salvo
    assert result.after.expected_leakers_per_salvo.value == \
        result.before.expected_leakers_per_salvo.value
    a, b, d, lo, hi, _ = result.difference
    assert a == result.before.expected_leakers_per_salvo.value  # nothing prevented before
    assert d < 0.0 and hi < 0.0
    # the search reads P(prevented) at launch-cell centres, the kernel in the raster cell the
    # launcher stands in: the two agree to within a few per cent of the leakers
    search = result.chosen[-1]["leakers_per_attempted_salvo_after"]
    assert search == pytest.approx(b, rel=0.05)
    assert result.after.p_prevented.value > 0.0
    text = result.toml()
    assert text.count("[[surveillance]]") == 2 and 'kind = "camera"' in text
    # greedy: each camera lowers the search's figure
    steps = [c["leakers_per_attempted_salvo_after"] for c in result.chosen]
    assert steps[1] <= steps[0] <= a + 1e-12
    assert all(math.isfinite(c["lon"]) and math.isfinite(c["lat"]) for c in result.chosen)
    assert np.isfinite(result.summary()["p_prevented"]["difference"])


def test_cameras_alone_or_refused(tmp_path) -> None:
    result = CliRunner().invoke(app, ["optimize", str(SITES / "taji.toml"), "--camera", "1",
                                      "--cram", "1"])
    assert_bad_input(result, "--camera = 1", "compare")


def test_a_patrol_route_is_chosen_once(tmp_path) -> None:
    """--patrol: the best of the candidate routes is one more greedy move, taken once; a
    route far from every launch cell is never chosen."""
    import shapely

    from tests.kernel_helpers import write_layer

    square_base(tmp_path, 1_000.0)
    near = shapely.LineString([(CX_M - 3_000.0, CY_M - 3_000.0), (CX_M + 3_000.0, CY_M - 3_000.0)])
    far = shapely.LineString([(CX_M + 60_000.0, CY_M), (CX_M + 61_000.0, CY_M)])
    routes = write_layer(tmp_path / "routes.gpkg", shapely.MultiLineString([far, near]))
    data = scenario_data(tubes=6, simulation={"salvos": SALVOS, "seed": 3, "story_salvos": 0})
    prepared = prepare(parse_scenario(data, source="s.toml", path=tmp_path / "s.toml"))
    result = place_cameras(prepared, 1, grid_m=500.0, margin_m=0.0, patrol_routes_path=routes)
    kinds = [c["kind"] for c in result.chosen]
    assert sorted(kinds) == ["camera", "patrol"] and result.n_routes == 2
    patrol = next(c for c in result.chosen if c["kind"] == "patrol")
    assert patrol["candidate"] == "route 2"  # the near one
    assert 'kind = "patrol"' in result.toml()
    assert result.difference[2] < 0.0


def test_bad_patrol_routes_are_one_line_exit_2(tmp_path) -> None:
    pts = tmp_path / "pts.geojson"
    pts.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                   '"properties": {}, "geometry": {"type": "Point", "coordinates": '
                   '[44.2, 33.5]}}]}')
    result = CliRunner().invoke(app, ["optimize", str(SITES / "taji.toml"), "--patrol",
                                      str(pts)])
    assert_bad_input(result, "pts.geojson", "--patrol", "lines or polygons")


def test_sweep_reports_the_attempted_salvo_figures(tmp_path) -> None:
    """sweep over a sensor's rate: the fired-salvo figures do not move, P(prevented) rises and
    the leakers per attempted salvo fall with it."""
    import pandas as pd

    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, [
        "sweep", str(SITES / "taji_surveillance.toml"), "--set",
        "surveillance[0].detect_rate_per_min=0,10", "--salvos", "1024", "--out", str(out)])
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out / "sweep.csv")
    assert df["expected_leakers_per_salvo"].nunique() == 1
    assert df["p_prevented"].iloc[1] > df["p_prevented"].iloc[0]
    assert df["expected_leakers_per_attempted_salvo"].iloc[1] < \
        df["expected_leakers_per_attempted_salvo"].iloc[0]
