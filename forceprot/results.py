"""Results of a run: reduced tallies, the rocket stories, and the estimates built from them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from forceprot.kernel import tally as T
from forceprot.compile import CompiledScenario, Prepared
from forceprot.stats import (
    Estimate,
    cluster_mean,
    finite_or_none,
    histogram_quantile,
    mean_estimate,
    proportion,
    ratio,
    ratio_effective_n,
    wilson_interval,
)

__all__ = ["Results", "UnitResult", "SUMMARY_VERSION", "fired_scalars"]

#: Version of the summary.json layout; bumped when a key changes meaning.
#: 2: per-unit ``kills`` -> ``kills_credited``, ``kill_draws_won`` -> ``successful_kill_draws``;
#: ``assumptions`` and ``accounting_terms`` added (forceprot.assumptions).
SUMMARY_VERSION = 2


def fired_scalars(scalars: np.ndarray) -> np.ndarray:
    """Scalar tallies (rows of shape (..., N_SCALARS)) of a run without surveillance, with the
    per-attempted-salvo columns filled as they are when every salvo is fired (p = 0): the
    kernel leaves them 0 then, so runs without surveillance keep their tallies as they were."""
    out = np.array(scalars, dtype=np.float64, copy=True)
    for attempt, fired in ((T.S_LEAKED_ATTEMPT, T.S_LEAKED), (T.S_LEAKED_ATTEMPT2, T.S_LEAKED2),
                           (T.S_ANY_LEAK_ATTEMPT, T.S_SALVOS_ANY_LEAK),
                           (T.S_ANY_LEAK_ATTEMPT2, T.S_SALVOS_ANY_LEAK),
                           (T.S_ASSET_RISK_ATTEMPT, T.S_ASSET_RISK),
                           (T.S_ASSET_RISK_ATTEMPT2, T.S_ASSET_RISK2),
                           (T.S_KILLED_ATTEMPT, T.S_KILLED), (T.S_KILLED_ATTEMPT2, T.S_KILLED2),
                           (T.S_P_CASUALTY_ATTEMPT, T.S_P_CASUALTY),
                           (T.S_P_CASUALTY_ATTEMPT2, T.S_P_CASUALTY2)):
        out[..., attempt] = out[..., fired]
    return out


@dataclass(frozen=True)
class UnitResult:
    name: str
    kind: str
    engagements: int
    kills: int
    hits: int
    shots: int
    salvos_exhausted: int
    salvos_engaged: int
    engagements_per_salvo: float
    kill_share: Estimate     # share of rockets landing inside that this unit killed first
    engagements_on_killed: int = 0   # engagements of rockets another unit had already destroyed
    threatening_in_sector: int = 0   # rockets landing inside that fell in the unit's sector
    threatening_with_window: int = 0  # ... that it had an engagement window on
    threatening_engaged: int = 0      # rockets landing inside that it engaged
    threatening_taken: int = 0        # ... it could engage but another unit killed first


@dataclass
class Results:
    """Everything a run produced, with estimates as properties.

    The results hold the compiled arrays they were run on, not the scenario: the figures that
    name or measure the scenario's parts (assets, people, assumptions, terrain, the summary)
    take the :class:`~forceprot.compile.Prepared` the run was compiled from as ``prepared``.

    Attributes
    ----------
    compiled : CompiledScenario
        What was run.
    seed : int
        Root seed.
    salvos : int
        Salvos sampled (fewer than requested if the run stopped at the requested precision).
    scalars : ndarray, float64, shape (N_SCALARS,)
        Reduced scalar tallies (:mod:`forceprot.kernel.tally`).
    units, grid, launch, assets, warn_hist : ndarray
        Reduced per-unit, base-grid, launch-grid, asset tallies and the warning histogram.
    story, story_units : ndarray
        Full record of the first ``story_salvos`` salvos' rockets.
    """

    compiled: CompiledScenario
    seed: int
    salvos_requested: int
    salvos: int
    scalars: np.ndarray
    units: np.ndarray
    grid: np.ndarray
    launch: np.ndarray
    assets: np.ndarray
    warn_hist: np.ndarray
    story: np.ndarray
    story_units: np.ndarray
    threads: int = 1
    elapsed_s: float = 0.0
    precision_target: float | None = None
    stopped_early: bool = False
    extra: dict = field(default_factory=dict)
    #: casualty tallies by attack hour (N_HOUR, 24) and by occupancy polygon (n_polys,
    #: N_EXPOSURE); zeros without [people]
    hours: np.ndarray | None = None
    exposure: np.ndarray | None = None

    # --- headline estimates ----------------------------------------------------------------
    def _s(self, k: int) -> float:
        return float(self.scalars[k])

    @property
    def rockets_fired(self) -> int:
        return int(self._s(T.S_FIRED))

    @property
    def rockets_threatening(self) -> int:
        return int(self._s(T.S_THREAT))

    @property
    def rockets_leaked(self) -> int:
        return int(self._s(T.S_LEAKED))

    @property
    def rockets_intercepted(self) -> int:
        return int(self._s(T.S_INTERCEPTED))

    @cached_property
    def leak_rate(self) -> Estimate:
        """Leaked / threatening rockets, over salvos as clusters."""
        s = self.scalars
        return ratio(s[T.S_LEAKED], s[T.S_THREAT], s[T.S_LEAKED2], s[T.S_THREAT2],
                     s[T.S_THREAT_LEAKED], s[T.S_SALVOS])

    @cached_property
    def threat_fraction(self) -> Estimate:
        """Share of fired rockets that land inside the base (fired per salvo is constant)."""
        s = self.scalars
        tubes = self.compiled.tubes
        n = s[T.S_SALVOS]
        return ratio(s[T.S_THREAT], s[T.S_FIRED], s[T.S_THREAT2], n * tubes * tubes,
                     tubes * s[T.S_THREAT], n)

    @cached_property
    def p_any_leak(self) -> Estimate:
        """P(a salvo puts at least one unintercepted rocket inside the base)."""
        return proportion(self._s(T.S_SALVOS_ANY_LEAK), self._s(T.S_SALVOS))

    @cached_property
    def p_any_inside(self) -> Estimate:
        """P(a salvo would put at least one rocket inside, defences aside)."""
        return proportion(self._s(T.S_SALVOS_ANY_THREAT), self._s(T.S_SALVOS))

    @cached_property
    def expected_leakers_per_salvo(self) -> Estimate:
        return mean_estimate(self._s(T.S_LEAKED), self._s(T.S_LEAKED2), self._s(T.S_SALVOS))

    @cached_property
    def expected_threatening_per_salvo(self) -> Estimate:
        return mean_estimate(self._s(T.S_THREAT), self._s(T.S_THREAT2), self._s(T.S_SALVOS))

    @cached_property
    def warning_mean_s(self) -> Estimate:
        """Mean warning time over threatening rockets [s] (no warning counts as 0), with a
        95 % interval that takes the salvo as the sampling unit (:func:`cluster_mean`)."""
        return cluster_mean(self._s(T.S_WARN_SUM_S), self._s(T.S_WARN_N),
                            self._s(T.S_WARN_SALVO2), self._s(T.S_THREAT2),
                            self._s(T.S_WARN_THREAT), self._s(T.S_SALVOS))

    @property
    def warning_p05_s(self) -> float:
        """5th percentile of warning time over threatening rockets [s] (0.25 s bins)."""
        return histogram_quantile(self.warn_hist, T.WARN_BIN_S, 0.05)

    @property
    def undetected_fraction(self) -> float:
        n = self._s(T.S_WARN_N)
        return self._s(T.S_UNDETECTED) / n if n > 0 else math.nan

    @property
    def detection_delay_mean_s(self) -> float:
        """Mean time from launch to the first detection of a threatening rocket that some unit
        tracked before impact [s]."""
        n = self._s(T.S_TRACKED_N)
        return self._s(T.S_DETECT_DELAY_SUM_S) / n if n > 0 else math.nan

    @property
    def track_delay_mean_s(self) -> float:
        """Mean time from launch to the first fire-control track of the same rockets [s]: the
        warning counts from here."""
        n = self._s(T.S_TRACKED_N)
        return self._s(T.S_TRACK_DELAY_SUM_S) / n if n > 0 else math.nan

    @cached_property
    def asset_risk_per_salvo(self) -> Estimate:
        """Weighted asset hits per salvo (sum over assets of weight x leakers hitting it)."""
        return mean_estimate(self._s(T.S_ASSET_RISK), self._s(T.S_ASSET_RISK2), self._s(T.S_SALVOS))

    # --- before the salvo (forceprot.surveillance) ---------------------------------------------
    @property
    def has_surveillance(self) -> bool:
        """The scenario has ``[[surveillance]]`` (else nothing is prevented)."""
        return self.compiled.surveillance is not None

    @cached_property
    def p_prevented(self) -> Estimate:
        """P(a salvo is prevented before it fires): the mean over salvos of ``p_s``, the
        probability of prevention at the salvo's launcher, with a t interval that takes the
        salvo as the sampling unit (:func:`mean_estimate`). Exactly 0 without surveillance."""
        if not self.has_surveillance:
            return mean_estimate(0.0, 0.0, self._s(T.S_SALVOS))
        return mean_estimate(self._s(T.S_P_PREVENT), self._s(T.S_P_PREVENT2),
                             self._s(T.S_SALVOS))

    @property
    def p_detect_before_fire(self) -> float:
        """Mean over salvos of P(the launch team is found before it fires) [-]."""
        n = self._s(T.S_SALVOS)
        return self._s(T.S_P_DETECT) / n if n > 0 else math.nan

    @cached_property
    def expected_leakers_per_attempted_salvo(self) -> Estimate:
        """Leakers per attempted salvo (a prevented salvo fires nothing): the mean over salvos
        of ``(1 - p_s) leaked_s``, t interval. Equals the per-salvo figure without surveillance."""
        if not self.has_surveillance:
            return self.expected_leakers_per_salvo
        return mean_estimate(self._s(T.S_LEAKED_ATTEMPT), self._s(T.S_LEAKED_ATTEMPT2),
                             self._s(T.S_SALVOS))

    @cached_property
    def p_any_leak_per_attempted_salvo(self) -> Estimate:
        """P(an attempted salvo is fired and puts at least one leaker inside): the mean over
        salvos of ``(1 - p_s) [leaked_s > 0]``, t interval (the values are not 0/1, so not
        Wilson)."""
        if not self.has_surveillance:
            return self.p_any_leak
        return mean_estimate(self._s(T.S_ANY_LEAK_ATTEMPT), self._s(T.S_ANY_LEAK_ATTEMPT2),
                             self._s(T.S_SALVOS))

    @cached_property
    def asset_risk_per_attempted_salvo(self) -> Estimate:
        """Weighted asset hits per attempted salvo, as :attr:`asset_risk_per_salvo`."""
        if not self.has_surveillance:
            return self.asset_risk_per_salvo
        return mean_estimate(self._s(T.S_ASSET_RISK_ATTEMPT), self._s(T.S_ASSET_RISK_ATTEMPT2),
                             self._s(T.S_SALVOS))

    @cached_property
    def expected_killed_per_attempted_salvo(self) -> Estimate:
        """Expected killed per attempted salvo (``[people]``), as
        :attr:`expected_leakers_per_attempted_salvo`."""
        if not self.has_surveillance:
            return self.expected_killed_per_salvo
        return mean_estimate(self._s(T.S_KILLED_ATTEMPT), self._s(T.S_KILLED_ATTEMPT2),
                             self._s(T.S_SALVOS))

    @cached_property
    def p_casualty_per_attempted_salvo(self) -> Estimate:
        """P(an attempted salvo is fired and kills or wounds at least one person) (``[people]``):
        the mean over salvos of ``(1 - p_s) P(casualty)_s``, t interval."""
        if not self.has_surveillance:
            return self.p_casualty
        return mean_estimate(self._s(T.S_P_CASUALTY_ATTEMPT), self._s(T.S_P_CASUALTY_ATTEMPT2),
                             self._s(T.S_SALVOS))

    def before_the_salvo(self) -> dict:
        """The surveillance figures under stable keys (``summary.json``, with surveillance):
        ``p_prevented`` and ``_ci``, ``p_detect_before_fire``, the per-attempted-salvo
        leakers, P(>= 1 leaker) and asset risk with intervals, the share of the launch zone no
        sensor sees, and each sensor's rate and revisit time."""
        from forceprot.stats import finite_or_none as fin

        def ci(e: Estimate) -> list:
            return [fin(e.lo), fin(e.hi)]

        surv = self.compiled.surveillance
        g = surv.grid
        zone_cells = max(int(surv.in_zone.sum()), 1)
        return {
            "p_prevented": fin(self.p_prevented.value),
            "p_prevented_ci": ci(self.p_prevented),
            "p_detect_before_fire": fin(self.p_detect_before_fire),
            "expected_leakers_per_attempted_salvo":
                fin(self.expected_leakers_per_attempted_salvo.value),
            "expected_leakers_per_attempted_salvo_ci": ci(self.expected_leakers_per_attempted_salvo),
            "p_any_leak_per_attempted_salvo": fin(self.p_any_leak_per_attempted_salvo.value),
            "p_any_leak_per_attempted_salvo_ci": ci(self.p_any_leak_per_attempted_salvo),
            "asset_risk_per_attempted_salvo": fin(self.asset_risk_per_attempted_salvo.value),
            "asset_risk_per_attempted_salvo_ci": ci(self.asset_risk_per_attempted_salvo),
            **({"expected_killed_per_attempted_salvo":
                fin(self.expected_killed_per_attempted_salvo.value),
                "expected_killed_per_attempted_salvo_ci":
                ci(self.expected_killed_per_attempted_salvo),
                "p_casualty_per_attempted_salvo": fin(self.p_casualty_per_attempted_salvo.value),
                "p_casualty_per_attempted_salvo_ci": ci(self.p_casualty_per_attempted_salvo)}
               if self.has_people else {}),
            "launch_zone_unwatched_share":
                float(np.count_nonzero(surv.in_zone & (surv.rate_per_min <= 0)) / zone_cells),
            "surveillance_cell_m": float(g.cell_m),
            "sensors": [{"name": s.name, "kind": s.kind,
                         "detect_rate_per_min": s.rate_per_min,
                         "revisit_min": s.revisit_min} for s in surv.sensors],
        }

    @property
    def rockets_per_second(self) -> float:
        return self.rockets_fired / self.elapsed_s if self.elapsed_s > 0 else math.nan

    # --- per unit ----------------------------------------------------------------------------
    @cached_property
    def unit_results(self) -> list[UnitResult]:
        out = []
        n_salvos = max(self._s(T.S_SALVOS), 1.0)
        threat = self._s(T.S_THREAT)
        for u, (name, kind) in enumerate(zip(self.compiled.unit_names, self.compiled.unit_kinds)):
            row = self.units[u]
            kills = row[T.U_KILLS]
            out.append(UnitResult(
                name=name, kind=kind,
                engagements=int(row[T.U_ENGAGEMENTS]), kills=int(kills), hits=int(row[T.U_HITS]),
                shots=int(row[T.U_SHOTS]), salvos_exhausted=int(row[T.U_EXHAUSTED]),
                salvos_engaged=int(row[T.U_SALVOS_ENGAGED]),
                engagements_per_salvo=float(row[T.U_ENGAGEMENTS] / n_salvos),
                kill_share=ratio(row[T.U_KILLS_INSIDE], threat, row[T.U_KILLS_INSIDE2],
                                 self._s(T.S_THREAT2), row[T.U_KILLS_INSIDE_THREAT],
                                 self._s(T.S_SALVOS)),
                engagements_on_killed=int(row[T.U_ON_KILLED]),
                threatening_in_sector=int(row[T.U_SECTOR_THREAT]),
                threatening_with_window=int(row[T.U_WINDOW_THREAT]),
                threatening_engaged=int(row[T.U_ENGAGED_THREAT]),
                threatening_taken=int(row[T.U_TAKEN_THREAT]),
            ))
        return out

    # --- maps ----------------------------------------------------------------------------------
    def base_cells(self) -> dict[str, np.ndarray]:
        """Per base-grid cell: impacts and leakers per salvo, intercept probability and interval.

        ``p_intercept`` is the probability that a rocket landing in the cell is intercepted,
        from the rockets that landed there, with a cluster-robust Wilson interval.
        """
        g = self.grid
        n = max(self.salvos, 1)
        threat = g[T.G_THREAT]
        inter = g[T.G_INTERCEPTED]
        p, n_eff = ratio_effective_n(inter, threat, g[T.G_INTERCEPTED2], g[T.G_THREAT2],
                                     g[T.G_THREAT_INTERCEPTED], n)
        lo, hi = wilson_interval(np.nan_to_num(p), n_eff)
        return {
            "impacts": threat,
            "leakers": threat - inter,
            "impacts_per_salvo": threat / n,
            "leakers_per_salvo": (threat - inter) / n,
            "p_intercept": p,
            "p_intercept_lo": np.where(threat > 0, lo, np.nan),
            "p_intercept_hi": np.where(threat > 0, hi, np.nan),
            "n_eff": n_eff,
        }

    def launch_cells(self) -> dict[str, np.ndarray]:
        """Per launch-grid cell: salvos fired from it and expected leakers per such salvo (t CI)."""
        from scipy.special import stdtrit  # t quantile without importing scipy.stats (start-up)

        lt = self.launch
        salvos = lt[T.L_SALVOS]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(salvos > 0, lt[T.L_LEAKED] / salvos, np.nan)
            var = np.where(salvos > 1, (lt[T.L_LEAKED2] - salvos * mean * mean) / (salvos - 1), np.nan)
            var = np.maximum(var, 0.0)
            tq = np.where(salvos > 1, stdtrit(np.maximum(salvos - 1, 1), 0.975), np.nan)
            half = tq * np.sqrt(var / salvos)
            threat = np.where(salvos > 0, lt[T.L_THREAT] / salvos, np.nan)
            p_detect = np.where(salvos > 0, lt[T.L_P_DETECT] / salvos, np.nan)
        return {
            "salvos": salvos,
            "leakers_per_salvo": mean,
            "leakers_per_salvo_lo": np.maximum(mean - half, 0.0),
            "leakers_per_salvo_hi": mean + half,
            "threatening_per_salvo": threat,
            "share_of_salvos": salvos / max(self.salvos, 1),
            # mean over the cell's salvos of P(the team is found before it fires)
            "p_detect_before_fire": p_detect,
        }

    def asset_results(self, prepared: Prepared) -> list[dict]:
        """Per asset (``[[asset]]`` points, then the ``[assets]`` layer's features): leakers
        hitting it per salvo, with a t interval over salvos (the salvo is the sampling unit),
        and the probability that a salvo hits it at least once, with a Wilson interval.

        Keys: ``name``, ``kind`` (``circle`` or ``polygon``), ``source``, ``weight`` [-],
        ``radius_m`` (null for a polygon) [m], ``area_m2`` (hit area) [m^2],
        ``leakers_per_salvo`` and ``_ci``, ``p_hit`` and ``p_hit_ci``.

        Parameters
        ----------
        prepared : Prepared
            The scenario the run was compiled from (its assets' names, kinds and areas).
        """
        out = []
        n = self._s(T.S_SALVOS)
        assets = prepared.site.assets
        area_m2 = assets.hit_area_m2()
        for a, name in enumerate(assets.names):
            est = mean_estimate(self.assets[a, T.A_HITS], self.assets[a, T.A_HITS2], n)
            p_hit = proportion(self.assets[a, T.A_SALVOS_HIT], n)
            polygon = assets.polygons[a] is not None
            out.append({"name": name, "kind": "polygon" if polygon else "circle",
                        "source": assets.sources[a], "weight": float(assets.weight[a]),
                        "radius_m": None if polygon else float(assets.radius_m[a]),
                        "area_m2": float(area_m2[a]),
                        "leakers_per_salvo": est.value,
                        "leakers_per_salvo_ci": est.as_list(),
                        "p_hit": p_hit.value, "p_hit_ci": p_hit.as_list()})
        return out

    # --- people at risk -------------------------------------------------------------------------
    @property
    def has_people(self) -> bool:
        """The run scored casualties: the scenario has ``[people]`` (:mod:`forceprot.people`)
        and the study kept them (:meth:`CompiledScenario.without_people`)."""
        return int(self.compiled.inputs.people.n_polys) > 0

    def _mean(self, k: int, k2: int) -> Estimate:
        return mean_estimate(self._s(k), self._s(k2), self._s(T.S_SALVOS))

    @property
    def expected_killed_per_salvo(self) -> Estimate:
        """Expected killed per salvo, weighted over the attack hours; t interval over salvos."""
        return self._mean(T.S_KILLED, T.S_KILLED2)

    @property
    def expected_wounded_per_salvo(self) -> Estimate:
        """Expected wounded (not killed) per salvo; t interval over salvos."""
        return self._mean(T.S_WOUNDED, T.S_WOUNDED2)

    @property
    def p_casualty(self) -> Estimate:
        """P(a salvo kills or wounds at least one person); t interval over salvos of each
        salvo's probability."""
        return self._mean(T.S_P_CASUALTY, T.S_P_CASUALTY2)

    def warning_value(self) -> dict[str, Estimate]:
        """What sense-and-warn saves per salvo: killed and casualties (killed or wounded) had
        nobody been warned, minus with the warning, on the same salvos (paired: t interval
        over the per-salvo differences)."""
        n = self._s(T.S_SALVOS)
        killed = self._s(T.S_KILLED)
        cas = killed + self._s(T.S_WOUNDED)
        return {
            "killed": mean_estimate(self._s(T.S_KILLED_NO_WARNING) - killed,
                                    self._s(T.S_KILLED_SAVED2), n),
            "casualties": mean_estimate(self._s(T.S_CASUALTIES_NO_WARNING) - cas,
                                        self._s(T.S_CASUALTIES_SAVED2), n),
            "killed_without_warning": Estimate(self._s(T.S_KILLED_NO_WARNING) / n
                                               if n else math.nan, math.nan, math.nan),
            "casualties_without_warning": Estimate(self._s(T.S_CASUALTIES_NO_WARNING) / n
                                                   if n else math.nan, math.nan, math.nan),
        }

    def casualties_by_hour(self) -> list[dict]:
        """Per attack hour (local time), the same salvos as if each came at that hour: expected
        killed and wounded per salvo and P(at least one casualty), each with a t interval over
        salvos, and the hour's attack probability."""
        n = self._s(T.S_SALVOS)
        hours = self.hours if self.hours is not None else np.zeros((T.N_HOUR, 24))
        w = self.compiled.inputs.people.hour_w
        out = []
        for h in range(hours.shape[1]):
            k = mean_estimate(hours[T.H_KILLED, h], hours[T.H_KILLED2, h], n)
            wd = mean_estimate(hours[T.H_WOUNDED, h], hours[T.H_WOUNDED2, h], n)
            p = mean_estimate(hours[T.H_P_CASUALTY, h], hours[T.H_P_CASUALTY2, h], n)
            out.append({"hour": h, "attack_probability": float(w[h]),
                        "expected_killed_per_salvo": finite_or_none(k.value),
                        "expected_killed_per_salvo_ci": [finite_or_none(k.lo),
                                                         finite_or_none(k.hi)],
                        "expected_wounded_per_salvo": finite_or_none(wd.value),
                        "expected_wounded_per_salvo_ci": [finite_or_none(wd.lo),
                                                          finite_or_none(wd.hi)],
                        "p_casualty": finite_or_none(p.value),
                        "p_casualty_ci": [finite_or_none(p.lo), finite_or_none(p.hi)]})
        return out

    def exposure_results(self, prepared: Prepared) -> list[dict]:
        """Per occupancy polygon: its kind, people at the busiest hour, and the expected killed
        and casualties among its people per salvo (weighted over the attack hours), with a t
        interval over salvos for the casualties; ``casualties_per_1000_people`` divides by the
        hour-weighted people present. ``prepared``: the scenario the run was compiled from
        (its occupancy polygons)."""
        people = prepared.site.people
        if people is None or not self.has_people:
            return []
        n = self._s(T.S_SALVOS)
        w = self.compiled.inputs.people.hour_w
        out = []
        for k, name in enumerate(people.names):
            e = self.exposure[k] if self.exposure is not None else np.zeros(T.N_EXPOSURE)
            cas = mean_estimate(e[T.E_CASUALTIES], e[T.E_CASUALTIES2], n)
            present = float(people.people_h[k] @ w)
            out.append({"name": name, "kind": people.kinds[k],
                        "people_peak": float(people.people_h[k].max()),
                        "people_present_mean": present,
                        "expected_killed_per_salvo": finite_or_none(e[T.E_KILLED] / n if n
                                                                    else math.nan),
                        "expected_casualties_per_salvo": finite_or_none(cas.value),
                        "expected_casualties_per_salvo_ci": [finite_or_none(cas.lo),
                                                             finite_or_none(cas.hi)],
                        "casualties_per_1000_people": finite_or_none(
                            1000.0 * cas.value / present if present > 0 else math.nan)})
        return out

    def people_summary(self, prepared: Prepared) -> dict | None:
        """The people-at-risk figures (``summary.json``'s ``people``) of the run compiled from
        ``prepared``; None without ``[people]``."""
        if not self.has_people:
            return None
        from forceprot.people import damage_radii_m

        sc = prepared.scenario
        site_people = prepared.site.people
        lethal_m, casualty_m = damage_radii_m(sc)
        value = self.warning_value()

        def pair(e: Estimate) -> list:
            return [finite_or_none(e.lo), finite_or_none(e.hi)]

        return {
            "damage_function": sc.people.damage,
            "lethal_radius_m": lethal_m,
            "casualty_radius_m": casualty_m,
            "attack_hour": sc.threat.hour,
            "people_peak_total": float(site_people.people_h.sum(axis=0).max()),
            "shelters": site_people.n_shelters,
            "shelter_capacity_total": float(site_people.shelter_capacity.sum()),
            "p_casualty": finite_or_none(self.p_casualty.value),
            "p_casualty_ci": pair(self.p_casualty),
            "warning_saves_killed_per_salvo": finite_or_none(value["killed"].value),
            "warning_saves_killed_per_salvo_ci": pair(value["killed"]),
            "warning_saves_casualties_per_salvo": finite_or_none(value["casualties"].value),
            "warning_saves_casualties_per_salvo_ci": pair(value["casualties"]),
            "expected_killed_per_salvo_without_warning":
                finite_or_none(value["killed_without_warning"].value),
            "expected_casualties_per_salvo_without_warning":
                finite_or_none(value["casualties_without_warning"].value),
            "by_hour": self.casualties_by_hour(),
            "by_area": self.exposure_results(prepared),
            # forceprot.studies.people.unit_values, when the command ran it
            "unit_value": [v.as_dict() for v in self.extra.get("unit_value", [])],
        }

    # --- export --------------------------------------------------------------------------------
    @property
    def rockets_intercepted_threatening(self) -> int:
        """Of the rockets landing inside, those killed (:data:`ACCOUNTING_TERMS`)."""
        return int(self._s(T.S_INTERCEPTED_THREAT))

    def accounting(self) -> dict[str, int]:
        """The rocket counts, by the keys of :data:`forceprot.assumptions.ACCOUNTING_TERMS`."""
        return {"rockets_fired": self.rockets_fired,
                "rockets_threatening": self.rockets_threatening,
                "rockets_intercepted": self.rockets_intercepted,
                "rockets_intercepted_threatening": self.rockets_intercepted_threatening,
                "rockets_leaked": self.rockets_leaked}

    def assumptions(self, prepared: Prepared) -> list:
        """Every parameter in effect (:func:`forceprot.assumptions.assumptions`) of the scenario
        the run was compiled from (``prepared``), with the run's own salvos, seed and precision
        where they replaced the scenario's."""
        from forceprot.assumptions import assumptions  # kept local: results.py's imports move

        sc = prepared.scenario
        return assumptions(sc, derived=True, overrides={
            "simulation.salvos": self.salvos_requested, "simulation.seed": self.seed,
            "simulation.precision": self.precision_target})

    def terrain(self, prepared: Prepared) -> dict | None:
        """The site's terrain and each unit's masking
        (:func:`forceprot.compile.terrain_description`) of the scenario the run was compiled
        from (``prepared``); None without a DEM (then ``summary.json`` has no ``terrain``
        key)."""
        from forceprot.compile import terrain_description

        if prepared.site.terrain is None:
            return None
        n_units = len(prepared.scenario.defence)
        horizon = self.compiled.inputs.units.horizon
        if len(horizon.ground_z_m) != n_units:  # units added for the kernel only (optimize)
            horizon = None
        return terrain_description(prepared, horizon)

    def summary(self, prepared: Prepared) -> dict:
        """The figures of a run under stable keys (``summary.json``).

        ``prepared`` is the scenario the run was compiled from: the summary names it and lists
        its assets, people, assumptions and terrain.

        The rocket counts and each unit's ``kills_credited`` / ``successful_kill_draws`` are the
        terms of :data:`forceprot.assumptions.ACCOUNTING_TERMS`, defined in ``accounting_terms``.
        """
        from forceprot.assumptions import ACCOUNTING_TERMS, threat_profile

        sc = prepared.scenario

        def est(e: Estimate) -> list[float]:
            return [finite_or_none(e.lo), finite_or_none(e.hi)]

        return {
            "summary_version": SUMMARY_VERSION,
            "scenario": sc.label,
            "site": sc.site.name,
            "rocket": sc.threat.rocket,
            "tubes": sc.threat.tubes,
            # the threat preset and firing angle, and what they mean (forceprot.catalog.threats)
            "threat_profile": threat_profile(sc),
            "seed": self.seed,
            "salvos": self.salvos,
            "salvos_requested": self.salvos_requested,
            "stopped_at_precision": self.stopped_early,
            # parameters given as distributions, run at their medians
            "uncertain_parameters_at_median": [p.describe() for p in sc.uncertain],
            "precision_target": self.precision_target,
            **self.accounting(),
            "accounting_terms": {t.key: t.definition for t in ACCOUNTING_TERMS},
            "threat_fraction": finite_or_none(self.threat_fraction.value),
            "threat_fraction_ci": est(self.threat_fraction),
            "leak_rate": finite_or_none(self.leak_rate.value),
            "leak_rate_ci": est(self.leak_rate),
            "leak_rate_n_eff": finite_or_none(self.leak_rate.n_eff),
            "p_any_leak": finite_or_none(self.p_any_leak.value),
            "p_any_leak_ci": est(self.p_any_leak),
            "p_any_inside": finite_or_none(self.p_any_inside.value),
            "p_any_inside_ci": est(self.p_any_inside),
            "expected_leakers_per_salvo": finite_or_none(self.expected_leakers_per_salvo.value),
            "expected_leakers_per_salvo_ci": est(self.expected_leakers_per_salvo),
            "expected_threatening_per_salvo": finite_or_none(self.expected_threatening_per_salvo.value),
            "warning_time_mean_s": finite_or_none(self.warning_mean_s.value),
            "warning_time_mean_s_ci": est(self.warning_mean_s),
            "warning_time_p05_s": finite_or_none(self.warning_p05_s),
            "undetected_fraction": finite_or_none(self.undetected_fraction),
            "first_detection_after_launch_mean_s": finite_or_none(self.detection_delay_mean_s),
            "first_track_after_launch_mean_s": finite_or_none(self.track_delay_mean_s),
            "fire_control": sc.fire_control,
            **({"expected_killed_per_salvo": finite_or_none(self.expected_killed_per_salvo.value),
                "expected_killed_per_salvo_ci": est(self.expected_killed_per_salvo),
                "expected_wounded_per_salvo": finite_or_none(self.expected_wounded_per_salvo.value),
                "expected_wounded_per_salvo_ci": est(self.expected_wounded_per_salvo),
                "people": self.people_summary(prepared)} if self.has_people else {}),
            "asset_risk_per_salvo": finite_or_none(self.asset_risk_per_salvo.value),
            "asset_risk_per_salvo_ci": est(self.asset_risk_per_salvo),
            "assets": self.asset_results(prepared),
            "launcher_draws_rejected": int(self._s(T.S_REJECTED)),
            "aim_points_redrawn": int(self._s(T.S_AIM_REDRAWN)),
            "units": [
                {"name": u.name, "kind": u.kind, "engagements": u.engagements,
                 "kills_credited": u.kills, "successful_kill_draws": u.hits, "shots": u.shots,
                 "engagements_per_salvo": u.engagements_per_salvo,
                 "salvos_engaged": u.salvos_engaged,
                 "salvos_magazine_exhausted": u.salvos_exhausted,
                 "kill_share_of_threatening": finite_or_none(u.kill_share.value),
                 "kill_share_of_threatening_ci": est(u.kill_share),
                 "engagements_on_killed": u.engagements_on_killed,
                 "threatening_in_sector": u.threatening_in_sector,
                 "threatening_with_window": u.threatening_with_window,
                 "threatening_engaged": u.threatening_engaged,
                 "threatening_killed_by_another_first": u.threatening_taken}
                for u in self.unit_results
            ],
            **({"terrain": t} if (t := self.terrain(prepared)) is not None else {}),
            "threads": self.threads,
            "run_time_s": self.elapsed_s,
            "rockets_per_second": finite_or_none(self.rockets_per_second),
            "assumptions": [a.to_dict() for a in self.assumptions(prepared)],
            # only with [[surveillance]]: a scenario without keeps its summary as it was
            **(self.before_the_salvo() if self.has_surveillance else {}),
        }
