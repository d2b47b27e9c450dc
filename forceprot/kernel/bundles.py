"""The named bundles of arrays the kernel takes, and the kernel's layout constants.

Inputs travel as a few namedtuples (pynndescent's ``FlatTree`` is the model), built once by
:mod:`forceprot.compile`: :data:`SalvoParams`, :data:`FamilyTable`,
two :data:`Sampler` (aim points, launch zone), two :data:`CellGrid` (base, defended area), a
:data:`GridSpec` (launch cells), :class:`~forceprot.engage.state.Units` and :data:`Assets`, all
gathered in one :data:`KernelInputs`. Outputs are :data:`Tallies` (one row per block) and a
:data:`Story`. Positions are metres in the local CRS; angles radians, counter-clockwise from +x
(east). Only ``collections`` and NumPy here: no numba, so importing the layout is cheap.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

__all__ = [
    "Assets",
    "BLOCK_SALVOS",
    "CellGrid",
    "FamilyTable",
    "GridSpec",
    "KernelInputs",
    "MAX_AIM_REDRAWS",
    "MAX_LAUNCH_TRIES",
    "N_DRAW",
    "People",
    "SalvoParams",
    "Sampler",
    "Scratch",
    "Story",
    "Tallies",
    "Watch",
    "NO_WATCH",
]

#: Salvos per block: the unit of seeding and of parallel work. A constant, never the thread
#: count, so that results do not depend on the machine.
BLOCK_SALVOS = 512
#: Launcher positions tried per aim point before the aim point is redrawn.
MAX_LAUNCH_TRIES = 200
#: Aim points redrawn before a salvo is given up as impossible (compile checks reachability).
MAX_AIM_REDRAWS = 10_000

# Layout of the small per-salvo vector of draws (Scratch.draws).
D_AIM_X = 0
D_AIM_Y = 1
D_LAUNCH_X = 2
D_LAUNCH_Y = 3
D_LAY_ERR_X = 4
D_LAY_ERR_Y = 5
D_REJECTED = 6
D_REDRAWN = 7
N_DRAW = 8

# Columns of one salvo's per-unit counts (Scratch.unit_stats).
US_ENGAGEMENTS = 0
US_KILLS = 1               # successful kill draws of the unit, credited or not
US_SHOTS = 2
US_EXHAUSTED = 3
US_KILLS_INSIDE = 4        # credited kills of rockets that would have landed inside the base
US_ON_KILLED = 5           # engagements of a rocket another unit had already destroyed
N_UNIT_STATS = 6

#: The threat and warning scalars of a salvo: ``tubes`` (int), ``ripple_s`` [s],
#: ``aim_sigma_m`` [m, per axis], ``range_sigma_frac`` [-], ``deflection_sigma_rad`` [rad],
#: ``wind_to_rad`` (direction the wind blows toward) [rad], ``alert_delay_s`` [s],
#: ``wind_laying`` (bool: the crew aims off for the wind), ``fixed_elevation`` (bool: every
#: salvo is fired at one quadrant elevation, the launcher standing where it reaches),
#: ``fixed_fe`` (that elevation's fractional index in the family; 0 when not fixed) and
#: ``fixed_range_m`` (its no-wind range [m]; 0 when not fixed).
SalvoParams = namedtuple("SalvoParams", ["tubes", "ripple_s", "aim_sigma_m", "range_sigma_frac",
                                         "deflection_sigma_rad", "wind_to_rad", "alert_delay_s",
                                         "wind_laying", "fixed_elevation", "fixed_fe",
                                         "fixed_range_m"])

#: The trajectory family as the kernel flies rockets from it (:mod:`forceprot.flight.family`):
#: ``node_pos_m`` float64 (n_elev, n_relaz, n_nodes, 3) (downrange, left, up) [m], ``tof_s``
#: float64 (n_elev, n_relaz) [s], ``range_nowind_m`` float64 (n_elev,) [m] (strictly
#: increasing), ``min_range_m``/``max_range_m`` [m] (the reach fire control lays for),
#: ``relaz_step_rad`` [rad], ``tau`` float64 (n_nodes,) (node times as fractions of the flight).
FamilyTable = namedtuple("FamilyTable", ["node_pos_m", "tof_s", "range_nowind_m", "min_range_m",
                                         "max_range_m", "relaz_step_rad", "tau"])

#: Area- or weight-proportional point sampler: ``tri_m`` float64 (n, 3, 2) triangles [m]
#: (three equal vertices make a point), ``cum_weight`` float64 (n,) cumulative, last 1.
Sampler = namedtuple("Sampler", ["tri_m", "cum_weight"])

#: A regular grid of square cells: cell ``iy * nx + ix`` has lower-left corner
#: ``(x0_m + ix * cell_m, y0_m + iy * cell_m)``.
GridSpec = namedtuple("GridSpec", ["x0_m", "y0_m", "cell_m", "nx", "ny"])

#: A polygon on a grid for fast point-in-polygon: the grid's scalars, ``state`` int8
#: (ny * nx,) (:mod:`forceprot.spatial` CELL_*), ``rings_m`` float64 (n, 2) and ``offsets``
#: int64 (shapely's ragged layout) for the exact test in edge cells.
CellGrid = namedtuple("CellGrid", ["x0_m", "y0_m", "cell_m", "nx", "ny", "state", "rings_m",
                                   "offsets"])

#: Assets, circles and polygons: ``xy_m`` float64 (n, 2) circle centre or polygon label point
#: [m], ``r2_m2`` float64 (n,) squared hit radius of a circle [m^2] (0 for a polygon),
#: ``weight`` float64 (n,) aim weight [-], ``bbox_m`` float64 (n, 4) (minx, miny, maxx, maxy)
#: [m], ``poly_offsets`` int64 (n + 1,): asset ``a``'s rings are rings
#: ``poly_offsets[a]`` to ``poly_offsets[a + 1]`` (none: a circle), ``ring_offsets`` int64
#: (n_rings + 1,) and ``rings_m`` float64 (n_vertices, 2) [m] in shapely's ragged layout.
Assets = namedtuple("Assets", ["xy_m", "r2_m2", "weight", "bbox_m", "poly_offsets",
                               "ring_offsets", "rings_m"])

# Layout of People.par, the damage and behaviour parameters.
PP_DAMAGE = 0              # forceprot.people.DAMAGE_* code
PP_LETHAL_R2_M2 = 1        # squared lethal radius [m^2]
PP_CASUALTY_R2_M2 = 2      # squared casualty (killed or wounded) radius [m^2]
PP_CUTOFF_M = 3            # no casualty beyond this distance [m]
PP_INDOOR_FACTOR = 4       # casualty probability under a roof / in the open [-]
PP_PRONE_FACTOR = 5        # ... lying down after the alarm / standing [-]
PP_REACTION_S = 6          # alarm to moving [s]
PP_SHELTER_P_KILLED = 7    # direct hit on a shelter: P(occupant killed) [-]
PP_SHELTER_P_WOUNDED = 8   # ... and wounded, not killed [-]
N_PEOPLE_PAR = 9

#: People at risk (:mod:`forceprot.people`), empty arrays when the scenario has none: points
#: ``xy_m`` float64 (n, 2) [m] carrying ``people_h`` float64 (n, 24) persons at each hour,
#: ``people_w`` float64 (n,) the same weighted by the attack-hour probabilities, ``indoor``
#: float64 (n,) share under a roof, ``poly`` int64 (n,) occupancy polygon; ``t_sheltered_s``
#: and ``frac_sheltered`` float64 (n, 24): when (after the alarm) [s] and what share of them is
#: in a shelter, ``t_first_sheltered_s`` float64 (n,) the earliest over the hours [s]; ``hash`` (:data:`GridSpec`) and ``hash_start`` int64 (nx * ny + 1): the
#: points sorted by hash cell, cell ``c``'s being ``hash_start[c]`` to ``hash_start[c + 1]``,
#: and ``shelter_index[shelter_start[c]:shelter_start[c + 1]]`` the shelters touching it;
#: ``shelters`` (:data:`Assets`, footprints for direct hits), ``portion_offsets`` int64
#: (24 * n_shelters + 1), ``portion_point`` int64 and ``portion_people`` float64: who is in
#: shelter ``j`` at hour ``h`` (entries ``portion_offsets[h * n_shelters + j]`` onward);
#: ``par`` float64 (N_PEOPLE_PAR,) (PP_*), ``hour_w`` float64 (24,) attack-hour
#: probabilities, ``n_polys`` int.
People = namedtuple("People", ["xy_m", "people_h", "people_w", "indoor", "poly", "t_sheltered_s",
                               "frac_sheltered", "t_first_sheltered_s", "hash", "hash_start",
                               "shelter_start", "shelter_index", "shelters",
                               "portion_offsets", "portion_point", "portion_people", "par",
                               "hour_w", "n_polys"])

#: The surveillance over the launch zone (:mod:`forceprot.surveillance`), a grid like
#: :data:`GridSpec` with per-cell ``p_detect`` (P(the team is found before it fires)) and
#: ``p_prevent`` (P(the salvo is prevented)), float64 (ny * nx,) [-]. A salvo reads the cell
#: its launcher stands in; outside the grid (or with no surveillance, nx = ny = 0) both are 0.
Watch = namedtuple("Watch", ["x0_m", "y0_m", "cell_m", "nx", "ny", "p_detect", "p_prevent"])

#: No surveillance: every salvo is fired.
NO_WATCH = Watch(0.0, 0.0, 1.0, 0, 0, np.zeros(0), np.zeros(0))

#: Everything the kernel reads about a scenario (``watch`` defaults to :data:`NO_WATCH`).
KernelInputs = namedtuple("KernelInputs", ["salvo", "family", "aim", "zone", "base", "defended",
                                           "launch", "units", "assets", "people", "watch"],
                          defaults=(NO_WATCH,))

#: Tally arrays (:mod:`forceprot.kernel.tally`), one row per block in :func:`run_blocks`, a
#: single row inside a block: ``scalars`` (N_SCALARS,), ``units`` (n_units, N_UNIT), ``grid``
#: (N_GRID, n_cells), ``launch`` (N_LAUNCH, n_launch_cells), ``assets`` (n_assets, N_ASSET),
#: ``warn_hist`` (WARN_BINS,).
#: ``hours`` (N_HOUR, 24) casualty sums by attack hour, ``exposure`` (n_polys, N_EXPOSURE)
#: casualties by occupancy polygon.
Tallies = namedtuple("Tallies", ["scalars", "units", "grid", "launch", "assets", "warn_hist",
                                 "hours", "exposure"])

#: Full records of the first ``n_salvos`` salvos: ``rockets`` (n_salvos * tubes, N_STORY) and
#: ``units`` (n_salvos * tubes, n_units, N_STORY_UNIT).
Story = namedtuple("Story", ["n_salvos", "rockets", "units"])

#: Per-block scratch, reused salvo after salvo (no allocation per salvo): the salvo's
#: ``draws`` (N_DRAW,), per-rocket ``delta`` (range error) and ``deflection`` [rad],
#: ``flights`` (:class:`~forceprot.engage.state.Flights`), ``impact`` (tubes, 2) [m],
#: ``inside``/``defended`` flags, ``first_detect_s`` and ``first_track_s`` (any unit's first
#: detection and fire-control track, inf if never), ``t_kill_s`` (inf if not killed),
#: ``kill_unit`` (-1 if not killed), ``eng`` (:class:`~forceprot.engage.state.Engagements`),
#: ``order`` (threat order), ``unit_state`` (:class:`~forceprot.engage.state.UnitState`, whose
#: ``stats`` (n_units, N_UNIT_STATS) are the salvo's per-unit counts), ``cells`` (base cell of
#: each impact, -1 outside), ``hits`` (n_assets,) asset hits of the salvo, ``casualties``
#: (:data:`CasualtyScratch`).
Scratch = namedtuple("Scratch", ["draws", "delta", "deflection", "flights", "impact", "inside",
                                 "defended", "first_detect_s", "first_track_s", "t_kill_s",
                                 "kill_unit", "eng", "order", "unit_state", "cells", "hits",
                                 "casualties"])

# Rows of CasualtyScratch.hour
CH_KILLED = 0              # expected killed at each attack hour
CH_CASUALTIES = 1          # expected killed or wounded
CH_LOG_NONE = 2            # log P(no casualty) (a sum over people and rockets)
N_CH = 3

#: One salvo's casualties (:mod:`forceprot.kernel.casualties`): ``hour`` (N_CH, 24) by attack
#: hour, ``no_warning`` (2,) hour-weighted killed and casualties had nobody been warned,
#: ``poly`` (n_polys, 2) hour-weighted killed and casualties by occupancy polygon,
#: ``rocket`` (tubes, 2) hour-weighted killed and casualties by rocket.
CasualtyScratch = namedtuple("CasualtyScratch", ["hour", "no_warning", "poly", "rocket"])
