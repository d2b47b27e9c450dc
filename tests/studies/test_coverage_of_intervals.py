"""Do the 95 % intervals cover 95 % of the time? Many small independent runs of one scenario
against the truth from one large run.

The scenario has strong within-salvo correlation: a gun mount that defends only 800 m around
itself and saturates (1.2 s per engagement, six rockets arriving together). A salvo whose laid
point is near the gun loses most rockets, one aimed elsewhere loses none, so rockets of a salvo
leak together, and a per-rocket (naive) interval is far too narrow. The cluster-robust interval
(salvos as clusters) must cover at the nominal rate; the naive one, on the same runs, must not.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as st

from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.stats import Z95, wilson_interval
from tests.kernel_helpers import (
    CX_M,
    CY_M,
    binomial_band,
    clopper_pearson,
    compile_data,
    scenario_data,
    square_base,
)

#: Independent small runs, and their sizes: 250..349 salvos, so that the discreteness of
#: p_any_leak's Wilson interval (whose coverage is a saw-tooth in n) averages out.
RUNS = 800
TRUTH_SALVOS = 200_000
TRUTH_SEED = 2**40  # far from the small runs' seeds 0 .. RUNS - 1
NOMINAL = 0.95
#: The observed coverage of RUNS intervals is Binomial(RUNS, coverage) / RUNS; a correct
#: interval's coverage lies in this central band of Binomial(RUNS, 0.95) with probability
#: 99.9 %. The truth's own error (200k salvos vs ~300) moves the coverage by < 0.001.
BAND_CONFIDENCE = 0.999


def _salvos(i: int) -> int:
    return 250 + (i * 37) % 100


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("coverage")
    square_base(tmp)
    gun = {"kind": "cram", "name": "gun", "x": CX_M, "y": CY_M, "defended_radius_m": 800.0,
           "p_kill": 0.95, "reaction_s": 0.0, "engage_s": 1.2}
    data = scenario_data(tubes=6, ripple_s=0.0, aim_sigma_m=100.0, range_sigma_frac=0.01,
                         deflection_sigma_mil=3.0, min_standoff_m=2_000.0,
                         max_standoff_m=4_000.0, defence=[gun],
                         simulation={"salvos": 300, "story_salvos": 0})
    prepared, compiled = compile_data(tmp, data)
    truth = simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, salvos=TRUTH_SALVOS, seed=TRUTH_SEED, threads=2))
    small = [simulate(compiled, RunSettings.from_scenario(
        prepared.scenario, salvos=_salvos(i), seed=i, threads=1)) for i in range(RUNS)]
    return truth, small


def _report(name, k, n):
    lo, hi = clopper_pearson(k, n)
    return f"{name}: {k}/{n} = {k / n:.3f} cover (99.9 % CI {lo:.3f}..{hi:.3f})"


def test_the_scenario_is_clustered(runs):
    truth, _ = runs
    deff = truth.rockets_threatening / truth.leak_rate.n_eff
    assert deff > 2.5, f"design effect {deff:.2f}: too weak a within-salvo correlation"
    assert 0.3 < truth.leak_rate.value < 0.9
    assert 0.2 < truth.p_any_leak.value < 0.95


def test_leak_rate_interval_covers_and_the_naive_one_does_not(runs):
    truth, small = runs
    r_true = truth.leak_rate.value
    cluster = sum(r.leak_rate.lo <= r_true <= r.leak_rate.hi for r in small)
    naive = 0
    for r in small:
        lo, hi = wilson_interval(r.rockets_leaked / r.rockets_threatening, r.rockets_threatening)
        naive += bool(lo <= r_true <= hi)
    band = binomial_band(NOMINAL, RUNS, BAND_CONFIDENCE)
    msg = f"{_report('cluster-robust', cluster, RUNS)}; {_report('naive per-rocket', naive, RUNS)}"
    assert band[0] <= cluster / RUNS <= band[1], f"{msg}; band {band[0]:.3f}..{band[1]:.3f}"
    # the naive interval under-covers, clearly: its exact upper bound is below nominal
    assert clopper_pearson(naive, RUNS)[1] < NOMINAL, msg
    assert naive < cluster, msg


def test_leak_rate_interval_width_matches_the_spread(runs):
    """Sharper than coverage: standardised errors (estimate - truth) / (half-width / z) have
    mean square 1 if the interval's width is honest; their sum over the runs is then about
    chi-square with RUNS degrees of freedom (99.9 % band). The naive widths give ~ the design
    effect instead."""
    truth, small = runs
    r_true = truth.leak_rate.value
    z2 = sum(((r.leak_rate.value - r_true) / (r.leak_rate.half_width / Z95)) ** 2 for r in small)
    lo, hi = st.chi2.ppf([(1 - BAND_CONFIDENCE) / 2, (1 + BAND_CONFIDENCE) / 2], RUNS)
    assert lo <= z2 <= hi, f"sum of squared standardised errors {z2:.0f}, band {lo:.0f}..{hi:.0f}"


def test_p_any_leak_interval_covers(runs):
    """P(any leaker) is a proportion of independent salvos: plain Wilson must cover."""
    truth, small = runs
    p_true = truth.p_any_leak.value
    k = sum(r.p_any_leak.lo <= p_true <= r.p_any_leak.hi for r in small)
    band = binomial_band(NOMINAL, RUNS, BAND_CONFIDENCE)
    assert band[0] <= k / RUNS <= band[1], (
        f"{_report('p_any_leak', k, RUNS)}; band {band[0]:.3f}..{band[1]:.3f}")
    # the salvo counts behind it are binomial (salvos independent): dispersion index ~ 1
    counts = np.array([r.p_any_leak.value * r.salvos for r in small])
    n = np.array([r.salvos for r in small])
    chi2 = float(np.sum((counts - n * p_true) ** 2 / (n * p_true * (1 - p_true))))
    lo, hi = st.chi2.ppf([(1 - BAND_CONFIDENCE) / 2, (1 + BAND_CONFIDENCE) / 2], RUNS)
    assert lo <= chi2 <= hi, f"dispersion chi-square {chi2:.0f}, band {lo:.0f}..{hi:.0f}"


def test_warning_interval_covers_with_the_salvo_as_sampling_unit(runs):
    """The mean warning time is a mean over rockets of clustered salvos: its cluster-robust
    interval covers at the nominal rate (rockets treated as independent would under-cover)."""
    truth, small = runs
    w_true = truth.warning_mean_s.value
    k = sum(r.warning_mean_s.lo <= w_true <= r.warning_mean_s.hi for r in small)
    band = binomial_band(NOMINAL, RUNS, BAND_CONFIDENCE)
    assert band[0] <= k / RUNS <= band[1], (
        f"{_report('warning mean', k, RUNS)}; band {band[0]:.3f}..{band[1]:.3f}")
