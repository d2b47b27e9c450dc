"""Can any launch position reach any aim point? Proved on the geometry before sampling.

The kernel draws an aim point, then launch positions in the launch zone until one lies between
the rocket's minimum and maximum range of it (:func:`forceprot.kernel.draw_salvo`). If no pair of
points is in range, every salvo burns its whole budget of draws and is never fired: a run then
takes hours and reports "0 salvos". This module decides that case up front.

For two connected sets ``Z`` and ``A`` the distances ``|z - a|`` fill the whole interval
``[dist(Z, A), max |z - a|]`` (a continuous function on a connected set), and the largest
distance between two polygons is reached between vertices of their convex hulls. So a launch
zone part and an aim part can reach each other if and only if their interval meets
``[min_range, max_range]``; multi-part geometries are checked part by part.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from forceprot.errors import ReachError, ScenarioError

__all__ = ["distance_intervals", "check_reach"]


def _parts(geometry: BaseGeometry) -> list[BaseGeometry]:
    parts = shapely.get_parts(geometry)
    return [p for p in parts if not p.is_empty]


def _hull_xy(geometry: BaseGeometry) -> np.ndarray:
    return shapely.get_coordinates(shapely.convex_hull(geometry))


def distance_intervals(zone: BaseGeometry, aim: BaseGeometry) -> np.ndarray:
    """Nearest and farthest distance between every launch-zone part and every aim part.

    Parameters
    ----------
    zone : shapely geometry
        Launch zone, local metric CRS [m].
    aim : shapely geometry
        Where salvos are aimed (the base polygon, or the asset or cell points) [m].

    Returns
    -------
    ndarray of float64, shape (n_pairs, 2)
        ``(nearest, farthest)`` distance of each (zone part, aim part) pair [m]; every distance
        in between is taken by some pair of points of those parts.
    """
    rows = []
    aim_parts = [(a, _hull_xy(a)) for a in _parts(aim)]
    for z in _parts(zone):
        z_xy = _hull_xy(z)
        for a, a_xy in aim_parts:
            # farthest pair of hull vertices (hulls are small: no scipy.spatial import needed)
            d = z_xy[:, None, :] - a_xy[None, :, :]
            rows.append((z.distance(a), float(np.sqrt((d * d).sum(axis=-1)).max())))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 2)


def check_reach(zone: BaseGeometry, aim: BaseGeometry, min_range_m: float, max_range_m: float,
                *, rocket: str, label: str | None = None,
                too_far: tuple[str, object] | None = None,
                too_near: tuple[str, object] | None = None,
                aim_name: str = "the base") -> None:
    """Raise unless some launch position lies within the rocket's range band of some aim point.

    Parameters
    ----------
    zone, aim : shapely geometry
        Launch zone and aim area (or points), local metric CRS [m].
    min_range_m, max_range_m : float
        The rocket's minimum and maximum ground range [m].
    rocket : str
        Rocket class name, for the message.
    label : str, optional
        Scenario file the error names.
    too_far, too_near : (str, object), optional
        The field (and its value) to blame when every launch position is beyond the maximum
        range (e.g. the launch zone's inner edge) or inside the minimum range (its outer edge).
    aim_name : str
        What is aimed at, for the message.

    Raises
    ------
    ReachError
        No pair of points is between ``min_range_m`` and ``max_range_m`` apart.
    ScenarioError
        The launch zone or the aim is empty.
    """
    intervals = distance_intervals(zone, aim)
    if len(intervals) == 0:
        raise ScenarioError(f"the launch zone or {aim_name} is empty", file=label)
    near, far = intervals[:, 0], intervals[:, 1]
    if np.any((near <= max_range_m) & (far >= min_range_m)):
        return
    blame = None
    if np.all(near > max_range_m):
        blame = too_far
        why = (f"the nearest is {near.min():.0f} m from {aim_name}, beyond the {rocket} "
               f"maximum range ({max_range_m:.0f} m)")
    elif np.all(far < min_range_m):
        blame = too_near
        why = (f"the farthest is {far.max():.0f} m from {aim_name}, inside the {rocket} "
               f"minimum range ({min_range_m:.0f} m)")
    else:
        why = (f"each part of the launch zone is either inside the {rocket} minimum range "
               f"({min_range_m:.0f} m) or beyond its maximum range ({max_range_m:.0f} m)")
    field, value = blame if blame is not None else (None, None)
    raise ReachError(f"no launch position can reach {aim_name}: {why}", file=label,
                        field=field, value=value, has_value=field is not None)
