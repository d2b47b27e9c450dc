"""Where a launch hurts most: the launch zone cut into areas, each sampled on its own.

A run draws launchers over the whole launch zone, so a small area holds a handful of salvos and
its leak figure is noise (the median 250 m cell of a 20,000-salvo Taji run holds 5). This study
stratifies instead: the zone is cut into squares of about ``area_m`` (clipped to the zone;
slivers under :data:`MIN_AREA_FRACTION` of a square are merged into nothing and reported), and
every area gets the same number of salvos with the launcher drawn inside it (the aim point as
in the scenario, in reach of the launcher; an area's part beyond the rocket's reach of every aim
point is not sampled). Each area's figure is then the expectation of a
salvo *given* that it is fired from there, with an interval of stated width; no weights are
needed because no area's estimate is mixed with another's. How often a launch comes from an
area (its share of the zone where a launcher can reach) is reported beside it.

Areas are ranked by expected leakers per salvo. The areas whose interval comes within one
interval width of the best area's are sampled again with :data:`REFINE_FACTOR` times the salvos,
and every area whose 95 % interval then reaches the best area's lower bound is in the *top group*: these cannot be told apart from the top on this
sample, so a patrol plan should treat them alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely

from forceprot.compile import CompiledScenario, Grid, Prepared, area_sampler, launcher_band_m
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings

__all__ = ["AREA_M", "LaunchRisk", "MIN_AREA_FRACTION", "SALVOS_PER_AREA", "launch_risk"]

#: Side of a launch area [m]: about a patrol's beat (illustrative).
AREA_M = 2_000.0
#: Salvos per area: two blocks, so every area's expected leakers per salvo carries a t
#: interval of about +/-0.4 leakers on Taji (24 tubes).
SALVOS_PER_AREA = 2 * BLOCK_SALVOS
#: Areas whose expected leakers are within this share of the best area's cannot be told apart
#: from it in practice (illustrative: 1 % of the leakers is well inside what the threat's own
#: parameters move; see ``forceprot uncertainty``).
TOP_TOLERANCE_FRAC = 0.01
#: Rounds of refinement, each sampling the areas still on the edge of the top group with this
#: many times more salvos than the last round: the edge is then decided on intervals a quarter,
#: then a sixteenth as wide, so a group with a clear peak does not change with the seed (on a
#: flat landscape, areas whose true figure sits on the group's edge still flip).
REFINE_FACTOR = 4
REFINE_ROUNDS = 2
#: Rockets one stage of the study may fly in all (sampling, then each refinement round): a
#: salvo of many tubes gets fewer salvos per area (at least :data:`MIN_SALVOS_PER_AREA`), so
#: the study's cost does not grow with the tubes.
ROCKET_BUDGET = 2_000_000
MIN_SALVOS_PER_AREA = 16
#: Most areas a study samples: a larger launch zone gets larger squares (its side rounded up to
#: whole 500 m), so the study's cost stays bounded (about 100 x 1,024 salvos before refinement).
MAX_AREAS = 100
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
    salvos : ndarray of int64, shape (n,)
        Salvos fired from each area: ``salvos_per_area``, :data:`REFINE_FACTOR` times that
        for the areas near the top, 0 where no launcher reaches.
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
    salvos: np.ndarray
    salvos_per_area: int
    area_m: float
    left_out_share: float
    #: with surveillance: mean over the area's salvos of P(the launch team is found before it
    #: fires) [-], shape (n,) (NaN where not sampled); None without
    p_detect_before_fire: np.ndarray | None = None

    @property
    def ranking(self) -> np.ndarray:
        """Indices of the sampled areas, most leakers per salvo first."""
        sampled = np.flatnonzero(self.reachable)
        return sampled[np.argsort(-self.leakers_per_salvo[sampled], kind="stable")]

    @property
    def top_group(self) -> np.ndarray:
        """Indices of the top group, in rank order."""
        return np.array([i for i in self.ranking if self.in_top_group[i]], dtype=np.int64)


def launch_areas(prepared: Prepared, area_m: float = AREA_M
                 ) -> tuple[np.ndarray, float, float]:
    """The launch zone of ``prepared``'s site cut into squares of ``area_m`` [m] (larger when
    the zone would need more than :data:`MAX_AREAS` of them), clipped; slivers dropped.

    Returns the polygons (shapely, local CRS), the share of the zone left out in slivers and the
    side used [m].
    """
    zone = prepared.site.launch_zone
    if zone.area > MAX_AREAS * area_m * area_m:
        area_m = 500.0 * math.ceil(math.sqrt(zone.area / MAX_AREAS) / 500.0)
    grid = Grid.covering(zone, float(area_m), label=prepared.scenario.label,
                         field="area_m")
    clipped = shapely.intersection(grid.boxes(), zone)
    area = shapely.area(clipped)
    keep = area >= MIN_AREA_FRACTION * area_m * area_m
    total = float(zone.area)
    left_out = float(area[~keep].sum()) / total if total > 0 else 0.0
    return clipped[keep], left_out, float(area_m)


def _reaches(polygon, aim, min_range_m: float, max_range_m: float) -> bool:
    """Some launcher in ``polygon`` has some aim point within [min, max] range."""
    from forceprot.reach import distance_intervals

    rows = distance_intervals(polygon, aim)
    return bool(np.any((rows[:, 0] <= max_range_m) & (rows[:, 1] >= min_range_m)))


def launch_risk(compiled: CompiledScenario, prepared: Prepared, settings: RunSettings, *,
                area_m: float = AREA_M,
                salvos_per_area: int = SALVOS_PER_AREA,
                progress: Callable[[int, int], None] | None = None) -> LaunchRisk:
    """Sample every launch area on its own and rank them.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario's arrays: each area's run replaces only its launch zone.
    prepared : Prepared
        What ``compiled`` was compiled from: its site's launch zone is cut into the areas.
    settings : RunSettings
        Seed and threads (its salvos are replaced by ``salvos_per_area``, no precision stop).
    area_m : float
        Side of an area [m].
    salvos_per_area : int
        Salvos fired from each area (fewer when areas x tubes x salvos would pass
        :data:`ROCKET_BUDGET`, never under :data:`MIN_SALVOS_PER_AREA`).
    progress : callable, optional
        ``progress(areas_done, areas_total)``.
    """
    from forceprot.simulate import simulate

    polygons, left_out, area_m = launch_areas(prepared, area_m)
    n = len(polygons)
    aim_tri = compiled.inputs.aim.tri_m
    aim = shapely.union_all(shapely.polygons(aim_tri)) if np.any(
        np.ptp(aim_tri, axis=1) > 0) else shapely.multipoints(aim_tri[:, 0, :])
    run = settings.replace(precision=None, story_salvos=0)
    tubes = compiled.tubes
    salvos_per_area = int(max(MIN_SALVOS_PER_AREA,
                              min(salvos_per_area, ROCKET_BUDGET // max(n * tubes, 1))))
    out = {k: np.full(n, np.nan) for k in ("mean", "lo", "hi", "leak", "threat", "p_detect")}
    salvos = np.zeros(n, dtype=np.int64)
    # launchers can stand only where some aim point is within the rocket's maximum range:
    # sampling the rest of an area would only be rejected, salvo after salvo
    band_lo_m, band_hi_m = launcher_band_m(compiled)  # a fixed elevation narrows it
    in_reach = aim.buffer(band_hi_m)
    parts = [poly.intersection(in_reach) for poly in polygons]
    reachable = np.array([part.area > 0 and _reaches(part, aim, band_lo_m, band_hi_m)
                          for part in parts], dtype=bool)

    def sample(i: int, n_salvos: int) -> None:
        # the same seed for every area and stage: a refined area's first salvos are its first
        # leakers only: no casualties to score
        res = simulate(compiled.with_inputs(zone=area_sampler(parts[i])).without_people(),
                       run.replace(salvos=int(n_salvos)))
        est = res.expected_leakers_per_salvo
        out["mean"][i], out["lo"][i], out["hi"][i] = est.value, est.lo, est.hi
        out["leak"][i] = res.leak_rate.value
        out["threat"][i] = res.expected_threatening_per_salvo.value
        out["p_detect"][i] = res.p_detect_before_fire
        salvos[i] = res.salvos

    todo = np.flatnonzero(reachable)
    total = len(todo)
    for k, i in enumerate(todo):
        sample(int(i), salvos_per_area)
        if progress is not None:
            progress(k + 1, total)
    in_top = np.zeros(n, dtype=bool)
    done = len(todo)
    for _ in range(REFINE_ROUNDS + 1):
        if not reachable.any():
            break
        best = int(np.nanargmax(np.where(reachable, out["mean"], -np.inf)))
        threshold = out["lo"][best] - TOP_TOLERANCE_FRAC * out["mean"][best]
        in_top = reachable & (out["hi"] >= threshold)
        # every area in the group or on its edge: the best must be found among sharp
        # estimates, and the edge (intervals holding the threshold) decided on them
        edge = np.flatnonzero(in_top)
        if _ == REFINE_ROUNDS:
            break
        total += len(edge)
        # each round within the budget too: the group's areas share it
        most = max(MIN_SALVOS_PER_AREA, ROCKET_BUDGET // max(len(edge) * tubes, 1))
        for i in edge:
            sample(int(i), min(salvos[i] * REFINE_FACTOR, max(most, salvos[i])))
            done += 1
            if progress is not None:
                progress(done, total)
    zone_area = float(prepared.site.launch_zone.area)
    return LaunchRisk(polygons_m=polygons, leakers_per_salvo=out["mean"], leakers_lo=out["lo"],
                      leakers_hi=out["hi"], leak_rate=out["leak"],
                      threatening_per_salvo=out["threat"], reachable=reachable,
                      zone_share=shapely.area(polygons) / zone_area if zone_area > 0
                      else np.zeros(n),
                      in_top_group=in_top, salvos=salvos, salvos_per_area=int(salvos_per_area),
                      area_m=float(area_m), left_out_share=left_out,
                      p_detect_before_fire=out["p_detect"]
                      if compiled.surveillance is not None else None)
