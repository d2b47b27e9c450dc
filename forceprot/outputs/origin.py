"""The files and tables of ``forceprot origin``: where a salvo came from.

``origin.geojson`` (WGS84, RFC 7946): the estimate (a point carrying the figures), the 95 %
region (a polygon), the mean point of impact, the implied aim and the impacts, each feature
tagged by ``kind``; ``origin.png``: the posterior over the launch zone and a detail of the
pattern; ``origin.json``: the figures under stable keys; ``origin_threat.toml``: the fitted
accuracy fields to paste into a scenario. All written together or not at all
(:func:`forceprot.atomic.write_file_set`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import shapely

from forceprot.atomic import write_file_set
from forceprot.compile import Grid, Prepared
from forceprot.studies.origin import Origin

__all__ = ["ORIGIN_OUTPUTS", "origin_layer", "render_origin", "render_origin_map",
           "write_origin_outputs"]

#: Files ``forceprot origin --out DIR`` writes.
ORIGIN_OUTPUTS = ["origin.geojson", "origin.png", "origin.json", "origin_threat.toml"]
#: Posterior density shown down to this fraction of its peak [-] (log colour scale); the fine
#: pass leaves out cells below about 1e-4 of the peak, which would show as straight edges.
DENSITY_FLOOR = 1e-3
#: Smallest side of the pattern's detail panel [m].
DETAIL_MIN_SIDE_M = 400.0
#: Largest raster of the posterior drawn [pixels]; a finer lattice is drawn coarser.
MAX_RASTER_CELLS = 4_000_000


def origin_layer(origin: Origin, prepared: Prepared):
    """The features of ``origin.geojson`` as a GeoDataFrame in EPSG:4326 (``prepared``: the
    scenario the estimate was made for, whose site's CRS the points are in).

    Rows, by ``kind``: ``estimate`` (point; the figures as properties), ``region_95``
    ((multi)polygon), ``mean_point_of_impact``, ``implied_aim`` and one ``impact`` per observed
    point (with ``impact_index`` and ``time_s`` if given).
    """
    import geopandas as gpd
    import pandas as pd

    from forceprot.outputs.layers import WGS84

    site = prepared.site
    s = origin.summary(prepared)
    rows, geoms = [], []

    def add(kind: str, geom, **props) -> None:
        rows.append({"kind": kind, **props})
        geoms.append(geom)

    add("estimate", shapely.Point(*origin.estimate_xy_m),
        radius_95_m=s["radius_95_m"], radius_95_main_lobe_m=s["radius_95_main_lobe_m"],
        p_main_lobe=s["p_main_lobe"], lobes=s["lobes"],
        range_to_mean_impact_m=s["range_to_mean_impact_m"],
        bearing_of_fire_deg=s["bearing_of_fire_deg"],
        range_sigma_frac=s["range_sigma_frac"]["value"],
        range_sigma_frac_lo=s["range_sigma_frac"]["ci"][0],
        range_sigma_frac_hi=s["range_sigma_frac"]["ci"][1],
        deflection_sigma_mil=s["deflection_sigma_mil"]["value"],
        deflection_sigma_mil_lo=s["deflection_sigma_mil"]["ci"][0],
        deflection_sigma_mil_hi=s["deflection_sigma_mil"]["ci"][1],
        impacts=s["impacts"], times_used=s["times_used"])
    add("region_95", origin.region_m, p_region=0.95, area_km2=s["region_95_area_km2"],
        lobes=s["lobes"])
    add("mean_point_of_impact", shapely.Point(*origin.mpi_xy_m))
    add("implied_aim", shapely.Point(*origin.aim_xy_m))
    times = origin.impacts.times_s
    for i, xy in enumerate(origin.impacts.xy_m):
        add("impact", shapely.Point(*xy), impact_index=i,
            time_s=None if times is None else float(times[i]))
    geometry = shapely.orient_polygons(site.to_wgs84(np.asarray(geoms, dtype=object)))
    frame = pd.DataFrame(rows)
    for col in ("impacts", "lobes", "impact_index"):  # integers, null where not applicable
        frame[col] = frame[col].astype("Int64")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def _write_layer(frame, path: Path) -> None:
    """RFC 7946 GeoJSON of features of several geometry types (a FeatureCollection may mix
    them; the run's layers hold one type each)."""
    from forceprot.outputs.layers import COORDINATE_PRECISION, SIGNIFICANT_FIGURES

    frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer="origin",
                  geometry_type="Unknown",
                  layer_options={"RFC7946": "YES",
                                 "COORDINATE_PRECISION": str(COORDINATE_PRECISION),
                                 "SIGNIFICANT_FIGURES": str(SIGNIFICANT_FIGURES)})


def write_origin_outputs(origin: Origin, prepared: Prepared, out_dir: Path, *,
                         overwrite: bool = False) -> list[Path]:
    """Write :data:`ORIGIN_OUTPUTS` of ``origin``, estimated for the scenario ``prepared``,
    into ``out_dir``, all or nothing.

    Raises
    ------
    OutputError
        As :func:`forceprot.outputs.writer.write_run_outputs`; nothing is written then.
    """
    layer = origin_layer(origin, prepared)
    summary = json.dumps(origin.summary(prepared), indent=2) + "\n"
    toml = origin.threat_toml(prepared)
    return write_file_set(out_dir, {
        "origin.geojson": lambda p: _write_layer(layer, p),
        "origin.png": lambda p: render_origin_map(origin, prepared, p),
        "origin.json": lambda p: p.write_text(summary, encoding="utf-8"),
        "origin_threat.toml": lambda p: p.write_text(toml, encoding="utf-8"),
    }, overwrite=overwrite)


# --- the map ----------------------------------------------------------------------------------


def _raster(origin: Origin) -> tuple[Grid, np.ndarray]:
    """The posterior density on the fine cells' lattice, relative to its peak (NaN: no cell)."""
    xy, cell = origin.cell_xy_m, origin.cell_m
    k = max(1, math.ceil(math.sqrt(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]) / cell ** 2
                                   / MAX_RASTER_CELLS)))
    side = cell * k
    x0 = float(xy[:, 0].min() - 0.5 * cell)
    y0 = float(xy[:, 1].min() - 0.5 * cell)
    ix = np.floor((xy[:, 0] - x0) / side).astype(np.int64)
    iy = np.floor((xy[:, 1] - y0) / side).astype(np.int64)
    grid = Grid(x0, y0, side, int(ix.max()) + 1, int(iy.max()) + 1)
    flat = iy * grid.nx + ix
    mass = np.bincount(flat, weights=origin.mass, minlength=grid.n_cells)
    area = np.bincount(flat, weights=origin.cell_area_m2, minlength=grid.n_cells)
    density = np.full(grid.n_cells, np.nan)
    seen = area > 0
    density[seen] = mass[seen] / area[seen]
    return grid, density / np.nanmax(density)


def render_origin_map(origin: Origin, prepared: Prepared, path: Path) -> None:
    """Write ``origin.png``: the posterior over the launch zone with the 95 % region and the
    estimate (left), and the pattern with the line of fire (right), over the site of
    ``prepared`` (the scenario the estimate was made for)."""
    from matplotlib import colors as mcolors
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch

    from forceprot.outputs.mapplot import (
        DETAIL_AXES,
        MAP_DPI,
        MAP_SIZE_IN,
        OVERVIEW_AXES,
        OVERVIEW_MARGIN_FRAC,
        _colorbar,
        _grid_image,
        _legend,
        _outlines,
        _panel,
        _patch,
        _save,
        _square,
    )

    site = prepared.site
    sc = prepared.scenario
    s = origin.summary(prepared)
    fig = Figure(figsize=MAP_SIZE_IN, dpi=MAP_DPI)
    FigureCanvasAgg(fig)
    imp = origin.impacts.xy_m
    grid, density = _raster(origin)
    cx, cy = grid.centers()
    seen = np.flatnonzero(density >= DENSITY_FLOOR)
    h = 0.5 * grid.cell_m
    shown_box = shapely.box(cx[seen].min() - h, cy[seen].min() - h, cx[seen].max() + h,
                            cy[seen].max() + h)
    overview_extent = _square(shapely.union_all(
        [site.base, origin.region_m, shown_box, shapely.multipoints(imp)]).bounds,
        OVERVIEW_MARGIN_FRAC)
    pattern = shapely.multipoints(np.vstack([imp, origin.aim_xy_m]))
    detail_extent = _square(pattern.centroid.buffer(DETAIL_MIN_SIDE_M / 2).union(pattern).bounds,
                            0.15)
    overview = _panel(fig, OVERVIEW_AXES, prepared, overview_extent,
                      "Where it came from: posterior density")
    detail = _panel(fig, DETAIL_AXES, prepared, detail_extent,
                    "The pattern (long axis along the line of fire)")
    norm = mcolors.LogNorm(vmin=DENSITY_FLOOR, vmax=1.0)
    shown = np.where(density >= DENSITY_FLOOR, density, np.nan)
    for ax in (overview, detail):
        image = _grid_image(ax, grid, shown, site.launch_zone, "viridis", norm)
        image.set_alpha(0.85)
    _colorbar(fig, image, "posterior density / its peak")
    handles = _outlines(overview, prepared)
    _outlines(detail, prepared)
    ex, ey = origin.estimate_xy_m
    mx, my = origin.mpi_xy_m
    for ax in (overview, detail):
        _patch(ax, origin.region_m, facecolor="none", edgecolor="#d62728", lw=1.6, zorder=8)
        ax.plot([ex, mx], [ey, my], color="#444444", lw=0.9, ls="--", zorder=8)
        ax.plot(imp[:, 0], imp[:, 1], "x", color="black", ms=5, mew=1.2, zorder=9)
        ax.plot([ex], [ey], "*", color="#d62728", ms=16, mec="white", mew=1.0, zorder=10)
        ax.plot([mx], [my], "+", color="#1f77b4", ms=12, mew=2.0, zorder=10)
        ax.add_patch(Circle((ex, ey), origin.radius_95_m, facecolor="none", edgecolor="#d62728",
                            lw=0.9, ls=(0, (4, 3)), zorder=8))
    ax_, ay_ = origin.aim_xy_m
    detail.plot([ax_], [ay_], "o", color="none", mec="#1f77b4", ms=9, mew=1.5, zorder=10)
    handles += [
        Patch(facecolor="none", edgecolor="#d62728", lw=1.6, label="95 % region (highest density)"),
        Line2D([], [], marker="*", color="#d62728", ls="none", ms=12,
               label=f"estimate (95 % within {origin.radius_95_m:,.0f} m: dashed circle)"),
        Line2D([], [], marker="x", color="black", ls="none", label=f"impacts ({origin.impacts.n})"),
        Line2D([], [], marker="+", color="#1f77b4", ls="none", ms=10, mew=2,
               label="mean point of impact"),
        Line2D([], [], marker="o", color="none", mec="#1f77b4", ls="none",
               label="implied aim (laid point)"),
        Line2D([], [], color="#444444", ls="--", label="line of fire"),
    ]
    _legend(fig, handles)
    r, d = s["range_sigma_frac"], s["deflection_sigma_mil"]
    fitted = ("dispersion not identifiable from one impact" if r["value"] is None else
              f"fitted range σ {r['value']:.3f} [{r['ci'][0]:.3f}–{r['ci'][1]:.3f}], deflection "
              f"σ {d['value']:.1f} [{d['ci'][0]:.1f}–{d['ci'][1]:.1f}] mil")
    fig.text(0.03, 0.975, f"{sc.site.name}: where the salvo came from", fontsize=15,
             fontweight="bold", va="top")
    fig.text(0.03, 0.935,
             f"{origin.impacts.n} impact(s){' with times' if origin.times_used else ''}, "
             f"{sc.threat.rocket} threat model  ·  estimate {s['lat']:.5f}° N, {s['lon']:.5f}° E, "
             f"{s['range_to_mean_impact_m']:,.0f} m from the mean impact, firing on "
             f"{s['bearing_of_fire_deg']:.0f}°  ·  {fitted}",
             fontsize=10.5, va="top", color="#333333")
    fig.text(0.03, 0.012, f"Drawn in {site.local_crs.name} ({site.local_crs.to_string()}), "
             "metres; dashed grey lines are WGS84 lon/lat. Flat prior over the launch zone; "
             "the scenario's dispersion assumed. Illustrative parameters.",
             fontsize=8, color="#555555")
    _save(fig, path)


# --- the console ------------------------------------------------------------------------------


def render_origin(console, origin: Origin, prepared: Prepared) -> None:
    """Print the estimate, its region, the fitted dispersion and the TOML snippet
    (``prepared``: the scenario the estimate was made for)."""
    from rich.markup import escape
    from rich.table import Table

    s = origin.summary(prepared)
    t = Table(title=escape(f"Where the salvo came from ({s['impacts']} impact(s)"
                           f"{', with times' if s['times_used'] else ''}; {s['scenario']})"),
              title_justify="left", show_header=False)
    t.add_column(style="dim")
    t.add_column()

    def ci(d: dict, fmt: str) -> str:
        if d["value"] is None:
            return "not identifiable from one impact"
        return f"{d['value']:{fmt}}  [{d['ci'][0]:{fmt}}, {d['ci'][1]:{fmt}}]"

    rows = [
        ("launch position (estimate)", f"{s['lat']:.5f} N, {s['lon']:.5f} E"),
        ("95 % within", f"{s['radius_95_m']:,.0f} m of it (main part alone: "
                        f"{s['radius_95_main_lobe_m']:,.0f} m)"),
        ("95 % region", f"{s['region_95_area_km2']:.2f} km² in {s['lobes']} part(s); "
                        f"the estimate's part holds {s['p_main_lobe']:.0%}"),
        ("line of fire", f"{s['bearing_of_fire_deg']:.0f}° (compass), "
                         f"{s['range_to_mean_impact_m']:,.0f} m to the mean point of impact"),
        ("mean point of impact", f"{s['mean_point_of_impact']['lat']:.5f} N, "
                                 f"{s['mean_point_of_impact']['lon']:.5f} E"),
        ("implied aim (laid point)", f"{s['implied_aim']['lat']:.5f} N, "
                                     f"{s['implied_aim']['lon']:.5f} E"),
        ("range σ (fraction)", ci(s["range_sigma_frac"], ".4f")
         + f"   scenario: {s['assumed']['range_sigma_frac']:g}"),
        ("deflection σ [mil]", ci(s["deflection_sigma_mil"], ".2f")
         + f"   scenario: {s['assumed']['deflection_sigma_mil']:g}"),
    ]
    for k, v in rows:
        t.add_row(escape(k), escape(v))
    console.print(t)
    for note in s["notes"]:
        console.print(note, style="yellow", markup=False)
    console.print(origin.threat_toml(prepared), markup=False, highlight=False, soft_wrap=True)
