"""Column layout of the per-unit parameter table the kernel reads.

``unit_par`` is float64 of shape (n_units, N_PAR), SI units and radians; ``unit_kind`` says which
columns apply. Built by :mod:`forceprot.compile`.
"""

KIND_CRAM = 0
#: Interceptor batteries (Patriot-class, Iron Dome-class): one engagement code.
KIND_BATTERY = 1
KIND_PATRIOT = KIND_BATTERY

# shared
P_SENSOR_RANGE_M = 0
P_SENSOR_HEIGHT_M = 1
P_TAN_MIN_ELEVATION = 2
P_REACTION_S = 3
P_DEFENDED_RADIUS_M = 4
P_KILL = 5
# C-RAM-class gun
P_GUN_MAX_RANGE_M = 6
P_GUN_MIN_HEIGHT_M = 7
P_GUN_ENGAGE_S = 8
P_GUN_ROUNDS_PER_ENGAGEMENT = 9
P_GUN_MAGAZINE_ROUNDS = 10
P_GUN_RELOAD_S = 11
# Patriot-class battery
P_SAM_SPEED_MPS = 12
P_SAM_MIN_RANGE_M = 13
P_SAM_MAX_RANGE_M = 14
P_SAM_MIN_ALT_M = 15
P_SAM_MAX_ALT_M = 16
P_SAM_MISSILES = 17
P_SAM_LAUNCH_INTERVAL_S = 18
P_SAM_DOCTRINE = 19
P_SAM_ASSESS_S = 20
# shared, added with the air picture
P_TRACK_S = 21             # first detection to a fire-control track [s]
P_MIN_THREAT_RANGE_M = 22  # engages only rockets whose launch-to-impact range is at least this [m]
N_PAR = 23

# Fire control: how units share the air picture (Units.coordinated).
FIRE_CONTROL = {"independent": False, "coordinated": True}

DOCTRINE_SINGLE = 0
DOCTRINE_RIPPLE2 = 1
DOCTRINE_SHOOT_LOOK_SHOOT = 2
DOCTRINES = {"single": DOCTRINE_SINGLE, "ripple2": DOCTRINE_RIPPLE2,
             "shoot_look_shoot": DOCTRINE_SHOOT_LOOK_SHOOT}

# Outcome codes of one unit's engagement of one rocket.
OUT_NONE = -1
OUT_MISS = 0
OUT_KILL = 1
