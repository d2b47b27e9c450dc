"""How a run samples: salvos, seed, precision target, story sample, threads, resolved once.

A command or study makes one :class:`RunSettings` at its edge (the scenario's ``[simulation]``
table, overridden by command-line options) and passes it down; nothing below reads the run's
settings back from the scenario, and no study steers the driver by editing the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["RunSettings"]

_UNSET: Any = object()


@dataclass(frozen=True)
class RunSettings:
    """The settings of one Monte Carlo run.

    Attributes
    ----------
    salvos : int
        Salvos to sample; with ``precision``, the most to sample [-].
    seed : int
        Root seed: the same scenario, seed and salvos give bit-identical results on any thread
        count or cluster.
    precision : float or None
        Stop once the 95 % leak-rate interval half-width is at most this [fraction]; None runs
        every salvo.
    story_salvos : int
        Salvos whose every rocket is recorded in full (for maps and per-salvo studies) [-].
    threads : int or None
        Threads to run blocks on (None: all the machine's); results do not depend on it.
    """

    salvos: int
    seed: int
    precision: float | None = None
    story_salvos: int = 0
    threads: int | None = None

    @classmethod
    def from_scenario(cls, scenario, *, salvos: int | None = None, seed: int | None = None,
                      precision: float | None = _UNSET, story_salvos: int | None = None,
                      threads: int | None = None) -> "RunSettings":
        """The scenario's ``[simulation]`` settings with the given ones overriding them
        (``precision=None`` turns the scenario's precision target off)."""
        sim = scenario.simulation
        return cls(salvos=int(sim.salvos if salvos is None else salvos),
                   seed=int(sim.seed if seed is None else seed),
                   precision=sim.precision if precision is _UNSET else precision,
                   story_salvos=int(sim.story_salvos if story_salvos is None else story_salvos),
                   threads=threads)

    def replace(self, **changes) -> "RunSettings":
        """A copy with some settings changed."""
        return replace(self, **changes)
