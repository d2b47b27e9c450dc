"""Exact constraint intervals on one straight segment of a rocket's path.

The kernel flies a rocket as straight segments between nodes (:mod:`forceprot.flight.family`).
On a segment ``p(s) = p0 + s (p1 - p0)``, ``s`` in [0, 1], every engagement constraint is a
linear or quadratic inequality in ``s``; solving it in closed form finds windows of any length,
where testing the nodes alone misses a pass between two nodes. The kernel's windows are exact on
its path; the path itself is as accurate as the family (measured in
:mod:`forceprot.flight.family`).
"""

from __future__ import annotations

import math

from forceprot.jit import njit_inner


#: ``quadratic_set`` kinds: where ``a s^2 + b s + c <= 0`` holds on the real line.
SET_EMPTY = 0
SET_INSIDE = 1     # [lo, hi]
SET_OUTSIDE = 2    # everything but the open interval (lo, hi)
SET_ALL = 3


@njit_inner
def quadratic_set(a, b, c):
    """Where ``a s^2 + b s + c <= 0``: (kind, lo, hi) with kind one of ``SET_*``.

    A convex quadratic (``a > 0``) holds on one closed interval; a concave one (``a < 0``)
    everywhere but one open interval; a linear one on a half-line, returned as an interval with
    an infinite end.
    """
    if a == 0.0:
        if b == 0.0:
            return (SET_ALL, -math.inf, math.inf) if c <= 0.0 else (SET_EMPTY, 0.0, 0.0)
        root = -c / b
        if b > 0.0:
            return SET_INSIDE, -math.inf, root
        return SET_INSIDE, root, math.inf
    disc = b * b - 4.0 * a * c
    if disc < 0.0:
        if a > 0.0:
            return SET_EMPTY, 0.0, 0.0
        return SET_ALL, -math.inf, math.inf
    sq = math.sqrt(disc)
    # the numerically stable pair of roots
    q = -0.5 * (b + sq) if b >= 0.0 else -0.5 * (b - sq)
    r1 = q / a
    r2 = c / q if q != 0.0 else r1
    lo = min(r1, r2)
    hi = max(r1, r2)
    if a > 0.0:
        return SET_INSIDE, lo, hi
    return SET_OUTSIDE, lo, hi


@njit_inner
def clip_interval(lo, hi, kind, q_lo, q_hi):
    """``[lo, hi]`` intersected with a ``SET_INSIDE``/``SET_ALL``/``SET_EMPTY`` set; an empty
    result has ``lo > hi``."""
    if kind == SET_EMPTY:
        return 1.0, 0.0
    if kind == SET_INSIDE:
        return max(lo, q_lo), min(hi, q_hi)
    return lo, hi


@njit_inner
def linear_at_least(v0, v1, floor):
    """Where ``v0 + s (v1 - v0) >= floor`` as an interval of ``s`` (possibly unbounded)."""
    return quadratic_set(0.0, v0 - v1, floor - v0)


@njit_inner
def linear_at_most(v0, v1, ceiling):
    """Where ``v0 + s (v1 - v0) <= ceiling`` as an interval of ``s`` (possibly unbounded)."""
    return quadratic_set(0.0, v1 - v0, v0 - ceiling)


@njit_inner
def distance_within(dx0, dy0, dz0, ddx, ddy, ddz, radius_m):
    """Where the distance ``|d0 + s dd|`` is at most ``radius_m``: a ``quadratic_set``."""
    a = ddx * ddx + ddy * ddy + ddz * ddz
    b = 2.0 * (dx0 * ddx + dy0 * ddy + dz0 * ddz)
    c = dx0 * dx0 + dy0 * dy0 + dz0 * dz0 - radius_m * radius_m
    return quadratic_set(a, b, c)


@njit_inner
def distance_beyond(dx0, dy0, dz0, ddx, ddy, ddz, radius_m):
    """Where the distance ``|d0 + s dd|`` is at least ``radius_m``: a ``quadratic_set``."""
    a = ddx * ddx + ddy * ddy + ddz * ddz
    b = 2.0 * (dx0 * ddx + dy0 * ddy + dz0 * ddz)
    c = dx0 * dx0 + dy0 * dy0 + dz0 * dz0 - radius_m * radius_m
    return quadratic_set(-a, -b, -c)
