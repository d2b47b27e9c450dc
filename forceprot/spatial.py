"""Spatial kernels over flat arrays: point-in-polygon with a cell grid, sampling in triangles.

Plain numba functions of arrays and scalars (no Python objects), called from the Monte Carlo
kernel. The arrays come from :mod:`forceprot.compile`, which builds them with shapely.

Conventions: polygons are rings of vertices ``ring_xy`` (float64, shape (n, 2), metres), each ring
closed (first vertex repeated) and delimited by ``ring_offsets`` (int64, shape (n_rings + 1,)),
as :func:`shapely.to_ragged_array` lays them out. Point-in-polygon uses the even-odd rule over
all rings, which handles holes and multipolygons alike.

A grid accelerates the test: ``cell_state`` (int8, shape (ny, nx)) marks each cell as
:data:`CELL_OUT`, :data:`CELL_IN` or :data:`CELL_EDGE`; only points in edge cells fall back to the
exact ring test.
"""

from __future__ import annotations

import math

import numpy as np

from forceprot.jit import njit_inner

CELL_OUT = 0
CELL_IN = 1
CELL_EDGE = 2

__all__ = [
    "CELL_EDGE",
    "CELL_IN",
    "CELL_OUT",
    "block_seed",
    "cell_index",
    "counter_uniform",
    "normal_pair",
    "point_in_grid_polygon",
    "point_in_rings",
    "sample_weighted_triangle",
]


@njit_inner
def point_in_rings(x, y, ring_xy, ring_offsets):
    """Even-odd point-in-polygon over all rings.

    Parameters
    ----------
    x, y : float
        Point [m].
    ring_xy : ndarray, float64, shape (n_vertices, 2)
        Closed rings, concatenated [m].
    ring_offsets : ndarray, int64, shape (n_rings + 1,)
        Start of each ring in ``ring_xy``.

    Returns
    -------
    bool
        True if the point is inside (points exactly on an edge may go either way).
    """
    inside = False
    for r in range(ring_offsets.shape[0] - 1):
        start = ring_offsets[r]
        stop = ring_offsets[r + 1]
        for i in range(start, stop - 1):
            x1 = ring_xy[i, 0]
            y1 = ring_xy[i, 1]
            x2 = ring_xy[i + 1, 0]
            y2 = ring_xy[i + 1, 1]
            if (y1 > y) != (y2 > y):
                xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x < xc:
                    inside = not inside
    return inside


@njit_inner
def cell_index(x, y, x0, y0, cell_m, nx, ny):
    """Flat index ``iy * nx + ix`` of the grid cell holding (x, y), or -1 outside the grid."""
    fx = (x - x0) / cell_m
    fy = (y - y0) / cell_m
    if fx < 0.0 or fy < 0.0:
        return -1
    ix = int(fx)
    iy = int(fy)
    if ix >= nx or iy >= ny:
        return -1
    return iy * nx + ix


@njit_inner
def point_in_grid_polygon(x, y, x0, y0, cell_m, nx, ny, cell_state, ring_xy, ring_offsets):
    """Point-in-polygon through a cell grid; exact ring test only in edge cells.

    ``cell_state`` is flat (``ny * nx``), indexed by :func:`cell_index`. Points outside the
    grid are outside the polygon (the grid covers the polygon's bounds).
    """
    c = cell_index(x, y, x0, y0, cell_m, nx, ny)
    if c < 0:
        return False
    state = cell_state[c]
    if state == CELL_IN:
        return True
    if state == CELL_OUT:
        return False
    return point_in_rings(x, y, ring_xy, ring_offsets)


@njit_inner
def sample_weighted_triangle(tri_xy, cum_weight, u_pick, u1, u2):
    """A point drawn uniformly from a triangle picked with probability proportional to weight.

    Parameters
    ----------
    tri_xy : ndarray, float64, shape (n_tri, 3, 2)
        Triangle vertices [m]. A triangle whose three vertices coincide is a point.
    cum_weight : ndarray, float64, shape (n_tri,)
        Cumulative weights, last element 1.
    u_pick, u1, u2 : float
        Independent U(0, 1) draws.

    Returns
    -------
    x, y : float
        The point [m].
    """
    k = np.searchsorted(cum_weight, u_pick, side="right")
    if k >= cum_weight.shape[0]:
        k = cum_weight.shape[0] - 1
    if u1 + u2 > 1.0:  # reflect into the lower-left half of the unit square
        u1 = 1.0 - u1
        u2 = 1.0 - u2
    ax = tri_xy[k, 0, 0]
    ay = tri_xy[k, 0, 1]
    x = ax + u1 * (tri_xy[k, 1, 0] - ax) + u2 * (tri_xy[k, 2, 0] - ax)
    y = ay + u1 * (tri_xy[k, 1, 1] - ay) + u2 * (tri_xy[k, 2, 1] - ay)
    return x, y


@njit_inner
def _splitmix64(z):
    z = (z + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(0xFFFFFFFFFFFFFFFF)
    return z ^ (z >> np.uint64(31))


@njit_inner
def block_seed(root_seed, block):
    """Seed of one block's random stream, from the root seed and the block index (splitmix64).

    The stream depends on (root_seed, block) only, never on which thread runs the block.
    Returns a value in [0, 2**32) as numba's ``np.random.seed`` takes a 32-bit seed.
    """
    z = _splitmix64(np.uint64(root_seed) ^ _splitmix64(np.uint64(block) + np.uint64(1)))
    return np.int64(z >> np.uint64(32))


@njit_inner
def counter_uniform(root_seed, salvo, tube, unit, shot):
    """U[0, 1) from a hash of (root seed, salvo, tube, unit, shot): a counter-based draw.

    Kill draws come from here rather than from the block's generator, so that the generator's
    sequence (launcher, aim, dispersion) does not depend on how many units a layout has, and a
    unit keeps its own draws when other units move: common random numbers across layouts.
    """
    z = _splitmix64(np.uint64(root_seed) ^ np.uint64(0xD1B54A32D192ED03))
    z = _splitmix64(z ^ np.uint64(salvo))
    key = (np.uint64(tube) << np.uint64(24)) | (np.uint64(unit) << np.uint64(4)) | np.uint64(shot)
    z = _splitmix64(z ^ key)
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit_inner
def normal_pair():
    """Two independent N(0, 1) draws from numba's generator (Box-Muller).

    Both outputs of the transform are used, which halves the cost per draw compared with two
    ``np.random.normal()`` calls (the per-rocket dispersion draws are a large share of the
    kernel's time). Box & Muller (1958), Ann. Math. Stat. 29(2).
    """
    u1 = 1.0 - np.random.random()  # (0, 1]: log is finite
    u2 = np.random.random()
    r = math.sqrt(-2.0 * math.log(u1))
    theta = 2.0 * math.pi * u2
    return r * math.cos(theta), r * math.sin(theta)
