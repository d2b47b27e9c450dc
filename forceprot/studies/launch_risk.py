"""Where a launch hurts most: the launch zone cut into areas, each sampled on its own.

A run draws launchers over the whole launch zone, so a small area holds a handful of salvos and
its leak figure is noise (the median 250 m cell of a 20,000-salvo Taji run holds 5). This study
stratifies instead: the zone is cut into squares of about ``area_m`` (clipped to the zone;
slivers under :data:`MIN_AREA_FRACTION` of a square are merged into nothing and reported), and
every area gets the same number of salvos with the launcher drawn inside it (the aim point as
in the scenario, in reach of the launcher). Each area's figure is then the expectation of a
salvo *given* that it is fired from there, with an interval of stated width; no weights are
needed because no area's estimate is mixed with another's. How often a launch comes from an
area (its share of the zone where a launcher can reach) is reported beside it.

Areas are ranked by expected leakers per salvo, and every area whose 95 % interval reaches the
best area's lower bound is in the *top group*: these cannot be told apart from the top on this
sample, so a patrol plan should treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely

from forceprot.compile import CompiledScenario, Grid, area_sampler
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings

__all__ = ["AREA_M", "LaunchRisk", "MIN_AREA_FRACTION", "SALVOS_PER_AREA", "launch_risk"]

#: Side of a launch area [m]: about a patrol's beat (illustrative).
AREA_M = 2_000.0
#: Salvos per area: two blocks, so every area's expected leakers per salvo carries a t
#: interval of about +/-0.4 leakers on Taji (24 tubes).
SALVOS_PER_AREA = 2 * BLOCK_SALVOS
#: Clipped squares smaller than this share of a full square are not sampled as areas of their
#: own (their launches are a small share of the zone; the share left out is reported).
MIN_AREA_FRACTION = 0.10


@dataclass(frozen=True)
class LaunchRisk:
    """Launch areas, each sampled on its own.

    Attributes
    ----------
    polygons_m : ndarray of shapely Polygon, shape (n,)
        The areas, clipped to the launch zone, local CRS [m].
    leakers_per_salvo, leakers_lo, leakers_hi : ndarray, shape (n,)
        Expected leakers of a salvo fired from the area, with its 95 % t interval.
    leak_rate : ndarray, shape (n,)
        Leaked / landing inside for salvos from the area.
    threatening_per_salvo : ndarray, shape (n,)
        Rockets landing inside per salvo from the area.
    reachable : ndarray of bool, shape (n,)
        Whether any launcher in the area reaches an aim point (False: not sampled, NaN figures).
    zone_share : ndarray, shape (n,)
        The area's share of the launch zone's area [-].
    in_top_group : ndarray of bool, shape (n,)
        Cannot be told apart from the top area (interval reaches the best one's lower bound).
    salvos_per_area : int
    area_m : float
    left_out_share : float
        Share of the launch zone in slivers not sampled [-].
    """

    polygons_m: np.ndarray
    leakers_per_salvo: np.ndarray
    leakers_lo: np.ndarray
    leakers_hi: np.ndarray
    leak_rate: np.ndarray
    threatening_per_salvo: np.ndarray
    reachable: np.ndarray
    zone_share: np.ndarray
    in_top_group: np.ndarray
    salvos_per_area: int
    area_m: float
    left_out_share: float

    @property
    def ranking(self) -> np.ndarray:
        """Indices of the sampled areas, most leakers per salvo first."""
        sampled = np.flatnonzero(self.reachable)
        return sampled[np.argsort(-self.leakers_per_salvo[sampled], kind="stable")]

    @property
    def top_group(self) -> np.ndarray:
        """Indices of the top group, in rank order."""
        return np.array([i for i in self.ranking if self.in_top_group[i]], dtype=np.int64)


def launch_areas(compiled: CompiledScenario, area_m: float = AREA_M
                 ) -> tuple[np.ndarray, float]:
    """The launch zone cut into squares of ``area_m`` [m], clipped; slivers dropped.

    Returns the polygons (shapely, local CRS) and the share of the zone left out in slivers.
    """
    zone = compiled.prepared.site.launch_zone
    grid = Grid.covering(zone, float(area_m), label=compiled.prepared.scenario.label,
                         field="area_m")
    clipped = shapely.intersection(grid.boxes(), zone)
    area = shapely.area(clipped)
    keep = area >= MIN_AREA_FRACTION * area_m * area_m
    total = float(zone.area)
    left_out = float(area[~keep].sum()) / total if total > 0 else 0.0
    return clipped[keep], left_out


def _reaches(polygon, aim, min_range_m: float, max_range_m: float) -> bool:
    """Some launcher in ``polygon`` has some aim point within [min, max] range."""
    from forceprot.reach import distance_intervals

    rows = distance_intervals(polygon, aim)
    return bool(np.any((rows[:, 0] <= max_range_m) & (rows[:, 1] >= min_range_m)))


def launch_risk(compiled: CompiledScenario, settings: RunSettings, *, area_m: float = AREA_M,
                salvos_per_area: int = SALVOS_PER_AREA,
                progress: Callable[[int, int], None] | None = None) -> LaunchRisk:
    """Sample every launch area on its own and rank them.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario.
    settings : RunSettings
        Seed and threads (its salvos are replaced by ``salvos_per_area``, no precision stop).
    area_m : float
        Side of an area [m].
    salvos_per_area : int
        Salvos fired from each area.
    progress : callable, optional
        ``progress(areas_done, areas_total)``.
    """
    from forceprot.simulate import simulate

    polygons, left_out = launch_areas(compiled, area_m)
    n = len(polygons)
    family = compiled.inputs.family
    aim_tri = compiled.inputs.aim.tri_m
    aim = shapely.union_all(shapely.polygons(aim_tri)) if np.any(
        np.ptp(aim_tri, axis=1) > 0) else shapely.multipoints(aim_tri[:, 0, :])
    run = settings.replace(salvos=int(salvos_per_area), precision=None, story_salvos=0)
    out = {k: np.full(n, np.nan) for k in ("mean", "lo", "hi", "leak", "threat")}
    reachable = np.zeros(n, dtype=bool)
    for i, poly in enumerate(polygons):
        if _reaches(poly, aim, family.min_range_m, family.max_range_m):
            reachable[i] = True
            res = simulate(compiled.with_inputs(zone=area_sampler(poly)), run)
            est = res.expected_leakers_per_salvo
            out["mean"][i], out["lo"][i], out["hi"][i] = est.value, est.lo, est.hi
            out["leak"][i] = res.leak_rate.value
            out["threat"][i] = res.expected_threatening_per_salvo.value
        if progress is not None:
            progress(i + 1, n)
    in_top = np.zeros(n, dtype=bool)
    if reachable.any():
        best = int(np.nanargmax(np.where(reachable, out["mean"], -np.inf)))
        in_top = reachable & (out["hi"] >= out["lo"][best])
    zone_area = float(compiled.prepared.site.launch_zone.area)
    return LaunchRisk(polygons_m=polygons, leakers_per_salvo=out["mean"], leakers_lo=out["lo"],
                      leakers_hi=out["hi"], leak_rate=out["leak"],
                      threatening_per_salvo=out["threat"], reachable=reachable,
                      zone_share=shapely.area(polygons) / zone_area if zone_area > 0
                      else np.zeros(n),
                      in_top_group=in_top, salvos_per_area=int(salvos_per_area),
                      area_m=float(area_m), left_out_share=left_out)
