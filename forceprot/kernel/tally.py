"""Layout of the tallies the kernel streams out, one row per block of salvos.

Per-salvo sums and sums of squares and cross-products are kept so that intervals can treat
the salvo, not the rocket, as the sampling unit (ratio estimator with cluster-robust variance).
Everything is a float64 holding an exact integer or a sum, reduced in block order.
"""

# scalar tallies, shape (n_blocks, N_SCALARS)
S_SALVOS = 0
S_FIRED = 1
S_THREAT = 2              # rockets that land inside the base
S_LEAKED = 3              # ... and are not intercepted
S_INTERCEPTED = 4         # rockets killed (inside or not)
S_THREAT2 = 5             # sum over salvos of threat_s^2
S_LEAKED2 = 6
S_THREAT_LEAKED = 7       # sum over salvos of threat_s * leaked_s
S_SALVOS_ANY_THREAT = 8   # salvos with >= 1 rocket inside
S_SALVOS_ANY_LEAK = 9     # salvos with >= 1 leaker
S_WARN_SUM_S = 10         # warning time summed over threatening rockets [s]
S_WARN_N = 11
S_UNDETECTED = 12         # threatening rockets no sensor saw
S_REJECTED = 13           # launcher draws rejected (aim point out of range)
S_INTERCEPTED_THREAT = 14
S_DEFENDED = 15           # rockets predicted to land in the defended area
S_ASSET_RISK = 16         # sum over salvos of weighted asset hits
S_ASSET_RISK2 = 17
S_WARN2 = 18              # sum of squared warning times [s^2]
S_AIM_REDRAWN = 19        # aim points with no launch position in range, redrawn
S_WARN_SALVO2 = 20        # sum over salvos of (salvo's summed warning)^2 [s^2]
S_WARN_THREAT = 21        # sum over salvos of salvo's summed warning x threat_s [s]
S_DETECT_DELAY_SUM_S = 22  # threatening rockets seen: sum of (first detection - launch) [s]
S_TRACK_DELAY_SUM_S = 23   # ... and of (first fire-control track - launch) [s]
S_TRACKED_N = 24           # threatening rockets some unit tracked before impact
# people at risk (forceprot.kernel.casualties), weighted over the attack hours
S_KILLED = 25              # sum over salvos of expected killed
S_KILLED2 = 26             # ... of its square
S_WOUNDED = 27             # expected wounded (not killed)
S_WOUNDED2 = 28
S_P_CASUALTY = 29          # sum over salvos of P(at least one casualty)
S_P_CASUALTY2 = 30
S_KILLED_NO_WARNING = 31   # expected killed had nobody been warned (same salvos)
S_CASUALTIES_NO_WARNING = 32  # expected killed or wounded had nobody been warned
S_KILLED_SAVED2 = 33       # sum over salvos of (killed without warning - killed)^2
S_CASUALTIES_SAVED2 = 34   # ... of (casualties without warning - casualties)^2
# Before the salvo (forceprot.surveillance): every salvo is still flown; p_s = P(salvo s is
# prevented) at its launcher weights the per-attempted-salvo figures, exact expectations.
S_P_PREVENT = 35           # sum over salvos of p_s
S_P_PREVENT2 = 36          # sum of p_s^2
S_P_DETECT = 37            # sum of P(the team is found before it fires)
S_LEAKED_ATTEMPT = 38      # sum of (1 - p_s) leaked_s
S_LEAKED_ATTEMPT2 = 39     # sum of ((1 - p_s) leaked_s)^2
S_ANY_LEAK_ATTEMPT = 40    # sum of (1 - p_s) [leaked_s > 0]
S_ANY_LEAK_ATTEMPT2 = 41   # sum of ((1 - p_s) [leaked_s > 0])^2
S_ASSET_RISK_ATTEMPT = 42  # sum of (1 - p_s) risk_s
S_ASSET_RISK_ATTEMPT2 = 43
S_KILLED_ATTEMPT = 44      # sum of (1 - p_s) killed_s (people at risk per attempted salvo)
S_KILLED_ATTEMPT2 = 45
S_P_CASUALTY_ATTEMPT = 46  # sum of (1 - p_s) P(>= 1 casualty)_s
S_P_CASUALTY_ATTEMPT2 = 47
N_SCALARS = 48

# per-unit tallies, shape (n_blocks, n_units, N_UNIT)
U_ENGAGEMENTS = 0
U_KILLS = 1               # kills credited to this unit (the earliest kill of a rocket)
U_HITS = 2                # successful kill draws, credited or not
U_SHOTS = 3               # rounds (guns) or interceptors (batteries)
U_EXHAUSTED = 4           # salvos in which the magazine ran dry
U_SALVOS_ENGAGED = 5      # salvos in which the unit engaged at least once
U_KILLS_INSIDE = 6        # credited kills of rockets that would have landed inside the base
U_KILLS_INSIDE2 = 7       # sum over salvos of (kills inside)^2
U_KILLS_INSIDE_THREAT = 8  # sum over salvos of kills inside x rockets inside
U_ON_KILLED = 9           # engagements of rockets another unit had already destroyed (wasted)
U_SECTOR_THREAT = 10      # rockets landing inside that fall in the unit's sector (defended
                          # area within its radius, long enough flight, tracked before impact)
U_WINDOW_THREAT = 11      # ... of those, the unit had an engagement window on (guns; batteries:
                          # same as the sector, their reach is found in the timeline)
U_ENGAGED_THREAT = 12     # rockets landing inside the unit engaged
U_TAKEN_THREAT = 13       # rockets landing inside it could engage but left, killed by another
N_UNIT = 14

# base grid tallies, shape (n_blocks, N_GRID, n_cells): impacts by cell
G_THREAT = 0              # sum of T_sc (rockets landing in the cell)
G_INTERCEPTED = 1         # sum of I_sc (of those, intercepted)
G_THREAT2 = 2             # sum of T_sc^2 over salvos
G_INTERCEPTED2 = 3
G_THREAT_INTERCEPTED = 4
N_GRID = 5

# launch grid tallies, shape (n_blocks, N_LAUNCH, n_launch_cells): salvos by launcher cell
L_SALVOS = 0
L_LEAKED = 1
L_LEAKED2 = 2
L_THREAT = 3
L_P_DETECT = 4            # sum over the cell's salvos of P(the team is found before it fires)
N_LAUNCH = 5

# asset tallies, shape (n_blocks, n_assets, N_ASSET)
A_HITS = 0                # leakers hitting the asset
A_HITS2 = 1               # sum over salvos of hits_s^2
A_SALVOS_HIT = 2          # salvos with >= 1 leaker hitting the asset
N_ASSET = 3

# casualties by attack hour, shape (n_blocks, N_HOUR, 24): sums over salvos as if every salvo
# came at that hour
H_KILLED = 0
H_KILLED2 = 1
H_WOUNDED = 2
H_WOUNDED2 = 3
H_P_CASUALTY = 4
H_P_CASUALTY2 = 5
N_HOUR = 6

# casualties by occupancy polygon, shape (n_blocks, n_polys, N_EXPOSURE), weighted over the
# attack hours
E_KILLED = 0
E_CASUALTIES = 1           # killed or wounded
E_CASUALTIES2 = 2          # sum over salvos of the polygon's casualties^2
N_EXPOSURE = 3

# warning-time histogram, shape (n_blocks, WARN_BINS)
WARN_BIN_S = 0.25
WARN_BINS = 480           # 0 .. 120 s; longer warnings go to the last bin

# story of a bounded sample of rockets, shape (story_rockets, N_STORY)
R_SALVO = 0
R_TUBE = 1
R_LAUNCH_X = 2
R_LAUNCH_Y = 3
R_AIM_X = 4
R_AIM_Y = 5
R_IMPACT_X = 6
R_IMPACT_Y = 7
R_T_LAUNCH = 8
R_T_IMPACT = 9
R_INSIDE = 10
R_DEFENDED = 11
R_INTERCEPTED = 12
R_KILL_UNIT = 13
R_KILL_T = 14
R_FIRST_DETECT_T = 15
R_WARNING_S = 16
R_APOGEE_M = 17
R_FIRST_TRACK_T = 18
R_ALERT_T = 19            # when the alarm sounded for this rocket [s], NaN if never
R_KILLED = 20             # expected killed by this rocket, weighted over the attack hours
R_CASUALTIES = 21         # expected killed or wounded
N_STORY = 22
# per-unit story, shape (story_rockets, n_units, N_STORY_UNIT)
RU_T = 0                  # burst / first intercept time [s], NaN if not engaged
RU_OUTCOME = 1            # -1 not engaged, 0 miss, 1 kill
RU_SHOTS = 2
RU_DETECT_T = 3
RU_TRACK_T = 4
N_STORY_UNIT = 5


def row_shapes(n_units: int, n_cells: int, n_launch_cells: int, n_assets: int,
               n_polys: int) -> tuple[tuple[int, ...], ...]:
    """Shape of one block's row of each :data:`~forceprot.kernel.bundles.Tallies` array, in
    field order."""
    return ((N_SCALARS,), (n_units, N_UNIT), (N_GRID, n_cells), (N_LAUNCH, n_launch_cells),
            (n_assets, N_ASSET), (WARN_BINS,), (N_HOUR, 24), (n_polys, N_EXPOSURE))

