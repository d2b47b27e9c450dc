"""Rich rendering of forceprot results for the terminal."""

from __future__ import annotations

import math

import numpy as np
import shapely
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forceprot.assumptions import ACCOUNTING_TERMS, origin_counts, threat_profile
from forceprot.errors import printable

M2_PER_SQ_MILE = 2_589_988.110336  # international mile squared [m^2]


def _area(m2: float) -> str:
    return f"{m2 / 1e6:,.2f} km² ({m2 / M2_PER_SQ_MILE:,.2f} sq mi)"


def _render_medians(console: Console, scenario) -> None:
    """Say that a scenario with distributions runs at their medians, and which."""
    if scenario.uncertain:
        console.print(f"[yellow]{len(scenario.uncertain)} uncertain parameter(s) at their "
                      "medians[/yellow] (`forceprot uncertainty` samples them):")
        for p in scenario.uncertain:
            console.print(f"  {p.describe()}", markup=False, highlight=False)


def render_validation(console: Console, prepared, terrain: dict | None = None) -> None:
    """Print what ``forceprot validate`` checked; ``terrain`` is
    :func:`forceprot.compile.terrain_description` (None without a DEM)."""
    scenario, site = prepared.scenario, prepared.site
    threat, rocket = scenario.threat, scenario.rocket_class
    console.print(f"[bold]{scenario.site.name}[/bold]  ({scenario.label})")
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="dim")
    t.add_column()
    t.add_row("boundary", f"{scenario.site.boundary}  [{site.source_crs.to_string()}]")
    t.add_row("local CRS", f"{site.local_crs.name} ({site.local_crs.to_string()})")
    t.add_row("base area", _area(site.base_area_m2))
    t.add_row("perimeter", f"{site.base.length / 1000:,.1f} km")
    band = (f"{threat.min_standoff_m:,.0f}-{threat.max_standoff_m:,.0f} m outside the perimeter"
            if scenario.site.launch_areas is None else f"layer {scenario.site.launch_areas}")
    t.add_row("launch zone", f"{_area(site.launch_zone_area_m2)}, {band}"
              + (f", minus {len(scenario.site.exclusions)} exclusion layer(s)"
                 if scenario.site.exclusions else ""))
    t.add_row("rocket", f"{threat.rocket}: {rocket.label}, range {rocket.min_range_m:,.0f}-"
              f"{rocket.max_range_m:,.0f} m")
    t.add_row("salvo", f"{threat.tubes} tubes, {threat.ripple_s:g} s ripple, aim {threat.aim}, "
              f"aim σ {threat.aim_sigma_m:g} m, range σ {threat.range_sigma_frac:.1%}, "
              f"deflection σ {threat.deflection_sigma_mil:g} mil")
    profile = threat_profile(scenario)
    t.add_row("crew", (f"preset {profile['preset']} ({profile['preset_label']})"
                       if profile["preset"] else "no preset")
              + f"; {'lays for the wind' if threat.lay_for_wind else 'no wind laying'}; "
              + profile["firing_angle"])
    if threat.wind_mps > 0:
        t.add_row("wind", f"{threat.wind_mps:g} m/s from {threat.wind_from_deg:g}°")
    if site.people is not None:
        people = site.people
        t.add_row("people", f"{len(people.names)} occupancy areas, "
                            f"{people.people_h.sum(axis=0).max():,.0f} at the busiest hour; "
                            f"{people.n_shelters} shelters, "
                            f"{people.shelter_capacity.sum():,.0f} places; attack hour "
                            f"{threat.hour if not isinstance(threat.hour, list) else 'weights'}")
    sim = scenario.simulation
    t.add_row("simulation", f"{sim.salvos:,} salvos, seed {sim.seed}")
    console.print(t)
    _render_medians(console, scenario)

    units = Table(title="Defences", title_justify="left")
    for col in ("unit", "kind", "lon", "lat", "to perimeter", "envelope", "p_kill", "magazine"):
        units.add_column(col, justify="right" if col not in ("unit", "kind") else "left")
    lon, lat = site.xy_to_lonlat(site.unit_xy_m[:, 0], site.unit_xy_m[:, 1]) \
        if len(scenario.defence) else (np.zeros(0), np.zeros(0))
    for i, unit in enumerate(scenario.defence):
        pt = shapely.Point(site.unit_xy_m[i])
        inside = site.base.contains(pt)
        d = site.base.exterior.distance(pt) if site.base.geom_type == "Polygon" \
            else site.base.boundary.distance(pt)
        where = f"{d:,.0f} m {'inside' if inside else 'outside'}"
        units.add_row(unit.name, unit.kind, f"{lon[i]:.5f}", f"{lat[i]:.5f}", where,
                      unit.describe_envelope(), f"{unit.p_kill:.2f}", unit.describe_magazine())
    console.print(units)
    if terrain is not None:
        render_terrain(console, terrain)
    if len(site.assets):
        assets = Table(title="Assets", title_justify="left")
        for col in ("asset", "weight", "hit area", "from"):
            assets.add_column(col)
        for a, name in enumerate(site.assets.names):
            poly = site.assets.polygons[a]
            area = (f"{site.assets.radius_m[a]:g} m radius" if poly is None
                    else f"{poly.geom_type}, {_area(poly.area)}")
            assets.add_row(escape(printable(name)), f"{site.assets.weight[a]:g}", area,
                           escape(printable(site.assets.sources[a])))
        console.print(assets)
    if scenario.surveillance:
        surv = Table(title="Surveillance before the salvo", title_justify="left")
        for col in ("sensor", "kind", "where", "height", "range", "rate in view"):
            surv.add_column(col, justify="left" if col in ("sensor", "kind", "where") else "right")
        for s in scenario.surveillance:
            where = (f"route {s.route}" if getattr(s, "route", None) else
                     f"route of {len(s.route_lonlat)} points" if s.kind == "patrol" else
                     f"{s.lon:.5f}, {s.lat:.5f}" if s.lon is not None else f"x/y {s.x:g}, {s.y:g}")
            if s.kind == "camera":
                where += f", {s.fov_deg:g}° towards {s.heading_deg:g}°"
            surv.add_row(escape(printable(s.name)), s.kind, escape(printable(where)),
                         f"{s.height_m:g} m", f"{s.range_m:,.0f} m",
                         f"{s.detect_rate_per_min:g} /min")
        console.print(surv)
        team = scenario.launch_team
        console.print(f"launch team: set-up {team.setup} (median {team.setup_median_min:g} min), "
                      f"{team.approach_exposed_min:g} min exposed driving in; response "
                      f"{team.response_time_min:g} min, stops the salvo with P "
                      f"{team.prevent_p:g}", markup=False, highlight=False)
    for note in site.notes:
        console.print(f"note: {printable(note)}", markup=False, highlight=False)
    console.print("[green]scenario is valid[/green]")


def render_terrain(console: Console, terrain: dict) -> None:
    """The DEM, buildings and each unit's masking angles (a table)."""
    bldg = (f"; {terrain['n_buildings']:,} buildings from {terrain['buildings']}"
            if terrain["buildings"] else "")
    console.print(f"terrain: {terrain['dem']} [{terrain['dem_crs']}], {terrain['dem_cells'][0]:,} x "
                  f"{terrain['dem_cells'][1]:,} cells of {terrain['dem_resolution_m']:.1f} m, "
                  f"sampled at {terrain['grid_cell_m']:.1f} m{bldg}", markup=False,
                  highlight=False)
    t = Table(title="Terrain masking", title_justify="left")
    for col in ("unit", "ground", "median mask", "max mask", "masked above floor"):
        t.add_column(col, justify="left" if col == "unit" else "right")

    def deg(v):
        return "none" if v is None else f"{v:.2f}°"

    for u in terrain["units"]:
        t.add_row(printable(u["name"]), f"{u['ground_z_m']:+.1f} m", deg(u["median_mask_deg"]),
                  deg(u["max_mask_deg"]), f"{u['masked_share']:.1%}")
    console.print(t)


def _ci(e, fmt: str = "{:.1%}") -> str:
    if not math.isfinite(e.value):
        return "n/a"
    return f"{fmt.format(e.value)}  [{fmt.format(e.lo)} – {fmt.format(e.hi)}]"


_TERMS = {t.key: t.label for t in ACCOUNTING_TERMS}


def accounting_line(results) -> str:
    """The run's rocket counts, each under its :data:`ACCOUNTING_TERMS` label."""
    return " · ".join(f"{_TERMS[key]} {n:,}" for key, n in results.accounting().items())


def render_results(console: Console, results, prepared) -> None:
    """Print the report of a run: headline figures with 95 % intervals, then the units
    (``prepared``: the scenario the run was compiled from, which the report names)."""
    sc = prepared.scenario
    console.print(f"[bold]{sc.site.name}[/bold]: {results.salvos:,} salvos of {sc.threat.tubes} × "
                  f"{sc.threat.rocket}, seed {results.seed}"
                  + (f" (stopped at ±{results.precision_target:.2%} precision)"
                     if results.stopped_early else ""))
    crew = f"{sc.threat.preset} preset" if sc.threat.preset else "crew as set in the scenario"
    console.print(f"threat: {crew}, {sc.threat.elevation} angle; "
                  f"fire control: {sc.fire_control}", style="dim")
    t = Table(title="Salvo outcome (95 % intervals; the salvo is the sampling unit)",
              title_justify="left")
    t.add_column("measure")
    t.add_column("estimate", justify="right")
    t.add_row("leak rate (leaked / landing inside)", _ci(results.leak_rate))
    t.add_row("P(salvo puts ≥ 1 leaker inside)", _ci(results.p_any_leak))
    t.add_row("expected leakers per salvo", _ci(results.expected_leakers_per_salvo, "{:.2f}"))
    t.add_row("rockets landing inside (of fired)", _ci(results.threat_fraction))
    t.add_row("P(salvo puts ≥ 1 rocket inside), defences aside", _ci(results.p_any_inside))
    t.add_row("warning time, mean", _ci(results.warning_mean_s, "{:.1f} s"))
    t.add_row("warning time, 5th percentile", f"{results.warning_p05_s:.1f} s")
    asset_rows = results.asset_results(prepared)
    if asset_rows:
        t.add_row("weighted asset hits per salvo", _ci(results.asset_risk_per_salvo, "{:.3f}"))
    if results.has_people:
        t.add_row("expected killed per salvo", _ci(results.expected_killed_per_salvo, "{:.3f}"))
        t.add_row("expected wounded per salvo", _ci(results.expected_wounded_per_salvo, "{:.3f}"))
        t.add_row("P(salvo kills or wounds ≥ 1 person)", _ci(results.p_casualty))
        t.add_row("casualties per salvo sense-and-warn avoids",
                  _ci(results.warning_value()["casualties"], "{:.3f}"))
    if results.has_surveillance:  # before the salvo: per attempted salvo, prevented ones fire nothing
        t.add_row("P(salvo prevented before it fires)", _ci(results.p_prevented))
        t.add_row("expected leakers per attempted salvo",
                  _ci(results.expected_leakers_per_attempted_salvo, "{:.2f}"))
        t.add_row("P(attempted salvo puts ≥ 1 leaker inside)",
                  _ci(results.p_any_leak_per_attempted_salvo))
        if results.has_people:
            t.add_row("expected killed per attempted salvo",
                      _ci(results.expected_killed_per_attempted_salvo, "{:.3f}"))
            t.add_row("P(attempted salvo kills or wounds ≥ 1 person)",
                      _ci(results.p_casualty_per_attempted_salvo))
    console.print(t)
    console.print(accounting_line(results), style="dim", markup=False, highlight=False)
    if asset_rows:
        a_t = Table(title="Assets", title_justify="left")
        for col in ("asset", "kind", "leakers hitting it / salvo", "P(salvo hits it)"):
            a_t.add_column(col, justify="left" if col in ("asset", "kind") else "right")
        for row in asset_rows:
            hits = f"{row['leakers_per_salvo']:.3f}  [{row['leakers_per_salvo_ci'][0]:.3f} – " \
                   f"{row['leakers_per_salvo_ci'][1]:.3f}]"
            p_hit = f"{row['p_hit']:.1%}  [{row['p_hit_ci'][0]:.1%} – {row['p_hit_ci'][1]:.1%}]"
            a_t.add_row(escape(printable(row["name"])), row["kind"], hits, p_hit)
        console.print(a_t)

    if results.unit_results:
        u = Table(title="Defence units", title_justify="left")
        for col in ("unit", "kind", "engagements / salvo", _TERMS["kills_credited"],
                    _TERMS["successful_kill_draws"], "share of rockets inside killed first",
                    "salvos magazine dry"):
            u.add_column(col, justify="left" if col in ("unit", "kind") else "right")
        for ur in results.unit_results:
            u.add_row(ur.name, ur.kind, f"{ur.engagements_per_salvo:.2f}", f"{ur.kills:,}",
                      f"{ur.hits:,}", _ci(ur.kill_share), f"{ur.salvos_exhausted:,}")
        console.print(u)
    values = results.extra.get("unit_value", [])
    if values:
        v_t = Table(title="What each unit is worth in people (switched off on the same salvos)",
                    title_justify="left")
        for col in ("unit", "killed avoided / salvo", "casualties avoided / salvo"):
            v_t.add_column(col, justify="left" if col == "unit" else "right")
        for v in values:
            k, c = v.killed_avoided, v.casualties_avoided
            v_t.add_row(v.name, f"{k[0]:.3f}  [{k[1]:.3f} – {k[2]:.3f}]",
                        f"{c[0]:.3f}  [{c[1]:.3f} – {c[2]:.3f}]")
        console.print(v_t)
    listed = results.assumptions(prepared)
    counts = origin_counts(listed)
    console.print(f"intervals are Monte Carlo noise only; of {len(listed)} parameters, "
                  f"{counts['defaults']} are class or field defaults and {counts['set']} were set "
                  "(each listed under Assumptions in report.md)", style="dim")
    _render_medians(console, sc)
    if results.extra.get("aim_points_redrawn", 0):
        console.print(f"[yellow]note:[/yellow] {results.extra['aim_points_redrawn']:,} aim points had "
                      "no launch position in range and were redrawn")
    console.print(f"run time {results.elapsed_s:.2f} s on {results.threads} thread(s): "
                  f"{results.rockets_per_second:,.0f} rockets/s", style="dim")


def render_trajectory(console: Console, rocket: str, solution) -> None:
    """Print a fire-control solution (``forceprot trajectory``)."""
    title = (f"{rocket} fired at a fixed {solution.elevation_deg:.1f}°: reaches "
             f"{solution.requested_range_m:,.0f} m without wind" if solution.angle == "fixed"
             else f"{rocket} laid for {solution.requested_range_m:,.0f} m, {solution.angle} angle")
    t = Table(title=title, title_justify="left", show_header=False)
    t.add_column(style="dim")
    t.add_column(justify="right")
    d = solution.to_dict()
    rows = [("quadrant elevation", f"{d['elevation_deg']:.2f}°"),
            ("time of flight", f"{d['time_of_flight_s']:.1f} s"),
            ("apogee", f"{d['apogee_m']:,.0f} m"),
            ("muzzle speed (computed)", f"{d['muzzle_speed_mps']:.1f} m/s after "
                                        f"{d['tube_time_s']:.3f} s in the tube"),
            ("burnout speed", f"{d['burnout_speed_mps']:.0f} m/s"),
            ("impact speed", f"{d['impact_speed_mps']:.0f} m/s"),
            ("impact angle", f"{d['impact_angle_deg']:.1f}° below horizontal"),
            ("range flown", f"{d['range_m']:,.0f} m"),
            ("drift (left +)", f"{d['drift_m']:,.1f} m")]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)


def render_uncertainty(console: Console, result) -> None:
    """The spread of the answer over the parameter distributions and the parameters that drive
    it (:mod:`forceprot.studies.uncertainty`)."""
    from forceprot.studies.uncertainty import MEASURES, PROBABILITY_MEASURES, uncertainty_summary

    s = uncertainty_summary(result)
    sobol = result.plan.method == "sobol"

    def pct(x) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    t = Table(title=f"Uncertainty of {result.plan.spec.label}: {s['runs']:,} runs x "
                    f"{s['salvos_per_run']:,} salvos, seed {s['seed']} (common random numbers)",
              title_justify="left")
    for col in ("measure", "at medians", "5th pct", "median", "95th pct", "1 run's MC error"):
        t.add_column(col, justify="left" if col == "measure" else "right")
    for m, label in MEASURES.items():
        if m not in s["measures"]:
            continue
        d = s["measures"][m]
        fmt = pct if m in PROBABILITY_MEASURES else (
            lambda x: "n/a" if x is None else f"{x:.3f}")
        q = d["quantiles"]
        t.add_row(label, fmt(d["at_medians"]), fmt(q["p05"]), fmt(q["p50"]), fmt(q["p95"]),
                  "±" + fmt(None if d["spread"]["mc_se"] is None else 1.96 * d["spread"]["mc_se"]))
    console.print(t)
    # the leak rate's drivers; with people, the casualties' too (a parameter such as
    # people.reaction_s moves only those)
    tables = [("the leak rate", s["parameters"], pct)]
    if "casualties_per_salvo" in s["measures"]:
        tables.append(("casualties per salvo", s["measures"]["casualties_per_salvo"]["parameters"],
                       lambda x: "n/a" if x is None else f"{x:.3f}"))
    for what, rows, fmt in tables:
        p = Table(title=f"Which parameters move {what}" + (
            " (Sobol' indices, 95 % bootstrap)" if sobol else " (Morris screening)"),
            title_justify="left")
        cols = (("parameter", "ST", "ST 95%", "S1", "swing p05 → p95") if sobol
                else ("parameter", "mu*", "mu* 95%", "sigma", "swing p05 → p95"))
        for col in cols:
            p.add_column(col, justify="left" if col == "parameter" else "right")
        key = "ST" if sobol else "mu_star"
        for r in sorted(rows, key=lambda r: -(r[key] or 0.0)):
            ci = r[key + "_ci"]
            ci_text = "n/a" if ci[0] is None else f"[{ci[0]:.3g}, {ci[1]:.3g}]"
            second = r["S1"] if sobol else r["sigma"]
            p.add_row(r["name"], "n/a" if r[key] is None else f"{r[key]:.3g}", ci_text,
                      "n/a" if second is None else f"{second:.3g}",
                      f"{fmt(r['swing_p05'])} → {fmt(r['swing_p95'])}")
        console.print(p)
    for note in s["notes"]:
        console.print(f"note: {note}", style="yellow")
