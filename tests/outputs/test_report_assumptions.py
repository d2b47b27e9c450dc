"""One run rendered three ways (console, report.md, summary.json): the same assumptions and the
same rocket counts under the same defined names."""

from __future__ import annotations

import json
import re

import pytest
from rich.console import Console

from forceprot.assumptions import ACCOUNTING_TERMS
from forceprot.compile import compile_scenario, prepare_scenario
from forceprot.outputs.console import render_results
from forceprot.outputs.report import run_report_markdown
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from tests.conftest import SITES

#: Taji has two guns and a battery, so rockets are killed twice and the per-unit terms differ.
SALVOS = 400
SEED = 11
#: The 107 mm class is calibrated so the model flies the published 8.05 km at sea level; Taji's
#: ground is at 40 m, which lengthens the range by well under 1 %. 2 % leaves room for that.
MAX_RANGE_RTOL = 0.02

TERMS = {t.key: t for t in ACCOUNTING_TERMS}


@pytest.fixture(scope="module")
def run():
    prepared = prepare_scenario(SITES / "taji.toml")
    compiled = compile_scenario(prepared)
    results = simulate(compiled, RunSettings.from_scenario(prepared.scenario,
                                                           salvos=SALVOS, seed=SEED))
    console = Console(record=True, width=400, color_system=None)
    render_results(console, results, prepared)
    summary = json.loads(json.dumps(results.summary(prepared)))  # as written to summary.json
    return (results, console.export_text(),
            run_report_markdown(results, prepared, map_name=None), summary)


def test_summary_has_the_assumptions(run) -> None:
    results, _, _, summary = run
    listed = summary["assumptions"]
    assert listed and all(list(a) == ["path", "value", "unit", "origin", "source"]
                          for a in listed)
    by_path = {a["path"]: a for a in listed}
    assert by_path["defence[0].p_kill"]["origin"] == "class default"
    # taji.toml takes its laying figures from the improvised_truck preset, its tubes from the file
    assert by_path["threat.aim_sigma_m"]["origin"] == "preset"
    assert "improvised_truck" in by_path["threat.aim_sigma_m"]["source"]
    assert by_path["threat.tubes"]["origin"] == "scenario"
    profile = summary["threat_profile"]
    assert profile["preset"] == "improvised_truck" and profile["elevation"] == "low"
    assert "aim_sigma_m" in profile["from_preset"]
    assert by_path["simulation.salvos"] == {
        "path": "simulation.salvos", "value": SALVOS, "unit": "-", "origin": "run option",
        "source": by_path["simulation.salvos"]["source"]}
    flown = by_path["rocket.max_range_flown_m"]
    assert flown["origin"] == "derived" and flown["unit"] == "m"
    published = by_path["rocket.max_range_m"]["value"]
    assert abs(flown["value"] - published) <= MAX_RANGE_RTOL * published, (
        f"model flies {flown['value']} m against the published {published} m")


def test_report_states_the_threat_preset(run) -> None:
    _, _, report, summary = run
    head = report.split("## Headline", 1)[0]
    assert "Preset `improvised_truck`" in head
    assert summary["threat_profile"]["preset_meaning"] in head
    assert "Firing angle: low angle" in head


def test_report_has_the_assumptions_table(run) -> None:
    results, _, report, summary = run
    section = report.split("## Assumptions\n", 1)[1].split("\n## ", 1)[0]
    for title in ("### Threat", "### Rocket: 107mm", "### C-RAM north (cram, `defence[0]`)",
                  "### Patriot battery (patriot, `defence[2]`)", "### Warning", "### Site",
                  "### Simulation settings"):
        assert title in section, f"no {title!r} in the Assumptions section"
    for a in summary["assumptions"]:
        row = re.search(rf"^\| `{re.escape(a['path'])}` \| (.*?) \| (.*?) \| (.*?) \| \[(\d+)\] \|$",
                        section, re.M)
        assert row, f"{a['path']} has no row"
        assert row.group(2) == a["unit"] and row.group(3) == a["origin"], a["path"]
        source = re.search(rf"^{row.group(4)}\. (.*)$", section, re.M)
        assert source and source.group(1) == a["source"], a["path"]


def test_report_says_what_its_intervals_cover(run) -> None:
    _, console, report, _ = run
    head = report.split("## Headline", 1)[0]
    assert "Monte Carlo noise only" in head
    assert "`forceprot uncertainty`" in head
    assert "Monte Carlo noise only" in console


def test_one_accounting_everywhere(run) -> None:
    results, console, report, summary = run
    accounting = report.split("## Rocket accounting\n", 1)[1].split("\n## ", 1)[0]
    for key, n in results.accounting().items():
        label = TERMS[key].label
        assert summary[key] == n, key
        assert f"{label} {n:,}" in console, f"console lacks '{label} {n:,}'"
        assert f"| {label} | {n:,} | {TERMS[key].definition} |" in accounting, key
        assert summary["accounting_terms"][key] == TERMS[key].definition
    units = summary["units"]
    credited = sum(u["kills_credited"] for u in units)
    assert credited == summary["rockets_intercepted"]
    assert f"| {TERMS['kills_credited'].label} (all units) | {credited:,} |" in accounting
    for u in units:
        assert u["successful_kill_draws"] >= u["kills_credited"], u["name"]
        row = (f"| {u['name']} | {u['kind']} | {u['engagements_per_salvo']:.2f} | "
               f"{u['kills_credited']:,} | {u['successful_kill_draws']:,} |")
        assert row in report, f"report lacks {row!r}"
        assert re.search(rf"{re.escape(u['name'])}.*\b{u['kills_credited']:,}\b.*"
                         rf"\b{u['successful_kill_draws']:,}\b", console), u["name"]
    # Taji's guns sit under the battery's umbrella, but under one air picture (the default) no
    # rocket is engaged once killed: every successful kill draw is a credited kill (independent
    # fire, where the two terms part, is checked in tests/kernel/test_kernel_ideal_units.py).
    assert summary["fire_control"] == "coordinated"
    assert sum(u["successful_kill_draws"] for u in units) == credited
    assert all(u["engagements_on_killed"] == 0 for u in units)
    assert summary["rockets_leaked"] == (summary["rockets_threatening"]
                                         - summary["rockets_intercepted_threatening"])
