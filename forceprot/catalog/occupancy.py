"""People on a base by hour of day, and when attacks come: generic profiles, stated as such.

Each occupancy polygon holds ``people`` at its busiest hour and a kind; the kind's profile
gives the share of that peak present at each hour of the local day (0 = 00:00-00:59), and the
share of those present who are under a roof. A layer may instead give the people of every hour
itself (``people.hour_prefix``).

Sources
-------
No open source gives hour-by-hour occupancy of a military base, and none belongs in this
repository. The profiles are **illustrative**: a generic duty day (work 07:00-17:00, meals at
06-08, 11-13 and 17-19, physical training early morning and evening, a night shift on the flight
line), written so that a planner replaces them with their own figures. The indoor shares are
illustrative as well.

The attack-time presets are illustrative too. The open accounts this tool was built around
came at different hours: the Camp Taji attack of 11 March 2020 at about 19:35 local time (about
18 rockets struck the base; three coalition personnel killed and about twelve wounded: CENTCOM,
https://www.centcom.mil/MEDIA/NEWS-ARTICLES/News-Article-View/Article/2109615/coalition-casualties-in-iraq/;
time and toll also in https://en.wikipedia.org/wiki/2020_Camp_Taji_attack), the second Taji
attack of 14 March 2020 in the late morning, and the Al Asad missile attack of 8 January 2020 at
about 01:30, after a warning that let most people shelter
(https://www.thenational.ae/world/mena/one-year-on-iran-s-al-asad-missile-attacks-in-iraq-1.1142788).
``"uniform"`` weighs every hour alike, the honest default when nothing is known.

Camp Taji "historically held up to 2,000 coalition forces" (Jerusalem Post, August 2020,
https://www.jpost.com/middle-east/after-weekly-rocket-attacks-us-moves-forces-from-taji-base-639621);
the bundled Taji occupancy layer puts about 2,700 people on the base at its busiest hour.
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["ATTACK_HOURS", "HOURS", "INDOOR_SHARE", "OCCUPANCY_KINDS", "PROFILES",
           "hour_weights"]

#: Hours of the day modelled [-]: hour ``h`` is h:00 to h:59 local time.
HOURS: Final[int] = 24

# share of the polygon's peak people present at each hour 0..23 [-]; illustrative
PROFILES: Final[dict[str, tuple[float, ...]]] = {
    # quarters, containerised housing: full at night, nearly empty in the duty day
    "living": (0.9, 0.9, 0.9, 0.9, 0.9, 0.85, 0.6, 0.3, 0.15, 0.15, 0.15, 0.15,
               0.2, 0.15, 0.15, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 0.9),
    # dining facility: three meals and a small midnight meal
    "dining": (0.1, 0.05, 0.0, 0.0, 0.0, 0.1, 0.6, 0.9, 0.4, 0.05, 0.1, 0.7,
               1.0, 0.5, 0.05, 0.05, 0.1, 0.7, 1.0, 0.6, 0.1, 0.05, 0.05, 0.1),
    # offices, headquarters: the duty day, a thin night watch
    "office": (0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.2, 0.6, 1.0, 1.0, 1.0, 1.0,
               0.7, 1.0, 1.0, 1.0, 1.0, 0.6, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05),
    # flight line: day shift and a night shift, shift changes at 06 and 18
    "flight_line": (0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 0.9,
                    0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.5, 0.4, 0.4, 0.4, 0.4),
    # motor pool, maintenance: the duty day only
    "motor_pool": (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1, 0.7, 1.0, 1.0, 1.0, 0.8,
                   0.5, 1.0, 1.0, 1.0, 0.9, 0.4, 0.1, 0.05, 0.02, 0.02, 0.02, 0.02),
    # gym: early-morning and evening training
    "gym": (0.05, 0.0, 0.0, 0.0, 0.2, 0.8, 1.0, 0.5, 0.2, 0.2, 0.2, 0.3,
            0.4, 0.2, 0.2, 0.3, 0.6, 0.9, 1.0, 1.0, 0.8, 0.5, 0.2, 0.1),
    # medical facility: staffed around the clock, busier by day
    "medical": (0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.9, 1.0, 1.0, 1.0, 1.0,
                1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6),
    # the same people at every hour
    "constant": (1.0,) * 24,
}

#: Share of the people present who are under a roof (the rest are in the open) [-];
#: illustrative.
INDOOR_SHARE: Final[dict[str, float]] = {
    "living": 0.95, "dining": 0.95, "office": 0.9, "flight_line": 0.3, "motor_pool": 0.5,
    "gym": 0.9, "medical": 0.95, "constant": 0.5,
}

#: Occupancy kinds a layer may name.
OCCUPANCY_KINDS: Final[tuple[str, ...]] = tuple(PROFILES)

# relative weight of an attack at each hour 0..23 [-]; illustrative
ATTACK_HOURS: Final[dict[str, tuple[float, ...]]] = {
    "uniform": (1.0,) * 24,
    # dark hours, 20:00-04:59
    "night": tuple(1.0 if (h >= 20 or h <= 4) else 0.0 for h in range(24)),
    # daylight working hours, 07:00-17:59
    "day": tuple(1.0 if 7 <= h <= 17 else 0.0 for h in range(24)),
    # the meal hours, when dining facilities are full
    "meals": tuple(1.0 if h in (7, 12, 18) else 0.0 for h in range(24)),
}


def hour_weights(hour) -> np.ndarray:
    """Probability of an attack at each hour, float64 (24,) summing to 1.

    Parameters
    ----------
    hour : int, str or sequence of float
        A fixed hour 0-23, a preset of :data:`ATTACK_HOURS`, or 24 relative weights.
    """
    if isinstance(hour, (int, np.integer)) and not isinstance(hour, bool):
        w = np.zeros(HOURS)
        w[int(hour)] = 1.0
        return w
    w = np.asarray(ATTACK_HOURS[hour] if isinstance(hour, str) else hour, dtype=np.float64)
    return w / w.sum()
