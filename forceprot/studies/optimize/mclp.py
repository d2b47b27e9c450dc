"""The baseline: the maximal covering location problem with static envelope disks.

PySAL ``spopt.locate.MCLP`` solved by PuLP with HiGHS (:func:`mclp_solver`), one kind at a time,
over the base's demand points (:func:`demand_points`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import shapely

from forceprot.catalog.defences import DEFENCE_CLASSES
from forceprot.compile import Prepared
from forceprot.errors import ForceprotError
from forceprot.studies.optimize.candidates import Candidates
from forceprot.studies.optimize.layouts import KINDS, Layout, Placement

__all__ = ["MclpSolution", "demand_points", "envelope_radius_m", "mclp_layout", "mclp_solver"]

@dataclass(frozen=True)
class MclpSolution:
    """The maximal covering layout with static envelope disks.

    Attributes
    ----------
    layout : tuple of Placement
        C-RAM-class mounts first, then batteries.
    radius_m : dict
        Envelope disk radius per kind [m].
    coverage : dict
        Share of the demand weight inside at least one disk of that kind (fixed units included).
    solver : str
        The MILP solver PuLP used.
    demand : str
        What the demand points were.
    n_demand : int
        Demand points.
    """

    layout: Layout
    radius_m: dict
    coverage: dict
    solver: str
    demand: str
    n_demand: int


def envelope_radius_m(kind: str) -> float:
    """Static envelope disk radius of a class-default unit [m]: the defended radius, capped by
    the engagement reach (gun slant range; battery maximum intercept range)."""
    return DEFENCE_CLASSES[kind]().envelope_radius_m


def _unit_radius_m(unit) -> float:
    return unit.envelope_radius_m


def demand_points(prepared: Prepared, cell_m: float) -> tuple[np.ndarray, np.ndarray, str]:
    """MCLP demand: base cells weighted by their area inside the base, or the aim assets
    (a circle asset at its centre with its aim weight; a polygon asset split into cells, each
    with the asset's weight times its share of the asset's area, as aims are drawn).

    Returns
    -------
    xy : ndarray, float64, shape (n, 2)
        Demand points [m] (a point on each clipped cell; or the assets and asset cells).
    weight : ndarray, float64, shape (n,)
        Area inside the base [m^2], or aim weights [-].
    description : str
    """
    from forceprot.compile import Grid

    scenario, site = prepared.scenario, prepared.site
    if scenario.threat.aim == "assets":
        assets = site.assets
        xy, w = [], []
        for a, poly in enumerate(assets.polygons):
            if poly is None:
                xy.append(assets.xy_m[a].reshape(1, 2))
                w.append(np.array([assets.weight[a]]))
                continue
            cells = Grid.covering(poly, cell_m, label=scenario.label, field="demand cell")
            pieces = shapely.intersection(cells.boxes(), poly)
            area = shapely.area(pieces)
            keep = area > 0
            xy.append(shapely.get_coordinates(shapely.point_on_surface(pieces[keep])))
            w.append(assets.weight[a] * area[keep] / area[keep].sum())
        return (np.concatenate(xy).astype(np.float64), np.concatenate(w).astype(np.float64),
                "aim assets weighted by aim weight (polygon assets split into cells)")
    grid = Grid.covering(site.base, cell_m, label=scenario.label, field="demand cell")
    pieces = shapely.intersection(grid.boxes(), site.base)
    area = shapely.area(pieces)
    keep = area > 0
    pts = shapely.point_on_surface(pieces[keep])
    xy = shapely.get_coordinates(pts)
    return xy, area[keep], f"{cell_m:g} m base cells weighted by area inside the base"


def mclp_solver():
    """A PuLP MILP solver that works here, and its name.

    Prefers HiGHS through highspy (``pulp.HiGHS``), then the HiGHS and CBC command-line
    solvers. PuLP's bundled CBC (``PULP_CBC_CMD``) is deprecated from PuLP 3 and goes in 4.0,
    so it is not used.

    Raises
    ------
    ForceprotError
        PuLP missing, or no solver available.
    """
    try:
        import pulp
    except ImportError:
        raise ForceprotError("the MCLP baseline needs PuLP and highspy: pip install "
                             "'forceprot[optimize]'") from None
    for factory, name in (("HiGHS", "HiGHS (highspy)"), ("HiGHS_CMD", "HiGHS (command line)"),
                          ("COIN_CMD", "CBC (command line)")):
        cls = getattr(pulp, factory, None)
        if cls is None:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solver = cls(msg=False)
            if solver.available():
                return solver, name
    raise ForceprotError("no MILP solver for the MCLP baseline: pip install highspy")


@contextlib.contextmanager
def _native_stdout_silenced():
    """Silence file descriptor 1 (the HiGHS library prints its banner there, below Python)."""
    try:
        sys.stdout.flush()
    except (AttributeError, ValueError):
        pass
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _mclp_class():
    """``spopt.locate.MCLP``, or a ForceprotError saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from spopt.locate import MCLP
    except ImportError:
        raise ForceprotError("the MCLP baseline needs spopt: pip install "
                             "'forceprot[optimize]'") from None
    return MCLP


def _solve_mclp(cost: np.ndarray, weight: np.ndarray, radius_m: float, p: int, name: str,
                solver) -> list[int]:
    MCLP = _mclp_class()
    with warnings.catch_warnings():
        # spopt builds variables through the PuLP 3 constructor that PuLP 4 removes
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, weight, service_radius=radius_m, p_facilities=p,
                                      name=name)
        with _native_stdout_silenced():
            model.solve(solver, results=False)
    return [j for j, var in enumerate(model.fac_vars) if var.value() is not None
            and var.value() > 0.5]


def mclp_layout(prepared: Prepared, candidates: Candidates, counts: dict[str, int], *,
                demand_cell_m: float) -> MclpSolution:
    """The maximal covering location problem per kind, with static envelope disks.

    For each kind (C-RAM-class mounts first, then batteries, each on sites the other did not
    take), ``spopt.locate.MCLP`` picks ``counts[kind]`` candidate sites whose disks of radius
    :func:`envelope_radius_m` cover the most demand weight (:func:`demand_points`) not already
    covered by the scenario's fixed units of that kind (their own radius). Kinds are solved
    apart: in a layered defence a battery's coverage does not make a gun's redundant.

    Notes
    -----
    Church & ReVelle (1974), "The maximal covering location problem", Papers of the Regional
    Science Association 32: 101-118. Static disks ignore time: reaction, saturation, the
    rockets' approach direction and a battery's minimum range, which is what the Monte Carlo
    search measures. A battery-class disk (20 km) typically covers the whole base from any site,
    so MCLP cannot tell battery sites apart; the solver's pick among equals is arbitrary.
    """
    solver, solver_name = mclp_solver()
    xy, weight, description = demand_points(prepared, demand_cell_m)
    weight = weight / weight.mean()
    fixed = prepared.scenario.defence
    fixed_xy = prepared.site.unit_xy_m.reshape(-1, 2)
    used: set[int] = set()
    layout: list[Placement] = []
    radius, coverage = {}, {}
    for kind in KINDS:
        p = counts.get(kind, 0)
        if p <= 0:
            continue
        r = envelope_radius_m(kind)
        radius[kind] = r
        covered = np.zeros(len(xy), dtype=bool)
        for unit, uxy in zip(fixed, fixed_xy):
            if unit.kind == kind:
                covered |= np.hypot(xy[:, 0] - uxy[0], xy[:, 1] - uxy[1]) <= _unit_radius_m(unit)
        free = np.array([c for c in range(len(candidates)) if c not in used], dtype=np.int64)
        fxy = candidates.xy_m[free]
        cost = np.hypot(xy[:, None, 0] - fxy[None, :, 0], xy[:, None, 1] - fxy[None, :, 1])
        chosen = _solve_mclp(cost, np.where(covered, 0.0, weight), r, p, f"mclp_{kind}", solver)
        if len(chosen) != p:  # a solver that returns fewer picks: fill deterministically
            rest = [j for j in range(len(free)) if j not in chosen]
            chosen = sorted(chosen) + rest[: p - len(chosen)]
        picks = [int(free[j]) for j in sorted(chosen)]
        for c in picks:
            covered |= cost[:, int(np.flatnonzero(free == c)[0])] <= r
            used.add(c)
            layout.append(Placement(kind, c))
        coverage[kind] = float(weight[covered].sum() / weight.sum())
    return MclpSolution(layout=tuple(layout), radius_m=radius, coverage=coverage,
                        solver=solver_name, demand=description, n_demand=int(len(xy)))
