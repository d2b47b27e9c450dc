"""Drag coefficient against Mach number, from a table.

Only numpy and numba. The table arrays come from the rocket class (``drag_mach``,
``drag_cd`` already multiplied by ``drag_form_factor``), converted once in
:mod:`forceprot.ballistics`.
"""

from __future__ import annotations

from numba import njit

__all__ = ["drag_coefficient"]


@njit(cache=True)
def drag_coefficient(mach, drag_mach, drag_cd):
    """Drag coefficient at a Mach number, by linear interpolation of a table.

    Parameters
    ----------
    mach : float
        Mach number [-], >= 0.
    drag_mach : ndarray of float64, shape (n,)
        Mach numbers of the table [-], strictly increasing, n >= 2.
    drag_cd : ndarray of float64, shape (n,)
        Drag coefficient at each ``drag_mach`` [-], form factor included.

    Returns
    -------
    float
        Drag coefficient [-]; clamped to the end values outside the table.
    """
    n = drag_mach.shape[0]
    if mach <= drag_mach[0]:
        return drag_cd[0]
    if mach >= drag_mach[n - 1]:
        return drag_cd[n - 1]
    i = 1
    while drag_mach[i] < mach:
        i += 1
    w = (mach - drag_mach[i - 1]) / (drag_mach[i] - drag_mach[i - 1])
    return drag_cd[i - 1] + w * (drag_cd[i] - drag_cd[i - 1])
