"""The local search: greedy additions, then swaps, each move screened on a salvo ladder.

Every step screens its moves on a prefix of the common sample (:func:`screening_stages`) and
keeps the move with the lowest objective on the full sample; a swap is kept only when it gains
at least ``min_gain`` of the objective (:func:`_improves`).
"""

from __future__ import annotations

from dataclasses import dataclass

from forceprot.studies.optimize.evaluate import _Evaluator
from forceprot.studies.optimize.layouts import KINDS, Layout, Placement, Score

__all__ = ["DEFAULT_MIN_GAIN", "DEFAULT_REFINE", "DEFAULT_SCREEN_SALVOS", "MAX_SWAP_ROUNDS",
           "Step", "screening_stages"]

#: Salvos on which every move is screened [-] (two kernel blocks: both cores busy in-process).
DEFAULT_SCREEN_SALVOS = 1024
#: Best screened moves re-evaluated on the full sample [-].
DEFAULT_REFINE = 8
#: Most swap rounds per search [-] (each accepted swap strictly lowers the objective).
MAX_SWAP_ROUNDS = 30
#: A swap must lower the objective by at least this fraction of its value [-]: smaller gains
#: are fitted to the sample rather than to the defence, and each round costs a full screen.
DEFAULT_MIN_GAIN = 1e-3


@dataclass(frozen=True)
class Step:
    """One step of a search.

    Attributes
    ----------
    start : str
        Which search: ``greedy`` (from the fixed units) or ``mclp`` (from the MCLP layout).
    phase : str
        ``start``, ``greedy`` (a unit added) or ``swap`` (a unit moved).
    index : int
        Step number within its search (0 = the starting layout).
    layout : tuple of Placement
        The layout after the step.
    score : Score
        Its objective on the full sample.
    unit : int or None
        Index in ``layout`` of the unit added or moved.
    from_site : int or None
        Where a moved unit came from.
    screened : int
        Moves screened for this step.
    """

    start: str
    phase: str
    index: int
    layout: Layout
    score: Score
    unit: int | None = None
    from_site: int | None = None
    screened: int = 0


def screening_stages(salvos: int, screen_salvos: int, refine: int) -> list[tuple[int, int]]:
    """The screening ladder: (salvos, moves kept) per stage before the full sample.

    Every move is sampled on ``screen_salvos``; the best ``4 * refine`` go on to four times as
    many salvos (when that is still short of the full sample), and the best ``refine`` of those
    to the full sample.
    """
    if screen_salvos >= salvos:
        return []
    if 4 * screen_salvos < salvos:
        return [(screen_salvos, 4 * refine), (4 * screen_salvos, refine)]
    return [(screen_salvos, refine)]


def _best_move(ev: _Evaluator, moves: list[Layout], *, salvos: int, screen_salvos: int,
               refine: int, label: str) -> tuple[Layout, Score]:
    """The move with the lowest objective on the full sample, after the screening ladder."""
    for size, keep in screening_stages(salvos, screen_salvos, refine):
        if len(moves) <= keep:
            continue
        scores = ev.scores(moves, size, f"{label}, {size:,} salvos")
        order = sorted(range(len(moves)), key=lambda i: (scores[i].key, i))
        moves = [moves[i] for i in order[:keep]]
    full = ev.scores(moves, salvos, f"{label}, {salvos:,} salvos")
    j = min(range(len(moves)), key=lambda i: (full[i].key, i))
    return moves[j], full[j]


def _greedy(ev: _Evaluator, n_sites: int, counts: dict[str, int], *, salvos: int,
            screen_salvos: int, refine: int) -> list[Step]:
    layout: Layout = ()
    steps = [Step("greedy", "start", 0, layout, ev.scores([layout], salvos, "start")[0])]
    total = sum(counts.values())
    for t in range(total):
        placed = {k: sum(p.kind == k for p in layout) for k in KINDS}
        used = {p.site for p in layout}
        moves = [layout + (Placement(k, c),) for k in KINDS if placed[k] < counts[k]
                 for c in range(n_sites) if c not in used]
        layout, score = _best_move(ev, moves, salvos=salvos, screen_salvos=screen_salvos,
                                   refine=refine, label=f"greedy step {t + 1}/{total}")
        steps.append(Step("greedy", "greedy", t + 1, layout, score, unit=len(layout) - 1,
                          screened=len(moves)))
    return steps


def _improves(new: Score, current: Score, min_gain: float) -> bool:
    """Whether ``new`` is lower than ``current`` by at least ``min_gain`` of its value."""
    if not new.key < current.key:
        return False
    return current.value - new.value >= min_gain * abs(current.value) if min_gain > 0 else True


def _swaps(ev: _Evaluator, start: Step, n_sites: int, *, salvos: int, screen_salvos: int,
           refine: int, max_rounds: int, min_gain: float) -> list[Step]:
    steps: list[Step] = []
    layout, score = start.layout, start.score
    for r in range(max_rounds):
        used = {p.site for p in layout}
        moves = [layout[:j] + (Placement(p.kind, c),) + layout[j + 1:]
                 for j, p in enumerate(layout) for c in range(n_sites) if c not in used]
        if not moves:
            break
        best, best_score = _best_move(ev, moves, salvos=salvos, screen_salvos=screen_salvos,
                                      refine=refine, label=f"{start.start} swap round {r + 1}")
        if not _improves(best_score, score, min_gain):
            break
        j = next(i for i, (a, b) in enumerate(zip(layout, best)) if a != b)
        steps.append(Step(start.start, "swap", start.index + len(steps) + 1, best, best_score,
                          unit=j, from_site=layout[j].site, screened=len(moves)))
        layout, score = best, best_score
    return steps
