"""Map pictures: ``map.png`` of a run and ``coverage.png`` of a coverage map.

Each picture has two panels: an overview of the launch zone around the base (with the launch
areas that leak most) and a detail of the base (the heat map, the defences with their envelopes
and labels, the assets), so that a small base is as readable as a large one.

Drawn with matplotlib's Agg canvas only (no pyplot state, no network tiles), in the site's local
UTM CRS so that distances on the page are true: the scale bars are exact, the north arrows point
to true north at the panel centre (UTM grid north differs by the meridian convergence), and a
WGS84 graticule gives lon/lat on the frame.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import shapely
from matplotlib import colormaps
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from forceprot.studies.coverage import Coverage, cells_in
from forceprot.outputs.layers import coarsen_grid, unit_envelopes_m
from forceprot.compile import Prepared
from forceprot.results import Results

__all__ = ["render_coverage_map", "render_run_map", "MAP_DPI", "MAP_SIZE_IN"]

#: Figure size [in] and resolution [dots per inch]: 2400 x 1350 px.
MAP_SIZE_IN = (16.0, 9.0)
MAP_DPI = 150
#: Margins around the overview (launch zone and base) and the detail (defended area and units)
#: [fraction of the larger side].
OVERVIEW_MARGIN_FRAC = 0.03
DETAIL_MARGIN_FRAC = 0.05

#: Figure fractions (left, bottom, width, height) of the panels and the colour bar, and the
#: lower-left corner of the legend. Panels are square (equal aspect), anchored left.
OVERVIEW_AXES = (0.045, 0.135, 0.40, 0.711)
DETAIL_AXES = (0.475, 0.135, 0.40, 0.711)
COLORBAR_AXES = (0.895, 0.25, 0.012, 0.55)
LEGEND_CORNER = (0.045, 0.035)
LEAK_CMAP = "YlOrRd"
LAUNCH_CMAP = "PuRd"
#: Where the launch-surface colour bar sits in the left panel (axes fractions: x, y, w, h).
LAUNCH_COLORBAR_INSET = (0.04, 0.955, 0.38, 0.018)
COVERAGE_CMAP = "RdYlBu"
TOP_LAUNCH_COLOR = "#b2182b"
HALO = [patheffects.withStroke(linewidth=3, foreground="white")]
LAUNCH_ZONE_FILL = "#efe4cc"
BASE_FILL = "#f2f2f2"


# --- geometry to matplotlib -------------------------------------------------------------------


def _polygon_path(geometry) -> MplPath:
    """A matplotlib path of a (multi)polygon, holes included (even-odd fill)."""
    verts, codes = [], []
    for poly in shapely.get_parts(geometry):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            verts.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO),
                               MplPath.CLOSEPOLY])
    if not verts:
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    return MplPath(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def _patch(ax, geometry, **kwargs) -> PathPatch:
    """Draw a (multi)polygon; the view limits are set by the panel, so they are not updated."""
    patch = PathPatch(_polygon_path(geometry), **kwargs)
    ax.add_artist(patch)
    return patch


# --- map furniture ----------------------------------------------------------------------------


def _nice_length_m(span_m: float) -> float:
    """A round scale-bar length near a fifth of ``span_m`` [m]."""
    target = span_m / 5.0
    base = 10.0 ** math.floor(math.log10(target))
    return max(m * base for m in (1, 2, 5) if m * base <= target)


def _scale_bar(ax, span_m: float) -> None:
    length = _nice_length_m(span_m)
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    bar = AnchoredSizeBar(ax.transData, length, label, loc="lower left", pad=0.6, borderpad=0.8,
                          sep=4, frameon=True, size_vertical=span_m / 250.0, color="black",
                          fontproperties={"size": 10})
    bar.patch.set_alpha(0.85)
    ax.add_artist(bar)


def _north_arrow(ax, site, centre_xy) -> None:
    """Arrow to true north at the map centre, with the grid convergence noted."""
    lon, lat = site.xy_to_lonlat(*centre_xy)
    nx, ny = site.lonlat_to_xy(lon, lat + 0.01)
    dx, dy = float(nx - centre_xy[0]), float(ny - centre_xy[1])
    norm = math.hypot(dx, dy)
    dx, dy = dx / norm, dy / norm
    convergence_deg = math.degrees(math.atan2(dx, dy))
    x0, y0, length = 0.94, 0.84, 0.08
    ax.add_patch(FancyArrow(x0 - 0.5 * length * dx, y0 - 0.5 * length * dy, length * dx,
                            length * dy, width=0.012, head_width=0.035, head_length=0.03,
                            length_includes_head=True, transform=ax.transAxes, color="black",
                            zorder=20))
    ax.text(x0 + 0.5 * length * dx, y0 + 0.5 * length * dy + 0.015, "N", transform=ax.transAxes,
            ha="center", va="bottom", fontsize=13, fontweight="bold", zorder=20,
            path_effects=HALO)
    side = "E" if convergence_deg >= 0 else "W"
    ax.text(0.985, y0 - 0.5 * length - 0.012,
            f"true north,\n{abs(convergence_deg):.2f}° {side} of grid north",
            transform=ax.transAxes, ha="right", va="top", fontsize=7, zorder=20,
            path_effects=HALO)


def _graticule_step_deg(span_deg: float) -> float:
    for step in (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0):
        if span_deg / step <= 6:
            return step
    return 10.0


def _graticule(ax, site, extent) -> None:
    """Faint WGS84 lon/lat lines, labelled where they meet the bottom and left frame."""
    x0, x1, y0, y1 = extent
    xs = np.linspace(x0, x1, 50)
    ys = np.linspace(y0, y1, 50)
    bx = np.r_[xs, np.full(50, x1), xs[::-1], np.full(50, x0)]
    by = np.r_[np.full(50, y0), ys, np.full(50, y1), ys[::-1]]
    lon, lat = site.xy_to_lonlat(bx, by)
    step = _graticule_step_deg(max(lon.max() - lon.min(), lat.max() - lat.min()))
    lons = np.arange(math.ceil(lon.min() / step) * step, lon.max(), step)
    lats = np.arange(math.ceil(lat.min() / step) * step, lat.max(), step)
    t = np.linspace(0.0, 1.0, 100)
    xt, xl, yt, yl = [], [], [], []
    for L in lons:
        gx, gy = site.lonlat_to_xy(np.full_like(t, L), lat.min() + t * (lat.max() - lat.min()))
        ax.plot(gx, gy, color="#9a9a9a", lw=0.5, ls=(0, (4, 4)), zorder=1.5)
        xt.append(float(np.interp(y0, gy, gx)))
        xl.append(f"{abs(L):.{_decimals(step)}f}°{'E' if L >= 0 else 'W'}")
    for L in lats:
        gx, gy = site.lonlat_to_xy(lon.min() + t * (lon.max() - lon.min()), np.full_like(t, L))
        ax.plot(gx, gy, color="#9a9a9a", lw=0.5, ls=(0, (4, 4)), zorder=1.5)
        yt.append(float(np.interp(x0, gx, gy)))
        yl.append(f"{abs(L):.{_decimals(step)}f}°{'N' if L >= 0 else 'S'}")
    ax.set_xticks(xt, xl, fontsize=8)
    ax.set_yticks(yt, yl, fontsize=8, rotation=90, va="center")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)


def _decimals(step: float) -> int:
    """Decimals that write ``step`` exactly (0.025 -> 3, 0.5 -> 1, 2 -> 0)."""
    text = f"{step:g}"
    return len(text.split(".")[1]) if "." in text else 0


def _square(bounds, margin_frac: float) -> tuple[float, float, float, float]:
    """A square extent (x0, x1, y0, y1) around ``bounds`` with a margin [fraction of the side]."""
    minx, miny, maxx, maxy = bounds
    side = max(maxx - minx, maxy - miny) * (1.0 + 2.0 * margin_frac)
    cx, cy = 0.5 * (minx + maxx), 0.5 * (miny + maxy)
    return cx - 0.5 * side, cx + 0.5 * side, cy - 0.5 * side, cy + 0.5 * side


def _overview_extent(prepared: Prepared) -> tuple[float, float, float, float]:
    """The launch zone and the base."""
    site = prepared.site
    return _square(shapely.union_all([site.launch_zone, site.base]).bounds, OVERVIEW_MARGIN_FRAC)


def _detail_extent(prepared: Prepared) -> tuple[float, float, float, float]:
    """The defended area and the units (envelopes are clipped to it, never widen it)."""
    site = prepared.site
    parts = [site.defended_area, shapely.multipoints(site.unit_xy_m.reshape(-1, 2))]
    return _square(shapely.union_all(parts).bounds, DETAIL_MARGIN_FRAC)


def _panel(fig, rect, prepared: Prepared, extent, title: str):
    """One map panel: launch zone, base fill, graticule, scale bar, north arrow, title."""
    site = prepared.site
    ax = fig.add_axes(rect)
    ax.set_aspect("equal")
    ax.set_anchor("W")
    _patch(ax, site.launch_zone, facecolor=LAUNCH_ZONE_FILL, edgecolor="#b89b5e", lw=0.8,
           zorder=1)
    _patch(ax, site.base, facecolor=BASE_FILL, edgecolor="none", zorder=2)
    _graticule(ax, site, extent)
    _scale_bar(ax, extent[1] - extent[0])
    _north_arrow(ax, site, (0.5 * (extent[0] + extent[1]), 0.5 * (extent[2] + extent[3])))
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    return ax


def _new_map(prepared: Prepared, title: str, subtitle: str, overview_title: str, detail_title: str):
    """Figure with the overview and detail panels (see the module notes)."""
    site = prepared.site
    fig = Figure(figsize=MAP_SIZE_IN, dpi=MAP_DPI)
    FigureCanvasAgg(fig)
    overview_extent = _overview_extent(prepared)
    detail_extent = _detail_extent(prepared)
    overview = _panel(fig, OVERVIEW_AXES, prepared, overview_extent, overview_title)
    detail = _panel(fig, DETAIL_AXES, prepared, detail_extent, detail_title)
    x0, x1, y0, y1 = detail_extent
    overview.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor="none", edgecolor="#444444",
                                 lw=1.0, ls=(0, (5, 3)), zorder=15))
    fig.text(0.03, 0.975, title, fontsize=15, fontweight="bold", va="top")
    fig.text(0.03, 0.935, subtitle, fontsize=10.5, va="top", color="#333333")
    crs = site.local_crs
    fig.text(0.03, 0.012, f"Drawn in {crs.name} ({crs.to_string()}), metres, so the scale bars are "
             "true; dashed grey lines are WGS84 lon/lat. The dashed box on the left is the area "
             "on the right. Generic, illustrative parameters.", fontsize=8, color="#555555")
    return fig, overview, detail


def _outlines(ax, prepared: Prepared) -> list:
    """Base outline and the site's defended area (base plus margin); legend handles."""
    site = prepared.site
    margin = prepared.scenario.site.defended_margin_m
    _patch(ax, site.base, facecolor="none", edgecolor="#1a1a1a", lw=1.8, zorder=6)
    handles = [Line2D([], [], color="#1a1a1a", lw=1.8, label="base perimeter")]
    if margin > 0:
        _patch(ax, site.defended_area, facecolor="none", edgecolor="#1a1a1a", lw=0.8,
               ls=(0, (2, 2)), zorder=6)
        handles.append(Line2D([], [], color="#1a1a1a", lw=0.8, ls=(0, (2, 2)),
                              label=f"defended area (base + {margin:g} m)"))
    handles.append(Patch(facecolor=LAUNCH_ZONE_FILL, edgecolor="#b89b5e", label="launch zone"))
    return handles


def _units(ax, prepared: Prepared, labels=None) -> list:
    """Unit symbols, engagement envelopes and sensor coverage; labels if given; legend handles.

    A gun's engagement disk is shaded; a battery's intercept ring is only outlined (it usually
    covers the whole map, and what matters on it is the dead zone inside the minimum range).
    """
    site = prepared.site
    kinds_seen: dict[str, dict] = {}
    for u, unit in enumerate(prepared.scenario.defence):
        style = unit.style  # each defence kind says how it is drawn (forceprot.catalog)
        env = unit_envelopes_m(prepared, u)
        if "sensor_coverage" in env:
            _patch(ax, env["sensor_coverage"][0], facecolor="none", edgecolor=style["color"],
                   lw=0.7, ls=(0, (1, 2.5)), alpha=0.7, zorder=7)
        if "engagement_envelope" in env:
            geom = env["engagement_envelope"][0]
            if style["shade_envelope"]:
                _patch(ax, geom, facecolor=style["color"], alpha=0.10, edgecolor="none", zorder=5)
                _patch(ax, geom, facecolor="none", edgecolor=style["color"], lw=1.4, zorder=7)
            else:
                _patch(ax, geom, facecolor="none", edgecolor=style["color"], lw=1.4,
                       ls=(0, (6, 2, 1, 2)), zorder=7)
        x, y = site.unit_xy_m[u]
        ax.plot(x, y, marker=style["marker"], color=style["color"], markersize=11,
                markeredgecolor="white", markeredgewidth=1.2, ls="none", zorder=12)
        if labels is not None:
            labels.add(unit.name, (x, y), fontsize=9, fontweight="bold", color=style["color"])
        kinds_seen.setdefault(unit.kind, style)
    handles = []
    for style in kinds_seen.values():
        if style["shade_envelope"]:
            envelope = Patch(facecolor=mcolors.to_rgba(style["color"], 0.15),
                             edgecolor=style["color"], lw=1.4, label=style["envelope_label"])
        else:
            envelope = Line2D([], [], color=style["color"], lw=1.4, ls=(0, (6, 2, 1, 2)),
                              label=style["envelope_label"])
        handles += [
            Line2D([], [], marker=style["marker"], color=style["color"], ls="none", markersize=10,
                   markeredgecolor="white", label=style["label"]),
            envelope,
            Line2D([], [], color=style["color"], lw=0.8, ls=(0, (1, 2.5)),
                   label="sensor detection range"),
        ]
    return handles


class _Labels:
    """Point labels placed greedily: each takes the first of a few offsets that overlaps neither
    a label placed before it nor a blocked point (a symbol), else the first offset."""

    OFFSETS_PT = ((8, 5, "left", "bottom"), (8, -5, "left", "top"), (-8, 5, "right", "bottom"),
                  (-8, -5, "right", "top"), (0, -12, "center", "top"), (0, 12, "center", "bottom"))
    SYMBOL_HALF_PT = 6.0

    def __init__(self, ax, points_xy) -> None:
        self.ax = ax
        self.renderer = ax.figure.canvas.get_renderer()
        half = self.SYMBOL_HALF_PT * ax.figure.dpi / 72.0
        self.placed = [Bbox.from_extents(px - half, py - half, px + half, py + half)
                       for px, py in ax.transData.transform(np.reshape(points_xy, (-1, 2)))]

    def _annotate(self, text, xy, dx, dy, ha, va, **kwargs):
        return self.ax.annotate(text, xy, xytext=(dx, dy), textcoords="offset points", ha=ha,
                                va=va, zorder=13, path_effects=HALO, **kwargs)

    def add(self, text: str, xy, **kwargs) -> None:
        for dx, dy, ha, va in self.OFFSETS_PT:
            label = self._annotate(text, xy, dx, dy, ha, va, **kwargs)
            box = label.get_window_extent(self.renderer)
            if not any(box.overlaps(other) for other in self.placed):
                break
            label.remove()
        else:
            label = self._annotate(text, xy, *self.OFFSETS_PT[0], **kwargs)
            box = label.get_window_extent(self.renderer)
        self.placed.append(box)


def _labels(ax, prepared: Prepared) -> _Labels:
    site = prepared.site
    return _Labels(ax, np.concatenate([site.unit_xy_m.reshape(-1, 2),
                                       site.asset_xy_m.reshape(-1, 2)]))


def _assets(ax, prepared: Prepared, labels) -> list:
    """Circle assets as their hit-radius circle and a star, polygon assets as their hatched
    outline (holes kept); each labelled."""
    assets = prepared.site.assets
    for a, name in enumerate(assets.names):
        x, y = assets.xy_m[a]
        poly = assets.polygons[a]
        if poly is None:
            _patch(ax, shapely.Point(x, y).buffer(float(assets.radius_m[a]), quad_segs=16),
                   facecolor="none", edgecolor="#111111", lw=0.9, zorder=9)
            ax.plot(x, y, marker="*", color="#111111", markersize=9, ls="none", zorder=10)
        else:
            _patch(ax, poly, facecolor="none", edgecolor="#111111", lw=0.9, hatch="////",
                   zorder=9)
        labels.add(name, (x, y), fontsize=8, fontstyle="italic")
    handles = []
    polygon = assets.is_polygon
    if (~polygon).any():
        handles.append(Line2D([], [], marker="*", color="#111111", ls="none", markersize=9,
                              label="asset (circle: hit radius)"))
    if polygon.any():
        handles.append(Patch(facecolor="none", edgecolor="#111111", hatch="////",
                             label="asset (polygon: hit area)"))
    return handles


def _people(ax, results: Results, prepared: Prepared) -> list:
    """``[people]``'s occupancy areas shaded by casualties per salvo among their people (darker:
    more), and the shelters as small squares."""
    people = prepared.site.people
    if people is None or not results.has_people:
        return []
    cas = np.array([a["expected_casualties_per_salvo"] or 0.0
                    for a in results.exposure_results(prepared)])
    top = float(cas.max()) if len(cas) and cas.max() > 0 else 1.0
    cmap = colormaps["Purples"]
    for k, poly in enumerate(people.polygons):
        _patch(ax, poly, facecolor=cmap(0.15 + 0.85 * cas[k] / top), edgecolor="#3f007d",
               lw=0.6, alpha=0.75, zorder=7)
    if people.n_shelters:
        ax.plot(people.shelter_xy_m[:, 0], people.shelter_xy_m[:, 1], marker="s", ls="none",
                color="#111111", markersize=2.2, zorder=8)
    handles = [Patch(facecolor=cmap(0.6), edgecolor="#3f007d", alpha=0.75,
                     label=f"people (darker: more casualties per salvo, up to {top:.3f})")]
    if people.n_shelters:
        handles.append(Line2D([], [], marker="s", color="#111111", ls="none", markersize=3,
                              label="shelter"))
    return handles


def _grid_image(ax, grid, values: np.ndarray, clip_geometry, cmap, norm):
    """Draw per-cell values (flat, NaN = nothing) as an image clipped to ``clip_geometry``."""
    arr = np.ma.masked_invalid(values.reshape(grid.ny, grid.nx))
    image = ax.imshow(arr, origin="lower", interpolation="nearest", cmap=cmap, norm=norm,
                      extent=(grid.x0, grid.x0 + grid.nx * grid.cell_m, grid.y0,
                              grid.y0 + grid.ny * grid.cell_m), zorder=4)
    clip = PathPatch(_polygon_path(clip_geometry), transform=ax.transData, facecolor="none",
                     edgecolor="none")
    ax.add_patch(clip)
    image.set_clip_path(clip)
    return image


def _colorbar(fig, image, label: str, *, extend: str = "neither"):
    cax = fig.add_axes(COLORBAR_AXES)
    bar = fig.colorbar(image, cax=cax, extend=extend)
    bar.set_label(label, fontsize=10)
    bar.ax.tick_params(labelsize=8)
    return bar


def _legend(fig, handles: list) -> None:
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=LEGEND_CORNER, ncols=4,
               fontsize=8.5, frameon=False, handlelength=2.4, borderaxespad=0.0,
               columnspacing=2.0, labelspacing=0.6)


def _save(fig, path: Path) -> None:
    fig.savefig(path, format="png", dpi=MAP_DPI, facecolor="white")


def _top_launch(ax, top_launch) -> list:
    """Outline and number the launch areas the report lists; legend handle."""
    if top_launch is None or not len(top_launch):
        return []
    for row in top_launch.itertuples():
        _patch(ax, row.polygon_m, facecolor="none", edgecolor=TOP_LAUNCH_COLOR, lw=1.2, zorder=8)
        ax.annotate(str(row.rank), (row.x_m, row.y_m), ha="center", va="center", fontsize=8,
                    fontweight="bold", color="white", zorder=14,
                    bbox={"boxstyle": "circle,pad=0.25", "fc": TOP_LAUNCH_COLOR, "ec": "white",
                          "lw": 1.0})
    side_km = top_launch["side_m"].iloc[0] / 1000.0
    return [Line2D([], [], marker="o", color=TOP_LAUNCH_COLOR, ls="none", markersize=9,
                   markeredgecolor="white",
                   label=f"{side_km:g} km launch areas whose salvos leak most (report.md)"
                   + (": the top group" if "in_top_group" in top_launch else ""))]


# --- the two maps -----------------------------------------------------------------------------

#: Rockets a typical map cell should hold: the run map groups base-grid cells into squares big
#: enough for this (a cell's leaker count then varies by roughly 1/sqrt(300), about 6 %, before
#: clustering), so that the picture shows the defences rather than sampling noise.
ROCKETS_PER_MAP_CELL = 300


def _display_cells(results: Results, prepared: Prepared):
    """The base grid, grouped so a typical cell holds :data:`ROCKETS_PER_MAP_CELL` rockets."""
    grid = results.compiled.base_grid
    area = prepared.site.base_area_m2
    rockets = max(float(results.rockets_threatening), 1.0)
    side_m = math.sqrt(ROCKETS_PER_MAP_CELL * area / rockets)
    k = max(1, math.ceil(side_m / grid.cell_m - 1e-9))
    coarse, summed = coarsen_grid(grid, results.grid, k)
    return coarse, replace(results, grid=summed).base_cells()


def _pct(e) -> str:
    return f"{e.value:.1%} [{e.lo:.1%}–{e.hi:.1%}]" if math.isfinite(e.value) else "n/a"


def _launch_surface(fig, ax, launch_table) -> None:
    """Colour each launch area by the leakers a salvo fired from it puts inside."""
    sampled = launch_table[launch_table["salvos"] > 0]
    if not len(sampled):
        return
    values = sampled["leakers_per_salvo"].to_numpy(dtype=float)
    norm = mcolors.Normalize(vmin=float(np.nanmin(values)), vmax=float(np.nanmax(values)) or 1.0)
    cmap = colormaps[LAUNCH_CMAP]
    for poly, v in zip(sampled["polygon_m"], values):
        _patch(ax, poly, facecolor=cmap(norm(v)), edgecolor="none", alpha=0.75, zorder=3)
    bar_ax = ax.inset_axes(LAUNCH_COLORBAR_INSET)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar_ax,
                       orientation="horizontal")
    bar.set_label("leakers per salvo fired from the area", fontsize=7)
    bar.ax.tick_params(labelsize=6)


def render_run_map(results: Results, prepared: Prepared, path: Path, *, top_launch=None,
                   launch_table=None) -> None:
    """Write ``map.png``: leaker density over the base, launch zone, defences and assets.

    Parameters
    ----------
    results : Results
        The run.
    prepared : Prepared
        The scenario and site the run was compiled from: the map draws them.
    path : Path
        PNG file to write (callers pass a temp path).
    top_launch : DataFrame, optional
        Launch areas to outline and number (:func:`forceprot.outputs.layers.top_launch_areas`),
        as the report lists them.
    launch_table : DataFrame, optional
        Every launch area of the stratified study: the left panel is coloured by it.
    """
    compiled = results.compiled
    sc = prepared.scenario
    site = prepared.site
    grid, cells = _display_cells(results, prepared)
    fig, overview, detail = _new_map(
        prepared, f"{sc.site.name}: where leakers land",
        f"{results.salvos:,} salvos of {sc.threat.tubes} × {sc.threat.rocket}, seed {results.seed}"
        f"  ·  leak rate {_pct(results.leak_rate)}  ·  P(salvo puts ≥ 1 leaker inside) "
        f"{_pct(results.p_any_leak)}  ·  95 % intervals",
        "Launch zone", f"Base: leakers per km² per salvo, {grid.cell_m:g} m cells")

    index, _, area = cells_in(grid, site.base)
    density = np.full(grid.n_cells, np.nan)
    sampled = cells["impacts"][index] > 0
    density[index[sampled]] = cells["leakers_per_salvo"][index[sampled]] / (area[sampled] / 1e6)
    # Colour scale up to the 99th percentile of cells at least half inside: edge slivers are
    # noisy (few rockets over a small area) and would wash the rest out.
    full = sampled & (area >= 0.5 * grid.cell_m ** 2)
    vmax = float(np.nanpercentile(density[index[full]], 99)) if full.any() else 1.0
    vmax = vmax if vmax > 0 else 1.0
    norm = mcolors.Normalize(vmin=0.0, vmax=vmax)
    more = bool(np.nanmax(density) > vmax) if np.isfinite(density).any() else False
    for ax in (overview, detail):
        image = _grid_image(ax, grid, density, site.base, LEAK_CMAP, norm)
    _colorbar(fig, image, "leakers per km² per salvo", extend="max" if more else "neither")

    handles = _outlines(overview, prepared)
    _outlines(detail, prepared)
    labels = _labels(detail, prepared)
    handles += _units(detail, prepared, labels)
    _units(overview, prepared)
    handles += _people(detail, results, prepared)
    handles += _assets(detail, prepared, labels)
    if launch_table is not None:
        _launch_surface(fig, overview, launch_table)
    handles += _top_launch(overview, top_launch)
    if compiled.surveillance is not None:
        handles += _surveillance(overview, compiled, prepared)
    _legend(fig, handles)
    _save(fig, path)


def _surveillance(ax, compiled, prepared: Prepared) -> list:
    """The launch zone no sensor sees (hatched), the sensors and their routes or orbits."""
    surv = compiled.surveillance
    handles = []
    unwatched = shapely.intersection(surv.unwatched_m(), prepared.site.launch_zone)
    if not unwatched.is_empty:
        _patch(ax, unwatched, facecolor="none", edgecolor="0.25", hatch="////", linewidth=0.0,
               zorder=4)
        handles.append(Patch(facecolor="none", edgecolor="0.25", hatch="////",
                             label="launch zone no sensor sees"))
    for s in surv.sensors:
        if s.path_m is not None:
            for part in shapely.get_parts(s.path_m):
                xy = shapely.get_coordinates(part)
                ax.plot(xy[:, 0], xy[:, 1], color="tab:purple", linewidth=1.0, zorder=5)
        else:
            ax.plot(*s.xy_m[0], marker="D", color="tab:purple", markersize=4, zorder=5)
    if surv.sensors:
        handles.append(Line2D([], [], color="tab:purple", marker="D", markersize=4,
                              linewidth=1.0, label="surveillance (routes, orbits, masts)"))
    return handles


def render_coverage_map(coverage: Coverage, prepared: Prepared, path: Path) -> None:
    """Write ``coverage.png``: P(intercept) of a rocket landing in each cell, threshold outlined
    (``prepared``: the scenario and site the coverage map was made for, drawn under it)."""
    results = coverage.results
    sc = prepared.scenario
    site = prepared.site
    plan = coverage.plan
    fig, overview, detail = _new_map(
        prepared, f"{sc.site.name}: where a rocket that lands is intercepted",
        f"covered (P(intercept) ≥ {coverage.threshold:g}): {coverage.covered_share:.1%} of the "
        f"base area; {coverage.covered_share_conservative:.1%} by the 95 % lower bound  ·  "
        f"{results.salvos:,} salvos of {sc.threat.tubes} × {sc.threat.rocket} aimed over "
        f"{plan.n_cells:,} cells, seed {results.seed}",
        "Launch zone", f"Base: P(intercept), {plan.cell_m:g} m cells")
    values = np.full(plan.grid.n_cells, np.nan)
    values[plan.index] = coverage.p_intercept
    norm = mcolors.Normalize(vmin=0.0, vmax=1.0)
    for ax in (overview, detail):
        image = _grid_image(ax, plan.grid, values, site.base, COVERAGE_CMAP, norm)
    bar = _colorbar(fig, image, "P(intercept) of a rocket landing in the cell")
    bar.ax.axhline(coverage.threshold, color="black", lw=2.5)
    bar.ax.text(-0.4, coverage.threshold, "threshold", transform=bar.ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=8, rotation=90)
    handles = _outlines(overview, prepared)
    _outlines(detail, prepared)
    if coverage.covered.any():
        covered = shapely.union_all(plan.polygons[coverage.covered])
        _patch(detail, covered, facecolor="none", edgecolor="black", lw=1.0, hatch="//",
               zorder=5.5)
        handles.append(Patch(facecolor="none", edgecolor="black", hatch="//",
                             label=f"covered: P(intercept) ≥ {coverage.threshold:g}"))
    unsampled = coverage.impacts <= 0
    if unsampled.any():
        for ax in (overview, detail):
            _patch(ax, shapely.union_all(plan.polygons[unsampled]), facecolor="#9e9e9e",
                   edgecolor="none", zorder=4.5)
        handles.append(Patch(facecolor="#9e9e9e", label="no rocket landed (counted not covered)"))
    labels = _labels(detail, prepared)
    handles += _units(detail, prepared, labels)
    _units(overview, prepared)
    handles += _assets(detail, prepared, labels)
    _legend(fig, handles)
    _save(fig, path)
