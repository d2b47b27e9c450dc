"""``report.md``: a run's findings as a short Markdown report with the map embedded.

The report says what was run and what its intervals do and do not cover, the headline figures
with their 95 % intervals, the rocket accounting in defined terms, what each unit did, how much
warning people get, the launch areas whose salvos leak most, what reaches the assets, every
assumption in effect, and the run's facts, in that order. Every figure in it is also in
``summary.json`` or a GeoJSON layer under a stable name; the counts use the terms of
:data:`forceprot.assumptions.ACCOUNTING_TERMS`.
"""

from __future__ import annotations

import math

import pandas as pd

from forceprot import __version__
from forceprot.assumptions import (
    ACCOUNTING_TERMS,
    Assumption,
    group_of,
    origin_counts,
    threat_profile,
)
from forceprot.outputs.layers import MIN_SALVOS_TO_RANK, TOP_LAUNCH_AREAS
from forceprot.compile import Prepared
from forceprot.results import Results
from forceprot.stats import Estimate

__all__ = ["assumptions_markdown", "run_report_markdown"]

_TERMS = {t.key: t for t in ACCOUNTING_TERMS}

COMPASS_POINTS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
                  "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


def _compass(bearing_deg: float) -> str:
    return COMPASS_POINTS[int((bearing_deg % 360.0) / 22.5 + 0.5) % 16]


def _pct(x: float, digits: int = 1) -> str:
    return f"{x:.{digits}%}".replace("%", " %") if math.isfinite(x) else "n/a"


def _num(x: float | None, fmt: str) -> str:
    """``x`` formatted; "n/a" for None (a figure JSON holds as null) or a non-finite one."""
    return format(x, fmt) if x is not None and math.isfinite(x) else "n/a"


def _est(e: Estimate, kind: str = "pct", fmt: str = ".2f") -> tuple[str, str]:
    """(estimate, interval) as text; ``kind`` is ``pct`` or ``num``."""
    if not math.isfinite(e.value):
        return "n/a", "n/a"
    if kind == "pct":
        return _pct(e.value), f"{_pct(e.lo)} – {_pct(e.hi)}"
    return _num(e.value, fmt), f"{_num(e.lo, fmt)} – {_num(e.hi, fmt)}"


def _table(header: list[str], rows: list[list[str]], align: str) -> str:
    """A Markdown pipe table; ``align`` has one of ``l``/``r`` per column."""
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def run_report_markdown(results: Results, prepared: Prepared, *,
                        top_launch: pd.DataFrame | None = None,
                        map_name: str | None = "map.png",
                        launch_table: pd.DataFrame | None = None) -> str:
    """The Markdown report of a run.

    Parameters
    ----------
    results : Results
        The run.
    prepared : Prepared
        The scenario and site the run was compiled from, which the report describes.
    top_launch : DataFrame, optional
        :func:`forceprot.outputs.layers.top_launch_areas` (numbered the same on the map).
    map_name : str, optional
        File name of the map picture beside the report; None leaves the map out.
    launch_table : DataFrame, optional
        Every launch area of the stratified study
        (:func:`forceprot.outputs.layers.stratified_launch_table`); ``top_launch`` is then its
        top group.
    """
    sc = prepared.scenario
    site = prepared.site
    threat = sc.threat
    out: list[str] = []
    out.append(f"# {sc.site.name}: rocket salvo leak report\n")
    out.append(
        f"{results.salvos:,} salvos of {threat.tubes} × {threat.rocket} rockets "
        f"({sc.rocket_class.label}), {threat.ripple_s:g} s ripple, fired from "
        + (f"{threat.min_standoff_m:,.0f}–{threat.max_standoff_m:,.0f} m outside the perimeter"
           if sc.site.launch_areas is None else "the launch areas layer")
        + f", aimed {'uniformly over the base' if threat.aim == 'uniform' else 'at the assets'}, "
        f"against {len(sc.defence)} defence unit(s). Scenario `{sc.label}`, seed {results.seed}. "
        "Intervals are 95 %; the salvo, not the rocket, is the sampling unit.\n")
    profile = threat_profile(sc)
    out.append(
        (f"**Threat.** Preset `{profile['preset']}` ({profile['preset_label']}): "
         f"{profile['preset_meaning']} " if profile["preset"] else
         f"**Threat.** {profile['preset_meaning']} ")
        + f"Firing angle: {profile['firing_angle']}.\n")
    listed = results.assumptions(prepared)
    out.append(_caveat(listed) + "\n")

    out.append("## Headline\n")
    rows = []
    for label, e, kind in (
            ("**Leak rate** (rockets landing inside that are not intercepted)",
             results.leak_rate, "pct"),
            ("P(a salvo puts at least one leaker inside)", results.p_any_leak, "pct"),
            ("Expected leakers per salvo", results.expected_leakers_per_salvo, "num"),
            ("Share of fired rockets landing inside the base", results.threat_fraction, "pct"),
            ("P(a salvo puts at least one rocket inside), defences aside", results.p_any_inside,
             "pct")):
        value, interval = _est(e, kind)
        rows.append([label, value, interval])
    out.append(_table(["measure", "estimate", "95 % interval"], rows, "lrr") + "\n")
    if results.has_surveillance:
        out.append(before_the_salvo_markdown(results, prepared))
    out.append("## Rocket accounting\n")
    out.append(_accounting_table(results) + "\n")

    out.append("## Defence units\n")
    if results.unit_results:
        rows = []
        for ur in results.unit_results:
            value, interval = _est(ur.kill_share, "pct")
            rows.append([ur.name, ur.kind, f"{ur.engagements_per_salvo:.2f}", f"{ur.kills:,}",
                         f"{ur.hits:,}", f"{value} ({interval})", f"{ur.salvos_exhausted:,}"])
        out.append(_table(["unit", "kind", "engagements per salvo",
                           _TERMS["kills_credited"].label, _TERMS["successful_kill_draws"].label,
                           "share of rockets landing inside it killed first (95 %)",
                           "salvos with magazine run dry"], rows, "llrrrrr") + "\n")
        out.append("A rocket killed by two units is credited to the earlier kill; the terms are "
                   "defined under Rocket accounting.\n")
        out.append(_who_did_what(results, prepared) + "\n")
    else:
        out.append("No defence units: every rocket landing inside leaks.\n")

    out.append("## Warning time\n")
    mean, interval = _est(results.warning_mean_s, "num", ".1f")
    out.append(
        f"From the first fire-control track by any unit plus the {sc.warning.alert_delay_s:g} s "
        f"alert delay to impact, over rockets landing inside: mean **{mean} s** ({interval} s, "
        f"the salvo as the sampling unit), 5th percentile "
        f"**{_num(results.warning_p05_s, '.1f')} s**. Rockets no sensor saw (no warning): "
        f"{_pct(results.undetected_fraction)}. A sensor first sees a rocket "
        f"{_num(results.detection_delay_mean_s, '.1f')} s after launch on average and holds a "
        f"track {_num(results.track_delay_mean_s, '.1f')} s after launch (each unit's "
        "`track_s` after its detection); the alarm sounds on a track, since a bare detection "
        "predicts no impact point.\n")

    terrain = results.terrain(prepared)
    if terrain is not None:
        out.append(terrain_markdown(terrain))

    out.append("## Launch areas whose salvos leak most\n")
    if launch_table is not None and len(launch_table):
        side_km = launch_table["side_m"].iloc[0] / 1000.0
        sampled = launch_table[launch_table["salvos"] > 0]
        n_areas, n_top = len(sampled), int(launch_table["in_top_group"].sum())
        per_area = int(sampled["salvos"].min()) if n_areas else 0
        refined = int(sampled["salvos"].max()) if n_areas else 0
        shown = launch_table.head(max(n_top, TOP_LAUNCH_AREAS))
        rows = []
        for row in shown.itertuples():
            rows.append([
                str(row.rank), "yes" if row.in_top_group else "", f"{row.lat:.5f}, {row.lon:.5f}",
                f"{row.distance_to_base_m:,.0f} m {_compass(row.bearing_from_base_deg)} "
                f"({row.bearing_from_base_deg:.0f}°)",
                f"{row.leakers_per_salvo:.1f} ({_num(row.leakers_per_salvo_lo, '.1f')} – "
                f"{_num(row.leakers_per_salvo_hi, '.1f')})", _pct(row.leak_rate),
                f"{100 * row.zone_share:.1f} %"])
        out.append(f"The launch zone cut into {side_km:g} km squares; each of the {n_areas} "
                   f"areas a launcher can reach from was sampled on its own ({per_area:,} salvos "
                   "fired from inside it, the aim as in the scenario), so no area's rank rests on "
                   "a handful of salvos; the areas near the top were sampled again, up to "
                   f"{refined:,} salvos each. **{n_top} area(s) cannot be told apart from the "
                   "top** (their 95 % interval reaches within 1 % of the best area's lower "
                   "bound): treat them alike. Numbered the same on the map; every area is in "
                   "`launch_risk.geojson`.\n")
        out.append(_table(["#", "top group", "lat, lon", "from the perimeter (bearing)",
                           "leakers per salvo (95 %)", "leak rate", "share of zone"],
                          rows, "rllrrrr") + "\n")
    elif top_launch is not None and len(top_launch):
        side_km = top_launch["side_m"].iloc[0] / 1000.0
        rows = []
        for row in top_launch.itertuples():
            rows.append([
                str(row.rank), f"{row.lat:.5f}, {row.lon:.5f}",
                f"{row.distance_to_base_m:,.0f} m {_compass(row.bearing_from_base_deg)} "
                f"({row.bearing_from_base_deg:.0f}°)",
                f"{row.salvos:,}",
                f"{row.leakers_per_salvo:.1f} ({_num(row.leakers_per_salvo_lo, '.1f')} – "
                f"{_num(row.leakers_per_salvo_hi, '.1f')})",
                f"{row.threatening_per_salvo:.1f}"])
        cell_m = results.compiled.launch_grid.cell_m
        out.append(f"Launch positions grouped into {side_km:g} km squares; squares with at "
                   f"least {MIN_SALVOS_TO_RANK} salvos ranked by expected leakers of a salvo "
                   "fired from them (numbered the same on the map; every "
                   f"{cell_m:g} m cell is in `launch_risk.geojson`).\n")
        out.append(_table(["#", "lat, lon", "from the perimeter (bearing from the base)",
                           "salvos", "leakers per salvo (95 %)", "rockets inside per salvo"],
                          rows, "rlrrrr") + "\n")
    else:
        out.append(f"No launch area has {MIN_SALVOS_TO_RANK} salvos yet, too few to rank; run "
                   "more salvos.\n")

    out.append("## Assets\n")
    assets = results.asset_results(prepared)
    if assets:
        rows = [[a["name"], f"{a['weight']:g}",
                 f"{a['radius_m']:g} m radius" if a["radius_m"] is not None
                 else f"polygon, {a['area_m2'] / 1e4:,.1f} ha",
                 f"{a['leakers_per_salvo']:.3f}",
                 f"{_num(a['leakers_per_salvo_ci'][0], '.3f')} – "
                 f"{_num(a['leakers_per_salvo_ci'][1], '.3f')}",
                 f"{_num(a['p_hit'], '.1%')} ({_num(a['p_hit_ci'][0], '.1%')} – "
                 f"{_num(a['p_hit_ci'][1], '.1%')})"] for a in assets]
        out.append(_table(["asset", "weight", "hit area", "leakers hitting it per salvo",
                           "95 % interval", "P(salvo hits it) (95 % interval)"], rows,
                          "lrrrrr") + "\n")
        out.append("A leaker hits a circle asset within its radius and a polygon asset inside "
                   "its outline (holes excepted). Intervals treat the salvo as the sampling "
                   "unit: a t interval for leakers per salvo, Wilson for P(salvo hits it).\n")
        value, interval = _est(results.asset_risk_per_salvo, "num", ".3f")
        out.append(f"Weighted asset hits per salvo: **{value}** ({interval}).\n")
    else:
        out.append("No assets in the scenario.\n")

    if results.has_people:
        out.append(people_markdown(results, prepared))

    if map_name:
        out.append("## Map\n")
        out.append(f"![map]({map_name})\n")
        out.append("Left: the launch zone, coloured by the leakers a salvo fired from each "
                   "launch area puts inside (where the stratified study ran), with the numbered "
                   "top areas of the table above. "
                   "Right: the base, coloured "
                   "by leakers per km² per salvo, with each unit's engagement envelope and "
                   "sensor range and the assets. The same layers are in the GeoJSON files "
                   "beside this report.\n")

    out.append(assumptions_markdown(listed, sc))

    out.append("## Run\n")
    facts = [
        ["salvos", f"{results.salvos:,}"
         + (f" (stopped at ±{results.precision_target:.2%} leak-rate precision)"
            if results.stopped_early else "")],
        ["seed", str(results.seed)],
        ["rockets fired", f"{results.rockets_fired:,}"],
        ["run time", f"{results.elapsed_s:.2f} s on {results.threads} thread(s), compile aside"],
        ["speed", f"{_num(results.rockets_per_second, ',.0f')} rockets/s"],
        ["base area", f"{site.base_area_m2 / 1e6:,.2f} km²"],
        ["local CRS", f"{site.local_crs.name} ({site.local_crs.to_string()})"],
        ["forceprot", __version__],
    ]
    out.append(_table(["", ""], facts, "ll") + "\n")
    return "\n".join(out)


def before_the_salvo_markdown(results: Results, prepared: Prepared) -> str:
    """The report's "Before the salvo" section: P(prevented), the per-attempted-salvo figures,
    each sensor, the unwatched share of the launch zone and the assumptions behind them
    (``prepared``: the scenario the run was compiled from; its DEM, if any, cut the sight
    lines)."""
    surv = results.compiled.surveillance
    team = surv.team
    fig = results.before_the_salvo()
    setup = {"fixed": f"fixed at {team.setup_median_min:g} min",
             "lognormal": f"lognormal, median {team.setup_median_min:g} min, sigma of ln "
                          f"{team.setup_sigma_log:g}",
             "gamma": f"gamma, median {team.setup_median_min:g} min, shape "
                      f"{team.setup_shape:g}",
             "uniform": f"uniform from {team.setup_low_min:g} to {team.setup_high_min:g} min"
             }[team.setup]
    out = ["## Before the salvo\n"]
    rows = []
    for label, e, kind in (
            ("**P(a salvo is prevented before it fires)**", results.p_prevented, "pct"),
            ("Expected leakers per attempted salvo", results.expected_leakers_per_attempted_salvo,
             "num"),
            ("P(an attempted salvo puts at least one leaker inside)",
             results.p_any_leak_per_attempted_salvo, "pct"),
            ("Weighted asset hits per attempted salvo", results.asset_risk_per_attempted_salvo,
             "num"),
            *((("Expected killed per attempted salvo",
                results.expected_killed_per_attempted_salvo, "num"),
               ("P(an attempted salvo kills or wounds at least one person)",
                results.p_casualty_per_attempted_salvo, "pct")) if results.has_people else ())):
        value, interval = _est(e, kind, ".3f") if kind == "num" else _est(e, kind)
        rows.append([label, value, interval])
    rows.append(["P(the launch team is found before it fires)",
                 _pct(results.p_detect_before_fire), ""])
    rows.append(["Share of the launch zone no sensor sees",
                 _pct(fig["launch_zone_unwatched_share"]), ""])
    out.append(_table(["measure", "estimate", "95 % interval"], rows, "lrr") + "\n")
    out.append(
        "Each salvo's launch team is exposed before it fires: "
        f"{team.approach_exposed_min:g} min driving in (counted as if at its launch point), then "
        f"setting up ({setup}). Every sensor that sees the launch point finds the team at its "
        "detection rate, P = 1 − exp(−rate × time in view); a patrol or drone counts by the "
        "share of its route from which the point is in view (a time average: optimistic when "
        "its revisit time is long against the exposure). A team found at least "
        f"{team.response_time_min:g} min before it fires (the response time) is stopped with "
        f"probability {team.prevent_p:g}. Sight lines run over a 4/3 earth"
        + (" and the DEM" if prepared.site.terrain is not None else "")
        + f" to a {team.target_height_m:g} m target, on a {fig['surveillance_cell_m']:g} m "
        "raster (the launcher's cell). Every salvo is still flown: the per-attempted-salvo "
        "figures weight each salvo by its chance of being fired (expectations, t intervals "
        "over salvos); every other section's figures are per salvo fired. All surveillance "
        "figures are illustrative unless the scenario sets them (Assumptions).\n")
    rows = [[s["name"], s["kind"], f"{s['detect_rate_per_min']:g}",
             "fixed" if s["revisit_min"] is None else f"{s['revisit_min']:.1f} min"]
            for s in fig["sensors"]]
    out.append(_table(["sensor", "kind", "detection rate in view [1/min]", "revisit"], rows,
                      "llrr") + "\n")
    out.append("`launch_risk.geojson` gives `p_detect_before_fire` per launch area and "
               "`unwatched.geojson` the launch zone no sensor sees (hatched on the map).\n")
    return "\n".join(out)


def people_markdown(results: Results, prepared: Prepared) -> str:
    """The "People at risk" section: expected killed and wounded per salvo, what warning and
    each unit save, by hour and by area, and the assumptions the figures rest on
    (``prepared``: the scenario the run was compiled from, with its ``[people]``)."""
    from forceprot.people import damage_radii_m

    sc = prepared.scenario
    spec = sc.people
    summ = results.people_summary(prepared)
    lethal_m, casualty_m = damage_radii_m(sc)
    out = ["## People at risk\n"]
    rows = []
    for label, e in (("Expected **killed** per salvo", results.expected_killed_per_salvo),
                     ("Expected **wounded** per salvo", results.expected_wounded_per_salvo)):
        value, interval = _est(e, "num", ".3f")
        rows.append([label, value, interval])
    value, interval = _est(results.p_casualty, "pct")
    rows.append(["P(a salvo kills or wounds at least one person)", value, interval])
    warn = results.warning_value()
    for label, key in (("Killed per salvo that sense-and-warn avoids", "killed"),
                       ("Casualties per salvo that sense-and-warn avoids", "casualties")):
        value, interval = _est(warn[key], "num", ".3f")
        rows.append([label, value, interval])
    out.append(_table(["measure", "estimate", "95 % interval"], rows, "lrr") + "\n")
    out.append(
        "Figures are weighted over the attack hour "
        + (f"(fixed at {sc.threat.hour:02d}:00 local)" if isinstance(sc.threat.hour, int)
           else f"(`{sc.threat.hour}`)" if isinstance(sc.threat.hour, str)
           else "(24 weights from the scenario)")
        + "; every salvo is scored at all 24 hours, so the hours compare on the same salvos. "
        "Intervals treat the salvo as the sampling unit. Sense-and-warn's value is paired: the "
        "same salvos scored as if nobody had been warned (nobody sheltered or lying down).\n")
    values = summ["unit_value"]
    if values:
        rows = [[v["name"], v["kind"],
                 f"{_num(v['killed_avoided_per_salvo'], '.3f')} "
                 f"({_num(v['killed_avoided_per_salvo_ci'][0], '.3f')} – "
                 f"{_num(v['killed_avoided_per_salvo_ci'][1], '.3f')})",
                 f"{_num(v['casualties_avoided_per_salvo'], '.3f')} "
                 f"({_num(v['casualties_avoided_per_salvo_ci'][0], '.3f')} – "
                 f"{_num(v['casualties_avoided_per_salvo_ci'][1], '.3f')})"] for v in values]
        out.append("**What each unit is worth in people** (the unit switched off, sensor and "
                   "guns, on the same salvos; batch means over "
                   f"{values[0]['paired_batches']} blocks):\n")
        out.append(_table(["unit", "kind", "killed avoided per salvo (95 %)",
                           "casualties avoided per salvo (95 %)"], rows, "llrr") + "\n")
    areas = sorted(summ["by_area"], key=lambda a: -(a["expected_casualties_per_salvo"] or 0))
    rows = [[_cell(a["name"]), a["kind"], f"{a['people_peak']:,.0f}",
             f"{a['people_present_mean']:,.0f}",
             f"{_num(a['expected_killed_per_salvo'], '.4f')}",
             f"{_num(a['expected_casualties_per_salvo'], '.4f')} "
             f"({_num(a['expected_casualties_per_salvo_ci'][0], '.4f')} – "
             f"{_num(a['expected_casualties_per_salvo_ci'][1], '.4f')})",
             _num(a["casualties_per_1000_people"], ".2f")] for a in areas]
    out.append("**Where people are most exposed** (`exposure.geojson`), most casualties first:\n")
    out.append(_table(["area", "kind", "people (peak)", "people (attack-hour mean)",
                       "killed per salvo", "casualties per salvo (95 %)",
                       "casualties per 1,000 present"], rows, "llrrrrr") + "\n")
    hours = summ["by_hour"]
    rows = [[f"{h['hour']:02d}:00", f"{h['attack_probability']:.3f}",
             _num(h["expected_killed_per_salvo"], ".3f"),
             _num(h["expected_wounded_per_salvo"], ".3f"),
             f"{_num(h['p_casualty'], '.1%')}"] for h in hours]
    out.append("**By attack hour** (the same salvos at every hour):\n")
    out.append(_table(["hour (local)", "P(attack at this hour)", "killed per salvo",
                       "wounded per salvo", "P(≥ 1 casualty)"], rows, "rrrrr") + "\n")
    shelters = prepared.site.people
    out.append(
        "**What these figures rest on.** "
        f"Damage: {'Carleton (P = exp(-r²/R²))' if spec.damage == 'carleton' else 'cookie-cutter'}"
        f", lethal radius {lethal_m:g} m, casualty radius {casualty_m:g} m "
        "(illustrative: no open figure was found for these rockets). "
        f"People: {summ['people_peak_total']:,.0f} at the busiest hour in "
        f"{len(shelters.names)} occupancy areas, placed on {spec.cell_m:g} m cells. "
        f"Shelters: {shelters.n_shelters} holding {summ['shelter_capacity_total']:,.0f}; people "
        f"start moving {spec.reaction_s:g} s after the alarm and walk {spec.walk_speed_mps:g} m/s "
        "in a straight line to the nearest shelter with room; inside, only a direct hit "
        f"(killed {spec.shelter_hit_p_killed:g}, wounded {spec.shelter_hit_p_wounded:g}) hurts "
        f"them. Under a roof, casualty probability × {spec.indoor_factor:g}; in the open after an "
        f"alarm at least {spec.reaction_s:g} s before impact, lying down, × {spec.prone_factor:g}. "
        "Rockets killed by the defences hurt nobody (debris is not modelled). Each is listed "
        "under Assumptions with its source.\n")
    return "\n".join(out)


def terrain_markdown(terrain: dict) -> str:
    """The report's terrain section from :func:`forceprot.compile.terrain_description`."""
    lines = ["## Terrain masking\n"]
    bldg = (f", {terrain['n_buildings']:,} buildings from `{terrain['buildings']}`"
            if terrain["buildings"] else "")
    lines.append(
        f"Ground from `{terrain['dem']}` ({terrain['dem_crs']}, {terrain['dem_cells'][0]:,} × "
        f"{terrain['dem_cells'][1]:,} cells of about {terrain['dem_resolution_m']:.1f} m, "
        f"sampled at {terrain['grid_cell_m']:.1f} m){bldg}. A sensor sees a rocket only above "
        "the terrain's masking angle in its direction (4/3-earth refraction and earth "
        f"curvature included; {terrain['azimuth_bin_deg']:g}° azimuth bins); its antenna stands "
        "on the DEM's ground. The rockets' own flights still assume flat ground at the site's "
        "altitude.\n")
    rows = [[u["name"], f"{u['ground_z_m']:+.1f} m", _angle(u["median_mask_deg"]),
             _angle(u["max_mask_deg"]), _pct(u["masked_share"])] for u in terrain["units"]]
    lines.append(_table(["unit", "ground vs site altitude", "median masking angle",
                         "max masking angle", "azimuths masked above the beam floor"],
                        rows, "lrrrr") + "\n")
    return "\n".join(lines)


def _angle(deg: float) -> str:
    return "none" if deg is None else f"{deg:.2f}°"


def _caveat(listed: list[Assumption]) -> str:
    """What the intervals cover and what the answer rests on, in plain words."""
    counts = origin_counts(listed)
    return (
        "**What these figures rest on.** Every interval in this report is Monte Carlo noise "
        "only: it narrows as salvos are added and says nothing about whether the parameters "
        f"are right. The answer is conditional on the {len(listed)} parameters listed under "
        f"Assumptions below: {counts['defaults']} are class or field defaults, generic and "
        "illustrative unless their source says otherwise, and "
        f"{counts['set']} were set in the scenario or for this run, each only as good as the "
        "data behind it. This run does not measure which parameters the answer is most "
        "sensitive to, or how far it moves over their plausible values; `forceprot "
        "uncertainty`, on a scenario giving the doubtful parameters as distributions, "
        "quantifies that.")


def _who_did_what(results: Results, prepared: Prepared) -> str:
    """Which unit did what, and why: of the rockets landing inside, how many fell in each unit's
    sector, how many it had a window on, engaged and killed first; wasted fire (``prepared``:
    the scenario the run was compiled from, whose units' sectors and envelopes explain it)."""
    sc = prepared.scenario
    threat = max(results.rockets_threatening, 1)
    mode = ("**Coordinated fire control** (one air picture): each rocket goes to the unit that "
            "can kill it first and, after a miss is seen, to the next; no unit fires at a rocket "
            "already destroyed." if sc.fire_control == "coordinated" else
            "**Independent fire control**: each unit fights on its own; a shot at a rocket "
            "another unit had already destroyed is wasted (last column).")
    rows = []
    for ur in results.unit_results:
        rows.append([ur.name, _pct(ur.threatening_in_sector / threat),
                     _pct(ur.threatening_with_window / threat),
                     _pct(ur.threatening_engaged / threat), _pct(ur.kill_share.value),
                     f"{ur.engagements_on_killed:,}"])
    why = []
    for ur, unit in zip(results.unit_results, sc.defence):
        sector = (f"its sector (predicted impact within {unit.defended_radius_m:,.0f} m"
                  + (f", flights of at least {unit.min_threat_range_m:,.0f} m"
                     if unit.min_threat_range_m > 0 else "") + ")")
        if ur.threatening_in_sector == 0:
            why.append(f"{ur.name}: no rocket landing inside fell in {sector}.")
            continue
        line = (f"{ur.name}: {sector} holds {_pct(ur.threatening_in_sector / threat)} of the "
                "rockets landing inside")
        if ur.threatening_with_window < ur.threatening_in_sector:
            line += (f"; {_pct(1.0 - ur.threatening_with_window / ur.threatening_in_sector)} of "
                     f"those never enter its envelope ({unit.describe_envelope()})")
        left = ur.threatening_with_window - ur.threatening_engaged
        if ur.threatening_with_window > 0:
            late = left - ur.threatening_taken
            line += (f"; of the rest it engages {_pct(ur.threatening_engaged / ur.threatening_with_window)}"
                     f", leaves {_pct(ur.threatening_taken / ur.threatening_with_window)} to a unit "
                     f"that killed them first, and cannot fire at "
                     f"{_pct(late / ur.threatening_with_window)} in time (track "
                     f"{unit.track_s:g} s + reaction {unit.reaction_s:g} s, busy with other "
                     "rockets, magazine, or no intercept before impact)")
        why.append(line + ".")
    return (mode + "\n\n" + _table(
        ["unit", "in its sector", "with a window", "engaged", "killed first",
         "engagements of rockets already killed"], rows, "lrrrrr")
        + "\n\nShares of the rockets landing inside. Why:\n\n"
        + "\n".join(f"- {w}" for w in why))


def _accounting_table(results: Results) -> str:
    """The rocket counts under their defined terms, each with its definition."""
    rows = [[_TERMS[key].label, f"{n:,}", _TERMS[key].definition]
            for key, n in results.accounting().items()]
    units = results.unit_results
    if units:
        for key, n in (("kills_credited", sum(u.kills for u in units)),
                       ("successful_kill_draws", sum(u.hits for u in units))):
            rows.append([f"{_TERMS[key].label} (all units)", f"{n:,}", _TERMS[key].definition])
    return _table(["term", "rockets", "definition"], rows, "lrl")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, (int, float)):
        if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.10g}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _group_title(group: str, scenario) -> str:
    if group == "threat":
        return "Threat"
    if group == "rocket":
        return f"Rocket: {scenario.threat.rocket} ({scenario.rocket_class.label})"
    if group == "warning":
        return "Warning"
    if group == "fire_control":
        return "Fire control"
    if group == "site":
        return "Site"
    if group == "assets":
        return f"Asset layer (`[assets]`: {scenario.assets.file})"
    if group == "people":
        return f"People at risk (`[people]`: {scenario.people.occupancy})"
    if group == "simulation":
        return "Simulation settings (how the run samples, not the world)"
    if group == "launch_team":
        return "Launch team before the salvo (`[launch_team]`)"
    kind, index = group.rstrip("]").split("[")
    if kind == "surveillance":
        item = scenario.surveillance[int(index)]
        return f"{item.name} ({item.kind}, `{group}`)"
    item = (scenario.defence if kind == "defence" else scenario.asset)[int(index)]
    return (f"{item.name} ({item.kind}, `{group}`)" if kind == "defence"
            else f"Asset {item.name} (`{group}`)")


def assumptions_markdown(listed: list[Assumption], scenario) -> str:
    """The report's Assumptions section: one table per group, sources numbered once.

    Parameters
    ----------
    listed : list of Assumption
        :func:`forceprot.assumptions.assumptions` of ``scenario`` (or ``Results.assumptions()``).
    scenario : Scenario
        The scenario, for the groups' titles (unit and asset names, the rocket's label).
    """
    out = ["## Assumptions\n",
           "Every parameter in effect, with its unit and where its value came from: `scenario` "
           "(set in the scenario file), `run option` (set for this run), `class default` (the "
           "rocket or defence class), `default` (the field's default) or `derived` (computed by "
           "the flight model). The same list is `assumptions` in `summary.json`.\n"]
    sources: dict[str, int] = {}
    groups: dict[str, list[Assumption]] = {}
    for a in listed:
        groups.setdefault(group_of(a.path), []).append(a)
    for group, items in groups.items():
        rows = []
        for a in items:
            ref = sources.setdefault(a.source, len(sources) + 1)
            rows.append([f"`{a.path}`", _cell(_value(a.value)), _cell(a.unit), a.origin,
                         f"[{ref}]"])
        out.append(f"### {_cell(_group_title(group, scenario))}\n")
        out.append(_table(["parameter", "value", "unit", "origin", "source"], rows, "lrlll")
                   + "\n")
    out.append("Sources:\n")
    out.append("\n".join(f"{n}. {_cell(text)}" for text, n in sources.items()) + "\n")
    return "\n".join(out)
