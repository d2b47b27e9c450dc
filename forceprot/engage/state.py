"""The named bundles of arrays the engagement kernels read and write.

A salvo's flights (:data:`Flights`), every (rocket, unit) engagement record
(:data:`Engagements`) and the defence units (:data:`Units`) travel as namedtuples of arrays, as
pynndescent passes its trees: a stage function takes the bundles it needs and nothing else.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

__all__ = ["Engagements", "Flights", "Units", "empty_engagements", "empty_flights"]

#: One salvo's flights. ``pos_m`` float64 (tubes, n_nodes, 3): node positions in the world frame
#: [m]; ``t0_s``, ``tof_s`` float64 (tubes,): launch times and times of flight [s]; ``tau``
#: float64 (n_nodes,): node ``k`` of rocket ``i`` is at ``t0_s[i] + tau[k] * tof_s[i]``.
Flights = namedtuple("Flights", ["pos_m", "t0_s", "tof_s", "tau"])

#: Every (rocket, unit) pair of a salvo, arrays of shape (tubes, n_units) unless stated:
#: ``candidate`` bool (the unit would engage the rocket: predicted impact in its defended area,
#: seen, and inside its window), ``t_detect_s`` (first detection, inf if never) [s],
#: ``t_open_s``/``t_close_s`` (gun engagement window, inf/-inf if none) [s], ``u_kill`` float64
#: (tubes, n_units, 2) (U(0, 1) kill draws of the first and second shot), then the outputs:
#: ``eng_t_s`` (burst or first intercept time, NaN if not engaged) [s], ``eng_outcome`` int64
#: (:mod:`forceprot.engage.params` OUT_*), ``eng_shots`` int64 (rounds or interceptors),
#: ``t_kill_s`` (time of this unit's kill, inf if none) [s].
Engagements = namedtuple("Engagements", ["candidate", "t_detect_s", "t_open_s", "t_close_s",
                                         "u_kill", "eng_t_s", "eng_outcome", "eng_shots",
                                         "t_kill_s"])

#: The defence units: ``kind`` int64 (n_units,) (:mod:`forceprot.engage.params` KIND_*),
#: ``xy_m`` float64 (n_units, 2) [m], ``par`` float64 (n_units, N_PAR) (SI units, radians).
Units = namedtuple("Units", ["kind", "xy_m", "par"])


def empty_flights(tubes: int, tau: np.ndarray) -> Flights:
    """Zeroed :data:`Flights` for ``tubes`` rockets on the node times ``tau`` (Python side)."""
    return Flights(np.zeros((tubes, tau.shape[0], 3)), np.zeros(tubes), np.zeros(tubes), tau)


def empty_engagements(tubes: int, n_units: int) -> Engagements:
    """Zeroed :data:`Engagements` for ``tubes`` rockets and ``n_units`` units (Python side)."""
    shape = (tubes, n_units)
    return Engagements(np.zeros(shape, dtype=np.bool_), np.full(shape, np.inf),
                       np.full(shape, np.inf), np.full(shape, -np.inf),
                       np.zeros((tubes, n_units, 2)), np.full(shape, np.nan),
                       np.full(shape, -1, dtype=np.int64), np.zeros(shape, dtype=np.int64),
                       np.full(shape, np.inf))
