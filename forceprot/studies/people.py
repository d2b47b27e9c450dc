"""What each defence unit is worth in people: casualties it avoids, paired on the same salvos.

For each unit, the scenario is run again with that unit switched off (no sensor, no
engagements: :func:`without_unit`) on the same seed and salvos. Unit indices are kept, so the
kill draws of every other unit, keyed by (seed, salvo, rocket, unit), are the same in both runs:
common random numbers. The difference in expected killed and in casualties (killed or wounded)
per salvo is estimated by batch means over the kernel's blocks
(:func:`forceprot.stats.paired_ratio_difference`), as :mod:`forceprot.studies.compare` does.
Sense-and-warn's own value comes from the main run itself (the kernel counts every salvo's
casualties as if nobody had been warned: :meth:`forceprot.results.Results.warning_value`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forceprot.engage import params as P
from forceprot.kernel import tally as T
from forceprot.kernel.bundles import BLOCK_SALVOS
from forceprot.settings import RunSettings
from forceprot.simulate import simulate
from forceprot.stats import MIN_BATCHES, finite_or_none, paired_ratio_difference

__all__ = ["UnitValue", "unit_values", "without_unit"]


@dataclass(frozen=True)
class UnitValue:
    """Casualties per salvo a unit avoids: ``(value, lo, hi)`` with a 95 % interval, for killed
    and for casualties (killed or wounded); positive means the unit saves people."""

    name: str
    kind: str
    killed_avoided: tuple[float, float, float]
    casualties_avoided: tuple[float, float, float]
    batches: int

    def as_dict(self) -> dict:
        k, c = self.killed_avoided, self.casualties_avoided
        return {"name": self.name, "kind": self.kind,
                "killed_avoided_per_salvo": finite_or_none(k[0]),
                "killed_avoided_per_salvo_ci": [finite_or_none(k[1]), finite_or_none(k[2])],
                "casualties_avoided_per_salvo": finite_or_none(c[0]),
                "casualties_avoided_per_salvo_ci": [finite_or_none(c[1]), finite_or_none(c[2])],
                "paired_batches": self.batches}


def without_unit(units, u: int):
    """``units`` (:class:`~forceprot.engage.state.Units`) with unit ``u`` switched off: no
    sensor range (it sees nothing, so it neither warns nor tracks) and no defended radius (it
    engages nothing). Indices are kept, so the other units' kill draws do not change."""
    par = units.par.copy()
    par[u, P.P_SENSOR_RANGE_M] = 0.0
    par[u, P.P_DEFENDED_RADIUS_M] = 0.0
    return units._replace(par=np.ascontiguousarray(par))


def unit_values(compiled, settings: RunSettings, *, base=None) -> list[UnitValue]:
    """Casualties each unit avoids, paired against the scenario with all its units.

    Parameters
    ----------
    compiled : CompiledScenario
        A scenario with ``[people]``.
    settings : RunSettings
        Salvos, seed and threads; the precision stop and stories are ignored (the runs must
        see the same salvos).
    base : Results, optional
        A run of ``compiled`` of ``settings.salvos`` salvos and its seed, with
        ``keep_block_scalars``; made if absent.

    Returns
    -------
    list of UnitValue
        In unit order; empty without units or with fewer than ``MIN_BATCHES`` blocks.
    """
    settings = settings.replace(precision=None, story_salvos=0)
    if compiled.n_units == 0 or settings.salvos < MIN_BATCHES * BLOCK_SALVOS:
        return []
    if base is None:
        base = simulate(compiled, settings, keep_block_scalars=True)
    blocks_a = base.extra["block_scalars"]
    out = []
    for u, (name, kind) in enumerate(zip(compiled.unit_names, compiled.unit_kinds)):
        off = compiled.with_inputs(units=without_unit(compiled.inputs.units, u))
        blocks_b = simulate(off, settings, keep_block_scalars=True).extra["block_scalars"]
        x_a, x_b = blocks_a[:, T.S_SALVOS], blocks_b[:, T.S_SALVOS]
        killed = paired_ratio_difference(blocks_a[:, T.S_KILLED], x_a, blocks_b[:, T.S_KILLED],
                                         x_b)
        cas_a = blocks_a[:, T.S_KILLED] + blocks_a[:, T.S_WOUNDED]
        cas_b = blocks_b[:, T.S_KILLED] + blocks_b[:, T.S_WOUNDED]
        cas = paired_ratio_difference(cas_a, x_a, cas_b, x_b)
        out.append(UnitValue(name=name, kind=kind, killed_avoided=killed[2:5],
                             casualties_avoided=cas[2:5], batches=len(blocks_a)))
    return out
