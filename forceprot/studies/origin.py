"""Where a salvo came from: the launch position behind a set of observed impact points.

The crater-analysis step after an attack (issue #14): given where a salvo's rockets landed (and,
optionally, when), find the posterior over the launch zone of the launcher's position under the
scenario's threat model, its 95 % highest-posterior-density region, the dispersion the pattern
implies, the mean point of impact and the aim point it implies.

The model
---------
It is the kernel's (:mod:`forceprot.kernel.sample`, :func:`forceprot.kernel.salvo.fly_salvo`).
From a launcher at ``L`` the crew lays the salvo on a point at range ``R`` and heading ``h``;
rocket ``i`` flies to range ``R (1 + delta_i)`` and heading ``h + eps_i`` with
``delta_i ~ N(0, range_sigma_frac)`` and ``eps_i ~ N(0, deflection_sigma_rad)``, independent.
In polar coordinates about ``L`` an impact's range ``rho_i`` and bearing ``theta_i`` are then

    rho_i ~ N(R, (range_sigma_frac R)^2),    theta_i ~ N(h, deflection_sigma_rad^2),

exactly without wind (the family's no-wind range at the laid elevation is the laid range, by
construction of :func:`forceprot.flight.family.elevation_index`), and to first order with wind,
where ``(R, h)`` are those of the salvo's *mean point of impact* (the laid point moved by the
wind). So the pattern is elongated along the line of fire (range spread / deflection spread =
``range_sigma_frac / deflection_sigma_rad``, 3 at the defaults) and its size grows with range:
the elongation points back at the launcher, the size says how far. The mean point of impact
``(R, h)`` is a nuisance parameter with a flat prior over the plane (reachable ranges only: ``R``
between the family's minimum and maximum range), which in polar coordinates is
``p(R, h) = R / (pi (R_max^2 - R_min^2))``. The launcher has a flat prior over the launch-zone
polygon. For a candidate ``L``

    p(impacts | L) = prod_i 1/rho_i  x  int p(theta | h) dh / (2 pi)
                     x  int prod_i N(rho_i; R, range_sigma_frac R) 2R / (R_max^2 - R_min^2) dR,

the ``1/rho_i`` being the Jacobian from polar to plane coordinates. The bearing integral is
Gaussian and done analytically; the range integral (the variance depends on ``R``) numerically,
by Gauss-Legendre quadrature of :data:`RANGE_NODES` nodes over +-:data:`RANGE_NODE_HALF_WIDTH`
standard deviations about the integrand's peak (known in closed form), cut to the reach. Both integrals need only each
cell's sample mean and sum of squares of ``rho`` and ``theta``.

Impact times
------------
With impact times ``t_i`` (seconds on any common clock), the time of flight ``tof(rho)`` from
the trajectory family (for the wind relative to the line of fire from ``L``) turns each into a
launch time ``u_i = t_i - tof(rho_i)``. The salvo fires its tubes ``ripple_s`` apart in an unknown
order, so the ``u_i`` must lie, up to a timing error ``N(0, time_sigma_s)``, on a lattice
``t0 + k ripple_s``, ``k = 0 .. tubes-1``, ``t0`` unknown (flat prior). Each rocket's slot ``k`` is
taken as uniform over the tubes and independent of the others (the one-rocket-per-tube constraint
is dropped, which keeps the sum over orders tractable), so

    p(t | L) = tubes^-n  x  int_0^ripple count(phi) prod_i WN(u_i - phi) dphi,

``WN`` the normal density wrapped on the ripple period and ``count(phi)`` the number of lattice
offsets ``t0 = phi + j ripple`` that put every rocket's nearest lattice point into one of the
tubes (``tubes`` less the span of those points, at least 0): exact for the independent-slot
model while ``time_sigma_s`` is well below the ripple. The phase integral is a trapezoid sum over :func:`phase_nodes` nodes. A wrong launcher
puts the wrong time of flight on each rocket, by ``tof'(rho) x`` the range error, and scatters
the ``u_i`` off the lattice: this mostly tells which end of the pattern the launcher stood at
(long rockets land later), which the positions alone cannot. With ``ripple_s = 0`` the ``u_i``
are one time: ``prod_i N(u_i; t0, time_sigma_s)`` integrated over ``t0`` analytically.

The grid
--------
The posterior is evaluated at the centres of :data:`DEFAULT_CELL_M` cells over the launch zone
within reach of the impacts, then again on cells subdivided to about :data:`FINE_CELLS` over the
coarse cells (and their neighbours) that hold all but :data:`REFINE_TAIL` of the mass. Each
cell's prior weight is its area inside the launch zone. The 95 % region is the smallest set of
fine cells holding 95 % of the posterior (highest density first), as a polygon; its connected
parts are *lobes*, and the estimate is the posterior mean of the heaviest lobe: without times a
pattern often leaves two lobes, one at each end of the line of fire.

What one salvo identifies
-------------------------
The launcher's bearing (the pattern's long axis, up to which end) and, through the scenario's
dispersion, its distance. The fitted ``range_sigma_frac`` and ``deflection_sigma_mil`` are the
pattern's spread divided by the range to each candidate launcher, mixed over the posterior: the
spread in metres and the range-to-deflection ratio come from the data, the conversion to
fractions and mils from the launcher's estimated range, itself estimated with the scenario's
dispersion (so a wrong scenario dispersion moves both). ``aim_sigma_m`` (the per-salvo aim error)
is not identifiable from one salvo: a salvo has one aim error, confounded with the aim point. The
laid point (aim point plus that error) is: the mean point of impact less the wind's drift.

Left out: the kernel clips each rocket's range to the family's reach (rockets at the reach limits
pile up there; here they are Gaussian), and with wind the polar Gaussian is a first-order model.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import shapely
from scipy import optimize, special, stats

from forceprot.compile import RAD_PER_MIL, CompiledScenario, Grid, Prepared
from forceprot.errors import GeometryError, OutputError, ScenarioError
from forceprot.flight.family import lay_for_wind

__all__ = [
    "CREDIBLE",
    "DEFAULT_CELL_M",
    "DEFAULT_TIME_SIGMA_S",
    "MAX_IMPACTS",
    "Dispersion",
    "Impacts",
    "Origin",
    "OriginModel",
    "estimate_origin",
    "impacts_from_xy",
    "launch_log_likelihood",
    "phase_nodes",
    "range_log_marginal",
    "read_impacts",
    "time_log_likelihood",
]

#: Probability held by the credible region and the radius [-].
CREDIBLE: Final[float] = 0.95
#: Coarse cell size of the launch-zone grid [m]: the posterior's lobes are hundreds of metres
#: wide for a salvo of a dozen rockets at a few km, so 200 m cells find them; the fine pass
#: then resolves them.
DEFAULT_CELL_M: Final[float] = 200.0
#: Fine cells the second pass aims for over the coarse cells that hold the mass [-].
FINE_CELLS: Final[int] = 20_000
#: Smallest fine cell [m]: below the precision of a crater survey.
MIN_FINE_CELL_M: Final[float] = 5.0
#: Posterior mass of the coarse pass left out of the fine pass [-].
REFINE_TAIL: Final[float] = 1e-4
#: Gauss-Legendre nodes of the range integral, and its half-width [standard deviations of the
#: integrand's peak]: the integrand is below 1e-13 of its peak beyond 8 standard deviations.
RANGE_NODES: Final[int] = 48
RANGE_NODE_HALF_WIDTH: Final[float] = 8.0
#: Width of the bins in ``log s^2`` the dispersion fit groups candidate launchers by [-].
MIXTURE_BIN: Final[float] = 1e-3
#: Standard deviation of the timing error of an observed impact time about the model's (launch
#: slot + time of flight) [s]. Illustrative: a tenth of a second, the order of the family's
#: time-of-flight interpolation and of time-stamping by acoustic or radar detection.
DEFAULT_TIME_SIGMA_S: Final[float] = 0.1
#: Most impacts one estimate takes [-]: the largest salvo a scenario can fire (threat.tubes).
MAX_IMPACTS: Final[int] = 512
#: Cells whose spatial log-likelihood cannot come within this of the best cell's once times are
#: added are not given a time likelihood (their posterior share is below e^-30 each) [nats].
TIME_CUTOFF_NATS: Final[float] = 30.0
#: Most coarse cells over the launch zone in reach [-] (memory and time: a second per ~10^5).
MAX_COARSE_CELLS: Final[int] = 250_000
#: Cell-impact pairs evaluated at once [-] (bounds the working arrays to some 100 MB).
CHUNK_PAIRS: Final[int] = 1_000_000
#: Impacts farther than this from every launch position in reach are refused [m beyond reach].
REACH_SLACK_FRAC: Final[float] = 0.1


# ---------------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Impacts:
    """Observed impact points of one salvo in the site's local CRS.

    Attributes
    ----------
    xy_m : ndarray, float64, shape (n, 2)
        Impact points [m], local UTM.
    times_s : ndarray, float64, shape (n,), or None
        Impact times [s] on a common clock (only differences matter), if observed.
    label : str
        Where they came from (a file name), for messages and outputs.
    """

    xy_m: np.ndarray
    times_s: np.ndarray | None
    label: str

    @property
    def n(self) -> int:
        return int(self.xy_m.shape[0])


def impacts_from_xy(xy_m, times_s=None, *, label: str = "<impacts>") -> Impacts:
    """Impacts given as local-CRS coordinates [m] (and optional times [s])."""
    xy = np.ascontiguousarray(np.asarray(xy_m, dtype=np.float64).reshape(-1, 2))
    times = None if times_s is None else np.ascontiguousarray(np.asarray(times_s, np.float64))
    return Impacts(xy, times, label)


def read_impacts(path: str | Path, site, *, times_field: str | None = None) -> Impacts:
    """Read observed impact points (any CRS) and reproject them to the site's local CRS.

    Parameters
    ----------
    path : str or Path
        A point layer (GeoJSON, GeoPackage, Shapefile, FlatGeobuf) with a CRS; multipoints are
        split into points. A file of several layers must hold exactly one point layer.
    site : SiteGeometry
        The scenario's site (:func:`forceprot.geo.load_site`): its local CRS.
    times_field : str, optional
        Attribute holding each impact's time: seconds (numbers) or date-times.

    Raises
    ------
    GeometryError
        Missing or unreadable file, no CRS, no points, non-point features, more than
        :data:`MAX_IMPACTS` points, coordinates that do not fit the CRS, a missing or
        unusable times field, a point without a time.
    """
    import pyogrio

    from forceprot.geo import GDAL_NETWORK_OFF, _check_geojson_crs, _layer_format

    path = Path(path)
    label = str(path)
    fld = "geometry"
    if _layer_format(path, label=label, field_name=fld) == "GeoJSON":
        _check_geojson_crs(path, label=label, field_name=fld)
    pyogrio.set_gdal_config_options(GDAL_NETWORK_OFF)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL messages can quote file content
        try:
            layers = pyogrio.list_layers(path)
            layer = None
            if len(layers) > 1:
                points = [str(n) for n, kind in layers if kind is not None and "Point" in str(kind)]
                if len(points) != 1:
                    raise GeometryError(
                        f"the file holds {len(layers)} layers, {len(points)} of points; keep one "
                        "point layer in the file", file=label, field=fld)
                layer = points[0]
            frame = pyogrio.read_dataframe(path, layer=layer)
        except GeometryError:
            raise
        except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, ...
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GeometryError(f"cannot read as a vector layer: {reason}", file=label,
                                field=fld) from None
    if frame.crs is None:
        raise GeometryError("layer has no CRS; give it one (e.g. EPSG:4326)", file=label,
                            field=fld)
    geoms = frame.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.all():
        raise GeometryError("layer has no impact points", file=label, field=fld,
                            value=len(frame), has_value=True)
    if missing.any():
        raise GeometryError(f"feature {int(np.flatnonzero(missing)[0])} has no geometry",
                            file=label, field=fld)
    kinds = set(shapely.get_type_id(geoms).tolist())
    if not kinds <= {0, 4}:  # Point, MultiPoint
        names = sorted({g.geom_type for g in geoms})
        raise GeometryError(f"layer must hold points, found {', '.join(names)}", file=label,
                            field=fld)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    if len(parts) > MAX_IMPACTS:
        raise GeometryError(f"{len(parts)} impact points, at most {MAX_IMPACTS} (one salvo)",
                            file=label, field=fld, value=len(parts), has_value=True)
    xy = shapely.get_coordinates(parts)
    crs = frame.crs
    if crs.is_geographic and (np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90):
        raise GeometryError(f"coordinates are not lon/lat, but the layer's CRS is "
                            f"{crs.to_string()} (CRS mismatch?)", file=label, field=fld)
    from pyproj import Transformer

    tx = Transformer.from_crs(crs, site.local_crs, always_xy=True)
    x, y = tx.transform(xy[:, 0], xy[:, 1])
    local = np.column_stack([x, y])
    if not np.isfinite(local).all():
        raise GeometryError("a point cannot be transformed to the site's CRS", file=label,
                            field=fld)
    times = None
    if times_field is not None:
        times = _times_column(frame, times_field, label)[owner]
    return impacts_from_xy(local, times, label=label)


def _times_column(frame, name: str, label: str) -> np.ndarray:
    """Seconds from a numeric or date-time column (relative to its earliest value)."""
    import pandas as pd

    columns = [c for c in frame.columns if c != frame.geometry.name]
    if name not in columns:
        valid = ", ".join(map(str, columns)) or "none"
        raise GeometryError(f"no such attribute; the layer has: {valid}", file=label,
                            field="--times-field", value=name)
    col = frame[name]
    if col.isna().any():
        i = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise GeometryError(f"feature {i} has no time", file=label, field=name)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        seconds = col.to_numpy(dtype=np.float64)
    else:
        try:
            stamps = pd.to_datetime(col, utc=True, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            raise GeometryError("times must be seconds (numbers) or ISO 8601 date-times", file=label,
                                field=name, value=col.iloc[0]) from None
        seconds = (stamps - stamps.min()).dt.total_seconds().to_numpy(dtype=np.float64)
    if not np.isfinite(seconds).all():
        i = int(np.flatnonzero(~np.isfinite(seconds))[0])
        raise GeometryError("time is not a finite number", file=label, field=name,
                            value=col.iloc[i])
    return seconds - seconds.min()


# ------------------------------------------------------------------------------------ the model


@dataclass(frozen=True)
class OriginModel:
    """The threat model the impacts are traced back under (SI units, radians).

    Attributes
    ----------
    range_sigma_frac : float
        Per-rocket range error, standard deviation / range [-], > 0.
    deflection_sigma_rad : float
        Per-rocket deflection error, standard deviation [rad], > 0.
    min_range_m, max_range_m : float
        The family's reach [m]: the mean point of impact lies at a range between them.
    tubes : int
        Rockets per salvo [-]: launch slots of the ripple.
    ripple_s : float
        Interval between rockets [s].
    time_sigma_s : float
        Timing error of an observed impact time [s], > 0.
    wind_to_rad : float
        Direction the wind blows toward, counter-clockwise from east [rad].
    """

    range_sigma_frac: float
    deflection_sigma_rad: float
    min_range_m: float
    max_range_m: float
    tubes: int
    ripple_s: float
    time_sigma_s: float = DEFAULT_TIME_SIGMA_S
    wind_to_rad: float = 0.0

    @classmethod
    def from_compiled(cls, compiled: CompiledScenario, prepared: Prepared, *,
                      time_sigma_s: float = DEFAULT_TIME_SIGMA_S) -> "OriginModel":
        """The scenario's threat model; refuses a dispersion of zero (nothing to trace).

        ``compiled`` gives the model's numbers; ``prepared``, what it was compiled from, names
        a zero dispersion as the scenario wrote it."""
        sc = prepared.scenario
        for name in ("range_sigma_frac", "deflection_sigma_mil"):
            value = getattr(sc.threat, name)
            if not value > 0:
                raise ScenarioError(
                    "must be > 0 to trace impacts back: the spread of the pattern is what "
                    "points at the launcher", file=sc.label, field=f"threat.{name}", value=value)
        s, f = compiled.inputs.salvo, compiled.inputs.family
        return cls(range_sigma_frac=float(s.range_sigma_frac),
                   deflection_sigma_rad=float(s.deflection_sigma_rad),
                   min_range_m=float(f.min_range_m), max_range_m=float(f.max_range_m),
                   tubes=int(s.tubes), ripple_s=float(s.ripple_s),
                   time_sigma_s=float(time_sigma_s), wind_to_rad=float(s.wind_to_rad))


def _polar(launch_xy_m: np.ndarray, impact_xy_m: np.ndarray):
    """Range [m] and bearing [rad, relative to the bearing of the impacts' centroid] of every
    impact from every launcher, shapes (cells, n)."""
    d = impact_xy_m[None, :, :] - launch_xy_m[:, None, :]
    rho = np.hypot(d[..., 0], d[..., 1])
    c = impact_xy_m.mean(axis=0)
    ref = np.arctan2(c[1] - launch_xy_m[:, 1], c[0] - launch_xy_m[:, 0])
    theta = np.angle(np.exp(1j * (np.arctan2(d[..., 1], d[..., 0]) - ref[:, None])))
    return rho, theta, ref


def range_log_marginal(rho_mean_m, rho_ss_m2, n: int, model: OriginModel) -> np.ndarray:
    """log of the range integral: ``int prod_i N(rho_i; R, s R) 2R/(R_max^2-R_min^2) dR``.

    Parameters
    ----------
    rho_mean_m : ndarray, float64, shape (cells,)
        Mean range of the impacts from each candidate launcher [m].
    rho_ss_m2 : ndarray, float64, shape (cells,)
        Sum of squared deviations of those ranges from their mean [m^2].
    n : int
        Impacts [-].
    model : OriginModel

    Returns
    -------
    ndarray, float64, shape (cells,)
        The log integral (``-inf`` where no reachable ``R`` fits).

    Notes
    -----
    With ``x = R / rho_mean`` and ``a = rho_ss / (n rho_mean^2)`` the integrand (bar the prior) is
    ``x^-n exp(-n (a + (1 - x)^2) / (2 s^2 x^2))``, whose peak solves ``s^2 x^2 + x = 1 + a``;
    its width is about ``s / sqrt(n)`` in ``log x``. Gauss-Legendre quadrature of
    :data:`RANGE_NODES` nodes in ``log x`` over +-:data:`RANGE_NODE_HALF_WIDTH` widths about the
    peak, cut to the reach (a hard edge inside the interval would cost a trapezoid rule its
    accuracy).
    """
    s = model.range_sigma_frac
    rho_mean_m = np.asarray(rho_mean_m, np.float64)
    a = np.asarray(rho_ss_m2, np.float64) / (n * rho_mean_m ** 2)
    x_peak = (-1.0 + np.sqrt(1.0 + 4.0 * s * s * (1.0 + a))) / (2.0 * s * s)
    width = s / math.sqrt(n)
    # the interval in log x: the peak +- RANGE_NODE_HALF_WIDTH widths, cut to the reach
    lo = np.maximum(np.log(x_peak) - RANGE_NODE_HALF_WIDTH * width,
                    np.log(model.min_range_m / rho_mean_m))
    hi = np.minimum(np.log(x_peak) + RANGE_NODE_HALF_WIDTH * width,
                    np.log(model.max_range_m / rho_mean_m))
    empty = hi <= lo
    hi = np.where(empty, lo + width, hi)
    t, w = np.polynomial.legendre.leggauss(RANGE_NODES)
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    log_x = mid[:, None] + half[:, None] * t[None, :]
    x = np.exp(log_x)
    r = rho_mean_m[:, None] * x
    log_f = (-n * np.log(r) - 0.5 * n * math.log(2.0 * math.pi * s * s)
             - n * (a[:, None] + (1.0 - x) ** 2) / (2.0 * s * s * x * x)
             + np.log(2.0 * r / (model.max_range_m ** 2 - model.min_range_m ** 2)))
    # dR = R d(log x)
    out = special.logsumexp(log_f + np.log(r) + np.log(w)[None, :], axis=1) + np.log(half)
    return np.where(empty, -np.inf, out)


def launch_log_likelihood(launch_xy_m, impact_xy_m, model: OriginModel):
    """log p(impact points | launcher at each candidate), up to one constant for all candidates.

    Parameters
    ----------
    launch_xy_m : ndarray, float64, shape (cells, 2)
        Candidate launcher positions [m].
    impact_xy_m : ndarray, float64, shape (n, 2)
        Impact points [m].
    model : OriginModel

    Returns
    -------
    log_lik : ndarray, float64, shape (cells,)
        Bearing integral (analytic), range integral (:func:`range_log_marginal`) and the polar
        Jacobian ``-sum log rho_i`` (see the module notes).
    stats : dict of ndarray
        Per candidate: ``rho_mean_m``, ``rho_ss_m2``, ``theta_ss_rad2`` and ``heading_rad`` (to
        the impacts' mean bearing), for the dispersion fit.
    """
    launch_xy_m = np.asarray(launch_xy_m, np.float64).reshape(-1, 2)
    impact_xy_m = np.asarray(impact_xy_m, np.float64).reshape(-1, 2)
    n = impact_xy_m.shape[0]
    rho, theta, ref = _polar(launch_xy_m, impact_xy_m)
    rho_mean = rho.mean(axis=1)
    rho_ss = ((rho - rho_mean[:, None]) ** 2).sum(axis=1)
    theta_mean = theta.mean(axis=1)
    theta_ss = ((theta - theta_mean[:, None]) ** 2).sum(axis=1)
    sd = model.deflection_sigma_rad
    # int prod_i N(theta_i; h, sd) dh / (2 pi), h over the line (sd << 2 pi)
    log_bearing = (-0.5 * (n - 1) * math.log(2.0 * math.pi * sd * sd) - 0.5 * math.log(n)
                   - theta_ss / (2.0 * sd * sd) - math.log(2.0 * math.pi))
    log_lik = log_bearing + range_log_marginal(rho_mean, rho_ss, n, model) \
        - np.log(rho).sum(axis=1)
    stats_ = {"rho_mean_m": rho_mean, "rho_ss_m2": rho_ss, "theta_ss_rad2": theta_ss,
              "heading_rad": ref + theta_mean}
    return log_lik, stats_


# ---------------------------------------------------------------------------------------- times


def _tof_tables(family):
    """Ground range [m] and time of flight [s] of each family elevation, per wind column:
    shapes (n_elev, n_relaz), and the relative-azimuth step [rad]."""
    last = family.node_pos_m.shape[2] - 1
    ground = np.hypot(family.node_pos_m[:, :, last, 0], family.node_pos_m[:, :, last, 1])
    return ground, np.asarray(family.tof_s), float(family.relaz_step_rad)


def time_of_flight(rho_m, heading_rad, family, wind_to_rad: float) -> np.ndarray:
    """Time of flight [s] of a rocket landing ``rho_m`` from its launcher fired on
    ``heading_rad``, from the family (linear in ground range between elevations, linear in the
    wind's azimuth relative to the line of fire between the family's columns).

    Parameters
    ----------
    rho_m : ndarray, float64, shape (cells, n)
        Ground ranges [m].
    heading_rad : ndarray, float64, shape (cells,)
        Line of fire, counter-clockwise from east [rad].
    family : FamilyTable
    wind_to_rad : float
        Direction the wind blows toward [rad].
    """
    ground, tof, step = _tof_tables(family)
    n_az = ground.shape[1]
    rho_m = np.asarray(rho_m, np.float64)
    if n_az == 1:
        return np.interp(rho_m, ground[:, 0], tof[:, 0])
    fa = np.mod(wind_to_rad - np.asarray(heading_rad), 2.0 * math.pi) / step
    ia0 = np.floor(fa).astype(np.int64) % n_az
    wa = fa - np.floor(fa)
    ia1 = (ia0 + 1) % n_az
    out = np.zeros_like(rho_m)
    for j in range(n_az):
        w = np.where(ia0 == j, 1.0 - wa, 0.0) + np.where(ia1 == j, wa, 0.0)
        rows = w > 0
        if rows.any():
            out[rows] += w[rows, None] * np.interp(rho_m[rows], ground[:, j], tof[:, j])
    return out


def phase_nodes(n: int, model: OriginModel) -> int:
    """Trapezoid nodes over one ripple period: 1.5 per width ``w = time_sigma_s / sqrt(n)`` of
    the phase likelihood's peak, between 16 and 4096.

    The integrand is periodic and smooth, so the trapezoid rule converges spectrally: a peak of
    width ``w`` sampled every ``h`` aliases with relative error about
    ``exp(-2 pi^2 w^2 / h^2)``, ``e^-44`` at ``h = w / 1.5`` (Trefethen and Weideman, "The
    exponentially convergent trapezoidal rule", SIAM Review 56(3), 2014, doi:10.1137/130932132,
    section 3).
    """
    width = model.time_sigma_s / math.sqrt(max(n, 1))
    return int(min(max(math.ceil(1.5 * model.ripple_s / width), 16), 4096))


def _wrap_terms(model: OriginModel) -> range:
    """Shifts ``k`` of the wrapped normal's sum for ``x`` in ``[0, ripple)``: those within six
    standard deviations (``|x + k ripple| < 6 time_sigma_s`` for some ``x``)."""
    k = int(math.floor(6.0 * model.time_sigma_s / model.ripple_s))
    return range(-k - 1, k + 1)


def time_log_likelihood(launch_t_s: np.ndarray, model: OriginModel) -> np.ndarray:
    """log p(impact times | launcher), given each rocket's implied launch time.

    Parameters
    ----------
    launch_t_s : ndarray, float64, shape (cells, n)
        ``u_i = t_i - tof(rho_i)`` for each candidate launcher [s].
    model : OriginModel

    Returns
    -------
    ndarray, float64, shape (cells,)
        The ripple-lattice likelihood of the module notes (``-inf`` where the ``u_i`` span more
        than the salvo's tubes).
    """
    u = np.asarray(launch_t_s, np.float64)
    n = u.shape[1]
    sig = model.time_sigma_s
    if model.ripple_s <= 0.0:
        ss = ((u - u.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
        return (-0.5 * (n - 1) * math.log(2.0 * math.pi * sig * sig) - 0.5 * math.log(n)
                - ss / (2.0 * sig * sig))
    P = model.ripple_s
    m = phase_nodes(n, model)
    phi = np.arange(m) * (P / m)  # periodic trapezoid: equal weights P / m
    out = np.empty(u.shape[0])
    chunk = max(1, 2_000_000 // max(1, n * m))
    for lo in range(0, u.shape[0], chunk):
        shifted = (u[lo:lo + chunk, :, None] - phi[None, None, :]) / P  # (c, n, m) [periods]
        # the lattice offsets t0 = phi + j ripple that fit every rocket into a tube: the
        # nearest lattice index of each rocket spans `span`, leaving tubes - span offsets
        j = np.rint(shifted)
        count = model.tubes - (j.max(axis=1) - j.min(axis=1))  # (c, m)
        log_count = np.log(np.maximum(count, 1.0)) + np.where(count > 0, 0.0, -np.inf)
        x = np.mod(shifted, 1.0) * P
        wn = np.zeros_like(x)
        for k in _wrap_terms(model):
            wn += np.exp(-0.5 * ((x + k * P) / sig) ** 2)
        log_wn = np.log(wn) - math.log(sig * math.sqrt(2.0 * math.pi))
        out[lo:lo + chunk] = special.logsumexp(log_wn.sum(axis=1) + log_count, axis=1) \
            + math.log(P / m)
    return -n * math.log(model.tubes) + out


# ---------------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Dispersion:
    """A fitted dispersion figure: posterior median and 95 % interval (None if not identifiable)."""

    value: float | None
    lo: float | None
    hi: float | None

    def to_dict(self) -> dict:
        return {"value": self.value, "ci": [self.lo, self.hi]}


@dataclass(frozen=True)
class Origin:
    """The posterior over the launch position and what follows from it (local CRS, metres).

    Attributes
    ----------
    compiled : CompiledScenario
        The scenario (site geometry, family) it was computed under.
    impacts : Impacts
    model : OriginModel
    cell_xy_m : ndarray, float64, shape (cells, 2)
        Centres of the fine cells [m].
    cell_m : float
        Their side [m].
    cell_area_m2 : ndarray, float64, shape (cells,)
        Their area inside the launch zone [m^2].
    mass : ndarray, float64, shape (cells,)
        Posterior probability of each cell [-], summing to 1.
    in_region : ndarray, bool, shape (cells,)
        Cells of the 95 % highest-posterior-density region.
    region_m : shapely geometry
        That region as a (multi)polygon [m].
    lobe : ndarray, int64, shape (cells,)
        Connected part of the region each cell belongs to (-1 outside), heaviest lobe 0.
    lobe_mass : ndarray, float64
        Posterior mass of each lobe [-].
    estimate_xy_m : ndarray, float64, shape (2,)
        The estimate: posterior mean of the heaviest lobe, or its densest cell where that mean
        lies outside the lobe [m].
    map_xy_m : ndarray, float64, shape (2,)
        The centre of the highest-density cell [m].
    radius_95_m : float
        Radius of the circle about the estimate holding 95 % of the posterior [m].
    radius_95_lobe_m : float
        The same for the heaviest lobe's own mass [m].
    mpi_xy_m : ndarray, float64, shape (2,)
        Mean point of impact [m].
    aim_xy_m : ndarray, float64, shape (2,)
        Laid point implied by the estimate: the point the crew laid on (aim point plus the
        salvo's aim error), the mean point of impact less the wind's drift [m].
    range_sigma_frac, deflection_sigma_mil : Dispersion
        Fitted per-rocket dispersion [-, mil].
    range_spread_m, deflection_spread_m : float or None
        Sample standard deviation of the impacts along and across the line of fire from the
        estimate [m].
    times_used : bool
        Whether impact times entered the likelihood.
    """

    compiled: CompiledScenario
    impacts: Impacts
    model: OriginModel
    cell_xy_m: np.ndarray
    cell_m: float
    cell_area_m2: np.ndarray
    mass: np.ndarray
    in_region: np.ndarray
    region_m: object
    lobe: np.ndarray
    lobe_mass: np.ndarray
    estimate_xy_m: np.ndarray
    map_xy_m: np.ndarray
    radius_95_m: float
    radius_95_lobe_m: float
    mpi_xy_m: np.ndarray
    aim_xy_m: np.ndarray
    range_sigma_frac: Dispersion
    deflection_sigma_mil: Dispersion
    range_spread_m: float | None
    deflection_spread_m: float | None
    times_used: bool
    notes: tuple[str, ...] = field(default=())

    @staticmethod
    def lonlat(xy_m, prepared: Prepared) -> tuple[float, float]:
        """A point of the site's local CRS [m] as lon, lat [deg] (``prepared``: the scenario
        the estimate was made for)."""
        lon, lat = prepared.site.xy_to_lonlat(xy_m[0], xy_m[1])
        return float(lon), float(lat)

    def contains(self, xy_m) -> bool:
        """Whether a point [m] lies in the 95 % region."""
        return bool(self.region_m.covers(shapely.Point(float(xy_m[0]), float(xy_m[1]))))

    @property
    def range_m(self) -> float:
        """Distance from the estimate to the mean point of impact [m]."""
        return float(np.hypot(*(self.mpi_xy_m - self.estimate_xy_m)))

    @property
    def bearing_deg(self) -> float:
        """Compass bearing of the line of fire, from the estimate to the mean point of impact
        [deg]."""
        d = self.mpi_xy_m - self.estimate_xy_m
        return float(np.degrees(np.arctan2(d[0], d[1])) % 360.0)

    def summary(self, prepared: Prepared) -> dict:
        """The figures under stable keys (``forceprot origin --json``, ``origin.json``), in the
        site of ``prepared`` (the scenario the estimate was made for)."""
        lon, lat = self.lonlat(self.estimate_xy_m, prepared)
        map_lon, map_lat = self.lonlat(self.map_xy_m, prepared)
        mpi_lon, mpi_lat = self.lonlat(self.mpi_xy_m, prepared)
        aim_lon, aim_lat = self.lonlat(self.aim_xy_m, prepared)
        sc = prepared.scenario
        return {
            "lon": lon, "lat": lat,
            "radius_95_m": self.radius_95_m,
            "radius_95_main_lobe_m": self.radius_95_lobe_m,
            "region_95_area_km2": float(self.region_m.area / 1e6),
            "lobes": int(len(self.lobe_mass)),
            "p_main_lobe": float(self.lobe_mass[0]),
            "map_lon": map_lon, "map_lat": map_lat,
            "range_to_mean_impact_m": self.range_m,
            "bearing_of_fire_deg": self.bearing_deg,
            "mean_point_of_impact": {"lon": mpi_lon, "lat": mpi_lat},
            "implied_aim": {"lon": aim_lon, "lat": aim_lat},
            "range_sigma_frac": self.range_sigma_frac.to_dict(),
            "deflection_sigma_mil": self.deflection_sigma_mil.to_dict(),
            "range_spread_m": self.range_spread_m,
            "deflection_spread_m": self.deflection_spread_m,
            "impacts": self.impacts.n,
            "impacts_file": self.impacts.label,
            "times_used": self.times_used,
            "time_sigma_s": self.model.time_sigma_s if self.times_used else None,
            "scenario": sc.label,
            "assumed": {"range_sigma_frac": sc.threat.range_sigma_frac,
                        "deflection_sigma_mil": sc.threat.deflection_sigma_mil,
                        "tubes": sc.threat.tubes, "ripple_s": sc.threat.ripple_s,
                        "rocket": sc.threat.rocket},
            "cell_m": self.cell_m,
            "notes": list(self.notes),
        }

    def threat_toml(self, prepared: Prepared) -> str:
        """The fitted ``[threat]`` accuracy fields, to paste into a scenario (``prepared``: the
        scenario the estimate was made for, whose site places the launcher)."""
        lon, lat = self.lonlat(self.estimate_xy_m, prepared)
        lines = [f"# Fitted by forceprot origin from {self.impacts.n} impact(s) in "
                 f"{Path(self.impacts.label).name}:",
                 f"# launcher near lon {lon:.5f}, lat {lat:.5f} (95 % within "
                 f"{self.radius_95_m:,.0f} m).",
                 "# The data give the pattern's spread in metres along and across the line of",
                 "# fire; these fractions divide it by the range to the estimated launcher,",
                 "# itself estimated with the scenario's dispersion.",
                 "# aim_sigma_m is not identifiable from one salvo (one salvo, one aim error,",
                 "# confounded with the aim point): keep the scenario's."]
        if self.range_sigma_frac.value is None:
            lines.append("# One impact: no dispersion can be fitted; keep the scenario's values.")
            return "\n".join(lines) + "\n"
        r, d = self.range_sigma_frac, self.deflection_sigma_mil
        lines += ["[threat]",
                  f"range_sigma_frac = {r.value:.4g}        # 95 % interval {r.lo:.4g} - "
                  f"{r.hi:.4g}",
                  f"deflection_sigma_mil = {d.value:.3g}     # 95 % interval {d.lo:.3g} - "
                  f"{d.hi:.3g}"]
        return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------ estimate


def _candidate_cells(zone, boxes) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``boxes`` overlapping ``zone`` and their area inside it [m^2]."""
    shapely.prepare(zone)
    hit = np.flatnonzero(shapely.intersects(zone, boxes))
    inside = shapely.contains(zone, boxes[hit])
    area = shapely.area(boxes[hit])
    edge = ~inside
    if edge.any():
        area[edge] = shapely.area(shapely.intersection(boxes[hit][edge], zone))
    keep = area > 1.0
    return hit[keep], area[keep]


def _log_posterior(xy_m: np.ndarray, area_m2: np.ndarray, impacts: Impacts, model: OriginModel,
                   family) -> tuple[np.ndarray, dict]:
    """Unnormalised log posterior mass of cells centred at ``xy_m`` with prior weight
    ``area_m2``, and the per-cell statistics (in chunks of at most :data:`CHUNK_PAIRS`
    cell-impact pairs)."""
    step = max(1, CHUNK_PAIRS // impacts.n)
    parts = [launch_log_likelihood(xy_m[i:i + step], impacts.xy_m, model)
             for i in range(0, len(xy_m), step)]
    ll = np.concatenate([p[0] for p in parts])
    st = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]}
    if impacts.times_s is not None and impacts.n >= 2 and np.isfinite(ll).any():
        best = int(np.nanargmax(ll))
        t_all = np.full(ll.shape, -np.inf)
        t_best = _times_at(xy_m[[best]], st["heading_rad"][[best]], impacts, model, family)[0]
        # a cell that stays TIME_CUTOFF_NATS below the spatially best cell even with the most
        # the times could add (_time_upper_bound) gets no time likelihood, and no mass
        upper = _time_upper_bound(impacts.n, model)
        keep = ll + upper >= ll[best] + t_best - TIME_CUTOFF_NATS
        keep &= np.isfinite(ll)
        t_all[keep] = _times_at(xy_m[keep], st["heading_rad"][keep], impacts, model, family)
        ll = ll + t_all
    return ll + np.log(area_m2), st


def _time_upper_bound(n: int, model: OriginModel) -> float:
    """An upper bound of :func:`time_log_likelihood` over launch times [nats]."""
    sig = model.time_sigma_s
    if model.ripple_s <= 0.0:
        return -0.5 * (n - 1) * math.log(2.0 * math.pi * sig * sig) - 0.5 * math.log(n)
    P = model.ripple_s
    peak = sum(math.exp(-0.5 * (k * P / sig) ** 2) for k in _wrap_terms(model))
    log_wn0 = math.log(peak) - math.log(sig * math.sqrt(2.0 * math.pi))
    return -n * math.log(model.tubes) + math.log(model.tubes) + n * log_wn0 + math.log(P)


def _times_at(xy_m, heading_rad, impacts: Impacts, model: OriginModel, family) -> np.ndarray:
    step = max(1, CHUNK_PAIRS // impacts.n)
    out = np.empty(len(xy_m))
    for i in range(0, len(xy_m), step):
        d = impacts.xy_m[None, :, :] - xy_m[i:i + step, None, :]
        rho = np.hypot(d[..., 0], d[..., 1])
        u = impacts.times_s[None, :] - time_of_flight(rho, heading_rad[i:i + step], family,
                                                       model.wind_to_rad)
        out[i:i + step] = time_log_likelihood(u, model)
    return out


def _normalise(log_mass: np.ndarray) -> np.ndarray:
    finite = np.isfinite(log_mass)
    out = np.zeros_like(log_mass)
    out[finite] = np.exp(log_mass[finite] - log_mass[finite].max())
    return out / out.sum()


def _scaled_inv_chi2_quantiles(s2: np.ndarray, weight: np.ndarray, dof: int,
                               probs=(0.5, 0.025, 0.975)) -> list[float]:
    """Quantiles of sigma under a mixture (weights ``weight``) of the posteriors
    ``dof s2 / sigma^2 ~ chi2(dof)`` (flat prior on log sigma), by root finding on the CDF."""
    keep = weight > 1e-12 * weight.max()
    # the mixture's components binned by log s2 (bins 1e-3 wide: a 0.05 % step in sigma)
    log_s2 = np.log(s2[keep])
    bins = np.floor(log_s2 / MIXTURE_BIN).astype(np.int64)
    _, inv = np.unique(bins, return_inverse=True)
    w = np.bincount(inv, weights=weight[keep])
    s2 = np.exp(np.bincount(inv, weights=weight[keep] * log_s2) / w)
    w = w / w.sum()

    def cdf(log_sigma: float) -> float:
        return float(np.dot(w, stats.chi2.sf(dof * s2 / math.exp(2.0 * log_sigma), dof)))

    lo = 0.5 * math.log(s2.min()) - 10.0
    hi = 0.5 * math.log(s2.max()) + 10.0
    return [math.exp(optimize.brentq(lambda v: cdf(v) - p, lo, hi, xtol=1e-10)) for p in probs]


def _dispersion(st: dict, mass: np.ndarray, n: int) -> tuple[Dispersion, Dispersion]:
    if n < 2:
        return Dispersion(None, None, None), Dispersion(None, None, None)
    s2_r = st["rho_ss_m2"] / ((n - 1) * st["rho_mean_m"] ** 2)
    s2_d = st["theta_ss_rad2"] / (n - 1)
    r = _scaled_inv_chi2_quantiles(s2_r, mass, n - 1)
    d = [v / RAD_PER_MIL for v in _scaled_inv_chi2_quantiles(s2_d, mass, n - 1)]
    return Dispersion(*r), Dispersion(*d)


def _weighted_radius(xy_m: np.ndarray, mass: np.ndarray, centre: np.ndarray, p: float) -> float:
    """Smallest radius about ``centre`` whose cells hold ``p`` of ``mass`` [m] (cell centres)."""
    r = np.hypot(xy_m[:, 0] - centre[0], xy_m[:, 1] - centre[1])
    order = np.argsort(r)
    cum = np.cumsum(mass[order]) / mass.sum()
    return float(r[order][min(np.searchsorted(cum, p), len(r) - 1)])


def _implied_aim(compiled: CompiledScenario, launch_xy_m: np.ndarray,
                 mpi_xy_m: np.ndarray, *, wind_mps: float) -> np.ndarray:
    """The laid point that puts the nominal rocket from ``launch_xy_m`` on ``mpi_xy_m``
    (``wind_mps``: the scenario's wind speed [m/s])."""
    salvo, family = compiled.inputs.salvo, compiled.inputs.family
    if salvo.wind_laying or wind_mps == 0.0:
        return mpi_xy_m.copy()  # no wind, or the crew aimed off for it: laid point = MPI
    d = mpi_xy_m - launch_xy_m
    lay_range, lay_heading = lay_for_wind(family, float(salvo.wind_to_rad),
                                          float(np.hypot(*d)), float(np.arctan2(d[1], d[0])))
    return launch_xy_m + lay_range * np.array([math.cos(lay_heading), math.sin(lay_heading)])


def _spreads(impacts: Impacts, launch_xy_m: np.ndarray) -> tuple[float | None, float | None]:
    if impacts.n < 2:
        return None, None
    c = impacts.xy_m.mean(axis=0)
    axis = (c - launch_xy_m) / np.hypot(*(c - launch_xy_m))
    d = impacts.xy_m - c
    along = d @ axis
    across = d @ np.array([-axis[1], axis[0]])
    return float(np.std(along, ddof=1)), float(np.std(across, ddof=1))


def estimate_origin(compiled: CompiledScenario, prepared: Prepared, impacts: Impacts, *,
                    cell_m: float = DEFAULT_CELL_M,
                    time_sigma_s: float = DEFAULT_TIME_SIGMA_S,
                    credible: float = CREDIBLE, fine_cells: int = FINE_CELLS) -> Origin:
    """The posterior over where a salvo was fired from, given its impact points.

    Parameters
    ----------
    compiled : CompiledScenario
        The scenario whose threat model (rocket family, dispersion, salvo, wind) is assumed.
    prepared : Prepared
        What ``compiled`` was compiled from: its site's launch zone is searched.
    impacts : Impacts
        Impact points in the site's local CRS [m], optionally with times [s].
    cell_m : float
        Coarse cell size of the launch-zone grid [m]; the fine pass subdivides it.
    time_sigma_s : float
        Timing error of an observed impact time [s] (only with times).
    credible : float
        Probability of the region and the radius [-].
    fine_cells : int
        Cells the fine pass aims for [-] (fewer: faster, coarser region).

    Returns
    -------
    Origin

    Raises
    ------
    GeometryError
        No launch position within the rocket's reach of all the impacts.
    ScenarioError
        A zero dispersion in the scenario; impact times no salvo of the scenario could make.
    """
    model = OriginModel.from_compiled(compiled, prepared, time_sigma_s=time_sigma_s)
    family = compiled.inputs.family
    site = prepared.site
    n = impacts.n
    notes: list[str] = []
    if impacts.times_s is not None and n < 2:
        notes.append("one impact: its time says nothing about the launcher (times ignored)")
    if n > model.tubes:
        notes.append(f"{n} impacts but the scenario's salvo has {model.tubes} tubes: more than "
                     "one salvo, or threat.tubes is too small")

    _check_pattern(impacts, site, model)
    # coarse pass: the launch zone within reach of the impacts
    centre = impacts.xy_m.mean(axis=0)
    spread = float(np.hypot(*(impacts.xy_m - centre).T).max())
    reach = model.max_range_m * (1.0 + 6.0 * model.range_sigma_frac) + spread
    zone = site.launch_zone.intersection(shapely.Point(*centre).buffer(reach, quad_segs=32))
    if zone.is_empty or zone.area < 1.0:
        _out_of_reach(impacts, site, model)
    grid = Grid.covering(zone, cell_m, label=impacts.label, field="--cell-m")
    if grid.n_cells > MAX_COARSE_CELLS:
        raise OutputError(f"would make {grid.n_cells:,} cells over the launch zone in reach (at "
                          f"most {MAX_COARSE_CELLS:,}); use a larger cell size",
                          file=impacts.label, field="--cell-m", value=cell_m)
    idx, area = _candidate_cells(zone, grid.boxes())
    cx, cy = grid.centers()
    xy = np.column_stack([cx[idx], cy[idx]])
    log_mass, _ = _log_posterior(xy, area, impacts, model, family)
    if not np.isfinite(log_mass).any():
        if impacts.times_s is not None and n >= 2:
            sc = prepared.scenario
            raise ScenarioError(
                f"the impact times span {np.ptp(impacts.times_s):.1f} s, more than a salvo of "
                f"{model.tubes} tubes {model.ripple_s:g} s apart can from any launch position",
                file=sc.label, field="threat.ripple_s", value=model.ripple_s)
        _out_of_reach(impacts, site, model)
    mass = _normalise(log_mass)

    # fine pass: subdivide the coarse cells holding the mass, and their neighbours
    order = np.argsort(mass)[::-1]
    n_keep = int(np.searchsorted(np.cumsum(mass[order]), 1.0 - REFINE_TAIL)) + 1
    chosen = np.zeros(grid.n_cells, bool)
    flat = idx[order[:n_keep]]
    iy, ix = np.divmod(flat, grid.nx)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            jx, jy = ix + dx, iy + dy
            ok = (jx >= 0) & (jx < grid.nx) & (jy >= 0) & (jy < grid.ny)
            chosen[jy[ok] * grid.nx + jx[ok]] = True
    chosen_idx = np.flatnonzero(chosen)
    target = math.sqrt(len(chosen_idx) * cell_m ** 2 / fine_cells)
    k = max(1, math.ceil(cell_m / max(target, MIN_FINE_CELL_M)))
    fine_m = cell_m / k
    # one lattice of fine cells, edges at x0 + i fine_m: neighbours share their edges exactly
    ix, iy = np.divmod(chosen_idx, grid.nx)[::-1]
    sub = np.arange(k)
    fix = (ix[:, None, None] * k + sub[None, None, :]).repeat(k, axis=1).ravel()
    fiy = (iy[:, None, None] * k + sub[None, :, None]).repeat(k, axis=2).ravel()
    x0 = grid.x0 + fix * fine_m
    y0 = grid.y0 + fiy * fine_m
    x1 = grid.x0 + (fix + 1) * fine_m
    y1 = grid.y0 + (fiy + 1) * fine_m
    fx, fy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    boxes = shapely.box(x0, y0, x1, y1)
    fidx, farea = _candidate_cells(zone, boxes)
    fxy = np.column_stack([fx[fidx], fy[fidx]])
    flog, st = _log_posterior(fxy, farea, impacts, model, family)
    fmass = _normalise(flog)

    # the credible region: highest density (mass per area) first
    density = np.where(fmass > 0, fmass / farea, 0.0)
    order = np.argsort(density)[::-1]
    cum = np.cumsum(fmass[order])
    n_in = int(np.searchsorted(cum, credible)) + 1
    in_region = np.zeros(len(fmass), bool)
    in_region[order[:n_in]] = True
    region = shapely.union_all(shapely.intersection(boxes[fidx][in_region], zone),
                               grid_size=None)
    region = shapely.union_all([g for g in shapely.get_parts(region)
                                if g.geom_type in ("Polygon", "MultiPolygon")])
    parts = shapely.get_parts(region)
    lobe = np.full(len(fmass), -1, np.int64)
    pts = shapely.points(fxy[in_region])
    tree = shapely.STRtree(parts)
    p_idx, part_idx = tree.query(pts, predicate="intersects")
    region_cells = np.flatnonzero(in_region)
    lobe[region_cells[p_idx]] = part_idx
    lobe_mass = np.array([fmass[lobe == j].sum() for j in range(len(parts))])
    rank = np.argsort(lobe_mass)[::-1]
    relabel = np.empty_like(rank)
    relabel[rank] = np.arange(len(rank))
    lobe = np.where(lobe >= 0, relabel[np.maximum(lobe, 0)], -1)
    lobe_mass = lobe_mass[rank]
    # the heaviest lobe's posterior mean (over its cells in the region)
    main = lobe == 0
    estimate = (fxy[main] * fmass[main, None]).sum(axis=0) / fmass[main].sum()
    if not parts[rank[0]].buffer(fine_m).covers(shapely.Point(*estimate)):
        # a curved lobe (one impact: a ring around it) can have its mean outside it
        cells = np.flatnonzero(main)
        estimate = fxy[cells[np.argmax(density[cells])]].copy()
        notes.append("the main part of the 95 % region is curved and its mean lies outside it: "
                     "the estimate is its densest cell")
    map_xy = fxy[int(np.argmax(density))]
    radius = _weighted_radius(fxy, fmass, estimate, credible)
    radius_lobe = _weighted_radius(fxy[main], fmass[main], estimate, credible)
    if len(lobe_mass) > 1:
        notes.append(f"the 95 % region has {len(lobe_mass)} separate parts; the estimate is in "
                     f"the heaviest ({lobe_mass[0]:.0%} of the posterior)"
                     + ("; impact times would tell which end of the pattern the launcher was "
                        "at" if impacts.times_s is None and n >= 2 else ""))
    mpi = impacts.xy_m.mean(axis=0)
    r_fit, d_fit = _dispersion(st, fmass, n)
    along, across = _spreads(impacts, estimate)
    return Origin(
        compiled=compiled, impacts=impacts, model=model, cell_xy_m=fxy, cell_m=float(fine_m),
        cell_area_m2=farea, mass=fmass, in_region=in_region, region_m=region, lobe=lobe,
        lobe_mass=lobe_mass, estimate_xy_m=estimate, map_xy_m=map_xy, radius_95_m=radius,
        radius_95_lobe_m=radius_lobe, mpi_xy_m=mpi,
        aim_xy_m=_implied_aim(compiled, estimate, mpi,
                              wind_mps=prepared.scenario.threat.wind_mps),
        range_sigma_frac=r_fit,
        deflection_sigma_mil=d_fit, range_spread_m=along, deflection_spread_m=across,
        times_used=impacts.times_s is not None and n >= 2, notes=tuple(notes))


#: An impact farther than this many standard deviations of the larger per-rocket error at the
#: rocket's maximum range from the pattern's median point is not of one salvo [-].
PATTERN_SIGMAS: Final[float] = 8.0


def _check_pattern(impacts: Impacts, site, model: OriginModel) -> None:
    """Refuse impacts no launcher in the zone can reach, or too scattered for one salvo."""
    d = shapely.distance(shapely.points(impacts.xy_m), site.launch_zone)
    limit = model.max_range_m * (1.0 + REACH_SLACK_FRAC)
    if (d > limit).any():
        _out_of_reach(impacts, site, model)
    median = np.median(impacts.xy_m, axis=0)
    off = np.hypot(*(impacts.xy_m - median).T)
    radius = PATTERN_SIGMAS * max(model.range_sigma_frac, model.deflection_sigma_rad) \
        * model.max_range_m
    if impacts.n >= 2 and off.max() > radius:
        i = int(np.argmax(off))
        lon, lat = site.xy_to_lonlat(impacts.xy_m[i, 0], impacts.xy_m[i, 1])
        raise GeometryError(
            f"point {i} lies {off[i]:,.0f} m from the pattern's median point, more than one "
            f"salvo spreads under the scenario's dispersion ({radius:,.0f} m: "
            f"{PATTERN_SIGMAS:g} standard deviations at the maximum range); give one salvo's "
            "impacts, or check threat.range_sigma_frac", file=impacts.label, field="geometry",
            value=f"{float(lon):.5f}, {float(lat):.5f}")


def _out_of_reach(impacts: Impacts, site, model: OriginModel):
    """Raise the one-line error for impacts no launch position in the zone can reach."""
    d = shapely.distance(shapely.points(impacts.xy_m), site.launch_zone)
    i = int(np.argmax(d))
    lon, lat = site.xy_to_lonlat(impacts.xy_m[i, 0], impacts.xy_m[i, 1])
    raise GeometryError(
        f"no launch position in the scenario's launch zone is within the rocket's reach "
        f"({model.min_range_m:.0f}-{model.max_range_m:.0f} m) of every impact (point {i} is "
        f"{d[i]:,.0f} m from the zone)", file=impacts.label, field="geometry",
        value=f"{float(lon):.5f}, {float(lat):.5f}")
