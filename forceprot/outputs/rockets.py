"""Rocket classes on the terminal and as TOML: ``forceprot rockets`` and ``rockets calibrate``."""

from __future__ import annotations

import json
import math

from rich.console import Console
from rich.table import Table

from forceprot.catalog.rockets import RocketClass
from forceprot.errors import printable

__all__ = ["render_rocket_list", "render_calibration", "rocket_toml"]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def rocket_toml(name: str, rocket: RocketClass) -> str:
    """The ``[rockets.NAME]`` table of a scenario file that defines ``rocket``.

    Parameters
    ----------
    name : str
        Class name.
    rocket : RocketClass
        Its figures; fields left at their defaults are left out.

    Returns
    -------
    str
        TOML text, one ``key = value`` a line, ending in a newline; it parses back to ``rocket``.
    """
    key = name if name.replace("_", "").replace("-", "").isalnum() and name.isascii() \
        else json.dumps(name)
    lines = [f"[rockets.{key}]"]
    for field, value in rocket.model_dump(exclude_defaults=True).items():
        if value is None:
            continue
        lines.append(f"{field} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:+.2%}"


def render_rocket_list(console: Console, rows, *, title: str = "Rocket classes") -> None:
    """Table of rocket classes, stated and flown (``forceprot rockets``).

    Parameters
    ----------
    console : Console
    rows : list of forceprot.rocketry.RocketSummary
    title : str
    """
    t = Table(title=title, title_justify="left")
    for col, just in (("name", "left"), ("from", "left"), ("calibre", "right"), ("max range stated", "right"),
                      ("flown", "right"), ("off", "right"), ("muzzle", "right"),
                      ("burnout", "right")):
        t.add_column(col, justify=just, overflow="fold")
    for row in rows:
        r = row.rocket
        off = _pct(row.range_miss_frac)
        t.add_row(printable(row.name), row.origin, f"{1000 * r.diameter_m:.0f} mm", f"{r.max_range_m:,.0f} m",
                  f"{row.flown_max_range_m:,.0f} m",
                  off if row.calibrated else f"[yellow]{off}[/yellow]",
                  f"{row.muzzle_speed_mps:.0f} m/s", f"{row.burnout_speed_mps:.0f} m/s")
    console.print(t)
    for row in rows:
        label = f" ({printable(row.rocket.label)})" if row.rocket.label else ""
        console.print(f"{printable(row.name)}{label}: "
                      f"{printable(row.rocket.source) or 'no source given'}",
                      markup=False, highlight=False)
    console.print("flown: no wind, sea level, at the max-range elevation; muzzle speed computed "
                  "from the motor and tube_length_m", style="dim")


def render_calibration(console: Console, result) -> None:
    """Before/after figures of a calibration, then the TOML block to paste.

    Parameters
    ----------
    console : Console
    result : forceprot.rocketry.RocketCalibration
    """
    b, a = result.before, result.after
    t = Table(title=f"{result.name}: fitted {', '.join(result.fitted)}", title_justify="left")
    t.add_column("")
    t.add_column("stated", justify="right")
    t.add_column("before", justify="right")
    t.add_column("after", justify="right")
    pub = a.rocket.published_burnout_speed_mps
    t.add_row("max range", f"{a.rocket.max_range_m:,.0f} m", f"{b.flown_max_range_m:,.0f} m",
              f"{a.flown_max_range_m:,.0f} m")
    t.add_row("burnout speed", "-" if pub is None else f"{pub:.0f} m/s",
              f"{b.burnout_speed_mps:.1f} m/s", f"{a.burnout_speed_mps:.1f} m/s")
    t.add_row("muzzle speed (computed)", "-", f"{b.muzzle_speed_mps:.1f} m/s",
              f"{a.muzzle_speed_mps:.1f} m/s")
    t.add_row("max-range elevation", "-", f"{b.max_range_elevation_deg:.2f}°",
              f"{a.max_range_elevation_deg:.2f}°")
    for field in result.fitted:
        t.add_row(field, "-", f"{getattr(b.rocket, field):g}", f"{getattr(a.rocket, field):g}")
    console.print(t)
    console.print("paste into the scenario file:", style="dim")
    console.print(rocket_toml(result.name, a.rocket), markup=False, highlight=False, end="")
